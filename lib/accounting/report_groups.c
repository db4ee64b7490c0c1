/*
 * lib/accounting/report_groups.c: the options reports and simulations share,
 * the read loop over several logs, and the table of rows by grouping key (an
 * open-addressing hash index over an array; past max_groups new keys share
 * one "(other)" row, so a hostile log cannot grow it without bound).
 */
#include "../core/common.h"
#include "../core/buf.h"
#include "../core/clock.h"
#include "../core/errors.h"
#include "report.h"

#include <stdio.h>
#include <stdlib.h>

static const char *const by_names[] = { "customer", "tag", "group", "provider", "model", "day" };

int llmgw__report_cfg_init(llmgw__report_cfg *cfg, const llmgw_report_options *opts, const char *default_by)
{
    const char *by = opts && opts->by ? opts->by : default_by;
    const char *fmt = opts && opts->format ? opts->format : "json";
    int64_t now;
    size_t i;

    memset(cfg, 0, sizeof(*cfg));
    if (opts != NULL && (opts->version == 0 || opts->version > LLMGW_REPORT_OPTIONS_VERSION))
        return llmgw__error_setc(LLMGW_EVERSION, LLMGW_ERRCLASS_CONFIG, "report options version %u not supported",
                                 opts->version);
    cfg->by = -1;
    for (i = 0; i < LLMGW_ARRAY_SIZE(by_names); i++)
        if (strcmp(by, by_names[i]) == 0) {
            cfg->by = (int)i;
            cfg->by_name = by_names[i];
        }
    if (cfg->by < 0)
        return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG,
                                 "by: '%.40s' is not one of customer, tag, group, provider, model, day", by);
    if (strcmp(fmt, "json") == 0)
        cfg->format = LLMGW__FMT_JSON;
    else if (strcmp(fmt, "csv") == 0)
        cfg->format = LLMGW__FMT_CSV;
    else if (strcmp(fmt, "text") == 0)
        cfg->format = LLMGW__FMT_TEXT;
    else
        return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG,
                                 "format: '%.40s' is not one of json, csv, text", fmt);
    now = opts && opts->now_us ? opts->now_us : llmgw__wall_us();
    cfg->since_us = INT64_MIN;
    cfg->until_us = INT64_MAX;
    if ((opts && opts->since && llmgw__time_parse(&cfg->since_us, opts->since, now) < 0) ||
        (opts && opts->until && llmgw__time_parse(&cfg->until_us, opts->until, now) < 0)) {
        char why[256];
        snprintf(why, sizeof(why), "%s", llmgw_error_last()->message);    /* it is about to be replaced */
        return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG, "%s: %s",
                                 opts->since && cfg->since_us == INT64_MIN ? "since" : "until", why);
    }
    if (cfg->since_us >= cfg->until_us)
        return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG, "since must be before until");
    cfg->max_groups = opts && opts->max_groups ? opts->max_groups : LLMGW__REPORT_DEFAULT_GROUPS;
    cfg->max_line = opts && opts->max_line_bytes ? opts->max_line_bytes : LLMGW__LOGREAD_DEFAULT_LINE;
    if (cfg->max_groups > ((size_t)1 << 24) || cfg->max_line > LLMGW__LOGREAD_MAX_LINE)
        return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG,
                                 "max_groups is at most 16777216 and max_line_bytes at most 64 MiB");
    return 0;
}

int llmgw_report_options_init(llmgw_report_options *opts, unsigned int version)
{
    LLMGW_CHECK_ARG(opts);
    if (version == 0 || version > LLMGW_REPORT_OPTIONS_VERSION)
        return llmgw__error_setc(LLMGW_EVERSION, LLMGW_ERRCLASS_CONFIG, "unsupported options version %u", version);
    memset(opts, 0, sizeof(*opts));
    opts->version = version;
    return 0;
}

