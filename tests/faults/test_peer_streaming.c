/*
 * tests/faults/test_peer_streaming.c: the streaming bugs of other gateways
 * (docs/resilience.md §c, "Streaming"), each proven absent over loopback HTTP.
 * The commit point is the first delivered event (§b.3): before it every retry
 * and failover rule applies, after it none, and a failed stream never ends as
 * a clean finish.
 */
#include "peer.h"

/* A group "g": a faulty deployment first, a healthy one (another key) second. */
static void start_pair(peer *p, const char *provider, const char *fault_script)
{
    llmgw_gateway_options o = peer_opts(3);
    char a[64], b[64];

    o.idle_timeout_ms = 400;
    o.first_byte_timeout_ms = 2000;
    peer_start(p, &o);
    snprintf(a, sizeof(a), "%s/model-a", provider);
    snprintf(b, sizeof(b), "%s/model-b", provider);
    peer_add(p, "g", "a", a, PEER_KEY_A, 1);
    peer_add(p, "g", "b", b, PEER_KEY_B, 2);
    peer_script(p, "a", fault_script);
}

/* Streamed over the pair: b answered, exactly once, with nothing of a's attempt delivered. */
static void expect_failed_over(peer *p, const char *what)
{
    shot s;

    peer_call(p, &s, "g", "hello", 1, 0);
    if (s.rc != 0)
        fail_msg("%s: no failover: %d %s", what, s.rc, s.msg);
    assert_int_equal(s.c.done_calls, 1);
    assert_int_equal(s.c.error_calls, 0);
    assert_true(s.c.order_ok);
    assert_int_equal(s.attempts, 2);
    assert_string_equal(s.model[0], "model-a");
    assert_string_equal(s.model[1], "model-b");
    assert_string_equal(s.c.text, s.text);          /* only b's answer reached the sink */
    assert_int_equal(peer_count(p, "b"), 1);
    assert_int_equal(p->usage_records, 1);
}

/*
 * LiteLLM #6957: no fallback on Anthropic "Overloaded" when streaming. Would
 * catch: a 529 overloaded_error, or an `event: error` overloaded_error before
 * the first content, ending a stream instead of failing over.
 */
static void test_litellm_6957_overloaded_stream_fails_over(void **state)
{
    peer p;

    (void)state;
    start_pair(&p, "anthropic", "{\"steps\":[{\"status\":529}],\"then\":\"repeat_last\"}");
    expect_failed_over(&p, "529 overloaded_error");
    peer_stop(&p);
    start_pair(&p, "anthropic", "{\"steps\":[{\"error_event\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"},"
                                "\"error_after_events\":1}],\"then\":\"repeat_last\"}");
    expect_failed_over(&p, "event: error overloaded_error");
    peer_stop(&p);
}

/*
 * LiteLLM #40404: no fallback when a stream was cut, stalled, or had one
 * malformed SSE line. Would catch: any of the three, before the first
 * content, ending the request instead of failing over.
 */
static void test_litellm_40404_cut_stalled_malformed_streams_fail_over(void **state)
{
    static const char *const faults[] = {
        "{\"steps\":[{\"cut_after_events\":1}],\"then\":\"repeat_last\"}",
        "{\"steps\":[{\"stall_after_events\":1,\"stall_ms\":-1}],\"then\":\"repeat_last\"}",
        "{\"steps\":[{\"malformed\":true}],\"then\":\"repeat_last\"}",
        "{\"steps\":[{\"reset\":\"after_events\",\"reset_after_events\":1}],\"then\":\"repeat_last\"}",
    };
    const char *providers[] = { "openai", "anthropic" };
    size_t i, j;
    peer p;

    (void)state;
    for (j = 0; j < 2; j++)
        for (i = 0; i < sizeof(faults) / sizeof(faults[0]); i++) {
            start_pair(&p, providers[j], faults[i]);
            expect_failed_over(&p, faults[i]);
            peer_stop(&p);
        }
}

/*
 * LiteLLM PR #26067: auth and 429 errors raised inside the stream iterator
 * bypassed retry and fallback. Would catch: an in-stream error before the
 * first content not classified like its HTTP twin.
 */
