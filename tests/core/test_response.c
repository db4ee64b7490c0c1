/*
 * tests/core/test_response.c: the response object built from an answer and
 * a usage record, its accessors, llmgw_response_to_json() (OpenAI
 * chat.completion) and llmgw_usage_to_json() (docs/conventions.md §9).
 */
#include "unit.h"

#include "core/buf.h"
#include "core/response.h"

static void add_call(llmgw__answer *a, const char *id, const char *name, const char *args)
{
    llmgw__tool_call *c = llmgw__reallocarray(a->calls, a->ncalls + 1, sizeof(*c));

    assert_non_null(c);
    a->calls = c;
    c = &a->calls[a->ncalls++];
    memset(c, 0, sizeof(*c));
    c->id = id ? llmgw__strdup(id) : NULL;
    c->name = name ? llmgw__strdup(name) : NULL;
    assert_int_equal(llmgw__buf_puts(&c->args, args), 0);
}

/* Fill the record a response was allocated with. */
static void record_for(llmgw__record *rec, const char *model)
{
    assert_int_equal(llmgw__record_str(rec, &rec->u.request_id, "req-1"), 0);
    assert_int_equal(llmgw__record_str(rec, &rec->u.model, model), 0);
    assert_int_equal(llmgw__record_str(rec, &rec->u.provider, "openai"), 0);
    assert_int_equal(llmgw__record_str(rec, &rec->u.deployment, "dep-a"), 0);
    rec->u.start_time_us = 1700000000123456LL;
    rec->u.input_tokens = 100;
    rec->u.output_tokens = 50;
    rec->u.cache_read_tokens = 20;
    rec->u.reasoning_tokens = 10;
    rec->u.total_tokens = 150;
    rec->u.usage_known = 1;
}

static char *to_json(const llmgw_response *r)
{
    llmgw_buf b = LLMGW_BUF_INIT;

    assert_int_equal(llmgw_response_to_json(&b, r), 0);
    return llmgw__buf_detach(&b);
}

static void test_tool_calls_only(void **state)
{
    llmgw__answer a;
    llmgw_response *r = NULL;
    const llmgw_tool_call *tc;
    llmgw_attempt at;
    char *json;

    (void)state;
    memset(&a, 0, sizeof(a));
    add_call(&a, "call_1", "get_weather", "{\"city\":\"Paris\"}");
    add_call(&a, "call_2", "get_time", "{}");
    a.finish = LLMGW_FINISH_STOP;
    a.finish_raw = llmgw__strdup("stop");
    a.id = llmgw__strdup("chatcmpl-123");
    llmgw__answer_finalize(&a);
    assert_int_equal(a.finish, LLMGW_FINISH_TOOL_CALLS);

    assert_int_equal(llmgw__response_alloc(&r), 0);
    record_for(&r->rec, "gpt-4o-2024-08-06");
    memset(&at, 0, sizeof(at));
    at.deployment = "dep-a";
    at.provider = "openai";
    at.model = "gpt-4o";
    at.http_status = 200;
    at.retry_after_ms = -1;
    assert_int_equal(llmgw__record_add_attempt(&r->rec, &at, NULL), 0);
    assert_int_equal(llmgw__response_take_answer(r, &a), 0);
    /* the answer was taken */
    assert_int_equal(a.ncalls, 0);
    assert_null(a.calls);
    assert_null(a.id);

    assert_string_equal(llmgw_response_text(r), "");
    assert_int_equal(llmgw_response_text_len(r), 0);
    assert_string_equal(llmgw_response_reasoning(r), "");
    assert_int_equal(llmgw_response_tool_call_count(r), 2);
    tc = llmgw_response_tool_call(r, 0);
    assert_string_equal(tc->id, "call_1");
    assert_string_equal(tc->name, "get_weather");
    assert_string_equal(tc->arguments, "{\"city\":\"Paris\"}");
    assert_int_equal(tc->arguments_len, 16);
    assert_string_equal(llmgw_response_tool_call(r, 1)->name, "get_time");
    assert_null(llmgw_response_tool_call(r, 2));
    assert_string_equal(llmgw_response_finish_reason(r), "tool_calls");
    assert_string_equal(llmgw_response_finish_reason_raw(r), "stop");
    assert_string_equal(llmgw_response_id(r), "chatcmpl-123");
    assert_string_equal(llmgw_response_model(r), "gpt-4o-2024-08-06");
    assert_string_equal(llmgw_response_provider(r), "openai");
    assert_string_equal(llmgw_response_deployment(r), "dep-a");
    assert_int_equal(llmgw_response_usage(r)->input_tokens, 100);
    assert_string_equal(llmgw_response_usage(r)->operation, "chat");
    assert_int_equal(llmgw_response_attempt_count(r), 1);
    assert_int_equal(llmgw_response_attempt(r, 0)->http_status, 200);
    assert_string_equal(llmgw_response_attempt(r, 0)->model, "gpt-4o");
    assert_null(llmgw_response_attempt(r, 1));
    assert_int_equal(llmgw_response_cache_hit(r), 0);

    json = to_json(r);
    assert_string_equal(json,
        "{\"id\":\"chatcmpl-123\",\"object\":\"chat.completion\",\"created\":1700000000,"
        "\"model\":\"gpt-4o-2024-08-06\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
        "\"content\":null,\"tool_calls\":["
        "{\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"get_weather\","
        "\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\"}},"
        "{\"id\":\"call_2\",\"type\":\"function\",\"function\":{\"name\":\"get_time\",\"arguments\":\"{}\"}}]},"
        "\"logprobs\":null,\"finish_reason\":\"tool_calls\"}],"
        "\"usage\":{\"prompt_tokens\":100,\"completion_tokens\":50,\"total_tokens\":150,"
        "\"prompt_tokens_details\":{\"cached_tokens\":20},"
        "\"completion_tokens_details\":{\"reasoning_tokens\":10}}}");
    llmgw__free(json);
    llmgw_response_free(r);
}

