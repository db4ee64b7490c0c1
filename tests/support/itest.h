/*
 * tests/support/itest.h: integration-test helpers: an in-process mock
 * upstream on loopback, a gateway pointed at it, and a stream collector.
 */
#ifndef LLMGW_TESTS_ITEST_H
#define LLMGW_TESTS_ITEST_H

#include <cjson/cJSON.h>
#include <llmgw/llmgw.h>

#include "mock_server.h"

#define TEST_KEY "sk-test-SECRETKEY0123456789abcdef"

typedef struct itest {
    mock_server   *srv;
    llmgw_gateway *gw;
    int            usage_records;      /* usage hook calls (atomic increments) */
} itest;

/* Start the mock and a gateway (opts may be NULL: defaults, with max_attempts 1). */
void itest_start(itest *t, const llmgw_gateway_options *opts);
void itest_stop(itest *t);
/* Add an openai deployment of `group` reaching the mock's lane `lane` as model `model`. */
void itest_add(itest *t, const char *group, const char *lane, const char *model);
/* Same with an explicit key. */
void itest_add_key(itest *t, const char *group, const char *lane, const char *model, const char *key);
/* Replace a lane's script (fails the test on a script error). */
void itest_script(itest *t, const char *lane, const char *json);
/* Received requests on a lane, parsed (cJSON_Delete it). */
cJSON *itest_requests(itest *t, const char *lane);
int    itest_request_count(itest *t, const char *lane);

/* A request with one user message. */
llmgw_request *itest_request(const char *model, const char *prompt);
int itest_complete(itest *t, const char *model, const char *prompt, llmgw_response **out);

typedef struct collect {
    char    text[1 << 16];
    size_t  text_len;
    int     text_calls, reasoning_calls, tool_calls, usage_calls, done_calls, error_calls;
    int     error_code, error_class;
    char    error_message[1024];
    int     stop_after_text;     /* > 0: the n-th text callback returns 1 */
    char    tool_names[8][64];
    char    tool_ids[8][64];
    char    tool_args[8][4096];
    uint64_t usage_input, usage_output;
    char    done_finish[32];
    int     order_ok;            /* 0 if any callback came after a terminal one */
} collect;

void collect_init(collect *c);
llmgw_stream_sink collect_sink(collect *c);
int itest_stream(itest *t, const char *model, const char *prompt, collect *c, llmgw_response **out);

/* Milliseconds of a monotonic clock. */
double itest_now_ms(void);

#endif
