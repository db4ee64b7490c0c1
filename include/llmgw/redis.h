/*
 * redis.h: sharing a gateway's state with other processes and hosts
 * through Redis: the response cache (optional), per-deployment rate limits
 * (rpm, tpm, parallel requests), per-customer and per-tag budgets, and
 * deployment cooldowns. A config file sets the same through
 * router_settings.redis_* / cache_params / llmgw_settings.redis
 * (docs/redis.md).
 *
 * Redis is never required: when it is down, slow or answers garbage, the
 * cache misses, limits and budgets are enforced by each process alone (the
 * fleet may then exceed a limit by up to N processes times), cooldowns stay
 * local, and no request fails because of Redis. A breaker in front of
 * Redis makes every call fall back at once while it is down, and it
 * reconnects by itself with backoff. Every Redis call is bounded by the
 * command timeout and by the request's deadline.
 */
#ifndef LLMGW_REDIS_H
#define LLMGW_REDIS_H

#include "common.h"

LLMGW_BEGIN_DECLS

/** Where Redis is and how to use it. Zero or NULL means "the default" for every field. */
typedef struct llmgw_redis_options {
    unsigned int version;            /**< LLMGW_REDIS_OPTIONS_VERSION, first, always */
    /**
     * redis://[[user]:password@]host[:port][/db] or unix://[[user]:password@]/path[?db=N]
     * (a secret: never logged). Wins over host, port, username, password and db for what it holds.
     * rediss:// (TLS) is refused with LLMGW_EUNSUPPORTED: Debian 12's hiredis 0.14 has no TLS.
     */
    const char  *url;
    const char  *host;               /**< when url is NULL */
    int          port;               /**< 0: 6379 */
    const char  *username;           /**< ACL user (Redis 6+), or NULL */
    const char  *password;           /**< secret; NULL: no AUTH */
    int          db;                 /**< SELECT db (0) */
    const char  *key_prefix;         /**< put before every key ("llmgw:"); at most 256 bytes */
    int64_t      connect_timeout_ms; /**< 100 */
    int64_t      command_timeout_ms; /**< 50; always clipped to what is left of the request's deadline */
    /**
     * A secret shared by every process (a secret: never logged): it keys the HMAC of cache
     * entries in Redis and the credential fingerprints in cache keys. NULL: entries are only
     * checked for integrity, and anyone who can write to Redis can forge them.
     */
    const char  *secret;
    int          cache;              /**< non-zero: the response cache lives in Redis (and caching is on) */
    unsigned int max_idle;           /**< idle connections kept (16) */
    unsigned int max_open;           /**< connections open at once (256); past it, calls fall back */
    /* LLMGW_REDIS_OPTIONS_VERSION 2 fields go below this line */
} llmgw_redis_options;

#define LLMGW_REDIS_OPTIONS_VERSION 1
/* Designated in C (no -Wmissing-field-initializers noise); C++ code may prefer the _init() function. */
#ifdef __cplusplus
#  define LLMGW_REDIS_OPTIONS_INIT { LLMGW_REDIS_OPTIONS_VERSION }
#else
#  define LLMGW_REDIS_OPTIONS_INIT { .version = LLMGW_REDIS_OPTIONS_VERSION }
#endif

/** Fill opts with defaults; the twin of LLMGW_REDIS_OPTIONS_INIT for FFI. */
LLMGW_API int llmgw_redis_options_init(llmgw_redis_options *opts, unsigned int version);

/**
 * Share this gateway's state through Redis, replacing what a config file or
 * an earlier call set; NULL opts stops sharing. Connects nothing: the first
 * call that needs Redis does, so this succeeds whether Redis is up or not.
 * Strings are copied. Deployments added later are shared too. Not to be
 * called while requests are in flight. LLMGW_EUNSUPPORTED when llmgw was
 * built without hiredis, or for TLS; LLMGW_EINVAL for a malformed url
 * (the message never repeats it).
 */
LLMGW_API int llmgw_gateway_set_redis(llmgw_gateway *gw, const llmgw_redis_options *opts);

/** Redis states. */
enum {
    LLMGW_REDIS_OFF  = 0,   /**< not configured */
    LLMGW_REDIS_UP   = 1,   /**< in use (or not tried yet) */
    LLMGW_REDIS_DOWN = 2    /**< its breaker is open: every process-local fallback is in force */
};

/** Counters of the gateway's use of Redis. */
typedef struct llmgw_redis_stats {
    unsigned int version;           /**< 1 */
    int          state;             /**< LLMGW_REDIS_* */
    uint64_t     calls;             /**< commands sent */
    uint64_t     failures;          /**< commands that failed or timed out: their callers fell back */
    uint64_t     timeouts;          /**< of which timed out */
    uint64_t     skipped;           /**< calls not made: breaker open, no time left, every connection busy */
    uint64_t     connects;          /**< connections opened */
    uint64_t     breaker_openings;  /**< times Redis was declared down */
    uint64_t     rejected_values;   /**< answers refused: bad cache envelope or HMAC, oversized, malformed */
    uint64_t     open_connections;  /**< open now in this process */
} llmgw_redis_stats;

/** Fill out (state LLMGW_REDIS_OFF and zeros when Redis is not configured). */
LLMGW_API int llmgw_gateway_redis_stats(llmgw_gateway *gw, llmgw_redis_stats *out);

LLMGW_END_DECLS

#endif
