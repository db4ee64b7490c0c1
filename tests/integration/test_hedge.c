/*
 * Integration: request hedging (hedge_after_ms, docs/hedging.md) over
 * loopback against the mock. A primary that has not answered after the
 * delay gets a hedge on the group's other deployment; the first answer wins,
 * the loser is cancelled and stays in the trail with its billed usage; only
 * the winner's stream events reach the sink, with one terminal callback.
 * No hedge when the primary answers or fails first, when the group has one
 * deployment, or by default. Delays are tens of milliseconds; a loser that
 * is never cancelled would hold the call for a minute (the deadline), so a
 * broken cancellation fails by the suite's timeout rather than passing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "itest.h"

#define MAX_SEEN 6

/* What the usage hook saw (the one record of the last request). */
typedef struct seen {
    int      records;
    unsigned attempts;
    int      status;
    char     lane[MAX_SEEN];         /* 'a', 'b', or '?' */
    int      a_status[MAX_SEEN], a_class[MAX_SEEN], a_billed[MAX_SEEN], a_known[MAX_SEEN], a_est[MAX_SEEN];
    uint64_t a_in[MAX_SEEN];
    int64_t  a_cost[MAX_SEEN];
    uint64_t input_tokens;
    int64_t  cost_nusd;
    char     deployment_lane;
} seen;

static seen g_seen;

static char lane_of(const char *id)
{
    if (id == NULL)
        return '?';
    if (strcmp(id, "dep-a") == 0)
        return 'a';
    if (strcmp(id, "dep-b") == 0)
        return 'b';
    return '?';
}

static void on_usage(const llmgw_usage *u, void *userdata)
{
    seen *s = userdata;
    unsigned i;

    s->records++;
    s->attempts = u->attempts;
    s->status = u->status;
    s->input_tokens = u->input_tokens;
    s->cost_nusd = u->cost_nusd;
    s->deployment_lane = lane_of(u->deployment);
    for (i = 0; i < u->attempts && i < MAX_SEEN; i++) {
        const llmgw_attempt *a = &u->trail[i];
        s->lane[i] = lane_of(a->deployment);
        s->a_status[i] = a->status;
        s->a_class[i] = a->error_class;
        s->a_billed[i] = a->billed;
        s->a_known[i] = a->usage_known;
        s->a_est[i] = a->usage_estimated;
        s->a_in[i] = a->input_tokens;
        s->a_cost[i] = a->cost_nusd;
    }
}

static void add(itest *t, const char *lane, int order)
{
    llmgw_deployment_options d;
    char base[256], id[16];

    snprintf(base, sizeof(base), "%s/lane/%s/v1", mock_server_base_url(t->srv), lane);
    snprintf(id, sizeof(id), "dep-%s", lane);
    assert_int_equal(llmgw_deployment_options_init(&d, LLMGW_DEPLOYMENT_OPTIONS_VERSION), 0);
    d.group = "g";
    d.model = "openai/gpt-test";
    d.api_base = base;
    d.api_key = TEST_KEY;
    d.id = id;
    d.order = order;                        /* lane a is the primary */
    d.max_parallel_requests = 1;            /* a slot not given back would show on the next request */
    d.custom_prices = 1;
    d.input_cost_per_token = 0.000001;      /* 1000 nano-USD a token */
    d.output_cost_per_token = 0.000002;
    if (llmgw_gateway_add_deployment(t->gw, &d) != 0)
        fail_msg("add_deployment: %s", llmgw_error_last()->message);
}

static void start(itest *t, int64_t hedge_ms, int64_t deadline_ms, bool two)
{
    llmgw_gateway_options o;

    assert_int_equal(llmgw_gateway_options_init(&o, LLMGW_GATEWAY_OPTIONS_VERSION), 0);
    o.max_attempts = 3;
    o.deadline_ms = deadline_ms;
    o.first_byte_timeout_ms = 60000;
    o.idle_timeout_ms = 60000;
    o.hedge_after_ms = hedge_ms;
    o.usage_cb = on_usage;
    o.usage_userdata = &g_seen;
    memset(&g_seen, 0, sizeof(g_seen));
    itest_start(t, &o);
    add(t, "a", 1);
    if (two)
        add(t, "b", 2);
}

