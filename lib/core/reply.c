/*
 * lib/core/reply.c: assembling the normalized answer; delivering deltas.
 */
#include "common.h"
#include "buf.h"
#include "clock.h"
#include "errors.h"
#include "reply.h"
#include "utf8.h"

#include <stdio.h>

void llmgw__reply_init(llmgw_reply *r, llmgw__delivery *delivery, size_t max_text)
{
    memset(r, 0, sizeof(*r));
    r->delivery = delivery;
    r->max_text = max_text;
    r->err_retry_after_ms = -1;
}

void llmgw__answer_dispose(llmgw__answer *a)
{
    size_t i;

    llmgw_buf_dispose(&a->text);
    llmgw_buf_dispose(&a->reasoning);
    for (i = 0; i < a->ncalls; i++) {
        llmgw__free(a->calls[i].id);
        llmgw__free(a->calls[i].name);
        llmgw_buf_dispose(&a->calls[i].args);
    }
    llmgw__free(a->calls);
    llmgw__free(a->finish_raw);
    llmgw__free(a->id);
    llmgw__free(a->model);
    memset(a, 0, sizeof(*a));
}

void llmgw__reply_dispose(llmgw_reply *r)
{
    if (r != NULL)
        llmgw__answer_dispose(&r->a);
}

void llmgw__answer_take(llmgw__answer *dst, llmgw_reply *r)
{
    *dst = r->a;
    memset(&r->a, 0, sizeof(r->a));
}

void llmgw__answer_finalize(llmgw__answer *a)
{
    if (a->ncalls > 0 && a->finish != LLMGW_FINISH_TOOL_CALLS)
        a->finish = LLMGW_FINISH_TOOL_CALLS;
}

const char *llmgw__finish_str(int finish, const char *raw)
{
    switch (finish) {
    case LLMGW_FINISH_STOP:           return "stop";
    case LLMGW_FINISH_LENGTH:         return "length";
    case LLMGW_FINISH_TOOL_CALLS:     return "tool_calls";
    case LLMGW_FINISH_CONTENT_FILTER: return "content_filter";
    case LLMGW_FINISH_OTHER:          return raw ? raw : "stop";
    default:                          return NULL;
    }
}

static int replace_str(char **slot, const char *s)
{
    char *copy = NULL;

    if (s != NULL && (copy = llmgw__strdup(s)) == NULL)
        return llmgw__error_oom();
    llmgw__free(*slot);
    *slot = copy;
    return 0;
}

int llmgw_reply_set_id(llmgw_reply *r, const char *id)
{
    LLMGW_CHECK_ARG(r);
    if (id != NULL && r->a.id != NULL && strcmp(r->a.id, id) == 0)
        return 0;
    return replace_str(&r->a.id, id);
}

int llmgw_reply_set_model(llmgw_reply *r, const char *model)
{
    LLMGW_CHECK_ARG(r);
    if (model != NULL && r->a.model != NULL && strcmp(r->a.model, model) == 0)
        return 0;
    return replace_str(&r->a.model, model);
}

static int too_big(void)
{
    return llmgw__error_setc(LLMGW_EUNAVAILABLE, LLMGW_ERRCLASS_SERVER_ERROR,
                             "answer text larger than the response cap");
}

static int deliver_stopped(llmgw_reply *r)
{
    r->user_stopped = true;
    return llmgw__error_setc(LLMGW_EUSER, LLMGW_ERRCLASS_CANCELLED, "stopped by a stream callback");
}

static void mark_committed(llmgw__delivery *d, int64_t now_us)
{
    if (!d->committed) {
        d->committed = true;
        d->first_delta_us = now_us;
    }
}

static int append_and_deliver(llmgw_reply *r, llmgw_buf *b, const char *s, size_t len,
                              int (*cb)(const char *, size_t, void *))
{
    size_t before = b->size;

    if (len == 0)
        return 0;
    if (r->a.text.size + r->a.reasoning.size + len > r->max_text)
        return too_big();
    LLMGW_TRY(llmgw__utf8_append_sanitized(b, s, len));
    if (r->a.text.size + r->a.reasoning.size > r->max_text) {
        b->size = before;           /* U+FFFD replacements made it grow past the cap */
        b->ptr[before] = '\0';
        return too_big();
    }
    if (r->delivery != NULL && cb != NULL) {
        mark_committed(r->delivery, llmgw__mono_us());
        if (cb(b->ptr + before, b->size - before, r->delivery->sink->userdata) != 0)
            return deliver_stopped(r);
    } else if (r->delivery != NULL) {
        mark_committed(r->delivery, llmgw__mono_us());
    }
    return 0;
}

int llmgw_reply_append_text(llmgw_reply *r, const char *text, size_t len)
{
    LLMGW_CHECK_ARG(r);
    if (text == NULL && len > 0)
        return llmgw__error_null_arg("text", __func__);
    return append_and_deliver(r, &r->a.text, text, len,
                              r->delivery ? r->delivery->sink->on_text : NULL);
}

int llmgw_reply_append_reasoning(llmgw_reply *r, const char *text, size_t len)
{
    LLMGW_CHECK_ARG(r);
    if (text == NULL && len > 0)
        return llmgw__error_null_arg("text", __func__);
    return append_and_deliver(r, &r->a.reasoning, text, len,
                              r->delivery ? r->delivery->sink->on_reasoning : NULL);
}

