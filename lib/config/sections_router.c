/*
 * lib/config/sections_router.c: litellm_settings and router_settings, and
 * the gateway options and settings they set (routes.c reads the keys that
 * name model groups, once the model list is loaded).
 */
#include "../core/common.h"
#include "../core/errors.h"
#include "../core/gateway.h"
#include "loader.h"

#define HARD_MAX_ATTEMPTS 10   /* lib/core/gateway.c clamps max_attempts to this */
#define MAX_FALLBACKS     5

static const char hooks_in_code[] = "llmgw's hooks (log_cb, usage_cb) are set in code";
static const char log_hook[] = "llmgw logs through the log hook";

static const llmgw__cfg_key litellm_keys[] = {
    { "cache", LLMGW__KEY_USED, NULL },
    { "cache_params", LLMGW__KEY_USED, NULL },
    { "num_retries", LLMGW__KEY_USED, NULL },
    { "request_timeout", LLMGW__KEY_USED, NULL },
    { "drop_params", LLMGW__KEY_USED, NULL },
    { "max_budget", LLMGW__KEY_USED, NULL },
    { "budget_duration", LLMGW__KEY_USED, NULL },
    { "callbacks", LLMGW__KEY_WARN, hooks_in_code },
    { "success_callback", LLMGW__KEY_WARN, hooks_in_code },
    { "failure_callback", LLMGW__KEY_WARN, hooks_in_code },
    { "service_callback", LLMGW__KEY_WARN, hooks_in_code },
    { "input_callback", LLMGW__KEY_WARN, hooks_in_code },
    { "set_verbose", LLMGW__KEY_INFO, log_hook },
    { "json_logs", LLMGW__KEY_INFO, log_hook },
    { "turn_off_message_logging", LLMGW__KEY_INFO, "llmgw never logs message content" },
    { "redact_user_api_key_info", LLMGW__KEY_INFO, "llmgw never logs keys" },
    { "telemetry", LLMGW__KEY_INFO, "llmgw sends no telemetry" },
    { "enable_preview_features", LLMGW__KEY_INFO, "no effect in llmgw" },
    { "modify_params", LLMGW__KEY_WARN, "llmgw does not rewrite messages for a provider" },
    { "ssl_verify", LLMGW__KEY_WARN, "llmgw always verifies TLS (llmgw_settings.ca_path for a private CA)" },
    { "ssl_certificate", LLMGW__KEY_WARN, "use llmgw_settings.ca_path" },
    { NULL, 0, NULL }
};

static const llmgw__cfg_key cache_params_keys[] = {
    { "type", LLMGW__KEY_USED, NULL },
    { "host", LLMGW__KEY_USED, NULL },
    { "port", LLMGW__KEY_USED, NULL },
    { "password", LLMGW__KEY_USED, NULL },
    { "username", LLMGW__KEY_USED, NULL },
    { "url", LLMGW__KEY_USED, NULL },
    { "redis_url", LLMGW__KEY_USED, NULL },
    { "ssl", LLMGW__KEY_USED, NULL },
    { "db", LLMGW__KEY_USED, NULL },
    { "ttl", LLMGW__KEY_USED, NULL },
    { "namespace", LLMGW__KEY_USED, NULL },
    { "mode", LLMGW__KEY_USED, NULL },
    { "supported_call_types", LLMGW__KEY_INFO, "llmgw caches chat completions" },
    { "default_in_memory_ttl", LLMGW__KEY_INFO, "one ttl applies (cache_params.ttl)" },
    { "default_in_redis_ttl", LLMGW__KEY_INFO, "one ttl applies (cache_params.ttl)" },
    { "max_connections", LLMGW__KEY_INFO, "llmgw keeps one Redis connection per thread" },
    { "similarity_threshold", LLMGW__KEY_WARN, "semantic caching is not supported" },
    { NULL, 0, NULL }
};

