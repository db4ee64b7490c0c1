/*
 * tests/router/test_policy.c: docs/resilience.md §b.2, one test per row that
 * the classifier covers (class, R retry, F failover, B breaker), the server's
 * delay hints (§b.1 "Server hint") and full-jitter backoff.
 */
#include "unit.h"

#include <locale.h>

#include "core/clock.h"
#include "router/policy.h"

enum { NO = LLMGW__RETRY_NO, ONCE = LLMGW__RETRY_ONCE, YES = LLMGW__RETRY_YES };

static void expect(const llmgw__outcome *o, int cls, int retry, bool failover, bool breaker)
{
    if (o->error_class != cls || o->retry != retry || o->failover != failover || o->breaker != breaker)
        fail_msg("http %d: class %s retry %d failover %d breaker %d; want %s %d %d %d", o->http_status,
                 llmgw_error_class_str(o->error_class), o->retry, o->failover, o->breaker,
                 llmgw_error_class_str(cls), retry, failover, breaker);
}

static llmgw__outcome status(int s)
{
    llmgw__outcome o;

    memset(&o, 0, sizeof(o));
    o.sent = true;
    o.retry_after_ms = -1;
    llmgw__classify_status(&o, s);
    assert_int_equal(o.http_status, s);
    return o;
}

/* The status with its class refined from the body, then the class rules applied. */
static llmgw__outcome refined(int s, int cls)
{
    llmgw__outcome o = status(s);

    o.error_class = cls;
    llmgw__classify_class_rules(&o);
    return o;
}

static llmgw__outcome transport(llmgw__xfer_outcome x)
{
    llmgw__outcome o;

    memset(&o, 0, sizeof(o));
    o.sent = true;
    o.http_status = 999;
    llmgw__classify_transport(&o, x);
    assert_int_equal(o.http_status, 0);
    return o;
}

/* DNS failure, couldn't connect, refused: not sent; always safe to retry */
static void test_row_connect(void **state)
{
    llmgw__outcome o = transport(LLMGW__XFER_CONNECT);

    (void)state;
    expect(&o, LLMGW_ERRCLASS_NETWORK, YES, true, true);
    assert_false(o.sent);
}

/* TLS failure: never retried (no downgrade), failover, breaker */
static void test_row_tls(void **state)
{
    llmgw__outcome o = transport(LLMGW__XFER_TLS);

    (void)state;
    expect(&o, LLMGW_ERRCLASS_NETWORK, NO, true, true);
    assert_false(o.sent);
}

/* Reset or empty reply before the status line (RECV_ERROR, GOT_NOTHING, SEND_ERROR) */
static void test_row_reset(void **state)
{
    llmgw__outcome o;

    (void)state;
    o = transport(LLMGW__XFER_RESET);
    expect(&o, LLMGW_ERRCLASS_NETWORK, YES, true, true);
    assert_true(o.sent);                    /* may have been processed */
    o = transport(LLMGW__XFER_SEND);
    expect(&o, LLMGW_ERRCLASS_NETWORK, YES, true, true);
    o = transport(LLMGW__XFER_RECV);
    expect(&o, LLMGW_ERRCLASS_NETWORK, YES, true, true);
}

/* Attempt timeout before headers */
static void test_row_attempt_timeout(void **state)
{
    llmgw__outcome o;

    (void)state;
    o = transport(LLMGW__XFER_TIMEOUT_CONNECT);
    expect(&o, LLMGW_ERRCLASS_TIMEOUT, YES, true, true);
    assert_false(o.sent);
    o = transport(LLMGW__XFER_TIMEOUT_FIRST_BYTE);
    expect(&o, LLMGW_ERRCLASS_TIMEOUT, YES, true, true);
    assert_true(o.sent);
    o = transport(LLMGW__XFER_TIMEOUT_IDLE);
    expect(&o, LLMGW_ERRCLASS_TIMEOUT, YES, true, true);
    o = transport(LLMGW__XFER_TIMEOUT_TOTAL);
    expect(&o, LLMGW_ERRCLASS_TIMEOUT, YES, true, true);
}

static void test_row_408(void **state)
{
    llmgw__outcome o = status(408);

    (void)state;
    expect(&o, LLMGW_ERRCLASS_TIMEOUT, YES, true, false);
}

