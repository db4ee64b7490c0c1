/*
 * tests/report/test_report_errors.c: the options of llmgw_cost_report()
 * and llmgw_cost_simulate() and their errors (nothing half-written), and a
 * simulation priced from a LiteLLM price file over the built-in table.
 */
#include "report_test.h"

/* ---- options and errors ---- */

static void test_errors(void **state)
{
    char *dir = tmpdir_new(), path[256], missing[256];
    const char *paths[1] = { path }, *nowhere[1] = { missing }, *self[1] = { dir };
    const char *bad_map[1] = { "gpt-4o" };
    llmgw_report_options o = LLMGW_REPORT_OPTIONS_INIT;
    llmgw_buf out = LLMGW_BUF_INIT;

    (void)state;
    snprintf(path, sizeof(path), "%s/log", dir);
    snprintf(missing, sizeof(missing), "%s/missing", dir);
    write_file(path, "{\"status\":\"success\",\"model\":\"gpt-4o\",\"provider\":\"openai\",\"cost_nano_usd\":1}\n");
    assert_int_equal(llmgw__buf_puts(&out, "kept"), 0);

    assert_int_equal(llmgw_report_options_init(&o, 1), 0);
    assert_int_equal(o.version, 1);
    assert_int_equal(llmgw_report_options_init(&o, 2), LLMGW_EVERSION);
    o.version = 9;
    assert_int_equal(llmgw_cost_report(&out, paths, 1, &o), LLMGW_EVERSION);
    o.version = 1;
    o.by = "week";
    assert_fails_with(llmgw_cost_report(&out, paths, 1, &o), LLMGW_EINVAL, "by: 'week'");
    o.by = NULL;
    o.format = "xml";
    assert_fails_with(llmgw_cost_report(&out, paths, 1, &o), LLMGW_EINVAL, "format");
    o.format = NULL;
    o.since = "2026-02-01";
    o.until = "2026-01-01";
    assert_fails_with(llmgw_cost_report(&out, paths, 1, &o), LLMGW_EINVAL, "since must be before until");
    o.until = "tomorrow";
    assert_fails_with(llmgw_cost_report(&out, paths, 1, &o), LLMGW_EINVAL, "until: invalid time 'tomorrow'");
    o.since = o.until = NULL;
    assert_fails_with(llmgw_cost_report(&out, NULL, 1, &o), LLMGW_EINVAL, "paths");
    assert_fails_with(llmgw_cost_report(&out, nowhere, 1, &o), LLMGW_ENOTFOUND, missing);
    assert_fails_with(llmgw_cost_report(&out, self, 1, &o), LLMGW_ERROR, "is a directory");

    assert_fails_with(llmgw_cost_simulate(&out, paths, 1, &o), LLMGW_EINVAL, "nothing to simulate");
    assert_fails_with(llmgw_cost_simulate(&out, paths, 1, NULL), LLMGW_EINVAL, "nothing to simulate");
    o.as = "openai/gpt-4o-mini";
    o.map = bad_map;
    o.map_count = 1;
    assert_fails_with(llmgw_cost_simulate(&out, paths, 1, &o), LLMGW_EINVAL, "not both");
    o.as = NULL;
    assert_fails_with(llmgw_cost_simulate(&out, paths, 1, &o), LLMGW_EINVAL, "map[0]: 'gpt-4o' is not from=to");
    o.map_count = 0;
    o.as = "openai/gpt-9";
    assert_fails_with(llmgw_cost_simulate(&out, paths, 1, &o), LLMGW_ENOTFOUND, "no price for 'openai/gpt-9'");
    o.as = "/gpt-4o";
    assert_fails_with(llmgw_cost_simulate(&out, paths, 1, &o), LLMGW_EINVAL, "is not provider/model");
    o.as = "openai/gpt-4o-mini";
    o.project_cache = 1;
    o.cache_hit_rate = 1.5;
    assert_fails_with(llmgw_cost_simulate(&out, paths, 1, &o), LLMGW_EINVAL, "cache_hit_rate");
    o.cache_hit_rate = 0.5;
    o.prices_path = missing;
    assert_int_equal(llmgw_cost_simulate(&out, paths, 1, &o), LLMGW_ENOTFOUND);
    assert_string_equal(out.ptr, "kept");               /* nothing half-written */
    o.prices_path = NULL;

    /* no logs at all: an empty report */
    assert_int_equal(llmgw_cost_report(&out, NULL, 0, NULL), 0);
    assert_contains(out.ptr, "kept{\"report\":\"cost\",\"by\":\"model\",\"since\":null,\"until\":null,");
    assert_contains(out.ptr, "\"groups\":[]}\n");
    llmgw_buf_dispose(&out);
    tmpdir_free(dir);
}

