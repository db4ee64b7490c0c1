/*
 * lib/core/attempt.h: one attempt: the provider builds the HTTP request,
 * the transport performs it, the provider parses what came back, and the
 * outcome is classified. The attempt's state lives in a struct (not on the
 * stack of the blocking call) so a multi-handle driver can run it later.
 */
#ifndef LLMGW_CORE_ATTEMPT_H
#define LLMGW_CORE_ATTEMPT_H

#include "common.h"
#include "gateway.h"
#include "reply.h"
#include "../router/policy.h"

typedef struct llmgw__attempt {
    /* in */
    llmgw_gateway           *gw;
    const llmgw__deployment *dep;
    const llmgw_request     *req;
    bool                     stream;
    llmgw__delivery         *delivery;      /* streaming only */
    int64_t                  deadline_us;   /* monotonic, absolute */
    const atomic_int        *cancel;
    const atomic_int        *cancel_also;   /* a hedged attempt's own flag; may be NULL */
    /* out */
    llmgw_reply              reply;
    llmgw__outcome           outcome;
    int64_t                  latency_us;
} llmgw__attempt;

/* Run it; the outcome says what happened. Returns 0, or ENOMEM when nothing could be tried. */
int  llmgw__attempt_run(llmgw__attempt *a);
void llmgw__attempt_dispose(llmgw__attempt *a);

/* The HTTP exchange through libcurl (the default `perform` of a deployment). */
int  llmgw__perform_http(llmgw_gateway *gw, const llmgw__deployment *dep, llmgw__transfer *t);

#endif
