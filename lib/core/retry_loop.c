/*
 * lib/core/retry_loop.c: the one retry loop (docs/resilience.md §b). It owns
 * the attempt budget across retries, failovers and fallback groups, checks
 * each deployment's health and limits before every attempt, honours the
 * current attempt's retry-after within the deadline and the retry budget,
 * and never starts an attempt that cannot finish.
 */
#include "common.h"
#include "attempt.h"
#include "errors.h"
#include "request.h"
#include "exec.h"
#include "hedge.h"
#include "../router/health.h"
#include "../accounting/metrics.h"
#include "../router/ratelimit.h"
#include "../accounting/pricing.h"

#include <stdarg.h>
#include <stdio.h>

static int64_t min_attempt_us(const llmgw__exec *x)
{
    return llmgw__exec_min_attempt_us(x);
}

/* Output tokens of what an attempt received, counted locally (about 4 bytes a token). */
static uint64_t output_estimate(const llmgw_reply *r)
{
    uint64_t bytes = r->a.text.size + r->a.reasoning.size;
    size_t i;

    for (i = 0; i < r->a.ncalls; i++)
        bytes += r->a.calls[i].args.size + (r->a.calls[i].name ? strlen(r->a.calls[i].name) : 0);
    return (bytes + 3) / 4;
}

static int add_trail(llmgw__exec *x, const llmgw__attempt *a, int64_t wait_us)
{
    llmgw_attempt t;
    llmgw_token_counts c;

    memset(&t, 0, sizeof(t));
    t.deployment = a->dep->id;
    t.provider = a->dep->provider_id;
    t.model = a->dep->model;
    t.group = x->route.cand.group;              /* settled before any switch to a fallback group */
    if (x->route.rule[0] != '\0' && x->route.nvisited > 0 && x->route.cand.group == x->route.visited[0])
        t.route_rule = x->route.rule;           /* the rules chose this group; fallback groups have none */
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
    llmgw__pricing_attempt(a->dep, &t, x->route.est_input, output_estimate(&a->reply));
    t.latency_us = a->latency_us;
    t.wait_us = wait_us;
    t.retry_after_ms = a->outcome.retry_after_ms;
    return llmgw__record_add_attempt(x->rec, &t, NULL);
}

static void stop_with(llmgw__exec *x, int code, int cls, int64_t retry_at_us, const char *fmt, ...)
    LLMGW_PRINTF(5, 6);

static void stop_with(llmgw__exec *x, int code, int cls, int64_t retry_at_us, const char *fmt, ...)
{
    va_list ap;

    x->stop_code = code;
    x->stop_class = cls;
    x->stop_retry_after_ms = retry_at_us > 0 ? (retry_at_us - llmgw__exec_now(x) + 999) / 1000 : -1;
    if (x->stop_retry_after_ms == 0)
        x->stop_retry_after_ms = 1;
    va_start(ap, fmt);
    vsnprintf(x->stop_message, sizeof(x->stop_message), fmt, ap);
    va_end(ap);
}

/* Deployments this request lost to other requests at admission count as limited, not failed. */
static void merge_races(llmgw__exec *x)
{
    llmgw__route_why *w = &x->route.why;

    w->rate_limited += x->raced_rate;
    w->busy += x->raced_busy;
    if (x->raced_until_us > 0 && (w->soonest_us == 0 || x->raced_until_us < w->soonest_us))
        w->soonest_us = x->raced_until_us;
}