/* A silent primary: the hedge on b answers; a is cancelled, in the trail, and billed (estimated). */
static void test_slow_primary_hedge_wins(void **state)
{
    itest t;
    llmgw_response *r = NULL;
    const llmgw_usage *u;

    (void)state;
    start(&t, 40, 60000, true);
    itest_script(&t, "a", "[{\"delay_ms\":-1}]");
    itest_script(&t, "b", "[{\"text\":\"answer from b\",\"usage\":{\"prompt_tokens\":7,\"completion_tokens\":3}}]");
    assert_int_equal(itest_complete(&t, "g", "hedge me", &r), 0);
    assert_non_null(r);
    assert_string_equal(llmgw_response_text(r), "answer from b");
    u = llmgw_response_usage(r);
    assert_int_equal(lane_of(u->deployment), 'b');
    assert_int_equal(llmgw_response_attempt_count(r), 2);
    assert_int_equal(g_seen.records, 1);
    assert_int_equal(g_seen.attempts, 2);
    /* the trail: the primary hedged out (cancelled), the hedge answered */
    assert_int_equal(g_seen.lane[0], 'a');
    assert_int_equal(g_seen.a_status[0], LLMGW_ECANCELLED);
    assert_int_equal(g_seen.a_class[0], LLMGW_ERRCLASS_CANCELLED);
    assert_int_equal(g_seen.lane[1], 'b');
    assert_int_equal(g_seen.a_status[1], 0);
    assert_int_equal(g_seen.a_known[1], 1);
    assert_int_equal(g_seen.a_in[1], 7);
    /* the loser had the request: billed, its input estimated, and counted in the totals and cost */
    assert_int_equal(g_seen.a_billed[0], 1);
    assert_int_equal(g_seen.a_est[0], 1);
    assert_true(g_seen.a_in[0] > 0);
    assert_true(g_seen.a_cost[0] > 0);
    assert_int_equal(g_seen.input_tokens, 7 + g_seen.a_in[0]);
    assert_int_equal(g_seen.cost_nusd, g_seen.a_cost[0] + g_seen.a_cost[1]);
    assert_int_equal(itest_request_count(&t, "a"), 1);
    assert_int_equal(itest_request_count(&t, "b"), 1);
    llmgw_response_free(r);
    /*
     * Both parallel slots are free again and a's breaker saw nothing wrong: the primary serves the next
     * one (b, slow now, could only win if a were skipped as busy or open).
     */
    /* repeat_last: the cancelled request may take its step from the mock only now (a slow valgrind run) */
    itest_script(&t, "a", "{\"steps\":[{\"text\":\"a again\"}],\"then\":\"repeat_last\"}");
    itest_script(&t, "b", "[{\"text\":\"b again\",\"delay_ms\":2000}]");
    assert_int_equal(itest_complete(&t, "g", "next", &r), 0);
    assert_string_equal(llmgw_response_text(r), "a again");
    assert_int_equal(g_seen.lane[0], 'a');
    llmgw_response_free(r);
    itest_stop(&t);
}

/* A primary that answers at once: no hedge, one attempt, nothing sent to b. */
static void test_fast_primary_no_hedge(void **state)
{
    itest t;
    llmgw_response *r = NULL;

    (void)state;
    start(&t, 2000, 60000, true);
    assert_int_equal(itest_complete(&t, "g", "quick", &r), 0);
    assert_int_equal(llmgw_response_attempt_count(r), 1);
    assert_int_equal(lane_of(llmgw_response_usage(r)->deployment), 'a');
    assert_int_equal(itest_request_count(&t, "b"), 0);
    llmgw_response_free(r);
    itest_stop(&t);
}

/* A primary that fails before the delay: ordinary failover (a 500 in the trail), no hedge. */
static void test_primary_fails_fast_failover(void **state)
{
    itest t;
    llmgw_response *r = NULL;

    (void)state;
    start(&t, 2000, 60000, true);
    itest_script(&t, "a", "[{\"status\":500}]");
    assert_int_equal(itest_complete(&t, "g", "fail over", &r), 0);
    assert_int_equal(g_seen.attempts, 2);
    assert_int_equal(g_seen.lane[0], 'a');
    assert_int_equal(g_seen.a_class[0], LLMGW_ERRCLASS_SERVER_ERROR);
    assert_int_equal(g_seen.lane[1], 'b');
    assert_int_equal(g_seen.a_status[1], 0);
    assert_int_equal(itest_request_count(&t, "a"), 1);
    assert_int_equal(itest_request_count(&t, "b"), 1);
    llmgw_response_free(r);
    itest_stop(&t);
}

