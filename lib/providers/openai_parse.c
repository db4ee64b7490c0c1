/*
 * lib/providers/openai_parse.c: OpenAI Chat Completions, the reply side, for
 * every OpenAI-shaped upstream (openai, azure, the compat family, mock):
 * bodies, stream events, usage and finish reasons (errors: openai_error.c).
 *
 * Tolerant of what the dialects add: unknown members are ignored (the
 * "obfuscation" of include_obfuscation, Azure's prompt_filter_results and
 * content_filter_results, Groq's x_groq, vLLM's stop_reason, llama.cpp's
 * timings), and chunks may have no choices (Azure's opening
 * prompt_filter_results chunk, the usage chunk). Decisions:
 *  - refusal (message.refusal, delta.refusal): the text stays out of the
 *    answer and the finish becomes content_filter with raw "refusal", the
 *    mapping Anthropic's stop_reason "refusal" gets.
 *  - finish_reason "error" (Mistral, OpenRouter): the generation failed, so
 *    the attempt fails as server_error instead of ending clean.
 *  - native_finish_reason (OpenRouter) is kept as the raw finish value.
 *  - errors inside a 2xx body or stream (openai_error.c), and an SSE
 *    `event: error` with or without the {"error":...} wrapper, end the attempt.
 *  - reasoning_content (DeepSeek) and reasoning (OpenRouter) are reasoning.
 */
#include "../core/common.h"
#include "../core/errors.h"
#include "../core/json.h"
#include "../core/reply.h"
#include "openai.h"

#define GET(obj, key) cJSON_GetObjectItemCaseSensitive((obj), (key))
#define IS(s, v) ((s) != NULL && strcmp((s), (v)) == 0)

int llmgw__openai_finish(const char *s)
{
    if (s == NULL)
        return LLMGW_FINISH_NONE;
    if (strcmp(s, "stop") == 0 || strcmp(s, "eos") == 0)
        return LLMGW_FINISH_STOP;
    if (strcmp(s, "length") == 0 || strcmp(s, "model_length") == 0)
        return LLMGW_FINISH_LENGTH;
    if (strcmp(s, "tool_calls") == 0 || strcmp(s, "function_call") == 0)
        return LLMGW_FINISH_TOOL_CALLS;
    if (strcmp(s, "content_filter") == 0)
        return LLMGW_FINISH_CONTENT_FILTER;
    return LLMGW_FINISH_OTHER;
}

/* ---- usage ---- */

static int bad_usage(void)
{
    return llmgw__error_setc(LLMGW_EUNAVAILABLE, LLMGW_ERRCLASS_SERVER_ERROR,
                             "implausible token counts in the upstream's usage");
}

/* A count member: absent or null is 0; present must be a valid count. */
static int count(const cJSON *obj, const char *key, uint64_t *out)
{
    const cJSON *it = GET(obj, key);

    *out = 0;
    if (it == NULL || cJSON_IsNull(it))
        return 0;
    return llmgw__json_token_count(it, out) == 0 ? 0 : bad_usage();
}

int llmgw__openai_usage(llmgw_token_counts *out, const cJSON *usage)
{
    const cJSON *pd = GET(usage, "prompt_tokens_details"), *cd = GET(usage, "completion_tokens_details");
    uint64_t hit = 0;

    memset(out, 0, sizeof(*out));
    if (!cJSON_IsObject(usage))
        return bad_usage();
    LLMGW_TRY(count(usage, "prompt_tokens", &out->input_tokens));
    LLMGW_TRY(count(usage, "completion_tokens", &out->output_tokens));
    if (cJSON_IsObject(pd)) {
        LLMGW_TRY(count(pd, "cached_tokens", &out->cache_read_tokens));
        LLMGW_TRY(count(pd, "cache_write_tokens", &out->cache_creation_tokens));
    }
    if (cJSON_IsObject(cd))
        LLMGW_TRY(count(cd, "reasoning_tokens", &out->reasoning_tokens));
    /* DeepSeek's own cache-hit field (prompt_tokens counts hits and misses) */
    LLMGW_TRY(count(usage, "prompt_cache_hit_tokens", &hit));
    if (hit > out->cache_read_tokens)
        out->cache_read_tokens = hit;
    if (out->cache_read_tokens + out->cache_creation_tokens > out->input_tokens ||
        out->reasoning_tokens > out->output_tokens)
        return bad_usage();
    return 0;
}

