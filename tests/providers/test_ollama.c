/*
 * tests/providers/test_ollama.c: the Ollama /api/chat translation without a
 * network: OLLAMA_HOST normalization, requests built from canonical JSON,
 * answers, NDJSON streams and error bodies from tests/fixtures/ollama/ and
 * the published examples in ../shared/fixtures/ollama (skipped when absent).
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
#include "providers/ollama.h"
#include "providers/registry.h"
#include "transport/framing.h"
#include "transport/http.h"
#include "fixture.h"

typedef struct inst {
    const llmgw_provider_vtable *vt;
    llmgw_provider_config        cfg;
    void                        *state;
} inst;

static int open_p(inst *p, const char *base, const char *key)
{
    int rc;

    memset(p, 0, sizeof(*p));
    p->vt = llmgw__builtin_provider("ollama");
    assert_non_null(p->vt);
    p->cfg.version = 1;
    p->cfg.provider = "ollama";
    p->cfg.model = "llama3.2";
    p->cfg.api_base = base;
    p->cfg.api_key = key;
    p->state = calloc(1, p->vt->state_size);
    assert_non_null(p->state);
    rc = p->vt->init(p->state, &p->cfg);
    return rc;
}

static void close_p(inst *p)
{
    free(p->state);
}

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

static cJSON *body_of(const char *json, int stream)
{
    inst p;
    llmgw_http_request hr;
    cJSON *body;

    assert_int_equal(open_p(&p, "http://127.0.0.1:11434", NULL), 0);
    if (build(&p, json, stream, &hr, &body) != 0)
        fail_msg("build: %s", llmgw_error_last()->message);
    llmgw__http_request_dispose(&hr);
    close_p(&p);
    return body;
}

/* LLMGW_EUNSUPPORTED naming `what`; with drop_params the body built is returned. */
static cJSON *refused(const char *json, const char *what)
{
    inst p;
    llmgw_http_request hr;
    cJSON *body;
    char dropped[4096];

    assert_int_equal(open_p(&p, "http://127.0.0.1:11434", NULL), 0);
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

static int parse_body(const char *body, llmgw_reply *r)
{
    inst p;
    llmgw_http_response resp;
    int rc;

    assert_int_equal(open_p(&p, "http://127.0.0.1:11434", NULL), 0);
    llmgw__http_response_init(&resp);
    resp.status = 200;
    assert_int_equal(llmgw__buf_set(&resp.body, body, strlen(body)), 0);
    llmgw__reply_init(r, NULL, 1u << 20);
    rc = p.vt->parse_response(r, p.state, &resp);
    llmgw__http_response_dispose(&resp);
    close_p(&p);
    return rc;
}

typedef struct feed {
    inst                 *p;
    llmgw_reply          *r;
    llmgw__ollama_stream  ss;
    int                   rc;
} feed;

/* What lib/core/attempt.c does with NDJSON: each non-empty line is one event. */
static int on_line(void *ud, const char *line, size_t len)
{
    feed *f = ud;
    llmgw_stream_event ev;

    if (len == 0 || f->r->done)
        return 0;
    memset(&ev, 0, sizeof(ev));
    ev.event = "";
    ev.data = line;
    ev.data_len = len;
    f->rc = f->p->vt->parse_stream_event(f->r, f->p->state, &f->ss, &ev);
    return f->rc < 0 || f->r->has_error ? 1 : 0;
}

static int feed_ndjson(const char *data, size_t chunk, llmgw_reply *r)
{
    inst p;
    feed f;
    llmgw__lines lines;
    size_t len = strlen(data), off;

    assert_int_equal(open_p(&p, "http://127.0.0.1:11434", NULL), 0);
    memset(&f, 0, sizeof(f));
    f.p = &p;
    f.r = r;
    llmgw__reply_init(r, NULL, 1u << 20);
    llmgw__lines_init(&lines, 1u << 20, true);
    for (off = 0; off < len && f.rc == 0 && !r->has_error; off += chunk ? chunk : len)
        llmgw__lines_feed(&lines, data + off, LLMGW_MIN(chunk ? chunk : len, len - off), on_line, &f);
    llmgw__lines_dispose(&lines);
    close_p(&p);
    return f.rc;
}

static llmgw_error_info classify(int status, const char *body)
{
    inst p;
    llmgw_http_response resp;
    llmgw_error_info info;
    llmgw__outcome o;

    assert_int_equal(open_p(&p, "http://127.0.0.1:11434", NULL), 0);
    llmgw__http_response_init(&resp);
    resp.status = status;
    assert_int_equal(llmgw__buf_set(&resp.body, body, strlen(body)), 0);
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

static char *fixture(const char *rel)
{
    char *s = fixture_read(rel, NULL);

    if (s == NULL)
        fail_msg("missing fixture %s", rel);
    return s;
}

/* ---- the base URL ---- */

static void test_ollama_host(void **state)
{
    static const struct { const char *in, *out; } ok[] = {
        { "0.0.0.0", "http://127.0.0.1:11434" },
        { "0.0.0.0:11434", "http://127.0.0.1:11434" },
        { "localhost", "http://localhost:11434" },
        { " 'localhost:8080' ", "http://localhost:8080" },
        { "\"127.0.0.1:11500\"", "http://127.0.0.1:11500" },
        { ":11434", "http://127.0.0.1:11434" },
        { "http://localhost", "http://localhost:80" },
        { "http://127.0.0.1:11434/", "http://127.0.0.1:11434" },
        { "HTTP://localhost:1234", "http://localhost:1234" },
        { "https://ollama.example.com", "https://ollama.example.com:443" },
        { "https://ollama.example.com:8443/", "https://ollama.example.com:8443" },
        { "https://proxy.example.com/ollama//", "https://proxy.example.com:443/ollama" },
        { "[::1]:11434", "http://[::1]:11434" },
        { "[::1]", "http://[::1]:11434" },
        { "::1", "http://[::1]:11434" },
        { "::", "http://[::1]:11434" },
        { "[::]:9999", "http://[::1]:9999" },
    };
    static const struct { const char *in, *why; } bad[] = {
        { "example.com:11434", "plain http:// is refused for non-loopback hosts" },
        { "http://10.0.0.5:11434", "plain http:// is refused" },
        { "ftp://localhost", "http:// or https://" },
        { "localhost:99999", "bad port" },
        { "localhost:12a", "bad port" },
        { "[::1", "bad IPv6" },
        { "https://user:secret@example.com", "OLLAMA_HOST" },
        { "http://user:secret@localhost:11434", "OLLAMA_HOST" },
    };
    char out[256];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        if (llmgw__ollama_base_from_host(out, sizeof(out), ok[i].in) != 0)
            fail_msg("'%s': %s", ok[i].in, llmgw_error_last()->message);
        if (strcmp(out, ok[i].out) != 0)
            fail_msg("'%s' gave '%s', not '%s'", ok[i].in, out, ok[i].out);
    }
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (llmgw__ollama_base_from_host(out, sizeof(out), bad[i].in) != LLMGW_EINVAL)
            fail_msg("'%s' accepted as '%s'", bad[i].in, out);
        assert_int_equal(llmgw_error_last()->error_class, LLMGW_ERRCLASS_CONFIG);
        if (strstr(llmgw_error_last()->message, bad[i].why) == NULL)
            fail_msg("'%s': '%s' does not say '%s'", bad[i].in, llmgw_error_last()->message, bad[i].why);
        assert_null(strstr(llmgw_error_last()->message, "secret"));
    }
}

