/*
 * lib/core/complete.c: one logical request end to end (DESIGN.md §1): resolve
 * the group, run attempts under one deadline and one attempt budget, settle
 * the usage record, deliver the response or the error, fire the hooks.
 */
#include "common.h"
#include "attempt.h"
#include "buf.h"
#include "errors.h"
#include "gateway.h"
#include "reply.h"
#include "request.h"
#include "response.h"
#include "exec.h"
#include "hedge.h"
#include "../accounting/metrics.h"
#include "../accounting/pricing.h"
#include "../accounting/usage_log.h"

#include <stdio.h>

typedef llmgw__exec exec;

static int64_t now_us(const exec *x)
{
    return llmgw__exec_now(x);
}

/* "req_" and the 16 lowercase hex digits of v ("req_%016llx" without printf). */
static void request_id(char id[21], uint64_t v)
{
    static const char digits[] = "0123456789abcdef";
    int i;

    memcpy(id, "req_", 4);
    for (i = 15; i >= 0; i--) {
        id[4 + i] = digits[v & 0xF];
        v >>= 4;
    }
    id[20] = '\0';
}

static int record_init(exec *x)
{
    char id[21];
    size_t i;
    const char **tags;

    if (llmgw__response_alloc(&x->resp) < 0)
        return LLMGW_ENOMEM;
    x->rec = &x->resp->rec;
    request_id(id, x->rng);
    x->rec->u.stream = x->sink != NULL;
    x->rec->u.start_time_us = x->gw->clock->wall_us(x->gw->clock->self);
    LLMGW_TRY(llmgw__record_str(x->rec, &x->rec->u.request_id, id));
    LLMGW_TRY(llmgw__record_str(x->rec, &x->rec->u.model_requested, llmgw_request_model(x->req)));
    LLMGW_TRY(llmgw__record_str(x->rec, &x->rec->u.customer, x->req->customer));
    LLMGW_TRY(llmgw__record_str(x->rec, &x->rec->u.trace_id, x->req->trace_id));
    LLMGW_TRY(llmgw__record_metadata(x->rec, x->req->metadata));
    if (x->req->tag_count > 0) {
        tags = llmgw__arena_alloc(&x->rec->arena, x->req->tag_count * sizeof(*tags));
        if (tags == NULL)
            return llmgw__error_oom();
        for (i = 0; i < x->req->tag_count; i++)
            LLMGW_TRY(llmgw__record_str(x->rec, &tags[i], x->req->tags[i]));
        x->rec->u.tags = tags;
        x->rec->u.tag_count = x->req->tag_count;
    }
    return 0;
}

static int64_t wall_s(const exec *x)
{
    return x->gw->clock->wall_us(x->gw->clock->self) / 1000000;
}

static void exec_dispose(exec *x)
{
    if (x->ticket_held) {
        llmgw__budgets_settle(x->gw->budgets, &x->ticket, x->reserved_nusd, wall_s(x));
        x->ticket_held = false;
    }
    llmgw__route_dispose(&x->route);
    llmgw__answer_dispose(&x->answer);
    llmgw_response_free(x->resp);     /* NULL once delivered */
}

static bool any_priced(const exec *x)
{
    size_t i;

    for (i = 0; i < x->route.cand.n; i++)
        if (x->route.cand.deps[i]->price_known)
            return true;
    return false;
}

