/*
 * lib/providers/cohere_reply.c: Cohere v2 chat answers, streams and errors
 * (docs/providers.md §6; cohere-python v2 types; vercel/ai's fixtures).
 *
 * Answer: {id, finish_reason, message:{role, content:[{type:"text", text} |
 * {type:"thinking", thinking}], tool_plan?, tool_calls?:[{id, type, function:
 * {name, arguments:<JSON string>}}]}, usage:{billed_units, tokens, cached_tokens?}}.
 * Text is the answer; thinking and tool_plan (the model's plan before its tool
 * calls) are reasoning. Usage: tokens.input_tokens (billed_units when tokens
 * is absent) with cached_tokens counted inside it as cache reads; output_tokens.
 * Finish: COMPLETE, STOP_SEQUENCE -> stop; MAX_TOKENS -> length; TOOL_CALL, and
 * any value when tool calls came -> tool_calls; ERROR (generation failed) and TIMEOUT fail the attempt
 * (server_error, timeout) with the upstream's message; others: raw.
 *
 * Stream (SSE, event: name and JSON "type"): message-start (id),
 * content-start / content-delta (delta.message.content.text or .thinking),
 * tool-plan-delta, tool-call-start (id, name, first fragment; top-level
 * "index" when present, else the next call), tool-call-delta (fragment of
 * "index", else of the current call), tool-call-end, citation-*, content-end,
 * message-end (delta.finish_reason, delta.usage, delta.error). message-end is
 * the terminal event: the SDK skips the "data: [DONE]" that follows it as an
 * OpenAI-style extra, so [DONE] alone never completes a stream.
 *
 * Errors: {"id"?, "message"} bodies. By status, then: 498 (invalid token) ->
 * auth; 499 (client closed request) -> server_error; 400/422 whose message
 * speaks of context size -> context_length_exceeded; 429 whose message names a
 * monthly limit (trial keys: 1000 calls a month) -> quota_exceeded. The message
 * heuristics are llmgw's (Cohere documents no error codes).
 */
#include "../core/common.h"
#include "../core/buf.h"
#include "../core/errors.h"
#include "../core/json.h"
#include "cohere.h"
#include "translate.h"

#include <stdio.h>

#define P "cohere"

static bool is(const char *s, const char *v)
{
    return s != NULL && strcmp(s, v) == 0;
}

static const cJSON *get(const cJSON *obj, const char *key)
{
    return cJSON_GetObjectItemCaseSensitive(obj, key);
}

static int set_finish(llmgw_reply *out, const char *raw, bool calls)
{
    if (calls)
        return llmgw_reply_set_finish(out, LLMGW_FINISH_TOOL_CALLS, raw);
    if (raw == NULL)
        return 0;
    if (is(raw, "COMPLETE") || is(raw, "STOP_SEQUENCE"))
        return llmgw_reply_set_finish(out, LLMGW_FINISH_STOP, raw);
    if (is(raw, "MAX_TOKENS"))
        return llmgw_reply_set_finish(out, LLMGW_FINISH_LENGTH, raw);
    if (is(raw, "TOOL_CALL"))
        return llmgw_reply_set_finish(out, LLMGW_FINISH_TOOL_CALLS, raw);
    return llmgw_reply_set_finish(out, LLMGW_FINISH_OTHER, raw);
}

/*
 * Finish reason and in-band failure: ERROR and TIMEOUT (or an error message)
 * fail the attempt, and then 1 is returned; else the reply is done.
 */
static int finish(llmgw_reply *out, const char *raw, const char *error, bool calls)
{
    char msg[400];
    int rc;

    if (error != NULL || is(raw, "ERROR") || is(raw, "TIMEOUT")) {
        snprintf(msg, sizeof(msg), "%s (finish_reason %s)", error ? error : "generation failed",
                 raw ? raw : "none");
        rc = llmgw_reply_error(out, is(raw, "TIMEOUT") ? LLMGW_ERRCLASS_TIMEOUT
                                   : llmgw__translate_message_class(error, LLMGW_ERRCLASS_SERVER_ERROR), 0, msg);
        return rc < 0 ? rc : 1;
    }
    LLMGW_TRY(set_finish(out, raw, calls));
    return llmgw_reply_done(out);
}

