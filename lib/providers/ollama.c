/*
 * lib/providers/ollama.c: Ollama's native chat API (docs/providers.md §7):
 * base URL and request. Answers, NDJSON streams and errors: ollama_reply.c.
 *
 * POST {api_base}/api/chat. api_base: the deployment's, else OLLAMA_HOST read
 * like Ollama's client does (llmgw__ollama_base_from_host), else
 * http://localhost:11434. The vtable names no default base or base variable
 * because the core would take OLLAMA_HOST verbatim ("0.0.0.0:11434" has no
 * scheme); init resolves it instead. No key is needed; a configured one is
 * sent as Authorization: Bearer (servers behind a proxy, Ollama's cloud).
 *
 * Mapping from the canonical (OpenAI-shaped) request:
 *   messages        roles kept, developer -> system; content parts: text is
 *                   concatenated, data: URL images (base64) go to images[];
 *                   assistant tool_calls -> [{id, function:{name, arguments:
 *                   <object>}}] (the JSON string parsed); reasoning_content ->
 *                   thinking; tool results -> {role:"tool", content, tool_name}
 *                   (the name of the call tool_call_id answers)
 *   options         temperature, top_p, top_k, seed, presence_penalty,
 *                   frequency_penalty; max_tokens / max_completion_tokens ->
 *                   num_predict; stop -> stop (always an array)
 *   format          response_format json_object -> "json", json_schema -> the schema
 *   tools           [{type:"function", function:{name, description, parameters}}]
 *   tool_choice     auto: nothing; none: tools are not sent
 *   stream          always explicit (Ollama streams unless told otherwise)
 * Refused with LLMGW_EUNSUPPORTED (dropped under drop_params): images by
 * http(s) URL, other part types, tool_choice required or naming a function,
 * function.strict, parallel_tool_calls false, message names, and every other
 * member (user, logprobs, logit_bias, reasoning_effort, ...).
 */
#include "../core/common.h"
#include "../core/buf.h"
#include "../core/errors.h"
#include "../core/json.h"
#include "../core/request.h"
#include "../transport/http.h"
#include "ollama.h"
#include "translate.h"

#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#define P "ollama"
#define CFG(...) llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG, __VA_ARGS__)

typedef struct ollama_state {
    const llmgw_provider_config *cfg;
    const char                  *base;
    char                         resolved[1024];
} ollama_state;

typedef struct ctx {
    const llmgw_request *req;
    const cJSON         *messages;
    cJSON               *out, *options;
    bool                 no_tools;
} ctx;

static bool is(const char *s, const char *v)
{
    return s != NULL && strcmp(s, v) == 0;
}

static int split_host(char *host, size_t host_size, const char **port, const char *hp, size_t n)
{
    const char *colon = memchr(hp, ':', n), *rb;

    *port = NULL;
    if (n > 0 && hp[0] == '[') {            /* [v6]:port */
        if ((rb = memchr(hp, ']', n)) == NULL || (rb + 1 < hp + n && rb[1] != ':'))
            return CFG("ollama: OLLAMA_HOST has a bad IPv6 address");
        *port = rb + 1 < hp + n ? rb + 2 : NULL;
        n = (size_t)(rb + 1 - hp);
    } else if (colon != NULL && memchr(colon + 1, ':', n - (size_t)(colon + 1 - hp)) != NULL) {
        snprintf(host, host_size, "[%.*s]", (int)n, hp);   /* a bare IPv6 address */
        return 0;
    } else if (colon != NULL) {
        *port = colon + 1;
        n = (size_t)(colon - hp);
    }
    if (n + 1 > host_size)
        return CFG("ollama: OLLAMA_HOST is too long");
    memcpy(host, hp, n);
    host[n] = '\0';
    return 0;
}

