/*
 * llmgw mock upstream: Gemini answers, streams and errors (see dialect_gemini.c for the grammar).
 */
#include "mock_internal.h"
#include "dialect_gemini.h"

#include <stdio.h>
#include <string.h>

static const char *gem_finish(const char *f)
{
    if (!f || !strcmp(f, "stop") || !strcmp(f, "tool_calls") || !strcmp(f, "function_call"))
        return "STOP";
    if (!strcmp(f, "length"))
        return "MAX_TOKENS";
    if (!strcmp(f, "content_filter"))
        return "SAFETY";
    return f;
}

static void put_usage(mbuf *b, const mock_answer *a, int final)
{
    const mock_usage *u = &a->usage;
    if (a->usage_raw && final) {
        mbuf_puts(b, ",\"usageMetadata\":");
        mbuf_puts(b, a->usage_raw);
        return;
    }
    if (a->usage_raw)
        return;
    if (!final) {
        mbuf_printf(b, ",\"usageMetadata\":{\"promptTokenCount\":%llu,\"totalTokenCount\":%llu}",
                    (unsigned long long)u->prompt, (unsigned long long)u->prompt);
        return;
    }
    mbuf_printf(b, ",\"usageMetadata\":{\"promptTokenCount\":%llu,\"candidatesTokenCount\":%llu,"
                   "\"totalTokenCount\":%llu", (unsigned long long)u->prompt,
                (unsigned long long)(u->completion > u->reasoning ? u->completion - u->reasoning : 0),
                (unsigned long long)u->total);
    if (u->cached)
        mbuf_printf(b, ",\"cachedContentTokenCount\":%llu", (unsigned long long)u->cached);
    if (u->reasoning)
        mbuf_printf(b, ",\"thoughtsTokenCount\":%llu", (unsigned long long)u->reasoning);
    mbuf_printf(b, ",\"promptTokensDetails\":[{\"modality\":\"TEXT\",\"tokenCount\":%llu}]}",
                (unsigned long long)u->prompt);
}

static void put_call(mbuf *b, const mock_tool_call *t)
{
    cJSON *args = cJSON_Parse(t->arguments);
    char *s = cJSON_IsObject(args) ? cJSON_PrintUnformatted(args) : NULL;
    mbuf_puts(b, "{\"functionCall\":{\"name\":");
    mbuf_json_cstr(b, t->name);
    mbuf_puts(b, ",\"args\":");
    mbuf_puts(b, s ? s : "{}");
    mbuf_puts(b, "}}");
    cJSON_free(s);
    cJSON_Delete(args);
}

/* One GenerateContentResponse; parts_json is the parts array's members. */
static void response(mbuf *b, const mock_answer *a, const char *parts, size_t len, const char *finish,
                     int usage_final)
{
    mbuf_puts(b, "{\"candidates\":[{\"content\":{\"parts\":[");
    if (len)
        mbuf_put(b, parts, len);
    else
        mbuf_puts(b, "{\"text\":\"\"}");
    mbuf_puts(b, "],\"role\":\"model\"}");
    if (finish) {
        mbuf_puts(b, ",\"finishReason\":");
        mbuf_json_cstr(b, finish);
    }
    mbuf_puts(b, ",\"index\":0}]");
    put_usage(b, a, usage_final);
    mbuf_puts(b, ",\"modelVersion\":");
    mbuf_json_cstr(b, a->model);
    mbuf_printf(b, ",\"responseId\":\"mock-%s-%llu\"}", a->lane, (unsigned long long)a->n);
}

/* The step's "reasoning" becomes a thought part (Gemini's thinking summary). */
static const char *reasoning_of(const mock_answer *a)
{
    return a->step && a->step->reasoning && a->step->reasoning[0] ? a->step->reasoning : NULL;
}

static void put_thought(mbuf *b, const char *text)
{
    mbuf_puts(b, "{\"text\":");
    mbuf_json_cstr(b, text);
    mbuf_puts(b, ",\"thought\":true}");
}

void mock_gemini_render_body(mbuf *b, const mock_answer *a)
{
    mbuf parts = {0};
    if (reasoning_of(a))
        put_thought(&parts, reasoning_of(a));
    if (a->text && a->text_len) {
        if (parts.len)
            mbuf_putc(&parts, ',');
        mbuf_puts(&parts, "{\"text\":");
        mbuf_json_str(&parts, a->text, a->text_len);
        mbuf_putc(&parts, '}');
    }
    for (size_t i = 0; i < a->ntools; i++) {
        if (parts.len)
            mbuf_putc(&parts, ',');
        put_call(&parts, &a->tools[i]);
    }
    response(b, a, parts.data, parts.len, gem_finish(a->finish_reason), 1);
    b->oom |= parts.oom;
    mbuf_free(&parts);
}

