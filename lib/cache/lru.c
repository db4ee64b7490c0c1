/*
 * lib/cache/lru.c: the default cache backend, in memory.
 *
 * Keys hash to one of a power-of-two number of shards, each with its own
 * mutex, chained hash table and doubly linked recency list (head = most
 * recently used), so get, put and remove are O(1) and threads touching
 * different shards never wait on each other. Each shard holds at most
 * max_bytes / shards, counting for every entry its node, key and value; a
 * put evicts from the shard's tail until the shard fits again (an expired
 * tail counts as an expiration, a live one as an eviction). The TTL is
 * checked on get with the injected clock. Values are copied in and out: a
 * stored value never aliases the caller's memory. Nodes are allocated and
 * freed outside the shard lock; the only allocation under it is the copy
 * into the caller's buffer and a rare table growth.
 */
#include "../core/common.h"
#include "../core/buf.h"
#include "../core/clock.h"
#include "../core/errors.h"
#include "cache.h"

#include <pthread.h>

#define INITIAL_BUCKETS 16
#define MAX_BUCKETS     ((size_t)1 << 24)

typedef struct node {
    struct node *hnext;            /* hash chain */
    struct node *prev, *next;      /* recency list */
    uint64_t     hash;
    int64_t      expires_ms;
    size_t       key_len, val_len;
    size_t       cost;             /* bytes charged to the shard */
    char         data[];           /* key, NUL, value */
} node;

typedef struct shard {
    pthread_mutex_t lock;
    node          **buckets;
    size_t          nbuckets;      /* power of two */
    node           *head, *tail;
    size_t          bytes, count, budget;
    uint64_t        hits, misses, puts, evictions, expirations, errors;
    char            pad[64];       /* keeps neighbouring shards' locks off one cache line */
} shard;

typedef struct lru {
    shard   *shards;
    size_t   nshards;
    size_t   max_entry;
    uint64_t seed;
    int64_t (*now_ms)(void *);
    void    *clock_self;
} lru;

/* ---- hashing: 8 bytes at a time, then a 64-bit finalizer (keys are hex digests in practice) ---- */

