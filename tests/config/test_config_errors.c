/*
 * tests/config/test_config_errors.c: every kind of invalid config is
 * rejected as a whole, with the path of the bad value (or the line, for
 * syntax errors) in the message.
 */
#include "cfg_test.h"

#include <fcntl.h>
#include <sys/stat.h>

/* A minimal valid entry to build on. */
#define ENTRY(name, model) "{\"model_name\": \"" name "\", \"litellm_params\": {\"model\": \"" model "\"}}"
#define MODELS(...) "{\"model_list\": [" __VA_ARGS__ "]"

typedef struct bad_case {
    const char *text;
    const char *format;
    int         code;
    const char *message;     /* a substring of the error message */
} bad_case;

static const bad_case json_cases[] = {
    /* syntax, with line and column */
    { "{\n  \"model_list\": [\n    {\"model_name\": \"a\",, }\n  ]\n}", "json", LLMGW_EINVAL,
      "<buffer>:3:25: invalid JSON" },
    { "{\"a\": 1} {\"b\": 2}", "json", LLMGW_EINVAL, "<buffer>:1:10: invalid JSON: more text after the value" },
    { "{\"model_list\": [\"\xff\xfe\"]}", "json", LLMGW_EINVAL, "<buffer>:1:18: invalid JSON: the text is not valid UTF-8" },
    { "{\"a\": \"x\\u0000y\"}", "json", LLMGW_EINVAL, "\\u0000" },
    /* the top level */
    { "[1, 2]", "json", LLMGW_EINVAL, "the top level must be a mapping" },
    { "\"model_list\"", "json", LLMGW_EINVAL, "the top level must be a mapping (model_list, router_settings, ...), not a string" },
    { "null", "json", LLMGW_EINVAL, "the top level must be a mapping" },
    { "", "json", LLMGW_EINVAL, "<buffer>: the config is empty" },
    { " \n\t ", "json", LLMGW_EINVAL, "<buffer>: the config is empty" },
    { "{\"include\": [\"other.yaml\"]}", "json", LLMGW_EINVAL, "include: include is not supported" },
    { "{\"litellm_settings\": {}, \"settings\": {}}", "json", LLMGW_EINVAL, "both litellm_settings and settings" },
    { "{\"router_settings\": {\"num_retries\": 1, \"num_retries\": 2}}", "json", LLMGW_EINVAL,
      "router_settings.num_retries: duplicate key" },
    { "{\"a\": 1e999}", "json", LLMGW_EINVAL, "a: numbers must be finite" },
    /* wrong types */
    { "{\"model_list\": {}}", "json", LLMGW_EINVAL, "model_list: must be a list, not a mapping" },
    { MODELS("1") "}", "json", LLMGW_EINVAL, "model_list[0]: must be a mapping" },
    { MODELS("{\"model_name\": 5, \"litellm_params\": {\"model\": \"mock/x\"}}") "}", "json", LLMGW_EINVAL,
      "model_list[0].model_name: must be a string, not a number (quote it)" },
    { MODELS("{\"litellm_params\": {\"model\": \"mock/x\"}}") "}", "json", LLMGW_EINVAL,
      "model_list[0]: needs model_name" },
    { MODELS("{\"model_name\": \"a\"}") "}", "json", LLMGW_EINVAL, "model_list[0]: needs litellm_params" },
    { MODELS("{\"model_name\": \"a\", \"litellm_params\": []}") "}", "json", LLMGW_EINVAL,
      "model_list[0].litellm_params: must be a mapping, not a list" },
    { MODELS("{\"model_name\": \"a\", \"litellm_params\": {\"model\": \"mock/x\"}, \"params\": {}}") "}", "json",
      LLMGW_EINVAL, "model_list[0]: both litellm_params and params" },
    { MODELS("{\"model_name\": \"a\", \"litellm_params\": {\"model\": \"mock/x\", \"rpm\": \"100\"}}") "}", "json",
      LLMGW_EINVAL, "model_list[0].litellm_params.rpm: must be a number, not a string" },
    { MODELS("{\"model_name\": \"a\", \"litellm_params\": {\"model\": \"mock/x\", \"weight\": 1.5}}") "}", "json",
      LLMGW_EINVAL, "model_list[0].litellm_params.weight: must be an integer" },
    { MODELS("{\"model_name\": \"a\", \"litellm_params\": {\"model\": \"mock/x\", \"api_key\": true}}") "}", "json",
      LLMGW_EINVAL, "model_list[0].litellm_params[\"api_key\"]: must be a string, not a boolean" },
    { "{\"litellm_settings\": {\"drop_params\": \"yes\"}}", "json", LLMGW_EINVAL,
      "litellm_settings.drop_params: must be a boolean (true or false), not a string" },
    { "{\"router_settings\": []}", "json", LLMGW_EINVAL, "router_settings: must be a mapping, not a list" },
    /* models and providers */
    { MODELS(ENTRY("a", "mock/x") "," ENTRY("b", "openai/gpt-4o") "," ENTRY("c", "opnai/gpt-4o")) "}", "json",
      LLMGW_EINVAL, "model_list[2].litellm_params.model: unknown provider 'opnai'" },
    { MODELS(ENTRY("a", "gpt-4o")) "}", "json", LLMGW_EINVAL,
      "model_list[0].litellm_params.model: 'gpt-4o' needs a provider prefix" },
    { MODELS(ENTRY("a", "openai/*")) "}", "json", LLMGW_EINVAL, "model_list[0].litellm_params.model: wildcard" },
    { MODELS("{\"model_name\": \"a\", \"litellm_params\": {\"model\": \"x\", \"custom_llm_provider\": \"nope\"}}") "}",
      "json", LLMGW_EINVAL, "model_list[0].litellm_params.custom_llm_provider: unknown provider 'nope'" },
    { MODELS("{\"model_name\": \"a\", \"litellm_params\": {\"model\": \"openai/x\", \"api_base\": \"ftp://h/v1\"}}") "}",
      "json", LLMGW_EINVAL, "model_list[0].litellm_params.api_base: base URL must start with https://" },
    { MODELS("{\"model_name\": \"a\", \"litellm_params\": {\"model\": \"openai/x\", \"api_base\": \"http://example.com/v1\"}}") "}",
      "json", LLMGW_EINVAL, "model_list[0].litellm_params.api_base: plain http:// is refused" },
    { MODELS("{\"model_name\": \"a\", \"litellm_params\": {\"model\": \"openai/x\", \"api_base\": \"https://u:p@h/v1\"}}") "}",
      "json", LLMGW_EINVAL, "model_list[0].litellm_params.api_base: URL may not carry credentials" },
    { MODELS("{\"model_name\": \"a\", \"litellm_params\": {\"model\": \"mock/x\", \"rpm\": -5}}") "}", "json",
      LLMGW_EINVAL, "model_list[0].litellm_params.rpm: -5 is out of range" },
    { MODELS("{\"model_name\": \"a\", \"litellm_params\": {\"model\": \"mock/x\", \"tpm\": 1e30}}") "}", "json",
      LLMGW_EINVAL, "model_list[0].litellm_params.tpm: 1e+30 is out of range" },
    { MODELS("{\"model_name\": \"a\", \"litellm_params\": {\"model\": \"mock/x\", \"timeout\": 1e300}}") "}", "json",
      LLMGW_EINVAL, "model_list[0].litellm_params.timeout: 1e+300 is out of range" },
    { MODELS("{\"model_name\": \"a\", \"litellm_params\": {\"model\": \"mock/x\", \"timeout\": 0}}") "}", "json",
      LLMGW_EINVAL, "model_list[0].litellm_params.timeout: must be more than 0 seconds" },
    { MODELS("{\"model_name\": \"a\", \"litellm_params\": {\"model\": \"mock/x\", \"input_cost_per_token\": 1e-6}}") "}",
      "json", LLMGW_EINVAL, "model_list[0].litellm_params: give both input_cost_per_token and output_cost_per_token" },
    { MODELS("{\"model_name\": \"a\", \"litellm_params\": {\"model\": \"mock/x\", \"input_cost_per_token\": 1e-6,"
             " \"output_cost_per_token\": 2e-6}, \"model_info\": {\"input_cost_per_token\": 3e-6}}") "}",
      "json", LLMGW_EINVAL, "model_list[0].model_info.input_cost_per_token: differs from litellm_params" },
    { MODELS("{\"model_name\": \"a\", \"litellm_params\": {\"model\": \"mock/x\", \"rpm\": 1}, \"rpm\": 2}") "}",
      "json", LLMGW_EINVAL, "model_list[0].rpm: is given here and in litellm_params" },
    { MODELS("{\"model_name\": \"a\", \"litellm_params\": {\"model\": \"mock/x\"}, \"model_info\": {\"id\": \"d1\"}},"
             "{\"model_name\": \"b\", \"litellm_params\": {\"model\": \"mock/y\"}, \"model_info\": {\"id\": \"d1\"}}") "}",
      "json", LLMGW_EINVAL, "model_list[1].model_info.id: duplicate deployment id (model_list[0] has it too)" },
    { MODELS(ENTRY("a", "mock/x") "," ENTRY("a", "mock/x")) "}", "json", LLMGW_EINVAL,
      "model_list[1]: deployment 'mock/x#" },
    { MODELS("{\"model_name\": \"a\", \"litellm_params\": {\"model\": \"mock/x\"}, \"model_info\": "
             "{\"max_input_tokens\": 0}}") "}", "json", LLMGW_EINVAL, "model_list[0].model_info.max_input_tokens: 0 is out of range" },
    /* router_settings */
    { MODELS(ENTRY("a", "mock/x")) ", \"router_settings\": {\"routing_strategy\": \"fastest\"}}", "json", LLMGW_EINVAL,
      "router_settings.routing_strategy: unknown routing strategy 'fastest'" },
    { MODELS(ENTRY("smart", "mock/x")) ", \"router_settings\": {\"fallbacks\": [{\"smart\": [\"nope\"]}]}}", "json",
      LLMGW_EINVAL, "router_settings.fallbacks[0].smart[0]: unknown model group 'nope'" },
    { MODELS(ENTRY("smart", "mock/x")) ", \"router_settings\": {\"fallbacks\": [{\"nope\": [\"smart\"]}]}}", "json",
      LLMGW_EINVAL, "router_settings.fallbacks[0].nope: unknown model group 'nope'" },
    { MODELS(ENTRY("smart", "mock/x")) ", \"router_settings\": {\"context_window_fallbacks\": [[\"smart\"]]}}", "json",
      LLMGW_EINVAL, "router_settings.context_window_fallbacks[0]: must be a mapping of model group" },
    { MODELS(ENTRY("smart", "mock/x")) ", \"router_settings\": {\"content_policy_fallbacks\": [{\"smart\": \"x\"}]}}",
      "json", LLMGW_EINVAL, "router_settings.content_policy_fallbacks[0].smart: must be a list of model groups" },
    { MODELS(ENTRY("smart", "mock/x")) ", \"router_settings\": {\"fallbacks\": [{\"smart\": [\"smart\"]}]}}", "json",
      LLMGW_EINVAL, "router_settings.fallbacks[0].smart[0]: group 'smart' cannot fall back to itself" },
    { MODELS(ENTRY("smart", "mock/x")) ", \"router_settings\": {\"default_fallbacks\": [\"gone\"]}}", "json",
      LLMGW_EINVAL, "router_settings.default_fallbacks[0]: unknown model group 'gone'" },
    { MODELS(ENTRY("smart", "mock/x")) ", \"router_settings\": {\"model_group_alias\": {\"fast\": \"nope\"}}}", "json",
      LLMGW_EINVAL, "router_settings.model_group_alias.fast: unknown model group 'nope'" },
    { MODELS(ENTRY("smart", "mock/x")) ", \"router_settings\": {\"model_group_alias\": {\"smart\": \"smart\"}}}",
      "json", LLMGW_EINVAL, "router_settings.model_group_alias.smart: the alias is also a model_name" },
    { MODELS(ENTRY("smart", "mock/x")) ", \"router_settings\": {\"model_group_alias\": {\"f\": {\"hidden\": true}}}}",
      "json", LLMGW_EINVAL, "router_settings.model_group_alias.f: needs model" },
    { "{\"router_settings\": {\"num_retries\": -1}}", "json", LLMGW_EINVAL, "router_settings.num_retries: -1 is out of range" },
    { "{\"router_settings\": {\"num_retries\": 1e20}}", "json", LLMGW_EINVAL, "router_settings.num_retries: 1e+20 is out of range" },
    { "{\"router_settings\": {\"retry_policy\": {\"RateLimitErrorRetries\": -2}}}", "json", LLMGW_EINVAL,
      "router_settings.retry_policy.RateLimitErrorRetries: -2 is out of range" },
    { "{\"router_settings\": {\"retry_policy\": [1]}}", "json", LLMGW_EINVAL, "router_settings.retry_policy: must be a mapping" },
    { "{\"router_settings\": {\"allowed_fails\": 1.5}}", "json", LLMGW_EINVAL, "router_settings.allowed_fails: must be an integer" },
    { "{\"router_settings\": {\"redis_port\": 70000}}", "json", LLMGW_EINVAL, "router_settings.redis_port: 70000 is out of range" },
    { "{\"router_settings\": {\"redis_url\": \"http://h:6379\"}}", "json", LLMGW_EINVAL,
      "router_settings.redis_url: must be a redis://, rediss:// or unix:// URL" },
    { MODELS(ENTRY("smart", "mock/x")) ", \"llmgw_settings\": {\"routing_rules\": [{\"condition\": {}, "
      "\"target\": \"nope\"}]}}", "json", LLMGW_EINVAL,
      "llmgw_settings.routing_rules[0]: rule 'rule': unknown target group 'nope'" },
    { MODELS(ENTRY("smart", "mock/x")) ", \"llmgw_settings\": {\"routing_rules\": [{\"condition\": "
      "{\"colour\": {\"eq\": 1}}, \"target\": \"smart\"}]}}", "json", LLMGW_EINVAL,
      "llmgw_settings.routing_rules[0]: condition" },
    { MODELS(ENTRY("smart", "mock/x")) ", \"llmgw_settings\": {\"routing_rules\": [{\"name\": \"r\"}]}}",
      "json", LLMGW_EINVAL, "llmgw_settings.routing_rules[0]: needs target" },
    { MODELS(ENTRY("smart", "mock/x")) ", \"llmgw_settings\": {\"classifier\": {\"simple_group\": \"smart\","
      " \"complex_group\": \"huge\"}}}", "json", LLMGW_EINVAL, "llmgw_settings.classifier.complex_group: unknown model group" },
    /* litellm_settings */
    { "{\"litellm_settings\": {\"cache\": true, \"cache_params\": {\"type\": \"redis-semantic\"}}}", "json", LLMGW_EINVAL,
      "litellm_settings.cache_params.type: cache type 'redis-semantic' is not supported" },
    { "{\"litellm_settings\": {\"cache\": true, \"cache_params\": {\"type\": \"s3\"}}}", "json", LLMGW_EINVAL,
      "litellm_settings.cache_params.type: cache type 's3' is not supported" },
    { "{\"litellm_settings\": {\"cache\": true, \"cache_params\": {\"type\": \"redis\"}}}", "json", LLMGW_EINVAL,
      "litellm_settings.cache_params.type: redis needs a Redis host or url" },
    { "{\"litellm_settings\": {\"cache\": true, \"cache_params\": {\"ttl\": -1}}}", "json", LLMGW_EINVAL,
      "litellm_settings.cache_params.ttl: -1 is out of range" },
    { "{\"litellm_settings\": {\"cache_params\": {\"mode\": \"sometimes\"}}}", "json", LLMGW_EINVAL,
      "litellm_settings.cache_params.mode: unknown cache mode 'sometimes'" },
    { "{\"litellm_settings\": {\"max_budget\": 10, \"budget_duration\": \"2d\"}}", "json", LLMGW_EINVAL,
      "litellm_settings.budget_duration: unknown period '2d'" },
    /* llmgw_settings */
    { "{\"llmgw_settings\": {\"max_attempts\": 11}}", "json", LLMGW_EINVAL, "llmgw_settings.max_attempts: 11 is out of range" },
    { "{\"llmgw_settings\": {\"deadline_ms\": 0}}", "json", LLMGW_EINVAL, "llmgw_settings.deadline_ms: 0 is out of range" },
    { "{\"llmgw_settings\": {\"budgets\": [{\"customer\": \"a\", \"tag\": \"b\", \"max_usd\": 1}]}}", "json",
      LLMGW_EINVAL, "llmgw_settings.budgets[0]: give customer or tag (one of them)" },
    { "{\"llmgw_settings\": {\"budgets\": [{\"max_usd\": 1}]}}", "json", LLMGW_EINVAL,
      "llmgw_settings.budgets[0]: give customer or tag (one of them); budgets for every request go in llmgw_settings.budget" },
    { "{\"llmgw_settings\": {\"budgets\": [{\"tag\": \"t\", \"max_usd\": 1, \"period\": \"week\"}]}}", "json",
      LLMGW_EINVAL, "llmgw_settings.budgets[0].period: unknown period 'week': budgets reset daily" },
    { "{\"llmgw_settings\": {\"budgets\": {}}}", "json", LLMGW_EINVAL, "llmgw_settings.budgets: must be a list" },
    { "{\"litellm_settings\": {\"cache\": true, \"cache_params\": {\"ttl\": 90000}}}", "json", LLMGW_EINVAL,
      "litellm_settings.cache_params.ttl: at most 86400 seconds" },
    { "{\"llmgw_settings\": {\"budgets\": [{\"customer\": \"a\"}]}}", "json", LLMGW_EINVAL,
      "llmgw_settings.budgets[0]: needs max_usd" },
    { "{\"llmgw_settings\": {\"budgets\": [{\"tag\": \"a\", \"max_usd\": 0}]}}", "json", LLMGW_EINVAL,
      "llmgw_settings.budgets[0].max_usd: 0 is out of range" },
    { "{\"llmgw_settings\": {\"budget\": {\"max_usd_per_day\": 1e12}}}", "json", LLMGW_EINVAL,
      "llmgw_settings.budget.max_usd_per_day: 1e+12 is out of range" },
    { "{\"llmgw_settings\": {\"cache\": {\"max_bytes\": 100000, \"max_entry_bytes\": 200000}}}", "json", LLMGW_EINVAL,
      "llmgw_settings.cache.max_entry_bytes: is larger than max_bytes" },
    { "{\"llmgw_settings\": {\"prices_path\": \"\"}}", "json", LLMGW_EINVAL, "llmgw_settings.prices_path: must be a path" },
    { "{\"llmgw_settings\": {\"log\": {\"path\": \"a\\nb\"}}}", "json", LLMGW_EINVAL,
      "llmgw_settings.log.path: contains a control character" },
};

