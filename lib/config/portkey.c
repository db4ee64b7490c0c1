/*
 * lib/config/portkey.c: llmgw_settings.portkey_routing, a Portkey config
 * object in conditional mode pasted as is (docs/routing.md):
 *
 *   {"strategy": {"mode": "conditional",
 *                 "conditions": [{"query": {...}, "then": "target-name"}],
 *                 "default": "target-name"},
 *    "targets": [{"name": "target-name", "override_params": {"model": "..."}}]}
 *
 * Each target becomes a model group: override_params.model names a
 * model_list group or alias, or (with provider) provider/model; a target
 * without it must be named after a group. Each condition becomes a rule in
 * Portkey's query dialect, the default a rule that always holds. What does
 * not map onto groups (per-target credentials, parameter overrides, nested
 * strategies, retry, cache ...) fails the load with its path and where the
 * setting lives in llmgw.
 */
#include "../core/common.h"
#include "../core/errors.h"
#include "../router/rules.h"
#include "loader.h"
#include "routing.h"

#include <stdio.h>

#define MAX_TARGETS 256

typedef struct target {
    const char *name;       /* borrowed from the tree */
    char        group[257]; /* where it sends requests */
} target;

static const char *const nested_note =
    "nested strategies do not map onto one group: make the nested targets one model_list group "
    "(weights for loadbalance, router_settings.fallbacks for fallback) and name it in override_params.model";

static const llmgw__cfg_key top_keys[] = {
    { "strategy", LLMGW__KEY_USED, NULL },
    { "targets", LLMGW__KEY_USED, NULL },
    { "retry", LLMGW__KEY_REFUSE, "retries are router_settings.num_retries and retry_policy" },
    { "cache", LLMGW__KEY_REFUSE, "the cache is litellm_settings.cache and cache_params" },
    { "request_timeout", LLMGW__KEY_REFUSE, "timeouts are router_settings.timeout or litellm_params.timeout" },
    { "cb_config", LLMGW__KEY_REFUSE, "the circuit breaker is router_settings.allowed_fails and cooldown_time" },
    { "custom_host", LLMGW__KEY_REFUSE, "base URLs are model_list[].litellm_params.api_base" },
    { "*", LLMGW__KEY_REFUSE, "not part of conditional routing llmgw maps (strategy, targets; docs/routing.md)" },
    { NULL, 0, NULL }
};

static const llmgw__cfg_key strategy_keys[] = {
    { "mode", LLMGW__KEY_USED, NULL },
    { "conditions", LLMGW__KEY_USED, NULL },
    { "default", LLMGW__KEY_USED, NULL },
    { "on_status_codes", LLMGW__KEY_REFUSE, "llmgw's error classification decides failover (docs/resilience.md)" },
    { "*", LLMGW__KEY_REFUSE, "not a key of a conditional strategy (mode, conditions, default)" },
    { NULL, 0, NULL }
};

static const llmgw__cfg_key target_keys[] = {
    { "name", LLMGW__KEY_USED, NULL },
    { "provider", LLMGW__KEY_USED, NULL },
    { "override_params", LLMGW__KEY_USED, NULL },
    { "overrideParams", LLMGW__KEY_USED, NULL },
    { "virtual_key", LLMGW__KEY_WARN, "credentials come from the group's deployments in model_list" },
    { "virtualKey", LLMGW__KEY_WARN, "credentials come from the group's deployments in model_list" },
    { "api_key", LLMGW__KEY_REFUSE, "credentials go in model_list[].litellm_params.api_key" },
    { "apiKey", LLMGW__KEY_REFUSE, "credentials go in model_list[].litellm_params.api_key" },
    { "weight", LLMGW__KEY_REFUSE, "weights belong to model_list entries (litellm_params.weight)" },
    { "strategy", LLMGW__KEY_REFUSE, NULL },        /* nested_note, see target_check */
    { "targets", LLMGW__KEY_REFUSE, NULL },
    { "*", LLMGW__KEY_REFUSE, "does not map onto a model group (name, provider, override_params.model; "
                              "per-deployment settings go in model_list)" },
    { NULL, 0, NULL }
};

