/*
 * Integration: every upstream error status mapped to its code and class,
 * retries and their waits, timeouts, caps, redirects, refused connections,
 * and keys that never appear in an error.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "itest.h"

static void start_one(itest *t, unsigned int max_attempts)
{
    llmgw_gateway_options o;

    llmgw_gateway_options_init(&o, LLMGW_GATEWAY_OPTIONS_VERSION);
    o.max_attempts = max_attempts;
    itest_start(t, &o);
    itest_add(t, "g", "e", "gpt-test");
}

static int fails_with(itest *t, const char *script, int *cls)
{
    llmgw_response *r = NULL;
    int rc;

    itest_script(t, "e", script);
    rc = itest_complete(t, "g", "hi", &r);
    assert_null(r);
    *cls = llmgw_error_last()->error_class;
    return rc;
}

static void test_status_mapping(void **state)
{
    static const struct { const char *script; int code, cls, http; } cases[] = {
        { "[{\"status\":400}]", LLMGW_EPROVIDER, LLMGW_ERRCLASS_BAD_REQUEST, 400 },
        { "[{\"status\":401,\"error_code\":\"invalid_api_key\"}]", LLMGW_EAUTH, LLMGW_ERRCLASS_AUTH, 401 },
        { "[{\"status\":403}]", LLMGW_EAUTH, LLMGW_ERRCLASS_AUTH, 403 },
        { "[{\"status\":404,\"error_code\":\"model_not_found\"}]", LLMGW_ENOTFOUND, LLMGW_ERRCLASS_NOT_FOUND, 404 },
        { "[{\"status\":408}]", LLMGW_ETIMEOUT, LLMGW_ERRCLASS_TIMEOUT, 408 },
        { "[{\"status\":409}]", LLMGW_EPROVIDER, LLMGW_ERRCLASS_BAD_REQUEST, 409 },
        { "[{\"status\":413}]", LLMGW_EPROVIDER, LLMGW_ERRCLASS_BAD_REQUEST, 413 },
        { "[{\"status\":422}]", LLMGW_EPROVIDER, LLMGW_ERRCLASS_BAD_REQUEST, 422 },
        { "[{\"status\":429}]", LLMGW_ERATELIMIT, LLMGW_ERRCLASS_RATE_LIMIT, 429 },
        { "[{\"status\":429,\"error_type\":\"insufficient_quota\",\"error_code\":\"insufficient_quota\"}]",
          LLMGW_ERATELIMIT, LLMGW_ERRCLASS_QUOTA_EXCEEDED, 429 },
        { "[{\"status\":402}]", LLMGW_ERATELIMIT, LLMGW_ERRCLASS_QUOTA_EXCEEDED, 402 },
        { "[{\"status\":400,\"error_code\":\"context_length_exceeded\",\"error_message\":\"This model's maximum context length is 8192 tokens\"}]",
          LLMGW_EPROVIDER, LLMGW_ERRCLASS_CONTEXT_LENGTH_EXCEEDED, 400 },
        { "[{\"status\":400,\"error_code\":\"content_policy_violation\"}]", LLMGW_EPROVIDER,
          LLMGW_ERRCLASS_CONTENT_POLICY, 400 },
        { "[{\"status\":500}]", LLMGW_EUNAVAILABLE, LLMGW_ERRCLASS_SERVER_ERROR, 500 },
        { "[{\"status\":501}]", LLMGW_EUNAVAILABLE, LLMGW_ERRCLASS_SERVER_ERROR, 501 },
        { "[{\"status\":502}]", LLMGW_EUNAVAILABLE, LLMGW_ERRCLASS_SERVER_ERROR, 502 },
        { "[{\"status\":503}]", LLMGW_EUNAVAILABLE, LLMGW_ERRCLASS_SERVER_ERROR, 503 },
        { "[{\"status\":504}]", LLMGW_EUNAVAILABLE, LLMGW_ERRCLASS_SERVER_ERROR, 504 },
        { "[{\"status\":529,\"body\":\"{\\\"type\\\":\\\"error\\\",\\\"error\\\":{\\\"type\\\":\\\"overloaded_error\\\",\\\"message\\\":\\\"Overloaded\\\"}}\"}]",
          LLMGW_EUNAVAILABLE, LLMGW_ERRCLASS_SERVER_ERROR, 529 },
        { "[{\"status\":307,\"headers\":{\"location\":\"http://127.0.0.2:1/steal\"},\"body\":\"\"}]",
          LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG, 307 },
    };
    itest t;
    size_t i;
    int cls, rc;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        /* a fresh deployment per case: auth, quota, not-found and 429 answers hold a deployment */
        start_one(&t, 1);
        rc = fails_with(&t, cases[i].script, &cls);
        if (rc != cases[i].code || cls != cases[i].cls || llmgw_error_last()->http_status != cases[i].http)
            fail_msg("case %zu (%s): rc %d class %s http %d; message: %s", i, cases[i].script, rc,
                     llmgw_error_class_str(cls), llmgw_error_last()->http_status, llmgw_error_last()->message);
        assert_string_equal(llmgw_error_last()->provider, "openai");
        assert_int_equal(llmgw_error_last()->attempt_count, 1);
        assert_non_null(llmgw_error_last()->attempts);
        assert_int_equal(llmgw_error_last()->attempts[0].http_status, cases[i].http);
        assert_int_equal(t.usage_records, 1);
        itest_stop(&t);
    }
}

