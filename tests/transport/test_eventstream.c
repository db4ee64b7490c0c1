/*
 * tests/transport/test_eventstream.c: the AWS event-stream decoder against
 * botocore's vectors (shared/fixtures/bedrock/eventstream_vectors, read at
 * run time, skipped when absent) and frames encoded here, fed whole, in
 * every two-piece split, byte by byte and in seeded random chunks; corrupt
 * frames end in typed errors without allocating what they announce.
 */
#include "unit.h"

#include <cjson/cJSON.h>

#include "fixture.h"
#include "core/clock.h"
#include "transport/aws_eventstream.h"

/* What the callback saw, flattened: one line per message. */
typedef struct seen {
    char     log[1 << 15];
    size_t   len;
    unsigned count;
    int      stop_at;        /* > 0: return 1 on that message */
} seen;

static void logf_(seen *s, const char *fmt, ...) LLMGW_PRINTF(2, 3);

static void logf_(seen *s, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(s->log + s->len, sizeof(s->log) - s->len, fmt, ap);
    va_end(ap);
    assert_true(n >= 0 && (size_t)n < sizeof(s->log) - s->len);
    s->len += (size_t)n;
}

static int on_message(void *ud, const llmgw__es_message *m)
{
    seen *s = ud;
    llmgw__es_header h;
    size_t pos = 0, i;

    s->count++;
    while (llmgw__es_header_next(&h, m, &pos)) {
        logf_(s, "%.*s:%d=", (int)h.name_len, h.name, h.type);
        if (h.value != NULL)
            for (i = 0; i < h.value_len; i++)
                logf_(s, "%02x", (unsigned char)h.value[i]);
        else
            logf_(s, "%lld", (long long)h.int_value);
        logf_(s, ";");
    }
    logf_(s, "|%.*s\n", (int)m->payload_len, m->payload);
    return s->stop_at > 0 && (int)s->count == s->stop_at;
}

static unsigned char *unhex(const char *hex, size_t *len)
{
    size_t n = strlen(hex) / 2, i;
    unsigned char *b = malloc(n ? n : 1);
    unsigned v;

    assert_non_null(b);
    for (i = 0; i < n; i++) {
        assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
        b[i] = (unsigned char)v;
    }
    *len = n;
    return b;
}

/* Decode with the given chunk sizes (cycled); returns the last feed's result. */
static int decode_chunks(seen *s, const unsigned char *b, size_t len, const size_t *chunks, size_t nchunks)
{
    llmgw__eventstream d;
    size_t at = 0, k = 0;
    int rc = 0;

    memset(s, 0, sizeof(*s));
    llmgw__es_init(&d, 1u << 20, on_message, s);
    while (at < len && rc == 0) {
        size_t n = chunks[k++ % nchunks];       /* not inside LLMGW_MIN: it evaluates twice */
        n = LLMGW_MIN(n, len - at);
        rc = llmgw__es_feed(&d, b + at, n);
        at += n;
    }
    if (rc == 0 && llmgw__es_pending(&d))
        rc = 1;             /* bytes of an unfinished frame left over */
    llmgw__es_dispose(&d);
    return rc;
}

/* The same outcome and messages for one buffer, every 2-split, bytes, and random chunks. */
static void check_all_splits(const unsigned char *b, size_t len, int want_rc, const char *want_log)
{
    seen whole, part;
    size_t cut, one = 1, chunks[2];
    uint64_t rng = 0x5eed;
    int rc, i;

    rc = decode_chunks(&whole, b, len, &len, 1);
    assert_int_equal(rc, want_rc);
    if (want_log != NULL)
        assert_string_equal(whole.log, want_log);
    for (cut = 1; cut < len; cut++) {
        chunks[0] = cut;
        chunks[1] = len;
        assert_int_equal(decode_chunks(&part, b, len, chunks, 2), want_rc);
        assert_string_equal(part.log, whole.log);
    }
    assert_int_equal(decode_chunks(&part, b, len, &one, 1), want_rc);
    assert_string_equal(part.log, whole.log);
    for (i = 0; i < 200; i++) {
        size_t rnd[8], k;
        for (k = 0; k < 8; k++)
            rnd[k] = 1 + (size_t)(llmgw__rand_next(&rng) % 23);
        assert_int_equal(decode_chunks(&part, b, len, rnd, 8), want_rc);
        assert_string_equal(part.log, whole.log);
    }
}

static cJSON *shared_vectors(const char *name)
{
    char rel[128], *text;
    cJSON *j;

    snprintf(rel, sizeof(rel), "fixtures/bedrock/eventstream_vectors/%s", name);
    if ((text = shared_read(rel, NULL)) == NULL)
        return NULL;
    j = cJSON_Parse(text);
    free(text);
    assert_non_null(j);
    return j;
}

