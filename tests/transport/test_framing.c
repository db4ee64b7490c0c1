/*
 * tests/transport/test_framing.c: the line reader, the SSE parser (WHATWG
 * "server-sent events" rules, docs/providers.md §9) and NDJSON framing.
 *
 * The property checked throughout: feeding a stream in one piece, split at
 * every position, byte by byte, or split at random places gives exactly the
 * same events (resilience.md §e.5 F1). Chunks are fed from heap copies of
 * exactly their size, so a read past a chunk is an ASan / valgrind error.
 */
#include "unit.h"

#include <dirent.h>

#include "core/buf.h"
#include "core/clock.h"
#include "transport/framing.h"

#define EV(event, data) event "\x1f" data "\x1e"
#define MAX_LINE 4096

typedef struct collector {
    llmgw_buf out;
    int       events;
    int       stop_at;      /* return 7 on this event (1-based); 0 never */
} collector;

static int collect_event(void *ud, const char *event, size_t event_len, const char *data, size_t data_len)
{
    collector *c = ud;

    assert_int_equal(event[event_len], '\0');         /* both are terminated for convenience */
    assert_int_equal(data[data_len], '\0');
    assert_int_equal(llmgw__buf_put(&c->out, event, event_len), 0);
    assert_int_equal(llmgw__buf_putc(&c->out, '\x1f'), 0);
    assert_int_equal(llmgw__buf_put(&c->out, data, data_len), 0);
    assert_int_equal(llmgw__buf_putc(&c->out, '\x1e'), 0);
    return ++c->events == c->stop_at ? 7 : 0;
}

static int collect_line(void *ud, const char *line, size_t len)
{
    collector *c = ud;

    assert_int_equal(llmgw__buf_put(&c->out, line, len), 0);
    assert_int_equal(llmgw__buf_putc(&c->out, '\x1e'), 0);
    return ++c->events == c->stop_at ? 7 : 0;
}

typedef struct run_result {
    int       rc;           /* first non-zero feed result, or 0 */
    llmgw_buf out;          /* the events, serialized */
    bool      pending;      /* an unfinished event or line remained */
} run_result;

static void run_dispose(run_result *r)
{
    llmgw_buf_dispose(&r->out);
}

/* Feed in[0..len) cut at cuts[0..ncuts) (ascending, may repeat). mode 0: SSE, 1: NDJSON lines, 2: lines. */
static void run(run_result *res, int mode, const char *in, size_t len, const size_t *cuts, size_t ncuts,
                size_t max_line, int stop_at)
{
    collector c;
    llmgw__sse sse;
    llmgw__lines lines;
    size_t k, start = 0;

    memset(&c, 0, sizeof(c));
    c.stop_at = stop_at;
    memset(res, 0, sizeof(*res));
    if (mode == 0)
        llmgw__sse_init(&sse, max_line, collect_event, &c);
    else
        llmgw__lines_init(&lines, max_line, mode == 1);
    for (k = 0; k <= ncuts; k++) {
        size_t end = k < ncuts ? cuts[k] : len;
        char *chunk = unit_exact_copy(in + start, end - start);
        int rc = mode == 0 ? llmgw__sse_feed(&sse, chunk, end - start)
                           : llmgw__lines_feed(&lines, chunk, end - start, collect_line, &c);
        free(chunk);
        /* bounded memory: never more than a line (an event) is buffered */
        if (mode == 0) {
            assert_true(sse.lines.partial.size <= max_line);
            assert_true(sse.data.size <= sse.max_event);
        } else {
            assert_true(lines.partial.size <= max_line);
        }
        start = end;
        if (rc != 0) {
            res->rc = rc;
            break;
        }
    }
    res->pending = mode == 0 ? llmgw__sse_pending(&sse) : llmgw__lines_pending(&lines) > 0;
    if (mode == 0)
        llmgw__sse_dispose(&sse);
    else
        llmgw__lines_dispose(&lines);
    res->out = c.out;
}

