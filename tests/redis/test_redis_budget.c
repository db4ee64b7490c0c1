/*
 * tests/redis/test_redis_budget.c: one spend ledger for several processes:
 * concurrent spenders never exceed a budget, reservations are all or
 * nothing, leases and period keys expire, status shows the fleet's spend,
 * and the local ledger takes over when Redis is gone; budget alerts fire
 * once per threshold for the whole fleet; gateway-wide budgets are shared.
 */
#include "rfx.h"

#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include "accounting/budget.h"

#define NUSD 1000000000LL          /* one USD */
#define COST (30 * 1000000LL)      /* 0.03 USD a request */

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

static int64_t wall_s(void)
{
    return (int64_t)time(NULL);
}

/* ---- concurrent spenders ---- */

typedef struct spend_arg {
    char name[32];
    bool shared;
} spend_arg;

typedef struct spend_out {
    int spent;          /* requests that reserved and settled */
    int refused;
} spend_out;

typedef struct spender {
    llmgw_gateway *gw;
    const char    *name;
    int            spent, refused;
} spender;

static void *spend_thread(void *p)
{
    spender *s = p;
    int i;

    for (i = 0; i < 40; i++) {
        llmgw__budget_ticket t;
        if (llmgw__budgets_reserve(s->gw->budgets, s->name, NULL, 0, COST, wall_s(), &t) != 0) {
            s->refused++;
            continue;
        }
        usleep(1000);                /* "the request" */
        llmgw__budgets_settle(s->gw->budgets, &t, COST, wall_s());
        s->spent++;
    }
    return NULL;
}

/* One process, three threads spending against the same customer budget of 1 USD. */
static void spend_child(void *p, void *o)
{
    spend_arg *a = p;
    spend_out *out = o;
    llmgw_gateway *gw = NULL;
    spender sp[3];
    pthread_t th[3];
    int i;

    if (a->shared)
        CHILD_CHECK((gw = rfx_gateway_try(&srv, NULL, 0)) != NULL);
    else
        CHILD_CHECK(llmgw_gateway_new(&gw, NULL) == 0);
    CHILD_CHECK(llmgw_gateway_set_budget(gw, LLMGW_BUDGET_CUSTOMER, a->name, 1.0, LLMGW_PERIOD_TOTAL) == 0);
    for (i = 0; i < 3; i++) {
        sp[i].gw = gw;
        sp[i].name = a->name;
        sp[i].spent = sp[i].refused = 0;
        CHILD_CHECK(pthread_create(&th[i], NULL, spend_thread, &sp[i]) == 0);
    }
    for (i = 0; i < 3; i++) {
        pthread_join(th[i], NULL);
        out->spent += sp[i].spent;
        out->refused += sp[i].refused;
    }
    llmgw_gateway_free(gw);
}

static int spend_run(bool shared, const char *name)
{
    spend_arg args[4];
    spend_out outs[4];
    int i, total = 0;

    for (i = 0; i < 4; i++) {
        snprintf(args[i].name, sizeof(args[i].name), "%s", name);
        args[i].shared = shared;
    }
    memset(outs, 0, sizeof(outs));
    run_children(4, spend_child, args, sizeof(args[0]), outs, sizeof(outs[0]));
    for (i = 0; i < 4; i++) {
        total += outs[i].spent;
        assert_int_equal(outs[i].spent + outs[i].refused, 3 * 40);
    }
    return total;
}

static void test_concurrent_spenders_never_exceed(void **state)
{
    llmgw_gateway *gw;
    llmgw_budget_status st;

    (void)state;
    /* 1 USD at 0.03 a request: 33 requests fit (0.99), a 34th would not */
    assert_int_equal(spend_run(false, "acme-local"), 4 * 33);      /* each process alone: 4 x over */
    assert_int_equal(spend_run(true, "acme"), 33);                 /* the fleet: exactly the budget */
    gw = rfx_gateway(&srv, NULL, 0);
    assert_int_equal(llmgw_gateway_set_budget(gw, LLMGW_BUDGET_CUSTOMER, "acme", 1.0, LLMGW_PERIOD_TOTAL), 0);
    assert_int_equal(llmgw_gateway_budget_status(gw, LLMGW_BUDGET_CUSTOMER, "acme", &st), 0);
    assert_int_equal(st.spent_nusd, 33 * COST);
    assert_true(st.spent_nusd <= NUSD);
    assert_int_equal(st.reserved_nusd, 0);
    llmgw_gateway_free(gw);
}

