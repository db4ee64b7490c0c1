/*
 * Unit tests of lib/config/portkey.c: llmgw_settings.portkey_routing, a
 * Portkey conditional-routing config pasted into our file. A Portkey config
 * and the equivalent native routing_rules route a few hundred varied
 * requests (metadata and params) to the same groups; what does not map
 * onto groups fails the load with the path of the bad part.
 */
#include "cfg_test.h"

#define MODEL(name, model) "{\"model_name\": \"" name "\", \"litellm_params\": {\"model\": \"" model "\"}}"

/* Groups both gateways share: each a mock deployment. */
#define MODEL_LIST                                                                              \
    "\"model_list\": [" MODEL("smart", "mock/smart-model") "," MODEL("eu-model", "mock/eu-model") \
    "," MODEL("creative", "mock/creative-model") "," MODEL("fast-group", "mock/fast-model")     \
    "," MODEL("base", "mock/base-model") "," MODEL("chat", "mock/chat-model") "],"              \
    "\"router_settings\": {\"model_group_alias\": {\"quick\": \"fast-group\"}}"

/* A Portkey config as Portkey's docs write one, pasted under llmgw_settings.portkey_routing. */
static const char *PORTKEY = "{" MODEL_LIST ", \"llmgw_settings\": {\"portkey_routing\": {"
    "\"strategy\": {\"mode\": \"conditional\", \"conditions\": ["
    "  {\"query\": {\"metadata.user_plan\": {\"$eq\": \"paid\"}}, \"then\": \"premium\"},"
    "  {\"query\": {\"$and\": [{\"metadata.region\": {\"$in\": [\"eu-west\", \"eu-central\"]}},"
    "                         {\"params.max_tokens\": {\"$lt\": 1000}}]}, \"then\": \"eu\"},"
    "  {\"query\": {\"$or\": [{\"params.temperature\": {\"$gte\": 0.9}},"
    "                        {\"metadata.team\": {\"$regex\": \"^(art|design)-\"}}]}, \"then\": \"creative\"},"
    "  {\"query\": {\"params.model\": \"fastest\"}, \"then\": \"fast\"},"
    "  {\"query\": {\"params.messages\": {\"$length\": {\"$gt\": 4}}}, \"then\": \"premium\"},"
    "  {\"query\": {\"metadata.seats\": {\"$gte\": 100}, \"metadata.user_plan\": {\"$ne\": \"free\"}},"
    "   \"then\": \"premium\"}],"
    " \"default\": \"base-target\"},"
    "\"targets\": ["
    "  {\"name\": \"premium\", \"virtual_key\": \"openai-prod-1234\", \"override_params\": {\"model\": \"smart\"}},"
    "  {\"name\": \"eu\", \"provider\": \"openai\", \"override_params\": {\"model\": \"eu-model\"}},"
    "  {\"name\": \"creative\", \"overrideParams\": {\"model\": \"creative\"}},"
    "  {\"name\": \"fast\", \"override_params\": {\"model\": \"quick\"}},"
    "  {\"name\": \"base-target\", \"provider\": \"mock\", \"override_params\": {\"model\": \"base-model\"}}]"
    "}}}";

/* The same routing in our vocabulary. */
static const char *NATIVE = "{" MODEL_LIST ", \"llmgw_settings\": {\"routing_rules\": ["
    "  {\"name\": \"paid\", \"condition\": {\"metadata.user_plan\": \"paid\"}, \"target\": \"smart\"},"
    "  {\"name\": \"eu\", \"condition\": {\"all\": [{\"metadata.region\": {\"in\": [\"eu-west\", \"eu-central\"]}},"
    "                                           {\"max_tokens\": {\"lt\": 1000}}]}, \"target\": \"eu-model\"},"
    "  {\"name\": \"creative\", \"condition\": {\"any\": [{\"params.temperature\": {\"gte\": 0.9}},"
    "                        {\"metadata.team\": {\"regex\": \"^(art|design)-\"}}]}, \"target\": \"creative\"},"
    "  {\"name\": \"fast\", \"condition\": {\"model\": \"fastest\"}, \"target\": \"quick\"},"
    "  {\"name\": \"long\", \"condition\": {\"params.messages\": {\"length\": {\"gt\": 4}}}, \"target\": \"smart\"},"
    "  {\"name\": \"seats\", \"condition\": {\"metadata.seats\": {\"gte\": 100}, \"metadata.user_plan\": {\"ne\": \"free\"}},"
    "   \"target\": \"smart\"},"
    "  {\"name\": \"default\", \"condition\": {}, \"target\": \"mock/base-model\"}]}}";

