/*
 * tests/accounting/prices_test.h: helpers of the price-table tests: load a
 * table from JSON text, look up or fail, the shared LiteLLM catalogue.
 */
#ifndef LLMGW_TESTS_PRICES_TEST_H
#define LLMGW_TESTS_PRICES_TEST_H

#include "unit.h"

#include "accounting/prices.h"

#ifndef LLMGW_SHARED
#define LLMGW_SHARED "../shared"
#endif
#define CATALOGUE "data/model_prices_and_context_window.json"
#define NONE LLMGW__PRICE_NONE

typedef struct notes { unsigned warn, info; char last[320]; } notes;

static inline void note_cb(int level, const char *msg, void *userdata)
{
    notes *n = userdata;

    if (level == LLMGW_LOG_WARN)
        n->warn++;
    else
        n->info++;
    snprintf(n->last, sizeof(n->last), "%s", msg);
}

static inline llmgw__prices *load(const char *json, notes *n)
{
    llmgw__prices_load_opts o = { 0, note_cb, n };
    llmgw__prices *t = NULL;

    assert_int_equal(llmgw__prices_load_buffer(&t, json, strlen(json), n ? &o : NULL), 0);
    assert_non_null(t);
    return t;
}

static inline llmgw__price get(const llmgw__prices *t, const char *provider, const char *model)
{
    llmgw__price p;

    if (llmgw__prices_lookup(t, provider, model, &p) != 0)
        fail_msg("no price for provider %s, model %s", provider ? provider : "(none)", model);
    return p;
}

static inline void assert_absent(const llmgw__prices *t, const char *provider, const char *model)
{
    llmgw__price p;

    if (llmgw__prices_lookup(t, provider, model, &p) != LLMGW_ENOTFOUND)
        fail_msg("%s / %s found as %s", provider ? provider : "(none)", model ? model : "(null)", p.key);
}

static inline char *catalogue(size_t *len)
{
    const char *root = getenv("LLMGW_SHARED_DIR");
    char path[1024];

    snprintf(path, sizeof(path), "%s/%s", root ? root : LLMGW_SHARED, CATALOGUE);
    return unit_read_file(path, len);
}

#endif
