/*
 * lib/providers/bedrock_reply.c: Converse responses and Bedrock errors into
 * the normalized reply (docs/providers.md §5): stopReason -> finish,
 * usage in OpenAI's meaning, exception names -> error classes; the stream
 * events are in bedrock_stream.c.
 */
#include "../core/common.h"
#include "../core/errors.h"
#include "../core/json.h"
#include "bedrock.h"

#include <stdio.h>
#include <strings.h>

int llmgw__bedrock_malformed(const char *what)
{
    return llmgw__error_setc(LLMGW_EUNAVAILABLE, LLMGW_ERRCLASS_SERVER_ERROR,
                             "bedrock: malformed response from the upstream: %s", what);
}

int llmgw__bedrock_finish(const char *s)
{
    static const struct { const char *raw; int finish; } map[] = {
        { "end_turn", LLMGW_FINISH_STOP },
        { "stop_sequence", LLMGW_FINISH_STOP },
        { "max_tokens", LLMGW_FINISH_LENGTH },
        { "model_context_window_exceeded", LLMGW_FINISH_LENGTH },
        { "tool_use", LLMGW_FINISH_TOOL_CALLS },
        { "guardrail_intervened", LLMGW_FINISH_CONTENT_FILTER },
        { "content_filtered", LLMGW_FINISH_CONTENT_FILTER },
    };
    size_t i;

    if (s == NULL)
        return LLMGW_FINISH_NONE;
    for (i = 0; i < LLMGW_ARRAY_SIZE(map); i++)
        if (strcmp(s, map[i].raw) == 0)
            return map[i].finish;
    return LLMGW_FINISH_OTHER;       /* malformed_model_output, malformed_tool_use, new values */
}

static int count(const cJSON *obj, const char *key, bool required, uint64_t *out)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);

    *out = 0;
    if ((it == NULL || cJSON_IsNull(it)) && !required)
        return 0;
    if (llmgw__json_token_count(it, out) < 0)
        return llmgw__error_setc(LLMGW_EUNAVAILABLE, LLMGW_ERRCLASS_SERVER_ERROR,
                                 "bedrock: implausible usage.%s from the upstream", key);
    return 0;
}

int llmgw__bedrock_usage(llmgw_token_counts *out, const cJSON *usage)
{
    uint64_t fresh;

    memset(out, 0, sizeof(*out));
    if (!cJSON_IsObject(usage))
        return llmgw__bedrock_malformed("usage is not an object");
    LLMGW_TRY(count(usage, "inputTokens", true, &fresh));
    LLMGW_TRY(count(usage, "outputTokens", true, &out->output_tokens));
    LLMGW_TRY(count(usage, "cacheReadInputTokens", false, &out->cache_read_tokens));
    LLMGW_TRY(count(usage, "cacheWriteInputTokens", false, &out->cache_creation_tokens));
    /* inputTokens leaves the cached parts out; OpenAI's prompt_tokens counts them */
    out->input_tokens = fresh + out->cache_read_tokens + out->cache_creation_tokens;
    if (out->input_tokens >= LLMGW_MAX_TOKENS_VALUE)
        return llmgw__error_setc(LLMGW_EUNAVAILABLE, LLMGW_ERRCLASS_SERVER_ERROR,
                                 "bedrock: implausible usage from the upstream");
    return 0;
}

static bool has_ci(const char *hay, const char *needle)
{
    size_t n = strlen(needle);

    for (; hay != NULL && *hay; hay++)
        if (strncasecmp(hay, needle, n) == 0)
            return true;
    return false;
}

static bool name_is(const char *name, size_t len, const char *s)
{
    return strlen(s) == len && strncasecmp(name, s, len) == 0;
}

