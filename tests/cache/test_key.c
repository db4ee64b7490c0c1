/*
 * tests/cache/test_key.c: the cache key (lib/cache/key.c). Deny by default:
 * a property test changes one random field of thousands of random requests
 * and the key must change; respelling a request (member order, whitespace,
 * number spelling, string escapes) must not change it. Then the LiteLLM
 * regressions by name, the excluded members, the scope and the credential.
 */
#include "unit.h"

#include <locale.h>
#include <math.h>

#include "cache/cache.h"
#include "core/buf.h"
#include "core/hash.h"
#include "core/request.h"
#include "keyhelp.h"
#include "reqgen.h"

static const unsigned char secret[33] = "0123456789abcdef0123456789abcdef";   /* 32 bytes + NUL */
static const char cred[] = "sk-SECRET-abcdef0123456789";

static llmgw__cache_scope scope(void)
{
    llmgw__cache_scope s = { "tenant-a", "smart", "openai|/v1/chat/completions|gpt-4o|", (const unsigned char *)cred,
                             sizeof(cred) - 1, secret, sizeof(secret) - 1 };
    return s;
}

static void test_canonical_form(void **state)
{
    char *c;

    (void)state;
    c = canon_text("{ \"b\" : 1, \"a\": {\"d\": [1, 2, {\"z\": null, \"y\": true}], \"c\": \"x\"},"
                   " \"model\": \"m\", \"messages\": [], \"\xc3\xa9\": false, \"B\": \"q\\\"\\n\\u0001/\"}");
    assert_string_equal(c, "{\"B\":\"q\\\"\\n\\u0001/\",\"a\":{\"c\":\"x\",\"d\":[1,2,{\"y\":true,\"z\":null}]},"
                           "\"b\":1,\"messages\":[],\"model\":\"m\",\"\xc3\xa9\":false}");
    free(c);
    /* duplicates: both kept, in their order, so which one a provider reads is in the key */
    c = canon_text("{\"a\":2,\"b\":0,\"a\":1}");
    assert_string_equal(c, "{\"a\":2,\"a\":1,\"b\":0}");
    free(c);
    assert_string_not_equal(keyhex_text("{\"a\":1,\"a\":2}"), keyhex_text("{\"a\":2,\"a\":1}"));
}

static void test_numbers(void **state)
{
    char *c;

    (void)state;
    c = canon_text("[1,1.0,1e0,10e-1,100E-2,-0,-0.0,0.1,1e-7,1e300,1e21,9007199254740993,9007199254740994,"
                   "-9007199254740992,123456789012345678,-2.5,1e999,-1e999,0.30000000000000004,1.5e-10]");
    assert_string_equal(c, "[1,1,1,1,1,0,0,0.1,1e-7,1e300,1e21,9007199254740992,9007199254740994,"
                           "-9007199254740992,1.2345678901234568e17,-2.5,1e999,-1e999,0.30000000000000004,"
                           "1.5e-10]");
    free(c);
    /* the same value written 1, 1.0, 1e0 ... is one key */
    assert_string_equal(keyhex_text("{\"t\":1}"), keyhex_text("{\"t\":1.0}"));
    assert_string_equal(keyhex_text("{\"t\":1}"), keyhex_text("{\"t\":1e0}"));
    assert_string_equal(keyhex_text("{\"t\":0}"), keyhex_text("{\"t\":-0.0}"));
    assert_string_not_equal(keyhex_text("{\"t\":1}"), keyhex_text("{\"t\":\"1\"}"));
    assert_string_not_equal(keyhex_text("{\"t\":0.7}"), keyhex_text("{\"t\":0.70000000000000007}"));
}

/* Canonical text is JSON, and canonical again as it is (idempotent). */
static void test_canonical_reparses(void **state)
{
    rng r = { 77 };
    int i;

    (void)state;
    for (i = 0; i < iterations(500); i++) {
        cJSON *body = gen_request(&r), *again;
        char *c1 = canon_of(body), *c2;
        again = cJSON_Parse(c1);
        assert_non_null(again);
        c2 = canon_of(again);
        assert_string_equal(c1, c2);
        free(c1);
        free(c2);
        cJSON_Delete(body);
        cJSON_Delete(again);
    }
}