static void assert_same(const run_result *want, const run_result *got, const char *what, size_t at)
{
    if (want->rc != got->rc || want->out.size != got->out.size ||
        (want->out.size && memcmp(want->out.ptr, got->out.ptr, want->out.size) != 0) ||
        (want->rc == 0 && want->pending != got->pending))
        fail_msg("%s %zu: rc %d/%d, %zu/%zu bytes of events, pending %d/%d", what, at, want->rc, got->rc,
                 want->out.size, got->out.size, want->pending, got->pending);
}

/* One piece, every single split, byte by byte, and `random_rounds` random multi-splits. */
static void check_split_invariance(int mode, const char *in, size_t len, size_t max_line, int stop_at,
                                   uint64_t *rng, int random_rounds, run_result *whole_out)
{
    run_result whole, split;
    size_t i, cuts[16], *bytes;
    int round;

    run(&whole, mode, in, len, NULL, 0, max_line, stop_at);
    for (i = 0; i <= len; i++) {
        run(&split, mode, in, len, &i, 1, max_line, stop_at);
        assert_same(&whole, &split, "split at", i);
        run_dispose(&split);
    }
    bytes = malloc((len + 1) * sizeof(*bytes));
    assert_non_null(bytes);
    for (i = 0; i < len; i++)
        bytes[i] = i + 1;
    run(&split, mode, in, len, bytes, len ? len - 1 : 0, max_line, stop_at);
    assert_same(&whole, &split, "byte by byte, len", len);
    run_dispose(&split);
    free(bytes);
    for (round = 0; round < random_rounds; round++) {
        size_t n = 1 + (size_t)llmgw__rand_below(rng, LLMGW_ARRAY_SIZE(cuts)), a, b;
        for (i = 0; i < n; i++)
            cuts[i] = (size_t)llmgw__rand_below(rng, len + 1);
        for (a = 1; a < n; a++)                     /* insertion sort; repeats give empty chunks */
            for (b = a; b > 0 && cuts[b - 1] > cuts[b]; b--) {
                size_t t = cuts[b];
                cuts[b] = cuts[b - 1];
                cuts[b - 1] = t;
            }
        run(&split, mode, in, len, cuts, n, max_line, stop_at);
        assert_same(&whole, &split, "random round", (size_t)round);
        run_dispose(&split);
    }
    if (whole_out)
        *whole_out = whole;
    else
        run_dispose(&whole);
}

/* ---- SSE: own streams with the exact events expected ---- */

