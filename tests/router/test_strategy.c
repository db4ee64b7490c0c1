/*
 * tests/router/test_strategy.c: picking a deployment: priority order first,
 * then the strategy (weighted shuffle by weight / rpm / tpm, least-busy,
 * latency with a buffer, usage headroom, cost); ineligible members skipped;
 * -1 when none is left.
 */
#include "unit.h"

#include "core/gateway.h"
#include "router/strategy.h"

#define N 5

typedef struct fixture {
    llmgw__deployment  d[N];
    llmgw__deployment *ptrs[N];
    bool               ok[N];
    llmgw__pick_input  in;
} fixture;

static void setup_fixture(fixture *f, int strategy)
{
    size_t i;

    memset(f, 0, sizeof(*f));
    for (i = 0; i < N; i++) {
        f->d[i].weight = 1;
        assert_int_equal(llmgw__limiter_init(&f->d[i].limiter), 0);
        f->ptrs[i] = &f->d[i];
        f->ok[i] = true;
    }
    f->in.deps = f->ptrs;
    f->in.eligible = f->ok;
    f->in.n = N;
    f->in.strategy = strategy;
    f->in.now_us = 1000000000;
    f->in.est_input_tokens = 1000;
    f->in.est_output_tokens = 100;
}

static void teardown_fixture(fixture *f)
{
    size_t i;

    for (i = 0; i < N; i++)
        llmgw__limiter_dispose(&f->d[i].limiter);
}

static void count(fixture *f, int draws, int *hits, uint64_t *rng)
{
    int i;

    memset(hits, 0, sizeof(int) * N);
    for (i = 0; i < draws; i++) {
        long k = llmgw__strategy_pick(&f->in, rng);
        assert_true(k >= 0 && k < N);
        assert_true(f->ok[k]);
        hits[k]++;
    }
}

static void test_priority_then_weights(void **state)
{
    static const int orders[N] = { 2, 1, 0, 1, 3 };
    static const int weights[N] = { 1, 1, 100, 3, 1 };
    fixture f;
    uint64_t rng = 1;
    int hits[N], i;

    (void)state;
    setup_fixture(&f, LLMGW_ROUTING_SIMPLE_SHUFFLE);
    for (i = 0; i < N; i++) {
        f.d[i].order = orders[i];
        f.d[i].weight_set = weights[i];
    }
    count(&f, 4000, hits, &rng);
    /* order 1 wins over 2, 3 and over no order (0), whatever the weights; 1 : 3 inside */
    assert_int_equal(hits[0] + hits[2] + hits[4], 0);
    assert_true(hits[1] > 800 && hits[1] < 1200);
    f.ok[1] = f.ok[3] = false;
    count(&f, 100, hits, &rng);
    assert_int_equal(hits[0], 100);
    f.ok[0] = f.ok[4] = false;
    count(&f, 100, hits, &rng);
    assert_int_equal(hits[2], 100);                 /* only the unordered one is left */
    f.ok[2] = false;
    assert_int_equal(llmgw__strategy_pick(&f.in, &rng), -1);
    teardown_fixture(&f);
}

static void test_shuffle_basis(void **state)
{
    fixture f;
    uint64_t rng = 5;
    int hits[N];

    (void)state;
    /* no weights: rpm decides (LiteLLM: weight, else rpm, else tpm) */
    setup_fixture(&f, LLMGW_ROUTING_SIMPLE_SHUFFLE);
    f.in.n = 2;
    f.d[0].rpm = 100;
    f.d[1].rpm = 300;
    count(&f, 8000, hits, &rng);
    assert_true(hits[0] > 1700 && hits[0] < 2300);
    /* no rpm: tpm */
    f.d[0].rpm = f.d[1].rpm = 0;
    f.d[0].tpm = 9000;
    f.d[1].tpm = 1000;
    count(&f, 10000, hits, &rng);
    assert_true(hits[0] > 8700 && hits[0] < 9300);
    /* nothing: uniform */
    f.d[0].tpm = f.d[1].tpm = 0;
    count(&f, 10000, hits, &rng);
    assert_true(hits[0] > 4600 && hits[0] < 5400);
    teardown_fixture(&f);
}

