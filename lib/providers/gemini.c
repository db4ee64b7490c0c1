/*
 * lib/providers/gemini.c: the Gemini API, generateContent (docs/providers.md §4).
 *
 * POST {api_base}/{version}/models/{model}:generateContent, streamed as
 * :streamGenerateContent?alt=sse. api_base is the SDK's own base
 * (https://generativelanguage.googleapis.com, GOOGLE_GEMINI_BASE_URL); the
 * version is api_version ("v1beta" unless set, e.g. "v1"). The model is one
 * path segment (validated and percent-encoded; a leading "models/" is
 * dropped), so "../x", "a/b" or "a?b" are refused before anything is sent.
 * The key goes in x-goog-api-key only, never in the URL. Keys: GOOGLE_API_KEY,
 * then GEMINI_API_KEY, as Google's SDK reads them.
 *
 * Response: candidates[0].content.parts: text parts are the answer, parts
 * with thought:true the reasoning, functionCall parts the tool calls (ids
 * synthesized as call_<index> when absent). Finish reasons: STOP -> stop
 * (tool_calls with function calls); MAX_TOKENS -> length; SAFETY,
 * RECITATION, BLOCKLIST, PROHIBITED_CONTENT, SPII, IMAGE_* blocks ->
 * content_filter; LANGUAGE, OTHER, FINISH_REASON_UNSPECIFIED, NO_IMAGE ->
 * stop; any other value (MALFORMED_FUNCTION_CALL ...) is reported raw. No
 * candidates and promptFeedback.blockReason: content_filter. Usage:
 * promptTokenCount (cached included) is the input, cachedContentTokenCount
 * the cache read, candidatesTokenCount + thoughtsTokenCount the output,
 * thoughtsTokenCount the reasoning. The stream has no [DONE]: each SSE event
 * is a whole response with the new parts; the event with a finishReason
 * ends it, and a stream without one is cut. {"error": ...} in the stream is
 * an error event classified like the HTTP error it names.
 */
#include "../core/common.h"
#include "../core/buf.h"
#include "../core/errors.h"
#include "../core/json.h"
#include "gemini.h"

#include <stdio.h>

typedef struct gemini_state {
    const llmgw_provider_config *cfg;
} gemini_state;

/* Per stream (and per non-stream body): tool calls numbered across events. */
typedef struct gemini_stream {
    size_t ncalls;
} gemini_stream;

static int gemini_init(void *state, const llmgw_provider_config *cfg)
{
    gemini_state *st = state;

    if (cfg->api_base == NULL)
        return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG, "gemini: no api_base");
    st->cfg = cfg;
    return 0;
}

static int url_segment(llmgw_http_request *out, const char *what, const char *name)
{
    char msg[256];
    int rc = llmgw_http_request_append_path_segment(out, name);

    if (rc < 0 && rc != LLMGW_ENOMEM) {
        snprintf(msg, sizeof(msg), "%s", llmgw_error_last()->message);
        return llmgw__error_setc(rc, LLMGW_ERRCLASS_BAD_REQUEST, "gemini: %s '%.64s' cannot be a URL path "
                                 "segment: %s", what, name, msg);
    }
    return rc;
}

static int gemini_build_request(llmgw_http_request *out, void *state, const llmgw_request *req, int stream)
{
    const gemini_state *st = state;
    const char *model = st->cfg->model;
    llmgw_buf body = LLMGW_BUF_INIT;
    int rc;

    if (strncmp(model, "models/", 7) == 0)
        model += 7;
    LLMGW_TRY(llmgw_http_request_set_url(out, st->cfg->api_base));
    LLMGW_TRY(llmgw_http_request_append_url(out, "/"));
    LLMGW_TRY(url_segment(out, "api_version", st->cfg->api_version ? st->cfg->api_version : "v1beta"));
    LLMGW_TRY(llmgw_http_request_append_url(out, "/models/"));
    LLMGW_TRY(url_segment(out, "model", model));
    LLMGW_TRY(llmgw_http_request_append_url(out, stream ? ":streamGenerateContent" : ":generateContent"));
    if (stream)
        LLMGW_TRY(llmgw_http_request_append_query(out, "alt", "sse"));
    LLMGW_TRY(llmgw_http_request_add_header(out, "Content-Type", "application/json"));
    if (stream)
        LLMGW_TRY(llmgw_http_request_add_header(out, "Accept", "text/event-stream"));
    if (st->cfg->api_key != NULL)
        LLMGW_TRY(llmgw_http_request_add_header(out, "x-goog-api-key", st->cfg->api_key));
    rc = llmgw__gemini_body(&body, req);
    if (rc == 0)
        rc = llmgw_http_request_set_body(out, body.ptr, body.size);
    llmgw_buf_dispose(&body);
    return rc;
}

/* ---- reading a GenerateContentResponse ---- */

static int malformed(const char *what)
{
    return llmgw__error_setc(LLMGW_EUNAVAILABLE, LLMGW_ERRCLASS_SERVER_ERROR,
                             "gemini: malformed response from the upstream: %s", what);
}

