/*
 * lib/redis/open.c: the shared-state object's life: made from a config
 * file's settings or from llmgw_redis_options, attached to the gateway's
 * deployments (rate limits, health), budget ledger and cache slot.
 */
#include "../core/common.h"
#include "../core/clock.h"
#include "../core/errors.h"
#include "../core/gateway.h"
#include "../core/hash.h"
#include "../core/request.h"
#include "../accounting/budget.h"
#include "../cache/cache.h"
#include "internal.h"
#include "redis_cache.h"

#define MAX_PREFIX 256

typedef struct params {
    llmgw__redis_target target;      /* owned */
    const char         *prefix;
    int64_t             connect_timeout_ms, command_timeout_ms;
    const char         *secret;
    bool                cache;
    unsigned int        max_idle, max_open;
} params;

llmgw__shared *llmgw__shared_ref(llmgw__shared *s)
{
    if (s != NULL)
        atomic_fetch_add(&s->refs, 1);
    return s;
}

void llmgw__shared_unref(llmgw__shared *s)
{
    if (s == NULL || atomic_fetch_sub(&s->refs, 1) != 1)
        return;
    llmgw__rpool_free(s->pool);
    llmgw__redis_target_dispose(&s->target);
    llmgw__free(s->prefix);
    pthread_mutex_destroy(&s->script_mu);
    llmgw__zeroize(s->master, sizeof(s->master));
    llmgw__zeroize(s->envelope_key, sizeof(s->envelope_key));
    llmgw__zeroize(s->fingerprint_key, sizeof(s->fingerprint_key));
    llmgw__free(s);
}

static void derive(unsigned char out[32], const unsigned char master[32], const char *label)
{
    llmgw__hmac_sha256(master, 32, label, strlen(label), out);
}

static int shared_new(llmgw__shared **out, llmgw_gateway *gw, params *p)
{
    static const char public_key[] = "llmgw.redis.no-secret.v1";
    unsigned char id[LLMGW_SHA256_LEN];
    llmgw__shared *s;
    size_t max_value;
    uint64_t seed;

    *out = NULL;
    if ((s = llmgw__calloc(1, sizeof(*s))) == NULL)
        return llmgw__error_oom();
    if (pthread_mutex_init(&s->script_mu, NULL) != 0) {
        llmgw__free(s);
        return llmgw__error_oom();
    }
    atomic_init(&s->refs, 1);
    s->gw = gw;
    s->target = p->target;
    memset(&p->target, 0, sizeof(p->target));
    s->prefix = llmgw__strdup(p->prefix ? p->prefix : LLMGW__REDIS_DEFAULT_PREFIX);
    if (s->prefix == NULL ||
        llmgw__rpool_new(&s->pool, p->max_idle ? p->max_idle : LLMGW__REDIS_MAX_IDLE,
                         p->max_open ? p->max_open : LLMGW__REDIS_MAX_OPEN) < 0) {
        llmgw__shared_unref(s);
        return llmgw__error_oom();
    }
    s->prefix_len = strlen(s->prefix);
    s->connect_timeout_us = 1000 * (p->connect_timeout_ms > 0 ? p->connect_timeout_ms
                                                              : LLMGW__REDIS_CONNECT_TIMEOUT_MS);
    s->command_timeout_us = 1000 * (p->command_timeout_ms > 0 ? p->command_timeout_ms
                                                              : LLMGW__REDIS_COMMAND_TIMEOUT_MS);
    max_value = gw->opts.cache_max_entry_bytes ? gw->opts.cache_max_entry_bytes : ((size_t)1 << 20);
    s->max_value_bytes = LLMGW_MIN(max_value, (size_t)LLMGW__CACHE_ENTRY_MAX_BYTES);
    s->max_reply_bytes = s->max_value_bytes + 64 + 4096;
    /* the secret keys everything derived from it; without one, a public key (integrity only) */
    if (p->secret != NULL && *p->secret != '\0') {
        llmgw__sha256(p->secret, strlen(p->secret), s->master);
        s->has_secret = true;
    } else {
        llmgw__sha256(public_key, sizeof(public_key) - 1, s->master);
    }
    derive(s->envelope_key, s->master, "llmgw.redis.cache-envelope");
    derive(s->fingerprint_key, s->master, "llmgw.redis.cache-fingerprint");
    llmgw__hmac_sha256(gw->secret, sizeof(gw->secret), "llmgw.redis.instance", 20, id);
    llmgw__hex(s->instance, id, 8);
    memcpy(&seed, id + 8, sizeof(seed));
    llmgw__rbreaker_init(&s->breaker, seed ^ (uint64_t)llmgw__mono_us());
    *out = s;
    return 0;
}

