/*
 * The retry loop in simulated time (docs/resilience.md §e.3): the in-process
 * mock provider plays scripted outcomes, a fake clock makes every wait
 * instant. One test per row of the classification table at the level of the
 * whole loop (retried? failed over?), then thousands of seeded random fault
 * sequences checking the invariants: attempts never exceed the budget, no
 * wait passes the deadline, never-retried classes are never retried, the
 * server's hint is honoured, an open deployment gets no traffic, and every
 * request yields exactly one usage record.
 */
#include "unit.h"

#include "core/gateway.h"
#include "fake_clock.h"

#define S 1000000LL

typedef struct hook_data {
    int            records;
    int            last_status;
    unsigned int   attempts;
    llmgw_attempt  trail[16];
    char           deps[16][128];
} hook_data;

static void on_usage(const llmgw_usage *u, void *ud)
{
    hook_data *h = ud;
    unsigned int i;

    h->records++;
    h->last_status = u->status;
    h->attempts = u->attempts;
    for (i = 0; i < u->attempts && i < 16; i++) {
        h->trail[i] = u->trail[i];
        snprintf(h->deps[i], sizeof(h->deps[i]), "%s", u->trail[i].deployment);
        h->trail[i].deployment = h->deps[i];
    }
}

typedef struct sim {
    fake_clock     clock;
    llmgw_gateway *gw;
    hook_data      hook;
} sim;

static void sim_start(sim *s, unsigned int max_attempts, int64_t deadline_ms)
{
    llmgw_gateway_options o;

    memset(s, 0, sizeof(*s));
    fake_clock_init(&s->clock, 1000 * S);
    llmgw_gateway_options_init(&o, LLMGW_GATEWAY_OPTIONS_VERSION);
    o.max_attempts = max_attempts;
    o.deadline_ms = deadline_ms;
    o.usage_cb = on_usage;
    o.usage_userdata = &s->hook;
    o.seed = 42;
    assert_int_equal(llmgw_gateway_new(&s->gw, &o), 0);
    llmgw__gateway_set_clock(s->gw, &s->clock.vt);
}

static void sim_add(sim *s, const char *group, const char *name, const char *key, const char *script)
{
    llmgw_deployment_options d;
    char model[64], params[8192];

    llmgw_deployment_options_init(&d, LLMGW_DEPLOYMENT_OPTIONS_VERSION);
    snprintf(model, sizeof(model), "mock/%s", name);
    snprintf(params, sizeof(params), "{\"mock_response\":%s}", script);
    d.group = group;
    d.model = model;
    d.api_key = key;
    d.id = name;
    d.params_json = params;
    if (llmgw_gateway_add_deployment(s->gw, &d) != 0)
        fail_msg("add %s: %s", name, llmgw_error_last()->message);
}

static int sim_run(sim *s, const char *group)
{
    llmgw_request *req = NULL;
    llmgw_response *r = NULL;
    int rc;

    assert_int_equal(llmgw_request_new(&req, group), 0);
    assert_int_equal(llmgw_request_add_message(req, LLMGW_ROLE_USER, "hello"), 0);
    rc = llmgw_complete(s->gw, req, &r);
    llmgw_response_free(r);
    llmgw_request_free(req);
    return rc;
}

static void sim_stop(sim *s)
{
    llmgw_gateway_free(s->gw);
}

/* ---- the table, row by row, through the whole loop ---- */

typedef struct row {
    const char *step;         /* the failing step */
    int         class;        /* expected error class */
    int         same_tries;   /* attempts on the failing deployment with budget 4, alone */
    bool        fails_over;   /* with a healthy second deployment: does it go there? */
} row;

