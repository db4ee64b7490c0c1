/*
 * llmgw mock upstream: Anthropic Messages (POST /v1/messages), docs/providers.md §3.
 *
 * Validates like the API: x-api-key (401), anthropic-version, model, max_tokens; no unknown
 * top-level member ("Extra inputs are not permitted"), no "system" role in messages, roles
 * alternating, non-empty content of known blocks, each tool_use answered by a tool_result in the
 * next message and each tool_result answering one; ranges and shapes of the other parameters.
 * Prompt tokens: words of every text + 4 per message (and per system prompt).
 * Renders after shared/fixtures/anthropic/: the message body; the stream message_start, ping,
 * content_block_start / _delta / _stop per block (input_json_delta from ""), message_delta
 * (stop_reason, cumulative usage repeating the input fields), message_stop. Script finish reasons
 * map back (stop end_turn, tool_calls tool_use, length max_tokens, content_filter refusal);
 * input_tokens = prompt - cached, cache_read_input_tokens = cached, thinking_tokens = reasoning.
 * Errors: {"type":"error","error":{type, message[, details.error_code]}, request_id}; a default
 * (OpenAI-vocabulary) type becomes Anthropic's for the status; `event: error` in streams.
 */
#include "mock_internal.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static int ant_match(const mock_request *req)
{
    return !strcmp(req->path, "/v1/messages");
}

#define GET(obj, key) cJSON_GetObjectItemCaseSensitive((obj), (key))
#define BAD(rej, ...) (mock_reject_set((rej), 400, "invalid_request_error", NULL, __VA_ARGS__), -1)

static int absent(const cJSON *it)
{
    return !it || cJSON_IsNull(it);
}

static int is_type(const cJSON *obj, const char *type)
{
    const cJSON *t = GET(obj, "type");
    return cJSON_IsString(t) && !strcmp(t->valuestring, type);
}

static int is_count(const cJSON *it)
{
    return cJSON_IsNumber(it) && it->valuedouble >= 0 && it->valuedouble <= 9007199254740992.0 &&
           (double)(int64_t)it->valuedouble == it->valuedouble;
}

static const char *str(const cJSON *obj, const char *key)
{
    const cJSON *it = GET(obj, key);
    return cJSON_IsString(it) ? it->valuestring : NULL;
}

static int nonempty(const cJSON *obj, const char *key)
{
    const char *s = str(obj, key);
    return s != NULL && *s != '\0';
}

static uint64_t words(const char *s)
{
    return s ? mock_count_words(s, strlen(s)) : 0;
}

/* ---- validation ---- */

/* ids: the tool_use ids of the previous assistant message (user) or collected here (assistant). */
static int check_block(const cJSON *b, int user, const char *where, cJSON *ids, uint64_t *w,
                       mock_reject *rej)
{
    const char *type = str(b, "type");
    if (!cJSON_IsObject(b) || !type)
        return BAD(rej, "%s: content blocks need a type", where);
    if (!strcmp(type, "text")) {
        if (!nonempty(b, "text"))
            return BAD(rej, "%s: text content blocks must be non-empty", where);
        *w += words(str(b, "text"));
        return 0;
    }
    if (!strcmp(type, "image")) {
        const cJSON *src = GET(b, "source");
        if (user && ((is_type(src, "base64") && str(src, "media_type") && nonempty(src, "data")) ||
                     (is_type(src, "url") && str(src, "url"))))
            return 0;
        return BAD(rej, "%s: an image (user only) needs source {type:base64, media_type, data} or "
                   "{type:url, url}", where);
    }
    if (!strcmp(type, "tool_use")) {
        if (user || !str(b, "id") || !str(b, "name") || !cJSON_IsObject(GET(b, "input")))
            return BAD(rej, "%s: tool_use needs id, name and an input object (assistant only)", where);
        cJSON_AddItemToArray(ids, cJSON_CreateString(str(b, "id")));
        return 0;
    }
    if (!strcmp(type, "tool_result")) {
        const char *id = str(b, "tool_use_id");
        const cJSON *c = GET(b, "content"), *it;
        int k = 0;
        if (!user || !id)
            return BAD(rej, "%s: tool_result needs tool_use_id (user only)", where);
        for (it = ids->child; it && strcmp(it->valuestring, id); it = it->next)
            k++;
        if (!it)
            return BAD(rej, "%s: unexpected `tool_use_id` found in `tool_result` blocks: %s. Each "
                       "`tool_result` block must have a corresponding `tool_use` block in the "
                       "previous message.", where, id);
        cJSON_DeleteItemFromArray(ids, k);         /* answered */
        if (cJSON_IsString(c)) {
            *w += words(c->valuestring);
        } else if (cJSON_IsArray(c)) {
            cJSON_ArrayForEach(it, c) {
                if (!is_type(it, "text") && !is_type(it, "image"))
                    return BAD(rej, "%s.content: only text and image blocks", where);
                *w += words(str(it, "text"));
            }
        } else if (!absent(c)) {
            return BAD(rej, "%s.content must be a string or an array", where);
        }
        return 0;
    }
    if (!strcmp(type, "thinking") || !strcmp(type, "redacted_thinking"))
        return user ? BAD(rej, "%s: thinking blocks only in assistant turns", where) : 0;
    return BAD(rej, "%s: unknown content block type '%.40s'", where, type);
}

