/*
 * lib/core/reply.h: the normalized answer a provider assembles, and the
 * delivery of stream deltas to the caller's sink.
 */
#ifndef LLMGW_CORE_REPLY_H
#define LLMGW_CORE_REPLY_H

#include "common.h"

#define LLMGW__MAX_TOOL_CALLS 128
#define LLMGW__MAX_TOOL_ARGS  (1u << 20)

typedef struct llmgw__tool_call {
    char     *id;
    char     *name;
    llmgw_buf args;
} llmgw__tool_call;

/* The content of one answer. */
typedef struct llmgw__answer {
    llmgw_buf          text;
    llmgw_buf          reasoning;
    llmgw__tool_call  *calls;
    size_t             ncalls;
    int                finish;          /* LLMGW_FINISH_* */
    char              *finish_raw;
    char              *id;
    char              *model;
    llmgw_token_counts usage;
    bool               usage_set;
} llmgw__answer;

/* Where stream deltas go; shared by every attempt of one logical request. */
typedef struct llmgw__delivery {
    const llmgw_stream_sink *sink;
    bool                     committed;      /* an event reached the sink */
    int64_t                  first_delta_us; /* monotonic time of the first delivered delta */
} llmgw__delivery;

struct llmgw_reply {
    llmgw__answer    a;
    llmgw__delivery *delivery;      /* NULL: not streaming */
    size_t           max_text;      /* cap on text + reasoning bytes */
    bool             done;          /* terminal marker seen */
    bool             user_stopped;  /* a sink callback returned non-zero */
    bool             has_error;     /* an error arrived inside a 2xx body or stream */
    int              err_class;
    int              err_http;
    char             err_message[512];
    int64_t          err_retry_after_ms;    /* a wait the error asked for; -1: none */
};

void llmgw__reply_init(llmgw_reply *r, llmgw__delivery *delivery, size_t max_text);
void llmgw__reply_dispose(llmgw_reply *r);
void llmgw__answer_dispose(llmgw__answer *a);
/* Move the answer out of the reply (the reply is left empty). */
void llmgw__answer_take(llmgw__answer *dst, llmgw_reply *r);
/* Normalize the finish reason: tool calls present means "tool_calls". */
void llmgw__answer_finalize(llmgw__answer *a);
/* OpenAI string for a finish value; raw is used for LLMGW_FINISH_OTHER. */
const char *llmgw__finish_str(int finish, const char *raw);

#endif
