/*
 * Integration: the metrics snapshot and its Prometheus and JSON renderings
 * agree with what happened (requests, failures, tokens the mock billed,
 * retries, breaker openings).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "itest.h"

static void test_metrics_follow_requests(void **state)
{
    itest t;
    llmgw_gateway_options o;
    llmgw_response *r = NULL;
    llmgw_metrics *m = NULL;
    llmgw_metrics_totals tot;
    llmgw_buf text = LLMGW_BUF_INIT, json = LLMGW_BUF_INIT;
    mock_ledger led;
    collect c;
    char line[256];
    int i;

    (void)state;
    llmgw_gateway_options_init(&o, LLMGW_GATEWAY_OPTIONS_VERSION);
    o.max_attempts = 2;
    o.allowed_fails = 2;
    itest_start(&t, &o);
    itest_add(&t, "g", "ok", "gpt-ok");
    itest_add(&t, "bad", "bad", "gpt-bad");
    itest_script(&t, "bad", "{\"steps\":[{\"status\":503}],\"then\":\"repeat_last\"}");
    for (i = 0; i < 3; i++) {
        assert_int_equal(itest_complete(&t, "g", "one two three", &r), 0);
        llmgw_response_free(r);
    }
    collect_init(&c);
    assert_int_equal(itest_stream(&t, "g", "four", &c, NULL), 0);
    assert_int_equal(itest_complete(&t, "bad", "x", &r), LLMGW_EUNAVAILABLE);   /* 2 attempts, opens */
    assert_int_equal(itest_complete(&t, "bad", "x", &r), LLMGW_EUNAVAILABLE);   /* fails fast */

    assert_int_equal(llmgw_metrics_get(&m, t.gw), 0);
    assert_int_equal(llmgw_metrics_totals_get(&tot, m), 0);
    mock_server_ledger(t.srv, "ok", &led);
    assert_int_equal(tot.requests, 6);
    assert_int_equal(tot.failures, 2);
    assert_int_equal(tot.attempts, 4 + 2);
    assert_int_equal(tot.retries, 1);
    assert_int_equal(tot.input_tokens, led.prompt_tokens);
    assert_int_equal(tot.output_tokens, led.completion_tokens);
    assert_int_equal(tot.breaker_openings, 1);

    assert_int_equal(llmgw_metrics_to_prometheus(&text, m), 0);
    snprintf(line, sizeof(line), "llmgw_requests_total{provider=\"openai\",model=\"gpt-ok\",status=\"success\"} 4\n");
    assert_non_null(strstr(text.ptr, line));
    assert_non_null(strstr(text.ptr, "llmgw_requests_total{provider=\"openai\",model=\"gpt-bad\",status=\"failure\"} 1\n"));
    assert_non_null(strstr(text.ptr, "llmgw_errors_total{provider=\"openai\",model=\"gpt-bad\",class=\"server_error\"} 1\n"));
    snprintf(line, sizeof(line), "llmgw_tokens_total{provider=\"openai\",model=\"gpt-ok\",type=\"input\"} %llu\n",
             (unsigned long long)led.prompt_tokens);
    assert_non_null(strstr(text.ptr, line));
    assert_non_null(strstr(text.ptr, "llmgw_request_duration_seconds_bucket{provider=\"openai\",model=\"gpt-ok\",le=\"+Inf\"} 4\n"));
    assert_non_null(strstr(text.ptr, "llmgw_time_to_first_token_seconds_count{provider=\"openai\",model=\"gpt-ok\"} 1\n"));
    assert_non_null(strstr(text.ptr, "# TYPE llmgw_deployment_cooldowns_total counter\n"));
    assert_non_null(strstr(text.ptr, "llmgw_deployment_cooldowns_total{deployment=\"openai/gpt-bad@"));
    assert_null(strstr(text.ptr, "SECRETKEY"));
    assert_int_equal(llmgw_metrics_to_json(&json, m), 0);
    assert_non_null(strstr(json.ptr, "\"requests\":6"));
    llmgw_buf_dispose(&text);
    llmgw_buf_dispose(&json);
    llmgw_metrics_free(m);
    itest_stop(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_metrics_follow_requests),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