/* Step 2: reserve the estimated cost against every budget of this customer and these tags. */
static int reserve_budget(exec *x)
{
    llmgw_gateway *gw = x->gw;

    if (!llmgw__budgets_any(gw->budgets))
        return 0;
    x->reserved_nusd = llmgw__pricing_estimate(x->route.cand.deps, x->route.cand.n, x->route.est_input,
                                               x->route.max_output);
    if (llmgw__hedge_wanted(x, 0) && x->reserved_nusd > 0 && x->reserved_nusd <= INT64_MAX / 2)
        x->reserved_nusd *= 2;      /* a hedge bills a second call: reserve for both (docs/hedging.md) */
    LLMGW_TRY(llmgw__budgets_reserve(gw->budgets, x->req->customer, (const char *const *)x->req->tags,
                                     x->req->tag_count, x->reserved_nusd, wall_s(x), &x->ticket));
    x->ticket_held = true;
    if (x->ticket.n > 0 && !any_priced(x)) {
        /* a budget applies and nothing here has a price: it could not be enforced, so refuse */
        llmgw__budgets_settle(gw->budgets, &x->ticket, 0, wall_s(x));
        x->ticket_held = false;
        return llmgw__error_setc(LLMGW_EBUDGET, LLMGW_ERRCLASS_BUDGET_EXCEEDED,
                                 "a budget applies to this request but no deployment of group '%.128s' has a "
                                 "known price (set input_cost_per_token and output_cost_per_token)",
                                 llmgw__route_group(&x->route));
    }
    return 0;
}

/* Release the reservation for what was spent (an unknown cost keeps the estimate: never a silent 0). */
static void settle_budget(exec *x)
{
    const llmgw_usage *u = &x->rec->u;
    int64_t actual = u->cost_source == LLMGW_COST_UNKNOWN ? x->reserved_nusd : u->cost_nusd;

    if (!x->ticket_held)
        return;
    llmgw__budgets_settle(x->gw->budgets, &x->ticket, actual < 0 ? 0 : actual, wall_s(x));
    x->ticket_held = false;
}

static void settle_times(exec *x)
{
    llmgw_usage *u = &x->rec->u;

    u->latency_us = now_us(x) - x->start_us;
    if (x->sink != NULL && x->delivery.committed)
        u->ttft_us = x->delivery.first_delta_us - x->start_us;
}

/* Step 7: tokens, cost, status, budget. */
static void settle(exec *x)
{
    llmgw_usage *u = &x->rec->u;

    llmgw__record_sum_tokens(x->rec);
    llmgw__pricing_record(x->rec);
    settle_times(x);
    if (x->success) {
        u->status = 0;
        u->error_class = LLMGW_ERRCLASS_NONE;
        u->http_status = x->last.http_status;
    } else if (x->have_last) {
        u->status = x->last.status;
        u->error_class = x->last.error_class;
        u->http_status = x->last.http_status;
    } else if (x->stop_code != 0) {
        u->status = x->stop_code;
        u->error_class = x->stop_class;
    }
    settle_budget(x);
}

static void fire_usage_hook(const exec *x, const llmgw_usage *u)
{
    llmgw__metrics_record(llmgw__gateway_metrics(x->gw), u);
    if (x->gw->opts.usage_cb != NULL)
        x->gw->opts.usage_cb(u, x->gw->opts.usage_userdata);
    if (x->gw->usage_log != NULL)
        llmgw_usage_log_callback(u, x->gw->usage_log);
}

static int fail(exec *x, int code, int cls, int http, int64_t retry_after, const char *provider,
                const char *msg)
{
    llmgw__error_detail d = { code, cls, http, retry_after, provider };
    const llmgw_attempt *trail = x->rec ? x->rec->trail : NULL;
    size_t ntrail = x->rec ? x->rec->u.attempts : 0;
    char text[1024];

    snprintf(text, sizeof(text), "%s", msg);     /* msg may live in the error being replaced */
    if (x->rec != NULL) {
        x->rec->u.status = code;
        x->rec->u.error_class = cls;
    }
    llmgw__error_setd(&d, "%s", text);
    llmgw__error_set_trail(trail, ntrail);
    if (x->sink != NULL) {
        if (x->sink->on_usage != NULL && x->rec != NULL)
            x->sink->on_usage(&x->rec->u, x->sink->userdata);
        if (x->sink->on_error != NULL)
            x->sink->on_error(llmgw_error_last(), x->sink->userdata);
    }
    if (x->rec != NULL)
        fire_usage_hook(x, &x->rec->u);
    /* the hooks may have used llmgw on this thread: restore the error */
    llmgw__error_setd(&d, "%s", text);
    llmgw__error_set_trail(trail, ntrail);
    return code;
}

