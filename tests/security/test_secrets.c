/*
 * tests/security/test_secrets.c: keys never leave llmgw (docs/resilience.md
 * §d.3). A run with a known sentinel key per provider (OpenAI, Anthropic,
 * Gemini, Azure, Cohere, Groq; Bedrock's SigV4 secret) drives successes,
 * streams, upstream errors that echo the key back in their bodies, headers
 * and in-stream error events, refused connections, config errors and unknown
 * models; everything llmgw returns (capture.h: errors, log lines at DEBUG,
 * usage records as JSON, stream events, response JSON, metrics in both
 * renderings, cache keys and values) is then searched for each key and every
 * 8 bytes of it. The peer bugs of §c "Secrets" are named where they are
 * proven absent.
 */
#ifndef _GNU_SOURCE
#  define _GNU_SOURCE
#endif
#include "capture.h"
#include "itest.h"
#include "mock_aws.h"

#ifdef LLMGW_TEST_HAVE_CRYPTO
#  include <openssl/sha.h>
#endif

typedef struct sentinel {
    const char *provider, *model, *path, *key;
    size_t      public_prefix;          /* the key's published shape ("sk-ant-api03-"), not secret */
    const char *key_header;             /* where the mock must have received it */
} sentinel;

static const sentinel S[] = {
    { "openai", "openai/gpt-sec", "/v1", "sk-proj-fqZTJM8uAXifpFXmqvCxaLwexdLLRDHJ", 8, "authorization" },
    { "anthropic", "anthropic/claude-sec", "", "sk-ant-api03-i8oE2va3y9GUPuQx3c9F2TPbTX4CNw9A", 13, "x-api-key" },
    { "gemini", "gemini/gemini-sec", "", "AIzaSy9cDa7hJBRdy7HpAHzoN7NXAFJkBiFnhkN", 6, "x-goog-api-key" },
    { "azure", "azure/sec-deployment", "", "cEbNrzFvoKMpxCDTmup7KyTynCH8wbRL", 0, "api-key" },
    { "cohere", "cohere/command-sec", "", "qiCyZ7ujon2vF8YH89oZePbNnyBa4pXAdHPQeTW5", 0, "authorization" },
    { "groq", "groq/llama-sec", "/openai/v1", "gsk_FVrUGj3DBa2m4dhYw2RnyEdsQGzbiZ8mZJtULv69", 4, "authorization" },
};
#define NS (sizeof(S) / sizeof(S[0]))

typedef struct run {
    capture        c;
    mock_server   *srv;
    llmgw_gateway *gw;
    char           dead[96];
} run;

static void start(run *r, int with_cache)
{
    llmgw_gateway_options o;
    mock_server *tmp = NULL;

    cap_init(&r->c);
    assert_int_equal(mock_server_start(&r->srv, "127.0.0.1", 0), 0);
    assert_int_equal(mock_server_start(&tmp, "127.0.0.1", 0), 0);
    snprintf(r->dead, sizeof(r->dead), "http://127.0.0.1:%u", mock_server_port(tmp));
    mock_server_stop(tmp);
    llmgw_gateway_options_init(&o, LLMGW_GATEWAY_OPTIONS_VERSION);
    o.max_attempts = 2;
    o.log_cb = cap_on_log;
    o.log_userdata = &r->c;
    o.log_level = LLMGW_LOG_DEBUG;
    o.usage_cb = cap_on_usage;
    o.usage_userdata = &r->c;
    o.breaker_disabled = 1;
    o.idle_timeout_ms = 2000;
    assert_int_equal(llmgw_gateway_new(&r->gw, &o), 0);
    if (with_cache)
        assert_int_equal(llmgw_gateway_set_cache_backend(r->gw, &capbk_vtable, &r->c), 0);
}

static void stop(run *r)
{
    llmgw_gateway_free(r->gw);
    mock_server_stop(r->srv);
    cap_free(&r->c);
}

