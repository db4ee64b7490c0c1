/*
 * llmgw mock upstream: Cohere v2 chat (POST /v2/chat; docs/providers.md §6).
 *
 * Validation: Authorization: Bearer <key> (401 {"message"} otherwise); JSON body with a model and
 * a non-empty messages array; roles system, user, assistant, tool with their v2 content shapes
 * (user parts text and image_url, assistant tool_calls with string arguments and an optional
 * tool_plan, tool messages with tool_call_id); only Cohere's own top-level members, with their
 * ranges (p 0.01..0.99, k 0..500, penalties 0..1, at most 5 stop_sequences, tool_choice REQUIRED
 * or NONE, response_format text or json_object). An OpenAI member such as top_p, stop or
 * max_completion_tokens is a 400, so a mapping bug fails its test.
 *
 * Answers: {id, message:{role, content:[{type:"text", text}], tool_plan?, tool_calls?},
 * finish_reason, usage:{billed_units, tokens, cached_tokens?}}. With tool calls the text is the
 * tool_plan. The step's OpenAI finish reasons are translated (stop -> COMPLETE, length ->
 * MAX_TOKENS, tool_calls -> TOOL_CALL); any other value is sent as given. usage_raw replaces the
 * usage object.
 *
 * Stream (event: + data:, the type repeated in the JSON): message-start, content-start, one
 * content-delta per piece, content-end (or tool-plan-delta per piece with tool calls), per call
 * tool-call-start (index, id, name, arguments "") / tool-call-delta fragments / tool-call-end,
 * message-end (finish_reason and usage: the usage event of the ledger), then "data: [DONE]"
 * (omitted by omit_done; message-end is the terminal event). The in-stream error event is a
 * message-end with finish_reason ERROR and delta.error (the error_event's "message").
 * Errors: {"id", "message"}.
 */
#include "mock_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static int co_match(const mock_request *req)
{
    return !strcmp(req->path, "/v2/chat");
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

static int is_int(const cJSON *it, double lo, double hi)
{
    return cJSON_IsNumber(it) && it->valuedouble >= lo && it->valuedouble <= hi &&
           (double)(int64_t)it->valuedouble == it->valuedouble;
}

static int num_in(const cJSON *it, double lo, double hi)
{
    return cJSON_IsNumber(it) && it->valuedouble >= lo && it->valuedouble <= hi;
}

static int one_of(const char *s, const char *const *list, size_t n)
{
    for (size_t i = 0; s && i < n; i++)
        if (!strcmp(s, list[i]))
            return 1;
    return 0;
}

/* content: a string, or parts whose types the role allows; counts words. */
static int check_content(const cJSON *c, const char *role, size_t i, uint64_t *words, mock_reject *rej)
{
    if (cJSON_IsString(c)) {
        *words += mock_count_words(c->valuestring, strlen(c->valuestring));
        return 0;
    }
    if (!cJSON_IsArray(c))
        return bad(rej, "messages[%zu].content must be a string or an array", i);
    const cJSON *part;
    cJSON_ArrayForEach(part, c) {
        const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(part, "type"));
        const cJSON *text = cJSON_GetObjectItemCaseSensitive(part, "text");
        if (type && !strcmp(type, "text") && cJSON_IsString(text)) {
            *words += mock_count_words(text->valuestring, strlen(text->valuestring));
        } else if (type && !strcmp(type, "image_url") && !strcmp(role, "user")) {
            const cJSON *iu = cJSON_GetObjectItemCaseSensitive(part, "image_url");
            if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(iu, "url")))
                return bad(rej, "messages[%zu]: image_url parts need image_url.url", i);
        } else if (!(type && !strcmp(type, "document") && !strcmp(role, "tool"))) {
            return bad(rej, "messages[%zu]: content part type '%s' is not valid here", i,
                       type ? type : "?");
        }
    }
    return 0;
}

static int check_tool_calls(const cJSON *tcs, size_t i, mock_reject *rej)
{
    const cJSON *tc;
    if (!cJSON_IsArray(tcs))
        return bad(rej, "messages[%zu].tool_calls must be an array", i);
    cJSON_ArrayForEach(tc, tcs) {
        const cJSON *fn = cJSON_GetObjectItemCaseSensitive(tc, "function");
        const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(tc, "type"));
        if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(tc, "id")) || !type || strcmp(type, "function") ||
            !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(fn, "name")) ||
            !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(fn, "arguments")))
            return bad(rej, "messages[%zu].tool_calls[] need id, type function, function.name and "
                       "function.arguments (a string)", i);
    }
    return 0;
}

