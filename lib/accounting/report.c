/*
 * lib/accounting/report.c: llmgw_cost_report(): spend, requests, tokens by
 * kind, cache savings and error spend per grouping key, from usage logs.
 *
 * Sums are exact integers. Every per-record amount is bounded (tokens below
 * 2^40, money below 2^53) and a record counts at most once in any row
 * (tags are made distinct), so a row never exceeds the totals: checking the
 * totals for overflow before adding a record checks every row.
 */
#include "../core/common.h"
#include "../core/buf.h"
#include "../core/errors.h"
#include "report.h"

#include <stdio.h>

typedef struct row {
    uint64_t requests, successes, failures, cache_hits, unknown_cost;
    uint64_t input, output, cache_read, cache_creation, reasoning;
    int64_t  spend, saved, error_spend;
} row;

typedef struct report {
    const llmgw__report_cfg *cfg;
    llmgw__gtable            groups;
    row                      total;
} report;

static bool add_u(uint64_t *acc, uint64_t v, bool dry)
{
    uint64_t r;

    if (__builtin_add_overflow(*acc, v, &r))
        return false;
    if (!dry)
        *acc = r;
    return true;
}

static bool add_i(int64_t *acc, int64_t v, bool dry)
{
    int64_t r;

    if (__builtin_add_overflow(*acc, v, &r))
        return false;
    if (!dry)
        *acc = r;
    return true;
}

/* Add rec to r; with dry, only check that it would not overflow. */
static bool row_add(row *r, const llmgw__logrec *rec, bool dry)
{
    bool ok = add_u(&r->requests, 1, dry) && add_u(&r->successes, rec->success, dry) &&
              add_u(&r->failures, !rec->success, dry) && add_u(&r->cache_hits, rec->cache_hit, dry) &&
              add_u(&r->unknown_cost, !rec->cost_known, dry) && add_u(&r->input, rec->input, dry) &&
              add_u(&r->output, rec->output, dry) && add_u(&r->cache_read, rec->cache_read, dry) &&
              add_u(&r->cache_creation, rec->cache_creation, dry) &&
              add_u(&r->reasoning, rec->reasoning, dry) &&
              add_i(&r->spend, rec->cost_known ? rec->cost : 0, dry) &&
              add_i(&r->saved, rec->cache_hit ? rec->saved : 0, dry) &&
              add_i(&r->error_spend, rec->error_cost, dry);
    return ok;
}

static void add_to_row(void *r, const llmgw__logrec *rec, void *arg)
{
    (void)arg;
    row_add(r, rec, false);         /* bounded by the totals, checked first */
}

static int on_record(const llmgw__logrec *rec, void *arg)
{
    report *rep = arg;

    if (!row_add(&rep->total, rec, true))
        return 1;
    row_add(&rep->total, rec, false);
    return llmgw__gtable_each(&rep->groups, rep->cfg->by, rec, add_to_row, NULL);
}

/* Biggest spend first, then most requests, then by key; days in date order. */
static int by_spend(const void *pa, const void *pb)
{
    const llmgw__gref *a = pa, *b = pb;
    const row *ra = a->row, *rb = b->row;

    if (ra->spend != rb->spend)
        return ra->spend > rb->spend ? -1 : 1;
    if (ra->requests != rb->requests)
        return ra->requests > rb->requests ? -1 : 1;
    return llmgw__gref_key_cmp(a, b);
}

static int by_key(const void *pa, const void *pb)
{
    return llmgw__gref_key_cmp(pa, pb);
}

/* ---- JSON ---- */

