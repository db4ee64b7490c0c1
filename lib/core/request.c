/*
 * lib/core/request.c: building, validating and rendering the canonical request.
 */
#include "common.h"
#include "buf.h"
#include "clock.h"
#include "errors.h"
#include "json.h"
#include "request.h"

#include <math.h>
#include <stdlib.h>

#define MAX_TAGS 64
#define MAX_STOPS 16
#define MAX_TOOLS 512

#define BAD(...) llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_BAD_REQUEST, __VA_ARGS__)

/*
 * cJSON prints a number with 15 significant digits when that reads back
 * within a relative DBL_EPSILON, so an integer of 16 digits can change on
 * the way upstream (9007199254740991 is sent as 9.00719925474099e+15).
 * Integers up to 10^15 - 1 print exactly.
 */
#define MAX_EXACT_INT 999999999999999LL

static const char *const role_names[] = { "system", "user", "assistant", "tool", "developer" };

bool llmgw__has_ctl(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return true;
    return false;
}

static int check_name(const char *what, const char *s)
{
    if (s == NULL || *s == '\0')
        return BAD("%s is empty", what);
    if (strlen(s) > 256)
        return BAD("%s is longer than 256 bytes", what);
    if (llmgw__has_ctl(s))
        return BAD("%s contains a control character", what);
    return 0;
}

static bool valid_function_name(const char *s)
{
    size_t n = 0;

    for (; *s; s++, n++) {
        unsigned char c = (unsigned char)*s;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.'))
            return false;
    }
    return n >= 1 && n <= 128;
}

static int role_index(const char *role)
{
    size_t i;

    for (i = 0; role != NULL && i < LLMGW_ARRAY_SIZE(role_names); i++)
        if (strcmp(role, role_names[i]) == 0)
            return (int)i;
    return -1;
}

/*
 * Parse JSON text from the caller. A \u0000 escape is refused: cJSON turns it
 * into an embedded NUL that would silently cut the string (a model name
 * "gpt\u0000x" would become "gpt").
 */
static int by_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * No object may repeat a member name: cJSON reads the first one, the
 * upstream (which gets the body as written) usually the last, so a repeated
 * "n", "stream" or "llmgw", or a second "content", would be validated,
 * translated or kept back in one form and sent in another.
 */
static int check_duplicates(const cJSON *item)
{
    const cJSON *it;
    const char **names;
    size_t n = 0, i;
    int rc = 0;

    cJSON_ArrayForEach(it, item) {
        LLMGW_TRY(check_duplicates(it));     /* depth is bounded by llmgw__json_parse */
        n++;
    }
    if (!cJSON_IsObject(item) || n < 2)
        return 0;
    if ((names = llmgw__reallocarray(NULL, n, sizeof(*names))) == NULL)
        return llmgw__error_oom();
    i = 0;
    cJSON_ArrayForEach(it, item)
        names[i++] = it->string;
    qsort(names, n, sizeof(*names), by_name);
    for (i = 1; i < n && rc == 0; i++)
        if (strcmp(names[i - 1], names[i]) == 0)
            rc = BAD("the member \"%.64s\" appears twice in one object", names[i]);
    llmgw__free(names);
    return rc;
}

static cJSON *parse_text(const char *json, size_t len)
{
    cJSON *root;

    if (llmgw__json_has_nul_escape(json, len)) {
        BAD("JSON strings may not contain \\u0000 (a NUL character)");
        return NULL;
    }
    root = llmgw__json_parse(json, len, LLMGW_ERRCLASS_BAD_REQUEST);
    if (root != NULL && check_duplicates(root) < 0) {
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}

/* ---- validation ---- */

static int validate_parts(const cJSON *content, size_t mi)
{
    const cJSON *part;
    size_t pi = 0;

    cJSON_ArrayForEach(part, content) {
        const char *type = llmgw__json_str(part, "type");
        if (!cJSON_IsObject(part) || type == NULL)
            return BAD("messages[%zu].content[%zu]: a part needs a string \"type\"", mi, pi);
        if (strcmp(type, "text") == 0) {
            if (llmgw__json_str(part, "text") == NULL)
                return BAD("messages[%zu].content[%zu]: a text part needs \"text\"", mi, pi);
        } else if (strcmp(type, "image_url") == 0) {
            const cJSON *iu = cJSON_GetObjectItemCaseSensitive(part, "image_url");
            const char *url = cJSON_IsString(iu) ? iu->valuestring : llmgw__json_str(iu, "url");
            if (url == NULL || *url == '\0')
                return BAD("messages[%zu].content[%zu]: image_url needs a \"url\"", mi, pi);
        } else if (strcmp(type, "input_audio") != 0 && strcmp(type, "file") != 0 &&
                   strcmp(type, "refusal") != 0) {
            return BAD("messages[%zu].content[%zu]: unknown part type '%.32s'", mi, pi, type);
        }
        pi++;
    }
    return 0;
}

static int validate_tool_calls(const cJSON *calls, size_t mi)
{
    const cJSON *tc;
    size_t ti = 0;

    if (!cJSON_IsArray(calls))
        return BAD("messages[%zu].tool_calls must be an array", mi);
    cJSON_ArrayForEach(tc, calls) {
        const cJSON *fn = cJSON_GetObjectItemCaseSensitive(tc, "function");
        if (llmgw__json_str(tc, "id") == NULL)
            return BAD("messages[%zu].tool_calls[%zu]: missing \"id\"", mi, ti);
        if (llmgw__json_str(fn, "name") == NULL)
            return BAD("messages[%zu].tool_calls[%zu]: missing \"function.name\"", mi, ti);
        if (llmgw__json_str(fn, "arguments") == NULL)
            return BAD("messages[%zu].tool_calls[%zu]: \"function.arguments\" must be a string", mi, ti);
        ti++;
    }
    return 0;
}

static int validate_message(const cJSON *m, size_t mi)
{
    const char *role = llmgw__json_str(m, "role");
    const cJSON *content = cJSON_GetObjectItemCaseSensitive(m, "content");
    const cJSON *calls = cJSON_GetObjectItemCaseSensitive(m, "tool_calls");
    int r;

    if (!cJSON_IsObject(m))
        return BAD("messages[%zu] must be an object", mi);
    r = role_index(role);
    if (r < 0)
        return BAD("messages[%zu]: unknown role '%.32s'", mi, role ? role : "(none)");
    if (content == NULL || cJSON_IsNull(content)) {
        if (r != LLMGW_ROLE_ASSISTANT || calls == NULL)
            return BAD("messages[%zu]: missing \"content\"", mi);
    } else if (cJSON_IsArray(content)) {
        LLMGW_TRY(validate_parts(content, mi));
    } else if (!cJSON_IsString(content)) {
        return BAD("messages[%zu]: \"content\" must be a string or an array of parts", mi);
    }
    if (calls != NULL) {
        if (r != LLMGW_ROLE_ASSISTANT)
            return BAD("messages[%zu]: only assistant messages carry tool_calls", mi);
        LLMGW_TRY(validate_tool_calls(calls, mi));
    }
    if (r == LLMGW_ROLE_TOOL && llmgw__json_str(m, "tool_call_id") == NULL)
        return BAD("messages[%zu]: a tool message needs \"tool_call_id\"", mi);
    return 0;
}

static int validate_number(const cJSON *body, const char *key, double lo, double hi)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(body, key);

    if (it == NULL || cJSON_IsNull(it))
        return 0;
    if (!cJSON_IsNumber(it) || !isfinite(it->valuedouble) || it->valuedouble < lo ||
        it->valuedouble > hi)
        return BAD("\"%s\" must be a number in [%g, %g]", key, lo, hi);
    return 0;
}

