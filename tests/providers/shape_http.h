/*
 * tests/providers/shape_http.h: the cross-provider shape tests (http_shape.c,
 * http_shape_errors.c): one deployment of every provider, each on its own
 * mock lane, all with the same custom prices, and the helpers that compare
 * what each returns. The same mock step goes to every lane, so each dialect
 * renders the same text, usage counts and tool calls in its own wire format;
 * the normalized outputs must then be equal, except for the differences
 * listed in shape_provs[] (each one says why). Header-only (static inline),
 * public API and the mock only.
 */
#ifndef LLMGW_TESTS_SHAPE_HTTP_H
#define LLMGW_TESTS_SHAPE_HTTP_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "itest.h"
#include "mock_aws.h"

#define SHAPE_KEY "sk-shape-SECRET-0123456789"
/* Custom prices of every deployment: 1 and 4 USD per million tokens (1000 and 4000 nano-USD per token). */
#define SHAPE_IN_PRICE  0.000001
#define SHAPE_OUT_PRICE 0.000004
#define SHAPE_IN_NUSD   1000
#define SHAPE_OUT_NUSD  4000

/* The usage every step reports (the mock renders it in each dialect's own fields). */
#define SHAPE_PROMPT    120
#define SHAPE_COMPL     30
#define SHAPE_CACHED    40
#define SHAPE_REASONING 10
#define SHAPE_USAGE "\"usage\":{\"prompt_tokens\":120,\"completion_tokens\":30,\"cached_tokens\":40," \
                    "\"reasoning_tokens\":10}"
/* OpenAI-family switches every step carries; the other dialects ignore them: usage on the finish
 * chunk for the members that never send stream_options (Mistral, Fireworks), and no key needed
 * for the local servers configured without one. */
#define SHAPE_QUIRKS "\"usage_on_finish\":true,\"auth_optional\":true"

typedef struct shape_prov {
    const char *id;             /* group name and mock lane */
    const char *model;          /* "provider/model" */
    const char *base;           /* path after {mock}/lane/<id> (the vendor SDK's convention) */
    int         no_key;         /* a local server: no credential configured */
    int         aws;            /* SigV4 with the mock's test credentials */
    /* Legitimate differences (each row of shape_provs[] says why). */
    int         no_response_id;     /* the wire format carries no response id */
    int         no_cache_read;      /* the usage has no cache-read count */
    int         no_reasoning;       /* the usage has no reasoning-token count */
    int         no_cache_write;     /* the usage has no cache-write count */
    int         tool_id_synthesized; /* the wire format carries no tool-call id: llmgw makes one */
    int         no_content_filter;  /* no finish reason for filtered output */
    const char *raw_stop, *raw_tool, *raw_length, *raw_filter;  /* finish_reason_raw per case */
} shape_prov;

#define OAI_RAW "stop", "tool_calls", "length", "content_filter"

static const shape_prov shape_provs[] = {
    /* the reference: every other provider is compared with it */
    { "openai", "openai/gpt-4o-mini", "/v1", 0, 0, 0, 0, 0, 0, 0, 0, OAI_RAW },
    { "azure", "azure/gpt4o-prod", "", 0, 0, 0, 0, 0, 0, 0, 0, OAI_RAW },
    /* Anthropic: input_tokens excludes the cache parts; llmgw adds them back */
    { "anthropic", "anthropic/claude-sonnet-4-5", "", 0, 0, 0, 0, 0, 0, 0, 0,
      "end_turn", "tool_use", "max_tokens", "refusal" },
    /* Gemini: functionCall parts carry no id (the mock sends none, as Gemini usually does);
     * usageMetadata has no cache-write count (implicit caching has no write charge);
     * a tool call's finish is STOP */
    { "gemini", "gemini/gemini-2.5-flash", "", 0, 0, 0, 0, 0, 1, 1, 0, "STOP", "STOP", "MAX_TOKENS", "SAFETY" },
    /* Bedrock Converse: no response id in the body; TokenUsage has no reasoning count */
    { "bedrock", "bedrock/anthropic.claude-3-5-sonnet-20240620-v1:0", "", 0, 1, 1, 0, 1, 0, 0, 0,
      "end_turn", "tool_use", "max_tokens", "content_filtered" },
    /* Cohere v2: usage has tokens, billed_units and cached_tokens only (no reasoning, no cache
     * write); its finish reasons have no content-filter value */
    { "cohere", "cohere/command-a-03-2025", "", 0, 0, 0, 0, 1, 1, 0, 1, "COMPLETE", "TOOL_CALL", "MAX_TOKENS", NULL },
    /* Ollama native: no id, only prompt_eval_count and eval_count, done_reason stop/length only
     * (a tool call ends with "stop"); no key (local server) */
    { "ollama", "ollama/llama3.2", "", 1, 0, 1, 1, 1, 1, 0, 1, "stop", "stop", "length", NULL },
    /* the OpenAI-compatible family: OpenAI's wire format, so no difference; local servers without a key */
    { "groq", "groq/llama-3.3-70b-versatile", "/openai/v1", 0, 0, 0, 0, 0, 0, 0, 0, OAI_RAW },
    { "mistral", "mistral/mistral-large-latest", "/v1", 0, 0, 0, 0, 0, 0, 0, 0, OAI_RAW },
    { "deepseek", "deepseek/deepseek-chat", "", 0, 0, 0, 0, 0, 0, 0, 0, OAI_RAW },
    { "together", "together/meta-llama/Llama-3.3-70B-Instruct-Turbo", "/v1", 0, 0, 0, 0, 0, 0, 0, 0, OAI_RAW },
    { "openrouter", "openrouter/openai/gpt-4o", "/api/v1", 0, 0, 0, 0, 0, 0, 0, 0, OAI_RAW },
    { "fireworks", "fireworks/accounts/fireworks/models/llama-v3p1-8b-instruct", "/inference/v1", 0, 0,
      0, 0, 0, 0, 0, 0, OAI_RAW },
    { "xai", "xai/grok-4", "/v1", 0, 0, 0, 0, 0, 0, 0, 0, OAI_RAW },
    { "vllm", "vllm/meta-llama/Llama-3.1-8B-Instruct", "/v1", 1, 0, 0, 0, 0, 0, 0, 0, OAI_RAW },
    { "llamacpp", "llamacpp/local", "/v1", 1, 0, 0, 0, 0, 0, 0, 0, OAI_RAW },
    { "lmstudio", "lmstudio/qwen2.5-7b-instruct", "/v1", 1, 0, 0, 0, 0, 0, 0, 0, OAI_RAW },
};
#define SHAPE_N (sizeof(shape_provs) / sizeof(shape_provs[0]))

