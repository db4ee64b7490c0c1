/*
 * lib/redis/cache_redis.c: the response cache in Redis, behind the cache
 * backend vtable (include/llmgw/sys/cache.h).
 *
 * A value is stored in a versioned envelope:
 *
 *   "LGWC" | version (1 byte, 1) | 3 zero bytes | HMAC-SHA256 (32 bytes) | value
 *
 * where the HMAC, keyed by a key derived from the configured Redis secret,
 * covers a domain string, the cache key and the value (each with its length),
 * so a value cannot be forged, altered, or moved to another key without the
 * secret. Reads fetch at most header + max_value_bytes + 1 bytes (GETRANGE),
 * so an oversized value is refused before it is read whole; anything wrong
 * is a miss and counts in stats.errors and the Redis stats' rejected_values.
 * The TTL is set in Redis (SET ... PX). The core decodes the value with the
 * same checks as any backend's (lib/cache/entry.c: size, JSON, digest).
 */
#include "../core/common.h"
#include "../core/buf.h"
#include "../core/hash.h"
#include "internal.h"
#include "redis_cache.h"

#define ENV_HEADER   40
#define ENV_VERSION  1
#define MAX_TTL_MS   (86400LL * 1000)

typedef struct redis_cache {
    llmgw__shared   *s;                 /* a reference, dropped by destroy */
    _Atomic uint64_t hits, misses, puts, errors;
} redis_cache;

static void put_u64(unsigned char out[8], uint64_t v)
{
    int i;

    for (i = 7; i >= 0; i--) {
        out[i] = (unsigned char)v;
        v >>= 8;
    }
}

void llmgw__redis_envelope_mac(const unsigned char key32[32], const char *cache_key, const void *value, size_t len,
                               unsigned char out[32])
{
    static const char domain[] = "llmgw.redis.cache.v1";
    unsigned char pad[64], inner[LLMGW_SHA256_LEN], n[8];
    llmgw__sha256_ctx ctx;
    size_t i, klen = strlen(cache_key);

    /* HMAC-SHA256 (RFC 2104) over: domain NUL | len(key) | key | len(value) | value */
    for (i = 0; i < 64; i++)
        pad[i] = (unsigned char)((i < 32 ? key32[i] : 0) ^ 0x36);
    llmgw__sha256_init(&ctx);
    llmgw__sha256_update(&ctx, pad, sizeof(pad));
    llmgw__sha256_update(&ctx, domain, sizeof(domain));
    put_u64(n, klen);
    llmgw__sha256_update(&ctx, n, sizeof(n));
    llmgw__sha256_update(&ctx, cache_key, klen);
    put_u64(n, len);
    llmgw__sha256_update(&ctx, n, sizeof(n));
    llmgw__sha256_update(&ctx, value, len);
    llmgw__sha256_final(&ctx, inner);
    for (i = 0; i < 64; i++)
        pad[i] = (unsigned char)((i < 32 ? key32[i] : 0) ^ 0x5c);
    llmgw__sha256_init(&ctx);
    llmgw__sha256_update(&ctx, pad, sizeof(pad));
    llmgw__sha256_update(&ctx, inner, sizeof(inner));
    llmgw__sha256_final(&ctx, out);
    llmgw__zeroize(pad, sizeof(pad));
}

static bool same_mac(const unsigned char *a, const unsigned char *b)
{
    unsigned char d = 0;
    size_t i;

    for (i = 0; i < LLMGW_SHA256_LEN; i++)
        d |= (unsigned char)(a[i] ^ b[i]);
    return d == 0;
}

static int miss(redis_cache *c)
{
    atomic_fetch_add(&c->misses, 1);
    return LLMGW_ENOTFOUND;
}

static int rejected(redis_cache *c)
{
    atomic_fetch_add(&c->errors, 1);
    llmgw__shared_rejected(c->s);
    return miss(c);
}

