/*
 * tests/providers/test_anthropic.c: the anthropic translation without a
 * network: canonical request -> Messages request, bodies and SSE streams ->
 * reply, error bodies -> classes. Fixtures: tests/fixtures/anthropic/ (written
 * for llmgw after Anthropic's documented examples) and the recorded SDK streams
 * in ../shared/fixtures/anthropic/ (skipped when absent).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/common.h"
#include "core/buf.h"
#include "core/json.h"
#include "core/reply.h"
#include "transport/framing.h"
#include "transport/http.h"
#include "fixture.h"

extern const llmgw_provider_vtable llmgw__provider_anthropic;
#define VT (&llmgw__provider_anthropic)

typedef struct prov {
    llmgw_provider_config cfg;
    cJSON                *params;
    void                 *state;
} prov;

static void prov_init(prov *p, const char *model, const char *api_version, const char *params_json)
{
    memset(p, 0, sizeof(*p));
    p->cfg.version = 1;
    p->cfg.provider = "anthropic";
    p->cfg.model = model;
    p->cfg.api_base = "https://api.anthropic.com";
    p->cfg.api_key = "sk-ant-test-KEY";
    p->cfg.api_version = api_version;
    if (params_json != NULL) {
        p->params = cJSON_Parse(params_json);
        assert_non_null(p->params);
        p->cfg.params = llmgw__json_view(p->params);
    }
    p->state = calloc(1, VT->state_size);
    assert_non_null(p->state);
    assert_int_equal(VT->init(p->state, &p->cfg), 0);
}

static void prov_free(prov *p)
{
    free(p->state);
    cJSON_Delete(p->params);
}

static char *must_read(const char *rel, size_t *len)
{
    char *s = fixture_read(rel, len);

    if (s == NULL)
        fail_msg("fixture %s missing", rel);
    return s;
}

/* ---- requests ---- */

static int build(prov *p, const char *json, int stream, llmgw_http_request *hr)
{
    llmgw_request *req = NULL;
    int rc;

    if (llmgw_request_from_json(&req, json, strlen(json)) != 0)
        fail_msg("request_from_json: %s", llmgw_error_last()->message);
    llmgw__http_request_init(hr);
    rc = VT->build_request(hr, p->state, req, stream);
    llmgw_request_free(req);
    return rc;
}

/* The body built for a canonical request (fails the test when the build fails). */
static cJSON *body_for(const char *model, const char *json, int stream)
{
    llmgw_http_request hr;
    size_t n;
    const char *b;
    cJSON *body;
    prov p;

    prov_init(&p, model, NULL, NULL);
    if (build(&p, json, stream, &hr) != 0)
        fail_msg("build_request: %s", llmgw_error_last()->message);
    b = llmgw_http_request_body(&hr, &n);
    body = cJSON_ParseWithLength(b, n);
    assert_non_null(body);
    llmgw__http_request_dispose(&hr);
    prov_free(&p);
    return body;
}

static void assert_json_equal(const cJSON *got, const char *want_json)
{
    cJSON *want = cJSON_Parse(want_json);
    char *g;

    assert_non_null(want);
    if (!cJSON_Compare(got, want, 1)) {
        g = cJSON_PrintUnformatted(got);
        fail_msg("got  %s\nwant %s", g, want_json);
    }
    cJSON_Delete(want);
}

static void test_request_mapping(void **state)
{
    size_t n;
    char *in = must_read("anthropic/request_canonical.json", &n);
    char *want = must_read("anthropic/request_expected.json", &n);
    cJSON *body = body_for("claude-sonnet-4-5", in, 0);

    (void)state;
    assert_json_equal(body, want);
    cJSON_Delete(body);
    free(in);
    free(want);
}