/* ---- all or nothing, status, refusal ---- */

static void test_all_or_nothing_and_status(void **state)
{
    llmgw_gateway *a = rfx_gateway(&srv, NULL, 0), *b = rfx_gateway(&srv, NULL, 0);
    const char *tags[] = { "team-x", "batch" };
    llmgw__budget_ticket t;
    llmgw_budget_status st;
    llmgw_gateway *g[2] = { a, b };
    int i;

    (void)state;
    for (i = 0; i < 2; i++) {
        assert_int_equal(llmgw_gateway_set_budget(g[i], LLMGW_BUDGET_CUSTOMER, "globex", 10.0, LLMGW_PERIOD_DAILY), 0);
        assert_int_equal(llmgw_gateway_set_budget(g[i], LLMGW_BUDGET_TAG, "team-x", 10.0, LLMGW_PERIOD_MONTHLY), 0);
        assert_int_equal(llmgw_gateway_set_budget(g[i], LLMGW_BUDGET_TAG, "batch", 0.1, LLMGW_PERIOD_TOTAL), 0);
    }
    /* process a spends 0.08 on batch (and the others) */
    assert_int_equal(llmgw__budgets_reserve(a->budgets, "globex", tags, 2, 80000000, wall_s(), &t), 0);
    assert_true(t.shared);
    llmgw__budgets_settle(a->budgets, &t, 80000000, wall_s());
    /* process b sees the fleet's spend */
    assert_int_equal(llmgw_gateway_budget_status(b, LLMGW_BUDGET_TAG, "batch", &st), 0);
    assert_int_equal(st.spent_nusd, 80000000);
    assert_int_equal(llmgw_gateway_budget_status(b, LLMGW_BUDGET_CUSTOMER, "globex", &st), 0);
    assert_int_equal(st.spent_nusd, 80000000);
    /* 0.03 more would pass globex and team-x but not batch: refused, and nothing held anywhere */
    assert_int_equal(llmgw__budgets_reserve(b->budgets, "globex", tags, 2, COST, wall_s(), &t), LLMGW_EBUDGET);
    assert_non_null(strstr(llmgw_error_last()->message, "tag 'batch'"));
    assert_int_equal(llmgw_error_last()->error_class, LLMGW_ERRCLASS_BUDGET_EXCEEDED);
    assert_int_equal(t.n, 0);
    assert_int_equal(llmgw_gateway_budget_status(a, LLMGW_BUDGET_TAG, "team-x", &st), 0);
    assert_int_equal(st.reserved_nusd, 0);
    assert_int_equal(st.spent_nusd, 80000000);
    /* daily and monthly spend keys expire a day after their period; the total one stays */
    {
        redisReply *r = rfx_cmd(&srv, "KEYS t:bs:*globex");
        redisReply *ttl;
        assert_int_equal(r->elements, 1);
        ttl = rfx_cmd(&srv, "TTL %s", r->element[0]->str);
        assert_true(ttl->integer > 86400 && ttl->integer <= 2 * 86400);
        freeReplyObject(ttl);
        freeReplyObject(r);
        r = rfx_cmd(&srv, "KEYS t:bs:t:0:0:batch");
        assert_int_equal(r->elements, 1);
        ttl = rfx_cmd(&srv, "TTL t:bs:t:0:0:batch");
        assert_int_equal(ttl->integer, -1);
        freeReplyObject(ttl);
        freeReplyObject(r);
    }
    llmgw_gateway_free(a);
    llmgw_gateway_free(b);
}

