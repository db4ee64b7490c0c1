/*
 * tests/accounting/test_prices.c: the LiteLLM price-file loader
 * (lib/accounting/prices.c) on small files written here (good and bad
 * entries, malformed files, limits, allocation failures) and on LiteLLM's
 * full catalogue, read from ../shared at run time and never copied.
 */
#include "prices_test.h"

#include <unistd.h>

/* ---- the loader on small files ---- */

static void test_load_good(void **state)
{
    notes n = { 0 };
    llmgw__prices *t = load("{\"sample_spec\": {\"mode\": \"chat\", \"input_cost_per_token\": 0.0},"
                            " \"m1\": {\"litellm_provider\": \"openai\", \"mode\": \"chat\","
                            "  \"input_cost_per_token\": 2.5e-06, \"output_cost_per_token\": 1e-05,"
                            "  \"cache_read_input_token_cost\": 1.25e-06, \"max_input_tokens\": 128000,"
                            "  \"max_tokens\": 4096, \"supports_vision\": true, \"source\": \"x\"},"
                            " \"m2\": {\"litellm_provider\": \"together_ai\", \"mode\": \"completion\","
                            "  \"input_cost_per_token\": 1e-06, \"output_cost_per_token\": 0,"
                            "  \"max_output_tokens\": 100, \"max_tokens\": 5, \"max_input_tokens\": 8192.0}}",
                            &n);
    llmgw__prices_stats s;
    llmgw__price p;

    (void)state;
    llmgw__prices_stats_get(&s, t);
    assert_int_equal(llmgw__prices_count(t), 2);
    assert_int_equal(s.entries, 2);             /* sample_spec is not counted */
    assert_int_equal(s.loaded, 2);
    p = get(t, "openai", "m1");
    assert_string_equal(p.key, "m1");
    assert_string_equal(p.provider, "openai");
    assert_string_equal(p.source, "file");
    assert_int_equal(p.input, 2500000000);
    assert_int_equal(p.output, 10000000000);
    assert_int_equal(p.cache_read, 1250000000);
    assert_int_equal(p.cache_creation, NONE);
    assert_int_equal(p.reasoning, NONE);
    assert_int_equal(p.tier_threshold, 0);
    assert_int_equal(p.max_input_tokens, 128000);
    assert_int_equal(p.max_output_tokens, 4096);     /* max_tokens, LiteLLM's legacy output limit */
    p = get(t, "together", "m2");
    assert_string_equal(p.provider, "together");      /* LiteLLM's spelling mapped */
    assert_int_equal(p.input, 1000000000);
    assert_int_equal(p.output, 0);
    assert_int_equal(p.max_output_tokens, 100);       /* max_output_tokens wins over max_tokens */
    assert_int_equal(p.max_input_tokens, 8192);
    assert_int_equal(n.warn, 0);
    assert_int_equal(n.info, 1);
    assert_contains(n.last, "2 models loaded");
    assert_non_null(llmgw__prices_at(t, 1));
    assert_null(llmgw__prices_at(t, 2));
    llmgw__prices_free(t);
}

static void test_load_modes(void **state)
{
    llmgw__prices *t = load("{\"chat\": {\"mode\": \"chat\"},"
                            " \"resp\": {\"mode\": \"responses\", \"input_cost_per_token\": 1e-6},"
                            " \"emb\": {\"mode\": \"embedding\", \"input_cost_per_token\": 1e-7},"
                            " \"img\": {\"mode\": \"image_generation\", \"output_cost_per_token\": 1e-5},"
                            " \"nomode\": {\"input_cost_per_token\": 2e-7, \"output_cost_per_token\": 2e-7},"
                            " \"nomode_noprice\": {\"max_tokens\": 10, \"input_cost_per_second\": 1}}", NULL);
    llmgw__prices_stats s;
    llmgw__price p;

    (void)state;
    llmgw__prices_stats_get(&s, t);
    assert_int_equal(s.entries, 6);
    assert_int_equal(s.loaded, 3);
    assert_int_equal(s.skipped_mode, 3);
    assert_int_equal(s.unpriced, 2);          /* chat and resp lack an input or output rate */
    p = get(t, NULL, "chat");
    assert_int_equal(p.input, NONE);
    assert_string_equal(p.provider, "");
    get(t, NULL, "nomode");
    assert_absent(t, NULL, "emb");
    assert_absent(t, NULL, "nomode_noprice");
    llmgw__prices_free(t);
}

