/*
 * tests/security/test_injection.c: what reaches a header or a URL path is
 * checked first (docs/resilience.md §d.4). CR, LF, NUL and other control
 * characters in model and deployment names, groups, API versions, keys and
 * header values are refused; names used in URL paths (Azure deployments,
 * Gemini models, Bedrock model ids) cannot change the host or the path; the
 * base URL never comes from a request (CVE-2024-6587). Every refusal is
 * checked on the wire too: the mock received nothing it should not have.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "itest.h"

#define KEY "sk-inject-0123456789abcdefghij"

static const char *const bad_chars[] = { "\r\n", "\n", "\r", "\x01", "\x7f", "\t", "\x1b" };
#define NBAD (sizeof(bad_chars) / sizeof(bad_chars[0]))

static void start(itest *t)
{
    llmgw_gateway_options o;

    llmgw_gateway_options_init(&o, LLMGW_GATEWAY_OPTIONS_VERSION);
    o.max_attempts = 1;
    itest_start(t, &o);
}

static void base_opts(itest *t, llmgw_deployment_options *d, char *base, size_t n, const char *model)
{
    snprintf(base, n, "%s/lane/inj/v1", mock_server_base_url(t->srv));
    llmgw_deployment_options_init(d, LLMGW_DEPLOYMENT_OPTIONS_VERSION);
    d->group = "g";
    d->model = model;
    d->api_base = base;
    d->api_key = KEY;
}

static uint64_t requests_seen(itest *t)
{
    mock_ledger led;

    mock_server_ledger(t->srv, NULL, &led);
    return led.requests;
}

/* Every string field of a deployment, with each control character: refused, nothing sent. */
static void test_control_characters_in_deployment_fields_refused(void **state)
{
    enum { F_MODEL, F_GROUP, F_ID, F_KEY, F_VERSION, F_ORG, F_BASE, F_PROVIDER, F_REGION, F_AWS_ID, F_AWS_SECRET,
           F_AWS_TOKEN, F_COUNT };
    static const char *const names[F_COUNT] = { "model", "group", "id", "api_key", "api_version", "organization",
                                                "api_base", "provider", "region", "aws_access_key_id",
                                                "aws_secret_access_key", "aws_session_token" };
    itest t;
    size_t b;
    int f;

    (void)state;
    start(&t);
    for (f = 0; f < F_COUNT; f++)
        for (b = 0; b < NBAD; b++) {
            llmgw_deployment_options d;
            char base[256], val[320];
            int rc;
            base_opts(&t, &d, base, sizeof(base), "openai/gpt-x");
            snprintf(val, sizeof(val), "%s%sX-Injected: yes", f == F_BASE ? base : f == F_KEY ? KEY : "value",
                     bad_chars[b]);
            switch (f) {
            case F_MODEL: snprintf(val, sizeof(val), "openai/gpt%sX-Injected: yes", bad_chars[b]); d.model = val; break;
            case F_GROUP: d.group = val; break;
            case F_ID: d.id = val; break;
            case F_KEY: d.api_key = val; break;
            case F_VERSION: d.api_version = val; break;
            case F_ORG: d.organization = val; break;
            case F_BASE: d.api_base = val; break;
            case F_PROVIDER: d.provider = val; break;
            case F_REGION: d.region = val; break;
            case F_AWS_ID: d.aws_access_key_id = val; break;
            case F_AWS_SECRET: d.aws_secret_access_key = val; break;
            default: d.aws_session_token = val; break;
            }
            rc = llmgw_gateway_add_deployment(t.gw, &d);
            if (rc == 0)
                fail_msg("%s with %02x accepted", names[f], (unsigned char)bad_chars[b][0]);
            /* refused (EINVAL, or ENOTFOUND for a provider), and the message carries no injected line */
            assert_true(rc == LLMGW_EINVAL || (f == F_PROVIDER && rc == LLMGW_ENOTFOUND));
            assert_null(strpbrk(llmgw_error_last()->message, "\r\n\x01\x7f\x1b"));
            assert_null(strstr(llmgw_error_last()->message, KEY));
        }
    /* nothing half-added: the group does not exist, and nothing was sent */
    assert_int_equal(llmgw_gateway_group_size(t.gw, "g"), 0);
    assert_int_equal(requests_seen(&t), 0);
    itest_stop(&t);
}

