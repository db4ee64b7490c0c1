/*
 * tests/providers/test_gemini.c: the Gemini translation from fixtures, no
 * network: request bodies and URLs, refusals, responses, streams (CRLF
 * framing, split anywhere), usage and error classes.
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
#include "transport/framing.h"
#include "transport/http.h"
#include "providers/gemini.h"
#include "fixture.h"

extern const llmgw_provider_vtable llmgw__provider_gemini;
static const llmgw_provider_vtable *const vt = &llmgw__provider_gemini;

#define KEY "AIzaSyTEST-SECRET-0123456789"
#define BASE "https://generativelanguage.googleapis.com"

typedef struct gem {
    llmgw_provider_config cfg;
    void *state;
    llmgw_http_request hr;
} gem;

static void gem_open(gem *g, const char *model, const char *version)
{
    memset(g, 0, sizeof(*g));
    g->cfg.version = 1;
    g->cfg.provider = "gemini";
    g->cfg.model = model;
    g->cfg.api_base = BASE;
    g->cfg.api_key = KEY;
    g->cfg.api_version = version;
    g->state = calloc(1, vt->state_size);
    assert_non_null(g->state);
    assert_int_equal(vt->init(g->state, &g->cfg), 0);
    llmgw__http_request_init(&g->hr);
}

static void gem_close(gem *g)
{
    llmgw__http_request_dispose(&g->hr);
    free(g->state);
}

static char *must_read(const char *rel, size_t *len)
{
    char *s = fixture_read(rel, len);

    if (s == NULL)
        fail_msg("fixture %s missing", rel);
    return s;
}

static llmgw_request *request_from(const char *rel)
{
    llmgw_request *req = NULL;
    size_t len;
    char *text = must_read(rel, &len);

    if (llmgw_request_from_json(&req, text, len) != 0)
        fail_msg("%s: %s", rel, llmgw_error_last()->message);
    free(text);
    return req;
}

static llmgw_request *request_text(const char *json)
{
    llmgw_request *req = NULL;

    if (llmgw_request_from_json(&req, json, strlen(json)) != 0)
        fail_msg("%s: %s", json, llmgw_error_last()->message);
    return req;
}

static int build(gem *g, const llmgw_request *req, int stream)
{
    llmgw__http_request_dispose(&g->hr);
    llmgw__http_request_init(&g->hr);
    return vt->build_request(&g->hr, g->state, req, stream);
}

static cJSON *sent_body(const gem *g)
{
    cJSON *j = cJSON_Parse(llmgw__buf_cstr(&g->hr.body));

    assert_non_null(j);
    return j;
}

/* The canonical request in <name>.request.json becomes exactly <name>.gemini.json. */
static void expect_mapping(const char *name)
{
    char rel[128];
    gem g;
    llmgw_request *req;
    cJSON *want, *got;
    size_t len;
    char *text;

    snprintf(rel, sizeof(rel), "gemini/%s.request.json", name);
    req = request_from(rel);
    gem_open(&g, "gemini-2.5-flash", NULL);
    if (build(&g, req, 0) != 0)
        fail_msg("%s: %s", name, llmgw_error_last()->message);
    snprintf(rel, sizeof(rel), "gemini/%s.gemini.json", name);
    text = must_read(rel, &len);
    want = cJSON_Parse(text);
    got = sent_body(&g);
    assert_non_null(want);
    if (!cJSON_Compare(want, got, true)) {
        char *s = cJSON_Print(got);
        fail_msg("%s: the body differs from %s:\n%s", name, rel, s);
    }
    cJSON_Delete(want);
    cJSON_Delete(got);
    free(text);
    llmgw_request_free(req);
    gem_close(&g);
}

static void test_mappings(void **state)
{
    (void)state;
    expect_mapping("chat_basic");
    expect_mapping("tools");
    expect_mapping("tool_round_trip");
    expect_mapping("multimodal");
    expect_mapping("json_schema");
}

