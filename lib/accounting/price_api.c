/*
 * lib/accounting/price_api.c: the prices a gateway bills by, as JSON
 * (llmgw_gateway_models_json, llmgw_gateway_price_json): for `llmgw
 * models`, `llmgw prices` and the bindings. Rates are printed as exact
 * decimals of USD per million tokens, from the integer nano-USD rates.
 */
#include "../core/common.h"
#include "../core/errors.h"
#include "../core/json.h"
#include "pricing.h"

#include <stdio.h>

/* nano-USD per million tokens -> USD per million tokens, exact ("2.5", "0.075"). */
static cJSON *rate_json(int64_t v)
{
    char text[48];
    int64_t whole, frac;
    int n;

    if (v == LLMGW__PRICE_NONE || v < 0)
        return cJSON_CreateNull();
    whole = v / 1000000000;
    frac = v % 1000000000;
    n = snprintf(text, sizeof(text), "%lld", (long long)whole);
    if (frac != 0 && n > 0 && (size_t)n < sizeof(text)) {
        char f[16];
        int len = 9;
        snprintf(f, sizeof(f), "%09lld", (long long)frac);
        while (len > 0 && f[len - 1] == '0')
            len--;
        snprintf(text + n, sizeof(text) - (size_t)n, ".%.*s", len, f);
    }
    return cJSON_CreateRaw(text);
}

static cJSON *limit_json(int64_t v)
{
    return v > 0 ? cJSON_CreateNumber((double)v) : cJSON_CreateNull();
}

/* The id a listing shows: the key when it names its provider, else provider/key. */
static void price_id(char *out, size_t size, const llmgw__price *p)
{
    size_t plen = strlen(p->provider);

    if (plen == 0 || (strncmp(p->key, p->provider, plen) == 0 && p->key[plen] == '/'))
        snprintf(out, size, "%s", p->key);
    else
        snprintf(out, size, "%s/%s", p->provider, p->key);
}

static cJSON *price_json(const llmgw__price *p, bool tiers)
{
    cJSON *o = cJSON_CreateObject();
    char id[LLMGW__PRICE_KEY_MAX + LLMGW__PRICE_PROVIDER_MAX + 2];

    if (o == NULL)
        return NULL;
    price_id(id, sizeof(id), p);
    if (llmgw__json_add_str(o, "id", id) < 0 ||
        llmgw__json_add_str(o, "provider", p->provider) < 0 ||
        llmgw__json_add_item(o, "max_input_tokens", limit_json(p->max_input_tokens)) < 0 ||
        llmgw__json_add_item(o, "max_output_tokens", limit_json(p->max_output_tokens)) < 0 ||
        llmgw__json_add_item(o, "input_usd_per_mtok", rate_json(p->input)) < 0 ||
        llmgw__json_add_item(o, "output_usd_per_mtok", rate_json(p->output)) < 0 ||
        llmgw__json_add_item(o, "cache_read_usd_per_mtok", rate_json(p->cache_read)) < 0 ||
        llmgw__json_add_item(o, "cache_creation_usd_per_mtok", rate_json(p->cache_creation)) < 0 ||
        llmgw__json_add_str(o, "source", p->source) < 0)
        goto oom;
    if (tiers && p->tier_threshold > 0 &&
        (llmgw__json_add_num(o, "tier_threshold_tokens", (double)p->tier_threshold) < 0 ||
         llmgw__json_add_item(o, "input_above_usd_per_mtok", rate_json(p->input_above)) < 0 ||
         llmgw__json_add_item(o, "output_above_usd_per_mtok", rate_json(p->output_above)) < 0 ||
         llmgw__json_add_item(o, "cache_read_above_usd_per_mtok", rate_json(p->cache_read_above)) < 0))
        goto oom;
    return o;
oom:
    cJSON_Delete(o);
    return NULL;
}

static int print_and_free(llmgw_buf *out, cJSON *root)
{
    int rc = llmgw__json_print(out, root);

    cJSON_Delete(root);
    return rc;
}

