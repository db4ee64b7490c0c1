/*
 * lib/core/hash.h: SHA-256 and HMAC-SHA256 (FIPS 180-4, RFC 2104), used for
 * deployment fingerprints, cache keys and AWS SigV4.
 */
#ifndef LLMGW_CORE_HASH_H
#define LLMGW_CORE_HASH_H

#include "common.h"

#define LLMGW_SHA256_LEN 32

typedef struct llmgw__sha256_ctx {
    uint32_t state[8];
    uint64_t bytes;
    unsigned char block[64];
    size_t   fill;
} llmgw__sha256_ctx;

void llmgw__sha256_init(llmgw__sha256_ctx *ctx);
void llmgw__sha256_update(llmgw__sha256_ctx *ctx, const void *data, size_t len);
void llmgw__sha256_final(llmgw__sha256_ctx *ctx, unsigned char out[LLMGW_SHA256_LEN]);
void llmgw__sha256(const void *data, size_t len, unsigned char out[LLMGW_SHA256_LEN]);
void llmgw__hmac_sha256(const void *key, size_t key_len, const void *data, size_t len,
                        unsigned char out[LLMGW_SHA256_LEN]);
/*
 * The compression function over whole 64-byte blocks: the portable C code,
 * and the CPU's SHA extensions (x86-64 SHA-NI) when it has them (returns
 * false, doing nothing, when not). The hashing above picks the second when
 * it can; both are here for the differential test.
 */
void llmgw__sha256_blocks_portable(uint32_t st[8], const unsigned char *p, size_t nblocks);
bool llmgw__sha256_blocks_accel(uint32_t st[8], const unsigned char *p, size_t nblocks);
/* Lowercase hex of n bytes into out (2n + 1 bytes). */
void llmgw__hex(char *out, const unsigned char *in, size_t n);

#endif
