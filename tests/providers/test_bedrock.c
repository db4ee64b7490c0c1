/*
 * tests/providers/test_bedrock.c: the bedrock translation without a network:
 * the Converse body from a canonical request (tests/fixtures/bedrock), what
 * is refused or dropped, endpoint and credentials, the signed request,
 * responses, stream events and error classification.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/common.h"
#include "core/buf.h"
#include "core/json.h"
#include "core/reply.h"
#include "providers/bedrock.h"
#include "transport/http.h"
#include "fixture.h"

extern const llmgw_provider_vtable llmgw__provider_bedrock;
#define VT llmgw__provider_bedrock

static llmgw_request *request_from(const char *json, int drop)
{
    llmgw_request *req = NULL;

    if (llmgw_request_from_json(&req, json, strlen(json)) != 0)
        fail_msg("request: %s", llmgw_error_last()->message);
    llmgw_request_set_drop_params(req, drop);
    return req;
}

static cJSON *body_of(const llmgw_request *req)
{
    llmgw_buf b = LLMGW_BUF_INIT;
    cJSON *j;

    if (llmgw__bedrock_body(&b, req) != 0)
        fail_msg("body: %s", llmgw_error_last()->message);
    j = cJSON_Parse(b.ptr);
    llmgw_buf_dispose(&b);
    assert_non_null(j);
    return j;
}

static void test_body_mapping(void **state)
{
    char *canon = fixture_read("bedrock/request_canonical.json", NULL);
    char *want_text = fixture_read("bedrock/request_expected.json", NULL);
    llmgw_request *req;
    cJSON *got, *want;

    (void)state;
    assert_non_null(canon);
    assert_non_null(want_text);
    req = request_from(canon, 0);
    got = body_of(req);
    want = cJSON_Parse(want_text);
    assert_non_null(want);
    if (!cJSON_Compare(got, want, 1)) {
        char *g = cJSON_Print(got);
        fail_msg("Converse body differs:\n%s", g);
    }
    cJSON_Delete(got);
    cJSON_Delete(want);
    llmgw_request_free(req);
    free(canon);
    free(want_text);
}

#define USER "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]"
#define TOOLS "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}]"

/* Each is refused naming the member; with drop_params it is left out and the rest goes. */
static void test_refusals(void **state)
{
    static const struct { const char *json, *needle; } cases[] = {
        { "{\"model\":\"m\"," USER ",\"frequency_penalty\":0.5}", "\"frequency_penalty\"" },
        { "{\"model\":\"m\"," USER ",\"presence_penalty\":0.5}", "\"presence_penalty\"" },
        { "{\"model\":\"m\"," USER ",\"seed\":7}", "\"seed\"" },
        { "{\"model\":\"m\"," USER ",\"user\":\"u-1\"}", "\"user\"" },
        { "{\"model\":\"m\"," USER ",\"logprobs\":true}", "\"logprobs\"" },
        { "{\"model\":\"m\"," USER ",\"parallel_tool_calls\":false}", "\"parallel_tool_calls\"" },
        { "{\"model\":\"m\"," USER ",\"temperature\":1.5}", "temperature 1.5" },
        { "{\"model\":\"m\"," USER ",\"response_format\":{\"type\":\"json_object\"}}", "response_format json_object" },
        { "{\"model\":\"m\"," USER "," TOOLS ",\"tool_choice\":\"none\"}", "tool_choice \"none\"" },
        { "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\",\"name\":\"bob\"}]}",
          "messages[0].name" },
        { "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"a\"},"
          "{\"type\":\"image_url\",\"image_url\":{\"url\":\"https://x.example/a.png\"}}]}]}", "image by URL" },
        { "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"a\"},"
          "{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/bmp;base64,AA==\"}}]}]}", "image/bmp" },
        { "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"a\"},"
          "{\"type\":\"input_audio\",\"input_audio\":{}}]}]}", "content[1] of type input_audio" },
        { "{\"model\":\"m\",\"messages\":[{\"role\":\"system\",\"content\":[{\"type\":\"image_url\","
          "\"image_url\":{\"url\":\"data:image/png;base64,AA==\"}}]},{\"role\":\"user\",\"content\":\"a\"}]}",
          "messages[0].content[0] of type image_url" },
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        llmgw_request *req = request_from(cases[i].json, 0);
        llmgw_buf b = LLMGW_BUF_INIT;
        cJSON *body;
        assert_int_equal(llmgw__bedrock_body(&b, req), LLMGW_EUNSUPPORTED);
        if (strstr(llmgw_error_last()->message, cases[i].needle) == NULL)
            fail_msg("case %zu: %s", i, llmgw_error_last()->message);
        assert_int_equal(llmgw_error_last()->error_class, LLMGW_ERRCLASS_UNSUPPORTED);
        llmgw_buf_dispose(&b);
        llmgw_request_set_drop_params(req, 1);
        body = body_of(req);
        assert_non_null(cJSON_GetObjectItem(body, "messages"));
        assert_null(cJSON_GetObjectItem(body, "frequency_penalty"));
        assert_null(cJSON_GetObjectItem(body, "outputConfig"));
        assert_null(cJSON_GetObjectItem(cJSON_GetObjectItem(body, "toolConfig"), "toolChoice"));
        cJSON_Delete(body);
        llmgw_request_free(req);
    }
}

