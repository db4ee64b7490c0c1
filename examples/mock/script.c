/*
 * llmgw mock upstream: script JSON -> steps.
 *
 * A script is an array of steps, or {"steps":[...], "then":"default"|"repeat_last"|"cycle"}.
 * Each request routed to a provider dialect on the lane takes the next step; when the steps run
 * out, "default" (the default) answers normally, "repeat_last" reuses the last step and "cycle"
 * starts again from the first. Parsing is strict: an unknown member, a wrong type or an
 * out-of-range number is an error, so a typo in a test fails loudly. Members named "comment" or
 * starting with "_" are ignored. Step members (all optional):
 *
 *   status              int 200..599 (200)
 *   headers             {name: string} extra response headers; content-type replaces ours;
 *                       content-length, transfer-encoding and connection are refused
 *   body                string sent verbatim instead of the rendered body
 *   error_type          string or null  } with a non-200 status and no body: the provider's
 *   error_code          string or null  } error envelope; defaults follow the status
 *   error_message       string          } (429 rate_limit_exceeded, 500 server_error, ...)
 *   text                string reply text ("Hello from the mock upstream." unless tool calls)
 *   tool_calls          [{"id"?: string, "name": string, "arguments"?: string|object|array}]
 *   finish_reason       string ("stop", or "tool_calls" when tool calls are present)
 *   usage               {prompt_tokens, completion_tokens, total_tokens, cached_tokens,
 *                        reasoning_tokens}: integers 0..2^53; missing ones are computed
 *   usage_raw           string inserted verbatim as the usage value
 *   model               string echoed instead of the request's model
 *   chunks              int 1..1000000: stream text in N roughly equal deltas (default: per word)
 *   delay_ms            int -1..3600000 before the status line (-1: never answer)
 *   first_byte_delay_ms int 0..3600000 after the headers, before the first body byte
 *   event_delay_ms      int 0..3600000 between stream events
 *   drip_ms             int 0..3600000: body written one byte at a time with this pause
 *   stall_after_events  int >= 0, with stall_ms int -1..3600000 (-1 or absent: until the client
 *                       goes away or the server stops); a non-stream body counts as one event;
 *                       K past the last event never stalls
 *   reset               TCP RST (SO_LINGER 0) instead of a clean answer: "before_headers"
 *                       (nothing sent), "after_headers", "mid_body" (half the body; for a stream,
 *                       half of its chunked bytes), "after_events" (after reset_after_events)
 *   reset_after_events  int >= 0 (with reset "after_events"; a non-stream body is one event)
 *   cut_after_events    int >= 0: stream ends cleanly after K events (no finish/usage/[DONE])
 *   omit_done           bool: stream without the final [DONE]
 *   malformed           bool: non-stream body cut in half (Content-Length matches); stream: the
 *                       first text (else tool, else finish) event's JSON cut in half
 *   oversize_bytes      int 0..1073741824: the answer's text is padded ("lorem ipsum ...") so the
 *                       non-stream body is exactly N bytes, or the stream's events (about 4 KiB
 *                       of text each) add up to exactly N bytes; usage still counts the
 *                       unpadded text; no effect when the answer is already that big
 *   invalid_utf8        bool: reply text gets " \xC3\x28 \xFF" appended, raw inside the JSON
 *   error_event         object: after error_after_events K (default 0) events, the dialect's
 *                       in-stream error event carrying it, then the stream ends; status stays 200
 *   header_count        int 0..10000: extra headers x-mock-pad-1..N: v
 *   header_bytes        int 0..16777216: one extra header x-mock-pad-bytes with N bytes of 'a'
 *   truncate, chunked_body, encoding, bomb_bytes: body transfer faults, see fault_body.c
 *   expect              {"method","path","query": string, "headers": {name: string|null},
 *                        "body": {...}}: mismatch answers 400 code mock_expectation_failed
 *
 * OpenAI-family quirk switches (the openai and azure dialects; others ignore them):
 *   reasoning           string: the answer carries it as reasoning_content (DeepSeek), in the
 *                       message and as deltas before the text
 *   sse_comment         string: a comment line ": <text>" precedes the first and the finish event
 *                       (OpenRouter's ": OPENROUTER PROCESSING")
 *   usage_on_finish     bool: the finish chunk carries usage even without stream_options
 *                       (Mistral, Fireworks); the ledger counts it only with include_usage
 *   auth_optional       bool: no Authorization header needed (local servers: vLLM, llama.cpp)
 *   reject_members      [string]: a request body holding one of these top-level members is
 *                       answered 422 code extra_forbidden (Mistral refuses stream_options)
 *
 * Binary stream framings (the bedrock dialect's AWS event-stream; SSE dialects ignore them):
 *   bad_crc             bool: the first text (else tool, else finish) frame goes out with a wrong
 *                       message CRC (its JSON intact)
 *   split_bytes         int 1..65536: every frame is written in pieces of at most N bytes, each
 *                       piece its own write (with event_delay_ms between pieces), so frames straddle
 *                       the client's reads; each piece counts as one event
 *
 * Event counting includes every event the dialect renders (OpenAI: the role chunk is event 1, the
 * usage chunk and [DONE] count too; an omitted [DONE] does not). Event faults at the same K apply
 * in this order: stall, reset, cut, error_event. cut_after_events, omit_done and error_event
 * apply to streams only; malformed, oversize_bytes and invalid_utf8 to rendered 200 answers.
 * A step is taken only by requests whose path a dialect owns; a request that fails validation
 * or expectations still uses up its step, and gets no faults.
 */
