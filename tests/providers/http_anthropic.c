/*
 * tests/providers/http_anthropic.c: the anthropic provider over loopback HTTP
 * against the mock upstream's anthropic dialect: answers, streams, tool calls
 * (both ways), the request on the wire, usage = the mock's ledger, every error
 * class the provider maps, error events before and after the commit point, cut
 * streams, and the mock's own validation of Messages requests.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "itest.h"

static void add_ant(itest *t, const char *group, const char *lane, const char *model)
{
    llmgw_deployment_options d;
    char base[256], full[256];

    snprintf(base, sizeof(base), "%s/lane/%s", mock_server_base_url(t->srv), lane);
    snprintf(full, sizeof(full), "anthropic/%s", model);
    assert_int_equal(llmgw_deployment_options_init(&d, LLMGW_DEPLOYMENT_OPTIONS_VERSION), 0);
    d.group = group;
    d.model = full;
    d.api_base = base;
    d.api_key = TEST_KEY;
    if (llmgw_gateway_add_deployment(t->gw, &d) != 0)
        fail_msg("add_deployment: %s", llmgw_error_last()->message);
}

static void start(itest *t, unsigned int attempts, const char *lane)
{
    llmgw_gateway_options o;

    llmgw_gateway_options_init(&o, LLMGW_GATEWAY_OPTIONS_VERSION);
    o.max_attempts = attempts;
    o.idle_timeout_ms = 2000;
    o.cooldown_ms = 1;              /* scenarios run back to back: a breaker opened by one of them */
                                    /* (5 failures in a window) must not delay the next */
    itest_start(t, &o);
    add_ant(t, "g", lane, "claude-test");
}

/* The i-th request received on lane: its record (in *all, to free) and its parsed body. */
static cJSON *sent_body(itest *t, const char *lane, int i, cJSON **all, cJSON **record)
{
    cJSON *body;

    *all = itest_requests(t, lane);
    *record = cJSON_GetArrayItem(*all, i);
    assert_non_null(*record);
    body = cJSON_Parse(cJSON_GetObjectItem(*record, "body")->valuestring);
    assert_non_null(body);
    return body;
}

static const char *header(const cJSON *record, const char *name)
{
    const cJSON *h = cJSON_GetObjectItem(cJSON_GetObjectItem(record, "headers"), name);

    return cJSON_IsString(h) ? h->valuestring : NULL;
}

static void assert_json(const cJSON *got, const char *want_json)
{
    cJSON *want = cJSON_Parse(want_json);

    assert_non_null(want);
    if (!cJSON_Compare(got, want, 1))
        fail_msg("got %s\nwant %s", cJSON_PrintUnformatted(got), want_json);
    cJSON_Delete(want);
}

static void test_nonstream_answer(void **state)
{
    itest t;
    llmgw_request *req = NULL;
    llmgw_response *r = NULL;
    const llmgw_usage *u;
    mock_ledger led;
    cJSON *all, *rec, *body;

    (void)state;
    start(&t, 1, "a");
    assert_int_equal(llmgw_request_new(&req, "g"), 0);
    assert_int_equal(llmgw_request_add_message(req, LLMGW_ROLE_SYSTEM, "Be terse."), 0);
    assert_int_equal(llmgw_request_add_message(req, LLMGW_ROLE_USER, "Say hello to the tests"), 0);
    assert_int_equal(llmgw_request_set_user(req, "user-7"), 0);
    assert_int_equal(llmgw_complete(t.gw, req, &r), 0);
    assert_string_equal(llmgw_response_text(r), "Hello from the mock upstream.");
    assert_string_equal(llmgw_response_finish_reason(r), "stop");
    assert_string_equal(llmgw_response_finish_reason_raw(r), "end_turn");
    assert_string_equal(llmgw_response_provider(r), "anthropic");
    assert_string_equal(llmgw_response_model(r), "claude-test");
    assert_string_equal(llmgw_response_id(r), "msg_mock_a_1");
    u = llmgw_response_usage(r);
    mock_server_ledger(t.srv, "a", &led);
    assert_int_equal(led.usage_reports, 1);
    assert_int_equal(u->input_tokens, led.prompt_tokens);
    assert_int_equal(u->output_tokens, led.completion_tokens);
    assert_int_equal(u->input_tokens, 2 + 5 + 4 * 2);      /* words + 4 per message and system */
    assert_int_equal(u->output_tokens, 5);
    assert_int_equal(u->usage_known, 1);
    assert_int_equal(t.usage_records, 1);

    body = sent_body(&t, "a", 0, &all, &rec);
    assert_string_equal(cJSON_GetObjectItem(rec, "path")->valuestring, "/v1/messages");
    assert_string_equal(header(rec, "x-api-key"), TEST_KEY);
    assert_string_equal(header(rec, "anthropic-version"), "2023-06-01");
    assert_null(header(rec, "authorization"));
    assert_json(body, "{\"model\":\"claude-test\",\"max_tokens\":4096,\"system\":\"Be terse.\","
                      "\"messages\":[{\"role\":\"user\",\"content\":\"Say hello to the tests\"}],"
                      "\"metadata\":{\"user_id\":\"user-7\"}}");
    cJSON_Delete(body);
    cJSON_Delete(all);
    llmgw_response_free(r);
    llmgw_request_free(req);
    itest_stop(&t);
}

