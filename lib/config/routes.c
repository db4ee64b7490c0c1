/*
 * lib/config/routes.c: the keys that name model groups, read once the model
 * list has made the groups: router_settings' model_group_alias, fallbacks
 * of the three kinds, default_fallbacks and retry_policy; llmgw_settings'
 * routing_rules and classifier (portkey_routing: portkey.c).
 */
#include "../core/common.h"
#include "../core/errors.h"
#include "../core/gateway.h"
#include "loader.h"
#include "routing.h"

static bool is_alias(llmgw__cfg *c, const char *name)
{
    bool yes;

    pthread_rwlock_rdlock(&c->gw->lock);
    yes = llmgw__routes_alias(&c->gw->routes, name) != name;
    pthread_rwlock_unlock(&c->gw->lock);
    return yes;
}

/* A group, an alias, or provider/model with a known provider. */
bool llmgw__cfg_known_target(llmgw__cfg *c, const char *name)
{
    const char *slash = strchr(name, '/');
    char provider[64];
    bool ok;

    if (llmgw_gateway_group_size(c->gw, name) > 0 || is_alias(c, name))
        return true;
    if (slash == NULL || slash == name || slash[1] == '\0' || (size_t)(slash - name) >= sizeof(provider))
        return false;
    memcpy(provider, name, (size_t)(slash - name));
    provider[slash - name] = '\0';
    pthread_rwlock_rdlock(&c->gw->lock);
    ok = llmgw__gateway_provider(c->gw, provider) != NULL;
    pthread_rwlock_unlock(&c->gw->lock);
    return ok;
}

static int aliases(llmgw__cfg *c, const cJSON *map)
{
    const cJSON *it;
    char shown[80];
    int rc = 0;

    if (!cJSON_IsObject(map))
        return llmgw__cfg_error(c, "must be a mapping of alias to model group");
    cJSON_ArrayForEach(it, map) {
        llmgw__cfg_mark mark = llmgw__cfg_push_key(c, it->string);
        const char *group = NULL;
        if (cJSON_IsObject(it)) {
            static const llmgw__cfg_key keys[] = {
                { "model", LLMGW__KEY_USED, NULL }, { "hidden", LLMGW__KEY_USED, NULL }, { NULL, 0, NULL } };
            bool hidden;
            rc = llmgw__cfg_check_keys(c, it, keys, NULL);
            if (rc == 0)
                rc = llmgw__cfg_bool(c, it, "hidden", &hidden);    /* llmgw lists no aliases: nothing to hide */
            if (rc >= 0 && (rc = llmgw__cfg_string(c, it, "model", 0, &group)) == 0)
                rc = llmgw__cfg_error(c, "needs model: the group it stands for");
        } else {
            rc = llmgw__cfg_string_node(c, it, 0, &group);
        }
        if (rc > 0 && llmgw_gateway_group_size(c->gw, it->string) > 0)
            rc = llmgw__cfg_error(c, "the alias is also a model_name");
        else if (rc > 0 && llmgw_gateway_group_size(c->gw, group) == 0)
            rc = llmgw__cfg_error(c, "unknown model group %s", llmgw__cfg_show(c, group, shown, sizeof(shown)));
        else if (rc > 0 && (rc = llmgw_gateway_add_alias(c->gw, it->string, group)) < 0)
            rc = llmgw__cfg_error_wrap(c, rc);
        llmgw__cfg_pop(c, mark);
        LLMGW_TRY(rc);
    }
    return 0;
}

