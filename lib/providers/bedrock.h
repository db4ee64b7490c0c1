/*
 * lib/providers/bedrock.h: the AWS Bedrock Converse translation, shared by
 * bedrock.c (vtable, endpoint, signing), bedrock_body.c and bedrock_messages.c
 * (request body), bedrock_reply.c (response, usage, errors) and
 * bedrock_stream.c (stream events).
 */
#ifndef LLMGW_PROVIDERS_BEDROCK_H
#define LLMGW_PROVIDERS_BEDROCK_H

#include "../core/common.h"
#include "../core/json.h"

#define LLMGW__BEDROCK_MAX_TOOLS 128

/* Per deployment, read-only after init. */
typedef struct llmgw__bedrock_state {
    const llmgw_provider_config *cfg;
    char  base[256];        /* endpoint, no trailing slash */
    char  host[200];        /* Host header: the endpoint's authority, default port dropped */
    bool  bearer;           /* Bedrock API key (Authorization: Bearer), else SigV4 */
} llmgw__bedrock_state;

/* Per streamed attempt: which content block is which tool call. */
typedef struct llmgw__bedrock_stream {
    bool     message_stopped;                          /* messageStop seen */
    size_t   ntools;
    uint64_t tool_block[LLMGW__BEDROCK_MAX_TOOLS];     /* contentBlockIndex of tool call i */
} llmgw__bedrock_stream;

/* The Converse request body for a canonical request; LLMGW_EUNSUPPORTED names what cannot map. */
int  llmgw__bedrock_body(llmgw_buf *out, const llmgw_request *req);

/* Building the body (bedrock_body.c, bedrock_messages.c). */
typedef struct llmgw__bedrock_conv {
    bool        drop;         /* drop_params: refusals drop the member instead */
    cJSON      *system;       /* array */
    cJSON      *messages;     /* array */
    cJSON      *content;      /* content array of the last message, or NULL */
    const char *role;         /* its role */
} llmgw__bedrock_conv;

/* messages -> c->system and c->messages. */
int    llmgw__bedrock_messages(llmgw__bedrock_conv *c, const cJSON *messages);
/* Something Converse cannot express: 1 (dropped) under drop_params, else LLMGW_EUNSUPPORTED. */
int    llmgw__bedrock_refuse(const llmgw__bedrock_conv *c, const char *fmt, ...) LLMGW_PRINTF(2, 3);
/* Attaches item under key (appends it when key is NULL) and returns it; NULL on OOM (item freed). */
cJSON *llmgw__bedrock_attach(cJSON *parent, const char *key, cJSON *item);

/* stopReason -> LLMGW_FINISH_*. */
int  llmgw__bedrock_finish(const char *stop_reason);
/* Converse usage -> counts in OpenAI's meaning (input includes cache reads and writes). */
int  llmgw__bedrock_usage(llmgw_token_counts *out, const cJSON *usage);
/*
 * An exception or error-code name (from x-amzn-ErrorType, a body, or an
 * event-stream exception frame) and its message -> class, the HTTP status it
 * stands for, and should_retry (-1: the status decides).
 */
void llmgw__bedrock_exception(const char *name, size_t name_len, const char *message,
                              int *class_out, int *http_out, int *retry_out);

/* Shared by bedrock_reply.c and bedrock_stream.c. */
int  llmgw__bedrock_malformed(const char *what);                    /* EUNAVAILABLE, server_error */
const char *llmgw__bedrock_message(const cJSON *root);              /* "message" or "Message" */
int  llmgw__bedrock_set_usage(llmgw_reply *out, const cJSON *usage);

int  llmgw__bedrock_parse_response(llmgw_reply *out, void *state, const llmgw_http_response *in);
int  llmgw__bedrock_parse_stream_event(llmgw_reply *out, void *state, void *stream_state,
                                       const llmgw_stream_event *ev);
int  llmgw__bedrock_classify_error(llmgw_error_info *out, void *state, const llmgw_http_response *in);

#endif