static void run_cases(const bad_case *cases, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        llmgw_gateway *gw = (llmgw_gateway *)(void *)&gw;   /* must come back NULL */
        int rc = llmgw_gateway_open_buffer(&gw, cases[i].text, strlen(cases[i].text), cases[i].format, NULL);
        const char *msg = llmgw_error_last()->message;
        if (rc != cases[i].code || strstr(msg, cases[i].message) == NULL || gw != NULL)
            fail_msg("case %zu: rc %d (want %d), message \"%s\"; want \"%s\"", i, rc, cases[i].code, msg,
                     cases[i].message);
        assert_int_equal(llmgw_error_last()->error_class,
                         rc == LLMGW_EUNSUPPORTED ? LLMGW_ERRCLASS_UNSUPPORTED : LLMGW_ERRCLASS_CONFIG);
    }
}

static void test_invalid_json_configs(void **state)
{
    (void)state;
    run_cases(json_cases, LLMGW_ARRAY_SIZE(json_cases));
}

static const bad_case yaml_cases[] = {
    { "model_list:\n  - model_name: a\n    litellm_params: {model: mock/x\n", "yaml", LLMGW_EINVAL,
      "<buffer>:4:1: invalid YAML" },
    { "model_list:\n  - model_name: a\n   bad: 1\n", "yaml", LLMGW_EINVAL, "<buffer>:3:" },
    { "router_settings:\n  num_retries: 1\n  num_retries: 2\n", "yaml", LLMGW_EINVAL,
      "<buffer>:3:16: duplicate key 'num_retries'" },
    { "a: 1\n---\nb: 2\n", "yaml", LLMGW_EINVAL, "<buffer>:2:1: more than one YAML document" },
    { "# only a comment\n", "yaml", LLMGW_EINVAL, "<buffer>: the config is empty" },
    { "---\n", "yaml", LLMGW_EINVAL, "the top level must be a mapping (model_list, router_settings, ...), not null" },
    { "- a\n- b\n", "yaml", LLMGW_EINVAL, "the top level must be a mapping" },
    { "a: *nope\n", "yaml", LLMGW_EINVAL, "<buffer>:1:4: unknown anchor 'nope'" },
    { "a: &x [1, *x]\n", "yaml", LLMGW_EINVAL, "unknown anchor 'x' (an alias may not point into its own anchor)" },
    { "? [a, b]\n: 1\n", "yaml", LLMGW_EINVAL, "a key must be a plain value, not a list" },
    { "a: !custom 1\n", "yaml", LLMGW_EINVAL, "<buffer>:1:4: unsupported tag" },
    { "a: !!int abc\n", "yaml", LLMGW_EINVAL, "the value does not match its tag" },
    { "llmgw_settings:\n  deadline_ms: .inf\n", "yaml", LLMGW_EINVAL, "<buffer>:2:16: .inf and .nan are not accepted" },
    { "a: \"x\\0y\"\n", "yaml", LLMGW_EINVAL, "a NUL character is not allowed" },
    { "a:\n  <<: 5\n", "yaml", LLMGW_EINVAL, "a << merge value must be a mapping or a list of mappings" },
    /* schema errors carry the path, as in JSON */
    { "model_list:\n  - model_name: a\n    litellm_params: { model: opnai/gpt-4o }\n", "yaml", LLMGW_EINVAL,
      "model_list[0].litellm_params.model: unknown provider 'opnai'" },
    { "model_list:\n  - model_name: 123\n    litellm_params: { model: mock/x }\n", "yaml", LLMGW_EINVAL,
      "model_list[0].model_name: must be a string, not a number (quote it)" },
    { "model_list:\n  - model_name: a\n    litellm_params: { model: mock/x, rpm: 99999999999999999999999 }\n", "yaml",
      LLMGW_EINVAL, "model_list[0].litellm_params.rpm: 1e+23 is out of range" },
    { "litellm_settings:\n  drop_params: maybe\n", "yaml", LLMGW_EINVAL,
      "litellm_settings.drop_params: must be a boolean (true or false), not a string" },
    { "router_settings:\n  routing_strategy: round-robin\n", "yaml", LLMGW_EINVAL,
      "router_settings.routing_strategy: unknown routing strategy 'round-robin'" },
};

