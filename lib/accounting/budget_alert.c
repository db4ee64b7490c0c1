/*
 * lib/accounting/budget_alert.c: budget periods, alert thresholds, the
 * projected exhaustion time, and firing the alert hook (docs/cost.md §8).
 *
 * The ledger (budget.c) decides under its lock which thresholds a settle
 * reached and marks them fired for the period (in Redis too when shared),
 * then drops the lock and hands them here: the hook runs with no llmgw lock
 * held, on the thread whose request settled.
 */
#include "../core/common.h"
#include "../core/errors.h"
#include "../core/gateway.h"
#include "budget.h"

#include <time.h>

#define PPM 1000000

int64_t llmgw__period_start(int period, int64_t now)
{
    time_t t = (time_t)now;
    struct tm tm;

    if (period == LLMGW_PERIOD_TOTAL)
        return 0;
    if (gmtime_r(&t, &tm) == NULL)
        return 0;
    tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
    if (period == LLMGW_PERIOD_MONTHLY)
        tm.tm_mday = 1;
    return (int64_t)timegm(&tm);
}

int64_t llmgw__period_end(int period, int64_t start)
{
    time_t t = (time_t)start;
    struct tm tm;

    if (period == LLMGW_PERIOD_DAILY)
        return start + 86400;
    if (period != LLMGW_PERIOD_MONTHLY || gmtime_r(&t, &tm) == NULL)
        return 0;
    tm.tm_mday = 1;
    tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
    tm.tm_mon++;                     /* timegm() normalizes December + 1 to January of the next year */
    return (int64_t)timegm(&tm);
}

int llmgw__thresholds_from(llmgw__thresholds *out, const double *fractions, size_t n)
{
    size_t i, j, k = 0;
    uint32_t v[LLMGW__ALERTS_MAX];

    memset(out, 0, sizeof(*out));
    if (n > LLMGW__ALERTS_MAX)
        return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG, "at most %d budget alert thresholds",
                                 LLMGW__ALERTS_MAX);
    if (n > 0 && fractions == NULL)
        return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG, "no budget alert thresholds given");
    for (i = 0; i < n; i++) {
        if (!(fractions[i] > 0) || fractions[i] > 4)
            return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG,
                                     "a budget alert threshold is a fraction of the limit in (0, 4]");
        v[i] = (uint32_t)(fractions[i] * PPM + 0.5);
        if (v[i] == 0)
            v[i] = 1;
    }
    /* insertion sort, dropping repeats */
    for (i = 0; i < n; i++) {
        for (j = 0; j < k && out->ppm[j] < v[i]; j++)
            ;
        if (j < k && out->ppm[j] == v[i])
            continue;
        memmove(&out->ppm[j + 1], &out->ppm[j], (k - j) * sizeof(out->ppm[0]));
        out->ppm[j] = v[i];
        k++;
    }
    out->n = k;
    return 0;
}

int64_t llmgw__threshold_amount(int64_t limit, uint32_t ppm)
{
    /* limit = q * 10^6 + r: q * ppm is exact (limit <= 10^18, ppm <= 4 * 10^6), then r * ppm rounded up */
    int64_t q = limit / PPM, r = limit % PPM;

    if (limit <= 0)
        return 0;
    return q * (int64_t)ppm + (r * (int64_t)ppm + PPM - 1) / PPM;
}

int64_t llmgw__budget_projection(int64_t spent, int64_t limit, int64_t since, int64_t now)
{
    int64_t elapsed = now - since, remaining = limit - spent, prod, secs;

    if (spent >= limit)
        return now;
    if (spent <= 0)
        return -1;
    if (elapsed < 1)
        elapsed = 1;
    /* remaining / (spent / elapsed), rounded up; in double only when the product would overflow */
    if (!__builtin_mul_overflow(remaining, elapsed, &prod))
        secs = prod / spent + (prod % spent != 0);
    else {
        double d = (double)remaining / (double)spent * (double)elapsed;
        secs = d >= 9e15 ? (int64_t)9e15 : (int64_t)d + 1;
    }
    return secs > INT64_MAX - now ? INT64_MAX : now + secs;
}