static void json_row(llmgw__jout *o, const row *r)
{
    llmgw__jout_u64(o, "requests", r->requests);
    llmgw__jout_u64(o, "successes", r->successes);
    llmgw__jout_u64(o, "failures", r->failures);
    llmgw__jout_u64(o, "cache_hits", r->cache_hits);
    llmgw__jout_u64(o, "input_tokens", r->input);
    llmgw__jout_u64(o, "output_tokens", r->output);
    llmgw__jout_u64(o, "cache_read_tokens", r->cache_read);
    llmgw__jout_u64(o, "cache_creation_tokens", r->cache_creation);
    llmgw__jout_u64(o, "reasoning_tokens", r->reasoning);
    llmgw__jout_u64(o, "total_tokens", r->input + r->output);
    llmgw__jout_i64(o, "spend_nano_usd", r->spend);
    llmgw__jout_usd(o, "spend_usd", r->spend);
    llmgw__jout_u64(o, "unknown_cost_requests", r->unknown_cost);
    llmgw__jout_i64(o, "cache_savings_nano_usd", r->saved);
    llmgw__jout_usd(o, "cache_savings_usd", r->saved);
    llmgw__jout_i64(o, "error_spend_nano_usd", r->error_spend);
    llmgw__jout_usd(o, "error_spend_usd", r->error_spend);
}

static int render_json(llmgw_buf *out, const report *rep, const llmgw__gref *refs, const llmgw__logread_counts *c)
{
    llmgw__jout o;
    size_t i;

    llmgw__jout_init_buf(&o, out);
    llmgw__jout_header(&o, "cost", rep->cfg, c);
    llmgw__jout_put(&o, ",\"totals\":{\"key\":null", 21);
    json_row(&o, &rep->total);
    llmgw__jout_put(&o, "},\"groups\":[", 12);
    for (i = 0; i < rep->groups.n; i++) {
        llmgw__jout_put(&o, i ? ",{" : "{", i ? 2 : 1);
        llmgw__jout_key(&o, refs[i].e);
        json_row(&o, refs[i].row);
        llmgw__jout_putc(&o, '}');
    }
    llmgw__jout_put(&o, "]}\n", 3);
    return llmgw__jout_finish(&o) < 0 ? llmgw__error_oom() : 0;
}

/* ---- CSV ---- */

static const char csv_header[] =
    "key,requests,successes,failures,cache_hits,input_tokens,output_tokens,cache_read_tokens,"
    "cache_creation_tokens,reasoning_tokens,total_tokens,spend_nano_usd,spend_usd,unknown_cost_requests,"
    "cache_savings_nano_usd,cache_savings_usd,error_spend_nano_usd,error_spend_usd\r\n";

static int csv_row(llmgw_buf *out, const char *key, const row *r)
{
    char a[48], b[48], c[48];

    LLMGW_TRY(llmgw__csv_cell(out, key, strlen(key)));
    llmgw__usd_format(a, sizeof(a), r->spend, 9);
    llmgw__usd_format(b, sizeof(b), r->saved, 9);
    llmgw__usd_format(c, sizeof(c), r->error_spend, 9);
    return llmgw__buf_printf(out, ",%llu,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%lld,%s,%llu,%lld,%s,%lld,%s\r\n",
                             (unsigned long long)r->requests, (unsigned long long)r->successes,
                             (unsigned long long)r->failures, (unsigned long long)r->cache_hits,
                             (unsigned long long)r->input, (unsigned long long)r->output,
                             (unsigned long long)r->cache_read, (unsigned long long)r->cache_creation,
                             (unsigned long long)r->reasoning, (unsigned long long)(r->input + r->output),
                             (long long)r->spend, a, (unsigned long long)r->unknown_cost, (long long)r->saved, b,
                             (long long)r->error_spend, c);
}

static int render_csv(llmgw_buf *out, const report *rep, const llmgw__gref *refs)
{
    size_t i;

    LLMGW_TRY(llmgw__buf_puts(out, csv_header));
    for (i = 0; i < rep->groups.n; i++)
        LLMGW_TRY(csv_row(out, llmgw__gentry_label(refs[i].e), refs[i].row));
    return 0;
}

/* ---- text ---- */

static int text_row(llmgw__table *t, const char *key, const row *r)
{
    char c[10][48];
    const char *cells[11];
    size_t i;

    llmgw__count_format(c[0], 48, r->requests);
    llmgw__count_format(c[1], 48, r->failures);
    llmgw__count_format(c[2], 48, r->input);
    llmgw__count_format(c[3], 48, r->output);
    llmgw__count_format(c[4], 48, r->cache_read);
    llmgw__count_format(c[5], 48, r->cache_creation);
    llmgw__count_format(c[6], 48, r->reasoning);
    llmgw__usd_format(c[7], 48, r->spend, 6);
    llmgw__usd_format(c[8], 48, r->saved, 6);
    llmgw__usd_format(c[9], 48, r->error_spend, 6);
    cells[0] = key;
    for (i = 0; i < 10; i++)
        cells[i + 1] = c[i];
    return llmgw__table_add(t, cells);
}

