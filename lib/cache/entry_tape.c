/*
 * lib/cache/entry_tape.c: decoding a cache entry without a cJSON tree.
 *
 * A hit used to parse its entry into a tree: a malloc per value, strtod and
 * localeconv per number. This reads the value with the strict tokenizer
 * (lib/core/jtape.c) into a token array on the stack and copies the strings
 * straight into the answer. It takes only what the tree decoder accepts
 * and decodes it to the same fields; anything else (a member it does not
 * know, a repeat, a negative number but the cost -1, a non-integer one, more
 * tokens than fit, text jtape refuses, any miss) returns 1, and the tree
 * decoder in entry.c decides, so misses and odd values keep exactly one implementation.
 * tests/cache/test_entry_tape.c checks the two against each other.
 */
#include "../core/common.h"
#include "../core/buf.h"
#include "../core/jtape.h"
#include "entry_format.h"

#define TREE    1           /* let the tree decoder decide */
#define TOKENS  160         /* an entry with up to ~30 tool calls */

static bool ct_equal(const char *a, const char *b, size_t n)
{
    unsigned char diff = 0;
    size_t i;

    for (i = 0; i < n; i++)
        diff |= (unsigned char)(a[i] ^ b[i]);
    return diff == 0;
}

/* An integer written as plain digits (at most 15): what llmgw__json_int64 reads to the same value. */
static bool uint_at(const llmgw__jtape *t, uint32_t i, uint64_t *v)
{
    return i != 0 && llmgw__jtape_uint(t, i, v) == 0;
}

/* The number -1, written so. */
static bool minus_one(const llmgw__jtape *t, uint32_t i)
{
    return i != 0 && t->tok[i].type == LLMGW__JT_NUMBER && t->tok[i].len == 2 &&
           memcmp(t->text + t->tok[i].off, "-1", 2) == 0;
}

/* A short string (id, names): copied, NUL-terminated. */
static int take_name(char **slot, const llmgw__jtape *t, uint32_t i)
{
    char scratch[LLMGW__CACHE_MAX_NAME + 1];
    const char *p;
    size_t len;

    if (i == 0)
        return 0;
    if (llmgw__jtape_type(t, i) != LLMGW__JT_STRING || t->tok[i].len > LLMGW__CACHE_MAX_NAME ||
        llmgw__jtape_str(t, i, scratch, sizeof(scratch), &p, &len) != 0 || !good_text(p, len, LLMGW__CACHE_MAX_NAME))
        return TREE;
    *slot = llmgw__strndup(p, len);
    return *slot ? 0 : LLMGW_ENOMEM;
}

/* A text (answer, reasoning, arguments): decoded straight into the buffer. */
static int take_text(llmgw_buf *b, const llmgw__jtape *t, uint32_t i, size_t max)
{
    const char *p;
    size_t len, raw;

    if (i == 0)
        return 0;
    if (llmgw__jtape_type(t, i) != LLMGW__JT_STRING)
        return TREE;
    raw = t->tok[i].len;
    if (!t->tok[i].escaped) {
        if (llmgw__jtape_str(t, i, NULL, 0, &p, &len) != 0 || !good_text(p, len, max))
            return TREE;
        return llmgw__buf_set(b, p, len) < 0 ? LLMGW_ENOMEM : 0;
    }
    llmgw__buf_clear(b);
    if (llmgw__buf_grow(b, raw) < 0)
        return LLMGW_ENOMEM;
    if (llmgw__jtape_str(t, i, b->ptr, raw + 1, &p, &len) != 0 || !good_text(p, len, max))
        return TREE;
    b->size = len;
    b->ptr[len] = '\0';
    return 0;
}

static int take_calls(llmgw__answer *a, const llmgw__jtape *t, uint32_t arr)
{
    uint32_t c, n = 0;
    int rc;

    if (arr == 0)
        return 0;
    if (llmgw__jtape_type(t, arr) != LLMGW__JT_ARRAY)
        return TREE;
    for (c = llmgw__jtape_first(t, arr); c != 0; c = llmgw__jtape_next(t, arr, c))
        n++;
    if (n < 1 || n > LLMGW__MAX_TOOL_CALLS)
        return TREE;
    a->calls = llmgw__calloc(n, sizeof(*a->calls));
    if (a->calls == NULL)
        return LLMGW_ENOMEM;
    for (c = llmgw__jtape_first(t, arr); c != 0; c = llmgw__jtape_next(t, arr, c)) {
        llmgw__tool_call *tc = &a->calls[a->ncalls++];
        uint32_t id = llmgw__jtape_first(t, c), name = id ? llmgw__jtape_next(t, c, id) : 0;
        uint32_t args = name ? llmgw__jtape_next(t, c, name) : 0;
        if (llmgw__jtape_type(t, c) != LLMGW__JT_ARRAY || args == 0 || llmgw__jtape_next(t, c, args) != 0)
            return TREE;
        if (llmgw__jtape_type(t, id) != LLMGW__JT_NULL && (rc = take_name(&tc->id, t, id)) != 0)
            return rc;
        if (llmgw__jtape_type(t, name) != LLMGW__JT_NULL && (rc = take_name(&tc->name, t, name)) != 0)
            return rc;
        if ((rc = take_text(&tc->args, t, args, LLMGW__MAX_TOOL_ARGS)) != 0)
            return rc;
    }
    return 0;
}

