/*
 * tests/core/test_json.c: JSON parsing with llmgw's limits (docs/resilience.md
 * §d.6, §d.7), token counts, the public llmgw_json_* view, and numbers under a
 * comma-decimal locale (STYLE.md §14.6).
 */
#include "unit.h"

#include <locale.h>

#include "core/buf.h"
#include "core/json.h"
#include "core/request.h"

static char *nested(size_t depth, char open, char close, const char *inner)
{
    size_t n = strlen(inner), i;
    char *s = malloc(2 * depth + n + 1);

    assert_non_null(s);
    for (i = 0; i < depth; i++)
        s[i] = open;
    memcpy(s + depth, inner, n);
    for (i = 0; i < depth; i++)
        s[depth + n + i] = close;
    s[2 * depth + n] = '\0';
    return s;
}

static void test_depth_limit(void **state)
{
    llmgw_json *j = NULL;
    char *s;
    llmgw_buf b = LLMGW_BUF_INIT;
    size_t i;

    (void)state;
    s = nested(64, '[', ']', "1");
    assert_int_equal(llmgw_json_parse(&j, s, strlen(s)), 0);
    assert_int_equal(llmgw_json_type(j), LLMGW_JSON_ARRAY);
    llmgw_json_free(j);
    free(s);

    s = nested(65, '[', ']', "1");
    assert_fails_with(llmgw_json_parse(&j, s, strlen(s)), LLMGW_EINVAL, "nested deeper than 64");
    assert_null(j);
    free(s);

    /* objects count too, mixed with arrays */
    assert_int_equal(llmgw__buf_puts(&b, "[1,"), 0);
    for (i = 1; i < 64; i++)
        assert_int_equal(llmgw__buf_puts(&b, "{\"k\":"), 0);
    assert_int_equal(llmgw__buf_puts(&b, "0"), 0);
    for (i = 1; i < 64; i++)
        assert_int_equal(llmgw__buf_putc(&b, '}'), 0);
    assert_int_equal(llmgw__buf_putc(&b, ']'), 0);
    assert_int_equal(llmgw_json_parse(&j, b.ptr, b.size), 0);
    llmgw_json_free(j);
    llmgw__buf_clear(&b);
    assert_int_equal(llmgw__buf_puts(&b, "{\"a\":"), 0);
    s = nested(64, '[', ']', "");
    assert_int_equal(llmgw__buf_puts(&b, s), 0);
    assert_int_equal(llmgw__buf_putc(&b, '}'), 0);
    free(s);
    assert_fails_with(llmgw_json_parse(&j, b.ptr, b.size), LLMGW_EINVAL, "nested deeper than 64");

    /* brackets inside strings, escaped quotes included, do not count */
    llmgw__buf_clear(&b);
    assert_int_equal(llmgw__buf_puts(&b, "[\"\\\""), 0);
    s = nested(100, '[', '{', "");
    assert_int_equal(llmgw__buf_puts(&b, s), 0);
    assert_int_equal(llmgw__buf_puts(&b, "\"]"), 0);
    free(s);
    assert_int_equal(llmgw_json_parse(&j, b.ptr, b.size), 0);
    assert_int_equal(strlen(llmgw_json_string(llmgw_json_at(j, 0))), 201);
    llmgw_json_free(j);

    /* siblings are not depth: 10 000 arrays side by side */
    llmgw__buf_clear(&b);
    assert_int_equal(llmgw__buf_putc(&b, '['), 0);
    for (i = 0; i < 10000; i++)
        assert_int_equal(llmgw__buf_puts(&b, i ? ",[]" : "[]"), 0);
    assert_int_equal(llmgw__buf_putc(&b, ']'), 0);
    assert_int_equal(llmgw_json_parse(&j, b.ptr, b.size), 0);
    assert_int_equal(llmgw_json_size(j), 10000);
    llmgw_json_free(j);
    llmgw_buf_dispose(&b);
}

