/*
 * tests/core/test_redact.c: the one redaction pass (docs/resilience.md §d.3).
 */
#include "unit.h"

#include "core/clock.h"
#include "core/redact.h"
#include "core/utf8.h"

static const char *redact(const char *s, const char *const *secrets)
{
    static char out[1024];
    size_t n = llmgw__redact(out, sizeof(out), s, strlen(s), secrets);

    assert_int_equal(n, strlen(out));
    return out;
}

static const struct { const char *in, *out; } masked[] = {
    /* credential headers: the value is masked to the end of the line */
    { "Authorization: Bearer sk-abcdefghijkl", "Authorization:***" },
    { "authorization:Bearer abc\nnext line", "authorization:*** next line" },
    { "Proxy-Authorization: Basic dXNlcjpwYXNz", "Proxy-Authorization:***" },
    { "x-api-key: sk-ant-api03-abcdefgh", "x-api-key:***" },
    { "X-Api-Key: 0123456789", "X-Api-Key:***" },
    { "api-key: 0123456789abcdef\r\nContent-Type: x", "api-key:***  Content-Type: x" },
    { "x-goog-api-key: AIzaSyA1234567890", "x-goog-api-key:***" },
    { "{\"authorization\":\"Bearer abc\",\"x\":1}", "{\"authorization\":***,\"x\":1}" },
    { "headers: {\"x-api-key\": \"secret-value\"}", "headers: {\"x-api-key\":***}" },
    { "{'api-key': 'abc123', 'x': 1}", "{'api-key':***, 'x': 1}" },
    { "{\"api_key\": \"0123456789abcdef\"}", "{\"api_key\":***}" },
    { "api_key: 0123456789abcdef", "api_key:***" },
    /* query values */
    { "GET /v1/models/m:generateContent?key=AIzaSecret123&alt=sse",
      "GET /v1/models/m:generateContent?key=***&alt=sse" },
    { "https://h/x?alt=sse&key=abc", "https://h/x?alt=sse&key=***" },
    { "?api_key=abc123&x=1", "?api_key=***&x=1" },
    { "token=abc", "token=***" },
    { "url \"https://h/?access_token=zzz\" failed", "url \"https://h/?access_token=***\" failed" },
    { "X-Amz-Signature=deadbeef&X-Amz-Date=20240101T000000Z",
      "X-Amz-Signature=***&X-Amz-Date=20240101T000000Z" },
    { "x-amz-credential=AKID/20240101/us-east-1&y", "x-amz-credential=***&y" },
    /* bearer tokens and token shapes */
    { "failed: Bearer xyz", "failed: Bearer ***" },
    { "failed: bearer   eyJhbGciOi.J9.x_y-z rest", "failed: bearer *** rest" },
    { "key sk-proj-abcdefghijklmnop used", "key sk-*** used" },
    { "sk-ant-api03-AAAAAAAAAAAA-BBBB", "sk-***" },
    { "(sk-1234567890abcdef)", "(sk-***)" },
    { "AIzaSyDdI0hCZtE6vySjMm-WEfRq3CPzqKqqsHI", "AIza***" },
    { "id AKIAIOSFODNN7EXAMPLE in use", "id AKIA*** in use" },
    { "ASIAIOSFODNN7EXAMPLE", "ASIA***" },
    { "gsk_abcdefghijklmnop", "gsk_***" },
    { "xai-abcdefghijklmnop", "xai-***" },
    { "hf_abcdefghijklmnop", "hf_***" },
};

static void test_every_pattern(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < LLMGW_ARRAY_SIZE(masked); i++) {
        const char *got = redact(masked[i].in, NULL);
        if (strcmp(got, masked[i].out) != 0)
            fail_msg("case %zu: \"%s\" -> \"%s\", want \"%s\"", i, masked[i].in, got, masked[i].out);
    }
}

static void test_no_false_positives(void **state)
{
    static const char *const plain[] = {
        "key points of the talk",
        "the task-force met",
        "desk-lamp and risk-assessment",
        "the monkey=5 case",
        "tokens=5 max_tokens=7",
        "sk-short",                     /* tail under 8 */
        "AIzaShort",
        "AKIA1234",
        "the api-key header is missing",
        "Bearer",
        "authorization",
        "key=",
        "skip-this-line-please",
        "ask-me-anything-anytime",
        "https://api.openai.com/v1/chat/completions",
        "context_length_exceeded: 130000 > 128000 tokens",
        "caf\xC3\xA9 \xE2\x98\x83 \xF0\x9F\x98\x80",
    };
    size_t i;

    (void)state;
    for (i = 0; i < LLMGW_ARRAY_SIZE(plain); i++)
        assert_string_equal(redact(plain[i], NULL), plain[i]);
}

static void test_extra_secrets(void **state)
{
    static const char *const secrets[] = { "hunter22", "abc", "p@ss w0rd", NULL };
    static const char *const none[] = { NULL };

    (void)state;
    assert_string_equal(redact("my password is hunter22, ok", secrets), "my password is ***, ok");
    assert_string_equal(redact("xhunter22hunter22y", secrets), "x******y");
    assert_string_equal(redact("with p@ss w0rd inside", secrets), "with *** inside");
    /* secrets shorter than 4 bytes are not matched (they would mask ordinary text) */
    assert_string_equal(redact("abc abc", secrets), "abc abc");
    assert_string_equal(redact("hunter22", none), "hunter22");
}

