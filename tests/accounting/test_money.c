/*
 * tests/accounting/test_money.c: integer money (lib/accounting/cost.c). The
 * decimal-exact conversion of prices to nano-USD per million tokens, on
 * values that are not exact in binary, under the host's locale, and a sum
 * of many costs checked against an independent big-decimal computation.
 */
#include "unit.h"

#include <locale.h>
#include <math.h>

#include "accounting/prices.h"

#define NONE LLMGW__PRICE_NONE

/* ---- conversion ---- */

static void test_from_usd_exact(void **state)
{
    (void)state;
    /* the catalogue's values; 2.5e-06 * 1e15 is not computed in binary */
    assert_int_equal(llmgw__price_from_usd_per_token(2.5e-06), 2500000000);
    assert_int_equal(llmgw__price_from_usd_per_token(1e-05), 10000000000);
    assert_int_equal(llmgw__price_from_usd_per_token(1.25e-07), 125000000);
    assert_int_equal(llmgw__price_from_usd_per_token(3.75e-06), 3750000000);
    assert_int_equal(llmgw__price_from_usd_per_token(0.0006), 600000000000);
    /* truncating x * 1e15 gives 129999 and 14999999 */
    assert_int_equal(llmgw__price_from_usd_per_token(1.3e-10), 130000);
    assert_int_equal(llmgw__price_from_usd_per_token(1.5e-08), 15000000);
    /* half up on the decimal: floor(x * 1e15 + 0.5) gives 57, 114 and 60 */
    assert_int_equal(llmgw__price_from_usd_per_token(5.75e-14), 58);
    assert_int_equal(llmgw__price_from_usd_per_token(1.145e-13), 115);
    assert_int_equal(llmgw__price_from_usd_per_token(6.05e-14), 61);
    assert_int_equal(llmgw__price_from_usd_per_token(1.5e-15), 2);
    assert_int_equal(llmgw__price_from_usd_per_token(2.5e-15), 3);
    assert_int_equal(llmgw__price_from_usd_per_token(5e-16), 1);
    assert_int_equal(llmgw__price_from_usd_per_token(4.9e-16), 0);
    /* 17-digit float noise from the catalogue: the 15-digit decimal wins */
    assert_int_equal(llmgw__price_from_usd_per_token(9.999990000000002e-06), 9999990000);
    assert_int_equal(llmgw__price_from_usd_per_token(7.500003000000001e-05), 75000030000);
    assert_int_equal(llmgw__price_from_usd_per_token(1.6666666666666667e-07), 166666667);
    /* edges */
    assert_int_equal(llmgw__price_from_usd_per_token(0.0), 0);
    assert_int_equal(llmgw__price_from_usd_per_token(-0.0), 0);
    assert_int_equal(llmgw__price_from_usd_per_token(1000.0), 1000000000000000000);
    assert_int_equal(llmgw__price_from_usd_per_token(1000.5), NONE);
    assert_int_equal(llmgw__price_from_usd_per_token(-1e-6), NONE);
    assert_int_equal(llmgw__price_from_usd_per_token(NAN), NONE);
    assert_int_equal(llmgw__price_from_usd_per_token(INFINITY), NONE);
    assert_int_equal(llmgw__price_from_usd_per_token(1e-300), 0);
}

static int64_t parse(const char *s, bool per_million);
static uint64_t lcg(uint64_t *s);

/*
 * The conversion has a fast path (r = usd x 1e15 away from a half) and an
 * exact decimal one; both must give what the 15-digit decimal text gives.
 */