static void add(run *r, const char *group, const sentinel *s, const char *base_override)
{
    llmgw_deployment_options d;
    char base[256];

    if (base_override)
        snprintf(base, sizeof(base), "%s%s", base_override, s->path);
    else
        snprintf(base, sizeof(base), "%s/lane/%s%s", mock_server_base_url(r->srv), s->provider, s->path);
    llmgw_deployment_options_init(&d, LLMGW_DEPLOYMENT_OPTIONS_VERSION);
    d.group = group;
    d.model = s->model;
    d.api_base = base;
    d.api_key = s->key;
    if (llmgw_gateway_add_deployment(r->gw, &d) != 0)
        fail_msg("%s: %s", s->provider, llmgw_error_last()->message);
}

static void call(run *r, const char *group, int stream)
{
    llmgw_request *req = itest_request(group, "Tell me something.");
    llmgw_response *resp = NULL;
    int rc;

    if (stream) {
        llmgw_stream_sink sink = cap_sink(&r->c);
        rc = llmgw_complete_stream(r->gw, req, &sink, &resp);
    } else {
        rc = llmgw_complete(r->gw, req, &resp);
    }
    if (rc == 0) {
        llmgw_buf b = LLMGW_BUF_INIT;
        assert_int_equal(llmgw_response_to_json(&b, resp), 0);
        cap_add(&r->c, "response", b.ptr, b.size);
        llmgw_buf_dispose(&b);
        cap_str(&r->c, "response.deployment", llmgw_response_deployment(resp));
    } else {
        cap_error(&r->c);
    }
    llmgw_response_free(resp);
    llmgw_request_free(req);
}

/* A mock step whose error message, header and body echo the key in every shape a log might hold it. */
static char *echo_step(const sentinel *s, int status, int in_stream)
{
    cJSON *steps = cJSON_CreateArray(), *st = cJSON_CreateObject(), *h, *ev;
    char msg[512], *out;

    snprintf(msg, sizeof(msg), "Incorrect API key provided: %s. Authorization: Bearer %s; x-api-key: %s; "
             "url https://api.example.com/v1?key=%s&alt=sse; api_key=%s", s->key, s->key, s->key, s->key, s->key);
    if (in_stream) {
        ev = cJSON_CreateObject();
        cJSON_AddStringToObject(ev, "message", msg);
        cJSON_AddStringToObject(ev, "type", "server_error");
        cJSON_AddItemToObject(st, "error_event", ev);
        cJSON_AddNumberToObject(st, "error_after_events", 3);
    } else {
        cJSON_AddNumberToObject(st, "status", status);
        cJSON_AddStringToObject(st, "error_message", msg);
    }
    h = cJSON_CreateObject();
    cJSON_AddStringToObject(h, "x-echo-authorization", msg + 28);
    cJSON_AddItemToObject(st, "headers", h);
    cJSON_AddItemToArray(steps, st);
    out = cJSON_PrintUnformatted(steps);
    cJSON_Delete(steps);
    return out;
}

static void script(run *r, const char *lane, const char *json)
{
    char err[256];

    if (mock_server_script_err(r->srv, lane, json, err, sizeof(err)) != 0)
        fail_msg("script for %s: %s", lane, err);
}

/* Every scenario for one provider: its key goes upstream, and nowhere else. */
static void drive(run *r, const sentinel *s)
{
    static const int statuses[] = { 400, 401, 403, 429, 500 };
    char group[64], dead_group[64], *st;
    size_t i;

    snprintf(group, sizeof(group), "sec-%s", s->provider);
    snprintf(dead_group, sizeof(dead_group), "dead-%s", s->provider);
    add(r, group, s, NULL);
    add(r, dead_group, s, r->dead);
    call(r, group, 0);
    call(r, group, 1);
    for (i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
        st = echo_step(s, statuses[i], 0);
        script(r, s->provider, st);
        cJSON_free(st);
        call(r, group, (int)(i % 2));
    }
    st = echo_step(s, 200, 1);
    script(r, s->provider, st);
    cJSON_free(st);
    call(r, group, 1);
    call(r, dead_group, 0);
    call(r, dead_group, 1);
}

