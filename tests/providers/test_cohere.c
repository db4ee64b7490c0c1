/*
 * tests/providers/test_cohere.c: the Cohere v2 chat translation without a
 * network: requests built from canonical JSON, answers, SSE streams and
 * error bodies from tests/fixtures/cohere/ and the published stream in
 * ../shared/fixtures/cohere (skipped when absent).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/common.h"
#include "core/buf.h"
#include "core/errors.h"
#include "core/json.h"
#include "core/reply.h"
#include "router/policy.h"
#include "providers/cohere.h"
#include "providers/registry.h"
#include "transport/framing.h"
#include "transport/http.h"
#include "fixture.h"

#define ONE_USER "{\"model\":\"x\",\"messages\":[{\"role\":\"user\",\"content\":\"a\"}]}"

typedef struct inst {
    const llmgw_provider_vtable *vt;
    llmgw_provider_config        cfg;
    void                        *state;
} inst;

static void open_p(inst *p, const char *base, const char *key)
{
    memset(p, 0, sizeof(*p));
    p->vt = llmgw__builtin_provider("cohere");
    assert_non_null(p->vt);
    p->cfg.version = 1;
    p->cfg.provider = "cohere";
    p->cfg.model = "command-a-03-2025";
    p->cfg.api_base = base ? base : p->vt->default_api_base;
    p->cfg.api_key = key;
    p->state = calloc(1, p->vt->state_size);
    assert_non_null(p->state);
    assert_int_equal(p->vt->init(p->state, &p->cfg), 0);
}

static void close_p(inst *p)
{
    free(p->state);
}

/* Build from canonical JSON; 0 and *body (cJSON_Delete it), or build_request's status. */
static int build(inst *p, const char *json, int stream, llmgw_http_request *hr, cJSON **body)
{
    llmgw_request *req = NULL;
    const char *b;
    size_t len;
    int rc;

    if (llmgw_request_from_json(&req, json, strlen(json)) != 0)
        fail_msg("request: %s", llmgw_error_last()->message);
    llmgw__http_request_init(hr);
    rc = p->vt->build_request(hr, p->state, req, stream);
    llmgw_request_free(req);
    *body = NULL;
    if (rc == 0) {
        b = llmgw_http_request_body(hr, &len);
        assert_non_null(*body = cJSON_ParseWithLength(b, len));
    }
    return rc;
}

/* Build and expect success; the request is disposed. */
static cJSON *body_of(const char *json, int stream)
{
    inst p;
    llmgw_http_request hr;
    cJSON *body;

    open_p(&p, NULL, "co-key");
    if (build(&p, json, stream, &hr, &body) != 0)
        fail_msg("build: %s", llmgw_error_last()->message);
    llmgw__http_request_dispose(&hr);
    close_p(&p);
    return body;
}

/* The build fails with LLMGW_EUNSUPPORTED naming `what`, and drop_params drops it. */
static cJSON *refused(const char *json, const char *what)
{
    inst p;
    llmgw_http_request hr;
    cJSON *body;
    char dropped[4096];

    open_p(&p, NULL, "co-key");
    assert_int_equal(build(&p, json, 0, &hr, &body), LLMGW_EUNSUPPORTED);
    assert_int_equal(llmgw_error_last()->error_class, LLMGW_ERRCLASS_UNSUPPORTED);
    if (strstr(llmgw_error_last()->message, what) == NULL)
        fail_msg("'%s' does not name '%s'", llmgw_error_last()->message, what);
    llmgw__http_request_dispose(&hr);
    close_p(&p);
    snprintf(dropped, sizeof(dropped), "{\"drop_params\":true,%s", json + 1);
    return body_of(dropped, 0);
}

static const cJSON *at(const cJSON *o, const char *path)
{
    char key[64];
    const char *dot;

    for (;;) {
        dot = strchr(path, '.');
        snprintf(key, sizeof(key), "%.*s", (int)(dot ? (size_t)(dot - path) : strlen(path)), path);
        o = (key[0] >= '0' && key[0] <= '9') ? cJSON_GetArrayItem(o, atoi(key))
                                             : cJSON_GetObjectItemCaseSensitive(o, key);
        if (dot == NULL || o == NULL)
            return o;
        path = dot + 1;
    }
}

static const char *str_at(const cJSON *o, const char *path)
{
    const cJSON *it = at(o, path);

    return cJSON_IsString(it) ? it->valuestring : NULL;
}

static double num_at(const cJSON *o, const char *path)
{
    const cJSON *it = at(o, path);

    if (!cJSON_IsNumber(it))
        fail_msg("%s is not a number", path);
    return it->valuedouble;
}

static void response_of(llmgw_http_response *r, int status, const char *body)
{
    llmgw__http_response_init(r);
    r->status = status;
    assert_int_equal(llmgw__buf_set(&r->body, body, strlen(body)), 0);
}

