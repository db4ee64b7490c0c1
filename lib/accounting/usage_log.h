/*
 * lib/accounting/usage_log.h: the usage-log sink (include/llmgw/usage_log.h)
 * inside the library: the file side (lock, rotation, whole-line appends) in
 * usage_log_file.c, the queue and writer thread in usage_log.c, and the hook
 * the gateway opens from its config.
 */
#ifndef LLMGW_ACCOUNTING_USAGE_LOG_H
#define LLMGW_ACCOUNTING_USAGE_LOG_H

#include <sys/types.h>

#include "../core/common.h"
#include "../config/settings.h"

#define LLMGW__ULOG_DEFAULT_MAX_BYTES   ((int64_t)64 << 20)
#define LLMGW__ULOG_DEFAULT_KEEP        5u
#define LLMGW__ULOG_MAX_KEEP            1000u
#define LLMGW__ULOG_DEFAULT_CAPACITY    4096u
#define LLMGW__ULOG_DEFAULT_QUEUE_BYTES ((size_t)8 << 20)
#define LLMGW__ULOG_DEFAULT_LINE_BYTES  ((size_t)64 << 10)
#define LLMGW__ULOG_MIN_LINE_BYTES      ((size_t)1024)
#define LLMGW__ULOG_MAX_LINE_BYTES      ((size_t)16 << 20)
#define LLMGW__ULOG_DEFAULT_CLOSE_MS    10000
/* The writer hands the file at most this much per write(2) (whole lines). */
#define LLMGW__ULOG_CHUNK_BYTES         ((size_t)256 << 10)

/* The file a log appends to. Used by the writer thread only, after open. */
typedef struct llmgw__ulog_file {
    char        *path;
    char        *lock_path;      /* PATH.lock */
    char        *scratch;        /* room for PATH.NNNN */
    int          fd;             /* the log, O_APPEND */
    int          lock_fd;        /* flock()ed around each append; -1: none (a FIFO or device) */
    bool         regular;        /* a regular file: rotated, and cut back after a failed write */
    int64_t      max_bytes;      /* < 0: never rotate */
    unsigned int keep;
    mode_t       mode;
    llmgw_log_cb log_cb;
    void        *log_userdata;
    uint64_t     rotations;
    uint64_t     write_errors;
} llmgw__ulog_file;

/*
 * Open o->path for appending (creating it, and with create_dirs its
 * directories) and the lock file beside it. Sets the last error on failure.
 * The descriptor is blocking even when the path is a FIFO (opened without
 * waiting for a reader: ENXIO when none is there).
 */
int  llmgw__ulog_file_open(llmgw__ulog_file *f, const llmgw_usage_log_options *o);
/*
 * Append len bytes of whole lines in one write(2) under the lock: first
 * reopen if another process rotated the file, rotate if this would grow it
 * past max_bytes. A short write is finished under the lock; a failed one is
 * cut back off (regular files), so no torn line stays behind. 0, or -1 when
 * nothing was kept (the caller counts the lines as dropped). Never sets the
 * thread's last error: it runs on the writer thread, messages go to log_cb.
 */
int  llmgw__ulog_file_append(llmgw__ulog_file *f, const char *data, size_t len);
/* Close the descriptors and free the strings. Safe on a zeroed or half-opened struct. */
void llmgw__ulog_file_close(llmgw__ulog_file *f);

/*
 * The log a gateway opens for itself: the path from $LLMGW_USAGE_LOG (then
 * $LLMGW_LOG, docs/conventions.md §2), else settings->usage_log_path (config
 * llmgw_settings.log.path); "off" (or "") in the environment turns it off
 * even when the config sets a path. Rotation and queue defaults; parent
 * directories are created. *out is NULL (and 0 returned) when no log is
 * configured; on failure *out is NULL and the last error says why.
 * settings may be NULL (a gateway made in code: the environment only).
 */
int  llmgw__usage_log_from_settings(llmgw_usage_log **out, const llmgw__settings *settings,
                                    llmgw_log_cb log_cb, void *log_userdata);

#endif
