/*
 * tests/core/test_sha_accel.c: the SHA-256 block function on the CPU's SHA
 * extensions against the portable one (differential), on random states and
 * data of 1 to 40 blocks, and the whole hash (which uses the accelerated
 * path when it can) against the portable blocks with FIPS 180-4 padding
 * written out here. On a CPU without the extensions the accelerated
 * function must refuse and leave the state untouched.
 */
#include "unit.h"

#include "core/hash.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint32_t next32(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 16);
}

static void test_blocks_differential(void **state)
{
    static unsigned char data[64 * 40];
    uint32_t a[8], b[8];
    size_t i, round, n;

    (void)state;
    for (round = 0; round < 400; round++) {
        for (i = 0; i < sizeof(data); i++)
            data[i] = (unsigned char)next32();
        for (i = 0; i < 8; i++)
            a[i] = b[i] = next32();
        n = 1 + round % 40;
        llmgw__sha256_blocks_portable(a, data, n);
        if (!llmgw__sha256_blocks_accel(b, data, n)) {
            uint32_t untouched[8];
            for (i = 0; i < 8; i++)
                untouched[i] = b[i];
            assert_memory_equal(untouched, b, sizeof(b));
            print_message("no SHA extensions on this CPU: only the portable path is tested\n");
            skip();
        }
        assert_memory_equal(a, b, sizeof(a));
    }
}

/* SHA-256 of data with the padding done here over the portable blocks. */
static void reference(const unsigned char *data, size_t len, unsigned char out[32])
{
    static const uint32_t iv[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                    0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
    static unsigned char tail[128];
    uint32_t st[8];
    size_t whole = len / 64 * 64, rest = len - whole, tail_len, i;
    uint64_t bits = (uint64_t)len * 8;

    memcpy(st, iv, sizeof(st));
    llmgw__sha256_blocks_portable(st, data, len / 64);
    memset(tail, 0, sizeof(tail));
    memcpy(tail, data + whole, rest);
    tail[rest] = 0x80;
    tail_len = rest + 1 + 8 <= 64 ? 64 : 128;
    for (i = 0; i < 8; i++)
        tail[tail_len - 1 - i] = (unsigned char)(bits >> (8 * i));
    llmgw__sha256_blocks_portable(st, tail, tail_len / 64);
    for (i = 0; i < 8; i++) {
        out[4 * i] = (unsigned char)(st[i] >> 24);
        out[4 * i + 1] = (unsigned char)(st[i] >> 16);
        out[4 * i + 2] = (unsigned char)(st[i] >> 8);
        out[4 * i + 3] = (unsigned char)st[i];
    }
}

static void test_hash_against_portable(void **state)
{
    static unsigned char data[3000];
    unsigned char want[32], got[32];
    llmgw__sha256_ctx ctx;
    size_t len, i, cut;

    (void)state;
    for (i = 0; i < sizeof(data); i++)
        data[i] = (unsigned char)next32();
    for (len = 0; len <= sizeof(data); len += len < 200 ? 1 : 97) {
        reference(data, len, want);
        llmgw__sha256(data, len, got);
        assert_memory_equal(want, got, 32);
        /* the same in two updates cut anywhere */
        cut = len ? next32() % len : 0;
        llmgw__sha256_init(&ctx);
        llmgw__sha256_update(&ctx, data, cut);
        llmgw__sha256_update(&ctx, data + cut, len - cut);
        llmgw__sha256_final(&ctx, got);
        assert_memory_equal(want, got, 32);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hash_against_portable),
        cmocka_unit_test(test_blocks_differential),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