static int validate_integer(const cJSON *body, const char *key, double lo, double hi)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(body, key);

    if (it == NULL || cJSON_IsNull(it))
        return 0;
    if (!cJSON_IsNumber(it) || !isfinite(it->valuedouble) || floor(it->valuedouble) != it->valuedouble ||
        it->valuedouble < lo || it->valuedouble > hi)
        return BAD("\"%s\" must be an integer in [%.0f, %.0f]", key, lo, hi);
    return 0;
}

static int validate_tools(const cJSON *tools)
{
    const cJSON *t;
    size_t i = 0;

    if (!cJSON_IsArray(tools))
        return BAD("\"tools\" must be an array");
    if (cJSON_GetArraySize(tools) > MAX_TOOLS)
        return BAD("more than %d tools", MAX_TOOLS);
    cJSON_ArrayForEach(t, tools) {
        const cJSON *fn = cJSON_GetObjectItemCaseSensitive(t, "function");
        const char *type = llmgw__json_str(t, "type");
        const char *name = llmgw__json_str(fn, "name");
        const cJSON *params = cJSON_GetObjectItemCaseSensitive(fn, "parameters");
        if (type == NULL || strcmp(type, "function") != 0)
            return BAD("tools[%zu]: only type \"function\" is supported", i);
        if (name == NULL || !valid_function_name(name))
            return BAD("tools[%zu]: function name must match [A-Za-z0-9_.-]{1,128}", i);
        if (params != NULL && !cJSON_IsObject(params))
            return BAD("tools[%zu]: \"parameters\" must be a JSON Schema object", i);
        i++;
    }
    return 0;
}

static int validate_tool_choice(const cJSON *tc)
{
    if (cJSON_IsString(tc)) {
        if (strcmp(tc->valuestring, "auto") && strcmp(tc->valuestring, "none") &&
            strcmp(tc->valuestring, "required"))
            return BAD("\"tool_choice\" must be auto, none, required or a function");
        return 0;
    }
    if (llmgw__json_str(cJSON_GetObjectItemCaseSensitive(tc, "function"), "name") == NULL)
        return BAD("\"tool_choice\" object needs function.name");
    return 0;
}

static int validate_response_format(const cJSON *rf)
{
    const char *type = llmgw__json_str(rf, "type");

    if (type == NULL)
        return BAD("\"response_format\" needs a \"type\"");
    if (strcmp(type, "json_schema") == 0) {
        const cJSON *js = cJSON_GetObjectItemCaseSensitive(rf, "json_schema");
        if (!cJSON_IsObject(js) || llmgw__json_str(js, "name") == NULL)
            return BAD("\"response_format.json_schema\" needs a \"name\"");
        if (!cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(js, "schema")))
            return BAD("\"response_format.json_schema.schema\" must be an object");
    } else if (strcmp(type, "json_object") != 0 && strcmp(type, "text") != 0) {
        return BAD("\"response_format.type\" must be text, json_object or json_schema");
    }
    return 0;
}