/* Nothing in the current group can be tried: say why (only when no attempt explains it better). */
static void nothing_eligible(llmgw__exec *x)
{
    const llmgw__route_why *w = &x->route.why;
    const char *g = llmgw__route_group(&x->route);

    if (w->too_small > 0 && w->open + w->rate_limited + w->busy == 0 && !x->have_last)
        stop_with(x, LLMGW_EPROVIDER, LLMGW_ERRCLASS_CONTEXT_LENGTH_EXCEEDED, 0,
                  "no deployment of group '%s' has a context window for ~%llu input + %llu output tokens",
                  g, (unsigned long long)x->route.est_input, (unsigned long long)x->route.max_output);
    else if (w->untagged > 0 && w->open + w->rate_limited + w->busy + w->too_small == 0 && !x->have_last)
        stop_with(x, LLMGW_ENOTFOUND, LLMGW_ERRCLASS_NOT_FOUND, 0,
                  "no deployment of group '%s' carries a tag of this request (tag routing)", g);
    else if (w->rate_limited + w->busy > 0 && w->open == 0)
        stop_with(x, LLMGW_ERATELIMIT, LLMGW_ERRCLASS_RATE_LIMIT, w->soonest_us > 0 ? w->soonest_us
                                                                                   : llmgw__exec_now(x) + 100000,
                  "every deployment of group '%s' is at its rate or parallel limit", g);
    else if (w->open > 0 && w->held_rate_limit + w->held_quota == w->open)
        /* held only by the upstreams' own 429s and quota errors: a rate limit, not an outage */
        stop_with(x, LLMGW_ERATELIMIT,
                  w->held_quota == w->open ? LLMGW_ERRCLASS_QUOTA_EXCEEDED : LLMGW_ERRCLASS_RATE_LIMIT,
                  w->soonest_us, "every deployment of group '%s' is held after rate-limit or quota errors", g);
    else if (w->open > 0)
        stop_with(x, LLMGW_EUNAVAILABLE, LLMGW_ERRCLASS_SERVER_ERROR, w->soonest_us,
                  "every deployment of group '%s' is cooling down (circuit open or held after errors)", g);
    else
        stop_with(x, LLMGW_EUNAVAILABLE, LLMGW_ERRCLASS_SERVER_ERROR, 0,
                  "no deployment of group '%s' is left to try", g);
}

/* The fallback kind a failure calls for. */
static int fallback_kind(const llmgw__outcome *o)
{
    if (o->error_class == LLMGW_ERRCLASS_CONTEXT_LENGTH_EXCEEDED)
        return LLMGW_FALLBACK_CONTEXT_WINDOW;
    if (o->error_class == LLMGW_ERRCLASS_CONTENT_POLICY)
        return LLMGW_FALLBACK_CONTENT_POLICY;
    return o->failover ? LLMGW_FALLBACK_DEFAULT : -1;
}

/* Retries of the same deployment this outcome allows (policy overrides included). */
static unsigned int retry_limit(const llmgw__exec *x, const llmgw__outcome *o)
{
    int policy;

    if (o->retry == LLMGW__RETRY_NO)
        return 0;
    policy = atomic_load(&x->gw->retry_policy[o->error_class]);
    if (policy >= 0)
        return (unsigned int)policy;
    return o->retry == LLMGW__RETRY_ONCE ? 1 : UINT32_MAX;
}

/*
 * The wait before retrying the same deployment, or -1 when it should not be
 * retried: the server's hint (plus up to 10 % jitter), else backoff, and never
 * before the deployment's own hold or breaker lets it be tried again.
 */
static int64_t retry_wait(llmgw__exec *x, llmgw__deployment *d, const llmgw__outcome *o,
                          unsigned int nth, int64_t now, int64_t remaining)
{
    int64_t wait, until = 0;

    if (o->retry_after_ms >= 0) {
        int64_t hint = o->retry_after_ms;
        if (hint > LLMGW__MAX_SERVER_DELAY_MS)
            return -1;      /* too far away: the caller gets retry_after_ms */
        wait = hint * 1000 + (int64_t)llmgw__rand_below(&x->rng, (uint64_t)hint * 100 + 1);
    } else {
        wait = llmgw__backoff_us(nth, &x->rng);
    }
    if (llmgw__health_peek(&d->health, now, &until) == LLMGW__DENY &&
        until - now > wait)
        wait = until - now;
    if (wait > (int64_t)LLMGW__MAX_SERVER_DELAY_MS * 1000)
        return -1;
    return wait + min_attempt_us(x) > remaining ? -1 : wait;
}

/* Warn when this opening left a group with no closed member (never silently). */
static void warn_if_group_blank(llmgw__exec *x, const llmgw__deployment *d)
{
    size_t i;
    int64_t now = llmgw__exec_now(x), until;

    for (i = 0; i < x->route.cand.n; i++)
        if (llmgw__health_peek(&x->route.cand.deps[i]->health, now, &until) != LLMGW__DENY)
            return;
    llmgw__log(x->gw, LLMGW_LOG_WARN, "circuit opened on %s: every deployment of group '%s' is now open",
               d->id, llmgw__route_group(&x->route));
}

