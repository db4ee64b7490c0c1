/*
 * tests/router/test_select.c: picking a deployment: priority order first,
 * then a weighted shuffle; exclusions; -1 when nothing is left.
 */
#include "unit.h"

#include "core/gateway.h"
#include "router/select.h"

#define N 5

typedef struct fixture {
    llmgw__deployment  d[N];
    llmgw__deployment *ptrs[N];
    llmgw__candidates  c;
    bool               excluded[N];
} fixture;

static void setup_fixture(fixture *f, size_t n, const int *weights, const int *orders)
{
    size_t i;

    memset(f, 0, sizeof(*f));
    for (i = 0; i < n; i++) {
        f->d[i].weight = weights ? weights[i] : 1;
        f->d[i].order = orders ? orders[i] : 0;
        f->ptrs[i] = &f->d[i];
    }
    f->c.group = "g";
    f->c.deps = f->ptrs;
    f->c.n = n;
}

static void test_priority_order(void **state)
{
    static const int orders[] = { 2, 1, 0, 1, 3 };
    static const int weights[] = { 1, 1, 100, 3, 1 };
    fixture f;
    uint64_t rng = 1;
    int i, hits[N] = { 0 };

    (void)state;
    setup_fixture(&f, N, weights, orders);
    /* order 1 wins over 2, 3 and over "no order" (0), whatever the weights */
    for (i = 0; i < 4000; i++) {
        long k = llmgw__select(&f.c, f.excluded, &rng);
        assert_true(k == 1 || k == 3);
        hits[k]++;
    }
    /* between equals, the weights decide (1 : 3) */
    assert_true(hits[1] > 800 && hits[1] < 1200);
    f.excluded[1] = f.excluded[3] = true;
    for (i = 0; i < 100; i++)
        assert_int_equal(llmgw__select(&f.c, f.excluded, &rng), 0);
    f.excluded[0] = true;
    for (i = 0; i < 100; i++)
        assert_int_equal(llmgw__select(&f.c, f.excluded, &rng), 4);
    f.excluded[4] = true;                   /* only the unordered one is left */
    for (i = 0; i < 100; i++)
        assert_int_equal(llmgw__select(&f.c, f.excluded, &rng), 2);
    f.excluded[2] = true;
    assert_int_equal(llmgw__select(&f.c, f.excluded, &rng), -1);
}

static void test_weighted_proportions(void **state)
{
    static const int weights[] = { 1, 2, 7 };
    fixture f;
    uint64_t rng = 20240611;
    long hits[3] = { 0, 0, 0 };
    const long draws = 100000;
    long i;

    (void)state;
    setup_fixture(&f, 3, weights, NULL);
    for (i = 0; i < draws; i++) {
        long k = llmgw__select(&f.c, f.excluded, &rng);
        assert_true(k >= 0 && k < 3);
        hits[k]++;
    }
    /* expected 10 %, 20 %, 70 %; +-1.5 percentage points is > 10 standard deviations */
    assert_true(labs(hits[0] - 10000) < 1500);
    assert_true(labs(hits[1] - 20000) < 1500);
    assert_true(labs(hits[2] - 70000) < 1500);

    /* excluding one renormalizes the others: 1 : 7 */
    f.excluded[1] = true;
    hits[0] = hits[1] = hits[2] = 0;
    for (i = 0; i < draws; i++)
        hits[llmgw__select(&f.c, f.excluded, &rng)]++;
    assert_int_equal(hits[1], 0);
    assert_true(labs(hits[0] - 12500) < 1500);
    assert_true(labs(hits[2] - 87500) < 1500);
}

static void test_equal_weights_uniform(void **state)
{
    fixture f;
    uint64_t rng = 5;
    long hits[N] = { 0 };
    long i;

    (void)state;
    setup_fixture(&f, N, NULL, NULL);
    for (i = 0; i < 50000; i++)
        hits[llmgw__select(&f.c, f.excluded, &rng)]++;
    for (i = 0; i < N; i++)
        assert_true(labs(hits[i] - 10000) < 800);
}

static void test_degenerate(void **state)
{
    static const int zero[] = { 0, 0, 0 };
    static const int negative[] = { -5, 0, -1 };
    fixture f;
    uint64_t rng = 9;
    bool seen[3] = { false, false, false };
    int i;

    (void)state;
    setup_fixture(&f, 0, NULL, NULL);
    assert_int_equal(llmgw__select(&f.c, f.excluded, &rng), -1);
    /* weights that are not positive still leave every member pickable */
    setup_fixture(&f, 3, zero, NULL);
    for (i = 0; i < 300; i++) {
        long k = llmgw__select(&f.c, f.excluded, &rng);
        assert_true(k >= 0 && k < 3);
        seen[k] = true;
    }
    assert_true(seen[0] && seen[1] && seen[2]);
    setup_fixture(&f, 3, negative, NULL);
    f.excluded[1] = true;
    for (i = 0; i < 300; i++) {
        long k = llmgw__select(&f.c, f.excluded, &rng);
        assert_true(k == 0 || k == 2);
    }
    /* one candidate */
    setup_fixture(&f, 1, NULL, NULL);
    assert_int_equal(llmgw__select(&f.c, f.excluded, &rng), 0);
    f.excluded[0] = true;
    assert_int_equal(llmgw__select(&f.c, f.excluded, &rng), -1);
}

static void test_rand(void **state)
{
    uint64_t a = 0, b = 0;
    int i;

    (void)state;
    /* splitmix64's published first output for seed 0 */
    assert_true(llmgw__rand_next(&a) == 0xE220A8397B1DCDAFull);
    for (i = 0; i < 1000; i++) {
        assert_true(llmgw__rand_below(&b, 7) < 7);
        assert_int_equal(llmgw__rand_below(&b, 1), 0);
        assert_int_equal(llmgw__rand_below(&b, 0), 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_priority_order),
        cmocka_unit_test(test_weighted_proportions),
        cmocka_unit_test(test_equal_weights_uniform),
        cmocka_unit_test(test_degenerate),
        cmocka_unit_test(test_rand),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
