/*
 * tests/config/test_config_yaml.c: YAML specifics: scalar typing as PyYAML
 * (YAML 1.1) does it for LiteLLM users, quoted scalars staying strings,
 * anchors, aliases and merge keys.
 */
#include "cfg_test.h"

#include <math.h>

typedef struct scalar_case {
    const char *text;
    int         quoted;
    const char *tag;
    int         type;     /* cJSON_* */
    double      number;
    const char *string;   /* for strings */
} scalar_case;

static const scalar_case scalars[] = {
    { "True", 0, NULL, cJSON_True, 0, NULL },
    { "true", 0, NULL, cJSON_True, 0, NULL },
    { "TRUE", 0, NULL, cJSON_True, 0, NULL },
    { "yes", 0, NULL, cJSON_True, 0, NULL },
    { "On", 0, NULL, cJSON_True, 0, NULL },
    { "False", 0, NULL, cJSON_False, 0, NULL },
    { "no", 0, NULL, cJSON_False, 0, NULL },
    { "OFF", 0, NULL, cJSON_False, 0, NULL },
    { "tRUE", 0, NULL, cJSON_String, 0, "tRUE" },
    { "y", 0, NULL, cJSON_String, 0, "y" },
    { "", 0, NULL, cJSON_NULL, 0, NULL },
    { "~", 0, NULL, cJSON_NULL, 0, NULL },
    { "null", 0, NULL, cJSON_NULL, 0, NULL },
    { "Null", 0, NULL, cJSON_NULL, 0, NULL },
    { "0", 0, NULL, cJSON_Number, 0, NULL },
    { "-17", 0, NULL, cJSON_Number, -17, NULL },
    { "+42", 0, NULL, cJSON_Number, 42, NULL },
    { "1_000_000", 0, NULL, cJSON_Number, 1000000, NULL },
    { "0x1F", 0, NULL, cJSON_Number, 31, NULL },
    { "0b101", 0, NULL, cJSON_Number, 5, NULL },
    { "017", 0, NULL, cJSON_Number, 15, NULL },
    { "09", 0, NULL, cJSON_String, 0, "09" },
    { "1:30", 0, NULL, cJSON_Number, 90, NULL },
    { "1:30:05", 0, NULL, cJSON_Number, 5405, NULL },
    { "10:61", 0, NULL, cJSON_String, 0, "10:61" },
    { "1.5", 0, NULL, cJSON_Number, 1.5, NULL },
    { "-0.25", 0, NULL, cJSON_Number, -0.25, NULL },
    { ".5", 0, NULL, cJSON_Number, 0.5, NULL },
    { "5.", 0, NULL, cJSON_Number, 5, NULL },
    { "1.5e-6", 0, NULL, cJSON_Number, 1.5e-6, NULL },
    { "1e-6", 0, NULL, cJSON_Number, 1e-6, NULL },
    { "2E+3", 0, NULL, cJSON_Number, 2000, NULL },
    { "1_0.2_5", 0, NULL, cJSON_Number, 10.25, NULL },
    { "e5", 0, NULL, cJSON_String, 0, "e5" },
    { ".", 0, NULL, cJSON_String, 0, "." },
    { "-", 0, NULL, cJSON_String, 0, "-" },
    { "1e", 0, NULL, cJSON_String, 0, "1e" },
    { "2024-02-01", 0, NULL, cJSON_String, 0, "2024-02-01" },
    { "gpt-4o", 0, NULL, cJSON_String, 0, "gpt-4o" },
    { "v1:0", 0, NULL, cJSON_String, 0, "v1:0" },
    { "os.environ/KEY", 0, NULL, cJSON_String, 0, "os.environ/KEY" },
    /* quoted, literal and folded scalars stay strings */
    { "True", 1, NULL, cJSON_String, 0, "True" },
    { "123", 1, NULL, cJSON_String, 0, "123" },
    { "", 1, NULL, cJSON_String, 0, "" },
    { "null", 1, NULL, cJSON_String, 0, "null" },
    /* standard tags */
    { "123", 0, "tag:yaml.org,2002:str", cJSON_String, 0, "123" },
    { "123", 1, "tag:yaml.org,2002:int", cJSON_Number, 123, NULL },
    { "1.5", 0, "tag:yaml.org,2002:float", cJSON_Number, 1.5, NULL },
    { "yes", 0, "tag:yaml.org,2002:bool", cJSON_True, 0, NULL },
    { "~", 0, "tag:yaml.org,2002:null", cJSON_NULL, 0, NULL },
    { "True", 0, "!", cJSON_String, 0, "True" },
};