static void test_request_minimal_and_headers(void **state)
{
    static const char req[] = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    llmgw_http_request hr;
    cJSON *body;
    prov p;

    (void)state;
    prov_init(&p, "claude-sonnet-4-5-20250929", NULL, NULL);
    assert_int_equal(build(&p, req, 0, &hr), 0);
    assert_string_equal(llmgw_http_request_url(&hr), "https://api.anthropic.com/v1/messages");
    assert_string_equal(llmgw__http_request_header(&hr, "x-api-key"), "sk-ant-test-KEY");
    assert_string_equal(llmgw__http_request_header(&hr, "anthropic-version"), "2023-06-01");
    assert_string_equal(llmgw__http_request_header(&hr, "content-type"), "application/json");
    assert_null(llmgw__http_request_header(&hr, "authorization"));
    assert_null(llmgw__http_request_header(&hr, "anthropic-beta"));
    assert_null(strstr(llmgw_http_request_url(&hr), "KEY"));
    llmgw__http_request_dispose(&hr);
    prov_free(&p);

    body = body_for("claude-sonnet-4-5-20250929", req, 0);
    assert_json_equal(body, "{\"model\":\"claude-sonnet-4-5-20250929\",\"max_tokens\":64000,"
                            "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
    cJSON_Delete(body);
    body = body_for("claude-3-haiku-20240307", req, 1);
    assert_json_equal(body, "{\"model\":\"claude-3-haiku-20240307\",\"max_tokens\":4096,\"stream\":true,"
                            "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
    cJSON_Delete(body);
}

static void test_version_and_beta_headers(void **state)
{
    static const char req[] = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    llmgw_http_request hr;
    prov p;
    void *st;

    (void)state;
    prov_init(&p, "claude-opus-4-6", "2099-01-01", "{\"anthropic_beta\":\"files-api-2025-04-14\"}");
    assert_int_equal(build(&p, req, 1, &hr), 0);
    assert_string_equal(llmgw__http_request_header(&hr, "anthropic-version"), "2099-01-01");
    assert_string_equal(llmgw__http_request_header(&hr, "anthropic-beta"), "files-api-2025-04-14");
    assert_string_equal(llmgw__http_request_header(&hr, "accept"), "text/event-stream");
    llmgw__http_request_dispose(&hr);
    prov_free(&p);

    /* a non-string beta is a config error at init */
    memset(&p, 0, sizeof(p));
    p.cfg.version = 1;
    p.cfg.model = "m";
    p.cfg.api_base = "https://api.anthropic.com";
    p.params = cJSON_Parse("{\"anthropic_beta\":5}");
    p.cfg.params = llmgw__json_view(p.params);
    st = calloc(1, VT->state_size);
    assert_int_equal(VT->init(st, &p.cfg), LLMGW_EINVAL);
    assert_int_equal(llmgw_error_last()->error_class, LLMGW_ERRCLASS_CONFIG);
    free(st);
    cJSON_Delete(p.params);
}

static void test_default_max_tokens(void **state)
{
    static const struct { const char *model; int64_t want; } cases[] = {
        { "claude-opus-4-8", 128000 },          { "claude-opus-4-6-20260205", 128000 },
        { "claude-opus-4-5-20251101", 64000 },  { "claude-opus-4-1-20250805", 32000 },
        { "claude-opus-4-20250514", 32000 },    { "claude-sonnet-4-5", 64000 },
        { "claude-sonnet-4-20250514", 64000 },  { "claude-haiku-4-5", 64000 },
        { "claude-3-7-sonnet-20250219", 64000 }, { "claude-3-5-haiku-latest", 8192 },
        { "claude-3-5-sonnet-20240620", 4096 }, { "claude-3-5-sonnet-20241022", 8192 },
        { "claude-3-haiku-20240307", 4096 },    { "claude-sonnet-5", 128000 },
        { "my-finetune", 4096 },
    };
    char req[256], want[64];
    size_t i;
    cJSON *body;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        body = body_for(cases[i].model, "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", 0);
        snprintf(want, sizeof(want), "%lld", (long long)cases[i].want);
        if ((int64_t)cJSON_GetObjectItem(body, "max_tokens")->valuedouble != cases[i].want)
            fail_msg("%s: max_tokens %g, want %s", cases[i].model,
                     cJSON_GetObjectItem(body, "max_tokens")->valuedouble, want);
        cJSON_Delete(body);
    }
    /* the caller's max_tokens wins over the table */
    snprintf(req, sizeof(req), "{\"model\":\"m\",\"max_tokens\":77,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
    body = body_for("claude-opus-4-6", req, 0);
    assert_int_equal(cJSON_GetObjectItem(body, "max_tokens")->valueint, 77);
    cJSON_Delete(body);
}

#define MSG_HI "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]"

/* Unsupported members: LLMGW_EUNSUPPORTED naming them; with drop_params, left out. */
static void test_unsupported_and_drop_params(void **state)
{
    static const struct { const char *members, *needle, *absent; } cases[] = {
        { "\"seed\":7," MSG_HI, "seed", "seed" },
        { "\"temperature\":1.5," MSG_HI, "temperature", "temperature" },
        { "\"response_format\":{\"type\":\"json_object\"}," MSG_HI, "json_object", "output_config" },
        { "\"presence_penalty\":0.5," MSG_HI, "presence_penalty", "presence_penalty" },
        { "\"frequency_penalty\":-1," MSG_HI, "frequency_penalty", "frequency_penalty" },
        { "\"logprobs\":true," MSG_HI, "logprobs", "logprobs" },
        { "\"logit_bias\":{\"50256\":-100}," MSG_HI, "logit_bias", "logit_bias" },
        { "\"store\":true," MSG_HI, "store", "store" },
        { "\"service_tier\":\"flex\"," MSG_HI, "service_tier", "service_tier" },
        { "\"modalities\":[\"text\",\"audio\"]," MSG_HI, "modalities", "modalities" },
        { "\"reasoning_effort\":\"high\"," MSG_HI, "reasoning_effort", "reasoning_effort" },
        { "\"messages\":[{\"role\":\"user\",\"name\":\"bob\",\"content\":\"hi\"}]", "messages[0].name", "name" },
        { "\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"hi\"},{\"type\":\"input_audio\","
          "\"input_audio\":{\"data\":\"AAAA\",\"format\":\"wav\"}}]}]", "input_audio", "input_audio" },
        { "\"messages\":[{\"role\":\"system\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":"
          "\"https://x.example/a.png\"}}]},{\"role\":\"user\",\"content\":\"hi\"}]", "image_url", "system" },
    };
    char json[512];
    llmgw_http_request hr;
    size_t i, n;
    const char *b;
    prov p;

    (void)state;
    prov_init(&p, "claude-sonnet-4-5", NULL, NULL);
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(json, sizeof(json), "{\"model\":\"m\",%s}", cases[i].members);
        if (build(&p, json, 0, &hr) != LLMGW_EUNSUPPORTED)
            fail_msg("case %zu (%s) was not refused", i, cases[i].members);
        assert_int_equal(llmgw_error_last()->error_class, LLMGW_ERRCLASS_UNSUPPORTED);
        if (strstr(llmgw_error_last()->message, cases[i].needle) == NULL)
            fail_msg("case %zu: '%s' does not name %s", i, llmgw_error_last()->message, cases[i].needle);
        llmgw__http_request_dispose(&hr);

        snprintf(json, sizeof(json), "{\"model\":\"m\",\"drop_params\":true,%s}", cases[i].members);
        if (build(&p, json, 0, &hr) != 0)
            fail_msg("case %zu with drop_params: %s", i, llmgw_error_last()->message);
        b = llmgw_http_request_body(&hr, &n);
        if (strstr(b, cases[i].absent) != NULL)
            fail_msg("case %zu with drop_params still sends %s: %s", i, cases[i].absent, b);
        llmgw__http_request_dispose(&hr);
    }
    prov_free(&p);
}

static void test_bad_requests(void **state)
{
    static const struct { const char *members, *needle; } cases[] = {
        { "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"assistant\",\"content\":null,"
          "\"tool_calls\":[{\"id\":\"t1\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{oops\"}}]}]",
          "tool_calls[0].function.arguments is not valid JSON" },
        { "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"assistant\",\"content\":null,"
          "\"tool_calls\":[{\"id\":\"t1\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"[1,2]\"}}]}]",
          "must be a JSON object" },
        { "\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":"
          "\"data:image/png,notbase64\"}}]}]", "data:" },
        { "\"top_k\":-1," MSG_HI, "top_k" },
        { "\"top_k\":2.5," MSG_HI, "top_k" },
        { "\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"x\",\"schema\":{\"type\":\"object\"}}},"
          "\"output_config\":{\"format\":{\"type\":\"json_schema\",\"schema\":{}}}," MSG_HI, "both set" },
    };
    char json[768];
    llmgw_http_request hr;
    size_t i;
    prov p;

    (void)state;
    prov_init(&p, "claude-sonnet-4-5", NULL, NULL);
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(json, sizeof(json), "{\"model\":\"m\",%s}", cases[i].members);
        if (build(&p, json, 0, &hr) != LLMGW_EINVAL)
            fail_msg("case %zu was accepted", i);
        assert_int_equal(llmgw_error_last()->error_class, LLMGW_ERRCLASS_BAD_REQUEST);
        if (strstr(llmgw_error_last()->message, cases[i].needle) == NULL)
            fail_msg("case %zu: '%s' lacks '%s'", i, llmgw_error_last()->message, cases[i].needle);
        llmgw__http_request_dispose(&hr);
    }
    prov_free(&p);
}