static void test_stream_answer_and_cached_usage(void **state)
{
    itest t;
    collect c;
    llmgw_response *r = NULL;
    mock_ledger led;
    cJSON *all, *rec, *body;

    (void)state;
    start(&t, 1, "s");
    itest_script(&t, "s", "[{\"text\":\"one two three four five six\"}]");
    collect_init(&c);
    assert_int_equal(itest_stream(&t, "g", "hi", &c, &r), 0);
    assert_string_equal(c.text, "one two three four five six");
    assert_int_equal(c.text_calls, 6);
    assert_int_equal(c.done_calls, 1);
    assert_int_equal(c.error_calls, 0);
    assert_int_equal(c.usage_calls, 1);
    assert_true(c.order_ok);
    assert_string_equal(c.done_finish, "stop");
    mock_server_ledger(t.srv, "s", &led);
    assert_int_equal(led.usage_reports, 1);
    assert_int_equal(llmgw_response_usage(r)->input_tokens, led.prompt_tokens);
    assert_int_equal(llmgw_response_usage(r)->output_tokens, led.completion_tokens);
    assert_int_equal(c.usage_output, 6);
    body = sent_body(&t, "s", 0, &all, &rec);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(body, "stream")));
    assert_null(cJSON_GetObjectItem(body, "stream_options"));
    assert_string_equal(header(rec, "accept"), "text/event-stream");
    cJSON_Delete(body);
    cJSON_Delete(all);
    llmgw_response_free(r);

    /* cache reads are reported apart and added into the input, streamed or not */
    itest_script(&t, "s", "{\"steps\":[{\"usage\":{\"prompt_tokens\":100,\"cached_tokens\":40,"
                          "\"completion_tokens\":7,\"reasoning_tokens\":3}}],\"then\":\"repeat_last\"}");
    collect_init(&c);
    assert_int_equal(itest_stream(&t, "g", "hi", &c, &r), 0);
    assert_int_equal(llmgw_response_usage(r)->input_tokens, 100);
    assert_int_equal(llmgw_response_usage(r)->cache_read_tokens, 40);
    assert_int_equal(llmgw_response_usage(r)->output_tokens, 7);
    assert_int_equal(llmgw_response_usage(r)->reasoning_tokens, 3);
    llmgw_response_free(r);
    assert_int_equal(itest_complete(&t, "g", "hi", &r), 0);
    assert_int_equal(llmgw_response_usage(r)->input_tokens, 100);
    assert_int_equal(llmgw_response_usage(r)->cache_read_tokens, 40);
    mock_server_ledger(t.srv, "s", &led);
    assert_int_equal(led.cached_tokens, 80);
    assert_int_equal(led.prompt_tokens, 200 + (1 + 4));
    llmgw_response_free(r);
    itest_stop(&t);
}

static const char *TOOL_SCRIPT =
    "{\"steps\":[{\"tool_calls\":[{\"id\":\"call_1\",\"name\":\"get_weather\",\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\"},"
    "{\"id\":\"call_2\",\"name\":\"get_time\",\"arguments\":\"{\\\"tz\\\":\\\"CET\\\"}\"}]}],\"then\":\"repeat_last\"}";

