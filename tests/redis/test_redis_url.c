/*
 * tests/redis/test_redis_url.c: Redis URLs and the public Redis options,
 * which need no server.
 */
#include "rfx.h"

static llmgw_redis_stats stats(llmgw_gateway *gw)
{
    llmgw_redis_stats st;

    assert_int_equal(llmgw_gateway_redis_stats(gw, &st), 0);
    return st;
}

/* ---- URLs ---- */

static void test_urls(void **state)
{
    llmgw__redis_target t;

    (void)state;
    memset(&t, 0, sizeof(t));
    assert_int_equal(llmgw__redis_url_parse(&t, "redis://user:p%40ss@cache.internal:6380/3"), 0);
    assert_string_equal(t.host, "cache.internal");
    assert_int_equal(t.port, 6380);
    assert_int_equal(t.db, 3);
    assert_string_equal(t.username, "user");
    assert_string_equal(t.password, "p@ss");
    assert_false(t.tls);
    llmgw__redis_target_dispose(&t);

    assert_int_equal(llmgw__redis_url_parse(&t, "redis://:onlypass@[::1]"), 0);
    assert_string_equal(t.host, "::1");
    assert_null(t.username);
    assert_string_equal(t.password, "onlypass");
    llmgw__redis_target_dispose(&t);

    assert_int_equal(llmgw__redis_url_parse(&t, "unix://:pw@/run/redis/redis.sock?db=4"), 0);
    assert_string_equal(t.unix_path, "/run/redis/redis.sock");
    assert_null(t.host);
    assert_int_equal(t.db, 4);
    assert_string_equal(t.password, "pw");
    llmgw__redis_target_dispose(&t);

    assert_int_equal(llmgw__redis_url_parse(&t, "rediss://h:1"), 0);
    assert_true(t.tls);
    llmgw__redis_target_dispose(&t);

    /* errors never repeat the URL (it may hold a password) */
    assert_int_equal(llmgw__redis_url_parse(&t, "redis://u:SECRETPW@host:99999"), LLMGW_EINVAL);
    assert_null(strstr(llmgw_error_last()->message, "SECRETPW"));
    llmgw__redis_target_dispose(&t);
    assert_int_equal(llmgw__redis_url_parse(&t, "http://host"), LLMGW_EINVAL);
    assert_int_equal(llmgw__redis_url_parse(&t, "redis://u:SECRET%zz@h"), LLMGW_EINVAL);
    assert_null(strstr(llmgw_error_last()->message, "SECRET"));
    llmgw__redis_target_dispose(&t);
    assert_int_equal(llmgw__redis_url_parse(&t, "redis://h/notanumber"), LLMGW_EINVAL);
    llmgw__redis_target_dispose(&t);
    assert_int_equal(llmgw__redis_url_parse(&t, "unix://relative/path"), LLMGW_EINVAL);
    llmgw__redis_target_dispose(&t);
    assert_int_equal(llmgw__redis_url_parse(&t, "redis://h:1?foo=bar"), LLMGW_EINVAL);
    llmgw__redis_target_dispose(&t);
}

static void test_public_api(void **state)
{
    llmgw_redis_options o;
    llmgw_gateway *gw = NULL;
    llmgw_redis_stats st;

    (void)state;
    assert_int_equal(llmgw_gateway_new(&gw, NULL), 0);
    st = stats(gw);
    assert_int_equal(st.state, LLMGW_REDIS_OFF);
    assert_int_equal(llmgw_redis_options_init(&o, 99), LLMGW_EVERSION);
    assert_int_equal(llmgw_redis_options_init(&o, LLMGW_REDIS_OPTIONS_VERSION), 0);
    assert_int_equal(llmgw_gateway_set_redis(gw, &o), LLMGW_EINVAL);           /* no url, no host */
    o.url = "rediss://u:pw@127.0.0.1:1";
    assert_int_equal(llmgw_gateway_set_redis(gw, &o), LLMGW_EUNSUPPORTED);     /* no TLS in hiredis 0.14 */
    assert_null(strstr(llmgw_error_last()->message, "pw@"));
    o.url = NULL;
    o.host = "127.0.0.1";
    o.port = 6379;
    o.key_prefix = "bad\nprefix";
    assert_int_equal(llmgw_gateway_set_redis(gw, &o), LLMGW_EINVAL);
    o.key_prefix = NULL;
    /* nothing connects yet: setting it succeeds whatever the state of Redis */
    assert_int_equal(llmgw_gateway_set_redis(gw, &o), 0);
    st = stats(gw);
    assert_int_equal(st.state, LLMGW_REDIS_UP);
    assert_int_equal(st.connects, 0);
    assert_int_equal(llmgw_gateway_set_redis(gw, NULL), 0);
    assert_int_equal(stats(gw).state, LLMGW_REDIS_OFF);
    llmgw_gateway_free(gw);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_urls),
        cmocka_unit_test(test_public_api),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