static void test_load_bad_entries(void **state)
{
    char long_key[200], json[4096];
    notes n = { 0 };
    llmgw__prices *t;
    llmgw__prices_stats s;

    (void)state;
    memset(long_key, 'k', sizeof(long_key) - 1);
    long_key[sizeof(long_key) - 1] = '\0';
    snprintf(json, sizeof(json),
             "{\"ok\": {\"mode\": \"chat\", \"input_cost_per_token\": 1e-6, \"output_cost_per_token\": 2e-6,"
             "  \"cache_read_input_token_cost\": null},"
             " \"string_price\": {\"mode\": \"chat\", \"input_cost_per_token\": \"2.5e-06\"},"
             " \"nan_string\": {\"mode\": \"chat\", \"output_cost_per_token\": \"NaN\"},"
             " \"negative\": {\"mode\": \"chat\", \"input_cost_per_token\": -1e-6},"
             " \"infinite\": {\"mode\": \"chat\", \"input_cost_per_token\": 1e999},"
             " \"bool_price\": {\"mode\": \"chat\", \"input_cost_per_token\": true},"
             " \"huge\": {\"mode\": \"chat\", \"input_cost_per_token\": 1e300},"
             " \"wandb_like\": {\"mode\": \"chat\", \"input_cost_per_token\": 0.135,"
             "  \"output_cost_per_token\": 0.54},"
             " \"just_above\": {\"mode\": \"chat\", \"cache_read_input_token_cost\": 0.0011},"
             " \"limit_neg\": {\"mode\": \"chat\", \"max_input_tokens\": -1},"
             " \"limit_frac\": {\"mode\": \"chat\", \"max_output_tokens\": 1.5},"
             " \"limit_big\": {\"mode\": \"chat\", \"max_tokens\": 1e13},"
             " \"limit_str\": {\"mode\": \"chat\", \"max_input_tokens\": \"128000\"},"
             " \"prov_num\": {\"mode\": \"chat\", \"litellm_provider\": 42},"
             " \"prov_long\": {\"mode\": \"chat\", \"litellm_provider\": \"%060d\"},"
             " \"mode_num\": {\"mode\": 7},"
             " \"two_tiers\": {\"mode\": \"chat\", \"input_cost_per_token_above_200k_tokens\": 1e-6,"
             "  \"output_cost_per_token_above_272k_tokens\": 1e-6},"
             " \"not_object\": \"2026-07-24\","
             " \"array\": [1, 2],"
             " \"%s\": {\"mode\": \"chat\"}}", 0, long_key);
    t = load(json, &n);
    llmgw__prices_stats_get(&s, t);
    assert_int_equal(s.entries, 20);
    assert_int_equal(s.loaded, 1);
    assert_int_equal(s.skipped_implausible, 3);       /* huge, wandb_like, just_above */
    assert_int_equal(s.skipped_invalid, 16);
    assert_int_equal(n.warn, 19);
    assert_int_equal(get(t, NULL, "ok").cache_read, NONE);   /* null is absent */
    assert_absent(t, NULL, "wandb_like");
    assert_absent(t, NULL, "huge");
    llmgw__prices_free(t);
}

static void test_load_notes_capped(void **state)
{
    char json[16384];
    size_t off = 0, i;
    notes n = { 0 };
    llmgw__prices *t;

    (void)state;
    off += (size_t)snprintf(json + off, sizeof(json) - off, "{\"ok\": {\"mode\": \"chat\"}");
    for (i = 0; i < 50; i++)
        off += (size_t)snprintf(json + off, sizeof(json) - off,
                                ", \"bad%zu\": {\"mode\": \"chat\", \"input_cost_per_token\": -1}", i);
    snprintf(json + off, sizeof(json) - off, "}");
    t = load(json, &n);
    assert_int_equal(n.warn, 21);                     /* 20 entries, then one line for the rest */
    assert_int_equal(n.info, 1);
    llmgw__prices_free(t);
}