static int cache_get(llmgw_buf *out, void *self, const char *key)
{
    redis_cache *c = self;
    llmgw__shared *s = c->s;
    llmgw__rargs *a;
    redisReply *r = NULL;
    unsigned char mac[LLMGW_SHA256_LEN];
    const unsigned char *env;
    int rc;

    if ((a = llmgw__rargs_new()) == NULL)
        return miss(c);
    llmgw__rargs_addz(a, "GETRANGE");
    llmgw__rargs_key(a, s, "c:%s", key);
    llmgw__rargs_addz(a, "0");
    llmgw__rargs_addi(a, (int64_t)(ENV_HEADER + s->max_value_bytes));
    rc = llmgw__shared_command(s, &r, a);
    llmgw__rargs_free(a);
    if (rc < 0) {
        atomic_fetch_add(&c->errors, 1);
        return miss(c);
    }
    if (r->type == REDIS_REPLY_STRING && r->len == 0) {
        llmgw__rreply_free(r);
        return miss(c);
    }
    env = (const unsigned char *)r->str;
    if (r->type != REDIS_REPLY_STRING || r->len < ENV_HEADER || r->len > ENV_HEADER + s->max_value_bytes ||
        memcmp(env, "LGWC", 4) != 0 || env[4] != ENV_VERSION || env[5] != 0 || env[6] != 0 || env[7] != 0) {
        llmgw__rreply_free(r);
        return rejected(c);
    }
    llmgw__redis_envelope_mac(s->envelope_key, key, env + ENV_HEADER, r->len - ENV_HEADER, mac);
    if (!same_mac(mac, env + 8)) {
        llmgw__rreply_free(r);
        return rejected(c);
    }
    rc = llmgw__buf_set(out, r->str + ENV_HEADER, r->len - ENV_HEADER);
    llmgw__rreply_free(r);
    if (rc < 0)
        return miss(c);
    atomic_fetch_add(&c->hits, 1);
    return 0;
}

static int cache_put(void *self, const char *key, const void *value, size_t len, int64_t ttl_ms)
{
    redis_cache *c = self;
    llmgw__shared *s = c->s;
    llmgw__rargs *a;
    redisReply *r = NULL;
    unsigned char *env;
    int rc;

    if (len > s->max_value_bytes || (len > 0 && value == NULL)) {
        atomic_fetch_add(&c->errors, 1);
        return LLMGW_EINVAL;            /* too big to share: not stored */
    }
    if ((env = llmgw__malloc(ENV_HEADER + len)) == NULL)
        return LLMGW_ENOMEM;
    memcpy(env, "LGWC", 4);
    env[4] = ENV_VERSION;
    env[5] = env[6] = env[7] = 0;
    llmgw__redis_envelope_mac(s->envelope_key, key, value, len, env + 8);
    if (len > 0)
        memcpy(env + ENV_HEADER, value, len);
    if ((a = llmgw__rargs_new()) == NULL) {
        llmgw__free(env);
        return LLMGW_ENOMEM;
    }
    llmgw__rargs_addz(a, "SET");
    llmgw__rargs_key(a, s, "c:%s", key);
    llmgw__rargs_add(a, (const char *)env, ENV_HEADER + len);
    llmgw__rargs_addz(a, "PX");
    llmgw__rargs_addi(a, ttl_ms <= 0 ? 1 : ttl_ms > MAX_TTL_MS ? MAX_TTL_MS : ttl_ms);
    rc = llmgw__shared_command(s, &r, a);
    llmgw__rargs_free(a);
    llmgw__free(env);
    if (rc == 0 && r->type == REDIS_REPLY_STATUS) {
        atomic_fetch_add(&c->puts, 1);
    } else {
        atomic_fetch_add(&c->errors, 1);   /* dropped: a put that fails is no error for the request */
        if (rc == 0)
            rc = LLMGW_EUNAVAILABLE;
    }
    llmgw__rreply_free(r);
    return rc;
}

static int cache_remove(void *self, const char *key)
{
    redis_cache *c = self;
    llmgw__rargs *a = llmgw__rargs_new();
    redisReply *r = NULL;
    int rc;

    if (a == NULL)
        return LLMGW_ENOMEM;
    llmgw__rargs_addz(a, "DEL");
    llmgw__rargs_key(a, c->s, "c:%s", key);
    rc = llmgw__shared_command(c->s, &r, a);
    llmgw__rargs_free(a);
    llmgw__rreply_free(r);
    return rc;
}

static int cache_stats(llmgw_cache_stats *out, void *self)
{
    redis_cache *c = self;

    memset(out, 0, sizeof(*out));
    out->version = 1;
    out->hits = atomic_load(&c->hits);
    out->misses = atomic_load(&c->misses);
    out->puts = atomic_load(&c->puts);
    out->errors = atomic_load(&c->errors);
    return 0;
}

static void cache_destroy(void *self)
{
    redis_cache *c = self;

    if (c == NULL)
        return;
    llmgw__shared_unref(c->s);
    llmgw__free(c);
}

const llmgw_cache_backend_vtable llmgw__redis_cache_backend = {
    .version = LLMGW_CACHE_BACKEND_VERSION,
    .name = "redis",
    .get = cache_get,
    .put = cache_put,
    .remove = cache_remove,
    .stats = cache_stats,
    .destroy = cache_destroy,
};

int llmgw__redis_cache_new(void **out, llmgw__shared *s)
{
    redis_cache *c = llmgw__calloc(1, sizeof(*c));

    *out = NULL;
    if (c == NULL)
        return LLMGW_ENOMEM;
    c->s = llmgw__shared_ref(s);
    *out = c;
    return 0;
}
