/*
 * tests/redis/test_redis_faults.c: no request fails because of Redis.
 * Gateways sharing everything (cache, rate limits, budgets, cooldowns) run
 * requests against the in-process mock provider while Redis is stopped
 * mid-run, restarted, slowed (DEBUG SLEEP), frozen (SIGSTOP), swapped for
 * servers answering garbage, and not running at open; every request
 * succeeds, nothing leaks (ASan, valgrind, open descriptors), and sharing
 * comes back by itself.
 */
#include "rfx.h"

#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

static rfx srv;

static int group_setup(void **state)
{
    (void)state;
    rfx_start(&srv, NULL);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    rfx_destroy(&srv);
    return 0;
}

/* A gateway sharing everything through port, with the spec's timeouts (connect 100 ms, command 50 ms). */
static llmgw_gateway *fault_gateway(int port)
{
    llmgw_gateway_options go;
    llmgw_deployment_options d;
    llmgw_redis_options o;
    llmgw_gateway *gw = NULL;

    llmgw_gateway_options_init(&go, LLMGW_GATEWAY_OPTIONS_VERSION);
    go.cache_enabled = 1;
    go.max_attempts = 1;
    assert_int_equal(llmgw_gateway_new(&gw, &go), 0);
    llmgw_deployment_options_init(&d, LLMGW_DEPLOYMENT_OPTIONS_VERSION);
    d.group = "g";
    d.model = "mock/fault";
    d.api_key = "sk-test-faults-0001";
    d.rpm = 100000;
    d.tpm = 100000000;
    d.custom_prices = 1; /* budgets refuse unpriced deployments */
    d.input_cost_per_token = 1e-6;
    d.output_cost_per_token = 2e-6;
    assert_int_equal(llmgw_gateway_add_deployment(gw, &d), 0);
    assert_int_equal(llmgw_gateway_set_budget(gw, LLMGW_BUDGET_CUSTOMER, "acme", 1000.0, LLMGW_PERIOD_DAILY), 0);
    llmgw_redis_options_init(&o, LLMGW_REDIS_OPTIONS_VERSION);
    o.host = "127.0.0.1";
    o.port = port;
    o.key_prefix = "f:";
    o.secret = "faults-secret";
    o.cache = 1;
    assert_int_equal(llmgw_gateway_set_redis(gw, &o), 0);
    llmgw__shared_test_probe_interval(gw, 20000, 200000);
    return gw;
}

/* One request; distinct prompts miss the cache, so the limits and the ledger are used every time. */
static int request(llmgw_gateway *gw, int n)
{
    llmgw_request *req = NULL;
    llmgw_response *resp = NULL;
    char prompt[64];
    int rc;

    snprintf(prompt, sizeof(prompt), "question %d from %d", n, (int)getpid());
    if (llmgw_request_new(&req, "g") != 0 || llmgw_request_add_message(req, LLMGW_ROLE_USER, prompt) != 0 ||
        llmgw_request_set_customer(req, "acme") != 0) {
        llmgw_request_free(req);
        return LLMGW_ENOMEM;
    }
    rc = llmgw_complete(gw, req, &resp);
    if (rc != 0)
        fprintf(stderr, "request %d failed: %s\n", n, llmgw_error_last()->message);
    llmgw_response_free(resp);
    llmgw_request_free(req);
    return rc;
}

static int batch(llmgw_gateway *gw, int n)
{
    static atomic_int seq;
    int i, failed = 0;

    for (i = 0; i < n; i++)
        failed += request(gw, atomic_fetch_add(&seq, 1)) != 0;
    return failed;
}

static llmgw_redis_stats stats(llmgw_gateway *gw)
{
    llmgw_redis_stats st;

    assert_int_equal(llmgw_gateway_redis_stats(gw, &st), 0);
    return st;
}

/* Run requests until Redis is in use again (bounded: 30 s). */
static void until_up(llmgw_gateway *gw)
{
    int64_t t0 = now_ms();

    while (now_ms() - t0 < 30000) {
        uint64_t calls = stats(gw).calls, failures = stats(gw).failures;
        assert_int_equal(batch(gw, 1), 0);
        if (stats(gw).state == LLMGW_REDIS_UP && stats(gw).calls > calls && stats(gw).failures == failures)
            return;
        usleep(20000);
    }
    fail_msg("Redis never came back into use");
}

typedef struct runner {
    llmgw_gateway *gw;
    int            n, failed;
} runner;

static void *run_thread(void *p)
{
    runner *r = p;

    r->failed = batch(r->gw, r->n);
    return NULL;
}

static void test_stopped_mid_run_then_restarted(void **state)
{
    int fds = open_fds();
    llmgw_gateway *gw = fault_gateway(srv.port);
    runner rs[4];
    pthread_t th[4];
    int i, failed = 0;

    (void)state;
    assert_int_equal(batch(gw, 10), 0);
    assert_int_equal(stats(gw).failures, 0);
    assert_true(stats(gw).calls > 0);
    /* stopped while four threads run requests */
    for (i = 0; i < 4; i++) {
        rs[i].gw = gw;
        rs[i].n = 25;
        assert_int_equal(pthread_create(&th[i], NULL, run_thread, &rs[i]), 0);
    }
    usleep(20000);
    rfx_stop(&srv);
    for (i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        failed += rs[i].failed;
    }
    assert_int_equal(failed, 0);
    assert_int_equal(batch(gw, 20), 0);
    assert_int_equal(stats(gw).state, LLMGW_REDIS_DOWN);
    assert_int_equal(stats(gw).open_connections, 0);
    /* back: it reconnects by itself, and the cache works across gateways again */
    rfx_restart(&srv, NULL);
    until_up(gw);
    assert_int_equal(batch(gw, 10), 0);
    assert_int_equal(stats(gw).state, LLMGW_REDIS_UP);
    llmgw_gateway_free(gw);
    assert_int_equal(open_fds(), fds);          /* no socket left behind */
}

