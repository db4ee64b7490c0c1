/*
 * Integration: what requests cost, over loopback HTTP against the mock:
 * custom and built-in prices, unknown prices (null, never 0), failed
 * attempts, streams (never logged as 0), cut streams (estimated), budgets
 * that refuse before any call, and one invariant across 8 threads: the
 * usage records, the budget ledger and the mock's billed tokens agree to the
 * nano-dollar.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "itest.h"

/* Test data: USD per token of the custom prices, and the nano-USD they make per token. */
#define IN_USD   1e-6
#define OUT_USD  2e-6
#define IN_NUSD  1000
#define OUT_NUSD 2000

typedef struct capture {
    pthread_mutex_t lock;
    int             n;
    int64_t         cost_sum;       /* known costs */
    int             unknown;
    llmgw_buf       last_json;
} capture;

static void on_usage(const llmgw_usage *u, void *userdata)
{
    capture *c = userdata;

    pthread_mutex_lock(&c->lock);
    c->n++;
    if (u->cost_source == LLMGW_COST_UNKNOWN)
        c->unknown++;
    else
        c->cost_sum += u->cost_nusd;
    c->last_json.size = 0;
    assert_int_equal(llmgw_usage_to_json(&c->last_json, u), 0);
    pthread_mutex_unlock(&c->lock);
}

static void start(itest *t, capture *c, unsigned int max_attempts)
{
    llmgw_gateway_options o;

    memset(c, 0, sizeof(*c));
    pthread_mutex_init(&c->lock, NULL);
    assert_int_equal(llmgw_gateway_options_init(&o, LLMGW_GATEWAY_OPTIONS_VERSION), 0);
    o.max_attempts = max_attempts;
    o.usage_cb = on_usage;
    o.usage_userdata = c;
    itest_start(t, &o);
}

static void stop(itest *t, capture *c)
{
    itest_stop(t);
    llmgw_buf_dispose(&c->last_json);
    pthread_mutex_destroy(&c->lock);
}

/* An openai deployment on a mock lane; priced when in_usd >= 0. */
static void add(itest *t, const char *group, const char *lane, const char *model, double in_usd, double out_usd)
{
    llmgw_deployment_options d;
    char base[256], full[256];

    snprintf(base, sizeof(base), "%s/lane/%s/v1", mock_server_base_url(t->srv), lane);
    snprintf(full, sizeof(full), "openai/%s", model);
    assert_int_equal(llmgw_deployment_options_init(&d, LLMGW_DEPLOYMENT_OPTIONS_VERSION), 0);
    d.group = group;
    d.model = full;
    d.api_base = base;
    d.api_key = TEST_KEY;
    if (in_usd >= 0) {
        d.custom_prices = 1;
        d.input_cost_per_token = in_usd;
        d.output_cost_per_token = out_usd;
    }
    assert_int_equal(llmgw_gateway_add_deployment(t->gw, &d), 0);
}

static cJSON *last_record(capture *c)
{
    cJSON *o = cJSON_Parse(c->last_json.ptr);
    assert_non_null(o);
    return o;
}

static void test_custom_prices(void **state)
{
    itest t;
    capture c;
    llmgw_response *r = NULL;
    const llmgw_usage *u;
    const llmgw_attempt *a;
    cJSON *rec;

    (void)state;
    start(&t, &c, 1);
    add(&t, "smart", "a", "gpt-test", IN_USD, OUT_USD);
    itest_script(&t, "a", "[{\"usage\":{\"prompt_tokens\":1000,\"completion_tokens\":500}}]");
    assert_int_equal(itest_complete(&t, "smart", "hello", &r), 0);
    u = llmgw_response_usage(r);
    assert_int_equal(u->cost_source, LLMGW_COST_COMPUTED);
    assert_int_equal(u->cost_nusd, 1000 * IN_NUSD + 500 * OUT_NUSD);
    assert_int_equal(u->input_cost_nusd, 1000 * IN_NUSD);
    assert_int_equal(u->output_cost_nusd, 500 * OUT_NUSD);
    a = llmgw_response_attempt(r, 0);
    assert_int_equal(a->cost_source, LLMGW_COST_COMPUTED);
    assert_int_equal(a->cost_nusd, u->cost_nusd);
    assert_int_equal(c.n, 1);
    rec = last_record(&c);
    assert_true(cJSON_GetObjectItem(rec, "cost_usd")->valuedouble == 0.002);
    assert_string_equal(cJSON_GetObjectItem(rec, "cost_source")->valuestring, "computed");
    cJSON_Delete(rec);
    llmgw_response_free(r);
    stop(&t, &c);
}

