/*
 * lib/transport/sigv4.c: AWS Signature Version 4, header form.
 *
 *   canonical request = METHOD \n URI \n QUERY \n (name:value \n)* \n SIGNED_HEADERS \n HEX(SHA256(body))
 *   string to sign    = AWS4-HMAC-SHA256 \n DATE \n yyyymmdd/region/service/aws4_request \n HEX(SHA256(canonical))
 *   signing key       = HMAC chain "AWS4"+secret -> yyyymmdd -> region -> service -> "aws4_request"
 */
#include "../core/common.h"
#include "../core/buf.h"
#include "../core/errors.h"
#include "../core/hash.h"
#include "sigv4.h"

#include <strings.h>
#include <time.h>

#define BAD(...) llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG, __VA_ARGS__)
#define MAX_QUERY_PARAMS 64

/* A name/value pair kept as offsets into a scratch buffer (which may move). */
typedef struct pair {
    size_t name_off, name_len, value_off, value_len;
} pair;

static bool unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '.' || c == '_' || c == '~';
}

/* RFC 3986 encoding with uppercase hex, AWS's rule; '/' kept when asked (paths). */
static int put_encoded(llmgw_buf *b, const char *s, size_t n, bool keep_slash)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t i;

    LLMGW_TRY(llmgw__buf_grow(b, n * 3));
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (unreserved(c) || (keep_slash && c == '/')) {
            b->ptr[b->size++] = (char)c;
        } else {
            b->ptr[b->size++] = '%';
            b->ptr[b->size++] = hex[c >> 4];
            b->ptr[b->size++] = hex[c & 15];
        }
    }
    b->ptr[b->size] = '\0';
    return 0;
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

/* Decode %XX (a stray '%' stays literal), then encode the AWS way. */
static int put_reencoded(llmgw_buf *b, const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        char c = s[i];
        int hi = c == '%' && i + 2 < n ? hexval(s[i + 1]) : -1, lo = hi >= 0 ? hexval(s[i + 2]) : -1;
        if (hi >= 0 && lo >= 0) {
            c = (char)(hi << 4 | lo);
            i += 2;
        }
        LLMGW_TRY(put_encoded(b, &c, 1, false));
    }
    return 0;
}

static int pair_cmp(const llmgw_buf *scratch, const pair *a, const pair *b, bool by_value)
{
    size_t n = LLMGW_MIN(a->name_len, b->name_len);
    int c = memcmp(scratch->ptr + a->name_off, scratch->ptr + b->name_off, n);

    if (c != 0 || a->name_len != b->name_len)
        return c != 0 ? c : (a->name_len < b->name_len ? -1 : 1);
    if (!by_value)
        return 0;
    n = LLMGW_MIN(a->value_len, b->value_len);
    c = memcmp(scratch->ptr + a->value_off, scratch->ptr + b->value_off, n);
    if (c != 0 || a->value_len == b->value_len)
        return c;
    return a->value_len < b->value_len ? -1 : 1;
}

/* Stable insertion sort: equal header names keep their order (their values join with ','). */
static void sort_pairs(const llmgw_buf *scratch, pair *v, size_t n, bool by_value)
{
    size_t i, j;

    for (i = 1; i < n; i++) {
        pair t = v[i];
        for (j = i; j > 0 && pair_cmp(scratch, &v[j - 1], &t, by_value) > 0; j--)
            v[j] = v[j - 1];
        v[j] = t;
    }
}

/* Lowercased name and trimmed, space-collapsed value appended to scratch. */
static int add_header(llmgw_buf *scratch, pair *h, const char *name, size_t name_len,
                      const char *value, size_t value_len)
{
    size_t i;
    bool space = false;

    while (value_len > 0 && (*value == ' ' || *value == '\t')) {
        value++;
        value_len--;
    }
    while (value_len > 0 && (value[value_len - 1] == ' ' || value[value_len - 1] == '\t'))
        value_len--;
    h->name_off = scratch->size;
    h->name_len = name_len;
    for (i = 0; i < name_len; i++) {
        char c = name[i];
        LLMGW_TRY(llmgw__buf_putc(scratch, (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c)));
    }
    h->value_off = scratch->size;
    for (i = 0; i < value_len; i++) {
        bool ws = value[i] == ' ' || value[i] == '\t';
        if (ws && space)
            continue;
        space = ws;
        LLMGW_TRY(llmgw__buf_putc(scratch, ws ? ' ' : value[i]));
    }
    h->value_len = scratch->size - h->value_off;
    return 0;
}

