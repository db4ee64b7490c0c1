/*
 * lib/redis/shared.c: one call to Redis: the breaker, the request's
 * deadline, a pooled connection, one retry when a pooled connection turned
 * out closed (Redis restarted), and the scripts (EVALSHA, loaded once).
 */
#include "../core/common.h"
#include "../core/clock.h"
#include "../core/gateway.h"
#include "internal.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

/* ---- arguments ---- */

llmgw__rargs *llmgw__rargs_new(void)
{
    llmgw__rargs *a = llmgw__calloc(1, sizeof(*a));

    if (a != NULL)
        a->nkeys_at = -1;
    return a;
}

void llmgw__rargs_free(llmgw__rargs *a)
{
    int i;

    if (a == NULL)
        return;
    for (i = 0; i < a->nowned; i++)
        llmgw__free(a->owned[i]);
    llmgw__free(a);
}

void llmgw__rargs_add(llmgw__rargs *a, const char *s, size_t len)
{
    if (a->argc >= LLMGW__RARGS_MAX) {
        a->failed = true;
        return;
    }
    a->argv[a->argc] = s;
    a->lens[a->argc++] = len;
}

void llmgw__rargs_addz(llmgw__rargs *a, const char *s)
{
    llmgw__rargs_add(a, s, strlen(s));
}

static void add_owned(llmgw__rargs *a, char *s, size_t len)
{
    if (s == NULL || a->argc >= LLMGW__RARGS_MAX) {
        llmgw__free(s);
        a->failed = true;
        return;
    }
    a->owned[a->nowned++] = s;
    llmgw__rargs_add(a, s, len);
}

void llmgw__rargs_addi(llmgw__rargs *a, int64_t v)
{
    char buf[24];
    int n = snprintf(buf, sizeof(buf), "%lld", (long long)v);

    add_owned(a, llmgw__strndup(buf, (size_t)n), (size_t)n);
}

void llmgw__rargs_key(llmgw__rargs *a, const llmgw__shared *s, const char *fmt, ...)
{
    char buf[LLMGW__REDIS_MAX_KEY];
    va_list ap;
    int n;

    if (s->prefix_len >= sizeof(buf)) {
        a->failed = true;
        return;
    }
    memcpy(buf, s->prefix, s->prefix_len);
    va_start(ap, fmt);
    n = vsnprintf(buf + s->prefix_len, sizeof(buf) - s->prefix_len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(buf) - s->prefix_len) {
        a->failed = true;           /* too long to share: the caller stays local */
        return;
    }
    add_owned(a, llmgw__strndup(buf, s->prefix_len + (size_t)n), s->prefix_len + (size_t)n);
}

void llmgw__rargs_eval(llmgw__rargs *a)
{
    llmgw__rargs_add(a, "EVALSHA", 7);
    llmgw__rargs_add(a, "", 0);          /* sha */
    a->nkeys_at = a->argc;
    llmgw__rargs_add(a, "0", 1);         /* numkeys */
}

/* ---- one command ---- */

static const char *fail_text(int fail)
{
    switch (fail) {
    case LLMGW__RFAIL_TIMEOUT:
        return "timed out";
    case LLMGW__RFAIL_IO:
        return "connection failed";
    case LLMGW__RFAIL_PROTOCOL:
        return "unexpected or oversized reply, or authentication refused";
    default:
        return "out of memory";
    }
}

static void note_failure(llmgw__shared *s, int64_t now, bool probe, int fail)
{
    atomic_fetch_add(&s->n.failures, 1);
    if (fail == LLMGW__RFAIL_TIMEOUT)
        atomic_fetch_add(&s->n.timeouts, 1);
    if (fail == LLMGW__RFAIL_NOMEM)
        return;             /* our memory, not Redis' health */
    if (llmgw__rbreaker_failure(&s->breaker, now, probe)) {
        atomic_fetch_add(&s->n.openings, 1);
        llmgw__log(s->gw, LLMGW_LOG_WARN,
                   "redis: down (%s, %d calls in a row); the cache misses, and rate limits, budgets and "
                   "cooldowns are this process's own until it is back (probed with backoff)",
                   fail_text(fail), LLMGW__RBREAKER_FAILURES);
    }
}

static void note_success(llmgw__shared *s)
{
    if (llmgw__rbreaker_success(&s->breaker))
        llmgw__log(s->gw, LLMGW_LOG_WARN, "redis: up again; shared state resumes");
}

