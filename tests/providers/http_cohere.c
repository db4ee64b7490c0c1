/*
 * tests/providers/http_cohere.c: the cohere provider over loopback HTTP
 * against the mock's v2 chat dialect: answers, SSE streams, tool calls, the
 * request on the wire, usage equal to the mock's ledger, every error class
 * the provider maps, errors inside a 200 stream before and after the commit
 * point, cut and malformed streams, and refused parameters.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "itest.h"

#define CO_KEY "co-test-SECRETKEY0123456789"

static void add_cohere(itest *t, const char *group, const char *lane, const char *key)
{
    llmgw_deployment_options d;
    char base[256];

    snprintf(base, sizeof(base), "%s/lane/%s", mock_server_base_url(t->srv), lane);
    assert_int_equal(llmgw_deployment_options_init(&d, LLMGW_DEPLOYMENT_OPTIONS_VERSION), 0);
    d.group = group;
    d.model = "cohere/command-a-03-2025";
    d.api_base = base;
    d.api_key = key;
    if (llmgw_gateway_add_deployment(t->gw, &d) != 0)
        fail_msg("add_deployment: %s", llmgw_error_last()->message);
}

static void start(itest *t, unsigned int attempts)
{
    llmgw_gateway_options o;

    llmgw_gateway_options_init(&o, LLMGW_GATEWAY_OPTIONS_VERSION);
    o.max_attempts = attempts;
    o.idle_timeout_ms = 2000;
    itest_start(t, &o);
    add_cohere(t, "co", "c", CO_KEY);
}

/* The n-th request the mock received on a lane: its body parsed, and its headers. */
static cJSON *sent_body(itest *t, const char *lane, int n, cJSON **headers_out, char *path, size_t path_size)
{
    cJSON *reqs = itest_requests(t, lane), *rq = cJSON_GetArrayItem(reqs, n), *body;

    assert_non_null(rq);
    body = cJSON_Parse(cJSON_GetObjectItem(rq, "body")->valuestring);
    assert_non_null(body);
    if (headers_out)
        *headers_out = cJSON_Duplicate(cJSON_GetObjectItem(rq, "headers"), 1);
    if (path)
        snprintf(path, path_size, "%s", cJSON_GetObjectItem(rq, "path")->valuestring);
    cJSON_Delete(reqs);
    return body;
}

/* One raw HTTP/1.1 exchange with the mock (no llmgw in between): the status, and the whole
 * response (head and body) in out (free() it). headers: extra "Name: value\r\n" lines. */
static int raw_post(itest *t, const char *path, const char *headers, const char *body, char **out)
{
    struct sockaddr_in sa;
    char head[1024];
    size_t len = 0, cap = 1 << 16;
    ssize_t n;
    int fd = socket(AF_INET, SOCK_STREAM, 0), status = 0;

    assert_true(fd >= 0);
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons(mock_server_port(t->srv));
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    snprintf(head, sizeof(head), "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
             "Content-Length: %zu\r\n%s\r\n", path, strlen(body), headers);
    assert_true(write(fd, head, strlen(head)) == (ssize_t)strlen(head));
    assert_true(write(fd, body, strlen(body)) == (ssize_t)strlen(body));
    assert_non_null(*out = malloc(cap));
    while (len + 1 < cap && (n = read(fd, *out + len, cap - 1 - len)) > 0)
        len += (size_t)n;
    (*out)[len] = '\0';
    close(fd);
    if (strncmp(*out, "HTTP/1.1 ", 9) == 0)
        status = atoi(*out + 9);
    return status;
}

static llmgw_request *request_json(const char *json)
{
    llmgw_request *req = NULL;

    if (llmgw_request_from_json(&req, json, strlen(json)) != 0)
        fail_msg("request: %s", llmgw_error_last()->message);
    return req;
}

