/*
 * lib/accounting/prices.c: the loader for LiteLLM's
 * model_prices_and_context_window.json (format: docs/prices.md §5)
 * into a price table (price_table.c). The file is
 * untrusted: size cap, JSON limits, and every field checked; a bad entry is
 * skipped and counted, a malformed file fails.
 */
#include "../core/common.h"
#include "../core/errors.h"
#include "../core/json.h"
#include "prices.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CFG_ERR(code, ...) llmgw__error_setc((code), LLMGW_ERRCLASS_CONFIG, __VA_ARGS__)
#define MAX_NOTES 20

/* ---- the loader ---- */

enum { ENTRY_OK = 0, ENTRY_MODE, ENTRY_INVALID, ENTRY_IMPLAUSIBLE };

typedef struct load_ctx {
    const llmgw__prices_load_opts *opts;
    unsigned notes;
    char why[96];
} load_ctx;

static void note(load_ctx *x, int level, const char *fmt, ...) LLMGW_PRINTF(3, 4);
static void note(load_ctx *x, int level, const char *fmt, ...)
{
    char msg[320];
    va_list ap;

    if (x->opts == NULL || x->opts->log_cb == NULL)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    x->opts->log_cb(level, msg, x->opts->log_userdata);
}

/* A key from the file, fit for a log line: printable ASCII, at most 80 bytes. */
static void shown_key(char *dst, size_t cap, const char *key)
{
    size_t i;

    for (i = 0; i + 1 < cap && i < 80 && key[i] != '\0'; i++)
        dst[i] = (key[i] >= 0x20 && key[i] < 0x7f) ? key[i] : '?';
    dst[i] = '\0';
}

static int bad(load_ctx *x, int kind, const char *field, const char *what)
{
    snprintf(x->why, sizeof(x->why), "%s %s", field, what);
    return kind;
}

/* One rate: absent or null -> NONE. */
static int read_rate(load_ctx *x, const cJSON *obj, const char *field, int64_t *dst)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, field);
    double v;

    *dst = LLMGW__PRICE_NONE;
    if (it == NULL || cJSON_IsNull(it))
        return ENTRY_OK;
    if (!cJSON_IsNumber(it))
        return bad(x, ENTRY_INVALID, field, "is not a number");
    v = it->valuedouble;
    if (!isfinite(v) || v < 0)
        return bad(x, ENTRY_INVALID, field, "is not a finite number >= 0");
    if (v > LLMGW__PRICE_PLAUSIBLE_MAX_USD)
        return bad(x, ENTRY_IMPLAUSIBLE, field, "is above 0.001 USD per token");
    *dst = llmgw__price_from_usd_per_token(v);
    return ENTRY_OK;
}

static int read_limit(load_ctx *x, const cJSON *obj, const char *field, int64_t *dst)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, field);
    uint64_t v;

    *dst = 0;
    if (it == NULL || cJSON_IsNull(it))
        return ENTRY_OK;
    if (llmgw__json_token_count(it, &v) < 0)
        return bad(x, ENTRY_INVALID, field, "is not an integer in [0, 2^40)");
    *dst = (int64_t)v;
    return ENTRY_OK;
}

static const char *const rate_fields[] = {
    "input_cost_per_token", "output_cost_per_token", "cache_read_input_token_cost",
    "cache_creation_input_token_cost", "output_cost_per_reasoning_token",
};

