/*
 * llmgw mock upstream: body transfer faults (a step member set of its own, delivered here
 * instead of deliver.c when one of them is set).
 *
 *   truncate      bool: the answer (non-stream: with its full Content-Length; stream: one chunk
 *                 announcing all the events) is cut after half its bytes and the connection is
 *                 closed cleanly (FIN, not RST): "transfer closed with outstanding data"
 *   chunked_body  bool: a non-stream answer goes out with Transfer-Encoding: chunked and no
 *                 Content-Length (one chunk per 16 KiB)
 *   encoding      "gzip" | "deflate": the body is compressed (gzip: RFC 1952; deflate: the
 *                 zlib format of RFC 1950, as HTTP means it) and Content-Encoding is sent,
 *                 whatever the request's Accept-Encoding says
 *   bomb_bytes    int 1..1073741824, with encoding: instead of the answer, the body is that
 *                 many zero bytes, compressed (a decompression bomb: 16 MiB is ~100 KiB)
 *
 * The other step members keep their meaning for the rendered answer (status, headers, text,
 * oversize_bytes, delay_ms ...). Truncated and encoded answers never count in the ledger
 * (a client cannot use them); a complete chunked_body answer counts like any other.
 */
#include "mock_internal.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define CHUNK_BYTES (16u * 1024u)

int mock_fault_member(mock_step *st, const cJSON *m, const char **why)
{
    const char *k = m->string;

    *why = NULL;
    if (!strcmp(k, "truncate") || !strcmp(k, "chunked_body")) {
        if (!cJSON_IsBool(m))
            *why = "must be true or false";
        else if (!strcmp(k, "truncate"))
            st->truncate = cJSON_IsTrue(m);
        else
            st->chunked_body = cJSON_IsTrue(m);
        return 1;
    }
    if (!strcmp(k, "encoding")) {
        const char *v = cJSON_GetStringValue(m);
        if (v && !strcmp(v, "gzip"))
            st->encoding = MOCK_ENC_GZIP;
        else if (v && !strcmp(v, "deflate"))
            st->encoding = MOCK_ENC_DEFLATE;
        else
            *why = "must be \"gzip\" or \"deflate\"";
        return 1;
    }
    if (!strcmp(k, "bomb_bytes")) {
        double d = cJSON_IsNumber(m) ? m->valuedouble : -1;
        if (!(d >= 1 && d <= (double)(1u << 30)) || (double)(uint64_t)d != d)
            *why = "must be an integer in 1..1073741824";
        else
            st->bomb_bytes = (uint64_t)d;
        return 1;
    }
    return 0;
}

const char *mock_fault_check(const mock_step *st)
{
    if (st->bomb_bytes && !st->encoding)
        return "bomb_bytes needs encoding";
    return NULL;
}

int mock_fault_active(const mock_step *st)
{
    return st->truncate || st->chunked_body || st->encoding;
}

/* ---- compression: deflate with fixed Huffman codes for zeros, stored blocks for the rest ---- */

typedef struct bitw {
    mbuf    *b;
    uint32_t acc;
    int      n;
} bitw;

static void put_bits(bitw *w, uint32_t v, int n)
{
    w->acc |= v << w->n;
    w->n += n;
    while (w->n >= 8) {
        mbuf_putc(w->b, (char)(w->acc & 0xffu));
        w->acc >>= 8;
        w->n -= 8;
    }
}

/* Huffman codes are packed most significant bit first (RFC 1951 §3.1.1). */
static void put_code(bitw *w, uint32_t code, int len)
{
    uint32_t r = 0;
    for (int i = 0; i < len; i++)
        r |= ((code >> i) & 1u) << (len - 1 - i);
    put_bits(w, r, len);
}

/* One final fixed-Huffman block: a literal 0, then (length 258, distance 1) copies. */
static void deflate_zeros(mbuf *b, uint64_t n)
{
    bitw w = {b, 0, 0};
    put_bits(&w, 1, 1);                    /* BFINAL */
    put_bits(&w, 1, 2);                    /* BTYPE 01: fixed codes */
    if (n > 0) {
        put_code(&w, 0x30, 8);             /* literal 0 */
        n--;
    }
    for (; n >= 258; n -= 258) {
        put_code(&w, 0xc5, 8);             /* length symbol 285: 258 bytes */
        put_code(&w, 0, 5);                /* distance code 0: 1 byte back */
    }
    for (; n > 0; n--)
        put_code(&w, 0x30, 8);
    put_code(&w, 0, 7);                    /* end of block (256) */
    if (w.n > 0)
        mbuf_putc(b, (char)(w.acc & 0xffu));
}

