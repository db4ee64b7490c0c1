/*
 * Integration: streams that fail, before and after the commit point.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "itest.h"

typedef struct hook_log {
    int calls;
    int last_class;
    unsigned int attempts;
    int stream;
} hook_log;

static void on_usage_record(const llmgw_usage *u, void *ud)
{
    hook_log *h = ud;

    h->calls++;
    h->last_class = u->error_class;
    h->attempts = u->attempts;
    h->stream = u->stream;
}

static void start(itest *t, hook_log *h, unsigned int attempts)
{
    llmgw_gateway_options o;

    llmgw_gateway_options_init(&o, LLMGW_GATEWAY_OPTIONS_VERSION);
    o.max_attempts = attempts;
    o.idle_timeout_ms = 2000;
    o.usage_cb = on_usage_record;
    o.usage_userdata = h;
    memset(h, 0, sizeof(*h));
    itest_start(t, &o);
    itest_add(t, "g", "s", "gpt-test");
}

static void test_cut_after_commit(void **state)
{
    itest t;
    hook_log h;
    collect c;
    mock_ledger led;

    (void)state;
    start(&t, &h, 3);
    /* events: role, "a", " b", ... cut after 3: text delivered, then the stream ends clean */
    itest_script(&t, "s", "[{\"text\":\"a b c d\",\"cut_after_events\":3}]");
    collect_init(&c);
    assert_int_equal(itest_stream(&t, "g", "hi", &c, NULL), LLMGW_EUNAVAILABLE);
    assert_int_equal(c.error_calls, 1);
    assert_int_equal(c.done_calls, 0);
    assert_int_equal(c.error_class, LLMGW_ERRCLASS_STREAM_CUT);
    assert_string_equal(c.text, "a b");
    assert_true(c.order_ok);
    assert_int_equal(itest_request_count(&t, "s"), 1);      /* never retried after commit */
    assert_int_equal(h.calls, 1);
    assert_int_equal(h.last_class, LLMGW_ERRCLASS_STREAM_CUT);
    mock_server_ledger(t.srv, "s", &led);
    assert_int_equal(led.usage_reports, 0);
    itest_stop(&t);
}

static void test_cut_before_commit_retried(void **state)
{
    itest t;
    hook_log h;
    collect c;
    llmgw_response *r = NULL;

    (void)state;
    start(&t, &h, 3);
    itest_script(&t, "s", "[{\"text\":\"x y\",\"cut_after_events\":1},{\"reset\":\"before_headers\"},"
                          "{\"text\":\"fine now\"}]");
    collect_init(&c);
    assert_int_equal(itest_stream(&t, "g", "hi", &c, &r), 0);
    assert_string_equal(c.text, "fine now");                 /* nothing from the failed attempts */
    assert_int_equal(c.done_calls, 1);
    assert_int_equal(c.error_calls, 0);
    assert_int_equal(llmgw_response_attempt_count(r), 3);
    assert_int_equal(llmgw_response_attempt(r, 0)->error_class, LLMGW_ERRCLASS_NETWORK);
    assert_int_equal(llmgw_response_attempt(r, 1)->error_class, LLMGW_ERRCLASS_NETWORK);
    assert_int_equal(h.calls, 1);
    assert_int_equal(h.attempts, 3);
    llmgw_response_free(r);
    itest_stop(&t);
}

static void test_reset_mid_stream(void **state)
{
    itest t;
    hook_log h;
    collect c;

    (void)state;
    start(&t, &h, 3);
    itest_script(&t, "s", "[{\"text\":\"a b c d\",\"reset\":\"after_events\",\"reset_after_events\":3}]");
    collect_init(&c);
    assert_int_equal(itest_stream(&t, "g", "hi", &c, NULL), LLMGW_EUNAVAILABLE);
    assert_int_equal(c.error_class, LLMGW_ERRCLASS_STREAM_CUT);
    assert_int_equal(c.error_calls, 1);
    assert_int_equal(c.done_calls, 0);
    assert_int_equal(itest_request_count(&t, "s"), 1);
    itest_stop(&t);
}

