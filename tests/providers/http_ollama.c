/*
 * tests/providers/http_ollama.c: the ollama provider over loopback HTTP
 * against the mock's /api/chat dialect: answers, NDJSON streams, tool calls,
 * images, the request on the wire, usage equal to the mock's ledger, the
 * error classes the provider maps, error lines inside a 200 stream before
 * and after the commit point, cut and malformed streams, OLLAMA_HOST.
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

static void add_ollama(itest *t, const char *group, const char *lane, const char *key)
{
    llmgw_deployment_options d;
    char base[256];

    if (lane != NULL)
        snprintf(base, sizeof(base), "%s/lane/%s", mock_server_base_url(t->srv), lane);
    assert_int_equal(llmgw_deployment_options_init(&d, LLMGW_DEPLOYMENT_OPTIONS_VERSION), 0);
    d.group = group;
    d.model = "ollama/llama3.2";
    d.api_base = lane ? base : NULL;
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
    add_ollama(t, "ol", "o", NULL);
}

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

static const cJSON *get(const cJSON *o, const char *k)
{
    return cJSON_GetObjectItem(o, k);
}

static void test_nonstream(void **state)
{
    itest t;
    llmgw_request *req;
    llmgw_response *r = NULL;
    const llmgw_usage *u;
    mock_ledger led;
    cJSON *body, *headers, *opts;
    char path[128];

    (void)state;
    start(&t, 1);
    req = request_json("{\"model\":\"ol\",\"messages\":[{\"role\":\"system\",\"content\":\"Be terse.\"},"
                       "{\"role\":\"user\",\"content\":\"Say hello to the tests\"}],\"max_tokens\":50,"
                       "\"temperature\":0.3,\"top_p\":0.5,\"top_k\":10,\"stop\":\"END\",\"seed\":9,"
                       "\"response_format\":{\"type\":\"json_object\"}}");
    assert_int_equal(llmgw_complete(t.gw, req, &r), 0);
    assert_string_equal(llmgw_response_text(r), "Hello from the mock upstream.");
    assert_string_equal(llmgw_response_finish_reason(r), "stop");
    assert_string_equal(llmgw_response_provider(r), "ollama");
    assert_string_equal(llmgw_response_model(r), "llama3.2");
    u = llmgw_response_usage(r);
    mock_server_ledger(t.srv, "o", &led);
    assert_int_equal(led.usage_reports, 1);
    assert_int_equal(led.responses_ok, 1);
    assert_int_equal(u->input_tokens, led.prompt_tokens);
    assert_int_equal(u->output_tokens, led.completion_tokens);
    assert_int_equal(u->input_tokens, 2 + 5 + 4 * 2);
    assert_int_equal(u->output_tokens, 5);
    assert_int_equal(u->usage_known, 1);

    body = sent_body(&t, "o", 0, &headers, path, sizeof(path));
    assert_string_equal(path, "/api/chat");
    assert_null(get(headers, "authorization"));                 /* no key configured, none sent */
    assert_string_equal(get(headers, "content-type")->valuestring, "application/json");
    assert_string_equal(get(body, "model")->valuestring, "llama3.2");
    assert_true(cJSON_IsFalse(get(body, "stream")));           /* explicit: Ollama streams by default */
    assert_string_equal(get(body, "format")->valuestring, "json");
    opts = cJSON_GetObjectItem(body, "options");
    assert_int_equal(get(opts, "num_predict")->valueint, 50);
    assert_true(get(opts, "top_p")->valuedouble == 0.5);
    assert_int_equal(get(opts, "top_k")->valueint, 10);
    assert_int_equal(get(opts, "seed")->valueint, 9);
    assert_string_equal(cJSON_GetArrayItem(get(opts, "stop"), 0)->valuestring, "END");
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
    cJSON *body;

    (void)state;
    start(&t, 1);
    itest_script(&t, "o", "[{\"text\":\"one two three four five six\",\"finish_reason\":\"length\"}]");
    collect_init(&c);
    assert_int_equal(itest_stream(&t, "ol", "hi", &c, &r), 0);
    assert_string_equal(c.text, "one two three four five six");
    assert_int_equal(c.text_calls, 6);
    assert_int_equal(c.done_calls, 1);
    assert_int_equal(c.error_calls, 0);
    assert_int_equal(c.usage_calls, 1);
    assert_true(c.order_ok);
    assert_string_equal(c.done_finish, "length");
    assert_string_equal(llmgw_response_finish_reason_raw(r), "length");
    mock_server_ledger(t.srv, "o", &led);
    assert_int_equal(led.usage_reports, 1);
    assert_int_equal(led.responses_ok, 1);
    assert_int_equal(llmgw_response_usage(r)->input_tokens, led.prompt_tokens);
    assert_int_equal(llmgw_response_usage(r)->output_tokens, led.completion_tokens);
    assert_int_equal(c.usage_output, led.completion_tokens);
    body = sent_body(&t, "o", 0, NULL, NULL, 0);
    assert_true(cJSON_IsTrue(get(body, "stream")));
    cJSON_Delete(body);
    llmgw_response_free(r);
    itest_stop(&t);
}

