/*
 * tests/providers/test_openai_fast.c: the OpenAI fast path
 * (lib/providers/openai_fast.c, lib/core/jtape.c) against the cJSON path.
 *
 * Whenever the fast path says it handled a text, the reply it produced, its
 * return code and the thread's error must be exactly what the cJSON path
 * (llmgw__openai_parse_completion / llmgw__openai_parse_chunk on the tree
 * llmgw__json_parse builds) gives for the same text and the same prior
 * reply state. The texts: the OpenAI, Azure and compat fixtures (bodies and
 * every stream event), hand-written edge cases (escapes, surrogates, usage
 * spellings, duplicates, errors, refusals, whitespace, nesting, numbers),
 * and thousands of deterministic mutations of all of them. Plain answers
 * must take the fast path, so the comparison cannot pass by always falling
 * back.
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
#include "core/jtape.h"
#include "core/json.h"
#include "core/reply.h"
#include "providers/openai.h"
#include "fixture.h"

#define MAX_TEXTS 16384

typedef struct corpus {
    char  *text[MAX_TEXTS];
    size_t len[MAX_TEXTS];
    size_t n;
} corpus;

static void add(corpus *c, const char *s, size_t len)
{
    char *copy;

    if (c->n == MAX_TEXTS)
        return;
    copy = malloc(len + 1);
    assert_non_null(copy);
    memcpy(copy, s, len);
    copy[len] = '\0';
    c->text[c->n] = copy;
    c->len[c->n] = len;
    c->n++;
}

static void add_str(corpus *c, const char *s)
{
    add(c, s, strlen(s));
}

static void corpus_free(corpus *c)
{
    size_t i;

    for (i = 0; i < c->n; i++)
        free(c->text[i]);
    c->n = 0;
}

/* A fixture: a .json body as it is, a .sse stream as its data payloads. */
static void add_fixture(corpus *c, const char *rel)
{
    size_t len = 0;
    char *s = fixture_read(rel, &len), *line, *end;

    if (s == NULL)
        fail_msg("fixture %s is missing", rel);
    if (strstr(rel, ".sse") == NULL) {
        add(c, s, len);
    } else {
        for (line = s; line < s + len; line = end + 1) {
            size_t n;
            end = memchr(line, '\n', (size_t)(s + len - line));
            if (end == NULL)
                end = s + len;
            n = (size_t)(end - line);
            if (n > 0 && line[n - 1] == '\r')
                n--;
            if (n > 6 && memcmp(line, "data: ", 6) == 0 && !(n == 12 && memcmp(line + 6, "[DONE]", 6) == 0))
                add(c, line + 6, n - 6);
        }
    }
    free(s);
}

static const char *const fixtures[] = {
    "openai/error_400_context.json", "openai/error_401.json", "openai/error_429_quota.json",
    "openai/error_429_rate.json", "openai/response_reasoning.json", "openai/response_refusal.json",
    "openai/stream_error_data.sse", "openai/stream_obfuscation.sse", "openai/stream_refusal.sse",
    "azure/response.json", "azure/stream.sse", "azure/stream_content_filter.sse",
    "azure/error_400_content_filter.json",
    "compat/deepseek_response_reasoner.json", "compat/deepseek_stream_reasoner.sse",
    "compat/fireworks_stream_usage.sse", "compat/mistral_stream_model_length.sse",
    "compat/openrouter_error_200.json", "compat/openrouter_stream.sse", "compat/openrouter_stream_error.sse",
    "compat/together_stream_eos.sse",
};

/* The mock upstream's answers, and what the fast path must take. */
static const char mock_body[] =
    "{\"id\":\"chatcmpl-mock-1\",\"object\":\"chat.completion\",\"created\":1795632930,\"model\":\"gpt-bench\","
    "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"Hello from the mock upstream.\","
    "\"refusal\":null,\"annotations\":[]},\"logprobs\":null,\"finish_reason\":\"stop\"}],\"usage\":{"
    "\"prompt_tokens\":12,\"completion_tokens\":5,\"total_tokens\":17,\"prompt_tokens_details\":{"
    "\"cached_tokens\":0,\"audio_tokens\":0},\"completion_tokens_details\":{\"reasoning_tokens\":0,"
    "\"audio_tokens\":0,\"accepted_prediction_tokens\":0,\"rejected_prediction_tokens\":0}},"
    "\"service_tier\":\"default\",\"system_fingerprint\":\"fp_mock\"}";
