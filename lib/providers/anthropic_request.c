/*
 * lib/providers/anthropic_request.c: the canonical request as a Messages
 * request body (docs/providers.md §3); messages are anthropic_messages.c's.
 *
 *   max_completion_tokens, max_tokens  max_tokens, always sent (Anthropic requires it); when the
 *                     caller gives none: the model's maximum output from max_output[] below,
 *                     else 4096
 *   temperature       0..1 as is; above 1.0 (the end of Anthropic's range) is unsupported, and
 *                     under drop_params left out (Anthropic's default is 1.0)
 *   top_p, top_k      as is (top_k, Anthropic's own, an integer >= 0)
 *   stop              stop_sequences (a string becomes a one-element array)
 *   tools             [{name, description, input_schema = parameters (type "object" added when
 *                     missing; none: an empty object schema), strict}]
 *   tool_choice       auto / required / none / {function:{name}} -> {type: auto / any / none /
 *                     tool + name}; parallel_tool_calls false -> disable_parallel_tool_use; auto
 *                     and none without tools are not sent
 *   response_format   json_schema -> output_config.format {type:"json_schema", schema} (Anthropic's
 *                     structured outputs); json_object has no schema-less equivalent: unsupported;
 *                     text: nothing
 *   user              metadata.user_id
 *   thinking, cache_control, inference_geo, output_config   Anthropic's own, passed on
 *   service_tier      "auto" and "standard_only" passed on; OpenAI's other tiers unsupported
 *   n 1, presence_penalty 0, frequency_penalty 0, logprobs false, top_logprobs 0, logit_bias {},
 *   store false       neutral values, accepted and not sent; others unsupported
 *   seed, anything else   unsupported: LLMGW_EUNSUPPORTED naming the field, or left out under
 *                     drop_params
 */
#include "../core/common.h"
#include "../core/errors.h"
#include "../core/json.h"
#include "../core/request.h"
#include "anthropic.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>

/*
 * Maximum output tokens by model-id prefix, first match wins. Source: the
 * max_output_tokens of the anthropic entries in LiteLLM's
 * model_prices_and_context_window.json (shared/data, 2026-07-24); the 3.5 models
 * from Anthropic's model overview (8192; the June 2024 Sonnet 4096).
 */
static const struct { const char *prefix; int64_t max_tokens; } max_output[] = {
    { "claude-opus-4-8", 128000 },   { "claude-opus-4-7", 128000 },  { "claude-opus-4-6", 128000 },
    { "claude-opus-5", 128000 },     { "claude-sonnet-5", 128000 },  { "claude-fable-5", 128000 },
    { "claude-opus-4-5", 64000 },    { "claude-sonnet-4", 64000 },   { "claude-haiku-4-5", 64000 },
    { "claude-4-sonnet", 64000 },    { "claude-3-7-sonnet", 64000 },
    { "claude-opus-4", 32000 },      { "claude-4-opus", 32000 },
    { "claude-3-5-sonnet-20240620", 4096 }, { "claude-3-5-sonnet", 8192 }, { "claude-3-5-haiku", 8192 },
    { "claude-3-opus", 4096 },       { "claude-3-haiku", 4096 },
};

#define DEFAULT_MAX_TOKENS 4096

int64_t llmgw__anthropic_default_max_tokens(const char *model)
{
    size_t i;

    for (i = 0; model != NULL && i < LLMGW_ARRAY_SIZE(max_output); i++)
        if (strncmp(model, max_output[i].prefix, strlen(max_output[i].prefix)) == 0)
            return max_output[i].max_tokens;
    return DEFAULT_MAX_TOKENS;
}

int llmgw__anthropic_unsupported(bool drop_params, const char *fmt, ...)
{
    char what[256];
    va_list ap;

    if (drop_params)
        return 0;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    return llmgw__error_setc(LLMGW_EUNSUPPORTED, LLMGW_ERRCLASS_UNSUPPORTED,
                             "anthropic cannot express %s (drop_params leaves it out)", what);
}