static void test_litellm_26067_auth_and_429_inside_the_stream_fail_over(void **state)
{
    peer p;

    (void)state;
    start_pair(&p, "openai", "{\"steps\":[{\"error_event\":{\"message\":\"Incorrect API key provided\","
                             "\"type\":\"invalid_request_error\",\"code\":\"invalid_api_key\"},\"error_after_events\":1}],"
                             "\"then\":\"repeat_last\"}");
    expect_failed_over(&p, "in-stream invalid_api_key");
    peer_stop(&p);
    start_pair(&p, "openai", "{\"steps\":[{\"error_event\":{\"message\":\"Rate limit reached\",\"type\":\"requests\","
                             "\"code\":\"rate_limit_exceeded\"},\"error_after_events\":1}],\"then\":\"repeat_last\"}");
    expect_failed_over(&p, "in-stream rate_limit_exceeded");
    peer_stop(&p);
    start_pair(&p, "anthropic", "{\"steps\":[{\"error_event\":{\"type\":\"rate_limit_error\",\"message\":\"slow down\"},"
                                "\"error_after_events\":1}],\"then\":\"repeat_last\"}");
    expect_failed_over(&p, "anthropic in-stream rate_limit_error");
    peer_stop(&p);
}

/*
 * LiteLLM #28216 / #19077: mid-stream fallback taken (or disable_fallbacks
 * ignored mid-stream). llmgw never continues on another deployment or group
 * after the commit point. Would catch: a second upstream request after text
 * was delivered, even with a fallback group configured.
 */
static void test_litellm_28216_no_failover_after_the_commit_point(void **state)
{
    peer p;
    shot s;

    (void)state;
    start_pair(&p, "openai", "{\"steps\":[{\"text\":\"a b c d\",\"error_event\":{\"message\":\"Overloaded\","
                             "\"type\":\"server_error\"},\"error_after_events\":3}],\"then\":\"repeat_last\"}");
    peer_add(&p, "spare", "spare", "openai/model-spare", "sk-peer-c-0123456789abcdefQRS", 0);
    assert_int_equal(llmgw_gateway_add_fallback(p.t.gw, LLMGW_FALLBACK_DEFAULT, "g", "spare"), 0);
    peer_call(&p, &s, "g", "hi", 1, 0);
    assert_int_equal(s.rc, LLMGW_EUNAVAILABLE);
    assert_int_equal(s.err_class, LLMGW_ERRCLASS_STREAM_CUT);
    assert_string_equal(s.c.text, "a b");
    assert_int_equal(s.attempts, 1);
    assert_int_equal(peer_count(&p, "b") + peer_count(&p, "spare"), 0);
    peer_stop(&p);
}

/*
 * LiteLLM #36768: a failed response became HTTP 200 with an empty
 * finish_reason=stop. Would catch: an error event (after a 200) ending in
 * on_done, or a "stop" finish reason in the usage record of a failure.
 */
static void test_litellm_36768_failed_stream_never_finishes_stop(void **state)
{
    llmgw_gateway_options o = peer_opts(1);
    peer p;
    shot s;
    const char *const scripts[] = {
        "[{\"error_event\":{\"message\":\"response failed\",\"type\":\"server_error\"},\"error_after_events\":1}]",
        "[{\"text\":\"x y z\",\"error_event\":{\"message\":\"response failed\",\"type\":\"server_error\"},"
        "\"error_after_events\":3}]",
    };
    size_t i;

    (void)state;
    for (i = 0; i < 2; i++) {
        peer_start(&p, &o);
        peer_add(&p, "g", "a", "openai/model-a", PEER_KEY_A, 0);
        peer_script(&p, "a", scripts[i]);
        peer_call(&p, &s, "g", "hi", 1, 0);
        assert_int_equal(s.rc, LLMGW_EUNAVAILABLE);
        assert_int_equal(s.c.done_calls, 0);
        assert_int_equal(s.c.error_calls, 1);
        assert_int_equal(p.usage_records, 1);
        assert_null(p.last.finish_reason);
        assert_int_not_equal(p.last.status, 0);
        peer_stop(&p);
    }
}

/*
 * LiteLLM #42085 / PR #42140: a truncated stream reported "stop". Would
 * catch: a stream that ends without its terminal event (OpenAI [DONE] or a
 * finish chunk; Anthropic message_stop) treated as finished.
 */
