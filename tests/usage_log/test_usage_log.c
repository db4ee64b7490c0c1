/*
 * tests/usage_log/test_usage_log.c: the usage-log sink (lib/accounting/
 * usage_log.c, usage_log_file.c): lines are exactly llmgw_usage_to_json();
 * 8 threads in each of 2 processes lose, tear or repeat no record, with and
 * without rotation; rotation keeps `keep` files; options and the gateway's
 * config and environment wiring. Slow disks and failing writes are in
 * test_usage_log_slow.c.
 */
#include "ulog_test.h"

#include <pthread.h>
#include <sys/wait.h>

#include "accounting/usage_log.h"
#include "core/buf.h"
#include "config/settings.h"

#define PROCS   2
#define THREADS 8
#define PER_THREAD 400

/* ---- lines are the record's JSON ---- */

static void test_line_is_usage_json(void **state)
{
    char *dir = ulog_tmpdir(), path[256];
    llmgw_usage_log_options o = LLMGW_USAGE_LOG_OPTIONS_INIT;
    llmgw_usage_log *log = NULL;
    llmgw_usage_log_stats st;
    llmgw_buf want = LLMGW_BUF_INIT;
    ulog_rec r;
    size_t len = 0, i;
    char *data;

    (void)state;
    snprintf(path, sizeof(path), "%s/usage.jsonl", dir);
    o.path = path;
    assert_int_equal(llmgw_usage_log_open(&log, &o), 0);
    for (i = 0; i < 50; i++) {
        ulog_rec_make(&r, 0, 0, (int)i);
        assert_int_equal(llmgw_usage_log_write(log, &r.u), 0);
        assert_int_equal(llmgw_usage_to_json(&want, &r.u), 0);
        assert_int_equal(llmgw__buf_putc(&want, '\n'), 0);
    }
    assert_int_equal(llmgw_usage_log_flush(log, -1), 0);
    assert_int_equal(llmgw_usage_log_stats_get(&st, log), 0);
    assert_int_equal(st.queued, 50);
    assert_int_equal(st.written, 50);
    assert_int_equal(st.dropped, 0);
    assert_int_equal(st.pending, 0);
    assert_int_equal(st.bytes_written, want.size);
    assert_int_equal(llmgw_usage_log_close(log), 0);

    data = unit_read_file(path, &len);
    assert_non_null(data);
    assert_int_equal(len, want.size);
    assert_memory_equal(data, want.ptr, len);
    free(data);
    {
        struct stat sb;
        assert_int_equal(stat(path, &sb), 0);
        assert_int_equal(sb.st_mode & 0777, 0600);
    }
    llmgw_buf_dispose(&want);
    ulog_rmdir(dir);
}

/* ---- many threads, many processes ---- */

typedef struct writer_arg {
    llmgw_usage_log *log;
    int proc, thread;
    int failures;
} writer_arg;

static void *writer(void *p)
{
    writer_arg *a = p;
    ulog_rec r;
    int n;

    for (n = 0; n < PER_THREAD; n++) {
        ulog_rec_make(&r, a->proc, a->thread, n);
        if (n % 2 == 0)
            llmgw_usage_log_callback(&r.u, a->log);     /* as the gateway's hook */
        else if (llmgw_usage_log_write(a->log, &r.u) != 0)
            a->failures++;
    }
    return NULL;
}

/* One process: THREADS threads write PER_THREAD records each. Exit status 0 when nothing was dropped. */
static int child_writes(const char *path, int proc, int64_t max_bytes)
{
    llmgw_usage_log_options o = LLMGW_USAGE_LOG_OPTIONS_INIT;
    llmgw_usage_log *log = NULL;
    llmgw_usage_log_stats st;
    pthread_t th[THREADS];
    writer_arg args[THREADS];
    int i, failures = 0;

    o.path = path;
    o.max_bytes = max_bytes;
    o.keep = LLMGW__ULOG_MAX_KEEP;
    o.queue_capacity = 64;              /* small: producers wait for the writer ... */
    o.enqueue_timeout_ms = 600000;      /* ... but never long enough to drop here */
    o.close_timeout_ms = -1;
    if (llmgw_usage_log_open(&log, &o) != 0)
        return 10;
    for (i = 0; i < THREADS; i++) {
        args[i] = (writer_arg){ log, proc, i, 0 };
        if (pthread_create(&th[i], NULL, writer, &args[i]) != 0)
            return 11;
    }
    for (i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        failures += args[i].failures;
    }
    if (llmgw_usage_log_flush(log, -1) != 0 || llmgw_usage_log_stats_get(&st, log) != 0)
        return 12;
    if (llmgw_usage_log_close(log) != 0)
        return 13;
    if (failures != 0 || st.dropped != 0 || st.written != (uint64_t)THREADS * PER_THREAD)
        return 14;
    return 0;
}