int llmgw__anthropic_bad(const char *fmt, ...)
{
    char what[320];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_BAD_REQUEST, "anthropic: %s", what);
}

typedef struct params {
    cJSON       *out;
    const cJSON *in;
    bool         drop;
} params;

static bool absent(const cJSON *it)
{
    return it == NULL || cJSON_IsNull(it);
}

static const cJSON *member(const cJSON *obj, const char *key)
{
    return cJSON_GetObjectItemCaseSensitive(obj, key);
}

static int skip(params *p, const cJSON *it)
{
    LLMGW_UNUSED(p);
    LLMGW_UNUSED(it);
    return 0;
}

static int copy(params *p, const cJSON *it)
{
    return llmgw__anthropic_ref(p->out, it->string, it);
}

static int temperature(params *p, const cJSON *it)
{
    if (cJSON_IsNumber(it) && it->valuedouble > 1.0)
        return llmgw__anthropic_unsupported(p->drop, "temperature %g (Anthropic's range is 0 to 1)",
                                            it->valuedouble);
    return copy(p, it);
}

static int top_k(params *p, const cJSON *it)
{
    if (!cJSON_IsNumber(it) || !isfinite(it->valuedouble) || it->valuedouble < 0 ||
        floor(it->valuedouble) != it->valuedouble || it->valuedouble > 1e9)
        return llmgw__anthropic_bad("top_k must be an integer >= 0");
    return copy(p, it);
}

static int stop(params *p, const cJSON *it)
{
    cJSON *arr;

    if (cJSON_IsArray(it))
        return cJSON_GetArraySize(it) > 0 ? llmgw__anthropic_ref(p->out, "stop_sequences", it) : 0;
    if (!cJSON_IsString(it))
        return llmgw__anthropic_bad("stop must be a string or an array of strings");
    arr = cJSON_CreateArray();
    if (llmgw__json_add_item(p->out, "stop_sequences", arr) < 0)
        return LLMGW_ENOMEM;
    return llmgw__json_append(arr, cJSON_CreateStringReference(it->valuestring));
}

/*
 * input_schema: the parameters as given when they say their type; Anthropic requires
 * type "object", so it is added when missing ({} -> {"type":"object"}), and no parameters
 * at all become {"type":"object","properties":{}}.
 */
static int input_schema(cJSON *tool_obj, const cJSON *schema_in)
{
    const cJSON *it;
    cJSON *s;

    if (cJSON_IsObject(schema_in) && member(schema_in, "type") != NULL)
        return llmgw__anthropic_ref(tool_obj, "input_schema", schema_in);
    s = cJSON_CreateObject();
    if (llmgw__json_add_item(tool_obj, "input_schema", s) < 0 || llmgw__json_add_str(s, "type", "object") < 0)
        return LLMGW_ENOMEM;
    if (!cJSON_IsObject(schema_in))
        return llmgw__json_add_item(s, "properties", cJSON_CreateObject());
    cJSON_ArrayForEach(it, schema_in)
        LLMGW_TRY(llmgw__anthropic_ref(s, it->string, it));
    return 0;
}

static int tool(cJSON *arr, const cJSON *t)
{
    const cJSON *fn = member(t, "function"), *strict = member(fn, "strict");
    const char *name = llmgw__json_str(fn, "name"), *desc = llmgw__json_str(fn, "description");
    cJSON *o = cJSON_CreateObject();

    if (name == NULL) {
        cJSON_Delete(o);
        return llmgw__anthropic_bad("a tool needs function.name");
    }
    if (llmgw__json_append(arr, o) < 0 || llmgw__anthropic_ref_str(o, "name", name) < 0 ||
        (desc != NULL && llmgw__anthropic_ref_str(o, "description", desc) < 0))
        return LLMGW_ENOMEM;
    LLMGW_TRY(input_schema(o, member(fn, "parameters")));
    return cJSON_IsBool(strict) ? llmgw__anthropic_ref(o, "strict", strict) : 0;
}

