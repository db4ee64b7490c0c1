/*
 * tests/providers/http_bedrock.c: bedrock over loopback HTTP against the mock's
 * bedrock dialect, which recomputes every SigV4 signature on its own code:
 * Converse and ConverseStream text and tool use, session and bearer credentials,
 * model ids that need encoding, every error class, exception frames before and
 * after the commit point, split frames, a bad CRC, cut streams, usage and the
 * ledger, credentials from the environment, and secrets kept out of errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "itest.h"
#include "mock_aws.h"

#define MODEL "us.anthropic.claude-3-5-sonnet-20241022-v2:0"
#define MODEL_PATH "/model/us.anthropic.claude-3-5-sonnet-20241022-v2%3A0"

enum { KEYS, SESSION, BEARER, BAD_SECRET, UNKNOWN_KEY };

static void start(itest *t, unsigned attempts)
{
    llmgw_gateway_options o;

    llmgw_gateway_options_init(&o, LLMGW_GATEWAY_OPTIONS_VERSION);
    o.max_attempts = attempts;
    o.breaker_disabled = 1;
    o.idle_timeout_ms = 3000;
    itest_start(t, &o);
}

static void add(itest *t, const char *group, const char *lane, const char *model, int cred)
{
    llmgw_deployment_options d;
    char base[256], full[512];

    snprintf(base, sizeof(base), "%s/lane/%s", mock_server_base_url(t->srv), lane);
    snprintf(full, sizeof(full), "bedrock/%s", model);
    llmgw_deployment_options_init(&d, LLMGW_DEPLOYMENT_OPTIONS_VERSION);
    d.group = group;
    d.model = full;
    d.api_base = base;
    d.region = "us-east-1";
    d.aws_access_key_id = cred == SESSION ? MOCK_AWS_SESSION_KEY_ID : cred == UNKNOWN_KEY ? "AKIDNOBODY"
                        : cred == BEARER ? NULL : MOCK_AWS_ACCESS_KEY_ID;
    d.aws_secret_access_key = cred == SESSION ? MOCK_AWS_SESSION_SECRET : cred == BAD_SECRET ? "not-the-secret"
                            : cred == BEARER ? NULL : MOCK_AWS_SECRET_ACCESS_KEY;
    d.aws_session_token = cred == SESSION ? MOCK_AWS_SESSION_TOKEN : NULL;
    d.api_key = cred == BEARER ? "ABSKbW9jay1iZWRyb2NrLWFwaS1rZXk=" : NULL;
    if (llmgw_gateway_add_deployment(t->gw, &d) != 0)
        fail_msg("add_deployment: %s", llmgw_error_last()->message);
}

static const char *req_header(const cJSON *rq, const char *name)
{
    return cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(rq, "headers"), name));
}

static cJSON *last_body(itest *t, const char *lane, cJSON **reqs)
{
    cJSON *all = *reqs = itest_requests(t, lane), *last = cJSON_GetArrayItem(all, cJSON_GetArraySize(all) - 1);

    assert_non_null(last);
    return cJSON_Parse(cJSON_GetStringValue(cJSON_GetObjectItem(last, "body")));
}

static void test_converse_text(void **state)
{
    llmgw_request *req = NULL;
    llmgw_response *r = NULL;
    cJSON *reqs, *rq, *body;
    mock_ledger led;
    itest t;

    (void)state;
    start(&t, 1);
    add(&t, "g", "c", MODEL, KEYS);
    itest_script(&t, "c", "[{\"text\":\"Hi there friend\",\"usage\":{\"prompt_tokens\":20,\"cached_tokens\":5}}]");
    assert_int_equal(llmgw_request_new(&req, "g"), 0);
    llmgw_request_add_message(req, LLMGW_ROLE_SYSTEM, "Be terse.");
    llmgw_request_add_message(req, LLMGW_ROLE_USER, "Hello there");
    llmgw_request_set_max_tokens(req, 64);
    llmgw_request_set_temperature(req, 0.5);
    llmgw_request_add_stop(req, "END");
    if (llmgw_complete(t.gw, req, &r) != 0)
        fail_msg("%s", llmgw_error_last()->message);
    assert_string_equal(llmgw_response_text(r), "Hi there friend");
    assert_string_equal(llmgw_response_finish_reason(r), "stop");
    assert_string_equal(llmgw_response_finish_reason_raw(r), "end_turn");
    assert_string_equal(llmgw_response_model(r), MODEL);
    assert_int_equal(llmgw_response_usage(r)->input_tokens, 20);        /* 15 fresh + 5 cached */
    assert_int_equal(llmgw_response_usage(r)->cache_read_tokens, 5);
    assert_int_equal(llmgw_response_usage(r)->output_tokens, 3);
    mock_server_ledger(t.srv, "c", &led);
    assert_int_equal(led.prompt_tokens, llmgw_response_usage(r)->input_tokens);
    assert_int_equal(led.completion_tokens, llmgw_response_usage(r)->output_tokens);

    body = last_body(&t, "c", &reqs);
    rq = cJSON_GetArrayItem(reqs, 0);
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(rq, "path")), MODEL_PATH "/converse");
    assert_non_null(strstr(req_header(rq, "authorization"),
                           "AWS4-HMAC-SHA256 Credential=" MOCK_AWS_ACCESS_KEY_ID "/"));
    assert_non_null(strstr(req_header(rq, "authorization"), "/us-east-1/bedrock/aws4_request"));
    assert_non_null(req_header(rq, "x-amz-date"));
    assert_null(req_header(rq, "x-amz-security-token"));
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(
                            cJSON_GetArrayItem(cJSON_GetObjectItem(body, "system"), 0), "text")), "Be terse.");
    assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(body, "inferenceConfig"), "maxTokens")->valueint, 64);
    assert_null(cJSON_GetObjectItem(body, "model"));
    cJSON_Delete(body);
    cJSON_Delete(reqs);
    llmgw_response_free(r);
    llmgw_request_free(req);
    itest_stop(&t);
}

