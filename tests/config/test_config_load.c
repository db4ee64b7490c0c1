/*
 * tests/config/test_config_load.c: valid LiteLLM-style configs load, and the
 * same content in JSON and YAML loads to the same gateway; the example
 * configs; ecosystem.md §1's example; llmgw_gateway_open_buffer(); a
 * config of 1,000 deployments (timed, not asserted).
 */
#include "cfg_test.h"
#include "router/rules.h"

#include <time.h>

#ifndef LLMGW_SOURCE_ROOT
#  define LLMGW_SOURCE_ROOT "."
#endif

#define DATA LLMGW_SOURCE_ROOT "/tests/config/data/"

/* data/full.json and data/full.yaml: one config using most of the vocabulary, in both formats. */

/* What the full config means. */
static void check_full(llmgw_gateway *gw)
{
    const llmgw__deployment *d;
    const llmgw__settings *s = gw->settings;
    llmgw_budget_status st;

    assert_int_equal(gw->ndeps, 5);
    assert_int_equal(llmgw_gateway_group_size(gw, "smart"), 2);
    d = cfg_dep(gw, "smart-openai");
    assert_non_null(d);
    assert_string_equal(d->group, "smart");
    assert_string_equal(d->provider_id, "openai");
    assert_string_equal(d->model, "gpt-4o");
    assert_string_equal(d->api_base, "http://127.0.0.1:4010/v1");
    assert_string_equal(d->api_key, "sk-test-literal-0001");
    assert_int_equal(d->rpm, 500);
    assert_int_equal(d->tpm, 100000);
    assert_int_equal(d->weight, 3);
    assert_int_equal(d->order, 1);
    assert_int_equal(d->timeout_ms, 12500);
    assert_int_equal(d->stream_timeout_ms, 30000);
    assert_int_equal(d->max_parallel, 8);
    assert_int_equal(d->max_input_tokens, 128000);
    assert_false(d->custom_prices);
    assert_non_null(d->params);
    assert_int_equal(cJSON_GetObjectItem(d->params, "top_k")->valueint, 40);
    assert_int_equal(d->tag_count, 2);
    assert_string_equal(d->tags[0], "paid");
    assert_string_equal(d->tags[1], "eu");
    d = cfg_dep(gw, "smart-anthropic");
    assert_non_null(d);
    assert_true(d->custom_prices);
    assert_true(d->input_cost_per_token == 0.000003);
    assert_true(d->output_cost_per_token == 1.5e-5);
    assert_string_equal(d->api_version, "2023-06-01");
    assert_int_equal(d->stream_timeout_ms, 20000);   /* router_settings.stream_timeout */
    d = cfg_dep(gw, "local-1");
    assert_non_null(d);
    assert_true(d->custom_prices);
    assert_string_equal(cJSON_GetObjectItem(d->params, "mock_response")->valuestring, "hi from local");
    d = cfg_dep(gw, "big-azure");
    assert_non_null(d);
    assert_int_equal(d->tpm, 2000);
    assert_string_equal(d->api_version, "2024-02-01");
    d = cfg_dep(gw, "aws-1");
    assert_non_null(d);
    assert_string_equal(d->region, "us-east-1");
    /* options: router_settings over litellm_settings, llmgw_settings over both */
    assert_int_equal(gw->opts.routing_strategy, LLMGW_ROUTING_LATENCY);
    assert_int_equal(gw->opts.max_attempts, 5);
    assert_int_equal(gw->opts.deadline_ms, 45500);
    assert_int_equal(gw->opts.allowed_fails, 3);
    assert_int_equal(gw->opts.cooldown_ms, 15000);
    assert_int_equal(gw->opts.max_fallbacks, 2);
    assert_int_equal(gw->opts.breaker_disabled, 0);
    assert_int_equal(gw->opts.drop_params, 1);
    assert_int_equal(gw->opts.connect_timeout_ms, 2500);
    assert_int_equal(gw->opts.idle_timeout_ms, 60000);
    assert_int_equal(gw->opts.max_response_bytes, 1048576);
    assert_int_equal(gw->opts.pool_size, 16);
    assert_int_equal(gw->opts.retry_budget_percent, 20);
    assert_int_equal(gw->opts.hedge_after_ms, 1500);
    /* routes */
    assert_string_equal(llmgw__routes_alias(&gw->routes, "fast"), "smart");
    assert_string_equal(llmgw__routes_alias(&gw->routes, "cheap"), "local");
    assert_string_equal(llmgw__routes_fallback(&gw->routes, LLMGW_FALLBACK_DEFAULT, "smart", 0), "local");
    assert_string_equal(llmgw__routes_fallback(&gw->routes, LLMGW_FALLBACK_DEFAULT, "smart", 1), "big");
    assert_null(llmgw__routes_fallback(&gw->routes, LLMGW_FALLBACK_DEFAULT, "smart", 2));
    assert_string_equal(llmgw__routes_fallback(&gw->routes, LLMGW_FALLBACK_DEFAULT, "big", 0), "smart");
    assert_null(llmgw__routes_fallback(&gw->routes, LLMGW_FALLBACK_DEFAULT, "big", 1));   /* has its own */
    assert_string_equal(llmgw__routes_fallback(&gw->routes, LLMGW_FALLBACK_DEFAULT, "aws", 0), "local");
    assert_null(llmgw__routes_fallback(&gw->routes, LLMGW_FALLBACK_DEFAULT, "local", 0));  /* not to itself */
    assert_string_equal(llmgw__routes_fallback(&gw->routes, LLMGW_FALLBACK_CONTEXT_WINDOW, "smart", 0), "big");
    assert_string_equal(llmgw__routes_fallback(&gw->routes, LLMGW_FALLBACK_CONTENT_POLICY, "smart", 0), "local");
    assert_int_equal(atomic_load(&gw->retry_policy[LLMGW_ERRCLASS_RATE_LIMIT]), 3);
    assert_int_equal(atomic_load(&gw->retry_policy[LLMGW_ERRCLASS_TIMEOUT]), 0);
    assert_int_equal(atomic_load(&gw->retry_policy[LLMGW_ERRCLASS_SERVER_ERROR]), 2);
    assert_int_equal(atomic_load(&gw->retry_policy[LLMGW_ERRCLASS_AUTH]), -1);
    /* cache and prices: options */
    assert_true(gw->opts.cache_enabled);
    assert_int_equal(gw->opts.cache_ttl_ms, 600000);
    assert_string_equal(gw->opts.cache_namespace, "myapp");
    assert_int_equal(gw->opts.cache_max_bytes, 1000000);
    assert_int_equal(gw->opts.cache_max_entry_bytes, 65536);
    assert_true(gw->opts.cache_require_namespace);
    assert_string_equal(gw->opts.prices_path, "/usr/share/llmgw/prices.json");
    assert_true(gw->opts.tag_filtering);
    /* dynamic routing */
    assert_int_equal(gw->rules.n, 2);
    assert_string_equal(llmgw__rule_name(gw->rules.items[0]), "long-inputs");
    assert_string_equal(llmgw__rule_target(gw->rules.items[0]), "big");
    assert_string_equal(llmgw__rule_target(gw->rules.items[1]), "fast");
    assert_string_equal(gw->rules.builtin_simple, "local");
    assert_string_equal(gw->rules.builtin_complex, "smart");
    /* budgets per customer and tag: the ledger */
    st.version = 1;
    assert_int_equal(llmgw_gateway_budget_status(gw, LLMGW_BUDGET_CUSTOMER, "acme", &st), 0);
    assert_int_equal(st.limit_nusd, 100000000000);
    assert_int_equal(st.period, LLMGW_PERIOD_MONTHLY);
    assert_int_equal(llmgw_gateway_budget_status(gw, LLMGW_BUDGET_TAG, "batch", &st), 0);
    assert_int_equal(st.limit_nusd, 2500000000);
    assert_int_equal(st.period, LLMGW_PERIOD_DAILY);
    assert_int_equal(llmgw_gateway_budget_status(gw, LLMGW_BUDGET_TAG, "acme", &st), LLMGW_ENOTFOUND);
    /* the rest: settings */
    assert_non_null(s);
    assert_int_equal(s->cache.type, LLMGW__CACHE_REDIS);
    assert_true(s->cache.default_off);
    assert_true(s->redis.configured);
    assert_string_equal(s->redis.host, "127.0.0.1");
    assert_int_equal(s->redis.port, 6380);
    assert_string_equal(s->redis.password, "redis-pass-0006");
    assert_int_equal(s->redis.db, 2);
    assert_string_equal(s->redis.key_prefix, "llmgw:test:");
    assert_int_equal(s->redis.command_timeout_ms, 50);
    assert_string_equal(s->usage_log_path, "/var/log/llmgw/usage.jsonl");
    assert_false(s->capture_content);
    assert_int_equal(s->nbudgets, 2);                         /* for every request */
    assert_int_equal(s->budgets[0].max_nusd, 50000000000);    /* litellm_settings.max_budget, 30d */
    assert_int_equal(s->budgets[0].period, LLMGW_PERIOD_MONTHLY);
    assert_int_equal(s->budgets[1].max_nusd, 5000000000);     /* llmgw_settings.budget.max_usd_per_day */
    assert_int_equal(s->budgets[1].period, LLMGW_PERIOD_DAILY);
    /* ... and on the ledger, gateway-wide */
    assert_int_equal(llmgw_gateway_budget_status(gw, LLMGW_BUDGET_GLOBAL, "monthly", &st), 0);
    assert_int_equal(st.limit_nusd, 50000000000);
    assert_int_equal(llmgw_gateway_budget_status(gw, LLMGW_BUDGET_GLOBAL, "daily", &st), 0);
    assert_int_equal(st.limit_nusd, 5000000000);
}

