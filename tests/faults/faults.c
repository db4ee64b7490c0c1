/*
 * tests/faults/faults.c: the fault matrix harness (see faults.h): the fixture,
 * one case's gateway and mock lanes, the call. faults_expect.c checks it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "faults_case.h"

#define KEY_A "sk-fault-a-0123456789abcdefXYZ"
#define KEY_B "sk-fault-b-0123456789abcdefXYZ"
#define PROMPT "tell me about faults"

double fx_now_ms(void)
{
    return itest_now_ms();
}

const char *fx_mode_name(int mode)
{
    static const char *const names[FM__COUNT] = { "ns", "stream", "failover-ns", "failover-stream",
                                                  "cache-ns", "cache-stream" };
    return mode >= 0 && mode < FM__COUNT ? names[mode] : "?";
}

bool fx_utf8_valid(const char *s, size_t n)
{
    size_t i = 0;

    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        size_t k, len = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
        if (len == 0 || i + len > n || (len == 2 && c < 0xc2) || (len == 4 && c > 0xf4))
            return false;
        for (k = 1; k < len; k++)
            if (((unsigned char)s[i + k] & 0xc0) != 0x80)
                return false;
        if (len == 3 && ((c == 0xe0 && (unsigned char)s[i + 1] < 0xa0) || (c == 0xed && (unsigned char)s[i + 1] >= 0xa0)))
            return false;
        if (len == 4 && ((c == 0xf0 && (unsigned char)s[i + 1] < 0x90) || (c == 0xf4 && (unsigned char)s[i + 1] >= 0x90)))
            return false;
        i += len;
    }
    return true;
}

void fx_init(fx *f)
{
    mock_server *tmp = NULL;

    memset(f, 0, sizeof(*f));
    f->scale = getenv("LLMGW_UNDER_VALGRIND") != NULL ? 2 : 1;
    f->lim.deadline_ms = 9000;            /* under the 10 s hold of a 429 without a hint */
    f->lim.attempt_ms = 2000 * f->scale;
    f->lim.first_byte_ms = 300 * f->scale;
    f->lim.idle_ms = 300 * f->scale;
    assert_int_equal(mock_server_start(&f->srv, "127.0.0.1", 0), 0);
    /* a port that was just free: start and stop a server to learn one */
    assert_int_equal(mock_server_start(&tmp, "127.0.0.1", 0), 0);
    snprintf(f->dead_base, sizeof(f->dead_base), "http://127.0.0.1:%u/v1", mock_server_port(tmp));
    mock_server_stop(tmp);
}

void fx_done(fx *f)
{
    mock_server_stop(f->srv);
    f->srv = NULL;
}