/* Caller holds gw->lock for writing (or the gateway is not shared yet). */
static void attach_all(llmgw_gateway *gw, llmgw__shared *s)
{
    size_t i;

    for (i = 0; i < gw->ndeps; i++) {
        llmgw__deployment *d = gw->deps[i];
        if (!d->runtime_ready)
            continue;
        llmgw__limiter_share(&d->limiter, s, d->id);
        llmgw__health_share(&d->health, s, d->id);
    }
    llmgw__budgets_share(gw->budgets, s);
}

void llmgw__shared_attach_deployment(llmgw_gateway *gw, struct llmgw__deployment *d)
{
    if (gw->shared == NULL || d == NULL || !d->runtime_ready)
        return;
    llmgw__limiter_share(&d->limiter, gw->shared, d->id);
    llmgw__health_share(&d->health, gw->shared, d->id);
}

static int install_cache(llmgw_gateway *gw, llmgw__shared *s)
{
    void *self = NULL;
    int rc;

    LLMGW_TRY(llmgw__redis_cache_new(&self, s));
    rc = llmgw_gateway_set_cache_backend(gw, &llmgw__redis_cache_backend, self);
    if (rc < 0) {
        llmgw__redis_cache_backend.destroy(self);
        return rc;
    }
    /* every process must compute the same cache key: the credential fingerprint's key is shared */
    pthread_rwlock_wrlock(&gw->lock);
    if (s->has_secret) {
        gw->cache_fp_secret = s->fingerprint_key;
        gw->cache_fp_secret_len = sizeof(s->fingerprint_key);
    }
    pthread_rwlock_unlock(&gw->lock);
    return 0;
}

static int64_t lru_now_ms(void *self)
{
    const llmgw_gateway *gw = self;

    return gw->clock->now_us(gw->clock->self) / 1000;
}

/* Caller holds gw->lock for writing: back to the in-process LRU (caching stays as it was). */
static void drop_cache(llmgw_gateway *gw)
{
    llmgw__lru_options lo;
    void *lru = NULL;

    gw->cache_vt->destroy(gw->cache_self);
    gw->cache_vt = NULL;
    gw->cache_self = NULL;
    memset(&lo, 0, sizeof(lo));
    lo.max_bytes = gw->opts.cache_max_bytes;
    lo.max_entry_bytes = gw->opts.cache_max_entry_bytes;
    if (gw->opts.cache_enabled && llmgw__lru_new(&lru, &lo, lru_now_ms, gw) == 0) {
        gw->cache_vt = &llmgw__lru_backend;
        gw->cache_self = lru;
    }
}

/* Replace the gateway's sharing with s (NULL: none), taking the reference. */
static int swap(llmgw_gateway *gw, llmgw__shared *s, bool cache)
{
    llmgw__shared *old;

    pthread_rwlock_wrlock(&gw->lock);
    attach_all(gw, s);
    old = gw->shared;
    gw->shared = s;
    if (old != NULL && gw->cache_fp_secret == old->fingerprint_key) {
        gw->cache_fp_secret = NULL;
        gw->cache_fp_secret_len = 0;
    }
    if (gw->cache_vt == &llmgw__redis_cache_backend && !cache)
        drop_cache(gw);
    pthread_rwlock_unlock(&gw->lock);
    llmgw__shared_unref(old);
    return s != NULL && cache ? install_cache(gw, s) : 0;
}

