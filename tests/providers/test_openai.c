/*
 * Unit: the openai translation without network: the request it builds,
 * OpenAI's published examples and recorded streams (shared/fixtures/openai,
 * read at run time, skipped when absent), llmgw's own fixtures for
 * refusals, errors inside 200 streams, obfuscation, and error classification.
 */
#include "oai_unit.h"

#define HELLO "{\"model\":\"openai/gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]"

/* The provider keeps a pointer to p->cfg: p stays where it is. */
static void open_openai(oai_inst *p, const char *model)
{
    assert_int_equal(oai_open(p, "openai", model, "https://api.openai.com/v1", "sk-unit-KEY123", NULL), 0);
}

static void test_build_request(void **state)
{
    oai_inst p;
    llmgw_http_request hr;
    cJSON *b;

    (void)state;
    open_openai(&p, "gpt-4o");
    assert_int_equal(oai_build(&p, HELLO ",\"max_tokens\":50}", 0, &hr, &b), 0);
    assert_string_equal(llmgw_http_request_url(&hr), "https://api.openai.com/v1/chat/completions");
    assert_null(strstr(llmgw_http_request_url(&hr), "sk-unit"));
    assert_string_equal(llmgw__http_request_header(&hr, "Authorization"), "Bearer sk-unit-KEY123");
    assert_string_equal(llmgw__http_request_header(&hr, "Content-Type"), "application/json");
    assert_string_equal(oai_str(b, "model"), "gpt-4o");
    assert_int_equal(oai_num(b, "max_tokens"), 50);
    assert_null(oai_get(b, "stream"));
    assert_null(oai_get(b, "stream_options"));
    cJSON_Delete(b);
    llmgw__http_request_dispose(&hr);

    /* streaming asks for usage */
    assert_int_equal(oai_build(&p, HELLO "}", 1, &hr, &b), 0);
    assert_true(cJSON_IsTrue(oai_get(b, "stream")));
    assert_true(cJSON_IsTrue(oai_get(b, "stream_options.include_usage")));
    assert_string_equal(llmgw__http_request_header(&hr, "Accept"), "text/event-stream");
    cJSON_Delete(b);
    llmgw__http_request_dispose(&hr);
    oai_close(&p);
}

/* o-series and gpt-5 refuse max_tokens: it is sent as max_completion_tokens; others keep it. */
static void test_max_tokens_for_reasoning_models(void **state)
{
    static const struct { const char *model; const char *sent; } cases[] = {
        { "o1", "max_completion_tokens" }, { "o3-mini", "max_completion_tokens" },
        { "o4-mini-2025-04-16", "max_completion_tokens" }, { "gpt-5", "max_completion_tokens" },
        { "gpt-5-mini", "max_completion_tokens" }, { "gpt-4o", "max_tokens" }, { "gpt-4.1", "max_tokens" },
        { "omni-moderation", "max_tokens" },
    };
    llmgw_http_request hr;
    cJSON *b;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        oai_inst p;

        open_openai(&p, cases[i].model);
        assert_int_equal(oai_build(&p, HELLO ",\"max_tokens\":64}", 0, &hr, &b), 0);
        assert_non_null(oai_get(b, cases[i].sent));
        assert_int_equal(oai_num(b, cases[i].sent), 64);
        assert_int_equal(cJSON_GetArraySize(b), 3);     /* model, messages, one max member */
        cJSON_Delete(b);
        llmgw__http_request_dispose(&hr);
        oai_close(&p);
    }
    /* what the caller gave as max_completion_tokens passes as is; developer passes through */
    {
        oai_inst p;

        open_openai(&p, "gpt-4o");
        assert_int_equal(oai_build(&p, "{\"model\":\"openai/gpt-4o\",\"messages\":[{\"role\":\"developer\","
                                       "\"content\":\"Be terse.\"},{\"role\":\"user\",\"content\":\"Hi\"}],"
                                       "\"max_completion_tokens\":9}", 0, &hr, &b), 0);
        assert_int_equal(oai_num(b, "max_completion_tokens"), 9);
        assert_null(oai_get(b, "max_tokens"));
        assert_string_equal(oai_str(b, "messages.0.role"), "developer");
        cJSON_Delete(b);
        llmgw__http_request_dispose(&hr);
        oai_close(&p);
    }
}

