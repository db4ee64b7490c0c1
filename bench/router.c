/*
 * bench/router: the time to pick a deployment for groups of 1, 10, 100 and
 * 1,000 deployments (the routing decision alone, and with resolving the
 * group: the alias, the group's candidates, the per-request route state),
 * with the default strategy and with least-busy. Deployments use the
 * in-process mock provider, so nothing touches the network. Target: under
 * 1 us at 100. argv[2], if given, runs that group size alone.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "core/gateway.h"
#include "router/route.h"

static llmgw_gateway *make(size_t n, int strategy)
{
    llmgw_gateway_options o;
    llmgw_gateway *gw = NULL;
    size_t i;

    llmgw_gateway_options_init(&o, LLMGW_GATEWAY_OPTIONS_VERSION);
    o.routing_strategy = strategy;
    if (llmgw_gateway_new(&gw, &o) != 0)
        return NULL;
    for (i = 0; i < n; i++) {
        llmgw_deployment_options d;
        char model[64];
        llmgw_deployment_options_init(&d, LLMGW_DEPLOYMENT_OPTIONS_VERSION);
        snprintf(model, sizeof(model), "mock/model-%zu", i);
        d.group = "g";
        d.model = model;
        d.weight = 1 + (int)(i % 3);
        if (llmgw_gateway_add_deployment(gw, &d) != 0) {
            fprintf(stderr, "router: %s\n", llmgw_error_last()->message);
            llmgw_gateway_free(gw);
            return NULL;
        }
    }
    return gw;
}

static int run(size_t n, int strategy, const char *label, size_t iters)
{
    llmgw_gateway *gw = make(n, strategy);
    llmgw_request *req = NULL;
    llmgw__route route;
    double *pick = calloc(iters, sizeof(double)), *full = calloc(iters, sizeof(double));
    uint64_t rng = 12345, sink = 0;
    size_t i, j;
    char name[64];

    if (gw == NULL || pick == NULL || full == NULL || llmgw_request_new(&req, "g") != 0 ||
        llmgw_request_add_message(req, LLMGW_ROLE_USER, "How long is a piece of string?") != 0)
        return 1;
    if (llmgw__route_start(&route, gw, req) != 0)
        return 1;
    for (i = 0; i < iters; i++) {
        double t0 = bench_now_us();
        for (j = 0; j < 100; j++)
            sink += (uint64_t)llmgw__route_pick(&route, 1000000000, -1, &rng);
        pick[i] = (bench_now_us() - t0) / 100.0;
    }
    llmgw__route_dispose(&route);
    for (i = 0; i < iters; i++) {
        double t0 = bench_now_us();
        for (j = 0; j < 20; j++) {
            llmgw__route r;
            if (llmgw__route_start(&r, gw, req) != 0)
                return 1;
            sink += (uint64_t)llmgw__route_pick(&r, 1000000000, -1, &rng);
            llmgw__route_dispose(&r);
        }
        full[i] = (bench_now_us() - t0) / 20.0;
    }
    snprintf(name, sizeof(name), "router_pick_%s_%zu", label, n);
    bench_report(name, "us", bench_median(pick, iters), 0);
    snprintf(name, sizeof(name), "router_resolve_pick_%s_%zu", label, n);
    bench_report(name, "us", bench_median(full, iters), 0);
    if (sink == 42)
        printf("\n");
    free(pick);
    free(full);
    llmgw_request_free(req);
    llmgw_gateway_free(gw);
    return 0;
}

int main(int argc, char **argv)
{
    static const size_t sizes[] = { 1, 10, 100, 1000 };
    size_t iters = bench_count(argc, argv, 2000), i;
    size_t only = argc > 2 ? (size_t)atol(argv[2]) : 0;     /* one group size alone (for a profiler) */

    for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        if (only != 0 && sizes[i] != only)
            continue;
        if (run(sizes[i], LLMGW_ROUTING_SIMPLE_SHUFFLE, "shuffle", sizes[i] >= 1000 ? iters / 10 + 1 : iters) ||
            run(sizes[i], LLMGW_ROUTING_LEAST_BUSY, "least_busy", sizes[i] >= 1000 ? iters / 10 + 1 : iters))
            return 1;
    }
    return 0;
}
