/*
 * tests/transport/test_url.c: URL checks and the request/response helpers a
 * provider builds with (docs/resilience.md §d.4): nothing a caller supplies
 * may change the scheme, host or path prefix, or inject a header line.
 */
#include "unit.h"

#include "core/buf.h"
#include "core/clock.h"
#include "transport/http.h"

static void test_url_check(void **state)
{
    static const struct { const char *url; int insecure; } ok[] = {
        { "https://api.openai.com/v1", 0 },
        { "HTTPS://API.OPENAI.COM", 0 },
        { "https://example.com:8443/openai/deployments?x=1#f", 0 },
        { "https://[2001:db8::1]:443/v1", 0 },
        { "http://127.0.0.1:8080/v1", 1 },
        { "http://127.1.2.3/", 1 },
        { "http://127.0.0.1", 1 },
        { "http://localhost:11434", 1 },
        { "http://LOCALHOST/api", 1 },
        { "http://[::1]:8080/", 1 },
        { "http://[::1]", 1 },
    };
    static const char *const bad[] = {
        "http://example.com/v1",            /* http only to loopback */
        "http://10.0.0.1:8080",
        "http://192.168.1.1",
        "http://127.0.0.1.nip.io/",         /* a name that starts like loopback */
        "http://127.0.0.1.",
        "http://127.0.0.999/",              /* not an address: would go to DNS */
        "http://127.0.0/",
        "http://localhost.evil.com",
        "http://localhostx",
        "http://[::1]evil.com/",
        "http://[::2]/",
        "http://127.0.0.1@evil.com/",       /* userinfo */
        "https://user:pass@api.openai.com/v1",
        "https://@api.openai.com",
        "https://api.openai.com:443@evil.com",
        "https://api.openai.com/pa th",     /* spaces and control characters */
        "https://api.openai.com/\r\nX-Injected: 1",
        "https://api.openai.com/\t",
        "https://api.openai.com/\x7f",
        "https://api.openai.com\\@evil.com",
        "https://host:abc/",                /* a port is digits */
        "https://host:123456/",
        "ftp://example.com",
        "file:///etc/passwd",
        "gopher://127.0.0.1:70/",
        "//example.com",
        "example.com",
        "",
        "https://",
        "https:///v1",
        "https://:443/",
        "https://[::1/",
    };
    size_t i;
    bool insecure;

    (void)state;
    for (i = 0; i < LLMGW_ARRAY_SIZE(ok); i++) {
        insecure = !ok[i].insecure;
        if (llmgw__url_check(ok[i].url, &insecure) != 0)
            fail_msg("\"%s\" refused: %s", ok[i].url, llmgw_error_last()->message);
        assert_int_equal(insecure, ok[i].insecure);
    }
    for (i = 0; i < LLMGW_ARRAY_SIZE(bad); i++) {
        insecure = true;
        if (llmgw__url_check(bad[i], &insecure) != LLMGW_EINVAL)
            fail_msg("\"%s\" accepted", bad[i]);
        assert_int_equal(llmgw_error_last()->error_class, LLMGW_ERRCLASS_CONFIG);
        assert_false(insecure);
    }
    assert_fails_with(llmgw__url_check("http://example.com", &insecure), LLMGW_EINVAL,
                      "plain http:// is refused for non-loopback hosts");
    assert_fails_with(llmgw__url_check("https://u@h", &insecure), LLMGW_EINVAL, "credentials");
    assert_fails_with(llmgw__url_check("https://h/a b", &insecure), LLMGW_EINVAL, "control character, space");
}