static void test_load_tiers_and_duplicates(void **state)
{
    llmgw__prices *t = load(
        "{\"g\": {\"mode\": \"chat\", \"input_cost_per_token\": 1.25e-06, \"output_cost_per_token\": 1e-05,"
        "  \"input_cost_per_token_above_200k_tokens\": 2.5e-06,"
        "  \"output_cost_per_token_above_200k_tokens\": 1.5e-05,"
        "  \"cache_read_input_token_cost_above_200k_tokens\": 2.5e-07,"
        "  \"cache_creation_input_token_cost_above_200k_tokens\": 5e-07,"
        "  \"input_cost_per_token_above_200k_tokens_priority\": 9e-06,"
        "  \"cache_creation_input_token_cost_above_1hr\": 6e-06},"
        " \"x\": {\"mode\": \"chat\", \"input_cost_per_token\": 2e-07, \"output_cost_per_token\": 5e-07,"
        "  \"input_cost_per_token_above_128k_tokens\": 4e-07},"
        " \"d\": {\"mode\": \"chat\", \"input_cost_per_token\": 1e-06, \"output_cost_per_token\": 1e-06},"
        " \"d\": {\"mode\": \"chat\", \"input_cost_per_token\": 9e-06, \"output_cost_per_token\": 9e-06}}",
        NULL);
    llmgw__prices_stats s;
    llmgw__price p;

    (void)state;
    p = get(t, NULL, "g");
    assert_int_equal(p.tier_threshold, 200000);
    assert_int_equal(p.input_above, 2500000000);
    assert_int_equal(p.output_above, 15000000000);
    assert_int_equal(p.cache_read_above, 250000000);
    assert_int_equal(p.cache_creation_above, 500000000);
    p = get(t, NULL, "x");
    assert_int_equal(p.tier_threshold, 128000);
    assert_int_equal(p.input_above, 400000000);
    assert_int_equal(p.output_above, NONE);
    /* two members with one key: the first wins, as cJSON's lookups do */
    llmgw__prices_stats_get(&s, t);
    assert_int_equal(s.skipped_duplicate, 1);
    assert_int_equal(get(t, NULL, "d").input, 1000000000);
    llmgw__prices_free(t);
}

#define TEXT SIZE_MAX       /* the length is strlen(json) */

static void expect_malformed(const char *json, size_t len, size_t max, const char *why)
{
    static llmgw__prices dummy;
    llmgw__prices_load_opts o = { max, NULL, NULL };
    llmgw__prices *t = &dummy;                  /* must come back NULL */

    if (len == TEXT)
        len = strlen(json);
    assert_fails_with(llmgw__prices_load_buffer(&t, json, len, &o), LLMGW_EINVAL, why);
    assert_null(t);
    assert_int_equal(llmgw_error_last()->error_class, LLMGW_ERRCLASS_CONFIG);
}

static void test_load_malformed(void **state)
{
    static const char nul[] = "{\"a\": {}}\0";
    llmgw__prices *t = NULL;

    (void)state;
    expect_malformed("not json", TEXT, 0, "not JSON");
    expect_malformed("{\"a\": {\"mode\": \"chat\"}", TEXT, 0, "not JSON");
    expect_malformed("{\"a\": {\"input_cost_per_token\": NaN}}", TEXT, 0, "not JSON");
    expect_malformed("{} {}", TEXT, 0, "not JSON");
    expect_malformed("", TEXT, 0, "not JSON");
    expect_malformed(nul, sizeof(nul) - 1, 0, "not JSON");
    expect_malformed("{\"a\\u0000b\": {\"mode\": \"chat\"}}", TEXT, 0, "\\u0000");
    expect_malformed("[{\"mode\": \"chat\"}]", TEXT, 0, "not a JSON object");
    expect_malformed("\"prices\"", TEXT, 0, "not a JSON object");
    expect_malformed("{\"a\": {\"mode\": \"chat\"}}", TEXT, 10, "larger than 10 bytes");
    expect_malformed("{\"a\": {\"mode\": \"embedding\"}, \"b\": 1}", TEXT, 0, "no usable entry");
    /* an empty catalogue is not malformed */
    t = load("{}", NULL);
    assert_int_equal(llmgw__prices_count(t), 0);
    assert_absent(t, "openai", "gpt-4o");
    llmgw__prices_free(t);
    t = load("{\"sample_spec\": {}}", NULL);
    llmgw__prices_free(t);
    assert_int_equal(llmgw__prices_load_buffer(NULL, "{}", 2, NULL), LLMGW_EINVAL);
    assert_int_equal(llmgw__prices_load_buffer(&t, NULL, 2, NULL), LLMGW_EINVAL);
    llmgw__prices_free(NULL);
}

