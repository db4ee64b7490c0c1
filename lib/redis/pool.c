/*
 * lib/redis/pool.c: idle Redis connections, handed to one thread at a time.
 *
 * A connection is taken out of the pool for the length of one call, so no
 * hiredis context is ever used by two threads. Fork safety: every
 * connection remembers the process that opened it; a child finds the pool's
 * pid changed and closes what it inherited without a byte sent (the parent
 * keeps using its sockets), then opens its own. pthread_atfork handlers
 * hold every pool's mutex across fork(), so a child never inherits a mutex
 * locked by a thread that no longer exists; that list of pools is the only
 * process-global state of this room.
 */
#include "../core/common.h"
#include "rconn.h"

#include <unistd.h>

struct llmgw__rpool {
    pthread_mutex_t      mu;
    llmgw__rconn       **idle;
    size_t               nidle, max_idle, max_open;
    size_t               open;            /* opened by this process and not yet freed (or reserved) */
    uint64_t             generation;      /* bumped by a flush and in a child after fork */
    pid_t                pid;
    struct llmgw__rpool *next;            /* the fork list */
};

/* What one call may close, on the stack: at most two pools' worth of idle connections. */
#define MAX_IDLE 128
#define DROP_MAX (2 * MAX_IDLE)

static pthread_mutex_t fork_list_mu = PTHREAD_MUTEX_INITIALIZER;
static llmgw__rpool   *fork_list;
static pthread_once_t  fork_once = PTHREAD_ONCE_INIT;
static int             fork_registered;

static void before_fork(void)
{
    llmgw__rpool *p;

    pthread_mutex_lock(&fork_list_mu);
    for (p = fork_list; p != NULL; p = p->next)
        pthread_mutex_lock(&p->mu);
}

static void after_fork(void)
{
    llmgw__rpool *p;

    /* parent and child alike: the forking thread holds them all; the child resets lazily (pid check) */
    for (p = fork_list; p != NULL; p = p->next)
        pthread_mutex_unlock(&p->mu);
    pthread_mutex_unlock(&fork_list_mu);
}

static void register_fork_handlers(void)
{
    fork_registered = pthread_atfork(before_fork, after_fork, after_fork) == 0;
}

int llmgw__rpool_new(llmgw__rpool **out, size_t max_idle, size_t max_open)
{
    llmgw__rpool *p;

    *out = NULL;
    pthread_once(&fork_once, register_fork_handlers);
    if (!fork_registered)
        return LLMGW_ENOMEM;
    if ((p = llmgw__calloc(1, sizeof(*p))) == NULL)
        return LLMGW_ENOMEM;
    p->max_idle = max_idle == 0 ? 1 : max_idle > MAX_IDLE ? MAX_IDLE : max_idle;
    p->max_open = max_open >= p->max_idle ? max_open : p->max_idle;
    if ((p->idle = llmgw__calloc(p->max_idle, sizeof(*p->idle))) == NULL ||
        pthread_mutex_init(&p->mu, NULL) != 0) {
        llmgw__free(p->idle);
        llmgw__free(p);
        return LLMGW_ENOMEM;
    }
    p->pid = getpid();
    pthread_mutex_lock(&fork_list_mu);
    p->next = fork_list;
    fork_list = p;
    pthread_mutex_unlock(&fork_list_mu);
    *out = p;
    return 0;
}

void llmgw__rpool_free(llmgw__rpool *p)
{
    llmgw__rpool **pp;
    size_t i;

    if (p == NULL)
        return;
    pthread_mutex_lock(&fork_list_mu);
    for (pp = &fork_list; *pp != NULL; pp = &(*pp)->next) {
        if (*pp == p) {
            *pp = p->next;
            break;
        }
    }
    pthread_mutex_unlock(&fork_list_mu);
    for (i = 0; i < p->nidle; i++)
        llmgw__rconn_free(p->idle[i]);
    llmgw__free(p->idle);
    pthread_mutex_destroy(&p->mu);
    llmgw__free(p);
}

