/*
 * llmgw mock upstream: one non-control request, from admission to a plan.
 *
 * Order: record and count the request on its lane; route by path to a dialect (none: 404
 * unknown_url, no step taken); take the lane's next step; the dialect validates the request
 * (401 / 400 mock_validation); the step's expectations (400 mock_expectation_failed); then the
 * step's answer is rendered into a plan that deliver.c writes with the step's timing and faults.
 */
#include "mock_internal.h"

#include <stdio.h>
#include <string.h>

#define PAD_PIECE 4096u

static int send_error(mock_conn *c, const mock_dialect *d, int status, const char *type,
                      const char *code, const char *message, const char *id, int keep_alive)
{
    mbuf extra = {0};
    int rc;
    mbuf_clear(&c->payload);
    d->render_error(&c->payload, status, type, code, message);
    if (d->error_headers)
        d->error_headers(&extra, status, type);
    rc = c->payload.oom || extra.oom ? -1
         : mock_send_json_headers(c, status, id, extra.data, c->payload.data, c->payload.len, keep_alive);
    mbuf_free(&extra);
    return rc;
}

static long find_broken_event(const mock_stream *s)
{
    static const int order[] = {MOCK_EV_TEXT, MOCK_EV_TOOL, MOCK_EV_FINISH, MOCK_EV_ROLE};
    for (size_t k = 0; k < sizeof order / sizeof order[0]; k++)
        for (size_t i = 0; i < s->nev; i++)
            if (s->ev[i].kind == order[k])
                return (long)i;
    return -1;
}

static size_t stream_bytes(const mock_stream *s)
{
    size_t total = 0;
    for (size_t i = 0; i < s->nev; i++)
        if (s->ev[i].kind != MOCK_EV_ERROR)
            total += s->ev[i].len;
    return total;
}

/* Pads a stream with text events so the events add up to exactly step->oversize_bytes (when
 * that leaves room for one padding event): two trial renders measure the fixed part and the
 * cost of one event; padding needs no escaping, so the sizes are linear. */
static int pad_stream(mock_conn *c, mock_answer *a, const mock_dialect *d, const mock_step *step,
                      const mock_parsed *p, const mock_ticket *t)
{
    mock_stream *s = &c->events;
    uint64_t n = step->oversize_bytes, total[3] = {0, 0, 0};
    for (uint64_t k = 2; k >= 1; k--) {
        if (mock_answer_build(a, &c->answer, step, p, t, k, (size_t)k) < 0)
            return -1;
        mock_stream_clear(s);
        d->render_stream(s, a);
        total[k] = stream_bytes(s);
    }
    uint64_t per_event = total[2] - total[1] - 1, fixed = total[1] - 1 - per_event;
    if (n <= total[1])
        return 0;                          /* no room for exactness: the 1-byte pad stays */
    uint64_t room = n - fixed;
    uint64_t k = (room + PAD_PIECE + per_event - 1) / (PAD_PIECE + per_event);
    uint64_t need = room - k * per_event;
    if (need < k)
        return 0;
    if (mock_answer_build(a, &c->answer, step, p, t, need, (size_t)k) < 0)
        return -1;
    mock_stream_clear(s);
    d->render_stream(s, a);
    return 0;
}

/* Renders the 200 answer of a step into the plan. 0 or -1 (out of memory). */
static int render_answer(mock_conn *c, mock_plan *plan, const mock_dialect *d,
                         const mock_step *step, const mock_parsed *p, const mock_ticket *t)
{
    mock_answer a;
    if (mock_answer_build(&a, &c->answer, step, p, t, 0, 0) < 0)
        return -1;
    if (p->stream) {
        mock_stream *s = &c->events;
        mock_stream_clear(s);
        d->render_stream(s, &a);
        size_t have = stream_bytes(s);
        if (step->oversize_bytes > have && pad_stream(c, &a, d, step, p, t) < 0)
            return -1;
        if (step->error_event)
            d->render_error_event(s, step->error_event);
        if (s->oom || s->bytes.oom)
            return -1;
        plan->stream = 1;
        plan->content_type = d->stream_content_type;
        plan->events = s;
        plan->error_event = step->error_event ? (long)s->nev - 1 : -1;
        plan->broken_event = step->malformed ? find_broken_event(s) : -1;
        plan->has_usage = p->include_usage;
        plan->broken = step->malformed || step->omit_done || step->cut_after_events >= 0 ||
                       step->error_event != NULL || step->bad_crc;
    } else {
        mbuf *b = &c->payload;
        mbuf_clear(b);
        d->render_body(b, &a);
        if (step->oversize_bytes > b->len) {
            uint64_t need = step->oversize_bytes - b->len;
            if (mock_answer_build(&a, &c->answer, step, p, t, need, 0) < 0)
                return -1;
            mbuf_clear(b);
            d->render_body(b, &a);
        }
        if (b->oom)
            return -1;
        plan->body = b->data;
        plan->body_len = b->len;
        plan->has_usage = !step->malformed;
        if (step->malformed) {
            plan->body_len = b->len / 2;
            plan->broken = 1;
        }
    }
    if (a.usage_raw)
        mock_usage_from_raw(&plan->usage, a.usage_raw);
    else
        plan->usage = a.usage;
    return 0;
}