static int validate_stop(const cJSON *stop)
{
    const cJSON *s;

    if (stop == NULL || cJSON_IsNull(stop) || cJSON_IsString(stop))
        return 0;
    if (!cJSON_IsArray(stop) || cJSON_GetArraySize(stop) > MAX_STOPS)
        return BAD("\"stop\" must be a string or an array of at most %d strings", MAX_STOPS);
    cJSON_ArrayForEach(s, stop)
        if (!cJSON_IsString(s))
            return BAD("\"stop\" must hold strings");
    return 0;
}

int llmgw__request_validate(const cJSON *body)
{
    const cJSON *messages, *m, *it;
    size_t mi = 0;

    if (!cJSON_IsObject(body))
        return BAD("the request must be a JSON object");
    LLMGW_TRY(check_name("model", llmgw__json_str(body, "model")));
    messages = cJSON_GetObjectItemCaseSensitive(body, "messages");
    if (!cJSON_IsArray(messages))
        return BAD("\"messages\" must be an array");
    cJSON_ArrayForEach(m, messages) {
        LLMGW_TRY(validate_message(m, mi));
        mi++;
    }
    LLMGW_TRY(validate_integer(body, "max_tokens", 1, (double)LLMGW_MAX_TOKENS_VALUE - 1));
    LLMGW_TRY(validate_integer(body, "max_completion_tokens", 1, (double)LLMGW_MAX_TOKENS_VALUE - 1));
    LLMGW_TRY(validate_number(body, "temperature", 0, 2));
    LLMGW_TRY(validate_number(body, "top_p", 0, 1));
    LLMGW_TRY(validate_number(body, "presence_penalty", -2, 2));
    LLMGW_TRY(validate_number(body, "frequency_penalty", -2, 2));
    LLMGW_TRY(validate_integer(body, "seed", (double)-MAX_EXACT_INT, (double)MAX_EXACT_INT));
    LLMGW_TRY(validate_integer(body, "n", 1, 1));
    LLMGW_TRY(validate_stop(cJSON_GetObjectItemCaseSensitive(body, "stop")));
    if ((it = cJSON_GetObjectItemCaseSensitive(body, "tools")) != NULL)
        LLMGW_TRY(validate_tools(it));
    if ((it = cJSON_GetObjectItemCaseSensitive(body, "tool_choice")) != NULL)
        LLMGW_TRY(validate_tool_choice(it));
    if ((it = cJSON_GetObjectItemCaseSensitive(body, "response_format")) != NULL)
        LLMGW_TRY(validate_response_format(it));
    if ((it = cJSON_GetObjectItemCaseSensitive(body, "user")) != NULL && !cJSON_IsString(it))
        return BAD("\"user\" must be a string");
    return 0;
}

/* ---- lifecycle ---- */

int llmgw_request_new(llmgw_request **out, const char *model)
{
    llmgw_request *req;

    LLMGW_CHECK_ARG(out);
    *out = NULL;
    LLMGW_CHECK_ARG(model);
    LLMGW_TRY(check_name("model", model));
    req = llmgw__calloc(1, sizeof(*req));
    if (req == NULL)
        return llmgw__error_oom();
    req->body = cJSON_CreateObject();
    if (req->body == NULL || llmgw__json_add_str(req->body, "model", model) < 0 ||
        llmgw__json_add_item(req->body, "messages", cJSON_CreateArray()) < 0) {
        llmgw_request_free(req);
        return llmgw__error_oom();
    }
    *out = req;
    return 0;
}

void llmgw_request_free(llmgw_request *req)
{
    size_t i;

    if (req == NULL)
        return;
    cJSON_Delete(req->body);
    cJSON_Delete(req->metadata);
    llmgw__free(req->customer);
    llmgw__free(req->trace_id);
    llmgw__free(req->cache_namespace);
    for (i = 0; i < req->tag_count; i++)
        llmgw__free(req->tags[i]);
    llmgw__free(req->tags);
    llmgw__free(req);
}

static int set_str(char **slot, const char *what, const char *value)
{
    char *copy = NULL;

    if (value != NULL) {
        LLMGW_TRY(check_name(what, value));
        copy = llmgw__strdup(value);
        if (copy == NULL)
            return llmgw__error_oom();
    }
    llmgw__free(*slot);
    *slot = copy;
    return 0;
}

int llmgw_request_add_tag(llmgw_request *req, const char *tag)
{
    char **tags;
    char *copy;

    LLMGW_CHECK_ARG(req);
    LLMGW_CHECK_ARG(tag);
    LLMGW_TRY(check_name("tag", tag));
    if (req->tag_count >= MAX_TAGS)
        return BAD("more than %d tags", MAX_TAGS);
    copy = llmgw__strdup(tag);
    if (copy == NULL)
        return llmgw__error_oom();
    tags = llmgw__reallocarray(req->tags, req->tag_count + 1, sizeof(*tags));
    if (tags == NULL) {
        llmgw__free(copy);
        return llmgw__error_oom();
    }
    tags[req->tag_count++] = copy;
    req->tags = tags;
    return 0;
}

int llmgw_request_set_customer(llmgw_request *req, const char *customer)
{
    LLMGW_CHECK_ARG(req);
    return set_str(&req->customer, "customer", customer);
}

int llmgw_request_set_trace_id(llmgw_request *req, const char *trace_id)
{
    LLMGW_CHECK_ARG(req);
    return set_str(&req->trace_id, "trace_id", trace_id);
}

