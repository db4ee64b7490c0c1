/*
 * lib/router/ratelimit.h: per-deployment rpm / tpm limits over a sliding
 * 60 s window, max parallel requests, the latency estimate used by
 * latency-based routing, and the gateway-wide retry budget.
 *
 * Shared (llmgw__limiter_share, with Redis configured): admission with take
 * and parallel slots are decided by atomic scripts in Redis, so N processes
 * enforce one limit; a peek (take = false) answers from the last shared
 * answer while that said "full" or showed plenty of room (under 80 % of
 * each limit, within the last second), and asks Redis otherwise; the load
 * reads the last answer. This process's own window is
 * always kept too, and decides whenever Redis does not answer (down, slow,
 * breaker open): then each process enforces the limit alone, and the fleet
 * may exceed it by up to N processes times (docs/redis.md). The latency
 * estimate and the retry budget stay per process.
 */
#ifndef LLMGW_ROUTER_RATELIMIT_H
#define LLMGW_ROUTER_RATELIMIT_H

#include <pthread.h>

#include <stdatomic.h>

#include "../core/common.h"
#include "../redis/shared.h"
#include "window.h"

typedef struct llmgw__limiter {
    pthread_mutex_t mu;
    llmgw__window   w;                /* a: requests, b: tokens, last 60 s (this process) */
    int64_t         ewma_us_per_tok;  /* latency per output token, 0 = unknown */
    uint64_t        samples;
    atomic_int      parallel;         /* parallel slots this process holds */
    /* sharing (NULL: this process only); id is the deployment's, borrowed */
    _Atomic(struct llmgw__shared *) shared;
    const char     *id;
    int64_t         shared_full_until_us; /* under mu: the shared window said "full" until then */
    uint64_t        shared_requests;      /* under mu: the shared window's counts at the last answer */
    uint64_t        shared_tokens;
    int64_t         shared_seen_us;       /* when that answer came (0: none) */
} llmgw__limiter;

int  llmgw__limiter_init(llmgw__limiter *l);
void llmgw__limiter_dispose(llmgw__limiter *l);
/*
 * Share this limiter through s (NULL: stop) as deployment id (borrowed: it
 * lives as long as the limiter). Not while requests use it.
 */
void llmgw__limiter_share(llmgw__limiter *l, struct llmgw__shared *s, const char *id);
/*
 * Room for one more request under rpm / tpm (0 = no limit)? 0 when there is;
 * else the wait until there will be (microseconds, > 0). With take, a request
 * is counted when admitted.
 */
int64_t llmgw__limiter_admit(llmgw__limiter *l, int64_t now_us, int64_t rpm, int64_t tpm, bool take);
/* Count tokens a request used. */
void llmgw__limiter_tokens(llmgw__limiter *l, int64_t now_us, uint64_t tokens);
/* Fold a success's latency into the estimate. */
void llmgw__limiter_latency(llmgw__limiter *l, int64_t latency_us, uint64_t output_tokens);
int64_t llmgw__limiter_latency_estimate(llmgw__limiter *l);
/* Used fraction of the tightest limit in [0, 1] (0 when no limit): usage-based routing. */
double llmgw__limiter_load(llmgw__limiter *l, int64_t now_us, int64_t rpm, int64_t tpm);

/* A parallel-request slot held by one attempt. */
typedef struct llmgw__parallel_slot {
    bool taken;                       /* acquired (also when max is 0: nothing held) */
    bool counted;                     /* this process's count holds it */
    bool shared;                      /* a lease in Redis holds it too */
    char lease[LLMGW__SHARED_LEASE_LEN];
} llmgw__parallel_slot;

/*
 * Take one of max (> 0; 0 = no limit, always true) parallel slots: true
 * when taken. Shared, the slot is also a lease in Redis that expires by
 * itself after the request's deadline (plus 5 s) should the process die.
 * Every true is paired with llmgw__limiter_parallel_release.
 */
bool llmgw__limiter_parallel_acquire(llmgw__limiter *l, int max, llmgw__parallel_slot *slot);
void llmgw__limiter_parallel_release(llmgw__limiter *l, llmgw__parallel_slot *slot);

/* The retry budget: retries in the last 10 s <= max(floor, percent% of requests). */
typedef struct llmgw__retry_budget {
    pthread_mutex_t mu;
    llmgw__window   w;                /* a: logical requests, b: retries, last 10 s */
} llmgw__retry_budget;

int  llmgw__retry_budget_init(llmgw__retry_budget *b);
void llmgw__retry_budget_dispose(llmgw__retry_budget *b);
void llmgw__retry_budget_request(llmgw__retry_budget *b, int64_t now_us);
/* Take one retry if the budget allows (percent of requests, floor of 100 per 10 s). */
bool llmgw__retry_budget_take(llmgw__retry_budget *b, int64_t now_us, int percent);

#endif