static uint64_t fmix64(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

static uint64_t hash_key(uint64_t seed, const char *k, size_t len)
{
    uint64_t h = seed ^ (len * 0x9e3779b97f4a7c15ULL), w;
    size_t i;

    for (i = 0; i + 8 <= len; i += 8) {
        memcpy(&w, k + i, 8);
        h = (h ^ fmix64(w)) * 0x9e3779b97f4a7c15ULL;
        h = (h << 27) | (h >> 37);
    }
    w = 0;
    memcpy(&w, k + i, len - i);
    return fmix64(h ^ w ^ ((uint64_t)(len - i) << 56));
}

static shard *shard_of(lru *c, uint64_t h)
{
    return &c->shards[(h >> 40) & (c->nshards - 1)];
}

static int64_t now_of(lru *c)
{
    return c->now_ms ? c->now_ms(c->clock_self) : llmgw__mono_us() / 1000;
}

/* ---- one shard (its lock held) ---- */

static node *find(shard *s, uint64_t h, const char *key, size_t klen)
{
    node *n;

    for (n = s->buckets[h & (s->nbuckets - 1)]; n != NULL; n = n->hnext)
        if (n->hash == h && n->key_len == klen && memcmp(n->data, key, klen) == 0)
            return n;
    return NULL;
}

static void list_unlink(shard *s, node *n)
{
    if (n->prev)
        n->prev->next = n->next;
    else
        s->head = n->next;
    if (n->next)
        n->next->prev = n->prev;
    else
        s->tail = n->prev;
    n->prev = n->next = NULL;
}

static void list_push_front(shard *s, node *n)
{
    n->prev = NULL;
    n->next = s->head;
    if (s->head)
        s->head->prev = n;
    else
        s->tail = n;
    s->head = n;
}

/* Take a node out of the table and the list, and uncharge it. */
static void detach(shard *s, node *n)
{
    node **pp = &s->buckets[n->hash & (s->nbuckets - 1)];

    while (*pp != n)
        pp = &(*pp)->hnext;
    *pp = n->hnext;
    n->hnext = NULL;
    list_unlink(s, n);
    s->bytes -= n->cost;
    s->count--;
}

static void attach(shard *s, node *n)
{
    node **b = &s->buckets[n->hash & (s->nbuckets - 1)];

    n->hnext = *b;
    *b = n;
    list_push_front(s, n);
    s->bytes += n->cost;
    s->count++;
}

/* Double the table when it holds more entries than buckets; on failure keep the old one. */
static void maybe_grow(shard *s)
{
    size_t nb = s->nbuckets * 2, i;
    node **b;

    if (s->count <= s->nbuckets || nb > MAX_BUCKETS)
        return;
    b = llmgw__calloc(nb, sizeof(*b));
    if (b == NULL)
        return;
    for (i = 0; i < s->nbuckets; i++) {
        node *n = s->buckets[i], *next;
        for (; n != NULL; n = next) {
            next = n->hnext;
            n->hnext = b[n->hash & (nb - 1)];
            b[n->hash & (nb - 1)] = n;
        }
    }
    llmgw__free(s->buckets);
    s->buckets = b;
    s->nbuckets = nb;
}

static void free_chain(node *n)
{
    while (n != NULL) {
        node *next = n->hnext;
        llmgw__free(n);
        n = next;
    }
}

/* ---- the vtable ---- */

static int lru_get(llmgw_buf *value_out, void *self, const char *key)
{
    lru *c = self;
    node *n, *dead = NULL;
    size_t klen;
    uint64_t h;
    int64_t now;
    shard *s;
    int rc = LLMGW_ENOTFOUND;

    LLMGW_CHECK_ARG(value_out);
    LLMGW_CHECK_ARG(self);
    LLMGW_CHECK_ARG(key);
    klen = strlen(key);
    h = hash_key(c->seed, key, klen);
    s = shard_of(c, h);
    now = now_of(c);
    pthread_mutex_lock(&s->lock);
    n = find(s, h, key, klen);
    if (n != NULL && now >= n->expires_ms) {
        detach(s, n);
        s->expirations++;
        dead = n;
        n = NULL;
    }
    if (n == NULL) {
        s->misses++;
        llmgw__buf_clear(value_out);                    /* nothing stale for a careless caller */
    } else if (llmgw__buf_set(value_out, n->data + klen + 1, n->val_len) < 0) {
        s->errors++;
        rc = LLMGW_ENOMEM;
    } else {
        list_unlink(s, n);
        list_push_front(s, n);
        s->hits++;
        rc = 0;
    }
    pthread_mutex_unlock(&s->lock);
    llmgw__free(dead);
    return rc;
}

static void count_error(shard *s)
{
    pthread_mutex_lock(&s->lock);
    s->errors++;
    pthread_mutex_unlock(&s->lock);
}

static int lru_put(void *self, const char *key, const void *value, size_t len, int64_t ttl_ms)
{
    lru *c = self;
    node *n, *old, *victims = NULL;
    size_t klen, cost;
    uint64_t h;
    int64_t now;
    shard *s;

    LLMGW_CHECK_ARG(self);
    LLMGW_CHECK_ARG(key);
    if (value == NULL && len != 0)
        return llmgw__error_null_arg("value", __func__);
    if (ttl_ms <= 0)
        return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_NONE, "cache ttl must be positive");
    klen = strlen(key);
    h = hash_key(c->seed, key, klen);
    s = shard_of(c, h);
    if (len > c->max_entry || klen > SIZE_MAX / 4 || len > SIZE_MAX / 4 ||
        (cost = sizeof(node) + klen + 1 + len) > s->budget) {
        count_error(s);
        return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_NONE,
                                 "cache value of %zu bytes not stored: over the entry or shard limit", len);
    }
    n = llmgw__malloc(cost);
    if (n == NULL) {
        count_error(s);
        return llmgw__error_oom();
    }
    n->hnext = n->prev = n->next = NULL;
    n->hash = h;
    n->key_len = klen;
    n->val_len = len;
    n->cost = cost;
    memcpy(n->data, key, klen + 1);
    if (len)
        memcpy(n->data + klen + 1, value, len);
    now = now_of(c);
    n->expires_ms = now > INT64_MAX - ttl_ms ? INT64_MAX : now + ttl_ms;

    pthread_mutex_lock(&s->lock);
    old = find(s, h, key, klen);
    if (old != NULL)
        detach(s, old);
    attach(s, n);
    s->puts++;
    while (s->bytes > s->budget && s->tail != n) {
        node *t = s->tail;
        detach(s, t);
        if (now >= t->expires_ms)
            s->expirations++;
        else
            s->evictions++;
        t->hnext = victims;
        victims = t;
    }
    maybe_grow(s);
    pthread_mutex_unlock(&s->lock);
    llmgw__free(old);
    free_chain(victims);
    return 0;
}