int llmgw_request_set_metadata(llmgw_request *req, const char *key, const char *value)
{
    LLMGW_CHECK_ARG(req);
    LLMGW_CHECK_ARG(key);
    LLMGW_TRY(check_name("metadata key", key));
    if (req->metadata == NULL && (req->metadata = cJSON_CreateObject()) == NULL)
        return llmgw__error_oom();
    if (value == NULL) {
        cJSON_DeleteItemFromObjectCaseSensitive(req->metadata, key);
        return 0;
    }
    if (llmgw__has_ctl(value))
        return BAD("metadata value contains a control character");
    return llmgw__json_set_item(req->metadata, key, cJSON_CreateString(value));
}

int llmgw_request_set_cache_control(llmgw_request *req, int flags, int64_t ttl_ms, int64_t max_age_ms,
                                    const char *namespace_)
{
    LLMGW_CHECK_ARG(req);
    if (flags & ~(LLMGW_CACHE_NO_CACHE | LLMGW_CACHE_NO_STORE))
        return BAD("unknown cache flags 0x%x", (unsigned int)flags);
    if (ttl_ms < 0 || ttl_ms > 86400000 || max_age_ms < 0)
        return BAD("cache ttl must be in [0, 24 h] and s-maxage >= 0");
    if (namespace_ != NULL && (strlen(namespace_) > 128 || llmgw__has_ctl(namespace_)))
        return BAD("cache namespace must be at most 128 bytes, no control characters");
    LLMGW_TRY(set_str(&req->cache_namespace, "cache namespace", namespace_ && *namespace_ ? namespace_ : NULL));
    req->cache_flags = flags;
    req->cache_ttl_ms = ttl_ms;
    req->cache_max_age_ms = max_age_ms;
    return 0;
}

/* LiteLLM's per-request cache object: {"no-cache", "no-store", "ttl", "s-maxage", "namespace"}. */
static int take_cache_controls(llmgw_request *req, const cJSON *c)
{
    const cJSON *it;
    int flags = 0;
    double ttl = 0, maxage = 0;

    if (c == NULL)
        return 0;
    if (!cJSON_IsObject(c))
        return BAD("\"cache\" must be an object");
    cJSON_ArrayForEach(it, c) {
        if (strcmp(it->string, "no-cache") == 0 || strcmp(it->string, "no-store") == 0) {
            if (!cJSON_IsBool(it))
                return BAD("\"cache.%s\" must be true or false", it->string);
            if (cJSON_IsTrue(it))
                flags |= it->string[3] == 'c' ? LLMGW_CACHE_NO_CACHE : LLMGW_CACHE_NO_STORE;
        } else if (strcmp(it->string, "ttl") == 0 || strcmp(it->string, "s-maxage") == 0) {
            if (!cJSON_IsNumber(it) || !(it->valuedouble >= 0) || it->valuedouble > 86400)
                return BAD("\"cache.%s\" must be seconds in [0, 86400]", it->string);
            *(strcmp(it->string, "ttl") == 0 ? &ttl : &maxage) = it->valuedouble;
        } else if (strcmp(it->string, "namespace") == 0) {
            if (!cJSON_IsString(it))
                return BAD("\"cache.namespace\" must be a string");
        } else {
            return BAD("unknown cache control '%.32s'", it->string);
        }
    }
    return llmgw_request_set_cache_control(req, flags, (int64_t)(ttl * 1000), (int64_t)(maxage * 1000),
                                           llmgw__json_str(c, "namespace"));
}

int llmgw_request_set_drop_params(llmgw_request *req, int drop)
{
    LLMGW_CHECK_ARG(req);
    req->drop_params = drop != 0;
    return 0;
}

int llmgw_request_drop_params(const llmgw_request *req)
{
    /* the request's own flag, or its gateway's (drop_params in the options or config) */
    return req != NULL && (req->drop_params || llmgw__thread_drop_params());
}

int llmgw_request_cancel(llmgw_request *req)
{
    LLMGW_CHECK_ARG(req);
    atomic_store(&req->cancelled, 1);
    return 0;
}

int llmgw_request_set_deadline_ms(llmgw_request *req, int64_t deadline_ms)
{
    LLMGW_CHECK_ARG(req);
    if (deadline_ms < 0)
        return BAD("deadline_ms must be >= 0");
    req->deadline_ms = deadline_ms;
    return 0;
}

/* ---- caller metadata in JSON: the "llmgw" member ---- */

/* True when obj[key] is absent, null, or of cJSON type `type`. */
static bool member_is(const cJSON *obj, const char *key, int type)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);

    return it == NULL || cJSON_IsNull(it) || (it->type & 0xFF) == type;
}

static const struct { const char *key; int type; const char *shape; } ext_members[] = {
    { "customer", cJSON_String, "a string" },
    { "trace_id", cJSON_String, "a string" },
    { "tags", cJSON_Array, "an array of strings" },
    { "metadata", cJSON_Object, "an object of strings" },
};