int llmgw_gateway_models_json(llmgw_buf *out, llmgw_gateway *gw)
{
    const llmgw__prices *builtin = llmgw__prices_builtin();
    cJSON *arr;
    size_t i, n;

    LLMGW_CHECK_ARG(out);
    LLMGW_CHECK_ARG(gw);
    if ((arr = cJSON_CreateArray()) == NULL)
        return llmgw__error_oom();
    n = gw->prices ? llmgw__prices_count(gw->prices) : 0;
    for (i = 0; i < n; i++)
        if (llmgw__json_append(arr, price_json(llmgw__prices_at(gw->prices, i), false)) < 0)
            goto oom;
    for (i = 0; i < llmgw__prices_count(builtin); i++) {
        const llmgw__price *p = llmgw__prices_at(builtin, i);
        if (gw->prices != NULL && llmgw__prices_lookup(gw->prices, p->provider, p->key, NULL) == 0)
            continue;                   /* the file prices it: the file's entry is the one used */
        if (llmgw__json_append(arr, price_json(p, false)) < 0)
            goto oom;
    }
    return print_and_free(out, arr);
oom:
    cJSON_Delete(arr);
    return llmgw__error_oom();
}

/* The group a name or alias stands for, or NULL. Caller holds the gateway lock. */
static llmgw__group *group_of(llmgw_gateway *gw, const char *name)
{
    const char *g = llmgw__routes_alias(&gw->routes, name);
    size_t i;

    for (i = 0; i < gw->ngroups; i++)
        if (strcmp(gw->groups[i]->name, g) == 0)
            return gw->groups[i];
    return NULL;
}

static int group_prices(cJSON **out, llmgw__group *g)
{
    cJSON *o = cJSON_CreateObject(), *deps;
    size_t i;

    *out = o;
    if (o == NULL || llmgw__json_add_str(o, "group", g->name) < 0 ||
        (deps = cJSON_AddArrayToObject(o, "deployments")) == NULL)
        return LLMGW_ENOMEM;
    for (i = 0; i < g->n; i++) {
        const llmgw__deployment *d = g->deps[i];
        cJSON *e = cJSON_CreateObject();
        if (llmgw__json_append(deps, e) < 0 || llmgw__json_add_str(e, "id", d->id) < 0 ||
            llmgw__json_add_str(e, "provider", d->provider_id) < 0 ||
            llmgw__json_add_str(e, "model", d->model) < 0 ||
            llmgw__json_add_item(e, "price", d->price_known ? price_json(&d->price, true) : cJSON_CreateNull()) < 0)
            return LLMGW_ENOMEM;
    }
    return 0;
}

int llmgw_gateway_price_json(llmgw_buf *out, llmgw_gateway *gw, const char *model)
{
    llmgw__price p;
    llmgw__group *g;
    const char *slash;
    char provider[LLMGW__PRICE_PROVIDER_MAX];
    cJSON *o = NULL;
    int rc;

    LLMGW_CHECK_ARG(out);
    LLMGW_CHECK_ARG(gw);
    LLMGW_CHECK_ARG(model);
    pthread_rwlock_rdlock(&gw->lock);
    g = group_of(gw, model);
    rc = g != NULL ? group_prices(&o, g) : 0;
    pthread_rwlock_unlock(&gw->lock);
    if (g != NULL) {
        if (rc < 0) {
            cJSON_Delete(o);
            return llmgw__error_oom();
        }
        return print_and_free(out, o);
    }
    slash = strchr(model, '/');
    if (slash != NULL && (size_t)(slash - model) < sizeof(provider)) {
        snprintf(provider, sizeof(provider), "%.*s", (int)(slash - model), model);
        rc = llmgw__pricing_lookup(gw, provider, slash + 1, &p);
        if (rc != 0)
            rc = llmgw__pricing_lookup(gw, NULL, model, &p);
    } else {
        rc = llmgw__pricing_lookup(gw, NULL, model, &p);
    }
    if (rc != 0)
        return llmgw__error_setc(LLMGW_ENOTFOUND, LLMGW_ERRCLASS_NOT_FOUND,
                                 "no price known for '%.200s' (price file or built-in table)", model);
    if ((o = price_json(&p, true)) == NULL)
        return llmgw__error_oom();
    return print_and_free(out, o);
}
