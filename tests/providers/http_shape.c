/*
 * tests/providers/http_shape.c: the same prompt through every provider over
 * loopback HTTP (issue 3, "the same prompt through every provider yields the
 * same normalized response shape and usage record"). Each provider's lane
 * gets the same mock step (text, usage counts, tool calls), which its dialect
 * renders in that provider's wire format; the test asserts that the
 * normalized answers are identical: the OpenAI-shaped response
 * (llmgw_response_to_json: text, finish reason, tool calls with JSON-equal
 * arguments, usage in OpenAI's meaning), the raw finish reason each
 * provider's own vocabulary gives, the usage record (llmgw_usage_to_json:
 * same keys and types as OpenAI's, same values where they must agree), the
 * cost at equal custom prices, and for streams the event sequence (text
 * deltas concatenating to the same text, one usage callback, exactly one
 * terminal callback, tool calls reassembled). Legitimate differences are
 * the flags of shape_provs[] (shape_http.h), each asserted as stated.
 * Error classes per status are in http_shape_errors.c.
 */
#include "shape_http.h"

#define TEXT "A quick, sly, russet fox."
#define TEXT_REQ "{\"model\":\"%s\",\"max_tokens\":256,\"temperature\":0.5,\"stop\":[\"END\"],\"messages\":[" \
                 "{\"role\":\"system\",\"content\":\"You are terse.\"}," \
                 "{\"role\":\"user\",\"content\":\"Describe a fox in five words.\"}]}"
#define TOOLS "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"description\":" \
              "\"Current weather in a city\",\"parameters\":{\"type\":\"object\",\"properties\":{\"city\":" \
              "{\"type\":\"string\"},\"unit\":{\"type\":\"string\",\"enum\":[\"celsius\",\"fahrenheit\"]}," \
              "\"days\":{\"type\":\"array\",\"items\":{\"type\":\"integer\"}}},\"required\":[\"city\"]}}}," \
              "{\"type\":\"function\",\"function\":{\"name\":\"get_time\",\"description\":\"Local time in a " \
              "time zone\",\"parameters\":{\"type\":\"object\",\"properties\":{\"zone\":{\"type\":\"string\"}}," \
              "\"required\":[\"zone\"]}}}]"
#define TOOL_REQ "{\"model\":\"%s\",\"max_tokens\":256,\"messages\":[{\"role\":\"system\",\"content\":" \
                 "\"You are terse.\"},{\"role\":\"user\",\"content\":\"Weather and time in Paris?\"}]," TOOLS "}"
#define ARGS_W "{\"city\":\"Paris\",\"unit\":\"celsius\",\"days\":[1,2]}"
#define ARGS_T "{\"zone\":\"Europe/Paris\"}"
#define TOOL_STEP "{\"tool_calls\":[{\"id\":\"call_w1\",\"name\":\"get_weather\",\"arguments\":" ARGS_W "}," \
                  "{\"id\":\"call_t2\",\"name\":\"get_time\",\"arguments\":" ARGS_T "}]," SHAPE_USAGE "," \
                  SHAPE_QUIRKS "}"
#define RESULT_TEXT "It is 21 C and clear in Paris."
#define RESULT_REQ "{\"model\":\"%s\",\"max_tokens\":256,\"messages\":[{\"role\":\"system\",\"content\":" \
                   "\"You are terse.\"},{\"role\":\"user\",\"content\":\"Weather in Paris?\"}," \
                   "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"call_w1\",\"type\":" \
                   "\"function\",\"function\":{\"name\":\"get_weather\",\"arguments\":\"{\\\"city\\\":" \
                   "\\\"Paris\\\"}\"}}]},{\"role\":\"tool\",\"tool_call_id\":\"call_w1\",\"content\":" \
                   "\"{\\\"temp_c\\\":21,\\\"sky\\\":\\\"clear\\\"}\"}]," TOOLS "}"

enum { FIN_STOP, FIN_TOOL, FIN_LENGTH, FIN_FILTER };

