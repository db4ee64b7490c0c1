/*
 * lib/config/sections_llmgw.c: llmgw_settings, the section that is ours
 * (gateway options LiteLLM has no name for, prices, the usage log, cache
 * sizes, Redis, budgets), the Redis fields every section shares, budgets,
 * and the checks across sections.
 */
#include "../core/common.h"
#include "../core/errors.h"
#include "loader.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define MAX_MS    1000000000    /* about 11.5 days */
#define MAX_BYTES ((int64_t)1 << 40)

static const llmgw__cfg_key ours_keys[] = {
    { "deadline_ms", LLMGW__KEY_USED, NULL },
    { "connect_timeout_ms", LLMGW__KEY_USED, NULL },
    { "first_byte_timeout_ms", LLMGW__KEY_USED, NULL },
    { "idle_timeout_ms", LLMGW__KEY_USED, NULL },
    { "attempt_timeout_ms", LLMGW__KEY_USED, NULL },
    { "max_response_bytes", LLMGW__KEY_USED, NULL },
    { "max_stream_bytes", LLMGW__KEY_USED, NULL },
    { "max_sse_line_bytes", LLMGW__KEY_USED, NULL },
    { "max_headers", LLMGW__KEY_USED, NULL },
    { "max_header_bytes", LLMGW__KEY_USED, NULL },
    { "max_attempts", LLMGW__KEY_USED, NULL },
    { "pool_size", LLMGW__KEY_USED, NULL },
    { "retry_budget_percent", LLMGW__KEY_USED, NULL },
    { "hedge_after_ms", LLMGW__KEY_USED, NULL },
    { "breaker_disabled", LLMGW__KEY_USED, NULL },
    { "proxy", LLMGW__KEY_USED, NULL },
    { "ca_path", LLMGW__KEY_USED, NULL },
    { "prices_path", LLMGW__KEY_USED, NULL },
    { "log", LLMGW__KEY_USED, NULL },
    { "cache", LLMGW__KEY_USED, NULL },
    { "redis", LLMGW__KEY_USED, NULL },
    { "budget", LLMGW__KEY_USED, NULL },
    { "budgets", LLMGW__KEY_USED, NULL },
    { "budget_alerts", LLMGW__KEY_USED, NULL },
    { "routing_rules", LLMGW__KEY_USED, NULL },
    { "classifier", LLMGW__KEY_USED, NULL },
    { "portkey_routing", LLMGW__KEY_USED, NULL },
    { NULL, 0, NULL }
};

/* ---- shared helpers ---- */

int llmgw__cfg_budget_period(llmgw__cfg *c, const char *key, const char *s, int *out)
{
    static const struct { const char *name; int period; } names[] = {
        { "total", LLMGW_PERIOD_TOTAL },
        { "day", LLMGW_PERIOD_DAILY }, { "daily", LLMGW_PERIOD_DAILY },
        { "1d", LLMGW_PERIOD_DAILY }, { "24h", LLMGW_PERIOD_DAILY },
        { "month", LLMGW_PERIOD_MONTHLY }, { "monthly", LLMGW_PERIOD_MONTHLY },
        { "1mo", LLMGW_PERIOD_MONTHLY }, { "30d", LLMGW_PERIOD_MONTHLY },
    };
    char shown[80];
    size_t i;

    for (i = 0; i < LLMGW_ARRAY_SIZE(names); i++) {
        if (strcmp(names[i].name, s) == 0) {
            *out = names[i].period;
            return 0;
        }
    }
    return llmgw__cfg_error_at(c, key, "unknown period %s: budgets reset daily (day, 1d, 24h), monthly "
                               "(month, 1mo, 30d, on the 1st, UTC) or never (total)",
                               llmgw__cfg_show(c, s, shown, sizeof(shown)));
}

int llmgw__cfg_global_budget(llmgw__cfg *c, const char *key, double usd, int period)
{
    (void)key;                  /* set on the gateway's ledger once it exists (llmgw__cfg_budgets) */
    return llmgw__settings_add_budget(c->settings, (int64_t)llround(usd * 1e9), period);
}

/* Replace a settings string, saying so when an earlier section had set another value. */
static int set_field(llmgw__cfg *c, const char *key, char **slot, const char *value, bool secret)
{
    if (*slot != NULL && strcmp(*slot, value) != 0)
        llmgw__cfg_log_at(c, LLMGW_LOG_WARN, key, "overrides a Redis setting given in an earlier section "
                          "(llmgw uses one Redis for all shared state)");
    return llmgw__settings_set_str(slot, value, secret);
}

