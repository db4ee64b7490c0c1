/*
 * sys/cache.h: the cache-backend vtable, for people who add cache backends.
 *
 * The core computes every key (so all backends agree on it) and never puts
 * a secret in a key or a value. Whatever a backend returns is untrusted
 * input: the core checks it, and any backend error is a miss. The in-memory
 * LRU is only the default backend, with no special path in the core.
 */
#ifndef LLMGW_SYS_CACHE_H
#define LLMGW_SYS_CACHE_H

#include "../common.h"
#include "../buf.h"

LLMGW_BEGIN_DECLS

#define LLMGW_CACHE_BACKEND_VERSION 1

/** Per-backend counters (a backend may leave any at 0). */
typedef struct llmgw_cache_stats {
    unsigned int version;        /**< 1 */
    uint64_t     hits;
    uint64_t     misses;
    uint64_t     puts;
    uint64_t     evictions;
    uint64_t     expirations;
    uint64_t     entries;
    uint64_t     bytes;
    uint64_t     errors;
} llmgw_cache_stats;

typedef struct llmgw_cache_backend_vtable {
    unsigned int version;        /**< LLMGW_CACHE_BACKEND_VERSION */
    const char  *name;           /**< "lru", "redis" ... */
    /** Copy the value into value_out; LLMGW_ENOTFOUND on a miss (or expired). */
    int  (*get)(llmgw_buf *value_out, void *self, const char *key);
    /** Store a copy of the value for ttl_ms (> 0). */
    int  (*put)(void *self, const char *key, const void *value, size_t len, int64_t ttl_ms);
    int  (*remove)(void *self, const char *key);
    /** Fill stats (may be NULL: no stats). */
    int  (*stats)(llmgw_cache_stats *out, void *self);
    /** Called once, from llmgw_gateway_free() or when replaced. */
    void (*destroy)(void *self);
} llmgw_cache_backend_vtable;

/**
 * Use a backend for this gateway's response cache (replacing the current
 * one, which is destroyed). The gateway owns `self` from then on. Turns the
 * cache on. Not to be called while requests are in flight.
 */
LLMGW_API int llmgw_gateway_set_cache_backend(llmgw_gateway *gw, const llmgw_cache_backend_vtable *vtable,
                                              void *self);

LLMGW_END_DECLS

#endif
