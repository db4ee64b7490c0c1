/*
 * lib/providers/bedrock_body.c: canonical (OpenAI-shaped) request -> Converse
 * request body (docs/providers.md §5, "Request mapping"); the messages are
 * mapped in bedrock_messages.c.
 *
 *   max_(completion_)tokens, temperature, top_p, stop -> inferenceConfig
 *   tools, tool_choice          -> toolConfig (auto -> auto, required -> any, function -> tool)
 *   response_format json_schema -> outputConfig.textFormat
 *   top_k                       -> additionalModelRequestFields.top_k
 *   n (1), parallel_tool_calls (true), stream members -> nothing to send
 * Anything else is LLMGW_EUNSUPPORTED naming the field, or dropped with drop_params.
 */
#include "../core/common.h"
#include "../core/buf.h"
#include "../core/errors.h"
#include "../core/json.h"
#include "../core/request.h"
#include "bedrock.h"

typedef llmgw__bedrock_conv conv;

#define OBJ(parent, key) llmgw__bedrock_attach((parent), (key), cJSON_CreateObject())

static int oom(void)
{
    return llmgw__error_oom();
}

/* obj[key] = v, creating root[name] = obj on first use. */
static int add_number(cJSON *root, cJSON **obj, const char *name, const char *key, double v)
{
    if (*obj == NULL && (*obj = OBJ(root, name)) == NULL)
        return oom();
    return llmgw__json_add_num(*obj, key, v);
}

static int add_stop(cJSON *root, cJSON **ic, cJSON **seqs, const cJSON *s)
{
    if (!cJSON_IsString(s) || *s->valuestring == '\0')
        return 0;
    if (*ic == NULL && (*ic = OBJ(root, "inferenceConfig")) == NULL)
        return oom();
    if (*seqs == NULL && (*seqs = llmgw__bedrock_attach(*ic, "stopSequences", cJSON_CreateArray())) == NULL)
        return oom();
    return llmgw__json_append(*seqs, cJSON_CreateString(s->valuestring));
}

static int inference_config(conv *c, const cJSON *body, cJSON *root)
{
    const cJSON *mt = cJSON_GetObjectItemCaseSensitive(body, "max_completion_tokens");
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(body, "temperature");
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(body, "top_p");
    const cJSON *stop = cJSON_GetObjectItemCaseSensitive(body, "stop"), *s;
    cJSON *ic = NULL, *seqs = NULL;
    int rc;

    if (!cJSON_IsNumber(mt))
        mt = cJSON_GetObjectItemCaseSensitive(body, "max_tokens");
    if (cJSON_IsNumber(mt))
        LLMGW_TRY(add_number(root, &ic, "inferenceConfig", "maxTokens", mt->valuedouble));
    if (cJSON_IsNumber(t)) {
        if (t->valuedouble <= 1.0)
            LLMGW_TRY(add_number(root, &ic, "inferenceConfig", "temperature", t->valuedouble));
        else if ((rc = llmgw__bedrock_refuse(c, "temperature %g (Converse allows 0..1)", t->valuedouble)) < 0)
            return rc;
    }
    if (cJSON_IsNumber(p))
        LLMGW_TRY(add_number(root, &ic, "inferenceConfig", "topP", p->valuedouble));
    /* a string or an array of strings; empty ones are left out (Converse wants length >= 1) */
    if (cJSON_IsString(stop))
        return add_stop(root, &ic, &seqs, stop);
    cJSON_ArrayForEach(s, stop)
        LLMGW_TRY(add_stop(root, &ic, &seqs, s));
    return 0;
}

static int tool_config(conv *c, const cJSON *body, cJSON *root)
{
    const cJSON *tools = cJSON_GetObjectItemCaseSensitive(body, "tools");
    const cJSON *choice = cJSON_GetObjectItemCaseSensitive(body, "tool_choice"), *t;
    const char *mode = cJSON_IsString(choice) ? choice->valuestring : NULL;
    cJSON *tc, *list, *ch, *named;
    int rc;

    if (!cJSON_IsArray(tools) || cJSON_GetArraySize(tools) == 0)
        return 0;
    if ((tc = OBJ(root, "toolConfig")) == NULL ||
        (list = llmgw__bedrock_attach(tc, "tools", cJSON_CreateArray())) == NULL)
        return oom();
    cJSON_ArrayForEach(t, tools) {
        const cJSON *fn = cJSON_GetObjectItemCaseSensitive(t, "function");
        const cJSON *params = cJSON_GetObjectItemCaseSensitive(fn, "parameters");
        const cJSON *strict = cJSON_GetObjectItemCaseSensitive(fn, "strict");
        const char *desc = llmgw__json_str(fn, "description");
        cJSON *w = OBJ(list, NULL), *spec, *schema;
        if (w == NULL || (spec = OBJ(w, "toolSpec")) == NULL ||
            llmgw__json_add_str(spec, "name", llmgw__json_str(fn, "name")) < 0 ||
            (desc != NULL && *desc && llmgw__json_add_str(spec, "description", desc) < 0) ||
            (schema = OBJ(spec, "inputSchema")) == NULL ||
            llmgw__json_add_item(schema, "json", cJSON_IsObject(params) ? cJSON_Duplicate(params, 1)
                                                 : cJSON_Parse("{\"type\":\"object\",\"properties\":{}}")) < 0 ||
            (cJSON_IsBool(strict) && llmgw__json_add_bool(spec, "strict", cJSON_IsTrue(strict)) < 0))
            return oom();
    }
    if (mode != NULL && strcmp(mode, "none") == 0)        /* no Converse equivalent */
        return (rc = llmgw__bedrock_refuse(c, "tool_choice \"none\"")) < 0 ? rc : 0;
    if ((ch = OBJ(tc, "toolChoice")) == NULL)
        return oom();
    if (choice == NULL || cJSON_IsNull(choice) || (mode != NULL && strcmp(mode, "auto") == 0))
        return OBJ(ch, "auto") ? 0 : oom();
    if (mode != NULL)                                      /* "required" */
        return OBJ(ch, "any") ? 0 : oom();
    if ((named = OBJ(ch, "tool")) == NULL)
        return oom();
    return llmgw__json_add_str(named, "name",
                               llmgw__json_str(cJSON_GetObjectItemCaseSensitive(choice, "function"), "name"));
}

