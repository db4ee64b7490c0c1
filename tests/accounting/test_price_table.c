/*
 * tests/accounting/test_price_table.c: price tables
 * (lib/accounting/price_table.c): the lookup rules and their order, and
 * the built-in table (every row priced, no duplicates, real provider ids,
 * every built-in provider covered), with a printed comparison against the
 * shared LiteLLM catalogue.
 */
#include "prices_test.h"

#include <pthread.h>

#include "providers/registry.h"

/* ---- lookups ---- */

static void test_lookup_order(void **state)
{
    llmgw__prices *t = load(
        "{\"m\": {\"litellm_provider\": \"openai\", \"mode\": \"chat\", \"input_cost_per_token\": 1e-6,"
        "  \"output_cost_per_token\": 1e-6},"
        " \"azure/m\": {\"litellm_provider\": \"azure\", \"mode\": \"chat\", \"input_cost_per_token\": 2e-6,"
        "  \"output_cost_per_token\": 2e-6},"
        " \"together_ai/org/x\": {\"litellm_provider\": \"together_ai\", \"mode\": \"chat\","
        "  \"input_cost_per_token\": 3e-6, \"output_cost_per_token\": 3e-6},"
        " \"v\": {\"litellm_provider\": \"vertex_ai-language-models\", \"mode\": \"chat\","
        "  \"input_cost_per_token\": 4e-6, \"output_cost_per_token\": 4e-6},"
        " \"b\": {\"litellm_provider\": \"bedrock_converse\", \"mode\": \"chat\","
        "  \"input_cost_per_token\": 5e-6, \"output_cost_per_token\": 5e-6},"
        " \"anyone\": {\"mode\": \"chat\", \"input_cost_per_token\": 6e-6, \"output_cost_per_token\": 6e-6},"
        " \"ollama/*\": {\"litellm_provider\": \"ollama\", \"mode\": \"chat\", \"input_cost_per_token\": 0,"
        "  \"output_cost_per_token\": 0}}", NULL);

    (void)state;
    /* 1. the key itself, when it is the provider's (or nothing is said) */
    assert_string_equal(get(t, "openai", "m").key, "m");
    assert_string_equal(get(t, NULL, "m").key, "m");
    assert_string_equal(get(t, "", "m").key, "m");
    assert_string_equal(get(t, NULL, "azure/m").key, "azure/m");
    assert_string_equal(get(t, "azure", "azure/m").key, "azure/m");
    assert_string_equal(get(t, "gemini", "v").key, "v");              /* vertex_ai-language-models */
    assert_string_equal(get(t, "vertex_ai_beta", "v").key, "v");
    assert_string_equal(get(t, "bedrock", "b").key, "b");             /* bedrock_converse */
    assert_string_equal(get(t, "cohere", "anyone").key, "anyone");    /* no litellm_provider */
    /* 2. "provider/model" before a bare key of another provider */
    assert_string_equal(get(t, "azure", "m").key, "azure/m");
    assert_string_equal(get(t, "azure_openai", "m").key, "azure/m");
    assert_string_equal(get(t, "together", "org/x").key, "together_ai/org/x");
    assert_string_equal(get(t, "together_ai", "org/x").key, "together_ai/org/x");
    /* 3. "p/rest": rest, when it is p's */
    assert_string_equal(get(t, NULL, "openai/m").key, "m");
    assert_string_equal(get(t, "openai", "openai/m").key, "m");
    assert_string_equal(get(t, NULL, "gemini/v").key, "v");
    assert_string_equal(get(t, NULL, "bedrock_converse/b").key, "b");
    assert_absent(t, "anthropic", "openai/m");                          /* openai/ does not name anthropic */
    assert_absent(t, NULL, "anthropic/m");                              /* m is not anthropic's */
    assert_absent(t, NULL, "cohere/anyone");                            /* anyone names no provider */
    /* 4. a provider-wide price */
    assert_string_equal(get(t, "ollama", "llama3:8b").key, "ollama/*");
    assert_string_equal(get(t, "ollama_chat", "qwen3").key, "ollama/*");
    /* what is not there */
    assert_absent(t, "anthropic", "m");
    assert_absent(t, "gemini", "b");
    assert_absent(t, "openai", "M");                                    /* exact names: no case folding */
    assert_absent(t, "openai", "m-2024-08-06");                         /* no date stripping */
    assert_absent(t, "openai", "");
    assert_absent(t, "openai", NULL);
    assert_absent(NULL, "openai", "m");
    assert_absent(t, NULL, "openai/");
    assert_int_equal(llmgw__prices_lookup(t, "openai", "m", NULL), 0);
    llmgw__prices_free(t);
    assert_string_equal(llmgw__prices_provider_id("fireworks_ai"), "fireworks");
    assert_string_equal(llmgw__prices_provider_id("text-completion-openai"), "openai");
    assert_string_equal(llmgw__prices_provider_id("novita"), "novita");
    assert_null(llmgw__prices_provider_id(NULL));
}