/* 503, 503, 200: three attempts on the one deployment, backoff in between, one success. */
static void test_retry_then_success(void **state)
{
    itest t;
    llmgw_response *r = NULL;
    const llmgw_usage *u;

    (void)state;
    start_one(&t, 3);
    itest_script(&t, "e", "[{\"status\":503},{\"status\":503}]");
    assert_int_equal(itest_complete(&t, "g", "hi", &r), 0);
    u = llmgw_response_usage(r);
    assert_int_equal(u->attempts, 3);
    assert_int_equal(u->trail[0].status, LLMGW_EUNAVAILABLE);
    assert_int_equal(u->trail[0].http_status, 503);
    assert_int_equal(u->trail[0].usage_known, 0);
    assert_int_equal(u->trail[2].status, 0);
    assert_int_equal(u->trail[2].usage_known, 1);
    assert_true(u->trail[1].wait_us <= 500000);       /* full jitter: [0, 500] ms, then [0, 1000] ms */
    assert_true(u->trail[2].wait_us <= 1000000);
    assert_int_equal(itest_request_count(&t, "e"), 3);
    assert_int_equal(t.usage_records, 1);
    llmgw_response_free(r);
    itest_stop(&t);
}

/* retry-after-ms: 150 on a 429: the second attempt waits at least that long. */
static void test_retry_after_honoured(void **state)
{
    itest t;
    llmgw_response *r = NULL;
    double t0;

    (void)state;
    start_one(&t, 2);
    itest_script(&t, "e", "[{\"status\":429,\"headers\":{\"retry-after-ms\":\"150\"}}]");
    t0 = itest_now_ms();
    assert_int_equal(itest_complete(&t, "g", "hi", &r), 0);
    assert_true(itest_now_ms() - t0 >= 150.0);
    assert_true(llmgw_response_usage(r)->trail[1].wait_us >= 150000);
    assert_true(llmgw_response_usage(r)->trail[1].wait_us <= 165000 + 1000);
    assert_int_equal(llmgw_response_usage(r)->trail[0].retry_after_ms, 150);
    llmgw_response_free(r);

    /* a hint beyond the cap is not waited for: the caller gets it */
    itest_script(&t, "e", "[{\"status\":429,\"headers\":{\"retry-after\":\"86400\"}}]");
    t0 = itest_now_ms();
    assert_int_equal(itest_complete(&t, "g", "hi", &r), LLMGW_ERATELIMIT);
    assert_true(itest_now_ms() - t0 < 1000.0);
    assert_int_equal(llmgw_error_last()->retry_after_ms, 86400000);
    assert_int_equal(llmgw_error_last()->attempt_count, 1);
    itest_stop(&t);
}

/* Never retried, whatever the attempt budget: 400, 401, 403, 404, 413, 422, quota. */
static void test_not_retried(void **state)
{
    static const char *const scripts[] = {
        "[{\"status\":400}]", "[{\"status\":401}]", "[{\"status\":403}]", "[{\"status\":404}]",
        "[{\"status\":413}]", "[{\"status\":422}]",
        "[{\"status\":429,\"error_code\":\"insufficient_quota\"}]",
        "[{\"status\":503,\"headers\":{\"x-should-retry\":\"false\"}}]",
    };
    itest t;
    size_t i;
    int cls;

    (void)state;
    for (i = 0; i < sizeof(scripts) / sizeof(scripts[0]); i++) {
        start_one(&t, 3);
        fails_with(&t, scripts[i], &cls);
        if (itest_request_count(&t, "e") != 1)
            fail_msg("%s was sent %d times", scripts[i], itest_request_count(&t, "e"));
        itest_stop(&t);
    }
}

