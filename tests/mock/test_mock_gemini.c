/*
 * The mock's Gemini dialect over real loopback HTTP: what it answers, how it frames a stream
 * (CRLF separators, no [DONE], finishReason last), its google.rpc.Status errors, and the requests
 * it refuses as Gemini would (so a mapping bug in the provider fails a test).
 */
#include "mock_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GEM_BODY "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"Say hello to the mock\"}]}]," \
                 "\"systemInstruction\":{\"parts\":[{\"text\":\"Be terse.\"}]}"
#define GEM_PROMPT_TOKENS (5 + 4 + 2 + 4)

static mock_server *srv;

static int setup(void **state)
{
    (void)state;
    return mock_server_start(&srv, "127.0.0.1", 0);
}

static int teardown(void **state)
{
    (void)state;
    mock_server_stop(srv);
    srv = NULL;
    return 0;
}

/* POST body to path (with query) as a Gemini client would, key in the header unless key is NULL. */
static void gem(hres *out, const char *path, const char *body, const char *key)
{
    char url[512], hkey[128];
    const char *headers[3] = {"Content-Type: application/json", NULL, NULL};
    hreq rq = {.body = body, .no_auth = 1, .headers = headers};

    if (key) {
        snprintf(hkey, sizeof hkey, "x-goog-api-key: %s", key);
        headers[1] = hkey;
    }
    http_do(out, mk_url(url, sizeof url, srv, path), &rq);
}

static void test_answer(void **state)
{
    hres r;
    cJSON *j;

    (void)state;
    gem(&r, "/lane/g/v1beta/models/gemini-x%3Aexp:generateContent", GEM_BODY "}", "k");
    assert_int_equal(r.status, 200);
    j = parse_body(&r);
    assert_string_equal(str(j, "candidates.0.content.parts.0.text"), DEFAULT_TEXT);
    assert_string_equal(str(j, "candidates.0.content.role"), "model");
    assert_string_equal(str(j, "candidates.0.finishReason"), "STOP");
    assert_int_equal((int)num(j, "usageMetadata.promptTokenCount"), GEM_PROMPT_TOKENS);
    assert_int_equal((int)num(j, "usageMetadata.candidatesTokenCount"), 5);
    assert_int_equal((int)num(j, "usageMetadata.totalTokenCount"), GEM_PROMPT_TOKENS + 5);
    assert_string_equal(str(j, "modelVersion"), "gemini-x:exp");
    assert_string_equal(str(j, "responseId"), "mock-g-1");
    cJSON_Delete(j);
    hres_free(&r);

    script(srv, "t", "[{\"tool_calls\":[{\"id\":\"ignored\",\"name\":\"get_weather\",\"arguments\":"
                     "\"{\\\"city\\\":\\\"Paris\\\"}\"}],\"reasoning\":\"Think.\",\"usage\":{\"reasoning_tokens\":3}}]");
    gem(&r, "/lane/t/v1beta/models/m:generateContent", GEM_BODY "}", "k");
    assert_int_equal(r.status, 200);
    j = parse_body(&r);
    assert_string_equal(str(j, "candidates.0.content.parts.0.text"), "Think.");
    assert_true(cJSON_IsTrue(at(j, "candidates.0.content.parts.0.thought")));
    assert_string_equal(str(j, "candidates.0.content.parts.1.functionCall.name"), "get_weather");
    assert_string_equal(str(j, "candidates.0.content.parts.1.functionCall.args.city"), "Paris");
    assert_null(at(j, "candidates.0.content.parts.1.functionCall.id"));
    assert_string_equal(str(j, "candidates.0.finishReason"), "STOP");
    assert_int_equal((int)num(j, "usageMetadata.candidatesTokenCount"), 5);
    assert_int_equal((int)num(j, "usageMetadata.thoughtsTokenCount"), 3);
    cJSON_Delete(j);
    hres_free(&r);
}