typedef struct want_call { const char *id, *name, *args; } want_call;
static const want_call two_calls[] = { { "call_w1", "get_weather", ARGS_W }, { "call_t2", "get_time", ARGS_T } };

static const char *fin_str(int fin)
{
    static const char *const s[] = { "stop", "tool_calls", "length", "content_filter" };
    return s[fin];
}

static const char *fin_raw(const shape_prov *p, int fin)
{
    return fin == FIN_STOP ? p->raw_stop : fin == FIN_TOOL ? p->raw_tool : fin == FIN_LENGTH ? p->raw_length
                                                                                            : p->raw_filter;
}

/* The normalized answer every provider must give, without id, created and model (checked apart)
 * and with tool-call ids removed and arguments parsed (checked by check_calls). */
static cJSON *want_completion(const shape_prov *p, const char *text, int fin, size_t ncalls)
{
    char json[2048];
    int n;
    size_t i;

    n = snprintf(json, sizeof(json), "{\"object\":\"chat.completion\",\"choices\":[{\"index\":0,\"message\":"
                 "{\"role\":\"assistant\",\"content\":");
    if (text)
        n += snprintf(json + n, sizeof(json) - (size_t)n, "\"%s\"", text);
    else
        n += snprintf(json + n, sizeof(json) - (size_t)n, "null");
    if (ncalls) {
        n += snprintf(json + n, sizeof(json) - (size_t)n, ",\"tool_calls\":[");
        for (i = 0; i < ncalls; i++)
            n += snprintf(json + n, sizeof(json) - (size_t)n, "%s{\"type\":\"function\",\"function\":"
                          "{\"name\":\"%s\",\"arguments\":%s}}", i ? "," : "", two_calls[i].name, two_calls[i].args);
        n += snprintf(json + n, sizeof(json) - (size_t)n, "]");
    }
    snprintf(json + n, sizeof(json) - (size_t)n, "},\"logprobs\":null,\"finish_reason\":\"%s\"}],\"usage\":{"
             "\"prompt_tokens\":%d,\"completion_tokens\":%d,\"total_tokens\":%d,\"prompt_tokens_details\":"
             "{\"cached_tokens\":%d},\"completion_tokens_details\":{\"reasoning_tokens\":%d}}}", fin_str(fin),
             SHAPE_PROMPT, SHAPE_COMPL, SHAPE_PROMPT + SHAPE_COMPL, p->no_cache_read ? 0 : SHAPE_CACHED,
             p->no_reasoning ? 0 : SHAPE_REASONING);
    return cJSON_Parse(json);
}

/* A tool call's id: the upstream's, or (listed difference) one llmgw made, non-empty and unique. */
static void check_call_id(const shape_prov *p, const char *id, size_t i, const char *other)
{
    if (id == NULL || id[0] == '\0')
        fail_msg("%s: tool call %zu has no id", p->id, i);
    if (!p->tool_id_synthesized)
        assert_string_equal(id, two_calls[i].id);
    else if (other != NULL && strcmp(id, other) == 0)
        fail_msg("%s: synthesized tool-call ids repeat: %s", p->id, id);
}

