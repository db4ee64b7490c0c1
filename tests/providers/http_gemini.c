/*
 * tests/providers/http_gemini.c: the gemini provider over loopback HTTP
 * against the mock's Gemini dialect: answers, SSE streams (CRLF framing, no
 * [DONE]), tool calls both ways, every error class it maps, errors inside a
 * 200 stream before and after the commit point, cut streams, the exact
 * request the mock received, usage equal to the mock's ledger, and names that
 * would change the URL path refused before anything is sent.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "itest.h"

static void add_gemini(itest *t, const char *group, const char *lane, const char *model, const char *key)
{
    llmgw_deployment_options d;
    char base[256], full[256];

    snprintf(base, sizeof(base), "%s/lane/%s", mock_server_base_url(t->srv), lane);
    snprintf(full, sizeof(full), "gemini/%s", model);
    assert_int_equal(llmgw_deployment_options_init(&d, LLMGW_DEPLOYMENT_OPTIONS_VERSION), 0);
    d.group = group;
    d.model = full;
    d.api_base = base;
    d.api_key = key;
    if (llmgw_gateway_add_deployment(t->gw, &d) != 0)
        fail_msg("add_deployment %s: %s", full, llmgw_error_last()->message);
}

static void start(itest *t, unsigned int attempts)
{
    llmgw_gateway_options o;

    llmgw_gateway_options_init(&o, LLMGW_GATEWAY_OPTIONS_VERSION);
    o.max_attempts = attempts;
    o.idle_timeout_ms = 2000;
    itest_start(t, &o);
    add_gemini(t, "g", "gm", "gemini-test", TEST_KEY);
}

/* One scripted step whose body is a fixture file (a Gemini error body, a raw answer). */
static void script_fixture(itest *t, const char *lane, int status, const char *rel, const char *headers_json,
                           const char *then_step)
{
    char *body = fixture_read(rel, NULL), *s;
    cJSON *steps = cJSON_CreateArray(), *step = cJSON_CreateObject();

    if (body == NULL)
        fail_msg("fixture %s missing", rel);
    cJSON_AddNumberToObject(step, "status", status);
    cJSON_AddStringToObject(step, "body", body);
    if (headers_json != NULL)
        cJSON_AddItemToObject(step, "headers", cJSON_Parse(headers_json));
    cJSON_AddItemToArray(steps, step);
    if (then_step != NULL)
        cJSON_AddItemToArray(steps, cJSON_Parse(then_step));
    s = cJSON_PrintUnformatted(steps);
    itest_script(t, lane, s);
    cJSON_free(s);
    cJSON_Delete(steps);
    free(body);
}

/* The n-th request the lane received, and its body parsed. */
static cJSON *received(itest *t, const char *lane, int n, cJSON **body)
{
    cJSON *reqs = itest_requests(t, lane), *rq = cJSON_DetachItemFromArray(reqs, n);

    cJSON_Delete(reqs);
    assert_non_null(rq);
    *body = cJSON_Parse(cJSON_GetObjectItem(rq, "body")->valuestring);
    assert_non_null(*body);
    return rq;
}

static const char *jstr(const cJSON *o, const char *path)
{
    char key[64];
    const char *dot;
    const cJSON *it = o;

    while (it != NULL && *path) {
        dot = strchr(path, '.');
        snprintf(key, sizeof(key), "%.*s", (int)(dot ? (size_t)(dot - path) : strlen(path)), path);
        it = (key[0] >= '0' && key[0] <= '9') ? cJSON_GetArrayItem(it, atoi(key)) : cJSON_GetObjectItem(it, key);
        path = dot ? dot + 1 : "";
    }
    if (!cJSON_IsString(it))
        fail_msg("no string at %s", path);
    return it->valuestring;
}

static const cJSON *jget(const cJSON *o, const char *path)
{
    char key[64];
    const char *dot;
    const cJSON *it = o;

    while (it != NULL && *path) {
        dot = strchr(path, '.');
        snprintf(key, sizeof(key), "%.*s", (int)(dot ? (size_t)(dot - path) : strlen(path)), path);
        it = (key[0] >= '0' && key[0] <= '9') ? cJSON_GetArrayItem(it, atoi(key)) : cJSON_GetObjectItem(it, key);
        path = dot ? dot + 1 : "";
    }
    return it;
}

static void expect_ledger(itest *t, const char *lane, const llmgw_usage *u)
{
    mock_ledger led;

    mock_server_ledger(t->srv, lane, &led);
    assert_int_equal(led.usage_reports, 1);
    assert_int_equal(u->input_tokens, led.prompt_tokens);
    assert_int_equal(u->output_tokens, led.completion_tokens);
    assert_int_equal(u->cache_read_tokens, led.cached_tokens);
    assert_int_equal(u->reasoning_tokens, led.reasoning_tokens);
    assert_int_equal(u->usage_known, 1);
}

