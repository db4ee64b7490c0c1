/*
 * bench/gateway: whole-gateway paths that need no upstream, through the
 * public API, against the in-process mock provider:
 *
 *   cache_hit_1k        llmgw_complete answering a ~1 KB request from the
 *                       response cache (the in-memory LRU), median us per
 *                       call; baseline: one round trip of 1 KB over a
 *                       loopback TCP connection to an echo thread, which is
 *                       what any cache outside the process costs at least.
 *   usage_accounting    llmgw_complete with a usage hook and a known price
 *                       (the cost computed per request, the hook reading it),
 *                       median ns per call; baseline: the same call with
 *                       neither. The difference is printed as
 *                       usage_accounting_delta.
 *   throughput_2threads requests per second of two threads sharing one
 *                       gateway; baseline: one thread (ratio target >= 1.8:
 *                       no lock serializes requests). Needs two free CPUs.
 *
 * N (argv[1]) is the number of timed calls of each; argv[2] "cache", "usage"
 * or "threads" runs that one alone (for a profiler).
 */
#include <llmgw/llmgw.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"

#define RTT_BYTES 1024

static llmgw_gateway *make_gateway(int cache, llmgw_usage_cb cb, void *ud, int priced)
{
    llmgw_gateway_options o;
    llmgw_deployment_options d;
    llmgw_gateway *gw = NULL;

    llmgw_gateway_options_init(&o, LLMGW_GATEWAY_OPTIONS_VERSION);
    o.cache_enabled = cache;
    o.usage_cb = cb;
    o.usage_userdata = ud;
    o.max_attempts = 1;
    if (llmgw_gateway_new(&gw, &o) != 0)
        return NULL;
    llmgw_deployment_options_init(&d, LLMGW_DEPLOYMENT_OPTIONS_VERSION);
    d.group = "bench";
    d.model = "mock/bench-model";
    if (priced) {
        d.custom_prices = 1;
        d.input_cost_per_token = 2.5e-6;
        d.output_cost_per_token = 1e-5;
    }
    if (llmgw_gateway_add_deployment(gw, &d) != 0) {
        fprintf(stderr, "gateway: %s\n", llmgw_error_last()->message);
        llmgw_gateway_free(gw);
        return NULL;
    }
    return gw;
}

/* A request of about `bytes` bytes of JSON: a system prompt and a user turn. */
static llmgw_request *make_request(size_t bytes)
{
    llmgw_request *req = NULL;
    char text[2048];
    size_t i;

    if (bytes >= sizeof(text))
        bytes = sizeof(text) - 1;
    for (i = 0; i < bytes; i++)
        text[i] = "abcdefghijklmnopqrstuvwxyz ,."[i % 29];
    text[bytes] = '\0';
    if (llmgw_request_new(&req, "bench") != 0 ||
        llmgw_request_add_message(req, LLMGW_ROLE_SYSTEM, "You are a careful assistant.") != 0 ||
        llmgw_request_add_message(req, LLMGW_ROLE_USER, text) != 0 || llmgw_request_set_temperature(req, 0.2) != 0 ||
        llmgw_request_set_max_tokens(req, 256) != 0) {
        llmgw_request_free(req);
        return NULL;
    }
    return req;
}

static int call(llmgw_gateway *gw, const llmgw_request *req, int want_hit)
{
    llmgw_response *r = NULL;
    int rc = llmgw_complete(gw, req, &r);

    if (rc == 0 && want_hit >= 0 && llmgw_response_cache_hit(r) != want_hit)
        rc = -1;
    llmgw_response_free(r);
    return rc;
}

/* ---- loopback round trip (the baseline of a cache hit) ---- */

typedef struct echo {
    int listener, fd;
} echo;

static int read_full(int fd, char *p, size_t n)
{
    while (n > 0) {
        ssize_t got = read(fd, p, n);
        if (got <= 0)
            return -1;
        p += got;
        n -= (size_t)got;
    }
    return 0;
}