static void test_trailing_data(void **state)
{
    static const char *const bad[] = { "{} x", "{}{}", "1 2", "[1]]", "\"a\"b", "{}\n,",
                                       "null null", "true false" };
    static const char *const good[] = { "{}", "  {} \t\r\n", "\n[1, 2]\n", "0", "\"s\"", "null" };
    static const char nul_then_garbage[] = "{}\0garbage";
    llmgw_json *j = NULL;
    size_t i;

    (void)state;
    for (i = 0; i < LLMGW_ARRAY_SIZE(bad); i++) {
        int rc = llmgw_json_parse(&j, bad[i], strlen(bad[i]));
        if (rc != LLMGW_EINVAL)
            fail_msg("\"%s\" accepted", bad[i]);
        assert_null(j);
    }
    assert_fails_with(llmgw_json_parse(&j, "{} x", 4), LLMGW_EINVAL, "trailing data after JSON value at byte 3");
    /* a NUL is not the end of the input: len is */
    assert_fails_with(llmgw_json_parse(&j, nul_then_garbage, sizeof(nul_then_garbage) - 1),
                      LLMGW_EINVAL, "NUL byte at byte 2 of 10");
    for (i = 0; i < LLMGW_ARRAY_SIZE(good); i++) {
        assert_int_equal(llmgw_json_parse(&j, good[i], strlen(good[i])), 0);
        llmgw_json_free(j);
    }
}

static void test_invalid_and_args(void **state)
{
    llmgw_json *j = (llmgw_json *)(uintptr_t)1;

    (void)state;
    assert_fails_with(llmgw_json_parse(NULL, "{}", 2), LLMGW_EINVAL, "'out' is NULL");
    assert_fails_with(llmgw_json_parse(&j, NULL, 2), LLMGW_EINVAL, "'data' is NULL");
    assert_null(j);
    assert_fails_with(llmgw_json_parse(&j, "{}", 0), LLMGW_EINVAL, "empty JSON");
    assert_fails_with(llmgw_json_parse(&j, "{\"a\":", 5), LLMGW_EINVAL, "invalid JSON");
    assert_int_equal(llmgw_error_last()->error_class, LLMGW_ERRCLASS_BAD_REQUEST);
    assert_fails_with(llmgw_json_parse(&j, "[1,]", 4), LLMGW_EINVAL, "invalid JSON");
    assert_fails_with(llmgw_json_parse(&j, "NaN", 3), LLMGW_EINVAL, "invalid JSON");
    assert_fails_with(llmgw_json_parse(&j, "{'a':1}", 7), LLMGW_EINVAL, "invalid JSON");
    /* a prefix of a valid document is not a document */
    assert_fails_with(llmgw_json_parse(&j, "{\"a\":[1,2]}", 10), LLMGW_EINVAL, "invalid JSON");
    assert_fails_with(llmgw_json_parse(&j, "\"abc\"", 4), LLMGW_EINVAL, "invalid JSON");
    /* the internal parser takes the class the caller wants */
    assert_null(llmgw__json_parse("{", 1, LLMGW_ERRCLASS_SERVER_ERROR));
    assert_int_equal(llmgw_error_last()->error_class, LLMGW_ERRCLASS_SERVER_ERROR);
}

/* Parsing never reads past len: the buffers below end exactly there (ASan, valgrind). */
static void test_not_nul_terminated(void **state)
{
    static const char *const docs[] = { "12345", "-1.5e3", "\"abc\"", "true", "false", "null",
                                        "[1,2]", "{\"a\":{\"b\":[0.25]}}", "\"\\u00e9\"" };
    static const char *const truncated[] = { "\"ab", "tru", "[1,2", "{\"a\":", "\"\\u00e" };
    llmgw_json *j = NULL;
    size_t i;

    (void)state;
    for (i = 0; i < LLMGW_ARRAY_SIZE(docs); i++) {
        size_t n = strlen(docs[i]);
        char *p = unit_exact_copy(docs[i], n);
        assert_int_equal(llmgw_json_parse(&j, p, n), 0);
        llmgw_json_free(j);
        free(p);
    }
    for (i = 0; i < LLMGW_ARRAY_SIZE(truncated); i++) {
        size_t n = strlen(truncated[i]);
        char *p = unit_exact_copy(truncated[i], n);
        assert_int_equal(llmgw_json_parse(&j, p, n), LLMGW_EINVAL);
        free(p);
    }
    {
        /* a number cut by len, with more digits in memory after it */
        llmgw_json *k = NULL;
        double v = 0;
        assert_int_equal(llmgw_json_parse(&k, "1234567", 4), 0);
        assert_int_equal(llmgw_json_number(k, &v), 0);
        assert_true(v == 1234.0);
        llmgw_json_free(k);
    }
}

