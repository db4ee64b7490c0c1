/*
 * lib/providers/openai.h: the OpenAI Chat Completions translation, shared
 * by `openai`, the OpenAI-compatible family (compat.c), `azure` and `mock`.
 *
 *   openai.c        the request side: the body from the canonical request with
 *                   a dialect's quirks, the URL and headers, the openai vtable
 *   openai_parse.c  the reply side: bodies, stream events, usage, finish
 *                   reasons for every dialect
 *   openai_error.c  error classification, from error bodies and from errors
 *                   inside 2xx bodies and streams
 */
#ifndef LLMGW_PROVIDERS_OPENAI_H
#define LLMGW_PROVIDERS_OPENAI_H

#include "../core/common.h"
#include "../core/json.h"

/* How an OpenAI-compatible upstream's requests differ from OpenAI's own. */
enum {
    LLMGW__OAI_OMIT_MODEL          = 1u << 0,  /* the model travels in the URL (azure deployments) */
    LLMGW__OAI_NO_STREAM_OPTIONS   = 1u << 1,  /* never send stream_options (usage comes anyway) */
    LLMGW__OAI_DEVELOPER_AS_SYSTEM = 1u << 2,  /* role "developer" is sent as "system" */
    LLMGW__OAI_NO_MESSAGE_NAME     = 1u << 3,  /* messages[].name cannot be expressed */
    LLMGW__OAI_RANDOM_SEED         = 1u << 4,  /* seed is spelled random_seed */
    LLMGW__OAI_MAX_TOKENS_ONLY     = 1u << 5,  /* max_completion_tokens is spelled max_tokens */
    LLMGW__OAI_REASONING_RENAME    = 1u << 6,  /* o-series and gpt-5 models: max_tokens is spelled
                                                  max_completion_tokens */
    LLMGW__OAI_CONTEXT_ERROR       = 1u << 7,  /* context_length_exceeded_behavior "error" unless
                                                  the caller set it (fireworks) */
    LLMGW__OAI_TEXT_ONLY           = 1u << 8   /* content parts other than text cannot be expressed */
};

typedef struct llmgw__openai_dialect {
    const char        *name;     /* provider id, for messages */
    unsigned int       flags;    /* LLMGW__OAI_* */
    const char *const *refused;  /* top-level members it cannot express, NULL-terminated, or NULL */
} llmgw__openai_dialect;

/*
 * The request body: the canonical request with `model` set, the dialect's
 * renames applied and stream members added. A member the dialect cannot
 * express is LLMGW_EUNSUPPORTED naming it, or dropped with drop_params.
 */
int llmgw__openai_dialect_body(llmgw_buf *out, const llmgw_request *req, const char *model, int stream,
                               const llmgw__openai_dialect *d);
/* The same with OpenAI's own rules (no renames, nothing refused). */
int llmgw__openai_body(llmgw_buf *out, const llmgw_request *req, const char *model, int stream,
                       bool include_model);
/* POST {api_base}/chat/completions with JSON headers, the key as a Bearer token when set, the body. */
int llmgw__openai_build(llmgw_http_request *out, const llmgw_provider_config *cfg, const llmgw_request *req,
                        int stream, const llmgw__openai_dialect *d);
/* Config check shared by the family: an api_base without query or fragment. */
int llmgw__openai_check_config(const char *who, const llmgw_provider_config *cfg);

int llmgw__openai_parse_response(llmgw_reply *out, void *state, const llmgw_http_response *in);
/*
 * The fast path of both (openai_fast.c): a plain chat.completion (stream
 * false) or chat.completion.chunk (stream true) read without cJSON. 1 when
 * it handled the text (*rc_out is what the parse returns), 0 when the text
 * is not of the plain shape and the reply is untouched: use the cJSON path.
 */
int llmgw__openai_fast(llmgw_reply *out, const char *data, size_t len, bool stream, int *rc_out);
int llmgw__openai_parse_stream_event(llmgw_reply *out, void *state, void *stream_state,
                                     const llmgw_stream_event *ev);
int llmgw__openai_classify_error(llmgw_error_info *out, void *state, const llmgw_http_response *in);
/* Parse one completion object (non-stream) into the reply. */
int llmgw__openai_parse_completion(llmgw_reply *out, const cJSON *root);
/* Parse one chat.completion.chunk object (a stream event) into the reply. */
int llmgw__openai_parse_chunk(llmgw_reply *out, const cJSON *root);
/* Usage object -> counts. 0, or LLMGW_EUNAVAILABLE for implausible numbers. */
int llmgw__openai_usage(llmgw_token_counts *out, const cJSON *usage);
/* Finish reason string -> LLMGW_FINISH_*. */
int llmgw__openai_finish(const char *s);
/* Classify an OpenAI-style error object {"message","type","code"}; fills out. */
void llmgw__openai_error_object(llmgw_error_info *out, const cJSON *err);
/* Report an error found inside a 2xx body or stream (an error object, a string, or anything
 * else with the fallback message) through llmgw_reply_error. */
int llmgw__openai_embedded_error(llmgw_reply *out, const cJSON *err, const char *fallback);
/* root is an error rather than an answer ({"error":...} or {"object":"error"}): 1 when
 * reported, 0 when not an error, < 0 on failure. */
int llmgw__openai_error_in(llmgw_reply *out, const cJSON *root);

#endif
