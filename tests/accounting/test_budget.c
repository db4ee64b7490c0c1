/*
 * tests/accounting/test_budget.c: the budget ledger in one process, with the
 * clock injected (every call takes "now"; the gateway's clock is a test
 * clock): period rollover (daily at UTC midnight, monthly at the month
 * boundary, December to January and leap February included, total never),
 * budget alerts (once per threshold and period, from many threads, in
 * order, with exact figures and projected exhaustion times, thresholds per
 * budget and by default, a hook that calls back into the gateway), and
 * gateway-wide budgets.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include <llmgw/config.h>

#include "core/common.h"
#include "core/gateway.h"
#include "accounting/budget.h"

#define USD 1000000000LL

/* 2024-06-15 00:00:00 UTC and friends (calendar.timegm) */
#define JUN15        1718409600LL
#define JUN16        1718496000LL
#define JUN01        1717200000LL
#define JUL01        1719792000LL
#define FEB01_2024   1706745600LL
#define FEB29_2024   1709164800LL
#define MAR01_2024   1709251200LL
#define FEB28_2023   1677585600LL      /* 12:00 */
#define MAR01_2023   1677628800LL
#define DEC01_2024   1733011200LL
#define JAN01_2025   1735689600LL

/* ---- a gateway with a clock the test sets ---- */

typedef struct test_clock {
    llmgw__clock    vt;
    _Atomic int64_t wall_s;
} test_clock;

static int64_t tc_now(void *self)
{
    return atomic_load(&((test_clock *)self)->wall_s) * 1000000;
}

static void tc_sleep(void *self, int64_t us)
{
    (void)self;
    (void)us;
}

static llmgw_gateway *gateway_at(test_clock *c, int64_t wall_s)
{
    llmgw_gateway *gw = NULL;

    c->vt.now_us = tc_now;
    c->vt.wall_us = tc_now;
    c->vt.sleep_us = tc_sleep;
    c->vt.self = c;
    atomic_store(&c->wall_s, wall_s);
    assert_int_equal(llmgw_gateway_new(&gw, NULL), 0);
    llmgw__gateway_set_clock(gw, &c->vt);
    return gw;
}

/* ---- alerts, collected ---- */

#define MAX_SEEN 64

typedef struct seen {
    pthread_mutex_t    mu;
    size_t             n;
    llmgw_budget_alert a[MAX_SEEN];
    char               names[MAX_SEEN][32];
} seen;

static void on_alert(const llmgw_budget_alert *a, void *userdata)
{
    seen *s = userdata;

    pthread_mutex_lock(&s->mu);
    if (s->n < MAX_SEEN) {
        s->a[s->n] = *a;
        snprintf(s->names[s->n], sizeof(s->names[0]), "%s", a->name);
        s->a[s->n].name = s->names[s->n];
        s->n++;
    }
    pthread_mutex_unlock(&s->mu);
}

static void seen_init(seen *s)
{
    memset(s, 0, sizeof(*s));
    pthread_mutex_init(&s->mu, NULL);
}

/* Reserve nothing and settle `actual` for a customer at `now`; the reservation must be granted. */
static void spend(llmgw__budgets *b, const char *customer, int64_t actual, int64_t now)
{
    llmgw__budget_ticket t;

    assert_int_equal(llmgw__budgets_reserve(b, customer, NULL, 0, 0, now, &t), 0);
    llmgw__budgets_settle(b, &t, actual, now);
}

static int64_t spent_at(llmgw__budgets *b, int scope, const char *name, int64_t now, int64_t *start)
{
    llmgw_budget_status st;

    assert_int_equal(llmgw__budgets_status(b, scope, name, now, &st), 0);
    if (start)
        *start = st.period_start;
    return st.spent_nusd;
}

/* ---- periods ---- */

static void test_period_bounds(void **state)
{
    (void)state;
    assert_int_equal(llmgw__period_start(LLMGW_PERIOD_DAILY, JUN15 + 43200), JUN15);
    assert_int_equal(llmgw__period_start(LLMGW_PERIOD_DAILY, JUN16 - 1), JUN15);
    assert_int_equal(llmgw__period_start(LLMGW_PERIOD_DAILY, JUN16), JUN16);
    assert_int_equal(llmgw__period_end(LLMGW_PERIOD_DAILY, JUN15), JUN16);
    assert_int_equal(llmgw__period_start(LLMGW_PERIOD_MONTHLY, JUN15), JUN01);
    assert_int_equal(llmgw__period_end(LLMGW_PERIOD_MONTHLY, JUN01), JUL01);
    assert_int_equal(llmgw__period_start(LLMGW_PERIOD_MONTHLY, MAR01_2024 - 1), FEB01_2024);
    assert_int_equal(llmgw__period_end(LLMGW_PERIOD_MONTHLY, FEB01_2024), MAR01_2024);   /* 29 days */
    assert_int_equal(MAR01_2024 - FEB01_2024, 29 * 86400);
    assert_int_equal(llmgw__period_end(LLMGW_PERIOD_MONTHLY, llmgw__period_start(LLMGW_PERIOD_MONTHLY, FEB28_2023)),
                     MAR01_2023);
    assert_int_equal(llmgw__period_start(LLMGW_PERIOD_MONTHLY, JAN01_2025 - 1), DEC01_2024);
    assert_int_equal(llmgw__period_end(LLMGW_PERIOD_MONTHLY, DEC01_2024), JAN01_2025);   /* December -> January */
    assert_int_equal(llmgw__period_start(LLMGW_PERIOD_TOTAL, JUN15), 0);
    assert_int_equal(llmgw__period_end(LLMGW_PERIOD_TOTAL, 0), 0);
}

