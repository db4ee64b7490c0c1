/*
 * llmgw mock upstream: the AWS event-stream frame writer (application/vnd.amazon.eventstream):
 *
 *   total_length:u32be headers_length:u32be prelude_crc:u32be headers payload message_crc:u32be
 *
 * headers here are strings only (type 7: name_len:u8 name type:u8 value_len:u16be value); the
 * CRCs are CRC32 as zlib computes it (reflected polynomial 0xEDB88320), bit by bit.
 */
#include "mock_internal.h"
#include "mock_aws.h"

#include <string.h>

uint32_t mock_crc32(const void *data, size_t len)
{
    const unsigned char *p = data;
    uint32_t crc = 0xFFFFFFFFu;
    for (size_t i = 0; i < len; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
    return crc ^ 0xFFFFFFFFu;
}

static void put_be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

void mock_frame_put(mbuf *out, const char *const *names, const char *const *values, size_t nh,
                    const char *payload, size_t len, int flip_crc)
{
    size_t hl = 0, start = out->len;
    for (size_t i = 0; i < nh; i++)
        hl += 1 + strlen(names[i]) + 1 + 2 + strlen(values[i]);
    size_t total = 16 + hl + len;
    unsigned char word[4];
    if (mbuf_reserve(out, total) < 0)
        return;
    put_be32(word, (uint32_t)total);
    mbuf_put(out, word, 4);
    put_be32(word, (uint32_t)hl);
    mbuf_put(out, word, 4);
    put_be32(word, mock_crc32(out->data + start, 8));
    mbuf_put(out, word, 4);
    for (size_t i = 0; i < nh; i++) {
        size_t n = strlen(names[i]), v = strlen(values[i]);
        mbuf_putc(out, (char)n);
        mbuf_put(out, names[i], n);
        mbuf_putc(out, 7);
        mbuf_putc(out, (char)(v >> 8));
        mbuf_putc(out, (char)(v & 0xFF));
        mbuf_put(out, values[i], v);
    }
    mbuf_put(out, payload, len);
    put_be32(word, mock_crc32(out->data + start, total - 4) ^ (flip_crc ? 0x00010000u : 0));
    mbuf_put(out, word, 4);
}
