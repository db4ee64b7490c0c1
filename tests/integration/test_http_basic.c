/*
 * Integration: OpenAI over real loopback HTTP against the mock upstream:
 * answers, streams, tool calls, the request on the wire, usage = ledger.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "itest.h"

static void test_nonstream_answer(void **state)
{
    itest t;
    llmgw_response *r = NULL;
    const llmgw_usage *u;
    mock_ledger led;
    cJSON *reqs, *rq, *body;

    (void)state;
    itest_start(&t, NULL);
    itest_add(&t, "smart", "a", "gpt-test");
    assert_int_equal(itest_complete(&t, "smart", "Say hello to the tests", &r), 0);
    assert_string_equal(llmgw_response_text(r), "Hello from the mock upstream.");
    assert_string_equal(llmgw_response_finish_reason(r), "stop");
    assert_string_equal(llmgw_response_provider(r), "openai");
    assert_string_equal(llmgw_response_model(r), "gpt-test");
    assert_non_null(strstr(llmgw_response_deployment(r), "openai/gpt-test@127.0.0.1"));
    assert_int_equal(llmgw_response_attempt_count(r), 1);
    assert_int_equal(llmgw_response_tool_call_count(r), 0);
    u = llmgw_response_usage(r);
    mock_server_ledger(t.srv, "a", &led);
    assert_int_equal(led.usage_reports, 1);
    assert_int_equal(u->input_tokens, led.prompt_tokens);
    assert_int_equal(u->output_tokens, led.completion_tokens);
    assert_int_equal(u->input_tokens, 5 + 4);         /* 5 words + 4 per message */
    assert_int_equal(u->output_tokens, 5);
    assert_int_equal(u->usage_known, 1);
    assert_int_equal(u->status, 0);
    assert_string_equal(u->group, "smart");
    assert_string_equal(u->model_requested, "smart");
    assert_int_equal(t.usage_records, 1);

    /* the request on the wire */
    reqs = itest_requests(&t, "a");
    assert_int_equal(cJSON_GetArraySize(reqs), 1);
    rq = cJSON_GetArrayItem(reqs, 0);
    assert_string_equal(cJSON_GetObjectItem(rq, "path")->valuestring, "/v1/chat/completions");
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(rq, "headers"), "authorization")->valuestring,
                        "Bearer " TEST_KEY);
    body = cJSON_Parse(cJSON_GetObjectItem(rq, "body")->valuestring);
    assert_non_null(body);
    assert_string_equal(cJSON_GetObjectItem(body, "model")->valuestring, "gpt-test");
    assert_null(cJSON_GetObjectItem(body, "stream"));
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(body, "messages"), 0),
                                            "content")->valuestring, "Say hello to the tests");
    cJSON_Delete(body);
    cJSON_Delete(reqs);
    llmgw_response_free(r);
    itest_stop(&t);
}

/* Sequential requests, streamed or not, reuse one kept-alive connection. */
static void test_keep_alive(void **state)
{
    itest t;
    llmgw_response *r = NULL;
    collect c;
    int i;

    (void)state;
    itest_start(&t, NULL);
    itest_add(&t, "smart", "a", "gpt-test");
    for (i = 0; i < 5; i++) {
        assert_int_equal(itest_complete(&t, "smart", "again", &r), 0);
        llmgw_response_free(r);
        r = NULL;
    }
    for (i = 0; i < 3; i++) {
        collect_init(&c);
        assert_int_equal(itest_stream(&t, "smart", "a stream", &c, &r), 0);
        assert_int_equal(c.done_calls, 1);
        llmgw_response_free(r);
        r = NULL;
    }
    assert_int_equal(itest_request_count(&t, "a"), 8);
    assert_int_equal(mock_server_connections(t.srv), 1);
    itest_stop(&t);
}

