/*
 * lib/accounting/cost.c: integer money. Decimal prices become nano-USD per
 * million tokens exactly, and the cost formula of docs/prices.md §2 runs
 * on checked 64-bit integers, so ledgers sum exactly (docs/prices.md).
 *
 * Exactness: a rate r in USD per token is a decimal m x 10^e. Stored as
 * R = m x 10^(e+15) rounded half up, it is exact whenever r has no digit
 * below 10^-15 USD (every published price: the smallest in LiteLLM's
 * catalogue is 1.3e-10). A cost is sum(tokens_i x R_i) / 10^6, one integer
 * division rounded half up, so the only rounding per request is to the
 * nano-dollar, and a sum of costs is a plain integer sum.
 */
#include "../core/common.h"
#include "../core/errors.h"
#include "prices.h"

#include <math.h>
#include <stdio.h>

/* nano-USD per million tokens per USD per token */
#define SHIFT_PER_TOKEN   15
#define SHIFT_PER_MILLION 9
/* LLMGW__PRICE_MAX_USD per token, in nano-USD per million tokens */
#define RATE_CAP ((int64_t)1000000000000000000)
/* significant digits a double keeps through a decimal round trip (DBL_DIG) */
#define EXACT_DIGITS 15

static const uint64_t pow10_u64[20] = {
    1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL, 10000000ULL, 100000000ULL,
    1000000000ULL, 10000000000ULL, 100000000000ULL, 1000000000000ULL, 10000000000000ULL,
    100000000000000ULL, 1000000000000000ULL, 10000000000000000ULL, 100000000000000000ULL,
    1000000000000000000ULL, 10000000000000000000ULL,
};

/* mant x 10^exp, rounded half up to an integer; -1 when above INT64_MAX. */
static int64_t scale_round(uint64_t mant, int exp)
{
    uint64_t p, q, r;

    if (mant == 0)
        return 0;
    if (exp >= 0) {
        if (exp > 18 || mant > (uint64_t)INT64_MAX / pow10_u64[exp])
            return -1;
        return (int64_t)(mant * pow10_u64[exp]);
    }
    if (exp < -19)
        return 0;               /* mant < 2^64 < 10^20 / 2 */
    p = pow10_u64[-exp];
    q = mant / p;
    r = mant % p;
    if (r >= p - r)             /* 2r >= p: half up */
        q++;
    return q > (uint64_t)INT64_MAX ? -1 : (int64_t)q;
}

/* Decimal text -> mant x 10^exp. 0, or -1 when malformed or with more than 19 significant digits. */
static int parse_decimal(const char *s, size_t len, uint64_t *mant_out, int *exp_out)
{
    uint64_t mant = 0;
    int exp = 0, sig = 0;
    size_t i = 0;
    bool any = false, dot = false;

    for (; i < len; i++) {
        char ch = s[i];
        if (ch == '.' && !dot) {
            dot = true;
            continue;
        }
        if (ch < '0' || ch > '9')
            break;
        any = true;
        if (mant == 0 && ch == '0') {
            exp -= dot;         /* a leading zero */
        } else if (sig < 19) {
            mant = mant * 10 + (uint64_t)(ch - '0');
            sig++;
            exp -= dot;
        } else if (ch != '0') {
            return -1;          /* a 20th significant digit that is not zero */
        } else {
            exp += !dot;        /* trailing zeros past 19 digits */
        }
    }
    if (!any)
        return -1;
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        int sign = 1, e = 0;
        bool edigit = false;
        if (++i < len && (s[i] == '+' || s[i] == '-'))
            sign = s[i++] == '-' ? -1 : 1;
        for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
            edigit = true;
            if (e < 100000)
                e = e * 10 + (s[i] - '0');
        }
        if (!edigit)
            return -1;
        exp += sign * e;
    }
    if (i != len)
        return -1;
    *mant_out = mant;
    *exp_out = exp;
    return 0;
}

int llmgw__price_parse(int64_t *out, const char *text, size_t len, bool per_million)
{
    uint64_t mant;
    int exp;
    int64_t rate;
    int shown = (int)LLMGW_MIN(len, (size_t)40);

    LLMGW_CHECK_ARG(out);
    LLMGW_CHECK_ARG(text);
    *out = LLMGW__PRICE_NONE;
    if (len > 0 && text[0] == '-')
        return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG, "price \"%.*s\" is negative",
                                 shown, text);
    if (parse_decimal(text, len, &mant, &exp) < 0)
        return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG,
                                 "price \"%.*s\" is not a decimal number", shown, text);
    rate = scale_round(mant, exp + (per_million ? SHIFT_PER_MILLION : SHIFT_PER_TOKEN));
    if (rate < 0 || rate > RATE_CAP)
        return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG,
                                 "price \"%.*s\" is above %g USD per token", shown, text,
                                 LLMGW__PRICE_MAX_USD);
    *out = rate;
    return 0;
}