static void test_tool_calls(void **state)
{
    itest t;
    collect c;
    llmgw_response *r = NULL;
    const llmgw_tool_call *tc;
    llmgw_request *req;
    llmgw_stream_sink s;
    cJSON *all, *rec, *body;

    (void)state;
    start(&t, 1, "tools");
    itest_script(&t, "tools", TOOL_SCRIPT);
    req = itest_request("g", "weather and time in Paris?");
    assert_int_equal(llmgw_request_add_tool(req, "get_weather", "Weather of a city",
                     "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}}}"), 0);
    assert_int_equal(llmgw_request_add_tool(req, "get_time", NULL, NULL), 0);
    assert_int_equal(llmgw_request_set_tool_choice(req, "auto"), 0);
    assert_int_equal(llmgw_complete(t.gw, req, &r), 0);
    assert_int_equal(llmgw_response_tool_call_count(r), 2);
    tc = llmgw_response_tool_call(r, 0);
    assert_string_equal(tc->id, "call_1");
    assert_string_equal(tc->name, "get_weather");
    assert_string_equal(tc->arguments, "{\"city\":\"Paris\"}");
    assert_string_equal(llmgw_response_tool_call(r, 1)->arguments, "{\"tz\":\"CET\"}");
    assert_string_equal(llmgw_response_finish_reason(r), "tool_calls");
    assert_string_equal(llmgw_response_finish_reason_raw(r), "tool_use");
    llmgw_response_free(r);
    body = sent_body(&t, "tools", 0, &all, &rec);
    assert_json(cJSON_GetObjectItem(body, "tools"),
                "[{\"name\":\"get_weather\",\"description\":\"Weather of a city\",\"input_schema\":"
                "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}}}},"
                "{\"name\":\"get_time\",\"input_schema\":{\"type\":\"object\"}}]");
    assert_json(cJSON_GetObjectItem(body, "tool_choice"), "{\"type\":\"auto\"}");
    cJSON_Delete(body);
    cJSON_Delete(all);

    /* streamed: input_json_delta fragments reassembled per tool call */
    collect_init(&c);
    s = collect_sink(&c);
    assert_int_equal(llmgw_complete_stream(t.gw, req, &s, &r), 0);
    assert_string_equal(c.tool_ids[0], "call_1");
    assert_string_equal(c.tool_names[0], "get_weather");
    assert_string_equal(c.tool_args[0], "{\"city\":\"Paris\"}");
    assert_string_equal(c.tool_names[1], "get_time");
    assert_string_equal(c.tool_args[1], "{\"tz\":\"CET\"}");
    assert_string_equal(c.done_finish, "tool_calls");
    assert_string_equal(llmgw_response_tool_call(r, 1)->arguments, "{\"tz\":\"CET\"}");
    llmgw_response_free(r);

    /* the next round: tool_use blocks and both results in one user turn (the mock checks pairing) */
    assert_int_equal(llmgw_request_add_message(req, LLMGW_ROLE_ASSISTANT, NULL), 0);
    assert_int_equal(llmgw_request_add_tool_call(req, "call_1", "get_weather", "{\"city\":\"Paris\"}"), 0);
    assert_int_equal(llmgw_request_add_tool_call(req, "call_2", "get_time", "{\"tz\":\"CET\"}"), 0);
    assert_int_equal(llmgw_request_add_tool_result(req, "call_1", "18C"), 0);
    assert_int_equal(llmgw_request_add_tool_result(req, "call_2", "14:05"), 0);
    mock_server_reset(t.srv);
    itest_script(&t, "tools", "[{\"text\":\"18C at 14:05.\"}]");
    assert_int_equal(llmgw_complete(t.gw, req, &r), 0);
    assert_string_equal(llmgw_response_text(r), "18C at 14:05.");
    body = sent_body(&t, "tools", 0, &all, &rec);
    assert_json(cJSON_GetObjectItem(body, "messages"),
                "[{\"role\":\"user\",\"content\":\"weather and time in Paris?\"},"
                "{\"role\":\"assistant\",\"content\":[{\"type\":\"tool_use\",\"id\":\"call_1\",\"name\":\"get_weather\","
                "\"input\":{\"city\":\"Paris\"}},{\"type\":\"tool_use\",\"id\":\"call_2\",\"name\":\"get_time\","
                "\"input\":{\"tz\":\"CET\"}}]},"
                "{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"call_1\",\"content\":\"18C\"},"
                "{\"type\":\"tool_result\",\"tool_use_id\":\"call_2\",\"content\":\"14:05\"}]}]");
    cJSON_Delete(body);
    cJSON_Delete(all);
    llmgw_response_free(r);
    llmgw_request_free(req);
    itest_stop(&t);
}

