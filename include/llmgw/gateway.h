/*
 * gateway.h: the gateway's lifecycle, its deployments and the calls that
 * complete a request.
 *
 * A gateway may be used from many threads at once. Deployments may be added
 * at any time; a deployment is never removed before llmgw_gateway_free().
 */
#ifndef LLMGW_GATEWAY_H
#define LLMGW_GATEWAY_H

#include "common.h"
#include "hooks.h"

LLMGW_BEGIN_DECLS

/** Gateway-wide settings. Zero means "the library default" for every field. */
typedef struct llmgw_gateway_options {
    unsigned int   version;               /**< LLMGW_GATEWAY_OPTIONS_VERSION, first, always */
    int64_t        deadline_ms;           /**< whole logical request (600000) */
    int64_t        connect_timeout_ms;    /**< TCP + TLS connect (5000) */
    int64_t        first_byte_timeout_ms; /**< until the first byte / stream event (120000) */
    int64_t        idle_timeout_ms;       /**< between received bytes (120000) */
    int64_t        attempt_timeout_ms;    /**< one attempt, non-stream (0 = deadline) */
    size_t         max_response_bytes;    /**< non-stream body cap (8 MiB) */
    size_t         max_stream_bytes;      /**< stream cap (64 MiB) */
    size_t         max_sse_line_bytes;    /**< one SSE line (1 MiB) */
    unsigned int   max_headers;           /**< response header count (200) */
    size_t         max_header_bytes;      /**< response header bytes (64 KiB) */
    unsigned int   max_attempts;          /**< attempts per logical request, failovers included (3) */
    unsigned int   pool_size;             /**< idle transport handles kept (64) */
    llmgw_log_cb   log_cb;                /**< NULL: silent */
    void          *log_userdata;
    int            log_level;             /**< LLMGW_LOG_*; 0 = LLMGW_LOG_WARN */
    llmgw_usage_cb usage_cb;              /**< once per logical request; NULL: none */
    void          *usage_userdata;
    const char    *proxy;                 /**< NULL: libcurl's environment rules; "": no proxy */
    const char    *ca_path;               /**< CA bundle file; NULL: system default */
    uint64_t       seed;                  /**< jitter RNG seed; 0 = from the clock */
    /* routing and resilience (docs/resilience.md §b.1 for the defaults) */
    int            routing_strategy;      /**< LLMGW_ROUTING_* (0: simple-shuffle) */
    unsigned int   max_fallbacks;         /**< fallback groups tried per request (3, at most 5) */
    unsigned int   allowed_fails;         /**< consecutive failures that open a breaker (5) */
    int64_t        cooldown_ms;           /**< base open time of a breaker (30000) */
    int            breaker_disabled;      /**< non-zero: no circuit breaking */
    int            retry_budget_percent;  /**< retries allowed per 10 s window, % of requests (10) */
    /**
     * > 0: when a request's first attempt has delivered nothing (no stream event; not streaming: no answer)
     * after this many ms, the same request starts on another deployment of the group; the first to answer
     * wins and the other is cancelled, staying in the trail with its billed usage. One hedge per request, on
     * its first attempt only; it counts against max_attempts and the retry budget. 0: off. docs/hedging.md.
     */
    int64_t        hedge_after_ms;
    int            drop_params;           /**< drop what a provider cannot express, for every request */
    /* the response cache (an in-memory LRU unless a backend is set) */
    int            cache_enabled;         /**< non-zero: answers are cached */
    int64_t        cache_ttl_ms;          /**< default time to live (3600000, at most 86400000) */
    size_t         cache_max_bytes;       /**< LRU budget (64 MiB) */
    size_t         cache_max_entry_bytes; /**< largest cached answer (1 MiB) */
    const char    *cache_namespace;       /**< tenant namespace when a request gives none ("") */
    int            cache_require_namespace; /**< multi-tenant: a request without a namespace fails */
    /* prices and budgets */
    const char    *prices_path;           /**< LiteLLM-format price file over the built-in table (NULL: none) */
    int            tag_filtering;         /**< non-zero: requests only reach deployments sharing a tag */
    /* LLMGW_GATEWAY_OPTIONS_VERSION 2 fields go below this line */
} llmgw_gateway_options;