static const char mock_chunk[] =
    "{\"id\":\"chatcmpl-mock-2\",\"object\":\"chat.completion.chunk\",\"created\":1795632930,\"model\":\"gpt-bench\","
    "\"system_fingerprint\":\"fp_mock\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\" from\"},"
    "\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}";
static const char mock_usage_chunk[] =
    "{\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[],"
    "\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":3,\"total_tokens\":12}}";

static const char nul_after[] = "{\"choices\":[]}\0";                           /* a NUL after the value */
static const char nul_inside[] = "{\"choices\":[{\"delta\":{\"content\":\"a\0b\"}}]}";  /* and inside a string */
static const char edge_error[] = "{\"error\":{\"message\":\"boom\",\"type\":\"server_error\"}}";

static const char *const edge[] = {
    /* escapes: every kind, and surrogate pairs */
    "{\"id\":\"a\\\"b\",\"model\":\"m\\/x\",\"choices\":[{\"message\":{\"content\":\"l1\\nl2\\t\\u00e9\\u20ac"
    "\\ud83d\\ude00\\\\\\b\\f\\r\"},\"finish_reason\":\"stop\"}]}",
    "{\"choices\":[{\"delta\":{\"content\":\"\\u0041\"},\"index\":0}]}",
    "{\"choices\":[{\"delta\":{\"content\":\"\\ud83d\"},\"index\":0}]}",             /* lone high surrogate */
    "{\"choices\":[{\"delta\":{\"content\":\"\\ude00\"},\"index\":0}]}",             /* lone low */
    "{\"choices\":[{\"delta\":{\"content\":\"a\\u0000b\"}}]}",                       /* NUL escape */
    "{\"choices\":[{\"delta\":{\"content\":\"a\\u00zzb\"}}]}",                       /* bad hex */
    "{\"choices\":[{\"delta\":{\"content\":\"tab\there\"}}]}",                       /* raw control byte */
    "{\"choices\":[{\"delta\":{\"content\":\"caf\xc3\xa9 \xff\xfe\"}}]}",            /* raw bytes, bad UTF-8 */
    "{\"\\u0069d\":\"escaped-key\",\"choices\":[]}",
    "{\"id\":\"first\",\"id\":\"second\",\"choices\":[{\"delta\":{\"content\":\"x\",\"content\":\"y\"}}]}",
    /* usage spellings */
    "{\"choices\":[],\"usage\":{\"prompt_tokens\":12.0,\"completion_tokens\":1}}",
    "{\"choices\":[],\"usage\":{\"prompt_tokens\":-1,\"completion_tokens\":1}}",
    "{\"choices\":[],\"usage\":{\"prompt_tokens\":1e3,\"completion_tokens\":1}}",
    "{\"choices\":[],\"usage\":{\"prompt_tokens\":1099511627776,\"completion_tokens\":1}}",
    "{\"choices\":[],\"usage\":{\"prompt_tokens\":99999999999999999999,\"completion_tokens\":1}}",
    "{\"choices\":[],\"usage\":{\"prompt_tokens\":\"12\",\"completion_tokens\":1}}",
    "{\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"prompt_tokens_details\":{\"cached_tokens\":9}}}",
    "{\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"prompt_tokens_details\":\"x\",\"completion_tokens_details\":[]}}",
    "{\"choices\":[],\"usage\":{\"prompt_tokens\":50,\"prompt_cache_hit_tokens\":40,\"completion_tokens\":2,"
    "\"completion_tokens_details\":{\"reasoning_tokens\":3}}}",
    "{\"choices\":[],\"usage\":{\"prompt_tokens\":50,\"prompt_cache_hit_tokens\":40,\"completion_tokens\":9,"
    "\"prompt_tokens_details\":{\"cached_tokens\":10,\"cache_write_tokens\":5},"
    "\"completion_tokens_details\":{\"reasoning_tokens\":3}}}",
    "{\"choices\":[],\"usage\":[]}",
    "{\"choices\":[],\"usage\":null,\"x_groq\":{\"usage\":{\"prompt_tokens\":4,\"completion_tokens\":2}}}",
    "{\"choices\":[],\"x_groq\":[1]}",
    /* errors and refusals */
    "{\"error\":{\"message\":\"boom\",\"type\":\"server_error\"}}",
    "{\"error\":\"\",\"choices\":[]}",
    "{\"error\":null,\"choices\":[{\"delta\":{\"content\":\"ok\"}}]}",
    "{\"error\":false,\"choices\":[]}",
    "{\"object\":\"error\",\"message\":\"x\"}",
    "{\"object\":\"\\u0065rror\",\"message\":\"x\"}",
    "{\"choices\":[{\"delta\":{\"refusal\":\"no\"},\"finish_reason\":\"stop\"}]}",
    "{\"choices\":[{\"message\":{\"content\":null,\"refusal\":\"no\"},\"finish_reason\":\"stop\"}]}",
    "{\"choices\":[{\"delta\":{\"refusal\":\"\"},\"finish_reason\":\"stop\"}]}",
    "{\"choices\":[{\"delta\":{},\"finish_reason\":\"error\"}]}",
    "{\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\",\"native_finish_reason\":\"end_turn\"}]}",
    "{\"choices\":[{\"delta\":{},\"finish_reason\":\"eos\",\"native_finish_reason\":\"\"}]}",
    "{\"choices\":[{\"delta\":{},\"finish_reason\":7}]}",
    /* content shapes, tool calls, reasoning */
    "{\"choices\":[{\"message\":{\"content\":[{\"type\":\"text\",\"text\":\"p\"}]}}]}",
    "{\"choices\":[{\"message\":{\"content\":5}}]}",
    "{\"choices\":[{\"message\":{\"content\":\"\",\"tool_calls\":[]}}]}",
    "{\"choices\":[{\"message\":{\"content\":null,\"tool_calls\":[{\"id\":\"c1\",\"type\":\"function\","
    "\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}]},\"finish_reason\":\"tool_calls\"}]}",
    "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{\\\"a\\\"\"}}]}}]}",
    "{\"choices\":[{\"delta\":{\"reasoning_content\":\"think\",\"content\":\"\"}}]}",
    "{\"choices\":[{\"delta\":{\"reasoning_content\":null,\"reasoning\":\"or\",\"content\":\"this\"}}]}",
    "{\"choices\":[{\"delta\":{\"reasoning_content\":5,\"reasoning\":\"r\"}}]}",
    /* choices */
    "{\"choices\":[{\"index\":1,\"delta\":{\"content\":\"other\"}},{\"index\":0,\"delta\":{\"content\":\"me\"}}]}",
    "{\"choices\":[{\"index\":0.0,\"delta\":{\"content\":\"zero\"}}]}",
    "{\"choices\":[{\"index\":-0,\"delta\":{\"content\":\"zero\"}}]}",
    "{\"choices\":[{\"index\":\"1\",\"delta\":{\"content\":\"string index\"}}]}",
    "{\"choices\":[{\"delta\":\"x\"}]}",
    "{\"choices\":[5]}",
    "{\"choices\":{\"a\":{\"delta\":{\"content\":\"obj\"}}}}",
    "{\"choices\":[{},{},{},{},{}]}",
    "{\"choices\":[]}",
    "{\"id\":\"\",\"model\":\"\",\"choices\":[]}",
    "{\"id\":5,\"model\":null,\"choices\":[{\"message\":{\"content\":\"x\"}}]}",
    /* text around the value, grammar corners */
    " \t\r\n{\"choices\":[]} \r\n\t",
    "\f{\"choices\":[]}",
    "\xef\xbb\xbf{\"choices\":[]}",
    "{\"choices\":[]}x",
    "{\"choices\":[],}",
    "{\"choices\":[1,]}",
    "{\"n\":01,\"choices\":[]}",
    "{\"n\":1.,\"choices\":[]}",
    "{\"n\":-,\"choices\":[]}",
    "{\"n\":1e,\"choices\":[]}",
    "{\"n\":1234567890123456789012345678901234567890123456789012345678901234567890,\"choices\":[]}",
    "{\"n\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"
    "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]],\"choices\":[]}",
    "{\"n\":nul,\"choices\":[]}",
    "{\"n\":truex,\"choices\":[]}",
    "[]",
    "\"a string\"",
    "",
    "{",
    "{\"choices\":[{\"delta\":{\"content\":\"unterminated}}]}",
};

