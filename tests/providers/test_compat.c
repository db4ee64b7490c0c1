/*
 * Unit: the OpenAI-compatible family without network: the table (ids,
 * aliases, default bases, key variables), each entry's URL and key header,
 * the request quirks (refused members, renames, drop_params), and replies
 * and errors in each server's own shapes (tests/fixtures/compat).
 */
#include "oai_unit.h"
#include "core/gateway.h"

#define HELLO "{\"model\":\"x/m\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]"

static const struct {
    const char *id, *base, *keys, *url;
} entries[] = {
    { "groq", "https://api.groq.com/openai/v1", "GROQ_API_KEY", "https://api.groq.com/openai/v1/chat/completions" },
    { "mistral", "https://api.mistral.ai/v1", "MISTRAL_API_KEY", "https://api.mistral.ai/v1/chat/completions" },
    { "deepseek", "https://api.deepseek.com", "DEEPSEEK_API_KEY", "https://api.deepseek.com/chat/completions" },
    { "together", "https://api.together.ai/v1", "TOGETHER_API_KEY", "https://api.together.ai/v1/chat/completions" },
    { "openrouter", "https://openrouter.ai/api/v1", "OPENROUTER_API_KEY",
      "https://openrouter.ai/api/v1/chat/completions" },
    { "fireworks", "https://api.fireworks.ai/inference/v1", "FIREWORKS_API_KEY",
      "https://api.fireworks.ai/inference/v1/chat/completions" },
    { "xai", "https://api.x.ai/v1", "XAI_API_KEY", "https://api.x.ai/v1/chat/completions" },
    { "vllm", "http://localhost:8000/v1", NULL, "http://localhost:8000/v1/chat/completions" },
    { "llamacpp", "http://127.0.0.1:8080/v1", NULL, "http://127.0.0.1:8080/v1/chat/completions" },
    { "lmstudio", "http://localhost:1234/v1", NULL, "http://localhost:1234/v1/chat/completions" },
};

static void open_p(oai_inst *p, const char *id, const char *key)
{
    if (oai_open(p, id, "m", NULL, key, NULL) != 0)
        fail_msg("%s init: %s", id, llmgw_error_last()->message);
}

static void test_table(void **state)
{
    static const struct { const char *alias, *id; } aliases[] = {
        { "together_ai", "together" }, { "fireworks_ai", "fireworks" }, { "llama.cpp", "llamacpp" },
        { "llama_cpp", "llamacpp" }, { "lm_studio", "lmstudio" }, { "hosted_vllm", "vllm" },
    };
    const llmgw_provider_vtable *vt;
    size_t i, n = 0;

    (void)state;
    assert_int_equal(llmgw__compat_provider_count, sizeof(entries) / sizeof(entries[0]));
    for (i = 0; i < sizeof(entries) / sizeof(entries[0]); i++) {
        vt = llmgw__builtin_provider(entries[i].id);
        assert_non_null(vt);
        assert_string_equal(vt->name, entries[i].id);
        assert_string_equal(vt->default_api_base, entries[i].base);
        if (entries[i].keys)
            assert_string_equal(vt->env_api_key, entries[i].keys);
        else
            assert_null(vt->env_api_key);        /* local servers: no key required */
        assert_true(vt->capabilities & LLMGW_CAP_STREAM);
        assert_int_equal(vt->stream_framing, LLMGW_FRAMING_SSE);
    }
    for (i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
        assert_string_equal(llmgw__builtin_provider(aliases[i].alias)->name, aliases[i].id);
    while ((vt = llmgw__builtin_provider_at(n)) != NULL) {
        if (llmgw__provider_check(vt) != 0)     /* what llmgw_provider_register demands of others */
            fail_msg("built-in provider '%s': %s", vt->name, llmgw_error_last()->message);
        n++;
    }
    assert_true(n >= 10 + 8);
}

static void test_urls_and_keys(void **state)
{
    llmgw_http_request hr;
    oai_inst p;
    cJSON *b;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(entries) / sizeof(entries[0]); i++) {
        open_p(&p, entries[i].id, "sk-compat-KEY");
        assert_int_equal(oai_build(&p, HELLO "}", 0, &hr, &b), 0);
        assert_string_equal(llmgw_http_request_url(&hr), entries[i].url);
        assert_string_equal(llmgw__http_request_header(&hr, "Authorization"), "Bearer sk-compat-KEY");
        assert_string_equal(oai_str(b, "model"), "m");
        cJSON_Delete(b);
        llmgw__http_request_dispose(&hr);
        oai_close(&p);
        if (entries[i].keys == NULL) {           /* no key configured: no Authorization at all */
            open_p(&p, entries[i].id, NULL);
            assert_int_equal(oai_build(&p, HELLO "}", 0, &hr, NULL), 0);
            assert_null(llmgw__http_request_header(&hr, "Authorization"));
            llmgw__http_request_dispose(&hr);
            oai_close(&p);
        }
    }
}

