/*
 * lib/core/response.h: the response object.
 */
#ifndef LLMGW_CORE_RESPONSE_H
#define LLMGW_CORE_RESPONSE_H

#include "common.h"
#include "reply.h"
#include "../accounting/record.h"

struct llmgw_response {
    llmgw__answer    a;
    llmgw_tool_call *calls;     /* public views of a.calls */
    llmgw__record    rec;
    int64_t          created;   /* Unix seconds */
};

/* A new response taking the answer and the record (both left empty). */
int llmgw__response_new(llmgw_response **out, llmgw__answer *a, llmgw__record *rec);
/* The OpenAI chat.completion object. */
int llmgw__response_json(cJSON **out, const llmgw_response *resp);

#endif
