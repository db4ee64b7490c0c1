/*
 * lib/core/attempt.c: running and classifying one attempt.
 */
#include "common.h"
#include "attempt.h"
#include "buf.h"
#include "errors.h"
#include "redact.h"
#include "../transport/aws_eventstream.h"
#include "../transport/framing.h"
#include "../transport/http.h"

#include <stdarg.h>
#include <stdio.h>

#define MAX_ERROR_BODY   (64u << 10)
#define MAX_STREAM_EVENTS 1000000u

typedef struct stream_ctx {
    llmgw__attempt *a;
    llmgw__sse      sse;
    llmgw__lines    lines;
    llmgw__eventstream aws;
    void           *stream_state;
    int             parse_rc;
    char            parse_msg[256];
    uint64_t        events;
} stream_ctx;

int llmgw__perform_http(llmgw_gateway *gw, const llmgw__deployment *dep, llmgw__transfer *t)
{
    LLMGW_UNUSED(dep);
    return llmgw__http_perform(gw->pool, t);
}

void llmgw__attempt_dispose(llmgw__attempt *a)
{
    if (a != NULL)
        llmgw__reply_dispose(&a->reply);
}

static int parse_failed(stream_ctx *sc, int rc, const char *fallback)
{
    const llmgw_error *e = llmgw_error_last();

    if (sc->parse_rc == 0) {
        sc->parse_rc = rc < 0 ? rc : LLMGW_EUNAVAILABLE;
        snprintf(sc->parse_msg, sizeof(sc->parse_msg), "%s",
                 (e->code == rc && e->message[0]) ? e->message : fallback);
    }
    return 1;
}

static int deliver_event(stream_ctx *sc, const llmgw_stream_event *ev)
{
    llmgw__attempt *a = sc->a;
    int rc;

    if (++sc->events > MAX_STREAM_EVENTS)
        return parse_failed(sc, LLMGW_EUNAVAILABLE, "more stream events than the cap");
    if (a->reply.done)
        return 0;       /* nothing after the terminal marker matters */
    rc = a->dep->vt->parse_stream_event(&a->reply, a->dep->state, sc->stream_state, ev);
    if (rc < 0) {
        if (a->reply.user_stopped)
            return 1;
        return parse_failed(sc, rc, "malformed stream event");
    }
    return a->reply.has_error ? 1 : 0;
}

static int on_event(void *ud, const char *event, size_t event_len, const char *data, size_t data_len)
{
    llmgw_stream_event ev = { event, event_len, data, data_len, 0 };

    return deliver_event(ud, &ev);
}

/* AWS event-stream: ":event-type" (or the exception's type) names the event. */
static int on_aws_message(void *ud, const llmgw__es_message *m)
{
    llmgw_stream_event ev;
    int rc = llmgw__es_to_event(&ev, m);

    if (rc < 0)
        return parse_failed(ud, LLMGW_EUNAVAILABLE, llmgw__es_strerror(rc));
    return deliver_event(ud, &ev);
}

static int on_line(void *ud, const char *line, size_t len)
{
    if (len == 0)
        return 0;
    return on_event(ud, "", 0, line, len);
}

static int on_body(void *ud, const char *data, size_t len)
{
    stream_ctx *sc = ud;
    int rc;

    if (sc->a->dep->vt->stream_framing == LLMGW_FRAMING_NDJSON)
        rc = llmgw__lines_feed(&sc->lines, data, len, on_line, sc);
    else if (sc->a->dep->vt->stream_framing == LLMGW_FRAMING_AWS_EVENTSTREAM)
        rc = llmgw__es_feed(&sc->aws, data, len);
    else
        rc = llmgw__sse_feed(&sc->sse, data, len);
    if (rc == LLMGW__FRAMING_TOO_LONG)
        return parse_failed(sc, LLMGW_EUNAVAILABLE, "stream line longer than max_sse_line_bytes");
    if (rc <= LLMGW__ES_ERR_LENGTH && rc >= LLMGW__ES_ERR_KIND)
        return parse_failed(sc, LLMGW_EUNAVAILABLE, llmgw__es_strerror(rc));
    if (rc < 0)
        return parse_failed(sc, rc, "out of memory while reading the stream");
    return rc;
}