static void test_url_and_headers(void **state)
{
    gem g;
    llmgw_request *req = request_text("{\"model\":\"x\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");

    (void)state;
    gem_open(&g, "gemini-2.5-flash", NULL);
    assert_int_equal(build(&g, req, 0), 0);
    assert_string_equal(llmgw_http_request_url(&g.hr), BASE "/v1beta/models/gemini-2.5-flash:generateContent");
    assert_string_equal(llmgw__http_request_header(&g.hr, "x-goog-api-key"), KEY);
    assert_null(llmgw__http_request_header(&g.hr, "Authorization"));
    assert_string_equal(llmgw__http_request_header(&g.hr, "Content-Type"), "application/json");
    assert_int_equal(build(&g, req, 1), 0);
    assert_string_equal(llmgw_http_request_url(&g.hr),
                        BASE "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse");
    assert_null(strstr(llmgw_http_request_url(&g.hr), "key="));
    assert_null(strstr(llmgw_http_request_url(&g.hr), KEY));
    gem_close(&g);

    /* "models/" is the SDK's own prefix; ':' is percent-encoded; api_version picks v1 */
    gem_open(&g, "models/gemini-2.0-flash", "v1");
    assert_int_equal(build(&g, req, 0), 0);
    assert_string_equal(llmgw_http_request_url(&g.hr), BASE "/v1/models/gemini-2.0-flash:generateContent");
    gem_close(&g);
    gem_open(&g, "tuned:a@b+c", NULL);
    assert_int_equal(build(&g, req, 0), 0);
    assert_string_equal(llmgw_http_request_url(&g.hr), BASE "/v1beta/models/tuned%3Aa%40b%2Bc:generateContent");
    gem_close(&g);
    llmgw_request_free(req);
}

static void test_bad_names_refused(void **state)
{
    static const char *const models[] = { "../x", "a/b", "a?b", "..", ".", "a b", "a%2Fb", "a#b", "models/../x",
                                          "models/", "a\\b" };
    llmgw_request *req = request_text("{\"model\":\"x\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
    gem g;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(models) / sizeof(models[0]); i++) {
        gem_open(&g, models[i], NULL);
        if (build(&g, req, i % 2) != LLMGW_EINVAL)
            fail_msg("model '%s' was accepted: %s", models[i], llmgw_http_request_url(&g.hr));
        assert_int_equal(llmgw_error_last()->error_class, LLMGW_ERRCLASS_BAD_REQUEST);
        assert_non_null(strstr(llmgw_error_last()->message, "model"));
        gem_close(&g);
    }
    gem_open(&g, "gemini-2.5-flash", "v1/../v2");
    assert_int_equal(build(&g, req, 0), LLMGW_EINVAL);
    gem_close(&g);
    llmgw_request_free(req);
}

/* Each member Gemini cannot express is refused by name, unless drop_params. */
static void test_unsupported(void **state)
{
    static const struct { const char *extra, *needle; } cases[] = {
        { "\"logit_bias\":{\"50256\":-100}", "'logit_bias'" },
        { "\"user\":\"u-1\"", "'user'" },
        { "\"logprobs\":true", "'logprobs'" },
        { "\"reasoning_effort\":\"low\"", "'reasoning_effort'" },
        { "\"parallel_tool_calls\":false", "'parallel_tool_calls'" },
        { "\"seed\":4294967296", "seed" },
        { "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"strict\":true}}]", "strict" },
        { "\"messages\":[{\"role\":\"user\",\"name\":\"bob\",\"content\":\"hi\"}]", "messages[0].name" },
        { "\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":"
          "\"https://x.test/a.png\",\"detail\":\"high\"}}]}]", "detail" },
        { "\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":"
          "\"data:image/png,abc\"}},{\"type\":\"text\",\"text\":\"look\"}]}]", "base64" },
        { "\"messages\":[{\"role\":\"system\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":"
          "\"https://x.test/a.png\"}}]},{\"role\":\"user\",\"content\":\"hi\"}]", "system message" },
        { "\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"file\",\"file\":{\"file_id\":\"f-1\"}},"
          "{\"type\":\"text\",\"text\":\"read\"}]}]",
          "'file'" },
    };
    char json[1024];
    llmgw_request *req;
    cJSON *body;
    gem g;
    size_t i;

    (void)state;
    gem_open(&g, "gemini-2.5-flash", NULL);
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        bool own_messages = strncmp(cases[i].extra, "\"messages\"", 10) == 0;
        snprintf(json, sizeof(json), "{\"model\":\"x\",%s%s%s}",
                 own_messages ? "" : "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],", cases[i].extra,
                 own_messages ? ",\"tool_choice\":\"none\"" : "");
        req = request_text(json);
        if (build(&g, req, 0) != LLMGW_EUNSUPPORTED)
            fail_msg("case %zu accepted: %s", i, json);
        assert_int_equal(llmgw_error_last()->error_class, LLMGW_ERRCLASS_UNSUPPORTED);
        if (strstr(llmgw_error_last()->message, cases[i].needle) == NULL)
            fail_msg("case %zu: '%s' does not name %s", i, llmgw_error_last()->message, cases[i].needle);
        /* with drop_params the member is dropped and the rest goes */
        assert_int_equal(llmgw_request_set_drop_params(req, 1), 0);
        if (build(&g, req, 0) != 0)
            fail_msg("case %zu with drop_params: %s", i, llmgw_error_last()->message);
        body = sent_body(&g);
        assert_null(cJSON_GetObjectItem(body, "logit_bias"));
        assert_null(cJSON_GetObjectItem(body, "user"));
        assert_null(cJSON_GetObjectItem(cJSON_GetObjectItem(body, "generationConfig"), "seed"));
        cJSON_Delete(body);
        llmgw_request_free(req);
    }
    /* arguments Gemini cannot carry, and a tool result that answers nothing */
    req = request_text("{\"model\":\"x\",\"messages\":[{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":"
                       "\"c\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"[1]\"}}]}]}");
    assert_int_equal(build(&g, req, 0), LLMGW_EUNSUPPORTED);
    llmgw_request_free(req);
    req = request_text("{\"model\":\"x\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"tool\","
                       "\"tool_call_id\":\"nope\",\"content\":\"1\"}]}");
    assert_int_equal(build(&g, req, 0), LLMGW_EINVAL);
    assert_non_null(strstr(llmgw_error_last()->message, "nope"));
    llmgw_request_free(req);
    req = request_text("{\"model\":\"x\",\"messages\":[{\"role\":\"system\",\"content\":\"only\"}]}");
    assert_int_equal(build(&g, req, 0), LLMGW_EINVAL);
    llmgw_request_free(req);
    req = request_text("{\"model\":\"x\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"tool_choice\":\"required\"}");
    assert_int_equal(build(&g, req, 0), LLMGW_EINVAL);
    llmgw_request_free(req);
    gem_close(&g);
}

