/*
 * lib/providers/gemini_request.c: the canonical (OpenAI-shaped) request as a
 * generateContent body (docs/providers.md §4).
 *
 *   max_completion_tokens | max_tokens -> generationConfig.maxOutputTokens
 *   temperature, top_p, top_k          -> temperature, topP, topK
 *   presence_penalty, frequency_penalty -> presencePenalty, frequencyPenalty
 *   stop (string or array)             -> stopSequences
 *   n (always 1)                       -> candidateCount
 *   seed                               -> seed (an int32 on Gemini: larger is unsupported)
 *   response_format json_object        -> responseMimeType "application/json"
 *   response_format json_schema        -> + responseJsonSchema: the schema as sent (Gemini
 *                                         reads JSON Schema there); its description is
 *                                         added when the schema has none; the name is a
 *                                         label only; strict needs nothing (constrained)
 *   tools                              -> tools[{functionDeclarations[{name, description,
 *                                         parameters}]}]; parameters are Gemini's OpenAPI
 *                                         subset, so keywords outside it are stripped
 *                                         (schema_keys below: $schema, $id, $ref, $defs,
 *                                         definitions, additionalProperties, oneOf, allOf,
 *                                         not, const, exclusiveMinimum/Maximum, multipleOf,
 *                                         uniqueItems, patternProperties, examples, if/then/
 *                                         else ... go); a type array ["T","null"] becomes
 *                                         type T + nullable; const "x" becomes enum ["x"];
 *                                         parameters that are an object without properties
 *                                         are left out (Gemini rejects empty OBJECT properties)
 *   tool_choice auto|none|required|{function} -> toolConfig.functionCallingConfig mode
 *                                         AUTO|NONE|ANY (+ allowedFunctionNames)
 *   parallel_tool_calls true           -> nothing (Gemini's behaviour)
 *   Gemini-only extras (not OpenAI):  safety_settings -> safetySettings, thinking_config
 *                                      -> generationConfig.thinkingConfig, cached_content
 *                                      -> cachedContent; all sent as given (Gemini's names)
 * Refused as unsupported (dropped with drop_params): user, parallel_tool_calls false,
 * a tool with strict true, a seed outside int32, and every other member (logit_bias,
 * logprobs, top_logprobs, reasoning_effort, metadata, store, service_tier, modalities ...).
 */
#include "../core/common.h"
#include "../core/buf.h"
#include "../core/errors.h"
#include "../core/json.h"
#include "../core/request.h"
#include "gemini.h"

#include <stdarg.h>
#include <stdio.h>
#include <strings.h>

#define BAD(...) llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_BAD_REQUEST, "gemini: " __VA_ARGS__)

typedef struct build {
    const llmgw_request *req;
    const cJSON *src;        /* the canonical body */
    cJSON       *body;
    cJSON       *gc;         /* generationConfig, added when not empty */
} build;

int llmgw__gemini_unsupported(const llmgw_request *req, const char *fmt, ...)
{
    char what[256];
    va_list ap;

    if (llmgw_request_drop_params(req))
        return 1;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    return llmgw__error_setc(LLMGW_EUNSUPPORTED, LLMGW_ERRCLASS_UNSUPPORTED,
                             "gemini: %s is not supported (drop_params drops it)", what);
}

static int add_ref(cJSON *obj, const char *key, const cJSON *item)
{
    return llmgw__json_add_ref(obj, key, item);
}

static int gc_number(build *b, const char *key, const cJSON *v, const char *name)
{
    if (!cJSON_IsNumber(v))
        return BAD("\"%s\" must be a number", name);
    return llmgw__json_add_num(b->gc, key, v->valuedouble);
}

/* ---- tool parameters: Gemini's OpenAPI subset ---- */

static const char *const schema_keys[] = {
    "type", "format", "title", "description", "nullable", "enum", "maxItems", "minItems",
    "properties", "required", "minProperties", "maxProperties", "minLength", "maxLength",
    "pattern", "example", "anyOf", "propertyOrdering", "default", "items", "minimum", "maximum",
};

static bool schema_key(const char *k)
{
    size_t i;

    for (i = 0; i < LLMGW_ARRAY_SIZE(schema_keys); i++)
        if (strcmp(k, schema_keys[i]) == 0)
            return true;
    return false;
}

