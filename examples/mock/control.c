/*
 * llmgw mock upstream: the control plane, for tests that run the mock as a separate process.
 *
 *   POST /__mock/script/<lane>   body = script JSON -> {"ok":true,"steps":N} or 400 (code mock_script)
 *   GET  /__mock/requests/<lane> -> JSON array of recorded requests
 *   GET  /__mock/ledger/<lane>   -> {"requests":..,"responses_ok":..,"usage_reports":..,
 *   GET  /__mock/ledger              "prompt_tokens":..,"completion_tokens":..,"cached_tokens":..,
 *                                    "reasoning_tokens":..} (all lanes summed without a lane)
 *   POST /__mock/reset           -> {"ok":true}
 *   GET  /__mock/health          -> {"ok":true}
 * A /lane/<name> prefix is ignored here; control requests are neither recorded nor counted and
 * carry x-mock-request-id: control-<n>.
 */
#include "mock_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void error_json(mbuf *out, const char *code, const char *fmt, ...) MOCK_PRINTF(3, 4);

static void error_json(mbuf *out, const char *code, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    mbuf_puts(out, "{\"error\":{\"message\":");
    mbuf_json_cstr(out, msg);
    mbuf_puts(out, ",\"type\":\"invalid_request_error\",\"param\":null,\"code\":");
    mbuf_json_cstr(out, code);
    mbuf_puts(out, "}}");
}

static const char *lane_arg(const char *rest)
{
    if (*rest == '\0')
        return NULL;
    if (*rest == '/' && mock_lane_name_ok(rest + 1, strlen(rest + 1)))
        return rest + 1;
    return "";
}

int mock_control(mock_conn *c, const mock_request *req)
{
    mock_server *srv = c->srv;
    char id[32];
    snprintf(id, sizeof id, "control-%u", atomic_fetch_add(&srv->control_counter, 1) + 1);
    const char *p = req->path + 7;         /* after "/__mock" */
    int get = !strcmp(req->method, "GET"), post = !strcmp(req->method, "POST");
    int status = 200;
    mbuf *out = &c->payload;
    mbuf_clear(out);

    if (!strncmp(p, "/script/", 8)) {
        const char *lane = p + 8;
        char err[256];
        if (!post) {
            status = 405;
            error_json(out, "method_not_allowed", "mock: %s needs POST", req->path);
        } else if (!mock_lane_name_ok(lane, strlen(lane))) {
            status = 400;
            error_json(out, "mock_script", "mock: bad lane name in %s", req->path);
        } else {
            mock_script *s = mock_script_parse(req->body, req->body_len, err, sizeof err);
            size_t nsteps = s ? s->nsteps : 0;
            if (s && mock_lanes_set_script(srv, lane, s) < 0) {
                mock_script_free(s);
                s = NULL;
                snprintf(err, sizeof err, "script: too many lanes");
            }
            if (!s) {
                status = 400;
                error_json(out, "mock_script", "mock: %s", err);
            } else {
                mbuf_printf(out, "{\"ok\":true,\"steps\":%zu}", nsteps);
            }
        }
    } else if (!strncmp(p, "/requests/", 10)) {
        char *json = get ? mock_requests_json(srv, p + 10) : NULL;
        if (!get) {
            status = 405;
            error_json(out, "method_not_allowed", "mock: %s needs GET", req->path);
        } else if (!json) {
            status = 400;
            error_json(out, "mock_control", "mock: bad lane name in %s", req->path);
        } else {
            mbuf_puts(out, json);
        }
        free(json);
    } else if (!strncmp(p, "/ledger", 7) && (p[7] == '\0' || p[7] == '/')) {
        const char *lane = lane_arg(p + 7);
        if (!get) {
            status = 405;
            error_json(out, "method_not_allowed", "mock: %s needs GET", req->path);
        } else if (lane && !*lane) {
            status = 400;
            error_json(out, "mock_control", "mock: bad lane name in %s", req->path);
        } else {
            mock_ledger l;
            mock_ledger_sum(srv, lane, &l);
            mock_ledger_write_json(out, &l);
        }
    } else if (!strcmp(p, "/reset")) {
        if (!post) {
            status = 405;
            error_json(out, "method_not_allowed", "mock: %s needs POST", req->path);
        } else {
            mock_lanes_reset(srv);
            mbuf_puts(out, "{\"ok\":true}");
        }
    } else if (!strcmp(p, "/health")) {
        mbuf_puts(out, "{\"ok\":true}");
    } else {
        status = 404;
        error_json(out, "unknown_url", "mock: no control endpoint %s", req->path);
    }
    if (out->oom)
        return -1;
    if (mock_send_json(c, status, id, out->data, out->len, req->keep_alive) < 0)
        return -1;
    return 0;
}