static int check_messages(const cJSON *msgs, uint64_t *w, uint64_t *count, mock_reject *rej)
{
    const cJSON *m, *it;
    const char *prev = NULL;
    char where[64];
    size_t i = 0, n = (size_t)cJSON_GetArraySize(msgs);
    cJSON *ids = cJSON_CreateArray(), *next = cJSON_CreateArray();
    int rc = 0;

    if (!cJSON_IsArray(msgs) || n == 0)
        rc = BAD(rej, "messages: at least one message is required");
    for (m = msgs ? msgs->child : NULL; rc == 0 && m; m = m->next, i++) {
        const char *role = str(m, "role");
        const cJSON *content = GET(m, "content");
        int user = role && !strcmp(role, "user"), last = i + 1 == n;
        if (role && !strcmp(role, "system")) {
            rc = BAD(rej, "messages: Unexpected role \"system\". The Messages API accepts a "
                     "top-level `system` parameter, not \"system\" as an input message role.");
            break;
        }
        if (!cJSON_IsObject(m) || !role || (!user && strcmp(role, "assistant") != 0)) {
            rc = BAD(rej, "messages.%zu.role: Input should be 'user' or 'assistant'", i);
            break;
        }
        cJSON_ArrayForEach(it, m) if (strcmp(it->string, "role") && strcmp(it->string, "content")) {
            rc = BAD(rej, "messages.%zu.%.40s: Extra inputs are not permitted", i, it->string);
            break;
        }
        if (rc == 0 && prev && !strcmp(prev, role))
            rc = BAD(rej, "messages: roles must alternate between \"user\" and \"assistant\", but "
                     "found multiple \"%s\" roles in a row", role);
        int text = cJSON_IsString(content), empty = text ? !*content->valuestring
                                                         : cJSON_GetArraySize(content) == 0;
        if (rc == 0 && !text && !cJSON_IsArray(content))
            rc = BAD(rej, "messages.%zu.content: must be a string or an array of blocks", i);
        if (rc == 0 && empty && !(last && !user))
            rc = BAD(rej, "messages.%zu: all messages must have non-empty content except for "
                     "the optional final assistant message", i);
        *w += text ? words(content->valuestring) : 0;
        size_t bi = 0;
        for (it = cJSON_IsArray(content) ? content->child : NULL; rc == 0 && it; it = it->next) {
            snprintf(where, sizeof where, "messages.%zu.content.%zu", i, bi++);
            rc = check_block(it, user, where, user ? ids : next, w, rej);
        }
        if (rc == 0 && user && cJSON_GetArraySize(ids) > 0)
            rc = BAD(rej, "messages.%zu: `tool_use` ids were found without `tool_result` blocks "
                     "immediately after: %s", i, cJSON_GetArrayItem(ids, 0)->valuestring);
        cJSON_Delete(ids);                  /* what this message asks the next to answer */
        ids = next;
        next = cJSON_CreateArray();
        prev = role;
        (*count)++;
    }
    cJSON_Delete(ids);
    cJSON_Delete(next);
    return rc;
}

