/*
 * lib/core/gateway.c: gateway lifecycle, provider registry, deployments and
 * groups.
 */
#include "common.h"
#include "errors.h"
#include "gateway.h"
#include "hash.h"
#include "redact.h"
#include "request.h"
#include "../providers/registry.h"
#include "../accounting/budget.h"
#include "../accounting/metrics.h"
#include "../accounting/pricing.h"
#include "../accounting/usage_log.h"
#include "../cache/cache.h"
#include "../redis/shared.h"
#include "../transport/http.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#define DEFAULT_DEADLINE_MS      600000
#define DEFAULT_CONNECT_MS       5000
#define DEFAULT_FIRST_BYTE_MS    120000
#define DEFAULT_IDLE_MS          120000
#define DEFAULT_MAX_RESPONSE     (8u << 20)
#define DEFAULT_MAX_STREAM       (64u << 20)
#define DEFAULT_MAX_SSE_LINE     (1u << 20)
#define DEFAULT_MAX_HEADERS      200
#define DEFAULT_MAX_HEADER_BYTES (64u << 10)
#define DEFAULT_MAX_ATTEMPTS     3
#define HARD_MAX_ATTEMPTS        10

static bool version_ok(unsigned int v, unsigned int current)
{
    return v > 0 && v <= current;
}

int llmgw_gateway_options_init(llmgw_gateway_options *opts, unsigned int version)
{
    LLMGW_CHECK_ARG(opts);
    if (!version_ok(version, LLMGW_GATEWAY_OPTIONS_VERSION))
        return llmgw__error_setc(LLMGW_EVERSION, LLMGW_ERRCLASS_CONFIG, "unsupported options version %u", version);
    memset(opts, 0, sizeof(*opts));
    opts->version = version;
    return 0;
}

int llmgw_deployment_options_init(llmgw_deployment_options *opts, unsigned int version)
{
    LLMGW_CHECK_ARG(opts);
    if (!version_ok(version, LLMGW_DEPLOYMENT_OPTIONS_VERSION))
        return llmgw__error_setc(LLMGW_EVERSION, LLMGW_ERRCLASS_CONFIG, "unsupported options version %u", version);
    memset(opts, 0, sizeof(*opts));
    opts->version = version;
    return 0;
}

void llmgw__log(const llmgw_gateway *gw, int level, const char *fmt, ...)
{
    char raw[1024], clean[1024];
    va_list ap;

    if (gw == NULL || gw->opts.log_cb == NULL || level > gw->opts.log_level)
        return;
    va_start(ap, fmt);
    vsnprintf(raw, sizeof(raw), fmt, ap);
    va_end(ap);
    llmgw__redact(clean, sizeof(clean), raw, strlen(raw), NULL);
    gw->opts.log_cb(level, clean, gw->opts.log_userdata);
}

static void fill_defaults(llmgw_gateway_options *o)
{
#define DEF(field, value) do { if (o->field == 0) o->field = (value); } while (0)
    DEF(deadline_ms, DEFAULT_DEADLINE_MS);
    DEF(connect_timeout_ms, DEFAULT_CONNECT_MS);
    DEF(first_byte_timeout_ms, DEFAULT_FIRST_BYTE_MS);
    DEF(idle_timeout_ms, DEFAULT_IDLE_MS);
    DEF(max_response_bytes, DEFAULT_MAX_RESPONSE);
    DEF(max_stream_bytes, DEFAULT_MAX_STREAM);
    DEF(max_sse_line_bytes, DEFAULT_MAX_SSE_LINE);
    DEF(max_headers, DEFAULT_MAX_HEADERS);
    DEF(max_header_bytes, DEFAULT_MAX_HEADER_BYTES);
    DEF(max_attempts, DEFAULT_MAX_ATTEMPTS);
    DEF(pool_size, 64);
    DEF(log_level, LLMGW_LOG_WARN);
    DEF(max_fallbacks, 3);
    DEF(allowed_fails, 5);
    DEF(cooldown_ms, 30000);
    DEF(retry_budget_percent, 10);
#undef DEF
    if (o->max_fallbacks > 5)
        o->max_fallbacks = 5;
    if (o->max_attempts > HARD_MAX_ATTEMPTS)
        o->max_attempts = HARD_MAX_ATTEMPTS;
}