static void test_json_schema_and_unsupported(void **state)
{
    static const char with_schema[] =
        "{\"model\":\"g\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"temperature\":0.2,\"stop\":[\"END\"],"
        "\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"x\",\"schema\":{\"type\":\"object\"}}}}";
    static const char with_seed[] = "{\"model\":\"g\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"seed\":3}";
    static const char dropped[] =
        "{\"model\":\"g\",\"drop_params\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"seed\":3}";
    itest t;
    llmgw_request *req = NULL;
    llmgw_response *r = NULL;
    cJSON *all, *rec, *body;

    (void)state;
    start(&t, 1, "j");
    assert_int_equal(llmgw_request_from_json(&req, with_schema, sizeof(with_schema) - 1), 0);
    assert_int_equal(llmgw_complete(t.gw, req, &r), 0);
    body = sent_body(&t, "j", 0, &all, &rec);
    assert_json(cJSON_GetObjectItem(body, "output_config"),
                "{\"format\":{\"type\":\"json_schema\",\"schema\":{\"type\":\"object\"}}}");
    assert_json(cJSON_GetObjectItem(body, "stop_sequences"), "[\"END\"]");
    assert_null(cJSON_GetObjectItem(body, "response_format"));
    cJSON_Delete(body);
    cJSON_Delete(all);
    llmgw_response_free(r);
    llmgw_request_free(req);

    /* seed cannot be expressed: refused before anything is sent */
    assert_int_equal(llmgw_request_from_json(&req, with_seed, sizeof(with_seed) - 1), 0);
    assert_int_equal(llmgw_complete(t.gw, req, &r), LLMGW_EUNSUPPORTED);
    assert_int_equal(llmgw_error_last()->error_class, LLMGW_ERRCLASS_UNSUPPORTED);
    assert_non_null(strstr(llmgw_error_last()->message, "seed"));
    assert_int_equal(itest_request_count(&t, "j"), 1);
    llmgw_request_free(req);
    /* drop_params leaves it out */
    assert_int_equal(llmgw_request_from_json(&req, dropped, sizeof(dropped) - 1), 0);
    assert_int_equal(llmgw_complete(t.gw, req, &r), 0);
    body = sent_body(&t, "j", 1, &all, &rec);
    assert_null(cJSON_GetObjectItem(body, "seed"));
    cJSON_Delete(body);
    cJSON_Delete(all);
    llmgw_response_free(r);
    llmgw_request_free(req);
    itest_stop(&t);
}

