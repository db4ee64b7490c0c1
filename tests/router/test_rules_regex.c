/*
 * Unit tests of lib/router/rules_regex.c, the matcher behind `$regex`:
 * JavaScript RegExp.test() answers on the supported syntax, refusals with a
 * reason, the size caps, patterns that make backtracking engines explode,
 * and a differential check against the C library's POSIX ERE matcher on
 * random patterns from the syntax both share.
 */
#include "unit.h"

#include <regex.h>

#include "router/rules_regex.h"

static bool test_re(const char *pattern, const char *s)
{
    llmgw__regex *re = NULL;
    const char *why = NULL;
    bool m;

    if (llmgw__regex_compile(&re, pattern, &why) != 0)
        fail_msg("compile /%s/: %s", pattern, why ? why : "out of memory");
    m = llmgw__regex_test(re, s);
    llmgw__regex_free(re);
    return m;
}

/* The pattern is refused and why mentions needle. */
static void refused(const char *pattern, const char *needle)
{
    llmgw__regex *re = NULL;
    const char *why = NULL;

    if (llmgw__regex_compile(&re, pattern, &why) != LLMGW_EINVAL)
        fail_msg("/%s/ was accepted", pattern);
    assert_null(re);
    assert_non_null(why);
    assert_contains(why, needle);
}

static void test_literals_and_search(void **state)
{
    (void)state;
    assert_true(test_re("paid", "unpaid-tier"));          /* unanchored, like RegExp.test */
    assert_false(test_re("paid", "pai d"));
    assert_true(test_re("", "anything"));
    assert_true(test_re("", ""));
    assert_true(test_re("a\\.b", "xa.b"));
    assert_false(test_re("a\\.b", "axb"));
    assert_true(test_re("a.b", "axb"));
    assert_true(test_re("\\x41\\u00e9", "A\xc3\xa9"));    /* \xHH, \uHHHH as UTF-8 */
    assert_true(test_re("caf\xc3\xa9", "un caf\xc3\xa9"));
    assert_true(test_re("a\\/b", "a/b"));
    assert_true(test_re("x{", "x{"));                      /* a brace that is no count is literal */
    assert_true(test_re("a{,2}", "a{,2}"));
}

static void test_anchors_and_boundaries(void **state)
{
    (void)state;
    assert_true(test_re("^gpt-4", "gpt-4o"));
    assert_false(test_re("^gpt-4", "my-gpt-4"));
    assert_true(test_re("-mini$", "gpt-4o-mini"));
    assert_false(test_re("-mini$", "gpt-4o-mini-2"));
    assert_true(test_re("^$", ""));
    assert_false(test_re("^$", "x"));
    assert_true(test_re("\\beu\\b", "region eu-west"));
    assert_false(test_re("\\beu\\b", "europe"));
    assert_true(test_re("\\Bro\\B", "europe"));
    assert_false(test_re("\\Bro", "ro"));
    assert_false(test_re("a.b", "a\nb"));                  /* . stops at line ends */
}

static void test_classes(void **state)
{
    (void)state;
    assert_true(test_re("^[a-c]+$", "abcabc"));
    assert_false(test_re("^[a-c]+$", "abcd"));
    assert_true(test_re("^[^0-9]+$", "abc"));
    assert_false(test_re("^[^0-9]+$", "ab3"));
    assert_true(test_re("^\\d{3}-\\d{4}$", "555-1234"));
    assert_false(test_re("^\\d{3}-\\d{4}$", "555-123"));
    assert_true(test_re("^\\w+$", "snake_case_9"));
    assert_false(test_re("^\\w+$", "kebab-case"));
    assert_true(test_re("\\s", "a b"));
    assert_false(test_re("\\S", " \t\n"));
    assert_true(test_re("[\\d.]+", "1.5"));
    assert_true(test_re("^[a\\-z]$", "-"));
    assert_true(test_re("^[-a]$", "-"));
    assert_true(test_re("^[^a]$", "\xc3\xa9"));           /* a negated class takes a whole character */
    assert_true(test_re("^.$", "\xe2\x82\xac"));
    assert_false(test_re("^..$", "\xe2\x82\xac"));
    assert_false(test_re("[]", "anything"));              /* JavaScript: the empty class matches nothing */
    assert_true(test_re("^[^]$", "x"));
}

static void test_groups_alternation_repetition(void **state)
{
    (void)state;
    assert_true(test_re("^(free|trial)$", "trial"));
    assert_false(test_re("^(free|trial)$", "paid"));
    assert_true(test_re("^(?:ab)+$", "ababab"));
    assert_false(test_re("^(?:ab)+$", "ababa"));
    assert_true(test_re("^ab*c$", "ac"));
    assert_true(test_re("^ab+c$", "abbbc"));
    assert_false(test_re("^ab+c$", "ac"));
    assert_true(test_re("^colou?r$", "color"));
    assert_true(test_re("^a{2,3}$", "aaa"));
    assert_false(test_re("^a{2,3}$", "aaaa"));
    assert_true(test_re("^a{2,}$", "aaaaaa"));
    assert_false(test_re("^a{2}$", "a"));
    assert_true(test_re("^a+?b*?$", "aab"));              /* lazy: the same answer for test() */
    assert_true(test_re("^(a|b|)+$", "abba"));
    assert_true(test_re("^(a*)*$", "aaa"));
    assert_true(test_re("x|", "zzz"));                     /* an empty alternative matches everywhere */
}

