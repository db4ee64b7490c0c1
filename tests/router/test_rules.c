/*
 * Unit tests of lib/router/rules.c: every operator and combinator, on every
 * field kind; the Portkey dialect against the native one; invalid rules
 * rejected with the path of the bad part; the built-in classifier.
 */
#include "unit.h"

#include "core/json.h"
#include "core/request.h"
#include "router/route.h"
#include "router/rules.h"

static llmgw_request *make_request(const char *json)
{
    llmgw_request *req = NULL;

    if (llmgw_request_from_json(&req, json, strlen(json)) != 0)
        fail_msg("request: %s", llmgw_error_last()->message);
    return req;
}

static bool holds_in(int dialect, const char *cond, const llmgw_request *req)
{
    llmgw__rule *r = NULL;
    llmgw__facts f;
    cJSON *c = cJSON_Parse(cond);
    bool m;

    assert_non_null(c);
    if (llmgw__rule_compile(&r, "t", c, dialect, "target", "rule") != 0)
        fail_msg("compile %s: %s", cond, llmgw_error_last()->message);
    cJSON_Delete(c);
    llmgw__facts_init(&f, req, llmgw__estimate_input_tokens(req));
    m = llmgw__rule_matches(r, &f);
    llmgw__rule_free(r);
    return m;
}

static bool holds(const char *cond, const llmgw_request *req)
{
    return holds_in(LLMGW__RULES_NATIVE, cond, req);
}

static const char *REQ =
    "{\"model\":\"chat\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"look\"},"
    "{\"type\":\"image_url\",\"image_url\":{\"url\":\"https://x/y.png\"}}]}],\"max_tokens\":300,"
    "\"temperature\":0.2,\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}],"
    "\"llmgw\":{\"customer\":\"acme-corp\",\"tags\":[\"team-a\",\"beta\"],\"metadata\":{\"tier\":\"paid\"}}}";

static void test_string_fields(void **state)
{
    llmgw_request *req = make_request(REQ);

    (void)state;
    assert_true(holds("{\"customer\":\"acme-corp\"}", req));
    assert_true(holds("{\"customer\":{\"eq\":\"acme-corp\"}}", req));
    assert_false(holds("{\"customer\":{\"ne\":\"acme-corp\"}}", req));
    assert_true(holds("{\"customer\":{\"prefix\":\"acme\"}}", req));
    assert_false(holds("{\"customer\":{\"prefix\":\"corp\"}}", req));
    assert_true(holds("{\"customer\":{\"in\":[\"x\",\"acme-corp\"]}}", req));
    assert_false(holds("{\"customer\":{\"nin\":[\"x\",\"acme-corp\"]}}", req));
    assert_true(holds("{\"customer\":{\"exists\":true}}", req));
    assert_true(holds("{\"model\":\"chat\"}", req));
    assert_true(holds("{\"metadata.tier\":\"paid\"}", req));
    assert_false(holds("{\"metadata.tier\":\"free\"}", req));
    assert_true(holds("{\"metadata.region\":{\"exists\":false}}", req));
    assert_false(holds("{\"metadata.region\":\"eu\"}", req));        /* absent: eq is false */
    assert_true(holds("{\"metadata.region\":{\"ne\":\"eu\"}}", req));  /* absent: ne is true */
    llmgw_request_free(req);
}

static void test_tags(void **state)
{
    llmgw_request *req = make_request(REQ), *none = make_request("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}");

    (void)state;
    assert_true(holds("{\"tags\":\"beta\"}", req));
    assert_false(holds("{\"tags\":\"gamma\"}", req));
    assert_true(holds("{\"tags\":{\"in\":[\"gamma\",\"team-a\"]}}", req));
    assert_false(holds("{\"tags\":{\"nin\":[\"gamma\",\"team-a\"]}}", req));
    assert_true(holds("{\"tags\":{\"prefix\":\"team-\"}}", req));
    assert_true(holds("{\"tags\":{\"exists\":true}}", req));
    assert_true(holds("{\"tags\":{\"exists\":false}}", none));
    assert_false(holds("{\"tags\":\"beta\"}", none));
    llmgw_request_free(req);
    llmgw_request_free(none);
}

