/*
 * Integration: 8 threads share one gateway for 1,000 requests, streamed and
 * not; every one succeeds, the usage hook fires once per request, and the
 * tokens the hook saw equal, exactly, what the mock billed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "itest.h"

#define THREADS 8
#define PER_THREAD 125

typedef struct totals {
    atomic_ulong records, input, output, failures;
} totals;

typedef struct worker {
    itest  *t;
    int     id;
    int     ok;
} worker;

static void on_usage(const llmgw_usage *u, void *ud)
{
    totals *tot = ud;

    atomic_fetch_add(&tot->records, 1);
    atomic_fetch_add(&tot->input, u->input_tokens);
    atomic_fetch_add(&tot->output, u->output_tokens);
    if (u->status != 0)
        atomic_fetch_add(&tot->failures, 1);
}

static void *run(void *arg)
{
    worker *w = arg;
    char prompt[64];
    int i;

    for (i = 0; i < PER_THREAD; i++) {
        llmgw_request *req;
        llmgw_response *r = NULL;
        int rc;

        snprintf(prompt, sizeof(prompt), "thread %d request %d %s", w->id, i, i % 3 ? "x" : "y z");
        if (llmgw_request_new(&req, "pool") != 0 ||
            llmgw_request_add_message(req, LLMGW_ROLE_USER, prompt) != 0)
            return NULL;
        if (i % 2 == 0) {
            rc = llmgw_complete(w->t->gw, req, &r);
        } else {
            llmgw_stream_sink s;
            llmgw_stream_sink_init(&s, LLMGW_STREAM_SINK_VERSION);
            rc = llmgw_complete_stream(w->t->gw, req, &s, &r);
        }
        if (rc == 0 && strcmp(llmgw_response_text(r), "Hello from the mock upstream.") == 0)
            w->ok++;
        llmgw_response_free(r);
        llmgw_request_free(req);
    }
    return NULL;
}

static void test_threads_share_a_gateway(void **state)
{
    itest t;
    llmgw_gateway_options o;
    totals tot;
    worker w[THREADS];
    pthread_t th[THREADS];
    mock_ledger led;
    int i, ok = 0;

    (void)state;
    memset(&tot, 0, sizeof(tot));
    llmgw_gateway_options_init(&o, LLMGW_GATEWAY_OPTIONS_VERSION);
    o.usage_cb = on_usage;
    o.usage_userdata = &tot;
    itest_start(&t, &o);
    itest_add(&t, "pool", "p1", "gpt-a");
    itest_add(&t, "pool", "p2", "gpt-b");
    for (i = 0; i < THREADS; i++) {
        w[i].t = &t;
        w[i].id = i;
        w[i].ok = 0;
        assert_int_equal(pthread_create(&th[i], NULL, run, &w[i]), 0);
    }
    for (i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        ok += w[i].ok;
    }
    assert_int_equal(ok, THREADS * PER_THREAD);
    assert_int_equal(atomic_load(&tot.records), THREADS * PER_THREAD);
    assert_int_equal(atomic_load(&tot.failures), 0);
    mock_server_ledger(t.srv, NULL, &led);
    assert_int_equal(led.requests, THREADS * PER_THREAD);
    assert_int_equal(led.usage_reports, THREADS * PER_THREAD);
    assert_int_equal(atomic_load(&tot.input), led.prompt_tokens);
    assert_int_equal(atomic_load(&tot.output), led.completion_tokens);
    itest_stop(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_threads_share_a_gateway),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