static int check_system(const cJSON *sys, uint64_t *w, uint64_t *count, mock_reject *rej)
{
    *count += !absent(sys);
    *w += cJSON_IsString(sys) ? words(sys->valuestring) : 0;
    if (!absent(sys) && !cJSON_IsString(sys) && !cJSON_IsArray(sys))
        return BAD(rej, "system: must be a string or an array of text blocks");
    for (const cJSON *b = cJSON_IsArray(sys) ? sys->child : NULL; b; b = b->next) {
        if (!is_type(b, "text") || !nonempty(b, "text"))
            return BAD(rej, "system: text content blocks must be non-empty");
        *w += words(str(b, "text"));
    }
    return 0;
}

static int check_tools(const cJSON *tools, const cJSON *choice, mock_reject *rej)
{
    const cJSON *t;
    const char *type = str(choice, "type");
    if (!absent(tools)) {
        if (!cJSON_IsArray(tools))
            return BAD(rej, "tools: must be an array");
        cJSON_ArrayForEach(t, tools) {
            const cJSON *schema = GET(t, "input_schema");
            if (!str(t, "name") || !is_type(schema, "object") || GET(t, "function") || GET(t, "parameters"))
                return BAD(rej, "tools: each tool needs name and input_schema {type:object}");
        }
    }
    if (absent(choice))
        return 0;
    if (!type || (strcmp(type, "auto") && strcmp(type, "any") && strcmp(type, "none") &&
                  strcmp(type, "tool")) || (!strcmp(type, "tool") && !str(choice, "name")))
        return BAD(rej, "tool_choice: expected {type: auto|any|none|tool (with name)}");
    return 0;
}

static int check_options(const cJSON *body, int *stream, mock_reject *rej)
{
    static const char *const known[] = {"model", "messages", "max_tokens", "system", "metadata",
        "stop_sequences", "stream", "temperature", "top_p", "top_k", "tools", "tool_choice",
        "thinking", "output_config", "service_tier", "container", "cache_control", "inference_geo"};
    const cJSON *it;
    cJSON_ArrayForEach(it, body) {
        size_t k = 0;
        while (k < sizeof known / sizeof known[0] && strcmp(it->string, known[k]))
            k++;
        if (k == sizeof known / sizeof known[0])
            return BAD(rej, "%.60s: Extra inputs are not permitted", it->string);
    }
    it = GET(body, "max_tokens");
    if (!is_count(it))
        return BAD(rej, "max_tokens: Field required (a non-negative integer)");
    it = GET(body, "stream");
    if (!absent(it) && !cJSON_IsBool(it))
        return BAD(rej, "stream: must be a boolean");
    *stream = cJSON_IsTrue(it);
    static const char *const unit[] = {"temperature", "top_p"};
    for (size_t i = 0; i < 2; i++) {
        it = GET(body, unit[i]);
        if (!absent(it) && (!cJSON_IsNumber(it) || it->valuedouble < 0 || it->valuedouble > 1))
            return BAD(rej, "%s: must be a number in 0..1", unit[i]);
    }
    it = GET(body, "top_k");
    if (!absent(it) && !is_count(it))
        return BAD(rej, "top_k: must be a non-negative integer");
    it = GET(body, "stop_sequences");
    int bad_stop = !absent(it) && !cJSON_IsArray(it);
    for (const cJSON *s = cJSON_IsArray(it) ? it->child : NULL; s; s = s->next)
        bad_stop |= !cJSON_IsString(s);
    if (bad_stop)
        return BAD(rej, "stop_sequences: must be an array of strings");
    it = GET(body, "metadata");
    if (!absent(it) && (!cJSON_IsObject(it) || cJSON_GetArraySize(it) != 1 || !str(it, "user_id")))
        return BAD(rej, "metadata: only {user_id: string}");
    it = GET(body, "output_config");
    if (!absent(it)) {
        const cJSON *f = GET(it, "format");
        if (!cJSON_IsObject(it) ||
            (!absent(f) && (!is_type(f, "json_schema") || !cJSON_IsObject(GET(f, "schema")))))
            return BAD(rej, "output_config.format: expected {type:json_schema, schema}");
    }
    return check_tools(GET(body, "tools"), GET(body, "tool_choice"), rej);
}