static int take_caller_metadata(llmgw_request *req, cJSON *body)
{
    cJSON *ext = cJSON_DetachItemFromObjectCaseSensitive(body, "llmgw");
    const cJSON *tags, *t, *md, *m;
    const char *s;
    size_t i;
    int rc = 0;

    if (ext == NULL)
        return 0;
    if (!cJSON_IsObject(ext)) {
        rc = BAD("\"llmgw\" must be an object");
        goto out;
    }
    for (i = 0; i < LLMGW_ARRAY_SIZE(ext_members); i++) {
        if (!member_is(ext, ext_members[i].key, ext_members[i].type)) {
            rc = BAD("\"llmgw.%s\" must be %s", ext_members[i].key, ext_members[i].shape);
            goto out;
        }
    }
    if ((s = llmgw__json_str(ext, "customer")) != NULL && (rc = llmgw_request_set_customer(req, s)) < 0)
        goto out;
    if ((rc = take_cache_controls(req, cJSON_GetObjectItemCaseSensitive(ext, "cache"))) < 0)
        goto out;
    if ((s = llmgw__json_str(ext, "trace_id")) != NULL && (rc = llmgw_request_set_trace_id(req, s)) < 0)
        goto out;
    tags = cJSON_GetObjectItemCaseSensitive(ext, "tags");
    cJSON_ArrayForEach(t, tags) {
        if (!cJSON_IsString(t)) {
            rc = BAD("\"llmgw.tags\" must hold strings");
            goto out;
        }
        if ((rc = llmgw_request_add_tag(req, t->valuestring)) < 0)
            goto out;
    }
    md = cJSON_GetObjectItemCaseSensitive(ext, "metadata");
    cJSON_ArrayForEach(m, md) {
        if (!cJSON_IsString(m)) {
            rc = BAD("\"llmgw.metadata\" values must be strings");
            goto out;
        }
        if ((rc = llmgw_request_set_metadata(req, m->string, m->valuestring)) < 0)
            goto out;
    }
out:
    cJSON_Delete(ext);
    return rc;
}

int llmgw_request_from_json(llmgw_request **out, const char *json, size_t len)
{
    llmgw_request *req;
    cJSON *body;
    int rc;

    LLMGW_CHECK_ARG(out);
    *out = NULL;
    LLMGW_CHECK_ARG(json);
    body = parse_text(json, len);
    if (body == NULL)
        return llmgw_error_last()->code;
    req = llmgw__calloc(1, sizeof(*req));
    if (req == NULL) {
        cJSON_Delete(body);
        return llmgw__error_oom();
    }
    req->body = body;
    if (cJSON_IsObject(body)) {
        cJSON *dp = cJSON_DetachItemFromObjectCaseSensitive(body, "drop_params");
        req->drop_params = cJSON_IsTrue(dp);
        cJSON_Delete(dp);
        cJSON_DeleteItemFromObjectCaseSensitive(body, "stream");
        cJSON_DeleteItemFromObjectCaseSensitive(body, "stream_options");
    }
    {
        cJSON *cache = cJSON_IsObject(body) ? cJSON_DetachItemFromObjectCaseSensitive(body, "cache") : NULL;
        rc = take_cache_controls(req, cache);
        cJSON_Delete(cache);
        if (rc < 0) {
            llmgw_request_free(req);
            return rc;
        }
    }
    rc = llmgw__request_validate(body);
    if (rc == 0)
        rc = take_caller_metadata(req, body);
    if (rc < 0) {
        llmgw_request_free(req);
        return rc;
    }
    *out = req;
    return 0;
}

int llmgw_request_to_json(llmgw_buf *out, const llmgw_request *req)
{
    LLMGW_CHECK_ARG(out);
    LLMGW_CHECK_ARG(req);
    return llmgw__json_print(out, req->body);
}

const llmgw_json *llmgw_request_json(const llmgw_request *req)
{
    return req ? llmgw__json_view(req->body) : NULL;
}

int llmgw_request_set_model(llmgw_request *req, const char *model)
{
    LLMGW_CHECK_ARG(req);
    LLMGW_CHECK_ARG(model);
    LLMGW_TRY(check_name("model", model));
    return llmgw__json_set_item(req->body, "model", cJSON_CreateString(model));
}

const char *llmgw_request_model(const llmgw_request *req)
{
    return req ? llmgw__json_str(req->body, "model") : NULL;
}

/* ---- messages ---- */

static cJSON *messages_of(llmgw_request *req)
{
    return cJSON_GetObjectItemCaseSensitive(req->body, "messages");
}

static cJSON *last_message(llmgw_request *req)
{
    cJSON *msgs = messages_of(req);

    return msgs && msgs->child ? msgs->child->prev : NULL;   /* cJSON keeps the tail in head->prev */
}

size_t llmgw_request_message_count(const llmgw_request *req)
{
    const cJSON *msgs = req ? cJSON_GetObjectItemCaseSensitive(req->body, "messages") : NULL;

    return msgs ? (size_t)cJSON_GetArraySize(msgs) : 0;
}

int llmgw_request_add_message(llmgw_request *req, int role, const char *text)
{
    cJSON *m;

    LLMGW_CHECK_ARG(req);
    if (role < 0 || role >= (int)LLMGW_ARRAY_SIZE(role_names))
        return BAD("unknown role %d", role);
    if (role == LLMGW_ROLE_TOOL)
        return BAD("use llmgw_request_add_tool_result() for tool messages");
    if (text == NULL && role != LLMGW_ROLE_ASSISTANT)
        return BAD("a %s message needs text", role_names[role]);
    m = cJSON_CreateObject();
    if (m == NULL)
        return llmgw__error_oom();
    if (llmgw__json_add_str(m, "role", role_names[role]) < 0 ||
        llmgw__json_add_item(m, "content", text ? cJSON_CreateString(text) : cJSON_CreateNull()) < 0) {
        cJSON_Delete(m);
        return llmgw__error_oom();
    }
    return llmgw__json_append(messages_of(req), m);
}

