/*
 * lib/router/policy.c: the error-classification table of
 * docs/resilience.md §b.2, and backoff.
 */
#include "../core/common.h"
#include "../core/clock.h"
#include "policy.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <strings.h>
#include <time.h>

static void set(llmgw__outcome *o, int cls, int r, bool f, bool b)
{
    o->error_class = cls;
    o->retry = r;
    o->failover = f;
    o->breaker = b;
}

void llmgw__classify_status(llmgw__outcome *o, int s)
{
    o->http_status = s;
    if (s >= 300 && s < 400)
        set(o, LLMGW_ERRCLASS_CONFIG, LLMGW__RETRY_NO, true, false);          /* redirect: never followed */
    else if (s == 401 || s == 403)
        set(o, LLMGW_ERRCLASS_AUTH, LLMGW__RETRY_NO, true, false);
    else if (s == 402)
        set(o, LLMGW_ERRCLASS_QUOTA_EXCEEDED, LLMGW__RETRY_NO, true, false);
    else if (s == 404)
        set(o, LLMGW_ERRCLASS_NOT_FOUND, LLMGW__RETRY_NO, true, false);
    else if (s == 408)
        set(o, LLMGW_ERRCLASS_TIMEOUT, LLMGW__RETRY_YES, true, false);
    else if (s == 409)
        set(o, LLMGW_ERRCLASS_BAD_REQUEST, LLMGW__RETRY_ONCE, false, false);
    else if (s == 413 || s == 422)
        set(o, LLMGW_ERRCLASS_BAD_REQUEST, LLMGW__RETRY_NO, false, false);
    else if (s == 425)
        set(o, LLMGW_ERRCLASS_SERVER_ERROR, LLMGW__RETRY_YES, false, false);
    else if (s == 429)
        set(o, LLMGW_ERRCLASS_RATE_LIMIT, LLMGW__RETRY_YES, true, false);
    else if (s >= 400 && s < 500)
        set(o, LLMGW_ERRCLASS_BAD_REQUEST, LLMGW__RETRY_NO, false, false);
    else if (s == 501 || s == 505)
        set(o, LLMGW_ERRCLASS_SERVER_ERROR, LLMGW__RETRY_NO, true, true);
    else if (s >= 500)
        set(o, LLMGW_ERRCLASS_SERVER_ERROR, LLMGW__RETRY_YES, true, true);   /* 500, 502-504, 529 */
    else
        set(o, LLMGW_ERRCLASS_SERVER_ERROR, LLMGW__RETRY_NO, true, true);    /* 1xx/2xx oddities */
}

void llmgw__classify_class_rules(llmgw__outcome *o)
{
    switch (o->error_class) {
    case LLMGW_ERRCLASS_QUOTA_EXCEEDED:
        set(o, o->error_class, LLMGW__RETRY_NO, true, false);
        break;
    case LLMGW_ERRCLASS_CONTEXT_LENGTH_EXCEEDED:
    case LLMGW_ERRCLASS_CONTENT_POLICY:
        set(o, o->error_class, LLMGW__RETRY_NO, false, false);
        break;
    case LLMGW_ERRCLASS_AUTH:
        set(o, o->error_class, LLMGW__RETRY_NO, true, false);
        break;
    case LLMGW_ERRCLASS_RATE_LIMIT:
        set(o, o->error_class, LLMGW__RETRY_YES, true, false);
        break;
    case LLMGW_ERRCLASS_NOT_FOUND:
        set(o, o->error_class, LLMGW__RETRY_NO, true, false);
        break;
    case LLMGW_ERRCLASS_BAD_REQUEST:
        if (o->http_status != 409)
            set(o, o->error_class, LLMGW__RETRY_NO, false, false);
        break;
    case LLMGW_ERRCLASS_SERVER_ERROR:
        if (o->http_status == 501 || o->http_status == 505)
            set(o, o->error_class, LLMGW__RETRY_NO, true, true);
        else if (o->http_status != 425)
            set(o, o->error_class, LLMGW__RETRY_YES, true, true);
        break;
    default:
        break;
    }
}

void llmgw__classify_transport(llmgw__outcome *o, llmgw__xfer_outcome x)
{
    o->http_status = 0;
    switch (x) {
    case LLMGW__XFER_CONNECT:
        o->sent = false;
        set(o, LLMGW_ERRCLASS_NETWORK, LLMGW__RETRY_YES, true, true);
        break;
    case LLMGW__XFER_TLS:
        o->sent = false;
        set(o, LLMGW_ERRCLASS_NETWORK, LLMGW__RETRY_NO, true, true);           /* never downgrade */
        break;
    case LLMGW__XFER_SEND:
    case LLMGW__XFER_RESET:
    case LLMGW__XFER_RECV:
        set(o, LLMGW_ERRCLASS_NETWORK, LLMGW__RETRY_YES, true, true);
        break;
    case LLMGW__XFER_PARTIAL:
        set(o, LLMGW_ERRCLASS_NETWORK, LLMGW__RETRY_ONCE, true, true);      /* likely truncation */
        break;
    case LLMGW__XFER_TIMEOUT_CONNECT:
        o->sent = false;
        set(o, LLMGW_ERRCLASS_TIMEOUT, LLMGW__RETRY_YES, true, true);
        break;
    case LLMGW__XFER_TIMEOUT_FIRST_BYTE:
    case LLMGW__XFER_TIMEOUT_IDLE:
    case LLMGW__XFER_TIMEOUT_TOTAL:
        set(o, LLMGW_ERRCLASS_TIMEOUT, LLMGW__RETRY_YES, true, true);
        break;
    case LLMGW__XFER_TOO_LARGE:
    case LLMGW__XFER_HEADERS_TOO_LARGE:
        set(o, LLMGW_ERRCLASS_SERVER_ERROR, LLMGW__RETRY_NO, false, false);    /* hostile upstream */
        break;
    case LLMGW__XFER_CANCELLED:
    case LLMGW__XFER_STOPPED:
        set(o, LLMGW_ERRCLASS_CANCELLED, LLMGW__RETRY_NO, false, false);
        break;
    case LLMGW__XFER_REDIRECT:
        set(o, LLMGW_ERRCLASS_CONFIG, LLMGW__RETRY_NO, true, false);
        break;
    case LLMGW__XFER_NOMEM:
    case LLMGW__XFER_INTERNAL:
    case LLMGW__XFER_OK:
    default:
        set(o, LLMGW_ERRCLASS_NETWORK, LLMGW__RETRY_NO, false, false);
        break;
    }
}