static int deliver(exec *x, llmgw_response **out)
{
    llmgw_response *resp = x->resp;
    int rc;

    rc = llmgw__record_str(x->rec, &x->rec->u.response_id, x->answer.id);
    if (rc == 0)
        rc = llmgw__record_str(x->rec, &x->rec->u.finish_reason,
                               llmgw__finish_str(x->answer.finish, x->answer.finish_raw));
    if (rc == 0)
        rc = llmgw__response_take_answer(resp, &x->answer);
    if (rc < 0)
        return fail(x, LLMGW_ENOMEM, LLMGW_ERRCLASS_NONE, 0, -1, NULL, "out of memory");
    x->resp = NULL;
    if (x->sink != NULL) {
        if (x->sink->on_usage != NULL)
            x->sink->on_usage(&resp->rec.u, x->sink->userdata);
        if (x->sink->on_done != NULL)
            x->sink->on_done(resp, x->sink->userdata);
    }
    fire_usage_hook(x, &resp->rec.u);
    llmgw_error_clear();
    if (out != NULL)
        *out = resp;
    else
        llmgw_response_free(resp);
    return 0;
}

static int execute(llmgw_gateway *gw, const llmgw_request *req, const llmgw_stream_sink *sink,
                   llmgw_response **out)
{
    exec x;
    int64_t deadline_ms, prev_deadline;
    bool prev_drop;
    int rc;

    memset(&x, 0, sizeof(x));
    x.gw = gw;
    x.req = req;
    x.sink = sink;
    x.delivery.sink = sink;
    x.rng = llmgw__gateway_seed(gw);
    x.start_us = now_us(&x);
    deadline_ms = req->deadline_ms > 0 ? req->deadline_ms : gw->opts.deadline_ms;
    x.deadline_us = x.start_us + deadline_ms * 1000;
    prev_deadline = llmgw__thread_deadline_set(x.deadline_us);
    prev_drop = llmgw__thread_drop_params_set(gw->opts.drop_params != 0);
    x.last.retry_after_ms = -1;

    if ((rc = record_init(&x)) < 0) {
        rc = fail(&x, rc, LLMGW_ERRCLASS_NONE, 0, -1, NULL, llmgw_error_last()->message);
        goto out;
    }
    if (atomic_load(&req->cancelled)) {
        rc = fail(&x, LLMGW_ECANCELLED, LLMGW_ERRCLASS_CANCELLED, 0, -1, NULL, "the request was cancelled");
        goto out;
    }
    if (llmgw_request_message_count(req) == 0) {
        rc = fail(&x, LLMGW_EINVAL, LLMGW_ERRCLASS_BAD_REQUEST, 0, -1, NULL, "the request has no messages");
        goto out;
    }
    if ((rc = llmgw__route_start(&x.route, gw, req)) < 0) {
        const llmgw_error *e = llmgw_error_last();
        rc = fail(&x, rc, e->error_class, 0, -1, NULL, e->message);
        goto out;
    }
    if ((rc = llmgw__record_str(x.rec, &x.rec->u.group, llmgw__route_group(&x.route))) < 0 ||
        (x.route.rule[0] && (rc = llmgw__record_str(x.rec, &x.rec->u.route_rule, x.route.rule)) < 0)) {
        rc = fail(&x, LLMGW_ENOMEM, LLMGW_ERRCLASS_NONE, 0, -1, NULL, "out of memory");
        goto out;
    }
    if (x.route.cand.n == 0) {
        rc = fail(&x, LLMGW_ENOTFOUND, LLMGW_ERRCLASS_NOT_FOUND, 0, -1, NULL, "the group has no deployments");
        goto out;
    }
    if ((rc = reserve_budget(&x)) < 0) {
        const llmgw_error *e = llmgw_error_last();
        rc = fail(&x, rc, e->error_class, 0, -1, NULL, e->message);
        goto out;
    }
    if ((rc = llmgw__cache_lookup(&x)) != 0) {
        if (rc < 0) {
            const llmgw_error *e = llmgw_error_last();
            settle_times(&x);
            settle_budget(&x);
            rc = fail(&x, rc, e->error_class, 0, -1, NULL, e->message);
            goto out;
        }
        x.success = true;
        settle_times(&x);
        x.rec->u.status = 0;
        x.rec->u.error_class = LLMGW_ERRCLASS_NONE;
        settle_budget(&x);
        rc = deliver(&x, out);
        goto out;
    }
    llmgw__retry_budget_request(&gw->retry_budget, x.start_us);
    rc = llmgw__run_attempts(&x);
    settle(&x);
    if (rc < 0) {
        rc = fail(&x, rc, LLMGW_ERRCLASS_NONE, 0, -1, NULL, rc == LLMGW_ENOMEM ? "out of memory" : "internal error");
        goto out;
    }
    if (x.success) {
        llmgw__cache_store(&x);
        rc = deliver(&x, out);
    } else if (x.stop_class == LLMGW_ERRCLASS_CANCELLED) {
        rc = fail(&x, x.stop_code, x.stop_class, 0, -1, NULL, x.stop_message);
    } else if (x.have_last && (x.stop_code == 0 || x.last.error_class != LLMGW_ERRCLASS_NONE)) {
        /* the last attempt explains the failure; a cooling-down group may say when to come back */
        int64_t ra = x.last.retry_after_ms;
        if (ra < 0 && x.stop_retry_after_ms > 0)
            ra = x.stop_retry_after_ms;
        rc = fail(&x, x.last.status, x.last.error_class, x.last.http_status, ra, x.rec->u.provider,
                  x.last.message);
    } else if (x.stop_code != 0) {
        rc = fail(&x, x.stop_code, x.stop_class, 0, x.stop_retry_after_ms, NULL, x.stop_message);
    } else {
        rc = fail(&x, LLMGW_EUNAVAILABLE, LLMGW_ERRCLASS_SERVER_ERROR, 0, -1, NULL,
                  "no deployment could be tried");
    }
out:
    exec_dispose(&x);
    llmgw__thread_deadline_set(prev_deadline);
    llmgw__thread_drop_params_set(prev_drop);
    return rc;
}

