/*
 * tests/redis/test_redis_conn.c: the connection layer against a real
 * redis-server: URLs, commands, the pool under threads, fork safety, the
 * breaker (down, restarted, slowed, paused), deadlines, wrong password,
 * and fake servers answering garbage.
 */
#include "rfx.h"

#include "accounting/budget.h"
#include "llmgw/sys/cache.h"

#include <pthread.h>
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

/* A command through the gateway's shared object. */
static int cmd(llmgw_gateway *gw, redisReply **out, const char *a0, const char *a1, const char *a2)
{
    llmgw__rargs *a = llmgw__rargs_new();
    int rc;

    if (a == NULL)
        return LLMGW_ENOMEM;
    llmgw__rargs_addz(a, a0);
    if (a1)
        llmgw__rargs_addz(a, a1);
    if (a2)
        llmgw__rargs_addz(a, a2);
    rc = llmgw__shared_command(gw->shared, out, a);
    llmgw__rargs_free(a);
    return rc;
}

static llmgw_redis_stats stats(llmgw_gateway *gw)
{
    llmgw_redis_stats st;

    assert_int_equal(llmgw_gateway_redis_stats(gw, &st), 0);
    return st;
}

/* ---- commands and the pool ---- */

static void test_roundtrip_and_reuse(void **state)
{
    llmgw_gateway *gw = rfx_gateway(&srv, NULL, 0);
    redisReply *r = NULL;
    int i;

    (void)state;
    assert_int_equal(cmd(gw, &r, "SET", "t:roundtrip", "v1"), 0);
    assert_int_equal(r->type, REDIS_REPLY_STATUS);
    llmgw__rreply_free(r);
    for (i = 0; i < 20; i++) {
        assert_int_equal(cmd(gw, &r, "GET", "t:roundtrip", NULL), 0);
        assert_int_equal(r->type, REDIS_REPLY_STRING);
        assert_string_equal(r->str, "v1");
        llmgw__rreply_free(r);
    }
    /* one thread, one connection, reused */
    assert_int_equal(stats(gw).connects, 1);
    assert_int_equal(stats(gw).calls, 21);
    assert_int_equal(stats(gw).open_connections, 1);
    llmgw_gateway_free(gw);
}

typedef struct thread_arg {
    llmgw_gateway *gw;
    int            ok;
} thread_arg;

static void *incr_thread(void *p)
{
    thread_arg *t = p;
    int i;

    for (i = 0; i < 200; i++) {
        redisReply *r = NULL;
        if (cmd(t->gw, &r, "INCR", "t:counter", NULL) == 0 && r->type == REDIS_REPLY_INTEGER)
            t->ok++;
        llmgw__rreply_free(r);
    }
    return NULL;
}

static void test_pool_threads(void **state)
{
    llmgw_gateway *gw = rfx_gateway(&srv, NULL, 0);
    thread_arg args[8];
    pthread_t th[8];
    redisReply *r;
    int i, total = 0;

    (void)state;
    r = rfx_cmd(&srv, "DEL t:counter");
    freeReplyObject(r);
    for (i = 0; i < 8; i++) {
        args[i].gw = gw;
        args[i].ok = 0;
        assert_int_equal(pthread_create(&th[i], NULL, incr_thread, &args[i]), 0);
    }
    for (i = 0; i < 8; i++) {
        pthread_join(th[i], NULL);
        total += args[i].ok;
    }
    assert_int_equal(total, 1600);
    r = rfx_cmd(&srv, "GET t:counter");
    assert_non_null(r);
    assert_string_equal(r->str, "1600");
    freeReplyObject(r);
    /* never more connections than threads, never one context in two threads (TSan watches) */
    assert_true(stats(gw).connects <= 8);
    assert_true(stats(gw).open_connections <= 8);
    llmgw_gateway_free(gw);
}

/* ---- fork ---- */