static void test_bad_tool_arguments(void **state)
{
    llmgw_request *req = request_from("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"a\"},"
                                      "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"t\","
                                      "\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{oops\"}}]}]}", 1);
    llmgw_buf b = LLMGW_BUF_INIT;

    (void)state;
    assert_int_equal(llmgw__bedrock_body(&b, req), LLMGW_EINVAL);
    assert_int_equal(llmgw_error_last()->error_class, LLMGW_ERRCLASS_BAD_REQUEST);
    assert_non_null(strstr(llmgw_error_last()->message, "tool_calls[0].function.arguments"));
    llmgw_request_free(req);
}

typedef struct provider {
    llmgw_provider_config cfg;
    llmgw__bedrock_state  st;
} provider;

static int init(provider *p, const char *model, const char *region, const char *base, const char *key,
                const char *ak, const char *sk, const char *token)
{
    memset(p, 0, sizeof(*p));
    p->cfg.version = 1;
    p->cfg.provider = "bedrock";
    p->cfg.model = model;
    p->cfg.region = region;
    p->cfg.api_base = base;
    p->cfg.api_key = key;
    p->cfg.aws_access_key_id = ak;
    p->cfg.aws_secret_access_key = sk;
    p->cfg.aws_session_token = token;
    return VT.init(&p->st, &p->cfg);
}

static void test_init(void **state)
{
    provider p;

    (void)state;
    assert_int_equal(init(&p, "m:1", "us-west-2", NULL, NULL, "AK", "SK", NULL), 0);
    assert_string_equal(p.st.base, "https://bedrock-runtime.us-west-2.amazonaws.com");
    assert_string_equal(p.st.host, "bedrock-runtime.us-west-2.amazonaws.com");
    assert_int_equal(init(&p, "m:1", "cn-north-1", NULL, NULL, "AK", "SK", NULL), 0);
    assert_string_equal(p.st.base, "https://bedrock-runtime.cn-north-1.amazonaws.com.cn");
    assert_int_equal(init(&p, "m:1", "eu-west-1", "https://vpce.example:443/x", NULL, "AK", "SK", NULL), 0);
    assert_string_equal(p.st.host, "vpce.example");
    assert_int_equal(init(&p, "m:1", NULL, "http://127.0.0.1:9000", "bearer", NULL, NULL, NULL), 0);
    assert_true(p.st.bearer);
    assert_string_equal(p.st.host, "127.0.0.1:9000");
    assert_int_equal(init(&p, "m:1", "us-east-1", NULL, NULL, NULL, NULL, NULL), LLMGW_EINVAL);
    assert_non_null(strstr(llmgw_error_last()->message, "no credentials"));
    assert_int_equal(init(&p, "m:1", NULL, "https://x.example", NULL, "AK", "SK", NULL), LLMGW_EINVAL);
    assert_non_null(strstr(llmgw_error_last()->message, "region"));
    assert_int_equal(init(&p, "m:1", "us-east-1.evil.com/", NULL, NULL, "AK", "SK", NULL), LLMGW_EINVAL);
    assert_int_equal(init(&p, "..", "us-east-1", NULL, NULL, "AK", "SK", NULL), LLMGW_EINVAL);
    assert_int_equal(init(&p, "m:1", NULL, NULL, "bearer", NULL, NULL, NULL), LLMGW_EINVAL);
}

static const char *header(const llmgw_http_request *r, const char *name)
{
    return llmgw__http_request_header(r, name);
}

