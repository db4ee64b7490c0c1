/*
 * tests/oom/test_oom_cost.c: allocation failures along the cost path: a
 * LiteLLM-format price file loaded from a buffer and from a file, its
 * lookups (with LiteLLM's provider spellings) and the cost formula.
 */
#include "oom.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "accounting/prices.h"

static const char catalogue[] =
    "{\"sample_spec\": {\"mode\": \"chat\", \"input_cost_per_token\": 0},"
    " \"gpt-4o\": {\"litellm_provider\": \"openai\", \"mode\": \"chat\", \"input_cost_per_token\": 2.5e-06,"
    "  \"output_cost_per_token\": 1e-05, \"cache_read_input_token_cost\": 1.25e-06, \"max_input_tokens\": 128000},"
    " \"together_ai/meta-llama/Llama-3.3-70B\": {\"litellm_provider\": \"together_ai\", \"mode\": \"chat\","
    "  \"input_cost_per_token\": 8.8e-07, \"output_cost_per_token\": 8.8e-07},"
    " \"gemini/gemini-2.5-pro\": {\"litellm_provider\": \"gemini\", \"mode\": \"chat\","
    "  \"input_cost_per_token\": 1.25e-06, \"input_cost_per_token_above_200k_tokens\": 2.5e-06,"
    "  \"output_cost_per_token\": 1e-05, \"output_cost_per_token_above_200k_tokens\": 1.5e-05},"
    " \"text-embedding-3-small\": {\"litellm_provider\": \"openai\", \"mode\": \"embedding\","
    "  \"input_cost_per_token\": 2e-08}}";

typedef struct cost_ctx {
    const char *path;       /* NULL: from the buffer */
    int64_t     gpt4o_total, together_total, gemini_total;
} cost_ctx;

static char file_path[64];

static int setup_buffer(void *ctx, oom_obs *obs)
{
    (void)obs;
    ((cost_ctx *)ctx)->path = NULL;
    return 0;
}

static int setup_file(void *ctx, oom_obs *obs)
{
    (void)obs;
    ((cost_ctx *)ctx)->path = file_path;
    return 0;
}

static int cost_of(const llmgw__prices *t, const char *provider, const char *model, uint64_t in, uint64_t out,
                   int64_t *total)
{
    llmgw_token_counts n = { in, out, 0, 0, 0 };
    llmgw__price p;
    llmgw__cost c;

    LLMGW_TRY(llmgw__prices_lookup(t, provider, model, &p));
    LLMGW_TRY(llmgw__cost_compute(&c, &p, &n));
    *total = c.total;
    return 0;
}

static int call(void *ctx, oom_obs *obs)
{
    cost_ctx *c = ctx;
    llmgw__prices *t = NULL;
    int rc;

    (void)obs;
    rc = c->path ? llmgw__prices_load_file(&t, c->path, NULL)
                 : llmgw__prices_load_buffer(&t, catalogue, strlen(catalogue), NULL);
    if (rc < 0) {
        assert_null(t);
        return rc;
    }
    assert_int_equal(llmgw__prices_count(t), 3);
    assert_int_equal(cost_of(t, "openai", "gpt-4o", 1000, 100, &c->gpt4o_total), 0);
    assert_int_equal(cost_of(t, "together", "meta-llama/Llama-3.3-70B", 1000, 1000, &c->together_total), 0);
    assert_int_equal(cost_of(t, NULL, "gemini/gemini-2.5-pro", 300000, 1000, &c->gemini_total), 0);
    llmgw__prices_free(t);
    return 0;
}

static void check(void *ctx, int rc, const oom_obs *obs)
{
    cost_ctx *c = ctx;

    (void)obs;
    if (rc == 0) {
        OOM_CHECK(c->gpt4o_total == 3500000);         /* 1000 x 2.5e-6 + 100 x 1e-5 USD, in nano-USD */
        OOM_CHECK(c->together_total == 1760000);
        OOM_CHECK(c->gemini_total == 765000000);      /* above 200k: 300000 x 2.5e-6 + 1000 x 1.5e-5 */
    }
}

static void teardown(void *ctx)
{
    (void)ctx;
}

static void test_prices_buffer(void **state)
{
    static const oom_scenario s = { "prices_buffer", sizeof(cost_ctx), setup_buffer, call, check, teardown, 0 };

    (void)state;
    oom_run(&s);
}

static void test_prices_file(void **state)
{
    static const oom_scenario s = { "prices_file", sizeof(cost_ctx), setup_file, call, check, teardown, 0 };
    FILE *f;
    int fd;

    (void)state;
    snprintf(file_path, sizeof(file_path), "/tmp/llmgw-oom-prices-XXXXXX");
    fd = mkstemp(file_path);
    assert_true(fd >= 0);
    f = fdopen(fd, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(catalogue, 1, strlen(catalogue), f), strlen(catalogue));
    fclose(f);
    oom_run(&s);
    unlink(file_path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prices_buffer),
        cmocka_unit_test(test_prices_file),
    };

    oom_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