/* The primary fails after the hedge started, before anything was delivered: the hedge carries on. */
static void test_primary_fails_after_hedge_started(void **state)
{
    itest t;
    llmgw_response *r = NULL;

    (void)state;
    start(&t, 30, 60000, true);
    itest_script(&t, "a", "[{\"status\":503,\"delay_ms\":150}]");
    itest_script(&t, "b", "[{\"text\":\"late but fine\",\"delay_ms\":300}]");
    assert_int_equal(itest_complete(&t, "g", "keep going", &r), 0);
    assert_string_equal(llmgw_response_text(r), "late but fine");
    assert_int_equal(g_seen.attempts, 2);
    assert_int_equal(g_seen.lane[0], 'a');
    assert_int_equal(g_seen.a_class[0], LLMGW_ERRCLASS_SERVER_ERROR);   /* its own failure, not hedged out */
    assert_int_equal(g_seen.lane[1], 'b');
    assert_int_equal(g_seen.a_status[1], 0);
    assert_int_equal(itest_request_count(&t, "b"), 1);
    llmgw_response_free(r);
    itest_stop(&t);
}

/* Streaming: the hedge's events only, delivered on this thread, and exactly one on_done. */
static void test_stream_hedge_wins_events_only(void **state)
{
    itest t;
    llmgw_response *r = NULL;
    collect c;

    (void)state;
    start(&t, 40, 60000, true);
    /* a sends its role chunk, then stalls for good: it never delivers a text event */
    itest_script(&t, "a", "[{\"text\":\"alpha alpha alpha\",\"stall_after_events\":1}]");
    itest_script(&t, "b", "[{\"text\":\"bravo bravo bravo\"}]");
    collect_init(&c);
    assert_int_equal(itest_stream(&t, "g", "stream it", &c, &r), 0);
    assert_string_equal(c.text, "bravo bravo bravo");
    assert_int_equal(c.done_calls, 1);
    assert_int_equal(c.error_calls, 0);
    assert_int_equal(c.usage_calls, 1);
    assert_true(c.order_ok);
    assert_string_equal(llmgw_response_text(r), "bravo bravo bravo");
    assert_int_equal(g_seen.attempts, 2);
    assert_int_equal(g_seen.lane[0], 'a');
    assert_int_equal(g_seen.a_status[0], LLMGW_ECANCELLED);
    assert_int_equal(g_seen.a_billed[0], 1);
    assert_int_equal(g_seen.lane[1], 'b');
    assert_int_equal(g_seen.a_status[1], 0);
    llmgw_response_free(r);
    itest_stop(&t);
}

/* Streaming: the primary's first text comes after the hedge started: the primary wins, b is cancelled. */
static void test_stream_primary_wins_after_hedge(void **state)
{
    itest t;
    llmgw_response *r = NULL;
    collect c;

    (void)state;
    start(&t, 30, 60000, true);
    itest_script(&t, "a", "[{\"text\":\"alpha alpha alpha\",\"stall_after_events\":1,\"stall_ms\":600}]");
    itest_script(&t, "b", "[{\"delay_ms\":-1}]");
    collect_init(&c);
    assert_int_equal(itest_stream(&t, "g", "stream it", &c, &r), 0);
    assert_string_equal(c.text, "alpha alpha alpha");
    assert_int_equal(c.done_calls, 1);
    assert_int_equal(c.error_calls, 0);
    assert_true(c.order_ok);
    assert_int_equal(lane_of(llmgw_response_usage(r)->deployment), 'a');
    assert_int_equal(g_seen.attempts, 2);
    assert_int_equal(g_seen.lane[0], 'a');
    assert_int_equal(g_seen.a_status[0], 0);
    assert_int_equal(g_seen.lane[1], 'b');
    assert_int_equal(g_seen.a_status[1], LLMGW_ECANCELLED);
    assert_int_equal(g_seen.a_class[1], LLMGW_ERRCLASS_CANCELLED);
    llmgw_response_free(r);
    itest_stop(&t);
}

/*
 * Streaming: both attempts start delivering within a few ms of each other.
 * Whichever wins, the sink sees that one's text only, whole, and one on_done.
 */
