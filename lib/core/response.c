/*
 * lib/core/response.c: accessors and the OpenAI chat.completion rendering.
 */
#include "common.h"
#include "buf.h"
#include "errors.h"
#include "json.h"
#include "response.h"

int llmgw__response_alloc(llmgw_response **out)
{
    llmgw_response *r = llmgw__malloc(sizeof(*r));

    *out = r;
    if (r == NULL)
        return llmgw__error_oom();
    /* zero everything but the record's inline storage, which the arena hands out as used */
    memset(r, 0, offsetof(llmgw_response, rec) + offsetof(llmgw__record, inline_trail));
    llmgw__record_init(&r->rec);
    return 0;
}

int llmgw__response_take_answer(llmgw_response *r, llmgw__answer *a)
{
    size_t i;

    if (a->ncalls > 0) {
        r->calls = llmgw__calloc(a->ncalls, sizeof(*r->calls));
        if (r->calls == NULL)
            return llmgw__error_oom();
    }
    r->a = *a;
    memset(a, 0, sizeof(*a));
    r->created = r->rec.u.start_time_us / 1000000;
    for (i = 0; i < r->a.ncalls; i++) {
        r->calls[i].id = r->a.calls[i].id ? r->a.calls[i].id : "";
        r->calls[i].name = r->a.calls[i].name ? r->a.calls[i].name : "";
        r->calls[i].arguments = llmgw__buf_cstr(&r->a.calls[i].args);
        r->calls[i].arguments_len = r->a.calls[i].args.size;
    }
    return 0;
}

void llmgw_response_free(llmgw_response *resp)
{
    if (resp == NULL)
        return;
    llmgw__answer_dispose(&resp->a);
    llmgw__free(resp->calls);
    llmgw__record_dispose(&resp->rec);
    llmgw__free(resp);
}

const char *llmgw_response_text(const llmgw_response *resp)
{
    return resp ? llmgw__buf_cstr(&resp->a.text) : "";
}

size_t llmgw_response_text_len(const llmgw_response *resp)
{
    return resp ? resp->a.text.size : 0;
}

const char *llmgw_response_reasoning(const llmgw_response *resp)
{
    return resp ? llmgw__buf_cstr(&resp->a.reasoning) : "";
}

size_t llmgw_response_tool_call_count(const llmgw_response *resp)
{
    return resp ? resp->a.ncalls : 0;
}

const llmgw_tool_call *llmgw_response_tool_call(const llmgw_response *resp, size_t i)
{
    return resp && i < resp->a.ncalls ? &resp->calls[i] : NULL;
}

const char *llmgw_response_finish_reason(const llmgw_response *resp)
{
    return resp ? llmgw__finish_str(resp->a.finish, resp->a.finish_raw) : NULL;
}

const char *llmgw_response_finish_reason_raw(const llmgw_response *resp)
{
    return resp ? resp->a.finish_raw : NULL;
}

const char *llmgw_response_id(const llmgw_response *resp)
{
    return resp ? resp->a.id : NULL;
}

const char *llmgw_response_model(const llmgw_response *resp)
{
    return resp ? resp->rec.u.model : NULL;
}

const char *llmgw_response_provider(const llmgw_response *resp)
{
    return resp ? resp->rec.u.provider : NULL;
}

const char *llmgw_response_deployment(const llmgw_response *resp)
{
    return resp ? resp->rec.u.deployment : NULL;
}

const llmgw_usage *llmgw_response_usage(const llmgw_response *resp)
{
    static const llmgw_usage empty = { .version = LLMGW_USAGE_VERSION, .ttft_us = -1 };

    return resp ? &resp->rec.u : &empty;
}

size_t llmgw_response_attempt_count(const llmgw_response *resp)
{
    return resp ? resp->rec.u.attempts : 0;
}

const llmgw_attempt *llmgw_response_attempt(const llmgw_response *resp, size_t i)
{
    return resp && i < resp->rec.u.attempts ? &resp->rec.trail[i] : NULL;
}

int llmgw_response_cache_hit(const llmgw_response *resp)
{
    return resp ? resp->rec.u.cache_hit : 0;
}