static void test_error_classes(void **state)
{
    static const struct { const char *script; int code, cls, http; const char *needle; } cases[] = {
        { "[{\"status\":400}]", LLMGW_EPROVIDER, LLMGW_ERRCLASS_BAD_REQUEST, 400, "invalid_request_error" },
        { "[{\"status\":400,\"error_message\":\"prompt is too long: 208310 tokens > 200000 maximum\"}]",
          LLMGW_EPROVIDER, LLMGW_ERRCLASS_CONTEXT_LENGTH_EXCEEDED, 400, "prompt is too long" },
        { "[{\"status\":400,\"error_message\":\"input length and `max_tokens` exceed context limit: 197626 + "
          "21333 > 200000\"}]", LLMGW_EPROVIDER, LLMGW_ERRCLASS_CONTEXT_LENGTH_EXCEEDED, 400, "context limit" },
        { "[{\"status\":400,\"error_message\":\"Your credit balance is too low to access the Anthropic API.\"}]",
          LLMGW_ERATELIMIT, LLMGW_ERRCLASS_QUOTA_EXCEEDED, 400, "credit balance" },
        { "[{\"status\":400,\"error_message\":\"Output blocked by content filtering policy\"}]",
          LLMGW_EPROVIDER, LLMGW_ERRCLASS_CONTENT_POLICY, 400, "content filtering" },
        { "[{\"status\":401,\"error_message\":\"invalid x-api-key\"}]", LLMGW_EAUTH, LLMGW_ERRCLASS_AUTH, 401,
          "authentication_error: invalid x-api-key" },
        { "[{\"status\":402}]", LLMGW_ERATELIMIT, LLMGW_ERRCLASS_QUOTA_EXCEEDED, 402, "billing_error" },
        { "[{\"status\":403}]", LLMGW_EAUTH, LLMGW_ERRCLASS_AUTH, 403, "permission_error" },
        { "[{\"status\":404}]", LLMGW_ENOTFOUND, LLMGW_ERRCLASS_NOT_FOUND, 404, "not_found_error" },
        { "[{\"status\":413}]", LLMGW_EPROVIDER, LLMGW_ERRCLASS_BAD_REQUEST, 413, "request_too_large" },
        { "[{\"status\":429}]", LLMGW_ERATELIMIT, LLMGW_ERRCLASS_RATE_LIMIT, 429, "rate_limit_error" },
        { "[{\"status\":429,\"error_code\":\"enforced_spend_limit_reached\"}]", LLMGW_ERATELIMIT,
          LLMGW_ERRCLASS_QUOTA_EXCEEDED, 429, "rate_limit_error" },
        { "[{\"status\":500}]", LLMGW_EUNAVAILABLE, LLMGW_ERRCLASS_SERVER_ERROR, 500, "api_error" },
        { "[{\"status\":504}]", LLMGW_ETIMEOUT, LLMGW_ERRCLASS_TIMEOUT, 504, "timeout_error" },
        { "[{\"status\":529,\"error_message\":\"Overloaded\"}]", LLMGW_EUNAVAILABLE, LLMGW_ERRCLASS_SERVER_ERROR,
          529, "overloaded_error: Overloaded" },
    };
    itest t;
    llmgw_response *r = NULL;
    const llmgw_error *e;
    char group[16];
    size_t i;
    int rc;

    (void)state;
    start(&t, 1, "e");
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        /* a deployment per case: auth and quota errors hold a deployment back for a while */
        snprintf(group, sizeof(group), "e%zu", i);
        add_ant(&t, group, group, "claude-test");
        itest_script(&t, group, cases[i].script);
        rc = itest_complete(&t, group, "hi", &r);
        e = llmgw_error_last();
        assert_null(r);
        if (rc != cases[i].code || e->error_class != cases[i].cls || e->http_status != cases[i].http ||
            strstr(e->message, cases[i].needle) == NULL)
            fail_msg("case %zu (%s): rc %d class %s http %d; message: %s", i, cases[i].script, rc,
                     llmgw_error_class_str(e->error_class), e->http_status, e->message);
        assert_string_equal(e->provider, "anthropic");
        assert_null(strstr(e->message, "SECRETKEY"));
    }
    itest_stop(&t);
}

static void test_retries(void **state)
{
    itest t;
    llmgw_response *r = NULL;
    double t0;

    (void)state;
    start(&t, 3, "r");
    add_ant(&t, "spend", "spend", "claude-test");
    add_ant(&t, "later", "later", "claude-test");
    /* 529 overloaded is retried */
    itest_script(&t, "r", "[{\"status\":529}]");
    assert_int_equal(itest_complete(&t, "g", "hi", &r), 0);
    assert_int_equal(llmgw_response_attempt_count(r), 2);
    assert_int_equal(llmgw_response_attempt(r, 0)->http_status, 529);
    assert_int_equal(llmgw_response_attempt(r, 0)->error_class, LLMGW_ERRCLASS_SERVER_ERROR);
    llmgw_response_free(r);
    /* the spend limit is not: it lasts until the billing period resets */
    itest_script(&t, "spend", "{\"steps\":[{\"status\":429,\"error_code\":\"enforced_spend_limit_reached\"}],"
                              "\"then\":\"repeat_last\"}");
    assert_int_equal(itest_complete(&t, "spend", "hi", &r), LLMGW_ERATELIMIT);
    assert_int_equal(llmgw_error_last()->error_class, LLMGW_ERRCLASS_QUOTA_EXCEEDED);
    assert_int_equal(itest_request_count(&t, "spend"), 1);
    /* retry-after (seconds) on a 429: beyond the cap, handed to the caller without waiting */
    itest_script(&t, "later", "[{\"status\":429,\"headers\":{\"retry-after\":\"86400\"}}]");
    t0 = itest_now_ms();
    assert_int_equal(itest_complete(&t, "later", "hi", &r), LLMGW_ERATELIMIT);
    assert_true(itest_now_ms() - t0 < 1000.0);
    assert_int_equal(llmgw_error_last()->error_class, LLMGW_ERRCLASS_RATE_LIMIT);
    assert_int_equal(llmgw_error_last()->retry_after_ms, 86400000);
    itest_stop(&t);
}

