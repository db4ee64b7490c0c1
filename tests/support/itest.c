/*
 * tests/support/itest.c: integration-test helpers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "itest.h"

static void count_usage(const llmgw_usage *u, void *userdata)
{
    itest *t = userdata;

    (void)u;
    __atomic_add_fetch(&t->usage_records, 1, __ATOMIC_SEQ_CST);
}

void itest_start(itest *t, const llmgw_gateway_options *opts)
{
    llmgw_gateway_options o;

    memset(t, 0, sizeof(*t));
    assert_int_equal(mock_server_start(&t->srv, "127.0.0.1", 0), 0);
    if (opts)
        o = *opts;
    else {
        assert_int_equal(llmgw_gateway_options_init(&o, LLMGW_GATEWAY_OPTIONS_VERSION), 0);
        o.max_attempts = 1;
    }
    if (o.usage_cb == NULL) {
        o.usage_cb = count_usage;
        o.usage_userdata = t;
    }
    assert_int_equal(llmgw_gateway_new(&t->gw, &o), 0);
}

void itest_stop(itest *t)
{
    llmgw_gateway_free(t->gw);
    mock_server_stop(t->srv);
    t->gw = NULL;
    t->srv = NULL;
}

void itest_add_key(itest *t, const char *group, const char *lane, const char *model, const char *key)
{
    llmgw_deployment_options d;
    char base[256], full[256];

    snprintf(base, sizeof(base), "%s/lane/%s/v1", mock_server_base_url(t->srv), lane);
    snprintf(full, sizeof(full), "openai/%s", model);
    assert_int_equal(llmgw_deployment_options_init(&d, LLMGW_DEPLOYMENT_OPTIONS_VERSION), 0);
    d.group = group;
    d.model = full;
    d.api_base = base;
    d.api_key = key;
    if (llmgw_gateway_add_deployment(t->gw, &d) != 0)
        fail_msg("add_deployment: %s", llmgw_error_last()->message);
}

void itest_add(itest *t, const char *group, const char *lane, const char *model)
{
    itest_add_key(t, group, lane, model, TEST_KEY);
}

void itest_script(itest *t, const char *lane, const char *json)
{
    char err[512];

    if (mock_server_script_err(t->srv, lane, json, err, sizeof(err)) != 0)
        fail_msg("mock script: %s", err);
}

cJSON *itest_requests(itest *t, const char *lane)
{
    char *s = mock_server_requests(t->srv, lane);
    cJSON *j;

    assert_non_null(s);
    j = cJSON_Parse(s);
    free(s);
    assert_non_null(j);
    return j;
}

int itest_request_count(itest *t, const char *lane)
{
    cJSON *j = itest_requests(t, lane);
    int n = cJSON_GetArraySize(j);

    cJSON_Delete(j);
    return n;
}

llmgw_request *itest_request(const char *model, const char *prompt)
{
    llmgw_request *req = NULL;

    assert_int_equal(llmgw_request_new(&req, model), 0);
    assert_int_equal(llmgw_request_add_message(req, LLMGW_ROLE_USER, prompt), 0);
    return req;
}

int itest_complete(itest *t, const char *model, const char *prompt, llmgw_response **out)
{
    llmgw_request *req = itest_request(model, prompt);
    int rc = llmgw_complete(t->gw, req, out);

    llmgw_request_free(req);
    return rc;
}

void collect_init(collect *c)
{
    memset(c, 0, sizeof(*c));
    c->order_ok = 1;
}

static void after_terminal(collect *c)
{
    if (c->done_calls + c->error_calls > 0)
        c->order_ok = 0;
}

static int on_text(const char *text, size_t len, void *ud)
{
    collect *c = ud;

    after_terminal(c);
    if (c->text_len + len < sizeof(c->text)) {
        memcpy(c->text + c->text_len, text, len);
        c->text_len += len;
        c->text[c->text_len] = '\0';
    }
    c->text_calls++;
    return c->stop_after_text > 0 && c->text_calls >= c->stop_after_text;
}

static int on_reasoning(const char *text, size_t len, void *ud)
{
    collect *c = ud;

    (void)text;
    (void)len;
    after_terminal(c);
    c->reasoning_calls++;
    return 0;
}

static int on_tool_call(const llmgw_tool_call_delta *d, void *ud)
{
    collect *c = ud;
    size_t n;

    after_terminal(c);
    c->tool_calls++;
    if (d->index >= 8)
        return 0;
    if (d->id)
        snprintf(c->tool_ids[d->index], sizeof(c->tool_ids[0]), "%s", d->id);
    if (d->name)
        snprintf(c->tool_names[d->index], sizeof(c->tool_names[0]), "%s", d->name);
    n = strlen(c->tool_args[d->index]);
    if (n + d->arguments_len < sizeof(c->tool_args[0]))
        memcpy(c->tool_args[d->index] + n, d->arguments, d->arguments_len);
    return 0;
}

static int on_usage(const llmgw_usage *u, void *ud)
{
    collect *c = ud;

    after_terminal(c);
    c->usage_calls++;
    c->usage_input = u->input_tokens;
    c->usage_output = u->output_tokens;
    return 0;
}

static void on_done(const llmgw_response *r, void *ud)
{
    collect *c = ud;
    const char *f = llmgw_response_finish_reason(r);

    after_terminal(c);
    c->done_calls++;
    snprintf(c->done_finish, sizeof(c->done_finish), "%s", f ? f : "");
}

static void on_error(const llmgw_error *e, void *ud)
{
    collect *c = ud;

    after_terminal(c);
    c->error_calls++;
    c->error_code = e->code;
    c->error_class = e->error_class;
    snprintf(c->error_message, sizeof(c->error_message), "%s", e->message);
}

llmgw_stream_sink collect_sink(collect *c)
{
    llmgw_stream_sink s;

    llmgw_stream_sink_init(&s, LLMGW_STREAM_SINK_VERSION);
    s.on_text = on_text;
    s.on_reasoning = on_reasoning;
    s.on_tool_call = on_tool_call;
    s.on_usage = on_usage;
    s.on_done = on_done;
    s.on_error = on_error;
    s.userdata = c;
    return s;
}

int itest_stream(itest *t, const char *model, const char *prompt, collect *c, llmgw_response **out)
{
    llmgw_request *req = itest_request(model, prompt);
    llmgw_stream_sink s = collect_sink(c);
    int rc = llmgw_complete_stream(t->gw, req, &s, out);

    llmgw_request_free(req);
    return rc;
}

double itest_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}
