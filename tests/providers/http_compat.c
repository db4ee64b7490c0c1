/*
 * Integration over loopback HTTP: each OpenAI-compatible entry against the
 * mock, from a base shaped like its default (a lane prefix in front of the
 * vendor's own path): the URL it posts to, its key header, one quirk and one
 * error class in that server's own shape. The LiteLLM aliases route too.
 */
#include "oai_http.h"

#define KEY "sk-compat-SECRET-0123"

/* Start a gateway with one deployment of `model` at {mock}/lane/<lane><path>. */
static void start(itest *t, const char *model, const char *lane, const char *path, const char *key)
{
    char base[128];

    oh_start(t, 1);
    snprintf(base, sizeof(base), "/lane/%s%s", lane, path);
    oh_add_ok(t, "g", model, base, key, NULL);
}

/* The lane's first request went to that path, with that Authorization (NULL: none). */
static void expect_sent(itest *t, const char *lane, const char *path, const char *auth)
{
    const cJSON *rq;
    cJSON *all;

    rq = oh_request(t, lane, 0, &all);
    assert_string_equal(oh_str(rq, "path"), path);
    if (auth)
        assert_string_equal(oh_header(rq, "authorization"), auth);
    else
        assert_null(oh_header(rq, "authorization"));
    cJSON_Delete(all);
}

static cJSON *sent_body(itest *t, const char *lane, int n)
{
    cJSON *all, *b;

    b = oh_body(oh_request(t, lane, n, &all));
    cJSON_Delete(all);
    return b;
}

static void test_groq(void **state)
{
    itest t;
    llmgw_response *r = NULL;
    cJSON *b;

    (void)state;
    start(&t, "groq/llama-3.3-70b-versatile", "groq", "/openai/v1", KEY);
    assert_int_equal(oh_complete_json(&t, "{\"model\":\"g\",\"messages\":[{\"role\":\"developer\",\"content\":"
                                          "\"Be brief.\"},{\"role\":\"user\",\"content\":\"hi\"}]}", &r), 0);
    llmgw_response_free(r);
    expect_sent(&t, "groq", "/openai/v1/chat/completions", "Bearer " KEY);
    b = sent_body(&t, "groq", 0);
    assert_string_equal(oh_str(b, "model"), "llama-3.3-70b-versatile");
    assert_string_equal(oh_str(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(b, "messages"), 0), "role"), "system");
    cJSON_Delete(b);
    /* logprobs cannot be expressed: refused before anything is sent */
    oh_assert_fails(oh_complete_json(&t, "{\"model\":\"g\",\"logprobs\":true,\"messages\":[{\"role\":\"user\","
                                         "\"content\":\"hi\"}]}", &r), r, LLMGW_EUNSUPPORTED, LLMGW_ERRCLASS_UNSUPPORTED);
    assert_non_null(strstr(llmgw_error_last()->message, "logprobs"));
    assert_int_equal(itest_request_count(&t, "groq"), 1);
    /* 429 in Groq's words: rate_limit with the message's hint */
    itest_script(&t, "groq", "[{\"status\":429,\"error_type\":\"tokens\",\"error_code\":\"rate_limit_exceeded\","
                             "\"error_message\":\"Rate limit reached for model `llama-3.3-70b-versatile`. Please "
                             "try again in 5.289s.\"}]");
    oh_assert_fails(itest_complete(&t, "g", "hi", &r), r, LLMGW_ERATELIMIT, LLMGW_ERRCLASS_RATE_LIMIT);
    assert_int_equal(llmgw_error_last()->retry_after_ms, 5289);
    itest_stop(&t);
}