static void deflate_stored(mbuf *b, const char *p, size_t n)
{
    do {
        size_t k = n > 65535 ? 65535 : n;
        unsigned char h[5] = {(unsigned char)(k == n), (unsigned char)(k & 0xff),
                              (unsigned char)(k >> 8), (unsigned char)(~k & 0xff),
                              (unsigned char)((~k >> 8) & 0xff)};
        mbuf_put(b, h, sizeof h);
        mbuf_put(b, p, k);
        p += k;
        n -= k;
    } while (n > 0);
}

static uint32_t crc_table[256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
}

/* GF(2) 32x32 matrices acting on a CRC register: appending zero bytes in O(log n) (RFC 1952's
 * CRC-32, the operator zlib's crc32_combine() uses), so a bomb's trailer is cheap to compute. */
static uint32_t gf2_times(const uint32_t *mat, uint32_t vec)
{
    uint32_t sum = 0;
    for (int i = 0; vec; vec >>= 1, i++)
        if (vec & 1)
            sum ^= mat[i];
    return sum;
}

static void gf2_square(uint32_t *sq, const uint32_t *mat)
{
    for (int n = 0; n < 32; n++)
        sq[n] = gf2_times(mat, mat[n]);
}

static uint32_t crc_zero_bytes(uint32_t reg, uint64_t len)
{
    uint32_t even[32], odd[32], row = 1;
    odd[0] = 0xedb88320u;                  /* one zero bit */
    for (int n = 1; n < 32; n++, row <<= 1)
        odd[n] = row;
    gf2_square(even, odd);                 /* two zero bits */
    gf2_square(odd, even);                 /* four */
    while (len != 0) {
        gf2_square(even, odd);             /* one zero byte, then two, four ... */
        if (len & 1)
            reg = gf2_times(even, reg);
        len >>= 1;
        if (len == 0)
            break;
        gf2_square(odd, even);
        if (len & 1)
            reg = gf2_times(odd, reg);
        len >>= 1;
    }
    return reg;
}

/* CRC-32 of the data, or of n zero bytes when p is NULL. */
static uint32_t crc32_of(const char *p, uint64_t n)
{
    uint32_t c = 0xffffffffu;
    if (p == NULL)
        return crc_zero_bytes(c, n) ^ 0xffffffffu;
    pthread_once(&crc_once, crc_init);
    for (uint64_t i = 0; i < n; i++)
        c = crc_table[(c ^ (unsigned char)p[i]) & 0xffu] ^ (c >> 8);
    return c ^ 0xffffffffu;
}

static uint32_t adler32_of(const char *p, uint64_t n)
{
    uint32_t a = 1, b = 0;
    if (p == NULL)                         /* zeros: a stays 1, b gains 1 per byte */
        return (uint32_t)(n % 65521u) << 16 | 1u;
    for (uint64_t i = 0; i < n; i++) {
        a = (a + (p ? (unsigned char)p[i] : 0u)) % 65521u;
        b = (b + a) % 65521u;
    }
    return (b << 16) | a;
}

static void put_le32(mbuf *b, uint32_t v)
{
    unsigned char x[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 24)};
    mbuf_put(b, x, 4);
}

/* The encoded body into out: raw (or bomb_bytes zeros when raw is NULL) in the step's encoding. */
static void encode(mbuf *out, const mock_step *st, const char *raw, uint64_t n)
{
    if (st->encoding == MOCK_ENC_GZIP) {
        static const unsigned char head[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff};
        mbuf_put(out, head, sizeof head);
    } else {
        mbuf_put(out, "\x78\x01", 2);
    }
    if (raw)
        deflate_stored(out, raw, (size_t)n);
    else
        deflate_zeros(out, n);
    if (st->encoding == MOCK_ENC_GZIP) {
        put_le32(out, crc32_of(raw, n));
        put_le32(out, (uint32_t)(n & 0xffffffffu));
    } else {
        uint32_t a = adler32_of(raw, n);
        unsigned char x[4] = {(unsigned char)(a >> 24), (unsigned char)(a >> 16),
                              (unsigned char)(a >> 8), (unsigned char)a};
        mbuf_put(out, x, 4);
    }
}

/* ---- delivery ---- */