/* Wait before a retry in slices, so a cancellation ends it early. False when cancelled. */
static bool cancelled_sleep(llmgw__exec *x, int64_t wait_us)
{
    const int64_t slice = 100000;

    while (wait_us > 0) {
        int64_t d = LLMGW_MIN(wait_us, slice);
        if (atomic_load(&x->req->cancelled))
            break;
        x->gw->clock->sleep_us(x->gw->clock->self, d);
        wait_us -= d;
    }
    if (!atomic_load(&x->req->cancelled))
        return true;
    stop_with(x, LLMGW_ECANCELLED, LLMGW_ERRCLASS_CANCELLED, 0, "the request was cancelled");
    return false;
}

typedef enum { NEXT_STOP, NEXT_PICK, NEXT_RETRY } next_kind;

/* After a failed attempt on `cur`: what next (and the wait for a retry). */
static next_kind decide(llmgw__exec *x, size_t cur, const llmgw__outcome *o, int64_t *wait_us)
{
    int64_t now = llmgw__exec_now(x), remaining = x->deadline_us - now;
    unsigned int limit;
    int kind;

    *wait_us = 0;
    if (o->committed || o->status == LLMGW_EUSER || o->error_class == LLMGW_ERRCLASS_CANCELLED)
        return NEXT_STOP;
    if (remaining < min_attempt_us(x))
        return NEXT_STOP;
    if (o->error_class == LLMGW_ERRCLASS_AUTH || o->error_class == LLMGW_ERRCLASS_QUOTA_EXCEEDED)
        llmgw__route_exclude_credential(&x->route, cur);    /* never the same credential again */
    /* a ready alternative in the group beats sleeping (429, 5xx, network) */
    if (o->failover) {
        bool was = x->route.excluded[cur];
        x->route.excluded[cur] = true;
        if (llmgw__route_pick(&x->route, now, -1, &x->rng) >= 0) {
            x->rec->u.fallbacks++;
            return NEXT_PICK;
        }
        x->route.excluded[cur] = was;
    }
    limit = retry_limit(x, o);
    if (!x->route.excluded[cur] && x->route.retries[cur] < limit) {
        int64_t w = retry_wait(x, x->route.cand.deps[cur], o, x->route.retries[cur] + 1, now, remaining);
        if (w >= 0) {
            x->route.retries[cur]++;
            *wait_us = w;
            return NEXT_RETRY;
        }
    }
    /* this group is done for this request: a fallback group, if the failure calls for one */
    kind = fallback_kind(o);
    if (kind >= 0 && llmgw__route_fallback(&x->route, kind) == 0) {
        x->rec->u.fallbacks++;
        x->raced_rate = x->raced_busy = 0;
        x->raced_until_us = 0;
        return NEXT_PICK;
    }
    return NEXT_STOP;
}

static int record_route(llmgw__exec *x, const llmgw__deployment *d)
{
    LLMGW_TRY(llmgw__record_str(x->rec, &x->rec->u.provider, d->provider_id));
    LLMGW_TRY(llmgw__record_str(x->rec, &x->rec->u.deployment, d->id));
    LLMGW_TRY(llmgw__record_str(x->rec, &x->rec->u.api_base, d->api_base));
    return llmgw__record_str(x->rec, &x->rec->u.group, llmgw__route_group(&x->route));
}

static void neutral_probe_report(llmgw__exec *x, llmgw__deployment *d, int64_t now)
{
    llmgw__outcome neutral;

    memset(&neutral, 0, sizeof(neutral));
    neutral.status = LLMGW_ECANCELLED;
    neutral.error_class = LLMGW_ERRCLASS_CANCELLED;
    llmgw__health_report(&d->health, &x->gw->health_cfg, now, true, &neutral, &x->rng);
}

/* Take what an attempt on d needs: the breaker's admission, a rate-limit slot, a parallel slot. */
int llmgw__exec_admit(llmgw__exec *x, llmgw__run *r, long idx, int64_t now)
{
    llmgw__deployment *d = x->route.cand.deps[idx];
    int64_t until = 0, wait;
    int a = llmgw__health_acquire(&d->health, now, &until);

    memset(r, 0, sizeof(*r));
    r->idx = idx;
    if (a == LLMGW__DENY)
        return -1;
    r->probe = a == LLMGW__ADMIT_PROBE;
    if ((wait = llmgw__limiter_admit(&d->limiter, now, d->rpm, d->tpm, true)) > 0) {
        /* another request (or process, through Redis) took the last slot: a rate limit, not a failure */
        x->raced_rate++;
        if (x->raced_until_us == 0 || now + wait < x->raced_until_us)
            x->raced_until_us = now + wait;
        goto undo;
    }
    /* the parallel slot (shared through Redis when configured); in_flight feeds least-busy */
    if (!llmgw__limiter_parallel_acquire(&d->limiter, d->max_parallel, &r->slot)) {
        x->raced_busy++;
        goto undo;
    }
    atomic_fetch_add(&d->in_flight, 1);
    return 0;
undo:
    if (r->probe)
        neutral_probe_report(x, d, now);
    return -1;
}

