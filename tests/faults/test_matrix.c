/*
 * tests/faults/test_matrix.c: the fault matrix (docs/resilience.md §e.2):
 * every row of rows.c in one mode, named on the command line (ns, stream,
 * failover-ns, failover-stream, cache-ns, cache-stream), plus the deadline
 * cases: an upstream that never answers, with no per-attempt timeout, ends
 * the request at its deadline (one attempt, class timeout, one terminal
 * callback, one usage record).
 *
 * Every row runs even when one fails; failures are printed with the row and
 * mode ("FAIL [503 / failover-ns] ...") and fail the test at the end. The
 * cache modes are skipped (exit 77) while the response cache does not answer
 * a repeated request yet.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "faults.h"
#include "itest.h"

static int g_mode = -1;

static void test_rows(void **state)
{
    fx f;
    size_t i;

    (void)state;
    fx_init(&f);
    for (i = 0; i < fault_row_count; i++)
        fx_run_row(&f, &fault_rows[i], g_mode);
    fprintf(stderr, "%s: %d cases, %d failed checks\n", fx_mode_name(g_mode), f.cases, f.failures);
    fx_done(&f);
    assert_int_equal(f.failures, 0);
}

/* No per-attempt timeout: a silent upstream costs the whole deadline, and not a moment more. */
static void test_deadline(void **state)
{
    static const char *const steps[] = {
        "{\"delay_ms\":-1}", "{\"first_byte_delay_ms\":60000}",
        "{\"text\":\"a b c d\",\"stall_after_events\":3,\"stall_ms\":-1}",
        "{\"drip_ms\":200}",
    };
    const bool stream = g_mode == FM_S || g_mode == FM_FO_S || g_mode == FM_C_S;
    fx f;
    size_t i;

    (void)state;
    if (g_mode != FM_NS && g_mode != FM_S)
        return;
    fx_init(&f);
    for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        llmgw_gateway_options o;
        llmgw_gateway *gw = NULL;
        llmgw_deployment_options d;
        llmgw_request *req = NULL;
        llmgw_response *r = NULL;
        collect *c = calloc(1, sizeof(*c));
        char lane[32], base[256], where[96];
        const int64_t deadline = 1500 * f.scale;
        double t0, dt;
        int rc;

        assert_non_null(c);
        if (i == 2 && !stream) {            /* a non-stream body is one event: nothing stalls mid-body */
            free(c);
            continue;
        }
        snprintf(lane, sizeof(lane), "deadline%zu", i);
        snprintf(where, sizeof(where), "deadline %s / %s", steps[i], fx_mode_name(g_mode));
        {
            char script[256];
            snprintf(script, sizeof(script), "{\"steps\":[%s],\"then\":\"repeat_last\"}", steps[i]);
            assert_int_equal(mock_server_script(f.srv, lane, script), 0);
        }
        llmgw_gateway_options_init(&o, LLMGW_GATEWAY_OPTIONS_VERSION);
        o.max_attempts = 3;
        o.idle_timeout_ms = 60000;          /* only the deadline can end it */
        o.first_byte_timeout_ms = 60000;
        assert_int_equal(llmgw_gateway_new(&gw, &o), 0);
        snprintf(base, sizeof(base), "%s/lane/%s/v1", mock_server_base_url(f.srv), lane);
        llmgw_deployment_options_init(&d, LLMGW_DEPLOYMENT_OPTIONS_VERSION);
        d.group = "g";
        d.model = "openai/gpt-a";
        d.api_base = base;
        d.api_key = "sk-deadline-0123456789abcdef";
        assert_int_equal(llmgw_gateway_add_deployment(gw, &d), 0);
        assert_int_equal(llmgw_request_new(&req, "g"), 0);
        assert_int_equal(llmgw_request_add_message(req, LLMGW_ROLE_USER, "hi"), 0);
        assert_int_equal(llmgw_request_set_deadline_ms(req, deadline), 0);
        collect_init(c);
        t0 = fx_now_ms();
        if (stream) {
            llmgw_stream_sink s = collect_sink(c);
            rc = llmgw_complete_stream(gw, req, &s, &r);
        } else {
            rc = llmgw_complete(gw, req, &r);
        }
        dt = fx_now_ms() - t0;
        fx_check(&f, rc != 0, where, "succeeded");
        fx_check(&f, dt >= (double)deadline - 50.0 && dt <= (double)deadline + 1000.0 * f.scale, where,
                 "ended after %.0f ms, deadline %lld ms", dt, (long long)deadline);
        fx_check(&f, llmgw_error_last()->attempt_count == 1, where, "%zu attempts, want 1",
                 llmgw_error_last()->attempt_count);
        if (i == 2 && stream)
            fx_check(&f, rc == LLMGW_EUNAVAILABLE && llmgw_error_last()->error_class == LLMGW_ERRCLASS_STREAM_CUT,
                     where, "returned %d class %s, want a cut stream", rc,
                     llmgw_error_class_str(llmgw_error_last()->error_class));
        else
            fx_check(&f, rc == LLMGW_ETIMEOUT && llmgw_error_last()->error_class == LLMGW_ERRCLASS_TIMEOUT, where,
                     "returned %d class %s, want a timeout", rc,
                     llmgw_error_class_str(llmgw_error_last()->error_class));
        if (stream)
            fx_check(&f, c->done_calls == 0 && c->error_calls == 1, where, "%d on_done, %d on_error",
                     c->done_calls, c->error_calls);
        llmgw_response_free(r);
        llmgw_request_free(req);
        llmgw_gateway_free(gw);
        free(c);
    }
    fx_done(&f);
    assert_int_equal(f.failures, 0);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows),
        cmocka_unit_test(test_deadline),
    };
    int m;

    for (m = 0; argc > 1 && m < FM__COUNT; m++)
        if (strcmp(argv[1], fx_mode_name(m)) == 0)
            g_mode = m;
    if (g_mode < 0) {
        fprintf(stderr, "usage: %s ns|stream|failover-ns|failover-stream|cache-ns|cache-stream\n", argv[0]);
        return 2;
    }
    if (g_mode == FM_C_NS || g_mode == FM_C_S) {
        fx f;
        int wired;
        fx_init(&f);
        wired = fx_cache_wired(&f);
        fx_done(&f);
        if (!wired) {
            printf("SKIP: the response cache does not answer a repeated request yet "
                   "(cache_enabled and llmgw_request_set_cache_control have no effect in lib/core/complete.c)\n");
            return 77;
        }
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