static void test_daily_rolls_at_utc_midnight(void **state)
{
    llmgw__budgets *b = NULL;
    llmgw__budget_ticket t;
    int64_t start;

    (void)state;
    assert_int_equal(llmgw__budgets_new(&b), 0);
    assert_int_equal(llmgw__budgets_set(b, LLMGW_BUDGET_CUSTOMER, "acme", 1 * USD, LLMGW_PERIOD_DAILY, JUN15), 0);
    spend(b, "acme", 600000000, FEB29_2024 - 1);                 /* 2024-02-28 23:59:59 */
    assert_int_equal(spent_at(b, LLMGW_BUDGET_CUSTOMER, "acme", FEB29_2024 - 1, &start), 600000000);
    assert_int_equal(start, FEB29_2024 - 86400);
    /* 0.5 more would not fit before midnight */
    assert_int_equal(llmgw__budgets_reserve(b, "acme", NULL, 0, 500000000, FEB29_2024 - 1, &t), LLMGW_EBUDGET);
    /* at midnight the spend starts again from zero, and the same reservation fits */
    assert_int_equal(spent_at(b, LLMGW_BUDGET_CUSTOMER, "acme", FEB29_2024, &start), 0);
    assert_int_equal(start, FEB29_2024);
    assert_int_equal(llmgw__budgets_reserve(b, "acme", NULL, 0, 500000000, FEB29_2024, &t), 0);
    llmgw__budgets_settle(b, &t, 500000000, FEB29_2024 + 10);
    assert_int_equal(spent_at(b, LLMGW_BUDGET_CUSTOMER, "acme", FEB29_2024 + 86399, NULL), 500000000);
    assert_int_equal(spent_at(b, LLMGW_BUDGET_CUSTOMER, "acme", MAR01_2024, NULL), 0);
    llmgw__budgets_free(b);
}

static void test_monthly_rolls_at_the_month_boundary(void **state)
{
    llmgw__budgets *b = NULL;
    int64_t start;

    (void)state;
    assert_int_equal(llmgw__budgets_new(&b), 0);
    assert_int_equal(llmgw__budgets_set(b, LLMGW_BUDGET_TAG, "batch", 10 * USD, LLMGW_PERIOD_MONTHLY, FEB01_2024), 0);
    /* leap February: the 29th is still February */
    spend(b, "x", 0, FEB01_2024);                                  /* no budget for customer x: nothing */
    {
        llmgw__budget_ticket t;
        const char *tags[] = { "batch" };
        assert_int_equal(llmgw__budgets_reserve(b, NULL, tags, 1, 0, FEB01_2024, &t), 0);
        assert_int_equal(t.n, 1);
        llmgw__budgets_settle(b, &t, 3 * USD, FEB01_2024);
        assert_int_equal(llmgw__budgets_reserve(b, NULL, tags, 1, 0, FEB29_2024 + 86399, &t), 0);
        llmgw__budgets_settle(b, &t, 2 * USD, FEB29_2024 + 86399);
        assert_int_equal(spent_at(b, LLMGW_BUDGET_TAG, "batch", FEB29_2024 + 86399, &start), 5 * USD);
        assert_int_equal(start, FEB01_2024);
        assert_int_equal(spent_at(b, LLMGW_BUDGET_TAG, "batch", MAR01_2024, &start), 0);
        assert_int_equal(start, MAR01_2024);
        /* a common year: 28 February, then 1 March */
        assert_int_equal(llmgw__budgets_reserve(b, NULL, tags, 1, 0, FEB28_2023, &t), 0);
        llmgw__budgets_settle(b, &t, 4 * USD, FEB28_2023);
        assert_int_equal(spent_at(b, LLMGW_BUDGET_TAG, "batch", MAR01_2023 - 1, NULL), 4 * USD);
        assert_int_equal(spent_at(b, LLMGW_BUDGET_TAG, "batch", MAR01_2023, NULL), 0);
        /* December -> January of the next year */
        assert_int_equal(llmgw__budgets_reserve(b, NULL, tags, 1, 0, JAN01_2025 - 1, &t), 0);
        llmgw__budgets_settle(b, &t, 7 * USD, JAN01_2025 - 1);
        assert_int_equal(spent_at(b, LLMGW_BUDGET_TAG, "batch", JAN01_2025 - 1, &start), 7 * USD);
        assert_int_equal(start, DEC01_2024);
        assert_int_equal(spent_at(b, LLMGW_BUDGET_TAG, "batch", JAN01_2025, &start), 0);
        assert_int_equal(start, JAN01_2025);
    }
    llmgw__budgets_free(b);
}