static int fallback_entry(llmgw__cfg *c, int kind, const cJSON *from)
{
    const cJSON *to;
    char shown[80];
    size_t j = 0;
    int rc = 0;

    if (!llmgw__cfg_known_target(c, from->string))
        return llmgw__cfg_error(c, "unknown model group '%.64s'", from->string);
    if (!cJSON_IsArray(from))
        return llmgw__cfg_error(c, "must be a list of model groups");
    cJSON_ArrayForEach(to, from) {
        llmgw__cfg_mark mark = llmgw__cfg_push_index(c, j++);
        const char *name = NULL;
        rc = llmgw__cfg_string_node(c, to, 0, &name);
        if (rc > 0 && !llmgw__cfg_known_target(c, name))
            rc = llmgw__cfg_error(c, "unknown model group %s (not a model_name, an alias or provider/model)",
                                  llmgw__cfg_show(c, name, shown, sizeof(shown)));
        else if (rc > 0 && (rc = llmgw_gateway_add_fallback(c->gw, kind, from->string, name)) < 0)
            rc = llmgw__cfg_error_wrap(c, rc);
        llmgw__cfg_pop(c, mark);
        LLMGW_TRY(rc);
    }
    return 0;
}

/* [{group: [targets]}, ...]; one mapping may hold several groups. */
static int fallbacks(llmgw__cfg *c, const char *key, int kind)
{
    const cJSON *list = NULL, *item, *from;
    llmgw__cfg_mark mark;
    size_t i = 0;
    int rc = llmgw__cfg_array(c, c->router, key, &list);

    if (rc <= 0)
        return rc;
    mark = llmgw__cfg_push_key(c, key);
    cJSON_ArrayForEach(item, list) {
        llmgw__cfg_mark m2 = llmgw__cfg_push_index(c, i++);
        if (!cJSON_IsObject(item))
            rc = llmgw__cfg_error(c, "must be a mapping of model group to a list of fallback groups");
        cJSON_ArrayForEach(from, item) {
            llmgw__cfg_mark m3;
            if (rc < 0)
                break;
            m3 = llmgw__cfg_push_key(c, from->string);
            rc = fallback_entry(c, kind, from);
            llmgw__cfg_pop(c, m3);
        }
        llmgw__cfg_pop(c, m2);
        if (rc < 0)
            break;
    }
    llmgw__cfg_pop(c, mark);
    return rc < 0 ? rc : 0;
}

/* Groups with no fallbacks of their own fall back to default_fallbacks (LiteLLM's rule). */
static int default_fallbacks(llmgw__cfg *c)
{
    const cJSON *list = NULL, *to;
    llmgw__cfg_mark mark;
    char shown[80];
    bool *own;
    size_t g, j = 0, ngroups;
    int rc = llmgw__cfg_array(c, c->router, "default_fallbacks", &list);

    if (rc <= 0)
        return rc;
    pthread_rwlock_rdlock(&c->gw->lock);
    ngroups = c->gw->ngroups;   /* fixed from here: fallbacks add no group */
    own = llmgw__calloc(ngroups ? ngroups : 1, sizeof(*own));
    for (g = 0; own != NULL && g < ngroups; g++)
        own[g] = llmgw__routes_fallback(&c->gw->routes, LLMGW_FALLBACK_DEFAULT, c->gw->groups[g]->name, 0) != NULL;
    pthread_rwlock_unlock(&c->gw->lock);
    if (own == NULL)
        return llmgw__error_oom();
    mark = llmgw__cfg_push_key(c, "default_fallbacks");
    rc = 0;
    cJSON_ArrayForEach(to, list) {
        llmgw__cfg_mark m2 = llmgw__cfg_push_index(c, j++);
        const char *name = NULL;
        rc = llmgw__cfg_string_node(c, to, 0, &name);
        if (rc > 0 && !llmgw__cfg_known_target(c, name))
            rc = llmgw__cfg_error(c, "unknown model group %s", llmgw__cfg_show(c, name, shown, sizeof(shown)));
        for (g = 0; rc > 0 && g < ngroups; g++) {
            const char *from = c->gw->groups[g]->name;
            if (own[g] || strcmp(from, name) == 0)
                continue;
            if ((rc = llmgw_gateway_add_fallback(c->gw, LLMGW_FALLBACK_DEFAULT, from, name)) < 0)
                rc = llmgw__cfg_error_wrap(c, rc);
            else
                rc = 1;
        }
        llmgw__cfg_pop(c, m2);
        if (rc < 0)
            break;
    }
    llmgw__cfg_pop(c, mark);
    llmgw__free(own);
    return rc < 0 ? rc : 0;
}

