/*
 * Integration: the response cache in the executor, over loopback HTTP:
 * hits settle at cost 0 with the saved cost, streams replay through the
 * sink, per-request controls (no-cache, no-store, ttl, s-maxage, namespace),
 * a multi-tenant gateway refuses a request without a namespace, and only
 * complete answers with a terminal finish are stored.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "itest.h"

static void start(itest *t, int require_namespace)
{
    llmgw_gateway_options o;
    llmgw_deployment_options d;
    char base[256];

    assert_int_equal(llmgw_gateway_options_init(&o, LLMGW_GATEWAY_OPTIONS_VERSION), 0);
    o.max_attempts = 1;
    o.cache_enabled = 1;
    o.cache_require_namespace = require_namespace;
    itest_start(t, &o);
    snprintf(base, sizeof(base), "%s/lane/a/v1", mock_server_base_url(t->srv));
    assert_int_equal(llmgw_deployment_options_init(&d, LLMGW_DEPLOYMENT_OPTIONS_VERSION), 0);
    d.group = "g";
    d.model = "openai/gpt-test";
    d.api_base = base;
    d.api_key = TEST_KEY;
    d.custom_prices = 1;
    d.input_cost_per_token = 1e-6;
    d.output_cost_per_token = 2e-6;
    assert_int_equal(llmgw_gateway_add_deployment(t->gw, &d), 0);
    itest_script(t, "a", "{\"steps\":[{\"text\":\"cached words here\",\"usage\":{\"prompt_tokens\":40,"
                         "\"completion_tokens\":3}}],\"then\":\"repeat_last\"}");
}

static llmgw_request *req(const char *prompt, int flags, int64_t ttl_ms, int64_t max_age_ms, const char *ns)
{
    llmgw_request *q = itest_request("g", prompt);

    if (flags || ttl_ms || max_age_ms || ns)
        assert_int_equal(llmgw_request_set_cache_control(q, flags, ttl_ms, max_age_ms, ns), 0);
    return q;
}

static int run(itest *t, llmgw_request *q, llmgw_response **out)
{
    int rc = llmgw_complete(t->gw, q, out);
    llmgw_request_free(q);
    return rc;
}

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

static void test_hit_costs_nothing(void **state)
{
    itest t;
    llmgw_response *r1 = NULL, *r2 = NULL;
    const llmgw_usage *u;
    llmgw_metrics *m = NULL;
    llmgw_metrics_totals tot;

    (void)state;
    start(&t, 0);
    assert_int_equal(run(&t, req("what is cached?", 0, 0, 0, NULL), &r1), 0);
    assert_int_equal(llmgw_response_cache_hit(r1), 0);
    assert_int_equal(run(&t, req("what is cached?", 0, 0, 0, NULL), &r2), 0);
    assert_int_equal(itest_request_count(&t, "a"), 1);
    assert_int_equal(llmgw_response_cache_hit(r2), 1);
    assert_string_equal(llmgw_response_text(r2), llmgw_response_text(r1));
    assert_string_equal(llmgw_response_finish_reason(r2), "stop");
    assert_string_equal(llmgw_response_provider(r2), "openai");
    assert_string_equal(llmgw_response_deployment(r2), llmgw_response_deployment(r1));
    u = llmgw_response_usage(r2);
    assert_int_equal(u->cache_hit, 1);
    assert_int_equal(u->attempts, 0);
    assert_int_equal(u->cost_nusd, 0);
    assert_int_equal(u->cost_source, LLMGW_COST_COMPUTED);
    assert_int_equal(u->saved_cost_nusd, 40 * 1000 + 3 * 2000);
    assert_int_equal(u->saved_cost_nusd, llmgw_response_usage(r1)->cost_nusd);
    assert_int_equal(u->input_tokens, 40);
    assert_int_equal(u->output_tokens, 3);
    assert_int_equal(t.usage_records, 2);
    assert_int_equal(llmgw_metrics_get(&m, t.gw), 0);
    assert_int_equal(llmgw_metrics_totals_get(&tot, m), 0);
    assert_int_equal(tot.cache_hits, 1);
    assert_int_equal(tot.cache_misses, 1);
    llmgw_metrics_free(m);
    llmgw_response_free(r1);
    llmgw_response_free(r2);
    itest_stop(&t);
}

/* An answer stored from a plain call is replayed to a streaming caller, and the other way round. */
static void test_stream_replay(void **state)
{
    itest t;
    llmgw_response *r = NULL;
    collect c;

    (void)state;
    start(&t, 0);
    assert_int_equal(run(&t, req("stream me", 0, 0, 0, NULL), &r), 0);
    llmgw_response_free(r);
    collect_init(&c);
    assert_int_equal(itest_stream(&t, "g", "stream me", &c, &r), 0);
    assert_int_equal(itest_request_count(&t, "a"), 1);
    assert_string_equal(c.text, "cached words here");
    assert_true(c.text_calls >= 1);
    assert_int_equal(c.usage_calls, 1);
    assert_int_equal(c.done_calls, 1);
    assert_true(c.order_ok);
    assert_int_equal(llmgw_response_cache_hit(r), 1);
    assert_int_equal(llmgw_response_usage(r)->stream, 1);
    llmgw_response_free(r);

    /* streamed first, then asked plainly */
    collect_init(&c);
    assert_int_equal(itest_stream(&t, "g", "streamed first", &c, &r), 0);
    llmgw_response_free(r);
    assert_int_equal(itest_request_count(&t, "a"), 2);
    assert_int_equal(run(&t, req("streamed first", 0, 0, 0, NULL), &r), 0);
    assert_int_equal(itest_request_count(&t, "a"), 2);
    assert_int_equal(llmgw_response_cache_hit(r), 1);
    assert_string_equal(llmgw_response_text(r), "cached words here");
    llmgw_response_free(r);
    itest_stop(&t);
}