void llmgw__bedrock_exception(const char *name, size_t len, const char *msg, int *cls, int *http, int *retry)
{
    /* the REST names and the event-stream member names differ only in the first letter's case */
    static const struct { const char *name; int cls, http, retry; } map[] = {
        { "ValidationException", LLMGW_ERRCLASS_BAD_REQUEST, 400, -1 },
        { "ConflictException", LLMGW_ERRCLASS_BAD_REQUEST, 400, -1 },
        { "ServiceQuotaExceededException", LLMGW_ERRCLASS_QUOTA_EXCEEDED, 400, -1 },
        { "AccessDeniedException", LLMGW_ERRCLASS_AUTH, 403, -1 },
        { "UnrecognizedClientException", LLMGW_ERRCLASS_AUTH, 403, -1 },
        { "InvalidSignatureException", LLMGW_ERRCLASS_AUTH, 403, -1 },
        { "IncompleteSignatureException", LLMGW_ERRCLASS_AUTH, 403, -1 },
        { "MissingAuthenticationTokenException", LLMGW_ERRCLASS_AUTH, 403, -1 },
        { "ExpiredTokenException", LLMGW_ERRCLASS_AUTH, 403, -1 },
        { "ResourceNotFoundException", LLMGW_ERRCLASS_NOT_FOUND, 404, -1 },
        { "ModelTimeoutException", LLMGW_ERRCLASS_TIMEOUT, 408, -1 },
        { "ThrottlingException", LLMGW_ERRCLASS_RATE_LIMIT, 429, -1 },
        { "ModelNotReadyException", LLMGW_ERRCLASS_RATE_LIMIT, 429, -1 },
        /* the model failed on this input: another deployment may do better, a retry not */
        { "ModelErrorException", LLMGW_ERRCLASS_SERVER_ERROR, 424, 0 },
        { "ModelStreamErrorException", LLMGW_ERRCLASS_SERVER_ERROR, 424, -1 },
        { "InternalServerException", LLMGW_ERRCLASS_SERVER_ERROR, 500, -1 },
        { "ServiceUnavailableException", LLMGW_ERRCLASS_SERVER_ERROR, 503, -1 },
    };
    size_t i;

    *cls = LLMGW_ERRCLASS_NONE;
    *http = 0;
    *retry = -1;
    for (i = 0; i < LLMGW_ARRAY_SIZE(map); i++) {
        if (name_is(name, len, map[i].name)) {
            *cls = map[i].cls;
            *http = map[i].http;
            *retry = map[i].retry;
            break;
        }
    }
    /* "Input is too long for requested model.", "prompt is too long: ..." (observed) */
    if (*cls == LLMGW_ERRCLASS_BAD_REQUEST &&
        (has_ci(msg, "too long") || has_ci(msg, "context length") || has_ci(msg, "context window") ||
         has_ci(msg, "maximum context") || has_ci(msg, "too many input tokens")))
        *cls = LLMGW_ERRCLASS_CONTEXT_LENGTH_EXCEEDED;
}

const char *llmgw__bedrock_message(const cJSON *root)
{
    const char *m = llmgw__json_str(root, "message");

    return m != NULL ? m : llmgw__json_str(root, "Message");
}

int llmgw__bedrock_classify_error(llmgw_error_info *out, void *state, const llmgw_http_response *in)
{
    const char *type = llmgw_http_response_header(in, "x-amzn-ErrorType"), *msg = NULL, *hash;
    size_t len, tlen = 0;
    const char *body = llmgw_http_response_body(in, &len);
    cJSON *root = len > 0 ? cJSON_ParseWithLength(body, len) : NULL;
    int cls, http, retry;

    LLMGW_UNUSED(state);
    if (cJSON_IsObject(root)) {
        msg = llmgw__bedrock_message(root);
        if (type == NULL && (type = llmgw__json_str(root, "__type")) == NULL &&
            (type = llmgw__json_str(root, "code")) == NULL)
            type = llmgw__json_str(root, "Code");
    }
    if (type != NULL) {
        /* "ThrottlingException:http://internal..." and "com.amazon...#ValidationException" */
        if ((hash = strrchr(type, '#')) != NULL)
            type = hash + 1;
        tlen = strcspn(type, ":");
        llmgw__bedrock_exception(type, tlen, msg, &cls, &http, &retry);
        if (cls != LLMGW_ERRCLASS_NONE)
            out->error_class = cls;
        if (retry == 0)
            out->should_retry = 0;
    }
    if (msg != NULL)
        snprintf(out->message, sizeof(out->message), "%.*s%s%s", (int)LLMGW_MIN(tlen, 64), type ? type : "",
                 tlen ? ": " : "", msg);
    else if (tlen > 0)
        snprintf(out->message, sizeof(out->message), "%.*s", (int)LLMGW_MIN(tlen, 64), type);
    cJSON_Delete(root);
    return 0;
}

