/*
 * Integration: a config file's Portkey conditional routing
 * (llmgw_settings.portkey_routing) over loopback HTTP: requests go by tier,
 * tag, input size, modality and a $regex on metadata to different mock
 * deployments; the route taken and the rule that chose it are in the
 * usage record, each attempt of the trail and the usage log's JSON line;
 * an attempt in a fallback group names that group and no rule.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "itest.h"

#define ENTRY(group, lane, model)                                                                    \
    "{\"model_name\":\"" group "\",\"litellm_params\":{\"model\":\"openai/" model "\","               \
    "\"api_base\":\"%1$s/lane/" lane "/v1\",\"api_key\":\"" TEST_KEY "\"}}"

#define CONFIG \
    "{\"model_list\":[" ENTRY("cheap", "cheap", "gpt-cheap") "," ENTRY("smart", "smart", "gpt-smart") "," \
    ENTRY("vision", "vision", "gpt-vision") "," ENTRY("long", "long", "gpt-long") "," ENTRY("eu", "eu", "gpt-eu") "]," \
    "\"llmgw_settings\":{\"max_attempts\":1,\"log\":{\"path\":\"%2$s\"},\"portkey_routing\":{" \
    " \"strategy\":{\"mode\":\"conditional\",\"conditions\":[" \
    "  {\"query\":{\"has_images\":true},\"then\":\"see\"}," \
    "  {\"query\":{\"input_tokens\":{\"$gte\":4000}},\"then\":\"big\"}," \
    "  {\"query\":{\"$or\":[{\"metadata.tier\":{\"$in\":[\"paid\",\"enterprise\"]}},{\"tags\":{\"$eq\":\"vip\"}}]}," \
    "   \"then\":\"premium\"}," \
    "  {\"query\":{\"metadata.region\":{\"$regex\":\"^eu-[a-z]+$\"}},\"then\":\"europe\"}]," \
    "  \"default\":\"budget\"}," \
    " \"targets\":[{\"name\":\"see\",\"override_params\":{\"model\":\"vision\"}}," \
    "  {\"name\":\"big\",\"override_params\":{\"model\":\"long\"}}," \
    "  {\"name\":\"premium\",\"virtual_key\":\"vk-prod\",\"override_params\":{\"model\":\"smart\"}}," \
    "  {\"name\":\"europe\",\"override_params\":{\"model\":\"eu\"}}," \
    "  {\"name\":\"budget\",\"override_params\":{\"model\":\"cheap\"}}]}}}"

typedef struct routed {
    char model[64], group[64], rule[64], trail_group[64], trail_rule[64];
} routed;

static void route(llmgw_gateway *gw, const char *body, routed *out)
{
    llmgw_request *req = NULL;
    llmgw_response *r = NULL;
    const llmgw_usage *u;
    const llmgw_attempt *a;

    if (llmgw_request_from_json(&req, body, strlen(body)) != 0)
        fail_msg("%s", llmgw_error_last()->message);
    if (llmgw_complete(gw, req, &r) != 0)
        fail_msg("%s", llmgw_error_last()->message);
    u = llmgw_response_usage(r);
    assert_int_equal(llmgw_response_attempt_count(r), 1);
    a = llmgw_response_attempt(r, 0);
    snprintf(out->model, sizeof(out->model), "%s", llmgw_response_model(r));
    snprintf(out->group, sizeof(out->group), "%s", u->group ? u->group : "(null)");
    snprintf(out->rule, sizeof(out->rule), "%s", u->route_rule ? u->route_rule : "(null)");
    snprintf(out->trail_group, sizeof(out->trail_group), "%s", a->group ? a->group : "(null)");
    snprintf(out->trail_rule, sizeof(out->trail_rule), "%s", a->route_rule ? a->route_rule : "(null)");
    llmgw_response_free(r);
    llmgw_request_free(req);
}

static void expect(llmgw_gateway *gw, const char *body, const char *model, const char *group, const char *rule)
{
    routed r;

    route(gw, body, &r);
    assert_string_equal(r.model, model);
    assert_string_equal(r.group, group);
    assert_string_equal(r.rule, rule);
    assert_string_equal(r.trail_group, group);
    assert_string_equal(r.trail_rule, rule);
}

#define MSG(text) "\"messages\":[{\"role\":\"user\",\"content\":\"" text "\"}]"

/* Every line of the usage log, in order: its group, route_rule and trail[0]'s. */
static int read_log(const char *path, char lines[][256], int max)
{
    FILE *f = fopen(path, "r");
    char *line = malloc(1 << 16);
    int n = 0;

    assert_non_null(f);
    assert_non_null(line);
    while (n < max && fgets(line, 1 << 16, f) != NULL) {
        cJSON *j = cJSON_Parse(line), *t0;
        assert_non_null(j);
        assert_null(strstr(line, TEST_KEY));
        assert_null(strstr(line, "vk-prod"));
        t0 = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "trail"), 0);
        snprintf(lines[n++], 256, "%s %s %s %s", cJSON_GetStringValue(cJSON_GetObjectItem(j, "group")),
                 cJSON_GetStringValue(cJSON_GetObjectItem(j, "route_rule")),
                 cJSON_GetStringValue(cJSON_GetObjectItem(t0, "group")),
                 cJSON_GetStringValue(cJSON_GetObjectItem(t0, "route_rule")));
        cJSON_Delete(j);
    }
    fclose(f);
    free(line);
    return n;
}