static void test_error_event(void **state)
{
    itest t;
    hook_log h;
    collect c;
    llmgw_response *r = NULL;

    (void)state;
    start(&t, &h, 3);
    /* before commit: classified like a 429 and retried */
    itest_script(&t, "s", "[{\"error_event\":{\"message\":\"Rate limit reached. Please try again in 20ms.\",\"type\":\"requests\","
                          "\"code\":\"rate_limit_exceeded\"},\"error_after_events\":1}]");
    collect_init(&c);
    assert_int_equal(itest_stream(&t, "g", "hi", &c, &r), 0);
    assert_int_equal(llmgw_response_attempt(r, 0)->error_class, LLMGW_ERRCLASS_RATE_LIMIT);
    assert_string_equal(c.text, "Hello from the mock upstream.");
    llmgw_response_free(r);
    /* after commit: a typed terminal error */
    itest_script(&t, "s", "[{\"text\":\"a b c\",\"error_event\":{\"message\":\"Overloaded\",\"type\":\"server_error\"},"
                          "\"error_after_events\":3}]");
    collect_init(&c);
    assert_int_equal(itest_stream(&t, "g", "hi", &c, NULL), LLMGW_EUNAVAILABLE);
    assert_int_equal(c.error_class, LLMGW_ERRCLASS_STREAM_CUT);
    assert_int_equal(c.done_calls, 0);
    assert_non_null(strstr(c.error_message, "Overloaded"));
    itest_stop(&t);
}

static void test_no_done_marker_is_cut(void **state)
{
    itest t;
    hook_log h;
    collect c;

    (void)state;
    start(&t, &h, 1);
    itest_script(&t, "s", "[{\"text\":\"a b\",\"omit_done\":true}]");
    collect_init(&c);
    assert_int_equal(itest_stream(&t, "g", "hi", &c, NULL), LLMGW_EUNAVAILABLE);
    assert_int_equal(c.error_class, LLMGW_ERRCLASS_STREAM_CUT);
    assert_int_equal(c.done_calls, 0);
    itest_stop(&t);
}

static void test_malformed_event(void **state)
{
    itest t;
    hook_log h;
    collect c;
    llmgw_response *r = NULL;

    (void)state;
    start(&t, &h, 3);
    itest_script(&t, "s", "[{\"malformed\":true}]");
    collect_init(&c);
    /* the first text event is broken: nothing was delivered, so the retry is safe */
    assert_int_equal(itest_stream(&t, "g", "hi", &c, &r), 0);
    assert_int_equal(llmgw_response_attempt_count(r), 2);
    assert_int_equal(llmgw_response_attempt(r, 0)->error_class, LLMGW_ERRCLASS_SERVER_ERROR);
    llmgw_response_free(r);
    itest_stop(&t);
}

static void test_callback_stops(void **state)
{
    itest t;
    hook_log h;
    collect c;

    (void)state;
    start(&t, &h, 3);
    itest_script(&t, "s", "[{\"text\":\"one two three four five\"}]");
    collect_init(&c);
    c.stop_after_text = 2;
    assert_int_equal(itest_stream(&t, "g", "hi", &c, NULL), LLMGW_EUSER);
    assert_int_equal(c.text_calls, 2);
    assert_int_equal(c.error_calls, 1);
    assert_int_equal(c.done_calls, 0);
    assert_int_equal(c.error_class, LLMGW_ERRCLASS_CANCELLED);
    assert_int_equal(itest_request_count(&t, "s"), 1);
    assert_int_equal(h.calls, 1);
    itest_stop(&t);
}

static void test_stream_failover(void **state)
{
    itest t;
    hook_log h;
    collect c;
    llmgw_response *r = NULL;

    (void)state;
    start(&t, &h, 3);
    itest_add(&t, "pair", "down", "gpt-a");
    itest_add(&t, "pair", "up", "gpt-b");
    itest_script(&t, "down", "{\"steps\":[{\"status\":503}],\"then\":\"repeat_last\"}");
    collect_init(&c);
    assert_int_equal(itest_stream(&t, "pair", "hi", &c, &r), 0);
    assert_string_equal(c.text, "Hello from the mock upstream.");
    assert_string_equal(llmgw_response_model(r), "gpt-b");
    assert_true(llmgw_response_usage(r)->attempts >= 1 && llmgw_response_usage(r)->attempts <= 2);
    assert_true(itest_request_count(&t, "down") <= 1);
    llmgw_response_free(r);
    itest_stop(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cut_after_commit),
        cmocka_unit_test(test_cut_before_commit_retried),
        cmocka_unit_test(test_reset_mid_stream),
        cmocka_unit_test(test_error_event),
        cmocka_unit_test(test_no_done_marker_is_cut),
        cmocka_unit_test(test_malformed_event),
        cmocka_unit_test(test_callback_stops),
        cmocka_unit_test(test_stream_failover),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