static int check_options(const llmgw_gateway_options *o)
{
    if (o->deadline_ms < 0 || o->connect_timeout_ms < 0 || o->first_byte_timeout_ms < 0 ||
        o->idle_timeout_ms < 0 || o->attempt_timeout_ms < 0)
        return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG, "timeouts must be >= 0");
    if (o->routing_strategy < LLMGW_ROUTING_SIMPLE_SHUFFLE || o->routing_strategy > LLMGW_ROUTING_COST)
        return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG, "unknown routing strategy %d",
                                 o->routing_strategy);
    if (o->cooldown_ms < 0 || o->hedge_after_ms < 0 || o->retry_budget_percent < 0 ||
        o->retry_budget_percent > 100)
        return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG,
                                 "cooldown_ms and hedge_after_ms must be >= 0, retry_budget_percent in [0, 100]");
    if (o->log_level < 0 || o->log_level > LLMGW_LOG_DEBUG)
        return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG, "log_level out of range");
    if ((o->proxy && llmgw__has_ctl(o->proxy)) || (o->ca_path && llmgw__has_ctl(o->ca_path)))
        return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG, "control character in proxy or ca_path");
    return 0;
}

static void random_bytes(unsigned char *out, size_t n)
{
    FILE *f = fopen("/dev/urandom", "rb");
    size_t got = 0;
    uint64_t s;

    if (f != NULL) {
        got = fread(out, 1, n, f);
        fclose(f);
    }
    s = (uint64_t)llmgw__wall_us() ^ ((uint64_t)llmgw__mono_us() << 21) ^ (uint64_t)(uintptr_t)out;
    for (; got < n; got++)
        out[got] = (unsigned char)llmgw__rand_next(&s);
}

int llmgw_gateway_new(llmgw_gateway **out, const llmgw_gateway_options *opts)
{
    llmgw_gateway *gw;
    llmgw__pool_options po;
    int rc;

    LLMGW_CHECK_ARG(out);
    *out = NULL;
    if (opts != NULL && !version_ok(opts->version, LLMGW_GATEWAY_OPTIONS_VERSION))
        return llmgw__error_setc(LLMGW_EVERSION, LLMGW_ERRCLASS_CONFIG,
                                 "gateway options version %u not supported (this library: 1..%d)",
                                 opts->version, LLMGW_GATEWAY_OPTIONS_VERSION);
    if (opts != NULL)
        LLMGW_TRY(check_options(opts));
    gw = llmgw__calloc(1, sizeof(*gw));
    if (gw == NULL)
        return llmgw__error_oom();
    if (pthread_rwlock_init(&gw->lock, NULL) != 0) {
        llmgw__free(gw);
        return llmgw__error_oom();
    }
    if (opts != NULL)
        gw->opts = *opts;
    gw->opts.version = LLMGW_GATEWAY_OPTIONS_VERSION;
    fill_defaults(&gw->opts);
    gw->clock = &llmgw__clock_real;
    gw->health_cfg.allowed_fails = gw->opts.allowed_fails;
    gw->health_cfg.cooldown_us = gw->opts.cooldown_ms * 1000;
    gw->health_cfg.max_open_us = 300 * 1000000LL;
    gw->health_cfg.disabled = gw->opts.breaker_disabled != 0;
    if (llmgw__retry_budget_init(&gw->retry_budget) < 0) {
        pthread_rwlock_destroy(&gw->lock);
        llmgw__free(gw);
        return llmgw__error_oom();
    }
    for (rc = 0; rc < LLMGW_ERRCLASS__COUNT; rc++)
        atomic_init(&gw->retry_policy[rc], -1);
    random_bytes(gw->secret, sizeof(gw->secret));
    random_bytes(gw->names_key, sizeof(gw->names_key));
    llmgw__names_init(&gw->group_index, gw->names_key);
    llmgw__names_init(&gw->dep_index, gw->names_key);
    memcpy(&gw->id_salt, gw->secret, sizeof(gw->id_salt));
    gw->rng_seed = gw->opts.seed ? gw->opts.seed : gw->id_salt ^ 0x5DEECE66Dull;
    if ((gw->opts.proxy && (gw->proxy = llmgw__strdup(gw->opts.proxy)) == NULL) ||
        (gw->opts.ca_path && (gw->ca_path = llmgw__strdup(gw->opts.ca_path)) == NULL)) {
        llmgw_gateway_free(gw);
        return llmgw__error_oom();
    }
    gw->opts.proxy = gw->proxy;
    gw->opts.ca_path = gw->ca_path;
    if ((rc = llmgw__metrics_new(&gw->metrics)) < 0 || (rc = llmgw__budgets_new(&gw->budgets)) < 0) {
        llmgw_gateway_free(gw);
        return rc;
    }
    if ((rc = llmgw__pricing_load(gw)) < 0 || (rc = llmgw__cache_open(gw)) < 0) {
        llmgw_gateway_free(gw);
        return rc;
    }
    /* $LLMGW_USAGE_LOG: observability never stops the application, so a bad path is a warning */
    if (llmgw__usage_log_from_settings(&gw->usage_log, NULL, gw->opts.log_cb, gw->opts.log_userdata) < 0) {
        llmgw__log(gw, LLMGW_LOG_WARN, "usage log: %s", llmgw_error_last()->message);
        llmgw_error_clear();
    }
    po.max_idle = gw->opts.pool_size;
    po.proxy = gw->proxy;
    po.ca_path = gw->ca_path;
    if ((rc = llmgw__pool_new(&gw->pool, &po)) < 0) {
        llmgw_gateway_free(gw);
        return rc;
    }
    *out = gw;
    return 0;
}