static const row rows[] = {
    { "{\"fault\":\"connect\"}", LLMGW_ERRCLASS_NETWORK, 4, true },
    { "{\"fault\":\"tls\"}", LLMGW_ERRCLASS_NETWORK, 1, true },
    { "{\"fault\":\"reset\"}", LLMGW_ERRCLASS_NETWORK, 4, true },
    { "{\"fault\":\"timeout\"}", LLMGW_ERRCLASS_TIMEOUT, 4, true },
    { "{\"status\":408}", LLMGW_ERRCLASS_TIMEOUT, 4, true },
    { "{\"status\":409}", LLMGW_ERRCLASS_BAD_REQUEST, 2, false },
    { "{\"status\":425}", LLMGW_ERRCLASS_SERVER_ERROR, 4, false },
    { "{\"status\":429,\"headers\":{\"retry-after-ms\":\"100\"}}", LLMGW_ERRCLASS_RATE_LIMIT, 4, true },
    { "{\"status\":429,\"error_code\":\"insufficient_quota\"}", LLMGW_ERRCLASS_QUOTA_EXCEEDED, 1, true },
    { "{\"status\":402}", LLMGW_ERRCLASS_QUOTA_EXCEEDED, 1, true },
    { "{\"status\":400}", LLMGW_ERRCLASS_BAD_REQUEST, 1, false },
    { "{\"status\":400,\"error_code\":\"context_length_exceeded\"}", LLMGW_ERRCLASS_CONTEXT_LENGTH_EXCEEDED, 1, false },
    { "{\"status\":400,\"error_code\":\"content_policy_violation\"}", LLMGW_ERRCLASS_CONTENT_POLICY, 1, false },
    { "{\"status\":401}", LLMGW_ERRCLASS_AUTH, 1, true },
    { "{\"status\":403}", LLMGW_ERRCLASS_AUTH, 1, true },
    { "{\"status\":404}", LLMGW_ERRCLASS_NOT_FOUND, 1, true },
    { "{\"status\":413}", LLMGW_ERRCLASS_BAD_REQUEST, 1, false },
    { "{\"status\":422}", LLMGW_ERRCLASS_BAD_REQUEST, 1, false },
    { "{\"status\":500}", LLMGW_ERRCLASS_SERVER_ERROR, 4, true },
    { "{\"status\":501}", LLMGW_ERRCLASS_SERVER_ERROR, 1, true },
    { "{\"status\":502}", LLMGW_ERRCLASS_SERVER_ERROR, 4, true },
    { "{\"status\":503}", LLMGW_ERRCLASS_SERVER_ERROR, 4, true },
    { "{\"status\":504}", LLMGW_ERRCLASS_SERVER_ERROR, 4, true },
    { "{\"status\":505}", LLMGW_ERRCLASS_SERVER_ERROR, 1, true },
    { "{\"status\":529}", LLMGW_ERRCLASS_SERVER_ERROR, 4, true },
    { "{\"status\":503,\"headers\":{\"x-should-retry\":\"false\"}}", LLMGW_ERRCLASS_SERVER_ERROR, 1, true },
    { "{\"status\":400,\"headers\":{\"x-should-retry\":\"true\"}}", LLMGW_ERRCLASS_BAD_REQUEST, 4, false },
};

static void test_every_row(void **state)
{
    char script[512];
    size_t i;
    sim s;

    (void)state;
    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        const row *rw = &rows[i];
        unsigned int k, on_bad = 0;

        /* alone: how often is the failing deployment tried? */
        snprintf(script, sizeof(script), "[%s]", rw->step);
        sim_start(&s, 4, 600000);
        s.gw->health_cfg.allowed_fails = 100;      /* the breaker is not what this row tests */
        sim_add(&s, "g", "bad", "k1", script);
        assert_true(sim_run(&s, "g") < 0);
        if (s.hook.attempts != (unsigned int)rw->same_tries || s.hook.trail[0].error_class != rw->class)
            fail_msg("row %zu %s: %u attempts (want %d), class %s (want %s)", i, rw->step, s.hook.attempts,
                     rw->same_tries, llmgw_error_class_str(s.hook.trail[0].error_class),
                     llmgw_error_class_str(rw->class));
        assert_int_equal(s.hook.records, 1);
        sim_stop(&s);

        /* with a healthy second deployment (another credential) */
        sim_start(&s, 4, 600000);
        s.gw->health_cfg.allowed_fails = 100;
        sim_add(&s, "g", "bad", "k1", script);
        sim_add(&s, "g", "good", "k2", "[\"fine\"]");
        s.gw->opts.routing_strategy = LLMGW_ROUTING_SIMPLE_SHUFFLE;
        /* make `bad` go first: it has priority */
        {
            llmgw__candidates c;
            assert_int_equal(llmgw__gateway_resolve(s.gw, "g", &c), 0);
            c.deps[0]->order = 1;
            c.deps[1]->order = 2;
            llmgw__candidates_dispose(&c);
        }
        (void)sim_run(&s, "g");
        for (k = 0; k < s.hook.attempts; k++)
            on_bad += strcmp(s.hook.trail[k].deployment, "bad") == 0;
        if (rw->fails_over) {
            if (s.hook.last_status != 0 || on_bad != 1)
                fail_msg("row %zu %s: should fail over at once (status %d, %u attempts on bad)", i, rw->step,
                         s.hook.last_status, on_bad);
        } else if (s.hook.last_status == 0 && strcmp(s.hook.trail[s.hook.attempts - 1].deployment, "good") == 0) {
            fail_msg("row %zu %s: must not fail over", i, rw->step);
        }
        sim_stop(&s);
    }
}

