/*
 * llmgw mock upstream: the bedrock dialect's answers (docs/providers.md §5).
 *
 * Converse body: {output:{message:{role, content:[{text} | {toolUse:{toolUseId, name, input}}]}},
 * stopReason, usage:{inputTokens, outputTokens, totalTokens, cacheReadInputTokens?}, metrics}.
 * inputTokens leaves cached tokens out: the ledger's prompt tokens = inputTokens + cache reads.
 * finish_reason maps stop -> end_turn, length -> max_tokens, tool_calls -> tool_use,
 * content_filter -> content_filtered; any other value is sent as the stopReason itself.
 *
 * ConverseStream: event-stream frames (headers :event-type, :content-type, :message-type):
 * messageStart, text as contentBlockDelta from block 0 without a contentBlockStart (as Bedrock
 * does), contentBlockStop, then per tool a contentBlockStart (toolUse id and name), input
 * fragments and a stop, messageStop, metadata (usage). Every payload carries a "p" padding
 * member. Step members: bad_crc and malformed damage the first text (else tool, else finish)
 * frame, a wrong CRC or a JSON payload cut in half inside a valid frame; split_bytes writes
 * frames in pieces; omit_done has no effect (metadata is the terminal event: cut_after_events stops
 * before it). error_event {"type": "throttlingException", "message": ...} is an exception
 * frame (:exception-type = type, payload = the other members); {"error_code", "error_message"}
 * an error frame. Errors carry x-amzn-ErrorType (the status's AWS exception unless error_type
 * names one ending in "Exception") and a {"message"} body.
 */
#include "mock_internal.h"
#include "mock_aws.h"

#include <string.h>

