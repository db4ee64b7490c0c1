/*
 * llmgw mock upstream: the dialect table and what dialects share.
 *
 * A dialect is one provider's wire format: which paths it owns, how it validates a request, how
 * it renders an answer (JSON body or framed stream events), an error envelope and an in-stream
 * error event. Adding a provider means one dialect_<name>.c defining a `const mock_dialect` and
 * one row in `dialects[]` below; faults, timing, recording and the ledger are dialect-neutral.
 */
#include "mock_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const mock_dialect *const dialects[] = {
    &mock_dialect_azure,                   /* /openai/deployments/{d}/chat/completions (before openai) */
    &mock_dialect_openai,                  /* /v1/chat/completions, /chat/completions */
    &mock_dialect_anthropic,               /* /v1/messages */
    &mock_dialect_gemini,                  /* /v1beta/models/{m}:generateContent, :streamGenerateContent */
    &mock_dialect_bedrock,                 /* /model/{id}/converse, /converse-stream */
    &mock_dialect_cohere,                  /* /v2/chat */
    &mock_dialect_ollama,                  /* /api/chat */
};

const mock_dialect *mock_dialect_route(const mock_request *req)
{
    for (size_t i = 0; i < sizeof dialects / sizeof dialects[0]; i++)
        if (dialects[i]->match(req))
            return dialects[i];
    return NULL;
}

static int is_space(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f' || ch == '\v';
}

uint64_t mock_count_words(const char *s, size_t n)
{
    uint64_t words = 0;
    int in_word = 0;
    for (size_t i = 0; i < n; i++) {
        if (is_space(s[i])) {
            in_word = 0;
        } else if (!in_word) {
            in_word = 1;
            words++;
        }
    }
    return words;
}

void mock_error_defaults(int status, const char **type, const char **code, const char **message)
{
    static const struct { int status; const char *type, *code, *message; } t[] = {
        {400, "invalid_request_error", "invalid_request", "mock: scripted bad request"},
        {401, "invalid_request_error", "invalid_api_key", "mock: scripted invalid API key"},
        {402, "insufficient_quota", "insufficient_quota", "mock: scripted payment required"},
        {403, "invalid_request_error", "permission_denied", "mock: scripted forbidden"},
        {404, "invalid_request_error", "model_not_found", "mock: scripted model not found"},
        {408, "timeout", "request_timeout", "mock: scripted request timeout"},
        {409, "invalid_request_error", "conflict", "mock: scripted conflict"},
        {413, "invalid_request_error", "request_too_large", "mock: scripted request too large"},
        {422, "invalid_request_error", "unprocessable_entity", "mock: scripted unprocessable"},
        {425, "invalid_request_error", "too_early", "mock: scripted too early"},
        {429, "requests", "rate_limit_exceeded", "mock: scripted rate limit reached"},
        {500, "server_error", "server_error", "mock: scripted server error"},
        {502, "server_error", "bad_gateway", "mock: scripted bad gateway"},
        {503, "server_error", "service_unavailable", "mock: scripted service unavailable"},
        {504, "server_error", "gateway_timeout", "mock: scripted gateway timeout"},
        {529, "server_error", "overloaded", "mock: scripted overloaded"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (t[i].status == status) {
            *type = t[i].type;
            *code = t[i].code;
            *message = t[i].message;
            return;
        }
    if (status >= 500) {
        *type = "server_error";
        *code = "server_error";
        *message = "mock: scripted server error";
    } else {
        *type = "invalid_request_error";
        *code = "mock_error";
        *message = "mock: scripted error";
    }
}

void mock_reject_set(mock_reject *rej, int status, const char *type, const char *code,
                     const char *fmt, ...)
{
    va_list ap;
    rej->status = status;
    rej->type = type;
    rej->code = code;
    va_start(ap, fmt);
    vsnprintf(rej->message, sizeof rej->message, fmt, ap);
    va_end(ap);
}

void mock_stream_begin(mock_stream *s, int kind)
{
    if (s->oom)
        return;
    if (s->nev == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 32;
        mock_event *ev = realloc(s->ev, cap * sizeof *ev);
        if (!ev) {
            s->oom = 1;
            return;
        }
        s->ev = ev;
        s->cap = cap;
    }
    mock_event *e = &s->ev[s->nev];
    e->off = s->bytes.len;
    e->len = e->json_off = e->json_len = 0;
    e->kind = kind;
}

void mock_stream_json_begin(mock_stream *s)
{
    if (!s->oom)
        s->ev[s->nev].json_off = s->bytes.len;
}

void mock_stream_json_end(mock_stream *s)
{
    if (!s->oom)
        s->ev[s->nev].json_len = s->bytes.len - s->ev[s->nev].json_off;
}

void mock_stream_end(mock_stream *s)
{
    if (s->oom || s->bytes.oom) {
        s->oom = 1;
        return;
    }
    s->ev[s->nev].len = s->bytes.len - s->ev[s->nev].off;
    s->nev++;
}

void mock_stream_clear(mock_stream *s)
{
    mbuf_clear(&s->bytes);
    s->nev = 0;
    s->oom = 0;
}

void mock_stream_free(mock_stream *s)
{
    mbuf_free(&s->bytes);
    free(s->ev);
    s->ev = NULL;
    s->nev = s->cap = 0;
    s->oom = 0;
}