static void test_nonstream(void **state)
{
    itest t;
    llmgw_request *req;
    llmgw_response *r = NULL;
    const llmgw_usage *u;
    mock_ledger led;
    cJSON *body, *headers, *m;
    char path[128];

    (void)state;
    start(&t, 1);
    itest_script(&t, "c", "[{\"usage\":{\"cached_tokens\":3}}]");
    req = request_json("{\"model\":\"co\",\"messages\":[{\"role\":\"system\",\"content\":\"Be terse.\"},"
                       "{\"role\":\"user\",\"content\":\"Say hello to the tests\"}],\"max_tokens\":50,"
                       "\"temperature\":0.3,\"top_p\":0.5,\"top_k\":10,\"stop\":[\"END\"],\"seed\":9}");
    assert_int_equal(llmgw_complete(t.gw, req, &r), 0);
    assert_string_equal(llmgw_response_text(r), "Hello from the mock upstream.");
    assert_string_equal(llmgw_response_finish_reason(r), "stop");
    assert_string_equal(llmgw_response_provider(r), "cohere");
    assert_string_equal(llmgw_response_model(r), "command-a-03-2025");
    assert_int_equal(llmgw_response_tool_call_count(r), 0);
    u = llmgw_response_usage(r);
    mock_server_ledger(t.srv, "c", &led);
    assert_int_equal(led.usage_reports, 1);
    assert_int_equal(led.responses_ok, 1);
    assert_int_equal(u->input_tokens, led.prompt_tokens);
    assert_int_equal(u->output_tokens, led.completion_tokens);
    assert_int_equal(u->cache_read_tokens, led.cached_tokens);
    assert_int_equal(u->cache_read_tokens, 3);
    assert_int_equal(u->input_tokens, 2 + 5 + 4 * 2);        /* words + 4 per message */
    assert_int_equal(u->output_tokens, 5);
    assert_int_equal(u->usage_known, 1);

    body = sent_body(&t, "c", 0, &headers, path, sizeof(path));
    assert_string_equal(path, "/v2/chat");
    assert_string_equal(cJSON_GetObjectItem(headers, "authorization")->valuestring, "Bearer " CO_KEY);
    assert_string_equal(cJSON_GetObjectItem(headers, "content-type")->valuestring, "application/json");
    assert_string_equal(cJSON_GetObjectItem(body, "model")->valuestring, "command-a-03-2025");
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(body, "stream")));
    m = cJSON_GetObjectItem(body, "messages");
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(m, 0), "role")->valuestring, "system");
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(m, 1), "content")->valuestring,
                        "Say hello to the tests");
    assert_int_equal(cJSON_GetObjectItem(body, "max_tokens")->valueint, 50);
    assert_true(cJSON_GetObjectItem(body, "p")->valuedouble == 0.5);
    assert_int_equal(cJSON_GetObjectItem(body, "k")->valueint, 10);
    assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(body, "stop_sequences"), 0)->valuestring, "END");
    assert_int_equal(cJSON_GetObjectItem(body, "seed")->valueint, 9);
    assert_null(cJSON_GetObjectItem(body, "top_p"));
    cJSON_Delete(body);
    cJSON_Delete(headers);
    llmgw_response_free(r);
    llmgw_request_free(req);
    itest_stop(&t);
}

