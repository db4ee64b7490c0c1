/*
 * tests/config/cfg_test.h: what the config tests share: a log hook that
 * keeps every line, temporary files, loading a text, and a comparison of
 * two gateways' internal state.
 */
#ifndef LLMGW_TESTS_CFG_TEST_H
#define LLMGW_TESTS_CFG_TEST_H

#include "unit.h"

#include <unistd.h>

#include "core/gateway.h"
#include "core/json.h"
#include "config/loader.h"
#include "config/settings.h"
#include "router/rules.h"

/* ---- log capture ---- */

typedef struct cfg_log {
    char  *lines[256];
    int    levels[256];
    size_t n;
} cfg_log;

static inline void cfg_log_cb(int level, const char *msg, void *userdata)
{
    cfg_log *l = userdata;

    if (l->n < LLMGW_ARRAY_SIZE(l->lines)) {
        l->levels[l->n] = level;
        l->lines[l->n++] = strdup(msg);
    }
}

static inline void cfg_log_clear(cfg_log *l)
{
    size_t i;

    for (i = 0; i < l->n; i++)
        free(l->lines[i]);
    l->n = 0;
}

/* The first line containing needle (at that level, or any level when 0), or NULL. */
static inline const char *cfg_log_find(const cfg_log *l, int level, const char *needle)
{
    size_t i;

    for (i = 0; i < l->n; i++)
        if ((level == 0 || l->levels[i] == level) && strstr(l->lines[i], needle) != NULL)
            return l->lines[i];
    return NULL;
}

/* Warnings other than the one a build without hiredis gives for a Redis setting. */
static inline size_t cfg_log_warnings(const cfg_log *l)
{
    size_t i, n = 0;

    for (i = 0; i < l->n; i++)
        if (l->levels[i] <= LLMGW_LOG_WARN && strstr(l->lines[i], "built without Redis") == NULL)
            n++;
    return n;
}

static inline void cfg_log_dump(const cfg_log *l)
{
    size_t i;

    for (i = 0; i < l->n; i++)
        print_message("  log[%d] %s\n", l->levels[i], l->lines[i]);
}

/* Options whose log hook fills l at the given level. */
static inline llmgw_gateway_options cfg_opts(cfg_log *l, int level)
{
    llmgw_gateway_options o = LLMGW_GATEWAY_OPTIONS_INIT;

    o.log_cb = cfg_log_cb;
    o.log_userdata = l;
    o.log_level = level;
    return o;
}

/* ---- loading ---- */

static inline int cfg_load(llmgw_gateway **gw, const char *text, const char *format,
                           const llmgw_gateway_options *opts)
{
    int rc = llmgw_gateway_open_buffer(gw, text, strlen(text), format, opts);

    if (rc < 0)
        assert_null(*gw);
    return rc;
}

