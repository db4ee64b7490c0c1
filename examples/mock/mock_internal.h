/*
 * llmgw mock upstream: declarations shared between the mock's source files.
 *
 *   server.c          lifecycle, listener, accept thread, connection tracking, public getters
 *   http.c            per-connection loop: request parsing, bodies
 *   io.c              socket output: send, drip, pause, RST
 *   control.c         the /__mock/... control plane
 *   respond.c         one routed request: validation, expectations, step -> plan
 *   deliver.c         writes a plan with the step's timing and faults, settles the ledger
 *   answer.c          dialect-neutral answer: text, pieces, usage, padding
 *   expect.c          the step's "expect" matcher
 *   script.c          script JSON -> steps
 *   lanes.c           lanes, scripts attached to them, step selection, reset
 *   ledger.c          recorded requests and the usage ledger
 *   dialect.c         the dialect table (one row per provider) and shared dialect helpers
 *   dialect_openai.c  OpenAI Chat Completions
 *   mbuf.c            growable buffer and JSON text output
 */
#ifndef LLMGW_MOCK_INTERNAL_H
#define LLMGW_MOCK_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include <cjson/cJSON.h>

#include "mock_server.h"

#if defined(__GNUC__)
#  define MOCK_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#  define MOCK_PRINTF(fmt, args)
#endif

#define MOCK_MAX_HEAD          (64u * 1024u)
#define MOCK_MAX_BODY          (16u * 1024u * 1024u)
#define MOCK_MAX_HEADERS       512u
#define MOCK_MAX_CONNS         512u
#define MOCK_MAX_RECORDS       1000u
#define MOCK_MAX_RECORD_BYTES  (64u * 1024u * 1024u)
#define MOCK_MAX_LANES         4096u
#define MOCK_LANE_MAX          64u

/* ---- mbuf.c: growable buffer; allocation failure is sticky in `oom` ---- */
typedef struct mbuf {
    char  *data;
    size_t len, cap;
    int    oom;
} mbuf;

int  mbuf_reserve(mbuf *b, size_t extra);
void mbuf_put(mbuf *b, const void *p, size_t n);
void mbuf_puts(mbuf *b, const char *s);
void mbuf_putc(mbuf *b, char c);
void mbuf_printf(mbuf *b, const char *fmt, ...) MOCK_PRINTF(2, 3);
void mbuf_put_u64(mbuf *b, uint64_t v);
/* A quoted JSON string; bytes >= 0x80 are copied raw (invalid UTF-8 stays invalid on purpose). */
void mbuf_json_str(mbuf *b, const char *s, size_t n);
void mbuf_json_cstr(mbuf *b, const char *s);          /* s NULL writes null */
void mbuf_clear(mbuf *b);                             /* len = 0, keeps memory */
void mbuf_free(mbuf *b);
char *mbuf_steal(mbuf *b);                            /* NUL-terminated malloc() string or NULL */
void *mock_unconst(const void *p);                    /* for iov_base */
int  mock_lane_name_ok(const char *s, size_t n);
int64_t mock_now_ms(void);                            /* CLOCK_MONOTONIC */

/* ---- the parsed HTTP request (http.c) ---- */
typedef struct mock_header {
    const char *name;      /* lowercased */
    const char *value;     /* trimmed */
} mock_header;

typedef struct mock_request {
    const char  *method;
    const char  *path;     /* lane prefix stripped, query removed */
    const char  *query;    /* after '?', "" when none */
    char         lane[MOCK_LANE_MAX + 1];
    int          control;  /* path is /__mock/... */
    mock_header *headers;
    size_t       nheaders;
    const char  *body;     /* not NUL-terminated: use body_len */
    size_t       body_len;
    int          keep_alive;
    const char  *raw_path; /* the path as sent: lane prefix kept, query removed (request signing) */
    const struct mock_step *step;  /* while a dialect parses: the step (quirk switches), else NULL */
} mock_request;

const char *mock_request_header(const mock_request *req, const char *lname);