static int ant_parse(mock_parsed *out, mock_reject *rej, const mock_request *req, const cJSON *body)
{
    const char *key = mock_request_header(req, "x-api-key"), *ct;
    uint64_t w = 0, count = 0;

    memset(out, 0, sizeof *out);
    if (!key || !*key) {
        mock_reject_set(rej, 401, "authentication_error", NULL, "x-api-key header is required");
        return -1;
    }
    if (!mock_request_header(req, "anthropic-version"))
        return BAD(rej, "anthropic-version: header is required");
    if (strcmp(req->method, "POST") != 0)
        return BAD(rej, "messages need POST");
    ct = mock_request_header(req, "content-type");
    if (!ct || strncasecmp(ct, "application/json", 16) != 0)
        return BAD(rej, "content-type must be application/json");
    if (!cJSON_IsObject(body))
        return BAD(rej, "the body must be a JSON object");
    if (!nonempty(body, "model"))
        return BAD(rej, "model: Field required");
    out->model = str(body, "model");
    if (check_options(body, &out->stream, rej) < 0 ||
        check_system(GET(body, "system"), &w, &count, rej) < 0 ||
        check_messages(GET(body, "messages"), &w, &count, rej) < 0)
        return -1;
    out->prompt_tokens = w + 4 * count;
    out->include_usage = 1;                 /* Anthropic streams always carry usage */
    return 0;
}

/* ---- rendering ---- */

static const char *stop_reason(const char *finish)
{
    static const char *const map[][2] = {{"stop", "end_turn"}, {"tool_calls", "tool_use"},
                                         {"length", "max_tokens"}, {"content_filter", "refusal"}};
    for (size_t i = 0; i < 4; i++)
        if (finish && !strcmp(finish, map[i][0]))
            return map[i][1];
    return finish;
}

static void put_usage(mbuf *b, const mock_answer *a)
{
    uint64_t cached = a->usage.cached <= a->usage.prompt ? a->usage.cached : a->usage.prompt;
    mbuf_printf(b, "{\"input_tokens\":%llu,\"cache_creation_input_tokens\":0,"
                "\"cache_read_input_tokens\":%llu,\"output_tokens\":%llu",
                (unsigned long long)(a->usage.prompt - cached), (unsigned long long)cached,
                (unsigned long long)a->usage.completion);
    if (a->usage.reasoning)
        mbuf_printf(b, ",\"output_tokens_details\":{\"thinking_tokens\":%llu}",
                    (unsigned long long)a->usage.reasoning);
    mbuf_putc(b, '}');
}

static void put_final_usage(mbuf *b, const mock_answer *a)
{
    if (a->usage_raw)
        mbuf_puts(b, a->usage_raw);
    else
        put_usage(b, a);
}

/* A tool's arguments as the input object: verbatim when they are one, else a JSON string. */
static void put_input(mbuf *b, const char *args)
{
    cJSON *j = cJSON_Parse(args);
    if (cJSON_IsObject(j))
        mbuf_puts(b, args);
    else
        mbuf_json_cstr(b, args);
    cJSON_Delete(j);
}