static void test_turns(void **state)
{
    cJSON *body;

    (void)state;
    /* empty texts are left out, "" arguments read as {}, a refusal is replayed, system only from
     * system messages, a trailing assistant turn (prefill) is kept */
    body = body_for("claude-haiku-4-5",
        "{\"model\":\"m\",\"messages\":["
        "{\"role\":\"user\",\"content\":\"\"},{\"role\":\"user\",\"content\":\"go\"},"
        "{\"role\":\"assistant\",\"content\":\"\",\"reasoning_content\":\"hmm\",\"tool_calls\":[{\"id\":\"t1\","
        "\"type\":\"function\",\"function\":{\"name\":\"now\",\"arguments\":\"\"}}]},"
        "{\"role\":\"tool\",\"tool_call_id\":\"t1\",\"content\":\"noon\"},"
        "{\"role\":\"assistant\",\"content\":\"\",\"refusal\":\"I cannot.\"},"
        "{\"role\":\"user\",\"content\":\"ok\"},{\"role\":\"system\",\"content\":\"late system\"},"
        "{\"role\":\"user\",\"content\":\"and?\"},{\"role\":\"assistant\",\"content\":\"Well,\"}]}", 0);
    assert_json_equal(body,
        "{\"model\":\"claude-haiku-4-5\",\"max_tokens\":64000,\"system\":\"late system\",\"messages\":["
        "{\"role\":\"user\",\"content\":\"go\"},"
        "{\"role\":\"assistant\",\"content\":[{\"type\":\"tool_use\",\"id\":\"t1\",\"name\":\"now\",\"input\":{}}]},"
        "{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"t1\",\"content\":\"noon\"}]},"
        "{\"role\":\"assistant\",\"content\":\"I cannot.\"},"
        "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"ok\"},{\"type\":\"text\",\"text\":\"and?\"}]},"
        "{\"role\":\"assistant\",\"content\":\"Well,\"}]}");
    cJSON_Delete(body);

    /* a tool result that arrives after user text still goes first in the merged turn */
    body = body_for("claude-haiku-4-5",
        "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"go\"},"
        "{\"role\":\"assistant\",\"content\":\"Calling.\",\"tool_calls\":[{\"id\":\"t1\",\"type\":\"function\","
        "\"function\":{\"name\":\"f\",\"arguments\":\"{\\\"a\\\":1}\"}}]},"
        "{\"role\":\"user\",\"content\":\"hurry\"},{\"role\":\"tool\",\"tool_call_id\":\"t1\",\"content\":\"done\"}]}", 0);
    assert_json_equal(cJSON_GetObjectItem(body, "messages"),
        "[{\"role\":\"user\",\"content\":\"go\"},"
        "{\"role\":\"assistant\",\"content\":[{\"type\":\"text\",\"text\":\"Calling.\"},"
        "{\"type\":\"tool_use\",\"id\":\"t1\",\"name\":\"f\",\"input\":{\"a\":1}}]},"
        "{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"t1\",\"content\":\"done\"},"
        "{\"type\":\"text\",\"text\":\"hurry\"}]}]");
    cJSON_Delete(body);
}

