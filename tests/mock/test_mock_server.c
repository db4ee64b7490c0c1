/*
 * The mock upstream, driven in-process over real loopback HTTP with libcurl. This file: the
 * OpenAI dialect (JSON, streams, tool calls), validation, error statuses, scripts and
 * expectations. test_mock_plane.c: lanes, recording, HTTP/1.1, control plane. test_mock_faults.c:
 * faults, timing, stop and the ledger.
 */
#include "mock_test.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int setup(void **state)
{
    mock_server *srv = NULL;
    if (mock_server_start(&srv, NULL, 0) < 0)
        return -1;
    *state = srv;
    return 0;
}

static int teardown(void **state)
{
    mock_server_stop(*state);
    return 0;
}

static void test_normal_json(void **state)
{
    mock_server *srv = *state;
    hres r;
    char v[128];
    chat(&r, srv, NULL, 0, 0);
    assert_int_equal(r.rc, CURLE_OK);
    assert_int_equal(r.status, 200);
    assert_true(hres_header(&r, "content-type", v, sizeof v));
    assert_string_equal(v, "application/json");
    assert_true(hres_header(&r, "content-length", v, sizeof v));
    assert_int_equal(strtoul(v, NULL, 10), r.body_len);
    assert_true(hres_header(&r, "x-mock-request-id", v, sizeof v));
    assert_string_equal(v, "default-1");
    cJSON *j = parse_body(&r);
    assert_string_equal(str(j, "id"), "chatcmpl-mock-1");
    assert_string_equal(str(j, "object"), "chat.completion");
    assert_true(num(j, "created") > 1600000000.0);
    assert_string_equal(str(j, "model"), "gpt-4o");
    assert_int_equal(cJSON_GetArraySize(at(j, "choices")), 1);
    assert_int_equal(num(j, "choices.0.index"), 0);
    assert_string_equal(str(j, "choices.0.message.role"), "assistant");
    assert_string_equal(str(j, "choices.0.message.content"), DEFAULT_TEXT);
    assert_true(cJSON_IsNull(at(j, "choices.0.message.refusal")));
    assert_true(cJSON_IsArray(at(j, "choices.0.message.annotations")));
    assert_int_equal(cJSON_GetArraySize(at(j, "choices.0.message.annotations")), 0);
    assert_null(at(j, "choices.0.message.tool_calls"));
    assert_true(cJSON_IsNull(at(j, "choices.0.logprobs")));
    assert_string_equal(str(j, "choices.0.finish_reason"), "stop");
    assert_int_equal(num(j, "usage.prompt_tokens"), CHAT_PROMPT_TOKENS);
    assert_int_equal(num(j, "usage.completion_tokens"), 5);
    assert_int_equal(num(j, "usage.total_tokens"), CHAT_PROMPT_TOKENS + 5);
    assert_int_equal(num(j, "usage.prompt_tokens_details.cached_tokens"), 0);
    assert_int_equal(num(j, "usage.completion_tokens_details.reasoning_tokens"), 0);
    assert_non_null(str(j, "system_fingerprint"));
    cJSON_Delete(j);
    hres_free(&r);

    /* the short path works too and numbers on */
    char url[256];
    hreq rq = {.body = CHAT_BODY "}"};
    http_do(&r, mk_url(url, sizeof url, srv, "/chat/completions"), &rq);
    assert_int_equal(r.status, 200);
    assert_true(hres_header(&r, "x-mock-request-id", v, sizeof v));
    assert_string_equal(v, "default-2");
    j = parse_body(&r);
    assert_string_equal(str(j, "id"), "chatcmpl-mock-2");
    cJSON_Delete(j);
    hres_free(&r);
}

static void check_chunk_common(const cJSON *j, int include_usage)
{
    assert_string_equal(str(j, "object"), "chat.completion.chunk");
    assert_string_equal(str(j, "model"), "gpt-4o");
    if (include_usage)
        assert_true(cJSON_IsNull(at(j, "usage")));
    else
        assert_null(at(j, "usage"));
}