static void test_row_409(void **state)
{
    llmgw__outcome o = status(409);

    (void)state;
    expect(&o, LLMGW_ERRCLASS_BAD_REQUEST, ONCE, false, false);
    o = refined(409, LLMGW_ERRCLASS_BAD_REQUEST);
    expect(&o, LLMGW_ERRCLASS_BAD_REQUEST, ONCE, false, false);
}

static void test_row_425(void **state)
{
    llmgw__outcome o = status(425);

    (void)state;
    expect(&o, LLMGW_ERRCLASS_SERVER_ERROR, YES, false, false);
    o = refined(425, LLMGW_ERRCLASS_SERVER_ERROR);
    expect(&o, LLMGW_ERRCLASS_SERVER_ERROR, YES, false, false);
}

/* 429 rate_limit_error / rate_limit_exceeded: retry after the hint, fail over first, no breaker */
static void test_row_429_rate_limit(void **state)
{
    llmgw__outcome o = status(429);

    (void)state;
    expect(&o, LLMGW_ERRCLASS_RATE_LIMIT, YES, true, false);
    o = refined(429, LLMGW_ERRCLASS_RATE_LIMIT);
    expect(&o, LLMGW_ERRCLASS_RATE_LIMIT, YES, true, false);
}

/* 429 insufficient_quota / enforced_spend_limit_reached, and 402 */
static void test_row_quota(void **state)
{
    llmgw__outcome o = refined(429, LLMGW_ERRCLASS_QUOTA_EXCEEDED);

    (void)state;
    expect(&o, LLMGW_ERRCLASS_QUOTA_EXCEEDED, NO, true, false);
    o = status(402);
    expect(&o, LLMGW_ERRCLASS_QUOTA_EXCEEDED, NO, true, false);
    o = refined(402, LLMGW_ERRCLASS_QUOTA_EXCEEDED);
    expect(&o, LLMGW_ERRCLASS_QUOTA_EXCEEDED, NO, true, false);
}

/* 400 invalid_request_error: fails everywhere */
static void test_row_400(void **state)
{
    llmgw__outcome o = status(400);

    (void)state;
    expect(&o, LLMGW_ERRCLASS_BAD_REQUEST, NO, false, false);
    o = refined(400, LLMGW_ERRCLASS_BAD_REQUEST);
    expect(&o, LLMGW_ERRCLASS_BAD_REQUEST, NO, false, false);
}

/* 400 context length: no retry; failover only to a larger window (opt-in, decided by the router) */
static void test_row_context_length(void **state)
{
    llmgw__outcome o = refined(400, LLMGW_ERRCLASS_CONTEXT_LENGTH_EXCEEDED);

    (void)state;
    expect(&o, LLMGW_ERRCLASS_CONTEXT_LENGTH_EXCEEDED, NO, false, false);
}

/* 400 content policy: only to policy fallbacks, never by default */
static void test_row_content_policy(void **state)
{
    llmgw__outcome o = refined(400, LLMGW_ERRCLASS_CONTENT_POLICY);

    (void)state;
    expect(&o, LLMGW_ERRCLASS_CONTENT_POLICY, NO, false, false);
}

/* 401, 403: to a different credential; no breaker */
static void test_row_auth(void **state)
{
    llmgw__outcome o = status(401);

    (void)state;
    expect(&o, LLMGW_ERRCLASS_AUTH, NO, true, false);
    o = status(403);
    expect(&o, LLMGW_ERRCLASS_AUTH, NO, true, false);
    o = refined(403, LLMGW_ERRCLASS_AUTH);
    expect(&o, LLMGW_ERRCLASS_AUTH, NO, true, false);
}

static void test_row_404(void **state)
{
    llmgw__outcome o = status(404);

    (void)state;
    expect(&o, LLMGW_ERRCLASS_NOT_FOUND, NO, true, false);
    o = refined(404, LLMGW_ERRCLASS_NOT_FOUND);
    expect(&o, LLMGW_ERRCLASS_NOT_FOUND, NO, true, false);
}

static void test_row_413(void **state)
{
    llmgw__outcome o = status(413);

    (void)state;
    expect(&o, LLMGW_ERRCLASS_BAD_REQUEST, NO, false, false);
    o = refined(413, LLMGW_ERRCLASS_BAD_REQUEST);
    expect(&o, LLMGW_ERRCLASS_BAD_REQUEST, NO, false, false);
}