/* The response in OpenAI's shape equals the wanted one; its raw finish reason is the provider's own. */
static void check_response(const shape_prov *p, const llmgw_response *r, const char *text, int fin, size_t ncalls)
{
    llmgw_buf b = LLMGW_BUF_INIT;
    cJSON *got, *want, *calls, *c, *fn, *args;
    const char *prev = NULL;
    size_t i = 0;

    assert_int_equal(llmgw_response_to_json(&b, r), 0);
    got = cJSON_Parse(b.ptr);
    llmgw_buf_dispose(&b);
    assert_non_null(got);
    if (!cJSON_IsString(cJSON_GetObjectItem(got, "id")) || !cJSON_GetObjectItem(got, "id")->valuestring[0])
        fail_msg("%s: no id in the normalized response", p->id);
    if (!cJSON_IsString(cJSON_GetObjectItem(got, "model")) || !cJSON_GetObjectItem(got, "model")->valuestring[0])
        fail_msg("%s: no model in the normalized response", p->id);
    assert_true(cJSON_IsNumber(cJSON_GetObjectItem(got, "created")));
    cJSON_DeleteItemFromObject(got, "id");
    cJSON_DeleteItemFromObject(got, "created");
    cJSON_DeleteItemFromObject(got, "model");
    calls = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(got, "choices"), 0),
                                                    "message"), "tool_calls");
    cJSON_ArrayForEach(c, calls) {
        const cJSON *id = cJSON_GetObjectItem(c, "id");
        check_call_id(p, cJSON_IsString(id) ? id->valuestring : NULL, i, prev);
        prev = llmgw_response_tool_call(r, i) ? llmgw_response_tool_call(r, i)->id : NULL;
        cJSON_DeleteItemFromObject(c, "id");
        fn = cJSON_GetObjectItem(c, "function");
        args = cJSON_Parse(cJSON_GetStringValue(cJSON_GetObjectItem(fn, "arguments")));
        if (args == NULL)
            fail_msg("%s: tool call %zu arguments are not JSON", p->id, i);
        cJSON_ReplaceItemInObject(fn, "arguments", args);
        i++;
    }
    want = want_completion(p, text, fin, ncalls);
    assert_non_null(want);
    shape_assert_json_equal("normalized response", p, got, want);
    cJSON_Delete(got);
    cJSON_Delete(want);
    assert_string_equal(llmgw_response_text(r), text ? text : "");
    assert_string_equal(llmgw_response_finish_reason(r), fin_str(fin));
    assert_string_equal(llmgw_response_finish_reason_raw(r), fin_raw(p, fin));
    if (p->no_response_id)
        assert_null(llmgw_response_id(r));
    else if (llmgw_response_id(r) == NULL || llmgw_response_id(r)[0] == '\0')
        fail_msg("%s: no response id", p->id);
}

/*
 * The usage record: like the reference (OpenAI's) in shape and in the values that must agree;
 * tokens in OpenAI's meaning, with this provider's listed differences; cost from the custom prices.
 */
static void check_record(const shape_prov *p, const cJSON *rec, const cJSON *ref, const llmgw_response *r,
                         int stream)
{
    static const char *const type_may_differ[] = { "response_id", NULL };
    const char *value_may_differ[24] = {
        /* per request, per deployment */
        "request_id", "model_requested", "group", "provider", "model", "response_id", "deployment_id",
        "deployment", "api_base", "start_time", "latency_ms", "wait_ms", "ttft_ms",
    };
    size_t n = 13;
    long long cached = p->no_cache_read ? 0 : SHAPE_CACHED, reasoning = p->no_reasoning ? 0 : SHAPE_REASONING;
    const cJSON *trail0 = cJSON_GetArrayItem(cJSON_GetObjectItem(rec, "trail"), 0);
    const cJSON *rid = cJSON_GetObjectItem(rec, "response_id");

    if (p->no_cache_read)
        value_may_differ[n++] = "cache_read_tokens";
    if (p->no_reasoning)
        value_may_differ[n++] = "reasoning_tokens";
    value_may_differ[n] = NULL;
    if (ref != NULL)
        shape_assert_record_like(p, rec, ref, type_may_differ, value_may_differ, "top level");
    /* the values themselves, top level and attempt alike */
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(rec, "provider")), p->id);
    if (p->no_response_id)
        assert_true(cJSON_IsNull(rid));
    else
        assert_string_equal(cJSON_GetStringValue(rid), llmgw_response_id(r));
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(rec, "status")), "success");
    assert_int_equal(cJSON_IsTrue(cJSON_GetObjectItem(rec, "stream")), stream);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(rec, "usage_known")));
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(trail0, "usage_known")));
    assert_int_equal(shape_num(rec, "input_tokens"), SHAPE_PROMPT);
    assert_int_equal(shape_num(rec, "output_tokens"), SHAPE_COMPL);
    assert_int_equal(shape_num(rec, "total_tokens"), SHAPE_PROMPT + SHAPE_COMPL);
    assert_int_equal(shape_num(rec, "cache_read_tokens"), cached);
    assert_int_equal(shape_num(rec, "reasoning_tokens"), reasoning);
    assert_int_equal(shape_num(rec, "cache_creation_tokens"), 0);
    assert_int_equal(shape_num(trail0, "input_tokens"), SHAPE_PROMPT);
    assert_int_equal(shape_num(trail0, "cache_read_tokens"), cached);
    assert_int_equal(shape_num(trail0, "reasoning_tokens"), reasoning);
    /* equal usage at equal prices: equal cost (cache reads and reasoning at the input and output rates) */
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(rec, "cost_source")), "computed");
    assert_int_equal(shape_num(rec, "cost_nano_usd"), SHAPE_PROMPT * SHAPE_IN_NUSD + SHAPE_COMPL * SHAPE_OUT_NUSD);
    assert_int_equal(shape_num(rec, "input_cost_nano_usd"), SHAPE_PROMPT * SHAPE_IN_NUSD);
    assert_int_equal(shape_num(rec, "output_cost_nano_usd"), SHAPE_COMPL * SHAPE_OUT_NUSD);
    assert_int_equal(shape_num(trail0, "cost_nano_usd"), SHAPE_PROMPT * SHAPE_IN_NUSD + SHAPE_COMPL * SHAPE_OUT_NUSD);
    /* the response's own usage is the record */
    assert_int_equal(llmgw_response_usage(r)->input_tokens, SHAPE_PROMPT);
    assert_int_equal(llmgw_response_usage(r)->cost_nusd, SHAPE_PROMPT * SHAPE_IN_NUSD + SHAPE_COMPL * SHAPE_OUT_NUSD);
}

