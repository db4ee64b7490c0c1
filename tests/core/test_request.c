/*
 * tests/core/test_request.c: the canonical request: builder calls, the
 * exact OpenAI JSON they produce, llmgw_request_from_json() (what it accepts
 * and what it rejects, with a message naming the problem) and round trips.
 */
#include "unit.h"

#include <math.h>

#include "core/buf.h"
#include "core/json.h"
#include "core/request.h"

static void assert_json_is(const llmgw_request *req, const char *want)
{
    llmgw_buf b = LLMGW_BUF_INIT;

    assert_int_equal(llmgw_request_to_json(&b, req), 0);
    if (strcmp(b.ptr, want) != 0)
        fail_msg("request JSON\n got: %s\nwant: %s", b.ptr, want);
    llmgw_buf_dispose(&b);
}

/* from_json(to_json(req)) renders the same JSON and holds an equal body. */
static void assert_round_trip(const llmgw_request *req)
{
    llmgw_buf a = LLMGW_BUF_INIT, b = LLMGW_BUF_INIT;
    llmgw_request *back = NULL;

    assert_int_equal(llmgw_request_to_json(&a, req), 0);
    if (llmgw_request_from_json(&back, a.ptr, a.size) != 0)
        fail_msg("to_json output rejected: %s\n%s", llmgw_error_last()->message, a.ptr);
    assert_int_equal(llmgw_request_to_json(&b, back), 0);
    assert_string_equal(a.ptr, b.ptr);
    assert_true(cJSON_Compare(llmgw__request_body(req), llmgw__request_body(back), 1));
    llmgw_request_free(back);
    llmgw_buf_dispose(&a);
    llmgw_buf_dispose(&b);
}

static void test_builder_simple(void **state)
{
    llmgw_request *req = NULL;

    (void)state;
    assert_int_equal(llmgw_request_new(&req, "openai/gpt-4o-mini"), 0);
    assert_json_is(req, "{\"model\":\"openai/gpt-4o-mini\",\"messages\":[]}");
    assert_int_equal(llmgw_request_add_message(req, LLMGW_ROLE_SYSTEM, "Be terse."), 0);
    assert_int_equal(llmgw_request_add_message(req, LLMGW_ROLE_USER, "Hello"), 0);
    assert_int_equal(llmgw_request_set_max_tokens(req, 200), 0);
    assert_int_equal(llmgw_request_set_temperature(req, 0.5), 0);
    assert_json_is(req,
        "{\"model\":\"openai/gpt-4o-mini\",\"messages\":["
        "{\"role\":\"system\",\"content\":\"Be terse.\"},"
        "{\"role\":\"user\",\"content\":\"Hello\"}],"
        "\"max_tokens\":200,\"temperature\":0.5}");
    assert_int_equal(llmgw_request_message_count(req), 2);
    assert_string_equal(llmgw_request_model(req), "openai/gpt-4o-mini");
    assert_int_equal(llmgw__request_max_tokens(req), 200);
    assert_false(llmgw__request_has_tools(req));
    /* replacing keeps the member where it was */
    assert_int_equal(llmgw_request_set_temperature(req, 0), 0);
    assert_int_equal(llmgw_request_set_model(req, "smart"), 0);
    assert_string_equal(llmgw_request_model(req), "smart");
    assert_json_is(req,
        "{\"model\":\"smart\",\"messages\":["
        "{\"role\":\"system\",\"content\":\"Be terse.\"},"
        "{\"role\":\"user\",\"content\":\"Hello\"}],"
        "\"max_tokens\":200,\"temperature\":0}");
    assert_int_equal(llmgw_request_json(req) != NULL, 1);
    assert_int_equal(llmgw_json_type(llmgw_json_get(llmgw_request_json(req), "messages")), LLMGW_JSON_ARRAY);
    assert_round_trip(req);
    llmgw_request_free(req);
    llmgw_request_free(NULL);
    assert_null(llmgw_request_model(NULL));
    assert_int_equal(llmgw_request_message_count(NULL), 0);
    assert_null(llmgw_request_json(NULL));
}

