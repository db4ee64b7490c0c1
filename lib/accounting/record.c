/*
 * lib/accounting/record.c: the usage record and its JSON rendering
 * (docs/conventions.md §9 keys).
 */
#include "../core/common.h"
#include "../core/buf.h"
#include "../core/errors.h"
#include "../core/json.h"
#include "record.h"

#include <stdio.h>
#include <time.h>

void llmgw__record_init(llmgw__record *rec)
{
    memset(&rec->u, 0, sizeof(rec->u));
    llmgw__arena_init(&rec->arena, rec->inline_mem, sizeof(rec->inline_mem));
    rec->trail = rec->inline_trail;
    rec->trail_cap = LLMGW__RECORD_INLINE_ATTEMPTS;
    rec->u.version = LLMGW_USAGE_VERSION;
    rec->u.operation = "chat";
    rec->u.ttft_us = -1;
}

void llmgw__record_dispose(llmgw__record *rec)
{
    if (rec == NULL)
        return;
    llmgw__arena_dispose(&rec->arena);
    if (rec->trail != rec->inline_trail)
        llmgw__free(rec->trail);
    rec->trail = rec->inline_trail;
    rec->trail_cap = LLMGW__RECORD_INLINE_ATTEMPTS;
    memset(&rec->u, 0, sizeof(rec->u));
}

int llmgw__record_str(llmgw__record *rec, const char **field, const char *s)
{
    return llmgw__arena_dup(&rec->arena, field, s);
}

int llmgw__record_metadata(llmgw__record *rec, const cJSON *metadata)
{
    char *text;
    int rc;

    if (metadata == NULL || !cJSON_IsObject(metadata) || metadata->child == NULL) {
        rec->u.metadata_json = NULL;
        return 0;
    }
    if ((text = cJSON_PrintUnformatted(metadata)) == NULL)
        return llmgw__error_oom();
    rc = llmgw__record_str(rec, &rec->u.metadata_json, text);
    cJSON_free(text);
    return rc < 0 ? llmgw__error_oom() : 0;
}

int llmgw__record_add_attempt(llmgw__record *rec, const llmgw_attempt *a, llmgw_attempt **out)
{
    llmgw_attempt *slot;

    if (rec->u.attempts == rec->trail_cap) {
        size_t cap = rec->trail_cap * 2;
        llmgw_attempt *t = llmgw__reallocarray(rec->trail == rec->inline_trail ? NULL : rec->trail,
                                               cap, sizeof(*t));
        if (t == NULL)
            return llmgw__error_oom();
        if (rec->trail == rec->inline_trail)
            memcpy(t, rec->inline_trail, sizeof(rec->inline_trail));
        rec->trail = t;
        rec->trail_cap = cap;
    }
    slot = &rec->trail[rec->u.attempts];
    *slot = *a;
    if (llmgw__record_str(rec, &slot->deployment, a->deployment) < 0 ||
        llmgw__record_str(rec, &slot->provider, a->provider) < 0 ||
        llmgw__record_str(rec, &slot->model, a->model) < 0 ||
        llmgw__record_str(rec, &slot->group, a->group) < 0 ||
        llmgw__record_str(rec, &slot->route_rule, a->route_rule) < 0)
        return llmgw__error_oom();
    rec->u.attempts++;
    rec->u.trail = rec->trail;
    if (out)
        *out = slot;
    return 0;
}

void llmgw__record_sum_tokens(llmgw__record *rec)
{
    llmgw_usage *u = &rec->u;
    unsigned int i;

    u->input_tokens = u->output_tokens = u->cache_read_tokens = 0;
    u->cache_creation_tokens = u->reasoning_tokens = 0;
    u->usage_known = 0;
    for (i = 0; i < u->attempts; i++) {
        const llmgw_attempt *a = &rec->trail[i];
        if (!a->usage_known && !a->usage_estimated)
            continue;
        if (a->usage_known)
            u->usage_known = 1;
        u->input_tokens += a->input_tokens;
        u->output_tokens += a->output_tokens;
        u->cache_read_tokens += a->cache_read_tokens;
        u->cache_creation_tokens += a->cache_creation_tokens;
        u->reasoning_tokens += a->reasoning_tokens;
    }
    for (i = 0; i < u->attempts; i++)
        if (rec->trail[i].usage_estimated)
            u->usage_known = 0;     /* part of the totals is a local count */
    u->total_tokens = u->input_tokens + u->output_tokens;
}

/* ---- JSON ---- */

static int add_str_or_null(cJSON *o, const char *k, const char *v)
{
    return llmgw__json_add_item(o, k, v ? cJSON_CreateString(v) : cJSON_CreateNull());
}

