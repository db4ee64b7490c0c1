/*
 * lib/providers/openai_error.c: classifying errors of every OpenAI-shaped
 * upstream, from an HTTP error body or from an error inside a 2xx body or
 * stream (docs/providers.md §0.5, §8; docs/resilience.md §b.2).
 *
 * Shapes read: OpenAI's {"error":{"message","type","param","code"}}; Azure's
 * code "429" (a string, no type), "content_filter" with innererror.code
 * "ResponsibleAIPolicyViolation", "Please retry after N seconds"; Together's
 * {"message","type_"}; vLLM's flat {"object":"error",...} and
 * {"error":"Unauthorized"}; xAI's {"code","error":"Incorrect API key ..."} on
 * a 400; Mistral's {"object":"error","message":{"detail":[...]}} and
 * type "rate_limited"; llama.cpp's type "exceed_context_size_error"; DeepSeek's
 * and vLLM's "maximum context length" wording; OpenRouter's integer
 * error.code, which inside a 2xx stands for that HTTP status. A hint in the
 * message ("try again in 644ms", "retry after 6 seconds") is used only when
 * no retry-after header came.
 */
#include "../core/common.h"
#include "../core/buf.h"
#include "../core/errors.h"
#include "../core/json.h"
#include "openai.h"

#include <stdio.h>
#include <strings.h>

#define GET(obj, key) cJSON_GetObjectItemCaseSensitive((obj), (key))
#define IS(s, v) ((s) != NULL && strcmp((s), (v)) == 0)

static bool contains_ci(const char *hay, const char *needle)
{
    size_t n = strlen(needle);

    for (; hay != NULL && *hay; hay++)
        if (strncasecmp(hay, needle, n) == 0)
            return true;
    return false;
}

/* "Please try again in 644ms" / "in 5.289s" (OpenAI, Groq); "Please retry after 6 seconds" (Azure). */
static int64_t hint_from_message(const char *msg)
{
    static const char *const leads[] = { "try again in ", "retry after " };
    const char *p = NULL, *h;
    int64_t whole = 0, frac = 0, unit = 1000;      /* frac in thousandths */
    size_t i;

    for (i = 0; i < LLMGW_ARRAY_SIZE(leads) && p == NULL; i++)
        for (h = msg; h != NULL && *h && p == NULL; h++)
            if (strncasecmp(h, leads[i], strlen(leads[i])) == 0)
                p = h + strlen(leads[i]);
    if (p == NULL || *p < '0' || *p > '9')
        return -1;
    /* digits[.digits] by hand: strtod follows LC_NUMERIC */
    for (; *p >= '0' && *p <= '9'; p++)
        if ((whole = whole * 10 + (*p - '0')) > 86400000)
            return -1;
    if (*p == '.')
        for (p++; *p >= '0' && *p <= '9'; p++)
            if (unit > 1)
                frac += (*p - '0') * (unit /= 10);
    while (*p == ' ')
        p++;
    if (strncmp(p, "ms", 2) == 0)
        return whole;
    if (*p == 's')
        return whole * 1000 + frac;
    return -1;
}

static const char *const context_phrases[] = {
    "maximum context length", "context length", "context window", "context_length_exceeded",
    "exceeds the available context size", "`max_new_tokens` must be <=", "prompt is too long",
};

/* Refine out from an error's message, type, code and Azure innererror.code (any may be NULL). */
static void classify_fields(llmgw_error_info *out, const char *msg, const char *type, const char *code,
                            const char *inner)
{
    size_t i;
    bool ctx = IS(code, "context_length_exceeded") || IS(type, "exceed_context_size_error");
    int64_t hint;

    for (i = 0; i < LLMGW_ARRAY_SIZE(context_phrases) && !ctx; i++)
        ctx = contains_ci(msg, context_phrases[i]);
    if (IS(code, "insufficient_quota") || IS(type, "insufficient_quota"))
        out->error_class = LLMGW_ERRCLASS_QUOTA_EXCEEDED;
    else if (ctx)
        out->error_class = LLMGW_ERRCLASS_CONTEXT_LENGTH_EXCEEDED;
    else if (IS(code, "content_policy_violation") || IS(code, "content_filter") ||
             IS(inner, "ResponsibleAIPolicyViolation"))
        out->error_class = LLMGW_ERRCLASS_CONTENT_POLICY;
    else if (IS(code, "invalid_api_key") || IS(type, "authentication_error") ||
             contains_ci(msg, "incorrect api key") || contains_ci(msg, "invalid api key"))
        out->error_class = LLMGW_ERRCLASS_AUTH;
    else if (IS(code, "rate_limit_exceeded") || IS(code, "429") || IS(type, "rate_limit_error") ||
             IS(type, "rate_limited") || IS(type, "tokens") || IS(type, "requests"))
        out->error_class = LLMGW_ERRCLASS_RATE_LIMIT;
    else if (IS(code, "model_not_found") || IS(code, "DeploymentNotFound") || IS(type, "not_found_error"))
        out->error_class = LLMGW_ERRCLASS_NOT_FOUND;
    else if ((IS(type, "server_error") || IS(code, "server_error")) && out->error_class == LLMGW_ERRCLASS_NONE)
        out->error_class = LLMGW_ERRCLASS_SERVER_ERROR;
    if (out->retry_after_ms < 0 && (hint = hint_from_message(msg)) >= 0)
        out->retry_after_ms = hint;
}