/* gpt-4o from the built-in table: $2.50 input, $1.25 cached input, $10 output per million (OpenAI's list price). */
static void test_builtin_price(void **state)
{
    itest t;
    capture c;
    llmgw_response *r = NULL;
    const llmgw_usage *u;

    (void)state;
    start(&t, &c, 1);
    add(&t, "g", "a", "gpt-4o", -1, -1);
    itest_script(&t, "a", "[{\"usage\":{\"prompt_tokens\":2000,\"completion_tokens\":1000,\"cached_tokens\":400}}]");
    assert_int_equal(itest_complete(&t, "g", "hello", &r), 0);
    u = llmgw_response_usage(r);
    assert_int_equal(u->cost_source, LLMGW_COST_COMPUTED);
    /* 1600 x 2.50 + 400 x 1.25 + 1000 x 10.00 USD per million = 0.0145 USD */
    assert_int_equal(u->cost_nusd, 14500000);
    assert_int_equal(u->cache_read_tokens, 400);
    llmgw_response_free(r);
    stop(&t, &c);
}

static void test_unknown_price_is_null(void **state)
{
    itest t;
    capture c;
    llmgw_response *r = NULL;
    cJSON *rec;

    (void)state;
    start(&t, &c, 1);
    add(&t, "g", "a", "no-such-model-anywhere", -1, -1);
    assert_int_equal(itest_complete(&t, "g", "hello", &r), 0);
    assert_int_equal(llmgw_response_usage(r)->cost_source, LLMGW_COST_UNKNOWN);
    rec = last_record(&c);
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(rec, "cost_usd")));
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(rec, "cost_nano_usd")));
    assert_string_equal(cJSON_GetObjectItem(rec, "cost_source")->valuestring, "unknown");
    cJSON_Delete(rec);
    assert_int_equal(c.unknown, 1);
    llmgw_response_free(r);
    stop(&t, &c);
}

/* A 500 is not billed (cost 0, known); the total is what the answering attempt cost. */
static void test_failover_costs(void **state)
{
    itest t;
    capture c;
    llmgw_response *r = NULL;
    const llmgw_usage *u;

    (void)state;
    start(&t, &c, 3);
    add(&t, "g", "bad", "gpt-test", IN_USD, OUT_USD);
    add(&t, "g", "good", "gpt-test", IN_USD, OUT_USD);
    itest_script(&t, "bad", "{\"steps\":[{\"status\":500}],\"then\":\"repeat_last\"}");
    itest_script(&t, "good", "{\"steps\":[{\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":20}}],"
                             "\"then\":\"repeat_last\"}");
    for (int i = 0; i < 6; i++) {
        assert_int_equal(itest_complete(&t, "g", "hello", &r), 0);
        u = llmgw_response_usage(r);
        assert_int_equal(u->cost_source, LLMGW_COST_COMPUTED);
        assert_int_equal(u->cost_nusd, 10 * IN_NUSD + 20 * OUT_NUSD);
        for (size_t k = 0; k < llmgw_response_attempt_count(r); k++) {
            const llmgw_attempt *a = llmgw_response_attempt(r, k);
            if (a->http_status == 500) {
                assert_int_equal(a->billed, 0);
                assert_int_equal(a->cost_nusd, 0);
                assert_int_equal(a->cost_source, LLMGW_COST_COMPUTED);
            }
        }
        llmgw_response_free(r);
    }
    stop(&t, &c);
}

/* A streamed answer costs what the same answer costs unstreamed (LiteLLM logged 0). */
static void test_stream_spend(void **state)
{
    itest t;
    capture c;
    collect col;
    llmgw_response *r = NULL;
    const llmgw_usage *u;

    (void)state;
    start(&t, &c, 1);
    add(&t, "g", "s", "gpt-test", IN_USD, OUT_USD);
    itest_script(&t, "s", "[{\"text\":\"one two three\",\"usage\":{\"prompt_tokens\":300,\"completion_tokens\":3}}]");
    collect_init(&col);
    assert_int_equal(itest_stream(&t, "g", "hello", &col, &r), 0);
    u = llmgw_response_usage(r);
    assert_int_equal(u->stream, 1);
    assert_int_equal(u->usage_known, 1);
    assert_int_equal(u->cost_source, LLMGW_COST_COMPUTED);
    assert_int_equal(u->cost_nusd, 300 * IN_NUSD + 3 * OUT_NUSD);
    assert_int_equal(c.cost_sum, u->cost_nusd);
    llmgw_response_free(r);
    stop(&t, &c);
}

