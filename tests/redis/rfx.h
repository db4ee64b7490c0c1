/*
 * tests/redis/rfx.h: fixtures of the Redis tests: a real redis-server of
 * their own on a free loopback port (through redis-server.sh), a direct
 * hiredis client to look at and tamper with what llmgw stored, a fake
 * server that answers garbage, and children that report back by pipe.
 */
#ifndef LLMGW_TESTS_RFX_H
#define LLMGW_TESTS_RFX_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <cmocka.h>
#include <hiredis/hiredis.h>

#include "core/common.h"
#include "core/gateway.h"
#include "redis/internal.h"

typedef struct rfx {
    int  port;
    char dir[128];
    bool running;
    int  watchdog;          /* write end of the watchdog's pipe, or -1 / 0 when none */
    int  watchdog_pid;
} rfx;

/* Start a server (extra: NULL-terminated redis-server options, or NULL). Fails the test when it cannot. */
void rfx_start(rfx *f, const char *const *extra);
/* Stop it (no-op when stopped), keeping port and dir for a restart. */
void rfx_stop(rfx *f);
/* Start it again on the same port. */
void rfx_restart(rfx *f, const char *const *extra);
/* Stop and remove its directory. */
void rfx_destroy(rfx *f);
/* SIGSTOP / SIGCONT: open TCP, no replies. */
void rfx_pause(rfx *f);
void rfx_resume(rfx *f);
/* A command on a connection of its own (5 s timeout); NULL when it fails. freeReplyObject() it. */
redisReply *rfx_cmd(rfx *f, const char *fmt, ...);
redisReply *rfx_cmd_argv(rfx *f, int argc, const char **argv, const size_t *lens);
/* DEBUG SLEEP seconds, sent from a thread (the server is busy meanwhile); join with rfx_sleep_join. */
void rfx_sleep_start(rfx *f, double seconds);
void rfx_sleep_join(void);

/* Options for llmgw_gateway_set_redis toward this server (timeouts generous for valgrind). */
void rfx_options(const rfx *f, llmgw_redis_options *o);
/* A gateway (opts may be NULL) sharing through f, breaker probing fast (20 ms, at most 200 ms). */
llmgw_gateway *rfx_gateway(const rfx *f, const llmgw_gateway_options *opts, int cache);
/* The same without cmocka asserts (for children): NULL on failure. */
llmgw_gateway *rfx_gateway_try(const rfx *f, const llmgw_gateway_options *opts, int cache);

/* In a child process, never a cmocka assert (it would run the rest of the suite there): exit instead. */
#define CHILD_CHECK(cond) do { if (!(cond)) { fprintf(stderr, "child check failed: %s (%s:%d)\n", #cond, \
                                                      __FILE__, __LINE__); _exit(5); } } while (0)

/* A fake server that answers every command with the same bytes (or nothing). */
typedef struct fake_server fake_server;
enum {
    FAKE_JUNK,          /* an HTTP error page */
    FAKE_WRONG_TYPE,    /* ":7\r\n": valid protocol, never the expected shape */
    FAKE_HUGE_BULK,     /* "$1073741824\r\n" then megabytes of 'A' */
    FAKE_HUGE_ARRAY,    /* "*2147483647\r\n" */
    FAKE_DEEP,          /* arrays nested 100 deep */
    FAKE_SILENT,        /* accepts, never answers */
    FAKE_CLOSE          /* accepts, closes at once */
};
fake_server *fake_server_start(int mode, int *port_out);
void fake_server_stop(fake_server *s);

/* fork(): in the child, run fn(arg, out) and send out (n bytes) back; the parent collects. */
typedef void (*child_fn)(void *arg, void *out);
void run_children(int n, child_fn fn, void *args, size_t arg_size, void *outs, size_t out_size);

/* A free loopback TCP port. */
int free_port(void);
/* Milliseconds on the monotonic clock. */
int64_t now_ms(void);
/* Open file descriptors of this process. */
int open_fds(void);

#endif