static const char *TOOL_SCRIPT =
    "{\"steps\":[{\"tool_calls\":[{\"id\":\"call_1\",\"name\":\"get_weather\",\"arguments\":{\"city\":\"Paris\"}},"
    "{\"id\":\"call_2\",\"name\":\"get_time\",\"arguments\":{\"tz\":\"CET\"}}]}],\"then\":\"repeat_last\"}";

static void test_tool_calls(void **state)
{
    itest t;
    collect c;
    llmgw_response *r = NULL;
    llmgw_request *req;
    llmgw_stream_sink s;
    cJSON *body;
    const cJSON *m;

    (void)state;
    start(&t, 1);
    itest_script(&t, "o", TOOL_SCRIPT);
    req = itest_request("ol", "weather and time in Paris?");
    assert_int_equal(llmgw_request_add_tool(req, "get_weather", "Weather of a city",
                     "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}}}"), 0);
    assert_int_equal(llmgw_complete(t.gw, req, &r), 0);
    assert_int_equal(llmgw_response_tool_call_count(r), 2);
    assert_string_equal(llmgw_response_tool_call(r, 0)->id, "call_1");
    assert_string_equal(llmgw_response_tool_call(r, 0)->name, "get_weather");
    assert_string_equal(llmgw_response_tool_call(r, 0)->arguments, "{\"city\":\"Paris\"}");
    assert_string_equal(llmgw_response_tool_call(r, 1)->arguments, "{\"tz\":\"CET\"}");
    assert_string_equal(llmgw_response_finish_reason(r), "tool_calls");       /* Ollama said "stop" */
    assert_string_equal(llmgw_response_finish_reason_raw(r), "stop");
    llmgw_response_free(r);
    body = sent_body(&t, "o", 0, NULL, NULL, 0);
    assert_string_equal(get(get(cJSON_GetArrayItem(get(body, "tools"), 0), "function"), "name")->valuestring,
                        "get_weather");
    cJSON_Delete(body);

    collect_init(&c);
    s = collect_sink(&c);
    assert_int_equal(llmgw_complete_stream(t.gw, req, &s, &r), 0);
    assert_string_equal(c.tool_ids[0], "call_1");
    assert_string_equal(c.tool_names[1], "get_time");
    assert_string_equal(c.tool_args[0], "{\"city\":\"Paris\"}");
    assert_string_equal(c.tool_args[1], "{\"tz\":\"CET\"}");
    assert_string_equal(c.done_finish, "tool_calls");
    llmgw_response_free(r);

    /* the next turn: arguments go back as an object, the result names its tool */
    assert_int_equal(llmgw_request_add_message(req, LLMGW_ROLE_ASSISTANT, NULL), 0);
    assert_int_equal(llmgw_request_add_tool_call(req, "call_1", "get_weather", "{\"city\":\"Paris\"}"), 0);
    assert_int_equal(llmgw_request_add_tool_result(req, "call_1", "sunny, 21C"), 0);
    itest_script(&t, "o", "[{\"text\":\"It is sunny.\"}]");
    assert_int_equal(llmgw_complete(t.gw, req, &r), 0);
    assert_string_equal(llmgw_response_text(r), "It is sunny.");
    body = sent_body(&t, "o", 2, NULL, NULL, 0);
    m = get(body, "messages");
    assert_string_equal(get(get(get(cJSON_GetArrayItem(get(cJSON_GetArrayItem(m, 1), "tool_calls"), 0),
                                    "function"), "arguments"), "city")->valuestring, "Paris");
    assert_string_equal(get(cJSON_GetArrayItem(m, 2), "role")->valuestring, "tool");
    assert_string_equal(get(cJSON_GetArrayItem(m, 2), "tool_name")->valuestring, "get_weather");
    assert_string_equal(get(cJSON_GetArrayItem(m, 2), "content")->valuestring, "sunny, 21C");
    cJSON_Delete(body);
    llmgw_response_free(r);
    llmgw_request_free(req);
    itest_stop(&t);
}

