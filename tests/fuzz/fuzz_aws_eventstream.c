/*
 * tests/fuzz/fuzz_aws_eventstream.c: libFuzzer target for the AWS event-stream
 * decoder (lib/transport/aws_eventstream.c).
 *
 * Input: one schedule byte, then the stream. The stream is decoded twice, in
 * one feed and in chunks whose sizes the schedule byte seeds; the oracle
 * beyond "no crash": both give the same messages (count and a CRC over every
 * header and payload), the same final status and the same leftover state;
 * the frame buffer never grows past the cap; every message converts to a
 * stream event or to LLMGW__ES_ERR_KIND, and its headers walk to the end.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/common.h"
#include "transport/aws_eventstream.h"

#define MAX_MESSAGE (64u << 10)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct digest {
    uint64_t messages;
    uint32_t crc;
} digest;

static int on_message(void *ud, const llmgw__es_message *m)
{
    digest *d = ud;
    llmgw__es_header h;
    llmgw_stream_event ev;
    size_t pos = 0, walked = 0;
    int rc;

    d->messages++;
    d->crc = llmgw__crc32(d->crc, m->headers, m->headers_len);
    d->crc = llmgw__crc32(d->crc, m->payload, m->payload_len);
    while (llmgw__es_header_next(&h, m, &pos)) {
        if (h.name_len == 0 || h.type > LLMGW__ES_UUID)
            abort();
        walked++;
    }
    if (pos != m->headers_len || walked > LLMGW__ES_MAX_HEADER_COUNT)
        abort();                            /* validated headers always walk to the end */
    rc = llmgw__es_to_event(&ev, m);
    if (rc != 0 && rc != LLMGW__ES_ERR_KIND)
        abort();
    if (rc == 0 && (ev.event == NULL || ev.data_len > m->payload_len + 65535))
        abort();
    return 0;
}

typedef struct result {
    digest d;
    int    rc;
    bool   pending;
} result;

static void run(result *out, const uint8_t *data, size_t size, unsigned schedule)
{
    llmgw__eventstream es;
    uint32_t x = 0x9E3779B9u ^ schedule;
    size_t at = 0, n;
    int rc = 0;

    memset(out, 0, sizeof(*out));
    llmgw__es_init(&es, MAX_MESSAGE, on_message, &out->d);
    while (at < size && rc == 0) {
        if (schedule == 256) {
            n = size;
        } else {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            n = 1 + x % (1 + (schedule & 63));
        }
        if (n > size - at)
            n = size - at;
        rc = llmgw__es_feed(&es, data + at, n);
        if (es.frame_cap > MAX_MESSAGE)
            abort();                        /* never more than the cap allocated */
        at += n;
    }
    out->rc = rc;
    out->pending = llmgw__es_pending(&es);
    if (rc < 0 && rc != LLMGW_ENOMEM && llmgw__es_feed(&es, "x", 1) != rc)
        abort();                            /* errors are sticky */
    llmgw__es_dispose(&es);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    result whole, chunked;

    if (size < 1)
        return 0;
    run(&whole, data + 1, size - 1, 256);
    run(&chunked, data + 1, size - 1, data[0]);
    if (whole.rc != chunked.rc || whole.d.messages != chunked.d.messages || whole.d.crc != chunked.d.crc ||
        (whole.rc == 0 && whole.pending != chunked.pending))
        abort();
    return 0;
}