static void test_build_signed(void **state)
{
    llmgw_request *req = request_from("{\"model\":\"m\"," USER "}", 0);
    llmgw_http_request hr;
    const char *auth;
    provider p;

    (void)state;
    assert_int_equal(init(&p, "arn:aws:bedrock:us-east-1:1:inference-profile/us.x-v1:0", "us-east-1", NULL,
                          NULL, "AKIDEXAMPLE", "secret", "session-token"), 0);
    llmgw__http_request_init(&hr);
    assert_int_equal(VT.build_request(&hr, &p.st, req, 1), 0);
    assert_string_equal(llmgw_http_request_url(&hr), "https://bedrock-runtime.us-east-1.amazonaws.com/model/"
                        "arn%3Aaws%3Abedrock%3Aus-east-1%3A1%3Ainference-profile%2Fus.x-v1%3A0/converse-stream");
    assert_string_equal(header(&hr, "Host"), "bedrock-runtime.us-east-1.amazonaws.com");
    assert_string_equal(header(&hr, "Accept"), "application/vnd.amazon.eventstream");
    assert_string_equal(header(&hr, "X-Amz-Security-Token"), "session-token");
    assert_int_equal(strlen(header(&hr, "X-Amz-Date")), 16);
    assert_null(header(&hr, "X-Amz-Content-Sha256"));         /* not for this service (botocore) */
    auth = header(&hr, "Authorization");
    assert_non_null(strstr(auth, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"));
    assert_non_null(strstr(auth, "/us-east-1/bedrock/aws4_request, SignedHeaders="
                                 "accept;content-type;host;x-amz-date;x-amz-security-token, Signature="));
    llmgw__http_request_dispose(&hr);

    assert_int_equal(init(&p, "m", NULL, "http://127.0.0.1:1/lane/x", "my-api-key", NULL, NULL, NULL), 0);
    llmgw__http_request_init(&hr);
    assert_int_equal(VT.build_request(&hr, &p.st, req, 0), 0);
    assert_string_equal(llmgw_http_request_url(&hr), "http://127.0.0.1:1/lane/x/model/m/converse");
    assert_string_equal(header(&hr, "Authorization"), "Bearer my-api-key");
    assert_null(header(&hr, "X-Amz-Date"));
    llmgw__http_request_dispose(&hr);
    llmgw_request_free(req);
}

/* ---- responses ---- */

static void response_with(llmgw_http_response *resp, int status, const char *etype, const char *body)
{
    llmgw__http_response_init(resp);
    resp->status = status;
    if (etype)
        llmgw__http_response_add_header(resp, "x-amzn-ErrorType", 16, etype, strlen(etype));
    llmgw__buf_set(&resp->body, body, strlen(body));
}

static int parse_fixture(llmgw_reply *r, const char *name)
{
    char *text = fixture_read(name, NULL);
    llmgw_http_response resp;
    provider p;
    int rc;

    assert_non_null(text);
    assert_int_equal(init(&p, "model-x", "us-east-1", NULL, "k", NULL, NULL, NULL), 0);
    llmgw__reply_init(r, NULL, 1 << 20);
    response_with(&resp, 200, NULL, text);
    llmgw__http_response_add_header(&resp, "x-amzn-RequestId", 16, "rq-1", 4);
    rc = VT.parse_response(r, &p.st, &resp);
    llmgw__http_response_dispose(&resp);
    free(text);
    return rc;
}

static void test_parse_responses(void **state)
{
    llmgw_reply r;

    (void)state;
    assert_int_equal(parse_fixture(&r, "bedrock/response_text.json"), 0);
    assert_string_equal(r.a.text.ptr, "Paris is sunny, 21 °C.");
    assert_int_equal(r.a.finish, LLMGW_FINISH_STOP);
    assert_string_equal(r.a.model, "model-x");
    assert_string_equal(r.a.id, "rq-1");
    assert_int_equal(r.a.usage.input_tokens, 130);          /* 30 fresh + 80 read + 20 written */
    assert_int_equal(r.a.usage.cache_read_tokens, 80);
    assert_int_equal(r.a.usage.cache_creation_tokens, 20);
    assert_int_equal(r.a.usage.output_tokens, 9);
    assert_true(r.done);
    llmgw__reply_dispose(&r);

    assert_int_equal(parse_fixture(&r, "bedrock/response_tool_use.json"), 0);
    assert_string_equal(r.a.reasoning.ptr, "The user wants weather.");
    assert_string_equal(r.a.text.ptr, "Checking.");
    assert_int_equal(r.a.ncalls, 2);
    assert_string_equal(r.a.calls[0].id, "tooluse_9Xz");
    assert_string_equal(r.a.calls[0].args.ptr, "{\"city\":\"Paris\",\"days\":[1,2]}");
    assert_string_equal(r.a.calls[1].args.ptr, "{}");
    assert_int_equal(r.a.finish, LLMGW_FINISH_TOOL_CALLS);
    llmgw__reply_dispose(&r);

    assert_int_equal(parse_fixture(&r, "bedrock/response_guardrail.json"), 0);
    assert_int_equal(r.a.finish, LLMGW_FINISH_CONTENT_FILTER);
    assert_string_equal(r.a.finish_raw, "guardrail_intervened");
    llmgw__reply_dispose(&r);
}

static void test_parse_malformed(void **state)
{
    static const char *const bodies[] = {
        "[]", "{\"output\":{}}", "not json",
        "{\"output\":{\"message\":{\"content\":[]}},\"usage\":{\"inputTokens\":1,\"outputTokens\":1}}",
        "{\"output\":{\"message\":{\"content\":[]}},\"stopReason\":\"end_turn\"}",
        "{\"output\":{\"message\":{\"content\":[]}},\"stopReason\":\"end_turn\",\"usage\":{\"inputTokens\":-1,\"outputTokens\":1}}",
        "{\"output\":{\"message\":{\"content\":[]}},\"stopReason\":\"end_turn\",\"usage\":{\"inputTokens\":1.5,\"outputTokens\":1}}",
        ("{\"output\":{\"message\":{\"content\":[]}},\"stopReason\":\"end_turn\",\"usage\":{\"inputTokens\":1099511627775,"
         "\"outputTokens\":1,\"cacheReadInputTokens\":9}}"),
        "{\"output\":{\"message\":{\"content\":[{\"toolUse\":{\"name\":\"f\"}}]}},\"stopReason\":\"tool_use\"}",
    };
    llmgw_http_response resp;
    llmgw_reply r;
    provider p;
    size_t i;

    (void)state;
    assert_int_equal(init(&p, "m", "us-east-1", NULL, "k", NULL, NULL, NULL), 0);
    for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        llmgw__reply_init(&r, NULL, 1 << 20);
        response_with(&resp, 200, NULL, bodies[i]);
        if (VT.parse_response(&r, &p.st, &resp) >= 0)
            fail_msg("body %zu was accepted", i);
        llmgw__http_response_dispose(&resp);
        llmgw__reply_dispose(&r);
    }
}

static void test_finish_map(void **state)
{
    (void)state;
    assert_int_equal(llmgw__bedrock_finish("end_turn"), LLMGW_FINISH_STOP);
    assert_int_equal(llmgw__bedrock_finish("stop_sequence"), LLMGW_FINISH_STOP);
    assert_int_equal(llmgw__bedrock_finish("max_tokens"), LLMGW_FINISH_LENGTH);
    assert_int_equal(llmgw__bedrock_finish("model_context_window_exceeded"), LLMGW_FINISH_LENGTH);
    assert_int_equal(llmgw__bedrock_finish("tool_use"), LLMGW_FINISH_TOOL_CALLS);
    assert_int_equal(llmgw__bedrock_finish("content_filtered"), LLMGW_FINISH_CONTENT_FILTER);
    assert_int_equal(llmgw__bedrock_finish("malformed_model_output"), LLMGW_FINISH_OTHER);
    assert_int_equal(llmgw__bedrock_finish(NULL), LLMGW_FINISH_NONE);
}

/* ---- stream events ---- */

static int event(llmgw_reply *r, llmgw__bedrock_stream *ss, const char *type, const char *json, int exception)
{
    llmgw_stream_event ev = { type, strlen(type), json, strlen(json), exception };

    return VT.parse_stream_event(r, NULL, ss, &ev);
}

static void test_stream_events(void **state)
{
    llmgw__bedrock_stream ss;
    llmgw_reply r;

    (void)state;
    memset(&ss, 0, sizeof(ss));
    llmgw__reply_init(&r, NULL, 1 << 20);
    assert_int_equal(event(&r, &ss, "messageStart", "{\"role\":\"assistant\",\"p\":\"abc\"}", 0), 0);
    /* text opens without contentBlockStart (trap 13) */
    assert_int_equal(event(&r, &ss, "contentBlockDelta", "{\"contentBlockIndex\":0,\"delta\":{\"text\":\"Hi \"},\"p\":\"a\"}", 0), 0);
    assert_int_equal(event(&r, &ss, "contentBlockDelta", "{\"contentBlockIndex\":0,\"delta\":{\"reasoningContent\":{\"text\":\"hm\"}}}", 0), 0);
    assert_int_equal(event(&r, &ss, "contentBlockStop", "{\"contentBlockIndex\":0}", 0), 0);
    assert_int_equal(event(&r, &ss, "contentBlockStart", "{\"contentBlockIndex\":3,\"start\":{\"toolUse\":{\"toolUseId\":\"t3\",\"name\":\"f\"}}}", 0), 0);
    assert_int_equal(event(&r, &ss, "contentBlockStart", "{\"contentBlockIndex\":1,\"start\":{\"toolUse\":{\"toolUseId\":\"t1\",\"name\":\"g\"}}}", 0), 0);
    assert_int_equal(event(&r, &ss, "contentBlockDelta", "{\"contentBlockIndex\":1,\"delta\":{\"toolUse\":{\"input\":\"{\\\"a\\\":\"}}}", 0), 0);
    assert_int_equal(event(&r, &ss, "contentBlockDelta", "{\"contentBlockIndex\":3,\"delta\":{\"toolUse\":{\"input\":\"{}\"}}}", 0), 0);
    assert_int_equal(event(&r, &ss, "contentBlockDelta", "{\"contentBlockIndex\":1,\"delta\":{\"toolUse\":{\"input\":\"1}\"}}}", 0), 0);
    assert_int_equal(event(&r, &ss, "someFutureEvent", "{\"x\":1}", 0), 0);
    /* usage before messageStop: kept, but not the end */
    assert_int_equal(event(&r, &ss, "metadata", "{\"usage\":{\"inputTokens\":3,\"outputTokens\":4}}", 0), 0);
    assert_false(r.done);
    assert_int_equal(event(&r, &ss, "messageStop", "{\"stopReason\":\"tool_use\"}", 0), 0);
    assert_false(r.done);
    assert_int_equal(event(&r, &ss, "metadata", "{\"usage\":{\"inputTokens\":5,\"outputTokens\":6,"
                                                "\"cacheWriteInputTokens\":2},\"metrics\":{\"latencyMs\":1}}", 0), 0);
    assert_true(r.done);
    assert_string_equal(r.a.text.ptr, "Hi ");
    assert_string_equal(r.a.reasoning.ptr, "hm");
    assert_int_equal(r.a.ncalls, 2);
    assert_string_equal(r.a.calls[0].id, "t3");
    assert_string_equal(r.a.calls[0].args.ptr, "{}");
    assert_string_equal(r.a.calls[1].id, "t1");
    assert_string_equal(r.a.calls[1].args.ptr, "{\"a\":1}");
    assert_int_equal(r.a.finish, LLMGW_FINISH_TOOL_CALLS);
    assert_int_equal(r.a.usage.input_tokens, 7);
    assert_int_equal(r.a.usage.cache_creation_tokens, 2);
    llmgw__reply_dispose(&r);
}

static void test_stream_bad_events(void **state)
{
    static const char *const bad[][2] = {
        { "contentBlockDelta", "{\"contentBlockIndex\":2,\"delta\":{\"toolUse\":{\"input\":\"{}\"}}}" },
        { "contentBlockDelta", "{\"delta\":{\"text\":\"x\"}}" },
        { "contentBlockDelta", "{\"contentBlockIndex\":-1,\"delta\":{\"text\":\"x\"}}" },
        { "contentBlockStart", "{\"contentBlockIndex\":0,\"start\":{\"toolUse\":{\"name\":\"f\"}}}" },
        { "messageStop", "{}" },
        { "metadata", "{\"usage\":{\"inputTokens\":\"5\",\"outputTokens\":1}}" },
        { "messageStart", "[1]" },
        { "messageStart", "{\"role\":" },
    };
    llmgw__bedrock_stream ss;
    llmgw_reply r;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memset(&ss, 0, sizeof(ss));
        llmgw__reply_init(&r, NULL, 1 << 20);
        if (event(&r, &ss, bad[i][0], bad[i][1], 0) >= 0)
            fail_msg("event %zu accepted", i);
        llmgw__reply_dispose(&r);
    }
}