static void stream_case(mock_server *srv, int include_usage)
{
    hres r;
    char v[128];
    sse s;
    chat(&r, srv, NULL, 1, include_usage);
    assert_int_equal(r.rc, CURLE_OK);
    assert_int_equal(r.status, 200);
    assert_true(hres_header(&r, "content-type", v, sizeof v));
    assert_non_null(strstr(v, "text/event-stream"));
    assert_true(hres_header(&r, "transfer-encoding", v, sizeof v));
    assert_string_equal(v, "chunked");
    sse_parse(&s, r.body, r.body_len);
    /* role + 5 words + finish (+ usage) + [DONE] */
    assert_int_equal(s.n, 8u + (size_t)include_usage);
    cJSON *j = cJSON_Parse(s.ev[0]);
    check_chunk_common(j, include_usage);
    assert_string_equal(str(j, "choices.0.delta.role"), "assistant");
    assert_string_equal(str(j, "choices.0.delta.content"), "");
    assert_true(cJSON_IsNull(at(j, "choices.0.finish_reason")));
    cJSON_Delete(j);
    static const char *const words[] = {"Hello", " from", " the", " mock", " upstream."};
    for (size_t i = 0; i < 5; i++) {
        j = cJSON_Parse(s.ev[1 + i]);
        check_chunk_common(j, include_usage);
        assert_string_equal(str(j, "choices.0.delta.content"), words[i]);
        cJSON_Delete(j);
    }
    char *text = sse_text(&s);
    assert_string_equal(text, DEFAULT_TEXT);
    free(text);
    j = cJSON_Parse(s.ev[6]);
    check_chunk_common(j, include_usage);
    assert_int_equal(cJSON_GetArraySize(at(j, "choices.0.delta")), 0);
    assert_string_equal(str(j, "choices.0.finish_reason"), "stop");
    cJSON_Delete(j);
    if (include_usage) {
        j = cJSON_Parse(s.ev[7]);
        assert_int_equal(cJSON_GetArraySize(at(j, "choices")), 0);
        assert_int_equal(num(j, "usage.prompt_tokens"), CHAT_PROMPT_TOKENS);
        assert_int_equal(num(j, "usage.completion_tokens"), 5);
        assert_int_equal(num(j, "usage.total_tokens"), CHAT_PROMPT_TOKENS + 5);
        cJSON_Delete(j);
    }
    assert_string_equal(s.ev[s.n - 1], "[DONE]");
    assert_true(r.body_len >= 2 && !memcmp(r.body + r.body_len - 2, "\n\n", 2));
    sse_free(&s);
    hres_free(&r);
}

static void test_stream(void **state)
{
    mock_server *srv = *state;
    mock_ledger l;
    stream_case(srv, 0);
    mock_server_ledger(srv, NULL, &l);
    assert_int_equal(l.responses_ok, 1);
    assert_int_equal(l.usage_reports, 0);
    stream_case(srv, 1);
    mock_server_ledger(srv, NULL, &l);
    assert_int_equal(l.responses_ok, 2);
    assert_int_equal(l.usage_reports, 1);
    assert_int_equal(l.prompt_tokens, CHAT_PROMPT_TOKENS);
    assert_int_equal(l.completion_tokens, 5);
}

static void test_stream_chunks(void **state)
{
    mock_server *srv = *state;
    hres r;
    sse s;
    script(srv, NULL, "[{\"text\":\"abcdefghij\",\"chunks\":3},"
                      "{\"text\":\"h\xC3\xA9llo w\xC3\xB6rld\",\"chunks\":13}]");
    chat(&r, srv, NULL, 1, 0);
    sse_parse(&s, r.body, r.body_len);
    assert_int_equal(s.n, 1u + 3u + 2u);
    char *t = sse_text(&s);
    assert_string_equal(t, "abcdefghij");
    free(t);
    sse_free(&s);
    hres_free(&r);

    chat(&r, srv, NULL, 1, 0);
    sse_parse(&s, r.body, r.body_len);
    assert_int_equal(s.n, 1u + 11u + 2u);  /* 13 bytes, 11 characters: sequences never split */
    t = sse_text(&s);
    assert_string_equal(t, "h\xC3\xA9llo w\xC3\xB6rld");
    free(t);
    sse_free(&s);
    hres_free(&r);
}