int llmgw__ollama_base_from_host(char *out, size_t out_size, const char *value)
{
    char v[512], host[300];
    const char *s = value, *e = value + strlen(value), *hp, *sep, *path, *port, *scheme = "http";
    const char *default_port = "11434";
    size_t n, hn, pn, i;
    unsigned long portnum = 0;
    bool insecure;

    while (s < e && (*s == ' ' || *s == '\t'))
        s++;
    while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
        e--;
    while (s < e && (*s == '"' || *s == '\''))
        s++;
    while (e > s && (e[-1] == '"' || e[-1] == '\''))
        e--;
    while (s < e && *s == ' ')
        s++;
    while (e > s && e[-1] == ' ')
        e--;
    if ((size_t)(e - s) >= sizeof(v))
        return CFG("ollama: OLLAMA_HOST is too long");
    memcpy(v, s, (size_t)(e - s));
    v[e - s] = '\0';
    hp = v;
    if ((sep = strstr(v, "://")) != NULL) {
        if ((size_t)(sep - v) == 4 && strncasecmp(v, "http", 4) == 0) {
            default_port = "80";
        } else if ((size_t)(sep - v) == 5 && strncasecmp(v, "https", 5) == 0) {
            scheme = "https";
            default_port = "443";
        } else {
            return CFG("ollama: OLLAMA_HOST must use http:// or https://");
        }
        hp = sep + 3;
    }
    path = hp + strcspn(hp, "/");
    for (pn = strlen(path); pn > 0 && path[pn - 1] == '/'; pn--)
        ;
    hn = (size_t)(path - hp);
    LLMGW_TRY(split_host(host, sizeof(host), &port, hp, hn));
    if (host[0] == '\0' || strcmp(host, "0.0.0.0") == 0)
        snprintf(host, sizeof(host), "127.0.0.1");
    else if (strcmp(host, "[::]") == 0)
        snprintf(host, sizeof(host), "[::1]");
    if (port == NULL || port == hp + hn)
        port = default_port;
    n = port == default_port ? strlen(port) : (size_t)(hp + hn - port);
    for (i = 0; i < n && n <= 5 && port[i] >= '0' && port[i] <= '9'; i++)
        portnum = portnum * 10 + (unsigned long)(port[i] - '0');
    if (n == 0 || i < n || portnum < 1 || portnum > 65535)
        return CFG("ollama: OLLAMA_HOST has a bad port");
    if (snprintf(out, out_size, "%s://%s:%.*s%.*s", scheme, host, (int)n, port, (int)pn, path) >= (int)out_size)
        return CFG("ollama: OLLAMA_HOST is too long");
    if (llmgw__url_check(out, &insecure) < 0) {
        char why[256];
        bool hide = strchr(v, '@') != NULL || llmgw__has_ctl(v);     /* credentials, control characters */
        snprintf(why, sizeof(why), "%s", llmgw_error_last()->message);
        return CFG("ollama: OLLAMA_HOST=%s means %s: %s (set OLLAMA_HOST=https://... or the deployment's "
                   "api_base)", hide ? "(hidden)" : v, hide ? "(hidden)" : out, why);
    }
    return 0;
}

static int ollama_init(void *state, const llmgw_provider_config *cfg)
{
    ollama_state *st = state;
    const char *env = getenv("OLLAMA_HOST");

    st->cfg = cfg;
    if (cfg->api_base != NULL)
        st->base = cfg->api_base;               /* checked by the core */
    else if (env != NULL && *env != '\0') {
        LLMGW_TRY(llmgw__ollama_base_from_host(st->resolved, sizeof(st->resolved), env));
        st->base = st->resolved;
    } else
        st->base = LLMGW__OLLAMA_DEFAULT_BASE;
    return 0;
}

static int add_ref(cJSON *obj, const char *key, const cJSON *item)
{
    return llmgw__json_add_ref(obj, key, item);
}

/* data:[<type>];base64,<data> -> images[] */
static int add_image(const ctx *c, cJSON *images, const cJSON *part, size_t mi, size_t pi)
{
    const cJSON *iu = cJSON_GetObjectItemCaseSensitive(part, "image_url");
    const char *url = cJSON_IsString(iu) ? iu->valuestring : llmgw__json_str(iu, "url"), *comma;

    if (url == NULL || strncmp(url, "data:", 5) != 0)
        return llmgw__translate_refuse(c->req, P, "messages[%zu].content[%zu]: an image by URL (only base64 "
                                       "data: URLs)", mi, pi);
    comma = strchr(url, ',');
    if (comma == NULL || comma - url < 12 || strncmp(comma - 7, ";base64", 7) != 0 || comma[1] == '\0')
        return llmgw__translate_refuse(c->req, P, "messages[%zu].content[%zu]: a data: URL that is not base64",
                                       mi, pi);
    return llmgw__json_append(images, cJSON_CreateString(comma + 1));
}

