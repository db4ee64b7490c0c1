/*
 * lib/router/route.c: candidates, eligibility and the fallback chain.
 */
#include "../core/common.h"
#include "../core/errors.h"
#include "../core/gateway.h"
#include "../core/json.h"
#include "../core/request.h"
#include "fallback.h"
#include "health.h"
#include "ratelimit.h"
#include "route.h"
#include "rules.h"
#include "strategy.h"

#include <stdio.h>

static uint64_t text_bytes(const cJSON *item)
{
    const cJSON *c;
    uint64_t n = 0;

    if (cJSON_IsString(item))
        return strlen(item->valuestring);
    for (c = item ? item->child : NULL; c != NULL; c = c->next) {
        const char *type = llmgw__json_str(c, "type");
        if (type != NULL && strcmp(type, "image_url") == 0) {
            n += 85 * 4;        /* a low-detail image: a small fixed cost */
            continue;
        }
        n += text_bytes(c);
    }
    return n;
}

uint64_t llmgw__estimate_input_tokens(const llmgw_request *req)
{
    const cJSON *body = llmgw__request_body(req);
    const cJSON *msgs = cJSON_GetObjectItemCaseSensitive(body, "messages");
    uint64_t bytes = text_bytes(msgs) + text_bytes(cJSON_GetObjectItemCaseSensitive(body, "tools"));

    return bytes / 4 + 4 * (uint64_t)cJSON_GetArraySize(msgs) + 3;
}

static int set_group(llmgw__route *r, const char *model)
{
    size_t n;

    llmgw__candidates_dispose(&r->cand);
    if (r->excluded != r->inline_excluded)
        llmgw__free(r->excluded);
    if (r->retries != r->inline_retries)
        llmgw__free(r->retries);
    r->excluded = r->inline_excluded;
    r->retries = r->inline_retries;
    LLMGW_TRY(llmgw__gateway_resolve(r->gw, model, &r->cand));
    n = r->cand.n;
    if (n > LLMGW_ARRAY_SIZE(r->inline_excluded)) {
        r->excluded = llmgw__calloc(n, sizeof(*r->excluded));
        r->retries = llmgw__calloc(n, sizeof(*r->retries));
        if (r->excluded == NULL || r->retries == NULL)
            return llmgw__error_oom();
    } else {
        memset(r->inline_excluded, 0, n * sizeof(r->inline_excluded[0]));
        memset(r->inline_retries, 0, n * sizeof(r->inline_retries[0]));
    }
    if (r->nvisited < LLMGW__MAX_GROUPS_VISITED)
        r->visited[r->nvisited++] = r->cand.group;
    return 0;
}

int llmgw__route_start(llmgw__route *r, llmgw_gateway *gw, const llmgw_request *req)
{
    char target[257];

    memset(r, 0, offsetof(llmgw__route, inline_excluded));
    r->gw = gw;
    r->req = req;
    r->excluded = r->inline_excluded;
    r->retries = r->inline_retries;
    r->est_input = llmgw__estimate_input_tokens(req);
    r->max_output = (uint64_t)llmgw__request_max_tokens(req);
    if (gw->rules.n > 0 || gw->rules.classifier != NULL || gw->rules.builtin_simple != NULL) {
        llmgw__facts f;
        llmgw__facts_init(&f, req, r->est_input);
        if (llmgw__rules_route(gw, &f, target, sizeof(target), r->rule, sizeof(r->rule)))
            return set_group(r, target);
    }
    return set_group(r, llmgw_request_model(req));
}

void llmgw__route_dispose(llmgw__route *r)
{
    llmgw__candidates_dispose(&r->cand);
    if (r->excluded != r->inline_excluded)
        llmgw__free(r->excluded);
    if (r->retries != r->inline_retries)
        llmgw__free(r->retries);
    r->excluded = r->inline_excluded;
    r->retries = r->inline_retries;
}

const char *llmgw__route_group(const llmgw__route *r)
{
    return r->cand.group;
}

static bool fits(const llmgw__route *r, const llmgw__deployment *d)
{
    return d->max_input_tokens <= 0 || r->est_input + r->max_output <= (uint64_t)d->max_input_tokens;
}

static bool shares_tag(const llmgw__deployment *d, const llmgw_request *req)
{
    size_t i, k;

    for (i = 0; i < req->tag_count; i++)
        for (k = 0; k < d->tag_count; k++)
            if (strcmp(req->tags[i], d->tags[k]) == 0)
                return true;
    return false;
}

/*
 * Tag routing (LiteLLM's enable_tag_filtering): a request with tags reaches
 * the deployments sharing one, else those tagged "default"; a request with
 * no tags reaches those tagged "default", else any.
 */
static void tag_filter(const llmgw__route *r, bool *allowed)
{
    const llmgw_request *req = r->req;
    size_t i, matching = 0, defaults = 0;

    for (i = 0; i < r->cand.n; i++) {
        matching += req->tag_count > 0 && shares_tag(r->cand.deps[i], req);
        defaults += r->cand.deps[i]->tag_default;
    }
    for (i = 0; i < r->cand.n; i++) {
        const llmgw__deployment *d = r->cand.deps[i];
        if (matching > 0)
            allowed[i] = shares_tag(d, req);
        else if (defaults > 0)
            allowed[i] = d->tag_default;
        else
            allowed[i] = req->tag_count == 0;
    }
}

static void soonest(llmgw__route_why *w, int64_t t)
{
    if (t > 0 && (w->soonest_us == 0 || t < w->soonest_us))
        w->soonest_us = t;
}

