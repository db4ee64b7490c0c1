/*
 * lib/accounting/usage_log_file.c: the file side of the usage log.
 *
 * Every llmgw writer of PATH (threads of one process share one writer
 * thread per log; other processes have their own) appends under an
 * exclusive flock() on PATH.lock, taken per chunk of whole lines:
 *
 *   1. if PATH is no longer the file our descriptor points at (another
 *      process rotated it), reopen PATH;
 *   2. if the chunk would grow the file past max_bytes, rotate:
 *      PATH.(keep-1) -> PATH.keep, ..., PATH -> PATH.1, and reopen;
 *   3. write the chunk with one write(2) on an O_APPEND descriptor; a short
 *      write is finished (nobody else writes while we hold the lock), a
 *      failed one is cut back to the size before it with ftruncate(2).
 *
 * So lines are never interleaved or torn, and no line lands in a file
 * after it was rotated. The sidecar lock is flock(), which belongs to the
 * open file description: two logs on one path in one process exclude each
 * other too. A FIFO or a device is appended to without rotation; its lock
 * file is used when it can be created.
 *
 * Also here: which file a gateway logs to (config and environment).
 */
#include "../core/common.h"
#include "../core/errors.h"
#include "usage_log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <strings.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

static void say(const llmgw__ulog_file *f, int level, const char *fmt, ...) LLMGW_PRINTF(3, 4);

static void say(const llmgw__ulog_file *f, int level, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    if (f->log_cb == NULL)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    f->log_cb(level, msg, f->log_userdata);
}

static const char *why(int err, char *buf, size_t n)
{
    return strerror_r(err, buf, n);
}

static int open_log(const char *path, mode_t mode)
{
    int fd;

    do
        fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NONBLOCK | O_NOCTTY, mode);
    while (fd < 0 && errno == EINTR);
    if (fd < 0)
        return -1;
    /* O_NONBLOCK only so that opening a FIFO without a reader fails (ENXIO) instead of hanging */
    {
        int fl = fcntl(fd, F_GETFL);
        if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
            int e = errno;
            close(fd);
            errno = e;
            return -1;
        }
    }
    return fd;
}

/* mkdir -p of path's directory (mode 0700). */
static int make_parents(char *path)
{
    char *p;

    for (p = path + 1; *p != '\0'; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0700) < 0 && errno != EEXIST) {
            int e = errno;
            *p = '/';
            errno = e;
            return -1;
        }
        *p = '/';
    }
    return 0;
}

static int open_error(const char *what, const char *path, int err)
{
    char b[128];

    return llmgw__error_setc(err == ENOENT || err == ENOTDIR ? LLMGW_ENOTFOUND
                             : err == ENOMEM ? LLMGW_ENOMEM : LLMGW_ERROR,
                             LLMGW_ERRCLASS_CONFIG, "usage log: cannot open %s %s: %s", what, path,
                             why(err, b, sizeof(b)));
}

int llmgw__ulog_file_open(llmgw__ulog_file *f, const llmgw_usage_log_options *o)
{
    struct stat st;
    size_t n = strlen(o->path);

    memset(f, 0, sizeof(*f));
    f->fd = f->lock_fd = -1;
    f->max_bytes = o->max_bytes == 0 ? LLMGW__ULOG_DEFAULT_MAX_BYTES : o->max_bytes;
    f->keep = o->keep == 0 ? LLMGW__ULOG_DEFAULT_KEEP : o->keep;
    f->mode = (mode_t)(o->file_mode == 0 ? 0600 : o->file_mode);
    f->log_cb = o->log_cb;
    f->log_userdata = o->log_userdata;
    f->path = llmgw__strdup(o->path);
    f->lock_path = llmgw__malloc(n + sizeof(".lock"));
    f->scratch = llmgw__malloc(n + 16);
    if (f->path == NULL || f->lock_path == NULL || f->scratch == NULL)
        return llmgw__error_oom();
    memcpy(f->lock_path, o->path, n);
    memcpy(f->lock_path + n, ".lock", sizeof(".lock"));
    if (o->create_dirs && make_parents(f->path) < 0)
        return open_error("the directory of", f->path, errno);
    if ((f->fd = open_log(f->path, f->mode)) < 0)
        return open_error("", f->path, errno);
    if (fstat(f->fd, &st) < 0)
        return open_error("", f->path, errno);
    if (S_ISDIR(st.st_mode))
        return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG, "usage log: %s is a directory", f->path);
    f->regular = S_ISREG(st.st_mode);
    do
        f->lock_fd = open(f->lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY, f->mode);
    while (f->lock_fd < 0 && errno == EINTR);
    if (f->lock_fd < 0 && f->regular)
        return open_error("the lock file", f->lock_path, errno);
    return 0;
}

void llmgw__ulog_file_close(llmgw__ulog_file *f)
{
    if (f->fd >= 0)
        close(f->fd);
    if (f->lock_fd >= 0)
        close(f->lock_fd);
    f->fd = f->lock_fd = -1;
    llmgw__free(f->path);
    llmgw__free(f->lock_path);
    llmgw__free(f->scratch);
    f->path = f->lock_path = f->scratch = NULL;
}