/* Every needle is in the body of the lane's n-th request (a dialect-neutral check that the
 * prompt, the tools and the tool result reached the upstream). */
static void check_sent(shape *s, const shape_prov *p, int n, const char *const *needles)
{
    cJSON *all = itest_requests(&s->t, p->id);
    const char *body = cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(all, n), "body"));

    if (body == NULL)
        fail_msg("%s: no request %d recorded", p->id, n);
    for (; *needles; needles++)
        if (strstr(body, *needles) == NULL)
            fail_msg("%s: request %d lacks %s: %s", p->id, n, *needles, body);
    cJSON_Delete(all);
}

static llmgw_response *complete(shape *s, const shape_prov *p, const char *req_fmt, cJSON **rec)
{
    llmgw_request *req = shape_req(req_fmt, p);
    llmgw_response *r = NULL;
    int before = s->records, rc;

    rc = llmgw_complete(s->t.gw, req, &r);
    llmgw_request_free(req);
    if (rc != 0)
        fail_msg("%s: rc %d class %s: %s", p->id, rc, llmgw_error_class_str(llmgw_error_last()->error_class),
                 llmgw_error_last()->message);
    *rec = shape_take_record(s, before, p);
    return r;
}

/* A stream with its sequence checked: deltas, then one usage callback, then exactly one on_done. */
static llmgw_response *stream(shape *s, const shape_prov *p, const char *req_fmt, collect *c, cJSON **rec)
{
    llmgw_request *req = shape_req(req_fmt, p);
    llmgw_stream_sink sink;
    llmgw_response *r = NULL;
    int before = s->records, rc;

    collect_init(c);
    sink = collect_sink(c);
    rc = llmgw_complete_stream(s->t.gw, req, &sink, &r);
    llmgw_request_free(req);
    if (rc != 0)
        fail_msg("%s: stream rc %d class %s: %s", p->id, rc, llmgw_error_class_str(llmgw_error_last()->error_class),
                 llmgw_error_last()->message);
    if (c->done_calls != 1 || c->error_calls != 0 || !c->order_ok)
        fail_msg("%s: terminal callbacks: %d on_done, %d on_error, order %s", p->id, c->done_calls, c->error_calls,
                 c->order_ok ? "ok" : "broken");
    assert_int_equal(c->usage_calls, 1);
    assert_int_equal(c->usage_input, SHAPE_PROMPT);
    assert_int_equal(c->usage_output, SHAPE_COMPL);
    *rec = shape_take_record(s, before, p);
    return r;
}

