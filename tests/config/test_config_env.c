/*
 * tests/config/test_config_env.c: os.environ/NAME and ${NAME} references;
 * a missing variable names the path and the variable; a resolved value
 * never reaches a log line or an error message (checked with a sentinel
 * through a log hook at DEBUG level).
 */
#include "cfg_test.h"

#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#define SENTINEL "s3ntinel-VALUE-7f3a9c"

/* No captured line and not the last error hold the sentinel. */
static void assert_never_shown(const cfg_log *log)
{
    size_t i;

    for (i = 0; i < log->n; i++)
        if (strstr(log->lines[i], SENTINEL) != NULL || strstr(log->lines[i], "s3ntinel") != NULL)
            fail_msg("log line leaks the secret: %s", log->lines[i]);
    if (strstr(llmgw_error_last()->message, "s3ntinel") != NULL)
        fail_msg("error leaks the secret: %s", llmgw_error_last()->message);
}

static int setup(void **state)
{
    (void)state;
    setenv("LLMGW_T_KEY", SENTINEL, 1);
    setenv("LLMGW_T_PORT", "4010", 1);
    setenv("LLMGW_T_HOST", "127.0.0.1", 1);
    setenv("LLMGW_T_EMPTY", "", 1);
    setenv("LLMGW_T_WORD", SENTINEL "-not-a-number", 1);
    setenv("LLMGW_T_TRUE", "True", 1);
    unsetenv("LLMGW_T_MISSING");
    return 0;
}

static void test_both_syntaxes(void **state)
{
    static const char text[] =
        "{\"model_list\": [{\"model_name\": \"a\", \"litellm_params\": {\"model\": \"openai/gpt-4o\","
        " \"api_key\": \"os.environ/LLMGW_T_KEY\", \"api_base\": \"http://${LLMGW_T_HOST}:${LLMGW_T_PORT}/v1\","
        " \"organization\": \"org-$${literal}-$5\", \"mock_response\": \"os.environ/LLMGW_T_KEY\","
        " \"rpm\": \"os.environ/LLMGW_T_PORT\", \"unknown_param\": \"${LLMGW_T_KEY}\"},"
        " \"model_info\": {\"id\": \"d1\"}}],"
        " \"router_settings\": {\"redis_host\": \"${LLMGW_T_HOST}\", \"redis_port\": \"os.environ/LLMGW_T_PORT\","
        " \"redis_password\": \"os.environ/LLMGW_T_KEY\", \"disable_cooldowns\": \"os.environ/LLMGW_T_TRUE\"}}";
    llmgw_gateway *gw = NULL;
    cfg_log log = { 0 };
    llmgw_gateway_options o = cfg_opts(&log, LLMGW_LOG_DEBUG);
    const llmgw__deployment *d;

    (void)state;
    if (cfg_load(&gw, text, "json", &o) != 0)
        fail_msg("%s", llmgw_error_last()->message);
    d = cfg_dep(gw, "d1");
    assert_non_null(d);
    assert_string_equal(d->api_key, SENTINEL);
    assert_string_equal(d->api_base, "http://127.0.0.1:4010/v1");
    assert_string_equal(d->organization, "org-${literal}-$5");
    assert_int_equal(d->rpm, 4010);
    assert_string_equal(cJSON_GetObjectItem(d->params, "mock_response")->valuestring, SENTINEL);
    assert_string_equal(cJSON_GetObjectItem(d->params, "unknown_param")->valuestring, SENTINEL);
    assert_string_equal(gw->settings->redis.host, "127.0.0.1");
    assert_int_equal(gw->settings->redis.port, 4010);
    assert_string_equal(gw->settings->redis.password, SENTINEL);
    assert_int_equal(gw->opts.breaker_disabled, 1);
    /* the unknown param was warned about by name, never by value */
    assert_non_null(cfg_log_find(&log, LLMGW_LOG_WARN, "model_list[0].litellm_params.unknown_param: unknown key"));
    assert_never_shown(&log);
    llmgw_gateway_free(gw);
    cfg_log_clear(&log);
}

