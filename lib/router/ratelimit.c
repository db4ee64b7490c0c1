/*
 * lib/router/ratelimit.c: rpm / tpm windows (this process's, and Redis'
 * when shared), parallel slots, latency estimate, retry budget.
 */
#include "../core/common.h"
#include "../core/clock.h"
#include "ratelimit.h"

#define BUDGET_FLOOR 100      /* 10 retries per second of the 10 s window (docs/resilience.md §b.1) */

int llmgw__limiter_init(llmgw__limiter *l)
{
    memset(l, 0, sizeof(*l));
    atomic_init(&l->parallel, 0);
    atomic_init(&l->shared, NULL);
    llmgw__window_init(&l->w, 60);
    return pthread_mutex_init(&l->mu, NULL) == 0 ? 0 : LLMGW_ENOMEM;
}

void llmgw__limiter_dispose(llmgw__limiter *l)
{
    pthread_mutex_destroy(&l->mu);
}

void llmgw__limiter_share(llmgw__limiter *l, struct llmgw__shared *s, const char *id)
{
    pthread_mutex_lock(&l->mu);
    l->id = id;
    l->shared_full_until_us = 0;
    l->shared_seen_us = 0;
    pthread_mutex_unlock(&l->mu);
    atomic_store_explicit(&l->shared, s, memory_order_release);
}

static struct llmgw__shared *sharing(llmgw__limiter *l)
{
    struct llmgw__shared *s = atomic_load_explicit(&l->shared, memory_order_acquire);

    return s != NULL && llmgw__shared_up(s) ? s : NULL;
}

/* Far enough from both limits at the last shared answer (within 1 s) that a peek need not ask. */
static bool roomy(const llmgw__limiter *l, int64_t now_us, int64_t rpm, int64_t tpm)
{
    return l->shared_seen_us > 0 && now_us - l->shared_seen_us < 1000000 &&
           (rpm <= 0 || l->shared_requests * 5 < (uint64_t)rpm * 4) &&
           (tpm <= 0 || l->shared_tokens * 5 < (uint64_t)tpm * 4);
}

/* Admission by the shared window: 0 answered (*wait set), < 0 not answered (decide locally). */
static int admit_shared(llmgw__limiter *l, struct llmgw__shared *s, int64_t now_us, int64_t rpm, int64_t tpm,
                        bool take, int64_t *wait)
{
    llmgw__shared_rate r;

    if (!take) {
        /*
         * A peek (one per candidate per pick) answers from the last shared
         * answer when it said "full", or when there was plenty of room a
         * moment ago; near a limit it asks, so that what it says holds.
         */
        pthread_mutex_lock(&l->mu);
        *wait = l->shared_full_until_us > now_us ? l->shared_full_until_us - now_us : 0;
        if (*wait > 0 || roomy(l, now_us, rpm, tpm)) {
            pthread_mutex_unlock(&l->mu);
            return 0;
        }
        pthread_mutex_unlock(&l->mu);
    }
    if (llmgw__shared_rate_admit(s, l->id, rpm, tpm, take, &r) < 0)
        return -1;
    pthread_mutex_lock(&l->mu);
    l->shared_requests = r.requests + (r.admitted && take ? 1 : 0);
    l->shared_tokens = r.tokens;
    l->shared_seen_us = now_us;
    l->shared_full_until_us = r.admitted ? 0 : now_us + r.wait_us;
    if (r.admitted && take)
        llmgw__window_add(&l->w, now_us, 1, 0);     /* this process's count, for when Redis is gone */
    pthread_mutex_unlock(&l->mu);
    *wait = r.admitted ? 0 : r.wait_us;
    return 0;
}

int64_t llmgw__limiter_admit(llmgw__limiter *l, int64_t now_us, int64_t rpm, int64_t tpm, bool take)
{
    struct llmgw__shared *s;
    int64_t wait = 0;

    if (rpm <= 0 && tpm <= 0) {
        if (take) {
            pthread_mutex_lock(&l->mu);
            llmgw__window_add(&l->w, now_us, 1, 0);
            pthread_mutex_unlock(&l->mu);
        }
        return 0;
    }
    if ((s = sharing(l)) != NULL && admit_shared(l, s, now_us, rpm, tpm, take, &wait) == 0)
        return wait;
    pthread_mutex_lock(&l->mu);
    wait = llmgw__window_wait_us(&l->w, now_us, rpm > 0 ? (uint64_t)rpm : 0, tpm > 0 ? (uint64_t)tpm : 0);
    if (wait == 0 && take)
        llmgw__window_add(&l->w, now_us, 1, 0);
    pthread_mutex_unlock(&l->mu);
    return wait;
}

void llmgw__limiter_tokens(llmgw__limiter *l, int64_t now_us, uint64_t tokens)
{
    struct llmgw__shared *s;

    if (tokens == 0)
        return;
    pthread_mutex_lock(&l->mu);
    llmgw__window_add(&l->w, now_us, 0, tokens);
    l->shared_tokens += tokens;
    pthread_mutex_unlock(&l->mu);
    if ((s = sharing(l)) != NULL)
        llmgw__shared_rate_tokens(s, l->id, tokens);     /* best effort: lost if Redis does not answer */
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
    /* shared: the fleet's counts at the last answer, while recent and Redis is up */
    if (l->shared_seen_us > 0 && now_us - l->shared_seen_us < 60 * 1000000LL &&
        atomic_load_explicit(&l->shared, memory_order_relaxed) != NULL && l->shared_requests >= req) {
        req = l->shared_requests;
        tok = LLMGW_MAX(tok, l->shared_tokens);
    }
    pthread_mutex_unlock(&l->mu);
    if (rpm > 0)
        load = (double)req / (double)rpm;
    if (tpm > 0 && (double)tok / (double)tpm > load)
        load = (double)tok / (double)tpm;
    return load > 1 ? 1 : load;
}

/* How long a shared slot may outlive a process that died holding it. */
static int64_t lease_ms(void)
{
    int64_t deadline = llmgw__thread_deadline_us(), left;

    if (deadline <= 0)
        return 605000;                            /* the default deadline (600 s), plus 5 s */
    left = (deadline - llmgw__mono_us()) / 1000;
    return (left > 0 ? left : 0) + 5000;
}

bool llmgw__limiter_parallel_acquire(llmgw__limiter *l, int max, llmgw__parallel_slot *slot)
{
    struct llmgw__shared *s;
    int rc;

    memset(slot, 0, sizeof(*slot));
    if (max <= 0) {
        slot->taken = true;
        return true;
    }
    /* this process's own count always holds (it is never above the fleet's) */
    if (atomic_fetch_add(&l->parallel, 1) >= max) {
        atomic_fetch_sub(&l->parallel, 1);
        return false;
    }
    if ((s = sharing(l)) != NULL) {
        rc = llmgw__shared_parallel_acquire(s, l->id, max, lease_ms(), slot->lease);
        if (rc == 0) {
            atomic_fetch_sub(&l->parallel, 1);
            return false;
        }
        slot->shared = rc == 1;
    }
    slot->counted = true;
    slot->taken = true;
    return true;
}

void llmgw__limiter_parallel_release(llmgw__limiter *l, llmgw__parallel_slot *slot)
{
    struct llmgw__shared *s;

    if (!slot->taken)
        return;
    if (slot->shared && (s = atomic_load_explicit(&l->shared, memory_order_acquire)) != NULL)
        llmgw__shared_parallel_release(s, l->id, slot->lease);   /* if lost, the lease expires */
    if (slot->counted)
        atomic_fetch_sub(&l->parallel, 1);
    memset(slot, 0, sizeof(*slot));
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