static int set_usage(llmgw_reply *out, const cJSON *usage)
{
    llmgw_token_counts c;

    if (usage == NULL || cJSON_IsNull(usage))
        return 0;
    LLMGW_TRY(llmgw__openai_usage(&c, usage));
    return llmgw_reply_set_usage(out, &c);
}

/* ---- answers ---- */

static int malformed(const char *what)
{
    return llmgw__error_setc(LLMGW_EUNAVAILABLE, LLMGW_ERRCLASS_SERVER_ERROR,
                             "malformed response from the upstream: %s", what);
}

/* content: a string, null, or an array of parts whose text parts are the answer. */
static int add_content(llmgw_reply *out, const cJSON *content)
{
    const cJSON *part;
    const char *s;

    if (cJSON_IsString(content))
        return content->valuestring[0] ? llmgw_reply_append_text(out, content->valuestring,
                                                                 strlen(content->valuestring)) : 0;
    if (content == NULL || cJSON_IsNull(content))
        return 0;
    if (!cJSON_IsArray(content))
        return malformed("content is neither a string nor an array of parts");
    cJSON_ArrayForEach(part, content)
        if (IS(llmgw__json_str(part, "type"), "text") && (s = llmgw__json_str(part, "text")) != NULL && *s)
            LLMGW_TRY(llmgw_reply_append_text(out, s, strlen(s)));
    return 0;
}

/* message or delta: reasoning, refusal, text and tool calls. */
static int add_message(llmgw_reply *out, const cJSON *m, bool stream, bool *refused)
{
    const cJSON *calls = GET(m, "tool_calls"), *tc, *fn, *idx;
    const char *s = llmgw__json_str(m, "reasoning_content"), *args;
    size_t pos = 0;
    uint64_t index;

    if (s == NULL)
        s = llmgw__json_str(m, "reasoning");
    if (s != NULL && *s)
        LLMGW_TRY(llmgw_reply_append_reasoning(out, s, strlen(s)));
    if ((s = llmgw__json_str(m, "refusal")) != NULL && *s)
        *refused = true;
    LLMGW_TRY(add_content(out, GET(m, "content")));
    cJSON_ArrayForEach(tc, calls) {
        fn = GET(tc, "function");
        args = llmgw__json_str(fn, "arguments");
        index = pos;
        idx = GET(tc, "index");
        if (stream && idx != NULL && llmgw__json_token_count(idx, &index) < 0)
            return malformed("tool call index");
        LLMGW_TRY(llmgw_reply_tool_call(out, (size_t)index, llmgw__json_str(tc, "id"), llmgw__json_str(fn, "name"),
                                        args ? args : "", args ? strlen(args) : 0));
        pos++;
    }
    return 0;
}

static bool refusal_finish(const llmgw_reply *out)
{
    return out->a.finish == LLMGW_FINISH_CONTENT_FILTER && IS(out->a.finish_raw, "refusal");
}

static int add_finish(llmgw_reply *out, const cJSON *choice, bool refused)
{
    const char *s = llmgw__json_str(choice, "finish_reason");
    const char *native = llmgw__json_str(choice, "native_finish_reason");
    int f;

    if (refused)
        LLMGW_TRY(llmgw_reply_set_finish(out, LLMGW_FINISH_CONTENT_FILTER, "refusal"));
    if (s == NULL)
        return 0;
    if (strcmp(s, "error") == 0)
        return llmgw_reply_error(out, LLMGW_ERRCLASS_SERVER_ERROR, 0,
                                 "the upstream ended the generation with finish_reason \"error\"");
    f = llmgw__openai_finish(s);
    if (f == LLMGW_FINISH_STOP && refusal_finish(out))
        return 0;
    return llmgw_reply_set_finish(out, f, native != NULL && *native ? native : s);
}