static void test_total_never_rolls(void **state)
{
    llmgw__budgets *b = NULL;

    (void)state;
    assert_int_equal(llmgw__budgets_new(&b), 0);
    assert_int_equal(llmgw__budgets_set(b, LLMGW_BUDGET_CUSTOMER, "acme", 10 * USD, LLMGW_PERIOD_TOTAL, DEC01_2024), 0);
    spend(b, "acme", 2 * USD, JAN01_2025 - 1);
    assert_int_equal(spent_at(b, LLMGW_BUDGET_CUSTOMER, "acme", JAN01_2025, NULL), 2 * USD);
    assert_int_equal(spent_at(b, LLMGW_BUDGET_CUSTOMER, "acme", JAN01_2025 + 10LL * 366 * 86400, NULL), 2 * USD);
    llmgw__budgets_free(b);
}

/* ---- thresholds and the projection ---- */

static void test_threshold_amounts_and_projection(void **state)
{
    llmgw__thresholds t;
    const double f[] = { 0.9, 0.25, 0.9, 1.0 };
    const double bad[][1] = { { 0.0 }, { -0.5 }, { 4.5 } };
    double many[LLMGW__ALERTS_MAX + 1];
    size_t i;

    (void)state;
    assert_int_equal(llmgw__thresholds_from(&t, f, 4), 0);
    assert_int_equal(t.n, 3);                                  /* sorted, the repeat dropped */
    assert_int_equal(t.ppm[0], 250000);
    assert_int_equal(t.ppm[1], 900000);
    assert_int_equal(t.ppm[2], 1000000);
    for (i = 0; i < LLMGW_ARRAY_SIZE(bad); i++)
        assert_int_equal(llmgw__thresholds_from(&t, bad[i], 1), LLMGW_EINVAL);
    {
        const double nan_f[] = { NAN };
        assert_int_equal(llmgw__thresholds_from(&t, nan_f, 1), LLMGW_EINVAL);
    }
    for (i = 0; i < LLMGW_ARRAY_SIZE(many); i++)
        many[i] = 0.1 * (double)(i + 1);
    assert_int_equal(llmgw__thresholds_from(&t, many, LLMGW_ARRAY_SIZE(many)), LLMGW_EINVAL);
    /* ceil(limit * ppm / 10^6), exact for the largest budget */
    assert_int_equal(llmgw__threshold_amount(10 * USD, 500000), 5 * USD);
    assert_int_equal(llmgw__threshold_amount(3, 500000), 2);
    assert_int_equal(llmgw__threshold_amount(1000000000LL * USD, 4000000), 4000000000LL * USD);
    assert_int_equal(llmgw__threshold_amount(1000000000LL * USD + 7, 800000), 800000000LL * USD + 6);
    /* projection: remaining / (spent / elapsed), rounded up */
    assert_int_equal(llmgw__budget_projection(5 * USD, 10 * USD, JUN15, JUN15 + 43200), JUN16);
    assert_int_equal(llmgw__budget_projection(8500000000LL, 10 * USD, JUN15, JUN15 + 64800), JUN15 + 64800 + 11436);
    assert_int_equal(llmgw__budget_projection(0, 10 * USD, JUN15, JUN15 + 10), -1);
    assert_int_equal(llmgw__budget_projection(10 * USD, 10 * USD, JUN15, JUN15 + 10), JUN15 + 10);
    assert_int_equal(llmgw__budget_projection(12 * USD, 10 * USD, JUN15, JUN15 + 10), JUN15 + 10);
    /* at least one second elapsed: half spent at once projects one more second */
    assert_int_equal(llmgw__budget_projection(5 * USD, 10 * USD, JUN15, JUN15), JUN15 + 1);
    /* a product past int64 still answers, later than now */
    assert_true(llmgw__budget_projection(1, 1000000000LL * USD, 0, JUN15) > JUN15);
}

/* ---- alerts ---- */