static void test_error_events(void **state)
{
    itest t;
    collect c;
    llmgw_response *r = NULL;

    (void)state;
    start(&t, 3, "ev");
    /* before the commit point (after message_start): classified and retried */
    itest_script(&t, "ev", "[{\"error_event\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"},"
                           "\"error_after_events\":1}]");
    collect_init(&c);
    assert_int_equal(itest_stream(&t, "g", "hi", &c, &r), 0);
    assert_int_equal(llmgw_response_attempt(r, 0)->error_class, LLMGW_ERRCLASS_SERVER_ERROR);
    assert_int_equal(llmgw_response_attempt(r, 0)->http_status, 529);
    assert_string_equal(c.text, "Hello from the mock upstream.");
    assert_int_equal(c.error_calls, 0);
    llmgw_response_free(r);
    /* after it (message_start, ping, block start, "a", " b"): a typed terminal error, no retry */
    mock_server_reset(t.srv);
    itest_script(&t, "ev", "[{\"text\":\"a b c\",\"error_event\":{\"type\":\"overloaded_error\","
                           "\"message\":\"Overloaded\"},\"error_after_events\":5}]");
    collect_init(&c);
    assert_int_equal(itest_stream(&t, "g", "hi", &c, NULL), LLMGW_EUNAVAILABLE);
    assert_int_equal(c.error_class, LLMGW_ERRCLASS_STREAM_CUT);
    assert_int_equal(c.done_calls, 0);
    assert_int_equal(c.error_calls, 1);
    assert_string_equal(c.text, "a b");
    assert_non_null(strstr(c.error_message, "Overloaded"));
    assert_true(c.order_ok);
    assert_int_equal(itest_request_count(&t, "ev"), 1);
    /* a rate_limit_error event is a rate limit (not retried here: a 429 holds the deployment 10 s) */
    assert_int_equal(llmgw_gateway_set_retry_policy(t.gw, LLMGW_ERRCLASS_RATE_LIMIT, 0), 0);
    add_ant(&t, "rl", "rl", "claude-test");
    itest_script(&t, "rl", "[{\"error_event\":{\"type\":\"rate_limit_error\",\"message\":\"slow down\"},"
                           "\"error_after_events\":2}]");
    collect_init(&c);
    assert_int_equal(itest_stream(&t, "rl", "hi", &c, NULL), LLMGW_ERATELIMIT);
    assert_int_equal(c.error_class, LLMGW_ERRCLASS_RATE_LIMIT);
    assert_int_equal(c.error_calls, 1);
    assert_int_equal(c.text_len, 0);
    assert_non_null(strstr(c.error_message, "slow down"));
    itest_stop(&t);
}