static void test_malformed_body_retried_once(void **state)
{
    itest t;
    int cls;

    (void)state;
    start_one(&t, 3);
    assert_int_equal(fails_with(&t, "{\"steps\":[{\"malformed\":true}],\"then\":\"repeat_last\"}", &cls),
                     LLMGW_EUNAVAILABLE);
    assert_int_equal(cls, LLMGW_ERRCLASS_NETWORK);
    assert_int_equal(itest_request_count(&t, "e"), 2);
    itest_stop(&t);
}

static void test_absurd_usage_rejected(void **state)
{
    static const char *const raw[] = { "-5", "1e308", "1.5", "{\"prompt_tokens\":\"7\"}",
                                       "{\"prompt_tokens\":1099511627776,\"completion_tokens\":1}" };
    itest t;
    size_t i;
    char script[256];
    int cls;

    (void)state;
    start_one(&t, 1);
    for (i = 0; i < sizeof(raw) / sizeof(raw[0]); i++) {
        char esc[128];
        size_t j, k = 0;
        for (j = 0; raw[i][j] && k + 2 < sizeof(esc); j++) {
            if (raw[i][j] == '"')
                esc[k++] = '\\';
            esc[k++] = raw[i][j];
        }
        esc[k] = '\0';
        snprintf(script, sizeof(script), "[{\"usage_raw\":\"%s\"}]", esc);
        if (fails_with(&t, script, &cls) != LLMGW_EUNAVAILABLE)
            fail_msg("usage %s accepted", raw[i]);
    }
    itest_stop(&t);
}

static void test_timeouts(void **state)
{
    itest t;
    llmgw_gateway_options o;
    llmgw_request *req;
    llmgw_response *r = NULL;
    collect c;
    double t0, dt;
    llmgw_stream_sink s;

    (void)state;
    llmgw_gateway_options_init(&o, LLMGW_GATEWAY_OPTIONS_VERSION);
    o.max_attempts = 1;
    o.first_byte_timeout_ms = 300;
    o.idle_timeout_ms = 300;
    itest_start(&t, &o);
    itest_add(&t, "g", "e", "gpt-test");

    /* the whole-request deadline */
    itest_script(&t, "e", "[{\"delay_ms\":5000}]");
    req = itest_request("g", "hi");
    assert_int_equal(llmgw_request_set_deadline_ms(req, 400), 0);
    t0 = itest_now_ms();
    assert_int_equal(llmgw_complete(t.gw, req, &r), LLMGW_ETIMEOUT);
    dt = itest_now_ms() - t0;
    assert_true(dt >= 390 && dt < 1500);
    assert_int_equal(llmgw_error_last()->error_class, LLMGW_ERRCLASS_TIMEOUT);

    /* stream: no first byte within first_byte_timeout */
    itest_script(&t, "e", "[{\"first_byte_delay_ms\":5000}]");
    assert_int_equal(llmgw_request_set_deadline_ms(req, 0), 0);
    collect_init(&c);
    s = collect_sink(&c);
    t0 = itest_now_ms();
    assert_int_equal(llmgw_complete_stream(t.gw, req, &s, NULL), LLMGW_ETIMEOUT);
    dt = itest_now_ms() - t0;
    assert_true(dt >= 290 && dt < 1500);
    assert_int_equal(c.error_calls, 1);
    assert_int_equal(c.error_class, LLMGW_ERRCLASS_TIMEOUT);

    /* stream: stalls after delivering text: idle timeout, a cut stream, never a clean finish */
    itest_script(&t, "e", "[{\"text\":\"a b c d\",\"stall_after_events\":3}]");
    collect_init(&c);
    s = collect_sink(&c);
    t0 = itest_now_ms();
    assert_int_equal(llmgw_complete_stream(t.gw, req, &s, NULL), LLMGW_EUNAVAILABLE);
    dt = itest_now_ms() - t0;
    assert_true(dt >= 290 && dt < 1500);
    assert_int_equal(c.error_class, LLMGW_ERRCLASS_STREAM_CUT);
    assert_int_equal(c.done_calls, 0);
    assert_int_equal(c.error_calls, 1);
    assert_string_equal(c.text, "a b");
    llmgw_request_free(req);
    itest_stop(&t);
}