static void test_tool_choice_and_params(void **state)
{
    static const struct { const char *members, *want_choice; } cases[] = {
        { "\"tool_choice\":\"auto\"", "{\"type\":\"auto\"}" },
        { "\"tool_choice\":\"none\"", "{\"type\":\"none\"}" },
        { "\"tool_choice\":\"required\"", "{\"type\":\"any\"}" },
        { "\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"f\"}}", "{\"type\":\"tool\",\"name\":\"f\"}" },
        { "\"parallel_tool_calls\":false", "{\"type\":\"auto\",\"disable_parallel_tool_use\":true}" },
        { "\"parallel_tool_calls\":true", NULL },
        { "\"tool_choice\":\"none\",\"parallel_tool_calls\":false", "{\"type\":\"none\"}" },
    };
    char json[512];
    cJSON *body;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(json, sizeof(json), "{\"model\":\"m\",%s,\"tools\":[{\"type\":\"function\",\"function\":"
                 "{\"name\":\"f\"}}]," MSG_HI "}", cases[i].members);
        body = body_for("claude-sonnet-4-5", json, 0);
        if (cases[i].want_choice == NULL)
            assert_null(cJSON_GetObjectItem(body, "tool_choice"));
        else
            assert_json_equal(cJSON_GetObjectItem(body, "tool_choice"), cases[i].want_choice);
        /* a tool without parameters gets an empty object schema */
        assert_json_equal(cJSON_GetObjectItem(body, "tools"),
                          "[{\"name\":\"f\",\"input_schema\":{\"type\":\"object\",\"properties\":{}}}]");
        cJSON_Delete(body);
    }
    /* auto without tools is not sent; stop arrays; Anthropic's own members pass through */
    body = body_for("claude-sonnet-4-5",
        "{\"model\":\"m\",\"tool_choice\":\"auto\",\"stop\":[\"a\",\"b\"],\"thinking\":{\"type\":\"enabled\","
        "\"budget_tokens\":2048},\"cache_control\":{\"type\":\"ephemeral\"},\"service_tier\":\"auto\","
        "\"inference_geo\":\"us\",\"output_config\":{\"effort\":\"high\"},\"temperature\":1,"
        "\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"x\",\"schema\":"
        "{\"type\":\"object\"}}}," MSG_HI "}", 0);
    assert_null(cJSON_GetObjectItem(body, "tool_choice"));
    assert_json_equal(cJSON_GetObjectItem(body, "stop_sequences"), "[\"a\",\"b\"]");
    assert_json_equal(cJSON_GetObjectItem(body, "thinking"), "{\"type\":\"enabled\",\"budget_tokens\":2048}");
    assert_json_equal(cJSON_GetObjectItem(body, "cache_control"), "{\"type\":\"ephemeral\"}");
    assert_string_equal(cJSON_GetObjectItem(body, "service_tier")->valuestring, "auto");
    assert_string_equal(cJSON_GetObjectItem(body, "inference_geo")->valuestring, "us");
    assert_json_equal(cJSON_GetObjectItem(body, "output_config"),
                      "{\"effort\":\"high\",\"format\":{\"type\":\"json_schema\",\"schema\":{\"type\":\"object\"}}}");
    assert_int_equal(cJSON_GetObjectItem(body, "temperature")->valueint, 1);
    cJSON_Delete(body);
    body = body_for("claude-sonnet-4-5", "{\"model\":\"m\",\"stop\":[],\"response_format\":{\"type\":\"text\"}," MSG_HI "}", 0);
    assert_null(cJSON_GetObjectItem(body, "stop_sequences"));
    assert_null(cJSON_GetObjectItem(body, "output_config"));
    cJSON_Delete(body);
}

/* ---- responses ---- */

static int parse_body(prov *p, const char *data, size_t len, llmgw_reply *r)
{
    llmgw_http_response resp;
    int rc;

    llmgw__http_response_init(&resp);
    resp.status = 200;
    assert_int_equal(llmgw__buf_put(&resp.body, data, len), 0);
    llmgw__reply_init(r, NULL, 1 << 24);
    rc = VT->parse_response(r, p->state, &resp);
    llmgw__http_response_dispose(&resp);
    return rc;
}

static int parse_fixture(prov *p, const char *rel, llmgw_reply *r)
{
    size_t n;
    char *s = must_read(rel, &n);
    int rc = parse_body(p, s, n, r);

    free(s);
    return rc;
}

