/*
 * lib/providers/ollama.h: the Ollama native /api/chat translation, split in
 * two files: ollama.c (vtable, base URL, request) and ollama_reply.c
 * (answers, NDJSON streams, errors).
 */
#ifndef LLMGW_PROVIDERS_OLLAMA_H
#define LLMGW_PROVIDERS_OLLAMA_H

#include "../core/common.h"

#define LLMGW__OLLAMA_DEFAULT_BASE "http://localhost:11434"

/* Per streamed attempt: tool calls arrive whole, one index after the other. */
typedef struct llmgw__ollama_stream {
    size_t calls;
} llmgw__ollama_stream;

/*
 * An OLLAMA_HOST value as a base URL, the way Ollama's own client reads it
 * (envconfig.Host): quotes and spaces trimmed; no scheme means http with port
 * 11434; http:// and https:// default to ports 80 and 443; trailing slashes
 * dropped. llmgw also maps the unspecified addresses 0.0.0.0 and :: (which
 * mean "this machine" to a client) to 127.0.0.1 and [::1]. The result passes
 * the core's URL check (https, or http to loopback) or this fails with
 * LLMGW_EINVAL, class config.
 */
int llmgw__ollama_base_from_host(char *out, size_t out_size, const char *host);
/* The JSON body of POST /api/chat ("stream" always explicit). */
int llmgw__ollama_body(llmgw_buf *out, const llmgw_request *req, const char *model, int stream);
int llmgw__ollama_parse_response(llmgw_reply *out, void *state, const llmgw_http_response *in);
int llmgw__ollama_parse_stream_event(llmgw_reply *out, void *state, void *stream_state,
                                     const llmgw_stream_event *ev);
int llmgw__ollama_classify_error(llmgw_error_info *out, void *state, const llmgw_http_response *in);

#endif