static const char tools_script[] =
    "[{\"tool_calls\":[{\"id\":\"call_a\",\"name\":\"get_weather\","
    "\"arguments\":\"{\\\"city\\\":\\\"San Francisco, CA\\\",\\\"units\\\":\\\"celsius\\\"}\"},"
    "{\"name\":\"get_time\",\"arguments\":{\"tz\":\"UTC\"}}]}]";

static void test_tool_calls(void **state)
{
    mock_server *srv = *state;
    hres r;
    script(srv, NULL, tools_script);
    chat(&r, srv, NULL, 0, 0);
    assert_int_equal(r.status, 200);
    cJSON *j = parse_body(&r);
    assert_true(cJSON_IsNull(at(j, "choices.0.message.content")));
    assert_string_equal(str(j, "choices.0.finish_reason"), "tool_calls");
    assert_int_equal(cJSON_GetArraySize(at(j, "choices.0.message.tool_calls")), 2);
    assert_string_equal(str(j, "choices.0.message.tool_calls.0.id"), "call_a");
    assert_string_equal(str(j, "choices.0.message.tool_calls.0.type"), "function");
    assert_string_equal(str(j, "choices.0.message.tool_calls.0.function.name"), "get_weather");
    assert_string_equal(str(j, "choices.0.message.tool_calls.0.function.arguments"),
                        "{\"city\":\"San Francisco, CA\",\"units\":\"celsius\"}");
    assert_string_equal(str(j, "choices.0.message.tool_calls.1.id"), "call_mock_2");
    assert_string_equal(str(j, "choices.0.message.tool_calls.1.function.arguments"),
                        "{\"tz\":\"UTC\"}");
    assert_int_equal(num(j, "usage.completion_tokens"), 16);
    cJSON_Delete(j);
    hres_free(&r);

    script(srv, NULL, tools_script);
    chat(&r, srv, NULL, 1, 1);
    sse s;
    sse_parse(&s, r.body, r.body_len);
    char args[2][256] = {"", ""}, ids[2][32] = {"", ""}, names[2][32] = {"", ""};
    int finish = 0;
    cJSON *first = cJSON_Parse(s.ev[0]);
    assert_true(cJSON_IsNull(at(first, "choices.0.delta.content")));
    assert_string_equal(str(first, "choices.0.delta.role"), "assistant");
    cJSON_Delete(first);
    for (size_t i = 1; i + 1 < s.n; i++) {
        j = cJSON_Parse(s.ev[i]);
        assert_non_null(j);
        const cJSON *tcs = at(j, "choices.0.delta.tool_calls");
        const cJSON *tc;
        cJSON_ArrayForEach(tc, tcs) {
            int idx = (int)num(tc, "index");
            assert_true(idx == 0 || idx == 1);
            const cJSON *id = at(tc, "id"), *name = at(tc, "function.name");
            if (id) {
                snprintf(ids[idx], sizeof ids[idx], "%s", id->valuestring);
                snprintf(names[idx], sizeof names[idx], "%s", name->valuestring);
                assert_string_equal(str(tc, "type"), "function");
                assert_string_equal(str(tc, "function.arguments"), "");
            } else {
                strncat(args[idx], str(tc, "function.arguments"),
                        sizeof args[idx] - strlen(args[idx]) - 1);
            }
        }
        const cJSON *fr = at(j, "choices.0.finish_reason");
        if (cJSON_IsString(fr)) {
            assert_string_equal(fr->valuestring, "tool_calls");
            finish++;
        }
        cJSON_Delete(j);
    }
    assert_int_equal(finish, 1);
    assert_string_equal(ids[0], "call_a");
    assert_string_equal(names[0], "get_weather");
    assert_string_equal(args[0], "{\"city\":\"San Francisco, CA\",\"units\":\"celsius\"}");
    assert_string_equal(names[1], "get_time");
    assert_string_equal(args[1], "{\"tz\":\"UTC\"}");
    assert_string_equal(s.ev[s.n - 1], "[DONE]");
    sse_free(&s);
    hres_free(&r);
}

