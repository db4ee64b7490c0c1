/*
 * lib/cache/canon.h: the two hot pieces of the canonical request text
 * (lib/cache/key.c), written for speed and bound to the spelling of
 * lib/cache/jsonout.c: a string scanned eight bytes at a time, and a number
 * that is a short decimal (0.2, 0.95, 1234.5) spelled without printf and
 * strtod. Each writes exactly what llmgw__jout_string / llmgw__jout_number
 * write (tests/cache/test_canon.c compares them).
 */
#ifndef LLMGW_CACHE_CANON_H
#define LLMGW_CACHE_CANON_H

#include "../core/common.h"
#include "jsonout.h"

/* A NUL-terminated string as a JSON string, as llmgw__jout_string(o, s, strlen(s)). */
void llmgw__canon_string(llmgw__jout *o, const char *s);

/* A number, as llmgw__jout_number(o, v). */
void llmgw__canon_number(llmgw__jout *o, double v);

/*
 * The short-decimal spelling alone: true with out (NUL-terminated) and
 * *len_out set when v is a non-integer in [1e-4, 1e15) in magnitude that
 * reads back from at most 15 significant digits and at most 6 decimals;
 * false otherwise (the caller then uses llmgw__jout_number).
 */
bool llmgw__canon_short_decimal(char out[32], size_t *len_out, double v);

#endif
