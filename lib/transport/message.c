/*
 * lib/transport/message.c: the HTTP request a provider builds, the response
 * it reads, and URL checks.
 */
#include "../core/common.h"
#include "../core/buf.h"
#include "../core/errors.h"
#include "http.h"

#include <strings.h>

#define BAD(...) llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG, __VA_ARGS__)
#define MAX_URL 8192

void llmgw__http_request_init(llmgw_http_request *r)
{
    memset(r, 0, sizeof(*r));
    memcpy(r->method, "POST", 5);
}

void llmgw__http_request_dispose(llmgw_http_request *r)
{
    size_t i;

    if (r == NULL)
        return;
    llmgw_buf_dispose(&r->url);
    for (i = 0; i < r->header_count; i++)
        llmgw__buf_dispose_secret(&r->headers[i]);
    r->header_count = 0;
    llmgw__buf_dispose_secret(&r->body);
}

void llmgw__http_request_adopt_body(llmgw_http_request *r, char *body, size_t len)
{
    llmgw__buf_dispose_secret(&r->body);
    r->body.ptr = body;
    r->body.size = len;
    r->body.asize = len + 1;
}

static bool is_ctl(unsigned char c)
{
    return c < 0x20 || c == 0x7f;
}

int llmgw_http_request_set_url(llmgw_http_request *r, const char *url)
{
    LLMGW_CHECK_ARG(r);
    LLMGW_CHECK_ARG(url);
    if (strlen(url) > MAX_URL)
        return BAD("URL longer than %d bytes", MAX_URL);
    return llmgw__buf_set(&r->url, url, strlen(url));
}

int llmgw_http_request_append_url(llmgw_http_request *r, const char *text)
{
    LLMGW_CHECK_ARG(r);
    LLMGW_CHECK_ARG(text);
    if (r->url.size + strlen(text) > MAX_URL)
        return BAD("URL longer than %d bytes", MAX_URL);
    return llmgw__buf_puts(&r->url, text);
}

static bool unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '.' || c == '_' || c == '~';
}

int llmgw__url_encode(llmgw_buf *out, const char *s, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t i;

    if (len > SIZE_MAX / 3)
        return llmgw__error_oom();
    LLMGW_TRY(llmgw__buf_grow(out, len * 3));
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (unreserved(c)) {
            out->ptr[out->size++] = (char)c;
        } else {
            out->ptr[out->size++] = '%';
            out->ptr[out->size++] = hex[c >> 4];
            out->ptr[out->size++] = hex[c & 15];
        }
    }
    out->ptr[out->size] = '\0';
    return 0;
}

int llmgw_http_request_append_path_segment(llmgw_http_request *r, const char *name)
{
    const char *p;

    LLMGW_CHECK_ARG(r);
    LLMGW_CHECK_ARG(name);
    if (*name == '\0' || strcmp(name, ".") == 0 || strcmp(name, "..") == 0 || strlen(name) > 512)
        return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_BAD_REQUEST,
                                 "invalid name for a URL path: empty, '.' or '..'");
    for (p = name; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (!(unreserved(c) || c == ':' || c == '@' || c == '+'))
            return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_BAD_REQUEST,
                                     "invalid character 0x%02x in a name used in a URL path", c);
    }
    if (r->url.size + strlen(name) * 3 > MAX_URL)
        return BAD("URL longer than %d bytes", MAX_URL);
    return llmgw__url_encode(&r->url, name, strlen(name));
}

int llmgw_http_request_append_query(llmgw_http_request *r, const char *name, const char *value)
{
    LLMGW_CHECK_ARG(r);
    LLMGW_CHECK_ARG(name);
    LLMGW_CHECK_ARG(value);
    if (r->url.size + (strlen(name) + strlen(value)) * 3 + 2 > MAX_URL)
        return BAD("URL longer than %d bytes", MAX_URL);
    LLMGW_TRY(llmgw__buf_putc(&r->url, memchr(r->url.ptr ? r->url.ptr : "", '?', r->url.size) ? '&' : '?'));
    LLMGW_TRY(llmgw__url_encode(&r->url, name, strlen(name)));
    LLMGW_TRY(llmgw__buf_putc(&r->url, '='));
    return llmgw__url_encode(&r->url, value, strlen(value));
}