/* A header value from provider params (Anthropic's anthropic_beta): refused before anything is sent. */
static void test_control_characters_in_header_params_refused(void **state)
{
    itest t;
    size_t b;

    (void)state;
    start(&t);
    for (b = 0; b < NBAD; b++) {
        llmgw_deployment_options d;
        llmgw_response *r = NULL;
        char base[256], params[128], group[16];
        cJSON *o = cJSON_CreateObject();
        char *json, beta[64];
        snprintf(beta, sizeof(beta), "tools-2024%sX-Injected: yes", bad_chars[b]);
        cJSON_AddStringToObject(o, "anthropic_beta", beta);
        json = cJSON_PrintUnformatted(o);
        snprintf(params, sizeof(params), "%s", json);
        cJSON_free(json);
        cJSON_Delete(o);
        snprintf(group, sizeof(group), "b%zu", b);
        snprintf(base, sizeof(base), "%s/lane/inj", mock_server_base_url(t.srv));
        llmgw_deployment_options_init(&d, LLMGW_DEPLOYMENT_OPTIONS_VERSION);
        d.group = group;
        d.model = "anthropic/claude-x";
        d.api_base = base;
        d.api_key = KEY;
        d.params_json = params;
        if (llmgw_gateway_add_deployment(t.gw, &d) == 0) {
            llmgw_request *req = itest_request(group, "hi");
            int rc = llmgw_complete(t.gw, req, &r);
            llmgw_request_free(req);
            if (rc == 0)
                fail_msg("anthropic_beta with %02x was sent", (unsigned char)bad_chars[b][0]);
            llmgw_response_free(r);
        }
    }
    assert_int_equal(requests_seen(&t), 0);
    itest_stop(&t);
}

/* Model names and caller metadata of a request: refused (they reach logs, records and rules). */
static void test_control_characters_in_request_names_refused(void **state)
{
    static const char *const json_models[] = {
        "{\"model\":\"g\\r\\nX-Injected: yes\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
        "{\"model\":\"g\\u0000evil\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
        "{\"model\":\"g\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"llmgw\":{\"trace_id\":\"t\\r\\nx\"}}",
        "{\"model\":\"g\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"llmgw\":{\"customer\":\"c\\u0000d\"}}",
        "{\"model\":\"g\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"llmgw\":{\"tags\":[\"a\\nb\"]}}",
        ("{\"model\":\"g\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
         "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\\r\\nX: 1\"}}]}"),
    };
    llmgw_request *req = NULL;
    itest t;
    size_t b, i;

    (void)state;
    start(&t);
    itest_add(&t, "g", "inj", "gpt-x");
    for (b = 0; b < NBAD; b++) {
        char name[64];
        snprintf(name, sizeof(name), "g%sX-Injected: yes", bad_chars[b]);
        assert_int_equal(llmgw_request_new(&req, name), LLMGW_EINVAL);
        assert_null(req);
        req = itest_request("g", "hi");
        assert_int_equal(llmgw_request_set_model(req, name), LLMGW_EINVAL);
        assert_int_equal(llmgw_request_set_trace_id(req, name), LLMGW_EINVAL);
        assert_int_equal(llmgw_request_set_customer(req, name), LLMGW_EINVAL);
        assert_int_equal(llmgw_request_add_tag(req, name), LLMGW_EINVAL);
        assert_int_equal(llmgw_request_set_metadata(req, "k", name), LLMGW_EINVAL);
        assert_int_equal(llmgw_request_add_tool(req, name, "d", NULL), LLMGW_EINVAL);
        assert_string_equal(llmgw_request_model(req), "g");
        llmgw_request_free(req);
        req = NULL;
    }
    for (i = 0; i < sizeof(json_models) / sizeof(json_models[0]); i++) {
        if (llmgw_request_from_json(&req, json_models[i], strlen(json_models[i])) != LLMGW_EINVAL)
            fail_msg("accepted: %s", json_models[i]);
        assert_null(req);
    }
    assert_int_equal(requests_seen(&t), 0);
    itest_stop(&t);
}

/* ---- names in URL paths ---- */

static const char *const path_names[] = {
    "../x", "..", ".", "a/../../b", "a/b", "a%2fb", "%2e%2e", "a?b=c", "a#frag", "@evil.example.com",
    "user@evil.example.com:443", "a b", "a\\b", "//evil.example.com/x", "http://evil.example.com/x", "a;b", "a%00b",
};

typedef struct pathcase {
    const char *provider, *prefix, *suffix_ns;   /* the path the name goes into */
} pathcase;