static void test_parse_text(void **state)
{
    llmgw_reply r;
    prov p;

    (void)state;
    prov_init(&p, "claude-sonnet-4-5", NULL, NULL);
    assert_int_equal(parse_fixture(&p, "anthropic/response_text.json", &r), 0);
    assert_string_equal(llmgw__buf_cstr(&r.a.text), "Hi! My name is Claude.");
    assert_string_equal(r.a.id, "msg_013Zva2CMHLNnXjNJJKqJ2EF");
    assert_string_equal(r.a.model, "claude-sonnet-4-5-20250929");
    assert_int_equal(r.a.finish, LLMGW_FINISH_STOP);
    assert_string_equal(r.a.finish_raw, "end_turn");
    assert_true(r.a.usage_set);
    assert_int_equal(r.a.usage.input_tokens, 2095);
    assert_int_equal(r.a.usage.output_tokens, 503);
    assert_int_equal(r.a.ncalls, 0);
    assert_true(r.done);
    assert_false(r.has_error);
    llmgw__reply_dispose(&r);

    assert_int_equal(parse_fixture(&p, "anthropic/response_stop_sequence.json", &r), 0);
    assert_int_equal(r.a.finish, LLMGW_FINISH_STOP);
    assert_string_equal(r.a.finish_raw, "stop_sequence");
    llmgw__reply_dispose(&r);
    prov_free(&p);
}

static void test_parse_tool_use(void **state)
{
    llmgw_reply r;
    prov p;

    (void)state;
    prov_init(&p, "claude-sonnet-4-5", NULL, NULL);
    assert_int_equal(parse_fixture(&p, "anthropic/response_tool_use.json", &r), 0);
    assert_string_equal(llmgw__buf_cstr(&r.a.text), "I'll check the current weather in San Francisco for you.");
    assert_int_equal(r.a.ncalls, 2);
    assert_string_equal(r.a.calls[0].id, "toolu_01A09q90qw90lq917835lq9");
    assert_string_equal(r.a.calls[0].name, "get_weather");
    assert_string_equal(r.a.calls[0].args.ptr, "{\"location\":\"San Francisco, CA\",\"unit\":\"celsius\"}");
    assert_string_equal(r.a.calls[1].name, "get_time");
    assert_string_equal(r.a.calls[1].args.ptr, "{}");
    assert_int_equal(r.a.finish, LLMGW_FINISH_TOOL_CALLS);
    assert_string_equal(r.a.finish_raw, "tool_use");
    assert_int_equal(r.a.usage.input_tokens, 472);
    assert_int_equal(r.a.usage.output_tokens, 89);
    llmgw__reply_dispose(&r);
    prov_free(&p);
}

static void test_parse_thinking_and_cache_usage(void **state)
{
    llmgw_reply r;
    prov p;

    (void)state;
    prov_init(&p, "claude-sonnet-4-5", NULL, NULL);
    assert_int_equal(parse_fixture(&p, "anthropic/response_thinking.json", &r), 0);
    assert_string_equal(llmgw__buf_cstr(&r.a.text), "27 * 453 = 12,231");
    assert_string_equal(llmgw__buf_cstr(&r.a.reasoning), "The user asks for 27 * 453. 27 * 453 = 12231.");
    assert_int_equal(r.a.usage.input_tokens, 50 + 1200 + 3000);
    assert_int_equal(r.a.usage.cache_read_tokens, 3000);
    assert_int_equal(r.a.usage.cache_creation_tokens, 1200);
    assert_int_equal(r.a.usage.output_tokens, 180);
    assert_int_equal(r.a.usage.reasoning_tokens, 150);
    llmgw__reply_dispose(&r);
    prov_free(&p);
}

static void test_stop_reasons(void **state)
{
    static const struct { const char *raw; int want; } cases[] = {
        { "end_turn", LLMGW_FINISH_STOP },        { "stop_sequence", LLMGW_FINISH_STOP },
        { "max_tokens", LLMGW_FINISH_LENGTH },    { "model_context_window_exceeded", LLMGW_FINISH_LENGTH },
        { "tool_use", LLMGW_FINISH_TOOL_CALLS },  { "refusal", LLMGW_FINISH_CONTENT_FILTER },
        { "pause_turn", LLMGW_FINISH_OTHER },     { "something_new", LLMGW_FINISH_OTHER },
    };
    char body[256];
    llmgw_reply r;
    size_t i;
    prov p;

    (void)state;
    prov_init(&p, "claude-sonnet-4-5", NULL, NULL);
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(body, sizeof(body), "{\"id\":\"m\",\"type\":\"message\",\"model\":\"x\",\"content\":[],"
                 "\"stop_reason\":\"%s\",\"usage\":{\"input_tokens\":1,\"output_tokens\":1}}", cases[i].raw);
        assert_int_equal(parse_body(&p, body, strlen(body), &r), 0);
        assert_int_equal(r.a.finish, cases[i].want);
        assert_string_equal(r.a.finish_raw, cases[i].raw);
        llmgw__reply_dispose(&r);
    }
    prov_free(&p);
}