/* Write text to a new file under /tmp with that suffix; the path is in path (free the file with unlink). */
static inline void cfg_write_temp(char *path, size_t size, const char *suffix, const char *text, size_t len)
{
    FILE *f;
    int fd;

    snprintf(path, size, "/tmp/llmgw-cfg-XXXXXX%s", suffix);
    fd = mkstemps(path, (int)strlen(suffix));
    assert_true(fd >= 0);
    f = fdopen(fd, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    fclose(f);
}

/* ---- comparing gateways ---- */

static inline void cfg_assert_str(const char *a, const char *b)
{
    if (a == NULL || b == NULL)
        assert_ptr_equal(a, b);
    else
        assert_string_equal(a, b);
}

static inline void cfg_assert_same_params(const void *a, const void *b)
{
    char *ja, *jb;

    if (a == NULL || b == NULL) {
        assert_ptr_equal(a, b);
        return;
    }
    ja = cJSON_PrintUnformatted(a);
    jb = cJSON_PrintUnformatted(b);
    assert_string_equal(ja, jb);
    cJSON_free(ja);
    cJSON_free(jb);
}

static inline void cfg_assert_same_deployment(const llmgw__deployment *a, const llmgw__deployment *b)
{
    cfg_assert_str(a->id, b->id);
    cfg_assert_str(a->group, b->group);
    cfg_assert_str(a->provider_id, b->provider_id);
    cfg_assert_str(a->model, b->model);
    cfg_assert_str(a->api_base, b->api_base);
    cfg_assert_str(a->api_key, b->api_key);
    cfg_assert_str(a->api_version, b->api_version);
    cfg_assert_str(a->organization, b->organization);
    cfg_assert_str(a->region, b->region);
    cfg_assert_str(a->aws_access_key_id, b->aws_access_key_id);
    cfg_assert_str(a->aws_secret_access_key, b->aws_secret_access_key);
    assert_ptr_equal(a->vt, b->vt);
    assert_int_equal(a->weight, b->weight);
    assert_int_equal(a->order, b->order);
    assert_int_equal(a->rpm, b->rpm);
    assert_int_equal(a->tpm, b->tpm);
    assert_int_equal(a->max_parallel, b->max_parallel);
    assert_int_equal(a->timeout_ms, b->timeout_ms);
    assert_int_equal(a->stream_timeout_ms, b->stream_timeout_ms);
    assert_int_equal(a->max_input_tokens, b->max_input_tokens);
    assert_int_equal(a->custom_prices, b->custom_prices);
    assert_true(a->input_cost_per_token == b->input_cost_per_token);
    assert_true(a->output_cost_per_token == b->output_cost_per_token);
    cfg_assert_same_params(a->params, b->params);
    assert_int_equal(a->tag_count, b->tag_count);
    for (size_t t = 0; t < a->tag_count; t++)
        assert_string_equal(a->tags[t], b->tags[t]);
}

static inline void cfg_assert_same_settings(const llmgw__settings *a, const llmgw__settings *b)
{
    size_t i;

    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(a->cache.type, b->cache.type);
    assert_int_equal(a->cache.default_off, b->cache.default_off);
    cfg_assert_str(a->cache.namespace_name, b->cache.namespace_name);
    assert_int_equal(a->redis.configured, b->redis.configured);
    cfg_assert_str(a->redis.host, b->redis.host);
    assert_int_equal(a->redis.port, b->redis.port);
    cfg_assert_str(a->redis.username, b->redis.username);
    cfg_assert_str(a->redis.password, b->redis.password);
    cfg_assert_str(a->redis.url, b->redis.url);
    assert_int_equal(a->redis.db, b->redis.db);
    cfg_assert_str(a->redis.key_prefix, b->redis.key_prefix);
    assert_int_equal(a->redis.connect_timeout_ms, b->redis.connect_timeout_ms);
    assert_int_equal(a->redis.command_timeout_ms, b->redis.command_timeout_ms);
    assert_int_equal(a->redis.tls, b->redis.tls);
    cfg_assert_str(a->prices_path, b->prices_path);
    cfg_assert_str(a->usage_log_path, b->usage_log_path);
    assert_int_equal(a->capture_content, b->capture_content);
    assert_int_equal(a->nbudgets, b->nbudgets);
    for (i = 0; i < a->nbudgets; i++) {
        assert_int_equal(a->budgets[i].max_nusd, b->budgets[i].max_nusd);
        assert_int_equal(a->budgets[i].period, b->budgets[i].period);
    }
}

static inline void cfg_assert_same_options(const llmgw_gateway_options *a, const llmgw_gateway_options *b)
{
    assert_int_equal(a->deadline_ms, b->deadline_ms);
    assert_int_equal(a->connect_timeout_ms, b->connect_timeout_ms);
    assert_int_equal(a->first_byte_timeout_ms, b->first_byte_timeout_ms);
    assert_int_equal(a->idle_timeout_ms, b->idle_timeout_ms);
    assert_int_equal(a->attempt_timeout_ms, b->attempt_timeout_ms);
    assert_int_equal(a->max_response_bytes, b->max_response_bytes);
    assert_int_equal(a->max_stream_bytes, b->max_stream_bytes);
    assert_int_equal(a->max_sse_line_bytes, b->max_sse_line_bytes);
    assert_int_equal(a->max_headers, b->max_headers);
    assert_int_equal(a->max_header_bytes, b->max_header_bytes);
    assert_int_equal(a->max_attempts, b->max_attempts);
    assert_int_equal(a->pool_size, b->pool_size);
    cfg_assert_str(a->proxy, b->proxy);
    cfg_assert_str(a->ca_path, b->ca_path);
    assert_int_equal(a->routing_strategy, b->routing_strategy);
    assert_int_equal(a->max_fallbacks, b->max_fallbacks);
    assert_int_equal(a->allowed_fails, b->allowed_fails);
    assert_int_equal(a->cooldown_ms, b->cooldown_ms);
    assert_int_equal(a->breaker_disabled, b->breaker_disabled);
    assert_int_equal(a->retry_budget_percent, b->retry_budget_percent);
    assert_int_equal(a->hedge_after_ms, b->hedge_after_ms);
    assert_int_equal(a->drop_params, b->drop_params);
    assert_int_equal(a->cache_enabled, b->cache_enabled);
    assert_int_equal(a->cache_ttl_ms, b->cache_ttl_ms);
    assert_int_equal(a->cache_max_bytes, b->cache_max_bytes);
    assert_int_equal(a->cache_max_entry_bytes, b->cache_max_entry_bytes);
    cfg_assert_str(a->cache_namespace, b->cache_namespace);
    assert_int_equal(a->cache_require_namespace, b->cache_require_namespace);
    cfg_assert_str(a->prices_path, b->prices_path);
    assert_int_equal(a->tag_filtering, b->tag_filtering);
}

/* Two gateways hold the same deployments, groups, routes, policies, options and settings. */
static inline void cfg_assert_same_gateway(llmgw_gateway *a, llmgw_gateway *b)
{
    size_t i, j;
    int k;

    assert_int_equal(a->ndeps, b->ndeps);
    for (i = 0; i < a->ndeps; i++)
        cfg_assert_same_deployment(a->deps[i], b->deps[i]);
    assert_int_equal(a->ngroups, b->ngroups);
    for (i = 0; i < a->ngroups; i++) {
        assert_string_equal(a->groups[i]->name, b->groups[i]->name);
        assert_int_equal(a->groups[i]->n, b->groups[i]->n);
        for (j = 0; j < a->groups[i]->n; j++)
            assert_string_equal(a->groups[i]->deps[j]->id, b->groups[i]->deps[j]->id);
    }
    assert_int_equal(a->routes.nfallbacks, b->routes.nfallbacks);
    for (i = 0; i < a->routes.nfallbacks; i++) {
        assert_int_equal(a->routes.fallbacks[i].kind, b->routes.fallbacks[i].kind);
        assert_string_equal(a->routes.fallbacks[i].from, b->routes.fallbacks[i].from);
        assert_string_equal(a->routes.fallbacks[i].to, b->routes.fallbacks[i].to);
    }
    assert_int_equal(a->routes.naliases, b->routes.naliases);
    for (i = 0; i < a->routes.naliases; i++) {
        assert_string_equal(a->routes.aliases[i].alias, b->routes.aliases[i].alias);
        assert_string_equal(a->routes.aliases[i].group, b->routes.aliases[i].group);
    }
    assert_int_equal(a->rules.n, b->rules.n);
    cfg_assert_str(a->rules.builtin_simple, b->rules.builtin_simple);
    cfg_assert_str(a->rules.builtin_complex, b->rules.builtin_complex);
    for (k = 0; k < LLMGW_ERRCLASS__COUNT; k++)
        assert_int_equal(atomic_load(&a->retry_policy[k]), atomic_load(&b->retry_policy[k]));
    cfg_assert_same_options(&a->opts, &b->opts);
    cfg_assert_same_settings(a->settings, b->settings);
}

/* The deployment with that id; the test fails when there is none. */
static inline const llmgw__deployment *cfg_dep(const llmgw_gateway *gw, const char *id)
{
    static const llmgw__deployment none;    /* never reached: fail_msg() ends the test */
    size_t i;

    for (i = 0; i < gw->ndeps; i++)
        if (strcmp(gw->deps[i]->id, id) == 0)
            return gw->deps[i];
    fail_msg("no deployment with id '%s'", id);
    return &none;
}

/* The first deployment of that provider; the test fails when there is none. */
static inline const llmgw__deployment *cfg_dep_of(const llmgw_gateway *gw, const char *provider)
{
    static const llmgw__deployment none;
    size_t i;

    for (i = 0; i < gw->ndeps; i++)
        if (strcmp(gw->deps[i]->provider_id, provider) == 0)
            return gw->deps[i];
    fail_msg("no deployment of provider '%s'", provider);
    return &none;
}

#define CFG_SKIP_WITHOUT_YAML()                                                         \
    do {                                                                                \
        if (!LLMGW_HAVE_YAML) {                                                         \
            print_message("skipped: this llmgw was built without libyaml (-Dyaml)\n");  \
            skip();                                                                     \
        }                                                                               \
    } while (0)

#endif