static int parse_body(const char *body, llmgw_reply *r)
{
    inst p;
    llmgw_http_response resp;
    int rc;

    open_p(&p, NULL, "co-key");
    response_of(&resp, 200, body);
    llmgw__reply_init(r, NULL, 1u << 20);
    rc = p.vt->parse_response(r, p.state, &resp);
    llmgw__http_response_dispose(&resp);
    close_p(&p);
    return rc;
}

static char *fixture(const char *rel)
{
    char *s = fixture_read(rel, NULL);

    if (s == NULL)
        fail_msg("missing fixture %s", rel);
    return s;
}

typedef struct feed {
    inst                 *p;
    llmgw_reply          *r;
    llmgw__cohere_stream  ss;
    int                   rc;
} feed;

static int on_event(void *ud, const char *event, size_t event_len, const char *data, size_t data_len)
{
    feed *f = ud;
    llmgw_stream_event ev;

    if (f->r->done)
        return 0;
    ev.event = event;
    ev.event_len = event_len;
    ev.data = data;
    ev.data_len = data_len;
    ev.exception = 0;
    f->rc = f->p->vt->parse_stream_event(f->r, f->p->state, &f->ss, &ev);
    return f->rc < 0 || f->r->has_error ? 1 : 0;
}

/* Feed a whole SSE stream in chunks of `chunk` bytes (0: at once); the first parse error. */
static int feed_sse(const char *data, size_t chunk, llmgw_reply *r)
{
    inst p;
    feed f;
    llmgw__sse sse;
    size_t len = strlen(data), off;

    open_p(&p, NULL, "co-key");
    memset(&f, 0, sizeof(f));
    f.p = &p;
    f.r = r;
    llmgw__reply_init(r, NULL, 1u << 20);
    llmgw__sse_init(&sse, 1u << 20, on_event, &f);
    for (off = 0; off < len && f.rc == 0 && !r->has_error; off += chunk ? chunk : len)
        llmgw__sse_feed(&sse, data + off, LLMGW_MIN(chunk ? chunk : len, len - off));
    llmgw__sse_dispose(&sse);
    close_p(&p);
    return f.rc;
}

static llmgw_error_info classify(int status, const char *body)
{
    inst p;
    llmgw_http_response resp;
    llmgw_error_info info;
    llmgw__outcome o;

    open_p(&p, NULL, "co-key");
    response_of(&resp, status, body);
    memset(&info, 0, sizeof(info));
    memset(&o, 0, sizeof(o));
    llmgw__classify_status(&o, status);                 /* what the core does first */
    info.error_class = o.error_class;
    info.retry_after_ms = -1;
    assert_int_equal(p.vt->classify_error(&info, p.state, &resp), 0);
    llmgw__http_response_dispose(&resp);
    close_p(&p);
    return info;
}

/* ---- requests ---- */