static void test_caps(void **state)
{
    itest t;
    llmgw_gateway_options o;
    int cls;
    collect c;

    (void)state;
    llmgw_gateway_options_init(&o, LLMGW_GATEWAY_OPTIONS_VERSION);
    o.max_attempts = 3;
    o.max_response_bytes = 64 * 1024;
    o.max_stream_bytes = 64 * 1024;
    o.max_headers = 50;
    itest_start(&t, &o);
    itest_add(&t, "g", "e", "gpt-test");
    assert_int_equal(fails_with(&t, "{\"steps\":[{\"oversize_bytes\":1000000}],\"then\":\"repeat_last\"}", &cls),
                     LLMGW_EUNAVAILABLE);
    assert_int_equal(cls, LLMGW_ERRCLASS_SERVER_ERROR);
    assert_int_equal(itest_request_count(&t, "e"), 1);       /* a hostile body is not retried */
    mock_server_reset(t.srv);
    assert_int_equal(fails_with(&t, "{\"steps\":[{\"header_count\":500}],\"then\":\"repeat_last\"}", &cls),
                     LLMGW_EUNAVAILABLE);
    assert_int_equal(cls, LLMGW_ERRCLASS_SERVER_ERROR);
    mock_server_reset(t.srv);
    assert_int_equal(fails_with(&t, "{\"steps\":[{\"header_bytes\":200000}],\"then\":\"repeat_last\"}", &cls),
                     LLMGW_EUNAVAILABLE);
    /* a stream over its cap */
    itest_script(&t, "e", "{\"steps\":[{\"oversize_bytes\":1000000}],\"then\":\"repeat_last\"}");
    collect_init(&c);
    assert_true(itest_stream(&t, "g", "hi", &c, NULL) < 0);
    assert_int_equal(c.error_calls, 1);
    assert_int_equal(c.done_calls, 0);
    itest_stop(&t);
}

static void test_connection_refused(void **state)
{
    itest t;
    llmgw_deployment_options d;
    llmgw_response *r = NULL;
    mock_server *tmp = NULL;
    char base[128];

    (void)state;
    /* a port that was just free: start and stop a server to learn one */
    assert_int_equal(mock_server_start(&tmp, "127.0.0.1", 0), 0);
    snprintf(base, sizeof(base), "http://127.0.0.1:%u/v1", mock_server_port(tmp));
    mock_server_stop(tmp);
    itest_start(&t, NULL);
    llmgw_deployment_options_init(&d, LLMGW_DEPLOYMENT_OPTIONS_VERSION);
    d.group = "dead";
    d.model = "openai/gpt-test";
    d.api_base = base;
    d.api_key = TEST_KEY;
    assert_int_equal(llmgw_gateway_add_deployment(t.gw, &d), 0);
    assert_int_equal(itest_complete(&t, "dead", "hi", &r), LLMGW_EUNAVAILABLE);
    assert_int_equal(llmgw_error_last()->error_class, LLMGW_ERRCLASS_NETWORK);
    assert_int_equal(llmgw_error_last()->attempts[0].billed, 0);
    itest_stop(&t);
}

/*
 * A listener whose accept queue is full and never drained: Linux drops the
 * next SYNs, so connecting hangs until connect_timeout_ms ends the attempt,
 * which counts as never sent (not billed), long before the deadline.
 */