static void test_refusals(void **state)
{
    char big[LLMGW__REGEX_MAX_PATTERN + 2], subject[LLMGW__REGEX_MAX_PATTERN / 4 + 1];
    size_t i;

    (void)state;
    refused("(?=a)", "lookaround");
    refused("(?<name>a)", "lookaround and named groups");
    refused("(a)\\1", "back-references");
    refused("[\xc3\xa9]", "non-ASCII characters inside a class");
    refused("\\cA", "control escapes");
    refused("*a", "nothing to repeat");
    refused("a**", "nothing to repeat");
    refused("^*", "nothing to repeat");
    refused("(a", "not closed");
    refused("a)", "unmatched )");
    refused("[ab", "not closed");
    refused("[z-a]", "out of order");
    refused("a{3,2}", "out of order");
    refused("a{1001}", "above 1000");
    refused("a\\", "end of the pattern");
    refused("\xff", "UTF-8");
    refused("(a{1000}){1000}", "too large");
    refused("((?:){1000}){1000}", "too large");            /* emits nothing, but is not free to expand */
    refused("(((?:){1000}){1000}){1000}", "too large");
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    refused(big, "longer than 1024");
    big[LLMGW__REGEX_MAX_PATTERN] = '\0';
    refused(big, "too large once its repetitions are expanded");    /* 1024 instructions */
    for (i = 0; i < LLMGW__REGEX_MAX_PATTERN / 4; i++)
        memcpy(big + 4 * i, "\\x41", 4);                  /* 1024 bytes, 256 instructions */
    memset(subject, 'A', sizeof(subject) - 1);
    subject[sizeof(subject) - 1] = '\0';
    assert_true(test_re(big, subject));                    /* exactly at the cap is fine */
    subject[10] = 'B';
    assert_false(test_re(big, subject));
}

/* Patterns that take a backtracking engine exponential time answer at once here. */
static void test_no_catastrophic_backtracking(void **state)
{
    static const char *const evil[] = { "^(a+)+b$", "^(a*)*b$", "^(a|a)*c$", "^(a|aa)+$x", "(.*a){20}z",
                                        "^(\\w+\\s?)*$!" };
    char *s = malloc(20001);
    size_t i;

    (void)state;
    assert_non_null(s);
    memset(s, 'a', 20000);
    s[20000] = '\0';
    for (i = 0; i < sizeof(evil) / sizeof(evil[0]); i++)
        assert_false(test_re(evil[i], s));
    assert_true(test_re("^(a+)+$", s));
    s[19999] = '!';
    assert_false(test_re("^(a+)+$", s));
    free(s);
}

/* ---- differential check against POSIX ERE on their common syntax ---- */

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static unsigned rnd(unsigned n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (unsigned)(rng_state % n);
}

static void gen_alt(char *p, size_t *len, size_t cap, int depth);

static void put(char *p, size_t *len, size_t cap, const char *s)
{
    size_t n = strlen(s);

    if (*len + n < cap) {
        memcpy(p + *len, s, n);
        *len += n;
        p[*len] = '\0';
    }
}

static void gen_atom(char *p, size_t *len, size_t cap, int depth)
{
    static const char *const atoms[] = { "a", "b", "c", ".", "[ab]", "[^a]", "[a-b]" };
    static const char *const quant[] = { "", "", "", "*", "+", "?", "{1,2}", "{2}" };

    if (depth < 2 && rnd(4) == 0) {
        put(p, len, cap, "(");
        gen_alt(p, len, cap, depth + 1);
        put(p, len, cap, ")");
    } else {
        put(p, len, cap, atoms[rnd(7)]);
    }
    put(p, len, cap, quant[rnd(8)]);
}

static void gen_alt(char *p, size_t *len, size_t cap, int depth)
{
    unsigned alts = 1 + rnd(2), a, k, n;

    for (a = 0; a < alts; a++) {
        if (a > 0)
            put(p, len, cap, "|");
        for (k = 0, n = 1 + rnd(3); k < n; k++)
            gen_atom(p, len, cap, depth);
    }
}

static void test_agrees_with_posix_ere(void **state)
{
    char pat[256], s[16];
    int round, k, disagreements = 0, matches = 0;

    (void)state;
    for (round = 0; round < 3000; round++) {
        size_t len = 0;
        regex_t posix;
        pat[0] = '\0';
        if (rnd(3) == 0)
            put(pat, &len, sizeof(pat), "^");
        gen_alt(pat, &len, sizeof(pat), 0);
        if (rnd(3) == 0)
            put(pat, &len, sizeof(pat), "$");
        if (regcomp(&posix, pat, REG_EXTENDED | REG_NOSUB) != 0)
            fail_msg("POSIX refused /%s/", pat);
        for (k = 0; k < 8; k++) {
            unsigned n = rnd(7), i;
            bool ours, theirs;
            for (i = 0; i < n; i++)
                s[i] = (char)('a' + rnd(3));
            s[n] = '\0';
            ours = test_re(pat, s);
            theirs = regexec(&posix, s, 0, NULL, 0) == 0;
            matches += ours;
            if (ours != theirs && disagreements++ < 5)
                print_message("/%s/ on \"%s\": llmgw %d, POSIX %d\n", pat, s, ours, theirs);
        }
        regfree(&posix);
    }
    assert_int_equal(disagreements, 0);
    assert_true(matches > 1000);          /* the check saw both answers */
    assert_true(matches < 3000 * 8 - 1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_literals_and_search),
        cmocka_unit_test(test_anchors_and_boundaries),
        cmocka_unit_test(test_classes),
        cmocka_unit_test(test_groups_alternation_repetition),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_no_catastrophic_backtracking),
        cmocka_unit_test(test_agrees_with_posix_ere),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