static void test_alerts_once_per_threshold_per_period(void **state)
{
    llmgw__budgets *b = NULL;
    seen s;

    (void)state;
    seen_init(&s);
    assert_int_equal(llmgw__budgets_new(&b), 0);
    llmgw__budgets_on_alert(b, on_alert, &s);
    assert_int_equal(llmgw__budgets_set(b, LLMGW_BUDGET_CUSTOMER, "acme", 10 * USD, LLMGW_PERIOD_DAILY, JUN15), 0);
    spend(b, "acme", 4 * USD, JUN15 + 3600);
    assert_int_equal(s.n, 0);
    spend(b, "acme", 1 * USD, JUN15 + 43200);                    /* exactly half, at noon */
    assert_int_equal(s.n, 1);
    assert_int_equal(s.a[0].version, LLMGW_BUDGET_ALERT_VERSION);
    assert_int_equal(s.a[0].scope, LLMGW_BUDGET_CUSTOMER);
    assert_string_equal(s.a[0].name, "acme");
    assert_int_equal(s.a[0].period, LLMGW_PERIOD_DAILY);
    assert_int_equal(s.a[0].period_start, JUN15);
    assert_int_equal(s.a[0].period_end, JUN16);
    assert_true(s.a[0].threshold == 0.5);
    assert_int_equal(s.a[0].limit_nusd, 10 * USD);
    assert_int_equal(s.a[0].spent_nusd, 5 * USD);
    assert_int_equal(s.a[0].remaining_nusd, 5 * USD);
    assert_int_equal(s.a[0].now, JUN15 + 43200);
    assert_int_equal(s.a[0].projected_exhaustion, JUN16);        /* 5 USD in 12 h: 5 more by midnight */
    assert_int_equal(s.a[0].shared, 0);
    spend(b, "acme", 100000000, JUN15 + 50000);                  /* 5.1: nothing new */
    assert_int_equal(s.n, 1);
    spend(b, "acme", 3400000000LL, JUN15 + 64800);               /* 8.5 at 18:00 */
    assert_int_equal(s.n, 2);
    assert_true(s.a[1].threshold == 0.8);
    assert_int_equal(s.a[1].spent_nusd, 8500000000LL);
    assert_int_equal(s.a[1].remaining_nusd, 1500000000LL);
    assert_int_equal(s.a[1].projected_exhaustion, JUN15 + 64800 + 11436);
    spend(b, "acme", 0, JUN15 + 70000);                          /* a settle of 0 (a failure) */
    assert_int_equal(s.n, 2);
    spend(b, "acme", 1500000000LL, JUN15 + 80000);               /* 10.0: the limit */
    assert_int_equal(s.n, 3);
    assert_true(s.a[2].threshold == 1.0);
    assert_int_equal(s.a[2].remaining_nusd, 0);
    assert_int_equal(s.a[2].projected_exhaustion, JUN15 + 80000);
    /* the next day starts over: half again fires once */
    spend(b, "acme", 6 * USD, JUN16 + 100);
    assert_int_equal(s.n, 4);
    assert_true(s.a[3].threshold == 0.5);
    assert_int_equal(s.a[3].period_start, JUN16);
    assert_int_equal(s.a[3].spent_nusd, 6 * USD);
    llmgw__budgets_free(b);
    pthread_mutex_destroy(&s.mu);
}

/* One settle past several thresholds fires each, lowest first; a total budget's rate runs from when it was set. */
static void test_one_settle_fires_every_threshold_in_order(void **state)
{
    llmgw__budgets *b = NULL;
    llmgw__budget_ticket t;
    seen s;
    size_t i;

    (void)state;
    seen_init(&s);
    assert_int_equal(llmgw__budgets_new(&b), 0);
    llmgw__budgets_on_alert(b, on_alert, &s);
    assert_int_equal(llmgw__budgets_set(b, LLMGW_BUDGET_CUSTOMER, "acme", 10 * USD, LLMGW_PERIOD_TOTAL, JUN15), 0);
    spend(b, "acme", 1 * USD, JUN15 + 1000);
    assert_int_equal(s.n, 0);
    /* reserved 1, billed 11 (an estimate can be short): 12 of 10 */
    assert_int_equal(llmgw__budgets_reserve(b, "acme", NULL, 0, 1 * USD, JUN15 + 2000, &t), 0);
    llmgw__budgets_settle(b, &t, 11 * USD, JUN15 + 2000);
    assert_int_equal(s.n, 3);
    for (i = 0; i < 3; i++) {
        assert_int_equal(s.a[i].period, LLMGW_PERIOD_TOTAL);
        assert_int_equal(s.a[i].period_start, 0);
        assert_int_equal(s.a[i].period_end, 0);
        assert_int_equal(s.a[i].spent_nusd, 12 * USD);
        assert_int_equal(s.a[i].remaining_nusd, 0);
        assert_int_equal(s.a[i].projected_exhaustion, JUN15 + 2000);
    }
    assert_true(s.a[0].threshold == 0.5 && s.a[1].threshold == 0.8 && s.a[2].threshold == 1.0);
    llmgw__budgets_free(b);
    /* the projection of a total budget: 5 USD in the 1000 s since it was set -> 1000 s more */
    seen_init(&s);
    assert_int_equal(llmgw__budgets_new(&b), 0);
    llmgw__budgets_on_alert(b, on_alert, &s);
    assert_int_equal(llmgw__budgets_set(b, LLMGW_BUDGET_CUSTOMER, "acme", 10 * USD, LLMGW_PERIOD_TOTAL, JUN15), 0);
    spend(b, "acme", 5 * USD, JUN15 + 1000);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.a[0].projected_exhaustion, JUN15 + 2000);
    llmgw__budgets_free(b);
}

