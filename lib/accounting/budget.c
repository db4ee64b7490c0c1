/*
 * lib/accounting/budget.c: budgets with reserve and settle.
 */
#include "../core/common.h"
#include "../core/errors.h"
#include "../core/gateway.h"
#include "../core/request.h"
#include "budget.h"

#include <pthread.h>
#include <stdio.h>
#include <time.h>

typedef struct budget {
    int     scope;
    char   *name;
    int64_t limit;
    int64_t spent;
    int64_t reserved;
    int     period;
    int64_t period_start;    /* Unix seconds, 0 = not started */
} budget;

struct llmgw__budgets {
    pthread_mutex_t mu;
    budget         *items;
    size_t          n, cap;
};

int llmgw__budgets_new(llmgw__budgets **out)
{
    llmgw__budgets *b = llmgw__calloc(1, sizeof(*b));

    *out = NULL;
    if (b == NULL)
        return llmgw__error_oom();
    if (pthread_mutex_init(&b->mu, NULL) != 0) {
        llmgw__free(b);
        return llmgw__error_oom();
    }
    *out = b;
    return 0;
}

void llmgw__budgets_free(llmgw__budgets *b)
{
    size_t i;

    if (b == NULL)
        return;
    for (i = 0; i < b->n; i++)
        llmgw__free(b->items[i].name);
    llmgw__free(b->items);
    pthread_mutex_destroy(&b->mu);
    llmgw__free(b);
}

/* The start (Unix seconds, UTC) of the period containing now. */
static int64_t period_start(int period, int64_t now)
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

/* Caller holds the lock: start a new period when the current one is over. */
static void roll(budget *g, int64_t now)
{
    int64_t start = period_start(g->period, now);

    if (g->period != LLMGW_PERIOD_TOTAL && start != g->period_start) {
        g->period_start = start;
        g->spent = 0;
    }
}

static budget *find(llmgw__budgets *b, int scope, const char *name, size_t *index)
{
    size_t i;

    for (i = 0; i < b->n; i++) {
        if (b->items[i].scope == scope && strcmp(b->items[i].name, name) == 0) {
            if (index)
                *index = i;
            return &b->items[i];
        }
    }
    return NULL;
}

bool llmgw__budgets_any(llmgw__budgets *b)
{
    bool any;

    pthread_mutex_lock(&b->mu);
    any = b->n > 0;
    pthread_mutex_unlock(&b->mu);
    return any;
}

int llmgw__budgets_set(llmgw__budgets *b, int scope, const char *name, int64_t limit, int period)
{
    budget *g;
    int rc = 0;

    pthread_mutex_lock(&b->mu);
    g = find(b, scope, name, NULL);
    if (g == NULL) {
        if (b->n == b->cap) {
            size_t cap = b->cap ? b->cap * 2 : 8;
            budget *ni = llmgw__reallocarray(b->items, cap, sizeof(*ni));
            if (ni == NULL) {
                rc = llmgw__error_oom();
                goto out;
            }
            b->items = ni;
            b->cap = cap;
        }
        g = &b->items[b->n];
        memset(g, 0, sizeof(*g));
        if ((g->name = llmgw__strdup(name)) == NULL) {
            rc = llmgw__error_oom();
            goto out;
        }
        g->scope = scope;
        b->n++;
    }
    if (g->period != period)
        g->period_start = -1;        /* rolls on next use */
    g->limit = limit;
    g->period = period;
out:
    pthread_mutex_unlock(&b->mu);
    return rc;
}

int llmgw__budgets_status(llmgw__budgets *b, int scope, const char *name, int64_t now, llmgw_budget_status *out)
{
    budget *g;
    int rc = 0;

    pthread_mutex_lock(&b->mu);
    g = find(b, scope, name, NULL);
    if (g == NULL) {
        rc = llmgw__error_setc(LLMGW_ENOTFOUND, LLMGW_ERRCLASS_NOT_FOUND, "no budget for %s '%.64s'",
                               scope == LLMGW_BUDGET_CUSTOMER ? "customer" : "tag", name);
    } else {
        roll(g, now);
        memset(out, 0, sizeof(*out));
        out->version = 1;
        out->limit_nusd = g->limit;
        out->spent_nusd = g->spent;
        out->reserved_nusd = g->reserved;
        out->period = g->period;
        out->period_start = g->period_start;
    }
    pthread_mutex_unlock(&b->mu);
    return rc;
}