/* Pure string work: runs with or without libyaml. */
static void test_scalar_typing(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < LLMGW_ARRAY_SIZE(scalars); i++) {
        const scalar_case *sc = &scalars[i];
        const char *why = NULL;
        cJSON *v = llmgw__cfg_yaml_scalar(sc->text, strlen(sc->text),
                                          sc->quoted ? LLMGW__SCALAR_QUOTED : LLMGW__SCALAR_PLAIN, sc->tag, &why);
        if (v == NULL)
            fail_msg("case %zu '%s': %s", i, sc->text, why ? why : "NULL");
        if ((v->type & 0xFF) != sc->type)
            fail_msg("case %zu '%s': type %d, want %d", i, sc->text, v->type & 0xFF, sc->type);
        if (sc->type == cJSON_Number && v->valuedouble != sc->number)
            fail_msg("case %zu '%s': %.17g, want %.17g", i, sc->text, v->valuedouble, sc->number);
        if (sc->type == cJSON_String)
            assert_string_equal(v->valuestring, sc->string);
        cJSON_Delete(v);
    }
}

static void test_scalar_refusals(void **state)
{
    static const struct { const char *text; const char *tag; const char *why; } refused[] = {
        { ".inf", NULL, ".inf and .nan" },
        { "-.Inf", NULL, ".inf and .nan" },
        { ".NaN", NULL, ".inf and .nan" },
        { "abc", "tag:yaml.org,2002:int", "does not match its tag" },
        { "1", "tag:yaml.org,2002:bool", "does not match its tag" },
        { "x", "tag:yaml.org,2002:timestamp", "unsupported tag" },
        { "x", "!secret", "unsupported tag" },
    };
    const char *why;
    size_t i;

    (void)state;
    for (i = 0; i < LLMGW_ARRAY_SIZE(refused); i++) {
        assert_null(llmgw__cfg_yaml_scalar(refused[i].text, strlen(refused[i].text), LLMGW__SCALAR_PLAIN,
                                           refused[i].tag, &why));
        assert_non_null(why);
        assert_contains(why, refused[i].why);
    }
    assert_null(llmgw__cfg_yaml_scalar("a\0b", 3, LLMGW__SCALAR_QUOTED, NULL, &why));
    assert_contains(why, "NUL");
}

/* Anchors, aliases and << merge keys, as LiteLLM configs use them to share litellm_params. */
static void test_anchors_and_merge(void **state)
{
    static const char text[] =
        "model_list:\n"
        "  - model_name: smart\n"
        "    litellm_params: &base\n"
        "      model: mock/m1\n"
        "      rpm: 10\n"
        "      timeout: 30\n"
        "    model_info: { id: a }\n"
        "  - model_name: smart\n"
        "    litellm_params:\n"
        "      <<: *base\n"
        "      rpm: 20\n"
        "    model_info: { id: b }\n"
        "  - model_name: other\n"
        "    litellm_params:\n"
        "      <<: [{ model: mock/m3, weight: 2 }, *base]\n"
        "    model_info: { id: c }\n"
        "  - model_name: copy\n"
        "    litellm_params: *base\n"
        "    model_info: &info { id: d }\n"
        "router_settings:\n"
        "  fallbacks: [{ smart: &targets [other] }, { copy: *targets }]\n";
    llmgw_gateway *gw = NULL;
    const llmgw__deployment *d;

    (void)state;
    CFG_SKIP_WITHOUT_YAML();
    if (cfg_load(&gw, text, "yaml", NULL) != 0)
        fail_msg("%s", llmgw_error_last()->message);
    d = cfg_dep(gw, "a");
    assert_non_null(d);
    assert_int_equal(d->rpm, 10);
    d = cfg_dep(gw, "b");
    assert_non_null(d);
    assert_string_equal(d->model, "m1");
    assert_int_equal(d->rpm, 20);            /* the mapping's own key wins */
    assert_int_equal(d->timeout_ms, 30000);
    d = cfg_dep(gw, "c");
    assert_non_null(d);
    assert_string_equal(d->model, "m3");     /* earlier merge sources win */
    assert_int_equal(d->weight, 2);
    assert_int_equal(d->rpm, 10);
    d = cfg_dep(gw, "d");
    assert_non_null(d);
    assert_string_equal(d->model, "m1");
    assert_string_equal(llmgw__routes_fallback(&gw->routes, LLMGW_FALLBACK_DEFAULT, "smart", 0), "other");
    assert_string_equal(llmgw__routes_fallback(&gw->routes, LLMGW_FALLBACK_DEFAULT, "copy", 0), "other");
    llmgw_gateway_free(gw);
}

