/*
 * tests/router/test_strategy_summary.c: the pick with the caller's one-pass
 * summary of the eligible (llmgw__pick_note, what route.c does) chooses
 * exactly what the pick without it chooses, draw for draw from the same
 * RNG state, over random groups: orders (mixed and uniform), weights, rpm,
 * tpm, in-flight counts, prices, eligibility, every strategy, and groups
 * past the 1,024 the pick keeps on its stack.
 */
#include "unit.h"

#include "core/gateway.h"
#include "router/strategy.h"

#define MAXN 1100

static llmgw__deployment deps[MAXN];
static llmgw__deployment *ptrs[MAXN];
static bool ok[MAXN];
static uint64_t seed = 0x2545f4914f6cdd1dULL;

static uint32_t rnd(uint32_t below)
{
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return (uint32_t)((seed >> 11) % below);
}

static void random_group(size_t n, int shape)
{
    size_t i;

    for (i = 0; i < n; i++) {
        llmgw__deployment *d = &deps[i];
        d->order = shape & 1 ? (int)rnd(4) : 0;
        d->weight_set = shape & 2 ? (int)rnd(5) : 0;
        d->weight = d->weight_set > 0 ? d->weight_set : 1;
        d->rpm = shape & 4 && rnd(2) ? 60 + rnd(1000) : 0;
        d->tpm = shape & 8 && rnd(2) ? 1000 + rnd(100000) : 0;
        atomic_store(&d->in_flight, (int)rnd(3));
        d->price_known = rnd(3) != 0;
        d->price.input = 1 + rnd(4);
        d->price.output = 1 + rnd(8);
        ok[i] = rnd(5) != 0;
        ptrs[i] = d;
    }
    if (shape & 16) {
        /* a unique best priority somewhere in the group */
        for (i = 0; i < n; i++)
            deps[i].order = deps[i].order == 1 ? 2 : deps[i].order;
        i = rnd((uint32_t)n);
        deps[i].order = 1;
        ok[i] = true;
    }
}

static void test_same_choice(void **state)
{
    static const int strategies[] = { LLMGW_ROUTING_SIMPLE_SHUFFLE, LLMGW_ROUTING_LEAST_BUSY,
                                      LLMGW_ROUTING_LATENCY, LLMGW_ROUTING_USAGE, LLMGW_ROUTING_COST };
    static const size_t sizes[] = { 1, 2, 3, 10, 100, MAXN };
    size_t s, z, i, round, agreed = 0, picked = 0;

    (void)state;
    for (i = 0; i < MAXN; i++)
        assert_int_equal(llmgw__limiter_init(&deps[i].limiter), 0);
    for (round = 0; round < 64; round++) {
        for (z = 0; z < LLMGW_ARRAY_SIZE(sizes); z++) {
            size_t n = sizes[z];
            random_group(n, (int)(round % 32));
            if (round % 7 == 0)
                for (i = 0; i < n; i++)
                    ok[i] = false;
            for (s = 0; s < LLMGW_ARRAY_SIZE(strategies); s++) {
                llmgw__pick_input plain, sum;
                uint64_t rng_a = 1000 + round, rng_b = 1000 + round;
                int draw;

                memset(&plain, 0, sizeof(plain));
                plain.deps = ptrs;
                plain.eligible = ok;
                plain.n = n;
                plain.strategy = strategies[s];
                plain.now_us = 1000000000;
                plain.est_input_tokens = 500;
                plain.est_output_tokens = 100;
                sum = plain;
                llmgw__pick_summary_begin(&sum);
                for (i = 0; i < n; i++)
                    if (ok[i])
                        llmgw__pick_note(&sum, i, ptrs[i]);
                for (draw = 0; draw < 5; draw++) {
                    long a = llmgw__strategy_pick(&plain, &rng_a), b = llmgw__strategy_pick(&sum, &rng_b);
                    assert_int_equal(a, b);
                    assert_true(rng_a == rng_b);
                    if (a >= 0) {
                        assert_true(a < (long)n && ok[a]);
                        picked++;
                    }
                    agreed++;
                }
            }
        }
    }
    assert_true(picked > agreed / 2);       /* most draws chose someone: the comparison is not vacuous */
    for (i = 0; i < MAXN; i++)
        llmgw__limiter_dispose(&deps[i].limiter);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_choice),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