static void test_request_basics(void **state)
{
    inst p;
    llmgw_http_request hr;
    cJSON *b;

    (void)state;
    open_p(&p, NULL, "co-secret-key");
    assert_int_equal(build(&p, "{\"model\":\"x\",\"messages\":[{\"role\":\"developer\",\"content\":\"Be terse.\"},"
                               "{\"role\":\"system\",\"content\":[{\"type\":\"text\",\"text\":\"Sys\"}]},"
                               "{\"role\":\"user\",\"content\":\"Hi there\"},{\"role\":\"assistant\",\"content\":"
                               "[{\"type\":\"text\",\"text\":\"Hel\"},{\"type\":\"text\",\"text\":\"lo\"}]},"
                               "{\"role\":\"user\",\"content\":\"More\"}],\"max_completion_tokens\":77,"
                               "\"temperature\":0.4,\"top_p\":1,\"top_k\":40,\"stop\":\"END\",\"seed\":42,"
                               "\"frequency_penalty\":0.5,\"presence_penalty\":0,\"n\":1,\"parallel_tool_calls\":true,"
                               "\"logit_bias\":null}", 0, &hr, &b), 0);
    assert_string_equal(llmgw_http_request_url(&hr), "https://api.cohere.com/v2/chat");
    assert_string_equal(llmgw__http_request_header(&hr, "Authorization"), "Bearer co-secret-key");
    assert_string_equal(llmgw__http_request_header(&hr, "Content-Type"), "application/json");
    assert_string_equal(llmgw__http_request_header(&hr, "Accept"), "application/json");
    assert_string_equal(str_at(b, "model"), "command-a-03-2025");
    assert_true(cJSON_IsFalse(at(b, "stream")));
    assert_string_equal(str_at(b, "messages.0.role"), "system");
    assert_string_equal(str_at(b, "messages.0.content"), "Be terse.");
    assert_string_equal(str_at(b, "messages.1.content.0.type"), "text");
    assert_string_equal(str_at(b, "messages.1.content.0.text"), "Sys");
    assert_string_equal(str_at(b, "messages.2.role"), "user");
    assert_string_equal(str_at(b, "messages.2.content"), "Hi there");
    assert_string_equal(str_at(b, "messages.3.content"), "Hello");
    assert_int_equal(cJSON_GetArraySize(at(b, "messages")), 5);
    assert_true(num_at(b, "max_tokens") == 77);
    assert_true(num_at(b, "temperature") == 0.4);
    assert_true(num_at(b, "p") == 0.99);                /* top_p 1 is the closest Cohere value */
    assert_true(num_at(b, "k") == 40);
    assert_string_equal(str_at(b, "stop_sequences.0"), "END");
    assert_true(num_at(b, "seed") == 42);
    assert_true(num_at(b, "frequency_penalty") == 0.5);
    assert_true(num_at(b, "presence_penalty") == 0);
    assert_null(at(b, "top_p"));
    assert_null(at(b, "stop"));
    assert_null(at(b, "n"));
    assert_null(at(b, "logit_bias"));                  /* null is "not given" */
    assert_null(at(b, "parallel_tool_calls"));
    assert_null(at(b, "max_completion_tokens"));
    cJSON_Delete(b);
    llmgw__http_request_dispose(&hr);

    /* streamed: stream true and the event-stream Accept */
    assert_int_equal(build(&p, ONE_USER, 1, &hr, &b), 0);
    assert_true(cJSON_IsTrue(at(b, "stream")));
    assert_string_equal(llmgw__http_request_header(&hr, "Accept"), "text/event-stream");
    cJSON_Delete(b);
    llmgw__http_request_dispose(&hr);
    close_p(&p);

    /* like the SDK, a version suffix pasted onto a Cohere host is dropped */
    open_p(&p, "https://api.cohere.ai/v1", "k");
    assert_int_equal(build(&p, ONE_USER, 0, &hr, &b), 0);
    assert_string_equal(llmgw_http_request_url(&hr), "https://api.cohere.ai/v2/chat");
    cJSON_Delete(b);
    llmgw__http_request_dispose(&hr);
    close_p(&p);
    assert_string_equal(llmgw__builtin_provider("cohere")->env_api_base, "CO_API_URL");

    /* the SDK's base URL convention: no /v2 in api_base */
    open_p(&p, "https://proxy.example.com/cohere", NULL);
    assert_int_equal(build(&p, ONE_USER, 0, &hr, &b), 0);
    assert_string_equal(llmgw_http_request_url(&hr), "https://proxy.example.com/cohere/v2/chat");
    assert_null(llmgw__http_request_header(&hr, "Authorization"));
    cJSON_Delete(b);
    llmgw__http_request_dispose(&hr);
    close_p(&p);
}

