/*
 * lib/providers/openai.h: the OpenAI Chat Completions translation, shared
 * by `openai`, the OpenAI-compatible family, `azure` and `mock`.
 */
#ifndef LLMGW_PROVIDERS_OPENAI_H
#define LLMGW_PROVIDERS_OPENAI_H

#include "../core/common.h"
#include "../core/json.h"

/* The request body: the canonical request with `model` set and stream members added. */
int llmgw__openai_body(llmgw_buf *out, const llmgw_request *req, const char *model, int stream,
                       bool include_model);
int llmgw__openai_parse_response(llmgw_reply *out, void *state, const llmgw_http_response *in);
int llmgw__openai_parse_stream_event(llmgw_reply *out, void *state, void *stream_state,
                                     const llmgw_stream_event *ev);
int llmgw__openai_classify_error(llmgw_error_info *out, void *state, const llmgw_http_response *in);
/* Parse one completion object (non-stream) into the reply. */
int llmgw__openai_parse_completion(llmgw_reply *out, const cJSON *root);
/* Usage object -> counts. 0, or LLMGW_EUNAVAILABLE for implausible numbers. */
int llmgw__openai_usage(llmgw_token_counts *out, const cJSON *usage);
/* Finish reason string -> LLMGW_FINISH_*. */
int llmgw__openai_finish(const char *s);
/* Classify an OpenAI-style error object {"message","type","code"}; fills out. */
void llmgw__openai_error_object(llmgw_error_info *out, const cJSON *err);

#endif
