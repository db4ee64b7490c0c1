/*
 * Unit tests of lib/router/health.c: the circuit breaker and the holds.
 */
#include "unit.h"

#include <pthread.h>

#include "router/health.h"

#define S 1000000LL

static llmgw__health_cfg cfg = { 5, 30 * S, 300 * S, false };

static llmgw__outcome ok(void)
{
    llmgw__outcome o;

    memset(&o, 0, sizeof(o));
    o.retry_after_ms = -1;
    return o;
}

static llmgw__outcome failure(int http)
{
    llmgw__outcome o = ok();

    o.status = LLMGW_EUNAVAILABLE;
    llmgw__classify_status(&o, http);
    return o;
}

static void report(llmgw__health *h, int64_t now, bool probe, llmgw__outcome o, uint64_t *rng)
{
    llmgw__health_report(h, &cfg, now, probe, &o, rng);
}

static void test_consecutive_failures_open(void **state)
{
    llmgw__health h;
    uint64_t rng = 1;
    int64_t until = 0, now = 1000 * S;
    int i;

    (void)state;
    assert_int_equal(llmgw__health_init(&h), 0);
    for (i = 0; i < 4; i++) {
        report(&h, now, false, failure(503), &rng);
        assert_int_equal(llmgw__health_peek(&h, now, &until), LLMGW__ADMIT);
    }
    assert_true(llmgw__health_report(&h, &cfg, now, false, &(llmgw__outcome){ .status = LLMGW_EUNAVAILABLE,
        .error_class = LLMGW_ERRCLASS_SERVER_ERROR, .breaker = true, .retry_after_ms = -1 }, &rng));
    assert_int_equal(llmgw__health_peek(&h, now, &until), LLMGW__DENY);
    /* 30 s +-10 % */
    assert_true(until - now >= 27 * S && until - now <= 33 * S);
    assert_int_equal(llmgw__health_state(&h, now, NULL), LLMGW__HEALTH_OPEN);
    assert_int_equal(h.openings, 1);
    llmgw__health_dispose(&h);
}