/* ---- script.c ---- */
enum { MOCK_THEN_DEFAULT, MOCK_THEN_REPEAT_LAST, MOCK_THEN_CYCLE };
enum { MOCK_RESET_NONE, MOCK_RESET_BEFORE_HEADERS, MOCK_RESET_AFTER_HEADERS, MOCK_RESET_MID_BODY,
       MOCK_RESET_AFTER_EVENTS };
enum { MOCK_USAGE_PROMPT = 1, MOCK_USAGE_COMPLETION = 2, MOCK_USAGE_TOTAL = 4, MOCK_USAGE_CACHED = 8,
       MOCK_USAGE_REASONING = 16 };

typedef struct mock_kv { char *name, *value; } mock_kv;
typedef struct mock_tool_call { char *id, *name, *arguments; } mock_tool_call;
typedef struct mock_usage { uint64_t prompt, completion, total, cached, reasoning; } mock_usage;

typedef struct mock_step {
    int             status;
    mock_kv        *headers;
    size_t          nheaders;
    char           *body;                /* raw body, or NULL to render */
    char           *error_type, *error_code, *error_message;
    int             error_type_null, error_code_null;
    char           *text;                /* NULL: default text (or none with tool calls) */
    mock_tool_call *tools;
    size_t          ntools;
    char           *finish_reason, *model;
    unsigned        usage_set;           /* MOCK_USAGE_* given in "usage" */
    mock_usage      usage;
    char           *usage_raw;
    uint32_t        chunks;              /* 0: one delta per word */
    int64_t         delay_ms, first_byte_delay_ms, event_delay_ms, drip_ms, stall_ms; /* -1: forever */
    int64_t         stall_after_events, reset_after_events, cut_after_events, error_after_events;
    int             reset;               /* MOCK_RESET_* */
    int             omit_done, malformed, invalid_utf8;
    uint64_t        oversize_bytes;
    char           *error_event;         /* JSON text of the error object, or NULL */
    uint32_t        header_count;
    uint64_t        header_bytes;
    cJSON          *expect;
    /* binary stream framings (the bedrock dialect; others ignore them) */
    int             bad_crc;             /* one frame's message CRC is wrong */
    uint32_t        split_bytes;         /* frames written in pieces of at most N bytes */
    /* OpenAI-family quirk switches (dialect_openai.c, dialect_azure.c) */
    char           *reasoning;           /* reasoning_content (DeepSeek) before the text */
    char           *sse_comment;         /* ": <comment>" lines in the stream (OpenRouter) */
    int             usage_on_finish;     /* usage on the finish chunk without opt-in (Mistral) */
    int             auth_optional;       /* no Authorization needed (local servers) */
    cJSON          *reject_members;      /* top-level body members answered with 422 (Mistral) */
    /* body transfer faults (fault_body.c) */
    int             truncate, chunked_body, encoding;   /* encoding: MOCK_ENC_* */
    uint64_t        bomb_bytes;
} mock_step;

typedef struct mock_script {
    unsigned   refs;                     /* under the server lock */
    mock_step *steps;
    size_t     nsteps;
    int        then;
} mock_script;

extern const mock_step mock_default_step;
mock_script *mock_script_parse(const char *json, size_t len, char *err, size_t err_size);
void mock_script_free(mock_script *s);

/* ---- lanes.c and ledger.c ---- */
typedef struct mock_record {
    struct mock_record *next;
    uint64_t            n;
    char               *json;            /* the members after "n", closing brace included */
    size_t              size;
} mock_record;

typedef struct mock_lane {
    struct mock_lane *next;
    char              name[MOCK_LANE_MAX + 1];
    unsigned          epoch;             /* bumped by reset: stale settlements are dropped */
    mock_script      *script;
    size_t            cursor;
    uint64_t          counter;           /* requests numbered from 1 */
    mock_record      *rec_head, *rec_tail;
    size_t            nrec, rec_bytes;
    mock_ledger       ledger;
} mock_lane;