/* ---- responses ---- */

static void parse_fixture(llmgw_reply *r, const char *rel, int want_rc)
{
    llmgw_http_response resp;
    size_t len;
    char *text = must_read(rel, &len);

    llmgw__http_response_init(&resp);
    resp.status = 200;
    assert_int_equal(llmgw__buf_set(&resp.body, text, len), 0);
    llmgw__reply_init(r, NULL, 1 << 20);
    if (vt->parse_response(r, NULL, &resp) != want_rc)
        fail_msg("%s: %s", rel, llmgw_error_last()->message);
    llmgw__http_response_dispose(&resp);
    free(text);
}

static void test_parse_text(void **state)
{
    llmgw_reply r;

    (void)state;
    parse_fixture(&r, "gemini/response_text.json", 0);
    assert_string_equal(r.a.text.ptr, "Red and blue.");
    assert_int_equal(r.a.finish, LLMGW_FINISH_STOP);
    assert_string_equal(r.a.finish_raw, "STOP");
    assert_string_equal(r.a.model, "gemini-2.5-flash");
    assert_string_equal(r.a.id, "mU7ZaLuBMcSPgLUPxJK3sQk");
    assert_true(r.a.usage_set);
    assert_int_equal(r.a.usage.input_tokens, 11);
    assert_int_equal(r.a.usage.output_tokens, 4);
    assert_true(r.done);
    llmgw__reply_dispose(&r);

    parse_fixture(&r, "gemini/response_max_tokens.json", 0);
    assert_int_equal(r.a.finish, LLMGW_FINISH_LENGTH);
    assert_string_equal(r.a.finish_raw, "MAX_TOKENS");
    llmgw__reply_dispose(&r);

    parse_fixture(&r, "gemini/response_safety.json", 0);
    assert_int_equal(r.a.finish, LLMGW_FINISH_CONTENT_FILTER);
    assert_string_equal(r.a.finish_raw, "SAFETY");
    assert_int_equal(r.a.text.size, 0);
    llmgw__reply_dispose(&r);

    parse_fixture(&r, "gemini/response_blocked.json", 0);
    assert_int_equal(r.a.finish, LLMGW_FINISH_CONTENT_FILTER);
    assert_string_equal(r.a.finish_raw, "SAFETY");
    assert_int_equal(r.a.usage.input_tokens, 9);
    assert_true(r.done);
    llmgw__reply_dispose(&r);
}

