/*
 * tests/faults/test_contention.c: thread safety under contention (issue 9;
 * docs/resilience.md §e.6, the TSan run): 8 threads share one gateway and
 * send requests, streamed and not, with the response cache on, to a group
 * of three deployments on the loopback mock: one healthy, one whose 503s
 * open its breaker again and again (its half-open probes race), one with
 * 429 hints, resets and cut streams. Every fifth request goes to a slow
 * fourth deployment (group v) instead, and one more thread cancels those
 * while in flight; another reads and renders the metrics.
 *
 * Built for ThreadSanitizer (the CI's TSan pass runs it; see
 * tests/run-all.sh), and an ordinary test everywhere else. Checks: every
 * request gets exactly one usage record (by trace id) and every stream
 * exactly one terminal callback, nothing after it; a success streams the
 * text it returns; a failure's class maps to its status; tokens of every
 * attempt with reported usage equal the mock's ledger (group g; group v,
 * cancelled mid-answer, never more than the ledger); the cache answered
 * some repeats, the breaker opened, the canceller got some; and after the
 * gateway is freed the thread count is back where it started.
 *
 * Also: callbacks that call back into the gateway they are called from
 * (metrics, describe, a whole nested request) finish: no lock is held
 * during a callback.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "itest.h"

#define THREADS 8
#define LANES   4           /* ka, kb, kc: group g; kv: group v, the canceller's victims */
#define PROMPTS 12

static const char *const lane_names[LANES] = { "ka", "kb", "kc", "kv" };
static const char *const lane_models[LANES] = { "gpt-k-a", "gpt-k-b", "gpt-k-c", "gpt-k-v" };

typedef struct ctx {
    itest            t;
    int              per_thread;
    atomic_uchar    *seen;                 /* usage records per request, [thread * per_thread + i] */
    atomic_ulong     records, bad_trace, known_in[LANES], known_out[LANES], over_attempts;
    atomic_ulong     ok, failed, cancelled, hits, bad_stream, bad_class, metrics_reads;
    atomic_int       stop;
    pthread_mutex_t  mu;                   /* guards `victim` */
    llmgw_request   *victim;               /* a request in flight the canceller may cancel */
} ctx;

typedef struct worker {
    ctx *c;
    int  id;
} worker;

static int lane_of(const char *model)
{
    int i;

    for (i = 0; model != NULL && i < LANES; i++)
        if (strcmp(model, lane_models[i]) == 0)
            return i;
    return -1;
}

static void on_usage(const llmgw_usage *u, void *ud)
{
    ctx *c = ud;
    unsigned th, idx, i;

    atomic_fetch_add(&c->records, 1);
    if (u->trace_id == NULL || sscanf(u->trace_id, "k%u-%u", &th, &idx) != 2 || th >= THREADS ||
        idx >= (unsigned)c->per_thread) {
        atomic_fetch_add(&c->bad_trace, 1);
        return;
    }
    atomic_fetch_add(&c->seen[th * (unsigned)c->per_thread + idx], 1);
    if (u->attempts > 3)
        atomic_fetch_add(&c->over_attempts, 1);
    for (i = 0; i < u->attempts; i++) {
        const llmgw_attempt *a = &u->trail[i];
        int l = lane_of(a->model);
        if (a->usage_known && l >= 0) {
            atomic_fetch_add(&c->known_in[l], a->input_tokens);
            atomic_fetch_add(&c->known_out[l], a->output_tokens);
        }
    }
}

static void set_victim(ctx *c, llmgw_request *req)
{
    pthread_mutex_lock(&c->mu);
    c->victim = req;
    pthread_mutex_unlock(&c->mu);
}

