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
    case LLMGW__XFER_PARTIAL:
        set(o, LLMGW_ERRCLASS_NETWORK, LLMGW__RETRY_YES, true, true);
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

/* IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" -> Unix seconds, or -1. */
static int64_t parse_http_date(const char *s)
{
    char mon[4];
    int day, year, hh, mm, ss, consumed = 0;
    struct tm tm;
    const char *comma = strchr(s, ',');
    char *end;
    long v;

    if (comma == NULL)
        return -1;
    s = comma + 1;
    while (*s == ' ')
        s++;
    v = strtol(s, &end, 10);
    if (end == s || *end != ' ')
        return -1;
    day = (int)v;
    s = end + 1;
    if (strlen(s) < 4)
        return -1;
    memcpy(mon, s, 3);
    mon[3] = '\0';
    s += 3;
    if (*s++ != ' ')
        return -1;
    v = strtol(s, &end, 10);
    if (end == s || *end != ' ')
        return -1;
    year = (int)v;
    s = end + 1;
    if (strlen(s) < 8 || s[2] != ':' || s[5] != ':')
        return -1;
    hh = (s[0] - '0') * 10 + (s[1] - '0');
    mm = (s[3] - '0') * 10 + (s[4] - '0');
    ss = (s[6] - '0') * 10 + (s[7] - '0');
    consumed = 8;
    if (strcmp(s + consumed, " GMT") != 0)
        return -1;
    if (month_index(mon) < 0 || day < 1 || day > 31 || year < 1970 || year > 9999 || hh > 23 ||
        mm > 59 || ss > 60)
        return -1;
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = year - 1900;
    tm.tm_mon = month_index(mon);
    tm.tm_mday = day;
    tm.tm_hour = hh;
    tm.tm_min = mm;
    tm.tm_sec = ss;
    return (int64_t)timegm(&tm);
}

int64_t llmgw__parse_retry_after(const char *v, int64_t now_wall_us)
{
    char *end;
    double secs;
    int64_t when;

    if (v == NULL)
        return -1;
    while (*v == ' ')
        v++;
    if (*v == '\0')
        return -1;
    if ((*v >= '0' && *v <= '9') || *v == '.') {
        secs = strtod(v, &end);
        while (*end == ' ')
            end++;
        if (*end != '\0' || !isfinite(secs) || secs < 0 || secs > 1e9)
            return -1;
        return (int64_t)(secs * 1000.0);
    }
    when = parse_http_date(v);
    if (when < 0)
        return -1;
    when = when * 1000 - now_wall_us / 1000;
    return when < 0 ? 0 : when;
}

static int64_t parse_ms(const char *v)
{
    char *end;
    double ms;

    if (v == NULL || *v == '\0')
        return -1;
    ms = strtod(v, &end);
    while (*end == ' ')
        end++;
    if (end == v || *end != '\0' || !isfinite(ms) || ms < 0 || ms > 1e12)
        return -1;
    return (int64_t)ms;
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