/* Session tokens, bearer keys, ARNs and hostile ids: the mock checks each signature itself. */
static void test_credentials_and_model_ids(void **state)
{
    static const struct { const char *model, *path; int cred; } ok[] = {
        { MODEL, MODEL_PATH "/converse", SESSION },
        { MODEL, MODEL_PATH "/converse", BEARER },
        { "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-haiku-20240307-v1:0",
          "/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2F"
          "us.anthropic.claude-3-haiku-20240307-v1%3A0/converse", KEYS },
        { "../../admin?x=1#y", "/model/..%2F..%2Fadmin%3Fx%3D1%23y/converse", KEYS },
    };
    llmgw_response *r = NULL;
    cJSON *reqs;
    size_t i;
    itest t;

    (void)state;
    for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        start(&t, 1);
        add(&t, "g", "m", ok[i].model, ok[i].cred);
        if (itest_complete(&t, "g", "hi", &r) != 0)
            fail_msg("case %zu: %s", i, llmgw_error_last()->message);
        reqs = itest_requests(&t, "m");
        assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(reqs, 0), "path")),
                            ok[i].path);
        if (ok[i].cred == SESSION)
            assert_string_equal(req_header(cJSON_GetArrayItem(reqs, 0), "x-amz-security-token"),
                                MOCK_AWS_SESSION_TOKEN);
        if (ok[i].cred == BEARER)
            assert_string_equal(req_header(cJSON_GetArrayItem(reqs, 0), "authorization"),
                                "Bearer ABSKbW9jay1iZWRyb2NrLWFwaS1rZXk=");
        cJSON_Delete(reqs);
        llmgw_response_free(r);
        itest_stop(&t);
    }
}

/* One script (or a credential the mock refuses) -> status, class and HTTP status. */
static void expect_error(const char *script, int cred, int code, int cls, int http, const char *needle)
{
    itest t;
    llmgw_response *r = NULL;
    int rc;

    start(&t, 3);
    add(&t, "g", "e", MODEL, cred);
    if (script)
        itest_script(&t, "e", script);
    rc = itest_complete(&t, "g", "hi", &r);
    if (rc != code || llmgw_error_last()->error_class != cls || llmgw_error_last()->http_status != http ||
        (needle && !strstr(llmgw_error_last()->message, needle)))
        fail_msg("%s: rc %d class %s http %d: %s", script ? script : "(auth)", rc,
                 llmgw_error_class_str(llmgw_error_last()->error_class), llmgw_error_last()->http_status,
                 llmgw_error_last()->message);
    assert_null(strstr(llmgw_error_last()->message, MOCK_AWS_SECRET_ACCESS_KEY));
    assert_null(strstr(llmgw_error_last()->message, "not-the-secret"));
    itest_stop(&t);
}

