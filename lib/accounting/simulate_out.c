/*
 * lib/accounting/simulate_out.c: a simulation's result as JSON, CSV or a
 * text table with its warnings (money as exact decimal text).
 */
#include "../core/common.h"
#include "../core/buf.h"
#include "../core/errors.h"
#include "simulate.h"

#include <stdio.h>

/* Change in percent with one decimal, or "" when the current spend is 0. */
static void percent(char *out, size_t n, const llmgw__sim_row *r)
{
    int64_t diff = r->simulated - r->current, tenths, mag;

    if (r->current == 0) {
        snprintf(out, n, "%s", "");
        return;
    }
    /* diff x 1000 / current, rounded half away from zero, in 128-bit-free steps */
    mag = diff < 0 ? -diff : diff;
    tenths = (int64_t)(((long double)mag * 1000.0L) / (long double)r->current + 0.5L);
    snprintf(out, n, "%s%lld.%lld", diff < 0 && tenths ? "-" : diff > 0 ? "+" : "", (long long)(tenths / 10),
             (long long)(tenths % 10));
}

static void json_srow(llmgw__jout *o, const llmgw__sim_row *r)
{
    char pc[48];

    llmgw__jout_u64(o, "requests", r->requests);
    llmgw__jout_u64(o, "compared", r->compared);
    llmgw__jout_u64(o, "repriced", r->repriced);
    llmgw__jout_u64(o, "unknown_current_cost", r->unknown_current);
    llmgw__jout_u64(o, "unpriced", r->unpriced);
    llmgw__jout_i64(o, "current_nano_usd", r->current);
    llmgw__jout_i64(o, "simulated_nano_usd", r->simulated);
    llmgw__jout_i64(o, "difference_nano_usd", r->simulated - r->current);
    llmgw__jout_usd(o, "current_usd", r->current);
    llmgw__jout_usd(o, "simulated_usd", r->simulated);
    llmgw__jout_usd(o, "difference_usd", r->simulated - r->current);
    percent(pc, sizeof(pc), r);
    llmgw__jout_put(o, ",\"change_percent\":", 18);
    if (pc[0] == '\0')
        llmgw__jout_put(o, "null", 4);
    else
        llmgw__jout_put(o, pc[0] == '+' ? pc + 1 : pc, strlen(pc[0] == '+' ? pc + 1 : pc));
}

static void json_scenario(llmgw__jout *o, const llmgw__sim *s, const llmgw_report_options *opts)
{
    char rate[32];
    size_t i;

    llmgw__jout_put(o, ",\"scenario\":{\"as\":", 18);
    if (s->as)
        llmgw__jout_string(o, s->as->spec, strlen(s->as->spec));
    else
        llmgw__jout_put(o, "null", 4);
    llmgw__jout_put(o, ",\"map\":[", 8);
    for (i = 0; i < s->nmap; i++) {
        llmgw__jout_put(o, i ? ",{\"from\":" : "{\"from\":", i ? 9 : 8);
        llmgw__jout_string(o, s->map[i].from, strlen(s->map[i].from));
        llmgw__jout_put(o, ",\"to\":", 6);
        llmgw__jout_string(o, s->map[i].to->spec, strlen(s->map[i].to->spec));
        llmgw__jout_putc(o, '}');
    }
    llmgw__jout_put(o, "],\"cache_hit_rate\":", 19);
    if (s->project) {
        snprintf(rate, sizeof(rate), "%lld.%06lld", (long long)((LLMGW__SIM_PPM - s->keep_ppm) / LLMGW__SIM_PPM),
                 (long long)((LLMGW__SIM_PPM - s->keep_ppm) % LLMGW__SIM_PPM));
        llmgw__jout_put(o, rate, strlen(rate));
    } else {
        llmgw__jout_put(o, "null", 4);
    }
    llmgw__jout_put(o, ",\"prices_path\":", 15);
    if (opts->prices_path)
        llmgw__jout_string(o, opts->prices_path, strlen(opts->prices_path));
    else
        llmgw__jout_put(o, "null", 4);
    llmgw__jout_putc(o, '}');
}