/* A stream cut after text was delivered: billed, never reported: tokens and cost estimated, not 0. */
static void test_cut_stream_estimated(void **state)
{
    itest t;
    capture c;
    collect col;
    llmgw_response *r = NULL;
    cJSON *rec;

    (void)state;
    start(&t, &c, 1);
    add(&t, "g", "s", "gpt-test", IN_USD, OUT_USD);
    itest_script(&t, "s", "[{\"text\":\"alpha beta gamma delta epsilon zeta eta theta\",\"cut_after_events\":5}]");
    collect_init(&col);
    assert_int_not_equal(itest_stream(&t, "g", "a prompt of several words to count", &col, &r), 0);
    assert_null(r);
    assert_true(col.text_len > 0);
    assert_int_equal(c.n, 1);
    rec = last_record(&c);
    assert_string_equal(cJSON_GetObjectItem(rec, "cost_source")->valuestring, "estimated");
    assert_false(cJSON_IsTrue(cJSON_GetObjectItem(rec, "usage_known")));
    {
        double in = cJSON_GetObjectItem(rec, "input_tokens")->valuedouble;
        double out = cJSON_GetObjectItem(rec, "output_tokens")->valuedouble;
        double cost = cJSON_GetObjectItem(rec, "cost_nano_usd")->valuedouble;
        assert_true(in > 0);
        assert_true(out > 0);
        /* the delivered text, about 4 bytes a token */
        assert_true(out == (double)((col.text_len + 3) / 4));
        assert_true(cost == in * IN_NUSD + out * OUT_NUSD);
        assert_true(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(rec, "trail"), 0),
                                                     "usage_estimated")));
    }
    cJSON_Delete(rec);
    stop(&t, &c);
}

static int complete_for(itest *t, const char *customer, int64_t max_tokens, llmgw_response **out)
{
    llmgw_request *q = itest_request("g", "hi");
    int rc;

    assert_int_equal(llmgw_request_set_customer(q, customer), 0);
    assert_int_equal(llmgw_request_set_max_tokens(q, max_tokens), 0);
    rc = llmgw_complete(t->gw, q, out);
    llmgw_request_free(q);
    return rc;
}

/* Over budget: refused before any provider is called; the ledger holds the exact spend. */
static void test_budget_refuses_before_call(void **state)
{
    itest t;
    capture c;
    llmgw_response *r = NULL;
    llmgw_budget_status st;

    (void)state;
    start(&t, &c, 1);
    add(&t, "g", "a", "gpt-test", IN_USD, OUT_USD);
    itest_script(&t, "a", "{\"steps\":[{\"usage\":{\"prompt_tokens\":1000,\"completion_tokens\":500}}],"
                          "\"then\":\"repeat_last\"}");
    /* $0.005: each answer costs 0.002 and reserves about 0.001 (500 output tokens at most) first */
    assert_int_equal(llmgw_gateway_set_budget(t.gw, LLMGW_BUDGET_CUSTOMER, "acme", 0.005, LLMGW_PERIOD_MONTHLY), 0);
    assert_int_equal(complete_for(&t, "acme", 500, &r), 0);
    llmgw_response_free(r);
    assert_int_equal(complete_for(&t, "acme", 500, &r), 0);
    llmgw_response_free(r);
    assert_int_equal(itest_request_count(&t, "a"), 2);
    assert_int_equal(complete_for(&t, "acme", 500, &r), LLMGW_EBUDGET);
    assert_null(r);
    assert_int_equal(llmgw_error_last()->error_class, LLMGW_ERRCLASS_BUDGET_EXCEEDED);
    assert_non_null(strstr(llmgw_error_last()->message, "acme"));
    assert_int_equal(itest_request_count(&t, "a"), 2);       /* no call was made */
    assert_int_equal(c.n, 3);                                 /* and the refusal was still recorded */
    assert_int_equal(llmgw_gateway_budget_status(t.gw, LLMGW_BUDGET_CUSTOMER, "acme", &st), 0);
    assert_int_equal(st.spent_nusd, 2 * (1000 * IN_NUSD + 500 * OUT_NUSD));
    assert_int_equal(st.reserved_nusd, 0);
    /* another customer is not affected */
    assert_int_equal(complete_for(&t, "other", 500, &r), 0);
    llmgw_response_free(r);
    stop(&t, &c);
}