/* The request, if any was sent, went to this lane with the name inside one path segment. */
static void check_path(itest *t, const pathcase *pc, const char *name, const char *lane, int rc)
{
    cJSON *reqs = itest_requests(t, lane), *rq;
    mock_ledger all, here;

    mock_server_ledger(t->srv, NULL, &all);
    mock_server_ledger(t->srv, lane, &here);
    if (all.requests != here.requests)
        fail_msg("%s name '%s': a request reached another path or lane", pc->provider, name);
    cJSON_ArrayForEach(rq, reqs) {
        const char *path = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(rq, "path"));
        const char *query = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(rq, "query"));
        const char *seg, *end;
        assert_non_null(path);
        if (strncmp(path, pc->prefix, strlen(pc->prefix)) != 0)
            fail_msg("%s name '%s': sent to %s", pc->provider, name, path);
        seg = path + strlen(pc->prefix);
        end = strstr(seg, pc->suffix_ns);
        if (end == NULL || memchr(seg, '/', (size_t)(end - seg)) != NULL || strcmp(end, pc->suffix_ns) != 0 ||
            (end - seg == 1 && seg[0] == '.') || (end - seg == 2 && seg[0] == '.' && seg[1] == '.'))
            fail_msg("%s name '%s': path %s is not %s<one segment>%s", pc->provider, name, path, pc->prefix,
                     pc->suffix_ns);
        if (query != NULL && (strstr(query, "b=c") != NULL || strchr(query, '#') != NULL))
            fail_msg("%s name '%s': changed the query: %s", pc->provider, name, query);
    }
    (void)rc;
    cJSON_Delete(reqs);
}

/*
 * Azure deployment names, Gemini model names and Bedrock model ids become
 * path segments. Would catch: a name that adds segments ("../", "/"), a
 * query or fragment, or that turns into another host ("@host", "//host"):
 * each is refused before sending, or sent percent-encoded inside its one
 * segment of the expected path on the same host.
 */
static void test_names_in_url_paths_cannot_change_host_or_path(void **state)
{
    static const pathcase cases[] = {
        { "azure", "/openai/deployments/", "/chat/completions" },
        { "gemini", "/v1beta/models/", ":generateContent" },
        { "bedrock", "/model/", "/converse" },
    };
    itest t;
    size_t c, i, sent = 0, refused = 0;

    (void)state;
    for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++)
        for (i = 0; i < sizeof(path_names) / sizeof(path_names[0]); i++) {
            llmgw_deployment_options d;
            llmgw_response *r = NULL;
            char base[256], model[160], lane[32];
            int rc = LLMGW_EINVAL;
            start(&t);
            snprintf(lane, sizeof(lane), "p%zu", i);
            snprintf(base, sizeof(base), "%s/lane/%s", mock_server_base_url(t.srv), lane);
            snprintf(model, sizeof(model), "%s/%s", cases[c].provider, path_names[i]);
            llmgw_deployment_options_init(&d, LLMGW_DEPLOYMENT_OPTIONS_VERSION);
            d.group = "g";
            d.model = model;
            d.api_base = base;
            d.api_key = KEY;
            d.region = "us-east-1";
            if (llmgw_gateway_add_deployment(t.gw, &d) == 0) {
                llmgw_request *req = itest_request("g", "hi");
                rc = llmgw_complete(t.gw, req, &r);
                llmgw_response_free(r);
                llmgw_request_free(req);
            }
            check_path(&t, &cases[c], path_names[i], lane, rc);
            if (itest_request_count(&t, lane) > 0)
                sent++;
            else
                refused++;
            itest_stop(&t);
        }
    printf("names in URL paths: %zu refused before sending, %zu sent inside their one segment\n", refused, sent);
}

/*
 * CVE-2024-6587 (GHSA-g26j-5385-hhw3): a client-supplied api_base sent the
 * configured key to another host. Would catch: a request member naming a
 * base URL being followed (the second listener would receive the key).
 */
static void test_cve_2024_6587_no_api_base_from_a_request(void **state)
{
    static const char *const members[] = { "api_base", "base_url", "api_url", "url" };
    mock_server *other = NULL;
    itest t;
    size_t i;

    (void)state;
    start(&t);
    itest_add(&t, "g", "inj", "gpt-x");
    assert_int_equal(mock_server_start(&other, "127.0.0.1", 0), 0);
    for (i = 0; i < sizeof(members) / sizeof(members[0]); i++) {
        char json[512];
        llmgw_request *req = NULL;
        llmgw_response *r = NULL;
        mock_ledger led;
        snprintf(json, sizeof(json), "{\"model\":\"g\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
                 "\"%s\":\"%s/v1\",\"llmgw\":{\"%s\":\"%s/v1\"}}", members[i], mock_server_base_url(other),
                 members[i], mock_server_base_url(other));
        if (llmgw_request_from_json(&req, json, strlen(json)) == 0) {
            (void)llmgw_complete(t.gw, req, &r);
            llmgw_response_free(r);
            llmgw_request_free(req);
        }
        mock_server_ledger(other, NULL, &led);
        if (led.requests != 0)
            fail_msg("request member %s redirected the call", members[i]);
    }
    mock_server_stop(other);
    itest_stop(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_control_characters_in_deployment_fields_refused),
        cmocka_unit_test(test_control_characters_in_header_params_refused),
        cmocka_unit_test(test_control_characters_in_request_names_refused),
        cmocka_unit_test(test_names_in_url_paths_cannot_change_host_or_path),
        cmocka_unit_test(test_cve_2024_6587_no_api_base_from_a_request),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
