/*
 * request.h: building a chat request.
 *
 * The request model is OpenAI's Chat Completions request, the canonical form
 * every provider translates from. Build it with these calls or parse a whole
 * request body with llmgw_request_from_json(). Every string is copied.
 * A request is used by one thread at a time; it may be completed many times.
 */
#ifndef LLMGW_REQUEST_H
#define LLMGW_REQUEST_H

#include "common.h"
#include "buf.h"

LLMGW_BEGIN_DECLS

typedef enum llmgw_role {
    LLMGW_ROLE_SYSTEM    = 0,
    LLMGW_ROLE_USER      = 1,
    LLMGW_ROLE_ASSISTANT = 2,
    LLMGW_ROLE_TOOL      = 3,
    LLMGW_ROLE_DEVELOPER = 4
} llmgw_role;

typedef enum llmgw_response_format {
    LLMGW_FORMAT_TEXT        = 0,
    LLMGW_FORMAT_JSON_OBJECT = 1, /**< JSON mode */
    LLMGW_FORMAT_JSON_SCHEMA = 2  /**< structured output with a schema */
} llmgw_response_format;

/** A new request for a model group alias or a "provider/model" id. */
LLMGW_API int  llmgw_request_new(llmgw_request **out, const char *model);
/** NULL is a harmless no-op. */
LLMGW_API void llmgw_request_free(llmgw_request *req);

/**
 * Parse an OpenAI Chat Completions request body. Besides the OpenAI
 * members, an optional "llmgw" object carries caller metadata that is never
 * sent upstream: {"customer", "tags": [...], "trace_id", "metadata": {...}}.
 * "stream" and "stream_options" are accepted and ignored: the call chooses.
 */
LLMGW_API int  llmgw_request_from_json(llmgw_request **out, const char *json, size_t len);
/** Render the canonical request as an OpenAI request body (caller metadata excluded). */
LLMGW_API int  llmgw_request_to_json(llmgw_buf *out, const llmgw_request *req);

LLMGW_API int  llmgw_request_set_model(llmgw_request *req, const char *model);
/** Borrowed; lives until the request changes or is freed. */
LLMGW_API const char *llmgw_request_model(const llmgw_request *req);

/** Append a message with text content (text may be NULL for an assistant turn with tool calls). */
LLMGW_API int  llmgw_request_add_message(llmgw_request *req, int role, const char *text);
/** Append a text part to the last message. */
LLMGW_API int  llmgw_request_add_text_part(llmgw_request *req, const char *text);
/** Append an image part (https URL or data: URL) to the last message; detail may be NULL. */
LLMGW_API int  llmgw_request_add_image_part(llmgw_request *req, const char *url, const char *detail);
/** Append a tool call to the last message, which must be an assistant message. */
LLMGW_API int  llmgw_request_add_tool_call(llmgw_request *req, const char *id, const char *name,
                                           const char *arguments_json);
/** Append a tool message answering tool_call_id. */
LLMGW_API int  llmgw_request_add_tool_result(llmgw_request *req, const char *tool_call_id,
                                             const char *content);
LLMGW_API size_t llmgw_request_message_count(const llmgw_request *req);

LLMGW_API int  llmgw_request_set_max_tokens(llmgw_request *req, int64_t max_tokens);
LLMGW_API int  llmgw_request_set_temperature(llmgw_request *req, double temperature);
LLMGW_API int  llmgw_request_set_top_p(llmgw_request *req, double top_p);
LLMGW_API int  llmgw_request_add_stop(llmgw_request *req, const char *stop);
LLMGW_API int  llmgw_request_set_seed(llmgw_request *req, int64_t seed);
/** Declare a function tool; parameters_json is a JSON Schema object (NULL: {}). */
LLMGW_API int  llmgw_request_add_tool(llmgw_request *req, const char *name, const char *description,
                                      const char *parameters_json);
