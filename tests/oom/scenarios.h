/*
 * tests/oom/scenarios.h: a gateway of in-process mock deployments (no
 * sockets, simulated time), the request, and the call, for the complete and
 * stream scenarios of test_oom_complete.c and test_oom_stream.c.
 */
#ifndef LLMGW_TESTS_OOM_SCENARIOS_H
#define LLMGW_TESTS_OOM_SCENARIOS_H

#include "oom.h"

#include <string.h>

#include "core/gateway.h"
#include "fake_clock.h"

#define MOCK_TEXT "This is a mock response."

/* One deployment: id, group, order, params JSON (NULL: the mock's default answer). */
typedef struct oom_dep {
    const char *id;
    const char *group;
    int         order;
    const char *params;
} oom_dep;

typedef struct oom_gw {
    llmgw_gateway  *gw;
    llmgw_request  *req;
    fake_clock      clock;
    oom_obs        *obs;
    llmgw_response *resp;      /* the last successful answer (complete scenarios) */
} oom_gw;

/* Gateway (seeded, 3 attempts, simulated clock), deployments, fallbacks "from>to", and a request. */
static inline int oom_gw_setup_opts(oom_gw *c, oom_obs *obs, const oom_dep *deps, size_t ndeps,
                                    const char *fallback_from, const char *fallback_to, const char *request_json,
                                    bool cache);

static inline int oom_gw_setup(oom_gw *c, oom_obs *obs, const oom_dep *deps, size_t ndeps,
                               const char *fallback_from, const char *fallback_to, const char *request_json)
{
    return oom_gw_setup_opts(c, obs, deps, ndeps, fallback_from, fallback_to, request_json, false);
}

/* The same, with the response cache (in-memory LRU) on when cache is true. */
static inline int oom_gw_setup_opts(oom_gw *c, oom_obs *obs, const oom_dep *deps, size_t ndeps,
                                    const char *fallback_from, const char *fallback_to, const char *request_json,
                                    bool cache)
{
    llmgw_gateway_options o;
    llmgw_deployment_options d;
    size_t i;
    int rc;

    memset(c, 0, sizeof(*c));
    c->obs = obs;
    fake_clock_init(&c->clock, 1000000);
    llmgw_gateway_options_init(&o, LLMGW_GATEWAY_OPTIONS_VERSION);
    o.seed = 7;
    o.max_attempts = 3;
    o.usage_cb = oom_usage_cb;
    o.usage_userdata = obs;
    o.cache_enabled = cache;
    if ((rc = llmgw_gateway_new(&c->gw, &o)) < 0)
        return rc;
    llmgw__gateway_set_clock(c->gw, &c->clock.vt);
    for (i = 0; i < ndeps && rc == 0; i++) {
        llmgw_deployment_options_init(&d, LLMGW_DEPLOYMENT_OPTIONS_VERSION);
        d.id = deps[i].id;
        d.group = deps[i].group;
        d.model = "mock/m";
        d.order = deps[i].order;
        d.params_json = deps[i].params;
        rc = llmgw_gateway_add_deployment(c->gw, &d);
    }
    if (rc == 0 && fallback_from != NULL)
        rc = llmgw_gateway_add_fallback(c->gw, LLMGW_FALLBACK_DEFAULT, fallback_from, fallback_to);
    if (rc == 0)
        rc = llmgw_request_from_json(&c->req, request_json, strlen(request_json));
    if (rc < 0) {
        llmgw_gateway_free(c->gw);
        c->gw = NULL;
    }
    return rc;
}

static inline void oom_gw_teardown(void *ctx)
{
    oom_gw *c = ctx;

    llmgw_response_free(c->resp);
    llmgw_request_free(c->req);
    llmgw_gateway_free(c->gw);
    memset(c, 0, sizeof(*c));
}

static inline int oom_gw_complete(void *ctx, oom_obs *obs)
{
    oom_gw *c = ctx;
    llmgw_response *r = NULL;
    int rc;

    (void)obs;
    rc = llmgw_complete(c->gw, c->req, &r);
    if (rc == 0 && r == NULL)
        fail_msg("success without a response");
    if (rc < 0 && r != NULL)
        fail_msg("failure with a response");
    llmgw_response_free(c->resp);
    c->resp = r;
    return rc;
}

static inline int oom_gw_stream(void *ctx, oom_obs *obs)
{
    oom_gw *c = ctx;
    llmgw_stream_sink sink = oom_sink(obs);
    llmgw_response *r = NULL;
    int rc;

    rc = llmgw_complete_stream(c->gw, c->req, &sink, &r);
    if (rc == 0 && r == NULL)
        fail_msg("success without a response");
    if (rc < 0 && r != NULL)
        fail_msg("failure with a response");
    llmgw_response_free(c->resp);
    c->resp = r;
    return rc;
}

#endif
