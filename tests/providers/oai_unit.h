/*
 * tests/providers/oai_unit.h: helpers for the OpenAI-family translation tests
 * (test_openai.c, test_azure.c, test_compat.c): a provider instance without a
 * gateway, built requests, fixture bodies and streams fed to its parsers.
 * No network. Header-only (static functions), included by one test file each.
 */
#ifndef LLMGW_TESTS_OAI_UNIT_H
#define LLMGW_TESTS_OAI_UNIT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/common.h"
#include "core/buf.h"
#include "core/json.h"
#include "core/reply.h"
#include "transport/framing.h"
#include "transport/http.h"
#include "providers/registry.h"
#include "fixture.h"

#define OAI_MAX_TEXT (1u << 20)

/* One provider instance: vtable, config and state. */
typedef struct oai_inst {
    const llmgw_provider_vtable *vt;
    llmgw_provider_config        cfg;
    void                        *state;
} oai_inst;

/* Instantiate a built-in provider by id; returns init's status (state freed on failure). */
static inline int oai_open(oai_inst *p, const char *provider, const char *model, const char *base, const char *key,
                    const char *api_version)
{
    int rc;

    memset(p, 0, sizeof(*p));
    p->vt = llmgw__builtin_provider(provider);
    assert_non_null(p->vt);
    p->cfg.version = 1;
    p->cfg.provider = provider;
    p->cfg.model = model;
    p->cfg.api_base = base ? base : p->vt->default_api_base;
    p->cfg.api_key = key;
    p->cfg.api_version = api_version;
    p->state = calloc(1, p->vt->state_size ? p->vt->state_size : 1);
    assert_non_null(p->state);
    rc = p->vt->init ? p->vt->init(p->state, &p->cfg) : 0;
    if (rc < 0) {
        free(p->state);
        p->state = NULL;
    }
    return rc;
}

static inline void oai_close(oai_inst *p)
{
    if (p->state && p->vt->cleanup)
        p->vt->cleanup(p->state);
    free(p->state);
    p->state = NULL;
}

/* A request from canonical JSON text. */
static inline llmgw_request *oai_req(const char *json)
{
    llmgw_request *req = NULL;

    if (llmgw_request_from_json(&req, json, strlen(json)) != 0)
        fail_msg("request: %s", llmgw_error_last()->message);
    return req;
}

/* Build; returns build_request's status; on success *body_out is the parsed body (cJSON_Delete it). */
static inline int oai_build(oai_inst *p, const char *req_json, int stream, llmgw_http_request *hr, cJSON **body_out)
{
    llmgw_request *req = oai_req(req_json);
    size_t len = 0;
    const char *body;
    int rc;

    llmgw__http_request_init(hr);
    rc = p->vt->build_request(hr, p->state, req, stream);
    llmgw_request_free(req);
    if (body_out) {
        *body_out = NULL;
        if (rc == 0) {
            body = llmgw_http_request_body(hr, &len);
            *body_out = cJSON_ParseWithLength(body, len);
            assert_non_null(*body_out);
        }
    }
    return rc;
}

static inline const cJSON *oai_get(const cJSON *o, const char *path)
{
    char key[64];
    const char *dot;

    while (o && (dot = strchr(path, '.')) != NULL) {
        snprintf(key, sizeof(key), "%.*s", (int)(dot - path), path);
        o = (key[0] >= '0' && key[0] <= '9') ? cJSON_GetArrayItem(o, atoi(key))
                                             : cJSON_GetObjectItemCaseSensitive(o, key);
        path = dot + 1;
    }
    if (o && path[0] >= '0' && path[0] <= '9')
        return cJSON_GetArrayItem(o, atoi(path));
    return o ? cJSON_GetObjectItemCaseSensitive(o, path) : NULL;
}

/* The string / number at path, or "(missing)" / -999999 so that the assertion fails. */
static inline const char *oai_str(const cJSON *o, const char *path)
{
    const cJSON *it = oai_get(o, path);

    return it != NULL && cJSON_IsString(it) ? it->valuestring : "(missing)";
}