static void test_reservation_is_a_lease(void **state)
{
    llmgw_gateway *gw = rfx_gateway(&srv, NULL, 0);
    llmgw__budget_ticket t;
    redisReply *r, *now;
    int64_t prev;
    double score, server_ms;

    (void)state;
    assert_int_equal(llmgw_gateway_set_budget(gw, LLMGW_BUDGET_CUSTOMER, "initech", 1.0, LLMGW_PERIOD_TOTAL), 0);
    /* a request with 10 s left: should its process die, the hold goes 60 s after that deadline */
    prev = llmgw__thread_deadline_set(llmgw__mono_us() + 10 * 1000000LL);
    assert_int_equal(llmgw__budgets_reserve(gw->budgets, "initech", NULL, 0, COST, wall_s(), &t), 0);
    llmgw__thread_deadline_set(prev);
    r = rfx_cmd(&srv, "ZRANGE t:br:c:0:0:initech 0 -1 WITHSCORES");
    now = rfx_cmd(&srv, "TIME");
    assert_int_equal(r->elements, 2);
    assert_non_null(strstr(r->element[0]->str, "|30000000"));
    score = strtod(r->element[1]->str, NULL);
    server_ms = strtod(now->element[0]->str, NULL) * 1000 + strtod(now->element[1]->str, NULL) / 1000;
    assert_true(score > server_ms + 60000 && score <= server_ms + 70000);
    freeReplyObject(r);
    freeReplyObject(now);
    /* an expired lease no longer holds money: make it old and look again */
    r = rfx_cmd(&srv, "ZADD t:br:c:0:0:initech 1 dead-process-lease|500000000");
    freeReplyObject(r);
    {
        llmgw_budget_status st;
        assert_int_equal(llmgw_gateway_budget_status(gw, LLMGW_BUDGET_CUSTOMER, "initech", &st), 0);
        assert_int_equal(st.reserved_nusd, COST);
    }
    llmgw__budgets_settle(gw->budgets, &t, COST, wall_s());
    llmgw_gateway_free(gw);
}

/* ---- alerts: once per threshold across processes ---- */

typedef struct alert_out {
    int     count[3];
    int64_t spent[3];
    int     not_shared;
    int     other;
} alert_out;

static pthread_mutex_t alert_mu = PTHREAD_MUTEX_INITIALIZER;

static void child_alert(const llmgw_budget_alert *a, void *userdata)
{
    alert_out *o = userdata;
    int k = a->threshold == 0.5 ? 0 : a->threshold == 0.8 ? 1 : a->threshold == 0.99 ? 2 : -1;

    pthread_mutex_lock(&alert_mu);
    if (k < 0 || a->scope != LLMGW_BUDGET_CUSTOMER || (strncmp(a->name, "alerted", 7) != 0 && strcmp(a->name, "hooli") != 0)) {
        o->other++;
    } else {
        o->count[k]++;
        o->spent[k] = a->spent_nusd;
        if (!a->shared)
            o->not_shared++;
    }
    pthread_mutex_unlock(&alert_mu);
}

static void alert_child(void *p, void *o)
{
    static const double th[] = { 0.5, 0.8, 0.99 };
    alert_out *out = o;
    llmgw_gateway *gw;
    spender sp[3];
    pthread_t t[3];
    int i;

    (void)p;
    CHILD_CHECK((gw = rfx_gateway_try(&srv, NULL, 0)) != NULL);
    CHILD_CHECK(llmgw_gateway_set_budget(gw, LLMGW_BUDGET_CUSTOMER, "alerted", 1.0, LLMGW_PERIOD_TOTAL) == 0);
    CHILD_CHECK(llmgw_gateway_set_budget_alerts(gw, LLMGW_BUDGET_CUSTOMER, "alerted", th, 3) == 0);
    CHILD_CHECK(llmgw_gateway_on_budget_alert(gw, child_alert, out) == 0);
    for (i = 0; i < 3; i++) {
        sp[i].gw = gw;
        sp[i].name = "alerted";
        sp[i].spent = sp[i].refused = 0;
        CHILD_CHECK(pthread_create(&t[i], NULL, spend_thread, &sp[i]) == 0);
    }
    for (i = 0; i < 3; i++)
        pthread_join(t[i], NULL);
    llmgw_gateway_free(gw);
}

