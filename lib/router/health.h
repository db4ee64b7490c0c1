/*
 * lib/router/health.h: one deployment's health: the circuit breaker (closed,
 * open, half-open with exactly one probe, open time growing with repeated
 * ejection) and the holds that keep a deployment out after a 429, an
 * exhausted quota, an auth failure or a missing model (docs/resilience.md
 * §b.1, §b.2, §b.5). Keyed by deployment, shared by every group using it.
 *
 * Shared (llmgw__health_share, with Redis configured), it is advisory
 * (§b.5): every opening and hold is published with a TTL of its remaining
 * time, merged in Redis as the latest reopening time; each process reads
 * its deployments' shared cooldowns at most once a second and merges them
 * into its own state by max(until). Health is always read from memory, and
 * without Redis each process keeps its own.
 */
#ifndef LLMGW_ROUTER_HEALTH_H
#define LLMGW_ROUTER_HEALTH_H

#include <pthread.h>
#include <stdatomic.h>

#include "../core/common.h"
#include "policy.h"

struct llmgw__shared;

enum { LLMGW__HEALTH_CLOSED = 0, LLMGW__HEALTH_OPEN = 1, LLMGW__HEALTH_HALF_OPEN = 2 };
enum { LLMGW__DENY = -1, LLMGW__ADMIT = 0, LLMGW__ADMIT_PROBE = 1 };

typedef struct llmgw__health_cfg {
    unsigned int allowed_fails;   /* consecutive breaker failures that open it (5) */
    int64_t      cooldown_us;     /* base open time (30 s) */
    int64_t      max_open_us;     /* cap (300 s) */
    bool         disabled;
} llmgw__health_cfg;

typedef struct llmgw__health {
    pthread_mutex_t mu;            /* writers; a closed breaker is read without it */
    _Atomic int     state;
    _Atomic int64_t until_us;      /* OPEN: no traffic before this (monotonic) */
    int             hold_class;    /* why: 0 = breaker; rate_limit, quota_exceeded, auth, not_found */
    unsigned int    consecutive;   /* consecutive breaker failures */
    unsigned int    ejections;     /* open-time multiplier */
    unsigned int    ok_streak;     /* successes in a row since the last opening */
    uint32_t        window;        /* last outcomes, bit = failure */
    unsigned int    window_n;
    int64_t         window_start_us;
    _Atomic bool    probe_out;     /* the half-open probe is in flight */
    uint64_t        openings;      /* breaker openings (metrics) */
    /* sharing (NULL: this process only); id is the deployment's, borrowed */
    _Atomic(struct llmgw__shared *) shared;
    const char     *id;
    _Atomic int64_t next_sync_us;  /* the next read of the shared cooldown */
} llmgw__health;

int  llmgw__health_init(llmgw__health *h);
void llmgw__health_dispose(llmgw__health *h);
/* Share through s (NULL: stop) as deployment id (borrowed). Not while requests use it. */
void llmgw__health_share(llmgw__health *h, struct llmgw__shared *s, const char *id);
/* Would it admit now? (no state change) *until_us: when an open one may be tried again. */
int  llmgw__health_peek(llmgw__health *h, int64_t now_us, int64_t *until_us);
/* Why an open one is held: 0 = the breaker; else the class of the error that held it (429 ...). */
int  llmgw__health_hold_class(llmgw__health *h);
/* The lock-free first step of peek: true when it surely admits (closed, not shared). */
static inline bool llmgw__health_closed_local(llmgw__health *h)
{
    return atomic_load_explicit(&h->shared, memory_order_relaxed) == NULL &&
           atomic_load_explicit(&h->state, memory_order_acquire) == LLMGW__HEALTH_CLOSED;
}
/* Admit for an attempt: ADMIT, ADMIT_PROBE (this caller holds the one probe), or DENY. */
int  llmgw__health_acquire(llmgw__health *h, int64_t now_us, int64_t *until_us);
/*
 * Report an attempt's outcome (o->status 0 = success). probe: the attempt
 * held the probe. Returns true when this report opened the breaker.
 */
bool llmgw__health_report(llmgw__health *h, const llmgw__health_cfg *cfg, int64_t now_us, bool probe,
                          const llmgw__outcome *o, uint64_t *rng);
/* Snapshot for tests and metrics. */
int  llmgw__health_state(llmgw__health *h, int64_t now_us, int64_t *until_us);

#endif
