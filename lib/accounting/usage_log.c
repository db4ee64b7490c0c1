/*
 * lib/accounting/usage_log.c: the usage-log sink's queue and writer thread
 * (include/llmgw/usage_log.h; the file side is usage_log_file.c).
 *
 * A request renders its record to one JSON line on its own thread, then
 * holds the queue mutex only to push a pointer; the mutex is never held
 * across I/O, so a slow disk stalls the writer thread alone. A full queue
 * waits at most enqueue_timeout_ms, then drops and counts the record.
 *
 * Lifetime: the handle and the writer thread each hold a reference. close
 * asks the writer to drain and joins it; when the drain outlasts
 * close_timeout_ms (the writer stuck in the file system), the queue is
 * dropped, the thread detached, and whichever side lets go last frees.
 */
#include "../core/common.h"
#include "../core/buf.h"
#include "../core/errors.h"
#include "../core/json.h"
#include "record.h"
#include "usage_log.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

typedef struct line {
    char  *text;               /* ends with '\n' */
    size_t len;
} line;

struct llmgw_usage_log {
    pthread_mutex_t  mu;
    pthread_cond_t   has_work;     /* writer: lines queued, or closing */
    pthread_cond_t   has_room;     /* producers: a slot freed */
    pthread_cond_t   progress;     /* flush and close: lines done */
    line            *ring;
    size_t           cap, head, count, bytes;
    size_t           max_queue_bytes, max_line;
    int64_t          enqueue_timeout_ms, close_timeout_ms;
    bool             closing;
    int              refs;         /* the handle and the writer */
    uint64_t         done;         /* queued lines written or dropped by the writer */
    llmgw_usage_log_stats st;
    llmgw__ulog_file file;
    pthread_t        thread;
    char            *chunk;        /* the writer's staging buffer */
};

int llmgw_usage_log_options_init(llmgw_usage_log_options *opts, unsigned int version)
{
    LLMGW_CHECK_ARG(opts);
    if (version == 0 || version > LLMGW_USAGE_LOG_OPTIONS_VERSION)
        return llmgw__error_setc(LLMGW_EVERSION, LLMGW_ERRCLASS_CONFIG, "unsupported options version %u", version);
    memset(opts, 0, sizeof(*opts));
    opts->version = version;
    return 0;
}

/* ---- time ---- */

static void deadline_after(struct timespec *ts, int64_t ms)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += (time_t)(ms / 1000);
    ts->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

/* One wait on c, until dl (NULL: none). false once the deadline has passed. */
static bool wait_on(pthread_cond_t *c, pthread_mutex_t *mu, const struct timespec *dl)
{
    if (dl == NULL) {
        pthread_cond_wait(c, mu);
        return true;
    }
    return pthread_cond_timedwait(c, mu, dl) != ETIMEDOUT;
}

/* ---- freeing ---- */

static void drop_queue(llmgw_usage_log *log)
{
    while (log->count > 0) {
        line *l = &log->ring[log->head];
        llmgw__free(l->text);
        log->head = (log->head + 1) % log->cap;
        log->count--;
        log->st.dropped++;
    }
    log->bytes = 0;
}

static void destroy(llmgw_usage_log *log)
{
    int fd = log->file.fd;

    drop_queue(log);
    log->file.fd = -1;
    llmgw__ulog_file_close(&log->file);
    pthread_cond_destroy(&log->has_work);
    pthread_cond_destroy(&log->has_room);
    pthread_cond_destroy(&log->progress);
    pthread_mutex_destroy(&log->mu);
    llmgw__free(log->ring);
    llmgw__free(log->chunk);
    llmgw__free(log);
    /* last: a reader of a FIFO that sees EOF knows the log is gone */
    if (fd >= 0)
        close(fd);
}

/* Drop a reference; the last one frees. Called without the mutex. */
static void unref(llmgw_usage_log *log)
{
    bool last;

    pthread_mutex_lock(&log->mu);
    last = --log->refs == 0;
    pthread_mutex_unlock(&log->mu);
    if (last)
        destroy(log);
}

/* ---- the writer thread ---- */

