/*
 * hooks.h: the log hook and the usage (cost-accounting) hook.
 *
 * Every hook is a (fn, userdata) pair; NULL turns it off. Hooks run on the
 * thread that called llmgw_complete*(), with no llmgw lock held, and must not
 * wait on their own gateway. Data handed to a hook lives for the call only.
 */
#ifndef LLMGW_HOOKS_H
#define LLMGW_HOOKS_H

#include "common.h"
#include "buf.h"

LLMGW_BEGIN_DECLS

enum {
    LLMGW_LOG_ERROR = 1,
    LLMGW_LOG_WARN  = 2,
    LLMGW_LOG_INFO  = 3,
    LLMGW_LOG_DEBUG = 4
};

/** A preformatted, redacted log line (no trailing newline). */
typedef void (*llmgw_log_cb)(int level, const char *msg, void *userdata);

/** Where a cost figure comes from. */
enum {
    LLMGW_COST_UNKNOWN   = 0, /**< no price known: the cost is null, never a silent 0 */
    LLMGW_COST_COMPUTED  = 1, /**< price x tokens reported by the provider */
    LLMGW_COST_ESTIMATED = 2  /**< usage missing: tokens counted locally */
};

/** One HTTP exchange of a logical request. Library-owned; may grow at the end. */
struct llmgw_attempt {
    const char *deployment;        /**< deployment id */
    const char *provider;          /**< provider id */
    const char *model;             /**< model sent upstream */
    int         status;            /**< llmgw_status of this attempt; 0 = success */
    int         error_class;       /**< llmgw_error_class */
    int         http_status;       /**< 0 when none received */
    int         usage_known;       /**< 1 when the provider reported usage */
    int         billed;            /**< 1 when the request may have been billed */
    uint64_t    input_tokens;
    uint64_t    output_tokens;
    uint64_t    cache_read_tokens;
    uint64_t    cache_creation_tokens;
    uint64_t    reasoning_tokens;
    int64_t     cost_nusd;         /**< nano-USD; meaningful when cost_source != UNKNOWN */
    int         cost_source;
    int64_t     latency_us;        /**< duration of this attempt */
    int64_t     wait_us;           /**< time waited (backoff, retry-after) before it */
    int64_t     retry_after_ms;    /**< server hint from this attempt, -1 when none */
    int         usage_estimated;   /**< 1 when billed without usage: the token counts are local estimates */
    int64_t     input_cost_nusd;   /**< the input part of cost_nusd */
    int64_t     output_cost_nusd;  /**< the output part of cost_nusd */
    const char *group;             /**< model group of the deployment tried (fallbacks change it) */
    const char *route_rule;        /**< rule (or "classifier") that chose that group; NULL: none, or a fallback group */
};

#define LLMGW_USAGE_VERSION 2

/**
 * The usage record of one logical request, delivered once to the usage
 * hook (success, failure, cancellation, cut stream, cache hit alike) and
 * available from llmgw_response_usage(). Field names follow OpenTelemetry's
 * GenAI conventions. Token counts follow OpenAI's meaning: input_tokens
 * counts every input token, cache reads and writes included; output_tokens
 * includes reasoning tokens. Money is integer nano-USD (1e-9 USD).
 * Library-owned and read-only; grows at the end (check version).
 */
typedef struct llmgw_usage {
    unsigned int version;              /**< LLMGW_USAGE_VERSION */
    const char  *request_id;           /**< llmgw's id for the logical request */
    const char  *trace_id;             /**< caller's trace id, or NULL */
    const char  *operation;            /**< "chat" */
    const char  *model_requested;      /**< alias or provider/model as asked */
    const char  *group;                /**< resolved group */
    const char  *provider;             /**< provider that answered (or last tried), or NULL */
    const char  *model;                /**< model that answered, or NULL */
    const char  *response_id;          /**< provider's response id, or NULL */
    const char  *deployment;           /**< deployment id, or NULL */
    const char  *api_base;             /**< base URL of that deployment, or NULL */
    int          status;               /**< llmgw_status of the logical request */
    int          error_class;          /**< llmgw_error_class; NONE on success */
    int          http_status;          /**< last HTTP status received, 0 if none */
    const char  *finish_reason;        /**< stop, length, tool_calls, content_filter..., or NULL */
    int          stream;               /**< 1 for llmgw_complete_stream() */
    int          usage_known;          /**< 1 when token counts came from the provider */
    uint64_t     input_tokens;
    uint64_t     output_tokens;
    uint64_t     cache_read_tokens;
    uint64_t     cache_creation_tokens;
    uint64_t     reasoning_tokens;
    uint64_t     total_tokens;
    int64_t      cost_nusd;            /**< all billed attempts; valid unless cost_source is UNKNOWN */
    int64_t      input_cost_nusd;
    int64_t      output_cost_nusd;
    int          cost_source;          /**< LLMGW_COST_* */
    int64_t      start_time_us;        /**< wall clock, microseconds since the Unix epoch */
    int64_t      latency_us;           /**< whole logical request */
    int64_t      ttft_us;              /**< time to first delivered token, -1 when none */
    int          cache_hit;
    int64_t      saved_cost_nusd;      /**< what a cache hit saved, 0 otherwise */
    unsigned int attempts;             /**< HTTP exchanges made, failovers included */
    unsigned int fallbacks;            /**< switches to another deployment or group */
    const llmgw_attempt *trail;        /**< attempts[0 .. attempts-1] */
    const char  *customer;             /**< caller metadata, or NULL */
    const char *const *tags;           /**< caller tags */
    size_t       tag_count;
    const char  *route_rule;           /**< the routing rule (or "classifier") that chose the first group, or NULL (docs/routing.md §8) */
    /* LLMGW_USAGE_VERSION 2 */
    /** Caller metadata (llmgw_request_set_metadata(), "llmgw.metadata") as a JSON object of strings, or NULL. */
    const char  *metadata_json;
} llmgw_usage;

typedef void (*llmgw_usage_cb)(const llmgw_usage *usage, void *userdata);

/** Render a usage record as one JSON object (docs/conventions.md §9 keys). */
LLMGW_API int llmgw_usage_to_json(llmgw_buf *out, const llmgw_usage *usage);

LLMGW_END_DECLS

#endif
