/*
 * lib/accounting/report.h: what llmgw_cost_report() (report.c) and
 * llmgw_cost_simulate() (simulate.c) share: the options checked once, a
 * table of rows per grouping key, and the writers of money and tables
 * (report_out.c).
 */
#ifndef LLMGW_ACCOUNTING_REPORT_H
#define LLMGW_ACCOUNTING_REPORT_H

#include "../core/common.h"
#include "../cache/jsonout.h"
#include "logread.h"

#define LLMGW__REPORT_DEFAULT_GROUPS 100000u
#define LLMGW__REPORT_MAX_FILES      100000u

enum { LLMGW__BY_CUSTOMER, LLMGW__BY_TAG, LLMGW__BY_GROUP, LLMGW__BY_PROVIDER, LLMGW__BY_MODEL, LLMGW__BY_DAY };
enum { LLMGW__FMT_JSON, LLMGW__FMT_CSV, LLMGW__FMT_TEXT };

/* Options after checking. */
typedef struct llmgw__report_cfg {
    int          by;                   /* LLMGW__BY_* */
    const char  *by_name;
    int          format;               /* LLMGW__FMT_* */
    int64_t      since_us, until_us;   /* INT64_MIN / INT64_MAX: open */
    size_t       max_groups;
    size_t       max_line;
} llmgw__report_cfg;

/* Check the options shared by reports and simulations (by: its default when NULL). */
int llmgw__report_cfg_init(llmgw__report_cfg *cfg, const llmgw_report_options *opts, const char *default_by);

/* ---- a table of rows by key ---- */

enum { LLMGW__KEY_STR = 0, LLMGW__KEY_NONE = 1, LLMGW__KEY_OTHER = 2 };

typedef struct llmgw__gentry {
    char    *key;          /* valid UTF-8, bounded; NULL for NONE and OTHER */
    size_t   klen;
    int      kind;         /* LLMGW__KEY_* */
    uint64_t hash;
} llmgw__gentry;

typedef struct llmgw__gtable {
    llmgw__gentry *entries;
    unsigned char *rows;     /* n x row_size, zeroed when added */
    size_t         n, cap, row_size, max;
    uint32_t      *slots;    /* 0 empty, else index + 1 */
    size_t         nslots;   /* a power of two, at least twice n */
    size_t         other;    /* index of the OTHER row + 1, or 0 */
    llmgw_buf      scratch;
} llmgw__gtable;

int   llmgw__gtable_init(llmgw__gtable *t, size_t row_size, size_t max_groups);
void  llmgw__gtable_dispose(llmgw__gtable *t);
/* The row for key (NULL: the NONE row); past max_groups new keys share the OTHER row. NULL on ENOMEM. */
void *llmgw__gtable_row(llmgw__gtable *t, const char *key);
static inline void *llmgw__gtable_at(const llmgw__gtable *t, size_t i)
{
    return t->rows + i * t->row_size;
}
/* Indices ordered by cmp over (entry, row) pairs; free with llmgw__free. NULL on ENOMEM (n == 0: non-NULL). */
typedef struct llmgw__gref {
    const llmgw__gentry *e;
    const void          *row;
} llmgw__gref;
llmgw__gref *llmgw__gtable_sorted(const llmgw__gtable *t, int (*cmp)(const void *, const void *));
/* Compare two refs by key: strings in byte order, then NONE, then OTHER. */
int   llmgw__gref_key_cmp(const llmgw__gref *a, const llmgw__gref *b);

/*
 * Call fn(row, arg) for each row the record counts in under cfg->by: one
 * row, or one per distinct tag ("tag"; none: the NONE row). < 0 on ENOMEM.
 */
int   llmgw__gtable_each(llmgw__gtable *t, int by, const llmgw__logrec *rec,
                         void (*fn)(void *row, const llmgw__logrec *rec, void *arg), void *arg);

/* ---- output ---- */

/* nano-USD as exact USD text ("-1.234567890"), decimals in [0, 9], rounded half away from zero. */
void  llmgw__usd_format(char *out, size_t n, int64_t nano, int decimals);
/* "1,234,567" */
void  llmgw__count_format(char *out, size_t n, uint64_t v);
/* A key as printed in text and CSV: "(none)", "(other)" or the key itself. */
const char *llmgw__gentry_label(const llmgw__gentry *e);
/* JSON: "key": "..." or null, and "other": true for the OTHER row. */
void  llmgw__jout_key(llmgw__jout *o, const llmgw__gentry *e);
void  llmgw__jout_usd(llmgw__jout *o, const char *name, int64_t nano);     /* ,"name":1.234567890 */
void  llmgw__jout_u64(llmgw__jout *o, const char *name, uint64_t v);       /* ,"name":123 */
void  llmgw__jout_i64(llmgw__jout *o, const char *name, int64_t v);
/* The report header of both kinds: "report", "by", window, input counts. */
void  llmgw__jout_header(llmgw__jout *o, const char *kind, const llmgw__report_cfg *cfg,
                         const llmgw__logread_counts *c);

/* A CSV cell: quoted when needed; a leading = + - @ tab or CR gets a ' (spreadsheet formulas). */
int   llmgw__csv_cell(llmgw_buf *out, const char *s, size_t len);

/*
 * A text table: ncols columns, a header row then rows of cells; the first
 * column left-aligned (cut to 48 columns), the others right-aligned.
 * Control characters (C0, DEL, C1) print as '?', so logged strings cannot
 * drive the terminal.
 */
typedef struct llmgw__table {
    size_t      ncols, nrows, cap;
    char      **cells;       /* nrows x ncols, owned */
} llmgw__table;

int   llmgw__table_add(llmgw__table *t, const char *const *cells);
int   llmgw__table_render(llmgw_buf *out, const llmgw__table *t);
void  llmgw__table_dispose(llmgw__table *t);

/* A text line about the input ("1,234 records from 2 files; 3 bad lines skipped (first: ...)"). */
int   llmgw__text_input_note(llmgw_buf *out, const llmgw__report_cfg *cfg, const llmgw__logread_counts *c);

/*
 * Read every record of paths in the window, calling fn for each; a record
 * whose sums would overflow is rejected by fn returning 1. < 0 on error.
 */
int   llmgw__report_read(const char *const *paths, size_t n, const llmgw__report_cfg *cfg,
                         llmgw__logread_counts *counts,
                         int (*fn)(const llmgw__logrec *rec, void *arg), void *arg);

#endif