/* A stream callback that stops a replay stops the request (cancelled), as on a live stream. */
static void test_replay_stopped_by_callback(void **state)
{
    itest t;
    llmgw_response *r = NULL;
    collect c;

    (void)state;
    start(&t, 0);
    assert_int_equal(run(&t, req("stop early", 0, 0, 0, NULL), &r), 0);
    llmgw_response_free(r);
    collect_init(&c);
    c.stop_after_text = 1;
    assert_int_equal(itest_stream(&t, "g", "stop early", &c, &r), LLMGW_EUSER);
    assert_null(r);
    assert_int_equal(c.error_calls, 1);
    assert_int_equal(c.error_class, LLMGW_ERRCLASS_CANCELLED);
    assert_int_equal(c.done_calls, 0);
    itest_stop(&t);
}

static void test_controls(void **state)
{
    itest t;
    llmgw_response *r = NULL;

    (void)state;
    start(&t, 0);
    /* no-store: answered upstream, not kept */
    assert_int_equal(run(&t, req("q1", LLMGW_CACHE_NO_STORE, 0, 0, NULL), &r), 0);
    llmgw_response_free(r);
    assert_int_equal(run(&t, req("q1", 0, 0, 0, NULL), &r), 0);
    assert_int_equal(llmgw_response_cache_hit(r), 0);
    llmgw_response_free(r);
    assert_int_equal(itest_request_count(&t, "a"), 2);
    /* now stored: no-cache goes upstream anyway */
    assert_int_equal(run(&t, req("q1", LLMGW_CACHE_NO_CACHE, 0, 0, NULL), &r), 0);
    assert_int_equal(llmgw_response_cache_hit(r), 0);
    llmgw_response_free(r);
    assert_int_equal(itest_request_count(&t, "a"), 3);
    assert_int_equal(run(&t, req("q1", 0, 0, 0, NULL), &r), 0);
    assert_int_equal(llmgw_response_cache_hit(r), 1);
    llmgw_response_free(r);
    assert_int_equal(itest_request_count(&t, "a"), 3);
    /* a parameter changes the key */
    {
        llmgw_request *q = req("q1", 0, 0, 0, NULL);
        assert_int_equal(llmgw_request_set_temperature(q, 0.5), 0);
        assert_int_equal(run(&t, q, &r), 0);
        assert_int_equal(llmgw_response_cache_hit(r), 0);
        llmgw_response_free(r);
    }
    /* the user and metadata do not */
    {
        llmgw_request *q = req("q1", 0, 0, 0, NULL);
        assert_int_equal(llmgw_request_set_user(q, "someone-else"), 0);
        assert_int_equal(run(&t, q, &r), 0);
        assert_int_equal(llmgw_response_cache_hit(r), 1);
        llmgw_response_free(r);
    }
    /* tenants never share */
    assert_int_equal(run(&t, req("q1", 0, 0, 0, "tenant-1"), &r), 0);
    assert_int_equal(llmgw_response_cache_hit(r), 0);
    llmgw_response_free(r);
    assert_int_equal(run(&t, req("q1", 0, 0, 0, "tenant-2"), &r), 0);
    assert_int_equal(llmgw_response_cache_hit(r), 0);
    llmgw_response_free(r);
    assert_int_equal(run(&t, req("q1", 0, 0, 0, "tenant-1"), &r), 0);
    assert_int_equal(llmgw_response_cache_hit(r), 1);
    llmgw_response_free(r);
    itest_stop(&t);
}