static void test_base_resolution(void **state)
{
    inst p;
    llmgw_http_request hr;
    cJSON *b;
    static const char req[] = "{\"model\":\"x\",\"messages\":[{\"role\":\"user\",\"content\":\"a\"}]}";

    (void)state;
    assert_int_equal(unsetenv("OLLAMA_HOST"), 0);
    assert_null(llmgw__builtin_provider("ollama")->default_api_base);
    assert_int_equal(open_p(&p, NULL, NULL), 0);
    assert_int_equal(build(&p, req, 0, &hr, &b), 0);
    assert_string_equal(llmgw_http_request_url(&hr), "http://localhost:11434/api/chat");
    assert_null(llmgw__http_request_header(&hr, "Authorization"));      /* no key, no header */
    cJSON_Delete(b);
    llmgw__http_request_dispose(&hr);
    close_p(&p);

    assert_int_equal(setenv("OLLAMA_HOST", "0.0.0.0:11500", 1), 0);
    assert_int_equal(open_p(&p, NULL, NULL), 0);
    assert_int_equal(build(&p, req, 0, &hr, &b), 0);
    assert_string_equal(llmgw_http_request_url(&hr), "http://127.0.0.1:11500/api/chat");
    cJSON_Delete(b);
    llmgw__http_request_dispose(&hr);
    close_p(&p);

    /* the deployment's api_base wins over the environment; a configured key is sent */
    assert_int_equal(open_p(&p, "https://ollama.example.com/base", "ol-key"), 0);
    assert_int_equal(build(&p, req, 1, &hr, &b), 0);
    assert_string_equal(llmgw_http_request_url(&hr), "https://ollama.example.com/base/api/chat");
    assert_string_equal(llmgw__http_request_header(&hr, "Authorization"), "Bearer ol-key");
    assert_string_equal(llmgw__http_request_header(&hr, "Accept"), "application/x-ndjson");
    cJSON_Delete(b);
    llmgw__http_request_dispose(&hr);
    close_p(&p);

    /* a non-loopback plain-http host is a clear configuration error */
    assert_int_equal(setenv("OLLAMA_HOST", "gpu-box:11434", 1), 0);
    assert_int_equal(open_p(&p, NULL, NULL), LLMGW_EINVAL);
    assert_int_equal(llmgw_error_last()->error_class, LLMGW_ERRCLASS_CONFIG);
    assert_non_null(strstr(llmgw_error_last()->message, "OLLAMA_HOST=gpu-box:11434"));
    close_p(&p);
    assert_int_equal(unsetenv("OLLAMA_HOST"), 0);
}