static void test_nonstream(void **state)
{
    itest t;
    llmgw_request *req = NULL;
    llmgw_response *r = NULL;
    cJSON *rq, *body, *hdrs;

    (void)state;
    start(&t, 1);
    assert_int_equal(llmgw_request_new(&req, "g"), 0);
    assert_int_equal(llmgw_request_add_message(req, LLMGW_ROLE_SYSTEM, "Be terse."), 0);
    assert_int_equal(llmgw_request_add_message(req, LLMGW_ROLE_USER, "Say hello to the tests"), 0);
    assert_int_equal(llmgw_request_set_max_tokens(req, 50), 0);
    assert_int_equal(llmgw_request_set_temperature(req, 0.5), 0);
    assert_int_equal(llmgw_request_set_top_p(req, 0.75), 0);
    assert_int_equal(llmgw_request_add_stop(req, "STOP"), 0);
    assert_int_equal(llmgw_request_set_seed(req, 7), 0);
    assert_int_equal(llmgw_complete(t.gw, req, &r), 0);
    assert_string_equal(llmgw_response_text(r), "Hello from the mock upstream.");
    assert_string_equal(llmgw_response_finish_reason(r), "stop");
    assert_string_equal(llmgw_response_finish_reason_raw(r), "STOP");
    assert_string_equal(llmgw_response_provider(r), "gemini");
    assert_string_equal(llmgw_response_model(r), "gemini-test");
    assert_string_equal(llmgw_response_id(r), "mock-gm-1");
    assert_int_equal(llmgw_response_usage(r)->input_tokens, 5 + 4 + 2 + 4);  /* words + 4 per content */
    assert_int_equal(llmgw_response_usage(r)->output_tokens, 5);
    expect_ledger(&t, "gm", llmgw_response_usage(r));

    /* the request on the wire: URL, headers, body mapping */
    rq = received(&t, "gm", 0, &body);
    assert_string_equal(jstr(rq, "method"), "POST");
    assert_string_equal(jstr(rq, "path"), "/v1beta/models/gemini-test:generateContent");
    assert_string_equal(jstr(rq, "query"), "");
    hdrs = cJSON_GetObjectItem(rq, "headers");
    assert_string_equal(jstr(hdrs, "x-goog-api-key"), TEST_KEY);
    assert_null(cJSON_GetObjectItem(hdrs, "authorization"));
    assert_null(strstr(jstr(rq, "path"), "SECRETKEY"));
    assert_string_equal(jstr(body, "contents.0.role"), "user");
    assert_string_equal(jstr(body, "contents.0.parts.0.text"), "Say hello to the tests");
    assert_string_equal(jstr(body, "systemInstruction.parts.0.text"), "Be terse.");
    assert_int_equal(jget(body, "generationConfig.maxOutputTokens")->valueint, 50);
    assert_true(jget(body, "generationConfig.temperature")->valuedouble == 0.5);
    assert_true(jget(body, "generationConfig.topP")->valuedouble == 0.75);
    assert_string_equal(jstr(body, "generationConfig.stopSequences.0"), "STOP");
    assert_int_equal(jget(body, "generationConfig.seed")->valueint, 7);
    assert_null(cJSON_GetObjectItem(body, "model"));
    assert_null(cJSON_GetObjectItem(body, "messages"));
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(body, "contents")), 1);
    cJSON_Delete(body);
    cJSON_Delete(rq);
    llmgw_response_free(r);
    llmgw_request_free(req);
    itest_stop(&t);
}

static void test_stream(void **state)
{
    itest t;
    collect c;
    llmgw_response *r = NULL;
    cJSON *rq, *body;

    (void)state;
    start(&t, 1);
    itest_script(&t, "gm", "[{\"text\":\"one two three four five six\"}]");
    collect_init(&c);
    assert_int_equal(itest_stream(&t, "g", "hi", &c, &r), 0);
    assert_string_equal(c.text, "one two three four five six");
    assert_int_equal(c.text_calls, 6);
    assert_int_equal(c.done_calls, 1);
    assert_int_equal(c.error_calls, 0);
    assert_int_equal(c.usage_calls, 1);
    assert_true(c.order_ok);
    assert_string_equal(c.done_finish, "stop");
    assert_string_equal(llmgw_response_text(r), "one two three four five six");
    assert_true(llmgw_response_usage(r)->stream);
    expect_ledger(&t, "gm", llmgw_response_usage(r));
    assert_int_equal(c.usage_input, 1 + 4);                 /* partial usage in each event: set, not summed */
    rq = received(&t, "gm", 0, &body);
    assert_string_equal(jstr(rq, "path"), "/v1beta/models/gemini-test:streamGenerateContent");
    assert_string_equal(jstr(rq, "query"), "alt=sse");
    assert_null(cJSON_GetObjectItem(body, "stream"));
    cJSON_Delete(body);
    cJSON_Delete(rq);
    llmgw_response_free(r);
    itest_stop(&t);
}

