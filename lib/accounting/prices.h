/*
 * lib/accounting/prices.h: model prices and the cost formula
 * (docs/prices.md §2). Money is integer nano-USD (1e-9
 * USD) end to end; rates are kept as nano-USD per million tokens (USD per
 * token x 1e15), converted once, exactly, from decimal.
 */
#ifndef LLMGW_ACCOUNTING_PRICES_H
#define LLMGW_ACCOUNTING_PRICES_H

#include "../core/common.h"

#define LLMGW__PRICE_NONE (-1)
#define LLMGW__PRICE_KEY_MAX 128                 /* longer catalogue keys are skipped */
#define LLMGW__PRICE_PROVIDER_MAX 48
/* A price file larger than this is refused (LLMGW_EINVAL); LiteLLM's is 1.7 MB. */
#define LLMGW__PRICES_MAX_FILE_BYTES ((size_t)16 << 20)
/* At most this many entries are loaded from a file; the rest are skipped. */
#define LLMGW__PRICES_MAX_ENTRIES 20000
/*
 * A rate above this (USD per token, i.e. $1,000 per million tokens) is not
 * believed: the entry is skipped with a warning. The dearest real rate in
 * LiteLLM's catalogue is o1-pro's output, $600 per million.
 */
#define LLMGW__PRICE_PLAUSIBLE_MAX_USD 1e-3
/* llmgw__price_from_usd_per_token() accepts [0, this] USD per token. */
#define LLMGW__PRICE_MAX_USD 1e3

/*
 * One model's price. Rates are nano-USD per million tokens, or
 * LLMGW__PRICE_NONE when the source gives none.
 */
typedef struct llmgw__price {
    int64_t input;
    int64_t output;
    int64_t cache_read;              /* missing: the input rate */
    int64_t cache_creation;          /* missing: the input rate */
    int64_t reasoning;               /* missing: the output rate */
    /*
     * Long-context tier: when input tokens exceed tier_threshold (> 0), each
     * *_above rate that is not NONE replaces its base rate. LiteLLM spells it
     * input_cost_per_token_above_200k_tokens (also 128k, 272k ...).
     */
    int64_t tier_threshold;          /* tokens; 0: no tier */
    int64_t input_above;
    int64_t output_above;
    int64_t cache_read_above;
    int64_t cache_creation_above;
    int64_t max_input_tokens;        /* 0: unknown */
    int64_t max_output_tokens;       /* 0: unknown */
    char    key[LLMGW__PRICE_KEY_MAX];             /* the entry's key ("gpt-4o", "azure/gpt-4o") */
    char    provider[LLMGW__PRICE_PROVIDER_MAX];   /* llmgw provider id ("" when the source has none) */
    char    source[16];              /* "builtin", "file", "deployment" */
} llmgw__price;

/* Every rate NONE, no tier, limits unknown, strings empty. */
void llmgw__price_init(llmgw__price *p);

/* What a load found (objects other than sample_spec and fallback_generalizations). */
typedef struct llmgw__prices_stats {
    size_t entries;              /* members looked at */
    size_t loaded;
    size_t unpriced;             /* loaded, but without an input or output rate: cost unknown */
    size_t skipped_mode;         /* mode other than chat/completion/responses, or no mode and no token price */
    size_t skipped_invalid;      /* not an object, a field of the wrong type or out of range, key too long */
    size_t skipped_implausible;  /* a rate above LLMGW__PRICE_PLAUSIBLE_MAX_USD per token */
    size_t skipped_duplicate;    /* a key seen before (the first one wins, as with cJSON lookups) */
} llmgw__prices_stats;

typedef struct llmgw__prices_load_opts {
    size_t       max_bytes;      /* 0: LLMGW__PRICES_MAX_FILE_BYTES */
    llmgw_log_cb log_cb;         /* skipped entries (WARN, the first 20) and a summary (INFO); may be NULL */
    void        *log_userdata;
} llmgw__prices_load_opts;

/*
 * An immutable price table with a hash index; thread-safe to read. The
 * fields are private to prices.c and price_table.c.
 */
typedef struct llmgw__prices {
    llmgw__price        *entries;
    size_t               count;
    uint32_t            *slots;          /* open addressing: 0 empty, else entry index + 1 */
    size_t               nslots;         /* a power of two */
    uint64_t             seed;
    llmgw__prices_stats  stats;
    bool                 is_static;      /* the built-in table: never freed */
} llmgw__prices;

/* The compiled-in table (lib/accounting/price_table.c); never NULL, never freed. */
const llmgw__prices *llmgw__prices_builtin(void);
/*
 * Load a LiteLLM model_prices_and_context_window.json file (untrusted
 * input; docs/prices.md §5). A bad entry is skipped and counted; a
 * malformed file (too large, a directory, not JSON, not an object, no usable
 * entry) is LLMGW_EINVAL, class config (a missing file LLMGW_ENOTFOUND, an
 * unreadable one LLMGW_ERROR); *out is then NULL. opts may be NULL.
 */