static void test_from_usd_matches_decimal(void **state)
{
    uint64_t seed = 7;
    size_t i, slow = 0;

    (void)state;
    for (i = 0; i < 200000; i++) {
        char text[64], back[64];
        int64_t want, got;
        double x;
        if (i % 2) {
            /* a decimal as an author writes it: 1 to 15 digits, leading digit at 1e-16 .. 1e-4 */
            int digits = 1 + (int)(lcg(&seed) % 15), lead = -16 + (int)(lcg(&seed) % 13), k;
            uint64_t top = 1, mant;
            for (k = 0; k < digits; k++)
                top *= 10;
            mant = top / 10 + lcg(&seed) % (top - top / 10);          /* exactly digits digits */
            snprintf(text, sizeof(text), "%llue%d", (unsigned long long)mant, lead - (digits - 1));
            x = strtod(text, NULL);
            want = parse(text, false);
        } else {
            x = pow(10, -16 + 13 * (double)(lcg(&seed) % 1000000) / 1e6);
            snprintf(text, sizeof(text), "%.14e", x);
            want = parse(text, false);
        }
        snprintf(back, sizeof(back), "%.14e", x);
        assert_int_equal(parse(back, false), want);              /* DBL_DIG: the text comes back */
        got = llmgw__price_from_usd_per_token(x);
        if (got != want)
            fail_msg("%s (%.17g): %lld, want %lld", text, x, (long long)got, (long long)want);
        slow += fabs(x * 1e15 - floor(x * 1e15) - 0.5) <= 0.01;
    }
    print_message("%zu values, %zu near a half (the exact path)\n", i, slow);
}

static int64_t parse(const char *s, bool per_million)
{
    int64_t r = 0;
    int rc = llmgw__price_parse(&r, s, strlen(s), per_million);

    return rc == 0 ? r : rc;
}

static void test_parse_decimal(void **state)
{
    (void)state;
    assert_int_equal(parse("2.50", true), 2500000000);
    assert_int_equal(parse("0.0375", true), 37500000);
    assert_int_equal(parse("18.75", true), 18750000000);
    assert_int_equal(parse("0", true), 0);
    assert_int_equal(parse("2.5e-6", false), 2500000000);
    assert_int_equal(parse("2.5E-06", false), 2500000000);
    assert_int_equal(parse("0.0000025", false), 2500000000);
    assert_int_equal(parse(".5", true), 500000000);
    assert_int_equal(parse("5.", true), 5000000000);
    assert_int_equal(parse("1.5e-15", false), 2);
    assert_int_equal(parse("1.4999999e-15", false), 1);
    assert_int_equal(parse("1e-30", false), 0);
    assert_int_equal(parse("2.500000000000000000000000000", true), 2500000000);
    assert_int_equal(parse("1000", false), 1000000000000000000);
    assert_int_equal(parse("1e3", false), 1000000000000000000);
    assert_int_equal(parse("1000.000000001", false), LLMGW_EINVAL);
    assert_int_equal(parse("1e400", false), LLMGW_EINVAL);
    assert_int_equal(parse("-1", true), LLMGW_EINVAL);
    assert_contains(llmgw_error_last()->message, "negative");
    assert_int_equal(parse("", true), LLMGW_EINVAL);
    assert_int_equal(parse(".", true), LLMGW_EINVAL);
    assert_int_equal(parse("1e", true), LLMGW_EINVAL);
    assert_int_equal(parse("1.2.3", true), LLMGW_EINVAL);
    assert_int_equal(parse("2,50", true), LLMGW_EINVAL);
    assert_int_equal(parse(" 2.5", true), LLMGW_EINVAL);
    assert_int_equal(parse("0x10", true), LLMGW_EINVAL);
    assert_int_equal(parse("nan", true), LLMGW_EINVAL);
    assert_int_equal(parse("1.2345678901234567891", true), LLMGW_EINVAL);   /* 20 significant digits */
    assert_int_equal(parse("1.2345678901234567890", true), 1234567890);     /* a 20th that is 0 */
}