static const llmgw__cfg_key router_keys[] = {
    { "routing_strategy", LLMGW__KEY_USED, NULL },
    { "num_retries", LLMGW__KEY_USED, NULL },
    { "retry_policy", LLMGW__KEY_USED, NULL },
    { "timeout", LLMGW__KEY_USED, NULL },
    { "stream_timeout", LLMGW__KEY_USED, NULL },
    { "fallbacks", LLMGW__KEY_USED, NULL },
    { "context_window_fallbacks", LLMGW__KEY_USED, NULL },
    { "content_policy_fallbacks", LLMGW__KEY_USED, NULL },
    { "default_fallbacks", LLMGW__KEY_USED, NULL },
    { "max_fallbacks", LLMGW__KEY_USED, NULL },
    { "allowed_fails", LLMGW__KEY_USED, NULL },
    { "cooldown_time", LLMGW__KEY_USED, NULL },
    { "disable_cooldowns", LLMGW__KEY_USED, NULL },
    { "model_group_alias", LLMGW__KEY_USED, NULL },
    { "redis_host", LLMGW__KEY_USED, NULL },
    { "redis_port", LLMGW__KEY_USED, NULL },
    { "redis_password", LLMGW__KEY_USED, NULL },
    { "redis_url", LLMGW__KEY_USED, NULL },
    { "cache_responses", LLMGW__KEY_USED, NULL },
    { "enable_tag_filtering", LLMGW__KEY_USED, NULL },
    { "enable_pre_call_checks", LLMGW__KEY_INFO, "llmgw always skips deployments whose context window is too small" },
    { "optional_pre_call_checks", LLMGW__KEY_INFO, "llmgw's pre-call checks are built in" },
    { "routing_strategy_args", LLMGW__KEY_WARN, "strategy tuning is not configurable" },
    { "retry_after", LLMGW__KEY_WARN, "llmgw's backoff is fixed (docs/resilience.md)" },
    { "allowed_fails_policy", LLMGW__KEY_WARN, "per-class breaker thresholds are not supported; allowed_fails applies" },
    { "model_group_retry_policy", LLMGW__KEY_WARN, "retry policies are gateway-wide (retry_policy)" },
    { "provider_budget_config", LLMGW__KEY_WARN, "provider budgets are not supported" },
    { "set_verbose", LLMGW__KEY_INFO, log_hook },
    { "debug_level", LLMGW__KEY_INFO, log_hook },
    { "client_ttl", LLMGW__KEY_INFO, "llmgw caches no SDK clients" },
    { NULL, 0, NULL }
};

/* num_retries N: N + 1 attempts, failovers included; llmgw stops at 10. */
static int num_retries(llmgw__cfg *c, const cJSON *obj)
{
    int64_t n = 0;
    int rc = llmgw__cfg_int(c, obj, "num_retries", 0, 1000, &n);

    if (rc <= 0)
        return rc;
    if (n + 1 > HARD_MAX_ATTEMPTS) {
        llmgw__cfg_log_at(c, LLMGW_LOG_WARN, "num_retries", "llmgw makes at most %d attempts per request "
                          "(failovers included); using %d", HARD_MAX_ATTEMPTS, HARD_MAX_ATTEMPTS);
        n = HARD_MAX_ATTEMPTS - 1;
    }
    c->opts.max_attempts = (unsigned int)n + 1;
    return 1;
}

/* max_budget (+ budget_duration): a budget for every request (LLMGW_BUDGET_GLOBAL). */
static int litellm_budget(llmgw__cfg *c, const cJSON *s)
{
    double usd = 0;
    const char *dur = NULL;
    int period = LLMGW_PERIOD_TOTAL;
    int rc = llmgw__cfg_number(c, s, "max_budget", 1e-9, 1e9, &usd);

    LLMGW_TRY(rc);
    LLMGW_TRY(llmgw__cfg_string(c, s, "budget_duration", 0, &dur));
    if (rc == 0) {
        if (dur != NULL)
            llmgw__cfg_log_at(c, LLMGW_LOG_WARN, "budget_duration", "ignored without max_budget");
        return 0;
    }
    if (dur != NULL)
        LLMGW_TRY(llmgw__cfg_budget_period(c, "budget_duration", dur, &period));
    return llmgw__cfg_global_budget(c, "max_budget", usd, period);
}

static int cache_type(llmgw__cfg *c, const cJSON *p)
{
    const char *t = NULL;
    char shown[80];
    int rc = llmgw__cfg_string(c, p, "type", 0, &t);

    if (rc <= 0)
        return rc;
    if (strcmp(t, "local") == 0 || strcmp(t, "in-memory") == 0)
        c->settings->cache.type = LLMGW__CACHE_LOCAL;
    else if (strcmp(t, "redis") == 0)
        c->settings->cache.type = LLMGW__CACHE_REDIS;
    else
        return llmgw__cfg_error_at(c, "type", "cache type %s is not supported: llmgw caches in memory (local) or "
                                   "in Redis (redis); LiteLLM's semantic, s3, gcs and disk caches are not",
                                   llmgw__cfg_show(c, t, shown, sizeof(shown)));
    return 1;
}