static void set_message(llmgw__attempt *a, const char *fmt, ...) LLMGW_PRINTF(2, 3);

static void set_message(llmgw__attempt *a, const char *fmt, ...)
{
    char raw[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(raw, sizeof(raw), fmt, ap);
    va_end(ap);
    llmgw__redact(a->outcome.message, sizeof(a->outcome.message), raw, strlen(raw), a->dep->secrets);
}

static void embedded_error(llmgw__attempt *a)
{
    llmgw__outcome *o = &a->outcome;
    int cls = a->reply.err_class;

    if (a->reply.err_http >= 400)
        llmgw__classify_status(o, a->reply.err_http);
    else
        llmgw__classify_status(o, 500);
    o->http_status = a->reply.err_http ? a->reply.err_http : 200;
    o->error_class = cls;
    llmgw__classify_class_rules(o);
    o->retry_after_ms = a->reply.err_retry_after_ms;
    set_message(a, "%s: %s in the response body: %s", a->dep->provider_id,
                llmgw_error_class_str(cls), a->reply.err_message);
}

static void classify_http_error(llmgw__attempt *a, const llmgw_http_response *resp)
{
    llmgw__outcome *o = &a->outcome;
    const llmgw_provider_vtable *vt = a->dep->vt;
    const char *sr = llmgw_http_response_header(resp, "x-should-retry");
    llmgw_error_info info;
    size_t blen;
    const char *body;

    llmgw__classify_status(o, resp->status);
    memset(&info, 0, sizeof(info));
    info.error_class = o->error_class;
    info.retry_after_ms = llmgw__retry_after_ms(resp, a->gw->clock->wall_us(a->gw->clock->self));
    info.should_retry = sr == NULL ? -1 : strcmp(sr, "true") == 0 ? 1 : strcmp(sr, "false") == 0 ? 0 : -1;
    if (vt->classify_error != NULL && resp->status >= 400)
        vt->classify_error(&info, a->dep->state, resp);
    if (info.error_class > 0 && info.error_class < LLMGW_ERRCLASS__COUNT && info.error_class != o->error_class) {
        o->error_class = info.error_class;
        llmgw__classify_class_rules(o);
    }
    o->retry_after_ms = info.retry_after_ms >= 0 ? info.retry_after_ms : -1;
    llmgw__classify_should_retry(o, info.should_retry);
    if (info.message[0] == '\0') {
        body = llmgw_http_response_body(resp, &blen);
        snprintf(info.message, sizeof(info.message), "%.*s", (int)LLMGW_MIN(blen, 300), body);
    }
    if (resp->status >= 300 && resp->status < 400)
        set_message(a, "%s: HTTP %d redirect refused (check api_base)", a->dep->provider_id, resp->status);
    else
        set_message(a, "%s: HTTP %d %s: %s", a->dep->provider_id, resp->status,
                    llmgw_error_class_str(o->error_class), info.message);
}

static void finish_outcome(llmgw__attempt *a, bool success)
{
    llmgw__outcome *o = &a->outcome;

    o->committed = a->delivery != NULL && a->delivery->committed;
    if (success) {
        o->status = 0;
        o->error_class = LLMGW_ERRCLASS_NONE;
        o->retry = LLMGW__RETRY_NO;
        o->failover = false;
        o->breaker = false;
        o->message[0] = '\0';
        return;
    }
    if (a->reply.user_stopped) {
        o->status = LLMGW_EUSER;
        o->error_class = LLMGW_ERRCLASS_CANCELLED;
        o->retry = LLMGW__RETRY_NO;
        o->failover = false;
        o->breaker = false;
        set_message(a, "stopped by a stream callback");
        return;
    }
    if (o->committed && o->error_class != LLMGW_ERRCLASS_CANCELLED) {
        char prev[sizeof(o->message)];
        memcpy(prev, o->message, sizeof(prev));
        o->error_class = LLMGW_ERRCLASS_STREAM_CUT;
        o->retry = LLMGW__RETRY_NO;
        o->failover = false;
        o->breaker = true;
        set_message(a, "stream failed after delivering output: %s", prev);
    }
    o->status = llmgw_error_class_status(o->error_class);
}

static void limits_for(const llmgw__attempt *a, llmgw__transfer_limits *lim, int64_t now)
{
    const llmgw_gateway_options *g = &a->gw->opts;
    int64_t remaining = (a->deadline_us - now) / 1000, total = remaining;
    int64_t per = a->stream ? a->dep->stream_timeout_ms : a->dep->timeout_ms;

    if (per <= 0)
        per = g->attempt_timeout_ms;
    if (per > 0 && per < total)
        total = per;
    if (total < 1)
        total = 1;
    lim->total_ms = total;
    lim->connect_ms = LLMGW_MIN(g->connect_timeout_ms, total);
    lim->first_byte_ms = a->stream ? LLMGW_MIN(g->first_byte_timeout_ms, total) : total;
    lim->idle_ms = g->idle_timeout_ms;
    lim->max_body = a->stream ? g->max_stream_bytes : g->max_response_bytes;
    lim->max_error_body = MAX_ERROR_BODY;
    lim->max_headers = g->max_headers;
    lim->max_header_bytes = g->max_header_bytes;
}

int llmgw__attempt_run(llmgw__attempt *a)
{
    const llmgw_provider_vtable *vt = a->dep->vt;
    llmgw__outcome *o = &a->outcome;
    llmgw_http_request hr;
    llmgw__transfer_limits lim;
    llmgw__transfer t;
    stream_ctx sc;
    bool success = false;
    int64_t start;
    int rc;

    memset(o, 0, sizeof(*o));
    o->retry_after_ms = -1;
    o->sent = true;
    llmgw__reply_init(&a->reply, a->stream ? a->delivery : NULL,
                      a->stream ? a->gw->opts.max_stream_bytes : a->gw->opts.max_response_bytes);
    start = a->gw->clock->now_us(a->gw->clock->self);
    memset(&sc, 0, sizeof(sc));

    if (vt->env_api_key != NULL && a->dep->api_key == NULL) {
        o->sent = false;
        llmgw__classify_status(o, 401);
        o->http_status = 0;
        set_message(a, "%s: no API key configured (set api_key or %s)", a->dep->provider_id, vt->env_api_key);
        finish_outcome(a, false);
        return 0;
    }
    if (a->stream && !(vt->capabilities & LLMGW_CAP_STREAM)) {
        o->sent = false;
        o->error_class = LLMGW_ERRCLASS_UNSUPPORTED;
        o->failover = true;
        set_message(a, "%s: streaming is not supported", a->dep->provider_id);
        finish_outcome(a, false);
        return 0;
    }

    llmgw__http_request_init(&hr);
    rc = vt->build_request(&hr, a->dep->state, a->req, a->stream ? 1 : 0);
    if (rc < 0) {
        const llmgw_error *e = llmgw_error_last();
        o->sent = false;
        if (rc == LLMGW_ENOMEM) {
            llmgw__http_request_dispose(&hr);
            return rc;
        }
        o->error_class = e->code == rc && e->error_class ? e->error_class : LLMGW_ERRCLASS_BAD_REQUEST;
        o->failover = o->error_class == LLMGW_ERRCLASS_UNSUPPORTED;
        set_message(a, "%s: %s", a->dep->provider_id, e->code == rc ? e->message : "could not build the request");
        llmgw__http_request_dispose(&hr);
        finish_outcome(a, false);
        return 0;
    }

    llmgw__transfer_init(&t);
    limits_for(a, &lim, start);
    t.request = &hr;
    t.limits = &lim;
    t.cancel = a->cancel;
    t.cancel_also = a->cancel_also;
    if (a->stream) {
        sc.a = a;
        if (vt->stream_state_size > 0 && (sc.stream_state = llmgw__calloc(1, vt->stream_state_size)) == NULL) {
            llmgw__http_request_dispose(&hr);
            llmgw__transfer_dispose(&t);
            return llmgw__error_oom();
        }
        if (vt->stream_framing == LLMGW_FRAMING_NDJSON)
            llmgw__lines_init(&sc.lines, a->gw->opts.max_sse_line_bytes, true);
        else if (vt->stream_framing == LLMGW_FRAMING_AWS_EVENTSTREAM)   /* a frame is one event */
            llmgw__es_init(&sc.aws, a->gw->opts.max_sse_line_bytes, on_aws_message, &sc);
        else
            llmgw__sse_init(&sc.sse, a->gw->opts.max_sse_line_bytes, on_event, &sc);
        t.on_body = on_body;
        t.body_userdata = &sc;
    }
    rc = a->dep->perform(a->gw, a->dep, &t);
    if (rc == LLMGW_ENOMEM)
        goto done;
    if (rc < 0) {
        const llmgw_error *e = llmgw_error_last();
        o->sent = false;
        o->error_class = e->error_class ? e->error_class : LLMGW_ERRCLASS_CONFIG;
        o->failover = true;
        set_message(a, "%s: %s", a->dep->provider_id, e->message);
        rc = 0;
        goto done;
    }
    if (sc.parse_rc == LLMGW_ENOMEM) {
        rc = llmgw__error_oom();        /* not the upstream's fault: no failover, no breaker */
        goto done;
    }
    if (t.outcome == LLMGW__XFER_STOPPED && !a->reply.user_stopped && sc.parse_rc == 0 && a->reply.has_error) {
        embedded_error(a);
    } else if (t.outcome == LLMGW__XFER_STOPPED && sc.parse_rc != 0) {
        llmgw__classify_status(o, 502);
        o->http_status = t.response.status;
        set_message(a, "%s: malformed stream: %s", a->dep->provider_id, sc.parse_msg);
    } else if (t.outcome == LLMGW__XFER_STOPPED && a->reply.user_stopped) {
        /* finish_outcome reports it */
    } else if (t.outcome != LLMGW__XFER_OK) {
        llmgw__classify_transport(o, t.outcome);
        o->http_status = t.response.status;
        set_message(a, "%s: %s%s%s", a->dep->provider_id, llmgw__xfer_outcome_str(t.outcome),
                    t.detail[0] ? ": " : "", t.detail);
    } else if (t.response.status >= 200 && t.response.status < 300) {
        o->http_status = t.response.status;
        if (a->stream) {
            if (sc.parse_rc != 0) {
                llmgw__classify_status(o, 502);
                o->http_status = t.response.status;
                set_message(a, "%s: malformed stream: %s", a->dep->provider_id, sc.parse_msg);
            } else if (a->reply.has_error) {
                embedded_error(a);
            } else if (!a->reply.done) {
                llmgw__classify_transport(o, LLMGW__XFER_RECV);
                o->http_status = t.response.status;
                set_message(a, "%s: the stream ended without its terminal event", a->dep->provider_id);
            } else {
                success = true;
            }
        } else {
            rc = vt->parse_response(&a->reply, a->dep->state, &t.response);
            if (rc == LLMGW_ENOMEM)
                goto done;
            if (rc < 0) {
                const llmgw_error *e = llmgw_error_last();
                llmgw__classify_transport(o, LLMGW__XFER_PARTIAL);
                o->retry = LLMGW__RETRY_ONCE;
                o->http_status = t.response.status;
                set_message(a, "%s: invalid response body: %s", a->dep->provider_id,
                            e->code == rc ? e->message : "parse error");
                rc = 0;
            } else if (a->reply.has_error) {
                embedded_error(a);
            } else {
                success = true;
            }
        }
    } else {
        classify_http_error(a, &t.response);
    }
    rc = 0;
    finish_outcome(a, success);
done:
    a->latency_us = a->gw->clock->now_us(a->gw->clock->self) - start;
    if (a->stream) {
        if (vt->stream_framing == LLMGW_FRAMING_NDJSON)
            llmgw__lines_dispose(&sc.lines);
        else if (vt->stream_framing == LLMGW_FRAMING_AWS_EVENTSTREAM)
            llmgw__es_dispose(&sc.aws);
        else
            llmgw__sse_dispose(&sc.sse);
        llmgw__free(sc.stream_state);
    }
    llmgw__transfer_dispose(&t);
    llmgw__http_request_dispose(&hr);
    if (rc == 0 && o->status == 0 && !success)
        o->status = llmgw_error_class_status(o->error_class ? o->error_class : LLMGW_ERRCLASS_NETWORK);
    return rc;
}