static void test_portkey_config_loads(void **state)
{
    static const char *const names[] = { "portkey.conditions[0]", "portkey.conditions[1]", "portkey.conditions[2]",
                                         "portkey.conditions[3]", "portkey.conditions[4]", "portkey.conditions[5]",
                                         "portkey.default" };
    static const char *const targets[] = { "smart", "eu-model", "creative", "quick", "smart", "smart",
                                           "mock/base-model" };
    llmgw_gateway *gw = NULL;
    cfg_log log = { .n = 0 };
    llmgw_gateway_options o = cfg_opts(&log, LLMGW_LOG_DEBUG);
    size_t i;

    (void)state;
    if (cfg_load(&gw, PORTKEY, "json", &o) != 0)
        fail_msg("%s", llmgw_error_last()->message);
    assert_int_equal(gw->rules.n, 7);
    for (i = 0; i < 7; i++) {
        assert_string_equal(llmgw__rule_name(gw->rules.items[i]), names[i]);
        assert_string_equal(llmgw__rule_target(gw->rules.items[i]), targets[i]);
    }
    /* the virtual key is ignored with a warning that never shows its value */
    assert_non_null(cfg_log_find(&log, LLMGW_LOG_WARN,
                                 "llmgw_settings.portkey_routing.targets[0].virtual_key: ignored: credentials"));
    for (i = 0; i < log.n; i++)
        assert_null(strstr(log.lines[i], "openai-prod-1234"));
    cfg_log_clear(&log);
    llmgw_gateway_free(gw);
}

/* The group a request is routed to, and by which rule. */
static void routed(llmgw_gateway *gw, const char *body, char *group, size_t gsize, char *rule, size_t rsize)
{
    llmgw_request *req = NULL;
    llmgw_response *r = NULL;
    const llmgw_usage *u;

    if (llmgw_request_from_json(&req, body, strlen(body)) != 0)
        fail_msg("request: %s", llmgw_error_last()->message);
    if (llmgw_complete(gw, req, &r) != 0)
        fail_msg("%s: %s", body, llmgw_error_last()->message);
    u = llmgw_response_usage(r);
    snprintf(group, gsize, "%s", u->group ? u->group : "");
    snprintf(rule, rsize, "%s", u->route_rule ? u->route_rule : "");
    llmgw_response_free(r);
    llmgw_request_free(req);
}

static uint64_t rng = 88172645463325252ull;

static unsigned pick(unsigned n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng % n);
}

/* Append ,"key":"value" to a metadata object being built (or nothing for NULL). */
static void md(char *buf, size_t size, const char *key, const char *value)
{
    size_t len = strlen(buf);

    if (value != NULL)
        snprintf(buf + len, size - len, "%s\"%s\":\"%s\"", buf[len - 1] == '{' ? "" : ",", key, value);
}

