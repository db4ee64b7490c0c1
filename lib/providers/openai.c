/*
 * lib/providers/openai.c: OpenAI Chat Completions (docs/wire-formats.md §1).
 */
#include "../core/common.h"
#include "../core/buf.h"
#include "../core/errors.h"
#include "../core/json.h"
#include "../core/request.h"
#include "openai.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

typedef struct openai_state {
    const llmgw_provider_config *cfg;
} openai_state;

static int openai_init(void *state, const llmgw_provider_config *cfg)
{
    openai_state *st = state;

    if (cfg->api_base == NULL)
        return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG, "openai: no api_base");
    st->cfg = cfg;
    return 0;
}

int llmgw__openai_body(llmgw_buf *out, const llmgw_request *req, const char *model, int stream,
                       bool include_model)
{
    const cJSON *body = llmgw__request_body(req), *it;
    cJSON *o = cJSON_CreateObject(), *so;
    int rc = 0;

    if (o == NULL)
        return llmgw__error_oom();
    /* references to the canonical members: no deep copy of messages */
    cJSON_ArrayForEach(it, body) {
        if (strcmp(it->string, "model") == 0) {
            if (include_model && llmgw__json_add_str(o, "model", model) < 0)
                goto oom;
            continue;
        }
        if (!cJSON_AddItemReferenceToObject(o, it->string, (cJSON *)(uintptr_t)it))
            goto oom;
    }
    if (stream) {
        if (llmgw__json_add_bool(o, "stream", true) < 0)
            goto oom;
        so = cJSON_CreateObject();
        if (llmgw__json_add_item(o, "stream_options", so) < 0 ||
            llmgw__json_add_bool(so, "include_usage", true) < 0)
            goto oom;
    }
    rc = llmgw__json_print(out, o);
    cJSON_Delete(o);
    return rc;
oom:
    cJSON_Delete(o);
    return llmgw__error_oom();
}

static int openai_build_request(llmgw_http_request *out, void *state, const llmgw_request *req, int stream)
{
    const openai_state *st = state;
    llmgw_buf body = LLMGW_BUF_INIT;
    char auth[4200];
    int rc;

    LLMGW_TRY(llmgw_http_request_set_url(out, st->cfg->api_base));
    LLMGW_TRY(llmgw_http_request_append_url(out, "/chat/completions"));
    LLMGW_TRY(llmgw_http_request_add_header(out, "Content-Type", "application/json"));
    if (stream)
        LLMGW_TRY(llmgw_http_request_add_header(out, "Accept", "text/event-stream"));
    if (st->cfg->api_key != NULL) {
        int n = snprintf(auth, sizeof(auth), "Bearer %s", st->cfg->api_key);
        rc = llmgw_http_request_add_header(out, "Authorization", auth);
        llmgw__zeroize(auth, n > 0 && (size_t)n < sizeof(auth) ? (size_t)n : sizeof(auth));
        LLMGW_TRY(rc);
    }
    if (st->cfg->organization != NULL)
        LLMGW_TRY(llmgw_http_request_add_header(out, "OpenAI-Organization", st->cfg->organization));
    rc = llmgw__openai_body(&body, req, st->cfg->model, stream, true);
    if (rc == 0)
        rc = llmgw_http_request_set_body(out, body.ptr, body.size);
    llmgw_buf_dispose(&body);
    return rc;
}

int llmgw__openai_finish(const char *s)
{
    if (s == NULL)
        return LLMGW_FINISH_NONE;
    if (strcmp(s, "stop") == 0 || strcmp(s, "eos") == 0)
        return LLMGW_FINISH_STOP;
    if (strcmp(s, "length") == 0 || strcmp(s, "model_length") == 0)
        return LLMGW_FINISH_LENGTH;
    if (strcmp(s, "tool_calls") == 0 || strcmp(s, "function_call") == 0)
        return LLMGW_FINISH_TOOL_CALLS;
    if (strcmp(s, "content_filter") == 0)
        return LLMGW_FINISH_CONTENT_FILTER;
    return LLMGW_FINISH_OTHER;
}

static int bad_usage(void)
{
    return llmgw__error_setc(LLMGW_EUNAVAILABLE, LLMGW_ERRCLASS_SERVER_ERROR,
                             "implausible token counts in the upstream's usage");
}

/* A count member: absent or null is 0; present must be a valid count. */
static int count(const cJSON *obj, const char *key, uint64_t *out)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);

    *out = 0;
    if (it == NULL || cJSON_IsNull(it))
        return 0;
    return llmgw__json_token_count(it, out) == 0 ? 0 : bad_usage();
}