#include "mock_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const mock_step mock_default_step = {
    .status = 200,
    .stall_ms = -1,
    .stall_after_events = -1,
    .reset_after_events = -1,
    .cut_after_events = -1,
    .error_after_events = -1,
};

typedef struct perr { char *buf; size_t size; int set; } perr;

static int fail(perr *e, const char *where, const char *what, const char *name)
{
    if (!e->set && e->size)
        snprintf(e->buf, e->size, "%s%s%s: %s", where, name ? "." : "", name ? name : "", what);
    e->set = 1;
    return -1;
}

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

static int get_int(int64_t *out, const cJSON *it, int64_t lo, int64_t hi, perr *e,
                   const char *where)
{
    if (!cJSON_IsNumber(it))
        return fail(e, where, "must be an integer", it->string);
    double d = it->valuedouble;
    if (!(d >= (double)lo && d <= (double)hi) || (double)(int64_t)d != d) {
        char what[96];
        snprintf(what, sizeof what, "must be an integer in %lld..%lld", (long long)lo,
                 (long long)hi);
        return fail(e, where, what, it->string);
    }
    *out = (int64_t)d;
    return 0;
}

static int get_bool(int *out, const cJSON *it, perr *e, const char *where)
{
    if (!cJSON_IsBool(it))
        return fail(e, where, "must be true or false", it->string);
    *out = cJSON_IsTrue(it);
    return 0;
}

static int get_str(char **out, const cJSON *it, perr *e, const char *where)
{
    if (!cJSON_IsString(it))
        return fail(e, where, "must be a string", it->string);
    free(*out);
    *out = dup_str(it->valuestring);
    return *out ? 0 : fail(e, where, "out of memory", it->string);
}

static int get_str_or_null(char **out, int *is_null, const cJSON *it, perr *e, const char *where)
{
    if (cJSON_IsNull(it)) {
        *is_null = 1;
        return 0;
    }
    *is_null = 0;
    return get_str(out, it, e, where);
}

static int header_name_ok(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch <= 0x20 || ch >= 0x7f || strchr("()<>@,;:\\\"/[]?={}", ch))
            return 0;
    }
    return 1;
}

static int header_value_ok(const char *s)
{
    for (; *s; s++)
        if (*s == '\r' || *s == '\n')
            return 0;
    return 1;
}

