/*
 * lib/core/gateway.h: the gateway and its deployments, inside the library.
 */
#ifndef LLMGW_CORE_GATEWAY_H
#define LLMGW_CORE_GATEWAY_H

#include <pthread.h>
#include <stdatomic.h>

#include "common.h"
#include "clock.h"
#include "names.h"
#include "../router/fallback.h"
#include "../config/settings.h"
#include "../router/health.h"
#include "../router/ratelimit.h"
#include "../router/rules.h"
#include "../accounting/prices.h"

typedef struct llmgw__pool llmgw__pool;
typedef struct llmgw__transfer llmgw__transfer;

struct llmgw__deployment;

/* Performs one exchange for a deployment: libcurl, or in-process for `mock`. */
typedef int (*llmgw__perform_fn)(llmgw_gateway *gw, const struct llmgw__deployment *dep,
                                 llmgw__transfer *t);

typedef struct llmgw__deployment {
    char                        *id;
    char                        *group;          /* the group it was first added to */
    char                        *provider_id;
    char                        *model;          /* without the provider prefix */
    char                        *api_base;
    char                        *api_key;        /* zeroized on free */
    char                        *api_version;
    char                        *organization;
    char                        *region;
    char                        *aws_access_key_id;
    char                        *aws_secret_access_key;
    char                        *aws_session_token;
    const llmgw_provider_vtable *vt;
    void                        *state;
    void                        *params;         /* cJSON object, or NULL */
    char                       **tags;           /* tag routing */
    size_t                       tag_count;
    bool                         tag_default;    /* carries the "default" tag */
    llmgw_provider_config        cfg;
    llmgw__perform_fn            perform;
    const char                  *secrets[4];     /* for redaction, NULL-terminated */
    /* routing */
    int                          weight;         /* effective (>= 1) */
    int                          weight_set;     /* as configured, 0 = unset */
    int                          order;
    int64_t                      rpm, tpm;
    int                          max_parallel;
    int64_t                      timeout_ms;
    int64_t                      stream_timeout_ms;
    int64_t                      max_input_tokens;
    bool                         custom_prices;
    double                       input_cost_per_token;
    double                       output_cost_per_token;
    llmgw__price                 price;          /* what it is billed at (lib/accounting/pricing.c) */
    bool                         price_known;
    /* cache scope (lib/core/cache_step.c): never a secret, only digests */
    unsigned char                cache_fp[32];   /* provider, endpoint, model, API version, params */
    unsigned char                cred_fp[32];    /* SHA-256 of the credentials (keyed again in the cache key) */
    /* runtime */
    atomic_int                   in_flight;
    llmgw__health                health;
    llmgw__limiter               limiter;
    bool                         runtime_ready;  /* health and limiter initialized */
} llmgw__deployment;

/*
 * A group's deployment array. It is never reallocated in place: when full, a
 * larger block replaces it and the old one is kept (older) until the gateway
 * is freed, and adding writes only past the used part. So the pointer and
 * length read under gw->lock stay valid, unchanged, after the lock
 * (llmgw__gateway_resolve): no copy per request.
 */
typedef struct llmgw__dep_block {
    struct llmgw__dep_block *older;
    llmgw__deployment       *deps[];
} llmgw__dep_block;

typedef struct llmgw__group {
    char               *name;
    llmgw__deployment **deps;            /* block->deps: n used of cap */
    size_t              n, cap;
    llmgw__dep_block   *block;
} llmgw__group;

