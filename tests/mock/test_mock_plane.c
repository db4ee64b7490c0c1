/*
 * The mock upstream's plumbing: lanes, recorded requests, reset, HTTP/1.1 (keep-alive, close,
 * 100-continue, chunked bodies, limits, pipelining), the control plane and loopback-only binding.
 */
#include "mock_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void test_lanes_and_records(void **state)
{
    mock_server *srv = *state;
    hres r;
    char v[128], url[256];
    script(srv, "a", "[{\"text\":\"from a\"}]");
    script(srv, "b.2-x_y", "[{\"text\":\"from b\"}]");
    chat(&r, srv, "a", 0, 0);
    assert_true(hres_header(&r, "x-mock-request-id", v, sizeof v));
    assert_string_equal(v, "a-1");
    assert_non_null(strstr(r.body, "from a"));
    hres_free(&r);
    chat(&r, srv, "b.2-x_y", 0, 0);
    assert_true(hres_header(&r, "x-mock-request-id", v, sizeof v));
    assert_string_equal(v, "b.2-x_y-1");
    assert_non_null(strstr(r.body, "from b"));
    hres_free(&r);
    static const char *const extra[] = {"X-Custom-Header: Value One", "x-custom-header: two",
                                        NULL};
    hreq rq = {.body = CHAT_BODY "}", .headers = extra};
    http_do(&r, mk_url(url, sizeof url, srv, "/lane/a/v1/chat/completions?api-version=1&x=%20"),
            &rq);
    assert_true(hres_header(&r, "x-mock-request-id", v, sizeof v));
    assert_string_equal(v, "a-2");
    assert_non_null(strstr(r.body, DEFAULT_TEXT));
    hres_free(&r);
    http_do(&r, mk_url(url, sizeof url, srv, "/lane/bad!lane/v1/chat/completions"), &rq);
    assert_int_equal(r.status, 400);
    hres_free(&r);

    /* control requests are not recorded */
    http_do(&r, mk_url(url, sizeof url, srv, "/lane/a/__mock/health"), NULL);
    assert_int_equal(r.status, 200);
    hres_free(&r);

    char *json = mock_server_requests(srv, "a");
    cJSON *j = cJSON_Parse(json);
    free(json);
    assert_int_equal(cJSON_GetArraySize(j), 2);
    assert_int_equal(num(j, "0.n"), 1);
    assert_int_equal(num(j, "1.n"), 2);
    assert_string_equal(str(j, "1.method"), "POST");
    assert_string_equal(str(j, "1.path"), "/v1/chat/completions");
    assert_string_equal(str(j, "1.query"), "api-version=1&x=%20");
    assert_string_equal(str(j, "1.headers.authorization"), "Bearer sk-test");
    assert_string_equal(str(j, "1.headers.content-type"), "application/json");
    assert_string_equal(str(j, "1.headers.x-custom-header"), "Value One, two");
    assert_string_equal(str(j, "1.body"), CHAT_BODY "}");
    cJSON_Delete(j);

    json = mock_server_requests(srv, "nobody");
    assert_string_equal(json, "[]");
    free(json);
    assert_null(mock_server_requests(srv, "bad!"));

    mock_ledger la, lb, all;
    mock_server_ledger(srv, "a", &la);
    mock_server_ledger(srv, "b.2-x_y", &lb);
    mock_server_ledger(srv, NULL, &all);
    assert_int_equal(la.requests, 2);
    assert_int_equal(lb.requests, 1);
    assert_int_equal(all.requests, 3);
    assert_int_equal(all.usage_reports, 3);
    assert_int_equal(all.prompt_tokens, 3 * CHAT_PROMPT_TOKENS);
    assert_int_equal(la.completion_tokens, 2 + 5);

    /* the record keeps the last 1000 */
    CURL *h = curl_easy_init();
    hreq keep = {.body = CHAT_BODY "}", .handle = h};
    for (int i = 0; i < 1003; i++) {
        http_do(&r, mk_url(url, sizeof url, srv, "/lane/many/v1/chat/completions"), &keep);
        assert_int_equal(r.status, 200);
        hres_free(&r);
    }
    curl_easy_cleanup(h);
    json = mock_server_requests(srv, "many");
    j = cJSON_Parse(json);
    free(json);
    assert_int_equal(cJSON_GetArraySize(j), 1000);
    assert_int_equal(num(j, "0.n"), 4);
    assert_int_equal(num(j, "999.n"), 1003);
    cJSON_Delete(j);

    mock_server_reset(srv);
    mock_server_ledger(srv, NULL, &all);
    assert_int_equal(all.requests, 0);
    json = mock_server_requests(srv, "a");
    assert_string_equal(json, "[]");
    free(json);
    chat(&r, srv, "a", 0, 0);              /* script gone, counter restarted */
    assert_true(hres_header(&r, "x-mock-request-id", v, sizeof v));
    assert_string_equal(v, "a-1");
    assert_non_null(strstr(r.body, DEFAULT_TEXT));
    hres_free(&r);
}

