/*
 * Integration: llmgw_request_cancel() from another thread ends a call that
 * waits on a silent upstream, a stalled stream and a retry wait, with class
 * cancelled (not a timeout: every deadline here is a minute away), one usage
 * record each; a cancelled request fails at once without calling upstream.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "itest.h"

typedef struct canceller {
    llmgw_request *req;
    long           after_ms;
} canceller;

static void *cancel_later(void *arg)
{
    canceller *c = arg;
    struct timespec ts = { c->after_ms / 1000, (c->after_ms % 1000) * 1000000L };

    nanosleep(&ts, NULL);
    llmgw_request_cancel(c->req);
    return NULL;
}

static void start(itest *t, unsigned int attempts)
{
    llmgw_gateway_options o;

    assert_int_equal(llmgw_gateway_options_init(&o, LLMGW_GATEWAY_OPTIONS_VERSION), 0);
    o.max_attempts = attempts;
    o.deadline_ms = 60000;
    o.first_byte_timeout_ms = 60000;
    o.idle_timeout_ms = 60000;
    itest_start(t, &o);
    itest_add(t, "g", "a", "gpt-test");
}

static void run_cancelled(itest *t, bool stream, const char *script)
{
    llmgw_request *q = itest_request("g", "wait for me");
    llmgw_response *r = NULL;
    canceller c = { q, 200 };
    pthread_t th;
    collect col;
    int rc;

    itest_script(t, "a", script);
    assert_int_equal(pthread_create(&th, NULL, cancel_later, &c), 0);
    if (stream) {
        llmgw_stream_sink sink;
        collect_init(&col);
        sink = collect_sink(&col);
        rc = llmgw_complete_stream(t->gw, q, &sink, &r);
        assert_int_equal(col.error_calls, 1);
        assert_int_equal(col.error_class, LLMGW_ERRCLASS_CANCELLED);
        assert_int_equal(col.done_calls, 0);
    } else {
        rc = llmgw_complete(t->gw, q, &r);
    }
    pthread_join(th, NULL);
    assert_int_equal(rc, LLMGW_ECANCELLED);
    assert_null(r);
    assert_int_equal(llmgw_error_last()->error_class, LLMGW_ERRCLASS_CANCELLED);
    llmgw_request_free(q);
}

static void test_cancel_silent_upstream(void **state)
{
    itest t;

    (void)state;
    start(&t, 1);
    run_cancelled(&t, false, "[{\"delay_ms\":-1}]");
    assert_int_equal(t.usage_records, 1);
    itest_stop(&t);
}

static void test_cancel_stalled_stream(void **state)
{
    itest t;

    (void)state;
    start(&t, 1);
    run_cancelled(&t, true, "[{\"text\":\"one two three four\",\"stall_after_events\":3}]");
    assert_int_equal(t.usage_records, 1);
    itest_stop(&t);
}

/* A 429 asking for 30 s: the retry wait ends at the cancellation, not after 30 s. */
static void test_cancel_retry_wait(void **state)
{
    itest t;

    (void)state;
    start(&t, 3);
    run_cancelled(&t, false, "{\"steps\":[{\"status\":429,\"headers\":{\"retry-after\":\"30\"}}],"
                             "\"then\":\"repeat_last\"}");
    assert_int_equal(itest_request_count(&t, "a"), 1);
    itest_stop(&t);
}

static void test_cancelled_before_start(void **state)
{
    itest t;
    llmgw_request *q;
    llmgw_response *r = NULL;

    (void)state;
    start(&t, 1);
    q = itest_request("g", "never sent");
    assert_int_equal(llmgw_request_cancel(q), 0);
    assert_int_equal(llmgw_complete(t.gw, q, &r), LLMGW_ECANCELLED);
    assert_null(r);
    assert_int_equal(itest_request_count(&t, "a"), 0);
    assert_int_equal(t.usage_records, 1);
    assert_int_equal(llmgw_request_cancel(NULL), LLMGW_EINVAL);
    llmgw_request_free(q);
    itest_stop(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cancel_silent_upstream),
        cmocka_unit_test(test_cancel_stalled_stream),
        cmocka_unit_test(test_cancel_retry_wait),
        cmocka_unit_test(test_cancelled_before_start),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