/* The URL's authority (host[:port], default port dropped), path and query. */
typedef struct url_parts {
    const char *host, *path, *query;
    size_t host_len, path_len, query_len;
} url_parts;

static int split_url(url_parts *u, const char *url)
{
    const char *p = strstr(url, "://"), *end;
    bool https;

    if (p == NULL)
        return BAD("sigv4: URL without a scheme");
    https = (size_t)(p - url) == 5 && strncasecmp(url, "https", 5) == 0;
    u->host = p + 3;
    end = u->host + strcspn(u->host, "/?#");
    u->host_len = (size_t)(end - u->host);
    if (u->host_len == 0 || memchr(u->host, '@', u->host_len) != NULL)
        return BAD("sigv4: URL without a usable host");
    if (https && u->host_len > 4 && memcmp(end - 4, ":443", 4) == 0)
        u->host_len -= 4;
    else if (!https && u->host_len > 3 && memcmp(end - 3, ":80", 3) == 0)
        u->host_len -= 3;
    u->path = end;
    u->path_len = strcspn(end, "?#");
    u->query = end + u->path_len;
    if (*u->query == '?')
        u->query++;
    u->query_len = strcspn(u->query, "#");
    return 0;
}

static int canonical_query(llmgw_buf *out, const url_parts *u)
{
    llmgw_buf scratch = LLMGW_BUF_INIT;
    pair q[MAX_QUERY_PARAMS];
    const char *p = u->query, *end = u->query + u->query_len;
    size_t n = 0, i;
    int rc = 0;

    while (p < end && rc == 0) {
        const char *amp = memchr(p, '&', (size_t)(end - p)), *eq;
        const char *stop = amp ? amp : end;
        if (stop > p) {
            if (n == MAX_QUERY_PARAMS) {
                rc = BAD("sigv4: more than %d query parameters", MAX_QUERY_PARAMS);
                break;
            }
            eq = memchr(p, '=', (size_t)(stop - p));
            q[n].name_off = scratch.size;
            rc = put_reencoded(&scratch, p, (size_t)((eq ? eq : stop) - p));
            q[n].name_len = scratch.size - q[n].name_off;
            q[n].value_off = scratch.size;
            if (rc == 0 && eq != NULL)
                rc = put_reencoded(&scratch, eq + 1, (size_t)(stop - eq - 1));
            q[n].value_len = scratch.size - q[n].value_off;
            n++;
        }
        p = stop + 1;
    }
    if (rc == 0)
        sort_pairs(&scratch, q, n, true);
    for (i = 0; i < n && rc == 0; i++) {
        if ((i > 0 && (rc = llmgw__buf_putc(out, '&')) < 0) ||
            (rc = llmgw__buf_put(out, scratch.ptr + q[i].name_off, q[i].name_len)) < 0 ||
            (rc = llmgw__buf_putc(out, '=')) < 0)
            break;
        rc = llmgw__buf_put(out, scratch.ptr + q[i].value_off, q[i].value_len);
    }
    llmgw_buf_dispose(&scratch);
    return rc;
}

/* Canonical headers block and signed-header list from the sorted headers. */
static int canonical_headers(llmgw_buf *out, llmgw_buf *signed_out, const llmgw_buf *s,
                             const pair *h, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        bool same = i > 0 && h[i].name_len == h[i - 1].name_len &&
                    memcmp(s->ptr + h[i].name_off, s->ptr + h[i - 1].name_off, h[i].name_len) == 0;
        if (same) {     /* repeated name: values joined with ',' on one line */
            out->size--;
            LLMGW_TRY(llmgw__buf_putc(out, ','));
        } else {
            if (signed_out->size > 0)
                LLMGW_TRY(llmgw__buf_putc(signed_out, ';'));
            LLMGW_TRY(llmgw__buf_put(signed_out, s->ptr + h[i].name_off, h[i].name_len));
            LLMGW_TRY(llmgw__buf_put(out, s->ptr + h[i].name_off, h[i].name_len));
            LLMGW_TRY(llmgw__buf_putc(out, ':'));
        }
        LLMGW_TRY(llmgw__buf_put(out, s->ptr + h[i].value_off, h[i].value_len));
        LLMGW_TRY(llmgw__buf_putc(out, '\n'));
    }
    return 0;
}