static void test_error_classes(void **state)
{
    (void)state;
    expect_error("[{\"status\":400,\"error_message\":\"Malformed input request\"}]", KEYS,
                 LLMGW_EPROVIDER, LLMGW_ERRCLASS_BAD_REQUEST, 400, "ValidationException");
    expect_error("[{\"status\":400,\"error_message\":\"Input is too long for requested model.\"}]", KEYS,
                 LLMGW_EPROVIDER, LLMGW_ERRCLASS_CONTEXT_LENGTH_EXCEEDED, 400, "too long");
    expect_error("[{\"status\":400,\"error_type\":\"ServiceQuotaExceededException\"}]", KEYS,
                 LLMGW_ERATELIMIT, LLMGW_ERRCLASS_QUOTA_EXCEEDED, 400, NULL);
    expect_error("[{\"status\":403}]", KEYS, LLMGW_EAUTH, LLMGW_ERRCLASS_AUTH, 403, "AccessDeniedException");
    expect_error("[{\"status\":404}]", KEYS, LLMGW_ENOTFOUND, LLMGW_ERRCLASS_NOT_FOUND, 404, "ResourceNotFound");
    expect_error("{\"steps\":[{\"status\":408}],\"then\":\"repeat_last\"}", KEYS, LLMGW_ETIMEOUT,
                 LLMGW_ERRCLASS_TIMEOUT, 408, "ModelTimeoutException");
    expect_error("{\"steps\":[{\"status\":424}],\"then\":\"repeat_last\"}", KEYS, LLMGW_EUNAVAILABLE,
                 LLMGW_ERRCLASS_SERVER_ERROR, 424, "ModelErrorException");
    expect_error("{\"steps\":[{\"status\":429}],\"then\":\"repeat_last\"}", KEYS, LLMGW_ERATELIMIT,
                 LLMGW_ERRCLASS_RATE_LIMIT, 429, "ThrottlingException");
    expect_error("{\"steps\":[{\"status\":429,\"error_type\":\"ModelNotReadyException\"}],\"then\":\"repeat_last\"}",
                 KEYS, LLMGW_ERATELIMIT, LLMGW_ERRCLASS_RATE_LIMIT, 429, "ModelNotReady");
    expect_error("{\"steps\":[{\"status\":500}],\"then\":\"repeat_last\"}", KEYS, LLMGW_EUNAVAILABLE,
                 LLMGW_ERRCLASS_SERVER_ERROR, 500, "InternalServerException");
    expect_error("{\"steps\":[{\"status\":503}],\"then\":\"repeat_last\"}", KEYS, LLMGW_EUNAVAILABLE,
                 LLMGW_ERRCLASS_SERVER_ERROR, 503, "ServiceUnavailableException");
    /* no x-amzn-ErrorType header: the body's __type decides (awsJson style) */
    expect_error("[{\"status\":400,\"body\":\"{\\\"__type\\\":\\\"com.amazon.coral.service#AccessDeniedException\\\","
                 "\\\"message\\\":\\\"denied\\\"}\"}]", KEYS, LLMGW_EAUTH, LLMGW_ERRCLASS_AUTH, 400, "denied");
    /* real signature failures from the mock's own verification */
    expect_error(NULL, BAD_SECRET, LLMGW_EAUTH, LLMGW_ERRCLASS_AUTH, 403, "InvalidSignatureException");
    expect_error(NULL, UNKNOWN_KEY, LLMGW_EAUTH, LLMGW_ERRCLASS_AUTH, 403, "UnrecognizedClientException");
}

