/*
 * tests/core/test_reply.c: the provider-facing llmgw_reply_* functions that
 * assemble an answer, and the delivery of stream deltas to a sink.
 */
#include "unit.h"

#include "core/buf.h"
#include "core/clock.h"
#include "core/reply.h"

#define FFFD "\xEF\xBF\xBD"

static void test_text_accumulates(void **state)
{
    llmgw_reply r;

    (void)state;
    llmgw__reply_init(&r, NULL, 1 << 20);
    assert_int_equal(llmgw_reply_append_text(&r, "Hel", 3), 0);
    assert_int_equal(llmgw_reply_append_text(&r, "lo", 2), 0);
    assert_int_equal(llmgw_reply_append_text(&r, NULL, 0), 0);
    assert_int_equal(llmgw_reply_append_text(&r, "", 0), 0);
    assert_string_equal(r.a.text.ptr, "Hello");
    /* invalid UTF-8 and NUL become U+FFFD; valid text is kept as is */
    assert_int_equal(llmgw_reply_append_text(&r, " \xFF|a\0b|\xE2\x82\xAC", 10), 0);
    assert_string_equal(r.a.text.ptr, "Hello " FFFD "|a" FFFD "b|\xE2\x82\xAC");
    assert_int_equal(llmgw_reply_append_reasoning(&r, "hmm", 3), 0);
    assert_string_equal(r.a.reasoning.ptr, "hmm");
    assert_string_equal(r.a.text.ptr, "Hello " FFFD "|a" FFFD "b|\xE2\x82\xAC");
    assert_false(r.done);
    assert_false(r.user_stopped);
    assert_fails_with(llmgw_reply_append_text(&r, NULL, 1), LLMGW_EINVAL, "'text' is NULL");
    assert_fails_with(llmgw_reply_append_reasoning(&r, NULL, 1), LLMGW_EINVAL, "'text' is NULL");
    assert_fails_with(llmgw_reply_append_text(NULL, "x", 1), LLMGW_EINVAL, "'r' is NULL");
    llmgw__reply_dispose(&r);
    llmgw__reply_dispose(NULL);
}

static void test_id_and_model(void **state)
{
    llmgw_reply r;
    char *kept;

    (void)state;
    llmgw__reply_init(&r, NULL, 100);
    assert_int_equal(llmgw_reply_set_id(&r, "chatcmpl-1"), 0);
    kept = r.a.id;
    assert_int_equal(llmgw_reply_set_id(&r, "chatcmpl-1"), 0);     /* same value: kept */
    assert_ptr_equal(r.a.id, kept);
    assert_int_equal(llmgw_reply_set_id(&r, "chatcmpl-2"), 0);
    assert_string_equal(r.a.id, "chatcmpl-2");
    assert_int_equal(llmgw_reply_set_id(&r, NULL), 0);
    assert_null(r.a.id);
    assert_int_equal(llmgw_reply_set_model(&r, "gpt-4o"), 0);
    assert_int_equal(llmgw_reply_set_model(&r, "gpt-4o-mini"), 0);
    assert_string_equal(r.a.model, "gpt-4o-mini");
    llmgw__reply_dispose(&r);
    assert_null(r.a.model);
}