/* ---- seeded random fault sequences ---- */

static const char *const faults[] = {
    "{\"status\":500}", "{\"status\":502}", "{\"status\":503}", "{\"status\":529}", "{\"status\":504}",
    "{\"status\":400}", "{\"status\":401}", "{\"status\":403}", "{\"status\":404}", "{\"status\":413}",
    "{\"status\":422}", "{\"status\":408}", "{\"status\":409}", "{\"status\":501}",
    "{\"status\":429,\"error_code\":\"insufficient_quota\"}", "{\"fault\":\"reset\"}",
    "{\"fault\":\"connect\"}", "{\"fault\":\"timeout\"}", "\"ok\"",
};

static uint64_t next(uint64_t *s)
{
    return llmgw__rand_next(s);
}

static bool never_retried(int http, int cls)
{
    return cls == LLMGW_ERRCLASS_QUOTA_EXCEEDED || cls == LLMGW_ERRCLASS_AUTH || http == 400 || http == 401 ||
           http == 403 || http == 404 || http == 413 || http == 422;
}

typedef struct dep_track {
    char    name[16];
    int     consecutive;        /* consecutive breaker failures seen */
    int64_t open_seen_at;       /* virtual time it must have opened, 0 = none */
} dep_track;

static bool breaker_failure(const llmgw_attempt *a)
{
    return a->status != 0 && (a->error_class == LLMGW_ERRCLASS_NETWORK || a->error_class == LLMGW_ERRCLASS_TIMEOUT ||
                              (a->error_class == LLMGW_ERRCLASS_SERVER_ERROR && a->http_status != 425)) &&
           a->http_status != 408;
}

