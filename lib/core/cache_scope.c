/*
 * lib/core/cache_scope.c: the cache key's scope fields, hashed once per
 * candidate set instead of once per request (issue 10). Before the request
 * itself, a key hashes the namespace, the group, a digest of the group's
 * deployments and an HMAC of a digest of their credentials: eight SHA-256
 * blocks of the thirty-odd a 1 KB request costs, the same for every request
 * to the same group. This keeps the resulting SHA-256 state per thread.
 *
 * The memo is a pure function's: an entry is used only when every input is
 * the same by content (namespace and group bytes, each deployment's cache
 * and credential digests in order, the fingerprint key), never by address,
 * so a freed gateway, a rotated key or a deployment whose credentials
 * differ can never be answered from it. The fingerprint key is not kept:
 * the entry holds a 64-bit check of it (a mix that tells two keys apart;
 * 64 bits of a 256-bit key leave it unrecoverable), its length and whether
 * there was one. Per thread, so no lock; the entries are fixed-size, so a
 * thread's exit frees them.
 */
#include "cache_scope.h"

#include "../cache/cache.h"

#define SLOTS 4

typedef struct slot {
    bool               used;
    bool               has_key;
    size_t             key_len;
    uint64_t           key_check;
    size_t             n;
    unsigned char      fps[LLMGW__SCOPE_MEMO_DEPS][64];  /* cache_fp, then cred_fp */
    char               namespace_[LLMGW__SCOPE_MEMO_NAME];
    char               group[LLMGW__SCOPE_MEMO_NAME];
    llmgw__sha256_ctx  state;
} slot;

typedef struct memo {
    slot          s[SLOTS];
    unsigned int  next;         /* round-robin replacement */
    unsigned long hits;
} memo;

static _Thread_local memo tls_memo;

static uint64_t load64(const unsigned char *p)
{
    uint64_t v;

    memcpy(&v, p, sizeof(v));
    return v;
}

static uint64_t fmix64(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

/* A check of the fingerprint key: equal keys give equal checks; different ones differ but for 2^-64. */
static uint64_t key_check(const unsigned char *k, size_t len)
{
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ (uint64_t)len;
    unsigned char tail[8];
    size_t i;

    for (i = 0; i + 8 <= len; i += 8)
        h = fmix64(h ^ load64(k + i)) + 0x632be59bd9b4e019ULL;
    if (i < len) {
        memset(tail, 0, sizeof(tail));
        memcpy(tail, k + i, len - i);
        h = fmix64(h ^ load64(tail)) + 0x632be59bd9b4e019ULL;
        llmgw__zeroize(tail, sizeof(tail));
    }
    return fmix64(h);
}

static void group_digests(const llmgw__scope_input *in, char deps_hex[65], unsigned char cred[32])
{
    llmgw__sha256_ctx d, c;
    unsigned char out[32];
    size_t i;

    llmgw__sha256_init(&d);
    llmgw__sha256_init(&c);
    for (i = 0; i < in->n; i++) {
        llmgw__sha256_update(&d, in->deps[i]->cache_fp, 32);
        llmgw__sha256_update(&c, in->deps[i]->cred_fp, 32);
    }
    llmgw__sha256_final(&d, out);
    llmgw__hex(deps_hex, out, 32);
    deps_hex[64] = '\0';
    llmgw__sha256_final(&c, cred);
}

void llmgw__cache_scope_compute(llmgw__sha256_ctx *out, const llmgw__scope_input *in)
{
    llmgw__cache_scope scope;
    char deps_hex[65];
    unsigned char cred[32];

    group_digests(in, deps_hex, cred);
    memset(&scope, 0, sizeof(scope));
    scope.namespace_ = in->namespace_;
    scope.group = in->group;
    scope.deployments = deps_hex;
    scope.credential_key = cred;
    scope.credential_key_len = sizeof(cred);
    scope.fingerprint_secret = in->fp_secret;
    scope.fingerprint_secret_len = in->fp_secret != NULL ? in->fp_secret_len : 0;
    llmgw__cache_key_scope(out, &scope);
    llmgw__zeroize(cred, sizeof(cred));
}

/* Whether a name fits a slot's field with its NUL; its length into *len. */
static bool fits(const char *s, size_t *len)
{
    *len = strnlen(s, LLMGW__SCOPE_MEMO_NAME);
    return *len < LLMGW__SCOPE_MEMO_NAME;
}

static bool same(const slot *e, const llmgw__scope_input *in, bool has_key, uint64_t check,
                 const char *ns, size_t ns_len, const char *group, size_t group_len)
{
    size_t i;

    if (!e->used || e->n != in->n || e->has_key != has_key)
        return false;
    if (has_key && (e->key_len != in->fp_secret_len || e->key_check != check))
        return false;
    if (memcmp(e->namespace_, ns, ns_len + 1) != 0 || memcmp(e->group, group, group_len + 1) != 0)
        return false;
    for (i = 0; i < in->n; i++)
        if (memcmp(e->fps[i], in->deps[i]->cache_fp, 32) != 0 || memcmp(e->fps[i] + 32, in->deps[i]->cred_fp, 32) != 0)
            return false;
    return true;
}

void llmgw__cache_scope_state(llmgw__sha256_ctx *out, const llmgw__scope_input *in)
{
    memo *m = &tls_memo;
    bool has_key = in->fp_secret != NULL;
    uint64_t check = has_key ? key_check(in->fp_secret, in->fp_secret_len) : 0;
    size_t ns_len, group_len, i;
    slot *e;

    if (in->namespace_ == NULL || in->group == NULL || in->n > LLMGW__SCOPE_MEMO_DEPS || !fits(in->namespace_, &ns_len) || !fits(in->group, &group_len)) {
        llmgw__cache_scope_compute(out, in);
        return;
    }
    for (i = 0; i < SLOTS; i++) {
        if (same(&m->s[i], in, has_key, check, in->namespace_, ns_len, in->group, group_len)) {
            *out = m->s[i].state;
            m->hits++;
            return;
        }
    }
    llmgw__cache_scope_compute(out, in);
    e = &m->s[m->next];
    m->next = (m->next + 1) % SLOTS;
    e->used = true;
    e->has_key = has_key;
    e->key_len = has_key ? in->fp_secret_len : 0;
    e->key_check = check;
    e->n = in->n;
    for (i = 0; i < in->n; i++) {
        memcpy(e->fps[i], in->deps[i]->cache_fp, 32);
        memcpy(e->fps[i] + 32, in->deps[i]->cred_fp, 32);
    }
    memcpy(e->namespace_, in->namespace_, ns_len + 1);
    memcpy(e->group, in->group, group_len + 1);
    e->state = *out;
}

unsigned long llmgw__cache_scope_memo_hits(void)
{
    return tls_memo.hits;
}