static void group_free(llmgw__group *g)
{
    llmgw__dep_block *b, *older;

    if (g == NULL)
        return;
    for (b = g->block; b != NULL; b = older) {   /* the deployments are borrowed: the gateway owns them */
        older = b->older;
        llmgw__free(b);
    }
    llmgw__free(g->name);
    llmgw__free(g);
}

void llmgw_gateway_free(llmgw_gateway *gw)
{
    size_t i;

    if (gw == NULL)
        return;
    for (i = 0; i < gw->ngroups; i++)
        group_free(gw->groups[i]);
    llmgw__free(gw->groups);
    llmgw__names_dispose(&gw->group_index);
    llmgw__names_dispose(&gw->dep_index);
    for (i = 0; i < gw->ndeps; i++)
        llmgw__deployment_free(gw->deps[i]);
    llmgw__free(gw->deps);
    llmgw__free(gw->providers);
    llmgw__routes_dispose(&gw->routes);
    llmgw__rules_dispose(&gw->rules);
    llmgw_usage_log_close(gw->usage_log);
    llmgw__settings_free(gw->settings);
    llmgw__cache_backend_destroy(gw);
    llmgw__shared_close(gw);
    llmgw__metrics_free(gw->metrics);
    llmgw__budgets_free(gw->budgets);
    llmgw__prices_free(gw->prices);
    llmgw__free(gw->prices_path);
    llmgw__pool_free(gw->pool);
    llmgw__free(gw->proxy);
    llmgw__free(gw->ca_path);
    pthread_rwlock_destroy(&gw->lock);
    llmgw__retry_budget_dispose(&gw->retry_budget);
    llmgw__zeroize(gw->secret, sizeof(gw->secret));
    llmgw__free(gw);
}

void llmgw__gateway_set_clock(llmgw_gateway *gw, const llmgw__clock *clock)
{
    gw->clock = clock ? clock : &llmgw__clock_real;
}

uint64_t llmgw__gateway_seed(llmgw_gateway *gw)
{
    uint64_t n = atomic_fetch_add(&gw->request_seq, 1) + 1;
    uint64_t s = gw->rng_seed ^ (n * 0x9E3779B97F4A7C15ull);

    return llmgw__rand_next(&s);
}