static void test_number_locale(void **state)
{
    static const char *const names[] = { "de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "fr_FR.utf8", "ru_RU.UTF-8" };
    const char *got = NULL;
    char *c;
    size_t i;

    (void)state;
    for (i = 0; i < LLMGW_ARRAY_SIZE(names) && got == NULL; i++)
        got = setlocale(LC_NUMERIC, names[i]);
    if (got == NULL)
        skip();                 /* no comma locale installed: run with LOCPATH (see tests/cache/meson.build) */
    assert_int_equal(localeconv()->decimal_point[0], ',');
    c = canon_text("{\"t\":0.5,\"x\":[1.25e-9,-3.75,1e300,0.1]}");
    setlocale(LC_NUMERIC, "C");
    assert_string_equal(c, "{\"t\":0.5,\"x\":[1.25e-9,-3.75,1e300,0.1]}");
    free(c);
}

/* Any change to any field the key covers changes the key. */
static void test_property_mutations(void **state)
{
    static char keys[6000][LLMGW__CACHE_KEY_LEN + 1];
    rng r = { 20240611 };
    int i, n = iterations(6000), mutations = 0;

    (void)state;
    for (i = 0; i < n; i++) {
        cJSON *body = gen_request(&r);
        int m;
        key_of_body(keys[i], body);
        for (m = 0; m < 3; m++) {
            cJSON *changed = cJSON_Duplicate(body, 1);
            char k[LLMGW__CACHE_KEY_LEN + 1], what[160];
            assert_int_equal(mutate(changed, &r, what, sizeof(what)), 0);
            key_of_body(k, changed);
            if (strcmp(k, keys[i]) == 0) {
                char *a = canon_of(body), *b = canon_of(changed);
                fail_msg("request %d: %s did not change the key\n%s\n%s", i, what, a, b);
            }
            mutations++;
            cJSON_Delete(changed);
        }
        cJSON_Delete(body);
    }
    qsort(keys, (size_t)n, sizeof(keys[0]), (int (*)(const void *, const void *))strcmp);
    for (i = 1; i < n; i++)
        assert_string_not_equal(keys[i - 1], keys[i]);
    assert_true(mutations >= 3 * n);
}

/* Member order, whitespace, number spelling and string escapes never change it. */
static void test_property_respelling(void **state)
{
    rng r = { 99 };
    int i;

    (void)state;
    for (i = 0; i < iterations(3000); i++) {
        cJSON *body = gen_request(&r), *again;
        char k1[LLMGW__CACHE_KEY_LEN + 1], k2[LLMGW__CACHE_KEY_LEN + 1];
        char *text = respell(body, &r);
        again = cJSON_Parse(text);
        if (again == NULL)
            fail_msg("respelled text does not parse: %s", text);
        key_of_body(k1, body);
        key_of_body(k2, again);
        if (strcmp(k1, k2) != 0)
            fail_msg("respelling changed the key:\n%s\n%s\n%s", canon_of(body), canon_of(again), text);
        free(text);
        cJSON_Delete(body);
        cJSON_Delete(again);
    }
}

/* user, metadata, stream, stream_options (top level only) do not change it. */
static void test_excluded_members(void **state)
{
    static const char *const excl[] = { "user", "metadata", "stream", "stream_options" };
    rng r = { 5 };
    int i;

    (void)state;
    for (i = 0; i < iterations(500); i++) {
        cJSON *body = gen_request(&r), *changed = cJSON_Duplicate(body, 1), *nested;
        char k1[LLMGW__CACHE_KEY_LEN + 1], k2[LLMGW__CACHE_KEY_LEN + 1];
        const char *name = excl[rng_below(&r, 4)];
        key_of_body(k1, body);
        if (cJSON_GetObjectItemCaseSensitive(changed, name) == NULL)
            assert_true(cJSON_AddItemToObject(changed, name, gen_value(&r, 1)));
        else if (rng_below(&r, 2))
            cJSON_DeleteItemFromObjectCaseSensitive(changed, name);
        else
            assert_true(cJSON_ReplaceItemInObjectCaseSensitive(changed, name, gen_value(&r, 1)));
        key_of_body(k2, changed);
        assert_string_equal(k1, k2);
        /* the same name one level down is an ordinary member */
        nested = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(changed, "messages"), 0);
        cJSON_AddItemToObject(nested, name, cJSON_CreateString("x"));
        key_of_body(k2, changed);
        assert_string_not_equal(k1, k2);
        cJSON_Delete(body);
        cJSON_Delete(changed);
    }
}

