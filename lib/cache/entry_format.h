/*
 * lib/cache/entry_format.h: the members of a cache entry (format 1,
 * described in entry.c), shared by its encoder and its two decoders: the
 * cJSON tree (entry.c), which handles every value, and the allocation-free
 * tape (entry_tape.c), which handles the common well-formed one and hands
 * everything else, misses included, to the tree.
 */
#ifndef LLMGW_CACHE_ENTRY_FORMAT_H
#define LLMGW_CACHE_ENTRY_FORMAT_H

#include "../core/common.h"
#include "../core/utf8.h"
#include "cache.h"

enum { F_V, F_D, F_T, F_C, F_F, F_FR, F_P, F_DP, F_ID, F_M, F_X, F_R, F_TC, F_U, F__COUNT };

static const char *const field_names[F__COUNT] = {
    "v", "d", "t", "c", "f", "fr", "p", "dp", "id", "m", "x", "r", "tc", "u",
};

#define REQUIRED ((1u << F_V) | (1u << F_D) | (1u << F_T) | (1u << F_C) | (1u << F_F))

static inline bool good_text(const char *s, size_t len, size_t max)
{
    return len <= max && llmgw__utf8_valid(s, len);
}

/*
 * The tape decoder: 0 when it decoded the entry (exactly as the tree
 * would), LLMGW_ENOMEM, or 1 when the tree must decide (out is then empty).
 * The caller has checked the digest's form, the size and "\u0000".
 */
int llmgw__cache_entry_decode_tape(llmgw__cache_entry *out, const char *value, size_t len, const char *digest);

/* The tree decoder alone, with the same checks as llmgw__cache_entry_decode (tests compare the two). */
int llmgw__cache_entry_decode_tree(llmgw__cache_entry *out, const char *value, size_t len, const char *digest);

#endif