static const char *TOOL_SCRIPT =
    "{\"steps\":[{\"tool_calls\":[{\"name\":\"get_weather\",\"arguments\":{\"city\":\"Paris\"}},"
    "{\"name\":\"get_time\",\"arguments\":{\"tz\":\"CET\"}}],\"usage\":{\"reasoning_tokens\":3}}],"
    "\"then\":\"repeat_last\"}";

static void test_tool_calls(void **state)
{
    itest t;
    collect c;
    llmgw_stream_sink s;
    llmgw_request *req;
    llmgw_response *r = NULL;
    const llmgw_tool_call *tc;
    cJSON *rq, *body;
    const cJSON *params;

    (void)state;
    start(&t, 1);
    itest_script(&t, "gm", TOOL_SCRIPT);
    req = itest_request("g", "weather and time in Paris?");
    assert_int_equal(llmgw_request_add_tool(req, "get_weather", "Weather of a city",
                     "{\"type\":\"object\",\"additionalProperties\":false,\"$schema\":\"x\","
                     "\"properties\":{\"city\":{\"type\":[\"string\",\"null\"]}},\"required\":[\"city\"]}"), 0);
    assert_int_equal(llmgw_request_add_tool(req, "get_time", NULL, NULL), 0);
    assert_int_equal(llmgw_request_set_tool_choice_function(req, "get_weather"), 0);
    assert_int_equal(llmgw_complete(t.gw, req, &r), 0);
    assert_int_equal(llmgw_response_tool_call_count(r), 2);
    tc = llmgw_response_tool_call(r, 0);
    assert_string_equal(tc->id, "call_0");                  /* Gemini sent none: synthesized */
    assert_string_equal(tc->name, "get_weather");
    assert_string_equal(tc->arguments, "{\"city\":\"Paris\"}");
    assert_string_equal(llmgw_response_tool_call(r, 1)->id, "call_1");
    assert_string_equal(llmgw_response_tool_call(r, 1)->arguments, "{\"tz\":\"CET\"}");
    assert_string_equal(llmgw_response_finish_reason(r), "tool_calls");
    assert_string_equal(llmgw_response_finish_reason_raw(r), "STOP");
    expect_ledger(&t, "gm", llmgw_response_usage(r));
    assert_int_equal(llmgw_response_usage(r)->reasoning_tokens, 3);
    llmgw_response_free(r);

    /* the tools went upstream as functionDeclarations, keywords Gemini rejects stripped */
    rq = received(&t, "gm", 0, &body);
    assert_string_equal(jstr(body, "tools.0.functionDeclarations.0.name"), "get_weather");
    assert_string_equal(jstr(body, "tools.0.functionDeclarations.0.description"), "Weather of a city");
    params = jget(body, "tools.0.functionDeclarations.0.parameters");
    assert_non_null(params);
    assert_null(cJSON_GetObjectItem(params, "additionalProperties"));
    assert_null(cJSON_GetObjectItem(params, "$schema"));
    assert_string_equal(jstr(params, "properties.city.type"), "string");
    assert_true(cJSON_IsTrue(jget(params, "properties.city.nullable")));
    assert_null(jget(body, "tools.0.functionDeclarations.1.parameters"));   /* empty object schema */
    assert_string_equal(jstr(body, "toolConfig.functionCallingConfig.mode"), "ANY");
    assert_string_equal(jstr(body, "toolConfig.functionCallingConfig.allowedFunctionNames.0"), "get_weather");
    cJSON_Delete(body);
    cJSON_Delete(rq);

    /* streamed: each call arrives whole and is numbered across events */
    collect_init(&c);
    s = collect_sink(&c);
    assert_int_equal(llmgw_complete_stream(t.gw, req, &s, &r), 0);
    assert_string_equal(c.tool_ids[0], "call_0");
    assert_string_equal(c.tool_names[0], "get_weather");
    assert_string_equal(c.tool_args[0], "{\"city\":\"Paris\"}");
    assert_string_equal(c.tool_ids[1], "call_1");
    assert_string_equal(c.tool_args[1], "{\"tz\":\"CET\"}");
    assert_string_equal(c.done_finish, "tool_calls");
    assert_int_equal(llmgw_response_usage(r)->output_tokens, 16);
    llmgw_response_free(r);
    llmgw_request_free(req);
    itest_stop(&t);
}

/* A conversation with tool results: the mock accepts it (functionCall in model turns,
 * functionResponse in user turns) and the mapping is what Gemini expects. */
