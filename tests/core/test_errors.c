/*
 * tests/core/test_errors.c: status and class strings, the class -> status
 * mapping of docs/resilience.md §b.2, the per-thread last error, setting it
 * (printf, redaction, truncation), out of memory, and the attempt trail.
 */
#include "unit.h"

#include <pthread.h>

#include "core/errors.h"
#include "core/utf8.h"

static void test_status_strings(void **state)
{
    static const struct { int code; const char *str; } cases[] = {
        { LLMGW_OK, "success" },
        { LLMGW_ERROR, "error" },
        { LLMGW_ENOMEM, "out of memory" },
        { LLMGW_EINVAL, "invalid argument" },
        { LLMGW_EVERSION, "unsupported version" },
        { LLMGW_ENOTFOUND, "not found" },
        { LLMGW_EAUTH, "authentication failed" },
        { LLMGW_ERATELIMIT, "rate limited" },
        { LLMGW_ETIMEOUT, "timed out" },
        { LLMGW_EUNAVAILABLE, "upstream unavailable" },
        { LLMGW_EPROVIDER, "rejected by the provider" },
        { LLMGW_EBUDGET, "budget exceeded" },
        { LLMGW_ECANCELLED, "cancelled" },
        { LLMGW_EUNSUPPORTED, "unsupported" },
        { LLMGW_EUSER, "stopped by a callback" },
    };
    size_t i;

    (void)state;
    /* the numbers are ABI: never renumbered */
    assert_int_equal(LLMGW_ENOMEM, -2);
    assert_int_equal(LLMGW_EPROVIDER, -10);
    assert_int_equal(LLMGW_EUSER, -14);
    for (i = 0; i < LLMGW_ARRAY_SIZE(cases); i++)
        assert_string_equal(llmgw_status_str(cases[i].code), cases[i].str);
    assert_string_equal(llmgw_status_str(-15), "unknown status");
    assert_string_equal(llmgw_status_str(1), "unknown status");
    assert_string_equal(llmgw_status_str(INT32_MIN), "unknown status");
}

/* DESIGN.md §4: the same strings everywhere, in enum order. */
static const char *const class_names[] = {
    "", "bad_request", "auth", "not_found", "rate_limit", "quota_exceeded",
    "context_length_exceeded", "content_policy", "timeout", "server_error", "network",
    "stream_cut", "budget_exceeded", "config", "unsupported", "cancelled",
};

static void test_class_strings_round_trip(void **state)
{
    int i;

    (void)state;
    assert_int_equal(LLMGW_ERRCLASS__COUNT, (int)LLMGW_ARRAY_SIZE(class_names));
    for (i = 0; i < LLMGW_ERRCLASS__COUNT; i++) {
        const char *s = llmgw_error_class_str(i);
        assert_non_null(s);
        assert_string_equal(s, class_names[i]);
        assert_int_equal(llmgw_error_class_from_str(s), i);
    }
    assert_int_equal(LLMGW_ERRCLASS_RATE_LIMIT, 4);
    assert_int_equal(LLMGW_ERRCLASS_CANCELLED, 15);
    assert_null(llmgw_error_class_str(-1));
    assert_null(llmgw_error_class_str(LLMGW_ERRCLASS__COUNT));
    assert_int_equal(llmgw_error_class_from_str(NULL), LLMGW_ERRCLASS_NONE);
    assert_int_equal(llmgw_error_class_from_str("Rate_Limit"), LLMGW_ERRCLASS_NONE);
    assert_int_equal(llmgw_error_class_from_str("rate_limit "), LLMGW_ERRCLASS_NONE);
    assert_int_equal(llmgw_error_class_from_str("overloaded"), LLMGW_ERRCLASS_NONE);
}