static void money(char *out, size_t n, int64_t nusd)
{
    snprintf(out, n, "%lld.%06lld", (long long)(nusd / 1000000000), (long long)(nusd % 1000000000 / 1000));
}

int llmgw__budgets_reserve(llmgw__budgets *b, const char *customer, const char *const *tags, size_t ntags,
                           int64_t estimate, int64_t now, llmgw__budget_ticket *ticket)
{
    size_t i, idx;
    budget *g;
    int rc = 0;

    ticket->n = 0;
    ticket->amount = estimate > 0 ? estimate : 0;
    pthread_mutex_lock(&b->mu);
    if (customer != NULL && (g = find(b, LLMGW_BUDGET_CUSTOMER, customer, &idx)) != NULL)
        ticket->index[ticket->n++] = idx;
    for (i = 0; i < ntags && ticket->n < LLMGW__BUDGET_TICKET_MAX; i++)
        if ((g = find(b, LLMGW_BUDGET_TAG, tags[i], &idx)) != NULL)
            ticket->index[ticket->n++] = idx;
    /* all or nothing: check every budget, then reserve on every one */
    for (i = 0; i < ticket->n; i++) {
        g = &b->items[ticket->index[i]];
        roll(g, now);
        if (g->spent + g->reserved + ticket->amount > g->limit || g->spent >= g->limit) {
            char lim[32], spent[32];
            money(lim, sizeof(lim), g->limit);
            money(spent, sizeof(spent), g->spent + g->reserved);
            rc = llmgw__error_setc(LLMGW_EBUDGET, LLMGW_ERRCLASS_BUDGET_EXCEEDED,
                                   "budget of %s '%.64s' would be exceeded: %s USD of %s USD spent or reserved",
                                   g->scope == LLMGW_BUDGET_CUSTOMER ? "customer" : "tag", g->name, spent, lim);
            ticket->n = 0;
            goto out;
        }
    }
    for (i = 0; i < ticket->n; i++)
        b->items[ticket->index[i]].reserved += ticket->amount;
out:
    pthread_mutex_unlock(&b->mu);
    return rc;
}

void llmgw__budgets_settle(llmgw__budgets *b, llmgw__budget_ticket *ticket, int64_t actual, int64_t now)
{
    size_t i;

    if (ticket->n == 0)
        return;
    pthread_mutex_lock(&b->mu);
    for (i = 0; i < ticket->n; i++) {
        budget *g = &b->items[ticket->index[i]];
        g->reserved -= ticket->amount;
        if (g->reserved < 0)
            g->reserved = 0;
        roll(g, now);
        g->spent += actual > 0 ? actual : 0;
    }
    pthread_mutex_unlock(&b->mu);
    ticket->n = 0;
}

int llmgw_gateway_set_budget(llmgw_gateway *gw, int scope, const char *name, double max_usd, int period)
{
    LLMGW_CHECK_ARG(gw);
    LLMGW_CHECK_ARG(name);
    if (scope != LLMGW_BUDGET_CUSTOMER && scope != LLMGW_BUDGET_TAG)
        return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG, "unknown budget scope %d", scope);
    if (period < LLMGW_PERIOD_TOTAL || period > LLMGW_PERIOD_MONTHLY)
        return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG, "unknown budget period %d", period);
    if (!(max_usd >= 0) || max_usd > 1e9)
        return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG, "a budget must be in [0, 1e9] USD");
    if (*name == '\0' || strlen(name) > 256 || llmgw__has_ctl(name))
        return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG, "invalid budget name");
    /* USD -> nano-USD, rounded to the nearest: exact for any amount written with <= 9 decimals */
    return llmgw__budgets_set(gw->budgets, scope, name, (int64_t)(max_usd * 1e9 + 0.5), period);
}

int llmgw_gateway_budget_status(llmgw_gateway *gw, int scope, const char *name, llmgw_budget_status *out)
{
    LLMGW_CHECK_ARG(gw);
    LLMGW_CHECK_ARG(name);
    LLMGW_CHECK_ARG(out);
    return llmgw__budgets_status(gw->budgets, scope, name, gw->clock->wall_us(gw->clock->self) / 1000000, out);
}