static void test_tool_call_fragments(void **state)
{
    llmgw_reply r;

    (void)state;
    llmgw__reply_init(&r, NULL, 100);
    assert_int_equal(llmgw_reply_tool_call(&r, 0, "call_1", "get_weather", "{\"ci", 4), 0);
    assert_int_equal(llmgw_reply_tool_call(&r, 0, NULL, NULL, "ty\":", 4), 0);
    assert_int_equal(llmgw_reply_tool_call(&r, 1, "call_2", "get_time", "", 0), 0);
    /* a later id or name does not replace the first fragment's */
    assert_int_equal(llmgw_reply_tool_call(&r, 0, "call_X", "other", "\"Paris\"}", 8), 0);
    assert_int_equal(llmgw_reply_tool_call(&r, 1, NULL, NULL, "{}", 2), 0);
    assert_int_equal(r.a.ncalls, 2);
    assert_string_equal(r.a.calls[0].id, "call_1");
    assert_string_equal(r.a.calls[0].name, "get_weather");
    assert_string_equal(r.a.calls[0].args.ptr, "{\"city\":\"Paris\"}");
    assert_string_equal(r.a.calls[1].id, "call_2");
    assert_string_equal(r.a.calls[1].name, "get_time");
    assert_string_equal(r.a.calls[1].args.ptr, "{}");
    /* tool-call text does not count against the text cap */
    assert_int_equal(r.a.text.size, 0);

    /* an index out of order leaves empty calls in between */
    assert_int_equal(llmgw_reply_tool_call(&r, 4, "call_5", "f", "{}", 2), 0);
    assert_int_equal(r.a.ncalls, 5);
    assert_null(r.a.calls[2].id);
    assert_null(r.a.calls[3].name);
    assert_int_equal(r.a.calls[3].args.size, 0);

    assert_fails_with(llmgw_reply_tool_call(&r, LLMGW__MAX_TOOL_CALLS, "c", "f", "", 0), LLMGW_EUNAVAILABLE,
                      "more than 128 tool calls");
    assert_int_equal(llmgw_error_last()->error_class, LLMGW_ERRCLASS_SERVER_ERROR);
    assert_int_equal(llmgw_reply_tool_call(&r, LLMGW__MAX_TOOL_CALLS - 1, "c", "f", "", 0), 0);
    assert_fails_with(llmgw_reply_tool_call(&r, 0, NULL, NULL, NULL, 3), LLMGW_EINVAL, "'arguments' is NULL");
    llmgw__reply_dispose(&r);
}

static void test_tool_call_args_cap(void **state)
{
    llmgw_reply r;
    char *big = malloc(LLMGW__MAX_TOOL_ARGS + 1);

    (void)state;
    assert_non_null(big);
    memset(big, 'a', LLMGW__MAX_TOOL_ARGS + 1);
    llmgw__reply_init(&r, NULL, 100);
    assert_int_equal(llmgw_reply_tool_call(&r, 0, "c", "f", big, LLMGW__MAX_TOOL_ARGS), 0);
    assert_fails_with(llmgw_reply_tool_call(&r, 0, NULL, NULL, big, 1), LLMGW_EUNAVAILABLE,
                      "tool call arguments larger than 1 MiB");
    assert_int_equal(r.a.calls[0].args.size, LLMGW__MAX_TOOL_ARGS);
    llmgw__reply_dispose(&r);
    free(big);
}

static void test_finish(void **state)
{
    llmgw_reply r;

    (void)state;
    llmgw__reply_init(&r, NULL, 100);
    assert_int_equal(r.a.finish, LLMGW_FINISH_NONE);
    assert_int_equal(llmgw_reply_set_finish(&r, LLMGW_FINISH_OTHER, "pause_turn"), 0);
    assert_string_equal(llmgw__finish_str(r.a.finish, r.a.finish_raw), "pause_turn");
    assert_int_equal(llmgw_reply_set_finish(&r, LLMGW_FINISH_STOP, "end_turn"), 0);
    assert_int_equal(r.a.finish, LLMGW_FINISH_STOP);
    assert_string_equal(r.a.finish_raw, "end_turn");
    assert_int_equal(llmgw_reply_set_finish(&r, LLMGW_FINISH_LENGTH, NULL), 0);
    assert_null(r.a.finish_raw);
    assert_fails_with(llmgw_reply_set_finish(&r, 99, "x"), LLMGW_EINVAL, "unknown finish value 99");
    assert_fails_with(llmgw_reply_set_finish(&r, -1, "x"), LLMGW_EINVAL, "unknown finish value -1");
    assert_int_equal(r.a.finish, LLMGW_FINISH_LENGTH);
    /* tool calls make the finish "tool_calls" */
    assert_int_equal(llmgw_reply_tool_call(&r, 0, "c", "f", "{}", 2), 0);
    llmgw__answer_finalize(&r.a);
    assert_int_equal(r.a.finish, LLMGW_FINISH_TOOL_CALLS);
    llmgw__reply_dispose(&r);
}

