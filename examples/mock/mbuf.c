/*
 * llmgw mock upstream: growable byte buffer and JSON text output.
 */
#include "mock_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int mbuf_reserve(mbuf *b, size_t extra)
{
    if (b->oom)
        return -1;
    if (extra <= b->cap - b->len)
        return 0;
    if (extra > SIZE_MAX / 2 - b->len) {
        b->oom = 1;
        return -1;
    }
    size_t want = b->len + extra + 1;     /* room for a NUL */
    size_t cap = b->cap ? b->cap : 256;
    while (cap < want)
        cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p) {
        b->oom = 1;
        return -1;
    }
    b->data = p;
    b->cap = cap - 1;                     /* the NUL byte is never counted */
    return 0;
}

void mbuf_put(mbuf *b, const void *p, size_t n)
{
    if (n == 0 || mbuf_reserve(b, n) < 0)
        return;
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void mbuf_puts(mbuf *b, const char *s)
{
    mbuf_put(b, s, strlen(s));
}

void mbuf_putc(mbuf *b, char c)
{
    mbuf_put(b, &c, 1);
}

void mbuf_printf(mbuf *b, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->oom = 1;
        return;
    }
    if ((size_t)n < sizeof small) {
        mbuf_put(b, small, (size_t)n);
        return;
    }
    if (mbuf_reserve(b, (size_t)n) < 0)
        return;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void mbuf_put_u64(mbuf *b, uint64_t v)
{
    char tmp[24];
    size_t i = sizeof tmp;
    do {
        tmp[--i] = (char)('0' + (v % 10));
        v /= 10;
    } while (v);
    mbuf_put(b, tmp + i, sizeof tmp - i);
}

void mbuf_json_str(mbuf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    /* worst case: every byte becomes \u00XX */
    if (n > (SIZE_MAX - 2) / 6) {
        b->oom = 1;
        return;
    }
    if (mbuf_reserve(b, n * 6 + 2) < 0)
        return;
    char *o = b->data + b->len;
    *o++ = '"';
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        switch (ch) {
        case '"':  *o++ = '\\'; *o++ = '"'; break;
        case '\\': *o++ = '\\'; *o++ = '\\'; break;
        case '\n': *o++ = '\\'; *o++ = 'n'; break;
        case '\r': *o++ = '\\'; *o++ = 'r'; break;
        case '\t': *o++ = '\\'; *o++ = 't'; break;
        case '\b': *o++ = '\\'; *o++ = 'b'; break;
        case '\f': *o++ = '\\'; *o++ = 'f'; break;
        default:
            if (ch < 0x20) {
                *o++ = '\\'; *o++ = 'u'; *o++ = '0'; *o++ = '0';
                *o++ = hex[ch >> 4];
                *o++ = hex[ch & 15];
            } else {
                *o++ = (char)ch;
            }
        }
    }
    *o++ = '"';
    b->len = (size_t)(o - b->data);
    b->data[b->len] = '\0';
}

void mbuf_json_cstr(mbuf *b, const char *s)
{
    if (s)
        mbuf_json_str(b, s, strlen(s));
    else
        mbuf_puts(b, "null");
}

void mbuf_clear(mbuf *b)
{
    b->len = 0;
    b->oom = 0;
    if (b->data)
        b->data[0] = '\0';
}

void mbuf_free(mbuf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
    b->oom = 0;
}

char *mbuf_steal(mbuf *b)
{
    if (b->oom) {
        mbuf_free(b);
        return NULL;
    }
    if (!b->data) {
        char *e = malloc(1);
        if (e)
            e[0] = '\0';
        return e;
    }
    char *p = b->data;                    /* data[len] is always a NUL */
    b->data = NULL;
    b->len = b->cap = 0;
    return p;
}

void *mock_unconst(const void *p)
{
    return (void *)(uintptr_t)p;
}

int mock_lane_name_ok(const char *s, size_t n)
{
    if (n == 0 || n > MOCK_LANE_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '_' || ch == '.' || ch == '-'))
            return 0;
    }
    return 1;
}

int64_t mock_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