static void lock(llmgw__ulog_file *f)
{
    if (f->lock_fd < 0)
        return;
    while (flock(f->lock_fd, LOCK_EX) < 0 && errno == EINTR)
        ;
}

static void unlock(llmgw__ulog_file *f)
{
    if (f->lock_fd >= 0)
        flock(f->lock_fd, LOCK_UN);
}

static const char *numbered(llmgw__ulog_file *f, unsigned int i)
{
    snprintf(f->scratch, strlen(f->path) + 16, "%s.%u", f->path, i);
    return f->scratch;
}

/* Replace the descriptor with a fresh open of PATH. */
static int reopen(llmgw__ulog_file *f)
{
    char b[128];
    int fd = open_log(f->path, f->mode);

    if (fd < 0) {
        f->write_errors++;
        say(f, LLMGW_LOG_ERROR, "usage log: cannot reopen %s: %s", f->path, why(errno, b, sizeof(b)));
        return -1;
    }
    close(f->fd);
    f->fd = fd;
    return 0;
}

/* PATH.(keep-1) -> PATH.keep, ..., PATH -> PATH.1, then a new PATH. Under the lock. */
static void rotate(llmgw__ulog_file *f)
{
    size_t n = strlen(f->path) + 16;
    char *from = llmgw__malloc(n), b[128];
    unsigned int i;

    if (from == NULL) {
        f->write_errors++;
        return;
    }
    for (i = f->keep; i > 1; i--) {
        snprintf(from, n, "%s.%u", f->path, i - 1);
        if (rename(from, numbered(f, i)) < 0 && errno != ENOENT)
            say(f, LLMGW_LOG_WARN, "usage log: cannot rename %s: %s", from, why(errno, b, sizeof(b)));
    }
    llmgw__free(from);
    if (rename(f->path, numbered(f, 1)) < 0) {
        f->write_errors++;
        say(f, LLMGW_LOG_ERROR, "usage log: cannot rotate %s: %s", f->path, why(errno, b, sizeof(b)));
        return;
    }
    f->rotations++;
    say(f, LLMGW_LOG_INFO, "usage log: rotated %s", f->path);
    reopen(f);
}

/* Under the lock: make fd the current PATH, rotated if len more bytes would not fit. Returns its size. */
static off_t prepare(llmgw__ulog_file *f, size_t len)
{
    struct stat mine, named;

    if (fstat(f->fd, &mine) < 0)
        return -1;
    if (stat(f->path, &named) < 0 || named.st_ino != mine.st_ino || named.st_dev != mine.st_dev) {
        if (reopen(f) < 0 || fstat(f->fd, &mine) < 0)
            return -1;
    }
    if (f->max_bytes >= 0 && mine.st_size > 0 && (uint64_t)mine.st_size + len > (uint64_t)f->max_bytes) {
        rotate(f);
        if (fstat(f->fd, &mine) < 0)
            return -1;
    }
    return mine.st_size;
}

int llmgw__ulog_file_append(llmgw__ulog_file *f, const char *data, size_t len)
{
    off_t start = 0;
    size_t done = 0;
    int rc = 0;
    char b[128];

    lock(f);
    if (f->regular && (start = prepare(f, len)) < 0) {
        f->write_errors++;
        say(f, LLMGW_LOG_ERROR, "usage log: %s: %s", f->path, why(errno, b, sizeof(b)));
        unlock(f);
        return -1;
    }
    while (done < len) {
        ssize_t w = write(f->fd, data + done, len - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            int e = w < 0 ? errno : EIO;
            f->write_errors++;
            say(f, LLMGW_LOG_ERROR, "usage log: write to %s failed: %s", f->path, why(e, b, sizeof(b)));
            if (done > 0 && f->regular && ftruncate(f->fd, start) < 0)
                say(f, LLMGW_LOG_ERROR, "usage log: %s: a partial line is left at byte %lld", f->path,
                    (long long)start);
            rc = -1;
            break;
        }
        done += (size_t)w;
    }
    unlock(f);
    return rc;
}

/* ---- the gateway's own log ---- */

int llmgw__usage_log_from_settings(llmgw_usage_log **out, const llmgw__settings *settings,
                                   llmgw_log_cb log_cb, void *log_userdata)
{
    llmgw_usage_log_options o = LLMGW_USAGE_LOG_OPTIONS_INIT;
    const char *env = getenv("LLMGW_USAGE_LOG");

    LLMGW_CHECK_ARG(out);
    *out = NULL;
    if (env == NULL)
        env = getenv("LLMGW_LOG");
    if (env != NULL && (env[0] == '\0' || strcasecmp(env, "off") == 0))
        return 0;
    o.path = env != NULL ? env : settings != NULL ? settings->usage_log_path : NULL;
    if (o.path == NULL || o.path[0] == '\0')
        return 0;
    o.create_dirs = 1;
    o.log_cb = log_cb;
    o.log_userdata = log_userdata;
    return llmgw_usage_log_open(out, &o);
}
