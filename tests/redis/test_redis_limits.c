/*
 * tests/redis/test_redis_limits.c: one rpm / tpm / parallel limit and one
 * circuit state for several processes, through a real redis-server.
 */
#include "rfx.h"

#include <unistd.h>

#include "router/health.h"
#include "router/ratelimit.h"

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

/* ---- rpm over several processes ---- */

typedef struct rpm_arg {
    char    id[64];
    int64_t rpm;
    int     tries;
    bool    shared;
} rpm_arg;

typedef struct rpm_out {
    int admitted;
    int denied_with_wait;     /* denials that named a wait in (0, 60 s] */
} rpm_out;

/* One process: its own gateway and Redis connections, as a pre-fork server's worker would have. */
static void rpm_child(void *p, void *o)
{
    rpm_arg *a = p;
    rpm_out *out = o;
    llmgw_gateway *gw = NULL;
    llmgw__limiter l;
    int i;

    if (a->shared)
        CHILD_CHECK((gw = rfx_gateway_try(&srv, NULL, 0)) != NULL);
    CHILD_CHECK(llmgw__limiter_init(&l) == 0);
    if (gw != NULL)
        llmgw__limiter_share(&l, gw->shared, a->id);
    for (i = 0; i < a->tries; i++) {
        int64_t wait = llmgw__limiter_admit(&l, llmgw__mono_us(), a->rpm, 0, true);
        if (wait == 0)
            out->admitted++;
        else if (wait > 0 && wait <= 60 * 1000000LL)
            out->denied_with_wait++;
    }
    llmgw__limiter_dispose(&l);
    llmgw_gateway_free(gw);
}

static void rpm_run(int procs, bool shared, rpm_out *outs)
{
    rpm_arg args[4];
    int i;

    for (i = 0; i < procs; i++) {
        snprintf(args[i].id, sizeof(args[i].id), "rpm-%d-%s", procs, shared ? "shared" : "local");
        args[i].rpm = 25;
        args[i].tries = 60;
        args[i].shared = shared;
    }
    memset(outs, 0, sizeof(*outs) * (size_t)procs);
    run_children(procs, rpm_child, args, sizeof(args[0]), outs, sizeof(outs[0]));
}

static void test_rpm_shared_by_2_and_4_processes(void **state)
{
    static const int counts[] = { 2, 4 };
    size_t k;

    (void)state;
    for (k = 0; k < 2; k++) {
        int n = counts[k], i, total = 0, denied = 0;
        rpm_out outs[4];

        /* without Redis: each process enforces 25 on its own, 25 x n in all */
        rpm_run(n, false, outs);
        for (i = 0; i < n; i++)
            total += outs[i].admitted;
        assert_int_equal(total, 25 * n);
        /* through Redis: 25 for the whole fleet (all within one 60 s window: no tolerance needed) */
        rpm_run(n, true, outs);
        total = 0;
        for (i = 0; i < n; i++) {
            total += outs[i].admitted;
            denied += outs[i].denied_with_wait;
        }
        assert_int_equal(total, 25);
        assert_int_equal(denied, 60 * n - 25);
    }
}

/* ---- tpm, parallel, peeks ---- */

static void test_tpm_and_peeks_between_gateways(void **state)
{
    llmgw_gateway *a = rfx_gateway(&srv, NULL, 0), *b = rfx_gateway(&srv, NULL, 0);
    llmgw__limiter la, lb;
    int64_t now = llmgw__mono_us(), wait;
    uint64_t calls;

    (void)state;
    llmgw__limiter_init(&la);
    llmgw__limiter_init(&lb);
    llmgw__limiter_share(&la, a->shared, "tpm-dep");
    llmgw__limiter_share(&lb, b->shared, "tpm-dep");
    assert_int_equal(llmgw__limiter_admit(&la, now, 0, 1000, true), 0);
    llmgw__limiter_tokens(&la, now, 900);
    assert_int_equal(llmgw__limiter_admit(&lb, now, 0, 1000, true), 0);   /* 900 < 1000 */
    llmgw__limiter_tokens(&lb, now, 200);
    wait = llmgw__limiter_admit(&la, now, 0, 1000, true);                /* 1100 >= 1000 */
    assert_true(wait > 0 && wait <= 60 * 1000000LL);
    /* a peek reads the last answer without a round trip */
    calls = a->shared->n.calls;
    assert_true(llmgw__limiter_admit(&la, now, 0, 1000, false) > 0);
    assert_int_equal(a->shared->n.calls, calls);
    /* usage-based routing sees the fleet's tokens */
    assert_true(llmgw__limiter_load(&la, now, 0, 1000) >= 1.0);
    llmgw__limiter_dispose(&la);
    llmgw__limiter_dispose(&lb);
    llmgw_gateway_free(a);
    llmgw_gateway_free(b);
}

