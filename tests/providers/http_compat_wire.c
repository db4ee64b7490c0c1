/*
 * tests/providers/http_compat_wire.c: every member of the OpenAI-compatible
 * family (lib/providers/compat.c) over loopback HTTP, each the same way: a
 * tool call answered (non-streamed and streamed, arguments reassembled from
 * fragments), a tool result sent back, a text stream with its usage, and
 * each quirk of the member's table entry asserted on the request the mock
 * received, together with its absence on the members that do not have it:
 * developer sent as system, stream_options (never for Mistral and
 * Fireworks), max_completion_tokens as max_tokens and seed as random_seed
 * (Mistral), messages[].name refused (Groq, Mistral), refused members (Groq,
 * Mistral) and drop_params, text-only content (DeepSeek),
 * context_length_exceeded_behavior (Fireworks), no key for local servers.
 * Then the reply-side quirks http_compat.c does not cover (Mistral's finish
 * "error", OpenRouter's native_finish_reason). http_compat.c has each
 * member's error shapes.
 */
#include "oai_http.h"

#define KEY "sk-wire-SECRET-0123"
#define LANE "m"

enum {
    Q_NO_STREAM_OPTIONS = 1 << 0,   /* usage comes on the finish chunk without opt-in */
    Q_MAX_TOKENS        = 1 << 1,   /* max_completion_tokens is sent as max_tokens */
    Q_RANDOM_SEED       = 1 << 2,   /* seed is sent as random_seed */
    Q_NO_NAME           = 1 << 3,   /* messages[].name is refused */
    Q_CONTEXT_ERROR     = 1 << 4,   /* context_length_exceeded_behavior "error" unless set */
    Q_TEXT_ONLY         = 1 << 5,   /* non-text content parts are refused */
};

/* A refused member and a value to send it with. */
typedef struct refused { const char *name, *value; } refused;

static const refused groq_refused[] = {
    { "logprobs", "true" }, { "logit_bias", "{\"1734\":-100}" }, { "top_logprobs", "2" }, { NULL, NULL },
};
static const refused mistral_refused[] = {
    { "logprobs", "true" }, { "top_logprobs", "2" }, { "logit_bias", "{\"1734\":-100}" }, { "user", "\"u-42\"" },
    { "service_tier", "\"auto\"" }, { "store", "true" }, { "metadata", "{\"team\":\"a\"}" },
    { "modalities", "[\"text\"]" }, { "audio", "{\"voice\":\"alloy\",\"format\":\"wav\"}" },
    { "web_search_options", "{}" }, { "reasoning_effort", "\"low\"" }, { NULL, NULL },
};

typedef struct member {
    const char     *id, *model, *wire_model, *path;
    int             no_key;         /* a local server: configured without a key */
    unsigned int    quirks;
    const refused  *refused;
} member;

static const member members[] = {
    { "groq", "groq/llama-3.3-70b-versatile", "llama-3.3-70b-versatile", "/openai/v1", 0, Q_NO_NAME,
      groq_refused },
    { "mistral", "mistral/mistral-large-latest", "mistral-large-latest", "/v1", 0,
      Q_NO_STREAM_OPTIONS | Q_MAX_TOKENS | Q_RANDOM_SEED | Q_NO_NAME, mistral_refused },
    /* DeepSeek's documented base has no /v1 */
    { "deepseek", "deepseek/deepseek-chat", "deepseek-chat", "", 0, Q_TEXT_ONLY, NULL },
    { "together", "together/meta-llama/Llama-3.3-70B-Instruct-Turbo", "meta-llama/Llama-3.3-70B-Instruct-Turbo",
      "/v1", 0, 0, NULL },
    { "openrouter", "openrouter/anthropic/claude-sonnet-4.5", "anthropic/claude-sonnet-4.5", "/api/v1", 0, 0, NULL },
    { "fireworks", "fireworks/accounts/fireworks/models/llama-v3p1-8b-instruct",
      "accounts/fireworks/models/llama-v3p1-8b-instruct", "/inference/v1", 0,
      Q_NO_STREAM_OPTIONS | Q_CONTEXT_ERROR, NULL },
    { "xai", "xai/grok-4", "grok-4", "/v1", 0, 0, NULL },
    { "vllm", "vllm/meta-llama/Llama-3.1-8B-Instruct", "meta-llama/Llama-3.1-8B-Instruct", "/v1", 1, 0, NULL },
    { "llamacpp", "llamacpp/local", "local", "/v1", 1, 0, NULL },
    { "lmstudio", "lmstudio/qwen2.5-7b-instruct", "qwen2.5-7b-instruct", "/v1", 1, 0, NULL },
};