static void test_invalid_yaml_configs(void **state)
{
    (void)state;
    CFG_SKIP_WITHOUT_YAML();
    run_cases(yaml_cases, LLMGW_ARRAY_SIZE(yaml_cases));
}

/* Aliases are copies counted against the node budget: a "billion laughs" file stops early. */
static void test_yaml_alias_bomb(void **state)
{
    llmgw_buf b = LLMGW_BUF_INIT;
    llmgw_gateway *gw = NULL;
    int i;

    (void)state;
    CFG_SKIP_WITHOUT_YAML();
    assert_int_equal(llmgw__buf_puts(&b, "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"), 0);
    for (i = 1; i < 12; i++)
        assert_int_equal(llmgw__buf_printf(&b, "a%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]\n",
                                           i, i, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1), 0);
    assert_fails_with(cfg_load(&gw, llmgw__buf_cstr(&b), "yaml", NULL), LLMGW_EINVAL, "more than 524288 values");
    llmgw_buf_dispose(&b);
}

static void test_too_deep(void **state)
{
    char text[512];
    llmgw_gateway *gw = NULL;
    int i, n = 0;

    (void)state;
    for (i = 0; i < 100; i++)
        text[n++] = '[';
    for (i = 0; i < 100; i++)
        text[n++] = ']';
    text[n] = '\0';
    assert_fails_with(cfg_load(&gw, text, "json", NULL), LLMGW_EINVAL, "nested deeper than 64 levels");
    if (LLMGW_HAVE_YAML)
        assert_fails_with(cfg_load(&gw, text, "yaml", NULL), LLMGW_EINVAL, "nested deeper than 64 levels");
}