static void test_tool_round_trip(void **state)
{
    itest t;
    llmgw_request *req = NULL;
    llmgw_response *r = NULL;
    cJSON *rq, *body;
    size_t len;
    char *text = fixture_read("gemini/tool_round_trip.request.json", &len);

    (void)state;
    assert_non_null(text);
    start(&t, 1);
    assert_int_equal(llmgw_request_from_json(&req, text, len), 0);
    assert_int_equal(llmgw_request_set_model(req, "g"), 0);
    if (llmgw_complete(t.gw, req, &r) != 0)
        fail_msg("%s", llmgw_error_last()->message);
    rq = received(&t, "gm", 0, &body);
    assert_string_equal(jstr(body, "contents.1.role"), "model");
    assert_string_equal(jstr(body, "contents.1.parts.0.functionCall.args.city"), "Paris");
    assert_string_equal(jstr(body, "contents.2.role"), "user");
    assert_string_equal(jstr(body, "contents.2.parts.0.functionResponse.name"), "get_time");
    assert_string_equal(jstr(body, "contents.2.parts.0.functionResponse.response.content"), "14:05 CET");
    assert_string_equal(jstr(body, "contents.2.parts.1.functionResponse.name"), "get_weather");
    assert_int_equal(jget(body, "contents.2.parts.1.functionResponse.response.temp_c")->valueint, 21);
    assert_string_equal(jstr(body, "contents.6.parts.0.functionResponse.name"), "get_forecast");
    cJSON_Delete(body);
    cJSON_Delete(rq);
    llmgw_response_free(r);
    llmgw_request_free(req);
    free(text);
    itest_stop(&t);
}

static void test_multimodal_json_mode(void **state)
{
    itest t;
    llmgw_request *req;
    llmgw_response *r = NULL;
    cJSON *rq, *body;

    (void)state;
    start(&t, 1);
    req = itest_request("g", "Compare these.");
    assert_int_equal(llmgw_request_add_image_part(req, "data:image/png;base64,iVBORw0KGgo=", NULL), 0);
    assert_int_equal(llmgw_request_add_image_part(req, "https://example.com/cat.webp", "auto"), 0);
    assert_int_equal(llmgw_request_set_response_format(req, LLMGW_FORMAT_JSON_SCHEMA, "answer",
                     "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\"}}}", 1), 0);
    assert_int_equal(llmgw_complete(t.gw, req, &r), 0);
    rq = received(&t, "gm", 0, &body);
    assert_string_equal(jstr(body, "contents.0.parts.0.text"), "Compare these.");
    assert_string_equal(jstr(body, "contents.0.parts.1.inlineData.mimeType"), "image/png");
    assert_string_equal(jstr(body, "contents.0.parts.1.inlineData.data"), "iVBORw0KGgo=");
    assert_string_equal(jstr(body, "contents.0.parts.2.fileData.fileUri"), "https://example.com/cat.webp");
    assert_string_equal(jstr(body, "contents.0.parts.2.fileData.mimeType"), "image/webp");
    assert_string_equal(jstr(body, "generationConfig.responseMimeType"), "application/json");
    assert_string_equal(jstr(body, "generationConfig.responseJsonSchema.properties.a.type"), "string");
    cJSON_Delete(body);
    cJSON_Delete(rq);
    llmgw_response_free(r);
    llmgw_request_free(req);
    itest_stop(&t);
}

