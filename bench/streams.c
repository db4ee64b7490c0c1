/*
 * bench/streams: memory of one gateway serving 64 concurrent streams.
 *
 * The mock upstream runs in a forked child, so this process holds only the
 * gateway and its callers. Every stream gets two text events, then the
 * upstream stalls; each caller's sink waits on the first text until all 64
 * are in flight, the heap and RSS are read, and the sinks then cancel their
 * streams (LLMGW_EUSER).
 *
 *   streams64_heap_per_request  heap bytes in use per in-flight stream
 *                               (mallinfo2, all arenas), minus the idle
 *                               gateway's; target <= 64 KiB plus the body.
 *   streams64_rss_per_request   the same in RSS (includes the callers'
 *                               thread stacks and per-thread malloc arenas).
 *   gateway_idle_rss            RSS of a gateway with one deployment after
 *                               one stream, over the process baseline
 *                               (libcurl initialised, before the gateway);
 *                               target <= 2 MiB. Printed again after the 64
 *                               streams (its pool then keeps their handles).
 */
#include <llmgw/llmgw.h>

#include <curl/curl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_util.h"
#include "mock_server.h"

#define STREAMS 64

typedef struct shared {
    pthread_mutex_t mu;
    pthread_cond_t  cond;
    int             arrived, release;
} shared;

typedef struct caller {
    llmgw_gateway *gw;
    shared        *sh;
    int            waited, rc;
    size_t         events;
} caller;

static pid_t mock_pid = -1;

/* Forks the mock upstream; its base URL comes back through a pipe. */
static int start_mock(char *url, size_t cap, int *keepalive_fd)
{
    int up[2], down[2];
    ssize_t n;

    if (pipe(up) != 0 || pipe(down) != 0)
        return -1;
    mock_pid = fork();
    if (mock_pid < 0)
        return -1;
    if (mock_pid == 0) {
        mock_server *srv = NULL;
        char c;
        close(up[0]);
        close(down[1]);
        if (mock_server_start(&srv, "127.0.0.1", 0) != 0 ||
            mock_server_script(srv, "s",
                               "{\"steps\":[{\"text\":\"alpha beta gamma delta\",\"chunks\":4,"
                               "\"stall_after_events\":2,\"stall_ms\":-1}],\"then\":\"repeat_last\"}") != 0)
            _exit(1);
        n = write(up[1], mock_server_base_url(srv), strlen(mock_server_base_url(srv)));
        close(up[1]);
        while (read(down[0], &c, 1) > 0)        /* until the parent goes away */
            ;
        mock_server_stop(srv);
        _exit(n > 0 ? 0 : 1);
    }
    close(up[1]);
    close(down[0]);
    n = read(up[0], url, cap - 1);
    close(up[0]);
    if (n <= 0)
        return -1;
    url[n] = '\0';
    *keepalive_fd = down[1];
    return 0;
}

static int on_text(const char *text, size_t len, void *ud)
{
    caller *c = ud;

    (void)text;
    (void)len;
    c->events++;
    if (c->waited)
        return 0;
    c->waited = 1;
    pthread_mutex_lock(&c->sh->mu);
    c->sh->arrived++;
    pthread_cond_broadcast(&c->sh->cond);
    while (!c->sh->release)
        pthread_cond_wait(&c->sh->cond, &c->sh->mu);
    pthread_mutex_unlock(&c->sh->mu);
    return 1;                                   /* cancel: the upstream stalls from here */
}

static void *run_stream(void *arg)
{
    caller *c = arg;
    llmgw_request *req = NULL;
    llmgw_stream_sink sink;

    llmgw_stream_sink_init(&sink, LLMGW_STREAM_SINK_VERSION);
    sink.on_text = on_text;
    sink.userdata = c;
    c->rc = llmgw_request_new(&req, "bench");
    if (c->rc == 0)
        c->rc = llmgw_request_add_message(req, LLMGW_ROLE_USER, "Tell me a story about a lighthouse keeper.");
    if (c->rc == 0)
        c->rc = llmgw_complete_stream(c->gw, req, &sink, NULL);
    llmgw_request_free(req);
    return NULL;
}