/* ModelError is never retried; throttling is, and succeeds. */
static void test_retries(void **state)
{
    llmgw_response *r = NULL;
    itest t;

    (void)state;
    start(&t, 3);
    add(&t, "g", "r", MODEL, KEYS);
    itest_script(&t, "r", "[{\"status\":424}]");
    assert_int_equal(itest_complete(&t, "g", "hi", &r), LLMGW_EUNAVAILABLE);
    assert_int_equal(itest_request_count(&t, "r"), 1);
    mock_server_reset(t.srv);
    itest_script(&t, "r", "[{\"status\":429,\"headers\":{\"retry-after-ms\":\"10\"}},{\"text\":\"ok now\"}]");
    assert_int_equal(itest_complete(&t, "g", "hi", &r), 0);
    assert_string_equal(llmgw_response_text(r), "ok now");
    assert_int_equal(llmgw_response_attempt(r, 0)->error_class, LLMGW_ERRCLASS_RATE_LIMIT);
    llmgw_response_free(r);
    /* ModelTimeoutException is a 408: retried like any timeout, within the attempt budget */
    mock_server_reset(t.srv);
    itest_script(&t, "r", "[{\"status\":408},{\"text\":\"in time\"}]");
    assert_int_equal(itest_complete(&t, "g", "hi", &r), 0);
    assert_string_equal(llmgw_response_text(r), "in time");
    assert_int_equal(itest_request_count(&t, "r"), 2);
    assert_int_equal(llmgw_response_attempt(r, 0)->error_class, LLMGW_ERRCLASS_TIMEOUT);
    llmgw_response_free(r);
    mock_server_reset(t.srv);
    itest_script(&t, "r", "{\"steps\":[{\"status\":408}],\"then\":\"repeat_last\"}");
    assert_int_equal(itest_complete(&t, "g", "hi", &r), LLMGW_ETIMEOUT);
    assert_int_equal(itest_request_count(&t, "r"), 3);      /* the whole budget, no more */
    itest_stop(&t);
}

static void test_tool_round_trip(void **state)
{
    llmgw_request *req = NULL;
    llmgw_response *r = NULL;
    const llmgw_tool_call *tc;
    cJSON *reqs, *body;
    itest t;

    (void)state;
    start(&t, 1);
    add(&t, "g", "t", MODEL, KEYS);
    itest_script(&t, "t", "[{\"tool_calls\":[{\"id\":\"tooluse_1\",\"name\":\"get_weather\","
                          "\"arguments\":{\"city\":\"Paris\"}}]},{\"text\":\"Sunny.\"}]");
    assert_int_equal(llmgw_request_new(&req, "g"), 0);
    llmgw_request_add_message(req, LLMGW_ROLE_USER, "Weather in Paris?");
    llmgw_request_add_tool(req, "get_weather", "Current weather", "{\"type\":\"object\",\"properties\":"
                           "{\"city\":{\"type\":\"string\"}},\"required\":[\"city\"]}");
    llmgw_request_set_tool_choice(req, "required");
    assert_int_equal(llmgw_complete(t.gw, req, &r), 0);
    assert_string_equal(llmgw_response_finish_reason(r), "tool_calls");
    assert_int_equal(llmgw_response_tool_call_count(r), 1);
    tc = llmgw_response_tool_call(r, 0);
    assert_string_equal(tc->id, "tooluse_1");
    assert_string_equal(tc->name, "get_weather");
    assert_string_equal(tc->arguments, "{\"city\":\"Paris\"}");
    body = last_body(&t, "t", &reqs);
    assert_non_null(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(body, "toolConfig"), "toolChoice"), "any"));
    cJSON_Delete(body);
    cJSON_Delete(reqs);

    /* the second turn: the mock refuses a toolResult that answers no toolUse */
    llmgw_request_add_message(req, LLMGW_ROLE_ASSISTANT, NULL);
    llmgw_request_add_tool_call(req, tc->id, tc->name, tc->arguments);
    llmgw_request_add_tool_result(req, "tooluse_1", "{\"temp\":21}");
    llmgw_request_set_tool_choice(req, "auto");
    llmgw_response_free(r);
    if (llmgw_complete(t.gw, req, &r) != 0)
        fail_msg("%s", llmgw_error_last()->message);
    assert_string_equal(llmgw_response_text(r), "Sunny.");
    body = last_body(&t, "t", &reqs);
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetArrayItem(
        cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(body, "messages"), 2), "content"), 0),
        "toolResult"), "toolUseId")), "tooluse_1");
    cJSON_Delete(body);
    cJSON_Delete(reqs);
    llmgw_response_free(r);
    llmgw_request_free(req);
    itest_stop(&t);
}