/* A deterministic generator (xorshift64*). */
static uint64_t next(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ull;
}

static void add_mutations(corpus *c, size_t seeds, size_t per_seed)
{
    static const char bytes[] = "\"\\{}[],: 0123456789-+.eEnultrfa\x00\x01\x1f\x7f\xc3\xa9\xff/ubfnrt";
    static const char *const inserts[] = { "\\u0000", "\\ud800", "\\udc00", "\\ud83d\\ude00", "\\\"", "\\n",
                                           "null", ",\"k\":1", "{}", "[]", "1.5", "1e2", "-0", "\\u00e9" };
    uint64_t rng = 0x9e3779b97f4a7c15ull;
    size_t i, k;

    for (i = 0; i < seeds; i++) {
        for (k = 0; k < per_seed; k++) {
            size_t len = c->len[i], at, n;
            char buf[8192];
            if (len == 0 || len + 16 > sizeof(buf))
                break;
            memcpy(buf, c->text[i], len);
            at = (size_t)(next(&rng) % len);
            switch (next(&rng) % 4) {
            case 0:         /* replace a byte */
                buf[at] = bytes[next(&rng) % (sizeof(bytes) - 1)];
                break;
            case 1:         /* delete a byte */
                memmove(buf + at, buf + at + 1, len - at - 1);
                len--;
                break;
            case 2: {       /* insert a sequence */
                const char *s = inserts[next(&rng) % LLMGW_ARRAY_SIZE(inserts)];
                n = strlen(s);
                memmove(buf + at + n, buf + at, len - at);
                memcpy(buf + at, s, n);
                len += n;
                break;
            }
            default:        /* a digit where a digit is */
                if (buf[at] >= '0' && buf[at] <= '9')
                    buf[at] = (char)('0' + next(&rng) % 10);
                else
                    buf[at] = ' ';
                break;
            }
            add(c, buf, len);
        }
    }
}