static void test_mistral(void **state)
{
    itest t;
    llmgw_response *r = NULL;
    collect c;
    cJSON *b;

    (void)state;
    start(&t, "mistral/mistral-large-latest", "mistral", "/v1", KEY);
    /* the mock refuses stream_options as Mistral does; usage comes on the finish chunk */
    itest_script(&t, "mistral", "[{\"reject_members\":[\"stream_options\",\"max_completion_tokens\"],"
                                "\"usage_on_finish\":true,\"text\":\"Bonjour\",\"finish_reason\":\"model_length\","
                                "\"usage\":{\"prompt_tokens\":7,\"completion_tokens\":1}}]");
    collect_init(&c);
    assert_int_equal(oh_stream_json(&t, "{\"model\":\"g\",\"seed\":3,\"max_completion_tokens\":5,\"messages\":"
                                        "[{\"role\":\"user\",\"content\":\"hi\"}]}", &c, &r), 0);
    assert_string_equal(c.text, "Bonjour");
    assert_string_equal(c.done_finish, "length");
    assert_int_equal(llmgw_response_usage(r)->input_tokens, 7);
    assert_int_equal(llmgw_response_usage(r)->usage_known, 1);
    llmgw_response_free(r);
    expect_sent(&t, "mistral", "/v1/chat/completions", "Bearer " KEY);
    b = sent_body(&t, "mistral", 0);
    assert_null(cJSON_GetObjectItemCaseSensitive(b, "stream_options"));
    assert_int_equal(oh_num(b, "random_seed"), 3);
    assert_int_equal(oh_num(b, "max_tokens"), 5);
    cJSON_Delete(b);
    /* Mistral's own 422 body: bad_request, the member named */
    itest_script(&t, "mistral", "[{\"status\":422,\"body\":\"{\\\"object\\\":\\\"error\\\",\\\"message\\\":{\\\"detail\\\":"
                                "[{\\\"type\\\":\\\"extra_forbidden\\\",\\\"loc\\\":[\\\"body\\\",\\\"stream_options\\\","
                                "\\\"include_usage\\\"],\\\"msg\\\":\\\"Extra inputs are not permitted\\\",\\\"input\\\":true}]},"
                                "\\\"type\\\":\\\"invalid_request_error\\\",\\\"param\\\":null,\\\"code\\\":null}\"}]");
    oh_assert_fails(itest_complete(&t, "g", "hi", &r), r, LLMGW_EPROVIDER, LLMGW_ERRCLASS_BAD_REQUEST);
    assert_non_null(strstr(llmgw_error_last()->message, "stream_options"));
    itest_stop(&t);
}

static void test_deepseek(void **state)
{
    itest t;
    llmgw_response *r = NULL;
    const llmgw_usage *u;
    collect c;

    (void)state;
    start(&t, "deepseek/deepseek-reasoner", "deepseek", "", KEY);
    itest_script(&t, "deepseek", "[{\"reasoning\":\"Compare the decimals first.\",\"text\":\"9.11 is smaller.\","
                                 "\"usage_raw\":\"{\\\"prompt_tokens\\\":20,\\\"completion_tokens\\\":40,"
                                 "\\\"total_tokens\\\":60,\\\"prompt_cache_hit_tokens\\\":16,\\\"prompt_cache_miss_tokens\\\":4,"
                                 "\\\"completion_tokens_details\\\":{\\\"reasoning_tokens\\\":30}}\"},"
                                 "{\"reasoning\":\"Think.\",\"text\":\"Done.\"}]");
    collect_init(&c);
    assert_int_equal(itest_stream(&t, "g", "which is smaller?", &c, &r), 0);
    assert_string_equal(c.text, "9.11 is smaller.");
    assert_true(c.reasoning_calls >= 1);
    assert_string_equal(llmgw_response_reasoning(r), "Compare the decimals first.");
    u = llmgw_response_usage(r);
    assert_int_equal(u->input_tokens, 20);
    assert_int_equal(u->cache_read_tokens, 16);
    assert_int_equal(u->reasoning_tokens, 30);
    llmgw_response_free(r);
    expect_sent(&t, "deepseek", "/chat/completions", "Bearer " KEY);
    assert_int_equal(itest_complete(&t, "g", "again", &r), 0);
    assert_string_equal(llmgw_response_reasoning(r), "Think.");
    llmgw_response_free(r);
    /* context length in DeepSeek's wording */
    itest_script(&t, "deepseek", "[{\"status\":400,\"error_type\":\"invalid_request_error\",\"error_code\":"
                                 "\"invalid_request_error\",\"error_message\":\"This model's maximum context length "
                                 "is 65536 tokens. However, you requested 70123 tokens.\"}]");
    oh_assert_fails(itest_complete(&t, "g", "long", &r), r, LLMGW_EPROVIDER, LLMGW_ERRCLASS_CONTEXT_LENGTH_EXCEEDED);
    itest_stop(&t);
}