#define TOOLS "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"description\":\"Weather\"," \
              "\"parameters\":{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"},\"days\":" \
              "{\"type\":\"integer\"}},\"required\":[\"city\"]}}}],\"tool_choice\":\"auto\""
#define TOOL_REQ "{\"model\":\"g\",\"messages\":[{\"role\":\"developer\",\"content\":\"Use tools.\"}," \
                 "{\"role\":\"user\",\"content\":\"Weather in Paris?\"}]," TOOLS "}"
#define ARGS "{\"city\":\"Paris, \\\"Île-de-France\\\"\",\"days\":3,\"hours\":[6,12,18]}"
/* the step's arguments: an object, streamed by the mock in fragments of about 8 bytes */
#define TOOL_STEP "{\"auth_optional\":true,\"usage_on_finish\":true,\"tool_calls\":[{\"id\":\"call_abc\"," \
                  "\"name\":\"get_weather\",\"arguments\":" ARGS "}],\"usage\":{\"prompt_tokens\":21," \
                  "\"completion_tokens\":9}}"
#define RESULT_REQ "{\"model\":\"g\",\"messages\":[{\"role\":\"user\",\"content\":\"Weather in Paris?\"}," \
                   "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"call_abc\",\"type\":" \
                   "\"function\",\"function\":{\"name\":\"get_weather\",\"arguments\":\"{\\\"city\\\":" \
                   "\\\"Paris\\\"}\"}}]},{\"role\":\"tool\",\"tool_call_id\":\"call_abc\",\"content\":" \
                   "\"{\\\"temp_c\\\":21}\"}]," TOOLS "}"

static void start(itest *t, const member *m)
{
    char base[128];

    oh_start(t, 1);
    snprintf(base, sizeof(base), "/lane/" LANE "%s", m->path);
    oh_add_ok(t, "g", m->model, base, m->no_key ? NULL : KEY, NULL);
}

/* The lane's last request: its body parsed (cJSON_Delete it), after checking path, key and model. */
static cJSON *last_sent(itest *t, const member *m, int stream)
{
    char want_path[64];
    const cJSON *rq;
    cJSON *all, *body;
    const char *auth;

    all = itest_requests(t, LANE);
    rq = cJSON_GetArrayItem(all, cJSON_GetArraySize(all) - 1);
    if (rq == NULL)
        fail_msg("%s: nothing sent", m->id);
    snprintf(want_path, sizeof(want_path), "%s/chat/completions", m->path);
    assert_string_equal(oh_str(rq, "path"), want_path);
    auth = oh_header(rq, "authorization");
    if (m->no_key)
        assert_null(auth);
    else
        assert_string_equal(auth, "Bearer " KEY);
    assert_string_equal(oh_header(rq, "content-type"), "application/json");
    if (stream)
        assert_string_equal(oh_header(rq, "accept"), "text/event-stream");
    body = oh_body(rq);
    cJSON_Delete(all);
    assert_string_equal(oh_str(body, "model"), m->wire_model);
    return body;
}

/* stream and stream_options as the member wants them. */
static void check_stream_members(const member *m, const cJSON *body, int stream)
{
    const cJSON *so = cJSON_GetObjectItemCaseSensitive(body, "stream_options");

    if (!stream) {
        assert_null(cJSON_GetObjectItemCaseSensitive(body, "stream"));
        assert_null(so);
        return;
    }
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(body, "stream")));
    if (m->quirks & Q_NO_STREAM_OPTIONS)
        assert_null(so);
    else
        assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(so, "include_usage")));
}

/* The request as sent: developer as system, the tools and tool_choice as given. */
static void check_tool_request(const member *m, const cJSON *body, int stream)
{
    const cJSON *msgs = cJSON_GetObjectItemCaseSensitive(body, "messages");
    const cJSON *tools = cJSON_GetObjectItemCaseSensitive(body, "tools");
    cJSON *want = cJSON_Parse("{" TOOLS "}");

    assert_non_null(want);
    assert_int_equal(cJSON_GetArraySize(msgs), 2);
    assert_string_equal(oh_str(cJSON_GetArrayItem(msgs, 0), "role"), "system");
    assert_string_equal(oh_str(cJSON_GetArrayItem(msgs, 0), "content"), "Use tools.");
    assert_string_equal(oh_str(cJSON_GetArrayItem(msgs, 1), "role"), "user");
    if (!cJSON_Compare(tools, cJSON_GetObjectItem(want, "tools"), 1))
        fail_msg("%s: tools not sent as given", m->id);
    assert_string_equal(oh_str(body, "tool_choice"), "auto");
    check_stream_members(m, body, stream);
    assert_int_equal(cJSON_HasObjectItem(body, "context_length_exceeded_behavior"),
                     (m->quirks & Q_CONTEXT_ERROR) != 0);
    if (m->quirks & Q_CONTEXT_ERROR)
        assert_string_equal(oh_str(body, "context_length_exceeded_behavior"), "error");
    cJSON_Delete(want);
}

