/*
 * lib/transport/framing.h: turning a byte stream into events, correct for
 * every split of the stream: a line reader (CR, LF, CRLF, or LF only), the
 * SSE parser on top of it (WHATWG "server-sent events" rules), and NDJSON.
 * Lines are bounded: an over-long line is an error, never unbounded growth.
 */
#ifndef LLMGW_TRANSPORT_FRAMING_H
#define LLMGW_TRANSPORT_FRAMING_H

#include "../core/common.h"

/* Returned when a line or an event exceeds its bound. */
#define LLMGW__FRAMING_TOO_LONG (-1000)

typedef int (*llmgw__line_cb)(void *userdata, const char *line, size_t len);

typedef struct llmgw__lines {
    llmgw_buf partial;      /* a line split across reads */
    size_t    max_line;
    bool      lf_only;      /* NDJSON: only LF ends a line (a trailing CR is dropped) */
    bool      skip_lf;      /* the last read ended with CR: a leading LF belongs to it */
} llmgw__lines;

void llmgw__lines_init(llmgw__lines *l, size_t max_line, bool lf_only);
void llmgw__lines_dispose(llmgw__lines *l);
/* Feed bytes; cb runs once per complete line (without its terminator). */
int  llmgw__lines_feed(llmgw__lines *l, const char *buf, size_t len, llmgw__line_cb cb, void *userdata);
/* Bytes of an unterminated last line (0 when the stream ended cleanly on a line end). */
size_t llmgw__lines_pending(const llmgw__lines *l);

typedef int (*llmgw__sse_cb)(void *userdata, const char *event, size_t event_len,
                             const char *data, size_t data_len);

typedef struct llmgw__sse {
    llmgw__lines   lines;
    llmgw_buf      data;
    llmgw_buf      event;
    bool           has_data;
    bool           started;    /* the first line was seen (a leading BOM is dropped from it) */
    size_t         max_event;
    uint64_t       events;
    llmgw__sse_cb  cb;
    void          *userdata;
} llmgw__sse;

void llmgw__sse_init(llmgw__sse *p, size_t max_line, llmgw__sse_cb cb, void *userdata);
void llmgw__sse_dispose(llmgw__sse *p);
/* 0, LLMGW_ENOMEM, LLMGW__FRAMING_TOO_LONG, or the callback's non-zero return. */
int  llmgw__sse_feed(llmgw__sse *p, const char *buf, size_t len);
/* True when bytes of an unfinished event remain (the stream ended mid-event). */
bool llmgw__sse_pending(const llmgw__sse *p);

#endif
