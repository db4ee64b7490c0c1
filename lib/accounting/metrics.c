/*
 * lib/accounting/metrics.c: counters and fixed-bucket histograms, the
 * snapshot, and the Prometheus and JSON renderers.
 */
#include "../core/common.h"
#include "../core/buf.h"
#include "../core/errors.h"
#include "../core/gateway.h"
#include "../core/json.h"
#include "metrics.h"

#include <pthread.h>
#include <stdio.h>

#define NBUCKETS 15
static const double bucket_le[NBUCKETS] = { 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120,
                                            600 };

enum { TOK_INPUT, TOK_OUTPUT, TOK_CACHE_READ, TOK_CACHE_CREATION, TOK_REASONING, TOK__COUNT };
static const char *const token_types[TOK__COUNT] = { "input", "output", "cache_read", "cache_creation", "reasoning" };

typedef struct histogram {
    uint64_t count[NBUCKETS + 1];   /* last: +Inf */
    double   sum;
    uint64_t n;
} histogram;

typedef struct series {
    char      provider[64];
    char      model[128];
    uint64_t  ok, failed;
    uint64_t  errors[LLMGW_ERRCLASS__COUNT];
    uint64_t  tokens[TOK__COUNT];
    int64_t   spend_nusd;
    uint64_t  unknown_cost;
    uint64_t  attempts, retries, fallbacks;
    uint64_t  cache_hits;
    histogram latency, ttft;
} series;

typedef struct cooldown {
    char     deployment[192];
    uint64_t count;
} cooldown;

typedef struct tables {
    series   *series;
    size_t    nseries, series_cap;
    cooldown *cooldowns;
    size_t    ncooldowns, cooldowns_cap;
    uint64_t  cache_hits, cache_misses;
} tables;

struct llmgw__metrics {
    pthread_mutex_t mu;
    tables          t;
};

struct llmgw_metrics {
    tables t;
};

int llmgw__metrics_new(llmgw__metrics **out)
{
    llmgw__metrics *m = llmgw__calloc(1, sizeof(*m));

    *out = NULL;
    if (m == NULL)
        return llmgw__error_oom();
    if (pthread_mutex_init(&m->mu, NULL) != 0) {
        llmgw__free(m);
        return llmgw__error_oom();
    }
    *out = m;
    return 0;
}

static void tables_dispose(tables *t)
{
    llmgw__free(t->series);
    llmgw__free(t->cooldowns);
    memset(t, 0, sizeof(*t));
}

void llmgw__metrics_free(llmgw__metrics *m)
{
    if (m == NULL)
        return;
    pthread_mutex_destroy(&m->mu);
    tables_dispose(&m->t);
    llmgw__free(m);
}

/* Caller holds the lock. NULL when out of memory (the sample is dropped). */
static series *find_series(tables *t, const char *provider, const char *model)
{
    size_t i;
    series *s;

    provider = provider ? provider : "";
    model = model ? model : "";
    for (i = 0; i < t->nseries; i++)
        if (strcmp(t->series[i].provider, provider) == 0 && strcmp(t->series[i].model, model) == 0)
            return &t->series[i];
    if (t->nseries == t->series_cap) {
        size_t cap = t->series_cap ? t->series_cap * 2 : 8;
        series *ns = llmgw__reallocarray(t->series, cap, sizeof(*ns));
        if (ns == NULL)
            return NULL;
        t->series = ns;
        t->series_cap = cap;
    }
    s = &t->series[t->nseries++];
    memset(s, 0, sizeof(*s));
    snprintf(s->provider, sizeof(s->provider), "%s", provider);
    snprintf(s->model, sizeof(s->model), "%s", model);
    return s;
}

static void observe(histogram *h, double seconds)
{
    size_t i;

    for (i = 0; i < NBUCKETS && seconds > bucket_le[i]; i++)
        ;
    h->count[i]++;
    h->sum += seconds;
    h->n++;
}