static void test_text_answer(void **state)
{
    llmgw__answer a;
    llmgw_response *r = NULL;
    char *json;

    (void)state;
    memset(&a, 0, sizeof(a));
    assert_int_equal(llmgw__buf_puts(&a.text, "Hello \"world\"\n"), 0);
    assert_int_equal(llmgw__buf_puts(&a.reasoning, "thinking"), 0);
    a.finish = LLMGW_FINISH_LENGTH;
    llmgw__answer_finalize(&a);
    assert_int_equal(a.finish, LLMGW_FINISH_LENGTH);     /* no tool calls: unchanged */
    assert_int_equal(llmgw__response_alloc(&r), 0);
    record_for(&r->rec, "claude-sonnet-4-5");
    r->rec.u.cache_creation_tokens = 7;
    r->rec.u.cache_hit = 1;
    assert_int_equal(llmgw__response_take_answer(r, &a), 0);
    assert_string_equal(llmgw_response_text(r), "Hello \"world\"\n");
    assert_int_equal(llmgw_response_text_len(r), 14);
    assert_string_equal(llmgw_response_reasoning(r), "thinking");
    assert_int_equal(llmgw_response_tool_call_count(r), 0);
    assert_string_equal(llmgw_response_finish_reason(r), "length");
    assert_null(llmgw_response_finish_reason_raw(r));
    assert_null(llmgw_response_id(r));
    assert_int_equal(llmgw_response_cache_hit(r), 1);
    json = to_json(r);
    /* no provider id: the request id stands in */
    assert_string_equal(json,
        "{\"id\":\"req-1\",\"object\":\"chat.completion\",\"created\":1700000000,"
        "\"model\":\"claude-sonnet-4-5\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
        "\"content\":\"Hello \\\"world\\\"\\n\",\"reasoning_content\":\"thinking\"},"
        "\"logprobs\":null,\"finish_reason\":\"length\"}],"
        "\"usage\":{\"prompt_tokens\":100,\"completion_tokens\":50,\"total_tokens\":150,"
        "\"prompt_tokens_details\":{\"cached_tokens\":20,\"cache_write_tokens\":7},"
        "\"completion_tokens_details\":{\"reasoning_tokens\":10}}}");
    llmgw__free(json);
    llmgw_response_free(r);
}

