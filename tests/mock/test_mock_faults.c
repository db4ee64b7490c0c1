/*
 * The mock upstream's faults, timing, stop-while-stalled and the ledger's exactness.
 */
#include "mock_test.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void chat_timeout(hres *out, const mock_server *srv, const char *lane, int stream,
                         int include_usage, long timeout_ms)
{
    char url[256], path[128], body[512];
    snprintf(path, sizeof path, "%s%s/v1/chat/completions", lane ? "/lane/" : "", lane ? lane : "");
    snprintf(body, sizeof body, "%s%s%s}", CHAT_BODY, stream ? ",\"stream\":true" : "",
             include_usage ? ",\"stream_options\":{\"include_usage\":true}" : "");
    hreq rq = {.body = body, .timeout_ms = timeout_ms};
    http_do(out, mk_url(url, sizeof url, srv, path), &rq);
}

static void check_alive(mock_server *srv)
{
    hres r;
    chat(&r, srv, "alive", 0, 0);
    assert_int_equal(r.rc, CURLE_OK);
    assert_int_equal(r.status, 200);
    hres_free(&r);
}

void test_resets(void **state)
{
    mock_server *srv = *state;
    hres r;
    sse s;
    char v[32];
    script(srv, NULL, "[{\"reset\":\"before_headers\"},{\"reset\":\"after_headers\"},"
                      "{\"reset\":\"mid_body\"},{\"reset\":\"after_events\",\"reset_after_events\":2},"
                      "{\"reset\":\"mid_body\"}]");
    chat(&r, srv, NULL, 0, 0);
    assert_int_not_equal(r.rc, CURLE_OK);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.body_len, 0);
    hres_free(&r);

    chat(&r, srv, NULL, 0, 0);
    assert_int_not_equal(r.rc, CURLE_OK);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.body_len, 0);
    hres_free(&r);

    chat(&r, srv, NULL, 0, 0);
    assert_int_not_equal(r.rc, CURLE_OK);
    assert_int_equal(r.status, 200);
    assert_true(hres_header(&r, "content-length", v, sizeof v));
    assert_true(r.body_len > 0 && r.body_len == strtoul(v, NULL, 10) / 2);
    hres_free(&r);

    chat(&r, srv, NULL, 1, 1);
    assert_int_not_equal(r.rc, CURLE_OK);
    assert_int_equal(r.status, 200);
    sse_parse(&s, r.body, r.body_len);
    assert_int_equal(s.n, 2);
    sse_free(&s);
    hres_free(&r);

    chat(&r, srv, NULL, 1, 1);             /* mid_body on a stream: part of the events */
    assert_int_not_equal(r.rc, CURLE_OK);
    assert_true(r.body_len > 100);
    assert_null(strstr(r.body, "[DONE]"));
    hres_free(&r);

    check_alive(srv);
    mock_ledger l;
    mock_server_ledger(srv, "default", &l);
    assert_int_equal(l.requests, 5);
    assert_int_equal(l.responses_ok, 0);
    assert_int_equal(l.usage_reports, 0);
}

void test_cut_and_omit_done(void **state)
{
    mock_server *srv = *state;
    hres r;
    sse s;
    script(srv, NULL, "[{\"cut_after_events\":3},{\"omit_done\":true},{\"cut_after_events\":0}]");
    chat(&r, srv, NULL, 1, 1);
    assert_int_equal(r.rc, CURLE_OK);      /* the chunked body ends cleanly */
    sse_parse(&s, r.body, r.body_len);
    assert_int_equal(s.n, 3);
    for (size_t i = 0; i < s.n; i++)
        assert_true(parses(s.ev[i]));
    assert_null(strstr(r.body, "[DONE]"));
    assert_null(strstr(r.body, "finish_reason\":\"stop"));
    sse_free(&s);
    hres_free(&r);

    chat(&r, srv, NULL, 1, 1);
    assert_int_equal(r.rc, CURLE_OK);
    sse_parse(&s, r.body, r.body_len);
    assert_int_equal(s.n, 8);              /* role, 5 words, finish, usage */
    assert_non_null(strstr(s.ev[7], "\"choices\":[]"));
    assert_null(strstr(r.body, "[DONE]"));
    sse_free(&s);
    hres_free(&r);

    chat(&r, srv, NULL, 1, 0);
    assert_int_equal(r.rc, CURLE_OK);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.body_len, 0);
    hres_free(&r);

    mock_ledger l;
    mock_server_ledger(srv, NULL, &l);
    assert_int_equal(l.responses_ok, 0);
    assert_int_equal(l.usage_reports, 1);  /* omit_done wrote its usage chunk */
    assert_int_equal(l.prompt_tokens, CHAT_PROMPT_TOKENS);
}