static void test_stream_close_race_one_winner(void **state)
{
    itest t;
    llmgw_response *r = NULL;
    collect c;
    int i, win;

    (void)state;
    start(&t, 30, 60000, true);
    /* set once (repeat_last): a loser's request may reach the mock's script late, during the next round */
    itest_script(&t, "a", "{\"steps\":[{\"text\":\"alpha alpha alpha alpha\",\"stall_after_events\":1,"
                          "\"stall_ms\":100,\"event_delay_ms\":5}],\"then\":\"repeat_last\"}");
    itest_script(&t, "b", "{\"steps\":[{\"text\":\"bravo bravo bravo bravo\",\"delay_ms\":70,"
                          "\"event_delay_ms\":5}],\"then\":\"repeat_last\"}");
    for (i = 0; i < 3; i++) {
        collect_init(&c);
        assert_int_equal(itest_stream(&t, "g", "race", &c, &r), 0);
        assert_int_equal(c.done_calls, 1);
        assert_int_equal(c.error_calls, 0);
        assert_true(c.order_ok);
        win = g_seen.a_status[0] == 0 ? 0 : 1;
        assert_int_equal(g_seen.a_status[win], 0);
        if (g_seen.attempts == 2)     /* a very slow run may see a's text before the hedge was due */
            assert_int_equal(g_seen.a_status[1 - win], LLMGW_ECANCELLED);
        else
            assert_int_equal(g_seen.attempts, 1);
        assert_string_equal(c.text, win == 0 ? "alpha alpha alpha alpha" : "bravo bravo bravo bravo");
        assert_string_equal(llmgw_response_text(r), c.text);
        llmgw_response_free(r);
    }
    itest_stop(&t);
}

/* Streaming: a hedge's tool-call fragments are relayed whole (id and name once, the arguments in order). */
static void test_stream_hedge_tool_call_relayed(void **state)
{
    itest t;
    llmgw_response *r = NULL;
    collect c;

    (void)state;
    start(&t, 40, 60000, true);
    itest_script(&t, "a", "[{\"delay_ms\":-1}]");
    itest_script(&t, "b", "[{\"tool_calls\":[{\"id\":\"call_7\",\"name\":\"lookup\","
                          "\"arguments\":{\"city\":\"Oslo\"}}]}]");
    collect_init(&c);
    assert_int_equal(itest_stream(&t, "g", "call a tool", &c, &r), 0);
    assert_true(c.tool_calls >= 1);
    assert_string_equal(c.tool_ids[0], "call_7");
    assert_string_equal(c.tool_names[0], "lookup");
    assert_string_equal(c.tool_args[0], "{\"city\":\"Oslo\"}");
    assert_int_equal(c.text_calls, 0);
    assert_int_equal(c.done_calls, 1);
    assert_string_equal(c.done_finish, "tool_calls");
    assert_int_equal(g_seen.attempts, 2);
    assert_int_equal(g_seen.lane[1], 'b');
    assert_int_equal(g_seen.a_status[0], LLMGW_ECANCELLED);
    llmgw_response_free(r);
    itest_stop(&t);
}

/* Streaming: a callback stopping a relayed (hedge) stream ends the call with EUSER, one on_error. */
static void test_stream_stop_on_relayed_event(void **state)
{
    itest t;
    llmgw_response *r = NULL;
    collect c;

    (void)state;
    start(&t, 40, 60000, true);
    itest_script(&t, "a", "[{\"delay_ms\":-1}]");
    itest_script(&t, "b", "[{\"text\":\"one two three four five\",\"event_delay_ms\":20}]");
    collect_init(&c);
    c.stop_after_text = 1;
    assert_int_equal(itest_stream(&t, "g", "stop early", &c, &r), LLMGW_EUSER);
    assert_null(r);
    assert_int_equal(c.text_calls, 1);
    assert_int_equal(c.done_calls, 0);
    assert_int_equal(c.error_calls, 1);
    assert_true(c.order_ok);
    assert_int_equal(g_seen.records, 1);
    assert_int_equal(g_seen.attempts, 2);
    assert_int_equal(g_seen.a_status[0], LLMGW_ECANCELLED);
    assert_int_equal(g_seen.a_status[1], LLMGW_EUSER);
    itest_stop(&t);
}

