/*
 * report.h: cost reports and "what if" price simulations over usage logs
 * (the JSON-lines files of llmgw/usage_log.h). The functions behind
 * `llmgw cost report` and `llmgw cost simulate`; bindings return their JSON
 * as dicts / hashes. docs/cost.md describes every field.
 *
 * Logs are untrusted input: a line that is not a usage record (not JSON,
 * over the limits, a field of the wrong type or out of range) is skipped and
 * counted, never fatal. Money is integer nano-USD throughout, summed
 * exactly; simulations price tokens with the same tables and the same
 * integer formula as the live path.
 */
#ifndef LLMGW_REPORT_H
#define LLMGW_REPORT_H

#include "common.h"
#include "buf.h"

LLMGW_BEGIN_DECLS

/** What to read, how to group it and how to print it; also the simulation's scenario. */
typedef struct llmgw_report_options {
    unsigned int version;            /**< LLMGW_REPORT_OPTIONS_VERSION, first, always */
    /**
     * Grouping: "customer", "tag" (a record counts once in each of its
     * tags), "group", "provider", "model" (provider/model) or "day" (UTC).
     * NULL: "model" for a report, "group" for a simulation.
     */
    const char  *by;
    /**
     * Time window on start_time, since inclusive, until exclusive; NULL: open.
     * RFC 3339 ("2026-03-01T12:00:00Z", offsets allowed), a date
     * ("2026-03-01", UTC midnight) or a span back from now ("90m", "36h",
     * "7d", "2w").
     */
    const char  *since;
    const char  *until;
    /** "json" (NULL), "csv" or "text" (the CLI's table). */
    const char  *format;
    int64_t      now_us;             /**< "now" for spans, microseconds since the epoch; 0: the clock */
    size_t       max_groups;         /**< distinct keys kept, the rest summed as "(other)" (100000) */
    size_t       max_line_bytes;     /**< longer lines are skipped as bad (1 MiB) */
    /** A LiteLLM-format price file over the built-in table (simulation only); NULL: built-in only. */
    const char  *prices_path;
    /* ---- simulation (llmgw_cost_simulate) ---- */
    /** "provider/model" (or "provider:model") every request is repriced at; or NULL and a map. */
    const char  *as;
    /**
     * "from=to" pairs: requests whose model is `from` ("provider/model", or
     * a bare model name matching any provider) are repriced at `to`
     * ("provider/model"); others keep their logged cost.
     */
    const char *const *map;
    size_t       map_count;
    /**
     * Non-zero: project a response-cache hit rate of cache_hit_rate, in
     * [0, 1] (resolution 1e-6): every request is priced as a miss, then that
     * share of it is served from the cache at no cost. Zero: logged cache
     * hits stay hits and cost nothing.
     */
    int          project_cache;
    double       cache_hit_rate;
    /* LLMGW_REPORT_OPTIONS_VERSION 2 fields go below this line */
} llmgw_report_options;

#define LLMGW_REPORT_OPTIONS_VERSION 1
#ifdef __cplusplus
#  define LLMGW_REPORT_OPTIONS_INIT { LLMGW_REPORT_OPTIONS_VERSION }
#else
#  define LLMGW_REPORT_OPTIONS_INIT { .version = LLMGW_REPORT_OPTIONS_VERSION }
#endif

/** Fill opts with defaults; the twin of LLMGW_REPORT_OPTIONS_INIT for FFI. */
LLMGW_API int llmgw_report_options_init(llmgw_report_options *opts, unsigned int version);

/**
 * A cost report over n usage-log files: spend, requests, tokens by kind,
 * cache savings and error spend, per key of opts->by and in total, appended
 * to out in opts->format. opts may be NULL. LLMGW_ENOTFOUND when a file is
 * missing, LLMGW_ERROR when one cannot be read, LLMGW_EINVAL on bad options
 * (the message names the option).
 */
LLMGW_API int llmgw_cost_report(llmgw_buf *out, const char *const *paths, size_t n,
                                const llmgw_report_options *opts);

/**
 * Replay the token counts of n usage-log files against other prices
 * (opts->as, or opts->map, and opts->cache_hit_rate): per key of opts->by
 * and in total, the current (logged) spend, the simulated spend and the
 * difference, plus a warning per target model whose context window could
 * not have held a logged request. LLMGW_ENOTFOUND also when a target model
 * has no price.
 */
LLMGW_API int llmgw_cost_simulate(llmgw_buf *out, const char *const *paths, size_t n,
                                  const llmgw_report_options *opts);

LLMGW_END_DECLS

#endif
