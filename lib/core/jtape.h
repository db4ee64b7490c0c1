/*
 * lib/core/jtape.h: a strict, allocation-free JSON tokenizer for the hot
 * path (an answer body, a stream event, a cache entry), where building a
 * cJSON tree costs a malloc per value and a strtod per number.
 *
 * The text is read once into a caller-owned array of tokens, in document
 * order; a container's token says where its subtree ends, so members are
 * walked without recursion and looked up by name. Strings stay in the text
 * (a token points at the bytes between the quotes) and are decoded only
 * when asked.
 *
 * The grammar is RFC 8259's and no more, and it is stricter than cJSON's
 * wherever the two differ (control bytes inside strings, "\u0000", lone
 * surrogates, whitespace other than space/tab/CR/LF, numbers of more than
 * 32 characters, an escaped member name, nesting past 63), so every text it
 * accepts cJSON reads to the same values: a caller falls back to the cJSON
 * path whenever llmgw__jtape_parse refuses a text, and gets that path's
 * behaviour (and its error messages) for anything unusual.
 */
#ifndef LLMGW_CORE_JTAPE_H
#define LLMGW_CORE_JTAPE_H

#include "common.h"

enum {
    LLMGW__JT_NULL = 1,
    LLMGW__JT_FALSE,
    LLMGW__JT_TRUE,
    LLMGW__JT_NUMBER,
    LLMGW__JT_STRING,
    LLMGW__JT_ARRAY,
    LLMGW__JT_OBJECT
};

typedef struct llmgw__jtok {
    uint8_t  type;       /* LLMGW__JT_* */
    uint8_t  escaped;    /* a string with backslash escapes */
    uint8_t  integer;    /* a number written as digits only (an optional '-' first) */
    uint32_t off, len;   /* the value's bytes: a string's without its quotes */
    uint32_t end;        /* index of the first token after this value's subtree */
} llmgw__jtok;

/* The root value's token; index 0 stands for "absent" in every call. */
#define LLMGW__JTAPE_ROOT 1u

typedef struct llmgw__jtape {
    const char  *text;
    llmgw__jtok *tok;
    uint32_t     n, cap;
} llmgw__jtape;

#define LLMGW__JTAPE_MAX_DEPTH 63

#define LLMGW__JTAPE_FULL (-2)

/*
 * Tokenize len bytes of text into tok[0 .. cap). 0 when the whole text is
 * one JSON value (whitespace around it allowed); LLMGW__JTAPE_FULL when it
 * needs more than cap tokens (a text of len bytes never needs more than
 * len / 2 + 3, the unused index 0 included); -1 when it is not strictly JSON, nests deeper than
 * LLMGW__JTAPE_MAX_DEPTH or is longer than 2^31 bytes. Sets no error and
 * allocates nothing.
 */
int llmgw__jtape_parse(llmgw__jtape *t, const char *text, size_t len, llmgw__jtok *tok, uint32_t cap);

/*
 * The first member of object token `obj` named `key` (the member's value
 * token index), or 0 when there is none or `obj` is not an object.
 */
uint32_t llmgw__jtape_get(const llmgw__jtape *t, uint32_t obj, const char *key);

/* Iterate an array's elements or an object's member values: first, then next until 0. */
uint32_t llmgw__jtape_first(const llmgw__jtape *t, uint32_t container);
uint32_t llmgw__jtape_next(const llmgw__jtape *t, uint32_t container, uint32_t item);

/* The type of token i, 0 for absent. */
static inline int llmgw__jtape_type(const llmgw__jtape *t, uint32_t i)
{
    return i < t->n ? t->tok[i].type : 0;
}

/* True for absent (0) or null. */
static inline bool llmgw__jtape_nullish(const llmgw__jtape *t, uint32_t i)
{
    return i == 0 || t->tok[i].type == LLMGW__JT_NULL;
}

/*
 * A number token written as digits only, with at most 15 of them (so the
 * double cJSON would hold is exactly this integer): 0 and *out set, else -1.
 * A negative integer is -1 too.
 */
int llmgw__jtape_uint(const llmgw__jtape *t, uint32_t i, uint64_t *out);

/*
 * The decoded bytes of string token i. Without escapes, *out points into
 * the text (not NUL-terminated) and scratch is untouched; with escapes, the
 * value is decoded into scratch (scap bytes, NUL-terminated). -1 when i is
 * not a string or scratch is too small (at most len + 1 bytes are needed).
 */
int llmgw__jtape_str(const llmgw__jtape *t, uint32_t i, char *scratch, size_t scap, const char **out,
                     size_t *len_out);
/* True when string token i decodes to exactly s (s shorter than 42 bytes). */
bool llmgw__jtape_str_is(const llmgw__jtape *t, uint32_t i, const char *s);

#endif