static void expect_rejected(mock_server *srv, const char *method, const char *body, int no_auth,
                            const char *const *headers, long status, const char *code,
                            const char *needle)
{
    char url[256];
    hres r;
    hreq rq = {.method = method, .body = body, .no_auth = no_auth, .headers = headers};
    http_do(&r, mk_url(url, sizeof url, srv, "/v1/chat/completions"), &rq);
    assert_int_equal(r.rc, CURLE_OK);
    assert_int_equal(r.status, status);
    cJSON *j = parse_body(&r);
    const char *msg = str(j, "error.message");
    assert_true(!strncmp(msg, "mock: ", 6));
    if (needle && !strstr(msg, needle))
        fail_msg("message '%s' lacks '%s'", msg, needle);
    assert_string_equal(str(j, "error.type"), "invalid_request_error");
    assert_true(cJSON_IsNull(at(j, "error.param")));
    assert_string_equal(str(j, "error.code"), code);
    cJSON_Delete(j);
    hres_free(&r);
}

static void test_validation(void **state)
{
    mock_server *srv = *state;
    static const char *const ct[] = {"Content-Type: application/json", NULL};
    static const char *const empty_bearer[] = {"Authorization: Bearer ",
                                               "Content-Type: application/json", NULL};
    static const char *const form[] = {"Authorization: Bearer k",
                                       "Content-Type: application/x-www-form-urlencoded", NULL};
    const char *ok = CHAT_BODY "}";
    expect_rejected(srv, NULL, ok, 1, ct, 401, "invalid_api_key", NULL);
    expect_rejected(srv, NULL, ok, 1, empty_bearer, 401, "invalid_api_key", NULL);
    expect_rejected(srv, "GET", NULL, 0, NULL, 400, "mock_validation", "POST");
    expect_rejected(srv, NULL, "{\"model\":", 0, NULL, 400, "mock_validation", "JSON");
    expect_rejected(srv, NULL, "[1]", 0, NULL, 400, "mock_validation", "object");
    expect_rejected(srv, NULL, ok, 1, form, 400, "mock_validation", "Content-Type");
    expect_rejected(srv, NULL, "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", 0, NULL,
                    400, "mock_validation", "model");
    expect_rejected(srv, NULL, "{\"model\":\"m\",\"messages\":[]}", 0, NULL, 400,
                    "mock_validation", "messages");
    expect_rejected(srv, NULL, "{\"model\":\"m\",\"messages\":[{\"role\":\"human\",\"content\":\"x\"}]}",
                    0, NULL, 400, "mock_validation", "messages[0].role");
    expect_rejected(srv, NULL, "{\"model\":\"m\",\"messages\":[{\"role\":\"user\"}]}", 0, NULL, 400,
                    "mock_validation", "content");
    expect_rejected(srv, NULL, "{\"model\":\"m\",\"messages\":[{\"role\":\"tool\",\"content\":\"x\"}]}",
                    0, NULL, 400, "mock_validation", "tool_call_id");
    expect_rejected(srv, NULL, CHAT_BODY ",\"stream_options\":{\"include_usage\":true}}", 0, NULL,
                    400, "mock_validation", "stream_options");
    expect_rejected(srv, NULL, CHAT_BODY ",\"max_tokens\":0}", 0, NULL, 400, "mock_validation",
                    "max_tokens");

    /* a complete, valid request with every message kind passes */
    hres r;
    char url[256];
    hreq rq = {.body = "{\"model\":\"m\",\"messages\":[{\"role\":\"developer\",\"content\":\"a\"},"
                       "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"b c\"}]},"
                       "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"t1\","
                       "\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}]},"
                       "{\"role\":\"tool\",\"tool_call_id\":\"t1\",\"content\":\"d\"}],"
                       "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}],"
                       "\"max_tokens\":5,\"temperature\":0.5}"};
    http_do(&r, mk_url(url, sizeof url, srv, "/v1/chat/completions"), &rq);
    assert_int_equal(r.status, 200);
    cJSON *j = parse_body(&r);
    assert_int_equal(num(j, "usage.prompt_tokens"), 4 + 4 * 4);  /* a, b c, d + 4 per message */
    cJSON_Delete(j);
    hres_free(&r);

    /* unknown path */
    http_do(&r, mk_url(url, sizeof url, srv, "/v1/embeddingz"), &rq);
    assert_int_equal(r.status, 404);
    j = parse_body(&r);
    assert_string_equal(str(j, "error.code"), "unknown_url");
    cJSON_Delete(j);
    hres_free(&r);

    mock_ledger l;
    mock_server_ledger(srv, NULL, &l);
    assert_int_equal(l.requests, 15);
    assert_int_equal(l.responses_ok, 1);
}