/** "auto", "none" or "required". */
LLMGW_API int  llmgw_request_set_tool_choice(llmgw_request *req, const char *mode);
/** Force one named function. */
LLMGW_API int  llmgw_request_set_tool_choice_function(llmgw_request *req, const char *name);
/** LLMGW_FORMAT_*; name and schema_json are used by JSON_SCHEMA only. */
LLMGW_API int  llmgw_request_set_response_format(llmgw_request *req, int format, const char *name,
                                                 const char *schema_json, int strict);
/** OpenAI's "user" (an end-user id sent upstream). */
LLMGW_API int  llmgw_request_set_user(llmgw_request *req, const char *user);
/** Any other request member, as JSON (e.g. "frequency_penalty", "0.5"); NULL removes it. */
LLMGW_API int  llmgw_request_set_param_json(llmgw_request *req, const char *name, const char *json_value);

/* Caller metadata: never sent upstream; reported in usage records. */
LLMGW_API int  llmgw_request_set_customer(llmgw_request *req, const char *customer);
LLMGW_API int  llmgw_request_add_tag(llmgw_request *req, const char *tag);
LLMGW_API int  llmgw_request_set_metadata(llmgw_request *req, const char *key, const char *value);
LLMGW_API int  llmgw_request_set_trace_id(llmgw_request *req, const char *trace_id);
/*
 * Read back the caller metadata (for classifiers and bindings). Strings are
 * owned by the request and valid until it changes or is freed; NULL when
 * unset. llmgw_request_metadata_json() writes the metadata as a JSON object
 * ("{}" when none).
 */
LLMGW_API const char *llmgw_request_customer(const llmgw_request *req);
LLMGW_API const char *llmgw_request_trace_id(const llmgw_request *req);
LLMGW_API size_t      llmgw_request_tag_count(const llmgw_request *req);
LLMGW_API const char *llmgw_request_tag(const llmgw_request *req, size_t i);
LLMGW_API const char *llmgw_request_metadata(const llmgw_request *req, const char *key);
LLMGW_API int         llmgw_request_metadata_json(llmgw_buf *out, const llmgw_request *req);
/**
 * Drop request parameters a provider cannot express instead of failing with
 * LLMGW_EUNSUPPORTED (LiteLLM's drop_params). In JSON: a top-level
 * "drop_params": true, which is never sent upstream.
 */
LLMGW_API int  llmgw_request_set_drop_params(llmgw_request *req, int drop);
LLMGW_API int  llmgw_request_drop_params(const llmgw_request *req);
/** Cache controls (LiteLLM's per-request "cache" object). */
enum {
    LLMGW_CACHE_NO_CACHE = 1,   /**< "no-cache": do not answer from the cache */
    LLMGW_CACHE_NO_STORE = 2    /**< "no-store": do not store this answer */
};
/**
 * Per-request cache controls: flags (LLMGW_CACHE_*), ttl_ms for the stored
 * answer (0: the gateway's), max_age_ms the oldest answer accepted
 * ("s-maxage"; 0: any), namespace_ the tenant namespace (NULL: the gateway's).
 * In JSON: "cache": {"no-cache", "no-store", "ttl", "s-maxage" (seconds),
 * "namespace"} at the top level or inside "llmgw"; never sent upstream.
 */
LLMGW_API int  llmgw_request_set_cache_control(llmgw_request *req, int flags, int64_t ttl_ms,
                                               int64_t max_age_ms, const char *namespace_);
/**
 * Cancel every call running with this request, from any thread: each fails
 * with LLMGW_ECANCELLED (class cancelled) within about 100 ms, whether it is
 * waiting for an upstream, streaming, or waiting to retry; a stream's sink
 * gets its on_error. Calls started with it afterwards fail at once. The
 * request stays cancelled (build a new one for the next call).
 */
LLMGW_API int  llmgw_request_cancel(llmgw_request *req);
/** A deadline for this request, overriding the gateway's (0 = gateway's). */
LLMGW_API int  llmgw_request_set_deadline_ms(llmgw_request *req, int64_t deadline_ms);

LLMGW_END_DECLS

#endif