/* Make the last message's content an array of parts and return it. */
static cJSON *content_parts(llmgw_request *req)
{
    cJSON *m = last_message(req), *content, *arr, *part;

    if (m == NULL) {
        BAD("add a message before adding parts");
        return NULL;
    }
    content = cJSON_GetObjectItemCaseSensitive(m, "content");
    if (cJSON_IsArray(content))
        return content;
    arr = cJSON_CreateArray();
    if (arr == NULL) {
        llmgw__error_oom();
        return NULL;
    }
    if (cJSON_IsString(content) && content->valuestring[0] != '\0') {
        part = cJSON_CreateObject();
        if (part == NULL || llmgw__json_add_str(part, "type", "text") < 0 ||
            llmgw__json_add_str(part, "text", content->valuestring) < 0 ||
            llmgw__json_append(arr, part) < 0) {
            cJSON_Delete(part);
            cJSON_Delete(arr);
            llmgw__error_oom();
            return NULL;
        }
    }
    if (llmgw__json_set_item(m, "content", arr) < 0)
        return NULL;
    return arr;
}

int llmgw_request_add_text_part(llmgw_request *req, const char *text)
{
    cJSON *parts, *part;

    LLMGW_CHECK_ARG(req);
    LLMGW_CHECK_ARG(text);
    if ((parts = content_parts(req)) == NULL)
        return llmgw_error_last()->code;
    part = cJSON_CreateObject();
    if (part == NULL || llmgw__json_add_str(part, "type", "text") < 0 ||
        llmgw__json_add_str(part, "text", text) < 0) {
        cJSON_Delete(part);
        return llmgw__error_oom();
    }
    return llmgw__json_append(parts, part);
}

int llmgw_request_add_image_part(llmgw_request *req, const char *url, const char *detail)
{
    cJSON *parts, *part, *iu;

    LLMGW_CHECK_ARG(req);
    LLMGW_CHECK_ARG(url);
    if (strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0 &&
        strncmp(url, "data:", 5) != 0)
        return BAD("an image URL must be https://, http:// or data:");
    if (llmgw__has_ctl(url))
        return BAD("image URL contains a control character");
    if (detail != NULL && strcmp(detail, "auto") && strcmp(detail, "low") && strcmp(detail, "high"))
        return BAD("image detail must be auto, low or high");
    if ((parts = content_parts(req)) == NULL)
        return llmgw_error_last()->code;
    part = cJSON_CreateObject();
    iu = cJSON_CreateObject();
    if (part == NULL || iu == NULL || llmgw__json_add_str(iu, "url", url) < 0 ||
        (detail && llmgw__json_add_str(iu, "detail", detail) < 0) ||
        llmgw__json_add_str(part, "type", "image_url") < 0) {
        cJSON_Delete(part);
        cJSON_Delete(iu);
        return llmgw__error_oom();
    }
    if (llmgw__json_add_item(part, "image_url", iu) < 0) {
        cJSON_Delete(part);
        return llmgw__error_oom();
    }
    return llmgw__json_append(parts, part);
}

int llmgw_request_add_tool_call(llmgw_request *req, const char *id, const char *name,
                                const char *arguments_json)
{
    cJSON *m, *calls, *tc, *fn;
    const char *role;

    LLMGW_CHECK_ARG(req);
    LLMGW_CHECK_ARG(id);
    LLMGW_CHECK_ARG(name);
    m = last_message(req);
    role = m ? llmgw__json_str(m, "role") : NULL;
    if (role == NULL || strcmp(role, "assistant") != 0)
        return BAD("tool calls belong to an assistant message: add one first");
    LLMGW_TRY(check_name("tool call id", id));
    if (!valid_function_name(name))
        return BAD("function name must match [A-Za-z0-9_.-]{1,128}");
    calls = cJSON_GetObjectItemCaseSensitive(m, "tool_calls");
    if (calls == NULL) {
        if (llmgw__json_add_item(m, "tool_calls", cJSON_CreateArray()) < 0)
            return llmgw_error_last()->code;
        calls = cJSON_GetObjectItemCaseSensitive(m, "tool_calls");
    }
    tc = cJSON_CreateObject();
    fn = cJSON_CreateObject();
    if (tc == NULL || fn == NULL || llmgw__json_add_str(tc, "id", id) < 0 ||
        llmgw__json_add_str(tc, "type", "function") < 0 ||
        llmgw__json_add_str(fn, "name", name) < 0 ||
        llmgw__json_add_str(fn, "arguments", arguments_json ? arguments_json : "{}") < 0) {
        cJSON_Delete(tc);
        cJSON_Delete(fn);
        return llmgw__error_oom();
    }
    if (llmgw__json_add_item(tc, "function", fn) < 0) {
        cJSON_Delete(tc);
        return llmgw__error_oom();
    }
    return llmgw__json_append(calls, tc);
}

int llmgw_request_add_tool_result(llmgw_request *req, const char *tool_call_id, const char *content)
{
    cJSON *m;

    LLMGW_CHECK_ARG(req);
    LLMGW_CHECK_ARG(tool_call_id);
    LLMGW_CHECK_ARG(content);
    LLMGW_TRY(check_name("tool_call_id", tool_call_id));
    m = cJSON_CreateObject();
    if (m == NULL || llmgw__json_add_str(m, "role", "tool") < 0 ||
        llmgw__json_add_str(m, "tool_call_id", tool_call_id) < 0 ||
        llmgw__json_add_str(m, "content", content) < 0) {
        cJSON_Delete(m);
        return llmgw__error_oom();
    }
    return llmgw__json_append(messages_of(req), m);
}

/* ---- parameters ---- */