static cJSON *schema_copy(const cJSON *s);

/* "type": ["string", "null"] -> type + nullable; several types -> anyOf. */
static int schema_type_array(cJSON *out, const cJSON *types)
{
    const cJSON *t;
    cJSON *any;
    int n = 0;

    cJSON_ArrayForEach(t, types) {
        if (cJSON_IsString(t) && strcmp(t->valuestring, "null") == 0)
            LLMGW_TRY(llmgw__json_add_bool(out, "nullable", true));
        else if (cJSON_IsString(t))
            n++;
    }
    if (n == 1) {
        cJSON_ArrayForEach(t, types)
            if (cJSON_IsString(t) && strcmp(t->valuestring, "null") != 0)
                return llmgw__json_add_str(out, "type", t->valuestring);
    }
    if (n > 1) {
        if ((any = cJSON_AddArrayToObject(out, "anyOf")) == NULL)
            return llmgw__error_oom();
        cJSON_ArrayForEach(t, types) {
            cJSON *one;
            if (!cJSON_IsString(t) || strcmp(t->valuestring, "null") == 0)
                continue;
            if ((one = cJSON_CreateObject()) == NULL || llmgw__json_append(any, one) < 0)
                return llmgw__error_oom();
            LLMGW_TRY(llmgw__json_add_str(one, "type", t->valuestring));
        }
    }
    return 0;
}

static int schema_member(cJSON *out, const cJSON *m)
{
    const cJSON *it;
    cJSON *sub;

    if (strcmp(m->string, "type") == 0 && cJSON_IsArray(m))
        return schema_type_array(out, m);
    if (strcmp(m->string, "properties") == 0 && cJSON_IsObject(m)) {
        if ((sub = cJSON_AddObjectToObject(out, "properties")) == NULL)
            return llmgw__error_oom();
        cJSON_ArrayForEach(it, m)
            LLMGW_TRY(llmgw__json_add_item(sub, it->string, schema_copy(it)));
        return 0;
    }
    if (strcmp(m->string, "anyOf") == 0 && cJSON_IsArray(m)) {
        if ((sub = cJSON_AddArrayToObject(out, "anyOf")) == NULL)
            return llmgw__error_oom();
        cJSON_ArrayForEach(it, m)
            LLMGW_TRY(llmgw__json_append(sub, schema_copy(it)));
        return 0;
    }
    if (strcmp(m->string, "items") == 0)
        return cJSON_IsObject(m) ? llmgw__json_add_item(out, "items", schema_copy(m)) : 0;
    return llmgw__json_add_item(out, m->string, cJSON_Duplicate(m, true));
}

/* A copy of a JSON Schema with only the keywords Gemini's Schema has; NULL on OOM. */
static cJSON *schema_copy(const cJSON *s)
{
    cJSON *out = cJSON_CreateObject();
    const cJSON *m, *cst;

    if (out == NULL || !cJSON_IsObject(s))
        return out;
    cJSON_ArrayForEach(m, s) {
        if (!schema_key(m->string) || cJSON_GetObjectItemCaseSensitive(out, m->string) != NULL)
            continue;
        if (schema_member(out, m) < 0)
            goto oom;
    }
    cst = cJSON_GetObjectItemCaseSensitive(s, "const");
    if (cJSON_IsString(cst) && cJSON_GetObjectItemCaseSensitive(out, "enum") == NULL) {
        cJSON *e = cJSON_AddArrayToObject(out, "enum");
        if (e == NULL || llmgw__json_append(e, cJSON_CreateString(cst->valuestring)) < 0)
            goto oom;
    }
    return out;
oom:
    cJSON_Delete(out);
    return NULL;
}

static bool empty_object_schema(const cJSON *s)
{
    const char *type = llmgw__json_str(s, "type");
    const cJSON *props = cJSON_GetObjectItemCaseSensitive(s, "properties");

    if (cJSON_GetArraySize(s) == 0)
        return true;
    return type != NULL && strcasecmp(type, "object") == 0 && cJSON_GetArraySize(props) == 0 &&
           cJSON_GetObjectItemCaseSensitive(s, "anyOf") == NULL;
}

/* ---- tools and tool choice ---- */