static void test_numbers_and_booleans(void **state)
{
    llmgw_request *req = make_request(REQ);

    (void)state;
    assert_true(holds("{\"max_tokens\":300}", req));
    assert_true(holds("{\"max_tokens\":{\"gte\":300}}", req));
    assert_false(holds("{\"max_tokens\":{\"gt\":300}}", req));
    assert_true(holds("{\"max_tokens\":{\"lte\":300}}", req));
    assert_false(holds("{\"max_tokens\":{\"lt\":300}}", req));
    assert_true(holds("{\"max_tokens\":{\"in\":[100,300]}}", req));
    assert_true(holds("{\"input_tokens\":{\"lt\":1000}}", req));
    assert_false(holds("{\"input_tokens\":{\"gte\":1000}}", req));
    assert_true(holds("{\"params.temperature\":{\"lt\":0.5}}", req));
    assert_false(holds("{\"params.temperature\":{\"gte\":0.5}}", req));
    assert_true(holds("{\"params.top_p\":{\"exists\":false}}", req));
    assert_true(holds("{\"has_images\":true}", req));
    assert_true(holds("{\"has_tools\":true}", req));
    assert_false(holds("{\"json_mode\":true}", req));
    assert_true(holds("{\"json_mode\":{\"ne\":true}}", req));
    llmgw_request_free(req);
}

static void test_combinators(void **state)
{
    llmgw_request *req = make_request(REQ);

    (void)state;
    assert_true(holds("{}", req));
    assert_true(holds("{\"all\":[{\"has_tools\":true},{\"metadata.tier\":\"paid\"}]}", req));
    assert_false(holds("{\"all\":[{\"has_tools\":true},{\"metadata.tier\":\"free\"}]}", req));
    assert_true(holds("{\"any\":[{\"json_mode\":true},{\"tags\":\"beta\"}]}", req));
    assert_false(holds("{\"any\":[{\"json_mode\":true},{\"tags\":\"gamma\"}]}", req));
    assert_true(holds("{\"not\":{\"customer\":\"other\"}}", req));
    assert_false(holds("{\"not\":{\"customer\":\"acme-corp\"}}", req));
    /* several members: all of them */
    assert_true(holds("{\"has_tools\":true,\"has_images\":true}", req));
    assert_false(holds("{\"has_tools\":true,\"json_mode\":true}", req));
    assert_true(holds("{\"any\":[{\"all\":[{\"not\":{\"has_tools\":true}}]},{\"not\":{\"not\":{\"tags\":\"beta\"}}}]}", req));
    llmgw_request_free(req);
}

