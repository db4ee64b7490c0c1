/*
 * tests/oom/test_oom_complete.c: allocation failures along llmgw_complete()
 * (gateway, deployments and request built inside the scenario, so their
 * allocations are failure points too): a plain answer, a retry after 503
 * (simulated clock), failover inside a group, a fallback group, and tool
 * calls from a request parsed with llmgw_request_from_json.
 */
#include "scenarios.h"

#include <stdio.h>

#define HELLO "{\"model\":\"g\",\"messages\":[{\"role\":\"user\",\"content\":\"hello there\"}]}"

static void check_text(void *ctx, int rc, const oom_obs *obs)
{
    oom_gw *c = ctx;

    oom_check_usage(rc, obs);
    if (rc == 0) {
        OOM_CHECK_STR(llmgw_response_text(c->resp), MOCK_TEXT);
        OOM_CHECK_STR(llmgw_response_finish_reason(c->resp), "stop");
        OOM_CHECK(llmgw_response_usage(c->resp)->output_tokens == 5);
    }
}

/* ---- one deployment ---- */

static int setup_plain(void *ctx, oom_obs *obs)
{
    static const oom_dep deps[] = { { "a", "g", 0, NULL } };

    return oom_gw_setup(ctx, obs, deps, 1, NULL, NULL, HELLO);
}

static void test_complete(void **state)
{
    static const oom_scenario s = { "complete", sizeof(oom_gw), setup_plain, oom_gw_complete, check_text,
                                    oom_gw_teardown, 0 };
    (void)state;
    oom_run(&s);
}

/* ---- 503, then the answer: a retry of the same deployment after a (simulated) backoff ---- */

static int setup_retry(void *ctx, oom_obs *obs)
{
    static const oom_dep deps[] = { { "a", "g", 0, "{\"mock_response\": [{\"status\": 503}, \"" MOCK_TEXT "\"]}" } };

    return oom_gw_setup(ctx, obs, deps, 1, NULL, NULL, HELLO);
}

static void test_retry(void **state)
{
    static const oom_scenario s = { "complete_retry", sizeof(oom_gw), setup_retry, oom_gw_complete, check_text,
                                    oom_gw_teardown, 0 };
    (void)state;
    oom_run(&s);
}

/* ---- the first deployment of the group answers 404: failover to the second ---- */

static int setup_failover(void *ctx, oom_obs *obs)
{
    static const oom_dep deps[] = { { "a", "g", 1, "{\"mock_response\": {\"status\": 404}}" }, { "b", "g", 2, NULL } };

    return oom_gw_setup(ctx, obs, deps, 2, NULL, NULL, HELLO);
}

static void test_failover(void **state)
{
    static const oom_scenario s = { "complete_failover", sizeof(oom_gw), setup_failover, oom_gw_complete,
                                    check_text, oom_gw_teardown, 0 };
    (void)state;
    oom_run(&s);
}

/* ---- group g fails (404), its fallback group h answers ---- */

static int setup_fallback(void *ctx, oom_obs *obs)
{
    static const oom_dep deps[] = { { "a", "g", 0, "{\"mock_response\": {\"status\": 404}}" }, { "b", "h", 0, NULL } };

    return oom_gw_setup(ctx, obs, deps, 2, "g", "h", HELLO);
}

static void test_fallback(void **state)
{
    static const oom_scenario s = { "complete_fallback_group", sizeof(oom_gw), setup_fallback, oom_gw_complete,
                                    check_text, oom_gw_teardown, 0 };
    (void)state;
    oom_run(&s);
}

/* ---- tool calls, request from JSON with tools and caller metadata ---- */

#define TOOLS_REQUEST                                                                                   \
    "{\"model\":\"g\",\"messages\":[{\"role\":\"system\",\"content\":\"terse\"},"                        \
    "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"weather?\"}]}],"                      \
    "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"parameters\":"           \
    "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}}}}}],\"tool_choice\":\"auto\"," \
    "\"max_tokens\":50,\"temperature\":0.2,\"llmgw\":{\"customer\":\"c1\",\"tags\":[\"t1\",\"t2\"]},"    \
    "\"mock_response\":{\"text\":\"\",\"tool_calls\":[{\"id\":\"call_1\",\"name\":\"get_weather\","      \
    "\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\"}]}}"

static int setup_tools(void *ctx, oom_obs *obs)
{
    static const oom_dep deps[] = { { "a", "g", 0, NULL } };

    return oom_gw_setup(ctx, obs, deps, 1, NULL, NULL, TOOLS_REQUEST);
}

static void check_tools(void *ctx, int rc, const oom_obs *obs)
{
    oom_gw *c = ctx;
    const llmgw_tool_call *tc;

    oom_check_usage(rc, obs);
    if (rc == 0) {
        OOM_CHECK(llmgw_response_tool_call_count(c->resp) == 1);
        tc = llmgw_response_tool_call(c->resp, 0);
        OOM_CHECK_STR(tc->name, "get_weather");
        OOM_CHECK_STR(tc->arguments, "{\"city\":\"Paris\"}");
        OOM_CHECK_STR(llmgw_response_finish_reason(c->resp), "tool_calls");
    }
}

static void test_tools(void **state)
{
    static const oom_scenario s = { "complete_tools", sizeof(oom_gw), setup_tools, oom_gw_complete, check_tools,
                                    oom_gw_teardown, 0 };
    (void)state;
    oom_run(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_complete),
        cmocka_unit_test(test_retry),
        cmocka_unit_test(test_failover),
        cmocka_unit_test(test_fallback),
        cmocka_unit_test(test_tools),
    };

    oom_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