/* ---- requests ---- */

static void test_request_mapping(void **state)
{
    cJSON *b;

    (void)state;
    b = body_of("{\"model\":\"x\",\"messages\":[{\"role\":\"developer\",\"content\":\"Be terse.\"},"
                "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"What is \"},"
                "{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64,iVBORw0KGgo=\"}},"
                "{\"type\":\"text\",\"text\":\"this?\"}]}],\"max_tokens\":64,\"temperature\":0.2,\"top_p\":0.9,"
                "\"top_k\":20,\"seed\":7,\"stop\":[\"\\n\",\"user:\"],\"presence_penalty\":1.5,"
                "\"frequency_penalty\":-0.5,\"response_format\":{\"type\":\"json_object\"}}", 0);
    assert_string_equal(str_at(b, "model"), "llama3.2");
    assert_true(cJSON_IsFalse(at(b, "stream")));              /* always explicit */
    assert_string_equal(str_at(b, "messages.0.role"), "system");
    assert_string_equal(str_at(b, "messages.0.content"), "Be terse.");
    assert_string_equal(str_at(b, "messages.1.content"), "What is this?");
    assert_string_equal(str_at(b, "messages.1.images.0"), "iVBORw0KGgo=");
    assert_true(num_at(b, "options.num_predict") == 64);
    assert_true(num_at(b, "options.temperature") == 0.2);
    assert_true(num_at(b, "options.top_p") == 0.9);
    assert_true(num_at(b, "options.top_k") == 20);
    assert_true(num_at(b, "options.seed") == 7);
    assert_true(num_at(b, "options.presence_penalty") == 1.5);
    assert_true(num_at(b, "options.frequency_penalty") == -0.5);
    assert_string_equal(str_at(b, "options.stop.1"), "user:");
    assert_string_equal(str_at(b, "format"), "json");
    assert_null(at(b, "max_tokens"));
    assert_null(at(b, "temperature"));
    assert_null(at(b, "response_format"));
    cJSON_Delete(b);

    b = body_of("{\"model\":\"x\",\"messages\":[{\"role\":\"user\",\"content\":\"a\"}],\"stop\":\"END\","
                "\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"p\",\"schema\":"
                "{\"type\":\"object\",\"properties\":{\"age\":{\"type\":\"integer\"}}}}}}", 1);
    assert_true(cJSON_IsTrue(at(b, "stream")));
    assert_string_equal(str_at(b, "options.stop.0"), "END");
    assert_string_equal(str_at(b, "format.type"), "object");
    assert_string_equal(str_at(b, "format.properties.age.type"), "integer");
    cJSON_Delete(b);

    b = body_of("{\"model\":\"x\",\"messages\":[{\"role\":\"user\",\"content\":\"a\"}]}", 0);
    assert_null(at(b, "options"));                             /* no empty options object */
    assert_null(at(b, "format"));
    cJSON_Delete(b);
}

