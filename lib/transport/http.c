/*
 * lib/transport/http.c: one HTTP exchange with libcurl, under llmgw's limits.
 *
 * The loop drives the handle's own multi so that every wait (first byte,
 * idle, total, cancellation) is llmgw's decision, precise to a millisecond,
 * instead of libcurl's once-a-second progress checks. The body cap is
 * enforced in the write callback on decoded bytes (Debian's libcurl 7.88
 * does not enforce MAXFILESIZE mid-transfer, nor on decompressed sizes).
 *
 * SIGPIPE: with CURLOPT_NOSIGNAL libcurl no longer ignores SIGPIPE, but on
 * Linux every socket write it makes (plain and through its TLS filters)
 * passes MSG_NOSIGNAL, so a peer closing mid-upload cannot raise it;
 * tests/integration/test_sigpipe.c keeps that true.
 */
#include "../core/common.h"
#include "../core/buf.h"
#include "../core/clock.h"
#include "../core/errors.h"
#include "http.h"
#include "pool.h"

#include <stdio.h>
#include <strings.h>
#include <time.h>

typedef struct xfer_state {
    llmgw__transfer *t;
    char             refused[96];      /* why the loop refused the response (overrides libcurl's text) */
    unsigned int     prereq_calls;
    bool             resend_refused;
    size_t           header_lines;
    size_t           header_bytes;
    int64_t          last_data_us;
    bool             error_body_truncated;
} xfer_state;

void llmgw__transfer_init(llmgw__transfer *t)
{
    memset(t, 0, sizeof(*t));
    llmgw__http_response_init(&t->response);
}

void llmgw__transfer_dispose(llmgw__transfer *t)
{
    if (t != NULL)
        llmgw__http_response_dispose(&t->response);
}

const char *llmgw__xfer_outcome_str(llmgw__xfer_outcome o)
{
    switch (o) {
    case LLMGW__XFER_OK:                 return "completed";
    case LLMGW__XFER_CONNECT:            return "could not connect";
    case LLMGW__XFER_TLS:                return "TLS handshake or certificate verification failed";
    case LLMGW__XFER_SEND:               return "failed while sending the request";
    case LLMGW__XFER_RESET:              return "connection reset or closed before a response";
    case LLMGW__XFER_RECV:               return "connection failed while receiving the response";
    case LLMGW__XFER_PARTIAL:            return "response body truncated";
    case LLMGW__XFER_TIMEOUT_CONNECT:    return "connect timed out";
    case LLMGW__XFER_TIMEOUT_FIRST_BYTE: return "timed out waiting for the first byte";
    case LLMGW__XFER_TIMEOUT_IDLE:       return "timed out: no data received within the idle timeout";
    case LLMGW__XFER_TIMEOUT_TOTAL:      return "attempt timed out";
    case LLMGW__XFER_TOO_LARGE:          return "response larger than the configured cap";
    case LLMGW__XFER_HEADERS_TOO_LARGE:  return "too many or too large response headers";
    case LLMGW__XFER_STOPPED:            return "stopped by the consumer";
    case LLMGW__XFER_CANCELLED:          return "cancelled";
    case LLMGW__XFER_NOMEM:              return "out of memory";
    case LLMGW__XFER_INTERNAL:           return "transport error";
    case LLMGW__XFER_REDIRECT:           return "redirect refused";
    }
    return "unknown";
}

