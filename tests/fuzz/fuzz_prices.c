/*
 * tests/fuzz/fuzz_prices.c: libFuzzer target for the price-file loader
 * (lib/accounting/prices.c and price_table.c) and the decimal price parser.
 *
 * Input: a LiteLLM model_prices_and_context_window.json text. Oracles
 * beyond "no crash, no leak":
 *  - the load returns 0 with a table or a negative status without one; the
 *    statistics add up (loaded <= entries looked at);
 *  - every loaded entry is found again by its own key, and the lookup gives
 *    that entry; every rate is NONE or in [0, the plausible maximum]; limits
 *    and the tier threshold are >= 0;
 *  - the cost formula on any loaded price is never negative and its input
 *    part never exceeds the total;
 *  - log lines are terminated and short;
 *  - the same bytes read as one decimal price give a value in range or
 *    LLMGW_EINVAL.
 */
#include "fuzz_common.h"

#include "accounting/prices.h"

#define RATE_MAX ((int64_t)(LLMGW__PRICE_PLAUSIBLE_MAX_USD * 1e15) + 1)

static void on_log(int level, const char *msg, void *userdata)
{
    LLMGW_UNUSED(userdata);
    FUZZ_CHECK(level >= LLMGW_LOG_ERROR && level <= LLMGW_LOG_DEBUG);
    FUZZ_CHECK(msg != NULL && strlen(msg) < 4096);
}

static void check_rate(int64_t r)
{
    FUZZ_CHECK(r == LLMGW__PRICE_NONE || (r >= 0 && r <= RATE_MAX));
}

static void check_entry(const llmgw__prices *t, const llmgw__price *e)
{
    static const llmgw_token_counts counts[] = {
        { 1000, 500, 200, 100, 50 },
        { 300000, 20000, 0, 250000, 20000 },
        { (uint64_t)1 << 39, (uint64_t)1 << 39, 0, 0, 0 },
    };
    llmgw__price found;
    llmgw__cost cost;
    size_t i;

    FUZZ_CHECK(fuzz_terminated(e->key, sizeof(e->key)) && e->key[0] != '\0');
    FUZZ_CHECK(fuzz_terminated(e->provider, sizeof(e->provider)));
    check_rate(e->input);
    check_rate(e->output);
    check_rate(e->cache_read);
    check_rate(e->cache_creation);
    check_rate(e->reasoning);
    check_rate(e->input_above);
    check_rate(e->output_above);
    check_rate(e->cache_read_above);
    check_rate(e->cache_creation_above);
    FUZZ_CHECK(e->tier_threshold >= 0 && e->max_input_tokens >= 0 && e->max_output_tokens >= 0);
    FUZZ_CHECK(llmgw__prices_lookup(t, NULL, e->key, &found) == 0);
    FUZZ_CHECK(strcmp(found.key, e->key) == 0 && found.input == e->input && found.output == e->output);
    for (i = 0; i < LLMGW_ARRAY_SIZE(counts); i++) {
        if (llmgw__cost_compute(&cost, e, &counts[i]) == 0)
            FUZZ_CHECK(cost.total >= 0 && cost.input >= 0 && cost.input <= cost.total);
        else
            FUZZ_CHECK(cost.total == 0 && cost.input == 0 && cost.output == 0);
    }
}

static void fuzz_load(const uint8_t *data, size_t size)
{
    llmgw__prices_load_opts opts = { 0, on_log, NULL };
    llmgw__prices *t = (llmgw__prices *)&opts;      /* must be reset to NULL on failure */
    llmgw__prices_stats st;
    const llmgw__price *e;
    size_t i;
    int rc;

    rc = llmgw__prices_load_buffer(&t, (const char *)data, size, &opts);
    FUZZ_CHECK(rc <= 0);
    if (rc < 0) {
        FUZZ_CHECK(t == NULL);
        return;
    }
    FUZZ_CHECK(t != NULL);
    llmgw__prices_stats_get(&st, t);
    FUZZ_CHECK(st.loaded <= st.entries && st.loaded == llmgw__prices_count(t));
    FUZZ_CHECK(st.loaded <= LLMGW__PRICES_MAX_ENTRIES);
    for (i = 0; (e = llmgw__prices_at(t, i)) != NULL; i++)
        check_entry(t, e);
    FUZZ_CHECK(i == st.loaded);
    llmgw__prices_free(t);
}

static void fuzz_decimal(const uint8_t *data, size_t size)
{
    int64_t v = -7;
    int rc;

    rc = llmgw__price_parse(&v, (const char *)data, size, size % 2 == 0);
    FUZZ_CHECK(rc == 0 || rc == LLMGW_EINVAL);
    if (rc == 0)
        FUZZ_CHECK(v >= 0 && v <= (int64_t)(LLMGW__PRICE_MAX_USD * 1e15));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_load(data, size);
    if (size <= 64)
        fuzz_decimal(data, size);
    return 0;
}