static void test_alerts_once_across_processes(void **state)
{
    alert_out outs[4];
    int args[4] = { 0, 1, 2, 3 };
    int i, k, count[3] = { 0, 0, 0 };
    int64_t spent[3] = { 0, 0, 0 };
    redisReply *r;

    (void)state;
    memset(outs, 0, sizeof(outs));
    /* 4 processes x 3 threads at 0.03 a request against 1 USD: 33 requests; 0.51, 0.81, 0.99 cross */
    run_children(4, alert_child, args, sizeof(args[0]), outs, sizeof(outs[0]));
    for (i = 0; i < 4; i++) {
        assert_int_equal(outs[i].other, 0);
        assert_int_equal(outs[i].not_shared, 0);
        for (k = 0; k < 3; k++) {
            count[k] += outs[i].count[k];
            if (outs[i].count[k])
                spent[k] = outs[i].spent[k];
        }
    }
    for (k = 0; k < 3; k++)
        assert_int_equal(count[k], 1);
    /* each fired on the settle that crossed it */
    assert_int_equal(spent[0], 17 * COST);
    assert_int_equal(spent[1], 27 * COST);
    assert_int_equal(spent[2], 33 * COST);
    r = rfx_cmd(&srv, "HGET t:bs:c:0:0:alerted a:800000");
    assert_non_null(r);
    assert_int_equal(r->type, REDIS_REPLY_STRING);
    freeReplyObject(r);
}

/* Two gateways on one Redis: a threshold one of them fired stays quiet in the other; Redis gone, each judges alone. */
static void test_alerts_two_gateways(void **state)
{
    llmgw_gateway *a = rfx_gateway(&srv, NULL, 0), *b = rfx_gateway(&srv, NULL, 0);
    llmgw__budget_ticket t;
    alert_out oa, ob;

    (void)state;
    memset(&oa, 0, sizeof(oa));
    memset(&ob, 0, sizeof(ob));
    assert_int_equal(llmgw_gateway_set_budget(a, LLMGW_BUDGET_CUSTOMER, "alerted2", 1.0, LLMGW_PERIOD_DAILY), 0);
    assert_int_equal(llmgw_gateway_set_budget(b, LLMGW_BUDGET_CUSTOMER, "alerted2", 1.0, LLMGW_PERIOD_DAILY), 0);
    assert_int_equal(llmgw_gateway_on_budget_alert(a, child_alert, &oa), 0);
    assert_int_equal(llmgw_gateway_on_budget_alert(b, child_alert, &ob), 0);
    /* a spends 0.6: 50 % is a's */
    assert_int_equal(llmgw__budgets_reserve(a->budgets, "alerted2", NULL, 0, COST, wall_s(), &t), 0);
    assert_true(t.shared);
    llmgw__budgets_settle(a->budgets, &t, 600000000, wall_s());
    /* b spends 0.1: the fleet's 0.7 is past 50 %, already fired: nothing */
    assert_int_equal(llmgw__budgets_reserve(b->budgets, "alerted2", NULL, 0, COST, wall_s(), &t), 0);
    llmgw__budgets_settle(b->budgets, &t, 100000000, wall_s());
    /* b spends 0.15 more: 0.85 crosses 80 %, b's */
    assert_int_equal(llmgw__budgets_reserve(b->budgets, "alerted2", NULL, 0, COST, wall_s(), &t), 0);
    llmgw__budgets_settle(b->budgets, &t, 150000000, wall_s());
    assert_int_equal(oa.other + ob.other, 0);
    assert_int_equal(oa.count[0], 1);
    assert_int_equal(oa.spent[0], 600000000);
    assert_int_equal(ob.count[0], 0);
    assert_int_equal(ob.count[1], 1);
    assert_int_equal(ob.spent[1], 850000000);
    assert_int_equal(oa.count[1], 0);
    assert_int_equal(oa.count[2] + ob.count[2], 0);
    llmgw_gateway_free(a);
    llmgw_gateway_free(b);
}

/* ---- gateway-wide budgets, shared ---- */