static void test_file_errors(void **state)
{
    char path[64];
    llmgw_gateway *gw = NULL;
    char *big;
    int fd;

    (void)state;
    assert_fails_with(llmgw_gateway_open(&gw, "/nonexistent/llmgw.yaml", NULL), LLMGW_ENOTFOUND,
                      "/nonexistent/llmgw.yaml: no such config file");
    assert_fails_with(llmgw_gateway_open(&gw, "/tmp", NULL), LLMGW_EINVAL, "/tmp: is a directory, not a config file");
    assert_fails_with(llmgw_gateway_open(&gw, "", NULL), LLMGW_EINVAL, "config path is empty");
    assert_fails_with(llmgw_gateway_open(&gw, NULL, NULL), LLMGW_EINVAL, "config_path");
    assert_int_equal(llmgw_gateway_open(NULL, "x.json", NULL), LLMGW_EINVAL);
    /* empty */
    cfg_write_temp(path, sizeof(path), ".json", "", 0);
    assert_fails_with(llmgw_gateway_open(&gw, path, NULL), LLMGW_EINVAL, ": the config is empty");
    unlink(path);
    /* over the size cap: a sparse file, one byte too big */
    cfg_write_temp(path, sizeof(path), ".json", "{", 1);
    fd = open(path, O_WRONLY);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, (off_t)LLMGW__CFG_MAX_BYTES + 1), 0);
    close(fd);
    assert_fails_with(llmgw_gateway_open(&gw, path, NULL), LLMGW_EINVAL, "the config is larger than 8388608 bytes");
    unlink(path);
    /* the same through a buffer */
    big = calloc(1, (size_t)LLMGW__CFG_MAX_BYTES + 2);
    assert_non_null(big);
    memset(big, ' ', (size_t)LLMGW__CFG_MAX_BYTES + 1);
    assert_fails_with(llmgw_gateway_open_buffer(&gw, big, (size_t)LLMGW__CFG_MAX_BYTES + 1, "json", NULL),
                      LLMGW_EINVAL, "larger than");
    free(big);
    /* a bad file through its path: the message names the file and the line */
    cfg_write_temp(path, sizeof(path), ".json", "{\n\n  oops\n}", 10);
    assert_fails_with(llmgw_gateway_open(&gw, path, NULL), LLMGW_EINVAL, ":3:");
    assert_contains(llmgw_error_last()->message, path);
    unlink(path);
    /* unknown extensions are sniffed */
    cfg_write_temp(path, sizeof(path), ".conf", "{\"model_list\": []}", 18);
    assert_int_equal(llmgw_gateway_open(&gw, path, NULL), 0);
    llmgw_gateway_free(gw);
    gw = NULL;
    unlink(path);
    assert_null(gw);
}

