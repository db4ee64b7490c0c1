/*
 * llmgw mock upstream: AWS Bedrock Converse (POST /model/{modelId}/converse) and ConverseStream
 * (/converse-stream), docs/providers.md §5.
 *
 * Authentication (mock_aws.h): a SigV4 Authorization header recomputed and checked here, with
 * the signing name "bedrock", the credential date, a 15-minute clock skew, and the session token
 * for session credentials; or a non-empty Authorization: Bearer (a Bedrock API key). Failures
 * are 403 with x-amzn-ErrorType UnrecognizedClientException, InvalidSignatureException, ...
 * The body is checked against the Converse shape strictly: unknown members, blank text, roles
 * that do not alternate (or do not start with user), toolResult ids that answer no toolUse of
 * the turn before, tool names outside [a-zA-Z0-9_-]{1,64}, temperature or topP outside 0..1 are
 * 400 ValidationException. Rendering is in bedrock_render.c.
 */
#include "mock_internal.h"
#include "mock_aws.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static _Thread_local char model_id[2048];   /* the decoded {modelId} of the request being served */

/* /model/{id}/converse or /model/{id}/converse-stream, {id} one segment; 1 stream, 0 not, -1 no. */
static int path_kind(const char *path, const char **id, size_t *id_len)
{
    if (strncmp(path, "/model/", 7) != 0)
        return -1;
    const char *seg = path + 7, *slash = strchr(seg, '/');
    if (!slash || slash == seg)
        return -1;
    *id = seg;
    *id_len = (size_t)(slash - seg);
    if (!strcmp(slash, "/converse"))
        return 0;
    return strcmp(slash, "/converse-stream") == 0 ? 1 : -1;
}

static int br_match(const mock_request *req)
{
    const char *id;
    size_t n;
    return path_kind(req->path, &id, &n) >= 0;
}

static int invalid(mock_reject *rej, const char *fmt, ...) MOCK_PRINTF(2, 3);

static int invalid(mock_reject *rej, const char *fmt, ...)
{
    va_list ap;
    rej->status = 400;
    rej->type = "ValidationException";
    rej->code = NULL;
    va_start(ap, fmt);
    vsnprintf(rej->message, sizeof rej->message, fmt, ap);
    va_end(ap);
    return -1;
}

static int hexv(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10
         : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The percent-decoded model id into model_id; -1 when it is not valid encoding. */
static int decode_id(const char *s, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '%') {
            if (i + 2 >= n || hexv(s[i + 1]) < 0 || hexv(s[i + 2]) < 0)
                return -1;
            c = (char)(hexv(s[i + 1]) * 16 + hexv(s[i + 2]));
            i += 2;
        } else if (c == ':') {
            return -1;                     /* a raw ':' was never percent-encoded */
        }
        if (o + 1 >= sizeof model_id || c == '\0')
            return -1;
        model_id[o++] = c;
    }
    model_id[o] = '\0';
    return o > 0 ? 0 : -1;
}

static int one_of(const char *s, const char *const *names)
{
    for (; *names; names++)
        if (!strcmp(s, *names))
            return 1;
    return 0;
}

static int tool_name_ok(const char *s)
{
    size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-");
    return n >= 1 && n <= 64 && s[n] == '\0';
}