static void test_errors(void **state)
{
    static const struct { int status; const char *file, *script; int code, cls; int64_t retry; const char *needle; }
    cases[] = {
        { 400, "error_400_api_key_invalid.json", NULL, LLMGW_EAUTH, LLMGW_ERRCLASS_AUTH, -1, "API key not valid" },
        { 400, "error_400_context_length.json", NULL, LLMGW_EPROVIDER, LLMGW_ERRCLASS_CONTEXT_LENGTH_EXCEEDED, -1,
          "exceeds the maximum" },
        { 400, "error_400_invalid_argument.json", NULL, LLMGW_EPROVIDER, LLMGW_ERRCLASS_BAD_REQUEST, -1, "Unknown name" },
        { 403, "error_403_permission_denied.json", NULL, LLMGW_EAUTH, LLMGW_ERRCLASS_AUTH, -1, "unregistered callers" },
        { 404, "error_404_not_found.json", NULL, LLMGW_ENOTFOUND, LLMGW_ERRCLASS_NOT_FOUND, -1, "ListModels" },
        { 429, "error_429_rate_limit.json", NULL, LLMGW_ERATELIMIT, LLMGW_ERRCLASS_RATE_LIMIT, 52000, "quota" },
        { 429, "error_429_retry_fraction.json", NULL, LLMGW_ERATELIMIT, LLMGW_ERRCLASS_RATE_LIMIT, 1500, "exhausted" },
        { 429, "error_429_quota_per_day.json", NULL, LLMGW_ERATELIMIT, LLMGW_ERRCLASS_QUOTA_EXCEEDED, 16000, "quota" },
        { 429, "error_429_limit_zero.json", NULL, LLMGW_ERATELIMIT, LLMGW_ERRCLASS_QUOTA_EXCEEDED, -1, "limit: 0" },
        { 500, "error_500_internal.json", NULL, LLMGW_EUNAVAILABLE, LLMGW_ERRCLASS_SERVER_ERROR, -1, "internal error" },
        { 503, "error_503_overloaded.json", NULL, LLMGW_EUNAVAILABLE, LLMGW_ERRCLASS_SERVER_ERROR, -1, "overloaded" },
        { 504, "error_504_deadline.json", NULL, LLMGW_EUNAVAILABLE, LLMGW_ERRCLASS_SERVER_ERROR, -1, "Deadline" },
        /* envelopes the dialect renders itself */
        { 400, NULL, "[{\"status\":400,\"error_code\":\"API_KEY_INVALID\",\"error_message\":\"API key not valid.\"}]",
          LLMGW_EAUTH, LLMGW_ERRCLASS_AUTH, -1, "INVALID_ARGUMENT" },
        { 429, NULL, "[{\"status\":429}]", LLMGW_ERATELIMIT, LLMGW_ERRCLASS_RATE_LIMIT, -1, "RESOURCE_EXHAUSTED" },
        { 503, NULL, "[{\"status\":503,\"error_message\":\"The model is overloaded.\"}]", LLMGW_EUNAVAILABLE,
          LLMGW_ERRCLASS_SERVER_ERROR, -1, "UNAVAILABLE" },
    };
    itest t;
    llmgw_response *r = NULL;
    char rel[128], group[16], model[32];
    size_t i;
    int rc;

    (void)state;
    start(&t, 1);
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        /* a deployment per case: auth, quota and not_found hold theirs for minutes */
        snprintf(group, sizeof(group), "e%zu", i);
        snprintf(model, sizeof(model), "gemini-err-%zu", i);
        add_gemini(&t, group, "gm", model, TEST_KEY);
        if (cases[i].file != NULL) {
            snprintf(rel, sizeof(rel), "gemini/%s", cases[i].file);
            script_fixture(&t, "gm", cases[i].status, rel, NULL, NULL);
        } else {
            itest_script(&t, "gm", cases[i].script);
        }
        rc = itest_complete(&t, group, "hi", &r);
        assert_null(r);
        if (rc != cases[i].code || llmgw_error_last()->error_class != cases[i].cls ||
            llmgw_error_last()->http_status != cases[i].status ||
            llmgw_error_last()->retry_after_ms != cases[i].retry)
            fail_msg("case %zu: rc %d class %s http %d retry %lld: %s", i, rc,
                     llmgw_error_class_str(llmgw_error_last()->error_class), llmgw_error_last()->http_status,
                     (long long)llmgw_error_last()->retry_after_ms, llmgw_error_last()->message);
        if (strstr(llmgw_error_last()->message, cases[i].needle) == NULL)
            fail_msg("case %zu: '%s' lacks '%s'", i, llmgw_error_last()->message, cases[i].needle);
        assert_string_equal(llmgw_error_last()->provider, "gemini");
    }
    assert_int_equal(t.usage_records, (int)(sizeof(cases) / sizeof(cases[0])));
    itest_stop(&t);
}

/* RetryInfo.retryDelay is waited for when no header gave a hint; a header wins. */
static void test_retry_delay(void **state)
{
    itest t;
    llmgw_response *r = NULL;
    double t0;

    (void)state;
    start(&t, 2);
    itest_script(&t, "gm", "[{\"status\":429,\"body\":\"{\\\"error\\\":{\\\"code\\\":429,\\\"message\\\":\\\"slow\\\","
                           "\\\"status\\\":\\\"RESOURCE_EXHAUSTED\\\",\\\"details\\\":[{\\\"@type\\\":\\\"type.googleapis.com/"
                           "google.rpc.RetryInfo\\\",\\\"retryDelay\\\":\\\"0.2s\\\"}]}}\"}]");
    t0 = itest_now_ms();
    assert_int_equal(itest_complete(&t, "g", "hi", &r), 0);
    assert_true(itest_now_ms() - t0 >= 200.0);
    assert_int_equal(llmgw_response_usage(r)->trail[0].retry_after_ms, 200);
    assert_int_equal(llmgw_response_usage(r)->trail[0].error_class, LLMGW_ERRCLASS_RATE_LIMIT);
    assert_true(llmgw_response_usage(r)->trail[1].wait_us >= 200000);
    llmgw_response_free(r);
    script_fixture(&t, "gm", 429, "gemini/error_429_rate_limit.json", "{\"retry-after-ms\":\"120\"}", "{}");
    assert_int_equal(itest_complete(&t, "g", "hi", &r), 0);
    assert_int_equal(llmgw_response_usage(r)->trail[0].retry_after_ms, 120);
    llmgw_response_free(r);
    /* a per-day quota is not retried */
    mock_server_reset(t.srv);
    script_fixture(&t, "gm", 429, "gemini/error_429_quota_per_day.json", NULL, "{}");
    assert_int_equal(itest_complete(&t, "g", "hi", &r), LLMGW_ERATELIMIT);
    assert_int_equal(itest_request_count(&t, "gm"), 1);
    itest_stop(&t);
}