static int cache_params(llmgw__cfg *c, const cJSON *p)
{
    llmgw__cache_settings *cs = &c->settings->cache;
    const char *ns = NULL, *mode = NULL;
    char shown[80];
    int rc;

    LLMGW_TRY(llmgw__cfg_check_keys(c, p, cache_params_keys, NULL));
    LLMGW_TRY(cache_type(c, p));
    if ((rc = llmgw__cfg_seconds(c, p, "ttl", false, &c->opts.cache_ttl_ms)) > 0 && c->opts.cache_ttl_ms > 86400000)
        return llmgw__cfg_error_at(c, "ttl", "at most 86400 seconds (one day)");
    LLMGW_TRY(rc);
    LLMGW_TRY(llmgw__cfg_string(c, p, "namespace", 0, &ns));
    if (ns != NULL) {
        if (strlen(ns) > 256)
            return llmgw__cfg_error_at(c, "namespace", "must be at most 256 bytes");
        LLMGW_TRY(llmgw__settings_set_str(&cs->namespace_name, ns, false));
        c->opts.cache_namespace = cs->namespace_name;
    }
    LLMGW_TRY(llmgw__cfg_string(c, p, "mode", 0, &mode));
    if (mode != NULL) {
        if (strcmp(mode, "default_off") == 0)
            cs->default_off = true;
        else if (strcmp(mode, "default_on") == 0)
            cs->default_off = false;
        else
            return llmgw__cfg_error_at(c, "mode", "unknown cache mode %s (default_on or default_off)",
                                       llmgw__cfg_show(c, mode, shown, sizeof(shown)));
    }
    LLMGW_TRY(llmgw__cfg_redis_field(c, p, "host", "host"));
    LLMGW_TRY(llmgw__cfg_redis_field(c, p, "port", "port"));
    LLMGW_TRY(llmgw__cfg_redis_field(c, p, "password", "password"));
    LLMGW_TRY(llmgw__cfg_redis_field(c, p, "username", "username"));
    LLMGW_TRY(llmgw__cfg_redis_field(c, p, "url", "url"));
    LLMGW_TRY(llmgw__cfg_redis_field(c, p, "redis_url", "url"));
    LLMGW_TRY(llmgw__cfg_redis_field(c, p, "ssl", "tls"));
    LLMGW_TRY(llmgw__cfg_redis_field(c, p, "db", "db"));
    return 0;
}

int llmgw__cfg_litellm_settings(llmgw__cfg *c)
{
    const cJSON *s = c->litellm, *p = NULL;
    llmgw__cfg_mark mark;
    bool b;
    int rc;

    if (s == NULL)
        return 0;
    mark = llmgw__cfg_push_key(c, c->litellm_key);
    rc = llmgw__cfg_check_keys(c, s, litellm_keys, NULL);
    if (rc == 0 && (rc = llmgw__cfg_bool(c, s, "cache", &b)) > 0)
        c->opts.cache_enabled = b;
    if (rc >= 0 && (rc = llmgw__cfg_object(c, s, "cache_params", &p)) > 0) {
        llmgw__cfg_mark m2 = llmgw__cfg_push_key(c, "cache_params");
        rc = cache_params(c, p);
        llmgw__cfg_pop(c, m2);
        if (rc == 0 && !c->opts.cache_enabled)
            llmgw__cfg_log_at(c, LLMGW_LOG_WARN, "cache_params", "given, but cache is not true: caching stays off");
    }
    if (rc >= 0)
        rc = num_retries(c, s);
    if (rc >= 0)
        rc = llmgw__cfg_seconds(c, s, "request_timeout", false, &c->opts.deadline_ms);
    if (rc >= 0 && (rc = llmgw__cfg_bool(c, s, "drop_params", &b)) > 0)
        c->opts.drop_params = b;
    if (rc >= 0)
        rc = litellm_budget(c, s);
    llmgw__cfg_pop(c, mark);
    return rc < 0 ? rc : 0;
}

