/*
 * llmgw mock upstream: what the bedrock dialect needs from AWS, written for the mock alone (it
 * links nothing of lib/, so a signing or framing bug in the library is not mirrored here):
 *
 *   aws_sign.c     SHA-256, HMAC-SHA256 and the SigV4 check of a received request
 *   aws_frame.c    CRC32 and the event-stream frame writer
 *   dialect_bedrock.c, bedrock_render.c   the Converse dialect (validation; answers)
 *
 * The dialect accepts these credentials only (test values, not secrets): AWS's published
 * example key pair, and a made-up session key pair that needs its session token. Any other
 * access key id is answered 403 UnrecognizedClientException; a wrong secret, 403
 * InvalidSignatureException. A Bedrock API key (Authorization: Bearer) is accepted when
 * non-empty.
 */
#ifndef LLMGW_MOCK_AWS_H
#define LLMGW_MOCK_AWS_H

#include <stddef.h>
#include <stdint.h>

#define MOCK_AWS_ACCESS_KEY_ID     "AKIDEXAMPLE"
#define MOCK_AWS_SECRET_ACCESS_KEY "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define MOCK_AWS_SESSION_KEY_ID    "ASIAMOCKSESSION00001"
#define MOCK_AWS_SESSION_SECRET    "mock/session/secret/key/0000000000001"
#define MOCK_AWS_SESSION_TOKEN     "mock-session-token/FwoGZXIvYXdzEXAMPLE+0001=="
#define MOCK_AWS_SIGNING_NAME      "bedrock"
#define MOCK_AWS_MAX_SKEW_S        900            /* AWS refuses signatures older than 15 min */

#ifdef LLMGW_MOCK_INTERNAL_H
/* 0 when the request's SigV4 Authorization verifies, else -1 with rej set (403, AWS wording). */
int  mock_sigv4_verify(mock_reject *rej, const mock_request *req);
/* One event-stream message with string headers names[i] = values[i]; flip_crc damages its CRC. */
void mock_frame_put(mbuf *out, const char *const *names, const char *const *values, size_t nh,
                    const char *payload, size_t len, int flip_crc);
/* bedrock_render.c: the dialect's answers */
void mock_bedrock_render_body(mbuf *b, const mock_answer *a);
void mock_bedrock_render_stream(mock_stream *s, const mock_answer *a);
void mock_bedrock_render_error(mbuf *b, int status, const char *type, const char *code,
                               const char *message);
void mock_bedrock_render_error_event(mock_stream *s, const char *error_json);
void mock_bedrock_error_headers(mbuf *out, int status, const char *type);
#endif

void     mock_sha256(const void *data, size_t len, unsigned char out[32]);
void     mock_hmac_sha256(const void *key, size_t key_len, const void *msg, size_t len,
                          unsigned char out[32]);
uint32_t mock_crc32(const void *data, size_t len);

#endif