static int map_content(const ctx *c, cJSON *m, const cJSON *content, size_t mi)
{
    const cJSON *part;
    cJSON *images;
    llmgw_buf text = LLMGW_BUF_INIT;
    size_t pi = 0;
    int rc = 0;

    if (!cJSON_IsArray(content))
        return llmgw__json_add_str(m, "content", cJSON_IsString(content) ? content->valuestring : "");
    if ((images = cJSON_CreateArray()) == NULL)
        return llmgw__error_oom();
    cJSON_ArrayForEach(part, content) {
        const char *type = llmgw__json_str(part, "type");
        if (is(type, "text"))
            rc = llmgw__buf_puts(&text, llmgw__json_str(part, "text"));
        else if (is(type, "image_url"))
            rc = add_image(c, images, part, mi, pi);
        else
            rc = llmgw__translate_refuse(c->req, P, "messages[%zu].content[%zu] of type '%.32s'", mi, pi,
                                         type ? type : "?");
        if (rc < 0)
            break;
        pi++;
    }
    if (rc == 0)
        rc = llmgw__json_add_str(m, "content", llmgw__buf_cstr(&text));
    llmgw_buf_dispose(&text);
    if (rc == 0 && cJSON_GetArraySize(images) > 0)
        return llmgw__json_add_item(m, "images", images);
    cJSON_Delete(images);
    return rc;
}

static int map_tool_calls(cJSON *m, const cJSON *calls, size_t mi)
{
    const cJSON *tc;
    cJSON *arr = cJSON_CreateArray();
    size_t ti = 0;

    if (llmgw__json_add_item(m, "tool_calls", arr) < 0)
        return llmgw__error_oom();
    cJSON_ArrayForEach(tc, calls) {
        const cJSON *fn = cJSON_GetObjectItemCaseSensitive(tc, "function");
        const char *args = llmgw__json_str(fn, "arguments");
        cJSON *o, *f, *obj;
        obj = (args == NULL || *args == '\0') ? cJSON_CreateObject()
                                                : llmgw__json_parse(args, strlen(args), LLMGW_ERRCLASS_BAD_REQUEST);
        if (obj == NULL && (args == NULL || *args == '\0' || llmgw__json_failure(0) == LLMGW_ENOMEM))
            return llmgw__error_oom();
        if (!cJSON_IsObject(obj)) {
            cJSON_Delete(obj);
            return llmgw__translate_bad(P, "messages[%zu].tool_calls[%zu].function.arguments is not a JSON "
                                        "object", mi, ti);
        }
        o = cJSON_CreateObject();
        f = cJSON_CreateObject();
        if (o == NULL || f == NULL || llmgw__json_add_str(o, "id", llmgw__json_str(tc, "id")) < 0 ||
            llmgw__json_add_str(f, "name", llmgw__json_str(fn, "name")) < 0) {
            cJSON_Delete(o);
            cJSON_Delete(f);
            cJSON_Delete(obj);
            return llmgw__error_oom();
        }
        if (llmgw__json_add_item(f, "arguments", obj) < 0) {
            cJSON_Delete(o);
            cJSON_Delete(f);
            return llmgw__error_oom();
        }
        LLMGW_TRY(llmgw__translate_add_function(arr, o, f));
        ti++;
    }
    return 0;
}

/* The function name of the assistant tool call `id` answers, from the messages before mi. */
static const char *tool_name(const ctx *c, const char *id, size_t mi)
{
    const cJSON *m, *tc;
    const char *name = NULL;
    size_t i = 0;

    cJSON_ArrayForEach(m, c->messages) {
        if (i++ >= mi)
            break;
        cJSON_ArrayForEach(tc, cJSON_GetObjectItemCaseSensitive(m, "tool_calls"))
            if (is(llmgw__json_str(tc, "id"), id))
                name = llmgw__json_str(cJSON_GetObjectItemCaseSensitive(tc, "function"), "name");
    }
    return name;
}

static const char *const message_members[] = { "role", "content", "tool_calls", "tool_call_id",
                                                 "reasoning_content", "refusal" };