static void test_images(void **state)
{
    itest t;
    llmgw_request *req;
    llmgw_response *r = NULL;
    cJSON *body;

    (void)state;
    start(&t, 1);
    req = itest_request("ol", "What is in this picture?");
    assert_int_equal(llmgw_request_add_image_part(req, "data:image/png;base64,iVBORw0KGgoAAAANSUhEUg==", NULL), 0);
    assert_int_equal(llmgw_complete(t.gw, req, &r), 0);
    body = sent_body(&t, "o", 0, NULL, NULL, 0);
    assert_string_equal(get(cJSON_GetArrayItem(get(body, "messages"), 0), "content")->valuestring,
                        "What is in this picture?");
    assert_string_equal(cJSON_GetArrayItem(get(cJSON_GetArrayItem(get(body, "messages"), 0), "images"), 0)
                        ->valuestring, "iVBORw0KGgoAAAANSUhEUg==");
    cJSON_Delete(body);
    llmgw_response_free(r);
    llmgw_request_free(req);
    /* an image by URL cannot be sent: refused before any request */
    req = itest_request("ol", "And this one?");
    assert_int_equal(llmgw_request_add_image_part(req, "https://example.com/cat.png", NULL), 0);
    assert_int_equal(llmgw_complete(t.gw, req, &r), LLMGW_EUNSUPPORTED);
    assert_int_equal(llmgw_error_last()->error_class, LLMGW_ERRCLASS_UNSUPPORTED);
    assert_non_null(strstr(llmgw_error_last()->message, "an image by URL"));
    assert_int_equal(itest_request_count(&t, "o"), 1);
    llmgw_request_free(req);
    itest_stop(&t);
}

static void test_error_classes(void **state)
{
    static const struct { const char *script; int code, cls, http; const char *words; } cases[] = {
        { "[{\"status\":404,\"error_message\":\"model \\\"llama9\\\" not found, try pulling it first\"}]",
          LLMGW_ENOTFOUND, LLMGW_ERRCLASS_NOT_FOUND, 404, "try pulling it first" },
        { "[{\"status\":400,\"error_message\":\"the prompt is longer than the context length currently available "
          "to the model; shorten the prompt\"}]", LLMGW_EPROVIDER, LLMGW_ERRCLASS_CONTEXT_LENGTH_EXCEEDED, 400,
          "longer than the context length" },
        { "[{\"status\":400,\"error_message\":\"registry.ollama.ai/library/gemma:2b does not support tools\"}]",
          LLMGW_EPROVIDER, LLMGW_ERRCLASS_BAD_REQUEST, 400, "does not support tools" },
        { "[{\"status\":401,\"error_message\":\"unauthorized\"}]", LLMGW_EAUTH, LLMGW_ERRCLASS_AUTH, 401, "unauthorized" },
        { "[{\"status\":429,\"error_message\":\"too many requests\"}]", LLMGW_ERATELIMIT, LLMGW_ERRCLASS_RATE_LIMIT,
          429, "too many requests" },
        { "[{\"status\":500,\"error_message\":\"the model failed to generate a response\"}]", LLMGW_EUNAVAILABLE,
          LLMGW_ERRCLASS_SERVER_ERROR, 500, "failed to generate" },
        { "[{\"status\":502}]", LLMGW_EUNAVAILABLE, LLMGW_ERRCLASS_SERVER_ERROR, 502, "bad gateway" },
        { "[{\"status\":503,\"error_message\":\"server busy, please try again.  maximum pending requests exceeded\"}]",
          LLMGW_EUNAVAILABLE, LLMGW_ERRCLASS_SERVER_ERROR, 503, "server busy" },
    };
    itest t;
    llmgw_response *r = NULL;
    size_t i;
    int rc;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        start(&t, 1);               /* a fresh gateway: auth and not-found failures hold a deployment */
        itest_script(&t, "o", cases[i].script);
        rc = itest_complete(&t, "ol", "hi", &r);
        assert_null(r);
        if (rc != cases[i].code || llmgw_error_last()->error_class != cases[i].cls ||
            llmgw_error_last()->http_status != cases[i].http ||
            strstr(llmgw_error_last()->message, cases[i].words) == NULL)
            fail_msg("case %zu: rc %d class %s http %d; message: %s", i, rc,
                     llmgw_error_class_str(llmgw_error_last()->error_class), llmgw_error_last()->http_status,
                     llmgw_error_last()->message);
        assert_string_equal(llmgw_error_last()->provider, "ollama");
        itest_stop(&t);
    }
}