int llmgw__openai_usage(llmgw_token_counts *out, const cJSON *usage)
{
    const cJSON *pd = cJSON_GetObjectItemCaseSensitive(usage, "prompt_tokens_details");
    const cJSON *cd = cJSON_GetObjectItemCaseSensitive(usage, "completion_tokens_details");
    uint64_t hit = 0;

    memset(out, 0, sizeof(*out));
    if (!cJSON_IsObject(usage))
        return bad_usage();
    LLMGW_TRY(count(usage, "prompt_tokens", &out->input_tokens));
    LLMGW_TRY(count(usage, "completion_tokens", &out->output_tokens));
    if (cJSON_IsObject(pd)) {
        LLMGW_TRY(count(pd, "cached_tokens", &out->cache_read_tokens));
        LLMGW_TRY(count(pd, "cache_write_tokens", &out->cache_creation_tokens));
    }
    if (cJSON_IsObject(cd))
        LLMGW_TRY(count(cd, "reasoning_tokens", &out->reasoning_tokens));
    /* DeepSeek's own cache-hit field */
    LLMGW_TRY(count(usage, "prompt_cache_hit_tokens", &hit));
    if (hit > out->cache_read_tokens)
        out->cache_read_tokens = hit;
    if (out->cache_read_tokens + out->cache_creation_tokens > out->input_tokens ||
        out->reasoning_tokens > out->output_tokens)
        return bad_usage();
    return 0;
}

static int add_message_tool_calls(llmgw_reply *out, const cJSON *calls)
{
    const cJSON *tc;
    size_t i = 0;

    cJSON_ArrayForEach(tc, calls) {
        const cJSON *fn = cJSON_GetObjectItemCaseSensitive(tc, "function");
        const char *args = llmgw__json_str(fn, "arguments");
        LLMGW_TRY(llmgw_reply_tool_call(out, i, llmgw__json_str(tc, "id"), llmgw__json_str(fn, "name"),
                                        args ? args : "", args ? strlen(args) : 0));
        i++;
    }
    return 0;
}

static int malformed(const char *what)
{
    return llmgw__error_setc(LLMGW_EUNAVAILABLE, LLMGW_ERRCLASS_SERVER_ERROR,
                             "malformed response from the upstream: %s", what);
}

static int embedded_error(llmgw_reply *out, const cJSON *err)
{
    llmgw_error_info info;
    double code = 0;

    memset(&info, 0, sizeof(info));
    info.error_class = LLMGW_ERRCLASS_SERVER_ERROR;
    info.retry_after_ms = -1;
    llmgw__openai_error_object(&info, err);
    if (cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(err, "code")))
        code = cJSON_GetObjectItemCaseSensitive(err, "code")->valuedouble;
    return llmgw_reply_error(out, info.error_class, code >= 400 && code < 600 ? (int)code : 0,
                             info.message[0] ? info.message : "error in a 200 response");
}

int llmgw__openai_parse_completion(llmgw_reply *out, const cJSON *root)
{
    const cJSON *choices, *c0, *msg, *content, *usage, *err;
    const char *s;

    if (!cJSON_IsObject(root))
        return malformed("not a JSON object");
    if ((err = cJSON_GetObjectItemCaseSensitive(root, "error")) != NULL && cJSON_IsObject(err))
        return embedded_error(out, err);
    LLMGW_TRY(llmgw_reply_set_id(out, llmgw__json_str(root, "id")));
    LLMGW_TRY(llmgw_reply_set_model(out, llmgw__json_str(root, "model")));
    choices = cJSON_GetObjectItemCaseSensitive(root, "choices");
    if (!cJSON_IsArray(choices) || (c0 = cJSON_GetArrayItem(choices, 0)) == NULL)
        return malformed("no choices");
    msg = cJSON_GetObjectItemCaseSensitive(c0, "message");
    if (!cJSON_IsObject(msg))
        return malformed("choices[0].message missing");
    content = cJSON_GetObjectItemCaseSensitive(msg, "content");
    if (cJSON_IsString(content))
        LLMGW_TRY(llmgw_reply_append_text(out, content->valuestring, strlen(content->valuestring)));
    else if (content != NULL && !cJSON_IsNull(content))
        return malformed("choices[0].message.content is not a string");
    if ((s = llmgw__json_str(msg, "reasoning_content")) != NULL)
        LLMGW_TRY(llmgw_reply_append_reasoning(out, s, strlen(s)));
    LLMGW_TRY(add_message_tool_calls(out, cJSON_GetObjectItemCaseSensitive(msg, "tool_calls")));
    s = llmgw__json_str(c0, "finish_reason");
    LLMGW_TRY(llmgw_reply_set_finish(out, llmgw__openai_finish(s), s));
    usage = cJSON_GetObjectItemCaseSensitive(root, "usage");
    if (usage != NULL && !cJSON_IsNull(usage)) {
        llmgw_token_counts c;
        LLMGW_TRY(llmgw__openai_usage(&c, usage));
        LLMGW_TRY(llmgw_reply_set_usage(out, &c));
    }
    return llmgw_reply_done(out);
}