static void assert_args(const member *m, const char *got, size_t len)
{
    cJSON *g = cJSON_ParseWithLength(got, len), *w = cJSON_Parse(ARGS);

    assert_non_null(w);
    if (g == NULL || !cJSON_Compare(g, w, 1))
        fail_msg("%s: tool arguments %.*s", m->id, (int)len, got);
    cJSON_Delete(g);
    cJSON_Delete(w);
}

/* A tool call answered, non-streamed then streamed (fragments reassembled). */
static void tool_call_both(itest *t, const member *m)
{
    const llmgw_tool_call *tc;
    llmgw_response *r = NULL;
    cJSON *body;
    collect c;

    itest_script(t, LANE, "[" TOOL_STEP "," TOOL_STEP "]");
    if (oh_complete_json(t, TOOL_REQ, &r) != 0)
        fail_msg("%s: %s", m->id, llmgw_error_last()->message);
    assert_int_equal(llmgw_response_tool_call_count(r), 1);
    tc = llmgw_response_tool_call(r, 0);
    assert_string_equal(tc->id, "call_abc");
    assert_string_equal(tc->name, "get_weather");
    assert_args(m, tc->arguments, tc->arguments_len);
    assert_string_equal(llmgw_response_finish_reason(r), "tool_calls");
    assert_string_equal(llmgw_response_text(r), "");
    llmgw_response_free(r);
    body = last_sent(t, m, 0);
    check_tool_request(m, body, 0);
    cJSON_Delete(body);

    collect_init(&c);
    r = NULL;
    if (oh_stream_json(t, TOOL_REQ, &c, &r) != 0)
        fail_msg("%s stream: %s", m->id, llmgw_error_last()->message);
    if (c.tool_calls < 3)           /* the start and at least two argument fragments */
        fail_msg("%s: %d tool-call deltas", m->id, c.tool_calls);
    assert_string_equal(c.tool_ids[0], "call_abc");
    assert_string_equal(c.tool_names[0], "get_weather");
    assert_args(m, c.tool_args[0], strlen(c.tool_args[0]));
    assert_true(c.tool_names[1][0] == '\0');
    assert_int_equal(c.text_calls, 0);
    assert_int_equal(c.done_calls, 1);
    assert_int_equal(c.error_calls, 0);
    assert_true(c.order_ok);
    assert_string_equal(c.done_finish, "tool_calls");
    tc = llmgw_response_tool_call(r, 0);
    assert_args(m, tc->arguments, tc->arguments_len);
    /* usage: from the usage chunk, or on the finish chunk for the members without stream_options */
    assert_int_equal(llmgw_response_usage(r)->usage_known, 1);
    assert_int_equal(llmgw_response_usage(r)->input_tokens, 21);
    assert_int_equal(llmgw_response_usage(r)->output_tokens, 9);
    llmgw_response_free(r);
    body = last_sent(t, m, 1);
    check_tool_request(m, body, 1);
    cJSON_Delete(body);
}