static void test_refused_before_sending(void **state)
{
    llmgw_request *req = NULL;
    llmgw_response *r = NULL;
    cJSON *reqs, *body;
    itest t;

    (void)state;
    start(&t, 1);
    add(&t, "g", "u", MODEL, KEYS);
    assert_int_equal(llmgw_request_new(&req, "g"), 0);
    llmgw_request_add_message(req, LLMGW_ROLE_USER, "look");
    llmgw_request_add_image_part(req, "data:image/png;base64,iVBORw0KGgo=", NULL);
    llmgw_request_set_param_json(req, "frequency_penalty", "0.5");
    assert_int_equal(llmgw_complete(t.gw, req, &r), LLMGW_EUNSUPPORTED);
    assert_non_null(strstr(llmgw_error_last()->message, "frequency_penalty"));
    assert_int_equal(itest_request_count(&t, "u"), 0);
    llmgw_request_set_drop_params(req, 1);
    assert_int_equal(llmgw_complete(t.gw, req, &r), 0);
    body = last_body(&t, "u", &reqs);
    assert_null(cJSON_GetObjectItem(body, "frequency_penalty"));
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetArrayItem(
        cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(body, "messages"), 0), "content"), 1),
        "image"), "format")), "png");
    cJSON_Delete(body);
    cJSON_Delete(reqs);
    llmgw_response_free(r);
    llmgw_request_set_drop_params(req, 0);
    llmgw_request_set_param_json(req, "frequency_penalty", NULL);
    llmgw_request_add_image_part(req, "https://example.com/cat.png", NULL);
    assert_int_equal(llmgw_complete(t.gw, req, &r), LLMGW_EUNSUPPORTED);
    assert_non_null(strstr(llmgw_error_last()->message, "image by URL"));
    assert_int_equal(itest_request_count(&t, "u"), 1);
    llmgw_request_free(req);
    itest_stop(&t);
}

/* ---- ConverseStream ---- */

static int stream(itest *t, collect *c, llmgw_response **r)
{
    return collect_init(c), itest_stream(t, "g", "hi", c, r);
}

static void test_stream_text_and_tools(void **state)
{
    static const char *const scripts[] = {
        "[{\"text\":\"one two three\",\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":3}}]",
        ("[{\"text\":\"one two three\",\"split_bytes\":7,\"event_delay_ms\":1,"
         "\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":3}}]"),
    };
    llmgw_response *r = NULL;
    mock_ledger led;
    collect c;
    itest t;
    size_t i;

    (void)state;
    for (i = 0; i < 2; i++) {
        start(&t, 1);
        add(&t, "g", "s", MODEL, KEYS);
        itest_script(&t, "s", scripts[i]);
        if (stream(&t, &c, &r) != 0)
            fail_msg("%s", llmgw_error_last()->message);
        assert_string_equal(c.text, "one two three");
        assert_true(c.text_calls >= 3);
        assert_int_equal(c.done_calls, 1);
        assert_int_equal(c.error_calls, 0);
        assert_string_equal(c.done_finish, "stop");
        assert_int_equal(c.usage_input, 9);
        assert_int_equal(c.usage_output, 3);
        assert_true(c.order_ok);
        mock_server_ledger(t.srv, "s", &led);
        assert_int_equal(led.prompt_tokens, 9);
        assert_int_equal(led.responses_ok, 1);
        llmgw_response_free(r);
        itest_stop(&t);
    }
    start(&t, 1);
    add(&t, "g", "s", MODEL, SESSION);
    itest_script(&t, "s", "[{\"text\":\"Let me check.\",\"tool_calls\":[{\"id\":\"tu_1\",\"name\":\"lookup\","
                          "\"arguments\":{\"q\":\"a longer query string to fragment\"}},{\"id\":\"tu_2\","
                          "\"name\":\"clock\"}],\"finish_reason\":\"tool_calls\"}]");
    assert_int_equal(stream(&t, &c, &r), 0);
    assert_string_equal(c.text, "Let me check.");
    assert_string_equal(c.tool_ids[0], "tu_1");
    assert_string_equal(c.tool_names[0], "lookup");
    assert_string_equal(c.tool_args[0], "{\"q\":\"a longer query string to fragment\"}");
    assert_string_equal(c.tool_names[1], "clock");
    assert_string_equal(c.tool_args[1], "{}");
    assert_string_equal(c.done_finish, "tool_calls");
    assert_int_equal(llmgw_response_tool_call_count(r), 2);
    llmgw_response_free(r);
    itest_stop(&t);
}