static int set_usage(llmgw_reply *out, const cJSON *u)
{
    const cJSON *src;
    llmgw_token_counts c;
    bool has_in, has_out;

    if (u == NULL || cJSON_IsNull(u))
        return 0;
    if (!cJSON_IsObject(u))
        return llmgw__translate_malformed(P, "usage is not an object");
    src = cJSON_IsObject(get(u, "tokens")) ? get(u, "tokens") : get(u, "billed_units");
    if (!cJSON_IsObject(src))
        return 0;                       /* no counts: usage stays unknown */
    memset(&c, 0, sizeof(c));
    LLMGW_TRY(llmgw__translate_count(src, "input_tokens", P, &c.input_tokens, &has_in));
    LLMGW_TRY(llmgw__translate_count(src, "output_tokens", P, &c.output_tokens, &has_out));
    LLMGW_TRY(llmgw__translate_count(u, "cached_tokens", P, &c.cache_read_tokens, NULL));
    if (!has_in && !has_out)
        return 0;
    return llmgw_reply_set_usage(out, &c);      /* refuses cached > input */
}

static int text_item(llmgw_reply *out, const cJSON *item)
{
    const char *s;

    if ((s = llmgw__json_str(item, "text")) != NULL && *s)
        LLMGW_TRY(llmgw_reply_append_text(out, s, strlen(s)));
    if ((s = llmgw__json_str(item, "thinking")) != NULL && *s)
        LLMGW_TRY(llmgw_reply_append_reasoning(out, s, strlen(s)));
    return 0;
}

/* One tool call (or a fragment of one): arguments are a JSON string; tolerate an object. */
static int tool_call(llmgw_reply *out, size_t index, const cJSON *tc)
{
    const cJSON *fn = get(tc, "function"), *args = get(fn, "arguments");
    llmgw_buf printed = LLMGW_BUF_INIT;
    int rc;

    if (cJSON_IsObject(args) || cJSON_IsArray(args))
        rc = llmgw__json_print(&printed, args);
    else
        rc = llmgw__buf_puts(&printed, cJSON_IsString(args) ? args->valuestring : "");
    if (rc == 0)
        rc = llmgw_reply_tool_call(out, index, llmgw__json_str(tc, "id"), llmgw__json_str(fn, "name"),
                                   llmgw__buf_cstr(&printed), printed.size);
    llmgw_buf_dispose(&printed);
    return rc;
}

static int parse_answer(llmgw_reply *out, const cJSON *root)
{
    const cJSON *msg = get(root, "message"), *item, *content, *calls;
    const char *s;
    size_t i = 0;
    int rc;

    if (!cJSON_IsObject(root))
        return llmgw__translate_malformed(P, "not a JSON object");
    if (cJSON_IsString(msg))            /* an error envelope with a 2xx status */
        return llmgw_reply_error(out, llmgw__translate_message_class(msg->valuestring,
                                                                     LLMGW_ERRCLASS_SERVER_ERROR),
                                 0, msg->valuestring);
    if (!cJSON_IsObject(msg))
        return llmgw__translate_malformed(P, "no message object");
    LLMGW_TRY(llmgw_reply_set_id(out, llmgw__json_str(root, "id")));
    content = get(msg, "content");
    if (cJSON_IsString(content))
        LLMGW_TRY(llmgw_reply_append_text(out, content->valuestring, strlen(content->valuestring)));
    cJSON_ArrayForEach(item, content)
        LLMGW_TRY(text_item(out, item));
    if ((s = llmgw__json_str(msg, "tool_plan")) != NULL && *s)
        LLMGW_TRY(llmgw_reply_append_reasoning(out, s, strlen(s)));
    calls = get(msg, "tool_calls");
    if (cJSON_IsArray(calls))
        cJSON_ArrayForEach(item, calls)
            LLMGW_TRY(tool_call(out, i++, item));
    LLMGW_TRY(set_usage(out, get(root, "usage")));
    rc = finish(out, llmgw__json_str(root, "finish_reason"), llmgw__json_str(root, "error"), i > 0);
    return rc < 0 ? rc : 0;
}

int llmgw__cohere_parse_response(llmgw_reply *out, void *state, const llmgw_http_response *in)
{
    size_t len;
    const char *body = llmgw_http_response_body(in, &len);
    cJSON *root;
    int rc;

    LLMGW_UNUSED(state);
    if ((root = llmgw__json_parse(body, len, LLMGW_ERRCLASS_SERVER_ERROR)) == NULL)
        return llmgw__json_failure(LLMGW_EUNAVAILABLE);
    rc = parse_answer(out, root);
    cJSON_Delete(root);
    return rc;
}

/* The call a tool-call event is about: its "index", else the next (start) or current (delta) one. */
static int call_index(llmgw__cohere_stream *st, const cJSON *root, bool start, size_t *out)
{
    const cJSON *idx = get(root, "index");
    uint64_t v;

    if (idx != NULL && !cJSON_IsNull(idx)) {
        if (llmgw__json_token_count(idx, &v) < 0 || v >= 1024)
            return llmgw__translate_malformed(P, "tool call index");
        *out = (size_t)v;
    } else {
        *out = start ? st->calls : st->current;
    }
    if (start) {
        st->current = *out;
        st->calls = LLMGW_MAX(st->calls, *out + 1);
    }
    return 0;
}