static void test_load_file(void **state)
{
    char path[] = "/tmp/llmgw-prices-XXXXXX";
    static const char good[] = "{\"m\": {\"mode\": \"chat\", \"input_cost_per_token\": 3e-07,"
                               " \"output_cost_per_token\": 6e-07}}";
    llmgw__prices_load_opts o = { 16, NULL, NULL };
    llmgw__prices *t = NULL;
    int fd;

    (void)state;
    fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, good, sizeof(good) - 1), (ssize_t)(sizeof(good) - 1));
    close(fd);
    assert_int_equal(llmgw__prices_load_file(&t, path, NULL), 0);
    assert_int_equal(get(t, NULL, "m").output, 600000000);
    llmgw__prices_free(t);
    t = NULL;
    assert_fails_with(llmgw__prices_load_file(&t, path, &o), LLMGW_EINVAL, "larger than 16 bytes");
    assert_null(t);
    unlink(path);
    assert_fails_with(llmgw__prices_load_file(&t, path, NULL), LLMGW_ENOTFOUND, "no such file");
    assert_fails_with(llmgw__prices_load_file(&t, "/tmp", NULL), LLMGW_EINVAL, "directory");
    assert_int_equal(llmgw__prices_load_file(&t, NULL, NULL), LLMGW_EINVAL);
}

/* Every allocation the loader makes may fail: ENOMEM, nothing leaked, the next load fine. */
static void test_load_oom(void **state)
{
    static const char json[] = "{\"a\": {\"mode\": \"chat\", \"input_cost_per_token\": 1e-6,"
                               " \"output_cost_per_token\": 1e-6}, \"b\": {\"mode\": \"embedding\"}}";
    unsigned long nth, k;
    llmgw__prices *t = NULL;

    (void)state;
    llmgw__alloc_fail_at(0, LLMGW__ALLOC_TRANSIENT);
    assert_int_equal(llmgw__prices_load_buffer(&t, json, sizeof(json) - 1, NULL), 0);
    k = llmgw__alloc_count();
    llmgw__prices_free(t);
    assert_true(k >= 3);
    for (nth = 1; nth <= k; nth++) {
        int rc;
        llmgw__alloc_fail_at(nth, LLMGW__ALLOC_PERSISTENT);
        t = NULL;
        rc = llmgw__prices_load_buffer(&t, json, sizeof(json) - 1, NULL);
        llmgw__alloc_fail_at(0, LLMGW__ALLOC_TRANSIENT);
        assert_true(rc == 0 || rc == LLMGW_ENOMEM);
        if (rc == 0)
            llmgw__prices_free(t);
        else
            assert_null(t);
    }
    assert_int_equal(llmgw__prices_load_buffer(&t, json, sizeof(json) - 1, NULL), 0);
    llmgw__prices_free(t);
}

/* ---- the full catalogue ---- */