/* Portkey's provider slugs that differ from llmgw's provider ids. */
static const char *provider_id(const char *portkey)
{
    static const struct { const char *portkey, *ours; } map[] = {
        { "azure-openai", "azure" }, { "google", "gemini" }, { "mistral-ai", "mistral" },
        { "together-ai", "together" }, { "fireworks-ai", "fireworks" }, { "x-ai", "xai" },
    };
    size_t i;

    for (i = 0; i < LLMGW_ARRAY_SIZE(map); i++)
        if (strcmp(portkey, map[i].portkey) == 0)
            return map[i].ours;
    return portkey;
}

static int target_check(llmgw__cfg *c, const cJSON *t)
{
    if (llmgw__cfg_get(t, "strategy") != NULL)
        return llmgw__cfg_error_at(c, "strategy", "%s", nested_note);
    if (llmgw__cfg_get(t, "targets") != NULL)
        return llmgw__cfg_error_at(c, "targets", "%s", nested_note);
    return llmgw__cfg_check_keys(c, t, target_keys, NULL);
}

/* override_params: only model maps onto a group. */
static int override_model(llmgw__cfg *c, const cJSON *t, const char **model)
{
    const char *key = llmgw__cfg_get(t, "override_params") ? "override_params" : "overrideParams";
    const cJSON *o = NULL, *it;
    llmgw__cfg_mark mark;
    int rc;

    *model = NULL;
    if ((rc = llmgw__cfg_object(c, t, key, &o)) <= 0)
        return rc;
    mark = llmgw__cfg_push_key(c, key);
    rc = 0;
    cJSON_ArrayForEach(it, o) {
        if (strcmp(it->string, "model") != 0) {
            rc = llmgw__cfg_error_at(c, it->string, "only model maps onto a group (request parameters per "
                                     "deployment go in model_list[].litellm_params)");
            break;
        }
    }
    if (rc == 0 && (rc = llmgw__cfg_string(c, o, "model", 0, model)) == 0)
        rc = llmgw__cfg_error(c, "needs model: the model group (or provider/model) of this target");
    llmgw__cfg_pop(c, mark);
    return rc < 0 ? rc : 0;
}

/* The group a target sends requests to. */
static int target_group(llmgw__cfg *c, const cJSON *t, const char *name, char *group, size_t size)
{
    const char *model = NULL, *provider = NULL;
    char shown[80], qualified[320];

    LLMGW_TRY(llmgw__cfg_string(c, t, "provider", 0, &provider));
    LLMGW_TRY(override_model(c, t, &model));
    if (model == NULL) {
        if (!llmgw__cfg_known_target(c, name))
            return llmgw__cfg_error(c, "needs override_params.model (a model_list group, an alias or "
                                    "provider/model), or a name that is a model group");
        model = name;
    } else if (!llmgw__cfg_known_target(c, model) && provider != NULL && strchr(model, '/') == NULL) {
        snprintf(qualified, sizeof(qualified), "%s/%s", provider_id(provider), model);
        if (!llmgw__cfg_known_target(c, qualified))
            return llmgw__cfg_error_at(c, "provider", "unknown provider %s for override_params.model %s",
                                       llmgw__cfg_show(c, provider, shown, sizeof(shown)),
                                       llmgw__cfg_show(c, model, qualified, sizeof(qualified)));
        model = qualified;
    } else if (!llmgw__cfg_known_target(c, model)) {
        return llmgw__cfg_error(c, "override_params.model %s is not a model_list group, an alias or "
                                "provider/model (or give provider)", llmgw__cfg_show(c, model, shown, sizeof(shown)));
    }
    if (strlen(model) >= size)
        return llmgw__cfg_error(c, "the model name is too long");
    snprintf(group, size, "%s", model);
    return 0;
}