/* The long-context tier: <base>_above_<N>k_tokens for the first four rates, one N per entry. */
static int read_tier(load_ctx *x, const cJSON *obj, llmgw__price *e)
{
    int64_t *dst[4] = { &e->input_above, &e->output_above, &e->cache_read_above, &e->cache_creation_above };
    const cJSON *it;
    size_t i;

    for (it = obj->child; it != NULL; it = it->next) {
        size_t len = strlen(it->string);
        if (len < 16 || memcmp(it->string + len - 8, "k_tokens", 8) != 0)
            continue;
        for (i = 0; i < 4; i++) {
            size_t blen = strlen(rate_fields[i]), n = 0;
            const char *s = it->string;
            int64_t k = 0;
            int rc;
            if (strncmp(s, rate_fields[i], blen) != 0 || strncmp(s + blen, "_above_", 7) != 0)
                continue;
            for (s += blen + 7; *s >= '0' && *s <= '9' && n < 7; s++, n++)
                k = k * 10 + (*s - '0');
            if (n == 0 || strcmp(s, "k_tokens") != 0)
                continue;           /* _above_1hr, _priority ...: not read */
            if (k == 0 || (e->tier_threshold != 0 && e->tier_threshold != k * 1000))
                return bad(x, ENTRY_INVALID, it->string, "is a second long-context tier");
            e->tier_threshold = k * 1000;
            if ((rc = read_rate(x, obj, it->string, dst[i])) != ENTRY_OK)
                return rc;
        }
    }
    return ENTRY_OK;
}

static int read_entry(load_ctx *x, const cJSON *obj, llmgw__price *e)
{
    int64_t *base[5] = { &e->input, &e->output, &e->cache_read, &e->cache_creation, &e->reasoning };
    const cJSON *mode, *prov;
    int64_t legacy;
    size_t i;
    int rc;

    llmgw__price_init(e);
    if (!cJSON_IsObject(obj))
        return bad(x, ENTRY_INVALID, "the entry", "is not an object");
    if (strlen(obj->string) >= LLMGW__PRICE_KEY_MAX)
        return bad(x, ENTRY_INVALID, "the key", "is longer than 127 bytes");
    if (obj->string[0] == '\0')
        return bad(x, ENTRY_INVALID, "the key", "is empty (no model could ever match it)");
    mode = cJSON_GetObjectItemCaseSensitive(obj, "mode");
    if (mode != NULL && !cJSON_IsString(mode))
        return bad(x, ENTRY_INVALID, "mode", "is not a string");
    if (mode != NULL && strcmp(mode->valuestring, "chat") != 0 &&
        strcmp(mode->valuestring, "completion") != 0 && strcmp(mode->valuestring, "responses") != 0)
        return ENTRY_MODE;
    if (mode == NULL && cJSON_GetObjectItemCaseSensitive(obj, rate_fields[0]) == NULL &&
        cJSON_GetObjectItemCaseSensitive(obj, rate_fields[1]) == NULL)
        return ENTRY_MODE;
    prov = cJSON_GetObjectItemCaseSensitive(obj, "litellm_provider");
    if (prov != NULL && !cJSON_IsString(prov))
        return bad(x, ENTRY_INVALID, "litellm_provider", "is not a string");
    if (prov != NULL) {
        const char *id = llmgw__prices_provider_id(prov->valuestring);
        if (strlen(id) >= sizeof(e->provider))
            return bad(x, ENTRY_INVALID, "litellm_provider", "is too long");
        memcpy(e->provider, id, strlen(id) + 1);
    }
    for (i = 0; i < 5; i++)
        if ((rc = read_rate(x, obj, rate_fields[i], base[i])) != ENTRY_OK)
            return rc;
    if ((rc = read_tier(x, obj, e)) != ENTRY_OK ||
        (rc = read_limit(x, obj, "max_input_tokens", &e->max_input_tokens)) != ENTRY_OK ||
        (rc = read_limit(x, obj, "max_output_tokens", &e->max_output_tokens)) != ENTRY_OK ||
        (rc = read_limit(x, obj, "max_tokens", &legacy)) != ENTRY_OK)
        return rc;
    if (e->max_output_tokens == 0)
        e->max_output_tokens = legacy;      /* max_tokens is LiteLLM's legacy output limit */
    memcpy(e->key, obj->string, strlen(obj->string) + 1);
    memcpy(e->source, "file", 5);
    return ENTRY_OK;
}

/*
 * The text holds the escape \u0000, which cJSON turns into a NUL that ends
 * a key early. llmgw__json_has_nul_escape() walks every byte; this finds the
 * six bytes with memmem and checks that the backslash is not itself escaped.
 */
static bool has_nul_escape(const char *s, size_t len)
{
    const char *p = s, *end = s + len, *hit;

    while ((hit = memmem(p, (size_t)(end - p), "\\u0000", 6)) != NULL) {
        size_t at = (size_t)(hit - s), run = 1;
        while (run <= at && s[at - run] == '\\')
            run++;
        if (run % 2 == 1)
            return true;
        p = hit + 6;
    }
    return false;
}

