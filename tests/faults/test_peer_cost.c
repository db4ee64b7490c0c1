/*
 * tests/faults/test_peer_cost.c: the cost-accounting bugs of other gateways
 * (docs/resilience.md §c, "Cost"), each proven absent over loopback HTTP:
 * usage records equal, to the token and the nano-dollar, what the upstream
 * reported. Custom prices: 1e-6 USD per input token (1 000 nano-USD) and
 * 2e-6 USD per output token (2 000 nano-USD), so every cost is exact.
 */
#include "peer.h"

#define IN_NUSD  1000
#define OUT_NUSD 2000

static void add_priced(peer *p, const char *lane, const char *model)
{
    llmgw_deployment_options d;
    char base[256];
    const char *suffix = strncmp(model, "openai/", 7) == 0 ? "/v1" : "";

    snprintf(base, sizeof(base), "%s/lane/%s%s", mock_server_base_url(p->t.srv), lane, suffix);
    llmgw_deployment_options_init(&d, LLMGW_DEPLOYMENT_OPTIONS_VERSION);
    d.group = "g";
    d.model = model;
    d.api_base = base;
    d.api_key = PEER_KEY_A;
    d.custom_prices = 1;
    d.input_cost_per_token = 1e-6;
    d.output_cost_per_token = 2e-6;
    if (llmgw_gateway_add_deployment(p->t.gw, &d) != 0)
        fail_msg("add_deployment: %s", llmgw_error_last()->message);
}

/* The last usage record: provider-reported tokens, exactly, and their exact cost. */
static void expect_usage(peer *p, uint64_t in, uint64_t out, const char *what)
{
    const llmgw_usage *u = &p->last;

    if (u->input_tokens != in || u->output_tokens != out || !u->usage_known)
        fail_msg("%s: usage %llu in / %llu out (known %d), want %llu / %llu reported by the upstream", what,
                 (unsigned long long)u->input_tokens, (unsigned long long)u->output_tokens, u->usage_known,
                 (unsigned long long)in, (unsigned long long)out);
    if (u->cost_source != LLMGW_COST_COMPUTED || u->cost_nusd != (int64_t)(in * IN_NUSD + out * OUT_NUSD))
        fail_msg("%s: cost %lld nano-USD (source %d), want %llu computed", what, (long long)u->cost_nusd,
                 u->cost_source, (unsigned long long)(in * IN_NUSD + out * OUT_NUSD));
}

static void stream_body(peer *p, const char *sse)
{
    cJSON *steps = cJSON_CreateArray(), *step = cJSON_CreateObject();
    char *s;

    cJSON_AddStringToObject(step, "body", sse);
    cJSON_AddItemToArray(steps, step);
    s = cJSON_PrintUnformatted(steps);
    peer_script(p, "a", s);
    cJSON_free(s);
    cJSON_Delete(steps);
}

#define CHUNK(choices, extra) \
    "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\"," \
    "\"choices\":" choices extra "}\n\n"
#define ROLE CHUNK("[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"Hi there\"},\"finish_reason\":null}]", "")
#define USAGE ",\"usage\":{\"prompt_tokens\":11,\"completion_tokens\":7,\"total_tokens\":18}"
#define FINISH(extra) CHUNK("[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]", extra)

/*
 * LiteLLM #36168: usage dropped when the last chunk had non-empty choices (4x
 * cost, cached tokens lost). Would catch: usage read only from a chunk with
 * "choices": [].
 */
static void test_litellm_36168_usage_beside_choices_is_kept(void **state)
{
    peer p;
    shot s;

    (void)state;
    peer_start(&p, NULL);
    add_priced(&p, "a", "openai/gpt-a");
    stream_body(&p, ROLE FINISH(USAGE) "data: [DONE]\n\n");
    peer_call(&p, &s, "g", "hi", 1, 0);
    assert_int_equal(s.rc, 0);
    expect_usage(&p, 11, 7, "usage on the finish chunk");
    peer_stop(&p);
}

/*
 * LiteLLM #1787: streaming spend sometimes double counted. Would catch: usage
 * seen twice in one stream (on the finish chunk and again on the usage chunk,
 * as Mistral and Fireworks send it) being added up.
 */
static void test_litellm_1787_stream_spend_not_double_counted(void **state)
{
    peer p;
    shot s;
    mock_ledger led;

    (void)state;
    peer_start(&p, NULL);
    add_priced(&p, "a", "openai/gpt-a");
    stream_body(&p, ROLE FINISH(USAGE) CHUNK("[]", USAGE) "data: [DONE]\n\n");
    peer_call(&p, &s, "g", "hi", 1, 0);
    assert_int_equal(s.rc, 0);
    expect_usage(&p, 11, 7, "usage on the finish chunk and on the usage chunk");
    peer_stop(&p);
    /* and the mock's own streams: one record, tokens equal to what it billed */
    peer_start(&p, NULL);
    add_priced(&p, "a", "openai/gpt-a");
    peer_script(&p, "a", "[{\"text\":\"one two three\",\"usage\":{\"prompt_tokens\":40,\"completion_tokens\":3}}]");
    peer_call(&p, &s, "g", "hi", 1, 0);
    mock_server_ledger(p.t.srv, "a", &led);
    assert_int_equal(led.usage_reports, 1);
    expect_usage(&p, led.prompt_tokens, led.completion_tokens, "mock stream");
    assert_int_equal(p.usage_records, 1);
    peer_stop(&p);
}