static int read_targets(llmgw__cfg *c, const cJSON *list, target *ts, size_t *n)
{
    const cJSON *t;
    size_t i = 0, k;
    int rc = 0;

    if (cJSON_GetArraySize(list) == 0 || cJSON_GetArraySize(list) > MAX_TARGETS)
        return llmgw__cfg_error(c, "must list between 1 and %d targets", MAX_TARGETS);
    cJSON_ArrayForEach(t, list) {
        llmgw__cfg_mark mark = llmgw__cfg_push_index(c, i);
        const char *name = NULL;
        if (!cJSON_IsObject(t))
            rc = llmgw__cfg_error(c, "must be a mapping (name, provider, override_params)");
        if (rc == 0)
            rc = target_check(c, t);
        if (rc == 0 && (rc = llmgw__cfg_string(c, t, "name", 0, &name)) == 0)
            rc = llmgw__cfg_error(c, "needs name: conditions refer to targets by name");
        for (k = 0; rc > 0 && k < i; k++)
            if (strcmp(ts[k].name, name) == 0)
                rc = llmgw__cfg_error_at(c, "name", "two targets are named '%.64s'", name);
        if (rc > 0 && (rc = target_group(c, t, name, ts[i].group, sizeof(ts[i].group))) == 0)
            ts[i].name = name;
        llmgw__cfg_pop(c, mark);
        if (rc < 0)
            return rc;
        rc = 0;
        i++;
    }
    *n = i;
    return 0;
}

/* A condition's `then` or the strategy's `default`: the group of that target. */
static int find_target(llmgw__cfg *c, const target *ts, size_t n, const char *name, const char **group)
{
    size_t i;
    char shown[80];

    for (i = 0; i < n; i++) {
        if (strcmp(ts[i].name, name) == 0) {
            *group = ts[i].group;
            return 0;
        }
    }
    return llmgw__cfg_error(c, "no target is named %s", llmgw__cfg_show(c, name, shown, sizeof(shown)));
}

/* Compile a query (at the current path) into a rule and append it. */
static int add_rule(llmgw__cfg *c, const char *rule_name, const cJSON *query, const char *group)
{
    llmgw__rule *r = NULL;
    int rc = llmgw__rule_compile(&r, rule_name, query, LLMGW__RULES_PORTKEY, group, c->path);

    if (rc < 0)
        return rc;              /* the message already carries the path */
    if ((rc = llmgw__rules_add(c->gw, r)) < 0)
        return llmgw__cfg_error_wrap(c, rc);
    return 0;
}

static int condition(llmgw__cfg *c, const cJSON *cond, size_t i, const target *ts, size_t n)
{
    static const llmgw__cfg_key keys[] = {
        { "query", LLMGW__KEY_USED, NULL }, { "then", LLMGW__KEY_USED, NULL },
        { "*", LLMGW__KEY_REFUSE, "a condition holds query and then" }, { NULL, 0, NULL } };
    const char *then = NULL, *group = NULL;
    const cJSON *query;
    llmgw__cfg_mark mark;
    char name[64];
    int rc;

    if (!cJSON_IsObject(cond))
        return llmgw__cfg_error(c, "must be a mapping (query, then)");
    LLMGW_TRY(llmgw__cfg_check_keys(c, cond, keys, NULL));
    if ((rc = llmgw__cfg_string(c, cond, "then", 0, &then)) == 0)
        return llmgw__cfg_error(c, "needs then: the name of the target to call");
    if (rc < 0)
        return rc;
    mark = llmgw__cfg_push_key(c, "then");
    rc = find_target(c, ts, n, then, &group);
    llmgw__cfg_pop(c, mark);
    LLMGW_TRY(rc);
    if ((query = llmgw__cfg_get(cond, "query")) == NULL)
        return llmgw__cfg_error(c, "needs query: the condition on metadata and params");
    snprintf(name, sizeof(name), "portkey.conditions[%zu]", i);
    mark = llmgw__cfg_push_key(c, "query");
    rc = add_rule(c, name, query, group);
    llmgw__cfg_pop(c, mark);
    return rc;
}

/* The strategy's keys and mode, checked before the targets: a fallback or loadbalance config fails on that. */
static int strategy_mode(llmgw__cfg *c, const cJSON *s)
{
    const char *mode = NULL, *note;
    char shown[80];
    int rc;

    LLMGW_TRY(llmgw__cfg_check_keys(c, s, strategy_keys, NULL));
    if ((rc = llmgw__cfg_string(c, s, "mode", 0, &mode)) == 0)
        return llmgw__cfg_error(c, "needs mode: conditional");
    LLMGW_TRY(rc);
    if (strcmp(mode, "conditional") == 0)
        return 0;
    note = strcmp(mode, "fallback") == 0 ? "fallbacks are router_settings.fallbacks"
         : strcmp(mode, "loadbalance") == 0 ? "load balancing is one model_list group with weights"
         : "llmgw reads conditional strategies here";
    return llmgw__cfg_error_at(c, "mode", "%s is not conditional: %s", llmgw__cfg_show(c, mode, shown, sizeof(shown)),
                               note);
}

