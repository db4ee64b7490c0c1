/*
 * Integration: dynamic routing over loopback HTTP: by customer tier, tag,
 * input size and modality to different mock deployments; the classifier
 * hook; the built-in classifier; tag routing of deployments. The route
 * taken is in the usage record.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "itest.h"

static void add_tagged(itest *t, const char *group, const char *lane, const char *model, const char *const *tags,
                       size_t ntags)
{
    llmgw_deployment_options d;
    char base[256], full[128];

    snprintf(base, sizeof(base), "%s/lane/%s/v1", mock_server_base_url(t->srv), lane);
    snprintf(full, sizeof(full), "openai/%s", model);
    llmgw_deployment_options_init(&d, LLMGW_DEPLOYMENT_OPTIONS_VERSION);
    d.group = group;
    d.model = full;
    d.api_base = base;
    d.api_key = TEST_KEY;
    d.tags = tags;
    d.tag_count = ntags;
    if (llmgw_gateway_add_deployment(t->gw, &d) != 0)
        fail_msg("%s", llmgw_error_last()->message);
}

/* Send a request body; return the model that answered and the rule that routed it. */
static void route(itest *t, const char *body, char *model, char *rule)
{
    llmgw_request *req = NULL;
    llmgw_response *r = NULL;

    if (llmgw_request_from_json(&req, body, strlen(body)) != 0)
        fail_msg("%s", llmgw_error_last()->message);
    if (llmgw_complete(t->gw, req, &r) != 0)
        fail_msg("%s", llmgw_error_last()->message);
    snprintf(model, 64, "%s", llmgw_response_model(r));
    snprintf(rule, 64, "%s", llmgw_response_usage(r)->route_rule ? llmgw_response_usage(r)->route_rule : "");
    llmgw_response_free(r);
    llmgw_request_free(req);
}

static void start(itest *t)
{
    itest_start(t, NULL);
    itest_add(t, "cheap", "cheap", "gpt-cheap");
    itest_add(t, "smart", "smart", "gpt-smart");
    itest_add(t, "vision", "vision", "gpt-vision");
    itest_add(t, "long", "long", "gpt-long");
}

