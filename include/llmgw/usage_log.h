/*
 * usage_log.h: a usage-log sink that appends each usage record (the JSON of
 * llmgw_usage_to_json(), one object per line) to a file, for
 * `llmgw cost report` and llmgw_cost_report() to read back (docs/cost.md).
 *
 * Safe from many threads and many processes: the file is opened O_APPEND,
 * each record is one whole line written under a lock shared by every llmgw
 * writer of that file (an flock() on PATH.lock), and a write cut short is
 * finished under the lock or cut back off, so lines are never interleaved
 * or torn. The file is rotated by size (PATH -> PATH.1 -> ... -> PATH.keep);
 * writers in other processes notice and reopen.
 *
 * The request path never waits on the disk: a record is rendered on the
 * calling thread, then queued for one writer thread per log. When the queue
 * is full the record waits at most enqueue_timeout_ms, then is dropped and
 * counted (llmgw_usage_log_stats()).
 */
#ifndef LLMGW_USAGE_LOG_H
#define LLMGW_USAGE_LOG_H

#include "common.h"
#include "hooks.h"

LLMGW_BEGIN_DECLS

/** An open usage log and its writer thread. Thread-safe. */
typedef struct llmgw_usage_log llmgw_usage_log;

typedef struct llmgw_usage_log_options {
    unsigned int version;             /**< LLMGW_USAGE_LOG_OPTIONS_VERSION, first, always */
    const char  *path;                /**< the log file (copied); required */
    int64_t      max_bytes;           /**< rotate before the file would grow past this (64 MiB); < 0: never */
    unsigned int keep;                /**< rotated files kept, PATH.1 .. PATH.keep (5, at most 1000) */
    size_t       queue_capacity;      /**< records waiting for the writer (4096) */
    size_t       queue_max_bytes;     /**< bytes waiting for the writer (8 MiB) */
    size_t       max_line_bytes;      /**< a longer record loses its trail and tags, then is dropped (64 KiB) */
    int64_t      enqueue_timeout_ms;  /**< how long a request may wait for queue room (0: never waits) */
    int64_t      close_timeout_ms;    /**< how long close waits for the queue to drain (10000); < 0: no limit */
    unsigned int file_mode;           /**< permissions of a new file (0600) */
    int          create_dirs;         /**< non-zero: create missing parent directories (0700) */
    llmgw_log_cb log_cb;              /**< write errors and rotations (NULL: silent) */
    void        *log_userdata;
    /* LLMGW_USAGE_LOG_OPTIONS_VERSION 2 fields go below this line */
} llmgw_usage_log_options;

#define LLMGW_USAGE_LOG_OPTIONS_VERSION 1
#ifdef __cplusplus
#  define LLMGW_USAGE_LOG_OPTIONS_INIT { LLMGW_USAGE_LOG_OPTIONS_VERSION }
#else
#  define LLMGW_USAGE_LOG_OPTIONS_INIT { .version = LLMGW_USAGE_LOG_OPTIONS_VERSION }
#endif

/** Fill opts with defaults; the twin of LLMGW_USAGE_LOG_OPTIONS_INIT for FFI. */
LLMGW_API int llmgw_usage_log_options_init(llmgw_usage_log_options *opts, unsigned int version);

/**
 * Open (creating when missing) the log file and start its writer thread.
 * Errors opening the file are reported here: LLMGW_ENOTFOUND (no such
 * directory), LLMGW_ERROR (permissions, I/O), LLMGW_EINVAL. On failure
 * *out is NULL.
 */
LLMGW_API int llmgw_usage_log_open(llmgw_usage_log **out, const llmgw_usage_log_options *opts);

/**
 * Queue one record. 0 when queued; LLMGW_EUNAVAILABLE when it was dropped
 * (queue full past enqueue_timeout_ms, record too long, log closing or its
 * file failing); LLMGW_ENOMEM. The record is copied (rendered) before return.
 */
LLMGW_API int llmgw_usage_log_write(llmgw_usage_log *log, const llmgw_usage *usage);

/**
 * The same as a usage hook: set opts.usage_cb = llmgw_usage_log_callback and
 * opts.usage_userdata = log. It never sets the thread's last error (except
 * when out of memory), so the caller's error from llmgw_complete() survives.
 * To keep a hook of your own, call llmgw_usage_log_write() from it.
 */
LLMGW_API void llmgw_usage_log_callback(const llmgw_usage *usage, void *userdata);

/** Counters since open. */
typedef struct llmgw_usage_log_stats {
    unsigned int version;             /**< LLMGW_USAGE_LOG_STATS_VERSION (set by the call) */
    uint64_t     queued;              /**< records accepted into the queue */
    uint64_t     written;             /**< records written to the file */
    uint64_t     dropped;             /**< records lost, every cause below included */
    uint64_t     dropped_queue_full;  /**< queue full (the disk is slower than the requests) */
    uint64_t     dropped_too_long;    /**< longer than max_line_bytes even without trail and tags */
    uint64_t     dropped_write_error; /**< the write failed (disk full, I/O error) */
    uint64_t     truncated;           /**< written without their trail and tags (too long) */
    uint64_t     rotations;           /**< rotations this log performed */
    uint64_t     write_errors;        /**< failed write or rotation calls */
    uint64_t     bytes_written;
    size_t       pending;             /**< records in the queue now */
} llmgw_usage_log_stats;

#define LLMGW_USAGE_LOG_STATS_VERSION 1

LLMGW_API int llmgw_usage_log_stats_get(llmgw_usage_log_stats *out, llmgw_usage_log *log);

/**
 * Wait until every record queued so far is written (or dropped), at most
 * timeout_ms (< 0: no limit). 0, or LLMGW_ETIMEOUT.
 */
LLMGW_API int llmgw_usage_log_flush(llmgw_usage_log *log, int64_t timeout_ms);

/**
 * Flush (at most close_timeout_ms), stop the writer and free the log. NULL
 * is a no-op. LLMGW_ETIMEOUT when records were still waiting: they are
 * dropped, and a writer stuck in the file system finishes in the background
 * and frees what is left. Records must no longer be written to log.
 */
LLMGW_API int llmgw_usage_log_close(llmgw_usage_log *log);

LLMGW_END_DECLS

#endif