void llmgw__metrics_record(llmgw__metrics *m, const llmgw_usage *u)
{
    series *s;

    if (m == NULL || u == NULL)
        return;
    pthread_mutex_lock(&m->mu);
    s = find_series(&m->t, u->provider, u->model);
    if (s != NULL) {
        if (u->status == 0)
            s->ok++;
        else
            s->failed++;
        if (u->status != 0 && u->error_class > 0 && u->error_class < LLMGW_ERRCLASS__COUNT)
            s->errors[u->error_class]++;
        s->tokens[TOK_INPUT] += u->input_tokens;
        s->tokens[TOK_OUTPUT] += u->output_tokens;
        s->tokens[TOK_CACHE_READ] += u->cache_read_tokens;
        s->tokens[TOK_CACHE_CREATION] += u->cache_creation_tokens;
        s->tokens[TOK_REASONING] += u->reasoning_tokens;
        if (u->cost_source != LLMGW_COST_UNKNOWN)
            s->spend_nusd += u->cost_nusd;
        else if (u->attempts > 0 && !u->cache_hit)
            s->unknown_cost++;
        s->attempts += u->attempts;
        s->retries += u->attempts > 1 ? u->attempts - 1 : 0;
        s->fallbacks += u->fallbacks;
        s->cache_hits += u->cache_hit ? 1 : 0;
        observe(&s->latency, (double)u->latency_us / 1e6);
        if (u->ttft_us >= 0)
            observe(&s->ttft, (double)u->ttft_us / 1e6);
    }
    pthread_mutex_unlock(&m->mu);
}

void llmgw__metrics_breaker_opened(llmgw__metrics *m, const char *deployment)
{
    tables *t;
    size_t i;

    if (m == NULL || deployment == NULL)
        return;
    pthread_mutex_lock(&m->mu);
    t = &m->t;
    for (i = 0; i < t->ncooldowns; i++)
        if (strcmp(t->cooldowns[i].deployment, deployment) == 0)
            break;
    if (i == t->ncooldowns) {
        if (t->ncooldowns == t->cooldowns_cap) {
            size_t cap = t->cooldowns_cap ? t->cooldowns_cap * 2 : 8;
            cooldown *nc = llmgw__reallocarray(t->cooldowns, cap, sizeof(*nc));
            if (nc == NULL)
                goto out;
            t->cooldowns = nc;
            t->cooldowns_cap = cap;
        }
        memset(&t->cooldowns[i], 0, sizeof(t->cooldowns[i]));
        snprintf(t->cooldowns[i].deployment, sizeof(t->cooldowns[i].deployment), "%s", deployment);
        t->ncooldowns++;
    }
    t->cooldowns[i].count++;
out:
    pthread_mutex_unlock(&m->mu);
}

void llmgw__metrics_cache_lookup(llmgw__metrics *m, bool hit)
{
    if (m == NULL)
        return;
    pthread_mutex_lock(&m->mu);
    if (hit)
        m->t.cache_hits++;
    else
        m->t.cache_misses++;
    pthread_mutex_unlock(&m->mu);
}

/* ---- snapshot ---- */

int llmgw_metrics_get(llmgw_metrics **out, llmgw_gateway *gw)
{
    llmgw__metrics *m;
    llmgw_metrics *snap;

    LLMGW_CHECK_ARG(out);
    *out = NULL;
    LLMGW_CHECK_ARG(gw);
    m = llmgw__gateway_metrics(gw);
    snap = llmgw__calloc(1, sizeof(*snap));
    if (snap == NULL)
        return llmgw__error_oom();
    pthread_mutex_lock(&m->mu);
    snap->t = m->t;
    snap->t.series = NULL;
    snap->t.cooldowns = NULL;
    if (m->t.nseries > 0)
        snap->t.series = llmgw__calloc(m->t.nseries, sizeof(series));
    if (m->t.ncooldowns > 0)
        snap->t.cooldowns = llmgw__calloc(m->t.ncooldowns, sizeof(cooldown));
    if ((m->t.nseries > 0 && snap->t.series == NULL) || (m->t.ncooldowns > 0 && snap->t.cooldowns == NULL)) {
        pthread_mutex_unlock(&m->mu);
        llmgw_metrics_free(snap);
        return llmgw__error_oom();
    }
    if (m->t.nseries > 0)
        memcpy(snap->t.series, m->t.series, m->t.nseries * sizeof(series));
    if (m->t.ncooldowns > 0)
        memcpy(snap->t.cooldowns, m->t.cooldowns, m->t.ncooldowns * sizeof(cooldown));
    snap->t.series_cap = snap->t.nseries;
    snap->t.cooldowns_cap = snap->t.ncooldowns;
    pthread_mutex_unlock(&m->mu);
    *out = snap;
    return 0;
}