static const char full_builder_json[] =
    "{\"model\":\"m\",\"messages\":["
    "{\"role\":\"developer\",\"content\":\"Be terse.\"},"
    "{\"role\":\"user\",\"content\":["
      "{\"type\":\"text\",\"text\":\"What is in this image?\"},"
      "{\"type\":\"image_url\",\"image_url\":{\"url\":\"https://example.com/cat.png\",\"detail\":\"high\"}},"
      "{\"type\":\"text\",\"text\":\"Answer briefly.\"},"
      "{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64,iVBORw0KGgo=\"}}]},"
    "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":["
      "{\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\"}},"
      "{\"id\":\"call_2\",\"type\":\"function\",\"function\":{\"name\":\"get_time\",\"arguments\":\"{}\"}}]},"
    "{\"role\":\"tool\",\"tool_call_id\":\"call_1\",\"content\":\"18C\"},"
    "{\"role\":\"tool\",\"tool_call_id\":\"call_2\",\"content\":\"noon\"}],"
    "\"tools\":["
      "{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"description\":\"Weather\","
        "\"parameters\":{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}}}}},"
      "{\"type\":\"function\",\"function\":{\"name\":\"get_time\",\"parameters\":{}}}],"
    "\"tool_choice\":\"required\",\"response_format\":{\"type\":\"json_object\"},"
    "\"stop\":[\"END\",\"STOP\"],\"seed\":-7,\"user\":\"u-1\",\"top_p\":1,"
    "\"frequency_penalty\":0.5,\"logit_bias\":{\"50256\":-100}}";

static llmgw_request *full_request(void)
{
    llmgw_request *req = NULL;

    assert_int_equal(llmgw_request_new(&req, "m"), 0);
    assert_int_equal(llmgw_request_add_message(req, LLMGW_ROLE_DEVELOPER, "Be terse."), 0);
    assert_int_equal(llmgw_request_add_message(req, LLMGW_ROLE_USER, "What is in this image?"), 0);
    assert_int_equal(llmgw_request_add_image_part(req, "https://example.com/cat.png", "high"), 0);
    assert_int_equal(llmgw_request_add_text_part(req, "Answer briefly."), 0);
    assert_int_equal(llmgw_request_add_image_part(req, "data:image/png;base64,iVBORw0KGgo=", NULL), 0);
    assert_int_equal(llmgw_request_add_message(req, LLMGW_ROLE_ASSISTANT, NULL), 0);
    assert_int_equal(llmgw_request_add_tool_call(req, "call_1", "get_weather", "{\"city\":\"Paris\"}"), 0);
    assert_int_equal(llmgw_request_add_tool_call(req, "call_2", "get_time", NULL), 0);
    assert_int_equal(llmgw_request_add_tool_result(req, "call_1", "18C"), 0);
    assert_int_equal(llmgw_request_add_tool_result(req, "call_2", "noon"), 0);
    assert_int_equal(llmgw_request_add_tool(req, "get_weather", "Weather",
        "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}}}"), 0);
    assert_int_equal(llmgw_request_add_tool(req, "get_time", NULL, NULL), 0);
    assert_int_equal(llmgw_request_set_tool_choice(req, "required"), 0);
    assert_int_equal(llmgw_request_set_response_format(req, LLMGW_FORMAT_JSON_OBJECT, NULL, NULL, 0), 0);
    assert_int_equal(llmgw_request_add_stop(req, "END"), 0);
    assert_int_equal(llmgw_request_add_stop(req, "STOP"), 0);
    assert_int_equal(llmgw_request_set_seed(req, -7), 0);
    assert_int_equal(llmgw_request_set_user(req, "u-1"), 0);
    assert_int_equal(llmgw_request_set_top_p(req, 1), 0);
    assert_int_equal(llmgw_request_set_param_json(req, "frequency_penalty", "0.5"), 0);
    assert_int_equal(llmgw_request_set_param_json(req, "logit_bias", "{\"50256\":-100}"), 0);
    /* caller metadata: never in the body */
    assert_int_equal(llmgw_request_set_customer(req, "acme"), 0);
    assert_int_equal(llmgw_request_add_tag(req, "t1"), 0);
    assert_int_equal(llmgw_request_add_tag(req, "t2"), 0);
    assert_int_equal(llmgw_request_set_metadata(req, "team", "search"), 0);
    assert_int_equal(llmgw_request_set_trace_id(req, "trace-1"), 0);
    assert_int_equal(llmgw_request_set_deadline_ms(req, 5000), 0);
    return req;
}

static void test_builder_full(void **state)
{
    llmgw_request *req = full_request();

    (void)state;
    assert_json_is(req, full_builder_json);
    assert_int_equal(llmgw_request_message_count(req), 5);
    assert_true(llmgw__request_has_tools(req));
    assert_string_equal(req->customer, "acme");
    assert_int_equal(req->tag_count, 2);
    assert_string_equal(req->tags[1], "t2");
    assert_string_equal(req->trace_id, "trace-1");
    assert_string_equal(llmgw__json_str(req->metadata, "team"), "search");
    assert_int_equal(req->deadline_ms, 5000);
    /* the public getters read the same */
    assert_string_equal(llmgw_request_customer(req), "acme");
    assert_string_equal(llmgw_request_trace_id(req), "trace-1");
    assert_int_equal(llmgw_request_tag_count(req), 2);
    assert_string_equal(llmgw_request_tag(req, 0), "t1");
    assert_null(llmgw_request_tag(req, 2));
    assert_string_equal(llmgw_request_metadata(req, "team"), "search");
    assert_null(llmgw_request_metadata(req, "nope"));
    {
        llmgw_buf b = LLMGW_BUF_INIT;
        assert_int_equal(llmgw_request_metadata_json(&b, req), 0);
        assert_string_equal(b.ptr, "{\"team\":\"search\"}");
        llmgw_buf_dispose(&b);
    }
    assert_round_trip(req);

    /* json_schema, a forced function, and removals */
    assert_int_equal(llmgw_request_set_response_format(req, LLMGW_FORMAT_JSON_SCHEMA, "answer",
                                                       "{\"type\":\"object\"}", 1), 0);
    assert_int_equal(llmgw_request_set_tool_choice_function(req, "get_weather"), 0);
    assert_int_equal(llmgw_request_set_param_json(req, "logit_bias", NULL), 0);
    assert_int_equal(llmgw_request_set_user(req, NULL), 0);
    assert_int_equal(llmgw_request_set_metadata(req, "team", NULL), 0);
    assert_null(llmgw__json_str(req->metadata, "team"));
    assert_null(llmgw_request_metadata(req, "team"));
    {
        llmgw_buf b = LLMGW_BUF_INIT;
        assert_int_equal(llmgw_request_metadata_json(&b, req), 0);
        assert_string_equal(b.ptr, "{}");
        llmgw_buf_dispose(&b);
    }
    {
        llmgw_buf b = LLMGW_BUF_INIT;
        assert_int_equal(llmgw_request_to_json(&b, req), 0);
        assert_contains(b.ptr, "\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"get_weather\"}},"
                               "\"response_format\":{\"type\":\"json_schema\",\"json_schema\":"
                               "{\"name\":\"answer\",\"strict\":true,\"schema\":{\"type\":\"object\"}}},");
        assert_null(strstr(b.ptr, "logit_bias"));
        assert_null(strstr(b.ptr, "\"user\":"));
        llmgw_buf_dispose(&b);
    }
    assert_round_trip(req);
    assert_int_equal(llmgw_request_set_response_format(req, LLMGW_FORMAT_TEXT, NULL, NULL, 0), 0);
    assert_null(cJSON_GetObjectItem(llmgw__request_body(req), "response_format"));
    llmgw_request_free(req);
}

static void test_builder_details(void **state)
{
    llmgw_request *req = NULL;

    (void)state;
    assert_int_equal(llmgw_request_new(&req, "m"), 0);
    /* a text message turned into parts keeps its text as the first part; "" is dropped */
    assert_int_equal(llmgw_request_add_message(req, LLMGW_ROLE_USER, ""), 0);
    assert_int_equal(llmgw_request_add_text_part(req, "a"), 0);
    /* one stop string stays an array when more come */
    assert_int_equal(llmgw_request_set_param_json(req, "stop", "\"X\""), 0);
    assert_int_equal(llmgw_request_add_stop(req, "Y"), 0);
    /* max_tokens replaces max_completion_tokens */
    assert_int_equal(llmgw_request_set_param_json(req, "max_completion_tokens", "50"), 0);
    assert_int_equal(llmgw__request_max_tokens(req), 50);
    assert_int_equal(llmgw_request_set_max_tokens(req, 1099511627775LL), 0);
    assert_int_equal(llmgw__request_max_tokens(req), 1099511627775LL);
    assert_int_equal(llmgw_request_set_seed(req, 999999999999999LL), 0);
    assert_json_is(req,
        "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"a\"}]}],"
        "\"stop\":[\"X\",\"Y\"],\"max_tokens\":1099511627775,\"seed\":999999999999999}");
    assert_round_trip(req);
    llmgw_request_free(req);
}

static void test_builder_rejects(void **state)
{
    llmgw_request *req = (llmgw_request *)(uintptr_t)1;
    char name129[130], model257[258];
    int i;

    (void)state;
    assert_fails_with(llmgw_request_new(&req, NULL), LLMGW_EINVAL, "'model' is NULL");
    assert_null(req);
    assert_fails_with(llmgw_request_new(NULL, "m"), LLMGW_EINVAL, "'out' is NULL");
    assert_fails_with(llmgw_request_new(&req, ""), LLMGW_EINVAL, "model is empty");
    assert_fails_with(llmgw_request_new(&req, "gpt\r\n4"), LLMGW_EINVAL, "model contains a control character");
    memset(model257, 'm', 257);
    model257[257] = '\0';
    assert_fails_with(llmgw_request_new(&req, model257), LLMGW_EINVAL, "model is longer than 256 bytes");
    assert_int_equal(llmgw_error_last()->error_class, LLMGW_ERRCLASS_BAD_REQUEST);

    assert_int_equal(llmgw_request_new(&req, "m"), 0);
    assert_fails_with(llmgw_request_set_model(req, "a\tb"), LLMGW_EINVAL, "control character");
    assert_fails_with(llmgw_request_set_model(req, NULL), LLMGW_EINVAL, "'model' is NULL");
    assert_fails_with(llmgw_request_add_text_part(req, "x"), LLMGW_EINVAL, "add a message before adding parts");
    assert_fails_with(llmgw_request_add_message(req, 9, "x"), LLMGW_EINVAL, "unknown role 9");
    assert_fails_with(llmgw_request_add_message(req, -1, "x"), LLMGW_EINVAL, "unknown role -1");
    assert_fails_with(llmgw_request_add_message(req, LLMGW_ROLE_TOOL, "x"), LLMGW_EINVAL,
                      "llmgw_request_add_tool_result()");
    assert_fails_with(llmgw_request_add_message(req, LLMGW_ROLE_USER, NULL), LLMGW_EINVAL,
                      "a user message needs text");
    assert_fails_with(llmgw_request_add_message(NULL, LLMGW_ROLE_USER, "x"), LLMGW_EINVAL, "'req' is NULL");
    assert_int_equal(llmgw_request_add_message(req, LLMGW_ROLE_USER, "hi"), 0);
    assert_fails_with(llmgw_request_add_image_part(req, "ftp://x/a.png", NULL), LLMGW_EINVAL,
                      "an image URL must be https://, http:// or data:");
    assert_fails_with(llmgw_request_add_image_part(req, "https://x/\na.png", NULL), LLMGW_EINVAL,
                      "control character");
    assert_fails_with(llmgw_request_add_image_part(req, "https://x/a.png", "max"), LLMGW_EINVAL,
                      "image detail must be auto, low or high");
    assert_fails_with(llmgw_request_add_tool_call(req, "c1", "f", "{}"), LLMGW_EINVAL,
                      "tool calls belong to an assistant message");
    assert_int_equal(llmgw_request_add_message(req, LLMGW_ROLE_ASSISTANT, NULL), 0);
    assert_fails_with(llmgw_request_add_tool_call(req, "c1", "get weather", "{}"), LLMGW_EINVAL,
                      "function name must match");
    assert_fails_with(llmgw_request_add_tool_call(req, "", "f", "{}"), LLMGW_EINVAL, "tool call id is empty");
    assert_fails_with(llmgw_request_add_tool_result(req, "", "x"), LLMGW_EINVAL, "tool_call_id is empty");
    assert_fails_with(llmgw_request_add_tool_result(req, "c1", NULL), LLMGW_EINVAL, "'content' is NULL");
    assert_int_equal(llmgw_request_add_tool_call(req, "c1", "f", "{}"), 0);

    assert_fails_with(llmgw_request_set_max_tokens(req, 0), LLMGW_EINVAL, "max_tokens must be in [1, 2^40)");
    assert_fails_with(llmgw_request_set_max_tokens(req, -1), LLMGW_EINVAL, "max_tokens");
    assert_fails_with(llmgw_request_set_max_tokens(req, 1099511627776LL), LLMGW_EINVAL, "max_tokens");
    assert_fails_with(llmgw_request_set_max_tokens(req, INT64_MIN), LLMGW_EINVAL, "max_tokens");
    assert_fails_with(llmgw_request_set_temperature(req, 2.01), LLMGW_EINVAL, "temperature must be in [0, 2]");
    assert_fails_with(llmgw_request_set_temperature(req, -0.01), LLMGW_EINVAL, "temperature");
    assert_fails_with(llmgw_request_set_temperature(req, NAN), LLMGW_EINVAL, "temperature");
    assert_fails_with(llmgw_request_set_temperature(req, INFINITY), LLMGW_EINVAL, "temperature");
    assert_fails_with(llmgw_request_set_top_p(req, 1.01), LLMGW_EINVAL, "top_p must be in [0, 1]");
    assert_fails_with(llmgw_request_add_stop(req, ""), LLMGW_EINVAL, "a stop sequence may not be empty");
    for (i = 0; i < 16; i++)
        assert_int_equal(llmgw_request_add_stop(req, "s"), 0);
    assert_fails_with(llmgw_request_add_stop(req, "s"), LLMGW_EINVAL, "more than 16 stop sequences");
    /* larger integers would not print exactly (cJSON keeps 15 digits) */
    assert_fails_with(llmgw_request_set_seed(req, 1000000000000000LL), LLMGW_EINVAL,
                      "seed must be in [-(10^15 - 1), 10^15 - 1]");
    assert_fails_with(llmgw_request_set_seed(req, 9007199254740991LL), LLMGW_EINVAL, "seed");
    assert_fails_with(llmgw_request_set_seed(req, -1000000000000000LL), LLMGW_EINVAL, "seed");
    assert_int_equal(llmgw_request_set_seed(req, -999999999999999LL), 0);

    memset(name129, 'f', 129);
    name129[129] = '\0';
    assert_fails_with(llmgw_request_add_tool(req, name129, NULL, NULL), LLMGW_EINVAL, "function name must match");
    name129[128] = '\0';
    assert_int_equal(llmgw_request_add_tool(req, name129, NULL, NULL), 0);
    assert_fails_with(llmgw_request_add_tool(req, "", NULL, NULL), LLMGW_EINVAL, "function name must match");
    assert_fails_with(llmgw_request_add_tool(req, "a/b", NULL, NULL), LLMGW_EINVAL, "function name must match");
    assert_fails_with(llmgw_request_add_tool(req, "f", NULL, "[1]"), LLMGW_EINVAL,
                      "tool parameters must be a JSON Schema object");
    assert_fails_with(llmgw_request_add_tool(req, "f", NULL, "{"), LLMGW_EINVAL, "invalid JSON");
    assert_fails_with(llmgw_request_set_tool_choice(req, "sometimes"), LLMGW_EINVAL,
                      "tool_choice must be auto, none or required");
    assert_fails_with(llmgw_request_set_tool_choice_function(req, "a b"), LLMGW_EINVAL, "function name must match");
    assert_fails_with(llmgw_request_set_response_format(req, 7, NULL, NULL, 0), LLMGW_EINVAL,
                      "unknown response format 7");
    assert_fails_with(llmgw_request_set_response_format(req, LLMGW_FORMAT_JSON_SCHEMA, NULL, "{}", 0),
                      LLMGW_EINVAL, "a JSON schema format needs a name");
    assert_fails_with(llmgw_request_set_response_format(req, LLMGW_FORMAT_JSON_SCHEMA, "n", "[1]", 0),
                      LLMGW_EINVAL, "the response schema must be a JSON object");
    assert_fails_with(llmgw_request_set_user(req, "a\rb"), LLMGW_EINVAL, "user contains a control character");

    assert_fails_with(llmgw_request_set_param_json(req, "model", "\"x\""), LLMGW_EINVAL,
                      "'model' cannot be set as a parameter");
    assert_fails_with(llmgw_request_set_param_json(req, "messages", "[]"), LLMGW_EINVAL, "cannot be set");
    assert_fails_with(llmgw_request_set_param_json(req, "stream", "true"), LLMGW_EINVAL, "cannot be set");
    assert_fails_with(llmgw_request_set_param_json(req, "llmgw", "{}"), LLMGW_EINVAL, "cannot be set");
    assert_fails_with(llmgw_request_set_param_json(req, "drop_params", "true"), LLMGW_EINVAL, "cannot be set");
    assert_fails_with(llmgw_request_set_param_json(req, "", "1"), LLMGW_EINVAL, "parameter name is empty");
    assert_fails_with(llmgw_request_set_param_json(req, "x", "{"), LLMGW_EINVAL, "invalid JSON");
    assert_fails_with(llmgw_request_set_param_json(req, "x", "\"a\\u0000b\""), LLMGW_EINVAL, "\\u0000");
    /* a value that makes the request invalid is refused and the old one kept */
    assert_int_equal(llmgw_request_set_max_tokens(req, 10), 0);
    assert_fails_with(llmgw_request_set_param_json(req, "max_tokens", "0"), LLMGW_EINVAL,
                      "\"max_tokens\" must be an integer");
    assert_int_equal(llmgw__request_max_tokens(req), 10);
    assert_fails_with(llmgw_request_set_param_json(req, "n", "2"), LLMGW_EINVAL, "\"n\" must be an integer in [1, 1]");
    assert_null(cJSON_GetObjectItem(llmgw__request_body(req), "n"));

    assert_fails_with(llmgw_request_set_customer(req, "a\nb"), LLMGW_EINVAL, "customer contains a control character");
    assert_fails_with(llmgw_request_add_tag(req, ""), LLMGW_EINVAL, "tag is empty");
    for (i = 0; i < 64; i++)
        assert_int_equal(llmgw_request_add_tag(req, "t"), 0);
    assert_fails_with(llmgw_request_add_tag(req, "t"), LLMGW_EINVAL, "more than 64 tags");
    assert_fails_with(llmgw_request_set_metadata(req, "", "v"), LLMGW_EINVAL, "metadata key is empty");
    assert_fails_with(llmgw_request_set_metadata(req, "k", "\x01"), LLMGW_EINVAL,
                      "metadata value contains a control character");
    assert_fails_with(llmgw_request_set_trace_id(req, "a\x7f"), LLMGW_EINVAL, "control character");
    assert_fails_with(llmgw_request_set_deadline_ms(req, -1), LLMGW_EINVAL, "deadline_ms must be >= 0");
    llmgw_request_free(req);
}

/* An OpenAI body with every member llmgw models, plus stream members and caller metadata. */
static const char full_body[] =
    "{\"model\":\"openai/gpt-4o\",\"stream\":true,\"stream_options\":{\"include_usage\":true},\"messages\":["
    "{\"role\":\"developer\",\"content\":\"Be terse.\"},"
    "{\"role\":\"system\",\"content\":[{\"type\":\"text\",\"text\":\"sys\"}]},"
    "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"What is in this image?\"},"
      "{\"type\":\"image_url\",\"image_url\":{\"url\":\"https://example.com/cat.png\",\"detail\":\"high\"}}]},"
    "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"call_1\",\"type\":\"function\","
      "\"function\":{\"name\":\"get_weather\",\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\"}}]},"
    "{\"role\":\"tool\",\"tool_call_id\":\"call_1\",\"content\":\"18C\"},"
    "{\"role\":\"assistant\",\"content\":\"It is 18C.\",\"name\":\"bot\"}],"
    "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"description\":\"Weather\","
      "\"parameters\":{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}},\"required\":[\"city\"]}}}],"
    "\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"get_weather\"}},"
    "\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"answer\",\"strict\":true,"
      "\"schema\":{\"type\":\"object\"}}},"
    "\"stop\":[\"END\",\"STOP\"],\"seed\":42,\"user\":\"u-123\",\"max_tokens\":100,\"temperature\":0.2,"
    "\"top_p\":0.9,\"n\":1,\"logit_bias\":{\"50256\":-100},\"frequency_penalty\":0.5,\"presence_penalty\":-2,"
    "\"parallel_tool_calls\":false,\"metadata\":{\"x\":\"y\"},\"reasoning_effort\":\"low\","
    "\"llmgw\":{\"customer\":\"acme\",\"tags\":[\"a\",\"b\"],\"trace_id\":\"t-1\",\"metadata\":{\"team\":\"x\"}}}";

static const char full_body_canonical[] =
    "{\"model\":\"openai/gpt-4o\",\"messages\":["
    "{\"role\":\"developer\",\"content\":\"Be terse.\"},"
    "{\"role\":\"system\",\"content\":[{\"type\":\"text\",\"text\":\"sys\"}]},"
    "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"What is in this image?\"},"
      "{\"type\":\"image_url\",\"image_url\":{\"url\":\"https://example.com/cat.png\",\"detail\":\"high\"}}]},"
    "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"call_1\",\"type\":\"function\","
      "\"function\":{\"name\":\"get_weather\",\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\"}}]},"
    "{\"role\":\"tool\",\"tool_call_id\":\"call_1\",\"content\":\"18C\"},"
    "{\"role\":\"assistant\",\"content\":\"It is 18C.\",\"name\":\"bot\"}],"
    "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"description\":\"Weather\","
      "\"parameters\":{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}},\"required\":[\"city\"]}}}],"
    "\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"get_weather\"}},"
    "\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"answer\",\"strict\":true,"
      "\"schema\":{\"type\":\"object\"}}},"
    "\"stop\":[\"END\",\"STOP\"],\"seed\":42,\"user\":\"u-123\",\"max_tokens\":100,\"temperature\":0.2,"
    "\"top_p\":0.9,\"n\":1,\"logit_bias\":{\"50256\":-100},\"frequency_penalty\":0.5,\"presence_penalty\":-2,"
    "\"parallel_tool_calls\":false,\"metadata\":{\"x\":\"y\"},\"reasoning_effort\":\"low\"}";

static void test_from_json_full(void **state)
{
    llmgw_request *req = NULL;

    (void)state;
    assert_int_equal(llmgw_request_from_json(&req, full_body, strlen(full_body)), 0);
    assert_json_is(req, full_body_canonical);
    assert_string_equal(llmgw_request_model(req), "openai/gpt-4o");
    assert_int_equal(llmgw_request_message_count(req), 6);
    assert_int_equal(llmgw__request_max_tokens(req), 100);
    assert_true(llmgw__request_has_tools(req));
    /* caller metadata came out of the body */
    assert_string_equal(req->customer, "acme");
    assert_string_equal(req->trace_id, "t-1");
    assert_int_equal(req->tag_count, 2);
    assert_string_equal(req->tags[0], "a");
    assert_string_equal(req->tags[1], "b");
    assert_string_equal(llmgw__json_str(req->metadata, "team"), "x");
    assert_null(cJSON_GetObjectItem(llmgw__request_body(req), "llmgw"));
    assert_null(cJSON_GetObjectItem(llmgw__request_body(req), "stream"));
    assert_null(cJSON_GetObjectItem(llmgw__request_body(req), "stream_options"));
    /* the public view sees the canonical body */
    assert_string_equal(llmgw_json_string(llmgw_json_get(llmgw_request_json(req), "reasoning_effort")), "low");
    assert_round_trip(req);
    llmgw_request_free(req);
}

static void test_from_json_variants(void **state)
{
    static const char *const ok[] = {
        "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"stop\":\"END\"}",
        "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
          "\"response_format\":{\"type\":\"json_object\"},\"tool_choice\":\"auto\"}",
        "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
          "\"response_format\":{\"type\":\"text\"},\"tool_choice\":\"none\",\"stop\":null,\"temperature\":null}",
        "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\","
          "\"image_url\":\"https://x/a.png\"}]}]}",
        "{\"model\":\"m\",\"messages\":[{\"role\":\"assistant\",\"content\":\"\",\"tool_calls\":[]}]}",
        "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
          "\"max_tokens\":1099511627775,\"max_completion_tokens\":1,\"temperature\":2,\"top_p\":0,"
          "\"seed\":-999999999999999}",
        "  {\"messages\":[],\"model\":\"m\"}\n",
        "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"line1\\nline2\\u0001\\u00e9\"}]}",
        "{\"model\":\"m\",\"messages\":[],\"llmgw\":{}}",
    };
    llmgw_request *req = NULL;
    size_t i;

    (void)state;
    for (i = 0; i < LLMGW_ARRAY_SIZE(ok); i++) {
        if (llmgw_request_from_json(&req, ok[i], strlen(ok[i])) != 0)
            fail_msg("case %zu rejected: %s", i, llmgw_error_last()->message);
        assert_round_trip(req);
        llmgw_request_free(req);
        req = NULL;
    }
    /* drop_params is a caller control, never part of the body */
    {
        static const char dp[] = "{\"model\":\"m\",\"drop_params\":true,\"messages\":[]}";
        assert_int_equal(llmgw_request_from_json(&req, dp, strlen(dp)), 0);
        assert_int_equal(llmgw_request_drop_params(req), 1);
        assert_json_is(req, "{\"model\":\"m\",\"messages\":[]}");
        llmgw_request_free(req);
        req = NULL;
        assert_int_equal(llmgw_request_new(&req, "m"), 0);
        assert_int_equal(llmgw_request_drop_params(req), 0);
        assert_int_equal(llmgw_request_set_drop_params(req, 5), 0);
        assert_int_equal(llmgw_request_drop_params(req), 1);
        assert_json_is(req, "{\"model\":\"m\",\"messages\":[]}");
        llmgw_request_free(req);
        req = NULL;
        assert_int_equal(llmgw_request_drop_params(NULL), 0);
    }
    /* the input need not be NUL-terminated */
    {
        char *p = unit_exact_copy(ok[0], strlen(ok[0]));
        assert_int_equal(llmgw_request_from_json(&req, p, strlen(ok[0])), 0);
        llmgw_request_free(req);
        free(p);
    }
}

static const struct { const char *body; const char *needle; } rejected[] = {
    { "not json", "invalid JSON" },
    { "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]", "invalid JSON" },
    { "{\"model\":\"m\",\"messages\":[]} {}", "trailing data" },
    { "[]", "the request must be a JSON object" },
    { "\"m\"", "the request must be a JSON object" },
    { "{\"messages\":[]}", "model is empty" },
    { "{\"model\":\"\",\"messages\":[]}", "model is empty" },
    { "{\"model\":5,\"messages\":[]}", "model" },
    { "{\"model\":\"gpt\\r4\",\"messages\":[]}", "model contains a control character" },
    { "{\"model\":\"gpt\\n4\",\"messages\":[]}", "model contains a control character" },
    { "{\"model\":\"gpt\\u0000-4\",\"messages\":[]}", "\\u0000" },
    { "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"a\\u0000b\"}]}", "\\u0000" },
    { "{\"model\":\"m\"}", "\"messages\" must be an array" },
    { "{\"model\":\"m\",\"messages\":{}}", "\"messages\" must be an array" },
    { "{\"model\":\"m\",\"messages\":[\"hi\"]}", "messages[0] must be an object" },
    { "{\"model\":\"m\",\"messages\":[{\"role\":\"robot\",\"content\":\"x\"}]}", "messages[0]: unknown role 'robot'" },
    { "{\"model\":\"m\",\"messages\":[{\"content\":\"x\"}]}", "unknown role '(none)'" },
    { "{\"model\":\"m\",\"messages\":[{\"role\":\"User\",\"content\":\"x\"}]}", "unknown role 'User'" },
    { "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"},{\"role\":\"user\",\"content\":42}]}",
      "messages[1]: \"content\" must be a string or an array of parts" },
    { "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":{\"text\":\"x\"}}]}",
      "\"content\" must be a string or an array of parts" },
    { "{\"model\":\"m\",\"messages\":[{\"role\":\"user\"}]}", "messages[0]: missing \"content\"" },
    { "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":null}]}", "missing \"content\"" },
    { "{\"model\":\"m\",\"messages\":[{\"role\":\"assistant\",\"content\":null}]}", "missing \"content\"" },
    { "{\"model\":\"m\",\"messages\":[{\"role\":\"tool\",\"content\":\"x\"}]}",
      "a tool message needs \"tool_call_id\"" },
    { "{\"model\":\"m\",\"messages\":[{\"role\":\"tool\",\"tool_call_id\":7,\"content\":\"x\"}]}",
      "a tool message needs \"tool_call_id\"" },
    { "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"video\"}]}]}",
      "messages[0].content[0]: unknown part type 'video'" },
    { "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":[\"x\"]}]}", "a part needs a string \"type\"" },
    { "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"a\"},{\"type\":\"text\"}]}]}",
      "messages[0].content[1]: a text part needs \"text\"" },
    { "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{}}]}]}",
      "image_url needs a \"url\"" },
    { "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\",\"tool_calls\":[]}]}",
      "only assistant messages carry tool_calls" },
    { "{\"model\":\"m\",\"messages\":[{\"role\":\"assistant\",\"content\":null,\"tool_calls\":{}}]}",
      "tool_calls must be an array" },
    { "{\"model\":\"m\",\"messages\":[{\"role\":\"assistant\",\"content\":null,\"tool_calls\":"
      "[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}]}]}",
      "messages[0].tool_calls[0]: missing \"id\"" },
    { "{\"model\":\"m\",\"messages\":[{\"role\":\"assistant\",\"content\":null,\"tool_calls\":"
      "[{\"id\":\"c\",\"function\":{\"arguments\":\"{}\"}}]}]}", "missing \"function.name\"" },
    { "{\"model\":\"m\",\"messages\":[{\"role\":\"assistant\",\"content\":null,\"tool_calls\":"
      "[{\"id\":\"c\",\"function\":{\"name\":\"f\",\"arguments\":{}}}]}]}",
      "\"function.arguments\" must be a string" },
    { "{\"model\":\"m\",\"messages\":[],\"temperature\":3}", "\"temperature\" must be a number in [0, 2]" },
    { "{\"model\":\"m\",\"messages\":[],\"temperature\":-0.1}", "\"temperature\" must be a number" },
    { "{\"model\":\"m\",\"messages\":[],\"temperature\":\"0.5\"}", "\"temperature\" must be a number" },
    { "{\"model\":\"m\",\"messages\":[],\"top_p\":1.5}", "\"top_p\" must be a number in [0, 1]" },
    { "{\"model\":\"m\",\"messages\":[],\"presence_penalty\":2.5}", "\"presence_penalty\" must be a number" },
    { "{\"model\":\"m\",\"messages\":[],\"frequency_penalty\":-3}", "\"frequency_penalty\" must be a number" },
    { "{\"model\":\"m\",\"messages\":[],\"max_tokens\":0}", "\"max_tokens\" must be an integer in [1, 1099511627775]" },
    { "{\"model\":\"m\",\"messages\":[],\"max_tokens\":-5}", "\"max_tokens\" must be an integer" },
    { "{\"model\":\"m\",\"messages\":[],\"max_tokens\":1099511627776}", "\"max_tokens\" must be an integer" },
    { "{\"model\":\"m\",\"messages\":[],\"max_tokens\":1.5}", "\"max_tokens\" must be an integer" },
    { "{\"model\":\"m\",\"messages\":[],\"max_tokens\":1e308}", "\"max_tokens\" must be an integer" },
    { "{\"model\":\"m\",\"messages\":[],\"max_tokens\":\"10\"}", "\"max_tokens\" must be an integer" },
    { "{\"model\":\"m\",\"messages\":[],\"max_completion_tokens\":0}", "\"max_completion_tokens\" must be an integer" },
    { "{\"model\":\"m\",\"messages\":[],\"n\":2}", "\"n\" must be an integer in [1, 1]" },
    { "{\"model\":\"m\",\"messages\":[],\"seed\":1.5}", "\"seed\" must be an integer" },
    { "{\"model\":\"m\",\"messages\":[],\"seed\":1000000000000000}", "\"seed\" must be an integer" },
    { "{\"model\":\"m\",\"messages\":[],\"seed\":9007199254740991}", "\"seed\" must be an integer" },
    { "{\"model\":\"m\",\"messages\":[],\"tools\":{}}", "\"tools\" must be an array" },
    { "{\"model\":\"m\",\"messages\":[],\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get weather\"}}]}",
      "tools[0]: function name must match [A-Za-z0-9_.-]{1,128}" },
    { "{\"model\":\"m\",\"messages\":[],\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"\"}}]}",
      "function name must match" },
    { "{\"model\":\"m\",\"messages\":[],\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"a/b\"}}]}",
      "function name must match" },
    { "{\"model\":\"m\",\"messages\":[],\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\\u00e9\"}}]}",
      "function name must match" },
    { "{\"model\":\"m\",\"messages\":[],\"tools\":[{\"type\":\"function\",\"function\":{}}]}",
      "function name must match" },
    { "{\"model\":\"m\",\"messages\":[],\"tools\":[{\"type\":\"retrieval\"}]}", "tools[0]: only type \"function\"" },
    { "{\"model\":\"m\",\"messages\":[],\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"parameters\":\"x\"}}]}",
      "\"parameters\" must be a JSON Schema object" },
    { "{\"model\":\"m\",\"messages\":[],\"tool_choice\":\"sometimes\"}",
      "\"tool_choice\" must be auto, none, required or a function" },
    { "{\"model\":\"m\",\"messages\":[],\"tool_choice\":{\"type\":\"function\"}}", "\"tool_choice\" object needs function.name" },
    { "{\"model\":\"m\",\"messages\":[],\"tool_choice\":3}", "tool_choice" },
    { "{\"model\":\"m\",\"messages\":[],\"response_format\":{\"type\":\"xml\"}}",
      "\"response_format.type\" must be text, json_object or json_schema" },
    { "{\"model\":\"m\",\"messages\":[],\"response_format\":{}}", "\"response_format\" needs a \"type\"" },
    { "{\"model\":\"m\",\"messages\":[],\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"schema\":{}}}}",
      "\"response_format.json_schema\" needs a \"name\"" },
    { "{\"model\":\"m\",\"messages\":[],\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"n\",\"schema\":[]}}}",
      "\"response_format.json_schema.schema\" must be an object" },
    { "{\"model\":\"m\",\"messages\":[],\"stop\":5}", "\"stop\" must be a string or an array of at most 16 strings" },
    { "{\"model\":\"m\",\"messages\":[],\"stop\":[\"a\",1]}", "\"stop\" must hold strings" },
    { "{\"model\":\"m\",\"messages\":[],\"stop\":[\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\",\"8\",\"9\",\"10\","
      "\"11\",\"12\",\"13\",\"14\",\"15\",\"16\",\"17\"]}", "\"stop\" must be a string or an array" },
    { "{\"model\":\"m\",\"messages\":[],\"user\":5}", "\"user\" must be a string" },
    { "{\"model\":\"m\",\"messages\":[],\"llmgw\":\"x\"}", "\"llmgw\" must be an object" },
    { "{\"model\":\"m\",\"messages\":[],\"llmgw\":{\"tags\":[1]}}", "\"llmgw.tags\" must hold strings" },
    { "{\"model\":\"m\",\"messages\":[],\"llmgw\":{\"tags\":\"a\"}}", "\"llmgw.tags\" must be an array" },
    { "{\"model\":\"m\",\"messages\":[],\"llmgw\":{\"metadata\":{\"a\":1}}}", "\"llmgw.metadata\" values must be strings" },
    { "{\"model\":\"m\",\"messages\":[],\"llmgw\":{\"metadata\":[\"a\"]}}", "\"llmgw.metadata\" must be an object" },
    { "{\"model\":\"m\",\"messages\":[],\"llmgw\":{\"customer\":\"a\\nb\"}}", "customer contains a control character" },
    { "{\"model\":\"m\",\"messages\":[],\"llmgw\":{\"customer\":5}}", "\"llmgw.customer\" must be a string" },
    { "{\"model\":\"m\",\"messages\":[],\"llmgw\":{\"trace_id\":[]}}", "\"llmgw.trace_id\" must be a string" },
};

