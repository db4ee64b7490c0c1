/*
 * errors.h: status codes, error classes and the per-thread last error.
 *
 * Every fallible function returns 0 (LLMGW_OK) or a negative llmgw_status.
 * The detail (message, HTTP status, provider, class, retry-after) is in
 * llmgw_error_last(), per thread, valid until the next llmgw call on that
 * thread. Messages are redacted: they never hold a key or a token.
 */
#ifndef LLMGW_ERRORS_H
#define LLMGW_ERRORS_H

#include "common.h"
#include "buf.h"

LLMGW_BEGIN_DECLS

/** Status codes. Append only; never renumbered, never removed. */
typedef enum llmgw_status {
    LLMGW_OK           = 0,
    LLMGW_ERROR        = -1,  /**< generic failure; see llmgw_error_last() */
    LLMGW_ENOMEM       = -2,  /**< out of memory */
    LLMGW_EINVAL       = -3,  /**< invalid argument, request or configuration */
    LLMGW_EVERSION     = -4,  /**< options or vtable version not supported */
    LLMGW_ENOTFOUND    = -5,  /**< unknown model, group, provider; upstream 404 */
    LLMGW_EAUTH        = -6,  /**< upstream rejected the credential (401, 403) */
    LLMGW_ERATELIMIT   = -7,  /**< rate limited or quota exhausted; retry_after_ms set when known */
    LLMGW_ETIMEOUT     = -8,  /**< the deadline or an attempt timeout passed */
    LLMGW_EUNAVAILABLE = -9,  /**< network, server errors, cut streams; nothing healthy */
    LLMGW_EPROVIDER    = -10, /**< upstream rejected the request: 400, 413, 422, context, policy */
    LLMGW_EBUDGET      = -11, /**< the caller's budget would be exceeded */
    LLMGW_ECANCELLED   = -12, /**< cancelled by the caller */
    LLMGW_EUNSUPPORTED = -13, /**< feature not built in, or not expressible for a provider */
    LLMGW_EUSER        = -14  /**< a user callback asked to stop; never raised by llmgw itself */
} llmgw_status;

/**
 * Error classes: why a request failed, the same strings in C, the CLI,
 * the bindings and usage records (llmgw_error_class_str()).
 * Append only; never renumbered.
 */
typedef enum llmgw_error_class {
    LLMGW_ERRCLASS_NONE = 0,                /**< ""                         */
    LLMGW_ERRCLASS_BAD_REQUEST,             /**< "bad_request"              */
    LLMGW_ERRCLASS_AUTH,                    /**< "auth"                     */
    LLMGW_ERRCLASS_NOT_FOUND,               /**< "not_found"                */
    LLMGW_ERRCLASS_RATE_LIMIT,              /**< "rate_limit"               */
    LLMGW_ERRCLASS_QUOTA_EXCEEDED,          /**< "quota_exceeded"           */
    LLMGW_ERRCLASS_CONTEXT_LENGTH_EXCEEDED, /**< "context_length_exceeded"  */
    LLMGW_ERRCLASS_CONTENT_POLICY,          /**< "content_policy"           */
    LLMGW_ERRCLASS_TIMEOUT,                 /**< "timeout"                  */
    LLMGW_ERRCLASS_SERVER_ERROR,            /**< "server_error" (5xx, overloaded) */
    LLMGW_ERRCLASS_NETWORK,                 /**< "network"                  */
    LLMGW_ERRCLASS_STREAM_CUT,              /**< "stream_cut": failed after the first delivered event */
    LLMGW_ERRCLASS_BUDGET_EXCEEDED,         /**< "budget_exceeded"          */
    LLMGW_ERRCLASS_CONFIG,                  /**< "config"                   */
    LLMGW_ERRCLASS_UNSUPPORTED,             /**< "unsupported"              */
    LLMGW_ERRCLASS_CANCELLED,               /**< "cancelled"                */
    LLMGW_ERRCLASS__COUNT                   /**< not a class; may grow */
} llmgw_error_class;

/** The last error on this thread. Library-owned, read-only; may grow at the end. */
typedef struct llmgw_error {
    int         code;            /**< llmgw_status */
    int         error_class;     /**< llmgw_error_class */
    const char *message;         /**< never NULL, redacted */
    const char *provider;        /**< provider id, or NULL */
    int         http_status;     /**< 0 when no status was received */
    int64_t     retry_after_ms;  /**< -1 when unknown */
    const struct llmgw_attempt *attempts; /**< the attempt trail of the failed request, or NULL */
    size_t      attempt_count;
} llmgw_error;

/** The last error set on this thread; never NULL (code 0 and "" when none). */
LLMGW_API const llmgw_error *llmgw_error_last(void);
/** Clear this thread's last error. */
LLMGW_API void llmgw_error_clear(void);
/** A static name for a status code ("LLMGW_ERATELIMIT" style is not used: "rate limited"). */
LLMGW_API const char *llmgw_status_str(int code);
/** A static string for an error class ("rate_limit"); "" for NONE, NULL when out of range. */
LLMGW_API const char *llmgw_error_class_str(int error_class);
/** Parse a class name ("rate_limit") back; LLMGW_ERRCLASS_NONE when unknown. */
LLMGW_API int llmgw_error_class_from_str(const char *name);
/**
 * The i-th attempt of an error's trail, NULL past the end. Use it rather
 * than indexing `attempts`: struct llmgw_attempt may grow at the end.
 */
LLMGW_API const struct llmgw_attempt *llmgw_error_attempt(const llmgw_error *err, size_t i);
/**
 * An error as one JSON object: {"class", "code", "message", "status",
 * "provider", "retry_after_ms", "attempts": [...]} (the attempts as in the
 * usage record's trail). For the CLI's --json and the bindings.
 */
LLMGW_API int llmgw_error_to_json(llmgw_buf *out, const llmgw_error *err);
/** The status code an error class maps to (docs/resilience.md §b.2). */
LLMGW_API int llmgw_error_class_status(int error_class);

LLMGW_END_DECLS

#endif