static size_t on_header(char *line, size_t size, size_t nmemb, void *ud)
{
    xfer_state *xs = ud;
    llmgw__transfer *t = xs->t;
    size_t n = size * nmemb, len = n;
    const char *colon, *v, *ve;

    xs->header_lines++;
    xs->header_bytes += n;
    if (xs->header_lines > t->limits->max_headers + 1 || xs->header_bytes > t->limits->max_header_bytes) {
        t->outcome = LLMGW__XFER_HEADERS_TOO_LARGE;
        return 0;
    }
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
        len--;
    if (len >= 12 && strncmp(line, "HTTP/", 5) == 0) {
        const char *sp = memchr(line, ' ', len);
        int status = 0;
        if (sp != NULL && sp + 4 <= line + len && sp[1] >= '1' && sp[1] <= '5' &&
            sp[2] >= '0' && sp[2] <= '9' && sp[3] >= '0' && sp[3] <= '9')
            status = (sp[1] - '0') * 100 + (sp[2] - '0') * 10 + (sp[3] - '0');
        /* a new response (after 1xx): forget earlier headers */
        llmgw__http_response_reset(&t->response);
        t->response.status = status;
        t->got_status = status != 0;
        xs->header_lines = 1;
        return n;
    }
    if (len == 0)
        return n;
    colon = memchr(line, ':', len);
    if (colon == NULL || colon == line)
        return n;       /* not a header: ignore */
    v = colon + 1;
    ve = line + len;
    while (v < ve && (*v == ' ' || *v == '\t'))
        v++;
    while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
        ve--;
    /*
     * llmgw never sends Accept-Encoding, so libcurl inflates nothing: a body
     * encoded anyway cannot be read, and is refused rather than parsed as if
     * it were plain (its bytes still count against the caps as they come).
     */
    if ((size_t)(colon - line) == 16 && strncasecmp(line, "content-encoding", 16) == 0 && ve > v &&
        !((size_t)(ve - v) == 8 && strncasecmp(v, "identity", 8) == 0) &&
        t->response.status >= 200 && t->response.status < 300) {
        snprintf(xs->refused, sizeof(xs->refused), "unrequested Content-Encoding: %.*s",
                 (int)LLMGW_MIN(ve - v, 32), v);
        t->outcome = LLMGW__XFER_RECV;
        return 0;
    }
    if (llmgw__http_response_add_header(&t->response, line, (size_t)(colon - line), v,
                                        (size_t)(ve - v)) < 0) {
        t->outcome = LLMGW__XFER_NOMEM;
        return 0;
    }
    return n;
}

static size_t on_write(char *ptr, size_t size, size_t nmemb, void *ud)
{
    xfer_state *xs = ud;
    llmgw__transfer *t = xs->t;
    size_t n = size * nmemb;
    int status = t->response.status;

    t->got_body_byte = true;
    xs->last_data_us = llmgw__mono_us();
    t->body_bytes += n;
    if (status >= 200 && status < 300) {
        if (t->body_bytes > t->limits->max_body) {
            t->outcome = LLMGW__XFER_TOO_LARGE;
            return 0;
        }
        if (t->on_body != NULL) {
            if (t->on_body(t->body_userdata, ptr, n) != 0) {
                t->outcome = LLMGW__XFER_STOPPED;
                return 0;
            }
            return n;
        }
    } else if (t->response.body.size + n > t->limits->max_error_body) {
        /* we know the status; the rest of an error body is not needed */
        size_t room = t->limits->max_error_body - t->response.body.size;
        if (room > 0 && llmgw__buf_put(&t->response.body, ptr, room) < 0) {
            t->outcome = LLMGW__XFER_NOMEM;
            return 0;
        }
        xs->error_body_truncated = true;
        return 0;
    }
    if (llmgw__buf_put(&t->response.body, ptr, n) < 0) {
        t->outcome = LLMGW__XFER_NOMEM;
        return 0;
    }
    return n;
}

/*
 * Called before each request is sent on a connection. libcurl calls it a
 * second time in one transfer only when it silently resends the request
 * after a reused connection died: refuse that, so the attempt ends as a
 * reset and llmgw's own policy decides (one retry layer; a POST that may
 * have reached the provider is never sent twice behind the caller's back).
 */
static int on_prereq(void *ud, char *conn_primary_ip, char *conn_local_ip, int conn_primary_port,
                     int conn_local_port)
{
    xfer_state *xs = ud;

    LLMGW_UNUSED(conn_primary_ip);
    LLMGW_UNUSED(conn_local_ip);
    LLMGW_UNUSED(conn_primary_port);
    LLMGW_UNUSED(conn_local_port);
    if (++xs->prereq_calls > 1) {
        xs->resend_refused = true;
        return CURL_PREREQFUNC_ABORT;
    }
    return CURL_PREREQFUNC_OK;
}

static llmgw__xfer_outcome map_curl(CURLcode rc, llmgw__transfer *t, CURL *e)
{
    curl_off_t connect_us = 0;

    switch (rc) {
    case CURLE_OK:
        return LLMGW__XFER_OK;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
        return LLMGW__XFER_CONNECT;
    case CURLE_OPERATION_TIMEDOUT:
        curl_easy_getinfo(e, CURLINFO_CONNECT_TIME_T, &connect_us);
        if (connect_us == 0)
            return LLMGW__XFER_TIMEOUT_CONNECT;
        return t->got_body_byte ? LLMGW__XFER_TIMEOUT_TOTAL : LLMGW__XFER_TIMEOUT_FIRST_BYTE;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_USE_SSL_FAILED:
        return LLMGW__XFER_TLS;
    case CURLE_SEND_ERROR:
        return t->got_status ? LLMGW__XFER_RECV : LLMGW__XFER_SEND;
    case CURLE_PARTIAL_FILE:
        return LLMGW__XFER_PARTIAL;
    case CURLE_FILESIZE_EXCEEDED:
        return LLMGW__XFER_TOO_LARGE;
    case CURLE_OUT_OF_MEMORY:
        return LLMGW__XFER_NOMEM;
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_BAD_FUNCTION_ARGUMENT:
        return LLMGW__XFER_INTERNAL;
    case CURLE_TOO_MANY_REDIRECTS:
        return LLMGW__XFER_REDIRECT;
    default:
        return t->got_status ? LLMGW__XFER_RECV : LLMGW__XFER_RESET;
    }
}

