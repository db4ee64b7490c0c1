/*
 * llmgw mock upstream: OpenAI Chat Completions (POST /v1/chat/completions, /chat/completions).
 *
 * Shapes follow shared/fixtures/openai/: response.json for the body, stream*.sse for the chunk
 * grammar (role chunk, content deltas, tool-call deltas, finish chunk, optional usage chunk with
 * "choices":[] when stream_options.include_usage is true, then data: [DONE]).
 */
#include "mock_internal.h"

#include <string.h>
#include <strings.h>

static int oai_match(const mock_request *req)
{
    return !strcmp(req->path, "/v1/chat/completions") || !strcmp(req->path, "/chat/completions");
}

static int bad(mock_reject *rej, const char *what, const char *where, size_t idx)
{
    if (where)
        mock_reject_set(rej, 400, "invalid_request_error", "mock_validation", "mock: %s[%zu]%s",
                        where, idx, what);
    else
        mock_reject_set(rej, 400, "invalid_request_error", "mock_validation", "mock: %s", what);
    return -1;
}

static int absent(const cJSON *it)
{
    return !it || cJSON_IsNull(it);
}

static int is_int(const cJSON *it, double lo)
{
    return cJSON_IsNumber(it) && it->valuedouble >= lo && it->valuedouble <= 9007199254740992.0 &&
           (double)(int64_t)it->valuedouble == it->valuedouble;
}

static int check_content(const cJSON *content, size_t i, uint64_t *words, mock_reject *rej)
{
    if (cJSON_IsString(content)) {
        *words += mock_count_words(content->valuestring, strlen(content->valuestring));
        return 0;
    }
    if (!cJSON_IsArray(content))
        return bad(rej, ".content must be a string, an array of parts or null", "messages", i);
    const cJSON *part;
    cJSON_ArrayForEach(part, content) {
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(part, "type");
        if (!cJSON_IsObject(part) || !cJSON_IsString(type))
            return bad(rej, ".content[] parts need a string type", "messages", i);
        if (!strcmp(type->valuestring, "text")) {
            const cJSON *text = cJSON_GetObjectItemCaseSensitive(part, "text");
            if (!cJSON_IsString(text))
                return bad(rej, ".content[] text parts need a string text", "messages", i);
            *words += mock_count_words(text->valuestring, strlen(text->valuestring));
        } else if (!strcmp(type->valuestring, "image_url")) {
            const cJSON *img = cJSON_GetObjectItemCaseSensitive(part, "image_url");
            if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(img, "url")))
                return bad(rej, ".content[] image_url parts need image_url.url", "messages", i);
        }
    }
    return 0;
}

static int check_tool_calls(const cJSON *tcs, size_t i, mock_reject *rej)
{
    if (!cJSON_IsArray(tcs))
        return bad(rej, ".tool_calls must be an array", "messages", i);
    const cJSON *tc;
    cJSON_ArrayForEach(tc, tcs) {
        const cJSON *fn = cJSON_GetObjectItemCaseSensitive(tc, "function");
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(tc, "type");
        if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(tc, "id")) || !cJSON_IsString(type) ||
            strcmp(type->valuestring, "function") != 0 ||
            !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(fn, "name")) ||
            !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(fn, "arguments")))
            return bad(rej,
                       ".tool_calls[] needs id, type \"function\" and function.name/arguments "
                       "strings", "messages", i);
    }
    return 0;
}

static int check_messages(const cJSON *msgs, uint64_t *tokens, mock_reject *rej)
{
    static const char *const roles[] = {"system", "developer", "user", "assistant", "tool"};
    if (!cJSON_IsArray(msgs) || cJSON_GetArraySize(msgs) == 0)
        return bad(rej, "messages must be a non-empty array", NULL, 0);
    size_t i = 0;
    uint64_t words = 0, count = 0;
    const cJSON *m;
    cJSON_ArrayForEach(m, msgs) {
        if (!cJSON_IsObject(m))
            return bad(rej, " must be an object", "messages", i);
        const cJSON *role = cJSON_GetObjectItemCaseSensitive(m, "role");
        const cJSON *content = cJSON_GetObjectItemCaseSensitive(m, "content");
        size_t r = 0;
        while (cJSON_IsString(role) && r < 5 && strcmp(role->valuestring, roles[r]) != 0)
            r++;
        if (!cJSON_IsString(role) || r == 5)
            return bad(rej, ".role must be one of system, developer, user, assistant, tool",
                       "messages", i);
        int assistant = r == 3;
        if (absent(content)) {
            if (!assistant)
                return bad(rej, ".content is required for this role", "messages", i);
        } else if (check_content(content, i, &words, rej) < 0) {
            return -1;
        }
        const cJSON *tcs = cJSON_GetObjectItemCaseSensitive(m, "tool_calls");
        if (!absent(tcs)) {
            if (!assistant)
                return bad(rej, ".tool_calls is only valid on assistant messages", "messages", i);
            if (check_tool_calls(tcs, i, rej) < 0)
                return -1;
        }
        if (r == 4 && !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(m, "tool_call_id")))
            return bad(rej, ".tool_call_id must be a string for role tool", "messages", i);
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(m, "name");
        if (!absent(name) && !cJSON_IsString(name))
            return bad(rej, ".name must be a string", "messages", i);
        count++;
        i++;
    }
    *tokens = words + 4 * count;
    return 0;
}