static int check_message(const cJSON *m, size_t i, uint64_t *words, mock_reject *rej)
{
    static const char *const roles[] = {"system", "user", "assistant", "tool"};
    static const char *const members[] = {"role", "content", "tool_calls", "tool_plan", "tool_call_id",
                                          "citations"};
    const char *role = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "role"));
    const cJSON *content = cJSON_GetObjectItemCaseSensitive(m, "content"), *it;
    const cJSON *tcs = cJSON_GetObjectItemCaseSensitive(m, "tool_calls");

    if (!cJSON_IsObject(m) || !one_of(role, roles, 4))
        return bad(rej, "messages[%zu].role must be system, user, assistant or tool", i);
    cJSON_ArrayForEach(it, m)
        if (!one_of(it->string, members, 6))
            return bad(rej, "messages[%zu]: unknown field '%s'", i, it->string);
    if (!strcmp(role, "assistant")) {
        if (!absent(tcs) && check_tool_calls(tcs, i, rej) < 0)
            return -1;
        if (absent(content) && absent(tcs))
            return bad(rej, "messages[%zu]: an assistant message needs content or tool_calls", i);
        it = cJSON_GetObjectItemCaseSensitive(m, "tool_plan");
        if (!absent(it) && !cJSON_IsString(it))
            return bad(rej, "messages[%zu].tool_plan must be a string", i);
    } else if (!absent(tcs) || cJSON_GetObjectItemCaseSensitive(m, "tool_plan")) {
        return bad(rej, "messages[%zu]: only assistant messages carry tool_calls and tool_plan", i);
    } else if (absent(content)) {
        return bad(rej, "messages[%zu].content is required", i);
    }
    if ((strcmp(role, "tool") == 0) != (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(m, "tool_call_id")) != 0))
        return bad(rej, "messages[%zu]: tool_call_id belongs to (and is required by) role tool", i);
    return absent(content) ? 0 : check_content(content, role, i, words, rej);
}

static int check_tools(const cJSON *tools, mock_reject *rej)
{
    const cJSON *t;
    size_t i = 0;
    if (!cJSON_IsArray(tools))
        return bad(rej, "tools must be an array");
    cJSON_ArrayForEach(t, tools) {
        const cJSON *fn = cJSON_GetObjectItemCaseSensitive(t, "function"), *it;
        const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(t, "type"));
        if (!type || strcmp(type, "function") || !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(fn, "name")))
            return bad(rej, "tools[%zu] needs type function and function.name", i);
        it = cJSON_GetObjectItemCaseSensitive(fn, "parameters");
        if (!absent(it) && !cJSON_IsObject(it))
            return bad(rej, "tools[%zu].function.parameters must be an object", i);
        cJSON_ArrayForEach(it, fn)
            if (strcmp(it->string, "name") && strcmp(it->string, "description") && strcmp(it->string, "parameters"))
                return bad(rej, "tools[%zu].function: unknown field '%s'", i, it->string);
        i++;
    }
    return 0;
}

