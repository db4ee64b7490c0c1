/*
 * llmgw mock upstream: the per-connection HTTP/1.1 loop and request parsing.
 *
 * Persistent connections with pipelining; Content-Length and chunked request bodies;
 * Expect: 100-continue; head <= 64 KiB and body <= 16 MiB, else 413 and close; HTTP/1.0 closes
 * unless it asks for keep-alive; "Connection: close" is honoured.
 */
#include "mock_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

const char *mock_request_header(const mock_request *req, const char *lname)
{
    for (size_t i = 0; i < req->nheaders; i++)
        if (!strcmp(req->headers[i].name, lname))
            return req->headers[i].value;
    return NULL;
}

/* A protocol-level failure: answer and close. */
static int http_fail(mock_conn *c, int status, const char *what)
{
    mbuf_clear(&c->scratch);
    mbuf_printf(&c->scratch,
                "{\"error\":{\"message\":\"mock: %s\",\"type\":\"invalid_request_error\","
                "\"param\":null,\"code\":\"mock_http\"}}", what);
    if (!c->scratch.oom)
        mock_send_json(c, status, "http-error", c->scratch.data, c->scratch.len, 0);
    return -1;
}

/* Reads more into c->in: >0 bytes read, 0 end of stream, -1 error. */
static ssize_t fill(mock_conn *c)
{
    if (mbuf_reserve(&c->in, 16384) < 0)
        return -1;
    ssize_t r;
    do
        r = recv(c->fd, c->in.data + c->in.len, c->in.cap - c->in.len, 0);
    while (r < 0 && errno == EINTR);
    if (r > 0) {
        c->in.len += (size_t)r;
        c->in.data[c->in.len] = '\0';
    }
    return r;
}

static void consume(mbuf *b, size_t n)
{
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
    b->data[b->len] = '\0';
}

static size_t find_head_end(const char *p, size_t len, size_t from)
{
    const char *q = p + from, *end = p + len;
    while ((q = memchr(q, '\n', (size_t)(end - q))) != NULL) {
        if (q + 1 < end && q[1] == '\n')
            return (size_t)(q - p) + 2;
        if (q + 2 < end && q[1] == '\r' && q[2] == '\n')
            return (size_t)(q - p) + 3;
        q++;
    }
    return 0;
}

static int is_token(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch <= 0x20 || ch >= 0x7f || strchr("()<>@,;:\\\"/[]?={}", ch))
            return 0;
    }
    return 1;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = '\0';
    return s;
}

static int has_token(const char *list, const char *tok)
{
    size_t tl = strlen(tok);
    for (const char *p = list; *p;) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        const char *e = p;
        while (*e && *e != ',')
            e++;
        const char *t = e;
        while (t > p && (t[-1] == ' ' || t[-1] == '\t'))
            t--;
        if ((size_t)(t - p) == tl && !strncasecmp(p, tok, tl))
            return 1;
        p = e;
    }
    return 0;
}

typedef struct head_info {
    int      chunked, expect_continue, has_length;
    uint64_t length;
} head_info;