static void test_stream(void **state)
{
    itest t;
    collect c;
    llmgw_response *r = NULL;
    mock_ledger led;
    cJSON *body, *headers;

    (void)state;
    start(&t, 1);
    itest_script(&t, "c", "[{\"text\":\"one two three four five six\"}]");
    collect_init(&c);
    assert_int_equal(itest_stream(&t, "co", "hi", &c, &r), 0);
    assert_string_equal(c.text, "one two three four five six");
    assert_int_equal(c.text_calls, 6);
    assert_int_equal(c.done_calls, 1);
    assert_int_equal(c.error_calls, 0);
    assert_int_equal(c.usage_calls, 1);
    assert_true(c.order_ok);
    assert_string_equal(c.done_finish, "stop");
    mock_server_ledger(t.srv, "c", &led);
    assert_int_equal(led.usage_reports, 1);
    assert_int_equal(led.responses_ok, 1);
    assert_int_equal(llmgw_response_usage(r)->input_tokens, led.prompt_tokens);
    assert_int_equal(llmgw_response_usage(r)->output_tokens, led.completion_tokens);
    assert_int_equal(c.usage_output, led.completion_tokens);
    assert_true(llmgw_response_usage(r)->stream);
    body = sent_body(&t, "c", 0, &headers, NULL, 0);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(body, "stream")));
    assert_null(cJSON_GetObjectItem(body, "stream_options"));
    assert_string_equal(cJSON_GetObjectItem(headers, "accept")->valuestring, "text/event-stream");
    cJSON_Delete(body);
    cJSON_Delete(headers);
    llmgw_response_free(r);

    /* message-end is the terminal event: a stream without the trailing [DONE] is complete */
    itest_script(&t, "c", "[{\"text\":\"a b\",\"omit_done\":true,\"finish_reason\":\"length\"}]");
    collect_init(&c);
    assert_int_equal(itest_stream(&t, "co", "hi", &c, NULL), 0);
    assert_int_equal(c.done_calls, 1);
    assert_string_equal(c.done_finish, "length");
    itest_stop(&t);
}

static const char *TOOL_SCRIPT =
    "{\"steps\":[{\"text\":\"I will look both up.\",\"tool_calls\":[{\"id\":\"call_1\",\"name\":\"get_weather\","
    "\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\"},{\"id\":\"call_2\",\"name\":\"get_time\",\"arguments\":"
    "\"{\\\"tz\\\":\\\"CET\\\",\\\"format\\\":\\\"24h\\\"}\"}]}],\"then\":\"repeat_last\"}";

static void test_tool_calls(void **state)
{
    itest t;
    collect c;
    llmgw_response *r = NULL;
    const llmgw_tool_call *tc;
    llmgw_request *req;
    llmgw_stream_sink s;
    cJSON *body, *tools;

    (void)state;
    start(&t, 1);
    itest_script(&t, "c", TOOL_SCRIPT);
    req = itest_request("co", "weather and time in Paris?");
    assert_int_equal(llmgw_request_add_tool(req, "get_weather", "Weather of a city",
                     "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}}}"), 0);
    assert_int_equal(llmgw_request_add_tool(req, "get_time", NULL, "{\"type\":\"object\"}"), 0);
    assert_int_equal(llmgw_request_set_tool_choice(req, "required"), 0);
    assert_int_equal(llmgw_complete(t.gw, req, &r), 0);
    assert_int_equal(llmgw_response_tool_call_count(r), 2);
    tc = llmgw_response_tool_call(r, 0);
    assert_string_equal(tc->id, "call_1");
    assert_string_equal(tc->name, "get_weather");
    assert_string_equal(tc->arguments, "{\"city\":\"Paris\"}");
    assert_string_equal(llmgw_response_tool_call(r, 1)->arguments, "{\"tz\":\"CET\",\"format\":\"24h\"}");
    assert_string_equal(llmgw_response_finish_reason(r), "tool_calls");
    assert_string_equal(llmgw_response_reasoning(r), "I will look both up.");    /* the tool_plan */
    llmgw_response_free(r);
    body = sent_body(&t, "c", 0, NULL, NULL, 0);
    tools = cJSON_GetObjectItem(body, "tools");
    assert_int_equal(cJSON_GetArraySize(tools), 2);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetArrayItem(tools, 0), "function"),
                                            "name")->valuestring, "get_weather");
    assert_string_equal(cJSON_GetObjectItem(body, "tool_choice")->valuestring, "REQUIRED");
    cJSON_Delete(body);

    /* streamed: tool-call-start / -delta fragments reassembled per index */
    collect_init(&c);
    s = collect_sink(&c);
    assert_int_equal(llmgw_complete_stream(t.gw, req, &s, &r), 0);
    assert_string_equal(c.tool_ids[0], "call_1");
    assert_string_equal(c.tool_names[0], "get_weather");
    assert_string_equal(c.tool_args[0], "{\"city\":\"Paris\"}");
    assert_string_equal(c.tool_ids[1], "call_2");
    assert_string_equal(c.tool_args[1], "{\"tz\":\"CET\",\"format\":\"24h\"}");
    assert_true(c.reasoning_calls >= 1);
    assert_string_equal(c.done_finish, "tool_calls");
    assert_true(c.order_ok);
    llmgw_response_free(r);

    /* the next turn: the assistant's calls and the tool results go back in Cohere's shape */
    assert_int_equal(llmgw_request_add_message(req, LLMGW_ROLE_ASSISTANT, "Checking."), 0);
    assert_int_equal(llmgw_request_add_tool_call(req, "call_1", "get_weather", "{\"city\":\"Paris\"}"), 0);
    assert_int_equal(llmgw_request_add_tool_result(req, "call_1", "sunny, 21C"), 0);
    itest_script(&t, "c", "[{\"text\":\"It is sunny.\"}]");
    assert_int_equal(llmgw_complete(t.gw, req, &r), 0);
    assert_string_equal(llmgw_response_text(r), "It is sunny.");
    body = sent_body(&t, "c", 2, NULL, NULL, 0);
    {
        const cJSON *m = cJSON_GetObjectItem(body, "messages");
        const cJSON *a = cJSON_GetArrayItem(m, 1), *tr = cJSON_GetArrayItem(m, 2);
        assert_string_equal(cJSON_GetObjectItem(a, "tool_plan")->valuestring, "Checking.");
        const cJSON *call = cJSON_GetArrayItem(cJSON_GetObjectItem(a, "tool_calls"), 0);
        assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(call, "function"), "arguments")->valuestring,
                            "{\"city\":\"Paris\"}");
        assert_string_equal(cJSON_GetObjectItem(tr, "role")->valuestring, "tool");
        assert_string_equal(cJSON_GetObjectItem(tr, "tool_call_id")->valuestring, "call_1");
        assert_string_equal(cJSON_GetObjectItem(tr, "content")->valuestring, "sunny, 21C");
    }
    cJSON_Delete(body);
    llmgw_response_free(r);
    llmgw_request_free(req);
    itest_stop(&t);
}