/* The tool result sent back: the assistant's call and the tool message as OpenAI spells them. */
static void tool_result_back(itest *t, const member *m)
{
    const cJSON *msgs, *call;
    llmgw_response *r = NULL;
    cJSON *body;

    itest_script(t, LANE, "[{\"auth_optional\":true,\"text\":\"21 C.\"}]");
    if (oh_complete_json(t, RESULT_REQ, &r) != 0)
        fail_msg("%s: %s", m->id, llmgw_error_last()->message);
    assert_string_equal(llmgw_response_text(r), "21 C.");
    assert_string_equal(llmgw_response_finish_reason(r), "stop");
    llmgw_response_free(r);
    body = last_sent(t, m, 0);
    msgs = cJSON_GetObjectItemCaseSensitive(body, "messages");
    assert_int_equal(cJSON_GetArraySize(msgs), 3);
    assert_string_equal(oh_str(cJSON_GetArrayItem(msgs, 1), "role"), "assistant");
    call = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(msgs, 1), "tool_calls"), 0);
    assert_string_equal(oh_str(call, "id"), "call_abc");
    assert_string_equal(oh_str(call, "type"), "function");
    assert_string_equal(oh_str(cJSON_GetObjectItemCaseSensitive(call, "function"), "name"), "get_weather");
    assert_string_equal(oh_str(cJSON_GetObjectItemCaseSensitive(call, "function"), "arguments"), "{\"city\":\"Paris\"}");
    assert_string_equal(oh_str(cJSON_GetArrayItem(msgs, 2), "role"), "tool");
    assert_string_equal(oh_str(cJSON_GetArrayItem(msgs, 2), "tool_call_id"), "call_abc");
    assert_string_equal(oh_str(cJSON_GetArrayItem(msgs, 2), "content"), "{\"temp_c\":21}");
    cJSON_Delete(body);
}

/* A text stream: deltas, usage, one on_done; stream members on the wire. */
static void text_stream(itest *t, const member *m)
{
    llmgw_response *r = NULL;
    cJSON *body;
    collect c;

    itest_script(t, LANE, "[{\"auth_optional\":true,\"usage_on_finish\":true,\"text\":\"One two three four\","
                          "\"usage\":{\"prompt_tokens\":11,\"completion_tokens\":4,\"cached_tokens\":3}}]");
    collect_init(&c);
    if (oh_stream_json(t, "{\"model\":\"g\",\"messages\":[{\"role\":\"user\",\"content\":\"count\"}]}", &c, &r) != 0)
        fail_msg("%s: %s", m->id, llmgw_error_last()->message);
    assert_string_equal(c.text, "One two three four");
    assert_int_equal(c.text_calls, 4);
    assert_int_equal(c.usage_calls, 1);
    assert_int_equal(c.done_calls, 1);
    assert_int_equal(c.error_calls, 0);
    assert_true(c.order_ok);
    assert_string_equal(c.done_finish, "stop");
    assert_int_equal(llmgw_response_usage(r)->usage_known, 1);
    assert_int_equal(llmgw_response_usage(r)->input_tokens, 11);
    assert_int_equal(llmgw_response_usage(r)->output_tokens, 4);
    assert_int_equal(llmgw_response_usage(r)->cache_read_tokens, 3);
    llmgw_response_free(r);
    body = last_sent(t, m, 1);
    check_stream_members(m, body, 1);
    cJSON_Delete(body);
}

static int sent_count(itest *t)
{
    return itest_request_count(t, LANE);
}

/* Refused before anything is sent, naming `what`. */
static void expect_refused(itest *t, const member *m, const char *json, const char *what)
{
    llmgw_response *r = NULL;
    int before = sent_count(t);

    oh_assert_fails(oh_complete_json(t, json, &r), r, LLMGW_EUNSUPPORTED, LLMGW_ERRCLASS_UNSUPPORTED);
    if (strstr(llmgw_error_last()->message, what) == NULL)
        fail_msg("%s: the refusal does not name %s: %s", m->id, what, llmgw_error_last()->message);
    assert_int_equal(sent_count(t), before);
}

static cJSON *send_ok(itest *t, const member *m, const char *json)
{
    llmgw_response *r = NULL;

    if (oh_complete_json(t, json, &r) != 0)
        fail_msg("%s: %s: %s", m->id, json, llmgw_error_last()->message);
    llmgw_response_free(r);
    return last_sent(t, m, 0);
}