/* Built without libyaml, YAML is LLMGW_EUNSUPPORTED; with it, .yml works. */
static void test_yaml_support(void **state)
{
    char path[64];
    llmgw_gateway *gw = NULL;

    (void)state;
    cfg_write_temp(path, sizeof(path), ".yml", "model_list: []\n", 15);
    if (LLMGW_HAVE_YAML) {
        assert_int_equal(llmgw_gateway_open(&gw, path, NULL), 0);
        llmgw_gateway_free(gw);
    } else {
        assert_fails_with(llmgw_gateway_open(&gw, path, NULL), LLMGW_EUNSUPPORTED, "built without it");
        assert_fails_with(cfg_load(&gw, "a: 1\n", "yaml", NULL), LLMGW_EUNSUPPORTED, "YAML configs need libyaml");
        assert_int_equal(llmgw_error_last()->error_class, LLMGW_ERRCLASS_UNSUPPORTED);
    }
    unlink(path);
}

/* A failure after deployments were added frees them: nothing leaks (valgrind and ASan check). */
static void test_late_failure_frees(void **state)
{
    llmgw_gateway *gw = NULL;

    (void)state;
    assert_fails_with(cfg_load(&gw, MODELS(ENTRY("a", "mock/x") "," ENTRY("b", "mock/y"))
                               ", \"router_settings\": {\"fallbacks\": [{\"a\": [\"zzz\"]}]}}", "json", NULL),
                      LLMGW_EINVAL, "router_settings.fallbacks[0].a[0]: unknown model group 'zzz'");
    assert_null(gw);
}