/* Cohere's own top-level members and their ranges. */
static int check_options(const cJSON *body, mock_reject *rej)
{
    static const char *const known[] = {"model", "messages", "stream", "tools", "strict_tools", "documents",
        "citation_options", "response_format", "safety_mode", "max_tokens", "stop_sequences", "temperature",
        "seed", "frequency_penalty", "presence_penalty", "k", "p", "logprobs", "tool_choice", "thinking"};
    const cJSON *it;
    const char *s;

    cJSON_ArrayForEach(it, body)
        if (!one_of(it->string, known, sizeof known / sizeof known[0]))
            return bad(rej, "unknown field '%s' (not a v2 chat parameter)", it->string);
#define GET(name) ((it = cJSON_GetObjectItemCaseSensitive(body, name)) != NULL && !cJSON_IsNull(it))
    if (GET("stream") && !cJSON_IsBool(it))
        return bad(rej, "stream must be a boolean");
    if (GET("max_tokens") && !is_int(it, 1, 1e9))
        return bad(rej, "max_tokens must be a positive integer");
    if (GET("temperature") && !num_in(it, 0, 1e9))
        return bad(rej, "temperature must be a non-negative number");
    if (GET("p") && !num_in(it, 0.01, 0.99))
        return bad(rej, "p must be in 0.01..0.99");
    if (GET("k") && !is_int(it, 0, 500))
        return bad(rej, "k must be an integer in 0..500");
    if (GET("seed") && !is_int(it, -9007199254740992.0, 9007199254740992.0))
        return bad(rej, "seed must be an integer");
    if ((GET("frequency_penalty") && !num_in(it, 0, 1)) || (GET("presence_penalty") && !num_in(it, 0, 1)))
        return bad(rej, "penalties must be in 0..1");
    if (GET("stop_sequences")) {
        const cJSON *s2;
        if (!cJSON_IsArray(it) || cJSON_GetArraySize(it) > 5)
            return bad(rej, "stop_sequences must be an array of at most 5 strings");
        cJSON_ArrayForEach(s2, it)
            if (!cJSON_IsString(s2))
                return bad(rej, "stop_sequences must hold strings");
    }
    if (GET("tools") && check_tools(it, rej) < 0)
        return -1;
    if (GET("strict_tools") && !cJSON_IsBool(it))
        return bad(rej, "strict_tools must be a boolean");
    if (GET("tool_choice")) {
        s = cJSON_GetStringValue(it);
        if (!s || (strcmp(s, "REQUIRED") && strcmp(s, "NONE")))
            return bad(rej, "tool_choice must be REQUIRED or NONE");
        if (!cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(body, "tools")))
            return bad(rej, "tool_choice needs tools");
    }
    if (GET("response_format")) {
        s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "type"));
        const cJSON *js = cJSON_GetObjectItemCaseSensitive(it, "json_schema");
        if (!s || (strcmp(s, "text") && strcmp(s, "json_object")) || (!absent(js) && !cJSON_IsObject(js)))
            return bad(rej, "response_format must be {type: text | json_object, json_schema?: object}");
    }
#undef GET
    return 0;
}

static int co_parse(mock_parsed *out, mock_reject *rej, const mock_request *req, const cJSON *body)
{
    memset(out, 0, sizeof *out);
    const char *auth = mock_request_header(req, "authorization");
    if (!auth || strncasecmp(auth, "Bearer ", 7) != 0 || auth[7 + strspn(auth + 7, " ")] == '\0') {
        mock_reject_set(rej, 401, NULL, NULL, "mock: invalid api token (Authorization: Bearer <key>)");
        return -1;
    }
    const char *ct = mock_request_header(req, "content-type");
    if (strcmp(req->method, "POST") != 0 || !ct || strncasecmp(ct, "application/json", 16) != 0)
        return bad(rej, "v2 chat needs POST with Content-Type application/json");
    if (!cJSON_IsObject(body))
        return bad(rej, "body must be a JSON object");
    const cJSON *model = cJSON_GetObjectItemCaseSensitive(body, "model");
    const cJSON *msgs = cJSON_GetObjectItemCaseSensitive(body, "messages"), *m;
    if (!cJSON_IsString(model) || !model->valuestring[0])
        return bad(rej, "model must be a non-empty string");
    if (!cJSON_IsArray(msgs) || cJSON_GetArraySize(msgs) == 0)
        return bad(rej, "messages must be a non-empty array");
    uint64_t words = 0, count = 0;
    cJSON_ArrayForEach(m, msgs)
        if (check_message(m, count++, &words, rej) < 0)
            return -1;
    if (check_options(body, rej) < 0)
        return -1;
    out->model = model->valuestring;
    out->stream = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(body, "stream"));
    out->include_usage = 1;                /* usage always comes with message-end */
    out->prompt_tokens = words + 4 * count;
    return 0;
}

static const char *co_finish(const char *f)
{
    if (!f || !strcmp(f, "stop"))
        return "COMPLETE";
    if (!strcmp(f, "length"))
        return "MAX_TOKENS";
    if (!strcmp(f, "tool_calls"))
        return "TOOL_CALL";
    return f;
}