static int add_u64(cJSON *o, const char *k, uint64_t v)
{
    return llmgw__json_add_num(o, k, (double)v);
}

static int add_money(cJSON *o, const char *k, int64_t v, bool known)
{
    return llmgw__json_add_item(o, k, known ? cJSON_CreateNumber((double)v) : cJSON_CreateNull());
}

static const char *cost_source_str(int s)
{
    return s == LLMGW_COST_COMPUTED ? "computed" : s == LLMGW_COST_ESTIMATED ? "estimated" : "unknown";
}

static int rfc3339(char *out, size_t n, int64_t us)
{
    time_t secs = (time_t)(us / 1000000);
    struct tm tm;

    if (gmtime_r(&secs, &tm) == NULL)
        return -1;
    snprintf(out, n, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", (tm.tm_year + 1900) % 10000,
             (tm.tm_mon + 1) % 100, tm.tm_mday % 100, tm.tm_hour % 100, tm.tm_min % 100,
             tm.tm_sec % 100, (int)((us / 1000) % 1000));
    return 0;
}

cJSON *llmgw__attempt_json(const llmgw_attempt *a)
{
    cJSON *o = cJSON_CreateObject();
    bool cost_known = a->cost_source != LLMGW_COST_UNKNOWN;

    if (o == NULL)
        return NULL;
    if (add_str_or_null(o, "deployment", a->deployment) < 0 ||
        add_str_or_null(o, "provider", a->provider) < 0 ||
        add_str_or_null(o, "model", a->model) < 0 ||
        llmgw__json_add_str(o, "status", a->status == 0 ? "success" : "failure") < 0 ||
        add_str_or_null(o, "error_class", a->error_class ? llmgw_error_class_str(a->error_class) : NULL) < 0 ||
        llmgw__json_add_num(o, "http_status", a->http_status) < 0 ||
        llmgw__json_add_bool(o, "usage_known", a->usage_known != 0) < 0 ||
        llmgw__json_add_bool(o, "billed", a->billed != 0) < 0 ||
        add_u64(o, "input_tokens", a->input_tokens) < 0 ||
        add_u64(o, "output_tokens", a->output_tokens) < 0 ||
        add_u64(o, "cache_read_tokens", a->cache_read_tokens) < 0 ||
        add_u64(o, "cache_creation_tokens", a->cache_creation_tokens) < 0 ||
        add_u64(o, "reasoning_tokens", a->reasoning_tokens) < 0 ||
        llmgw__json_add_bool(o, "usage_estimated", a->usage_estimated != 0) < 0 ||
        add_money(o, "cost_nano_usd", a->cost_nusd, cost_known) < 0 ||
        llmgw__json_add_str(o, "cost_source", cost_source_str(a->cost_source)) < 0 ||
        llmgw__json_add_num(o, "latency_ms", (double)a->latency_us / 1000.0) < 0 ||
        llmgw__json_add_num(o, "wait_ms", (double)a->wait_us / 1000.0) < 0 ||
        llmgw__json_add_item(o, "retry_after_ms", a->retry_after_ms >= 0
                             ? cJSON_CreateNumber((double)a->retry_after_ms) : cJSON_CreateNull()) < 0 ||
        add_str_or_null(o, "group", a->group) < 0 ||
        add_str_or_null(o, "route_rule", a->route_rule) < 0) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

/* "metadata": the caller's object of strings, or null (a record older than version 2 has none). */
static int metadata_json(cJSON *o, const llmgw_usage *u)
{
    cJSON *m = NULL, *it;

    if (u->version >= 2 && u->metadata_json != NULL) {
        m = cJSON_Parse(u->metadata_json);
        if (m == NULL || !cJSON_IsObject(m)) {
            cJSON_Delete(m);
            m = NULL;               /* not ours (a caller's own record): left out rather than trusted */
        } else {
            cJSON_ArrayForEach(it, m) {
                if (!cJSON_IsString(it)) {
                    cJSON_Delete(m);
                    m = NULL;
                    break;
                }
            }
        }
    }
    return llmgw__json_add_item(o, "metadata", m != NULL ? m : cJSON_CreateNull());
}

int llmgw__usage_json(cJSON **out, const llmgw_usage *u)
{
    cJSON *o = cJSON_CreateObject(), *trail = NULL, *tags = NULL;
    bool cost_known = u->cost_source != LLMGW_COST_UNKNOWN;
    char when[64];
    unsigned int i;
    size_t k;

    *out = NULL;
    if (o == NULL)
        return llmgw__error_oom();
    if (rfc3339(when, sizeof(when), u->start_time_us) < 0)
        when[0] = '\0';
    if (add_str_or_null(o, "request_id", u->request_id) < 0 ||
        add_str_or_null(o, "trace_id", u->trace_id) < 0 ||
        add_str_or_null(o, "operation", u->operation) < 0 ||
        add_str_or_null(o, "model_requested", u->model_requested) < 0 ||
        add_str_or_null(o, "group", u->group) < 0 ||
        add_str_or_null(o, "provider", u->provider) < 0 ||
        add_str_or_null(o, "model", u->model) < 0 ||
        add_str_or_null(o, "response_id", u->response_id) < 0 ||
        add_str_or_null(o, "deployment_id", u->deployment) < 0 ||
        add_str_or_null(o, "api_base", u->api_base) < 0 ||
        llmgw__json_add_str(o, "status", u->status == 0 ? "success" : "failure") < 0 ||
        add_str_or_null(o, "error_class", u->error_class ? llmgw_error_class_str(u->error_class) : NULL) < 0 ||
        llmgw__json_add_num(o, "http_status", u->http_status) < 0 ||
        add_str_or_null(o, "finish_reason", u->finish_reason) < 0 ||
        llmgw__json_add_bool(o, "stream", u->stream != 0) < 0 ||
        llmgw__json_add_bool(o, "usage_known", u->usage_known != 0) < 0 ||
        add_u64(o, "input_tokens", u->input_tokens) < 0 ||
        add_u64(o, "output_tokens", u->output_tokens) < 0 ||
        add_u64(o, "cache_read_tokens", u->cache_read_tokens) < 0 ||
        add_u64(o, "cache_creation_tokens", u->cache_creation_tokens) < 0 ||
        add_u64(o, "reasoning_tokens", u->reasoning_tokens) < 0 ||
        add_u64(o, "total_tokens", u->total_tokens) < 0 ||
        add_money(o, "cost_nano_usd", u->cost_nusd, cost_known) < 0 ||
        add_money(o, "input_cost_nano_usd", u->input_cost_nusd, cost_known) < 0 ||
        add_money(o, "output_cost_nano_usd", u->output_cost_nusd, cost_known) < 0 ||
        llmgw__json_add_item(o, "cost_usd", cost_known ? cJSON_CreateNumber((double)u->cost_nusd / 1e9)
                                                      : cJSON_CreateNull()) < 0 ||
        llmgw__json_add_str(o, "cost_source", cost_source_str(u->cost_source)) < 0 ||
        llmgw__json_add_str(o, "start_time", when) < 0 ||
        llmgw__json_add_num(o, "latency_ms", (double)u->latency_us / 1000.0) < 0 ||
        llmgw__json_add_item(o, "ttft_ms", u->ttft_us >= 0 ? cJSON_CreateNumber((double)u->ttft_us / 1000.0)
                                                           : cJSON_CreateNull()) < 0 ||
        llmgw__json_add_bool(o, "cache_hit", u->cache_hit != 0) < 0 ||
        llmgw__json_add_num(o, "saved_cost_nano_usd", (double)u->saved_cost_nusd) < 0 ||
        llmgw__json_add_num(o, "attempts", u->attempts) < 0 ||
        llmgw__json_add_num(o, "fallbacks", u->fallbacks) < 0 ||
        add_str_or_null(o, "customer", u->customer) < 0 ||
        add_str_or_null(o, "route_rule", u->route_rule) < 0)
        goto oom;
    trail = cJSON_CreateArray();
    if (llmgw__json_add_item(o, "trail", trail) < 0)
        goto oom;
    for (i = 0; i < u->attempts; i++)
        if (llmgw__json_append(trail, llmgw__attempt_json(&u->trail[i])) < 0)
            goto oom;
    tags = cJSON_CreateArray();
    if (llmgw__json_add_item(o, "tags", tags) < 0)
        goto oom;
    for (k = 0; k < u->tag_count; k++)
        if (llmgw__json_append(tags, cJSON_CreateString(u->tags[k])) < 0)
            goto oom;
    if (metadata_json(o, u) < 0)
        goto oom;
    *out = o;
    return 0;
oom:
    cJSON_Delete(o);
    return llmgw__error_oom();
}

int llmgw_usage_to_json(llmgw_buf *out, const llmgw_usage *usage)
{
    cJSON *o;
    int rc;

    LLMGW_CHECK_ARG(out);
    LLMGW_CHECK_ARG(usage);
    LLMGW_TRY(llmgw__usage_json(&o, usage));
    rc = llmgw__json_print(out, o);
    cJSON_Delete(o);
    return rc;
}