void test_keepalive_and_http(void **state)
{
    mock_server *srv = *state;
    hres r;
    char url[256], v[64];
    CURL *h = curl_easy_init();
    hreq rq = {.body = CHAT_BODY "}", .handle = h};
    mk_url(url, sizeof url, srv, "/v1/chat/completions");
    long port = 0;
    for (int i = 0; i < 3; i++) {
        http_do(&r, url, &rq);
        assert_int_equal(r.status, 200);
        assert_int_equal(r.connects, i == 0 ? 1 : 0);
        if (i == 0)
            port = r.local_port;
        assert_int_equal(r.local_port, port);
        hres_free(&r);
    }
    /* streams keep the connection too */
    rq.body = CHAT_BODY ",\"stream\":true}";
    http_do(&r, url, &rq);
    assert_int_equal(r.connects, 0);
    hres_free(&r);
    static const char *const close_hdr[] = {"Connection: close", NULL};
    rq.body = CHAT_BODY "}";
    rq.headers = close_hdr;
    http_do(&r, url, &rq);
    assert_int_equal(r.status, 200);
    assert_true(hres_header(&r, "connection", v, sizeof v));
    assert_string_equal(v, "close");
    hres_free(&r);
    rq.headers = NULL;
    http_do(&r, url, &rq);
    assert_int_equal(r.connects, 1);
    hres_free(&r);
    curl_easy_cleanup(h);

    static const char *const expect100[] = {"Expect: 100-continue", NULL};
    hreq ex = {.body = CHAT_BODY "}", .headers = expect100};
    http_do(&r, url, &ex);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.head, "100 Continue"));
    assert_true(r.seconds < 0.5);          /* curl waits 1 s when no 100 comes */
    hres_free(&r);

    hreq ch = {.body = CHAT_BODY "}", .chunked = 1};
    http_do(&r, url, &ch);
    assert_int_equal(r.status, 200);
    hres_free(&r);
    char *json = mock_server_requests(srv, "default");
    cJSON *j = cJSON_Parse(json);
    free(json);
    int n = cJSON_GetArraySize(j);
    assert_string_equal(str(cJSON_GetArrayItem(j, n - 1), "body"), CHAT_BODY "}");
    assert_string_equal(str(cJSON_GetArrayItem(j, n - 1), "headers.transfer-encoding"), "chunked");
    cJSON_Delete(j);

    /* raw sockets: limits, pipelining, garbage */
    unsigned short p = mock_server_port(srv);
    char *resp;
    size_t len;
    const char big[] = "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n"
                       "Content-Length: 20000000\r\n\r\n";
    assert_int_equal(raw_exchange(p, big, sizeof big - 1, &resp, &len, 2000), 0);
    assert_true(!strncmp(resp, "HTTP/1.1 413 ", 13));
    free(resp);
    size_t hlen = 70 * 1024;
    char *huge = malloc(hlen + 64);
    int off = snprintf(huge, hlen + 64, "GET / HTTP/1.1\r\nX-Big: ");
    memset(huge + off, 'a', hlen);
    memcpy(huge + off + hlen, "\r\n\r\n", 4);
    assert_int_equal(raw_exchange(p, huge, (size_t)off + hlen + 4, &resp, &len, 2000), 0);
    assert_true(!strncmp(resp, "HTTP/1.1 413 ", 13));
    free(resp);
    free(huge);
    char pipe[1024];
    int pl = snprintf(pipe, sizeof pipe,
                      "POST /lane/pipe/v1/chat/completions HTTP/1.1\r\nHost: x\r\n"
                      "Authorization: Bearer k\r\nContent-Type: application/json\r\n"
                      "Content-Length: %zu\r\n\r\n%s}"
                      "POST /lane/pipe/v1/chat/completions HTTP/1.1\r\nHost: x\r\n"
                      "Authorization: Bearer k\r\nContent-Type: application/json\r\n"
                      "Connection: close\r\nContent-Length: %zu\r\n\r\n%s}",
                      strlen(CHAT_BODY) + 1, CHAT_BODY, strlen(CHAT_BODY) + 1, CHAT_BODY);
    assert_int_equal(raw_exchange(p, pipe, (size_t)pl, &resp, &len, 2000), 0);
    assert_int_equal(count_substr(resp, len, "HTTP/1.1 200 OK"), 2);
    assert_int_equal(count_substr(resp, len, "x-mock-request-id: pipe-2"), 1);
    free(resp);
    const char junk[] = "HELLO THERE\r\n\r\n";
    assert_int_equal(raw_exchange(p, junk, sizeof junk - 1, &resp, &len, 2000), 0);
    assert_true(!strncmp(resp, "HTTP/1.1 400 ", 13));
    free(resp);
}