/* ---- comparing the two paths ---- */

typedef struct outcome {
    int         rc, err_code, err_class;
    char        err_message[512];
    llmgw_reply r;
    char        delivered[4096];     /* what the sink saw, in order */
    size_t      ndelivered;
} outcome;

typedef struct sink_state {
    outcome *o;
    int      stop_after;             /* a callback returns non-zero on this call (0: never) */
    int      calls;
} sink_state;

static int record(sink_state *s, char kind, const char *text, size_t len)
{
    outcome *o = s->o;
    int n = snprintf(o->delivered + o->ndelivered, sizeof(o->delivered) - o->ndelivered, "%c[%.*s]", kind,
                     (int)len, text);

    if (n > 0 && (size_t)n < sizeof(o->delivered) - o->ndelivered)
        o->ndelivered += (size_t)n;
    return ++s->calls == s->stop_after;
}

static int on_text(const char *text, size_t len, void *ud)
{
    return record(ud, 'T', text, len);
}

static int on_reasoning(const char *text, size_t len, void *ud)
{
    return record(ud, 'R', text, len);
}

typedef enum { PRIOR_NONE, PRIOR_STATE, PRIOR_SINK, PRIOR_STOP } prior;

typedef enum { PARSE_NONE, PARSE_FAST, PARSE_CJSON } parser;