static void test_loopback(void **state)
{
    (void)state;
    assert_true(llmgw__host_is_loopback("localhost", 9));
    assert_true(llmgw__host_is_loopback("127.0.0.1", 9));
    assert_true(llmgw__host_is_loopback("127.255.255.254", 15));
    assert_true(llmgw__host_is_loopback("[::1]", 5));
    assert_true(llmgw__host_is_loopback("::1", 3));
    assert_true(llmgw__host_is_loopback("127.0.0.1:80", 9));      /* only len is read */
    assert_false(llmgw__host_is_loopback("127.0.0.1", 8));
    assert_false(llmgw__host_is_loopback("127.0.0.256", 11));
    assert_false(llmgw__host_is_loopback("127.0.0.1234", 12));
    assert_false(llmgw__host_is_loopback("127..0.1", 8));
    assert_false(llmgw__host_is_loopback("127.0.0.", 8));
    assert_false(llmgw__host_is_loopback("128.0.0.1", 9));
    assert_false(llmgw__host_is_loopback("", 0));
    assert_false(llmgw__host_is_loopback("localhos", 8));
}

static void request_with_url(llmgw_http_request *r, const char *url)
{
    llmgw__http_request_init(r);
    assert_int_equal(llmgw_http_request_set_url(r, url), 0);
}

static void test_path_segment(void **state)
{
    static const char *const refused[] = {
        "", ".", "..", "/", "a/b", "../admin", "?", "a?b=1", "#", "a#frag", "%", "%2e%2e", "a%2Fb",
        "a b", "a\nb", "a\rb", "a\tb", "\xC3\xA9", "a\\b", "a;b", "a&b", "a=b", "a'b", "a\"b",
    };
    llmgw_http_request r;
    size_t i;
    char long_name[600];

    (void)state;
    request_with_url(&r, "https://h.example/openai/deployments/");
    assert_int_equal(llmgw_http_request_append_path_segment(&r, "gpt-4o_v2.1~x"), 0);
    assert_string_equal(llmgw_http_request_url(&r), "https://h.example/openai/deployments/gpt-4o_v2.1~x");
    /* ':', '@' and '+' are allowed but encoded, so they never read as a port, userinfo or space */
    assert_int_equal(llmgw_http_request_set_url(&r, "https://h.example/v1beta/models/"), 0);
    assert_int_equal(llmgw_http_request_append_path_segment(&r, "a:b@c+d"), 0);
    assert_string_equal(llmgw_http_request_url(&r), "https://h.example/v1beta/models/a%3Ab%40c%2Bd");
    /* "..." is a name, not a dot segment */
    assert_int_equal(llmgw_http_request_append_path_segment(&r, "..."), 0);
    assert_int_equal(llmgw_http_request_set_url(&r, "https://h.example/x/"), 0);
    for (i = 0; i < LLMGW_ARRAY_SIZE(refused); i++) {
        int rc = llmgw_http_request_append_path_segment(&r, refused[i]);
        if (rc != LLMGW_EINVAL)
            fail_msg("segment \"%s\" accepted", refused[i]);
        assert_string_equal(llmgw_http_request_url(&r), "https://h.example/x/");   /* unchanged */
    }
    assert_fails_with(llmgw_http_request_append_path_segment(&r, ".."), LLMGW_EINVAL, "'.' or '..'");
    assert_fails_with(llmgw_http_request_append_path_segment(&r, "a/b"), LLMGW_EINVAL,
                      "invalid character 0x2f in a name used in a URL path");
    memset(long_name, 'n', 513);
    long_name[513] = '\0';
    assert_int_equal(llmgw_http_request_append_path_segment(&r, long_name), LLMGW_EINVAL);
    long_name[512] = '\0';
    assert_int_equal(llmgw_http_request_append_path_segment(&r, long_name), 0);
    assert_fails_with(llmgw_http_request_append_path_segment(&r, NULL), LLMGW_EINVAL, "'name' is NULL");
    llmgw__http_request_dispose(&r);
}

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Random names: either refused, or appended so that the URL keeps its prefix, gains no
 * '/', '?', '#' or dot segment, and percent-decodes back to the name. */
