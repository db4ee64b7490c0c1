/*
 * lib/accounting/budget.c: budgets with reserve and settle, in this
 * process and, when shared, in Redis (lib/redis/ledger.c); which alert
 * thresholds a settle reached (fired by budget_alert.c, lock dropped).
 */
#include "../core/common.h"
#include "../core/clock.h"
#include "../core/errors.h"
#include "../core/gateway.h"
#include "../core/request.h"
#include "budget.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

typedef struct budget {
    int     scope;
    char   *name;
    int64_t limit;
    int64_t spent;
    int64_t reserved;
    int     period;
    int64_t period_start;    /* Unix seconds, 0 = not started */
    int64_t created;         /* Unix seconds when first set: a total budget's spend rate starts there */
    llmgw__alert_state alert;
} budget;

struct llmgw__budgets {
    pthread_mutex_t mu;
    budget         *items;
    size_t          n, cap;
    _Atomic(struct llmgw__shared *) shared;   /* NULL: this process only */
    llmgw__thresholds defaults;               /* alert thresholds of budgets without their own */
    llmgw_budget_alert_cb alert_cb;
    void           *alert_userdata;
};

static const double default_alerts[] = { 0.5, 0.8, 1.0 };

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
    atomic_init(&b->shared, NULL);
    llmgw__thresholds_from(&b->defaults, default_alerts, LLMGW_ARRAY_SIZE(default_alerts));
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