static void run(outcome *o, const char *text, size_t len, bool stream, prior pr, parser how, int *handled)
{
    static llmgw_stream_sink sink;
    static llmgw__delivery delivery;
    static sink_state st;
    llmgw_token_counts u = { 100, 50, 10, 0, 5 };

    memset(o, 0, sizeof(*o));
    memset(&st, 0, sizeof(st));
    st.o = o;
    st.stop_after = pr == PRIOR_STOP ? 1 : 0;
    llmgw_stream_sink_init(&sink, LLMGW_STREAM_SINK_VERSION);
    sink.on_text = on_text;
    sink.on_reasoning = on_reasoning;
    sink.userdata = &st;
    memset(&delivery, 0, sizeof(delivery));
    delivery.sink = &sink;
    llmgw__reply_init(&o->r, stream && pr >= PRIOR_SINK ? &delivery : NULL, 1u << 20);
    if (pr == PRIOR_STATE) {
        /* an earlier event's state: an id, a refusal finish, usage */
        assert_int_equal(llmgw_reply_set_id(&o->r, "chatcmpl-mock-2"), 0);
        assert_int_equal(llmgw_reply_set_model(&o->r, "earlier"), 0);
        assert_int_equal(llmgw_reply_set_finish(&o->r, LLMGW_FINISH_CONTENT_FILTER, "refusal"), 0);
        assert_int_equal(llmgw_reply_set_usage(&o->r, &u), 0);
        assert_int_equal(llmgw_reply_append_text(&o->r, "so far", 6), 0);
    }
    llmgw_error_clear();
    if (how == PARSE_FAST) {
        *handled = llmgw__openai_fast(&o->r, text, len, stream, &o->rc);
    } else if (how == PARSE_CJSON) {
        cJSON *root = llmgw__json_parse(text, len, LLMGW_ERRCLASS_SERVER_ERROR);
        if (root == NULL)
            o->rc = llmgw__json_failure(LLMGW_EUNAVAILABLE);
        else
            o->rc = stream ? llmgw__openai_parse_chunk(&o->r, root) : llmgw__openai_parse_completion(&o->r, root);
        cJSON_Delete(root);
    }
    if (o->rc < 0) {
        o->err_code = llmgw_error_last()->code;
        o->err_class = llmgw_error_last()->error_class;
        snprintf(o->err_message, sizeof(o->err_message), "%s", llmgw_error_last()->message);
    }
}

static const char *opt(const char *s)
{
    return s ? s : "(null)";
}

static void same(const outcome *a, const outcome *b, const char *text, bool stream, prior pr)
{
    const llmgw__answer *x = &a->r.a, *y = &b->r.a;
    bool ok = a->rc == b->rc && a->err_code == b->err_code && a->err_class == b->err_class &&
              strcmp(a->err_message, b->err_message) == 0 &&
              strcmp(llmgw__buf_cstr(&x->text), llmgw__buf_cstr(&y->text)) == 0 && x->text.size == y->text.size &&
              strcmp(llmgw__buf_cstr(&x->reasoning), llmgw__buf_cstr(&y->reasoning)) == 0 &&
              x->ncalls == y->ncalls && x->finish == y->finish &&
              strcmp(opt(x->finish_raw), opt(y->finish_raw)) == 0 && strcmp(opt(x->id), opt(y->id)) == 0 &&
              strcmp(opt(x->model), opt(y->model)) == 0 && x->usage_set == y->usage_set &&
              memcmp(&x->usage, &y->usage, sizeof(x->usage)) == 0 && a->r.done == b->r.done &&
              a->r.has_error == b->r.has_error && a->r.err_class == b->r.err_class &&
              a->r.err_http == b->r.err_http && strcmp(a->r.err_message, b->r.err_message) == 0 &&
              a->r.user_stopped == b->r.user_stopped && a->ndelivered == b->ndelivered &&
              strcmp(a->delivered, b->delivered) == 0;

    if (!ok)
        fail_msg("fast and cJSON paths differ (stream %d, prior %d) on: %s\n"
                 "  rc %d/%d err %d/%d '%s'/'%s' text '%s'/'%s' finish %d/%d '%s'/'%s' id '%s'/'%s' "
                 "model '%s'/'%s' usage %d/%d in %llu/%llu done %d/%d",
                 stream, (int)pr, text, a->rc, b->rc, a->err_code, b->err_code, a->err_message, b->err_message,
                 llmgw__buf_cstr(&x->text), llmgw__buf_cstr(&y->text), x->finish, y->finish, opt(x->finish_raw),
                 opt(y->finish_raw), opt(x->id), opt(y->id), opt(x->model), opt(y->model), x->usage_set,
                 y->usage_set, (unsigned long long)x->usage.input_tokens,
                 (unsigned long long)y->usage.input_tokens, a->r.done, b->r.done);
}