static void test_cut_streams(void **state)
{
    itest t;
    collect c;
    llmgw_response *r = NULL;
    mock_ledger led;

    (void)state;
    start(&t, 3, "cut");
    /* cut after "a b": delivered, then a clean end without message_stop */
    itest_script(&t, "cut", "[{\"text\":\"a b c d\",\"cut_after_events\":5}]");
    collect_init(&c);
    assert_int_equal(itest_stream(&t, "g", "hi", &c, NULL), LLMGW_EUNAVAILABLE);
    assert_int_equal(c.error_class, LLMGW_ERRCLASS_STREAM_CUT);
    assert_int_equal(c.done_calls, 0);
    assert_string_equal(c.text, "a b");
    assert_int_equal(itest_request_count(&t, "cut"), 1);
    mock_server_ledger(t.srv, "cut", &led);
    assert_int_equal(led.usage_reports, 0);
    /* everything but message_stop: still cut, never a clean finish */
    mock_server_reset(t.srv);
    itest_script(&t, "cut", "[{\"text\":\"a b\",\"omit_done\":true}]");
    collect_init(&c);
    assert_int_equal(itest_stream(&t, "g", "hi", &c, NULL), LLMGW_EUNAVAILABLE);
    assert_int_equal(c.error_class, LLMGW_ERRCLASS_STREAM_CUT);
    assert_int_equal(c.done_calls, 0);
    /* cut and reset before anything was delivered: retried */
    itest_script(&t, "cut", "[{\"text\":\"x y\",\"cut_after_events\":3},{\"reset\":\"before_headers\"},"
                            "{\"text\":\"fine now\"}]");
    collect_init(&c);
    assert_int_equal(itest_stream(&t, "g", "hi", &c, &r), 0);
    assert_string_equal(c.text, "fine now");
    assert_int_equal(llmgw_response_attempt_count(r), 3);
    assert_int_equal(llmgw_response_attempt(r, 0)->error_class, LLMGW_ERRCLASS_NETWORK);
    llmgw_response_free(r);
    /* a broken text event before commit: server_error, retried */
    itest_script(&t, "cut", "[{\"malformed\":true}]");
    collect_init(&c);
    assert_int_equal(itest_stream(&t, "g", "hi", &c, &r), 0);
    assert_int_equal(llmgw_response_attempt_count(r), 2);
    assert_int_equal(llmgw_response_attempt(r, 0)->error_class, LLMGW_ERRCLASS_SERVER_ERROR);
    llmgw_response_free(r);
    itest_stop(&t);
}

static void test_absurd_usage_rejected(void **state)
{
    static const char *const scripts[] = {
        "[{\"usage_raw\":\"{\\\"input_tokens\\\":-5,\\\"output_tokens\\\":1}\"}]",
        "[{\"usage_raw\":\"{\\\"input_tokens\\\":1.5,\\\"output_tokens\\\":1}\"}]",
        "[{\"usage_raw\":\"{\\\"input_tokens\\\":1099511627776,\\\"output_tokens\\\":1}\"}]",
        "[{\"usage_raw\":\"{\\\"input_tokens\\\":1,\\\"output_tokens\\\":\\\"9\\\"}\"}]",
    };
    itest t;
    collect c;
    llmgw_response *r = NULL;
    size_t i;

    (void)state;
    start(&t, 1, "u");
    for (i = 0; i < sizeof(scripts) / sizeof(scripts[0]); i++) {
        itest_script(&t, "u", scripts[i]);
        if (itest_complete(&t, "g", "hi", &r) != LLMGW_EUNAVAILABLE)
            fail_msg("%s accepted", scripts[i]);
        itest_script(&t, "u", scripts[i]);
        collect_init(&c);
        if (itest_stream(&t, "g", "hi", &c, NULL) != LLMGW_EUNAVAILABLE)
            fail_msg("%s accepted in a stream", scripts[i]);
        assert_int_equal(c.done_calls, 0);
    }
    itest_stop(&t);
}

/* ---- the mock dialect validates like the API ---- */