/** Routing strategies (LiteLLM's names in comments). */
enum {
    LLMGW_ROUTING_SIMPLE_SHUFFLE = 0, /**< "simple-shuffle": weighted by weight, else rpm/tpm */
    LLMGW_ROUTING_LEAST_BUSY     = 1, /**< "least-busy": fewest requests in flight */
    LLMGW_ROUTING_LATENCY        = 2, /**< "latency-based-routing": lowest EWMA latency per token */
    LLMGW_ROUTING_USAGE          = 3, /**< "usage-based-routing": most rpm/tpm headroom */
    LLMGW_ROUTING_COST           = 4  /**< "cost-based-routing": cheapest by price */
};

/** Fallback kinds. */
enum {
    LLMGW_FALLBACK_DEFAULT        = 0, /**< "fallbacks": any failure that may fail over */
    LLMGW_FALLBACK_CONTEXT_WINDOW = 1, /**< "context_window_fallbacks": only to groups that fit */
    LLMGW_FALLBACK_CONTENT_POLICY = 2  /**< "content_policy_fallbacks": only on content_policy */
};

#define LLMGW_GATEWAY_OPTIONS_VERSION 1
/* Designated in C (no -Wmissing-field-initializers noise); C++ code may prefer the _init() function. */
#ifdef __cplusplus
#  define LLMGW_GATEWAY_OPTIONS_INIT { LLMGW_GATEWAY_OPTIONS_VERSION }
#else
#  define LLMGW_GATEWAY_OPTIONS_INIT { .version = LLMGW_GATEWAY_OPTIONS_VERSION }
#endif

/** Fill opts with defaults; the twin of LLMGW_GATEWAY_OPTIONS_INIT for FFI. */
LLMGW_API int llmgw_gateway_options_init(llmgw_gateway_options *opts, unsigned int version);

/**
 * Create a gateway with no deployments. opts may be NULL (defaults); strings
 * in it are copied. On failure *out is NULL.
 */
LLMGW_API int llmgw_gateway_new(llmgw_gateway **out, const llmgw_gateway_options *opts);

/** Free a gateway and everything it owns; NULL is a harmless no-op. */
LLMGW_API void llmgw_gateway_free(llmgw_gateway *gw);

/** One deployment: a provider, a model, a base URL and a credential. */
typedef struct llmgw_deployment_options {
    unsigned int version;            /**< LLMGW_DEPLOYMENT_OPTIONS_VERSION */
    const char  *group;              /**< alias callers ask for ("smart"); NULL: the model id */
    const char  *model;              /**< "provider/model", or a bare model with provider set */
    const char  *provider;           /**< provider id; NULL: the prefix of model */
    const char  *api_base;           /**< base URL in the vendor SDK's convention; NULL: default */
    const char  *api_key;            /**< NULL: the vendor's env var (read now) */
    const char  *api_version;        /**< Azure api-version, Anthropic version ... */
    const char  *organization;       /**< OpenAI organization */
    const char  *id;                 /**< deployment id; NULL: derived from provider, base, model, key */
    const char  *region;             /**< AWS region */
    const char  *aws_access_key_id;
    const char  *aws_secret_access_key;
    const char  *aws_session_token;
    int          weight;             /**< shuffle weight (0 = 1) */
    int          order;              /**< priority inside the group, lower first (0 = none) */
    int64_t      rpm;                /**< requests per minute limit (0 = none) */
    int64_t      tpm;                /**< tokens per minute limit (0 = none) */
    int          max_parallel_requests; /**< in-flight limit (0 = none) */
    int64_t      timeout_ms;         /**< per-attempt timeout (0 = gateway's) */
    int64_t      stream_timeout_ms;  /**< per-attempt timeout for streams (0 = gateway's) */
    int64_t      max_input_tokens;   /**< context window (0 = from the price table) */
    int          custom_prices;      /**< non-zero: the two prices below apply */
    double       input_cost_per_token;   /**< USD */
    double       output_cost_per_token;  /**< USD */
    /** Provider-specific settings as a JSON object (LiteLLM's extra litellm_params), or NULL. */
    const char  *params_json;
    /** Tags for tag routing (LiteLLM's litellm_params.tags); "default" serves untagged requests. */
    const char *const *tags;
    size_t       tag_count;
    /* LLMGW_DEPLOYMENT_OPTIONS_VERSION 2 fields go below this line */
} llmgw_deployment_options;