static int serve(mock_conn *c, const mock_request *req, const mock_dialect *d,
                 const mock_ticket *t, const char *id)
{
    const mock_step *step = t->step;
    cJSON *body = req->body_len ? cJSON_ParseWithLength(req->body, req->body_len) : NULL;
    mock_parsed parsed;
    mock_reject rej;
    mbuf extra = {0};                      /* the dialect's error header lines */
    char msg[400];
    int rc;

    mock_request routed = *req;            /* the dialect may read the step's quirk switches */
    routed.step = step;
    if (d->parse(&parsed, &rej, &routed, body) < 0) {
        rc = send_error(c, d, rej.status, rej.type, rej.code, rej.message, id, req->keep_alive);
        goto out;
    }
    if (step->expect && mock_expect_check(step->expect, req, body, msg, sizeof msg) < 0) {
        rc = send_error(c, d, 400, "invalid_request_error", "mock_expectation_failed", msg, id,
                        req->keep_alive);
        goto out;
    }

    mock_plan plan;
    memset(&plan, 0, sizeof plan);
    plan.status = step->status;
    plan.keep_alive = req->keep_alive;
    plan.content_type = "application/json";
    plan.broken_event = plan.error_event = -1;
    if (step->body) {
        plan.body = step->body;
        plan.body_len = strlen(step->body);
        if (parsed.stream && step->status == 200)
            plan.content_type = d->stream_content_type;
    } else if (step->status != 200) {
        const char *type, *code, *message;
        mock_error_defaults(step->status, &type, &code, &message);
        if (step->error_type || step->error_type_null)
            type = step->error_type;
        if (step->error_code || step->error_code_null)
            code = step->error_code;
        if (step->error_message)
            message = step->error_message;
        mbuf_clear(&c->payload);
        d->render_error(&c->payload, step->status, type, code, message);
        if (c->payload.oom) {
            rc = -1;
            goto out;
        }
        plan.body = c->payload.data;
        plan.body_len = c->payload.len;
        if (d->error_headers) {
            d->error_headers(&extra, step->status, type);
            plan.extra_headers = extra.data;
        }
    } else if (render_answer(c, &plan, d, step, &parsed, t) < 0) {
        rc = send_error(c, d, 500, "server_error", "mock_internal", "mock: out of memory", id, 0);
        rc = -1;
        goto out;
    }
    rc = mock_fault_active(step) ? mock_fault_deliver(c, t, step, &plan) : mock_deliver(c, t, step, &plan);
out:
    mbuf_free(&extra);
    cJSON_Delete(body);
    return rc;
}

int mock_respond(mock_conn *c, const mock_request *req)
{
    mock_server *srv = c->srv;
    mock_ticket t;
    char id[MOCK_LANE_MAX + 32];
    if (mock_lanes_admit(&t, srv, req) < 0) {
        static const char busy[] =
            "{\"error\":{\"message\":\"mock: too many lanes\",\"type\":\"server_error\","
            "\"param\":null,\"code\":\"mock_lanes\"}}";
        snprintf(id, sizeof id, "%s-0", req->lane);
        mock_send_json(c, 503, id, busy, sizeof busy - 1, 0);
        return -1;
    }
    snprintf(id, sizeof id, "%s-%llu", req->lane, (unsigned long long)t.n);
    const mock_dialect *d = mock_dialect_route(req);
    if (!d) {
        char msg[300];
        snprintf(msg, sizeof msg, "mock: no route for %s %.200s", req->method, req->path);
        return send_error(c, &mock_dialect_openai, 404, "invalid_request_error", "unknown_url",
                          msg, id, req->keep_alive);
    }
    mock_lanes_take_step(&t, srv);
    int rc = serve(c, req, d, &t, id);
    mock_lanes_release(&t, srv);
    return rc;
}
