/*
 * lib/core/request.h: the canonical request, inside the library.
 */
#ifndef LLMGW_CORE_REQUEST_H
#define LLMGW_CORE_REQUEST_H

#include "common.h"
#include "json.h"

#include <stdatomic.h>

struct llmgw_request {
    cJSON   *body;           /* OpenAI Chat Completions request object, without stream members */
    /* caller metadata: never sent upstream */
    char    *customer;
    char    *trace_id;
    char   **tags;
    size_t   tag_count;
    cJSON   *metadata;       /* object of strings, or NULL */
    int64_t  deadline_ms;
    bool     drop_params;
    /* cache controls */
    int      cache_flags;    /* LLMGW_CACHE_* */
    int64_t  cache_ttl_ms;
    int64_t  cache_max_age_ms;
    char    *cache_namespace;
    /* llmgw_request_cancel(): read by every call running with this request */
    atomic_int cancelled;
};

/* The canonical body (never NULL for a valid request). */
static inline const cJSON *llmgw__request_body(const llmgw_request *req)
{
    return req->body;
}

/* Validate a whole request body (used by from_json and before completing). */
int  llmgw__request_validate(const cJSON *body);
/* True when s has a control character (C0, DEL). */
bool llmgw__has_ctl(const char *s);
/* Requested max output tokens, or 0 when not set. */
int64_t llmgw__request_max_tokens(const llmgw_request *req);
/* Whether the request streams is the call's choice; this says whether it carries tools. */
bool llmgw__request_has_tools(const llmgw_request *req);

#endif