static void test_request_tools(void **state)
{
    cJSON *b;
    static const char tools[] = "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\","
                                "\"description\":\"Weather\",\"parameters\":{\"type\":\"object\",\"properties\":"
                                "{\"city\":{\"type\":\"string\"}}}}}]";
    char json[2048];

    (void)state;
    snprintf(json, sizeof(json), "{\"model\":\"x\",\"messages\":[{\"role\":\"user\",\"content\":\"Paris?\"},"
             "{\"role\":\"assistant\",\"content\":null,\"reasoning_content\":\"Need weather.\",\"tool_calls\":["
             "{\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"arguments\":"
             "\"{\\\"city\\\":\\\"Paris\\\"}\"}},{\"id\":\"call_2\",\"type\":\"function\",\"function\":{\"name\":"
             "\"get_time\",\"arguments\":\"\"}}]},{\"role\":\"tool\",\"tool_call_id\":\"call_2\",\"content\":\"noon\"},"
             "{\"role\":\"tool\",\"tool_call_id\":\"call_1\",\"content\":[{\"type\":\"text\",\"text\":\"sunny\"}]},"
             "{\"role\":\"tool\",\"tool_call_id\":\"call_9\",\"content\":\"orphan\"}],%s,\"tool_choice\":\"auto\"}",
             tools);
    b = body_of(json, 0);
    assert_string_equal(str_at(b, "messages.1.role"), "assistant");
    assert_string_equal(str_at(b, "messages.1.content"), "");
    assert_string_equal(str_at(b, "messages.1.thinking"), "Need weather.");
    assert_string_equal(str_at(b, "messages.1.tool_calls.0.id"), "call_1");
    assert_string_equal(str_at(b, "messages.1.tool_calls.0.function.name"), "get_weather");
    assert_string_equal(str_at(b, "messages.1.tool_calls.0.function.arguments.city"), "Paris");  /* an object */
    assert_true(cJSON_IsObject(at(b, "messages.1.tool_calls.1.function.arguments")));
    assert_string_equal(str_at(b, "messages.2.tool_name"), "get_time");
    assert_string_equal(str_at(b, "messages.2.content"), "noon");
    assert_string_equal(str_at(b, "messages.3.tool_name"), "get_weather");
    assert_string_equal(str_at(b, "messages.3.content"), "sunny");
    assert_null(at(b, "messages.4.tool_name"));               /* no call with that id */
    assert_null(at(b, "messages.2.tool_call_id"));
    assert_string_equal(str_at(b, "tools.0.type"), "function");
    assert_string_equal(str_at(b, "tools.0.function.name"), "get_weather");
    assert_string_equal(str_at(b, "tools.0.function.parameters.properties.city.type"), "string");
    assert_null(at(b, "tool_choice"));
    cJSON_Delete(b);

    /* tool_choice none: the tools are not offered */
    snprintf(json, sizeof(json), "{\"model\":\"x\",\"messages\":[{\"role\":\"user\",\"content\":\"a\"}],%s,"
             "\"tool_choice\":\"none\"}", tools);
    b = body_of(json, 0);
    assert_null(at(b, "tools"));
    assert_null(at(b, "tool_choice"));
    cJSON_Delete(b);

    /* arguments that are not a JSON object cannot be sent */
    {
        inst p;
        llmgw_http_request hr;
        assert_int_equal(open_p(&p, "http://127.0.0.1:11434", NULL), 0);
        assert_int_equal(build(&p, "{\"model\":\"x\",\"messages\":[{\"role\":\"assistant\",\"tool_calls\":[{\"id\":"
                                   "\"c\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"[1]\"}}]}]}",
                               0, &hr, &b), LLMGW_EINVAL);
        assert_int_equal(llmgw_error_last()->error_class, LLMGW_ERRCLASS_BAD_REQUEST);
        assert_non_null(strstr(llmgw_error_last()->message, "messages[0].tool_calls[0].function.arguments"));
        llmgw__http_request_dispose(&hr);
        close_p(&p);
    }
}