/* The key reached the mock in its header (so the sentinel was really in use), never in the URL. */
static void expect_sent_in_header(run *r, const sentinel *s)
{
    char *j = mock_server_requests(r->srv, s->provider);
    cJSON *reqs = cJSON_Parse(j), *rq = cJSON_GetArrayItem(reqs, 0);
    const cJSON *hv = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(rq, "headers"), s->key_header);
    const cJSON *it;

    free(j);
    if (!cJSON_IsString(hv) || strstr(hv->valuestring, s->key) == NULL)
        fail_msg("%s: the key did not reach the upstream in %s", s->provider, s->key_header);
    cJSON_ArrayForEach(it, reqs) {
        const char *q = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "query"));
        const char *p = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "path"));
        if ((q && (strstr(q, s->key) || strstr(q, "key="))) || (p && strstr(p, s->key)))
            fail_msg("%s: the key was sent in the URL", s->provider);
    }
    cJSON_Delete(reqs);
}

/*
 * The whole run: every provider, every scenario, then every output searched.
 * LiteLLM #6963, #8075, #15799, #24902 (Gemini's ?key= in exceptions and
 * traces); PR #25203 (an invalid key logged); the 2026-03-18 incident (raw
 * Authorization headers in spend logs); ogx-ai/ogx #3499 (telemetry printed
 * a Groq key). Would catch: a key in any error, log line, usage record,
 * stream event, metric, cache entry or introspection output (describe,
 * models, errors as JSON), including one echoed by the upstream.
 */
static void test_keys_in_no_output(void **state)
{
    run r;
    size_t i;

    (void)state;
    start(&r, 1);
    for (i = 0; i < NS; i++)
        drive(&r, &S[i]);
    call(&r, "no-such-group", 0);              /* LiteLLM #5762: an error listing every model's key */
    cap_metrics(&r.c, r.gw);
    cap_introspection(&r.c, r.gw);             /* ... or a description of every deployment */
    for (i = 0; i < NS; i++)
        expect_sent_in_header(&r, &S[i]);
    for (i = 0; i < NS; i++)
        cap_expect_absent(&r.c, S[i].provider, S[i].key, S[i].public_prefix);
    assert_true(r.c.usage_records >= NS * 10);
    assert_true(r.c.log_lines > 0);
    assert_true(r.c.cache_puts >= 1);          /* the cache path ran */
    stop(&r);
}

/* Bedrock: the SigV4 secret is never sent at all, and never shown. */
static void test_aws_secret_in_no_output(void **state)
{
    llmgw_deployment_options d;
    char base[256];
    run r;

    (void)state;
    start(&r, 1);
    snprintf(base, sizeof(base), "%s/lane/bedrock", mock_server_base_url(r.srv));
    llmgw_deployment_options_init(&d, LLMGW_DEPLOYMENT_OPTIONS_VERSION);
    d.group = "br";
    d.model = "bedrock/anthropic.claude-sec-v1:0";
    d.api_base = base;
    d.region = "us-east-1";
    d.aws_access_key_id = MOCK_AWS_ACCESS_KEY_ID;
    d.aws_secret_access_key = MOCK_AWS_SECRET_ACCESS_KEY;
    d.aws_session_token = "IQoJb3JpZ2luX2VjSBD4MSLHpKADDeP3aUqA4YUKgmTJFymUvHEceKwm";
    assert_int_equal(llmgw_gateway_add_deployment(r.gw, &d), 0);
    call(&r, "br", 0);
    call(&r, "br", 1);
    script(&r, "bedrock", "[{\"status\":403,\"error_message\":\"The request signature we calculated does not match "
                          "(secret wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY)\"}]");
    call(&r, "br", 0);
    cap_metrics(&r.c, r.gw);
    cap_expect_absent(&r.c, "bedrock secret", MOCK_AWS_SECRET_ACCESS_KEY, 0);
    cap_expect_absent(&r.c, "bedrock session token", "IQoJb3JpZ2luX2VjSBD4MSLHpKADDeP3aUqA4YUKgmTJFymUvHEceKwm", 0);
    {
        char *j = mock_server_requests(r.srv, "bedrock");
        assert_null(strstr(j, MOCK_AWS_SECRET_ACCESS_KEY));
        free(j);
    }
    stop(&r);
}

/* tmpl with every "@K@" replaced by key. */
static void fill(char *out, size_t size, const char *tmpl, const char *key)
{
    size_t n = 0, kl = strlen(key);

    while (*tmpl && n + 1 < size) {
        if (strncmp(tmpl, "@K@", 3) == 0 && n + kl + 1 < size) {
            memcpy(out + n, key, kl);
            n += kl;
            tmpl += 3;
        } else {
            out[n++] = *tmpl++;
        }
    }
    out[n] = '\0';
}