static void test_stream_exceptions(void **state)
{
    static const struct { const char *type, *data; int cls, http; } cases[] = {
        { "throttlingException", "{\"message\":\"slow\"}", LLMGW_ERRCLASS_RATE_LIMIT, 429 },
        { "modelStreamErrorException", "{\"message\":\"x\",\"originalStatusCode\":500}", LLMGW_ERRCLASS_SERVER_ERROR, 424 },
        { "validationException", "{\"message\":\"Input is too long for requested model.\"}",
          LLMGW_ERRCLASS_CONTEXT_LENGTH_EXCEEDED, 400 },
        { "internalServerException", "{}", LLMGW_ERRCLASS_SERVER_ERROR, 500 },
        { "serviceUnavailableException", "{\"Message\":\"busy\"}", LLMGW_ERRCLASS_SERVER_ERROR, 503 },
        { "InternalFailure", "plain error-message text", LLMGW_ERRCLASS_SERVER_ERROR, 0 },
        { "", "", LLMGW_ERRCLASS_SERVER_ERROR, 0 },
    };
    llmgw__bedrock_stream ss;
    llmgw_reply r;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        memset(&ss, 0, sizeof(ss));
        llmgw__reply_init(&r, NULL, 1 << 20);
        assert_int_equal(event(&r, &ss, cases[i].type, cases[i].data, 1), 0);
        assert_true(r.has_error);
        assert_false(r.done);
        if (r.err_class != cases[i].cls || r.err_http != cases[i].http)
            fail_msg("case %zu: class %d http %d (%s)", i, r.err_class, r.err_http, r.err_message);
        llmgw__reply_dispose(&r);
    }
}

