/*
 * tests/cache/test_entry_tape.c: the allocation-free entry decoder
 * (lib/cache/entry_tape.c) against the cJSON tree decoder (differential).
 * Random entries are encoded, then decoded as they are and after damage
 * (a byte replaced by a JSON-significant one, a byte dropped, a member
 * repeated or renamed, a number made negative, fractional or spelled with
 * an exponent, escapes added, whitespace added); the decoder in use and the
 * tree alone must agree on the result and on every decoded field. The tape
 * must also take the plain entries itself (else the test would compare the
 * tree with itself).
 */
#include "unit.h"

#include "cache/cache.h"
#include "cache/entry_format.h"
#include "core/buf.h"
#include "reqgen.h"

#define DIGEST "89abcdef0123456789abcdef0123456789abcdef0123456789abcdef01234567"

static const char *const pieces[] = {
    "a", "Hello. ", "\"", "\\", "/", "\n", "\t", "\x01", "\xc3\xa9", "\xe2\x80\xa8", "\xf0\x9f\x98\x80", "{", "]", "7",
};

static void text(llmgw_buf *b, rng *r, uint32_t max)
{
    uint32_t i, n = rng_below(r, max + 1);

    for (i = 0; i < n; i++)
        assert_int_equal(llmgw__buf_puts(b, pieces[rng_below(r, LLMGW_ARRAY_SIZE(pieces))]), 0);
}

static char *name(rng *r)
{
    llmgw_buf b = LLMGW_BUF_INIT;

    if (rng_below(r, 3) == 0)
        return NULL;
    text(&b, r, 3);
    return b.ptr ? b.ptr : strdup("");
}

static void entry(llmgw__cache_entry *e, rng *r)
{
    llmgw__answer *a = &e->answer;
    size_t i;

    memset(e, 0, sizeof(*e));
    text(&a->text, r, 12);
    if (rng_below(r, 3) == 0)
        text(&a->reasoning, r, 6);
    a->ncalls = rng_below(r, 3) == 0 ? 1 + rng_below(r, 3) : 0;
    a->calls = a->ncalls ? calloc(a->ncalls, sizeof(*a->calls)) : NULL;
    for (i = 0; i < a->ncalls; i++) {
        a->calls[i].id = name(r);
        a->calls[i].name = name(r);
        text(&a->calls[i].args, r, 4);
    }
    a->finish = (int)rng_below(r, LLMGW_FINISH_OTHER + 1);
    a->finish_raw = name(r);
    a->id = name(r);
    a->model = name(r);
    a->usage_set = rng_below(r, 4) != 0;
    if (a->usage_set) {
        a->usage.input_tokens = rng_next(r) % LLMGW_MAX_TOKENS_VALUE;
        a->usage.output_tokens = rng_below(r, 100000);
        a->usage.reasoning_tokens = rng_below(r, 1000);
    }
    e->provider = name(r);
    e->deployment = name(r);
    /* at most 15 digits, as real ones have: a longer integer goes to the tree (checked by agree()) */
    e->cost_nusd = rng_below(r, 5) == 0 ? -1 : (int64_t)(rng_next(r) >> 24);
    e->created_ms = 1700000000000 + (int64_t)(rng_next(r) >> 28);
}

static void same_str(const char *a, const char *b)
{
    if (a == NULL || b == NULL)
        assert_ptr_equal(a, b);
    else
        assert_string_equal(a, b);
}

static void same_buf(const llmgw_buf *a, const llmgw_buf *b)
{
    assert_int_equal(a->size, b->size);
    if (a->size)
        assert_memory_equal(a->ptr, b->ptr, a->size);
}