/* Under the mutex: move whole lines into the chunk, up to limit bytes (at least one line). */
static size_t take(llmgw_usage_log *log, size_t limit, size_t *nlines, line *big)
{
    size_t used = 0;

    *nlines = 0;
    big->text = NULL;
    while (log->count > 0) {
        line *l = &log->ring[log->head];
        if (used + l->len > limit) {
            if (used == 0) {        /* a line bigger than a chunk goes alone, from its own memory */
                *big = *l;
                *nlines = 1;
                log->head = (log->head + 1) % log->cap;
                log->count--;
                log->bytes -= l->len;
            }
            break;
        }
        memcpy(log->chunk + used, l->text, l->len);
        used += l->len;
        llmgw__free(l->text);
        log->head = (log->head + 1) % log->cap;
        log->count--;
        log->bytes -= l->len;
        (*nlines)++;
    }
    return big->text ? big->len : used;
}

static void *writer_main(void *arg)
{
    llmgw_usage_log *log = arg;
    size_t limit = LLMGW__ULOG_CHUNK_BYTES;

    if (log->file.max_bytes > 0 && (uint64_t)log->file.max_bytes < limit)
        limit = (size_t)log->file.max_bytes;
    pthread_mutex_lock(&log->mu);
    for (;;) {
        size_t n, len;
        line big;
        int rc;

        while (log->count == 0 && !log->closing)
            wait_on(&log->has_work, &log->mu, NULL);
        if (log->count == 0)
            break;                  /* closing, and drained */
        len = take(log, limit, &n, &big);
        pthread_cond_broadcast(&log->has_room);
        pthread_mutex_unlock(&log->mu);

        rc = llmgw__ulog_file_append(&log->file, big.text ? big.text : log->chunk, len);
        llmgw__free(big.text);

        pthread_mutex_lock(&log->mu);
        if (rc == 0) {
            log->st.written += n;
            log->st.bytes_written += len;
        } else {
            log->st.dropped += n;
            log->st.dropped_write_error += n;
        }
        log->st.rotations = log->file.rotations;
        log->st.write_errors = log->file.write_errors;
        log->done += n;
        pthread_cond_broadcast(&log->progress);
    }
    pthread_cond_broadcast(&log->progress);
    pthread_mutex_unlock(&log->mu);
    unref(log);
    return NULL;
}

/* ---- open ---- */

static int check_options(const llmgw_usage_log_options *o)
{
    if (o->version == 0 || o->version > LLMGW_USAGE_LOG_OPTIONS_VERSION)
        return llmgw__error_setc(LLMGW_EVERSION, LLMGW_ERRCLASS_CONFIG,
                                 "usage log options version %u not supported", o->version);
    if (o->path == NULL || o->path[0] == '\0')
        return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG, "usage log: no path");
    if (o->keep > LLMGW__ULOG_MAX_KEEP)
        return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG, "usage log: keep is at most %u",
                                 LLMGW__ULOG_MAX_KEEP);
    if (o->queue_capacity > ((size_t)1 << 20))
        return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG, "usage log: queue_capacity is at most 1048576");
    if (o->max_line_bytes != 0 &&
        (o->max_line_bytes < LLMGW__ULOG_MIN_LINE_BYTES || o->max_line_bytes > LLMGW__ULOG_MAX_LINE_BYTES))
        return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG,
                                 "usage log: max_line_bytes must be in [1024, 16 MiB]");
    if (o->enqueue_timeout_ms < 0 || o->enqueue_timeout_ms > 3600000)
        return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG,
                                 "usage log: enqueue_timeout_ms must be in [0, 3600000]");
    if (o->file_mode > 0777)
        return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG, "usage log: file_mode above 0777");
    return 0;
}

static int init_sync(llmgw_usage_log *log)
{
    pthread_condattr_t ca;
    int rc = 0;

    if (pthread_condattr_init(&ca) != 0)
        return -1;
    if (pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0 || pthread_mutex_init(&log->mu, NULL) != 0) {
        pthread_condattr_destroy(&ca);
        return -1;
    }
    if (pthread_cond_init(&log->has_work, &ca) != 0)
        rc = -1;
    else if (pthread_cond_init(&log->has_room, &ca) != 0) {
        pthread_cond_destroy(&log->has_work);
        rc = -1;
    } else if (pthread_cond_init(&log->progress, &ca) != 0) {
        pthread_cond_destroy(&log->has_work);
        pthread_cond_destroy(&log->has_room);
        rc = -1;
    }
    if (rc < 0)
        pthread_mutex_destroy(&log->mu);
    pthread_condattr_destroy(&ca);
    return rc;
}

