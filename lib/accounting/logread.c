/*
 * lib/accounting/logread.c: usage logs read back as untrusted input. Lines
 * are cut at max_line bytes, parsed with llmgw's JSON limits (nesting, NUL
 * bytes, trailing data), and checked field by field against the record of
 * llmgw_usage_to_json(); a line that fails is counted and skipped.
 */
#include "../core/common.h"
#include "../core/buf.h"
#include "../core/errors.h"
#include "../core/utf8.h"
#include "logread.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#define READ_CHUNK ((size_t)64 << 10)
#define MONEY_LIMIT 9007199254740992.0    /* 2^53: a JSON number keeps every integer below it */

int llmgw__logread_open(llmgw__logread *r, const char *path, size_t max_line, int64_t since_us,
                        int64_t until_us, llmgw__logread_counts *counts)
{
    struct stat st;
    char b[128];

    memset(r, 0, sizeof(*r));
    r->path = path;
    r->max_line = max_line;
    r->since_us = since_us;
    r->until_us = until_us;
    r->counts = counts;
    do
        r->fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    while (r->fd < 0 && errno == EINTR);
    if (r->fd < 0)
        return llmgw__error_setc(errno == ENOENT || errno == ENOTDIR ? LLMGW_ENOTFOUND : LLMGW_ERROR,
                                 LLMGW_ERRCLASS_CONFIG, "cannot open usage log %s: %s", path,
                                 strerror_r(errno, b, sizeof(b)));
    if (fstat(r->fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        close(r->fd);
        r->fd = -1;
        return llmgw__error_setc(LLMGW_ERROR, LLMGW_ERRCLASS_CONFIG, "usage log %s is a directory", path);
    }
    r->buf = llmgw__malloc(READ_CHUNK);
    if (r->buf == NULL) {
        close(r->fd);
        r->fd = -1;
        return llmgw__error_oom();
    }
    counts->files++;
    return 0;
}

void llmgw__logread_close(llmgw__logread *r)
{
    if (r->fd >= 0)
        close(r->fd);
    r->fd = -1;
    cJSON_Delete(r->doc);
    r->doc = NULL;
    llmgw__free(r->buf);
    llmgw__free(r->line);
    r->buf = r->line = NULL;
}

static void note_bad(llmgw__logread *r, uint64_t *counter, const char *why)
{
    llmgw__logread_counts *c = r->counts;

    (*counter)++;
    c->bad++;
    if (c->first_bad[0] == '\0')
        snprintf(c->first_bad, sizeof(c->first_bad), "%.200s:%llu: %s", r->path,
                 (unsigned long long)r->lineno, why);
}

void llmgw__logread_reject(llmgw__logread *r, const char *why)
{
    r->counts->records--;
    note_bad(r, &r->counts->overflow, why);
}

/* ---- lines ---- */

static int fill(llmgw__logread *r)
{
    ssize_t n;
    char b[128];

    do
        n = read(r->fd, r->buf, READ_CHUNK);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return llmgw__error_setc(LLMGW_ERROR, LLMGW_ERRCLASS_CONFIG, "cannot read usage log %s: %s", r->path,
                                 strerror_r(errno, b, sizeof(b)));
    r->pos = 0;
    r->end = (size_t)n;
    if (n == 0)
        r->eof = true;
    return 0;
}

static int append(llmgw__logread *r, const char *s, size_t n)
{
    if (r->skipping)
        return 0;
    if (r->len + n > r->max_line) {
        r->skipping = true;
        return 0;
    }
    if (r->len + n + 1 > r->cap) {
        size_t cap = r->cap ? r->cap : 4096;
        char *p;
        while (cap < r->len + n + 1)
            cap *= 2;
        if ((p = llmgw__realloc(r->line, cap)) == NULL)
            return llmgw__error_oom();
        r->line = p;
        r->cap = cap;
    }
    memcpy(r->line + r->len, s, n);
    r->len += n;
    return 0;
}

/* The next line into r->line / r->len (without its '\n'): 1, or 0 at the end. */
static int next_line(llmgw__logread *r)
{
    r->len = 0;
    r->skipping = false;
    for (;;) {
        const char *nl;
        if (r->pos == r->end) {
            if (r->eof)
                return r->len > 0 || r->skipping ? 1 : 0;      /* a last line without '\n' */
            LLMGW_TRY(fill(r));
            continue;
        }
        nl = memchr(r->buf + r->pos, '\n', r->end - r->pos);
        if (nl == NULL) {
            LLMGW_TRY(append(r, r->buf + r->pos, r->end - r->pos));
            r->pos = r->end;
            continue;
        }
        LLMGW_TRY(append(r, r->buf + r->pos, (size_t)(nl - (r->buf + r->pos))));
        r->pos = (size_t)(nl - r->buf) + 1;
        return 1;
    }
}

/* ---- fields ---- */

/* Optional string member: 0 (out NULL when absent or null), -1 when of another type. */
static int opt_str(const cJSON *o, const char *key, const char **out)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);

    *out = NULL;
    if (it == NULL || cJSON_IsNull(it))
        return 0;
    if (!cJSON_IsString(it) || it->valuestring == NULL)
        return -1;
    *out = it->valuestring;
    return 0;
}

