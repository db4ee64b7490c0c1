/*
 * lib/core/hash.c: SHA-256 and HMAC-SHA256.
 */
#include "common.h"
#include "hash.h"

#include <stdatomic.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define LLMGW_SHA_X86 1
#include <cpuid.h>
#include <immintrin.h>
#endif

static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static uint32_t rotr(uint32_t x, unsigned n)
{
    return (x >> n) | (x << (32 - n));
}

static void compress_one(uint32_t st[8], const unsigned char *p)
{
    uint32_t w[64], a, b, c, d, e, f, g, h, t1, t2;
    unsigned i;

    for (i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
               (uint32_t)p[4 * i + 2] << 8 | (uint32_t)p[4 * i + 3];
    for (i = 16; i < 64; i++) {
        uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    a = st[0]; b = st[1]; c = st[2]; d = st[3];
    e = st[4]; f = st[5]; g = st[6]; h = st[7];
    for (i = 0; i < 64; i++) {
        t1 = h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
        t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        h = g; g = f; f = e; e = d + t1;
        d = c; c = b; b = a; a = t1 + t2;
    }
    st[0] += a; st[1] += b; st[2] += c; st[3] += d;
    st[4] += e; st[5] += f; st[6] += g; st[7] += h;
}

void llmgw__sha256_blocks_portable(uint32_t st[8], const unsigned char *p, size_t nblocks)
{
    for (; nblocks > 0; nblocks--, p += 64)
        compress_one(st, p);
}

#ifdef LLMGW_SHA_X86
/*
 * The SHA extensions (SHA-NI): SHA256RNDS2 does two rounds on the state
 * split as ABEF / CDGH, SHA256MSG1 and SHA256MSG2 the message schedule four
 * words at a time (Intel's instruction reference). Compiled for those
 * instructions only; called only when CPUID reports them.
 */
__attribute__((target("sha,sse4.1,ssse3")))
static void blocks_shani(uint32_t st[8], const unsigned char *p, size_t nblocks)
{
    const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
    __m128i abef, cdgh, tmp, m[16];
    unsigned j;

    tmp = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&st[0]), 0xB1);     /* CDAB */
    cdgh = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&st[4]), 0x1B);    /* HGFE */
    abef = _mm_alignr_epi8(tmp, cdgh, 8);                                         /* ABEF */
    cdgh = _mm_blend_epi16(cdgh, tmp, 0xF0);                                      /* CDGH */
    for (; nblocks > 0; nblocks--, p += 64) {
        __m128i abef0 = abef, cdgh0 = cdgh, msg;
        for (j = 0; j < 4; j++)
            m[j] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 16 * j)), bswap);
        for (j = 4; j < 16; j++) {
            msg = _mm_sha256msg1_epu32(m[j - 4], m[j - 3]);
            msg = _mm_add_epi32(msg, _mm_alignr_epi8(m[j - 1], m[j - 2], 4));
            m[j] = _mm_sha256msg2_epu32(msg, m[j - 1]);
        }
        for (j = 0; j < 16; j++) {
            msg = _mm_add_epi32(m[j], _mm_loadu_si128((const __m128i *)&K[4 * j]));
            cdgh = _mm_sha256rnds2_epu32(cdgh, abef, msg);
            abef = _mm_sha256rnds2_epu32(abef, cdgh, _mm_shuffle_epi32(msg, 0x0E));
        }
        abef = _mm_add_epi32(abef, abef0);
        cdgh = _mm_add_epi32(cdgh, cdgh0);
    }
    tmp = _mm_shuffle_epi32(abef, 0x1B);                                          /* FEBA */
    cdgh = _mm_shuffle_epi32(cdgh, 0xB1);                                         /* DCHG */
    _mm_storeu_si128((__m128i *)&st[0], _mm_blend_epi16(tmp, cdgh, 0xF0));        /* DCBA */
    _mm_storeu_si128((__m128i *)&st[4], _mm_alignr_epi8(cdgh, tmp, 8));           /* HGFE */
}

static bool cpu_has_shani(void)
{
    unsigned int a, b, c, d;

    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_SSSE3) || !(c & bit_SSE4_1))
        return false;
    if (__get_cpuid_max(0, NULL) < 7)
        return false;
    __cpuid_count(7, 0, a, b, c, d);
    return (b & (1u << 29)) != 0;       /* CPUID.(EAX=7,ECX=0):EBX.SHA[bit 29] */
}
#endif

/* -1 unknown, 0 portable, 1 SHA-NI; racing first callers all store the same answer. */
static _Atomic int accel = -1;

