/*
 * lib/core/describe.c: the gateway's configuration as JSON (for `llmgw
 * models`, bindings and diagnostics). Keys never appear.
 */
#include "common.h"
#include "buf.h"
#include "errors.h"
#include "gateway.h"
#include "json.h"
#include "../router/health.h"

static const char *state_name(int s)
{
    return s == LLMGW__HEALTH_CLOSED ? "closed" : s == LLMGW__HEALTH_OPEN ? "open" : "half_open";
}

static cJSON *deployment_json(llmgw_gateway *gw, llmgw__deployment *d)
{
    cJSON *o = cJSON_CreateObject(), *tags;
    int64_t until = 0, now = gw->clock->now_us(gw->clock->self);
    int state = llmgw__health_state(&d->health, now, &until);
    size_t i;

    if (o == NULL)
        return NULL;
    cJSON_AddStringToObject(o, "id", d->id);
    cJSON_AddStringToObject(o, "provider", d->provider_id);
    cJSON_AddStringToObject(o, "model", d->model);
    if (d->api_base)
        cJSON_AddStringToObject(o, "api_base", d->api_base);
    else
        cJSON_AddNullToObject(o, "api_base");
    cJSON_AddBoolToObject(o, "has_key", d->api_key != NULL || d->aws_secret_access_key != NULL);
    cJSON_AddNumberToObject(o, "weight", d->weight);
    cJSON_AddNumberToObject(o, "order", d->order);
    cJSON_AddNumberToObject(o, "rpm", (double)d->rpm);
    cJSON_AddNumberToObject(o, "tpm", (double)d->tpm);
    cJSON_AddNumberToObject(o, "max_parallel_requests", d->max_parallel);
    cJSON_AddNumberToObject(o, "max_input_tokens", (double)d->max_input_tokens);
    tags = cJSON_AddArrayToObject(o, "tags");
    for (i = 0; tags != NULL && i < d->tag_count; i++)
        cJSON_AddItemToArray(tags, cJSON_CreateString(d->tags[i]));
    cJSON_AddStringToObject(o, "health", state_name(state));
    if (state != LLMGW__HEALTH_CLOSED && until > now)
        cJSON_AddNumberToObject(o, "reopens_in_ms", (double)((until - now) / 1000));
    cJSON_AddNumberToObject(o, "in_flight", atomic_load(&d->in_flight));
    return o;
}

int llmgw_gateway_describe(llmgw_buf *out, llmgw_gateway *gw)
{
    cJSON *root, *groups, *aliases, *fallbacks, *rules;
    static const char *const kinds[] = { "fallbacks", "context_window_fallbacks", "content_policy_fallbacks" };
    size_t i, k;
    int rc;

    LLMGW_CHECK_ARG(gw);
    LLMGW_CHECK_ARG(out);
    root = cJSON_CreateObject();
    if (root == NULL)
        return llmgw__error_oom();
    pthread_rwlock_rdlock(&gw->lock);
    groups = cJSON_AddArrayToObject(root, "groups");
    for (i = 0; groups != NULL && i < gw->ngroups; i++) {
        cJSON *g = cJSON_CreateObject(), *deps;
        if (g == NULL || !cJSON_AddItemToArray(groups, g))
            break;
        cJSON_AddStringToObject(g, "name", gw->groups[i]->name);
        deps = cJSON_AddArrayToObject(g, "deployments");
        for (k = 0; deps != NULL && k < gw->groups[i]->n; k++)
            cJSON_AddItemToArray(deps, deployment_json(gw, gw->groups[i]->deps[k]));
    }
    aliases = cJSON_AddObjectToObject(root, "aliases");
    for (i = 0; aliases != NULL && i < gw->routes.naliases; i++)
        cJSON_AddStringToObject(aliases, gw->routes.aliases[i].alias, gw->routes.aliases[i].group);
    fallbacks = cJSON_AddArrayToObject(root, "fallbacks");
    for (i = 0; fallbacks != NULL && i < gw->routes.nfallbacks; i++) {
        const llmgw__fallback *f = &gw->routes.fallbacks[i];
        cJSON *o = cJSON_CreateObject();
        if (o == NULL || !cJSON_AddItemToArray(fallbacks, o))
            break;
        cJSON_AddStringToObject(o, "kind", kinds[f->kind]);
        cJSON_AddStringToObject(o, "from", f->from);
        cJSON_AddStringToObject(o, "to", f->to);
    }
    rules = cJSON_AddArrayToObject(root, "rules");
    for (i = 0; rules != NULL && i < gw->rules.n; i++) {
        cJSON *o = cJSON_CreateObject();
        if (o == NULL || !cJSON_AddItemToArray(rules, o))
            break;
        cJSON_AddStringToObject(o, "name", llmgw__rule_name(gw->rules.items[i]));
        cJSON_AddStringToObject(o, "target", llmgw__rule_target(gw->rules.items[i]));
    }
    pthread_rwlock_unlock(&gw->lock);
    rc = llmgw__json_print(out, root);
    cJSON_Delete(root);
    return rc;
}