/* One deployment: nothing to hedge to; the slow answer is taken, one attempt. */
static void test_single_deployment_no_hedge(void **state)
{
    itest t;
    llmgw_response *r = NULL;

    (void)state;
    start(&t, 20, 60000, false);
    itest_script(&t, "a", "[{\"text\":\"slow but alone\",\"delay_ms\":120}]");
    assert_int_equal(itest_complete(&t, "g", "alone", &r), 0);
    assert_string_equal(llmgw_response_text(r), "slow but alone");
    assert_int_equal(g_seen.attempts, 1);
    assert_int_equal(itest_request_count(&t, "a"), 1);
    llmgw_response_free(r);
    itest_stop(&t);
}

/* Off by default: a slow primary is waited for, b never hears of it. */
static void test_off_by_default(void **state)
{
    itest t;
    llmgw_gateway_options o;
    llmgw_response *r = NULL;

    (void)state;
    assert_int_equal(llmgw_gateway_options_init(&o, LLMGW_GATEWAY_OPTIONS_VERSION), 0);
    assert_int_equal(o.hedge_after_ms, 0);
    start(&t, 0, 60000, true);
    itest_script(&t, "a", "[{\"text\":\"worth the wait\",\"delay_ms\":120}]");
    assert_int_equal(itest_complete(&t, "g", "patience", &r), 0);
    assert_string_equal(llmgw_response_text(r), "worth the wait");
    assert_int_equal(g_seen.attempts, 1);
    assert_int_equal(itest_request_count(&t, "b"), 0);
    llmgw_response_free(r);
    itest_stop(&t);
}

static int budgeted(itest *t, llmgw_response **out)
{
    llmgw_request *q = itest_request("g", "under a budget");
    int rc;

    assert_int_equal(llmgw_request_set_max_tokens(q, 1000), 0);
    assert_int_equal(llmgw_request_set_customer(q, "acme"), 0);
    rc = llmgw_complete(t->gw, q, out);
    llmgw_request_free(q);
    return rc;
}

/*
 * Budgets: a request that may hedge reserves two calls (1000 output tokens at
 * 2000 nano-USD is 2 mUSD a call, so a 3 mUSD budget fits one, not two), and
 * a hedged request settles the cost of both attempts.
 */
static void test_budget_reserves_and_settles_both(void **state)
{
    itest t;
    llmgw_response *r = NULL;
    llmgw_budget_status st;

    (void)state;
    start(&t, 40, 60000, true);
    assert_int_equal(llmgw_gateway_set_budget(t.gw, LLMGW_BUDGET_CUSTOMER, "acme", 0.003, LLMGW_PERIOD_TOTAL), 0);
    assert_int_equal(budgeted(&t, &r), LLMGW_EBUDGET);
    assert_int_equal(itest_request_count(&t, "a") + itest_request_count(&t, "b"), 0);
    itest_stop(&t);

    /* the same without hedging fits */
    start(&t, 0, 60000, true);
    assert_int_equal(llmgw_gateway_set_budget(t.gw, LLMGW_BUDGET_CUSTOMER, "acme", 0.003, LLMGW_PERIOD_TOTAL), 0);
    assert_int_equal(budgeted(&t, &r), 0);
    llmgw_response_free(r);
    itest_stop(&t);

    /* a hedged request: spend = both attempts' cost, nothing left reserved */
    start(&t, 40, 60000, true);
    assert_int_equal(llmgw_gateway_set_budget(t.gw, LLMGW_BUDGET_CUSTOMER, "acme", 1.0, LLMGW_PERIOD_TOTAL), 0);
    itest_script(&t, "a", "[{\"delay_ms\":-1}]");
    assert_int_equal(budgeted(&t, &r), 0);
    assert_int_equal(g_seen.attempts, 2);
    assert_true(g_seen.a_cost[0] > 0);
    assert_int_equal(llmgw_gateway_budget_status(t.gw, LLMGW_BUDGET_CUSTOMER, "acme", &st), 0);
    assert_int_equal(st.spent_nusd, g_seen.a_cost[0] + g_seen.a_cost[1]);
    assert_int_equal(st.reserved_nusd, 0);
    llmgw_response_free(r);
    itest_stop(&t);
}

/*
 * An outage used up the process-wide retry budget (100 failovers between two
 * dead deployments): a slow primary then gets no hedge, it is waited for.
 */