/* The full config's only warning: its price file, which this machine does not have. */
static void check_full_warnings(const cfg_log *log)
{
    if (cfg_log_warnings(log) != 1 ||
        !cfg_log_find(log, LLMGW_LOG_WARN, "price file '/usr/share/llmgw/prices.json' not found: using the "
                                           "built-in price table")) {
        cfg_log_dump(log);
        fail_msg("unexpected warnings");
    }
}

static void test_json_and_yaml_load_the_same(void **state)
{
    llmgw_gateway *gj = NULL, *gy = NULL;
    cfg_log log = { 0 };
    llmgw_gateway_options o = cfg_opts(&log, LLMGW_LOG_DEBUG);

    (void)state;
    if (llmgw_gateway_open(&gj, DATA "full.json", &o) != 0)
        fail_msg("%s", llmgw_error_last()->message);
    check_full(gj);
    check_full_warnings(&log);
    cfg_log_clear(&log);
    CFG_SKIP_WITHOUT_YAML();
    if (llmgw_gateway_open(&gy, DATA "full.yaml", &o) != 0)
        fail_msg("%s", llmgw_error_last()->message);
    cfg_assert_same_gateway(gj, gy);
    check_full(gy);
    check_full_warnings(&log);
    llmgw_gateway_free(gj);
    llmgw_gateway_free(gy);
    cfg_log_clear(&log);
}