void test_malformed(void **state)
{
    mock_server *srv = *state;
    hres r;
    sse s;
    char v[32];
    script(srv, NULL, "[{\"malformed\":true},{\"malformed\":true}]");
    chat(&r, srv, NULL, 0, 0);
    assert_int_equal(r.rc, CURLE_OK);
    assert_int_equal(r.status, 200);
    assert_true(hres_header(&r, "content-length", v, sizeof v));
    assert_int_equal(strtoul(v, NULL, 10), r.body_len);
    assert_null(cJSON_ParseWithLength(r.body, r.body_len));
    hres_free(&r);

    chat(&r, srv, NULL, 1, 0);
    assert_int_equal(r.rc, CURLE_OK);
    sse_parse(&s, r.body, r.body_len);
    assert_int_equal(s.n, 8);
    int broken = 0;
    for (size_t i = 0; i + 1 < s.n; i++)
        broken += !parses(s.ev[i]);
    assert_int_equal(broken, 1);
    assert_false(parses(s.ev[1]));         /* the first text delta */
    assert_string_equal(s.ev[s.n - 1], "[DONE]");
    sse_free(&s);
    hres_free(&r);

    mock_ledger l;
    mock_server_ledger(srv, NULL, &l);
    assert_int_equal(l.responses_ok, 0);
    assert_int_equal(l.usage_reports, 0);
}

void test_oversize(void **state)
{
    mock_server *srv = *state;
    hres r;
    sse s;
    script(srv, NULL, "[{\"oversize_bytes\":200000},{\"oversize_bytes\":100000}]");
    chat(&r, srv, NULL, 0, 0);
    assert_int_equal(r.rc, CURLE_OK);
    assert_int_equal(r.body_len, 200000);
    cJSON *j = cJSON_ParseWithLength(r.body, r.body_len);
    assert_non_null(j);
    const cJSON *c = cJSON_GetObjectItem(
        cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "choices"), 0), "message"),
        "content");
    assert_true(cJSON_IsString(c));
    assert_true(!strncmp(c->valuestring, DEFAULT_TEXT, strlen(DEFAULT_TEXT)));
    cJSON_Delete(j);
    hres_free(&r);

    chat(&r, srv, NULL, 1, 0);
    assert_int_equal(r.rc, CURLE_OK);
    assert_int_equal(r.body_len, 100000);  /* the events add up to exactly N bytes */
    sse_parse(&s, r.body, r.body_len);
    for (size_t i = 0; i + 1 < s.n; i++)
        assert_true(parses(s.ev[i]));
    char *t = sse_text(&s);
    assert_true(!strncmp(t, DEFAULT_TEXT, strlen(DEFAULT_TEXT)));
    assert_true(strlen(t) > 90000);
    free(t);
    assert_string_equal(s.ev[s.n - 1], "[DONE]");
    sse_free(&s);
    hres_free(&r);
}

void test_invalid_utf8(void **state)
{
    mock_server *srv = *state;
    hres r;
    script(srv, NULL, "[{\"invalid_utf8\":true},{\"invalid_utf8\":true,\"text\":\"x\"}]");
    chat(&r, srv, NULL, 0, 0);
    assert_int_equal(r.status, 200);
    assert_non_null(memmem(r.body, r.body_len, "\xC3\x28", 2));
    assert_non_null(memmem(r.body, r.body_len, "\xFF", 1));
    hres_free(&r);
    chat(&r, srv, NULL, 1, 0);
    assert_non_null(memmem(r.body, r.body_len, "\xC3\x28", 2));
    assert_non_null(memmem(r.body, r.body_len, "\xFF", 1));
    hres_free(&r);
}

void test_error_event(void **state)
{
    mock_server *srv = *state;
    hres r;
    sse s;
    script(srv, NULL, "[{\"error_event\":{\"message\":\"boom\",\"type\":\"server_error\","
                      "\"code\":\"upstream_error\"},\"error_after_events\":2}]");
    chat(&r, srv, NULL, 1, 1);
    assert_int_equal(r.rc, CURLE_OK);
    assert_int_equal(r.status, 200);
    sse_parse(&s, r.body, r.body_len);
    assert_int_equal(s.n, 3);
    cJSON *j = cJSON_Parse(s.ev[2]);
    const cJSON *e = cJSON_GetObjectItem(j, "error");
    assert_string_equal(cJSON_GetObjectItem(e, "message")->valuestring, "boom");
    assert_string_equal(cJSON_GetObjectItem(e, "code")->valuestring, "upstream_error");
    cJSON_Delete(j);
    assert_null(strstr(r.body, "[DONE]"));
    sse_free(&s);
    hres_free(&r);
    mock_ledger l;
    mock_server_ledger(srv, NULL, &l);
    assert_int_equal(l.responses_ok, 0);
    assert_int_equal(l.usage_reports, 0);
}

