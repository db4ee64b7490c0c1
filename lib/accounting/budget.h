/*
 * lib/accounting/budget.h: spend limits per customer and per tag, with
 * reserve-before and settle-after (integer nano-USD).
 *
 * Budgets apply to a customer, a tag, or every request (LLMGW_BUDGET_GLOBAL,
 * one per period, named "total", "daily" or "monthly"). Each has alert
 * thresholds (budget_alert.c): the settle that makes the period's spend
 * reach one fires the alert hook, once per threshold and period.
 *
 * Shared (llmgw__budgets_share, with Redis configured), reserve and settle
 * run as atomic scripts on one ledger in Redis, so two processes cannot
 * both spend the last dollar; a reservation is a lease that expires after
 * the request's deadline should its process die. This process's own ledger
 * is always kept too, and decides whenever Redis does not answer (each
 * process then enforces its budgets alone: the fleet may overspend by up to
 * N processes times; a settle Redis does not take is missing from the
 * shared spend). docs/redis.md.
 */
#ifndef LLMGW_ACCOUNTING_BUDGET_H
#define LLMGW_ACCOUNTING_BUDGET_H

#include "../core/common.h"
#include "../redis/shared.h"

typedef struct llmgw__budgets llmgw__budgets;

#define LLMGW__BUDGET_TICKET_MAX 68   /* up to 3 gateway-wide budgets, a customer and up to 64 tags */
#define LLMGW__ALERTS_MAX LLMGW__SHARED_ALERTS_MAX

/* What one request holds: which budgets, how much. */
typedef struct llmgw__budget_ticket {
    size_t  n;
    size_t  index[LLMGW__BUDGET_TICKET_MAX];
    int64_t amount;                  /* reserved per budget */
    bool    shared;                  /* reserved in the shared ledger too */
    int64_t start[LLMGW__BUDGET_TICKET_MAX];   /* shared: the period each reservation was made in */
    char    lease[LLMGW__SHARED_LEASE_LEN];    /* shared: the reservation's lease */
} llmgw__budget_ticket;

/* Alert thresholds: fractions of the limit in millionths, ascending and distinct. */
typedef struct llmgw__thresholds {
    size_t   n;
    uint32_t ppm[LLMGW__ALERTS_MAX];
} llmgw__thresholds;

int  llmgw__budgets_new(llmgw__budgets **out);
void llmgw__budgets_free(llmgw__budgets *b);
/* now: Unix seconds (a total budget's spend rate is measured from when it was first set). */
int  llmgw__budgets_set(llmgw__budgets *b, int scope, const char *name, int64_t limit_nusd, int period,
                        int64_t now_wall_s);
int  llmgw__budgets_status(llmgw__budgets *b, int scope, const char *name, int64_t now_wall_s,
                           llmgw_budget_status *out);
/* True when any budget is set (so requests can skip the work). */
bool llmgw__budgets_any(llmgw__budgets *b);
/*
 * Reserve `estimate` against every budget of this customer and tags, and the
 * gateway-wide ones; all or nothing. LLMGW_EBUDGET (error set, naming the
 * budget) when one would be exceeded.
 */
int  llmgw__budgets_reserve(llmgw__budgets *b, const char *customer, const char *const *tags, size_t ntags,
                            int64_t estimate, int64_t now_wall_s, llmgw__budget_ticket *ticket);
/*
 * Release the reservation and add the actual cost (>= 0), then fire the
 * alerts this spend reached (on this thread, no lock held).
 */
void llmgw__budgets_settle(llmgw__budgets *b, llmgw__budget_ticket *ticket, int64_t actual, int64_t now_wall_s);
/* Keep the ledger in Redis through s too (NULL: this process only). Not while requests use it. */
void llmgw__budgets_share(llmgw__budgets *b, struct llmgw__shared *s);
/* The alert hook (cb NULL: none). */
void llmgw__budgets_on_alert(llmgw__budgets *b, llmgw_budget_alert_cb cb, void *userdata);
/* A budget's thresholds (t NULL: back to the defaults); scope LLMGW_BUDGET_DEFAULTS: the defaults. */
int  llmgw__budgets_set_alerts(llmgw__budgets *b, int scope, const char *name, const llmgw__thresholds *t);

/* ---- lib/accounting/budget_alert.c ---- */

/* The start (Unix seconds, UTC) of the period containing now (0 for TOTAL). */
int64_t llmgw__period_start(int period, int64_t now);
/* When the period starting at start ends (0 for TOTAL: never). */
int64_t llmgw__period_end(int period, int64_t start);
/* Fractions (each in (0, 4], n <= LLMGW__ALERTS_MAX) to sorted, distinct millionths; LLMGW_EINVAL. */
int  llmgw__thresholds_from(llmgw__thresholds *out, const double *fractions, size_t n);
/* The spend (nano-USD) at which a threshold of limit is reached: ceil(limit * ppm / 10^6). */
int64_t llmgw__threshold_amount(int64_t limit, uint32_t ppm);
/*
 * When spend reaches limit at the rate spent / (now - since) (at least one
 * second): Unix seconds rounded up; now when already reached; -1 when
 * nothing was spent.
 */
int64_t llmgw__budget_projection(int64_t spent, int64_t limit, int64_t since, int64_t now);

/* A budget's alerts: its own thresholds (else the ledger's defaults), and those fired this period. */
typedef struct llmgw__alert_state {
    bool              own;
    llmgw__thresholds alerts;
    uint32_t          fired[2 * LLMGW__ALERTS_MAX];   /* ppm; thresholds may change within a period */
    size_t            nfired;
} llmgw__alert_state;

bool llmgw__alert_fired(const llmgw__alert_state *a, uint32_t ppm);
void llmgw__alert_mark(llmgw__alert_state *a, uint32_t ppm);

/* The alerts of one budget found due under the ledger's lock, to fire once it is dropped. */
typedef struct llmgw__alert_due {
    int         scope, period;
    const char *name;               /* lives as long as the ledger */
    int64_t     start, since;       /* period start; the rate's start */
    int64_t     limit, spent;
    bool        shared;
    size_t      n;
    uint32_t    ppm[LLMGW__ALERTS_MAX];
} llmgw__alert_due;

/* Add to d (and mark fired) each threshold of t that spent reaches and a has not fired yet. */
void llmgw__alert_reached(llmgw__alert_state *a, const llmgw__thresholds *t, int64_t limit, int64_t spent,
                          llmgw__alert_due *d);
/* Call cb once per threshold of due[0..n), in order. */
void llmgw__alerts_fire(llmgw_budget_alert_cb cb, void *userdata, const llmgw__alert_due *due, size_t n,
                        int64_t now);

#endif