static void test_yaml_references(void **state)
{
    static const char text[] =
        "model_list:\n"
        "  - model_name: a\n"
        "    litellm_params:\n"
        "      model: openai/gpt-4o\n"
        "      api_key: os.environ/LLMGW_T_KEY\n"
        "      api_base: http://${LLMGW_T_HOST}:${LLMGW_T_PORT}\n"
        "    model_info: { id: d1 }\n";
    llmgw_gateway *gw = NULL;
    cfg_log log = { 0 };
    llmgw_gateway_options o = cfg_opts(&log, LLMGW_LOG_DEBUG);

    (void)state;
    CFG_SKIP_WITHOUT_YAML();
    if (cfg_load(&gw, text, "yaml", &o) != 0)
        fail_msg("%s", llmgw_error_last()->message);
    assert_string_equal(cfg_dep(gw, "d1")->api_key, SENTINEL);
    assert_string_equal(cfg_dep(gw, "d1")->api_base, "http://127.0.0.1:4010");
    assert_never_shown(&log);
    llmgw_gateway_free(gw);
    cfg_log_clear(&log);
}

typedef struct env_case {
    const char *text;
    const char *message;
} env_case;

static const env_case bad[] = {
    { "{\"model_list\": [{\"model_name\": \"a\", \"litellm_params\": {\"model\": \"openai/x\","
      " \"api_key\": \"os.environ/LLMGW_T_MISSING\"}}]}",
      "model_list[0].litellm_params[\"api_key\"]: environment variable LLMGW_T_MISSING is not set" },
    { "{\"model_list\": [{\"model_name\": \"a\", \"litellm_params\": {\"model\": \"openai/x\","
      " \"api_base\": \"https://${LLMGW_T_MISSING}/v1\"}}]}",
      "model_list[0].litellm_params.api_base: environment variable LLMGW_T_MISSING is not set" },
    { "{\"router_settings\": {\"redis_password\": \"os.environ/LLMGW_T_EMPTY\"}}",
      "router_settings.redis_password: environment variable LLMGW_T_EMPTY is empty" },
    { "{\"router_settings\": {\"redis_host\": \"os.environ/\"}}",
      "router_settings.redis_host: malformed reference: os.environ/ must be followed by a variable name" },
    { "{\"router_settings\": {\"redis_host\": \"os.environ/A B\"}}",
      "router_settings.redis_host: malformed reference" },
    { "{\"router_settings\": {\"redis_host\": \"${bad-name}\"}}",
      "router_settings.redis_host: malformed reference: ${...} needs a variable name" },
    { "{\"router_settings\": {\"redis_host\": \"${UNCLOSED\"}}", "router_settings.redis_host: malformed reference" },
    /* values from the environment are parsed, and never shown */
    { "{\"model_list\": [{\"model_name\": \"a\", \"litellm_params\": {\"model\": \"mock/x\","
      " \"rpm\": \"os.environ/LLMGW_T_WORD\"}}]}",
      "model_list[0].litellm_params.rpm: the environment variable's value is not a number" },
    { "{\"litellm_settings\": {\"drop_params\": \"os.environ/LLMGW_T_WORD\"}}",
      "litellm_settings.drop_params: the environment variable's value is not a boolean" },
    { "{\"model_list\": [{\"model_name\": \"a\", \"litellm_params\": {\"model\": \"os.environ/LLMGW_T_WORD\"}}]}",
      "model_list[0].litellm_params.model: (value hidden) needs a provider prefix" },
    { "{\"model_list\": [{\"model_name\": \"a\", \"litellm_params\": {\"model\": \"${LLMGW_T_KEY}/gpt\"}}]}",
      "model_list[0].litellm_params.model: unknown provider" },
    { "{\"router_settings\": {\"routing_strategy\": \"${LLMGW_T_KEY}\"}}",
      "router_settings.routing_strategy: unknown routing strategy (value hidden)" },
    { "{\"router_settings\": {\"redis_port\": \"os.environ/LLMGW_T_KEY\"}}",
      "router_settings.redis_port: the environment variable's value is not a number" },
    { "{\"model_list\": [{\"model_name\": \"a\", \"litellm_params\": {\"model\": \"mock/x\"}}],"
      " \"router_settings\": {\"fallbacks\": [{\"a\": [\"${LLMGW_T_KEY}\"]}]}}",
      "router_settings.fallbacks[0].a[0]: unknown model group (value hidden)" },
    { "{\"model_list\": [{\"model_name\": \"a\", \"litellm_params\": {\"model\": \"openai/x\","
      " \"api_base\": \"https://h/${LLMGW_T_KEY} x\"}}]}",
      "model_list[0].litellm_params.api_base: URL contains a control character, space or backslash" },
};

static void test_bad_references(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < LLMGW_ARRAY_SIZE(bad); i++) {
        llmgw_gateway *gw = NULL;
        cfg_log log = { 0 };
        llmgw_gateway_options o = cfg_opts(&log, LLMGW_LOG_DEBUG);
        int rc = cfg_load(&gw, bad[i].text, "json", &o);
        if (rc != LLMGW_EINVAL || strstr(llmgw_error_last()->message, bad[i].message) == NULL)
            fail_msg("case %zu: rc %d, \"%s\"; want \"%s\"", i, rc, llmgw_error_last()->message, bad[i].message);
        assert_never_shown(&log);
        cfg_log_clear(&log);
    }
}