static void test_usage(void **state)
{
    llmgw_reply r;
    llmgw_token_counts c, got;
    const uint64_t big = (uint64_t)1 << 40;

    (void)state;
    llmgw__reply_init(&r, NULL, 100);
    memset(&got, 0xAB, sizeof(got));
    assert_int_equal(llmgw_reply_get_usage(&r, &got), 0);
    assert_int_equal(got.input_tokens, 0);
    assert_int_equal(got.reasoning_tokens, 0);

    c = (llmgw_token_counts){ 100, 50, 60, 40, 50 };
    assert_int_equal(llmgw_reply_set_usage(&r, &c), 0);
    assert_int_equal(llmgw_reply_get_usage(&r, &got), 1);
    assert_memory_equal(&got, &c, sizeof(c));
    /* cumulative counters: set, never added */
    c.output_tokens = 70;
    assert_int_equal(llmgw_reply_set_usage(&r, &c), 0);
    assert_int_equal(llmgw_reply_get_usage(&r, &got), 1);
    assert_int_equal(got.output_tokens, 70);

    c = (llmgw_token_counts){ big - 1, big - 1, 0, 0, 0 };
    assert_int_equal(llmgw_reply_set_usage(&r, &c), 0);

    static const llmgw_token_counts bad[] = {
        { 10, 5, 11, 0, 0 },              /* cache reads above input */
        { 10, 5, 0, 11, 0 },              /* cache writes above input */
        { 10, 5, 6, 5, 0 },               /* reads + writes above input */
        { 10, 5, 0, 0, 6 },               /* reasoning above output */
        { (uint64_t)1 << 40, 5, 0, 0, 0 },
        { 10, (uint64_t)1 << 40, 0, 0, 0 },
        { UINT64_MAX, 5, 0, 0, 0 },
        { 10, UINT64_MAX, 0, 0, UINT64_MAX },
    };
    size_t i;

    for (i = 0; i < LLMGW_ARRAY_SIZE(bad); i++) {
        int rc = llmgw_reply_set_usage(&r, &bad[i]);
        if (rc != LLMGW_EUNAVAILABLE)
            fail_msg("case %zu accepted", i);
        assert_contains(llmgw_error_last()->message, "implausible token counts");
        assert_int_equal(llmgw_error_last()->error_class, LLMGW_ERRCLASS_SERVER_ERROR);
    }
    /* a rejected update leaves the last good one */
    assert_int_equal(llmgw_reply_get_usage(&r, &got), 1);
    assert_int_equal(got.input_tokens, big - 1);
    assert_fails_with(llmgw_reply_set_usage(&r, NULL), LLMGW_EINVAL, "'c' is NULL");
    assert_int_equal(llmgw_reply_get_usage(NULL, &got), 0);
    llmgw__reply_dispose(&r);
}