int  llmgw__prices_load_file(llmgw__prices **out, const char *path, const llmgw__prices_load_opts *opts);
int  llmgw__prices_load_buffer(llmgw__prices **out, const char *json, size_t len,
                               const llmgw__prices_load_opts *opts);
void llmgw__prices_free(llmgw__prices *p);          /* NULL and the built-in table are no-ops */
size_t llmgw__prices_count(const llmgw__prices *p);
void llmgw__prices_stats_get(llmgw__prices_stats *out, const llmgw__prices *p);
/* The n-th entry in load order (listings, tests); NULL past the end. */
const llmgw__price *llmgw__prices_at(const llmgw__prices *p, size_t n);
/*
 * Look a model up (exact names only: no date-suffix stripping, no case
 * folding). provider is an llmgw id or a LiteLLM spelling ("together_ai");
 * NULL or "" when unknown. In order:
 *  1. model as a key, when its entry belongs to provider (or provider is NULL)
 *  2. "<provider>/model", for each spelling of provider ("together_ai/...")
 *  3. model "<p>/<rest>" where p names provider (or provider is NULL): rest,
 *     when its entry belongs to p ("anthropic/claude-sonnet-4-5")
 *  4. the provider-wide key "<provider>/" + "*" (the local servers are free)
 * 0 and *out filled (out may be NULL), or LLMGW_ENOTFOUND (no error message is set).
 */
int  llmgw__prices_lookup(const llmgw__prices *p, const char *provider, const char *model, llmgw__price *out);
/* The llmgw provider id for a LiteLLM provider name ("vertex_ai-language-models" -> "gemini"). */
const char *llmgw__prices_provider_id(const char *litellm_provider);

/*
 * USD per token -> nano-USD per million tokens, rounded half up on the
 * decimal value (up to 15 significant digits, DBL_DIG, are exact: 2.5e-06
 * gives 2,500,000,000). LLMGW__PRICE_NONE when not finite, < 0 or above
 * LLMGW__PRICE_MAX_USD.
 */
int64_t llmgw__price_from_usd_per_token(double usd);
/*
 * Decimal text ("2.50", "1.25e-6"; no sign, '.' whatever the locale) in USD
 * per token (per_million false) or USD per million tokens (per_million
 * true) -> nano-USD per million tokens, rounded half up. LLMGW_EINVAL when
 * malformed, negative or above LLMGW__PRICE_MAX_USD per token.
 */
int  llmgw__price_parse(int64_t *out, const char *text, size_t len, bool per_million);

/* Token counts in OpenAI's meaning (input includes cache reads and writes; output includes reasoning). */
typedef struct llmgw__cost {
    int64_t total;      /* nano-USD */
    int64_t input;      /* input, cache reads and writes: the input terms, rounded */
    int64_t output;     /* output and reasoning: total - input */
} llmgw__cost;

/*
 * The cost formula (docs/prices.md §2) with checked 64-bit products, the
 * sum divided by 10^6 once, rounding half up. LLMGW_EINVAL (out zeroed) on
 * overflow, a missing input or output rate, or counts that do not add up
 * (cache reads + writes > input, reasoning > output, any count >= 2^40):
 * the caller reports the cost as unknown, never 0.
 */
int  llmgw__cost_compute(llmgw__cost *out, const llmgw__price *p, const llmgw_token_counts *c);

/* ---- private to lib/accounting ---- */

/* A row of the built-in table: prices as published, in decimal USD per million tokens. */
typedef struct llmgw__price_row {
    const char *provider;            /* llmgw provider id */
    const char *key;                 /* "provider/model", or "provider/" + "*" for a whole provider */
    const char *input, *output, *cache_read, *cache_creation, *reasoning;     /* NULL: none */
    int64_t     tier_threshold;
    const char *input_above, *output_above, *cache_read_above, *cache_creation_above;
    int64_t     max_input_tokens, max_output_tokens;
} llmgw__price_row;

extern const llmgw__price_row llmgw__price_rows[];
extern const size_t llmgw__price_row_count;
/* Add entry n to t's index; false when its key is there already. */
bool llmgw__prices_index_add(llmgw__prices *t, size_t n);
/* A 64-bit mixer (the index's hash finaliser), also used to derive a table's seed. */
uint64_t llmgw__prices_seed(uint64_t h);
/* Index count entries into caller storage (nslots a power of two >= 2 * count); duplicates: first wins. */
void llmgw__prices_index(llmgw__prices *t, llmgw__price *entries, size_t count, uint32_t *slots,
                         size_t nslots, uint64_t seed);

#endif
