/*
 * tests/oom/oom.c: the allocation-failure driver and what scenarios share.
 */
#include "oom.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"

static char where[160];       /* the point being run, for messages */

const char *oom_where(void)
{
    return where;
}

/* ---- allocators of the libraries, routed through llmgw's wrappers (this binary only) ---- */

static void *cjson_malloc(size_t size)
{
    return llmgw__malloc(size);
}

/*
 * libyaml allocates through yaml_malloc, yaml_realloc, yaml_strdup and
 * yaml_free, exported by libyaml-0.so.2 and called through its PLT: these
 * definitions take their place in this executable (linked with
 * --export-dynamic), so the Nth failure reaches the YAML parser too.
 */
#define EXPORTED __attribute__((visibility("default")))     /* the project builds with hidden visibility */
EXPORTED void *yaml_malloc(size_t size);
EXPORTED void *yaml_realloc(void *ptr, size_t size);
EXPORTED void  yaml_free(void *ptr);
EXPORTED unsigned char *yaml_strdup(const unsigned char *str);

static unsigned long yaml_calls;

void *yaml_malloc(size_t size)
{
    yaml_calls++;
    return llmgw__malloc(size);
}

void *yaml_realloc(void *ptr, size_t size)
{
    yaml_calls++;
    return ptr ? llmgw__realloc(ptr, size) : llmgw__malloc(size);
}

void yaml_free(void *ptr)
{
    llmgw__free(ptr);
}

unsigned char *yaml_strdup(const unsigned char *str)
{
    yaml_calls++;
    return str ? (unsigned char *)llmgw__strdup((const char *)str) : NULL;
}

unsigned long oom_yaml_calls(void);
unsigned long oom_yaml_calls(void)
{
    return yaml_calls;
}

void oom_init(void)
{
    cJSON_Hooks hooks = { cjson_malloc, llmgw__free };

    cJSON_InitHooks(&hooks);
    llmgw__alloc_fail_at(0, LLMGW__ALLOC_TRANSIENT);      /* arm the counters */
}

/* ---- callbacks ---- */

void oom_usage_cb(const llmgw_usage *u, void *userdata)
{
    oom_obs *o = userdata;

    o->usage_records++;
    o->usage_input = (unsigned long)u->input_tokens;
    o->usage_output = (unsigned long)u->output_tokens;
}

static void mark(oom_obs *o)
{
    if (o->done_calls + o->error_calls > 0)
        o->after_terminal = true;
}

static int on_text(const char *text, size_t len, void *ud)
{
    oom_obs *o = ud;

    mark(o);
    o->text_calls++;
    if (o->text_len + len < sizeof(o->text)) {
        memcpy(o->text + o->text_len, text, len);
        o->text_len += len;
        o->text[o->text_len] = '\0';
    }
    return 0;
}

static int on_tool_call(const llmgw_tool_call_delta *d, void *ud)
{
    oom_obs *o = ud;

    (void)d;
    mark(o);
    o->tool_calls++;
    return 0;
}

static int on_usage(const llmgw_usage *u, void *ud)
{
    oom_obs *o = ud;

    (void)u;
    mark(o);
    o->stream_usage_calls++;
    return 0;
}

static void on_done(const llmgw_response *r, void *ud)
{
    oom_obs *o = ud;

    (void)r;
    mark(o);
    o->done_calls++;
}

static void on_error(const llmgw_error *e, void *ud)
{
    oom_obs *o = ud;

    mark(o);
    o->error_calls++;
    o->error_code = e->code;
}

llmgw_stream_sink oom_sink(oom_obs *obs)
{
    llmgw_stream_sink s;

    llmgw_stream_sink_init(&s, LLMGW_STREAM_SINK_VERSION);
    s.on_text = on_text;
    s.on_tool_call = on_tool_call;
    s.on_usage = on_usage;
    s.on_done = on_done;
    s.on_error = on_error;
    s.userdata = obs;
    return s;
}

void oom_check_stream(int rc, const oom_obs *o)
{
    if (o->done_calls + o->error_calls != 1)
        fail_msg("%s: %d on_done and %d on_error calls (rc %d): exactly one terminal callback expected",
                 where, o->done_calls, o->error_calls, rc);
    if (rc == 0 && o->done_calls != 1)
        fail_msg("%s: success without on_done", where);
    if (rc < 0 && o->error_code != rc)
        fail_msg("%s: on_error got %d, the call returned %d", where, o->error_code, rc);
    if (o->after_terminal)
        fail_msg("%s: a callback came after the terminal one", where);
    if (o->stream_usage_calls > 1)
        fail_msg("%s: on_usage called %d times", where, o->stream_usage_calls);
}

void oom_check_usage(int rc, const oom_obs *o)
{
    if (o->usage_records > 1)
        fail_msg("%s: %d usage records for one request (rc %d)", where, o->usage_records, rc);
    if (rc == 0 && o->usage_records != 1)
        fail_msg("%s: success with %d usage records", where, o->usage_records);
}

