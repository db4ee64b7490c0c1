/*
 * tests/providers/oai_http.h: helpers for the OpenAI-family integration tests
 * over loopback HTTP (http_azure.c, http_compat.c): deployments of any
 * provider pointed at a mock lane, and the request the mock recorded.
 * Header-only (static inline), public API and the mock only.
 */
#ifndef LLMGW_TESTS_OAI_HTTP_H
#define LLMGW_TESTS_OAI_HTTP_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "itest.h"

/* A gateway with max_attempts attempts per request. */
static inline void oh_start(itest *t, unsigned int max_attempts)
{
    llmgw_gateway_options o;

    llmgw_gateway_options_init(&o, LLMGW_GATEWAY_OPTIONS_VERSION);
    o.max_attempts = max_attempts;
    itest_start(t, &o);
}

/* Add a deployment "group" of model ("provider/model") at {mock}{base_path}; returns the status. */
static inline int oh_add(itest *t, const char *group, const char *model, const char *base_path, const char *key,
                         const char *api_version)
{
    llmgw_deployment_options d;
    char base[256];

    if (base_path != NULL)
        snprintf(base, sizeof(base), "%s%s", mock_server_base_url(t->srv), base_path);
    llmgw_deployment_options_init(&d, LLMGW_DEPLOYMENT_OPTIONS_VERSION);
    d.group = group;
    d.model = model;
    d.api_base = base_path ? base : NULL;
    d.api_key = key;
    d.api_version = api_version;
    return llmgw_gateway_add_deployment(t->gw, &d);
}

static inline void oh_add_ok(itest *t, const char *group, const char *model, const char *base_path, const char *key,
                             const char *api_version)
{
    if (oh_add(t, group, model, base_path, key, api_version) != 0)
        fail_msg("add_deployment %s: %s", model, llmgw_error_last()->message);
}

/* The n-th (0-based) recorded request of a lane; cJSON_Delete the returned array. */
static inline const cJSON *oh_request(itest *t, const char *lane, int n, cJSON **all)
{
    const cJSON *r;

    *all = itest_requests(t, lane);
    r = cJSON_GetArrayItem(*all, n);
    if (r == NULL)
        fail_msg("lane %s has no request %d", lane, n);
    return r;
}

static inline const char *oh_str(const cJSON *o, const char *key)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);

    return it != NULL && cJSON_IsString(it) ? it->valuestring : NULL;
}

static inline long long oh_num(const cJSON *o, const char *key)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);

    return it != NULL && cJSON_IsNumber(it) ? (long long)it->valuedouble : -999999;
}

/* A recorded request's header (lowercased name), or NULL. */
static inline const char *oh_header(const cJSON *req, const char *lname)
{
    return oh_str(cJSON_GetObjectItemCaseSensitive(req, "headers"), lname);
}

/* A recorded request's body, parsed (cJSON_Delete it). */
static inline cJSON *oh_body(const cJSON *req)
{
    const char *b = oh_str(req, "body");
    cJSON *j = b ? cJSON_Parse(b) : NULL;

    if (j == NULL)
        fail_msg("recorded request has no JSON body");
    return j;
}

/* A request from canonical JSON text. */
static inline llmgw_request *oh_req(const char *json)
{
    llmgw_request *req = NULL;

    if (llmgw_request_from_json(&req, json, strlen(json)) != 0)
        fail_msg("request: %s", llmgw_error_last()->message);
    return req;
}

static inline int oh_complete_json(itest *t, const char *json, llmgw_response **out)
{
    llmgw_request *req = oh_req(json);
    int rc = llmgw_complete(t->gw, req, out);

    llmgw_request_free(req);
    return rc;
}

static inline int oh_stream_json(itest *t, const char *json, collect *c, llmgw_response **out)
{
    llmgw_request *req = oh_req(json);
    llmgw_stream_sink s = collect_sink(c);
    int rc = llmgw_complete_stream(t->gw, req, &s, out);

    llmgw_request_free(req);
    return rc;
}

/* The call failed with that status and class; no response was handed out. */
#define oh_assert_fails(call, resp, want_rc, want_class)                                                  \
    do {                                                                                                \
        int rc_ = (call);                                                                               \
        if (rc_ != (want_rc) || llmgw_error_last()->error_class != (want_class))                        \
            fail_msg("%s: rc %d class %s: %s", #call, rc_,                                              \
                     llmgw_error_class_str(llmgw_error_last()->error_class), llmgw_error_last()->message); \
        assert_null(resp);                                                                              \
    } while (0)

#endif