#define LLMGW_DEPLOYMENT_OPTIONS_VERSION 1
/* Designated in C (no -Wmissing-field-initializers noise); C++ code may prefer the _init() function. */
#ifdef __cplusplus
#  define LLMGW_DEPLOYMENT_OPTIONS_INIT { LLMGW_DEPLOYMENT_OPTIONS_VERSION }
#else
#  define LLMGW_DEPLOYMENT_OPTIONS_INIT { .version = LLMGW_DEPLOYMENT_OPTIONS_VERSION }
#endif

LLMGW_API int llmgw_deployment_options_init(llmgw_deployment_options *opts, unsigned int version);

/**
 * Add a deployment to its group (creating the group). Strings are copied;
 * keys are zeroized when the gateway is freed. Thread-safe.
 */
LLMGW_API int llmgw_gateway_add_deployment(llmgw_gateway *gw, const llmgw_deployment_options *opts);

/**
 * When group `from` fails (after its own retries), try group `to`; several
 * calls add targets in order. Thread-safe.
 */
LLMGW_API int llmgw_gateway_add_fallback(llmgw_gateway *gw, int kind, const char *from, const char *to);

/** Let callers ask for `alias` and get group `group` (LiteLLM's model_group_alias). */
LLMGW_API int llmgw_gateway_add_alias(llmgw_gateway *gw, const char *alias, const char *group);

/**
 * Retries of the same deployment allowed for one error class (LiteLLM's
 * retry_policy); -1 restores the default of docs/resilience.md §b.2.
 * Classes that are never retried (auth, quota, bad_request ...) stay so.
 */
LLMGW_API int llmgw_gateway_set_retry_policy(llmgw_gateway *gw, int error_class, int retries);

/** What a budget applies to. */
enum {
    LLMGW_BUDGET_CUSTOMER = 0,   /**< requests whose customer is `name` */
    LLMGW_BUDGET_TAG      = 1,   /**< requests carrying tag `name` */
    LLMGW_BUDGET_GLOBAL   = 2,   /**< every request of the gateway: one budget per period, named by it (below) */
    LLMGW_BUDGET_DEFAULTS = -1   /**< llmgw_gateway_set_budget_alerts() only: every budget without its own */
};

/** When a budget's spend starts again from zero (UTC). */
enum {
    LLMGW_PERIOD_TOTAL   = 0,
    LLMGW_PERIOD_DAILY   = 1,
    LLMGW_PERIOD_MONTHLY = 2
};

/**
 * Set (or replace) a spend limit in USD for a customer, a tag, or every
 * request. Before a request is sent, its estimated cost is reserved against
 * every budget it falls under; a request that would exceed one fails with
 * LLMGW_EBUDGET (class budget_exceeded) before any provider is called; the
 * actual cost settles the reservation afterwards. Money is kept in integer
 * nano-USD.
 *
 * LLMGW_BUDGET_GLOBAL: name is NULL or "" (or the period's own name); the
 * gateway holds at most one such budget per period, named "total", "daily"
 * or "monthly", and setting one replaces the one of the same period. The
 * other calls below find a global budget by that name, or by NULL / "" when
 * only one is set (LLMGW_EINVAL when several are).
 */
