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
#include "../router/policy.h"
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

static inline int64_t llmgw__exec_now(const llmgw__exec *x)
{
    return x->gw->clock->now_us(x->gw->clock->self);
}

/* Run attempts until success or a final failure (x->success, x->last, x->stop_*). <0: ENOMEM. */
int llmgw__run_attempts(llmgw__exec *x);

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