/* Every check of one deployment; true when it may take the attempt now. */
static bool eligible(llmgw__route *r, llmgw__deployment *d, int64_t now)
{
    int64_t until = 0, wait;

    if (!fits(r, d)) {
        r->why.too_small++;
        return false;
    }
    if (!llmgw__health_closed_local(&d->health) && llmgw__health_peek(&d->health, now, &until) == LLMGW__DENY) {
        int cls = llmgw__health_hold_class(&d->health);

        r->why.open++;
        r->why.held_rate_limit += cls == LLMGW_ERRCLASS_RATE_LIMIT;
        r->why.held_quota += cls == LLMGW_ERRCLASS_QUOTA_EXCEEDED;
        soonest(&r->why, until);
        return false;
    }
    if (d->max_parallel > 0 && atomic_load(&d->in_flight) >= d->max_parallel) {
        r->why.busy++;
        return false;
    }
    if ((d->rpm > 0 || d->tpm > 0) && (wait = llmgw__limiter_admit(&d->limiter, now, d->rpm, d->tpm, false)) > 0) {
        r->why.rate_limited++;
        soonest(&r->why, now + wait);
        return false;
    }
    return true;
}

long llmgw__route_pick(llmgw__route *r, int64_t now, long pin, uint64_t *rng)
{
    bool inline_ok[1024], *ok = inline_ok;
    bool inline_tagged[1024], *tagged = NULL;
    bool filter = r->gw->opts.tag_filtering != 0 && r->req != NULL;
    llmgw__pick_input in, sum;       /* sum stays in registers: nothing outside sees it during the loop */
    size_t i;
    long idx;

    memset(&r->why, 0, sizeof(r->why));
    if (r->cand.n > LLMGW_ARRAY_SIZE(inline_ok) && (ok = llmgw__calloc(r->cand.n, sizeof(*ok))) == NULL)
        return -1;
    if (filter) {
        tagged = r->cand.n > LLMGW_ARRAY_SIZE(inline_tagged) ? llmgw__calloc(r->cand.n, sizeof(*tagged))
                                                             : inline_tagged;
        if (tagged == NULL) {
            if (ok != inline_ok)
                llmgw__free(ok);
            return -1;
        }
        tag_filter(r, tagged);
    }
    /* one pass: eligibility, and the priority tier the strategy would otherwise look for */
    llmgw__pick_summary_begin(&sum);
    for (i = 0; i < r->cand.n; i++) {
        llmgw__deployment *d = r->cand.deps[i];

        ok[i] = false;
        if (pin >= 0 && (long)i != pin)
            continue;
        if (r->excluded[i]) {
            r->why.excluded++;
            continue;
        }
        if (tagged != NULL && !tagged[i]) {
            r->why.untagged++;
            continue;
        }
        if (!eligible(r, d, now))
            continue;
        ok[i] = true;
        llmgw__pick_note(&sum, i, d);
    }
    in = sum;
    in.deps = r->cand.deps;
    in.eligible = ok;
    in.n = r->cand.n;
    in.strategy = r->gw->opts.routing_strategy;
    in.now_us = now;
    in.est_input_tokens = r->est_input;
    in.est_output_tokens = r->max_output;
    idx = llmgw__strategy_pick(&in, rng);
    if (ok != inline_ok)
        llmgw__free(ok);
    if (tagged != NULL && tagged != inline_tagged)
        llmgw__free(tagged);
    return idx;
}

void llmgw__route_exclude_credential(llmgw__route *r, size_t idx)
{
    const llmgw__deployment *f = r->cand.deps[idx];
    size_t i;

    for (i = 0; i < r->cand.n; i++) {
        const llmgw__deployment *d = r->cand.deps[i];
        if (strcmp(d->provider_id, f->provider_id) == 0 &&
            ((d->api_key == NULL && f->api_key == NULL) ||
             (d->api_key && f->api_key && strcmp(d->api_key, f->api_key) == 0)))
            r->excluded[i] = true;
    }
}

static bool visited(const llmgw__route *r, const char *group)
{
    size_t i;

    for (i = 0; i < r->nvisited; i++)
        if (strcmp(r->visited[i], group) == 0)
            return true;
    return false;
}

/* Can any deployment of `group` fit the request? (context-window fallbacks) */
static bool group_fits(llmgw__route *r, const char *group)
{
    llmgw__candidates c;
    bool any = false;
    size_t i;

    if (llmgw__gateway_resolve(r->gw, group, &c) < 0)
        return false;
    for (i = 0; i < c.n && !any; i++)
        any = fits(r, c.deps[i]);
    llmgw__candidates_dispose(&c);
    return any;
}

int llmgw__route_fallback(llmgw__route *r, int kind)
{
    unsigned int max = r->gw->opts.max_fallbacks;
    char target[257];
    size_t v, n;

    if (r->fallbacks >= max || r->nvisited >= LLMGW__MAX_GROUPS_VISITED)
        return -1;
    /* targets of every group visited so far, nearest first (a chain may continue from a fallback) */
    for (v = r->nvisited; v-- > 0;) {
        for (n = 0;; n++) {
            const char *t;
            pthread_rwlock_rdlock(&r->gw->lock);
            t = llmgw__routes_fallback(&r->gw->routes, kind, r->visited[v], n);
            if (t != NULL)
                snprintf(target, sizeof(target), "%s", llmgw__routes_alias(&r->gw->routes, t));
            pthread_rwlock_unlock(&r->gw->lock);
            if (t == NULL)
                break;
            if (visited(r, target))
                continue;
            if (kind == LLMGW_FALLBACK_CONTEXT_WINDOW && !group_fits(r, target))
                continue;
            if (set_group(r, target) < 0) {
                llmgw__log(r->gw, LLMGW_LOG_WARN, "fallback group '%s' cannot be used: %s", target,
                           llmgw_error_last()->message);
                continue;
            }
            r->fallbacks++;
            return 0;
        }
    }
    return -1;
}
