/*
 * lib/accounting/report_out.c: how reports print: money as exact decimal
 * text from integer nano-USD (never through a double), JSON members, CSV
 * cells safe for spreadsheets, and text tables safe for terminals.
 */
#include "../core/common.h"
#include "../core/buf.h"
#include "../core/errors.h"
#include "../core/utf8.h"
#include "report.h"

#include <stdio.h>

#define KEY_COLUMNS 48

void llmgw__usd_format(char *out, size_t n, int64_t nano, int decimals)
{
    uint64_t mag = nano < 0 ? (uint64_t)0 - (uint64_t)nano : (uint64_t)nano, unit = 1, whole, frac;
    int i;

    if (decimals < 0)
        decimals = 0;
    if (decimals > 9)
        decimals = 9;
    for (i = decimals; i < 9; i++)
        unit *= 10;
    mag = (mag + unit / 2) / unit;          /* half away from zero (unit 1: exact) */
    for (i = 0, unit = 1; i < decimals; i++)
        unit *= 10;
    whole = mag / unit;
    frac = mag % unit;
    if (decimals == 0)
        snprintf(out, n, "%s%llu", nano < 0 && mag ? "-" : "", (unsigned long long)whole);
    else
        snprintf(out, n, "%s%llu.%0*llu", nano < 0 && mag ? "-" : "", (unsigned long long)whole, decimals,
                 (unsigned long long)frac);
}

void llmgw__count_format(char *out, size_t n, uint64_t v)
{
    char digits[32], grouped[48];
    size_t len, i, j = 0;

    snprintf(digits, sizeof(digits), "%llu", (unsigned long long)v);
    len = strlen(digits);
    for (i = 0; i < len; i++) {
        if (i > 0 && (len - i) % 3 == 0)
            grouped[j++] = ',';
        grouped[j++] = digits[i];
    }
    grouped[j] = '\0';
    snprintf(out, n, "%s", grouped);
}

const char *llmgw__gentry_label(const llmgw__gentry *e)
{
    return e->kind == LLMGW__KEY_STR ? e->key : e->kind == LLMGW__KEY_NONE ? "(none)" : "(other)";
}

/* ---- JSON ---- */

static void member(llmgw__jout *o, const char *name)
{
    llmgw__jout_putc(o, ',');
    llmgw__jout_string(o, name, strlen(name));
    llmgw__jout_putc(o, ':');
}

void llmgw__jout_key(llmgw__jout *o, const llmgw__gentry *e)
{
    llmgw__jout_put(o, "\"key\":", 6);
    if (e->kind == LLMGW__KEY_STR)
        llmgw__jout_string(o, e->key, e->klen);
    else
        llmgw__jout_put(o, "null", 4);
    if (e->kind == LLMGW__KEY_OTHER)
        llmgw__jout_put(o, ",\"other\":true", 13);
}

void llmgw__jout_usd(llmgw__jout *o, const char *name, int64_t nano)
{
    char t[48];

    member(o, name);
    llmgw__usd_format(t, sizeof(t), nano, 9);
    llmgw__jout_put(o, t, strlen(t));
}

void llmgw__jout_u64(llmgw__jout *o, const char *name, uint64_t v)
{
    char t[32];

    member(o, name);
    snprintf(t, sizeof(t), "%llu", (unsigned long long)v);
    llmgw__jout_put(o, t, strlen(t));
}

void llmgw__jout_i64(llmgw__jout *o, const char *name, int64_t v)
{
    member(o, name);
    llmgw__jout_int(o, v);
}

static void time_or_null(llmgw__jout *o, const char *name, int64_t us, bool open)
{
    char t[48];

    member(o, name);
    if (open) {
        llmgw__jout_put(o, "null", 4);
        return;
    }
    llmgw__time_format(t, sizeof(t), us);
    llmgw__jout_string(o, t, strlen(t));
}

