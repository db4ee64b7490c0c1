/*
 * lib/providers/anthropic_response.c: Messages responses and streams
 * (docs/providers.md §3, §0.2, §0.3).
 *
 * Content blocks: text -> answer text; thinking -> reasoning, never mixed into the text;
 * tool_use -> a tool call numbered in order of appearance, its input object printed as the
 * arguments string; redacted_thinking, server-tool blocks and unknown types are skipped.
 * stop_reason: end_turn, stop_sequence -> stop; max_tokens, model_context_window_exceeded ->
 * length; tool_use -> tool_calls; refusal -> content_filter; pause_turn and anything else ->
 * the raw value. Usage: input = input_tokens + cache_creation_input_tokens +
 * cache_read_input_tokens (Anthropic reports the cached parts apart); output_tokens as is (it
 * includes thinking); reasoning = output_tokens_details.thinking_tokens.
 *
 * Stream (SSE, typed events; the JSON repeats the name in "type"): message_start (id, model,
 * usage so far), content_block_start / _delta / _stop (each block index's kind is kept in the
 * stream state; input_json_delta.partial_json fragments belong to the block's tool-call
 * ordinal, not its block index; a tool block that got no fragment gets "{}"), message_delta
 * (stop_reason; usage counters are cumulative: each replaces the last, never summed; usage is
 * set on the reply only here, so a stream cut before it reports none), message_stop (the
 * terminal marker), ping and unknown events (ignored), error (the attempt fails with the
 * class of error.type).
 */
#include "../core/common.h"
#include "../core/buf.h"
#include "../core/errors.h"
#include "../core/json.h"
#include "anthropic.h"

#include <stdio.h>

enum { BLOCK_OTHER = 1, BLOCK_TEXT, BLOCK_THINKING, BLOCK_TOOL };

static int malformed(const char *what)
{
    return llmgw__error_setc(LLMGW_EUNAVAILABLE, LLMGW_ERRCLASS_SERVER_ERROR,
                             "malformed response from anthropic: %s", what);
}

static const cJSON *member(const cJSON *obj, const char *key)
{
    return cJSON_GetObjectItemCaseSensitive(obj, key);
}

static bool is(const char *s, const char *v)
{
    return s != NULL && strcmp(s, v) == 0;
}

static int finish_of(const char *s)
{
    if (is(s, "end_turn") || is(s, "stop_sequence"))
        return LLMGW_FINISH_STOP;
    if (is(s, "max_tokens") || is(s, "model_context_window_exceeded"))
        return LLMGW_FINISH_LENGTH;
    if (is(s, "tool_use"))
        return LLMGW_FINISH_TOOL_CALLS;
    if (is(s, "refusal"))
        return LLMGW_FINISH_CONTENT_FILTER;
    return s == NULL ? LLMGW_FINISH_NONE : LLMGW_FINISH_OTHER;
}

static int set_finish(llmgw_reply *out, const cJSON *obj)
{
    const char *s = llmgw__json_str(obj, "stop_reason");

    return s == NULL ? 0 : llmgw_reply_set_finish(out, finish_of(s), s);
}

/* A counter member: absent or null keeps *slot; present must be a valid token count. */
static int count(const cJSON *obj, const char *key, uint64_t *slot)
{
    const cJSON *it = member(obj, key);

    if (it == NULL || cJSON_IsNull(it))
        return 0;
    if (llmgw__json_token_count(it, slot) < 0)
        return llmgw__error_setc(LLMGW_EUNAVAILABLE, LLMGW_ERRCLASS_SERVER_ERROR,
                                 "implausible token count in anthropic usage.%s", key);
    return 0;
}

/* Fold a usage object into u (cumulative values replace, never add). */
static int read_usage(llmgw__anthropic_usage *u, const cJSON *usage)
{
    const cJSON *details = member(usage, "output_tokens_details");

    if (!cJSON_IsObject(usage))
        return malformed("usage is not an object");
    LLMGW_TRY(count(usage, "input_tokens", &u->input));
    LLMGW_TRY(count(usage, "cache_creation_input_tokens", &u->cache_creation));
    LLMGW_TRY(count(usage, "cache_read_input_tokens", &u->cache_read));
    LLMGW_TRY(count(usage, "output_tokens", &u->output));
    return cJSON_IsObject(details) ? count(details, "thinking_tokens", &u->thinking) : 0;
}

static int set_usage(llmgw_reply *out, const llmgw__anthropic_usage *u)
{
    llmgw_token_counts c;

    memset(&c, 0, sizeof(c));
    c.input_tokens = u->input + u->cache_creation + u->cache_read;
    c.output_tokens = u->output;
    c.cache_read_tokens = u->cache_read;
    c.cache_creation_tokens = u->cache_creation;
    c.reasoning_tokens = u->thinking;
    return llmgw_reply_set_usage(out, &c);
}

