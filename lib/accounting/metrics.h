/*
 * lib/accounting/metrics.h: the gateway's counters, fed once per logical
 * request from its usage record, plus breaker openings and cache lookups.
 */
#ifndef LLMGW_ACCOUNTING_METRICS_H
#define LLMGW_ACCOUNTING_METRICS_H

#include "../core/common.h"

typedef struct llmgw__metrics llmgw__metrics;

int  llmgw__metrics_new(llmgw__metrics **out);
void llmgw__metrics_free(llmgw__metrics *m);
void llmgw__metrics_record(llmgw__metrics *m, const llmgw_usage *u);
void llmgw__metrics_breaker_opened(llmgw__metrics *m, const char *deployment);
void llmgw__metrics_cache_lookup(llmgw__metrics *m, bool hit);

#endif