static int map_message(const ctx *c, cJSON *arr, const cJSON *msg, size_t mi)
{
    const char *role = llmgw__json_str(msg, "role"), *s;
    const cJSON *calls = cJSON_GetObjectItemCaseSensitive(msg, "tool_calls"), *it;
    cJSON *m;
    size_t i;

    cJSON_ArrayForEach(it, msg) {
        for (i = 0; i < LLMGW_ARRAY_SIZE(message_members) && strcmp(it->string, message_members[i]); i++)
            ;
        if (i == LLMGW_ARRAY_SIZE(message_members) && !cJSON_IsNull(it))
            LLMGW_TRY(llmgw__translate_refuse(c->req, P, "messages[%zu].%.64s", mi, it->string));
    }
    if ((m = cJSON_CreateObject()) == NULL || llmgw__json_append(arr, m) < 0)
        return llmgw__error_oom();
    LLMGW_TRY(llmgw__json_add_str(m, "role", is(role, "developer") ? "system" : role));
    LLMGW_TRY(map_content(c, m, cJSON_GetObjectItemCaseSensitive(msg, "content"), mi));
    if (is(role, "assistant") && (s = llmgw__json_str(msg, "reasoning_content")) != NULL && *s)
        LLMGW_TRY(llmgw__json_add_str(m, "thinking", s));
    if (is(role, "assistant") && cJSON_GetArraySize(calls) > 0)
        LLMGW_TRY(map_tool_calls(m, calls, mi));
    if (is(role, "tool") && (s = tool_name(c, llmgw__json_str(msg, "tool_call_id"), mi)) != NULL)
        LLMGW_TRY(llmgw__json_add_str(m, "tool_name", s));
    return 0;
}

static int map_messages(const ctx *c, const cJSON *v)
{
    const cJSON *msg;
    cJSON *arr = cJSON_CreateArray();
    size_t mi = 0;

    if (llmgw__json_add_item(c->out, "messages", arr) < 0)
        return llmgw__error_oom();
    cJSON_ArrayForEach(msg, v)
        LLMGW_TRY(map_message(c, arr, msg, mi++));
    return 0;
}

static int map_tools(const ctx *c, const cJSON *v)
{
    const cJSON *t;
    cJSON *arr;

    if (c->no_tools)
        return 0;                               /* tool_choice none */
    if ((arr = cJSON_CreateArray()) == NULL || llmgw__json_add_item(c->out, "tools", arr) < 0)
        return llmgw__error_oom();
    cJSON_ArrayForEach(t, v) {
        const cJSON *fn = cJSON_GetObjectItemCaseSensitive(t, "function");
        const cJSON *params = cJSON_GetObjectItemCaseSensitive(fn, "parameters");
        const char *desc = llmgw__json_str(fn, "description");
        cJSON *o, *f;
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(fn, "strict")))
            LLMGW_TRY(llmgw__translate_refuse(c->req, P, "function.strict"));
        o = cJSON_CreateObject();
        f = cJSON_CreateObject();
        if (o == NULL || f == NULL || llmgw__json_add_str(o, "type", "function") < 0 ||
            llmgw__json_add_str(f, "name", llmgw__json_str(fn, "name")) < 0 ||
            (desc != NULL && llmgw__json_add_str(f, "description", desc) < 0) ||
            (cJSON_IsObject(params) && add_ref(f, "parameters", params) < 0)) {
            cJSON_Delete(o);
            cJSON_Delete(f);
            return llmgw__error_oom();
        }
        LLMGW_TRY(llmgw__translate_add_function(arr, o, f));
    }
    return 0;
}

static int map_member(ctx *c, const cJSON *v)
{
    const char *k = v->string, *type;
    cJSON *stops;

    if (cJSON_IsNull(v) || is(k, "model") || is(k, "max_tokens") || is(k, "max_completion_tokens") ||
        is(k, "n") || (is(k, "parallel_tool_calls") && cJSON_IsTrue(v)))
        return 0;                   /* model and num_predict are set by the caller; n is 1 */
    if (is(k, "messages"))
        return map_messages(c, v);
    if (is(k, "temperature") || is(k, "top_p") || is(k, "seed") || is(k, "presence_penalty") ||
        is(k, "frequency_penalty"))
        return add_ref(c->options, k, v);
    if (is(k, "top_k")) {
        uint64_t kk;
        if (llmgw__json_token_count(v, &kk) < 0)
            return llmgw__translate_bad(P, "top_k must be a non-negative integer");
        return llmgw__json_add_num(c->options, "top_k", (double)kk);
    }
    if (is(k, "stop")) {
        LLMGW_TRY(llmgw__translate_stop(&stops, v));
        return llmgw__json_add_item(c->options, "stop", stops);
    }
    if (is(k, "tools"))
        return map_tools(c, v);
    if (is(k, "tool_choice")) {
        if (cJSON_IsString(v) && (is(v->valuestring, "auto") || is(v->valuestring, "none")))
            return 0;
        return llmgw__translate_refuse(c->req, P, "tool_choice other than auto and none");
    }
    if (is(k, "response_format")) {
        type = llmgw__json_str(v, "type");
        if (is(type, "json_object"))
            return llmgw__json_add_str(c->out, "format", "json");
        if (is(type, "json_schema"))
            return add_ref(c->out, "format", cJSON_GetObjectItemCaseSensitive(
                               cJSON_GetObjectItemCaseSensitive(v, "json_schema"), "schema"));
        return 0;                   /* text */
    }
    return llmgw__translate_refuse(c->req, P, "'%.64s'", k);
}

