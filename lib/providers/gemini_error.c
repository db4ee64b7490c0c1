/*
 * lib/providers/gemini_error.c: Gemini errors, a google.rpc.Status envelope
 * {"error":{"code","message","status","details":[{"@type": ...}]}}
 * (docs/providers.md §0.5, §4). Classes (docs/resilience.md §b.2):
 *
 *   400 INVALID_ARGUMENT + ErrorInfo reason API_KEY_* (invalid, expired ...) -> auth
 *   400 "The input token count (N) exceeds the maximum number of tokens
 *       allowed (M)."                                      -> context_length_exceeded
 *   401 UNAUTHENTICATED, 403 PERMISSION_DENIED             -> auth
 *   404 NOT_FOUND                                          -> not_found
 *   429 RESOURCE_EXHAUSTED                                 -> rate_limit, retry delay from
 *       RetryInfo.retryDelay ("52s", "1.5s") when no header gave one, except:
 *       a QuotaFailure violation whose quotaId is a per-day quota ("...PerDay...",
 *       it resets at midnight, not within a retry window) or whose quotaValue
 *       is "0", or a message with "limit: 0" (no quota at all for the model on
 *       this tier/billing)                                 -> quota_exceeded
 *   500 INTERNAL, 503 UNAVAILABLE ("The model is overloaded") and other 5xx
 *                                                          -> server_error (status)
 * A body that is an array (the non-SSE stream form) is read from its first element.
 */
#include "../core/common.h"
#include "../core/json.h"
#include "gemini.h"

#include <stdio.h>
#include <strings.h>

int llmgw__gemini_http_class(int s)
{
    if (s == 401 || s == 403)
        return LLMGW_ERRCLASS_AUTH;
    if (s == 404)
        return LLMGW_ERRCLASS_NOT_FOUND;
    if (s == 408)
        return LLMGW_ERRCLASS_TIMEOUT;
    if (s == 429)
        return LLMGW_ERRCLASS_RATE_LIMIT;
    if (s >= 400 && s < 500)
        return LLMGW_ERRCLASS_BAD_REQUEST;
    if (s >= 500 && s < 600)
        return LLMGW_ERRCLASS_SERVER_ERROR;
    return LLMGW_ERRCLASS_NONE;
}

static int status_class(const char *status)
{
    static const struct { const char *name; int cls; } t[] = {
        { "INVALID_ARGUMENT", LLMGW_ERRCLASS_BAD_REQUEST },
        { "FAILED_PRECONDITION", LLMGW_ERRCLASS_BAD_REQUEST },
        { "OUT_OF_RANGE", LLMGW_ERRCLASS_BAD_REQUEST },
        { "UNAUTHENTICATED", LLMGW_ERRCLASS_AUTH },
        { "PERMISSION_DENIED", LLMGW_ERRCLASS_AUTH },
        { "NOT_FOUND", LLMGW_ERRCLASS_NOT_FOUND },
        { "RESOURCE_EXHAUSTED", LLMGW_ERRCLASS_RATE_LIMIT },
        { "DEADLINE_EXCEEDED", LLMGW_ERRCLASS_TIMEOUT },
        { "UNAVAILABLE", LLMGW_ERRCLASS_SERVER_ERROR },
        { "INTERNAL", LLMGW_ERRCLASS_SERVER_ERROR },
        { "UNKNOWN", LLMGW_ERRCLASS_SERVER_ERROR },
    };
    size_t i;

    for (i = 0; status != NULL && i < LLMGW_ARRAY_SIZE(t); i++)
        if (strcmp(status, t[i].name) == 0)
            return t[i].cls;
    return LLMGW_ERRCLASS_NONE;
}

static bool contains_ci(const char *hay, const char *needle)
{
    size_t n = strlen(needle);

    for (; hay != NULL && *hay; hay++)
        if (strncasecmp(hay, needle, n) == 0)
            return true;
    return false;
}

