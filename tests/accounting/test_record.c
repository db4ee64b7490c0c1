/*
 * tests/accounting/test_record.c: the usage record carries the caller's
 * metadata (version 2): copied as a JSON object of strings, rendered under
 * "metadata" by llmgw_usage_to_json(), null when there is none, and never
 * read from a record that declares an older version or holds anything but
 * an object of strings.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "core/common.h"
#include "accounting/record.h"

static cJSON *render(const llmgw_usage *u)
{
    llmgw_buf b = LLMGW_BUF_INIT;
    cJSON *o;

    assert_int_equal(llmgw_usage_to_json(&b, u), 0);
    o = cJSON_Parse(b.ptr);
    assert_non_null(o);
    llmgw_buf_dispose(&b);
    return o;
}

static void test_metadata_copied_and_rendered(void **state)
{
    llmgw__record rec;
    cJSON *md = cJSON_CreateObject(), *o, *m;

    (void)state;
    assert_non_null(md);
    cJSON_AddStringToObject(md, "team", "search");
    cJSON_AddStringToObject(md, "env", "prod \"eu\"");
    llmgw__record_init(&rec);
    assert_int_equal(rec.u.version, 2);
    assert_int_equal(llmgw__record_metadata(&rec, md), 0);
    cJSON_Delete(md);                                  /* the record holds its own copy */
    assert_string_equal(rec.u.metadata_json, "{\"team\":\"search\",\"env\":\"prod \\\"eu\\\"\"}");
    o = render(&rec.u);
    m = cJSON_GetObjectItemCaseSensitive(o, "metadata");
    assert_true(cJSON_IsObject(m));
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(m, "team")->valuestring, "search");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(m, "env")->valuestring, "prod \"eu\"");
    assert_int_equal(cJSON_GetArraySize(m), 2);
    cJSON_Delete(o);
    llmgw__record_dispose(&rec);
}

static void test_no_metadata_is_null(void **state)
{
    llmgw__record rec;
    cJSON *empty = cJSON_CreateObject(), *o;

    (void)state;
    llmgw__record_init(&rec);
    assert_int_equal(llmgw__record_metadata(&rec, NULL), 0);
    assert_null(rec.u.metadata_json);
    assert_int_equal(llmgw__record_metadata(&rec, empty), 0);
    assert_null(rec.u.metadata_json);
    o = render(&rec.u);
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(o, "metadata")));
    cJSON_Delete(o);
    cJSON_Delete(empty);
    llmgw__record_dispose(&rec);
}

static void test_untrusted_metadata_left_out(void **state)
{
    static const char *const bad[] = { "[1,2]", "{\"n\":1}", "{\"a\":{\"b\":\"c\"}}", "{not json", "\"s\"" };
    llmgw_usage u;
    cJSON *o;
    size_t i;

    (void)state;
    memset(&u, 0, sizeof(u));
    u.operation = "chat";
    u.ttft_us = -1;
    /* a version-1 record has no such field: never read, whatever it holds */
    u.version = 1;
    u.metadata_json = "{\"team\":\"search\"}";
    o = render(&u);
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(o, "metadata")));
    cJSON_Delete(o);
    u.version = LLMGW_USAGE_VERSION;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        u.metadata_json = bad[i];
        o = render(&u);
        assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(o, "metadata")));
        cJSON_Delete(o);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_metadata_copied_and_rendered),
        cmocka_unit_test(test_no_metadata_is_null),
        cmocka_unit_test(test_untrusted_metadata_left_out),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
