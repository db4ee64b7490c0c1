/*
 * lib/providers/translate.c: pieces shared by the cohere and ollama
 * translations (see translate.h).
 */
#include "../core/common.h"
#include "../core/errors.h"
#include "../core/json.h"
#include "translate.h"

#include <stdarg.h>
#include <stdio.h>
#include <strings.h>

int llmgw__translate_refuse(const llmgw_request *req, const char *provider, const char *fmt, ...)
{
    char what[256];
    va_list ap;

    if (llmgw_request_drop_params(req))
        return 0;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    return llmgw__error_setc(LLMGW_EUNSUPPORTED, LLMGW_ERRCLASS_UNSUPPORTED,
                             "%s cannot express %s (set drop_params to drop it)", provider, what);
}

int llmgw__translate_bad(const char *provider, const char *fmt, ...)
{
    char what[256];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_BAD_REQUEST, "%s: %s", provider, what);
}

int llmgw__translate_malformed(const char *provider, const char *what)
{
    return llmgw__error_setc(LLMGW_EUNAVAILABLE, LLMGW_ERRCLASS_SERVER_ERROR,
                             "malformed answer from %s: %s", provider, what);
}

int llmgw__translate_stop(cJSON **out, const cJSON *stop)
{
    const cJSON *s;

    *out = NULL;
    if (stop == NULL || cJSON_IsNull(stop))
        return 0;
    if ((*out = cJSON_CreateArray()) == NULL)
        return llmgw__error_oom();
    if (cJSON_IsString(stop))
        return llmgw__json_append(*out, cJSON_CreateString(stop->valuestring));
    cJSON_ArrayForEach(s, stop)
        if (cJSON_IsString(s))
            LLMGW_TRY(llmgw__json_append(*out, cJSON_CreateString(s->valuestring)));
    return 0;
}

int llmgw__translate_add_function(cJSON *arr, cJSON *o, cJSON *fn)
{
    if (llmgw__json_add_item(o, "function", fn) < 0) {
        cJSON_Delete(o);
        return llmgw_error_last()->code;
    }
    return llmgw__json_append(arr, o);
}

int llmgw__translate_bearer(llmgw_http_request *out, const char *key)
{
    char auth[4200];
    int n, rc;

    n = snprintf(auth, sizeof(auth), "Bearer %s", key);
    rc = llmgw_http_request_add_header(out, "Authorization", auth);
    llmgw__zeroize(auth, n > 0 && (size_t)n < sizeof(auth) ? (size_t)n : sizeof(auth));
    return rc;
}

int llmgw__translate_count(const cJSON *obj, const char *key, const char *provider, uint64_t *out,
                           bool *present)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);

    *out = 0;
    if (present != NULL)
        *present = false;
    if (it == NULL || cJSON_IsNull(it))
        return 0;
    if (llmgw__json_token_count(it, out) < 0)
        return llmgw__error_setc(LLMGW_EUNAVAILABLE, LLMGW_ERRCLASS_SERVER_ERROR,
                                 "implausible token count '%s' from %s", key, provider);
    if (present != NULL)
        *present = true;
    return 0;
}

bool llmgw__translate_contains(const char *hay, const char *needle)
{
    size_t n = strlen(needle);

    for (; hay != NULL && *hay; hay++)
        if (strncasecmp(hay, needle, n) == 0)
            return true;
    return false;
}

int llmgw__translate_message_class(const char *m, int fallback)
{
    static const char *const context[] = { "too many tokens", "context length", "context window",
                                           "maximum context", "prompt is too long" };
    size_t i;

    for (i = 0; i < LLMGW_ARRAY_SIZE(context); i++)
        if (llmgw__translate_contains(m, context[i]))
            return LLMGW_ERRCLASS_CONTEXT_LENGTH_EXCEEDED;
    if (llmgw__translate_contains(m, "rate limit") || llmgw__translate_contains(m, "too many requests"))
        return LLMGW_ERRCLASS_RATE_LIMIT;
    return fallback;
}