static void test_together(void **state)
{
    itest t;
    llmgw_response *r = NULL;
    cJSON *b;

    (void)state;
    /* through LiteLLM's alias, with an org/model id */
    start(&t, "together_ai/meta-llama/Llama-3.3-70B-Instruct-Turbo", "together", "/v1", KEY);
    itest_script(&t, "together", "[{\"text\":\"ok\",\"finish_reason\":\"eos\"}]");
    assert_int_equal(itest_complete(&t, "g", "hi", &r), 0);
    assert_string_equal(llmgw_response_finish_reason(r), "stop");
    llmgw_response_free(r);
    expect_sent(&t, "together", "/v1/chat/completions", "Bearer " KEY);
    b = sent_body(&t, "together", 0);
    assert_string_equal(oh_str(b, "model"), "meta-llama/Llama-3.3-70B-Instruct-Turbo");
    cJSON_Delete(b);
    itest_script(&t, "together", "[{\"status\":400,\"body\":\"{\\\"message\\\":\\\"Input validation error: `inputs` "
                                 "tokens + `max_new_tokens` must be <= 8193. Given: 8000 `inputs` tokens and 1000 "
                                 "`max_new_tokens`\\\",\\\"type_\\\":\\\"invalid_request_error\\\"}\"}]");
    oh_assert_fails(itest_complete(&t, "g", "long", &r), r, LLMGW_EPROVIDER, LLMGW_ERRCLASS_CONTEXT_LENGTH_EXCEEDED);
    itest_stop(&t);
}

static void test_openrouter(void **state)
{
    itest t;
    llmgw_response *r = NULL;
    collect c;

    (void)state;
    start(&t, "openrouter/anthropic/claude-sonnet-4.5", "or", "/api/v1", KEY);
    itest_script(&t, "or", "[{\"sse_comment\":\"OPENROUTER PROCESSING\",\"text\":\"fine\"},"
                           "{\"error_after_events\":2,\"error_event\":{\"code\":502,\"message\":\"Provider returned error\"}}]");
    collect_init(&c);
    assert_int_equal(itest_stream(&t, "g", "hi", &c, &r), 0);
    assert_string_equal(c.text, "fine");
    assert_int_equal(c.done_calls, 1);
    llmgw_response_free(r);
    expect_sent(&t, "or", "/api/v1/chat/completions", "Bearer " KEY);
    /* an error inside a 200 stream, after the first text: the stream ends with one typed error */
    collect_init(&c);
    oh_assert_fails(itest_stream(&t, "g", "hi", &c, &r), r, LLMGW_EUNAVAILABLE, LLMGW_ERRCLASS_STREAM_CUT);
    assert_int_equal(c.error_calls, 1);
    assert_int_equal(c.done_calls, 0);
    assert_true(c.order_ok);
    itest_stop(&t);

    /* an error inside an HTTP 200 body: its integer code is the status it stands for */
    start(&t, "openrouter/openai/gpt-4o", "or2", "/api/v1", KEY);
    itest_script(&t, "or2", "[{\"status\":200,\"body\":\"{\\\"error\\\":{\\\"code\\\":429,\\\"message\\\":"
                            "\\\"Rate limit exceeded: limit_rpm\\\"}}\"}]");
    oh_assert_fails(itest_complete(&t, "g", "hi", &r), r, LLMGW_ERATELIMIT, LLMGW_ERRCLASS_RATE_LIMIT);
    assert_int_equal(llmgw_error_last()->http_status, 429);
    itest_stop(&t);
}

static void test_fireworks(void **state)
{
    itest t;
    llmgw_response *r = NULL;
    collect c;
    cJSON *b;

    (void)state;
    start(&t, "fireworks_ai/accounts/fireworks/models/llama-v3p1-8b-instruct", "fw", "/inference/v1", KEY);
    itest_script(&t, "fw", "[{\"reject_members\":[\"stream_options\"],\"usage_on_finish\":true,\"text\":\"One two\","
                           "\"usage\":{\"prompt_tokens\":13,\"completion_tokens\":2}},{\"status\":429}]");
    collect_init(&c);
    assert_int_equal(itest_stream(&t, "g", "count", &c, &r), 0);
    assert_int_equal(llmgw_response_usage(r)->output_tokens, 2);
    llmgw_response_free(r);
    expect_sent(&t, "fw", "/inference/v1/chat/completions", "Bearer " KEY);
    b = sent_body(&t, "fw", 0);
    assert_string_equal(oh_str(b, "context_length_exceeded_behavior"), "error");
    assert_string_equal(oh_str(b, "model"), "accounts/fireworks/models/llama-v3p1-8b-instruct");
    cJSON_Delete(b);
    oh_assert_fails(itest_complete(&t, "g", "hi", &r), r, LLMGW_ERATELIMIT, LLMGW_ERRCLASS_RATE_LIMIT);
    itest_stop(&t);
}

