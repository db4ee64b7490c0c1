/*
 * lib/accounting/logtime.c: the times of usage logs and report windows:
 * RFC 3339 read and written without the C library's time zone or locale,
 * dates, and spans back from now ("7d").
 */
#include "../core/common.h"
#include "../core/errors.h"
#include "logread.h"

#include <stdio.h>

#define US_PER_SEC  INT64_C(1000000)
#define SEC_PER_DAY INT64_C(86400)

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
    int64_t era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
    int64_t era, doe, yoe, doy, mp;

    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

static bool is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(int64_t y, int64_t m)
{
    static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

    return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* Exactly n digits at *p; advances. -1 when not digits. */
static int64_t digits(const char **p, int n)
{
    int64_t v = 0;
    int i;

    for (i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return -1;
        v = v * 10 + (c - '0');
    }
    *p += n;
    return v;
}

static int bad_time(const char *text)
{
    return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG,
                             "invalid time '%.64s': use 2026-03-01, 2026-03-01T12:00:00Z or a span such as 7d, 36h",
                             text);
}

/* "7d", "36h", "90m", "45s", "2w": now - span. */
static int parse_span(int64_t *out, const char *text, int64_t now_us)
{
    const char *p = text;
    int64_t n = 0, unit;

    if (*p < '0' || *p > '9')
        return -1;
    for (; *p >= '0' && *p <= '9'; p++) {
        n = n * 10 + (*p - '0');
        if (n > 1000000)
            return -1;
    }
    switch (*p) {
    case 's': unit = 1; break;
    case 'm': unit = 60; break;
    case 'h': unit = 3600; break;
    case 'd': unit = SEC_PER_DAY; break;
    case 'w': unit = 7 * SEC_PER_DAY; break;
    default: return -1;
    }
    if (p[1] != '\0')
        return -1;
    *out = now_us - n * unit * US_PER_SEC;
    return 0;
}

int llmgw__time_parse(int64_t *out_us, const char *text, int64_t now_us)
{
    const char *p = text;
    int64_t y, mo, d, h = 0, mi = 0, s = 0, frac = 0, off = 0, secs;
    int nfrac = 0;

    if (text == NULL || *text == '\0')
        return bad_time("");
    if (parse_span(out_us, text, now_us) == 0)
        return 0;
    if ((y = digits(&p, 4)) < 1970 || *p++ != '-' || (mo = digits(&p, 2)) < 1 || mo > 12 || *p++ != '-' ||
        (d = digits(&p, 2)) < 1 || d > month_days(y, mo))
        return bad_time(text);
    if (*p == 'T' || *p == 't' || *p == ' ') {
        p++;
        if ((h = digits(&p, 2)) < 0 || h > 23 || *p++ != ':' || (mi = digits(&p, 2)) < 0 || mi > 59)
            return bad_time(text);
        if (*p == ':') {
            p++;
            if ((s = digits(&p, 2)) < 0 || s > 60)          /* 60: a leap second, read as :59 + 1 */
                return bad_time(text);
            if (*p == '.') {
                for (p++; *p >= '0' && *p <= '9'; p++, nfrac++)
                    if (nfrac < 6)
                        frac = frac * 10 + (*p - '0');
                if (nfrac == 0)
                    return bad_time(text);
                for (; nfrac < 6; nfrac++)
                    frac *= 10;
            }
        }
        if (*p == 'Z' || *p == 'z') {
            p++;
        } else if (*p == '+' || *p == '-') {
            int sign = *p++ == '-' ? -1 : 1;
            int64_t oh, om;
            if ((oh = digits(&p, 2)) < 0 || oh > 23 || *p++ != ':' || (om = digits(&p, 2)) < 0 || om > 59)
                return bad_time(text);
            off = sign * (oh * 3600 + om * 60);
        }
    }
    if (*p != '\0')
        return bad_time(text);
    secs = days_from_civil(y, mo, d) * SEC_PER_DAY + h * 3600 + mi * 60 + s - off;
    *out_us = secs * US_PER_SEC + frac;
    return 0;
}

void llmgw__time_format(char *out, size_t n, int64_t us)
{
    int64_t secs = us >= 0 ? us / US_PER_SEC : -((-us + US_PER_SEC - 1) / US_PER_SEC);
    int64_t frac = us - secs * US_PER_SEC, days = secs >= 0 ? secs / SEC_PER_DAY
                                                            : -((-secs + SEC_PER_DAY - 1) / SEC_PER_DAY);
    int64_t rem = secs - days * SEC_PER_DAY;
    int y, m, d;

    civil_from_days(days, &y, &m, &d);
    if (frac == 0)
        snprintf(out, n, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, m, d, (int)(rem / 3600), (int)(rem / 60 % 60),
                 (int)(rem % 60));
    else
        snprintf(out, n, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", y, m, d, (int)(rem / 3600),
                 (int)(rem / 60 % 60), (int)(rem % 60), (int)frac);
}

void llmgw__day_format(char *out, size_t n, int64_t us)
{
    char full[48];

    llmgw__time_format(full, sizeof(full), us);
    snprintf(out, n, "%.10s", full);
}
