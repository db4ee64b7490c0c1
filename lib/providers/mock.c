/*
 * lib/providers/mock.c: the in-process mock provider, for users' own tests.
 *
 * It needs no network: the request it builds is answered in-process with
 * OpenAI wire bytes, which then go through the real OpenAI parsers, the
 * stream framing and the core's retry and accounting logic. Answers come
 * from, in order: the request's "mock_response" member, the deployment's
 * params "mock_response" (a step, or an array of steps taken one per
 * attempt), or the deterministic default. Grammar in docs/mock.md §8.
 */
#include "../core/common.h"
#include "../core/buf.h"
#include "../core/errors.h"
#include "../core/gateway.h"
#include "../core/json.h"
#include "../transport/http.h"
#include "openai.h"

#include <stdio.h>
#include <time.h>

typedef struct mock_state {
    const llmgw_provider_config *cfg;
    atomic_uint_fast64_t        *step;      /* next scripted step (allocated: state is const after init) */
} mock_state;

static int mock_init(void *state, const llmgw_provider_config *cfg)
{
    mock_state *st = state;

    st->cfg = cfg;
    st->step = llmgw__calloc(1, sizeof(*st->step));
    return st->step ? 0 : llmgw__error_oom();
}

static void mock_cleanup(void *state)
{
    mock_state *st = state;

    llmgw__free(st->step);
}

static int mock_build_request(llmgw_http_request *out, void *state, const llmgw_request *req, int stream)
{
    mock_state *st = state;
    llmgw_buf body = LLMGW_BUF_INIT;
    int rc;

    LLMGW_TRY(llmgw_http_request_set_url(out, "http://127.0.0.1/mock/chat/completions"));
    LLMGW_TRY(llmgw_http_request_add_header(out, "Content-Type", "application/json"));
    rc = llmgw__openai_body(&body, req, st->cfg->model, stream, true);
    if (rc == 0)
        rc = llmgw_http_request_set_body(out, body.ptr, body.size);
    llmgw_buf_dispose(&body);
    return rc;
}

static int mock_parse_response(llmgw_reply *out, void *state, const llmgw_http_response *in)
{
    return llmgw__openai_parse_response(out, state, in);
}

/* ---- the in-process exchange ---- */

static uint64_t words(const char *s)
{
    uint64_t n = 0;
    bool in = false;

    for (; s && *s; s++) {
        bool space = *s == ' ' || *s == '\n' || *s == '\t' || *s == '\r';
        if (!space && !in)
            n++;
        in = !space;
    }
    return n;
}

static uint64_t prompt_tokens(const cJSON *body)
{
    const cJSON *m, *p;
    uint64_t n = 0;

    cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(body, "messages")) {
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(m, "content");
        n += 4;
        if (cJSON_IsString(c))
            n += words(c->valuestring);
        if (cJSON_IsArray(c)) {
            cJSON_ArrayForEach(p, c)
                n += words(llmgw__json_str(p, "text"));
        }
    }
    return n;
}

/* The step for this attempt: request member, deployment script, or NULL (default). */
static const cJSON *pick_step(const mock_state *st, const cJSON *body)
{
    const cJSON *r = cJSON_GetObjectItemCaseSensitive(body, "mock_response");
    const cJSON *params = llmgw__json_of(st->cfg->params);
    uint64_t k;
    int n;

    if (r == NULL)
        r = cJSON_GetObjectItemCaseSensitive(params, "mock_response");
    if (r == NULL || !cJSON_IsArray(r))
        return r;
    n = cJSON_GetArraySize(r);
    if (n == 0)
        return NULL;
    k = atomic_fetch_add(st->step, 1);
    return cJSON_GetArrayItem(r, (int)(k < (uint64_t)n ? k : (uint64_t)n - 1));
}

static int64_t num(const cJSON *o, const char *k, int64_t dflt)
{
    int64_t v;

    return llmgw__json_int64(cJSON_GetObjectItemCaseSensitive(o, k), &v) == 0 ? v : dflt;
}