static inline long long oai_num(const cJSON *o, const char *path)
{
    const cJSON *it = oai_get(o, path);

    return it != NULL && cJSON_IsNumber(it) ? (long long)it->valuedouble : -999999;
}

static inline void oai_reply_init(llmgw_reply *r)
{
    llmgw__reply_init(r, NULL, OAI_MAX_TEXT);
}

static inline const char *oai_text(const llmgw_reply *r)
{
    return r->a.text.ptr ? r->a.text.ptr : "";
}

static inline const char *oai_reasoning(const llmgw_reply *r)
{
    return r->a.reasoning.ptr ? r->a.reasoning.ptr : "";
}

/* A response with that status, body and headers ("name", "value", ..., NULL). */
static inline void oai_response(llmgw_http_response *resp, int status, const char *body, ...)
{
    va_list ap;
    const char *n, *v;

    llmgw__http_response_init(resp);
    resp->status = status;
    if (body)
        assert_int_equal(llmgw__buf_set(&resp->body, body, strlen(body)), 0);
    va_start(ap, body);
    while ((n = va_arg(ap, const char *)) != NULL) {
        v = va_arg(ap, const char *);
        assert_int_equal(llmgw__http_response_add_header(resp, n, strlen(n), v, strlen(v)), 0);
    }
    va_end(ap);
}

/* Parse a 2xx body into r (initialized here); returns parse_response's status. */
static inline int oai_parse_body(oai_inst *p, const char *body, llmgw_reply *r)
{
    llmgw_http_response resp;
    int rc;

    oai_reply_init(r);
    oai_response(&resp, 200, body, NULL);
    rc = p->vt->parse_response(r, p->state, &resp);
    llmgw__http_response_dispose(&resp);
    return rc;
}

typedef struct oai_feed {
    oai_inst    *p;
    llmgw_reply *r;
    int          rc;
    int          events;
} oai_feed;

static inline int oai_on_event(void *ud, const char *event, size_t event_len, const char *data, size_t data_len)
{
    oai_feed *f = ud;
    llmgw_stream_event ev = { event, event_len, data, data_len, 0 };

    if (f->r->done || f->r->has_error)
        return 0;
    f->events++;
    f->rc = f->p->vt->parse_stream_event(f->r, f->p->state, NULL, &ev);
    return f->rc < 0 ? 1 : 0;
}

/* Feed SSE text through the framing and the provider, in chunks of `step` bytes (0: all). */
static inline int oai_parse_sse(oai_inst *p, const char *sse, size_t len, size_t step, llmgw_reply *r)
{
    llmgw__sse parser;
    oai_feed f = { p, r, 0, 0 };
    size_t at = 0, n;

    oai_reply_init(r);
    llmgw__sse_init(&parser, 1u << 20, oai_on_event, &f);
    while (at < len && f.rc == 0) {
        n = step ? (len - at < step ? len - at : step) : len;
        if (llmgw__sse_feed(&parser, sse + at, n) < 0 && f.rc == 0)
            f.rc = -1;
        at += n;
    }
    llmgw__sse_dispose(&parser);
    return f.rc;
}

/* Classify an error response; info starts as the core fills it (class given). */
static inline llmgw_error_info oai_classify(oai_inst *p, int status, int cls, const char *body)
{
    llmgw_http_response resp;
    llmgw_error_info info;

    memset(&info, 0, sizeof(info));
    info.error_class = cls;
    info.retry_after_ms = -1;
    info.should_retry = -1;
    oai_response(&resp, status, body, NULL);
    assert_int_equal(p->vt->classify_error(&info, p->state, &resp), 0);
    llmgw__http_response_dispose(&resp);
    return info;
}

/* A fixture of tests/fixtures (fails the test when missing). */
static inline char *oai_fixture(const char *rel, size_t *len)
{
    char *s = fixture_read(rel, len);

    if (s == NULL)
        fail_msg("missing fixture %s", rel);
    return s;
}

#endif