/* One stream that runs to its (stalled) end through the same sink, for the warm-up. */
static int one_stream(llmgw_gateway *gw, shared *sh)
{
    caller c;
    pthread_t th;

    memset(&c, 0, sizeof(c));
    c.gw = gw;
    c.sh = sh;
    pthread_mutex_lock(&sh->mu);
    sh->release = 1;
    pthread_mutex_unlock(&sh->mu);
    if (pthread_create(&th, NULL, run_stream, &c) != 0)
        return -1;
    pthread_join(th, NULL);
    sh->arrived = 0;
    sh->release = 0;
    return c.rc == LLMGW_EUSER && c.events > 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
    static caller callers[STREAMS];
    pthread_t th[STREAMS];
    shared sh = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0 };
    llmgw_gateway *gw = NULL;
    llmgw_gateway_options go;
    llmgw_deployment_options d;
    char url[256], base[300];
    size_t rss0, rss_idle, heap_idle, rss_busy, heap_busy, rss_after, i, started = 0;
    int keep = -1, status = 0, rounds = (int)bench_count(argc, argv, 3), r;
    double heap_per[8], rss_per[8];

    if (rounds > 8)
        rounds = 8;
    if (start_mock(url, sizeof(url), &keep) != 0) {
        fprintf(stderr, "streams: the mock upstream did not start\n");
        return 1;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    rss0 = bench_rss_bytes();
    llmgw_gateway_options_init(&go, LLMGW_GATEWAY_OPTIONS_VERSION);
    go.max_attempts = 1;
    llmgw_deployment_options_init(&d, LLMGW_DEPLOYMENT_OPTIONS_VERSION);
    snprintf(base, sizeof(base), "%s/lane/s/v1", url);
    d.group = "bench";
    d.model = "openai/gpt-bench";
    d.api_base = base;
    d.api_key = "sk-bench-0000000000000000";
    if (llmgw_gateway_new(&gw, &go) != 0 || llmgw_gateway_add_deployment(gw, &d) != 0 || one_stream(gw, &sh) != 0) {
        fprintf(stderr, "streams: warm-up failed: %s\n", llmgw_error_last()->message);
        status = 1;
        goto out;
    }
    rss_idle = bench_rss_bytes();
    heap_idle = bench_heap_bytes();
    for (r = 0; r < rounds && status == 0; r++) {
        size_t heap_before = bench_heap_bytes(), rss_before = bench_rss_bytes();
        for (started = 0; started < STREAMS; started++) {
            memset(&callers[started], 0, sizeof(callers[started]));
            callers[started].gw = gw;
            callers[started].sh = &sh;
            if (pthread_create(&th[started], NULL, run_stream, &callers[started]) != 0)
                break;
        }
        pthread_mutex_lock(&sh.mu);
        while (sh.arrived < (int)started) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_sec += 10;
            if (pthread_cond_timedwait(&sh.cond, &sh.mu, &ts) != 0)
                break;
        }
        heap_busy = bench_heap_bytes();
        rss_busy = bench_rss_bytes();
        if (sh.arrived < (int)started)
            status = 1;
        sh.release = 1;
        pthread_cond_broadcast(&sh.cond);
        pthread_mutex_unlock(&sh.mu);
        for (i = 0; i < started; i++) {
            pthread_join(th[i], NULL);
            if (callers[i].rc != LLMGW_EUSER)
                status = 1;
        }
        sh.arrived = 0;
        sh.release = 0;
        if (started < STREAMS || status != 0) {
            fprintf(stderr, "streams: %zu of %d streams ran: %s\n", started, STREAMS, llmgw_error_last()->message);
            status = 1;
            break;
        }
        heap_per[r] = ((double)heap_busy - (double)heap_before) / STREAMS / 1024.0;
        rss_per[r] = ((double)rss_busy - (double)rss_before) / STREAMS / 1024.0;
    }
    if (status == 0) {
        rss_after = bench_rss_bytes();
        printf("streams: %d concurrent streams, median of %d rounds; idle heap %zu KiB\n", STREAMS, rounds,
               heap_idle / 1024);
        bench_report("streams64_heap_per_request", "KiB", bench_median(heap_per, (size_t)rounds), 0);
        bench_report("streams64_rss_per_request", "KiB", bench_median(rss_per, (size_t)rounds), 0);
        bench_report("gateway_idle_rss", "KiB", ((double)rss_idle - (double)rss0) / 1024.0, 0);
        bench_report("gateway_idle_rss_after_64", "KiB", ((double)rss_after - (double)rss0) / 1024.0, 0);
    }
out:
    llmgw_gateway_free(gw);
    curl_global_cleanup();
    if (keep >= 0)
        close(keep);
    if (mock_pid > 0) {
        kill(mock_pid, SIGTERM);
        waitpid(mock_pid, NULL, 0);
    }
    return status;
}
