/*
 * lib/core/exec.h: the state of one logical request while it runs, shared by
 * complete.c (entry points, settling, delivery) and retry_loop.c (the one
 * retry loop over attempts, deployments and fallback groups).
 */
#ifndef LLMGW_CORE_EXEC_H
#define LLMGW_CORE_EXEC_H

#include "common.h"
#include "gateway.h"
#include "reply.h"
#include "response.h"
#include "../accounting/budget.h"
#include "../accounting/record.h"
#include "attempt.h"
#include "../router/policy.h"
#include "../router/ratelimit.h"
#include "../router/route.h"

typedef struct llmgw__exec {
    llmgw_gateway           *gw;
    const llmgw_request     *req;
    const llmgw_stream_sink *sink;        /* NULL: not streaming */
    llmgw__delivery          delivery;
    llmgw_response          *resp;        /* built in place from the start; its record is the record */
    llmgw__record           *rec;
    llmgw__route             route;
    uint64_t                 rng;
    int64_t                  start_us;
    int64_t                  deadline_us;
    llmgw__answer            answer;
    llmgw__outcome           last;        /* the last attempt's outcome */
    bool                     have_last;
    bool                     success;
    /* the budget reservation (step 2) */
    llmgw__budget_ticket     ticket;
    bool                     ticket_held;
    int64_t                  reserved_nusd;
    /* the response cache (cache_step.c) */
    bool                     cache_on;    /* a key was made: the answer may be stored */
    bool                     cache_store; /* no "no-store" */
    int64_t                  cache_ttl_ms;
    char                     cache_key[65];
    char                     cache_digest[65];
    /* admissions lost to other requests (or processes) since the group was entered */
    unsigned int             raced_rate, raced_busy;
    int64_t                  raced_until_us;
    /* when the loop stopped without an attempt to blame: why */
    int                      stop_code;
    int                      stop_class;
    int64_t                  stop_retry_after_ms;
    char                     stop_message[256];
} llmgw__exec;

/* One admitted attempt: what admission took, and the attempt itself. */
typedef struct llmgw__run {
    llmgw__attempt       a;
    long                 idx;        /* candidate index in x->route */
    bool                 probe;      /* the breaker's half-open probe */
    llmgw__parallel_slot slot;
    int64_t              wait_us;    /* waited before it (backoff, retry-after, hedge delay) */
    bool                 ran;        /* llmgw__attempt_run was called */
    bool                 released;   /* in-flight count and parallel slot given back */
} llmgw__run;

static inline int64_t llmgw__exec_now(const llmgw__exec *x)
{
    return x->gw->clock->now_us(x->gw->clock->self);
}

/* No attempt starts with less than this left of the deadline (1 s, or a quarter of a short deadline). */
static inline int64_t llmgw__exec_min_attempt_us(const llmgw__exec *x)
{
    int64_t total = x->deadline_us - x->start_us;

    return LLMGW_MIN((int64_t)1000 * 1000, total / 4);
}

/* Run attempts until success or a final failure (x->success, x->last, x->stop_*). <0: ENOMEM. */
int llmgw__run_attempts(llmgw__exec *x);

/*
 * retry_loop.c, shared with hedge.c. Admit: take the breaker's admission, a
 * rate-limit slot and a parallel slot on deployment `idx` (0, or -1 when it
 * cannot be tried now). Unadmit gives them back unused. Prepare fills r->a
 * for the deployment. Release (any thread, once, after the attempt ran)
 * returns the in-flight count and the slot and feeds the limiter; settle
 * (the request's thread) reports to the breaker and appends to the trail.
 */
int  llmgw__exec_admit(llmgw__exec *x, llmgw__run *r, long idx, int64_t now);
void llmgw__exec_unadmit(llmgw__exec *x, llmgw__run *r, int64_t now);
void llmgw__exec_prepare(llmgw__exec *x, llmgw__run *r);
void llmgw__exec_release(llmgw__exec *x, llmgw__run *r);
int  llmgw__exec_settle(llmgw__exec *x, llmgw__run *r);

/*
 * Step 3 of DESIGN.md §1, after the group is resolved: make the key and look
 * the answer up. 1: answered from the cache (x->answer and the record are
 * filled, a stream replayed); 0: go on to the attempts; < 0: the request
 * fails (error set: a missing namespace, a stream callback that stopped,
 * out of memory).
 */
int  llmgw__cache_lookup(llmgw__exec *x);
/* Step 8: store a successful answer with a terminal finish reason (never fails the request). */
void llmgw__cache_store(llmgw__exec *x);

#endif