static void test_request_refusals(void **state)
{
    static const struct { const char *json, *what, *absent; } cases[] = {
        { "{\"model\":\"x\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":"
          "{\"url\":\"https://example.com/cat.png\"}},{\"type\":\"text\",\"text\":\"a\"}]}]}",
          "an image by URL", "messages.0.images" },
        { "{\"model\":\"x\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":"
          "{\"url\":\"data:text/plain,hello\"}},{\"type\":\"text\",\"text\":\"a\"}]}]}", "not base64",
          "messages.0.images" },
        { "{\"model\":\"x\",\"messages\":[{\"role\":\"user\",\"content\":\"a\"}],\"tools\":[{\"type\":\"function\","
          "\"function\":{\"name\":\"f\"}}],\"tool_choice\":\"required\"}", "tool_choice", "tool_choice" },
        { "{\"model\":\"x\",\"messages\":[{\"role\":\"user\",\"content\":\"a\"}],\"tools\":[{\"type\":\"function\","
          "\"function\":{\"name\":\"f\",\"strict\":true}}]}", "function.strict", "tools.0.function.strict" },
        { "{\"model\":\"x\",\"messages\":[{\"role\":\"user\",\"content\":\"a\"}],\"user\":\"u-1\"}", "'user'", "user" },
        { "{\"model\":\"x\",\"messages\":[{\"role\":\"user\",\"content\":\"a\"}],\"logprobs\":true}", "'logprobs'",
          "logprobs" },
        { "{\"model\":\"x\",\"messages\":[{\"role\":\"user\",\"content\":\"a\"}],\"reasoning_effort\":\"low\"}",
          "'reasoning_effort'", "reasoning_effort" },
        { "{\"model\":\"x\",\"messages\":[{\"role\":\"user\",\"content\":\"a\"}],\"parallel_tool_calls\":false}",
          "'parallel_tool_calls'", "parallel_tool_calls" },
        { "{\"model\":\"x\",\"messages\":[{\"role\":\"user\",\"name\":\"bob\",\"content\":\"a\"}]}",
          "messages[0].name", "messages.0.name" },
    };
    size_t i;
    cJSON *b;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        b = refused(cases[i].json, cases[i].what);
        if (at(b, cases[i].absent) != NULL)
            fail_msg("case %zu: %s was not dropped", i, cases[i].absent);
        assert_non_null(str_at(b, "messages.0.content"));    /* the rest of the request stays */
        cJSON_Delete(b);
    }
}

/* ---- answers ---- */

static void test_parse_answers(void **state)
{
    llmgw_reply r;
    char *s;

    (void)state;
    s = fixture("ollama/response_thinking.json");
    assert_int_equal(parse_body(s, &r), 0);
    assert_string_equal(r.a.text.ptr, "The sky is blue because of Rayleigh scattering.");
    assert_string_equal(r.a.reasoning.ptr, "The user asks why the sky is blue. Explain scattering briefly.");
    assert_int_equal(r.a.finish, LLMGW_FINISH_LENGTH);
    assert_string_equal(r.a.finish_raw, "length");
    assert_int_equal(r.a.usage.input_tokens, 18);
    assert_int_equal(r.a.usage.output_tokens, 64);
    llmgw__reply_dispose(&r);
    free(s);

    /* a fully cached prompt: prompt_eval_count omitted */
    assert_int_equal(parse_body("{\"model\":\"m\",\"message\":{\"role\":\"assistant\",\"content\":\"x\"},"
                                "\"done_reason\":\"load\",\"done\":true,\"eval_count\":1}", &r), 0);
    assert_int_equal(r.a.usage.input_tokens, 0);
    assert_int_equal(r.a.usage.output_tokens, 1);
    assert_int_equal(r.a.finish, LLMGW_FINISH_OTHER);
    assert_string_equal(r.a.finish_raw, "load");
    llmgw__reply_dispose(&r);
}