void test_control_plane(void **state)
{
    mock_server *srv = *state;
    hres r;
    char url[256], v[64];
    hreq post = {.body = "{\"steps\":[{\"text\":\"ctl\"},{\"status\":503}],\"then\":\"cycle\"}"};
    http_do(&r, mk_url(url, sizeof url, srv, "/__mock/script/x"), &post);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "{\"ok\":true,\"steps\":2}");
    assert_true(hres_header(&r, "x-mock-request-id", v, sizeof v));
    assert_true(!strncmp(v, "control-", 8));
    hres_free(&r);
    hreq badpost = {.body = "[{\"nope\":1}]"};
    http_do(&r, mk_url(url, sizeof url, srv, "/__mock/script/x"), &badpost);
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.body, "mock_script"));
    assert_non_null(strstr(r.body, "nope"));
    hres_free(&r);

    chat(&r, srv, "x", 0, 0);
    assert_non_null(strstr(r.body, "ctl"));
    hres_free(&r);
    chat(&r, srv, "x", 0, 0);
    assert_int_equal(r.status, 503);
    hres_free(&r);

    http_do(&r, mk_url(url, sizeof url, srv, "/__mock/requests/x"), NULL);
    assert_int_equal(r.status, 200);
    cJSON *j = parse_body(&r);
    assert_int_equal(cJSON_GetArraySize(j), 2);
    cJSON_Delete(j);
    hres_free(&r);
    http_do(&r, mk_url(url, sizeof url, srv, "/lane/zz/__mock/ledger/x"), NULL);
    j = parse_body(&r);
    assert_int_equal(num(j, "requests"), 2);
    assert_int_equal(num(j, "responses_ok"), 1);
    assert_int_equal(num(j, "usage_reports"), 1);
    assert_int_equal(num(j, "prompt_tokens"), CHAT_PROMPT_TOKENS);
    assert_int_equal(num(j, "completion_tokens"), 1);
    assert_int_equal(num(j, "cached_tokens"), 0);
    assert_int_equal(num(j, "reasoning_tokens"), 0);
    cJSON_Delete(j);
    hres_free(&r);
    http_do(&r, mk_url(url, sizeof url, srv, "/__mock/ledger"), NULL);
    j = parse_body(&r);
    assert_int_equal(num(j, "requests"), 2);
    cJSON_Delete(j);
    hres_free(&r);
    hreq reset = {.body = ""};
    http_do(&r, mk_url(url, sizeof url, srv, "/__mock/reset"), &reset);
    assert_int_equal(r.status, 200);
    hres_free(&r);
    http_do(&r, mk_url(url, sizeof url, srv, "/__mock/ledger"), NULL);
    j = parse_body(&r);
    assert_int_equal(num(j, "requests"), 0);
    cJSON_Delete(j);
    hres_free(&r);
    http_do(&r, mk_url(url, sizeof url, srv, "/__mock/nothing"), NULL);
    assert_int_equal(r.status, 404);
    hres_free(&r);
    http_do(&r, mk_url(url, sizeof url, srv, "/__mock/reset"), NULL);
    assert_int_equal(r.status, 405);
    hres_free(&r);
}

void test_loopback_only(void **state)
{
    (void)state;
    static const char *const refused[] = {"0.0.0.0", "192.168.1.1", "example.com", "::", ""};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        mock_server *srv = (mock_server *)1;
        assert_int_equal(mock_server_start(&srv, refused[i], 0), -1);
        assert_null(srv);
    }
    mock_server *srv = NULL;
    assert_int_equal(mock_server_start(&srv, "localhost", 0), 0);
    assert_true(mock_server_port(srv) > 0);
    char want[64];
    snprintf(want, sizeof want, "http://127.0.0.1:%u", (unsigned)mock_server_port(srv));
    assert_string_equal(mock_server_base_url(srv), want);
    mock_server_stop(srv);
    srv = NULL;
    if (mock_server_start(&srv, "::1", 0) == 0) {  /* hosts without IPv6 skip this part */
        hres r;
        chat(&r, srv, NULL, 0, 0);
        assert_int_equal(r.status, 200);
        assert_non_null(strstr(mock_server_base_url(srv), "[::1]"));
        hres_free(&r);
        mock_server_stop(srv);
    }
    mock_server_stop(NULL);
}
