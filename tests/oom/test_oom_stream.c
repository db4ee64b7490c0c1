/*
 * tests/oom/test_oom_stream.c: allocation failures along
 * llmgw_complete_stream(): text, tool calls, and failover before the commit
 * point. Besides the driver's checks: exactly one terminal callback, whose
 * code is the call's, nothing after it, on_usage at most once, and on
 * success the delivered text is the whole answer.
 */
#include "scenarios.h"

#define HELLO "{\"model\":\"g\",\"messages\":[{\"role\":\"user\",\"content\":\"hello there\"}]}"

static void check_text(void *ctx, int rc, const oom_obs *obs)
{
    oom_gw *c = ctx;

    oom_check_stream(rc, obs);
    oom_check_usage(rc, obs);
    if (rc == 0) {
        OOM_CHECK_STR(obs->text, MOCK_TEXT);
        OOM_CHECK_STR(llmgw_response_text(c->resp), MOCK_TEXT);
        OOM_CHECK(obs->stream_usage_calls == 1);
    }
}

static int setup_plain(void *ctx, oom_obs *obs)
{
    static const oom_dep deps[] = { { "a", "g", 0, NULL } };

    return oom_gw_setup(ctx, obs, deps, 1, NULL, NULL, HELLO);
}

static void test_stream(void **state)
{
    static const oom_scenario s = { "stream", sizeof(oom_gw), setup_plain, oom_gw_stream, check_text,
                                    oom_gw_teardown, 0 };
    (void)state;
    oom_run(&s);
}

/* The first deployment resets before any event: failover before the commit point. */
static int setup_failover(void *ctx, oom_obs *obs)
{
    static const oom_dep deps[] = { { "a", "g", 1, "{\"mock_response\": {\"fault\": \"reset\"}}" }, { "b", "g", 2, NULL } };

    return oom_gw_setup(ctx, obs, deps, 2, NULL, NULL, HELLO);
}

static void test_stream_failover(void **state)
{
    static const oom_scenario s = { "stream_failover", sizeof(oom_gw), setup_failover, oom_gw_stream, check_text,
                                    oom_gw_teardown, 0 };
    (void)state;
    oom_run(&s);
}

#define TOOLS_REQUEST                                                                                   \
    "{\"model\":\"g\",\"messages\":[{\"role\":\"user\",\"content\":\"weather?\"}],"                      \
    "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\"}}],"                       \
    "\"mock_response\":{\"text\":\"Let me check.\",\"tool_calls\":[{\"id\":\"call_1\",\"name\":\"get_weather\"," \
    "\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\"},{\"id\":\"call_2\",\"name\":\"get_time\"}]}}"

static void check_tools(void *ctx, int rc, const oom_obs *obs)
{
    oom_gw *c = ctx;

    oom_check_stream(rc, obs);
    oom_check_usage(rc, obs);
    if (rc == 0) {
        OOM_CHECK_STR(obs->text, "Let me check.");
        OOM_CHECK(obs->tool_calls == 2);
        OOM_CHECK(llmgw_response_tool_call_count(c->resp) == 2);
        OOM_CHECK_STR(llmgw_response_tool_call(c->resp, 1)->name, "get_time");
        OOM_CHECK_STR(llmgw_response_finish_reason(c->resp), "tool_calls");
    }
}

static int setup_tools(void *ctx, oom_obs *obs)
{
    static const oom_dep deps[] = { { "a", "g", 0, NULL } };

    return oom_gw_setup(ctx, obs, deps, 1, NULL, NULL, TOOLS_REQUEST);
}

static void test_stream_tools(void **state)
{
    static const oom_scenario s = { "stream_tools", sizeof(oom_gw), setup_tools, oom_gw_stream, check_tools,
                                    oom_gw_teardown, 0 };
    (void)state;
    oom_run(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stream),
        cmocka_unit_test(test_stream_failover),
        cmocka_unit_test(test_stream_tools),
    };

    oom_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