static int redis_url(llmgw__cfg *c, const char *key, const char *url)
{
    llmgw__redis_settings *r = &c->settings->redis;

    if (strncmp(url, "redis://", 8) != 0 && strncmp(url, "rediss://", 9) != 0 && strncmp(url, "unix://", 7) != 0)
        return llmgw__cfg_error_at(c, key, "must be a redis://, rediss:// or unix:// URL");
    if (strncmp(url, "rediss://", 9) == 0)
        r->tls = true;
    return set_field(c, key, &r->url, url, true);
}

int llmgw__cfg_redis_field(llmgw__cfg *c, const cJSON *obj, const char *key, const char *field)
{
    llmgw__redis_settings *r = &c->settings->redis;
    const char *s = NULL;
    int64_t n = 0;
    bool b;
    int rc;

    if (strcmp(field, "port") == 0 || strcmp(field, "db") == 0) {
        bool port = field[0] == 'p';
        if ((rc = llmgw__cfg_int(c, obj, key, port ? 1 : 0, port ? 65535 : 65535, &n)) > 0) {
            if (port)
                r->port = (int)n;
            else
                r->db = (int)n;
        }
        return rc < 0 ? rc : 0;
    }
    if (strcmp(field, "tls") == 0) {
        if ((rc = llmgw__cfg_bool(c, obj, key, &b)) > 0)
            r->tls = b;
        return rc < 0 ? rc : 0;
    }
    rc = llmgw__cfg_string(c, obj, key, strcmp(field, "host") == 0 ? 0 : LLMGW__CFG_SECRET, &s);
    if (rc <= 0)
        return rc;
    if (*s == '\0' || strlen(s) > 4096)
        return llmgw__cfg_error_at(c, key, "must be 1 to 4096 bytes");
    if (strcmp(field, "host") == 0)
        return set_field(c, key, &r->host, s, false);
    if (strcmp(field, "password") == 0)
        return set_field(c, key, &r->password, s, true);
    if (strcmp(field, "username") == 0)
        return set_field(c, key, &r->username, s, false);
    return redis_url(c, key, s);
}

/* A file path; a leading ~/ is the home directory. */
static int path_value(llmgw__cfg *c, const cJSON *obj, const char *key, char **slot)
{
    const char *s = NULL, *home;
    char *full;
    size_t n;
    int rc = llmgw__cfg_string(c, obj, key, 0, &s);

    if (rc <= 0)
        return rc;
    if (*s == '\0' || strlen(s) > 4096)
        return llmgw__cfg_error_at(c, key, "must be a path of 1 to 4096 bytes");
    if (strncmp(s, "~/", 2) != 0) {
        LLMGW_TRY(llmgw__settings_set_str(slot, s, false));
        return 1;
    }
    home = getenv("HOME");
    if (home == NULL || *home != '/')
        return llmgw__cfg_error_at(c, key, "starts with ~/ but HOME is not set to an absolute path");
    n = strlen(home) + strlen(s);
    if ((full = llmgw__malloc(n)) == NULL)
        return llmgw__error_oom();
    snprintf(full, n, "%s/%s", home, s + 2);
    llmgw__free(*slot);
    *slot = full;
    return 1;
}

/* ---- sections of llmgw_settings ---- */

static int log_section(llmgw__cfg *c, const cJSON *o)
{
    static const llmgw__cfg_key keys[] = {
        { "path", LLMGW__KEY_USED, NULL }, { "capture_content", LLMGW__KEY_USED, NULL }, { NULL, 0, NULL } };
    bool b;
    int rc;

    LLMGW_TRY(llmgw__cfg_check_keys(c, o, keys, NULL));
    LLMGW_TRY(path_value(c, o, "path", &c->settings->usage_log_path));
    if ((rc = llmgw__cfg_bool(c, o, "capture_content", &b)) > 0)
        c->settings->capture_content = b;
    return rc < 0 ? rc : 0;
}