static void test_random_sequences(void **state)
{
    uint64_t seed;
    unsigned long total_requests = 0, total_attempts = 0;

    (void)state;
    for (seed = 1; seed <= 1500; seed++) {
        uint64_t rng = seed * 0x9E3779B97F4A7C15ull;
        unsigned int max_attempts = 1 + (unsigned int)(next(&rng) % 5);
        int64_t deadline_ms = 1000 + (int64_t)(next(&rng) % 120000);
        size_t ndeps = 1 + next(&rng) % 4, i, requests = 1 + next(&rng) % 6, r;
        dep_track track[4];
        sim s;

        sim_start(&s, max_attempts, deadline_ms);
        for (i = 0; i < ndeps; i++) {
            char script[2048], *p = script;
            size_t steps = next(&rng) % 12, k;
            p += sprintf(p, "[");
            for (k = 0; k < steps; k++) {
                const char *f = faults[next(&rng) % (sizeof(faults) / sizeof(faults[0]))];
                if (next(&rng) % 5 == 0)
                    p += sprintf(p, "%s{\"status\":429,\"headers\":{\"retry-after-ms\":\"%u\"}}", k ? "," : "",
                                 (unsigned int)(next(&rng) % 3000));
                else if (next(&rng) % 9 == 0)
                    p += sprintf(p, "%s{\"status\":429,\"headers\":{\"retry-after\":\"%u\"}}", k ? "," : "",
                                 (unsigned int)(next(&rng) % 200));
                else
                    p += sprintf(p, "%s%s", k ? "," : "", f);
            }
            p += sprintf(p, "%s\"ok\"]", steps ? "," : "");
            snprintf(track[i].name, sizeof(track[i].name), "d%zu", i);
            track[i].consecutive = 0;
            track[i].open_seen_at = 0;
            sim_add(&s, "g", track[i].name, next(&rng) % 2 ? "kA" : "kB", script);
        }
        for (r = 0; r < requests; r++) {
            int64_t t0 = atomic_load(&s.clock.now_us), t = t0, elapsed;
            int records = s.hook.records;
            unsigned int a;

            (void)sim_run(&s, "g");
            elapsed = atomic_load(&s.clock.now_us) - t0;
            total_requests++;
            total_attempts += s.hook.attempts;
            /* exactly one usage record per request */
            assert_int_equal(s.hook.records, records + 1);
            /* the attempt budget */
            if (s.hook.attempts > max_attempts)
                fail_msg("seed %llu: %u attempts > budget %u", (unsigned long long)seed, s.hook.attempts, max_attempts);
            /* the deadline: no wait passes it */
            if (elapsed > deadline_ms * 1000)
                fail_msg("seed %llu: took %lld us > deadline %lld ms", (unsigned long long)seed,
                         (long long)elapsed, (long long)deadline_ms);
            for (a = 0; a < s.hook.attempts; a++) {
                const llmgw_attempt *at = &s.hook.trail[a];
                dep_track *d = NULL;
                t += at->wait_us + at->latency_us;
                for (i = 0; i < ndeps; i++)
                    if (strcmp(track[i].name, at->deployment) == 0)
                        d = &track[i];
                assert_non_null(d);
                /* an open deployment gets no traffic before its open time ends (-10 % jitter) */
                if (d->open_seen_at > 0 && t < d->open_seen_at + 27 * S)
                    fail_msg("seed %llu: attempt on %s at +%lld us while its breaker is open",
                             (unsigned long long)seed, d->name, (long long)(t - d->open_seen_at));
                if (breaker_failure(at)) {
                    if (++d->consecutive >= 5) {
                        d->open_seen_at = t;
                        d->consecutive = 0;
                    }
                } else if (at->status == 0) {
                    d->consecutive = 0;
                    d->open_seen_at = 0;
                }
                if (a + 1 < s.hook.attempts && strcmp(s.hook.trail[a + 1].deployment, at->deployment) == 0) {
                    /* never retried: the same deployment right after such a failure */
                    if (never_retried(at->http_status, at->error_class) &&
                        !(at->http_status == 409))
                        fail_msg("seed %llu: %s retried after http %d class %s", (unsigned long long)seed,
                                 at->deployment, at->http_status, llmgw_error_class_str(at->error_class));
                    /* the server's hint is honoured exactly (plus jitter only upward) */
                    if (at->retry_after_ms >= 0 && s.hook.trail[a + 1].wait_us < at->retry_after_ms * 1000)
                        fail_msg("seed %llu: waited %lld us after retry-after %lld ms", (unsigned long long)seed,
                                 (long long)s.hook.trail[a + 1].wait_us, (long long)at->retry_after_ms);
                }
            }
            /* time passes between requests */
            fake_clock_advance(&s.clock, (int64_t)(next(&rng) % (40 * S)));
        }
        sim_stop(&s);
    }
    /* the sequences did exercise the loop */
    assert_true(total_attempts > total_requests);
}

/* All deployments open: fail fast, no upstream call, retry_after_ms = the soonest reopening. */
static void test_all_open_fails_fast(void **state)
{
    sim s;
    int i;

    (void)state;
    sim_start(&s, 1, 600000);
    sim_add(&s, "g", "a", "k1", "[{\"status\":503}]");
    sim_add(&s, "g", "b", "k2", "[{\"status\":503}]");
    for (i = 0; i < 10; i++)
        (void)sim_run(&s, "g");
    /* both are open now */
    assert_int_equal(sim_run(&s, "g"), LLMGW_EUNAVAILABLE);
    assert_int_equal(s.hook.attempts, 0);
    assert_true(llmgw_error_last()->retry_after_ms > 20000 && llmgw_error_last()->retry_after_ms <= 33000);
    assert_int_equal(llmgw_error_last()->error_class, LLMGW_ERRCLASS_SERVER_ERROR);
    /* after the open time, exactly one probe goes out and (503 again) re-opens */
    fake_clock_advance(&s.clock, 40 * S);
    (void)sim_run(&s, "g");
    assert_true(s.hook.attempts >= 1);
    sim_stop(&s);
}

/*
 * The breaker's timeline on one deployment that always fails: five failures
 * open it; for the open time (30 s -10 %) no request reaches it; then exactly
 * one probe, whose failure re-opens it for twice as long.
 */
