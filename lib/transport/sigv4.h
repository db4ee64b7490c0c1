/*
 * lib/transport/sigv4.h: AWS Signature Version 4 (docs/providers.md §5,
 * "SigV4"), as a pure function of the request, the credentials, the scope
 * and the time, so AWS's published test-suite vectors can check it.
 *
 * The canonical URI is the path as sent, percent-encoded once more (every
 * service but S3): a model id "a:b" travels as "a%3Ab" and is signed as
 * "a%253Ab". Every header given is signed; the signer adds host (from the
 * URL when no Host header is given), x-amz-date, x-amz-security-token with
 * session credentials, and x-amz-content-sha256 when sign_body is set. The
 * caller sends the X-Amz-* headers it is handed back, with Authorization.
 */
#ifndef LLMGW_TRANSPORT_SIGV4_H
#define LLMGW_TRANSPORT_SIGV4_H

#include "../core/common.h"

#define LLMGW__SIGV4_MAX_HEADERS 64

typedef struct llmgw__sigv4_params {
    const char        *method;             /* "POST" */
    const char        *url;                /* absolute: host, path and query are signed */
    const char *const *headers;            /* "Name: value" lines (never Authorization) */
    size_t             header_count;
    const void        *body;
    size_t             body_len;
    const char        *access_key_id;
    const char        *secret_access_key;
    const char        *session_token;      /* NULL for long-term credentials */
    const char        *region;             /* "us-east-1" */
    const char        *service;            /* signing name: "bedrock" for bedrock-runtime */
    int64_t            unix_time;          /* seconds since the epoch (UTC) */
    bool               sign_body;          /* add and sign x-amz-content-sha256 */
} llmgw__sigv4_params;

typedef struct llmgw__sigv4_result {
    char      amz_date[17];                /* X-Amz-Date: 20150830T123600Z */
    char      content_sha256[65];          /* hex SHA-256 of the body (X-Amz-Content-Sha256) */
    char      signature[65];
    llmgw_buf authorization;               /* the Authorization header value */
    llmgw_buf canonical_request;           /* for tests; holds the session token: disposed as a secret */
    llmgw_buf string_to_sign;
} llmgw__sigv4_result;

/* Sign; 0, LLMGW_ENOMEM, or LLMGW_EINVAL (bad URL, header, time or credential). */
int  llmgw__sigv4_sign(llmgw__sigv4_result *out, const llmgw__sigv4_params *p);
void llmgw__sigv4_result_dispose(llmgw__sigv4_result *r);

#endif
