/*
 * tests/redis/rfx.c: fixtures of the Redis tests (see rfx.h).
 */
#include "rfx.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef REDIS_SERVER_SH
#error "REDIS_SERVER_SH (the path of tests/redis/redis-server.sh) must be defined"
#endif

int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    int n = 0;

    if (d == NULL)
        return -1;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n - 1;            /* the directory's own */
}

int free_port(void)
{
    struct sockaddr_in a;
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0), port;

    assert_true(fd >= 0);
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    port = ntohs(a.sin_port);
    close(fd);
    return port;
}

/* Run redis-server.sh; its exit status. */
static int script(const char *cmd, const rfx *f, const char *const *extra)
{
    static char sh[] = "/bin/sh", path[] = REDIS_SERVER_SH;
    char *argv[32], port[16], verb[16], dir[sizeof(f->dir)], extras[16][128];
    int n = 0, k = 0, status = 0;
    pid_t pid;

    snprintf(port, sizeof(port), "%d", f->port);
    snprintf(verb, sizeof(verb), "%s", cmd);
    snprintf(dir, sizeof(dir), "%s", f->dir);
    argv[n++] = sh;
    argv[n++] = path;
    argv[n++] = verb;
    argv[n++] = port;
    argv[n++] = dir;
    while (extra != NULL && *extra != NULL && k < 16) {
        snprintf(extras[k], sizeof(extras[k]), "%s", *extra++);
        argv[n++] = extras[k++];
    }
    argv[n] = NULL;
    fflush(NULL);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        execv(sh, argv);
        _exit(127);
    }
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static pid_t server_pid(rfx *f);

/*
 * A process outside the test's process group that stops the server and
 * removes its directory should the test die without stopping it (a crash,
 * a sanitizer abort, a timeout's kill): it waits on a pipe only the test
 * holds, and "done" on it means the test stopped the server itself.
 */
static void watchdog_start(rfx *f)
{
    static const char script_text[] =
        "read x; [ \"$x\" = done ] && exit 0; kill -CONT $1 2>/dev/null; kill $1 2>/dev/null; "
        "sleep 2; kill -9 $1 2>/dev/null; rm -rf \"$2\"";
    char pid[16], sh[] = "/bin/sh", dash_c[] = "-c", name[] = "rfx-watchdog", text[sizeof(script_text)];
    char dir[sizeof(f->dir)];
    char *argv[] = { sh, dash_c, text, name, pid, dir, NULL };
    int p[2];
    pid_t w;

    snprintf(pid, sizeof(pid), "%d", (int)server_pid(f));
    memcpy(text, script_text, sizeof(text));
    memcpy(dir, f->dir, sizeof(dir));
    assert_int_equal(pipe2(p, O_CLOEXEC), 0);
    fflush(NULL);
    w = fork();
    assert_true(w >= 0);
    if (w == 0) {
        dup2(p[0], 0);
        setsid();
        execv(sh, argv);
        _exit(127);
    }
    close(p[0]);
    f->watchdog = p[1];
    f->watchdog_pid = (int)w;
}

static void watchdog_done(rfx *f)
{
    if (f->watchdog > 0) {
        (void)!write(f->watchdog, "done\n", 5);
        close(f->watchdog);
        while (waitpid((pid_t)f->watchdog_pid, NULL, 0) < 0 && errno == EINTR)
            ;
    }
    f->watchdog = -1;
}

void rfx_start(rfx *f, const char *const *extra)
{
    int tries;

    if (f->dir[0] == '\0') {
        snprintf(f->dir, sizeof(f->dir), "/tmp/llmgw-redis-XXXXXX");
        assert_non_null(mkdtemp(f->dir));
    }
    for (tries = 0; tries < 5; tries++) {
        if (f->port == 0 || tries > 0)
            f->port = free_port();
        if (script("start", f, extra) == 0) {
            f->running = true;
            watchdog_start(f);
            return;
        }
    }
    fail_msg("could not start redis-server (is it installed? Debian: apt-get install redis-server)");
}