/* Many threads settling across the thresholds: each fires exactly once, on the settle that crossed it. */
#define THREADS 8
#define SETTLES 150
#define STEP    1000000LL            /* 0.001 USD */

typedef struct counted {
    _Atomic int     count[3];
    _Atomic int     wrong;
} counted;

static void count_alert(const llmgw_budget_alert *a, void *userdata)
{
    counted *c = userdata;
    int k = a->threshold == 0.5 ? 0 : a->threshold == 0.8 ? 1 : a->threshold == 1.0 ? 2 : -1;
    int64_t at = k == 0 ? 500000000 : k == 1 ? 800000000 : 1000000000;

    if (k < 0 || a->spent_nusd < at || a->spent_nusd - STEP >= at)
        atomic_fetch_add(&c->wrong, 1);
    else
        atomic_fetch_add(&c->count[k], 1);
}

static void *settle_thread(void *p)
{
    llmgw__budgets *b = p;
    llmgw__budget_ticket t;
    int i;

    for (i = 0; i < SETTLES; i++) {
        if (llmgw__budgets_reserve(b, "acme", NULL, 0, STEP, JUN15, &t) == 0)
            llmgw__budgets_settle(b, &t, STEP, JUN15);
    }
    return NULL;
}

static void test_alerts_once_from_many_threads(void **state)
{
    llmgw__budgets *b = NULL;
    pthread_t th[THREADS];
    counted c;
    int i;

    (void)state;
    memset(&c, 0, sizeof(c));
    assert_int_equal(llmgw__budgets_new(&b), 0);
    llmgw__budgets_on_alert(b, count_alert, &c);
    /* 1 USD; 8 x 150 x 0.001 = 1.2 USD offered: every threshold is crossed, the limit then refuses */
    assert_int_equal(llmgw__budgets_set(b, LLMGW_BUDGET_CUSTOMER, "acme", 1 * USD, LLMGW_PERIOD_TOTAL, JUN15), 0);
    for (i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&th[i], NULL, settle_thread, b), 0);
    for (i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);
    assert_int_equal(atomic_load(&c.wrong), 0);
    for (i = 0; i < 3; i++)
        assert_int_equal(atomic_load(&c.count[i]), 1);
    assert_int_equal(spent_at(b, LLMGW_BUDGET_CUSTOMER, "acme", JUN15, NULL), 1 * USD);
    llmgw__budgets_free(b);
}

/* ---- through the gateway: thresholds per budget and by default, a re-entrant hook ---- */

typedef struct reenter {
    llmgw_gateway *gw;
    int            calls;
    int64_t        seen_spent;
    int            rc_status, rc_set;
} reenter;

static void reenter_alert(const llmgw_budget_alert *a, void *userdata)
{
    reenter *r = userdata;
    llmgw_budget_status st;

    (void)a;
    r->calls++;
    /* the ledger's lock is not held: these would deadlock otherwise */
    r->rc_status = llmgw_gateway_budget_status(r->gw, LLMGW_BUDGET_CUSTOMER, "acme", &st);
    r->seen_spent = st.spent_nusd;
    r->rc_set = llmgw_gateway_set_budget(r->gw, LLMGW_BUDGET_TAG, "added-in-hook", 1.0, LLMGW_PERIOD_DAILY);
}

static void test_hook_may_call_the_gateway(void **state)
{
    test_clock clk;
    llmgw_gateway *gw = gateway_at(&clk, JUN15);
    llmgw_budget_status st;
    reenter r;

    (void)state;
    memset(&r, 0, sizeof(r));
    r.gw = gw;
    assert_int_equal(llmgw_gateway_on_budget_alert(gw, reenter_alert, &r), 0);
    assert_int_equal(llmgw_gateway_set_budget(gw, LLMGW_BUDGET_CUSTOMER, "acme", 1.0, LLMGW_PERIOD_DAILY), 0);
    spend(gw->budgets, "acme", 600000000, JUN15 + 60);
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.rc_status, 0);
    assert_int_equal(r.seen_spent, 600000000);
    assert_int_equal(r.rc_set, 0);
    assert_int_equal(llmgw_gateway_budget_status(gw, LLMGW_BUDGET_TAG, "added-in-hook", &st), 0);
    /* NULL turns the hook off */
    assert_int_equal(llmgw_gateway_on_budget_alert(gw, NULL, NULL), 0);
    spend(gw->budgets, "acme", 300000000, JUN15 + 120);
    assert_int_equal(r.calls, 1);
    llmgw_gateway_free(gw);
}