static void *work(void *arg)
{
    worker *w = arg;
    ctx *c = w->c;
    int i;

    for (i = 0; i < c->per_thread; i++) {
        llmgw_request *req = NULL;
        llmgw_response *r = NULL;
        collect *col = NULL;
        char prompt[64], trace[32];
        const int stream = (i + w->id) % 2;
        int rc;

        if (i % 3 == 0)     /* a third repeat prompts the other threads send too: cache hits and fills race */
            snprintf(prompt, sizeof(prompt), "contention prompt %d", (i * 7 + w->id) % PROMPTS);
        else
            snprintf(prompt, sizeof(prompt), "contention thread %d request %d", w->id, i);
        snprintf(trace, sizeof(trace), "k%d-%d", w->id, i);
        if (llmgw_request_new(&req, i % 5 == 0 ? "v" : "g") != 0 || llmgw_request_add_message(req, LLMGW_ROLE_USER, prompt) != 0 ||
            llmgw_request_set_trace_id(req, trace) != 0 || llmgw_request_set_deadline_ms(req, 4000) != 0)
            break;
        if (i % 5 == 0)
            set_victim(c, req);
        if (stream) {
            llmgw_stream_sink s;
            col = calloc(1, sizeof(*col));
            if (col == NULL)
                break;
            collect_init(col);
            s = collect_sink(col);
            rc = llmgw_complete_stream(c->t.gw, req, &s, &r);
        } else {
            rc = llmgw_complete(c->t.gw, req, &r);
        }
        if (i % 5 == 0)
            set_victim(c, NULL);
        if (rc == 0) {
            atomic_fetch_add(&c->ok, 1);
            atomic_fetch_add(&c->hits, llmgw_response_cache_hit(r) ? 1 : 0);
        } else {
            int ec = llmgw_error_last()->error_class;
            atomic_fetch_add(&c->failed, 1);
            atomic_fetch_add(&c->cancelled, rc == LLMGW_ECANCELLED);
            if (ec == LLMGW_ERRCLASS_NONE || llmgw_error_class_status(ec) != rc || r != NULL)
                atomic_fetch_add(&c->bad_class, 1);
        }
        if (col != NULL) {
            int good = col->done_calls + col->error_calls == 1 && col->order_ok;
            if (rc == 0)
                good = good && col->done_calls == 1 && col->text_len == llmgw_response_text_len(r) &&
                       memcmp(col->text, llmgw_response_text(r), col->text_len) == 0;
            else
                good = good && col->error_calls == 1 && col->error_code == rc;
            atomic_fetch_add(&c->bad_stream, good ? 0 : 1);
            free(col);
        }
        llmgw_response_free(r);
        llmgw_request_free(req);
    }
    return NULL;
}

static void pause_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

/* Cancels whatever request is registered, every few milliseconds. */
static void *canceller(void *arg)
{
    ctx *c = arg;

    while (!atomic_load(&c->stop)) {
        pause_ms(7);
        pthread_mutex_lock(&c->mu);
        if (c->victim != NULL)
            (void)llmgw_request_cancel(c->victim);
        pthread_mutex_unlock(&c->mu);
    }
    return NULL;
}

/* Reads and renders the metrics while the workers update them. */
static void *reader(void *arg)
{
    ctx *c = arg;

    while (!atomic_load(&c->stop)) {
        llmgw_metrics *m = NULL;
        llmgw_buf b = LLMGW_BUF_INIT;
        if (llmgw_metrics_get(&m, c->t.gw) == 0) {
            (void)llmgw_metrics_to_prometheus(&b, m);
            llmgw_buf_dispose(&b);
            llmgw_metrics_free(m);
            atomic_fetch_add(&c->metrics_reads, 1);
        }
        pause_ms(3);
    }
    return NULL;
}

static void *idle(void *arg)
{
    return arg;
}

static long thread_count(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long v = -1;

    assert_non_null(f);
    while (fgets(line, sizeof(line), f) != NULL)
        if (strncmp(line, "Threads:", 8) == 0)
            v = strtol(line + 8, NULL, 10);
    fclose(f);
    return v;
}