/* A protobuf Duration in JSON ("52s", "1.5s", "0.250s") in milliseconds, rounded up; -1 otherwise. */
static int64_t duration_ms(const char *s)
{
    int64_t whole = 0, frac_ns = 0, scale = 100000000;
    int digits = 0;

    if (s == NULL)
        return -1;
    for (; *s >= '0' && *s <= '9'; s++) {
        if (++digits > 9)
            return -1;
        whole = whole * 10 + (*s - '0');
    }
    if (digits == 0)
        return -1;
    if (*s == '.') {
        for (s++, digits = 0; *s >= '0' && *s <= '9'; s++, scale /= 10) {
            if (++digits > 9)
                return -1;
            frac_ns += (*s - '0') * scale;
        }
        if (digits == 0)
            return -1;
    }
    if (s[0] != 's' || s[1] != '\0')
        return -1;
    return whole * 1000 + (frac_ns + 999999) / 1000000;
}

static bool type_is(const cJSON *detail, const char *suffix)
{
    const char *t = llmgw__json_str(detail, "@type");
    size_t n = t ? strlen(t) : 0, m = strlen(suffix);

    return n >= m && strcmp(t + n - m, suffix) == 0;
}

/* A per-day quota or a quota of zero: waiting minutes does not help. */
static bool quota_exhausted(const cJSON *details, const char *msg)
{
    const cJSON *d, *v;

    if (contains_ci(msg, "limit: 0"))
        return true;
    cJSON_ArrayForEach(d, details) {
        if (!type_is(d, "google.rpc.QuotaFailure"))
            continue;
        cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(d, "violations")) {
            const char *id = llmgw__json_str(v, "quotaId");
            const char *value = llmgw__json_str(v, "quotaValue");
            if ((id != NULL && strstr(id, "PerDay") != NULL) || (value != NULL && strcmp(value, "0") == 0))
                return true;
        }
    }
    return false;
}

void llmgw__gemini_error_object(llmgw_error_info *out, const cJSON *err)
{
    const char *msg = llmgw__json_str(err, "message");
    const char *status = llmgw__json_str(err, "status");
    const cJSON *details = cJSON_GetObjectItemCaseSensitive(err, "details"), *d;
    int cls = status_class(status);
    int64_t delay;

    if (msg != NULL)
        snprintf(out->message, sizeof(out->message), "%s%s%s", status ? status : "", status ? ": " : "", msg);
    if (cls != LLMGW_ERRCLASS_NONE && cls != LLMGW_ERRCLASS_BAD_REQUEST && cls != LLMGW_ERRCLASS_TIMEOUT)
        out->error_class = cls;                     /* the status names it; 400/504 keep the HTTP class */
    else if (out->error_class == LLMGW_ERRCLASS_NONE)
        out->error_class = cls;
    cJSON_ArrayForEach(d, details) {
        const char *reason = llmgw__json_str(d, "reason");
        if (type_is(d, "google.rpc.ErrorInfo") && reason != NULL && strncmp(reason, "API_KEY_", 8) == 0)
            out->error_class = LLMGW_ERRCLASS_AUTH;
        if (type_is(d, "google.rpc.RetryInfo") && out->retry_after_ms < 0 &&
            (delay = duration_ms(llmgw__json_str(d, "retryDelay"))) >= 0)
            out->retry_after_ms = delay;
    }
    if (out->error_class == LLMGW_ERRCLASS_BAD_REQUEST && contains_ci(msg, "token count") &&
        contains_ci(msg, "exceeds the maximum"))
        out->error_class = LLMGW_ERRCLASS_CONTEXT_LENGTH_EXCEEDED;
    if (out->error_class == LLMGW_ERRCLASS_RATE_LIMIT && quota_exhausted(details, msg))
        out->error_class = LLMGW_ERRCLASS_QUOTA_EXCEEDED;
}

int llmgw__gemini_classify_error(llmgw_error_info *out, void *state, const llmgw_http_response *in)
{
    size_t len;
    const char *body = llmgw_http_response_body(in, &len);
    const cJSON *root, *err;
    cJSON *doc;

    LLMGW_UNUSED(state);
    if (len == 0 || (doc = cJSON_ParseWithLength(body, len)) == NULL)
        return 0;       /* not JSON: the status decides */
    root = cJSON_IsArray(doc) ? cJSON_GetArrayItem(doc, 0) : doc;
    err = cJSON_GetObjectItemCaseSensitive(root, "error");
    if (cJSON_IsObject(err))
        llmgw__gemini_error_object(out, err);
    else if (cJSON_IsString(err))
        snprintf(out->message, sizeof(out->message), "%s", err->valuestring);
    cJSON_Delete(doc);
    return 0;
}