static long long client_id(llmgw_gateway *gw)
{
    redisReply *r = NULL;
    long long id;

    assert_int_equal(cmd(gw, &r, "CLIENT", "ID", NULL), 0);
    assert_int_equal(r->type, REDIS_REPLY_INTEGER);
    id = r->integer;
    llmgw__rreply_free(r);
    return id;
}

typedef struct fork_arg {
    llmgw_gateway *gw;
    long long      parent_id;
} fork_arg;

typedef struct fork_out {
    long long id, id2;
    uint64_t  connects_before;
} fork_out;

static long long child_client_id(llmgw_gateway *gw)
{
    redisReply *r = NULL;
    long long id;

    CHILD_CHECK(cmd(gw, &r, "CLIENT", "ID", NULL) == 0);
    CHILD_CHECK(r->type == REDIS_REPLY_INTEGER);
    id = r->integer;
    llmgw__rreply_free(r);
    return id;
}

static void child_ids(void *arg, void *out)
{
    fork_arg *a = arg;
    fork_out *o = out;
    llmgw_redis_stats st;

    CHILD_CHECK(llmgw_gateway_redis_stats(a->gw, &st) == 0);
    o->connects_before = st.connects;
    o->id = child_client_id(a->gw);
    o->id2 = child_client_id(a->gw);
}

static void test_fork_never_reuses_parent_connection(void **state)
{
    llmgw_gateway *gw = rfx_gateway(&srv, NULL, 0);
    fork_arg args[2];
    fork_out outs[2];
    long long pid_id;

    (void)state;
    pid_id = client_id(gw);
    assert_int_equal(client_id(gw), pid_id);            /* the parent reuses its idle connection */
    args[0].gw = args[1].gw = gw;
    args[0].parent_id = args[1].parent_id = pid_id;
    run_children(2, child_ids, args, sizeof(args[0]), outs, sizeof(outs[0]));
    /* each child opened its own, never speaking on the parent's socket, and then reused its own */
    assert_true(outs[0].id != pid_id);
    assert_true(outs[1].id != pid_id);
    assert_true(outs[0].id != outs[1].id);
    assert_int_equal(outs[0].id2, outs[0].id);
    assert_int_equal(outs[1].id2, outs[1].id);
    /* and the parent's connection is intact */
    assert_int_equal(client_id(gw), pid_id);
    llmgw_gateway_free(gw);
}

/* ---- the breaker ---- */

static void test_breaker_down_restart(void **state)
{
    llmgw_gateway *gw = rfx_gateway(&srv, NULL, 0);
    llmgw_redis_stats st;
    redisReply *r = NULL;
    int i, fails = 0;

    (void)state;
    assert_int_equal(cmd(gw, &r, "PING", NULL, NULL), 0);
    llmgw__rreply_free(r);
    llmgw__shared_test_probe_interval(gw, 3600LL * 1000000, 3600LL * 1000000);   /* no probe in this part */
    rfx_stop(&srv);
    for (i = 0; i < 20; i++) {
        if (cmd(gw, &r, "PING", NULL, NULL) != LLMGW_EUNAVAILABLE)
            fail_msg("a call to a stopped Redis answered");
        fails++;
    }
    st = stats(gw);
    /* the pooled connection failed and was retried once fresh; 5 failures opened it; the rest never tried */
    assert_int_equal(st.failures, LLMGW__RBREAKER_FAILURES);
    assert_int_equal(st.skipped, 20 - LLMGW__RBREAKER_FAILURES);
    assert_int_equal(st.breaker_openings, 1);
    assert_int_equal(st.state, LLMGW_REDIS_DOWN);
    assert_int_equal(st.open_connections, 0);
    /* back up: a probe reconnects by itself */
    rfx_restart(&srv, NULL);
    llmgw__shared_test_probe_interval(gw, 20000, 200000);
    gw->shared->breaker.next_probe_us = 0;
    for (i = 0; i < 500; i++) {
        if (cmd(gw, &r, "PING", NULL, NULL) == 0)
            break;
        usleep(20000);
    }
    assert_true(i < 500);
    llmgw__rreply_free(r);
    st = stats(gw);
    assert_int_equal(st.state, LLMGW_REDIS_UP);
    assert_int_equal(st.open_connections, 1);
    llmgw_gateway_free(gw);
}