static void test_error_statuses(void **state)
{
    mock_server *srv = *state;
    hres r;
    char v[128];
    script(srv, NULL,
           "[{\"status\":429,\"headers\":{\"retry-after\":\"1\",\"retry-after-ms\":\"150\","
           "\"x-should-retry\":\"false\"}},"
           "{\"status\":500},"
           "{\"status\":400,\"error_type\":\"invalid_request_error\",\"error_code\":"
           "\"context_length_exceeded\",\"error_message\":\"too long\"},"
           "{\"status\":502,\"body\":\"<html>bad gateway</html>\",\"headers\":{\"Content-Type\":"
           "\"text/html\"}},"
           "{\"status\":404,\"error_code\":null},"
           "{\"body\":\"{\\\"raw\\\":true}\"}]");
    chat(&r, srv, NULL, 0, 0);
    assert_int_equal(r.status, 429);
    assert_true(hres_header(&r, "retry-after", v, sizeof v));
    assert_string_equal(v, "1");
    assert_true(hres_header(&r, "retry-after-ms", v, sizeof v));
    assert_string_equal(v, "150");
    assert_true(hres_header(&r, "x-should-retry", v, sizeof v));
    assert_string_equal(v, "false");
    cJSON *j = parse_body(&r);
    assert_string_equal(str(j, "error.code"), "rate_limit_exceeded");
    assert_true(cJSON_IsNull(at(j, "error.param")));
    cJSON_Delete(j);
    hres_free(&r);

    chat(&r, srv, NULL, 1, 1);             /* an error answers a stream request with JSON */
    assert_int_equal(r.status, 500);
    assert_true(hres_header(&r, "content-type", v, sizeof v));
    assert_string_equal(v, "application/json");
    j = parse_body(&r);
    assert_string_equal(str(j, "error.type"), "server_error");
    assert_string_equal(str(j, "error.code"), "server_error");
    cJSON_Delete(j);
    hres_free(&r);

    chat(&r, srv, NULL, 0, 0);
    assert_int_equal(r.status, 400);
    j = parse_body(&r);
    assert_string_equal(str(j, "error.code"), "context_length_exceeded");
    assert_string_equal(str(j, "error.message"), "too long");
    cJSON_Delete(j);
    hres_free(&r);

    chat(&r, srv, NULL, 0, 0);
    assert_int_equal(r.status, 502);
    assert_true(hres_header(&r, "content-type", v, sizeof v));
    assert_string_equal(v, "text/html");
    assert_string_equal(r.body, "<html>bad gateway</html>");
    hres_free(&r);

    chat(&r, srv, NULL, 0, 0);
    assert_int_equal(r.status, 404);
    j = parse_body(&r);
    assert_true(cJSON_IsNull(at(j, "error.code")));
    cJSON_Delete(j);
    hres_free(&r);

    chat(&r, srv, NULL, 0, 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "{\"raw\":true}");
    hres_free(&r);

    mock_ledger l;
    mock_server_ledger(srv, NULL, &l);
    assert_int_equal(l.requests, 6);
    assert_int_equal(l.responses_ok, 1);
    assert_int_equal(l.usage_reports, 0);
}