/*
 * Caller holds p->mu. In a child after fork: what is idle belongs to the
 * parent's sockets, and what was in use belonged to threads that are gone.
 * Returns the inherited connections for the caller to close outside the lock.
 */
static size_t adopt_if_forked(llmgw__rpool *p, llmgw__rconn **drop)
{
    pid_t me = getpid();
    size_t n = 0;

    if (p->pid == me)
        return 0;
    p->pid = me;
    p->generation++;
    memcpy(drop, p->idle, p->nidle * sizeof(*drop));
    n = p->nidle;
    p->nidle = 0;
    p->open = 0;
    return n;
}

static void close_all(llmgw__rconn **conns, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        llmgw__rconn_free(conns[i]);
}

llmgw__rconn *llmgw__rpool_take(llmgw__rpool *p)
{
    llmgw__rconn *drop[DROP_MAX], *c = NULL;
    size_t ndrop;

    pthread_mutex_lock(&p->mu);
    ndrop = adopt_if_forked(p, drop);
    if (p->nidle > 0) {
        c = p->idle[--p->nidle];
        c->reused = true;
    }
    pthread_mutex_unlock(&p->mu);
    close_all(drop, ndrop);
    return c;
}

bool llmgw__rpool_reserve(llmgw__rpool *p)
{
    llmgw__rconn *drop[DROP_MAX];
    size_t ndrop;
    bool ok;

    pthread_mutex_lock(&p->mu);
    ndrop = adopt_if_forked(p, drop);
    ok = p->open < p->max_open;
    if (ok)
        p->open++;
    pthread_mutex_unlock(&p->mu);
    close_all(drop, ndrop);
    return ok;
}

void llmgw__rpool_unreserve(llmgw__rpool *p)
{
    pthread_mutex_lock(&p->mu);
    if (p->open > 0)
        p->open--;
    pthread_mutex_unlock(&p->mu);
}

uint64_t llmgw__rpool_generation(llmgw__rpool *p)
{
    uint64_t g;

    pthread_mutex_lock(&p->mu);
    g = p->generation;
    pthread_mutex_unlock(&p->mu);
    return g;
}

void llmgw__rpool_give(llmgw__rpool *p, llmgw__rconn *c, bool healthy)
{
    llmgw__rconn *drop[DROP_MAX];
    size_t ndrop;
    bool keep = false;

    if (c == NULL)
        return;
    pthread_mutex_lock(&p->mu);
    ndrop = adopt_if_forked(p, drop);
    if (c->pid == p->pid) {
        keep = healthy && c->generation == p->generation && p->nidle < p->max_idle;
        if (keep) {
            c->reused = false;
            p->idle[p->nidle++] = c;
        } else if (p->open > 0) {
            p->open--;
        }
    }
    pthread_mutex_unlock(&p->mu);
    close_all(drop, ndrop);
    if (!keep)
        llmgw__rconn_free(c);
}

void llmgw__rpool_flush(llmgw__rpool *p)
{
    llmgw__rconn *drop[DROP_MAX];
    size_t ndrop, n;

    pthread_mutex_lock(&p->mu);
    ndrop = adopt_if_forked(p, drop);
    n = LLMGW_MIN(p->nidle, DROP_MAX - ndrop);
    memcpy(drop + ndrop, p->idle + p->nidle - n, n * sizeof(*drop));
    p->nidle -= n;
    p->open = p->open >= n ? p->open - n : 0;
    ndrop += n;
    p->generation++;
    pthread_mutex_unlock(&p->mu);
    close_all(drop, ndrop);
}

size_t llmgw__rpool_open_count(llmgw__rpool *p)
{
    size_t n;

    pthread_mutex_lock(&p->mu);
    n = p->pid == getpid() ? p->open : 0;
    pthread_mutex_unlock(&p->mu);
    return n;
}
