/*
 * Integration: a provider written outside the library, with only the public
 * sys/ headers, registers through the same call as the built-ins and serves
 * requests over HTTP (it speaks the OpenAI format to the mock).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <llmgw/sys/errors.h>
#include <llmgw/sys/json.h>
#include <llmgw/sys/provider.h>

#include "itest.h"

typedef struct acme_state {
    const llmgw_provider_config *cfg;
    int inits;
} acme_state;

static int cleanups;

static int acme_init(void *state, const llmgw_provider_config *cfg)
{
    acme_state *st = state;

    st->cfg = cfg;
    st->inits++;
    return 0;
}

static void acme_cleanup(void *state)
{
    (void)state;
    cleanups++;
}

/* Rebuild the canonical body with our model, using cJSON on the printed canonical form. */
static int acme_build(llmgw_http_request *out, void *state, const llmgw_request *req, int stream)
{
    acme_state *st = state;
    llmgw_buf canon = LLMGW_BUF_INIT;
    cJSON *body;
    char *text, auth[256];
    int rc;

    if (llmgw_json_print(&canon, llmgw_request_json(req)) != 0)
        return LLMGW_ENOMEM;
    body = cJSON_Parse(canon.ptr);
    llmgw_buf_dispose(&canon);
    if (body == NULL)
        return llmgw_error_set(LLMGW_ENOMEM, "acme: parse");
    cJSON_ReplaceItemInObject(body, "model", cJSON_CreateString(st->cfg->model));
    if (stream) {
        cJSON_AddTrueToObject(body, "stream");
        cJSON_AddItemToObject(body, "stream_options", cJSON_Parse("{\"include_usage\":true}"));
    }
    text = cJSON_PrintUnformatted(body);
    cJSON_Delete(body);
    snprintf(auth, sizeof(auth), "Bearer %s", st->cfg->api_key);
    rc = llmgw_http_request_set_url(out, st->cfg->api_base);
    if (rc == 0)
        rc = llmgw_http_request_append_url(out, "/chat/completions");
    if (rc == 0)
        rc = llmgw_http_request_add_header(out, "Authorization", auth);
    if (rc == 0)
        rc = llmgw_http_request_add_header(out, "Content-Type", "application/json");
    if (rc == 0)
        rc = llmgw_http_request_add_header(out, "X-Acme", "1");
    if (rc == 0)
        rc = llmgw_http_request_set_body(out, text, strlen(text));
    cJSON_free(text);
    return rc;
}

static int take_usage(llmgw_reply *out, const llmgw_json *usage)
{
    llmgw_token_counts c;

    memset(&c, 0, sizeof(c));
    if (llmgw_json_token_count(llmgw_json_get(usage, "prompt_tokens"), &c.input_tokens) != 0 ||
        llmgw_json_token_count(llmgw_json_get(usage, "completion_tokens"), &c.output_tokens) != 0)
        return llmgw_error_set(LLMGW_EUNAVAILABLE, "acme: bad usage");
    return llmgw_reply_set_usage(out, &c);
}

static int acme_parse(llmgw_reply *out, void *state, const llmgw_http_response *in)
{
    size_t len;
    const char *body = llmgw_http_response_body(in, &len);
    const llmgw_json *msg, *c0;
    llmgw_json *root = NULL;
    const char *text;
    int rc;

    (void)state;
    if (llmgw_json_parse(&root, body, len) != 0)
        return LLMGW_EUNAVAILABLE;
    c0 = llmgw_json_at(llmgw_json_get(root, "choices"), 0);
    msg = llmgw_json_get(c0, "message");
    text = llmgw_json_string(llmgw_json_get(msg, "content"));
    rc = llmgw_reply_append_text(out, text ? text : "", text ? strlen(text) : 0);
    if (rc == 0)
        rc = llmgw_reply_set_finish(out, LLMGW_FINISH_STOP, "stop");
    if (rc == 0)
        rc = take_usage(out, llmgw_json_get(root, "usage"));
    if (rc == 0)
        rc = llmgw_reply_done(out);
    llmgw_json_free(root);
    return rc;
}

