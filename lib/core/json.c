/*
 * lib/core/json.c: JSON parsing with limits, and the public read-only view.
 */
#include "common.h"
#include "buf.h"
#include "errors.h"
#include "json.h"

#include <math.h>

/* Byte classes for the pre-scan. */
enum { C_NONE = 0, C_QUOTE, C_OPEN, C_CLOSE, C_BACKSLASH, C_NUL };

static const unsigned char byte_class[256] = {
    ['"'] = C_QUOTE, ['['] = C_OPEN, ['{'] = C_OPEN, [']'] = C_CLOSE, ['}'] = C_CLOSE,
    ['\\'] = C_BACKSLASH, [0] = C_NUL,
};

enum { SCAN_OK = 0, SCAN_TOO_DEEP, SCAN_NUL, SCAN_BAD_ESCAPE };

static bool is_hex(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/*
 * Before cJSON sees the text: reject nesting deeper than the limit (cJSON
 * recurses), NUL bytes, which are never valid JSON and which cJSON would
 * take for whitespace or for the end of a string, and \u escapes without
 * four hex digits, which cJSON reads as U+0000: a NUL inside a string that
 * would silently cut it short, past any check for a literal \u0000.
 */
static int prescan(const char *s, size_t len, size_t *at)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    size_t depth = 0;
    bool in_str = false;

    for (; p < end; p++) {
        unsigned char c = byte_class[*p];
        if (c == C_NONE)
            continue;
        if (c == C_NUL) {
            *at = (size_t)(p - (const unsigned char *)s);
            return SCAN_NUL;
        }
        if (in_str) {
            if (c == C_BACKSLASH) {
                if (++p == end)
                    break;
                if (*p == 'u' && (end - p < 5 || !is_hex(p[1]) || !is_hex(p[2]) || !is_hex(p[3]) ||
                                  !is_hex(p[4]))) {
                    *at = (size_t)(p - 1 - (const unsigned char *)s);
                    return SCAN_BAD_ESCAPE;
                }
            } else if (c == C_QUOTE) {
                in_str = false;
            }
        } else if (c == C_QUOTE) {
            in_str = true;
        } else if (c == C_OPEN) {
            if (++depth > LLMGW_JSON_MAX_DEPTH)
                return SCAN_TOO_DEEP;
        } else if (c == C_CLOSE && depth > 0) {
            depth--;
        }
    }
    return SCAN_OK;
}

int llmgw__json_failure(int malformed_code)
{
    return llmgw_error_last()->code == LLMGW_ENOMEM ? LLMGW_ENOMEM : malformed_code;
}

