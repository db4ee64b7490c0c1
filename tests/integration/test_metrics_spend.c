/*
 * Integration: after a scripted sequence over loopback HTTP (a failover, a
 * cache miss then hit, a plain success, a failure), the metrics snapshot
 * holds exactly the spend the mock billed at the deployments' prices, the
 * cache hits and misses and the fallbacks, under the names and labels of
 * docs/conventions.md §8 (Prometheus text and JSON).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "itest.h"

/* USD per token, and nano-USD per token */
#define IN_USD   1e-6
#define OUT_USD  2e-6
#define IN_NUSD  1000
#define OUT_NUSD 2000

static void add(itest *t, const char *group, const char *lane, const char *model, int order)
{
    llmgw_deployment_options d;
    char base[256], full[256];

    snprintf(base, sizeof(base), "%s/lane/%s/v1", mock_server_base_url(t->srv), lane);
    snprintf(full, sizeof(full), "openai/%s", model);
    assert_int_equal(llmgw_deployment_options_init(&d, LLMGW_DEPLOYMENT_OPTIONS_VERSION), 0);
    d.group = group;
    d.model = full;
    d.api_base = base;
    d.api_key = TEST_KEY;
    d.order = order;
    d.custom_prices = 1;
    d.input_cost_per_token = IN_USD;
    d.output_cost_per_token = OUT_USD;
    assert_int_equal(llmgw_gateway_add_deployment(t->gw, &d), 0);
}

static void assert_line(const char *text, const char *line)
{
    if (strstr(text, line) == NULL)
        fail_msg("missing line: %s\n--- exposition ---\n%s", line, text);
}