static void test_connect_timeout(void **state)
{
    itest t;
    llmgw_gateway_options o;
    llmgw_deployment_options d;
    llmgw_response *r = NULL;
    llmgw_request *req;
    struct sockaddr_in sa;
    socklen_t salen = sizeof(sa);
    int lfd, fill[4], i;
    char base[128];
    double t0, dt;

    (void)state;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_true((lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) >= 0);
    assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(lfd, 0), 0);
    assert_int_equal(getsockname(lfd, (struct sockaddr *)&sa, &salen), 0);
    for (i = 0; i < 4; i++) {      /* fill the queue; the later ones hang in SYN-SENT, which is fine */
        assert_true((fill[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) >= 0);
        (void)connect(fill[i], (struct sockaddr *)&sa, sizeof(sa));
    }
    snprintf(base, sizeof(base), "http://127.0.0.1:%u/v1", (unsigned)ntohs(sa.sin_port));
    llmgw_gateway_options_init(&o, LLMGW_GATEWAY_OPTIONS_VERSION);
    o.max_attempts = 1;
    o.connect_timeout_ms = 200;
    itest_start(&t, &o);
    llmgw_deployment_options_init(&d, LLMGW_DEPLOYMENT_OPTIONS_VERSION);
    d.group = "hung";
    d.model = "openai/gpt-test";
    d.api_base = base;
    d.api_key = TEST_KEY;
    assert_int_equal(llmgw_gateway_add_deployment(t.gw, &d), 0);
    req = itest_request("hung", "hi");
    assert_int_equal(llmgw_request_set_deadline_ms(req, 20000), 0);
    t0 = itest_now_ms();
    assert_true(llmgw_complete(t.gw, req, &r) < 0);
    dt = itest_now_ms() - t0;
    assert_null(r);
    assert_true(dt < 10000);                /* the connect timeout, not the 20 s deadline, ended it */
    assert_non_null(strstr(llmgw_error_last()->message, "connect timed out"));
    assert_int_equal(llmgw_error_last()->attempts[0].billed, 0);
    llmgw_request_free(req);
    itest_stop(&t);
    for (i = 0; i < 4; i++)
        close(fill[i]);
    close(lfd);
}

/*
 * A group whose only deployment is held after the upstream's own 429 (or
 * quota error) fails fast as a rate limit (quota), with the hold's
 * retry_after_ms, not as an outage: the caller should wait, not page anyone.
 */
static void test_held_group_is_a_rate_limit(void **state)
{
    itest t;
    llmgw_gateway_options o;
    llmgw_response *r = NULL;
    const llmgw_error *e;

    (void)state;
    llmgw_gateway_options_init(&o, LLMGW_GATEWAY_OPTIONS_VERSION);
    o.max_attempts = 1;
    itest_start(&t, &o);
    itest_add(&t, "rl", "rl", "gpt-test");
    itest_add(&t, "q", "q", "gpt-test");
    itest_script(&t, "rl", "[{\"status\":429,\"headers\":{\"retry-after\":\"5\"}}]");
    assert_int_equal(itest_complete(&t, "rl", "hi", &r), LLMGW_ERATELIMIT);
    assert_int_equal(itest_complete(&t, "rl", "hi", &r), LLMGW_ERATELIMIT);
    e = llmgw_error_last();
    assert_int_equal(e->error_class, LLMGW_ERRCLASS_RATE_LIMIT);
    assert_int_equal(e->attempt_count, 0);                  /* nothing was sent */
    assert_true(e->retry_after_ms > 0 && e->retry_after_ms <= 5100);
    assert_non_null(strstr(e->message, "held after rate-limit or quota errors"));
    assert_int_equal(itest_request_count(&t, "rl"), 1);

    itest_script(&t, "q", "[{\"status\":429,\"error_code\":\"insufficient_quota\"}]");
    assert_int_equal(itest_complete(&t, "q", "hi", &r), LLMGW_ERATELIMIT);
    assert_int_equal(itest_complete(&t, "q", "hi", &r), LLMGW_ERATELIMIT);
    e = llmgw_error_last();
    assert_int_equal(e->error_class, LLMGW_ERRCLASS_QUOTA_EXCEEDED);
    assert_int_equal(e->attempt_count, 0);
    assert_true(e->retry_after_ms > 0);
    assert_int_equal(itest_request_count(&t, "q"), 1);
    assert_null(r);
    itest_stop(&t);
}

static void test_insecure_base_refused(void **state)
{
    itest t;
    llmgw_deployment_options d;

    (void)state;
    itest_start(&t, NULL);
    llmgw_deployment_options_init(&d, LLMGW_DEPLOYMENT_OPTIONS_VERSION);
    d.model = "openai/gpt-test";
    d.api_key = TEST_KEY;
    d.api_base = "http://example.com/v1";
    assert_int_equal(llmgw_gateway_add_deployment(t.gw, &d), LLMGW_EINVAL);
    assert_int_equal(llmgw_error_last()->error_class, LLMGW_ERRCLASS_CONFIG);
    d.api_base = "https://user:pass@example.com/v1";
    assert_int_equal(llmgw_gateway_add_deployment(t.gw, &d), LLMGW_EINVAL);
    d.api_base = "ftp://example.com/v1";
    assert_int_equal(llmgw_gateway_add_deployment(t.gw, &d), LLMGW_EINVAL);
    d.api_base = "https://example.com/v1";
    d.api_key = "sk-abc\r\nX-Evil: 1";
    assert_int_equal(llmgw_gateway_add_deployment(t.gw, &d), LLMGW_EINVAL);
    assert_null(strstr(llmgw_error_last()->message, "sk-abc"));
    itest_stop(&t);
}