static void test_control_and_invalid_utf8(void **state)
{
    char out[64];
    size_t n;
    static const char in[] = "a\tb\nc\rd\x01" "e\x7f" "f\0g";

    (void)state;
    n = llmgw__redact(out, sizeof(out), in, sizeof(in) - 1, NULL);
    assert_int_equal(n, 13);
    assert_string_equal(out, "a b c d e f g");
    assert_string_equal(redact("caf\xC3", NULL), "caf?");
    assert_string_equal(redact("\xC0\xAF", NULL), "??");
    assert_string_equal(redact("x\xED\xA0\x80y", NULL), "x???y");
    assert_string_equal(redact("\xF4\x90\x80\x80", NULL), "????");
    assert_string_equal(redact("\xFF\xFE", NULL), "??");
    assert_string_equal(redact("ok \xE2\x82\xAC", NULL), "ok \xE2\x82\xAC");
    /* a tab inside a masked header stays out of the output */
    assert_string_equal(redact("authorization\t: Bearer x", NULL), "authorization :***");
}

static void test_truncation_keeps_utf8_whole(void **state)
{
    static const char in[] = "ab\xE2\x82\xAC" "c\xF0\x9F\x98\x80" "d\xC3\xA9";
    char out[32];
    size_t size, n;

    (void)state;
    for (size = 1; size <= sizeof(in) + 1; size++) {
        memset(out, 'Z', sizeof(out));
        n = llmgw__redact(out, size, in, sizeof(in) - 1, NULL);
        assert_true(n < size);
        assert_int_equal(out[n], '\0');
        assert_true(llmgw__utf8_valid(out, n));
        assert_memory_equal(out, in, n);               /* a prefix, cut between sequences */
        assert_int_equal(out[size], 'Z');              /* nothing written past dstsize */
    }
    n = llmgw__redact(out, 6, in, sizeof(in) - 1, NULL);
    assert_string_equal(out, "ab\xE2\x82\xAC");
    n = llmgw__redact(out, 5, in, sizeof(in) - 1, NULL);
    assert_string_equal(out, "ab");
    /* a mask is cut like any text, never overflowing */
    n = llmgw__redact(out, 8, "key=secretvalue", 15, NULL);
    assert_string_equal(out, "key=***");
    n = llmgw__redact(out, 6, "key=secretvalue", 15, NULL);
    assert_int_equal(n, 5);
    assert_false(strstr(out, "sec") != NULL);
}

static void test_edges(void **state)
{
    char out[8] = "xxxxxxx";

    (void)state;
    assert_int_equal(llmgw__redact(out, 0, "abc", 3, NULL), 0);
    assert_string_equal(out, "xxxxxxx");
    assert_int_equal(llmgw__redact(NULL, 5, "abc", 3, NULL), 0);
    assert_int_equal(llmgw__redact(out, sizeof(out), NULL, 3, NULL), 0);
    assert_string_equal(out, "");
    assert_int_equal(llmgw__redact(out, 1, "abc", 3, NULL), 0);
    assert_string_equal(out, "");
    /* srclen is honoured: bytes after it are not read */
    assert_int_equal(llmgw__redact(out, sizeof(out), "abcdef", 2, NULL), 2);
    assert_string_equal(out, "ab");
}

/* Whatever goes in, the output is printable valid UTF-8 within the buffer. */
static void test_random_bytes_property(void **state)
{
    static const char alphabet[] = "ak=ey:_- sBearer\r\n\t\x01\x7f\xC3\xA9\xE2\x82\xF0\x9F\x80\xFF\"AIzaKIS";
    uint64_t rng = 42;
    char in[200], out[128];
    int round;
    size_t i, n, len;

    (void)state;
    for (round = 0; round < 20000; round++) {
        len = (size_t)llmgw__rand_below(&rng, sizeof(in));
        for (i = 0; i < len; i++)
            in[i] = llmgw__rand_below(&rng, 4) == 0
                    ? (char)llmgw__rand_below(&rng, 256)
                    : alphabet[llmgw__rand_below(&rng, sizeof(alphabet) - 1)];
        n = llmgw__redact(out, sizeof(out), in, len, NULL);
        assert_true(n < sizeof(out));
        assert_int_equal(strlen(out), n);
        assert_true(llmgw__utf8_valid(out, n));
        for (i = 0; i < n; i++)
            if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f)
                fail_msg("control byte 0x%02x in output of round %d", (unsigned char)out[i], round);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_pattern),
        cmocka_unit_test(test_no_false_positives),
        cmocka_unit_test(test_extra_secrets),
        cmocka_unit_test(test_control_and_invalid_utf8),
        cmocka_unit_test(test_truncation_keeps_utf8_whole),
        cmocka_unit_test(test_edges),
        cmocka_unit_test(test_random_bytes_property),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