bool llmgw__alert_fired(const llmgw__alert_state *a, uint32_t ppm)
{
    size_t i;

    for (i = 0; i < a->nfired; i++)
        if (a->fired[i] == ppm)
            return true;
    return false;
}

void llmgw__alert_mark(llmgw__alert_state *a, uint32_t ppm)
{
    size_t max = LLMGW_ARRAY_SIZE(a->fired);

    if (llmgw__alert_fired(a, ppm))
        return;
    if (a->nfired == max) {          /* thresholds changed many times this period: forget the oldest */
        memmove(&a->fired[0], &a->fired[1], (max - 1) * sizeof(a->fired[0]));
        a->nfired--;
    }
    a->fired[a->nfired++] = ppm;
}

void llmgw__alert_reached(llmgw__alert_state *a, const llmgw__thresholds *t, int64_t limit, int64_t spent,
                          llmgw__alert_due *d)
{
    size_t j;

    for (j = 0; j < t->n && d->n < LLMGW__ALERTS_MAX; j++) {
        if (!llmgw__alert_fired(a, t->ppm[j]) && spent >= llmgw__threshold_amount(limit, t->ppm[j])) {
            llmgw__alert_mark(a, t->ppm[j]);
            d->ppm[d->n++] = t->ppm[j];
        }
    }
}

void llmgw__alerts_fire(llmgw_budget_alert_cb cb, void *userdata, const llmgw__alert_due *due, size_t n, int64_t now)
{
    llmgw_budget_alert a;
    size_t i, j;

    if (cb == NULL)
        return;
    for (i = 0; i < n; i++) {
        const llmgw__alert_due *d = &due[i];
        for (j = 0; j < d->n; j++) {
            memset(&a, 0, sizeof(a));
            a.version = LLMGW_BUDGET_ALERT_VERSION;
            a.scope = d->scope;
            a.name = d->name;
            a.period = d->period;
            a.period_start = d->period == LLMGW_PERIOD_TOTAL ? 0 : d->start;
            a.period_end = llmgw__period_end(d->period, d->start);
            a.threshold = (double)d->ppm[j] / PPM;
            a.limit_nusd = d->limit;
            a.spent_nusd = d->spent;
            a.remaining_nusd = d->limit > d->spent ? d->limit - d->spent : 0;
            a.now = now;
            a.projected_exhaustion = llmgw__budget_projection(d->spent, d->limit, d->since, now);
            a.shared = d->shared;
            cb(&a, userdata);
        }
    }
}

/* ---- public calls ---- */

int llmgw_gateway_on_budget_alert(llmgw_gateway *gw, llmgw_budget_alert_cb cb, void *userdata)
{
    LLMGW_CHECK_ARG(gw);
    llmgw__budgets_on_alert(gw->budgets, cb, userdata);
    return 0;
}

int llmgw_gateway_set_budget_alerts(llmgw_gateway *gw, int scope, const char *name, const double *fractions,
                                    size_t n)
{
    llmgw__thresholds t;

    LLMGW_CHECK_ARG(gw);
    if (scope != LLMGW_BUDGET_CUSTOMER && scope != LLMGW_BUDGET_TAG && scope != LLMGW_BUDGET_GLOBAL &&
        scope != LLMGW_BUDGET_DEFAULTS)
        return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG, "unknown budget scope %d", scope);
    if (fractions == NULL && n > 0)
        return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG, "no budget alert thresholds given");
    if (fractions != NULL)
        LLMGW_TRY(llmgw__thresholds_from(&t, fractions, n));
    return llmgw__budgets_set_alerts(gw->budgets, scope, name, fractions != NULL ? &t : NULL);
}