static int take_usage(llmgw__answer *a, const llmgw__jtape *t, uint32_t arr)
{
    uint64_t v[5];
    uint32_t c;
    int n = 0;

    if (arr == 0)
        return 0;
    if (llmgw__jtape_type(t, arr) != LLMGW__JT_ARRAY)
        return TREE;
    for (c = llmgw__jtape_first(t, arr); c != 0; c = llmgw__jtape_next(t, arr, c)) {
        if (n == 5 || !uint_at(t, c, &v[n]) || v[n] >= LLMGW_MAX_TOKENS_VALUE)
            return TREE;
        n++;
    }
    if (n != 5)
        return TREE;
    a->usage.input_tokens = v[0];
    a->usage.output_tokens = v[1];
    a->usage.cache_read_tokens = v[2];
    a->usage.cache_creation_tokens = v[3];
    a->usage.reasoning_tokens = v[4];
    a->usage_set = true;
    return 0;
}

/* The field a member name token names (names are one or two bytes, never escaped), or -1. */
static int field_at(const llmgw__jtape *t, uint32_t k)
{
    const llmgw__jtok *tok = &t->tok[k];
    const char *p = t->text + tok->off;
    int i;

    if (tok->type != LLMGW__JT_STRING || tok->escaped || tok->len < 1 || tok->len > 2)
        return -1;
    for (i = 0; i < F__COUNT; i++) {
        const char *f = field_names[i];
        uint32_t n = f[1] == '\0' ? 1 : 2;
        if (n == tok->len && f[0] == p[0] && (n == 1 || f[1] == p[1]))
            return i;
    }
    return -1;
}

/* Every member once, by a name of the format: else the tree decides. */
static int index_members(uint32_t f[F__COUNT], const llmgw__jtape *t)
{
    unsigned int seen = 0;
    uint32_t c;
    int i;

    if (llmgw__jtape_type(t, LLMGW__JTAPE_ROOT) != LLMGW__JT_OBJECT)
        return TREE;
    for (c = llmgw__jtape_first(t, LLMGW__JTAPE_ROOT); c != 0; c = llmgw__jtape_next(t, LLMGW__JTAPE_ROOT, c)) {
        i = field_at(t, c - 1);
        if (i < 0 || (seen & (1u << i)))
            return TREE;
        seen |= 1u << i;
        f[i] = c;
    }
    return (seen & REQUIRED) == REQUIRED ? 0 : TREE;
}

static int decode(llmgw__cache_entry *out, const llmgw__jtape *t, const char *digest)
{
    llmgw__answer *a = &out->answer;
    uint32_t f[F__COUNT] = { 0 };
    uint64_t v;
    int rc;

    if ((rc = index_members(f, t)) != 0)
        return rc;
    if (!uint_at(t, f[F_V], &v) || v != LLMGW__CACHE_ENTRY_VERSION)
        return TREE;
    if (llmgw__jtape_type(t, f[F_D]) != LLMGW__JT_STRING || t->tok[f[F_D]].escaped ||
        t->tok[f[F_D]].len != LLMGW__CACHE_KEY_LEN ||
        !ct_equal(t->text + t->tok[f[F_D]].off, digest, LLMGW__CACHE_KEY_LEN))
        return TREE;
    if (!uint_at(t, f[F_T], &v))
        return TREE;
    out->created_ms = (int64_t)v;
    if (uint_at(t, f[F_C], &v))
        out->cost_nusd = (int64_t)v;
    else if (minus_one(t, f[F_C]))
        out->cost_nusd = -1;                /* unknown cost: no price for the deployment */
    else
        return TREE;
    if (!uint_at(t, f[F_F], &v) || v > (uint64_t)LLMGW_FINISH_OTHER || (int64_t)v < LLMGW_FINISH_NONE)
        return TREE;
    a->finish = (int)v;
    if ((rc = take_name(&a->finish_raw, t, f[F_FR])) != 0 || (rc = take_name(&out->provider, t, f[F_P])) != 0 ||
        (rc = take_name(&out->deployment, t, f[F_DP])) != 0 || (rc = take_name(&a->id, t, f[F_ID])) != 0 ||
        (rc = take_name(&a->model, t, f[F_M])) != 0)
        return rc;
    if ((rc = take_text(&a->text, t, f[F_X], LLMGW__CACHE_ENTRY_MAX_BYTES)) != 0 ||
        (rc = take_text(&a->reasoning, t, f[F_R], LLMGW__CACHE_ENTRY_MAX_BYTES)) != 0)
        return rc;
    if ((rc = take_calls(a, t, f[F_TC])) != 0)
        return rc;
    return take_usage(a, t, f[F_U]);
}

int llmgw__cache_entry_decode_tape(llmgw__cache_entry *out, const char *value, size_t len, const char *digest)
{
    llmgw__jtok tok[TOKENS];
    llmgw__jtape t;
    int rc;

    memset(out, 0, sizeof(*out));
    if (llmgw__jtape_parse(&t, value, len, tok, TOKENS) != 0)
        return TREE;
    rc = decode(out, &t, digest);
    if (rc != 0)
        llmgw__cache_entry_dispose(out);
    return rc;
}