static void test_stream_framing(void **state)
{
    hres r;
    char ct[64];
    const char *p;
    cJSON *last = NULL;
    int events = 0;

    (void)state;
    script(srv, "s", "[{\"text\":\"a b c\"}]");
    gem(&r, "/lane/s/v1beta/models/m:streamGenerateContent?alt=sse", GEM_BODY "}", "k");
    assert_int_equal(r.status, 200);
    assert_true(hres_header(&r, "content-type", ct, sizeof ct));
    assert_string_equal(ct, "text/event-stream");
    assert_null(strstr(r.body, "[DONE]"));
    assert_null(strstr(r.body, "\n\n"));                 /* CRLF separators only */
    for (p = r.body; (p = strstr(p, "data: ")) != NULL; p += 6) {
        const char *end = strstr(p, "\r\n\r\n");
        assert_non_null(end);
        cJSON_Delete(last);
        last = cJSON_ParseWithLength(p + 6, (size_t)(end - p - 6));
        assert_non_null(last);
        if (events < 3)
            assert_null(at(last, "candidates.0.finishReason"));
        events++;
    }
    assert_int_equal(events, 3 + 2);                      /* 3 pieces, usage, finish */
    assert_string_equal(str(last, "candidates.0.finishReason"), "STOP");
    assert_int_equal((int)num(last, "usageMetadata.candidatesTokenCount"), 3);
    cJSON_Delete(last);
    hres_free(&r);
}

static void test_errors_rendered(void **state)
{
    hres r;
    cJSON *j;

    (void)state;
    script(srv, "e", "[{\"status\":429},{\"status\":400,\"error_code\":\"API_KEY_INVALID\",\"error_message\":\"bad key\"},"
                     "{\"text\":\"a b\",\"error_event\":{\"code\":503,\"message\":\"overloaded\",\"status\":\"UNAVAILABLE\"},"
                     "\"error_after_events\":1}]");
    gem(&r, "/lane/e/v1beta/models/m:generateContent", GEM_BODY "}", "k");
    assert_int_equal(r.status, 429);
    j = parse_body(&r);
    assert_int_equal((int)num(j, "error.code"), 429);
    assert_string_equal(str(j, "error.status"), "RESOURCE_EXHAUSTED");
    assert_string_equal(str(j, "error.details.0.@type"), "type.googleapis.com/google.rpc.QuotaFailure");
    cJSON_Delete(j);
    hres_free(&r);
    gem(&r, "/lane/e/v1beta/models/m:generateContent", GEM_BODY "}", "k");
    assert_int_equal(r.status, 400);
    j = parse_body(&r);
    assert_string_equal(str(j, "error.status"), "INVALID_ARGUMENT");
    assert_string_equal(str(j, "error.message"), "bad key");
    assert_string_equal(str(j, "error.details.0.reason"), "API_KEY_INVALID");
    cJSON_Delete(j);
    hres_free(&r);
    gem(&r, "/lane/e/v1beta/models/m:streamGenerateContent?alt=sse", GEM_BODY "}", "k");
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "data: {\"error\":{\"code\":503,"));
    assert_null(strstr(r.body, "finishReason"));
    hres_free(&r);
}