static int error_event(llmgw_reply *out, const cJSON *root)
{
    const cJSON *err = member(root, "error");
    llmgw_error_info info;
    int http = 0;

    memset(&info, 0, sizeof(info));
    info.error_class = LLMGW_ERRCLASS_SERVER_ERROR;
    info.retry_after_ms = -1;
    if (cJSON_IsObject(err))
        http = llmgw__anthropic_error_object(&info, err);
    return llmgw_reply_error(out, info.error_class, http,
                             info.message[0] ? info.message : "error event without an error object");
}

static int tool_input(llmgw_reply *out, size_t index, const char *id, const char *name, const cJSON *input)
{
    llmgw_buf args = LLMGW_BUF_INIT;
    int rc;

    if (input != NULL && !cJSON_IsNull(input) && !cJSON_IsObject(input))
        return malformed("a tool_use input that is not an object");
    if (!cJSON_IsObject(input) || input->child == NULL)
        return llmgw_reply_tool_call(out, index, id, name, "{}", 2);
    if ((rc = llmgw__json_print(&args, input)) == 0)
        rc = llmgw_reply_tool_call(out, index, id, name, args.ptr, args.size);
    llmgw_buf_dispose(&args);
    return rc;
}

static int content(llmgw_reply *out, const cJSON *blocks)
{
    const cJSON *b;
    const char *type, *s;
    size_t ntools = 0;

    if (!cJSON_IsArray(blocks))
        return malformed("content is not an array");
    cJSON_ArrayForEach(b, blocks) {
        type = llmgw__json_str(b, "type");
        if (is(type, "text")) {
            if ((s = llmgw__json_str(b, "text")) == NULL)
                return malformed("a text block without text");
            LLMGW_TRY(llmgw_reply_append_text(out, s, strlen(s)));
        } else if (is(type, "thinking")) {
            if ((s = llmgw__json_str(b, "thinking")) != NULL)
                LLMGW_TRY(llmgw_reply_append_reasoning(out, s, strlen(s)));
        } else if (is(type, "tool_use")) {
            if (llmgw__json_str(b, "id") == NULL || llmgw__json_str(b, "name") == NULL)
                return malformed("a tool_use block without id or name");
            LLMGW_TRY(tool_input(out, ntools++, llmgw__json_str(b, "id"), llmgw__json_str(b, "name"),
                                 member(b, "input")));
        } else if (type == NULL) {
            return malformed("a content block without a type");
        }
    }
    return 0;
}

static int message(llmgw_reply *out, const cJSON *root)
{
    const cJSON *usage = member(root, "usage");
    llmgw__anthropic_usage u;

    if (!cJSON_IsObject(root))
        return malformed("not a JSON object");
    if (is(llmgw__json_str(root, "type"), "error"))
        return error_event(out, root);
    LLMGW_TRY(llmgw_reply_set_id(out, llmgw__json_str(root, "id")));
    LLMGW_TRY(llmgw_reply_set_model(out, llmgw__json_str(root, "model")));
    LLMGW_TRY(content(out, member(root, "content")));
    LLMGW_TRY(set_finish(out, root));
    if (usage != NULL && !cJSON_IsNull(usage)) {
        memset(&u, 0, sizeof(u));
        LLMGW_TRY(read_usage(&u, usage));
        LLMGW_TRY(set_usage(out, &u));
    }
    return llmgw_reply_done(out);
}

int llmgw__anthropic_parse_response(llmgw_reply *out, void *state, const llmgw_http_response *in)
{
    size_t len;
    const char *body = llmgw_http_response_body(in, &len);
    cJSON *root;
    int rc;

    LLMGW_UNUSED(state);
    if ((root = llmgw__json_parse(body, len, LLMGW_ERRCLASS_SERVER_ERROR)) == NULL)
        return llmgw__json_failure(LLMGW_EUNAVAILABLE);
    rc = message(out, root);
    cJSON_Delete(root);
    return rc;
}

/* ---- streams ---- */

static llmgw__anthropic_block *block_at(llmgw__anthropic_stream *st, const cJSON *root)
{
    uint64_t i;

    if (llmgw__json_token_count(member(root, "index"), &i) < 0 || i >= LLMGW__ANTHROPIC_MAX_BLOCKS) {
        malformed("content block index missing or out of range");
        return NULL;
    }
    return &st->blocks[i];
}