static void test_parse_failures(void **state)
{
    static const char *const bad_counts[] = { "-5", "1.5", "1e308", "\"7\"", "true" };
    llmgw_reply r;
    char body[256];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad_counts) / sizeof(bad_counts[0]); i++) {
        snprintf(body, sizeof(body), "{\"model\":\"m\",\"message\":{\"role\":\"assistant\",\"content\":\"x\"},"
                 "\"done\":true,\"prompt_eval_count\":%s,\"eval_count\":1}", bad_counts[i]);
        if (parse_body(body, &r) != LLMGW_EUNAVAILABLE)
            fail_msg("count %s accepted", bad_counts[i]);
        assert_int_equal(llmgw_error_last()->error_class, LLMGW_ERRCLASS_SERVER_ERROR);
        llmgw__reply_dispose(&r);
    }
    assert_int_equal(parse_body("{\"model\":\"m\",\"message\":{\"role\":\"assistant\",\"content\":\"x\"},"
                                "\"done\":false}", &r), LLMGW_EUNAVAILABLE);
    llmgw__reply_dispose(&r);
    assert_int_equal(parse_body("{\"message\":\"nope\",\"done\":true}", &r), LLMGW_EUNAVAILABLE);
    llmgw__reply_dispose(&r);
    assert_int_equal(parse_body("{\"model\":\"m\",\"message\":{\"tool_calls\":[{\"function\":{}}]},\"done\":true}",
                                &r), LLMGW_EUNAVAILABLE);
    llmgw__reply_dispose(&r);
    assert_int_equal(parse_body("not json", &r), LLMGW_EUNAVAILABLE);
    llmgw__reply_dispose(&r);
    /* an error object in a 200 body */
    assert_int_equal(parse_body("{\"error\":\"the model failed to generate a response\"}", &r), 0);
    assert_true(r.has_error);
    assert_int_equal(r.err_class, LLMGW_ERRCLASS_SERVER_ERROR);
    llmgw__reply_dispose(&r);
}

/* ---- streams ---- */

static void test_streams(void **state)
{
    static const size_t chunks[] = { 0, 1, 13 };
    llmgw_reply r;
    char *s;
    size_t i;

    (void)state;
    s = fixture("ollama/stream.ndjson");
    for (i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
        assert_int_equal(feed_ndjson(s, chunks[i], &r), 0);
        assert_true(r.done);
        assert_string_equal(r.a.text.ptr, "The sky is blue.");
        assert_int_equal(r.a.finish, LLMGW_FINISH_STOP);
        assert_int_equal(r.a.usage.input_tokens, 26);
        assert_int_equal(r.a.usage.output_tokens, 282);
        assert_string_equal(r.a.model, "llama3.2");
        llmgw__reply_dispose(&r);
    }
    free(s);

    s = fixture("ollama/stream_tool_call.ndjson");
    assert_int_equal(feed_ndjson(s, 0, &r), 0);
    assert_true(r.done);
    assert_int_equal(r.a.ncalls, 2);
    assert_string_equal(r.a.calls[0].name, "get_weather");
    assert_string_equal(r.a.calls[0].args.ptr, "{\"city\":\"Tokyo\"}");
    assert_string_equal(r.a.calls[1].id, "call_b");
    assert_string_equal(r.a.calls[1].args.ptr, "{\"tz\":\"Asia/Tokyo\",\"24h\":true}");
    assert_int_equal(r.a.finish, LLMGW_FINISH_TOOL_CALLS);
    llmgw__reply_dispose(&r);
    free(s);

    /* no done:true line: not complete; a broken line fails */
    assert_int_equal(feed_ndjson("{\"model\":\"m\",\"message\":{\"role\":\"assistant\",\"content\":\"a\"},"
                                 "\"done\":false}\n", 0, &r), 0);
    assert_false(r.done);
    assert_string_equal(r.a.text.ptr, "a");
    llmgw__reply_dispose(&r);
    assert_int_equal(feed_ndjson("{\"model\":\"m\",\"message\":{\"content\":\"a\"},\"done\":fal\n", 0, &r),
                     LLMGW_EUNAVAILABLE);
    llmgw__reply_dispose(&r);
    assert_int_equal(feed_ndjson("{\"error\":\"prompt is too long for the context window\"}\n", 0, &r), 0);
    assert_int_equal(r.err_class, LLMGW_ERRCLASS_CONTEXT_LENGTH_EXCEEDED);
    llmgw__reply_dispose(&r);
}

/* ---- errors ---- */