void test_header_padding(void **state)
{
    mock_server *srv = *state;
    hres r;
    char name[32], *v = malloc(20000);
    script(srv, NULL, "[{\"header_count\":50,\"header_bytes\":10000}]");
    chat(&r, srv, NULL, 0, 0);
    assert_int_equal(r.status, 200);
    for (int i = 1; i <= 50; i++) {
        snprintf(name, sizeof name, "x-mock-pad-%d", i);
        assert_true(hres_header(&r, name, v, 20000));
        assert_string_equal(v, "v");
    }
    assert_true(hres_header(&r, "x-mock-pad-bytes", v, 20000));
    assert_int_equal(strlen(v), 10000);
    assert_int_equal(strspn(v, "a"), 10000);
    free(v);
    hres_free(&r);
}

void test_timing(void **state)
{
    mock_server *srv = *state;
    hres r;
    sse s;
    script(srv, NULL, "[{\"delay_ms\":200},{\"first_byte_delay_ms\":150},{\"event_delay_ms\":30},"
                      "{\"body\":\"0123456789\",\"drip_ms\":20},"
                      "{\"stall_after_events\":2,\"stall_ms\":300},"
                      "{\"drip_ms\":1,\"text\":\"ab\"}]");
    chat(&r, srv, NULL, 0, 0);
    assert_int_equal(r.status, 200);
    assert_true(r.seconds >= 0.19);
    hres_free(&r);
    chat(&r, srv, NULL, 0, 0);
    assert_int_equal(r.status, 200);
    assert_true(r.seconds >= 0.14);
    assert_true(parses(r.body));
    hres_free(&r);
    chat(&r, srv, NULL, 1, 0);
    assert_int_equal(r.rc, CURLE_OK);
    assert_true(r.seconds >= 0.2);         /* 8 events, 7 gaps of 30 ms */
    hres_free(&r);
    chat(&r, srv, NULL, 0, 0);
    assert_string_equal(r.body, "0123456789");
    assert_true(r.seconds >= 0.17);
    hres_free(&r);
    chat(&r, srv, NULL, 1, 0);
    assert_int_equal(r.rc, CURLE_OK);
    assert_true(r.seconds >= 0.29);
    sse_parse(&s, r.body, r.body_len);
    assert_int_equal(s.n, 8);
    sse_free(&s);
    hres_free(&r);
    chat(&r, srv, NULL, 1, 0);             /* a dripped stream reassembles */
    assert_int_equal(r.rc, CURLE_OK);
    sse_parse(&s, r.body, r.body_len);
    assert_int_equal(s.n, 4);
    char *t = sse_text(&s);
    assert_string_equal(t, "ab");
    free(t);
    sse_free(&s);
    hres_free(&r);
    mock_ledger l;
    mock_server_ledger(srv, NULL, &l);
    assert_int_equal(l.responses_ok, 6);
    assert_int_equal(l.usage_reports, 2);  /* the two rendered non-stream bodies */
}

void test_stall_forever_client_gone(void **state)
{
    mock_server *srv = *state;
    hres r;
    sse s;
    script(srv, NULL, "[{\"stall_after_events\":1},{\"delay_ms\":-1},{\"stall_after_events\":0}]");
    chat_timeout(&r, srv, NULL, 1, 0, 300);
    assert_int_equal(r.rc, CURLE_OPERATION_TIMEDOUT);
    sse_parse(&s, r.body, r.body_len);
    assert_int_equal(s.n, 1);
    sse_free(&s);
    hres_free(&r);
    chat_timeout(&r, srv, NULL, 0, 0, 300);     /* black hole */
    assert_int_equal(r.rc, CURLE_OPERATION_TIMEDOUT);
    assert_int_equal(r.status, 0);
    hres_free(&r);
    chat_timeout(&r, srv, NULL, 0, 0, 300);     /* headers, then nothing */
    assert_int_equal(r.rc, CURLE_OPERATION_TIMEDOUT);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.body_len, 0);
    hres_free(&r);
    check_alive(srv);
}

typedef struct client { const mock_server *srv; CURLcode rc; } client;

static void *stalled_client(void *arg)
{
    client *c = arg;
    hres r;
    chat_timeout(&r, c->srv, NULL, 1, 0, 20000);
    c->rc = r.rc;
    hres_free(&r);
    return NULL;
}

