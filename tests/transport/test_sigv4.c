/*
 * tests/transport/test_sigv4.c: AWS SigV4 against AWS's published test-suite
 * vectors (the .txt files of tests/fixtures/sigv4, restated from aws-c-auth; and the
 * upstream files in shared/fixtures/sigv4 when present), plus the rules the
 * vectors do not reach: double-encoded paths, query order, default ports,
 * header folding, bad input.
 */
#include "unit.h"

#include <cjson/cJSON.h>
#include <strings.h>
#include <time.h>

#include "fixture.h"
#include "transport/sigv4.h"

static const char *const cases[] = {
    "get-vanilla", "get-vanilla-with-session-token", "post-vanilla", "post-x-www-form-urlencoded",
};

typedef struct vector {
    char  ak[64], sk[128], token[256], region[32], service[32];
    int64_t time;
    bool  sign_body;
    char *request, *canonical, *string_to_sign, *signature, *authorization;
} vector;

static void vector_free(vector *v)
{
    free(v->request);
    free(v->canonical);
    free(v->string_to_sign);
    free(v->signature);
    free(v->authorization);
}

static int64_t parse_time(const char *iso)
{
    struct tm tm;

    memset(&tm, 0, sizeof(tm));
    assert_non_null(strptime(iso, "%Y-%m-%dT%H:%M:%SZ", &tm));
    return (int64_t)timegm(&tm);
}

