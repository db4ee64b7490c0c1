/*
 * lib/cache/jsonout.h: compact JSON text written into a buffer or straight
 * into a running SHA-256, for the cache key (canonical request) and the
 * cache entry. Numbers are locale-independent; errors are sticky, so a
 * writer checks once, in llmgw__jout_finish().
 */
#ifndef LLMGW_CACHE_JSONOUT_H
#define LLMGW_CACHE_JSONOUT_H

#include "../core/common.h"
#include "../core/hash.h"

typedef struct llmgw__jout {
    llmgw_buf         *buf;          /* text goes here ... */
    llmgw__sha256_ctx *sha;          /* ... or into this hash (exactly one is set) */
    size_t             fill;
    size_t             total;        /* bytes written so far */
    int                err;          /* first error (negative), 0 while fine */
    char               stage[512];
} llmgw__jout;

void llmgw__jout_init_buf(llmgw__jout *o, llmgw_buf *buf);
void llmgw__jout_init_sha(llmgw__jout *o, llmgw__sha256_ctx *sha);
void llmgw__jout_put(llmgw__jout *o, const char *s, size_t n);
void llmgw__jout_putc(llmgw__jout *o, char c);
/* A JSON string (quotes included): ", \ and C0 controls escaped, other bytes as they are. */
void llmgw__jout_string(llmgw__jout *o, const char *s, size_t n);
void llmgw__jout_int(llmgw__jout *o, int64_t v);
/*
 * The canonical spelling of a number: 1, 1.0 and 1e0 print "1"; -0 prints
 * "0"; integers up to 2^53 print every digit; other finite values print the
 * shortest of 15, 16 or 17 significant digits that reads back exactly, with
 * '.' whatever the locale, and an exponent as "e-7" / "e20"; infinities
 * print "1e999" / "-1e999". NaN has no spelling: the error is set to
 * LLMGW_EINVAL (no message).
 */
void llmgw__jout_number(llmgw__jout *o, double v);
/* Flush what is staged; returns the sticky error (0 when all went through). */
int  llmgw__jout_finish(llmgw__jout *o);

#endif