static void test_non_breaker_failures_do_not_open(void **state)
{
    static const int statuses[] = { 400, 408, 409, 413, 422, 425 };
    llmgw__health h;
    uint64_t rng = 1;
    int64_t until = 0;
    size_t i;
    int k;

    (void)state;
    assert_int_equal(llmgw__health_init(&h), 0);
    for (i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
        for (k = 0; k < 10; k++)
            report(&h, 5 * S, false, failure(statuses[i]), &rng);
    assert_int_equal(llmgw__health_peek(&h, 5 * S, &until), LLMGW__ADMIT);
    llmgw__health_dispose(&h);
}

static void test_failure_rate_opens(void **state)
{
    llmgw__health h;
    uint64_t rng = 1;
    int64_t until = 0;
    int i;

    (void)state;
    assert_int_equal(llmgw__health_init(&h), 0);
    /* alternate: never 5 in a row, but >= 50 % of >= 5 calls */
    for (i = 0; i < 3; i++)
        report(&h, 10 * S, false, ok(), &rng);
    report(&h, 10 * S, false, failure(500), &rng);
    report(&h, 10 * S, false, failure(500), &rng);
    assert_int_equal(llmgw__health_peek(&h, 10 * S, &until), LLMGW__ADMIT);   /* 2 of 5 */
    report(&h, 10 * S, false, failure(500), &rng);                              /* 3 of 6: opens */
    assert_int_equal(llmgw__health_peek(&h, 10 * S, &until), LLMGW__DENY);
    llmgw__health_dispose(&h);
}

static void open_it(llmgw__health *h, int64_t now, uint64_t *rng)
{
    int i;

    for (i = 0; i < 5; i++)
        report(h, now, false, failure(503), rng);
}

static void test_half_open_one_probe_then_close(void **state)
{
    llmgw__health h;
    uint64_t rng = 7;
    int64_t until = 0, now = 100 * S;

    (void)state;
    assert_int_equal(llmgw__health_init(&h), 0);
    open_it(&h, now, &rng);
    assert_int_equal(llmgw__health_acquire(&h, now + 10 * S, &until), LLMGW__DENY);
    now += 40 * S;
    assert_int_equal(llmgw__health_peek(&h, now, &until), LLMGW__ADMIT_PROBE);
    assert_int_equal(llmgw__health_acquire(&h, now, &until), LLMGW__ADMIT_PROBE);
    assert_int_equal(llmgw__health_state(&h, now, NULL), LLMGW__HEALTH_HALF_OPEN);
    /* while the probe is out nobody else gets in */
    assert_int_equal(llmgw__health_acquire(&h, now, &until), LLMGW__DENY);
    assert_int_equal(llmgw__health_peek(&h, now, &until), LLMGW__DENY);
    report(&h, now, true, ok(), &rng);
    assert_int_equal(llmgw__health_state(&h, now, NULL), LLMGW__HEALTH_CLOSED);
    assert_int_equal(llmgw__health_acquire(&h, now, &until), LLMGW__ADMIT);
    llmgw__health_dispose(&h);
}

static void test_failed_probe_reopens_longer(void **state)
{
    llmgw__health h;
    uint64_t rng = 9;
    int64_t until = 0, now = 100 * S, first, second;

    (void)state;
    assert_int_equal(llmgw__health_init(&h), 0);
    open_it(&h, now, &rng);
    llmgw__health_peek(&h, now, &until);
    first = until - now;
    now = until;
    assert_int_equal(llmgw__health_acquire(&h, now, &until), LLMGW__ADMIT_PROBE);
    report(&h, now, true, failure(503), &rng);
    assert_int_equal(llmgw__health_peek(&h, now, &until), LLMGW__DENY);
    second = until - now;
    /* multiplier 2: 60 s +-10 % (vs 30 s +-10 % the first time) */
    assert_true(first >= 27 * S && first <= 33 * S);
    assert_true(second >= 54 * S && second <= 66 * S);
    /* and it grows to the 300 s cap, never beyond */
    for (int i = 0; i < 20; i++) {
        now = until;
        assert_int_equal(llmgw__health_acquire(&h, now, &until), LLMGW__ADMIT_PROBE);
        report(&h, now, true, failure(503), &rng);
        llmgw__health_peek(&h, now, &until);
        assert_true(until - now <= 330 * S);
    }
    assert_true(until - now >= 270 * S);
    llmgw__health_dispose(&h);
}

static void test_three_successes_halve_multiplier(void **state)
{
    llmgw__health h;
    uint64_t rng = 3;
    int64_t until = 0, now = 0;
    int i;

    (void)state;
    assert_int_equal(llmgw__health_init(&h), 0);
    open_it(&h, now, &rng);
    for (i = 0; i < 3; i++) {       /* ejections 1 -> 4 */
        llmgw__health_peek(&h, now, &until);
        now = until;
        llmgw__health_acquire(&h, now, &until);
        report(&h, now, true, failure(500), &rng);
    }
    assert_int_equal(h.ejections, 4);
    llmgw__health_peek(&h, now, &until);
    now = until;
    assert_int_equal(llmgw__health_acquire(&h, now, &until), LLMGW__ADMIT_PROBE);
    report(&h, now, true, ok(), &rng);
    report(&h, now, false, ok(), &rng);
    assert_int_equal(h.ejections, 4);
    report(&h, now, false, ok(), &rng);
    assert_int_equal(h.ejections, 2);
    llmgw__health_dispose(&h);
}

static void test_holds(void **state)
{
    llmgw__health h;
    llmgw__outcome o;
    uint64_t rng = 1;
    int64_t until = 0, now = 50 * S;

    (void)state;
    assert_int_equal(llmgw__health_init(&h), 0);
    /* 429 with a hint: held exactly that long, no breaker failure counted */
    o = failure(429);
    o.retry_after_ms = 1500;
    report(&h, now, false, o, &rng);
    assert_int_equal(llmgw__health_peek(&h, now, &until), LLMGW__DENY);
    assert_int_equal(until, now + 1500 * 1000);
    assert_int_equal(h.openings, 0);
    /* a shorter hold never shortens a longer one (re-opening keeps the later deadline) */
    o.retry_after_ms = 100;
    report(&h, now, false, o, &rng);
    llmgw__health_peek(&h, now, &until);
    assert_int_equal(until, now + 1500 * 1000);
    /* once it expires the deployment is back without a probe */
    assert_int_equal(llmgw__health_acquire(&h, now + 1500 * 1000, &until), LLMGW__ADMIT);
    assert_int_equal(llmgw__health_acquire(&h, now + 1500 * 1000, &until), LLMGW__ADMIT);
    /* 429 without a hint: 10 s */
    o.retry_after_ms = -1;
    now = 100 * S;
    report(&h, now, false, o, &rng);
    llmgw__health_peek(&h, now, &until);
    assert_int_equal(until, now + 10 * S);
    /* quota: an hour; auth and not-found: five minutes */
    now = 1000 * S;
    report(&h, now, false, failure(402), &rng);
    llmgw__health_peek(&h, now, &until);
    assert_int_equal(until, now + 3600 * S);
    llmgw__health_dispose(&h);
    assert_int_equal(llmgw__health_init(&h), 0);
    report(&h, now, false, failure(401), &rng);
    llmgw__health_peek(&h, now, &until);
    assert_int_equal(until, now + 300 * S);
    llmgw__health_dispose(&h);
    assert_int_equal(llmgw__health_init(&h), 0);
    report(&h, now, false, failure(404), &rng);
    llmgw__health_peek(&h, now, &until);
    assert_int_equal(until, now + 300 * S);
    llmgw__health_dispose(&h);
}

static void test_disabled_never_opens(void **state)
{
    llmgw__health_cfg off = { 5, 30 * S, 300 * S, true };
    llmgw__health h;
    llmgw__outcome o = failure(503);
    uint64_t rng = 1;
    int64_t until = 0;
    int i;

    (void)state;
    assert_int_equal(llmgw__health_init(&h), 0);
    for (i = 0; i < 50; i++)
        llmgw__health_report(&h, &off, S, false, &o, &rng);
    assert_int_equal(llmgw__health_peek(&h, S, &until), LLMGW__ADMIT);
    llmgw__health_dispose(&h);
}

typedef struct racer {
    llmgw__health *h;
    int64_t        now;
    int            got;
    pthread_barrier_t *go;
} racer;

static void *race(void *arg)
{
    racer *r = arg;
    int64_t until;

    pthread_barrier_wait(r->go);
    r->got = llmgw__health_acquire(r->h, r->now, &until);
    return NULL;
}

/* 8 threads race for the half-open probe: exactly one gets it. */
static void test_exactly_one_probe_under_contention(void **state)
{
    llmgw__health h;
    pthread_barrier_t go;
    pthread_t th[8];
    racer r[8];
    uint64_t rng = 1;
    int64_t until = 0;
    int i, round, probes;

    (void)state;
    for (round = 0; round < 200; round++) {
        assert_int_equal(llmgw__health_init(&h), 0);
        open_it(&h, 0, &rng);
        llmgw__health_peek(&h, 0, &until);
        pthread_barrier_init(&go, NULL, 8);
        for (i = 0; i < 8; i++) {
            r[i].h = &h;
            r[i].now = until;
            r[i].go = &go;
            pthread_create(&th[i], NULL, race, &r[i]);
        }
        probes = 0;
        for (i = 0; i < 8; i++) {
            pthread_join(th[i], NULL);
            probes += r[i].got == LLMGW__ADMIT_PROBE;
            assert_true(r[i].got == LLMGW__ADMIT_PROBE || r[i].got == LLMGW__DENY);
        }
        assert_int_equal(probes, 1);
        pthread_barrier_destroy(&go);
        llmgw__health_dispose(&h);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_consecutive_failures_open),
        cmocka_unit_test(test_non_breaker_failures_do_not_open),
        cmocka_unit_test(test_failure_rate_opens),
        cmocka_unit_test(test_half_open_one_probe_then_close),
        cmocka_unit_test(test_failed_probe_reopens_longer),
        cmocka_unit_test(test_three_successes_halve_multiplier),
        cmocka_unit_test(test_holds),
        cmocka_unit_test(test_disabled_never_opens),
        cmocka_unit_test(test_exactly_one_probe_under_contention),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
