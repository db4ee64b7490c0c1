/*
 * tests/core/test_utf8.c: UTF-8 validation and sanitizing (RFC 3629).
 */
#include "unit.h"

#include "core/buf.h"
#include "core/utf8.h"

#define S(lit) (const unsigned char *)(lit), sizeof(lit) - 1

static void test_valid_boundaries(void **state)
{
    (void)state;
    assert_int_equal(llmgw__utf8_seq(S("A")), 1);
    assert_int_equal(llmgw__utf8_seq(S("\x7F")), 1);
    assert_int_equal(llmgw__utf8_seq(S("\xC2\x80")), 2);           /* U+0080 */
    assert_int_equal(llmgw__utf8_seq(S("\xDF\xBF")), 2);           /* U+07FF */
    assert_int_equal(llmgw__utf8_seq(S("\xE0\xA0\x80")), 3);       /* U+0800 */
    assert_int_equal(llmgw__utf8_seq(S("\xED\x9F\xBF")), 3);       /* U+D7FF */
    assert_int_equal(llmgw__utf8_seq(S("\xEE\x80\x80")), 3);       /* U+E000 */
    assert_int_equal(llmgw__utf8_seq(S("\xEF\xBF\xBF")), 3);       /* U+FFFF */
    assert_int_equal(llmgw__utf8_seq(S("\xF0\x90\x80\x80")), 4);   /* U+10000 */
    assert_int_equal(llmgw__utf8_seq(S("\xF4\x8F\xBF\xBF")), 4);   /* U+10FFFF */
    assert_int_equal(llmgw__utf8_seq(S("\xE2\x82\xAC" "x")), 3);   /* only the first sequence */
    assert_true(llmgw__utf8_valid("", 0));
    assert_true(llmgw__utf8_valid("caf\xC3\xA9 \xE2\x98\x83 \xF0\x9F\x98\x80", 14));
}

static void test_invalid(void **state)
{
    static const struct { const char *s; size_t n; } bad[] = {
        { "\x80", 1 },                    /* lone continuation */
        { "\xBF", 1 },
        { "\xC0\x80", 2 },                /* overlong NUL */
        { "\xC0\xAF", 2 },                /* overlong '/' */
        { "\xC1\xBF", 2 },
        { "\xE0\x80\x80", 3 },            /* overlong 3-byte */
        { "\xE0\x9F\xBF", 3 },
        { "\xF0\x80\x80\x80", 4 },        /* overlong 4-byte */
        { "\xF0\x8F\xBF\xBF", 4 },
        { "\xED\xA0\x80", 3 },            /* U+D800 surrogate */
        { "\xED\xBF\xBF", 3 },            /* U+DFFF */
        { "\xF4\x90\x80\x80", 4 },        /* U+110000 */
        { "\xF5\x80\x80\x80", 4 },
        { "\xF7\xBF\xBF\xBF", 4 },
        { "\xF8\x88\x80\x80\x80", 5 },    /* 5-byte form */
        { "\xFE", 1 }, { "\xFF", 1 },
        { "\xC2", 1 },                    /* truncated */
        { "\xE2\x82", 2 },
        { "\xF0\x9F\x98", 3 },
        { "\xC2\x41", 2 },                /* bad continuation */
        { "\xE2\x28\xA1", 3 },
        { "\xF0\x9F\x98\x41", 4 },
    };
    size_t i;

    (void)state;
    for (i = 0; i < LLMGW_ARRAY_SIZE(bad); i++) {
        if (llmgw__utf8_seq((const unsigned char *)bad[i].s, bad[i].n) != 0)
            fail_msg("case %zu accepted as a sequence", i);
        if (llmgw__utf8_valid(bad[i].s, bad[i].n))
            fail_msg("case %zu accepted as valid", i);
    }
    assert_int_equal(llmgw__utf8_seq((const unsigned char *)"x", 0), 0);
    /* embedded NUL is not valid text for a caller */
    assert_false(llmgw__utf8_valid("a\0b", 3));
    assert_int_equal(llmgw__utf8_seq((const unsigned char *)"\0", 1), 1);
}