/*
 * LiteLLM #5762 (an error path returned api_key and api_base of all models)
 * and config errors: a bad config never echoes a key, in the error or the
 * log. Would catch: a key quoted in "model_list[0].litellm_params..."
 * messages.
 */
static void test_litellm_5762_config_errors_hold_no_key(void **state)
{
    static const char *const configs[] = {
        "{\"model_list\":[{\"model_name\":\"g\",\"litellm_params\":{\"model\":\"opnai/gpt\",\"api_key\":\"@K@\"}}]}",
        "{\"model_list\":[{\"model_name\":\"g\",\"litellm_params\":{\"model\":\"openai/gpt\",\"api_key\":\"@K@\","
        "\"rpm\":\"lots\"}}]}",
        "{\"model_list\":[{\"model_name\":\"g\",\"litellm_params\":{\"model\":\"openai/gpt\",\"api_key\":\"@K@\\r\\n\"}}]}",
        "{\"model_list\":[{\"model_name\":\"g\",\"litellm_params\":{\"model\":\"openai/gpt\",\"api_key\":\"@K@\\u0000x\"}}]}",
        "{\"model_list\":[{\"model_name\":\"g\",\"litellm_params\":{\"model\":\"openai/gpt\",\"api_key\":\"@K@\","
        "\"api_base\":\"http://example.com/@K@\"}}]}",
        "{\"model_list\":[{\"model_name\":\"g\",\"litellm_params\":{\"model\":\"openai/gpt\",\"api_key\":\"@K@\"}}],"
        "\"router_settings\":{\"num_retries\":\"@K@\"}}",
        "model_list:\n  - model_name: g\n    litellm_params:\n      model: openai/gpt\n      api_key: @K@\n"
        "      timeout: [@K@]\n",
    };
    const char *key = S[0].key;
    capture c;
    size_t i;

    (void)state;
    cap_init(&c);
    for (i = 0; i < sizeof(configs) / sizeof(configs[0]); i++) {
        llmgw_gateway_options o;
        llmgw_gateway *gw = NULL;
        char text[1024];
        int rc;
        fill(text, sizeof(text), configs[i], key);
        llmgw_gateway_options_init(&o, LLMGW_GATEWAY_OPTIONS_VERSION);
        o.log_cb = cap_on_log;
        o.log_userdata = &c;
        o.log_level = LLMGW_LOG_DEBUG;
        rc = llmgw_gateway_open_buffer(&gw, text, strlen(text), i == 6 ? "yaml" : "json", &o);
        if (rc == 0)
            fail_msg("config %zu accepted", i);
        cap_error(&c);
        llmgw_gateway_free(gw);
    }
    cap_expect_absent(&c, "config errors", key, S[0].public_prefix);
    cap_free(&c);
}

/*
 * LiteLLM #27884: a rate-limit error body carried the key's full SHA-256.
 * Would catch: a raw hash of the key (or 16 hex digits of it) anywhere in
 * the output: deployment ids and fingerprints must be keyed (HMAC) and short.
 */
static void test_litellm_27884_no_hash_of_the_key(void **state)
{
#ifdef LLMGW_TEST_HAVE_CRYPTO
    run r;
    size_t i, k;

    (void)state;
    start(&r, 1);
    for (i = 0; i < NS; i++)
        drive(&r, &S[i]);
    cap_metrics(&r.c, r.gw);
    for (i = 0; i < NS; i++) {
        unsigned char md[SHA256_DIGEST_LENGTH];
        char hex[2 * SHA256_DIGEST_LENGTH + 1];
        SHA256((const unsigned char *)S[i].key, strlen(S[i].key), md);
        for (k = 0; k < sizeof(md); k++)
            snprintf(hex + 2 * k, 3, "%02x", md[k]);
        cap_expect_absent_w(&r.c, "sha256(key) hex", hex, 0, 16);    /* 16: random hex elsewhere never matches */
    }
    stop(&r);
#else
    (void)state;
    skip();
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keys_in_no_output),
        cmocka_unit_test(test_aws_secret_in_no_output),
        cmocka_unit_test(test_litellm_5762_config_errors_hold_no_key),
        cmocka_unit_test(test_litellm_27884_no_hash_of_the_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