/* What one request holds while it is served. */
typedef struct mock_ticket {
    mock_lane       *lane;
    unsigned         epoch;
    uint64_t         n;
    mock_script     *script;             /* reference held, or NULL */
    const mock_step *step;
} mock_ticket;

int  mock_lanes_set_script(mock_server *srv, const char *lane, mock_script *script);
/* Records the request, numbers it and counts it; 0 or -1 (bad lane name, too many lanes). */
int  mock_lanes_admit(mock_ticket *out, mock_server *srv, const mock_request *req);
void mock_lanes_take_step(mock_ticket *t, mock_server *srv);
void mock_lanes_release(mock_ticket *t, mock_server *srv);
void mock_lanes_reset(mock_server *srv);
void mock_lanes_free(mock_server *srv);
mock_lane *mock_lanes_find(mock_server *srv, const char *name, int create);  /* lock held */

char *mock_record_render(const mock_request *req, size_t *size_out);
void mock_ledger_settle(mock_server *srv, const mock_ticket *t, int ok, const mock_usage *usage);
void mock_ledger_write_json(mbuf *out, const mock_ledger *l);
void mock_ledger_sum(mock_server *srv, const char *lane, mock_ledger *out);
char *mock_requests_json(mock_server *srv, const char *lane);

/* ---- dialect.c: rendered stream events ---- */
enum { MOCK_EV_ROLE, MOCK_EV_TEXT, MOCK_EV_TOOL, MOCK_EV_FINISH, MOCK_EV_USAGE, MOCK_EV_DONE,
       MOCK_EV_ERROR };

typedef struct mock_event {
    size_t off, len;                     /* framed bytes in the stream buffer */
    size_t json_off, json_len;           /* the JSON payload inside them (malformed breaks it) */
    int    kind;
} mock_event;

typedef struct mock_stream {
    mbuf        bytes;
    mock_event *ev;
    size_t      nev, cap;
    int         oom;
} mock_stream;

/* Starts an event at the current end of s->bytes; the dialect then appends the framing and
 * payload, calling mock_stream_json_begin/_end around the JSON, and finally mock_stream_end. */
void mock_stream_begin(mock_stream *s, int kind);
void mock_stream_json_begin(mock_stream *s);
void mock_stream_json_end(mock_stream *s);
void mock_stream_end(mock_stream *s);
void mock_stream_clear(mock_stream *s);
void mock_stream_free(mock_stream *s);

typedef struct mock_piece { size_t off, len; } mock_piece;

/* ---- answer.c: text and pieces, reused per connection ---- */
typedef struct mock_answer_store {
    mbuf        text;
    mock_piece *pieces;
    size_t      npieces, cap;
    int         oom;
} mock_answer_store;

/* ---- server.c ---- */
typedef struct mock_conn {
    struct mock_conn *next, *prev;
    mock_server      *srv;
    int               fd;
    pthread_t         thread;
    mbuf              in;                /* received bytes not yet consumed */
    mbuf              head;              /* the current request head, parsed in place */
    mbuf              body;              /* decoded chunked body */
    mbuf              out;               /* response head / scratch */
    mbuf              payload;           /* rendered body or events */
    mbuf              scratch;
    mock_stream       events;            /* rendered stream events */
    mock_answer_store answer;            /* text, pieces */
    mock_header      *hdrs;
    size_t            hcap;
    int64_t           drip_ms;           /* > 0 while writing a dripped body */
} mock_conn;

struct mock_server {
    int             listen_fd;
    int             wake[2];
    unsigned short  port;
    char            base_url[64];
    pthread_t       accept_thread;
    atomic_int      stopping;
    atomic_int      finishing;           /* final writes in flight (see mock_finish_wait) */
    atomic_uint     control_counter;
    atomic_ullong   accepted;            /* connections accepted since start or reset */
    pthread_mutex_t lock;                /* lanes, scripts' refs, connection lists */
    pthread_cond_t  conn_cond;
    mock_lane      *lanes;
    size_t          nlanes;
    mock_conn      *conns;               /* active */
    size_t          nconns;
    mock_conn      *zombies;             /* finished, to be joined */
};