static int strategy(llmgw__cfg *c, const cJSON *s, const target *ts, size_t n)
{
    const char *dflt = NULL, *group = NULL;
    const cJSON *conds = NULL, *it;
    llmgw__cfg_mark mark;
    size_t i = 0;
    int rc;

    if ((rc = llmgw__cfg_array(c, s, "conditions", &conds)) == 0 || (rc > 0 && cJSON_GetArraySize(conds) == 0))
        return llmgw__cfg_error(c, "needs conditions: a non-empty list of {query, then}");
    LLMGW_TRY(rc);
    mark = llmgw__cfg_push_key(c, "conditions");
    cJSON_ArrayForEach(it, conds) {
        llmgw__cfg_mark m2 = llmgw__cfg_push_index(c, i);
        rc = condition(c, it, i++, ts, n);
        llmgw__cfg_pop(c, m2);
        if (rc < 0)
            break;
    }
    llmgw__cfg_pop(c, mark);
    LLMGW_TRY(rc);
    if ((rc = llmgw__cfg_string(c, s, "default", 0, &dflt)) <= 0)
        return rc;              /* no default: unmatched requests keep the model they asked for */
    mark = llmgw__cfg_push_key(c, "default");
    rc = find_target(c, ts, n, dflt, &group);
    if (rc == 0) {
        cJSON *always = cJSON_CreateObject();
        rc = always == NULL ? llmgw__error_oom() : add_rule(c, "portkey.default", always, group);
        cJSON_Delete(always);
    }
    llmgw__cfg_pop(c, mark);
    return rc;
}

int llmgw__cfg_portkey(llmgw__cfg *c)
{
    const cJSON *pk = NULL, *s = NULL, *list = NULL;
    llmgw__cfg_mark mark, m2;
    target *ts = NULL;
    size_t n = 0;
    int rc;

    if (c->ours == NULL)
        return 0;
    mark = llmgw__cfg_push_key(c, "llmgw_settings");
    if ((rc = llmgw__cfg_object(c, c->ours, "portkey_routing", &pk)) <= 0) {
        llmgw__cfg_pop(c, mark);
        return rc;
    }
    m2 = llmgw__cfg_push_key(c, "portkey_routing");
    rc = llmgw__cfg_check_keys(c, pk, top_keys, NULL);
    if (rc == 0 && (rc = llmgw__cfg_object(c, pk, "strategy", &s)) == 0)
        rc = llmgw__cfg_error(c, "needs strategy: {mode: conditional, conditions, default}");
    if (rc > 0) {
        llmgw__cfg_mark m3 = llmgw__cfg_push_key(c, "strategy");
        int mode_rc = strategy_mode(c, s);
        llmgw__cfg_pop(c, m3);
        if (mode_rc < 0)
            rc = mode_rc;
    }
    if (rc > 0 && (rc = llmgw__cfg_array(c, pk, "targets", &list)) == 0)
        rc = llmgw__cfg_error(c, "needs targets: the named targets conditions refer to");
    if (rc > 0 && (ts = llmgw__calloc((size_t)LLMGW_MIN(cJSON_GetArraySize(list) + 1, MAX_TARGETS + 1),
                                      sizeof(*ts))) == NULL)
        rc = llmgw__error_oom();
    if (rc > 0) {
        llmgw__cfg_mark m3 = llmgw__cfg_push_key(c, "targets");
        rc = read_targets(c, list, ts, &n);
        llmgw__cfg_pop(c, m3);
    }
    if (rc == 0) {
        llmgw__cfg_mark m3 = llmgw__cfg_push_key(c, "strategy");
        rc = strategy(c, s, ts, n);
        llmgw__cfg_pop(c, m3);
    }
    llmgw__free(ts);
    llmgw__cfg_pop(c, m2);
    llmgw__cfg_pop(c, mark);
    return rc < 0 ? rc : 0;
}
