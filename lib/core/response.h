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
    int64_t          created;   /* Unix seconds */
    llmgw__record    rec;       /* last: its inline storage needs no zeroing */
};

/* A new, empty response whose record is initialized in place. */
int llmgw__response_alloc(llmgw_response **out);
/* Take the answer (left empty) into the response. */
int llmgw__response_take_answer(llmgw_response *r, llmgw__answer *a);
/* The OpenAI chat.completion object. */
int llmgw__response_json(cJSON **out, const llmgw_response *resp);

#endif
