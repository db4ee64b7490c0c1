/*
 * llmgw mock upstream: SHA-256 (FIPS 180-4), HMAC (RFC 2104) and the server side of AWS SigV4:
 * the canonical request is rebuilt from the bytes received (the path exactly as sent, encoded
 * once more; the headers SignedHeaders names; the body's hash) and the signature recomputed
 * with the secret the mock holds for the access key id. Written for the mock only.
 */
#include "mock_internal.h"
#include "mock_aws.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

typedef struct sha_ctx {
    uint32_t h[8];
    unsigned char buf[64];
    size_t used;
    uint64_t total;
} sha_ctx;

static const uint32_t round_k[64] = {
    0x428a2f98u, 0x71374491u, 0xb5c0fbcfu, 0xe9b5dba5u, 0x3956c25bu, 0x59f111f1u, 0x923f82a4u,
    0xab1c5ed5u, 0xd807aa98u, 0x12835b01u, 0x243185beu, 0x550c7dc3u, 0x72be5d74u, 0x80deb1feu,
    0x9bdc06a7u, 0xc19bf174u, 0xe49b69c1u, 0xefbe4786u, 0x0fc19dc6u, 0x240ca1ccu, 0x2de92c6fu,
    0x4a7484aau, 0x5cb0a9dcu, 0x76f988dau, 0x983e5152u, 0xa831c66du, 0xb00327c8u, 0xbf597fc7u,
    0xc6e00bf3u, 0xd5a79147u, 0x06ca6351u, 0x14292967u, 0x27b70a85u, 0x2e1b2138u, 0x4d2c6dfcu,
    0x53380d13u, 0x650a7354u, 0x766a0abbu, 0x81c2c92eu, 0x92722c85u, 0xa2bfe8a1u, 0xa81a664bu,
    0xc24b8b70u, 0xc76c51a3u, 0xd192e819u, 0xd6990624u, 0xf40e3585u, 0x106aa070u, 0x19a4c116u,
    0x1e376c08u, 0x2748774cu, 0x34b0bcb5u, 0x391c0cb3u, 0x4ed8aa4au, 0x5b9cca4fu, 0x682e6ff3u,
    0x748f82eeu, 0x78a5636fu, 0x84c87814u, 0x8cc70208u, 0x90befffau, 0xa4506cebu, 0xbef9a3f7u,
    0xc67178f2u,
};

static void sha_block(sha_ctx *c, const unsigned char *b)
{
    uint32_t w[16], v[8];
    for (int i = 0; i < 8; i++)
        v[i] = c->h[i];
    for (int t = 0; t < 64; t++) {
        uint32_t wt;
        if (t < 16) {
            wt = w[t] = (uint32_t)b[4 * t] << 24 | (uint32_t)b[4 * t + 1] << 16 |
                        (uint32_t)b[4 * t + 2] << 8 | b[4 * t + 3];
        } else {                           /* the schedule kept in a 16-word ring */
            uint32_t x = w[(t - 15) & 15], y = w[(t - 2) & 15];
            wt = w[t & 15] += (ROR(x, 7) ^ ROR(x, 18) ^ (x >> 3)) + w[(t - 7) & 15] +
                              (ROR(y, 17) ^ ROR(y, 19) ^ (y >> 10));
        }
        uint32_t s1 = ROR(v[4], 6) ^ ROR(v[4], 11) ^ ROR(v[4], 25);
        uint32_t ch = (v[4] & v[5]) ^ (~v[4] & v[6]);
        uint32_t t1 = v[7] + s1 + ch + round_k[t] + wt;
        uint32_t s0 = ROR(v[0], 2) ^ ROR(v[0], 13) ^ ROR(v[0], 22);
        uint32_t maj = (v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]);
        memmove(v + 1, v, 7 * sizeof v[0]);
        v[4] += t1;
        v[0] = t1 + s0 + maj;
    }
    for (int i = 0; i < 8; i++)
        c->h[i] += v[i];
}

static void sha_init(sha_ctx *c)
{
    static const uint32_t iv[8] = {0x6a09e667u, 0xbb67ae85u, 0x3c6ef372u, 0xa54ff53au,
                                   0x510e527fu, 0x9b05688cu, 0x1f83d9abu, 0x5be0cd19u};
    memcpy(c->h, iv, sizeof iv);
    c->used = 0;
    c->total = 0;
}

static void sha_feed(sha_ctx *c, const void *data, size_t len)
{
    const unsigned char *p = data;
    c->total += len;
    while (len > 0) {
        size_t n = 64 - c->used < len ? 64 - c->used : len;
        memcpy(c->buf + c->used, p, n);
        c->used += n;
        p += n;
        len -= n;
        if (c->used == 64) {
            sha_block(c, c->buf);
            c->used = 0;
        }
    }
}