static void test_request_tools_and_history(void **state)
{
    cJSON *b;

    (void)state;
    b = body_of("{\"model\":\"x\",\"messages\":["
                "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"What is this?\"},"
                "{\"type\":\"image_url\",\"image_url\":{\"url\":\"https://example.com/a.png\",\"detail\":\"low\"}},"
                "{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64,iVBORw0KGgo=\"}}]},"
                "{\"role\":\"assistant\",\"content\":\"Let me check.\",\"tool_calls\":[{\"id\":\"call_1\",\"type\":"
                "\"function\",\"function\":{\"name\":\"get_weather\",\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\"}}]},"
                "{\"role\":\"tool\",\"tool_call_id\":\"call_1\",\"content\":\"sunny\"},"
                "{\"role\":\"assistant\",\"content\":\"Also:\",\"reasoning_content\":\"Plan B.\",\"tool_calls\":[{\"id\":"
                "\"call_2\",\"type\":\"function\",\"function\":{\"name\":\"get_time\",\"arguments\":\"{}\"}}]},"
                "{\"role\":\"tool\",\"tool_call_id\":\"call_2\",\"content\":[{\"type\":\"text\",\"text\":\"noon\"}]}],"
                "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"description\":\"Weather\","
                "\"parameters\":{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}}}}},"
                "{\"type\":\"function\",\"function\":{\"name\":\"get_time\",\"parameters\":{\"type\":\"object\"}}}],"
                "\"tool_choice\":\"required\"}", 0);
    assert_string_equal(str_at(b, "messages.0.content.0.text"), "What is this?");
    assert_string_equal(str_at(b, "messages.0.content.1.type"), "image_url");
    assert_string_equal(str_at(b, "messages.0.content.1.image_url.url"), "https://example.com/a.png");
    assert_string_equal(str_at(b, "messages.0.content.1.image_url.detail"), "low");
    assert_string_equal(str_at(b, "messages.0.content.2.image_url.url"), "data:image/png;base64,iVBORw0KGgo=");
    /* the assistant's text before its tool calls is Cohere's tool_plan */
    assert_string_equal(str_at(b, "messages.1.role"), "assistant");
    assert_string_equal(str_at(b, "messages.1.tool_plan"), "Let me check.");
    assert_null(at(b, "messages.1.content"));
    assert_string_equal(str_at(b, "messages.1.tool_calls.0.id"), "call_1");
    assert_string_equal(str_at(b, "messages.1.tool_calls.0.type"), "function");
    assert_string_equal(str_at(b, "messages.1.tool_calls.0.function.name"), "get_weather");
    assert_string_equal(str_at(b, "messages.1.tool_calls.0.function.arguments"), "{\"city\":\"Paris\"}");
    assert_string_equal(str_at(b, "messages.2.role"), "tool");
    assert_string_equal(str_at(b, "messages.2.tool_call_id"), "call_1");
    assert_string_equal(str_at(b, "messages.2.content"), "sunny");
    assert_string_equal(str_at(b, "messages.3.tool_plan"), "Plan B.");
    assert_string_equal(str_at(b, "messages.3.content"), "Also:");     /* reasoning and text both kept */
    assert_string_equal(str_at(b, "messages.4.content"), "noon");
    assert_string_equal(str_at(b, "tools.0.type"), "function");
    assert_string_equal(str_at(b, "tools.0.function.name"), "get_weather");
    assert_string_equal(str_at(b, "tools.0.function.description"), "Weather");
    assert_string_equal(str_at(b, "tools.0.function.parameters.properties.city.type"), "string");
    assert_null(at(b, "tools.1.function.description"));
    assert_string_equal(str_at(b, "tool_choice"), "REQUIRED");
    assert_null(at(b, "strict_tools"));
    cJSON_Delete(b);

    b = body_of("{\"model\":\"x\",\"messages\":[{\"role\":\"user\",\"content\":\"a\"}],\"tools\":[{\"type\":"
                "\"function\",\"function\":{\"name\":\"f\",\"strict\":true,\"parameters\":{}}}],\"tool_choice\":\"none\"}", 0);
    assert_string_equal(str_at(b, "tool_choice"), "NONE");
    assert_true(cJSON_IsTrue(at(b, "strict_tools")));
    assert_null(at(b, "tools.0.function.strict"));
    cJSON_Delete(b);
    b = body_of("{\"model\":\"x\",\"messages\":[{\"role\":\"user\",\"content\":\"a\"}],\"tools\":[{\"type\":"
                "\"function\",\"function\":{\"name\":\"f\"}}],\"tool_choice\":\"auto\"}", 0);
    assert_null(at(b, "tool_choice"));                  /* auto is Cohere's default */
    cJSON_Delete(b);
}

static void test_request_response_format(void **state)
{
    cJSON *b;

    (void)state;
    b = body_of("{\"model\":\"x\",\"messages\":[{\"role\":\"user\",\"content\":\"a\"}],"
                "\"response_format\":{\"type\":\"json_object\"}}", 0);
    assert_string_equal(str_at(b, "response_format.type"), "json_object");
    assert_null(at(b, "response_format.json_schema"));
    cJSON_Delete(b);
    b = body_of("{\"model\":\"x\",\"messages\":[{\"role\":\"user\",\"content\":\"a\"}],\"response_format\":"
                "{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"person\",\"strict\":true,\"schema\":"
                "{\"type\":\"object\",\"properties\":{\"age\":{\"type\":\"integer\"}},\"required\":[\"age\"]}}}}", 0);
    assert_string_equal(str_at(b, "response_format.type"), "json_object");
    assert_string_equal(str_at(b, "response_format.json_schema.type"), "object");
    assert_string_equal(str_at(b, "response_format.json_schema.properties.age.type"), "integer");
    assert_string_equal(str_at(b, "response_format.json_schema.required.0"), "age");
    cJSON_Delete(b);
    b = body_of("{\"model\":\"x\",\"messages\":[{\"role\":\"user\",\"content\":\"a\"}],"
                "\"response_format\":{\"type\":\"text\"}}", 0);
    assert_null(at(b, "response_format"));
    cJSON_Delete(b);
}

