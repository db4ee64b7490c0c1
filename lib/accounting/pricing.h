/*
 * lib/accounting/pricing.h: which price each deployment is billed at, the
 * cost of every attempt and of the whole request, and the estimate a budget
 * reserves. Prices come, in order, from the deployment's own prices, the
 * gateway's price file, then the built-in table; a model found in none has
 * an unknown cost (null), never a silent 0.
 */
#ifndef LLMGW_ACCOUNTING_PRICING_H
#define LLMGW_ACCOUNTING_PRICING_H

#include "../core/common.h"
#include "../core/gateway.h"
#include "record.h"
#include "prices.h"

/* Output tokens assumed for a budget reservation when the request sets no max_tokens. */
#define LLMGW__BUDGET_DEFAULT_OUTPUT 4096

/*
 * Load gw->prices from opts.prices_path, else $LLMGW_PRICES_PATH (none: the
 * built-in table only). A file that is not there is a warning (the built-in
 * table still applies); one that cannot be read or parsed is a config error.
 */
int  llmgw__pricing_load(llmgw_gateway *gw);
/* Look a model up in the price file, then the built-in table. */
int  llmgw__pricing_lookup(const llmgw_gateway *gw, const char *provider, const char *model, llmgw__price *out);
/*
 * Settle d->price / d->price_known, and a context window from the price
 * table when the deployment gives none. Custom prices out of range are a
 * config error.
 */
int  llmgw__pricing_resolve(const llmgw_gateway *gw, llmgw__deployment *d);

/*
 * The cost of one attempt, into t->cost_nusd / t->cost_source:
 *  - not billed (no request sent, or an HTTP error answer): 0, computed;
 *  - billed with the provider's usage and a known price: computed;
 *  - billed without usage (a cut stream, a body with no usage): the tokens
 *    are estimated (est_input, est_output) and the cost is estimated;
 *  - no price: unknown.
 */
void llmgw__pricing_attempt(const llmgw__deployment *d, llmgw_attempt *t, uint64_t est_input,
                            uint64_t est_output);
/* The record's cost, its input/output split and provenance from its attempts. */
void llmgw__pricing_record(llmgw__record *rec);
/*
 * What a budget reserves: the dearest priced candidate's cost of est_input
 * input and max_output (LLMGW__BUDGET_DEFAULT_OUTPUT when 0) output tokens;
 * 0 when no candidate has a price.
 */
int64_t llmgw__pricing_estimate(llmgw__deployment *const *deps, size_t n, uint64_t est_input,
                                uint64_t max_output);

#endif