static const struct sse_case {
    const char *in;
    const char *events;
    bool        pending;
} sse_cases[] = {
    { "data: hello\n\n", EV("", "hello"), false },
    { "", "", false },
    /* line endings: CRLF, CR only, LF, and mixed */
    { "event: a\r\ndata: x\r\n\r\ndata: y\r\n\r\n", EV("a", "x") EV("", "y"), false },
    { "data: x\r\rdata: y\r\r", EV("", "x") EV("", "y"), false },
    { "data: a\r\n\ndata:b\n\r\ndata: c\r\r\n", EV("", "a") EV("", "b") EV("", "c"), false },
    { "data: x\r\n\r\ndata: y\n\ndata: z\r\r", EV("", "x") EV("", "y") EV("", "z"), false },
    /* comments */
    { ": keep-alive\n\ndata: x\n\n: OPENROUTER PROCESSING\n\n:\n\n", EV("", "x"), false },
    { "data: a\n: comment inside an event\ndata: b\n\n", EV("", "a\nb"), false },
    /* multi-line data, empty data lines, a field without a colon */
    { "data: a\ndata: b\ndata:\ndata\n\n", EV("", "a\nb\n\n"), false },
    { "data:\n\n", EV("", ""), false },
    { "data\n\n", EV("", ""), false },
    { "data\ndata: z\n\n", EV("", "\nz"), false },
    /* event names; an event without data is dropped and resets the name */
    { "event: message_start\ndata: {}\n\nevent: ping\ndata: {\"type\": \"ping\"}\n\n",
      EV("message_start", "{}") EV("ping", "{\"type\": \"ping\"}"), false },
    { "event: x\n\ndata: y\n\n", EV("", "y"), false },
    { "event: a\nevent: b\ndata: x\n\n", EV("b", "x"), false },
    { "event\ndata: x\n\nevent:\ndata: y\n\n", EV("", "x") EV("", "y"), false },
    { "event:  spaced\ndata:x\n\n", EV(" spaced", "x"), false },
    /* one optional space after the colon; further colons are data */
    { "data:x\n\ndata: x\n\ndata:  x\n\ndata: a:b: c\n\n",
      EV("", "x") EV("", "x") EV("", " x") EV("", "a:b: c"), false },
    /* id, retry and unknown fields are ignored; "data " is not "data" */
    { "id: 1\nretry: 100\nfoo: bar\ndata: x\nid\n\n", EV("", "x"), false },
    { "data : x\n\nDATA: y\n\n", "", false },
    /* blank lines around events */
    { "\n\n\ndata: x\n\n\n\n", EV("", "x"), false },
    /* UTF-8 (split across reads by the split checks) */
    { "data: h\xC3\xA9llo \xE2\x98\x83 \xF0\x9F\x98\x80\n\n", EV("", "h\xC3\xA9llo \xE2\x98\x83 \xF0\x9F\x98\x80"), false },
    /* a byte-order mark starts the stream only */
    { "\xEF\xBB\xBF" "data: x\n\n", EV("", "x"), false },
    { "\xEF\xBB\xBF" ": c\n\ndata: x\n\n", EV("", "x"), false },
    /* a trailing event without its blank line is discarded and reported pending */
    { "data: a\n\ndata: b\n", EV("", "a"), true },
    { "data: a\n\ndata: b", EV("", "a"), true },
    { "data: a\n\nevent: z", EV("", "a"), true },
    { "data: a\n\ndata: b\r", EV("", "a"), true },
    { "data: a\n\nevent: z\n", EV("", "a"), false },
    /* terminators pass through as data */
    { "data: {\"a\":1}\n\ndata: [DONE]\n\n", EV("", "{\"a\":1}") EV("", "[DONE]"), false },
};

static void test_sse_expected_events(void **state)
{
    uint64_t rng = 20240611;
    size_t i;

    (void)state;
    for (i = 0; i < LLMGW_ARRAY_SIZE(sse_cases); i++) {
        run_result whole;
        size_t len = strlen(sse_cases[i].in);

        check_split_invariance(0, sse_cases[i].in, len, MAX_LINE, 0, &rng, 150, &whole);
        if (whole.rc != 0 || whole.out.size != strlen(sse_cases[i].events) ||
            memcmp(llmgw__buf_cstr(&whole.out), sse_cases[i].events, whole.out.size) != 0)
            fail_msg("case %zu: rc %d, events \"%s\"", i, whole.rc, llmgw__buf_cstr(&whole.out));
        if (whole.pending != sse_cases[i].pending)
            fail_msg("case %zu: pending %d", i, whole.pending);
        run_dispose(&whole);
    }
}

static void test_sse_nul_in_data(void **state)
{
    static const char in[] = "data: a\0b\n\n";
    static const char want[] = EV("", "a\0b");
    uint64_t rng = 7;
    run_result whole;

    (void)state;
    check_split_invariance(0, in, sizeof(in) - 1, MAX_LINE, 0, &rng, 50, &whole);
    assert_int_equal(whole.out.size, sizeof(want) - 1);
    assert_memory_equal(whole.out.ptr, want, sizeof(want) - 1);
    run_dispose(&whole);
}

/* ---- SSE: the shared recordings ---- */

static const char *fixtures_root(void)
{
    const char *env = getenv("LLMGW_SHARED_FIXTURES");

    return env && *env ? env : "/work/shared/fixtures";
}

static size_t count_occurrences(const char *s, size_t len, const char *needle)
{
    size_t n = 0, nl = strlen(needle), i;

    for (i = 0; i + nl <= len; i++)
        if (memcmp(s + i, needle, nl) == 0)
            n++;
    return n;
}