static void mock_sleep_ms(int64_t ms)
{
    struct timespec ts;

    if (ms <= 0)
        return;
    ts.tv_sec = (time_t)(ms / 1000);
    ts.tv_nsec = (long)(ms % 1000) * 1000000L;
    nanosleep(&ts, NULL);
}

/*
 * The answer is built as a cJSON tree and printed, as an upstream would send
 * it; every node is checked, so an allocation failure fails the exchange
 * (LLMGW_ENOMEM) instead of sending an answer with members missing.
 */
static cJSON *usage_obj(const cJSON *step, uint64_t prompt, uint64_t completion)
{
    const cJSON *u = cJSON_GetObjectItemCaseSensitive(step, "usage");
    cJSON *o = cJSON_CreateObject(), *pd = NULL, *cd = NULL;
    int64_t p = num(u, "prompt_tokens", (int64_t)prompt), c = num(u, "completion_tokens", (int64_t)completion);

    if (o == NULL ||
        llmgw__json_add_num(o, "prompt_tokens", (double)p) < 0 ||
        llmgw__json_add_num(o, "completion_tokens", (double)c) < 0 ||
        llmgw__json_add_num(o, "total_tokens", (double)(p + c)) < 0 ||
        llmgw__json_add_item(o, "prompt_tokens_details", pd = cJSON_CreateObject()) < 0 ||
        llmgw__json_add_num(pd, "cached_tokens", (double)num(u, "cached_tokens", 0)) < 0 ||
        llmgw__json_add_item(o, "completion_tokens_details", cd = cJSON_CreateObject()) < 0 ||
        llmgw__json_add_num(cd, "reasoning_tokens", (double)num(u, "reasoning_tokens", 0)) < 0) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

static int add_header(llmgw_http_response *r, const char *name, const char *value)
{
    return llmgw__http_response_add_header(r, name, strlen(name), value, strlen(value));
}

static int error_answer(llmgw__transfer *t, const cJSON *step, int status)
{
    const char *body = llmgw__json_str(step, "body");
    const cJSON *hdrs = cJSON_GetObjectItemCaseSensitive(step, "headers"), *h;
    char buf[1024];

    t->response.status = status;
    t->got_status = true;
    cJSON_ArrayForEach(h, hdrs)
        if (cJSON_IsString(h))
            LLMGW_TRY(add_header(&t->response, h->string, h->valuestring));
    if (body == NULL) {
        const char *type = llmgw__json_str(step, "error_type");
        const char *code = llmgw__json_str(step, "error_code");
        const char *msg = llmgw__json_str(step, "error_message");
        snprintf(buf, sizeof(buf),
                 "{\"error\":{\"message\":\"%s\",\"type\":\"%s\",\"param\":null,\"code\":\"%s\"}}",
                 msg ? msg : "mock error", type ? type : (status == 429 ? "requests" : "server_error"),
                 code ? code : (status == 429 ? "rate_limit_exceeded" : "mock_error"));
        body = buf;
    }
    return llmgw__buf_puts(&t->response.body, body);
}

static int emit_event(llmgw__transfer *t, cJSON *chunk)
{
    char *s = cJSON_PrintUnformatted(chunk);
    llmgw_buf ev = LLMGW_BUF_INIT;
    int rc;

    if (s == NULL)
        return llmgw__error_oom();
    rc = llmgw__buf_printf(&ev, "data: %s\n\n", s);
    cJSON_free(s);
    if (rc == 0) {
        t->got_body_byte = true;
        t->body_bytes += ev.size;
        if (t->on_body(t->body_userdata, ev.ptr, ev.size) != 0)
            t->outcome = LLMGW__XFER_STOPPED;
    }
    llmgw_buf_dispose(&ev);
    return rc;
}

/* A chunk with its header members; NULL when out of memory. */
static cJSON *chunk_new(const char *model)
{
    cJSON *c = cJSON_CreateObject();

    if (c == NULL || llmgw__json_add_str(c, "id", "chatcmpl-mock") < 0 ||
        llmgw__json_add_str(c, "object", "chat.completion.chunk") < 0 ||
        llmgw__json_add_num(c, "created", 0) < 0 || llmgw__json_add_str(c, "model", model) < 0) {
        cJSON_Delete(c);
        return NULL;
    }
    return c;
}

/*
 * Builders below attach each node as they create it, through helpers that
 * free what they could not attach: a failure leaves nothing loose.
 */

/* choices[0] of the chunk, with its finish reason (NULL: null); its delta, or NULL when out of memory. */
static cJSON *choice_with(cJSON *chunk, const char *finish)
{
    cJSON *choices = NULL, *c = NULL, *delta = NULL;

    if (llmgw__json_add_item(chunk, "choices", choices = cJSON_CreateArray()) < 0 ||
        llmgw__json_append(choices, c = cJSON_CreateObject()) < 0 || llmgw__json_add_num(c, "index", 0) < 0 ||
        llmgw__json_add_item(c, "finish_reason", finish ? cJSON_CreateString(finish) : cJSON_CreateNull()) < 0 ||
        llmgw__json_add_item(c, "delta", delta = cJSON_CreateObject()) < 0)
        return NULL;
    return delta;
}

/* One tool call's object (index < 0: none, as in whole answers); NULL when out of memory. */
static cJSON *tool_call_obj(const cJSON *call, int index)
{
    const char *id = llmgw__json_str(call, "id"), *name = llmgw__json_str(call, "name");
    const char *args = llmgw__json_str(call, "arguments");
    cJSON *tc = cJSON_CreateObject(), *fn = NULL;

    if (tc == NULL || (index >= 0 && llmgw__json_add_num(tc, "index", index) < 0) ||
        llmgw__json_add_str(tc, "id", id ? id : "call_mock") < 0 || llmgw__json_add_str(tc, "type", "function") < 0 ||
        llmgw__json_add_item(tc, "function", fn = cJSON_CreateObject()) < 0 ||
        llmgw__json_add_str(fn, "name", name ? name : "f") < 0 ||
        llmgw__json_add_str(fn, "arguments", args ? args : "{}") < 0) {
        cJSON_Delete(tc);
        return NULL;
    }
    return tc;
}

/* The stream's events as chunk objects in an array (usage is taken); NULL when out of memory. */
static cJSON *stream_events(const char *model, const char *text, const cJSON *calls, const char *finish,
                            cJSON *usage)
{
    cJSON *events = cJSON_CreateArray(), *chunk, *delta = NULL;
    const cJSON *call;
    const char *p = text, *q;
    int i = 0, rc = events ? 0 : llmgw__error_oom();

    while (rc == 0 && *p) {
        char *piece;
        q = p;
        while (*q == ' ')
            q++;
        while (*q && *q != ' ')
            q++;
        piece = llmgw__strndup(p, (size_t)(q - p));
        chunk = chunk_new(model);
        if ((rc = llmgw__json_append(events, chunk)) == 0 && (delta = choice_with(chunk, NULL)) == NULL)
            rc = llmgw__error_oom();
        if (rc == 0)
            rc = piece ? llmgw__json_add_str(delta, "content", piece) : llmgw__error_oom();
        llmgw__free(piece);
        p = q;
    }
    cJSON_ArrayForEach(call, calls) {
        cJSON *tcs = NULL;
        if (rc < 0)
            break;
        chunk = chunk_new(model);
        if ((rc = llmgw__json_append(events, chunk)) == 0 && (delta = choice_with(chunk, NULL)) == NULL)
            rc = llmgw__error_oom();
        if (rc == 0 && (rc = llmgw__json_add_item(delta, "tool_calls", tcs = cJSON_CreateArray())) == 0)
            rc = llmgw__json_append(tcs, tool_call_obj(call, i));
        i++;
    }
    if (rc == 0) {
        chunk = chunk_new(model);
        if ((rc = llmgw__json_append(events, chunk)) == 0 && choice_with(chunk, finish) == NULL)
            rc = llmgw__error_oom();
    }
    if (rc == 0) {
        chunk = chunk_new(model);
        if ((rc = llmgw__json_append(events, chunk)) == 0 &&
            (rc = llmgw__json_add_item(chunk, "choices", cJSON_CreateArray())) == 0) {
            rc = llmgw__json_add_item(chunk, "usage", usage);
            usage = NULL;
        }
    }
    cJSON_Delete(usage);
    if (rc < 0) {
        cJSON_Delete(events);
        return NULL;
    }
    return events;
}

/* The whole chat.completion (usage is taken); NULL when out of memory. */
static cJSON *completion(const char *model, const char *text, const cJSON *calls, const char *finish,
                         cJSON *usage)
{
    cJSON *o = cJSON_CreateObject(), *choices = NULL, *c = NULL, *msg = NULL, *tcs = NULL;
    const cJSON *call;
    int rc = o ? 0 : llmgw__error_oom();

    if (rc == 0 && (llmgw__json_add_str(o, "id", "chatcmpl-mock") < 0 ||
                    llmgw__json_add_str(o, "object", "chat.completion") < 0 ||
                    llmgw__json_add_num(o, "created", 0) < 0 || llmgw__json_add_str(o, "model", model) < 0 ||
                    llmgw__json_add_item(o, "choices", choices = cJSON_CreateArray()) < 0 ||
                    llmgw__json_append(choices, c = cJSON_CreateObject()) < 0 ||
                    llmgw__json_add_num(c, "index", 0) < 0 ||
                    llmgw__json_add_item(c, "message", msg = cJSON_CreateObject()) < 0 ||
                    llmgw__json_add_str(msg, "role", "assistant") < 0 ||
                    llmgw__json_add_item(msg, "content", text && *text ? cJSON_CreateString(text)
                                                                       : cJSON_CreateNull()) < 0))
        rc = llmgw__error_oom();
    if (rc == 0 && cJSON_GetArraySize(calls) > 0 &&
        (rc = llmgw__json_add_item(msg, "tool_calls", tcs = cJSON_CreateArray())) == 0) {
        cJSON_ArrayForEach(call, calls)
            if (rc == 0)
                rc = llmgw__json_append(tcs, tool_call_obj(call, -1));
    }
    if (rc == 0)
        rc = llmgw__json_add_str(c, "finish_reason", finish);
    if (rc == 0) {
        rc = llmgw__json_add_item(o, "usage", usage);
        usage = NULL;
    }
    cJSON_Delete(usage);
    if (rc < 0) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

int llmgw__perform_mock(llmgw_gateway *gw, const llmgw__deployment *dep, llmgw__transfer *t);

int llmgw__perform_mock(llmgw_gateway *gw, const llmgw__deployment *dep, llmgw__transfer *t)
{
    const mock_state *st = dep->state;
    const llmgw_http_request *rq = t->request;
    cJSON *body, *usage = NULL, *events = NULL, *answer = NULL, *ev;
    const cJSON *step, *calls;
    const char *text, *fault, *finish;
    char default_text[64];
    int64_t status, delay, cut, reset_after;
    bool stream;
    int rc = 0, k = 0;

    LLMGW_UNUSED(gw);
    body = llmgw__json_parse(llmgw__buf_cstr(&rq->body), rq->body.size, LLMGW_ERRCLASS_BAD_REQUEST);
    if (body == NULL)
        return llmgw_error_last()->code;
    stream = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(body, "stream"));
    step = pick_step(st, body);
    if (step != NULL && cJSON_IsString(step)) {
        text = step->valuestring;
        step = NULL;
    } else {
        snprintf(default_text, sizeof(default_text), "This is a mock response.");
        text = llmgw__json_str(step, "text") ? llmgw__json_str(step, "text") : default_text;
    }
    delay = num(step, "delay_ms", 0);
    if (delay > 0) {
        if (delay >= t->limits->total_ms) {
            mock_sleep_ms(t->limits->total_ms);
            t->outcome = LLMGW__XFER_TIMEOUT_FIRST_BYTE;
            goto out;
        }
        mock_sleep_ms(delay);
    }
    fault = llmgw__json_str(step, "fault");
    if (fault != NULL) {
        if (strcmp(fault, "connect") == 0)
            t->outcome = LLMGW__XFER_CONNECT;
        else if (strcmp(fault, "reset") == 0)
            t->outcome = LLMGW__XFER_RESET;
        else if (strcmp(fault, "timeout") == 0)
            t->outcome = LLMGW__XFER_TIMEOUT_FIRST_BYTE;
        else if (strcmp(fault, "tls") == 0)
            t->outcome = LLMGW__XFER_TLS;
        if (t->outcome != LLMGW__XFER_OK)
            goto out;
    }
    status = num(step, "status", 200);
    if (status < 100 || status > 599)
        status = 500;
    if (status != 200) {
        rc = error_answer(t, step, (int)status);
        goto out;
    }
    calls = cJSON_GetObjectItemCaseSensitive(step, "tool_calls");
    finish = llmgw__json_str(step, "finish_reason");
    if (finish == NULL)
        finish = cJSON_GetArraySize(calls) > 0 ? "tool_calls" : "stop";
    usage = usage_obj(step, prompt_tokens(body), words(text) + 8 * (uint64_t)cJSON_GetArraySize(calls));
    if (usage == NULL) {
        rc = llmgw__error_oom();
        goto out;
    }
    t->response.status = 200;
    t->got_status = true;
    if (!stream) {
        answer = completion(dep->model, text, calls, finish, usage);
        usage = NULL;
        rc = answer ? llmgw__json_print(&t->response.body, answer) : llmgw__error_oom();
        t->got_body_byte = true;
        goto out;
    }
    if ((rc = add_header(&t->response, "content-type", "text/event-stream")) < 0)
        goto out;
    events = stream_events(dep->model, text, calls, finish, usage);
    usage = NULL;
    if (events == NULL) {
        rc = llmgw__error_oom();
        goto out;
    }
    cut = num(step, "cut_after_events", -1);
    reset_after = num(step, "reset_after_events", -1);
    cJSON_ArrayForEach(ev, events) {
        if (cut >= 0 && k >= cut)
            goto out;           /* ends cleanly without [DONE] */
        if (reset_after >= 0 && k >= reset_after) {
            t->outcome = LLMGW__XFER_RECV;
            goto out;
        }
        if ((rc = emit_event(t, ev)) < 0 || t->outcome != LLMGW__XFER_OK)
            goto out;
        k++;
    }
    if (cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(step, "error_event"))) {
        cJSON *e = cJSON_CreateObject();
        if (e == NULL)
            rc = llmgw__error_oom();
        else if ((rc = llmgw__json_add_ref(e, "error", cJSON_GetObjectItemCaseSensitive(step, "error_event"))) == 0)
            rc = emit_event(t, e);
        cJSON_Delete(e);
        goto out;
    }
    if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(step, "omit_done")) &&
        t->on_body(t->body_userdata, "data: [DONE]\n\n", 14) != 0)
        t->outcome = LLMGW__XFER_STOPPED;
out:
    cJSON_Delete(usage);
    cJSON_Delete(events);
    cJSON_Delete(answer);
    cJSON_Delete(body);
    return rc;
}

const llmgw_provider_vtable llmgw__provider_mock = {
    .version = LLMGW_PROVIDER_VTABLE_VERSION,
    .name = "mock",
    .capabilities = LLMGW_CAP_STREAM | LLMGW_CAP_TOOLS | LLMGW_CAP_VISION | LLMGW_CAP_JSON_MODE,
    .stream_framing = LLMGW_FRAMING_SSE,
    .default_api_base = NULL,
    .env_api_key = NULL,
    .env_api_base = NULL,
    .env_api_version = NULL,
    .state_size = sizeof(mock_state),
    .stream_state_size = 0,
    .init = mock_init,
    .build_request = mock_build_request,
    .parse_response = mock_parse_response,
    .parse_stream_event = llmgw__openai_parse_stream_event,
    .classify_error = llmgw__openai_classify_error,
    .cleanup = mock_cleanup,
};
