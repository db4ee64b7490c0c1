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
        { "{\"customer\":{\"eq\":\"a\",\"ne\":\"b\"}}", "exactly one operator" },
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
        llmgw__rule *r = NULL;
        cJSON *c = cJSON_Parse("{\"metadata.x\":{\"$regex\":\"a.*\"}}");
        assert_int_equal(llmgw__rule_compile(&r, "t", c, LLMGW__RULES_PORTKEY, "g", "conditions[0].query"),
                         LLMGW_EINVAL);
        assert_contains(llmgw_error_last()->message, "conditions[0].query.metadata.x: $regex is not supported");
        cJSON_Delete(c);
    }
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
        cmocka_unit_test(test_builtin_classifier),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