static void set_message(llmgw_error_info *out, const cJSON *m)
{
    llmgw_buf b = LLMGW_BUF_INIT;

    if (cJSON_IsString(m))
        snprintf(out->message, sizeof(out->message), "%s", m->valuestring);
    else if (m != NULL && !cJSON_IsNull(m) && llmgw__json_print(&b, m) == 0)
        snprintf(out->message, sizeof(out->message), "%s", b.ptr);    /* Mistral's 422 {"detail":[...]} */
    llmgw_buf_dispose(&b);
}

void llmgw__openai_error_object(llmgw_error_info *out, const cJSON *err)
{
    const cJSON *c = GET(err, "code");
    const char *type = llmgw__json_str(err, "type");
    char code[32];

    set_message(out, GET(err, "message"));
    if (type == NULL)
        type = llmgw__json_str(err, "type_");               /* Together */
    code[0] = '\0';
    if (cJSON_IsString(c))
        snprintf(code, sizeof(code), "%s", c->valuestring);
    else if (cJSON_IsNumber(c) && c->valuedouble >= 0 && c->valuedouble < 1e9)
        snprintf(code, sizeof(code), "%d", (int)c->valuedouble);
    classify_fields(out, out->message, type, code[0] ? code : NULL,
                    llmgw__json_str(GET(err, "innererror"), "code"));
}

int llmgw__openai_classify_error(llmgw_error_info *out, void *state, const llmgw_http_response *in)
{
    size_t len;
    const char *body = llmgw_http_response_body(in, &len);
    const cJSON *err;
    cJSON *root;

    LLMGW_UNUSED(state);
    if (len == 0 || (root = cJSON_ParseWithLength(body, len)) == NULL)
        return 0;       /* not JSON: the status decides */
    err = GET(root, "error");
    if (cJSON_IsObject(err)) {
        llmgw__openai_error_object(out, err);       /* a 429 that is quota, a 400 that is context ... */
    } else if (cJSON_IsString(err)) {
        /* vLLM's {"error":"Unauthorized"}; xAI's {"code":"...","error":"Incorrect API key ..."} */
        snprintf(out->message, sizeof(out->message), "%s", err->valuestring);
        classify_fields(out, out->message, NULL, llmgw__json_str(root, "code"), NULL);
    } else if (GET(root, "message") != NULL) {
        llmgw__openai_error_object(out, root);      /* vLLM's flat error, Together, Mistral */
    } else if (GET(root, "detail") != NULL) {
        set_message(out, GET(root, "detail"));      /* FastAPI validation bodies */
        classify_fields(out, out->message, NULL, NULL, NULL);
    }
    cJSON_Delete(root);
    return 0;
}

/* ---- errors inside a 2xx body or stream ---- */

static int class_of_status(int s)
{
    if (s == 401 || s == 403)
        return LLMGW_ERRCLASS_AUTH;
    if (s == 402)
        return LLMGW_ERRCLASS_QUOTA_EXCEEDED;
    if (s == 404)
        return LLMGW_ERRCLASS_NOT_FOUND;
    if (s == 408)
        return LLMGW_ERRCLASS_TIMEOUT;
    if (s == 429)
        return LLMGW_ERRCLASS_RATE_LIMIT;
    if (s >= 400 && s < 500)
        return LLMGW_ERRCLASS_BAD_REQUEST;
    return LLMGW_ERRCLASS_SERVER_ERROR;
}

/* An error's HTTP status from an integer code in 400..599 (OpenRouter, vLLM), else 0. */
static int status_of_code(const cJSON *err)
{
    const cJSON *c = GET(err, "code");
    double v = cJSON_IsNumber(c) ? c->valuedouble : 0;

    return v >= 400 && v < 600 && v == (double)(int)v ? (int)v : 0;
}

int llmgw__openai_embedded_error(llmgw_reply *out, const cJSON *err, const char *fallback)
{
    llmgw_error_info info;
    int http = cJSON_IsObject(err) ? status_of_code(err) : 0;
    int rc;

    memset(&info, 0, sizeof(info));
    info.error_class = http ? class_of_status(http) : LLMGW_ERRCLASS_SERVER_ERROR;
    info.retry_after_ms = -1;
    if (cJSON_IsObject(err)) {
        llmgw__openai_error_object(&info, err);
    } else if (cJSON_IsString(err)) {
        snprintf(info.message, sizeof(info.message), "%s", err->valuestring);
        classify_fields(&info, info.message, NULL, NULL, NULL);
    }
    rc = llmgw_reply_error(out, info.error_class, http, info.message[0] ? info.message : fallback);
    if (rc == 0 && info.retry_after_ms >= 0)
        rc = llmgw_reply_error_retry_after(out, info.retry_after_ms);
    return rc;
}

int llmgw__openai_error_in(llmgw_reply *out, const cJSON *root)
{
    const cJSON *err = GET(root, "error");
    int rc;

    if (cJSON_IsObject(err) || (cJSON_IsString(err) && err->valuestring[0] != '\0'))
        rc = llmgw__openai_embedded_error(out, err, "error in a 200 response");
    else if (IS(llmgw__json_str(root, "object"), "error"))
        rc = llmgw__openai_embedded_error(out, root, "error in a 200 response");
    else
        return 0;
    return rc < 0 ? rc : 1;
}