typedef struct seen_set {
    unsigned char count[PROCS][THREADS][PER_THREAD];
    long lines, bad;
} seen_set;

static void see_line(const char *text, size_t len, void *arg)
{
    seen_set *s = arg;
    cJSON *o = cJSON_ParseWithLength(text, len);
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(o, "request_id");
    const cJSON *in = cJSON_GetObjectItemCaseSensitive(o, "input_tokens");
    unsigned long p, t, n;

    s->lines++;
    if (!cJSON_IsString(id) || !ulog_parse_id(id->valuestring, &p, &t, &n) || p >= PROCS ||
        t >= THREADS || n >= PER_THREAD || !cJSON_IsNumber(in) || in->valuedouble != 1000.0 + (double)n) {
        s->bad++;
    } else if (s->count[p][t][n] < 255) {
        s->count[p][t][n]++;
    }
    cJSON_Delete(o);
}

/* Read path, path.1 ... and check every record is there exactly once, whole. Returns the file count. */
static int check_all_records(const char *path, int64_t max_bytes)
{
    seen_set *s = calloc(1, sizeof(*s));
    char name[300];
    int files = 0, k;
    unsigned p, t, n;

    assert_non_null(s);
    for (k = 0; k <= (int)LLMGW__ULOG_MAX_KEEP; k++) {
        struct stat sb;
        if (k == 0)
            snprintf(name, sizeof(name), "%s", path);
        else
            snprintf(name, sizeof(name), "%s.%d", path, k);
        if (stat(name, &sb) < 0)
            break;
        if (max_bytes > 0)
            assert_true(sb.st_size <= max_bytes);
        assert_true(ulog_each_line(name, see_line, s) >= 0);
        files++;
    }
    assert_int_equal(s->bad, 0);
    assert_int_equal(s->lines, PROCS * THREADS * PER_THREAD);
    for (p = 0; p < PROCS; p++)
        for (t = 0; t < THREADS; t++)
            for (n = 0; n < PER_THREAD; n++)
                if (s->count[p][t][n] != 1)
                    fail_msg("record p%u-t%u-n%u seen %u times", p, t, n, s->count[p][t][n]);
    free(s);
    return files;
}

static void run_processes(char *dir, const char *path, int64_t max_bytes)
{
    pid_t pids[PROCS];
    int i, status;

    for (i = 0; i < PROCS; i++) {
        pids[i] = fork();
        assert_true(pids[i] >= 0);
        if (pids[i] == 0) {
            int rc = child_writes(path, i, max_bytes);
            free(dir);      /* the child's copy: valgrind checks the child's leaks too */
            _exit(rc);
        }
    }
    for (i = 0; i < PROCS; i++) {
        assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }
}

static void test_threads_and_processes(void **state)
{
    char *dir = ulog_tmpdir(), path[256];

    (void)state;
    snprintf(path, sizeof(path), "%s/usage.jsonl", dir);
    run_processes(dir, path, -1);
    assert_int_equal(check_all_records(path, -1), 1);
    ulog_rmdir(dir);
}

static void test_rotation_under_concurrency(void **state)
{
    char *dir = ulog_tmpdir(), path[256];
    const int64_t max = 48 * 1024;
    int files;

    (void)state;
    snprintf(path, sizeof(path), "%s/usage.jsonl", dir);
    run_processes(dir, path, max);
    files = check_all_records(path, max);
    /* about 6 MB of records in 48 KiB files */
    assert_true(files > 20);
    assert_true(files < (int)LLMGW__ULOG_MAX_KEEP);
    ulog_rmdir(dir);
}

/* ---- rotation keeps `keep` files, newest first ---- */

static void last_id(const char *text, size_t len, void *arg)
{
    cJSON *o = cJSON_ParseWithLength(text, len);
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(o, "request_id");

    assert_true(cJSON_IsString(id));
    snprintf(arg, 64, "%s", id->valuestring);
    cJSON_Delete(o);
}

