/*
 * lib/providers/bedrock_stream.c: ConverseStream events into the reply
 * (docs/providers.md §5); the core decodes the event-stream framing.
 *
 * messageStart; contentBlockStart (tool use only: text blocks open with their
 * first delta, trap 13); contentBlockDelta (text, toolUse.input fragments,
 * reasoningContent.text); contentBlockStop; messageStop (stopReason);
 * metadata (usage). The stream is done only at metadata after messageStop,
 * never earlier and never with an invented finish. Exception and error
 * frames are errors classified like the HTTP status their exception stands
 * for. Members not read here, such as the "p" padding, are ignored.
 */
#include "../core/common.h"
#include "../core/errors.h"
#include "../core/json.h"
#include "bedrock.h"

#include <stdio.h>

static int exception_event(llmgw_reply *out, const llmgw_stream_event *ev)
{
    cJSON *root = ev->data_len > 0 ? cJSON_ParseWithLength(ev->data, ev->data_len) : NULL;
    const char *msg = cJSON_IsObject(root) ? llmgw__bedrock_message(root) : NULL;
    char text[400];
    int cls, http, retry, rc;

    if (msg == NULL && root == NULL && ev->data_len > 0)      /* an error frame's :error-message */
        snprintf(text, sizeof(text), "%.*s", (int)LLMGW_MIN(ev->data_len, 300), ev->data);
    else
        snprintf(text, sizeof(text), "%s", msg ? msg : "no message");
    llmgw__bedrock_exception(ev->event, ev->event_len, text, &cls, &http, &retry);
    if (cls == LLMGW_ERRCLASS_NONE)
        cls = LLMGW_ERRCLASS_SERVER_ERROR;
    snprintf(text + strlen(text), sizeof(text) - strlen(text), " (%.*s)", (int)LLMGW_MIN(ev->event_len, 64),
             ev->event_len ? ev->event : "exception");
    rc = llmgw_reply_error(out, cls, http, text);
    cJSON_Delete(root);
    return rc;
}

/* The tool call a content block opened, or -1. */
static long tool_of_block(const llmgw__bedrock_stream *ss, uint64_t block)
{
    size_t i;

    for (i = 0; i < ss->ntools; i++)
        if (ss->tool_block[i] == block)
            return (long)i;
    return -1;
}

static int block_start(llmgw_reply *out, llmgw__bedrock_stream *ss, const cJSON *root, uint64_t block)
{
    const cJSON *tu = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(root, "start"), "toolUse");
    const char *id = llmgw__json_str(tu, "toolUseId"), *name = llmgw__json_str(tu, "name");

    if (!cJSON_IsObject(tu))
        return 0;
    if (id == NULL || name == NULL)
        return llmgw__bedrock_malformed("contentBlockStart.toolUse without toolUseId or name");
    if (tool_of_block(ss, block) >= 0)
        return llmgw__bedrock_malformed("contentBlockStart repeated for a block");
    if (ss->ntools == LLMGW__BEDROCK_MAX_TOOLS)
        return llmgw__bedrock_malformed("too many tool calls");
    ss->tool_block[ss->ntools] = block;
    return llmgw_reply_tool_call(out, ss->ntools++, id, name, "", 0);
}

static int block_delta(llmgw_reply *out, llmgw__bedrock_stream *ss, const cJSON *root, uint64_t block)
{
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(root, "delta");
    const cJSON *tu = cJSON_GetObjectItemCaseSensitive(d, "toolUse");
    const cJSON *rc = cJSON_GetObjectItemCaseSensitive(d, "reasoningContent");
    const char *s = llmgw__json_str(d, "text");
    long tool;

    if (s != NULL)
        return llmgw_reply_append_text(out, s, strlen(s));
    if ((s = llmgw__json_str(rc, "text")) != NULL)
        return llmgw_reply_append_reasoning(out, s, strlen(s));
    if (!cJSON_IsObject(tu))
        return 0;       /* citations, reasoning signatures, images ... */
    if ((s = llmgw__json_str(tu, "input")) == NULL)
        return llmgw__bedrock_malformed("contentBlockDelta.toolUse.input is not a string");
    if ((tool = tool_of_block(ss, block)) < 0)
        return llmgw__bedrock_malformed("tool input for a block that was not opened as a tool use");
    return llmgw_reply_tool_call(out, (size_t)tool, NULL, NULL, s, strlen(s));
}

static bool event_is(const llmgw_stream_event *ev, const char *name)
{
    return strlen(name) == ev->event_len && memcmp(ev->event, name, ev->event_len) == 0;
}

static int stream_event(llmgw_reply *out, llmgw__bedrock_stream *ss, const llmgw_stream_event *ev,
                        const cJSON *root)
{
    const cJSON *idx = cJSON_GetObjectItemCaseSensitive(root, "contentBlockIndex");
    uint64_t block = 0;
    const char *stop;

    if (event_is(ev, "contentBlockStart") || event_is(ev, "contentBlockDelta")) {
        if (llmgw__json_token_count(idx, &block) < 0)
            return llmgw__bedrock_malformed("contentBlockIndex missing or invalid");
        return event_is(ev, "contentBlockStart") ? block_start(out, ss, root, block)
                                                 : block_delta(out, ss, root, block);
    }
    if (event_is(ev, "messageStop")) {
        if ((stop = llmgw__json_str(root, "stopReason")) == NULL)
            return llmgw__bedrock_malformed("messageStop without stopReason");
        ss->message_stopped = true;
        return llmgw_reply_set_finish(out, llmgw__bedrock_finish(stop), stop);
    }
    if (event_is(ev, "metadata")) {
        LLMGW_TRY(llmgw__bedrock_set_usage(out, cJSON_GetObjectItemCaseSensitive(root, "usage")));
        return ss->message_stopped ? llmgw_reply_done(out) : 0;
    }
    return 0;           /* messageStart, contentBlockStop, and events added later */
}

int llmgw__bedrock_parse_stream_event(llmgw_reply *out, void *state, void *stream_state,
                                      const llmgw_stream_event *ev)
{
    llmgw__bedrock_stream *ss = stream_state;
    cJSON *root;
    int rc;

    LLMGW_UNUSED(state);
    if (ev->exception)
        return exception_event(out, ev);
    root = llmgw__json_parse(ev->data, ev->data_len, LLMGW_ERRCLASS_SERVER_ERROR);
    if (root == NULL)
        return llmgw_error_last()->code;
    rc = cJSON_IsObject(root) ? stream_event(out, ss, ev, root)
                              : llmgw__bedrock_malformed("event payload is not an object");
    cJSON_Delete(root);
    return rc;
}