static void ant_render_body(mbuf *b, const mock_answer *a)
{
    mbuf_printf(b, "{\"id\":\"msg_mock_%s_%llu\",\"type\":\"message\",\"role\":\"assistant\",\"model\":",
                a->lane, (unsigned long long)a->n);
    mbuf_json_cstr(b, a->model);
    mbuf_puts(b, ",\"content\":[");
    if (a->text) {
        mbuf_puts(b, "{\"type\":\"text\",\"text\":");
        mbuf_json_str(b, a->text, a->text_len);
        mbuf_putc(b, '}');
    }
    for (size_t i = 0; i < a->ntools; i++) {
        mbuf_puts(b, a->text || i ? ",{\"type\":\"tool_use\",\"id\":" : "{\"type\":\"tool_use\",\"id\":");
        mbuf_json_cstr(b, a->tools[i].id);
        mbuf_puts(b, ",\"name\":");
        mbuf_json_cstr(b, a->tools[i].name);
        mbuf_puts(b, ",\"input\":");
        put_input(b, a->tools[i].arguments);
        mbuf_putc(b, '}');
    }
    mbuf_puts(b, "],\"stop_reason\":");
    mbuf_json_cstr(b, stop_reason(a->finish_reason));
    mbuf_puts(b, ",\"stop_sequence\":null,\"usage\":");
    put_final_usage(b, a);
    mbuf_putc(b, '}');
}

/* One event: "event: <name>\ndata: <json>\n\n"; json is printf-formatted. */
static void event_begin(mock_stream *s, int kind, const char *name)
{
    mock_stream_begin(s, kind);
    mbuf_printf(&s->bytes, "event: %s\ndata: ", name);
    mock_stream_json_begin(s);
}

static void event_end(mock_stream *s)
{
    mock_stream_json_end(s);
    mbuf_puts(&s->bytes, "\n\n");
    mock_stream_end(s);
}

static void event_const(mock_stream *s, int kind, const char *name, const char *json)
{
    event_begin(s, kind, name);
    mbuf_puts(&s->bytes, json);
    event_end(s);
}

static void block_stop(mock_stream *s, size_t index)
{
    event_begin(s, MOCK_EV_ROLE, "content_block_stop");
    mbuf_printf(&s->bytes, "{\"type\":\"content_block_stop\",\"index\":%zu}", index);
    event_end(s);
}

static void tool_events(mock_stream *s, const mock_tool_call *t, size_t index)
{
    size_t len = strlen(t->arguments), step = len / 16 + 1;
    event_begin(s, MOCK_EV_TOOL, "content_block_start");
    mbuf_printf(&s->bytes, "{\"type\":\"content_block_start\",\"index\":%zu,\"content_block\":"
                "{\"type\":\"tool_use\",\"id\":", index);
    mbuf_json_cstr(&s->bytes, t->id);
    mbuf_puts(&s->bytes, ",\"name\":");
    mbuf_json_cstr(&s->bytes, t->name);
    mbuf_puts(&s->bytes, ",\"input\":{}}}");
    event_end(s);
    if (step < 8)
        step = 8;
    for (size_t at = 0, first = 1; first || at < len; first = 0) {
        size_t end = first ? 0 : (at + step < len ? at + step : len);
        while (end < len && end > at && ((unsigned char)t->arguments[end] & 0xC0) == 0x80)
            end++;
        event_begin(s, MOCK_EV_TOOL, "content_block_delta");
        mbuf_printf(&s->bytes, "{\"type\":\"content_block_delta\",\"index\":%zu,\"delta\":"
                    "{\"type\":\"input_json_delta\",\"partial_json\":", index);
        mbuf_json_str(&s->bytes, t->arguments + at, end - at);
        mbuf_puts(&s->bytes, "}}");
        event_end(s);
        at = end;
    }
    block_stop(s, index);
}

