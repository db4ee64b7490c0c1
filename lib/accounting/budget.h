/*
 * lib/accounting/budget.h: spend limits per customer and per tag, with
 * reserve-before and settle-after (integer nano-USD).
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

#define LLMGW__BUDGET_TICKET_MAX 65   /* a customer and up to 64 tags */

/* What one request holds: which budgets, how much. */
typedef struct llmgw__budget_ticket {
    size_t  n;
    size_t  index[LLMGW__BUDGET_TICKET_MAX];
    int64_t amount;                  /* reserved per budget */
    bool    shared;                  /* reserved in the shared ledger too */
    int64_t start[LLMGW__BUDGET_TICKET_MAX];   /* shared: the period each reservation was made in */
    char    lease[LLMGW__SHARED_LEASE_LEN];    /* shared: the reservation's lease */
} llmgw__budget_ticket;

int  llmgw__budgets_new(llmgw__budgets **out);
void llmgw__budgets_free(llmgw__budgets *b);
int  llmgw__budgets_set(llmgw__budgets *b, int scope, const char *name, int64_t limit_nusd, int period);
int  llmgw__budgets_status(llmgw__budgets *b, int scope, const char *name, int64_t now_wall_s,
                           llmgw_budget_status *out);
/* True when any budget is set (so requests can skip the work). */
bool llmgw__budgets_any(llmgw__budgets *b);
/*
 * Reserve `estimate` against every budget of this customer and tags; all or
 * nothing. LLMGW_EBUDGET (error set, naming the budget) when one would be
 * exceeded.
 */
int  llmgw__budgets_reserve(llmgw__budgets *b, const char *customer, const char *const *tags, size_t ntags,
                            int64_t estimate, int64_t now_wall_s, llmgw__budget_ticket *ticket);
/* Release the reservation and add the actual cost (>= 0). */
void llmgw__budgets_settle(llmgw__budgets *b, llmgw__budget_ticket *ticket, int64_t actual, int64_t now_wall_s);
/* Keep the ledger in Redis through s too (NULL: this process only). Not while requests use it. */
void llmgw__budgets_share(llmgw__budgets *b, struct llmgw__shared *s);

#endif
