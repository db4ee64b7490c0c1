/*
 * lib/core/hedge.c: request hedging (docs/hedging.md).
 *
 * The first attempt runs on the request's thread as usual. A helper thread
 * waits hedge_after_ms; if by then the first has neither delivered a stream
 * event nor ended, it admits a second deployment of the group (breaker,
 * rate limit, parallel slot, the process-wide retry budget) and runs the
 * same request there. Each attempt streams into its own gate: the first to
 * deliver an event claims the win and cancels the other through the other's
 * own cancel flag (the transfer loop looks at it every 20 ms). The first
 * attempt's events go straight to the sink; the second's are queued and
 * delivered by the request's thread, so callbacks never run elsewhere. Not
 * streaming, the first complete answer wins. An attempt that fails before
 * anyone won leaves the race to the other. The helper is joined before
 * llmgw__hedge_run returns, and nothing it touches outlives the call.
 *
 * Ownership of the exec while the helper runs: from its start until it has
 * decided whether to hedge (h->decided), the helper alone touches x->route,
 * x->rng and the raced_* counters; the request's thread is inside the first
 * attempt then, and waits for the decision before it touches them again.
 */
#include "common.h"
#include "attempt.h"
#include "clock.h"
#include "errors.h"
#include "exec.h"
#include "hedge.h"
#include "request.h"

#include <pthread.h>
#include <stdio.h>
#include <time.h>

enum { EV_TEXT, EV_REASONING, EV_TOOL };

/* A stream event of the second attempt, waiting for the request's thread. */
typedef struct hedge_event {
    struct hedge_event *next;
    int                 kind;
    size_t              index;
    const char         *id;          /* tool calls: NULL or into the block */
    const char         *name;
    const char         *data;
    size_t              len;
} hedge_event;

struct hedge;

typedef struct side {
    struct hedge     *h;
    int               which;        /* 0: the first attempt, 1: the hedge */
    llmgw_stream_sink gate;         /* what this attempt's deltas are delivered to */
    llmgw__delivery   delivery;
    atomic_int        cancel;       /* set when the other won */
    bool              ended;        /* its attempt returned */
    bool              ended_unclaimed;  /* it ended while nobody had won: its own outcome stands */
} side;

typedef struct hedge {
    llmgw__exec     *x;
    llmgw__run      *first, *second;
    pthread_mutex_t  mu;
    pthread_cond_t   cv;            /* CLOCK_MONOTONIC */
    side             s[2];
    int              winner;        /* -1 until claimed */
    int              last_ended;    /* which ended last */
    bool             decided, started;
    bool             user_stop;     /* a sink callback returned non-zero for a relayed event */
    bool             relay_oom;
    hedge_event     *head, **tail;
    struct timespec  hedge_at;
    int64_t          first_start_us;
    int              second_rc;
} hedge;

bool llmgw__hedge_wanted(const llmgw__exec *x, unsigned int attempts)
{
    const llmgw_gateway_options *o = &x->gw->opts;
    int64_t left;

    /* one hedge per request, only on its first attempt (no earlier failure: not an outage) */
    if (o->hedge_after_ms <= 0 || attempts != 0 || o->max_attempts < 2 || x->route.cand.n < 2)
        return false;
    left = x->deadline_us - llmgw__exec_now(x);
    return left - o->hedge_after_ms * 1000 >= llmgw__exec_min_attempt_us(x);
}

/* Locked. */
static void claim(hedge *h, int which)
{
    h->winner = which;
    atomic_store(&h->s[1 - which].cancel, 1);
    pthread_cond_broadcast(&h->cv);
}

static int to_sink(const llmgw_stream_sink *sink, int kind, size_t index, const char *id, const char *name,
                   const char *data, size_t len)
{
    llmgw_tool_call_delta d;

    switch (kind) {
    case EV_TEXT:
        return sink->on_text ? sink->on_text(data, len, sink->userdata) : 0;
    case EV_REASONING:
        return sink->on_reasoning ? sink->on_reasoning(data, len, sink->userdata) : 0;
    default:
        if (sink->on_tool_call == NULL)
            return 0;
        d.index = index;
        d.id = id;
        d.name = name;
        d.arguments = data;
        d.arguments_len = len;
        return sink->on_tool_call(&d, sink->userdata);
    }
}

static bool add_len(size_t *total, size_t n)
{
    if (n >= SIZE_MAX - *total)
        return false;
    *total += n + 1;
    return true;
}

