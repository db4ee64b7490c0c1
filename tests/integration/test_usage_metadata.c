/*
 * Integration: the caller's metadata (llmgw_request_set_metadata()) reaches
 * the usage record (metadata_json, record version 2), its JSON rendering
 * and the usage hook; a request without metadata has null.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "itest.h"

static char seen_json[4096];

static void on_usage(const llmgw_usage *u, void *userdata)
{
    (void)userdata;
    snprintf(seen_json, sizeof(seen_json), "%s", u->version >= 2 && u->metadata_json ? u->metadata_json : "(null)");
}

static void test_metadata_in_the_record(void **state)
{
    itest t;
    llmgw_gateway_options o;
    llmgw_request *req;
    llmgw_response *r = NULL;
    llmgw_buf json = LLMGW_BUF_INIT;
    cJSON *rec, *md;

    (void)state;
    llmgw_gateway_options_init(&o, LLMGW_GATEWAY_OPTIONS_VERSION);
    o.usage_cb = on_usage;
    itest_start(&t, &o);
    itest_add(&t, "g", "ok", "gpt-ok");
    req = itest_request("g", "hello");
    assert_int_equal(llmgw_request_set_metadata(req, "feature", "search"), 0);
    assert_int_equal(llmgw_request_set_metadata(req, "env", "prod"), 0);
    assert_int_equal(llmgw_complete(t.gw, req, &r), 0);
    assert_int_equal(llmgw_response_usage(r)->version, LLMGW_USAGE_VERSION);
    assert_string_equal(llmgw_response_usage(r)->metadata_json, "{\"feature\":\"search\",\"env\":\"prod\"}");
    assert_string_equal(seen_json, "{\"feature\":\"search\",\"env\":\"prod\"}");
    assert_int_equal(llmgw_usage_to_json(&json, llmgw_response_usage(r)), 0);
    rec = cJSON_Parse(json.ptr);
    md = cJSON_GetObjectItemCaseSensitive(rec, "metadata");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(md, "feature")->valuestring, "search");
    cJSON_Delete(rec);
    llmgw_buf_dispose(&json);
    llmgw_response_free(r);
    llmgw_request_free(req);
    /* none: null */
    assert_int_equal(itest_complete(&t, "g", "hi", &r), 0);
    assert_null(llmgw_response_usage(r)->metadata_json);
    assert_string_equal(seen_json, "(null)");
    llmgw_response_free(r);
    itest_stop(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_metadata_in_the_record),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