static int token_count_of(const char *doc, uint64_t *out)
{
    llmgw_json *j = NULL;
    int rc;

    assert_int_equal(llmgw_json_parse(&j, doc, strlen(doc)), 0);
    rc = llmgw_json_token_count(j, out);
    llmgw_json_free(j);
    return rc;
}

static void test_token_counts(void **state)
{
    static const struct { const char *doc; uint64_t want; } ok[] = {
        { "0", 0 }, { "1", 1 }, { "1099511627775", 1099511627775ull }, { "-0", 0 },
        { "1e3", 1000 }, { "12.0", 12 },
    };
    static const char *const bad[] = {
        "-1", "1.5", "1e308", "1e400", "-1e400", "1099511627776", "1099511627776.0", "2e12",
        "\"5\"", "null", "true", "[]", "{}", "0.0000001", "-0.5",
    };
    uint64_t v;
    size_t i;

    (void)state;
    for (i = 0; i < LLMGW_ARRAY_SIZE(ok); i++) {
        v = 777;
        if (token_count_of(ok[i].doc, &v) != 0 || v != ok[i].want)
            fail_msg("\"%s\" -> %llu", ok[i].doc, (unsigned long long)v);
    }
    for (i = 0; i < LLMGW_ARRAY_SIZE(bad); i++) {
        v = 777;
        if (token_count_of(bad[i], &v) != LLMGW_EINVAL)
            fail_msg("\"%s\" accepted as a token count", bad[i]);
        assert_int_equal(v, 777);                     /* untouched on failure */
    }
    assert_int_equal(llmgw_json_token_count(NULL, &v), LLMGW_EINVAL);
    assert_fails_with(llmgw_json_token_count(NULL, NULL), LLMGW_EINVAL, "'out' is NULL");
}