static bool use_accel(void)
{
    int a = atomic_load_explicit(&accel, memory_order_relaxed);

    if (a < 0) {
#ifdef LLMGW_SHA_X86
        a = cpu_has_shani() ? 1 : 0;
#else
        a = 0;
#endif
        atomic_store_explicit(&accel, a, memory_order_relaxed);
    }
    return a == 1;
}

bool llmgw__sha256_blocks_accel(uint32_t st[8], const unsigned char *p, size_t nblocks)
{
#ifdef LLMGW_SHA_X86
    if (use_accel()) {
        blocks_shani(st, p, nblocks);
        return true;
    }
#else
    (void)st;
    (void)p;
    (void)nblocks;
#endif
    return false;
}

static void compress(uint32_t st[8], const unsigned char *p, size_t nblocks)
{
    if (!llmgw__sha256_blocks_accel(st, p, nblocks))
        llmgw__sha256_blocks_portable(st, p, nblocks);
}

void llmgw__sha256_init(llmgw__sha256_ctx *ctx)
{
    static const uint32_t iv[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                    0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };

    memcpy(ctx->state, iv, sizeof(iv));
    ctx->bytes = 0;
    ctx->fill = 0;
}

void llmgw__sha256_update(llmgw__sha256_ctx *ctx, const void *data, size_t len)
{
    const unsigned char *p = data;

    if (len == 0)
        return;             /* data may be NULL: memcpy must not see it */
    ctx->bytes += len;
    if (ctx->fill) {
        size_t take = LLMGW_MIN(len, 64 - ctx->fill);
        memcpy(ctx->block + ctx->fill, p, take);
        ctx->fill += take;
        p += take;
        len -= take;
        if (ctx->fill < 64)
            return;
        compress(ctx->state, ctx->block, 1);
        ctx->fill = 0;
    }
    if (len >= 64) {
        compress(ctx->state, p, len / 64);
        p += len & ~(size_t)63;
        len &= 63;
    }
    if (len) {
        memcpy(ctx->block, p, len);
        ctx->fill = len;
    }
}

void llmgw__sha256_final(llmgw__sha256_ctx *ctx, unsigned char out[LLMGW_SHA256_LEN])
{
    uint64_t bits = ctx->bytes * 8;
    unsigned i;

    ctx->block[ctx->fill++] = 0x80;
    if (ctx->fill > 56) {
        memset(ctx->block + ctx->fill, 0, 64 - ctx->fill);
        compress(ctx->state, ctx->block, 1);
        ctx->fill = 0;
    }
    memset(ctx->block + ctx->fill, 0, 56 - ctx->fill);
    for (i = 0; i < 8; i++)
        ctx->block[56 + i] = (unsigned char)(bits >> (56 - 8 * i));
    compress(ctx->state, ctx->block, 1);
    for (i = 0; i < 8; i++) {
        out[4 * i] = (unsigned char)(ctx->state[i] >> 24);
        out[4 * i + 1] = (unsigned char)(ctx->state[i] >> 16);
        out[4 * i + 2] = (unsigned char)(ctx->state[i] >> 8);
        out[4 * i + 3] = (unsigned char)ctx->state[i];
    }
    llmgw__zeroize(ctx, sizeof(*ctx));
}

void llmgw__sha256(const void *data, size_t len, unsigned char out[LLMGW_SHA256_LEN])
{
    llmgw__sha256_ctx ctx;

    llmgw__sha256_init(&ctx);
    llmgw__sha256_update(&ctx, data, len);
    llmgw__sha256_final(&ctx, out);
}

void llmgw__hmac_sha256(const void *key, size_t key_len, const void *data, size_t len,
                        unsigned char out[LLMGW_SHA256_LEN])
{
    unsigned char k[64], pad[64], inner[LLMGW_SHA256_LEN];
    llmgw__sha256_ctx ctx;
    unsigned i;

    memset(k, 0, sizeof(k));
    if (key_len > 64)
        llmgw__sha256(key, key_len, k);
    else if (key_len)
        memcpy(k, key, key_len);
    for (i = 0; i < 64; i++)
        pad[i] = k[i] ^ 0x36;
    llmgw__sha256_init(&ctx);
    llmgw__sha256_update(&ctx, pad, 64);
    llmgw__sha256_update(&ctx, data, len);
    llmgw__sha256_final(&ctx, inner);
    for (i = 0; i < 64; i++)
        pad[i] = k[i] ^ 0x5c;
    llmgw__sha256_init(&ctx);
    llmgw__sha256_update(&ctx, pad, 64);
    llmgw__sha256_update(&ctx, inner, sizeof(inner));
    llmgw__sha256_final(&ctx, out);
    llmgw__zeroize(k, sizeof(k));
    llmgw__zeroize(pad, sizeof(pad));
}

void llmgw__hex(char *out, const unsigned char *in, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    size_t i;

    for (i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}