static void test_example_files(void **state)
{
    llmgw_gateway *gj = NULL, *gy = NULL;
    llmgw_request *req = NULL;
    llmgw_response *r = NULL;
    cfg_log log = { 0 };
    llmgw_gateway_options o = cfg_opts(&log, LLMGW_LOG_WARN);

    (void)state;
    if (llmgw_gateway_open(&gj, LLMGW_SOURCE_ROOT "/examples/config/llmgw.json", &o) != 0)
        fail_msg("%s", llmgw_error_last()->message);
    assert_int_equal(log.n, 0);
    assert_int_equal(llmgw_gateway_group_size(gj, "smart"), 2);
    assert_int_equal(llmgw_gateway_group_size(gj, "local"), 1);
    /* it serves: the alias reaches the mock deployments */
    assert_int_equal(llmgw_request_new(&req, "fast"), 0);
    assert_int_equal(llmgw_request_add_message(req, LLMGW_ROLE_USER, "hi"), 0);
    if (llmgw_complete(gj, req, &r) != 0)
        fail_msg("%s", llmgw_error_last()->message);
    assert_contains(llmgw_response_text(r), "Hello from smart-");
    llmgw_response_free(r);
    llmgw_request_free(req);
    CFG_SKIP_WITHOUT_YAML();
    if (llmgw_gateway_open(&gy, LLMGW_SOURCE_ROOT "/examples/config/llmgw.yaml", &o) != 0)
        fail_msg("%s", llmgw_error_last()->message);
    assert_int_equal(log.n, 0);
    cfg_assert_same_gateway(gj, gy);
    llmgw_gateway_free(gj);
    llmgw_gateway_free(gy);
}