static void sha_done(sha_ctx *c, unsigned char out[32])
{
    unsigned char pad[72] = {0x80};
    uint64_t bits = c->total * 8;
    size_t n = (c->used < 56 ? 56 : 120) - c->used;
    for (int i = 0; i < 8; i++)
        pad[n + (size_t)i] = (unsigned char)(bits >> (56 - 8 * i));
    sha_feed(c, pad, n + 8);
    for (int i = 0; i < 32; i++)
        out[i] = (unsigned char)(c->h[i / 4] >> (24 - 8 * (i % 4)));
}

void mock_sha256(const void *data, size_t len, unsigned char out[32])
{
    sha_ctx c;
    sha_init(&c);
    sha_feed(&c, data, len);
    sha_done(&c, out);
}

void mock_hmac_sha256(const void *key, size_t key_len, const void *msg, size_t len,
                      unsigned char out[32])
{
    unsigned char k[64] = {0}, ipad[64], opad[64], inner[32];
    sha_ctx c;
    if (key_len > 64)
        mock_sha256(key, key_len, k);
    else
        memcpy(k, key, key_len);
    for (int i = 0; i < 64; i++) {
        ipad[i] = k[i] ^ 0x36;
        opad[i] = k[i] ^ 0x5c;
    }
    sha_init(&c);
    sha_feed(&c, ipad, 64);
    sha_feed(&c, msg, len);
    sha_done(&c, inner);
    sha_init(&c);
    sha_feed(&c, opad, 64);
    sha_feed(&c, inner, 32);
    sha_done(&c, out);
}

static void to_hex(char *out, const unsigned char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", b[i]);
}

static int deny(mock_reject *rej, const char *type, const char *msg)
{
    mock_reject_set(rej, 403, type, NULL, "%s", msg);
    return -1;
}

/* Value of "Name=" inside the Authorization header (up to ',' or the end), copied. */
static int auth_field(char *out, size_t size, const char *auth, const char *name)
{
    const char *p = strstr(auth, name);
    if (!p)
        return -1;
    p += strlen(name);
    size_t n = strcspn(p, ", ");
    if (n == 0 || n >= size)
        return -1;
    memcpy(out, p, n);
    out[n] = '\0';
    return 0;
}

/* The path as sent, every byte but unreserved ones and '/' percent-encoded (again). */
static void canonical_uri(mbuf *b, const char *path)
{
    if (!*path)
        mbuf_putc(b, '/');
    for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            strchr("-._~/", *p))
            mbuf_putc(b, (char)*p);
        else
            mbuf_printf(b, "%%%02X", *p);
    }
}

/* A header value trimmed, inner runs of spaces folded to one. */
static void canonical_value(mbuf *b, const char *v)
{
    int space = 0;
    while (*v == ' ' || *v == '\t')
        v++;
    size_t n = strlen(v);
    while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
        n--;
    for (size_t i = 0; i < n; i++) {
        int ws = v[i] == ' ' || v[i] == '\t';
        if (!(ws && space))
            mbuf_putc(b, ws ? ' ' : v[i]);
        space = ws;
    }
}

static int date_ok(const char *amz, char date8[9])
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    if (!amz || strlen(amz) != 16 || amz[8] != 'T' || amz[15] != 'Z')
        return -1;
    const char *end = strptime(amz, "%Y%m%dT%H%M%SZ", &tm);
    if (!end || *end)
        return -1;
    memcpy(date8, amz, 8);
    date8[8] = '\0';
    long long skew = (long long)timegm(&tm) - (long long)time(NULL);
    return skew > MOCK_AWS_MAX_SKEW_S || skew < -MOCK_AWS_MAX_SKEW_S ? -2 : 0;
}

/* Canonical request from the received bytes, for the names listed in `signed_headers`. */
static int canonical_request(mbuf *cr, mock_reject *rej, const mock_request *req,
                             const char *signed_headers)
{
    unsigned char digest[32];
    char hex[65], name[128];
    const char *p = signed_headers, *prev = "";
    char prevbuf[128] = "";

    mbuf_printf(cr, "%s\n", req->method);
    canonical_uri(cr, req->raw_path ? req->raw_path : req->path);
    mbuf_puts(cr, "\n\n");                 /* no query string (checked by the dialect) */
    while (*p) {
        size_t n = strcspn(p, ";");
        if (n == 0 || n >= sizeof name)
            return deny(rej, "IncompleteSignatureException", "mock: malformed SignedHeaders");
        memcpy(name, p, n);
        name[n] = '\0';
        if (strcmp(name, prev) <= 0)
            return deny(rej, "InvalidSignatureException",
                        "mock: SignedHeaders must be lowercase, sorted and unique");
        const char *v = mock_request_header(req, name);
        if (!v)
            return deny(rej, "InvalidSignatureException",
                        "mock: a signed header is missing from the request");
        mbuf_printf(cr, "%s:", name);
        canonical_value(cr, v);
        mbuf_putc(cr, '\n');
        snprintf(prevbuf, sizeof prevbuf, "%s", name);
        prev = prevbuf;
        p += n + (p[n] == ';');
    }
    mock_sha256(req->body ? req->body : "", req->body_len, digest);
    to_hex(hex, digest, 32);
    mbuf_printf(cr, "\n%s\n%s", signed_headers, hex);
    return 0;
}