static int opt_tokens(const cJSON *o, const char *key, uint64_t *out)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);

    *out = 0;
    if (it == NULL || cJSON_IsNull(it))
        return 0;
    return llmgw__json_token_count(it, out) == 0 ? 0 : -1;
}

/* Money in [0, 2^53) (larger integers do not survive a double): 1 when present, 0 when absent or null, -1 when bad. */
static int opt_money(const cJSON *o, const char *key, int64_t *out)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
    double v;

    *out = 0;
    if (it == NULL || cJSON_IsNull(it))
        return 0;
    if (!cJSON_IsNumber(it))
        return -1;
    v = it->valuedouble;
    if (!isfinite(v) || v < 0 || v >= MONEY_LIMIT || floor(v) != v)
        return -1;
    *out = (int64_t)v;
    return 1;
}

static int opt_bool(const cJSON *o, const char *key, bool *out)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);

    *out = false;
    if (it == NULL || cJSON_IsNull(it))
        return 0;
    if (!cJSON_IsBool(it))
        return -1;
    *out = cJSON_IsTrue(it);
    return 0;
}

static const char *read_tags(const cJSON *o, llmgw__logrec *rec)
{
    const cJSON *tags = cJSON_GetObjectItemCaseSensitive(o, "tags"), *t;
    size_t i;

    rec->ntags = 0;
    if (tags == NULL || cJSON_IsNull(tags))
        return NULL;
    if (!cJSON_IsArray(tags))
        return "tags is not an array";
    cJSON_ArrayForEach(t, tags) {
        if (!cJSON_IsString(t) || t->valuestring == NULL)
            return "a tag is not a string";
        for (i = 0; i < rec->ntags; i++)
            if (strcmp(rec->tags[i], t->valuestring) == 0)
                break;
        if (i < rec->ntags)
            continue;
        if (rec->ntags == LLMGW__LOGREAD_MAX_TAGS)
            return "too many tags";
        rec->tags[rec->ntags++] = t->valuestring;
    }
    return NULL;
}

/* The failed attempts' known costs. */
static const char *read_trail(const cJSON *o, int64_t *out)
{
    const cJSON *trail = cJSON_GetObjectItemCaseSensitive(o, "trail"), *a;
    int64_t sum = 0, c;

    *out = 0;
    if (trail == NULL || cJSON_IsNull(trail))
        return NULL;
    if (!cJSON_IsArray(trail))
        return "trail is not an array";
    cJSON_ArrayForEach(a, trail) {
        const char *status;
        int rc;
        if (!cJSON_IsObject(a))
            return "an attempt is not an object";
        if (opt_str(a, "status", &status) < 0 || (rc = opt_money(a, "cost_nano_usd", &c)) < 0)
            return "an attempt's status or cost is invalid";
        if (rc > 0 && status != NULL && strcmp(status, "failure") == 0 &&
            __builtin_add_overflow(sum, c, &sum))
            return "attempt costs overflow";
    }
    *out = sum;
    return NULL;
}