static void test_error_event(void **state)
{
    itest t;
    collect c;
    llmgw_response *r = NULL;

    (void)state;
    start(&t, 3);
    /* before anything was delivered: classified like a 429, and another deployment answers */
    add_gemini(&t, "ev", "gm", "gemini-a", TEST_KEY);
    add_gemini(&t, "ev", "gm", "gemini-b", TEST_KEY);
    itest_script(&t, "gm", "[{\"error_event\":{\"code\":429,\"message\":\"Resource has been exhausted (e.g. check "
                           "quota).\",\"status\":\"RESOURCE_EXHAUSTED\"},\"error_after_events\":0}]");
    collect_init(&c);
    assert_int_equal(itest_stream(&t, "ev", "hi", &c, &r), 0);
    assert_int_equal(llmgw_response_attempt_count(r), 2);
    assert_int_equal(llmgw_response_attempt(r, 0)->error_class, LLMGW_ERRCLASS_RATE_LIMIT);
    assert_int_equal(llmgw_response_attempt(r, 0)->http_status, 429);
    assert_string_equal(c.text, "Hello from the mock upstream.");
    assert_int_equal(c.error_calls, 0);
    llmgw_response_free(r);
    /* after the commit point: one typed terminal error, no retry */
    mock_server_reset(t.srv);
    itest_script(&t, "gm", "[{\"text\":\"a b c\",\"error_event\":{\"code\":503,\"message\":\"The model is overloaded. "
                           "Please try again later.\",\"status\":\"UNAVAILABLE\"},\"error_after_events\":2}]");
    collect_init(&c);
    assert_int_equal(itest_stream(&t, "g", "hi", &c, NULL), LLMGW_EUNAVAILABLE);
    assert_int_equal(c.error_class, LLMGW_ERRCLASS_STREAM_CUT);
    assert_int_equal(c.done_calls, 0);
    assert_int_equal(c.error_calls, 1);
    assert_string_equal(c.text, "a b");
    assert_non_null(strstr(c.error_message, "overloaded"));
    assert_int_equal(itest_request_count(&t, "gm"), 1);
    itest_stop(&t);
}

static void test_cut_stream(void **state)
{
    itest t;
    collect c;
    mock_ledger led;
    llmgw_response *r = NULL;

    (void)state;
    start(&t, 3);
    /* events: "a", " b", " c", " d", usage, finish; cut after 2: no finishReason ever came */
    itest_script(&t, "gm", "[{\"text\":\"a b c d\",\"cut_after_events\":2}]");
    collect_init(&c);
    assert_int_equal(itest_stream(&t, "g", "hi", &c, NULL), LLMGW_EUNAVAILABLE);
    assert_int_equal(c.error_class, LLMGW_ERRCLASS_STREAM_CUT);
    assert_int_equal(c.done_calls, 0);
    assert_string_equal(c.text, "a b");
    assert_true(c.order_ok);
    assert_int_equal(itest_request_count(&t, "gm"), 1);
    mock_server_ledger(t.srv, "gm", &led);
    assert_int_equal(led.usage_reports, 0);
    /* every event but the one with the finishReason: still cut */
    mock_server_reset(t.srv);
    itest_script(&t, "gm", "[{\"text\":\"a b\",\"omit_done\":true}]");
    collect_init(&c);
    assert_int_equal(itest_stream(&t, "g", "hi", &c, NULL), LLMGW_EUNAVAILABLE);
    assert_int_equal(c.error_class, LLMGW_ERRCLASS_STREAM_CUT);
    assert_int_equal(c.done_calls, 0);
    /* cut before anything was delivered: retried */
    mock_server_reset(t.srv);
    itest_script(&t, "gm", "[{\"cut_after_events\":0},{\"malformed\":true},{\"text\":\"fine now\"}]");
    collect_init(&c);
    assert_int_equal(itest_stream(&t, "g", "hi", &c, &r), 0);
    assert_string_equal(c.text, "fine now");
    assert_int_equal(llmgw_response_attempt_count(r), 3);
    assert_int_equal(llmgw_response_attempt(r, 0)->error_class, LLMGW_ERRCLASS_NETWORK);
    assert_int_equal(llmgw_response_attempt(r, 1)->error_class, LLMGW_ERRCLASS_SERVER_ERROR);
    llmgw_response_free(r);
    itest_stop(&t);
}

/* Names that would change the URL path are refused before any request is sent. */
static void test_bad_model_names(void **state)
{
    static const char *const models[] = { "../x", "a/b", "a?b", "..", "a#b", "a b", "a%2e%2e" };
    itest t;
    collect c;
    llmgw_response *r = NULL;
    mock_ledger led;
    char group[32];
    size_t i;

    (void)state;
    start(&t, 3);
    for (i = 0; i < sizeof(models) / sizeof(models[0]); i++) {
        snprintf(group, sizeof(group), "bad%zu", i);
        add_gemini(&t, group, "gm", models[i], TEST_KEY);
        if (itest_complete(&t, group, "hi", &r) != LLMGW_EPROVIDER)
            fail_msg("model '%s' not refused: %s", models[i], llmgw_error_last()->message);
        assert_int_equal(llmgw_error_last()->error_class, LLMGW_ERRCLASS_BAD_REQUEST);
        assert_int_equal(llmgw_error_last()->http_status, 0);
        collect_init(&c);
        assert_int_equal(itest_stream(&t, group, "hi", &c, NULL), LLMGW_EPROVIDER);
        assert_int_equal(c.error_calls, 1);
    }
    mock_server_ledger(t.srv, NULL, &led);
    assert_int_equal(led.requests, 0);
    assert_int_equal(itest_request_count(&t, "gm"), 0);
    /* "models/" prefixed names and ':' are fine */
    add_gemini(&t, "pfx", "ok", "models/gemini-x:exp", TEST_KEY);
    assert_int_equal(itest_complete(&t, "pfx", "hi", &r), 0);
    assert_string_equal(llmgw_response_model(r), "gemini-x:exp");
    llmgw_response_free(r);
    itest_stop(&t);
}