static int check_options(const cJSON *body, int *stream, int *include_usage, mock_reject *rej)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(body, "stream");
    if (!absent(it) && !cJSON_IsBool(it))
        return bad(rej, "stream must be a boolean", NULL, 0);
    *stream = cJSON_IsTrue(it);
    it = cJSON_GetObjectItemCaseSensitive(body, "stream_options");
    if (!absent(it)) {
        if (!cJSON_IsObject(it))
            return bad(rej, "stream_options must be an object", NULL, 0);
        if (!*stream)
            return bad(rej, "stream_options is only allowed when stream is true", NULL, 0);
        const cJSON *iu = cJSON_GetObjectItemCaseSensitive(it, "include_usage");
        if (!absent(iu) && !cJSON_IsBool(iu))
            return bad(rej, "stream_options.include_usage must be a boolean", NULL, 0);
        *include_usage = cJSON_IsTrue(iu);
    }
    static const char *const ints[] = {"max_tokens", "max_completion_tokens", "n"};
    for (size_t i = 0; i < 3; i++) {
        it = cJSON_GetObjectItemCaseSensitive(body, ints[i]);
        if (!absent(it) && !is_int(it, 1))
            return bad(rej, i == 2 ? "n must be a positive integer"
                                   : "max_tokens / max_completion_tokens must be positive integers",
                       NULL, 0);
    }
    it = cJSON_GetObjectItemCaseSensitive(body, "temperature");
    if (!absent(it) && (!cJSON_IsNumber(it) || it->valuedouble < 0 || it->valuedouble > 2))
        return bad(rej, "temperature must be a number in 0..2", NULL, 0);
    it = cJSON_GetObjectItemCaseSensitive(body, "top_p");
    if (!absent(it) && (!cJSON_IsNumber(it) || it->valuedouble < 0 || it->valuedouble > 1))
        return bad(rej, "top_p must be a number in 0..1", NULL, 0);
    it = cJSON_GetObjectItemCaseSensitive(body, "tools");
    if (!absent(it)) {
        const cJSON *t;
        if (!cJSON_IsArray(it))
            return bad(rej, "tools must be an array", NULL, 0);
        size_t i = 0;
        cJSON_ArrayForEach(t, it) {
            const cJSON *type = cJSON_GetObjectItemCaseSensitive(t, "type");
            const cJSON *fn = cJSON_GetObjectItemCaseSensitive(t, "function");
            if (!cJSON_IsString(type) || strcmp(type->valuestring, "function") != 0 ||
                !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(fn, "name")))
                return bad(rej, " needs type \"function\" and a string function.name", "tools", i);
            i++;
        }
    }
    it = cJSON_GetObjectItemCaseSensitive(body, "tool_choice");
    if (!absent(it) && !cJSON_IsString(it) && !cJSON_IsObject(it))
        return bad(rej, "tool_choice must be a string or an object", NULL, 0);
    return 0;
}