static void test_stream_errors(void **state)
{
    itest t;
    collect c;
    llmgw_response *r = NULL;
    mock_ledger led;

    (void)state;
    /* an error line before anything was delivered: retried */
    start(&t, 3);
    itest_script(&t, "o", "[{\"error_event\":{\"error\":\"an error was encountered while running the model\"}}]");
    collect_init(&c);
    assert_int_equal(itest_stream(&t, "ol", "hi", &c, &r), 0);
    assert_int_equal(llmgw_response_attempt_count(r), 2);
    assert_int_equal(llmgw_response_attempt(r, 0)->error_class, LLMGW_ERRCLASS_SERVER_ERROR);
    assert_string_equal(c.text, "Hello from the mock upstream.");
    llmgw_response_free(r);
    itest_stop(&t);

    /* after the commit point: a typed terminal error with the upstream's words */
    start(&t, 3);
    itest_script(&t, "o", "[{\"text\":\"a b c\",\"error_event\":{\"message\":\"an error was encountered while "
                          "running the model\"},\"error_after_events\":2}]");
    collect_init(&c);
    assert_int_equal(itest_stream(&t, "ol", "hi", &c, NULL), LLMGW_EUNAVAILABLE);
    assert_int_equal(c.error_class, LLMGW_ERRCLASS_STREAM_CUT);
    assert_int_equal(c.done_calls, 0);
    assert_string_equal(c.text, "a b");
    assert_non_null(strstr(c.error_message, "an error was encountered while running the model"));
    assert_int_equal(itest_request_count(&t, "o"), 1);
    itest_stop(&t);

    /* no done:true line: a cut stream */
    start(&t, 3);
    itest_script(&t, "o", "[{\"text\":\"a b c d\",\"cut_after_events\":2}]");
    collect_init(&c);
    assert_int_equal(itest_stream(&t, "ol", "hi", &c, NULL), LLMGW_EUNAVAILABLE);
    assert_int_equal(c.error_class, LLMGW_ERRCLASS_STREAM_CUT);
    assert_string_equal(c.text, "a b");
    mock_server_ledger(t.srv, "o", &led);
    assert_int_equal(led.usage_reports, 0);
    itest_stop(&t);

    /* a malformed first line, and a stream cut before its first line: both retried before commit */
    start(&t, 3);
    itest_script(&t, "o", "[{\"malformed\":true},{\"text\":\"fine now\"}]");
    collect_init(&c);
    assert_int_equal(itest_stream(&t, "ol", "hi", &c, &r), 0);
    assert_string_equal(c.text, "fine now");
    assert_int_equal(llmgw_response_attempt(r, 0)->error_class, LLMGW_ERRCLASS_SERVER_ERROR);
    llmgw_response_free(r);
    itest_stop(&t);
    start(&t, 3);
    itest_script(&t, "o", "[{\"cut_after_events\":0},{\"text\":\"fine again\"}]");
    collect_init(&c);
    assert_int_equal(itest_stream(&t, "ol", "hi", &c, &r), 0);
    assert_string_equal(c.text, "fine again");
    assert_int_equal(llmgw_response_attempt(r, 0)->error_class, LLMGW_ERRCLASS_NETWORK);
    llmgw_response_free(r);
    itest_stop(&t);
}

static void test_bad_counts(void **state)
{
    static const char *const raw[] = { "\\\"prompt_eval_count\\\":-5,\\\"eval_count\\\":1",
                                       "\\\"prompt_eval_count\\\":1e308,\\\"eval_count\\\":1",
                                       "\\\"prompt_eval_count\\\":2,\\\"eval_count\\\":0.5" };
    itest t;
    llmgw_response *r = NULL;
    collect c;
    char script[256];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(raw) / sizeof(raw[0]); i++) {
        start(&t, 1);
        snprintf(script, sizeof(script), "{\"steps\":[{\"usage_raw\":\"%s\"}],\"then\":\"repeat_last\"}", raw[i]);
        itest_script(&t, "o", script);
        if (itest_complete(&t, "ol", "hi", &r) != LLMGW_EUNAVAILABLE)
            fail_msg("counts %s accepted", raw[i]);
        collect_init(&c);
        assert_true(itest_stream(&t, "ol", "hi", &c, NULL) < 0);
        assert_int_equal(c.done_calls, 0);
        assert_int_equal(c.error_calls, 1);
        itest_stop(&t);
    }
}

