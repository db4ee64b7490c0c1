/*
 * lib/router/route.h: one logical request's way through the groups: the
 * current group's candidates, what each attempt excluded, which deployments
 * are eligible now (health, rate limits, parallel limit, context fit), and
 * the fallback chain.
 */
#ifndef LLMGW_ROUTER_ROUTE_H
#define LLMGW_ROUTER_ROUTE_H

#include "../core/common.h"
#include "../core/gateway.h"

#define LLMGW__MAX_GROUPS_VISITED 6     /* the primary group + at most 5 fallbacks */

/* Why no deployment was eligible at the last pick. */
typedef struct llmgw__route_why {
    size_t  open;            /* breaker open or held (429, quota, auth) */
    size_t  held_rate_limit; /* of open: held after a 429 */
    size_t  held_quota;      /* of open: held after a quota error */
    size_t  rate_limited;    /* at rpm / tpm */
    size_t  busy;            /* at max_parallel_requests */
    size_t  too_small;       /* context window cannot fit the request */
    size_t  excluded;        /* already failed for this request */
    size_t  untagged;        /* tag routing: no tag in common */
    int64_t soonest_us;      /* monotonic time the first open or limited one is usable again, 0 = none */
} llmgw__route_why;

typedef struct llmgw__route {
    llmgw_gateway      *gw;
    llmgw__candidates   cand;
    bool               *excluded;
    unsigned int       *retries;
    const char         *visited[LLMGW__MAX_GROUPS_VISITED];
    size_t              nvisited;
    unsigned int        fallbacks;       /* group switches made */
    uint64_t            est_input;       /* estimated input tokens */
    uint64_t            max_output;      /* requested max_tokens, 0 = unknown */
    const llmgw_request *req;
    char                rule[129];       /* the routing rule that chose the first group, "" = none */
    llmgw__route_why    why;
    /* last, so that starting a route need not clear them: set_group clears what the group uses */
    bool                inline_excluded[128];    /* groups up to 128 need no allocation */
    unsigned int        inline_retries[128];
} llmgw__route;

/* Resolve the requested model (aliases applied) into the first group. */
int  llmgw__route_start(llmgw__route *r, llmgw_gateway *gw, const llmgw_request *req);
void llmgw__route_dispose(llmgw__route *r);
const char *llmgw__route_group(const llmgw__route *r);

/*
 * The deployment to try next in the current group, or -1 (r->why says why).
 * With `pin` >= 0 only that one is considered (a retry of the same deployment).
 */
long llmgw__route_pick(llmgw__route *r, int64_t now_us, long pin, uint64_t *rng);

/*
 * Switch to the next fallback group of `kind` (context-window fallbacks only
 * to groups whose deployments can fit the request). 0 when switched, -1 when
 * there is none left or max_fallbacks is reached.
 */
int  llmgw__route_fallback(llmgw__route *r, int kind);

/* Exclude every deployment of the current group sharing `idx`'s provider and credential. */
void llmgw__route_exclude_credential(llmgw__route *r, size_t idx);

/* A rough input-token estimate of a request (bytes / 4 plus per-message overhead). */
uint64_t llmgw__estimate_input_tokens(const llmgw_request *req);

#endif
