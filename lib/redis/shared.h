/*
 * lib/redis/shared.h: state shared between processes and hosts through
 * Redis, as the other rooms see it (DESIGN.md §8, docs/redis.md).
 *
 * Redis is an optimization, never a requirement. Every function here either
 * answers from Redis or returns < 0 (LLMGW_EUNAVAILABLE: not configured,
 * down, slow, its breaker open, no time left in the request, garbage back),
 * and the caller then does what a single process does. None of them sets
 * the thread's last error or blocks past min(command timeout, the request's
 * deadline: llmgw__thread_deadline_us()). Values read from Redis are
 * checked like upstream data.
 *
 * Built without hiredis, every call is an inline stub that answers "not
 * shared", so callers need no #if.
 */
#ifndef LLMGW_REDIS_SHARED_H
#define LLMGW_REDIS_SHARED_H

#include "../core/common.h"

typedef struct llmgw__shared llmgw__shared;
struct llmgw__deployment;

#define LLMGW__SHARED_LEASE_LEN 64       /* a lease id, NUL included */

/* The rate window of a deployment (60 s of per-second buckets, as the local one). */
typedef struct llmgw__shared_rate {
    bool     admitted;
    int64_t  wait_us;        /* not admitted: until the window has room again */
    uint64_t requests;       /* in the window, this request not counted */
    uint64_t tokens;
} llmgw__shared_rate;

#define LLMGW__SHARED_ALERTS_MAX 8     /* alert thresholds per budget */

/* One budget as the shared ledger needs it. */
typedef struct llmgw__shared_budget {
    int         scope;       /* LLMGW_BUDGET_* */
    const char *name;
    int         period;      /* LLMGW_PERIOD_* */
    int64_t     start;       /* the current period's start (Unix s; 0 for TOTAL) */
    int64_t     held_start;  /* settle: the period the reservation was made in */
    int64_t     limit;       /* nano-USD */
    /* settle: budget alert thresholds to claim, once per period across the fleet (lib/accounting/budget_alert.c) */
    size_t      nalert;
    int64_t     alert_amount[LLMGW__SHARED_ALERTS_MAX];   /* nano-USD of spend that reaches it */
    uint32_t    alert_ppm[LLMGW__SHARED_ALERTS_MAX];      /* its fraction of the limit, in millionths */
    /* settle, out: the fleet's spend after it; bit j: alert j reached / claimed by this settle */
    int64_t     spent_after;
    uint32_t    reached, claimed;
} llmgw__shared_budget;

#if LLMGW_HAVE_REDIS

/*
 * Open sharing from gw->settings (the config file's Redis), attach every
 * deployment and the budget ledger, and install the Redis cache backend
 * when cache_params.type is redis and caching is on (then, with a secret
 * configured, gw->cache_fp_secret is a key every process derives alike, so
 * they all compute the same cache keys). Connects nothing: the
 * first call that needs Redis does. 0 when Redis is not configured or
 * cannot be used (TLS asked of a hiredis without it: logged, stays local);
 * < 0 only for a malformed Redis URL (LLMGW_EINVAL) or out of memory.
 */
int  llmgw__shared_open(llmgw_gateway *gw);
/* Drop the gateway's reference (the cache backend may hold one until it is destroyed). */
void llmgw__shared_close(llmgw_gateway *gw);
/* Share a deployment added after opening (its limiter and health). Caller holds gw->lock. */
void llmgw__shared_attach_deployment(llmgw_gateway *gw, struct llmgw__deployment *d);

/* Is Redis believed reachable (its breaker closed)? */
bool llmgw__shared_up(llmgw__shared *s);

/* Rate limits (rpm, tpm: 0 = none) of deployment id; take counts the request when admitted. */
int  llmgw__shared_rate_admit(llmgw__shared *s, const char *id, int64_t rpm, int64_t tpm, bool take,
                              llmgw__shared_rate *out);
int  llmgw__shared_rate_tokens(llmgw__shared *s, const char *id, uint64_t tokens);
/*
 * A parallel-request slot of deployment id (max > 0), held as a lease that
 * expires by itself after lease_ms if the process dies. 1 taken (lease
 * filled), 0 all taken, < 0 unavailable.
 */
int  llmgw__shared_parallel_acquire(llmgw__shared *s, const char *id, int max, int64_t lease_ms,
                                    char lease[LLMGW__SHARED_LEASE_LEN]);
int  llmgw__shared_parallel_release(llmgw__shared *s, const char *id, const char *lease);

/*
 * Cooldowns (advisory): publish that deployment id is out for remaining_ms
 * (why: an error class, 0 = breaker), merged in Redis as the latest
 * reopening time, with a TTL of the remaining time. read: 1 with the
 * remaining time and class when one is set, 0 when none.
 */