void fx_check(fx *f, bool ok, const char *where, const char *fmt, ...)
{
    va_list ap;

    if (ok)
        return;
    f->failures++;
    fprintf(stderr, "FAIL [%s] ", where);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* ---- one case ---- */

static void on_usage(const llmgw_usage *u, void *ud)
{
    usage_seen *s = ud;

    if (atomic_fetch_add(&s->records, 1) == 0) {
        s->status = u->status;
        s->error_class = u->error_class;
        s->cache_hit = u->cache_hit;
        s->usage_known = u->usage_known;
        s->stream = u->stream;
        s->attempts = u->attempts;
        s->fallbacks = u->fallbacks;
        s->input = u->input_tokens;
        s->output = u->output_tokens;
    }
}

static void add_dep(kase *k, const char *lane, const char *model, const char *key, int order, const char *base_override)
{
    llmgw_deployment_options d;
    char base[256], full[64];

    if (base_override != NULL)
        snprintf(base, sizeof(base), "%s", base_override);
    else
        snprintf(base, sizeof(base), "%s/lane/%s/v1", mock_server_base_url(k->f->srv), lane);
    snprintf(full, sizeof(full), "openai/%s", model);
    llmgw_deployment_options_init(&d, LLMGW_DEPLOYMENT_OPTIONS_VERSION);
    d.group = "g";
    d.model = full;
    d.api_base = base;
    d.api_key = key;
    d.order = order;
    if (llmgw_gateway_add_deployment(k->gw, &d) != 0)
        fail_msg("%s: add_deployment: %s", k->where, llmgw_error_last()->message);
}

/* "@DATE+N@" in a step: an IMF-fixdate N seconds from now. */
static void expand_step(char *out, size_t size, const char *step)
{
    const char *p = strstr(step, "@DATE+");
    char date[64];
    time_t when;
    struct tm tm;

    if (p == NULL) {
        snprintf(out, size, "%s", step);
        return;
    }
    when = time(NULL) + strtol(p + 6, NULL, 10);
    gmtime_r(&when, &tm);
    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    snprintf(out, size, "%.*s%s%s", (int)(p - step), step, date, strchr(p + 6, '@') + 1);
}

static void script_lanes(kase *k)
{
    char step[1024], script[1200], err[256];
    const char *s = k->row->step;

    if (s[0] == '@')
        return;                                  /* unreachable deployment: nothing to script */
    expand_step(step, sizeof(step), s);
    if (k->group)
        snprintf(script, sizeof(script), "{\"steps\":[%s],\"then\":\"repeat_last\"}", step);
    else
        snprintf(script, sizeof(script), "[%s]", step);   /* then the default answer */
    if (mock_server_script_err(k->f->srv, k->lane_a, script, err, sizeof(err)) != 0)
        fail_msg("%s: mock script: %s", k->where, err);
}

static void start_gateway(kase *k, usage_seen *u)
{
    llmgw_gateway_options o;
    const char *bad = NULL;

    llmgw_gateway_options_init(&o, LLMGW_GATEWAY_OPTIONS_VERSION);
    o.max_attempts = MAX_ATTEMPTS;
    o.attempt_timeout_ms = k->f->lim.attempt_ms;
    o.first_byte_timeout_ms = k->f->lim.first_byte_ms;
    o.idle_timeout_ms = k->f->lim.idle_ms;
    o.connect_timeout_ms = 500 * k->f->scale;
    o.max_response_bytes = 64 * 1024;
    o.max_stream_bytes = 64 * 1024;
    o.max_headers = 50;
    o.seed = 0x5eed0000u + k->f->seq;
    o.usage_cb = on_usage;
    o.usage_userdata = u;
    o.cache_enabled = k->cache;
    if (llmgw_gateway_new(&k->gw, &o) != 0)
        fail_msg("%s: gateway_new: %s", k->where, llmgw_error_last()->message);
    if (strcmp(k->row->step, "@dead") == 0)
        bad = k->f->dead_base;
    else if (strcmp(k->row->step, "@dns") == 0)
        bad = "https://llmgw-fault-matrix.invalid/v1";
    add_dep(k, k->lane_a, "gpt-a", KEY_A, 1, bad);
    if (k->group)
        add_dep(k, k->lane_b, "gpt-b", KEY_B, 2, NULL);
}

/* Which deployment an attempt went to: the model names differ. */
static const char *dep_tag(const llmgw_attempt *a)
{
    if (a->model != NULL && strcmp(a->model, "gpt-a") == 0)
        return "a";
    if (a->model != NULL && strcmp(a->model, "gpt-b") == 0)
        return "b";
    return "?";
}

static void keep_trail(obs *o, const llmgw_attempt *t, size_t n)
{
    size_t i;

    o->nattempts = n;
    for (i = 0; i < n && i < MAX_TRAIL; i++) {
        o->trail[i] = t[i];
        snprintf(o->trail_dep[i], sizeof(o->trail_dep[i]), "%s", dep_tag(&t[i]));
        o->trail[i].deployment = o->trail[i].provider = o->trail[i].model = NULL;   /* not kept */
    }
}

/* One call as the mode says; fills *o (without the lane counts). */
void fxc_call_once(kase *k, obs *o)
{
    llmgw_request *req = NULL;
    llmgw_response *r = NULL;
    llmgw_stream_sink sink;
    double t0;

    assert_int_equal(llmgw_request_new(&req, "g"), 0);
    assert_int_equal(llmgw_request_add_message(req, LLMGW_ROLE_USER, PROMPT), 0);
    assert_int_equal(llmgw_request_set_deadline_ms(req, k->f->lim.deadline_ms), 0);
    t0 = fx_now_ms();
    if (k->stream) {
        collect_init(o->c);
        sink = collect_sink(o->c);
        o->rc = llmgw_complete_stream(k->gw, req, &sink, &r);
    } else {
        o->rc = llmgw_complete(k->gw, req, &r);
    }
    o->elapsed_ms = fx_now_ms() - t0;
    if (o->rc == 0 && r != NULL) {
        size_t i, n = llmgw_response_attempt_count(r);
        llmgw_attempt tmp[MAX_TRAIL];
        for (i = 0; i < n && i < MAX_TRAIL; i++)
            tmp[i] = *llmgw_response_attempt(r, i);
        keep_trail(o, tmp, n);
        o->text_len = llmgw_response_text_len(r);
        snprintf(o->text, sizeof(o->text), "%s", llmgw_response_text(r));
        o->cache_hit = llmgw_response_cache_hit(r);
    } else {
        const llmgw_error *e = llmgw_error_last();
        o->err_class = e->error_class;
        o->err_http = e->http_status;
        o->err_retry_after = e->retry_after_ms;
        snprintf(o->err_msg, sizeof(o->err_msg), "%s", e->message);
        keep_trail(o, e->attempts, e->attempts ? e->attempt_count : 0);
        if (r != NULL)
            fx_check(k->f, false, k->where, "a failed call returned a response");
    }
    llmgw_response_free(r);
    llmgw_request_free(req);
}

int fxc_lane_count(mock_server *srv, const char *lane)
{
    char *s = mock_server_requests(srv, lane);
    cJSON *j;
    int n;

    assert_non_null(s);
    j = cJSON_Parse(s);
    free(s);
    assert_non_null(j);
    n = cJSON_GetArraySize(j);
    cJSON_Delete(j);
    return n;
}

void fx_run_row(fx *f, const frow *row, int mode)
{
    const fexp *e;
    kase k;
    obs *o;

    memset(&k, 0, sizeof(k));
    k.f = f;
    k.row = row;
    k.mode = mode;
    k.stream = mode == FM_S || mode == FM_FO_S || mode == FM_C_S;
    k.group = mode == FM_FO_NS || mode == FM_FO_S;
    k.cache = mode == FM_C_NS || mode == FM_C_S;
    e = k.stream ? &row->s : &row->ns;
    if (e->kind == K_NA)
        return;
    f->seq++;
    f->cases++;
    snprintf(k.where, sizeof(k.where), "%s / %s", row->name, fx_mode_name(mode));
    snprintf(k.lane_a, sizeof(k.lane_a), "c%ua", f->seq);
    snprintf(k.lane_b, sizeof(k.lane_b), "c%ub", f->seq);
    o = calloc(1, sizeof(*o));
    assert_non_null(o);
    o->c = calloc(1, sizeof(*o->c));
    assert_non_null(o->c);
    script_lanes(&k);
    start_gateway(&k, &o->u);
    fxc_call_once(&k, o);
    o->lane_a = fxc_lane_count(f->srv, k.lane_a);
    o->lane_b = k.group ? fxc_lane_count(f->srv, k.lane_b) : 0;
    {
        mock_ledger la, lb;
        memset(&lb, 0, sizeof(lb));
        mock_server_ledger(f->srv, k.lane_a, &la);
        if (k.group)
            mock_server_ledger(f->srv, k.lane_b, &lb);
        o->led_in = la.prompt_tokens + lb.prompt_tokens;
        o->led_out = la.completion_tokens + lb.completion_tokens;
    }
    fxc_check_invariants(&k, o);
    if (k.group)
        fxc_check_group(&k, e, o);
    else
        fxc_check_single(&k, e, o);
    if (k.cache)
        fxc_check_cache_followup(&k, o);
    llmgw_gateway_free(k.gw);
    free(o->c);
    free(o);
}

/* ---- cache probe ---- */

int fx_cache_wired(fx *f)
{
    llmgw_gateway_options o;
    llmgw_gateway *gw = NULL;
    llmgw_deployment_options d;
    llmgw_request *req = NULL;
    llmgw_response *r = NULL;
    char base[256];
    int hit = 0, i;

    llmgw_gateway_options_init(&o, LLMGW_GATEWAY_OPTIONS_VERSION);
    o.cache_enabled = 1;
    o.max_attempts = 1;
    assert_int_equal(llmgw_gateway_new(&gw, &o), 0);
    snprintf(base, sizeof(base), "%s/lane/cacheprobe/v1", mock_server_base_url(f->srv));
    llmgw_deployment_options_init(&d, LLMGW_DEPLOYMENT_OPTIONS_VERSION);
    d.group = "g";
    d.model = "openai/gpt-probe";
    d.api_base = base;
    d.api_key = KEY_A;
    assert_int_equal(llmgw_gateway_add_deployment(gw, &d), 0);
    assert_int_equal(llmgw_request_new(&req, "g"), 0);
    assert_int_equal(llmgw_request_add_message(req, LLMGW_ROLE_USER, "probe the cache"), 0);
    for (i = 0; i < 2; i++) {
        if (llmgw_complete(gw, req, &r) == 0)
            hit = llmgw_response_cache_hit(r);
        llmgw_response_free(r);
        r = NULL;
    }
    llmgw_request_free(req);
    llmgw_gateway_free(gw);
    return hit && fxc_lane_count(f->srv, "cacheprobe") == 1;
}