/* Compare on every text; returns how many the fast path handled. */
static size_t compare_all(const corpus *c)
{
    static const prior priors[] = { PRIOR_NONE, PRIOR_STATE, PRIOR_SINK, PRIOR_STOP };
    size_t i, p, handled_count = 0;
    int s;

    for (i = 0; i < c->n; i++)
        for (s = 0; s < 2; s++)
            for (p = 0; p < LLMGW_ARRAY_SIZE(priors); p++) {
                outcome a, b;
                int handled = 0;
                if (!s && priors[p] >= PRIOR_SINK)
                    continue;       /* a non-stream answer is not delivered */
                run(&a, c->text[i], c->len[i], s != 0, priors[p], PARSE_FAST, &handled);
                if (handled) {
                    handled_count++;
                    run(&b, c->text[i], c->len[i], s != 0, priors[p], PARSE_CJSON, NULL);
                    same(&a, &b, c->text[i], s != 0, priors[p]);
                    llmgw__reply_dispose(&b.r);
                } else {
                    /* not handled: the reply must be untouched */
                    outcome fresh;
                    run(&fresh, "", 0, s != 0, priors[p], PARSE_NONE, NULL);
                    assert_int_equal(a.rc, 0);
                    assert_int_equal(a.ndelivered, fresh.ndelivered);
                    assert_string_equal(llmgw__buf_cstr(&a.r.a.text), llmgw__buf_cstr(&fresh.r.a.text));
                    assert_string_equal(opt(a.r.a.id), opt(fresh.r.a.id));
                    assert_int_equal(a.r.a.usage_set, fresh.r.a.usage_set);
                    assert_int_equal(a.r.done, fresh.r.done);
                    llmgw__reply_dispose(&fresh.r);
                }
                llmgw__reply_dispose(&a.r);
            }
    return handled_count;
}

static void test_plain_answers_take_the_fast_path(void **state)
{
    outcome o;
    int handled = 0;

    (void)state;
    run(&o, mock_body, strlen(mock_body), false, PRIOR_NONE, PARSE_FAST, &handled);
    assert_int_equal(handled, 1);
    assert_int_equal(o.rc, 0);
    assert_string_equal(llmgw__buf_cstr(&o.r.a.text), "Hello from the mock upstream.");
    assert_string_equal(o.r.a.id, "chatcmpl-mock-1");
    assert_string_equal(o.r.a.model, "gpt-bench");
    assert_int_equal(o.r.a.finish, LLMGW_FINISH_STOP);
    assert_true(o.r.a.usage_set);
    assert_int_equal(o.r.a.usage.input_tokens, 12);
    assert_int_equal(o.r.a.usage.output_tokens, 5);
    assert_true(o.r.done);
    llmgw__reply_dispose(&o.r);

    run(&o, mock_chunk, strlen(mock_chunk), true, PRIOR_SINK, PARSE_FAST, &handled);
    assert_int_equal(handled, 1);
    assert_int_equal(o.rc, 0);
    assert_string_equal(o.delivered, "T[ from]");
    assert_false(o.r.done);
    llmgw__reply_dispose(&o.r);

    run(&o, mock_usage_chunk, strlen(mock_usage_chunk), true, PRIOR_NONE, PARSE_FAST, &handled);
    assert_int_equal(handled, 1);
    assert_int_equal(o.r.a.usage.input_tokens, 9);
    llmgw__reply_dispose(&o.r);

    /* an error body is never the fast path's */
    run(&o, edge_error, strlen(edge_error), false, PRIOR_NONE, PARSE_FAST, &handled);
    assert_int_equal(handled, 0);
    llmgw__reply_dispose(&o.r);
}

static void test_fixtures_and_edges_agree(void **state)
{
    corpus *c = calloc(1, sizeof(*c));
    size_t i, handled;

    (void)state;
    assert_non_null(c);
    add_str(c, mock_body);
    add_str(c, mock_chunk);
    add_str(c, mock_usage_chunk);
    for (i = 0; i < LLMGW_ARRAY_SIZE(fixtures); i++)
        add_fixture(c, fixtures[i]);
    for (i = 0; i < LLMGW_ARRAY_SIZE(edge); i++)
        add_str(c, edge[i]);
    add(c, nul_after, sizeof(nul_after) - 1);
    add(c, nul_inside, sizeof(nul_inside) - 1);
    handled = compare_all(c);
    /* the plain fixtures and edge cases must mostly take the fast path */
    assert_true(handled > c->n / 2);
    corpus_free(c);
    free(c);
}