int64_t llmgw__price_from_usd_per_token(double usd)
{
    char buf[48];
    uint64_t mant = 0;
    int exp = 0, n, sign = 1;
    const char *p;
    double r;

    if (!isfinite(usd) || usd < 0 || usd > LLMGW__PRICE_MAX_USD)
        return LLMGW__PRICE_NONE;
    if (usd == 0)
        return 0;
    /*
     * Fast path, exact by this argument: D, the 15-digit decimal below, is
     * within 5e-15 relative of usd, and r = fl(usd x 1e15) within 2^-53, so
     * below 2^40 |D x 1e15 - r| < 0.006. Unless r is within 0.01 of a half,
     * D x 1e15 and r round to the same integer.
     */
    r = usd * 1e15;
    if (r < 1099511627776.0) {
        double whole = floor(r), frac = r - whole;
        if (fabs(frac - 0.5) > 0.01)
            return (int64_t)whole + (frac > 0.5);
    }
    /*
     * The decimal the author wrote: a double holds any decimal of up to 15
     * significant digits exactly enough that printing it back to 15 digits,
     * correctly rounded, gives that decimal again (DBL_DIG). "%.14e" is
     * d.dddddddddddddde[+-]XX; only the radix character follows the locale,
     * so read digits and skip whatever else comes before the 'e'.
     */
    n = snprintf(buf, sizeof(buf), "%.*e", EXACT_DIGITS - 1, usd);
    if (n <= 0 || (size_t)n >= sizeof(buf))
        return LLMGW__PRICE_NONE;
    for (p = buf; *p != '\0' && *p != 'e' && *p != 'E'; p++)
        if (*p >= '0' && *p <= '9')
            mant = mant * 10 + (uint64_t)(*p - '0');
    if (*p == '\0')
        return LLMGW__PRICE_NONE;
    p++;
    if (*p == '-' || *p == '+')
        sign = *p++ == '-' ? -1 : 1;
    for (; *p >= '0' && *p <= '9'; p++)
        exp = exp * 10 + (*p - '0');
    /* value = mant x 10^(exp - 14); rate = value x 10^15 */
    return scale_round(mant, sign * exp - (EXACT_DIGITS - 1) + SHIFT_PER_TOKEN);
}

/* ---- the formula ---- */

/* acc += rate x tokens, checked. */
static bool mul_add(int64_t *acc, int64_t rate, uint64_t tokens)
{
    int64_t term;

    if (tokens == 0 || rate == 0)
        return true;
    if ((uint64_t)rate > (uint64_t)INT64_MAX / tokens)
        return false;
    term = rate * (int64_t)tokens;
    if (*acc > INT64_MAX - term)
        return false;
    *acc += term;
    return true;
}

/* nano-USD x 10^6 -> nano-USD, half up (sum >= 0). */
static int64_t per_million(int64_t sum)
{
    return sum / 1000000 + (sum % 1000000 >= 500000);
}

static bool rate_ok(int64_t r)
{
    return r >= 0 || r == LLMGW__PRICE_NONE;
}

/* base, or above when the tier applies and the field exists */
static int64_t tiered(bool tier, int64_t above, int64_t base)
{
    return tier && above != LLMGW__PRICE_NONE ? above : base;
}

static int unknown(llmgw__cost *out, const char *why, const llmgw__price *p)
{
    memset(out, 0, sizeof(*out));
    return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_NONE, "cost unknown for %s: %s",
                             p->key[0] ? p->key : "(unnamed price)", why);
}

int llmgw__cost_compute(llmgw__cost *out, const llmgw__price *p, const llmgw_token_counts *c)
{
    int64_t in, outr, cr, cw, rs, in_sum = 0, out_sum = 0, total;
    bool tier;

    LLMGW_CHECK_ARG(out);
    memset(out, 0, sizeof(*out));
    LLMGW_CHECK_ARG(p);
    LLMGW_CHECK_ARG(c);
    if (!rate_ok(p->input) || !rate_ok(p->output) || !rate_ok(p->cache_read) ||
        !rate_ok(p->cache_creation) || !rate_ok(p->reasoning) || !rate_ok(p->input_above) ||
        !rate_ok(p->output_above) || !rate_ok(p->cache_read_above) ||
        !rate_ok(p->cache_creation_above) || p->tier_threshold < 0)
        return unknown(out, "a negative rate", p);
    if (c->input_tokens >= LLMGW_MAX_TOKENS_VALUE || c->output_tokens >= LLMGW_MAX_TOKENS_VALUE ||
        c->cache_read_tokens >= LLMGW_MAX_TOKENS_VALUE ||
        c->cache_creation_tokens >= LLMGW_MAX_TOKENS_VALUE || c->reasoning_tokens >= LLMGW_MAX_TOKENS_VALUE)
        return unknown(out, "a token count of 2^40 or more", p);
    if (c->cache_read_tokens + c->cache_creation_tokens > c->input_tokens)
        return unknown(out, "cache reads and writes exceed the input tokens", p);
    if (c->reasoning_tokens > c->output_tokens)
        return unknown(out, "reasoning tokens exceed the output tokens", p);

    tier = p->tier_threshold > 0 && c->input_tokens > (uint64_t)p->tier_threshold;
    in = tiered(tier, p->input_above, p->input);
    outr = tiered(tier, p->output_above, p->output);
    if (in == LLMGW__PRICE_NONE || outr == LLMGW__PRICE_NONE)
        return unknown(out, in == LLMGW__PRICE_NONE ? "no input price" : "no output price", p);
    cr = tiered(tier, p->cache_read_above, p->cache_read);
    cw = tiered(tier, p->cache_creation_above, p->cache_creation);
    rs = p->reasoning;
    if (cr == LLMGW__PRICE_NONE)
        cr = in;
    if (cw == LLMGW__PRICE_NONE)
        cw = in;
    if (rs == LLMGW__PRICE_NONE)
        rs = outr;

    if (!mul_add(&in_sum, in, c->input_tokens - c->cache_read_tokens - c->cache_creation_tokens) ||
        !mul_add(&in_sum, cr, c->cache_read_tokens) || !mul_add(&in_sum, cw, c->cache_creation_tokens) ||
        !mul_add(&out_sum, outr, c->output_tokens - c->reasoning_tokens) ||
        !mul_add(&out_sum, rs, c->reasoning_tokens) || in_sum > INT64_MAX - out_sum)
        return unknown(out, "the cost overflows 64 bits", p);
    total = per_million(in_sum + out_sum);
    out->total = total;
    out->input = per_million(in_sum);
    out->output = total - out->input;
    return 0;
}