void llmgw__jout_header(llmgw__jout *o, const char *kind, const llmgw__report_cfg *cfg,
                        const llmgw__logread_counts *c)
{
    llmgw__jout_put(o, "{\"report\":", 10);
    llmgw__jout_string(o, kind, strlen(kind));
    member(o, "by");
    llmgw__jout_string(o, cfg->by_name, strlen(cfg->by_name));
    time_or_null(o, "since", cfg->since_us, cfg->since_us == INT64_MIN);
    time_or_null(o, "until", cfg->until_us, cfg->until_us == INT64_MAX);
    member(o, "input");
    llmgw__jout_put(o, "{\"files\":", 9);
    llmgw__jout_int(o, (int64_t)c->files);
    llmgw__jout_u64(o, "lines", c->lines);
    llmgw__jout_u64(o, "blank_lines", c->blank);
    llmgw__jout_u64(o, "records", c->records);
    llmgw__jout_u64(o, "outside_window", c->outside_window);
    llmgw__jout_u64(o, "bad_lines", c->bad);
    llmgw__jout_u64(o, "bad_json", c->not_json);
    llmgw__jout_u64(o, "bad_record", c->not_record);
    llmgw__jout_u64(o, "bad_too_long", c->too_long);
    llmgw__jout_u64(o, "bad_overflow", c->overflow);
    member(o, "first_bad_line");
    if (c->first_bad[0] == '\0') {
        llmgw__jout_put(o, "null", 4);
    } else {
        llmgw_buf b = LLMGW_BUF_INIT;
        if (llmgw__utf8_append_sanitized(&b, c->first_bad, strlen(c->first_bad)) < 0)
            o->err = LLMGW_ENOMEM;
        llmgw__jout_string(o, llmgw__buf_cstr(&b), b.size);
        llmgw_buf_dispose(&b);
    }
    llmgw__jout_putc(o, '}');
}

/* ---- CSV ---- */

int llmgw__csv_cell(llmgw_buf *out, const char *s, size_t len)
{
    bool quote = false, formula = len > 0 && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' ||
                                              s[0] == '\t' || s[0] == '\r');
    size_t i;

    for (i = 0; i < len && !quote; i++)
        quote = s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r';
    if (!quote && !formula)
        return llmgw__buf_put(out, s, len);
    LLMGW_TRY(llmgw__buf_putc(out, '"'));
    if (formula)
        LLMGW_TRY(llmgw__buf_putc(out, '\''));
    for (i = 0; i < len; i++) {
        if (s[i] == '"')
            LLMGW_TRY(llmgw__buf_putc(out, '"'));
        LLMGW_TRY(llmgw__buf_putc(out, s[i]));
    }
    return llmgw__buf_putc(out, '"');
}

/* ---- text tables ---- */

int llmgw__table_add(llmgw__table *t, const char *const *cells)
{
    size_t i;

    if (t->nrows == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        char **c;
        if (cap > SIZE_MAX / t->ncols || (c = llmgw__reallocarray(t->cells, cap * t->ncols, sizeof(*c))) == NULL)
            return llmgw__error_oom();
        t->cells = c;
        t->cap = cap;
    }
    for (i = 0; i < t->ncols; i++) {
        if ((t->cells[t->nrows * t->ncols + i] = llmgw__strdup(cells[i] ? cells[i] : "")) == NULL) {
            while (i-- > 0)
                llmgw__free(t->cells[t->nrows * t->ncols + i]);
            return llmgw__error_oom();
        }
    }
    t->nrows++;
    return 0;
}

void llmgw__table_dispose(llmgw__table *t)
{
    size_t i;

    for (i = 0; i < t->nrows * t->ncols; i++)
        llmgw__free(t->cells[i]);
    llmgw__free(t->cells);
    t->cells = NULL;
    t->nrows = t->cap = 0;
}