int  llmgw__shared_cooldown_publish(llmgw__shared *s, const char *id, int64_t remaining_ms, int why);
int  llmgw__shared_cooldown_read(llmgw__shared *s, const char *id, int64_t *remaining_ms, int *why);

/*
 * Budgets: reserve amount on every one of b[0..n) atomically (all or none),
 * as a lease that expires after lease_ms. 1 reserved (lease filled); 0
 * refused: *refused is the index and *used its spent + reserved; < 0
 * unavailable.
 */
int  llmgw__shared_budget_reserve(llmgw__shared *s, const llmgw__shared_budget *b, size_t n, int64_t amount,
                                  int64_t lease_ms, char lease[LLMGW__SHARED_LEASE_LEN], size_t *refused,
                                  int64_t *used);
/*
 * Release the lease (held_start's period) and add actual to each current
 * period (start). Alerts: each b[i].alert_* threshold the new spend reaches
 * is claimed at most once per period across every process (a field of the
 * period's spend hash, set if absent): b[i].spent_after, .reached and
 * .claimed say what happened. 0 settled, < 0 unavailable (outputs zero).
 */
int  llmgw__shared_budget_settle(llmgw__shared *s, llmgw__shared_budget *b, size_t n, const char *lease,
                                 int64_t amount, int64_t actual);
int  llmgw__shared_budget_status(llmgw__shared *s, const llmgw__shared_budget *b, int64_t *spent,
                                 int64_t *reserved);

#else /* !LLMGW_HAVE_REDIS */

static inline int  llmgw__shared_open(llmgw_gateway *gw) { (void)gw; return 0; }
static inline void llmgw__shared_close(llmgw_gateway *gw) { (void)gw; }
static inline void llmgw__shared_attach_deployment(llmgw_gateway *gw, struct llmgw__deployment *d)
{ (void)gw; (void)d; }
static inline bool llmgw__shared_up(llmgw__shared *s) { (void)s; return false; }
static inline int  llmgw__shared_rate_admit(llmgw__shared *s, const char *id, int64_t rpm, int64_t tpm, bool take,
                                            llmgw__shared_rate *out)
{ (void)s; (void)id; (void)rpm; (void)tpm; (void)take; (void)out; return LLMGW_EUNAVAILABLE; }
static inline int  llmgw__shared_rate_tokens(llmgw__shared *s, const char *id, uint64_t tokens)
{ (void)s; (void)id; (void)tokens; return LLMGW_EUNAVAILABLE; }
static inline int  llmgw__shared_parallel_acquire(llmgw__shared *s, const char *id, int max, int64_t lease_ms,
                                                  char lease[LLMGW__SHARED_LEASE_LEN])
{ (void)s; (void)id; (void)max; (void)lease_ms; (void)lease; return LLMGW_EUNAVAILABLE; }
static inline int  llmgw__shared_parallel_release(llmgw__shared *s, const char *id, const char *lease)
{ (void)s; (void)id; (void)lease; return LLMGW_EUNAVAILABLE; }
static inline int  llmgw__shared_cooldown_publish(llmgw__shared *s, const char *id, int64_t remaining_ms, int why)
{ (void)s; (void)id; (void)remaining_ms; (void)why; return LLMGW_EUNAVAILABLE; }
static inline int  llmgw__shared_cooldown_read(llmgw__shared *s, const char *id, int64_t *remaining_ms, int *why)
{ (void)s; (void)id; (void)remaining_ms; (void)why; return LLMGW_EUNAVAILABLE; }
static inline int  llmgw__shared_budget_reserve(llmgw__shared *s, const llmgw__shared_budget *b, size_t n,
                                                int64_t amount, int64_t lease_ms,
                                                char lease[LLMGW__SHARED_LEASE_LEN], size_t *refused, int64_t *used)
{ (void)s; (void)b; (void)n; (void)amount; (void)lease_ms; (void)lease; (void)refused; (void)used;
  return LLMGW_EUNAVAILABLE; }
static inline int  llmgw__shared_budget_settle(llmgw__shared *s, llmgw__shared_budget *b, size_t n,
                                               const char *lease, int64_t amount, int64_t actual)
{ (void)s; (void)b; (void)n; (void)lease; (void)amount; (void)actual; return LLMGW_EUNAVAILABLE; }
static inline int  llmgw__shared_budget_status(llmgw__shared *s, const llmgw__shared_budget *b, int64_t *spent,
                                               int64_t *reserved)
{ (void)s; (void)b; (void)spent; (void)reserved; return LLMGW_EUNAVAILABLE; }

#endif

#endif
