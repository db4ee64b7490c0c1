/*
 * lib/transport/aws_eventstream.h: the AWS event-stream binary framing
 * (application/vnd.amazon.eventstream, docs/providers.md §5), decoded
 * incrementally: correct for every split of the byte stream, both CRC32s
 * verified, both lengths bounded before anything is allocated. A corrupt
 * frame is a typed error, sticky for the rest of the stream.
 *
 *   message := total_length:u32be headers_length:u32be prelude_crc:u32be
 *              headers[headers_length] payload message_crc:u32be
 */
#ifndef LLMGW_TRANSPORT_AWS_EVENTSTREAM_H
#define LLMGW_TRANSPORT_AWS_EVENTSTREAM_H

#include "../core/common.h"

#define LLMGW__ES_PRELUDE      12u
#define LLMGW__ES_OVERHEAD     16u               /* prelude + message CRC */
#define LLMGW__ES_MAX_HEADERS  (128u << 10)      /* botocore's caps */
#define LLMGW__ES_MAX_PAYLOAD  (24u << 20)
#define LLMGW__ES_MAX_HEADER_COUNT 256u          /* llmgw's: AWS messages carry three or four */

/* Decoder errors: negative, distinct from every llmgw_status. */
enum {
    LLMGW__ES_ERR_LENGTH      = -1100,  /* total or headers length impossible */
    LLMGW__ES_ERR_PRELUDE_CRC = -1101,
    LLMGW__ES_ERR_MESSAGE_CRC = -1102,
    LLMGW__ES_ERR_HEADER      = -1103,  /* truncated header, unknown type, empty name */
    LLMGW__ES_ERR_DUPLICATE   = -1104,  /* a header name repeated */
    LLMGW__ES_ERR_TOO_LARGE   = -1105,  /* over the caller's cap or botocore's */
    LLMGW__ES_ERR_KIND        = -1106   /* unknown :message-type or a missing type header */
};

/* Header value types, as on the wire. */
enum {
    LLMGW__ES_TRUE = 0, LLMGW__ES_FALSE = 1, LLMGW__ES_INT8 = 2, LLMGW__ES_INT16 = 3,
    LLMGW__ES_INT32 = 4, LLMGW__ES_INT64 = 5, LLMGW__ES_BYTES = 6, LLMGW__ES_STRING = 7,
    LLMGW__ES_TIMESTAMP = 8, LLMGW__ES_UUID = 9
};

typedef struct llmgw__es_header {
    const char *name;
    size_t      name_len;
    int         type;          /* LLMGW__ES_* */
    const char *value;         /* bytes, string, uuid: the raw bytes; else NULL */
    size_t      value_len;
    int64_t     int_value;     /* booleans (1, 0), integers and timestamps (ms) */
} llmgw__es_header;

/* One verified message; pointers live for the callback only. */
typedef struct llmgw__es_message {
    const char *headers;       /* the header block, already validated */
    size_t      headers_len;
    const char *payload;
    size_t      payload_len;
} llmgw__es_message;

/* Non-zero stops decoding and is returned by llmgw__es_feed(). */
typedef int (*llmgw__es_cb)(void *userdata, const llmgw__es_message *msg);

typedef struct llmgw__eventstream {
    unsigned char prelude[LLMGW__ES_PRELUDE];
    size_t        prelude_have;
    char         *frame;         /* the message being gathered (capacity frame_cap) */
    size_t        frame_cap, frame_have, frame_len;
    size_t        max_message;   /* cap on total_length */
    int           error;         /* sticky decoder error, 0 when none */
    uint64_t      messages;
    llmgw__es_cb  cb;
    void         *userdata;
} llmgw__eventstream;

void llmgw__es_init(llmgw__eventstream *d, size_t max_message, llmgw__es_cb cb, void *userdata);
void llmgw__es_dispose(llmgw__eventstream *d);
/* 0, LLMGW_ENOMEM, an LLMGW__ES_ERR_*, or the callback's non-zero return. */
int  llmgw__es_feed(llmgw__eventstream *d, const void *buf, size_t len);
/* True when bytes of an unfinished message remain. */
bool llmgw__es_pending(const llmgw__eventstream *d);
/* A static description of an LLMGW__ES_ERR_* code. */
const char *llmgw__es_strerror(int code);

/* Next header of a message: *pos starts at 0; 1 with out filled, 0 at the end. */
int  llmgw__es_header_next(llmgw__es_header *out, const llmgw__es_message *m, size_t *pos);
/* A header by exact name; 1 when found. */
int  llmgw__es_header_find(llmgw__es_header *out, const llmgw__es_message *m, const char *name);
/*
 * The message as a provider stream event: ":message-type" event (or none)
 * gives ":event-type" and the payload; exception gives ":exception-type",
 * the payload and exception = 1; error gives ":error-code", the
 * ":error-message" text as data and exception = 1. 0 or LLMGW__ES_ERR_KIND.
 */
int  llmgw__es_to_event(llmgw_stream_event *out, const llmgw__es_message *m);

/* CRC32 (IEEE 802.3, zlib's): continue from crc (0 to start). */
uint32_t llmgw__crc32(uint32_t crc, const void *data, size_t len);

#endif