/* data/ecosystem.yaml: docs/ecosystem.md §1's example, verbatim. */
static void test_ecosystem_example(void **state)
{
    llmgw_gateway *gw = NULL;
    cfg_log log = { 0 };
    llmgw_gateway_options o = cfg_opts(&log, LLMGW_LOG_WARN);
    const llmgw__deployment *d;
    const char *home = getenv("HOME");
    char *saved_home = home ? strdup(home) : NULL;

    (void)state;
    CFG_SKIP_WITHOUT_YAML();
    setenv("ANTHROPIC_API_KEY", "sk-ant-eco-sentinel-1111", 1);
    setenv("OPENAI_API_KEY", "sk-eco-sentinel-2222", 1);
    setenv("OLLAMA_HOST", "http://127.0.0.1:11434", 1);
    setenv("HOME", "/home/tester", 1);
    if (llmgw_gateway_open(&gw, DATA "ecosystem.yaml", &o) != 0)
        fail_msg("%s", llmgw_error_last()->message);
    /* one warning: the price file it names is not on this machine */
    assert_int_equal(log.n, 1);
    assert_non_null(cfg_log_find(&log, LLMGW_LOG_WARN, "price file '/usr/share/llmgw/model_prices_and_context_"
                                                      "window.json' not found: using the built-in price table"));
    assert_int_equal(gw->ndeps, 3);
    assert_int_equal(llmgw_gateway_group_size(gw, "smart"), 2);
    d = cfg_dep_of(gw, "anthropic");
    assert_string_equal(d->api_key, "sk-ant-eco-sentinel-1111");
    assert_int_equal(d->rpm, 500);
    d = cfg_dep_of(gw, "ollama");
    assert_string_equal(d->api_base, "http://127.0.0.1:11434");
    assert_true(d->custom_prices);
    assert_int_equal(gw->opts.max_attempts, 3);
    assert_int_equal(gw->opts.allowed_fails, 4);
    assert_int_equal(gw->opts.cooldown_ms, 60000);
    assert_string_equal(llmgw__routes_fallback(&gw->routes, LLMGW_FALLBACK_DEFAULT, "smart", 0), "local");
    assert_true(gw->opts.cache_enabled);
    assert_int_equal(gw->opts.cache_ttl_ms, 600000);
    assert_string_equal(gw->opts.cache_namespace, "myapp");
    assert_string_equal(gw->opts.prices_path, "/usr/share/llmgw/model_prices_and_context_window.json");
    assert_int_equal(gw->settings->cache.type, LLMGW__CACHE_LOCAL);
    assert_string_equal(gw->settings->usage_log_path, "/home/tester/.local/state/llmgw/log.jsonl");
    assert_int_equal(gw->settings->nbudgets, 1);
    assert_int_equal(gw->settings->budgets[0].max_nusd, 5000000000);
    {
        llmgw_budget_status st;
        assert_int_equal(llmgw_gateway_budget_status(gw, LLMGW_BUDGET_GLOBAL, NULL, &st), 0);   /* the only one */
        assert_int_equal(st.limit_nusd, 5000000000);
        assert_int_equal(st.period, LLMGW_PERIOD_DAILY);
    }
    llmgw_gateway_free(gw);
    cfg_log_clear(&log);
    unsetenv("ANTHROPIC_API_KEY");
    unsetenv("OPENAI_API_KEY");
    unsetenv("OLLAMA_HOST");
    if (saved_home != NULL)
        setenv("HOME", saved_home, 1);
    free(saved_home);
}