static const char *stop_reason(const char *finish)
{
    static const char *const map[][2] = {{"stop", "end_turn"}, {"length", "max_tokens"},
                                         {"tool_calls", "tool_use"}, {"content_filter", "content_filtered"}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (finish && !strcmp(finish, map[i][0]))
            return map[i][1];
    return finish ? finish : "end_turn";
}

static void put_usage(mbuf *b, const mock_answer *a)
{
    if (a->usage_raw) {
        mbuf_puts(b, a->usage_raw);
        return;
    }
    uint64_t cached = a->usage.cached < a->usage.prompt ? a->usage.cached : a->usage.prompt;
    mbuf_printf(b, "{\"inputTokens\":%llu,\"outputTokens\":%llu,\"totalTokens\":%llu",
                (unsigned long long)(a->usage.prompt - cached), (unsigned long long)a->usage.completion,
                (unsigned long long)a->usage.total);
    if (cached)
        mbuf_printf(b, ",\"cacheReadInputTokens\":%llu", (unsigned long long)cached);
    mbuf_putc(b, '}');
}

/* Tool arguments as a JSON document: the text itself when it parses, else as a string. */
static void put_input(mbuf *b, const char *args)
{
    cJSON *j = cJSON_Parse(args);
    if (j)
        mbuf_puts(b, args);
    else
        mbuf_json_cstr(b, args);
    cJSON_Delete(j);
}

void mock_bedrock_render_body(mbuf *b, const mock_answer *a)
{
    mbuf_puts(b, "{\"output\":{\"message\":{\"role\":\"assistant\",\"content\":[");
    int first = 1;
    if (a->text) {
        mbuf_puts(b, "{\"text\":");
        mbuf_json_str(b, a->text, a->text_len);
        mbuf_putc(b, '}');
        first = 0;
    }
    for (size_t i = 0; i < a->ntools; i++, first = 0) {
        mbuf_puts(b, first ? "{\"toolUse\":{\"toolUseId\":" : ",{\"toolUse\":{\"toolUseId\":");
        mbuf_json_cstr(b, a->tools[i].id);
        mbuf_puts(b, ",\"name\":");
        mbuf_json_cstr(b, a->tools[i].name);
        mbuf_puts(b, ",\"input\":");
        put_input(b, a->tools[i].arguments);
        mbuf_puts(b, "}}");
    }
    mbuf_puts(b, "]}},\"stopReason\":");
    mbuf_json_cstr(b, stop_reason(a->finish_reason));
    mbuf_puts(b, ",\"usage\":");
    put_usage(b, a);
    mbuf_puts(b, ",\"metrics\":{\"latencyMs\":42}}");
}

typedef struct frames {
    mock_stream     *s;
    const mock_step *st;
    int              target;   /* kind of the frame bad_crc / malformed damage */
    int              damaged;
    unsigned         n;
    mbuf             payload, frame;
} frames;

/* Frame bytes into the stream: one event, or split_bytes pieces (only the last keeps USAGE). */
static void put_pieces(frames *f, int kind)
{
    size_t step = f->st && f->st->split_bytes ? f->st->split_bytes : f->frame.len;
    for (size_t at = 0; at < f->frame.len && step; at += step) {
        size_t n = f->frame.len - at < step ? f->frame.len - at : step;
        mock_stream_begin(f->s, at + n == f->frame.len || kind != MOCK_EV_USAGE ? kind : MOCK_EV_ROLE);
        mbuf_put(&f->s->bytes, f->frame.data + at, n);
        mock_stream_json_begin(f->s);      /* empty JSON range: deliver.c's cut never breaks a frame */
        mock_stream_json_end(f->s);
        mock_stream_end(f->s);
    }
}

/* Ends the payload being built in f->payload (adds "p"), frames it, writes it. */
static void emit(frames *f, int kind, const char *event_type)
{
    static const char *const names[] = {":event-type", ":content-type", ":message-type"};
    static const char pad[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123";
    const char *values[] = {event_type, "application/json", "event"};
    int hit = !f->damaged && kind == f->target && f->st && (f->st->bad_crc || f->st->malformed);
    size_t len;

    mbuf_printf(&f->payload, ",\"p\":\"%.*s\"}", (int)(1 + (f->n++ * 7) % 40), pad);
    len = f->payload.len;
    if (hit && f->st->malformed)
        len /= 2;
    f->damaged |= hit;
    mbuf_clear(&f->frame);
    f->s->oom |= f->payload.oom;
    if (!f->payload.oom)
        mock_frame_put(&f->frame, names, values, 3, f->payload.data, len, hit && f->st->bad_crc);
    f->s->oom |= f->frame.oom;
    put_pieces(f, kind);
    mbuf_clear(&f->payload);
}

static size_t utf8_step(const char *s, size_t len, size_t at)
{
    while (at < len && ((unsigned char)s[at] & 0xC0) == 0x80)
        at++;
    return at;
}

void mock_bedrock_render_stream(mock_stream *s, const mock_answer *a)
{
    frames f;
    mbuf *p = &f.payload;
    size_t block = 0;

    memset(&f, 0, sizeof f);
    f.s = s;
    f.st = a->step;
    f.target = a->npieces ? MOCK_EV_TEXT : a->ntools ? MOCK_EV_TOOL : MOCK_EV_FINISH;
    mbuf_puts(p, "{\"role\":\"assistant\"");
    emit(&f, MOCK_EV_ROLE, "messageStart");
    for (size_t i = 0; i < a->npieces; i++) {
        mbuf_puts(p, "{\"contentBlockIndex\":0,\"delta\":{\"text\":");
        mbuf_json_str(p, a->text + a->pieces[i].off, a->pieces[i].len);
        mbuf_putc(p, '}');
        emit(&f, MOCK_EV_TEXT, "contentBlockDelta");
    }
    if (a->npieces) {
        mbuf_puts(p, "{\"contentBlockIndex\":0");
        emit(&f, MOCK_EV_TEXT, "contentBlockStop");
        block = 1;
    }
    for (size_t i = 0; i < a->ntools; i++, block++) {
        const mock_tool_call *t = &a->tools[i];
        mbuf_printf(p, "{\"contentBlockIndex\":%zu,\"start\":{\"toolUse\":{\"toolUseId\":", block);
        mbuf_json_cstr(p, t->id);
        mbuf_puts(p, ",\"name\":");
        mbuf_json_cstr(p, t->name);
        mbuf_puts(p, "}}");
        emit(&f, MOCK_EV_TOOL, "contentBlockStart");
        size_t len = strlen(t->arguments), step = len / 16 + 1 < 8 ? 8 : len / 16 + 1;
        for (size_t at = 0; at < len;) {
            size_t end = utf8_step(t->arguments, len, at + step < len ? at + step : len);
            mbuf_printf(p, "{\"contentBlockIndex\":%zu,\"delta\":{\"toolUse\":{\"input\":", block);
            mbuf_json_str(p, t->arguments + at, end - at);
            mbuf_puts(p, "}}");
            emit(&f, MOCK_EV_TOOL, "contentBlockDelta");
            at = end;
        }
        mbuf_printf(p, "{\"contentBlockIndex\":%zu", block);
        emit(&f, MOCK_EV_TOOL, "contentBlockStop");
    }
    mbuf_puts(p, "{\"stopReason\":");
    mbuf_json_cstr(p, stop_reason(a->finish_reason));
    emit(&f, MOCK_EV_FINISH, "messageStop");
    mbuf_puts(p, "{\"usage\":");
    put_usage(p, a);
    mbuf_puts(p, ",\"metrics\":{\"latencyMs\":42}");
    emit(&f, MOCK_EV_USAGE, "metadata");
    mbuf_free(&f.payload);
    mbuf_free(&f.frame);
}

/* The AWS exception a status stands for, unless the script named one. */
static const char *aws_type(int status, const char *type)
{
    size_t n = type ? strlen(type) : 0;
    if (n > 9 && !strcmp(type + n - 9, "Exception"))
        return type;
    switch (status) {
    case 400: return "ValidationException";
    case 403: return "AccessDeniedException";
    case 404: return "ResourceNotFoundException";
    case 408: return "ModelTimeoutException";
    case 424: return "ModelErrorException";
    case 429: return "ThrottlingException";
    case 503: return "ServiceUnavailableException";
    default:  return status >= 500 ? "InternalServerException" : "ValidationException";
    }
}

void mock_bedrock_render_error(mbuf *b, int status, const char *type, const char *code,
                               const char *message)
{
    (void)status;
    (void)type;
    (void)code;
    mbuf_puts(b, "{\"message\":");
    mbuf_json_cstr(b, message ? message : "");
    mbuf_putc(b, '}');
}

void mock_bedrock_error_headers(mbuf *out, int status, const char *type)
{
    mbuf_printf(out, "x-amzn-ErrorType: %s:http://internal.amazon.com/coral/com.amazon.bedrock/\r\n"
                     "x-amzn-RequestId: 00000000-0000-4000-8000-000000000000\r\n",
                aws_type(status, type));
}

void mock_bedrock_render_error_event(mock_stream *s, const char *error_json)
{
    static const char *const ex_names[] = {":exception-type", ":content-type", ":message-type"};
    static const char *const err_names[] = {":message-type", ":error-code", ":error-message"};
    cJSON *j = cJSON_Parse(error_json);
    const char *code = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "error_code"));
    mbuf frame = {0};

    if (code) {
        const char *msg = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "error_message"));
        const char *values[] = {"error", code, msg ? msg : ""};
        mock_frame_put(&frame, err_names, values, 3, "", 0, 0);
    } else {
        cJSON *type = cJSON_DetachItemFromObjectCaseSensitive(j, "type");   /* payload: the rest */
        const char *t = cJSON_GetStringValue(type);
        const char *values[] = {t ? t : "internalServerException", "application/json", "exception"};
        char *payload = j ? cJSON_PrintUnformatted(j) : NULL;
        mock_frame_put(&frame, ex_names, values, 3, payload ? payload : "{}",
                       payload ? strlen(payload) : 2, 0);
        cJSON_free(payload);
        cJSON_Delete(type);
    }
    cJSON_Delete(j);
    mock_stream_begin(s, MOCK_EV_ERROR);
    mbuf_put(&s->bytes, frame.data, frame.len);
    mock_stream_json_begin(s);
    mock_stream_json_end(s);
    mock_stream_end(s);
    s->oom |= frame.oom;
    mbuf_free(&frame);
}