/* Sections llmgw ignores never need their variables (LiteLLM's general_settings.master_key). */
static void test_ignored_sections_need_no_variables(void **state)
{
    llmgw_gateway *gw = NULL;

    (void)state;
    assert_int_equal(cfg_load(&gw, "{\"general_settings\": {\"master_key\": \"os.environ/LLMGW_T_MISSING\","
                                   " \"database_url\": \"${LLMGW_T_MISSING}\"}}", "json", NULL), 0);
    llmgw_gateway_free(gw);
}

/* A gateway-level error after keys were resolved (the deployment layer's own message) stays clean too. */
static void test_errors_after_resolution(void **state)
{
    static const char text[] =
        "{\"model_list\": [{\"model_name\": \"a\", \"litellm_params\": {\"model\": \"mock/x\","
        " \"api_key\": \"os.environ/LLMGW_T_KEY\"}},"
        " {\"model_name\": \"a\", \"litellm_params\": {\"model\": \"mock/x\", \"api_key\": \"os.environ/LLMGW_T_KEY\"}}],"
        " \"general_settings\": {}, \"bogus\": 1}";
    llmgw_gateway *gw = NULL;
    cfg_log log = { 0 };
    llmgw_gateway_options o = cfg_opts(&log, LLMGW_LOG_DEBUG);

    (void)state;
    assert_int_equal(cfg_load(&gw, text, "json", &o), LLMGW_EINVAL);
    assert_contains(llmgw_error_last()->message, "model_list[1]: deployment");
    assert_contains(llmgw_error_last()->message, "is already in group 'a'");
    assert_true(log.n >= 2);
    assert_never_shown(&log);
    cfg_log_clear(&log);
}

/*
 * prices_path built from the environment: the gateway's own WARN (file not
 * found) and error (a directory) while it opens go through the config's
 * redaction (found by fuzz_config_yaml: the expanded path was printed).
 */
static void test_prices_path_from_the_environment(void **state)
{
    static const char missing[] = "{\"llmgw_settings\": {\"prices_path\": \"/tmp/${LLMGW_T_KEY}/prices.json\"}}";
    static const char shaped[] = "{\"llmgw_settings\": {\"prices_path\": "
                                 "\"/tmp/sk-abcdefghijklmnopqrstuvwxyz)${LLMGW_T_KEY}/p.json\"}}";
    static const char dir[] = "{\"llmgw_settings\": {\"prices_path\": \"/tmp/${LLMGW_T_KEY}\"}}";
    char path[256];
    llmgw_gateway *gw = NULL;
    cfg_log log = { 0 };
    llmgw_gateway_options o = cfg_opts(&log, LLMGW_LOG_DEBUG);

    (void)state;
    unsetenv("LLMGW_PRICES_PATH");
    assert_int_equal(cfg_load(&gw, missing, "json", &o), 0);
    assert_non_null(cfg_log_find(&log, LLMGW_LOG_WARN, "not found: using the built-in price table"));
    assert_never_shown(&log);
    llmgw_gateway_free(gw);
    gw = NULL;
    cfg_log_clear(&log);

    /* a token shape next to the value: masking it alters the whole string, the value must still go */
    assert_int_equal(cfg_load(&gw, shaped, "json", &o), 0);
    assert_non_null(cfg_log_find(&log, LLMGW_LOG_WARN, "not found: using the built-in price table"));
    assert_never_shown(&log);
    llmgw_gateway_free(gw);
    gw = NULL;
    cfg_log_clear(&log);

    snprintf(path, sizeof(path), "/tmp/%s", SENTINEL);
    assert_true(mkdir(path, 0700) == 0 || errno == EEXIST);
    assert_int_equal(cfg_load(&gw, dir, "json", &o), LLMGW_EINVAL);
    assert_contains(llmgw_error_last()->message, "is a directory");
    assert_never_shown(&log);
    rmdir(path);
    cfg_log_clear(&log);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_both_syntaxes),
        cmocka_unit_test(test_yaml_references),
        cmocka_unit_test(test_bad_references),
        cmocka_unit_test(test_ignored_sections_need_no_variables),
        cmocka_unit_test(test_errors_after_resolution),
        cmocka_unit_test(test_prices_path_from_the_environment),
    };

    return cmocka_run_group_tests(tests, setup, NULL);
}