static void test_portkey_and_native_route_identically(void **state)
{
    static const char *const plans[] = { "paid", "free", "team", NULL };
    static const char *const regions[] = { "eu-west", "eu-central", "us-east", NULL };
    static const char *const teams[] = { "art-1", "design-ux", "eng-2", "xart-3", NULL };
    static const char *const seats[] = { "150", "100", "99", "many", NULL };
    static const char *const models[] = { "chat", "fastest", "base" };
    static const char *const native_rule[] = { "paid", "eu", "creative", "fast", "long", "seats", "default" };
    static const char *const groups[] = { "smart", "eu-model", "creative", "fast-group", "mock/base-model" };
    llmgw_gateway *pk = NULL, *nat = NULL;
    unsigned seen_rule[7] = { 0 }, seen_group[5] = { 0 };
    char body[2048], meta[512], extra[256], g1[128], g2[128], r1[64], r2[64];
    int i, k;

    (void)state;
    if (cfg_load(&pk, PORTKEY, "json", NULL) != 0 || cfg_load(&nat, NATIVE, "json", NULL) != 0)
        fail_msg("%s", llmgw_error_last()->message);
    for (i = 0; i < 400; i++) {
        unsigned nmsg = 1 + pick(6), m;
        snprintf(meta, sizeof(meta), "{");
        md(meta, sizeof(meta), "user_plan", plans[pick(4)]);
        md(meta, sizeof(meta), "region", regions[pick(4)]);
        md(meta, sizeof(meta), "team", teams[pick(5)]);
        md(meta, sizeof(meta), "seats", seats[pick(5)]);
        snprintf(meta + strlen(meta), sizeof(meta) - strlen(meta), "}");
        extra[0] = '\0';
        if (pick(2))
            snprintf(extra, sizeof(extra), ",\"max_tokens\":%d", pick(2) ? 500 : 2000);
        if (pick(2))
            snprintf(extra + strlen(extra), sizeof(extra) - strlen(extra), ",\"temperature\":%s",
                     pick(2) ? "0.95" : "0.2");
        snprintf(body, sizeof(body), "{\"model\":\"%s\",\"messages\":[", models[pick(3)]);
        for (m = 0; m < nmsg; m++)
            snprintf(body + strlen(body), sizeof(body) - strlen(body), "%s{\"role\":\"%s\",\"content\":\"m%u\"}",
                     m ? "," : "", m % 2 ? "assistant" : "user", m);
        snprintf(body + strlen(body), sizeof(body) - strlen(body), "]%s,\"llmgw\":{\"metadata\":%s}}", extra, meta);
        routed(pk, body, g1, sizeof(g1), r1, sizeof(r1));
        routed(nat, body, g2, sizeof(g2), r2, sizeof(r2));
        if (strcmp(g1, g2) != 0)
            fail_msg("%s: Portkey config chose %s (%s), native rules %s (%s)", body, g1, r1, g2, r2);
        /* the same rule, by position */
        for (k = 0; k < 7; k++)
            if (strcmp(r2, native_rule[k]) == 0)
                break;
        assert_true(k < 7);
        if (k < 6) {
            char want[64];
            snprintf(want, sizeof(want), "portkey.conditions[%d]", k);
            assert_string_equal(r1, want);
        } else {
            assert_string_equal(r1, "portkey.default");
        }
        seen_rule[k]++;
        for (k = 0; k < 5; k++)
            if (strcmp(g1, groups[k]) == 0)
                seen_group[k]++;
    }
    /* every rule and every group was exercised */
    for (k = 0; k < 7; k++)
        if (seen_rule[k] == 0)
            fail_msg("no request matched rule %s", native_rule[k]);
    for (k = 0; k < 5; k++)
        if (seen_group[k] == 0)
            fail_msg("no request went to %s", groups[k]);
    llmgw_gateway_free(pk);
    llmgw_gateway_free(nat);
}

#define PK(inner) "{" MODEL_LIST ", \"llmgw_settings\": {\"portkey_routing\": " inner "}}"
#define COND_STRATEGY "\"strategy\": {\"mode\": \"conditional\", \"conditions\": [{\"query\": {}, \"then\": \"a\"}]}"