static void test_request_refusals(void **state)
{
    static const struct { const char *json, *what, *absent; } cases[] = {
        { "{\"model\":\"x\",\"messages\":[{\"role\":\"user\",\"content\":\"a\"}],\"user\":\"u-1\"}", "'user'", "user" },
        { "{\"model\":\"x\",\"messages\":[{\"role\":\"user\",\"content\":\"a\"}],\"logit_bias\":{\"50256\":-100}}",
          "'logit_bias'", "logit_bias" },
        { "{\"model\":\"x\",\"messages\":[{\"role\":\"user\",\"content\":\"a\"}],\"logprobs\":true}", "'logprobs'",
          "logprobs" },
        { "{\"model\":\"x\",\"messages\":[{\"role\":\"user\",\"content\":\"a\"}],\"frequency_penalty\":1.5}",
          "frequency_penalty outside [0, 1]", "frequency_penalty" },
        { "{\"model\":\"x\",\"messages\":[{\"role\":\"user\",\"content\":\"a\"}],\"parallel_tool_calls\":false}",
          "'parallel_tool_calls'", "parallel_tool_calls" },
        { "{\"model\":\"x\",\"messages\":[{\"role\":\"user\",\"content\":\"a\"}],\"tools\":[{\"type\":\"function\","
          "\"function\":{\"name\":\"f\"}}],\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"f\"}}}",
          "tool_choice naming a function", "tool_choice" },
        { "{\"model\":\"x\",\"messages\":[{\"role\":\"user\",\"content\":\"a\"}],\"tools\":[{\"type\":\"function\","
          "\"function\":{\"name\":\"f\",\"strict\":true}},{\"type\":\"function\",\"function\":{\"name\":\"g\"}}]}",
          "strict on some tools only", "strict_tools" },
        { "{\"model\":\"x\",\"messages\":[{\"role\":\"user\",\"name\":\"bob\",\"content\":\"a\"}]}",
          "messages[0].name", "messages.0.name" },
        { "{\"model\":\"x\",\"messages\":[{\"role\":\"user\",\"content\":\"a\"}],\"stop\":[\"a\",\"b\",\"c\","
          "\"d\",\"e\",\"f\"]}", "more than 5 stop sequences", "stop_sequences" },
        { "{\"model\":\"x\",\"messages\":[{\"role\":\"system\",\"content\":[{\"type\":\"image_url\",\"image_url\":"
          "{\"url\":\"https://e.com/a.png\"}}]},{\"role\":\"user\",\"content\":\"a\"}]}",
          "messages[0].content[0] of type 'image_url' in a system message", "messages.0.content.0" },
        { "{\"model\":\"x\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"input_audio\","
          "\"input_audio\":{\"data\":\"AAAA\",\"format\":\"wav\"}}]}]}", "type 'input_audio'",
          "messages.0.content.0" },
    };
    size_t i;
    cJSON *b;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        b = refused(cases[i].json, cases[i].what);
        if (at(b, cases[i].absent) != NULL)
            fail_msg("case %zu: %s was not dropped", i, cases[i].absent);
        assert_non_null(str_at(b, "messages.0.role"));      /* the rest of the request stays */
        cJSON_Delete(b);
    }
}

/* ---- answers ---- */

static void test_parse_answers(void **state)
{
    llmgw_reply r;
    char *s;

    (void)state;
    s = fixture("cohere/response.json");
    assert_int_equal(parse_body(s, &r), 0);
    assert_true(r.done);
    assert_false(r.has_error);
    assert_string_equal(r.a.text.ptr, "LLMs are neural networks trained on large amounts of text.");
    assert_string_equal(r.a.id, "5a50480a-cf52-46f0-af01-53d18539bd31");
    assert_int_equal(r.a.finish, LLMGW_FINISH_STOP);
    assert_string_equal(r.a.finish_raw, "COMPLETE");
    assert_true(r.a.usage_set);
    assert_int_equal(r.a.usage.input_tokens, 83);         /* tokens, not billed_units */
    assert_int_equal(r.a.usage.output_tokens, 11);
    assert_int_equal(r.a.usage.cache_read_tokens, 0);
    assert_int_equal(r.a.ncalls, 0);
    llmgw__reply_dispose(&r);
    free(s);

    s = fixture("cohere/response_tool_call.json");
    assert_int_equal(parse_body(s, &r), 0);
    assert_int_equal(r.a.ncalls, 2);
    assert_string_equal(r.a.calls[0].id, "query_daily_sales_report_1");
    assert_string_equal(r.a.calls[0].name, "query_daily_sales_report");
    assert_string_equal(r.a.calls[0].args.ptr, "{\"day\":\"2023-09-29\"}");
    assert_string_equal(r.a.calls[1].args.ptr, "{\"day\":\"2023-09-30\"}");
    assert_string_equal(r.a.reasoning.ptr, "I will look up the sales data for the two days.");
    assert_null(r.a.text.ptr);
    assert_int_equal(r.a.finish, LLMGW_FINISH_TOOL_CALLS);
    assert_string_equal(r.a.finish_raw, "TOOL_CALL");
    llmgw__reply_dispose(&r);
    free(s);

    s = fixture("cohere/response_thinking_cached.json");
    assert_int_equal(parse_body(s, &r), 0);
    assert_string_equal(r.a.text.ptr, "2 + 2 = 4");
    assert_string_equal(r.a.reasoning.ptr, "The user asks for 2 + 2. That is 4.");
    assert_int_equal(r.a.finish, LLMGW_FINISH_LENGTH);
    assert_string_equal(r.a.finish_raw, "MAX_TOKENS");
    assert_int_equal(r.a.usage.input_tokens, 1394);       /* cache reads are inside input */
    assert_int_equal(r.a.usage.cache_read_tokens, 1344);
    assert_int_equal(r.a.usage.output_tokens, 44);
    llmgw__reply_dispose(&r);
    free(s);

    /* only billed_units; STOP_SEQUENCE; an unknown finish kept raw */
    assert_int_equal(parse_body("{\"id\":\"a\",\"message\":{\"role\":\"assistant\",\"content\":[{\"type\":\"text\","
                                "\"text\":\"x\"}]},\"finish_reason\":\"STOP_SEQUENCE\",\"usage\":{\"billed_units\":"
                                "{\"input_tokens\":3,\"output_tokens\":1}}}", &r), 0);
    assert_int_equal(r.a.finish, LLMGW_FINISH_STOP);
    assert_int_equal(r.a.usage.input_tokens, 3);
    llmgw__reply_dispose(&r);
    assert_int_equal(parse_body("{\"id\":\"a\",\"message\":{\"role\":\"assistant\",\"content\":[]},"
                                "\"finish_reason\":\"SOMETHING_NEW\"}", &r), 0);
    assert_int_equal(r.a.finish, LLMGW_FINISH_OTHER);
    assert_string_equal(r.a.finish_raw, "SOMETHING_NEW");
    assert_false(r.a.usage_set);
    llmgw__reply_dispose(&r);
}