static void test_unsupported_not_sent(void **state)
{
    itest t;
    llmgw_request *req;
    llmgw_response *r = NULL;
    cJSON *rq, *body;

    (void)state;
    start(&t, 3);
    req = itest_request("g", "hi");
    assert_int_equal(llmgw_request_set_param_json(req, "logit_bias", "{\"1\":5}"), 0);
    assert_int_equal(llmgw_complete(t.gw, req, &r), LLMGW_EUNSUPPORTED);
    assert_int_equal(llmgw_error_last()->error_class, LLMGW_ERRCLASS_UNSUPPORTED);
    assert_non_null(strstr(llmgw_error_last()->message, "logit_bias"));
    assert_int_equal(itest_request_count(&t, "gm"), 0);
    assert_int_equal(llmgw_request_set_drop_params(req, 1), 0);
    assert_int_equal(llmgw_complete(t.gw, req, &r), 0);
    rq = received(&t, "gm", 0, &body);
    assert_null(strstr(cJSON_GetObjectItem(rq, "body")->valuestring, "logit"));
    cJSON_Delete(body);
    cJSON_Delete(rq);
    llmgw_response_free(r);
    llmgw_request_free(req);
    itest_stop(&t);
}

static void test_usage_and_finish(void **state)
{
    itest t;
    collect c;
    llmgw_response *r = NULL;
    const llmgw_usage *u;

    (void)state;
    start(&t, 1);
    itest_script(&t, "gm", "{\"steps\":[{\"text\":\"x y\",\"usage\":{\"prompt_tokens\":40,\"completion_tokens\":12,"
                           "\"cached_tokens\":10,\"reasoning_tokens\":5},\"finish_reason\":\"length\"}],"
                           "\"then\":\"repeat_last\"}");
    assert_int_equal(itest_complete(&t, "g", "hi", &r), 0);
    u = llmgw_response_usage(r);
    assert_int_equal(u->input_tokens, 40);
    assert_int_equal(u->cache_read_tokens, 10);
    assert_int_equal(u->output_tokens, 12);
    assert_int_equal(u->reasoning_tokens, 5);
    expect_ledger(&t, "gm", u);
    assert_string_equal(llmgw_response_finish_reason(r), "length");
    assert_string_equal(llmgw_response_finish_reason_raw(r), "MAX_TOKENS");
    llmgw_response_free(r);
    mock_server_reset(t.srv);
    itest_script(&t, "gm", "{\"steps\":[{\"text\":\"x y\",\"usage\":{\"prompt_tokens\":40,\"completion_tokens\":12,"
                           "\"cached_tokens\":10,\"reasoning_tokens\":5},\"finish_reason\":\"content_filter\"}]}");
    collect_init(&c);
    assert_int_equal(itest_stream(&t, "g", "hi", &c, &r), 0);
    assert_string_equal(c.done_finish, "content_filter");
    expect_ledger(&t, "gm", llmgw_response_usage(r));
    llmgw_response_free(r);

    /* a blocked prompt: HTTP 200, no candidates */
    script_fixture(&t, "gm", 200, "gemini/response_blocked.json", NULL, NULL);
    assert_int_equal(itest_complete(&t, "g", "hi", &r), 0);
    assert_string_equal(llmgw_response_finish_reason(r), "content_filter");
    assert_string_equal(llmgw_response_finish_reason_raw(r), "SAFETY");
    assert_string_equal(llmgw_response_text(r), "");
    llmgw_response_free(r);
    itest_stop(&t);
}

/* thought parts are reasoning, never answer text */
static void test_reasoning(void **state)
{
    itest t;
    collect c;
    llmgw_response *r = NULL;

    (void)state;
    start(&t, 1);
    itest_script(&t, "gm", "{\"steps\":[{\"text\":\"x y\",\"reasoning\":\"Let me think.\",\"usage\":"
                           "{\"completion_tokens\":9,\"reasoning_tokens\":7}}],\"then\":\"repeat_last\"}");
    assert_int_equal(itest_complete(&t, "g", "hi", &r), 0);
    assert_string_equal(llmgw_response_text(r), "x y");
    assert_string_equal(llmgw_response_reasoning(r), "Let me think.");
    assert_int_equal(llmgw_response_usage(r)->reasoning_tokens, 7);
    assert_int_equal(llmgw_response_usage(r)->output_tokens, 9);
    llmgw_response_free(r);
    collect_init(&c);
    assert_int_equal(itest_stream(&t, "g", "hi", &c, &r), 0);
    assert_string_equal(c.text, "x y");
    assert_int_equal(c.reasoning_calls, 1);
    assert_string_equal(llmgw_response_reasoning(r), "Let me think.");
    llmgw_response_free(r);
    itest_stop(&t);
}