static void test_rules_route_by_tier_tag_size_modality(void **state)
{
    itest t;
    char model[64], rule[64], body[40000], big[30000];

    (void)state;
    start(&t);
    assert_int_equal(llmgw_gateway_add_rule(t.gw, "vision", "{\"has_images\":true}", "vision"), 0);
    assert_int_equal(llmgw_gateway_add_rule(t.gw, "long-input", "{\"input_tokens\":{\"gte\":4000}}", "long"), 0);
    assert_int_equal(llmgw_gateway_add_rule(t.gw, "paid", "{\"any\":[{\"metadata.tier\":\"paid\"},{\"tags\":\"vip\"}]}",
                                            "smart"), 0);
    assert_int_equal(llmgw_gateway_add_rule(t.gw, "rest", "{}", "cheap"), 0);
    /* rule errors */
    assert_int_equal(llmgw_gateway_add_rule(t.gw, "x", "{\"tier\":\"paid\"}", "smart"), LLMGW_EINVAL);
    assert_int_equal(llmgw_gateway_add_rule(t.gw, "x", "{}", "nowhere"), LLMGW_EINVAL);
    assert_non_null(strstr(llmgw_error_last()->message, "unknown target group 'nowhere'"));

    route(&t, "{\"model\":\"chat\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
              "\"llmgw\":{\"metadata\":{\"tier\":\"paid\"}}}", model, rule);
    assert_string_equal(model, "gpt-smart");
    assert_string_equal(rule, "paid");
    route(&t, "{\"model\":\"chat\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
              "\"llmgw\":{\"tags\":[\"vip\"]}}", model, rule);
    assert_string_equal(model, "gpt-smart");
    route(&t, "{\"model\":\"chat\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
              "\"llmgw\":{\"metadata\":{\"tier\":\"free\"}}}", model, rule);
    assert_string_equal(model, "gpt-cheap");
    assert_string_equal(rule, "rest");
    route(&t, "{\"model\":\"chat\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"what?\"},"
              "{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64,iVBORw0KGgo=\"}}]}],"
              "\"llmgw\":{\"metadata\":{\"tier\":\"paid\"}}}", model, rule);
    assert_string_equal(model, "gpt-vision");            /* the first matching rule wins */
    assert_string_equal(rule, "vision");
    memset(big, 'w', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    snprintf(body, sizeof(body), "{\"model\":\"chat\",\"messages\":[{\"role\":\"user\",\"content\":\"%s\"}]}", big);
    route(&t, body, model, rule);
    assert_string_equal(model, "gpt-long");
    assert_int_equal(itest_request_count(&t, "smart"), 2);
    assert_int_equal(itest_request_count(&t, "long"), 1);
    itest_stop(&t);
}

static const char *pick_group(const llmgw_request *req, void *userdata)
{
    int *calls = userdata;

    (*calls)++;
    return llmgw_request_message_count(req) > 2 ? "smart" : NULL;
}

static void test_classifier_hook_and_builtin(void **state)
{
    itest t;
    int calls = 0;
    char model[64], rule[64];

    (void)state;
    start(&t);
    assert_int_equal(llmgw_gateway_set_classifier(t.gw, pick_group, &calls), 0);
    route(&t, "{\"model\":\"cheap\",\"messages\":[{\"role\":\"user\",\"content\":\"a\"},{\"role\":\"assistant\","
              "\"content\":\"b\"},{\"role\":\"user\",\"content\":\"c\"}]}", model, rule);
    assert_string_equal(model, "gpt-smart");
    assert_string_equal(rule, "classifier");
    route(&t, "{\"model\":\"cheap\",\"messages\":[{\"role\":\"user\",\"content\":\"a\"}]}", model, rule);
    assert_string_equal(model, "gpt-cheap");             /* NULL: left alone */
    assert_string_equal(rule, "");
    assert_int_equal(calls, 2);
    /* rules come before the hook */
    assert_int_equal(llmgw_gateway_add_rule(t.gw, "tools", "{\"has_tools\":true}", "vision"), 0);
    route(&t, "{\"model\":\"cheap\",\"messages\":[{\"role\":\"user\",\"content\":\"a\"}],"
              "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}]}", model, rule);
    assert_string_equal(model, "gpt-vision");
    assert_int_equal(calls, 2);
    /* the built-in heuristic when no hook is set */
    assert_int_equal(llmgw_gateway_set_classifier(t.gw, NULL, NULL), 0);
    assert_int_equal(llmgw_gateway_use_builtin_classifier(t.gw, "cheap", "smart"), 0);
    route(&t, "{\"model\":\"anything\",\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}]}", model, rule);
    assert_string_equal(model, "gpt-cheap");
    route(&t, "{\"model\":\"anything\",\"messages\":[{\"role\":\"user\",\"content\":\"why does this crash?\\n"
              "```c\\nint *p = 0; *p = 1;\\n```\"}],\"response_format\":{\"type\":\"json_object\"}}", model, rule);
    assert_string_equal(model, "gpt-smart");
    assert_string_equal(rule, "classifier");
    itest_stop(&t);
}

static void test_tag_routing(void **state)
{
    static const char *const eu[] = { "eu" };
    static const char *const us[] = { "us", "default" };
    itest t;
    llmgw_gateway_options o;
    char model[64], rule[64];
    llmgw_response *r = NULL;

    (void)state;
    llmgw_gateway_options_init(&o, LLMGW_GATEWAY_OPTIONS_VERSION);
    o.max_attempts = 1;
    o.tag_filtering = 1;
    itest_start(&t, &o);
    add_tagged(&t, "g", "eu", "gpt-eu", eu, 1);
    add_tagged(&t, "g", "us", "gpt-us", us, 2);
    route(&t, "{\"model\":\"g\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"llmgw\":{\"tags\":[\"eu\"]}}",
          model, rule);
    assert_string_equal(model, "gpt-eu");
    route(&t, "{\"model\":\"g\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"llmgw\":{\"tags\":[\"jp\"]}}",
          model, rule);
    assert_string_equal(model, "gpt-us");                 /* no match: the default-tagged one */
    route(&t, "{\"model\":\"g\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", model, rule);
    assert_string_equal(model, "gpt-us");                 /* untagged request: the default one */
    itest_stop(&t);
    /* no default deployment: a request whose tags match nothing is refused before any call */
    itest_start(&t, &o);
    add_tagged(&t, "g", "eu", "gpt-eu", eu, 1);
    assert_int_equal(itest_complete(&t, "g", "x", &r), 0);  /* untagged, no default: any */
    llmgw_response_free(r);
    {
        llmgw_request *req = itest_request("g", "x");
        assert_int_equal(llmgw_request_add_tag(req, "jp"), 0);
        assert_int_equal(llmgw_complete(t.gw, req, &r), LLMGW_ENOTFOUND);
        assert_non_null(strstr(llmgw_error_last()->message, "tag"));
        llmgw_request_free(req);
    }
    assert_int_equal(itest_request_count(&t, "eu"), 1);
    itest_stop(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rules_route_by_tier_tag_size_modality),
        cmocka_unit_test(test_classifier_hook_and_builtin),
        cmocka_unit_test(test_tag_routing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