int llmgw__openai_parse_response(llmgw_reply *out, void *state, const llmgw_http_response *in)
{
    size_t len;
    const char *body = llmgw_http_response_body(in, &len);
    cJSON *root;
    int rc;

    LLMGW_UNUSED(state);
    root = llmgw__json_parse(body, len, LLMGW_ERRCLASS_SERVER_ERROR);
    if (root == NULL)
        return LLMGW_EUNAVAILABLE;
    rc = llmgw__openai_parse_completion(out, root);
    cJSON_Delete(root);
    return rc;
}

static int parse_delta_tool_calls(llmgw_reply *out, const cJSON *calls)
{
    const cJSON *tc;
    size_t pos = 0;

    cJSON_ArrayForEach(tc, calls) {
        const cJSON *fn = cJSON_GetObjectItemCaseSensitive(tc, "function");
        const cJSON *idx = cJSON_GetObjectItemCaseSensitive(tc, "index");
        const char *args = llmgw__json_str(fn, "arguments");
        uint64_t index = pos;
        if (idx != NULL && llmgw__json_token_count(idx, &index) < 0)
            return malformed("tool call index");
        LLMGW_TRY(llmgw_reply_tool_call(out, (size_t)index, llmgw__json_str(tc, "id"),
                                        llmgw__json_str(fn, "name"), args ? args : "",
                                        args ? strlen(args) : 0));
        pos++;
    }
    return 0;
}

int llmgw__openai_parse_stream_event(llmgw_reply *out, void *state, void *stream_state,
                                     const llmgw_stream_event *ev)
{
    const cJSON *choices, *c, *delta, *usage, *err, *content;
    const char *s;
    cJSON *root;
    int rc = 0;

    LLMGW_UNUSED(state);
    LLMGW_UNUSED(stream_state);
    if (ev->data_len == 6 && memcmp(ev->data, "[DONE]", 6) == 0)
        return llmgw_reply_done(out);
    root = llmgw__json_parse(ev->data, ev->data_len, LLMGW_ERRCLASS_SERVER_ERROR);
    if (root == NULL)
        return LLMGW_EUNAVAILABLE;
    if ((err = cJSON_GetObjectItemCaseSensitive(root, "error")) != NULL && !cJSON_IsNull(err)) {
        rc = cJSON_IsObject(err) ? embedded_error(out, err)
                                 : llmgw_reply_error(out, LLMGW_ERRCLASS_SERVER_ERROR, 0, "error in stream");
        goto done;
    }
    if ((s = llmgw__json_str(root, "id")) != NULL && *s && (rc = llmgw_reply_set_id(out, s)) < 0)
        goto done;
    if ((s = llmgw__json_str(root, "model")) != NULL && *s && (rc = llmgw_reply_set_model(out, s)) < 0)
        goto done;
    choices = cJSON_GetObjectItemCaseSensitive(root, "choices");
    cJSON_ArrayForEach(c, choices) {
        const cJSON *idx = cJSON_GetObjectItemCaseSensitive(c, "index");
        if (idx != NULL && cJSON_IsNumber(idx) && idx->valuedouble != 0)
            continue;       /* n > 1 is not requested; ignore other choices */
        delta = cJSON_GetObjectItemCaseSensitive(c, "delta");
        content = cJSON_GetObjectItemCaseSensitive(delta, "content");
        if (cJSON_IsString(content) && content->valuestring[0] != '\0' &&
            (rc = llmgw_reply_append_text(out, content->valuestring, strlen(content->valuestring))) < 0)
            goto done;
        if ((s = llmgw__json_str(delta, "reasoning_content")) != NULL && *s &&
            (rc = llmgw_reply_append_reasoning(out, s, strlen(s))) < 0)
            goto done;
        if ((rc = parse_delta_tool_calls(out, cJSON_GetObjectItemCaseSensitive(delta, "tool_calls"))) < 0)
            goto done;
        if ((s = llmgw__json_str(c, "finish_reason")) != NULL &&
            (rc = llmgw_reply_set_finish(out, llmgw__openai_finish(s), s)) < 0)
            goto done;
    }
    /* usage counts even beside non-empty choices (LiteLLM #36168) */
    usage = cJSON_GetObjectItemCaseSensitive(root, "usage");
    if (usage != NULL && !cJSON_IsNull(usage)) {
        llmgw_token_counts cnt;
        if ((rc = llmgw__openai_usage(&cnt, usage)) < 0 || (rc = llmgw_reply_set_usage(out, &cnt)) < 0)
            goto done;
    }
done:
    cJSON_Delete(root);
    return rc;
}