/* Build for provider id; returns the status; *b the body on success. */
static int build(const char *id, const char *json, int stream, cJSON **b)
{
    llmgw_http_request hr;
    oai_inst p;
    int rc;

    open_p(&p, id, "k");
    rc = oai_build(&p, json, stream, &hr, b);
    llmgw__http_request_dispose(&hr);
    oai_close(&p);
    return rc;
}

static void expect_refused(const char *id, const char *json, const char *named)
{
    cJSON *b;

    assert_int_equal(build(id, json, 0, &b), LLMGW_EUNSUPPORTED);
    assert_int_equal(llmgw_error_last()->error_class, LLMGW_ERRCLASS_UNSUPPORTED);
    if (strstr(llmgw_error_last()->message, named) == NULL)
        fail_msg("%s: \"%s\" does not name %s", id, llmgw_error_last()->message, named);
}

static void test_groq_refusals(void **state)
{
    cJSON *b;

    (void)state;
    expect_refused("groq", HELLO ",\"logprobs\":true}", "'logprobs'");
    expect_refused("groq", HELLO ",\"logit_bias\":{\"50256\":-100}}", "'logit_bias'");
    expect_refused("groq", "{\"model\":\"g\",\"messages\":[{\"role\":\"user\",\"content\":\"a\",\"name\":\"bob\"}]}",
                   "messages[0].name");
    /* drop_params drops instead */
    assert_int_equal(build("groq", "{\"model\":\"g\",\"drop_params\":true,\"logprobs\":true,\"top_logprobs\":2,"
                                   "\"messages\":[{\"role\":\"developer\",\"content\":\"Be brief.\"},"
                                   "{\"role\":\"user\",\"content\":\"a\",\"name\":\"bob\"}]}", 0, &b), 0);
    assert_null(oai_get(b, "logprobs"));
    assert_null(oai_get(b, "top_logprobs"));
    assert_null(oai_get(b, "drop_params"));
    assert_null(oai_get(b, "messages.1.name"));
    assert_string_equal(oai_str(b, "messages.0.role"), "system");
    assert_string_equal(oai_str(b, "messages.1.content"), "a");
    cJSON_Delete(b);
}

static void test_mistral_request(void **state)
{
    cJSON *b;

    (void)state;
    assert_int_equal(build("mistral", HELLO ",\"seed\":7,\"max_completion_tokens\":30}", 1, &b), 0);
    assert_true(cJSON_IsTrue(oai_get(b, "stream")));
    assert_null(oai_get(b, "stream_options"));            /* rejected by Mistral */
    assert_int_equal(oai_num(b, "random_seed"), 7);
    assert_null(oai_get(b, "seed"));
    assert_int_equal(oai_num(b, "max_tokens"), 30);
    assert_null(oai_get(b, "max_completion_tokens"));
    cJSON_Delete(b);
    expect_refused("mistral", HELLO ",\"user\":\"u-1\"}", "'user'");
    expect_refused("mistral", HELLO ",\"logprobs\":true}", "'logprobs'");
}

static void test_fireworks_and_deepseek_requests(void **state)
{
    cJSON *b;

    (void)state;
    assert_int_equal(build("fireworks", HELLO "}", 1, &b), 0);
    assert_string_equal(oai_str(b, "context_length_exceeded_behavior"), "error");
    assert_null(oai_get(b, "stream_options"));
    cJSON_Delete(b);
    assert_int_equal(build("fireworks", HELLO ",\"context_length_exceeded_behavior\":\"truncate\"}", 0, &b), 0);
    assert_string_equal(oai_str(b, "context_length_exceeded_behavior"), "truncate");
    cJSON_Delete(b);
    /* other entries keep stream_options */
    assert_int_equal(build("groq", HELLO "}", 1, &b), 0);
    assert_true(cJSON_IsTrue(oai_get(b, "stream_options.include_usage")));
    assert_null(oai_get(b, "context_length_exceeded_behavior"));
    cJSON_Delete(b);

    /* deepseek takes text only */
#define IMG "{\"model\":\"d\",%s\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"What?\"}," \
            "{\"type\":\"image_url\",\"image_url\":{\"url\":\"https://x.example/a.png\"}}]}]}"
    {
        char json[512];
        snprintf(json, sizeof(json), IMG, "");
        expect_refused("deepseek", json, "messages[0].content[1] (type image_url)");
        snprintf(json, sizeof(json), IMG, "\"drop_params\":true,");
        assert_int_equal(build("deepseek", json, 0, &b), 0);
        assert_int_equal(cJSON_GetArraySize(oai_get(b, "messages.0.content")), 1);
        assert_string_equal(oai_str(b, "messages.0.content.0.text"), "What?");
        cJSON_Delete(b);
    }
}