/* ---- HTTP errors ---- */

static void test_classify(void **state)
{
    static const struct { int status; const char *etype, *fixture, *body; int cls, retry; const char *msg; } cases[] = {
        { 400, "ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/",
          "bedrock/error_validation_context.json", NULL, LLMGW_ERRCLASS_CONTEXT_LENGTH_EXCEEDED, -1, "prompt is too long" },
        { 400, "ValidationException", NULL, "{\"message\":\"Malformed input request\"}",
          LLMGW_ERRCLASS_BAD_REQUEST, -1, "ValidationException: Malformed" },
        { 429, "ThrottlingException", "bedrock/error_throttling.json", NULL, LLMGW_ERRCLASS_RATE_LIMIT, -1, "Too many" },
        { 424, "ModelErrorException", "bedrock/error_model_error.json", NULL, LLMGW_ERRCLASS_SERVER_ERROR, 0, "model failed" },
        { 403, "InvalidSignatureException", "bedrock/error_invalid_signature.json", NULL, LLMGW_ERRCLASS_AUTH, -1, "signature" },
        { 400, NULL, NULL, "{\"__type\":\"com.amazon.coral.service#ExpiredTokenException\",\"Message\":\"expired\"}",
          LLMGW_ERRCLASS_AUTH, -1, "ExpiredTokenException: expired" },
        { 400, NULL, NULL, "{\"code\":\"ServiceQuotaExceededException\",\"message\":\"q\"}", LLMGW_ERRCLASS_QUOTA_EXCEEDED, -1, "q" },
        { 418, "SomethingNewException", NULL, "{\"message\":\"new\"}", LLMGW_ERRCLASS_NONE, -1, "new" },
        { 502, NULL, NULL, "<html>bad gateway</html>", LLMGW_ERRCLASS_NONE, -1, "" },
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *text = cases[i].fixture ? fixture_read(cases[i].fixture, NULL) : NULL;
        llmgw_http_response resp;
        llmgw_error_info info;
        memset(&info, 0, sizeof(info));
        info.retry_after_ms = -1;
        info.should_retry = -1;
        response_with(&resp, cases[i].status, cases[i].etype, text ? text : cases[i].body);
        assert_int_equal(VT.classify_error(&info, NULL, &resp), 0);
        if (info.error_class != cases[i].cls || info.should_retry != cases[i].retry ||
            strstr(info.message, cases[i].msg) == NULL)
            fail_msg("case %zu: class %d retry %d message %s", i, info.error_class, info.should_retry, info.message);
        llmgw__http_response_dispose(&resp);
        free(text);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_body_mapping),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_bad_tool_arguments),
        cmocka_unit_test(test_init),
        cmocka_unit_test(test_build_signed),
        cmocka_unit_test(test_parse_responses),
        cmocka_unit_test(test_parse_malformed),
        cmocka_unit_test(test_finish_map),
        cmocka_unit_test(test_stream_events),
        cmocka_unit_test(test_stream_bad_events),
        cmocka_unit_test(test_stream_exceptions),
        cmocka_unit_test(test_classify),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