/* A corrupt frame or an exception before the first delivered delta is retried; after, it ends the stream. */
static void test_stream_failures(void **state)
{
    static const struct { const char *script; int attempt0_class; } before[] = {
        { "[{\"bad_crc\":true},{}]", LLMGW_ERRCLASS_SERVER_ERROR },
        { "[{\"bad_crc\":true,\"split_bytes\":3,\"event_delay_ms\":1},{}]", LLMGW_ERRCLASS_SERVER_ERROR },
        { "[{\"malformed\":true},{}]", LLMGW_ERRCLASS_SERVER_ERROR },
        { "[{\"error_event\":{\"type\":\"throttlingException\",\"message\":\"Too many tokens\"},"
          "\"error_after_events\":1},{}]", LLMGW_ERRCLASS_RATE_LIMIT },
        { "[{\"error_event\":{\"type\":\"serviceUnavailableException\",\"message\":\"busy\"}},{}]",
          LLMGW_ERRCLASS_SERVER_ERROR },
        { "[{\"error_event\":{\"error_code\":\"InternalFailure\",\"error_message\":\"boom\"},"
          "\"error_after_events\":1},{}]", LLMGW_ERRCLASS_SERVER_ERROR },
        { "[{\"text\":\"x y\",\"cut_after_events\":1},{}]", LLMGW_ERRCLASS_NETWORK },
    };
    llmgw_response *r = NULL;
    collect c;
    itest t;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(before) / sizeof(before[0]); i++) {
        start(&t, 2);
        add(&t, "g", "f", MODEL, KEYS);
        itest_script(&t, "f", before[i].script);
        if (stream(&t, &c, &r) != 0)
            fail_msg("case %zu: %s", i, llmgw_error_last()->message);
        assert_string_equal(c.text, "Hello from the mock upstream.");
        assert_int_equal(c.done_calls, 1);
        assert_int_equal(llmgw_response_attempt_count(r), 2);
        if (llmgw_response_attempt(r, 0)->error_class != before[i].attempt0_class)
            fail_msg("case %zu: attempt 0 class %s", i,
                     llmgw_error_class_str(llmgw_response_attempt(r, 0)->error_class));
        llmgw_response_free(r);
        itest_stop(&t);
    }
    /* validationException mid-stream before commit: a bad request, not retried */
    start(&t, 3);
    add(&t, "g", "f", MODEL, KEYS);
    itest_script(&t, "f", "[{\"error_event\":{\"type\":\"validationException\",\"message\":\"Input is too long "
                          "for requested model.\"},\"error_after_events\":1}]");
    assert_int_equal(stream(&t, &c, &r), LLMGW_EPROVIDER);
    assert_int_equal(c.error_class, LLMGW_ERRCLASS_CONTEXT_LENGTH_EXCEEDED);
    assert_int_equal(itest_request_count(&t, "f"), 1);
    itest_stop(&t);
}

