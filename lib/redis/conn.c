/*
 * lib/redis/conn.c: one Redis connection: connect, AUTH, SELECT, and one
 * command at a time against a deadline, with bounded replies.
 */
#include "../core/common.h"
#include "../core/clock.h"
#include "rconn.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

/* What one reply may allocate: objects, strings and element vectors. */
typedef struct reply_budget {
    size_t used;
    size_t max;
    bool   over;          /* a limit refused something (not out of memory) */
} reply_budget;

typedef struct conn_full {
    llmgw__rconn pub;
    reply_budget budget;
} conn_full;

/* ---- reply objects (through llmgw__malloc, bounded) ---- */

static bool charge(const redisReadTask *task, size_t n)
{
    reply_budget *b = task->privdata;

    if (b == NULL)
        return true;
    if (n > b->max || b->used > b->max - n) {
        b->over = true;
        return false;
    }
    b->used += n;
    return true;
}

static void *attach(const redisReadTask *task, redisReply *r)
{
    if (task->parent != NULL) {
        redisReply *parent = task->parent->obj;
        if (parent == NULL || parent->type != REDIS_REPLY_ARRAY || task->idx < 0 ||
            (size_t)task->idx >= parent->elements) {
            llmgw__rreply_free(r);
            return NULL;
        }
        parent->element[task->idx] = r;
    }
    return r;
}

static redisReply *new_reply(const redisReadTask *task, int type)
{
    redisReply *r;

    if (!charge(task, sizeof(*r)))
        return NULL;
    r = llmgw__calloc(1, sizeof(*r));
    if (r != NULL)
        r->type = type;
    return r;
}

static void *create_string(const redisReadTask *task, char *str, size_t len)
{
    redisReply *r;

    if (len == SIZE_MAX || !charge(task, len + 1) || (r = new_reply(task, task->type)) == NULL)
        return NULL;
    r->str = llmgw__malloc(len + 1);
    if (r->str == NULL) {
        llmgw__free(r);
        return NULL;
    }
    if (len > 0)
        memcpy(r->str, str, len);
    r->str[len] = '\0';
    r->len = len;
    return attach(task, r);
}

static void *create_array(const redisReadTask *task, int elements)
{
    reply_budget *b = task->privdata;
    redisReply *r;

    if ((elements < 0 || elements > LLMGW__RREPLY_MAX_ELEMENTS) && b != NULL)
        b->over = true;
    if (elements < 0 || elements > LLMGW__RREPLY_MAX_ELEMENTS ||
        !charge(task, (size_t)elements * sizeof(redisReply *)) || (r = new_reply(task, REDIS_REPLY_ARRAY)) == NULL)
        return NULL;
    if (elements > 0 && (r->element = llmgw__calloc((size_t)elements, sizeof(*r->element))) == NULL) {
        llmgw__free(r);
        return NULL;
    }
    r->elements = (size_t)elements;
    return attach(task, r);
}

static void *create_integer(const redisReadTask *task, long long value)
{
    redisReply *r = new_reply(task, REDIS_REPLY_INTEGER);

    if (r == NULL)
        return NULL;
    r->integer = value;
    return attach(task, r);
}

static void *create_nil(const redisReadTask *task)
{
    redisReply *r = new_reply(task, REDIS_REPLY_NIL);

    return r ? attach(task, r) : NULL;
}

void llmgw__rreply_free(redisReply *r)
{
    size_t i;

    if (r == NULL)
        return;
    if (r->element != NULL) {
        for (i = 0; i < r->elements; i++)
            llmgw__rreply_free(r->element[i]);
        llmgw__free(r->element);
    }
    llmgw__free(r->str);
    llmgw__free(r);
}

static void free_object(void *r)
{
    llmgw__rreply_free(r);
}

/* hiredis 0.14 takes a non-const pointer; this table is never written. */
static redisReplyObjectFunctions reply_functions = {
    create_string, create_array, create_integer, create_nil, free_object,
};

/* ---- bytes, against a deadline ---- */

/* 1: ready, 0: deadline passed, -1: error on the socket. */
static int wait_fd(int fd, short events, int64_t deadline_us)
{
    for (;;) {
        int64_t left = deadline_us - llmgw__mono_us();
        struct pollfd pfd;
        int r;

        if (left <= 0)
            return 0;
        pfd.fd = fd;
        pfd.events = events;
        pfd.revents = 0;
        r = poll(&pfd, 1, left > (int64_t)INT_MAX * 1000 ? INT_MAX : (int)((left + 999) / 1000));
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r == 0)
            continue;           /* the loop checks the deadline */
        if (pfd.revents & (POLLERR | POLLNVAL))
            return -1;
        if ((events & POLLOUT) && (pfd.revents & POLLHUP))
            return -1;
        return 1;
    }
}

