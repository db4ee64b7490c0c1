/*
 * llmgw mock upstream: socket output primitives.
 *
 * Output uses sendmsg(MSG_NOSIGNAL), so a vanished client never raises SIGPIPE. Pauses poll the
 * socket for the peer going away, so a client that gives up or mock_server_stop() (which shuts
 * every socket down) ends them at once; no pause ever sleeps blindly.
 */
#include "mock_internal.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

const char *mock_reason(int status)
{
    switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 402: return "Payment Required";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 422: return "Unprocessable Entity";
    case 425: return "Too Early";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 529: return "Site Overloaded";
    default:  return "Status";
    }
}

void mock_finish_done(mock_server *srv)
{
    atomic_fetch_sub(&srv->finishing, 1);
}

int mock_send_raw(int fd, struct iovec *iov, int n)
{
    while (n > 0 && iov->iov_len == 0) {
        iov++;
        n--;
    }
    while (n > 0) {
        struct msghdr m;
        memset(&m, 0, sizeof m);
        m.msg_iov = iov;
        m.msg_iovlen = (size_t)n;
        ssize_t w = sendmsg(fd, &m, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        size_t left = (size_t)w;
        while (n > 0 && left >= iov->iov_len) {
            left -= iov->iov_len;
            iov++;
            n--;
        }
        if (n > 0) {
            iov->iov_base = (char *)iov->iov_base + left;
            iov->iov_len -= left;
        }
    }
    return 0;
}

int mock_send(mock_conn *c, struct iovec *iov, int n, int final)
{
    int held = 0, rc = 0;
    if (c->drip_ms <= 0) {
        if (final) {
            atomic_fetch_add(&c->srv->finishing, 1);
            held = 1;
        }
        rc = mock_send_raw(c->fd, iov, n);
    } else {
        size_t total = 0, sent = 0;
        for (int i = 0; i < n; i++)
            total += iov[i].iov_len;
        for (int i = 0; i < n && rc == 0; i++) {
            const char *p = iov[i].iov_base;
            for (size_t k = 0; k < iov[i].iov_len; k++) {
                if (sent > 0 && mock_pause(c, c->drip_ms) < 0) {
                    rc = -1;
                    break;
                }
                if (final && sent + 1 == total) {
                    atomic_fetch_add(&c->srv->finishing, 1);
                    held = 1;
                }
                struct iovec one = {mock_unconst(p + k), 1};
                if (mock_send_raw(c->fd, &one, 1) < 0) {
                    rc = -1;
                    break;
                }
                sent++;
            }
        }
    }
    if (final && !held)
        atomic_fetch_add(&c->srv->finishing, 1);
    return rc;
}

int mock_pause(mock_conn *c, int64_t ms)
{
    if (ms == 0)
        return 0;
    int64_t until = ms < 0 ? INT64_MAX : mock_now_ms() + ms;
    for (;;) {
        if (atomic_load(&c->srv->stopping))
            return -1;
        int64_t left = ms < 0 ? 1000 : until - mock_now_ms();
        if (left <= 0)
            return 0;
        if (left > 1000)
            left = 1000;
        struct pollfd p = {c->fd, POLLRDHUP, 0};
        int rc = poll(&p, 1, (int)left);
        if (rc < 0 && errno != EINTR)
            return -1;
        if (rc > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)))
            return -1;
    }
}

void mock_reset_conn(mock_conn *c)
{
    struct linger l = {1, 0};              /* close() now sends RST */
    setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
}

int mock_send_json(mock_conn *c, int status, const char *id_header, const char *json, size_t len,
                   int keep_alive)
{
    return mock_send_json_headers(c, status, id_header, NULL, json, len, keep_alive);
}

int mock_send_json_headers(mock_conn *c, int status, const char *id_header, const char *extra,
                           const char *json, size_t len, int keep_alive)
{
    mbuf_clear(&c->out);
    mbuf_printf(&c->out,
                "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
                "x-mock-request-id: %s\r\n%s%s\r\n",
                status, mock_reason(status), len, id_header, extra ? extra : "",
                keep_alive ? "" : "Connection: close\r\n");
    if (c->out.oom)
        return -1;
    struct iovec iov[2] = {{c->out.data, c->out.len}, {mock_unconst(json), len}};
    return mock_send_raw(c->fd, iov, 2);
}

