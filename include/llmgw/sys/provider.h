/*
 * sys/provider.h: the provider vtable, for people who add providers.
 *
 * A provider translates and never does I/O: it builds an HTTP request from
 * the canonical (OpenAI-shaped) request, parses a response body or one
 * stream event into the normalized reply, and classifies errors. The core
 * owns the transport, retries, deadlines, usage accounting and the stream's
 * commit point. Built-in providers use this same interface.
 *
 * Threads: build_request, parse_* and classify_error may run on many
 * threads at once for one deployment; `state` is read-only after init.
 * `stream_state` belongs to one streamed attempt.
 */
#ifndef LLMGW_SYS_PROVIDER_H
#define LLMGW_SYS_PROVIDER_H

#include "../common.h"
#include "../buf.h"
#include "../hooks.h"
#include "json.h"

LLMGW_BEGIN_DECLS

#define LLMGW_PROVIDER_VTABLE_VERSION 1

enum {
    LLMGW_CAP_STREAM    = 1u << 0,
    LLMGW_CAP_TOOLS     = 1u << 1,
    LLMGW_CAP_VISION    = 1u << 2,
    LLMGW_CAP_JSON_MODE = 1u << 3
};

/** How a provider's stream is framed; the core decodes frames into events. */
enum {
    LLMGW_FRAMING_SSE             = 0, /**< text/event-stream */
    LLMGW_FRAMING_NDJSON          = 1, /**< one JSON object per line */
    LLMGW_FRAMING_AWS_EVENTSTREAM = 2  /**< application/vnd.amazon.eventstream */
};

/** Normalized finish reasons (OpenAI values). */
enum {
    LLMGW_FINISH_NONE = 0,
    LLMGW_FINISH_STOP,           /**< "stop" */
    LLMGW_FINISH_LENGTH,         /**< "length" */
    LLMGW_FINISH_TOOL_CALLS,     /**< "tool_calls" */
    LLMGW_FINISH_CONTENT_FILTER, /**< "content_filter" */
    LLMGW_FINISH_OTHER           /**< none of those: the raw value is reported */
};

/**
 * A deployment's resolved settings. Strings live as long as the deployment
 * (a provider may keep the pointers in its state). api_base has no trailing
 * slash and is never NULL when the vtable has a default_api_base.
 */
typedef struct llmgw_provider_config {
    unsigned int version;        /**< 1 */
    const char  *provider;       /**< provider id as configured ("groq") */
    const char  *model;          /**< model, without the "provider/" prefix */
    const char  *api_base;
    const char  *api_key;        /**< may be NULL (local servers) */
    const char  *api_version;
    const char  *organization;
    const char  *region;
    const char  *aws_access_key_id;
    const char  *aws_secret_access_key;
    const char  *aws_session_token;
    const llmgw_json *params;    /**< provider-specific settings (an object), or NULL */
} llmgw_provider_config;

/** Opaque: the HTTP request a provider builds (method POST unless set). */
typedef struct llmgw_http_request llmgw_http_request;
/** Opaque: a received HTTP response (status, headers, body). */
typedef struct llmgw_http_response llmgw_http_response;
/** Opaque: the normalized reply being assembled from a body or a stream. */
typedef struct llmgw_reply llmgw_reply;

/** One decoded stream event. */
typedef struct llmgw_stream_event {
    const char *event;      /**< SSE "event:" name, AWS ":event-type", or "" */
    size_t      event_len;
    const char *data;       /**< SSE data (lines joined by \n), NDJSON line, AWS payload */
    size_t      data_len;
    int         exception;  /**< AWS event-stream: 1 for an exception or error message */
} llmgw_stream_event;

/** What classify_error refines. The core fills it from the status and headers first. */
typedef struct llmgw_error_info {
    int     error_class;     /**< in: from the HTTP status; out: refined from the body */
    int64_t retry_after_ms;  /**< in: retry-after-ms / retry-after headers, -1 if none */
    int     should_retry;    /**< in: x-should-retry (1, 0) or -1; out: may override */
    char    message[512];    /**< out: the provider's message (the core redacts it) */
} llmgw_error_info;

typedef struct llmgw_provider_vtable {
    unsigned int version;          /**< LLMGW_PROVIDER_VTABLE_VERSION */
    const char  *name;             /**< unique id: "openai" */
    uint32_t     capabilities;     /**< LLMGW_CAP_* */
    int          stream_framing;   /**< LLMGW_FRAMING_* */
    const char  *default_api_base; /**< used when neither config nor env gives one */
    const char  *env_api_key;      /**< env vars for the key, comma-separated, first wins */
    const char  *env_api_base;     /**< env vars for the base URL, comma-separated */
    const char  *env_api_version;  /**< env vars for the API version, comma-separated */
    size_t       state_size;       /**< per deployment; allocated and zeroed by the core */
    size_t       stream_state_size;/**< per streamed attempt; allocated and zeroed by the core */
    /** Fill state from the resolved config; validate it. May be NULL. */
    int  (*init)(void *state, const llmgw_provider_config *cfg);
    /** Build the HTTP request; stream is 1 for the streaming form. */
    int  (*build_request)(llmgw_http_request *out, void *state, const llmgw_request *req, int stream);
    /** Parse a 2xx non-stream body into the reply. */
    int  (*parse_response)(llmgw_reply *out, void *state, const llmgw_http_response *in);
    /** Parse one stream event into the reply. */
    int  (*parse_stream_event)(llmgw_reply *out, void *state, void *stream_state,
                               const llmgw_stream_event *event);
    /** Refine the classification of a non-2xx response from its body. May be NULL. */
    int  (*classify_error)(llmgw_error_info *out, void *state, const llmgw_http_response *in);
    /** Release what init acquired; must not free `state` itself. May be NULL. */
    void (*cleanup)(void *state);
    /* LLMGW_PROVIDER_VTABLE_VERSION 2 members go below this line */
} llmgw_provider_vtable;