static void test_from_json_rejects(void **state)
{
    llmgw_request *req = (llmgw_request *)(uintptr_t)1;
    size_t i;

    (void)state;
    for (i = 0; i < LLMGW_ARRAY_SIZE(rejected); i++) {
        int rc = llmgw_request_from_json(&req, rejected[i].body, strlen(rejected[i].body));
        if (rc != LLMGW_EINVAL)
            fail_msg("case %zu: rc %d for %s", i, rc, rejected[i].body);
        assert_null(req);
        assert_int_equal(llmgw_error_last()->code, LLMGW_EINVAL);
        assert_int_equal(llmgw_error_last()->error_class, LLMGW_ERRCLASS_BAD_REQUEST);
        if (strstr(llmgw_error_last()->message, rejected[i].needle) == NULL)
            fail_msg("case %zu: message \"%s\" does not name \"%s\"", i, llmgw_error_last()->message,
                     rejected[i].needle);
    }
    /* a raw NUL byte inside the body (len covers it) */
    {
        static const char raw_nul[] = "{\"model\":\"gpt\0-4\",\"messages\":[]}";
        assert_int_equal(llmgw_request_from_json(&req, raw_nul, sizeof(raw_nul) - 1), LLMGW_EINVAL);
        assert_null(req);
    }
    /* NULL arguments, empty input, every truncation of a valid body */
    assert_fails_with(llmgw_request_from_json(NULL, "{}", 2), LLMGW_EINVAL, "'out' is NULL");
    assert_fails_with(llmgw_request_from_json(&req, NULL, 2), LLMGW_EINVAL, "'json' is NULL");
    assert_fails_with(llmgw_request_from_json(&req, "{}", 0), LLMGW_EINVAL, "empty JSON");
    for (i = 1; i < sizeof(full_body) - 1; i++) {
        char *p = unit_exact_copy(full_body, i);
        int rc = llmgw_request_from_json(&req, p, i);
        free(p);
        if (rc != LLMGW_EINVAL)
            fail_msg("prefix of %zu bytes: rc %d", i, rc);
        assert_null(req);
    }
}

static void test_oom_paths(void **state)
{
    unsigned long n, k;
    llmgw_request *req = NULL;

    (void)state;
    /* count the allocations of a parse, then fail each one in turn */
    llmgw__alloc_fail_at(0, LLMGW__ALLOC_TRANSIENT);
    assert_int_equal(llmgw_request_from_json(&req, full_body, strlen(full_body)), 0);
    n = llmgw__alloc_count();
    llmgw_request_free(req);
    assert_true(n > 0);
    for (k = 1; k <= n; k++) {
        req = NULL;
        llmgw__alloc_fail_at(k, LLMGW__ALLOC_TRANSIENT);
        int rc = llmgw_request_from_json(&req, full_body, strlen(full_body));
        llmgw__alloc_fail_at(0, LLMGW__ALLOC_TRANSIENT);
        assert_int_equal(rc, LLMGW_ENOMEM);
        assert_null(req);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_builder_simple),
        cmocka_unit_test(test_builder_full),
        cmocka_unit_test(test_builder_details),
        cmocka_unit_test(test_builder_rejects),
        cmocka_unit_test(test_from_json_full),
        cmocka_unit_test(test_from_json_variants),
        cmocka_unit_test(test_from_json_rejects),
        cmocka_unit_test(test_oom_paths),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