static void json_warnings(llmgw__jout *o, const llmgw__sim *s)
{
    size_t i;
    bool first = true;

    llmgw__jout_put(o, ",\"warnings\":[", 13);
    for (i = 0; i < s->ntargets; i++) {
        const llmgw__sim_target *t = &s->targets[i];
        if (t->too_large == 0 && t->output_too_large == 0)
            continue;
        llmgw__jout_put(o, first ? "{\"target\":" : ",{\"target\":", first ? 10 : 11);
        first = false;
        llmgw__jout_string(o, t->spec, strlen(t->spec));
        llmgw__jout_i64(o, "context_window", t->price.max_input_tokens);
        llmgw__jout_i64(o, "max_output_tokens", t->price.max_output_tokens);
        llmgw__jout_u64(o, "requests", t->requests);
        llmgw__jout_u64(o, "requests_too_large", t->too_large);
        llmgw__jout_u64(o, "output_too_large", t->output_too_large);
        llmgw__jout_u64(o, "largest_request_tokens", t->largest);
        llmgw__jout_putc(o, '}');
    }
    llmgw__jout_putc(o, ']');
}

static int render_json(llmgw_buf *out, const llmgw__sim *s, const llmgw__gref *refs, const llmgw__logread_counts *c,
                       const llmgw_report_options *opts)
{
    llmgw__jout o;
    size_t i;

    llmgw__jout_init_buf(&o, out);
    llmgw__jout_header(&o, "simulate", s->cfg, c);
    json_scenario(&o, s, opts);
    llmgw__jout_put(&o, ",\"totals\":{\"key\":null", 21);
    json_srow(&o, &s->total);
    llmgw__jout_put(&o, "},\"groups\":[", 12);
    for (i = 0; i < s->groups.n; i++) {
        llmgw__jout_put(&o, i ? ",{" : "{", i ? 2 : 1);
        llmgw__jout_key(&o, refs[i].e);
        json_srow(&o, refs[i].row);
        llmgw__jout_putc(&o, '}');
    }
    llmgw__jout_putc(&o, ']');
    json_warnings(&o, s);
    llmgw__jout_put(&o, "}\n", 2);
    return llmgw__jout_finish(&o) < 0 ? llmgw__error_oom() : 0;
}

static int csv_srow(llmgw_buf *out, const char *key, const llmgw__sim_row *r)
{
    char a[48], b[48], d[48], pc[48];

    LLMGW_TRY(llmgw__csv_cell(out, key, strlen(key)));
    llmgw__usd_format(a, sizeof(a), r->current, 9);
    llmgw__usd_format(b, sizeof(b), r->simulated, 9);
    llmgw__usd_format(d, sizeof(d), r->simulated - r->current, 9);
    percent(pc, sizeof(pc), r);
    return llmgw__buf_printf(out, ",%llu,%llu,%llu,%llu,%llu,%lld,%lld,%lld,%s,%s,%s,%s\r\n",
                             (unsigned long long)r->requests, (unsigned long long)r->compared,
                             (unsigned long long)r->repriced, (unsigned long long)r->unknown_current,
                             (unsigned long long)r->unpriced, (long long)r->current, (long long)r->simulated,
                             (long long)(r->simulated - r->current), a, b, d, pc[0] == '+' ? pc + 1 : pc);
}

static int render_csv(llmgw_buf *out, const llmgw__sim *s, const llmgw__gref *refs)
{
    size_t i;

    LLMGW_TRY(llmgw__buf_puts(out, "key,requests,compared,repriced,unknown_current_cost,unpriced,current_nano_usd,"
                                   "simulated_nano_usd,difference_nano_usd,current_usd,simulated_usd,"
                                   "difference_usd,change_percent\r\n"));
    for (i = 0; i < s->groups.n; i++)
        LLMGW_TRY(csv_srow(out, llmgw__gentry_label(refs[i].e), refs[i].row));
    return 0;
}

static int text_srow(llmgw__table *t, const char *key, const llmgw__sim_row *r)
{
    char c[5][48];
    const char *cells[6] = { key, c[0], c[1], c[2], c[3], c[4] };

    llmgw__count_format(c[0], 48, r->requests);
    llmgw__usd_format(c[1], 48, r->current, 6);
    llmgw__usd_format(c[2], 48, r->simulated, 6);
    llmgw__usd_format(c[3], 48, r->simulated - r->current, 6);
    percent(c[4], 40, r);
    if (c[4][0] != '\0')
        memcpy(c[4] + strlen(c[4]), "%", 2);
    return llmgw__table_add(t, cells);
}