static void same_entry(const llmgw__cache_entry *x, const llmgw__cache_entry *y)
{
    const llmgw__answer *a = &x->answer, *b = &y->answer;
    size_t i;

    same_buf(&a->text, &b->text);
    same_buf(&a->reasoning, &b->reasoning);
    assert_int_equal(a->ncalls, b->ncalls);
    for (i = 0; i < a->ncalls; i++) {
        same_str(a->calls[i].id, b->calls[i].id);
        same_str(a->calls[i].name, b->calls[i].name);
        same_buf(&a->calls[i].args, &b->calls[i].args);
    }
    assert_int_equal(a->finish, b->finish);
    same_str(a->finish_raw, b->finish_raw);
    same_str(a->id, b->id);
    same_str(a->model, b->model);
    assert_int_equal(a->usage_set, b->usage_set);
    assert_memory_equal(&a->usage, &b->usage, sizeof(a->usage));
    same_str(x->provider, y->provider);
    same_str(x->deployment, y->deployment);
    assert_int_equal(x->cost_nusd, y->cost_nusd);
    assert_int_equal(x->created_ms, y->created_ms);
}

/* Both decoders on an exact-size copy (ASan sees any overread); they must agree. */
static int agree(const char *value, size_t len)
{
    llmgw__cache_entry a, b;
    char *copy = unit_exact_copy(value, len);
    int ra = llmgw__cache_entry_decode(&a, copy, len, DIGEST);
    int rb = llmgw__cache_entry_decode_tree(&b, copy, len, DIGEST);

    assert_int_equal(ra, rb);
    if (ra == 0)
        same_entry(&a, &b);
    llmgw__cache_entry_dispose(&a);
    llmgw__cache_entry_dispose(&b);
    free(copy);
    return ra;
}

/* One damage of the text in place (v has room for 64 more bytes). */
static void damage(llmgw_buf *v, rng *r)
{
    static const char *const swaps[] = { "\"", "\\", "{", "}", "[", "]", ",", ":", "-", ".", "e", "0", "9", " ",
                                         "\\u0041", "\\n", "\\ud83d\\ude00", "1.5", "-1", "1e3", "null" };
    static const char *const members[] = { "\"v\":1,", "\"d\":\"x\",", "\"zz\":0,", "\"t\":5,", "\"u\":[1,2,3,4,5],",
                                           "\"tc\":[[null,null,\"\"]],", "\"x\":\"\\\"\",", "\"c\":-1," };
    size_t at = v->size ? rng_below(r, (uint32_t)v->size) : 0;
    const char *s;
    size_t n;

    switch (rng_below(r, 4)) {
    case 0:     /* replace a byte */
        s = swaps[rng_below(r, LLMGW_ARRAY_SIZE(swaps))];
        n = strlen(s);
        assert_int_equal(llmgw__buf_grow(v, n), 0);
        memmove(v->ptr + at + n, v->ptr + at + 1, v->size - at - 1);
        memcpy(v->ptr + at, s, n);
        v->size += n - 1;
        break;
    case 1:     /* drop a byte */
        memmove(v->ptr + at, v->ptr + at + 1, v->size - at - 1);
        v->size--;
        break;
    case 2:     /* a member first: repeated, unknown, or of the wrong type */
        s = members[rng_below(r, LLMGW_ARRAY_SIZE(members))];
        n = strlen(s);
        assert_int_equal(llmgw__buf_grow(v, n), 0);
        memmove(v->ptr + 1 + n, v->ptr + 1, v->size - 1);
        memcpy(v->ptr + 1, s, n);
        v->size += n;
        break;
    default:    /* whitespace after a comma or colon: still the same entry */
        for (; at < v->size && v->ptr[at] != ',' && v->ptr[at] != ':'; at++)
            ;
        if (at < v->size) {
            assert_int_equal(llmgw__buf_grow(v, 2), 0);
            memmove(v->ptr + at + 3, v->ptr + at + 1, v->size - at - 1);
            memcpy(v->ptr + at + 1, " \n", 2);
            v->size += 2;
        }
        break;
    }
    v->ptr[v->size] = '\0';
}