LLMGW_API int llmgw_gateway_set_budget(llmgw_gateway *gw, int scope, const char *name, double max_usd, int period);

/** A budget's state. */
typedef struct llmgw_budget_status {
    unsigned int version;        /**< 1 */
    int64_t      limit_nusd;
    int64_t      spent_nusd;     /**< settled in the current period */
    int64_t      reserved_nusd;  /**< held by requests in flight */
    int          period;         /**< LLMGW_PERIOD_* */
    int64_t      period_start;   /**< Unix seconds */
} llmgw_budget_status;

/** LLMGW_ENOTFOUND when no such budget is set. */
LLMGW_API int llmgw_gateway_budget_status(llmgw_gateway *gw, int scope, const char *name, llmgw_budget_status *out);

/** Most alert thresholds a budget may have. */
#define LLMGW_BUDGET_ALERTS_MAX 8

#define LLMGW_BUDGET_ALERT_VERSION 1

/**
 * A budget alert: the spend settled in a budget's period reached one of its
 * thresholds. Library-owned, read-only, valid during the callback only;
 * grows at the end (check version). docs/cost.md §8.
 */
typedef struct llmgw_budget_alert {
    unsigned int version;             /**< LLMGW_BUDGET_ALERT_VERSION */
    int          scope;               /**< LLMGW_BUDGET_CUSTOMER, _TAG or _GLOBAL */
    const char  *name;                /**< the customer, the tag, or "total" / "daily" / "monthly" */
    int          period;              /**< LLMGW_PERIOD_* */
    int64_t      period_start;        /**< Unix seconds, UTC (0 for a total budget) */
    int64_t      period_end;          /**< when the spend starts again from zero (0: never) */
    double       threshold;           /**< the fraction of the limit reached (0.8) */
    int64_t      limit_nusd;
    int64_t      spent_nusd;          /**< settled in this period, this request included */
    int64_t      remaining_nusd;      /**< limit - spent, never below 0 */
    int64_t      now;                 /**< Unix seconds (the gateway's clock) */
    /**
     * When the limit will be reached at the period's spend rate so far
     * (spent / seconds since the period started, or for a total budget
     * since it was set in this process): Unix seconds, rounded up; now when
     * already reached; -1 when nothing was spent. May lie past period_end.
     */
    int64_t      projected_exhaustion;
    int          shared;              /**< 1: the figures are the fleet's, from Redis */
} llmgw_budget_alert;

/**
 * Called once per budget, period and threshold (across every thread, and
 * across every process when budgets are shared through Redis and Redis
 * answers). It runs on the thread whose request settled the spend, inside
 * llmgw_complete*() before that request's usage hook, with no llmgw lock
 * held: it may call the gateway (status, set_budget), but should return
 * quickly, since that request waits for it.
 */
typedef void (*llmgw_budget_alert_cb)(const llmgw_budget_alert *alert, void *userdata);

/** Set the budget alert hook (NULL: none). Thread-safe. */
LLMGW_API int llmgw_gateway_on_budget_alert(llmgw_gateway *gw, llmgw_budget_alert_cb cb, void *userdata);

/**
 * The thresholds (fractions of the limit, each in (0, 4], at most
 * LLMGW_BUDGET_ALERTS_MAX) at which a budget alerts; by default 0.5, 0.8
 * and 1.0. For one budget (LLMGW_ENOTFOUND when it is not set): fractions
 * NULL goes back to the gateway's defaults, n 0 silences it. For scope
 * LLMGW_BUDGET_DEFAULTS (name ignored): the defaults themselves (NULL:
 * 0.5, 0.8, 1.0; n 0: no alerts). A threshold already fired in the current
 * period does not fire again after a change. Thread-safe.
 */