/* A budget that cannot be enforced (no price for the model) refuses rather than letting spend through. */
static void test_budget_needs_a_price(void **state)
{
    itest t;
    capture c;
    llmgw_response *r = NULL;

    (void)state;
    start(&t, &c, 1);
    add(&t, "g", "a", "no-such-model-anywhere", -1, -1);
    assert_int_equal(llmgw_gateway_set_budget(t.gw, LLMGW_BUDGET_CUSTOMER, "acme", 10.0, LLMGW_PERIOD_DAILY), 0);
    assert_int_equal(complete_for(&t, "acme", 100, &r), LLMGW_EBUDGET);
    assert_int_equal(llmgw_error_last()->error_class, LLMGW_ERRCLASS_BUDGET_EXCEEDED);
    assert_non_null(strstr(llmgw_error_last()->message, "no deployment of group 'g' has a known price"));
    assert_int_equal(itest_request_count(&t, "a"), 0);
    /* without a budget, the same request goes through (its cost unknown) */
    assert_int_equal(complete_for(&t, "someone-else", 100, &r), 0);
    llmgw_response_free(r);
    stop(&t, &c);
}

typedef struct worker {
    itest *t;
    int    id;
    int    n;
    int    failures;
} worker;

static void *run_worker(void *arg)
{
    worker *w = arg;

    for (int i = 0; i < w->n; i++) {
        llmgw_request *q = itest_request("g", "count me");
        llmgw_response *r = NULL;
        int rc;
        llmgw_request_add_tag(q, "team-a");
        if ((i + w->id) % 2 == 0) {
            collect col;
            llmgw_stream_sink sink;
            collect_init(&col);
            sink = collect_sink(&col);
            rc = llmgw_complete_stream(w->t->gw, q, &sink, &r);
        } else {
            rc = llmgw_complete(w->t->gw, q, &r);
        }
        if (rc != 0)
            w->failures++;
        llmgw_response_free(r);
        llmgw_request_free(q);
    }
    return NULL;
}

/* 8 threads: Σ usage-record costs = the budget ledger = the mock's billed tokens x price, exactly. */
static void test_cost_invariant_threads(void **state)
{
    itest t;
    capture c;
    pthread_t th[8];
    worker w[8];
    mock_ledger la, lb;
    llmgw_budget_status st;
    int64_t billed;

    (void)state;
    start(&t, &c, 3);
    add(&t, "g", "a", "gpt-test", IN_USD, OUT_USD);
    add(&t, "g", "b", "gpt-test", 3e-6, 7e-6);
    itest_script(&t, "a", "{\"steps\":[{\"usage\":{\"prompt_tokens\":17,\"completion_tokens\":5}},"
                          "{\"status\":503},{\"text\":\"x y z\"}],\"then\":\"cycle\"}");
    itest_script(&t, "b", "{\"steps\":[{\"usage\":{\"prompt_tokens\":23,\"completion_tokens\":9}}],\"then\":\"cycle\"}");
    assert_int_equal(llmgw_gateway_set_budget(t.gw, LLMGW_BUDGET_TAG, "team-a", 1000.0, LLMGW_PERIOD_TOTAL), 0);
    for (int i = 0; i < 8; i++) {
        w[i].t = &t;
        w[i].id = i;
        w[i].n = 40;
        w[i].failures = 0;
        assert_int_equal(pthread_create(&th[i], NULL, run_worker, &w[i]), 0);
    }
    for (int i = 0; i < 8; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(w[i].failures, 0);
    }
    assert_int_equal(c.n, 8 * 40);
    assert_int_equal(c.unknown, 0);
    mock_server_ledger(t.srv, "a", &la);
    mock_server_ledger(t.srv, "b", &lb);
    billed = (int64_t)la.prompt_tokens * IN_NUSD + (int64_t)la.completion_tokens * OUT_NUSD +
             (int64_t)lb.prompt_tokens * 3000 + (int64_t)lb.completion_tokens * 7000;
    assert_int_equal(la.usage_reports + lb.usage_reports, 8 * 40);  /* one answer per request */
    assert_int_equal(c.cost_sum, billed);
    assert_int_equal(llmgw_gateway_budget_status(t.gw, LLMGW_BUDGET_TAG, "team-a", &st), 0);
    assert_int_equal(st.spent_nusd, billed);
    assert_int_equal(st.reserved_nusd, 0);
    stop(&t, &c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_custom_prices),
        cmocka_unit_test(test_builtin_price),
        cmocka_unit_test(test_unknown_price_is_null),
        cmocka_unit_test(test_failover_costs),
        cmocka_unit_test(test_stream_spend),
        cmocka_unit_test(test_cut_stream_estimated),
        cmocka_unit_test(test_budget_refuses_before_call),
        cmocka_unit_test(test_budget_needs_a_price),
        cmocka_unit_test(test_cost_invariant_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
