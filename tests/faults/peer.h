/*
 * tests/faults/peer.h: helpers for the peer-bug tests (docs/resilience.md §c):
 * a gateway on the in-process mock with a log and usage capture, deployments
 * of any provider on a mock lane with a priority and a key, one call streamed
 * or not with what came back kept. Header-only (static inline).
 */
#ifndef LLMGW_TESTS_PEER_H
#define LLMGW_TESTS_PEER_H

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

#define PEER_KEY_A "sk-peer-a-0123456789abcdefQRS"
#define PEER_KEY_B "sk-peer-b-0123456789abcdefQRS"

typedef struct peer {
    itest           t;                 /* t.srv, t.gw */
    pthread_mutex_t mu;
    int             usage_records;
    llmgw_usage     last;              /* the last usage record (its pointers are not kept) */
    uint64_t        tokens_in, tokens_out;
    int             warns;
    char            log[16384];        /* every log line, one per line */
    size_t          log_len;
} peer;

static inline void peer_on_usage(const llmgw_usage *u, void *ud)
{
    peer *p = ud;

    pthread_mutex_lock(&p->mu);
    p->usage_records++;
    p->last = *u;
    p->last.request_id = p->last.trace_id = p->last.operation = p->last.model_requested = NULL;
    p->last.group = p->last.provider = p->last.model = p->last.response_id = NULL;
    p->last.deployment = p->last.api_base = p->last.customer = p->last.route_rule = NULL;
    p->last.finish_reason = u->finish_reason != NULL ? "set" : NULL;
    p->last.trail = NULL;
    p->last.tags = NULL;
    p->tokens_in += u->input_tokens;
    p->tokens_out += u->output_tokens;
    pthread_mutex_unlock(&p->mu);
}

static inline void peer_on_log(int level, const char *msg, void *ud)
{
    peer *p = ud;
    size_t n = strlen(msg);

    pthread_mutex_lock(&p->mu);
    if (level <= LLMGW_LOG_WARN)
        p->warns++;
    if (p->log_len + n + 2 < sizeof(p->log)) {
        memcpy(p->log + p->log_len, msg, n);
        p->log_len += n;
        p->log[p->log_len++] = '\n';
        p->log[p->log_len] = '\0';
    }
    pthread_mutex_unlock(&p->mu);
}

/* A gateway with these options (0 fields: the defaults below), hooks set to the capture. */
static inline void peer_start(peer *p, const llmgw_gateway_options *base)
{
    llmgw_gateway_options o;

    memset(p, 0, sizeof(*p));
    pthread_mutex_init(&p->mu, NULL);
    if (base != NULL) {
        o = *base;
    } else {
        llmgw_gateway_options_init(&o, LLMGW_GATEWAY_OPTIONS_VERSION);
        o.max_attempts = 3;
    }
    if (o.idle_timeout_ms == 0)
        o.idle_timeout_ms = 2000;
    if (o.seed == 0)
        o.seed = 42;
    o.usage_cb = peer_on_usage;
    o.usage_userdata = p;
    o.log_cb = peer_on_log;
    o.log_userdata = p;
    if (o.log_level == 0)
        o.log_level = LLMGW_LOG_DEBUG;
    itest_start(&p->t, &o);
}

static inline void peer_stop(peer *p)
{
    itest_stop(&p->t);
    pthread_mutex_destroy(&p->mu);
}

static inline llmgw_gateway_options peer_opts(unsigned int max_attempts)
{
    llmgw_gateway_options o;

    llmgw_gateway_options_init(&o, LLMGW_GATEWAY_OPTIONS_VERSION);
    o.max_attempts = max_attempts;
    return o;
}

/*
 * Add a deployment of `group`: model "provider/name", at the mock lane (or at
 * base_url when given), with a key and a priority (0: none). The path after
 * the lane follows each vendor SDK's base URL convention.
 */