static void check_fixture(const char *dir, const char *name, uint64_t *rng)
{
    char path[1024];
    size_t len = 0;
    char *data;
    run_result whole;
    const char *last;

    snprintf(path, sizeof(path), "%s/%s/%s", fixtures_root(), dir, name);
    data = unit_read_file(path, &len);
    if (data == NULL)
        fail_msg("cannot read %s", path);
    check_split_invariance(0, data, len, 1 << 20, 0, rng, 300, &whole);
    assert_int_equal(whole.rc, 0);
    assert_false(whole.pending);
    /* every blank-line-terminated block was one event */
    assert_true(whole.out.size > 0);
    assert_int_equal(count_occurrences(whole.out.ptr, whole.out.size, "\x1e"),
                     count_occurrences(data, len, "\n\n"));
    /* and the streams end with their terminators */
    last = whole.out.ptr + whole.out.size - 1;
    while (last > whole.out.ptr && last[-1] != '\x1e')
        last--;
    if (strcmp(dir, "openai") == 0)
        assert_string_equal(last, EV("", "[DONE]"));
    else if (strcmp(dir, "anthropic") == 0)
        assert_int_equal(strncmp(last, "message_stop\x1f", 13), 0);
    print_message("%s/%s: %zu bytes, %zu events, every split agrees\n", dir, name, len,
                  count_occurrences(whole.out.ptr, whole.out.size, "\x1e"));
    run_dispose(&whole);
    free(data);
}

static void test_sse_recordings(void **state)
{
    static const char *const dirs[] = { "openai", "anthropic", "cohere" };
    uint64_t rng = 99;
    size_t d, files = 0;
    char path[1024];

    (void)state;
    snprintf(path, sizeof(path), "%s/openai", fixtures_root());
    {
        DIR *probe = opendir(path);
        if (probe == NULL) {
            print_message("%s is absent: the recorded-stream checks are skipped\n", path);
            skip();
        }
        closedir(probe);
    }
    for (d = 0; d < LLMGW_ARRAY_SIZE(dirs); d++) {
        DIR *dh;
        struct dirent *e;
        snprintf(path, sizeof(path), "%s/%s", fixtures_root(), dirs[d]);
        dh = opendir(path);
        if (dh == NULL)
            continue;
        while ((e = readdir(dh)) != NULL) {
            size_t n = strlen(e->d_name);
            if (n > 4 && strcmp(e->d_name + n - 4, ".sse") == 0) {
                check_fixture(dirs[d], e->d_name, &rng);
                files++;
            }
        }
        closedir(dh);
    }
    assert_true(files >= 7);        /* five OpenAI and two Anthropic recordings */
}

/* ---- limits ---- */