static void test_portkey_config_routes_over_http(void **state)
{
    char logpath[] = "/tmp/llmgw-rlog-XXXXXX", *cfg = malloc(8192), *big = malloc(24000), *body = malloc(25000);
    char lines[8][256];
    mock_server *srv = NULL;
    llmgw_gateway *gw = NULL;
    itest lanes;
    int fd = mkstemp(logpath);

    (void)state;
    assert_true(fd >= 0);
    close(fd);
    assert_non_null(cfg);
    assert_non_null(big);
    assert_non_null(body);
    assert_int_equal(mock_server_start(&srv, "127.0.0.1", 0), 0);
    lanes.srv = srv;                            /* for itest_request_count() */
    snprintf(cfg, 8192, CONFIG, mock_server_base_url(srv), logpath);
    if (llmgw_gateway_open_buffer(&gw, cfg, strlen(cfg), "json", NULL) != 0)
        fail_msg("%s", llmgw_error_last()->message);

    /* tier */
    expect(gw, "{\"model\":\"any\"," MSG("hi") ",\"llmgw\":{\"metadata\":{\"tier\":\"enterprise\"}}}",
           "gpt-smart", "smart", "portkey.conditions[2]");
    /* tag */
    expect(gw, "{\"model\":\"any\"," MSG("hi") ",\"llmgw\":{\"tags\":[\"beta\",\"vip\"]}}",
           "gpt-smart", "smart", "portkey.conditions[2]");
    /* modality: an image beats the paid tier (the first matching condition wins) */
    expect(gw, "{\"model\":\"any\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"what?\"},"
               "{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64,iVBORw0KGgo=\"}}]}],"
               "\"llmgw\":{\"metadata\":{\"tier\":\"paid\"}}}",
           "gpt-vision", "vision", "portkey.conditions[0]");
    /* input size */
    memset(big, 'w', 23999);
    big[23999] = '\0';
    snprintf(body, 25000, "{\"model\":\"any\",\"messages\":[{\"role\":\"user\",\"content\":\"%s\"}]}", big);
    expect(gw, body, "gpt-long", "long", "portkey.conditions[1]");
    /* $regex on metadata */
    expect(gw, "{\"model\":\"any\"," MSG("hi") ",\"llmgw\":{\"metadata\":{\"region\":\"eu-west\"}}}",
           "gpt-eu", "eu", "portkey.conditions[3]");
    /* the default */
    expect(gw, "{\"model\":\"any\"," MSG("hi") ",\"llmgw\":{\"metadata\":{\"region\":\"eu-west-1\"}}}",
           "gpt-cheap", "cheap", "portkey.default");
    assert_int_equal(itest_request_count(&lanes, "smart"), 2);
    assert_int_equal(itest_request_count(&lanes, "vision"), 1);
    assert_int_equal(itest_request_count(&lanes, "long"), 1);
    assert_int_equal(itest_request_count(&lanes, "eu"), 1);
    assert_int_equal(itest_request_count(&lanes, "cheap"), 1);
    llmgw_gateway_free(gw);                     /* flushes the usage log */
    mock_server_stop(srv);

    assert_int_equal(read_log(logpath, lines, 8), 6);
    assert_string_equal(lines[0], "smart portkey.conditions[2] smart portkey.conditions[2]");
    assert_string_equal(lines[2], "vision portkey.conditions[0] vision portkey.conditions[0]");
    assert_string_equal(lines[3], "long portkey.conditions[1] long portkey.conditions[1]");
    assert_string_equal(lines[4], "eu portkey.conditions[3] eu portkey.conditions[3]");
    assert_string_equal(lines[5], "cheap portkey.default cheap portkey.default");
    unlink(logpath);
    free(cfg);
    free(big);
    free(body);
}