static void test_crc32(void **state)
{
    (void)state;
    assert_int_equal(llmgw__crc32(0, "123456789", 9), 0xCBF43926u);
    assert_int_equal(llmgw__crc32(llmgw__crc32(0, "1234", 4), "56789", 5), 0xCBF43926u);
    assert_int_equal(llmgw__crc32(0, "", 0), 0);
}

static void test_botocore_positive(void **state)
{
    cJSON *v = shared_vectors("positive.json"), *e;

    (void)state;
    if (v == NULL)
        skip();
    cJSON_ArrayForEach(e, v) {
        size_t len;
        unsigned char *b = unhex(cJSON_GetStringValue(cJSON_GetObjectItem(e, "hex")), &len);
        const char *payload = cJSON_GetStringValue(cJSON_GetObjectItem(e, "payload_utf8"));
        seen s;
        assert_int_equal(decode_chunks(&s, b, len, &len, 1), 0);
        assert_int_equal(s.count, 1);
        assert_non_null(strstr(s.log, payload));
        check_all_splits(b, len, 0, NULL);
        free(b);
    }
    cJSON_Delete(v);
}

static void test_botocore_all_header_types(void **state)
{
    cJSON *v = shared_vectors("positive.json"), *e;
    const char *want = "0:0=1;1:1=0;2:2=2;3:3=3;4:4=4;5:5=5;6:6=6279746573;7:7=75746638;8:8=8;"
                       "9:9=30313233343536373839616263646566;|\n";

    (void)state;
    if (v == NULL)
        skip();
    cJSON_ArrayForEach(e, v) {
        if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(e, "name")), "botocore_ALL_HEADERS_TYPES") == 0) {
            size_t len;
            unsigned char *b = unhex(cJSON_GetStringValue(cJSON_GetObjectItem(e, "hex")), &len);
            check_all_splits(b, len, 0, want);
            free(b);
        }
    }
    cJSON_Delete(v);
}

static void test_botocore_negative(void **state)
{
    static const struct { const char *name; int rc; } want[] = {
        { "botocore_CORRUPTED_HEADER_LENGTH", LLMGW__ES_ERR_PRELUDE_CRC },
        { "botocore_CORRUPTED_HEADERS", LLMGW__ES_ERR_MESSAGE_CRC },
        { "botocore_CORRUPTED_LENGTH", LLMGW__ES_ERR_PRELUDE_CRC },
        { "botocore_CORRUPTED_PAYLOAD", LLMGW__ES_ERR_MESSAGE_CRC },
        { "botocore_DUPLICATE_HEADER", LLMGW__ES_ERR_DUPLICATE },
    };
    cJSON *v = shared_vectors("negative.json"), *e;
    size_t i, checked = 0;

    (void)state;
    if (v == NULL)
        skip();
    cJSON_ArrayForEach(e, v) {
        const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(e, "name"));
        for (i = 0; i < LLMGW_ARRAY_SIZE(want); i++) {
            if (strcmp(name, want[i].name) == 0) {
                size_t len;
                unsigned char *b = unhex(cJSON_GetStringValue(cJSON_GetObjectItem(e, "hex")), &len);
                check_all_splits(b, len, want[i].rc, "");
                free(b);
                checked++;
            }
        }
    }
    assert_int_equal(checked, LLMGW_ARRAY_SIZE(want));
    cJSON_Delete(v);
}

/* ---- frames encoded here ---- */

typedef struct frame { unsigned char b[4096]; size_t len; } frame;

static void put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

/* headers: "name=value" string headers separated by '\n'. */
static void encode(frame *f, const char *headers, const char *payload)
{
    size_t h = 0, total, pl = strlen(payload);
    const char *p = headers;
    unsigned char hb[1024];

    while (*p) {
        const char *eq = strchr(p, '='), *end = p + strcspn(p, "\n");
        size_t nl = (size_t)(eq - p), vl = (size_t)(end - eq - 1);
        hb[h++] = (unsigned char)nl;
        memcpy(hb + h, p, nl);
        h += nl;
        hb[h++] = 7;
        hb[h++] = (unsigned char)(vl >> 8);
        hb[h++] = (unsigned char)vl;
        memcpy(hb + h, eq + 1, vl);
        h += vl;
        p = *end ? end + 1 : end;
    }
    total = 16 + h + pl;
    assert_true(total <= sizeof(f->b));
    put32(f->b, (uint32_t)total);
    put32(f->b + 4, (uint32_t)h);
    put32(f->b + 8, llmgw__crc32(0, f->b, 8));
    memcpy(f->b + 12, hb, h);
    memcpy(f->b + 12 + h, payload, pl);
    put32(f->b + total - 4, llmgw__crc32(0, f->b, total - 4));
    f->len = total;
}

#define EV(type) ":event-type=" type "\n:content-type=application/json\n:message-type=event"