/* LiteLLM #894 (max_tokens, logit_bias, seed), #3199 (model), #5049/#42400 (top_k, num_ctx), and the rest. */
static void test_named_fields(void **state)
{
    static const char *const variants[] = {
        "", "\"model\":\"gpt-4o-mini\"", "\"max_tokens\":100", "\"max_tokens\":101", "\"logit_bias\":{\"50256\":-100}",
        "\"logit_bias\":{\"50256\":-99}", "\"seed\":1", "\"seed\":2", "\"top_k\":40", "\"num_ctx\":8192",
        "\"options\":{\"num_ctx\":4096}", "\"temperature\":0.2", "\"temperature\":0.3", "\"top_p\":0.9",
        "\"stop\":\"END\"", "\"stop\":[\"END\"]", "\"n\":1", "\"presence_penalty\":0.5", "\"frequency_penalty\":0.5",
        "\"tool_choice\":\"auto\"", "\"tool_choice\":\"required\"",
        "\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"f\"}}",
        "\"response_format\":{\"type\":\"json_object\"}",
        "\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"a\",\"schema\":{}}}",
        "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"parameters\":{}}}]",
        "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"g\",\"parameters\":{}}}]",
        "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"description\":\"d\",\"parameters\":{}}}]",
        "\"reasoning_effort\":\"high\"", "\"service_tier\":\"flex\"", "\"prediction\":{\"type\":\"content\"}",
    };
    static const char *const messages[] = {
        "[{\"role\":\"user\",\"content\":\"hi\"}]", "[{\"role\":\"developer\",\"content\":\"hi\"}]",
        "[{\"role\":\"user\",\"content\":\"hi!\"}]",
        "[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"hi\"}]}]",
        "[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"u\"}}]}]",
        "[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"u\",\"detail\":\"low\"}}]}]",
        "[{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"assistant\",\"content\":\"yo\"}]",
        "[{\"role\":\"user\",\"content\":\"hi\",\"name\":\"bob\"}]",
    };
    char keys[LLMGW_ARRAY_SIZE(variants) + LLMGW_ARRAY_SIZE(messages)][LLMGW__CACHE_KEY_LEN + 1], text[512];
    size_t i, j, n = 0;

    (void)state;
    for (i = 0; i < LLMGW_ARRAY_SIZE(variants); i++) {
        snprintf(text, sizeof(text), "{\"model\":\"gpt-4o\",\"messages\":%s%s%s}", messages[0], *variants[i] ? "," : "",
                 variants[i]);
        if (strstr(variants[i], "\"model\"") != NULL)
            snprintf(text, sizeof(text), "{\"messages\":%s,%s}", messages[0], variants[i]);
        key_of_json(keys[n++], text, NULL);
    }
    for (i = 1; i < LLMGW_ARRAY_SIZE(messages); i++) {
        snprintf(text, sizeof(text), "{\"model\":\"gpt-4o\",\"messages\":%s}", messages[i]);
        key_of_json(keys[n++], text, NULL);
    }
    for (i = 0; i < n; i++)
        for (j = i + 1; j < n; j++)
            if (strcmp(keys[i], keys[j]) == 0)
                fail_msg("variants %zu and %zu share a key", i, j);
}