static void test_slowed_and_frozen(void **state)
{
    llmgw_gateway *gw = fault_gateway(srv.port);
    uint64_t timeouts;

    (void)state;
    assert_int_equal(batch(gw, 5), 0);
    /* busy for a second: calls time out (50 ms), the breaker opens, requests go on */
    rfx_sleep_start(&srv, 1.0);
    timeouts = stats(gw).timeouts;
    assert_int_equal(batch(gw, 20), 0);
    assert_true(stats(gw).timeouts > timeouts);
    rfx_sleep_join();
    until_up(gw);
    /* frozen: TCP open, no replies */
    rfx_pause(&srv);
    timeouts = stats(gw).timeouts;
    assert_int_equal(batch(gw, 20), 0);
    assert_true(stats(gw).timeouts > timeouts);
    assert_int_equal(stats(gw).state, LLMGW_REDIS_DOWN);
    rfx_resume(&srv);
    until_up(gw);
    llmgw_gateway_free(gw);
}

static void test_garbage_servers(void **state)
{
    static const int modes[] = { FAKE_JUNK, FAKE_WRONG_TYPE, FAKE_HUGE_BULK, FAKE_HUGE_ARRAY, FAKE_DEEP,
                                 FAKE_SILENT, FAKE_CLOSE };
    int fds = open_fds();
    size_t m;

    (void)state;
    for (m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
        int port;
        fake_server *fs = fake_server_start(modes[m], &port);
        llmgw_gateway *gw = fault_gateway(port);
        assert_int_equal(batch(gw, 10), 0);
        assert_true(stats(gw).failures + stats(gw).rejected_values > 0);
        llmgw_gateway_free(gw);
        fake_server_stop(fs);
    }
    assert_int_equal(open_fds(), fds);
}

/* Redis out of memory (noeviction): every write is refused; reads and requests go on. */
static void test_writes_refused(void **state)
{
    llmgw_gateway *gw = fault_gateway(srv.port);
    redisReply *r;
    uint64_t failures;

    (void)state;
    assert_int_equal(batch(gw, 3), 0);
    r = rfx_cmd(&srv, "CONFIG SET maxmemory 1");
    freeReplyObject(r);
    failures = stats(gw).failures;
    assert_int_equal(batch(gw, 10), 0);
    /* the writes failed, each alone: an error reply is no sign that Redis is gone */
    assert_true(stats(gw).failures > failures);
    assert_int_equal(stats(gw).state, LLMGW_REDIS_UP);
    r = rfx_cmd(&srv, "CONFIG SET maxmemory 0");
    freeReplyObject(r);
    failures = stats(gw).failures;
    assert_int_equal(batch(gw, 5), 0);
    assert_int_equal(stats(gw).failures, failures);
    llmgw_gateway_free(gw);
}

static char logbuf[16384];

static void capture_log(int level, const char *msg, void *ud)
{
    size_t used = strlen(logbuf);

    (void)level;
    (void)ud;
    snprintf(logbuf + used, sizeof(logbuf) - used, "%s\n", msg);
}

static void test_not_running_at_open(void **state)
{
    llmgw_gateway_options go;
    llmgw_gateway *gw = NULL;
    char config[1024];
    int port = free_port();
    rfx late = { 0 };

    (void)state;
    /* a config naming a Redis nobody listens on: opening succeeds, requests succeed */
    snprintf(config, sizeof(config),
             "{\"model_list\": [{\"model_name\": \"g\", \"litellm_params\": {\"model\": \"mock/late\","
             " \"api_key\": \"k\", \"rpm\": 1000}}],"
             " \"litellm_settings\": {\"cache\": true, \"cache_params\": {\"type\": \"redis\"}},"
             " \"router_settings\": {\"redis_url\": \"redis://:pw-never-logged@127.0.0.1:%d/0\"},"
             " \"llmgw_settings\": {\"redis\": {\"key_prefix\": \"late:\", \"secret\": \"s\"}}}", port);
    llmgw_gateway_options_init(&go, LLMGW_GATEWAY_OPTIONS_VERSION);
    go.log_cb = capture_log;
    go.log_level = LLMGW_LOG_DEBUG;
    logbuf[0] = '\0';
    assert_int_equal(llmgw_gateway_open_buffer(&gw, config, strlen(config), "json", &go), 0);
    assert_non_null(gw->shared);
    llmgw__shared_test_probe_interval(gw, 20000, 200000);
    assert_int_equal(batch(gw, 20), 0);
    assert_int_equal(stats(gw).state, LLMGW_REDIS_DOWN);
    assert_true(stats(gw).connects == 0);
    /* it starts later: the gateway finds it by itself */
    late.port = port;
    rfx_start(&late, (const char *const[]){ "--requirepass", "pw-never-logged", NULL });
    assert_int_equal(late.port, port);
    until_up(gw);
    assert_true(stats(gw).connects >= 1);
    llmgw_gateway_free(gw);
    rfx_destroy(&late);
    /* it said so, and never showed the password */
    assert_non_null(strstr(logbuf, "redis: down"));
    assert_non_null(strstr(logbuf, "redis: up again"));
    assert_null(strstr(logbuf, "pw-never-logged"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stopped_mid_run_then_restarted),
        cmocka_unit_test(test_slowed_and_frozen),
        cmocka_unit_test(test_garbage_servers),
        cmocka_unit_test(test_writes_refused),
        cmocka_unit_test(test_not_running_at_open),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