static void test_config_checks(void **state)
{
    oai_inst p;

    (void)state;
    assert_int_equal(oai_open(&p, "openai", "gpt-4o", "https://x.example/v1?a=b", "k", NULL), LLMGW_EINVAL);
    assert_int_equal(llmgw_error_last()->error_class, LLMGW_ERRCLASS_CONFIG);
    assert_int_equal(oai_open(&p, "openai", "gpt-4o", "https://x.example/v1#frag", "k", NULL), LLMGW_EINVAL);
}

static char *shared_or_skip(const char *rel, size_t *len)
{
    char *s = shared_read(rel, len);

    if (s == NULL) {
        print_message("skipped: %s not found (set LLMGW_SHARED_DIR)\n", rel);
        skip();
    }
    return s;
}

static void test_published_responses(void **state)
{
    oai_inst p;
    llmgw_reply r;
    size_t len;
    char *s;

    (void)state;
    s = shared_or_skip("fixtures/openai/response.json", &len);    /* skips before anything is opened */
    open_openai(&p, "gpt-4o");
    assert_int_equal(oai_parse_body(&p, s, &r), 0);
    assert_string_equal(oai_text(&r), "Hello! How can I assist you today?");
    assert_int_equal(r.a.finish, LLMGW_FINISH_STOP);
    assert_true(r.done);
    assert_int_equal(r.a.usage.input_tokens, 19);
    assert_int_equal(r.a.usage.output_tokens, 10);
    llmgw__reply_dispose(&r);
    free(s);

    s = shared_or_skip("fixtures/openai/response_tool_call.json", &len);
    assert_int_equal(oai_parse_body(&p, s, &r), 0);
    assert_int_equal(r.a.finish, LLMGW_FINISH_TOOL_CALLS);
    assert_int_equal(r.a.ncalls, 1);
    assert_string_equal(r.a.calls[0].id, "call_abc123");
    assert_string_equal(r.a.calls[0].name, "get_current_weather");
    assert_string_equal(r.a.calls[0].args.ptr, "{\n\"location\": \"Boston, MA\"\n}");
    assert_int_equal(r.a.usage.input_tokens, 82);
    llmgw__reply_dispose(&r);
    free(s);
    oai_close(&p);
}

/* Each recorded stream, in one piece and one byte at a time, gives the same answer. */
static void test_published_streams(void **state)
{
    static const struct { const char *file, *text; int finish; size_t calls; uint64_t in, out; } cases[] = {
        { "stream.sse", "{\"city\":\"San Francisco\",\"temperature\":61,\"units\":\"f\"}", LLMGW_FINISH_STOP, 0, 79, 14 },
        { "stream_finish_length.sse", "{\"", LLMGW_FINISH_LENGTH, 0, 79, 1 },
        { "stream_logprobs.sse", "Foo!", LLMGW_FINISH_STOP, 0, 9, 2 },
        { "stream_tool_call.sse", "", LLMGW_FINISH_TOOL_CALLS, 1, 44, 16 },
        { "stream_parallel_tool_calls.sse", "", LLMGW_FINISH_TOOL_CALLS, 2, 149, 60 },
    };
    oai_inst p;
    char rel[128];
    llmgw_reply r;
    size_t i, len, step;
    char *s;

    (void)state;
    free(shared_or_skip("fixtures/openai/stream.sse", &len));     /* skips before anything is opened */
    open_openai(&p, "gpt-4o");
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(rel, sizeof(rel), "fixtures/openai/%s", cases[i].file);
        s = shared_or_skip(rel, &len);
        for (step = 0; step <= 1; step++) {
            assert_int_equal(oai_parse_sse(&p, s, len, step, &r), 0);
            assert_true(r.done);
            assert_false(r.has_error);
            assert_string_equal(oai_text(&r), cases[i].text);
            assert_int_equal(r.a.finish, cases[i].finish);
            assert_int_equal(r.a.ncalls, cases[i].calls);
            assert_int_equal(r.a.usage.input_tokens, cases[i].in);
            assert_int_equal(r.a.usage.output_tokens, cases[i].out);
            assert_string_equal(r.a.model, "gpt-4o-2024-08-06");
            if (cases[i].calls == 2) {
                assert_string_equal(r.a.calls[0].name, "GetWeatherArgs");
                assert_string_equal(r.a.calls[0].args.ptr, "{\"city\": \"Edinburgh\", \"country\": \"GB\", \"units\": \"c\"}");
                assert_string_equal(r.a.calls[1].id, "call_DNYTawLBoN8fj3KN6qU9N1Ou");
                assert_string_equal(r.a.calls[1].name, "get_stock_price");
                assert_string_equal(r.a.calls[1].args.ptr, "{\"ticker\": \"AAPL\", \"exchange\": \"NASDAQ\"}");
            } else if (cases[i].calls == 1) {
                assert_string_equal(r.a.calls[0].name, "get_weather");
                assert_string_equal(r.a.calls[0].args.ptr, "{\"city\":\"New York City\"}");
            }
            llmgw__reply_dispose(&r);
        }
        free(s);
    }
    oai_close(&p);
}

