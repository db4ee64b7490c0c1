/*
 * lib/cache/jsonout.c: compact JSON text into a buffer or a running SHA-256.
 */
#include "../core/common.h"
#include "../core/buf.h"
#include "jsonout.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define TWO_POW_53 9007199254740992.0

void llmgw__jout_init_buf(llmgw__jout *o, llmgw_buf *buf)
{
    o->buf = buf;
    o->sha = NULL;
    o->fill = 0;
    o->total = 0;
    o->err = 0;
}

void llmgw__jout_init_sha(llmgw__jout *o, llmgw__sha256_ctx *sha)
{
    o->buf = NULL;
    o->sha = sha;
    o->fill = 0;
    o->total = 0;
    o->err = 0;
}

static void emit(llmgw__jout *o, const char *s, size_t n)
{
    if (n == 0 || o->err != 0)
        return;
    if (o->sha != NULL)
        llmgw__sha256_update(o->sha, s, n);
    else if (llmgw__buf_put(o->buf, s, n) < 0)
        o->err = LLMGW_ENOMEM;
}

static void flush(llmgw__jout *o)
{
    emit(o, o->stage, o->fill);
    o->fill = 0;
}

void llmgw__jout_put(llmgw__jout *o, const char *s, size_t n)
{
    o->total += n;
    if (n > sizeof(o->stage) - o->fill) {
        flush(o);
        if (n >= sizeof(o->stage)) {
            emit(o, s, n);
            return;
        }
    }
    memcpy(o->stage + o->fill, s, n);
    o->fill += n;
}

void llmgw__jout_putc(llmgw__jout *o, char c)
{
    if (o->fill == sizeof(o->stage))
        flush(o);
    o->stage[o->fill++] = c;
    o->total++;
}

void llmgw__jout_string(llmgw__jout *o, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s, *end = p + n, *run;

    llmgw__jout_putc(o, '"');
    while (p < end) {
        char esc[6];
        size_t elen = 2;
        unsigned char c;

        for (run = p; p < end && *p >= 0x20 && *p != '"' && *p != '\\'; p++)
            ;
        llmgw__jout_put(o, (const char *)run, (size_t)(p - run));
        if (p == end)
            break;
        c = *p++;
        esc[0] = '\\';
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
            esc[2] = '0';
            esc[3] = '0';
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            elen = 6;
            break;
        }
        llmgw__jout_put(o, esc, elen);
    }
    llmgw__jout_putc(o, '"');
}

void llmgw__jout_int(llmgw__jout *o, int64_t v)
{
    char tmp[24];
    size_t i = sizeof(tmp);
    uint64_t m = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

    do {
        tmp[--i] = (char)('0' + (int)(m % 10));
        m /= 10;
    } while (m != 0);
    if (v < 0)
        tmp[--i] = '-';
    llmgw__jout_put(o, tmp + i, sizeof(tmp) - i);
}

/*
 * printf's %g in the current locale, rewritten to JSON: whatever stands
 * between the digits of the mantissa (the locale's decimal point, possibly
 * several bytes) becomes '.', and the exponent loses its '+' and leading
 * zeros ("1e+20" -> "1e20", "1e-07" -> "1e-7").
 */
static size_t normalize(char *out, const char *raw)
{
    size_t n = 0;
    bool point = false;

    for (; *raw != '\0' && *raw != 'e' && *raw != 'E'; raw++) {
        if ((*raw >= '0' && *raw <= '9') || *raw == '-')
            out[n++] = *raw;
        else if (!point) {
            out[n++] = '.';
            point = true;
        }
    }
    if (*raw != '\0') {
        out[n++] = 'e';
        raw++;
        if (*raw == '-')
            out[n++] = *raw++;
        else if (*raw == '+')
            raw++;
        while (raw[0] == '0' && raw[1] >= '0' && raw[1] <= '9')
            raw++;
        for (; *raw >= '0' && *raw <= '9'; raw++)
            out[n++] = *raw;
    }
    return n;
}

void llmgw__jout_number(llmgw__jout *o, double v)
{
    char raw[48], out[48];
    int prec;

    if (isnan(v)) {
        if (o->err == 0)
            o->err = LLMGW_EINVAL;
        return;
    }
    if (isinf(v)) {
        llmgw__jout_put(o, v > 0 ? "1e999" : "-1e999", v > 0 ? 5 : 6);
        return;
    }
    if (v == 0) {                   /* -0 too */
        llmgw__jout_putc(o, '0');
        return;
    }
    if (floor(v) == v && fabs(v) <= TWO_POW_53) {
        llmgw__jout_int(o, (int64_t)v);
        return;
    }
    /* the same locale formats and parses, so the round trip check holds in any locale */
    for (prec = 15; prec < 17; prec++) {
        snprintf(raw, sizeof(raw), "%.*g", prec, v);
        if (strtod(raw, NULL) == v)
            break;
    }
    if (prec == 17)
        snprintf(raw, sizeof(raw), "%.17g", v);
    llmgw__jout_put(o, out, normalize(out, raw));
}

int llmgw__jout_finish(llmgw__jout *o)
{
    flush(o);
    return o->err;
}