static void parse_sse_fixture(const char *id, const char *rel, llmgw_reply *r, size_t step)
{
    oai_inst p;
    size_t len;
    char *s = oai_fixture(rel, &len);

    open_p(&p, id, "k");
    assert_int_equal(oai_parse_sse(&p, s, len, step, r), 0);
    oai_close(&p);
    free(s);
}

static void test_stream_replies(void **state)
{
    llmgw_reply r;

    (void)state;
    /* Mistral: usage on the finish chunk without opt-in, model_length is length */
    parse_sse_fixture("mistral", "compat/mistral_stream_model_length.sse", &r, 0);
    assert_true(r.done);
    assert_string_equal(oai_text(&r), "Cheese is good");
    assert_int_equal(r.a.finish, LLMGW_FINISH_LENGTH);
    assert_string_equal(r.a.finish_raw, "model_length");
    assert_int_equal(r.a.usage.input_tokens, 10);
    assert_int_equal(r.a.usage.output_tokens, 3);
    llmgw__reply_dispose(&r);

    /* DeepSeek: keep-alive comment, reasoning_content deltas, cache-hit usage */
    parse_sse_fixture("deepseek", "compat/deepseek_stream_reasoner.sse", &r, 1);
    assert_true(r.done);
    assert_string_equal(oai_reasoning(&r), "Compare the decimals.");
    assert_string_equal(oai_text(&r), "9.11 is smaller.");
    assert_int_equal(r.a.usage.input_tokens, 20);
    assert_int_equal(r.a.usage.cache_read_tokens, 16);
    assert_int_equal(r.a.usage.reasoning_tokens, 30);
    llmgw__reply_dispose(&r);

    /* Together: eos is stop */
    parse_sse_fixture("together", "compat/together_stream_eos.sse", &r, 0);
    assert_string_equal(oai_text(&r), "Hi!");
    assert_int_equal(r.a.finish, LLMGW_FINISH_STOP);
    assert_int_equal(r.a.usage.input_tokens, 12);
    llmgw__reply_dispose(&r);

    /* OpenRouter: processing comments, native_finish_reason kept raw */
    parse_sse_fixture("openrouter", "compat/openrouter_stream.sse", &r, 3);
    assert_true(r.done);
    assert_string_equal(oai_text(&r), "Hello world");
    assert_int_equal(r.a.finish, LLMGW_FINISH_STOP);
    assert_string_equal(r.a.finish_raw, "end_turn");
    assert_int_equal(r.a.usage.input_tokens, 14);
    llmgw__reply_dispose(&r);

    /* OpenRouter: an error inside the 200 stream, never a clean finish */
    parse_sse_fixture("openrouter", "compat/openrouter_stream_error.sse", &r, 0);
    assert_true(r.has_error);
    assert_false(r.done);
    assert_int_equal(r.err_class, LLMGW_ERRCLASS_SERVER_ERROR);
    assert_string_equal(r.err_message, "Provider disconnected unexpectedly");
    assert_int_equal(r.a.finish, LLMGW_FINISH_NONE);
    llmgw__reply_dispose(&r);

    /* Fireworks: usage in the last chunk, the one with finish_reason */
    parse_sse_fixture("fireworks", "compat/fireworks_stream_usage.sse", &r, 0);
    assert_string_equal(oai_text(&r), "One two");
    assert_int_equal(r.a.finish, LLMGW_FINISH_LENGTH);
    assert_int_equal(r.a.usage.output_tokens, 2);
    llmgw__reply_dispose(&r);
}