static int stream_event(llmgw_reply *out, llmgw__cohere_stream *st, const cJSON *root, const char *type)
{
    const cJSON *delta = get(root, "delta"), *dmsg = get(delta, "message"), *tc;
    const char *s;
    size_t index = 0;
    int rc;

    if (is(type, "message-start"))
        return (s = llmgw__json_str(root, "id")) != NULL && *s ? llmgw_reply_set_id(out, s) : 0;
    if (is(type, "content-start") || is(type, "content-delta"))
        return text_item(out, get(dmsg, "content"));
    if (is(type, "tool-plan-delta"))
        return (s = llmgw__json_str(dmsg, "tool_plan")) != NULL && *s
                   ? llmgw_reply_append_reasoning(out, s, strlen(s)) : 0;
    if (is(type, "tool-call-start") || is(type, "tool-call-delta")) {
        tc = get(dmsg, "tool_calls");
        if (cJSON_IsArray(tc))
            tc = cJSON_GetArrayItem(tc, 0);
        LLMGW_TRY(call_index(st, root, is(type, "tool-call-start"), &index));
        if (!cJSON_IsObject(tc))
            return llmgw__translate_malformed(P, "tool call event without delta.message.tool_calls");
        return tool_call(out, index, tc);
    }
    if (is(type, "message-end")) {
        LLMGW_TRY(set_usage(out, get(delta, "usage")));
        rc = finish(out, llmgw__json_str(delta, "finish_reason"), llmgw__json_str(delta, "error"),
                    st->calls > 0);
        return rc < 0 ? rc : 0;
    }
    if (is(type, "error")) {            /* not documented for v2; taken if it ever comes */
        s = llmgw__json_str(root, "message");
        return llmgw_reply_error(out, llmgw__translate_message_class(s, LLMGW_ERRCLASS_SERVER_ERROR), 0,
                                 s ? s : "error event in the stream");
    }
    return 0;                           /* content-end, tool-call-end, citation-*, unknown: nothing */
}

int llmgw__cohere_parse_stream_event(llmgw_reply *out, void *state, void *stream_state,
                                     const llmgw_stream_event *ev)
{
    char name[64];
    const char *type;
    cJSON *root;
    int rc;

    LLMGW_UNUSED(state);
    if (ev->data_len == 6 && memcmp(ev->data, "[DONE]", 6) == 0)
        return 0;
    if ((root = llmgw__json_parse(ev->data, ev->data_len, LLMGW_ERRCLASS_SERVER_ERROR)) == NULL)
        return llmgw__json_failure(LLMGW_EUNAVAILABLE);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return llmgw__translate_malformed(P, "stream event is not a JSON object");
    }
    type = llmgw__json_str(root, "type");
    if (type == NULL) {
        snprintf(name, sizeof(name), "%.*s", (int)LLMGW_MIN(ev->event_len, sizeof(name) - 1), ev->event);
        type = name;
    }
    rc = stream_event(out, stream_state, root, type);
    cJSON_Delete(root);
    return rc;
}

int llmgw__cohere_classify_error(llmgw_error_info *out, void *state, const llmgw_http_response *in)
{
    int status = llmgw_http_response_status(in);
    size_t len;
    const char *body = llmgw_http_response_body(in, &len), *msg;
    cJSON *root;

    LLMGW_UNUSED(state);
    if (status == 498)
        out->error_class = LLMGW_ERRCLASS_AUTH;
    else if (status == 499)
        out->error_class = LLMGW_ERRCLASS_SERVER_ERROR;
    if (len == 0 || (root = cJSON_ParseWithLength(body, len)) == NULL)
        return 0;                       /* not JSON: the status decides */
    if ((msg = llmgw__json_str(root, "message")) != NULL) {
        snprintf(out->message, sizeof(out->message), "%s", msg);
        if ((status == 400 || status == 422) &&
            llmgw__translate_message_class(msg, 0) == LLMGW_ERRCLASS_CONTEXT_LENGTH_EXCEEDED)
            out->error_class = LLMGW_ERRCLASS_CONTEXT_LENGTH_EXCEEDED;
        else if (status == 429 && llmgw__translate_contains(msg, "month"))
            out->error_class = LLMGW_ERRCLASS_QUOTA_EXCEEDED;
    }
    cJSON_Delete(root);
    return 0;
}