void llmgw_metrics_free(llmgw_metrics *m)
{
    if (m == NULL)
        return;
    tables_dispose(&m->t);
    llmgw__free(m);
}

int llmgw_metrics_totals_get(llmgw_metrics_totals *out, const llmgw_metrics *m)
{
    size_t i;

    LLMGW_CHECK_ARG(out);
    LLMGW_CHECK_ARG(m);
    memset(out, 0, sizeof(*out));
    out->version = 1;
    for (i = 0; i < m->t.nseries; i++) {
        const series *s = &m->t.series[i];
        out->requests += s->ok + s->failed;
        out->failures += s->failed;
        out->attempts += s->attempts;
        out->retries += s->retries;
        out->fallbacks += s->fallbacks;
        out->input_tokens += s->tokens[TOK_INPUT];
        out->output_tokens += s->tokens[TOK_OUTPUT];
        out->cache_read_tokens += s->tokens[TOK_CACHE_READ];
        out->cache_creation_tokens += s->tokens[TOK_CACHE_CREATION];
        out->reasoning_tokens += s->tokens[TOK_REASONING];
        out->spend_nusd += s->spend_nusd;
        out->unknown_cost += s->unknown_cost;
    }
    out->cache_hits = m->t.cache_hits;
    out->cache_misses = m->t.cache_misses;
    for (i = 0; i < m->t.ncooldowns; i++)
        out->breaker_openings += m->t.cooldowns[i].count;
    return 0;
}

/* ---- Prometheus ---- */

static int label(llmgw_buf *b, const char *name, const char *value)
{
    const char *p;

    LLMGW_TRY(llmgw__buf_printf(b, "%s=\"", name));
    for (p = value ? value : ""; *p; p++) {
        if (*p == '\\' || *p == '"')
            LLMGW_TRY(llmgw__buf_putc(b, '\\'));
        if (*p == '\n') {
            LLMGW_TRY(llmgw__buf_puts(b, "\\n"));
            continue;
        }
        LLMGW_TRY(llmgw__buf_putc(b, *p));
    }
    return llmgw__buf_putc(b, '"');
}

static int series_labels(llmgw_buf *b, const series *s)
{
    LLMGW_TRY(label(b, "provider", s->provider));
    LLMGW_TRY(llmgw__buf_putc(b, ','));
    return label(b, "model", s->model);
}