static void test_text(void **state)
{
    static const char *const sent[] = { "You are terse.", "Describe a fox in five words.", "END", "256", NULL };
    cJSON *ref[4] = { NULL, NULL, NULL, NULL }, *rec;
    llmgw_response *r;
    shape s;
    size_t i;
    int fin, n;

    (void)state;
    shape_start(&s);
    shape_script_all(&s, "[{\"text\":\"" TEXT "\"," SHAPE_USAGE "," SHAPE_QUIRKS "},"
                         "{\"text\":\"" TEXT "\",\"finish_reason\":\"length\"," SHAPE_USAGE "," SHAPE_QUIRKS "},"
                         "{\"text\":\"" TEXT "\",\"finish_reason\":\"content_filter\"," SHAPE_USAGE "," SHAPE_QUIRKS "}]");
    for (i = 0; i < SHAPE_N; i++) {
        const shape_prov *p = &shape_provs[i];
        n = 0;
        for (fin = FIN_STOP; fin <= FIN_FILTER; fin++) {
            if (fin == FIN_TOOL || (fin == FIN_FILTER && p->no_content_filter))
                continue;
            r = complete(&s, p, TEXT_REQ, &rec);
            check_response(p, r, TEXT, fin, 0);
            check_record(p, rec, ref[fin], r, 0);
            check_sent(&s, p, n++, sent);
            llmgw_response_free(r);
            if (ref[fin] == NULL)
                ref[fin] = rec;
            else
                cJSON_Delete(rec);
        }
    }
    for (fin = 0; fin < 4; fin++)
        cJSON_Delete(ref[fin]);
    shape_stop(&s);
}

static void test_stream(void **state)
{
    cJSON *ref[4] = { NULL, NULL, NULL, NULL }, *rec;
    int ref_deltas = 0;
    llmgw_response *r;
    collect c;
    shape s;
    size_t i;
    int fin;

    (void)state;
    shape_start(&s);
    shape_script_all(&s, "[{\"text\":\"" TEXT "\"," SHAPE_USAGE "," SHAPE_QUIRKS "},"
                         "{\"text\":\"" TEXT "\",\"finish_reason\":\"length\"," SHAPE_USAGE "," SHAPE_QUIRKS "}]");
    for (i = 0; i < SHAPE_N; i++) {
        const shape_prov *p = &shape_provs[i];
        for (fin = FIN_STOP; fin <= FIN_LENGTH; fin += FIN_LENGTH - FIN_STOP) {
            r = stream(&s, p, TEXT_REQ, &c, &rec);
            /* the deltas concatenate to the text, one per word as the mock streams it */
            assert_string_equal(c.text, TEXT);
            if (ref_deltas == 0)
                ref_deltas = c.text_calls;
            if (c.text_calls != ref_deltas || ref_deltas < 2)
                fail_msg("%s: %d text deltas, reference %d", p->id, c.text_calls, ref_deltas);
            assert_int_equal(c.tool_calls, 0);
            assert_string_equal(c.done_finish, fin_str(fin));
            check_response(p, r, TEXT, fin, 0);
            check_record(p, rec, ref[fin], r, 1);
            assert_true(shape_num(rec, "ttft_ms") >= 0);
            llmgw_response_free(r);
            if (ref[fin] == NULL)
                ref[fin] = rec;
            else
                cJSON_Delete(rec);
        }
    }
    for (fin = 0; fin < 4; fin++)
        cJSON_Delete(ref[fin]);
    shape_stop(&s);
}