/* ---- the driver ---- */

typedef struct point {
    const oom_scenario *s;
    unsigned long       n;
    int                 mode;
} point;

static const char *mode_str(int mode)
{
    return mode == LLMGW__ALLOC_PERSISTENT ? "persistent" : "transient";
}

static void check_status(const point *p, const char *what, int rc)
{
    if (rc == 0 || rc == LLMGW_ENOMEM || (p->s->also_allowed != 0 && rc == p->s->also_allowed))
        return;
    fail_msg("%s: %s returned %d (%s: %s) with allocation %lu failing (%s); expected 0 or LLMGW_ENOMEM",
             p->s->name, what, rc, llmgw_status_str(rc), llmgw_error_last()->message, p->n, mode_str(p->mode));
}

/* One run with allocation n failing (n 0: none); returns the allocations setup + call made. */
static unsigned long run_point(const point *p)
{
    const oom_scenario *s = p->s;
    void *ctx = calloc(1, s->ctx_size);
    long live0 = llmgw__alloc_live();
    unsigned long count;
    oom_obs obs;
    int rc = 0, rc_setup;

    assert_non_null(ctx);
    snprintf(where, sizeof(where), "%s: allocation %lu failing (%s)", s->name, p->n, mode_str(p->mode));
    memset(&obs, 0, sizeof(obs));
    llmgw__alloc_fail_at(p->n, p->mode);
    rc_setup = s->setup(ctx, &obs);
    if (rc_setup == 0)
        rc = s->call(ctx, &obs);
    count = llmgw__alloc_fail_at(0, LLMGW__ALLOC_TRANSIENT);
    check_status(p, "setup", rc_setup);
    if (rc_setup == 0) {
        check_status(p, "the call", rc);
        if (rc < 0 && llmgw_error_last()->code != rc)
            fail_msg("%s: the call returned %d, llmgw_error_last() says %d (n %lu, %s)", s->name, rc,
                     llmgw_error_last()->code, p->n, mode_str(p->mode));
        s->check(ctx, rc, &obs);
        memset(&obs, 0, sizeof(obs));
        snprintf(where, sizeof(where), "%s: the call after allocation %lu failed (%s)", s->name, p->n,
                 mode_str(p->mode));
        rc = s->call(ctx, &obs);            /* a clean next call on the same objects */
        if (rc != 0)
            fail_msg("%s: the call after allocation %lu failed (%s) returned %d: %s", s->name, p->n,
                     mode_str(p->mode), rc, llmgw_error_last()->message);
        s->check(ctx, rc, &obs);
        s->teardown(ctx);
    }
    if (llmgw__alloc_live() != live0)
        fail_msg("%s: %ld allocations leaked with allocation %lu failing (%s); LLMGW_OOM_ONLY=%s:%lu:%c "
                 "under valgrind shows where", s->name, llmgw__alloc_live() - live0, p->n, mode_str(p->mode),
                 s->name, p->n, p->mode == LLMGW__ALLOC_PERSISTENT ? 'p' : 't');
    free(ctx);
    return count;
}

void oom_run(const oom_scenario *s)
{
    const char *sample = getenv("LLMGW_OOM_SAMPLE"), *only = getenv("LLMGW_OOM_ONLY");
    unsigned long k, n, i, points, failed_runs = 0;
    uint64_t x = 0x2545F4914F6CDD1DULL;
    point p = { s, 0, LLMGW__ALLOC_TRANSIENT };
    int mode;

    k = run_point(&p);                      /* count, and check the scenario passes at all */
    assert_true(k > 0);
    if (only != NULL) {                     /* LLMGW_OOM_ONLY=name:n:mode, to debug one point */
        char name[64];
        unsigned long n1;
        char m;
        if (sscanf(only, "%63[^:]:%lu:%c", name, &n1, &m) == 3 && strcmp(name, s->name) == 0) {
            p.n = n1;
            p.mode = m == 'p' ? LLMGW__ALLOC_PERSISTENT : LLMGW__ALLOC_TRANSIENT;
            run_point(&p);
        }
        return;
    }
    points = sample ? strtoul(sample, NULL, 10) : 0;
    for (mode = LLMGW__ALLOC_TRANSIENT; mode <= LLMGW__ALLOC_PERSISTENT; mode++) {
        p.mode = mode;
        for (i = 1; i <= (points && points < k ? points : k); i++) {
            if (points && points < k) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                n = 1 + x % k;
            } else {
                n = i;
            }
            p.n = n;
            if (run_point(&p) >= n)
                failed_runs++;
        }
    }
    print_message("%s: %lu allocations per run, %lu failure points x 2 modes, %lu runs reached the failure\n",
                  s->name, k, points && points < k ? points : k, failed_runs);
}
