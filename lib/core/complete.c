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
#include "../accounting/record.h"
#include "../router/policy.h"
#include "../router/select.h"

#include <stdio.h>

#define MIN_ATTEMPT_MS 1000

typedef struct exec {
    llmgw_gateway           *gw;
    const llmgw_request     *req;
    const llmgw_stream_sink *sink;        /* NULL: not streaming */
    llmgw__delivery          delivery;
    llmgw_response          *resp;        /* built in place from the start; its record is the record */
    llmgw__record           *rec;
    llmgw__candidates        cand;
    bool                    *excluded;
    unsigned int            *retries;
    bool                     inline_excluded[16];
    unsigned int             inline_retries[16];
    uint64_t                 rng;
    int64_t                  start_us;
    int64_t                  deadline_us;
    llmgw__answer            answer;
    llmgw__outcome           last;
    bool                     have_last;
    bool                     success;
} exec;

static int64_t now_us(const exec *x)
{
    return x->gw->clock->now_us(x->gw->clock->self);
}

static int record_init(exec *x)
{
    char id[40];
    size_t i;
    const char **tags;

    if (llmgw__response_alloc(&x->resp) < 0)
        return LLMGW_ENOMEM;
    x->rec = &x->resp->rec;
    snprintf(id, sizeof(id), "req_%016llx", (unsigned long long)x->rng);
    x->rec->u.stream = x->sink != NULL;
    x->rec->u.start_time_us = x->gw->clock->wall_us(x->gw->clock->self);
    LLMGW_TRY(llmgw__record_str(x->rec, &x->rec->u.request_id, id));
    LLMGW_TRY(llmgw__record_str(x->rec, &x->rec->u.model_requested, llmgw_request_model(x->req)));
    LLMGW_TRY(llmgw__record_str(x->rec, &x->rec->u.customer, x->req->customer));
    LLMGW_TRY(llmgw__record_str(x->rec, &x->rec->u.trace_id, x->req->trace_id));
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

static int track_init(exec *x)
{
    x->excluded = x->inline_excluded;
    x->retries = x->inline_retries;
    if (x->cand.n > LLMGW_ARRAY_SIZE(x->inline_excluded)) {
        x->excluded = llmgw__calloc(x->cand.n, sizeof(*x->excluded));
        x->retries = llmgw__calloc(x->cand.n, sizeof(*x->retries));
        if (x->excluded == NULL || x->retries == NULL)
            return llmgw__error_oom();
    }
    return 0;
}

static void exec_dispose(exec *x)
{
    if (x->excluded != x->inline_excluded)
        llmgw__free(x->excluded);
    if (x->retries != x->inline_retries)
        llmgw__free(x->retries);
    llmgw__candidates_dispose(&x->cand);
    llmgw__answer_dispose(&x->answer);
    llmgw_response_free(x->resp);     /* NULL once delivered */
}

static int add_trail(exec *x, const llmgw__attempt *a, int64_t wait_us)
{
    llmgw_attempt t;
    llmgw_token_counts c;

    memset(&t, 0, sizeof(t));
    t.deployment = a->dep->id;
    t.provider = a->dep->provider_id;
    t.model = a->dep->model;
    t.status = a->outcome.status;
    t.error_class = a->outcome.error_class;
    t.http_status = a->outcome.http_status;
    t.billed = a->outcome.sent && (a->outcome.status == 0 || a->outcome.http_status == 0 ||
                                   (a->outcome.http_status >= 200 && a->outcome.http_status < 300));
    if (llmgw_reply_get_usage(&a->reply, &c)) {
        t.usage_known = 1;
        t.input_tokens = c.input_tokens;
        t.output_tokens = c.output_tokens;
        t.cache_read_tokens = c.cache_read_tokens;
        t.cache_creation_tokens = c.cache_creation_tokens;
        t.reasoning_tokens = c.reasoning_tokens;
    }
    t.cost_source = LLMGW_COST_UNKNOWN;
    t.latency_us = a->latency_us;
    t.wait_us = wait_us;
    t.retry_after_ms = a->outcome.retry_after_ms;
    return llmgw__record_add_attempt(x->rec, &t, NULL);
}

/* Deployments that share the failed one's credential cannot help after auth or quota errors. */
static void exclude_same_credential(exec *x, size_t failed)
{
    const char *key = x->cand.deps[failed]->api_key;
    size_t i;

    for (i = 0; i < x->cand.n; i++) {
        const char *k = x->cand.deps[i]->api_key;
        if (strcmp(x->cand.deps[i]->provider_id, x->cand.deps[failed]->provider_id) == 0 &&
            ((k == NULL && key == NULL) || (k && key && strcmp(k, key) == 0)))
            x->excluded[i] = true;
    }
}

/*
 * After a failed attempt on deployment `cur`: the next deployment and the
 * wait before it, or -1 to stop.
 */
static long next_step(exec *x, size_t cur, const llmgw__outcome *o, int64_t *wait_us)
{
    int64_t remaining_ms = (x->deadline_us - now_us(x)) / 1000;
    int64_t min_attempt = LLMGW_MIN(MIN_ATTEMPT_MS, (int64_t)(x->gw->opts.deadline_ms / 4));
    long other;

    *wait_us = 0;
    if (o->committed || o->status == LLMGW_EUSER || o->error_class == LLMGW_ERRCLASS_CANCELLED)
        return -1;
    if (o->error_class == LLMGW_ERRCLASS_AUTH || o->error_class == LLMGW_ERRCLASS_QUOTA_EXCEEDED)
        exclude_same_credential(x, cur);
    /* fail over first: a ready alternative beats sleeping (429, 5xx, network) */
    if (o->failover) {
        bool was = x->excluded[cur];
        x->excluded[cur] = true;
        other = llmgw__select(&x->cand, x->excluded, &x->rng);
        if (other >= 0) {
            if (remaining_ms < min_attempt)
                return -1;
            x->rec->u.fallbacks++;
            return other;
        }
        x->excluded[cur] = was;
    }
    if (x->excluded[cur])
        return -1;
    if (o->retry == LLMGW__RETRY_NO || (o->retry == LLMGW__RETRY_ONCE && x->retries[cur] >= 1))
        return -1;
    if (o->retry_after_ms >= 0) {
        int64_t hint = o->retry_after_ms;
        if (hint > LLMGW__MAX_SERVER_DELAY_MS || hint >= remaining_ms - min_attempt)
            return -1;      /* too far away: the caller gets retry_after_ms */
        *wait_us = hint * 1000 + (int64_t)llmgw__rand_below(&x->rng, (uint64_t)hint * 100 + 1);
    } else {
        *wait_us = llmgw__backoff_us(x->retries[cur] + 1, &x->rng);
    }
    if (*wait_us / 1000 + min_attempt > remaining_ms)
        return -1;
    x->retries[cur]++;
    return (long)cur;
}

static int run_attempts(exec *x)
{
    unsigned int n;
    int64_t wait_us = 0;
    long cur;

    cur = llmgw__select(&x->cand, x->excluded, &x->rng);
    for (n = 0; cur >= 0 && n < x->gw->opts.max_attempts; n++) {
        llmgw__attempt a;
        int rc;

        if (wait_us > 0)
            x->gw->clock->sleep_us(x->gw->clock->self, wait_us);
        memset(&a, 0, sizeof(a));
        a.gw = x->gw;
        a.dep = x->cand.deps[cur];
        a.req = x->req;
        a.stream = x->sink != NULL;
        a.delivery = x->sink ? &x->delivery : NULL;
        a.deadline_us = x->deadline_us;
        atomic_fetch_add(&x->cand.deps[cur]->in_flight, 1);
        rc = llmgw__attempt_run(&a);
        atomic_fetch_sub(&x->cand.deps[cur]->in_flight, 1);
        if (rc < 0) {
            llmgw__attempt_dispose(&a);
            return rc;
        }
        if (add_trail(x, &a, wait_us) < 0) {
            llmgw__attempt_dispose(&a);
            return LLMGW_ENOMEM;
        }
        x->last = a.outcome;
        x->have_last = true;
        LLMGW_TRY(llmgw__record_str(x->rec, &x->rec->u.provider, a.dep->provider_id));
        LLMGW_TRY(llmgw__record_str(x->rec, &x->rec->u.deployment, a.dep->id));
        LLMGW_TRY(llmgw__record_str(x->rec, &x->rec->u.api_base, a.dep->api_base));
        if (a.outcome.status == 0) {
            llmgw__answer_take(&x->answer, &a.reply);
            llmgw__attempt_dispose(&a);
            llmgw__answer_finalize(&x->answer);
            LLMGW_TRY(llmgw__record_str(x->rec, &x->rec->u.model,
                                        x->answer.model ? x->answer.model : a.dep->model));
            x->success = true;
            return 0;
        }
        llmgw__log(x->gw, LLMGW_LOG_INFO, "attempt %u on %s failed: %s", n + 1, a.dep->id, a.outcome.message);
        llmgw__attempt_dispose(&a);
        LLMGW_TRY(llmgw__record_str(x->rec, &x->rec->u.model, a.dep->model));
        cur = next_step(x, (size_t)cur, &x->last, &wait_us);
    }
    return 0;
}

static void settle(exec *x)
{
    llmgw_usage *u = &x->rec->u;

    llmgw__record_sum_tokens(x->rec);
    u->latency_us = now_us(x) - x->start_us;
    if (x->sink != NULL && x->delivery.committed)
        u->ttft_us = x->delivery.first_delta_us - x->start_us;
    u->cost_source = LLMGW_COST_UNKNOWN;
    if (x->success) {
        u->status = 0;
        u->error_class = LLMGW_ERRCLASS_NONE;
        u->http_status = x->last.http_status;
    } else if (x->have_last) {
        u->status = x->last.status;
        u->error_class = x->last.error_class;
        u->http_status = x->last.http_status;
    }
}

static void fire_usage_hook(const exec *x, const llmgw_usage *u)
{
    if (x->gw->opts.usage_cb != NULL)
        x->gw->opts.usage_cb(u, x->gw->opts.usage_userdata);
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
    int64_t deadline_ms;
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
    x.last.retry_after_ms = -1;

    if ((rc = record_init(&x)) < 0) {
        rc = fail(&x, rc, LLMGW_ERRCLASS_NONE, 0, -1, NULL, llmgw_error_last()->message);
        goto out;
    }
    if (llmgw_request_message_count(req) == 0) {
        rc = fail(&x, LLMGW_EINVAL, LLMGW_ERRCLASS_BAD_REQUEST, 0, -1, NULL, "the request has no messages");
        goto out;
    }
    if ((rc = llmgw__gateway_resolve(gw, llmgw_request_model(req), &x.cand)) < 0) {
        const llmgw_error *e = llmgw_error_last();
        rc = fail(&x, rc, e->error_class, 0, -1, NULL, e->message);
        goto out;
    }
    if ((rc = llmgw__record_str(x.rec, &x.rec->u.group, x.cand.group)) < 0 || (rc = track_init(&x)) < 0) {
        rc = fail(&x, LLMGW_ENOMEM, LLMGW_ERRCLASS_NONE, 0, -1, NULL, "out of memory");
        goto out;
    }
    if (x.cand.n == 0) {
        rc = fail(&x, LLMGW_ENOTFOUND, LLMGW_ERRCLASS_NOT_FOUND, 0, -1, NULL, "the group has no deployments");
        goto out;
    }
    rc = run_attempts(&x);
    settle(&x);
    if (rc < 0) {
        rc = fail(&x, rc, LLMGW_ERRCLASS_NONE, 0, -1, NULL, rc == LLMGW_ENOMEM ? "out of memory" : "internal error");
        goto out;
    }
    if (x.success) {
        rc = deliver(&x, out);
    } else if (x.have_last) {
        rc = fail(&x, x.last.status, x.last.error_class, x.last.http_status, x.last.retry_after_ms,
                  x.rec->u.provider, x.last.message);
    } else {
        rc = fail(&x, LLMGW_EUNAVAILABLE, LLMGW_ERRCLASS_SERVER_ERROR, 0, -1, NULL,
                  "no deployment could be tried");
    }
out:
    exec_dispose(&x);
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