static void test_body_replies(void **state)
{
    oai_inst p;
    llmgw_reply r;
    size_t len;
    char *s;

    (void)state;
    open_p(&p, "deepseek", "k");
    s = oai_fixture("compat/deepseek_response_reasoner.json", &len);
    assert_int_equal(oai_parse_body(&p, s, &r), 0);
    assert_string_equal(oai_text(&r), "9.11 is smaller than 9.8.");
    assert_string_equal(oai_reasoning(&r), "Compare the decimals: 0.11 < 0.80.");
    assert_int_equal(r.a.usage.cache_read_tokens, 16);
    llmgw__reply_dispose(&r);
    free(s);
    oai_close(&p);

    /* OpenRouter: error in a 200 body, integer code = the HTTP status it stands for */
    open_p(&p, "openrouter", "k");
    s = oai_fixture("compat/openrouter_error_200.json", &len);
    assert_int_equal(oai_parse_body(&p, s, &r), 0);
    assert_true(r.has_error);
    assert_int_equal(r.err_class, LLMGW_ERRCLASS_RATE_LIMIT);
    assert_int_equal(r.err_http, 429);
    llmgw__reply_dispose(&r);
    free(s);
    /* finish_reason "error" fails the attempt */
    assert_int_equal(oai_parse_body(&p, "{\"id\":\"g\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
                                        "\"content\":\"par\"},\"finish_reason\":\"error\"}]}", &r), 0);
    assert_true(r.has_error);
    assert_int_equal(r.err_class, LLMGW_ERRCLASS_SERVER_ERROR);
    llmgw__reply_dispose(&r);
    oai_close(&p);
}

static void test_errors(void **state)
{
    static const struct { const char *id, *file; int status, in, out; int64_t retry; } cases[] = {
        { "mistral", "compat/mistral_error_422_stream_options.json", 422, LLMGW_ERRCLASS_BAD_REQUEST,
          LLMGW_ERRCLASS_BAD_REQUEST, -1 },
        { "mistral", "compat/mistral_error_429.json", 429, LLMGW_ERRCLASS_RATE_LIMIT, LLMGW_ERRCLASS_RATE_LIMIT, -1 },
        { "deepseek", "compat/deepseek_error_400_context.json", 400, LLMGW_ERRCLASS_BAD_REQUEST,
          LLMGW_ERRCLASS_CONTEXT_LENGTH_EXCEEDED, -1 },
        { "together", "compat/together_error_400_context.json", 400, LLMGW_ERRCLASS_BAD_REQUEST,
          LLMGW_ERRCLASS_CONTEXT_LENGTH_EXCEEDED, -1 },
        { "xai", "compat/xai_error_400_key.json", 400, LLMGW_ERRCLASS_BAD_REQUEST, LLMGW_ERRCLASS_AUTH, -1 },
        { "vllm", "compat/vllm_error_400_flat.json", 400, LLMGW_ERRCLASS_BAD_REQUEST,
          LLMGW_ERRCLASS_CONTEXT_LENGTH_EXCEEDED, -1 },
        { "vllm", "compat/vllm_error_401.json", 401, LLMGW_ERRCLASS_AUTH, LLMGW_ERRCLASS_AUTH, -1 },
        { "vllm", "compat/vllm_error_404.json", 404, LLMGW_ERRCLASS_NOT_FOUND, LLMGW_ERRCLASS_NOT_FOUND, -1 },
        { "llamacpp", "compat/llamacpp_error_400_context.json", 400, LLMGW_ERRCLASS_BAD_REQUEST,
          LLMGW_ERRCLASS_CONTEXT_LENGTH_EXCEEDED, -1 },
        { "groq", "compat/groq_error_429.json", 429, LLMGW_ERRCLASS_RATE_LIMIT, LLMGW_ERRCLASS_RATE_LIMIT, 5289 },
        { "openrouter", "compat/openrouter_error_402.json", 402, LLMGW_ERRCLASS_QUOTA_EXCEEDED,
          LLMGW_ERRCLASS_QUOTA_EXCEEDED, -1 },
    };
    llmgw_error_info info;
    oai_inst p;
    size_t i, len;
    char *s;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        open_p(&p, cases[i].id, "k");
        s = oai_fixture(cases[i].file, &len);
        info = oai_classify(&p, cases[i].status, cases[i].in, s);
        if (info.error_class != cases[i].out || info.retry_after_ms != cases[i].retry || info.message[0] == '\0')
            fail_msg("%s: class %s retry %lld message '%s'", cases[i].file, llmgw_error_class_str(info.error_class),
                     (long long)info.retry_after_ms, info.message);
        free(s);
        oai_close(&p);
    }
    /* Mistral's 422 names the member in the message */
    open_p(&p, "mistral", "k");
    s = oai_fixture("compat/mistral_error_422_stream_options.json", &len);
    info = oai_classify(&p, 422, LLMGW_ERRCLASS_BAD_REQUEST, s);
    assert_non_null(strstr(info.message, "stream_options"));
    free(s);
    oai_close(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_urls_and_keys),
        cmocka_unit_test(test_groq_refusals),
        cmocka_unit_test(test_mistral_request),
        cmocka_unit_test(test_fireworks_and_deepseek_requests),
        cmocka_unit_test(test_stream_replies),
        cmocka_unit_test(test_body_replies),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