/* seed, max_completion_tokens, messages[].name and context_length_exceeded_behavior on the wire. */
static void param_quirks(itest *t, const member *m)
{
    static const char req[] = "{\"model\":\"g\",\"seed\":7,\"max_completion_tokens\":50,\"messages\":"
                              "[{\"role\":\"user\",\"name\":\"alice\",\"content\":\"hi\"}]}";
    static const char req_drop[] = "{\"model\":\"g\",\"drop_params\":true,\"seed\":7,\"max_completion_tokens\":50,"
                                   "\"messages\":[{\"role\":\"user\",\"name\":\"alice\",\"content\":\"hi\"}]}";
    const cJSON *msg0;
    cJSON *body;

    itest_script(t, LANE, "{\"steps\":[{\"auth_optional\":true}],\"then\":\"repeat_last\"}");
    if (m->quirks & Q_NO_NAME) {
        expect_refused(t, m, req, "messages[0].name");
        body = send_ok(t, m, req_drop);
        assert_null(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(
            cJSON_GetObjectItemCaseSensitive(body, "messages"), 0), "name"));
    } else {
        body = send_ok(t, m, req);
        msg0 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(body, "messages"), 0);
        assert_string_equal(oh_str(msg0, "name"), "alice");
    }
    if (m->quirks & Q_RANDOM_SEED) {
        assert_int_equal(oh_num(body, "random_seed"), 7);
        assert_null(cJSON_GetObjectItemCaseSensitive(body, "seed"));
    } else {
        assert_int_equal(oh_num(body, "seed"), 7);
        assert_null(cJSON_GetObjectItemCaseSensitive(body, "random_seed"));
    }
    if (m->quirks & Q_MAX_TOKENS) {
        assert_int_equal(oh_num(body, "max_tokens"), 50);
        assert_null(cJSON_GetObjectItemCaseSensitive(body, "max_completion_tokens"));
    } else {
        assert_int_equal(oh_num(body, "max_completion_tokens"), 50);
        assert_null(cJSON_GetObjectItemCaseSensitive(body, "max_tokens"));
    }
    assert_int_equal(cJSON_HasObjectItem(body, "context_length_exceeded_behavior"),
                     (m->quirks & Q_CONTEXT_ERROR) != 0);
    assert_null(cJSON_GetObjectItemCaseSensitive(body, "drop_params"));
    cJSON_Delete(body);
    if (m->quirks & Q_CONTEXT_ERROR) {
        /* the caller's own choice is kept */
        body = send_ok(t, m, "{\"model\":\"g\",\"context_length_exceeded_behavior\":\"truncate\",\"messages\":"
                             "[{\"role\":\"user\",\"content\":\"hi\"}]}");
        assert_string_equal(oh_str(body, "context_length_exceeded_behavior"), "truncate");
        cJSON_Delete(body);
    }
}

/* Members the upstream cannot express: refused one by one, dropped with drop_params; elsewhere sent. */
static void refused_members(itest *t, const member *m)
{
    char json[2048];
    const refused *rf;
    cJSON *body;
    int n;

    itest_script(t, LANE, "{\"steps\":[{\"auth_optional\":true}],\"then\":\"repeat_last\"}");
    if (m->refused == NULL) {
        body = send_ok(t, m, "{\"model\":\"g\",\"logprobs\":true,\"top_logprobs\":2,\"user\":\"u-42\",\"messages\":"
                             "[{\"role\":\"user\",\"content\":\"hi\"}]}");
        assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(body, "logprobs")));
        assert_int_equal(oh_num(body, "top_logprobs"), 2);
        assert_string_equal(oh_str(body, "user"), "u-42");
        cJSON_Delete(body);
        return;
    }
    for (rf = m->refused; rf->name; rf++) {
        char what[80];
        snprintf(json, sizeof(json), "{\"model\":\"g\",\"%s\":%s,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                 rf->name, rf->value);
        snprintf(what, sizeof(what), "'%s'", rf->name);
        expect_refused(t, m, json, what);
    }
    n = snprintf(json, sizeof(json), "{\"model\":\"g\",\"drop_params\":true");
    for (rf = m->refused; rf->name; rf++)
        n += snprintf(json + n, sizeof(json) - (size_t)n, ",\"%s\":%s", rf->name, rf->value);
    snprintf(json + n, sizeof(json) - (size_t)n, ",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
    body = send_ok(t, m, json);
    for (rf = m->refused; rf->name; rf++)
        if (cJSON_HasObjectItem(body, rf->name))
            fail_msg("%s: %s sent despite drop_params", m->id, rf->name);
    cJSON_Delete(body);
}

/* An image part: refused by text-only members (dropped with drop_params), sent by the others. */
static void content_parts(itest *t, const member *m)
{
#define PARTS "\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"What is this?\"}," \
              "{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64,iVBORw0KGgo=\"}}]}]}"
    const cJSON *content;
    cJSON *body;

    itest_script(t, LANE, "{\"steps\":[{\"auth_optional\":true}],\"then\":\"repeat_last\"}");
    if (m->quirks & Q_TEXT_ONLY) {
        expect_refused(t, m, "{\"model\":\"g\"," PARTS, "messages[0].content[1] (type image_url)");
        body = send_ok(t, m, "{\"model\":\"g\",\"drop_params\":true," PARTS);
    } else {
        body = send_ok(t, m, "{\"model\":\"g\"," PARTS);
    }
    content = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(body, "messages"), 0),
                                               "content");
    assert_int_equal(cJSON_GetArraySize(content), (m->quirks & Q_TEXT_ONLY) ? 1 : 2);
    assert_string_equal(oh_str(cJSON_GetArrayItem(content, 0), "text"), "What is this?");
    if (!(m->quirks & Q_TEXT_ONLY))
        assert_string_equal(oh_str(cJSON_GetArrayItem(content, 1), "type"), "image_url");
    cJSON_Delete(body);