static int retry_policy(llmgw__cfg *c)
{
    static const struct { const char *name; int error_class; } classes[] = {
        { "BadRequestErrorRetries", LLMGW_ERRCLASS_BAD_REQUEST },
        { "AuthenticationErrorRetries", LLMGW_ERRCLASS_AUTH },
        { "TimeoutErrorRetries", LLMGW_ERRCLASS_TIMEOUT },
        { "RateLimitErrorRetries", LLMGW_ERRCLASS_RATE_LIMIT },
        { "ContentPolicyViolationErrorRetries", LLMGW_ERRCLASS_CONTENT_POLICY },
        { "InternalServerErrorRetries", LLMGW_ERRCLASS_SERVER_ERROR },
    };
    const cJSON *p = NULL, *it;
    llmgw__cfg_mark mark;
    size_t i;
    int rc = llmgw__cfg_object(c, c->router, "retry_policy", &p);

    if (rc <= 0)
        return rc;
    mark = llmgw__cfg_push_key(c, "retry_policy");
    rc = 0;
    cJSON_ArrayForEach(it, p) {
        int64_t n = 0;
        for (i = 0; i < LLMGW_ARRAY_SIZE(classes); i++)
            if (strcmp(classes[i].name, it->string) == 0)
                break;
        if (i == LLMGW_ARRAY_SIZE(classes)) {
            llmgw__cfg_log_at(c, LLMGW_LOG_WARN, it->string, "unknown error class; ignored");
            continue;
        }
        if ((rc = llmgw__cfg_int(c, p, it->string, 0, 1000, &n)) < 0)
            break;
        if (n > 10) {
            llmgw__cfg_log_at(c, LLMGW_LOG_WARN, it->string, "at most 10 retries; using 10");
            n = 10;
        }
        if ((rc = llmgw_gateway_set_retry_policy(c->gw, classes[i].error_class, (int)n)) < 0) {
            rc = llmgw__cfg_error_wrap(c, rc);
            break;
        }
    }
    llmgw__cfg_pop(c, mark);
    return rc < 0 ? rc : 0;
}

int llmgw__cfg_routes(llmgw__cfg *c)
{
    const cJSON *a;
    llmgw__cfg_mark mark;
    int rc = 0;

    if (c->router == NULL)
        return 0;
    mark = llmgw__cfg_push_key(c, "router_settings");
    if ((a = llmgw__cfg_get(c->router, "model_group_alias")) != NULL) {
        llmgw__cfg_mark m2 = llmgw__cfg_push_key(c, "model_group_alias");
        rc = aliases(c, a);
        llmgw__cfg_pop(c, m2);
    }
    if (rc == 0)
        rc = fallbacks(c, "fallbacks", LLMGW_FALLBACK_DEFAULT);
    if (rc == 0)
        rc = fallbacks(c, "context_window_fallbacks", LLMGW_FALLBACK_CONTEXT_WINDOW);
    if (rc == 0)
        rc = fallbacks(c, "content_policy_fallbacks", LLMGW_FALLBACK_CONTENT_POLICY);
    if (rc == 0)
        rc = default_fallbacks(c);
    if (rc == 0)
        rc = retry_policy(c);
    llmgw__cfg_pop(c, mark);
    return rc;
}

