/*
 * lib/providers/cohere.c: Cohere v2 chat (docs/providers.md §6): the
 * request. Answers, streams and errors are in cohere_reply.c.
 *
 * POST {api_base}/v2/chat, api_base https://api.cohere.com (the SDK's
 * environment; CO_API_URL like the SDK), Authorization: Bearer
 * (COHERE_API_KEY, CO_API_KEY).
 *
 * Mapping from the canonical (OpenAI-shaped) request:
 *   messages          roles kept; developer -> system; user parts text and
 *                     image_url ({type:"image_url", image_url:{url, detail}},
 *                     the v2 content-part shape); assistant tool_calls kept
 *                     (arguments stay a JSON string); with tool calls, the
 *                     assistant's reasoning_content becomes tool_plan (the text
 *                     staying content), or else its text does; tool results
 *                     {role:"tool", tool_call_id, content}
 *   max_tokens / max_completion_tokens -> max_tokens; temperature; seed;
 *   top_p -> p (clamped to Cohere's [0.01, 0.99]); top_k -> k; stop ->
 *   stop_sequences; frequency_penalty / presence_penalty (Cohere: [0, 1]);
 *   tools -> tools (function.strict on every tool -> strict_tools);
 *   tool_choice none / required -> "NONE" / "REQUIRED" (auto is the default);
 *   response_format json_object -> {type:"json_object"}, json_schema ->
 *   {type:"json_object", json_schema:<schema>}.
 * Refused with LLMGW_EUNSUPPORTED (dropped under drop_params): tool_choice
 * naming a function, parallel_tool_calls false, penalties outside [0, 1],
 * more than 5 stop sequences, strict on some tools only, message names, non-text parts other than user
 * images, and every other member (user, logit_bias, logprobs, ...).
 */
#include "../core/common.h"
#include "../core/buf.h"
#include "../core/errors.h"
#include "../core/json.h"
#include "../core/request.h"
#include "cohere.h"
#include "translate.h"

#include <stdio.h>

#define P "cohere"

typedef struct cohere_state {
    const llmgw_provider_config *cfg;
    char                         base[4200];
} cohere_state;

typedef struct ctx {
    const llmgw_request *req;
    cJSON               *out;
} ctx;

/*
 * api_base as the SDK takes it (CO_API_URL, default https://api.cohere.com);
 * like its fix_base_url, a version suffix pasted onto a Cohere host
 * ("https://api.cohere.ai/v1") is dropped, since the path carries /v2.
 */
static int cohere_init(void *state, const llmgw_provider_config *cfg)
{
    cohere_state *st = state;
    size_t n;

    if (cfg->api_base == NULL || (n = strlen(cfg->api_base)) >= sizeof(st->base))
        return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG, "cohere: no usable api_base");
    memcpy(st->base, cfg->api_base, n + 1);
    if (n > 3 && (strncmp(st->base + n - 3, "/v1", 3) == 0 || strncmp(st->base + n - 3, "/v2", 3) == 0) &&
        (strstr(st->base, "cohere.com") != NULL || strstr(st->base, "cohere.ai") != NULL))
        st->base[n - 3] = '\0';
    st->cfg = cfg;
    return 0;
}

static bool is(const char *s, const char *v)
{
    return s != NULL && strcmp(s, v) == 0;
}

static int add_ref(cJSON *obj, const char *key, const cJSON *item)
{
    return llmgw__json_add_ref(obj, key, item);
}

static cJSON *text_part(const char *text)
{
    cJSON *p = cJSON_CreateObject();

    if (p == NULL || llmgw__json_add_str(p, "type", "text") < 0 || llmgw__json_add_str(p, "text", text) < 0) {
        cJSON_Delete(p);
        return NULL;
    }
    return p;
}

/* {type:"image_url", image_url:{url, detail?}}: the v2 shape is OpenAI's. */
static cJSON *image_part(const cJSON *part)
{
    const cJSON *iu = cJSON_GetObjectItemCaseSensitive(part, "image_url");
    const char *url = cJSON_IsString(iu) ? iu->valuestring : llmgw__json_str(iu, "url");
    const char *detail = llmgw__json_str(iu, "detail");
    cJSON *p = cJSON_CreateObject(), *img = cJSON_CreateObject();

    if (p == NULL || img == NULL || llmgw__json_add_str(img, "url", url) < 0 ||
        (detail != NULL && llmgw__json_add_str(img, "detail", detail) < 0) ||
        llmgw__json_add_str(p, "type", "image_url") < 0) {
        cJSON_Delete(p);
        cJSON_Delete(img);
        return NULL;
    }
    if (llmgw__json_add_item(p, "image_url", img) < 0) {
        cJSON_Delete(p);
        return NULL;
    }
    return p;
}

