/*
 * Integration: routing, failover, fallbacks, limits and circuit breaking
 * over loopback HTTP with several deployments on the mock upstream.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "itest.h"

static void add_full(itest *t, const char *group, const char *lane, const char *model, int order, int64_t rpm,
                     int max_parallel, int64_t max_input)
{
    llmgw_deployment_options d;
    char base[256], full[128];

    snprintf(base, sizeof(base), "%s/lane/%s/v1", mock_server_base_url(t->srv), lane);
    snprintf(full, sizeof(full), "openai/%s", model);
    llmgw_deployment_options_init(&d, LLMGW_DEPLOYMENT_OPTIONS_VERSION);
    d.group = group;
    d.model = full;
    d.api_base = base;
    d.api_key = TEST_KEY;
    d.order = order;
    d.rpm = rpm;
    d.max_parallel_requests = max_parallel;
    d.max_input_tokens = max_input;
    if (llmgw_gateway_add_deployment(t->gw, &d) != 0)
        fail_msg("%s", llmgw_error_last()->message);
}

static void start(itest *t, unsigned int attempts)
{
    llmgw_gateway_options o;

    llmgw_gateway_options_init(&o, LLMGW_GATEWAY_OPTIONS_VERSION);
    o.max_attempts = attempts;
    itest_start(t, &o);
}

static void test_429_fails_over_without_waiting(void **state)
{
    itest t;
    llmgw_response *r = NULL;
    double t0;

    (void)state;
    start(&t, 3);
    add_full(&t, "g", "a", "gpt-a", 1, 0, 0, 0);
    add_full(&t, "g", "b", "gpt-b", 2, 0, 0, 0);
    itest_script(&t, "a", "{\"steps\":[{\"status\":429,\"headers\":{\"retry-after\":\"2\"}}],\"then\":\"repeat_last\"}");
    t0 = itest_now_ms();
    assert_int_equal(itest_complete(&t, "g", "hi", &r), 0);
    assert_true(itest_now_ms() - t0 < 1000);          /* a ready alternative beats sleeping */
    assert_string_equal(llmgw_response_model(r), "gpt-b");
    assert_int_equal(llmgw_response_attempt_count(r), 2);
    assert_int_equal(llmgw_response_attempt(r, 0)->error_class, LLMGW_ERRCLASS_RATE_LIMIT);
    assert_int_equal(llmgw_response_attempt(r, 0)->retry_after_ms, 2000);
    assert_int_equal(llmgw_response_usage(r)->fallbacks, 1);
    llmgw_response_free(r);
    /* a is held for its retry-after: the next request goes straight to b */
    assert_int_equal(itest_complete(&t, "g", "hi", &r), 0);
    assert_int_equal(llmgw_response_attempt_count(r), 1);
    assert_string_equal(llmgw_response_model(r), "gpt-b");
    assert_int_equal(itest_request_count(&t, "a"), 1);
    llmgw_response_free(r);
    itest_stop(&t);
}

static void test_context_window_fallback(void **state)
{
    itest t;
    llmgw_response *r = NULL;

    (void)state;
    start(&t, 3);
    add_full(&t, "small", "s", "gpt-small", 0, 0, 0, 0);
    add_full(&t, "big", "b", "gpt-big", 0, 0, 0, 0);
    assert_int_equal(llmgw_gateway_add_fallback(t.gw, LLMGW_FALLBACK_CONTEXT_WINDOW, "small", "big"), 0);
    itest_script(&t, "s", "{\"steps\":[{\"status\":400,\"error_code\":\"context_length_exceeded\","
                          "\"error_message\":\"This model's maximum context length is 8 tokens\"}],"
                          "\"then\":\"repeat_last\"}");
    assert_int_equal(itest_complete(&t, "small", "a long prompt", &r), 0);
    assert_string_equal(llmgw_response_model(r), "gpt-big");
    assert_string_equal(llmgw_response_usage(r)->group, "big");
    assert_int_equal(llmgw_response_attempt(r, 0)->error_class, LLMGW_ERRCLASS_CONTEXT_LENGTH_EXCEEDED);
    assert_int_equal(llmgw_response_usage(r)->fallbacks, 1);
    llmgw_response_free(r);
    itest_stop(&t);
}

