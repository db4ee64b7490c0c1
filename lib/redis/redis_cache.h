/*
 * lib/redis/redis_cache.h: the Redis cache backend (cache_redis.c).
 */
#ifndef LLMGW_REDIS_REDIS_CACHE_H
#define LLMGW_REDIS_REDIS_CACHE_H

#include "../core/common.h"
#include "llmgw/sys/cache.h"
#include "shared.h"

extern const llmgw_cache_backend_vtable llmgw__redis_cache_backend;

/* A backend over s (which it holds a reference to until destroyed). */
int  llmgw__redis_cache_new(void **out, llmgw__shared *s);
/* The envelope's HMAC (exposed for tests that forge and tamper). */
void llmgw__redis_envelope_mac(const unsigned char key32[32], const char *cache_key, const void *value, size_t len,
                               unsigned char out[32]);

#endif