static void test_absurd_usage_rejected(void **state)
{
    static const char *const raw[] = {
        "{\\\"promptTokenCount\\\":-5}", "{\\\"promptTokenCount\\\":1.5}", "{\\\"candidatesTokenCount\\\":\\\"7\\\"}",
        "{\\\"promptTokenCount\\\":1099511627776}", "{\\\"promptTokenCount\\\":3,\\\"cachedContentTokenCount\\\":4}",
        "[]",
    };
    itest t;
    llmgw_response *r = NULL;
    collect c;
    char script[256];
    size_t i;

    (void)state;
    start(&t, 1);
    for (i = 0; i < sizeof(raw) / sizeof(raw[0]); i++) {
        snprintf(script, sizeof(script), "{\"steps\":[{\"usage_raw\":\"%s\"}],\"then\":\"repeat_last\"}", raw[i]);
        itest_script(&t, "gm", script);
        if (itest_complete(&t, "g", "hi", &r) != LLMGW_EUNAVAILABLE)
            fail_msg("usage %s accepted", raw[i]);
        collect_init(&c);
        if (itest_stream(&t, "g", "hi", &c, NULL) != LLMGW_EUNAVAILABLE)
            fail_msg("streamed usage %s accepted", raw[i]);
        assert_int_equal(c.done_calls, 0);
    }
    itest_stop(&t);
}

/* GOOGLE_API_KEY wins over GEMINI_API_KEY; neither: refused before sending. */
static void test_env_keys(void **state)
{
    itest t;
    llmgw_response *r = NULL;
    cJSON *rq, *body;

    (void)state;
    start(&t, 1);
    setenv("GOOGLE_API_KEY", "google-key-1", 1);
    setenv("GEMINI_API_KEY", "gemini-key-2", 1);
    add_gemini(&t, "env1", "env", "gemini-test", NULL);
    unsetenv("GOOGLE_API_KEY");
    add_gemini(&t, "env2", "env", "gemini-test", NULL);
    unsetenv("GEMINI_API_KEY");
    add_gemini(&t, "env3", "env", "gemini-test", NULL);
    assert_int_equal(itest_complete(&t, "env1", "hi", &r), 0);
    llmgw_response_free(r);
    assert_int_equal(itest_complete(&t, "env2", "hi", &r), 0);
    llmgw_response_free(r);
    assert_int_equal(itest_complete(&t, "env3", "hi", &r), LLMGW_EAUTH);
    assert_int_equal(itest_request_count(&t, "env"), 2);
    rq = received(&t, "env", 0, &body);
    assert_string_equal(jstr(cJSON_GetObjectItem(rq, "headers"), "x-goog-api-key"), "google-key-1");
    cJSON_Delete(body);
    cJSON_Delete(rq);
    rq = received(&t, "env", 1, &body);
    assert_string_equal(jstr(cJSON_GetObjectItem(rq, "headers"), "x-goog-api-key"), "gemini-key-2");
    cJSON_Delete(body);
    cJSON_Delete(rq);
    itest_stop(&t);
}

/* An upstream that echoes the key: the error never shows it. */
static void test_key_never_in_errors(void **state)
{
    itest t;
    llmgw_response *r = NULL;
    char script[512];

    (void)state;
    start(&t, 1);
    snprintf(script, sizeof(script), "[{\"status\":400,\"error_code\":\"API_KEY_INVALID\",\"error_message\":"
             "\"API key not valid: %s\"}]", TEST_KEY);
    itest_script(&t, "gm", script);
    assert_int_equal(itest_complete(&t, "g", "hi", &r), LLMGW_EAUTH);
    assert_null(strstr(llmgw_error_last()->message, "SECRETKEY"));
    assert_non_null(strstr(llmgw_error_last()->message, "API key not valid"));
    itest_stop(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nonstream),
        cmocka_unit_test(test_stream),
        cmocka_unit_test(test_tool_calls),
        cmocka_unit_test(test_tool_round_trip),
        cmocka_unit_test(test_multimodal_json_mode),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_retry_delay),
        cmocka_unit_test(test_error_event),
        cmocka_unit_test(test_cut_stream),
        cmocka_unit_test(test_bad_model_names),
        cmocka_unit_test(test_unsupported_not_sent),
        cmocka_unit_test(test_usage_and_finish),
        cmocka_unit_test(test_reasoning),
        cmocka_unit_test(test_absurd_usage_rejected),
        cmocka_unit_test(test_env_keys),
        cmocka_unit_test(test_key_never_in_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