static void test_catalogue(void **state)
{
    llmgw__prices_load_opts o;
    llmgw__prices *t = NULL;
    llmgw__prices_stats s;
    llmgw__price p;
    notes n = { 0 };
    size_t len = 0;
    char *json = catalogue(&len);

    (void)state;
    if (json == NULL) {
        print_message("skipped: %s/%s not found (set LLMGW_SHARED_DIR)\n", LLMGW_SHARED, CATALOGUE);
        skip();
    }
    o.max_bytes = 0;
    o.log_cb = note_cb;
    o.log_userdata = &n;
    assert_int_equal(llmgw__prices_load_buffer(&t, json, len, &o), 0);
    free(json);
    llmgw__prices_stats_get(&s, t);
    print_message("catalogue: %zu entries, %zu loaded (%zu without a price), %zu of another mode, "
                  "%zu invalid, %zu implausible, %zu duplicate\n", s.entries, s.loaded, s.unpriced,
                  s.skipped_mode, s.skipped_invalid, s.skipped_implausible, s.skipped_duplicate);
    assert_int_equal(s.entries, s.loaded + s.skipped_mode + s.skipped_invalid + s.skipped_implausible +
                     s.skipped_duplicate);
    assert_true(s.loaded > 2000);
    assert_true(s.skipped_mode > 400);
    assert_true(s.skipped_implausible >= 1);
    if (len == 1669318) {       /* the 2026-07-24 snapshot (SOURCE.md): exact counts */
        assert_int_equal(s.entries, 2982);
        assert_int_equal(s.loaded, 2398);
        assert_int_equal(s.unpriced, 145);
        assert_int_equal(s.skipped_mode, 568);
        assert_int_equal(s.skipped_invalid, 0);
        assert_int_equal(s.skipped_implausible, 16);
        assert_int_equal(s.skipped_duplicate, 0);
        assert_int_equal(n.warn, 16);
    }
    /* known entries */
    p = get(t, "openai", "gpt-4o");
    assert_string_equal(p.key, "gpt-4o");
    assert_int_equal(p.input, 2500000000);              /* 2.5e-06 */
    assert_int_equal(p.output, 10000000000);            /* 1e-05 */
    assert_int_equal(p.cache_read, 1250000000);
    assert_int_equal(p.max_input_tokens, 128000);
    assert_int_equal(p.max_output_tokens, 16384);
    p = get(t, "anthropic", "claude-sonnet-4-5");
    assert_int_equal(p.input, 3000000000);
    assert_int_equal(p.output, 15000000000);
    assert_int_equal(p.cache_read, 300000000);
    assert_int_equal(p.cache_creation, 3750000000);
    assert_int_equal(p.tier_threshold, 200000);
    assert_int_equal(p.input_above, 6000000000);
    assert_int_equal(p.output_above, 22500000000);
    assert_int_equal(p.cache_read_above, 600000000);
    assert_int_equal(p.cache_creation_above, 7500000000);
    assert_string_equal(get(t, NULL, "anthropic/claude-sonnet-4-5").key, "claude-sonnet-4-5");
    p = get(t, NULL, "gemini/gemini-2.5-pro");
    assert_string_equal(p.provider, "gemini");
    assert_int_equal(p.input, 1250000000);
    assert_int_equal(p.input_above, 2500000000);
    assert_int_equal(p.max_input_tokens, 1048576);
    /* the bare Vertex entry is the gemini provider's too, and comes first */
    assert_string_equal(get(t, "gemini", "gemini-2.5-pro").key, "gemini-2.5-pro");
    p = get(t, "bedrock", "us.anthropic.claude-sonnet-4-5-20250929-v1:0");
    assert_int_equal(p.input, 3300000000);
    assert_int_equal(p.input_above, 6600000000);
    p = get(t, "bedrock", "moonshotai.kimi-k2-thinking");   /* only as bedrock/... */
    assert_string_equal(p.key, "bedrock/moonshotai.kimi-k2-thinking");
    assert_int_equal(p.input, 730000000);
    /* azure: "azure/gpt-4o" before OpenAI's bare gpt-4o */
    assert_string_equal(get(t, "azure", "gpt-4o").key, "azure/gpt-4o");
    assert_string_equal(get(t, "openrouter", "openai/gpt-4o").key, "openrouter/openai/gpt-4o");
    assert_string_equal(get(t, "together", "meta-llama/Llama-3.3-70B-Instruct-Turbo").key,
                        "together_ai/meta-llama/Llama-3.3-70B-Instruct-Turbo");
    assert_int_equal(get(t, "fireworks", "accounts/fireworks/models/llama-v3p3-70b-instruct").input,
                     900000000);
    assert_int_equal(get(t, "groq", "llama-3.3-70b-versatile").output, 790000000);
    assert_int_equal(get(t, "xai", "grok-4-1-fast").tier_threshold, 128000);
    assert_absent(t, "openai", "claude-sonnet-4-5");
    assert_absent(t, NULL, "wandb/deepseek-ai/DeepSeek-R1-0528");      /* 0.54 USD per token: skipped */
    assert_absent(t, NULL, "text-embedding-3-small");                  /* an embedding model */
    assert_absent(t, "openai", "gpt-4o-2099-01-01");
    llmgw__prices_free(t);
}

int main(void)
{
    const struct CMUnitTest t[] = {
        cmocka_unit_test(test_load_good),
        cmocka_unit_test(test_load_modes),
        cmocka_unit_test(test_load_bad_entries),
        cmocka_unit_test(test_load_notes_capped),
        cmocka_unit_test(test_load_tiers_and_duplicates),
        cmocka_unit_test(test_load_malformed),
        cmocka_unit_test(test_load_file),
        cmocka_unit_test(test_load_oom),
        cmocka_unit_test(test_catalogue),
    };
    return cmocka_run_group_tests(t, NULL, NULL);
}
