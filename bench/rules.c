/*
 * bench/rules: evaluating 50 routing rules for a 1 KB request (the facts of
 * the request, then the rules in order; the last one matches), with no
 * allocation per request. Target: under 1 us.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "core/alloc.h"
#include "core/gateway.h"
#include "router/route.h"
#include "router/rules.h"

int main(int argc, char **argv)
{
    size_t iters = bench_count(argc, argv, 20000), i;
    llmgw_gateway *gw = NULL;
    llmgw_deployment_options d;
    llmgw_request *req = NULL;
    char text[1100], cond[256], target[257], rule[129];
    double *t = calloc(iters, sizeof(double));
    unsigned long allocs;
    uint64_t est;
    int k;

    if (t == NULL || llmgw_gateway_new(&gw, NULL) != 0)
        return 1;
    llmgw_deployment_options_init(&d, LLMGW_DEPLOYMENT_OPTIONS_VERSION);
    d.group = "target";
    d.model = "mock/m";
    if (llmgw_gateway_add_deployment(gw, &d) != 0)
        return 1;
    for (k = 0; k < 49; k++) {
        /* varied conditions that do not match */
        switch (k % 5) {
        case 0: snprintf(cond, sizeof(cond), "{\"metadata.tier\":\"tier-%d\"}", k); break;
        case 1: snprintf(cond, sizeof(cond), "{\"all\":[{\"tags\":\"t%d\"},{\"has_tools\":true}]}", k); break;
        case 2: snprintf(cond, sizeof(cond), "{\"input_tokens\":{\"gte\":%d}}", 100000 + k); break;
        case 3: snprintf(cond, sizeof(cond), "{\"customer\":{\"in\":[\"c%d\",\"d%d\",\"e%d\"]}}", k, k, k); break;
        default: snprintf(cond, sizeof(cond), "{\"any\":[{\"has_images\":true},{\"params.temperature\":{\"gt\":1.5}}]}"); break;
        }
        if (llmgw_gateway_add_rule(gw, NULL, cond, "target") != 0)
            return 1;
    }
    if (llmgw_gateway_add_rule(gw, "last", "{\"metadata.tier\":\"paid\"}", "target") != 0)
        return 1;
    memset(text, 'x', sizeof(text) - 1);
    text[sizeof(text) - 1] = '\0';
    if (llmgw_request_new(&req, "chat") != 0 || llmgw_request_add_message(req, LLMGW_ROLE_USER, text) != 0 ||
        llmgw_request_set_metadata(req, "tier", "paid") != 0 || llmgw_request_set_customer(req, "acme") != 0)
        return 1;
    est = llmgw__estimate_input_tokens(req);
    llmgw__alloc_fail_at(0, 0);
    for (i = 0; i < iters; i++) {
        double t0 = bench_now_us();
        llmgw__facts f;
        for (k = 0; k < 10; k++) {
            llmgw__facts_init(&f, req, est);
            if (!llmgw__rules_route(gw, &f, target, sizeof(target), rule, sizeof(rule)) ||
                strcmp(rule, "last") != 0)
                return 1;
        }
        t[i] = (bench_now_us() - t0) / 10.0;
    }
    allocs = llmgw__alloc_count();
    printf("rules_50_on_1kb              %.3f us per request, %lu allocations in %zu evaluations\n",
           bench_median(t, iters), allocs, iters * 10);
    printf("{\"name\":\"rules_50_on_1kb\",\"unit\":\"us\",\"llmgw\":%.4f,\"baseline\":0,\"ratio\":0}\n",
           bench_median(t, iters));
    free(t);
    llmgw_request_free(req);
    llmgw_gateway_free(gw);
    return allocs == 0 ? 0 : 1;
}