static void test_parse_function_calls(void **state)
{
    llmgw_reply r;

    (void)state;
    parse_fixture(&r, "gemini/response_function_call.json", 0);
    assert_int_equal(r.a.ncalls, 3);
    assert_string_equal(r.a.calls[0].id, "call_0");
    assert_string_equal(r.a.calls[0].name, "get_weather");
    assert_string_equal(r.a.calls[0].args.ptr, "{\"city\":\"Paris\",\"unit\":\"celsius\"}");
    assert_string_equal(r.a.calls[1].id, "fc-7");
    assert_string_equal(r.a.calls[1].args.ptr, "{\"tz\":\"Europe/Paris\"}");
    assert_string_equal(r.a.calls[2].id, "call_2");
    assert_string_equal(r.a.calls[2].args.ptr, "{}");
    assert_int_equal(r.a.finish, LLMGW_FINISH_TOOL_CALLS);
    assert_string_equal(r.a.finish_raw, "STOP");
    llmgw__reply_dispose(&r);
}

static void test_parse_thinking_and_cache(void **state)
{
    llmgw_reply r;

    (void)state;
    parse_fixture(&r, "gemini/response_thinking.json", 0);
    assert_string_equal(r.a.text.ptr, "There are three.");
    assert_string_equal(r.a.reasoning.ptr, "**Counting** the letters one by one.");
    assert_int_equal(r.a.usage.input_tokens, 2048);          /* cached included */
    assert_int_equal(r.a.usage.cache_read_tokens, 1024);
    assert_int_equal(r.a.usage.output_tokens, 125);          /* candidates + thoughts */
    assert_int_equal(r.a.usage.reasoning_tokens, 120);
    llmgw__reply_dispose(&r);
}

static int parse_text(llmgw_reply *r, const char *json)
{
    llmgw_http_response resp;
    int rc;

    llmgw__http_response_init(&resp);
    resp.status = 200;
    assert_int_equal(llmgw__buf_set(&resp.body, json, strlen(json)), 0);
    llmgw__reply_init(r, NULL, 1 << 20);
    rc = vt->parse_response(r, NULL, &resp);
    llmgw__http_response_dispose(&resp);
    return rc;
}

static void test_parse_rejects(void **state)
{
    static const char *const bad[] = {
        "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"x\"}]},\"finishReason\":\"STOP\"}],"
        "\"usageMetadata\":{\"promptTokenCount\":-5}}",
        "{\"candidates\":[],\"usageMetadata\":{\"promptTokenCount\":1.5}}",
        "{\"candidates\":[{\"finishReason\":\"STOP\"}],\"usageMetadata\":{\"promptTokenCount\":1099511627776}}",
        "{\"candidates\":[{\"finishReason\":\"STOP\"}],\"usageMetadata\":{\"candidatesTokenCount\":\"7\"}}",
        "{\"candidates\":[{\"finishReason\":\"STOP\"}],\"usageMetadata\":{\"promptTokenCount\":5,"
        "\"cachedContentTokenCount\":9}}",
        "{\"candidates\":[{\"content\":{\"parts\":[{\"functionCall\":{\"args\":{}}}]}}]}",
        "{\"candidates\":[{\"content\":{\"parts\":[{\"functionCall\":{\"name\":\"f\",\"args\":[1]}}]}}]}",
        "{\"candidates\":[]}", "{}", "[1]", "{\"candidates\":{}}", "{\"candidates\":[{\"content\":{\"parts\":{}}}]}",
        "{\"candidates\":[{\"finishReason\":\"STOP\"}]",
    };
    llmgw_reply r;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (parse_text(&r, bad[i]) >= 0)
            fail_msg("accepted: %s", bad[i]);
        assert_int_equal(llmgw_error_last()->error_class, LLMGW_ERRCLASS_SERVER_ERROR);
        llmgw__reply_dispose(&r);
    }
    /* an error object in a 200 body is an error of its class */
    assert_int_equal(parse_text(&r, "{\"error\":{\"code\":429,\"message\":\"slow down\",\"status\":\"RESOURCE_EXHAUSTED\"}}"), 0);
    assert_true(r.has_error);
    assert_int_equal(r.err_class, LLMGW_ERRCLASS_RATE_LIMIT);
    assert_int_equal(r.err_http, 429);
    llmgw__reply_dispose(&r);
    /* finish reasons without an OpenAI value */
    assert_int_equal(parse_text(&r, "{\"candidates\":[{\"finishReason\":\"MALFORMED_FUNCTION_CALL\"}]}"), 0);
    assert_int_equal(r.a.finish, LLMGW_FINISH_OTHER);
    assert_string_equal(r.a.finish_raw, "MALFORMED_FUNCTION_CALL");
    llmgw__reply_dispose(&r);
    assert_int_equal(parse_text(&r, "{\"candidates\":[{\"finishReason\":\"OTHER\"}]}"), 0);
    assert_int_equal(r.a.finish, LLMGW_FINISH_STOP);
    llmgw__reply_dispose(&r);
    assert_int_equal(parse_text(&r, "{\"candidates\":[{\"finishReason\":\"RECITATION\"}]}"), 0);
    assert_int_equal(r.a.finish, LLMGW_FINISH_CONTENT_FILTER);
    llmgw__reply_dispose(&r);
}

