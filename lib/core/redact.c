/*
 * lib/core/redact.c: masking credentials in text.
 */
#include "common.h"
#include "redact.h"
#include "utf8.h"

#include <strings.h>

#define MASK "***"

static bool is_token_char(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_' || c == '.' || c == '~' || c == '+' || c == '/' || c == '=';
}

static bool is_alnum(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* Header (and JSON member) names whose value is a credential: mask to the end of the line. */
static const char *const secret_headers[] = {
    "authorization", "proxy-authorization", "x-api-key", "api-key", "api_key", "x-goog-api-key",
    "x-amz-security-token", "ocp-apim-subscription-key",
};

/* Query / form parameters whose value is a credential. */
static const char *const secret_params[] = {
    "key=", "api_key=", "apikey=", "token=", "access_token=", "x-amz-signature=",
    "x-amz-credential=", "x-amz-security-token=", "signature=", "credential=", "password=",
};

/* Token prefixes with their minimum tail length. */
static const struct { const char *prefix; size_t min_tail; } token_shapes[] = {
    { "sk-", 8 }, { "AIza", 10 }, { "AKIA", 12 }, { "ASIA", 12 }, { "xai-", 8 },
    { "gsk_", 8 }, { "hf_", 8 },
};

typedef struct {
    char  *dst;
    size_t size;
    size_t len;
} out_t;

static void put(out_t *o, const char *s, size_t n)
{
    while (n-- && o->len + 1 < o->size)
        o->dst[o->len++] = *s++;
}

/* The visible part of a masked span (ASCII: a name, blanks, quotes, ':' or '='). */
static void put_visible(out_t *o, const char *s, size_t n)
{
    size_t k;

    for (k = 0; k < n; k++) {
        unsigned char c = (unsigned char)s[k];
        put(o, c < 0x20 || c == 0x7f ? " " : s + k, 1);
    }
}

static bool word_start(const char *src, size_t i)
{
    return i == 0 || !is_alnum((unsigned char)src[i - 1]);
}

/* Length of a masked span starting at i, or 0. *keep is how much of it stays visible. */
static size_t match_secret(const char *src, size_t len, size_t i, size_t *keep,
                           const char *const *secrets)
{
    size_t k, j;

    if (secrets != NULL) {
        for (k = 0; secrets[k] != NULL; k++) {
            size_t sl = strlen(secrets[k]);
            if (sl >= 4 && sl <= len - i && memcmp(src + i, secrets[k], sl) == 0) {
                *keep = 0;
                return sl;
            }
        }
    }
    if (!word_start(src, i))
        return 0;
    for (k = 0; k < LLMGW_ARRAY_SIZE(secret_headers); k++) {
        size_t hl = strlen(secret_headers[k]);
        if (hl < len - i && strncasecmp(src + i, secret_headers[k], hl) == 0) {
            j = i + hl;
            while (j < len && (src[j] == ' ' || src[j] == '\t' || src[j] == '"' || src[j] == '\''))
                j++;
            if (j < len && (src[j] == ':' || src[j] == '=')) {
                j++;
                *keep = j - i;
                while (j < len && src[j] != '\n' && src[j] != '\r' && src[j] != ',' &&
                       src[j] != '}' && src[j] != '&')
                    j++;
                return j - i;
            }
        }
    }
    for (k = 0; k < LLMGW_ARRAY_SIZE(secret_params); k++) {
        size_t pl = strlen(secret_params[k]);
        if (pl <= len - i && strncasecmp(src + i, secret_params[k], pl) == 0) {
            j = i + pl;
            while (j < len && src[j] != '&' && src[j] != ' ' && src[j] != '"' && src[j] != '\'' &&
                   src[j] != '\n' && src[j] != ',' && src[j] != ';')
                j++;
            if (j == i + pl)
                return 0;
            *keep = pl;
            return j - i;
        }
    }
    if (len - i > 7 && strncasecmp(src + i, "bearer ", 7) == 0) {
        j = i + 7;
        while (j < len && src[j] == ' ')
            j++;
        if (j < len && is_token_char((unsigned char)src[j])) {
            *keep = 7;
            while (j < len && is_token_char((unsigned char)src[j]))
                j++;
            return j - i;
        }
    }
    for (k = 0; k < LLMGW_ARRAY_SIZE(token_shapes); k++) {
        size_t pl = strlen(token_shapes[k].prefix);
        if (pl <= len - i && memcmp(src + i, token_shapes[k].prefix, pl) == 0) {
            j = i + pl;
            while (j < len && is_token_char((unsigned char)src[j]))
                j++;
            if (j - i - pl >= token_shapes[k].min_tail) {
                *keep = pl;
                return j - i;
            }
        }
    }
    return 0;
}

size_t llmgw__redact(char *dst, size_t dstsize, const char *src, size_t srclen,
                     const char *const *secrets)
{
    out_t o = { dst, dstsize, 0 };
    size_t i = 0;

    if (dst == NULL || dstsize == 0)
        return 0;
    if (src == NULL)
        srclen = 0;
    while (i < srclen && o.len + 1 < o.size) {
        unsigned char c = (unsigned char)src[i];
        size_t keep = 0, n = match_secret(src, srclen, i, &keep, secrets);

        if (n > 0) {
            put_visible(&o, src + i, keep);
            put(&o, MASK, strlen(MASK));
            i += n;
            continue;
        }
        if (c < 0x20 || c == 0x7f) {
            put(&o, " ", 1);
            i++;
            continue;
        }
        n = llmgw__utf8_seq((const unsigned char *)src + i, srclen - i);
        if (n == 0) {
            put(&o, "?", 1);
            i++;
            continue;
        }
        if (o.len + n + 1 > o.size)
            break;      /* never cut a UTF-8 sequence */
        put(&o, src + i, n);
        i += n;
    }
    dst[o.len] = '\0';
    return o.len;
}