int llmgw__report_read(const char *const *paths, size_t n, const llmgw__report_cfg *cfg,
                       llmgw__logread_counts *counts, int (*fn)(const llmgw__logrec *rec, void *arg), void *arg)
{
    llmgw__logrec *rec = llmgw__malloc(sizeof(*rec));
    size_t i;
    int rc = 0;

    if (rec == NULL)
        return llmgw__error_oom();
    for (i = 0; i < n && rc >= 0; i++) {
        llmgw__logread r;
        if ((rc = llmgw__logread_open(&r, paths[i], cfg->max_line, cfg->since_us, cfg->until_us, counts)) < 0)
            break;
        while ((rc = llmgw__logread_next(&r, rec)) > 0) {
            int f = fn(rec, arg);
            if (f < 0) {
                rc = f;
                break;
            }
            if (f > 0)
                llmgw__logread_reject(&r, "its sums would overflow the totals");
        }
        llmgw__logread_close(&r);
    }
    llmgw__free(rec);
    return rc < 0 ? rc : 0;
}

/* ---- the table ---- */

static uint64_t fnv1a(const char *s, size_t n, int kind)
{
    uint64_t h = 0xcbf29ce484222325ull ^ (uint64_t)kind;
    size_t i;

    for (i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

int llmgw__gtable_init(llmgw__gtable *t, size_t row_size, size_t max_groups)
{
    memset(t, 0, sizeof(*t));
    t->row_size = row_size;
    t->max = max_groups;
    t->nslots = 64;
    t->slots = llmgw__calloc(t->nslots, sizeof(*t->slots));
    return t->slots ? 0 : llmgw__error_oom();
}

void llmgw__gtable_dispose(llmgw__gtable *t)
{
    size_t i;

    for (i = 0; i < t->n; i++)
        llmgw__free(t->entries[i].key);
    llmgw__free(t->entries);
    llmgw__free(t->rows);
    llmgw__free(t->slots);
    llmgw_buf_dispose(&t->scratch);
    memset(t, 0, sizeof(*t));
}

static bool same(const llmgw__gentry *e, const char *key, size_t klen, int kind, uint64_t h)
{
    return e->hash == h && e->kind == kind && e->klen == klen && (klen == 0 || memcmp(e->key, key, klen) == 0);
}

static int rehash(llmgw__gtable *t)
{
    size_t ns = t->nslots * 2, i, j;
    uint32_t *slots = llmgw__calloc(ns, sizeof(*slots));

    if (slots == NULL)
        return llmgw__error_oom();
    for (i = 0; i < t->n; i++) {
        for (j = t->entries[i].hash & (ns - 1); slots[j] != 0; j = (j + 1) & (ns - 1))
            ;
        slots[j] = (uint32_t)(i + 1);
    }
    llmgw__free(t->slots);
    t->slots = slots;
    t->nslots = ns;
    return 0;
}

/* Append an entry (key copied) with a zeroed row; its index, or -1 on ENOMEM. */
static long add_entry(llmgw__gtable *t, const char *key, size_t klen, int kind, uint64_t h)
{
    llmgw__gentry *e;

    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        llmgw__gentry *ne = llmgw__reallocarray(t->entries, cap, sizeof(*ne));
        unsigned char *nr;
        if (ne == NULL)
            return -1;
        t->entries = ne;
        if ((nr = llmgw__reallocarray(t->rows, cap, t->row_size)) == NULL)
            return -1;
        t->rows = nr;
        t->cap = cap;
    }
    if ((t->n + 1) * 2 > t->nslots && rehash(t) < 0)
        return -1;
    e = &t->entries[t->n];
    e->key = NULL;
    if (kind == LLMGW__KEY_STR && (e->key = llmgw__strndup(key, klen)) == NULL)
        return -1;
    e->klen = klen;
    e->kind = kind;
    e->hash = h;
    memset(llmgw__gtable_at(t, t->n), 0, t->row_size);
    return (long)t->n++;
}

void *llmgw__gtable_row(llmgw__gtable *t, const char *key)
{
    int kind = key ? LLMGW__KEY_STR : LLMGW__KEY_NONE;
    const char *k = "";
    size_t klen = 0, j;
    uint64_t h;
    long idx;

    if (key != NULL) {
        if (llmgw__logread_key(&t->scratch, key, strlen(key)) < 0)
            return NULL;
        k = llmgw__buf_cstr(&t->scratch);
        klen = t->scratch.size;
    }
    h = fnv1a(k, klen, kind);
    for (j = h & (t->nslots - 1); t->slots[j] != 0; j = (j + 1) & (t->nslots - 1)) {
        const llmgw__gentry *e = &t->entries[t->slots[j] - 1];
        if (same(e, k, klen, kind, h))
            return llmgw__gtable_at(t, t->slots[j] - 1);
    }
    if (t->n >= t->max) {                   /* full: the (other) row */
        if (t->other == 0) {
            if ((idx = add_entry(t, "", 0, LLMGW__KEY_OTHER, fnv1a("", 0, LLMGW__KEY_OTHER))) < 0)
                return NULL;
            t->other = (size_t)idx + 1;
            /* not indexed: never looked up by key */
        }
        return llmgw__gtable_at(t, t->other - 1);
    }
    if ((idx = add_entry(t, k, klen, kind, h)) < 0)
        return NULL;
    for (j = h & (t->nslots - 1); t->slots[j] != 0; j = (j + 1) & (t->nslots - 1))
        ;
    t->slots[j] = (uint32_t)(idx + 1);
    return llmgw__gtable_at(t, (size_t)idx);
}

int llmgw__gtable_each(llmgw__gtable *t, int by, const llmgw__logrec *rec,
                       void (*fn)(void *row, const llmgw__logrec *rec, void *arg), void *arg)
{
    char key[LLMGW__LOGREAD_MAX_KEY * 2 + 8];
    const char *k = NULL;
    void *row;
    size_t i;

    switch (by) {
    case LLMGW__BY_CUSTOMER: k = rec->customer; break;
    case LLMGW__BY_GROUP: k = rec->group; break;
    case LLMGW__BY_PROVIDER: k = rec->provider; break;
    case LLMGW__BY_MODEL:
        if (rec->model != NULL && rec->provider != NULL) {
            snprintf(key, sizeof(key), "%.*s/%.*s", (int)LLMGW__LOGREAD_MAX_KEY, rec->provider,
                     (int)LLMGW__LOGREAD_MAX_KEY, rec->model);
            k = key;
        } else {
            k = rec->model;
        }
        break;
    case LLMGW__BY_DAY:
        if (rec->has_time) {
            llmgw__day_format(key, sizeof(key), rec->start_us);
            k = key;
        }
        break;
    case LLMGW__BY_TAG:
        for (i = 0; i < rec->ntags; i++) {
            if ((row = llmgw__gtable_row(t, rec->tags[i])) == NULL)
                return llmgw__error_oom();
            fn(row, rec, arg);
        }
        if (rec->ntags > 0)
            return 0;
        break;
    default:
        break;
    }
    if ((row = llmgw__gtable_row(t, k)) == NULL)
        return llmgw__error_oom();
    fn(row, rec, arg);
    return 0;
}

llmgw__gref *llmgw__gtable_sorted(const llmgw__gtable *t, int (*cmp)(const void *, const void *))
{
    llmgw__gref *refs = llmgw__reallocarray(NULL, t->n ? t->n : 1, sizeof(*refs));
    size_t i;

    if (refs == NULL)
        return NULL;
    for (i = 0; i < t->n; i++) {
        refs[i].e = &t->entries[i];
        refs[i].row = llmgw__gtable_at(t, i);
    }
    if (t->n > 1)
        qsort(refs, t->n, sizeof(*refs), cmp);
    return refs;
}

int llmgw__gref_key_cmp(const llmgw__gref *a, const llmgw__gref *b)
{
    size_t n;
    int c;

    if (a->e->kind != b->e->kind)
        return a->e->kind < b->e->kind ? -1 : 1;
    if (a->e->kind != LLMGW__KEY_STR)
        return 0;
    n = LLMGW_MIN(a->e->klen, b->e->klen);
    c = memcmp(a->e->key, b->e->key, n);
    if (c != 0)
        return c;
    return a->e->klen < b->e->klen ? -1 : a->e->klen > b->e->klen;
}