static void put_usage(mbuf *b, const mock_answer *a)
{
    if (a->usage_raw) {
        mbuf_puts(b, a->usage_raw);
        return;
    }
    mbuf_printf(b, "{\"billed_units\":{\"input_tokens\":%llu,\"output_tokens\":%llu},"
                   "\"tokens\":{\"input_tokens\":%llu,\"output_tokens\":%llu}",
                (unsigned long long)a->usage.prompt, (unsigned long long)a->usage.completion,
                (unsigned long long)a->usage.prompt, (unsigned long long)a->usage.completion);
    if (a->usage.cached)
        mbuf_printf(b, ",\"cached_tokens\":%llu", (unsigned long long)a->usage.cached);
    mbuf_putc(b, '}');
}

static void put_call(mbuf *b, const mock_tool_call *t, const char *args, size_t args_len)
{
    mbuf_puts(b, "{\"id\":");
    mbuf_json_cstr(b, t->id);
    mbuf_puts(b, ",\"type\":\"function\",\"function\":{\"name\":");
    mbuf_json_cstr(b, t->name);
    mbuf_puts(b, ",\"arguments\":");
    mbuf_json_str(b, args, args_len);
    mbuf_puts(b, "}}");
}

static void co_render_body(mbuf *b, const mock_answer *a)
{
    mbuf_printf(b, "{\"id\":\"cohere-mock-%s-%llu\",\"message\":{\"role\":\"assistant\"", a->lane,
                (unsigned long long)a->n);
    if (a->text && !a->ntools) {
        mbuf_puts(b, ",\"content\":[{\"type\":\"text\",\"text\":");
        mbuf_json_str(b, a->text, a->text_len);
        mbuf_puts(b, "}]");
    } else if (a->text) {
        mbuf_puts(b, ",\"tool_plan\":");
        mbuf_json_str(b, a->text, a->text_len);
    }
    if (a->ntools) {
        mbuf_puts(b, ",\"tool_calls\":[");
        for (size_t i = 0; i < a->ntools; i++) {
            if (i)
                mbuf_putc(b, ',');
            put_call(b, &a->tools[i], a->tools[i].arguments, strlen(a->tools[i].arguments));
        }
        mbuf_putc(b, ']');
    }
    mbuf_puts(b, "},\"finish_reason\":");
    mbuf_json_cstr(b, co_finish(a->finish_reason));
    mbuf_puts(b, ",\"usage\":");
    put_usage(b, a);
    mbuf_putc(b, '}');
}

/* One event: "event: <type>\ndata: " + the JSON in `json` + "\n\n". */
static void event(mock_stream *s, int kind, const char *type, const mbuf *json)
{
    mock_stream_begin(s, kind);
    mbuf_printf(&s->bytes, "event: %s\ndata: ", type);
    mock_stream_json_begin(s);
    mbuf_put(&s->bytes, json->data, json->len);
    mock_stream_json_end(s);
    mbuf_puts(&s->bytes, "\n\n");
    mock_stream_end(s);
}

static size_t utf8_advance(const char *s, size_t len, size_t at)
{
    while (at < len && ((unsigned char)s[at] & 0xC0) == 0x80)
        at++;
    return at;
}