/* Locked. Queue a copy of a delta for the request's thread; non-zero stops the attempt. */
static int enqueue(hedge *h, int kind, size_t index, const char *id, const char *name, const char *data,
                   size_t len)
{
    size_t idl = id ? strlen(id) : 0, namel = name ? strlen(name) : 0, total = sizeof(hedge_event);
    hedge_event *ev;
    char *p;

    if (h->user_stop || h->relay_oom)
        return 1;
    if (!add_len(&total, idl) || !add_len(&total, namel) || !add_len(&total, len) ||
        (ev = llmgw__malloc(total)) == NULL) {
        h->relay_oom = true;
        return 1;
    }
    memset(ev, 0, sizeof(*ev));
    p = (char *)(ev + 1);
    ev->kind = kind;
    ev->index = index;
    if (id != NULL) {
        memcpy(p, id, idl + 1);
        ev->id = p;
        p += idl + 1;
    }
    if (name != NULL) {
        memcpy(p, name, namel + 1);
        ev->name = p;
        p += namel + 1;
    }
    if (len > 0)
        memcpy(p, data, len);
    p[len] = '\0';
    ev->data = p;
    ev->len = len;
    *h->tail = ev;
    h->tail = &ev->next;
    pthread_cond_broadcast(&h->cv);
    return 0;
}

/* Every delta of either attempt passes here (its own thread). */
static int gate(side *s, int kind, size_t index, const char *id, const char *name, const char *data, size_t len)
{
    hedge *h = s->h;
    int rc = 0;

    pthread_mutex_lock(&h->mu);
    if (h->winner < 0)
        claim(h, s->which);
    if (h->winner != s->which)
        rc = 1;                                     /* lost the race: stop at once */
    else if (s->which == 1)
        rc = enqueue(h, kind, index, id, name, data, len);
    pthread_mutex_unlock(&h->mu);
    if (rc == 0 && s->which == 0)
        rc = to_sink(h->x->sink, kind, index, id, name, data, len);    /* the request's thread */
    return rc;
}

static int gate_text(const char *text, size_t len, void *userdata)
{
    return gate(userdata, EV_TEXT, 0, NULL, NULL, text, len);
}

static int gate_reasoning(const char *text, size_t len, void *userdata)
{
    return gate(userdata, EV_REASONING, 0, NULL, NULL, text, len);
}

static int gate_tool(const llmgw_tool_call_delta *d, void *userdata)
{
    return gate(userdata, EV_TOOL, d->index, d->id, d->name, d->arguments, d->arguments_len);
}

/* Pick and admit another deployment of the group (never the first one's id). Helper thread. */
static bool admit_second(hedge *h)
{
    llmgw__exec *x = h->x;
    long first = h->first->idx, idx, tmp[8];
    bool was = x->route.excluded[first], ok = false;
    llmgw__route_why why = x->route.why;
    unsigned int rr = x->raced_rate, rb = x->raced_busy;
    int64_t ru = x->raced_until_us, now = llmgw__exec_now(x);
    size_t ntmp = 0, i;

    if (x->deadline_us - now < llmgw__exec_min_attempt_us(x))
        return false;
    x->route.excluded[first] = true;
    while (ntmp < sizeof(tmp) / sizeof(tmp[0])) {
        idx = llmgw__route_pick(&x->route, now, -1, &x->rng);
        if (idx < 0)
            break;
        if (strcmp(x->route.cand.deps[idx]->id, x->route.cand.deps[first]->id) != 0 &&
            llmgw__exec_admit(x, h->second, idx, now) == 0) {
            ok = true;
            break;
        }
        x->route.excluded[idx] = true;          /* for this look only */
        tmp[ntmp++] = idx;
    }
    for (i = 0; i < ntmp; i++)
        x->route.excluded[tmp[i]] = false;
    x->route.excluded[first] = was;
    x->route.why = why;
    x->raced_rate = rr;
    x->raced_busy = rb;
    x->raced_until_us = ru;
    return ok;
}

