/*
 * lib/cache/cache.h: the response cache inside the library (keys, entries,
 * the LRU backend). The executor (lib/core/complete.c) calls these.
 */
#ifndef LLMGW_CACHE_CACHE_H
#define LLMGW_CACHE_CACHE_H

#include "../core/common.h"
#include "../core/reply.h"
#include "llmgw/sys/cache.h"

#define LLMGW__CACHE_KEY_LEN 64          /* hex SHA-256 */
#define LLMGW__CACHE_DEFAULT_TTL_MS (3600 * 1000LL)
#define LLMGW__CACHE_MAX_TTL_MS     (86400 * 1000LL)

/*
 * At gateway creation: copy the namespace, settle the TTL, and open the LRU
 * when the cache is on and no backend is set (lib/cache/backend.c).
 */
int llmgw__cache_open(llmgw_gateway *gw);

/* What the key covers besides the request (docs/resilience.md §d.5). */
typedef struct llmgw__cache_scope {
    const char *namespace_;     /* tenant namespace ("" for single-tenant; NULL differs from "") */
    const char *group;          /* resolved group */
    const char *deployments;    /* fingerprint of the group's deployments: provider, endpoint, model, API version */
    const unsigned char *credential_key; /* keyed fingerprint input (secret, never stored); NULL: none */
    size_t      credential_key_len;
    /*
     * The HMAC key of the credential fingerprint: the gateway's secret for a
     * process-local cache, a secret shared by every process for a shared one
     * (Redis); NULL uses a fixed public key (the fingerprint is then only a
     * hash of the credential, still never the credential itself).
     */
    const unsigned char *fingerprint_secret;
    size_t      fingerprint_secret_len;
} llmgw__cache_scope;

/*
 * The key (64 hex chars + NUL into key_out) and the digest (likewise into
 * digest_out, which may be NULL), both lowercase hex SHA-256:
 *
 *   digest = SHA-256("llmgw.cache.request" NUL, key-format version,
 *                    namespace, group, deployments, credential fingerprint,
 *                    drop_params, canonical JSON of the request)
 *   key    = SHA-256("llmgw.cache.key" NUL, digest)
 *
 * Each scope field is length-prefixed (with a presence byte, so NULL and ""
 * differ); the credential fingerprint is HMAC-SHA256(fingerprint_secret,
 * credential). The digest is stored in the entry and checked on read.
 * LLMGW_EINVAL when the request has no canonical form (a NaN, a raw or
 * invalid cJSON item, nesting past 256): such a request is not cached.
 */
int llmgw__cache_key(char key_out[LLMGW__CACHE_KEY_LEN + 1], char digest_out[LLMGW__CACHE_KEY_LEN + 1],
                     const llmgw_request *req, const llmgw__cache_scope *scope);
/*
 * The same in two steps, for a caller that keeps the scope's part per
 * candidate set (lib/core/cache_scope.c): llmgw__cache_key_scope starts sha
 * and takes every field before drop_params (scope->credential_key non-NULL
 * or its length 0); llmgw__cache_key_finish takes the rest from a copy of
 * that state and gives what llmgw__cache_key gives.
 */
struct llmgw__sha256_ctx;
void llmgw__cache_key_scope(struct llmgw__sha256_ctx *sha, const llmgw__cache_scope *scope);
int  llmgw__cache_key_finish(char key_out[LLMGW__CACHE_KEY_LEN + 1], char digest_out[LLMGW__CACHE_KEY_LEN + 1],
                             struct llmgw__sha256_ctx *sha, const llmgw_request *req);
/*
 * The canonical JSON of a request as the key sees it, appended to out:
 * object members sorted by key (bytewise; duplicates keep their order),
 * numbers normalized (llmgw__jout_number), no whitespace, every member but
 * the top-level exclude list: "user", "metadata", "stream", "stream_options".
 */
int llmgw__cache_canonical(llmgw_buf *out, const llmgw_request *req);

/* An entry: the answer, its usage, its provider/model, and the request digest. */
typedef struct llmgw__cache_entry {
    llmgw__answer answer;       /* text, reasoning, tool calls, finish, id, model, usage */
    char         *provider;
    char         *deployment;
    int64_t       cost_nusd;    /* what the original answer cost, -1 unknown (for saved cost) */
    int64_t       created_ms;   /* wall clock (Unix ms) when stored, for s-maxage; >= 0 */
} llmgw__cache_entry;

#define LLMGW__CACHE_ENTRY_VERSION   1
#define LLMGW__CACHE_ENTRY_MAX_BYTES (8u << 20)   /* a larger value is never decoded */
#define LLMGW__CACHE_MAX_NAME        1024         /* id, model, provider, deployment, finish_raw, call id/name */

/*
 * Append the compact JSON of an entry to out. LLMGW_EINVAL (nothing worth
 * storing) when a string is not valid UTF-8 or holds a NUL, a count is out
 * of range, or there are too many tool calls.
 */
int  llmgw__cache_entry_encode(llmgw_buf *out, const llmgw__cache_entry *e, const char *digest);
/*
 * Decode a value from a backend (untrusted) and check it against the digest
 * of this request. LLMGW_ENOTFOUND (a miss; out left empty) for any problem:
 * too large, bad JSON, wrong version, a bad member, or a digest mismatch.
 * LLMGW_ENOMEM when memory ran out. A miss may leave a message in the
 * thread's last error (from the JSON parser); it is not an error to report.
 */
int  llmgw__cache_entry_decode(llmgw__cache_entry *out, const char *value, size_t len, const char *digest);
void llmgw__cache_entry_dispose(llmgw__cache_entry *e);

/*
 * The in-memory LRU backend: sharded by key hash (one mutex per shard), each
 * shard bounded by max_bytes / shards (key + value + node overhead), a value
 * over max_entry_bytes is refused, TTL per entry checked on get against
 * now_ms (NULL: the monotonic clock). Counts too-big and failed puts as
 * stats.errors.
 */
typedef struct llmgw__lru_options {
    size_t  max_bytes;          /* total (0: 64 MiB) */
    size_t  max_entry_bytes;    /* one value (0: 1 MiB) */
    size_t  shards;             /* power of two, at most 1024 (0: 16) */
} llmgw__lru_options;

#define LLMGW__LRU_DEFAULT_MAX_BYTES       ((size_t)64 << 20)
#define LLMGW__LRU_DEFAULT_MAX_ENTRY_BYTES ((size_t)1 << 20)
#define LLMGW__LRU_DEFAULT_SHARDS          16
#define LLMGW__LRU_MAX_SHARDS              1024

extern const llmgw_cache_backend_vtable llmgw__lru_backend;
/* opts may be NULL (defaults). Free with llmgw__lru_backend.destroy(). */
int  llmgw__lru_new(void **out, const llmgw__lru_options *opts, int64_t (*now_ms)(void *), void *clock_self);

#endif