/* content -> Cohere content: parts (images only for user), or one string (flat). */
static int map_parts(const ctx *c, cJSON *m, const char *role, const cJSON *content, size_t mi, bool images,
                     bool flat)
{
    const cJSON *part;
    cJSON *arr;
    llmgw_buf text = LLMGW_BUF_INIT;
    size_t pi = 0;
    int rc = 0;

    if (!cJSON_IsArray(content))
        return llmgw__json_add_str(m, "content", cJSON_IsString(content) ? content->valuestring : "");
    if ((arr = cJSON_CreateArray()) == NULL)
        return llmgw__error_oom();
    cJSON_ArrayForEach(part, content) {
        const char *type = llmgw__json_str(part, "type");
        cJSON *p = NULL;
        if (is(type, "text") && flat)
            rc = llmgw__buf_puts(&text, llmgw__json_str(part, "text"));
        else if (is(type, "text") && (p = text_part(llmgw__json_str(part, "text"))) == NULL)
            rc = llmgw__error_oom();
        else if (is(type, "image_url") && images && (p = image_part(part)) == NULL)
            rc = llmgw__error_oom();
        else if (!is(type, "text") && !(is(type, "image_url") && images))
            rc = llmgw__translate_refuse(c->req, P, "messages[%zu].content[%zu] of type '%.32s' in a %s message",
                                         mi, pi, type ? type : "?", role);
        if (rc == 0 && p != NULL && llmgw__json_append(arr, p) < 0)
            rc = llmgw__error_oom();
        if (rc < 0)
            break;
        pi++;
    }
    if (rc == 0 && flat) {
        cJSON_Delete(arr);
        if ((arr = cJSON_CreateString(llmgw__buf_cstr(&text))) == NULL)
            rc = llmgw__error_oom();
    }
    llmgw_buf_dispose(&text);
    if (rc < 0) {
        cJSON_Delete(arr);
        return rc;
    }
    return llmgw__json_add_item(m, "content", arr);
}

static int map_tool_calls(cJSON *m, const cJSON *calls)
{
    const cJSON *tc;
    cJSON *arr = cJSON_CreateArray();

    if (arr == NULL || llmgw__json_add_item(m, "tool_calls", arr) < 0)
        return llmgw__error_oom();
    cJSON_ArrayForEach(tc, calls) {
        const cJSON *fn = cJSON_GetObjectItemCaseSensitive(tc, "function");
        cJSON *o = cJSON_CreateObject(), *f = cJSON_CreateObject();
        if (o == NULL || f == NULL || llmgw__json_add_str(o, "id", llmgw__json_str(tc, "id")) < 0 ||
            llmgw__json_add_str(o, "type", "function") < 0 ||
            llmgw__json_add_str(f, "name", llmgw__json_str(fn, "name")) < 0 ||
            llmgw__json_add_str(f, "arguments", llmgw__json_str(fn, "arguments")) < 0) {
            cJSON_Delete(o);
            cJSON_Delete(f);
            return llmgw__error_oom();
        }
        LLMGW_TRY(llmgw__translate_add_function(arr, o, f));
    }
    return 0;
}

static const char *const message_members[] = { "role", "content", "tool_calls", "tool_call_id",
                                                 "reasoning_content", "refusal" };

static int map_message(const ctx *c, cJSON *arr, const cJSON *msg, size_t mi)
{
    const char *role = llmgw__json_str(msg, "role");
    const cJSON *content = cJSON_GetObjectItemCaseSensitive(msg, "content");
    const cJSON *calls = cJSON_GetObjectItemCaseSensitive(msg, "tool_calls"), *it;
    const char *plan = llmgw__json_str(msg, "reasoning_content");
    cJSON *m, *text;
    size_t i;

    cJSON_ArrayForEach(it, msg) {
        for (i = 0; i < LLMGW_ARRAY_SIZE(message_members) && strcmp(it->string, message_members[i]); i++)
            ;
        if (i == LLMGW_ARRAY_SIZE(message_members) && !cJSON_IsNull(it))
            LLMGW_TRY(llmgw__translate_refuse(c->req, P, "messages[%zu].%.64s", mi, it->string));
    }
    if ((m = cJSON_CreateObject()) == NULL || llmgw__json_append(arr, m) < 0)
        return llmgw__error_oom();
    if (is(role, "system") || is(role, "developer")) {
        LLMGW_TRY(llmgw__json_add_str(m, "role", "system"));
        return map_parts(c, m, role, content, mi, false, false);
    }
    LLMGW_TRY(llmgw__json_add_str(m, "role", role));
    if (is(role, "user"))
        return map_parts(c, m, role, content, mi, true, false);
    if (is(role, "tool")) {
        LLMGW_TRY(llmgw__json_add_str(m, "tool_call_id", llmgw__json_str(msg, "tool_call_id")));
        return map_parts(c, m, role, content, mi, false, true);
    }
    /* assistant: content is one string */
    LLMGW_TRY(map_parts(c, m, role, content, mi, false, true));
    if (cJSON_GetArraySize(calls) == 0)
        return 0;
    LLMGW_TRY(map_tool_calls(m, calls));
    /* with tool calls, Cohere's tool_plan is the reasoning before them: reasoning_content, else the text */
    text = cJSON_DetachItemFromObjectCaseSensitive(m, "content");
    if (plan != NULL && *plan != '\0') {
        if (text != NULL && text->valuestring[0] != '\0')
            LLMGW_TRY(llmgw__json_add_item(m, "content", text));
        else
            cJSON_Delete(text);
        return llmgw__json_add_str(m, "tool_plan", plan);
    }
    if (text != NULL && text->valuestring[0] != '\0')
        return llmgw__json_add_item(m, "tool_plan", text);
    cJSON_Delete(text);
    return 0;
}

