/*
 * tests/accounting/test_cost.c: the cost formula of docs/prices.md §2
 * (lib/accounting/cost.c) on hand-computed cases: plain, cache reads and
 * writes, reasoning, the long-context tier, missing optional rates, zero
 * prices, rounding; overflow and bad counts make the cost unknown.
 */
#include "unit.h"

#include "accounting/prices.h"

#define NONE LLMGW__PRICE_NONE
#define USD_M(x) ((int64_t)(x) * 1000000000)    /* whole USD per million tokens */

/* ---- the formula ---- */

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

static llmgw_token_counts tokens(uint64_t in, uint64_t out, uint64_t cr, uint64_t cw, uint64_t rs)
{
    llmgw_token_counts c = { in, out, cr, cw, rs };

    return c;
}

static void expect_cost(const llmgw__price *p, llmgw_token_counts c, int64_t total, int64_t input)
{
    llmgw__cost cost;

    assert_int_equal(llmgw__cost_compute(&cost, p, &c), 0);
    assert_int_equal(cost.total, total);
    assert_int_equal(cost.input, input);
    assert_int_equal(cost.output, total - input);
}

static void test_plain(void **state)
{
    /* gpt-4o: $2.50 / $10 per million */
    llmgw__price p = price(2500000000, USD_M(10), 1250000000, NONE, NONE);

    (void)state;
    /* 1000 x $2.5e-6 + 500 x $1e-5 = $0.0075 */
    expect_cost(&p, tokens(1000, 500, 0, 0, 0), 7500000, 2500000);
    expect_cost(&p, tokens(0, 0, 0, 0, 0), 0, 0);
    expect_cost(&p, tokens(1, 1, 0, 0, 0), 12500, 2500);
}

static void test_rounding(void **state)
{
    /* $2.5e-9 and $1e-8 per token: one token is 2.5 and 10 nano-USD */
    llmgw__price p = price(2500000, 10000000, NONE, NONE, NONE);

    (void)state;
    expect_cost(&p, tokens(1, 0, 0, 0, 0), 3, 3);                  /* 2.5 -> 3, half up */
    expect_cost(&p, tokens(1, 1, 0, 0, 0), 13, 3);                 /* 12.5 -> 13; the parts add up */
    expect_cost(&p, tokens(3, 0, 0, 0, 0), 8, 8);                  /* 7.5 -> 8 */
    p.input = 1;                                                   /* 1e-6 nano-USD per token */
    expect_cost(&p, tokens(499999, 0, 0, 0, 0), 0, 0);
    expect_cost(&p, tokens(500000, 0, 0, 0, 0), 1, 1);
    expect_cost(&p, tokens(1500000, 0, 0, 0, 0), 2, 2);
    /* the sum is rounded once: 0.4 + 0.4 input is 1 in total, not 0 + 0 */
    p.cache_read = 1;
    expect_cost(&p, tokens(800000, 0, 400000, 0, 0), 1, 1);
}

static void test_cache_reads(void **state)
{
    llmgw__price p = price(2500000000, USD_M(10), 1250000000, NONE, NONE);

    (void)state;
    /* 600 fresh x 2.5e-6 + 400 cached x 1.25e-6 = $0.002 */
    expect_cost(&p, tokens(1000, 0, 400, 0, 0), 2000000, 2000000);
    /* no cache-read rate: cached tokens cost the input rate */
    p.cache_read = NONE;
    expect_cost(&p, tokens(1000, 0, 400, 0, 0), 2500000, 2500000);
}

static void test_cache_writes(void **state)
{
    /* claude-sonnet-4-5: $3 / $15, reads $0.30, writes $3.75 per million */
    llmgw__price p = price(USD_M(3), USD_M(15), 300000000, 3750000000, NONE);

    (void)state;
    /* 1000 fresh x 3e-6 + 1000 read x 3e-7 + 8000 written x 3.75e-6 = $0.0333; 200 out x 1.5e-5 = $0.003 */
    expect_cost(&p, tokens(10000, 200, 1000, 8000, 0), 36300000, 33300000);
    /* no cache-write rate: written tokens cost the input rate */
    p.cache_creation = NONE;
    expect_cost(&p, tokens(10000, 200, 1000, 8000, 0), 30300000, 27300000);
}