static void test_view_api(void **state)
{
    static const char doc[] =
        "{\"a\":[1,\"x\",true,false,null,{\"k\":\"v\"}],\"b\":2.5,\"usage\":1,\"usage\":2,\"s\":\"caf\\u00e9\"}";
    llmgw_json *j = NULL;
    const llmgw_json *a, *m;
    double d = 0;
    llmgw_buf b = LLMGW_BUF_INIT;

    (void)state;
    assert_int_equal(llmgw_json_parse(&j, doc, strlen(doc)), 0);
    assert_int_equal(llmgw_json_type(j), LLMGW_JSON_OBJECT);
    assert_int_equal(llmgw_json_size(j), 5);
    a = llmgw_json_get(j, "a");
    assert_int_equal(llmgw_json_type(a), LLMGW_JSON_ARRAY);
    assert_int_equal(llmgw_json_size(a), 6);
    assert_int_equal(llmgw_json_type(llmgw_json_at(a, 0)), LLMGW_JSON_NUMBER);
    assert_int_equal(llmgw_json_type(llmgw_json_at(a, 1)), LLMGW_JSON_STRING);
    assert_int_equal(llmgw_json_type(llmgw_json_at(a, 2)), LLMGW_JSON_TRUE);
    assert_int_equal(llmgw_json_type(llmgw_json_at(a, 3)), LLMGW_JSON_FALSE);
    assert_int_equal(llmgw_json_type(llmgw_json_at(a, 4)), LLMGW_JSON_NULL);
    assert_int_equal(llmgw_json_type(llmgw_json_at(a, 5)), LLMGW_JSON_OBJECT);
    assert_null(llmgw_json_at(a, 6));
    assert_null(llmgw_json_at(a, SIZE_MAX));
    assert_string_equal(llmgw_json_string(llmgw_json_at(a, 1)), "x");
    assert_null(llmgw_json_string(llmgw_json_at(a, 0)));
    assert_null(llmgw_json_key(llmgw_json_at(a, 1)));              /* array element: no key */
    assert_string_equal(llmgw_json_string(llmgw_json_get(llmgw_json_at(a, 5), "k")), "v");
    assert_null(llmgw_json_get(a, "k"));                           /* not an object */
    assert_null(llmgw_json_get(j, "missing"));
    assert_null(llmgw_json_get(j, NULL));
    assert_null(llmgw_json_get(j, "A"));                           /* case-sensitive */

    /* members in order, with their keys */
    m = llmgw_json_at(j, 1);
    assert_string_equal(llmgw_json_key(m), "b");
    assert_int_equal(llmgw_json_number(m, &d), 0);
    assert_true(d == 2.5);
    assert_int_equal(llmgw_json_number(llmgw_json_get(j, "a"), &d), LLMGW_EINVAL);
    assert_true(d == 2.5);
    /* duplicate keys: the first wins, for every reader alike */
    assert_int_equal(llmgw_json_number(llmgw_json_get(j, "usage"), &d), 0);
    assert_true(d == 1.0);
    assert_string_equal(llmgw_json_string(llmgw_json_get(j, "s")), "caf\xC3\xA9");

    /* NULL-safe getters */
    assert_int_equal(llmgw_json_type(NULL), LLMGW_JSON_INVALID);
    assert_int_equal(llmgw_json_size(NULL), 0);
    assert_int_equal(llmgw_json_size(llmgw_json_at(a, 0)), 0);
    assert_null(llmgw_json_at(NULL, 0));
    assert_null(llmgw_json_get(NULL, "a"));
    assert_null(llmgw_json_key(NULL));
    assert_null(llmgw_json_string(NULL));
    assert_int_equal(llmgw_json_number(NULL, &d), LLMGW_EINVAL);

    /* compact printing, appended to the buffer */
    assert_int_equal(llmgw__buf_puts(&b, ">"), 0);
    assert_int_equal(llmgw_json_print(&b, llmgw_json_at(a, 5)), 0);
    assert_string_equal(b.ptr, ">{\"k\":\"v\"}");
    llmgw__buf_clear(&b);
    assert_int_equal(llmgw_json_print(&b, j), 0);
    assert_string_equal(b.ptr,
        "{\"a\":[1,\"x\",true,false,null,{\"k\":\"v\"}],\"b\":2.5,\"usage\":1,\"usage\":2,\"s\":\"caf\xC3\xA9\"}");
    assert_int_equal(llmgw_json_print(NULL, j), LLMGW_EINVAL);
    assert_int_equal(llmgw_json_print(&b, NULL), LLMGW_EINVAL);
    llmgw_buf_dispose(&b);
    llmgw_json_free(j);
    llmgw_json_free(NULL);
}

static void test_internal_helpers(void **state)
{
    cJSON *o = cJSON_CreateObject();
    int64_t v = 0;
    uint64_t t = 0;
    llmgw_buf b = LLMGW_BUF_INIT;

    (void)state;
    assert_int_equal(llmgw__json_add_str(o, "s", "x"), 0);
    assert_int_equal(llmgw__json_add_num(o, "n", 42), 0);
    assert_int_equal(llmgw__json_add_bool(o, "b", true), 0);
    assert_int_equal(llmgw__json_set_item(o, "s", cJSON_CreateString("y")), 0);
    assert_int_equal(llmgw__json_set_item(o, "t", cJSON_CreateNull()), 0);
    assert_int_equal(llmgw__json_add_item(o, "z", NULL), LLMGW_ENOMEM);
    assert_int_equal(llmgw__json_print(&b, o), 0);
    assert_string_equal(b.ptr, "{\"s\":\"y\",\"n\":42,\"b\":true,\"t\":null}");
    assert_string_equal(llmgw__json_str(o, "s"), "y");
    assert_null(llmgw__json_str(o, "n"));
    assert_null(llmgw__json_str(NULL, "n"));
    assert_int_equal(llmgw__json_int64(cJSON_GetObjectItem(o, "n"), &v), 0);
    assert_int_equal(v, 42);
    assert_int_equal(llmgw__json_int64(cJSON_GetObjectItem(o, "s"), &v), LLMGW_EINVAL);
    assert_int_equal(llmgw__json_int64(NULL, &v), LLMGW_EINVAL);
    assert_int_equal(llmgw__json_token_count(cJSON_GetObjectItem(o, "n"), &t), 0);
    assert_int_equal(t, 42);
    cJSON_Delete(o);
    o = cJSON_CreateNumber(1e300);
    assert_int_equal(llmgw__json_int64(o, &v), LLMGW_EINVAL);
    cJSON_Delete(o);
    o = cJSON_CreateNumber(-9007199254740992.0);
    assert_int_equal(llmgw__json_int64(o, &v), 0);
    assert_true(v == -9007199254740992LL);
    cJSON_Delete(o);
    llmgw_buf_dispose(&b);
}