/* A rule sends the request to a group that fails; the fallback group's attempt names its group and no rule. */
static void test_fallback_attempt_names_its_group(void **state)
{
    llmgw_gateway_options o;
    llmgw_request *req;
    llmgw_response *r = NULL;
    const llmgw_usage *u;
    char *json = NULL;
    llmgw_buf buf = LLMGW_BUF_INIT;
    itest t;

    (void)state;
    llmgw_gateway_options_init(&o, LLMGW_GATEWAY_OPTIONS_VERSION);
    o.max_attempts = 3;
    itest_start(&t, &o);
    itest_add(&t, "primary", "p", "gpt-primary");
    itest_add(&t, "backup", "b", "gpt-backup");
    itest_add(&t, "asked", "asked", "gpt-asked");
    itest_script(&t, "p", "{\"steps\":[{\"status\":503}],\"then\":\"repeat_last\"}");
    assert_int_equal(llmgw_gateway_add_fallback(t.gw, LLMGW_FALLBACK_DEFAULT, "primary", "backup"), 0);
    assert_int_equal(llmgw_gateway_set_retry_policy(t.gw, LLMGW_ERRCLASS_SERVER_ERROR, 0), 0);   /* fail over at once */
    assert_int_equal(llmgw_gateway_add_rule(t.gw, "gold", "{\"metadata.tier\":{\"regex\":\"^gold$\"}}", "primary"),
                     0);
    req = itest_request("asked", "hello");
    assert_int_equal(llmgw_request_set_metadata(req, "tier", "gold"), 0);
    if (llmgw_complete(t.gw, req, &r) != 0)
        fail_msg("%s", llmgw_error_last()->message);
    u = llmgw_response_usage(r);
    assert_string_equal(u->group, "backup");         /* the group that answered */
    assert_string_equal(u->route_rule, "gold");      /* what chose the first group */
    assert_int_equal(u->fallbacks, 1);
    assert_true(llmgw_response_attempt_count(r) >= 2);
    assert_string_equal(llmgw_response_attempt(r, 0)->group, "primary");
    assert_string_equal(llmgw_response_attempt(r, 0)->route_rule, "gold");
    assert_string_equal(llmgw_response_attempt(r, llmgw_response_attempt_count(r) - 1)->group, "backup");
    assert_null(llmgw_response_attempt(r, llmgw_response_attempt_count(r) - 1)->route_rule);
    assert_string_equal(llmgw_response_model(r), "gpt-backup");
    /* the JSON rendering of the record carries the same */
    assert_int_equal(llmgw_usage_to_json(&buf, u), 0);
    json = buf.ptr;
    assert_non_null(strstr(json, "\"route_rule\":\"gold\""));
    assert_non_null(strstr(json, "\"group\":\"primary\",\"route_rule\":\"gold\"}"));        /* trail[0] */
    assert_non_null(strstr(json, "\"group\":\"backup\",\"route_rule\":null}"));
    llmgw_buf_dispose(&buf);
    assert_int_equal(itest_request_count(&t, "asked"), 0);
    llmgw_response_free(r);
    llmgw_request_free(req);
    itest_stop(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_portkey_config_routes_over_http),
        cmocka_unit_test(test_fallback_attempt_names_its_group),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
