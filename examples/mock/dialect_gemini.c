/*
 * llmgw mock upstream: Gemini API generateContent.
 *
 * POST /v1beta/models/{model}:generateContent and :streamGenerateContent?alt=sse (/v1/ and
 * /v1alpha/ too). Validation, as the real API would refuse (docs/providers.md §4): the key in
 * x-goog-api-key (403 PERMISSION_DENIED without), and never in the query (400: llmgw keeps keys
 * out of URLs); alt=sse on streams; JSON body with only generateContent members; contents with
 * roles user/model and non-empty parts, each part one of text, inlineData, fileData,
 * functionCall (model turns), functionResponse (user turns); systemInstruction of text parts;
 * generationConfig members and ranges; tools as functionDeclarations whose parameters use only
 * Gemini's Schema keywords (additionalProperties, $schema ... are "Unknown name"); toolConfig.
 * Prompt tokens: words of the text parts + 4 per content (the system instruction counts as one).
 *
 * Answers: {"candidates":[{"content":{"parts":[...],"role":"model"},"finishReason","index":0}],
 * "usageMetadata","modelVersion","responseId"}. Tool calls are functionCall parts with args
 * objects and no id (Gemini usually sends none); the step's "reasoning" is a thought part
 * ({"text", "thought": true}) before them (a stream event of its own). finish_reason: stop and
 * tool_calls -> STOP, length -> MAX_TOKENS, content_filter -> SAFETY, anything else verbatim.
 * Rendering is in dialect_gemini_render.c. usageMetadata:
 * promptTokenCount, candidatesTokenCount (completion - reasoning), thoughtsTokenCount
 * (reasoning), cachedContentTokenCount (cached), totalTokenCount; usage_raw replaces it.
 * Streams: events separated by "\r\n\r\n", no [DONE]: one event per text piece and per tool call
 * (each with a partial usageMetadata: promptTokenCount only), a usage event with the final
 * usageMetadata, then the finish event (finishReason + usage) that ends the stream; omit_done
 * leaves that one out. Errors: google.rpc.Status {"error":{"code","message","status",
 * "details"}}; a step's error_type in UPPER_CASE is the status (else the status's own), an
 * UPPER_CASE error_code becomes an ErrorInfo reason (API_KEY_INVALID); a body gives any other
 * shape (RetryInfo, QuotaFailure). In-stream error events are data: {"error": <error_event>}.
 */
#include "mock_internal.h"
#include "dialect_gemini.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static _Thread_local char model_buf[256];  /* the decoded model of the request being served */

static const char *const versions[] = {"/v1beta/models/", "/v1/models/", "/v1alpha/models/"};

static const char *models_rest(const char *path)
{
    for (size_t i = 0; i < sizeof versions / sizeof versions[0]; i++)
        if (!strncmp(path, versions[i], strlen(versions[i])))
            return path + strlen(versions[i]);
    return NULL;
}

static int gem_match(const mock_request *req)
{
    return models_rest(req->path) != NULL;
}

static int fail(mock_reject *rej, int status, const char *gstatus, const char *fmt, ...)
    MOCK_PRINTF(4, 5);

static int fail(mock_reject *rej, int status, const char *gstatus, const char *fmt, ...)
{
    va_list ap;
    rej->status = status;
    rej->type = gstatus;
    rej->code = NULL;
    va_start(ap, fmt);
    vsnprintf(rej->message, sizeof rej->message, fmt, ap);
    va_end(ap);
    return -1;
}

#define BAD(...) fail(rej, 400, "INVALID_ARGUMENT", __VA_ARGS__)

static int unknown(mock_reject *rej, const char *name, const char *at)
{
    return BAD("Invalid JSON payload received. Unknown name \"%s\" at '%s': Cannot find field.", name, at);
}

static int one_of(const char *s, const char *const *list)
{
    for (; *list; list++)
        if (!strcmp(s, *list))
            return 1;
    return 0;
}

/* Members of obj outside `known` are refused like protobuf JSON does. */
static int only(const cJSON *obj, const char *const *known, const char *at, mock_reject *rej)
{
    const cJSON *m;
    cJSON_ArrayForEach(m, obj)
        if (!one_of(m->string, known))
            return unknown(rej, m->string, at);
    return 0;
}

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
         : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Path after /models/ -> model (decoded into model_buf) and method; -1 when not that shape. */
