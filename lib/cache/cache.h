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

/* What the key covers besides the request (docs/resilience.md §d.5). */
typedef struct llmgw__cache_scope {
    const char *namespace_;     /* tenant namespace ("" for single-tenant) */
    const char *group;          /* resolved group */
    const char *deployments;    /* fingerprint of the group's deployments: provider, endpoint, model, API version */
    const unsigned char *credential_key; /* keyed fingerprint input (secret, never stored) */
    size_t      credential_key_len;
} llmgw__cache_scope;

/*
 * The key (64 hex chars + NUL into key_out) and the full digest of the
 * canonical request (stored in the entry and checked on read).
 */
int llmgw__cache_key(char key_out[LLMGW__CACHE_KEY_LEN + 1], char digest_out[LLMGW__CACHE_KEY_LEN + 1],
                     const llmgw_request *req, const llmgw__cache_scope *scope);
/* The canonical JSON of a request as the key sees it (sorted keys, normalized numbers, exclusions). */
int llmgw__cache_canonical(llmgw_buf *out, const llmgw_request *req);

/* An entry: the answer, its usage, its provider/model, and the request digest. */
typedef struct llmgw__cache_entry {
    llmgw__answer answer;       /* text, reasoning, tool calls, finish, id, model, usage */
    char         *provider;
    char         *deployment;
    int64_t       cost_nusd;    /* what the original answer cost, -1 unknown (for saved cost) */
} llmgw__cache_entry;

int  llmgw__cache_entry_encode(llmgw_buf *out, const llmgw__cache_entry *e, const char *digest);
/* Decode and check the digest; LLMGW_ENOTFOUND when it does not match or the value is bad. */
int  llmgw__cache_entry_decode(llmgw__cache_entry *out, const char *value, size_t len, const char *digest);
void llmgw__cache_entry_dispose(llmgw__cache_entry *e);

/* The in-memory LRU backend: sharded, bounded by total bytes and entry size, TTL per entry. */
typedef struct llmgw__lru_options {
    size_t  max_bytes;          /* total (64 MiB) */
    size_t  max_entry_bytes;    /* one entry (1 MiB) */
    size_t  shards;             /* power of two (16) */
} llmgw__lru_options;

extern const llmgw_cache_backend_vtable llmgw__lru_backend;
int  llmgw__lru_new(void **out, const llmgw__lru_options *opts, int64_t (*now_ms)(void *), void *clock_self);

#endif