static void test_parallel_slots_between_gateways(void **state)
{
    llmgw_gateway *a = rfx_gateway(&srv, NULL, 0), *b = rfx_gateway(&srv, NULL, 0);
    llmgw__parallel_slot s1, s2, s3, s4;
    llmgw__limiter la, lb;
    redisReply *r;

    (void)state;
    llmgw__limiter_init(&la);
    llmgw__limiter_init(&lb);
    llmgw__limiter_share(&la, a->shared, "par-dep");
    llmgw__limiter_share(&lb, b->shared, "par-dep");
    assert_true(llmgw__limiter_parallel_acquire(&la, 3, &s1));
    assert_true(llmgw__limiter_parallel_acquire(&la, 3, &s2));
    assert_true(s1.shared && s2.shared);
    assert_true(llmgw__limiter_parallel_acquire(&lb, 3, &s3));
    assert_false(llmgw__limiter_parallel_acquire(&lb, 3, &s4));          /* 3 of 3 in the fleet */
    llmgw__limiter_parallel_release(&la, &s1);
    assert_true(llmgw__limiter_parallel_acquire(&lb, 3, &s4));
    /* a lease expires by itself if its process dies: the key has a TTL */
    r = rfx_cmd(&srv, "PTTL t:pl:par-dep");
    assert_non_null(r);
    assert_true(r->type == REDIS_REPLY_INTEGER && r->integer > 0 && r->integer <= 605000);
    freeReplyObject(r);
    llmgw__limiter_parallel_release(&la, &s2);
    llmgw__limiter_parallel_release(&lb, &s3);
    llmgw__limiter_parallel_release(&lb, &s4);
    r = rfx_cmd(&srv, "ZCARD t:pl:par-dep");
    assert_int_equal(r->integer, 0);
    freeReplyObject(r);
    /* no limit: nothing to take */
    assert_true(llmgw__limiter_parallel_acquire(&la, 0, &s1));
    assert_false(s1.shared);
    llmgw__limiter_parallel_release(&la, &s1);
    /* not shared: this process's count alone */
    llmgw__limiter_share(&la, NULL, NULL);
    assert_true(llmgw__limiter_parallel_acquire(&la, 2, &s1));
    assert_true(llmgw__limiter_parallel_acquire(&la, 2, &s2));
    assert_false(s1.shared || s2.shared);
    assert_false(llmgw__limiter_parallel_acquire(&la, 2, &s3));
    llmgw__limiter_parallel_release(&la, &s2);
    llmgw__limiter_parallel_release(&la, &s2);          /* a second release is a no-op */
    assert_true(llmgw__limiter_parallel_acquire(&la, 2, &s3));
    assert_false(llmgw__limiter_parallel_acquire(&la, 2, &s4));
    llmgw__limiter_parallel_release(&la, &s1);
    llmgw__limiter_parallel_release(&la, &s3);
    assert_int_equal(atomic_load(&la.parallel), 0);
    llmgw__limiter_dispose(&la);
    llmgw__limiter_dispose(&lb);
    llmgw_gateway_free(a);
    llmgw_gateway_free(b);
}

/* ---- cooldowns ---- */

typedef struct cd_out {
    bool    opened;
    int64_t open_for_us;
} cd_out;