static int oai_parse(mock_parsed *out, mock_reject *rej, const mock_request *req,
                     const cJSON *body)
{
    memset(out, 0, sizeof *out);
    const char *auth = mock_request_header(req, "authorization");
    if (!auth || strncasecmp(auth, "Bearer ", 7) != 0 || auth[7 + strspn(auth + 7, " ")] == '\0') {
        mock_reject_set(rej, 401, "invalid_request_error", "invalid_api_key",
                        "mock: missing or empty Authorization: Bearer <key>");
        return -1;
    }
    if (strcmp(req->method, "POST") != 0)
        return bad(rej, "chat completions need POST", NULL, 0);
    const char *ct = mock_request_header(req, "content-type");
    if (!ct || strncasecmp(ct, "application/json", 16) != 0)
        return bad(rej, "Content-Type must be application/json", NULL, 0);
    if (!body)
        return bad(rej, "body is not valid JSON", NULL, 0);
    if (!cJSON_IsObject(body))
        return bad(rej, "body must be a JSON object", NULL, 0);
    const cJSON *model = cJSON_GetObjectItemCaseSensitive(body, "model");
    if (!cJSON_IsString(model) || !model->valuestring[0])
        return bad(rej, "model must be a non-empty string", NULL, 0);
    out->model = model->valuestring;
    if (check_messages(cJSON_GetObjectItemCaseSensitive(body, "messages"), &out->prompt_tokens,
                       rej) < 0)
        return -1;
    return check_options(body, &out->stream, &out->include_usage, rej);
}

static void put_usage(mbuf *b, const mock_answer *a)
{
    if (a->usage_raw) {
        mbuf_puts(b, a->usage_raw);
        return;
    }
    mbuf_printf(b,
                "{\"prompt_tokens\":%llu,\"completion_tokens\":%llu,\"total_tokens\":%llu,"
                "\"prompt_tokens_details\":{\"cached_tokens\":%llu,\"audio_tokens\":0},"
                "\"completion_tokens_details\":{\"reasoning_tokens\":%llu,\"audio_tokens\":0,"
                "\"accepted_prediction_tokens\":0,\"rejected_prediction_tokens\":0}}",
                (unsigned long long)a->usage.prompt, (unsigned long long)a->usage.completion,
                (unsigned long long)a->usage.total, (unsigned long long)a->usage.cached,
                (unsigned long long)a->usage.reasoning);
}

static void put_head(mbuf *b, const mock_answer *a, const char *object)
{
    mbuf_printf(b, "{\"id\":\"chatcmpl-mock-%llu\",\"object\":\"%s\",\"created\":%lld,\"model\":",
                (unsigned long long)a->n, object, (long long)a->created);
    mbuf_json_cstr(b, a->model);
}