/* A refusal stays out of the answer text; the finish is content_filter with raw "refusal". */
static void test_refusal(void **state)
{
    oai_inst p;
    llmgw_reply r;
    size_t len;
    char *s;

    (void)state;
    open_openai(&p, "gpt-4o");
    s = oai_fixture("openai/response_refusal.json", &len);
    assert_int_equal(oai_parse_body(&p, s, &r), 0);
    assert_string_equal(oai_text(&r), "");
    assert_int_equal(r.a.finish, LLMGW_FINISH_CONTENT_FILTER);
    assert_string_equal(r.a.finish_raw, "refusal");
    llmgw__reply_dispose(&r);
    free(s);

    s = oai_fixture("openai/stream_refusal.sse", &len);
    assert_int_equal(oai_parse_sse(&p, s, len, 7, &r), 0);
    assert_true(r.done);
    assert_string_equal(oai_text(&r), "");
    assert_int_equal(r.a.finish, LLMGW_FINISH_CONTENT_FILTER);
    assert_string_equal(r.a.finish_raw, "refusal");
    assert_int_equal(r.a.usage.input_tokens, 81);
    llmgw__reply_dispose(&r);
    free(s);
    oai_close(&p);
}

static void test_stream_extras(void **state)
{
    oai_inst p;
    llmgw_reply r;
    size_t len;
    char *s;

    (void)state;
    open_openai(&p, "gpt-4o");
    /* include_obfuscation's padding is ignored */
    s = oai_fixture("openai/stream_obfuscation.sse", &len);
    assert_int_equal(oai_parse_sse(&p, s, len, 0, &r), 0);
    assert_string_equal(oai_text(&r), "Hello there");
    assert_true(r.done);
    llmgw__reply_dispose(&r);
    free(s);

    /* event: error after content: terminal server_error, no invented finish */
    s = oai_fixture("openai/stream_error_event.sse", &len);
    assert_int_equal(oai_parse_sse(&p, s, len, 3, &r), 0);
    assert_true(r.has_error);
    assert_false(r.done);
    assert_int_equal(r.err_class, LLMGW_ERRCLASS_SERVER_ERROR);
    assert_non_null(strstr(r.err_message, "The server had an error"));
    assert_int_equal(r.a.finish, LLMGW_FINISH_NONE);
    llmgw__reply_dispose(&r);
    free(s);

    /* data: {"error":...} classified like the HTTP error it stands for */
    s = oai_fixture("openai/stream_error_data.sse", &len);
    assert_int_equal(oai_parse_sse(&p, s, len, 0, &r), 0);
    assert_true(r.has_error);
    assert_int_equal(r.err_class, LLMGW_ERRCLASS_RATE_LIMIT);
    llmgw__reply_dispose(&r);
    free(s);

    /* a usage chunk beside non-empty choices counts; an event: error without the wrapper too */
    {
        static const char sse[] =
            "data: {\"id\":\"c1\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"A\"},"
            "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":1}}\n\n"
            "data: [DONE]\n\n";
        static const char err[] = "event: error\ndata: {\"message\":\"Overloaded\",\"type\":\"server_error\"}\n\n";
        assert_int_equal(oai_parse_sse(&p, sse, sizeof(sse) - 1, 0, &r), 0);
        assert_int_equal(r.a.usage.input_tokens, 3);
        assert_true(r.done);
        llmgw__reply_dispose(&r);
        assert_int_equal(oai_parse_sse(&p, err, sizeof(err) - 1, 0, &r), 0);
        assert_true(r.has_error);
        assert_string_equal(r.err_message, "Overloaded");
        llmgw__reply_dispose(&r);
    }
    oai_close(&p);
}

