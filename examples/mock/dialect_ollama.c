/*
 * llmgw mock upstream: Ollama's native chat API (POST /api/chat; docs/providers.md §7).
 *
 * Validation, like the server's Go decoding plus the checks that catch mapping bugs: no
 * authentication; a JSON object with a model and a non-empty messages array; roles system, user,
 * assistant, tool; content a string (an OpenAI parts array is a 400, as Go's decoder says);
 * images base64 strings (a data: URL is refused); assistant tool_calls [{id?, function:{name,
 * arguments: an object}}]; tool_name and thinking strings. Top-level members: model, messages,
 * tools, format ("json" or a schema object), options, stream, keep_alive, think; options:
 * temperature, top_p, top_k, num_predict, stop (an array), seed, presence_penalty,
 * frequency_penalty, num_ctx. The real server ignores unknown members and options; the mock
 * refuses them so an untranslated OpenAI member fails its test. stream defaults to true.
 *
 * Answers: {model, created_at, message:{role, content, tool_calls?:[{id, function:{name,
 * arguments:<object>}}]}, done_reason, done:true, durations, prompt_eval_count, eval_count}.
 * The step's finish reason tool_calls is sent as "stop" (the native API has no tool reason).
 * usage_raw is inserted as written in place of "prompt_eval_count":P,"prompt_eval_duration":D,
 * "eval_count":C (so it is a list of members, not an object).
 *
 * Stream (application/x-ndjson, one object per line): a done:false line per text piece and per
 * tool call (tool calls arrive whole), then the done:true line with done_reason and the counts
 * (the ledger's usage event, and the terminal event: omit_done has nothing to omit; use
 * cut_after_events). The in-stream error event is a line {"error":"<the error_event's message>"}.
 * Errors: {"error":"<message>"}.
 */
#include "mock_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char created_at[] = "2025-01-01T00:00:00.000000Z";

static int ol_match(const mock_request *req)
{
    return !strcmp(req->path, "/api/chat");
}

static int bad(mock_reject *rej, const char *fmt, ...) MOCK_PRINTF(2, 3);

static int bad(mock_reject *rej, const char *fmt, ...)
{
    char what[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    mock_reject_set(rej, 400, "invalid_request_error", "mock_validation", "mock: %s", what);
    return -1;
}

static int absent(const cJSON *it)
{
    return !it || cJSON_IsNull(it);
}

static int one_of(const char *s, const char *const *list, size_t n)
{
    for (size_t i = 0; s && i < n; i++)
        if (!strcmp(s, list[i]))
            return 1;
    return 0;
}

static int base64_ok(const char *s)
{
    size_t n = strlen(s);
    return n > 0 && n % 4 == 0 &&
           strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") == n;
}

static int check_message(const cJSON *m, size_t i, uint64_t *words, mock_reject *rej)
{
    static const char *const roles[] = {"system", "user", "assistant", "tool"};
    static const char *const members[] = {"role", "content", "images", "tool_calls", "tool_name", "thinking"};
    const char *role = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "role"));
    const cJSON *it, *tc;

    if (!cJSON_IsObject(m) || !one_of(role, roles, 4))
        return bad(rej, "messages[%zu].role must be system, user, assistant or tool", i);
    cJSON_ArrayForEach(it, m)
        if (!one_of(it->string, members, 6))
            return bad(rej, "messages[%zu]: unknown field '%s'", i, it->string);
    it = cJSON_GetObjectItemCaseSensitive(m, "content");
    if (!absent(it) && !cJSON_IsString(it))
        return bad(rej, "json: cannot unmarshal %s into Go struct field Message.messages.content of type string",
                   cJSON_IsArray(it) ? "array" : "value");
    if (cJSON_IsString(it))
        *words += mock_count_words(it->valuestring, strlen(it->valuestring));
    it = cJSON_GetObjectItemCaseSensitive(m, "images");
    if (!absent(it)) {
        const cJSON *img;
        if (!cJSON_IsArray(it))
            return bad(rej, "messages[%zu].images must be an array", i);
        cJSON_ArrayForEach(img, it)
            if (!cJSON_IsString(img) || !base64_ok(img->valuestring))
                return bad(rej, "messages[%zu].images[] must be base64 strings", i);
    }
    if ((!absent(it = cJSON_GetObjectItemCaseSensitive(m, "tool_name")) && !cJSON_IsString(it)) ||
        (!absent(it = cJSON_GetObjectItemCaseSensitive(m, "thinking")) && !cJSON_IsString(it)))
        return bad(rej, "messages[%zu]: tool_name and thinking must be strings", i);
    it = cJSON_GetObjectItemCaseSensitive(m, "tool_calls");
    if (absent(it))
        return 0;
    if (strcmp(role, "assistant") || !cJSON_IsArray(it))
        return bad(rej, "messages[%zu].tool_calls: an array, on assistant messages only", i);
    cJSON_ArrayForEach(tc, it) {
        const cJSON *fn = cJSON_GetObjectItemCaseSensitive(tc, "function"), *f;
        if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(fn, "name")) ||
            !cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(fn, "arguments")))
            return bad(rej, "messages[%zu].tool_calls[] need function.name and function.arguments (an object)", i);
        cJSON_ArrayForEach(f, tc)
            if (strcmp(f->string, "id") && strcmp(f->string, "function"))
                return bad(rej, "messages[%zu].tool_calls[]: unknown field '%s'", i, f->string);
    }
    return 0;
}