static int render_text(llmgw_buf *out, const report *rep, const llmgw__gref *refs, const llmgw__logread_counts *c)
{
    static const char *const head[11] = { NULL, "REQUESTS", "FAILED", "INPUT", "OUTPUT", "CACHE_READ",
                                          "CACHE_WRITE", "REASONING", "SPEND_USD", "CACHE_SAVED_USD",
                                          "ERROR_USD" };
    const char *h[11];
    char upper[32], note[64];
    llmgw__table t = { 11, 0, 0, NULL };
    size_t i;
    int rc;

    for (i = 0; i < sizeof(upper) - 1 && rep->cfg->by_name[i]; i++)
        upper[i] = (char)(rep->cfg->by_name[i] - 'a' + 'A');
    upper[i] = '\0';
    memcpy(h, head, sizeof(h));
    h[0] = upper;
    rc = llmgw__buf_printf(out, "Cost by %s: ", rep->cfg->by_name);
    if (rc == 0)
        rc = llmgw__text_input_note(out, rep->cfg, c);
    if (rc == 0)
        rc = llmgw__table_add(&t, h);
    for (i = 0; i < rep->groups.n && rc == 0; i++)
        rc = text_row(&t, llmgw__gentry_label(refs[i].e), refs[i].row);
    if (rc == 0)
        rc = text_row(&t, "TOTAL", &rep->total);
    if (rc == 0)
        rc = llmgw__table_render(out, &t);
    if (rc == 0 && rep->total.unknown_cost > 0) {
        llmgw__count_format(note, sizeof(note), rep->total.unknown_cost);
        rc = llmgw__buf_printf(out, "note: %s request%s with an unknown cost (not in SPEND_USD)\n", note,
                               rep->total.unknown_cost == 1 ? "" : "s");
    }
    if (rc == 0 && rep->cfg->by == LLMGW__BY_TAG)
        rc = llmgw__buf_puts(out, "note: a request with several tags counts under each; TOTAL counts it once\n");
    llmgw__table_dispose(&t);
    return rc;
}

int llmgw_cost_report(llmgw_buf *out, const char *const *paths, size_t n, const llmgw_report_options *opts)
{
    llmgw__logread_counts counts;
    llmgw__report_cfg cfg;
    llmgw__gref *refs = NULL;
    report rep;
    size_t mark;
    int rc;

    LLMGW_CHECK_ARG(out);
    if (n > 0)
        LLMGW_CHECK_ARG(paths);
    if (n > LLMGW__REPORT_MAX_FILES)
        return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG, "at most %u usage logs",
                                 LLMGW__REPORT_MAX_FILES);
    LLMGW_TRY(llmgw__report_cfg_init(&cfg, opts, "model"));
    memset(&counts, 0, sizeof(counts));
    memset(&rep, 0, sizeof(rep));
    rep.cfg = &cfg;
    LLMGW_TRY(llmgw__gtable_init(&rep.groups, sizeof(row), cfg.max_groups));
    mark = out->size;
    rc = llmgw__report_read(paths, n, &cfg, &counts, on_record, &rep);
    if (rc == 0 && (refs = llmgw__gtable_sorted(&rep.groups, cfg.by == LLMGW__BY_DAY ? by_key : by_spend)) == NULL)
        rc = llmgw__error_oom();
    if (rc == 0)
        rc = cfg.format == LLMGW__FMT_JSON ? render_json(out, &rep, refs, &counts)
           : cfg.format == LLMGW__FMT_CSV ? render_csv(out, &rep, refs)
           : render_text(out, &rep, refs, &counts);
    if (rc < 0 && out->ptr != NULL) {         /* nothing half-written */
        out->size = mark;
        out->ptr[mark] = '\0';
    }
    llmgw__free(refs);
    llmgw__gtable_dispose(&rep.groups);
    return rc;
}