static void test_stream_after_commit(void **state)
{
    static const char *const scripts[] = {
        /* messageStart, "a", " b" delivered, then a modeled exception */
        ("[{\"text\":\"a b c d\",\"error_event\":{\"type\":\"modelStreamErrorException\","
         "\"message\":\"model failed mid-way\",\"originalStatusCode\":500},\"error_after_events\":3}]"),
        /* the stream ends after messageStop: no metadata, so no done and no invented finish */
        "[{\"text\":\"a b c d\",\"cut_after_events\":7}]",
        "[{\"text\":\"a b c d\",\"reset\":\"after_events\",\"reset_after_events\":3}]",
    };
    collect c;
    itest t;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(scripts) / sizeof(scripts[0]); i++) {
        start(&t, 3);
        add(&t, "g", "a", MODEL, KEYS);
        itest_script(&t, "a", scripts[i]);
        assert_int_equal(stream(&t, &c, NULL), LLMGW_EUNAVAILABLE);
        assert_int_equal(c.error_class, LLMGW_ERRCLASS_STREAM_CUT);
        assert_int_equal(c.error_calls, 1);
        assert_int_equal(c.done_calls, 0);
        assert_true(c.order_ok);
        assert_int_equal(itest_request_count(&t, "a"), 1);
        if (i == 0) {
            assert_string_equal(c.text, "a b");
            assert_non_null(strstr(c.error_message, "model failed mid-way"));
        }
        itest_stop(&t);
    }
}

/* A "bedrock/..." model resolved from the environment alone; its Authorization holds `want`. */
static void from_env(const char *lane, const char *want)
{
    llmgw_response *r = NULL;
    char base[256];
    cJSON *reqs;
    itest t;

    start(&t, 1);
    snprintf(base, sizeof(base), "%s/lane/%s", mock_server_base_url(t.srv), lane);
    setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", base, 1);
    if (itest_complete(&t, "bedrock/" MODEL, "hi", &r) != 0)
        fail_msg("%s", llmgw_error_last()->message);
    llmgw_response_free(r);
    reqs = itest_requests(&t, lane);
    assert_non_null(strstr(req_header(cJSON_GetArrayItem(reqs, 0), "authorization"), want));
    cJSON_Delete(reqs);
    itest_stop(&t);
}

/* AWS_* variables: keys, region and endpoint; a Bedrock API key wins over keys. */
static void test_environment(void **state)
{
    (void)state;
    setenv("AWS_DEFAULT_REGION", "eu-west-3", 1);
    setenv("AWS_ACCESS_KEY_ID", MOCK_AWS_SESSION_KEY_ID, 1);
    setenv("AWS_SECRET_ACCESS_KEY", MOCK_AWS_SESSION_SECRET, 1);
    setenv("AWS_SESSION_TOKEN", MOCK_AWS_SESSION_TOKEN, 1);
    from_env("env", "Credential=" MOCK_AWS_SESSION_KEY_ID "/");
    from_env("env", "/eu-west-3/bedrock/aws4_request");
    setenv("AWS_REGION", "ap-south-1", 1);      /* AWS_REGION wins over AWS_DEFAULT_REGION */
    from_env("env", "/ap-south-1/bedrock/aws4_request");
    unsetenv("AWS_REGION");
    setenv("AWS_BEARER_TOKEN_BEDROCK", "ABSK-env-key", 1);
    from_env("env2", "Bearer ABSK-env-key");
    unsetenv("AWS_BEARER_TOKEN_BEDROCK");
    unsetenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_converse_text),
        cmocka_unit_test(test_credentials_and_model_ids),
        cmocka_unit_test(test_error_classes),
        cmocka_unit_test(test_retries),
        cmocka_unit_test(test_tool_round_trip),
        cmocka_unit_test(test_refused_before_sending),
        cmocka_unit_test(test_stream_text_and_tools),
        cmocka_unit_test(test_stream_failures),
        cmocka_unit_test(test_stream_after_commit),
        cmocka_unit_test(test_environment),
    };
    const char *clean[] = { "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION",
                            "AWS_DEFAULT_REGION", "AWS_BEARER_TOKEN_BEDROCK", "AWS_ENDPOINT_URL",
                            "AWS_ENDPOINT_URL_BEDROCK_RUNTIME" };

    for (size_t i = 0; i < sizeof(clean) / sizeof(clean[0]); i++)
        unsetenv(clean[i]);                 /* the machine's own AWS settings stay out of the tests */
    return cmocka_run_group_tests(tests, NULL, NULL);
}