/* ---- providers ---- */

int llmgw__provider_check(const llmgw_provider_vtable *vt)
{
    if (!version_ok(vt->version, LLMGW_PROVIDER_VTABLE_VERSION))
        return llmgw__error_setc(LLMGW_EVERSION, LLMGW_ERRCLASS_CONFIG,
                                 "provider vtable version %u not supported", vt->version);
    if (vt->name == NULL || *vt->name == '\0' || strlen(vt->name) > 63 || strchr(vt->name, '/') ||
        llmgw__has_ctl(vt->name))
        return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG, "provider name must be 1-63 bytes, no '/'");
    if (vt->build_request == NULL || vt->parse_response == NULL)
        return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG,
                                 "provider '%s': build_request and parse_response are required", vt->name);
    if ((vt->capabilities & LLMGW_CAP_STREAM) && vt->parse_stream_event == NULL)
        return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG,
                                 "provider '%s': streaming needs parse_stream_event", vt->name);
    if (vt->stream_framing < LLMGW_FRAMING_SSE || vt->stream_framing > LLMGW_FRAMING_AWS_EVENTSTREAM)
        return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG, "provider '%s': unknown framing", vt->name);
    return 0;
}

int llmgw_provider_register(llmgw_gateway *gw, const llmgw_provider_vtable *vt)
{
    const llmgw_provider_vtable **p;
    size_t i;
    int rc;

    LLMGW_CHECK_ARG(gw);
    LLMGW_CHECK_ARG(vt);
    if ((rc = llmgw__provider_check(vt)) < 0)
        return rc;
    pthread_rwlock_wrlock(&gw->lock);
    if (llmgw__builtin_provider(vt->name) != NULL) {
        rc = llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG, "provider '%s' is built in", vt->name);
        goto out;
    }
    for (i = 0; i < gw->nproviders; i++) {
        if (strcmp(gw->providers[i]->name, vt->name) == 0) {
            rc = llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG,
                                   "provider '%s' is already registered", vt->name);
            goto out;
        }
    }
    p = llmgw__reallocarray(gw->providers, gw->nproviders + 1, sizeof(*p));
    if (p == NULL) {
        rc = llmgw__error_oom();
        goto out;
    }
    p[gw->nproviders++] = vt;
    gw->providers = p;
out:
    pthread_rwlock_unlock(&gw->lock);
    return rc;
}

/* Caller holds gw->lock. */
const llmgw_provider_vtable *llmgw__gateway_provider(llmgw_gateway *gw, const char *name)
{
    size_t i;

    for (i = 0; i < gw->nproviders; i++)
        if (strcmp(gw->providers[i]->name, name) == 0)
            return gw->providers[i];
    return llmgw__builtin_provider(name);
}

/* ---- groups ---- */

/* Caller holds gw->lock. */
static llmgw__group *find_group(llmgw_gateway *gw, const char *name)
{
    size_t i;

    return llmgw__names_get(&gw->group_index, name, &i) ? gw->groups[i] : NULL;
}

/* Caller holds gw->lock. */
static llmgw__deployment *find_deployment(llmgw_gateway *gw, const char *id)
{
    size_t i;

    return llmgw__names_get(&gw->dep_index, id, &i) ? gw->deps[i] : NULL;
}

/*
 * Room for one more deployment in g: a new block twice as large when full,
 * the old one kept (see llmgw__dep_block). Caller holds gw->lock for writing.
 */
static int group_reserve(llmgw__group *g)
{
    llmgw__dep_block *b;
    size_t cap = g->cap ? g->cap * 2 : 4;

    if (g->n < g->cap)
        return 0;
    if (cap > (SIZE_MAX - sizeof(*b)) / sizeof(b->deps[0]) ||
        (b = llmgw__malloc(sizeof(*b) + cap * sizeof(b->deps[0]))) == NULL)
        return llmgw__error_oom();
    if (g->n > 0)
        memcpy(b->deps, g->deps, g->n * sizeof(b->deps[0]));
    b->older = g->block;
    g->block = b;
    g->deps = b->deps;
    g->cap = cap;
    return 0;
}