static int map_messages(const ctx *c, const cJSON *v)
{
    const cJSON *msg;
    cJSON *arr = cJSON_CreateArray();
    size_t mi = 0;

    if (llmgw__json_add_item(c->out, "messages", arr) < 0)
        return llmgw__error_oom();
    cJSON_ArrayForEach(msg, v)
        LLMGW_TRY(map_message(c, arr, msg, mi++));
    return 0;
}

static int map_tools(const ctx *c, const cJSON *v)
{
    const cJSON *t;
    cJSON *arr = cJSON_CreateArray();
    size_t strict = 0, n = 0;

    if (llmgw__json_add_item(c->out, "tools", arr) < 0)
        return llmgw__error_oom();
    cJSON_ArrayForEach(t, v) {
        const cJSON *fn = cJSON_GetObjectItemCaseSensitive(t, "function");
        const cJSON *params = cJSON_GetObjectItemCaseSensitive(fn, "parameters");
        const char *desc = llmgw__json_str(fn, "description");
        cJSON *o = cJSON_CreateObject(), *f = cJSON_CreateObject();
        if (o == NULL || f == NULL || llmgw__json_add_str(o, "type", "function") < 0 ||
            llmgw__json_add_str(f, "name", llmgw__json_str(fn, "name")) < 0 ||
            (desc != NULL && llmgw__json_add_str(f, "description", desc) < 0) ||
            (cJSON_IsObject(params) && add_ref(f, "parameters", params) < 0)) {
            cJSON_Delete(o);
            cJSON_Delete(f);
            return llmgw__error_oom();
        }
        LLMGW_TRY(llmgw__translate_add_function(arr, o, f));
        strict += cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(fn, "strict"));
        n++;
    }
    if (strict > 0 && strict == n)
        return llmgw__json_add_bool(c->out, "strict_tools", true);
    if (strict > 0)
        return llmgw__translate_refuse(c->req, P, "function.strict on some tools only");
    return 0;
}

static int map_tool_choice(const ctx *c, const cJSON *v)
{
    if (cJSON_IsString(v) && is(v->valuestring, "auto"))
        return 0;
    if (cJSON_IsString(v) && is(v->valuestring, "none"))
        return llmgw__json_add_str(c->out, "tool_choice", "NONE");
    if (cJSON_IsString(v) && is(v->valuestring, "required"))
        return llmgw__json_add_str(c->out, "tool_choice", "REQUIRED");
    return llmgw__translate_refuse(c->req, P, "tool_choice naming a function (only none and required)");
}

static int map_response_format(const ctx *c, const cJSON *v)
{
    const char *type = llmgw__json_str(v, "type");
    cJSON *rf;

    if (is(type, "text"))
        return 0;
    if ((rf = cJSON_CreateObject()) == NULL || llmgw__json_add_item(c->out, "response_format", rf) < 0 ||
        llmgw__json_add_str(rf, "type", "json_object") < 0)
        return llmgw__error_oom();
    if (is(type, "json_schema"))
        return add_ref(rf, "json_schema",
                       cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(v, "json_schema"),
                                                        "schema"));
    return 0;
}

static int map_penalty(const ctx *c, const cJSON *v)
{
    if (v->valuedouble < 0 || v->valuedouble > 1)
        return llmgw__translate_refuse(c->req, P, "%s outside [0, 1]", v->string);
    return llmgw__json_add_num(c->out, v->string, v->valuedouble);
}