static void tls_refused(llmgw_gateway *gw)
{
    llmgw__log(gw, LLMGW_LOG_WARN, "redis: TLS (rediss://, tls: true) was asked for, but this build's hiredis "
               "has no TLS; Redis is not used and the cache, limits, budgets and cooldowns stay in this process");
}

int llmgw__shared_open(llmgw_gateway *gw)
{
    const llmgw__redis_settings *rs;
    llmgw__shared *s = NULL;
    params p;
    int rc;

    if (gw->settings == NULL || !gw->settings->redis.configured)
        return 0;
    rs = &gw->settings->redis;
    memset(&p, 0, sizeof(p));
    p.target.port = rs->port;
    p.target.db = rs->db;
    p.target.tls = rs->tls;
    if ((rs->host && (p.target.host = llmgw__strdup(rs->host)) == NULL) ||
        (rs->username && (p.target.username = llmgw__strdup(rs->username)) == NULL) ||
        (rs->password && (p.target.password = llmgw__strdup(rs->password)) == NULL)) {
        llmgw__redis_target_dispose(&p.target);
        return llmgw__error_oom();
    }
    if (rs->url != NULL && (rc = llmgw__redis_url_parse(&p.target, rs->url)) < 0) {
        llmgw__redis_target_dispose(&p.target);
        return rc;
    }
    if (p.target.tls) {
        llmgw__redis_target_dispose(&p.target);
        tls_refused(gw);
        return 0;
    }
    p.prefix = rs->key_prefix;
    p.connect_timeout_ms = rs->connect_timeout_ms;
    p.command_timeout_ms = rs->command_timeout_ms;
    p.secret = rs->secret;
    p.cache = gw->settings->cache.type == LLMGW__CACHE_REDIS && gw->opts.cache_enabled;
    if ((rc = shared_new(&s, gw, &p)) < 0) {
        llmgw__redis_target_dispose(&p.target);
        return rc;
    }
    if (!s->has_secret && p.cache)
        llmgw__log(gw, LLMGW_LOG_WARN, "redis: no llmgw_settings.redis.secret: cache entries in Redis are "
                   "checked for integrity only, and whoever can write to Redis can forge them");
    return swap(gw, s, p.cache);
}

void llmgw__shared_test_probe_interval(llmgw_gateway *gw, int64_t first_us, int64_t max_us)
{
    if (gw->shared == NULL)
        return;
    gw->shared->breaker.first_probe_us = first_us;
    gw->shared->breaker.max_probe_us = max_us;
}

void llmgw__shared_close(llmgw_gateway *gw)
{
    llmgw__shared_unref(gw->shared);
    gw->shared = NULL;
}

/* ---- public API ---- */

int llmgw_redis_options_init(llmgw_redis_options *opts, unsigned int version)
{
    LLMGW_CHECK_ARG(opts);
    if (version == 0 || version > LLMGW_REDIS_OPTIONS_VERSION)
        return llmgw__error_setc(LLMGW_EVERSION, LLMGW_ERRCLASS_CONFIG, "unsupported options version %u", version);
    memset(opts, 0, sizeof(*opts));
    opts->version = version;
    return 0;
}