static void test_done_and_error(void **state)
{
    llmgw_reply r;
    char longmsg[1000];

    (void)state;
    llmgw__reply_init(&r, NULL, 100);
    assert_int_equal(llmgw_reply_done(&r), 0);
    assert_true(r.done);
    assert_false(r.has_error);
    assert_int_equal(llmgw_reply_error(&r, LLMGW_ERRCLASS_RATE_LIMIT, 429, "slow down"), 0);
    assert_true(r.has_error);
    assert_int_equal(r.err_class, LLMGW_ERRCLASS_RATE_LIMIT);
    assert_int_equal(r.err_http, 429);
    assert_string_equal(r.err_message, "slow down");
    /* the first error is kept */
    assert_int_equal(llmgw_reply_error(&r, LLMGW_ERRCLASS_AUTH, 401, "later"), 0);
    assert_int_equal(r.err_class, LLMGW_ERRCLASS_RATE_LIMIT);
    assert_string_equal(r.err_message, "slow down");
    llmgw__reply_dispose(&r);

    llmgw__reply_init(&r, NULL, 100);
    assert_int_equal(llmgw_reply_error(&r, 0, 0, NULL), 0);
    assert_int_equal(r.err_class, LLMGW_ERRCLASS_SERVER_ERROR);   /* no class: server_error */
    assert_string_equal(r.err_message, "error in stream");
    llmgw__reply_init(&r, NULL, 100);
    assert_int_equal(llmgw_reply_error(&r, LLMGW_ERRCLASS__COUNT, 0, "x"), 0);
    assert_int_equal(r.err_class, LLMGW_ERRCLASS_SERVER_ERROR);
    llmgw__reply_init(&r, NULL, 100);
    memset(longmsg, 'm', sizeof(longmsg) - 1);
    longmsg[sizeof(longmsg) - 1] = '\0';
    assert_int_equal(llmgw_reply_error(&r, LLMGW_ERRCLASS_SERVER_ERROR, 529, longmsg), 0);
    assert_int_equal(strlen(r.err_message), sizeof(r.err_message) - 1);
    assert_fails_with(llmgw_reply_done(NULL), LLMGW_EINVAL, "'r' is NULL");
}

static void test_max_text(void **state)
{
    llmgw_reply r;

    (void)state;
    llmgw__reply_init(&r, NULL, 10);
    assert_int_equal(llmgw_reply_append_text(&r, "12345678", 8), 0);
    assert_fails_with(llmgw_reply_append_text(&r, "abc", 3), LLMGW_EUNAVAILABLE,
                      "answer text larger than the response cap");
    assert_int_equal(llmgw_error_last()->error_class, LLMGW_ERRCLASS_SERVER_ERROR);
    assert_string_equal(r.a.text.ptr, "12345678");
    /* reasoning shares the cap */
    assert_int_equal(llmgw_reply_append_reasoning(&r, "ab", 2), 0);
    assert_int_equal(llmgw_reply_append_reasoning(&r, "c", 1), LLMGW_EUNAVAILABLE);
    assert_int_equal(llmgw_reply_append_text(&r, "c", 1), LLMGW_EUNAVAILABLE);
    assert_int_equal(r.a.text.size + r.a.reasoning.size, 10);
    llmgw__reply_dispose(&r);

    /* the cap holds for the text as stored: one bad byte is three bytes of U+FFFD */
    llmgw__reply_init(&r, NULL, 10);
    assert_int_equal(llmgw_reply_append_text(&r, "12345678", 8), 0);
    assert_int_equal(llmgw_reply_append_text(&r, "\xFF", 1), LLMGW_EUNAVAILABLE);
    assert_string_equal(r.a.text.ptr, "12345678");
    assert_int_equal(r.a.text.size, 8);
    assert_int_equal(llmgw_reply_append_text(&r, "9", 1), 0);
    llmgw__reply_dispose(&r);
}

/* ---- delivery ---- */

typedef struct counting_sink {
    int       text_calls, reasoning_calls, tool_calls;
    int       stop_after;         /* return non-zero on this call (1-based, over all kinds); 0 never */
    int       calls;
    llmgw_buf text, reasoning, log;
} counting_sink;

static int stop_now(counting_sink *s)
{
    return ++s->calls == s->stop_after ? 1 : 0;
}

static int on_text(const char *text, size_t len, void *userdata)
{
    counting_sink *s = userdata;

    s->text_calls++;
    assert_int_equal(llmgw__buf_put(&s->text, text, len), 0);
    assert_int_equal(llmgw__buf_printf(&s->log, "T%zu;", len), 0);
    return stop_now(s);
}