static cJSON *message_json(const llmgw_response *r)
{
    cJSON *msg = cJSON_CreateObject(), *calls, *tc, *fn;
    size_t i;

    if (msg == NULL || llmgw__json_add_str(msg, "role", "assistant") < 0)
        goto oom;
    if (r->a.text.size > 0 || r->a.ncalls == 0) {
        if (llmgw__json_add_str(msg, "content", llmgw__buf_cstr(&r->a.text)) < 0)
            goto oom;
    } else if (llmgw__json_add_item(msg, "content", cJSON_CreateNull()) < 0) {
        goto oom;
    }
    if (r->a.reasoning.size > 0 &&
        llmgw__json_add_str(msg, "reasoning_content", llmgw__buf_cstr(&r->a.reasoning)) < 0)
        goto oom;
    if (r->a.ncalls == 0)
        return msg;
    calls = cJSON_CreateArray();
    if (llmgw__json_add_item(msg, "tool_calls", calls) < 0)
        goto oom;
    for (i = 0; i < r->a.ncalls; i++) {
        tc = cJSON_CreateObject();
        if (llmgw__json_append(calls, tc) < 0 ||
            llmgw__json_add_str(tc, "id", r->calls[i].id) < 0 ||
            llmgw__json_add_str(tc, "type", "function") < 0)
            goto oom;
        fn = cJSON_CreateObject();
        if (llmgw__json_add_item(tc, "function", fn) < 0 ||
            llmgw__json_add_str(fn, "name", r->calls[i].name) < 0 ||
            llmgw__json_add_str(fn, "arguments", r->calls[i].arguments) < 0)
            goto oom;
    }
    return msg;
oom:
    cJSON_Delete(msg);
    return NULL;
}

static cJSON *usage_json(const llmgw_usage *u)
{
    cJSON *o = cJSON_CreateObject(), *pd, *cd;

    if (o == NULL ||
        llmgw__json_add_num(o, "prompt_tokens", (double)u->input_tokens) < 0 ||
        llmgw__json_add_num(o, "completion_tokens", (double)u->output_tokens) < 0 ||
        llmgw__json_add_num(o, "total_tokens", (double)(u->input_tokens + u->output_tokens)) < 0)
        goto oom;
    pd = cJSON_CreateObject();
    if (llmgw__json_add_item(o, "prompt_tokens_details", pd) < 0 ||
        llmgw__json_add_num(pd, "cached_tokens", (double)u->cache_read_tokens) < 0)
        goto oom;
    if (u->cache_creation_tokens > 0 &&
        llmgw__json_add_num(pd, "cache_write_tokens", (double)u->cache_creation_tokens) < 0)
        goto oom;
    cd = cJSON_CreateObject();
    if (llmgw__json_add_item(o, "completion_tokens_details", cd) < 0 ||
        llmgw__json_add_num(cd, "reasoning_tokens", (double)u->reasoning_tokens) < 0)
        goto oom;
    return o;
oom:
    cJSON_Delete(o);
    return NULL;
}

int llmgw__response_json(cJSON **out, const llmgw_response *resp)
{
    cJSON *o = cJSON_CreateObject(), *choices, *choice;
    const char *finish = llmgw__finish_str(resp->a.finish, resp->a.finish_raw);
    const char *id = resp->a.id ? resp->a.id : resp->rec.u.request_id;

    *out = NULL;
    if (o == NULL ||
        llmgw__json_add_str(o, "id", id ? id : "") < 0 ||
        llmgw__json_add_str(o, "object", "chat.completion") < 0 ||
        llmgw__json_add_num(o, "created", (double)resp->created) < 0 ||
        llmgw__json_add_str(o, "model", resp->rec.u.model ? resp->rec.u.model : "") < 0)
        goto oom;
    choices = cJSON_CreateArray();
    if (llmgw__json_add_item(o, "choices", choices) < 0)
        goto oom;
    choice = cJSON_CreateObject();
    if (llmgw__json_append(choices, choice) < 0 ||
        llmgw__json_add_num(choice, "index", 0) < 0 ||
        llmgw__json_add_item(choice, "message", message_json(resp)) < 0 ||
        llmgw__json_add_item(choice, "logprobs", cJSON_CreateNull()) < 0 ||
        llmgw__json_add_item(choice, "finish_reason", finish ? cJSON_CreateString(finish)
                                                             : cJSON_CreateNull()) < 0 ||
        llmgw__json_add_item(o, "usage", usage_json(&resp->rec.u)) < 0)
        goto oom;
    *out = o;
    return 0;
oom:
    cJSON_Delete(o);
    return llmgw__error_oom();
}

int llmgw_response_to_json(llmgw_buf *out, const llmgw_response *resp)
{
    cJSON *o;
    int rc;

    LLMGW_CHECK_ARG(out);
    LLMGW_CHECK_ARG(resp);
    LLMGW_TRY(llmgw__response_json(&o, resp));
    rc = llmgw__json_print(out, o);
    cJSON_Delete(o);
    return rc;
}