static size_t converse_stream(unsigned char *out, size_t cap)
{
    static const char *const ev[][2] = {
        { EV("messageStart"), "{\"role\":\"assistant\",\"p\":\"abcdefghijkl\"}" },
        { EV("contentBlockDelta"), "{\"contentBlockIndex\":0,\"delta\":{\"text\":\"Hel\"},\"p\":\"ab\"}" },
        { EV("contentBlockDelta"), "{\"contentBlockIndex\":0,\"delta\":{\"text\":\"lo\"}}" },
        { EV("contentBlockStop"), "{\"contentBlockIndex\":0}" },
        { EV("messageStop"), "{\"stopReason\":\"end_turn\"}" },
        { EV("metadata"), "{\"usage\":{\"inputTokens\":5,\"outputTokens\":2,\"totalTokens\":7}}" },
    };
    size_t len = 0, i;
    frame f;

    for (i = 0; i < LLMGW_ARRAY_SIZE(ev); i++) {
        encode(&f, ev[i][0], ev[i][1]);
        assert_true(len + f.len <= cap);
        memcpy(out + len, f.b, f.len);
        len += f.len;
    }
    return len;
}

static void test_stream_any_split(void **state)
{
    unsigned char b[4096];
    size_t len = converse_stream(b, sizeof(b));
    seen s;

    (void)state;
    assert_int_equal(decode_chunks(&s, b, len, &len, 1), 0);
    assert_int_equal(s.count, 6);
    /* ":event-type" (string, type 7) = hex of "messageStart" */
    assert_non_null(strstr(s.log, ":event-type:7=6d6573736167655374617274;"));
    assert_non_null(strstr(s.log, "|{\"contentBlockIndex\":0,\"delta\":{\"text\":\"lo\"}}\n"));
    check_all_splits(b, len, 0, s.log);
    /* a stream cut inside its last frame leaves bytes pending */
    assert_int_equal(decode_chunks(&s, b, len - 3, &len, 1), 1);
    assert_int_equal(s.count, 5);
}

static void test_corrupt_frames(void **state)
{
    unsigned char b[4096], c[4096];
    size_t len = converse_stream(b, sizeof(b)), one = 1;
    frame f;
    seen s;

    (void)state;
    /* the message CRC of the third frame: two messages, then a typed error */
    memcpy(c, b, len);
    encode(&f, EV("messageStart"), "{\"role\":\"assistant\",\"p\":\"abcdefghijkl\"}");
    {
        size_t first = f.len;
        encode(&f, EV("contentBlockDelta"), "{\"contentBlockIndex\":0,\"delta\":{\"text\":\"Hel\"},\"p\":\"ab\"}");
        c[first + f.len + 30] ^= 0x01;      /* a payload byte of the third frame */
    }
    assert_int_equal(decode_chunks(&s, c, len, &len, 1), LLMGW__ES_ERR_MESSAGE_CRC);
    assert_int_equal(s.count, 2);
    assert_int_equal(decode_chunks(&s, c, len, &one, 1), LLMGW__ES_ERR_MESSAGE_CRC);
    assert_int_equal(s.count, 2);

    /* the last byte (message CRC) of the first frame */
    memcpy(c, b, len);
    encode(&f, EV("messageStart"), "{\"role\":\"assistant\",\"p\":\"abcdefghijkl\"}");
    c[f.len - 1] ^= 0x80;
    check_all_splits(c, len, LLMGW__ES_ERR_MESSAGE_CRC, "");
}

static void prelude(unsigned char *p, uint32_t total, uint32_t headers)
{
    put32(p, total);
    put32(p + 4, headers);
    put32(p + 8, llmgw__crc32(0, p, 8));
}

static void test_lengths_bounded(void **state)
{
    unsigned char p[64];
    llmgw__eventstream d;
    seen s;
    size_t n;

    (void)state;
    memset(&s, 0, sizeof(s));
    /* impossible lengths with a valid prelude CRC */
    prelude(p, 15, 0);
    n = 12;
    assert_int_equal(decode_chunks(&s, p, n, &n, 1), LLMGW__ES_ERR_LENGTH);
    prelude(p, 20, 5);
    assert_int_equal(decode_chunks(&s, p, n, &n, 1), LLMGW__ES_ERR_LENGTH);
    /* 4 GiB announced: refused before a byte of it is allocated, in every split of the prelude */
    prelude(p, 0xFFFFFFF0u, 0);
    llmgw__alloc_fail_at(0, 0);
    check_all_splits(p, 12, LLMGW__ES_ERR_TOO_LARGE, "");
    assert_int_equal(llmgw__alloc_count(), 0);
    /* over the caller's cap */
    llmgw__es_init(&d, 64, on_message, &s);
    prelude(p, 65, 0);
    assert_int_equal(llmgw__es_feed(&d, p, 12), LLMGW__ES_ERR_TOO_LARGE);
    /* sticky: a good frame afterwards still fails */
    prelude(p, 16, 0);
    put32(p + 12, llmgw__crc32(0, p, 12));
    assert_int_equal(llmgw__es_feed(&d, p, 16), LLMGW__ES_ERR_TOO_LARGE);
    llmgw__es_dispose(&d);
}

