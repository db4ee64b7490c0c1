/*
 * Unit: the azure translation without network: endpoint, deployment and
 * api-version in the URL (deployments and v1 surfaces), the api-key header,
 * the body without model, Azure's filter annotations and error envelopes
 * (tests/fixtures/azure, shaped after observed Azure bodies).
 */
#include "oai_unit.h"

#define EP "https://res.openai.azure.com"
#define HELLO "{\"model\":\"azure/x\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]"

static void open_azure(oai_inst *p, const char *deployment, const char *base, const char *version)
{
    if (oai_open(p, "azure", deployment, base, "az-unit-KEY123", version) != 0)
        fail_msg("azure init: %s", llmgw_error_last()->message);
}

static void expect_url(const char *deployment, const char *base, const char *version, const char *url)
{
    oai_inst p;
    llmgw_http_request hr;
    cJSON *b;

    open_azure(&p, deployment, base, version);
    assert_int_equal(oai_build(&p, HELLO "}", 0, &hr, &b), 0);
    assert_string_equal(llmgw_http_request_url(&hr), url);
    cJSON_Delete(b);
    llmgw__http_request_dispose(&hr);
    oai_close(&p);
}

static void test_no_endpoint_is_config_error(void **state)
{
    oai_inst p;

    (void)state;
    assert_int_equal(oai_open(&p, "azure", "gpt4o", NULL, "k", NULL), LLMGW_EINVAL);
    assert_int_equal(llmgw_error_last()->error_class, LLMGW_ERRCLASS_CONFIG);
    assert_non_null(strstr(llmgw_error_last()->message, "AZURE_OPENAI_ENDPOINT"));
    assert_int_equal(oai_open(&p, "azure", "gpt4o", EP "/?x=1", "k", NULL), LLMGW_EINVAL);
}

static void test_urls(void **state)
{
    (void)state;
    expect_url("my-gpt4o", EP, NULL, EP "/openai/deployments/my-gpt4o/chat/completions?api-version=2024-10-21");
    expect_url("my-gpt4o", EP, "2025-04-01-preview",
               EP "/openai/deployments/my-gpt4o/chat/completions?api-version=2025-04-01-preview");
    /* the SDK's base_url ending in /openai is not doubled */
    expect_url("d.1_x", EP "/openai", "2024-10-21", EP "/openai/deployments/d.1_x/chat/completions?api-version=2024-10-21");
    /* v1 surface: by api_version "v1", or by a base ending in /openai/v1; no dated api-version there */
    expect_url("gpt-4o", EP, "v1", EP "/openai/v1/chat/completions");
    expect_url("gpt-4o", EP "/openai/v1", NULL, EP "/openai/v1/chat/completions");
    expect_url("gpt-4o", EP "/openai/v1", "2024-10-21", EP "/openai/v1/chat/completions");
    expect_url("gpt-4o", EP "/openai/v1", "preview", EP "/openai/v1/chat/completions?api-version=preview");
    expect_url("gpt-4o", EP "/openai", "v1", EP "/openai/v1/chat/completions");
}

/* The deployment is one encoded path segment: a name cannot change the path. */
static void test_deployment_name_checked(void **state)
{
    static const char *const bad[] = { "a/b", "..", "x?y=1", "d#f", "sp ace", "%2e%2e" };
    llmgw_http_request hr;
    oai_inst p;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        open_azure(&p, bad[i], EP, NULL);
        assert_int_equal(oai_build(&p, HELLO "}", 0, &hr, NULL), LLMGW_EINVAL);
        llmgw__http_request_dispose(&hr);
        oai_close(&p);
    }
}

static void test_headers_and_body(void **state)
{
    oai_inst p;
    llmgw_http_request hr;
    cJSON *b;

    (void)state;
    open_azure(&p, "gpt4o", EP, NULL);
    assert_int_equal(oai_build(&p, HELLO ",\"max_tokens\":20}", 1, &hr, &b), 0);
    assert_string_equal(llmgw__http_request_header(&hr, "api-key"), "az-unit-KEY123");
    assert_null(llmgw__http_request_header(&hr, "Authorization"));
    assert_null(strstr(llmgw_http_request_url(&hr), "KEY123"));
    assert_null(oai_get(b, "model"));
    assert_int_equal(oai_num(b, "max_tokens"), 20);
    assert_true(cJSON_IsTrue(oai_get(b, "stream_options.include_usage")));
    cJSON_Delete(b);
    llmgw__http_request_dispose(&hr);
    oai_close(&p);

    /* v1: the deployment name travels as model; an o-series deployment gets max_completion_tokens */
    open_azure(&p, "o3-mini", EP, "v1");
    assert_int_equal(oai_build(&p, HELLO ",\"max_tokens\":20}", 0, &hr, &b), 0);
    assert_string_equal(oai_str(b, "model"), "o3-mini");
    assert_int_equal(oai_num(b, "max_completion_tokens"), 20);
    assert_null(oai_get(b, "max_tokens"));
    cJSON_Delete(b);
    llmgw__http_request_dispose(&hr);
    oai_close(&p);
}