static void test_parse_failures(void **state)
{
    static const char *const bad_usage[] = { "-5", "1.5", "1e308", "\"7\"", "1099511627776" };
    llmgw_reply r;
    char body[512];
    size_t i;

    (void)state;
    /* finish ERROR and TIMEOUT fail the attempt with the upstream's words */
    assert_int_equal(parse_body("{\"id\":\"a\",\"message\":{\"role\":\"assistant\",\"content\":[]},"
                                "\"finish_reason\":\"ERROR\"}", &r), 0);
    assert_true(r.has_error);
    assert_false(r.done);
    assert_int_equal(r.err_class, LLMGW_ERRCLASS_SERVER_ERROR);
    assert_non_null(strstr(r.err_message, "ERROR"));
    llmgw__reply_dispose(&r);
    assert_int_equal(parse_body("{\"id\":\"a\",\"message\":{\"role\":\"assistant\",\"content\":[]},"
                                "\"finish_reason\":\"TIMEOUT\"}", &r), 0);
    assert_true(r.has_error);
    assert_int_equal(r.err_class, LLMGW_ERRCLASS_TIMEOUT);
    llmgw__reply_dispose(&r);
    /* an error envelope with a 2xx status */
    assert_int_equal(parse_body("{\"message\":\"rate limit exceeded\"}", &r), 0);
    assert_true(r.has_error);
    assert_int_equal(r.err_class, LLMGW_ERRCLASS_RATE_LIMIT);
    llmgw__reply_dispose(&r);
    /* every number is checked */
    for (i = 0; i < sizeof(bad_usage) / sizeof(bad_usage[0]); i++) {
        snprintf(body, sizeof(body), "{\"id\":\"a\",\"message\":{\"role\":\"assistant\",\"content\":[]},"
                 "\"finish_reason\":\"COMPLETE\",\"usage\":{\"tokens\":{\"input_tokens\":%s,\"output_tokens\":1}}}",
                 bad_usage[i]);
        if (parse_body(body, &r) != LLMGW_EUNAVAILABLE)
            fail_msg("usage %s accepted", bad_usage[i]);
        assert_int_equal(llmgw_error_last()->error_class, LLMGW_ERRCLASS_SERVER_ERROR);
        llmgw__reply_dispose(&r);
    }
    /* cache reads larger than the input */
    assert_int_equal(parse_body("{\"id\":\"a\",\"message\":{\"role\":\"assistant\",\"content\":[]},\"usage\":"
                                "{\"tokens\":{\"input_tokens\":5,\"output_tokens\":1},\"cached_tokens\":6}}", &r),
                     LLMGW_EUNAVAILABLE);
    llmgw__reply_dispose(&r);
    assert_int_equal(parse_body("{\"id\":\"a\"}", &r), LLMGW_EUNAVAILABLE);
    llmgw__reply_dispose(&r);
    assert_int_equal(parse_body("[1,2]", &r), LLMGW_EUNAVAILABLE);
    llmgw__reply_dispose(&r);
    assert_int_equal(parse_body("{\"id\":\"a\",\"message\":", &r), LLMGW_EUNAVAILABLE);
    assert_int_equal(llmgw_error_last()->error_class, LLMGW_ERRCLASS_SERVER_ERROR);
    llmgw__reply_dispose(&r);
}

