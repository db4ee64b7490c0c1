/*
 * metrics.h: a snapshot of the gateway's counters and histograms, rendered
 * as Prometheus text (llmgw_* names, docs/conventions.md §8) or JSON. llmgw
 * runs no HTTP server: the host serves the text.
 */
#ifndef LLMGW_METRICS_H
#define LLMGW_METRICS_H

#include "common.h"
#include "buf.h"

LLMGW_BEGIN_DECLS

/** A copy of the counters at one moment; read-only. */
typedef struct llmgw_metrics llmgw_metrics;

/** Take a snapshot (thread-safe; requests keep running). */
LLMGW_API int  llmgw_metrics_get(llmgw_metrics **out, llmgw_gateway *gw);
LLMGW_API void llmgw_metrics_free(llmgw_metrics *m);

/**
 * Prometheus text exposition format 0.0.4: llmgw_requests_total,
 * llmgw_errors_total, llmgw_tokens_total, llmgw_spend_usd_total,
 * llmgw_request_duration_seconds, llmgw_time_to_first_token_seconds,
 * llmgw_retries_total, llmgw_fallbacks_total, llmgw_deployment_cooldowns_total,
 * llmgw_cache_hits_total, llmgw_cache_misses_total.
 */
LLMGW_API int  llmgw_metrics_to_prometheus(llmgw_buf *out, const llmgw_metrics *m);
/** The same as one JSON object (for bindings and tests). */
LLMGW_API int  llmgw_metrics_to_json(llmgw_buf *out, const llmgw_metrics *m);

/** Totals over every provider and model. */
typedef struct llmgw_metrics_totals {
    unsigned int version;          /**< 1 */
    uint64_t     requests;         /**< logical requests */
    uint64_t     failures;         /**< of which failed */
    uint64_t     attempts;         /**< upstream attempts */
    uint64_t     retries;          /**< attempts beyond the first */
    uint64_t     fallbacks;        /**< switches to another deployment or group */
    uint64_t     input_tokens;
    uint64_t     output_tokens;
    uint64_t     cache_read_tokens;
    uint64_t     cache_creation_tokens;
    uint64_t     reasoning_tokens;
    int64_t      spend_nusd;       /**< known costs only */
    uint64_t     unknown_cost;     /**< requests whose cost is unknown */
    uint64_t     cache_hits;
    uint64_t     cache_misses;
    uint64_t     breaker_openings;
} llmgw_metrics_totals;

LLMGW_API int  llmgw_metrics_totals_get(llmgw_metrics_totals *out, const llmgw_metrics *m);

LLMGW_END_DECLS

#endif