/* Check o as a usage record and fill rec; NULL, or why it is not one. */
static const char *read_record(const cJSON *o, llmgw__logrec *rec)
{
    const char *status, *when, *why;
    int rc;

    memset(rec, 0, offsetof(llmgw__logrec, tags));
    rec->ntags = 0;
    if (opt_str(o, "status", &status) < 0 || status == NULL)
        return "no status";
    if (strcmp(status, "success") == 0)
        rec->success = true;
    else if (strcmp(status, "failure") != 0)
        return "status is neither success nor failure";
    if (opt_tokens(o, "input_tokens", &rec->input) < 0 || opt_tokens(o, "output_tokens", &rec->output) < 0 ||
        opt_tokens(o, "cache_read_tokens", &rec->cache_read) < 0 ||
        opt_tokens(o, "cache_creation_tokens", &rec->cache_creation) < 0 ||
        opt_tokens(o, "reasoning_tokens", &rec->reasoning) < 0)
        return "a token count is not an integer in [0, 2^40)";
    if ((rc = opt_money(o, "cost_nano_usd", &rec->cost)) < 0)
        return "cost_nano_usd is not an integer in [0, 2^53)";
    rec->cost_known = rc > 0;
    if (opt_money(o, "saved_cost_nano_usd", &rec->saved) < 0)
        return "saved_cost_nano_usd is not an integer in [0, 2^53)";
    if (opt_bool(o, "cache_hit", &rec->cache_hit) < 0)
        return "cache_hit is not a boolean";
    if (opt_str(o, "customer", &rec->customer) < 0 || opt_str(o, "group", &rec->group) < 0 ||
        opt_str(o, "provider", &rec->provider) < 0 || opt_str(o, "model", &rec->model) < 0)
        return "customer, group, provider or model is not a string";
    if ((why = read_tags(o, rec)) != NULL)
        return why;
    if ((why = read_trail(o, &rec->error_cost)) != NULL)
        return why;
    if (!rec->success)
        rec->error_cost = rec->cost_known ? rec->cost : 0;
    if (opt_str(o, "start_time", &when) < 0)
        return "start_time is not a string";
    if (when != NULL && when[0] != '\0') {
        if (when[0] < '0' || when[0] > '9' || llmgw__time_parse(&rec->start_us, when, 0) < 0)
            return "start_time is not an RFC 3339 time";
        rec->has_time = true;
    }
    return NULL;
}

static bool blank(const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
            return false;
    return true;
}

int llmgw__logread_next(llmgw__logread *r, llmgw__logrec *rec)
{
    llmgw__logread_counts *c = r->counts;
    const char *why;
    int rc;

    for (;;) {
        cJSON_Delete(r->doc);
        r->doc = NULL;
        if ((rc = next_line(r)) <= 0)
            return rc;
        r->lineno++;
        c->lines++;
        if (r->skipping) {
            note_bad(r, &c->too_long, "line too long");
            continue;
        }
        if (blank(r->line, r->len)) {
            c->blank++;
            continue;
        }
        r->doc = llmgw__json_parse(r->line, r->len, LLMGW_ERRCLASS_CONFIG);
        if (r->doc == NULL || !cJSON_IsObject(r->doc) || llmgw__json_has_nul_escape(r->line, r->len)) {
            note_bad(r, &c->not_json, "not a JSON object");
            continue;
        }
        if ((why = read_record(r->doc, rec)) != NULL) {
            note_bad(r, &c->not_record, why);
            continue;
        }
        c->records++;
        if ((r->since_us != INT64_MIN || r->until_us != INT64_MAX) &&
            (!rec->has_time || rec->start_us < r->since_us || rec->start_us >= r->until_us)) {
            c->outside_window++;
            continue;
        }
        return 1;
    }
}

int llmgw__logread_key(llmgw_buf *out, const char *s, size_t len)
{
    size_t cut = len;

    llmgw__buf_clear(out);
    if (cut > LLMGW__LOGREAD_MAX_KEY) {
        cut = LLMGW__LOGREAD_MAX_KEY;
        while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80)      /* not inside a sequence */
            cut--;
    }
    return llmgw__utf8_append_sanitized(out, s, cut);
}