LLMGW_API int llmgw_gateway_set_budget_alerts(llmgw_gateway *gw, int scope, const char *name,
                                              const double *fractions, size_t n);

/**
 * Routing rules, evaluated in order before a group is resolved: the first
 * whose condition holds sends the request to its target group. The
 * condition is JSON (docs/routing.md): {"field": {"op": value}} leaves with
 * fields customer, tags, model, input_tokens, max_tokens, has_images,
 * has_tools, json_mode, metadata.<key>, params.<name>, url.pathname, and ops
 * eq, ne, in, nin, prefix, lt, lte, gt, gte, exists, regex (a linear-time
 * subset of JavaScript's RegExp), length (of an array parameter); several
 * ops on one field must all hold; combined with {"all": [...]},
 * {"any": [...]}, {"not": {...}}; {} always holds. The target must be a
 * known group (or provider/model). Thread-safe.
 */
LLMGW_API int llmgw_gateway_add_rule(llmgw_gateway *gw, const char *name, const char *condition_json,
                                     const char *target);

/**
 * A task-complexity classifier: returns the group a request should go to,
 * or NULL to leave it alone. Runs after the rules when none matched. The
 * returned string must stay valid until the next call on that thread.
 */
typedef const char *(*llmgw_classifier_cb)(const llmgw_request *req, void *userdata);
LLMGW_API int llmgw_gateway_set_classifier(llmgw_gateway *gw, llmgw_classifier_cb cb, void *userdata);

/**
 * The built-in heuristic classifier (off by default): requests scoring as
 * complex (long input, code blocks, tools, images, a deep conversation) go
 * to `complex_group`, the rest to `simple_group`. NULL groups turn it off.
 */
LLMGW_API int llmgw_gateway_use_builtin_classifier(llmgw_gateway *gw, const char *simple_group,
                                                   const char *complex_group);

/**
 * The gateway's configuration as JSON: groups with their deployments (id,
 * provider, model, api_base, weight, order, limits, tags, health), aliases,
 * fallbacks and rule names. Never a key.
 */
LLMGW_API int llmgw_gateway_describe(llmgw_buf *out, llmgw_gateway *gw);

/**
 * The models the gateway can price, as a JSON array (its price file's
 * entries, then the built-in table's not already listed): each with "id"
 * ("provider/model"), "provider", "max_input_tokens", "max_output_tokens"
 * (null when unknown), USD per million tokens as exact decimals
 * ("input_usd_per_mtok", "output_usd_per_mtok", "cache_read_usd_per_mtok",
 * "cache_creation_usd_per_mtok", null when none) and "source" ("file",
 * "builtin").
 */
LLMGW_API int llmgw_gateway_models_json(llmgw_buf *out, llmgw_gateway *gw);

/**
 * The price a model is billed at, as JSON. For a group (or alias): an
 * object {"group", "deployments": [{"id", "provider", "model", "price"}]}
 * with each deployment's price (its own, the file's or the built-in
 * table's; null when unknown). For "provider/model" or a bare model: the
 * price record found (same members as llmgw_gateway_models_json() plus
 * long-context tier rates). LLMGW_ENOTFOUND when nothing prices it.
 */
LLMGW_API int llmgw_gateway_price_json(llmgw_buf *out, llmgw_gateway *gw, const char *model);

/** Number of deployments in a group (0 when the group is unknown). */
LLMGW_API size_t llmgw_gateway_group_size(llmgw_gateway *gw, const char *group);

/**
 * Complete a request, blocking until the answer or the final error.
 * Thread-safe on gw. On success *out holds the response (free it with
 * llmgw_response_free()); on failure *out is NULL and llmgw_error_last()
 * holds the error with its attempt trail.
 */
LLMGW_API int llmgw_complete(llmgw_gateway *gw, const llmgw_request *req, llmgw_response **out);

LLMGW_END_DECLS

#endif