void llmgw__exec_unadmit(llmgw__exec *x, llmgw__run *r, int64_t now)
{
    llmgw__deployment *d = x->route.cand.deps[r->idx];

    atomic_fetch_sub(&d->in_flight, 1);
    llmgw__limiter_parallel_release(&d->limiter, &r->slot);
    if (r->probe)
        neutral_probe_report(x, d, now);
    r->released = true;
}

void llmgw__exec_prepare(llmgw__exec *x, llmgw__run *r)
{
    llmgw__attempt *a = &r->a;

    memset(a, 0, sizeof(*a));
    a->gw = x->gw;
    a->dep = x->route.cand.deps[r->idx];
    a->req = x->req;
    a->stream = x->sink != NULL;
    a->delivery = x->sink ? &x->delivery : NULL;
    a->deadline_us = x->deadline_us;
    a->cancel = &x->req->cancelled;
}

void llmgw__exec_release(llmgw__exec *x, llmgw__run *r)
{
    llmgw__deployment *d = x->route.cand.deps[r->idx];
    llmgw_token_counts c;
    int64_t now;

    if (r->released)
        return;
    r->released = true;
    atomic_fetch_sub(&d->in_flight, 1);
    llmgw__limiter_parallel_release(&d->limiter, &r->slot);
    if (!r->ran)
        return;
    now = llmgw__exec_now(x);
    if (llmgw_reply_get_usage(&r->a.reply, &c))
        llmgw__limiter_tokens(&d->limiter, now, c.input_tokens + c.output_tokens);
    if (r->a.outcome.status == 0)
        llmgw__limiter_latency(&d->limiter, r->a.latency_us, c.output_tokens);
}

int llmgw__exec_settle(llmgw__exec *x, llmgw__run *r)
{
    llmgw__deployment *d = x->route.cand.deps[r->idx];
    int64_t now = llmgw__exec_now(x);

    llmgw__exec_release(x, r);
    if (llmgw__health_report(&d->health, &x->gw->health_cfg, now, r->probe, &r->a.outcome, &x->rng)) {
        llmgw__metrics_breaker_opened(llmgw__gateway_metrics(x->gw), d->id);
        warn_if_group_blank(x, d);
    }
    return add_trail(x, &r->a, r->wait_us);
}

/* Settle and dispose of the attempts of one step (the first, and a hedge when one ran). */
static int settle_runs(llmgw__exec *x, llmgw__run *first, llmgw__run *second)
{
    int rc = llmgw__exec_settle(x, first);

    if (second->ran && llmgw__exec_settle(x, second) < 0)
        rc = LLMGW_ENOMEM;
    return rc;
}

static void dispose_runs(llmgw__run *first, llmgw__run *second)
{
    llmgw__attempt_dispose(&first->a);
    if (second->ran)
        llmgw__attempt_dispose(&second->a);
}

/* The step failed (out of memory): give back what the attempts took; a probe reports nothing learned. */
static void abandon_runs(llmgw__exec *x, llmgw__run *first, llmgw__run *second)
{
    llmgw__run *r[2] = { first, second };
    int i;

    for (i = 0; i < 2; i++) {
        if (i == 1 && !second->ran)
            break;
        llmgw__exec_release(x, r[i]);
        if (r[i]->probe)
            neutral_probe_report(x, x->route.cand.deps[r[i]->idx], llmgw__exec_now(x));
    }
    dispose_runs(first, second);
}

/* A failed attempt that is not the one deciding what comes next: log it, and fail over from it. */
static void side_failure(llmgw__exec *x, const llmgw__run *r, unsigned int nth)
{
    const llmgw__outcome *o = &r->a.outcome;

    if (o->status == 0 || (o->error_class == LLMGW_ERRCLASS_CANCELLED && o->status == LLMGW_ECANCELLED))
        return;
    llmgw__log(x->gw, LLMGW_LOG_INFO, "attempt %u on %s failed: %s", nth, r->a.dep->id, o->message);
    if (o->failover)
        x->route.excluded[r->idx] = true;
}