/* routing_rules: [{name, condition, target}], in order (llmgw_gateway_add_rule). */
static int rules(llmgw__cfg *c, const cJSON *list)
{
    static const llmgw__cfg_key keys[] = {
        { "name", LLMGW__KEY_USED, NULL }, { "condition", LLMGW__KEY_USED, NULL },
        { "target", LLMGW__KEY_USED, NULL }, { NULL, 0, NULL } };
    const cJSON *it, *cond;
    size_t i = 0;
    int rc = 0;

    cJSON_ArrayForEach(it, list) {
        llmgw__cfg_mark mark = llmgw__cfg_push_index(c, i++);
        const char *name = NULL, *target = NULL;
        char *json = NULL;
        if (!cJSON_IsObject(it))
            rc = llmgw__cfg_error(c, "must be a mapping (name, condition, target)");
        if (rc == 0)
            rc = llmgw__cfg_check_keys(c, it, keys, NULL);
        if (rc == 0)
            rc = llmgw__cfg_string(c, it, "name", 0, &name);
        if (rc >= 0 && (rc = llmgw__cfg_string(c, it, "target", 0, &target)) == 0)
            rc = llmgw__cfg_error(c, "needs target: the group the rule sends requests to");
        cond = llmgw__cfg_get(it, "condition");
        if (rc > 0 && cond != NULL && !cJSON_IsObject(cond))
            rc = llmgw__cfg_error_at(c, "condition", "must be a mapping");
        if (rc > 0 && cond != NULL && (json = cJSON_PrintUnformatted(cond)) == NULL)
            rc = llmgw__error_oom();
        if (rc > 0 && (rc = llmgw_gateway_add_rule(c->gw, name, json, target)) < 0)
            rc = llmgw__cfg_error_wrap(c, rc);
        cJSON_free(json);
        llmgw__cfg_pop(c, mark);
        if (rc < 0)
            return rc;
        rc = 0;
    }
    return 0;
}

/* classifier: {simple_group, complex_group}: the built-in heuristic classifier. */
static int classifier(llmgw__cfg *c, const cJSON *o)
{
    static const llmgw__cfg_key keys[] = {
        { "simple_group", LLMGW__KEY_USED, NULL }, { "complex_group", LLMGW__KEY_USED, NULL }, { NULL, 0, NULL } };
    const char *simple = NULL, *complex = NULL;
    int rc;

    LLMGW_TRY(llmgw__cfg_check_keys(c, o, keys, NULL));
    LLMGW_TRY(llmgw__cfg_string(c, o, "simple_group", 0, &simple));
    LLMGW_TRY(llmgw__cfg_string(c, o, "complex_group", 0, &complex));
    if (simple == NULL || complex == NULL)
        return llmgw__cfg_error(c, "needs simple_group and complex_group");
    if (!llmgw__cfg_known_target(c, simple) || !llmgw__cfg_known_target(c, complex))
        return llmgw__cfg_error_at(c, llmgw__cfg_known_target(c, simple) ? "complex_group" : "simple_group", "unknown model group");
    rc = llmgw_gateway_use_builtin_classifier(c->gw, simple, complex);
    return rc < 0 ? llmgw__cfg_error_wrap(c, rc) : 0;
}

int llmgw__cfg_rules(llmgw__cfg *c)
{
    const cJSON *list = NULL, *cls = NULL;
    llmgw__cfg_mark mark, m2;
    int rc;

    if (c->ours == NULL)
        return 0;
    mark = llmgw__cfg_push_key(c, "llmgw_settings");
    if ((rc = llmgw__cfg_array(c, c->ours, "routing_rules", &list)) > 0) {
        m2 = llmgw__cfg_push_key(c, "routing_rules");
        rc = rules(c, list);
        llmgw__cfg_pop(c, m2);
    }
    llmgw__cfg_pop(c, mark);
    if (rc >= 0)
        rc = llmgw__cfg_portkey(c);     /* Portkey's conditions come after our rules */
    mark = llmgw__cfg_push_key(c, "llmgw_settings");
    if (rc >= 0 && (rc = llmgw__cfg_object(c, c->ours, "classifier", &cls)) > 0) {
        m2 = llmgw__cfg_push_key(c, "classifier");
        rc = classifier(c, cls);
        llmgw__cfg_pop(c, m2);
    }
    llmgw__cfg_pop(c, mark);
    return rc < 0 ? rc : 0;
}