static size_t pow2_at_least(size_t n)
{
    size_t p = 16;

    while (p < n)
        p *= 2;
    return p;
}

/* Copy the last error's message out before setting a new one over it. */
static int reframe_error(const char *what)
{
    char msg[256];
    int code = llmgw_error_last()->code;

    snprintf(msg, sizeof(msg), "%s", llmgw_error_last()->message);
    return CFG_ERR(code < 0 ? code : LLMGW_EINVAL, "prices: %s: %s", what, msg);
}

static void count_outcome(load_ctx *x, llmgw__prices *t, int rc, const char *key)
{
    char shown[96];

    if (rc == ENTRY_MODE) {
        t->stats.skipped_mode++;
        return;
    }
    if (rc == ENTRY_INVALID)
        t->stats.skipped_invalid++;
    else
        t->stats.skipped_implausible++;
    if (x->notes++ < MAX_NOTES) {
        shown_key(shown, sizeof(shown), key);
        note(x, LLMGW_LOG_WARN, "prices: skipped \"%s\": %s", shown, x->why);
    }
}

static int load_tree(llmgw__prices *t, const cJSON *root, load_ctx *x)
{
    const cJSON *it;
    size_t members = 0, cap;

    for (it = root->child; it != NULL; it = it->next)
        members++;
    cap = LLMGW_MIN(members, (size_t)LLMGW__PRICES_MAX_ENTRIES);
    t->nslots = pow2_at_least(2 * cap + 1);
    t->entries = llmgw__reallocarray(NULL, cap ? cap : 1, sizeof(*t->entries));
    t->slots = llmgw__calloc(t->nslots, sizeof(*t->slots));
    if (t->entries == NULL || t->slots == NULL)
        return llmgw__error_oom();
    for (it = root->child; it != NULL; it = it->next) {
        llmgw__price *e = &t->entries[t->count];
        int rc;
        if (strcmp(it->string, "sample_spec") == 0 || strcmp(it->string, "fallback_generalizations") == 0)
            continue;
        t->stats.entries++;
        if (t->count == cap) {
            rc = bad(x, ENTRY_INVALID, "the file", "has too many entries");
        } else {
            rc = read_entry(x, it, e);
        }
        if (rc != ENTRY_OK) {
            count_outcome(x, t, rc, it->string);
            continue;
        }
        if (!llmgw__prices_index_add(t, t->count)) {
            t->stats.skipped_duplicate++;
            continue;
        }
        t->count++;
        t->stats.unpriced += e->input == LLMGW__PRICE_NONE || e->output == LLMGW__PRICE_NONE;
    }
    t->stats.loaded = t->count;
    return 0;
}