static int has_token(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = list; (p = strstr(p, name)) != NULL; p += n)
        if ((p == list || p[-1] == ';') && (p[n] == ';' || p[n] == '\0'))
            return 1;
    return 0;
}

int mock_sigv4_verify(mock_reject *rej, const mock_request *req)
{
    const char *auth = mock_request_header(req, "authorization");
    const char *token = mock_request_header(req, "x-amz-security-token"), *secret;
    char cred[256], sh[1024], sig[80], date8[9], hex[65], key[128];
    unsigned char k[32];
    mbuf cr = {0}, sts = {0};

    if (!auth)
        return deny(rej, "MissingAuthenticationTokenException", "Missing Authentication Token");
    if (strncmp(auth, "AWS4-HMAC-SHA256 ", 17) != 0 ||
        auth_field(cred, sizeof cred, auth, "Credential=") < 0 ||
        auth_field(sh, sizeof sh, auth, "SignedHeaders=") < 0 ||
        auth_field(sig, sizeof sig, auth, "Signature=") < 0)
        return deny(rej, "IncompleteSignatureException",
                    "Authorization header requires Credential, SignedHeaders and Signature");
    /* Credential = AKID/yyyymmdd/region/service/aws4_request */
    char *parts[5] = {cred, NULL, NULL, NULL, NULL}, *slash = cred;
    int np = 1;
    while (np < 5 && (slash = strchr(slash, '/')) != NULL) {
        *slash++ = '\0';
        parts[np++] = slash;
    }
    if (np != 5 || strchr(parts[4], '/') || strcmp(parts[4], "aws4_request") != 0)
        return deny(rej, "IncompleteSignatureException", "mock: malformed Credential scope");
    if (!strcmp(parts[0], MOCK_AWS_ACCESS_KEY_ID)) {
        secret = MOCK_AWS_SECRET_ACCESS_KEY;
    } else if (!strcmp(parts[0], MOCK_AWS_SESSION_KEY_ID)) {
        secret = MOCK_AWS_SESSION_SECRET;
        if (!token || strcmp(token, MOCK_AWS_SESSION_TOKEN) != 0 || !has_token(sh, "x-amz-security-token"))
            return deny(rej, "UnrecognizedClientException",
                        "The security token included in the request is invalid.");
    } else {
        return deny(rej, "UnrecognizedClientException",
                    "The security token included in the request is invalid.");
    }
    if (strcmp(parts[3], MOCK_AWS_SIGNING_NAME) != 0)
        return deny(rej, "InvalidSignatureException",
                    "Credential should be scoped to correct service: 'bedrock'.");
    if (!has_token(sh, "host") || !has_token(sh, "x-amz-date"))
        return deny(rej, "InvalidSignatureException", "mock: host and x-amz-date must be signed");
    int d = date_ok(mock_request_header(req, "x-amz-date"), date8);
    if (d == -1 || strcmp(date8, parts[1]) != 0)
        return deny(rej, "IncompleteSignatureException", "mock: bad X-Amz-Date or credential date");
    if (d == -2)
        return deny(rej, "InvalidSignatureException", "Signature expired");
    if (canonical_request(&cr, rej, req, sh) < 0) {
        mbuf_free(&cr);
        return -1;
    }
    mock_sha256(cr.data, cr.len, k);
    to_hex(hex, k, 32);
    mbuf_printf(&sts, "AWS4-HMAC-SHA256\n%s\n%s/%s/%s/aws4_request\n%s",
                mock_request_header(req, "x-amz-date"), parts[1], parts[2], parts[3], hex);
    snprintf(key, sizeof key, "AWS4%s", secret);
    mock_hmac_sha256(key, strlen(key), parts[1], strlen(parts[1]), k);
    mock_hmac_sha256(k, 32, parts[2], strlen(parts[2]), k);
    mock_hmac_sha256(k, 32, parts[3], strlen(parts[3]), k);
    mock_hmac_sha256(k, 32, "aws4_request", 12, k);
    mock_hmac_sha256(k, 32, sts.data, sts.len, k);
    to_hex(hex, k, 32);
    int oom = cr.oom || sts.oom;
    mbuf_free(&cr);
    mbuf_free(&sts);
    if (oom)
        return deny(rej, "InternalFailure", "mock: out of memory");
    if (strcmp(hex, sig) != 0)
        return deny(rej, "InvalidSignatureException",
                    "The request signature we calculated does not match the signature you "
                    "provided. Check your AWS Secret Access Key and signing method.");
    return 0;
}