static void test_parse_malformed(void **state)
{
    static const char *const bodies[] = {
        "not json",
        "[1,2]",
        "{\"id\":\"m\",\"content\":\"text\"}",
        "{\"id\":\"m\",\"content\":[{\"text\":\"no type\"}]}",
        "{\"id\":\"m\",\"content\":[{\"type\":\"text\"}]}",
        "{\"id\":\"m\",\"content\":[{\"type\":\"tool_use\",\"input\":{}}]}",
        "{\"id\":\"m\",\"content\":[{\"type\":\"tool_use\",\"id\":\"t\",\"name\":\"f\",\"input\":[1]}]}",
        "{\"id\":\"m\",\"content\":[],\"usage\":{\"input_tokens\":-5,\"output_tokens\":1}}",
        "{\"id\":\"m\",\"content\":[],\"usage\":{\"input_tokens\":1.5,\"output_tokens\":1}}",
        "{\"id\":\"m\",\"content\":[],\"usage\":{\"input_tokens\":\"7\",\"output_tokens\":1}}",
        "{\"id\":\"m\",\"content\":[],\"usage\":{\"input_tokens\":1099511627776,\"output_tokens\":1}}",
        "{\"id\":\"m\",\"content\":[],\"usage\":{\"input_tokens\":600000000000,\"cache_read_input_tokens\":600000000000,"
        "\"output_tokens\":1}}",
        "{\"id\":\"m\",\"content\":[],\"usage\":{\"input_tokens\":1,\"output_tokens\":1,"
        "\"output_tokens_details\":{\"thinking_tokens\":2}}}",
        "{\"id\":\"m\",\"content\":[],\"usage\":5}",
    };
    llmgw_reply r;
    size_t i;
    prov p;

    (void)state;
    prov_init(&p, "claude-sonnet-4-5", NULL, NULL);
    for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        if (parse_body(&p, bodies[i], strlen(bodies[i]), &r) != LLMGW_EUNAVAILABLE)
            fail_msg("body %zu accepted: %s", i, bodies[i]);
        assert_int_equal(llmgw_error_last()->error_class, LLMGW_ERRCLASS_SERVER_ERROR);
        llmgw__reply_dispose(&r);
    }
    /* an error envelope in a 200 body fails the attempt with its class */
    assert_int_equal(parse_fixture(&p, "anthropic/error_529.json", &r), 0);
    assert_true(r.has_error);
    assert_int_equal(r.err_class, LLMGW_ERRCLASS_SERVER_ERROR);
    assert_int_equal(r.err_http, 529);
    assert_non_null(strstr(r.err_message, "Overloaded"));
    llmgw__reply_dispose(&r);
    prov_free(&p);
}

/* ---- streams ---- */

typedef struct feed {
    prov        *p;
    llmgw_reply *r;
    void        *ss;
    int          rc;
    int          events;
} feed;

static int on_event(void *ud, const char *event, size_t event_len, const char *data, size_t data_len)
{
    feed *f = ud;
    llmgw_stream_event ev;

    if (f->r->done)
        return 0;
    ev.event = event;
    ev.event_len = event_len;
    ev.data = data;
    ev.data_len = data_len;
    ev.exception = 0;
    f->events++;
    f->rc = VT->parse_stream_event(f->r, f->p->state, f->ss, &ev);
    return f->rc < 0 || f->r->has_error;
}

/* Feed data in pieces of `chunk` bytes through the SSE parser; the provider's last rc. */
static int run_stream(prov *p, const char *data, size_t len, size_t chunk, llmgw_reply *r)
{
    llmgw__sse sse;
    feed f;
    size_t off;
    int rc = 0;

    memset(&f, 0, sizeof(f));
    f.p = p;
    f.r = r;
    f.ss = calloc(1, VT->stream_state_size);
    assert_non_null(f.ss);
    llmgw__reply_init(r, NULL, 1 << 24);
    llmgw__sse_init(&sse, 1 << 20, on_event, &f);
    for (off = 0; off < len && rc == 0; off += chunk)
        rc = llmgw__sse_feed(&sse, data + off, LLMGW_MIN(chunk, len - off));
    llmgw__sse_dispose(&sse);
    free(f.ss);
    return f.rc;
}

static const size_t chunks[] = { 1, 7, 64, 1 << 20 };

static void test_stream_shared_recordings(void **state)
{
    char *basic, *tool;
    size_t i, blen, tlen;
    llmgw_reply r;
    prov p;

    (void)state;
    basic = shared_read("fixtures/anthropic/stream.sse", &blen);
    tool = shared_read("fixtures/anthropic/stream_tool_call.sse", &tlen);
    if (basic == NULL || tool == NULL) {
        free(basic);
        free(tool);
        skip();     /* ../shared/fixtures is not there: the recordings are read, never copied */
    }
    prov_init(&p, "claude-sonnet-4-5", NULL, NULL);
    for (i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
        assert_int_equal(run_stream(&p, basic, blen, chunks[i], &r), 0);
        assert_true(r.done);
        assert_string_equal(llmgw__buf_cstr(&r.a.text), "Hello there!");
        assert_string_equal(r.a.id, "msg_4QpJur2dWWDjF6C758FbBw5vm12BaVipnK");
        assert_string_equal(r.a.model, "claude-3-opus-latest");
        assert_int_equal(r.a.finish, LLMGW_FINISH_STOP);
        assert_int_equal(r.a.usage.input_tokens, 11);
        assert_int_equal(r.a.usage.output_tokens, 6);
        llmgw__reply_dispose(&r);

        assert_int_equal(run_stream(&p, tool, tlen, chunks[i], &r), 0);
        assert_true(r.done);
        assert_string_equal(llmgw__buf_cstr(&r.a.text), "I'll check the current weather in Paris for you.");
        assert_int_equal(r.a.ncalls, 1);
        assert_string_equal(r.a.calls[0].id, "toolu_01NRLabsLyVHZPKxbKvkfSMn");
        assert_string_equal(r.a.calls[0].name, "get_weather");
        assert_string_equal(r.a.calls[0].args.ptr, "{\"location\": \"Paris\"}");
        assert_int_equal(r.a.finish, LLMGW_FINISH_TOOL_CALLS);
        assert_int_equal(r.a.usage.input_tokens, 377);
        assert_int_equal(r.a.usage.output_tokens, 65);
        llmgw__reply_dispose(&r);
    }
    prov_free(&p);
    free(basic);
    free(tool);
}