int llmgw__run_attempts(llmgw__exec *x)
{
    unsigned int n = 0;
    int64_t wait_us = 0;
    long cur, pin = -1;
    int skips = 0;

    while (n < x->gw->opts.max_attempts) {
        llmgw__deployment *d;
        llmgw__run first, second, *res;
        int64_t now;
        int rc;

        if (wait_us > 0 && !cancelled_sleep(x, wait_us))
            break;
        if (atomic_load(&x->req->cancelled)) {
            stop_with(x, LLMGW_ECANCELLED, LLMGW_ERRCLASS_CANCELLED, 0, "the request was cancelled");
            break;
        }
        now = llmgw__exec_now(x);
        if (n > 0 && x->deadline_us - now < min_attempt_us(x))
            break;
        cur = llmgw__route_pick(&x->route, now, pin, &x->rng);
        if (cur < 0 && pin >= 0) {
            pin = -1;          /* the deployment to retry became ineligible: choose again */
            wait_us = 0;
            continue;
        }
        if (cur < 0) {
            int kind = x->route.why.too_small > 0 ? LLMGW_FALLBACK_CONTEXT_WINDOW : LLMGW_FALLBACK_DEFAULT;
            llmgw__route_why why = x->route.why;
            if (llmgw__route_fallback(&x->route, kind) == 0) {
                x->rec->u.fallbacks++;
                x->raced_rate = x->raced_busy = 0;
                x->raced_until_us = 0;
                wait_us = 0;
                continue;
            }
            x->route.why = why;
            merge_races(x);
            nothing_eligible(x);
            break;
        }
        if (llmgw__exec_admit(x, &first, cur, now) < 0) {
            /* lost a race for the probe or the last slot: look again, a bounded number of times */
            x->route.excluded[cur] = true;
            pin = -1;
            wait_us = 0;
            if (++skips > 64) {
                merge_races(x);
                nothing_eligible(x);
                break;
            }
            continue;
        }
        if (n > 0 && !llmgw__retry_budget_take(&x->gw->retry_budget, now, x->gw->opts.retry_budget_percent)) {
            llmgw__exec_unadmit(x, &first, now);
            llmgw__log(x->gw, LLMGW_LOG_WARN, "retry budget exhausted: no further attempt for this request");
            break;
        }
        first.wait_us = wait_us;
        llmgw__exec_prepare(x, &first);
        memset(&second, 0, sizeof(second));
        if (llmgw__hedge_wanted(x, n)) {
            rc = llmgw__hedge_run(x, &first, &second, &res);
        } else {
            rc = llmgw__attempt_run(&first.a);
            first.ran = true;
            res = &first;
        }
        n += second.ran ? 2u : 1u;
        if (rc < 0) {
            abandon_runs(x, &first, &second);
            return rc;
        }
        cur = res->idx;
        d = x->route.cand.deps[cur];
        if (settle_runs(x, &first, &second) < 0 || record_route(x, d) < 0) {
            dispose_runs(&first, &second);
            return LLMGW_ENOMEM;
        }
        x->last = res->a.outcome;
        x->have_last = true;
        if (second.ran)
            side_failure(x, res == &first ? &second : &first, res == &first ? n : n - 1);
        if (res->a.outcome.status == 0) {
            llmgw__answer_take(&x->answer, &res->a.reply);
            dispose_runs(&first, &second);
            llmgw__answer_finalize(&x->answer);
            LLMGW_TRY(llmgw__record_str(x->rec, &x->rec->u.model, x->answer.model ? x->answer.model : d->model));
            x->success = true;
            return 0;
        }
        llmgw__log(x->gw, LLMGW_LOG_INFO, "attempt %u on %s failed: %s", n, d->id, res->a.outcome.message);
        dispose_runs(&first, &second);
        LLMGW_TRY(llmgw__record_str(x->rec, &x->rec->u.model, d->model));
        switch (decide(x, (size_t)cur, &x->last, &wait_us)) {
        case NEXT_RETRY:
            pin = cur;
            break;
        case NEXT_PICK:
            pin = -1;
            wait_us = 0;
            break;
        case NEXT_STOP:
        default:
            return 0;
        }
    }
    return 0;
}