static int collect_headers(llmgw_buf *scratch, pair *h, size_t *n_out, const llmgw__sigv4_params *p,
                           const url_parts *u, const char *amz_date, const char *sha)
{
    size_t n = 0, i;
    bool has_host = false;

    if (p->header_count > LLMGW__SIGV4_MAX_HEADERS)
        return BAD("sigv4: more than %d headers", LLMGW__SIGV4_MAX_HEADERS);
    for (i = 0; i < p->header_count; i++) {
        const char *line = p->headers[i], *colon = strchr(line, ':');
        size_t nl;
        if (colon == NULL || colon == line)
            return BAD("sigv4: header line without a name");
        nl = (size_t)(colon - line);
        if (nl == 13 && strncasecmp(line, "authorization", 13) == 0)
            continue;
        has_host |= nl == 4 && strncasecmp(line, "host", 4) == 0;
        LLMGW_TRY(add_header(scratch, &h[n++], line, nl, colon + 1, strlen(colon + 1)));
    }
    if (!has_host)
        LLMGW_TRY(add_header(scratch, &h[n++], "host", 4, u->host, u->host_len));
    LLMGW_TRY(add_header(scratch, &h[n++], "x-amz-date", 10, amz_date, strlen(amz_date)));
    if (p->session_token != NULL)
        LLMGW_TRY(add_header(scratch, &h[n++], "x-amz-security-token", 20, p->session_token,
                             strlen(p->session_token)));
    if (p->sign_body)
        LLMGW_TRY(add_header(scratch, &h[n++], "x-amz-content-sha256", 20, sha, strlen(sha)));
    sort_pairs(scratch, h, n, false);
    *n_out = n;
    return 0;
}

static int build_canonical(llmgw__sigv4_result *out, llmgw_buf *signed_headers,
                           const llmgw__sigv4_params *p, const url_parts *u)
{
    llmgw_buf scratch = LLMGW_BUF_INIT;
    pair h[LLMGW__SIGV4_MAX_HEADERS + 4];
    llmgw_buf *cr = &out->canonical_request;
    size_t n = 0;
    int rc;

    if ((rc = collect_headers(&scratch, h, &n, p, u, out->amz_date, out->content_sha256)) == 0 &&
        (rc = llmgw__buf_puts(cr, p->method)) == 0 && (rc = llmgw__buf_putc(cr, '\n')) == 0 &&
        (rc = u->path_len ? put_encoded(cr, u->path, u->path_len, true) : llmgw__buf_putc(cr, '/')) == 0 &&
        (rc = llmgw__buf_putc(cr, '\n')) == 0 && (rc = canonical_query(cr, u)) == 0 &&
        (rc = llmgw__buf_putc(cr, '\n')) == 0 &&
        (rc = canonical_headers(cr, signed_headers, &scratch, h, n)) == 0 &&
        (rc = llmgw__buf_putc(cr, '\n')) == 0 && (rc = llmgw__buf_put(cr, signed_headers->ptr,
                                                                          signed_headers->size)) == 0 &&
        (rc = llmgw__buf_putc(cr, '\n')) == 0)
        rc = llmgw__buf_puts(cr, out->content_sha256);
    llmgw__buf_dispose_secret(&scratch);
    return rc;
}

static void hmac_str(unsigned char out[LLMGW_SHA256_LEN], const unsigned char *key, size_t key_len,
                     const char *msg)
{
    llmgw__hmac_sha256(key, key_len, msg, strlen(msg), out);
}