int llmgw_usage_log_open(llmgw_usage_log **out, const llmgw_usage_log_options *opts)
{
    llmgw_usage_log *log;
    sigset_t all, old;
    int rc;

    LLMGW_CHECK_ARG(out);
    *out = NULL;
    LLMGW_CHECK_ARG(opts);
    LLMGW_TRY(check_options(opts));
    log = llmgw__calloc(1, sizeof(*log));
    if (log == NULL)
        return llmgw__error_oom();
    log->file.fd = log->file.lock_fd = -1;
    log->cap = opts->queue_capacity ? opts->queue_capacity : LLMGW__ULOG_DEFAULT_CAPACITY;
    log->max_queue_bytes = opts->queue_max_bytes ? opts->queue_max_bytes : LLMGW__ULOG_DEFAULT_QUEUE_BYTES;
    log->max_line = opts->max_line_bytes ? opts->max_line_bytes : LLMGW__ULOG_DEFAULT_LINE_BYTES;
    log->enqueue_timeout_ms = opts->enqueue_timeout_ms;
    log->close_timeout_ms = opts->close_timeout_ms ? opts->close_timeout_ms : LLMGW__ULOG_DEFAULT_CLOSE_MS;
    log->st.version = LLMGW_USAGE_LOG_STATS_VERSION;
    log->ring = llmgw__reallocarray(NULL, log->cap, sizeof(*log->ring));
    log->chunk = llmgw__malloc(LLMGW__ULOG_CHUNK_BYTES);
    if (log->ring == NULL || log->chunk == NULL) {
        llmgw__free(log->ring);
        llmgw__free(log->chunk);
        llmgw__free(log);
        return llmgw__error_oom();
    }
    if ((rc = llmgw__ulog_file_open(&log->file, opts)) < 0) {
        llmgw__ulog_file_close(&log->file);
        llmgw__free(log->ring);
        llmgw__free(log->chunk);
        llmgw__free(log);
        return rc;
    }
    if (init_sync(log) < 0) {
        llmgw__ulog_file_close(&log->file);
        llmgw__free(log->ring);
        llmgw__free(log->chunk);
        llmgw__free(log);
        return llmgw__error_oom();
    }
    log->refs = 2;
    /* the writer runs with every signal blocked: the host's handlers stay on its own threads */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    rc = pthread_create(&log->thread, NULL, writer_main, log);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        log->refs = 1;
        unref(log);
        return llmgw__error_setc(LLMGW_ERROR, LLMGW_ERRCLASS_NONE, "usage log: cannot start the writer thread");
    }
    *out = log;
    return 0;
}

/* ---- producers ---- */

/* The record as one line with its '\n', at most max_line bytes; 1 when too long, < 0 on ENOMEM. */
static int render(llmgw_buf *b, const llmgw_usage *u, size_t max_line, bool *truncated)
{
    cJSON *o = NULL;
    int rc;

    *truncated = false;
    LLMGW_TRY(llmgw__usage_json(&o, u));
    rc = llmgw__json_print(b, o);
    if (rc == 0 && b->size + 1 > max_line) {
        /* keep the money and the counts; lose the attempt trail, tags and metadata */
        llmgw__buf_clear(b);
        *truncated = true;
        if ((rc = llmgw__json_set_item(o, "trail", cJSON_CreateArray())) == 0 &&
            (rc = llmgw__json_set_item(o, "tags", cJSON_CreateArray())) == 0 &&
            (rc = llmgw__json_set_item(o, "metadata", cJSON_CreateNull())) == 0 &&
            (rc = llmgw__json_set_item(o, "truncated", cJSON_CreateTrue())) == 0)
            rc = llmgw__json_print(b, o);
        if (rc == 0 && b->size + 1 > max_line)
            rc = 1;
    }
    cJSON_Delete(o);
    if (rc == 0)
        rc = llmgw__buf_putc(b, '\n');
    return rc;
}

enum { Q_OK = 0, Q_FULL, Q_TOO_LONG, Q_CLOSED, Q_NOMEM };

static int enqueue(llmgw_usage_log *log, const llmgw_usage *u)
{
    llmgw_buf b = LLMGW_BUF_INIT;
    struct timespec dl;
    bool truncated, room;
    int rc = render(&b, u, log->max_line, &truncated);
    size_t len = b.size;

    if (rc != 0) {
        llmgw_buf_dispose(&b);
        pthread_mutex_lock(&log->mu);
        log->st.dropped++;
        if (rc > 0)
            log->st.dropped_too_long++;
        pthread_mutex_unlock(&log->mu);
        return rc > 0 ? Q_TOO_LONG : Q_NOMEM;
    }
    pthread_mutex_lock(&log->mu);
#define ROOM (log->closing || (log->count < log->cap && log->bytes + len <= log->max_queue_bytes))
    if (!ROOM && log->enqueue_timeout_ms > 0) {
        deadline_after(&dl, log->enqueue_timeout_ms);
        while (!ROOM && wait_on(&log->has_room, &log->mu, &dl))
            ;
    }
    room = ROOM && !log->closing;
#undef ROOM
    if (!room) {
        bool closed = log->closing;
        log->st.dropped++;
        if (!closed)
            log->st.dropped_queue_full++;
        pthread_mutex_unlock(&log->mu);
        llmgw_buf_dispose(&b);
        return closed ? Q_CLOSED : Q_FULL;
    }
    log->ring[(log->head + log->count) % log->cap] = (line){ llmgw__buf_detach(&b), len };
    log->count++;
    log->bytes += len;
    log->st.queued++;
    log->st.truncated += truncated ? 1 : 0;
    pthread_cond_signal(&log->has_work);
    pthread_mutex_unlock(&log->mu);
    return Q_OK;
}