static int split_path(const char *rest, int *stream)
{
    const char *colon = strrchr(rest, ':');
    size_t n = 0;
    if (!colon || colon == rest)
        return -1;
    if (!strcmp(colon, ":generateContent"))
        *stream = 0;
    else if (!strcmp(colon, ":streamGenerateContent"))
        *stream = 1;
    else
        return -1;
    for (const char *p = rest; p < colon; p++) {
        char c = *p;
        if (c == '%') {
            int hi = hexval(p[1]), lo = hi < 0 ? -1 : hexval(p[2]);
            if (lo < 0)
                return -1;
            c = (char)(hi * 16 + lo);
            p += 2;
        }
        if (c == '/' || c == '\0' || n + 1 >= sizeof model_buf)
            return -1;
        model_buf[n++] = c;
    }
    model_buf[n] = '\0';
    return 0;
}

static int query_has(const char *query, const char *name, const char *value)
{
    size_t ln = strlen(name);
    for (const char *p = query; *p;) {
        size_t len = strcspn(p, "&");
        if (!strncmp(p, name, ln) && (p[ln] == '=' || p[ln] == '&' || p[ln] == '\0') &&
            (!value || (p[ln] == '=' && len == ln + 1 + strlen(value) && !strncmp(p + ln + 1, value, len - ln - 1))))
            return 1;
        p += len + (p[len] == '&');
    }
    return 0;
}

/* ---- schema, parts, contents ---- */

static const char *const schema_keys[] = {
    "type", "format", "title", "description", "nullable", "enum", "maxItems", "minItems",
    "properties", "required", "minProperties", "maxProperties", "minLength", "maxLength",
    "pattern", "example", "anyOf", "propertyOrdering", "default", "items", "minimum", "maximum",
    NULL};

static int check_schema(const cJSON *s, int top, mock_reject *rej)
{
    const char *at = "tools[].function_declarations[].parameters";
    if (!cJSON_IsObject(s))
        return BAD("Invalid value at '%s': a schema must be an object", at);
    if (only(s, schema_keys, at, rej) < 0)
        return -1;
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(s, "type");
    const cJSON *props = cJSON_GetObjectItemCaseSensitive(s, "properties"), *p;
    if (type && !cJSON_IsString(type))
        return BAD("Invalid value at '%s.type': a single type name", at);
    if (type && !strcasecmp(type->valuestring, "object") && ((top && !props) || (props && !props->child)))
        return BAD("* GenerateContentRequest.%s.properties: should be non-empty for OBJECT type", at);
    cJSON_ArrayForEach(p, props)
        if (check_schema(p, 0, rej) < 0)
            return -1;
    const cJSON *items = cJSON_GetObjectItemCaseSensitive(s, "items");
    if (items && check_schema(items, 0, rej) < 0)
        return -1;
    cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(s, "anyOf"))
        if (check_schema(p, 0, rej) < 0)
            return -1;
    return 0;
}

static int str_member(const cJSON *o, const char *k)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(it) && it->valuestring[0];
}

static int check_part(const cJSON *part, const char *role, uint64_t *words, mock_reject *rej)
{
    static const char *const keys[] = {"text", "inlineData", "fileData", "functionCall",
                                       "functionResponse", "thought", "thoughtSignature", NULL};
    static const char *const data[] = {"text", "inlineData", "fileData", "functionCall",
                                       "functionResponse", NULL};
    if (!cJSON_IsObject(part) || only(part, keys, "contents[].parts[]", rej) < 0)
        return cJSON_IsObject(part) ? -1 : BAD("contents[].parts[] must be objects");
    int n = 0;
    const cJSON *m;
    cJSON_ArrayForEach(m, part)
        n += one_of(m->string, data);
    if (n != 1)
        return BAD("contents[].parts[]: a part holds exactly one of text, inlineData, fileData, "
                   "functionCall, functionResponse (got %d)", n);
    const cJSON *text = cJSON_GetObjectItemCaseSensitive(part, "text");
    const cJSON *inl = cJSON_GetObjectItemCaseSensitive(part, "inlineData");
    const cJSON *file = cJSON_GetObjectItemCaseSensitive(part, "fileData");
    const cJSON *fc = cJSON_GetObjectItemCaseSensitive(part, "functionCall");
    const cJSON *fr = cJSON_GetObjectItemCaseSensitive(part, "functionResponse");
    if (text) {
        if (!cJSON_IsString(text))
            return BAD("contents[].parts[].text must be a string");
        *words += mock_count_words(text->valuestring, strlen(text->valuestring));
    } else if (inl && (!str_member(inl, "mimeType") || !str_member(inl, "data"))) {
        return BAD("contents[].parts[].inlineData needs mimeType and data");
    } else if (file && !str_member(file, "fileUri")) {
        return BAD("contents[].parts[].fileData needs fileUri");
    } else if (fc && (strcmp(role, "model") || !str_member(fc, "name") ||
                      (cJSON_GetObjectItemCaseSensitive(fc, "args") &&
                       !cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(fc, "args"))))) {
        return BAD("functionCall parts belong to model turns and need a name and object args");
    } else if (fr && (strcmp(role, "user") || !str_member(fr, "name") ||
                      !cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(fr, "response")))) {
        return BAD("functionResponse parts belong to user turns and need a name and an object response");
    }
    return 0;
}

