/*
 * lib/redis/url.c: Redis URLs (the redis-py / LiteLLM forms):
 *
 *   redis://[[user]:password@]host[:port][/db][?db=N]
 *   rediss://...                         (TLS: refused by this build, see shared.c)
 *   unix://[[user]:password@]/path/to/socket[?db=N]
 *
 * A URL may hold a password: no message here repeats any part of it.
 */
#include "../core/common.h"
#include "../core/errors.h"
#include "rconn.h"

#include <errno.h>
#include <stdlib.h>

void llmgw__redis_target_dispose(llmgw__redis_target *t)
{
    llmgw__free(t->host);
    llmgw__free(t->unix_path);
    llmgw__free(t->username);
    llmgw__free_secret(t->password);
    memset(t, 0, sizeof(*t));
}

static int bad(const char *what)
{
    return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG, "Redis url: %s", what);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Percent-decode [s, s + n) into a new string; control characters and NUL are refused. */
static int decode(char **out, const char *s, size_t n, bool secret)
{
    char *d = llmgw__malloc(n + 1);
    size_t i, j = 0;

    *out = NULL;
    if (d == NULL)
        return llmgw__error_oom();
    for (i = 0; i < n; i++) {
        int c = (unsigned char)s[i];
        if (c == '%') {
            int hi = i + 2 < n ? hexval(s[i + 1]) : -1;
            int lo = i + 2 < n ? hexval(s[i + 2]) : -1;
            if (hi < 0 || lo < 0) {
                if (secret)
                    llmgw__zeroize(d, n + 1);
                llmgw__free(d);
                return bad("a bad percent escape");
            }
            c = hi * 16 + lo;
            i += 2;
        }
        if (c < 0x20 || c == 0x7f) {
            if (secret)
                llmgw__zeroize(d, n + 1);
            llmgw__free(d);
            return bad("a control character");
        }
        d[j++] = (char)c;
    }
    d[j] = '\0';
    *out = d;
    return 0;
}

static int number(const char *s, size_t n, long max, long *out)
{
    char buf[16], *end;
    long v;

    if (n == 0 || n >= sizeof(buf))
        return -1;
    memcpy(buf, s, n);
    buf[n] = '\0';
    if (buf[0] < '0' || buf[0] > '9')
        return -1;
    errno = 0;
    v = strtol(buf, &end, 10);
    if (errno != 0 || *end != '\0' || v < 0 || v > max)
        return -1;
    *out = v;
    return 0;
}

/* userinfo "user:password", ":password" or "password" (redis-py reads a lone word as the password). */
static int userinfo(llmgw__redis_target *t, const char *s, size_t n)
{
    const char *colon = memchr(s, ':', n);
    char *user = NULL, *pass = NULL;
    int rc;

    if (colon == NULL) {
        LLMGW_TRY(decode(&pass, s, n, true));
        llmgw__free_secret(t->password);
        t->password = pass;
        return 0;
    }
    if (colon > s && (rc = decode(&user, s, (size_t)(colon - s), false)) < 0)
        return rc;
    if ((rc = decode(&pass, colon + 1, n - (size_t)(colon - s) - 1, true)) < 0) {
        llmgw__free(user);
        return rc;
    }
    llmgw__free(t->username);
    t->username = user;
    llmgw__free_secret(t->password);
    t->password = *pass ? pass : NULL;
    if (!*pass)
        llmgw__free(pass);
    return 0;
}

static int query(llmgw__redis_target *t, const char *q, size_t n)
{
    long v;

    if (n == 0)
        return 0;
    if (n < 3 || memcmp(q, "db=", 3) != 0 || memchr(q, '&', n) != NULL)
        return bad("only the query ?db=N is understood");
    if (number(q + 3, n - 3, 65535, &v) < 0)
        return bad("db must be a number in [0, 65535]");
    t->db = (int)v;
    return 0;
}

static int host_port(llmgw__redis_target *t, const char *s, size_t n)
{
    const char *host = s, *port = NULL;
    size_t hn = n;
    long v;

    if (n > 0 && s[0] == '[') {
        const char *close = memchr(s, ']', n);
        if (close == NULL)
            return bad("an unclosed [ in the host");
        host = s + 1;
        hn = (size_t)(close - s) - 1;
        if (close + 1 < s + n) {
            if (close[1] != ':')
                return bad("unexpected text after the host");
            port = close + 2;
        }
    } else {
        const char *colon = memchr(s, ':', n);
        if (colon != NULL) {
            hn = (size_t)(colon - s);
            port = colon + 1;
        }
    }
    if (hn == 0 || hn > 255)
        return bad("the host is empty or too long");
    if (port != NULL) {
        if (number(port, (size_t)(s + n - port), 65535, &v) < 0 || v == 0)
            return bad("the port must be a number in [1, 65535]");
        t->port = (int)v;
    }
    llmgw__free(t->host);
    t->host = NULL;
    llmgw__free(t->unix_path);
    t->unix_path = NULL;
    return decode(&t->host, host, hn, false);
}

int llmgw__redis_url_parse(llmgw__redis_target *t, const char *url)
{
    const char *p, *end, *at, *slash, *q;
    size_t n = strlen(url);
    bool is_unix = false;
    long v;

    if (n > 4096)
        return bad("longer than 4096 bytes");
    if (strncmp(url, "redis://", 8) == 0) {
        p = url + 8;
    } else if (strncmp(url, "rediss://", 9) == 0) {
        p = url + 9;
        t->tls = true;
    } else if (strncmp(url, "unix://", 7) == 0) {
        p = url + 7;
        is_unix = true;
    } else {
        return bad("must start with redis://, rediss:// or unix://");
    }
    end = url + n;
    q = memchr(p, '?', (size_t)(end - p));
    if (q == NULL)
        q = end;
    /* userinfo ends at the last '@' before the path: passwords may hold '/' when escaped, '@' never */
    at = NULL;
    for (slash = p; slash < q; slash++)
        if (*slash == '@')
            at = slash;
    if (at != NULL) {
        LLMGW_TRY(userinfo(t, p, (size_t)(at - p)));
        p = at + 1;
    }
    if (is_unix) {
        if (p >= q || *p != '/')
            return bad("a unix:// URL needs an absolute socket path");
        llmgw__free(t->unix_path);
        t->unix_path = NULL;
        llmgw__free(t->host);
        t->host = NULL;
        LLMGW_TRY(decode(&t->unix_path, p, (size_t)(q - p), false));
        if (strlen(t->unix_path) > 107)
            return bad("the socket path is longer than 107 bytes");
    } else {
        slash = memchr(p, '/', (size_t)(q - p));
        LLMGW_TRY(host_port(t, p, (size_t)((slash ? slash : q) - p)));
        if (slash != NULL && slash + 1 < q) {
            if (number(slash + 1, (size_t)(q - slash - 1), 65535, &v) < 0)
                return bad("the path must be a database number in [0, 65535]");
            t->db = (int)v;
        }
    }
    return q < end ? query(t, q + 1, (size_t)(end - q - 1)) : 0;
}