static void test_ttl_and_max_age(void **state)
{
    itest t;
    llmgw_response *r = NULL;

    (void)state;
    start(&t, 0);
    /* stored for 100 ms only */
    assert_int_equal(run(&t, req("short", 0, 100, 0, NULL), &r), 0);
    llmgw_response_free(r);
    sleep_ms(250);
    assert_int_equal(run(&t, req("short", 0, 0, 0, NULL), &r), 0);
    assert_int_equal(llmgw_response_cache_hit(r), 0);
    llmgw_response_free(r);
    assert_int_equal(itest_request_count(&t, "a"), 2);
    /* s-maxage: an answer older than the caller accepts is not used */
    sleep_ms(60);
    assert_int_equal(run(&t, req("short", 0, 0, 20, NULL), &r), 0);
    assert_int_equal(llmgw_response_cache_hit(r), 0);
    llmgw_response_free(r);
    assert_int_equal(run(&t, req("short", 0, 0, 600000, NULL), &r), 0);
    assert_int_equal(llmgw_response_cache_hit(r), 1);
    llmgw_response_free(r);
    assert_int_equal(itest_request_count(&t, "a"), 3);
    itest_stop(&t);
}

static void test_multi_tenant_needs_namespace(void **state)
{
    itest t;
    llmgw_response *r = NULL;

    (void)state;
    start(&t, 1);
    assert_int_equal(run(&t, req("who am i", 0, 0, 0, NULL), &r), LLMGW_EINVAL);
    assert_null(r);
    assert_int_equal(llmgw_error_last()->error_class, LLMGW_ERRCLASS_BAD_REQUEST);
    assert_non_null(strstr(llmgw_error_last()->message, "namespace"));
    assert_int_equal(itest_request_count(&t, "a"), 0);
    assert_int_equal(run(&t, req("who am i", 0, 0, 0, "t1"), &r), 0);
    llmgw_response_free(r);
    itest_stop(&t);
}

/* Failures and non-terminal finishes are never stored; "length" is. */
static void test_only_complete_answers_stored(void **state)
{
    itest t;
    llmgw_response *r = NULL;

    (void)state;
    start(&t, 0);
    itest_script(&t, "a", "[{\"status\":500},{\"finish_reason\":\"content_filter\"},{\"finish_reason\":\"length\"}]");
    assert_int_not_equal(run(&t, req("x", 0, 0, 0, NULL), &r), 0);
    assert_int_equal(run(&t, req("x", 0, 0, 0, NULL), &r), 0);       /* content_filter: not stored */
    assert_string_equal(llmgw_response_finish_reason(r), "content_filter");
    llmgw_response_free(r);
    assert_int_equal(run(&t, req("x", 0, 0, 0, NULL), &r), 0);       /* length: stored */
    assert_int_equal(llmgw_response_cache_hit(r), 0);
    llmgw_response_free(r);
    assert_int_equal(run(&t, req("x", 0, 0, 0, NULL), &r), 0);
    assert_int_equal(llmgw_response_cache_hit(r), 1);
    assert_string_equal(llmgw_response_finish_reason(r), "length");
    llmgw_response_free(r);
    assert_int_equal(itest_request_count(&t, "a"), 3);
    itest_stop(&t);
}

/* Tool calls come back whole from the cache, in both modes. */
static void test_tool_calls_cached(void **state)
{
    itest t;
    llmgw_response *r = NULL;
    collect c;

    (void)state;
    start(&t, 0);
    itest_script(&t, "a", "[{\"tool_calls\":[{\"id\":\"call_1\",\"name\":\"get_weather\","
                          "\"arguments\":{\"city\":\"Paris\"}}]}]");
    assert_int_equal(run(&t, req("weather?", 0, 0, 0, NULL), &r), 0);
    llmgw_response_free(r);
    assert_int_equal(run(&t, req("weather?", 0, 0, 0, NULL), &r), 0);
    assert_int_equal(llmgw_response_cache_hit(r), 1);
    assert_int_equal(llmgw_response_tool_call_count(r), 1);
    assert_string_equal(llmgw_response_tool_call(r, 0)->name, "get_weather");
    assert_string_equal(llmgw_response_tool_call(r, 0)->id, "call_1");
    assert_string_equal(llmgw_response_tool_call(r, 0)->arguments, "{\"city\":\"Paris\"}");
    assert_string_equal(llmgw_response_finish_reason(r), "tool_calls");
    llmgw_response_free(r);
    collect_init(&c);
    assert_int_equal(itest_stream(&t, "g", "weather?", &c, &r), 0);
    assert_int_equal(c.tool_calls, 1);
    assert_string_equal(c.tool_names[0], "get_weather");
    assert_string_equal(c.tool_args[0], "{\"city\":\"Paris\"}");
    llmgw_response_free(r);
    assert_int_equal(itest_request_count(&t, "a"), 1);
    itest_stop(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hit_costs_nothing),
        cmocka_unit_test(test_stream_replay),
        cmocka_unit_test(test_replay_stopped_by_callback),
        cmocka_unit_test(test_controls),
        cmocka_unit_test(test_ttl_and_max_age),
        cmocka_unit_test(test_multi_tenant_needs_namespace),
        cmocka_unit_test(test_only_complete_answers_stored),
        cmocka_unit_test(test_tool_calls_cached),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