/* STYLE.md §14.6: the host's LC_NUMERIC must not change a price. */
static void test_comma_locale(void **state)
{
    const char *prev;
    char *old;

    (void)state;
    prev = setlocale(LC_NUMERIC, NULL);
    old = prev ? strdup(prev) : NULL;
    if (setlocale(LC_NUMERIC, "de_DE.UTF-8") == NULL && setlocale(LC_NUMERIC, "fr_FR.UTF-8") == NULL) {
        print_message("no comma-decimal locale installed: locale check skipped\n");
        free(old);
        skip();
    }
    assert_int_equal(llmgw__price_from_usd_per_token(2.5e-06), 2500000000);
    assert_int_equal(llmgw__price_from_usd_per_token(5.75e-14), 58);
    assert_int_equal(parse("2.50", true), 2500000000);
    setlocale(LC_NUMERIC, old ? old : "C");
    free(old);
}

/* ---- helpers ---- */

static llmgw__price price(int64_t in, int64_t out, int64_t cr, int64_t cw, int64_t rs)
{
    llmgw__price p;

    llmgw__price_init(&p);
    p.input = in;
    p.output = out;
    p.cache_read = cr;
    p.cache_creation = cw;
    p.reasoning = rs;
    snprintf(p.key, sizeof(p.key), "test");
    return p;
}

/* ---- exact sums against an independent big-decimal computation ---- */

/* Unsigned big integer, base 10^9, little-endian. */
#define LIMBS 12
#define BASE 1000000000U
typedef struct big { uint32_t d[LIMBS]; } big;

static big big_from(uint64_t v)
{
    big b;
    int i;

    memset(&b, 0, sizeof(b));
    for (i = 0; v > 0; i++) {
        b.d[i] = (uint32_t)(v % BASE);
        v /= BASE;
    }
    return b;
}

static big big_add(big a, const big *b)
{
    uint64_t carry = 0;
    int i;

    for (i = 0; i < LIMBS; i++) {
        uint64_t s = (uint64_t)a.d[i] + b->d[i] + carry;
        a.d[i] = (uint32_t)(s % BASE);
        carry = s / BASE;
    }
    assert_true(carry == 0);
    return a;
}

static big big_mul(const big *a, const big *b)
{
    uint64_t acc[2 * LIMBS] = { 0 };
    big r;
    int i, j;

    for (i = 0; i < LIMBS; i++)
        for (j = 0; j < LIMBS && i + j < 2 * LIMBS; j++) {
            acc[i + j] += (uint64_t)a->d[i] * b->d[j];
            if (i + j + 1 < 2 * LIMBS) {
                acc[i + j + 1] += acc[i + j] / BASE;
                acc[i + j] %= BASE;
            }
        }
    for (i = 0; i + 1 < 2 * LIMBS; i++) {
        acc[i + 1] += acc[i] / BASE;
        acc[i] %= BASE;
    }
    for (i = LIMBS; i < 2 * LIMBS; i++)
        assert_true(acc[i] == 0);
    for (i = 0; i < LIMBS; i++)
        r.d[i] = (uint32_t)acc[i];
    return r;
}

/* b x 10^k, k < 90 */
static big big_pow10(big b, int k)
{
    static big table[90];
    static bool ready;
    int i;

    if (!ready) {
        big ten = big_from(10);
        table[0] = big_from(1);
        for (i = 1; i < 90; i++)
            table[i] = big_mul(&table[i - 1], &ten);
        ready = true;
    }
    assert_true(k >= 0 && k < 90);
    return big_mul(&b, &table[k]);
}

/* floor(b / 10^(9 * limbs)) as uint64 (must fit) */
static uint64_t big_drop(const big *b, int limbs)
{
    uint64_t v = 0;
    int i;

    for (i = LIMBS - 1; i >= limbs; i--) {
        assert_true(v <= (UINT64_MAX - b->d[i]) / BASE);
        v = v * BASE + b->d[i];
    }
    return v;
}

/* "2.5e-06" -> mantissa digits and exponent, read from the text (not from a double) */
static void split_decimal(const char *s, uint64_t *mant, int *exp)
{
    *mant = 0;
    *exp = 0;
    for (; *s && *s != 'e'; s++) {
        if (*s == '.') {
            for (s++; *s && *s != 'e'; s++) {
                *mant = *mant * 10 + (uint64_t)(*s - '0');
                (*exp)--;
            }
            break;
        }
        *mant = *mant * 10 + (uint64_t)(*s - '0');
    }
    if (*s == 'e')
        *exp += (int)strtol(s + 1, NULL, 10);
}