static int tools(params *p, const cJSON *it)
{
    const cJSON *t;
    cJSON *arr;

    if (cJSON_GetArraySize(it) == 0)
        return 0;
    arr = cJSON_CreateArray();
    if (llmgw__json_add_item(p->out, "tools", arr) < 0)
        return LLMGW_ENOMEM;
    cJSON_ArrayForEach(t, it)
        LLMGW_TRY(tool(arr, t));
    return 0;
}

static int user(params *p, const cJSON *it)
{
    cJSON *md;

    if (!cJSON_IsString(it))
        return llmgw__anthropic_bad("user must be a string");
    md = cJSON_CreateObject();
    if (llmgw__json_add_item(p->out, "metadata", md) < 0)
        return LLMGW_ENOMEM;
    return llmgw__anthropic_ref_str(md, "user_id", it->valuestring);
}

static int service_tier(params *p, const cJSON *it)
{
    const char *s = cJSON_IsString(it) ? it->valuestring : "";

    if (strcmp(s, "auto") == 0 || strcmp(s, "standard_only") == 0)
        return copy(p, it);
    return llmgw__anthropic_unsupported(p->drop, "service_tier '%.32s'", s);
}

/* OpenAI parameters whose neutral value changes nothing. */
static int neutral(params *p, const cJSON *it)
{
    const char *k = it->string;
    double v = cJSON_IsNumber(it) ? it->valuedouble : NAN;
    bool ok;

    if (strcmp(k, "n") == 0)
        ok = v == 1;
    else if (strcmp(k, "logprobs") == 0 || strcmp(k, "store") == 0)
        ok = cJSON_IsFalse(it);
    else if (strcmp(k, "logit_bias") == 0)
        ok = cJSON_IsObject(it) && it->child == NULL;
    else
        ok = v == 0;        /* presence_penalty, frequency_penalty, top_logprobs */
    return ok ? 0 : llmgw__anthropic_unsupported(p->drop, "%s", k);
}

static const struct { const char *name; int (*fn)(params *, const cJSON *); } param_table[] = {
    { "model", skip },              { "messages", skip },          { "max_tokens", skip },
    { "max_completion_tokens", skip }, { "tool_choice", skip },    { "parallel_tool_calls", skip },
    { "response_format", skip },    { "output_config", skip },
    { "temperature", temperature }, { "top_p", copy },             { "top_k", top_k },
    { "stop", stop },               { "tools", tools },            { "user", user },
    { "thinking", copy },           { "cache_control", copy },     { "inference_geo", copy },
    { "service_tier", service_tier },
    { "n", neutral },               { "presence_penalty", neutral }, { "frequency_penalty", neutral },
    { "logprobs", neutral },        { "top_logprobs", neutral },   { "logit_bias", neutral },
    { "store", neutral },
};

static int param(params *p, const cJSON *it)
{
    size_t i;

    if (cJSON_IsNull(it))
        return 0;
    for (i = 0; i < LLMGW_ARRAY_SIZE(param_table); i++)
        if (strcmp(it->string, param_table[i].name) == 0)
            return param_table[i].fn(p, it);
    return llmgw__anthropic_unsupported(p->drop, "the parameter '%.64s'", it->string);
}