static void test_row_422(void **state)
{
    llmgw__outcome o = status(422);

    (void)state;
    expect(&o, LLMGW_ERRCLASS_BAD_REQUEST, NO, false, false);
}

static void test_row_500(void **state)
{
    llmgw__outcome o = status(500);

    (void)state;
    expect(&o, LLMGW_ERRCLASS_SERVER_ERROR, YES, true, true);
    o = refined(500, LLMGW_ERRCLASS_SERVER_ERROR);
    expect(&o, LLMGW_ERRCLASS_SERVER_ERROR, YES, true, true);
}

/* 501, 505: not transient */
static void test_row_501_505(void **state)
{
    llmgw__outcome o = status(501);

    (void)state;
    expect(&o, LLMGW_ERRCLASS_SERVER_ERROR, NO, true, true);
    o = status(505);
    expect(&o, LLMGW_ERRCLASS_SERVER_ERROR, NO, true, true);
    o = refined(501, LLMGW_ERRCLASS_SERVER_ERROR);
    expect(&o, LLMGW_ERRCLASS_SERVER_ERROR, NO, true, true);
}

static void test_row_502_503_504(void **state)
{
    int s;

    (void)state;
    for (s = 502; s <= 504; s++) {
        llmgw__outcome o = status(s);
        expect(&o, LLMGW_ERRCLASS_SERVER_ERROR, YES, true, true);
    }
}

/* 529 overloaded_error: with backoff, after failover */
static void test_row_529(void **state)
{
    llmgw__outcome o = status(529);

    (void)state;
    expect(&o, LLMGW_ERRCLASS_SERVER_ERROR, YES, true, true);
    o = refined(529, LLMGW_ERRCLASS_SERVER_ERROR);
    expect(&o, LLMGW_ERRCLASS_SERVER_ERROR, YES, true, true);
}

/* x-should-retry: false / true overrides R only */
static void test_row_x_should_retry(void **state)
{
    llmgw__outcome o = status(503);

    (void)state;
    llmgw__classify_should_retry(&o, 0);
    expect(&o, LLMGW_ERRCLASS_SERVER_ERROR, NO, true, true);
    o = status(400);
    llmgw__classify_should_retry(&o, 1);
    expect(&o, LLMGW_ERRCLASS_BAD_REQUEST, YES, false, false);
    o = status(409);
    llmgw__classify_should_retry(&o, 1);
    expect(&o, LLMGW_ERRCLASS_BAD_REQUEST, ONCE, false, false);
    o = status(503);
    llmgw__classify_should_retry(&o, -1);           /* absent: unchanged */
    expect(&o, LLMGW_ERRCLASS_SERVER_ERROR, YES, true, true);
    o = status(429);
    llmgw__classify_should_retry(&o, 0);
    expect(&o, LLMGW_ERRCLASS_RATE_LIMIT, NO, true, false);
}

/* 200 body over max_response_bytes, headers too: hostile upstream */
static void test_row_body_too_large(void **state)
{
    llmgw__outcome o = transport(LLMGW__XFER_TOO_LARGE);

    (void)state;
    expect(&o, LLMGW_ERRCLASS_SERVER_ERROR, NO, false, false);
    o = transport(LLMGW__XFER_HEADERS_TOO_LARGE);
    expect(&o, LLMGW_ERRCLASS_SERVER_ERROR, NO, false, false);
}

/* 200 non-stream, CURLE_PARTIAL_FILE: likely truncation, retried once */
static void test_row_partial_body(void **state)
{
    llmgw__outcome o = transport(LLMGW__XFER_PARTIAL);

    (void)state;
    expect(&o, LLMGW_ERRCLASS_NETWORK, ONCE, true, true);
    assert_true(o.sent);
}

/* SSE error event after a 200: the embedded class's rules */
static void test_row_stream_error_event(void **state)
{
    llmgw__outcome o = refined(200, LLMGW_ERRCLASS_SERVER_ERROR);   /* Anthropic overloaded_error */

    (void)state;
    expect(&o, LLMGW_ERRCLASS_SERVER_ERROR, YES, true, true);
    o = refined(200, LLMGW_ERRCLASS_RATE_LIMIT);
    expect(&o, LLMGW_ERRCLASS_RATE_LIMIT, YES, true, false);
    o = refined(200, LLMGW_ERRCLASS_BAD_REQUEST);
    expect(&o, LLMGW_ERRCLASS_BAD_REQUEST, NO, false, false);
    o = refined(200, LLMGW_ERRCLASS_QUOTA_EXCEEDED);
    expect(&o, LLMGW_ERRCLASS_QUOTA_EXCEEDED, NO, true, false);
}