/* Namespace, group, deployments, credential, fingerprint secret, drop_params: each splits the key. */
static void test_scope(void **state)
{
    static const char other_cred[] = "sk-OTHER-abcdef0123456789";
    static const unsigned char other_secret[32] = "ffffffffffffffffffffffffffffffff";
    llmgw__cache_scope s[10];
    char keys[11][LLMGW__CACHE_KEY_LEN + 1], d1[LLMGW__CACHE_KEY_LEN + 1], d2[LLMGW__CACHE_KEY_LEN + 1];
    const char *req = "{\"model\":\"gemini-1.5-flash\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    size_t i, j;

    (void)state;
    for (i = 0; i < LLMGW_ARRAY_SIZE(s); i++)
        s[i] = scope();
    s[1].namespace_ = "tenant-b";
    s[2].namespace_ = "";
    s[3].namespace_ = NULL;
    s[4].group = "fast";
    s[5].deployments = "gemini|/v1beta/models/gemini-1.5-pro:generateContent|";    /* model in the URL path */
    s[6].deployments = "gemini|/v1beta/models/gemini-1.5-flash:generateContent|";
    s[7].credential_key = (const unsigned char *)other_cred;
    s[8].credential_key = NULL;
    s[8].credential_key_len = 0;
    s[9].fingerprint_secret = other_secret;
    for (i = 0; i < LLMGW_ARRAY_SIZE(s); i++)
        key_of_json(keys[i], req, &s[i]);
    key_of_json(keys[10], "{\"model\":\"gemini-1.5-flash\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
                          "\"drop_params\":true}", &s[0]);
    for (i = 0; i < LLMGW_ARRAY_SIZE(keys); i++)
        for (j = i + 1; j < LLMGW_ARRAY_SIZE(keys); j++)
            if (strcmp(keys[i], keys[j]) == 0)
                fail_msg("scopes %zu and %zu share a key", i, j);
    /* the same scope and request give the same key and digest, every time */
    key_of_json(d1, req, &s[0]);
    assert_string_equal(d1, keys[0]);
    digest_of_json(d1, req, &s[0]);
    digest_of_json(d2, req, &s[1]);
    assert_string_not_equal(d1, d2);
    assert_string_not_equal(d1, keys[0]);
    for (i = 0; i < LLMGW__CACHE_KEY_LEN; i++)
        assert_true((keys[0][i] >= '0' && keys[0][i] <= '9') || (keys[0][i] >= 'a' && keys[0][i] <= 'f'));
    assert_int_equal(strlen(keys[0]), LLMGW__CACHE_KEY_LEN);
}

/* The caller's extras and the stream switch are outside the key; drop_params is in it. */
static void test_from_json(void **state)
{
    char k1[LLMGW__CACHE_KEY_LEN + 1], k2[LLMGW__CACHE_KEY_LEN + 1];
    llmgw__cache_scope s = scope();

    (void)state;
    key_of_json(k1, "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", &s);
    key_of_json(k2, "{\"stream\":true,\"stream_options\":{\"include_usage\":true},\"model\":\"gpt-4o\","
                    "\"llmgw\":{\"customer\":\"c1\",\"tags\":[\"a\"],\"trace_id\":\"t\",\"metadata\":{\"k\":\"v\"}},"
                    "\"cache\":{\"ttl\":60,\"no-store\":true},\"user\":\"u1\",\"metadata\":{\"k\":\"v\"},"
                    "\"messages\":[{\"content\":\"hi\",\"role\":\"user\"}]}", &s);
    assert_string_equal(k1, k2);
}

static void test_credential_never_appears(void **state)
{
    const char *req = "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    llmgw__cache_scope s = scope();
    char key[LLMGW__CACHE_KEY_LEN + 1], digest[LLMGW__CACHE_KEY_LEN + 1], hashed[65], mac[65];
    unsigned char d[32];
    llmgw__cache_entry e;
    llmgw_buf entry = LLMGW_BUF_INIT;
    char *canon;

    (void)state;
    key_of_json(key, req, &s);
    digest_of_json(digest, req, &s);
    canon = canon_text(req);
    llmgw__sha256(cred, sizeof(cred) - 1, d);
    llmgw__hex(hashed, d, 32);
    llmgw__hmac_sha256(secret, sizeof(secret) - 1, cred, sizeof(cred) - 1, d);
    llmgw__hex(mac, d, 32);
    memset(&e, 0, sizeof(e));
    e.cost_nusd = -1;
    assert_int_equal(llmgw__buf_puts(&e.answer.text, "hello"), 0);
    assert_int_equal(llmgw__cache_entry_encode(&entry, &e, digest), 0);
    for (size_t i = 0; i < 4; i++) {
        const char *hay = i == 0 ? key : i == 1 ? digest : i == 2 ? canon : entry.ptr;
        assert_null(strstr(hay, cred));
        assert_null(strstr(hay, "SECRET"));
        assert_null(strstr(hay, hashed));
        assert_null(strstr(hay, mac));
        assert_null(strstr(hay, (const char *)secret));
    }
    free(canon);
    llmgw_buf_dispose(&entry);
    llmgw__cache_entry_dispose(&e);
}