/*
 * A connection: an idle one, or a new one (connect within min(connect
 * timeout, the request's deadline)). *deadline: the command's, counted from
 * when the connection is ready.
 */
static int get_conn(llmgw__shared *s, llmgw__rconn **out, int64_t *deadline, int *fail)
{
    int64_t req = llmgw__thread_deadline_us(), now;
    int rc;

    *fail = LLMGW__RFAIL_NONE;
    if ((*out = llmgw__rpool_take(s->pool)) == NULL) {
        if (!llmgw__rpool_reserve(s->pool))
            return LLMGW_EUNAVAILABLE;
        rc = llmgw__rconn_open(out, &s->target, llmgw__mono_us() + s->connect_timeout_us, s->command_timeout_us,
                               req, s->max_reply_bytes, fail);
        if (rc < 0) {
            llmgw__rpool_unreserve(s->pool);
            if (rc == LLMGW_ENOMEM)
                *fail = LLMGW__RFAIL_NOMEM;
            else if (*fail == LLMGW__RFAIL_NONE)
                *fail = LLMGW__RFAIL_IO;
            return rc;
        }
        (*out)->generation = llmgw__rpool_generation(s->pool);
        atomic_fetch_add(&s->n.connects, 1);
    }
    now = llmgw__mono_us();
    *deadline = now + s->command_timeout_us;
    if (req > 0 && req < *deadline)
        *deadline = req;
    return 0;
}

int llmgw__shared_command(llmgw__shared *s, redisReply **out, llmgw__rargs *a)
{
    int64_t now = llmgw__mono_us(), req = llmgw__thread_deadline_us();
    bool probe = false;
    int attempt;

    *out = NULL;
    if (a->failed)
        return LLMGW_EUNAVAILABLE;
    if ((req > 0 && req - now < LLMGW__REDIS_MIN_CALL_US) || !llmgw__rbreaker_allow(&s->breaker, now, &probe)) {
        atomic_fetch_add(&s->n.skipped, 1);
        return LLMGW_EUNAVAILABLE;
    }
    for (attempt = 0; attempt < 2; attempt++) {
        llmgw__rconn *c = NULL;
        int64_t d = 0;
        bool reused;
        int fail = LLMGW__RFAIL_NONE, rc;

        rc = get_conn(s, &c, &d, &fail);
        if (rc < 0) {
            if (rc == LLMGW_EUNAVAILABLE && fail == LLMGW__RFAIL_NONE) {
                /* every connection is busy: skip, and give a probe back */
                atomic_fetch_add(&s->n.skipped, 1);
                if (probe)
                    llmgw__rbreaker_failure(&s->breaker, llmgw__mono_us(), true);
                return rc;
            }
            note_failure(s, llmgw__mono_us(), probe, fail);
            return fail == LLMGW__RFAIL_NOMEM ? LLMGW_ENOMEM : LLMGW_EUNAVAILABLE;
        }
        reused = c->reused;
        atomic_fetch_add(&s->n.calls, 1);
        rc = llmgw__rconn_command(out, c, a->argc, a->argv, a->lens, d, s->max_reply_bytes, &fail);
        if (rc == 0) {
            llmgw__rpool_give(s->pool, c, true);
            note_success(s);
            return 0;
        }
        llmgw__rpool_give(s->pool, c, false);
        if (fail == LLMGW__RFAIL_IO)
            llmgw__rpool_flush(s->pool);        /* the others are likely closed too */
        now = llmgw__mono_us();
        if (attempt == 0 && reused && fail == LLMGW__RFAIL_IO && (req <= 0 || req - now >= LLMGW__REDIS_MIN_CALL_US))
            continue;                           /* a stale pooled connection: once more, on a new one */
        note_failure(s, now, probe, fail);
        return fail == LLMGW__RFAIL_NOMEM ? LLMGW_ENOMEM : LLMGW_EUNAVAILABLE;
    }
    return LLMGW_EUNAVAILABLE;
}

/* ---- scripts ---- */

static bool is_sha(const redisReply *r)
{
    size_t i;

    if (r == NULL || r->type != REDIS_REPLY_STRING || r->len != 40)
        return false;
    for (i = 0; i < 40; i++)
        if (!((r->str[i] >= '0' && r->str[i] <= '9') || (r->str[i] >= 'a' && r->str[i] <= 'f')))
            return false;
    return true;
}