struct llmgw_gateway {
    llmgw_gateway_options         opts;          /* resolved defaults; strings owned below */
    char                         *proxy;
    char                         *ca_path;
    llmgw__pool                  *pool;
    const llmgw__clock           *clock;
    pthread_rwlock_t              lock;          /* groups, deployments, providers */
    llmgw__group                **groups;
    size_t                        ngroups, groups_cap;
    llmgw__deployment           **deps;          /* every deployment once; groups borrow */
    size_t                        ndeps, deps_cap;
    llmgw__names                  group_index;   /* group name -> index in groups */
    llmgw__names                  dep_index;     /* deployment id -> index in deps */
    unsigned char                 names_key[LLMGW_NAMES_KEY_LEN]; /* their hash key; also the config loader's */
    llmgw__routes                 routes;        /* aliases and fallbacks */
    llmgw__rules                  rules;         /* routing rules and classifiers */
    llmgw__settings              *settings;      /* from a config file, or NULL */
    struct llmgw__metrics        *metrics;
    struct llmgw__budgets        *budgets;
    const struct llmgw_cache_backend_vtable *cache_vt; /* NULL: no cache */
    void                         *cache_self;
    char                         *cache_namespace; /* owned copy of opts.cache_namespace */
    /* the cache key's credential-fingerprint key: a shared backend sets one every process knows */
    const unsigned char          *cache_fp_secret;
    size_t                        cache_fp_secret_len;
    struct llmgw_usage_log       *usage_log;     /* $LLMGW_USAGE_LOG or llmgw_settings.log.path, or NULL */
    llmgw__prices                *prices;        /* price file (prices_path, LLMGW_PRICES_PATH), or NULL */
    char                         *prices_path;   /* owned copy */
    struct llmgw__shared         *shared;        /* state shared through Redis, or NULL (lib/redis) */
    atomic_int                    retry_policy[LLMGW_ERRCLASS__COUNT]; /* -1: default */
    const llmgw_provider_vtable **providers;     /* registered by the host */
    size_t                        nproviders;
    atomic_uint_fast64_t          request_seq;
    llmgw__retry_budget           retry_budget;
    llmgw__health_cfg             health_cfg;
    uint64_t                      id_salt;
    uint64_t                      rng_seed;
    unsigned char                 secret[32];    /* per-gateway key for fingerprints */
};

/* Log a line through the gateway's hook (redacted), if its level allows. */
void llmgw__log(const llmgw_gateway *gw, int level, const char *fmt, ...) LLMGW_PRINTF(3, 4);

/* The provider vtable for a name: registered ones first, then built-ins. */
const llmgw_provider_vtable *llmgw__gateway_provider(llmgw_gateway *gw, const char *name);
/*
 * What llmgw_provider_register() checks of a vtable (version, name, required
 * callbacks, framing); the built-ins are held to it too (tests/providers/test_compat.c).
 */
int llmgw__provider_check(const llmgw_provider_vtable *vt);

/*
 * The deployments of a group as they were under the lock: borrowed from the
 * group (see llmgw__dep_block), read-only, valid until the gateway is freed.
 */
typedef struct llmgw__candidates {
    const char         *group;
    llmgw__deployment **deps;
    size_t              n;
} llmgw__candidates;

/*
 * Find the group for a model name. A "provider/model" that names no group
 * gets a deployment from the vendor's environment variables, created once.
 */
int  llmgw__gateway_resolve(llmgw_gateway *gw, const char *model, llmgw__candidates *out);
void llmgw__candidates_dispose(llmgw__candidates *c);

/* Next pseudo-random number from a per-call state seeded by the gateway. */
uint64_t llmgw__gateway_seed(llmgw_gateway *gw);

/* Set a simulated clock (tests). */
void llmgw__gateway_set_clock(llmgw_gateway *gw, const llmgw__clock *clock);

/* The gateway's counters (never NULL once created). */
static inline struct llmgw__metrics *llmgw__gateway_metrics(llmgw_gateway *gw)
{
    return gw->metrics;
}

/* Destroy the cache backend (lib/cache/backend.c). */
void llmgw__cache_backend_destroy(llmgw_gateway *gw);

/* Deployment lifecycle (deployment.c). */
int  llmgw__deployment_new(llmgw__deployment **out, llmgw_gateway *gw, const llmgw_deployment_options *o);
void llmgw__deployment_free(llmgw__deployment *d);

#endif
