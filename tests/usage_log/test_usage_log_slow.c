/*
 * tests/usage_log/test_usage_log_slow.c: the usage log on a disk that stops
 * (a FIFO whose reader is paused) and a disk that fills up (RLIMIT_FSIZE):
 * requests are not held by the stuck writer (the calls return, drops are
 * counted), enqueue_timeout_ms bounds the wait, close gives up after
 * close_timeout_ms, and a failed write leaves no torn line behind.
 *
 * No timing is asserted: a request path that blocked on the stuck writer
 * would hang the test (the meson timeout fails it); the waits are printed.
 */
#include "ulog_test.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>

#include "accounting/usage_log.h"

static int64_t mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A FIFO in dir with a reader that reads nothing yet; returns the read end. */
static int paused_fifo(const char *path)
{
    int rfd;

    assert_int_equal(mkfifo(path, 0600), 0);
    rfd = open(path, O_RDONLY | O_NONBLOCK);
    assert_true(rfd >= 0);
    /* the smallest pipe buffer the kernel gives (a page): the writer stalls after a few lines */
    assert_true(fcntl(rfd, F_SETPIPE_SZ, 4096) > 0);
    return rfd;
}

typedef struct drain {
    int    fd;
    char  *data;
    size_t len, cap;
} drain;

/* Read the FIFO until EOF (every write end closed). */
static void *drain_main(void *p)
{
    drain *d = p;
    int fl = fcntl(d->fd, F_GETFL);

    fcntl(d->fd, F_SETFL, fl & ~O_NONBLOCK);
    for (;;) {
        ssize_t n;
        if (d->cap - d->len < 65536) {
            d->cap = d->cap ? d->cap * 2 : 1 << 20;
            d->data = realloc(d->data, d->cap);
            if (d->data == NULL)
                return NULL;
        }
        n = read(d->fd, d->data + d->len, d->cap - d->len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        d->len += (size_t)n;
    }
    return NULL;
}

typedef struct line_check {
    long lines, bad;
    unsigned char seen[4096];
} line_check;

static void check_line(const char *text, size_t len, void *arg)
{
    line_check *c = arg;
    cJSON *o = cJSON_ParseWithLength(text, len);
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(o, "request_id");
    unsigned long p, t, n;

    c->lines++;
    if (!cJSON_IsString(id) || !ulog_parse_id(id->valuestring, &p, &t, &n) || n >= 4096 || c->seen[n]++)
        c->bad++;
    cJSON_Delete(o);
}

/* Lines of a drained buffer: all whole, all distinct records. */
static long check_drained(drain *d)
{
    line_check *c = calloc(1, sizeof(*c));
    size_t i, start = 0;
    long lines;

    assert_non_null(c);
    for (i = 0; i < d->len; i++)
        if (d->data[i] == '\n') {
            check_line(d->data + start, i - start, c);
            start = i + 1;
        }
    assert_int_equal(start, d->len);
    assert_int_equal(c->bad, 0);
    lines = c->lines;
    free(c);
    return lines;
}

static void test_stuck_writer_drops(void **state)
{
    char *dir = ulog_tmpdir(), path[256];
    llmgw_usage_log_options o = LLMGW_USAGE_LOG_OPTIONS_INIT;
    llmgw_usage_log *log = NULL;
    llmgw_usage_log_stats st;
    drain d = { 0 };
    pthread_t reader;
    ulog_rec r;
    int64_t t0, worst = 0;
    const int n = 3000;
    int i;

    (void)state;
    snprintf(path, sizeof(path), "%s/usage.fifo", dir);
    d.fd = paused_fifo(path);
    o.path = path;
    o.queue_capacity = 8;
    assert_int_equal(llmgw_usage_log_open(&log, &o), 0);

    for (i = 0; i < n; i++) {
        ulog_rec_make(&r, 0, 0, i);
        t0 = mono_ms();
        llmgw_usage_log_callback(&r.u, log);
        if (mono_ms() - t0 > worst)
            worst = mono_ms() - t0;
    }
    assert_int_equal(llmgw_usage_log_stats_get(&st, log), 0);
    print_message("stuck writer: %d records in, %llu queued, %llu dropped, slowest call %lld ms\n", n,
                  (unsigned long long)st.queued, (unsigned long long)st.dropped, (long long)worst);
    assert_int_equal(st.queued + st.dropped, (uint64_t)n);
    assert_int_equal(st.dropped, st.dropped_queue_full);
    /*
     * The writer is stuck once 4 KiB sit in the pipe; what got in is at most
     * those lines, one batch the writer holds (<= capacity) and a full queue.
     */
    assert_true(st.queued <= 4096 / 800 + 2 + 2 * 8);
    assert_true(st.dropped >= (uint64_t)n - (4096 / 800 + 2 + 2 * 8));

    /* the disk comes back: everything accepted is written, whole */
    assert_int_equal(pthread_create(&reader, NULL, drain_main, &d), 0);
    assert_int_equal(llmgw_usage_log_flush(log, -1), 0);
    assert_int_equal(llmgw_usage_log_stats_get(&st, log), 0);
    assert_int_equal(st.written, st.queued);
    assert_int_equal(llmgw_usage_log_close(log), 0);
    assert_int_equal(pthread_join(reader, NULL), 0);
    assert_int_equal(check_drained(&d), (long)st.queued);
    free(d.data);
    close(d.fd);
    ulog_rmdir(dir);
}

static void test_enqueue_timeout_bounds_the_wait(void **state)
{
    char *dir = ulog_tmpdir(), path[256];
    llmgw_usage_log_options o = LLMGW_USAGE_LOG_OPTIONS_INIT;
    llmgw_usage_log *log = NULL;
    llmgw_usage_log_stats st;
    drain d = { 0 };
    pthread_t reader;
    ulog_rec r;
    int i, full = 0;
    int64_t t0, worst = 0;

    (void)state;
    snprintf(path, sizeof(path), "%s/usage.fifo", dir);
    d.fd = paused_fifo(path);
    o.path = path;
    o.queue_capacity = 2;
    o.enqueue_timeout_ms = 20;
    assert_int_equal(llmgw_usage_log_open(&log, &o), 0);
    for (i = 0; i < 40; i++) {
        int rc;
        ulog_rec_make(&r, 0, 0, i);
        t0 = mono_ms();
        rc = llmgw_usage_log_write(log, &r.u);
        if (mono_ms() - t0 > worst)
            worst = mono_ms() - t0;
        if (rc != 0) {
            assert_int_equal(rc, LLMGW_EUNAVAILABLE);
            assert_contains(llmgw_error_last()->message, "queue full");
            full++;
        }
    }
    print_message("enqueue_timeout_ms 20: %d of 40 dropped, slowest call %lld ms\n", full, (long long)worst);
    assert_true(full >= 40 - (4096 / 800 + 2 + 2 * 2));

    /* the hook never replaces the caller's error, even when it drops the record */
    assert_int_equal(llmgw_usage_log_stats_get(&st, log), 0);
    assert_int_equal(st.dropped_queue_full, (uint64_t)full);
    llmgw_error_set(LLMGW_EAUTH, "the request's own error");
    for (i = 0; i < 1000; i++) {
        llmgw_usage_log_stats before = st;
        llmgw_usage_log_callback(&r.u, log);
        assert_int_equal(llmgw_usage_log_stats_get(&st, log), 0);
        if (st.dropped_queue_full > before.dropped_queue_full)
            break;
    }
    assert_true(i < 1000);
    assert_int_equal(llmgw_error_last()->code, LLMGW_EAUTH);
    assert_string_equal(llmgw_error_last()->message, "the request's own error");
    assert_int_equal(llmgw_usage_log_flush(log, 0), LLMGW_ETIMEOUT);      /* the writer is stuck */

    assert_int_equal(pthread_create(&reader, NULL, drain_main, &d), 0);
    assert_int_equal(llmgw_usage_log_close(log), 0);
    assert_int_equal(pthread_join(reader, NULL), 0);
    assert_int_equal(check_drained(&d), (long)st.queued);
    free(d.data);
    close(d.fd);
    ulog_rmdir(dir);
}

static void test_close_gives_up(void **state)
{
    char *dir = ulog_tmpdir(), path[256];
    llmgw_usage_log_options o = LLMGW_USAGE_LOG_OPTIONS_INIT;
    llmgw_usage_log *log = NULL;
    drain d = { 0 };
    ulog_rec r;
    int i;

    (void)state;
    snprintf(path, sizeof(path), "%s/usage.fifo", dir);
    d.fd = paused_fifo(path);
    o.path = path;
    o.queue_capacity = 8;
    o.close_timeout_ms = 50;
    assert_int_equal(llmgw_usage_log_open(&log, &o), 0);
    for (i = 0; i < 100; i++) {
        ulog_rec_make(&r, 0, 0, i);
        llmgw_usage_log_callback(&r.u, log);
    }
    assert_fails_with(llmgw_usage_log_close(log), LLMGW_ETIMEOUT, "close timed out");
    /*
     * The writer is still blocked in write(2) and owns what is left; once
     * the reader drains, it finishes its line, frees the log and closes
     * the FIFO (EOF here).
     */
    drain_main(&d);
    assert_true(check_drained(&d) > 0);
    free(d.data);
    close(d.fd);
    ulog_rmdir(dir);
}

/* ---- a disk that fills up ---- */

#define FSIZE_LIMIT 20000

static int child_fills_disk(const char *path)
{
    llmgw_usage_log_options o = LLMGW_USAGE_LOG_OPTIONS_INIT;
    llmgw_usage_log *log = NULL;
    llmgw_usage_log_stats st;
    struct rlimit rl = { FSIZE_LIMIT, FSIZE_LIMIT };
    ulog_rec r;
    int i;

    signal(SIGXFSZ, SIG_IGN);
    if (setrlimit(RLIMIT_FSIZE, &rl) < 0)
        return 20;
    o.path = path;
    if (llmgw_usage_log_open(&log, &o) != 0)
        return 21;
    for (i = 0; i < 60; i++) {
        ulog_rec_make(&r, 0, 0, i);
        if (llmgw_usage_log_write(log, &r.u) != 0)
            return 22;
        if (i % 3 == 2 && llmgw_usage_log_flush(log, -1) != 0)    /* chunks of 1 to 3 lines */
            return 23;
    }
    if (llmgw_usage_log_flush(log, -1) != 0 || llmgw_usage_log_stats_get(&st, log) != 0)
        return 24;
    if (st.written == 0 || st.dropped_write_error == 0 || st.write_errors == 0 ||
        st.written + st.dropped_write_error != 60 || st.dropped != st.dropped_write_error)
        return 25;
    if (llmgw_usage_log_close(log) != 0)
        return 26;
    return 0;
}

static void count_lines(const char *text, size_t len, void *arg)
{
    cJSON *o = cJSON_ParseWithLength(text, len);

    assert_non_null(o);
    cJSON_Delete(o);
    (*(long *)arg)++;
}

static void test_failed_write_leaves_no_torn_line(void **state)
{
    char *dir = ulog_tmpdir(), path[256];
    struct stat sb;
    long lines = 0;
    pid_t pid;
    int status;

    (void)state;
    snprintf(path, sizeof(path), "%s/usage.jsonl", dir);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int rc = child_fills_disk(path);
        free(dir);          /* the child's copy: valgrind checks the child's leaks too */
        _exit(rc);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_int_equal(stat(path, &sb), 0);
    assert_true(sb.st_size <= FSIZE_LIMIT);
    assert_true(ulog_each_line(path, count_lines, &lines) > 0);     /* fails on a partial last line */
    assert_true(lines > 0 && lines < 60);
    ulog_rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stuck_writer_drops),
        cmocka_unit_test(test_enqueue_timeout_bounds_the_wait),
        cmocka_unit_test(test_failed_write_leaves_no_torn_line),
        cmocka_unit_test(test_close_gives_up),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