static void test_replies(void **state)
{
    oai_inst p;
    llmgw_reply r;
    size_t len;
    char *s;

    (void)state;
    open_azure(&p, "gpt4o", EP, NULL);
    s = oai_fixture("azure/response.json", &len);
    assert_int_equal(oai_parse_body(&p, s, &r), 0);
    assert_string_equal(oai_text(&r), "Hello! How can I help you today?");
    assert_int_equal(r.a.finish, LLMGW_FINISH_STOP);
    assert_int_equal(r.a.usage.input_tokens, 18);
    assert_int_equal(r.a.usage.output_tokens, 9);
    llmgw__reply_dispose(&r);
    free(s);

    /* the opening chunk has empty choices, id and model: nothing to take from it */
    s = oai_fixture("azure/stream.sse", &len);
    assert_int_equal(oai_parse_sse(&p, s, len, 5, &r), 0);
    assert_true(r.done);
    assert_string_equal(oai_text(&r), "Hello there!");
    assert_string_equal(r.a.id, "chatcmpl-AzFixture0001");
    assert_string_equal(r.a.model, "gpt-4o-2024-08-06");
    assert_int_equal(r.a.finish, LLMGW_FINISH_STOP);
    assert_int_equal(r.a.usage.input_tokens, 18);
    llmgw__reply_dispose(&r);
    free(s);

    s = oai_fixture("azure/stream_content_filter.sse", &len);
    assert_int_equal(oai_parse_sse(&p, s, len, 0, &r), 0);
    assert_true(r.done);
    assert_string_equal(oai_text(&r), "Here is");
    assert_int_equal(r.a.finish, LLMGW_FINISH_CONTENT_FILTER);
    llmgw__reply_dispose(&r);
    free(s);
    oai_close(&p);
}

static void test_errors(void **state)
{
    static const struct { const char *file; int status, in, out; int64_t retry; } cases[] = {
        { "azure/error_400_content_filter.json", 400, LLMGW_ERRCLASS_BAD_REQUEST, LLMGW_ERRCLASS_CONTENT_POLICY, -1 },
        { "azure/error_429.json", 429, LLMGW_ERRCLASS_RATE_LIMIT, LLMGW_ERRCLASS_RATE_LIMIT, 6000 },
        { "azure/error_404_deployment.json", 404, LLMGW_ERRCLASS_NOT_FOUND, LLMGW_ERRCLASS_NOT_FOUND, -1 },
        { "azure/error_401.json", 401, LLMGW_ERRCLASS_AUTH, LLMGW_ERRCLASS_AUTH, -1 },
    };
    oai_inst p;
    llmgw_error_info info;
    size_t i, len;
    char *s;

    (void)state;
    open_azure(&p, "gpt4o", EP, NULL);
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        s = oai_fixture(cases[i].file, &len);
        info = oai_classify(&p, cases[i].status, cases[i].in, s);
        if (info.error_class != cases[i].out || info.retry_after_ms != cases[i].retry)
            fail_msg("%s: class %s retry %lld", cases[i].file, llmgw_error_class_str(info.error_class),
                     (long long)info.retry_after_ms);
        assert_true(info.message[0] != '\0');
        free(s);
    }
    /* a header hint (filled in by the core) wins over the message's */
    s = oai_fixture("azure/error_429.json", &len);
    {
        llmgw_http_response resp;
        memset(&info, 0, sizeof(info));
        info.error_class = LLMGW_ERRCLASS_RATE_LIMIT;
        info.retry_after_ms = 250;
        oai_response(&resp, 429, s, NULL);
        assert_int_equal(p.vt->classify_error(&info, p.state, &resp), 0);
        assert_int_equal(info.retry_after_ms, 250);
        llmgw__http_response_dispose(&resp);
    }
    free(s);
    oai_close(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_endpoint_is_config_error),
        cmocka_unit_test(test_urls),
        cmocka_unit_test(test_deployment_name_checked),
        cmocka_unit_test(test_headers_and_body),
        cmocka_unit_test(test_replies),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