int llmgw_complete(llmgw_gateway *gw, const llmgw_request *req, llmgw_response **out)
{
    LLMGW_CHECK_ARG(out);
    *out = NULL;
    LLMGW_CHECK_ARG(gw);
    LLMGW_CHECK_ARG(req);
    return execute(gw, req, NULL, out);
}

int llmgw_stream_sink_init(llmgw_stream_sink *sink, unsigned int version)
{
    LLMGW_CHECK_ARG(sink);
    if (version == 0 || version > LLMGW_STREAM_SINK_VERSION)
        return llmgw__error_setc(LLMGW_EVERSION, LLMGW_ERRCLASS_CONFIG, "unsupported sink version %u", version);
    memset(sink, 0, sizeof(*sink));
    sink->version = version;
    return 0;
}

int llmgw_complete_stream(llmgw_gateway *gw, const llmgw_request *req, const llmgw_stream_sink *sink,
                          llmgw_response **out)
{
    int rc;

    if (out != NULL)
        *out = NULL;
    LLMGW_CHECK_ARG(sink);
    if (sink->version == 0 || sink->version > LLMGW_STREAM_SINK_VERSION) {
        rc = llmgw__error_setc(LLMGW_EVERSION, LLMGW_ERRCLASS_CONFIG, "unsupported sink version %u",
                               sink->version);
        if (sink->on_error)
            sink->on_error(llmgw_error_last(), sink->userdata);
        return rc;
    }
    if (gw == NULL || req == NULL) {
        rc = llmgw__error_null_arg(gw == NULL ? "gw" : "req", __func__);
        if (sink->on_error)
            sink->on_error(llmgw_error_last(), sink->userdata);
        return rc;
    }
    return execute(gw, req, sink, out);
}