static int block_start(llmgw_reply *out, llmgw__anthropic_stream *st, const cJSON *root)
{
    llmgw__anthropic_block *b = block_at(st, root);
    const cJSON *cb = member(root, "content_block");
    const char *type = llmgw__json_str(cb, "type"), *s;
    const cJSON *input;

    if (b == NULL)
        return LLMGW_EUNAVAILABLE;
    if (is(type, "text")) {
        b->kind = BLOCK_TEXT;
        s = llmgw__json_str(cb, "text");
        return s && *s ? llmgw_reply_append_text(out, s, strlen(s)) : 0;
    }
    if (is(type, "thinking")) {
        b->kind = BLOCK_THINKING;
        s = llmgw__json_str(cb, "thinking");
        return s && *s ? llmgw_reply_append_reasoning(out, s, strlen(s)) : 0;
    }
    if (!is(type, "tool_use")) {
        b->kind = BLOCK_OTHER;
        return 0;
    }
    if (llmgw__json_str(cb, "id") == NULL || llmgw__json_str(cb, "name") == NULL)
        return malformed("a tool_use block without id or name");
    b->kind = BLOCK_TOOL;
    b->tool = (uint16_t)st->ntools++;
    input = member(cb, "input");
    if (cJSON_IsObject(input) && input->child != NULL) {     /* the whole input up front */
        b->has_args = 1;
        return tool_input(out, b->tool, llmgw__json_str(cb, "id"), llmgw__json_str(cb, "name"), input);
    }
    return llmgw_reply_tool_call(out, b->tool, llmgw__json_str(cb, "id"), llmgw__json_str(cb, "name"), "", 0);
}

static int block_delta(llmgw_reply *out, llmgw__anthropic_stream *st, const cJSON *root)
{
    llmgw__anthropic_block *b = block_at(st, root);
    const cJSON *delta = member(root, "delta");
    const char *type = llmgw__json_str(delta, "type"), *s;

    if (b == NULL)
        return LLMGW_EUNAVAILABLE;
    if (is(type, "text_delta")) {
        if ((s = llmgw__json_str(delta, "text")) == NULL)
            return malformed("text_delta without text");
        return llmgw_reply_append_text(out, s, strlen(s));
    }
    if (is(type, "thinking_delta")) {
        if ((s = llmgw__json_str(delta, "thinking")) == NULL)
            return malformed("thinking_delta without thinking");
        return llmgw_reply_append_reasoning(out, s, strlen(s));
    }
    if (is(type, "input_json_delta")) {
        if (b->kind != BLOCK_TOOL || (s = llmgw__json_str(delta, "partial_json")) == NULL)
            return malformed("input_json_delta outside a tool_use block");
        if (*s != '\0')
            b->has_args = 1;
        return llmgw_reply_tool_call(out, b->tool, NULL, NULL, s, strlen(s));
    }
    return 0;       /* signature_delta, citations_delta, ... */
}

static int block_stop(llmgw_reply *out, llmgw__anthropic_stream *st, const cJSON *root)
{
    llmgw__anthropic_block *b = block_at(st, root);

    if (b == NULL)
        return LLMGW_EUNAVAILABLE;
    if (b->kind == BLOCK_TOOL && !b->has_args) {
        b->has_args = 1;
        return llmgw_reply_tool_call(out, b->tool, NULL, NULL, "{}", 2);
    }
    return 0;
}

static int stream_event(llmgw_reply *out, llmgw__anthropic_stream *st, const cJSON *root, const char *type)
{
    const cJSON *m;

    if (is(type, "content_block_delta"))
        return block_delta(out, st, root);
    if (is(type, "content_block_start"))
        return block_start(out, st, root);
    if (is(type, "content_block_stop"))
        return block_stop(out, st, root);
    if (is(type, "message_start")) {
        m = member(root, "message");
        if (!cJSON_IsObject(m))
            return malformed("message_start without a message");
        LLMGW_TRY(llmgw_reply_set_id(out, llmgw__json_str(m, "id")));
        LLMGW_TRY(llmgw_reply_set_model(out, llmgw__json_str(m, "model")));
        return member(m, "usage") ? read_usage(&st->usage, member(m, "usage")) : 0;
    }
    if (is(type, "message_delta")) {
        LLMGW_TRY(set_finish(out, member(root, "delta")));
        if (member(root, "usage") == NULL)
            return 0;
        LLMGW_TRY(read_usage(&st->usage, member(root, "usage")));
        return set_usage(out, &st->usage);
    }
    if (is(type, "message_stop"))
        return llmgw_reply_done(out);
    if (is(type, "error"))
        return error_event(out, root);
    return 0;       /* ping, and event types added later */
}

int llmgw__anthropic_parse_stream_event(llmgw_reply *out, void *state, void *stream_state,
                                        const llmgw_stream_event *ev)
{
    char name[32];
    const char *type;
    cJSON *root;
    int rc;

    LLMGW_UNUSED(state);
    if (ev->data_len == 0)
        return 0;
    if ((root = llmgw__json_parse(ev->data, ev->data_len, LLMGW_ERRCLASS_SERVER_ERROR)) == NULL)
        return llmgw__json_failure(LLMGW_EUNAVAILABLE);
    type = llmgw__json_str(root, "type");
    if (type == NULL) {
        snprintf(name, sizeof(name), "%.*s", (int)LLMGW_MIN(ev->event_len, sizeof(name) - 1),
                 ev->event ? ev->event : "");
        type = name;
    }
    rc = cJSON_IsObject(root) ? stream_event(out, stream_state, root, type)
                              : malformed("a stream event that is not a JSON object");
    cJSON_Delete(root);
    return rc;
}
