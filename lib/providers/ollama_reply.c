/*
 * lib/providers/ollama_reply.c: Ollama /api/chat answers, NDJSON streams and
 * errors (docs/providers.md §7; ollama docs/api.md and docs/api/errors.mdx).
 *
 * Answer and stream lines share one shape: {model, created_at, message:{role,
 * content, thinking?, tool_calls?:[{id?, function:{index?, name, arguments:
 * <object>}}]}, done, done_reason?, prompt_eval_count?, eval_count?, ...}.
 * content is text, thinking is reasoning; tool-call arguments are objects,
 * re-serialized to the JSON string llmgw hands out. A stream sends one such
 * object per line with done:false and content fragments (tool calls arrive
 * whole); the line with done:true carries done_reason and the counts and is
 * the terminal event. Usage: prompt_eval_count -> input, eval_count -> output
 * (Ollama omits a count that is 0). Finish: stop, length; tool_calls whenever
 * tool calls came (the native API has no tool finish reason); other values
 * (load, unload) raw; no done_reason (older servers) leaves it unset.
 *
 * Errors: {"error":"<string>"} with any status; a line {"error":...} inside a
 * 200 stream fails the attempt. By status, then: 400/413/422 whose message
 * speaks of the context (Ollama: "the prompt is longer than the context
 * length ...", only when context shift is off) -> context_length_exceeded.
 * 404 (model not found, "try pulling it first") stays not_found.
 */
#include "../core/common.h"
#include "../core/buf.h"
#include "../core/errors.h"
#include "../core/json.h"
#include "ollama.h"
#include "translate.h"

#include <stdio.h>

#define P "ollama"

static bool is(const char *s, const char *v)
{
    return s != NULL && strcmp(s, v) == 0;
}

static const cJSON *get(const cJSON *obj, const char *key)
{
    return cJSON_GetObjectItemCaseSensitive(obj, key);
}

static int tool_call(llmgw_reply *out, size_t index, const cJSON *tc)
{
    const cJSON *fn = get(tc, "function"), *args = get(fn, "arguments");
    llmgw_buf printed = LLMGW_BUF_INIT;
    int rc;

    if (!cJSON_IsObject(fn) || llmgw__json_str(fn, "name") == NULL)
        return llmgw__translate_malformed(P, "tool call without function.name");
    if (cJSON_IsString(args))
        rc = llmgw__buf_puts(&printed, args->valuestring);
    else if (args == NULL || cJSON_IsNull(args))
        rc = llmgw__buf_puts(&printed, "{}");
    else
        rc = llmgw__json_print(&printed, args);
    if (rc == 0)
        rc = llmgw_reply_tool_call(out, index, llmgw__json_str(tc, "id"), llmgw__json_str(fn, "name"),
                                   llmgw__buf_cstr(&printed), printed.size);
    llmgw_buf_dispose(&printed);
    return rc;
}

static int set_finish(llmgw_reply *out, const char *raw, bool calls)
{
    if (calls)
        return llmgw_reply_set_finish(out, LLMGW_FINISH_TOOL_CALLS, raw);
    if (raw == NULL)
        return 0;
    if (is(raw, "stop"))
        return llmgw_reply_set_finish(out, LLMGW_FINISH_STOP, raw);
    if (is(raw, "length"))
        return llmgw_reply_set_finish(out, LLMGW_FINISH_LENGTH, raw);
    return llmgw_reply_set_finish(out, LLMGW_FINISH_OTHER, raw);
}

static int set_usage(llmgw_reply *out, const cJSON *root)
{
    llmgw_token_counts c;
    bool has_in, has_out;

    memset(&c, 0, sizeof(c));
    LLMGW_TRY(llmgw__translate_count(root, "prompt_eval_count", P, &c.input_tokens, &has_in));
    LLMGW_TRY(llmgw__translate_count(root, "eval_count", P, &c.output_tokens, &has_out));
    return has_in || has_out ? llmgw_reply_set_usage(out, &c) : 0;
}

/* {"error": "..."} (or {"error": {"message": ...}}) inside a 2xx body or stream */
static int embedded_error(llmgw_reply *out, const cJSON *err)
{
    const char *msg = cJSON_IsString(err) ? err->valuestring : llmgw__json_str(err, "message");

    return llmgw_reply_error(out, llmgw__translate_message_class(msg, LLMGW_ERRCLASS_SERVER_ERROR), 0,
                             msg ? msg : "error in the stream");
}