/* Portkey's query shape compiles to the same decisions as the native one. */
static void test_portkey_equivalence(void **state)
{
    static const char *const pairs[][2] = {
        { "{\"metadata.tier\":{\"$eq\":\"paid\"}}", "{\"metadata.tier\":{\"eq\":\"paid\"}}" },
        { "{\"metadata.tier\":{\"$ne\":\"paid\"}}", "{\"metadata.tier\":{\"ne\":\"paid\"}}" },
        { "{\"metadata.tier\":{\"$in\":[\"a\",\"paid\"]}}", "{\"metadata.tier\":{\"in\":[\"a\",\"paid\"]}}" },
        { "{\"params.max_tokens\":{\"$gt\":100}}", "{\"max_tokens\":{\"gt\":100}}" },
        { "{\"params.max_tokens\":{\"$lt\":100}}", "{\"max_tokens\":{\"lt\":100}}" },
        { "{\"params.model\":{\"$eq\":\"chat\"}}", "{\"model\":\"chat\"}" },
        { "{\"$and\":[{\"metadata.tier\":{\"$eq\":\"paid\"}},{\"params.temperature\":{\"$lte\":0.2}}]}",
          "{\"all\":[{\"metadata.tier\":\"paid\"},{\"params.temperature\":{\"lte\":0.2}}]}" },
        { "{\"$or\":[{\"metadata.tier\":{\"$eq\":\"free\"}},{\"params.temperature\":{\"$gte\":0.5}}]}",
          "{\"any\":[{\"metadata.tier\":\"free\"},{\"params.temperature\":{\"gte\":0.5}}]}" },
        { "{\"metadata.tier\":{\"$nin\":[\"a\",\"paid\"]}}", "{\"metadata.tier\":{\"nin\":[\"a\",\"paid\"]}}" },
        { "{\"metadata.tier\":{\"$prefix\":\"pa\"}}", "{\"metadata.tier\":{\"prefix\":\"pa\"}}" },
        { "{\"metadata.tier\":{\"$exists\":true}}", "{\"metadata.tier\":{\"exists\":true}}" },
        { "{\"$not\":{\"metadata.tier\":\"paid\"}}", "{\"not\":{\"metadata.tier\":\"paid\"}}" },
        { "{\"metadata.tier\":{\"$regex\":\"^f.e+$\"}}", "{\"metadata.tier\":{\"regex\":\"^f.e+$\"}}" },
        { "{\"params.messages\":{\"$length\":{\"$lte\":1}}}", "{\"params.messages\":{\"length\":{\"lte\":1}}}" },
        { "{\"params.max_tokens\":{\"$gte\":50,\"$lt\":300}}", "{\"max_tokens\":{\"gte\":50,\"lt\":300}}" },
    };
    static const char *const requests[] = {
        "{\"model\":\"chat\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"max_tokens\":300,\"temperature\":0.2,"
        "\"llmgw\":{\"metadata\":{\"tier\":\"paid\"}}}",
        "{\"model\":\"other\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"max_tokens\":50,\"temperature\":0.9,"
        "\"llmgw\":{\"metadata\":{\"tier\":\"free\"}}}",
        "{\"model\":\"chat\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}",
    };
    size_t i, k;

    (void)state;
    for (k = 0; k < sizeof(requests) / sizeof(requests[0]); k++) {
        llmgw_request *req = make_request(requests[k]);
        for (i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++)
            if (holds_in(LLMGW__RULES_PORTKEY, pairs[i][0], req) != holds(pairs[i][1], req))
                fail_msg("request %zu: %s and %s disagree", k, pairs[i][0], pairs[i][1]);
        llmgw_request_free(req);
    }
}

static void test_invalid_rules_name_their_path(void **state)
{
    static const struct { const char *cond; const char *needle; } bad[] = {
        { "{\"customer\":{\"equals\":\"x\"}}", "rule.customer: unknown operator 'equals'" },
        { "{\"colour\":\"red\"}", "rule.colour: unknown field" },
        { "{\"all\":[{\"tags\":\"a\"},{\"max_tokens\":{\"gt\":\"ten\"}}]}", "rule.all[1].max_tokens" },
        { "{\"any\":[]}", "rule.any: takes a non-empty array" },
        { "{\"not\":[1]}", "rule.not" },
        { "{\"max_tokens\":\"many\"}", "rule.max_tokens: this field is a number" },
        { "{\"has_tools\":{\"gt\":1}}", "rule.has_tools" },
        { "{\"customer\":{\"in\":\"x\"}}", "in/nin take a non-empty array" },
        { "{\"customer\":{}}", "rule.customer: a comparison holds at least one operator" },
        { "{\"customer\":{\"regex\":\"(?=x)\"}}", "rule.customer: regex: lookaround" },
        { "{\"customer\":{\"regex\":5}}", "rule.customer: regex takes a pattern string" },
        { "{\"input_tokens\":{\"regex\":\"1\"}}", "rule.input_tokens: regex matches text fields only" },
        { "{\"customer\":{\"length\":2}}", "length applies to array parameters" },
        { "{\"params.messages\":{\"length\":\"two\"}}", "a length is a number" },
        { "{\"params.messages\":{\"length\":{\"length\":1}}}", "length inside length" },
        { "{\"params.messages\":{\"length\":{\"prefix\":\"a\"}}}", "rule.params.messages: a length is a number" },
        { "[]", "a condition is an object" },
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        llmgw__rule *r = NULL;
        cJSON *c = cJSON_Parse(bad[i].cond);
        assert_non_null(c);
        assert_int_equal(llmgw__rule_compile(&r, "t", c, LLMGW__RULES_NATIVE, "g", "rule"), LLMGW_EINVAL);
        assert_null(r);
        assert_contains(llmgw_error_last()->message, bad[i].needle);
        cJSON_Delete(c);
    }
    {
        /* a bad pattern deep in a Portkey query: the path down to it, and why */
        llmgw__rule *r = NULL;
        char pattern[1100], cond[1200];
        cJSON *c = cJSON_Parse("{\"$or\":[{\"metadata.x\":{\"$eq\":\"a\"}},{\"metadata.x\":{\"$regex\":\"(a)\\\\1\"}}]}");
        assert_non_null(c);
        assert_int_equal(llmgw__rule_compile(&r, "t", c, LLMGW__RULES_PORTKEY, "g", "conditions[0].query"),
                         LLMGW_EINVAL);
        assert_null(r);
        assert_contains(llmgw_error_last()->message,
                        "conditions[0].query.$or[1].metadata.x: regex: back-references are not supported");
        cJSON_Delete(c);
        /* the pattern length is capped */
        memset(pattern, 'a', 1025);
        pattern[1025] = '\0';
        snprintf(cond, sizeof(cond), "{\"metadata.x\":{\"$regex\":\"%s\"}}", pattern);
        c = cJSON_Parse(cond);
        assert_non_null(c);
        assert_int_equal(llmgw__rule_compile(&r, "t", c, LLMGW__RULES_PORTKEY, "g", "q"), LLMGW_EINVAL);
        assert_contains(llmgw_error_last()->message, "q.metadata.x: regex: the pattern is longer than 1024 bytes");
        cJSON_Delete(c);
        /* native operator names are not Portkey's */
        c = cJSON_Parse("{\"metadata.x\":{\"regex\":\"a\"}}");
        assert_int_equal(llmgw__rule_compile(&r, "t", c, LLMGW__RULES_PORTKEY, "g", "q"), LLMGW_EINVAL);
        assert_contains(llmgw_error_last()->message, "q.metadata.x: unknown operator 'regex'");
        cJSON_Delete(c);
    }
}