static int64_t ms_left(int64_t deadline_us, int64_t now)
{
    int64_t left = deadline_us - now;

    return left <= 0 ? 0 : (left + 999) / 1000;
}

/* Run the transfer; sets t->outcome when the loop itself ends it. */
static CURLcode drive(llmgw__conn *c, llmgw__transfer *t, xfer_state *xs, bool *ended_by_loop)
{
    const llmgw__transfer_limits *lim = t->limits;
    int64_t start = llmgw__mono_us();
    int64_t total_at = start + lim->total_ms * 1000;
    int64_t first_at = start + (lim->first_byte_ms > 0 ? lim->first_byte_ms : lim->total_ms) * 1000;
    CURLcode result = CURLE_OK;
    int running = 1;

    *ended_by_loop = false;
    for (;;) {
        CURLMcode mc = curl_multi_perform(c->multi, &running);
        int64_t now, wait;
        int msgs;
        CURLMsg *m;

        if (mc != CURLM_OK) {
            t->outcome = mc == CURLM_OUT_OF_MEMORY ? LLMGW__XFER_NOMEM : LLMGW__XFER_INTERNAL;
            *ended_by_loop = true;
            return CURLE_FAILED_INIT;
        }
        if (!running) {
            while ((m = curl_multi_info_read(c->multi, &msgs)) != NULL)
                if (m->msg == CURLMSG_DONE)
                    result = m->data.result;
            return result;
        }
        now = llmgw__mono_us();
        if ((t->cancel != NULL && atomic_load_explicit(t->cancel, memory_order_relaxed)) ||
            (t->cancel_also != NULL && atomic_load_explicit(t->cancel_also, memory_order_relaxed))) {
            t->outcome = LLMGW__XFER_CANCELLED;
        } else if (now >= total_at) {
            t->outcome = t->got_body_byte || t->got_status ? LLMGW__XFER_TIMEOUT_TOTAL
                                                          : LLMGW__XFER_TIMEOUT_FIRST_BYTE;
        } else if (!t->got_body_byte && now >= first_at) {
            t->outcome = LLMGW__XFER_TIMEOUT_FIRST_BYTE;
        } else if (t->got_body_byte && lim->idle_ms > 0 && now - xs->last_data_us >= lim->idle_ms * 1000) {
            t->outcome = LLMGW__XFER_TIMEOUT_IDLE;
        }
        if (t->outcome != LLMGW__XFER_OK) {
            *ended_by_loop = true;
            return CURLE_ABORTED_BY_CALLBACK;
        }
        wait = ms_left(total_at, now);
        if (!t->got_body_byte)
            wait = LLMGW_MIN(wait, ms_left(first_at, now));
        else if (lim->idle_ms > 0)
            wait = LLMGW_MIN(wait, ms_left(xs->last_data_us + lim->idle_ms * 1000, now));
        /* a hedged attempt (cancel_also) may lose the race at any moment: look more often */
        wait = LLMGW_MIN(wait, t->cancel_also ? 20 : t->cancel ? 100 : 1000);
        if (wait < 1)
            wait = 1;
        mc = curl_multi_poll(c->multi, NULL, 0, (int)wait, NULL);
        if (mc != CURLM_OK) {
            t->outcome = LLMGW__XFER_INTERNAL;
            *ended_by_loop = true;
            return CURLE_FAILED_INIT;
        }
    }
}

static void zeroize_slist(struct curl_slist *l)
{
    for (; l != NULL; l = l->next)
        if (l->data)
            llmgw__zeroize(l->data, strlen(l->data));
}

