/*
 * lib/router/ratelimit.c: rpm / tpm windows, latency estimate, retry budget.
 */
#include "../core/common.h"
#include "ratelimit.h"

#define BUDGET_FLOOR 100      /* 10 retries per second of the 10 s window (docs/resilience.md §b.1) */

int llmgw__limiter_init(llmgw__limiter *l)
{
    memset(l, 0, sizeof(*l));
    llmgw__window_init(&l->w, 60);
    return pthread_mutex_init(&l->mu, NULL) == 0 ? 0 : LLMGW_ENOMEM;
}

void llmgw__limiter_dispose(llmgw__limiter *l)
{
    pthread_mutex_destroy(&l->mu);
}

int64_t llmgw__limiter_admit(llmgw__limiter *l, int64_t now_us, int64_t rpm, int64_t tpm, bool take)
{
    int64_t wait = 0;

    if (rpm <= 0 && tpm <= 0) {
        if (take) {
            pthread_mutex_lock(&l->mu);
            llmgw__window_add(&l->w, now_us, 1, 0);
            pthread_mutex_unlock(&l->mu);
        }
        return 0;
    }
    pthread_mutex_lock(&l->mu);
    wait = llmgw__window_wait_us(&l->w, now_us, rpm > 0 ? (uint64_t)rpm : 0, tpm > 0 ? (uint64_t)tpm : 0);
    if (wait == 0 && take)
        llmgw__window_add(&l->w, now_us, 1, 0);
    pthread_mutex_unlock(&l->mu);
    return wait;
}

void llmgw__limiter_tokens(llmgw__limiter *l, int64_t now_us, uint64_t tokens)
{
    if (tokens == 0)
        return;
    pthread_mutex_lock(&l->mu);
    llmgw__window_add(&l->w, now_us, 0, tokens);
    pthread_mutex_unlock(&l->mu);
}

void llmgw__limiter_latency(llmgw__limiter *l, int64_t latency_us, uint64_t output_tokens)
{
    int64_t per = latency_us / (int64_t)(output_tokens > 0 ? output_tokens : 1);

    if (per <= 0)
        per = 1;
    pthread_mutex_lock(&l->mu);
    /* EWMA, alpha = 1/4 */
    l->ewma_us_per_tok = l->samples == 0 ? per : l->ewma_us_per_tok + (per - l->ewma_us_per_tok) / 4;
    l->samples++;
    pthread_mutex_unlock(&l->mu);
}

int64_t llmgw__limiter_latency_estimate(llmgw__limiter *l)
{
    int64_t v;

    pthread_mutex_lock(&l->mu);
    v = l->ewma_us_per_tok;
    pthread_mutex_unlock(&l->mu);
    return v;
}

double llmgw__limiter_load(llmgw__limiter *l, int64_t now_us, int64_t rpm, int64_t tpm)
{
    uint64_t req, tok;
    double load = 0;

    if (rpm <= 0 && tpm <= 0)
        return 0;
    pthread_mutex_lock(&l->mu);
    llmgw__window_sum(&l->w, now_us, &req, &tok);
    pthread_mutex_unlock(&l->mu);
    if (rpm > 0)
        load = (double)req / (double)rpm;
    if (tpm > 0 && (double)tok / (double)tpm > load)
        load = (double)tok / (double)tpm;
    return load > 1 ? 1 : load;
}

int llmgw__retry_budget_init(llmgw__retry_budget *b)
{
    memset(b, 0, sizeof(*b));
    llmgw__window_init(&b->w, 10);
    return pthread_mutex_init(&b->mu, NULL) == 0 ? 0 : LLMGW_ENOMEM;
}

void llmgw__retry_budget_dispose(llmgw__retry_budget *b)
{
    pthread_mutex_destroy(&b->mu);
}

void llmgw__retry_budget_request(llmgw__retry_budget *b, int64_t now_us)
{
    pthread_mutex_lock(&b->mu);
    llmgw__window_add(&b->w, now_us, 1, 0);
    pthread_mutex_unlock(&b->mu);
}

bool llmgw__retry_budget_take(llmgw__retry_budget *b, int64_t now_us, int percent)
{
    uint64_t requests, retries, allowed;
    bool ok;

    pthread_mutex_lock(&b->mu);
    llmgw__window_sum(&b->w, now_us, &requests, &retries);
    allowed = requests * (uint64_t)(percent > 0 ? percent : 0) / 100;
    if (allowed < BUDGET_FLOOR)
        allowed = BUDGET_FLOOR;
    ok = retries < allowed;
    if (ok)
        llmgw__window_add(&b->w, now_us, 0, 1);
    pthread_mutex_unlock(&b->mu);
    return ok;
}
