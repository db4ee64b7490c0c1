/*
 * tests/oom/test_oom_cache.c: allocation failures along the response cache
 * path (lib/core/cache_step.c, lib/cache/): with the in-memory cache on, one
 * call makes two identical requests, the first a miss that stores the
 * answer, the second normally a hit (non-stream and stream). A failure in
 * the cache may only turn a hit into a miss: each request still returns 0
 * or LLMGW_ENOMEM, with one usage record on success, and a successful
 * answer is the right one whether it came from the cache or not.
 */
#include "scenarios.h"

#define HELLO "{\"model\":\"g\",\"messages\":[{\"role\":\"user\",\"content\":\"hello there\"}]}"

typedef struct cache_ctx {
    oom_gw gw;              /* first: the oom_gw helpers take the context as an oom_gw */
    bool   stream;
    int    rc[2];
    int    usage[2];        /* usage records of each request */
    int    terminal[2];     /* stream: terminal callbacks of each request */
    bool   text_ok[2];
    bool   after[2];        /* stream: a callback after the terminal one */
    int    hits;
} cache_ctx;

static int setup(void *ctx, oom_obs *obs)
{
    static const oom_dep deps[] = { { "a", "g", 0, NULL } };

    return oom_gw_setup_opts(ctx, obs, deps, 1, NULL, NULL, HELLO, true);
}

static int call(void *ctx, oom_obs *obs)
{
    cache_ctx *c = ctx;
    int i, before_usage, before_terminal;

    memset(c->rc, 0, sizeof(c->rc));
    memset(c->usage, 0, sizeof(c->usage));
    memset(c->terminal, 0, sizeof(c->terminal));
    memset(c->text_ok, 0, sizeof(c->text_ok));
    memset(c->after, 0, sizeof(c->after));
    c->hits = 0;
    for (i = 0; i < 2; i++) {
        before_usage = obs->usage_records;
        obs->done_calls = obs->error_calls = 0;     /* each request is checked on its own */
        obs->after_terminal = false;
        before_terminal = 0;
        obs->text_len = 0;
        obs->text[0] = '\0';
        c->rc[i] = c->stream ? oom_gw_stream(ctx, obs) : oom_gw_complete(ctx, obs);
        c->usage[i] = obs->usage_records - before_usage;
        c->terminal[i] = obs->done_calls + obs->error_calls - before_terminal;
        c->after[i] = obs->after_terminal;
        if (c->rc[i] == 0) {
            c->text_ok[i] = strcmp(llmgw_response_text(c->gw.resp), MOCK_TEXT) == 0 &&
                            (!c->stream || strcmp(obs->text, MOCK_TEXT) == 0);
            c->hits += llmgw_response_cache_hit(c->gw.resp) != 0;
        }
        if (c->rc[i] < 0)
            return c->rc[i];
    }
    return 0;
}

static void check(void *ctx, int rc, const oom_obs *obs)
{
    cache_ctx *c = ctx;
    int i;

    (void)rc;
    (void)obs;
    for (i = 0; i < (c->rc[0] == 0 ? 2 : 1); i++) {       /* the second request only follows a success */
        OOM_CHECK(c->rc[i] == 0 || c->rc[i] == LLMGW_ENOMEM);
        OOM_CHECK(c->usage[i] <= 1 && (c->rc[i] != 0 || c->usage[i] == 1));
        OOM_CHECK(c->rc[i] != 0 || c->text_ok[i]);
        if (c->stream)
            OOM_CHECK(c->terminal[i] == 1 && !c->after[i]);
    }
}

static void teardown(void *ctx)
{
    oom_gw_teardown(ctx);
}

static void test_cache(void **state)
{
    static const oom_scenario s = { "complete_cache", sizeof(cache_ctx), setup, call, check, teardown, 0 };

    (void)state;
    oom_run(&s);
}

static int setup_stream(void *ctx, oom_obs *obs)
{
    ((cache_ctx *)ctx)->stream = true;
    return setup(ctx, obs);
}

static void test_cache_stream(void **state)
{
    static const oom_scenario s = { "stream_cache", sizeof(cache_ctx), setup_stream, call, check, teardown, 0 };

    (void)state;
    oom_run(&s);
}

/* Without any failure the second request is a hit: the scenario does reach the cache. */
static void test_cache_hits(void **state)
{
    cache_ctx c;
    oom_obs obs;

    (void)state;
    memset(&c, 0, sizeof(c));
    memset(&obs, 0, sizeof(obs));
    assert_int_equal(setup(&c, &obs), 0);
    assert_int_equal(call(&c, &obs), 0);
    assert_int_equal(c.hits, 1);
    teardown(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cache_hits),
        cmocka_unit_test(test_cache),
        cmocka_unit_test(test_cache_stream),
    };

    oom_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