static void test_path_segment_property(void **state)
{
    static const char alphabet[] = "aZ09._-~:@+/?#%& \\\n\r\x01\x7f\xC3\xA9=;";
    static const char prefix[] = "https://h.example/v1/models/";
    uint64_t rng = 77;
    llmgw_http_request r;
    char name[24], decoded[24];
    int round, accepted = 0;

    (void)state;
    request_with_url(&r, prefix);
    for (round = 0; round < 20000; round++) {
        size_t len = (size_t)llmgw__rand_below(&rng, sizeof(name) - 1), i, j;
        const char *url, *tail;
        for (i = 0; i < len; i++)
            name[i] = alphabet[llmgw__rand_below(&rng, sizeof(alphabet) - 1)];
        name[len] = '\0';
        assert_int_equal(llmgw_http_request_set_url(&r, prefix), 0);
        if (llmgw_http_request_append_path_segment(&r, name) != 0) {
            assert_string_equal(llmgw_http_request_url(&r), prefix);
            continue;
        }
        accepted++;
        url = llmgw_http_request_url(&r);
        assert_int_equal(strncmp(url, prefix, sizeof(prefix) - 1), 0);
        tail = url + sizeof(prefix) - 1;
        assert_null(strpbrk(tail, "/?#\\ \r\n"));
        assert_true(strcmp(tail, ".") != 0 && strcmp(tail, "..") != 0 && *tail != '\0');
        for (i = j = 0; tail[i]; j++) {
            if (tail[i] == '%') {
                assert_true(hexval(tail[i + 1]) >= 0 && hexval(tail[i + 2]) >= 0);
                decoded[j] = (char)(hexval(tail[i + 1]) * 16 + hexval(tail[i + 2]));
                i += 3;
            } else {
                decoded[j] = tail[i++];
            }
        }
        decoded[j] = '\0';
        assert_string_equal(decoded, name);
    }
    assert_true(accepted > 100);
    llmgw__http_request_dispose(&r);
}

static void test_query(void **state)
{
    llmgw_http_request r;
    llmgw_buf all = LLMGW_BUF_INIT;
    char byte[2] = { 0, 0 };
    int c;

    (void)state;
    request_with_url(&r, "https://h.example/v1/x:streamGenerateContent");
    assert_int_equal(llmgw_http_request_append_query(&r, "alt", "sse"), 0);
    assert_int_equal(llmgw_http_request_append_query(&r, "api-version", "2024-10-21"), 0);
    assert_int_equal(llmgw_http_request_append_query(&r, "q", "a b&c=d/\xC3\xA9?#%+"), 0);
    assert_int_equal(llmgw_http_request_append_query(&r, "e", ""), 0);
    assert_string_equal(llmgw_http_request_url(&r),
        "https://h.example/v1/x:streamGenerateContent?alt=sse&api-version=2024-10-21"
        "&q=a%20b%26c%3Dd%2F%C3%A9%3F%23%25%2B&e=");
    assert_fails_with(llmgw_http_request_append_query(&r, "n", NULL), LLMGW_EINVAL, "'value' is NULL");
    llmgw__http_request_dispose(&r);

    /* every byte: unreserved kept, the rest as %XX upper-case */
    for (c = 1; c < 256; c++) {
        byte[0] = (char)c;
        assert_int_equal(llmgw__url_encode(&all, byte, 1), 0);
    }
    assert_int_equal(all.size, 66 + 189 * 3);
    assert_contains(all.ptr, "%2C-.%2F0123456789%3A");
    assert_contains(all.ptr, "%40ABCDEFGHIJKLMNOPQRSTUVWXYZ%5B");
    assert_contains(all.ptr, "%60abcdefghijklmnopqrstuvwxyz%7B%7C%7D~%7F%80");
    assert_contains(all.ptr, "%FE%FF");
    llmgw_buf_dispose(&all);
}