/* Reference decoder: the code point and length, or 0 when invalid. */
static size_t ref_seq(const unsigned char *s, size_t n)
{
    size_t len, i;
    uint32_t cp;

    if (n == 0)
        return 0;
    if (s[0] < 0x80)
        return 1;
    if ((s[0] & 0xE0) == 0xC0) { len = 2; cp = s[0] & 0x1Fu; }
    else if ((s[0] & 0xF0) == 0xE0) { len = 3; cp = s[0] & 0x0Fu; }
    else if ((s[0] & 0xF8) == 0xF0) { len = 4; cp = s[0] & 0x07u; }
    else return 0;
    if (len > n)
        return 0;
    for (i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3Fu);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000))
        return 0;
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

static void test_exhaustive_against_reference(void **state)
{
    unsigned char s[4];
    unsigned a, b, c, d;
    static const unsigned char tails[] = { 0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xFF };

    (void)state;
    /* every 1-, 2- and 3-byte string */
    for (a = 0; a < 256; a++)
        for (b = 0; b < 256; b++)
            for (c = 0; c < 256; c++) {
                s[0] = (unsigned char)a; s[1] = (unsigned char)b; s[2] = (unsigned char)c;
                if (llmgw__utf8_seq(s, 3) != ref_seq(s, 3))
                    fail_msg("%02x %02x %02x", a, b, c);
                if (c == 0 && llmgw__utf8_seq(s, 2) != ref_seq(s, 2))
                    fail_msg("%02x %02x", a, b);
            }
    /* 4-byte leads with every second byte and boundary tails */
    for (a = 0xF0; a < 0x100; a++)
        for (b = 0; b < 256; b++)
            for (c = 0; c < sizeof(tails); c++)
                for (d = 0; d < sizeof(tails); d++) {
                    s[0] = (unsigned char)a; s[1] = (unsigned char)b;
                    s[2] = tails[c]; s[3] = tails[d];
                    if (llmgw__utf8_seq(s, 4) != ref_seq(s, 4))
                        fail_msg("%02x %02x %02x %02x", a, b, tails[c], tails[d]);
                }
}

static void sanitized(const char *in, size_t n, const char *want)
{
    llmgw_buf b = LLMGW_BUF_INIT;

    assert_int_equal(llmgw__buf_puts(&b, "<"), 0);
    assert_int_equal(llmgw__utf8_append_sanitized(&b, in, n), 0);
    assert_string_equal(b.ptr, want);
    assert_true(llmgw__utf8_valid(b.ptr, b.size));
    llmgw_buf_dispose(&b);
}

#define FFFD "\xEF\xBF\xBD"

static void test_sanitize(void **state)
{
    (void)state;
    sanitized("ok \xE2\x82\xAC", 6, "<ok \xE2\x82\xAC");
    sanitized("", 0, "<");
    sanitized("a\0b", 3, "<a" FFFD "b");
    sanitized("\0", 1, "<" FFFD);
    sanitized("a\xE2\x82" "b", 4, "<a" FFFD FFFD "b");
    sanitized("\xC0\xAF", 2, "<" FFFD FFFD);
    sanitized("\xED\xA0\x80z", 4, "<" FFFD FFFD FFFD "z");
    sanitized("\xF4\x90\x80\x80", 4, "<" FFFD FFFD FFFD FFFD);
    sanitized("\xF0\x9F\x98", 3, "<" FFFD FFFD FFFD);            /* truncated at the end */
    sanitized("x\xFF\xF0\x9F\x98\x80y", 7, "<x" FFFD "\xF0\x9F\x98\x80y");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_boundaries),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_exhaustive_against_reference),
        cmocka_unit_test(test_sanitize),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
