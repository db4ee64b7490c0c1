/*
 * lib/accounting/logread.h: reading usage logs back (untrusted input) for
 * reports and simulations: a line reader with a length limit, the checks
 * that make a line a usage record, and the times of the report window.
 */
#ifndef LLMGW_ACCOUNTING_LOGREAD_H
#define LLMGW_ACCOUNTING_LOGREAD_H

#include "../core/common.h"
#include "../core/json.h"

#define LLMGW__LOGREAD_DEFAULT_LINE ((size_t)1 << 20)
#define LLMGW__LOGREAD_MAX_LINE     ((size_t)64 << 20)
/* A record with more tags than this is not believed (a bad line). */
#define LLMGW__LOGREAD_MAX_TAGS     1024
/* Grouping keys are cut to this many bytes (on a UTF-8 boundary). */
#define LLMGW__LOGREAD_MAX_KEY      256

/* Why lines were skipped. */
typedef struct llmgw__logread_counts {
    uint64_t files;
    uint64_t lines;            /* every line, blank and bad ones included */
    uint64_t blank;
    uint64_t records;          /* usage records read (in and out of the window) */
    uint64_t bad;              /* not_json + not_record + too_long + overflow */
    uint64_t not_json;         /* not JSON within llmgw's limits, or not an object */
    uint64_t not_record;       /* a field missing, of the wrong type or out of range */
    uint64_t too_long;
    uint64_t overflow;         /* summing it would overflow a total */
    uint64_t outside_window;   /* before since, at or after until, or no start_time with a window */
    char     first_bad[320];   /* "path:line: why" of the first bad line, or "" */
} llmgw__logread_counts;

/* One usage record, pointing into its parsed line (valid until the next read). */
typedef struct llmgw__logrec {
    bool        success;
    bool        cache_hit;
    bool        cost_known;
    bool        has_time;
    int64_t     start_us;
    uint64_t    input, output, cache_read, cache_creation, reasoning;
    int64_t     cost;              /* nano-USD, when cost_known */
    int64_t     saved;             /* saved_cost_nano_usd of a cache hit */
    int64_t     error_cost;        /* known cost of failed attempts (the whole cost when the request failed) */
    const char *customer, *group, *provider, *model;   /* NULL when absent or null */
    const char *tags[LLMGW__LOGREAD_MAX_TAGS];          /* distinct */
    size_t      ntags;
} llmgw__logrec;

typedef struct llmgw__logread {
    const char *path;
    int         fd;
    char       *buf;               /* read buffer */
    size_t      pos, end;
    char       *line;              /* the line being assembled */
    size_t      len, cap, max_line;
    bool        skipping;          /* inside a line longer than max_line */
    bool        eof;
    uint64_t    lineno;
    cJSON      *doc;               /* the current record's tree */
    int64_t     since_us, until_us;        /* INT64_MIN / INT64_MAX: open */
    llmgw__logread_counts *counts; /* shared by every file of a report */
} llmgw__logread;

/*
 * Open path for reading. LLMGW_ENOTFOUND when missing, LLMGW_ERROR when it
 * cannot be read or is a directory (the message names the file).
 */
int  llmgw__logread_open(llmgw__logread *r, const char *path, size_t max_line, int64_t since_us,
                         int64_t until_us, llmgw__logread_counts *counts);
/*
 * The next usage record in the window: 1 and *rec filled, 0 at the end of
 * the file, < 0 on a read error. Bad lines are counted and skipped.
 */
int  llmgw__logread_next(llmgw__logread *r, llmgw__logrec *rec);
/* Count the record just returned as bad (its sums would overflow). */
void llmgw__logread_reject(llmgw__logread *r, const char *why);
void llmgw__logread_close(llmgw__logread *r);

/* A bounded grouping key: valid UTF-8 and at most LLMGW__LOGREAD_MAX_KEY bytes, into out. */
int  llmgw__logread_key(llmgw_buf *out, const char *s, size_t len);

/*
 * A time bound: RFC 3339 ("2026-03-01T12:00:00Z", "...+02:00", fractions;
 * a space for T; no zone is UTC), a date (UTC midnight), or a span back
 * from now_us ("90s", "30m", "36h", "7d", "2w"). 0, or LLMGW_EINVAL.
 */
int  llmgw__time_parse(int64_t *out_us, const char *text, int64_t now_us);
/* "2026-03-01T12:00:00Z" (fractions of a second when not 0) into out (>= 40 bytes). */
void llmgw__time_format(char *out, size_t n, int64_t us);
/* "2026-03-01" (UTC) into out (>= 16 bytes). */
void llmgw__day_format(char *out, size_t n, int64_t us);

#endif
