/*
 * lib/transport/aws_eventstream.c: the AWS event-stream decoder.
 *
 * Order of trust: the 12-byte prelude is gathered first and its CRC checked
 * before its lengths are believed; the lengths are bounded before the frame
 * buffer grows; the message CRC is checked before any header is read; the
 * headers are validated as a whole before the callback sees the message.
 * A message wholly inside one read is decoded in place, without a copy.
 */
#include "../core/common.h"
#include "../core/errors.h"
#include "aws_eventstream.h"

/* Nibble table for the reflected polynomial 0xEDB88320. */
static const uint32_t crc_nibble[16] = {
    0x00000000, 0x1db71064, 0x3b6e20c8, 0x26d930ac, 0x76dc4190, 0x6b6b51f4, 0x4db26158, 0x5005713c,
    0xedb88320, 0xf00f9344, 0xd6d6a3e8, 0xcb61b38c, 0x9b64c2b0, 0x86d3d2d4, 0xa00ae278, 0xbdbdf21c,
};

uint32_t llmgw__crc32(uint32_t crc, const void *data, size_t len)
{
    const unsigned char *p = data;
    size_t i;

    crc = ~crc;
    for (i = 0; i < len; i++) {
        crc ^= p[i];
        crc = (crc >> 4) ^ crc_nibble[crc & 15];
        crc = (crc >> 4) ^ crc_nibble[crc & 15];
    }
    return ~crc;
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static uint64_t be_n(const unsigned char *p, size_t n)
{
    uint64_t v = 0;
    size_t i;

    for (i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

const char *llmgw__es_strerror(int code)
{
    switch (code) {
    case LLMGW__ES_ERR_LENGTH:      return "event-stream frame with an impossible length";
    case LLMGW__ES_ERR_PRELUDE_CRC: return "event-stream prelude CRC mismatch";
    case LLMGW__ES_ERR_MESSAGE_CRC: return "event-stream message CRC mismatch";
    case LLMGW__ES_ERR_HEADER:      return "event-stream frame with a malformed header";
    case LLMGW__ES_ERR_DUPLICATE:   return "event-stream frame with a repeated header";
    case LLMGW__ES_ERR_TOO_LARGE:   return "event-stream frame larger than the cap";
    case LLMGW__ES_ERR_KIND:        return "event-stream message of an unknown kind";
    default:                        return "event-stream decoding failed";
    }
}

void llmgw__es_init(llmgw__eventstream *d, size_t max_message, llmgw__es_cb cb, void *userdata)
{
    memset(d, 0, sizeof(*d));
    d->max_message = max_message;
    d->cb = cb;
    d->userdata = userdata;
}

void llmgw__es_dispose(llmgw__eventstream *d)
{
    if (d == NULL)
        return;
    llmgw__free(d->frame);
    d->frame = NULL;
    d->frame_cap = d->frame_have = d->frame_len = 0;
}

bool llmgw__es_pending(const llmgw__eventstream *d)
{
    return d->prelude_have > 0 || d->frame_len > 0;
}

/* Reads one header at *pos of a block of len bytes; 1 read, 0 at the end, <0 malformed. */
static int read_header(llmgw__es_header *h, const unsigned char *b, size_t len, size_t *pos)
{
    static const unsigned char fixed[] = { 0, 0, 1, 2, 4, 8, 0, 0, 8, 16 };
    size_t p = *pos, n;

    if (p >= len)
        return 0;
    n = b[p++];
    if (n == 0 || len - p < n + 1)
        return LLMGW__ES_ERR_HEADER;
    memset(h, 0, sizeof(*h));
    h->name = (const char *)b + p;
    h->name_len = n;
    p += n;
    h->type = b[p++];
    if (h->type > LLMGW__ES_UUID)
        return LLMGW__ES_ERR_HEADER;
    if (h->type == LLMGW__ES_BYTES || h->type == LLMGW__ES_STRING) {
        if (len - p < 2)
            return LLMGW__ES_ERR_HEADER;
        n = (size_t)be_n(b + p, 2);
        p += 2;
    } else {
        n = fixed[h->type];
    }
    if (len - p < n)
        return LLMGW__ES_ERR_HEADER;
    switch (h->type) {
    case LLMGW__ES_TRUE:  h->int_value = 1; break;
    case LLMGW__ES_FALSE: h->int_value = 0; break;
    case LLMGW__ES_INT8:  h->int_value = (int8_t)b[p]; break;
    case LLMGW__ES_INT16: h->int_value = (int16_t)(uint16_t)be_n(b + p, 2); break;
    case LLMGW__ES_INT32: h->int_value = (int32_t)(uint32_t)be_n(b + p, 4); break;
    case LLMGW__ES_INT64:
    case LLMGW__ES_TIMESTAMP:
        h->int_value = (int64_t)be_n(b + p, 8);
        break;
    default:
        h->value = (const char *)b + p;
        h->value_len = n;
        break;
    }
    *pos = p + n;
    return 1;
}

int llmgw__es_header_next(llmgw__es_header *out, const llmgw__es_message *m, size_t *pos)
{
    int rc = read_header(out, (const unsigned char *)m->headers, m->headers_len, pos);

    return rc > 0 ? 1 : 0;
}

int llmgw__es_header_find(llmgw__es_header *out, const llmgw__es_message *m, const char *name)
{
    size_t pos = 0, n = strlen(name);

    while (llmgw__es_header_next(out, m, &pos))
        if (out->name_len == n && memcmp(out->name, name, n) == 0)
            return 1;
    return 0;
}

/* Every header well formed, none repeated (botocore refuses duplicates too). */
static int validate_headers(const unsigned char *b, size_t len)
{
    llmgw__es_header seen[LLMGW__ES_MAX_HEADER_COUNT], h;
    size_t pos = 0, count = 0, i;
    int rc;

    while ((rc = read_header(&h, b, len, &pos)) > 0) {
        if (count == LLMGW__ES_MAX_HEADER_COUNT)
            return LLMGW__ES_ERR_TOO_LARGE;
        for (i = 0; i < count; i++)
            if (seen[i].name_len == h.name_len && memcmp(seen[i].name, h.name, h.name_len) == 0)
                return LLMGW__ES_ERR_DUPLICATE;
        seen[count++] = h;
    }
    return rc;
}

/* Checks a prelude; total length out. */
static int check_prelude(const llmgw__eventstream *d, const unsigned char *p, size_t *total_out)
{
    uint32_t total = be32(p), headers = be32(p + 4);

    if (llmgw__crc32(0, p, 8) != be32(p + 8))
        return LLMGW__ES_ERR_PRELUDE_CRC;
    if (total < LLMGW__ES_OVERHEAD || headers > total - LLMGW__ES_OVERHEAD)
        return LLMGW__ES_ERR_LENGTH;
    if (headers > LLMGW__ES_MAX_HEADERS || total - LLMGW__ES_OVERHEAD - headers > LLMGW__ES_MAX_PAYLOAD ||
        total > d->max_message)
        return LLMGW__ES_ERR_TOO_LARGE;
    *total_out = total;
    return 0;
}

/* A complete frame of total bytes (prelude already checked). */
static int deliver(llmgw__eventstream *d, const unsigned char *f, size_t total)
{
    size_t headers = be32(f + 4);
    llmgw__es_message m;
    int rc;

    if (llmgw__crc32(0, f, total - 4) != be32(f + total - 4))
        return LLMGW__ES_ERR_MESSAGE_CRC;
    if ((rc = validate_headers(f + LLMGW__ES_PRELUDE, headers)) < 0)
        return rc;
    m.headers = (const char *)f + LLMGW__ES_PRELUDE;
    m.headers_len = headers;
    m.payload = m.headers + headers;
    m.payload_len = total - LLMGW__ES_OVERHEAD - headers;
    d->messages++;
    return d->cb(d->userdata, &m);
}

static int fail(llmgw__eventstream *d, int rc)
{
    if (rc < 0 && rc != LLMGW_ENOMEM)
        d->error = rc;
    return rc;
}

int llmgw__es_feed(llmgw__eventstream *d, const void *buf, size_t len)
{
    const unsigned char *p = buf;
    size_t take, total;
    int rc;

    if (d->error != 0)
        return d->error;
    while (len > 0) {
        if (d->frame_len == 0) {
            if (d->prelude_have == 0 && len >= LLMGW__ES_PRELUDE) {
                if ((rc = check_prelude(d, p, &total)) < 0)
                    return fail(d, rc);
                if (len >= total) {          /* the whole message is here: no copy */
                    if ((rc = deliver(d, p, total)) != 0)
                        return fail(d, rc);
                    p += total;
                    len -= total;
                    continue;
                }
                memcpy(d->prelude, p, LLMGW__ES_PRELUDE);
                d->prelude_have = LLMGW__ES_PRELUDE;
                p += LLMGW__ES_PRELUDE;
                len -= LLMGW__ES_PRELUDE;
            } else {
                take = LLMGW_MIN(LLMGW__ES_PRELUDE - d->prelude_have, len);
                memcpy(d->prelude + d->prelude_have, p, take);
                d->prelude_have += take;
                p += take;
                len -= take;
                if (d->prelude_have < LLMGW__ES_PRELUDE)
                    return 0;
                if ((rc = check_prelude(d, d->prelude, &total)) < 0)
                    return fail(d, rc);
            }
            if (total > d->frame_cap) {
                char *nf = llmgw__realloc(d->frame, total);
                if (nf == NULL)
                    return llmgw__error_oom();
                d->frame = nf;
                d->frame_cap = total;
            }
            memcpy(d->frame, d->prelude, LLMGW__ES_PRELUDE);
            d->frame_have = LLMGW__ES_PRELUDE;
            d->frame_len = total;
            d->prelude_have = 0;
        }
        take = LLMGW_MIN(d->frame_len - d->frame_have, len);
        memcpy(d->frame + d->frame_have, p, take);
        d->frame_have += take;
        p += take;
        len -= take;
        if (d->frame_have < d->frame_len)
            return 0;
        total = d->frame_len;
        d->frame_len = d->frame_have = 0;
        if ((rc = deliver(d, (const unsigned char *)d->frame, total)) != 0)
            return fail(d, rc);
    }
    return 0;
}

static bool is_string(const llmgw__es_header *h, const char *s)
{
    size_t n = strlen(s);

    return h->type == LLMGW__ES_STRING && h->value_len == n && memcmp(h->value, s, n) == 0;
}

int llmgw__es_to_event(llmgw_stream_event *out, const llmgw__es_message *m)
{
    llmgw__es_header kind, name;
    const char *name_header = ":event-type";
    bool has_kind = llmgw__es_header_find(&kind, m, ":message-type") != 0;

    memset(out, 0, sizeof(*out));
    out->data = m->payload;
    out->data_len = m->payload_len;
    if (has_kind && is_string(&kind, "exception")) {
        name_header = ":exception-type";
        out->exception = 1;
    } else if (has_kind && is_string(&kind, "error")) {
        llmgw__es_header msg;
        name_header = ":error-code";
        out->exception = 1;
        if (llmgw__es_header_find(&msg, m, ":error-message") && msg.type == LLMGW__ES_STRING) {
            out->data = msg.value;
            out->data_len = msg.value_len;
        }
    } else if (has_kind && !is_string(&kind, "event")) {
        return LLMGW__ES_ERR_KIND;
    }
    if (!llmgw__es_header_find(&name, m, name_header) || name.type != LLMGW__ES_STRING) {
        if (!out->exception)
            return LLMGW__ES_ERR_KIND;
        out->event = "";        /* an exception without its type: still an error */
        return 0;
    }
    out->event = name.value;
    out->event_len = name.value_len;
    return 0;
}