static int on_reasoning(const char *text, size_t len, void *userdata)
{
    counting_sink *s = userdata;

    s->reasoning_calls++;
    assert_int_equal(llmgw__buf_put(&s->reasoning, text, len), 0);
    return stop_now(s);
}

static int on_tool_call(const llmgw_tool_call_delta *d, void *userdata)
{
    counting_sink *s = userdata;

    s->tool_calls++;
    assert_int_equal(d->arguments_len, strlen(d->arguments));
    assert_int_equal(llmgw__buf_printf(&s->log, "C%zu:%s:%s:%s;", d->index, d->id ? d->id : "-",
                                       d->name ? d->name : "-", d->arguments), 0);
    return stop_now(s);
}

static void sink_dispose(counting_sink *s)
{
    llmgw_buf_dispose(&s->text);
    llmgw_buf_dispose(&s->reasoning);
    llmgw_buf_dispose(&s->log);
}

static void test_delivery(void **state)
{
    counting_sink cs;
    llmgw_stream_sink sink = LLMGW_STREAM_SINK_INIT;
    llmgw__delivery d = { &sink, false, 0 };
    llmgw_reply r;
    int64_t before, first;

    (void)state;
    memset(&cs, 0, sizeof(cs));
    sink.on_text = on_text;
    sink.on_reasoning = on_reasoning;
    sink.on_tool_call = on_tool_call;
    sink.userdata = &cs;
    llmgw__reply_init(&r, &d, 1 << 20);

    /* nothing delivered, nothing committed */
    assert_int_equal(llmgw_reply_append_text(&r, "", 0), 0);
    assert_int_equal(llmgw_reply_set_id(&r, "x"), 0);
    assert_int_equal(llmgw_reply_done(&r), 0);
    assert_false(d.committed);
    assert_int_equal(cs.text_calls, 0);

    before = llmgw__mono_us();
    assert_int_equal(llmgw_reply_append_text(&r, "Hel", 3), 0);
    assert_true(d.committed);
    first = d.first_delta_us;
    assert_true(first >= before && first <= llmgw__mono_us());
    assert_int_equal(llmgw_reply_append_text(&r, "lo \xFF", 4), 0);
    assert_int_equal(d.first_delta_us, first);          /* set once */
    assert_int_equal(llmgw_reply_append_reasoning(&r, "think", 5), 0);
    assert_int_equal(cs.text_calls, 2);
    assert_int_equal(cs.reasoning_calls, 1);
    /* each delta once, as sanitized text */
    assert_string_equal(cs.text.ptr, "Hello " FFFD);
    assert_string_equal(cs.text.ptr, r.a.text.ptr);
    assert_string_equal(cs.reasoning.ptr, "think");

    /* tool-call deltas: id and name once, then argument fragments */
    assert_int_equal(llmgw_reply_tool_call(&r, 0, "call_1", "f", "", 0), 0);
    assert_int_equal(llmgw_reply_tool_call(&r, 0, NULL, NULL, "{\"a\"", 4), 0);
    assert_int_equal(llmgw_reply_tool_call(&r, 0, NULL, NULL, "", 0), 0);      /* nothing new: no call */
    assert_int_equal(llmgw_reply_tool_call(&r, 0, "call_1", "f", ":1}", 3), 0);
    assert_int_equal(llmgw_reply_tool_call(&r, 1, "call_2", NULL, "", 0), 0);   /* id first ... */
    assert_int_equal(llmgw_reply_tool_call(&r, 1, NULL, "g", "{}", 2), 0);      /* ... name later */
    assert_int_equal(cs.tool_calls, 5);
    assert_string_equal(cs.log.ptr, "T3;T6;C0:call_1:f:;C0:-:-:{\"a\";C0:-:-::1};C1:call_2:-:;C1:-:g:{};");
    assert_false(r.user_stopped);
    llmgw__reply_dispose(&r);
    sink_dispose(&cs);
}

