/*
 * Unit tests of lib/router/window.c and ratelimit.c.
 */
#include "unit.h"

#include "router/ratelimit.h"
#include "router/window.h"

#define S 1000000LL

static void test_window_slides(void **state)
{
    llmgw__window w;
    uint64_t a, b;

    (void)state;
    llmgw__window_init(&w, 60);
    llmgw__window_add(&w, 100 * S, 3, 30);
    llmgw__window_add(&w, 130 * S + 500000, 2, 20);
    llmgw__window_sum(&w, 159 * S, &a, &b);
    assert_int_equal(a, 5);
    assert_int_equal(b, 50);
    llmgw__window_sum(&w, 160 * S, &a, &b);          /* second 100 has left */
    assert_int_equal(a, 2);
    llmgw__window_sum(&w, 191 * S, &a, &b);
    assert_int_equal(a, 0);
    /* a slot reused after a full turn starts from zero */
    llmgw__window_add(&w, 220 * S, 1, 0);
    llmgw__window_sum(&w, 220 * S, &a, NULL);
    assert_int_equal(a, 1);
}

static void test_rpm_admission_and_wait(void **state)
{
    llmgw__limiter l;
    int64_t now = 1000 * S, wait;
    int i;

    (void)state;
    assert_int_equal(llmgw__limiter_init(&l), 0);
    for (i = 0; i < 3; i++)
        assert_int_equal(llmgw__limiter_admit(&l, now + i * S, 3, 0, true), 0);
    wait = llmgw__limiter_admit(&l, now + 10 * S, 3, 0, true);
    /* the first request (second 1000) leaves the window at second 1060 */
    assert_int_equal(wait, 50 * S);
    assert_int_equal(llmgw__limiter_admit(&l, now + 60 * S, 3, 0, false), 0);
    /* a peek takes nothing */
    assert_int_equal(llmgw__limiter_admit(&l, now + 60 * S, 3, 0, false), 0);
    llmgw__limiter_dispose(&l);
}

static void test_tpm_admission(void **state)
{
    llmgw__limiter l;
    int64_t now = 500 * S;

    (void)state;
    assert_int_equal(llmgw__limiter_init(&l), 0);
    assert_int_equal(llmgw__limiter_admit(&l, now, 0, 1000, true), 0);
    llmgw__limiter_tokens(&l, now, 999);
    assert_int_equal(llmgw__limiter_admit(&l, now, 0, 1000, true), 0);
    llmgw__limiter_tokens(&l, now, 1);
    assert_true(llmgw__limiter_admit(&l, now + S, 0, 1000, true) > 0);
    assert_true(llmgw__limiter_load(&l, now, 0, 1000) >= 1.0);
    assert_true(llmgw__limiter_load(&l, now, 0, 0) == 0.0);
    llmgw__limiter_dispose(&l);
}

static void test_latency_ewma(void **state)
{
    llmgw__limiter l;

    (void)state;
    assert_int_equal(llmgw__limiter_init(&l), 0);
    assert_int_equal(llmgw__limiter_latency_estimate(&l), 0);
    llmgw__limiter_latency(&l, 1000, 10);     /* 100 us per token */
    assert_int_equal(llmgw__limiter_latency_estimate(&l), 100);
    llmgw__limiter_latency(&l, 5000, 10);     /* 500: moves a quarter of the way */
    assert_int_equal(llmgw__limiter_latency_estimate(&l), 200);
    llmgw__limiter_latency(&l, 7, 0);         /* no output tokens: per request */
    assert_true(llmgw__limiter_latency_estimate(&l) < 200);
    llmgw__limiter_dispose(&l);
}

static void test_retry_budget(void **state)
{
    llmgw__retry_budget b;
    int64_t now = 10000 * S;
    int i, granted = 0;

    (void)state;
    assert_int_equal(llmgw__retry_budget_init(&b), 0);
    /* the floor: 100 retries per 10 s even with few requests */
    for (i = 0; i < 150; i++)
        granted += llmgw__retry_budget_take(&b, now, 10);
    assert_int_equal(granted, 100);
    /* with many requests: 10 % of them */
    now += 20 * S;
    for (i = 0; i < 5000; i++)
        llmgw__retry_budget_request(&b, now);
    for (granted = 0, i = 0; i < 1000; i++)
        granted += llmgw__retry_budget_take(&b, now, 10);
    assert_int_equal(granted, 500);
    /* the window moves on */
    now += 11 * S;
    assert_true(llmgw__retry_budget_take(&b, now, 10));
    llmgw__retry_budget_dispose(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_window_slides),
        cmocka_unit_test(test_rpm_admission_and_wait),
        cmocka_unit_test(test_tpm_admission),
        cmocka_unit_test(test_latency_ewma),
        cmocka_unit_test(test_retry_budget),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