static char *dup_n(const char *s, size_t n)
{
    char *p = malloc(n + 1);

    assert_non_null(p);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

/* The Authorization value from a signed request ("Authorization:..." line). */
static char *authorization_of(const char *signed_request)
{
    const char *a = strstr(signed_request, "\nAuthorization:");

    assert_non_null(a);
    a += strlen("\nAuthorization:");
    return dup_n(a, strcspn(a, "\n"));
}

/* Text of "[name]" up to the next section line (its final newline dropped). */
static char *section(const char *file, const char *name)
{
    char marker[64];
    const char *start, *end;

    snprintf(marker, sizeof(marker), "\n[%s]\n", name);
    start = strstr(file, marker);
    if (start == NULL)
        fail_msg("section [%s] missing", name);
    start += strlen(marker);
    for (end = start; *end; end++)
        if (end[0] == '\n' && end[1] == '[')
            break;
    if (*end == '\0' && end > start && end[-1] == '\n')
        end--;
    return dup_n(start, (size_t)(end - start));
}

static void context_value(char *out, size_t size, const char *ctx, const char *key)
{
    char k[64];
    const char *p;

    snprintf(k, sizeof(k), "\n%s=", key);
    out[0] = '\0';
    if ((p = strstr(ctx, k)) != NULL) {
        p += strlen(k);
        snprintf(out, size, "%.*s", (int)strcspn(p, "\n"), p);
    }
}

static void load_project(vector *v, const char *name)
{
    char rel[128], ts[64], sb[16];
    char *file, *ctx;

    memset(v, 0, sizeof(*v));
    snprintf(rel, sizeof(rel), "sigv4/%s.txt", name);
    file = fixture_read(rel, NULL);
    if (file == NULL)
        fail_msg("missing fixture %s", rel);
    ctx = section(file, "context");
    {
        char *c = malloc(strlen(ctx) + 2);
        c[0] = '\n';
        strcpy(c + 1, ctx);
        context_value(v->ak, sizeof(v->ak), c, "access_key_id");
        context_value(v->sk, sizeof(v->sk), c, "secret_access_key");
        context_value(v->token, sizeof(v->token), c, "session_token");
        context_value(v->region, sizeof(v->region), c, "region");
        context_value(v->service, sizeof(v->service), c, "service");
        context_value(ts, sizeof(ts), c, "timestamp");
        context_value(sb, sizeof(sb), c, "sign_body");
        free(c);
    }
    v->time = parse_time(ts);
    v->sign_body = strcmp(sb, "true") == 0;
    v->request = section(file, "request");
    v->canonical = section(file, "canonical-request");
    v->string_to_sign = section(file, "string-to-sign");
    v->signature = section(file, "signature");
    {
        char *sr = section(file, "signed-request");
        v->authorization = authorization_of(sr);
        free(sr);
    }
    free(ctx);
    free(file);
}

/* The upstream layout; false when shared/fixtures is absent. */
static bool load_shared(vector *v, const char *name)
{
    char rel[160];
    char *ctx_text, *sr;
    cJSON *ctx, *cred;

    memset(v, 0, sizeof(*v));
    snprintf(rel, sizeof(rel), "fixtures/sigv4/%s/context.json", name);
    if ((ctx_text = shared_read(rel, NULL)) == NULL)
        return false;
    ctx = cJSON_Parse(ctx_text);
    free(ctx_text);
    assert_non_null(ctx);
    cred = cJSON_GetObjectItem(ctx, "credentials");
    snprintf(v->ak, sizeof(v->ak), "%s", cJSON_GetStringValue(cJSON_GetObjectItem(cred, "access_key_id")));
    snprintf(v->sk, sizeof(v->sk), "%s", cJSON_GetStringValue(cJSON_GetObjectItem(cred, "secret_access_key")));
    if (cJSON_GetStringValue(cJSON_GetObjectItem(cred, "token")))
        snprintf(v->token, sizeof(v->token), "%s", cJSON_GetStringValue(cJSON_GetObjectItem(cred, "token")));
    snprintf(v->region, sizeof(v->region), "%s", cJSON_GetStringValue(cJSON_GetObjectItem(ctx, "region")));
    snprintf(v->service, sizeof(v->service), "%s", cJSON_GetStringValue(cJSON_GetObjectItem(ctx, "service")));
    v->time = parse_time(cJSON_GetStringValue(cJSON_GetObjectItem(ctx, "timestamp")));
    v->sign_body = cJSON_IsTrue(cJSON_GetObjectItem(ctx, "sign_body"));
    cJSON_Delete(ctx);
#define READ(field, file)                                                          \
    snprintf(rel, sizeof(rel), "fixtures/sigv4/%s/%s", name, file);               \
    assert_non_null(v->field = shared_read(rel, NULL));
    READ(request, "request.txt")
    READ(canonical, "header-canonical-request.txt")
    READ(string_to_sign, "header-string-to-sign.txt")
    READ(signature, "header-signature.txt")
#undef READ
    snprintf(rel, sizeof(rel), "fixtures/sigv4/%s/header-signed-request.txt", name);
    assert_non_null(sr = shared_read(rel, NULL));
    v->authorization = authorization_of(sr);
    free(sr);
    return true;
}

/* Splits request.txt into method, URL, header lines and body, then signs. */
static void check_vector(const vector *v, const char *name)
{
    char method[16], path[512], url[600], *lines[16], *req = dup_n(v->request, strlen(v->request));
    const char *host = NULL, *body = "";
    char *p = req, *nl;
    llmgw__sigv4_params prm;
    llmgw__sigv4_result r;
    size_t n = 0;

    assert_int_equal(sscanf(req, "%15s %511s", method, path), 2);
    p = strchr(p, '\n') + 1;
    while ((nl = strchr(p, '\n')) != NULL || *p) {
        if (nl)
            *nl = '\0';
        if (*p == '\0') {               /* blank line: the body follows */
            body = nl ? nl + 1 : "";
            break;
        }
        assert_true(n < 16);
        lines[n++] = p;
        if (strncasecmp(p, "host:", 5) == 0)
            host = p + 5;
        if (nl == NULL)
            break;
        p = nl + 1;
    }
    assert_non_null(host);
    snprintf(url, sizeof(url), "https://%s%s", host, path);
    memset(&prm, 0, sizeof(prm));
    prm.method = method;
    prm.url = url;
    prm.headers = (const char *const *)lines;
    prm.header_count = n;
    prm.body = body;
    prm.body_len = strlen(body);
    prm.access_key_id = v->ak;
    prm.secret_access_key = v->sk;
    prm.session_token = v->token[0] ? v->token : NULL;
    prm.region = v->region;
    prm.service = v->service;
    prm.unix_time = v->time;
    prm.sign_body = v->sign_body;
    if (llmgw__sigv4_sign(&r, &prm) != 0)
        fail_msg("%s: %s", name, llmgw_error_last()->message);
    if (strcmp(r.canonical_request.ptr, v->canonical) != 0)
        fail_msg("%s canonical request:\n%s\n--- expected:\n%s", name, r.canonical_request.ptr, v->canonical);
    assert_string_equal(r.string_to_sign.ptr, v->string_to_sign);
    assert_string_equal(r.signature, v->signature);
    assert_string_equal(r.authorization.ptr, v->authorization);
    llmgw__sigv4_result_dispose(&r);
    free(req);
}

static void test_project_vectors(void **state)
{
    size_t i;
    vector v;

    (void)state;
    for (i = 0; i < LLMGW_ARRAY_SIZE(cases); i++) {
        load_project(&v, cases[i]);
        check_vector(&v, cases[i]);
        vector_free(&v);
    }
}

static void test_shared_vectors(void **state)
{
    size_t i;
    vector v;

    (void)state;
    for (i = 0; i < LLMGW_ARRAY_SIZE(cases); i++) {
        if (!load_shared(&v, cases[i]))
            skip();
        check_vector(&v, cases[i]);
        vector_free(&v);
    }
}

static void sign_url(llmgw__sigv4_result *r, const char *url, const char *const *headers, size_t n)
{
    llmgw__sigv4_params p;

    memset(&p, 0, sizeof(p));
    p.method = "POST";
    p.url = url;
    p.headers = headers;
    p.header_count = n;
    p.body = "{}";
    p.body_len = 2;
    p.access_key_id = "AKIDEXAMPLE";
    p.secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    p.region = "us-east-1";
    p.service = "bedrock";
    p.unix_time = 1440938160;
    if (llmgw__sigv4_sign(r, &p) != 0)
        fail_msg("%s", llmgw_error_last()->message);
}

/* Trap 11: the path as sent is encoded once more; bedrock is the signing name. */
static void test_bedrock_double_encoding(void **state)
{
    llmgw__sigv4_result r;

    (void)state;
    sign_url(&r, "https://bedrock-runtime.us-east-1.amazonaws.com/model/us.anthropic.claude-3-5-sonnet-20241022-v2%3A0/converse",
             NULL, 0);
    assert_contains(r.canonical_request.ptr,
                    "POST\n/model/us.anthropic.claude-3-5-sonnet-20241022-v2%253A0/converse\n\n"
                    "host:bedrock-runtime.us-east-1.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
                    "host;x-amz-date\n44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
    assert_contains(r.string_to_sign.ptr, "20150830/us-east-1/bedrock/aws4_request");
    assert_contains(r.authorization.ptr, "Credential=AKIDEXAMPLE/20150830/us-east-1/bedrock/aws4_request");
    llmgw__sigv4_result_dispose(&r);

    /* an ARN: '/' and ':' both travel encoded, and are signed encoded twice */
    sign_url(&r, "https://h.example/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A1%3Ainference-profile%2Fus.x/converse",
             NULL, 0);
    assert_contains(r.canonical_request.ptr,
                    "/model/arn%253Aaws%253Abedrock%253Aus-east-1%253A1%253Ainference-profile%252Fus.x/converse\n");
    llmgw__sigv4_result_dispose(&r);
}

static void test_query_and_host(void **state)
{
    llmgw__sigv4_result r;

    (void)state;
    sign_url(&r, "https://h.example:443/p?b=2&a=1&a=0&c&sp=%20x+", NULL, 0);
    assert_contains(r.canonical_request.ptr, "POST\n/p\na=0&a=1&b=2&c=&sp=%20x%2B\nhost:h.example\n");
    llmgw__sigv4_result_dispose(&r);
    sign_url(&r, "http://127.0.0.1:8080", NULL, 0);
    assert_contains(r.canonical_request.ptr, "POST\n/\n\nhost:127.0.0.1:8080\n");
    llmgw__sigv4_result_dispose(&r);
    sign_url(&r, "http://localhost:80/x", NULL, 0);
    assert_contains(r.canonical_request.ptr, "\nhost:localhost\n");
    llmgw__sigv4_result_dispose(&r);
}

static void test_header_canonical_form(void **state)
{
    static const char *const h[] = { "X-Custom:  a   b\tc  ", "Host: given.example", "x-custom: second",
                                     "Authorization: Bearer never-signed", "Content-Type: application/json" };
    llmgw__sigv4_result r;

    (void)state;
    sign_url(&r, "https://other.example/", h, LLMGW_ARRAY_SIZE(h));
    assert_contains(r.canonical_request.ptr,
                    "content-type:application/json\nhost:given.example\nx-amz-date:20150830T123600Z\n"
                    "x-custom:a b c,second\n\ncontent-type;host;x-amz-date;x-custom\n");
    assert_null(strstr(r.canonical_request.ptr, "authorization"));
    llmgw__sigv4_result_dispose(&r);
}

static void test_bad_input(void **state)
{
    llmgw__sigv4_params p;
    llmgw__sigv4_result r;

    (void)state;
    memset(&p, 0, sizeof(p));
    p.method = "POST";
    p.url = "https://h/";
    p.access_key_id = "AK";
    p.secret_access_key = "SK";
    p.region = "us-east-1/../x";
    p.service = "bedrock";
    assert_int_equal(llmgw__sigv4_sign(&r, &p), LLMGW_EINVAL);
    p.region = "us-east-1";
    p.url = "no-scheme";
    assert_int_equal(llmgw__sigv4_sign(&r, &p), LLMGW_EINVAL);
    p.url = "https://h/";
    p.unix_time = -1;
    assert_int_equal(llmgw__sigv4_sign(&r, &p), LLMGW_EINVAL);
    p.unix_time = 0;
    p.secret_access_key = NULL;
    assert_int_equal(llmgw__sigv4_sign(&r, &p), LLMGW_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_project_vectors),
        cmocka_unit_test(test_shared_vectors),
        cmocka_unit_test(test_bedrock_double_encoding),
        cmocka_unit_test(test_query_and_host),
        cmocka_unit_test(test_header_canonical_form),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