/* docs/resilience.md §b.2, the paragraph above the table. */
static void test_class_status_mapping(void **state)
{
    static const struct { int cls, status; } rows[] = {
        { LLMGW_ERRCLASS_NONE, LLMGW_OK },
        { LLMGW_ERRCLASS_AUTH, LLMGW_EAUTH },
        { LLMGW_ERRCLASS_RATE_LIMIT, LLMGW_ERATELIMIT },
        { LLMGW_ERRCLASS_QUOTA_EXCEEDED, LLMGW_ERATELIMIT },
        { LLMGW_ERRCLASS_TIMEOUT, LLMGW_ETIMEOUT },
        { LLMGW_ERRCLASS_BAD_REQUEST, LLMGW_EPROVIDER },
        { LLMGW_ERRCLASS_CONTEXT_LENGTH_EXCEEDED, LLMGW_EPROVIDER },
        { LLMGW_ERRCLASS_CONTENT_POLICY, LLMGW_EPROVIDER },
        { LLMGW_ERRCLASS_NOT_FOUND, LLMGW_ENOTFOUND },
        { LLMGW_ERRCLASS_NETWORK, LLMGW_EUNAVAILABLE },
        { LLMGW_ERRCLASS_SERVER_ERROR, LLMGW_EUNAVAILABLE },
        { LLMGW_ERRCLASS_STREAM_CUT, LLMGW_EUNAVAILABLE },
        { LLMGW_ERRCLASS_BUDGET_EXCEEDED, LLMGW_EBUDGET },
        { LLMGW_ERRCLASS_CANCELLED, LLMGW_ECANCELLED },
        { LLMGW_ERRCLASS_CONFIG, LLMGW_EINVAL },
        { LLMGW_ERRCLASS_UNSUPPORTED, LLMGW_EUNSUPPORTED },
    };
    size_t i;
    bool seen[LLMGW_ERRCLASS__COUNT] = { false };

    (void)state;
    for (i = 0; i < LLMGW_ARRAY_SIZE(rows); i++) {
        assert_int_equal(llmgw_error_class_status(rows[i].cls), rows[i].status);
        seen[rows[i].cls] = true;
    }
    for (i = 0; i < LLMGW_ERRCLASS__COUNT; i++)
        assert_true(seen[i]);           /* every class has a row */
    assert_int_equal(llmgw_error_class_status(-1), LLMGW_ERROR);
    assert_int_equal(llmgw_error_class_status(LLMGW_ERRCLASS__COUNT), LLMGW_ERROR);
}

static void test_set_formats_and_defaults(void **state)
{
    const llmgw_error *e;

    (void)state;
    llmgw_error_clear();
    e = llmgw_error_last();
    assert_int_equal(e->code, 0);
    assert_int_equal(e->error_class, LLMGW_ERRCLASS_NONE);
    assert_string_equal(e->message, "");
    assert_null(e->provider);
    assert_int_equal(e->http_status, 0);
    assert_int_equal(e->retry_after_ms, -1);
    assert_null(e->attempts);
    assert_int_equal(e->attempt_count, 0);

    assert_int_equal(llmgw_error_set(LLMGW_EPROVIDER, "openai: %s (%d)", "bad model", 400),
                     LLMGW_EPROVIDER);
    e = llmgw_error_last();
    assert_int_equal(e->code, LLMGW_EPROVIDER);
    assert_int_equal(e->error_class, LLMGW_ERRCLASS_BAD_REQUEST);
    assert_string_equal(e->message, "openai: bad model (400)");
    assert_int_equal(e->retry_after_ms, -1);
    assert_ptr_equal(e, llmgw_error_last());          /* the same per-thread object */

    llmgw_error_set(LLMGW_ERATELIMIT, "slow down");
    assert_int_equal(llmgw_error_last()->error_class, LLMGW_ERRCLASS_RATE_LIMIT);
    llmgw_error_set_class(LLMGW_ERRCLASS_QUOTA_EXCEEDED);
    assert_int_equal(llmgw_error_last()->error_class, LLMGW_ERRCLASS_QUOTA_EXCEEDED);
    llmgw_error_set_class(LLMGW_ERRCLASS__COUNT);      /* out of range: ignored */
    llmgw_error_set_class(-3);
    assert_int_equal(llmgw_error_last()->error_class, LLMGW_ERRCLASS_QUOTA_EXCEEDED);

    llmgw_error_set(LLMGW_ETIMEOUT, "x");
    assert_int_equal(llmgw_error_last()->error_class, LLMGW_ERRCLASS_TIMEOUT);
    llmgw_error_set(LLMGW_EUSER, "x");
    assert_int_equal(llmgw_error_last()->error_class, LLMGW_ERRCLASS_CANCELLED);
    llmgw_error_set(LLMGW_EVERSION, "x");
    assert_int_equal(llmgw_error_last()->error_class, LLMGW_ERRCLASS_CONFIG);

    llmgw_error_clear();
    assert_int_equal(llmgw_error_last()->code, 0);
    assert_string_equal(llmgw_error_last()->message, "");
}