/* STYLE.md §14.6: a host in a comma-decimal locale still gets '.' in JSON. */
static void test_comma_locale_round_trip(void **state)
{
    static const char doc[] = "{\"t\":0.5,\"p\":0.125,\"n\":-1.25e-3,\"i\":3}";
    char *old = NULL;
    const char *prev;
    llmgw_json *j = NULL;
    llmgw_request *req = NULL;
    llmgw_buf b = LLMGW_BUF_INIT;
    double d = 0;

    (void)state;
    prev = setlocale(LC_NUMERIC, NULL);
    old = prev ? strdup(prev) : NULL;
    if (setlocale(LC_NUMERIC, "de_DE.UTF-8") == NULL) {
        print_message("locale de_DE.UTF-8 is not installed: comma-decimal round trip skipped\n");
        free(old);
        skip();
    }
    assert_string_equal(localeconv()->decimal_point, ",");
    assert_int_equal(llmgw_json_parse(&j, doc, strlen(doc)), 0);
    assert_int_equal(llmgw_json_number(llmgw_json_get(j, "t"), &d), 0);
    assert_true(d == 0.5);
    assert_int_equal(llmgw_json_number(llmgw_json_get(j, "n"), &d), 0);
    assert_true(d == -1.25e-3);
    assert_int_equal(llmgw_json_print(&b, j), 0);
    assert_string_equal(b.ptr, "{\"t\":0.5,\"p\":0.125,\"n\":-0.00125,\"i\":3}");
    llmgw_json_free(j);

    llmgw__buf_clear(&b);
    assert_int_equal(llmgw_request_new(&req, "m"), 0);
    assert_int_equal(llmgw_request_set_temperature(req, 0.7), 0);
    assert_int_equal(llmgw_request_set_top_p(req, 0.25), 0);
    assert_int_equal(llmgw_request_to_json(&b, req), 0);
    assert_string_equal(b.ptr, "{\"model\":\"m\",\"messages\":[],\"temperature\":0.7,\"top_p\":0.25}");
    llmgw_request_free(req);
    req = NULL;
    assert_int_equal(llmgw_request_from_json(&req, b.ptr, b.size), 0);
    llmgw__buf_clear(&b);
    assert_int_equal(llmgw_request_to_json(&b, req), 0);
    assert_string_equal(b.ptr, "{\"model\":\"m\",\"messages\":[],\"temperature\":0.7,\"top_p\":0.25}");
    llmgw_request_free(req);
    llmgw_buf_dispose(&b);
    setlocale(LC_NUMERIC, old ? old : "C");
    free(old);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_depth_limit),
        cmocka_unit_test(test_trailing_data),
        cmocka_unit_test(test_invalid_and_args),
        cmocka_unit_test(test_not_nul_terminated),
        cmocka_unit_test(test_token_counts),
        cmocka_unit_test(test_view_api),
        cmocka_unit_test(test_internal_helpers),
        cmocka_unit_test(test_comma_locale_round_trip),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