void test_stop_while_stalled(void **state)
{
    (void)state;
    mock_server *srv = NULL;
    assert_int_equal(mock_server_start(&srv, NULL, 0), 0);
    script(srv, NULL, "[{\"stall_after_events\":1},{\"delay_ms\":-1},"
                      "{\"stall_after_events\":0,\"stall_ms\":60000},{\"drip_ms\":60000}]");
    client c[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        c[i].srv = srv;
        c[i].rc = CURLE_OK;
        assert_int_equal(pthread_create(&th[i], NULL, stalled_client, &c[i]), 0);
    }
    mock_ledger l;
    double until = now_s() + 10;
    do {
        struct timespec ts = {0, 20000000};
        nanosleep(&ts, NULL);
        mock_server_ledger(srv, NULL, &l);
    } while (l.requests < 4 && now_s() < until);
    assert_int_equal(l.requests, 4);
    struct timespec ts = {0, 100000000};
    nanosleep(&ts, NULL);
    double t0 = now_s();
    mock_server_stop(srv);
    double took = now_s() - t0;
    if (took > 1.5)
        fail_msg("mock_server_stop took %.2f s", took);
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_int_not_equal(c[i].rc, CURLE_OK);
        assert_int_not_equal(c[i].rc, CURLE_OPERATION_TIMEDOUT);
    }
}

void test_ledger_accounting(void **state)
{
    mock_server *srv = *state;
    hres r;
    script(srv, "acct",
           "[{},{},{},{\"reset\":\"mid_body\"},{\"cut_after_events\":2},{\"status\":429},"
           "{\"usage\":{\"prompt_tokens\":100,\"completion_tokens\":50,\"cached_tokens\":30,"
           "\"reasoning_tokens\":20}},"
           "{\"reset\":\"after_events\",\"reset_after_events\":8},"
           "{\"stall_after_events\":7}]");
    static const struct { int stream, usage; long timeout; } calls[] = {
        {0, 0, 0}, {1, 0, 0}, {1, 1, 0}, {0, 0, 0}, {1, 1, 0}, {0, 0, 0}, {1, 1, 0}, {1, 1, 0},
        {1, 1, 300},
    };
    for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++) {
        chat_timeout(&r, srv, "acct", calls[i].stream, calls[i].usage,
                     calls[i].timeout ? calls[i].timeout : 10000);
        hres_free(&r);
    }
    mock_ledger l;
    mock_server_ledger(srv, "acct", &l);
    assert_int_equal(l.requests, 9);
    assert_int_equal(l.responses_ok, 4);
    assert_int_equal(l.usage_reports, 4);
    assert_int_equal(l.prompt_tokens, 3 * CHAT_PROMPT_TOKENS + 100);
    assert_int_equal(l.completion_tokens, 3 * 5 + 50);
    assert_int_equal(l.cached_tokens, 30);
    assert_int_equal(l.reasoning_tokens, 20);
    mock_ledger other;
    mock_server_ledger(srv, "nothing-here", &other);
    assert_int_equal(other.requests, 0);
}

void test_usage_raw(void **state)
{
    mock_server *srv = *state;
    hres r;
    script(srv, NULL,
           "[{\"usage_raw\":\"-5\"},"
           "{\"usage_raw\":\"{\\\"prompt_tokens\\\":1e308,\\\"completion_tokens\\\":3,"
           "\\\"total_tokens\\\":1.5}\"},"
           "{\"usage_raw\":\"{\\\"prompt_tokens\\\":7,\\\"completion_tokens\\\":2,"
           "\\\"prompt_tokens_details\\\":{\\\"cached_tokens\\\":4}}\"}]");
    chat(&r, srv, NULL, 0, 0);
    assert_non_null(strstr(r.body, "\"usage\":-5,"));
    hres_free(&r);
    chat(&r, srv, NULL, 0, 0);
    assert_non_null(strstr(r.body, "\"prompt_tokens\":1e308"));
    assert_non_null(strstr(r.body, "\"total_tokens\":1.5"));
    hres_free(&r);
    chat(&r, srv, NULL, 1, 1);
    assert_non_null(strstr(r.body, "\"usage\":{\"prompt_tokens\":7,"));
    hres_free(&r);
    mock_ledger l;
    mock_server_ledger(srv, NULL, &l);
    assert_int_equal(l.usage_reports, 3);
    assert_int_equal(l.prompt_tokens, 7);
    assert_int_equal(l.completion_tokens, 5);
    assert_int_equal(l.cached_tokens, 4);
}