/* "Please try again in 644ms" / "in 5.289s" / "in 20s" */
static int64_t hint_from_message(const char *msg)
{
    const char *p = msg ? strstr(msg, "try again in ") : NULL;
    char *end;
    double v;

    if (p == NULL)
        return -1;
    p += strlen("try again in ");
    v = strtod(p, &end);
    if (end == p || v < 0 || v > 86400000)
        return -1;
    if (strncmp(end, "ms", 2) == 0)
        return (int64_t)v;
    if (*end == 's')
        return (int64_t)(v * 1000.0);
    return -1;
}

static bool contains_ci(const char *hay, const char *needle)
{
    size_t n = strlen(needle);

    for (; hay && *hay; hay++)
        if (strncasecmp(hay, needle, n) == 0)
            return true;
    return false;
}

void llmgw__openai_error_object(llmgw_error_info *out, const cJSON *err)
{
    const char *msg = llmgw__json_str(err, "message");
    const char *type = llmgw__json_str(err, "type");
    const char *code = llmgw__json_str(err, "code");
    int64_t hint;

    if (msg != NULL)
        snprintf(out->message, sizeof(out->message), "%s", msg);
#define IS(s, v) ((s) != NULL && strcmp((s), (v)) == 0)
    if (IS(code, "insufficient_quota") || IS(type, "insufficient_quota"))
        out->error_class = LLMGW_ERRCLASS_QUOTA_EXCEEDED;
    else if (IS(code, "context_length_exceeded") || contains_ci(msg, "maximum context length") ||
             contains_ci(msg, "context length") || IS(type, "exceed_context_size_error"))
        out->error_class = LLMGW_ERRCLASS_CONTEXT_LENGTH_EXCEEDED;
    else if (IS(code, "content_policy_violation") || IS(code, "content_filter"))
        out->error_class = LLMGW_ERRCLASS_CONTENT_POLICY;
    else if (IS(code, "invalid_api_key") || IS(type, "authentication_error"))
        out->error_class = LLMGW_ERRCLASS_AUTH;
    else if (IS(code, "rate_limit_exceeded") || IS(type, "rate_limit_error") || IS(type, "tokens") ||
             IS(type, "requests"))
        out->error_class = LLMGW_ERRCLASS_RATE_LIMIT;
    else if (IS(code, "model_not_found"))
        out->error_class = LLMGW_ERRCLASS_NOT_FOUND;
    else if (IS(type, "server_error") && out->error_class == LLMGW_ERRCLASS_NONE)
        out->error_class = LLMGW_ERRCLASS_SERVER_ERROR;
#undef IS
    if (out->retry_after_ms < 0 && (hint = hint_from_message(msg)) >= 0)
        out->retry_after_ms = hint;
}

int llmgw__openai_classify_error(llmgw_error_info *out, void *state, const llmgw_http_response *in)
{
    size_t len;
    const char *body = llmgw_http_response_body(in, &len);
    const cJSON *err;
    cJSON *root;

    LLMGW_UNUSED(state);
    if (len == 0)
        return 0;
    root = cJSON_ParseWithLength(body, len);
    if (root == NULL)
        return 0;       /* not JSON: the status decides */
    err = cJSON_GetObjectItemCaseSensitive(root, "error");
    if (cJSON_IsObject(err)) {
        /* a 429 that is really quota, a 400 that is really context length ... */
        llmgw__openai_error_object(out, err);
    } else if (cJSON_IsString(err)) {
        snprintf(out->message, sizeof(out->message), "%s", err->valuestring);
    } else if (llmgw__json_str(root, "message") != NULL) {
        snprintf(out->message, sizeof(out->message), "%s", llmgw__json_str(root, "message"));
    }
    cJSON_Delete(root);
    return 0;
}

static int openai_parse_response(llmgw_reply *out, void *state, const llmgw_http_response *in)
{
    return llmgw__openai_parse_response(out, state, in);
}

const llmgw_provider_vtable llmgw__provider_openai = {
    .version = LLMGW_PROVIDER_VTABLE_VERSION,
    .name = "openai",
    .capabilities = LLMGW_CAP_STREAM | LLMGW_CAP_TOOLS | LLMGW_CAP_VISION | LLMGW_CAP_JSON_MODE,
    .stream_framing = LLMGW_FRAMING_SSE,
    .default_api_base = "https://api.openai.com/v1",
    .env_api_key = "OPENAI_API_KEY",
    .env_api_base = "OPENAI_BASE_URL",
    .env_api_version = NULL,
    .state_size = sizeof(openai_state),
    .stream_state_size = 0,
    .init = openai_init,
    .build_request = openai_build_request,
    .parse_response = openai_parse_response,
    .parse_stream_event = llmgw__openai_parse_stream_event,
    .classify_error = llmgw__openai_classify_error,
    .cleanup = NULL,
};