static void test_no_hedge_when_retry_budget_exhausted(void **state)
{
    itest t;
    llmgw_gateway_options o;
    llmgw_deployment_options d;
    llmgw_response *r = NULL;
    const char *dead[2] = { "http://127.0.0.1:1/v1", "http://127.0.0.1:9/v1" };
    int i;

    (void)state;
    assert_int_equal(llmgw_gateway_options_init(&o, LLMGW_GATEWAY_OPTIONS_VERSION), 0);
    o.max_attempts = 2;
    o.deadline_ms = 60000;
    o.hedge_after_ms = 30;
    o.breaker_disabled = 1;       /* keep the dead ones eligible: every request fails over once */
    o.usage_cb = on_usage;
    o.usage_userdata = &g_seen;
    memset(&g_seen, 0, sizeof(g_seen));
    itest_start(&t, &o);
    add(&t, "a", 1);
    add(&t, "b", 2);
    for (i = 0; i < 2; i++) {
        assert_int_equal(llmgw_deployment_options_init(&d, LLMGW_DEPLOYMENT_OPTIONS_VERSION), 0);
        d.group = "dead";
        d.model = "openai/gpt-test";
        d.api_base = dead[i];
        d.api_key = TEST_KEY;
        d.order = i + 1;
        assert_int_equal(llmgw_gateway_add_deployment(t.gw, &d), 0);
    }
    for (i = 0; i < 100; i++) {
        assert_int_not_equal(itest_complete(&t, "dead", "outage", &r), 0);
        assert_int_equal(g_seen.attempts, 2);
    }
    /* the budget is spent now: the next failover is refused */
    assert_int_not_equal(itest_complete(&t, "dead", "outage", &r), 0);
    assert_int_equal(g_seen.attempts, 1);
    itest_script(&t, "a", "[{\"text\":\"slow primary\",\"delay_ms\":150}]");
    assert_int_equal(itest_complete(&t, "g", "no hedge now", &r), 0);
    assert_string_equal(llmgw_response_text(r), "slow primary");
    assert_int_equal(g_seen.attempts, 1);
    assert_int_equal(itest_request_count(&t, "b"), 0);
    llmgw_response_free(r);
    itest_stop(&t);
}

/* Both silent: the hedge runs, and the request ends at its deadline with both attempts in the trail. */
static void test_deadline_respected(void **state)
{
    itest t;
    llmgw_response *r = NULL;
    int rc;

    (void)state;
    start(&t, 30, 1000, true);
    itest_script(&t, "a", "[{\"delay_ms\":-1}]");
    itest_script(&t, "b", "[{\"delay_ms\":-1}]");
    rc = itest_complete(&t, "g", "nobody home", &r);
    assert_int_equal(rc, LLMGW_ETIMEOUT);
    assert_null(r);
    assert_int_equal(llmgw_error_last()->error_class, LLMGW_ERRCLASS_TIMEOUT);
    assert_int_equal(g_seen.records, 1);
    assert_int_equal(g_seen.attempts, 2);
    assert_int_equal(g_seen.lane[0], 'a');
    assert_int_equal(g_seen.lane[1], 'b');
    assert_int_equal(g_seen.a_class[0], LLMGW_ERRCLASS_TIMEOUT);
    assert_int_equal(g_seen.a_class[1], LLMGW_ERRCLASS_TIMEOUT);
    itest_stop(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_slow_primary_hedge_wins),
        cmocka_unit_test(test_fast_primary_no_hedge),
        cmocka_unit_test(test_primary_fails_fast_failover),
        cmocka_unit_test(test_primary_fails_after_hedge_started),
        cmocka_unit_test(test_stream_hedge_wins_events_only),
        cmocka_unit_test(test_stream_primary_wins_after_hedge),
        cmocka_unit_test(test_stream_close_race_one_winner),
        cmocka_unit_test(test_stream_hedge_tool_call_relayed),
        cmocka_unit_test(test_stream_stop_on_relayed_event),
        cmocka_unit_test(test_single_deployment_no_hedge),
        cmocka_unit_test(test_off_by_default),
        cmocka_unit_test(test_deadline_respected),
        cmocka_unit_test(test_no_hedge_when_retry_budget_exhausted),
        cmocka_unit_test(test_budget_reserves_and_settles_both),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