static void test_regex(void **state)
{
    llmgw_request *req = make_request(REQ);
    llmgw_request *bare = make_request("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}");

    (void)state;
    assert_true(holds("{\"customer\":{\"regex\":\"^acme-\"}}", req));
    assert_false(holds("{\"customer\":{\"regex\":\"^corp\"}}", req));
    assert_true(holds("{\"metadata.tier\":{\"regex\":\"^(paid|enterprise)$\"}}", req));
    assert_false(holds("{\"metadata.tier\":{\"regex\":\"^(free|trial)$\"}}", req));
    assert_true(holds("{\"model\":{\"regex\":\"^ch\"}}", req));
    assert_true(holds("{\"tags\":{\"regex\":\"^team-[a-z]$\"}}", req));      /* any tag */
    assert_false(holds("{\"tags\":{\"regex\":\"^team-[0-9]$\"}}", req));
    assert_true(holds_in(LLMGW__RULES_PORTKEY, "{\"metadata.tier\":{\"$regex\":\"ai\"}}", req));
    assert_true(holds_in(LLMGW__RULES_PORTKEY, "{\"url.pathname\":{\"$regex\":\"/chat/completions$\"}}", req));
    assert_false(holds_in(LLMGW__RULES_PORTKEY, "{\"url.pathname\":{\"$regex\":\"embeddings\"}}", req));
    /* absent values never match a pattern, not even one that matches everything */
    assert_false(holds("{\"metadata.region\":{\"regex\":\"\"}}", req));
    assert_false(holds("{\"customer\":{\"regex\":\".*\"}}", bare));
    assert_false(holds("{\"tags\":{\"regex\":\".*\"}}", bare));
    /* a number parameter is not text */
    assert_false(holds("{\"params.temperature\":{\"regex\":\"0\"}}", req));
    /* regex among the other operators on one field: all must hold */
    assert_true(holds("{\"customer\":{\"regex\":\"corp$\",\"prefix\":\"acme\"}}", req));
    assert_false(holds("{\"customer\":{\"regex\":\"corp$\",\"prefix\":\"beta\"}}", req));
    llmgw_request_free(req);
    llmgw_request_free(bare);
}