static void test_url_length(void **state)
{
    llmgw_http_request r;
    char *big = malloc(9000);

    (void)state;
    assert_non_null(big);
    memset(big, 'a', 8999);
    big[8999] = '\0';
    llmgw__http_request_init(&r);
    assert_fails_with(llmgw_http_request_set_url(&r, big), LLMGW_EINVAL, "URL longer than 8192 bytes");
    big[8192 - 20] = '\0';
    assert_int_equal(llmgw_http_request_set_url(&r, big), 0);
    assert_fails_with(llmgw_http_request_append_url(&r, "0123456789012345678901234567890"), LLMGW_EINVAL,
                      "URL longer");
    assert_int_equal(llmgw_http_request_append_url(&r, "/v1"), 0);
    assert_int_equal(llmgw_http_request_append_path_segment(&r, "abcdef"), LLMGW_EINVAL);
    assert_int_equal(llmgw_http_request_append_query(&r, "k", "vvvvvvvv"), LLMGW_EINVAL);
    llmgw__http_request_dispose(&r);
    free(big);
}

static void test_headers(void **state)
{
    static const char *const bad_names[] = {
        "", "bad name", "x:y", "x\r", "x\n", "\xC3\xA9", "a(b)", "a,b", "a/b", "a\"b", "a@b", "a[b]",
    };
    static const char *const bad_values[] = {
        "a\r\nX-Injected: 1", "a\nb", "a\rb", "\x01", "a\x7f", "\x1b[31m",
    };
    llmgw_http_request r;
    size_t i;

    (void)state;
    llmgw__http_request_init(&r);
    assert_int_equal(llmgw_http_request_add_header(&r, "x-api-key", "sk-abc"), 0);
    assert_int_equal(llmgw_http_request_add_header(&r, "anthropic-version", "2023-06-01"), 0);
    assert_int_equal(llmgw_http_request_add_header(&r, "X-Tab", "a\tb"), 0);
    assert_int_equal(llmgw_http_request_add_header(&r, "!#$%&'*+-.^_`|~Az9", "\xC3\xA9 ok"), 0);
    assert_int_equal(llmgw_http_request_add_header(&r, "Empty", ""), 0);
    assert_string_equal(r.headers[0].ptr, "x-api-key: sk-abc");
    assert_string_equal(r.headers[2].ptr, "X-Tab: a\tb");
    assert_string_equal(llmgw__http_request_header(&r, "X-API-KEY"), "sk-abc");
    assert_string_equal(llmgw__http_request_header(&r, "anthropic-version"), "2023-06-01");
    assert_string_equal(llmgw__http_request_header(&r, "empty"), "");
    assert_null(llmgw__http_request_header(&r, "x-api"));
    assert_null(llmgw__http_request_header(&r, "missing"));
    for (i = 0; i < LLMGW_ARRAY_SIZE(bad_names); i++)
        if (llmgw_http_request_add_header(&r, bad_names[i], "v") != LLMGW_EINVAL)
            fail_msg("header name \"%s\" accepted", bad_names[i]);
    assert_fails_with(llmgw_http_request_add_header(&r, "bad name", "v"), LLMGW_EINVAL, "invalid header name");
    for (i = 0; i < LLMGW_ARRAY_SIZE(bad_values); i++)
        if (llmgw_http_request_add_header(&r, "x-h", bad_values[i]) != LLMGW_EINVAL)
            fail_msg("header value %zu accepted", i);
    assert_fails_with(llmgw_http_request_add_header(&r, "x-h", "a\r\nb"), LLMGW_EINVAL,
                      "header 'x-h': control character in the value");
    assert_int_equal(r.header_count, 5);
    while (r.header_count < LLMGW__MAX_REQ_HEADERS)
        assert_int_equal(llmgw_http_request_add_header(&r, "x-n", "1"), 0);
    assert_fails_with(llmgw_http_request_add_header(&r, "x-n", "1"), LLMGW_EINVAL, "more than 64 request headers");
    llmgw__http_request_dispose(&r);
    assert_int_equal(r.header_count, 0);
}