int llmgw__prices_load_buffer(llmgw__prices **out, const char *json, size_t len,
                              const llmgw__prices_load_opts *opts)
{
    size_t max = opts != NULL && opts->max_bytes ? opts->max_bytes : LLMGW__PRICES_MAX_FILE_BYTES;
    load_ctx x = { opts, 0, "" };
    llmgw__prices *t;
    cJSON *root;
    int rc;

    LLMGW_CHECK_ARG(out);
    *out = NULL;
    LLMGW_CHECK_ARG(json);
    if (len > max)
        return CFG_ERR(LLMGW_EINVAL, "prices: the file is larger than %zu bytes", max);
    if (has_nul_escape(json, len))
        return CFG_ERR(LLMGW_EINVAL, "prices: the file holds a \\u0000 escape");
    root = llmgw__json_parse(json, len, LLMGW_ERRCLASS_CONFIG);
    if (root == NULL)
        return reframe_error("not JSON");
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return CFG_ERR(LLMGW_EINVAL, "prices: the file is not a JSON object of models");
    }
    t = llmgw__calloc(1, sizeof(*t));
    if (t == NULL) {
        cJSON_Delete(root);
        return llmgw__error_oom();
    }
    t->seed = llmgw__prices_seed((uint64_t)(uintptr_t)t ^ ((uint64_t)time(NULL) << 20));
    rc = load_tree(t, root, &x);
    cJSON_Delete(root);
    if (rc == 0 && t->count == 0 && t->stats.entries > 0)
        rc = CFG_ERR(LLMGW_EINVAL, "prices: no usable entry among %zu (%zu of another mode, %zu invalid, "
                     "%zu implausible)", t->stats.entries, t->stats.skipped_mode, t->stats.skipped_invalid,
                     t->stats.skipped_implausible);
    if (rc < 0) {
        llmgw__prices_free(t);
        return rc;
    }
    if (t->count > 0 && t->count < LLMGW_MIN(t->stats.entries, (size_t)LLMGW__PRICES_MAX_ENTRIES)) {
        llmgw__price *shrunk = llmgw__reallocarray(t->entries, t->count, sizeof(*t->entries));
        if (shrunk != NULL)
            t->entries = shrunk;
    }
    if (x.notes > MAX_NOTES)
        note(&x, LLMGW_LOG_WARN, "prices: %u more entries skipped", x.notes - MAX_NOTES);
    note(&x, LLMGW_LOG_INFO, "prices: %zu models loaded (%zu without a price), %zu of another mode, "
         "%zu invalid, %zu implausible, %zu duplicate", t->count, t->stats.unpriced, t->stats.skipped_mode,
         t->stats.skipped_invalid, t->stats.skipped_implausible, t->stats.skipped_duplicate);
    *out = t;
    return 0;
}

static int read_error(const char *path, int err)
{
    char buf[128];
    const char *why = strerror_r(err, buf, sizeof(buf));

    if (err == ENOENT || err == ENOTDIR)
        return CFG_ERR(LLMGW_ENOTFOUND, "prices: %s: no such file", path);
    return CFG_ERR(LLMGW_ERROR, "prices: %s: cannot read: %s", path, why);
}

/* The whole file, at most max bytes (one more is read to tell). */
static int read_file(const char *path, size_t max, char **data_out, size_t *len_out)
{
    struct stat st;
    char *buf = NULL;
    size_t len = 0, cap;
    int fd, rc = 0;

    *data_out = NULL;
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return read_error(path, errno);
    if (fstat(fd, &st) != 0)
        rc = read_error(path, errno);
    else if (S_ISDIR(st.st_mode))
        rc = CFG_ERR(LLMGW_EINVAL, "prices: %s is a directory", path);
    else if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > max)
        rc = CFG_ERR(LLMGW_EINVAL, "prices: %s is larger than %zu bytes", path, max);
    cap = rc == 0 && S_ISREG(st.st_mode) ? (size_t)st.st_size + 1 : 65536;
    while (rc == 0) {
        ssize_t n;
        if (buf == NULL || len == cap) {
            char *nb;
            if (buf != NULL)
                cap = LLMGW_MIN(cap * 2, max + 1);
            nb = llmgw__realloc(buf, cap);
            if (nb == NULL) {
                rc = llmgw__error_oom();
                break;
            }
            buf = nb;
        }
        n = read(fd, buf + len, cap - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            rc = read_error(path, errno);
        else if (n == 0)
            break;
        else if ((len += (size_t)n) > max)
            rc = CFG_ERR(LLMGW_EINVAL, "prices: %s is larger than %zu bytes", path, max);
    }
    close(fd);
    if (rc < 0) {
        llmgw__free(buf);
        return rc;
    }
    *data_out = buf;
    *len_out = len;
    return 0;
}

int llmgw__prices_load_file(llmgw__prices **out, const char *path, const llmgw__prices_load_opts *opts)
{
    size_t max = opts != NULL && opts->max_bytes ? opts->max_bytes : LLMGW__PRICES_MAX_FILE_BYTES, len = 0;
    char *data;
    int rc;

    LLMGW_CHECK_ARG(out);
    *out = NULL;
    LLMGW_CHECK_ARG(path);
    LLMGW_TRY(read_file(path, max, &data, &len));
    rc = llmgw__prices_load_buffer(out, data, len, opts);
    llmgw__free(data);
    return rc;
}
