/*
 * lib/core/request_get.c: read-only views of a request's caller metadata,
 * for classifiers and bindings (the request's own builder is request.c).
 */
#include "common.h"
#include "errors.h"
#include "buf.h"
#include "json.h"
#include "request.h"

const char *llmgw_request_customer(const llmgw_request *req)
{
    return req != NULL ? req->customer : NULL;
}

const char *llmgw_request_trace_id(const llmgw_request *req)
{
    return req != NULL ? req->trace_id : NULL;
}

size_t llmgw_request_tag_count(const llmgw_request *req)
{
    return req != NULL ? req->tag_count : 0;
}

const char *llmgw_request_tag(const llmgw_request *req, size_t i)
{
    return req != NULL && i < req->tag_count ? req->tags[i] : NULL;
}

const char *llmgw_request_metadata(const llmgw_request *req, const char *key)
{
    const cJSON *v;

    if (req == NULL || key == NULL || req->metadata == NULL)
        return NULL;
    v = cJSON_GetObjectItemCaseSensitive(req->metadata, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

int llmgw_request_metadata_json(llmgw_buf *out, const llmgw_request *req)
{
    LLMGW_CHECK_ARG(out);
    LLMGW_CHECK_ARG(req);
    llmgw__buf_clear(out);
    if (req->metadata == NULL)
        return llmgw__buf_puts(out, "{}");
    return llmgw__json_print(out, req->metadata);
}