int llmgw_http_request_set_method(llmgw_http_request *r, const char *method)
{
    LLMGW_CHECK_ARG(r);
    LLMGW_CHECK_ARG(method);
    if (strcmp(method, "POST") && strcmp(method, "GET") && strcmp(method, "PUT") &&
        strcmp(method, "DELETE"))
        return BAD("unsupported HTTP method");
    memcpy(r->method, method, strlen(method) + 1);
    return 0;
}

static bool valid_header_name(const char *s)
{
    if (*s == '\0')
        return false;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (!(unreserved(c) || c == '!' || c == '#' || c == '$' || c == '%' || c == '&' ||
              c == '\'' || c == '*' || c == '+' || c == '^' || c == '`' || c == '|'))
            return false;
    }
    return true;
}

int llmgw_http_request_add_header(llmgw_http_request *r, const char *name, const char *value)
{
    const char *p;
    llmgw_buf *h;

    LLMGW_CHECK_ARG(r);
    LLMGW_CHECK_ARG(name);
    LLMGW_CHECK_ARG(value);
    if (!valid_header_name(name))
        return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG, "invalid header name");
    for (p = value; *p; p++)
        if (is_ctl((unsigned char)*p) && *p != '\t')
            return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG,
                                     "header '%s': control character in the value", name);
    if (r->header_count >= LLMGW__MAX_REQ_HEADERS)
        return BAD("more than %d request headers", LLMGW__MAX_REQ_HEADERS);
    h = &r->headers[r->header_count];
    if (llmgw__buf_grow(h, strlen(name) + strlen(value) + 2) < 0 || llmgw__buf_puts(h, name) < 0 ||
        llmgw__buf_put(h, ": ", 2) < 0 || llmgw__buf_puts(h, value) < 0) {
        llmgw__buf_dispose_secret(h);
        return llmgw_error_last()->code;
    }
    r->header_count++;
    return 0;
}

const char *llmgw__http_request_header(const llmgw_http_request *r, const char *name)
{
    size_t i, n = strlen(name);

    for (i = 0; i < r->header_count; i++) {
        const char *h = r->headers[i].ptr;
        if (strncasecmp(h, name, n) == 0 && h[n] == ':')
            return h + n + 2;
    }
    return NULL;
}

int llmgw_http_request_set_body(llmgw_http_request *r, const char *data, size_t len)
{
    LLMGW_CHECK_ARG(r);
    if (data == NULL && len > 0)
        return llmgw__error_null_arg("data", __func__);
    return llmgw__buf_set(&r->body, data ? data : "", len);
}

const char *llmgw_http_request_url(const llmgw_http_request *r)
{
    return r ? llmgw__buf_cstr(&r->url) : NULL;
}

const char *llmgw_http_request_body(const llmgw_http_request *r, size_t *len_out)
{
    if (r == NULL)
        return NULL;
    if (len_out)
        *len_out = r->body.size;
    return llmgw__buf_cstr(&r->body);
}

/* ---- response ---- */

void llmgw__http_response_init(llmgw_http_response *r)
{
    memset(r, 0, sizeof(*r));
}

void llmgw__http_response_reset(llmgw_http_response *r)
{
    r->status = 0;
    llmgw__buf_clear(&r->header_blob);
    r->header_count = 0;
    llmgw__buf_clear(&r->body);
}

void llmgw__http_response_dispose(llmgw_http_response *r)
{
    if (r == NULL)
        return;
    llmgw_buf_dispose(&r->header_blob);
    llmgw__free(r->headers);
    llmgw_buf_dispose(&r->body);
    memset(r, 0, sizeof(*r));
}

int llmgw__http_response_add_header(llmgw_http_response *r, const char *name, size_t name_len,
                                    const char *value, size_t value_len)
{
    llmgw__header *h;

    if (r->header_count == r->header_cap) {
        size_t cap = r->header_cap ? r->header_cap * 2 : 16;
        llmgw__header *nh = llmgw__reallocarray(r->headers, cap, sizeof(*nh));
        if (nh == NULL)
            return llmgw__error_oom();
        r->headers = nh;
        r->header_cap = cap;
    }
    h = &r->headers[r->header_count];
    h->name_off = r->header_blob.size;
    h->name_len = name_len;
    LLMGW_TRY(llmgw__buf_put(&r->header_blob, name, name_len));
    LLMGW_TRY(llmgw__buf_putc(&r->header_blob, '\0'));
    h->value_off = r->header_blob.size;
    h->value_len = value_len;
    LLMGW_TRY(llmgw__buf_put(&r->header_blob, value, value_len));
    LLMGW_TRY(llmgw__buf_putc(&r->header_blob, '\0'));
    r->header_count++;
    return 0;
}