static void test_delivery_stop(void **state)
{
    counting_sink cs;
    llmgw_stream_sink sink = LLMGW_STREAM_SINK_INIT;
    llmgw__delivery d = { &sink, false, 0 };
    llmgw_reply r;

    (void)state;
    memset(&cs, 0, sizeof(cs));
    cs.stop_after = 2;
    sink.on_text = on_text;
    sink.on_tool_call = on_tool_call;
    sink.userdata = &cs;
    llmgw__reply_init(&r, &d, 1 << 20);
    assert_int_equal(llmgw_reply_append_text(&r, "a", 1), 0);
    assert_fails_with(llmgw_reply_append_text(&r, "b", 1), LLMGW_EUSER, "stopped by a stream callback");
    assert_int_equal(llmgw_error_last()->error_class, LLMGW_ERRCLASS_CANCELLED);
    assert_true(r.user_stopped);
    assert_int_equal(cs.text_calls, 2);
    llmgw__reply_dispose(&r);

    /* a tool-call callback stops the same way */
    sink_dispose(&cs);
    memset(&cs, 0, sizeof(cs));
    cs.stop_after = 1;
    d.committed = false;
    llmgw__reply_init(&r, &d, 1 << 20);
    assert_int_equal(llmgw_reply_tool_call(&r, 0, "c", "f", "{}", 2), LLMGW_EUSER);
    assert_true(r.user_stopped);
    assert_true(d.committed);
    llmgw__reply_dispose(&r);
    sink_dispose(&cs);

    /* a sink without callbacks still commits on the first delta */
    {
        llmgw_stream_sink empty = LLMGW_STREAM_SINK_INIT;
        llmgw__delivery d2 = { &empty, false, 0 };
        llmgw__reply_init(&r, &d2, 100);
        assert_int_equal(llmgw_reply_append_reasoning(&r, "x", 1), 0);
        assert_true(d2.committed);
        llmgw__reply_dispose(&r);
        d2.committed = false;
        llmgw__reply_init(&r, &d2, 100);
        assert_int_equal(llmgw_reply_tool_call(&r, 0, "c", "f", "", 0), 0);
        assert_true(d2.committed);
        llmgw__reply_dispose(&r);
    }
    /* not streaming: nothing is delivered */
    llmgw__reply_init(&r, NULL, 100);
    assert_int_equal(llmgw_reply_append_text(&r, "x", 1), 0);
    llmgw__reply_dispose(&r);
}

static void test_answer_take(void **state)
{
    llmgw_reply r;
    llmgw__answer a;

    (void)state;
    llmgw__reply_init(&r, NULL, 100);
    assert_int_equal(llmgw_reply_append_text(&r, "hi", 2), 0);
    assert_int_equal(llmgw_reply_tool_call(&r, 0, "c", "f", "{}", 2), 0);
    llmgw__answer_take(&a, &r);
    assert_string_equal(a.text.ptr, "hi");
    assert_int_equal(a.ncalls, 1);
    assert_null(r.a.text.ptr);
    assert_int_equal(r.a.ncalls, 0);
    llmgw__reply_dispose(&r);
    llmgw__answer_dispose(&a);
    assert_null(a.calls);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text_accumulates),
        cmocka_unit_test(test_id_and_model),
        cmocka_unit_test(test_tool_call_fragments),
        cmocka_unit_test(test_tool_call_args_cap),
        cmocka_unit_test(test_finish),
        cmocka_unit_test(test_usage),
        cmocka_unit_test(test_done_and_error),
        cmocka_unit_test(test_max_text),
        cmocka_unit_test(test_delivery),
        cmocka_unit_test(test_delivery_stop),
        cmocka_unit_test(test_answer_take),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
