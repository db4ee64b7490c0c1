/*
 * tests/security/capture.h: everything llmgw hands back to its host during a
 * run, appended to one buffer: error messages, log lines, usage records as
 * JSON, stream events, metrics, cache entries (through a capturing cache
 * backend), response JSON. A secret must appear nowhere in it: neither whole
 * nor any 8-byte piece of it beyond its public shape prefix ("sk-ant-").
 * Header-only (static inline).
 */
#ifndef LLMGW_TESTS_CAPTURE_H
#define LLMGW_TESTS_CAPTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <llmgw/llmgw.h>
#include <llmgw/sys/cache.h>

typedef struct capture {
    pthread_mutex_t mu;
    char           *buf;
    size_t          len, cap;
    unsigned        usage_records, cache_puts, log_lines;
} capture;

static inline void cap_init(capture *c)
{
    memset(c, 0, sizeof(*c));
    pthread_mutex_init(&c->mu, NULL);
}

static inline void cap_free(capture *c)
{
    free(c->buf);
    pthread_mutex_destroy(&c->mu);
}

/* Append a labelled record (bytes may be binary). */
static inline void cap_add(capture *c, const char *label, const void *p, size_t n)
{
    size_t need, ln = strlen(label);

    pthread_mutex_lock(&c->mu);
    need = c->len + ln + n + 3;
    if (need > c->cap) {
        size_t cap = c->cap ? c->cap : 1 << 16;
        while (cap < need)
            cap *= 2;
        c->buf = realloc(c->buf, cap);
        assert_non_null(c->buf);
        c->cap = cap;
    }
    memcpy(c->buf + c->len, label, ln);
    c->len += ln;
    c->buf[c->len++] = '\t';
    if (n)
        memcpy(c->buf + c->len, p, n);
    c->len += n;
    c->buf[c->len++] = '\n';
    c->buf[c->len] = '\0';
    pthread_mutex_unlock(&c->mu);
}

static inline void cap_str(capture *c, const char *label, const char *s)
{
    cap_add(c, label, s ? s : "(null)", s ? strlen(s) : 6);
}

/* ---- hooks ---- */

static inline void cap_on_log(int level, const char *msg, void *ud)
{
    capture *c = ud;

    (void)level;
    __atomic_add_fetch(&c->log_lines, 1, __ATOMIC_SEQ_CST);
    cap_str(c, "log", msg);
}

static inline void cap_usage_json(capture *c, const char *label, const llmgw_usage *u)
{
    llmgw_buf b = LLMGW_BUF_INIT;

    assert_int_equal(llmgw_usage_to_json(&b, u), 0);
    cap_add(c, label, b.ptr, b.size);
    llmgw_buf_dispose(&b);
}

static inline void cap_on_usage(const llmgw_usage *u, void *ud)
{
    capture *c = ud;

    __atomic_add_fetch(&c->usage_records, 1, __ATOMIC_SEQ_CST);
    cap_usage_json(c, "usage", u);
}

/* Stream sinks: every event into the capture. */
static inline int cap_on_text(const char *t, size_t n, void *ud) { cap_add(ud, "text", t, n); return 0; }
static inline int cap_on_reasoning(const char *t, size_t n, void *ud) { cap_add(ud, "reasoning", t, n); return 0; }
static inline int cap_on_tool(const llmgw_tool_call_delta *d, void *ud)
{
    cap_str(ud, "tool.id", d->id);
    cap_str(ud, "tool.name", d->name);
    cap_add(ud, "tool.args", d->arguments, d->arguments_len);
    return 0;
}
static inline int cap_on_stream_usage(const llmgw_usage *u, void *ud) { cap_usage_json(ud, "stream.usage", u); return 0; }
static inline void cap_on_done(const llmgw_response *r, void *ud)
{
    llmgw_buf b = LLMGW_BUF_INIT;

    if (llmgw_response_to_json(&b, r) == 0)
        cap_add(ud, "stream.done", b.ptr, b.size);
    llmgw_buf_dispose(&b);
}
static inline void cap_on_error(const llmgw_error *e, void *ud)
{
    cap_str(ud, "stream.error", e->message);
    cap_str(ud, "stream.error.provider", e->provider);
}

static inline llmgw_stream_sink cap_sink(capture *c)
{
    llmgw_stream_sink s;

    llmgw_stream_sink_init(&s, LLMGW_STREAM_SINK_VERSION);
    s.on_text = cap_on_text;
    s.on_reasoning = cap_on_reasoning;
    s.on_tool_call = cap_on_tool;
    s.on_usage = cap_on_stream_usage;
    s.on_done = cap_on_done;
    s.on_error = cap_on_error;
    s.userdata = c;
    return s;
}