static int check_opts(const llmgw_redis_options *o)
{
    if (o->version == 0 || o->version > LLMGW_REDIS_OPTIONS_VERSION)
        return llmgw__error_setc(LLMGW_EVERSION, LLMGW_ERRCLASS_CONFIG,
                                 "redis options version %u not supported (this library: 1..%d)", o->version,
                                 LLMGW_REDIS_OPTIONS_VERSION);
    if (o->url == NULL && (o->host == NULL || *o->host == '\0'))
        return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG, "redis: a url or a host is needed");
    if (o->port < 0 || o->port > 65535 || o->db < 0 || o->db > 65535 || o->connect_timeout_ms < 0 ||
        o->command_timeout_ms < 0 || o->connect_timeout_ms > 3600000 || o->command_timeout_ms > 3600000)
        return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG,
                                 "redis: port and db in [0, 65535], timeouts in [0, 3600000] ms");
    if ((o->host && (strlen(o->host) > 255 || llmgw__has_ctl(o->host))) ||
        (o->username && (strlen(o->username) > 4096 || llmgw__has_ctl(o->username))) ||
        (o->password && strlen(o->password) > 4096) || (o->secret && strlen(o->secret) > 4096))
        return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG,
                                 "redis: host, username, password or secret too long or with control characters");
    if (o->key_prefix && (strlen(o->key_prefix) > MAX_PREFIX || llmgw__has_ctl(o->key_prefix)))
        return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG,
                                 "redis: key_prefix must be at most 256 bytes, without control characters");
    return 0;
}

int llmgw_gateway_set_redis(llmgw_gateway *gw, const llmgw_redis_options *o)
{
    llmgw__shared *s = NULL;
    params p;
    int rc;

    LLMGW_CHECK_ARG(gw);
    if (o == NULL)
        return swap(gw, NULL, false);
    LLMGW_TRY(check_opts(o));
    memset(&p, 0, sizeof(p));
    p.target.port = o->port;
    p.target.db = o->db;
    if ((o->host && (p.target.host = llmgw__strdup(o->host)) == NULL) ||
        (o->username && (p.target.username = llmgw__strdup(o->username)) == NULL) ||
        (o->password && (p.target.password = llmgw__strdup(o->password)) == NULL)) {
        llmgw__redis_target_dispose(&p.target);
        return llmgw__error_oom();
    }
    if (o->url != NULL && (rc = llmgw__redis_url_parse(&p.target, o->url)) < 0) {
        llmgw__redis_target_dispose(&p.target);
        return rc;
    }
    if (p.target.tls) {
        llmgw__redis_target_dispose(&p.target);
        return llmgw__error_setc(LLMGW_EUNSUPPORTED, LLMGW_ERRCLASS_UNSUPPORTED,
                                 "redis: TLS is not available (this build's hiredis has none)");
    }
    p.prefix = o->key_prefix;
    p.connect_timeout_ms = o->connect_timeout_ms;
    p.command_timeout_ms = o->command_timeout_ms;
    p.secret = o->secret;
    p.cache = o->cache != 0;
    p.max_idle = o->max_idle;
    p.max_open = o->max_open;
    if ((rc = shared_new(&s, gw, &p)) < 0) {
        llmgw__redis_target_dispose(&p.target);
        return rc;
    }
    if (!s->has_secret && p.cache)
        llmgw__log(gw, LLMGW_LOG_WARN, "redis: no secret: cache entries in Redis are checked for integrity "
                   "only, and whoever can write to Redis can forge them");
    return swap(gw, s, p.cache);
}

int llmgw_gateway_redis_stats(llmgw_gateway *gw, llmgw_redis_stats *out)
{
    llmgw__shared *s;

    LLMGW_CHECK_ARG(gw);
    LLMGW_CHECK_ARG(out);
    memset(out, 0, sizeof(*out));
    out->version = 1;
    pthread_rwlock_rdlock(&gw->lock);
    s = llmgw__shared_ref(gw->shared);
    pthread_rwlock_unlock(&gw->lock);
    if (s == NULL)
        return 0;
    out->state = llmgw__shared_up(s) ? LLMGW_REDIS_UP : LLMGW_REDIS_DOWN;
    out->calls = atomic_load(&s->n.calls);
    out->failures = atomic_load(&s->n.failures);
    out->timeouts = atomic_load(&s->n.timeouts);
    out->skipped = atomic_load(&s->n.skipped);
    out->connects = atomic_load(&s->n.connects);
    out->breaker_openings = atomic_load(&s->n.openings);
    out->rejected_values = atomic_load(&s->n.rejected);
    out->open_connections = llmgw__rpool_open_count(s->pool);
    llmgw__shared_unref(s);
    return 0;
}
