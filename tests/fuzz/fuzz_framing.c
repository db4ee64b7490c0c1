/*
 * tests/fuzz/fuzz_framing.c: libFuzzer target for the SSE and NDJSON framing
 * (lib/transport/framing.c).
 *
 * Input: one byte (bit 0: 0 SSE, 1 NDJSON; bits 1-7 seed a chunking), then
 * the stream. Oracles beyond "no crash, no leak":
 *  - with room to spare (1 MiB lines), the events (or lines) are exactly those
 *    of a reference model written here from the WHATWG rules (CR, LF and CRLF
 *    end lines; a BOM opens the stream; ':' comments; one space after the
 *    colon dropped; data lines joined by LF; a blank line dispatches; an
 *    unfinished event at the end is pending, never dispatched) or, for NDJSON,
 *    LF-separated lines with one trailing CR dropped;
 *  - fed at once or in chunks, the result is the same, with room to spare and
 *    with small bounds (the bound is hit at the same place, with the same
 *    status); events and names are NUL-terminated and within their bounds.
 */
#include "fuzz_common.h"

#include "core/buf.h"
#include "transport/aws_eventstream.h"
#include "transport/framing.h"

#define ROOMY (1u << 20)
#define TIGHT 48u

typedef struct events {
    uint64_t count;
    uint32_t crc;
    size_t   max_line;
} events;

static void add_event(events *e, const char *name, size_t name_len, const char *data, size_t data_len)
{
    uint32_t lens[2] = { (uint32_t)name_len, (uint32_t)data_len };

    e->count++;
    e->crc = llmgw__crc32(e->crc, lens, sizeof(lens));
    e->crc = llmgw__crc32(e->crc, name, name_len);
    e->crc = llmgw__crc32(e->crc, data, data_len);
}

static int on_event(void *ud, const char *name, size_t name_len, const char *data, size_t data_len)
{
    events *e = ud;

    FUZZ_CHECK(name[name_len] == '\0' && data[data_len] == '\0');
    FUZZ_CHECK(memchr(name, '\n', name_len) == NULL && memchr(name, '\r', name_len) == NULL);
    FUZZ_CHECK(memchr(data, '\r', data_len) == NULL);
    FUZZ_CHECK(name_len <= e->max_line && data_len <= 2 * e->max_line);
    add_event(e, name, name_len, data, data_len);
    return 0;
}

static int on_line(void *ud, const char *line, size_t len)
{
    events *e = ud;

    FUZZ_CHECK(len <= e->max_line && memchr(line, '\n', len) == NULL);
    add_event(e, "", 0, line, len);
    return 0;
}

typedef struct result {
    events ev;
    int    rc;
    bool   pending;
} result;

static void run(result *out, bool ndjson, const uint8_t *data, size_t size, size_t max_line, unsigned seed)
{
    llmgw__sse sse;
    llmgw__lines lines;
    fuzz_chunker ch;
    size_t at = 0, n;
    int rc = 0;

    memset(out, 0, sizeof(*out));
    out->ev.max_line = max_line;
    if (ndjson)
        llmgw__lines_init(&lines, max_line, true);
    else
        llmgw__sse_init(&sse, max_line, on_event, &out->ev);
    fuzz_chunker_init(&ch, seed);
    while (at < size && rc == 0) {
        n = fuzz_chunk_next(&ch, size - at);
        rc = ndjson ? llmgw__lines_feed(&lines, (const char *)data + at, n, on_line, &out->ev)
                    : llmgw__sse_feed(&sse, (const char *)data + at, n);
        if (ndjson)
            FUZZ_CHECK(lines.partial.size <= max_line);
        else
            FUZZ_CHECK(sse.lines.partial.size <= max_line && sse.data.size <= 2 * max_line);
        at += n;
    }
    out->rc = rc;
    FUZZ_CHECK(rc == 0 || rc == LLMGW__FRAMING_TOO_LONG);
    if (ndjson) {
        out->pending = llmgw__lines_pending(&lines) > 0;
        llmgw__lines_dispose(&lines);
    } else {
        out->pending = llmgw__sse_pending(&sse);
        llmgw__sse_dispose(&sse);
    }
}

/* ---- the reference model (whole input, no bounds) ---- */

typedef struct model {
    events    ev;
    llmgw_buf data, name;
    bool      has_data, started;
} model;

static void model_line(model *m, const char *line, size_t len)
{
    const char *colon, *value;
    size_t name_len, value_len;

    if (!m->started) {
        m->started = true;
        if (len >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0) {
            line += 3;
            len -= 3;
        }
    }
    if (len == 0) {
        if (m->has_data)
            add_event(&m->ev, m->name.size ? m->name.ptr : "", m->name.size, m->data.size ? m->data.ptr : "",
                      m->data.size);
        m->has_data = false;
        llmgw__buf_clear(&m->data);
        llmgw__buf_clear(&m->name);
        return;
    }
    if (line[0] == ':')
        return;
    colon = memchr(line, ':', len);
    name_len = colon ? (size_t)(colon - line) : len;
    value = colon ? colon + 1 : line + len;
    value_len = colon ? len - name_len - 1 : 0;
    if (value_len > 0 && value[0] == ' ') {
        value++;
        value_len--;
    }
    if (name_len == 4 && memcmp(line, "data", 4) == 0) {
        if (m->has_data)
            FUZZ_CHECK(llmgw__buf_putc(&m->data, '\n') == 0);
        FUZZ_CHECK(llmgw__buf_put(&m->data, value, value_len) == 0);
        m->has_data = true;
    } else if (name_len == 5 && memcmp(line, "event", 5) == 0) {
        FUZZ_CHECK(llmgw__buf_set(&m->name, value, value_len) == 0);
    }
}

static void model_run(result *out, bool ndjson, const char *s, size_t size)
{
    model m;
    size_t at = 0, end;

    memset(&m, 0, sizeof(m));
    while (at < size) {
        end = at;
        while (end < size && s[end] != '\n' && (ndjson || s[end] != '\r'))
            end++;
        if (end == size)
            break;                          /* an unterminated last line: pending */
        if (ndjson)
            add_event(&m.ev, "", 0, s + at, end - at - (end > at && s[end - 1] == '\r'));
        else
            model_line(&m, s + at, end - at);
        at = end + 1;
        if (!ndjson && s[end] == '\r' && at < size && s[at] == '\n')
            at++;
    }
    out->ev = m.ev;
    out->rc = 0;
    out->pending = at < size || m.has_data;
    llmgw_buf_dispose(&m.data);
    llmgw_buf_dispose(&m.name);
}

static void same(const result *a, const result *b, bool compare_pending)
{
    FUZZ_CHECK(a->rc == b->rc);
    FUZZ_CHECK(a->ev.count == b->ev.count && a->ev.crc == b->ev.crc);
    if (compare_pending && a->rc == 0)
        FUZZ_CHECK(a->pending == b->pending);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    result whole, chunked, ref;
    bool ndjson;
    unsigned seed;

    if (size < 1)
        return 0;
    ndjson = data[0] & 1;
    seed = data[0] >> 1;
    data++;
    size--;

    run(&whole, ndjson, data, size, ROOMY, 256);
    run(&chunked, ndjson, data, size, ROOMY, seed);
    model_run(&ref, ndjson, (const char *)data, size);
    same(&whole, &ref, true);
    same(&chunked, &ref, true);

    run(&whole, ndjson, data, size, TIGHT, 256);
    run(&chunked, ndjson, data, size, TIGHT, seed);
    same(&whole, &chunked, true);
    return 0;
}