static int finish_of(const char *raw, bool calls)
{
    static const char *const filtered[] = { "SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII",
                                            "IMAGE_SAFETY", "IMAGE_PROHIBITED_CONTENT", "IMAGE_RECITATION" };
    static const char *const stopped[] = { "LANGUAGE", "OTHER", "FINISH_REASON_UNSPECIFIED", "NO_IMAGE",
                                           "IMAGE_OTHER" };
    size_t i;

    if (strcmp(raw, "STOP") == 0)
        return calls ? LLMGW_FINISH_TOOL_CALLS : LLMGW_FINISH_STOP;
    if (strcmp(raw, "MAX_TOKENS") == 0)
        return LLMGW_FINISH_LENGTH;
    for (i = 0; i < LLMGW_ARRAY_SIZE(filtered); i++)
        if (strcmp(raw, filtered[i]) == 0)
            return LLMGW_FINISH_CONTENT_FILTER;
    for (i = 0; i < LLMGW_ARRAY_SIZE(stopped); i++)
        if (strcmp(raw, stopped[i]) == 0)
            return LLMGW_FINISH_STOP;
    return LLMGW_FINISH_OTHER;
}

/* A count member: absent or null is 0; present must be a valid count. */
static int count(const cJSON *obj, const char *key, uint64_t *out)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);

    *out = 0;
    if (it == NULL || cJSON_IsNull(it))
        return 0;
    if (llmgw__json_token_count(it, out) < 0)
        return llmgw__error_setc(LLMGW_EUNAVAILABLE, LLMGW_ERRCLASS_SERVER_ERROR,
                                 "gemini: implausible usageMetadata.%s from the upstream", key);
    return 0;
}

static int set_usage(llmgw_reply *out, const cJSON *u)
{
    llmgw_token_counts c;
    uint64_t candidates, total;

    if (u == NULL || cJSON_IsNull(u))
        return 0;
    if (!cJSON_IsObject(u))
        return malformed("usageMetadata is not an object");
    memset(&c, 0, sizeof(c));
    LLMGW_TRY(count(u, "promptTokenCount", &c.input_tokens));
    LLMGW_TRY(count(u, "cachedContentTokenCount", &c.cache_read_tokens));
    LLMGW_TRY(count(u, "candidatesTokenCount", &candidates));
    LLMGW_TRY(count(u, "thoughtsTokenCount", &c.reasoning_tokens));
    LLMGW_TRY(count(u, "totalTokenCount", &total));
    c.output_tokens = candidates + c.reasoning_tokens;
    return llmgw_reply_set_usage(out, &c);
}

static int add_call(llmgw_reply *out, gemini_stream *ss, const cJSON *fc)
{
    const cJSON *args = cJSON_GetObjectItemCaseSensitive(fc, "args");
    const char *name = llmgw__json_str(fc, "name"), *id = llmgw__json_str(fc, "id");
    llmgw_buf text = LLMGW_BUF_INIT;
    char synth[32];
    int rc;

    if (name == NULL || *name == '\0')
        return malformed("functionCall without a name");
    if (args != NULL && !cJSON_IsNull(args) && !cJSON_IsObject(args))
        return malformed("functionCall.args is not an object");
    if (id == NULL || *id == '\0') {
        snprintf(synth, sizeof(synth), "call_%zu", ss->ncalls);
        id = synth;
    }
    rc = cJSON_IsObject(args) ? llmgw__json_print(&text, args) : llmgw__buf_puts(&text, "{}");
    if (rc == 0)
        rc = llmgw_reply_tool_call(out, ss->ncalls++, id, name, text.ptr, text.size);
    llmgw_buf_dispose(&text);
    return rc;
}

static int add_parts(llmgw_reply *out, gemini_stream *ss, const cJSON *parts)
{
    const cJSON *p, *text, *fc;

    if (parts != NULL && !cJSON_IsArray(parts))
        return malformed("content.parts is not an array");
    cJSON_ArrayForEach(p, parts) {
        text = cJSON_GetObjectItemCaseSensitive(p, "text");
        fc = cJSON_GetObjectItemCaseSensitive(p, "functionCall");
        if (cJSON_IsString(text)) {
            size_t n = strlen(text->valuestring);
            if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(p, "thought")))
                LLMGW_TRY(llmgw_reply_append_reasoning(out, text->valuestring, n));
            else
                LLMGW_TRY(llmgw_reply_append_text(out, text->valuestring, n));
        } else if (cJSON_IsObject(fc)) {
            LLMGW_TRY(add_call(out, ss, fc));
        }
        /* other parts (executableCode, inlineData output ...) carry nothing llmgw reports */
    }
    return 0;
}