static void test_thresholds_per_budget_and_default(void **state)
{
    test_clock clk;
    llmgw_gateway *gw = gateway_at(&clk, JUN15);
    const double quarter[] = { 0.25 };
    const double tenth[] = { 0.1, 0.2 };
    const double bad[] = { 0.5, 7.0 };
    seen s;

    (void)state;
    seen_init(&s);
    assert_int_equal(llmgw_gateway_on_budget_alert(gw, on_alert, &s), 0);
    assert_int_equal(llmgw_gateway_set_budget(gw, LLMGW_BUDGET_CUSTOMER, "a", 1.0, LLMGW_PERIOD_TOTAL), 0);
    assert_int_equal(llmgw_gateway_set_budget(gw, LLMGW_BUDGET_CUSTOMER, "b", 1.0, LLMGW_PERIOD_TOTAL), 0);
    assert_int_equal(llmgw_gateway_set_budget(gw, LLMGW_BUDGET_CUSTOMER, "c", 1.0, LLMGW_PERIOD_TOTAL), 0);
    /* a: its own 25 %; b: silenced; c: the defaults, which change to 10 %, 20 % */
    assert_int_equal(llmgw_gateway_set_budget_alerts(gw, LLMGW_BUDGET_CUSTOMER, "a", quarter, 1), 0);
    assert_int_equal(llmgw_gateway_set_budget_alerts(gw, LLMGW_BUDGET_CUSTOMER, "b", quarter, 0), 0);
    assert_int_equal(llmgw_gateway_set_budget_alerts(gw, LLMGW_BUDGET_DEFAULTS, NULL, tenth, 2), 0);
    assert_int_equal(llmgw_gateway_set_budget_alerts(gw, LLMGW_BUDGET_CUSTOMER, "nobody", quarter, 1),
                     LLMGW_ENOTFOUND);
    assert_int_equal(llmgw_gateway_set_budget_alerts(gw, LLMGW_BUDGET_CUSTOMER, "a", bad, 2), LLMGW_EINVAL);
    assert_int_equal(llmgw_gateway_set_budget_alerts(gw, LLMGW_BUDGET_CUSTOMER, "a", NULL, 1), LLMGW_EINVAL);
    assert_int_equal(llmgw_gateway_set_budget_alerts(gw, 9, "a", quarter, 1), LLMGW_EINVAL);
    spend(gw->budgets, "a", 300000000, JUN15);
    spend(gw->budgets, "b", 999000000, JUN15);
    spend(gw->budgets, "c", 150000000, JUN15);
    assert_int_equal(s.n, 2);
    assert_string_equal(s.a[0].name, "a");
    assert_true(s.a[0].threshold == 0.25);
    assert_string_equal(s.a[1].name, "c");
    assert_true(s.a[1].threshold == 0.1);
    /* a back to the defaults (10 %, 20 %: both reached, 25 % already fired stays quiet) */
    assert_int_equal(llmgw_gateway_set_budget_alerts(gw, LLMGW_BUDGET_CUSTOMER, "a", NULL, 0), 0);
    spend(gw->budgets, "a", 0, JUN15);
    assert_int_equal(s.n, 4);
    assert_true(s.a[2].threshold == 0.1 && s.a[3].threshold == 0.2);
    /* the built-in defaults again: c reaches 50 % (20 % already passed with it) */
    assert_int_equal(llmgw_gateway_set_budget_alerts(gw, LLMGW_BUDGET_DEFAULTS, NULL, NULL, 0), 0);
    spend(gw->budgets, "c", 400000000, JUN15);
    assert_int_equal(s.n, 5);
    assert_string_equal(s.a[4].name, "c");
    assert_true(s.a[4].threshold == 0.5);
    llmgw_gateway_free(gw);
    pthread_mutex_destroy(&s.mu);
}

/* ---- gateway-wide budgets ---- */