static int check_contents(const cJSON *contents, uint64_t *words, uint64_t *count, mock_reject *rej)
{
    static const char *const keys[] = {"role", "parts", NULL};
    static const char *const roles[] = {"user", "model", NULL};
    const cJSON *c, *p;
    if (!cJSON_IsArray(contents) || !contents->child)
        return BAD("* GenerateContentRequest.contents: contents is not specified");
    cJSON_ArrayForEach(c, contents) {
        const cJSON *role = cJSON_GetObjectItemCaseSensitive(c, "role");
        const cJSON *parts = cJSON_GetObjectItemCaseSensitive(c, "parts");
        if (!cJSON_IsObject(c) || only(c, keys, "contents[]", rej) < 0)
            return cJSON_IsObject(c) ? -1 : BAD("contents[] must be objects");
        if (!cJSON_IsString(role) || !one_of(role->valuestring, roles))
            return BAD("Please use a valid role: user, model.");
        if (!cJSON_IsArray(parts) || !parts->child)
            return BAD("* GenerateContentRequest.contents.parts: contents.parts must not be empty.");
        cJSON_ArrayForEach(p, parts)
            if (check_part(p, role->valuestring, words, rej) < 0)
                return -1;
        (*count)++;
    }
    return 0;
}

static int check_system(const cJSON *si, uint64_t *words, uint64_t *count, mock_reject *rej)
{
    static const char *const keys[] = {"role", "parts", NULL};
    static const char *const pkeys[] = {"text", NULL};
    const cJSON *parts = cJSON_GetObjectItemCaseSensitive(si, "parts"), *p;
    if (!cJSON_IsObject(si) || only(si, keys, "system_instruction", rej) < 0)
        return cJSON_IsObject(si) ? -1 : BAD("systemInstruction must be an object");
    if (!cJSON_IsArray(parts) || !parts->child)
        return BAD("systemInstruction.parts must not be empty");
    cJSON_ArrayForEach(p, parts) {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(p, "text");
        if (only(p, pkeys, "system_instruction.parts[]", rej) < 0)
            return -1;
        if (!cJSON_IsString(t))
            return BAD("systemInstruction parts must be text");
        *words += mock_count_words(t->valuestring, strlen(t->valuestring));
    }
    (*count)++;
    return 0;
}

/* ---- generationConfig, tools, toolConfig ---- */

static int in_range(const cJSON *it, double lo, double hi, int integral)
{
    return cJSON_IsNumber(it) && it->valuedouble >= lo && it->valuedouble <= hi &&
           (!integral || (double)(int64_t)it->valuedouble == it->valuedouble);
}