/* A deployment whose window cannot fit the request is skipped before any call. */
static void test_context_fit_skips_before_calling(void **state)
{
    itest t;
    llmgw_response *r = NULL;
    char prompt[2000];

    (void)state;
    memset(prompt, 'x', sizeof(prompt) - 1);
    prompt[sizeof(prompt) - 1] = '\0';
    start(&t, 3);
    add_full(&t, "small", "s", "gpt-small", 0, 0, 0, 100);
    assert_int_equal(itest_complete(&t, "small", prompt, &r), LLMGW_EPROVIDER);
    assert_int_equal(llmgw_error_last()->error_class, LLMGW_ERRCLASS_CONTEXT_LENGTH_EXCEEDED);
    assert_int_equal(itest_request_count(&t, "s"), 0);
    /* with a context-window fallback it goes straight to the larger group */
    add_full(&t, "big", "b", "gpt-big", 0, 0, 0, 100000);
    assert_int_equal(llmgw_gateway_add_fallback(t.gw, LLMGW_FALLBACK_CONTEXT_WINDOW, "small", "big"), 0);
    assert_int_equal(itest_complete(&t, "small", prompt, &r), 0);
    assert_string_equal(llmgw_response_model(r), "gpt-big");
    assert_int_equal(llmgw_response_attempt_count(r), 1);
    assert_int_equal(itest_request_count(&t, "s"), 0);
    llmgw_response_free(r);
    /* a short prompt still uses the small one */
    assert_int_equal(itest_complete(&t, "small", "hi", &r), 0);
    assert_string_equal(llmgw_response_model(r), "gpt-small");
    llmgw_response_free(r);
    itest_stop(&t);
}

static void test_default_and_content_policy_fallbacks(void **state)
{
    itest t;
    llmgw_response *r = NULL;

    (void)state;
    start(&t, 3);
    add_full(&t, "primary", "p", "gpt-p", 0, 0, 0, 0);
    add_full(&t, "backup", "b", "gpt-b", 0, 0, 0, 0);
    assert_int_equal(llmgw_gateway_add_fallback(t.gw, LLMGW_FALLBACK_DEFAULT, "primary", "backup"), 0);
    itest_script(&t, "p", "{\"steps\":[{\"status\":501}],\"then\":\"repeat_last\"}");
    assert_int_equal(itest_complete(&t, "primary", "hi", &r), 0);
    assert_string_equal(llmgw_response_model(r), "gpt-b");
    llmgw_response_free(r);
    /* content policy never falls back unless configured */
    itest_stop(&t);
    start(&t, 3);
    add_full(&t, "primary", "p", "gpt-p", 0, 0, 0, 0);
    add_full(&t, "backup", "b", "gpt-b", 0, 0, 0, 0);
    assert_int_equal(llmgw_gateway_add_fallback(t.gw, LLMGW_FALLBACK_DEFAULT, "primary", "backup"), 0);
    itest_script(&t, "p", "{\"steps\":[{\"status\":400,\"error_code\":\"content_policy_violation\"}],"
                          "\"then\":\"repeat_last\"}");
    assert_int_equal(itest_complete(&t, "primary", "hi", &r), LLMGW_EPROVIDER);
    assert_int_equal(llmgw_error_last()->error_class, LLMGW_ERRCLASS_CONTENT_POLICY);
    assert_int_equal(itest_request_count(&t, "b"), 0);
    assert_int_equal(llmgw_gateway_add_fallback(t.gw, LLMGW_FALLBACK_CONTENT_POLICY, "primary", "backup"), 0);
    assert_int_equal(itest_complete(&t, "primary", "hi", &r), 0);
    assert_string_equal(llmgw_response_model(r), "gpt-b");
    llmgw_response_free(r);
    itest_stop(&t);
}

static void test_all_down_fails_fast(void **state)
{
    itest t;
    llmgw_gateway_options o;
    llmgw_response *r = NULL;
    int before;

    (void)state;
    llmgw_gateway_options_init(&o, LLMGW_GATEWAY_OPTIONS_VERSION);
    o.max_attempts = 2;
    o.allowed_fails = 1;
    o.cooldown_ms = 5000;
    itest_start(&t, &o);
    add_full(&t, "g", "a", "gpt-a", 0, 0, 0, 0);
    add_full(&t, "g", "b", "gpt-b", 0, 0, 0, 0);
    itest_script(&t, "a", "{\"steps\":[{\"status\":503}],\"then\":\"repeat_last\"}");
    itest_script(&t, "b", "{\"steps\":[{\"status\":503}],\"then\":\"repeat_last\"}");
    assert_int_equal(itest_complete(&t, "g", "hi", &r), LLMGW_EUNAVAILABLE);
    before = itest_request_count(&t, "a") + itest_request_count(&t, "b");
    assert_int_equal(before, 2);
    /* both open: no upstream request, a retry_after_ms of about the open time */
    assert_int_equal(itest_complete(&t, "g", "hi", &r), LLMGW_EUNAVAILABLE);
    assert_int_equal(itest_request_count(&t, "a") + itest_request_count(&t, "b"), before);
    assert_int_equal(llmgw_error_last()->attempt_count, 0);
    assert_true(llmgw_error_last()->retry_after_ms > 3000 && llmgw_error_last()->retry_after_ms <= 5600);
    itest_stop(&t);
}

