/*
 * lib/accounting/error_json.c: an error and its attempt trail as JSON
 * (llmgw_error_to_json), and safe access to the trail (llmgw_error_attempt).
 */
#include "../core/common.h"
#include "../core/errors.h"
#include "../core/json.h"
#include "record.h"

const llmgw_attempt *llmgw_error_attempt(const llmgw_error *err, size_t i)
{
    if (err == NULL || err->attempts == NULL || i >= err->attempt_count)
        return NULL;
    return &err->attempts[i];
}

static cJSON *str_or_null(const char *s)
{
    return s != NULL ? cJSON_CreateString(s) : cJSON_CreateNull();
}

int llmgw_error_to_json(llmgw_buf *out, const llmgw_error *err)
{
    const char *cls;
    cJSON *o, *trail;
    size_t i;
    int rc;

    LLMGW_CHECK_ARG(out);
    LLMGW_CHECK_ARG(err);
    cls = llmgw_error_class_str(err->error_class);
    if ((o = cJSON_CreateObject()) == NULL)
        return llmgw__error_oom();
    if (llmgw__json_add_item(o, "class", str_or_null(cls != NULL && *cls ? cls : NULL)) < 0 ||
        llmgw__json_add_num(o, "code", err->code) < 0 ||
        llmgw__json_add_str(o, "message", err->message ? err->message : "") < 0 ||
        llmgw__json_add_item(o, "status", err->http_status > 0 ? cJSON_CreateNumber(err->http_status)
                                                               : cJSON_CreateNull()) < 0 ||
        llmgw__json_add_item(o, "provider", str_or_null(err->provider)) < 0 ||
        llmgw__json_add_item(o, "retry_after_ms", err->retry_after_ms >= 0
                             ? cJSON_CreateNumber((double)err->retry_after_ms) : cJSON_CreateNull()) < 0 ||
        llmgw__json_add_item(o, "attempts", trail = cJSON_CreateArray()) < 0)
        goto oom;
    for (i = 0; i < err->attempt_count && err->attempts != NULL; i++)
        if (llmgw__json_append(trail, llmgw__attempt_json(&err->attempts[i])) < 0)
            goto oom;
    rc = llmgw__json_print(out, o);
    cJSON_Delete(o);
    return rc;
oom:
    cJSON_Delete(o);
    return llmgw__error_oom();
}
