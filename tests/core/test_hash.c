/*
 * tests/core/test_hash.c: SHA-256 (FIPS 180-4 / NIST CSRC example vectors)
 * and HMAC-SHA256 (RFC 4231 test cases 1-7).
 */
#include "unit.h"

#include "core/hash.h"

static void digest_hex(char out[65], const void *data, size_t len)
{
    unsigned char d[LLMGW_SHA256_LEN];

    llmgw__sha256(data, len, d);
    llmgw__hex(out, d, sizeof(d));
}

static const char msg448[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
static const char msg896[] =
    "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrs"
    "mnopqrstnopqrstu";

static void test_nist_vectors(void **state)
{
    char hex[65];

    (void)state;
    digest_hex(hex, "", 0);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    digest_hex(hex, "abc", 3);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_int_equal(strlen(msg448) * 8, 448);
    digest_hex(hex, msg448, strlen(msg448));
    assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    assert_int_equal(strlen(msg896) * 8, 896);
    digest_hex(hex, msg896, strlen(msg896));
    assert_string_equal(hex, "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

static void test_million_a(void **state)
{
    static const char want[] = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
    char *a = malloc(1000000), hex[65];
    unsigned char d[LLMGW_SHA256_LEN];
    llmgw__sha256_ctx ctx;
    size_t i;

    (void)state;
    assert_non_null(a);
    memset(a, 'a', 1000000);
    digest_hex(hex, a, 1000000);
    assert_string_equal(hex, want);
    /* the same in odd-sized pieces */
    llmgw__sha256_init(&ctx);
    for (i = 0; i < 1000000; i += 997)
        llmgw__sha256_update(&ctx, a + i, LLMGW_MIN(997, 1000000 - i));
    llmgw__sha256_final(&ctx, d);
    llmgw__hex(hex, d, sizeof(d));
    assert_string_equal(hex, want);
    free(a);
}

/* Every split point (and every pair of split points for a shorter message). */
static void test_incremental_splits(void **state)
{
    unsigned char msg[200], one[LLMGW_SHA256_LEN], part[LLMGW_SHA256_LEN];
    llmgw__sha256_ctx ctx;
    size_t i, j, len;

    (void)state;
    for (i = 0; i < sizeof(msg); i++)
        msg[i] = (unsigned char)(i * 31 + 7);
    /* lengths around the 55/56/64-byte padding boundaries and several blocks */
    for (len = 0; len <= sizeof(msg); len++) {
        llmgw__sha256(msg, len, one);
        for (i = 0; i <= len; i++) {
            llmgw__sha256_init(&ctx);
            llmgw__sha256_update(&ctx, msg, i);
            llmgw__sha256_update(&ctx, msg + i, len - i);
            llmgw__sha256_final(&ctx, part);
            if (memcmp(one, part, sizeof(one)) != 0)
                fail_msg("len %zu split at %zu differs", len, i);
        }
    }
    len = 130;
    llmgw__sha256(msg, len, one);
    for (i = 0; i <= len; i++)
        for (j = i; j <= len; j++) {
            llmgw__sha256_init(&ctx);
            llmgw__sha256_update(&ctx, msg, i);
            llmgw__sha256_update(&ctx, msg + i, j - i);
            llmgw__sha256_update(&ctx, NULL, 0);
            llmgw__sha256_update(&ctx, msg + j, len - j);
            llmgw__sha256_final(&ctx, part);
            if (memcmp(one, part, sizeof(one)) != 0)
                fail_msg("splits at %zu and %zu differ", i, j);
        }
    /* byte at a time */
    llmgw__sha256_init(&ctx);
    for (i = 0; i < len; i++)
        llmgw__sha256_update(&ctx, msg + i, 1);
    llmgw__sha256_final(&ctx, part);
    assert_memory_equal(one, part, sizeof(one));
}

static void hexbytes(unsigned char *out, const char *hex, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        unsigned v;
        char byte[3] = { hex[2 * i], hex[2 * i + 1], '\0' };
        v = (unsigned)strtoul(byte, NULL, 16);
        out[i] = (unsigned char)v;
    }
}

/* RFC 4231 section 4: keys and data as given there (fill byte x count, or text). */
static const struct {
    unsigned char key_fill;     /* 0: key_text or key_hex */
    size_t        key_len;
    const char   *key_text;
    const char   *key_hex;
    unsigned char data_fill;
    size_t        data_len;
    const char   *data_text;
    const char   *mac;          /* hex; test case 5 gives only the first 128 bits */
} rfc4231[] = {
    { 0x0b, 20, NULL, NULL, 0, 0, "Hi There",
      "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7" },
    { 0, 4, "Jefe", NULL, 0, 0, "what do ya want for nothing?",
      "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843" },
    { 0xaa, 20, NULL, NULL, 0xdd, 50, NULL,
      "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe" },
    { 0, 25, NULL, "0102030405060708090a0b0c0d0e0f10111213141516171819", 0xcd, 50, NULL,
      "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b" },
    { 0x0c, 20, NULL, NULL, 0, 0, "Test With Truncation",
      "a3b6167473100ee06e0c796c2955552b" },
    { 0xaa, 131, NULL, NULL, 0, 0, "Test Using Larger Than Block-Size Key - Hash Key First",
      "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54" },
    { 0xaa, 131, NULL, NULL, 0, 0,
      "This is a test using a larger than block-size key and a larger than block-size data. "
      "The key needs to be hashed before being used by the HMAC algorithm.",
      "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2" },
};

static void test_hmac_rfc4231(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < LLMGW_ARRAY_SIZE(rfc4231); i++) {
        unsigned char key[200], data[200], mac[LLMGW_SHA256_LEN];
        const unsigned char *k = key, *d = data;
        size_t dlen;
        char hex[65];

        if (rfc4231[i].key_fill)
            memset(key, rfc4231[i].key_fill, rfc4231[i].key_len);
        else if (rfc4231[i].key_hex)
            hexbytes(key, rfc4231[i].key_hex, rfc4231[i].key_len);
        else
            k = (const unsigned char *)rfc4231[i].key_text;
        if (rfc4231[i].data_text) {
            d = (const unsigned char *)rfc4231[i].data_text;
            dlen = strlen(rfc4231[i].data_text);
        } else {
            memset(data, rfc4231[i].data_fill, rfc4231[i].data_len);
            dlen = rfc4231[i].data_len;
        }
        llmgw__hmac_sha256(k, rfc4231[i].key_len, d, dlen, mac);
        llmgw__hex(hex, mac, sizeof(mac));
        hex[strlen(rfc4231[i].mac)] = '\0';        /* truncated output (test case 5) */
        if (strcmp(hex, rfc4231[i].mac) != 0)
            fail_msg("RFC 4231 test case %zu: %s", i + 1, hex);
    }
}

static void test_hmac_edges(void **state)
{
    unsigned char a[LLMGW_SHA256_LEN], b[LLMGW_SHA256_LEN];
    unsigned char key64[64], key65[65];
    char hex[65];

    (void)state;
    /* empty key and message (a known value) */
    llmgw__hmac_sha256("", 0, "", 0, a);
    llmgw__hex(hex, a, sizeof(a));
    assert_string_equal(hex, "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
    llmgw__hmac_sha256(NULL, 0, NULL, 0, b);
    assert_memory_equal(a, b, sizeof(a));
    /* a 64-byte key is used as is; a 65-byte key is hashed first */
    memset(key64, 0x5a, sizeof(key64));
    memset(key65, 0x5a, sizeof(key65));
    llmgw__hmac_sha256(key64, 64, "m", 1, a);
    llmgw__hmac_sha256(key65, 65, "m", 1, b);
    assert_memory_not_equal(a, b, sizeof(a));
    /* a key shorter than 64 bytes equals itself zero-padded to 64 */
    memset(key64, 0, sizeof(key64));
    memcpy(key64, "Jefe", 4);
    llmgw__hmac_sha256("Jefe", 4, "x", 1, a);
    llmgw__hmac_sha256(key64, 64, "x", 1, b);
    assert_memory_equal(a, b, sizeof(a));
}

static void test_hex(void **state)
{
    static const unsigned char in[] = { 0x00, 0x01, 0x7f, 0x80, 0xab, 0xff };
    char out[13];

    (void)state;
    llmgw__hex(out, in, sizeof(in));
    assert_string_equal(out, "00017f80abff");
    llmgw__hex(out, in, 0);
    assert_string_equal(out, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nist_vectors),
        cmocka_unit_test(test_million_a),
        cmocka_unit_test(test_incremental_splits),
        cmocka_unit_test(test_hmac_rfc4231),
        cmocka_unit_test(test_hmac_edges),
        cmocka_unit_test(test_hex),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