/**
 * Register a provider on a gateway. The vtable is not copied: it must
 * outlive the gateway and never change. A duplicate name is LLMGW_EINVAL.
 */
LLMGW_API int llmgw_provider_register(llmgw_gateway *gw, const llmgw_provider_vtable *vtable);

/* ---- building the HTTP request ---- */

/** Set the URL (absolute http(s)); the core checks scheme and host before sending. */
LLMGW_API int llmgw_http_request_set_url(llmgw_http_request *r, const char *url);
/** Append raw text to the URL (trusted text only: fixed path pieces). */
LLMGW_API int llmgw_http_request_append_url(llmgw_http_request *r, const char *text);
/**
 * Append a caller-supplied name as one path segment: it must match
 * [A-Za-z0-9._:@+-]+, may not be "." or "..", and is percent-encoded.
 */
LLMGW_API int llmgw_http_request_append_path_segment(llmgw_http_request *r, const char *name);
/** Append "?name=value" or "&name=value", both percent-encoded. */
LLMGW_API int llmgw_http_request_append_query(llmgw_http_request *r, const char *name, const char *value);
LLMGW_API int llmgw_http_request_set_method(llmgw_http_request *r, const char *method);
/** Add a header; CR, LF, NUL and other control characters are rejected. */
LLMGW_API int llmgw_http_request_add_header(llmgw_http_request *r, const char *name, const char *value);
/** Set the body (copied). */
LLMGW_API int llmgw_http_request_set_body(llmgw_http_request *r, const char *data, size_t len);
LLMGW_API const char *llmgw_http_request_url(const llmgw_http_request *r);
LLMGW_API const char *llmgw_http_request_body(const llmgw_http_request *r, size_t *len_out);

/* ---- reading the HTTP response ---- */

LLMGW_API int llmgw_http_response_status(const llmgw_http_response *in);
/** First header with that name (case-insensitive), value trimmed; NULL if absent. */
LLMGW_API const char *llmgw_http_response_header(const llmgw_http_response *in, const char *name);
LLMGW_API const char *llmgw_http_response_body(const llmgw_http_response *in, size_t *len_out);

/* ---- assembling the reply ---- */

/** Token counts; the reply keeps the last values set (cumulative counters: set, never add). */
typedef struct llmgw_token_counts {
    uint64_t input_tokens;          /**< every input token, cache reads and writes included */
    uint64_t output_tokens;         /**< reasoning included */
    uint64_t cache_read_tokens;
    uint64_t cache_creation_tokens;
    uint64_t reasoning_tokens;
} llmgw_token_counts;

LLMGW_API int llmgw_reply_set_id(llmgw_reply *r, const char *id);
LLMGW_API int llmgw_reply_set_model(llmgw_reply *r, const char *model);
/** Append answer text (invalid UTF-8 is replaced by U+FFFD). In a stream, a delta. */
LLMGW_API int llmgw_reply_append_text(llmgw_reply *r, const char *text, size_t len);
LLMGW_API int llmgw_reply_append_reasoning(llmgw_reply *r, const char *text, size_t len);
/**
 * Add a tool-call fragment: index selects the call; id and name (NULL when
 * absent) are set on its first fragment; arguments are appended.
 */
LLMGW_API int llmgw_reply_tool_call(llmgw_reply *r, size_t index, const char *id, const char *name,
                                    const char *arguments, size_t arguments_len);
/** LLMGW_FINISH_* and the provider's raw value (may be NULL). */
LLMGW_API int llmgw_reply_set_finish(llmgw_reply *r, int finish, const char *raw);
/** Set usage (replacing what was set); counts must be < 2^40. */
LLMGW_API int llmgw_reply_set_usage(llmgw_reply *r, const llmgw_token_counts *counts);
/** The usage set so far (zeros when none); returns 1 when some was set. */
LLMGW_API int llmgw_reply_get_usage(const llmgw_reply *r, llmgw_token_counts *out);
/** The stream's terminal marker was seen ([DONE], message_stop, done:true ...). */
LLMGW_API int llmgw_reply_done(llmgw_reply *r);
/**
 * An error arrived inside a 2xx stream or body: class, the HTTP status it
 * stands for (0 if none) and a message. The attempt fails with that class.
 */
LLMGW_API int llmgw_reply_error(llmgw_reply *r, int error_class, int http_status, const char *message);
/**
 * The wait, in milliseconds, the error set by llmgw_reply_error() asked for
 * ("try again in 20ms" in an error event): the retry waits that long, as it
 * would for a retry-after header. LLMGW_EINVAL when no error was set.
 */
LLMGW_API int llmgw_reply_error_retry_after(llmgw_reply *r, int64_t retry_after_ms);

LLMGW_END_DECLS

#endif
