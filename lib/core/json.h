/*
 * lib/core/json.h: cJSON inside the library, with llmgw's limits.
 */
#ifndef LLMGW_CORE_JSON_H
#define LLMGW_CORE_JSON_H

#include <cjson/cJSON.h>

#include "common.h"

#define LLMGW_JSON_MAX_DEPTH 64

/*
 * Parse len bytes with the nesting limit; NULL with the last error set
 * (class given): LLMGW_ENOMEM when the text is good but memory ran out.
 */
cJSON *llmgw__json_parse(const char *data, size_t len, int error_class);
/*
 * True when cJSON accepts the text (its grammar, not RFC 8259's) and only
 * whitespace follows the value: what llmgw__json_parse needs besides memory,
 * the depth limit and the absence of NUL bytes. Allocates nothing.
 */
bool   llmgw__json_would_parse(const char *data, size_t len);
/*
 * After llmgw__json_parse returned NULL: LLMGW_ENOMEM when that was the
 * reason, else malformed_code (what the caller reports for bad JSON).
 */
int    llmgw__json_failure(int malformed_code);
/* True when a string in the JSON text holds the escape \u0000, which cJSON
 * turns into an embedded NUL that silently ends the C string. */
bool   llmgw__json_has_nul_escape(const char *data, size_t len);
/* Compact text of item appended to out. */
int    llmgw__json_print(llmgw_buf *out, const cJSON *item);
/* Number helpers: 0, or LLMGW_EINVAL when absent or not of that shape. */
int    llmgw__json_token_count(const cJSON *item, uint64_t *out);
int    llmgw__json_int64(const cJSON *item, int64_t *out);
/* String member or NULL. */
const char *llmgw__json_str(const cJSON *obj, const char *key);
/* Add helpers that report ENOMEM through the last error. */
int    llmgw__json_add_str(cJSON *obj, const char *key, const char *value);
int    llmgw__json_add_num(cJSON *obj, const char *key, double value);
int    llmgw__json_add_bool(cJSON *obj, const char *key, bool value);
int    llmgw__json_add_item(cJSON *obj, const char *key, cJSON *item);  /* takes item, even on failure */
int    llmgw__json_append(cJSON *array, cJSON *item);                   /* takes item, even on failure */
/*
 * obj[key] = a reference to item (borrowed: item must outlive obj). Use this,
 * not cJSON_AddItemReferenceToObject, which leaks the reference when copying
 * the key fails (cJSON 1.7.15).
 */
int    llmgw__json_add_ref(cJSON *obj, const char *key, const cJSON *item);
/* Replace or add obj[key] = item (takes item). */
int    llmgw__json_set_item(cJSON *obj, const char *key, cJSON *item);

static inline const llmgw_json *llmgw__json_view(const cJSON *item)
{
    return (const llmgw_json *)(const void *)item;
}

static inline const cJSON *llmgw__json_of(const llmgw_json *view)
{
    return (const cJSON *)(const void *)view;
}

#endif