static void test_scripts(void **state)
{
    mock_server *srv = *state;
    hres r;
    char err[256];
    static const struct { const char *json, *needle; } bad[] = {
        {"[{\"text\":", "JSON"},
        {"[{\"delay\":5}]", "steps[0].delay: unknown member"},
        {"{\"steps\":[],\"then\":\"loop\"}", "then"},
        {"[{\"status\":99}]", "status"},
        {"[{\"stall_ms\":100}]", "stall_after_events"},
        {"[{\"reset\":\"sometimes\"}]", "reset"},
        {"[{\"headers\":{\"content-length\":\"5\"}}]", "content-length"},
        {"[{\"tool_calls\":[{\"id\":\"x\"}]}]", "name"},
        {"[{},{\"usage\":{\"prompt_tokens\":-1}}]", "steps[1].prompt_tokens"},
        {"42", "array"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(mock_server_script_err(srv, "x", bad[i].json, err, sizeof err), -1);
        if (!strstr(err, bad[i].needle))
            fail_msg("error '%s' for %s lacks '%s'", err, bad[i].json, bad[i].needle);
    }
    assert_int_equal(mock_server_script_err(srv, "bad lane!", "[]", err, sizeof err), -1);

    const char *texts[8];
    char *bodies[8];
    script(srv, NULL, "[{\"text\":\"one\"},{\"text\":\"two\",\"comment\":\"c\",\"_x\":1}]");
    for (int i = 0; i < 3; i++) {
        chat(&r, srv, NULL, 0, 0);
        cJSON *j = parse_body(&r);
        bodies[i] = strdup(str(j, "choices.0.message.content"));
        texts[i] = bodies[i];
        cJSON_Delete(j);
        hres_free(&r);
    }
    assert_string_equal(texts[0], "one");
    assert_string_equal(texts[1], "two");
    assert_string_equal(texts[2], DEFAULT_TEXT);
    for (int i = 0; i < 3; i++)
        free(bodies[i]);

    static const struct { const char *then, *expect[5]; } modes[] = {
        {"repeat_last", {"a", "b", "b", "b", "b"}},
        {"cycle", {"a", "b", "a", "b", "a"}},
        {"default", {"a", "b", DEFAULT_TEXT, DEFAULT_TEXT, DEFAULT_TEXT}},
    };
    for (size_t m = 0; m < 3; m++) {
        char json[128];
        snprintf(json, sizeof json, "{\"steps\":[{\"text\":\"a\"},{\"text\":\"b\"}],\"then\":\"%s\"}",
                 modes[m].then);
        script(srv, NULL, json);           /* replacing a script restarts it */
        for (int i = 0; i < 5; i++) {
            chat(&r, srv, NULL, 0, 0);
            cJSON *j = parse_body(&r);
            assert_string_equal(str(j, "choices.0.message.content"), modes[m].expect[i]);
            cJSON_Delete(j);
            hres_free(&r);
        }
    }

    script(srv, NULL, "[{\"text\":\"a b\",\"model\":\"gpt-x\",\"finish_reason\":\"length\","
                      "\"usage\":{\"prompt_tokens\":100,\"completion_tokens\":50,"
                      "\"cached_tokens\":30,\"reasoning_tokens\":20}}]");
    chat(&r, srv, NULL, 0, 0);
    cJSON *j = parse_body(&r);
    assert_string_equal(str(j, "model"), "gpt-x");
    assert_string_equal(str(j, "choices.0.finish_reason"), "length");
    assert_int_equal(num(j, "usage.prompt_tokens"), 100);
    assert_int_equal(num(j, "usage.completion_tokens"), 50);
    assert_int_equal(num(j, "usage.total_tokens"), 150);
    assert_int_equal(num(j, "usage.prompt_tokens_details.cached_tokens"), 30);
    assert_int_equal(num(j, "usage.completion_tokens_details.reasoning_tokens"), 20);
    cJSON_Delete(j);
    hres_free(&r);
}

typedef struct worker {
    const mock_server *srv;
    char texts[5][16];
} worker;

static void *work(void *arg)
{
    worker *w = arg;
    for (int i = 0; i < 5; i++) {
        hres r;
        chat(&r, w->srv, "conc", 0, 0);
        cJSON *j = cJSON_ParseWithLength(r.body, r.body_len);
        const cJSON *c = at(j, "choices.0.message.content");
        snprintf(w->texts[i], sizeof w->texts[i], "%s", cJSON_IsString(c) ? c->valuestring : "?");
        cJSON_Delete(j);
        hres_free(&r);
    }
    return NULL;
}

static void test_concurrent_steps(void **state)
{
    mock_server *srv = *state;
    char json[2048] = "[";
    for (int i = 0; i < 40; i++)
        snprintf(json + strlen(json), sizeof json - strlen(json), "%s{\"text\":\"s%d\"}",
                 i ? "," : "", i);
    strcat(json, "]");
    script(srv, "conc", json);
    worker w[8];
    pthread_t th[8];
    for (int i = 0; i < 8; i++) {
        w[i].srv = srv;
        assert_int_equal(pthread_create(&th[i], NULL, work, &w[i]), 0);
    }
    int seen[40] = {0};
    for (int i = 0; i < 8; i++) {
        pthread_join(th[i], NULL);
        for (int k = 0; k < 5; k++) {
            assert_true(w[i].texts[k][0] == 's');
            int n = (int)strtol(w[i].texts[k] + 1, NULL, 10);
            assert_true(n >= 0 && n < 40);
            seen[n]++;
        }
    }
    for (int i = 0; i < 40; i++)
        assert_int_equal(seen[i], 1);
    mock_ledger l;
    mock_server_ledger(srv, "conc", &l);
    assert_int_equal(l.requests, 40);
    assert_int_equal(l.responses_ok, 40);
    assert_int_equal(l.usage_reports, 40);
}

static void test_expect(void **state)
{
    mock_server *srv = *state;
    hres r;
    script(srv, NULL,
           "[{\"expect\":{\"method\":\"POST\",\"path\":\"/v1/chat/completions\",\"headers\":"
           "{\"Authorization\":\"Bearer sk-test\",\"x-absent\":null},\"body\":{\"model\":\"gpt-4o\","
           "\"messages\":[{\"role\":\"system\"},{\"content\":\"Say hello to the mock\"}]}}},"
           "{\"expect\":{\"body\":{\"model\":\"gpt-5\"}}},"
           "{\"expect\":{\"headers\":{\"x-tenant\":\"t1\"}}},"
           "{\"expect\":{\"body\":{\"messages\":[{\"role\":\"system\"}]}}},"
           "{\"expect\":{\"query\":\"api-version=2024\"}}]");
    chat(&r, srv, NULL, 0, 0);
    assert_int_equal(r.status, 200);
    hres_free(&r);
    static const char *const needles[] = {"body.model", "header x-tenant", "body.messages",
                                          "query"};
    for (int i = 0; i < 4; i++) {
        chat(&r, srv, NULL, 0, 0);
        assert_int_equal(r.status, 400);
        cJSON *j = parse_body(&r);
        assert_string_equal(str(j, "error.code"), "mock_expectation_failed");
        if (!strstr(str(j, "error.message"), needles[i]))
            fail_msg("'%s' lacks '%s'", str(j, "error.message"), needles[i]);
        cJSON_Delete(j);
        hres_free(&r);
    }
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_normal_json),
        T(test_stream),
        T(test_stream_chunks),
        T(test_tool_calls),
        T(test_validation),
        T(test_error_statuses),
        T(test_scripts),
        T(test_concurrent_steps),
        T(test_lanes_and_records),
        T(test_expect),
        T(test_keepalive_and_http),
        T(test_control_plane),
        cmocka_unit_test(test_loopback_only),
        T(test_resets),
        T(test_cut_and_omit_done),
        T(test_malformed),
        T(test_oversize),
        T(test_invalid_utf8),
        T(test_error_event),
        T(test_header_padding),
        T(test_timing),
        T(test_stall_forever_client_gone),
        cmocka_unit_test(test_stop_while_stalled),
        T(test_ledger_accounting),
        T(test_usage_raw),
    };
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