/* An anchor inside a merge source stays usable after the merge. */
static void test_anchor_inside_merge_source(void **state)
{
    static const char text[] =
        "router_settings:\n"
        "  <<: { num_retries: &n 4 }\n"
        "  retry_policy: { RateLimitErrorRetries: *n }\n";
    llmgw_gateway *gw = NULL;

    (void)state;
    CFG_SKIP_WITHOUT_YAML();
    if (cfg_load(&gw, text, "yaml", NULL) != 0)
        fail_msg("%s", llmgw_error_last()->message);
    assert_int_equal(gw->opts.max_attempts, 5);
    assert_int_equal(atomic_load(&gw->retry_policy[LLMGW_ERRCLASS_RATE_LIMIT]), 4);
    llmgw_gateway_free(gw);
}

/* Booleans and numbers the way LiteLLM configs write them; quoted values stay strings. */
static void test_litellm_style_values(void **state)
{
    static const char text[] =
        "model_list:\n"
        "  - model_name: \"123\"\n"
        "    litellm_params:\n"
        "      model: mock/x\n"
        "      input_cost_per_token: 1e-6\n"
        "      output_cost_per_token: 0.000002\n"
        "      mock_response: |\n"
        "        line one\n"
        "        line two\n"
        "litellm_settings:\n"
        "  drop_params: True\n"
        "  cache: yes\n"
        "  cache_params:\n"
        "    type: local\n"
        "    ttl: 1:00\n"           /* sexagesimal, as PyYAML reads it: 60 */
        "router_settings:\n"
        "  disable_cooldowns: off\n"
        "  num_retries: 0x3\n";
    llmgw_gateway *gw = NULL;

    (void)state;
    CFG_SKIP_WITHOUT_YAML();
    if (cfg_load(&gw, text, "yaml", NULL) != 0)
        fail_msg("%s", llmgw_error_last()->message);
    assert_int_equal(llmgw_gateway_group_size(gw, "123"), 1);
    assert_true(gw->deps[0]->custom_prices);
    assert_true(gw->deps[0]->input_cost_per_token == 1e-6);
    assert_string_equal(cJSON_GetObjectItem(gw->deps[0]->params, "mock_response")->valuestring,
                        "line one\nline two\n");
    assert_int_equal(gw->opts.drop_params, 1);
    assert_true(gw->opts.cache_enabled);
    assert_int_equal(gw->opts.cache_ttl_ms, 60000);
    assert_int_equal(gw->opts.breaker_disabled, 0);
    assert_int_equal(gw->opts.max_attempts, 4);
    llmgw_gateway_free(gw);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scalar_typing),
        cmocka_unit_test(test_scalar_refusals),
        cmocka_unit_test(test_anchors_and_merge),
        cmocka_unit_test(test_anchor_inside_merge_source),
        cmocka_unit_test(test_litellm_style_values),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