static void test_what_does_not_map_is_refused_with_its_path(void **state)
{
    static const struct { const char *text, *needle; } bad[] = {
        { PK("{\"targets\": [{\"name\": \"a\", \"override_params\": {\"model\": \"smart\"}}]}"),
          "llmgw_settings.portkey_routing: needs strategy" },
        { PK("{" COND_STRATEGY "}"), "llmgw_settings.portkey_routing: needs targets" },
        { PK("{\"strategy\": {\"mode\": \"fallback\"}, \"targets\": [{\"name\": \"a\"}]}"),
          "llmgw_settings.portkey_routing.strategy.mode: 'fallback' is not conditional: fallbacks are "
          "router_settings.fallbacks" },
        { PK("{\"strategy\": {\"mode\": \"loadbalance\"}, \"targets\": [{\"name\": \"a\"}]}"),
          "load balancing is one model_list group with weights" },
        { PK("{\"strategy\": {\"mode\": \"conditional\", \"conditions\": []}, \"targets\": [{\"name\": \"smart\"}]}"),
          "portkey_routing.strategy: needs conditions" },
        { PK("{" COND_STRATEGY ", \"targets\": [{\"name\": \"a\", \"override_params\": {\"model\": \"nope\"}}]}"),
          "portkey_routing.targets[0]: override_params.model 'nope' is not a model_list group" },
        { PK("{" COND_STRATEGY ", \"targets\": [{\"name\": \"a\", \"provider\": \"acme\", "
             "\"override_params\": {\"model\": \"m1\"}}]}"),
          "portkey_routing.targets[0].provider: unknown provider 'acme'" },
        { PK("{" COND_STRATEGY ", \"targets\": [{\"name\": \"a\"}]}"),
          "portkey_routing.targets[0]: needs override_params.model" },
        { PK("{" COND_STRATEGY ", \"targets\": [{\"name\": \"a\", \"override_params\": {\"model\": \"smart\", "
             "\"temperature\": 0.2}}]}"),
          "portkey_routing.targets[0].override_params.temperature: only model maps onto a group" },
        { PK("{" COND_STRATEGY ", \"targets\": [{\"name\": \"a\", \"api_key\": \"sk-secret-value\", "
             "\"override_params\": {\"model\": \"smart\"}}]}"),
          "portkey_routing.targets[0][\"api_key\"]: credentials go in model_list" },
        { PK("{" COND_STRATEGY ", \"targets\": [{\"name\": \"a\", \"strategy\": {\"mode\": \"fallback\"}, "
             "\"targets\": []}]}"),
          "portkey_routing.targets[0].strategy: nested strategies do not map onto one group" },
        { PK("{" COND_STRATEGY ", \"targets\": [{\"name\": \"a\", \"override_params\": {\"model\": \"smart\"}},"
             "{\"name\": \"a\", \"override_params\": {\"model\": \"base\"}}]}"),
          "portkey_routing.targets[1].name: two targets are named 'a'" },
        { PK("{\"strategy\": {\"mode\": \"conditional\", \"conditions\": [{\"query\": {}, \"then\": \"b\"}]}, "
             "\"targets\": [{\"name\": \"smart\"}]}"),
          "portkey_routing.strategy.conditions[0].then: no target is named 'b'" },
        { PK("{\"strategy\": {\"mode\": \"conditional\", \"conditions\": [{\"query\": {}, \"then\": \"smart\"}], "
             "\"default\": \"c\"}, \"targets\": [{\"name\": \"smart\"}]}"),
          "portkey_routing.strategy.default: no target is named 'c'" },
        { PK("{\"strategy\": {\"mode\": \"conditional\", \"conditions\": [{\"query\": {\"$or\": [{\"metadata.a\": "
             "{\"$like\": \"x\"}}]}, \"then\": \"smart\"}]}, \"targets\": [{\"name\": \"smart\"}]}"),
          "portkey_routing.strategy.conditions[0].query.$or[0].metadata.a: unknown operator '$like'" },
        { PK("{\"strategy\": {\"mode\": \"conditional\", \"conditions\": [{\"query\": {\"metadata.a\": "
             "{\"$regex\": \"(?<=x)y\"}}, \"then\": \"smart\"}]}, \"targets\": [{\"name\": \"smart\"}]}"),
          "portkey_routing.strategy.conditions[0].query.metadata.a: regex: lookaround" },
        { PK("{\"strategy\": {\"mode\": \"conditional\", \"conditions\": [{\"then\": \"smart\"}]}, "
             "\"targets\": [{\"name\": \"smart\"}]}"),
          "portkey_routing.strategy.conditions[0]: needs query" },
        { PK("{\"strategy\": {\"mode\": \"conditional\", \"on_status_codes\": [429], \"conditions\": "
             "[{\"query\": {}, \"then\": \"smart\"}]}, \"targets\": [{\"name\": \"smart\"}]}"),
          "portkey_routing.strategy.on_status_codes: llmgw's error classification decides" },
        { PK("{\"retry\": {\"attempts\": 3}, " COND_STRATEGY ", \"targets\": [{\"name\": \"smart\"}]}"),
          "portkey_routing.retry: retries are router_settings.num_retries" },
        { PK("{\"cache\": {\"mode\": \"semantic\"}, " COND_STRATEGY ", \"targets\": [{\"name\": \"smart\"}]}"),
          "portkey_routing.cache: the cache is litellm_settings.cache" },
        { PK("{" COND_STRATEGY ", \"targets\": [{\"name\": \"smart\", \"weight\": 0.5}]}"),
          "portkey_routing.targets[0].weight: weights belong to model_list entries" },
        { PK("{" COND_STRATEGY ", \"targets\": [{\"name\": \"smart\", \"retry\": {\"attempts\": 2}}]}"),
          "portkey_routing.targets[0].retry: does not map onto a model group" },
        { PK("[1]"), "llmgw_settings.portkey_routing: " },
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        llmgw_gateway *gw = NULL;
        if (cfg_load(&gw, bad[i].text, "json", NULL) != LLMGW_EINVAL)
            fail_msg("case %zu loaded", i);
        assert_contains(llmgw_error_last()->message, bad[i].needle);
        assert_null(strstr(llmgw_error_last()->message, "sk-secret-value"));
    }
}