/* One content block: exactly one member. Counts words of text; collects toolUse ids. */
static int check_block(const cJSON *b, size_t mi, int assistant, const cJSON *prev_uses,
                       cJSON *uses, uint64_t *words, mock_reject *rej)
{
    static const char *const kinds[] = {"text", "image", "document", "video", "toolUse",
                                        "toolResult", "guardContent", "cachePoint",
                                        "reasoningContent", NULL};
    const cJSON *m = b ? b->child : NULL;
    if (!cJSON_IsObject(b) || !m || m->next || !one_of(m->string, kinds))
        return invalid(rej, "mock: messages.%zu.content: a block holds exactly one known member", mi);
    if (!strcmp(m->string, "text")) {
        if (!cJSON_IsString(m) || strspn(m->valuestring, " \t\r\n") == strlen(m->valuestring))
            return invalid(rej, "The text field in the ContentBlock object at messages.%zu is blank", mi);
        *words += mock_count_words(m->valuestring, strlen(m->valuestring));
    } else if (!strcmp(m->string, "image")) {
        static const char *const fmts[] = {"png", "jpeg", "gif", "webp", NULL};
        const char *f = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "format"));
        const cJSON *src = cJSON_GetObjectItemCaseSensitive(m, "source");
        if (!f || !one_of(f, fmts) || !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(src, "bytes")))
            return invalid(rej, "mock: messages.%zu: image needs format and source.bytes", mi);
    } else if (!strcmp(m->string, "toolUse")) {
        const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "toolUseId"));
        const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "name"));
        if (!assistant || !id || !*id || !name || !tool_name_ok(name) ||
            !cJSON_GetObjectItemCaseSensitive(m, "input"))
            return invalid(rej, "mock: messages.%zu: toolUse needs an assistant turn, toolUseId, a "
                           "valid name and input", mi);
        cJSON_AddItemToArray(uses, cJSON_CreateString(id));
    } else if (!strcmp(m->string, "toolResult")) {
        const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "toolUseId"));
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(m, "content"), *u;
        int found = 0;
        cJSON_ArrayForEach(u, prev_uses)
            found |= id && !strcmp(u->valuestring, id);
        if (assistant || !found || !cJSON_IsArray(c))
            return invalid(rej, "mock: messages.%zu: toolResult must answer a toolUse of the "
                           "previous turn and carry a content array", mi);
    }
    return 0;
}

static int check_messages(const cJSON *msgs, uint64_t *tokens, mock_reject *rej)
{
    if (!cJSON_IsArray(msgs) || cJSON_GetArraySize(msgs) == 0)
        return invalid(rej, "mock: messages must be a non-empty array");
    cJSON *prev = cJSON_CreateArray(), *uses = cJSON_CreateArray();
    const cJSON *m, *b;
    uint64_t words = 0, count = 0;
    int rc = 0, last_assistant = 1;
    size_t i = 0;
    cJSON_ArrayForEach(m, msgs) {
        const char *role = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "role"));
        const cJSON *content = cJSON_GetObjectItemCaseSensitive(m, "content");
        int assistant = role && !strcmp(role, "assistant");
        if (!role || (!assistant && strcmp(role, "user") != 0) || !cJSON_IsArray(content) ||
            cJSON_GetArraySize(content) == 0 || m->child->next->next) {
            rc = invalid(rej, "mock: messages.%zu needs role user|assistant and a non-empty content "
                         "array, nothing else", i);
            break;
        }
        if (assistant == last_assistant) {
            rc = invalid(rej, "A conversation must start with a user message and alternate between "
                         "user and assistant roles (messages.%zu)", i);
            break;
        }
        cJSON_Delete(prev);
        prev = uses;
        uses = cJSON_CreateArray();
        cJSON_ArrayForEach(b, content)
            if ((rc = check_block(b, i, assistant, prev, uses, &words, rej)) < 0)
                break;
        if (rc < 0)
            break;
        last_assistant = assistant;
        count++;
        i++;
    }
    cJSON_Delete(prev);
    cJSON_Delete(uses);
    *tokens = words + 4 * count;
    return rc;
}

static int unit_number(const cJSON *it, double lo, double hi)
{
    return cJSON_IsNumber(it) && it->valuedouble >= lo && it->valuedouble <= hi;
}