static int check_gc(const cJSON *gc, mock_reject *rej)
{
    static const char *const keys[] = {
        "temperature", "topP", "topK", "candidateCount", "maxOutputTokens", "stopSequences", "seed",
        "presencePenalty", "frequencyPenalty", "responseMimeType", "responseSchema",
        "responseJsonSchema", "thinkingConfig", "responseLogprobs", "logprobs", NULL};
    static const struct { const char *k; double lo, hi; int integral; } nums[] = {
        {"temperature", 0, 2, 0}, {"topP", 0, 1, 0}, {"topK", 0, 1e9, 0},
        {"candidateCount", 1, 8, 1}, {"maxOutputTokens", 1, 2147483647.0, 1},
        {"seed", -2147483648.0, 2147483647.0, 1}, {"presencePenalty", -2, 2, 0},
        {"frequencyPenalty", -2, 2, 0}};
    const cJSON *it, *s;
    if (!cJSON_IsObject(gc) || only(gc, keys, "generation_config", rej) < 0)
        return cJSON_IsObject(gc) ? -1 : BAD("generationConfig must be an object");
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++)
        if ((it = cJSON_GetObjectItemCaseSensitive(gc, nums[i].k)) &&
            !in_range(it, nums[i].lo, nums[i].hi, nums[i].integral))
            return BAD("Invalid value at 'generation_config.%s'", nums[i].k);
    it = cJSON_GetObjectItemCaseSensitive(gc, "stopSequences");
    if (it && (!cJSON_IsArray(it) || cJSON_GetArraySize(it) > 5))
        return BAD("generationConfig.stopSequences: an array of up to 5 strings");
    cJSON_ArrayForEach(s, it)
        if (!cJSON_IsString(s))
            return BAD("generationConfig.stopSequences: an array of up to 5 strings");
    const cJSON *mime = cJSON_GetObjectItemCaseSensitive(gc, "responseMimeType");
    const cJSON *rs = cJSON_GetObjectItemCaseSensitive(gc, "responseSchema");
    const cJSON *rjs = cJSON_GetObjectItemCaseSensitive(gc, "responseJsonSchema");
    if (mime && (!cJSON_IsString(mime) || (strcmp(mime->valuestring, "text/plain") &&
                                          strcmp(mime->valuestring, "application/json"))))
        return BAD("generationConfig.responseMimeType: text/plain or application/json");
    if ((rs && rjs) || ((rs || rjs) && (!mime || strcmp(mime->valuestring, "application/json"))))
        return BAD("responseSchema / responseJsonSchema: one of them, with responseMimeType application/json");
    if ((rs && !cJSON_IsObject(rs)) || (rjs && !cJSON_IsObject(rjs)))
        return BAD("responseSchema / responseJsonSchema must be objects");
    return 0;
}

static int check_tools(const cJSON *tools, const cJSON *tool_config, mock_reject *rej)
{
    static const char *const tkeys[] = {"functionDeclarations", NULL};
    static const char *const dkeys[] = {"name", "description", "parameters", NULL};
    static const char *const ckeys[] = {"functionCallingConfig", NULL};
    static const char *const fkeys[] = {"mode", "allowedFunctionNames", NULL};
    static const char *const modes[] = {"AUTO", "ANY", "NONE", "VALIDATED", NULL};
    const cJSON *t, *d, *n;
    if (tools && !cJSON_IsArray(tools))
        return BAD("tools must be an array");
    cJSON_ArrayForEach(t, tools) {
        const cJSON *decls = cJSON_GetObjectItemCaseSensitive(t, "functionDeclarations");
        if (!cJSON_IsObject(t) || only(t, tkeys, "tools[]", rej) < 0)
            return cJSON_IsObject(t) ? -1 : BAD("tools[] must be objects");
        if (!cJSON_IsArray(decls) || !decls->child)
            return BAD("tools[].functionDeclarations must be a non-empty array");
        cJSON_ArrayForEach(d, decls) {
            const cJSON *params = cJSON_GetObjectItemCaseSensitive(d, "parameters");
            if (!cJSON_IsObject(d) || only(d, dkeys, "tools[].function_declarations[]", rej) < 0)
                return cJSON_IsObject(d) ? -1 : BAD("functionDeclarations[] must be objects");
            if (!str_member(d, "name"))
                return BAD("* GenerateContentRequest.tools[].function_declarations[].name: Name cannot be empty.");
            if (params && check_schema(params, 1, rej) < 0)
                return -1;
        }
    }
    if (!tool_config)
        return 0;
    const cJSON *fcc = cJSON_GetObjectItemCaseSensitive(tool_config, "functionCallingConfig");
    const cJSON *mode = cJSON_GetObjectItemCaseSensitive(fcc, "mode");
    const cJSON *names = cJSON_GetObjectItemCaseSensitive(fcc, "allowedFunctionNames");
    if (!cJSON_IsObject(tool_config) || only(tool_config, ckeys, "tool_config", rej) < 0 ||
        !cJSON_IsObject(fcc) || only(fcc, fkeys, "tool_config.function_calling_config", rej) < 0)
        return rej->status ? -1 : BAD("toolConfig.functionCallingConfig must be an object");
    if (!cJSON_IsString(mode) || !one_of(mode->valuestring, modes))
        return BAD("toolConfig.functionCallingConfig.mode: AUTO, ANY, NONE or VALIDATED");
    if (names && (strcmp(mode->valuestring, "ANY") && strcmp(mode->valuestring, "VALIDATED")))
        return BAD("allowedFunctionNames needs mode ANY or VALIDATED");
    if (!tools && strcmp(mode->valuestring, "NONE"))
        return BAD("toolConfig without tools");
    cJSON_ArrayForEach(n, names)
        if (!cJSON_IsString(n))
            return BAD("allowedFunctionNames must hold strings");
    return 0;
}