/* Portkey's provider slugs, and targets named after groups. */
static void test_targets_map_onto_groups(void **state)
{
    llmgw_gateway *gw = NULL;
    const char *text = PK("{\"strategy\": {\"mode\": \"conditional\", \"conditions\": ["
                          "{\"query\": {\"metadata.x\": \"1\"}, \"then\": \"g\"},"
                          "{\"query\": {\"metadata.x\": \"2\"}, \"then\": \"smart\"},"
                          "{\"query\": {\"metadata.x\": \"3\"}, \"then\": \"az\"}]},"
                          "\"targets\": [{\"name\": \"g\", \"provider\": \"google\", "
                          "\"override_params\": {\"model\": \"gemini-2.5-flash\"}},"
                          "{\"name\": \"smart\"},"
                          "{\"name\": \"az\", \"provider\": \"azure-openai\", \"override_params\": {\"model\": "
                          "\"gpt-4o\"}}]}");

    (void)state;
    if (cfg_load(&gw, text, "json", NULL) != 0)
        fail_msg("%s", llmgw_error_last()->message);
    assert_int_equal(gw->rules.n, 3);       /* no default: unmatched requests keep their model */
    assert_string_equal(llmgw__rule_target(gw->rules.items[0]), "gemini/gemini-2.5-flash");
    assert_string_equal(llmgw__rule_target(gw->rules.items[1]), "smart");
    assert_string_equal(llmgw__rule_target(gw->rules.items[2]), "azure/gpt-4o");
    llmgw_gateway_free(gw);
}

/* The same paste in YAML (when built with libyaml): `$` operators and dotted keys need no quotes. */
static void test_portkey_config_in_yaml(void **state)
{
    static const char *const yaml =
        "model_list:\n"
        "  - { model_name: smart, litellm_params: { model: mock/smart-model } }\n"
        "  - { model_name: base, litellm_params: { model: mock/base-model } }\n"
        "llmgw_settings:\n"
        "  portkey_routing:\n"
        "    strategy:\n"
        "      mode: conditional\n"
        "      conditions:\n"
        "        - query: { metadata.user_plan: { $eq: paid } }\n"
        "          then: premium\n"
        "        - query: { $or: [ { params.temperature: { $gt: 0.7 } }, { metadata.team: { $regex: '^a.+' } } ] }\n"
        "          then: premium\n"
        "      default: base\n"
        "    targets:\n"
        "      - name: premium\n"
        "        override_params: { model: smart }\n"
        "      - name: base\n";
    llmgw_gateway *gw = NULL;
    int rc;

    (void)state;
    rc = cfg_load(&gw, yaml, "yaml", NULL);
    if (rc == LLMGW_EUNSUPPORTED) {
        skip();
        return;
    }
    if (rc != 0)
        fail_msg("%s", llmgw_error_last()->message);
    assert_int_equal(gw->rules.n, 3);
    assert_string_equal(llmgw__rule_target(gw->rules.items[1]), "smart");
    assert_string_equal(llmgw__rule_name(gw->rules.items[2]), "portkey.default");
    assert_string_equal(llmgw__rule_target(gw->rules.items[2]), "base");
    llmgw_gateway_free(gw);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_portkey_config_loads),
        cmocka_unit_test(test_portkey_and_native_route_identically),
        cmocka_unit_test(test_what_does_not_map_is_refused_with_its_path),
        cmocka_unit_test(test_targets_map_onto_groups),
        cmocka_unit_test(test_portkey_config_in_yaml),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