static void test_host_and_key(void **state)
{
    itest t;
    llmgw_response *r = NULL;
    char host[128];
    cJSON *body, *headers;

    (void)state;
    itest_start(&t, NULL);
    /* OLLAMA_HOST as people write it (no scheme); the lane rides along as a path */
    snprintf(host, sizeof(host), "0.0.0.0:%u/lane/env/", mock_server_port(t.srv));
    assert_int_equal(setenv("OLLAMA_HOST", host, 1), 0);
    add_ollama(&t, "env", NULL, "ol-key");
    assert_int_equal(unsetenv("OLLAMA_HOST"), 0);
    assert_int_equal(itest_complete(&t, "env", "hi", &r), 0);
    assert_non_null(strstr(llmgw_response_deployment(r), "ollama/llama3.2"));
    body = sent_body(&t, "env", 0, &headers, NULL, 0);
    assert_string_equal(get(headers, "authorization")->valuestring, "Bearer ol-key");
    cJSON_Delete(body);
    cJSON_Delete(headers);
    llmgw_response_free(r);

    /* a plain-http, non-loopback OLLAMA_HOST is a configuration error at add time */
    {
        llmgw_deployment_options d;
        assert_int_equal(setenv("OLLAMA_HOST", "gpu-box.lan:11434", 1), 0);
        llmgw_deployment_options_init(&d, LLMGW_DEPLOYMENT_OPTIONS_VERSION);
        d.model = "ollama/llama3.2";
        assert_int_equal(llmgw_gateway_add_deployment(t.gw, &d), LLMGW_EINVAL);
        assert_int_equal(llmgw_error_last()->error_class, LLMGW_ERRCLASS_CONFIG);
        assert_non_null(strstr(llmgw_error_last()->message, "OLLAMA_HOST"));
        assert_non_null(strstr(llmgw_error_last()->message, "https://"));
        assert_int_equal(unsetenv("OLLAMA_HOST"), 0);
    }
    itest_stop(&t);
}

/* The dialect itself: no key needed, stream defaults to true (NDJSON), content must be a string. */
static void test_mock_dialect(void **state)
{
    itest t;
    char *resp;

    (void)state;
    itest_start(&t, NULL);
    assert_int_equal(raw_post(&t, "/api/chat", "",
                              "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", &resp), 200);
    assert_non_null(strstr(resp, "application/x-ndjson"));
    assert_non_null(strstr(resp, "\"done\":false}\n"));
    assert_non_null(strstr(resp, "\"done\":true,"));
    assert_non_null(strstr(resp, "\"prompt_eval_count\":5,"));
    free(resp);
    assert_int_equal(raw_post(&t, "/api/chat", "", "{\"model\":\"m\",\"stream\":false,\"messages\":[{\"role\":"
                              "\"user\",\"content\":\"hi\"}]}", &resp), 200);
    assert_non_null(strstr(resp, "application/json"));
    free(resp);
    assert_int_equal(raw_post(&t, "/api/chat", "", "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":"
                              "[{\"type\":\"text\",\"text\":\"hi\"}]}]}", &resp), 400);
    assert_non_null(strstr(resp, "{\"error\":\"mock: json: cannot unmarshal array"));
    free(resp);
    assert_int_equal(raw_post(&t, "/api/chat", "", "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":"
                              "\"hi\"}],\"max_tokens\":5}", &resp), 400);
    assert_non_null(strstr(resp, "unknown field 'max_tokens'"));
    free(resp);
    itest_stop(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nonstream),
        cmocka_unit_test(test_stream),
        cmocka_unit_test(test_tool_calls),
        cmocka_unit_test(test_images),
        cmocka_unit_test(test_error_classes),
        cmocka_unit_test(test_stream_errors),
        cmocka_unit_test(test_bad_counts),
        cmocka_unit_test(test_host_and_key),
        cmocka_unit_test(test_mock_dialect),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