static int check_options(const cJSON *opts, mock_reject *rej)
{
    static const char *const nums[] = {"temperature", "top_p", "presence_penalty", "frequency_penalty"};
    static const char *const ints[] = {"top_k", "num_predict", "seed", "num_ctx"};
    const cJSON *it, *s;

    if (!cJSON_IsObject(opts))
        return bad(rej, "options must be an object");
    cJSON_ArrayForEach(it, opts) {
        if (one_of(it->string, nums, 4) && !cJSON_IsNumber(it))
            return bad(rej, "option %s must be a number", it->string);
        else if (one_of(it->string, ints, 4) &&
                 (!cJSON_IsNumber(it) || (double)(int64_t)it->valuedouble != it->valuedouble))
            return bad(rej, "option %s must be of type integer", it->string);
        else if (!strcmp(it->string, "stop")) {
            if (!cJSON_IsArray(it))
                return bad(rej, "option \"stop\" must be of type array");
            cJSON_ArrayForEach(s, it)
                if (!cJSON_IsString(s))
                    return bad(rej, "option \"stop\" must be of an array of strings");
        } else if (!one_of(it->string, nums, 4) && !one_of(it->string, ints, 4))
            return bad(rej, "invalid option '%s'", it->string);
    }
    return 0;
}

static int ol_parse(mock_parsed *out, mock_reject *rej, const mock_request *req, const cJSON *body)
{
    static const char *const known[] = {"model", "messages", "tools", "format", "options", "stream",
                                        "keep_alive", "think"};
    const cJSON *it, *m;

    memset(out, 0, sizeof *out);
    if (strcmp(req->method, "POST") != 0)
        return bad(rej, "/api/chat needs POST");
    if (!cJSON_IsObject(body))
        return bad(rej, "invalid request body: not a JSON object");
    cJSON_ArrayForEach(it, body)
        if (!one_of(it->string, known, sizeof known / sizeof known[0]))
            return bad(rej, "unknown field '%s' (not an /api/chat parameter)", it->string);
    it = cJSON_GetObjectItemCaseSensitive(body, "model");
    if (!cJSON_IsString(it) || !it->valuestring[0])
        return bad(rej, "model is required");
    out->model = it->valuestring;
    it = cJSON_GetObjectItemCaseSensitive(body, "messages");
    if (!cJSON_IsArray(it) || cJSON_GetArraySize(it) == 0)
        return bad(rej, "messages must be a non-empty array");
    uint64_t words = 0, count = 0;
    cJSON_ArrayForEach(m, it)
        if (check_message(m, count++, &words, rej) < 0)
            return -1;
    it = cJSON_GetObjectItemCaseSensitive(body, "options");
    if (!absent(it) && check_options(it, rej) < 0)
        return -1;
    it = cJSON_GetObjectItemCaseSensitive(body, "format");
    if (!absent(it) && !cJSON_IsObject(it) && !(cJSON_IsString(it) && !strcmp(it->valuestring, "json")))
        return bad(rej, "format must be \"json\" or a JSON schema object");
    it = cJSON_GetObjectItemCaseSensitive(body, "tools");
    if (!absent(it)) {
        const cJSON *t;
        if (!cJSON_IsArray(it))
            return bad(rej, "tools must be an array");
        cJSON_ArrayForEach(t, it)
            if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(t, "function"),
                                                                 "name")))
                return bad(rej, "tools[] need function.name");
    }
    it = cJSON_GetObjectItemCaseSensitive(body, "stream");
    if (!absent(it) && !cJSON_IsBool(it))
        return bad(rej, "stream must be a boolean");
    out->stream = absent(it) || cJSON_IsTrue(it);       /* Ollama streams by default */
    out->include_usage = 1;                             /* the done:true line has the counts */
    out->prompt_tokens = words + 4 * count;
    return 0;
}

static const char *ol_finish(const char *f)
{
    return !f || !strcmp(f, "tool_calls") ? "stop" : f;
}

static void put_head(mbuf *b, const mock_answer *a)
{
    mbuf_puts(b, "{\"model\":");
    mbuf_json_cstr(b, a->model);
    mbuf_printf(b, ",\"created_at\":\"%s\",\"message\":{\"role\":\"assistant\",\"content\":", created_at);
}