static int cache_section(llmgw__cfg *c, const cJSON *o)
{
    static const llmgw__cfg_key keys[] = {
        { "max_bytes", LLMGW__KEY_USED, NULL }, { "max_entry_bytes", LLMGW__KEY_USED, NULL },
        { "require_namespace", LLMGW__KEY_USED, NULL }, { NULL, 0, NULL } };
    int64_t n = 0;
    bool b;
    int rc;

    LLMGW_TRY(llmgw__cfg_check_keys(c, o, keys, NULL));
    if ((rc = llmgw__cfg_int(c, o, "max_bytes", 1024, MAX_BYTES, &n)) > 0)
        c->opts.cache_max_bytes = (size_t)n;
    LLMGW_TRY(rc);
    if ((rc = llmgw__cfg_int(c, o, "max_entry_bytes", 1024, MAX_BYTES, &n)) > 0)
        c->opts.cache_max_entry_bytes = (size_t)n;
    LLMGW_TRY(rc);
    if (c->opts.cache_max_bytes && c->opts.cache_max_entry_bytes > c->opts.cache_max_bytes)
        return llmgw__cfg_error_at(c, "max_entry_bytes", "is larger than max_bytes");
    if ((rc = llmgw__cfg_bool(c, o, "require_namespace", &b)) > 0)
        c->opts.cache_require_namespace = b;
    return rc < 0 ? rc : 0;
}

static int redis_section(llmgw__cfg *c, const cJSON *o)
{
    static const llmgw__cfg_key keys[] = {
        { "host", LLMGW__KEY_USED, NULL }, { "port", LLMGW__KEY_USED, NULL },
        { "username", LLMGW__KEY_USED, NULL }, { "password", LLMGW__KEY_USED, NULL },
        { "url", LLMGW__KEY_USED, NULL }, { "db", LLMGW__KEY_USED, NULL }, { "tls", LLMGW__KEY_USED, NULL },
        { "key_prefix", LLMGW__KEY_USED, NULL }, { "connect_timeout_ms", LLMGW__KEY_USED, NULL },
        { "command_timeout_ms", LLMGW__KEY_USED, NULL }, { "secret", LLMGW__KEY_USED, NULL }, { NULL, 0, NULL } };
    static const char *const fields[] = { "host", "port", "username", "password", "url", "db", "tls" };
    llmgw__redis_settings *r = &c->settings->redis;
    const char *prefix = NULL, *secret = NULL;
    size_t i;

    LLMGW_TRY(llmgw__cfg_check_keys(c, o, keys, NULL));
    for (i = 0; i < LLMGW_ARRAY_SIZE(fields); i++)
        LLMGW_TRY(llmgw__cfg_redis_field(c, o, fields[i], fields[i]));
    LLMGW_TRY(llmgw__cfg_string(c, o, "key_prefix", 0, &prefix));
    if (prefix != NULL) {
        if (strlen(prefix) > 256 || strpbrk(prefix, " {}") != NULL)
            return llmgw__cfg_error_at(c, "key_prefix", "must be at most 256 bytes, without spaces or braces");
        LLMGW_TRY(llmgw__settings_set_str(&r->key_prefix, prefix, false));
    }
    LLMGW_TRY(llmgw__cfg_string(c, o, "secret", LLMGW__CFG_SECRET, &secret));
    if (secret != NULL) {
        if (*secret == '\0' || strlen(secret) > 4096)
            return llmgw__cfg_error_at(c, "secret", "must be 1 to 4096 bytes");
        LLMGW_TRY(llmgw__settings_set_str(&r->secret, secret, true));
    }
    LLMGW_TRY(llmgw__cfg_int(c, o, "connect_timeout_ms", 1, MAX_MS, &r->connect_timeout_ms));
    LLMGW_TRY(llmgw__cfg_int(c, o, "command_timeout_ms", 1, MAX_MS, &r->command_timeout_ms));
    return 0;
}

/*
 * alerts: [fractions of the limit] at obj[key]: 1 with out[0..*n) when
 * given (an empty list silences), 0 when absent. Checked again by the
 * ledger (llmgw_gateway_set_budget_alerts).
 */
static int alert_list(llmgw__cfg *c, const cJSON *obj, const char *key, double *out, size_t *n)
{
    const cJSON *list = NULL, *it;
    int rc = llmgw__cfg_array(c, obj, key, &list);

    *n = 0;
    if (rc <= 0)
        return rc;
    cJSON_ArrayForEach(it, list) {
        if (!cJSON_IsNumber(it) || !(it->valuedouble > 0) || it->valuedouble > 4)
            return llmgw__cfg_error_at(c, key, "must be a list of fractions of the limit in (0, 4] (0.8: 80 %%)");
        if (*n == LLMGW_BUDGET_ALERTS_MAX)
            return llmgw__cfg_error_at(c, key, "at most %d thresholds", LLMGW_BUDGET_ALERTS_MAX);
        out[(*n)++] = it->valuedouble;
    }
    return 1;
}