int llmgw_http_response_status(const llmgw_http_response *in)
{
    return in ? in->status : 0;
}

const char *llmgw_http_response_header(const llmgw_http_response *in, const char *name)
{
    size_t i, n;

    if (in == NULL || name == NULL)
        return NULL;
    n = strlen(name);
    for (i = 0; i < in->header_count; i++) {
        const llmgw__header *h = &in->headers[i];
        if (h->name_len == n && strncasecmp(in->header_blob.ptr + h->name_off, name, n) == 0)
            return in->header_blob.ptr + h->value_off;
    }
    return NULL;
}

const char *llmgw_http_response_body(const llmgw_http_response *in, size_t *len_out)
{
    if (in == NULL)
        return NULL;
    if (len_out)
        *len_out = in->body.size;
    return llmgw__buf_cstr(&in->body);
}

/* ---- URL checks ---- */

/* "127.a.b.c" with four decimal octets (no leading zeros, each <= 255): never a DNS name. */
static bool ipv4_loopback(const char *h, size_t len)
{
    size_t i = 4, octets = 1;

    if (len < 7 || memcmp(h, "127.", 4) != 0)
        return false;
    while (octets < 4) {
        size_t start = i;
        unsigned v = 0;
        while (i < len && h[i] >= '0' && h[i] <= '9' && i - start < 3)
            v = v * 10 + (unsigned)(h[i++] - '0');
        if (i == start || v > 255 || (h[start] == '0' && i - start > 1))
            return false;
        octets++;
        if (octets < 4 && (i >= len || h[i++] != '.'))
            return false;
    }
    return i == len;
}

bool llmgw__host_is_loopback(const char *host, size_t len)
{
    if (len == 9 && strncasecmp(host, "localhost", 9) == 0)
        return true;
    if (len == 5 && memcmp(host, "[::1]", 5) == 0)
        return true;
    if (len == 3 && memcmp(host, "::1", 3) == 0)
        return true;
    return ipv4_loopback(host, len);
}

int llmgw__url_check(const char *url, bool *insecure_out)
{
    const char *p, *host, *end;
    bool https;

    *insecure_out = false;
    if (strncasecmp(url, "https://", 8) == 0) {
        https = true;
        host = url + 8;
    } else if (strncasecmp(url, "http://", 7) == 0) {
        https = false;
        host = url + 7;
    } else {
        return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG,
                                 "base URL must start with https:// (http:// only to loopback)");
    }
    for (p = url; *p; p++)
        if (is_ctl((unsigned char)*p) || *p == ' ' || *p == '\\')
            return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG,
                                     "URL contains a control character, space or backslash");
    end = host + strcspn(host, "/?#");
    if (memchr(host, '@', (size_t)(end - host)) != NULL)
        return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG,
                                 "URL may not carry credentials (user@host)");
    if (*host == '[') {
        const char *rb = memchr(host, ']', (size_t)(end - host));
        if (rb == NULL)
            return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG, "bad IPv6 host in URL");
        p = rb + 1;
    } else {
        p = host;
        while (p < end && *p != ':')
            p++;
    }
    if (p == host)
        return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG, "URL has no host");
    if (p < end) {      /* only ":port" may follow the host */
        const char *q = p + 1;
        unsigned long port = 0;
        if (*p != ':' || q == end || end - q > 5)
            return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG, "bad host or port in URL");
        for (; q < end; q++) {
            if (*q < '0' || *q > '9')
                return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG, "bad port in URL");
            port = port * 10 + (unsigned long)(*q - '0');
        }
        if (port == 0 || port > 65535)
            return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG, "bad port in URL");
    }
    if (!https) {
        if (!llmgw__host_is_loopback(host, (size_t)(p - host)))
            return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG,
                                     "plain http:// is refused for non-loopback hosts: use https://");
        *insecure_out = true;
    }
    return 0;
}