/* Portkey's $length on array parameters, several operators in one comparison, numbers in metadata. */
static void test_length_several_ops_and_numeric_metadata(void **state)
{
    llmgw_request *req = make_request(
        "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"a\"},{\"role\":\"assistant\","
        "\"content\":\"b\"},{\"role\":\"user\",\"content\":\"c\"}],\"stop\":\"x\",\"temperature\":0.7,"
        "\"llmgw\":{\"metadata\":{\"seats\":\"25\",\"score\":\"0.7\",\"name\":\"abc\"}}}");

    (void)state;
    assert_true(holds_in(LLMGW__RULES_PORTKEY, "{\"params.messages\":{\"$length\":3}}", req));
    assert_false(holds_in(LLMGW__RULES_PORTKEY, "{\"params.messages\":{\"$length\":2}}", req));
    assert_true(holds_in(LLMGW__RULES_PORTKEY, "{\"params.messages\":{\"$length\":{\"$gt\":2,\"$lte\":3}}}", req));
    assert_false(holds_in(LLMGW__RULES_PORTKEY, "{\"params.messages\":{\"$length\":{\"$gt\":3}}}", req));
    assert_true(holds("{\"params.messages\":{\"length\":{\"in\":[1,3]}}}", req));
    /* not an array (or absent): $length fails whatever the comparison, as in Portkey */
    assert_false(holds_in(LLMGW__RULES_PORTKEY, "{\"params.stop\":{\"$length\":{\"$ne\":5}}}", req));
    assert_false(holds_in(LLMGW__RULES_PORTKEY, "{\"params.tools\":{\"$length\":{\"$ne\":5}}}", req));
    /* several operators on one field: every one must hold */
    assert_true(holds_in(LLMGW__RULES_PORTKEY, "{\"params.temperature\":{\"$gt\":0.5,\"$lt\":0.8}}", req));
    assert_false(holds_in(LLMGW__RULES_PORTKEY, "{\"params.temperature\":{\"$gt\":0.5,\"$lt\":0.6}}", req));
    assert_false(holds("{\"params.temperature\":{\"gt\":0.7}}", req));
    /* metadata are strings: comparisons read them as numbers (parseFloat), equality stays strict */
    assert_true(holds_in(LLMGW__RULES_PORTKEY, "{\"metadata.seats\":{\"$gte\":25}}", req));
    assert_false(holds_in(LLMGW__RULES_PORTKEY, "{\"metadata.seats\":{\"$gt\":25}}", req));
    assert_true(holds_in(LLMGW__RULES_PORTKEY, "{\"metadata.seats\":{\"$lt\":100}}", req));
    assert_false(holds_in(LLMGW__RULES_PORTKEY, "{\"metadata.score\":{\"$gt\":0.7}}", req));  /* "0.7" is 0.7 */
    assert_true(holds_in(LLMGW__RULES_PORTKEY, "{\"metadata.score\":{\"$gte\":0.7}}", req));
    assert_false(holds_in(LLMGW__RULES_PORTKEY, "{\"metadata.name\":{\"$gt\":0}}", req));   /* NaN */
    assert_false(holds_in(LLMGW__RULES_PORTKEY, "{\"metadata.absent\":{\"$lt\":10}}", req));
    assert_false(holds_in(LLMGW__RULES_PORTKEY, "{\"metadata.seats\":{\"$eq\":25}}", req));  /* "25" !== 25 */
    assert_true(holds_in(LLMGW__RULES_PORTKEY, "{\"metadata.seats\":{\"$ne\":25}}", req));
    assert_true(holds_in(LLMGW__RULES_PORTKEY, "{\"metadata.seats\":\"25\"}", req));
    assert_true(holds_in(LLMGW__RULES_PORTKEY, "{\"url.pathname\":\"/v1/chat/completions\"}", req));
    llmgw_request_free(req);
}

static const char *RICH =
    "{\"$or\":[{\"metadata.tier\":{\"$regex\":\"^(gold|platinum)$\"}},"
    "{\"$and\":[{\"params.messages\":{\"$length\":{\"$gt\":0,\"$lt\":9}}},{\"metadata.seats\":{\"$gte\":10}},"
    "{\"tags\":{\"$regex\":\"^team-\"}},{\"url.pathname\":{\"$regex\":\"chat\"}},{\"customer\":{\"$in\":[\"a\",\"b\"]}},"
    "{\"$not\":{\"params.temperature\":{\"$gte\":1.5}}}]}]}";