static int sign(llmgw__sigv4_result *out, const llmgw__sigv4_params *p, const char *scope_date)
{
    unsigned char k[LLMGW_SHA256_LEN], digest[LLMGW_SHA256_LEN];
    llmgw_buf key = LLMGW_BUF_INIT;
    char hex[2 * LLMGW_SHA256_LEN + 1];
    int rc;

    llmgw__sha256(out->canonical_request.ptr, out->canonical_request.size, digest);
    llmgw__hex(hex, digest, sizeof(digest));
    rc = llmgw__buf_printf(&out->string_to_sign, "AWS4-HMAC-SHA256\n%s\n%s/%s/%s/aws4_request\n%s",
                           out->amz_date, scope_date, p->region, p->service, hex);
    if (rc == 0 && (rc = llmgw__buf_puts(&key, "AWS4")) == 0 &&
        (rc = llmgw__buf_puts(&key, p->secret_access_key)) == 0) {
        hmac_str(k, (const unsigned char *)key.ptr, key.size, scope_date);
        hmac_str(k, k, sizeof(k), p->region);
        hmac_str(k, k, sizeof(k), p->service);
        hmac_str(k, k, sizeof(k), "aws4_request");
        llmgw__hmac_sha256(k, sizeof(k), out->string_to_sign.ptr, out->string_to_sign.size, digest);
        llmgw__hex(out->signature, digest, sizeof(digest));
    }
    llmgw__zeroize(k, sizeof(k));
    llmgw__buf_dispose_secret(&key);
    return rc;
}

static bool plain_token(const char *s)
{
    if (s == NULL || *s == '\0' || strlen(s) > 128)
        return false;
    for (; *s; s++)
        if (!unreserved((unsigned char)*s))
            return false;
    return true;
}

int llmgw__sigv4_sign(llmgw__sigv4_result *out, const llmgw__sigv4_params *p)
{
    unsigned char digest[LLMGW_SHA256_LEN];
    llmgw_buf signed_headers = LLMGW_BUF_INIT;
    char scope_date[9];
    url_parts u;
    struct tm tm;
    time_t t;
    int rc;

    memset(out, 0, sizeof(*out));
    if (p->method == NULL || p->url == NULL || p->access_key_id == NULL || p->secret_access_key == NULL)
        return BAD("sigv4: method, URL and credentials are required");
    if (!plain_token(p->region) || !plain_token(p->service) || !plain_token(p->access_key_id))
        return BAD("sigv4: region, service and access key id must be plain tokens");
    if (p->body == NULL && p->body_len > 0)
        return BAD("sigv4: body length without a body");
    if (p->unix_time < 0 || p->unix_time > 253402300799LL)
        return BAD("sigv4: time out of range");
    LLMGW_TRY(split_url(&u, p->url));
    t = (time_t)p->unix_time;
    if (gmtime_r(&t, &tm) == NULL || strftime(out->amz_date, sizeof(out->amz_date), "%Y%m%dT%H%M%SZ", &tm) != 16)
        return BAD("sigv4: time out of range");
    memcpy(scope_date, out->amz_date, 8);
    scope_date[8] = '\0';
    llmgw__sha256(p->body_len ? p->body : "", p->body_len, digest);
    llmgw__hex(out->content_sha256, digest, sizeof(digest));

    rc = build_canonical(out, &signed_headers, p, &u);
    if (rc == 0)
        rc = sign(out, p, scope_date);
    if (rc == 0)
        rc = llmgw__buf_printf(&out->authorization,
                               "AWS4-HMAC-SHA256 Credential=%s/%s/%s/%s/aws4_request, "
                               "SignedHeaders=%s, Signature=%s",
                               p->access_key_id, scope_date, p->region, p->service, signed_headers.ptr,
                               out->signature);
    llmgw_buf_dispose(&signed_headers);
    if (rc < 0)
        llmgw__sigv4_result_dispose(out);
    return rc;
}

void llmgw__sigv4_result_dispose(llmgw__sigv4_result *r)
{
    if (r == NULL)
        return;
    llmgw_buf_dispose(&r->authorization);
    llmgw__buf_dispose_secret(&r->canonical_request);
    llmgw__buf_dispose_secret(&r->string_to_sign);
}