static void test_reasoning(void **state)
{
    llmgw__price p = price(USD_M(1), USD_M(4), NONE, NONE, 3500000000);

    (void)state;
    /* 400 answer x 4e-6 + 600 reasoning x 3.5e-6 = $0.0037 */
    expect_cost(&p, tokens(0, 1000, 0, 0, 600), 3700000, 0);
    /* no reasoning rate: reasoning costs the output rate */
    p.reasoning = NONE;
    expect_cost(&p, tokens(0, 1000, 0, 0, 600), 4000000, 0);
}

static void test_tier(void **state)
{
    /* gemini-2.5-pro: $1.25 / $10, reads $0.125; above 200k: $2.50 / $15, reads $0.25 */
    llmgw__price p = price(1250000000, USD_M(10), 125000000, NONE, NONE);

    (void)state;
    p.tier_threshold = 200000;
    p.input_above = 2500000000;
    p.output_above = USD_M(15);
    p.cache_read_above = 250000000;
    /* exactly 200,000 is not above */
    expect_cost(&p, tokens(200000, 1000, 0, 0, 0), 260000000, 250000000);
    /* 200,001: every token at the higher rates */
    expect_cost(&p, tokens(200001, 1000, 0, 0, 0), 515002500, 500002500);
    /* cache reads at the tier's read rate: 200k x 2.5e-6 + 100k x 2.5e-7 */
    expect_cost(&p, tokens(300000, 0, 100000, 0, 0), 525000000, 525000000);
    /* a tier rate the entry lacks keeps its base rate (output here) */
    p.output_above = NONE;
    expect_cost(&p, tokens(200001, 1000, 0, 0, 0), 510002500, 500002500);
    /* no tier read rate: the base read rate, not the tier's input rate */
    p.cache_read_above = NONE;
    expect_cost(&p, tokens(300000, 0, 100000, 0, 0), 512500000, 512500000);
    /* neither read rate: cached tokens cost the tier's input rate */
    p.cache_read = NONE;
    expect_cost(&p, tokens(300000, 0, 100000, 0, 0), 750000000, 750000000);
    /* reasoning with no rate follows the output rate in force */
    p.output_above = USD_M(15);
    expect_cost(&p, tokens(200001, 1000, 0, 0, 1000), 515002500, 500002500);
}

static void test_tier_cache_writes(void **state)
{
    /* claude-sonnet-4-5 above 200k: $6 / $22.50, reads $0.60, writes $7.50 */
    llmgw__price p = price(USD_M(3), USD_M(15), 300000000, 3750000000, NONE);

    (void)state;
    p.tier_threshold = 200000;
    p.input_above = USD_M(6);
    p.output_above = 22500000000;
    p.cache_read_above = 600000000;
    p.cache_creation_above = 7500000000;
    /* 100k fresh x 6e-6 + 50k read x 6e-7 + 60k written x 7.5e-6 = 0.6 + 0.03 + 0.45; 2k out x 2.25e-5 */
    expect_cost(&p, tokens(210000, 2000, 50000, 60000, 0), 1125000000, 1080000000);
}

static void test_zero_prices(void **state)
{
    llmgw__price p = price(0, 0, NONE, NONE, NONE);

    (void)state;
    /* free is a computed 0, not unknown */
    expect_cost(&p, tokens(123456, 7890, 1000, 0, 500), 0, 0);
}

static void expect_unknown(const llmgw__price *p, llmgw_token_counts c, const char *why)
{
    llmgw__cost cost = { 1, 1, 1 };

    assert_int_equal(llmgw__cost_compute(&cost, p, &c), LLMGW_EINVAL);
    assert_int_equal(cost.total, 0);
    assert_int_equal(cost.input, 0);
    assert_int_equal(cost.output, 0);
    assert_contains(llmgw_error_last()->message, why);
}