/* The last error, whole. */
static inline void cap_error(capture *c)
{
    const llmgw_error *e = llmgw_error_last();
    size_t i;

    cap_str(c, "error", e->message);
    cap_str(c, "error.provider", e->provider);
    for (i = 0; i < e->attempt_count && e->attempts; i++) {
        cap_str(c, "error.attempt.deployment", e->attempts[i].deployment);
        cap_str(c, "error.attempt.model", e->attempts[i].model);
    }
    {   /* and as the bindings see it */
        llmgw_buf b = LLMGW_BUF_INIT;
        if (llmgw_error_to_json(&b, e) == 0)
            cap_add(c, "error.json", b.ptr, b.size);
        llmgw_buf_dispose(&b);
    }
}

/* The gateway's introspection: its description and the models it can price (LiteLLM #5762). */
static inline void cap_introspection(capture *c, llmgw_gateway *gw)
{
    llmgw_buf b = LLMGW_BUF_INIT;

    assert_int_equal(llmgw_gateway_describe(&b, gw), 0);
    assert_true(b.size > 0);
    cap_add(c, "describe", b.ptr, b.size);
    llmgw_buf_dispose(&b);
    assert_int_equal(llmgw_gateway_models_json(&b, gw), 0);
    cap_add(c, "models", b.ptr, b.size);
    llmgw_buf_dispose(&b);
}

/* ---- a cache backend that keeps nothing and records every key and value ---- */

static inline int capbk_get(llmgw_buf *out, void *self, const char *key)
{
    (void)out;
    cap_str(self, "cache.get.key", key);
    return LLMGW_ENOTFOUND;
}

static inline int capbk_put(void *self, const char *key, const void *value, size_t len, int64_t ttl_ms)
{
    capture *c = self;

    (void)ttl_ms;
    __atomic_add_fetch(&c->cache_puts, 1, __ATOMIC_SEQ_CST);
    cap_str(c, "cache.put.key", key);
    cap_add(c, "cache.put.value", value, len);
    return 0;
}

static inline int capbk_remove(void *self, const char *key)
{
    cap_str(self, "cache.remove.key", key);
    return 0;
}

static const llmgw_cache_backend_vtable capbk_vtable = {
    .version = LLMGW_CACHE_BACKEND_VERSION, .name = "capture", .get = capbk_get, .put = capbk_put,
    .remove = capbk_remove, .stats = NULL, .destroy = NULL,
};

/* Metrics of the gateway, both renderings. */
static inline void cap_metrics(capture *c, llmgw_gateway *gw)
{
    llmgw_metrics *m = NULL;
    llmgw_buf b = LLMGW_BUF_INIT;

    assert_int_equal(llmgw_metrics_get(&m, gw), 0);
    assert_int_equal(llmgw_metrics_to_prometheus(&b, m), 0);
    cap_add(c, "metrics.prometheus", b.ptr, b.size);
    llmgw_buf_dispose(&b);
    assert_int_equal(llmgw_metrics_to_json(&b, m), 0);
    cap_add(c, "metrics.json", b.ptr, b.size);
    llmgw_buf_dispose(&b);
    llmgw_metrics_free(m);
}

/*
 * Fail when the secret, or any 8 bytes of it that reach past its public
 * prefix, appears in the capture. The message names the label of the record
 * and shows the match masked.
 */
static inline void cap_expect_absent_w(const capture *c, const char *what, const char *secret, size_t public_prefix,
                                       size_t w)
{
    size_t n = strlen(secret), i;

    for (i = 0; i + w <= n; i++) {
        const char *hit;
        if (i + w <= public_prefix)
            continue;
        hit = memmem(c->buf, c->len, secret + i, w);
        if (hit != NULL) {
            const char *line = hit;
            char label[48];
            size_t k = 0;
            while (line > c->buf && line[-1] != '\n')
                line--;
            while (k + 1 < sizeof(label) && line[k] != '\t' && line + k < hit)
                label[k] = line[k], k++;
            label[k] = '\0';
            if (getenv("LLMGW_TEST_SHOW_LEAK") != NULL)
                fprintf(stderr, "%.*s\n", (int)(strchr(hit, '\n') ? strchr(hit, '\n') - line : 200), line);
            fail_msg("%s: %zu bytes of the secret (offset %zu) appear in '%s' output", what, w, i, label);
        }
    }
}

static inline void cap_expect_absent(const capture *c, const char *what, const char *secret, size_t public_prefix)
{
    cap_expect_absent_w(c, what, secret, public_prefix, 8);
}

#endif