static void test_slow_and_paused(void **state)
{
    llmgw_gateway *gw = rfx_gateway(&srv, NULL, 0);
    redisReply *r = NULL;
    uint64_t before;
    int i;

    (void)state;
    gw->shared->command_timeout_us = 50000;
    assert_int_equal(cmd(gw, &r, "PING", NULL, NULL), 0);
    llmgw__rreply_free(r);
    /* busy (DEBUG SLEEP): commands time out at the command timeout; after 5 the breaker opens */
    llmgw__shared_test_probe_interval(gw, 3600LL * 1000000, 3600LL * 1000000);
    rfx_sleep_start(&srv, 1.5);
    before = stats(gw).timeouts;
    for (i = 0; i < 10; i++)
        assert_int_equal(cmd(gw, &r, "PING", NULL, NULL), LLMGW_EUNAVAILABLE);
    assert_int_equal(stats(gw).timeouts - before, LLMGW__RBREAKER_FAILURES);
    assert_int_equal(stats(gw).state, LLMGW_REDIS_DOWN);
    rfx_sleep_join();
    llmgw__shared_test_probe_interval(gw, 20000, 200000);
    gw->shared->breaker.next_probe_us = 0;
    for (i = 0; i < 500 && cmd(gw, &r, "PING", NULL, NULL) != 0; i++)
        usleep(20000);
    assert_true(i < 500);
    llmgw__rreply_free(r);
    /* SIGSTOP: TCP open, nothing answers */
    rfx_pause(&srv);
    before = stats(gw).timeouts;
    for (i = 0; i < 10; i++)
        assert_int_equal(cmd(gw, &r, "PING", NULL, NULL), LLMGW_EUNAVAILABLE);
    assert_true(stats(gw).timeouts - before >= 1);
    assert_int_equal(stats(gw).state, LLMGW_REDIS_DOWN);
    rfx_resume(&srv);
    for (i = 0; i < 500 && cmd(gw, &r, "PING", NULL, NULL) != 0; i++)
        usleep(20000);
    assert_true(i < 500);
    llmgw__rreply_free(r);
    assert_int_equal(stats(gw).state, LLMGW_REDIS_UP);
    llmgw_gateway_free(gw);
}

static void test_deadline_clips_every_call(void **state)
{
    llmgw_gateway *gw = rfx_gateway(&srv, NULL, 0);
    redisReply *r = NULL;
    uint64_t calls, skipped;
    int64_t prev, t0;

    (void)state;
    gw->shared->command_timeout_us = 600LL * 1000000;     /* a command alone could wait 10 minutes */
    assert_int_equal(cmd(gw, &r, "PING", NULL, NULL), 0);
    llmgw__rreply_free(r);
    /* the request's deadline has passed: no call is even started */
    calls = stats(gw).calls;
    skipped = stats(gw).skipped;
    prev = llmgw__thread_deadline_set(llmgw__mono_us() - 1);
    assert_int_equal(cmd(gw, &r, "PING", NULL, NULL), LLMGW_EUNAVAILABLE);
    assert_int_equal(stats(gw).calls, calls);
    assert_int_equal(stats(gw).skipped, skipped + 1);
    /* 200 ms left and a server that never answers: the call ends with the request's deadline */
    rfx_pause(&srv);
    llmgw__thread_deadline_set(llmgw__mono_us() + 200000);
    t0 = now_ms();
    assert_int_equal(cmd(gw, &r, "PING", NULL, NULL), LLMGW_EUNAVAILABLE);
    /* a hang detector, not a speed check: unclipped, this call would wait 10 minutes */
    assert_true(now_ms() - t0 < 60000);
    assert_int_equal(stats(gw).timeouts, 1);
    llmgw__thread_deadline_set(prev);
    rfx_resume(&srv);
    llmgw_gateway_free(gw);
}

