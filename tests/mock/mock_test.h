/*
 * Helpers for the mock upstream's tests: a small libcurl client, an SSE splitter and raw sockets.
 */
#ifndef LLMGW_MOCK_TEST_H
#define LLMGW_MOCK_TEST_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <curl/curl.h>
#include <cjson/cJSON.h>

#include "mock_server.h"

/* A valid request: 2 messages, 2 + 5 words -> prompt_tokens 15. */
#define CHAT_BODY "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"system\",\"content\":\"Be terse.\"}," \
                  "{\"role\":\"user\",\"content\":\"Say hello to the mock\"}]"
#define CHAT_PROMPT_TOKENS 15
#define DEFAULT_TEXT "Hello from the mock upstream."

typedef struct hres {
    CURLcode rc;
    long     status;
    char    *body;
    size_t   body_len;
    char    *head;
    size_t   head_len;
    double   seconds;
    long     connects;
    long     local_port;
} hres;

typedef struct hreq {
    const char        *method;        /* NULL: POST with a body, else GET */
    const char        *body;          /* NULL: none */
    const char *const *headers;       /* extra headers, NULL-terminated */
    int                no_auth;       /* leave out Authorization and Content-Type */
    long               timeout_ms;    /* 0: 10 s */
    CURL              *handle;        /* reuse (keep-alive); NULL: a fresh handle */
    int                chunked;       /* send the body with Transfer-Encoding: chunked */
} hreq;

void http_do(hres *out, const char *url, const hreq *rq);
void hres_free(hres *r);
/* Value of the last header `name` (case-insensitive) into buf; 1 found, 0 not. */
int  hres_header(const hres *r, const char *name, char *buf, size_t size);
char *mk_url(char *buf, size_t size, const mock_server *srv, const char *path);

/* POST a chat request (CHAT_BODY plus the stream flags) to lane (NULL: no prefix). */
void chat(hres *out, const mock_server *srv, const char *lane, int stream, int include_usage);

typedef struct sse {
    char  **ev;                       /* data of each event, NUL-terminated */
    size_t  n;
} sse;
void sse_parse(sse *out, const char *body, size_t len);
void sse_free(sse *s);
/* Concatenated delta.content of the chunks; caller frees. */
char *sse_text(const sse *s);

/* Sends `req` on a fresh connection and reads until the peer closes or timeout_ms passes. */
int raw_exchange(unsigned short port, const char *req, size_t len, char **resp, size_t *resp_len,
                 int timeout_ms);
int count_substr(const char *hay, size_t len, const char *needle);
double now_s(void);

/* JSON helpers: at(j, "choices.0.message") walks members and indexes */
cJSON *parse_body(const hres *r);
const cJSON *at(const cJSON *j, const char *path);
double num(const cJSON *j, const char *path);         /* asserts a number */
const char *str(const cJSON *j, const char *path);    /* asserts a string */
int parses(const char *s);                              /* 1 when s is valid JSON */
void script(mock_server *srv, const char *lane, const char *json);  /* fails the test if refused */

/* test_mock_plane.c */
void test_lanes_and_records(void **state);
void test_keepalive_and_http(void **state);
void test_control_plane(void **state);
void test_loopback_only(void **state);

/* test_mock_faults.c */
void test_resets(void **state);
void test_cut_and_omit_done(void **state);
void test_malformed(void **state);
void test_oversize(void **state);
void test_invalid_utf8(void **state);
void test_error_event(void **state);
void test_header_padding(void **state);
void test_timing(void **state);
void test_stall_forever_client_gone(void **state);
void test_stop_while_stalled(void **state);
void test_ledger_accounting(void **state);
void test_usage_raw(void **state);

#endif
