/*
 * tests/fuzz/fuzz_provider.c: libFuzzer target for one provider's parsers,
 * driven through its vtable the way lib/core/attempt.c drives them. Built
 * once per provider with -DFUZZ_PROVIDER="<id>" ("compat": the whole
 * OpenAI-compatible family, one member picked per input).
 *
 * Input: a mode byte, for "compat" a member byte, then the payload.
 *   mode & 3 == 0  parse_response on a 200 body
 *   mode & 3 == 2  classify_error on an error body; status from mode >> 2
 *   mode & 1 == 1  the payload is a stream (SSE, NDJSON or AWS event-stream as
 *                  the provider frames it), decoded and handed to
 *                  parse_stream_event event by event, as attempt.c does
 * Oracles beyond "no crash, no leak": every answer passes fuzz_check_answer
 * (valid UTF-8 without NULs, caps, token counts in range and consistent,
 * finish value known); a computed cost is never negative; a stream gives the
 * same answer, the same sink deliveries and the same end state whether fed
 * at once or in chunks (split seeded by mode >> 1); what the sink received
 * is exactly the assembled answer, each tool call's id and name delivered
 * once; classify_error leaves a known class, a retry hint >= -1 and a
 * terminated message.
 */
#include "fuzz_common.h"

#include "accounting/prices.h"
#include "core/buf.h"
#include "providers/registry.h"
#include "transport/aws_eventstream.h"
#include "transport/framing.h"
#include "transport/http.h"

#ifndef FUZZ_PROVIDER
#error "build with -DFUZZ_PROVIDER=\"openai\" (or another provider id, or \"compat\")"
#endif

#define MAX_TEXT  4096u          /* small caps, so the cap paths are reached too */
#define MAX_LINE  2048u
#define MAX_INSTS 16

typedef struct inst {
    const llmgw_provider_vtable *vt;
    llmgw_provider_config        cfg;
    void                        *state;
} inst;

static inst   insts[MAX_INSTS];
static size_t ninsts;

static const char *model_for(const char *id)
{
    static const char *const models[][2] = {
        { "openai", "gpt-4o" }, { "azure", "gpt4o" }, { "anthropic", "claude-sonnet-4-5" },
        { "gemini", "gemini-2.5-flash" }, { "bedrock", "anthropic.claude-3-5-haiku-20241022-v1:0" },
        { "cohere", "command-a-03-2025" }, { "ollama", "llama3.2" }, { "deepseek", "deepseek-reasoner" },
    };
    size_t i;

    for (i = 0; i < LLMGW_ARRAY_SIZE(models); i++)
        if (strcmp(models[i][0], id) == 0)
            return models[i][1];
    return "fuzz-model";
}

