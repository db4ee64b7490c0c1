/*
 * lib/transport/http.h: HTTP requests and responses, and performing one
 * exchange with libcurl under llmgw's limits. Knows no provider.
 */
#ifndef LLMGW_TRANSPORT_HTTP_H
#define LLMGW_TRANSPORT_HTTP_H

#include <stdatomic.h>

#include "../core/common.h"
#include "../core/buf.h"

#define LLMGW__MAX_REQ_HEADERS 64

struct llmgw_http_request {
    char      method[8];
    llmgw_buf url;
    llmgw_buf headers[LLMGW__MAX_REQ_HEADERS];   /* "Name: value", zeroized on dispose */
    size_t    header_count;
    llmgw_buf body;
};

typedef struct llmgw__header {
    size_t name_off, name_len, value_off, value_len;
} llmgw__header;

struct llmgw_http_response {
    int            status;
    llmgw_buf      header_blob;   /* header names and values, NUL-separated */
    llmgw__header *headers;
    size_t         header_count, header_cap;
    llmgw_buf      body;          /* non-2xx bodies, and 2xx bodies when not streamed */
};

void llmgw__http_request_init(llmgw_http_request *r);
void llmgw__http_request_dispose(llmgw_http_request *r);
/* Adopt a malloc'd body of len bytes allocated with llmgw__malloc. */
void llmgw__http_request_adopt_body(llmgw_http_request *r, char *body, size_t len);
/* Header value of the request (for tests and signing), or NULL. */
const char *llmgw__http_request_header(const llmgw_http_request *r, const char *name);

void llmgw__http_response_init(llmgw_http_response *r);
void llmgw__http_response_reset(llmgw_http_response *r);
void llmgw__http_response_dispose(llmgw_http_response *r);
int  llmgw__http_response_add_header(llmgw_http_response *r, const char *name, size_t name_len,
                                     const char *value, size_t value_len);

/* URL checks: scheme https, or http to a loopback host; no userinfo; no control characters. */
int  llmgw__url_check(const char *url, bool *insecure_out);
bool llmgw__host_is_loopback(const char *host, size_t len);
/* Percent-encode s (RFC 3986 unreserved kept) onto out. */
int  llmgw__url_encode(llmgw_buf *out, const char *s, size_t len);

/* ---- performing an exchange ---- */

typedef struct llmgw__pool llmgw__pool;

typedef struct llmgw__pool_options {
    unsigned int max_idle;
    const char  *proxy;
    const char  *ca_path;
} llmgw__pool_options;

int  llmgw__pool_new(llmgw__pool **out, const llmgw__pool_options *opts);
void llmgw__pool_free(llmgw__pool *pool);
/* Idle handles in the pool (for tests). */
size_t llmgw__pool_idle(llmgw__pool *pool);

typedef struct llmgw__transfer_limits {
    int64_t connect_ms;      /* connect (TCP + TLS) */
    int64_t first_byte_ms;   /* until the first body byte; 0 = total */
    int64_t idle_ms;         /* between body bytes once the first came; 0 = none */
    int64_t total_ms;        /* the whole exchange (already clipped to the deadline) */
    size_t  max_body;        /* cap on body bytes received */
    size_t  max_error_body;  /* cap kept for non-2xx bodies */
    size_t  max_headers;
    size_t  max_header_bytes;
} llmgw__transfer_limits;

/* Body bytes of a 2xx response, delivered as they arrive (streaming). Non-zero stops. */
typedef int (*llmgw__body_cb)(void *userdata, const char *data, size_t len);

typedef enum llmgw__xfer_outcome {
    LLMGW__XFER_OK = 0,          /* complete exchange (any status) */
    LLMGW__XFER_CONNECT,         /* could not connect / resolve: nothing sent */
    LLMGW__XFER_TLS,             /* TLS handshake or verification failed */
    LLMGW__XFER_SEND,            /* failed while sending */
    LLMGW__XFER_RESET,           /* connection reset or empty reply before a status */
    LLMGW__XFER_RECV,            /* failed while receiving after the status */
    LLMGW__XFER_PARTIAL,         /* body shorter than announced */
    LLMGW__XFER_TIMEOUT_CONNECT,
    LLMGW__XFER_TIMEOUT_FIRST_BYTE,
    LLMGW__XFER_TIMEOUT_IDLE,
    LLMGW__XFER_TIMEOUT_TOTAL,
    LLMGW__XFER_TOO_LARGE,       /* body over its cap */
    LLMGW__XFER_HEADERS_TOO_LARGE,
    LLMGW__XFER_STOPPED,         /* the body callback stopped it */
    LLMGW__XFER_CANCELLED,
    LLMGW__XFER_NOMEM,
    LLMGW__XFER_INTERNAL,        /* libcurl misuse or setup failure */
    LLMGW__XFER_REDIRECT         /* 30x: never followed */
} llmgw__xfer_outcome;

typedef struct llmgw__transfer {
    /* in */
    const llmgw_http_request     *request;
    const llmgw__transfer_limits *limits;
    llmgw__body_cb                on_body;      /* NULL: collect the body */
    void                         *body_userdata;
    const atomic_int             *cancel;       /* may be NULL */
    const atomic_int             *cancel_also;  /* a second flag (a hedged attempt's own); may be NULL */
    /* out */
    llmgw_http_response           response;
    llmgw__xfer_outcome           outcome;
    int                           curl_code;
    bool                          got_status;
    bool                          got_body_byte;
    uint64_t                      body_bytes;
    char                          detail[160];  /* libcurl's error text (no secrets) */
} llmgw__transfer;

void llmgw__transfer_init(llmgw__transfer *t);
void llmgw__transfer_dispose(llmgw__transfer *t);
/* Perform one exchange; the outcome says how it ended. Returns 0, or ENOMEM/EINVAL on setup. */
int  llmgw__http_perform(llmgw__pool *pool, llmgw__transfer *t);
/* A short human description of an outcome. */
const char *llmgw__xfer_outcome_str(llmgw__xfer_outcome o);

/* curl_global_init once, thread-safely. Returns 0 or LLMGW_ERROR. */
int  llmgw__transport_global_init(void);

#endif