static void test_sse_line_too_long(void **state)
{
    char in[300];
    uint64_t rng = 1;
    run_result whole;
    size_t n;

    (void)state;
    /* a 64-byte line is fine with max_line 64; 65 is not */
    n = (size_t)snprintf(in, sizeof(in), "data: %.*s\n\n", 58, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
    check_split_invariance(0, in, n, 64, 0, &rng, 100, &whole);
    assert_int_equal(whole.rc, 0);
    assert_int_equal(whole.out.size, 58 + 2);
    run_dispose(&whole);

    n = (size_t)snprintf(in, sizeof(in), "data: ok\n\ndata: %.*s\n\ndata: never\n\n", 59,
                         "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy");
    check_split_invariance(0, in, n, 64, 0, &rng, 100, &whole);
    assert_int_equal(whole.rc, LLMGW__FRAMING_TOO_LONG);
    assert_memory_equal(whole.out.ptr, EV("", "ok"), whole.out.size);   /* events before it were delivered */
    run_dispose(&whole);

    /* the same with CRLF and CR endings */
    n = (size_t)snprintf(in, sizeof(in), "data: %.*s\r\n\r\n", 59,
                         "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz");
    check_split_invariance(0, in, n, 64, 0, &rng, 100, &whole);
    assert_int_equal(whole.rc, LLMGW__FRAMING_TOO_LONG);
    run_dispose(&whole);

    /* an event is bounded too: many data lines add up */
    n = (size_t)snprintf(in, sizeof(in), "data: %s\ndata: %s\ndata: %s\n\n",
                         "0123456789012345678901234567890123456789012345678901",
                         "0123456789012345678901234567890123456789012345678901",
                         "0123456789012345678901234567890123456789012345678901");
    check_split_invariance(0, in, n, 64, 0, &rng, 100, &whole);
    assert_int_equal(whole.rc, LLMGW__FRAMING_TOO_LONG);
    assert_int_equal(whole.out.size, 0);
    run_dispose(&whole);
}

static void test_sse_no_unbounded_growth(void **state)
{
    llmgw__sse p;
    collector c;
    char chunk[1000];
    int i, rc = 0;

    (void)state;
    memset(&c, 0, sizeof(c));
    memset(chunk, 'x', sizeof(chunk));
    llmgw__sse_init(&p, 1 << 16, collect_event, &c);
    assert_int_equal(llmgw__sse_feed(&p, "data: ", 6), 0);
    for (i = 0; i < 10000 && rc == 0; i++) {          /* up to 10 MB with no line end */
        rc = llmgw__sse_feed(&p, chunk, sizeof(chunk));
        assert_true(p.lines.partial.size <= (1 << 16));
        assert_true(p.lines.partial.asize <= (1 << 17));
    }
    assert_int_equal(rc, LLMGW__FRAMING_TOO_LONG);
    assert_true(i <= 66);
    assert_int_equal(c.events, 0);
    llmgw__sse_dispose(&p);
}

static void test_sse_callback_stops(void **state)
{
    static const char in[] = "data: 1\n\ndata: 2\n\ndata: 3\n\ndata: 4\n\n";
    uint64_t rng = 3;
    run_result whole;
    llmgw__sse p;
    collector c;

    (void)state;
    check_split_invariance(0, in, sizeof(in) - 1, MAX_LINE, 2, &rng, 100, &whole);
    assert_int_equal(whole.rc, 7);
    assert_memory_equal(whole.out.ptr, EV("", "1") EV("", "2"), whole.out.size);
    assert_int_equal(whole.out.size, 6);
    run_dispose(&whole);

    /* the feed that delivers the stopping event returns the callback's value */
    memset(&c, 0, sizeof(c));
    c.stop_at = 3;
    llmgw__sse_init(&p, MAX_LINE, collect_event, &c);
    assert_int_equal(llmgw__sse_feed(&p, in, 9), 0);
    assert_int_equal(llmgw__sse_feed(&p, in + 9, sizeof(in) - 1 - 9), 7);
    assert_int_equal(c.events, 3);
    llmgw__sse_dispose(&p);
    llmgw_buf_dispose(&c.out);
}

/* ---- NDJSON and plain lines ---- */

static void test_ndjson(void **state)
{
    static const char in[] = "{\"a\":1}\r\n{\"b\":2}\n\n{\"c\":\r3}\n\r\n{\"d\":4}";
    uint64_t rng = 5;
    run_result whole;
    char path[1024];
    size_t len = 0;
    char *data;

    (void)state;
    check_split_invariance(1, in, sizeof(in) - 1, MAX_LINE, 0, &rng, 200, &whole);
    assert_int_equal(whole.rc, 0);
    /* only LF ends a line; one CR before it is dropped; a CR inside stays */
    assert_string_equal(llmgw__buf_cstr(&whole.out),
                        "{\"a\":1}\x1e{\"b\":2}\x1e\x1e{\"c\":\r3}\x1e\x1e");
    assert_true(whole.pending);                        /* {"d":4} had no newline */
    run_dispose(&whole);

    /* over-long NDJSON line */
    check_split_invariance(1, "{\"a\":\"0123456789\"}\n", 19, 10, 0, &rng, 50, &whole);
    assert_int_equal(whole.rc, LLMGW__FRAMING_TOO_LONG);
    run_dispose(&whole);
    check_split_invariance(1, "0123456789\r\n", 12, 10, 0, &rng, 50, &whole);
    assert_int_equal(whole.rc, LLMGW__FRAMING_TOO_LONG);  /* the CR counts until the LF comes */
    run_dispose(&whole);

    /* the recorded Ollama stream, when present */
    snprintf(path, sizeof(path), "%s/ollama/stream_midstream_error.ndjson", fixtures_root());
    data = unit_read_file(path, &len);
    if (data == NULL) {
        print_message("%s is absent: skipped\n", path);
        return;
    }
    check_split_invariance(1, data, len, MAX_LINE, 0, &rng, 300, &whole);
    assert_int_equal(whole.rc, 0);
    assert_int_equal(count_occurrences(whole.out.ptr, whole.out.size, "\x1e"),
                     count_occurrences(data, len, "\n"));
    assert_contains(whole.out.ptr, "{\"error\":\"an error was encountered while running the model\"}\x1e");
    run_dispose(&whole);
    free(data);
}

static void test_lines_any_ending(void **state)
{
    static const char in[] = "a\rb\nc\r\nd\r\r\ne";
    uint64_t rng = 11;
    run_result whole;

    (void)state;
    check_split_invariance(2, in, sizeof(in) - 1, MAX_LINE, 0, &rng, 200, &whole);
    assert_string_equal(llmgw__buf_cstr(&whole.out), "a\x1e" "b\x1e" "c\x1e" "d\x1e" "\x1e");
    assert_true(whole.pending);
    run_dispose(&whole);
    check_split_invariance(2, "x\r", 2, MAX_LINE, 0, &rng, 10, &whole);
    assert_string_equal(llmgw__buf_cstr(&whole.out), "x\x1e");
    assert_false(whole.pending);
    run_dispose(&whole);
    /* a CR ending one read and an LF starting the next are one line end */
    {
        llmgw__lines l;
        collector c;
        memset(&c, 0, sizeof(c));
        llmgw__lines_init(&l, MAX_LINE, false);
        assert_int_equal(llmgw__lines_feed(&l, "a\r", 2, collect_line, &c), 0);
        assert_int_equal(llmgw__lines_feed(&l, "", 0, collect_line, &c), 0);
        assert_int_equal(llmgw__lines_feed(&l, "\nb\n", 3, collect_line, &c), 0);
        assert_int_equal(c.events, 2);
        assert_string_equal(c.out.ptr, "a\x1e" "b\x1e");
        llmgw__lines_dispose(&l);
        llmgw_buf_dispose(&c.out);
    }
}

/* Random streams from SSE-ish pieces: any split agrees with one piece. */
static void test_sse_random_streams(void **state)
{
    static const char *const pieces[] = {
        "data: ", "data:", "data", "event: ", "event:", ": c", "id: 1", "retry: 5", "x", "{\"a\":1}",
        "\n", "\r", "\r\n", "\n\n", "\xC3\xA9", "\xF0\x9F\x98\x80", ":", " ", "\xEF\xBB\xBF", "[DONE]",
    };
    uint64_t rng = 123456;
    char in[512];
    int round;

    (void)state;
    for (round = 0; round < 60; round++) {
        size_t len = 0;
        while (len < 200) {
            const char *p = pieces[llmgw__rand_below(&rng, LLMGW_ARRAY_SIZE(pieces))];
            memcpy(in + len, p, strlen(p));
            len += strlen(p);
        }
        check_split_invariance(0, in, len, 48, 0, &rng, 20, NULL);
        check_split_invariance(1, in, len, 48, 0, &rng, 5, NULL);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sse_expected_events),
        cmocka_unit_test(test_sse_nul_in_data),
        cmocka_unit_test(test_sse_recordings),
        cmocka_unit_test(test_sse_line_too_long),
        cmocka_unit_test(test_sse_no_unbounded_growth),
        cmocka_unit_test(test_sse_callback_stops),
        cmocka_unit_test(test_ndjson),
        cmocka_unit_test(test_lines_any_ending),
        cmocka_unit_test(test_sse_random_streams),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