static void *echo_main(void *arg)
{
    echo *e = arg;
    char buf[RTT_BYTES];
    int one = 1;

    e->fd = accept(e->listener, NULL, NULL);
    if (e->fd < 0)
        return NULL;
    setsockopt(e->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    while (read_full(e->fd, buf, sizeof(buf)) == 0)
        if (write(e->fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
            break;
    return NULL;
}

static double loopback_rtt_us(size_t iters)
{
    struct sockaddr_in a;
    socklen_t alen = sizeof(a);
    echo e = { -1, -1 };
    pthread_t th;
    double *t = calloc(iters, sizeof(double)), med = -1;
    char buf[RTT_BYTES];
    int c = -1, one = 1;
    size_t i;

    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    memset(buf, 'x', sizeof(buf));
    if (t == NULL || (e.listener = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
        bind(e.listener, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(e.listener, 1) != 0 ||
        getsockname(e.listener, (struct sockaddr *)&a, &alen) != 0 ||
        pthread_create(&th, NULL, echo_main, &e) != 0)
        goto out;
    if ((c = socket(AF_INET, SOCK_STREAM, 0)) < 0 || connect(c, (struct sockaddr *)&a, sizeof(a)) != 0) {
        shutdown(e.listener, SHUT_RDWR);
        pthread_join(th, NULL);
        goto out;
    }
    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    for (i = 0; i < iters + iters / 10; i++) {
        double t0 = bench_now_us();
        if (write(c, buf, sizeof(buf)) != (ssize_t)sizeof(buf) || read_full(c, buf, sizeof(buf)) != 0)
            break;
        if (i >= iters / 10)
            t[i - iters / 10] = bench_now_us() - t0;
    }
    shutdown(c, SHUT_RDWR);
    pthread_join(th, NULL);
    if (i == iters + iters / 10)
        med = bench_median(t, iters);
out:
    if (c >= 0)
        close(c);
    if (e.fd >= 0)
        close(e.fd);
    if (e.listener >= 0)
        close(e.listener);
    free(t);
    return med;
}

static int bench_cache_hit(size_t iters)
{
    llmgw_gateway *gw = make_gateway(1, NULL, NULL, 0);
    llmgw_request *req = make_request(900);
    llmgw_buf json = LLMGW_BUF_INIT;
    double *t = calloc(iters, sizeof(double)), rtt;
    size_t i;

    if (gw == NULL || req == NULL || t == NULL || llmgw_request_to_json(&json, req) != 0 ||
        call(gw, req, 0) != 0 || call(gw, req, 1) != 0)
        return 1;
    for (i = 0; i < iters / 10 + 1; i++)
        if (call(gw, req, 1) != 0)
            return 1;
    for (i = 0; i < iters; i++) {
        double t0 = bench_now_us();
        if (call(gw, req, -1) != 0)
            return 1;
        t[i] = bench_now_us() - t0;
    }
    rtt = loopback_rtt_us(iters);
    printf("cache_hit: request of %zu bytes of JSON\n", json.size);
    bench_report("cache_hit_1k", "us", bench_median(t, iters), rtt > 0 ? rtt : 0);
    llmgw_buf_dispose(&json);
    llmgw_request_free(req);
    llmgw_gateway_free(gw);
    free(t);
    return 0;
}

/* ---- usage hook + cost accounting ---- */

static void on_usage(const llmgw_usage *u, void *ud)
{
    int64_t *sum = ud;

    *sum += u->cost_nusd + (int64_t)u->input_tokens + (int64_t)u->output_tokens;
}

static int bench_usage(size_t iters)
{
    int64_t sum = 0;
    llmgw_gateway *with = make_gateway(0, on_usage, &sum, 1), *without = make_gateway(0, NULL, NULL, 0);
    llmgw_request *req = make_request(200);
    double *a = calloc(iters, sizeof(double)), *b = calloc(iters, sizeof(double)), ma, mb;
    size_t i;

    if (with == NULL || without == NULL || req == NULL || a == NULL || b == NULL)
        return 1;
    for (i = 0; i < iters / 10 + 1; i++)
        if (call(with, req, 0) != 0 || call(without, req, 0) != 0)
            return 1;
    if (sum <= 0) {
        fprintf(stderr, "usage: the hook saw no cost\n");
        return 1;
    }
    for (i = 0; i < iters; i++) {
        double t0 = bench_now_us();
        if (call(with, req, -1) != 0)
            return 1;
        a[i] = bench_now_us() - t0;
        t0 = bench_now_us();
        if (call(without, req, -1) != 0)
            return 1;
        b[i] = bench_now_us() - t0;
    }
    ma = bench_median(a, iters) * 1000.0;
    mb = bench_median(b, iters) * 1000.0;
    bench_report("usage_accounting", "ns", ma, mb);
    printf("usage_accounting_delta             %+.0f ns per request (hook + cost; in-process mock provider)\n",
           ma - mb);
    printf("{\"name\":\"usage_accounting_delta\",\"unit\":\"ns\",\"llmgw\":%.1f,\"baseline\":0,\"ratio\":0}\n",
           ma - mb);
    llmgw_request_free(req);
    llmgw_gateway_free(with);
    llmgw_gateway_free(without);
    free(a);
    free(b);
    return 0;
}

/* ---- throughput: two threads on one gateway against one ---- */

typedef struct worker {
    llmgw_gateway *gw;
    size_t         n;
    int            rc;
} worker;

static void *work(void *arg)
{
    worker *w = arg;
    llmgw_request *req = make_request(200);
    size_t i;

    w->rc = req == NULL ? -1 : 0;
    for (i = 0; i < w->n && w->rc == 0; i++)
        w->rc = call(w->gw, req, 0);
    llmgw_request_free(req);
    return NULL;
}

static double process_cpu_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* CPU seconds the process used per wall second in the last run_threads() (2.0: two busy CPUs). */
static double last_parallelism;

static double run_threads(llmgw_gateway *gw, int nthreads, size_t per_thread)
{
    pthread_t th[2];
    worker w[2];
    double t0 = bench_now_us(), c0 = process_cpu_us(), wall;
    int i;

    for (i = 0; i < nthreads; i++) {
        w[i].gw = gw;
        w[i].n = per_thread;
        w[i].rc = 0;
        if (pthread_create(&th[i], NULL, work, &w[i]) != 0)
            return -1;
    }
    for (i = 0; i < nthreads; i++)
        pthread_join(th[i], NULL);
    for (i = 0; i < nthreads; i++)
        if (w[i].rc != 0)
            return -1;
    wall = bench_now_us() - t0;
    last_parallelism = (process_cpu_us() - c0) / wall;
    return (double)(per_thread * (size_t)nthreads) / (wall / 1e6);
}

static int bench_throughput(size_t iters)
{
    llmgw_gateway *gw = make_gateway(0, NULL, NULL, 1);
    size_t rounds = 7, per = iters * 5, r;
    double one[7], two[7], par[7], par1[7];

    if (gw == NULL)
        return 1;
    if (run_threads(gw, 2, per / 5 + 1) < 0)
        return 1;
    for (r = 0; r < rounds; r++) {
        if ((one[r] = run_threads(gw, 1, per)) < 0)
            return 1;
        par1[r] = last_parallelism;
        if ((two[r] = run_threads(gw, 2, per)) < 0)
            return 1;
        par[r] = last_parallelism;
    }
    printf("throughput: %d CPUs available to this process; in-process mock provider, %zu requests per thread "
           "per round, median of %zu rounds; CPUs kept busy: %.2f by 1 thread, %.2f by 2 (2.00: nothing "
           "serialized them; less: a lock or a busy machine)\n", bench_cpus(), per, rounds,
           bench_median(par1, rounds), bench_median(par, rounds));
    bench_report("throughput_2threads", "req/s", bench_median(two, rounds), bench_median(one, rounds));
    llmgw_gateway_free(gw);
    return 0;
}

int main(int argc, char **argv)
{
    size_t n = bench_count(argc, argv, 2000);
    const char *only = argc > 2 ? argv[2] : "";     /* cache, usage or threads: that one alone (profiling) */

    if (n < 10)
        n = 10;
    if ((!*only || !strcmp(only, "cache")) && bench_cache_hit(n) != 0)
        goto fail;
    if ((!*only || !strcmp(only, "usage")) && bench_usage(n) != 0)
        goto fail;
    if ((!*only || !strcmp(only, "threads")) && bench_throughput(n) != 0)
        goto fail;
    return 0;
fail:
    fprintf(stderr, "gateway: %s\n", llmgw_error_last()->message);
    return 1;
}