static bool same_tags(const llmgw__deployment *a, const llmgw__deployment *b)
{
    size_t i;

    if (a->tag_count != b->tag_count)
        return false;
    for (i = 0; i < a->tag_count; i++)
        if (strcmp(a->tags[i], b->tags[i]) != 0)
            return false;
    return true;
}

static bool same_settings(const llmgw__deployment *a, const llmgw__deployment *b)
{
#define SAME(f) ((a->f == NULL && b->f == NULL) || (a->f && b->f && strcmp(a->f, b->f) == 0))
    return a->vt == b->vt && SAME(model) && SAME(api_base) && SAME(api_key) && SAME(api_version) &&
           SAME(organization) && SAME(region) && SAME(aws_access_key_id) && a->weight == b->weight &&
           a->order == b->order && a->rpm == b->rpm && a->tpm == b->tpm && a->max_parallel == b->max_parallel &&
           a->timeout_ms == b->timeout_ms && a->stream_timeout_ms == b->stream_timeout_ms &&
           a->max_input_tokens == b->max_input_tokens && a->custom_prices == b->custom_prices &&
           a->input_cost_per_token == b->input_cost_per_token &&
           a->output_cost_per_token == b->output_cost_per_token && same_tags(a, b);
#undef SAME
}

/*
 * Caller holds gw->lock for writing. Takes d, even on failure. The gateway
 * owns each deployment once; groups borrow them, so the same deployment
 * (same provider, base URL, model and credential: the unit of health) may
 * serve several groups and keeps one health record.
 */
static int add_to_group(llmgw_gateway *gw, llmgw__deployment *d)
{
    llmgw__group *g = find_group(gw, d->group);
    llmgw__deployment *existing = find_deployment(gw, d->id);
    size_t i;

    if (existing != NULL) {
        if (!same_settings(existing, d)) {
            int rc = llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG,
                                       "deployment id '%s' is already used by a deployment with other "
                                       "settings (give one an explicit id)", d->id);
            llmgw__deployment_free(d);
            return rc;
        }
        for (i = 0; g != NULL && i < g->n; i++) {
            if (g->deps[i] == existing) {
                int rc = llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG,
                                           "deployment '%s' is already in group '%s'", d->id, d->group);
                llmgw__deployment_free(d);
                return rc;
            }
        }
    }
    if (g == NULL) {
        llmgw__group **gs;
        if (gw->ngroups == gw->groups_cap) {
            size_t cap = gw->groups_cap ? gw->groups_cap * 2 : 8;
            gs = llmgw__reallocarray(gw->groups, cap, sizeof(*gs));
            if (gs == NULL)
                goto oom;
            gw->groups = gs;
            gw->groups_cap = cap;
        }
        if (llmgw__names_reserve(&gw->group_index, gw->ngroups + 1) < 0)
            goto oom;
        g = llmgw__calloc(1, sizeof(*g));
        if (g == NULL || (g->name = llmgw__strdup(d->group)) == NULL) {
            llmgw__free(g);
            goto oom;
        }
        llmgw__names_put(&gw->group_index, g->name, gw->ngroups);
        gw->groups[gw->ngroups++] = g;
    }
    if (group_reserve(g) < 0)
        goto oom;
    if (existing == NULL) {
        if (gw->ndeps == gw->deps_cap) {
            size_t cap = gw->deps_cap ? gw->deps_cap * 2 : 8;
            llmgw__deployment **ds = llmgw__reallocarray(gw->deps, cap, sizeof(*ds));
            if (ds == NULL)
                goto oom;
            gw->deps = ds;
            gw->deps_cap = cap;
        }
        if (llmgw__names_reserve(&gw->dep_index, gw->ndeps + 1) < 0)
            goto oom;
        llmgw__names_put(&gw->dep_index, d->id, gw->ndeps);
        gw->deps[gw->ndeps++] = d;
        existing = d;
        llmgw__shared_attach_deployment(gw, d);
    } else {
        llmgw__deployment_free(d);
    }
    g->deps[g->n++] = existing;
    return 0;