static void put_head(mbuf *o, const mock_step *st, const mock_plan *p, const mock_ticket *t,
                     int chunked, size_t len, int keep_alive)
{
    int ct_override = 0;
    for (size_t i = 0; i < st->nheaders; i++)
        ct_override |= !strcasecmp(st->headers[i].name, "content-type");
    mbuf_printf(o, "HTTP/1.1 %d %s\r\n", p->status, mock_reason(p->status));
    if (!ct_override)
        mbuf_printf(o, "Content-Type: %s\r\n", p->content_type);
    if (st->encoding)
        mbuf_printf(o, "Content-Encoding: %s\r\n", st->encoding == MOCK_ENC_GZIP ? "gzip" : "deflate");
    if (chunked)
        mbuf_puts(o, "Transfer-Encoding: chunked\r\n");
    else
        mbuf_printf(o, "Content-Length: %zu\r\n", len);
    mbuf_printf(o, "x-mock-request-id: %s-%llu\r\n", t->lane->name, (unsigned long long)t->n);
    if (p->extra_headers)
        mbuf_puts(o, p->extra_headers);
    if (!keep_alive)
        mbuf_puts(o, "Connection: close\r\n");
    for (size_t i = 0; i < st->nheaders; i++)
        mbuf_printf(o, "%s: %s\r\n", st->headers[i].name, st->headers[i].value);
    mbuf_puts(o, "\r\n");
}

/* The bytes a client would get as the body: the non-stream body or the stream's events. */
static void plain_body(mbuf *out, const mock_step *st, const mock_plan *p)
{
    if (!p->stream) {
        mbuf_put(out, p->body, p->body_len);
        return;
    }
    for (size_t i = 0; i < p->events->nev; i++) {
        const mock_event *ev = &p->events->ev[i];
        if (ev->kind == MOCK_EV_ERROR || (st->omit_done && ev->kind == MOCK_EV_DONE))
            continue;
        mbuf_put(out, p->events->bytes.data + ev->off, ev->len);
    }
}

int mock_fault_deliver(mock_conn *c, const mock_ticket *t, const mock_step *st, mock_plan *p)
{
    mbuf *body = &c->scratch, enc = {0};
    const char *data;
    size_t len;
    int chunked = p->stream || st->chunked_body;
    int keep_alive = p->keep_alive && !st->truncate;
    int rc = 0;

    if (mock_pause(c, st->delay_ms) < 0)
        return -1;
    mbuf_clear(body);
    if (!st->bomb_bytes)
        plain_body(body, st, p);
    if (st->encoding) {
        encode(&enc, st, st->bomb_bytes ? NULL : (body->data ? body->data : ""),
               st->bomb_bytes ? st->bomb_bytes : body->len);
        data = enc.data;
        len = enc.len;
    } else {
        data = body->data ? body->data : "";
        len = body->len;
    }
    mbuf_clear(&c->out);
    put_head(&c->out, st, p, t, chunked, len, keep_alive);
    if (c->out.oom || body->oom || enc.oom) {
        mbuf_free(&enc);
        return -1;
    }
    struct iovec head = {c->out.data, c->out.len};
    if (mock_send(c, &head, 1, 0) < 0 || mock_pause(c, st->first_byte_delay_ms) < 0) {
        mbuf_free(&enc);
        return -1;
    }
    c->drip_ms = st->drip_ms;
    if (st->truncate) {
        /* the whole length announced (Content-Length, or one chunk header), half of it sent */
        char line[24];
        struct iovec iov[2] = {{line, 0}, {mock_unconst(data), len / 2}};
        if (chunked)
            iov[0].iov_len = (size_t)snprintf(line, sizeof line, "%zx\r\n", len);
        mock_send(c, iov, 2, 0);
        rc = -1;                           /* the caller closes: a FIN after half the body */
    } else if (!chunked) {
        struct iovec iov = {mock_unconst(data), len};
        rc = mock_send(c, &iov, 1, 1);
    } else {
        for (size_t off = 0; off < len && rc == 0; off += CHUNK_BYTES) {
            size_t k = len - off < CHUNK_BYTES ? len - off : CHUNK_BYTES;
            char line[24];
            struct iovec iov[3] = {{line, (size_t)snprintf(line, sizeof line, "%zx\r\n", k)},
                                   {mock_unconst(data + off), k}, {mock_unconst("\r\n"), 2}};
            rc = mock_send(c, iov, 3, 0);
        }
        if (rc == 0) {
            struct iovec end = {mock_unconst("0\r\n\r\n"), 5};
            rc = mock_send(c, &end, 1, 1);
        } else {
            atomic_fetch_add(&c->srv->finishing, 1);   /* balanced below, as after a final write */
        }
    }
    c->drip_ms = 0;
    if (!st->truncate) {
        int usable = rc == 0 && p->status == 200 && !st->encoding;
        int ok = usable && !p->broken;
        const mock_usage *u = usable && p->has_usage ? &p->usage : NULL;
        if (ok || u)
            mock_ledger_settle(c->srv, t, ok, u);
        mock_finish_done(c->srv);
    }
    mbuf_free(&enc);
    return rc < 0 || !keep_alive ? -1 : 0;
}
