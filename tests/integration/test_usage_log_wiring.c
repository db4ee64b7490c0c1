/*
 * Integration: the gateway writes every usage record to the usage log named
 * by $LLMGW_USAGE_LOG (a gateway made in code) or by llmgw_settings.log.path
 * (a config file), one JSON line per logical request, flushed when the
 * gateway is freed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "itest.h"

static int count_lines(const char *path, const char *must_contain)
{
    FILE *f = fopen(path, "r");
    char line[65536];
    int n = 0;

    assert_non_null(f);
    while (fgets(line, sizeof(line), f) != NULL) {
        cJSON *j = cJSON_Parse(line);
        assert_non_null(j);                 /* whole lines only */
        assert_non_null(strstr(line, must_contain));
        assert_null(strstr(line, TEST_KEY));
        cJSON_Delete(j);
        n++;
    }
    fclose(f);
    return n;
}

static void test_env_log(void **state)
{
    char path[] = "/tmp/llmgw-ulog-XXXXXX";
    int fd = mkstemp(path);
    itest t;
    llmgw_response *r = NULL;

    (void)state;
    assert_true(fd >= 0);
    close(fd);
    setenv("LLMGW_USAGE_LOG", path, 1);
    itest_start(&t, NULL);
    unsetenv("LLMGW_USAGE_LOG");
    itest_add(&t, "g", "a", "gpt-test");
    for (int i = 0; i < 3; i++) {
        assert_int_equal(itest_complete(&t, "g", "log me", &r), 0);
        llmgw_response_free(r);
    }
    itest_script(&t, "a", "[{\"status\":400}]");
    assert_int_not_equal(itest_complete(&t, "g", "log me too", &r), 0);
    itest_stop(&t);                             /* flushes */
    assert_int_equal(count_lines(path, "\"group\":\"g\""), 4);
    unlink(path);
}

static void test_config_log(void **state)
{
    char path[] = "/tmp/llmgw-ulog-XXXXXX", cfg[1024];
    int fd = mkstemp(path);
    mock_server *srv = NULL;
    llmgw_gateway *gw = NULL;
    llmgw_request *q;
    llmgw_response *r = NULL;

    (void)state;
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(mock_server_start(&srv, "127.0.0.1", 0), 0);
    snprintf(cfg, sizeof(cfg),
             "{\"model_list\":[{\"model_name\":\"g\",\"litellm_params\":{\"model\":\"openai/gpt-test\","
             "\"api_base\":\"%s/lane/a/v1\",\"api_key\":\"%s\"}}],"
             "\"llmgw_settings\":{\"log\":{\"path\":\"%s\"}}}",
             mock_server_base_url(srv), TEST_KEY, path);
    assert_int_equal(llmgw_gateway_open_buffer(&gw, cfg, strlen(cfg), "json", NULL), 0);
    q = itest_request("g", "from a config");
    assert_int_equal(llmgw_complete(gw, q, &r), 0);
    llmgw_response_free(r);
    assert_int_equal(llmgw_complete(gw, q, &r), 0);
    llmgw_response_free(r);
    llmgw_request_free(q);
    llmgw_gateway_free(gw);
    mock_server_stop(srv);
    assert_int_equal(count_lines(path, "\"model_requested\":\"g\""), 2);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_env_log),
        cmocka_unit_test(test_config_log),
    };
    unsetenv("LLMGW_USAGE_LOG");
    unsetenv("LLMGW_LOG");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