void rfx_stop(rfx *f)
{
    if (!f->running)
        return;
    if (script("stop", f, NULL) != 0)
        fail_msg("could not stop redis-server on port %d", f->port);
    f->running = false;
    watchdog_done(f);
}

void rfx_restart(rfx *f, const char *const *extra)
{
    int tries;

    rfx_stop(f);
    /* the same port (what clients know); retried briefly while the old socket lets go */
    for (tries = 0; tries < 50; tries++) {
        if (script("start", f, extra) == 0) {
            f->running = true;
            watchdog_start(f);
            return;
        }
        usleep(100000);
    }
    fail_msg("could not restart redis-server on port %d", f->port);
}

void rfx_destroy(rfx *f)
{
    static const char *const files[] = { "redis.log", "redis.pid", "dump.rdb" };
    char path[256];
    size_t i;

    rfx_stop(f);
    if (f->dir[0] == '\0')
        return;
    for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", f->dir, files[i]);
        unlink(path);
    }
    rmdir(f->dir);
    f->dir[0] = '\0';
}

static pid_t server_pid(rfx *f)
{
    char path[256], buf[32];
    FILE *fp;
    long pid = 0;

    snprintf(path, sizeof(path), "%s/redis.pid", f->dir);
    fp = fopen(path, "r");
    assert_non_null(fp);
    if (fgets(buf, sizeof(buf), fp) != NULL)
        pid = strtol(buf, NULL, 10);
    fclose(fp);
    assert_true(pid > 0);
    return (pid_t)pid;
}

void rfx_pause(rfx *f)
{
    assert_int_equal(kill(server_pid(f), SIGSTOP), 0);
}

void rfx_resume(rfx *f)
{
    assert_int_equal(kill(server_pid(f), SIGCONT), 0);
}

static redisContext *connect_to(rfx *f)
{
    struct timeval tv = { 5, 0 };
    redisContext *c = redisConnectWithTimeout("127.0.0.1", f->port, tv);

    if (c == NULL || c->err) {
        if (c)
            redisFree(c);
        return NULL;
    }
    redisSetTimeout(c, tv);
    return c;
}

redisReply *rfx_cmd(rfx *f, const char *fmt, ...)
{
    redisContext *c = connect_to(f);
    redisReply *r;
    va_list ap;

    if (c == NULL)
        return NULL;
    va_start(ap, fmt);
    r = redisvCommand(c, fmt, ap);
    va_end(ap);
    redisFree(c);
    return r;
}

redisReply *rfx_cmd_argv(rfx *f, int argc, const char **argv, const size_t *lens)
{
    redisContext *c = connect_to(f);
    redisReply *r;

    if (c == NULL)
        return NULL;
    r = redisCommandArgv(c, argc, argv, lens);
    redisFree(c);
    return r;
}

static pthread_t sleeper;
static rfx *sleeper_f;
static double sleeper_s;

static void *sleep_thread(void *arg)
{
    redisReply *r = rfx_cmd(sleeper_f, "DEBUG SLEEP %.3f", sleeper_s);

    (void)arg;
    if (r != NULL)
        freeReplyObject(r);
    return NULL;
}

void rfx_sleep_start(rfx *f, double seconds)
{
    int i;

    sleeper_f = f;
    sleeper_s = seconds;
    assert_int_equal(pthread_create(&sleeper, NULL, sleep_thread, NULL), 0);
    /* return once the server is seen busy: a PING of its own goes unanswered for 20 ms */
    for (i = 0; i < 200; i++) {
        struct timeval tv = { 1, 0 }, shortv = { 0, 20000 };
        redisContext *c = redisConnectWithTimeout("127.0.0.1", f->port, tv);
        redisReply *r = NULL;
        bool busy = false;
        if (c != NULL && c->err == 0) {
            redisSetTimeout(c, shortv);
            r = redisCommand(c, "PING");
            busy = r == NULL;
            if (r != NULL)
                freeReplyObject(r);
        }
        if (c != NULL)
            redisFree(c);
        if (busy)
            return;
        usleep(5000);
    }
    fail_msg("redis-server never got busy with DEBUG SLEEP");
}