/* Requests Gemini refuses are refused here too, with Gemini's status. */
static void test_refusals(void **state)
{
    static const struct { const char *path, *body, *key; int status; const char *gstatus, *needle; } cases[] = {
        {"/v1beta/models/m:generateContent", GEM_BODY "}", NULL, 403, "PERMISSION_DENIED", "unregistered"},
        {"/v1beta/models/m:generateContent?key=k", GEM_BODY "}", "k", 400, "INVALID_ARGUMENT", "key="},
        {"/v1beta/models/m:streamGenerateContent", GEM_BODY "}", "k", 400, "INVALID_ARGUMENT", "alt=sse"},
        {"/v1beta/models/m:chat", GEM_BODY "}", "k", 404, "NOT_FOUND", "not found"},
        {"/v1beta/models/a%2Fb:generateContent", GEM_BODY "}", "k", 404, "NOT_FOUND", "not found"},
        {"/v1beta/models/m:generateContent", GEM_BODY ",\"model\":\"m\"}", "k", 400, "INVALID_ARGUMENT",
         "Unknown name \"model\""},
        {"/v1beta/models/m:generateContent", "{\"messages\":[]}", "k", 400, "INVALID_ARGUMENT", "Unknown name"},
        {"/v1beta/models/m:generateContent", "{\"contents\":[]}", "k", 400, "INVALID_ARGUMENT", "contents"},
        {"/v1beta/models/m:generateContent", "{\"contents\":[{\"role\":\"assistant\",\"parts\":[{\"text\":\"x\"}]}]}",
         "k", 400, "INVALID_ARGUMENT", "valid role"},
        {"/v1beta/models/m:generateContent", "{\"contents\":[{\"role\":\"user\",\"parts\":[]}]}", "k", 400,
         "INVALID_ARGUMENT", "must not be empty"},
        {"/v1beta/models/m:generateContent", "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"x\","
         "\"inlineData\":{\"mimeType\":\"a/b\",\"data\":\"QQ==\"}}]}]}", "k", 400, "INVALID_ARGUMENT", "exactly one"},
        {"/v1beta/models/m:generateContent", "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"functionCall\":"
         "{\"name\":\"f\",\"args\":{}}}]}]}", "k", 400, "INVALID_ARGUMENT", "model turns"},
        {"/v1beta/models/m:generateContent", "{\"contents\":[{\"role\":\"model\",\"parts\":[{\"functionCall\":"
         "{\"name\":\"f\",\"args\":\"{}\"}}]}]}", "k", 400, "INVALID_ARGUMENT", "object args"},
        {"/v1beta/models/m:generateContent", GEM_BODY ",\"tools\":[{\"functionDeclarations\":[{\"name\":\"f\","
         "\"parameters\":{\"type\":\"object\",\"additionalProperties\":false,\"properties\":{\"a\":{\"type\":"
         "\"string\"}}}}]}]}", "k", 400, "INVALID_ARGUMENT", "Unknown name \"additionalProperties\""},
        {"/v1beta/models/m:generateContent", GEM_BODY ",\"tools\":[{\"functionDeclarations\":[{\"name\":\"f\","
         "\"parameters\":{\"type\":\"object\",\"properties\":{}}}]}]}", "k", 400, "INVALID_ARGUMENT", "non-empty"},
        {"/v1beta/models/m:generateContent", GEM_BODY ",\"generationConfig\":{\"max_tokens\":5}}", "k", 400,
         "INVALID_ARGUMENT", "Unknown name \"max_tokens\""},
        {"/v1beta/models/m:generateContent", GEM_BODY ",\"generationConfig\":{\"responseJsonSchema\":{}}}", "k",
         400, "INVALID_ARGUMENT", "application/json"},
        {"/v1beta/models/m:generateContent", GEM_BODY ",\"toolConfig\":{\"functionCallingConfig\":{\"mode\":"
         "\"REQUIRED\"}}}", "k", 400, "INVALID_ARGUMENT", "mode"},
    };
    hres r;
    cJSON *j;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        gem(&r, cases[i].path, cases[i].body, cases[i].key);
        if (r.status != cases[i].status)
            fail_msg("case %zu: status %ld: %s", i, r.status, r.body);
        j = parse_body(&r);
        assert_string_equal(str(j, "error.status"), cases[i].gstatus);
        assert_int_equal((int)num(j, "error.code"), cases[i].status);
        if (!strstr(str(j, "error.message"), cases[i].needle))
            fail_msg("case %zu: '%s' lacks '%s'", i, str(j, "error.message"), cases[i].needle);
        cJSON_Delete(j);
        hres_free(&r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_answer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stream_framing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors_rendered, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
    };
    curl_global_init(CURL_GLOBAL_ALL);
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
