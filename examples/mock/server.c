/*
 * llmgw mock upstream: lifecycle, listener, accept thread and connection tracking.
 *
 * One thread per connection (at most MOCK_MAX_CONNS; beyond that, connections wait in the listen
 * backlog). Every live connection is on srv->conns; a finished connection thread moves itself to
 * srv->zombies and is joined by the accept thread or by mock_server_stop(). Stop sets a flag,
 * wakes the accept thread through a pipe, then shutdown()s every tracked socket, which wakes any
 * read, write or pause (pauses poll the socket), and joins everything.
 */
#include "mock_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void reap(mock_server *srv)
{
    pthread_mutex_lock(&srv->lock);
    mock_conn *z = srv->zombies;
    srv->zombies = NULL;
    pthread_mutex_unlock(&srv->lock);
    while (z) {
        mock_conn *next = z->next;
        pthread_join(z->thread, NULL);
        free(z);
        z = next;
    }
}

static void *conn_main(void *arg)
{
    mock_conn *c = arg;
    mock_server *srv = c->srv;
    mock_conn_serve(c);
    mbuf_free(&c->in);
    mbuf_free(&c->head);
    mbuf_free(&c->body);
    mbuf_free(&c->out);
    mbuf_free(&c->payload);
    mbuf_free(&c->scratch);
    mock_stream_free(&c->events);
    mock_answer_store_free(&c->answer);
    free(c->hdrs);

    pthread_mutex_lock(&srv->lock);
    if (c->prev)
        c->prev->next = c->next;
    else
        srv->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    srv->nconns--;
    close(c->fd);                          /* under the lock: stop never shuts down a reused fd */
    c->fd = -1;
    c->prev = NULL;
    c->next = srv->zombies;
    srv->zombies = c;
    pthread_cond_broadcast(&srv->conn_cond);
    pthread_mutex_unlock(&srv->lock);
    return NULL;
}

static int wait_readable(mock_server *srv, int64_t ms)
{
    struct pollfd p[2] = {{srv->listen_fd, POLLIN, 0}, {srv->wake[0], POLLIN, 0}};
    int rc = poll(p, 2, (int)ms);
    if (rc < 0)
        return errno == EINTR ? 0 : -1;
    if (p[1].revents)
        return -1;
    return p[0].revents ? 1 : 0;
}

static void *accept_main(void *arg)
{
    mock_server *srv = arg;
    while (!atomic_load(&srv->stopping)) {
        reap(srv);
        pthread_mutex_lock(&srv->lock);
        while (srv->nconns >= MOCK_MAX_CONNS && !atomic_load(&srv->stopping))
            pthread_cond_wait(&srv->conn_cond, &srv->lock);
        pthread_mutex_unlock(&srv->lock);

        int r = wait_readable(srv, 1000);
        if (r < 0)
            break;
        if (r == 0)
            continue;
        int fd = accept4(srv->listen_fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
                wait_readable(srv, 10);    /* let connections finish; the backlog holds */
            continue;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        mock_conn *c = calloc(1, sizeof *c);
        if (!c) {
            close(fd);
            continue;
        }
        c->fd = fd;
        c->srv = srv;
        atomic_fetch_add(&srv->accepted, 1);
        pthread_mutex_lock(&srv->lock);
        c->next = srv->conns;
        if (srv->conns)
            srv->conns->prev = c;
        srv->conns = c;
        srv->nconns++;
        if (pthread_create(&c->thread, NULL, conn_main, c) != 0) {
            srv->conns = c->next;
            if (c->next)
                c->next->prev = NULL;
            srv->nconns--;
            close(fd);
            free(c);
        }
        pthread_mutex_unlock(&srv->lock);
    }
    return NULL;
}

static int resolve_host(const char *host, struct sockaddr_storage *ss, socklen_t *len)
{
    memset(ss, 0, sizeof *ss);
    if (!host || !strcmp(host, "127.0.0.1") || !strcmp(host, "localhost")) {
        struct sockaddr_in *a = (struct sockaddr_in *)ss;
        a->sin_family = AF_INET;
        a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        *len = sizeof *a;
        return AF_INET;
    }
    if (!strcmp(host, "::1") || !strcmp(host, "[::1]")) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
        a->sin6_family = AF_INET6;
        a->sin6_addr = in6addr_loopback;
        *len = sizeof *a;
        return AF_INET6;
    }
    return -1;                             /* loopback only */
}