void llmgw__classify_should_retry(llmgw__outcome *o, int should_retry)
{
    if (should_retry == 0)
        o->retry = LLMGW__RETRY_NO;
    else if (should_retry == 1 && o->retry == LLMGW__RETRY_NO)
        o->retry = LLMGW__RETRY_YES;
}

static int month_index(const char *m)
{
    static const char *const names[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
    int i;

    for (i = 0; i < 12; i++)
        if (strncmp(m, names[i], 3) == 0)
            return i;
    return -1;
}

/* The n decimal digits at s as a number, or -1. */
static int fixed_digits(const char *s, size_t n)
{
    int v = 0;
    size_t i;

    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" -> Unix seconds, or -1. */
static int64_t parse_http_date(const char *s)
{
    const char *comma = strchr(s, ',');
    int day, mon, year, hh, mm, ss;
    struct tm tm;

    /* after the day name: "06 Nov 1994 08:49:37 GMT", fixed positions */
    if (comma == NULL || comma[1] != ' ' || strlen(comma + 2) != 24)
        return -1;
    s = comma + 2;
    if (s[2] != ' ' || s[6] != ' ' || s[11] != ' ' || s[14] != ':' || s[17] != ':' ||
        strcmp(s + 20, " GMT") != 0)
        return -1;
    day = fixed_digits(s, 2);
    mon = month_index(s + 3);
    year = fixed_digits(s + 7, 4);
    hh = fixed_digits(s + 12, 2);
    mm = fixed_digits(s + 15, 2);
    ss = fixed_digits(s + 18, 2);
    if (day < 1 || day > 31 || mon < 0 || year < 1970 || hh < 0 || hh > 23 || mm < 0 || mm > 59 ||
        ss < 0 || ss > 60)
        return -1;
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = year - 1900;
    tm.tm_mon = mon;
    tm.tm_mday = day;
    tm.tm_hour = hh;
    tm.tm_min = mm;
    tm.tm_sec = ss;
    return (int64_t)timegm(&tm);
}

/*
 * "digits[.digits]" times scale (1000: seconds to ms), blanks around it
 * allowed; -1 when not of that form or when the whole part exceeds max.
 * No sign, exponent or hex, and independent of LC_NUMERIC (strtod reads
 * "1.5" as 1 in a comma-decimal locale).
 */
static int64_t parse_decimal(const char *v, int64_t scale, int64_t max)
{
    int64_t whole = 0, frac = 0, unit = scale;
    bool any = false;

    if (v == NULL)
        return -1;
    while (*v == ' ' || *v == '\t')
        v++;
    for (; *v >= '0' && *v <= '9'; v++, any = true) {
        if (whole > max)
            return -1;
        whole = whole * 10 + (*v - '0');
    }
    if (!any)
        return -1;
    if (*v == '.') {
        if (v[1] < '0' || v[1] > '9')
            return -1;
        for (v++; *v >= '0' && *v <= '9'; v++) {
            if (unit >= 10) {
                unit /= 10;
                frac += (*v - '0') * unit;
            }
        }
    }
    while (*v == ' ' || *v == '\t')
        v++;
    if (*v != '\0' || whole > max)
        return -1;
    return whole * scale + frac;
}

int64_t llmgw__parse_retry_after(const char *v, int64_t now_wall_us)
{
    int64_t when;

    if (v == NULL)
        return -1;
    while (*v == ' ')
        v++;
    if (*v >= '0' && *v <= '9')
        return parse_decimal(v, 1000, 1000000000);     /* seconds, fractions allowed */
    when = parse_http_date(v);
    if (when < 0)
        return -1;
    when = when * 1000 - now_wall_us / 1000;
    return when < 0 ? 0 : when;
}

static int64_t parse_ms(const char *v)
{
    return parse_decimal(v, 1, 1000000000000LL);
}

int64_t llmgw__retry_after_ms(const llmgw_http_response *r, int64_t now_wall_us)
{
    int64_t v;

    if ((v = parse_ms(llmgw_http_response_header(r, "retry-after-ms"))) >= 0)
        return v;
    if ((v = parse_ms(llmgw_http_response_header(r, "x-ms-retry-after-ms"))) >= 0)
        return v;
    return llmgw__parse_retry_after(llmgw_http_response_header(r, "retry-after"), now_wall_us);
}

int64_t llmgw__backoff_us(unsigned int n, uint64_t *rng)
{
    int64_t cap_ms = 500;

    if (n == 0)
        n = 1;
    while (--n > 0 && cap_ms < 8000)
        cap_ms *= 2;
    if (cap_ms > 8000)
        cap_ms = 8000;
    return (int64_t)llmgw__rand_below(rng, (uint64_t)cap_ms * 1000 + 1);
}