static void test_differential(void **state)
{
    rng r = { 0x51ed2701u };
    size_t i, k, plain = 0, taken = 0, decoded = 0, missed = 0;

    (void)state;
    for (i = 0; i < 3000; i++) {
        llmgw__cache_entry e, t;
        llmgw_buf v = LLMGW_BUF_INIT;

        entry(&e, &r);
        assert_int_equal(llmgw__cache_entry_encode(&v, &e, DIGEST), 0);
        assert_int_equal(agree(v.ptr, v.size), 0);
        {
            /* a plain entry: the tape decodes it itself, to the original */
            plain++;
            if (llmgw__cache_entry_decode_tape(&t, v.ptr, v.size, DIGEST) == 0) {
                taken++;
                same_entry(&e, &t);
                llmgw__cache_entry_dispose(&t);
            }
        }
        for (k = 0; k < 4; k++) {
            damage(&v, &r);
            if (agree(v.ptr, v.size) == 0)
                decoded++;
            else
                missed++;
        }
        llmgw_buf_dispose(&v);
        llmgw__cache_entry_dispose(&e);
    }
    assert_int_equal(taken, plain);
    assert_true(decoded > 100 && missed > 1000);        /* damage hit both outcomes */
}

static void test_wrong_digest_and_odd_numbers(void **state)
{
    static const char *const values[] = {
        "{\"v\":1,\"d\":\"" DIGEST "\",\"t\":0,\"c\":0,\"f\":0}",
        "{\"v\":1,\"d\":\"" DIGEST "\",\"t\":0,\"c\":-1,\"f\":0}",
        "{\"v\":1.0,\"d\":\"" DIGEST "\",\"t\":0,\"c\":0,\"f\":0}",
        "{\"v\":1,\"d\":\"" DIGEST "\",\"t\":1e3,\"c\":0,\"f\":0,\"u\":[1,2,3,4,5.0]}",
        "{\"v\":2,\"d\":\"" DIGEST "\",\"t\":0,\"c\":0,\"f\":0}",
        "{\"v\":1,\"d\":\"" DIGEST "\",\"t\":0,\"c\":0,\"f\":99}",
        "{\"v\":1,\"d\":\"" DIGEST "\",\"t\":-5,\"c\":0,\"f\":0}",
        "{\"v\":1,\"d\":\"0" DIGEST "\",\"t\":0,\"c\":0,\"f\":0}",
        "{\"v\":1,\"d\":\"" DIGEST "\",\"t\":0,\"c\":0,\"f\":0,\"u\":[1,2,3,4,5,6]}",
        "{\"v\":1,\"d\":\"" DIGEST "\",\"t\":0,\"c\":0,\"f\":0,\"tc\":[]}",
        "{\"v\":1,\"d\":\"" DIGEST "\",\"t\":0,\"c\":0,\"f\":0,\"tc\":[[null,null]]}",
        "{\"v\":1,\"d\":\"" DIGEST "\",\"t\":0,\"c\":0,\"f\":0,\"x\":\"\\u00e9\\n\"}",
        "{\"v\":1,\"d\":\"" DIGEST "\",\"t\":0,\"c\":0,\"f\":0,\"x\":\"\xff\"}",
        "{\"v\":1,\"d\":\"" DIGEST "\",\"t\":0,\"c\":0,\"f\":0} x",
        "[1]",
    };
    static const int want[] = { 0, 0, 0, 0, LLMGW_ENOTFOUND, LLMGW_ENOTFOUND, LLMGW_ENOTFOUND, LLMGW_ENOTFOUND,
                                LLMGW_ENOTFOUND, LLMGW_ENOTFOUND, LLMGW_ENOTFOUND, 0, LLMGW_ENOTFOUND,
                                LLMGW_ENOTFOUND, LLMGW_ENOTFOUND };
    size_t i;

    (void)state;
    for (i = 0; i < LLMGW_ARRAY_SIZE(values); i++)
        assert_int_equal(agree(values[i], strlen(values[i])), want[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_differential),
        cmocka_unit_test(test_wrong_digest_and_odd_numbers),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