static void test_rotation_keeps_n(void **state)
{
    char *dir = ulog_tmpdir(), path[256], name[300], id[64];
    llmgw_usage_log_options o = LLMGW_USAGE_LOG_OPTIONS_INIT;
    llmgw_usage_log *log = NULL;
    llmgw_usage_log_stats st;
    ulog_rec r;
    long total = 0;
    int i;

    (void)state;
    snprintf(path, sizeof(path), "%s/usage.jsonl", dir);
    o.path = path;
    o.max_bytes = 4096;
    o.keep = 2;
    assert_int_equal(llmgw_usage_log_open(&log, &o), 0);
    for (i = 0; i < 100; i++) {
        ulog_rec_make(&r, 0, 0, i);
        assert_int_equal(llmgw_usage_log_write(log, &r.u), 0);
        assert_int_equal(llmgw_usage_log_flush(log, -1), 0);      /* one line per write: a rotation each 4 KiB */
    }
    assert_int_equal(llmgw_usage_log_stats_get(&st, log), 0);
    assert_true(st.rotations >= 10);
    assert_int_equal(st.written, 100);
    assert_int_equal(llmgw_usage_log_close(log), 0);

    assert_true(ulog_each_line(path, last_id, id) > 0);
    assert_string_equal(id, "p0-t0-n99");                      /* the newest records stay in PATH */
    for (i = 1; i <= 3; i++) {
        struct stat sb;
        snprintf(name, sizeof(name), "%s.%d", path, i);
        if (i <= 2) {
            assert_int_equal(stat(name, &sb), 0);
            assert_true(sb.st_size <= 4096);
            total += ulog_each_line(name, last_id, id);
        } else {
            assert_int_equal(stat(name, &sb), -1);             /* older files were dropped */
        }
    }
    assert_true(total > 0);
    ulog_rmdir(dir);
}

/* ---- a record too long for a line ---- */

static void test_long_records(void **state)
{
    char *dir = ulog_tmpdir(), path[256];
    llmgw_usage_log_options o = LLMGW_USAGE_LOG_OPTIONS_INIT;
    llmgw_usage_log *log = NULL;
    llmgw_usage_log_stats st;
    const char *many[64];
    char tag[64][40], huge[3000];
    ulog_rec r;
    size_t len = 0;
    char *data;
    cJSON *j;
    int i;

    (void)state;
    snprintf(path, sizeof(path), "%s/usage.jsonl", dir);
    o.path = path;
    o.max_line_bytes = 2048;
    assert_int_equal(llmgw_usage_log_open(&log, &o), 0);
    ulog_rec_make(&r, 0, 0, 1);
    for (i = 0; i < 64; i++) {
        snprintf(tag[i], sizeof(tag[i]), "a-rather-long-tag-number-%d", i);
        many[i] = tag[i];
    }
    r.u.tags = many;
    r.u.tag_count = 64;
    assert_int_equal(llmgw_usage_log_write(log, &r.u), 0);       /* kept without trail and tags */
    memset(huge, 'x', sizeof(huge) - 1);
    huge[sizeof(huge) - 1] = '\0';
    r.u.request_id = huge;                                       /* too long even then */
    assert_fails_with(llmgw_usage_log_write(log, &r.u), LLMGW_EUNAVAILABLE, "max_line_bytes");
    assert_int_equal(llmgw_usage_log_flush(log, -1), 0);
    assert_int_equal(llmgw_usage_log_stats_get(&st, log), 0);
    assert_int_equal(st.truncated, 1);
    assert_int_equal(st.dropped_too_long, 1);
    assert_int_equal(st.dropped, 1);
    assert_int_equal(st.written, 1);
    assert_int_equal(llmgw_usage_log_close(log), 0);

    data = unit_read_file(path, &len);
    assert_non_null(data);
    assert_true(len <= 2048);
    assert_int_equal(data[len - 1], '\n');
    j = cJSON_ParseWithLength(data, len);
    assert_non_null(j);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "truncated")));
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "trail")), 0);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "tags")), 0);
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(j, "cost_nano_usd")->valuedouble, 6000001.0);
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(j, "attempts")->valuedouble, 2.0);
    cJSON_Delete(j);
    free(data);
    ulog_rmdir(dir);
}

/* ---- options ---- */