static void test_open_buffer(void **state)
{
    static const char text[] = "{\"model_list\": [{\"model_name\": \"m\", \"litellm_params\": "
                               "{\"model\": \"mock/x\"}}]} trailing";
    llmgw_gateway *gw = NULL;

    (void)state;
    /* len bounds the text: what follows is never read */
    assert_int_equal(llmgw_gateway_open_buffer(&gw, text, strlen(text) - 9, "json", NULL), 0);
    assert_int_equal(llmgw_gateway_group_size(gw, "m"), 1);
    assert_non_null(gw->settings);
    llmgw_gateway_free(gw);
    /* format sniffed when NULL; JSON is YAML's subset, so "yaml" reads it too when built */
    assert_int_equal(llmgw_gateway_open_buffer(&gw, text, strlen(text) - 9, NULL, NULL), 0);
    llmgw_gateway_free(gw);
    if (LLMGW_HAVE_YAML) {
        assert_int_equal(llmgw_gateway_open_buffer(&gw, text, strlen(text) - 9, "yaml", NULL), 0);
        assert_int_equal(llmgw_gateway_group_size(gw, "m"), 1);
        llmgw_gateway_free(gw);
    }
    /* an empty model list is a valid config: deployments may come from code */
    assert_int_equal(cfg_load(&gw, "{}", "json", NULL), 0);
    assert_int_equal(gw->ndeps, 0);
    llmgw_gateway_free(gw);
    /* argument checks */
    assert_fails_with(llmgw_gateway_open_buffer(&gw, NULL, 0, "json", NULL), LLMGW_EINVAL, "text");
    assert_fails_with(llmgw_gateway_open_buffer(&gw, "{}", 2, "toml", NULL), LLMGW_EINVAL, "unknown config format");
    assert_null(gw);
}

/* The file's settings override the caller's options; hooks and the seed stay the caller's. */
static void test_file_overrides_options(void **state)
{
    llmgw_gateway *gw = NULL;
    cfg_log log = { 0 };
    llmgw_gateway_options o = cfg_opts(&log, LLMGW_LOG_INFO);

    (void)state;
    o.deadline_ms = 1234;
    o.connect_timeout_ms = 999;
    o.max_attempts = 7;
    o.seed = 42;
    assert_int_equal(cfg_load(&gw, "{\"router_settings\": {\"timeout\": 2}}", "json", &o), 0);
    assert_int_equal(gw->opts.deadline_ms, 2000);
    assert_int_equal(gw->opts.connect_timeout_ms, 999);
    assert_int_equal(gw->opts.max_attempts, 7);
    assert_int_equal(gw->opts.seed, 42);
    assert_ptr_equal(gw->opts.log_cb, cfg_log_cb);
    assert_ptr_equal(gw->opts.log_userdata, &log);
    assert_non_null(cfg_log_find(&log, LLMGW_LOG_INFO, "<buffer>: loaded 0 deployments in 0 groups"));
    llmgw_gateway_free(gw);
    cfg_log_clear(&log);
    /* num_retries beyond llmgw's 10 attempts: a warning, and the cap */
    assert_int_equal(cfg_load(&gw, "{\"litellm_settings\": {\"num_retries\": 25}}", "json", &o), 0);
    assert_int_equal(gw->opts.max_attempts, 10);
    assert_non_null(cfg_log_find(&log, LLMGW_LOG_WARN, "litellm_settings.num_retries: llmgw makes at most 10"));
    llmgw_gateway_free(gw);
    cfg_log_clear(&log);
    /* settings is the short name of litellm_settings */
    assert_int_equal(cfg_load(&gw, "{\"settings\": {\"num_retries\": 0, \"request_timeout\": 0.5}}", "json", &o), 0);
    assert_int_equal(gw->opts.max_attempts, 1);
    assert_int_equal(gw->opts.deadline_ms, 500);
    llmgw_gateway_free(gw);
    cfg_log_clear(&log);
}

