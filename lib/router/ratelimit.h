/*
 * lib/router/ratelimit.h: per-deployment rpm / tpm limits over a sliding
 * 60 s window, the latency estimate used by latency-based routing, and the
 * gateway-wide retry budget. Local to the process (Redis-shared limits are
 * another room's addition behind the same calls).
 */
#ifndef LLMGW_ROUTER_RATELIMIT_H
#define LLMGW_ROUTER_RATELIMIT_H

#include <pthread.h>

#include "../core/common.h"
#include "window.h"

typedef struct llmgw__limiter {
    pthread_mutex_t mu;
    llmgw__window   w;                /* a: requests, b: tokens, last 60 s */
    int64_t         ewma_us_per_tok;  /* latency per output token, 0 = unknown */
    uint64_t        samples;
} llmgw__limiter;

int  llmgw__limiter_init(llmgw__limiter *l);
void llmgw__limiter_dispose(llmgw__limiter *l);
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