static void test_breaker_timeline(void **state)
{
    sim s;
    int i, sent = 0;

    (void)state;
    sim_start(&s, 1, 600000);
    sim_add(&s, "g", "a", "k1", "[{\"status\":503}]");
    for (i = 0; i < 5; i++) {
        (void)sim_run(&s, "g");
        assert_int_equal(s.hook.attempts, 1);
    }
    for (i = 0; i < 26; i++) {
        fake_clock_advance(&s.clock, S);
        assert_int_equal(sim_run(&s, "g"), LLMGW_EUNAVAILABLE);
        sent += (int)s.hook.attempts;
    }
    assert_int_equal(sent, 0);
    fake_clock_advance(&s.clock, 8 * S);                  /* now past 30 s + 10 % */
    (void)sim_run(&s, "g");
    assert_int_equal(s.hook.attempts, 1);                 /* the probe */
    (void)sim_run(&s, "g");
    assert_int_equal(s.hook.attempts, 0);                 /* re-opened */
    for (i = 0; i < 50; i++) {                            /* 2 x 30 s -10 % = 54 s */
        fake_clock_advance(&s.clock, S);
        (void)sim_run(&s, "g");
        assert_int_equal(s.hook.attempts, 0);
    }
    sim_stop(&s);
}

/* A 429 hint beyond the cap: no wait there; the caller gets retry_after_ms. */
static void test_far_hint_not_waited(void **state)
{
    sim s;

    (void)state;
    sim_start(&s, 3, 600000);
    sim_add(&s, "g", "a", "k1", "[{\"status\":429,\"headers\":{\"retry-after\":\"86400\"}}]");
    assert_int_equal(sim_run(&s, "g"), LLMGW_ERATELIMIT);
    assert_int_equal(s.hook.attempts, 1);
    assert_int_equal(llmgw_error_last()->retry_after_ms, 86400000);
    assert_int_equal(atomic_load(&s.clock.slept_us), 0);
    sim_stop(&s);
}

/* 503, 503, 200: three attempts, waits in [0, 500] then [0, 1000] ms. */
static void test_backoff_waits(void **state)
{
    sim s;

    (void)state;
    sim_start(&s, 3, 600000);
    sim_add(&s, "g", "a", "k1", "[{\"status\":503},{\"status\":503},\"ok\"]");
    assert_int_equal(sim_run(&s, "g"), 0);
    assert_int_equal(s.hook.attempts, 3);
    assert_true(s.hook.trail[1].wait_us <= 500000);
    assert_true(s.hook.trail[2].wait_us <= 1000000);
    sim_stop(&s);
}

/* max_attempts 3, three deployments all 503: 3 upstream requests in total, not 9. */
static void test_budget_across_deployments(void **state)
{
    sim s;

    (void)state;
    sim_start(&s, 3, 600000);
    sim_add(&s, "g", "a", "k1", "[{\"status\":503}]");
    sim_add(&s, "g", "b", "k2", "[{\"status\":503}]");
    sim_add(&s, "g", "c", "k3", "[{\"status\":503}]");
    assert_int_equal(sim_run(&s, "g"), LLMGW_EUNAVAILABLE);
    assert_int_equal(s.hook.attempts, 3);
    sim_stop(&s);
}

/* Auth fails over to a different credential only. */
static void test_auth_needs_another_credential(void **state)
{
    sim s;

    (void)state;
    sim_start(&s, 4, 600000);
    sim_add(&s, "g", "a", "same", "[{\"status\":401}]");
    sim_add(&s, "g", "b", "same", "[\"ok\"]");
    assert_int_equal(sim_run(&s, "g") == 0 ? strcmp(s.hook.trail[0].deployment, "b") : LLMGW_EAUTH, LLMGW_EAUTH);
    sim_stop(&s);
    sim_start(&s, 4, 600000);
    sim_add(&s, "g", "a", "one", "[{\"status\":401}]");
    sim_add(&s, "g", "b", "two", "[\"ok\"]");
    {
        llmgw__candidates c;
        assert_int_equal(llmgw__gateway_resolve(s.gw, "g", &c), 0);
        c.deps[0]->order = 1;
        llmgw__candidates_dispose(&c);
    }
    assert_int_equal(sim_run(&s, "g"), 0);
    assert_int_equal(s.hook.attempts, 2);
    assert_string_equal(s.hook.trail[1].deployment, "b");
    sim_stop(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_row),
        cmocka_unit_test(test_random_sequences),
        cmocka_unit_test(test_all_open_fails_fast),
        cmocka_unit_test(test_breaker_timeline),
        cmocka_unit_test(test_far_hint_not_waited),
        cmocka_unit_test(test_backoff_waits),
        cmocka_unit_test(test_budget_across_deployments),
        cmocka_unit_test(test_auth_needs_another_credential),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