static void test_usage_validation(void **state)
{
    oai_inst p;
    llmgw_reply r;
    size_t len;
    char *s;

    (void)state;
    open_openai(&p, "o3-mini");
    s = oai_fixture("openai/response_reasoning.json", &len);
    assert_int_equal(oai_parse_body(&p, s, &r), 0);
    assert_int_equal(r.a.usage.input_tokens, 1200);
    assert_int_equal(r.a.usage.cache_read_tokens, 1024);
    assert_int_equal(r.a.usage.output_tokens, 300);
    assert_int_equal(r.a.usage.reasoning_tokens, 192);
    llmgw__reply_dispose(&r);
    free(s);
    /* implausible numbers are refused, never stored */
    assert_int_equal(oai_parse_body(&p, "{\"id\":\"x\",\"choices\":[{\"message\":{\"content\":\"a\"},"
                                        "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":-1}}", &r),
                     LLMGW_EUNAVAILABLE);
    llmgw__reply_dispose(&r);
    assert_int_equal(oai_parse_body(&p, "{\"id\":\"x\",\"choices\":[{\"message\":{\"content\":\"a\"},"
                                        "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":1e300}}", &r),
                     LLMGW_EUNAVAILABLE);
    llmgw__reply_dispose(&r);
    assert_int_equal(oai_parse_body(&p, "{\"id\":\"x\",\"choices\":[{\"message\":{\"content\":\"a\"},"
                                        "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":2,"
                                        "\"prompt_tokens_details\":{\"cached_tokens\":3}}}", &r),
                     LLMGW_EUNAVAILABLE);
    llmgw__reply_dispose(&r);
    oai_close(&p);
}

static void test_classify(void **state)
{
    static const struct { const char *file; int status, in, out; int64_t retry; } cases[] = {
        { "openai/error_429_quota.json", 429, LLMGW_ERRCLASS_RATE_LIMIT, LLMGW_ERRCLASS_QUOTA_EXCEEDED, -1 },
        { "openai/error_429_rate.json", 429, LLMGW_ERRCLASS_RATE_LIMIT, LLMGW_ERRCLASS_RATE_LIMIT, 644 },
        { "openai/error_400_context.json", 400, LLMGW_ERRCLASS_BAD_REQUEST, LLMGW_ERRCLASS_CONTEXT_LENGTH_EXCEEDED, -1 },
        { "openai/error_401.json", 401, LLMGW_ERRCLASS_AUTH, LLMGW_ERRCLASS_AUTH, -1 },
    };
    oai_inst p;
    llmgw_error_info info;
    size_t i, len;
    char *s;

    (void)state;
    open_openai(&p, "gpt-4o");
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        s = oai_fixture(cases[i].file, &len);
        info = oai_classify(&p, cases[i].status, cases[i].in, s);
        if (info.error_class != cases[i].out || info.retry_after_ms != cases[i].retry)
            fail_msg("%s: class %s retry %lld", cases[i].file, llmgw_error_class_str(info.error_class),
                     (long long)info.retry_after_ms);
        assert_true(info.message[0] != '\0');
        free(s);
    }
    /* not JSON: the status decides; the message stays empty for the core to fill */
    info = oai_classify(&p, 502, LLMGW_ERRCLASS_SERVER_ERROR, "<html>bad gateway</html>");
    assert_int_equal(info.error_class, LLMGW_ERRCLASS_SERVER_ERROR);
    assert_string_equal(info.message, "");
    /* a hint in seconds with a fraction, independent of the locale */
    info = oai_classify(&p, 429, LLMGW_ERRCLASS_RATE_LIMIT,
                        "{\"error\":{\"message\":\"Please try again in 5.289s.\",\"code\":\"rate_limit_exceeded\"}}");
    assert_int_equal(info.retry_after_ms, 5289);
    oai_close(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_build_request),
        cmocka_unit_test(test_max_tokens_for_reasoning_models),
        cmocka_unit_test(test_config_checks),
        cmocka_unit_test(test_published_responses),
        cmocka_unit_test(test_published_streams),
        cmocka_unit_test(test_refusal),
        cmocka_unit_test(test_stream_extras),
        cmocka_unit_test(test_usage_validation),
        cmocka_unit_test(test_classify),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