static int map_tools(build *b, const cJSON *tools)
{
    cJSON *wrap, *decls, *d, *params;
    const cJSON *t;
    size_t i = 0;
    int rc;

    if (cJSON_GetArraySize(tools) == 0)
        return 0;
    if ((wrap = cJSON_CreateObject()) == NULL || llmgw__json_append(cJSON_AddArrayToObject(b->body, "tools"), wrap) < 0)
        return llmgw__error_oom();
    if ((decls = cJSON_AddArrayToObject(wrap, "functionDeclarations")) == NULL)
        return llmgw__error_oom();
    cJSON_ArrayForEach(t, tools) {
        const cJSON *fn = cJSON_GetObjectItemCaseSensitive(t, "function");
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(fn, "parameters");
        const char *desc = llmgw__json_str(fn, "description");
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(fn, "strict")) &&
            (rc = llmgw__gemini_unsupported(b->req, "tools[%zu].function.strict", i)) < 0)
            return rc;
        if ((d = cJSON_CreateObject()) == NULL || llmgw__json_append(decls, d) < 0 ||
            llmgw__json_add_str(d, "name", llmgw__json_str(fn, "name")) < 0 ||
            (desc != NULL && llmgw__json_add_str(d, "description", desc) < 0))
            return llmgw__error_oom();
        if (cJSON_IsObject(p)) {
            if ((params = schema_copy(p)) == NULL)
                return llmgw__error_oom();
            if (empty_object_schema(params))
                cJSON_Delete(params);
            else
                LLMGW_TRY(llmgw__json_add_item(d, "parameters", params));
        }
        i++;
    }
    return 0;
}

static int map_tool_choice(build *b, const cJSON *tc)
{
    const char *mode = NULL, *fname = NULL;
    cJSON *cfg, *fcc, *names;

    if (cJSON_IsString(tc))
        mode = strcmp(tc->valuestring, "required") == 0 ? "ANY"
             : strcmp(tc->valuestring, "none") == 0 ? "NONE" : "AUTO";
    else if ((fname = llmgw__json_str(cJSON_GetObjectItemCaseSensitive(tc, "function"), "name")) != NULL)
        mode = "ANY";
    if (mode == NULL)
        return BAD("\"tool_choice\" must be auto, none, required or a function");
    if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(b->src, "tools")) == 0) {
        if (strcmp(mode, "ANY") == 0)
            return BAD("\"tool_choice\" requires a tool but the request declares none");
        return 0;       /* auto or none without tools: nothing to say */
    }
    if ((cfg = cJSON_AddObjectToObject(b->body, "toolConfig")) == NULL ||
        (fcc = cJSON_AddObjectToObject(cfg, "functionCallingConfig")) == NULL ||
        llmgw__json_add_str(fcc, "mode", mode) < 0)
        return llmgw__error_oom();
    if (fname != NULL && ((names = cJSON_AddArrayToObject(fcc, "allowedFunctionNames")) == NULL ||
                          llmgw__json_append(names, cJSON_CreateString(fname)) < 0))
        return llmgw__error_oom();
    return 0;
}

/* ---- JSON mode ---- */

static int map_response_format(build *b, const cJSON *rf)
{
    const char *type = llmgw__json_str(rf, "type");
    const cJSON *js = cJSON_GetObjectItemCaseSensitive(rf, "json_schema");
    const cJSON *schema = cJSON_GetObjectItemCaseSensitive(js, "schema");
    const char *desc = llmgw__json_str(js, "description");
    cJSON *copy;

    if (type == NULL || strcmp(type, "text") == 0)
        return 0;
    LLMGW_TRY(llmgw__json_add_str(b->gc, "responseMimeType", "application/json"));
    if (strcmp(type, "json_schema") != 0 || !cJSON_IsObject(schema))
        return 0;
    if (desc == NULL || cJSON_GetObjectItemCaseSensitive(schema, "description") != NULL)
        return add_ref(b->gc, "responseJsonSchema", schema);
    if ((copy = cJSON_Duplicate(schema, true)) == NULL || llmgw__json_add_str(copy, "description", desc) < 0) {
        cJSON_Delete(copy);
        return llmgw__error_oom();
    }
    return llmgw__json_add_item(b->gc, "responseJsonSchema", copy);
}

/* ---- one top-level member ---- */