/* Two tool calls, non-streamed then streamed: names, JSON-equal arguments, ids, finish tool_calls. */
static void test_tool_call(void **state)
{
    static const char *const sent[] = { "get_weather", "get_time", "celsius", "Weather and time in Paris?", NULL };
    cJSON *ref[2] = { NULL, NULL }, *rec;
    llmgw_response *r;
    collect c;
    shape s;
    size_t i, k;
    int st;

    (void)state;
    shape_start(&s);
    shape_script_all(&s, "[" TOOL_STEP "," TOOL_STEP "]");
    for (i = 0; i < SHAPE_N; i++) {
        const shape_prov *p = &shape_provs[i];
        for (st = 0; st < 2; st++) {
            if (st == 0) {
                r = complete(&s, p, TOOL_REQ, &rec);
            } else {
                r = stream(&s, p, TOOL_REQ, &c, &rec);
                assert_int_equal(c.text_calls, 0);
                assert_string_equal(c.done_finish, "tool_calls");
                for (k = 0; k < 2; k++) {
                    assert_string_equal(c.tool_names[k], two_calls[k].name);
                    shape_assert_json_text("streamed tool arguments", p, c.tool_args[k], strlen(c.tool_args[k]),
                                           two_calls[k].args);
                    check_call_id(p, c.tool_ids[k], k, k ? c.tool_ids[0] : NULL);
                    /* the streamed id is the answer's id */
                    assert_string_equal(c.tool_ids[k], llmgw_response_tool_call(r, k)->id);
                }
                assert_true(c.tool_names[2][0] == '\0');
            }
            assert_int_equal(llmgw_response_tool_call_count(r), 2);
            check_response(p, r, NULL, FIN_TOOL, 2);
            check_record(p, rec, ref[st], r, st);
            check_sent(&s, p, st, sent);
            llmgw_response_free(r);
            if (ref[st] == NULL)
                ref[st] = rec;
            else
                cJSON_Delete(rec);
        }
    }
    cJSON_Delete(ref[0]);
    cJSON_Delete(ref[1]);
    shape_stop(&s);
}

/* The tool result sent back: every upstream receives it (its dialect validates the pairing:
 * Anthropic's tool_result, Bedrock's toolResult, Gemini's functionResponse by name) and answers. */
static void test_tool_result(void **state)
{
    static const char *const sent[] = { "temp_c", "clear", "get_weather", "Weather in Paris?", NULL };
    static const char *const sent_id[] = { "call_w1", NULL };
    cJSON *ref[2] = { NULL, NULL }, *rec;
    llmgw_response *r;
    collect c;
    shape s;
    size_t i;
    int st;

    (void)state;
    shape_start(&s);
    shape_script_all(&s, "[{\"text\":\"" RESULT_TEXT "\"," SHAPE_USAGE "," SHAPE_QUIRKS "},"
                         "{\"text\":\"" RESULT_TEXT "\"," SHAPE_USAGE "," SHAPE_QUIRKS "}]");
    for (i = 0; i < SHAPE_N; i++) {
        const shape_prov *p = &shape_provs[i];
        for (st = 0; st < 2; st++) {
            r = st ? stream(&s, p, RESULT_REQ, &c, &rec) : complete(&s, p, RESULT_REQ, &rec);
            if (st)
                assert_string_equal(c.text, RESULT_TEXT);
            check_response(p, r, RESULT_TEXT, FIN_STOP, 0);
            check_record(p, rec, ref[st], r, st);
            check_sent(&s, p, st, sent);
            /* Gemini matches results by name and order: its wire format has no call id */
            if (!p->tool_id_synthesized)
                check_sent(&s, p, st, sent_id);
            llmgw_response_free(r);
            if (ref[st] == NULL)
                ref[st] = rec;
            else
                cJSON_Delete(rec);
        }
    }
    cJSON_Delete(ref[0]);
    cJSON_Delete(ref[1]);
    shape_stop(&s);
}

/*
 * Cache writes: the providers whose usage has a cache-write count report 25 written and 40 read
 * of 120 input tokens, each in its own fields (rendered verbatim: the mock's step usage has no
 * cache-write member); input counts both, as OpenAI's prompt_tokens does. The others (no_cache_write)
 * have no such field to render.
 */