/* No canonical form: NaN, a raw item, nesting past the limit. Not cached, not a crash. */
static void test_uncanonical(void **state)
{
    llmgw__cache_scope s = scope();
    char key[LLMGW__CACHE_KEY_LEN + 1];
    llmgw_request *req = NULL;
    llmgw_buf out = LLMGW_BUF_INIT;
    cJSON *deep;
    int i;

    (void)state;
    assert_int_equal(llmgw_request_new(&req, "m"), 0);
    cJSON_AddItemToObject(req->body, "x", cJSON_CreateNumber(NAN));
    assert_int_equal(llmgw__cache_key(key, NULL, req, &s), LLMGW_EINVAL);
    assert_string_equal(key, "");
    assert_int_equal(llmgw__buf_puts(&out, "kept"), 0);
    assert_int_equal(llmgw__cache_canonical(&out, req), LLMGW_EINVAL);
    assert_string_equal(out.ptr, "kept");
    cJSON_DeleteItemFromObjectCaseSensitive(req->body, "x");
    cJSON_AddItemToObject(req->body, "x", cJSON_CreateRaw("{}"));
    assert_int_equal(llmgw__cache_key(key, NULL, req, &s), LLMGW_EINVAL);
    cJSON_DeleteItemFromObjectCaseSensitive(req->body, "x");
    deep = cJSON_CreateArray();
    cJSON_AddItemToObject(req->body, "x", deep);
    for (i = 0; i < 300; i++) {
        cJSON *next = cJSON_CreateArray();
        cJSON_AddItemToArray(deep, next);
        deep = next;
    }
    assert_int_equal(llmgw__cache_key(key, NULL, req, &s), LLMGW_EINVAL);
    assert_int_equal(llmgw__cache_key(key, NULL, NULL, &s), LLMGW_EINVAL);
    assert_int_equal(llmgw__cache_key(key, NULL, req, NULL), LLMGW_EINVAL);
    s.credential_key = NULL;
    cJSON_DeleteItemFromObjectCaseSensitive(req->body, "x");
    assert_int_equal(llmgw__cache_key(key, NULL, req, &s), LLMGW_EINVAL);    /* length without data */
    llmgw_buf_dispose(&out);
    llmgw_request_free(req);
}

/* A large object sorts on the heap: every failed allocation is ENOMEM, with nothing leaked. */
static void test_oom(void **state)
{
    llmgw__cache_scope s = scope();
    char key[LLMGW__CACHE_KEY_LEN + 1];
    llmgw_request *req = NULL;
    unsigned long nth;
    char text[2048];
    size_t len, i;

    (void)state;
    len = (size_t)snprintf(text, sizeof(text), "{\"model\":\"m\",\"messages\":[],\"logit_bias\":{");
    for (i = 0; i < 40; i++)
        len += (size_t)snprintf(text + len, sizeof(text) - len, "%s\"%zu\":%zu", i ? "," : "", 1000 - i, i);
    snprintf(text + len, sizeof(text) - len, "}}");
    assert_int_equal(llmgw_request_from_json(&req, text, strlen(text)), 0);
    llmgw__alloc_fail_at(1, LLMGW__ALLOC_TRANSIENT);
    assert_int_equal(llmgw__cache_key(key, NULL, req, &s), LLMGW_ENOMEM);
    llmgw__alloc_fail_at(0, 0);
    for (nth = 1; nth < 20; nth++) {
        llmgw_buf out = LLMGW_BUF_INIT;
        int rc;
        llmgw__alloc_fail_at(nth, LLMGW__ALLOC_PERSISTENT);
        rc = llmgw__cache_canonical(&out, req);
        llmgw__alloc_fail_at(0, 0);
        assert_true(rc == 0 || rc == LLMGW_ENOMEM);
        llmgw_buf_dispose(&out);
    }
    s.credential_key = NULL;
    s.credential_key_len = 0;
    assert_int_equal(llmgw__cache_key(key, NULL, req, &s), 0);
    llmgw_request_free(req);
}

int main(void)
{
    const struct CMUnitTest t[] = {
        cmocka_unit_test(test_canonical_form),    cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_canonical_reparses), cmocka_unit_test(test_number_locale),
        cmocka_unit_test(test_property_mutations), cmocka_unit_test(test_property_respelling),
        cmocka_unit_test(test_excluded_members),  cmocka_unit_test(test_named_fields),
        cmocka_unit_test(test_scope),             cmocka_unit_test(test_from_json),
        cmocka_unit_test(test_credential_never_appears), cmocka_unit_test(test_uncanonical),
        cmocka_unit_test(test_oom),
    };
    return cmocka_run_group_tests(t, NULL, NULL);
}