static int raw_post(itest *t, const char *headers, const char *body, char *resp, size_t size)
{
    struct sockaddr_in a;
    char req[4096];
    int fd, n, status = 0;
    size_t got = 0;
    ssize_t k;

    n = snprintf(req, sizeof(req), "POST /lane/raw/v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                 "Connection: close\r\nContent-Length: %zu\r\n%s\r\n%s", strlen(body), headers, body);
    assert_true(n > 0 && (size_t)n < sizeof(req));
    fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons(mock_server_port(t->srv));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(send(fd, req, (size_t)n, 0), n);
    while (got + 1 < size && (k = recv(fd, resp + got, size - 1 - got, 0)) > 0)
        got += (size_t)k;
    resp[got] = '\0';
    close(fd);
    assert_int_equal(sscanf(resp, "HTTP/1.1 %d", &status), 1);
    return status;
}

static void test_mock_validation(void **state)
{
#define H_OK "x-api-key: k\r\nanthropic-version: 2023-06-01\r\ncontent-type: application/json\r\n"
#define U(s) "{\"role\":\"user\",\"content\":\"" s "\"}"
#define A(s) "{\"role\":\"assistant\",\"content\":\"" s "\"}"
    static const struct { const char *headers, *body, *needle; int status; } cases[] = {
        { H_OK, "{\"model\":\"m\",\"max_tokens\":5,\"messages\":[" U("hi") "]}", "\"type\":\"message\"", 200 },
        { "anthropic-version: 2023-06-01\r\ncontent-type: application/json\r\n",
          "{\"model\":\"m\",\"max_tokens\":5,\"messages\":[" U("hi") "]}", "authentication_error", 401 },
        { "x-api-key: k\r\ncontent-type: application/json\r\n",
          "{\"model\":\"m\",\"max_tokens\":5,\"messages\":[" U("hi") "]}", "anthropic-version", 400 },
        { H_OK, "{\"model\":\"m\",\"messages\":[" U("hi") "]}", "max_tokens", 400 },
        { H_OK, "{\"model\":\"m\",\"max_tokens\":5,\"messages\":[{\"role\":\"system\",\"content\":\"x\"}," U("hi") "]}",
          "Unexpected role \\\"system\\\"", 400 },
        { H_OK, "{\"model\":\"m\",\"max_tokens\":5,\"messages\":[" U("a") "," U("b") "]}", "roles must alternate", 400 },
        { H_OK, "{\"model\":\"m\",\"max_tokens\":5,\"messages\":[" U("a") "," A("b") "," A("c") "]}",
          "roles must alternate", 400 },
        { H_OK, "{\"model\":\"m\",\"max_tokens\":5,\"seed\":1,\"messages\":[" U("hi") "]}", "seed: Extra inputs", 400 },
        { H_OK, "{\"model\":\"m\",\"max_tokens\":5,\"temperature\":1.5,\"messages\":[" U("hi") "]}", "temperature", 400 },
        { H_OK, "{\"model\":\"m\",\"max_tokens\":5,\"messages\":[" U("a") ",{\"role\":\"assistant\",\"content\":"
          "[{\"type\":\"tool_use\",\"id\":\"t1\",\"name\":\"f\",\"input\":{}}]}," U("no result") "]}",
          "without `tool_result`", 400 },
        { H_OK, "{\"model\":\"m\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":"
          "\"tool_result\",\"tool_use_id\":\"t9\",\"content\":\"x\"}]}]}", "unexpected `tool_use_id`", 400 },
        { H_OK, "{\"model\":\"m\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":"
          "\"text\",\"text\":\"\"}]}]}", "non-empty", 400 },
        { H_OK, "{\"model\":\"m\",\"max_tokens\":5,\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}],"
          "\"messages\":[" U("hi") "]}", "input_schema", 400 },
    };
    itest t;
    char resp[8192];
    size_t i;
    int status;

    (void)state;
    itest_start(&t, NULL);
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        status = raw_post(&t, cases[i].headers, cases[i].body, resp, sizeof(resp));
        if (status != cases[i].status || strstr(resp, cases[i].needle) == NULL)
            fail_msg("case %zu: status %d, want %d with '%s':\n%s", i, status, cases[i].status,
                     cases[i].needle, resp);
        if (status != 200)
            assert_non_null(strstr(resp, "{\"type\":\"error\",\"error\":{\"type\":"));
    }
    itest_stop(&t);
#undef H_OK
#undef U
#undef A
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nonstream_answer),
        cmocka_unit_test(test_stream_answer_and_cached_usage),
        cmocka_unit_test(test_tool_calls),
        cmocka_unit_test(test_json_schema_and_unsupported),
        cmocka_unit_test(test_error_classes),
        cmocka_unit_test(test_retries),
        cmocka_unit_test(test_error_events),
        cmocka_unit_test(test_cut_streams),
        cmocka_unit_test(test_absurd_usage_rejected),
        cmocka_unit_test(test_mock_validation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