static inline int peer_add_full(peer *p, const char *group, const char *lane, const char *model, const char *key,
                                int order, const char *base_url)
{
    llmgw_deployment_options d;
    char base[256];
    const char *suffix = strncmp(model, "openai/", 7) == 0 || strncmp(model, "groq/", 5) == 0 ? "/v1" : "";

    if (base_url != NULL)
        snprintf(base, sizeof(base), "%s", base_url);
    else
        snprintf(base, sizeof(base), "%s/lane/%s%s", mock_server_base_url(p->t.srv), lane, suffix);
    llmgw_deployment_options_init(&d, LLMGW_DEPLOYMENT_OPTIONS_VERSION);
    d.group = group;
    d.model = model;
    d.api_base = base;
    d.api_key = key;
    d.order = order;
    return llmgw_gateway_add_deployment(p->t.gw, &d);
}

static inline void peer_add(peer *p, const char *group, const char *lane, const char *model, const char *key, int order)
{
    if (peer_add_full(p, group, lane, model, key, order, NULL) != 0)
        fail_msg("add_deployment %s: %s", model, llmgw_error_last()->message);
}

static inline void peer_script(peer *p, const char *lane, const char *json)
{
    itest_script(&p->t, lane, json);
}

static inline int peer_count(peer *p, const char *lane)
{
    return itest_request_count(&p->t, lane);
}

/* What one call gave back. */
typedef struct shot {
    int           rc;
    int           err_class;
    int64_t       retry_after_ms;
    char          msg[512];
    size_t        attempts;
    llmgw_attempt trail[8];            /* pointers not kept, but model copied below */
    char          model[8][32];        /* trail[i].model */
    char          text[1024];
    char          finish[32];          /* response finish reason, "" when none */
    int           cache_hit;
    collect       c;
    double        ms;
} shot;

static inline void shot_keep(shot *s, const llmgw_attempt *t, size_t n)
{
    size_t i;

    s->attempts = n;
    for (i = 0; i < n && i < 8; i++) {
        s->trail[i] = t[i];
        snprintf(s->model[i], sizeof(s->model[i]), "%s", t[i].model ? t[i].model : "");
        s->trail[i].deployment = s->trail[i].provider = s->trail[i].model = NULL;
    }
}

/* One call: streamed or not, with an optional deadline (0: the gateway's). */
static inline void peer_call(peer *p, shot *s, const char *model, const char *prompt, int stream, int64_t deadline_ms)
{
    llmgw_request *req = itest_request(model, prompt);
    llmgw_response *r = NULL;
    double t0 = itest_now_ms();

    memset(s, 0, sizeof(*s));
    collect_init(&s->c);
    if (deadline_ms > 0)
        assert_int_equal(llmgw_request_set_deadline_ms(req, deadline_ms), 0);
    if (stream) {
        llmgw_stream_sink sink = collect_sink(&s->c);
        s->rc = llmgw_complete_stream(p->t.gw, req, &sink, &r);
    } else {
        s->rc = llmgw_complete(p->t.gw, req, &r);
    }
    s->ms = itest_now_ms() - t0;
    if (s->rc == 0) {
        size_t i, n = llmgw_response_attempt_count(r);
        llmgw_attempt tmp[8];
        const char *f = llmgw_response_finish_reason(r);
        for (i = 0; i < n && i < 8; i++)
            tmp[i] = *llmgw_response_attempt(r, i);
        shot_keep(s, tmp, n);
        snprintf(s->text, sizeof(s->text), "%s", llmgw_response_text(r));
        snprintf(s->finish, sizeof(s->finish), "%s", f ? f : "");
        s->cache_hit = llmgw_response_cache_hit(r);
    } else {
        const llmgw_error *e = llmgw_error_last();
        s->err_class = e->error_class;
        s->retry_after_ms = e->retry_after_ms;
        snprintf(s->msg, sizeof(s->msg), "%s", e->message);
        shot_keep(s, e->attempts, e->attempts ? e->attempt_count : 0);
    }
    llmgw_response_free(r);
    llmgw_request_free(req);
}

static inline void peer_sleep_ms(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

    nanosleep(&ts, NULL);
}

#endif