int llmgw__ollama_body(llmgw_buf *out, const llmgw_request *req, const char *model, int stream)
{
    const cJSON *body = llmgw__request_body(req), *it;
    const cJSON *tc = cJSON_GetObjectItemCaseSensitive(body, "tool_choice");
    int64_t max_tokens = llmgw__request_max_tokens(req);
    ctx c;
    int rc = 0;

    memset(&c, 0, sizeof(c));
    c.req = req;
    c.messages = cJSON_GetObjectItemCaseSensitive(body, "messages");
    c.no_tools = cJSON_IsString(tc) && is(tc->valuestring, "none");
    c.out = cJSON_CreateObject();
    c.options = cJSON_CreateObject();
    if (c.out == NULL || c.options == NULL || llmgw__json_add_str(c.out, "model", model) < 0 ||
        llmgw__json_add_bool(c.out, "stream", stream != 0) < 0 ||
        (max_tokens > 0 && llmgw__json_add_num(c.options, "num_predict", (double)max_tokens) < 0))
        rc = llmgw__error_oom();
    cJSON_ArrayForEach(it, body) {
        if (rc < 0 || (rc = map_member(&c, it)) < 0)
            break;
    }
    if (rc == 0 && c.options->child != NULL) {
        rc = llmgw__json_add_item(c.out, "options", c.options);
        c.options = NULL;
    }
    if (rc == 0)
        rc = llmgw__json_print(out, c.out);
    cJSON_Delete(c.options);
    cJSON_Delete(c.out);
    return rc;
}

static int ollama_build_request(llmgw_http_request *out, void *state, const llmgw_request *req, int stream)
{
    const ollama_state *st = state;
    llmgw_buf body = LLMGW_BUF_INIT;
    int rc;

    LLMGW_TRY(llmgw_http_request_set_url(out, st->base));
    LLMGW_TRY(llmgw_http_request_append_url(out, "/api/chat"));
    LLMGW_TRY(llmgw_http_request_add_header(out, "Content-Type", "application/json"));
    LLMGW_TRY(llmgw_http_request_add_header(out, "Accept", stream ? "application/x-ndjson" : "application/json"));
    if (st->cfg->api_key != NULL)
        LLMGW_TRY(llmgw__translate_bearer(out, st->cfg->api_key));
    rc = llmgw__ollama_body(&body, req, st->cfg->model, stream);
    if (rc == 0)
        rc = llmgw_http_request_set_body(out, body.ptr, body.size);
    llmgw_buf_dispose(&body);
    return rc;
}

const llmgw_provider_vtable llmgw__provider_ollama = {
    .version = LLMGW_PROVIDER_VTABLE_VERSION,
    .name = "ollama",
    .capabilities = LLMGW_CAP_STREAM | LLMGW_CAP_TOOLS | LLMGW_CAP_VISION | LLMGW_CAP_JSON_MODE,
    .stream_framing = LLMGW_FRAMING_NDJSON,
    .default_api_base = NULL,       /* resolved by ollama_init: see the top of this file */
    .env_api_key = NULL,            /* no key required */
    .env_api_base = NULL,
    .env_api_version = NULL,
    .state_size = sizeof(ollama_state),
    .stream_state_size = sizeof(llmgw__ollama_stream),
    .init = ollama_init,
    .build_request = ollama_build_request,
    .parse_response = llmgw__ollama_parse_response,
    .parse_stream_event = llmgw__ollama_parse_stream_event,
    .classify_error = llmgw__ollama_classify_error,
    .cleanup = NULL,
};