/* budget: {max_usd, max_usd_per_day, max_usd_per_month, alerts}: limits for every request. */
static int budget_section(llmgw__cfg *c, const cJSON *o)
{
    static const llmgw__cfg_key keys[] = {
        { "max_usd", LLMGW__KEY_USED, NULL }, { "max_usd_per_day", LLMGW__KEY_USED, NULL },
        { "max_usd_per_month", LLMGW__KEY_USED, NULL }, { "alerts", LLMGW__KEY_USED, NULL }, { NULL, 0, NULL } };
    static const int periods[] = { LLMGW_PERIOD_TOTAL, LLMGW_PERIOD_DAILY, LLMGW_PERIOD_MONTHLY };
    double alerts[LLMGW_BUDGET_ALERTS_MAX];
    size_t i, n;

    LLMGW_TRY(llmgw__cfg_check_keys(c, o, keys, NULL));
    for (i = 0; i < LLMGW_ARRAY_SIZE(periods); i++) {
        double usd = 0;
        int rc = llmgw__cfg_number(c, o, keys[i].name, 1e-9, 1e9, &usd);
        LLMGW_TRY(rc);
        if (rc > 0)
            LLMGW_TRY(llmgw__cfg_global_budget(c, keys[i].name, usd, periods[i]));
    }
    LLMGW_TRY(alert_list(c, o, "alerts", alerts, &n));        /* checked now, applied with the budgets */
    return 0;
}

/* budgets: [{customer | tag, max_usd, period, alerts}], set on the gateway's ledger. */
static int budget_entry(llmgw__cfg *c, const cJSON *o)
{
    static const llmgw__cfg_key keys[] = {
        { "customer", LLMGW__KEY_USED, NULL }, { "tag", LLMGW__KEY_USED, NULL },
        { "max_usd", LLMGW__KEY_USED, NULL }, { "period", LLMGW__KEY_USED, NULL },
        { "alerts", LLMGW__KEY_USED, NULL }, { NULL, 0, NULL } };
    const char *customer = NULL, *tag = NULL, *period = NULL;
    double usd = 0, alerts[LLMGW_BUDGET_ALERTS_MAX];
    size_t n = 0;
    int p = LLMGW_PERIOD_TOTAL, rc, has_alerts;

    if (!cJSON_IsObject(o))
        return llmgw__cfg_error(c, "must be a mapping (customer or tag, max_usd, period)");
    LLMGW_TRY(llmgw__cfg_check_keys(c, o, keys, NULL));
    LLMGW_TRY(llmgw__cfg_string(c, o, "customer", 0, &customer));
    LLMGW_TRY(llmgw__cfg_string(c, o, "tag", 0, &tag));
    if ((customer == NULL) == (tag == NULL))
        return llmgw__cfg_error(c, "give customer or tag (one of them)%s",
                                customer == NULL ? "; budgets for every request go in llmgw_settings.budget" : "");
    if ((rc = llmgw__cfg_number(c, o, "max_usd", 1e-9, 1e9, &usd)) == 0)
        return llmgw__cfg_error(c, "needs max_usd");
    LLMGW_TRY(rc);
    LLMGW_TRY(llmgw__cfg_string(c, o, "period", 0, &period));
    if (period != NULL)
        LLMGW_TRY(llmgw__cfg_budget_period(c, "period", period, &p));
    LLMGW_TRY(has_alerts = alert_list(c, o, "alerts", alerts, &n));
    rc = llmgw_gateway_set_budget(c->gw, customer ? LLMGW_BUDGET_CUSTOMER : LLMGW_BUDGET_TAG,
                                  customer ? customer : tag, usd, p);
    if (rc == 0 && has_alerts)
        rc = llmgw_gateway_set_budget_alerts(c->gw, customer ? LLMGW_BUDGET_CUSTOMER : LLMGW_BUDGET_TAG,
                                             customer ? customer : tag, alerts, n);
    return rc < 0 ? llmgw__cfg_error_wrap(c, rc) : 0;
}

/*
 * The budgets for every request (litellm_settings.max_budget,
 * llmgw_settings.budget: a later one of the same period replaces an
 * earlier one), with llmgw_settings.budget.alerts. Caller pushed
 * llmgw_settings.
 */