static void *helper(void *arg)
{
    hedge *h = arg;
    llmgw__exec *x = h->x;
    bool go;
    int rc;

    llmgw__thread_deadline_set(x->deadline_us);
    llmgw__thread_drop_params_set(x->gw->opts.drop_params != 0);
    pthread_mutex_lock(&h->mu);
    while (!h->s[0].ended && h->winner < 0 && !atomic_load(&x->req->cancelled))
        if (pthread_cond_timedwait(&h->cv, &h->mu, &h->hedge_at) != 0)
            break;          /* ETIMEDOUT: the delay has passed */
    go = !h->s[0].ended && h->winner < 0 && !atomic_load(&x->req->cancelled);
    pthread_mutex_unlock(&h->mu);
    if (go)
        go = admit_second(h);
    pthread_mutex_lock(&h->mu);
    if (go) {
        int64_t now = llmgw__exec_now(x);
        if (h->s[0].ended || h->winner >= 0 ||
            !llmgw__retry_budget_take(&x->gw->retry_budget, now, x->gw->opts.retry_budget_percent)) {
            llmgw__exec_unadmit(x, h->second, now);
            go = false;
        } else {
            llmgw__exec_prepare(x, h->second);
            h->second->a.delivery = x->sink ? &h->s[1].delivery : NULL;
            h->second->a.cancel_also = &h->s[1].cancel;
            h->second->wait_us = now - h->first_start_us;
            h->second->ran = true;
        }
    }
    h->started = go;
    h->decided = true;
    pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
    if (!go)
        return NULL;

    rc = llmgw__attempt_run(&h->second->a);
    llmgw__exec_release(x, h->second);
    pthread_mutex_lock(&h->mu);
    h->second_rc = rc;
    if (rc == 0 && h->second->a.outcome.status == 0 && h->winner < 0)
        claim(h, 1);
    else if (h->winner < 0)
        h->s[1].ended_unclaimed = true;
    h->s[1].ended = true;
    h->last_ended = 1;
    pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
    return NULL;
}

/* Locked on entry and exit: deliver the hedge's queued events until it has ended. */
static void relay(hedge *h)
{
    while (h->started) {
        hedge_event *ev = h->head;
        if (ev != NULL) {
            bool stop = h->user_stop;
            h->head = ev->next;
            if (h->head == NULL)
                h->tail = &h->head;
            pthread_mutex_unlock(&h->mu);
            if (!stop && to_sink(h->x->sink, ev->kind, ev->index, ev->id, ev->name, ev->data, ev->len) != 0) {
                pthread_mutex_lock(&h->mu);
                h->user_stop = true;
                atomic_store(&h->s[1].cancel, 1);
                pthread_mutex_unlock(&h->mu);
            }
            llmgw__free(ev);
            pthread_mutex_lock(&h->mu);
            continue;
        }
        if (h->s[1].ended)
            break;
        pthread_cond_wait(&h->cv, &h->mu);
    }
}

static void hedged_out(llmgw__run *r)
{
    llmgw__outcome *o = &r->a.outcome;

    o->status = LLMGW_ECANCELLED;
    o->error_class = LLMGW_ERRCLASS_CANCELLED;
    o->retry = LLMGW__RETRY_NO;
    o->failover = false;
    o->breaker = false;
    o->committed = false;
    o->retry_after_ms = -1;
    snprintf(o->message, sizeof(o->message), "hedged out: the other deployment answered first");
}

static void user_stopped(llmgw__run *r)
{
    llmgw__outcome *o = &r->a.outcome;

    o->status = LLMGW_EUSER;
    o->error_class = LLMGW_ERRCLASS_CANCELLED;
    o->retry = LLMGW__RETRY_NO;
    o->failover = false;
    o->breaker = false;
    o->committed = true;
    snprintf(o->message, sizeof(o->message), "stopped by a stream callback");
}

static int init_sync(hedge *h)
{
    pthread_condattr_t ca;
    int rc;

    if (pthread_condattr_init(&ca) != 0)
        return -1;
    rc = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    if (rc == 0)
        rc = pthread_cond_init(&h->cv, &ca);
    pthread_condattr_destroy(&ca);
    if (rc != 0)
        return -1;
    if (pthread_mutex_init(&h->mu, NULL) != 0) {
        pthread_cond_destroy(&h->cv);
        return -1;
    }
    return 0;
}

static void setup(hedge *h, llmgw__exec *x, llmgw__run *first, llmgw__run *second)
{
    int i;

    h->x = x;
    h->first = first;
    h->second = second;
    h->winner = -1;
    h->tail = &h->head;
    for (i = 0; i < 2; i++) {
        side *s = &h->s[i];
        s->h = h;
        s->which = i;
        s->gate.version = LLMGW_STREAM_SINK_VERSION;
        s->gate.on_text = gate_text;
        s->gate.on_reasoning = gate_reasoning;
        s->gate.on_tool_call = gate_tool;
        s->gate.userdata = s;
        s->delivery.sink = &s->gate;
        atomic_init(&s->cancel, 0);
    }
    clock_gettime(CLOCK_MONOTONIC, &h->hedge_at);
    h->hedge_at.tv_sec += (time_t)(x->gw->opts.hedge_after_ms / 1000);
    h->hedge_at.tv_nsec += (long)(x->gw->opts.hedge_after_ms % 1000) * 1000000L;
    if (h->hedge_at.tv_nsec >= 1000000000L) {
        h->hedge_at.tv_sec++;
        h->hedge_at.tv_nsec -= 1000000000L;
    }
    h->first_start_us = llmgw__exec_now(x);
}