static void test_stream_thinking_and_cumulative_usage(void **state)
{
    size_t n, i;
    char *s = must_read("anthropic/stream_thinking.sse", &n);
    llmgw_reply r;
    prov p;

    (void)state;
    prov_init(&p, "claude-sonnet-4-5", NULL, NULL);
    for (i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
        assert_int_equal(run_stream(&p, s, n, chunks[i], &r), 0);
        assert_true(r.done);
        assert_string_equal(llmgw__buf_cstr(&r.a.reasoning), "Let me add 2 and 2. That is 4.");
        assert_string_equal(llmgw__buf_cstr(&r.a.text), "2 + 2 = 4.");
        /* message_delta repeats the input counts: the last value, never the sum */
        assert_int_equal(r.a.usage.input_tokens, 20 + 100 + 300);
        assert_int_equal(r.a.usage.cache_read_tokens, 300);
        assert_int_equal(r.a.usage.cache_creation_tokens, 100);
        assert_int_equal(r.a.usage.output_tokens, 42);
        assert_int_equal(r.a.usage.reasoning_tokens, 30);
        llmgw__reply_dispose(&r);
    }
    free(s);
    prov_free(&p);
}

static void test_stream_parallel_tools(void **state)
{
    size_t n, i;
    char *s = must_read("anthropic/stream_parallel_tools.sse", &n);
    llmgw_reply r;
    prov p;

    (void)state;
    prov_init(&p, "claude-sonnet-4-5", NULL, NULL);
    for (i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
        assert_int_equal(run_stream(&p, s, n, chunks[i], &r), 0);
        assert_true(r.done);
        assert_string_equal(llmgw__buf_cstr(&r.a.text), "Checking both.");
        /* block indexes 1 and 2 are tool calls 0 and 1 */
        assert_int_equal(r.a.ncalls, 2);
        assert_string_equal(r.a.calls[0].id, "toolu_01Paris");
        assert_string_equal(r.a.calls[0].args.ptr, "{\"city\": \"Paris\"}");
        assert_string_equal(r.a.calls[1].name, "get_time");
        assert_string_equal(r.a.calls[1].args.ptr, "{}");
        assert_int_equal(r.a.finish, LLMGW_FINISH_TOOL_CALLS);
        /* message_delta without input counts keeps message_start's */
        assert_int_equal(r.a.usage.input_tokens, 410);
        assert_int_equal(r.a.usage.output_tokens, 80);
        llmgw__reply_dispose(&r);
    }
    free(s);
    prov_free(&p);
}

static void test_stream_error_and_cut(void **state)
{
    size_t n;
    char *s = must_read("anthropic/stream_error_overloaded.sse", &n);
    llmgw_reply r;
    prov p;

    (void)state;
    prov_init(&p, "claude-sonnet-4-5", NULL, NULL);
    assert_int_equal(run_stream(&p, s, n, 5, &r), 0);
    assert_true(r.has_error);
    assert_false(r.done);
    assert_int_equal(r.err_class, LLMGW_ERRCLASS_SERVER_ERROR);
    assert_int_equal(r.err_http, 529);
    assert_non_null(strstr(r.err_message, "Overloaded"));
    assert_string_equal(llmgw__buf_cstr(&r.a.text), "Partial");
    llmgw__reply_dispose(&r);
    free(s);

    /* a stream that stops before message_stop: no terminal marker, no usage invented */
    s = must_read("anthropic/stream_cut.sse", &n);
    assert_int_equal(run_stream(&p, s, n, 3, &r), 0);
    assert_false(r.done);
    assert_false(r.has_error);
    assert_false(r.a.usage_set);
    assert_int_equal(r.a.finish, LLMGW_FINISH_NONE);
    llmgw__reply_dispose(&r);
    free(s);
    prov_free(&p);
}

