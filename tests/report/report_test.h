/*
 * tests/report/report_test.h: helpers of the report tests: scratch
 * directories, files, and reports parsed back from their JSON.
 */
#ifndef LLMGW_TESTS_REPORT_TEST_H
#define LLMGW_TESTS_REPORT_TEST_H

#include "unit.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <unistd.h>

#include "core/buf.h"

static inline char *tmpdir_new(void)
{
    char *d = strdup("/tmp/llmgw-report-XXXXXX");

    assert_non_null(d);
    assert_non_null(mkdtemp(d));
    return d;
}

static inline void tmpdir_free(char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char p[512];

    while (d != NULL && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
        unlink(p);
    }
    if (d != NULL)
        closedir(d);
    rmdir(dir);
    free(dir);
}

static inline void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");

    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
    fclose(f);
}

/* The report as JSON, parsed. */
static inline cJSON *report(const char *const *paths, size_t n, const llmgw_report_options *o, bool simulate)
{
    llmgw_buf out = LLMGW_BUF_INIT;
    cJSON *j;
    int rc = simulate ? llmgw_cost_simulate(&out, paths, n, o) : llmgw_cost_report(&out, paths, n, o);

    if (rc != 0)
        fail_msg("report failed: %s", llmgw_error_last()->message);
    j = cJSON_Parse(out.ptr);
    if (j == NULL)
        fail_msg("not JSON: %s", out.ptr);
    llmgw_buf_dispose(&out);
    return j;
}

static inline double num(const cJSON *o, const char *k)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, k);

    if (!cJSON_IsNumber(it))
        fail_msg("%s is not a number", k);
    return it->valuedouble;
}

static inline const cJSON *group(const cJSON *doc, const char *key)
{
    const cJSON *g;

    cJSON_ArrayForEach(g, cJSON_GetObjectItemCaseSensitive(doc, "groups")) {
        const cJSON *k = cJSON_GetObjectItemCaseSensitive(g, "key");
        if ((key == NULL && cJSON_IsNull(k)) || (key && cJSON_IsString(k) && strcmp(k->valuestring, key) == 0))
            return g;
    }
    fail_msg("no group %s", key ? key : "null");
    return NULL;
}

#endif