static void test_eight_threads_share_cache_breaker_and_streams(void **state)
{
    ctx *c = calloc(1, sizeof(*c));
    llmgw_gateway_options o;
    pthread_t th[THREADS], can, rd;
    worker w[THREADS];
    uint64_t lost = 0, dup = 0, in = 0, out = 0, led_in = 0, led_out = 0;
    long threads_before;
    int i, l;

    (void)state;
    assert_non_null(c);
    c->per_thread = getenv("LLMGW_UNDER_VALGRIND") != NULL ? 20 : 100;
    c->seen = calloc((size_t)THREADS * (size_t)c->per_thread, sizeof(*c->seen));
    assert_non_null(c->seen);
    assert_int_equal(pthread_mutex_init(&c->mu, NULL), 0);
    {   /* a thread started and joined first: a runtime's own helper (TSan's) is in the baseline */
        pthread_t t0;
        assert_int_equal(pthread_create(&t0, NULL, idle, NULL), 0);
        pthread_join(t0, NULL);
        pause_ms(20);
    }
    threads_before = thread_count();

    llmgw_gateway_options_init(&o, LLMGW_GATEWAY_OPTIONS_VERSION);
    o.max_attempts = 3;
    o.first_byte_timeout_ms = 400;
    o.idle_timeout_ms = 400;
    o.attempt_timeout_ms = 1500;
    o.cooldown_ms = 150;            /* short open periods: the breaker opens, half-opens and probes often */
    o.cache_enabled = 1;
    o.seed = 0xc0ffee;
    o.usage_cb = on_usage;
    o.usage_userdata = c;
    itest_start(&c->t, &o);
    itest_add_key(&c->t, "g", "ka", "gpt-k-a", "sk-contention-a-0123456789");
    itest_add_key(&c->t, "g", "kb", "gpt-k-b", "sk-contention-b-0123456789");
    itest_add_key(&c->t, "g", "kc", "gpt-k-c", "sk-contention-c-0123456789");
    itest_add_key(&c->t, "v", "kv", "gpt-k-v", "sk-contention-v-0123456789");
    itest_script(&c->t, "kb", "{\"steps\":[{\"status\":503},{\"status\":503},{\"status\":503},{\"status\":503},"
                               "{\"status\":503},{\"status\":503},{},{\"status\":500},{}],\"then\":\"cycle\"}");
    itest_script(&c->t, "kc", "{\"steps\":[{},{\"status\":429,\"headers\":{\"retry-after-ms\":\"10\"}},{},"
                               "{\"reset\":\"before_headers\"},{\"text\":\"cut off in the middle\","
                               "\"cut_after_events\":4},{},{\"first_byte_delay_ms\":50},{}],\"then\":\"cycle\"}");
    /* slow answers, so that cancellations land before, during and after them */
    itest_script(&c->t, "kv", "{\"steps\":[{\"first_byte_delay_ms\":30},{\"event_delay_ms\":8},"
                               "{\"delay_ms\":20}],\"then\":\"cycle\"}");

    for (i = 0; i < THREADS; i++) {
        w[i].c = c;
        w[i].id = i;
        assert_int_equal(pthread_create(&th[i], NULL, work, &w[i]), 0);
    }
    assert_int_equal(pthread_create(&can, NULL, canceller, c), 0);
    assert_int_equal(pthread_create(&rd, NULL, reader, c), 0);
    for (i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);
    atomic_store(&c->stop, 1);
    pthread_join(can, NULL);
    pthread_join(rd, NULL);

    {
        llmgw_metrics *m = NULL;
        llmgw_metrics_totals tot;
        assert_int_equal(llmgw_metrics_get(&m, c->t.gw), 0);
        assert_int_equal(llmgw_metrics_totals_get(&tot, m), 0);
        printf("contention: %lu ok, %lu failed (%lu cancelled), %lu cache hits; metrics: %llu requests, "
               "%llu attempts, %llu breaker openings; %lu metrics reads\n",
               atomic_load(&c->ok), atomic_load(&c->failed), atomic_load(&c->cancelled), atomic_load(&c->hits),
               (unsigned long long)tot.requests, (unsigned long long)tot.attempts,
               (unsigned long long)tot.breaker_openings, atomic_load(&c->metrics_reads));
        assert_int_equal(tot.requests, (uint64_t)THREADS * (uint64_t)c->per_thread);
        assert_true(tot.breaker_openings > 0);
        llmgw_metrics_free(m);
    }
    for (l = 0; l < LANES; l++) {
        mock_ledger led;
        mock_server_ledger(c->t.srv, lane_names[l], &led);
        if (l == 3) {   /* a cancelled attempt may have had its usage sent but not read: never more */
            assert_true(atomic_load(&c->known_in[l]) <= led.prompt_tokens);
            assert_true(atomic_load(&c->known_out[l]) <= led.completion_tokens);
            continue;
        }
        assert_int_equal(atomic_load(&c->known_in[l]), led.prompt_tokens);
        assert_int_equal(atomic_load(&c->known_out[l]), led.completion_tokens);
        led_in += led.prompt_tokens;
        led_out += led.completion_tokens;
        in += atomic_load(&c->known_in[l]);
        out += atomic_load(&c->known_out[l]);
    }
    itest_stop(&c->t);
    for (i = 0; i < THREADS * c->per_thread; i++) {
        lost += c->seen[i] == 0;
        dup += c->seen[i] > 1;
    }
    assert_int_equal(atomic_load(&c->ok) + atomic_load(&c->failed), (unsigned long)(THREADS * c->per_thread));
    assert_int_equal(atomic_load(&c->bad_trace), 0);
    assert_int_equal(lost, 0);
    assert_int_equal(dup, 0);
    assert_int_equal(atomic_load(&c->records), (unsigned long)(THREADS * c->per_thread));
    assert_int_equal(atomic_load(&c->over_attempts), 0);
    assert_int_equal(atomic_load(&c->bad_stream), 0);
    assert_int_equal(atomic_load(&c->bad_class), 0);
    assert_int_equal(in, led_in);
    assert_int_equal(out, led_out);
    assert_true(atomic_load(&c->hits) > 0);
    assert_true(atomic_load(&c->cancelled) > 0);
    assert_int_equal(thread_count(), threads_before);
    pthread_mutex_destroy(&c->mu);
    free(c->seen);
    free(c);
}

/* ---- callbacks that call back into the gateway (docs/resilience.md §d.2: no lock held during a callback) ---- */

typedef struct reenter {
    itest           t;
    atomic_int      usage_calls, usage_reads_ok, nested_rc, nested_calls, done;
    pthread_mutex_t mu;
    pthread_cond_t  cv;
} reenter;