static int parse_headers(mock_step *st, const cJSON *obj, perr *e, const char *where)
{
    if (!cJSON_IsObject(obj) || st->headers)
        return fail(e, where, "must be one object", "headers");
    size_t n = (size_t)cJSON_GetArraySize(obj);
    st->headers = calloc(n ? n : 1, sizeof *st->headers);
    if (!st->headers)
        return fail(e, where, "out of memory", "headers");
    const cJSON *h;
    cJSON_ArrayForEach(h, obj) {
        if (!header_name_ok(h->string) || !strcasecmp(h->string, "content-length") ||
            !strcasecmp(h->string, "transfer-encoding") || !strcasecmp(h->string, "connection"))
            return fail(e, where, "header name refused", h->string);
        if (!cJSON_IsString(h) || !header_value_ok(h->valuestring))
            return fail(e, where, "header value must be a string without CR or LF", h->string);
        mock_kv *kv = &st->headers[st->nheaders++];
        kv->name = dup_str(h->string);
        kv->value = dup_str(h->valuestring);
        if (!kv->name || !kv->value)
            return fail(e, where, "out of memory", "headers");
    }
    return 0;
}

static int parse_tools(mock_step *st, const cJSON *arr, perr *e, const char *where)
{
    if (!cJSON_IsArray(arr) || st->tools)
        return fail(e, where, "must be one array", "tool_calls");
    size_t n = (size_t)cJSON_GetArraySize(arr);
    st->tools = calloc(n ? n : 1, sizeof *st->tools);
    if (!st->tools)
        return fail(e, where, "out of memory", "tool_calls");
    const cJSON *tc;
    cJSON_ArrayForEach(tc, arr) {
        mock_tool_call *t = &st->tools[st->ntools++];
        if (!cJSON_IsObject(tc))
            return fail(e, where, "entries must be objects", "tool_calls");
        const cJSON *m;
        cJSON_ArrayForEach(m, tc) {
            if (!strcmp(m->string, "id")) {
                if (get_str(&t->id, m, e, where) < 0)
                    return -1;
            } else if (!strcmp(m->string, "name")) {
                if (get_str(&t->name, m, e, where) < 0)
                    return -1;
            } else if (!strcmp(m->string, "arguments")) {
                if (cJSON_IsString(m)) {
                    if (get_str(&t->arguments, m, e, where) < 0)
                        return -1;
                } else if (cJSON_IsObject(m) || cJSON_IsArray(m)) {
                    free(t->arguments);
                    char *p = cJSON_PrintUnformatted(m);
                    t->arguments = p ? dup_str(p) : NULL;
                    cJSON_free(p);
                    if (!t->arguments)
                        return fail(e, where, "out of memory", "arguments");
                } else {
                    return fail(e, where, "must be a string or JSON object", "arguments");
                }
            } else {
                return fail(e, where, "unknown member in tool_calls[]", m->string);
            }
        }
        if (!t->name)
            return fail(e, where, "tool_calls[] needs a string name", "tool_calls");
        char id[32];
        snprintf(id, sizeof id, "call_mock_%zu", st->ntools);
        if ((!t->id && !(t->id = dup_str(id))) || (!t->arguments && !(t->arguments = dup_str("{}"))))
            return fail(e, where, "out of memory", "tool_calls");
    }
    return 0;
}

static int parse_usage(mock_step *st, const cJSON *obj, perr *e, const char *where)
{
    static const struct { const char *name; unsigned bit; size_t off; } f[] = {
        {"prompt_tokens", MOCK_USAGE_PROMPT, offsetof(mock_usage, prompt)},
        {"completion_tokens", MOCK_USAGE_COMPLETION, offsetof(mock_usage, completion)},
        {"total_tokens", MOCK_USAGE_TOTAL, offsetof(mock_usage, total)},
        {"cached_tokens", MOCK_USAGE_CACHED, offsetof(mock_usage, cached)},
        {"reasoning_tokens", MOCK_USAGE_REASONING, offsetof(mock_usage, reasoning)},
    };
    if (!cJSON_IsObject(obj))
        return fail(e, where, "must be an object", "usage");
    const cJSON *m;
    cJSON_ArrayForEach(m, obj) {
        size_t i;
        for (i = 0; i < sizeof f / sizeof f[0]; i++)
            if (!strcmp(m->string, f[i].name))
                break;
        if (i == sizeof f / sizeof f[0])
            return fail(e, where, "unknown member in usage", m->string);
        int64_t v;
        if (get_int(&v, m, 0, (int64_t)1 << 53, e, where) < 0)
            return -1;
        memcpy((char *)&st->usage + f[i].off, &(uint64_t){(uint64_t)v}, sizeof(uint64_t));
        st->usage_set |= f[i].bit;
    }
    return 0;
}

