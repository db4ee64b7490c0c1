/*
 * lib/cache/canon.c: fast string and number spelling for the canonical
 * request (see canon.h).
 *
 * Strings: strlen, then eight bytes at a time, looking for a byte below
 * 0x20, '"' or '\\' with the usual word tricks (a lane whose byte is less
 * than n: (x - n*ONES) & ~x & HIGHS; exact in the "any lane" sense, which is
 * all that is asked); clean runs go out with one copy.
 *
 * Numbers: jsonout.c spells a non-integer with printf's %.15g when that
 * reads back exactly. When a = |v| times 10^k (k <= 6) is an integer m below
 * 10^15 and m / 10^k == a (m and 10^k are exact doubles and the division
 * is correctly rounded, so the decimal d = m / 10^k reads back as a), d has
 * at most 15 significant digits and a lies within half an ulp of it, less
 * than half a unit of the 15th digit: %.15g prints d, in fixed notation for
 * 1e-4 <= d < 1e15, without trailing zeros. That is what this writes.
 */
#include "../core/common.h"
#include "canon.h"

#include <math.h>

#define ONES  0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

static inline uint64_t any_below(uint64_t x, unsigned n)
{
    return (x - ONES * n) & ~x & HIGHS;
}

static inline uint64_t any_equal(uint64_t x, unsigned char c)
{
    return any_below(x ^ (ONES * c), 1);
}

static inline bool special(unsigned char c)
{
    return c < 0x20 || c == '"' || c == '\\';
}

static void escape(llmgw__jout *o, unsigned char c)
{
    static const char hex[] = "0123456789abcdef";
    char esc[6] = { '\\', 0, '0', '0', 0, 0 };

    switch (c) {
    case '"':  esc[1] = '"'; break;
    case '\\': esc[1] = '\\'; break;
    case '\b': esc[1] = 'b'; break;
    case '\f': esc[1] = 'f'; break;
    case '\n': esc[1] = 'n'; break;
    case '\r': esc[1] = 'r'; break;
    case '\t': esc[1] = 't'; break;
    default:
        esc[1] = 'u';
        esc[4] = hex[c >> 4];
        esc[5] = hex[c & 15];
        llmgw__jout_put(o, esc, 6);
        return;
    }
    llmgw__jout_put(o, esc, 2);
}

void llmgw__canon_string(llmgw__jout *o, const char *s)
{
    size_t n = strlen(s), i = 0, run = 0;

    llmgw__jout_putc(o, '"');
    while (i < n) {
        while (i + 8 <= n) {
            uint64_t x;
            memcpy(&x, s + i, 8);
            if (any_below(x, 0x20) | any_equal(x, '"') | any_equal(x, '\\'))
                break;
            i += 8;
        }
        while (i < n && !special((unsigned char)s[i]))
            i++;
        if (i == n)
            break;
        llmgw__jout_put(o, s + run, i - run);
        escape(o, (unsigned char)s[i]);
        run = ++i;
    }
    llmgw__jout_put(o, s + run, n - run);
    llmgw__jout_putc(o, '"');
}

bool llmgw__canon_short_decimal(char out[32], size_t *len_out, double v)
{
    static const double p10[] = { 1, 10, 100, 1e3, 1e4, 1e5, 1e6 };
    double a = fabs(v), m = 0;
    char digits[24];
    uint64_t im;
    size_t k, nd = 0, len = 0, i;

    if (!(a >= 1e-4 && a < 1e15) || floor(a) == a)
        return false;
    for (k = 1; k < LLMGW_ARRAY_SIZE(p10); k++) {
        m = a * p10[k];
        if (m >= 1e15)
            return false;
        if (floor(m) == m)
            break;
    }
    if (k == LLMGW_ARRAY_SIZE(p10) || m / p10[k] != a)
        return false;
    im = (uint64_t)m;
    while (k > 0 && im % 10 == 0) {
        im /= 10;
        k--;
    }
    if (k == 0)
        return false;       /* not reached: an integer d reads back as itself */
    do {
        digits[nd++] = (char)('0' + (int)(im % 10));
        im /= 10;
    } while (im != 0);
    if (v < 0)
        out[len++] = '-';
    if (nd <= k) {
        out[len++] = '0';
        out[len++] = '.';
        for (i = nd; i < k; i++)
            out[len++] = '0';
        while (nd > 0)
            out[len++] = digits[--nd];
    } else {
        while (nd > 0) {
            if (nd == k)
                out[len++] = '.';
            out[len++] = digits[--nd];
        }
    }
    out[len] = '\0';
    *len_out = len;
    return true;
}

void llmgw__canon_number(llmgw__jout *o, double v)
{
    char s[32];
    size_t len;

    if (llmgw__canon_short_decimal(s, &len, v))
        llmgw__jout_put(o, s, len);
    else
        llmgw__jout_number(o, v);
}