int llmgw_reply_tool_call(llmgw_reply *r, size_t index, const char *id, const char *name,
                          const char *arguments, size_t arguments_len)
{
    llmgw__tool_call *tc;
    bool new_id = false, new_name = false;
    size_t before;

    LLMGW_CHECK_ARG(r);
    if (arguments == NULL && arguments_len > 0)
        return llmgw__error_null_arg("arguments", __func__);
    if (index >= LLMGW__MAX_TOOL_CALLS)
        return llmgw__error_setc(LLMGW_EUNAVAILABLE, LLMGW_ERRCLASS_SERVER_ERROR,
                                 "more than %d tool calls", LLMGW__MAX_TOOL_CALLS);
    if (index >= r->a.ncalls) {
        llmgw__tool_call *calls = llmgw__reallocarray(r->a.calls, index + 1, sizeof(*calls));
        if (calls == NULL)
            return llmgw__error_oom();
        memset(calls + r->a.ncalls, 0, (index + 1 - r->a.ncalls) * sizeof(*calls));
        r->a.calls = calls;
        r->a.ncalls = index + 1;
    }
    tc = &r->a.calls[index];
    if (id != NULL && tc->id == NULL) {
        if ((tc->id = llmgw__strdup(id)) == NULL)
            return llmgw__error_oom();
        new_id = true;
    }
    if (name != NULL && tc->name == NULL) {
        if ((tc->name = llmgw__strdup(name)) == NULL)
            return llmgw__error_oom();
        new_name = true;
    }
    if (tc->args.size + arguments_len > LLMGW__MAX_TOOL_ARGS)
        return llmgw__error_setc(LLMGW_EUNAVAILABLE, LLMGW_ERRCLASS_SERVER_ERROR,
                                 "tool call arguments larger than 1 MiB");
    before = tc->args.size;
    if (arguments_len > 0)
        LLMGW_TRY(llmgw__utf8_append_sanitized(&tc->args, arguments, arguments_len));
    else
        LLMGW_TRY(llmgw__buf_put(&tc->args, "", 0));    /* allocated and terminated */
    if (r->delivery != NULL && (new_id || new_name || tc->args.size > before)) {
        llmgw_tool_call_delta d;
        mark_committed(r->delivery, llmgw__mono_us());
        if (r->delivery->sink->on_tool_call != NULL) {
            d.index = index;
            d.id = new_id ? tc->id : NULL;          /* each delivered once */
            d.name = new_name ? tc->name : NULL;
            d.arguments = tc->args.ptr + before;
            d.arguments_len = tc->args.size - before;
            if (r->delivery->sink->on_tool_call(&d, r->delivery->sink->userdata) != 0)
                return deliver_stopped(r);
        }
    }
    return 0;
}

int llmgw_reply_set_finish(llmgw_reply *r, int finish, const char *raw)
{
    LLMGW_CHECK_ARG(r);
    if (finish < LLMGW_FINISH_NONE || finish > LLMGW_FINISH_OTHER)
        return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_NONE, "unknown finish value %d", finish);
    r->a.finish = finish;
    return replace_str(&r->a.finish_raw, raw);
}

int llmgw_reply_set_usage(llmgw_reply *r, const llmgw_token_counts *c)
{
    LLMGW_CHECK_ARG(r);
    LLMGW_CHECK_ARG(c);
    if (c->input_tokens >= LLMGW_MAX_TOKENS_VALUE || c->output_tokens >= LLMGW_MAX_TOKENS_VALUE ||
        c->cache_read_tokens > c->input_tokens || c->cache_creation_tokens > c->input_tokens ||
        c->cache_read_tokens + c->cache_creation_tokens > c->input_tokens ||
        c->reasoning_tokens > c->output_tokens)
        return llmgw__error_setc(LLMGW_EUNAVAILABLE, LLMGW_ERRCLASS_SERVER_ERROR,
                                 "implausible token counts from the upstream");
    r->a.usage = *c;
    r->a.usage_set = true;
    return 0;
}

int llmgw_reply_get_usage(const llmgw_reply *r, llmgw_token_counts *out)
{
    if (r == NULL || out == NULL)
        return 0;
    *out = r->a.usage;
    return r->a.usage_set ? 1 : 0;
}

int llmgw_reply_done(llmgw_reply *r)
{
    LLMGW_CHECK_ARG(r);
    r->done = true;
    return 0;
}

int llmgw_reply_error(llmgw_reply *r, int error_class, int http_status, const char *message)
{
    LLMGW_CHECK_ARG(r);
    if (r->has_error)
        return 0;       /* keep the first */
    r->has_error = true;
    r->err_class = (error_class > 0 && error_class < LLMGW_ERRCLASS__COUNT) ? error_class
                                                                           : LLMGW_ERRCLASS_SERVER_ERROR;
    r->err_http = http_status;
    snprintf(r->err_message, sizeof(r->err_message), "%s", message ? message : "error in stream");
    return 0;
}

int llmgw_reply_error_retry_after(llmgw_reply *r, int64_t retry_after_ms)
{
    LLMGW_CHECK_ARG(r);
    if (!r->has_error)
        return LLMGW_EINVAL;
    r->err_retry_after_ms = retry_after_ms >= 0 ? retry_after_ms : -1;
    return 0;
}