static int map_stop(build *b, const cJSON *stop)
{
    cJSON *arr;
    const cJSON *s;

    if ((arr = cJSON_AddArrayToObject(b->gc, "stopSequences")) == NULL)
        return llmgw__error_oom();
    if (cJSON_IsString(stop))
        return llmgw__json_append(arr, cJSON_CreateString(stop->valuestring));
    cJSON_ArrayForEach(s, stop)
        if (cJSON_IsString(s))
            LLMGW_TRY(llmgw__json_append(arr, cJSON_CreateString(s->valuestring)));
    return 0;
}

static int map_member(build *b, const cJSON *it)
{
    const char *k = it->string;
    const cJSON *mct;
    int64_t v;
    int rc;

    if (cJSON_IsNull(it) || strcmp(k, "model") == 0 || strcmp(k, "messages") == 0)
        return 0;
    mct = cJSON_GetObjectItemCaseSensitive(b->src, "max_completion_tokens");
    if (strcmp(k, "max_completion_tokens") == 0 || (strcmp(k, "max_tokens") == 0 && (mct == NULL || cJSON_IsNull(mct))))
        return gc_number(b, "maxOutputTokens", it, k);
    if (strcmp(k, "max_tokens") == 0)
        return 0;
    if (strcmp(k, "temperature") == 0)
        return gc_number(b, "temperature", it, k);
    if (strcmp(k, "top_p") == 0)
        return gc_number(b, "topP", it, k);
    if (strcmp(k, "top_k") == 0)
        return gc_number(b, "topK", it, k);
    if (strcmp(k, "presence_penalty") == 0)
        return gc_number(b, "presencePenalty", it, k);
    if (strcmp(k, "frequency_penalty") == 0)
        return gc_number(b, "frequencyPenalty", it, k);
    if (strcmp(k, "n") == 0)
        return gc_number(b, "candidateCount", it, k);
    if (strcmp(k, "stop") == 0)
        return map_stop(b, it);
    if (strcmp(k, "seed") == 0) {
        if (llmgw__json_int64(it, &v) < 0 || v < INT32_MIN || v > INT32_MAX)
            return (rc = llmgw__gemini_unsupported(b->req, "a seed outside the int32 range")) < 0 ? rc : 0;
        return llmgw__json_add_num(b->gc, "seed", (double)v);
    }
    if (strcmp(k, "response_format") == 0)
        return map_response_format(b, it);
    if (strcmp(k, "tools") == 0)
        return map_tools(b, it);
    if (strcmp(k, "tool_choice") == 0)
        return map_tool_choice(b, it);
    if (strcmp(k, "parallel_tool_calls") == 0 && !cJSON_IsFalse(it))
        return 0;
    if (strcmp(k, "safety_settings") == 0)
        return cJSON_IsArray(it) ? add_ref(b->body, "safetySettings", it) : BAD("\"safety_settings\" must be an array");
    if (strcmp(k, "thinking_config") == 0)
        return cJSON_IsObject(it) ? add_ref(b->gc, "thinkingConfig", it) : BAD("\"thinking_config\" must be an object");
    if (strcmp(k, "cached_content") == 0)
        return cJSON_IsString(it) ? add_ref(b->body, "cachedContent", it) : BAD("\"cached_content\" must be a string");
    rc = llmgw__gemini_unsupported(b->req, "'%.64s'", k);
    return rc < 0 ? rc : 0;
}

int llmgw__gemini_body(llmgw_buf *out, const llmgw_request *req)
{
    build b;
    const cJSON *it;
    int rc = 0;

    memset(&b, 0, sizeof(b));
    b.req = req;
    b.src = llmgw__request_body(req);
    if ((b.body = cJSON_CreateObject()) == NULL || (b.gc = cJSON_CreateObject()) == NULL) {
        cJSON_Delete(b.body);
        return llmgw__error_oom();
    }
    rc = llmgw__gemini_contents(b.body, req);
    for (it = b.src ? b.src->child : NULL; rc == 0 && it != NULL; it = it->next)
        rc = map_member(&b, it);
    if (rc == 0 && cJSON_GetArraySize(b.gc) > 0) {
        rc = llmgw__json_add_item(b.body, "generationConfig", b.gc);
        b.gc = NULL;
    }
    if (rc == 0)
        rc = llmgw__json_print(out, b.body);
    cJSON_Delete(b.gc);
    cJSON_Delete(b.body);
    return rc;
}