/* ---- streams ---- */

typedef struct feed {
    llmgw_reply reply;
    void *ss;
    int rc;
    int events;
} feed;

static int on_event(void *ud, const char *event, size_t event_len, const char *data, size_t data_len)
{
    feed *f = ud;
    llmgw_stream_event ev = { event, event_len, data, data_len, 0 };

    f->events++;
    if (f->reply.done)
        return 0;
    f->rc = vt->parse_stream_event(&f->reply, NULL, f->ss, &ev);
    return f->rc < 0 || f->reply.has_error;
}

/* Feed a fixture in pieces of `step` bytes (CRLF pairs split across reads included). */
static void stream_fixture(feed *f, const char *rel, size_t step)
{
    llmgw__sse sse;
    size_t len, at;
    char *text = must_read(rel, &len);

    memset(f, 0, sizeof(*f));
    f->ss = calloc(1, vt->stream_state_size);
    llmgw__reply_init(&f->reply, NULL, 1 << 20);
    llmgw__sse_init(&sse, 1 << 20, on_event, f);
    for (at = 0; at < len; at += step)
        if (llmgw__sse_feed(&sse, text + at, LLMGW_MIN(step, len - at)) != 0)
            break;
    llmgw__sse_dispose(&sse);
    free(text);
}

static void feed_dispose(feed *f)
{
    llmgw__reply_dispose(&f->reply);
    free(f->ss);
}

static void test_stream_text(void **state)
{
    feed f;
    size_t step;

    (void)state;
    for (step = 1; step <= 64; step = step * 2 + 1) {
        stream_fixture(&f, "gemini/stream_text.sse", step);
        assert_int_equal(f.rc, 0);
        assert_int_equal(f.events, 3);
        assert_string_equal(f.reply.a.text.ptr, "Red and blue.");
        assert_true(f.reply.done);
        assert_int_equal(f.reply.a.finish, LLMGW_FINISH_STOP);
        assert_int_equal(f.reply.a.usage.input_tokens, 11);       /* set, never summed */
        assert_int_equal(f.reply.a.usage.output_tokens, 4);
        feed_dispose(&f);
    }
}

static void test_stream_function_calls(void **state)
{
    feed f;

    (void)state;
    stream_fixture(&f, "gemini/stream_function_call.sse", 7);
    assert_int_equal(f.rc, 0);
    assert_true(f.reply.done);
    assert_string_equal(f.reply.a.reasoning.ptr, "Checking.");
    assert_int_equal(f.reply.a.ncalls, 2);          /* numbered across events */
    assert_string_equal(f.reply.a.calls[0].id, "call_0");
    assert_string_equal(f.reply.a.calls[0].args.ptr, "{\"city\":\"Paris\"}");
    assert_string_equal(f.reply.a.calls[1].id, "call_1");
    assert_string_equal(f.reply.a.calls[1].name, "get_time");
    assert_int_equal(f.reply.a.finish, LLMGW_FINISH_TOOL_CALLS);
    assert_int_equal(f.reply.a.usage.output_tokens, 44);
    assert_int_equal(f.reply.a.usage.reasoning_tokens, 30);
    feed_dispose(&f);
}