/* ---- wrong password ---- */

static char logbuf[8192];

static void capture_log(int level, const char *msg, void *ud)
{
    size_t used = strlen(logbuf);

    (void)level;
    (void)ud;
    snprintf(logbuf + used, sizeof(logbuf) - used, "%s\n", msg);
}

static void test_wrong_password(void **state)
{
    static const char *const extra[] = { "--requirepass", "right-pass-0042", NULL };
    llmgw_gateway_options go;
    llmgw_redis_options o;
    llmgw_gateway *gw = NULL;
    redisReply *r = NULL;
    rfx auth = { 0 };
    int i;

    (void)state;
    rfx_start(&auth, extra);
    llmgw_gateway_options_init(&go, LLMGW_GATEWAY_OPTIONS_VERSION);
    go.log_cb = capture_log;
    go.log_level = LLMGW_LOG_DEBUG;
    logbuf[0] = '\0';
    assert_int_equal(llmgw_gateway_new(&gw, &go), 0);
    rfx_options(&auth, &o);
    o.password = "WRONG-pass-0042";
    assert_int_equal(llmgw_gateway_set_redis(gw, &o), 0);
    for (i = 0; i < 10; i++)
        assert_int_equal(cmd(gw, &r, "PING", NULL, NULL), LLMGW_EUNAVAILABLE);
    assert_int_equal(stats(gw).state, LLMGW_REDIS_DOWN);
    assert_non_null(strstr(logbuf, "redis: down"));
    assert_null(strstr(logbuf, "WRONG-pass"));
    assert_null(strstr(llmgw_error_last()->message, "WRONG-pass"));
    /* the right one, through a URL with an escaped character */
    o.password = NULL;
    {
        char url[128];
        snprintf(url, sizeof(url), "redis://:right-pass%%2D0042@127.0.0.1:%d/2", auth.port);
        o.url = url;
        assert_int_equal(llmgw_gateway_set_redis(gw, &o), 0);
    }
    assert_int_equal(cmd(gw, &r, "SET", "t:db2", "x"), 0);
    llmgw__rreply_free(r);
    assert_null(strstr(logbuf, "right-pass"));
    llmgw_gateway_free(gw);
    {
        /* it went to database 2 */
        struct timeval tv = { 5, 0 };
        redisContext *c = redisConnectWithTimeout("127.0.0.1", auth.port, tv);
        assert_true(c != NULL && c->err == 0);
        freeReplyObject(redisCommand(c, "AUTH right-pass-0042"));
        freeReplyObject(redisCommand(c, "SELECT 2"));
        r = redisCommand(c, "GET t:db2");
        assert_non_null(r);
        assert_int_equal(r->type, REDIS_REPLY_STRING);
        assert_string_equal(r->str, "x");
        freeReplyObject(r);
        redisFree(c);
    }
    rfx_destroy(&auth);
}

/* ---- garbage ---- */

static void test_garbage_servers(void **state)
{
    static const int modes[] = { FAKE_JUNK, FAKE_WRONG_TYPE, FAKE_HUGE_BULK, FAKE_HUGE_ARRAY, FAKE_DEEP,
                                 FAKE_SILENT, FAKE_CLOSE };
    size_t m;

    (void)state;
    for (m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
        llmgw_redis_options o;
        llmgw_gateway *gw = NULL;
        fake_server *fs;
        llmgw__shared_rate rate;
        redisReply *r = NULL;
        int64_t ms;
        int port, i, why;

        fs = fake_server_start(modes[m], &port);
        assert_int_equal(llmgw_gateway_new(&gw, NULL), 0);
        llmgw_redis_options_init(&o, LLMGW_REDIS_OPTIONS_VERSION);
        o.host = "127.0.0.1";
        o.port = port;
        o.command_timeout_ms = 200;
        o.connect_timeout_ms = 500;
        assert_int_equal(llmgw_gateway_set_redis(gw, &o), 0);
        for (i = 0; i < 3; i++) {
            int rc = cmd(gw, &r, "GET", "k", NULL);
            /* a well-formed but wrong answer (":7") is returned: callers check its shape */
            if (rc == 0) {
                assert_int_equal(modes[m], FAKE_WRONG_TYPE);
                assert_int_equal(r->type, REDIS_REPLY_INTEGER);
                llmgw__rreply_free(r);
                r = NULL;
            }
            assert_true(llmgw__shared_rate_admit(gw->shared, "dep", 10, 0, true, &rate) < 0);
            assert_true(llmgw__shared_cooldown_read(gw->shared, "dep", &ms, &why) < 0);
        }
        assert_true(stats(gw).failures + stats(gw).rejected_values + stats(gw).skipped > 0);
        llmgw_gateway_free(gw);
        fake_server_stop(fs);
    }
}