static void test_error_classes(void **state)
{
    static const struct { const char *script; int code, cls, http; const char *words; } cases[] = {
        { "[{\"status\":400,\"error_message\":\"invalid request: message must not be empty\"}]",
          LLMGW_EPROVIDER, LLMGW_ERRCLASS_BAD_REQUEST, 400, "message must not be empty" },
        { "[{\"status\":400,\"error_message\":\"too many tokens: size limit exceeded by 1221 tokens\"}]",
          LLMGW_EPROVIDER, LLMGW_ERRCLASS_CONTEXT_LENGTH_EXCEEDED, 400, "too many tokens" },
        { "[{\"status\":401,\"error_message\":\"invalid api token\"}]", LLMGW_EAUTH, LLMGW_ERRCLASS_AUTH, 401,
          "invalid api token" },
        { "[{\"status\":403}]", LLMGW_EAUTH, LLMGW_ERRCLASS_AUTH, 403, "forbidden" },
        { "[{\"status\":404,\"error_message\":\"model 'nope' not found\"}]", LLMGW_ENOTFOUND,
          LLMGW_ERRCLASS_NOT_FOUND, 404, "not found" },
        { "[{\"status\":422}]", LLMGW_EPROVIDER, LLMGW_ERRCLASS_BAD_REQUEST, 422, "unprocessable" },
        { "[{\"status\":429,\"error_message\":\"Please wait and try again later\"}]", LLMGW_ERATELIMIT,
          LLMGW_ERRCLASS_RATE_LIMIT, 429, "try again later" },
        { "[{\"status\":429,\"error_message\":\"You are using a Trial key, which is limited to 1000 API calls / "
          "month.\"}]", LLMGW_ERATELIMIT, LLMGW_ERRCLASS_QUOTA_EXCEEDED, 429, "Trial key" },
        { "[{\"status\":498,\"error_message\":\"invalid token\"}]", LLMGW_EAUTH, LLMGW_ERRCLASS_AUTH, 498,
          "invalid token" },
        { "[{\"status\":499,\"error_message\":\"client closed request\"}]", LLMGW_EUNAVAILABLE,
          LLMGW_ERRCLASS_SERVER_ERROR, 499, "client closed" },
        { "[{\"status\":500}]", LLMGW_EUNAVAILABLE, LLMGW_ERRCLASS_SERVER_ERROR, 500, "server error" },
        { "[{\"status\":503}]", LLMGW_EUNAVAILABLE, LLMGW_ERRCLASS_SERVER_ERROR, 503, "unavailable" },
        /* a 200 answer whose generation failed */
        { "[{\"finish_reason\":\"ERROR\"}]", LLMGW_EUNAVAILABLE, LLMGW_ERRCLASS_SERVER_ERROR, 200, "ERROR" },
        { "[{\"finish_reason\":\"TIMEOUT\"}]", LLMGW_ETIMEOUT, LLMGW_ERRCLASS_TIMEOUT, 200, "TIMEOUT" },
    };
    itest t;
    llmgw_response *r = NULL;
    size_t i;
    int rc;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        start(&t, 1);               /* a fresh gateway: auth and not-found failures hold a deployment */
        itest_script(&t, "c", cases[i].script);
        rc = itest_complete(&t, "co", "hi", &r);
        assert_null(r);
        if (rc != cases[i].code || llmgw_error_last()->error_class != cases[i].cls ||
            llmgw_error_last()->http_status != cases[i].http ||
            strstr(llmgw_error_last()->message, cases[i].words) == NULL)
            fail_msg("case %zu: rc %d class %s http %d; message: %s", i, rc,
                     llmgw_error_class_str(llmgw_error_last()->error_class), llmgw_error_last()->http_status,
                     llmgw_error_last()->message);
        assert_string_equal(llmgw_error_last()->provider, "cohere");
        assert_null(strstr(llmgw_error_last()->message, "SECRETKEY"));
        itest_stop(&t);
    }
}