int llmgw__openai_parse_completion(llmgw_reply *out, const cJSON *root)
{
    const cJSON *choices, *c0, *msg;
    bool refused = false;
    int rc;

    if (!cJSON_IsObject(root))
        return malformed("not a JSON object");
    if ((rc = llmgw__openai_error_in(out, root)) != 0)
        return rc < 0 ? rc : 0;
    LLMGW_TRY(llmgw_reply_set_id(out, llmgw__json_str(root, "id")));
    LLMGW_TRY(llmgw_reply_set_model(out, llmgw__json_str(root, "model")));
    choices = GET(root, "choices");
    if (!cJSON_IsArray(choices) || (c0 = cJSON_GetArrayItem(choices, 0)) == NULL)
        return malformed("no choices");
    msg = GET(c0, "message");
    if (!cJSON_IsObject(msg))
        return malformed("choices[0].message missing");
    LLMGW_TRY(add_message(out, msg, false, &refused));
    LLMGW_TRY(add_finish(out, c0, refused));
    LLMGW_TRY(set_usage(out, GET(root, "usage")));
    return llmgw_reply_done(out);
}

int llmgw__openai_parse_response(llmgw_reply *out, void *state, const llmgw_http_response *in)
{
    size_t len;
    const char *body = llmgw_http_response_body(in, &len);
    cJSON *root;
    int rc;

    LLMGW_UNUSED(state);
    if (llmgw__openai_fast(out, body, len, false, &rc))
        return rc;              /* the plain answer, read without cJSON (openai_fast.c) */
    root = llmgw__json_parse(body, len, LLMGW_ERRCLASS_SERVER_ERROR);
    if (root == NULL)
        return llmgw__json_failure(LLMGW_EUNAVAILABLE);
    rc = llmgw__openai_parse_completion(out, root);
    cJSON_Delete(root);
    return rc;
}

int llmgw__openai_parse_chunk(llmgw_reply *out, const cJSON *root)
{
    const cJSON *c, *idx, *usage;
    const char *s;
    bool refused;
    int rc;

    if ((rc = llmgw__openai_error_in(out, root)) != 0)
        return rc < 0 ? rc : 0;
    if ((s = llmgw__json_str(root, "id")) != NULL && *s)
        LLMGW_TRY(llmgw_reply_set_id(out, s));
    if ((s = llmgw__json_str(root, "model")) != NULL && *s)
        LLMGW_TRY(llmgw_reply_set_model(out, s));
    cJSON_ArrayForEach(c, GET(root, "choices")) {
        idx = GET(c, "index");
        if (cJSON_IsNumber(idx) && idx->valuedouble != 0)
            continue;       /* n > 1 is never requested: other choices are ignored */
        refused = false;
        LLMGW_TRY(add_message(out, GET(c, "delta"), true, &refused));
        LLMGW_TRY(add_finish(out, c, refused));
    }
    /* usage counts even beside non-empty choices (Fireworks, Mistral; LiteLLM #36168) */
    usage = GET(root, "usage");
    if (usage == NULL || cJSON_IsNull(usage))
        usage = GET(GET(root, "x_groq"), "usage");
    return set_usage(out, usage);
}

int llmgw__openai_parse_stream_event(llmgw_reply *out, void *state, void *stream_state,
                                     const llmgw_stream_event *ev)
{
    bool error_event = ev->event_len == 5 && memcmp(ev->event, "error", 5) == 0;
    cJSON *root;
    int rc;

    LLMGW_UNUSED(state);
    LLMGW_UNUSED(stream_state);
    if (!error_event && ev->data_len == 6 && memcmp(ev->data, "[DONE]", 6) == 0)
        return llmgw_reply_done(out);
    if (!error_event && llmgw__openai_fast(out, ev->data, ev->data_len, true, &rc))
        return rc;
    root = llmgw__json_parse(ev->data, ev->data_len, LLMGW_ERRCLASS_SERVER_ERROR);
    if (root == NULL) {
        if (!error_event || llmgw__json_failure(0) == LLMGW_ENOMEM)
            return llmgw__json_failure(LLMGW_EUNAVAILABLE);
        return llmgw_reply_error(out, LLMGW_ERRCLASS_SERVER_ERROR, 0, "an error event in the stream");
    }
    if (error_event) {
        const cJSON *err = GET(root, "error");
        rc = llmgw__openai_embedded_error(out, err != NULL ? err : root, "an error event in the stream");
    } else {
        rc = llmgw__openai_parse_chunk(out, root);
    }
    cJSON_Delete(root);
    return rc;
}