static void test_set_detail(void **state)
{
    llmgw__error_detail d = { LLMGW_ERATELIMIT, LLMGW_ERRCLASS_RATE_LIMIT, 429, 1500,
                              "anthropic" };
    char longname[200];
    const llmgw_error *e;

    (void)state;
    assert_int_equal(llmgw__error_setd(&d, "rate limited by %s", "upstream"), LLMGW_ERATELIMIT);
    e = llmgw_error_last();
    assert_int_equal(e->http_status, 429);
    assert_int_equal(e->retry_after_ms, 1500);
    assert_string_equal(e->provider, "anthropic");
    assert_ptr_not_equal(e->provider, d.provider);     /* copied */
    assert_string_equal(e->message, "rate limited by upstream");

    /* re-raising the last error's own provider and message is safe */
    d.provider = llmgw_error_last()->provider;
    llmgw__error_setd(&d, "again: %s", llmgw_error_last()->message);
    assert_string_equal(llmgw_error_last()->provider, "anthropic");
    assert_string_equal(llmgw_error_last()->message, "again: rate limited by upstream");

    /* a long provider name is cut, still terminated */
    memset(longname, 'p', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    d.provider = longname;
    llmgw__error_setd(&d, "x");
    assert_int_equal(strlen(llmgw_error_last()->provider), 63);

    assert_int_equal(llmgw__error_setc(LLMGW_EUNAVAILABLE, LLMGW_ERRCLASS_STREAM_CUT, "cut at %d", 7),
                     LLMGW_EUNAVAILABLE);
    e = llmgw_error_last();
    assert_int_equal(e->error_class, LLMGW_ERRCLASS_STREAM_CUT);
    assert_null(e->provider);
    assert_int_equal(e->http_status, 0);
    assert_int_equal(e->retry_after_ms, -1);
    assert_string_equal(e->message, "cut at 7");
}

static void test_set_redacts(void **state)
{
    (void)state;
    llmgw_error_set(LLMGW_EAUTH, "openai: 401 for header %s", "Authorization: Bearer sk-proj-abcdefghijklmnop");
    assert_string_equal(llmgw_error_last()->message, "openai: 401 for header Authorization:***");
    llmgw_error_set(LLMGW_EPROVIDER, "GET https://x/v1/models/m:generateContent?key=%s&alt=sse failed",
                    "AIzaSyDdI0hCZtE6vySjMm");
    assert_string_equal(llmgw_error_last()->message,
                        "GET https://x/v1/models/m:generateContent?key=***&alt=sse failed");
    llmgw_error_set(LLMGW_EPROVIDER, "bad key sk-ant-api03-ABCDEFGHIJKLMNOP\r\nX-Injected: 1");
    assert_string_equal(llmgw_error_last()->message, "bad key sk-***  X-Injected: 1");
    assert_null(strstr(llmgw_error_last()->message, "ABCDEFGH"));
}

static void test_set_truncates_valid_utf8(void **state)
{
    char big[3000];
    size_t i, n;
    const char *m;

    (void)state;
    /* 2-byte sequences: the 1023-byte cut lands inside one, which is dropped whole */
    for (i = 0; i + 2 < sizeof(big); i += 2) {
        big[i] = (char)0xC3;
        big[i + 1] = (char)0xA9;       /* é */
    }
    big[i] = '\0';
    llmgw_error_set(LLMGW_EPROVIDER, "%s", big);
    m = llmgw_error_last()->message;
    n = strlen(m);
    assert_int_equal(n, 1022);
    assert_true(llmgw__utf8_valid(m, n));
    assert_memory_equal(m, big, n);
}

static void test_oom(void **state)
{
    llmgw_request *req = (llmgw_request *)(uintptr_t)1;
    const llmgw_error *e;

    (void)state;
    llmgw_error_set(LLMGW_EPROVIDER, "earlier");
    assert_int_equal(llmgw__error_oom(), LLMGW_ENOMEM);
    e = llmgw_error_last();
    assert_int_equal(e->code, LLMGW_ENOMEM);
    assert_string_equal(e->message, "out of memory");
    assert_null(e->provider);
    assert_int_equal(e->retry_after_ms, -1);

    /* a real allocation failure reaches the caller the same way */
    llmgw_error_clear();
    llmgw__alloc_fail_at(1, LLMGW__ALLOC_PERSISTENT);
    assert_int_equal(llmgw_request_new(&req, "m"), LLMGW_ENOMEM);
    llmgw__alloc_fail_at(0, LLMGW__ALLOC_TRANSIENT);
    assert_null(req);
    assert_int_equal(llmgw_error_last()->code, LLMGW_ENOMEM);
    assert_string_equal(llmgw_error_last()->message, "out of memory");
}

static void test_null_argument_message(void **state)
{
    (void)state;
    assert_fails_with(llmgw_request_new(NULL, "m"), LLMGW_EINVAL, "argument 'out' is NULL");
    assert_int_equal(llmgw_error_last()->error_class, LLMGW_ERRCLASS_BAD_REQUEST);
    assert_contains(llmgw_error_last()->message, "llmgw_request_new");
}

/* ---- per-thread last error ---- */

struct thread_result {
    int  code_before;
    char message_before[64];
    int  code_after;
    char message_after[64];
    int  attempts_after;
};

static void *thread_main(void *arg)
{
    struct thread_result *r = arg;
    llmgw_attempt a = { .deployment = "d-thread", .provider = "p", .model = "m" };

    r->code_before = llmgw_error_last()->code;
    snprintf(r->message_before, sizeof(r->message_before), "%s", llmgw_error_last()->message);
    llmgw_error_set(LLMGW_ETIMEOUT, "thread %d", 2);
    llmgw__error_set_trail(&a, 1);       /* freed by the thread's destructor (valgrind) */
    r->code_after = llmgw_error_last()->code;
    snprintf(r->message_after, sizeof(r->message_after), "%s", llmgw_error_last()->message);
    r->attempts_after = (int)llmgw_error_last()->attempt_count;
    return NULL;
}

static void test_per_thread(void **state)
{
    pthread_t th[4];
    struct thread_result res[4];
    int i;

    (void)state;
    memset(res, 0, sizeof(res));
    llmgw_error_set(LLMGW_EAUTH, "main %d", 1);
    for (i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&th[i], NULL, thread_main, &res[i]), 0);
    for (i = 0; i < 4; i++)
        assert_int_equal(pthread_join(th[i], NULL), 0);
    for (i = 0; i < 4; i++) {
        assert_int_equal(res[i].code_before, 0);         /* a new thread starts clean */
        assert_string_equal(res[i].message_before, "");
        assert_int_equal(res[i].code_after, LLMGW_ETIMEOUT);
        assert_string_equal(res[i].message_after, "thread 2");
        assert_int_equal(res[i].attempts_after, 1);
    }
    assert_int_equal(llmgw_error_last()->code, LLMGW_EAUTH);
    assert_string_equal(llmgw_error_last()->message, "main 1");
    assert_null(llmgw_error_last()->attempts);
}