static void open_breaker_child(void *p, void *o)
{
    cd_out *out = o;
    llmgw_gateway *gw = rfx_gateway_try(&srv, NULL, 0);
    llmgw__health_cfg cfg = { 3, 20 * 1000000LL, 300 * 1000000LL, false };
    llmgw__outcome fail;
    llmgw__health h;
    uint64_t rng = 7;
    int64_t now = llmgw__mono_us(), until = 0;
    int i;

    (void)p;
    CHILD_CHECK(gw != NULL);
    CHILD_CHECK(llmgw__health_init(&h) == 0);
    llmgw__health_share(&h, gw->shared, "cd-dep");
    memset(&fail, 0, sizeof(fail));
    fail.status = LLMGW_EUNAVAILABLE;
    fail.error_class = LLMGW_ERRCLASS_SERVER_ERROR;
    fail.breaker = true;
    fail.retry_after_ms = -1;
    for (i = 0; i < 3; i++)
        out->opened |= llmgw__health_report(&h, &cfg, now, false, &fail, &rng);
    llmgw__health_state(&h, now, &until);
    out->open_for_us = until - now;
    llmgw__health_dispose(&h);
    llmgw_gateway_free(gw);
}

static void test_cooldown_seen_by_another_process(void **state)
{
    llmgw_gateway *gw = rfx_gateway(&srv, NULL, 0);
    llmgw__health_cfg cfg = { 3, 20 * 1000000LL, 300 * 1000000LL, false };
    llmgw__outcome hold;
    llmgw__health h;
    cd_out out;
    redisReply *r;
    uint64_t rng = 1;
    int64_t now, until = 0;
    int dummy = 0;

    (void)state;
    llmgw__health_init(&h);
    llmgw__health_share(&h, gw->shared, "cd-dep");
    now = llmgw__mono_us();
    assert_int_equal(llmgw__health_peek(&h, now, &until), LLMGW__ADMIT);
    /* another process finds the deployment down */
    memset(&out, 0, sizeof(out));
    run_children(1, open_breaker_child, &dummy, sizeof(dummy), &out, sizeof(out));
    assert_true(out.opened);
    /* in Redis: TTL = the remaining open time (20 s ± 10 %), never a fixed long one */
    r = rfx_cmd(&srv, "PTTL t:cd:cd-dep");
    assert_true(r->integer > 0 && r->integer <= out.open_for_us / 1000);
    freeReplyObject(r);
    /* this process sees it at its next read (at most a second later) */
    now = llmgw__mono_us() + 1000001;
    assert_int_equal(llmgw__health_peek(&h, now, &until), LLMGW__DENY);
    assert_true(until > now && until - now <= out.open_for_us);
    /* its own shorter hold does not shorten the shared one (merged by max) */
    memset(&hold, 0, sizeof(hold));
    hold.status = LLMGW_ERATELIMIT;
    hold.error_class = LLMGW_ERRCLASS_RATE_LIMIT;
    hold.retry_after_ms = 1000;
    llmgw__health_report(&h, &cfg, now, false, &hold, &rng);
    r = rfx_cmd(&srv, "PTTL t:cd:cd-dep");
    assert_true(r->integer > 5000);
    freeReplyObject(r);
    r = rfx_cmd(&srv, "GET t:cd:cd-dep");
    assert_string_equal(r->str, "v1:0");                /* still the breaker's */
    freeReplyObject(r);
    llmgw__health_dispose(&h);
    llmgw_gateway_free(gw);
}

static void test_cooldown_values_are_untrusted(void **state)
{
    llmgw_gateway *gw = rfx_gateway(&srv, NULL, 0);
    llmgw__health h;
    redisReply *r;
    int64_t now, until = 0, ms;
    int why;

    (void)state;
    llmgw__health_init(&h);
    llmgw__health_share(&h, gw->shared, "evil-dep");
    r = rfx_cmd(&srv, "SET t:cd:evil-dep %s PX 60000", "v1:99999");
    freeReplyObject(r);
    assert_true(llmgw__shared_cooldown_read(gw->shared, "evil-dep", &ms, &why) < 0);
    now = llmgw__mono_us();
    assert_int_equal(llmgw__health_peek(&h, now, &until), LLMGW__ADMIT);
    r = rfx_cmd(&srv, "SET t:cd:evil-dep %s", "v1:0");            /* no TTL: no cooldown */
    freeReplyObject(r);
    assert_int_equal(llmgw__shared_cooldown_read(gw->shared, "evil-dep", &ms, &why), 0);
    r = rfx_cmd(&srv, "DEL t:cd:evil-dep");
    freeReplyObject(r);
    r = rfx_cmd(&srv, "HSET t:cd:evil-dep a b");                   /* the wrong type: the script errors */
    freeReplyObject(r);
    assert_true(llmgw__shared_cooldown_read(gw->shared, "evil-dep", &ms, &why) < 0);
    assert_int_equal(llmgw__health_peek(&h, now + 2000000, &until), LLMGW__ADMIT);
    assert_true(gw->shared->n.rejected >= 1);
    assert_true(gw->shared->n.failures >= 1);
    llmgw__health_dispose(&h);
    llmgw_gateway_free(gw);
}