#define SCALE_LIMBS 5           /* work in units of 10^-45 nano-USD */

/* The exact cost in nano-USD, half up: sum(tokens x price) x 10^9, from the decimal texts. */
static uint64_t exact_cost(const char *const *prices, const uint64_t *counts, size_t n)
{
    big sum = big_from(0), half;
    size_t i;

    for (i = 0; i < n; i++) {
        uint64_t mant;
        int exp;
        big t, m;
        split_decimal(prices[i], &mant, &exp);
        assert_true(exp + 9 + 9 * SCALE_LIMBS >= 0);
        t = big_from(counts[i]);
        m = big_from(mant);
        t = big_mul(&t, &m);
        t = big_pow10(t, exp + 9 + 9 * SCALE_LIMBS);
        sum = big_add(sum, &t);
    }
    half = big_pow10(big_from(5), 9 * SCALE_LIMBS - 1);
    sum = big_add(sum, &half);
    return big_drop(&sum, SCALE_LIMBS);
}

static uint64_t lcg(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return *s >> 24;
}

static void test_exact_sums(void **state)
{
    /* input, output, cache read: catalogue-style USD-per-token texts, some with float noise */
    static const char *const models[][3] = {
        { "2.5e-06", "1e-05", "1.25e-06" },
        { "1.5e-07", "6e-07", "7.5e-08" },
        { "3e-06", "1.5e-05", "3e-07" },
        { "1.1e-06", "4.4e-06", "2.75e-07" },
        { "1.3e-10", "5.7e-14", "1e-09" },          /* every rate a whole number of 1e-15 USD */
        { "9.99999e-06", "7.500003e-05", "1.14e-13" },
        { "2.8e-08", "4.2e-07", "2.8e-09" },
    };
    uint64_t seed = 42, ours = 0, theirs = 0;
    double as_double = 0;
    size_t i, n = 20000;

    (void)state;
    for (i = 0; i < n; i++) {
        const char *const *m = models[lcg(&seed) % LLMGW_ARRAY_SIZE(models)];
        uint64_t cached = lcg(&seed) % 3000, fresh = lcg(&seed) % 5000, out = lcg(&seed) % 2000;
        const char *texts[3] = { m[0], m[2], m[1] };
        uint64_t counts[3] = { fresh, cached, out };
        llmgw_token_counts c = { fresh + cached, out, cached, 0, 0 };
        llmgw__price p = price(llmgw__price_from_usd_per_token(strtod(m[0], NULL)),
                               llmgw__price_from_usd_per_token(strtod(m[1], NULL)),
                               llmgw__price_from_usd_per_token(strtod(m[2], NULL)), NONE, NONE);
        llmgw__cost cost;
        uint64_t want = exact_cost(texts, counts, 3);

        assert_int_equal(llmgw__cost_compute(&cost, &p, &c), 0);
        assert_int_equal((uint64_t)cost.total, want);       /* each request, to the nano-dollar */
        ours += (uint64_t)cost.total;
        theirs += want;
        as_double += (double)fresh * strtod(m[0], NULL) + (double)cached * strtod(m[2], NULL) +
                     (double)out * strtod(m[1], NULL);
    }
    assert_true(ours == theirs);
    print_message("%zu costs: %llu nano-USD exactly; summed in double: %.12f USD (%+.3e)\n", n,
                  (unsigned long long)ours, as_double, as_double - (double)ours / 1e9);
}


int main(void)
{
    const struct CMUnitTest t[] = {
        cmocka_unit_test(test_from_usd_exact),
        cmocka_unit_test(test_parse_decimal),
        cmocka_unit_test(test_from_usd_matches_decimal),
        cmocka_unit_test(test_comma_locale),
        cmocka_unit_test(test_exact_sums),
    };
    return cmocka_run_group_tests(t, NULL, NULL);
}