void mock_finish_wait(mock_server *srv);

/* ---- http.c ---- */
int  mock_conn_serve(mock_conn *c);                       /* the connection loop */

/* ---- io.c: socket output primitives ---- */
int  mock_send_raw(int fd, struct iovec *iov, int n);    /* every byte (0) or -1 */
/* Writes every byte (0) or fails (-1; client gone or stopping); honours c->drip_ms. With final
 * set, srv->finishing has been incremented just before the last byte's write, whatever the
 * result: the caller settles the ledger, then calls mock_finish_done(). */
int  mock_send(mock_conn *c, struct iovec *iov, int n, int final);
void mock_finish_done(mock_server *srv);
int  mock_pause(mock_conn *c, int64_t ms);               /* -1: client gone or stopping */
void mock_reset_conn(mock_conn *c);   /* SO_LINGER 0: the close() that follows sends RST */
const char *mock_reason(int status);
/* Writes a complete JSON response; 0 or -1. */
int  mock_send_json(mock_conn *c, int status, const char *id_header, const char *json, size_t len,
                    int keep_alive);
/* Same, with extra "Name: value\r\n" header lines (NULL: none). */
int  mock_send_json_headers(mock_conn *c, int status, const char *id_header, const char *extra,
                            const char *json, size_t len, int keep_alive);

/* ---- dialect.c ---- */
/* What the dialect understood from a request. */
typedef struct mock_parsed {
    const char *model;                   /* borrowed from the request */
    int         stream, include_usage;
    uint64_t    prompt_tokens;
} mock_parsed;

typedef struct mock_reject {
    int         status;
    const char *type, *code;
    char        message[320];
} mock_reject;

/* What to answer, dialect-neutral (answer.c fills it from the step and the request). */
typedef struct mock_answer {
    uint64_t              n;
    const char           *lane;
    const char           *model;
    const char           *text;          /* NULL: no text part */
    size_t                text_len;
    const mock_piece     *pieces;        /* text split into stream deltas */
    size_t                npieces;
    const mock_tool_call *tools;
    size_t                ntools;
    const char           *finish_reason;
    mock_usage            usage;
    const char           *usage_raw;     /* inserted verbatim instead of rendering usage */
    int                   stream, include_usage;
    int64_t               created;
    const mock_step      *step;          /* for dialect-specific step members */
} mock_answer;

typedef struct mock_dialect {
    const char *name;
    const char *stream_content_type;
    /* 1 when the request's method and path belong to this dialect */
    int  (*match)(const mock_request *req);
    /* 0 and *out filled, or -1 and *rej filled (auth, shape) */
    int  (*parse)(mock_parsed *out, mock_reject *rej, const mock_request *req, const cJSON *body);
    void (*render_body)(mbuf *out, const mock_answer *a);
    void (*render_stream)(mock_stream *out, const mock_answer *a);
    /* type/code may be NULL (rendered as null when the envelope allows it) */
    void (*render_error)(mbuf *out, int status, const char *type, const char *code,
                         const char *message);
    void (*render_error_event)(mock_stream *out, const char *error_json);
    /* optional: extra "Name: value\r\n" header lines of an error answer (AWS x-amzn-ErrorType) */
    void (*error_headers)(mbuf *out, int status, const char *type);
} mock_dialect;

const mock_dialect *mock_dialect_route(const mock_request *req);
uint64_t mock_count_words(const char *s, size_t n);
/* Default error type/code/message for a status, OpenAI vocabulary. */
void mock_error_defaults(int status, const char **type, const char **code, const char **message);
void mock_reject_set(mock_reject *rej, int status, const char *type, const char *code,
                     const char *fmt, ...) MOCK_PRINTF(5, 6);