/* The usage hook reads the metrics and the description of the gateway that is calling it. */
static void reenter_usage(const llmgw_usage *u, void *ud)
{
    reenter *r = ud;
    llmgw_metrics *m = NULL;
    llmgw_buf b = LLMGW_BUF_INIT;

    (void)u;
    atomic_fetch_add(&r->usage_calls, 1);
    if (llmgw_metrics_get(&m, r->t.gw) == 0 && llmgw_gateway_describe(&b, r->t.gw) == 0)
        atomic_fetch_add(&r->usage_reads_ok, 1);
    llmgw_metrics_free(m);
    llmgw_buf_dispose(&b);
}

/* The first text delta of the outer stream makes a whole request of its own on the same gateway. */
static int reenter_text(const char *t, size_t n, void *ud)
{
    reenter *r = ud;
    llmgw_request *req = NULL;
    llmgw_response *resp = NULL;

    (void)t;
    (void)n;
    if (atomic_fetch_add(&r->nested_calls, 1) != 0)
        return 0;
    if (llmgw_request_new(&req, "inner") != 0 || llmgw_request_add_message(req, LLMGW_ROLE_USER, "nested") != 0) {
        atomic_store(&r->nested_rc, -1000);
    } else {
        atomic_store(&r->nested_rc, llmgw_complete(r->t.gw, req, &resp));
    }
    llmgw_response_free(resp);
    llmgw_request_free(req);
    return 0;
}

static void *reenter_run(void *arg)
{
    reenter *r = arg;
    llmgw_request *req = NULL;
    llmgw_response *resp = NULL;
    llmgw_stream_sink s;
    int rc = -1;

    if (llmgw_request_new(&req, "outer") == 0 && llmgw_request_add_message(req, LLMGW_ROLE_USER, "outer") == 0) {
        llmgw_stream_sink_init(&s, LLMGW_STREAM_SINK_VERSION);
        s.on_text = reenter_text;
        s.userdata = r;
        rc = llmgw_complete_stream(r->t.gw, req, &s, &resp);
        llmgw_response_free(resp);
        resp = NULL;
        if (rc == 0)
            rc = llmgw_complete(r->t.gw, req, &resp);
        llmgw_response_free(resp);
    }
    llmgw_request_free(req);
    pthread_mutex_lock(&r->mu);
    atomic_store(&r->done, rc == 0 ? 1 : 2);
    pthread_cond_signal(&r->cv);
    pthread_mutex_unlock(&r->mu);
    return NULL;
}

/*
 * A usage hook that reads the gateway's metrics and description, and a
 * stream callback that makes a whole request on the same gateway, finish
 * (a binding's callback, holding the GIL, may do either). Would catch: an
 * internal lock held while a callback runs (a deadlock: the call never
 * returns; the test gives up after 20 s, 120 s under valgrind).
 */
static void test_callbacks_may_call_into_the_gateway(void **state)
{
    reenter *r = calloc(1, sizeof(*r));
    llmgw_gateway_options o;
    pthread_t th;
    struct timespec until;
    int waited = 0;

    (void)state;
    assert_non_null(r);
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
    llmgw_gateway_options_init(&o, LLMGW_GATEWAY_OPTIONS_VERSION);
    o.usage_cb = reenter_usage;
    o.usage_userdata = r;
    o.cache_enabled = 1;
    itest_start(&r->t, &o);
    itest_add(&r->t, "outer", "ro", "gpt-outer");
    itest_add(&r->t, "inner", "ri", "gpt-inner");
    assert_int_equal(pthread_create(&th, NULL, reenter_run, r), 0);
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += getenv("LLMGW_UNDER_VALGRIND") != NULL ? 120 : 20;
    pthread_mutex_lock(&r->mu);
    while (atomic_load(&r->done) == 0 && waited == 0)
        waited = pthread_cond_timedwait(&r->cv, &r->mu, &until) != 0;
    pthread_mutex_unlock(&r->mu);
    if (atomic_load(&r->done) == 0)
        fail_msg("deadlock: a callback that calls into the gateway never returned");
    pthread_join(th, NULL);
    assert_int_equal(atomic_load(&r->done), 1);
    assert_int_equal(atomic_load(&r->nested_rc), 0);
    assert_int_equal(atomic_load(&r->usage_calls), 3);       /* outer stream, nested, outer again */
    assert_int_equal(atomic_load(&r->usage_reads_ok), 3);
    assert_int_equal(itest_request_count(&r->t, "ri"), 1);
    itest_stop(&r->t);
    pthread_cond_destroy(&r->cv);
    pthread_mutex_destroy(&r->mu);
    free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_eight_threads_share_cache_breaker_and_streams),
        cmocka_unit_test(test_callbacks_may_call_into_the_gateway),
    };
    setvbuf(stdout, NULL, _IOLBF, 0);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