static int text_scenario(llmgw_buf *out, const llmgw__sim *s)
{
    size_t i;

    if (s->as != NULL)
        LLMGW_TRY(llmgw__buf_printf(out, "every request as %s", s->as->spec));
    for (i = 0; i < s->nmap; i++)
        LLMGW_TRY(llmgw__buf_printf(out, "%s%s as %s", i ? ", " : "", s->map[i].from, s->map[i].to->spec));
    if (s->project) {
        char pc[32];
        int64_t hit = LLMGW__SIM_PPM - s->keep_ppm;            /* parts per million: percent with 4 decimals */
        size_t n = (size_t)snprintf(pc, sizeof(pc), "%lld.%04lld", (long long)(hit / 10000),
                                    (long long)(hit % 10000));
        while (n > 0 && pc[n - 1] == '0')
            pc[--n] = '\0';
        if (n > 0 && pc[n - 1] == '.')
            pc[--n] = '\0';
        LLMGW_TRY(llmgw__buf_printf(out, "%scache hit rate %s%%", s->as || s->nmap ? "; " : "", pc));
    }
    return llmgw__buf_putc(out, '\n');
}

static int text_notes(llmgw_buf *out, const llmgw__sim *s)
{
    char a[48], b[48], c[48];
    size_t i;

    for (i = 0; i < s->ntargets; i++) {
        const llmgw__sim_target *t = &s->targets[i];
        if (t->too_large > 0) {
            llmgw__count_format(a, sizeof(a), (uint64_t)t->price.max_input_tokens);
            llmgw__count_format(b, sizeof(b), t->too_large);
            llmgw__count_format(c, sizeof(c), t->largest);
            LLMGW_TRY(llmgw__buf_printf(out, "warning: %s: context window %s tokens: %s logged request%s did not fit "
                                        "(largest %s tokens)\n", t->spec, a, b, t->too_large == 1 ? "" : "s", c));
        }
        if (t->output_too_large > 0) {
            llmgw__count_format(a, sizeof(a), (uint64_t)t->price.max_output_tokens);
            llmgw__count_format(b, sizeof(b), t->output_too_large);
            LLMGW_TRY(llmgw__buf_printf(out, "warning: %s: at most %s output tokens: %s logged request%s wrote more\n",
                                        t->spec, a, b, t->output_too_large == 1 ? "" : "s"));
        }
    }
    if (s->total.unknown_current > 0) {
        llmgw__count_format(a, sizeof(a), s->total.unknown_current);
        LLMGW_TRY(llmgw__buf_printf(out, "note: %s request%s with an unknown logged cost left out\n", a,
                                    s->total.unknown_current == 1 ? "" : "s"));
    }
    if (s->total.unpriced > 0) {
        llmgw__count_format(a, sizeof(a), s->total.unpriced);
        LLMGW_TRY(llmgw__buf_printf(out, "note: %s request%s whose token counts the target price could not "
                                    "price left out\n", a, s->total.unpriced == 1 ? "" : "s"));
    }
    return 0;
}

static int render_text(llmgw_buf *out, const llmgw__sim *s, const llmgw__gref *refs, const llmgw__logread_counts *c)
{
    const char *head[6] = { NULL, "REQUESTS", "CURRENT_USD", "SIMULATED_USD", "DIFFERENCE_USD", "CHANGE" };
    llmgw__table t = { 6, 0, 0, NULL };
    char upper[32];
    size_t i;
    int rc;

    for (i = 0; i < sizeof(upper) - 1 && s->cfg->by_name[i]; i++)
        upper[i] = (char)(s->cfg->by_name[i] - 'a' + 'A');
    upper[i] = '\0';
    head[0] = upper;
    rc = llmgw__buf_printf(out, "Simulated cost by %s: ", s->cfg->by_name);
    if (rc == 0)
        rc = text_scenario(out, s);
    if (rc == 0)
        rc = llmgw__text_input_note(out, s->cfg, c);
    if (rc == 0)
        rc = llmgw__table_add(&t, head);
    for (i = 0; i < s->groups.n && rc == 0; i++)
        rc = text_srow(&t, llmgw__gentry_label(refs[i].e), refs[i].row);
    if (rc == 0)
        rc = text_srow(&t, "TOTAL", &s->total);
    if (rc == 0)
        rc = llmgw__table_render(out, &t);
    if (rc == 0)
        rc = text_notes(out, s);
    llmgw__table_dispose(&t);
    return rc;
}

int llmgw__sim_render(llmgw_buf *out, const llmgw__sim *s, const llmgw__gref *refs,
                      const llmgw__logread_counts *c, const llmgw_report_options *opts)
{
    return s->cfg->format == LLMGW__FMT_JSON ? render_json(out, s, refs, c, opts)
         : s->cfg->format == LLMGW__FMT_CSV ? render_csv(out, s, refs)
         : render_text(out, s, refs, c);
}
