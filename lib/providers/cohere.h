/*
 * lib/providers/cohere.h: the Cohere v2 chat translation, split in two
 * files: cohere.c (vtable, request) and cohere_reply.c (answers, streams,
 * errors).
 */
#ifndef LLMGW_PROVIDERS_COHERE_H
#define LLMGW_PROVIDERS_COHERE_H

#include "../core/common.h"

/* Per streamed attempt: which tool call the argument fragments belong to. */
typedef struct llmgw__cohere_stream {
    size_t calls;          /* tool-call-start events seen */
    size_t current;        /* index of the call being streamed */
} llmgw__cohere_stream;

/* The JSON body of POST /v2/chat. */
int llmgw__cohere_body(llmgw_buf *out, const llmgw_request *req, const char *model, int stream);
int llmgw__cohere_parse_response(llmgw_reply *out, void *state, const llmgw_http_response *in);
int llmgw__cohere_parse_stream_event(llmgw_reply *out, void *state, void *stream_state,
                                     const llmgw_stream_event *ev);
int llmgw__cohere_classify_error(llmgw_error_info *out, void *state, const llmgw_http_response *in);

#endif