static void test_missing_rates(void **state)
{
    llmgw__price p = price(NONE, USD_M(10), NONE, NONE, NONE);

    (void)state;
    expect_unknown(&p, tokens(10, 10, 0, 0, 0), "no input price");
    /* even with zero tokens: a price without input and output rates is no price */
    expect_unknown(&p, tokens(0, 0, 0, 0, 0), "no input price");
    p = price(USD_M(1), NONE, NONE, NONE, NONE);
    expect_unknown(&p, tokens(10, 0, 0, 0, 0), "no output price");
    /* a tier that only has an above rate for input is fine; one with no base is not rescued */
    p = price(NONE, USD_M(1), NONE, NONE, NONE);
    p.tier_threshold = 10;
    p.input_above = USD_M(2);
    expect_cost(&p, tokens(11, 0, 0, 0, 0), 22000, 22000);
    expect_unknown(&p, tokens(10, 0, 0, 0, 0), "no input price");
    p = price(USD_M(1), USD_M(1), -5, NONE, NONE);
    expect_unknown(&p, tokens(1, 1, 0, 0, 0), "negative rate");
}

static void test_bad_counts(void **state)
{
    llmgw__price p = price(USD_M(1), USD_M(2), NONE, NONE, NONE);

    (void)state;
    expect_unknown(&p, tokens(10, 0, 6, 5, 0), "exceed the input");
    expect_unknown(&p, tokens(10, 5, 0, 0, 6), "exceed the output");
    expect_unknown(&p, tokens(LLMGW_MAX_TOKENS_VALUE, 0, 0, 0, 0), "2^40");
    expect_unknown(&p, tokens(10, LLMGW_MAX_TOKENS_VALUE, 0, 0, 0), "2^40");
    p = price(1, 2, NONE, NONE, NONE);
    /* (2^40 - 1) x 1e-6 = 1,099,511.627775 */
    expect_cost(&p, tokens(LLMGW_MAX_TOKENS_VALUE - 1, 0, 0, 0, 0), 1099512, 1099512);
}

static int64_t half_up_million(int64_t v)
{
    return v / 1000000 + (v % 1000000 >= 500000);
}

static void test_overflow(void **state)
{
    /* 1,000 USD per token (the cap) x 2^40 - 1 tokens does not fit 64 bits */
    llmgw__price p = price(llmgw__price_from_usd_per_token(1000.0), USD_M(1), NONE, NONE, NONE);

    (void)state;
    expect_unknown(&p, tokens(LLMGW_MAX_TOKENS_VALUE - 1, 0, 0, 0, 0), "overflows");
    /* each term fits, the sum does not */
    p = price(INT64_MAX / 2 / 1000 + 1, INT64_MAX / 2 / 1000 + 1, NONE, NONE, NONE);
    expect_unknown(&p, tokens(1000, 1000, 0, 0, 0), "overflows");
    /* the largest sum that fits */
    p = price(INT64_MAX / 2000, INT64_MAX / 2000, NONE, NONE, NONE);
    expect_cost(&p, tokens(1000, 1000, 0, 0, 0), half_up_million(INT64_MAX / 2000 * 2000),
                half_up_million(INT64_MAX / 2000 * 1000));
}

static void test_null_args(void **state)
{
    llmgw__price p = price(1, 1, NONE, NONE, NONE);
    llmgw_token_counts c = tokens(1, 1, 0, 0, 0);
    llmgw__cost cost;

    (void)state;
    assert_int_equal(llmgw__cost_compute(NULL, &p, &c), LLMGW_EINVAL);
    assert_int_equal(llmgw__cost_compute(&cost, NULL, &c), LLMGW_EINVAL);
    assert_int_equal(llmgw__cost_compute(&cost, &p, NULL), LLMGW_EINVAL);
}


int main(void)
{
    const struct CMUnitTest t[] = {
        cmocka_unit_test(test_plain),
        cmocka_unit_test(test_rounding),
        cmocka_unit_test(test_cache_reads),
        cmocka_unit_test(test_cache_writes),
        cmocka_unit_test(test_reasoning),
        cmocka_unit_test(test_tier),
        cmocka_unit_test(test_tier_cache_writes),
        cmocka_unit_test(test_zero_prices),
        cmocka_unit_test(test_missing_rates),
        cmocka_unit_test(test_bad_counts),
        cmocka_unit_test(test_overflow),
        cmocka_unit_test(test_null_args),
    };
    return cmocka_run_group_tests(t, NULL, NULL);
}