/* ---- streams ---- */

static void test_stream_shared_fixture(void **state)
{
    static const size_t chunks[] = { 0, 1, 7, 64 };
    llmgw_reply r;
    char *s = shared_read("fixtures/cohere/stream_tool_call.sse", NULL);
    size_t i;

    (void)state;
    if (s == NULL)
        skip();
    for (i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
        assert_int_equal(feed_sse(s, chunks[i], &r), 0);
        assert_true(r.done);
        assert_false(r.has_error);
        assert_string_equal(r.a.id, "29f14a5a-11de-4cae-9800-25e4747408ea");
        assert_string_equal(r.a.reasoning.ptr, "Looking up the stock price for AAPL.");
        assert_null(r.a.text.ptr);
        assert_int_equal(r.a.ncalls, 1);
        assert_string_equal(r.a.calls[0].id, "test-id-1");
        assert_string_equal(r.a.calls[0].name, "test-tool");
        assert_string_equal(r.a.calls[0].args.ptr, "{\n    \"ticker_symbol\": \"AAPL\"\n}");
        assert_int_equal(r.a.finish, LLMGW_FINISH_TOOL_CALLS);   /* tool calls, whatever the raw value */
        assert_string_equal(r.a.finish_raw, "COMPLETE");
        assert_int_equal(r.a.usage.input_tokens, 893);
        assert_int_equal(r.a.usage.output_tokens, 62);
        llmgw__reply_dispose(&r);
    }
    free(s);
}

static void test_stream_fixtures(void **state)
{
    llmgw_reply r;
    char *s;

    (void)state;
    s = fixture("cohere/stream_text.sse");
    assert_int_equal(feed_sse(s, 5, &r), 0);
    assert_true(r.done);
    assert_string_equal(r.a.text.ptr, "Hello there!");
    assert_string_equal(r.a.reasoning.ptr, "Short answer.");
    assert_int_equal(r.a.finish, LLMGW_FINISH_STOP);
    assert_int_equal(r.a.usage.input_tokens, 400);
    assert_int_equal(r.a.usage.cache_read_tokens, 384);
    assert_int_equal(r.a.usage.output_tokens, 9);
    llmgw__reply_dispose(&r);
    free(s);

    /* parallel calls told apart by index, fragments interleaved */
    s = fixture("cohere/stream_parallel_tools.sse");
    assert_int_equal(feed_sse(s, 0, &r), 0);
    assert_true(r.done);
    assert_int_equal(r.a.ncalls, 2);
    assert_string_equal(r.a.calls[0].id, "get_weather_a1");
    assert_string_equal(r.a.calls[0].args.ptr, "{\"city\":\"Paris\"}");
    assert_string_equal(r.a.calls[1].id, "get_weather_b2");
    assert_string_equal(r.a.calls[1].args.ptr, "{\"city\":\"Oslo\"}");
    assert_string_equal(r.a.reasoning.ptr, "I will check both cities.");
    assert_int_equal(r.a.finish, LLMGW_FINISH_TOOL_CALLS);
    assert_string_equal(r.a.finish_raw, "TOOL_CALL");
    llmgw__reply_dispose(&r);
    free(s);

    /* message-end with finish_reason ERROR: an error inside a 200 stream */
    s = fixture("cohere/stream_error.sse");
    assert_int_equal(feed_sse(s, 0, &r), 0);
    assert_true(r.has_error);
    assert_false(r.done);
    assert_int_equal(r.err_class, LLMGW_ERRCLASS_SERVER_ERROR);
    assert_non_null(strstr(r.err_message, "internal error while generating the response"));
    assert_string_equal(r.a.text.ptr, "Part");
    llmgw__reply_dispose(&r);
    free(s);
}