/* Printable text of cell (controls as '?', cut to max columns): its bytes into out, columns into *cols. */
static int printable(llmgw_buf *out, const char *s, size_t max, size_t *cols)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, n, len = strlen(s);

    *cols = 0;
    while (i < len) {
        n = llmgw__utf8_seq(p + i, len - i);
        if (*cols + 1 == max && i + (n ? n : 1) < len) {
            LLMGW_TRY(llmgw__buf_putc(out, '~'));       /* cut */
            (*cols)++;
            return 0;
        }
        if (n == 0 || p[i] < 0x20 || p[i] == 0x7f || (n == 2 && p[i] == 0xC2 && p[i + 1] < 0xA0)) {
            LLMGW_TRY(llmgw__buf_putc(out, '?'));
            i += n ? n : 1;
        } else {
            LLMGW_TRY(llmgw__buf_put(out, s + i, n));
            i += n;
        }
        (*cols)++;
    }
    return 0;
}

static int pad(llmgw_buf *out, size_t n)
{
    while (n-- > 0)
        LLMGW_TRY(llmgw__buf_putc(out, ' '));
    return 0;
}

int llmgw__table_render(llmgw_buf *out, const llmgw__table *t)
{
    size_t *width = llmgw__calloc(t->ncols, sizeof(*width)), r, c, cols;
    llmgw_buf cell = LLMGW_BUF_INIT;
    int rc = 0;

    if (width == NULL)
        return llmgw__error_oom();
    for (r = 0; r < t->nrows && rc == 0; r++)
        for (c = 0; c < t->ncols && rc == 0; c++) {
            llmgw__buf_clear(&cell);
            rc = printable(&cell, t->cells[r * t->ncols + c], c == 0 ? KEY_COLUMNS : 64, &cols);
            width[c] = LLMGW_MAX(width[c], cols);
        }
    for (r = 0; r < t->nrows && rc == 0; r++) {
        for (c = 0; c < t->ncols && rc == 0; c++) {
            llmgw__buf_clear(&cell);
            if ((rc = printable(&cell, t->cells[r * t->ncols + c], c == 0 ? KEY_COLUMNS : 64, &cols)) < 0)
                break;
            if (c > 0)
                rc = pad(out, 2 + width[c] - cols);
            if (rc == 0)
                rc = llmgw__buf_put(out, llmgw__buf_cstr(&cell), cell.size);
            if (rc == 0 && c == 0 && t->ncols > 1)
                rc = pad(out, width[c] - cols);
        }
        if (rc == 0)
            rc = llmgw__buf_putc(out, '\n');
    }
    llmgw_buf_dispose(&cell);
    llmgw__free(width);
    return rc;
}

int llmgw__text_input_note(llmgw_buf *out, const llmgw__report_cfg *cfg, const llmgw__logread_counts *c)
{
    char a[48], b[48], when[48];
    llmgw_buf bad = LLMGW_BUF_INIT;
    size_t cols;
    int rc;

    llmgw__count_format(a, sizeof(a), c->records - c->outside_window);
    llmgw__count_format(b, sizeof(b), c->files);
    rc = llmgw__buf_printf(out, "%s records from %s file%s", a, b, c->files == 1 ? "" : "s");
    if (rc == 0 && cfg->since_us != INT64_MIN) {
        llmgw__time_format(when, sizeof(when), cfg->since_us);
        rc = llmgw__buf_printf(out, ", since %s", when);
    }
    if (rc == 0 && cfg->until_us != INT64_MAX) {
        llmgw__time_format(when, sizeof(when), cfg->until_us);
        rc = llmgw__buf_printf(out, ", until %s", when);
    }
    if (rc == 0 && c->outside_window > 0) {
        llmgw__count_format(a, sizeof(a), c->outside_window);
        rc = llmgw__buf_printf(out, " (%s outside the window)", a);
    }
    if (rc == 0 && c->bad > 0) {
        llmgw__count_format(a, sizeof(a), c->bad);
        if ((rc = printable(&bad, c->first_bad, 200, &cols)) == 0)
            rc = llmgw__buf_printf(out, "; %s bad line%s skipped (first: %s)", a, c->bad == 1 ? "" : "s",
                                   llmgw__buf_cstr(&bad));
    }
    llmgw_buf_dispose(&bad);
    return rc == 0 ? llmgw__buf_putc(out, '\n') : rc;
}