int llmgw_usage_log_write(llmgw_usage_log *log, const llmgw_usage *usage)
{
    LLMGW_CHECK_ARG(log);
    LLMGW_CHECK_ARG(usage);
    switch (enqueue(log, usage)) {
    case Q_OK:
        return 0;
    case Q_NOMEM:
        return llmgw__error_oom();
    case Q_TOO_LONG:
        return llmgw__error_setc(LLMGW_EUNAVAILABLE, LLMGW_ERRCLASS_NONE,
                                 "usage log: record longer than max_line_bytes; dropped");
    case Q_CLOSED:
        return llmgw__error_setc(LLMGW_EUNAVAILABLE, LLMGW_ERRCLASS_NONE, "usage log: closing; record dropped");
    default:
        return llmgw__error_setc(LLMGW_EUNAVAILABLE, LLMGW_ERRCLASS_NONE, "usage log: queue full; record dropped");
    }
}

void llmgw_usage_log_callback(const llmgw_usage *usage, void *userdata)
{
    if (usage != NULL && userdata != NULL)
        (void)enqueue(userdata, usage);
}

/* ---- stats, flush, close ---- */

int llmgw_usage_log_stats_get(llmgw_usage_log_stats *out, llmgw_usage_log *log)
{
    LLMGW_CHECK_ARG(out);
    LLMGW_CHECK_ARG(log);
    pthread_mutex_lock(&log->mu);
    *out = log->st;
    out->pending = log->count;
    pthread_mutex_unlock(&log->mu);
    return 0;
}

/* Under the mutex: wait until the writer has done every line queued so far. */
static bool wait_done(llmgw_usage_log *log, int64_t timeout_ms)
{
    uint64_t target = log->st.queued;
    struct timespec dl;

    if (timeout_ms >= 0)
        deadline_after(&dl, timeout_ms);
    while (log->done < target && wait_on(&log->progress, &log->mu, timeout_ms < 0 ? NULL : &dl))
        ;
    return log->done >= target;
}

int llmgw_usage_log_flush(llmgw_usage_log *log, int64_t timeout_ms)
{
    bool ok;

    LLMGW_CHECK_ARG(log);
    pthread_mutex_lock(&log->mu);
    ok = wait_done(log, timeout_ms);
    pthread_mutex_unlock(&log->mu);
    if (!ok)
        return llmgw__error_setc(LLMGW_ETIMEOUT, LLMGW_ERRCLASS_TIMEOUT, "usage log: flush timed out");
    return 0;
}

int llmgw_usage_log_close(llmgw_usage_log *log)
{
    uint64_t lost = 0;
    bool ok;

    if (log == NULL)
        return 0;
    pthread_mutex_lock(&log->mu);
    log->closing = true;
    pthread_cond_broadcast(&log->has_work);
    pthread_cond_broadcast(&log->has_room);
    ok = wait_done(log, log->close_timeout_ms);
    if (!ok) {
        lost = log->count;
        drop_queue(log);
    }
    pthread_mutex_unlock(&log->mu);
    if (ok) {
        pthread_join(log->thread, NULL);
        destroy(log);
        return 0;
    }
    if (log->file.log_cb != NULL) {
        char msg[160];
        snprintf(msg, sizeof(msg), "usage log: close timed out; %llu records dropped",
                 (unsigned long long)lost);
        log->file.log_cb(LLMGW_LOG_ERROR, msg, log->file.log_userdata);
    }
    pthread_detach(log->thread);
    unref(log);
    return llmgw__error_setc(LLMGW_ETIMEOUT, LLMGW_ERRCLASS_TIMEOUT,
                             "usage log: close timed out with the writer blocked; records dropped");
}