oom:
    llmgw__deployment_free(d);
    return llmgw__error_oom();
}

int llmgw_gateway_add_deployment(llmgw_gateway *gw, const llmgw_deployment_options *opts)
{
    llmgw__deployment *d;
    int rc;

    LLMGW_CHECK_ARG(gw);
    LLMGW_CHECK_ARG(opts);
    if (!version_ok(opts->version, LLMGW_DEPLOYMENT_OPTIONS_VERSION))
        return llmgw__error_setc(LLMGW_EVERSION, LLMGW_ERRCLASS_CONFIG,
                                 "deployment options version %u not supported", opts->version);
    pthread_rwlock_wrlock(&gw->lock);
    rc = llmgw__deployment_new(&d, gw, opts);
    if (rc == 0)
        rc = add_to_group(gw, d);
    pthread_rwlock_unlock(&gw->lock);
    return rc;
}

size_t llmgw_gateway_group_size(llmgw_gateway *gw, const char *group)
{
    llmgw__group *g;
    size_t n;

    if (gw == NULL || group == NULL)
        return 0;
    pthread_rwlock_rdlock(&gw->lock);
    g = find_group(gw, group);
    n = g ? g->n : 0;
    pthread_rwlock_unlock(&gw->lock);
    return n;
}

/* Caller holds gw->lock: the group's array as it is now (it stays valid and unchanged up to n). */
static int snapshot(llmgw__group *g, llmgw__candidates *out)
{
    out->group = g->name;
    out->n = g->n;
    out->deps = g->deps;
    return 0;
}

void llmgw__candidates_dispose(llmgw__candidates *c)
{
    c->deps = NULL;
    c->n = 0;
}

int llmgw__gateway_resolve(llmgw_gateway *gw, const char *requested, llmgw__candidates *out)
{
    llmgw_deployment_options o;
    llmgw__deployment *d;
    llmgw__group *g;
    const char *alias;
    char model[257];
    size_t len;
    int rc = 0;

    memset(out, 0, sizeof(*out));
    pthread_rwlock_rdlock(&gw->lock);
    alias = llmgw__routes_alias(&gw->routes, requested);
    len = strnlen(alias, sizeof(model) - 1);         /* as snprintf would cut it, without printf per request */
    memcpy(model, alias, len);
    model[len] = '\0';
    g = find_group(gw, model);
    if (g != NULL)
        rc = snapshot(g, out);
    pthread_rwlock_unlock(&gw->lock);
    if (g != NULL)
        return rc;
    if (strchr(model, '/') == NULL)
        return llmgw__error_setc(LLMGW_ENOTFOUND, LLMGW_ERRCLASS_NOT_FOUND,
                                 "unknown model or group '%.128s' (use a group alias or provider/model)", model);
    /* provider/model with no group: one deployment from the vendor's environment */
    pthread_rwlock_wrlock(&gw->lock);
    g = find_group(gw, model);
    if (g == NULL) {
        memset(&o, 0, sizeof(o));
        o.version = LLMGW_DEPLOYMENT_OPTIONS_VERSION;
        o.model = model;
        o.group = model;
        rc = llmgw__deployment_new(&d, gw, &o);
        if (rc == 0)
            rc = add_to_group(gw, d);
        if (rc == LLMGW_ENOTFOUND)
            llmgw_error_set_class(LLMGW_ERRCLASS_NOT_FOUND);
        if (rc == 0)
            g = find_group(gw, model);
    }
    if (g != NULL)
        rc = snapshot(g, out);
    pthread_rwlock_unlock(&gw->lock);
    return rc;
}

const char *llmgw_version(void)
{
    return LLMGW_VERSION;
}

int llmgw_version_num(void)
{
    return LLMGW_VERSION_NUM;
}
