/*
 * lib/accounting/prices.h: model prices and the cost formula
 * (docs/ecosystem.md §10). Money is integer nano-USD (1e-9 USD) end to end;
 * rates are kept as nano-USD per million tokens (USD per token x 1e15),
 * converted once at load.
 */
#ifndef LLMGW_ACCOUNTING_PRICES_H
#define LLMGW_ACCOUNTING_PRICES_H

#include "../core/common.h"

#define LLMGW__PRICE_NONE (-1)

/* Rates in nano-USD per million tokens; LLMGW__PRICE_NONE when the source has none. */
typedef struct llmgw__price {
    int64_t  input;
    int64_t  output;
    int64_t  cache_read;             /* missing: the input rate */
    int64_t  cache_creation;         /* missing: the input rate */
    int64_t  reasoning;              /* missing: the output rate */
    int64_t  input_above_200k;       /* tiers apply when input > 200,000 tokens */
    int64_t  output_above_200k;
    int64_t  cache_read_above_200k;
    int64_t  max_input_tokens;       /* 0: unknown */
    int64_t  max_output_tokens;      /* 0: unknown */
    char     key[128];               /* the catalogue key it came from ("gpt-4o", "anthropic/...") */
    char     source[32];             /* "builtin", "file", "deployment" */
} llmgw__price;

typedef struct llmgw__prices llmgw__prices;

/* The compiled-in table (lib/accounting/price_table.c); never NULL, never freed. */
const llmgw__prices *llmgw__prices_builtin(void);
/* Load a LiteLLM model_prices_and_context_window.json file (untrusted input). */
int  llmgw__prices_load_file(llmgw__prices **out, const char *path);
int  llmgw__prices_load_buffer(llmgw__prices **out, const char *json, size_t len);
void llmgw__prices_free(llmgw__prices *p);
size_t llmgw__prices_count(const llmgw__prices *p);
/*
 * Look a model up: exact key, then "provider/model", then the bare model
 * whose litellm_provider matches. 0 and *out filled, or LLMGW_ENOTFOUND.
 */
int  llmgw__prices_lookup(const llmgw__prices *p, const char *provider, const char *model, llmgw__price *out);
/* USD per token -> nano-USD per million tokens (rounded); LLMGW__PRICE_NONE when not finite or < 0. */
int64_t llmgw__price_from_usd_per_token(double usd);

/* Token counts in OpenAI's meaning (input includes cache reads and writes; output includes reasoning). */
typedef struct llmgw__cost {
    int64_t total;      /* nano-USD */
    int64_t input;      /* input, cache reads and writes */
    int64_t output;     /* output and reasoning */
} llmgw__cost;

/* The cost formula with checked 64-bit products; LLMGW_EINVAL on overflow or missing rates (cost unknown). */
int  llmgw__cost_compute(llmgw__cost *out, const llmgw__price *p, const llmgw_token_counts *c);

#endif