static void test_rpm_limits(void **state)
{
    itest t;
    llmgw_response *r = NULL;
    int i;

    (void)state;
    start(&t, 3);
    add_full(&t, "g", "a", "gpt-a", 1, 2, 0, 0);
    add_full(&t, "g", "b", "gpt-b", 2, 0, 0, 0);
    for (i = 0; i < 5; i++) {
        assert_int_equal(itest_complete(&t, "g", "hi", &r), 0);
        llmgw_response_free(r);
    }
    assert_int_equal(itest_request_count(&t, "a"), 2);      /* a at its 2 rpm: skipped, not called */
    assert_int_equal(itest_request_count(&t, "b"), 3);
    itest_stop(&t);
    /* alone at its limit: a rate-limit error with a retry_after_ms, nothing sent */
    start(&t, 3);
    add_full(&t, "g", "a", "gpt-a", 0, 1, 0, 0);
    assert_int_equal(itest_complete(&t, "g", "hi", &r), 0);
    llmgw_response_free(r);
    assert_int_equal(itest_complete(&t, "g", "hi", &r), LLMGW_ERATELIMIT);
    assert_int_equal(llmgw_error_last()->error_class, LLMGW_ERRCLASS_RATE_LIMIT);
    assert_true(llmgw_error_last()->retry_after_ms > 0 && llmgw_error_last()->retry_after_ms <= 60000);
    assert_int_equal(itest_request_count(&t, "a"), 1);
    itest_stop(&t);
}

typedef struct bg {
    itest *t;
    int    rc;
} bg;

static void *slow_request(void *arg)
{
    bg *b = arg;
    llmgw_response *r = NULL;

    b->rc = itest_complete(b->t, "g", "slow", &r);
    llmgw_response_free(r);
    return NULL;
}

static void test_max_parallel(void **state)
{
    itest t;
    llmgw_response *r = NULL;
    pthread_t th;
    bg b;
    int waited = 0;

    (void)state;
    start(&t, 3);
    add_full(&t, "g", "a", "gpt-a", 1, 0, 1, 0);
    add_full(&t, "g", "b", "gpt-b", 2, 0, 0, 0);
    itest_script(&t, "a", "[{\"first_byte_delay_ms\":800}]");
    b.t = &t;
    assert_int_equal(pthread_create(&th, NULL, slow_request, &b), 0);
    while (itest_request_count(&t, "a") == 0 && waited++ < 200) {
        struct timespec ts = { 0, 5000000 };
        nanosleep(&ts, NULL);
    }
    assert_int_equal(itest_request_count(&t, "a"), 1);
    /* a has one in flight: this one goes to b */
    assert_int_equal(itest_complete(&t, "g", "hi", &r), 0);
    assert_string_equal(llmgw_response_model(r), "gpt-b");
    llmgw_response_free(r);
    pthread_join(th, NULL);
    assert_int_equal(b.rc, 0);
    itest_stop(&t);
}

static void test_alias(void **state)
{
    itest t;
    llmgw_response *r = NULL;

    (void)state;
    start(&t, 1);
    add_full(&t, "g", "a", "gpt-a", 0, 0, 0, 0);
    assert_int_equal(llmgw_gateway_add_alias(t.gw, "fast", "g"), 0);
    assert_int_equal(llmgw_gateway_add_alias(t.gw, "fast", "g"), LLMGW_EINVAL);
    assert_int_equal(llmgw_gateway_add_alias(t.gw, "faster", "fast"), LLMGW_EINVAL);   /* no chains */
    assert_int_equal(itest_complete(&t, "fast", "hi", &r), 0);
    assert_string_equal(llmgw_response_usage(r)->group, "g");
    assert_string_equal(llmgw_response_usage(r)->model_requested, "fast");
    llmgw_response_free(r);
    itest_stop(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_429_fails_over_without_waiting),
        cmocka_unit_test(test_context_window_fallback),
        cmocka_unit_test(test_context_fit_skips_before_calling),
        cmocka_unit_test(test_default_and_content_policy_fallbacks),
        cmocka_unit_test(test_all_down_fails_fast),
        cmocka_unit_test(test_rpm_limits),
        cmocka_unit_test(test_max_parallel),
        cmocka_unit_test(test_alias),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