static int output_config(conv *c, const cJSON *body, cJSON *root)
{
    const cJSON *rf = cJSON_GetObjectItemCaseSensitive(body, "response_format");
    const char *type = llmgw__json_str(rf, "type");
    const cJSON *js = cJSON_GetObjectItemCaseSensitive(rf, "json_schema");
    const char *desc = llmgw__json_str(js, "description");
    cJSON *oc, *tf, *st, *j;
    char *schema;
    int rc;

    if (type == NULL || strcmp(type, "text") == 0)
        return 0;
    if (strcmp(type, "json_schema") != 0)
        return (rc = llmgw__bedrock_refuse(c, "response_format %.32s", type)) < 0 ? rc : 0;
    if ((oc = OBJ(root, "outputConfig")) == NULL || (tf = OBJ(oc, "textFormat")) == NULL ||
        llmgw__json_add_str(tf, "type", "json_schema") < 0 || (st = OBJ(tf, "structure")) == NULL ||
        (j = OBJ(st, "jsonSchema")) == NULL)
        return oom();
    if ((schema = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(js, "schema"))) == NULL)
        return oom();
    rc = llmgw__json_add_str(j, "schema", schema);
    cJSON_free(schema);
    if (rc < 0 || llmgw__json_add_str(j, "name", llmgw__json_str(js, "name")) < 0 ||
        (desc != NULL && llmgw__json_add_str(j, "description", desc) < 0))
        return oom();
    return 0;
}

/* Members handled by the functions above, or harmless as they are. */
static bool mapped(const cJSON *it)
{
    static const char *const names[] = { "model", "messages", "max_tokens", "max_completion_tokens",
                                         "temperature", "top_p", "stop", "tools", "tool_choice",
                                         "response_format", "n", "stream", "stream_options", "top_k" };
    size_t i;

    for (i = 0; i < LLMGW_ARRAY_SIZE(names); i++)
        if (strcmp(it->string, names[i]) == 0)
            return true;
    /* parallel tool calls are Converse's behaviour: only "false" is refused */
    return strcmp(it->string, "parallel_tool_calls") == 0 && !cJSON_IsFalse(it);
}

static int build(conv *c, const cJSON *body, cJSON *root)
{
    const cJSON *it, *top_k = cJSON_GetObjectItemCaseSensitive(body, "top_k");
    cJSON *extra = NULL;
    int rc;

    cJSON_ArrayForEach(it, body)
        if (!mapped(it) && !cJSON_IsNull(it) && (rc = llmgw__bedrock_refuse(c, "\"%.64s\"", it->string)) < 0)
            return rc;
    if ((c->messages = llmgw__bedrock_attach(root, "messages", cJSON_CreateArray())) == NULL ||
        (c->system = llmgw__bedrock_attach(root, "system", cJSON_CreateArray())) == NULL)
        return oom();
    LLMGW_TRY(llmgw__bedrock_messages(c, cJSON_GetObjectItemCaseSensitive(body, "messages")));
    if (cJSON_GetArraySize(c->system) == 0)
        cJSON_DeleteItemFromObjectCaseSensitive(root, "system");
    LLMGW_TRY(inference_config(c, body, root));
    LLMGW_TRY(tool_config(c, body, root));
    LLMGW_TRY(output_config(c, body, root));
    if (top_k != NULL && !cJSON_IsNull(top_k)) {
        if (!cJSON_IsNumber(top_k))
            return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_BAD_REQUEST, "bedrock: top_k must be a number");
        LLMGW_TRY(add_number(root, &extra, "additionalModelRequestFields", "top_k", top_k->valuedouble));
    }
    return 0;
}

int llmgw__bedrock_body(llmgw_buf *out, const llmgw_request *req)
{
    cJSON *root = cJSON_CreateObject();
    conv c;
    int rc;

    if (root == NULL)
        return oom();
    memset(&c, 0, sizeof(c));
    c.drop = llmgw_request_drop_params(req) != 0;
    rc = build(&c, llmgw__request_body(req), root);
    if (rc == 0)
        rc = llmgw__json_print(out, root);
    cJSON_Delete(root);
    return rc;
}