static void test_empty_answer_and_null(void **state)
{
    llmgw__answer a;
    llmgw_response *r = NULL;
    char *json;
    llmgw_buf b = LLMGW_BUF_INIT;

    (void)state;
    memset(&a, 0, sizeof(a));
    assert_int_equal(llmgw__response_alloc(&r), 0);
    assert_int_equal(llmgw__response_take_answer(r, &a), 0);
    assert_null(llmgw_response_finish_reason(r));
    json = to_json(r);
    assert_string_equal(json,
        "{\"id\":\"\",\"object\":\"chat.completion\",\"created\":0,\"model\":\"\",\"choices\":[{\"index\":0,"
        "\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"logprobs\":null,\"finish_reason\":null}],"
        "\"usage\":{\"prompt_tokens\":0,\"completion_tokens\":0,\"total_tokens\":0,"
        "\"prompt_tokens_details\":{\"cached_tokens\":0},\"completion_tokens_details\":{\"reasoning_tokens\":0}}}");
    llmgw__free(json);
    llmgw_response_free(r);
    r = NULL;

    /* a NULL response is answered safely */
    assert_string_equal(llmgw_response_text(NULL), "");
    assert_int_equal(llmgw_response_text_len(NULL), 0);
    assert_string_equal(llmgw_response_reasoning(NULL), "");
    assert_int_equal(llmgw_response_tool_call_count(NULL), 0);
    assert_null(llmgw_response_tool_call(NULL, 0));
    assert_null(llmgw_response_finish_reason(NULL));
    assert_null(llmgw_response_id(NULL));
    assert_null(llmgw_response_model(NULL));
    assert_non_null(llmgw_response_usage(NULL));
    assert_int_equal(llmgw_response_usage(NULL)->version, LLMGW_USAGE_VERSION);
    assert_int_equal(llmgw_response_usage(NULL)->ttft_us, -1);
    assert_int_equal(llmgw_response_attempt_count(NULL), 0);
    assert_null(llmgw_response_attempt(NULL, 0));
    llmgw_response_free(NULL);
    assert_fails_with(llmgw_response_to_json(&b, NULL), LLMGW_EINVAL, "'resp' is NULL");
    assert_fails_with(llmgw_response_to_json(NULL, r), LLMGW_EINVAL, "'out' is NULL");
}

static void test_finish_strings(void **state)
{
    (void)state;
    assert_null(llmgw__finish_str(LLMGW_FINISH_NONE, "x"));
    assert_string_equal(llmgw__finish_str(LLMGW_FINISH_STOP, "end_turn"), "stop");
    assert_string_equal(llmgw__finish_str(LLMGW_FINISH_LENGTH, NULL), "length");
    assert_string_equal(llmgw__finish_str(LLMGW_FINISH_TOOL_CALLS, NULL), "tool_calls");
    assert_string_equal(llmgw__finish_str(LLMGW_FINISH_CONTENT_FILTER, NULL), "content_filter");
    assert_string_equal(llmgw__finish_str(LLMGW_FINISH_OTHER, "pause_turn"), "pause_turn");
    assert_null(llmgw__finish_str(99, "x"));
}

static void full_usage_record(llmgw__record *rec)
{
    llmgw_attempt a;
    static const char *const tags[] = { "t1", "t2" };

    llmgw__record_init(rec);
    assert_int_equal(llmgw__record_str(rec, &rec->u.request_id, "req-1"), 0);
    assert_int_equal(llmgw__record_str(rec, &rec->u.trace_id, "tr-1"), 0);
    assert_int_equal(llmgw__record_str(rec, &rec->u.model_requested, "smart"), 0);
    assert_int_equal(llmgw__record_str(rec, &rec->u.group, "smart"), 0);
    assert_int_equal(llmgw__record_str(rec, &rec->u.provider, "openai"), 0);
    assert_int_equal(llmgw__record_str(rec, &rec->u.model, "gpt-4o"), 0);
    assert_int_equal(llmgw__record_str(rec, &rec->u.response_id, "chatcmpl-1"), 0);
    assert_int_equal(llmgw__record_str(rec, &rec->u.deployment, "dep-a"), 0);
    assert_int_equal(llmgw__record_str(rec, &rec->u.api_base, "https://api.openai.com/v1"), 0);
    assert_int_equal(llmgw__record_str(rec, &rec->u.finish_reason, "stop"), 0);
    assert_int_equal(llmgw__record_str(rec, &rec->u.customer, "acme"), 0);
    rec->u.http_status = 200;
    rec->u.stream = 1;
    rec->u.cost_nusd = 1234567;
    rec->u.input_cost_nusd = 1000000;
    rec->u.output_cost_nusd = 234567;
    rec->u.cost_source = LLMGW_COST_COMPUTED;
    rec->u.start_time_us = 1700000000123456LL;
    rec->u.latency_us = 1500000;
    rec->u.ttft_us = 250500;
    rec->u.fallbacks = 1;
    rec->u.tags = tags;
    rec->u.tag_count = 2;

    memset(&a, 0, sizeof(a));
    a.deployment = "dep-b";
    a.provider = "anthropic";
    a.model = "claude";
    a.status = LLMGW_ERATELIMIT;
    a.error_class = LLMGW_ERRCLASS_RATE_LIMIT;
    a.http_status = 429;
    a.latency_us = 12500;
    a.retry_after_ms = 150;
    assert_int_equal(llmgw__record_add_attempt(rec, &a, NULL), 0);
    memset(&a, 0, sizeof(a));
    a.deployment = "dep-a";
    a.provider = "openai";
    a.model = "gpt-4o";
    a.http_status = 200;
    a.usage_known = 1;
    a.billed = 1;
    a.input_tokens = 100;
    a.output_tokens = 50;
    a.cache_read_tokens = 20;
    a.cache_creation_tokens = 5;
    a.reasoning_tokens = 10;
    a.cost_nusd = 1234567;
    a.cost_source = LLMGW_COST_COMPUTED;
    a.latency_us = 800000;
    a.wait_us = 250000;
    a.retry_after_ms = -1;
    assert_int_equal(llmgw__record_add_attempt(rec, &a, NULL), 0);
    llmgw__record_sum_tokens(rec);
}

