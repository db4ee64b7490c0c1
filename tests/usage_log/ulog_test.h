/*
 * tests/usage_log/ulog_test.h: helpers of the usage-log tests: records with
 * a unique request id, a scratch directory, and reading every line back
 * from a log and its rotated files.
 */
#ifndef LLMGW_TESTS_ULOG_TEST_H
#define LLMGW_TESTS_ULOG_TEST_H

#include "unit.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

/* A record whose request id is "p<P>-t<T>-n<N>", with a trail of two attempts and two tags. */
typedef struct ulog_rec {
    llmgw_usage   u;
    llmgw_attempt trail[2];
    const char   *tags[2];
    char          id[64];
} ulog_rec;

static inline void ulog_rec_make(ulog_rec *r, int p, int t, int n)
{
    memset(r, 0, sizeof(*r));
    snprintf(r->id, sizeof(r->id), "p%d-t%d-n%d", p, t, n);
    r->trail[0] = (llmgw_attempt){ .deployment = "dep-a", .provider = "openai", .model = "gpt-4o",
                                   .status = LLMGW_EUNAVAILABLE, .error_class = LLMGW_ERRCLASS_SERVER_ERROR,
                                   .http_status = 503, .retry_after_ms = -1 };
    r->trail[1] = (llmgw_attempt){ .deployment = "dep-b", .provider = "anthropic", .model = "claude-sonnet-4-5",
                                   .usage_known = 1, .billed = 1, .input_tokens = 1000 + (uint64_t)n,
                                   .output_tokens = 200, .cost_nusd = 6000000 + n,
                                   .cost_source = LLMGW_COST_COMPUTED, .retry_after_ms = -1 };
    r->tags[0] = "team-a";
    r->tags[1] = "feature-x";
    r->u.version = LLMGW_USAGE_VERSION;
    r->u.request_id = r->id;
    r->u.operation = "chat";
    r->u.model_requested = "smart";
    r->u.group = "smart";
    r->u.provider = "anthropic";
    r->u.model = "claude-sonnet-4-5";
    r->u.deployment = "dep-b";
    r->u.usage_known = 1;
    r->u.input_tokens = 1000 + (uint64_t)n;
    r->u.output_tokens = 200;
    r->u.total_tokens = r->u.input_tokens + r->u.output_tokens;
    r->u.cost_nusd = 6000000 + n;
    r->u.cost_source = LLMGW_COST_COMPUTED;
    r->u.start_time_us = 1767225600000000LL + (int64_t)n * 1000;     /* 2026-01-01 */
    r->u.latency_us = 1500;
    r->u.ttft_us = -1;
    r->u.attempts = 2;
    r->u.fallbacks = 1;
    r->u.trail = r->trail;
    r->u.customer = "acme";
    r->u.tags = r->tags;
    r->u.tag_count = 2;
}

/* A fresh directory under /tmp; free the returned string with free(). */
static inline char *ulog_tmpdir(void)
{
    char *d = strdup("/tmp/llmgw-ulog-XXXXXX");

    assert_non_null(d);
    assert_non_null(mkdtemp(d));
    return d;
}

/* Remove dir and the plain files in it. */
static inline void ulog_rmdir(char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char p[1024];

    if (d != NULL) {
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
            if (unlink(p) < 0 && errno == EISDIR)
                rmdir(p);
        }
        closedir(d);
    }
    rmdir(dir);
    free(dir);
}

/*
 * Parse "p<P>-t<T>-n<N>" into its numbers; false when id has another shape.
 */
static inline bool ulog_parse_id(const char *id, unsigned long *p, unsigned long *t, unsigned long *n)
{
    char *end;

    if (id == NULL || id[0] != 'p')
        return false;
    *p = strtoul(id + 1, &end, 10);
    if (end[0] != '-' || end[1] != 't')
        return false;
    *t = strtoul(end + 2, &end, 10);
    if (end[0] != '-' || end[1] != 'n')
        return false;
    *n = strtoul(end + 2, &end, 10);
    return *end == '\0';
}

/*
 * Call fn(line, len, arg) for each line of file; every line must end with
 * '\n' (no torn tail). Returns the number of lines; -1 when file is missing.
 */
static inline long ulog_each_line(const char *file, void (*fn)(const char *, size_t, void *), void *arg)
{
    size_t len = 0, i, start = 0;
    char *data = unit_read_file(file, &len);
    long lines = 0;

    if (data == NULL)
        return -1;
    for (i = 0; i < len; i++) {
        if (data[i] != '\n')
            continue;
        fn(data + start, i - start, arg);
        lines++;
        start = i + 1;
    }
    if (start != len)
        fail_msg("%s ends with a partial line of %zu bytes", file, len - start);
    free(data);
    return lines;
}

#endif
