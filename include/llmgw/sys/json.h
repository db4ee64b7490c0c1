/*
 * sys/json.h: a read-only view of parsed JSON, for provider authors.
 *
 * llmgw_json keeps the JSON library out of the ABI. Views returned by the
 * getters are borrowed from the parsed root (or from the request they came
 * from) and live as long as it.
 */
#ifndef LLMGW_SYS_JSON_H
#define LLMGW_SYS_JSON_H

#include "../common.h"
#include "../buf.h"

LLMGW_BEGIN_DECLS

typedef enum llmgw_json_kind {
    LLMGW_JSON_INVALID = 0,
    LLMGW_JSON_NULL,
    LLMGW_JSON_FALSE,
    LLMGW_JSON_TRUE,
    LLMGW_JSON_NUMBER,
    LLMGW_JSON_STRING,
    LLMGW_JSON_ARRAY,
    LLMGW_JSON_OBJECT
} llmgw_json_kind;

/** Parse len bytes (need not be NUL-terminated); nesting is limited to 64. */
LLMGW_API int  llmgw_json_parse(llmgw_json **out, const char *data, size_t len);
/** Free a value returned by llmgw_json_parse(); NULL is a no-op. */
LLMGW_API void llmgw_json_free(llmgw_json *json);
LLMGW_API int  llmgw_json_type(const llmgw_json *json);
/** Member of an object, or NULL. */
LLMGW_API const llmgw_json *llmgw_json_get(const llmgw_json *object, const char *key);
/** Number of elements of an array or members of an object; 0 otherwise. */
LLMGW_API size_t llmgw_json_size(const llmgw_json *json);
/** i-th element of an array (or member of an object), or NULL. */
LLMGW_API const llmgw_json *llmgw_json_at(const llmgw_json *json, size_t i);
/** Key of an object member reached with llmgw_json_at(), or NULL. */
LLMGW_API const char *llmgw_json_key(const llmgw_json *member);
/** String value, or NULL when not a string. */
LLMGW_API const char *llmgw_json_string(const llmgw_json *json);
/** Number value; LLMGW_EINVAL when not a finite number. */
LLMGW_API int  llmgw_json_number(const llmgw_json *json, double *out);
/** A token count: an integral number in [0, 2^40); else LLMGW_EINVAL. */
LLMGW_API int  llmgw_json_token_count(const llmgw_json *json, uint64_t *out);
/** Compact JSON text of a value. */
LLMGW_API int  llmgw_json_print(llmgw_buf *out, const llmgw_json *json);
/** The canonical (OpenAI-shaped) request as a JSON view; borrowed from req. */
LLMGW_API const llmgw_json *llmgw_request_json(const llmgw_request *req);

LLMGW_END_DECLS

#endif