/* Parses c->head in place. Returns 0, or an HTTP status to fail with. */
static int parse_head(mock_conn *c, mock_request *req, head_info *hi, const char **why)
{
    char *line = c->head.data, *next;
    int http10 = 0;
    memset(req, 0, sizeof *req);
    memset(hi, 0, sizeof *hi);
    *why = "malformed request line";
    next = strchr(line, '\n');
    if (!next)
        return 400;
    *next++ = '\0';
    if (next - line >= 2 && next[-2] == '\r')
        next[-2] = '\0';
    char *sp1 = strchr(line, ' '), *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
    if (!sp1 || !sp2 || strchr(sp2 + 1, ' '))
        return 400;
    *sp1 = *sp2 = '\0';
    char *target = sp1 + 1, *version = sp2 + 1;
    if (!is_token(line) || strlen(line) > 32)
        return 400;
    if (!strcmp(version, "HTTP/1.0"))
        http10 = 1;
    else if (strcmp(version, "HTTP/1.1") != 0)
        return 400;
    req->method = line;
    if (!strncmp(target, "http://", 7) || !strncmp(target, "https://", 8)) {
        char *slash = strchr(strstr(target, "//") + 2, '/');
        target = slash ? slash : (char *)"/";
    }
    if (target[0] != '/')
        return 400;

    size_t n = 0;
    *why = "malformed header";
    for (line = next; *line && *line != '\r' && *line != '\n'; line = next) {
        next = strchr(line, '\n');
        if (!next)
            return 400;
        *next++ = '\0';
        if (next - line >= 2 && next[-2] == '\r')
            next[-2] = '\0';
        if (*line == ' ' || *line == '\t')
            return 400;                    /* obsolete line folding */
        char *colon = strchr(line, ':');
        if (!colon)
            return 400;
        *colon = '\0';
        if (!is_token(line))
            return 400;
        for (char *p = line; *p; p++)
            if (*p >= 'A' && *p <= 'Z')
                *p = (char)(*p - 'A' + 'a');
        if (n == MOCK_MAX_HEADERS) {
            *why = "too many headers";
            return 413;
        }
        if (n == c->hcap) {
            size_t cap = c->hcap ? c->hcap * 2 : 32;
            mock_header *h = realloc(c->hdrs, cap * sizeof *h);
            if (!h)
                return 500;
            c->hdrs = h;
            c->hcap = cap;
        }
        c->hdrs[n].name = line;
        c->hdrs[n].value = trim(colon + 1);
        n++;
    }
    req->headers = c->hdrs;
    req->nheaders = n;

    for (size_t i = 0; i < n; i++) {
        const char *k = c->hdrs[i].name, *v = c->hdrs[i].value;
        if (!strcmp(k, "content-length")) {
            char *end;
            errno = 0;
            unsigned long long len = strtoull(v, &end, 10);
            if (!*v || *v < '0' || *v > '9' || *end || errno ||
                (hi->has_length && hi->length != len)) {
                *why = "bad content-length";
                return 400;
            }
            hi->has_length = 1;
            hi->length = len;
        } else if (!strcmp(k, "transfer-encoding")) {
            if (strcasecmp(v, "chunked") != 0) {
                *why = "unsupported transfer-encoding";
                return 400;
            }
            hi->chunked = 1;
        } else if (!strcmp(k, "expect") && !strcasecmp(v, "100-continue")) {
            hi->expect_continue = 1;
        }
    }
    const char *conn = mock_request_header(req, "connection");
    req->keep_alive = http10 ? (conn && has_token(conn, "keep-alive"))
                             : !(conn && has_token(conn, "close"));

    char *q = strchr(target, '?');
    req->query = "";
    if (q) {
        *q = '\0';
        req->query = q + 1;
    }
    req->path = target;
    req->raw_path = target;
    memcpy(req->lane, "default", 8);
    if (!strncmp(target, "/lane/", 6)) {
        char *name = target + 6, *slash = strchr(name, '/');
        size_t ln = slash ? (size_t)(slash - name) : strlen(name);
        if (!mock_lane_name_ok(name, ln)) {
            *why = "bad lane name";
            return 400;
        }
        memcpy(req->lane, name, ln);
        req->lane[ln] = '\0';
        req->path = slash ? slash : "/";
    }
    req->control = !strncmp(req->path, "/__mock/", 8) || !strcmp(req->path, "/__mock");
    return 0;
}

static int send_continue(mock_conn *c)
{
    static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
    struct iovec iov = {mock_unconst(cont), sizeof cont - 1};
    return mock_send_raw(c->fd, &iov, 1);
}

/* Makes sure c->in holds at least `want` bytes. 0, or -1 on end of stream / error. */
static int need(mock_conn *c, size_t want)
{
    while (c->in.len < want) {
        if (mbuf_reserve(&c->in, want - c->in.len) < 0 || fill(c) <= 0)
            return -1;
    }
    return 0;
}