/* ---- a price file over the built-in table ---- */

static void test_simulate_price_file(void **state)
{
    char *dir = tmpdir_new(), path[256], prices[256];
    const char *paths[1] = { path };
    const char *map[2] = { "gpt-4o=openai/house-model", "anthropic/claude-sonnet-4-5=openai/gpt-4o-mini" };
    llmgw_report_options o = LLMGW_REPORT_OPTIONS_INIT;
    llmgw_buf out = LLMGW_BUF_INIT;
    cJSON *doc;
    const cJSON *t, *w;

    (void)state;
    snprintf(path, sizeof(path), "%s/log", dir);
    snprintf(prices, sizeof(prices), "%s/prices.json", dir);
    write_file(prices, "{\"house-model\": {\"litellm_provider\": \"openai\", \"mode\": \"chat\","
                       " \"input_cost_per_token\": 1e-06, \"output_cost_per_token\": 3e-06,"
                       " \"cache_read_input_token_cost\": 5e-07, \"max_input_tokens\": 4000}}");
    write_file(path,
               "{\"status\":\"success\",\"group\":\"g\",\"provider\":\"openai\",\"model\":\"gpt-4o\","
               "\"input_tokens\":3000,\"cache_read_tokens\":1000,\"output_tokens\":2000,\"cost_nano_usd\":100}\n"
               "{\"status\":\"success\",\"group\":\"g\",\"provider\":\"anthropic\",\"model\":\"claude-sonnet-4-5\","
               "\"input_tokens\":1000,\"output_tokens\":100,\"cost_nano_usd\":4500000}\n"
               "{\"status\":\"success\",\"group\":\"h\",\"provider\":\"gemini\",\"model\":\"gemini-2.5-pro\","
               "\"input_tokens\":10,\"output_tokens\":10,\"cost_nano_usd\":333}\n");
    o.map = map;
    o.map_count = 2;
    o.prices_path = prices;
    doc = report(paths, 1, &o, true);
    t = cJSON_GetObjectItemCaseSensitive(doc, "totals");
    /*
     * house-model: 2000 x 1 + 1000 x 0.5 (cache read) + 2000 x 3 = 8500 nano-USD per ... x 1e-6 USD:
     * (2000 x 1e6 + 1000 x 5e5 + 2000 x 3e6) / 1e6 nano = 8,500,000 / 1e3 ... computed in integers below
     */
    {
        int64_t house = (2000LL * 1000000000 + 1000LL * 500000000 + 2000LL * 3000000000 + 500000) / 1000000;
        int64_t mini = (1000LL * 150000000 + 100LL * 600000000 + 500000) / 1000000;
        assert_int_equal(num(t, "simulated_nano_usd"), house + mini + 333);
        assert_int_equal(num(t, "current_nano_usd"), 100 + 4500000 + 333);
        assert_int_equal(num(t, "repriced"), 2);
        assert_int_equal(num(group(doc, "g"), "simulated_nano_usd"), house + mini);
        assert_int_equal(num(group(doc, "h"), "difference_nano_usd"), 0);
    }
    w = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(doc, "warnings"), 0);
    assert_non_null(w);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(w, "target")->valuestring, "openai/house-model");
    assert_int_equal(num(w, "context_window"), 4000);
    assert_int_equal(num(w, "requests_too_large"), 1);       /* 3000 + 2000 > 4000 */
    assert_int_equal(num(w, "largest_request_tokens"), 5000);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(doc, "warnings")), 1);
    cJSON_Delete(doc);

    /* the text names the scenario and warns */
    o.format = "text";
    o.project_cache = 1;
    o.cache_hit_rate = 0.25;
    assert_int_equal(llmgw_cost_simulate(&out, paths, 1, &o), 0);
    assert_contains(out.ptr, "Simulated cost by group: gpt-4o as openai/house-model, "
                             "anthropic/claude-sonnet-4-5 as openai/gpt-4o-mini; cache hit rate 25%\n");
    assert_contains(out.ptr, "warning: openai/house-model: context window 4,000 tokens: 1 logged request did not fit "
                             "(largest 5,000 tokens)\n");
    llmgw_buf_dispose(&out);
    tmpdir_free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_simulate_price_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
