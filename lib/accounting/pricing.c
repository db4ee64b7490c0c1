/*
 * lib/accounting/pricing.c: prices for deployments, costs for attempts and
 * requests, reservations for budgets (see pricing.h).
 */
#include "../core/common.h"
#include "../core/errors.h"
#include "pricing.h"

#include <stdio.h>
#include <stdlib.h>

static void prices_log(int level, const char *msg, void *userdata)
{
    llmgw__log((const llmgw_gateway *)userdata, level, "prices: %s", msg);
}

int llmgw__pricing_load(llmgw_gateway *gw)
{
    const char *path = gw->opts.prices_path;
    llmgw__prices_load_opts lo;
    int rc;

    if (path == NULL || *path == '\0')
        path = getenv("LLMGW_PRICES_PATH");
    if (path == NULL || *path == '\0')
        return 0;
    if ((gw->prices_path = llmgw__strdup(path)) == NULL)
        return llmgw__error_oom();
    gw->opts.prices_path = gw->prices_path;
    memset(&lo, 0, sizeof(lo));
    lo.log_cb = prices_log;
    lo.log_userdata = gw;
    rc = llmgw__prices_load_file(&gw->prices, gw->prices_path, &lo);
    if (rc == LLMGW_ENOTFOUND) {
        /* not there (yet): the built-in table still prices the major models; say so once */
        llmgw__log(gw, LLMGW_LOG_WARN, "price file '%s' not found: using the built-in price table",
                   gw->prices_path);
        llmgw_error_clear();
        return 0;
    }
    if (rc < 0) {
        const llmgw_error *e = llmgw_error_last();
        char msg[512];
        snprintf(msg, sizeof(msg), "%s", e->message);
        return llmgw__error_setc(rc, LLMGW_ERRCLASS_CONFIG, "price file '%s': %s", gw->prices_path, msg);
    }
    return 0;
}

int llmgw__pricing_lookup(const llmgw_gateway *gw, const char *provider, const char *model, llmgw__price *out)
{
    if (gw->prices != NULL && llmgw__prices_lookup(gw->prices, provider, model, out) == 0)
        return 0;
    return llmgw__prices_lookup(llmgw__prices_builtin(), provider, model, out);
}

int llmgw__pricing_resolve(const llmgw_gateway *gw, llmgw__deployment *d)
{
    llmgw__price p;

    d->price_known = false;
    llmgw__price_init(&d->price);
    llmgw__price_init(&p);
    if (llmgw__pricing_lookup(gw, d->provider_id, d->model, &p) == 0) {
        d->price = p;
        d->price_known = p.input != LLMGW__PRICE_NONE && p.output != LLMGW__PRICE_NONE;
        if (d->max_input_tokens == 0 && p.max_input_tokens > 0)
            d->max_input_tokens = p.max_input_tokens;
    }
    if (d->custom_prices) {
        int64_t in = llmgw__price_from_usd_per_token(d->input_cost_per_token);
        int64_t out = llmgw__price_from_usd_per_token(d->output_cost_per_token);
        if (in == LLMGW__PRICE_NONE || out == LLMGW__PRICE_NONE)
            return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG,
                                     "deployment '%s': prices per token out of range", d->id);
        /* the deployment's own rates replace the table's; cache and tier rates follow them */
        llmgw__price_init(&d->price);
        d->price.input = in;
        d->price.output = out;
        d->price.max_input_tokens = p.max_input_tokens > 0 ? p.max_input_tokens : 0;
        snprintf(d->price.key, sizeof(d->price.key), "%s/%s", d->provider_id, d->model);
        snprintf(d->price.provider, sizeof(d->price.provider), "%s", d->provider_id);
        snprintf(d->price.source, sizeof(d->price.source), "deployment");
        d->price_known = true;
    }
    return 0;
}

void llmgw__pricing_attempt(const llmgw__deployment *d, llmgw_attempt *t, uint64_t est_input,
                            uint64_t est_output)
{
    llmgw_token_counts c;
    llmgw__cost cost;

    t->cost_nusd = 0;
    t->input_cost_nusd = 0;
    t->output_cost_nusd = 0;
    if (!t->billed) {
        t->cost_source = LLMGW_COST_COMPUTED;
        return;
    }
    t->cost_source = LLMGW_COST_UNKNOWN;
    if (!t->usage_known) {
        /* billed but never told: count locally (never a silent 0) */
        t->input_tokens = est_input;
        t->output_tokens = est_output;
        t->cache_read_tokens = t->cache_creation_tokens = t->reasoning_tokens = 0;
        t->usage_estimated = 1;
    }
    if (!d->price_known)
        return;
    c.input_tokens = t->input_tokens;
    c.output_tokens = t->output_tokens;
    c.cache_read_tokens = t->cache_read_tokens;
    c.cache_creation_tokens = t->cache_creation_tokens;
    c.reasoning_tokens = t->reasoning_tokens;
    if (llmgw__cost_compute(&cost, &d->price, &c) < 0) {
        llmgw_error_clear();
        return;
    }
    t->cost_nusd = cost.total;
    t->input_cost_nusd = cost.input;
    t->output_cost_nusd = cost.output;
    t->cost_source = t->usage_known ? LLMGW_COST_COMPUTED : LLMGW_COST_ESTIMATED;
}

void llmgw__pricing_record(llmgw__record *rec)
{
    llmgw_usage *u = &rec->u;
    int source = LLMGW_COST_COMPUTED;
    unsigned int i;

    u->cost_nusd = u->input_cost_nusd = u->output_cost_nusd = 0;
    for (i = 0; i < u->attempts; i++) {
        const llmgw_attempt *a = &rec->trail[i];
        if (a->cost_source == LLMGW_COST_UNKNOWN)
            source = LLMGW_COST_UNKNOWN;
        else if (a->cost_source == LLMGW_COST_ESTIMATED && source == LLMGW_COST_COMPUTED)
            source = LLMGW_COST_ESTIMATED;
        if (a->cost_source == LLMGW_COST_UNKNOWN)
            continue;
        u->cost_nusd += a->cost_nusd;
        u->input_cost_nusd += a->input_cost_nusd;
        u->output_cost_nusd += a->output_cost_nusd;
    }
    u->cost_source = source;
}

int64_t llmgw__pricing_estimate(llmgw__deployment *const *deps, size_t n, uint64_t est_input,
                                uint64_t max_output)
{
    int64_t best = 0;
    size_t i;

    if (max_output == 0)
        max_output = LLMGW__BUDGET_DEFAULT_OUTPUT;
    for (i = 0; i < n; i++) {
        llmgw_token_counts c;
        llmgw__cost cost;
        if (!deps[i]->price_known)
            continue;
        memset(&c, 0, sizeof(c));
        c.input_tokens = est_input;
        c.output_tokens = max_output;
        if (llmgw__cost_compute(&cost, &deps[i]->price, &c) < 0) {
            llmgw_error_clear();
            continue;
        }
        if (cost.total > best)
            best = cost.total;
    }
    return best;
}