static void oai_render_body(mbuf *b, const mock_answer *a)
{
    put_head(b, a, "chat.completion");
    mbuf_puts(b, ",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":");
    if (a->text)
        mbuf_json_str(b, a->text, a->text_len);
    else
        mbuf_puts(b, "null");
    mbuf_puts(b, ",\"refusal\":null,\"annotations\":[]");
    if (a->ntools) {
        mbuf_puts(b, ",\"tool_calls\":[");
        for (size_t i = 0; i < a->ntools; i++) {
            mbuf_puts(b, i ? ",{\"id\":" : "{\"id\":");
            mbuf_json_cstr(b, a->tools[i].id);
            mbuf_puts(b, ",\"type\":\"function\",\"function\":{\"name\":");
            mbuf_json_cstr(b, a->tools[i].name);
            mbuf_puts(b, ",\"arguments\":");
            mbuf_json_cstr(b, a->tools[i].arguments);
            mbuf_puts(b, "}}");
        }
        mbuf_putc(b, ']');
    }
    mbuf_puts(b, "},\"logprobs\":null,\"finish_reason\":");
    mbuf_json_cstr(b, a->finish_reason);
    mbuf_puts(b, "}],\"usage\":");
    put_usage(b, a);
    mbuf_puts(b, ",\"service_tier\":\"default\",\"system_fingerprint\":\"fp_mock\"}");
}

/* One chunk: `delta` is the delta object's members, `finish` a JSON value. */
static void chunk(mock_stream *s, const mbuf *prefix, int kind, const mock_answer *a,
                  const char *delta, size_t delta_len, const char *finish)
{
    mock_stream_begin(s, kind);
    mbuf_puts(&s->bytes, "data: ");
    mock_stream_json_begin(s);
    mbuf_put(&s->bytes, prefix->data, prefix->len);
    mbuf_puts(&s->bytes, "[{\"index\":0,\"delta\":{");
    mbuf_put(&s->bytes, delta, delta_len);
    mbuf_puts(&s->bytes, "},\"logprobs\":null,\"finish_reason\":");
    mbuf_puts(&s->bytes, finish);
    mbuf_puts(&s->bytes, a->include_usage ? "}],\"usage\":null}" : "}]}");
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

static void oai_render_stream(mock_stream *s, const mock_answer *a)
{
    mbuf prefix = {0}, d = {0};
    put_head(&prefix, a, "chat.completion.chunk");
    mbuf_puts(&prefix, ",\"system_fingerprint\":\"fp_mock\",\"choices\":");
    s->oom |= prefix.oom;

    mbuf_puts(&d, a->text ? "\"role\":\"assistant\",\"content\":\"\",\"refusal\":null"
                          : "\"role\":\"assistant\",\"content\":null,\"refusal\":null");
    chunk(s, &prefix, MOCK_EV_ROLE, a, d.data, d.len, "null");
    for (size_t i = 0; i < a->npieces; i++) {
        mbuf_clear(&d);
        mbuf_puts(&d, "\"content\":");
        mbuf_json_str(&d, a->text + a->pieces[i].off, a->pieces[i].len);
        chunk(s, &prefix, MOCK_EV_TEXT, a, d.data, d.len, "null");
    }
    for (size_t i = 0; i < a->ntools; i++) {
        const mock_tool_call *t = &a->tools[i];
        mbuf_clear(&d);
        mbuf_printf(&d, "\"tool_calls\":[{\"index\":%zu,\"id\":", i);
        mbuf_json_cstr(&d, t->id);
        mbuf_puts(&d, ",\"type\":\"function\",\"function\":{\"name\":");
        mbuf_json_cstr(&d, t->name);
        mbuf_puts(&d, ",\"arguments\":\"\"}}]");
        chunk(s, &prefix, MOCK_EV_TOOL, a, d.data, d.len, "null");
        size_t len = strlen(t->arguments), step = len / 16 + 1;
        if (step < 8)
            step = 8;
        for (size_t at = 0; at < len;) {
            size_t end = utf8_advance(t->arguments, len, at + step < len ? at + step : len);
            mbuf_clear(&d);
            mbuf_printf(&d, "\"tool_calls\":[{\"index\":%zu,\"function\":{\"arguments\":", i);
            mbuf_json_str(&d, t->arguments + at, end - at);
            mbuf_puts(&d, "}}]");
            chunk(s, &prefix, MOCK_EV_TOOL, a, d.data, d.len, "null");
            at = end;
        }
    }
    mbuf_clear(&d);
    mbuf_json_cstr(&d, a->finish_reason);
    chunk(s, &prefix, MOCK_EV_FINISH, a, "", 0, d.data ? d.data : "null");
    if (a->include_usage) {
        mock_stream_begin(s, MOCK_EV_USAGE);
        mbuf_puts(&s->bytes, "data: ");
        mock_stream_json_begin(s);
        mbuf_put(&s->bytes, prefix.data, prefix.len);
        mbuf_puts(&s->bytes, "[],\"usage\":");
        put_usage(&s->bytes, a);
        mbuf_putc(&s->bytes, '}');
        mock_stream_json_end(s);
        mbuf_puts(&s->bytes, "\n\n");
        mock_stream_end(s);
    }
    mock_stream_begin(s, MOCK_EV_DONE);
    mbuf_puts(&s->bytes, "data: ");
    mock_stream_json_begin(s);
    mbuf_puts(&s->bytes, "[DONE]");
    mock_stream_json_end(s);
    mbuf_puts(&s->bytes, "\n\n");
    mock_stream_end(s);
    s->oom |= d.oom;
    mbuf_free(&prefix);
    mbuf_free(&d);
}

static void oai_render_error(mbuf *b, int status, const char *type, const char *code,
                             const char *message)
{
    (void)status;
    mbuf_puts(b, "{\"error\":{\"message\":");
    mbuf_json_cstr(b, message ? message : "");
    mbuf_puts(b, ",\"type\":");
    mbuf_json_cstr(b, type);
    mbuf_puts(b, ",\"param\":null,\"code\":");
    mbuf_json_cstr(b, code);
    mbuf_puts(b, "}}");
}

static void oai_render_error_event(mock_stream *s, const char *error_json)
{
    mock_stream_begin(s, MOCK_EV_ERROR);
    mbuf_puts(&s->bytes, "data: ");
    mock_stream_json_begin(s);
    mbuf_puts(&s->bytes, "{\"error\":");
    mbuf_puts(&s->bytes, error_json);
    mbuf_putc(&s->bytes, '}');
    mock_stream_json_end(s);
    mbuf_puts(&s->bytes, "\n\n");
    mock_stream_end(s);
}

const mock_dialect mock_dialect_openai = {
    .name = "openai",
    .stream_content_type = "text/event-stream",
    .match = oai_match,
    .parse = oai_parse,
    .render_body = oai_render_body,
    .render_stream = oai_render_stream,
    .render_error = oai_render_error,
    .render_error_event = oai_render_error_event,
};