static void test_global_budgets(void **state)
{
    test_clock clk;
    llmgw_gateway *gw = gateway_at(&clk, JUN15 + 3600);
    llmgw__budget_ticket t;
    llmgw_budget_status st;
    const char *tags[] = { "team" };
    seen s;

    (void)state;
    seen_init(&s);
    assert_int_equal(llmgw_gateway_on_budget_alert(gw, on_alert, &s), 0);
    assert_int_equal(llmgw_gateway_set_budget(gw, LLMGW_BUDGET_GLOBAL, NULL, 1.0, LLMGW_PERIOD_DAILY), 0);
    /* the only one: found by NULL and "" */
    assert_int_equal(llmgw_gateway_budget_status(gw, LLMGW_BUDGET_GLOBAL, NULL, &st), 0);
    assert_int_equal(st.limit_nusd, 1 * USD);
    assert_int_equal(llmgw_gateway_budget_status(gw, LLMGW_BUDGET_GLOBAL, "", &st), 0);
    assert_int_equal(st.period, LLMGW_PERIOD_DAILY);
    assert_int_equal(llmgw_gateway_set_budget(gw, LLMGW_BUDGET_GLOBAL, "", 5.0, LLMGW_PERIOD_TOTAL), 0);
    assert_int_equal(llmgw_gateway_set_budget(gw, LLMGW_BUDGET_GLOBAL, "monthly", 5.0, LLMGW_PERIOD_DAILY),
                     LLMGW_EINVAL);
    /* two now: they must be named */
    assert_int_equal(llmgw_gateway_budget_status(gw, LLMGW_BUDGET_GLOBAL, NULL, &st), LLMGW_EINVAL);
    assert_int_equal(llmgw_gateway_budget_status(gw, LLMGW_BUDGET_GLOBAL, "total", &st), 0);
    assert_int_equal(st.limit_nusd, 5 * USD);
    assert_int_equal(llmgw_gateway_budget_status(gw, LLMGW_BUDGET_GLOBAL, "monthly", &st), LLMGW_ENOTFOUND);
    /* replacing the daily one keeps two */
    assert_int_equal(llmgw_gateway_set_budget(gw, LLMGW_BUDGET_GLOBAL, "daily", 2.0, LLMGW_PERIOD_DAILY), 0);
    assert_int_equal(llmgw_gateway_budget_status(gw, LLMGW_BUDGET_GLOBAL, "daily", &st), 0);
    assert_int_equal(st.limit_nusd, 2 * USD);
    assert_int_equal(llmgw_gateway_set_budget(gw, LLMGW_BUDGET_TAG, "team", 100.0, LLMGW_PERIOD_TOTAL), 0);
    /* every request falls under both, with or without a customer */
    assert_int_equal(llmgw__budgets_reserve(gw->budgets, NULL, NULL, 0, 500000000, JUN15 + 3600, &t), 0);
    assert_int_equal(t.n, 2);
    llmgw__budgets_settle(gw->budgets, &t, 1500000000LL, JUN15 + 3600);
    assert_int_equal(llmgw__budgets_reserve(gw->budgets, "someone", tags, 1, 0, JUN15 + 3600, &t), 0);
    assert_int_equal(t.n, 3);
    llmgw__budgets_settle(gw->budgets, &t, 0, JUN15 + 3600);
    /* 1.5 of the daily 2: 0.6 more is refused, naming it, whoever asks */
    assert_int_equal(llmgw__budgets_reserve(gw->budgets, "someone", tags, 1, 600000000, JUN15 + 3600, &t),
                     LLMGW_EBUDGET);
    assert_non_null(strstr(llmgw_error_last()->message, "gateway-wide daily budget"));
    assert_int_equal(llmgw_error_last()->error_class, LLMGW_ERRCLASS_BUDGET_EXCEEDED);
    assert_int_equal(t.n, 0);
    /* the next day the daily one has room again; the total one still counts */
    assert_int_equal(llmgw__budgets_reserve(gw->budgets, NULL, NULL, 0, 600000000, JUN16, &t), 0);
    llmgw__budgets_settle(gw->budgets, &t, 600000000, JUN16);
    atomic_store(&clk.wall_s, JUN16);
    assert_int_equal(llmgw_gateway_budget_status(gw, LLMGW_BUDGET_GLOBAL, "total", &st), 0);
    assert_int_equal(st.spent_nusd, 2100000000LL);
    assert_int_equal(llmgw_gateway_budget_status(gw, LLMGW_BUDGET_GLOBAL, "daily", &st), 0);
    assert_int_equal(st.spent_nusd, 600000000);
    /* alerts: daily 50 % (1.5 of 2) and, the next day, total none yet (2.1 of 5) */
    assert_int_equal(s.n, 1);
    assert_int_equal(s.a[0].scope, LLMGW_BUDGET_GLOBAL);
    assert_string_equal(s.a[0].name, "daily");
    assert_true(s.a[0].threshold == 0.5);
    assert_int_equal(s.a[0].spent_nusd, 1500000000LL);
    /* a global scope needs no name, the others do */
    assert_int_equal(llmgw_gateway_set_budget(gw, LLMGW_BUDGET_CUSTOMER, NULL, 1.0, LLMGW_PERIOD_DAILY), LLMGW_EINVAL);
    assert_int_equal(llmgw_gateway_set_budget(gw, LLMGW_BUDGET_CUSTOMER, "", 1.0, LLMGW_PERIOD_DAILY), LLMGW_EINVAL);
    llmgw_gateway_free(gw);
    pthread_mutex_destroy(&s.mu);
}

/* ---- from a config file ---- */