cJSON *llmgw__json_parse(const char *data, size_t len, int error_class)
{
    const char *end = NULL;
    size_t at = 0;
    cJSON *root;

    if (data == NULL || len == 0) {
        llmgw__error_setc(LLMGW_EINVAL, error_class, "empty JSON");
        return NULL;
    }
    switch (prescan(data, len, &at)) {
    case SCAN_TOO_DEEP:
        llmgw__error_setc(LLMGW_EINVAL, error_class, "JSON nested deeper than %d levels",
                          LLMGW_JSON_MAX_DEPTH);
        return NULL;
    case SCAN_NUL:
        llmgw__error_setc(LLMGW_EINVAL, error_class, "invalid JSON: NUL byte at byte %zu of %zu", at, len);
        return NULL;
    case SCAN_BAD_ESCAPE:
        llmgw__error_setc(LLMGW_EINVAL, error_class, "invalid JSON: a \\u escape without four hex digits "
                          "at byte %zu of %zu", at, len);
        return NULL;
    default:
        break;
    }
    root = cJSON_ParseWithLengthOpts(data, len, &end, 0);
    if (root == NULL && llmgw__json_would_parse(data, len)) {
        llmgw__error_oom();
        return NULL;
    }
    if (root == NULL) {
        size_t off = (end != NULL && end >= data) ? (size_t)(end - data) : 0;
        llmgw__error_setc(LLMGW_EINVAL, error_class, "invalid JSON near byte %zu of %zu", off, len);
        return NULL;
    }
    /* only whitespace may follow the value */
    if (end != NULL) {
        while (end < data + len && (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n'))
            end++;
        if (end < data + len) {
            cJSON_Delete(root);
            llmgw__error_setc(LLMGW_EINVAL, error_class, "trailing data after JSON value at byte %zu",
                              (size_t)(end - data));
            return NULL;
        }
    }
    return root;
}

bool llmgw__json_has_nul_escape(const char *s, size_t len)
{
    size_t i;

    for (i = 0; i + 1 < len; i++) {
        if (s[i] != '\\')
            continue;
        if (s[i + 1] == 'u' && len - i >= 6 && memcmp(s + i + 2, "0000", 4) == 0)
            return true;
        i++;        /* skip the escaped character (an escaped backslash included) */
    }
    return false;
}

int llmgw__json_print(llmgw_buf *out, const cJSON *item)
{
    char *s = cJSON_PrintUnformatted(item);
    int rc;

    if (s == NULL)
        return llmgw__error_oom();
    rc = llmgw__buf_puts(out, s);
    cJSON_free(s);
    return rc;
}

int llmgw__json_token_count(const cJSON *item, uint64_t *out)
{
    double v;

    if (!cJSON_IsNumber(item))
        return LLMGW_EINVAL;
    v = item->valuedouble;
    if (!isfinite(v) || v < 0 || v >= (double)LLMGW_MAX_TOKENS_VALUE || floor(v) != v)
        return LLMGW_EINVAL;
    *out = (uint64_t)v;
    return 0;
}

int llmgw__json_int64(const cJSON *item, int64_t *out)
{
    double v;

    if (!cJSON_IsNumber(item))
        return LLMGW_EINVAL;
    v = item->valuedouble;
    if (!isfinite(v) || floor(v) != v || v < -9007199254740992.0 || v > 9007199254740992.0)
        return LLMGW_EINVAL;
    *out = (int64_t)v;
    return 0;
}

const char *llmgw__json_str(const cJSON *obj, const char *key)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);

    return cJSON_IsString(it) ? it->valuestring : NULL;
}

int llmgw__json_add_ref(cJSON *obj, const char *key, const cJSON *item)
{
    cJSON *ref;

    if (item == NULL)
        return llmgw__error_null_arg("item", __func__);
    if ((ref = cJSON_CreateNull()) == NULL)
        return llmgw__error_oom();
    memcpy(ref, item, sizeof(*ref));      /* what cJSON's own create_reference() does */
    ref->string = NULL;
    ref->next = ref->prev = NULL;
    ref->type |= cJSON_IsReference;
    return llmgw__json_add_item(obj, key, ref);     /* deleting a reference frees only the item */
}

int llmgw__json_add_item(cJSON *obj, const char *key, cJSON *item)
{
    if (item == NULL)
        return llmgw__error_oom();
    if (!cJSON_AddItemToObject(obj, key, item)) {
        cJSON_Delete(item);
        return llmgw__error_oom();
    }
    return 0;
}

int llmgw__json_append(cJSON *array, cJSON *item)
{
    if (item == NULL)
        return llmgw__error_oom();
    if (!cJSON_AddItemToArray(array, item)) {
        cJSON_Delete(item);
        return llmgw__error_oom();
    }
    return 0;
}

int llmgw__json_set_item(cJSON *obj, const char *key, cJSON *item)
{
    if (item == NULL)
        return llmgw__error_oom();
    if (cJSON_GetObjectItemCaseSensitive(obj, key) != NULL) {
        if (!cJSON_ReplaceItemInObjectCaseSensitive(obj, key, item)) {
            cJSON_Delete(item);
            return llmgw__error_oom();
        }
        return 0;
    }
    return llmgw__json_add_item(obj, key, item);
}

int llmgw__json_add_str(cJSON *obj, const char *key, const char *value)
{
    return llmgw__json_add_item(obj, key, cJSON_CreateString(value));
}