static void test_global_budget_shared(void **state)
{
    llmgw_gateway *a = rfx_gateway(&srv, NULL, 0), *b = rfx_gateway(&srv, NULL, 0);
    llmgw__budget_ticket t;
    llmgw_budget_status st;
    redisReply *r;

    (void)state;
    assert_int_equal(llmgw_gateway_set_budget(a, LLMGW_BUDGET_GLOBAL, NULL, 0.1, LLMGW_PERIOD_MONTHLY), 0);
    assert_int_equal(llmgw_gateway_set_budget(b, LLMGW_BUDGET_GLOBAL, "monthly", 0.1, LLMGW_PERIOD_MONTHLY), 0);
    /* a spends 0.09 with no customer at all */
    assert_int_equal(llmgw__budgets_reserve(a->budgets, NULL, NULL, 0, COST, wall_s(), &t), 0);
    assert_true(t.shared);
    assert_int_equal(t.n, 1);
    llmgw__budgets_settle(a->budgets, &t, 3 * COST, wall_s());
    /* b sees it and refuses 0.03 more */
    assert_int_equal(llmgw_gateway_budget_status(b, LLMGW_BUDGET_GLOBAL, NULL, &st), 0);
    assert_int_equal(st.spent_nusd, 3 * COST);
    assert_int_equal(llmgw__budgets_reserve(b->budgets, "anyone", NULL, 0, COST, wall_s(), &t), LLMGW_EBUDGET);
    assert_non_null(strstr(llmgw_error_last()->message, "gateway-wide monthly budget"));
    r = rfx_cmd(&srv, "KEYS t:bs:g:2:*:monthly");
    assert_non_null(r);
    assert_int_equal(r->elements, 1);
    freeReplyObject(r);
    llmgw_gateway_free(a);
    llmgw_gateway_free(b);
}

static void test_local_ledger_when_redis_is_down(void **state)
{
    llmgw_gateway *gw = rfx_gateway(&srv, NULL, 0);
    llmgw__budget_ticket t;
    llmgw_budget_status st;
    alert_out al;
    int i, ok = 0;

    (void)state;
    memset(&al, 0, sizeof(al));
    assert_int_equal(llmgw_gateway_set_budget(gw, LLMGW_BUDGET_CUSTOMER, "hooli", 0.1, LLMGW_PERIOD_TOTAL), 0);
    assert_int_equal(llmgw_gateway_on_budget_alert(gw, child_alert, &al), 0);
    /* shared spend: 0.06 */
    for (i = 0; i < 2; i++) {
        assert_int_equal(llmgw__budgets_reserve(gw->budgets, "hooli", NULL, 0, COST, wall_s(), &t), 0);
        assert_true(t.shared);
        llmgw__budgets_settle(gw->budgets, &t, COST, wall_s());
    }
    rfx_stop(&srv);
    /* Redis gone: this process's ledger (which saw its own 0.06) decides: one more fits, not two */
    for (i = 0; i < 5; i++) {
        if (llmgw__budgets_reserve(gw->budgets, "hooli", NULL, 0, COST, wall_s(), &t) == 0) {
            assert_false(t.shared);
            llmgw__budgets_settle(gw->budgets, &t, COST, wall_s());
            ok++;
        }
    }
    assert_int_equal(ok, 1);
    assert_int_equal(llmgw_gateway_budget_status(gw, LLMGW_BUDGET_CUSTOMER, "hooli", &st), 0);
    assert_int_equal(st.spent_nusd, 3 * COST);
    /* alerts: 50 % from the fleet's ledger (0.06), then 80 % judged by this process's own (0.09) */
    assert_int_equal(al.count[0], 1);
    assert_int_equal(al.spent[0], 2 * COST);
    assert_int_equal(al.count[1], 1);
    assert_int_equal(al.spent[1], 3 * COST);
    assert_int_equal(al.not_shared, 1);
    rfx_restart(&srv, NULL);
    llmgw_gateway_free(gw);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_concurrent_spenders_never_exceed),
        cmocka_unit_test(test_all_or_nothing_and_status),
        cmocka_unit_test(test_reservation_is_a_lease),
        cmocka_unit_test(test_alerts_once_across_processes),
        cmocka_unit_test(test_alerts_two_gateways),
        cmocka_unit_test(test_global_budget_shared),
        cmocka_unit_test(test_local_ledger_when_redis_is_down),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