/* ---- attempt trail ---- */

static void test_trail_copy(void **state)
{
    char dep0[] = "openai-gpt4o-a1b2", prov0[] = "openai", model0[] = "gpt-4o";
    llmgw_attempt a[3];
    const llmgw_error *e;

    (void)state;
    memset(a, 0, sizeof(a));
    a[0].deployment = dep0;
    a[0].provider = prov0;
    a[0].model = model0;
    a[0].status = LLMGW_EUNAVAILABLE;
    a[0].error_class = LLMGW_ERRCLASS_SERVER_ERROR;
    a[0].http_status = 503;
    a[0].retry_after_ms = -1;
    a[1].deployment = "anthropic-x";
    a[1].provider = NULL;                  /* NULL strings stay NULL */
    a[1].model = "claude";
    a[1].http_status = 429;
    a[1].retry_after_ms = 150;
    a[1].usage_known = 1;
    a[1].input_tokens = 12;
    a[2].deployment = "";
    a[2].provider = "p";
    a[2].model = "m";
    a[2].cost_nusd = 123456789;

    llmgw_error_set(LLMGW_EUNAVAILABLE, "all failed");
    llmgw__error_set_trail(a, 3);
    /* the caller's storage may change or go away */
    memset(dep0, 'X', sizeof(dep0) - 1);
    prov0[0] = 'Y';
    e = llmgw_error_last();
    assert_int_equal(e->attempt_count, 3);
    assert_non_null(e->attempts);
    assert_ptr_not_equal(e->attempts, a);
    assert_string_equal(e->attempts[0].deployment, "openai-gpt4o-a1b2");
    assert_string_equal(e->attempts[0].provider, "openai");
    assert_string_equal(e->attempts[0].model, "gpt-4o");
    assert_int_equal(e->attempts[0].http_status, 503);
    assert_int_equal(e->attempts[0].error_class, LLMGW_ERRCLASS_SERVER_ERROR);
    assert_string_equal(e->attempts[1].deployment, "anthropic-x");
    assert_null(e->attempts[1].provider);
    assert_int_equal(e->attempts[1].retry_after_ms, 150);
    assert_int_equal(e->attempts[1].input_tokens, 12);
    assert_string_equal(e->attempts[2].deployment, "");
    assert_int_equal(e->attempts[2].cost_nusd, 123456789);
    assert_string_equal(e->message, "all failed");       /* the message stays */

    /* a message may quote the trail it replaces */
    llmgw_error_set(LLMGW_EUNAVAILABLE, "last tried %s", llmgw_error_last()->attempts[1].deployment);
    assert_string_equal(llmgw_error_last()->message, "last tried anthropic-x");
    assert_null(llmgw_error_last()->attempts);
    assert_int_equal(llmgw_error_last()->attempt_count, 0);

    /* replacing and clearing */
    llmgw__error_set_trail(a, 1);
    assert_int_equal(llmgw_error_last()->attempt_count, 1);
    llmgw__error_set_trail(NULL, 0);
    assert_null(llmgw_error_last()->attempts);
    llmgw__error_set_trail(a, 2);
    llmgw__error_oom();
    assert_null(llmgw_error_last()->attempts);
    llmgw__error_set_trail(a, 2);
    llmgw_error_clear();
    assert_null(llmgw_error_last()->attempts);
    assert_int_equal(llmgw_error_last()->attempt_count, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_strings),
        cmocka_unit_test(test_class_strings_round_trip),
        cmocka_unit_test(test_class_status_mapping),
        cmocka_unit_test(test_set_formats_and_defaults),
        cmocka_unit_test(test_set_detail),
        cmocka_unit_test(test_set_redacts),
        cmocka_unit_test(test_set_truncates_valid_utf8),
        cmocka_unit_test(test_oom),
        cmocka_unit_test(test_null_argument_message),
        cmocka_unit_test(test_per_thread),
        cmocka_unit_test(test_trail_copy),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