/*
 * LiteLLM #37923 (streamed Vertex-Anthropic spend logged as 0, budgets never
 * tripped), #40100 (the same for azure_ai). Would catch: a streamed request's
 * record with 0 tokens or an unknown or zero cost, for each streaming
 * provider dialect the mock speaks.
 */
static void test_litellm_37923_streamed_spend_is_not_zero(void **state)
{
    static const char *const models[] = { "openai/gpt-a", "anthropic/claude-a", "gemini/gemini-a", "cohere/command-a",
                                          "ollama/llama-a" };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(models) / sizeof(models[0]); i++) {
        peer p;
        shot s;
        mock_ledger led;

        peer_start(&p, NULL);
        add_priced(&p, "a", models[i]);
        peer_script(&p, "a", "[{\"text\":\"four words of text\",\"usage\":{\"prompt_tokens\":25,\"completion_tokens\":4}}]");
        peer_call(&p, &s, "g", "hi", 1, 0);
        if (s.rc != 0)
            fail_msg("%s: %s", models[i], s.msg);
        mock_server_ledger(p.t.srv, "a", &led);
        assert_int_equal(led.usage_reports, 1);
        assert_true(led.prompt_tokens > 0 && led.completion_tokens > 0);
        expect_usage(&p, led.prompt_tokens, led.completion_tokens, models[i]);
        assert_true(p.last.cost_nusd > 0);
        peer_stop(&p);
    }
}

/*
 * LiteLLM #42663: streamed requests priced only message_start's part of the
 * usage (20-60 % low). Anthropic's message_delta usage is cumulative: the last
 * value counts, never the sum. Would catch: output tokens from message_start
 * only, or message_delta values added up.
 */
static void test_litellm_42663_anthropic_stream_usage_is_complete(void **state)
{
    peer p;
    shot s;
    mock_ledger led;

    (void)state;
    peer_start(&p, NULL);
    add_priced(&p, "a", "anthropic/claude-a");
    peer_script(&p, "a", "[{\"text\":\"a b c d e f\",\"chunks\":6,\"usage\":{\"prompt_tokens\":120,"
                         "\"completion_tokens\":31,\"cached_tokens\":100}}]");
    peer_call(&p, &s, "g", "hi", 1, 0);
    assert_int_equal(s.rc, 0);
    mock_server_ledger(p.t.srv, "a", &led);
    assert_int_equal(led.prompt_tokens, 120);
    assert_int_equal(led.completion_tokens, 31);
    assert_int_equal(p.last.input_tokens, 120);     /* cache reads included (OpenAI meaning) */
    assert_int_equal(p.last.cache_read_tokens, 100);
    assert_int_equal(p.last.output_tokens, 31);
    assert_int_equal(p.last.usage_known, 1);
    assert_int_equal(p.last.cost_source, LLMGW_COST_COMPUTED);
    peer_stop(&p);
}

/*
 * LiteLLM PR #36943: Databricks streaming usage replaced by estimates (prompt
 * tokens 8x low). Would catch: a complete stream's record marked estimated,
 * or counts that differ from the provider's.
 */
static void test_litellm_36943_stream_usage_is_the_providers(void **state)
{
    peer p;
    shot s;

    (void)state;
    peer_start(&p, NULL);
    add_priced(&p, "a", "openai/gpt-a");
    peer_script(&p, "a", "[{\"text\":\"short\",\"usage\":{\"prompt_tokens\":8000,\"completion_tokens\":1}}]");
    peer_call(&p, &s, "g", "hi", 1, 0);
    assert_int_equal(s.rc, 0);
    expect_usage(&p, 8000, 1, "provider usage");
    assert_int_equal(s.trail[0].usage_known, 1);
    peer_stop(&p);
}

/*
 * LiteLLM #37923, #40100 (b.3.5): a stream cut before its usage reports
 * usage_known = false with an estimate, never a silent 0. Would catch: a cut
 * stream's record with 0 tokens and a cost of 0 presented as known.
 */
static void test_litellm_40100_cut_stream_is_estimated_not_zero(void **state)
{
    llmgw_gateway_options o = peer_opts(1);
    peer p;
    shot s;

    (void)state;
    peer_start(&p, &o);
    add_priced(&p, "a", "openai/gpt-a");
    peer_script(&p, "a", "[{\"text\":\"several words were already streamed here\",\"cut_after_events\":5}]");
    peer_call(&p, &s, "g", "a prompt of a few words", 1, 0);
    assert_int_equal(s.err_class, LLMGW_ERRCLASS_STREAM_CUT);
    assert_int_equal(p.usage_records, 1);
    assert_int_equal(p.last.usage_known, 0);
    assert_true(p.last.input_tokens > 0);
    assert_true(p.last.output_tokens > 0);
    assert_true(p.last.cost_source == LLMGW_COST_ESTIMATED && p.last.cost_nusd > 0);
    peer_stop(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_litellm_36168_usage_beside_choices_is_kept),
        cmocka_unit_test(test_litellm_1787_stream_spend_not_double_counted),
        cmocka_unit_test(test_litellm_37923_streamed_spend_is_not_zero),
        cmocka_unit_test(test_litellm_42663_anthropic_stream_usage_is_complete),
        cmocka_unit_test(test_litellm_36943_stream_usage_is_the_providers),
        cmocka_unit_test(test_litellm_40100_cut_stream_is_estimated_not_zero),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