void rfx_sleep_join(void)
{
    pthread_join(sleeper, NULL);
}

void rfx_options(const rfx *f, llmgw_redis_options *o)
{
    assert_int_equal(llmgw_redis_options_init(o, LLMGW_REDIS_OPTIONS_VERSION), 0);
    o->host = "127.0.0.1";
    o->port = f->port;
    o->key_prefix = "t:";
    o->secret = "test-shared-secret-0123456789";
    /* generous: valgrind is slow; fault tests set their own */
    o->connect_timeout_ms = 2000;
    o->command_timeout_ms = 2000;
}

llmgw_gateway *rfx_gateway_try(const rfx *f, const llmgw_gateway_options *opts, int cache)
{
    llmgw_redis_options o;
    llmgw_gateway *gw = NULL;

    if (llmgw_gateway_new(&gw, opts) != 0)
        return NULL;
    llmgw_redis_options_init(&o, LLMGW_REDIS_OPTIONS_VERSION);
    o.host = "127.0.0.1";
    o.port = f->port;
    o.key_prefix = "t:";
    o.secret = "test-shared-secret-0123456789";
    o.connect_timeout_ms = 2000;
    o.command_timeout_ms = 2000;
    o.cache = cache;
    if (llmgw_gateway_set_redis(gw, &o) != 0) {
        llmgw_gateway_free(gw);
        return NULL;
    }
    llmgw__shared_test_probe_interval(gw, 20000, 200000);
    return gw;
}

llmgw_gateway *rfx_gateway(const rfx *f, const llmgw_gateway_options *opts, int cache)
{
    llmgw_gateway *gw = rfx_gateway_try(f, opts, cache);

    if (gw == NULL)
        fail_msg("gateway with Redis: %s", llmgw_error_last()->message);
    return gw;
}

/* ---- the fake server ---- */

struct fake_server {
    int       listen_fd;
    int       mode;
    int       stop_pipe[2];
    pthread_t thread;
};

static void answer(int fd, int mode)
{
    static char junk[65536];
    char buf[65536];
    size_t i;

    /* read what the client sent (best effort), then answer it */
    (void)recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
    switch (mode) {
    case FAKE_JUNK:
        (void)send(fd, "HTTP/1.1 400 Bad Request\r\n\r\n", 28, MSG_NOSIGNAL | MSG_DONTWAIT);
        break;
    case FAKE_WRONG_TYPE:
        (void)send(fd, ":7\r\n", 4, MSG_NOSIGNAL | MSG_DONTWAIT);
        break;
    case FAKE_HUGE_BULK:
        (void)send(fd, "$1073741824\r\n", 13, MSG_NOSIGNAL);
        memset(junk, 'A', sizeof(junk));
        for (i = 0; i < 64; i++)            /* 4 MiB, or until the client gives up */
            if (send(fd, junk, sizeof(junk), MSG_NOSIGNAL) < 0)
                break;
        break;
    case FAKE_HUGE_ARRAY:
        (void)send(fd, "*2147483647\r\n", 13, MSG_NOSIGNAL | MSG_DONTWAIT);
        break;
    case FAKE_DEEP:
        for (i = 0; i < 100; i++)
            (void)send(fd, "*1\r\n", 4, MSG_NOSIGNAL | MSG_DONTWAIT);
        break;
    default:
        break;
    }
}