int llmgw__json_add_num(cJSON *obj, const char *key, double value)
{
    return llmgw__json_add_item(obj, key, cJSON_CreateNumber(value));
}

int llmgw__json_add_bool(cJSON *obj, const char *key, bool value)
{
    return llmgw__json_add_item(obj, key, cJSON_CreateBool(value));
}

/* ---- public view ---- */

int llmgw_json_parse(llmgw_json **out, const char *data, size_t len)
{
    cJSON *root;

    LLMGW_CHECK_ARG(out);
    *out = NULL;
    LLMGW_CHECK_ARG(data);
    root = llmgw__json_parse(data, len, LLMGW_ERRCLASS_BAD_REQUEST);
    if (root == NULL)
        return llmgw_error_last()->code;
    *out = (llmgw_json *)(void *)root;
    return 0;
}

void llmgw_json_free(llmgw_json *json)
{
    cJSON_Delete((cJSON *)(void *)json);
}

int llmgw_json_type(const llmgw_json *json)
{
    const cJSON *j = llmgw__json_of(json);

    if (j == NULL)
        return LLMGW_JSON_INVALID;
    switch (j->type & 0xFF) {
    case cJSON_NULL:   return LLMGW_JSON_NULL;
    case cJSON_False:  return LLMGW_JSON_FALSE;
    case cJSON_True:   return LLMGW_JSON_TRUE;
    case cJSON_Number: return LLMGW_JSON_NUMBER;
    case cJSON_String: return LLMGW_JSON_STRING;
    case cJSON_Array:  return LLMGW_JSON_ARRAY;
    case cJSON_Object: return LLMGW_JSON_OBJECT;
    default:           return LLMGW_JSON_INVALID;
    }
}

const llmgw_json *llmgw_json_get(const llmgw_json *object, const char *key)
{
    const cJSON *j = llmgw__json_of(object);

    if (!cJSON_IsObject(j) || key == NULL)
        return NULL;
    return llmgw__json_view(cJSON_GetObjectItemCaseSensitive(j, key));
}

size_t llmgw_json_size(const llmgw_json *json)
{
    const cJSON *j = llmgw__json_of(json), *c;
    size_t n = 0;

    if (!cJSON_IsArray(j) && !cJSON_IsObject(j))
        return 0;
    for (c = j->child; c != NULL; c = c->next)
        n++;
    return n;
}

const llmgw_json *llmgw_json_at(const llmgw_json *json, size_t i)
{
    const cJSON *j = llmgw__json_of(json), *c;

    if (!cJSON_IsArray(j) && !cJSON_IsObject(j))
        return NULL;
    for (c = j->child; c != NULL && i > 0; c = c->next)
        i--;
    return llmgw__json_view(c);
}

const char *llmgw_json_key(const llmgw_json *member)
{
    const cJSON *j = llmgw__json_of(member);

    return j ? j->string : NULL;
}

const char *llmgw_json_string(const llmgw_json *json)
{
    const cJSON *j = llmgw__json_of(json);

    return cJSON_IsString(j) ? j->valuestring : NULL;
}

int llmgw_json_number(const llmgw_json *json, double *out)
{
    const cJSON *j = llmgw__json_of(json);

    LLMGW_CHECK_ARG(out);
    if (!cJSON_IsNumber(j) || !isfinite(j->valuedouble))
        return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_BAD_REQUEST, "not a finite JSON number");
    *out = j->valuedouble;
    return 0;
}

int llmgw_json_token_count(const llmgw_json *json, uint64_t *out)
{
    LLMGW_CHECK_ARG(out);
    if (llmgw__json_token_count(llmgw__json_of(json), out) < 0)
        return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_BAD_REQUEST,
                                 "not a token count (an integer in [0, 2^40))");
    return 0;
}

int llmgw_json_print(llmgw_buf *out, const llmgw_json *json)
{
    LLMGW_CHECK_ARG(out);
    LLMGW_CHECK_ARG(json);
    return llmgw__json_print(out, llmgw__json_of(json));
}