/* Frames whose CRCs are right but whose header block is not. */
static void test_bad_headers(void **state)
{
    static const struct { const char *hex; int rc; } cases[] = {
        { "00", LLMGW__ES_ERR_HEADER },                 /* empty name */
        { "0161", LLMGW__ES_ERR_HEADER },               /* name without a type */
        { "01610a", LLMGW__ES_ERR_HEADER },             /* unknown type 10 */
        { "0161070005616263", LLMGW__ES_ERR_HEADER },   /* string shorter than its length */
        { "016104000000", LLMGW__ES_ERR_HEADER },       /* int32 cut short */
        { "016100016100", LLMGW__ES_ERR_DUPLICATE },    /* "a" twice */
    };
    unsigned char f[64];
    size_t i, hl, total;

    (void)state;
    for (i = 0; i < LLMGW_ARRAY_SIZE(cases); i++) {
        unsigned char *h = unhex(cases[i].hex, &hl);
        total = 16 + hl;
        prelude(f, (uint32_t)total, (uint32_t)hl);
        memcpy(f + 12, h, hl);
        put32(f + total - 4, llmgw__crc32(0, f, total - 4));
        check_all_splits(f, total, cases[i].rc, "");
        free(h);
    }
}

static llmgw__es_message message_of(frame *f)
{
    llmgw__es_message m;
    uint32_t hl = (uint32_t)f->b[4] << 24 | (uint32_t)f->b[5] << 16 | (uint32_t)f->b[6] << 8 | f->b[7];

    m.headers = (const char *)f->b + 12;
    m.headers_len = hl;
    m.payload = m.headers + hl;
    m.payload_len = f->len - 16 - hl;
    return m;
}

static void test_to_event(void **state)
{
    llmgw_stream_event ev;
    llmgw__es_message m;
    frame f;

    (void)state;
    encode(&f, EV("contentBlockDelta"), "{}");
    m = message_of(&f);
    assert_int_equal(llmgw__es_to_event(&ev, &m), 0);
    assert_int_equal(ev.exception, 0);
    assert_int_equal(ev.event_len, 17);
    assert_memory_equal(ev.event, "contentBlockDelta", 17);
    assert_int_equal(ev.data_len, 2);

    encode(&f, ":exception-type=throttlingException\n:content-type=application/json\n:message-type=exception",
           "{\"message\":\"slow down\"}");
    m = message_of(&f);
    assert_int_equal(llmgw__es_to_event(&ev, &m), 0);
    assert_int_equal(ev.exception, 1);
    assert_memory_equal(ev.event, "throttlingException", ev.event_len);
    assert_memory_equal(ev.data, "{\"message\":\"slow down\"}", ev.data_len);

    encode(&f, ":message-type=error\n:error-code=InternalFailure\n:error-message=it broke", "");
    m = message_of(&f);
    assert_int_equal(llmgw__es_to_event(&ev, &m), 0);
    assert_int_equal(ev.exception, 1);
    assert_memory_equal(ev.event, "InternalFailure", ev.event_len);
    assert_memory_equal(ev.data, "it broke", ev.data_len);

    encode(&f, ":message-type=surprise\n:event-type=x", "{}");
    m = message_of(&f);
    assert_int_equal(llmgw__es_to_event(&ev, &m), LLMGW__ES_ERR_KIND);
    encode(&f, ":content-type=application/json", "{}");
    m = message_of(&f);
    assert_int_equal(llmgw__es_to_event(&ev, &m), LLMGW__ES_ERR_KIND);
}

static void test_callback_stops(void **state)
{
    unsigned char b[4096];
    size_t len = converse_stream(b, sizeof(b));
    llmgw__eventstream d;
    seen s;

    (void)state;
    memset(&s, 0, sizeof(s));
    s.stop_at = 2;
    llmgw__es_init(&d, 1u << 20, on_message, &s);
    assert_int_equal(llmgw__es_feed(&d, b, len), 1);
    assert_int_equal(s.count, 2);
    llmgw__es_dispose(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc32),
        cmocka_unit_test(test_botocore_positive),
        cmocka_unit_test(test_botocore_all_header_types),
        cmocka_unit_test(test_botocore_negative),
        cmocka_unit_test(test_stream_any_split),
        cmocka_unit_test(test_corrupt_frames),
        cmocka_unit_test(test_lengths_bounded),
        cmocka_unit_test(test_bad_headers),
        cmocka_unit_test(test_to_event),
        cmocka_unit_test(test_callback_stops),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