static void test_usage_json(void **state)
{
    llmgw__record rec;
    llmgw_buf b = LLMGW_BUF_INIT;

    (void)state;
    full_usage_record(&rec);
    assert_int_equal(rec.u.attempts, 2);
    assert_int_equal(rec.u.usage_known, 1);
    assert_int_equal(rec.u.total_tokens, 150);
    assert_int_equal(llmgw_usage_to_json(&b, &rec.u), 0);
    assert_string_equal(b.ptr,
        "{\"request_id\":\"req-1\",\"trace_id\":\"tr-1\",\"operation\":\"chat\",\"model_requested\":\"smart\","
        "\"group\":\"smart\",\"provider\":\"openai\",\"model\":\"gpt-4o\",\"response_id\":\"chatcmpl-1\","
        "\"deployment_id\":\"dep-a\",\"api_base\":\"https://api.openai.com/v1\",\"status\":\"success\","
        "\"error_class\":null,\"http_status\":200,\"finish_reason\":\"stop\",\"stream\":true,\"usage_known\":true,"
        "\"input_tokens\":100,\"output_tokens\":50,\"cache_read_tokens\":20,\"cache_creation_tokens\":5,"
        "\"reasoning_tokens\":10,\"total_tokens\":150,\"cost_nano_usd\":1234567,\"input_cost_nano_usd\":1000000,"
        "\"output_cost_nano_usd\":234567,\"cost_usd\":0.001234567,\"cost_source\":\"computed\","
        "\"start_time\":\"2023-11-14T22:13:20.123Z\",\"latency_ms\":1500,\"ttft_ms\":250.5,\"cache_hit\":false,"
        "\"saved_cost_nano_usd\":0,\"attempts\":2,\"fallbacks\":1,\"customer\":\"acme\",\"route_rule\":null,\"trail\":["
        "{\"deployment\":\"dep-b\",\"provider\":\"anthropic\",\"model\":\"claude\",\"status\":\"failure\","
        "\"error_class\":\"rate_limit\",\"http_status\":429,\"usage_known\":false,\"billed\":false,"
        "\"input_tokens\":0,\"output_tokens\":0,\"cache_read_tokens\":0,\"cache_creation_tokens\":0,"
        "\"reasoning_tokens\":0,\"usage_estimated\":false,\"cost_nano_usd\":null,\"cost_source\":\"unknown\","
        "\"latency_ms\":12.5,\"wait_ms\":0,\"retry_after_ms\":150,\"group\":null,\"route_rule\":null},"
        "{\"deployment\":\"dep-a\",\"provider\":\"openai\",\"model\":\"gpt-4o\",\"status\":\"success\","
        "\"error_class\":null,\"http_status\":200,\"usage_known\":true,\"billed\":true,"
        "\"input_tokens\":100,\"output_tokens\":50,\"cache_read_tokens\":20,\"cache_creation_tokens\":5,"
        "\"reasoning_tokens\":10,\"usage_estimated\":false,\"cost_nano_usd\":1234567,\"cost_source\":\"computed\","
        "\"latency_ms\":800,\"wait_ms\":250,"
        "\"retry_after_ms\":null,\"group\":null,\"route_rule\":null}],\"tags\":[\"t1\",\"t2\"],\"metadata\":null}");
    llmgw_buf_dispose(&b);
    llmgw__record_dispose(&rec);
    llmgw__record_dispose(NULL);
}