/* ---- the built-in table ---- */

static void test_builtin_rows(void **state)
{
    const llmgw__prices *b = llmgw__prices_builtin();
    size_t i, j, n = llmgw__prices_count(b);

    (void)state;
    assert_ptr_equal(b, llmgw__prices_builtin());
    assert_int_equal(n, llmgw__price_row_count);
    assert_true(n >= 40 && n <= 80);
    for (i = 0; i < n; i++) {
        const llmgw__price *e = llmgw__prices_at(b, i);
        const llmgw__price_row *r = &llmgw__price_rows[i];
        const llmgw_provider_vtable *vt = llmgw__builtin_provider(e->provider);
        size_t plen = strlen(e->provider);
        if (e->input == NONE || e->output == NONE)
            fail_msg("%s: no input or output price", e->key);
        if (vt == NULL || strcmp(vt->name, e->provider) != 0)
            fail_msg("%s: \"%s\" is not a built-in provider id", e->key, e->provider);
        if (strncmp(e->key, e->provider, plen) != 0 || e->key[plen] != '/' || e->key[plen + 1] == '\0')
            fail_msg("%s: the key is not provider/model", e->key);
        assert_string_equal(e->source, "builtin");
        assert_true(strlen(r->key) < LLMGW__PRICE_KEY_MAX);
        assert_true(e->max_input_tokens >= 0 && e->max_output_tokens >= 0);
        /* every rate given parses */
        assert_true(r->cache_read == NULL || e->cache_read != NONE);
        assert_true(r->cache_creation == NULL || e->cache_creation != NONE);
        if (r->tier_threshold > 0 && (e->input_above == NONE || e->output_above == NONE))
            fail_msg("%s: a tier without its input and output rates", e->key);
        assert_true(r->tier_threshold > 0 || r->input_above == NULL);
        for (j = 0; j < i; j++)
            if (strcmp(llmgw__price_rows[j].key, r->key) == 0)
                fail_msg("%s: listed twice", r->key);
        /* the index finds every row under its own key */
        assert_string_equal(get(b, NULL, e->key).key, e->key);
    }
}

/* Every built-in provider but the mock has a price. */
static void test_builtin_covers_providers(void **state)
{
    const llmgw__prices *b = llmgw__prices_builtin();
    const llmgw_provider_vtable *vt;
    size_t i, j;

    (void)state;
    for (i = 0; (vt = llmgw__builtin_provider_at(i)) != NULL; i++) {
        bool any = false;
        if (strcmp(vt->name, "mock") == 0)
            continue;
        for (j = 0; j < llmgw__prices_count(b); j++)
            any |= strcmp(llmgw__prices_at(b, j)->provider, vt->name) == 0;
        if (!any)
            fail_msg("no built-in price for provider %s", vt->name);
    }
}