static void test_cache_write(void **state)
{
    static const char oai[] = "{\\\"prompt_tokens\\\":120,\\\"completion_tokens\\\":30,\\\"total_tokens\\\":150,"
                              "\\\"prompt_tokens_details\\\":{\\\"cached_tokens\\\":40,\\\"cache_write_tokens\\\":25},"
                              "\\\"completion_tokens_details\\\":{\\\"reasoning_tokens\\\":10}}";
    static const char ant[] = "{\\\"input_tokens\\\":55,\\\"cache_creation_input_tokens\\\":25,"
                              "\\\"cache_read_input_tokens\\\":40,\\\"output_tokens\\\":30,"
                              "\\\"output_tokens_details\\\":{\\\"thinking_tokens\\\":10}}";
    static const char br[] = "{\\\"inputTokens\\\":55,\\\"outputTokens\\\":30,\\\"totalTokens\\\":150,"
                             "\\\"cacheReadInputTokens\\\":40,\\\"cacheWriteInputTokens\\\":25}";
    char script[2048];
    const llmgw_usage *u;
    llmgw_response *r;
    llmgw_buf b = LLMGW_BUF_INIT;
    cJSON *rec, *j;
    collect c;
    shape s;
    size_t i;
    int st, checked = 0;

    (void)state;
    shape_start(&s);
    for (i = 0; i < SHAPE_N; i++) {
        const shape_prov *p = &shape_provs[i];
        const char *raw = strcmp(p->id, "anthropic") == 0 ? ant : strcmp(p->id, "bedrock") == 0 ? br : oai;
        if (p->no_cache_write)
            continue;
        snprintf(script, sizeof(script), "[{\"text\":\"" TEXT "\"," SHAPE_USAGE ",\"usage_raw\":\"%s\"," SHAPE_QUIRKS
                 "},{\"text\":\"" TEXT "\"," SHAPE_USAGE ",\"usage_raw\":\"%s\"," SHAPE_QUIRKS "}]", raw, raw);
        itest_script(&s.t, p->id, script);
        for (st = 0; st < 2; st++) {
            r = st ? stream(&s, p, TEXT_REQ, &c, &rec) : complete(&s, p, TEXT_REQ, &rec);
            u = llmgw_response_usage(r);
            if (u->input_tokens != SHAPE_PROMPT || u->cache_read_tokens != SHAPE_CACHED ||
                u->cache_creation_tokens != 25 || u->output_tokens != SHAPE_COMPL)
                fail_msg("%s%s: input %llu cache read %llu write %llu output %llu", p->id, st ? " stream" : "",
                         (unsigned long long)u->input_tokens, (unsigned long long)u->cache_read_tokens,
                         (unsigned long long)u->cache_creation_tokens, (unsigned long long)u->output_tokens);
            assert_int_equal(shape_num(rec, "cache_creation_tokens"), 25);
            assert_int_equal(shape_num(rec, "cost_nano_usd"), SHAPE_PROMPT * SHAPE_IN_NUSD + SHAPE_COMPL * SHAPE_OUT_NUSD);
            assert_int_equal(llmgw_response_to_json(&b, r), 0);
            j = cJSON_Parse(b.ptr);
            llmgw_buf_dispose(&b);
            assert_int_equal(shape_num(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "usage"), "prompt_tokens_details"),
                                       "cache_write_tokens"), 25);
            assert_int_equal(shape_num(cJSON_GetObjectItem(j, "usage"), "prompt_tokens"), SHAPE_PROMPT);
            cJSON_Delete(j);
            cJSON_Delete(rec);
            llmgw_response_free(r);
            checked++;
        }
    }
    assert_true(checked >= 2 * 3);
    shape_stop(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text),
        cmocka_unit_test(test_stream),
        cmocka_unit_test(test_tool_call),
        cmocka_unit_test(test_tool_result),
        cmocka_unit_test(test_cache_write),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