/* 30x: never followed; usually a wrong base URL */
static void test_row_redirect(void **state)
{
    int s;
    llmgw__outcome o;

    (void)state;
    for (s = 300; s <= 308; s++) {
        o = status(s);
        expect(&o, LLMGW_ERRCLASS_CONFIG, NO, true, false);
    }
    o = transport(LLMGW__XFER_REDIRECT);
    expect(&o, LLMGW_ERRCLASS_CONFIG, NO, true, false);
}

/* Not rows of the table, but the classifier must be total and never retry a 4xx it should not. */
static void test_total_and_safe(void **state)
{
    int s;

    (void)state;
    for (s = 0; s < 1000; s++) {
        llmgw__outcome o = status(s);
        assert_true(o.error_class > LLMGW_ERRCLASS_NONE && o.error_class < LLMGW_ERRCLASS__COUNT);
        if (s == 400 || s == 401 || s == 403 || s == 404 || s == 413 || s == 422 || s == 402)
            assert_int_equal(o.retry, NO);
        if (s >= 400 && s < 500 && s != 408 && s != 409 && s != 425 && s != 429)
            assert_int_equal(o.retry, NO);
    }
    {
        llmgw__outcome o = transport(LLMGW__XFER_CANCELLED);
        expect(&o, LLMGW_ERRCLASS_CANCELLED, NO, false, false);
        o = transport(LLMGW__XFER_STOPPED);
        expect(&o, LLMGW_ERRCLASS_CANCELLED, NO, false, false);
        o = transport(LLMGW__XFER_NOMEM);
        assert_int_equal(o.retry, NO);
        assert_false(o.failover);
    }
}

/* ---- server hints ---- */

/* Sun, 06 Nov 1994 08:49:37 GMT */
#define DATE_S 784111777LL

