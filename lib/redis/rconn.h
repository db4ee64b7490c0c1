/*
 * lib/redis/rconn.h: one Redis connection, the pool that hands connections
 * to one thread at a time, and the breaker in front of Redis. Internal to
 * lib/redis; the other rooms use lib/redis/shared.h.
 *
 * hiredis (0.14 on Debian 12) is used to connect (TCP or unix socket) and
 * for the protocol (command formatting, the reply parser); the bytes are
 * moved here, with poll() against an absolute monotonic deadline for every
 * command, send(MSG_NOSIGNAL) so a closed peer cannot raise SIGPIPE, and a
 * cap on the bytes of one reply. Replies are built by our own object
 * functions (through llmgw__malloc, arrays capped), so a hostile or broken
 * server can make a call fail but cannot make it allocate without bound.
 */
#ifndef LLMGW_REDIS_RCONN_H
#define LLMGW_REDIS_RCONN_H

#include <pthread.h>
#include <stdatomic.h>
#include <sys/types.h>

#include <hiredis/hiredis.h>

#include "../core/common.h"

#define LLMGW__RREPLY_MAX_ELEMENTS 1024     /* one array in a reply */

/* Where Redis is (parsed from the settings or the public options). */
typedef struct llmgw__redis_target {
    char *host;              /* TCP host, or NULL when unix_path is set */
    int   port;              /* 6379 */
    char *unix_path;         /* unix socket, or NULL */
    char *username;          /* ACL user, or NULL */
    char *password;          /* secret, or NULL: zeroized on free */
    int   db;                /* SELECT db when > 0 */
    bool  tls;               /* asked for TLS (rediss://): not available with hiredis 0.14 */
} llmgw__redis_target;

void llmgw__redis_target_dispose(llmgw__redis_target *t);
/*
 * Parse redis://[user[:password]@]host[:port][/db], rediss://... (tls set)
 * or unix://[[user]:password@]/path[?db=N] into t (fields not in the URL
 * keep their values). LLMGW_EINVAL with a message that never repeats the
 * URL (it may hold a password).
 */
int  llmgw__redis_url_parse(llmgw__redis_target *t, const char *url);

typedef struct llmgw__rconn {
    redisContext *ctx;
    pid_t         pid;             /* the process that opened it: never used by another */
    uint64_t      generation;      /* the pool's generation when opened */
    bool          reused;          /* taken from the pool (may have gone stale) */
} llmgw__rconn;

/* Why a command failed (besides returning < 0). */
enum {
    LLMGW__RFAIL_NONE = 0,
    LLMGW__RFAIL_TIMEOUT,          /* the deadline passed */
    LLMGW__RFAIL_IO,               /* refused, reset, closed before any reply byte */
    LLMGW__RFAIL_PROTOCOL,         /* garbage, too large, trailing bytes */
    LLMGW__RFAIL_NOMEM
};

/*
 * Connect (TCP connect bounded by connect_deadline_us), then AUTH and
 * SELECT within command_timeout_us of the connection, and never past
 * request_deadline_us (0: none; all llmgw__mono_us() time). 0, or < 0 with
 * *fail set. hiredis resolves host names with getaddrinfo(), which no
 * timeout bounds: configure an address or a local resolver.
 */
int  llmgw__rconn_open(llmgw__rconn **out, const llmgw__redis_target *t, int64_t connect_deadline_us,
                       int64_t command_timeout_us, int64_t request_deadline_us, size_t max_reply_bytes, int *fail);
void llmgw__rconn_free(llmgw__rconn *c);
/*
 * Send one command and read its reply before deadline_us. 0 with *out set
 * (which may be an error reply: REDIS_REPLY_ERROR), or < 0 with *fail set,
 * after which the connection must be freed. A reply past max_reply_bytes,
 * an array past LLMGW__RREPLY_MAX_ELEMENTS, or bytes after the reply fail
 * with LLMGW__RFAIL_PROTOCOL.
 */
int  llmgw__rconn_command(redisReply **out, llmgw__rconn *c, int argc, const char **argv, const size_t *lens,
                          int64_t deadline_us, size_t max_reply_bytes, int *fail);
/* Free a reply made by this layer (never hiredis' freeReplyObject). NULL is a no-op. */
void llmgw__rreply_free(redisReply *r);

/* ---- pool: idle connections of this process ---- */

typedef struct llmgw__rpool llmgw__rpool;

int  llmgw__rpool_new(llmgw__rpool **out, size_t max_idle, size_t max_open);
void llmgw__rpool_free(llmgw__rpool *p);
/*
 * An idle connection opened by this process (NULL: none; the caller opens
 * one if llmgw__rpool_reserve allows). Connections opened before a fork are
 * never handed out in the child: they are closed without a byte sent.
 */
llmgw__rconn *llmgw__rpool_take(llmgw__rpool *p);
/* Count one more open connection; false when max_open are open (the call is skipped). */
bool llmgw__rpool_reserve(llmgw__rpool *p);
/* A reserved slot that did not become a connection. */
void llmgw__rpool_unreserve(llmgw__rpool *p);
uint64_t llmgw__rpool_generation(llmgw__rpool *p);
/* Give back: kept when healthy, of this process and generation, and there is room; else freed. */
void llmgw__rpool_give(llmgw__rpool *p, llmgw__rconn *c, bool healthy);
/* Close every idle connection (after a failure, they are suspect). */
void llmgw__rpool_flush(llmgw__rpool *p);
/* Connections open now (idle and in use), for stats. */
size_t llmgw__rpool_open_count(llmgw__rpool *p);

/* ---- breaker in front of Redis ---- */

#define LLMGW__RBREAKER_FAILURES      5             /* consecutive failures that open it */
#define LLMGW__RBREAKER_FIRST_PROBE   (250 * 1000LL) /* µs; doubles per failed probe */
#define LLMGW__RBREAKER_MAX_PROBE     (5 * 1000000LL)

typedef struct llmgw__rbreaker {
    _Atomic int      open;
    _Atomic unsigned consecutive;
    _Atomic int64_t  next_probe_us;    /* when open: the next call allowed through */
    _Atomic unsigned step;             /* probes failed in a row */
    _Atomic uint64_t rng;
    int64_t          first_probe_us;   /* settable for tests */
    int64_t          max_probe_us;
} llmgw__rbreaker;

void llmgw__rbreaker_init(llmgw__rbreaker *b, uint64_t seed);
/* May a call go to Redis now? *probe: this call is the one probe of an open breaker. */
bool llmgw__rbreaker_allow(llmgw__rbreaker *b, int64_t now_us, bool *probe);
/* Outcome of an allowed call. Return true when this changed the state (closed <-> open). */
bool llmgw__rbreaker_success(llmgw__rbreaker *b);
bool llmgw__rbreaker_failure(llmgw__rbreaker *b, int64_t now_us, bool probe);

#endif