/* After both ended: who decides, and what the other one's outcome says. */
static llmgw__run *conclude(hedge *h)
{
    llmgw__exec *x = h->x;
    llmgw__run *runs[2] = { h->first, h->second };
    llmgw__run *res;

    if (!h->started)
        res = h->first;
    else if (h->winner >= 0) {
        int loser = 1 - h->winner;
        res = runs[h->winner];
        if (!h->s[loser].ended_unclaimed)
            hedged_out(runs[loser]);
        if (h->winner == 1 && h->user_stop)
            user_stopped(h->second);
    } else {
        res = runs[h->last_ended];              /* both failed: the later failure decides */
    }
    if (x->sink != NULL) {
        const llmgw__delivery *d = &h->s[res == h->first ? 0 : 1].delivery;
        if (d->committed && !x->delivery.committed) {
            x->delivery.committed = true;
            x->delivery.first_delta_us = d->first_delta_us;
        }
    }
    if (h->started)
        llmgw__log(x->gw, LLMGW_LOG_INFO, "hedged %s with %s after %lld ms: %s", h->first->a.dep->id,
                   h->second->a.dep->id, (long long)x->gw->opts.hedge_after_ms,
                   h->winner == 0 ? "the first answered first" : h->winner == 1 ? "the hedge answered first"
                                                                                 : "neither answered");
    return res;
}

int llmgw__hedge_run(llmgw__exec *x, llmgw__run *first, llmgw__run *second, llmgw__run **result)
{
    hedge h;
    pthread_t th;
    int rc;

    *result = first;
    memset(&h, 0, sizeof(h));
    if (init_sync(&h) < 0) {
        rc = llmgw__attempt_run(&first->a);     /* no hedge without the means to run one */
        first->ran = true;
        llmgw__exec_release(x, first);
        return rc;
    }
    setup(&h, x, first, second);
    first->a.delivery = x->sink ? &h.s[0].delivery : NULL;
    first->a.cancel_also = &h.s[0].cancel;
    if (pthread_create(&th, NULL, helper, &h) != 0) {
        first->a.delivery = x->sink ? &x->delivery : NULL;
        first->a.cancel_also = NULL;
        rc = llmgw__attempt_run(&first->a);
        first->ran = true;
        llmgw__exec_release(x, first);
        pthread_mutex_destroy(&h.mu);
        pthread_cond_destroy(&h.cv);
        return rc;
    }
    rc = llmgw__attempt_run(&first->a);
    first->ran = true;

    pthread_mutex_lock(&h.mu);
    if (h.winner < 0 && (rc < 0 || first->a.outcome.status == 0))
        claim(&h, 0);       /* an answer; or out of memory: the request fails, so stop the hedge and its events */
    else if (h.winner < 0)
        h.s[0].ended_unclaimed = true;
    h.s[0].ended = true;
    h.last_ended = 0;
    pthread_cond_broadcast(&h.cv);
    while (!h.decided)
        pthread_cond_wait(&h.cv, &h.mu);
    pthread_mutex_unlock(&h.mu);
    llmgw__exec_release(x, first);              /* the helper is done with the route: its slot back now */
    pthread_mutex_lock(&h.mu);
    relay(&h);
    pthread_mutex_unlock(&h.mu);
    pthread_join(th, NULL);

    while (h.head != NULL) {                    /* left over after a stop */
        hedge_event *ev = h.head;
        h.head = ev->next;
        llmgw__free(ev);
    }
    pthread_mutex_destroy(&h.mu);
    pthread_cond_destroy(&h.cv);
    if (h.started && h.second_rc < 0) {
        hedged_out(second);                     /* its outcome means nothing: report nothing learned */
        second->a.outcome.sent = true;
        if (rc == 0 && h.winner != 0)
            rc = llmgw__error_oom();
    }
    if (rc == 0 && h.relay_oom)
        rc = llmgw__error_oom();
    *result = conclude(&h);
    return rc;
}