static void test_stream_answer(void **state)
{
    itest t;
    collect c;
    llmgw_response *r = NULL;
    mock_ledger led;
    cJSON *reqs, *body, *so;

    (void)state;
    itest_start(&t, NULL);
    itest_add(&t, "smart", "s", "gpt-test");
    itest_script(&t, "s", "[{\"text\":\"one two three four five six\"}]");
    collect_init(&c);
    assert_int_equal(itest_stream(&t, "smart", "hi", &c, &r), 0);
    assert_string_equal(c.text, "one two three four five six");
    assert_int_equal(c.text_calls, 6);
    assert_int_equal(c.done_calls, 1);
    assert_int_equal(c.error_calls, 0);
    assert_int_equal(c.usage_calls, 1);
    assert_true(c.order_ok);
    assert_string_equal(c.done_finish, "stop");
    assert_non_null(r);
    assert_string_equal(llmgw_response_text(r), "one two three four five six");
    mock_server_ledger(t.srv, "s", &led);
    assert_int_equal(led.usage_reports, 1);
    assert_int_equal(llmgw_response_usage(r)->input_tokens, led.prompt_tokens);
    assert_int_equal(llmgw_response_usage(r)->output_tokens, led.completion_tokens);
    assert_int_equal(c.usage_output, led.completion_tokens);
    assert_true(llmgw_response_usage(r)->stream);
    assert_true(llmgw_response_usage(r)->ttft_us >= 0);

    reqs = itest_requests(&t, "s");
    body = cJSON_Parse(cJSON_GetObjectItem(cJSON_GetArrayItem(reqs, 0), "body")->valuestring);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(body, "stream")));
    so = cJSON_GetObjectItem(body, "stream_options");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(so, "include_usage")));
    cJSON_Delete(body);
    cJSON_Delete(reqs);
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
    llmgw_buf json = LLMGW_BUF_INIT;
    cJSON *reqs, *body, *tools, *obj;

    (void)state;
    itest_start(&t, NULL);
    itest_add(&t, "smart", "tools", "gpt-test");
    itest_script(&t, "tools", TOOL_SCRIPT);

    req = itest_request("smart", "weather and time in Paris?");
    assert_int_equal(llmgw_request_add_tool(req, "get_weather", "Weather of a city",
                     "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}}}"), 0);
    assert_int_equal(llmgw_request_set_tool_choice(req, "auto"), 0);
    assert_int_equal(llmgw_complete(t.gw, req, &r), 0);
    assert_int_equal(llmgw_response_tool_call_count(r), 2);
    tc = llmgw_response_tool_call(r, 0);
    assert_string_equal(tc->id, "call_1");
    assert_string_equal(tc->name, "get_weather");
    assert_string_equal(tc->arguments, "{\"city\":\"Paris\"}");
    assert_string_equal(llmgw_response_tool_call(r, 1)->name, "get_time");
    assert_null(llmgw_response_tool_call(r, 2));
    assert_string_equal(llmgw_response_finish_reason(r), "tool_calls");
    assert_int_equal(llmgw_response_to_json(&json, r), 0);
    obj = cJSON_Parse(json.ptr);
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetArrayItem(
        cJSON_GetObjectItem(obj, "choices"), 0), "message"), "content")));
    cJSON_Delete(obj);
    llmgw_buf_dispose(&json);
    llmgw_response_free(r);

    /* the tools went upstream */
    reqs = itest_requests(&t, "tools");
    body = cJSON_Parse(cJSON_GetObjectItem(cJSON_GetArrayItem(reqs, 0), "body")->valuestring);
    tools = cJSON_GetObjectItem(body, "tools");
    assert_int_equal(cJSON_GetArraySize(tools), 1);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetArrayItem(tools, 0), "function"),
                                            "name")->valuestring, "get_weather");
    assert_string_equal(cJSON_GetObjectItem(body, "tool_choice")->valuestring, "auto");
    cJSON_Delete(body);
    cJSON_Delete(reqs);

    /* streamed: fragments reassembled per index */
    collect_init(&c);
    {
        llmgw_stream_sink s = collect_sink(&c);
        assert_int_equal(llmgw_complete_stream(t.gw, req, &s, &r), 0);
    }
    assert_string_equal(c.tool_ids[0], "call_1");
    assert_string_equal(c.tool_names[0], "get_weather");
    assert_string_equal(c.tool_args[0], "{\"city\":\"Paris\"}");
    assert_string_equal(c.tool_names[1], "get_time");
    assert_string_equal(c.tool_args[1], "{\"tz\":\"CET\"}");
    assert_string_equal(c.done_finish, "tool_calls");
    assert_string_equal(llmgw_response_tool_call(r, 1)->arguments, "{\"tz\":\"CET\"}");
    llmgw_response_free(r);
    llmgw_request_free(req);
    itest_stop(&t);
}

/* A request parsed from JSON and the response rendered to JSON make an OpenAI round trip. */
static void test_json_round_trip(void **state)
{
    static const char body[] =
        "{\"model\":\"smart\",\"messages\":[{\"role\":\"system\",\"content\":\"Be terse.\"},"
        "{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":50,\"temperature\":0.5,\"seed\":7,"
        "\"stream\":true,\"llmgw\":{\"customer\":\"acme\",\"tags\":[\"t1\",\"t2\"]}}";
    itest t;
    llmgw_request *req = NULL;
    llmgw_response *r = NULL;
    llmgw_buf out = LLMGW_BUF_INIT;
    cJSON *reqs, *sent, *obj;

    (void)state;
    itest_start(&t, NULL);
    itest_add(&t, "smart", "rt", "gpt-test");
    assert_int_equal(llmgw_request_from_json(&req, body, sizeof(body) - 1), 0);
    assert_int_equal(llmgw_complete(t.gw, req, &r), 0);
    assert_string_equal(llmgw_response_usage(r)->customer, "acme");
    assert_int_equal(llmgw_response_usage(r)->tag_count, 2);
    assert_string_equal(llmgw_response_usage(r)->tags[1], "t2");
    reqs = itest_requests(&t, "rt");
    sent = cJSON_Parse(cJSON_GetObjectItem(cJSON_GetArrayItem(reqs, 0), "body")->valuestring);
    assert_int_equal(cJSON_GetObjectItem(sent, "max_tokens")->valueint, 50);
    assert_int_equal(cJSON_GetObjectItem(sent, "seed")->valueint, 7);
    assert_null(cJSON_GetObjectItem(sent, "llmgw"));      /* caller metadata never goes upstream */
    assert_null(cJSON_GetObjectItem(sent, "stream"));     /* the call decides, not the body */
    cJSON_Delete(sent);
    cJSON_Delete(reqs);

    assert_int_equal(llmgw_response_to_json(&out, r), 0);
    obj = cJSON_Parse(out.ptr);
    assert_non_null(obj);
    assert_string_equal(cJSON_GetObjectItem(obj, "object")->valuestring, "chat.completion");
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetArrayItem(
        cJSON_GetObjectItem(obj, "choices"), 0), "message"), "content")->valuestring,
        "Hello from the mock upstream.");
    assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(obj, "usage"), "prompt_tokens")->valueint,
                     (int)llmgw_response_usage(r)->input_tokens);
    assert_non_null(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(obj, "usage"),
                    "prompt_tokens_details"), "cached_tokens"));
    cJSON_Delete(obj);
    llmgw_buf_dispose(&out);
    llmgw_response_free(r);
    llmgw_request_free(req);
    itest_stop(&t);
}