typedef struct shape {
    itest  t;
    int    records;             /* usage hook calls */
    cJSON *record;              /* the last usage record, as llmgw_usage_to_json() renders it */
} shape;

static inline void shape_on_usage(const llmgw_usage *u, void *userdata)
{
    shape *s = userdata;
    llmgw_buf b = LLMGW_BUF_INIT;

    s->records++;
    cJSON_Delete(s->record);
    s->record = NULL;
    if (llmgw_usage_to_json(&b, u) == 0)
        s->record = cJSON_Parse(b.ptr);
    llmgw_buf_dispose(&b);
}

static inline void shape_options(shape *s, llmgw_gateway_options *o)
{
    llmgw_gateway_options_init(o, LLMGW_GATEWAY_OPTIONS_VERSION);
    o->max_attempts = 1;
    o->breaker_disabled = 1;
    o->idle_timeout_ms = 5000;
    o->usage_cb = shape_on_usage;
    o->usage_userdata = s;
}

static inline void shape_add_all(shape *s)
{
    char base[256];
    size_t i;

    for (i = 0; i < SHAPE_N; i++) {
        const shape_prov *p = &shape_provs[i];
        llmgw_deployment_options d;

        snprintf(base, sizeof(base), "%s/lane/%s%s", mock_server_base_url(s->t.srv), p->id, p->base);
        llmgw_deployment_options_init(&d, LLMGW_DEPLOYMENT_OPTIONS_VERSION);
        d.group = p->id;
        d.model = p->model;
        d.api_base = base;
        d.api_key = p->no_key || p->aws ? NULL : SHAPE_KEY;
        if (p->aws) {
            d.region = "us-east-1";
            d.aws_access_key_id = MOCK_AWS_ACCESS_KEY_ID;
            d.aws_secret_access_key = MOCK_AWS_SECRET_ACCESS_KEY;
        }
        d.custom_prices = 1;
        d.input_cost_per_token = SHAPE_IN_PRICE;
        d.output_cost_per_token = SHAPE_OUT_PRICE;
        if (llmgw_gateway_add_deployment(s->t.gw, &d) != 0)
            fail_msg("add_deployment %s: %s", p->model, llmgw_error_last()->message);
    }
}

/* The mock and a gateway with one deployment of every provider. */
static inline void shape_start(shape *s)
{
    llmgw_gateway_options o;

    memset(s, 0, sizeof(*s));
    shape_options(s, &o);
    itest_start(&s->t, &o);
    shape_add_all(s);
}

/* A fresh gateway on the same mock (so no deployment state carries over). */
static inline void shape_new_gateway(shape *s)
{
    llmgw_gateway_options o;

    llmgw_gateway_free(s->t.gw);
    s->t.gw = NULL;
    shape_options(s, &o);
    assert_int_equal(llmgw_gateway_new(&s->t.gw, &o), 0);
    shape_add_all(s);
}

static inline void shape_stop(shape *s)
{
    itest_stop(&s->t);
    cJSON_Delete(s->record);
    s->record = NULL;
}

/* The same script on every lane. */
static inline void shape_script_all(shape *s, const char *script)
{
    size_t i;

    for (i = 0; i < SHAPE_N; i++)
        itest_script(&s->t, shape_provs[i].id, script);
}