static void test_no_key(void **state)
{
    itest t;
    llmgw_response *r = NULL;

    (void)state;
    unsetenv("COHERE_API_KEY");
    unsetenv("CO_API_KEY");
    itest_start(&t, NULL);
    add_cohere(&t, "nokey", "n", NULL);
    assert_int_equal(itest_complete(&t, "nokey", "hi", &r), LLMGW_EAUTH);
    assert_non_null(strstr(llmgw_error_last()->message, "COHERE_API_KEY"));
    assert_int_equal(itest_request_count(&t, "n"), 0);
    itest_stop(&t);
}

static void test_refused_parameters(void **state)
{
    itest t;
    llmgw_request *req;
    llmgw_response *r = NULL;
    cJSON *body;

    (void)state;
    start(&t, 3);
    req = request_json("{\"model\":\"co\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"user\":\"u-42\","
                       "\"temperature\":0.2}");
    assert_int_equal(llmgw_complete(t.gw, req, &r), LLMGW_EUNSUPPORTED);
    assert_int_equal(llmgw_error_last()->error_class, LLMGW_ERRCLASS_UNSUPPORTED);
    assert_non_null(strstr(llmgw_error_last()->message, "'user'"));
    assert_int_equal(itest_request_count(&t, "c"), 0);             /* nothing was sent */
    llmgw_request_free(req);
    /* drop_params: dropped, the rest goes */
    req = request_json("{\"model\":\"co\",\"drop_params\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
                       "\"user\":\"u-42\",\"temperature\":0.2}");
    assert_int_equal(llmgw_complete(t.gw, req, &r), 0);
    body = sent_body(&t, "c", 0, NULL, NULL, 0);
    assert_null(cJSON_GetObjectItem(body, "user"));
    assert_null(cJSON_GetObjectItem(body, "drop_params"));
    assert_true(cJSON_GetObjectItem(body, "temperature")->valuedouble == 0.2);
    cJSON_Delete(body);
    llmgw_response_free(r);
    llmgw_request_free(req);
    itest_stop(&t);
}

