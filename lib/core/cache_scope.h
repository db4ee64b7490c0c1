/*
 * lib/core/cache_scope.h: the part of a cache key that depends only on the
 * candidate set (namespace, group, deployments, credential fingerprint),
 * kept per thread so that a cache lookup does not hash it again.
 */
#ifndef LLMGW_CORE_CACHE_SCOPE_H
#define LLMGW_CORE_CACHE_SCOPE_H

#include "common.h"
#include "gateway.h"
#include "hash.h"

/* What the scope state is a function of; every field is compared by content. */
typedef struct llmgw__scope_input {
    const char                *namespace_;  /* NULL differs from "" (not memoized) */
    const char                *group;       /* likewise */
    llmgw__deployment *const  *deps;        /* their cache_fp and cred_fp */
    size_t                     n;
    const unsigned char       *fp_secret;   /* HMAC key of the credential fingerprint; NULL: the public one */
    size_t                     fp_secret_len;
} llmgw__scope_input;

/*
 * The SHA-256 state after the key's scope fields (llmgw__cache_key_scope),
 * into *out: from this thread's memo when a previous call had the same
 * input (the same namespace, group, deployment and credential digests, in
 * the same order, and the same fingerprint key), computed and remembered
 * otherwise. Groups of more than LLMGW__SCOPE_MEMO_DEPS deployments, NULL
 * names and names of LLMGW__SCOPE_MEMO_NAME bytes or more are computed
 * every time.
 */
#define LLMGW__SCOPE_MEMO_DEPS 8
#define LLMGW__SCOPE_MEMO_NAME 64
void llmgw__cache_scope_state(llmgw__sha256_ctx *out, const llmgw__scope_input *in);

/* The same without the memo (the reference, for tests). */
void llmgw__cache_scope_compute(llmgw__sha256_ctx *out, const llmgw__scope_input *in);

/* This thread's memo hits so far (tests). */
unsigned long llmgw__cache_scope_memo_hits(void);

#endif