static int acme_event(llmgw_reply *out, void *state, void *stream_state, const llmgw_stream_event *ev)
{
    llmgw_json *root = NULL;
    const llmgw_json *delta, *usage;
    const char *text;
    int rc = 0;

    (void)state;
    (*(int *)stream_state)++;
    if (ev->data_len == 6 && memcmp(ev->data, "[DONE]", 6) == 0)
        return llmgw_reply_done(out);
    if (llmgw_json_parse(&root, ev->data, ev->data_len) != 0)
        return LLMGW_EUNAVAILABLE;
    delta = llmgw_json_get(llmgw_json_at(llmgw_json_get(root, "choices"), 0), "delta");
    text = llmgw_json_string(llmgw_json_get(delta, "content"));
    if (text && *text)
        rc = llmgw_reply_append_text(out, text, strlen(text));
    usage = llmgw_json_get(root, "usage");
    if (rc == 0 && llmgw_json_type(usage) == LLMGW_JSON_OBJECT)
        rc = take_usage(out, usage);
    llmgw_json_free(root);
    return rc;
}

static const llmgw_provider_vtable acme = {
    .version = LLMGW_PROVIDER_VTABLE_VERSION,
    .name = "acme",
    .capabilities = LLMGW_CAP_STREAM,
    .stream_framing = LLMGW_FRAMING_SSE,
    .default_api_base = NULL,
    .env_api_key = NULL,
    .state_size = sizeof(acme_state),
    .stream_state_size = sizeof(int),
    .init = acme_init,
    .build_request = acme_build,
    .parse_response = acme_parse,
    .parse_stream_event = acme_event,
    .classify_error = NULL,
    .cleanup = acme_cleanup,
};

static void test_third_party_provider(void **state)
{
    itest t;
    llmgw_deployment_options d;
    llmgw_provider_vtable bad;
    llmgw_response *r = NULL;
    collect c;
    char base[256];
    cJSON *reqs;

    (void)state;
    cleanups = 0;
    itest_start(&t, NULL);
    assert_int_equal(llmgw_provider_register(t.gw, &acme), 0);
    assert_int_equal(llmgw_provider_register(t.gw, &acme), LLMGW_EINVAL);   /* duplicate */
    bad = acme;
    bad.name = "openai";
    assert_int_equal(llmgw_provider_register(t.gw, &bad), LLMGW_EINVAL);    /* a built-in name */
    bad.name = "acme2";
    bad.version = 99;
    assert_int_equal(llmgw_provider_register(t.gw, &bad), LLMGW_EVERSION);
    bad.version = LLMGW_PROVIDER_VTABLE_VERSION;
    bad.parse_stream_event = NULL;
    assert_int_equal(llmgw_provider_register(t.gw, &bad), LLMGW_EINVAL);   /* streams need a parser */

    snprintf(base, sizeof(base), "%s/lane/acme/v1", mock_server_base_url(t.srv));
    llmgw_deployment_options_init(&d, LLMGW_DEPLOYMENT_OPTIONS_VERSION);
    d.model = "acme/rocket-1";
    d.api_base = base;
    d.api_key = TEST_KEY;
    assert_int_equal(llmgw_gateway_add_deployment(t.gw, &d), 0);

    assert_int_equal(itest_complete(&t, "acme/rocket-1", "hello acme", &r), 0);
    assert_string_equal(llmgw_response_text(r), "Hello from the mock upstream.");
    assert_string_equal(llmgw_response_provider(r), "acme");
    assert_int_equal(llmgw_response_usage(r)->input_tokens, 2 + 4);
    llmgw_response_free(r);

    collect_init(&c);
    assert_int_equal(itest_stream(&t, "acme/rocket-1", "hello acme", &c, NULL), 0);
    assert_string_equal(c.text, "Hello from the mock upstream.");
    assert_int_equal(c.done_calls, 1);

    reqs = itest_requests(&t, "acme");
    assert_int_equal(cJSON_GetArraySize(reqs), 2);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetArrayItem(reqs, 0), "headers"),
                                            "x-acme")->valuestring, "1");
    cJSON_Delete(reqs);
    itest_stop(&t);
    assert_int_equal(cleanups, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_third_party_provider),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