static void test_options(void **state)
{
    char *dir = ulog_tmpdir(), path[256];
    llmgw_usage_log_options o;
    llmgw_usage_log *log = (llmgw_usage_log *)&o;
    struct stat sb;

    (void)state;
    assert_int_equal(llmgw_usage_log_options_init(&o, LLMGW_USAGE_LOG_OPTIONS_VERSION), 0);
    assert_int_equal(o.version, LLMGW_USAGE_LOG_OPTIONS_VERSION);
    assert_int_equal(o.max_bytes, 0);
    assert_int_equal(llmgw_usage_log_options_init(&o, 99), LLMGW_EVERSION);

    assert_int_equal(llmgw_usage_log_options_init(&o, 1), 0);
    assert_fails_with(llmgw_usage_log_open(&log, &o), LLMGW_EINVAL, "no path");
    assert_null(log);
    o.path = dir;
    assert_fails_with(llmgw_usage_log_open(&log, &o), LLMGW_ERROR, dir);          /* a directory: EISDIR */
    snprintf(path, sizeof(path), "%s/a/b/usage.jsonl", dir);
    o.path = path;
    assert_fails_with(llmgw_usage_log_open(&log, &o), LLMGW_ENOTFOUND, "usage log");
    o.keep = LLMGW__ULOG_MAX_KEEP + 1;
    assert_fails_with(llmgw_usage_log_open(&log, &o), LLMGW_EINVAL, "keep");
    o.keep = 0;
    o.max_line_bytes = 100;
    assert_fails_with(llmgw_usage_log_open(&log, &o), LLMGW_EINVAL, "max_line_bytes");
    o.max_line_bytes = 0;
    o.enqueue_timeout_ms = -1;
    assert_fails_with(llmgw_usage_log_open(&log, &o), LLMGW_EINVAL, "enqueue_timeout_ms");
    o.enqueue_timeout_ms = 0;
    o.version = 7;
    assert_int_equal(llmgw_usage_log_open(&log, &o), LLMGW_EVERSION);
    o.version = 1;
    o.create_dirs = 1;
    o.file_mode = 0640;
    assert_int_equal(llmgw_usage_log_open(&log, &o), 0);
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0640);
    assert_int_equal(llmgw_usage_log_close(log), 0);
    assert_int_equal(llmgw_usage_log_close(NULL), 0);
    snprintf(path, sizeof(path), "%s/a/b", dir);
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0700);
    snprintf(path, sizeof(path), "%s/a/b/usage.jsonl", dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/a/b/usage.jsonl.lock", dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/a/b", dir);
    rmdir(path);
    snprintf(path, sizeof(path), "%s/a", dir);
    rmdir(path);
    ulog_rmdir(dir);
}

/* ---- the gateway's log: environment over config ---- */

static void test_from_settings(void **state)
{
    char *dir = ulog_tmpdir(), cfg_path[256], env_path[256];
    llmgw__settings *s = llmgw__settings_new();
    llmgw_usage_log *log = NULL;
    struct stat sb;
    ulog_rec r;

    (void)state;
    assert_non_null(s);
    snprintf(cfg_path, sizeof(cfg_path), "%s/state/cfg.jsonl", dir);
    snprintf(env_path, sizeof(env_path), "%s/env.jsonl", dir);
    unsetenv("LLMGW_USAGE_LOG");
    unsetenv("LLMGW_LOG");

    /* nothing configured: no log */
    assert_int_equal(llmgw__usage_log_from_settings(&log, NULL, NULL, NULL), 0);
    assert_null(log);
    assert_int_equal(llmgw__usage_log_from_settings(&log, s, NULL, NULL), 0);
    assert_null(log);

    /* the config's path, directories created */
    assert_int_equal(llmgw__settings_set_str(&s->usage_log_path, cfg_path, false), 0);
    assert_int_equal(llmgw__usage_log_from_settings(&log, s, NULL, NULL), 0);
    assert_non_null(log);
    ulog_rec_make(&r, 0, 0, 0);
    llmgw_usage_log_callback(&r.u, log);
    assert_int_equal(llmgw_usage_log_close(log), 0);
    assert_int_equal(stat(cfg_path, &sb), 0);
    assert_true(sb.st_size > 0);

    /* the environment wins */
    setenv("LLMGW_USAGE_LOG", env_path, 1);
    assert_int_equal(llmgw__usage_log_from_settings(&log, s, NULL, NULL), 0);
    assert_non_null(log);
    assert_int_equal(llmgw_usage_log_close(log), 0);
    assert_int_equal(stat(env_path, &sb), 0);
    unsetenv("LLMGW_USAGE_LOG");

    /* "off" turns a configured log off; LLMGW_LOG is read too */
    setenv("LLMGW_LOG", "off", 1);
    log = (llmgw_usage_log *)s;
    assert_int_equal(llmgw__usage_log_from_settings(&log, s, NULL, NULL), 0);
    assert_null(log);
    setenv("LLMGW_USAGE_LOG", "OFF", 1);
    unsetenv("LLMGW_LOG");
    assert_int_equal(llmgw__usage_log_from_settings(&log, s, NULL, NULL), 0);
    assert_null(log);
    unsetenv("LLMGW_USAGE_LOG");

    llmgw__settings_free(s);
    unlink(cfg_path);
    snprintf(cfg_path, sizeof(cfg_path), "%s/state/cfg.jsonl.lock", dir);
    unlink(cfg_path);
    snprintf(cfg_path, sizeof(cfg_path), "%s/state", dir);
    rmdir(cfg_path);
    ulog_rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_line_is_usage_json),
        cmocka_unit_test(test_threads_and_processes),
        cmocka_unit_test(test_rotation_under_concurrency),
        cmocka_unit_test(test_rotation_keeps_n),
        cmocka_unit_test(test_long_records),
        cmocka_unit_test(test_options),
        cmocka_unit_test(test_from_settings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