static void test_litellm_42085_truncated_stream_is_not_stop(void **state)
{
    static const struct { const char *model, *script; } cases[] = {
        { "openai/model-a", "[{\"text\":\"a b c d\",\"cut_after_events\":4}]" },
        { "openai/model-a", "[{\"text\":\"a b c d\",\"omit_done\":true}]" },
        { "openai/model-a", "[{\"text\":\"a b c d\",\"truncate\":true}]" },
        { "anthropic/model-a", "[{\"text\":\"a b c d\",\"cut_after_events\":5}]" },
        { "anthropic/model-a", "[{\"text\":\"a b c d\",\"omit_done\":true}]" },
    };
    llmgw_gateway_options o = peer_opts(1);
    peer p;
    shot s;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        peer_start(&p, &o);
        peer_add(&p, "g", "a", cases[i].model, PEER_KEY_A, 0);
        peer_script(&p, "a", cases[i].script);
        peer_call(&p, &s, "g", "hi", 1, 0);
        if (s.rc == 0 || s.c.done_calls != 0)
            fail_msg("%s %s: finished (%s) instead of failing", cases[i].model, cases[i].script, s.c.done_finish);
        assert_int_equal(s.err_class, LLMGW_ERRCLASS_STREAM_CUT);
        assert_int_equal(s.c.error_calls, 1);
        assert_null(p.last.finish_reason);
        peer_stop(&p);
    }
}

/*
 * Hangs without an idle timeout: Mirrowel/LLM-API-Key-Proxy PR #39,
 * aaif-goose/goose PR #8110, anomalyco/opencode PR #29348. Would catch: a
 * stream stalled after its headers or after some events never ending (the
 * mock stalls forever; the request has a 600 s default deadline).
 */
static void test_goose_8110_stalled_stream_ends_at_the_idle_timeout(void **state)
{
    llmgw_gateway_options o = peer_opts(1);
    peer p;
    shot s;

    const double slack = getenv("LLMGW_UNDER_VALGRIND") != NULL ? 8000.0 : 2000.0;   /* generous: a bound, not a speed */

    (void)state;
    o.idle_timeout_ms = 400;
    o.first_byte_timeout_ms = 400;
    peer_start(&p, &o);
    peer_add(&p, "g", "a", "openai/model-a", PEER_KEY_A, 0);
    peer_script(&p, "a", "[{\"text\":\"a b c\",\"stall_after_events\":3,\"stall_ms\":-1},"
                         "{\"first_byte_delay_ms\":3600000}]");
    peer_call(&p, &s, "g", "hi", 1, 0);
    assert_int_equal(s.err_class, LLMGW_ERRCLASS_STREAM_CUT);
    assert_true(s.ms < 400.0 + slack);
    peer_call(&p, &s, "g", "hi", 1, 0);
    assert_int_equal(s.err_class, LLMGW_ERRCLASS_TIMEOUT);
    assert_true(s.ms < 400.0 + slack);
    assert_int_equal(p.usage_records, 2);
    peer_stop(&p);
}

/*
 * gpustack/gpustack #4725: a 10 s idle limit killed slow first tokens. Would
 * catch: the idle timeout applied before the first byte (it is the first-byte
 * timeout's job), so a slow start fails although it is within its limit.
 */
static void test_gpustack_4725_slow_first_token_is_not_an_idle_stream(void **state)
{
    llmgw_gateway_options o = peer_opts(1);
    peer p;
    shot s;

    (void)state;
    o.idle_timeout_ms = 300;
    o.first_byte_timeout_ms = 5000;
    peer_start(&p, &o);
    peer_add(&p, "g", "a", "openai/model-a", PEER_KEY_A, 0);
    peer_script(&p, "a", "[{\"first_byte_delay_ms\":1000,\"event_delay_ms\":100}]");
    peer_call(&p, &s, "g", "hi", 1, 0);
    assert_int_equal(s.rc, 0);
    assert_int_equal(s.c.done_calls, 1);
    assert_true(s.ms >= 1000.0);
    peer_stop(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_litellm_6957_overloaded_stream_fails_over),
        cmocka_unit_test(test_litellm_40404_cut_stalled_malformed_streams_fail_over),
        cmocka_unit_test(test_litellm_26067_auth_and_429_inside_the_stream_fail_over),
        cmocka_unit_test(test_litellm_28216_no_failover_after_the_commit_point),
        cmocka_unit_test(test_litellm_36768_failed_stream_never_finishes_stop),
        cmocka_unit_test(test_litellm_42085_truncated_stream_is_not_stop),
        cmocka_unit_test(test_goose_8110_stalled_stream_ends_at_the_idle_timeout),
        cmocka_unit_test(test_gpustack_4725_slow_first_token_is_not_an_idle_stream),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