static void test_xai(void **state)
{
    itest t;
    llmgw_response *r = NULL;

    (void)state;
    start(&t, "xai/grok-4", "xai", "/v1", KEY);
    assert_int_equal(itest_complete(&t, "g", "hi", &r), 0);
    llmgw_response_free(r);
    expect_sent(&t, "xai", "/v1/chat/completions", "Bearer " KEY);
    /* an invalid key is a 400 in xAI's words: classified auth from the body */
    itest_script(&t, "xai", "[{\"status\":400,\"body\":\"{\\\"code\\\":\\\"Client specified an invalid argument\\\","
                            "\\\"error\\\":\\\"Incorrect API key provided: sk***23. You can obtain an API key from "
                            "https://console.x.ai.\\\"}\"}]");
    oh_assert_fails(itest_complete(&t, "g", "hi", &r), r, LLMGW_EAUTH, LLMGW_ERRCLASS_AUTH);
    assert_int_equal(llmgw_error_last()->http_status, 400);
    itest_stop(&t);
}

/* Local servers: no key needed (none sent); errors in their own shapes. */
static void test_local_servers(void **state)
{
    static const struct { const char *model, *lane, *error_step; int rc, cls; } cases[] = {
        { "vllm/meta-llama/Llama-3.1-8B-Instruct", "vllm",
          "{\"status\":400,\"body\":\"{\\\"object\\\":\\\"error\\\",\\\"message\\\":\\\"This model's maximum context "
          "length is 4096 tokens.\\\",\\\"type\\\":\\\"BadRequestError\\\",\\\"param\\\":null,\\\"code\\\":400}\"}",
          LLMGW_EPROVIDER, LLMGW_ERRCLASS_CONTEXT_LENGTH_EXCEEDED },
        { "hosted_vllm/qwen", "hvllm", "{\"status\":401,\"body\":\"{\\\"error\\\":\\\"Unauthorized\\\"}\"}",
          LLMGW_EAUTH, LLMGW_ERRCLASS_AUTH },
        { "llamacpp/local", "lcpp",
          "{\"status\":400,\"body\":\"{\\\"error\\\":{\\\"code\\\":400,\\\"message\\\":\\\"request (5000 tokens) "
          "exceeds the available context size (4096 tokens), try increasing it\\\",\\\"type\\\":"
          "\\\"exceed_context_size_error\\\",\\\"n_prompt_tokens\\\":5000,\\\"n_ctx\\\":4096}}\"}",
          LLMGW_EPROVIDER, LLMGW_ERRCLASS_CONTEXT_LENGTH_EXCEEDED },
        { "llama.cpp/local", "lcpp2", "{\"status\":503,\"body\":\"{\\\"error\\\":{\\\"code\\\":503,\\\"message\\\":"
          "\\\"Loading model\\\",\\\"type\\\":\\\"unavailable_error\\\"}}\"}", LLMGW_EUNAVAILABLE,
          LLMGW_ERRCLASS_SERVER_ERROR },
        { "lmstudio/qwen2.5-7b-instruct", "lms", "{\"status\":500}", LLMGW_EUNAVAILABLE, LLMGW_ERRCLASS_SERVER_ERROR },
        { "lm_studio/qwen2.5-7b-instruct", "lms2", "{\"status\":404}", LLMGW_ENOTFOUND, LLMGW_ERRCLASS_NOT_FOUND },
    };
    itest t;
    llmgw_response *r = NULL;
    char script[1024];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        start(&t, cases[i].model, cases[i].lane, "/v1", NULL);
        snprintf(script, sizeof(script), "[{\"auth_optional\":true,\"text\":\"local\"},{\"auth_optional\":true,%s]",
                 cases[i].error_step + 1);
        itest_script(&t, cases[i].lane, script);
        if (itest_complete(&t, "g", "hi", &r) != 0)
            fail_msg("%s: %s", cases[i].model, llmgw_error_last()->message);
        assert_string_equal(llmgw_response_text(r), "local");
        llmgw_response_free(r);
        r = NULL;
        expect_sent(&t, cases[i].lane, "/v1/chat/completions", NULL);
        oh_assert_fails(itest_complete(&t, "g", "hi", &r), r, cases[i].rc, cases[i].cls);
        itest_stop(&t);
    }
    /* a key may still be configured, and is then sent */
    start(&t, "lmstudio/qwen", "lmsk", "/v1", KEY);
    assert_int_equal(itest_complete(&t, "g", "hi", &r), 0);
    llmgw_response_free(r);
    expect_sent(&t, "lmsk", "/v1/chat/completions", "Bearer " KEY);
    itest_stop(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_groq),
        cmocka_unit_test(test_mistral),
        cmocka_unit_test(test_deepseek),
        cmocka_unit_test(test_together),
        cmocka_unit_test(test_openrouter),
        cmocka_unit_test(test_fireworks),
        cmocka_unit_test(test_xai),
        cmocka_unit_test(test_local_servers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