int llmgw__http_perform(llmgw__pool *pool, llmgw__transfer *t)
{
    const llmgw_http_request *rq = t->request;
    const llmgw__transfer_limits *lim = t->limits;
    struct curl_slist *hdrs = NULL, *tmp;
    char errbuf[CURL_ERROR_SIZE];
    xfer_state xs;
    llmgw__conn *c;
    bool insecure = false, ended_by_loop = false;
    CURLcode rc = CURLE_OK;
    size_t i;
    CURL *e;

    memset(&xs, 0, sizeof(xs));
    xs.t = t;
    t->outcome = LLMGW__XFER_OK;
    errbuf[0] = '\0';
    LLMGW_TRY(llmgw__url_check(llmgw__buf_cstr(&rq->url), &insecure));
    for (i = 0; i < rq->header_count; i++) {
        tmp = curl_slist_append(hdrs, rq->headers[i].ptr);
        if (tmp == NULL)
            goto oom;
        hdrs = tmp;
    }
    if ((tmp = curl_slist_append(hdrs, "Expect:")) == NULL)
        goto oom;
    hdrs = tmp;
    c = llmgw__pool_acquire(pool);
    if (c == NULL)
        goto fail;
    e = c->easy;

#define SET(opt, val) do { if (rc == CURLE_OK) rc = curl_easy_setopt(e, opt, val); } while (0)
    SET(CURLOPT_URL, llmgw__buf_cstr(&rq->url));
    SET(CURLOPT_PROTOCOLS_STR, insecure ? "http" : "https");
    SET(CURLOPT_HTTP_VERSION, insecure ? (long)CURL_HTTP_VERSION_1_1 : (long)CURL_HTTP_VERSION_2TLS);
    SET(CURLOPT_HTTPHEADER, hdrs);
    if (strcmp(rq->method, "POST") == 0) {
        SET(CURLOPT_POSTFIELDS, llmgw__buf_cstr(&rq->body));
        SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)rq->body.size);
    } else {
        SET(CURLOPT_HTTPGET, 1L);
        if (strcmp(rq->method, "GET") != 0)
            SET(CURLOPT_CUSTOMREQUEST, rq->method);
    }
    if (strcmp(rq->method, "GET") == 0 || strcmp(rq->method, "POST") == 0)
        SET(CURLOPT_CUSTOMREQUEST, (char *)NULL);
    SET(CURLOPT_CONNECTTIMEOUT_MS, (long)LLMGW_MAX(1, LLMGW_MIN(lim->connect_ms, lim->total_ms)));
    SET(CURLOPT_TIMEOUT_MS, (long)(lim->total_ms + 50));   /* backstop; the loop is exact */
    SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)lim->max_body);
    SET(CURLOPT_HEADERFUNCTION, on_header);
    SET(CURLOPT_HEADERDATA, &xs);
    SET(CURLOPT_WRITEFUNCTION, on_write);
    SET(CURLOPT_WRITEDATA, &xs);
    SET(CURLOPT_ERRORBUFFER, errbuf);
    SET(CURLOPT_PREREQFUNCTION, on_prereq);
    SET(CURLOPT_PREREQDATA, &xs);
#undef SET
    if (rc != CURLE_OK) {
        llmgw__pool_release(pool, c);
        curl_slist_free_all(hdrs);
        return llmgw__error_setc(LLMGW_ERROR, LLMGW_ERRCLASS_NETWORK, "libcurl setup failed: %s",
                                 curl_easy_strerror(rc));
    }

    if (curl_multi_add_handle(c->multi, e) != CURLM_OK) {
        t->outcome = LLMGW__XFER_INTERNAL;
    } else {
        rc = drive(c, t, &xs, &ended_by_loop);
        curl_multi_remove_handle(c->multi, e);
        if (!ended_by_loop) {
            if (rc == CURLE_WRITE_ERROR && t->outcome == LLMGW__XFER_OK && xs.error_body_truncated)
                t->outcome = LLMGW__XFER_OK;           /* error body cut short on purpose */
            else if (xs.resend_refused)
                t->outcome = LLMGW__XFER_RESET;        /* the connection died after the request */
            else if (t->outcome == LLMGW__XFER_OK)
                t->outcome = map_curl(rc, t, e);
        }
        t->curl_code = (int)rc;
    }

    curl_easy_setopt(e, CURLOPT_HTTPHEADER, (struct curl_slist *)NULL);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, (char *)NULL);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, (char *)NULL);
    curl_easy_setopt(e, CURLOPT_PREREQDATA, (void *)NULL);
    llmgw__pool_release(pool, c);
    zeroize_slist(hdrs);
    curl_slist_free_all(hdrs);
    if (t->outcome != LLMGW__XFER_OK && xs.refused[0] != '\0')
        snprintf(t->detail, sizeof(t->detail), "%s", xs.refused);
    else if (t->outcome != LLMGW__XFER_OK && errbuf[0] != '\0')
        snprintf(t->detail, sizeof(t->detail), "%s", errbuf);
    return 0;

oom:
    llmgw__error_oom();
fail:
    zeroize_slist(hdrs);
    curl_slist_free_all(hdrs);
    return llmgw_error_last()->code;
}