/* Evaluating allocates nothing, whatever the operators (the hot path). */
static void test_evaluation_allocates_nothing(void **state)
{
    llmgw_request *req = make_request(
        "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"temperature\":0.3,"
        "\"llmgw\":{\"customer\":\"b\",\"tags\":[\"team-x\"],\"metadata\":{\"tier\":\"silver\",\"seats\":\"12\"}}}");
    llmgw__rule *r = NULL;
    llmgw__facts f;
    cJSON *c = cJSON_Parse(RICH);
    int i, matches = 0;

    (void)state;
    assert_non_null(c);
    assert_int_equal(llmgw__rule_compile(&r, "t", c, LLMGW__RULES_PORTKEY, "g", "q"), 0);
    cJSON_Delete(c);
    llmgw__alloc_fail_at(0, LLMGW__ALLOC_TRANSIENT);     /* resets the counter */
    for (i = 0; i < 100; i++) {
        llmgw__facts_init(&f, req, llmgw__estimate_input_tokens(req));
        matches += llmgw__rule_matches(r, &f);
    }
    assert_int_equal(llmgw__alloc_count(), 0);
    assert_int_equal(matches, 100);
    llmgw__rule_free(r);
    llmgw_request_free(req);
}

/* Every allocation of compiling is checked: each one failing gives LLMGW_ENOMEM and leaks nothing. */
static void test_compile_out_of_memory(void **state)
{
    cJSON *c = cJSON_Parse(RICH);
    unsigned long n, total;
    llmgw__rule *r = NULL;
    long live;

    (void)state;
    assert_non_null(c);
    llmgw__alloc_fail_at(0, LLMGW__ALLOC_TRANSIENT);
    live = llmgw__alloc_live();
    assert_int_equal(llmgw__rule_compile(&r, "t", c, LLMGW__RULES_PORTKEY, "g", "q"), 0);
    total = llmgw__alloc_count();
    llmgw__rule_free(r);
    assert_true(total > 10);
    for (n = 1; n <= total; n++) {
        llmgw__alloc_fail_at(n, LLMGW__ALLOC_TRANSIENT);
        r = NULL;
        assert_int_equal(llmgw__rule_compile(&r, "t", c, LLMGW__RULES_PORTKEY, "g", "q"), LLMGW_ENOMEM);
        assert_null(r);
        assert_int_equal(llmgw__alloc_live(), live);
    }
    llmgw__alloc_fail_at(0, LLMGW__ALLOC_TRANSIENT);
    cJSON_Delete(c);
}

static void test_builtin_classifier(void **state)
{
    char big[20000];
    llmgw__facts f;
    llmgw_request *simple = make_request("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
    llmgw_request *code = make_request("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":"
                                       "\"fix this\\n```c\\nint main(){}\\n```\"}],\"tools\":[{\"type\":\"function\","
                                       "\"function\":{\"name\":\"run\"}}]}");
    llmgw_request *lng;

    (void)state;
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(llmgw_request_new(&lng, "m"), 0);
    assert_int_equal(llmgw_request_add_message(lng, LLMGW_ROLE_USER, big), 0);
    llmgw__facts_init(&f, simple, llmgw__estimate_input_tokens(simple));
    assert_false(llmgw__classify_complex(&f));
    llmgw__facts_init(&f, code, llmgw__estimate_input_tokens(code));
    assert_true(llmgw__classify_complex(&f));
    llmgw__facts_init(&f, lng, llmgw__estimate_input_tokens(lng));
    assert_true(llmgw__classify_complex(&f));
    llmgw_request_free(simple);
    llmgw_request_free(code);
    llmgw_request_free(lng);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_string_fields),
        cmocka_unit_test(test_tags),
        cmocka_unit_test(test_numbers_and_booleans),
        cmocka_unit_test(test_combinators),
        cmocka_unit_test(test_portkey_equivalence),
        cmocka_unit_test(test_invalid_rules_name_their_path),
        cmocka_unit_test(test_regex),
        cmocka_unit_test(test_length_several_ops_and_numeric_metadata),
        cmocka_unit_test(test_evaluation_allocates_nothing),
        cmocka_unit_test(test_compile_out_of_memory),
        cmocka_unit_test(test_builtin_classifier),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
