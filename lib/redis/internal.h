/*
 * lib/redis/internal.h: the shared-state object and the calls the files of
 * lib/redis make through it (one command, one script, keys, arguments).
 */
#ifndef LLMGW_REDIS_INTERNAL_H
#define LLMGW_REDIS_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "../core/common.h"
#include "rconn.h"
#include "shared.h"

#define LLMGW__REDIS_DEFAULT_PREFIX      "llmgw:"
#define LLMGW__REDIS_CONNECT_TIMEOUT_MS  100      /* docs/resilience.md §b.7 */
#define LLMGW__REDIS_COMMAND_TIMEOUT_MS  50
#define LLMGW__REDIS_MAX_IDLE            16
#define LLMGW__REDIS_MAX_OPEN            256
#define LLMGW__REDIS_MIN_CALL_US         1000     /* less left in the request: do not start a call */
#define LLMGW__REDIS_WINDOW_S            60       /* rate window, as lib/router/window.h */
#define LLMGW__REDIS_MAX_KEY             1024

/* Server-side scripts (scripts.c). */
enum {
    LLMGW__SCRIPT_RATE_ADMIT,
    LLMGW__SCRIPT_RATE_TOKENS,
    LLMGW__SCRIPT_PARALLEL_ACQUIRE,
    LLMGW__SCRIPT_COOLDOWN_SET,
    LLMGW__SCRIPT_COOLDOWN_GET,
    LLMGW__SCRIPT_BUDGET_RESERVE,
    LLMGW__SCRIPT_BUDGET_SETTLE,
    LLMGW__SCRIPT_BUDGET_STATUS,
    LLMGW__SCRIPT__COUNT
};
extern const char *const llmgw__redis_scripts[LLMGW__SCRIPT__COUNT];

typedef struct llmgw__redis_counters {
    _Atomic uint64_t calls, failures, timeouts, skipped, connects, openings, rejected;
} llmgw__redis_counters;

struct llmgw__shared {
    _Atomic unsigned int   refs;
    llmgw_gateway         *gw;               /* for log lines only; outlives every call */
    llmgw__redis_target    target;
    char                  *prefix;
    size_t                 prefix_len;
    unsigned char          master[32];       /* from the configured secret */
    bool                   has_secret;
    unsigned char          envelope_key[32]; /* HMAC key of cache envelopes */
    unsigned char          fingerprint_key[32];
    int64_t                connect_timeout_us;
    int64_t                command_timeout_us;
    size_t                 max_reply_bytes;
    size_t                 max_value_bytes;  /* one cache value */
    llmgw__rpool          *pool;
    llmgw__rbreaker        breaker;
    pthread_mutex_t        script_mu;
    char                   sha[LLMGW__SCRIPT__COUNT][41];
    _Atomic bool           sha_ok[LLMGW__SCRIPT__COUNT];
    char                   instance[17];     /* random, for lease ids */
    _Atomic uint64_t       lease_seq;
    llmgw__redis_counters  n;
};

/* References: the gateway holds one, a Redis cache backend another. */
llmgw__shared *llmgw__shared_ref(llmgw__shared *s);
void llmgw__shared_unref(llmgw__shared *s);

/* Test seam: how soon and how often an open breaker probes Redis. */
void llmgw__shared_test_probe_interval(llmgw_gateway *gw, int64_t first_us, int64_t max_us);

/* Arguments of one command: borrowed or owned strings. */
#define LLMGW__RARGS_MAX 300
typedef struct llmgw__rargs {
    int         argc;
    bool        failed;          /* a key was too long or memory ran out */
    int         nkeys_at;        /* index of the numkeys slot of an eval, or -1 */
    const char *argv[LLMGW__RARGS_MAX];
    size_t      lens[LLMGW__RARGS_MAX];
    char       *owned[LLMGW__RARGS_MAX];
    int         nowned;
} llmgw__rargs;

/* Allocated (it is large); NULL when out of memory. */
llmgw__rargs *llmgw__rargs_new(void);
/* Start an eval of a script: EVALSHA <sha> <numkeys>, filled in by llmgw__shared_eval. */
void llmgw__rargs_eval(llmgw__rargs *a);
void llmgw__rargs_add(llmgw__rargs *a, const char *s, size_t len);       /* borrowed */
void llmgw__rargs_addz(llmgw__rargs *a, const char *s);
void llmgw__rargs_addi(llmgw__rargs *a, int64_t v);
/* A key: the prefix, then the formatted rest (bounded by LLMGW__REDIS_MAX_KEY). */
void llmgw__rargs_key(llmgw__rargs *a, const llmgw__shared *s, const char *fmt, ...) LLMGW_PRINTF(3, 4);
void llmgw__rargs_free(llmgw__rargs *a);

/*
 * One command through the breaker, the pool and the deadline (retried once
 * on a fresh connection when a pooled one turned out closed). 0 with *out
 * (free with llmgw__rreply_free; may be an error reply), or
 * LLMGW_EUNAVAILABLE (or LLMGW_ENOMEM): fall back.
 */
int  llmgw__shared_command(llmgw__shared *s, redisReply **out, llmgw__rargs *a);
/* Run a script with the keys then arguments in a (started with llmgw__rargs_eval). */
int  llmgw__shared_eval(llmgw__shared *s, redisReply **out, int script, llmgw__rargs *a, int nkeys);
/* The answer made no sense: count it; the caller falls back. */
int  llmgw__shared_rejected(llmgw__shared *s);
/* A lease id unique to this process and call. */
void llmgw__shared_lease(llmgw__shared *s, char out[LLMGW__SHARED_LEASE_LEN]);

/* Reply checks: an integer in [lo, hi]; a string holding such an integer. */
bool llmgw__rreply_int(const redisReply *r, long long lo, long long hi, long long *out);
bool llmgw__rreply_strint(const redisReply *r, long long lo, long long hi, long long *out);

#endif