static void test_method_and_body(void **state)
{
    llmgw_http_request r;
    size_t len = 99;
    char *owned;

    (void)state;
    llmgw__http_request_init(&r);
    assert_string_equal(r.method, "POST");
    assert_int_equal(llmgw_http_request_set_method(&r, "GET"), 0);
    assert_string_equal(r.method, "GET");
    assert_int_equal(llmgw_http_request_set_method(&r, "DELETE"), 0);
    assert_fails_with(llmgw_http_request_set_method(&r, "PATCH"), LLMGW_EINVAL, "unsupported HTTP method");
    assert_int_equal(llmgw_http_request_set_method(&r, "GET\r\nX: y"), LLMGW_EINVAL);
    assert_string_equal(r.method, "DELETE");
    assert_string_equal(llmgw_http_request_body(&r, &len), "");
    assert_int_equal(len, 0);
    assert_int_equal(llmgw_http_request_set_body(&r, "{\"a\":\0}", 7), 0);
    assert_memory_equal(llmgw_http_request_body(&r, &len), "{\"a\":\0}", 7);
    assert_int_equal(len, 7);
    assert_int_equal(llmgw_http_request_set_body(&r, NULL, 0), 0);
    assert_fails_with(llmgw_http_request_set_body(&r, NULL, 1), LLMGW_EINVAL, "'data' is NULL");
    owned = llmgw__strdup("{}");
    llmgw__http_request_adopt_body(&r, owned, 2);
    assert_string_equal(llmgw_http_request_body(&r, &len), "{}");
    assert_null(llmgw_http_request_body(NULL, &len));
    assert_null(llmgw_http_request_url(NULL));
    llmgw__http_request_dispose(&r);
    llmgw__http_request_dispose(NULL);
}

static void test_response_headers(void **state)
{
    llmgw_http_response resp;
    size_t len = 9;

    (void)state;
    llmgw__http_response_init(&resp);
    resp.status = 429;
    assert_int_equal(llmgw__http_response_add_header(&resp, "Retry-After", 11, "5", 1), 0);
    assert_int_equal(llmgw__http_response_add_header(&resp, "content-type", 12, "application/json", 16), 0);
    assert_int_equal(llmgw__http_response_add_header(&resp, "retry-after", 11, "7", 1), 0);
    assert_int_equal(llmgw__http_response_add_header(&resp, "x-empty", 7, "", 0), 0);
    assert_int_equal(llmgw_http_response_status(&resp), 429);
    assert_string_equal(llmgw_http_response_header(&resp, "retry-after"), "5");   /* the first wins */
    assert_string_equal(llmgw_http_response_header(&resp, "RETRY-AFTER"), "5");
    assert_string_equal(llmgw_http_response_header(&resp, "Content-Type"), "application/json");
    assert_string_equal(llmgw_http_response_header(&resp, "x-empty"), "");
    assert_null(llmgw_http_response_header(&resp, "retry-after-ms"));
    assert_null(llmgw_http_response_header(&resp, "retry"));
    assert_null(llmgw_http_response_header(&resp, "content-type-x"));
    assert_null(llmgw_http_response_header(&resp, NULL));
    assert_null(llmgw_http_response_header(NULL, "a"));
    assert_string_equal(llmgw_http_response_body(&resp, &len), "");
    assert_int_equal(len, 0);
    /* many headers grow the table */
    while (resp.header_count < 100)
        assert_int_equal(llmgw__http_response_add_header(&resp, "x-n", 3, "v", 1), 0);
    assert_string_equal(llmgw_http_response_header(&resp, "X-N"), "v");
    llmgw__http_response_reset(&resp);
    assert_int_equal(resp.status, 0);
    assert_null(llmgw_http_response_header(&resp, "retry-after"));
    llmgw__http_response_dispose(&resp);
    assert_int_equal(llmgw_http_response_status(NULL), 0);
    assert_null(llmgw_http_response_body(NULL, &len));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_url_check),
        cmocka_unit_test(test_loopback),
        cmocka_unit_test(test_path_segment),
        cmocka_unit_test(test_path_segment_property),
        cmocka_unit_test(test_query),
        cmocka_unit_test(test_url_length),
        cmocka_unit_test(test_headers),
        cmocka_unit_test(test_method_and_body),
        cmocka_unit_test(test_response_headers),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
