/*
 * lib/core/utf8.c: UTF-8 validation (RFC 3629: no overlongs, no surrogates).
 */
#include "common.h"
#include "buf.h"
#include "utf8.h"

size_t llmgw__utf8_seq(const unsigned char *s, size_t avail)
{
    size_t n, i;

    if (avail == 0)
        return 0;
    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xC2 && s[0] <= 0xDF)
        n = 2;
    else if (s[0] >= 0xE0 && s[0] <= 0xEF)
        n = 3;
    else if (s[0] >= 0xF0 && s[0] <= 0xF4)
        n = 4;
    else
        return 0;
    if (n > avail)
        return 0;
    for (i = 1; i < n; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    if (n == 3 && s[0] == 0xE0 && s[1] < 0xA0)
        return 0;
    if (n == 3 && s[0] == 0xED && s[1] >= 0xA0)
        return 0;
    if (n == 4 && s[0] == 0xF0 && s[1] < 0x90)
        return 0;
    if (n == 4 && s[0] == 0xF4 && s[1] >= 0x90)
        return 0;
    return n;
}

bool llmgw__utf8_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, n;

    while (i < len) {
        if (p[i] >= 0x01 && p[i] < 0x80) {
            i++;
            continue;
        }
        if (p[i] == 0)
            return false;
        n = llmgw__utf8_seq(p + i, len - i);
        if (n == 0)
            return false;
        i += n;
    }
    return true;
}

int llmgw__utf8_append_sanitized(llmgw_buf *out, const char *s, size_t len)
{
    static const char replacement[] = "\xEF\xBF\xBD";
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, start = 0, n;

    if (llmgw__utf8_valid(s, len))
        return llmgw__buf_put(out, s, len);
    while (i < len) {
        n = p[i] == 0 ? 0 : llmgw__utf8_seq(p + i, len - i);
        if (n == 0) {
            LLMGW_TRY(llmgw__buf_put(out, s + start, i - start));
            LLMGW_TRY(llmgw__buf_put(out, replacement, 3));
            i++;
            start = i;
        } else {
            i += n;
        }
    }
    return llmgw__buf_put(out, s + start, i - start);
}