static int header(llmgw_buf *b, const char *name, const char *type, const char *help)
{
    return llmgw__buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static int histogram_lines(llmgw_buf *b, const char *name, const series *s, const histogram *h)
{
    uint64_t cum = 0;
    size_t i;

    for (i = 0; i <= NBUCKETS; i++) {
        cum += h->count[i];
        LLMGW_TRY(llmgw__buf_printf(b, "%s_bucket{", name));
        LLMGW_TRY(series_labels(b, s));
        if (i < NBUCKETS)
            LLMGW_TRY(llmgw__buf_printf(b, ",le=\"%g\"} %llu\n", bucket_le[i], (unsigned long long)cum));
        else
            LLMGW_TRY(llmgw__buf_printf(b, ",le=\"+Inf\"} %llu\n", (unsigned long long)cum));
    }
    LLMGW_TRY(llmgw__buf_printf(b, "%s_sum{", name));
    LLMGW_TRY(series_labels(b, s));
    LLMGW_TRY(llmgw__buf_printf(b, "} %.6f\n%s_count{", h->sum, name));
    LLMGW_TRY(series_labels(b, s));
    return llmgw__buf_printf(b, "} %llu\n", (unsigned long long)h->n);
}

/* A nano-USD amount as a decimal USD string, exact (no binary floating point). */
static int usd(llmgw_buf *b, int64_t nusd)
{
    uint64_t a = nusd < 0 ? (uint64_t)0 - (uint64_t)nusd : (uint64_t)nusd;

    return llmgw__buf_printf(b, "%s%llu.%09llu", nusd < 0 ? "-" : "", (unsigned long long)(a / 1000000000u),
                             (unsigned long long)(a % 1000000000u));
}

int llmgw_metrics_to_prometheus(llmgw_buf *b, const llmgw_metrics *m)
{
    size_t i;
    int k;

    LLMGW_CHECK_ARG(b);
    LLMGW_CHECK_ARG(m);
    LLMGW_TRY(header(b, "llmgw_requests_total", "counter", "Logical requests by outcome."));
    for (i = 0; i < m->t.nseries; i++) {
        const series *s = &m->t.series[i];
        LLMGW_TRY(llmgw__buf_puts(b, "llmgw_requests_total{"));
        LLMGW_TRY(series_labels(b, s));
        LLMGW_TRY(llmgw__buf_printf(b, ",status=\"success\"} %llu\nllmgw_requests_total{", (unsigned long long)s->ok));
        LLMGW_TRY(series_labels(b, s));
        LLMGW_TRY(llmgw__buf_printf(b, ",status=\"failure\"} %llu\n", (unsigned long long)s->failed));
    }
    LLMGW_TRY(header(b, "llmgw_errors_total", "counter", "Failed logical requests by error class."));
    for (i = 0; i < m->t.nseries; i++) {
        for (k = 1; k < LLMGW_ERRCLASS__COUNT; k++) {
            if (m->t.series[i].errors[k] == 0)
                continue;
            LLMGW_TRY(llmgw__buf_puts(b, "llmgw_errors_total{"));
            LLMGW_TRY(series_labels(b, &m->t.series[i]));
            LLMGW_TRY(llmgw__buf_printf(b, ",class=\"%s\"} %llu\n", llmgw_error_class_str(k),
                                        (unsigned long long)m->t.series[i].errors[k]));
        }
    }
    LLMGW_TRY(header(b, "llmgw_tokens_total", "counter", "Tokens by kind (input includes cache reads and writes)."));
    for (i = 0; i < m->t.nseries; i++) {
        for (k = 0; k < TOK__COUNT; k++) {
            LLMGW_TRY(llmgw__buf_puts(b, "llmgw_tokens_total{"));
            LLMGW_TRY(series_labels(b, &m->t.series[i]));
            LLMGW_TRY(llmgw__buf_printf(b, ",type=\"%s\"} %llu\n", token_types[k],
                                        (unsigned long long)m->t.series[i].tokens[k]));
        }
    }
    LLMGW_TRY(header(b, "llmgw_spend_usd_total", "counter", "Spend in USD (known costs; from integer nano-USD)."));
    for (i = 0; i < m->t.nseries; i++) {
        LLMGW_TRY(llmgw__buf_puts(b, "llmgw_spend_usd_total{"));
        LLMGW_TRY(series_labels(b, &m->t.series[i]));
        LLMGW_TRY(llmgw__buf_puts(b, "} "));
        LLMGW_TRY(usd(b, m->t.series[i].spend_nusd));
        LLMGW_TRY(llmgw__buf_putc(b, '\n'));
    }
    LLMGW_TRY(header(b, "llmgw_request_duration_seconds", "histogram", "Logical request latency."));
    for (i = 0; i < m->t.nseries; i++)
        LLMGW_TRY(histogram_lines(b, "llmgw_request_duration_seconds", &m->t.series[i], &m->t.series[i].latency));
    LLMGW_TRY(header(b, "llmgw_time_to_first_token_seconds", "histogram", "Time to the first streamed token."));
    for (i = 0; i < m->t.nseries; i++)
        LLMGW_TRY(histogram_lines(b, "llmgw_time_to_first_token_seconds", &m->t.series[i], &m->t.series[i].ttft));
    LLMGW_TRY(header(b, "llmgw_retries_total", "counter", "Upstream attempts beyond the first."));
    for (i = 0; i < m->t.nseries; i++) {
        LLMGW_TRY(llmgw__buf_puts(b, "llmgw_retries_total{"));
        LLMGW_TRY(series_labels(b, &m->t.series[i]));
        LLMGW_TRY(llmgw__buf_printf(b, "} %llu\n", (unsigned long long)m->t.series[i].retries));
    }
    LLMGW_TRY(header(b, "llmgw_fallbacks_total", "counter", "Switches to another deployment or group."));
    for (i = 0; i < m->t.nseries; i++) {
        LLMGW_TRY(llmgw__buf_puts(b, "llmgw_fallbacks_total{"));
        LLMGW_TRY(series_labels(b, &m->t.series[i]));
        LLMGW_TRY(llmgw__buf_printf(b, "} %llu\n", (unsigned long long)m->t.series[i].fallbacks));
    }
    LLMGW_TRY(header(b, "llmgw_deployment_cooldowns_total", "counter", "Circuit-breaker openings per deployment."));
    for (i = 0; i < m->t.ncooldowns; i++) {
        LLMGW_TRY(llmgw__buf_puts(b, "llmgw_deployment_cooldowns_total{"));
        LLMGW_TRY(label(b, "deployment", m->t.cooldowns[i].deployment));
        LLMGW_TRY(llmgw__buf_printf(b, "} %llu\n", (unsigned long long)m->t.cooldowns[i].count));
    }
    LLMGW_TRY(header(b, "llmgw_cache_hits_total", "counter", "Response-cache hits."));
    LLMGW_TRY(llmgw__buf_printf(b, "llmgw_cache_hits_total %llu\n", (unsigned long long)m->t.cache_hits));
    LLMGW_TRY(header(b, "llmgw_cache_misses_total", "counter", "Response-cache misses."));
    return llmgw__buf_printf(b, "llmgw_cache_misses_total %llu\n", (unsigned long long)m->t.cache_misses);
}

int llmgw_metrics_to_json(llmgw_buf *out, const llmgw_metrics *m)
{
    llmgw_metrics_totals tot;
    cJSON *o, *arr, *s;
    size_t i;
    int k, rc;

    LLMGW_CHECK_ARG(out);
    LLMGW_CHECK_ARG(m);
    llmgw_metrics_totals_get(&tot, m);
    o = cJSON_CreateObject();
    if (o == NULL)
        return llmgw__error_oom();
    cJSON_AddNumberToObject(o, "requests", (double)tot.requests);
    cJSON_AddNumberToObject(o, "failures", (double)tot.failures);
    cJSON_AddNumberToObject(o, "attempts", (double)tot.attempts);
    cJSON_AddNumberToObject(o, "retries", (double)tot.retries);
    cJSON_AddNumberToObject(o, "fallbacks", (double)tot.fallbacks);
    cJSON_AddNumberToObject(o, "spend_nano_usd", (double)tot.spend_nusd);
    cJSON_AddNumberToObject(o, "unknown_cost", (double)tot.unknown_cost);
    cJSON_AddNumberToObject(o, "cache_hits", (double)tot.cache_hits);
    cJSON_AddNumberToObject(o, "cache_misses", (double)tot.cache_misses);
    cJSON_AddNumberToObject(o, "breaker_openings", (double)tot.breaker_openings);
    arr = cJSON_AddArrayToObject(o, "series");
    for (i = 0; arr != NULL && i < m->t.nseries; i++) {
        const series *se = &m->t.series[i];
        cJSON *tok, *err;
        s = cJSON_CreateObject();
        if (s == NULL || !cJSON_AddItemToArray(arr, s))
            break;
        cJSON_AddStringToObject(s, "provider", se->provider);
        cJSON_AddStringToObject(s, "model", se->model);
        cJSON_AddNumberToObject(s, "success", (double)se->ok);
        cJSON_AddNumberToObject(s, "failure", (double)se->failed);
        cJSON_AddNumberToObject(s, "spend_nano_usd", (double)se->spend_nusd);
        tok = cJSON_AddObjectToObject(s, "tokens");
        for (k = 0; k < TOK__COUNT; k++)
            cJSON_AddNumberToObject(tok, token_types[k], (double)se->tokens[k]);
        err = cJSON_AddObjectToObject(s, "errors");
        for (k = 1; k < LLMGW_ERRCLASS__COUNT; k++)
            if (se->errors[k])
                cJSON_AddNumberToObject(err, llmgw_error_class_str(k), (double)se->errors[k]);
        cJSON_AddNumberToObject(s, "latency_count", (double)se->latency.n);
        cJSON_AddNumberToObject(s, "latency_sum_seconds", se->latency.sum);
    }
    rc = llmgw__json_print(out, o);
    cJSON_Delete(o);
    return rc;
}