int llmgw_request_set_max_tokens(llmgw_request *req, int64_t max_tokens)
{
    LLMGW_CHECK_ARG(req);
    if (max_tokens <= 0 || (uint64_t)max_tokens >= LLMGW_MAX_TOKENS_VALUE)
        return BAD("max_tokens must be in [1, 2^40)");
    cJSON_DeleteItemFromObjectCaseSensitive(req->body, "max_completion_tokens");
    return llmgw__json_set_item(req->body, "max_tokens", cJSON_CreateNumber((double)max_tokens));
}

int llmgw_request_set_temperature(llmgw_request *req, double temperature)
{
    LLMGW_CHECK_ARG(req);
    if (!isfinite(temperature) || temperature < 0 || temperature > 2)
        return BAD("temperature must be in [0, 2]");
    return llmgw__json_set_item(req->body, "temperature", cJSON_CreateNumber(temperature));
}

int llmgw_request_set_top_p(llmgw_request *req, double top_p)
{
    LLMGW_CHECK_ARG(req);
    if (!isfinite(top_p) || top_p < 0 || top_p > 1)
        return BAD("top_p must be in [0, 1]");
    return llmgw__json_set_item(req->body, "top_p", cJSON_CreateNumber(top_p));
}

int llmgw_request_add_stop(llmgw_request *req, const char *stop)
{
    cJSON *arr, *prev;

    LLMGW_CHECK_ARG(req);
    LLMGW_CHECK_ARG(stop);
    if (*stop == '\0')
        return BAD("a stop sequence may not be empty");
    prev = cJSON_GetObjectItemCaseSensitive(req->body, "stop");
    if (cJSON_IsArray(prev)) {
        if (cJSON_GetArraySize(prev) >= MAX_STOPS)
            return BAD("more than %d stop sequences", MAX_STOPS);
        return llmgw__json_append(prev, cJSON_CreateString(stop));
    }
    arr = cJSON_CreateArray();
    if (arr == NULL)
        return llmgw__error_oom();
    if (cJSON_IsString(prev) && llmgw__json_append(arr, cJSON_CreateString(prev->valuestring)) < 0) {
        cJSON_Delete(arr);
        return llmgw__error_oom();
    }
    if (llmgw__json_append(arr, cJSON_CreateString(stop)) < 0) {
        cJSON_Delete(arr);
        return llmgw__error_oom();
    }
    return llmgw__json_set_item(req->body, "stop", arr);
}

int llmgw_request_set_seed(llmgw_request *req, int64_t seed)
{
    LLMGW_CHECK_ARG(req);
    if (seed > MAX_EXACT_INT || seed < -MAX_EXACT_INT)
        return BAD("seed must be in [-(10^15 - 1), 10^15 - 1]");
    return llmgw__json_set_item(req->body, "seed", cJSON_CreateNumber((double)seed));
}

int llmgw_request_add_tool(llmgw_request *req, const char *name, const char *description,
                           const char *parameters_json)
{
    cJSON *tools, *tool, *fn, *params;

    LLMGW_CHECK_ARG(req);
    LLMGW_CHECK_ARG(name);
    if (!valid_function_name(name))
        return BAD("function name must match [A-Za-z0-9_.-]{1,128}");
    if (parameters_json != NULL) {
        params = parse_text(parameters_json, strlen(parameters_json));
        if (params == NULL)
            return llmgw_error_last()->code;
        if (!cJSON_IsObject(params)) {
            cJSON_Delete(params);
            return BAD("tool parameters must be a JSON Schema object");
        }
    } else {
        params = cJSON_CreateObject();
        if (params == NULL)
            return llmgw__error_oom();
    }
    tool = cJSON_CreateObject();
    fn = cJSON_CreateObject();
    if (tool == NULL || fn == NULL || llmgw__json_add_str(tool, "type", "function") < 0 ||
        llmgw__json_add_str(fn, "name", name) < 0 ||
        (description && llmgw__json_add_str(fn, "description", description) < 0)) {
        cJSON_Delete(tool);
        cJSON_Delete(fn);
        cJSON_Delete(params);
        return llmgw__error_oom();
    }
    if (llmgw__json_add_item(fn, "parameters", params) < 0 ||
        llmgw__json_add_item(tool, "function", fn) < 0) {
        cJSON_Delete(tool);
        return llmgw__error_oom();
    }
    tools = cJSON_GetObjectItemCaseSensitive(req->body, "tools");
    if (tools == NULL) {
        if (llmgw__json_add_item(req->body, "tools", cJSON_CreateArray()) < 0) {
            cJSON_Delete(tool);
            return llmgw_error_last()->code;
        }
        tools = cJSON_GetObjectItemCaseSensitive(req->body, "tools");
    } else if (cJSON_GetArraySize(tools) >= MAX_TOOLS) {
        cJSON_Delete(tool);
        return BAD("more than %d tools", MAX_TOOLS);
    }
    return llmgw__json_append(tools, tool);
}

int llmgw_request_set_tool_choice(llmgw_request *req, const char *mode)
{
    LLMGW_CHECK_ARG(req);
    LLMGW_CHECK_ARG(mode);
    if (strcmp(mode, "auto") && strcmp(mode, "none") && strcmp(mode, "required"))
        return BAD("tool_choice must be auto, none or required");
    return llmgw__json_set_item(req->body, "tool_choice", cJSON_CreateString(mode));
}