static void test_usage_json_failure(void **state)
{
    llmgw__record rec;
    llmgw_buf b = LLMGW_BUF_INIT;
    cJSON *o;

    (void)state;
    llmgw__record_init(&rec);
    rec.u.status = LLMGW_EUNAVAILABLE;
    rec.u.error_class = LLMGW_ERRCLASS_STREAM_CUT;
    rec.u.cost_nusd = 0;
    rec.u.cost_source = LLMGW_COST_UNKNOWN;
    assert_int_equal(llmgw_usage_to_json(&b, &rec.u), 0);
    o = cJSON_Parse(b.ptr);
    assert_non_null(o);
    assert_string_equal(llmgw__json_str(o, "status"), "failure");
    assert_string_equal(llmgw__json_str(o, "error_class"), "stream_cut");
    /* unknown cost is null, never a silent 0 */
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(o, "cost_nano_usd")));
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(o, "input_cost_nano_usd")));
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(o, "output_cost_nano_usd")));
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(o, "cost_usd")));
    assert_string_equal(llmgw__json_str(o, "cost_source"), "unknown");
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(o, "ttft_ms")));
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(o, "customer")));
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(o, "request_id")));
    assert_string_equal(llmgw__json_str(o, "operation"), "chat");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(o, "trail")), 0);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(o, "tags")), 0);
    assert_string_equal(llmgw__json_str(o, "start_time"), "1970-01-01T00:00:00.000Z");
    cJSON_Delete(o);
    llmgw__buf_clear(&b);
    rec.u.cost_source = LLMGW_COST_ESTIMATED;
    rec.u.cost_nusd = 42;
    assert_int_equal(llmgw_usage_to_json(&b, &rec.u), 0);
    assert_contains(b.ptr, "\"cost_nano_usd\":42,");
    assert_contains(b.ptr, "\"cost_source\":\"estimated\"");
    llmgw_buf_dispose(&b);
    llmgw__record_dispose(&rec);
    assert_fails_with(llmgw_usage_to_json(&b, NULL), LLMGW_EINVAL, "'usage' is NULL");
}

static void test_record_trail_and_sums(void **state)
{
    llmgw__record rec;
    llmgw_attempt a, *slot = NULL;
    char dep[16];
    unsigned int i;

    (void)state;
    llmgw__record_init(&rec);
    memset(&a, 0, sizeof(a));
    for (i = 0; i < 9; i++) {            /* grows past the first capacity */
        snprintf(dep, sizeof(dep), "dep-%u", i);
        a.deployment = dep;
        a.usage_known = i % 3 != 0;      /* 1, 2, 4, 5, 7, 8 */
        a.input_tokens = 10 * i;
        a.output_tokens = i;
        a.cache_read_tokens = 1;
        assert_int_equal(llmgw__record_add_attempt(&rec, &a, &slot), 0);
        assert_ptr_equal(slot, &rec.trail[i]);
    }
    assert_int_equal(rec.u.attempts, 9);
    assert_ptr_equal(rec.u.trail, rec.trail);
    assert_string_equal(rec.trail[0].deployment, "dep-0");
    assert_string_equal(rec.trail[8].deployment, "dep-8");
    assert_null(rec.trail[8].provider);
    llmgw__record_sum_tokens(&rec);
    assert_int_equal(rec.u.usage_known, 1);
    assert_int_equal(rec.u.input_tokens, 10 * (1 + 2 + 4 + 5 + 7 + 8));
    assert_int_equal(rec.u.output_tokens, 1 + 2 + 4 + 5 + 7 + 8);
    assert_int_equal(rec.u.cache_read_tokens, 6);
    assert_int_equal(rec.u.total_tokens, 11 * 27);
    llmgw__record_dispose(&rec);

    llmgw__record_init(&rec);
    a.usage_known = 0;
    assert_int_equal(llmgw__record_add_attempt(&rec, &a, NULL), 0);
    llmgw__record_sum_tokens(&rec);
    assert_int_equal(rec.u.usage_known, 0);
    assert_int_equal(rec.u.input_tokens, 0);
    llmgw__record_dispose(&rec);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tool_calls_only),
        cmocka_unit_test(test_text_answer),
        cmocka_unit_test(test_empty_answer_and_null),
        cmocka_unit_test(test_finish_strings),
        cmocka_unit_test(test_usage_json),
        cmocka_unit_test(test_usage_json_failure),
        cmocka_unit_test(test_record_trail_and_sums),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