static int utf8_ok(const unsigned char *s)
{
    while (*s) {
        int n = *s < 0x80 ? 1 : (*s >> 5) == 6 ? 2 : (*s >> 4) == 14 ? 3 : (*s >> 3) == 30 ? 4 : 0;
        int i;
        if (n == 0)
            return 0;
        for (i = 1; i < n; i++)
            if ((s[i] & 0xC0) != 0x80)
                return 0;
        s += n;
    }
    return 1;
}

static void test_invalid_utf8_replaced(void **state)
{
    itest t;
    llmgw_response *r = NULL;
    collect c;

    (void)state;
    itest_start(&t, NULL);
    itest_add(&t, "smart", "u", "gpt-test");
    itest_script(&t, "u", "{\"steps\":[{\"invalid_utf8\":true}],\"then\":\"repeat_last\"}");
    assert_int_equal(itest_complete(&t, "smart", "hi", &r), 0);
    assert_true(utf8_ok((const unsigned char *)llmgw_response_text(r)));
    assert_non_null(strstr(llmgw_response_text(r), "\xEF\xBF\xBD"));
    llmgw_response_free(r);
    collect_init(&c);
    assert_int_equal(itest_stream(&t, "smart", "hi", &c, NULL), 0);
    assert_true(utf8_ok((const unsigned char *)c.text));
    assert_non_null(strstr(c.text, "\xEF\xBF\xBD"));
    itest_stop(&t);
}

static void test_bad_input(void **state)
{
    itest t;
    llmgw_response *r = (llmgw_response *)(uintptr_t)1;
    llmgw_request *req = NULL;
    collect c;
    llmgw_stream_sink s;

    (void)state;
    itest_start(&t, NULL);
    assert_int_equal(llmgw_complete(NULL, NULL, &r), LLMGW_EINVAL);
    assert_null(r);
    assert_int_equal(llmgw_complete(t.gw, NULL, NULL), LLMGW_EINVAL);
    assert_int_equal(llmgw_request_new(&req, "bad\r\nmodel"), LLMGW_EINVAL);
    assert_null(req);
    assert_int_equal(llmgw_request_new(&req, "unknown-group"), 0);
    assert_int_equal(llmgw_complete(t.gw, req, &r), LLMGW_EINVAL);      /* no messages */
    assert_int_equal(llmgw_request_add_message(req, 99, "x"), LLMGW_EINVAL);
    assert_int_equal(llmgw_request_add_message(req, LLMGW_ROLE_USER, "x"), 0);
    assert_int_equal(llmgw_complete(t.gw, req, &r), LLMGW_ENOTFOUND);
    assert_int_equal(llmgw_error_last()->error_class, LLMGW_ERRCLASS_NOT_FOUND);
    llmgw_request_set_model(req, "nosuchprovider/model");
    assert_int_equal(llmgw_complete(t.gw, req, &r), LLMGW_ENOTFOUND);
    assert_non_null(strstr(llmgw_error_last()->message, "nosuchprovider"));
    /* a stream with bad arguments still ends with exactly one terminal callback */
    collect_init(&c);
    s = collect_sink(&c);
    assert_int_equal(llmgw_complete_stream(NULL, req, &s, NULL), LLMGW_EINVAL);
    assert_int_equal(c.error_calls, 1);
    assert_int_equal(c.done_calls, 0);
    assert_int_equal(llmgw_complete_stream(t.gw, req, NULL, NULL), LLMGW_EINVAL);
    s.version = 99;
    assert_int_equal(llmgw_complete_stream(t.gw, req, &s, NULL), LLMGW_EVERSION);
    assert_int_equal(c.error_calls, 2);
    llmgw_request_free(req);
    itest_stop(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nonstream_answer),
        cmocka_unit_test(test_stream_answer),
        cmocka_unit_test(test_keep_alive),
        cmocka_unit_test(test_tool_calls),
        cmocka_unit_test(test_json_round_trip),
        cmocka_unit_test(test_invalid_utf8_replaced),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