static void ant_render_stream(mock_stream *s, const mock_answer *a)
{
    size_t index = 0;
    mock_answer start = *a;

    start.usage.completion = 1;             /* message_start reports output_tokens 1, like the API */
    start.usage.reasoning = 0;
    event_begin(s, MOCK_EV_ROLE, "message_start");
    mbuf_printf(&s->bytes, "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_mock_%s_%llu\","
                "\"type\":\"message\",\"role\":\"assistant\",\"model\":", a->lane, (unsigned long long)a->n);
    mbuf_json_cstr(&s->bytes, a->model);
    mbuf_puts(&s->bytes, ",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":");
    put_usage(&s->bytes, &start);
    mbuf_puts(&s->bytes, "}}");
    event_end(s);
    event_const(s, MOCK_EV_ROLE, "ping", "{\"type\": \"ping\"}");
    if (a->text) {
        event_const(s, MOCK_EV_ROLE, "content_block_start", "{\"type\":\"content_block_start\","
                    "\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}");
        for (size_t i = 0; i < a->npieces; i++) {
            event_begin(s, MOCK_EV_TEXT, "content_block_delta");
            mbuf_puts(&s->bytes, "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":"
                      "{\"type\":\"text_delta\",\"text\":");
            mbuf_json_str(&s->bytes, a->text + a->pieces[i].off, a->pieces[i].len);
            mbuf_puts(&s->bytes, "}}");
            event_end(s);
        }
        block_stop(s, index++);
    }
    for (size_t i = 0; i < a->ntools; i++)
        tool_events(s, &a->tools[i], index++);
    event_begin(s, MOCK_EV_USAGE, "message_delta");
    mbuf_puts(&s->bytes, "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":");
    mbuf_json_cstr(&s->bytes, stop_reason(a->finish_reason));
    mbuf_puts(&s->bytes, ",\"stop_sequence\":null},\"usage\":");
    put_final_usage(&s->bytes, a);
    mbuf_putc(&s->bytes, '}');
    event_end(s);
    event_const(s, MOCK_EV_DONE, "message_stop", "{\"type\":\"message_stop\"}");
}

/* Anthropic's error type for a status (docs/providers.md §3). */
static const char *type_for(int status)
{
    static const struct { int status; const char *type; } t[] = {
        {401, "authentication_error"}, {402, "billing_error"}, {403, "permission_error"},
        {404, "not_found_error"}, {413, "request_too_large"}, {429, "rate_limit_error"},
        {504, "timeout_error"}, {529, "overloaded_error"}};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (t[i].status == status)
            return t[i].type;
    return status >= 500 ? "api_error" : "invalid_request_error";
}

static void ant_render_error(mbuf *b, int status, const char *type, const char *code, const char *message)
{
    const char *dtype, *dcode, *dmsg;
    mock_error_defaults(status, &dtype, &dcode, &dmsg);
    if (!type || (dtype && !strcmp(type, dtype)))
        type = type_for(status);            /* the OpenAI-vocabulary default: Anthropic's instead */
    mbuf_puts(b, "{\"type\":\"error\",\"error\":{\"type\":");
    mbuf_json_cstr(b, type);
    mbuf_puts(b, ",\"message\":");
    mbuf_json_cstr(b, message ? message : "");
    if (code && !(dcode && !strcmp(code, dcode))) {
        mbuf_puts(b, ",\"details\":{\"error_code\":");
        mbuf_json_cstr(b, code);
        mbuf_putc(b, '}');
    }
    mbuf_printf(b, "},\"request_id\":\"req_mock_%d\"}", status);
}

static void ant_render_error_event(mock_stream *s, const char *error_json)
{
    event_begin(s, MOCK_EV_ERROR, "error");
    mbuf_puts(&s->bytes, "{\"type\":\"error\",\"error\":");
    mbuf_puts(&s->bytes, error_json);
    mbuf_putc(&s->bytes, '}');
    event_end(s);
}

const mock_dialect mock_dialect_anthropic = {
    .name = "anthropic",
    .stream_content_type = "text/event-stream",
    .match = ant_match,
    .parse = ant_parse,
    .render_body = ant_render_body,
    .render_stream = ant_render_stream,
    .render_error = ant_render_error,
    .render_error_event = ant_render_error_event,
};