/* ---- allocation failures ---- */

static void test_allocation_failures(void **state)
{
    llmgw_gateway *gw = rfx_gateway(&srv, NULL, 1);
    llmgw__shared_rate rate;
    llmgw__budget_ticket t;
    llmgw_buf v = LLMGW_BUF_INIT;
    redisReply *r = NULL;
    unsigned long nth;
    int64_t ms;
    int why;

    (void)state;
    assert_int_equal(llmgw_gateway_set_budget(gw, LLMGW_BUDGET_CUSTOMER, "oom", 100.0, LLMGW_PERIOD_TOTAL), 0);
    /* fail the nth allocation of every shared operation in turn: a fallback, never a crash or a leak */
    for (nth = 1; nth <= 40; nth++) {
        llmgw__alloc_fail_at(nth, LLMGW__ALLOC_TRANSIENT);
        (void)llmgw__shared_rate_admit(gw->shared, "oom-dep", 100, 0, true, &rate);
        llmgw__alloc_fail_at(nth, LLMGW__ALLOC_TRANSIENT);
        (void)llmgw__shared_cooldown_read(gw->shared, "oom-dep", &ms, &why);
        llmgw__alloc_fail_at(nth, LLMGW__ALLOC_TRANSIENT);
        (void)gw->cache_vt->put(gw->cache_self, "oom-key", "value", 5, 60000);
        llmgw__alloc_fail_at(nth, LLMGW__ALLOC_TRANSIENT);
        if (gw->cache_vt->get(&v, gw->cache_self, "oom-key") == 0)
            assert_memory_equal(v.ptr, "value", 5);
        llmgw_buf_dispose(&v);
        llmgw__alloc_fail_at(nth, LLMGW__ALLOC_TRANSIENT);
        if (llmgw__budgets_reserve(gw->budgets, "oom", NULL, 0, 1000, 0, &t) == 0)
            llmgw__budgets_settle(gw->budgets, &t, 1000, 0);
        llmgw__alloc_fail_at(0, LLMGW__ALLOC_TRANSIENT);
    }
    /* out of memory is ours, not Redis': the breaker stayed closed and everything works */
    assert_int_equal(stats(gw).state, LLMGW_REDIS_UP);
    assert_int_equal(cmd(gw, &r, "PING", NULL, NULL), 0);
    llmgw__rreply_free(r);
    assert_int_equal(gw->cache_vt->put(gw->cache_self, "oom-key", "value", 5, 60000), 0);
    assert_int_equal(gw->cache_vt->get(&v, gw->cache_self, "oom-key"), 0);
    llmgw_buf_dispose(&v);
    llmgw_gateway_free(gw);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_and_reuse),
        cmocka_unit_test(test_pool_threads),
        cmocka_unit_test(test_fork_never_reuses_parent_connection),
        cmocka_unit_test(test_breaker_down_restart),
        cmocka_unit_test(test_slow_and_paused),
        cmocka_unit_test(test_deadline_clips_every_call),
        cmocka_unit_test(test_wrong_password),
        cmocka_unit_test(test_garbage_servers),
        cmocka_unit_test(test_allocation_failures),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