static void co_render_stream(mock_stream *s, const mock_answer *a)
{
    mbuf j = {0};
    int plan = a->ntools > 0;

    mbuf_printf(&j, "{\"id\":\"cohere-mock-%s-%llu\",\"type\":\"message-start\",\"delta\":{\"message\":"
                    "{\"role\":\"assistant\",\"content\":[],\"tool_plan\":\"\",\"tool_calls\":[],"
                    "\"citations\":[]}}}", a->lane, (unsigned long long)a->n);
    event(s, MOCK_EV_ROLE, "message-start", &j);
    if (a->text && !plan) {
        mbuf_clear(&j);
        mbuf_puts(&j, "{\"type\":\"content-start\",\"index\":0,\"delta\":{\"message\":{\"content\":"
                      "{\"type\":\"text\",\"text\":\"\"}}}}");
        event(s, MOCK_EV_ROLE, "content-start", &j);
    }
    for (size_t i = 0; a->text && i < a->npieces; i++) {
        mbuf_clear(&j);
        mbuf_puts(&j, plan ? "{\"type\":\"tool-plan-delta\",\"delta\":{\"message\":{\"tool_plan\":"
                           : "{\"type\":\"content-delta\",\"index\":0,\"delta\":{\"message\":"
                             "{\"content\":{\"text\":");
        mbuf_json_str(&j, a->text + a->pieces[i].off, a->pieces[i].len);
        mbuf_puts(&j, plan ? "}}}" : "}}}}");
        event(s, MOCK_EV_TEXT, plan ? "tool-plan-delta" : "content-delta", &j);
    }
    if (a->text && !plan) {
        mbuf_clear(&j);
        mbuf_puts(&j, "{\"type\":\"content-end\",\"index\":0}");
        event(s, MOCK_EV_ROLE, "content-end", &j);
    }
    for (size_t i = 0; i < a->ntools; i++) {
        const mock_tool_call *t = &a->tools[i];
        size_t len = strlen(t->arguments), step = len / 16 + 1;
        if (step < 8)
            step = 8;
        mbuf_clear(&j);
        mbuf_printf(&j, "{\"type\":\"tool-call-start\",\"index\":%zu,\"delta\":{\"message\":{\"tool_calls\":", i);
        put_call(&j, t, "", 0);
        mbuf_puts(&j, "}}}");
        event(s, MOCK_EV_TOOL, "tool-call-start", &j);
        for (size_t at = 0; at < len;) {
            size_t end = utf8_advance(t->arguments, len, at + step < len ? at + step : len);
            mbuf_clear(&j);
            mbuf_printf(&j, "{\"type\":\"tool-call-delta\",\"index\":%zu,\"delta\":{\"message\":{\"tool_calls\":"
                            "{\"function\":{\"arguments\":", i);
            mbuf_json_str(&j, t->arguments + at, end - at);
            mbuf_puts(&j, "}}}}}");
            event(s, MOCK_EV_TOOL, "tool-call-delta", &j);
            at = end;
        }
        mbuf_clear(&j);
        mbuf_printf(&j, "{\"type\":\"tool-call-end\",\"index\":%zu}", i);
        event(s, MOCK_EV_TOOL, "tool-call-end", &j);
    }
    mbuf_clear(&j);
    mbuf_puts(&j, "{\"type\":\"message-end\",\"delta\":{\"finish_reason\":");
    mbuf_json_cstr(&j, co_finish(a->finish_reason));
    mbuf_puts(&j, ",\"usage\":");
    put_usage(&j, a);
    mbuf_puts(&j, "}}");
    event(s, MOCK_EV_USAGE, "message-end", &j);
    mock_stream_begin(s, MOCK_EV_DONE);
    mbuf_puts(&s->bytes, "data: ");
    mock_stream_json_begin(s);
    mbuf_puts(&s->bytes, "[DONE]");
    mock_stream_json_end(s);
    mbuf_puts(&s->bytes, "\n\n");
    mock_stream_end(s);
    s->oom |= j.oom;
    mbuf_free(&j);
}

static void co_render_error(mbuf *b, int status, const char *type, const char *code, const char *message)
{
    (void)type;
    (void)code;
    mbuf_printf(b, "{\"id\":\"cohere-mock-error-%d\",\"message\":", status);
    mbuf_json_cstr(b, message ? message : "");
    mbuf_putc(b, '}');
}

static void co_render_error_event(mock_stream *s, const char *error_json)
{
    cJSON *e = cJSON_Parse(error_json);
    const char *msg = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "message"));
    mbuf j = {0};

    mbuf_puts(&j, "{\"type\":\"message-end\",\"delta\":{\"finish_reason\":\"ERROR\",\"error\":");
    mbuf_json_cstr(&j, msg ? msg : error_json);
    mbuf_puts(&j, "}}");
    event(s, MOCK_EV_ERROR, "message-end", &j);
    s->oom |= j.oom;
    mbuf_free(&j);
    cJSON_Delete(e);
}

const mock_dialect mock_dialect_cohere = {
    .name = "cohere",
    .stream_content_type = "text/event-stream",
    .match = co_match,
    .parse = co_parse,
    .render_body = co_render_body,
    .render_stream = co_render_stream,
    .render_error = co_render_error,
    .render_error_event = co_render_error_event,
};