/* Caller holds the lock: start a new period when the current one is over. */
static void roll(budget *g, int64_t now)
{
    int64_t start = llmgw__period_start(g->period, now);

    if (g->period != LLMGW_PERIOD_TOTAL && start != g->period_start) {
        g->period_start = start;
        g->spent = 0;
        g->alert.nfired = 0;
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

/* A gateway-wide budget is named after its period. */
static const char *global_name(int period)
{
    return period == LLMGW_PERIOD_DAILY ? "daily" : period == LLMGW_PERIOD_MONTHLY ? "monthly" : "total";
}

static const char *scope_word(int scope)
{
    return scope == LLMGW_BUDGET_CUSTOMER ? "customer" : scope == LLMGW_BUDGET_TAG ? "tag" : "gateway-wide";
}

/*
 * Caller holds the lock: the budget a caller means. A gateway-wide one may
 * be named by NULL or "" when it is the only one. Error set when none.
 */
static budget *lookup(llmgw__budgets *b, int scope, const char *name)
{
    budget *g = NULL;
    size_t i, count = 0;

    if (scope == LLMGW_BUDGET_GLOBAL && (name == NULL || *name == '\0')) {
        for (i = 0; i < b->n; i++) {
            if (b->items[i].scope == LLMGW_BUDGET_GLOBAL) {
                g = &b->items[i];
                count++;
            }
        }
        if (count > 1) {
            llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG, "several gateway-wide budgets are set: "
                              "name one (total, daily, monthly)");
            return NULL;
        }
    } else if (name != NULL) {
        g = find(b, scope, name, NULL);
    }
    if (g == NULL && count == 0)
        llmgw__error_setc(LLMGW_ENOTFOUND, LLMGW_ERRCLASS_NOT_FOUND, "no budget for %s '%.64s'", scope_word(scope),
                          name != NULL && *name != '\0' ? name : "(any period)");
    return g;
}

bool llmgw__budgets_any(llmgw__budgets *b)
{
    bool any;

    pthread_mutex_lock(&b->mu);
    any = b->n > 0;
    pthread_mutex_unlock(&b->mu);
    return any;
}

int llmgw__budgets_set(llmgw__budgets *b, int scope, const char *name, int64_t limit, int period, int64_t now)
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
        g->created = now;
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

/* ---- alerts: which thresholds a budget has, which fired this period ---- */

void llmgw__budgets_on_alert(llmgw__budgets *b, llmgw_budget_alert_cb cb, void *userdata)
{
    pthread_mutex_lock(&b->mu);
    b->alert_cb = cb;
    b->alert_userdata = userdata;
    pthread_mutex_unlock(&b->mu);
}

int llmgw__budgets_set_alerts(llmgw__budgets *b, int scope, const char *name, const llmgw__thresholds *t)
{
    static const double dflt[] = { 0.5, 0.8, 1.0 };
    budget *g;
    int rc = 0;

    pthread_mutex_lock(&b->mu);
    if (scope == LLMGW_BUDGET_DEFAULTS) {
        if (t != NULL)
            b->defaults = *t;
        else
            llmgw__thresholds_from(&b->defaults, dflt, LLMGW_ARRAY_SIZE(dflt));
    } else if ((g = lookup(b, scope, name)) == NULL) {
        rc = llmgw_error_last()->code;
    } else {
        g->alert.own = t != NULL;
        if (t != NULL)
            g->alert.alerts = *t;
    }
    pthread_mutex_unlock(&b->mu);
    return rc;
}

static const llmgw__thresholds *thresholds(const llmgw__budgets *b, const budget *g)
{
    return g->alert.own ? &g->alert.alerts : &b->defaults;
}

/* Caller holds the lock: describe g for the alert hook (thresholds filled in by the caller). */
static void due_init(llmgw__alert_due *d, const budget *g, int64_t start, int64_t spent, bool shared)
{
    memset(d, 0, sizeof(*d));
    d->scope = g->scope;
    d->name = g->name;               /* lives until the ledger is freed: set() never frees a name */
    d->period = g->period;
    d->start = start;
    d->since = g->period == LLMGW_PERIOD_TOTAL ? g->created : start;
    d->limit = g->limit;
    d->spent = spent;
    d->shared = shared;
}

/* Caller holds the lock: this process alone decides: the thresholds its own ledger's spend reached. */
static void due_local(llmgw__budgets *b, budget *g, llmgw__alert_due *d)
{
    due_init(d, g, g->period_start, g->spent, false);
    llmgw__alert_reached(&g->alert, thresholds(b, g), g->limit, g->spent, d);
}

/* ---- sharing ---- */

void llmgw__budgets_share(llmgw__budgets *b, struct llmgw__shared *s)
{
    atomic_store_explicit(&b->shared, s, memory_order_release);
}

static struct llmgw__shared *sharing(llmgw__budgets *b)
{
    struct llmgw__shared *s = atomic_load_explicit(&b->shared, memory_order_acquire);

    return s != NULL && llmgw__shared_up(s) ? s : NULL;
}

/* Caller holds the lock: the shared ledger's view of a budget in the current period. */
static void shared_view(llmgw__shared_budget *out, const budget *g, int64_t now)
{
    memset(out, 0, sizeof(*out));
    out->scope = g->scope;
    out->name = g->name;            /* lives until the ledger is freed: set() never frees a name */
    out->period = g->period;
    out->start = llmgw__period_start(g->period, now);
    out->held_start = out->start;
    out->limit = g->limit;
}

/* How long a shared reservation may outlive a process that died holding it. */
static int64_t lease_ms(void)
{
    int64_t deadline = llmgw__thread_deadline_us(), left;

    if (deadline <= 0)
        return 660000;              /* the default deadline (600 s), plus a minute */
    left = (deadline - llmgw__mono_us()) / 1000;
    return (left > 0 ? left : 0) + 60000;
}

int llmgw__budgets_status(llmgw__budgets *b, int scope, const char *name, int64_t now, llmgw_budget_status *out)
{
    struct llmgw__shared *s = sharing(b);
    llmgw__shared_budget view;
    int64_t spent, reserved;
    budget *g;
    int rc = 0;

    memset(&view, 0, sizeof(view));
    pthread_mutex_lock(&b->mu);
    g = lookup(b, scope, name);
    if (g == NULL) {
        rc = llmgw_error_last()->code;
    } else {
        roll(g, now);
        memset(out, 0, sizeof(*out));
        out->version = 1;
        out->limit_nusd = g->limit;
        out->spent_nusd = g->spent;
        out->reserved_nusd = g->reserved;
        out->period = g->period;
        out->period_start = g->period_start;
        shared_view(&view, g, now);
    }
    pthread_mutex_unlock(&b->mu);
    /* shared: the fleet's numbers; this process's when Redis does not answer */
    if (rc == 0 && s != NULL && llmgw__shared_budget_status(s, &view, &spent, &reserved) == 0) {
        out->spent_nusd = spent;
        out->reserved_nusd = reserved;
    }
    return rc;
}

static void money(char *out, size_t n, int64_t nusd)
{
    snprintf(out, n, "%lld.%06lld", (long long)(nusd / 1000000000), (long long)(nusd % 1000000000 / 1000));
}

static int refuse(const budget *g, int64_t used)
{
    char lim[32], spent[32];

    money(lim, sizeof(lim), g->limit);
    money(spent, sizeof(spent), used);
    if (g->scope == LLMGW_BUDGET_GLOBAL)
        return llmgw__error_setc(LLMGW_EBUDGET, LLMGW_ERRCLASS_BUDGET_EXCEEDED,
                                 "the gateway-wide %s budget would be exceeded: %s USD of %s USD spent or reserved",
                                 g->name, spent, lim);
    return llmgw__error_setc(LLMGW_EBUDGET, LLMGW_ERRCLASS_BUDGET_EXCEEDED,
                             "budget of %s '%.64s' would be exceeded: %s USD of %s USD spent or reserved",
                             scope_word(g->scope), g->name, spent, lim);
}

/*
 * Reserve in the shared ledger: 1 reserved, LLMGW_EBUDGET refused (error
 * set), < 0 otherwise: not answered. The caller holds the lock, which is
 * dropped around the call (indexes stay valid: budgets are never removed).
 */
static int reserve_shared(llmgw__budgets *b, struct llmgw__shared *s, llmgw__budget_ticket *t, int64_t now)
{
    llmgw__shared_budget view[LLMGW__BUDGET_TICKET_MAX];
    size_t i, refused = 0;
    int64_t used = 0;
    int rc;

    for (i = 0; i < t->n; i++) {
        shared_view(&view[i], &b->items[t->index[i]], now);
        t->start[i] = view[i].start;
    }
    pthread_mutex_unlock(&b->mu);
    rc = llmgw__shared_budget_reserve(s, view, t->n, t->amount, lease_ms(), t->lease, &refused, &used);
    pthread_mutex_lock(&b->mu);
    if (rc == 0)
        return refuse(&b->items[t->index[refused]], used);
    if (rc == 1)
        t->shared = true;
    return rc;
}

int llmgw__budgets_reserve(llmgw__budgets *b, const char *customer, const char *const *tags, size_t ntags,
                           int64_t estimate, int64_t now, llmgw__budget_ticket *ticket)
{
    struct llmgw__shared *s = sharing(b);
    size_t i, idx;
    budget *g;
    int rc = 0;

    ticket->n = 0;
    ticket->shared = false;
    ticket->lease[0] = '\0';
    ticket->amount = estimate > 0 ? estimate : 0;
    pthread_mutex_lock(&b->mu);
    for (i = 0; i < b->n; i++)           /* every request: at most one per period */
        if (b->items[i].scope == LLMGW_BUDGET_GLOBAL && ticket->n < 3)
            ticket->index[ticket->n++] = i;
    if (customer != NULL && (g = find(b, LLMGW_BUDGET_CUSTOMER, customer, &idx)) != NULL)
        ticket->index[ticket->n++] = idx;
    for (i = 0; i < ntags && ticket->n < LLMGW__BUDGET_TICKET_MAX; i++)
        if ((g = find(b, LLMGW_BUDGET_TAG, tags[i], &idx)) != NULL)
            ticket->index[ticket->n++] = idx;
    if (ticket->n > 0 && s != NULL) {
        rc = reserve_shared(b, s, ticket, now);
        if (rc == LLMGW_EBUDGET) {
            ticket->n = 0;
            goto out;
        }
        rc = 0;
    }
    for (i = 0; i < ticket->n; i++)
        roll(&b->items[ticket->index[i]], now);
    if (!ticket->shared) {
        /* this process alone, all or nothing: check every budget, then reserve on every one */
        for (i = 0; i < ticket->n; i++) {
            g = &b->items[ticket->index[i]];
            if (g->spent + g->reserved + ticket->amount > g->limit || g->spent >= g->limit) {
                rc = refuse(g, g->spent + g->reserved);
                ticket->n = 0;
                goto out;
            }
        }
    }
    /* shared: the fleet's ledger decided, and this one keeps this process's part for when Redis is gone */
    for (i = 0; i < ticket->n; i++)
        b->items[ticket->index[i]].reserved += ticket->amount;
out:
    pthread_mutex_unlock(&b->mu);
    return rc;
}

/*
 * Caller holds the lock: after the shared settle, mark what the fleet
 * reached as fired here (so it is not asked for again this period) and
 * return, in due, what this settle claimed. Redis not answering: this
 * process's own ledger decides, as it does for reservations.
 */
static size_t due_shared(llmgw__budgets *b, const llmgw__budget_ticket *t, const llmgw__shared_budget *view,
                         bool answered, llmgw__alert_due *due)
{
    size_t i, j, n = 0;

    for (i = 0; i < t->n; i++) {
        budget *g = &b->items[t->index[i]];
        llmgw__alert_due *d = &due[n];
        if (!answered) {
            due_local(b, g, d);
        } else {
            due_init(d, g, view[i].start, view[i].spent_after, true);
            for (j = 0; j < view[i].nalert; j++) {
                if ((view[i].reached >> j & 1u) && g->period_start == view[i].start)
                    llmgw__alert_mark(&g->alert, view[i].alert_ppm[j]);
                if (view[i].claimed >> j & 1u)
                    d->ppm[d->n++] = view[i].alert_ppm[j];
            }
        }
        if (d->n > 0)
            n++;
    }
    return n;
}

void llmgw__budgets_settle(llmgw__budgets *b, llmgw__budget_ticket *ticket, int64_t actual, int64_t now)
{
    llmgw__shared_budget view[LLMGW__BUDGET_TICKET_MAX];
    llmgw__alert_due due[LLMGW__BUDGET_TICKET_MAX];
    struct llmgw__shared *s = NULL;
    llmgw_budget_alert_cb cb;
    void *userdata;
    size_t i, j, ndue = 0;
    int rc;

    if (ticket->n == 0)
        return;
    if (actual < 0)
        actual = 0;
    pthread_mutex_lock(&b->mu);
    for (i = 0; i < ticket->n; i++) {
        budget *g = &b->items[ticket->index[i]];
        g->reserved -= ticket->amount;
        if (g->reserved < 0)
            g->reserved = 0;
        roll(g, now);
        g->spent += actual;
        if (ticket->shared) {
            /* the fleet's spend decides; ask Redis to claim the thresholds not yet fired here */
            const llmgw__thresholds *t = thresholds(b, g);
            shared_view(&view[i], g, now);
            view[i].held_start = ticket->start[i];
            for (j = 0; j < t->n; j++) {
                if (llmgw__alert_fired(&g->alert, t->ppm[j]))
                    continue;
                view[i].alert_ppm[view[i].nalert] = t->ppm[j];
                view[i].alert_amount[view[i].nalert++] = llmgw__threshold_amount(g->limit, t->ppm[j]);
            }
        } else {
            due_local(b, g, &due[ndue]);
            if (due[ndue].n > 0)
                ndue++;
        }
    }
    if (ticket->shared)
        s = atomic_load_explicit(&b->shared, memory_order_acquire);
    cb = b->alert_cb;
    userdata = b->alert_userdata;
    pthread_mutex_unlock(&b->mu);
    if (s != NULL) {
        /* when Redis does not take it, the reservation there expires and this spend is missing from the fleet's */
        rc = llmgw__shared_budget_settle(s, view, ticket->n, ticket->lease, ticket->amount, actual);
        pthread_mutex_lock(&b->mu);
        ndue = due_shared(b, ticket, view, rc == 0, due);
        pthread_mutex_unlock(&b->mu);
    }
    ticket->n = 0;
    ticket->shared = false;
    ticket->lease[0] = '\0';
    llmgw__alerts_fire(cb, userdata, due, ndue, now);
}

int llmgw_gateway_set_budget(llmgw_gateway *gw, int scope, const char *name, double max_usd, int period)
{
    LLMGW_CHECK_ARG(gw);
    if (scope != LLMGW_BUDGET_CUSTOMER && scope != LLMGW_BUDGET_TAG && scope != LLMGW_BUDGET_GLOBAL)
        return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG, "unknown budget scope %d", scope);
    if (period < LLMGW_PERIOD_TOTAL || period > LLMGW_PERIOD_MONTHLY)
        return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG, "unknown budget period %d", period);
    if (!(max_usd >= 0) || max_usd > 1e9)
        return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG, "a budget must be in [0, 1e9] USD");
    if (scope == LLMGW_BUDGET_GLOBAL) {
        if (name != NULL && *name != '\0' && strcmp(name, global_name(period)) != 0)
            return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG, "a gateway-wide budget is named after "
                                     "its period (NULL, \"\" or \"%s\")", global_name(period));
        name = global_name(period);
    }
    LLMGW_CHECK_ARG(name);
    if (*name == '\0' || strlen(name) > 256 || llmgw__has_ctl(name))
        return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG, "invalid budget name");
    /* USD -> nano-USD, rounded to the nearest: exact for any amount written with <= 9 decimals */
    return llmgw__budgets_set(gw->budgets, scope, name, (int64_t)(max_usd * 1e9 + 0.5), period,
                              gw->clock->wall_us(gw->clock->self) / 1000000);
}

int llmgw_gateway_budget_status(llmgw_gateway *gw, int scope, const char *name, llmgw_budget_status *out)
{
    LLMGW_CHECK_ARG(gw);
    LLMGW_CHECK_ARG(out);
    if (scope != LLMGW_BUDGET_GLOBAL)
        LLMGW_CHECK_ARG(name);
    return llmgw__budgets_status(gw->budgets, scope, name, gw->clock->wall_us(gw->clock->self) / 1000000, out);
}