static void test_stream_malformed(void **state)
{
    static const char *const streams[] = {
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_de\n\n",
        "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":5000,\"content_block\":"
        "{\"type\":\"text\",\"text\":\"\"}}\n\n",
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"delta\":{\"type\":\"text_delta\",\"text\":\"x\"}}\n\n",
        "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":"
        "{\"type\":\"text\",\"text\":\"\"}}\n\nevent: content_block_delta\ndata: {\"type\":\"content_block_delta\","
        "\"index\":0,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\"}}\n\n",
        "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},"
        "\"usage\":{\"output_tokens\":-1}}\n\n",
        "event: message_start\ndata: {\"type\":\"message_start\"}\n\n",
        "event: message_start\ndata: [1]\n\n",
    };
    llmgw_reply r;
    size_t i;
    prov p;

    (void)state;
    prov_init(&p, "claude-sonnet-4-5", NULL, NULL);
    for (i = 0; i < sizeof(streams) / sizeof(streams[0]); i++) {
        if (run_stream(&p, streams[i], strlen(streams[i]), 1 << 20, &r) != LLMGW_EUNAVAILABLE)
            fail_msg("stream %zu accepted", i);
        assert_int_equal(llmgw_error_last()->error_class, LLMGW_ERRCLASS_SERVER_ERROR);
        llmgw__reply_dispose(&r);
    }
    prov_free(&p);
}

/* ---- errors ---- */

static void test_classify_errors(void **state)
{
    enum { UNCHANGED = LLMGW_ERRCLASS__COUNT };
    static const struct { int status; const char *file, *needle; int cls; } cases[] = {
        { 400, "error_400_invalid_request.json", "roles must alternate", LLMGW_ERRCLASS_BAD_REQUEST },
        { 400, "error_400_prompt_too_long.json", "prompt is too long", LLMGW_ERRCLASS_CONTEXT_LENGTH_EXCEEDED },
        { 400, "error_400_context_limit.json", "exceed context limit", LLMGW_ERRCLASS_CONTEXT_LENGTH_EXCEEDED },
        { 400, "error_400_credit_balance.json", "credit balance", LLMGW_ERRCLASS_QUOTA_EXCEEDED },
        { 400, "error_400_usage_limits.json", "usage limits", LLMGW_ERRCLASS_QUOTA_EXCEEDED },
        { 400, "error_400_content_filter.json", "content filtering", LLMGW_ERRCLASS_CONTENT_POLICY },
        { 401, "error_401.json", "invalid x-api-key", LLMGW_ERRCLASS_AUTH },
        { 402, "error_402.json", "billing_error", LLMGW_ERRCLASS_QUOTA_EXCEEDED },
        { 403, "error_403.json", "permission_error", LLMGW_ERRCLASS_AUTH },
        { 404, "error_404.json", "claude-nonexistent-9", LLMGW_ERRCLASS_NOT_FOUND },
        { 413, "error_413.json", "request_too_large", LLMGW_ERRCLASS_BAD_REQUEST },
        { 413, "error_413.html", "", UNCHANGED },
        { 429, "error_429.json", "rate limit", LLMGW_ERRCLASS_RATE_LIMIT },
        { 429, "error_429_spend_limit.json", "spend limit", LLMGW_ERRCLASS_QUOTA_EXCEEDED },
        { 500, "error_500.json", "api_error", LLMGW_ERRCLASS_SERVER_ERROR },
        { 504, "error_504.json", "timeout_error", LLMGW_ERRCLASS_TIMEOUT },
        { 529, "error_529.json", "overloaded_error: Overloaded", LLMGW_ERRCLASS_SERVER_ERROR },
    };
    llmgw_http_response resp;
    llmgw_error_info info;
    char rel[128], *body;
    size_t i, n;
    prov p;

    (void)state;
    prov_init(&p, "claude-sonnet-4-5", NULL, NULL);
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(rel, sizeof(rel), "anthropic/%s", cases[i].file);
        body = must_read(rel, &n);
        llmgw__http_response_init(&resp);
        resp.status = cases[i].status;
        assert_int_equal(llmgw__buf_put(&resp.body, body, n), 0);
        memset(&info, 0, sizeof(info));
        info.error_class = UNCHANGED;
        info.retry_after_ms = 7000;
        info.should_retry = -1;
        assert_int_equal(VT->classify_error(&info, p.state, &resp), 0);
        if (info.error_class != cases[i].cls)
            fail_msg("%s: class %d, want %d", cases[i].file, info.error_class, cases[i].cls);
        if (strstr(info.message, cases[i].needle) == NULL)
            fail_msg("%s: message '%s' lacks '%s'", cases[i].file, info.message, cases[i].needle);
        assert_int_equal(info.retry_after_ms, 7000);        /* the headers' hint is kept */
        llmgw__http_response_dispose(&resp);
        free(body);
    }
    prov_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_mapping),
        cmocka_unit_test(test_request_minimal_and_headers),
        cmocka_unit_test(test_version_and_beta_headers),
        cmocka_unit_test(test_default_max_tokens),
        cmocka_unit_test(test_unsupported_and_drop_params),
        cmocka_unit_test(test_bad_requests),
        cmocka_unit_test(test_turns),
        cmocka_unit_test(test_tool_choice_and_params),
        cmocka_unit_test(test_parse_text),
        cmocka_unit_test(test_parse_tool_use),
        cmocka_unit_test(test_parse_thinking_and_cache_usage),
        cmocka_unit_test(test_stop_reasons),
        cmocka_unit_test(test_parse_malformed),
        cmocka_unit_test(test_stream_shared_recordings),
        cmocka_unit_test(test_stream_thinking_and_cumulative_usage),
        cmocka_unit_test(test_stream_parallel_tools),
        cmocka_unit_test(test_stream_error_and_cut),
        cmocka_unit_test(test_stream_malformed),
        cmocka_unit_test(test_classify_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