static void test_stream_edges(void **state)
{
    llmgw_reply r;

    (void)state;
    /* [DONE] without message-end does not complete the stream */
    assert_int_equal(feed_sse("event: message-start\ndata: {\"type\":\"message-start\",\"id\":\"x\"}\n\n"
                              "event: content-delta\ndata: {\"type\":\"content-delta\",\"index\":0,\"delta\":"
                              "{\"message\":{\"content\":{\"text\":\"Hi\"}}}}\n\ndata: [DONE]\n\n", 0, &r), 0);
    assert_false(r.done);
    assert_false(r.has_error);
    assert_string_equal(r.a.text.ptr, "Hi");
    llmgw__reply_dispose(&r);
    /* the event name stands in for a missing "type"; unknown events are ignored */
    assert_int_equal(feed_sse("event: debug\ndata: {\"whatever\":1}\n\n"
                              "event: content-delta\ndata: {\"delta\":{\"message\":{\"content\":{\"text\":\"Yo\"}}}}\n\n"
                              "event: message-end\ndata: {\"delta\":{\"finish_reason\":\"MAX_TOKENS\"}}\n\n", 0, &r), 0);
    assert_true(r.done);
    assert_string_equal(r.a.text.ptr, "Yo");
    assert_int_equal(r.a.finish, LLMGW_FINISH_LENGTH);
    assert_false(r.a.usage_set);
    llmgw__reply_dispose(&r);
    /* malformed JSON and implausible counts fail the parse */
    assert_int_equal(feed_sse("event: content-delta\ndata: {\"type\":\"content-delta\",\"delta\":\n\n", 0, &r),
                     LLMGW_EUNAVAILABLE);
    llmgw__reply_dispose(&r);
    assert_int_equal(feed_sse("event: message-end\ndata: {\"type\":\"message-end\",\"delta\":{\"finish_reason\":"
                              "\"COMPLETE\",\"usage\":{\"tokens\":{\"input_tokens\":-1,\"output_tokens\":2}}}}\n\n",
                              0, &r), LLMGW_EUNAVAILABLE);
    llmgw__reply_dispose(&r);
    assert_int_equal(feed_sse("event: tool-call-start\ndata: {\"type\":\"tool-call-start\",\"index\":-2,\"delta\":"
                              "{}}\n\n", 0, &r), LLMGW_EUNAVAILABLE);
    llmgw__reply_dispose(&r);
    /* a context-size error message is classified as such */
    assert_int_equal(feed_sse("event: message-end\ndata: {\"type\":\"message-end\",\"delta\":{\"finish_reason\":"
                              "\"ERROR\",\"error\":\"too many tokens: prompt exceeds the context window\"}}\n\n",
                              0, &r), 0);
    assert_int_equal(r.err_class, LLMGW_ERRCLASS_CONTEXT_LENGTH_EXCEEDED);
    llmgw__reply_dispose(&r);
}

/* ---- errors ---- */

static void test_classify(void **state)
{
    llmgw_error_info i;
    char *s;

    (void)state;
    s = fixture("cohere/error_429.json");
    i = classify(429, s);
    assert_int_equal(i.error_class, LLMGW_ERRCLASS_RATE_LIMIT);
    assert_string_equal(i.message, "Please wait and try again later");
    free(s);
    s = fixture("cohere/error_429_trial.json");
    i = classify(429, s);
    assert_int_equal(i.error_class, LLMGW_ERRCLASS_QUOTA_EXCEEDED);
    free(s);
    s = fixture("cohere/error_400_context.json");
    i = classify(400, s);
    assert_int_equal(i.error_class, LLMGW_ERRCLASS_CONTEXT_LENGTH_EXCEEDED);
    assert_non_null(strstr(i.message, "too many tokens"));
    free(s);
    s = fixture("cohere/error_401.json");
    i = classify(401, s);
    assert_int_equal(i.error_class, LLMGW_ERRCLASS_AUTH);
    assert_string_equal(i.message, "invalid api token");
    i = classify(498, s);
    assert_int_equal(i.error_class, LLMGW_ERRCLASS_AUTH);
    free(s);
    i = classify(499, "{\"message\":\"client closed request\"}");
    assert_int_equal(i.error_class, LLMGW_ERRCLASS_SERVER_ERROR);
    i = classify(400, "{\"message\":\"invalid request: message must be at least 1 token long\"}");
    assert_int_equal(i.error_class, LLMGW_ERRCLASS_BAD_REQUEST);
    i = classify(404, "{\"id\":\"x\",\"message\":\"model 'nope' not found\"}");
    assert_int_equal(i.error_class, LLMGW_ERRCLASS_NOT_FOUND);
    assert_string_equal(i.message, "model 'nope' not found");
    i = classify(503, "<html>busy</html>");
    assert_int_equal(i.error_class, LLMGW_ERRCLASS_SERVER_ERROR);
    assert_string_equal(i.message, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_basics),
        cmocka_unit_test(test_request_tools_and_history),
        cmocka_unit_test(test_request_response_format),
        cmocka_unit_test(test_request_refusals),
        cmocka_unit_test(test_parse_answers),
        cmocka_unit_test(test_parse_failures),
        cmocka_unit_test(test_stream_shared_fixture),
        cmocka_unit_test(test_stream_fixtures),
        cmocka_unit_test(test_stream_edges),
        cmocka_unit_test(test_classify),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