static int check_config(const cJSON *body, uint64_t *tokens, mock_reject *rej)
{
    static const char *const top[] = {"messages", "system", "inferenceConfig", "toolConfig",
                                      "additionalModelRequestFields", "outputConfig",
                                      "additionalModelResponseFieldPaths", "guardrailConfig",
                                      "promptVariables", "requestMetadata", "performanceConfig", NULL};
    static const char *const ic_members[] = {"maxTokens", "temperature", "topP", "stopSequences", NULL};
    const cJSON *it, *m;
    cJSON_ArrayForEach(it, body)
        if (!one_of(it->string, top))
            return invalid(rej, "mock: unknown member %s in the Converse request", it->string);
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(body, "system")) {
        const char *t = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "text"));
        if (!it->child || it->child->next || (t && !*t) ||
            (!t && !cJSON_GetObjectItemCaseSensitive(it, "cachePoint")))
            return invalid(rej, "mock: system blocks are {text} or {cachePoint}");
        if (t)
            *tokens += mock_count_words(t, strlen(t)) + 4;
    }
    const cJSON *ic = cJSON_GetObjectItemCaseSensitive(body, "inferenceConfig");
    cJSON_ArrayForEach(m, ic) {
        if (!one_of(m->string, ic_members) ||
            (!strcmp(m->string, "maxTokens") && !unit_number(m, 1, 1e9)) ||
            (!strcmp(m->string, "temperature") && !unit_number(m, 0, 1)) ||
            (!strcmp(m->string, "topP") && !unit_number(m, 0, 1)) ||
            (!strcmp(m->string, "stopSequences") && !cJSON_IsArray(m)))
            return invalid(rej, "mock: inferenceConfig.%s is not valid", m->string);
    }
    const cJSON *tc = cJSON_GetObjectItemCaseSensitive(body, "toolConfig");
    if (tc) {
        const cJSON *tools = cJSON_GetObjectItemCaseSensitive(tc, "tools"), *ch, *t;
        if (!cJSON_IsArray(tools) || cJSON_GetArraySize(tools) == 0)
            return invalid(rej, "mock: toolConfig.tools must be a non-empty array");
        cJSON_ArrayForEach(t, tools) {
            const cJSON *spec = cJSON_GetObjectItemCaseSensitive(t, "toolSpec");
            const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(spec, "name"));
            if (!name || !tool_name_ok(name) ||
                !cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(
                    cJSON_GetObjectItemCaseSensitive(spec, "inputSchema"), "json")))
                return invalid(rej, "mock: toolConfig.tools[] needs toolSpec.name and "
                               "inputSchema.json");
        }
        ch = cJSON_GetObjectItemCaseSensitive(tc, "toolChoice");
        if (ch && (!cJSON_IsObject(ch) || !ch->child || ch->child->next ||
                   !one_of(ch->child->string, (const char *const[]){"auto", "any", "tool", NULL})))
            return invalid(rej, "mock: toolChoice holds exactly one of auto, any, tool");
    }
    return 0;
}

static int br_parse(mock_parsed *out, mock_reject *rej, const mock_request *req, const cJSON *body)
{
    const char *auth = mock_request_header(req, "authorization"), *id;
    size_t id_len;
    memset(out, 0, sizeof *out);
    if (auth && !strncasecmp(auth, "Bearer ", 7)) {
        if (auth[7 + strspn(auth + 7, " ")] == '\0') {
            mock_reject_set(rej, 403, "UnrecognizedClientException", NULL, "Invalid API Key format");
            return -1;
        }
    } else if (mock_sigv4_verify(rej, req) < 0) {
        return -1;
    }
    int kind = path_kind(req->path, &id, &id_len);
    if (strcmp(req->method, "POST") != 0 || req->query[0])
        return invalid(rej, "mock: Converse is POST without a query string");
    if (decode_id(id, id_len) < 0)
        return invalid(rej, "mock: the modelId path segment is not percent-encoded");
    const char *ct = mock_request_header(req, "content-type");
    if (!ct || strncasecmp(ct, "application/json", 16) != 0 || !cJSON_IsObject(body))
        return invalid(rej, "mock: the body must be a JSON object (Content-Type application/json)");
    if (check_messages(cJSON_GetObjectItemCaseSensitive(body, "messages"), &out->prompt_tokens, rej) < 0 ||
        check_config(body, &out->prompt_tokens, rej) < 0)
        return -1;
    out->model = model_id;
    out->stream = kind == 1;
    out->include_usage = 1;                /* the metadata event always carries usage */
    return 0;
}

const mock_dialect mock_dialect_bedrock = {
    .name = "bedrock",
    .stream_content_type = "application/vnd.amazon.eventstream",
    .match = br_match,
    .parse = br_parse,
    .render_body = mock_bedrock_render_body,
    .render_stream = mock_bedrock_render_stream,
    .render_error = mock_bedrock_render_error,
    .render_error_event = mock_bedrock_render_error_event,
    .error_headers = mock_bedrock_error_headers,
};