/* Unknown keys are warnings with their path; ignored sections are INFO. */
static void test_unknown_keys_warn(void **state)
{
    static const char text[] =
        "{\"model_list\": [{\"model_name\": \"m\", \"litellm_params\": {\"model\": \"mock/x\", \"frobnicate\": 3, "
        "\"vertex_project\": \"p\", \"max_retries\": 2}, \"model_info\": {\"id\": \"m1\", \"colour\": \"red\", "
        "\"supports_vision\": true}, \"extra\": 1}],\n"
        " \"router_settings\": {\"num_retries\": 1, \"routing_strategy_args\": {}, \"bogus\": true,"
        " \"retry_policy\": {\"TeapotErrorRetries\": 1}},\n"
        " \"litellm_settings\": {\"callbacks\": [\"langfuse\"], \"success_callback\": [\"x\"], \"set_verbose\": true,"
        " \"cache_params\": {\"type\": \"local\", \"weird\": 1}},\n"
        " \"general_settings\": {\"master_key\": \"os.environ/LLMGW_TEST_NEVER_SET\"},\n"
        " \"environment_variables\": {\"A\": \"b\"},\n"
        " \"llmgw_settings\": {\"unknown_knob\": 1},\n"
        " \"toplevel_typo\": {}}";
    llmgw_gateway *gw = NULL;
    cfg_log log = { 0 };
    llmgw_gateway_options o = cfg_opts(&log, LLMGW_LOG_DEBUG);
    const llmgw__deployment *d;

    (void)state;
    unsetenv("LLMGW_TEST_NEVER_SET");
    if (cfg_load(&gw, text, "json", &o) != 0)
        fail_msg("%s", llmgw_error_last()->message);
#define WARNS(s) do { if (!cfg_log_find(&log, LLMGW_LOG_WARN, s)) { cfg_log_dump(&log); fail_msg("no warning: %s", s); } } while (0)
#define INFOS(s) do { if (!cfg_log_find(&log, LLMGW_LOG_INFO, s)) { cfg_log_dump(&log); fail_msg("no info: %s", s); } } while (0)
    WARNS("<buffer>: model_list[0].litellm_params.frobnicate: unknown key; passed to the provider");
    WARNS("model_list[0].litellm_params.vertex_project: ignored: Vertex AI");
    WARNS("model_list[0].litellm_params.max_retries: ignored: llmgw owns retries");
    WARNS("model_list[0].model_info.colour: unknown key; ignored");
    WARNS("model_list[0].extra: unknown key; ignored");
    WARNS("router_settings.bogus: unknown key; ignored");
    WARNS("router_settings.routing_strategy_args: ignored");
    WARNS("router_settings.retry_policy.TeapotErrorRetries: unknown error class");
    WARNS("litellm_settings.callbacks: ignored: llmgw's hooks");
    WARNS("litellm_settings.success_callback: ignored");
    WARNS("litellm_settings.cache_params.weird: unknown key; ignored");
    WARNS("litellm_settings.cache_params: given, but cache is not true");
    WARNS("llmgw_settings.unknown_knob: unknown key; ignored");
    WARNS("toplevel_typo: unknown key; ignored");
    INFOS("general_settings: ignored: LiteLLM proxy server settings");
    INFOS("environment_variables: ignored: a library never sets the process environment");
    INFOS("litellm_settings.set_verbose: ignored");
    INFOS("model_list[0].model_info.supports_vision: ignored");
#undef WARNS
#undef INFOS
    /* the unknown litellm_param reaches the provider; the dropped ones do not */
    d = cfg_dep(gw, "m1");
    assert_non_null(d);
    assert_non_null(cJSON_GetObjectItem(d->params, "frobnicate"));
    assert_null(cJSON_GetObjectItem(d->params, "vertex_project"));
    assert_null(cJSON_GetObjectItem(d->params, "max_retries"));
    llmgw_gateway_free(gw);
    cfg_log_clear(&log);
    /* at the default level (WARN) the INFO lines stay out */
    o.log_level = 0;
    assert_int_equal(cfg_load(&gw, text, "json", &o), 0);
    assert_null(cfg_log_find(&log, LLMGW_LOG_INFO, ""));
    assert_non_null(cfg_log_find(&log, LLMGW_LOG_WARN, "toplevel_typo"));
    llmgw_gateway_free(gw);
    cfg_log_clear(&log);
}