static int map_member(const ctx *c, const cJSON *v)
{
    const char *k = v->string;
    cJSON *stops;

    if (cJSON_IsNull(v) || is(k, "model") || is(k, "max_tokens") || is(k, "max_completion_tokens") ||
        is(k, "n"))
        return 0;                   /* model and max_tokens are set by the caller; n is 1 */
    if (is(k, "messages"))
        return map_messages(c, v);
    if (is(k, "temperature") || is(k, "seed"))
        return add_ref(c->out, k, v);
    if (is(k, "top_p"))
        return llmgw__json_add_num(c->out, "p", LLMGW_MIN(LLMGW_MAX(v->valuedouble, 0.01), 0.99));
    if (is(k, "top_k")) {
        uint64_t kk;
        if (llmgw__json_token_count(v, &kk) < 0 || kk > 500)
            return llmgw__translate_bad(P, "top_k must be an integer in [0, 500]");
        return llmgw__json_add_num(c->out, "k", (double)kk);
    }
    if (is(k, "frequency_penalty") || is(k, "presence_penalty"))
        return map_penalty(c, v);
    if (is(k, "stop")) {
        if (cJSON_GetArraySize(v) > 5)      /* the API takes at most 5 */
            return llmgw__translate_refuse(c->req, P, "more than 5 stop sequences");
        LLMGW_TRY(llmgw__translate_stop(&stops, v));
        return llmgw__json_add_item(c->out, "stop_sequences", stops);
    }
    if (is(k, "tools"))
        return map_tools(c, v);
    if (is(k, "tool_choice"))
        return map_tool_choice(c, v);
    if (is(k, "response_format"))
        return map_response_format(c, v);
    if (is(k, "parallel_tool_calls") && cJSON_IsTrue(v))
        return 0;                   /* Cohere may call several tools at once */
    return llmgw__translate_refuse(c->req, P, "'%.64s'", k);
}

int llmgw__cohere_body(llmgw_buf *out, const llmgw_request *req, const char *model, int stream)
{
    const cJSON *it;
    int64_t max_tokens = llmgw__request_max_tokens(req);
    ctx c;
    int rc = 0;

    c.req = req;
    if ((c.out = cJSON_CreateObject()) == NULL)
        return llmgw__error_oom();
    if (llmgw__json_add_str(c.out, "model", model) < 0 || llmgw__json_add_bool(c.out, "stream", stream != 0) < 0 ||
        (max_tokens > 0 && llmgw__json_add_num(c.out, "max_tokens", (double)max_tokens) < 0))
        rc = llmgw__error_oom();
    cJSON_ArrayForEach(it, llmgw__request_body(req)) {
        if (rc < 0 || (rc = map_member(&c, it)) < 0)
            break;
    }
    if (rc == 0)
        rc = llmgw__json_print(out, c.out);
    cJSON_Delete(c.out);
    return rc;
}

static int cohere_build_request(llmgw_http_request *out, void *state, const llmgw_request *req, int stream)
{
    const cohere_state *st = state;
    llmgw_buf body = LLMGW_BUF_INIT;
    int rc;

    LLMGW_TRY(llmgw_http_request_set_url(out, st->base));
    LLMGW_TRY(llmgw_http_request_append_url(out, "/v2/chat"));
    LLMGW_TRY(llmgw_http_request_add_header(out, "Content-Type", "application/json"));
    LLMGW_TRY(llmgw_http_request_add_header(out, "Accept", stream ? "text/event-stream" : "application/json"));
    if (st->cfg->api_key != NULL)
        LLMGW_TRY(llmgw__translate_bearer(out, st->cfg->api_key));
    rc = llmgw__cohere_body(&body, req, st->cfg->model, stream);
    if (rc == 0)
        rc = llmgw_http_request_set_body(out, body.ptr, body.size);
    llmgw_buf_dispose(&body);
    return rc;
}

const llmgw_provider_vtable llmgw__provider_cohere = {
    .version = LLMGW_PROVIDER_VTABLE_VERSION,
    .name = "cohere",
    .capabilities = LLMGW_CAP_STREAM | LLMGW_CAP_TOOLS | LLMGW_CAP_VISION | LLMGW_CAP_JSON_MODE,
    .stream_framing = LLMGW_FRAMING_SSE,
    .default_api_base = "https://api.cohere.com",
    .env_api_key = "COHERE_API_KEY,CO_API_KEY",
    .env_api_base = "CO_API_URL",
    .env_api_version = NULL,
    .state_size = sizeof(cohere_state),
    .stream_state_size = sizeof(llmgw__cohere_stream),
    .init = cohere_init,
    .build_request = cohere_build_request,
    .parse_response = llmgw__cohere_parse_response,
    .parse_stream_event = llmgw__cohere_parse_stream_event,
    .classify_error = llmgw__cohere_classify_error,
    .cleanup = NULL,
};