static void test_classify(void **state)
{
    llmgw_error_info i;
    char *s;

    (void)state;
    s = fixture("ollama/error_404.json");
    i = classify(404, s);
    assert_int_equal(i.error_class, LLMGW_ERRCLASS_NOT_FOUND);
    assert_string_equal(i.message, "model \"llama9\" not found, try pulling it first");
    free(s);
    i = classify(400, "{\"error\":\"model is required\"}");
    assert_int_equal(i.error_class, LLMGW_ERRCLASS_BAD_REQUEST);
    i = classify(429, "{\"error\":\"too many requests\"}");
    assert_int_equal(i.error_class, LLMGW_ERRCLASS_RATE_LIMIT);
    i = classify(503, "{\"error\":\"server busy, please try again.  maximum pending requests exceeded\"}");
    assert_int_equal(i.error_class, LLMGW_ERRCLASS_SERVER_ERROR);
    i = classify(502, "Bad Gateway");
    assert_int_equal(i.error_class, LLMGW_ERRCLASS_SERVER_ERROR);
    assert_string_equal(i.message, "");
}

/* ---- Ollama's published examples, read from ../shared (skipped with a message when absent) ---- */

static char *shared_or_skip(const char *rel)
{
    char *s = shared_read(rel, NULL);

    if (s == NULL) {
        print_message("skipped: %s not found (set LLMGW_SHARED_DIR)\n", rel);
        skip();
    }
    return s;
}

static void test_shared_answers(void **state)
{
    llmgw_reply r;
    char *s;

    (void)state;
    s = shared_or_skip("fixtures/ollama/response.json");
    assert_int_equal(parse_body(s, &r), 0);
    assert_true(r.done);
    assert_string_equal(r.a.text.ptr, "Hello! How are you today?");
    assert_string_equal(r.a.model, "llama3.2");
    assert_int_equal(r.a.finish, LLMGW_FINISH_NONE);       /* no done_reason: none invented */
    assert_int_equal(r.a.usage.input_tokens, 26);
    assert_int_equal(r.a.usage.output_tokens, 298);
    llmgw__reply_dispose(&r);
    free(s);
    s = shared_or_skip("fixtures/ollama/response_tool_call.json");
    assert_int_equal(parse_body(s, &r), 0);
    assert_int_equal(r.a.ncalls, 1);
    assert_null(r.a.calls[0].id);
    assert_string_equal(r.a.calls[0].name, "get_weather");
    assert_string_equal(r.a.calls[0].args.ptr, "{\"city\":\"Tokyo\"}");   /* object -> JSON string */
    assert_int_equal(r.a.finish, LLMGW_FINISH_TOOL_CALLS);
    assert_string_equal(r.a.finish_raw, "stop");
    assert_int_equal(r.a.usage.input_tokens, 169);
    assert_int_equal(r.a.usage.output_tokens, 18);
    assert_null(r.a.text.ptr);
    llmgw__reply_dispose(&r);
    free(s);
    /* the documented mid-stream error (an /api/generate-shaped example) */
    s = shared_or_skip("fixtures/ollama/stream_midstream_error.ndjson");
    assert_int_equal(feed_ndjson(s, 3, &r), 0);
    assert_true(r.has_error);
    assert_false(r.done);
    assert_int_equal(r.err_class, LLMGW_ERRCLASS_SERVER_ERROR);
    assert_string_equal(r.err_message, "an error was encountered while running the model");
    llmgw__reply_dispose(&r);
    free(s);
}

static void test_shared_errors(void **state)
{
    llmgw_error_info i;
    char *s;

    (void)state;
    s = shared_or_skip("fixtures/ollama/error_400_context_length.json");
    i = classify(400, s);
    assert_int_equal(i.error_class, LLMGW_ERRCLASS_CONTEXT_LENGTH_EXCEEDED);
    assert_non_null(strstr(i.message, "the prompt is longer than the context length"));
    free(s);
    s = shared_or_skip("fixtures/ollama/error_500.json");
    i = classify(500, s);
    assert_int_equal(i.error_class, LLMGW_ERRCLASS_SERVER_ERROR);
    assert_string_equal(i.message, "the model failed to generate a response");
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ollama_host),
        cmocka_unit_test(test_base_resolution),
        cmocka_unit_test(test_request_mapping),
        cmocka_unit_test(test_request_tools),
        cmocka_unit_test(test_request_refusals),
        cmocka_unit_test(test_parse_answers),
        cmocka_unit_test(test_parse_failures),
        cmocka_unit_test(test_streams),
        cmocka_unit_test(test_classify),
        cmocka_unit_test(test_shared_answers),
        cmocka_unit_test(test_shared_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