static void test_stream_errors(void **state)
{
    itest t;
    collect c;
    llmgw_response *r = NULL;
    mock_ledger led;

    (void)state;
    /* before the commit point (after message-start only): retried */
    start(&t, 3);
    itest_script(&t, "c", "[{\"error_event\":{\"message\":\"internal error\"},\"error_after_events\":1}]");
    collect_init(&c);
    assert_int_equal(itest_stream(&t, "co", "hi", &c, &r), 0);
    assert_int_equal(llmgw_response_attempt_count(r), 2);
    assert_int_equal(llmgw_response_attempt(r, 0)->error_class, LLMGW_ERRCLASS_SERVER_ERROR);
    assert_string_equal(c.text, "Hello from the mock upstream.");
    assert_int_equal(c.error_calls, 0);
    llmgw_response_free(r);
    itest_stop(&t);
    /* ... classified from the message: a rate limit (one attempt: no waiting out the hold) */
    start(&t, 1);
    itest_script(&t, "c", "[{\"error_event\":{\"message\":\"rate limit exceeded, slow down\"},"
                          "\"error_after_events\":1}]");
    collect_init(&c);
    assert_int_equal(itest_stream(&t, "co", "hi", &c, NULL), LLMGW_ERATELIMIT);
    assert_int_equal(c.error_class, LLMGW_ERRCLASS_RATE_LIMIT);
    assert_int_equal(c.error_calls, 1);
    assert_non_null(strstr(c.error_message, "rate limit exceeded, slow down"));
    itest_stop(&t);

    /* after the commit point: a typed terminal error, never retried */
    start(&t, 3);
    itest_script(&t, "c", "[{\"text\":\"a b c\",\"error_event\":{\"message\":\"internal error\"},"
                          "\"error_after_events\":4}]");
    collect_init(&c);
    assert_int_equal(itest_stream(&t, "co", "hi", &c, NULL), LLMGW_EUNAVAILABLE);
    assert_int_equal(c.error_class, LLMGW_ERRCLASS_STREAM_CUT);
    assert_int_equal(c.done_calls, 0);
    assert_int_equal(c.error_calls, 1);
    assert_string_equal(c.text, "a b");
    assert_non_null(strstr(c.error_message, "internal error"));
    assert_int_equal(itest_request_count(&t, "c"), 1);
    itest_stop(&t);

    /* cut before message-end, after text: a cut stream, never a clean finish */
    start(&t, 3);
    itest_script(&t, "c", "[{\"text\":\"a b c d\",\"cut_after_events\":4}]");
    collect_init(&c);
    assert_int_equal(itest_stream(&t, "co", "hi", &c, NULL), LLMGW_EUNAVAILABLE);
    assert_int_equal(c.error_class, LLMGW_ERRCLASS_STREAM_CUT);
    assert_int_equal(c.done_calls, 0);
    assert_string_equal(c.text, "a b");
    assert_int_equal(itest_request_count(&t, "c"), 1);
    mock_server_ledger(t.srv, "c", &led);
    assert_int_equal(led.usage_reports, 0);
    itest_stop(&t);

    /* cut before anything was delivered, then a reset: retried to success */
    start(&t, 3);
    itest_script(&t, "c", "[{\"cut_after_events\":2},{\"reset\":\"after_events\",\"reset_after_events\":1},"
                          "{\"text\":\"fine now\"}]");
    collect_init(&c);
    assert_int_equal(itest_stream(&t, "co", "hi", &c, &r), 0);
    assert_string_equal(c.text, "fine now");
    assert_int_equal(llmgw_response_attempt_count(r), 3);
    assert_int_equal(llmgw_response_attempt(r, 0)->error_class, LLMGW_ERRCLASS_NETWORK);
    llmgw_response_free(r);
    itest_stop(&t);

    /* a malformed event before the commit point: server_error, retried */
    start(&t, 3);
    itest_script(&t, "c", "[{\"malformed\":true}]");
    collect_init(&c);
    assert_int_equal(itest_stream(&t, "co", "hi", &c, &r), 0);
    assert_int_equal(llmgw_response_attempt(r, 0)->error_class, LLMGW_ERRCLASS_SERVER_ERROR);
    llmgw_response_free(r);
    itest_stop(&t);
}