/* dialect_openai.c: the Chat Completions shapes, shared with the azure dialect. A style adds a
 * variant's extras (MOCK_OAI_AZURE: prompt_filter_results and content_filter_results). */
enum { MOCK_OAI_PLAIN = 0, MOCK_OAI_AZURE = 1 };
int  mock_openai_check_body(mock_parsed *out, mock_reject *rej, const mock_request *req,
                            const cJSON *body, int need_model);
void mock_openai_render_body(mbuf *b, const mock_answer *a, int style);
void mock_openai_render_stream(mock_stream *s, const mock_answer *a, int style);
void mock_openai_render_error_event(mock_stream *s, const char *error_json);
/* dialect_azure.c: Azure's filter annotations (violence marked when filtered). */
void mock_azure_filter_results(mbuf *b, int filtered);
void mock_azure_prompt_filter(mbuf *b);                 /* "prompt_filter_results":[...] */
void mock_azure_prompt_chunk(mock_stream *s);           /* the opening chunk with empty choices */

extern const mock_dialect mock_dialect_openai;
extern const mock_dialect mock_dialect_azure;
extern const mock_dialect mock_dialect_anthropic;
extern const mock_dialect mock_dialect_gemini;
extern const mock_dialect mock_dialect_bedrock;
extern const mock_dialect mock_dialect_cohere;
extern const mock_dialect mock_dialect_ollama;

/* ---- answer.c ---- */
/* Fills *a from the step and the parsed request. pad_bytes > 0 appends padding text, split
 * into pad_pieces extra stream pieces (0: not streamed). */
int  mock_answer_build(mock_answer *a, mock_answer_store *st, const mock_step *step,
                       const mock_parsed *p, const mock_ticket *t, uint64_t pad_bytes,
                       size_t pad_pieces);
void mock_answer_store_free(mock_answer_store *st);
/* Token counts of a usage_raw text: non-negative integers only, else 0. */
void mock_usage_from_raw(mock_usage *out, const char *raw);

/* ---- expect.c ---- */
/* 0 when the request meets the step's expectations, else -1 and msg names the first mismatch. */
int mock_expect_check(const cJSON *expect, const mock_request *req, const cJSON *body,
                      char *msg, size_t msg_size);

/* ---- fault_body.c: truncate, chunked_body, encoding, bomb_bytes ---- */
enum { MOCK_ENC_NONE, MOCK_ENC_GZIP, MOCK_ENC_DEFLATE };
/* 1 when m is one of these members (parsed into st; *why set when invalid), else 0. */
int mock_fault_member(mock_step *st, const cJSON *m, const char **why);
const char *mock_fault_check(const mock_step *st);     /* NULL, or why the step is inconsistent */
int mock_fault_active(const mock_step *st);

/* ---- respond.c / deliver.c / control.c ---- */
int mock_respond(mock_conn *c, const mock_request *req);          /* 0 keep going, -1 close */
int mock_control(mock_conn *c, const mock_request *req);          /* 0 keep going, -1 close */

typedef struct mock_plan {
    int                status;
    const char        *content_type;
    int                stream;           /* chunked events, else one body */
    int                keep_alive;
    const char        *body;             /* non-stream */
    size_t             body_len;
    const mock_stream *events;           /* stream */
    long               broken_event;     /* stream: event whose JSON is cut in half, or -1 */
    long               error_event;      /* stream: the MOCK_EV_ERROR event, or -1 */
    int                has_usage;        /* the body / the USAGE event carries usage */
    mock_usage         usage;
    int                broken;           /* content faults: never counts as responses_ok */
    const char        *extra_headers;    /* "Name: value\r\n" lines, or NULL */
} mock_plan;

int mock_deliver(mock_conn *c, const mock_ticket *t, const mock_step *step, mock_plan *plan);
/* fault_body.c: delivers a plan when mock_fault_active(step). */
int mock_fault_deliver(mock_conn *c, const mock_ticket *t, const mock_step *step, mock_plan *plan);

#endif