static void open_inst(const llmgw_provider_vtable *vt)
{
    inst *p = &insts[ninsts++];

    FUZZ_CHECK(vt != NULL && ninsts <= MAX_INSTS);
    p->vt = vt;
    p->cfg.version = 1;
    p->cfg.provider = vt->name;
    p->cfg.model = model_for(vt->name);
    p->cfg.api_base = vt->default_api_base ? vt->default_api_base
                      : strcmp(vt->name, "azure") == 0 ? "https://fuzz.openai.azure.com"
                                                       : "https://fuzz.example.com/v1";
    p->cfg.api_key = "sk-fuzz-KEY0123456789";
    p->cfg.region = "us-east-1";
    p->cfg.aws_access_key_id = "AKIDFUZZEXAMPLE";
    p->cfg.aws_secret_access_key = "fuzzSecretAccessKeyEXAMPLE";
    p->state = calloc(1, vt->state_size ? vt->state_size : 1);
    FUZZ_CHECK(p->state != NULL);
    if (vt->init != NULL && vt->init(p->state, &p->cfg) != 0) {
        fprintf(stderr, "%s init: %s\n", vt->name, llmgw_error_last()->message);
        abort();
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    size_t i;

    LLMGW_UNUSED(argc);
    LLMGW_UNUSED(argv);
    if (strcmp(FUZZ_PROVIDER, "compat") == 0) {
        for (i = 0; i < llmgw__compat_provider_count && i < MAX_INSTS; i++)
            open_inst(llmgw__compat_providers[i]);
    } else {
        open_inst(llmgw__builtin_provider(FUZZ_PROVIDER));
    }
    return 0;
}

/* ---- what the sink receives ---- */

typedef struct sink_log {
    llmgw_buf text, reasoning;
    llmgw_buf args[LLMGW__MAX_TOOL_CALLS];
    bool      got_id[LLMGW__MAX_TOOL_CALLS], got_name[LLMGW__MAX_TOOL_CALLS];
    uint32_t  crc;              /* over every delivery, in order */
    unsigned  deliveries;
} sink_log;

static int on_text(const char *s, size_t len, void *ud)
{
    sink_log *l = ud;

    FUZZ_CHECK(len > 0 && llmgw__utf8_valid(s, len));
    FUZZ_CHECK(llmgw__buf_put(&l->text, s, len) == 0);
    l->crc = llmgw__crc32(l->crc ^ 1u, s, len);
    l->deliveries++;
    return 0;
}

static int on_reasoning(const char *s, size_t len, void *ud)
{
    sink_log *l = ud;

    FUZZ_CHECK(len > 0 && llmgw__utf8_valid(s, len));
    FUZZ_CHECK(llmgw__buf_put(&l->reasoning, s, len) == 0);
    l->crc = llmgw__crc32(l->crc ^ 2u, s, len);
    l->deliveries++;
    return 0;
}

static int on_tool_call(const llmgw_tool_call_delta *d, void *ud)
{
    sink_log *l = ud;

    FUZZ_CHECK(d->index < LLMGW__MAX_TOOL_CALLS);
    if (d->id != NULL) {
        FUZZ_CHECK(!l->got_id[d->index]);
        l->got_id[d->index] = true;
        l->crc = llmgw__crc32(l->crc ^ 3u, d->id, strlen(d->id));
    }
    if (d->name != NULL) {
        FUZZ_CHECK(!l->got_name[d->index]);
        l->got_name[d->index] = true;
        l->crc = llmgw__crc32(l->crc ^ 4u, d->name, strlen(d->name));
    }
    FUZZ_CHECK(d->arguments != NULL || d->arguments_len == 0);
    if (d->arguments_len > 0) {
        FUZZ_CHECK(llmgw__utf8_valid(d->arguments, d->arguments_len));
        FUZZ_CHECK(llmgw__buf_put(&l->args[d->index], d->arguments, d->arguments_len) == 0);
        l->crc = llmgw__crc32(l->crc ^ 5u, d->arguments, d->arguments_len);
    }
    l->deliveries++;
    return 0;
}

static void sink_log_dispose(sink_log *l)
{
    size_t i;

    llmgw_buf_dispose(&l->text);
    llmgw_buf_dispose(&l->reasoning);
    for (i = 0; i < LLMGW__MAX_TOOL_CALLS; i++)
        llmgw_buf_dispose(&l->args[i]);
}

static bool same_bytes(const llmgw_buf *a, const char *p, size_t n)
{
    return a->size == n && (n == 0 || memcmp(a->ptr, p, n) == 0);
}

/* The sink saw exactly what the answer holds. */
static void check_sink_matches(const sink_log *l, const llmgw_reply *r)
{
    size_t i;

    FUZZ_CHECK(same_bytes(&l->text, r->a.text.ptr, r->a.text.size));
    FUZZ_CHECK(same_bytes(&l->reasoning, r->a.reasoning.ptr, r->a.reasoning.size));
    for (i = 0; i < r->a.ncalls; i++) {
        const llmgw__tool_call *c = &r->a.calls[i];
        FUZZ_CHECK(same_bytes(&l->args[i], c->args.ptr, c->args.size));
        FUZZ_CHECK(l->got_id[i] == (c->id != NULL));
        FUZZ_CHECK(l->got_name[i] == (c->name != NULL));
    }
}

/* ---- the stream, as attempt.c runs it ---- */

typedef struct stream_run {
    inst              *p;
    llmgw_stream_sink  sink;
    llmgw__delivery    delivery;
    llmgw_reply        reply;
    sink_log           log;
    void              *stream_state;
    int                feed_rc;      /* the framing's last return */
    int                parse_rc;     /* the first failing parse_stream_event (or framing) status */
    uint64_t           events;
    bool               pending;
} stream_run;

/*
 * Each event reaches the provider in a heap block of its own size, so ASan
 * sees any read past it: NUL-terminated for SSE (the framing guarantees
 * that), exactly data_len bytes for NDJSON lines and AWS payloads.
 */
static int deliver(stream_run *s, const llmgw_stream_event *ev)
{
    llmgw_stream_event copy = *ev;
    bool terminated = s->p->vt->stream_framing == LLMGW_FRAMING_SSE;
    char *event, *payload;
    int rc;

    FUZZ_CHECK(ev->event != NULL && ev->data != NULL);
    s->events++;
    if (s->reply.done)
        return 0;
    event = malloc(ev->event_len + 1);
    payload = malloc(ev->data_len + (terminated ? 1 : 0) + (ev->data_len == 0));
    FUZZ_CHECK(event != NULL && payload != NULL);
    memcpy(event, ev->event, ev->event_len);
    event[ev->event_len] = '\0';
    if (ev->data_len > 0)
        memcpy(payload, ev->data, ev->data_len);
    if (terminated)
        payload[ev->data_len] = '\0';
    copy.event = event;
    copy.data = payload;
    rc = s->p->vt->parse_stream_event(&s->reply, s->p->state, s->stream_state, &copy);
    free(event);
    free(payload);
    FUZZ_CHECK(rc <= 0);
    if (rc < 0) {
        s->parse_rc = rc;
        return 1;
    }
    return s->reply.has_error ? 1 : 0;
}

static int on_sse(void *ud, const char *event, size_t event_len, const char *data, size_t data_len)
{
    llmgw_stream_event ev = { event, event_len, data, data_len, 0 };

    FUZZ_CHECK(event[event_len] == '\0' && data[data_len] == '\0');
    FUZZ_CHECK(data_len <= 2 * MAX_LINE);
    return deliver(ud, &ev);
}

static int on_ndjson(void *ud, const char *line, size_t len)
{
    llmgw_stream_event ev = { "", 0, line, len, 0 };

    FUZZ_CHECK(len <= MAX_LINE && memchr(line, '\n', len) == NULL);
    return len == 0 ? 0 : deliver(ud, &ev);
}

static int on_aws(void *ud, const llmgw__es_message *m)
{
    stream_run *s = ud;
    llmgw_stream_event ev;
    int rc = llmgw__es_to_event(&ev, m);

    if (rc < 0) {
        s->parse_rc = rc;
        return 1;
    }
    return deliver(s, &ev);
}

static void run_stream(stream_run *s, inst *p, const uint8_t *data, size_t size, unsigned seed)
{
    const int framing = p->vt->stream_framing;
    llmgw__sse sse;
    llmgw__lines lines;
    llmgw__eventstream es;
    fuzz_chunker ch;
    size_t at = 0, n;
    int rc = 0;

    memset(s, 0, sizeof(*s));
    s->p = p;
    s->sink.version = LLMGW_STREAM_SINK_VERSION;
    s->sink.on_text = on_text;
    s->sink.on_reasoning = on_reasoning;
    s->sink.on_tool_call = on_tool_call;
    s->sink.userdata = &s->log;
    s->delivery.sink = &s->sink;
    llmgw__reply_init(&s->reply, &s->delivery, MAX_TEXT);
    if (p->vt->stream_state_size > 0) {
        s->stream_state = calloc(1, p->vt->stream_state_size);
        FUZZ_CHECK(s->stream_state != NULL);
    }
    if (framing == LLMGW_FRAMING_NDJSON)
        llmgw__lines_init(&lines, MAX_LINE, true);
    else if (framing == LLMGW_FRAMING_AWS_EVENTSTREAM)
        llmgw__es_init(&es, MAX_LINE, on_aws, s);
    else
        llmgw__sse_init(&sse, MAX_LINE, on_sse, s);
    fuzz_chunker_init(&ch, seed);
    while (at < size && rc == 0) {
        n = fuzz_chunk_next(&ch, size - at);
        if (framing == LLMGW_FRAMING_NDJSON)
            rc = llmgw__lines_feed(&lines, (const char *)data + at, n, on_ndjson, s);
        else if (framing == LLMGW_FRAMING_AWS_EVENTSTREAM)
            rc = llmgw__es_feed(&es, data + at, n);
        else
            rc = llmgw__sse_feed(&sse, (const char *)data + at, n);
        at += n;
    }
    s->feed_rc = rc;
    if (framing == LLMGW_FRAMING_NDJSON) {
        s->pending = llmgw__lines_pending(&lines) > 0;
        llmgw__lines_dispose(&lines);
    } else if (framing == LLMGW_FRAMING_AWS_EVENTSTREAM) {
        s->pending = llmgw__es_pending(&es);
        llmgw__es_dispose(&es);
    } else {
        s->pending = llmgw__sse_pending(&sse);
        llmgw__sse_dispose(&sse);
    }
    FUZZ_CHECK(rc >= 0 || rc == LLMGW_ENOMEM || rc == LLMGW__FRAMING_TOO_LONG ||
               (rc <= LLMGW__ES_ERR_LENGTH && rc >= LLMGW__ES_ERR_KIND));
    fuzz_check_answer(&s->reply);
    check_sink_matches(&s->log, &s->reply);
    FUZZ_CHECK(s->delivery.committed == (s->log.deliveries > 0));
    free(s->stream_state);
}

static void stream_run_dispose(stream_run *s)
{
    llmgw__reply_dispose(&s->reply);
    sink_log_dispose(&s->log);
}

static bool same_str(const char *a, const char *b)
{
    return (a == NULL) == (b == NULL) && (a == NULL || strcmp(a, b) == 0);
}

static void check_same_answer(const llmgw_reply *x, const llmgw_reply *y)
{
    size_t i;

    FUZZ_CHECK(same_bytes(&x->a.text, y->a.text.ptr, y->a.text.size));
    FUZZ_CHECK(same_bytes(&x->a.reasoning, y->a.reasoning.ptr, y->a.reasoning.size));
    FUZZ_CHECK(x->a.ncalls == y->a.ncalls);
    for (i = 0; i < x->a.ncalls; i++) {
        FUZZ_CHECK(same_str(x->a.calls[i].id, y->a.calls[i].id));
        FUZZ_CHECK(same_str(x->a.calls[i].name, y->a.calls[i].name));
        FUZZ_CHECK(same_bytes(&x->a.calls[i].args, y->a.calls[i].args.ptr, y->a.calls[i].args.size));
    }
    FUZZ_CHECK(x->a.finish == y->a.finish && same_str(x->a.finish_raw, y->a.finish_raw));
    FUZZ_CHECK(same_str(x->a.id, y->a.id) && same_str(x->a.model, y->a.model));
    FUZZ_CHECK(x->a.usage_set == y->a.usage_set && memcmp(&x->a.usage, &y->a.usage, sizeof(x->a.usage)) == 0);
    FUZZ_CHECK(x->done == y->done && x->has_error == y->has_error);
    if (x->has_error)
        FUZZ_CHECK(x->err_class == y->err_class && x->err_http == y->err_http &&
                   strcmp(x->err_message, y->err_message) == 0);
}

static void fuzz_stream(inst *p, const uint8_t *data, size_t size, unsigned seed)
{
    stream_run *whole = calloc(1, sizeof(*whole)), *chunked = calloc(1, sizeof(*chunked));

    FUZZ_CHECK(whole != NULL && chunked != NULL);
    run_stream(whole, p, data, size, 256);
    run_stream(chunked, p, data, size, seed);
    FUZZ_CHECK(whole->feed_rc == chunked->feed_rc && whole->parse_rc == chunked->parse_rc);
    FUZZ_CHECK(whole->events == chunked->events && whole->log.crc == chunked->log.crc);
    FUZZ_CHECK(whole->feed_rc != 0 || whole->pending == chunked->pending);
    check_same_answer(&whole->reply, &chunked->reply);
    stream_run_dispose(whole);
    stream_run_dispose(chunked);
    free(whole);
    free(chunked);
}

/* ---- a whole body ---- */

static void check_cost(const inst *p, const llmgw_reply *r)
{
    llmgw__price price;
    llmgw__cost cost;

    if (!r->a.usage_set || llmgw__prices_lookup(llmgw__prices_builtin(), p->vt->name, p->cfg.model, &price) != 0)
        return;
    if (llmgw__cost_compute(&cost, &price, &r->a.usage) == 0)
        FUZZ_CHECK(cost.total >= 0 && cost.input >= 0 && cost.input <= cost.total);
}

static void fuzz_response(inst *p, const uint8_t *data, size_t size)
{
    llmgw_http_response resp;
    llmgw_reply r;
    int rc;

    llmgw__http_response_init(&resp);
    resp.status = 200;
    FUZZ_CHECK(llmgw__buf_set(&resp.body, (const char *)data, size) == 0);
    FUZZ_CHECK(llmgw__http_response_add_header(&resp, "content-type", 12, "application/json", 16) == 0);
    llmgw__reply_init(&r, NULL, MAX_TEXT);
    rc = p->vt->parse_response(&r, p->state, &resp);
    FUZZ_CHECK(rc <= 0);
    fuzz_check_answer(&r);
    if (rc == 0)
        check_cost(p, &r);
    llmgw__reply_dispose(&r);
    llmgw__http_response_dispose(&resp);
}

static void fuzz_error(inst *p, const uint8_t *data, size_t size, unsigned pick)
{
    static const int statuses[] = { 400, 401, 402, 403, 404, 408, 409, 413, 422, 429, 500, 502, 503, 504,
                                    529, 200 };
    llmgw_http_response resp;
    llmgw_error_info info;
    int status = statuses[pick % LLMGW_ARRAY_SIZE(statuses)];

    if (p->vt->classify_error == NULL)
        return;
    llmgw__http_response_init(&resp);
    resp.status = status;
    FUZZ_CHECK(llmgw__buf_set(&resp.body, (const char *)data, size) == 0);
    FUZZ_CHECK(llmgw__http_response_add_header(&resp, "content-type", 12, "application/json", 16) == 0);
    memset(&info, 0, sizeof(info));
    info.error_class = status >= 500 ? LLMGW_ERRCLASS_SERVER_ERROR : LLMGW_ERRCLASS_BAD_REQUEST;
    info.retry_after_ms = -1;
    info.should_retry = -1;
    p->vt->classify_error(&info, p->state, &resp);
    FUZZ_CHECK(info.error_class >= 0 && info.error_class < LLMGW_ERRCLASS__COUNT);
    FUZZ_CHECK(info.retry_after_ms >= -1);
    FUZZ_CHECK(info.should_retry >= -1 && info.should_retry <= 1);
    FUZZ_CHECK(fuzz_terminated(info.message, sizeof(info.message)));
    llmgw__http_response_dispose(&resp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    inst *p = &insts[0];
    unsigned mode;

    if (size < 1)
        return 0;
    mode = data[0];
    data++;
    size--;
    if (ninsts > 1) {
        if (size < 1)
            return 0;
        p = &insts[data[0] % ninsts];
        data++;
        size--;
    }
    if (mode & 1)
        fuzz_stream(p, data, size, (mode >> 1) & 0x7f);
    else if ((mode & 3) == 0)
        fuzz_response(p, data, size);
    else
        fuzz_error(p, data, size, mode >> 2);
    return 0;
}