static int global_budgets(llmgw__cfg *c)
{
    const cJSON *o = c->ours ? llmgw__cfg_get(c->ours, "budget") : NULL;
    double alerts[LLMGW_BUDGET_ALERTS_MAX];
    size_t i, n = 0;
    int has_alerts = 0, rc = 0;

    if (cJSON_IsObject(o)) {
        llmgw__cfg_mark mark = llmgw__cfg_push_key(c, "budget");
        has_alerts = alert_list(c, o, "alerts", alerts, &n);
        llmgw__cfg_pop(c, mark);
        LLMGW_TRY(has_alerts);
    }
    for (i = 0; i < c->settings->nbudgets && rc == 0; i++) {
        const llmgw__budget *g = &c->settings->budgets[i];
        rc = llmgw_gateway_set_budget(c->gw, LLMGW_BUDGET_GLOBAL, NULL, (double)g->max_nusd / 1e9, g->period);
        if (rc == 0 && has_alerts)
            rc = llmgw_gateway_set_budget_alerts(c->gw, LLMGW_BUDGET_GLOBAL,
                                                 g->period == LLMGW_PERIOD_DAILY ? "daily"
                                                 : g->period == LLMGW_PERIOD_MONTHLY ? "monthly" : "total",
                                                 alerts, n);
    }
    return rc < 0 ? llmgw__cfg_error_wrap(c, rc) : 0;
}

int llmgw__cfg_budgets(llmgw__cfg *c)
{
    const cJSON *list = NULL, *it;
    double alerts[LLMGW_BUDGET_ALERTS_MAX];
    llmgw__cfg_mark mark;
    size_t i = 0, n = 0;
    int rc = 0;

    mark = llmgw__cfg_push_key(c, "llmgw_settings");
    /* budget_alerts: the thresholds of every budget without its own */
    if (c->ours != NULL && (rc = alert_list(c, c->ours, "budget_alerts", alerts, &n)) > 0 &&
        (rc = llmgw_gateway_set_budget_alerts(c->gw, LLMGW_BUDGET_DEFAULTS, NULL, alerts, n)) < 0)
        rc = llmgw__cfg_error_wrap(c, rc);
    if (rc >= 0)
        rc = global_budgets(c);
    if (rc >= 0 && c->ours != NULL && llmgw__cfg_get(c->ours, "budgets") != NULL &&
        (rc = llmgw__cfg_array(c, c->ours, "budgets", &list)) > 0) {
        llmgw__cfg_push_key(c, "budgets");
        rc = 0;
        cJSON_ArrayForEach(it, list) {
            llmgw__cfg_mark m2 = llmgw__cfg_push_index(c, i++);
            rc = budget_entry(c, it);
            llmgw__cfg_pop(c, m2);
            if (rc < 0)
                break;
        }
    }
    llmgw__cfg_pop(c, mark);
    return rc < 0 ? rc : 0;
}

static int sub_section(llmgw__cfg *c, const cJSON *ours, const char *key, int (*fn)(llmgw__cfg *, const cJSON *))
{
    const cJSON *o = NULL;
    llmgw__cfg_mark mark;
    int rc = llmgw__cfg_object(c, ours, key, &o);

    if (rc <= 0)
        return rc;
    mark = llmgw__cfg_push_key(c, key);
    rc = fn(c, o);
    llmgw__cfg_pop(c, mark);
    return rc;
}