static void test_least_busy(void **state)
{
    fixture f;
    uint64_t rng = 2;
    int hits[N];

    (void)state;
    setup_fixture(&f, LLMGW_ROUTING_LEAST_BUSY);
    atomic_store(&f.d[0].in_flight, 5);
    atomic_store(&f.d[1].in_flight, 2);
    atomic_store(&f.d[2].in_flight, 1);
    atomic_store(&f.d[3].in_flight, 1);
    atomic_store(&f.d[4].in_flight, 9);
    count(&f, 1000, hits, &rng);
    assert_int_equal(hits[0] + hits[1] + hits[4], 0);
    assert_true(hits[2] > 400 && hits[3] > 400);        /* ties share */
    teardown_fixture(&f);
}

static void test_latency_with_buffer(void **state)
{
    fixture f;
    uint64_t rng = 3;
    int hits[N];

    (void)state;
    setup_fixture(&f, LLMGW_ROUTING_LATENCY);
    llmgw__limiter_latency(&f.d[0].limiter, 1000, 10);   /* 100 us / token */
    llmgw__limiter_latency(&f.d[1].limiter, 1050, 10);   /* 105: within 10 % */
    llmgw__limiter_latency(&f.d[2].limiter, 2000, 10);   /* 200 */
    llmgw__limiter_latency(&f.d[3].limiter, 5000, 10);
    llmgw__limiter_latency(&f.d[4].limiter, 9000, 10);
    count(&f, 2000, hits, &rng);
    assert_int_equal(hits[2] + hits[3] + hits[4], 0);
    assert_true(hits[0] > 800 && hits[1] > 800);
    /* a deployment with no samples yet is explored first */
    llmgw__limiter_dispose(&f.d[4].limiter);
    assert_int_equal(llmgw__limiter_init(&f.d[4].limiter), 0);
    count(&f, 100, hits, &rng);
    assert_int_equal(hits[4], 100);
    teardown_fixture(&f);
}

static void test_usage_headroom(void **state)
{
    fixture f;
    uint64_t rng = 4;
    int hits[N], i;

    (void)state;
    setup_fixture(&f, LLMGW_ROUTING_USAGE);
    f.in.n = 3;
    for (i = 0; i < 3; i++)
        f.d[i].rpm = 10;
    for (i = 0; i < 8; i++)
        llmgw__limiter_admit(&f.d[0].limiter, f.in.now_us, 10, 0, true);
    for (i = 0; i < 2; i++)
        llmgw__limiter_admit(&f.d[1].limiter, f.in.now_us, 10, 0, true);
    for (i = 0; i < 5; i++)
        llmgw__limiter_admit(&f.d[2].limiter, f.in.now_us, 10, 0, true);
    count(&f, 100, hits, &rng);
    assert_int_equal(hits[1], 100);
    teardown_fixture(&f);
}

static void test_cost(void **state)
{
    fixture f;
    uint64_t rng = 6;
    int hits[N], i;

    (void)state;
    setup_fixture(&f, LLMGW_ROUTING_COST);
    /* the price each is billed at, in nano-USD per million tokens ($1 per million = 1e9) */
    for (i = 0; i < N; i++) {
        f.d[i].price_known = true;
        f.d[i].price.input = 1000000000LL * (i + 1);
        f.d[i].price.output = 4000000000LL * (i + 1);
    }
    f.d[3].price.input = 100000000;                     /* cheapest */
    f.d[3].price.output = 100000000;
    count(&f, 100, hits, &rng);
    assert_int_equal(hits[3], 100);
    /* no price known at all: the shuffle decides */
    for (i = 0; i < N; i++)
        f.d[i].price_known = false;
    count(&f, 5000, hits, &rng);
    for (i = 0; i < N; i++)
        assert_true(hits[i] > 700);
    teardown_fixture(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_priority_then_weights),
        cmocka_unit_test(test_shuffle_basis),
        cmocka_unit_test(test_least_busy),
        cmocka_unit_test(test_latency_with_buffer),
        cmocka_unit_test(test_usage_headroom),
        cmocka_unit_test(test_cost),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
