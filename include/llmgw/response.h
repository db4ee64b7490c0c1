/*
 * response.h: the normalized answer.
 *
 * Every pointer returned here is borrowed from the response and lives until
 * llmgw_response_free(). A response is used by one thread at a time.
 */
#ifndef LLMGW_RESPONSE_H
#define LLMGW_RESPONSE_H

#include "common.h"
#include "buf.h"
#include "hooks.h"

LLMGW_BEGIN_DECLS

/** A complete tool call of the answer. */
typedef struct llmgw_tool_call {
    const char *id;
    const char *name;
    const char *arguments;      /**< JSON text, as the model produced it */
    size_t      arguments_len;
} llmgw_tool_call;

LLMGW_API void llmgw_response_free(llmgw_response *resp);

/** The answer's text, never NULL ("" when there is none). */
LLMGW_API const char *llmgw_response_text(const llmgw_response *resp);
LLMGW_API size_t      llmgw_response_text_len(const llmgw_response *resp);
/** Reasoning ("thinking") text when the provider surfaced it, else "". */
LLMGW_API const char *llmgw_response_reasoning(const llmgw_response *resp);
LLMGW_API size_t      llmgw_response_tool_call_count(const llmgw_response *resp);
/** The i-th tool call, or NULL when out of range. */
LLMGW_API const llmgw_tool_call *llmgw_response_tool_call(const llmgw_response *resp, size_t i);
/** OpenAI value: "stop", "length", "tool_calls", "content_filter", or NULL. */
LLMGW_API const char *llmgw_response_finish_reason(const llmgw_response *resp);
/** The provider's own value ("end_turn", "STOP" ...), or NULL. */
LLMGW_API const char *llmgw_response_finish_reason_raw(const llmgw_response *resp);
/** The provider's response id, or NULL. */
LLMGW_API const char *llmgw_response_id(const llmgw_response *resp);
/** The model that answered, as the provider named it. */
LLMGW_API const char *llmgw_response_model(const llmgw_response *resp);
LLMGW_API const char *llmgw_response_provider(const llmgw_response *resp);
LLMGW_API const char *llmgw_response_deployment(const llmgw_response *resp);
/** The usage record (tokens by kind, cost, attempts); never NULL. */
LLMGW_API const llmgw_usage *llmgw_response_usage(const llmgw_response *resp);
LLMGW_API size_t llmgw_response_attempt_count(const llmgw_response *resp);
LLMGW_API const llmgw_attempt *llmgw_response_attempt(const llmgw_response *resp, size_t i);
/** 1 when the answer came from the response cache. */
LLMGW_API int llmgw_response_cache_hit(const llmgw_response *resp);

/**
 * Render as an OpenAI "chat.completion" object: id, object, created, model,
 * choices[0].message (content, tool_calls), finish_reason, and usage with
 * prompt_tokens_details.cached_tokens and completion_tokens_details.reasoning_tokens.
 */
LLMGW_API int llmgw_response_to_json(llmgw_buf *out, const llmgw_response *resp);

LLMGW_END_DECLS

#endif