static int lru_remove(void *self, const char *key)
{
    lru *c = self;
    node *n;
    size_t klen;
    uint64_t h;
    shard *s;

    LLMGW_CHECK_ARG(self);
    LLMGW_CHECK_ARG(key);
    klen = strlen(key);
    h = hash_key(c->seed, key, klen);
    s = shard_of(c, h);
    pthread_mutex_lock(&s->lock);
    n = find(s, h, key, klen);
    if (n != NULL)
        detach(s, n);
    pthread_mutex_unlock(&s->lock);
    llmgw__free(n);
    return n != NULL ? 0 : LLMGW_ENOTFOUND;
}

static int lru_stats(llmgw_cache_stats *out, void *self)
{
    lru *c = self;
    size_t i;

    LLMGW_CHECK_ARG(out);
    LLMGW_CHECK_ARG(self);
    memset(out, 0, sizeof(*out));
    out->version = 1;
    for (i = 0; i < c->nshards; i++) {
        shard *s = &c->shards[i];
        pthread_mutex_lock(&s->lock);
        out->hits += s->hits;
        out->misses += s->misses;
        out->puts += s->puts;
        out->evictions += s->evictions;
        out->expirations += s->expirations;
        out->errors += s->errors;
        out->entries += s->count;
        out->bytes += s->bytes;
        pthread_mutex_unlock(&s->lock);
    }
    return 0;
}

static void shard_dispose(shard *s)
{
    node *n = s->head, *next;

    for (; n != NULL; n = next) {
        next = n->next;
        llmgw__free(n);
    }
    llmgw__free(s->buckets);
    pthread_mutex_destroy(&s->lock);
}

static void lru_destroy(void *self)
{
    lru *c = self;
    size_t i;

    if (c == NULL)
        return;
    for (i = 0; i < c->nshards; i++)
        shard_dispose(&c->shards[i]);
    llmgw__free(c->shards);
    llmgw__free(c);
}

const llmgw_cache_backend_vtable llmgw__lru_backend = {
    .version = LLMGW_CACHE_BACKEND_VERSION,
    .name = "lru",
    .get = lru_get,
    .put = lru_put,
    .remove = lru_remove,
    .stats = lru_stats,
    .destroy = lru_destroy,
};

int llmgw__lru_new(void **out, const llmgw__lru_options *opts, int64_t (*now_ms)(void *), void *clock_self)
{
    size_t max_bytes = LLMGW__LRU_DEFAULT_MAX_BYTES, max_entry = LLMGW__LRU_DEFAULT_MAX_ENTRY_BYTES;
    size_t nshards = LLMGW__LRU_DEFAULT_SHARDS, i;
    lru *c;

    LLMGW_CHECK_ARG(out);
    *out = NULL;
    if (opts != NULL) {
        max_bytes = opts->max_bytes ? opts->max_bytes : max_bytes;
        max_entry = opts->max_entry_bytes ? opts->max_entry_bytes : max_entry;
        nshards = opts->shards ? opts->shards : nshards;
    }
    if ((nshards & (nshards - 1)) != 0 || nshards > LLMGW__LRU_MAX_SHARDS || max_bytes / nshards == 0)
        return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG,
                                 "lru cache: shards must be a power of two up to %d, and at most max_bytes",
                                 LLMGW__LRU_MAX_SHARDS);
    c = llmgw__calloc(1, sizeof(*c));
    if (c == NULL)
        return llmgw__error_oom();
    c->shards = llmgw__calloc(nshards, sizeof(*c->shards));
    if (c->shards == NULL) {
        llmgw__free(c);
        return llmgw__error_oom();
    }
    c->max_entry = max_entry;
    c->now_ms = now_ms;
    c->clock_self = clock_self;
    c->seed = fmix64((uint64_t)llmgw__mono_us() ^ (uint64_t)(uintptr_t)c);
    for (i = 0; i < nshards; i++) {
        shard *s = &c->shards[i];
        s->budget = max_bytes / nshards;
        s->nbuckets = INITIAL_BUCKETS;
        s->buckets = llmgw__calloc(INITIAL_BUCKETS, sizeof(*s->buckets));
        if (s->buckets == NULL || pthread_mutex_init(&s->lock, NULL) != 0) {
            llmgw__free(s->buckets);
            break;
        }
        c->nshards++;
    }
    if (c->nshards != nshards) {
        lru_destroy(c);
        return llmgw__error_oom();
    }
    *out = c;
    return 0;
}
