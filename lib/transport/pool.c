/*
 * lib/transport/pool.c: a thread-safe pool of libcurl handle pairs.
 *
 * Each entry is an easy handle with its own multi handle: the multi owns the
 * connection cache, so a handle returned to the pool keeps its keep-alive
 * connections, and the transfer loop in http.c controls every wait itself.
 * No handle is ever used by two threads at once. After fork() a child never
 * touches its parent's handles: they are abandoned, not cleaned up, so no
 * TLS close_notify is written on the parent's sockets.
 */
#include "../core/common.h"
#include "../core/errors.h"
#include "http.h"
#include "pool.h"

#include <pthread.h>
#include <stdatomic.h>

struct llmgw__pool {
    pthread_mutex_t mu;
    llmgw__conn    *idle;
    size_t          idle_count;
    unsigned int    max_idle;
    unsigned long   fork_gen;      /* fork generation the idle handles belong to */
    char           *proxy;
    char           *ca_path;
};

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode       global_rc = CURLE_FAILED_INIT;
/* Bumped in every child after fork(): cheaper than getpid() on each request. */
static atomic_ulong   fork_generation;

static void after_fork_in_child(void)
{
    atomic_fetch_add(&fork_generation, 1);
}

static void global_init(void)
{
    global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
    pthread_atfork(NULL, NULL, after_fork_in_child);
}

int llmgw__transport_global_init(void)
{
    pthread_once(&global_once, global_init);
    if (global_rc != CURLE_OK)
        return llmgw__error_setc(LLMGW_ERROR, LLMGW_ERRCLASS_NETWORK, "curl_global_init failed");
    return 0;
}

int llmgw__pool_new(llmgw__pool **out, const llmgw__pool_options *opts)
{
    llmgw__pool *p;

    *out = NULL;
    LLMGW_TRY(llmgw__transport_global_init());
    p = llmgw__calloc(1, sizeof(*p));
    if (p == NULL)
        return llmgw__error_oom();
    if (pthread_mutex_init(&p->mu, NULL) != 0) {
        llmgw__free(p);
        return llmgw__error_oom();
    }
    p->max_idle = opts->max_idle ? opts->max_idle : 64;
    p->fork_gen = atomic_load(&fork_generation);
    if ((opts->proxy && (p->proxy = llmgw__strdup(opts->proxy)) == NULL) ||
        (opts->ca_path && (p->ca_path = llmgw__strdup(opts->ca_path)) == NULL)) {
        llmgw__pool_free(p);
        return llmgw__error_oom();
    }
    *out = p;
    return 0;
}

static void conn_free(llmgw__conn *c)
{
    if (c == NULL)
        return;
    if (c->multi)
        curl_multi_cleanup(c->multi);
    if (c->easy)
        curl_easy_cleanup(c->easy);
    llmgw__free(c);
}

void llmgw__pool_free(llmgw__pool *pool)
{
    llmgw__conn *c, *next;

    if (pool == NULL)
        return;
    if (pool->fork_gen == atomic_load(&fork_generation)) {
        for (c = pool->idle; c != NULL; c = next) {
            next = c->next;
            conn_free(c);
        }
    }
    pthread_mutex_destroy(&pool->mu);
    llmgw__free(pool->proxy);
    llmgw__free(pool->ca_path);
    llmgw__free(pool);
}

size_t llmgw__pool_idle(llmgw__pool *pool)
{
    size_t n;

    pthread_mutex_lock(&pool->mu);
    n = pool->idle_count;
    pthread_mutex_unlock(&pool->mu);
    return n;
}

static int setup(llmgw__pool *pool, CURL *e)
{
    CURLcode rc = CURLE_OK;

#define SET(opt, val) do { if (rc == CURLE_OK) rc = curl_easy_setopt(e, opt, val); } while (0)
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_FOLLOWLOCATION, 0L);
    SET(CURLOPT_MAXREDIRS, 0L);
    SET(CURLOPT_UNRESTRICTED_AUTH, 0L);
    SET(CURLOPT_SSL_VERIFYPEER, 1L);
    SET(CURLOPT_SSL_VERIFYHOST, 2L);
    SET(CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
    SET(CURLOPT_TCP_KEEPALIVE, 1L);
    SET(CURLOPT_TCP_NODELAY, 1L);
    SET(CURLOPT_REDIR_PROTOCOLS_STR, "https");
    SET(CURLOPT_USERAGENT, "llmgw/" LLMGW_VERSION);
    if (pool->proxy)
        SET(CURLOPT_PROXY, pool->proxy);
    if (pool->ca_path)
        SET(CURLOPT_CAINFO, pool->ca_path);
#undef SET
    return rc == CURLE_OK ? 0 : -1;
}

llmgw__conn *llmgw__pool_acquire(llmgw__pool *pool)
{
    llmgw__conn *c = NULL;

    pthread_mutex_lock(&pool->mu);
    if (pool->fork_gen != atomic_load(&fork_generation)) {
        /* forked: abandon the parent's handles and connections */
        pool->idle = NULL;
        pool->idle_count = 0;
        pool->fork_gen = atomic_load(&fork_generation);
    }
    if (pool->idle != NULL) {
        c = pool->idle;
        pool->idle = c->next;
        pool->idle_count--;
    }
    pthread_mutex_unlock(&pool->mu);
    if (c != NULL) {
        c->next = NULL;
        return c;
    }
    c = llmgw__calloc(1, sizeof(*c));
    if (c == NULL) {
        llmgw__error_oom();
        return NULL;
    }
    c->easy = curl_easy_init();
    c->multi = curl_multi_init();
    if (c->easy == NULL || c->multi == NULL || setup(pool, c->easy) < 0) {
        conn_free(c);
        llmgw__error_setc(LLMGW_ENOMEM, LLMGW_ERRCLASS_NONE, "could not create a libcurl handle");
        return NULL;
    }
    return c;
}

void llmgw__pool_release(llmgw__pool *pool, llmgw__conn *conn)
{
    bool keep;

    if (conn == NULL)
        return;
    pthread_mutex_lock(&pool->mu);
    keep = pool->fork_gen == atomic_load(&fork_generation) && pool->idle_count < pool->max_idle;
    if (keep) {
        conn->next = pool->idle;
        pool->idle = conn;
        pool->idle_count++;
    }
    pthread_mutex_unlock(&pool->mu);
    if (!keep)
        conn_free(conn);
}