static void test_spend_cache_and_fallback_metrics(void **state)
{
    itest t;
    llmgw_gateway_options o;
    llmgw_response *r = NULL;
    llmgw_metrics *m = NULL;
    llmgw_metrics_totals tot;
    llmgw_buf text = LLMGW_BUF_INIT, json = LLMGW_BUF_INIT;
    const int64_t spend_b = 100 * IN_NUSD + 50 * OUT_NUSD;          /* 0.0002 USD */
    const int64_t spend_a = 200 * IN_NUSD + 100 * OUT_NUSD;         /* 0.0004 USD */

    (void)state;
    assert_int_equal(llmgw_gateway_options_init(&o, LLMGW_GATEWAY_OPTIONS_VERSION), 0);
    o.max_attempts = 2;
    o.cache_enabled = 1;
    itest_start(&t, &o);
    add(&t, "g", "a", "gpt-a", 1);
    add(&t, "g", "b", "gpt-b", 2);
    add(&t, "down", "c", "gpt-c", 1);
    itest_script(&t, "a", "[{\"status\":503},{\"usage\":{\"prompt_tokens\":200,\"completion_tokens\":100}}]");
    itest_script(&t, "b", "[{\"usage\":{\"prompt_tokens\":100,\"completion_tokens\":50}}]");
    itest_script(&t, "c", "{\"steps\":[{\"status\":400}],\"then\":\"repeat_last\"}");

    /* 1: a answers 503, b serves (one fallback); a cache miss, the answer stored */
    assert_int_equal(itest_complete(&t, "g", "one", &r), 0);
    assert_int_equal(llmgw_response_usage(r)->fallbacks, 1);
    assert_int_equal(llmgw_response_usage(r)->cost_nusd, spend_b);
    llmgw_response_free(r);
    /* 2: the same question: a cache hit, nothing billed */
    assert_int_equal(itest_complete(&t, "g", "one", &r), 0);
    assert_int_equal(llmgw_response_usage(r)->cache_hit, 1);
    assert_int_equal(llmgw_response_usage(r)->cost_nusd, 0);
    llmgw_response_free(r);
    /* 3: another question: a serves it; a miss */
    assert_int_equal(itest_complete(&t, "g", "two", &r), 0);
    assert_int_equal(llmgw_response_usage(r)->fallbacks, 0);
    assert_int_equal(llmgw_response_usage(r)->cost_nusd, spend_a);
    llmgw_response_free(r);
    /* 4: a rejected request (400: not retried, not failed over); a miss */
    assert_int_equal(itest_complete(&t, "down", "three", &r), LLMGW_EPROVIDER);
    assert_int_equal(itest_request_count(&t, "a"), 2);
    assert_int_equal(itest_request_count(&t, "b"), 1);

    assert_int_equal(llmgw_metrics_get(&m, t.gw), 0);
    assert_int_equal(llmgw_metrics_totals_get(&tot, m), 0);
    assert_int_equal(tot.requests, 4);
    assert_int_equal(tot.failures, 1);
    assert_int_equal(tot.spend_nusd, spend_a + spend_b);
    assert_int_equal(tot.cache_hits, 1);
    assert_int_equal(tot.cache_misses, 3);
    assert_int_equal(tot.fallbacks, 1);
    /* tokens count the cache hit's record too (the cached answer's usage, at no cost) */
    assert_int_equal(tot.input_tokens, 100 + 100 + 200);
    assert_int_equal(tot.output_tokens, 50 + 50 + 100);

    assert_int_equal(llmgw_metrics_to_prometheus(&text, m), 0);
    assert_line(text.ptr, "# TYPE llmgw_spend_usd_total counter\n");
    assert_line(text.ptr, "llmgw_spend_usd_total{provider=\"openai\",model=\"gpt-b\"} 0.000200000\n");
    assert_line(text.ptr, "llmgw_spend_usd_total{provider=\"openai\",model=\"gpt-a\"} 0.000400000\n");
    assert_line(text.ptr, "# TYPE llmgw_cache_hits_total counter\n");
    assert_line(text.ptr, "llmgw_cache_hits_total 1\n");
    assert_line(text.ptr, "# TYPE llmgw_cache_misses_total counter\n");
    assert_line(text.ptr, "llmgw_cache_misses_total 3\n");
    assert_line(text.ptr, "# TYPE llmgw_fallbacks_total counter\n");
    assert_line(text.ptr, "llmgw_fallbacks_total{provider=\"openai\",model=\"gpt-b\"} 1\n");
    assert_line(text.ptr, "llmgw_fallbacks_total{provider=\"openai\",model=\"gpt-a\"} 0\n");
    assert_line(text.ptr, "llmgw_requests_total{provider=\"openai\",model=\"gpt-c\",status=\"failure\"} 1\n");
    assert_line(text.ptr, "llmgw_errors_total{provider=\"openai\",model=\"gpt-c\",class=\"bad_request\"} 1\n");
    assert_line(text.ptr, "llmgw_tokens_total{provider=\"openai\",model=\"gpt-a\",type=\"output\"} 100\n");
    assert_line(text.ptr, "llmgw_tokens_total{provider=\"openai\",model=\"gpt-b\",type=\"input\"} 200\n");
    assert_null(strstr(text.ptr, "SECRETKEY"));

    assert_int_equal(llmgw_metrics_to_json(&json, m), 0);
    {
        cJSON *o2 = cJSON_Parse(json.ptr);
        assert_non_null(o2);
        assert_true(cJSON_GetObjectItem(o2, "spend_nano_usd")->valuedouble == (double)(spend_a + spend_b));
        assert_true(cJSON_GetObjectItem(o2, "cache_hits")->valuedouble == 1);
        assert_true(cJSON_GetObjectItem(o2, "cache_misses")->valuedouble == 3);
        assert_true(cJSON_GetObjectItem(o2, "fallbacks")->valuedouble == 1);
        cJSON_Delete(o2);
    }
    llmgw_buf_dispose(&text);
    llmgw_buf_dispose(&json);
    llmgw_metrics_free(m);
    itest_stop(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spend_cache_and_fallback_metrics),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