static char *many_deployments(bool yaml, size_t n)
{
    llmgw_buf b = LLMGW_BUF_INIT;
    size_t i;

    assert_int_equal(llmgw__buf_puts(&b, yaml ? "model_list:\n" : "{\"model_list\": [\n"), 0);
    for (i = 0; i < n; i++) {
        if (yaml)
            assert_int_equal(llmgw__buf_printf(&b, "  - model_name: group-%zu\n    litellm_params:\n"
                                                   "      model: mock/model-%zu\n      rpm: %zu\n      weight: %zu\n"
                                                   "      api_key: os.environ/LLMGW_TEST_MANY_KEY\n"
                                                   "    model_info: { id: dep-%zu, max_input_tokens: 8192 }\n",
                                               i % 100, i, 100 + i, 1 + i % 5, i), 0);
        else
            assert_int_equal(llmgw__buf_printf(&b, "%s{\"model_name\": \"group-%zu\", \"litellm_params\": "
                                                   "{\"model\": \"mock/model-%zu\", \"rpm\": %zu, \"weight\": %zu, "
                                                   "\"api_key\": \"os.environ/LLMGW_TEST_MANY_KEY\"}, \"model_info\": "
                                                   "{\"id\": \"dep-%zu\", \"max_input_tokens\": 8192}}\n",
                                               i ? "," : "", i % 100, i, 100 + i, 1 + i % 5, i), 0);
    }
    assert_int_equal(llmgw__buf_puts(&b, yaml ? "router_settings:\n  fallbacks: [{ group-0: [group-1] }]\n"
                                              : "], \"router_settings\": {\"fallbacks\": [{\"group-0\": [\"group-1\"]}]}}\n"),
                     0);
    return llmgw__buf_detach(&b);
}

static double now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void test_thousand_deployments(void **state)
{
    llmgw_gateway *gw = NULL, *gy = NULL;
    char *text;
    double t0;

    (void)state;
    setenv("LLMGW_TEST_MANY_KEY", "many-key-sentinel", 1);
    text = many_deployments(false, 1000);
    t0 = now_ms();
    if (cfg_load(&gw, text, "json", NULL) != 0)
        fail_msg("%s", llmgw_error_last()->message);
    print_message("1,000 deployments (JSON, %zu bytes) loaded in %.1f ms\n", strlen(text), now_ms() - t0);
    llmgw__free(text);
    assert_int_equal(gw->ndeps, 1000);
    assert_int_equal(gw->ngroups, 100);
    assert_int_equal(llmgw_gateway_group_size(gw, "group-7"), 10);
    assert_string_equal(cfg_dep(gw, "dep-999")->api_key, "many-key-sentinel");
    if (LLMGW_HAVE_YAML) {
        text = many_deployments(true, 1000);
        t0 = now_ms();
        if (cfg_load(&gy, text, "yaml", NULL) != 0)
            fail_msg("%s", llmgw_error_last()->message);
        print_message("1,000 deployments (YAML, %zu bytes) loaded in %.1f ms\n", strlen(text), now_ms() - t0);
        llmgw__free(text);
        cfg_assert_same_gateway(gw, gy);
        llmgw_gateway_free(gy);
    }
    llmgw_gateway_free(gw);
    unsetenv("LLMGW_TEST_MANY_KEY");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_and_yaml_load_the_same),
        cmocka_unit_test(test_example_files),
        cmocka_unit_test(test_ecosystem_example),
        cmocka_unit_test(test_open_buffer),
        cmocka_unit_test(test_file_overrides_options),
        cmocka_unit_test(test_unknown_keys_warn),
        cmocka_unit_test(test_thousand_deployments),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