static int tool_choice(params *p)
{
    const cJSON *tc = member(p->in, "tool_choice");
    const char *mode = cJSON_IsString(tc) ? tc->valuestring : NULL;
    const char *name = llmgw__json_str(member(tc, "function"), "name"), *type;
    bool has_tools = cJSON_GetArraySize(member(p->in, "tools")) > 0;
    bool serial = cJSON_IsFalse(member(p->in, "parallel_tool_calls"));
    cJSON *o;

    if (absent(tc))
        mode = "auto";
    if (!has_tools && mode != NULL && (strcmp(mode, "auto") == 0 || strcmp(mode, "none") == 0))
        return 0;
    if (absent(tc) && !serial)
        return 0;
    if (mode != NULL && strcmp(mode, "auto") == 0)
        type = "auto";
    else if (mode != NULL && strcmp(mode, "required") == 0)
        type = "any";
    else if (mode != NULL && strcmp(mode, "none") == 0)
        type = "none";
    else if (mode == NULL && name != NULL)
        type = "tool";
    else
        return llmgw__anthropic_bad("tool_choice must be auto, required, none or a function");
    o = cJSON_CreateObject();
    if (llmgw__json_add_item(p->out, "tool_choice", o) < 0 || llmgw__json_add_str(o, "type", type) < 0 ||
        (strcmp(type, "tool") == 0 && llmgw__anthropic_ref_str(o, "name", name) < 0) ||
        (serial && strcmp(type, "none") != 0 && llmgw__json_add_bool(o, "disable_parallel_tool_use", true) < 0))
        return LLMGW_ENOMEM;
    return 0;
}

static int output_config(params *p)
{
    const cJSON *rf = member(p->in, "response_format"), *oc = member(p->in, "output_config");
    const cJSON *schema = member(member(rf, "json_schema"), "schema"), *it;
    const char *type = llmgw__json_str(rf, "type");
    cJSON *o, *fmt;

    if (type != NULL && strcmp(type, "json_object") == 0)
        LLMGW_TRY(llmgw__anthropic_unsupported(p->drop, "response_format json_object (Anthropic's JSON "
                                               "output needs a schema: use json_schema)"));
    if (!absent(oc) && !cJSON_IsObject(oc))
        return llmgw__anthropic_bad("output_config must be an object");
    if (type == NULL || strcmp(type, "json_schema") != 0 || !cJSON_IsObject(schema))
        return absent(oc) ? 0 : llmgw__anthropic_ref(p->out, "output_config", oc);
    if (member(oc, "format") != NULL)
        return llmgw__anthropic_bad("response_format and output_config.format are both set");
    o = cJSON_CreateObject();
    if (llmgw__json_add_item(p->out, "output_config", o) < 0)
        return LLMGW_ENOMEM;
    cJSON_ArrayForEach(it, oc)
        LLMGW_TRY(llmgw__anthropic_ref(o, it->string, it));
    fmt = cJSON_CreateObject();
    if (llmgw__json_add_item(o, "format", fmt) < 0 || llmgw__json_add_str(fmt, "type", "json_schema") < 0)
        return LLMGW_ENOMEM;
    return llmgw__anthropic_ref(fmt, "schema", schema);
}

int llmgw__anthropic_body(llmgw_buf *out, const llmgw_request *req, const char *model, int stream)
{
    const cJSON *in = llmgw__request_body(req), *it;
    int64_t max = llmgw__request_max_tokens(req);
    params p;
    int rc;

    p.in = in;
    p.drop = llmgw_request_drop_params(req) != 0;
    if ((p.out = cJSON_CreateObject()) == NULL)
        return llmgw__error_oom();
    rc = llmgw__json_add_str(p.out, "model", model);
    if (rc == 0)
        rc = llmgw__json_add_num(p.out, "max_tokens",
                                 (double)(max > 0 ? max : llmgw__anthropic_default_max_tokens(model)));
    if (rc == 0)
        rc = llmgw__anthropic_messages(p.out, member(in, "messages"), p.drop);
    for (it = in->child; rc == 0 && it != NULL; it = it->next)
        rc = param(&p, it);
    if (rc == 0)
        rc = tool_choice(&p);
    if (rc == 0)
        rc = output_config(&p);
    if (rc == 0 && stream)
        rc = llmgw__json_add_bool(p.out, "stream", true);
    if (rc == 0)
        rc = llmgw__json_print(out, p.out);
    cJSON_Delete(p.out);
    return rc;
}