static int parse_expect(mock_step *st, const cJSON *obj, perr *e, const char *where)
{
    if (!cJSON_IsObject(obj) || st->expect)
        return fail(e, where, "must be one object", "expect");
    const cJSON *m;
    cJSON_ArrayForEach(m, obj) {
        if (!strcmp(m->string, "method") || !strcmp(m->string, "path") ||
            !strcmp(m->string, "query")) {
            if (!cJSON_IsString(m))
                return fail(e, where, "must be a string", m->string);
        } else if (!strcmp(m->string, "headers")) {
            if (!cJSON_IsObject(m))
                return fail(e, where, "must be an object", "expect.headers");
            const cJSON *h;
            cJSON_ArrayForEach(h, m)
                if (!cJSON_IsString(h) && !cJSON_IsNull(h))
                    return fail(e, where, "values must be strings or null", "expect.headers");
        } else if (!strcmp(m->string, "body")) {
            if (!cJSON_IsObject(m))
                return fail(e, where, "must be an object", "expect.body");
        } else {
            return fail(e, where, "unknown member in expect", m->string);
        }
    }
    st->expect = cJSON_Duplicate(obj, 1);
    return st->expect ? 0 : fail(e, where, "out of memory", "expect");
}

static int parse_reset(mock_step *st, const cJSON *it, perr *e, const char *where)
{
    static const char *const names[] = {"before_headers", "after_headers", "mid_body",
                                        "after_events"};
    static const int vals[] = {MOCK_RESET_BEFORE_HEADERS, MOCK_RESET_AFTER_HEADERS,
                               MOCK_RESET_MID_BODY, MOCK_RESET_AFTER_EVENTS};
    if (cJSON_IsString(it))
        for (size_t i = 0; i < 4; i++)
            if (!strcmp(it->valuestring, names[i])) {
                st->reset = vals[i];
                return 0;
            }
    return fail(e, where,
                "must be \"before_headers\", \"after_headers\", \"mid_body\" or \"after_events\"",
                "reset");
}