/* Allocation failures anywhere give LLMGW_ENOMEM (or the error they cause), never a crash or a leak. */
static void test_allocation_failures(void **state)
{
    static const char text[] =
        "{\"model_list\": [{\"model_name\": \"a\", \"litellm_params\": {\"model\": \"mock/x\", \"temperature\": 0.1},"
        " \"model_info\": {\"id\": \"a1\"}}, {\"model_name\": \"b\", \"litellm_params\": {\"model\": \"mock/y\"}}],"
        " \"router_settings\": {\"fallbacks\": [{\"a\": [\"b\"]}], \"model_group_alias\": {\"f\": \"a\"}},"
        " \"litellm_settings\": {\"cache\": true, \"cache_params\": {\"namespace\": \"n\"}},"
        " \"llmgw_settings\": {\"budgets\": [{\"tag\": \"t\", \"max_usd\": 1}], \"prices_path\": \"/p\"}}";
    llmgw_gateway *gw = NULL;
    unsigned long n;
    int rc;

    (void)state;
    for (n = 1; n < 400; n++) {
        llmgw__alloc_fail_at(n, LLMGW__ALLOC_TRANSIENT);
        rc = llmgw_gateway_open_buffer(&gw, text, strlen(text), "json", NULL);
        llmgw__alloc_fail_at(0, LLMGW__ALLOC_TRANSIENT);
        if (rc == 0) {
            llmgw_gateway_free(gw);
            gw = NULL;
            continue;
        }
        assert_null(gw);
        assert_true(rc < 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_invalid_json_configs),
        cmocka_unit_test(test_invalid_yaml_configs),
        cmocka_unit_test(test_yaml_alias_bomb),
        cmocka_unit_test(test_too_deep),
        cmocka_unit_test(test_file_errors),
        cmocka_unit_test(test_yaml_support),
        cmocka_unit_test(test_late_failure_frees),
        cmocka_unit_test(test_allocation_failures),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
