/*
 * stream.h: streamed completions.
 *
 * The sink's callbacks run on the calling thread. Deltas arrive in order;
 * then on_usage once; then exactly one terminal callback: on_done or
 * on_error. A non-zero return from a delta callback stops the stream: the
 * call returns LLMGW_EUSER and on_error fires with class "cancelled".
 *
 * Retries and failover happen only before the commit point, the first event
 * delivered to the sink; after it, a failure ends the stream with one
 * on_error of class "stream_cut" (a cut stream never ends as a clean finish).
 */
#ifndef LLMGW_STREAM_H
#define LLMGW_STREAM_H

#include "common.h"
#include "errors.h"
#include "hooks.h"

LLMGW_BEGIN_DECLS

/** A fragment of a tool call; lives for the callback only. */
typedef struct llmgw_tool_call_delta {
    size_t      index;          /**< which tool call (0, 1, ...) */
    const char *id;             /**< set on the first fragment of a call, else NULL */
    const char *name;           /**< set on the first fragment of a call, else NULL */
    const char *arguments;      /**< a fragment of the JSON arguments (may be "") */
    size_t      arguments_len;
} llmgw_tool_call_delta;

typedef struct llmgw_stream_sink {
    unsigned int version;       /**< LLMGW_STREAM_SINK_VERSION */
    /** A text fragment (valid UTF-8). */
    int  (*on_text)(const char *text, size_t len, void *userdata);
    /** A reasoning ("thinking") fragment, kept apart from the text. */
    int  (*on_reasoning)(const char *text, size_t len, void *userdata);
    /** A tool-call fragment. */
    int  (*on_tool_call)(const llmgw_tool_call_delta *delta, void *userdata);
    /** The usage record, once, before the terminal callback. */
    int  (*on_usage)(const llmgw_usage *usage, void *userdata);
    /** Terminal: the whole normalized response (also returned through out). */
    void (*on_done)(const llmgw_response *response, void *userdata);
    /** Terminal: the error; the same as llmgw_error_last() afterwards. */
    void (*on_error)(const llmgw_error *error, void *userdata);
    void *userdata;
    /* LLMGW_STREAM_SINK_VERSION 2 members go below this line */
} llmgw_stream_sink;

#define LLMGW_STREAM_SINK_VERSION 1
/* Designated in C (no -Wmissing-field-initializers noise); C++ code may prefer the _init() function. */
#ifdef __cplusplus
#  define LLMGW_STREAM_SINK_INIT { LLMGW_STREAM_SINK_VERSION }
#else
#  define LLMGW_STREAM_SINK_INIT { .version = LLMGW_STREAM_SINK_VERSION }
#endif

LLMGW_API int llmgw_stream_sink_init(llmgw_stream_sink *sink, unsigned int version);

/**
 * Complete a request as a stream. Blocks until the terminal callback has
 * run. out may be NULL; when given, it receives the assembled response on
 * success (free it with llmgw_response_free()).
 */
LLMGW_API int llmgw_complete_stream(llmgw_gateway *gw, const llmgw_request *req,
                                    const llmgw_stream_sink *sink, llmgw_response **out);

LLMGW_END_DECLS

#endif