static int parse_member(mock_step *st, const cJSON *m, perr *e, const char *w)
{
    const char *k = m->string;
    int64_t v = 0;
    const int64_t hour = 3600000, big = 1000000000;
#define INT_FIELD(name, lo, hi, dst)                                                   \
    if (!strcmp(k, name)) {                                                            \
        if (get_int(&v, m, lo, hi, e, w) < 0)                                          \
            return -1;                                                                 \
        dst;                                                                           \
        return 0;                                                                      \
    }
    INT_FIELD("status", 200, 599, st->status = (int)v)
    INT_FIELD("chunks", 1, 1000000, st->chunks = (uint32_t)v)
    INT_FIELD("delay_ms", -1, hour, st->delay_ms = v)
    INT_FIELD("first_byte_delay_ms", 0, hour, st->first_byte_delay_ms = v)
    INT_FIELD("event_delay_ms", 0, hour, st->event_delay_ms = v)
    INT_FIELD("drip_ms", 0, hour, st->drip_ms = v)
    INT_FIELD("stall_ms", -1, hour, st->stall_ms = v)
    INT_FIELD("stall_after_events", 0, big, st->stall_after_events = v)
    INT_FIELD("reset_after_events", 0, big, st->reset_after_events = v)
    INT_FIELD("cut_after_events", 0, big, st->cut_after_events = v)
    INT_FIELD("error_after_events", 0, big, st->error_after_events = v)
    INT_FIELD("oversize_bytes", 0, (int64_t)1 << 30, st->oversize_bytes = (uint64_t)v)
    INT_FIELD("header_count", 0, 10000, st->header_count = (uint32_t)v)
    INT_FIELD("header_bytes", 0, (int64_t)MOCK_MAX_BODY, st->header_bytes = (uint64_t)v)
    INT_FIELD("split_bytes", 1, 65536, st->split_bytes = (uint32_t)v)
#undef INT_FIELD
    if (!strcmp(k, "omit_done"))
        return get_bool(&st->omit_done, m, e, w);
    if (!strcmp(k, "bad_crc"))
        return get_bool(&st->bad_crc, m, e, w);
    if (!strcmp(k, "usage_on_finish"))
        return get_bool(&st->usage_on_finish, m, e, w);
    if (!strcmp(k, "auth_optional"))
        return get_bool(&st->auth_optional, m, e, w);
    if (!strcmp(k, "reasoning"))
        return get_str(&st->reasoning, m, e, w);
    if (!strcmp(k, "sse_comment")) {
        if (!cJSON_IsString(m) || !header_value_ok(m->valuestring))
            return fail(e, w, "must be a string without CR or LF", k);
        return get_str(&st->sse_comment, m, e, w);
    }
    if (!strcmp(k, "reject_members")) {
        const cJSON *it;
        if (!cJSON_IsArray(m) || st->reject_members)
            return fail(e, w, "must be one array of strings", k);
        cJSON_ArrayForEach(it, m)
            if (!cJSON_IsString(it))
                return fail(e, w, "must be one array of strings", k);
        st->reject_members = cJSON_Duplicate(m, 1);
        return st->reject_members ? 0 : fail(e, w, "out of memory", k);
    }
    if (!strcmp(k, "malformed"))
        return get_bool(&st->malformed, m, e, w);
    if (!strcmp(k, "invalid_utf8"))
        return get_bool(&st->invalid_utf8, m, e, w);
    if (!strcmp(k, "body"))
        return get_str(&st->body, m, e, w);
    if (!strcmp(k, "text"))
        return get_str(&st->text, m, e, w);
    if (!strcmp(k, "finish_reason"))
        return get_str(&st->finish_reason, m, e, w);
    if (!strcmp(k, "model"))
        return get_str(&st->model, m, e, w);
    if (!strcmp(k, "usage_raw"))
        return get_str(&st->usage_raw, m, e, w);
    if (!strcmp(k, "error_message"))
        return get_str(&st->error_message, m, e, w);
    if (!strcmp(k, "error_type"))
        return get_str_or_null(&st->error_type, &st->error_type_null, m, e, w);
    if (!strcmp(k, "error_code"))
        return get_str_or_null(&st->error_code, &st->error_code_null, m, e, w);
    if (!strcmp(k, "headers"))
        return parse_headers(st, m, e, w);
    if (!strcmp(k, "tool_calls"))
        return parse_tools(st, m, e, w);
    if (!strcmp(k, "usage"))
        return parse_usage(st, m, e, w);
    if (!strcmp(k, "expect"))
        return parse_expect(st, m, e, w);
    if (!strcmp(k, "reset"))
        return parse_reset(st, m, e, w);
    if (!strcmp(k, "error_event")) {
        if (!cJSON_IsObject(m) || st->error_event)
            return fail(e, w, "must be one object", k);
        char *p = cJSON_PrintUnformatted(m);
        st->error_event = p ? dup_str(p) : NULL;
        cJSON_free(p);
        return st->error_event ? 0 : fail(e, w, "out of memory", k);
    }
    if (!strcmp(k, "comment") || k[0] == '_')
        return 0;
    const char *why;
    if (mock_fault_member(st, m, &why))
        return why ? fail(e, w, why, k) : 0;
    return fail(e, w, "unknown member", k);
}

static void step_free(mock_step *st)
{
    for (size_t i = 0; i < st->nheaders; i++) {
        free(st->headers[i].name);
        free(st->headers[i].value);
    }
    free(st->headers);
    for (size_t i = 0; i < st->ntools; i++) {
        free(st->tools[i].id);
        free(st->tools[i].name);
        free(st->tools[i].arguments);
    }
    free(st->tools);
    free(st->body);
    free(st->error_type);
    free(st->error_code);
    free(st->error_message);
    free(st->text);
    free(st->finish_reason);
    free(st->model);
    free(st->usage_raw);
    free(st->error_event);
    cJSON_Delete(st->expect);
    free(st->reasoning);
    free(st->sse_comment);
    cJSON_Delete(st->reject_members);
}