/* Decodes a chunked body from c->in into c->body. Returns bytes of c->in used, or -status. */
static long read_chunked(mock_conn *c, const char **why)
{
    size_t pos = 0;
    mbuf_clear(&c->body);
    for (;;) {
        char *nl;
        while (!(nl = memchr(c->in.data + pos, '\n', c->in.len - pos))) {
            if (c->in.len - pos > 1024) {
                *why = "bad chunk header";
                return -400;
            }
            if (fill(c) <= 0)
                return -1;
        }
        char *end;
        errno = 0;
        unsigned long long size = strtoull(c->in.data + pos, &end, 16);
        if (end == c->in.data + pos || errno || (*end != ';' && *end != '\r' && *end != '\n')) {
            *why = "bad chunk size";
            return -400;
        }
        pos = (size_t)(nl - c->in.data) + 1;
        if (size == 0)
            break;
        if (size > MOCK_MAX_BODY || c->body.len + size > MOCK_MAX_BODY) {
            *why = "request body too large";
            return -413;
        }
        if (need(c, pos + (size_t)size + 2) < 0)
            return -1;
        mbuf_put(&c->body, c->in.data + pos, (size_t)size);
        pos += (size_t)size;
        if (c->in.data[pos] == '\r')
            pos++;
        if (c->in.data[pos] != '\n') {
            *why = "bad chunk terminator";
            return -400;
        }
        pos++;
    }
    for (;;) {                             /* trailers, up to an empty line */
        char *nl;
        while (!(nl = memchr(c->in.data + pos, '\n', c->in.len - pos))) {
            if (c->in.len - pos > MOCK_MAX_HEAD) {
                *why = "trailers too large";
                return -413;
            }
            if (fill(c) <= 0)
                return -1;
        }
        size_t llen = (size_t)(nl - (c->in.data + pos));
        pos += llen + 1;
        if (llen == 0 || (llen == 1 && nl[-1] == '\r'))
            break;
    }
    if (c->body.oom)
        return -500;
    return (long)pos;
}

/* Large one-off answers (oversize, header_bytes, big bodies) must not pin memory for the rest of a
 * keep-alive connection. */
static void trim_buffers(mock_conn *c)
{
    mbuf *const bufs[] = {&c->body, &c->out, &c->payload, &c->scratch, &c->events.bytes,
                          &c->answer.text};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        if (bufs[i]->cap > 1u << 20)
            mbuf_free(bufs[i]);
    if (c->events.cap > 4096)
        mock_stream_free(&c->events);
    if (c->answer.cap > 4096)
        mock_answer_store_free(&c->answer);
}

int mock_conn_serve(mock_conn *c)
{
    for (;;) {
        size_t end, scanned = 0;
        for (;;) {
            size_t skip = 0;
            while (skip < c->in.len && (c->in.data[skip] == '\r' || c->in.data[skip] == '\n'))
                skip++;
            if (skip) {
                consume(&c->in, skip);
                scanned = 0;
            }
            end = find_head_end(c->in.data ? c->in.data : "", c->in.len, scanned);
            if (end)
                break;
            if (c->in.len > MOCK_MAX_HEAD)
                return http_fail(c, 413, "request head too large");
            scanned = c->in.len >= 3 ? c->in.len - 3 : 0;
            if (atomic_load(&c->srv->stopping) || fill(c) <= 0)
                return 0;
        }
        if (end > MOCK_MAX_HEAD)
            return http_fail(c, 413, "request head too large");
        mbuf_clear(&c->head);
        mbuf_put(&c->head, c->in.data, end);
        if (c->head.oom)
            return -1;
        consume(&c->in, end);

        mock_request req;
        head_info hi;
        const char *why = "";
        int st = parse_head(c, &req, &hi, &why);
        if (st)
            return http_fail(c, st, why);

        size_t used = 0;
        if (hi.chunked) {
            if (hi.expect_continue && c->in.len == 0 && send_continue(c) < 0)
                return -1;
            long r = read_chunked(c, &why);
            if (r == -1)
                return -1;
            if (r < 0)
                return http_fail(c, (int)-r, why);
            used = (size_t)r;
            req.body = c->body.data ? c->body.data : "";
            req.body_len = c->body.len;
        } else if (hi.has_length) {
            if (hi.length > MOCK_MAX_BODY)
                return http_fail(c, 413, "request body too large");
            if (hi.expect_continue && c->in.len < hi.length && send_continue(c) < 0)
                return -1;
            if (need(c, (size_t)hi.length) < 0)
                return -1;
            used = (size_t)hi.length;
            req.body = c->in.data ? c->in.data : "";
            req.body_len = used;
        } else {
            req.body = "";
            req.body_len = 0;
        }

        int rc = req.control ? mock_control(c, &req) : mock_respond(c, &req);
        if (c->in.len > 1u << 20 && c->in.len == used) {
            mbuf_free(&c->in);             /* do not keep a 16 MiB buffer for a small request */
        } else if (used) {
            consume(&c->in, used);
        }
        trim_buffers(c);
        if (rc < 0 || !req.keep_alive || atomic_load(&c->srv->stopping))
            return 0;
    }
}