static int gem_parse(mock_parsed *out, mock_reject *rej, const mock_request *req, const cJSON *body)
{
    static const char *const keys[] = {"contents", "systemInstruction", "tools", "toolConfig",
                                       "generationConfig", "safetySettings", "cachedContent", NULL};
    memset(out, 0, sizeof *out);
    memset(rej, 0, sizeof *rej);
    const char *key = mock_request_header(req, "x-goog-api-key");
    if (!key || !key[strspn(key, " ")])
        return fail(rej, 403, "PERMISSION_DENIED", "Method doesn't allow unregistered callers (callers "
                    "without established identity). Please use API Key or other form of API consumer "
                    "identity to call this API.");
    if (query_has(req->query, "key", NULL))
        return BAD("mock: the API key is in the URL query (key=); llmgw sends it in x-goog-api-key only");
    int stream = 0;
    if (split_path(models_rest(req->path), &stream) < 0)
        return fail(rej, 404, "NOT_FOUND", "models/%.80s is not found for API version v1beta, or is not "
                    "supported for generateContent. Call ListModels to see the list of available models "
                    "and their supported methods.", models_rest(req->path));
    if (strcmp(req->method, "POST") != 0)
        return fail(rej, 404, "NOT_FOUND", "mock: %s needs POST", req->path);
    if (stream && !query_has(req->query, "alt", "sse"))
        return BAD("mock: streamGenerateContent without alt=sse streams a JSON array; llmgw asks for SSE");
    const char *ct = mock_request_header(req, "content-type");
    if (!ct || strncasecmp(ct, "application/json", 16) != 0)
        return BAD("mock: Content-Type must be application/json");
    if (!cJSON_IsObject(body))
        return BAD("Invalid JSON payload received. The body must be a JSON object.");
    if (only(body, keys, "", rej) < 0)
        return -1;
    uint64_t words = 0, count = 0;
    const cJSON *it;
    if (check_contents(cJSON_GetObjectItemCaseSensitive(body, "contents"), &words, &count, rej) < 0)
        return -1;
    if ((it = cJSON_GetObjectItemCaseSensitive(body, "systemInstruction")) &&
        check_system(it, &words, &count, rej) < 0)
        return -1;
    if ((it = cJSON_GetObjectItemCaseSensitive(body, "generationConfig")) && check_gc(it, rej) < 0)
        return -1;
    if (check_tools(cJSON_GetObjectItemCaseSensitive(body, "tools"),
                    cJSON_GetObjectItemCaseSensitive(body, "toolConfig"), rej) < 0)
        return -1;
    if ((it = cJSON_GetObjectItemCaseSensitive(body, "safetySettings")) && !cJSON_IsArray(it))
        return BAD("safetySettings must be an array");
    out->model = model_buf;
    out->stream = stream;
    out->include_usage = stream;           /* Gemini reports usage on every stream */
    out->prompt_tokens = words + 4 * count;
    return 0;
}

const mock_dialect mock_dialect_gemini = {
    .name = "gemini",
    .stream_content_type = "text/event-stream",
    .match = gem_match,
    .parse = gem_parse,
    .render_body = mock_gemini_render_body,
    .render_stream = mock_gemini_render_stream,
    .render_error = mock_gemini_render_error,
    .render_error_event = mock_gemini_render_error_event,
};