static void test_mutations_agree(void **state)
{
    corpus *c = calloc(1, sizeof(*c));
    size_t i, seeds, handled;

    (void)state;
    assert_non_null(c);
    add_str(c, mock_body);
    add_str(c, mock_chunk);
    add_str(c, mock_usage_chunk);
    for (i = 0; i < LLMGW_ARRAY_SIZE(fixtures); i++)
        add_fixture(c, fixtures[i]);
    for (i = 0; i < LLMGW_ARRAY_SIZE(edge); i++)
        add_str(c, edge[i]);
    seeds = c->n;
    add_mutations(c, seeds, (MAX_TEXTS - seeds) / seeds);
    handled = compare_all(c);
    print_message("%zu texts, %zu fast-path outcomes compared\n", c->n, handled);
    assert_true(handled > 1000);
    corpus_free(c);
    free(c);
}

/* The tokenizer alone: shapes, limits and decoding. */
static void test_jtape(void **state)
{
    llmgw__jtok tok[16];
    llmgw__jtape t;
    char scratch[64];
    const char *s;
    size_t len;
    uint64_t v;
    static const char doc[] = "{\"a\":[1,{\"b\":null}],\"c\":\"x\\u00e9\"}";
    static const char nums[] = "[999999999999999,1000000000000000,1.0,-1]";

    (void)state;
    assert_int_equal(llmgw__jtape_parse(&t, doc, strlen(doc), tok, 16), 0);
    assert_int_equal(t.n, 10);             /* index 0 (absent) and 9 tokens, member names included */
    assert_int_equal(llmgw__jtape_type(&t, llmgw__jtape_get(&t, LLMGW__JTAPE_ROOT, "a")), LLMGW__JT_ARRAY);
    assert_int_equal(llmgw__jtape_get(&t, LLMGW__JTAPE_ROOT, "b"), 0);     /* not a member of the root */
    assert_int_equal(llmgw__jtape_get(&t, 0, "a"), 0);                     /* absent has no members */
    assert_int_equal(llmgw__jtape_uint(&t, llmgw__jtape_first(&t, llmgw__jtape_get(&t, LLMGW__JTAPE_ROOT, "a")),
                                       &v), 0);
    assert_int_equal(v, 1);
    assert_int_equal(llmgw__jtape_str(&t, llmgw__jtape_get(&t, LLMGW__JTAPE_ROOT, "c"), scratch, sizeof(scratch),
                                      &s, &len), 0);
    assert_int_equal(len, 3);
    assert_memory_equal(s, "x\xc3\xa9", 3);
    /* capacity is told apart from bad text */
    assert_int_equal(llmgw__jtape_parse(&t, "[1,2,3]", 7, tok, 4), LLMGW__JTAPE_FULL);
    assert_int_equal(llmgw__jtape_parse(&t, "[1,2,3", 6, tok, 16), -1);
    assert_int_equal(llmgw__jtape_parse(&t, "[1,2,3]", 7, tok, 5), 0);
    assert_int_equal(llmgw__jtape_parse(&t, "[1,2,3]", 7, tok, 7 / 2 + 3), 0);
    /* 15 digits read exactly; 16, a fraction or a sign do not */
    assert_int_equal(llmgw__jtape_parse(&t, nums, strlen(nums), tok, 16), 0);
    assert_int_equal(llmgw__jtape_uint(&t, 2, &v), 0);
    assert_int_equal(v, 999999999999999ull);
    assert_int_equal(llmgw__jtape_uint(&t, 3, &v), -1);
    assert_int_equal(llmgw__jtape_uint(&t, 4, &v), -1);
    assert_int_equal(llmgw__jtape_uint(&t, 5, &v), -1);
    assert_true(llmgw__jtape_parse(&t, "{\"\\u0061\":1}", 12, tok, 16) < 0);    /* escaped name */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jtape),
        cmocka_unit_test(test_plain_answers_take_the_fast_path),
        cmocka_unit_test(test_fixtures_and_edges_agree),
        cmocka_unit_test(test_mutations_agree),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
