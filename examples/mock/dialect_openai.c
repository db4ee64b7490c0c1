/*
 * llmgw mock upstream: OpenAI Chat Completions and the OpenAI-compatible family.
 *
 * Paths: /chat/completions under "", /v1, /openai/v1 (Groq), /inference/v1 (Fireworks) and
 * /api/v1 (OpenRouter); the azure dialect takes /openai/deployments/... and the /openai/v1 path
 * when an api-key header comes. Shapes follow shared/fixtures/openai/: response.json for the
 * body, stream*.sse for the chunk grammar (role chunk, content deltas, tool-call deltas, finish
 * chunk, optional usage chunk with "choices":[] when stream_options.include_usage is true, then
 * data: [DONE]). The step's quirk switches (script.c) add what compatible servers do:
 * reasoning_content deltas (DeepSeek), SSE comments (OpenRouter), usage on the finish chunk
 * without opt-in (Mistral, Fireworks), no auth (local servers), 422 on members a server refuses
 * (Mistral's stream_options). The renderers are shared with dialect_azure.c (MOCK_OAI_AZURE).
 */
#include "mock_internal.h"

#include <string.h>
#include <strings.h>

static int oai_match(const mock_request *req)
{
    static const char *const prefixes[] = {"", "/v1", "/openai/v1", "/inference/v1", "/api/v1"};
    static const char tail[] = "/chat/completions";
    size_t n = strlen(req->path), t = sizeof tail - 1;
    if (n < t || strcmp(req->path + n - t, tail) != 0)
        return 0;
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
        if (strlen(prefixes[i]) == n - t && !strncmp(req->path, prefixes[i], n - t))
            return 1;
    return 0;
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

/* The step's reject_members: 422 extra_forbidden naming the first one present. */
static int check_rejected(const cJSON *body, const mock_request *req, mock_reject *rej)
{
    const cJSON *m;
    if (!req->step || !req->step->reject_members)
        return 0;
    cJSON_ArrayForEach(m, req->step->reject_members)
        if (cJSON_GetObjectItemCaseSensitive(body, m->valuestring)) {
            mock_reject_set(rej, 422, "invalid_request_error", "extra_forbidden",
                            "Extra inputs are not permitted: body.%.100s", m->valuestring);
            return -1;
        }
    return 0;
}

int mock_openai_check_body(mock_parsed *out, mock_reject *rej, const mock_request *req,
                           const cJSON *body, int need_model)
{
    if (strcmp(req->method, "POST") != 0)
        return bad(rej, "chat completions need POST", NULL, 0);
    const char *ct = mock_request_header(req, "content-type");
    if (!ct || strncasecmp(ct, "application/json", 16) != 0)
        return bad(rej, "Content-Type must be application/json", NULL, 0);
    if (!body)
        return bad(rej, "body is not valid JSON", NULL, 0);
    if (!cJSON_IsObject(body))
        return bad(rej, "body must be a JSON object", NULL, 0);
    if (check_rejected(body, req, rej) < 0)
        return -1;
    const cJSON *model = cJSON_GetObjectItemCaseSensitive(body, "model");
    if (need_model || !absent(model)) {
        if (!cJSON_IsString(model) || !model->valuestring[0])
            return bad(rej, "model must be a non-empty string", NULL, 0);
        out->model = model->valuestring;
    }
    if (check_messages(cJSON_GetObjectItemCaseSensitive(body, "messages"), &out->prompt_tokens,
                       rej) < 0)
        return -1;
    return check_options(body, &out->stream, &out->include_usage, rej);
}

static int oai_parse(mock_parsed *out, mock_reject *rej, const mock_request *req,
                     const cJSON *body)
{
    memset(out, 0, sizeof *out);
    const char *auth = mock_request_header(req, "authorization");
    int optional = req->step && req->step->auth_optional && !auth;
    if (!optional &&
        (!auth || strncasecmp(auth, "Bearer ", 7) != 0 || auth[7 + strspn(auth + 7, " ")] == '\0')) {
        mock_reject_set(rej, 401, "invalid_request_error", "invalid_api_key",
                        "mock: missing or empty Authorization: Bearer <key>");
        return -1;
    }
    return mock_openai_check_body(out, rej, req, body, 1);
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

static int filtered(const mock_answer *a)
{
    return a->finish_reason && !strcmp(a->finish_reason, "content_filter");
}

static const char *reasoning(const mock_answer *a)
{
    return a->step ? a->step->reasoning : NULL;
}

static void put_head(mbuf *b, const mock_answer *a, const char *object)
{
    mbuf_printf(b, "{\"id\":\"chatcmpl-mock-%llu\",\"object\":\"%s\",\"created\":%lld,\"model\":",
                (unsigned long long)a->n, object, (long long)a->created);
    mbuf_json_cstr(b, a->model);
}

void mock_openai_render_body(mbuf *b, const mock_answer *a, int style)
{
    put_head(b, a, "chat.completion");
    if (style == MOCK_OAI_AZURE) {
        mbuf_putc(b, ',');
        mock_azure_prompt_filter(b);
    }
    mbuf_puts(b, ",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":");
    if (a->text)
        mbuf_json_str(b, a->text, a->text_len);
    else
        mbuf_puts(b, "null");
    if (reasoning(a)) {
        mbuf_puts(b, ",\"reasoning_content\":");
        mbuf_json_cstr(b, reasoning(a));
    }
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
    if (style == MOCK_OAI_AZURE) {
        mbuf_puts(b, ",\"content_filter_results\":");
        mock_azure_filter_results(b, filtered(a));
    }
    mbuf_puts(b, "}],\"usage\":");
    put_usage(b, a);
    mbuf_puts(b, ",\"service_tier\":\"default\",\"system_fingerprint\":\"fp_mock\"}");
}

static void oai_render_body(mbuf *b, const mock_answer *a)
{
    mock_openai_render_body(b, a, MOCK_OAI_PLAIN);
}

typedef struct chunker {
    mock_stream       *s;
    const mock_answer *a;
    mbuf               prefix;           /* {"id":...,"choices": */
    int                style;
} chunker;

static void comment(chunker *k)
{
    if (k->a->step && k->a->step->sse_comment)
        mbuf_printf(&k->s->bytes, ": %s\n\n", k->a->step->sse_comment);
}

/* One chunk: `delta` is the delta object's members, `finish` a JSON value; with_usage puts the
 * usage on it (usage_on_finish). */
static void chunk(chunker *k, int kind, const char *delta, size_t delta_len, const char *finish,
                  int with_usage)
{
    mock_stream *s = k->s;
    mock_stream_begin(s, kind);
    if (kind == MOCK_EV_ROLE || kind == MOCK_EV_FINISH)
        comment(k);
    mbuf_puts(&s->bytes, "data: ");
    mock_stream_json_begin(s);
    mbuf_put(&s->bytes, k->prefix.data, k->prefix.len);
    mbuf_puts(&s->bytes, "[{\"index\":0,\"delta\":{");
    mbuf_put(&s->bytes, delta, delta_len);
    mbuf_puts(&s->bytes, "},\"logprobs\":null,\"finish_reason\":");
    mbuf_puts(&s->bytes, finish);
    if (k->style == MOCK_OAI_AZURE && kind != MOCK_EV_ROLE) {
        mbuf_puts(&s->bytes, ",\"content_filter_results\":");
        mock_azure_filter_results(&s->bytes, kind == MOCK_EV_FINISH && filtered(k->a));
    }
    mbuf_puts(&s->bytes, "}]");
    if (with_usage) {
        mbuf_puts(&s->bytes, ",\"usage\":");
        put_usage(&s->bytes, k->a);
    } else if (k->a->include_usage) {
        mbuf_puts(&s->bytes, ",\"usage\":null");
    }
    mbuf_putc(&s->bytes, '}');
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

static void tool_chunks(chunker *k, mbuf *d)
{
    for (size_t i = 0; i < k->a->ntools; i++) {
        const mock_tool_call *t = &k->a->tools[i];
        mbuf_clear(d);
        mbuf_printf(d, "\"tool_calls\":[{\"index\":%zu,\"id\":", i);
        mbuf_json_cstr(d, t->id);
        mbuf_puts(d, ",\"type\":\"function\",\"function\":{\"name\":");
        mbuf_json_cstr(d, t->name);
        mbuf_puts(d, ",\"arguments\":\"\"}}]");
        chunk(k, MOCK_EV_TOOL, d->data, d->len, "null", 0);
        size_t len = strlen(t->arguments), step = len / 16 + 1;
        if (step < 8)
            step = 8;
        for (size_t at = 0; at < len;) {
            size_t end = utf8_advance(t->arguments, len, at + step < len ? at + step : len);
            mbuf_clear(d);
            mbuf_printf(d, "\"tool_calls\":[{\"index\":%zu,\"function\":{\"arguments\":", i);
            mbuf_json_str(d, t->arguments + at, end - at);
            mbuf_puts(d, "}}]");
            chunk(k, MOCK_EV_TOOL, d->data, d->len, "null", 0);
            at = end;
        }
    }
}

void mock_openai_render_stream(mock_stream *s, const mock_answer *a, int style)
{
    chunker k = {.s = s, .a = a, .style = style};
    mbuf d = {0};
    put_head(&k.prefix, a, "chat.completion.chunk");
    mbuf_puts(&k.prefix, ",\"system_fingerprint\":\"fp_mock\",\"choices\":");
    s->oom |= k.prefix.oom;

    if (style == MOCK_OAI_AZURE)
        mock_azure_prompt_chunk(s);
    mbuf_puts(&d, a->text ? "\"role\":\"assistant\",\"content\":\"\",\"refusal\":null"
                          : "\"role\":\"assistant\",\"content\":null,\"refusal\":null");
    chunk(&k, MOCK_EV_ROLE, d.data, d.len, "null", 0);
    if (reasoning(a)) {
        mbuf_clear(&d);
        mbuf_puts(&d, "\"content\":null,\"reasoning_content\":");
        mbuf_json_cstr(&d, reasoning(a));
        chunk(&k, MOCK_EV_TEXT, d.data, d.len, "null", 0);
    }
    for (size_t i = 0; i < a->npieces; i++) {
        mbuf_clear(&d);
        mbuf_puts(&d, "\"content\":");
        mbuf_json_str(&d, a->text + a->pieces[i].off, a->pieces[i].len);
        chunk(&k, MOCK_EV_TEXT, d.data, d.len, "null", 0);
    }
    tool_chunks(&k, &d);
    mbuf_clear(&d);
    mbuf_json_cstr(&d, a->finish_reason);
    chunk(&k, MOCK_EV_FINISH, "", 0, d.data ? d.data : "null",
          a->step && a->step->usage_on_finish && !a->include_usage);
    if (a->include_usage) {
        mock_stream_begin(s, MOCK_EV_USAGE);
        mbuf_puts(&s->bytes, "data: ");
        mock_stream_json_begin(s);
        mbuf_put(&s->bytes, k.prefix.data, k.prefix.len);
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
    mbuf_free(&k.prefix);
    mbuf_free(&d);
}

static void oai_render_stream(mock_stream *s, const mock_answer *a)
{
    mock_openai_render_stream(s, a, MOCK_OAI_PLAIN);
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

void mock_openai_render_error_event(mock_stream *s, const char *error_json)
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
    .render_error_event = mock_openai_render_error_event,
};