int mock_server_start(mock_server **out, const char *host, unsigned short port)
{
    struct sockaddr_storage ss;
    socklen_t slen;
    if (!out)
        return -1;
    *out = NULL;
    int family = resolve_host(host, &ss, &slen);
    if (family < 0)
        return -1;
    mock_server *srv = calloc(1, sizeof *srv);
    if (!srv)
        return -1;
    srv->listen_fd = -1;
    srv->wake[0] = srv->wake[1] = -1;
    if (family == AF_INET)
        ((struct sockaddr_in *)&ss)->sin_port = htons(port);
    else
        ((struct sockaddr_in6 *)&ss)->sin6_port = htons(port);

    int one = 1;
    srv->listen_fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (srv->listen_fd < 0 ||
        setsockopt(srv->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        bind(srv->listen_fd, (struct sockaddr *)&ss, slen) < 0 ||
        listen(srv->listen_fd, 1024) < 0 || getsockname(srv->listen_fd, (struct sockaddr *)&ss,
                                                         &slen) < 0 ||
        pipe2(srv->wake, O_CLOEXEC) < 0)
        goto fail;
    srv->port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
                                        : ((struct sockaddr_in6 *)&ss)->sin6_port);
    snprintf(srv->base_url, sizeof srv->base_url, family == AF_INET ? "http://127.0.0.1:%u"
                                                                    : "http://[::1]:%u",
             (unsigned)srv->port);
    if (pthread_mutex_init(&srv->lock, NULL) != 0)
        goto fail;
    if (pthread_cond_init(&srv->conn_cond, NULL) != 0) {
        pthread_mutex_destroy(&srv->lock);
        goto fail;
    }
    if (pthread_create(&srv->accept_thread, NULL, accept_main, srv) != 0) {
        pthread_cond_destroy(&srv->conn_cond);
        pthread_mutex_destroy(&srv->lock);
        goto fail;
    }
    *out = srv;
    return 0;
fail:
    if (srv->listen_fd >= 0)
        close(srv->listen_fd);
    if (srv->wake[0] >= 0) {
        close(srv->wake[0]);
        close(srv->wake[1]);
    }
    free(srv);
    return -1;
}

unsigned short mock_server_port(const mock_server *srv)
{
    return srv ? srv->port : 0;
}

const char *mock_server_base_url(const mock_server *srv)
{
    return srv ? srv->base_url : NULL;
}

int mock_server_script_err(mock_server *srv, const char *lane, const char *script_json,
                           char *err, size_t err_size)
{
    if (err_size)
        err[0] = '\0';
    if (!srv || !script_json) {
        if (err_size)
            snprintf(err, err_size, "script: no server or no script");
        return -1;
    }
    if (!lane)
        lane = "default";
    mock_script *s = mock_script_parse(script_json, strlen(script_json), err, err_size);
    if (!s)
        return -1;
    if (mock_lanes_set_script(srv, lane, s) < 0) {
        if (err_size)
            snprintf(err, err_size, "script: bad lane name or too many lanes");
        mock_script_free(s);
        return -1;
    }
    return 0;
}

int mock_server_script(mock_server *srv, const char *lane, const char *script_json)
{
    char err[256];
    int rc = mock_server_script_err(srv, lane, script_json, err, sizeof err);
    if (rc < 0)
        fprintf(stderr, "llmgw-mock: %s\n", err);
    return rc;
}

char *mock_server_requests(mock_server *srv, const char *lane)
{
    return srv ? mock_requests_json(srv, lane ? lane : "default") : NULL;
}

void mock_server_ledger(mock_server *srv, const char *lane, mock_ledger *out)
{
    if (!out)
        return;
    if (!srv) {
        memset(out, 0, sizeof *out);
        return;
    }
    mock_ledger_sum(srv, lane, out);
}

void mock_server_reset(mock_server *srv)
{
    if (srv) {
        mock_lanes_reset(srv);
        atomic_store(&srv->accepted, 0);
    }
}

uint64_t mock_server_connections(mock_server *srv)
{
    return srv ? (uint64_t)atomic_load(&srv->accepted) : 0;
}

void mock_server_stop(mock_server *srv)
{
    if (!srv)
        return;
    atomic_store(&srv->stopping, 1);
    ssize_t w;
    do
        w = write(srv->wake[1], "x", 1);
    while (w < 0 && errno == EINTR);
    pthread_mutex_lock(&srv->lock);
    pthread_cond_broadcast(&srv->conn_cond);
    pthread_mutex_unlock(&srv->lock);
    pthread_join(srv->accept_thread, NULL);
    close(srv->listen_fd);

    pthread_mutex_lock(&srv->lock);
    for (mock_conn *c = srv->conns; c; c = c->next)
        shutdown(c->fd, SHUT_RDWR);
    while (srv->nconns > 0 || srv->zombies) {
        if (srv->zombies) {
            pthread_mutex_unlock(&srv->lock);
            reap(srv);
            pthread_mutex_lock(&srv->lock);
        } else {
            pthread_cond_wait(&srv->conn_cond, &srv->lock);
        }
    }
    pthread_mutex_unlock(&srv->lock);

    close(srv->wake[0]);
    close(srv->wake[1]);
    mock_lanes_free(srv);
    pthread_cond_destroy(&srv->conn_cond);
    pthread_mutex_destroy(&srv->lock);
    free(srv);
}