/* An upstream that echoes the key back: the error never shows it. */
static void test_key_never_in_errors(void **state)
{
    itest t;
    int cls;
    collect c;
    char script[512];

    (void)state;
    start_one(&t, 1);
    snprintf(script, sizeof(script),
             "[{\"status\":401,\"error_message\":\"Incorrect API key provided: %s. Authorization: Bearer %s\"}]",
             TEST_KEY, TEST_KEY);
    assert_int_equal(fails_with(&t, script, &cls), LLMGW_EAUTH);
    assert_null(strstr(llmgw_error_last()->message, "SECRETKEY"));
    assert_non_null(strstr(llmgw_error_last()->message, "Incorrect API key"));
    itest_stop(&t);
    start_one(&t, 1);               /* the 401 holds the first deployment out: a fresh one */
    itest_script(&t, "e", script);
    collect_init(&c);
    assert_int_equal(itest_stream(&t, "g", "hi", &c, NULL), LLMGW_EAUTH);
    assert_null(strstr(c.error_message, "SECRETKEY"));
    itest_stop(&t);
}

/* The error of a failed request as JSON, and its trail through the accessor. */
static void test_error_json(void **state)
{
    llmgw_gateway_options o;
    itest t;
    llmgw_response *r = NULL;
    llmgw_buf b = LLMGW_BUF_INIT;
    const llmgw_error *e;
    cJSON *j, *att;

    (void)state;
    assert_int_equal(llmgw_gateway_options_init(&o, LLMGW_GATEWAY_OPTIONS_VERSION), 0);
    o.max_attempts = 2;
    itest_start(&t, &o);
    itest_add(&t, "g", "x", "gpt-test");
    itest_add(&t, "g", "y", "gpt-test");
    itest_script(&t, "x", "{\"steps\":[{\"status\":429,\"headers\":{\"retry-after\":\"7\"}}],\"then\":\"repeat_last\"}");
    itest_script(&t, "y", "{\"steps\":[{\"status\":429,\"headers\":{\"retry-after\":\"7\"}}],\"then\":\"repeat_last\"}");
    assert_int_equal(itest_complete(&t, "g", "hello", &r), LLMGW_ERATELIMIT);
    e = llmgw_error_last();
    assert_int_equal(e->attempt_count, 2);
    assert_non_null(llmgw_error_attempt(e, 0));
    assert_non_null(llmgw_error_attempt(e, 1));
    assert_null(llmgw_error_attempt(e, 2));
    assert_null(llmgw_error_attempt(NULL, 0));
    assert_int_equal(llmgw_error_attempt(e, 1)->http_status, 429);
    assert_int_equal(llmgw_error_to_json(&b, e), 0);
    j = cJSON_Parse(b.ptr);
    assert_non_null(j);
    assert_string_equal(cJSON_GetObjectItem(j, "class")->valuestring, "rate_limit");
    assert_int_equal(cJSON_GetObjectItem(j, "status")->valueint, 429);
    assert_string_equal(cJSON_GetObjectItem(j, "provider")->valuestring, "openai");
    assert_true(cJSON_GetObjectItem(j, "retry_after_ms")->valuedouble >= 7000);
    att = cJSON_GetObjectItem(j, "attempts");
    assert_int_equal(cJSON_GetArraySize(att), 2);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(att, 0), "error_class")->valuestring, "rate_limit");
    assert_null(strstr(b.ptr, TEST_KEY));
    cJSON_Delete(j);
    llmgw_buf_dispose(&b);
    itest_stop(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_mapping),
        cmocka_unit_test(test_retry_then_success),
        cmocka_unit_test(test_retry_after_honoured),
        cmocka_unit_test(test_not_retried),
        cmocka_unit_test(test_malformed_body_retried_once),
        cmocka_unit_test(test_absurd_usage_rejected),
        cmocka_unit_test(test_timeouts),
        cmocka_unit_test(test_caps),
        cmocka_unit_test(test_connection_refused),
        cmocka_unit_test(test_connect_timeout),
        cmocka_unit_test(test_held_group_is_a_rate_limit),
        cmocka_unit_test(test_insecure_base_refused),
        cmocka_unit_test(test_key_never_in_errors),
        cmocka_unit_test(test_error_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
