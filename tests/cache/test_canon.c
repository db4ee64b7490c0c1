/*
 * tests/cache/test_canon.c: the fast spellings of the canonical request
 * (lib/cache/canon.c) against the reference ones (lib/cache/jsonout.c),
 * byte for byte: strings of every length up to 100 with escapes and UTF-8
 * at every offset, and numbers: short decimals of every size and sign,
 * values that only 16 or 17 digits spell, integers, tiny and huge ones,
 * -0, infinities and random bit patterns. The fast number path must also
 * be taken where it should (else the test would compare the reference with
 * itself).
 */
#include "unit.h"

#include <math.h>

#include "cache/canon.h"
#include "cache/jsonout.h"
#include "core/buf.h"

static uint64_t seed = 0x853c49e6748fea9bULL;

static uint64_t next64(void)
{
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return seed;
}

static void same_string(const char *s)
{
    llmgw_buf a = LLMGW_BUF_INIT, b = LLMGW_BUF_INIT;
    llmgw__jout oa, ob;

    llmgw__jout_init_buf(&oa, &a);
    llmgw__jout_init_buf(&ob, &b);
    llmgw__canon_string(&oa, s);
    llmgw__jout_string(&ob, s, strlen(s));
    assert_int_equal(llmgw__jout_finish(&oa), 0);
    assert_int_equal(llmgw__jout_finish(&ob), 0);
    assert_string_equal(a.ptr, b.ptr);
    llmgw_buf_dispose(&a);
    llmgw_buf_dispose(&b);
}

static void test_strings(void **state)
{
    static const char alphabet[] = "abcXYZ019 .,:{}[]/\"\\\x01\x08\x09\x0a\x0c\x0d\x1f\x7f"
                                   "\xc3\xa9\xe2\x80\xa8\xf0\x9f\x98\x80";
    char s[128];
    size_t len, i, round;

    (void)state;
    same_string("");
    for (round = 0; round < 4000; round++) {
        len = next64() % 100;
        for (i = 0; i < len; i++) {
            /* mostly clean runs, so the eight-byte steps run, with a special byte now and then */
            uint64_t r = next64();
            s[i] = r % 8 ? (char)('a' + r % 26) : alphabet[(r >> 8) % (sizeof(alphabet) - 1)];
        }
        s[len] = '\0';
        same_string(s);
    }
    /* one special byte at every offset of a clean string */
    for (len = 1; len < 40; len++)
        for (i = 0; i < len; i++) {
            memset(s, 'q', len);
            s[len] = '\0';
            s[i] = "\"\\\x01\x1f\n"[(len + i) % 5];
            same_string(s);
        }
}

/* 1 when the fast path took v. */
static int same_number(double v)
{
    llmgw_buf a = LLMGW_BUF_INIT, b = LLMGW_BUF_INIT;
    llmgw__jout oa, ob;
    char s[32];
    size_t len;
    int fast = llmgw__canon_short_decimal(s, &len, v);

    llmgw__jout_init_buf(&oa, &a);
    llmgw__jout_init_buf(&ob, &b);
    llmgw__canon_number(&oa, v);
    llmgw__jout_number(&ob, v);
    assert_int_equal(llmgw__jout_finish(&oa), llmgw__jout_finish(&ob));
    if (a.ptr != NULL || b.ptr != NULL) {
        if (strcmp(a.ptr, b.ptr) != 0)
            fail_msg("%.17g: fast \"%s\", reference \"%s\"", v, a.ptr, b.ptr);
    }
    if (fast) {
        assert_int_equal(len, strlen(s));
        assert_string_equal(s, b.ptr);
    }
    llmgw_buf_dispose(&a);
    llmgw_buf_dispose(&b);
    return fast;
}

static void test_numbers(void **state)
{
    static const double fixed[] = { 0.2, 0.95, -2.5, 0.1, 0.3, 0.7, 0.70000000000000007, 0.30000000000000004, 1e-4,
                                    1.5e-4, 9.9e-5, 0.0001234, 123456.789, 99999999999999.9, 999999999999999.5,
                                    1e15 + 0.5, 0.333333, 1.0 / 3.0, 2.0 / 3.0, 1e-7, 1e21, 1e300, 5e-324, -0.0,
                                    0, 1, -1, 9007199254740993.0, 123.456e-2, 0.1 + 0.2, 100.25, -0.000125 };
    static const double p10[] = { 1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9 };
    size_t i, fast = 0;

    (void)state;
    for (i = 0; i < LLMGW_ARRAY_SIZE(fixed); i++)
        fast += (size_t)same_number(fixed[i]);
    same_number(INFINITY);
    same_number(-INFINITY);
    same_number(NAN);
    for (i = 0; i < 200000; i++) {
        uint64_t r = next64();
        double v;
        if (i % 4 == 3) {
            /* any finite bit pattern */
            memcpy(&v, &r, sizeof(v));
            if (!isfinite(v))
                continue;
        } else {
            /* a decimal of 1 to 17 digits with 0 to 9 decimals */
            uint64_t digits = 1 + r % 17, m = next64() % (uint64_t)pow(10, (double)digits);
            v = (double)m / p10[(r >> 8) % 10] * ((r >> 20) & 1 ? -1 : 1);
        }
        fast += (size_t)same_number(v);
    }
    assert_true(fast > 50000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_numbers),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