static void event(mock_stream *s, int kind, const mock_answer *a, const mbuf *parts, const char *finish,
                  int usage_final)
{
    mock_stream_begin(s, kind);
    mbuf_puts(&s->bytes, "data: ");
    mock_stream_json_begin(s);
    response(&s->bytes, a, parts->data, parts->len, finish, usage_final);
    mock_stream_json_end(s);
    mbuf_puts(&s->bytes, "\r\n\r\n");
    mock_stream_end(s);
}

void mock_gemini_render_stream(mock_stream *s, const mock_answer *a)
{
    mbuf parts = {0};
    if (reasoning_of(a)) {
        put_thought(&parts, reasoning_of(a));
        event(s, MOCK_EV_TEXT, a, &parts, NULL, 0);
    }
    for (size_t i = 0; i < a->npieces; i++) {
        mbuf_clear(&parts);
        mbuf_puts(&parts, "{\"text\":");
        mbuf_json_str(&parts, a->text + a->pieces[i].off, a->pieces[i].len);
        mbuf_putc(&parts, '}');
        event(s, MOCK_EV_TEXT, a, &parts, NULL, 0);
    }
    for (size_t i = 0; i < a->ntools; i++) {
        mbuf_clear(&parts);
        put_call(&parts, &a->tools[i]);
        event(s, MOCK_EV_TOOL, a, &parts, NULL, 0);
    }
    mbuf_clear(&parts);
    event(s, MOCK_EV_USAGE, a, &parts, NULL, 1);
    event(s, MOCK_EV_DONE, a, &parts, gem_finish(a->finish_reason), 1);
    s->oom |= parts.oom;
    mbuf_free(&parts);
}

static const char *google_status(int status)
{
    static const struct { int status; const char *name; } t[] = {
        {400, "INVALID_ARGUMENT"}, {401, "UNAUTHENTICATED"}, {403, "PERMISSION_DENIED"},
        {404, "NOT_FOUND"}, {409, "ABORTED"}, {429, "RESOURCE_EXHAUSTED"}, {499, "CANCELLED"},
        {500, "INTERNAL"}, {501, "NOT_IMPLEMENTED"}, {503, "UNAVAILABLE"}, {504, "DEADLINE_EXCEEDED"}};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (t[i].status == status)
            return t[i].name;
    return status >= 500 ? "UNKNOWN" : "FAILED_PRECONDITION";
}

static int upper_word(const char *s)
{
    if (!s || !*s)
        return 0;
    for (; *s; s++)
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_'))
            return 0;
    return 1;
}

void mock_gemini_render_error(mbuf *b, int status, const char *type, const char *code, const char *message)
{
    const char *st = upper_word(type) ? type : google_status(status);
    mbuf_printf(b, "{\"error\":{\"code\":%d,\"message\":", status);
    mbuf_json_cstr(b, message ? message : "");
    mbuf_puts(b, ",\"status\":");
    mbuf_json_cstr(b, st);
    if (upper_word(code)) {
        mbuf_puts(b, ",\"details\":[{\"@type\":\"type.googleapis.com/google.rpc.ErrorInfo\",\"reason\":");
        mbuf_json_cstr(b, code);
        mbuf_puts(b, ",\"domain\":\"googleapis.com\",\"metadata\":{\"service\":"
                     "\"generativelanguage.googleapis.com\"}}]");
    } else if (!strcmp(st, "RESOURCE_EXHAUSTED")) {
        mbuf_puts(b, ",\"details\":[{\"@type\":\"type.googleapis.com/google.rpc.QuotaFailure\",\"violations\":"
                     "[{\"quotaMetric\":\"generativelanguage.googleapis.com/generate_content_free_tier_requests\","
                     "\"quotaId\":\"GenerateRequestsPerMinutePerProjectPerModel-FreeTier\",\"quotaValue\":\"10\"}]}]");
    }
    mbuf_puts(b, "}}");
}

void mock_gemini_render_error_event(mock_stream *s, const char *error_json)
{
    mock_stream_begin(s, MOCK_EV_ERROR);
    mbuf_puts(&s->bytes, "data: ");
    mock_stream_json_begin(s);
    mbuf_puts(&s->bytes, "{\"error\":");
    mbuf_puts(&s->bytes, error_json);
    mbuf_putc(&s->bytes, '}');
    mock_stream_json_end(s);
    mbuf_puts(&s->bytes, "\r\n\r\n");
    mock_stream_end(s);
}