#undef PARTS
}

static void run_member(const member *m)
{
    itest t;

    start(&t, m);
    tool_call_both(&t, m);
    tool_result_back(&t, m);
    text_stream(&t, m);
    param_quirks(&t, m);
    refused_members(&t, m);
    content_parts(&t, m);
    itest_stop(&t);
}

#define MEMBER_TEST(i, name)                 \
    static void test_##name(void **state)    \
    {                                        \
        (void)state;                         \
        assert_string_equal(members[i].id, #name); \
        run_member(&members[i]);             \
    }
MEMBER_TEST(0, groq)
MEMBER_TEST(1, mistral)
MEMBER_TEST(2, deepseek)
MEMBER_TEST(3, together)
MEMBER_TEST(4, openrouter)
MEMBER_TEST(5, fireworks)
MEMBER_TEST(6, xai)
MEMBER_TEST(7, vllm)
MEMBER_TEST(8, llamacpp)
MEMBER_TEST(9, lmstudio)

/* Mistral's finish "error" fails the attempt (server_error), streamed or not, never a clean end. */
static void test_mistral_finish_error(void **state)
{
    llmgw_response *r = NULL;
    collect c;
    itest t;

    (void)state;
    start(&t, &members[1]);
    itest_script(&t, LANE, "[{\"text\":\"Par\",\"finish_reason\":\"error\"},"
                           "{\"text\":\"Par\",\"finish_reason\":\"error\",\"usage_on_finish\":true}]");
    oh_assert_fails(itest_complete(&t, "g", "hi", &r), r, LLMGW_EUNAVAILABLE, LLMGW_ERRCLASS_SERVER_ERROR);
    collect_init(&c);
    r = NULL;
    /* after the first text delta: the stream is cut, with one on_error */
    oh_assert_fails(itest_stream(&t, "g", "hi", &c, &r), r, LLMGW_EUNAVAILABLE, LLMGW_ERRCLASS_STREAM_CUT);
    assert_int_equal(c.error_calls, 1);
    assert_int_equal(c.done_calls, 0);
    assert_true(c.order_ok);
    itest_stop(&t);
}

/* OpenRouter's native_finish_reason is the raw value; finish_reason stays normalized. */
static void test_openrouter_native_finish(void **state)
{
    llmgw_response *r = NULL;
    itest t;

    (void)state;
    start(&t, &members[4]);
    itest_script(&t, LANE, "[{\"body\":\"{\\\"id\\\":\\\"gen-1\\\",\\\"object\\\":\\\"chat.completion\\\","
                           "\\\"created\\\":1700000000,\\\"model\\\":\\\"anthropic/claude-sonnet-4.5\\\","
                           "\\\"choices\\\":[{\\\"index\\\":0,\\\"message\\\":{\\\"role\\\":\\\"assistant\\\","
                           "\\\"content\\\":\\\"Hi.\\\"},\\\"finish_reason\\\":\\\"length\\\","
                           "\\\"native_finish_reason\\\":\\\"max_tokens\\\"}],\\\"usage\\\":{\\\"prompt_tokens\\\":5,"
                           "\\\"completion_tokens\\\":2,\\\"total_tokens\\\":7}}\"}]");
    assert_int_equal(itest_complete(&t, "g", "hi", &r), 0);
    assert_string_equal(llmgw_response_finish_reason(r), "length");
    assert_string_equal(llmgw_response_finish_reason_raw(r), "max_tokens");
    assert_string_equal(llmgw_response_text(r), "Hi.");
    llmgw_response_free(r);
    itest_stop(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_groq),
        cmocka_unit_test(test_mistral),
        cmocka_unit_test(test_deepseek),
        cmocka_unit_test(test_together),
        cmocka_unit_test(test_openrouter),
        cmocka_unit_test(test_fireworks),
        cmocka_unit_test(test_xai),
        cmocka_unit_test(test_vllm),
        cmocka_unit_test(test_llamacpp),
        cmocka_unit_test(test_lmstudio),
        cmocka_unit_test(test_mistral_finish_error),
        cmocka_unit_test(test_openrouter_native_finish),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