static void *fake_thread(void *arg)
{
    fake_server *s = arg;
    struct pollfd p[66];
    int conns[64], nconns = 0, i;

    for (;;) {
        int n = 2;
        p[0].fd = s->stop_pipe[0];
        p[0].events = POLLIN;
        p[1].fd = s->listen_fd;
        p[1].events = POLLIN;
        for (i = 0; i < nconns; i++) {
            p[n].fd = conns[i];
            p[n++].events = POLLIN;
        }
        if (poll(p, (nfds_t)n, 1000) < 0 && errno != EINTR)
            break;
        if (p[0].revents)
            break;
        for (i = 2; i < n; i++) {
            if (p[i].revents & (POLLHUP | POLLERR)) {
                close(p[i].fd);
                p[i].fd = -1;
            } else if (p[i].revents & POLLIN) {
                char peek;
                if (recv(p[i].fd, &peek, 1, MSG_PEEK | MSG_DONTWAIT) <= 0) {
                    close(p[i].fd);
                    p[i].fd = -1;
                } else if (s->mode == FAKE_SILENT) {
                    char buf[4096];
                    (void)recv(p[i].fd, buf, sizeof(buf), MSG_DONTWAIT);
                } else {
                    answer(p[i].fd, s->mode);
                }
            }
        }
        /* keep the open ones, then take the new one */
        nconns = 0;
        for (i = 2; i < n; i++)
            if (p[i].fd >= 0)
                conns[nconns++] = p[i].fd;
        if (p[1].revents & POLLIN) {
            int c = accept(s->listen_fd, NULL, NULL);
            if (c >= 0 && (s->mode == FAKE_CLOSE || nconns == 64))
                close(c);
            else if (c >= 0)
                conns[nconns++] = c;
        }
    }
    for (i = 0; i < nconns; i++)
        close(conns[i]);
    return NULL;
}

fake_server *fake_server_start(int mode, int *port_out)
{
    fake_server *s = calloc(1, sizeof(*s));
    struct sockaddr_in a;
    socklen_t len = sizeof(a);
    int one = 1;

    assert_non_null(s);
    s->mode = mode;
    s->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(s->listen_fd >= 0);
    setsockopt(s->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(s->listen_fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(s->listen_fd, 64), 0);
    assert_int_equal(getsockname(s->listen_fd, (struct sockaddr *)&a, &len), 0);
    *port_out = ntohs(a.sin_port);
    assert_int_equal(pipe(s->stop_pipe), 0);
    assert_int_equal(pthread_create(&s->thread, NULL, fake_thread, s), 0);
    return s;
}

void fake_server_stop(fake_server *s)
{
    if (s == NULL)
        return;
    (void)!write(s->stop_pipe[1], "x", 1);
    pthread_join(s->thread, NULL);
    close(s->stop_pipe[0]);
    close(s->stop_pipe[1]);
    close(s->listen_fd);
    free(s);
}

/* ---- children ---- */

void run_children(int n, child_fn fn, void *args, size_t arg_size, void *outs, size_t out_size)
{
    int gate[2], results[64][2], i;
    pid_t pids[64];

    assert_true(n > 0 && n <= 64);
    assert_int_equal(pipe(gate), 0);
    fflush(NULL);
    for (i = 0; i < n; i++) {
        assert_int_equal(pipe(results[i]), 0);
        pids[i] = fork();
        assert_true(pids[i] >= 0);
        if (pids[i] == 0) {
            char *out = calloc(1, out_size);
            char go;
            size_t done = 0;
            close(gate[1]);
            close(results[i][0]);
            /* all start together: the gate opens when the parent closes its end */
            (void)!read(gate[0], &go, 1);
            fn((char *)args + (size_t)i * arg_size, out);
            while (out != NULL && done < out_size) {
                ssize_t w = write(results[i][1], out + done, out_size - done);
                if (w <= 0)
                    break;
                done += (size_t)w;
            }
            free(out);
            _exit(done == out_size ? 0 : 3);
        }
        close(results[i][1]);
    }
    close(gate[0]);
    close(gate[1]);
    for (i = 0; i < n; i++) {
        size_t got = 0;
        int status = 0;
        while (got < out_size) {
            ssize_t r = read(results[i][0], (char *)outs + (size_t)i * out_size + got, out_size - got);
            if (r <= 0)
                break;
            got += (size_t)r;
        }
        close(results[i][0]);
        while (waitpid(pids[i], &status, 0) < 0 && errno == EINTR)
            ;
        if (got != out_size || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
            fail_msg("child %d failed (got %zu of %zu bytes, status %d)", i, got, out_size, status);
    }
}