static void put_call(mbuf *b, const mock_tool_call *t)
{
    cJSON *args = cJSON_Parse(t->arguments);
    char *printed = cJSON_IsObject(args) ? cJSON_PrintUnformatted(args) : NULL;

    mbuf_puts(b, "{\"id\":");
    mbuf_json_cstr(b, t->id);
    mbuf_puts(b, ",\"function\":{\"name\":");
    mbuf_json_cstr(b, t->name);
    mbuf_puts(b, ",\"arguments\":");
    if (printed)
        mbuf_puts(b, printed);
    else
        mbuf_json_cstr(b, t->arguments);   /* not an object: sent as it is, a string */
    mbuf_puts(b, "}}");
    cJSON_free(printed);
    cJSON_Delete(args);
}

/* ...,"done_reason":..,"done":true, durations and counts} */
static void put_tail(mbuf *b, const mock_answer *a)
{
    mbuf_puts(b, ",\"done_reason\":");
    mbuf_json_cstr(b, ol_finish(a->finish_reason));
    mbuf_puts(b, ",\"done\":true,\"total_duration\":5191566416,\"load_duration\":2154458,");
    if (a->usage_raw)
        mbuf_puts(b, a->usage_raw);
    else
        mbuf_printf(b, "\"prompt_eval_count\":%llu,\"prompt_eval_duration\":383809000,\"eval_count\":%llu",
                    (unsigned long long)a->usage.prompt, (unsigned long long)a->usage.completion);
    mbuf_puts(b, ",\"eval_duration\":4799921000}");
}

static void ol_render_body(mbuf *b, const mock_answer *a)
{
    put_head(b, a);
    mbuf_json_str(b, a->text ? a->text : "", a->text ? a->text_len : 0);
    if (a->ntools) {
        mbuf_puts(b, ",\"tool_calls\":[");
        for (size_t i = 0; i < a->ntools; i++) {
            if (i)
                mbuf_putc(b, ',');
            put_call(b, &a->tools[i]);
        }
        mbuf_putc(b, ']');
    }
    mbuf_putc(b, '}');
    put_tail(b, a);
}

static void line(mock_stream *s, int kind, const mbuf *json)
{
    mock_stream_begin(s, kind);
    mock_stream_json_begin(s);
    mbuf_put(&s->bytes, json->data, json->len);
    mock_stream_json_end(s);
    mbuf_putc(&s->bytes, '\n');
    mock_stream_end(s);
}

static void ol_render_stream(mock_stream *s, const mock_answer *a)
{
    mbuf j = {0};

    for (size_t i = 0; a->text && i < a->npieces; i++) {
        mbuf_clear(&j);
        put_head(&j, a);
        mbuf_json_str(&j, a->text + a->pieces[i].off, a->pieces[i].len);
        mbuf_puts(&j, "},\"done\":false}");
        line(s, MOCK_EV_TEXT, &j);
    }
    for (size_t i = 0; i < a->ntools; i++) {
        mbuf_clear(&j);
        put_head(&j, a);
        mbuf_puts(&j, "\"\",\"tool_calls\":[");
        put_call(&j, &a->tools[i]);
        mbuf_puts(&j, "]},\"done\":false}");
        line(s, MOCK_EV_TOOL, &j);
    }
    mbuf_clear(&j);
    put_head(&j, a);
    mbuf_puts(&j, "\"\"}");
    put_tail(&j, a);
    line(s, MOCK_EV_USAGE, &j);
    s->oom |= j.oom;
    mbuf_free(&j);
}

static void ol_render_error(mbuf *b, int status, const char *type, const char *code, const char *message)
{
    (void)status;
    (void)type;
    (void)code;
    mbuf_puts(b, "{\"error\":");
    mbuf_json_cstr(b, message ? message : "");
    mbuf_putc(b, '}');
}

static void ol_render_error_event(mock_stream *s, const char *error_json)
{
    cJSON *e = cJSON_Parse(error_json);
    const char *msg = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "message"));
    mbuf j = {0};

    if (!msg)
        msg = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "error"));
    mbuf_puts(&j, "{\"error\":");
    mbuf_json_cstr(&j, msg ? msg : error_json);
    mbuf_putc(&j, '}');
    line(s, MOCK_EV_ERROR, &j);
    s->oom |= j.oom;
    mbuf_free(&j);
    cJSON_Delete(e);
}

const mock_dialect mock_dialect_ollama = {
    .name = "ollama",
    .stream_content_type = "application/x-ndjson",
    .match = ol_match,
    .parse = ol_parse,
    .render_body = ol_render_body,
    .render_stream = ol_render_stream,
    .render_error = ol_render_error,
    .render_error_event = ol_render_error_event,
};