static void test_builtin_lookups(void **state)
{
    const llmgw__prices *b = llmgw__prices_builtin();
    llmgw_token_counts c = { 1000, 500, 0, 0, 0 };
    llmgw__price p;
    llmgw__cost cost;

    (void)state;
    p = get(b, "openai", "gpt-4o");
    assert_string_equal(p.key, "openai/gpt-4o");
    assert_int_equal(p.input, 2500000000);
    assert_int_equal(p.output, 10000000000);
    assert_int_equal(p.max_input_tokens, 128000);
    assert_string_equal(get(b, NULL, "openai/gpt-4o").key, "openai/gpt-4o");
    p = get(b, "anthropic", "claude-sonnet-4-5");
    assert_int_equal(p.cache_creation, 3750000000);
    assert_int_equal(p.tier_threshold, 200000);
    assert_int_equal(get(b, "bedrock", "us.anthropic.claude-sonnet-4-5-20250929-v1:0").input, 3300000000);
    assert_int_equal(get(b, "cohere", "command-r7b-12-2024").input, 37500000);
    /* a model id with a slash: the provider's row, not another provider's */
    assert_string_equal(get(b, "groq", "openai/gpt-oss-120b").key, "groq/openai/gpt-oss-120b");
    assert_string_equal(get(b, "together_ai", "openai/gpt-oss-120b").key, "together/openai/gpt-oss-120b");
    assert_string_equal(get(b, "openrouter", "openai/gpt-5").key, "openrouter/openai/gpt-5");
    /* local servers: any model is free, a computed 0 */
    p = get(b, "ollama", "llama3.2:3b");
    assert_string_equal(p.key, "ollama/*");
    assert_int_equal(llmgw__cost_compute(&cost, &p, &c), 0);
    assert_int_equal(cost.total, 0);
    assert_string_equal(get(b, "vllm", "meta-llama/Llama-3.1-8B-Instruct").key, "vllm/*");
    assert_string_equal(get(b, "llama.cpp", "any").key, "llamacpp/*");
    assert_string_equal(get(b, "lm_studio", "any").key, "lmstudio/*");
    /* gpt-4o: $0.0075 for 1000 in, 500 out */
    p = get(b, "azure", "gpt-4o");
    assert_int_equal(llmgw__cost_compute(&cost, &p, &c), 0);
    assert_int_equal(cost.total, 7500000);
    assert_absent(b, "openai", "gpt-4o-2024-08-06");
    assert_absent(b, "mock", "anything");
    assert_absent(b, "openai", "ollama/*");
    llmgw__prices_free((llmgw__prices *)(uintptr_t)b);       /* a no-op */
    assert_string_equal(get(b, "openai", "gpt-4o").key, "openai/gpt-4o");
}

/* The built-in table against the catalogue: printed, for whoever updates either. */
static void test_builtin_vs_catalogue(void **state)
{
    const llmgw__prices *b = llmgw__prices_builtin();
    llmgw__prices *t = NULL;
    size_t len = 0, i, same = 0, differ = 0, missing = 0;
    char *json = catalogue(&len);

    (void)state;
    if (json == NULL) {
        print_message("skipped: the shared catalogue is not there\n");
        skip();
    }
    assert_int_equal(llmgw__prices_load_buffer(&t, json, len, NULL), 0);
    free(json);
    for (i = 0; i < llmgw__prices_count(b); i++) {
        const llmgw__price *e = llmgw__prices_at(b, i);
        const char *model = e->key + strlen(e->provider) + 1;
        llmgw__price p;
        if (strcmp(model, "*") == 0)
            continue;
        if (llmgw__prices_lookup(t, e->provider, model, &p) != 0) {
            missing++;
            continue;
        }
        if (p.input == e->input && p.output == e->output && p.cache_read == e->cache_read) {
            same++;
        } else {
            differ++;
            print_message("  %-58s builtin %lld/%lld/%lld  catalogue %lld/%lld/%lld (%s)\n", e->key,
                          (long long)e->input, (long long)e->output, (long long)e->cache_read,
                          (long long)p.input, (long long)p.output, (long long)p.cache_read, p.key);
        }
    }
    print_message("built-in vs catalogue: %zu agree on input/output/cache-read, %zu differ, %zu not listed\n",
                  same, differ, missing);
    assert_true(same > differ);
    llmgw__prices_free(t);
}

static void *lookup_thread(void *arg)
{
    size_t i, *hits = arg;
    llmgw__price p;

    for (i = 0; i < 10000; i++)
        if (llmgw__prices_lookup(llmgw__prices_builtin(), "openai", i % 2 ? "gpt-4o" : "o3", &p) == 0)
            (*hits)++;
    return NULL;
}

static void test_builtin_threads(void **state)
{
    pthread_t th[4];
    size_t hits[4] = { 0 }, i;

    (void)state;
    for (i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&th[i], NULL, lookup_thread, &hits[i]), 0);
    for (i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(hits[i], 10000);
    }
}

int main(void)
{
    const struct CMUnitTest t[] = {
        cmocka_unit_test(test_builtin_threads),      /* first: the one-time init races here */
        cmocka_unit_test(test_lookup_order),
        cmocka_unit_test(test_builtin_rows),
        cmocka_unit_test(test_builtin_covers_providers),
        cmocka_unit_test(test_builtin_lookups),
        cmocka_unit_test(test_builtin_vs_catalogue),
    };
    return cmocka_run_group_tests(t, NULL, NULL);
}