static void test_parse_retry_after(void **state)
{
    const int64_t now = (DATE_S - 30) * 1000000LL + 250000;      /* 29.75 s before the date */

    (void)state;
    assert_int_equal(llmgw__parse_retry_after("1", now), 1000);
    assert_int_equal(llmgw__parse_retry_after("0", now), 0);
    assert_int_equal(llmgw__parse_retry_after("1.5", now), 1500);
    assert_int_equal(llmgw__parse_retry_after(" 2 ", now), 2000);
    assert_int_equal(llmgw__parse_retry_after("61", now), 61000);
    assert_int_equal(llmgw__parse_retry_after("86400", now), 86400000);
    assert_int_equal(llmgw__parse_retry_after("0.001", now), 1);
    assert_int_equal(llmgw__parse_retry_after("-1", now), -1);
    assert_int_equal(llmgw__parse_retry_after("abc", now), -1);
    assert_int_equal(llmgw__parse_retry_after("", now), -1);
    assert_int_equal(llmgw__parse_retry_after(NULL, now), -1);
    assert_int_equal(llmgw__parse_retry_after("5s", now), -1);
    assert_int_equal(llmgw__parse_retry_after("1,5", now), -1);
    assert_int_equal(llmgw__parse_retry_after("0x10", now), -1);
    assert_int_equal(llmgw__parse_retry_after("1e3", now), -1);
    assert_int_equal(llmgw__parse_retry_after("inf", now), -1);
    assert_int_equal(llmgw__parse_retry_after("nan", now), -1);
    assert_int_equal(llmgw__parse_retry_after("1.", now), -1);
    assert_int_equal(llmgw__parse_retry_after(".", now), -1);
    assert_int_equal(llmgw__parse_retry_after("99999999999999999999", now), -1);
    /* HTTP-date, in the future and in the past */
    assert_int_equal(llmgw__parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now), 29750);
    assert_int_equal(llmgw__parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", (DATE_S + 5) * 1000000LL), 0);
    assert_int_equal(llmgw__parse_retry_after("Sun, 06 Nov 1994 08:50:37 GMT", DATE_S * 1000000LL), 60000);
    assert_int_equal(llmgw__parse_retry_after("Mon, 07 Nov 1994 08:49:37 GMT", DATE_S * 1000000LL), 86400000);
    assert_int_equal(llmgw__parse_retry_after("Tue, 29 Feb 2028 00:00:00 GMT", 0), 1835395200000LL);
    /* malformed dates are ignored */
    assert_int_equal(llmgw__parse_retry_after("Sun, 06 Foo 1994 08:49:37 GMT", now), -1);
    assert_int_equal(llmgw__parse_retry_after("Sun, 06 Nov 1994 08:49:37 UTC", now), -1);
    assert_int_equal(llmgw__parse_retry_after("Sun, 06 Nov 1994 8:49:37 GMT", now), -1);
    assert_int_equal(llmgw__parse_retry_after("Sun, 06 Nov 1994  8:49:37 GMT", now), -1);
    assert_int_equal(llmgw__parse_retry_after("Sun, 06 Nov 1994 0a:49:37 GMT", now), -1);
    assert_int_equal(llmgw__parse_retry_after("Sun, 06 Nov 1994 24:00:00 GMT", now), -1);
    assert_int_equal(llmgw__parse_retry_after("Sun, 32 Nov 1994 08:49:37 GMT", now), -1);
    assert_int_equal(llmgw__parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT trailing", now), -1);
    assert_int_equal(llmgw__parse_retry_after("Sunday, 06-Nov-94 08:49:37 GMT", now), -1);
    assert_int_equal(llmgw__parse_retry_after("Sun,", now), -1);
}

static void with_headers(llmgw_http_response *r, const char *const *kv)
{
    llmgw__http_response_init(r);
    for (; kv[0] != NULL; kv += 2)
        assert_int_equal(llmgw__http_response_add_header(r, kv[0], strlen(kv[0]), kv[1], strlen(kv[1])), 0);
}

static int64_t hint(const char *const *kv)
{
    llmgw_http_response r;
    int64_t v;

    with_headers(&r, kv);
    v = llmgw__retry_after_ms(&r, DATE_S * 1000000LL);
    llmgw__http_response_dispose(&r);
    return v;
}

static void test_retry_after_headers(void **state)
{
    (void)state;
    assert_int_equal(hint((const char *const[]){ NULL }), -1);
    assert_int_equal(hint((const char *const[]){ "retry-after-ms", "0", NULL }), 0);
    assert_int_equal(hint((const char *const[]){ "retry-after-ms", "150", NULL }), 150);
    assert_int_equal(hint((const char *const[]){ "Retry-After-Ms", "150.9", NULL }), 150);
    assert_int_equal(hint((const char *const[]){ "retry-after", "1", NULL }), 1000);
    assert_int_equal(hint((const char *const[]){ "retry-after", "Sun, 06 Nov 1994 08:49:47 GMT", NULL }), 10000);
    assert_int_equal(hint((const char *const[]){ "x-ms-retry-after-ms", "250", NULL }), 250);
    /* precedence: retry-after-ms, then x-ms-retry-after-ms, then retry-after */
    assert_int_equal(hint((const char *const[]){ "retry-after", "30", "retry-after-ms", "150", NULL }), 150);
    assert_int_equal(hint((const char *const[]){ "retry-after", "30", "x-ms-retry-after-ms", "20",
                                                 "retry-after-ms", "10", NULL }), 10);
    assert_int_equal(hint((const char *const[]){ "retry-after", "30", "x-ms-retry-after-ms", "20", NULL }), 20);
    /* an unusable value gives way to the next header */
    assert_int_equal(hint((const char *const[]){ "retry-after-ms", "abc", "retry-after", "2", NULL }), 2000);
    assert_int_equal(hint((const char *const[]){ "retry-after-ms", "-5", "retry-after", "2", NULL }), 2000);
    assert_int_equal(hint((const char *const[]){ "retry-after-ms", "", "retry-after", "3", NULL }), 3000);
    assert_int_equal(hint((const char *const[]){ "retry-after-ms", "0x10", NULL }), -1);
    assert_int_equal(hint((const char *const[]){ "retry-after", "-1", NULL }), -1);
    assert_int_equal(hint((const char *const[]){ "retry-after", "abc", NULL }), -1);
    assert_int_equal(hint((const char *const[]){ "retry-after", "86400", NULL }), 86400000);
}

/* STYLE.md §14.6: the host's LC_NUMERIC must not change how hints parse. */
static void test_retry_after_comma_locale(void **state)
{
    char *old;
    const char *prev = setlocale(LC_NUMERIC, NULL);

    (void)state;
    old = prev ? strdup(prev) : NULL;
    if (setlocale(LC_NUMERIC, "de_DE.UTF-8") == NULL) {
        print_message("locale de_DE.UTF-8 is not installed: skipped\n");
        free(old);
        skip();
    }
    assert_int_equal(llmgw__parse_retry_after("1.5", 0), 1500);
    assert_int_equal(llmgw__parse_retry_after("1,5", 0), -1);
    assert_int_equal(hint((const char *const[]){ "retry-after-ms", "150.5", NULL }), 150);
    setlocale(LC_NUMERIC, old ? old : "C");
    free(old);
}

/* ---- backoff ---- */

static void test_backoff_bounds(void **state)
{
    unsigned int n;

    (void)state;
    for (n = 1; n <= 10; n++) {
        int64_t cap = LLMGW_MIN(8000000LL, 500000LL << (n - 1)), lo = INT64_MAX, hi = -1, first = -1;
        uint64_t seed;
        bool varies = false;
        int k;

        for (seed = 0; seed < 200; seed++) {
            uint64_t rng = seed * 0x9E3779B97F4A7C15ull;
            for (k = 0; k < 50; k++) {
                int64_t v = llmgw__backoff_us(n, &rng);
                if (v < 0 || v > cap)
                    fail_msg("n %u: %lld outside [0, %lld]", n, (long long)v, (long long)cap);
                lo = LLMGW_MIN(lo, v);
                hi = LLMGW_MAX(hi, v);
                if (first < 0)
                    first = v;
                else if (v != first)
                    varies = true;
            }
        }
        assert_true(varies);                 /* not constant */
        assert_true(hi > cap * 9 / 10);      /* spread over the whole range */
        assert_true(lo < cap / 10);
    }
    /* n = 0 is treated as the first retry; huge n stays at the cap */
    {
        uint64_t rng = 1;
        int k;
        for (k = 0; k < 1000; k++) {
            int64_t v = llmgw__backoff_us(0, &rng);
            assert_true(v >= 0 && v <= 500000);
            v = llmgw__backoff_us(UINT32_MAX, &rng);
            assert_true(v >= 0 && v <= 8000000);
        }
    }
}

static void test_backoff_deterministic(void **state)
{
    uint64_t a = 42, b = 42, c = 43;
    int64_t va, vb, vc;
    int k, same = 0;

    (void)state;
    for (k = 0; k < 100; k++) {
        va = llmgw__backoff_us(3, &a);
        vb = llmgw__backoff_us(3, &b);
        vc = llmgw__backoff_us(3, &c);
        assert_int_equal(va, vb);            /* a seed reproduces the sequence */
        same += va == vc;
    }
    assert_true(same < 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_row_connect),
        cmocka_unit_test(test_row_tls),
        cmocka_unit_test(test_row_reset),
        cmocka_unit_test(test_row_attempt_timeout),
        cmocka_unit_test(test_row_408),
        cmocka_unit_test(test_row_409),
        cmocka_unit_test(test_row_425),
        cmocka_unit_test(test_row_429_rate_limit),
        cmocka_unit_test(test_row_quota),
        cmocka_unit_test(test_row_400),
        cmocka_unit_test(test_row_context_length),
        cmocka_unit_test(test_row_content_policy),
        cmocka_unit_test(test_row_auth),
        cmocka_unit_test(test_row_404),
        cmocka_unit_test(test_row_413),
        cmocka_unit_test(test_row_422),
        cmocka_unit_test(test_row_500),
        cmocka_unit_test(test_row_501_505),
        cmocka_unit_test(test_row_502_503_504),
        cmocka_unit_test(test_row_529),
        cmocka_unit_test(test_row_x_should_retry),
        cmocka_unit_test(test_row_body_too_large),
        cmocka_unit_test(test_row_partial_body),
        cmocka_unit_test(test_row_stream_error_event),
        cmocka_unit_test(test_row_redirect),
        cmocka_unit_test(test_total_and_safe),
        cmocka_unit_test(test_parse_retry_after),
        cmocka_unit_test(test_retry_after_headers),
        cmocka_unit_test(test_retry_after_comma_locale),
        cmocka_unit_test(test_backoff_bounds),
        cmocka_unit_test(test_backoff_deterministic),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