/* A request from canonical JSON text whose "%s" becomes the provider's group. */
static inline llmgw_request *shape_req(const char *tmpl, const shape_prov *p)
{
    llmgw_request *req = NULL;
    const char *at = strstr(tmpl, "%s");
    char json[4096];

    assert_non_null(at);
    snprintf(json, sizeof(json), "%.*s%s%s", (int)(at - tmpl), tmpl, p->id, at + 2);
    if (llmgw_request_from_json(&req, json, strlen(json)) != 0)
        fail_msg("request: %s", llmgw_error_last()->message);
    return req;
}

/* Take the last usage record (the caller owns it); fails unless exactly one came since the mark. */
static inline cJSON *shape_take_record(shape *s, int records_before, const shape_prov *p)
{
    cJSON *r = s->record;

    if (s->records != records_before + 1)
        fail_msg("%s: %d usage records for one request", p->id, s->records - records_before);
    if (r == NULL)
        fail_msg("%s: the usage record did not render as JSON", p->id);
    s->record = NULL;
    return r;
}

static inline char *shape_print(const cJSON *j)
{
    return j ? cJSON_PrintUnformatted(j) : NULL;
}

/* a and b are equal JSON; otherwise the test fails showing both. */
static inline void shape_assert_json_equal(const char *what, const shape_prov *p, const cJSON *got,
                                           const cJSON *want)
{
    if (!cJSON_Compare(got, want, 1)) {
        char *g = shape_print(got), *w = shape_print(want);
        print_error("%s: %s\n  got:  %s\n  want: %s\n", p->id, what, g ? g : "(null)", w ? w : "(null)");
        free(g);
        free(w);
        fail_msg("%s: %s differs", p->id, what);
    }
}

/* JSON text a equals JSON text b as values (key order and spacing aside). */
static inline void shape_assert_json_text(const char *what, const shape_prov *p, const char *got, size_t got_len,
                                          const char *want)
{
    cJSON *g = cJSON_ParseWithLength(got, got_len), *w = cJSON_Parse(want);

    if (g == NULL)
        fail_msg("%s: %s is not JSON: %.*s", p->id, what, (int)got_len, got);
    assert_non_null(w);
    shape_assert_json_equal(what, p, g, w);
    cJSON_Delete(g);
    cJSON_Delete(w);
}

static inline int shape_key_in(const char *key, const char *const *keys)
{
    for (; *keys; keys++)
        if (strcmp(key, *keys) == 0)
            return 1;
    return 0;
}

/*
 * The usage record's shape: the same keys with the same JSON types as the reference record
 * (recursively; arrays by their first element), except the keys in may_type_differ; and the same
 * values for every key not in may_value_differ (these are compared at the top level and in the
 * first trail entry).
 */
static inline void shape_assert_record_like(const shape_prov *p, const cJSON *got, const cJSON *ref,
                                            const char *const *may_type_differ,
                                            const char *const *may_value_differ, const char *where)
{
    const cJSON *g, *r;

    if ((got->type & 0xFF) != (ref->type & 0xFF))
        fail_msg("%s: usage record %s: JSON type %d, reference %d", p->id, where, got->type & 0xFF,
                 ref->type & 0xFF);
    if (cJSON_IsArray(ref)) {
        if (cJSON_GetArraySize(got) != cJSON_GetArraySize(ref))
            fail_msg("%s: usage record %s: %d entries, reference %d", p->id, where, cJSON_GetArraySize(got),
                     cJSON_GetArraySize(ref));
        if (cJSON_GetArraySize(ref) > 0)
            shape_assert_record_like(p, got->child, ref->child, may_type_differ, may_value_differ, where);
        return;
    }
    if (!cJSON_IsObject(ref))
        return;
    cJSON_ArrayForEach(r, ref)
        if (!cJSON_HasObjectItem(got, r->string))
            fail_msg("%s: usage record %s lacks \"%s\"", p->id, where, r->string);
    cJSON_ArrayForEach(g, got) {
        r = cJSON_GetObjectItemCaseSensitive(ref, g->string);
        if (r == NULL)
            fail_msg("%s: usage record %s has an extra \"%s\"", p->id, where, g->string);
        if (shape_key_in(g->string, may_type_differ))
            continue;
        if ((g->type & 0xFF) != (r->type & 0xFF))
            fail_msg("%s: usage record %s: \"%s\" has JSON type %d, reference %d", p->id, where, g->string,
                     g->type & 0xFF, r->type & 0xFF);
        if (cJSON_IsArray(r) || cJSON_IsObject(r))
            shape_assert_record_like(p, g, r, may_type_differ, may_value_differ, g->string);
        else if (!shape_key_in(g->string, may_value_differ) && !cJSON_Compare(g, r, 1)) {
            char *gs = shape_print(g), *rs = shape_print(r);
            print_error("%s: usage record %s: \"%s\" is %s, reference %s\n", p->id, where, g->string, gs, rs);
            free(gs);
            free(rs);
            fail_msg("%s: usage record %s: \"%s\" differs from the reference", p->id, where, g->string);
        }
    }
}

static inline long long shape_num(const cJSON *o, const char *key)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);

    return cJSON_IsNumber(it) ? (long long)it->valuedouble : -999999;
}

#endif