/* One content block of a Converse message; tools counts tool calls so far. */
static int content_block(llmgw_reply *out, const cJSON *b, size_t *tools)
{
    const cJSON *tu = cJSON_GetObjectItemCaseSensitive(b, "toolUse");
    const cJSON *rc = cJSON_GetObjectItemCaseSensitive(b, "reasoningContent");
    const char *text = llmgw__json_str(b, "text");
    llmgw_buf args = LLMGW_BUF_INIT;
    int r;

    if (text != NULL)
        return llmgw_reply_append_text(out, text, strlen(text));
    if (cJSON_IsObject(rc)) {
        text = llmgw__json_str(cJSON_GetObjectItemCaseSensitive(rc, "reasoningText"), "text");
        return text != NULL ? llmgw_reply_append_reasoning(out, text, strlen(text)) : 0;
    }
    if (!cJSON_IsObject(tu))
        return 0;       /* images, citations, guard content ...: nothing OpenAI-shaped to report */
    if (llmgw__json_str(tu, "toolUseId") == NULL || llmgw__json_str(tu, "name") == NULL)
        return llmgw__bedrock_malformed("toolUse without toolUseId or name");
    r = llmgw__json_print(&args, cJSON_GetObjectItemCaseSensitive(tu, "input"));
    if (r == 0)
        r = llmgw_reply_tool_call(out, (*tools)++, llmgw__json_str(tu, "toolUseId"), llmgw__json_str(tu, "name"),
                                  args.ptr ? args.ptr : "{}", args.ptr ? args.size : 2);
    llmgw_buf_dispose(&args);
    return r;
}

int llmgw__bedrock_set_usage(llmgw_reply *out, const cJSON *usage)
{
    llmgw_token_counts c;

    LLMGW_TRY(llmgw__bedrock_usage(&c, usage));
    return llmgw_reply_set_usage(out, &c);
}

static int parse_converse(llmgw_reply *out, const cJSON *root)
{
    const cJSON *output = cJSON_GetObjectItemCaseSensitive(root, "output");
    const cJSON *msg = cJSON_GetObjectItemCaseSensitive(output, "message");
    const cJSON *content = cJSON_GetObjectItemCaseSensitive(msg, "content"), *b;
    const char *stop = llmgw__json_str(root, "stopReason");
    size_t tools = 0;

    if (!cJSON_IsObject(root))
        return llmgw__bedrock_malformed("not a JSON object");
    if (!cJSON_IsArray(content))
        return llmgw__bedrock_malformed("output.message.content missing");
    if (stop == NULL)
        return llmgw__bedrock_malformed("stopReason missing");
    cJSON_ArrayForEach(b, content)
        LLMGW_TRY(content_block(out, b, &tools));
    LLMGW_TRY(llmgw_reply_set_finish(out, llmgw__bedrock_finish(stop), stop));
    LLMGW_TRY(llmgw__bedrock_set_usage(out, cJSON_GetObjectItemCaseSensitive(root, "usage")));
    return llmgw_reply_done(out);
}

int llmgw__bedrock_parse_response(llmgw_reply *out, void *state, const llmgw_http_response *in)
{
    const llmgw__bedrock_state *st = state;
    const char *model = st != NULL ? st->cfg->model : NULL, *rid;
    size_t len;
    const char *body = llmgw_http_response_body(in, &len);
    cJSON *root = llmgw__json_parse(body, len, LLMGW_ERRCLASS_SERVER_ERROR);
    int rc;

    if (root == NULL)
        return llmgw_error_last()->code;
    rc = model != NULL ? llmgw_reply_set_model(out, model) : 0;    /* Converse does not echo it */
    if (rc == 0 && (rid = llmgw_http_response_header(in, "x-amzn-RequestId")) != NULL && *rid)
        rc = llmgw_reply_set_id(out, rid);                          /* nor has an id: AWS's request id */
    if (rc == 0)
        rc = parse_converse(out, root);
    cJSON_Delete(root);
    return rc;
}