/* One answer object (the body, or one stream line); calls counts the tool calls seen so far. */
static int parse_object(llmgw_reply *out, const cJSON *root, size_t *calls, bool stream)
{
    const cJSON *msg = get(root, "message"), *err = get(root, "error"), *tc, *done = get(root, "done");
    const char *s;

    if (!cJSON_IsObject(root))
        return llmgw__translate_malformed(P, "not a JSON object");
    if (err != NULL && !cJSON_IsNull(err))
        return embedded_error(out, err);
    if ((s = llmgw__json_str(root, "model")) != NULL && *s)
        LLMGW_TRY(llmgw_reply_set_model(out, s));
    if (msg != NULL && !cJSON_IsObject(msg))
        return llmgw__translate_malformed(P, "message is not an object");
    if ((s = llmgw__json_str(msg, "thinking")) != NULL && *s)
        LLMGW_TRY(llmgw_reply_append_reasoning(out, s, strlen(s)));
    if ((s = llmgw__json_str(msg, "content")) != NULL && *s)
        LLMGW_TRY(llmgw_reply_append_text(out, s, strlen(s)));
    if (cJSON_IsArray(get(msg, "tool_calls")))
        cJSON_ArrayForEach(tc, get(msg, "tool_calls"))
            LLMGW_TRY(tool_call(out, (*calls)++, tc));
    if (done != NULL && !cJSON_IsBool(done))
        return llmgw__translate_malformed(P, "done is not a boolean");
    if (!cJSON_IsTrue(done))
        return stream ? 0 : llmgw__translate_malformed(P, "the answer is not done");
    LLMGW_TRY(set_usage(out, root));
    LLMGW_TRY(set_finish(out, llmgw__json_str(root, "done_reason"), *calls > 0));
    return llmgw_reply_done(out);
}

int llmgw__ollama_parse_response(llmgw_reply *out, void *state, const llmgw_http_response *in)
{
    size_t len, calls = 0;
    const char *body = llmgw_http_response_body(in, &len);
    cJSON *root;
    int rc;

    LLMGW_UNUSED(state);
    if ((root = llmgw__json_parse(body, len, LLMGW_ERRCLASS_SERVER_ERROR)) == NULL)
        return llmgw__json_failure(LLMGW_EUNAVAILABLE);
    rc = parse_object(out, root, &calls, false);
    cJSON_Delete(root);
    return rc;
}

int llmgw__ollama_parse_stream_event(llmgw_reply *out, void *state, void *stream_state,
                                     const llmgw_stream_event *ev)
{
    llmgw__ollama_stream *st = stream_state;
    cJSON *root;
    int rc;

    LLMGW_UNUSED(state);
    if ((root = llmgw__json_parse(ev->data, ev->data_len, LLMGW_ERRCLASS_SERVER_ERROR)) == NULL)
        return llmgw__json_failure(LLMGW_EUNAVAILABLE);
    rc = parse_object(out, root, &st->calls, true);
    cJSON_Delete(root);
    return rc;
}

int llmgw__ollama_classify_error(llmgw_error_info *out, void *state, const llmgw_http_response *in)
{
    int status = llmgw_http_response_status(in);
    size_t len;
    const char *body = llmgw_http_response_body(in, &len), *msg;
    const cJSON *err;
    cJSON *root;

    LLMGW_UNUSED(state);
    if (len == 0 || (root = cJSON_ParseWithLength(body, len)) == NULL)
        return 0;                       /* not JSON: the status decides */
    err = get(root, "error");
    msg = cJSON_IsString(err) ? err->valuestring : llmgw__json_str(err, "message");
    if (msg != NULL) {
        snprintf(out->message, sizeof(out->message), "%s", msg);
        if ((status == 400 || status == 413 || status == 422) &&
            llmgw__translate_message_class(msg, 0) == LLMGW_ERRCLASS_CONTEXT_LENGTH_EXCEEDED)
            out->error_class = LLMGW_ERRCLASS_CONTEXT_LENGTH_EXCEEDED;
    }
    cJSON_Delete(root);
    return 0;
}