static int gateway_options(llmgw__cfg *c, const cJSON *o)
{
    static const char *const ms_keys[] = { "deadline_ms", "connect_timeout_ms", "first_byte_timeout_ms",
                                           "idle_timeout_ms", "attempt_timeout_ms", "hedge_after_ms" };
    static const char *const byte_keys[] = { "max_response_bytes", "max_stream_bytes", "max_sse_line_bytes",
                                             "max_header_bytes" };
    int64_t *ms[LLMGW_ARRAY_SIZE(ms_keys)];
    size_t *bytes[LLMGW_ARRAY_SIZE(byte_keys)];
    const char *s = NULL;
    int64_t n = 0;
    size_t i;
    bool b;
    int rc;

    ms[0] = &c->opts.deadline_ms;
    ms[1] = &c->opts.connect_timeout_ms;
    ms[2] = &c->opts.first_byte_timeout_ms;
    ms[3] = &c->opts.idle_timeout_ms;
    ms[4] = &c->opts.attempt_timeout_ms;
    ms[5] = &c->opts.hedge_after_ms;
    bytes[0] = &c->opts.max_response_bytes;
    bytes[1] = &c->opts.max_stream_bytes;
    bytes[2] = &c->opts.max_sse_line_bytes;
    bytes[3] = &c->opts.max_header_bytes;
    for (i = 0; i < LLMGW_ARRAY_SIZE(ms_keys); i++)
        LLMGW_TRY(llmgw__cfg_int(c, o, ms_keys[i], 1, MAX_MS, ms[i]));
    for (i = 0; i < LLMGW_ARRAY_SIZE(byte_keys); i++) {
        if ((rc = llmgw__cfg_int(c, o, byte_keys[i], 1024, MAX_BYTES, &n)) > 0)
            *bytes[i] = (size_t)n;
        LLMGW_TRY(rc);
    }
    if ((rc = llmgw__cfg_int(c, o, "max_headers", 1, 100000, &n)) > 0)
        c->opts.max_headers = (unsigned int)n;
    LLMGW_TRY(rc);
    if ((rc = llmgw__cfg_int(c, o, "max_attempts", 1, 10, &n)) > 0)
        c->opts.max_attempts = (unsigned int)n;
    LLMGW_TRY(rc);
    if ((rc = llmgw__cfg_int(c, o, "pool_size", 1, 4096, &n)) > 0)
        c->opts.pool_size = (unsigned int)n;
    LLMGW_TRY(rc);
    if ((rc = llmgw__cfg_int(c, o, "retry_budget_percent", 1, 100, &n)) > 0)
        c->opts.retry_budget_percent = (int)n;
    LLMGW_TRY(rc);
    if ((rc = llmgw__cfg_bool(c, o, "breaker_disabled", &b)) > 0)
        c->opts.breaker_disabled = b;
    LLMGW_TRY(rc);
    /* proxy and ca_path stay borrowed from the tree or the secrets until llmgw_gateway_new() copies them */
    if ((rc = llmgw__cfg_string(c, o, "proxy", LLMGW__CFG_SECRET, &s)) > 0)
        c->opts.proxy = s;
    LLMGW_TRY(rc);
    if ((rc = llmgw__cfg_string(c, o, "ca_path", 0, &s)) > 0)
        c->opts.ca_path = s;
    return rc < 0 ? rc : 0;
}

int llmgw__cfg_llmgw_settings(llmgw__cfg *c)
{
    const cJSON *o = c->ours;
    llmgw__cfg_mark mark;
    int rc;

    if (o == NULL)
        return 0;
    mark = llmgw__cfg_push_key(c, "llmgw_settings");
    rc = llmgw__cfg_check_keys(c, o, ours_keys, NULL);
    if (rc == 0)
        rc = gateway_options(c, o);
    if (rc == 0 && (rc = path_value(c, o, "prices_path", &c->settings->prices_path)) > 0)
        c->opts.prices_path = c->settings->prices_path;
    if (rc >= 0)
        rc = sub_section(c, o, "log", log_section);
    if (rc >= 0)
        rc = sub_section(c, o, "cache", cache_section);
    if (rc >= 0)
        rc = sub_section(c, o, "redis", redis_section);
    if (rc >= 0)
        rc = sub_section(c, o, "budget", budget_section);
    if (rc >= 0 && llmgw__cfg_get(o, "budgets") != NULL && !cJSON_IsArray(llmgw__cfg_get(o, "budgets")))
        rc = llmgw__cfg_error_at(c, "budgets", "must be a list");   /* read once the gateway exists */
    llmgw__cfg_pop(c, mark);
    return rc < 0 ? rc : 0;
}

int llmgw__cfg_settings_check(llmgw__cfg *c)
{
    llmgw__settings *s = c->settings;
    llmgw__cfg_mark mark;
    int rc;

    s->redis.configured = s->redis.host != NULL || s->redis.url != NULL;
    if (!s->redis.configured && (s->redis.password != NULL || s->redis.port != 0 || s->redis.username != NULL)) {
        llmgw__cfg_log(c, LLMGW_LOG_WARN, "Redis port, username or password given without a host or url; "
                       "ignored");
    }
    if (s->cache.type == LLMGW__CACHE_REDIS && !s->redis.configured) {
        mark = llmgw__cfg_push_key(c, c->litellm_key ? c->litellm_key : "litellm_settings");
        llmgw__cfg_push_key(c, "cache_params");
        rc = llmgw__cfg_error_at(c, "type", "redis needs a Redis host or url (cache_params.host, "
                                 "router_settings.redis_host or llmgw_settings.redis)");
        llmgw__cfg_pop(c, mark);
        return rc;
    }
#if !LLMGW_HAVE_REDIS
    if (s->redis.configured)
        llmgw__cfg_log(c, LLMGW_LOG_WARN, "this llmgw was built without Redis (hiredis): the cache, limits "
                       "and budgets stay in this process");
#endif
    return 0;
}