static void test_stream_cut_and_error(void **state)
{
    feed f;

    (void)state;
    stream_fixture(&f, "gemini/stream_cut.sse", 5);
    assert_int_equal(f.rc, 0);
    assert_string_equal(f.reply.a.text.ptr, "Red and");
    assert_false(f.reply.done);                     /* no finishReason: never a clean finish */
    assert_int_equal(f.reply.a.finish, LLMGW_FINISH_NONE);
    feed_dispose(&f);

    stream_fixture(&f, "gemini/stream_error.sse", 11);
    assert_true(f.reply.has_error);
    assert_int_equal(f.reply.err_class, LLMGW_ERRCLASS_SERVER_ERROR);
    assert_int_equal(f.reply.err_http, 503);
    assert_non_null(strstr(f.reply.err_message, "overloaded"));
    assert_false(f.reply.done);
    feed_dispose(&f);
}

/* ---- errors ---- */

static void classify(llmgw_error_info *info, int status, const char *rel, int64_t header_hint)
{
    llmgw_http_response resp;
    size_t len;
    char *text = must_read(rel, &len);

    llmgw__http_response_init(&resp);
    resp.status = status;
    assert_int_equal(llmgw__buf_set(&resp.body, text, len), 0);
    memset(info, 0, sizeof(*info));
    info->error_class = llmgw__gemini_http_class(status);
    info->retry_after_ms = header_hint;
    info->should_retry = -1;
    assert_int_equal(vt->classify_error(info, NULL, &resp), 0);
    llmgw__http_response_dispose(&resp);
    free(text);
}

static void test_classify(void **state)
{
    static const struct { int status; const char *file; int cls; int64_t retry; const char *needle; } cases[] = {
        { 400, "error_400_api_key_invalid.json", LLMGW_ERRCLASS_AUTH, -1, "API key not valid" },
        { 400, "error_400_context_length.json", LLMGW_ERRCLASS_CONTEXT_LENGTH_EXCEEDED, -1, "input token count" },
        { 400, "error_400_invalid_argument.json", LLMGW_ERRCLASS_BAD_REQUEST, -1, "additionalProperties" },
        { 403, "error_403_permission_denied.json", LLMGW_ERRCLASS_AUTH, -1, "PERMISSION_DENIED" },
        { 404, "error_404_not_found.json", LLMGW_ERRCLASS_NOT_FOUND, -1, "is not found" },
        { 429, "error_429_rate_limit.json", LLMGW_ERRCLASS_RATE_LIMIT, 52000, "exceeded your current quota" },
        { 429, "error_429_retry_fraction.json", LLMGW_ERRCLASS_RATE_LIMIT, 1500, "Resource has been exhausted" },
        { 429, "error_429_quota_per_day.json", LLMGW_ERRCLASS_QUOTA_EXCEEDED, 16000, "quota" },
        { 429, "error_429_limit_zero.json", LLMGW_ERRCLASS_QUOTA_EXCEEDED, -1, "limit: 0" },
        { 500, "error_500_internal.json", LLMGW_ERRCLASS_SERVER_ERROR, -1, "internal error" },
        { 503, "error_503_overloaded.json", LLMGW_ERRCLASS_SERVER_ERROR, -1, "overloaded" },
        { 504, "error_504_deadline.json", LLMGW_ERRCLASS_SERVER_ERROR, -1, "Deadline" },
    };
    llmgw_error_info info;
    char rel[128];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(rel, sizeof(rel), "gemini/%s", cases[i].file);
        classify(&info, cases[i].status, rel, -1);
        if (info.error_class != cases[i].cls || info.retry_after_ms != cases[i].retry)
            fail_msg("%s: class %s retry %lld", cases[i].file, llmgw_error_class_str(info.error_class),
                     (long long)info.retry_after_ms);
        assert_non_null(strstr(info.message, cases[i].needle));
    }
    /* a retry-after header wins over the body's RetryInfo */
    classify(&info, 429, "gemini/error_429_rate_limit.json", 3000);
    assert_int_equal(info.retry_after_ms, 3000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mappings),
        cmocka_unit_test(test_url_and_headers),
        cmocka_unit_test(test_bad_names_refused),
        cmocka_unit_test(test_unsupported),
        cmocka_unit_test(test_parse_text),
        cmocka_unit_test(test_parse_function_calls),
        cmocka_unit_test(test_parse_thinking_and_cache),
        cmocka_unit_test(test_parse_rejects),
        cmocka_unit_test(test_stream_text),
        cmocka_unit_test(test_stream_function_calls),
        cmocka_unit_test(test_stream_cut_and_error),
        cmocka_unit_test(test_classify),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