static int load_script(llmgw__shared *s, int script)
{
    llmgw__rargs *a = llmgw__rargs_new();
    redisReply *r = NULL;
    int rc;

    if (a == NULL)
        return LLMGW_ENOMEM;
    llmgw__rargs_addz(a, "SCRIPT");
    llmgw__rargs_addz(a, "LOAD");
    llmgw__rargs_addz(a, llmgw__redis_scripts[script]);
    rc = llmgw__shared_command(s, &r, a);
    llmgw__rargs_free(a);
    if (rc < 0)
        return rc;
    if (!is_sha(r)) {
        llmgw__rreply_free(r);
        return llmgw__shared_rejected(s);
    }
    pthread_mutex_lock(&s->script_mu);
    memcpy(s->sha[script], r->str, 40);
    s->sha[script][40] = '\0';
    atomic_store(&s->sha_ok[script], true);
    pthread_mutex_unlock(&s->script_mu);
    llmgw__rreply_free(r);
    return 0;
}

int llmgw__shared_eval(llmgw__shared *s, redisReply **out, int script, llmgw__rargs *a, int nkeys)
{
    char sha[41], nk[16];
    int rc;

    *out = NULL;
    if (a->failed || a->nkeys_at != 2)
        return LLMGW_EUNAVAILABLE;
    if (!atomic_load(&s->sha_ok[script]))
        LLMGW_TRY(load_script(s, script));
    pthread_mutex_lock(&s->script_mu);
    memcpy(sha, s->sha[script], sizeof(sha));
    pthread_mutex_unlock(&s->script_mu);
    snprintf(nk, sizeof(nk), "%d", nkeys);
    a->argv[1] = sha;
    a->lens[1] = 40;
    a->argv[2] = nk;
    a->lens[2] = strlen(nk);
    rc = llmgw__shared_command(s, out, a);
    if (rc == 0 && (*out)->type == REDIS_REPLY_ERROR && strncmp((*out)->str, "NOSCRIPT", 8) == 0) {
        /* Redis restarted or flushed its scripts: send the text (which caches it again) */
        llmgw__rreply_free(*out);
        *out = NULL;
        a->argv[0] = "EVAL";
        a->lens[0] = 4;
        a->argv[1] = llmgw__redis_scripts[script];
        a->lens[1] = strlen(llmgw__redis_scripts[script]);
        rc = llmgw__shared_command(s, out, a);
        a->argv[0] = "EVALSHA";
        a->lens[0] = 7;
    }
    a->argv[1] = "";
    a->lens[1] = 0;
    a->argv[2] = "0";
    a->lens[2] = 1;
    if (rc == 0 && (*out)->type == REDIS_REPLY_ERROR) {
        /* READONLY, OOM, a script error: this call falls back (the reply text is Redis', not ours to log) */
        llmgw__rreply_free(*out);
        *out = NULL;
        atomic_fetch_add(&s->n.failures, 1);
        return LLMGW_EUNAVAILABLE;
    }
    return rc;
}

int llmgw__shared_rejected(llmgw__shared *s)
{
    atomic_fetch_add(&s->n.rejected, 1);
    return LLMGW_EUNAVAILABLE;
}

void llmgw__shared_lease(llmgw__shared *s, char out[LLMGW__SHARED_LEASE_LEN])
{
    uint64_t n = atomic_fetch_add(&s->lease_seq, 1) + 1;

    snprintf(out, LLMGW__SHARED_LEASE_LEN, "%s-%ld-%llu", s->instance, (long)getpid(), (unsigned long long)n);
}

bool llmgw__shared_up(llmgw__shared *s)
{
    return s != NULL && !atomic_load_explicit(&s->breaker.open, memory_order_acquire);
}

/* ---- reply checks ---- */

bool llmgw__rreply_int(const redisReply *r, long long lo, long long hi, long long *out)
{
    if (r == NULL || r->type != REDIS_REPLY_INTEGER || r->integer < lo || r->integer > hi)
        return false;
    *out = r->integer;
    return true;
}

bool llmgw__rreply_strint(const redisReply *r, long long lo, long long hi, long long *out)
{
    long long v = 0;
    size_t i;
    bool neg;

    if (r == NULL || r->type != REDIS_REPLY_STRING || r->len == 0 || r->len > 20)
        return false;
    neg = r->str[0] == '-';
    if (neg && r->len == 1)
        return false;
    for (i = neg ? 1 : 0; i < r->len; i++) {
        int d = r->str[i] - '0';
        if (d < 0 || d > 9 || v > (LLONG_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    if (neg)
        v = -v;
    if (v < lo || v > hi)
        return false;
    *out = v;
    return true;
}