static void test_bad_bodies(void **state)
{
    static const char *const raw[] = {
        "{\"tokens\":{\"input_tokens\":-5,\"output_tokens\":1}}",
        "{\"tokens\":{\"input_tokens\":1e308,\"output_tokens\":1}}",
        "{\"tokens\":{\"input_tokens\":1.5,\"output_tokens\":1}}",
        "{\"tokens\":{\"input_tokens\":\"7\",\"output_tokens\":1}}",
        "{\"tokens\":{\"input_tokens\":5,\"output_tokens\":1},\"cached_tokens\":9}",
    };
    itest t;
    llmgw_response *r = NULL;
    char script[512], esc[256];
    size_t i, j, k;

    (void)state;
    for (i = 0; i < sizeof(raw) / sizeof(raw[0]); i++) {
        for (j = 0, k = 0; raw[i][j] && k + 2 < sizeof(esc); j++) {
            if (raw[i][j] == '"')
                esc[k++] = '\\';
            esc[k++] = raw[i][j];
        }
        esc[k] = '\0';
        start(&t, 1);
        snprintf(script, sizeof(script), "{\"steps\":[{\"usage_raw\":\"%s\"}],\"then\":\"repeat_last\"}", esc);
        itest_script(&t, "c", script);
        if (itest_complete(&t, "co", "hi", &r) != LLMGW_EUNAVAILABLE)
            fail_msg("usage %s accepted", raw[i]);
        assert_non_null(strstr(llmgw_error_last()->message, "cohere"));
        itest_stop(&t);
    }
    /* a body cut in half: retried once */
    start(&t, 3);
    itest_script(&t, "c", "{\"steps\":[{\"malformed\":true}],\"then\":\"repeat_last\"}");
    assert_int_equal(itest_complete(&t, "co", "hi", &r), LLMGW_EUNAVAILABLE);
    assert_int_equal(llmgw_error_last()->error_class, LLMGW_ERRCLASS_NETWORK);
    assert_int_equal(itest_request_count(&t, "c"), 2);
    itest_stop(&t);
}

/* The dialect itself: the bearer key is required, and OpenAI-only members are refused. */
static void test_mock_dialect(void **state)
{
    itest t;
    char *resp;

    (void)state;
    itest_start(&t, NULL);
    assert_int_equal(raw_post(&t, "/v2/chat", "Content-Type: application/json\r\n",
                              "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", &resp), 401);
    assert_non_null(strstr(resp, "\"message\":\"mock: invalid api token"));
    free(resp);
    assert_int_equal(raw_post(&t, "/v2/chat", "Content-Type: application/json\r\nAuthorization: Bearer k\r\n",
                              "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"top_p\":0.5}",
                              &resp), 400);
    assert_non_null(strstr(resp, "unknown field 'top_p'"));
    free(resp);
    assert_int_equal(raw_post(&t, "/v2/chat", "Content-Type: application/json\r\nAuthorization: Bearer k\r\n",
                              "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
                              "\"stream\":true}", &resp), 200);
    assert_non_null(strstr(resp, "text/event-stream"));
    assert_non_null(strstr(resp, "event: message-start\ndata: {"));
    assert_non_null(strstr(resp, "event: message-end\ndata: {\"type\":\"message-end\",\"delta\":"
                                 "{\"finish_reason\":\"COMPLETE\",\"usage\":{"));
    assert_non_null(strstr(resp, "data: [DONE]"));
    free(resp);
    itest_stop(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nonstream),
        cmocka_unit_test(test_stream),
        cmocka_unit_test(test_tool_calls),
        cmocka_unit_test(test_error_classes),
        cmocka_unit_test(test_no_key),
        cmocka_unit_test(test_refused_parameters),
        cmocka_unit_test(test_stream_errors),
        cmocka_unit_test(test_bad_bodies),
        cmocka_unit_test(test_mock_dialect),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