static int parse_step(mock_step *st, const cJSON *obj, perr *e, size_t idx)
{
    char w[40];
    snprintf(w, sizeof w, "steps[%zu]", idx);
    *st = mock_default_step;
    if (!cJSON_IsObject(obj))
        return fail(e, w, "must be an object", NULL);
    const cJSON *m;
    cJSON_ArrayForEach(m, obj)
        if (parse_member(st, m, e, w) < 0)
            return -1;
    if (st->stall_ms != -1 && st->stall_after_events < 0)
        return fail(e, w, "needs stall_after_events", "stall_ms");
    if (st->reset_after_events >= 0 && st->reset != MOCK_RESET_AFTER_EVENTS)
        return fail(e, w, "needs reset \"after_events\"", "reset_after_events");
    if (st->reset == MOCK_RESET_AFTER_EVENTS && st->reset_after_events < 0)
        st->reset_after_events = 0;
    if (st->error_after_events >= 0 && !st->error_event)
        return fail(e, w, "needs error_event", "error_after_events");
    if (st->error_event && st->error_after_events < 0)
        st->error_after_events = 0;
    if (mock_fault_check(st))
        return fail(e, w, mock_fault_check(st), NULL);
    return 0;
}

void mock_script_free(mock_script *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nsteps; i++)
        step_free(&s->steps[i]);
    free(s->steps);
    free(s);
}

mock_script *mock_script_parse(const char *json, size_t len, char *err, size_t err_size)
{
    perr e = {err, err_size, 0};
    if (err_size)
        err[0] = '\0';
    mock_script *s = calloc(1, sizeof *s);
    cJSON *root = cJSON_ParseWithLength(json, len);
    const cJSON *steps = root;
    if (!s) {
        fail(&e, "script", "out of memory", NULL);
        goto bad;
    }
    if (!root) {
        fail(&e, "script", "not valid JSON", NULL);
        goto bad;
    }
    if (cJSON_IsObject(root)) {
        steps = NULL;
        const cJSON *m;
        cJSON_ArrayForEach(m, root) {
            if (!strcmp(m->string, "steps")) {
                steps = m;
            } else if (!strcmp(m->string, "then")) {
                const char *t = cJSON_GetStringValue(m);
                if (t && !strcmp(t, "default"))
                    s->then = MOCK_THEN_DEFAULT;
                else if (t && !strcmp(t, "repeat_last"))
                    s->then = MOCK_THEN_REPEAT_LAST;
                else if (t && !strcmp(t, "cycle"))
                    s->then = MOCK_THEN_CYCLE;
                else {
                    fail(&e, "script", "must be \"default\", \"repeat_last\" or \"cycle\"", "then");
                    goto bad;
                }
            } else if (strcmp(m->string, "comment") != 0 && m->string[0] != '_') {
                fail(&e, "script", "unknown member", m->string);
                goto bad;
            }
        }
        if (!steps) {
            fail(&e, "script", "needs a steps array", NULL);
            goto bad;
        }
    }
    if (!cJSON_IsArray(steps)) {
        fail(&e, "script", "must be an array of steps or {\"steps\":[...]}", NULL);
        goto bad;
    }
    size_t n = (size_t)cJSON_GetArraySize(steps);
    s->steps = calloc(n ? n : 1, sizeof *s->steps);
    if (!s->steps) {
        fail(&e, "script", "out of memory", NULL);
        goto bad;
    }
    const cJSON *it;
    cJSON_ArrayForEach(it, steps) {
        int rc = parse_step(&s->steps[s->nsteps], it, &e, s->nsteps);
        s->nsteps++;                       /* a half-parsed step is freed with the rest */
        if (rc < 0)
            goto bad;
    }
    cJSON_Delete(root);
    return s;
bad:
    cJSON_Delete(root);
    mock_script_free(s);
    return NULL;
}