static int send_all(int fd, const char *p, size_t n, int64_t deadline_us, int *fail)
{
    while (n > 0) {
        ssize_t w;
        int r = wait_fd(fd, POLLOUT, deadline_us);

        if (r <= 0) {
            *fail = r == 0 ? LLMGW__RFAIL_TIMEOUT : LLMGW__RFAIL_IO;
            return -1;
        }
        w = send(fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
            continue;
        if (w <= 0) {
            *fail = LLMGW__RFAIL_IO;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int read_reply(redisReply **out, conn_full *c, int64_t deadline_us, size_t max_bytes, int *fail)
{
    redisReader *reader = c->pub.ctx->reader;
    int fd = c->pub.ctx->fd;
    size_t fed = 0;
    char buf[16384];

    for (;;) {
        void *reply = NULL;
        ssize_t n;
        int r;

        if (redisReaderGetReply(reader, &reply) != REDIS_OK) {
            *fail = reader->err == REDIS_ERR_OOM && !c->budget.over ? LLMGW__RFAIL_NOMEM : LLMGW__RFAIL_PROTOCOL;
            return -1;
        }
        if (reply != NULL) {
            if (reader->pos < reader->len) {
                /* bytes nobody asked for: the stream is out of step */
                llmgw__rreply_free(reply);
                *fail = LLMGW__RFAIL_PROTOCOL;
                return -1;
            }
            *out = reply;
            return 0;
        }
        if (fed > max_bytes) {
            *fail = LLMGW__RFAIL_PROTOCOL;
            return -1;
        }
        r = wait_fd(fd, POLLIN, deadline_us);
        if (r <= 0) {
            *fail = r == 0 ? LLMGW__RFAIL_TIMEOUT : (fed == 0 ? LLMGW__RFAIL_IO : LLMGW__RFAIL_PROTOCOL);
            return -1;
        }
        n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
            continue;
        if (n <= 0) {
            *fail = fed == 0 ? LLMGW__RFAIL_IO : LLMGW__RFAIL_PROTOCOL;
            return -1;
        }
        if (redisReaderFeed(reader, buf, (size_t)n) != REDIS_OK) {
            *fail = LLMGW__RFAIL_NOMEM;
            return -1;
        }
        fed += (size_t)n;
    }
}

int llmgw__rconn_command(redisReply **out, llmgw__rconn *pub, int argc, const char **argv, const size_t *lens,
                         int64_t deadline_us, size_t max_reply_bytes, int *fail)
{
    conn_full *c = (conn_full *)pub;
    char *cmd = NULL;
    int len, rc;

    *out = NULL;
    *fail = LLMGW__RFAIL_NONE;
    if (c->pub.ctx == NULL || c->pub.ctx->err) {
        *fail = LLMGW__RFAIL_IO;
        return LLMGW_EUNAVAILABLE;
    }
    len = redisFormatCommandArgv(&cmd, argc, argv, lens);
    if (len < 0 || cmd == NULL) {
        *fail = LLMGW__RFAIL_NOMEM;
        return LLMGW_ENOMEM;
    }
    c->budget.used = 0;
    c->budget.over = false;
    c->budget.max = max_reply_bytes > SIZE_MAX / 8 ? SIZE_MAX / 2 : max_reply_bytes * 4 + 65536;
    rc = send_all(c->pub.ctx->fd, cmd, (size_t)len, deadline_us, fail);
    redisFreeCommand(cmd);
    if (rc == 0)
        rc = read_reply(out, c, deadline_us, max_reply_bytes, fail);
    if (rc < 0)
        return *fail == LLMGW__RFAIL_TIMEOUT ? LLMGW_ETIMEOUT
             : *fail == LLMGW__RFAIL_NOMEM   ? LLMGW_ENOMEM
                                             : LLMGW_EUNAVAILABLE;
    return 0;
}

/* ---- connect ---- */

static bool reply_ok(const redisReply *r)
{
    return r != NULL && r->type == REDIS_REPLY_STATUS && r->len == 2 && memcmp(r->str, "OK", 2) == 0;
}

static int handshake(conn_full *c, const llmgw__redis_target *t, int64_t deadline_us, size_t max_reply, int *fail)
{
    redisReply *r = NULL;
    const char *argv[3];
    size_t lens[3];
    char db[16];
    int argc = 0, rc;

    if (t->password != NULL) {
        argv[argc] = "AUTH";
        lens[argc++] = 4;
        if (t->username != NULL) {
            argv[argc] = t->username;
            lens[argc] = strlen(t->username);
            argc++;
        }
        argv[argc] = t->password;
        lens[argc] = strlen(t->password);
        argc++;
        rc = llmgw__rconn_command(&r, &c->pub, argc, argv, lens, deadline_us, max_reply, fail);
        if (rc < 0)
            return rc;
        if (!reply_ok(r)) {
            /* wrong password or user: Redis is "down" for us; its words are not repeated */
            llmgw__rreply_free(r);
            *fail = LLMGW__RFAIL_PROTOCOL;
            return LLMGW_EAUTH;
        }
        llmgw__rreply_free(r);
        r = NULL;
    }
    if (t->db > 0) {
        snprintf(db, sizeof(db), "%d", t->db);
        argv[0] = "SELECT";
        lens[0] = 6;
        argv[1] = db;
        lens[1] = strlen(db);
        rc = llmgw__rconn_command(&r, &c->pub, 2, argv, lens, deadline_us, max_reply, fail);
        if (rc < 0)
            return rc;
        if (!reply_ok(r)) {
            llmgw__rreply_free(r);
            *fail = LLMGW__RFAIL_PROTOCOL;
            return LLMGW_EUNAVAILABLE;
        }
        llmgw__rreply_free(r);
    }
    return 0;
}

int llmgw__rconn_open(llmgw__rconn **out, const llmgw__redis_target *t, int64_t connect_deadline_us,
                      int64_t command_timeout_us, int64_t request_deadline_us, size_t max_reply_bytes, int *fail)
{
    int64_t left, deadline_us;
    struct timeval tv;
    conn_full *c;
    int rc;

    *out = NULL;
    *fail = LLMGW__RFAIL_NONE;
    if (request_deadline_us > 0 && request_deadline_us < connect_deadline_us)
        connect_deadline_us = request_deadline_us;
    if ((left = connect_deadline_us - llmgw__mono_us()) <= 0) {
        *fail = LLMGW__RFAIL_TIMEOUT;
        return LLMGW_ETIMEOUT;
    }
    if ((c = llmgw__calloc(1, sizeof(*c))) == NULL) {
        *fail = LLMGW__RFAIL_NOMEM;
        return LLMGW_ENOMEM;
    }
    tv.tv_sec = (time_t)(left / 1000000);
    tv.tv_usec = (suseconds_t)(left % 1000000);
    if (t->unix_path != NULL)
        c->pub.ctx = redisConnectUnixWithTimeout(t->unix_path, tv);
    else
        c->pub.ctx = redisConnectWithTimeout(t->host, t->port > 0 ? t->port : 6379, tv);
    if (c->pub.ctx == NULL || c->pub.ctx->err || c->pub.ctx->reader == NULL) {
        *fail = c->pub.ctx == NULL ? LLMGW__RFAIL_NOMEM
              : llmgw__mono_us() >= connect_deadline_us ? LLMGW__RFAIL_TIMEOUT : LLMGW__RFAIL_IO;
        llmgw__rconn_free(&c->pub);
        return *fail == LLMGW__RFAIL_NOMEM ? LLMGW_ENOMEM : LLMGW_EUNAVAILABLE;
    }
    if (t->unix_path == NULL)
        redisEnableKeepAlive(c->pub.ctx);
    c->pub.ctx->reader->fn = &reply_functions;
    c->pub.ctx->reader->privdata = &c->budget;
    c->pub.pid = getpid();
    deadline_us = llmgw__mono_us() + command_timeout_us;
    if (request_deadline_us > 0 && request_deadline_us < deadline_us)
        deadline_us = request_deadline_us;
    rc = handshake(c, t, deadline_us, max_reply_bytes, fail);
    if (rc < 0) {
        llmgw__rconn_free(&c->pub);
        return rc;
    }
    *out = &c->pub;
    return 0;
}

void llmgw__rconn_free(llmgw__rconn *pub)
{
    if (pub == NULL)
        return;
    /* closes the socket; hiredis sends nothing on free, so a child never speaks on its parent's socket */
    if (pub->ctx != NULL)
        redisFree(pub->ctx);
    llmgw__free(pub);
}