static void test_config_budgets_and_alerts(void **state)
{
    static const char cfg[] =
        "{\"model_list\": [],"
        " \"litellm_settings\": {\"max_budget\": 50, \"budget_duration\": \"30d\"},"
        " \"llmgw_settings\": {\"budget_alerts\": [0.9],"
        "   \"budget\": {\"max_usd_per_day\": 5, \"alerts\": [0.25, 0.75]},"
        "   \"budgets\": [{\"customer\": \"acme\", \"max_usd\": 2, \"alerts\": [0.6]},"
        "                 {\"tag\": \"batch\", \"max_usd\": 2}]}}";
    static const char *const bad[] = {
        "{\"llmgw_settings\": {\"budget_alerts\": [0]}}",
        "{\"llmgw_settings\": {\"budget_alerts\": \"half\"}}",
        "{\"llmgw_settings\": {\"budget\": {\"max_usd\": 1, \"alerts\": [0.5, 9]}}}",
        "{\"llmgw_settings\": {\"budgets\": [{\"customer\": \"a\", \"max_usd\": 1, \"alerts\": [true]}]}}",
        "{\"llmgw_settings\": {\"budget_alerts\": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]}}",
    };
    const char *tags[] = { "batch" };
    llmgw_gateway *gw = NULL;
    llmgw__budget_ticket t;
    llmgw_budget_status st;
    seen s;
    size_t i;

    (void)state;
    seen_init(&s);
    if (llmgw_gateway_open_buffer(&gw, cfg, sizeof(cfg) - 1, "json", NULL) != 0)
        fail_msg("%s", llmgw_error_last()->message);
    assert_int_equal(llmgw_gateway_on_budget_alert(gw, on_alert, &s), 0);
    /* litellm's max_budget (30d: monthly) and llmgw_settings.budget are gateway-wide budgets */
    assert_int_equal(llmgw_gateway_budget_status(gw, LLMGW_BUDGET_GLOBAL, "monthly", &st), 0);
    assert_int_equal(st.limit_nusd, 50 * USD);
    assert_int_equal(llmgw_gateway_budget_status(gw, LLMGW_BUDGET_GLOBAL, "daily", &st), 0);
    assert_int_equal(st.limit_nusd, 5 * USD);
    /* 1.5 for anyone: the daily one's 25 % */
    assert_int_equal(llmgw__budgets_reserve(gw->budgets, NULL, NULL, 0, 0, JUN15, &t), 0);
    llmgw__budgets_settle(gw->budgets, &t, 1500000000LL, JUN15);
    /* 1.9 on tag batch: its 90 % (budget_alerts, the default here) */
    assert_int_equal(llmgw__budgets_reserve(gw->budgets, NULL, tags, 1, 0, JUN15, &t), 0);
    llmgw__budgets_settle(gw->budgets, &t, 1900000000LL, JUN15);
    /* 1.3 for acme: the daily one's 75 % (4.7 of 5), then acme's own 60 % */
    assert_int_equal(llmgw__budgets_reserve(gw->budgets, "acme", NULL, 0, 0, JUN15, &t), 0);
    llmgw__budgets_settle(gw->budgets, &t, 1300000000LL, JUN15);
    assert_int_equal(s.n, 4);
    assert_string_equal(s.a[0].name, "daily");
    assert_true(s.a[0].threshold == 0.25);
    assert_string_equal(s.a[1].name, "batch");
    assert_true(s.a[1].threshold == 0.9);
    assert_string_equal(s.a[2].name, "daily");
    assert_true(s.a[2].threshold == 0.75);
    assert_string_equal(s.a[3].name, "acme");
    assert_true(s.a[3].threshold == 0.6);
    llmgw_gateway_free(gw);
    for (i = 0; i < LLMGW_ARRAY_SIZE(bad); i++) {
        gw = NULL;
        assert_int_not_equal(llmgw_gateway_open_buffer(&gw, bad[i], strlen(bad[i]), "json", NULL), 0);
        assert_null(gw);
        assert_non_null(strstr(llmgw_error_last()->message, "alerts"));
    }
    pthread_mutex_destroy(&s.mu);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_period_bounds),
        cmocka_unit_test(test_daily_rolls_at_utc_midnight),
        cmocka_unit_test(test_monthly_rolls_at_the_month_boundary),
        cmocka_unit_test(test_total_never_rolls),
        cmocka_unit_test(test_threshold_amounts_and_projection),
        cmocka_unit_test(test_alerts_once_per_threshold_per_period),
        cmocka_unit_test(test_one_settle_fires_every_threshold_in_order),
        cmocka_unit_test(test_alerts_once_from_many_threads),
        cmocka_unit_test(test_hook_may_call_the_gateway),
        cmocka_unit_test(test_thresholds_per_budget_and_default),
        cmocka_unit_test(test_global_budgets),
        cmocka_unit_test(test_config_budgets_and_alerts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