static int routing_strategy(llmgw__cfg *c, const cJSON *r)
{
    static const struct { const char *name; int id; } names[] = {
        { "simple-shuffle", LLMGW_ROUTING_SIMPLE_SHUFFLE },
        { "least-busy", LLMGW_ROUTING_LEAST_BUSY },
        { "latency-based-routing", LLMGW_ROUTING_LATENCY },
        { "usage-based-routing", LLMGW_ROUTING_USAGE },
        { "usage-based-routing-v2", LLMGW_ROUTING_USAGE },
        { "cost-based-routing", LLMGW_ROUTING_COST },
    };
    const char *s = NULL;
    char shown[80];
    size_t i;
    int rc = llmgw__cfg_string(c, r, "routing_strategy", 0, &s);

    if (rc <= 0)
        return rc;
    for (i = 0; i < LLMGW_ARRAY_SIZE(names); i++) {
        if (strcmp(s, names[i].name) == 0) {
            c->opts.routing_strategy = names[i].id;
            return 1;
        }
    }
    return llmgw__cfg_error_at(c, "routing_strategy", "unknown routing strategy %s (simple-shuffle, least-busy, "
                               "latency-based-routing, usage-based-routing, usage-based-routing-v2, "
                               "cost-based-routing)", llmgw__cfg_show(c, s, shown, sizeof(shown)));
}

static int router_options(llmgw__cfg *c, const cJSON *r)
{
    int64_t n = 0, ms = 0;
    bool b;
    int rc;

    LLMGW_TRY(routing_strategy(c, r));
    LLMGW_TRY(num_retries(c, r));
    LLMGW_TRY(llmgw__cfg_seconds(c, r, "timeout", false, &c->opts.deadline_ms));
    LLMGW_TRY(llmgw__cfg_seconds(c, r, "stream_timeout", false, &c->default_stream_timeout_ms));
    if ((rc = llmgw__cfg_int(c, r, "max_fallbacks", 0, 1000, &n)) > 0) {
        if (n > MAX_FALLBACKS) {
            llmgw__cfg_log_at(c, LLMGW_LOG_WARN, "max_fallbacks", "llmgw tries at most %d fallback groups; "
                              "using %d", MAX_FALLBACKS, MAX_FALLBACKS);
            n = MAX_FALLBACKS;
        }
        c->opts.max_fallbacks = (unsigned int)n;
    }
    LLMGW_TRY(rc);
    /* LiteLLM cools a deployment down when its failures exceed allowed_fails */
    if ((rc = llmgw__cfg_int(c, r, "allowed_fails", 0, 1000000, &n)) > 0)
        c->opts.allowed_fails = (unsigned int)n + 1;
    LLMGW_TRY(rc);
    /* cooldown_time: 0 is LiteLLM's "use the default", as here */
    if ((rc = llmgw__cfg_seconds(c, r, "cooldown_time", true, &ms)) > 0)
        c->opts.cooldown_ms = ms;
    LLMGW_TRY(rc);
    if ((rc = llmgw__cfg_bool(c, r, "disable_cooldowns", &b)) > 0)
        c->opts.breaker_disabled = b;
    LLMGW_TRY(rc);
    if ((rc = llmgw__cfg_bool(c, r, "cache_responses", &b)) > 0)
        c->opts.cache_enabled = b;
    LLMGW_TRY(rc);
    if ((rc = llmgw__cfg_bool(c, r, "enable_tag_filtering", &b)) > 0)
        c->opts.tag_filtering = b;
    LLMGW_TRY(rc);
    LLMGW_TRY(llmgw__cfg_redis_field(c, r, "redis_host", "host"));
    LLMGW_TRY(llmgw__cfg_redis_field(c, r, "redis_port", "port"));
    LLMGW_TRY(llmgw__cfg_redis_field(c, r, "redis_password", "password"));
    LLMGW_TRY(llmgw__cfg_redis_field(c, r, "redis_url", "url"));
    if (llmgw__cfg_get(r, "retry_policy") != NULL && !cJSON_IsObject(llmgw__cfg_get(r, "retry_policy")))
        return llmgw__cfg_error_at(c, "retry_policy", "must be a mapping of error class to retries");
    return 0;
}

int llmgw__cfg_router_settings(llmgw__cfg *c)
{
    llmgw__cfg_mark mark;
    int rc;

    if (c->router == NULL)
        return 0;
    mark = llmgw__cfg_push_key(c, "router_settings");
    rc = llmgw__cfg_check_keys(c, c->router, router_keys, NULL);
    if (rc == 0)
        rc = router_options(c, c->router);
    llmgw__cfg_pop(c, mark);
    return rc;
}