static int embedded_error(llmgw_reply *out, const cJSON *err)
{
    llmgw_error_info info;
    int64_t code = 0;

    memset(&info, 0, sizeof(info));
    info.retry_after_ms = -1;
    if (llmgw__json_int64(cJSON_GetObjectItemCaseSensitive(err, "code"), &code) < 0 || code < 400 || code > 599)
        code = 0;
    info.error_class = llmgw__gemini_http_class((int)code);
    llmgw__gemini_error_object(&info, err);
    return llmgw_reply_error(out, info.error_class ? info.error_class : LLMGW_ERRCLASS_SERVER_ERROR, (int)code,
                             info.message[0] ? info.message : "error in a 200 response");
}

/* One GenerateContentResponse: a whole body, or one stream event (only the new parts). */
static int apply(llmgw_reply *out, gemini_stream *ss, const cJSON *root, bool stream)
{
    const cJSON *cands, *c0, *err, *content;
    const char *s, *block;

    if (!cJSON_IsObject(root))
        return malformed("not a JSON object");
    if ((err = cJSON_GetObjectItemCaseSensitive(root, "error")) != NULL && !cJSON_IsNull(err))
        return cJSON_IsObject(err) ? embedded_error(out, err)
                                   : llmgw_reply_error(out, LLMGW_ERRCLASS_SERVER_ERROR, 0, "error in a 200 response");
    if ((s = llmgw__json_str(root, "responseId")) != NULL && *s)
        LLMGW_TRY(llmgw_reply_set_id(out, s));
    if ((s = llmgw__json_str(root, "modelVersion")) != NULL && *s)
        LLMGW_TRY(llmgw_reply_set_model(out, s));
    LLMGW_TRY(set_usage(out, cJSON_GetObjectItemCaseSensitive(root, "usageMetadata")));
    cands = cJSON_GetObjectItemCaseSensitive(root, "candidates");
    if (cands != NULL && !cJSON_IsArray(cands))
        return malformed("candidates is not an array");
    if ((c0 = cJSON_GetArrayItem(cands, 0)) == NULL) {
        block = llmgw__json_str(cJSON_GetObjectItemCaseSensitive(root, "promptFeedback"), "blockReason");
        if (block != NULL) {
            LLMGW_TRY(llmgw_reply_set_finish(out, LLMGW_FINISH_CONTENT_FILTER, block));
            return llmgw_reply_done(out);
        }
        return stream ? 0 : malformed("no candidates");
    }
    content = cJSON_GetObjectItemCaseSensitive(c0, "content");
    LLMGW_TRY(add_parts(out, ss, cJSON_GetObjectItemCaseSensitive(content, "parts")));
    if ((s = llmgw__json_str(c0, "finishReason")) != NULL) {
        LLMGW_TRY(llmgw_reply_set_finish(out, finish_of(s, ss->ncalls > 0), s));
        return llmgw_reply_done(out);
    }
    return stream ? 0 : llmgw_reply_done(out);
}

static int parse_json(cJSON **out, const char *data, size_t len)
{
    *out = llmgw__json_parse(data, len, LLMGW_ERRCLASS_SERVER_ERROR);
    return *out ? 0 : llmgw__json_failure(LLMGW_EUNAVAILABLE);
}

static int gemini_parse_response(llmgw_reply *out, void *state, const llmgw_http_response *in)
{
    gemini_stream ss = { 0 };
    size_t len;
    const char *body = llmgw_http_response_body(in, &len);
    cJSON *root;
    int rc;

    LLMGW_UNUSED(state);
    LLMGW_TRY(parse_json(&root, body, len));
    rc = apply(out, &ss, root, false);
    cJSON_Delete(root);
    return rc;
}

static int gemini_parse_stream_event(llmgw_reply *out, void *state, void *stream_state,
                                     const llmgw_stream_event *ev)
{
    cJSON *root;
    int rc;

    LLMGW_UNUSED(state);
    LLMGW_TRY(parse_json(&root, ev->data, ev->data_len));
    rc = apply(out, stream_state, root, true);
    cJSON_Delete(root);
    return rc;
}

const llmgw_provider_vtable llmgw__provider_gemini = {
    .version = LLMGW_PROVIDER_VTABLE_VERSION,
    .name = "gemini",
    .capabilities = LLMGW_CAP_STREAM | LLMGW_CAP_TOOLS | LLMGW_CAP_VISION | LLMGW_CAP_JSON_MODE,
    .stream_framing = LLMGW_FRAMING_SSE,
    .default_api_base = "https://generativelanguage.googleapis.com",
    .env_api_key = "GOOGLE_API_KEY,GEMINI_API_KEY",
    .env_api_base = "GOOGLE_GEMINI_BASE_URL",
    .env_api_version = NULL,
    .state_size = sizeof(gemini_state),
    .stream_state_size = sizeof(gemini_stream),
    .init = gemini_init,
    .build_request = gemini_build_request,
    .parse_response = gemini_parse_response,
    .parse_stream_event = gemini_parse_stream_event,
    .classify_error = llmgw__gemini_classify_error,
    .cleanup = NULL,
};
