/*
 * lib/providers/anthropic.h: the Anthropic Messages translation, shared by
 * anthropic.c (vtable, headers, errors), anthropic_request.c (parameters),
 * anthropic_messages.c (system and messages) and anthropic_response.c
 * (bodies and streams). docs/providers.md §3.
 */
#ifndef LLMGW_PROVIDERS_ANTHROPIC_H
#define LLMGW_PROVIDERS_ANTHROPIC_H

#include "../core/common.h"
#include "../core/errors.h"
#include "../core/json.h"

#define LLMGW__ANTHROPIC_VERSION "2023-06-01"

/* Content blocks one stream can index; a higher index fails the stream. */
#define LLMGW__ANTHROPIC_MAX_BLOCKS 1024

/* What a stream's content block index holds (anthropic_response.c). */
typedef struct llmgw__anthropic_block {
    uint8_t  kind;          /* 0 unseen, else a block kind */
    uint8_t  has_args;      /* tool_use: argument bytes were delivered */
    uint16_t tool;          /* tool_use: the tool-call ordinal */
} llmgw__anthropic_block;

/* Token counts as Anthropic reports them (input excludes the cache parts). */
typedef struct llmgw__anthropic_usage {
    uint64_t input, cache_creation, cache_read, output, thinking;
} llmgw__anthropic_usage;

/* Per streamed attempt; allocated and zeroed by the core (no cleanup: no pointers). */
typedef struct llmgw__anthropic_stream {
    llmgw__anthropic_usage usage;     /* message_start, then each message_delta (cumulative) */
    size_t                 ntools;
    llmgw__anthropic_block blocks[LLMGW__ANTHROPIC_MAX_BLOCKS];
} llmgw__anthropic_stream;

/*
 * Add obj[key] as a reference to item, borrowed from the canonical request
 * (which outlives the body: the body is printed and freed in build_request).
 */
static inline int llmgw__anthropic_ref(cJSON *obj, const char *key, const cJSON *item)
{
    return llmgw__json_add_ref(obj, key, item);
}

static inline int llmgw__anthropic_ref_str(cJSON *obj, const char *key, const char *s)
{
    return llmgw__json_add_item(obj, key, cJSON_CreateStringReference(s));
}

/* Something Anthropic cannot express: LLMGW_EUNSUPPORTED naming it, or 0 under drop_params. */
int llmgw__anthropic_unsupported(bool drop_params, const char *fmt, ...) LLMGW_PRINTF(2, 3);
/* A malformed request: LLMGW_EINVAL, class bad_request. */
int llmgw__anthropic_bad(const char *fmt, ...) LLMGW_PRINTF(1, 2);

/* The Messages request body for a canonical request. */
int     llmgw__anthropic_body(llmgw_buf *out, const llmgw_request *req, const char *model, int stream);
/* Add "system" (when there is one) and "messages" to body from the canonical messages. */
int     llmgw__anthropic_messages(cJSON *body, const cJSON *messages, bool drop_params);
/* max_tokens when the caller gives none: the model's maximum output (built-in table), else 4096. */
int64_t llmgw__anthropic_default_max_tokens(const char *model);

int llmgw__anthropic_parse_response(llmgw_reply *out, void *state, const llmgw_http_response *in);
int llmgw__anthropic_parse_stream_event(llmgw_reply *out, void *state, void *stream_state,
                                        const llmgw_stream_event *ev);

/*
 * Classify an error object {"type","message","details"?}: sets out->error_class
 * and out->message, and returns the HTTP status its type stands for (0 when unknown).
 */
int llmgw__anthropic_error_object(llmgw_error_info *out, const cJSON *err);

#endif