/* ---- through gateways from config files ---- */

typedef struct gw_arg {
    int port;
    int requests;
} gw_arg;

typedef struct gw_out {
    int ok, rate_limited, lost_race, other;
} gw_out;

static void gateway_child(void *p, void *o)
{
    gw_arg *a = p;
    gw_out *out = o;
    llmgw_gateway *gw = NULL;
    char config[1024];
    int i;

    snprintf(config, sizeof(config),
             "{\"model_list\": [{\"model_name\": \"g\", \"litellm_params\": {\"model\": \"mock/m\", "
             "\"api_key\": \"k\", \"rpm\": 7}}],"
             " \"router_settings\": {\"redis_host\": \"127.0.0.1\", \"redis_port\": %d},"
             " \"llmgw_settings\": {\"redis\": {\"key_prefix\": \"cfg:\", \"command_timeout_ms\": 2000,"
             " \"connect_timeout_ms\": 2000}}}", a->port);
    CHILD_CHECK(llmgw_gateway_open_buffer(&gw, config, strlen(config), "json", NULL) == 0);
    for (i = 0; i < a->requests; i++) {
        llmgw_request *req = NULL;
        llmgw_response *resp = NULL;
        int rc;
        llmgw_request_new(&req, "g");
        llmgw_request_add_message(req, LLMGW_ROLE_USER, "hi");
        rc = llmgw_complete(gw, req, &resp);
        if (rc == 0)
            out->ok++;
        else if (rc == LLMGW_ERATELIMIT && llmgw_error_last()->error_class == LLMGW_ERRCLASS_RATE_LIMIT)
            out->rate_limited++;
        else if (rc == LLMGW_EUNAVAILABLE && strstr(llmgw_error_last()->message, "left to try") != NULL)
            out->lost_race++;       /* see below */
        else
            out->other++;
        llmgw_response_free(resp);
        llmgw_request_free(req);
    }
    llmgw_gateway_free(gw);
}

static void test_rpm_through_config_gateways(void **state)
{
    gw_arg args[2] = { { srv.port, 10 }, { srv.port, 10 } };
    gw_out outs[2];

    (void)state;
    memset(outs, 0, sizeof(outs));
    run_children(2, gateway_child, args, sizeof(args[0]), outs, sizeof(outs[0]));
    /* one deployment of rpm 7 in a config two processes load: 7 requests go through, not 14 */
    assert_int_equal(outs[0].ok + outs[1].ok, 7);
    /*
     * Every refusal is a rate limit, including the loser of a race for the
     * last slot (its pick saw room that its take then lost).
     */
    assert_int_equal(outs[0].ok + outs[0].rate_limited, 10);
    assert_int_equal(outs[1].ok + outs[1].rate_limited, 10);
    assert_int_equal(outs[0].lost_race + outs[1].lost_race, 0);
    assert_int_equal(outs[0].other + outs[1].other, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rpm_shared_by_2_and_4_processes),
        cmocka_unit_test(test_tpm_and_peeks_between_gateways),
        cmocka_unit_test(test_parallel_slots_between_gateways),
        cmocka_unit_test(test_cooldown_seen_by_another_process),
        cmocka_unit_test(test_cooldown_values_are_untrusted),
        cmocka_unit_test(test_rpm_through_config_gateways),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