int llmgw_request_set_tool_choice_function(llmgw_request *req, const char *name)
{
    cJSON *tc, *fn;

    LLMGW_CHECK_ARG(req);
    LLMGW_CHECK_ARG(name);
    if (!valid_function_name(name))
        return BAD("function name must match [A-Za-z0-9_.-]{1,128}");
    tc = cJSON_CreateObject();
    fn = cJSON_CreateObject();
    if (tc == NULL || fn == NULL || llmgw__json_add_str(tc, "type", "function") < 0 ||
        llmgw__json_add_str(fn, "name", name) < 0) {
        cJSON_Delete(tc);
        cJSON_Delete(fn);
        return llmgw__error_oom();
    }
    if (llmgw__json_add_item(tc, "function", fn) < 0) {
        cJSON_Delete(tc);
        return llmgw__error_oom();
    }
    return llmgw__json_set_item(req->body, "tool_choice", tc);
}

int llmgw_request_set_response_format(llmgw_request *req, int format, const char *name,
                                      const char *schema_json, int strict)
{
    cJSON *rf, *js, *schema;

    LLMGW_CHECK_ARG(req);
    if (format == LLMGW_FORMAT_TEXT) {
        cJSON_DeleteItemFromObjectCaseSensitive(req->body, "response_format");
        return 0;
    }
    rf = cJSON_CreateObject();
    if (rf == NULL)
        return llmgw__error_oom();
    if (format == LLMGW_FORMAT_JSON_OBJECT) {
        if (llmgw__json_add_str(rf, "type", "json_object") < 0) {
            cJSON_Delete(rf);
            return llmgw__error_oom();
        }
        return llmgw__json_set_item(req->body, "response_format", rf);
    }
    if (format != LLMGW_FORMAT_JSON_SCHEMA) {
        cJSON_Delete(rf);
        return BAD("unknown response format %d", format);
    }
    if (name == NULL || !valid_function_name(name) || schema_json == NULL) {
        cJSON_Delete(rf);
        return BAD("a JSON schema format needs a name ([A-Za-z0-9_.-]) and a schema");
    }
    schema = parse_text(schema_json, strlen(schema_json));
    if (schema == NULL || !cJSON_IsObject(schema)) {
        cJSON_Delete(schema);
        cJSON_Delete(rf);
        return BAD("the response schema must be a JSON object");
    }
    js = cJSON_CreateObject();
    if (js == NULL || llmgw__json_add_str(rf, "type", "json_schema") < 0 ||
        llmgw__json_add_str(js, "name", name) < 0 || llmgw__json_add_bool(js, "strict", strict != 0) < 0) {
        cJSON_Delete(js);
        cJSON_Delete(schema);
        cJSON_Delete(rf);
        return llmgw__error_oom();
    }
    if (llmgw__json_add_item(js, "schema", schema) < 0) {
        cJSON_Delete(js);
        cJSON_Delete(rf);
        return llmgw__error_oom();
    }
    if (llmgw__json_add_item(rf, "json_schema", js) < 0) {
        cJSON_Delete(rf);
        return llmgw__error_oom();
    }
    return llmgw__json_set_item(req->body, "response_format", rf);
}

int llmgw_request_set_user(llmgw_request *req, const char *user)
{
    LLMGW_CHECK_ARG(req);
    if (user == NULL) {
        cJSON_DeleteItemFromObjectCaseSensitive(req->body, "user");
        return 0;
    }
    LLMGW_TRY(check_name("user", user));
    return llmgw__json_set_item(req->body, "user", cJSON_CreateString(user));
}

static const char *const reserved_params[] = { "model", "messages", "stream", "stream_options", "llmgw",
                                               "drop_params" };

int llmgw_request_set_param_json(llmgw_request *req, const char *name, const char *json_value)
{
    cJSON *value, *saved;
    size_t i;
    int rc;

    LLMGW_CHECK_ARG(req);
    LLMGW_CHECK_ARG(name);
    LLMGW_TRY(check_name("parameter name", name));
    for (i = 0; i < LLMGW_ARRAY_SIZE(reserved_params); i++)
        if (strcmp(name, reserved_params[i]) == 0)
            return BAD("'%s' cannot be set as a parameter", name);
    if (json_value == NULL) {
        cJSON_DeleteItemFromObjectCaseSensitive(req->body, name);
        return 0;
    }
    value = parse_text(json_value, strlen(json_value));
    if (value == NULL)
        return llmgw_error_last()->code;
    /* validate the whole request with the new value; restore the old one on failure */
    saved = cJSON_DetachItemFromObjectCaseSensitive(req->body, name);
    if (llmgw__json_add_item(req->body, name, value) < 0) {
        if (saved)
            cJSON_AddItemToObject(req->body, name, saved);
        return llmgw_error_last()->code;
    }
    rc = llmgw__request_validate(req->body);
    if (rc < 0) {
        cJSON_DeleteItemFromObjectCaseSensitive(req->body, name);
        if (saved)
            cJSON_AddItemToObject(req->body, name, saved);
        return rc;
    }
    cJSON_Delete(saved);
    return 0;
}

int64_t llmgw__request_max_tokens(const llmgw_request *req)
{
    int64_t v = 0;

    if (llmgw__json_int64(cJSON_GetObjectItemCaseSensitive(req->body, "max_completion_tokens"), &v) == 0 ||
        llmgw__json_int64(cJSON_GetObjectItemCaseSensitive(req->body, "max_tokens"), &v) == 0)
        return v;
    return 0;
}

bool llmgw__request_has_tools(const llmgw_request *req)
{
    return cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(req->body, "tools")) > 0;
}
