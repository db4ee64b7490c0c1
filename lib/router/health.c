/*
 * lib/router/health.c: the per-deployment circuit breaker and holds.
 */
#include "../core/common.h"
#include "../core/clock.h"
#include "../redis/shared.h"
#include "health.h"

#define WINDOW_OUTCOMES  20
#define WINDOW_US        (60 * 1000000LL)
#define MIN_CALLS        5
#define HOLD_RATE_LIMIT  (10 * 1000000LL)        /* 429 without a hint */
#define HOLD_QUOTA       (3600 * 1000000LL)      /* quota exhausted: until billing resets or reload */
#define HOLD_AUTH        (300 * 1000000LL)       /* auth failed: until reload, or 5 minutes */
#define HOLD_NOT_FOUND   (300 * 1000000LL)       /* misconfigured model or deployment */
#define SYNC_US          (1000000LL)             /* shared cooldowns are read at most once a second */

int llmgw__health_init(llmgw__health *h)
{
    memset(h, 0, sizeof(*h));
    atomic_init(&h->shared, NULL);
    atomic_init(&h->next_sync_us, 0);
    return pthread_mutex_init(&h->mu, NULL) == 0 ? 0 : LLMGW_ENOMEM;
}

void llmgw__health_dispose(llmgw__health *h)
{
    pthread_mutex_destroy(&h->mu);
}

void llmgw__health_share(llmgw__health *h, struct llmgw__shared *s, const char *id)
{
    pthread_mutex_lock(&h->mu);
    h->id = id;
    pthread_mutex_unlock(&h->mu);
    atomic_store(&h->next_sync_us, 0);
    atomic_store_explicit(&h->shared, s, memory_order_release);
}

/*
 * Merge the shared cooldown into this one, at most once per SYNC_US and by
 * one thread at a time: a later reopening time wins; a remote breaker
 * opening (why 0) ends in this process's own half-open probe, a remote hold
 * just expires. A probe in flight here decides for itself.
 */
static void sync_shared(llmgw__health *h, int64_t now)
{
    struct llmgw__shared *s = atomic_load_explicit(&h->shared, memory_order_acquire);
    int64_t next, remaining_ms = 0, until;
    int why = 0;

    if (s == NULL)
        return;
    next = atomic_load_explicit(&h->next_sync_us, memory_order_relaxed);
    if (now < next || !atomic_compare_exchange_strong(&h->next_sync_us, &next, now + SYNC_US))
        return;
    if (!llmgw__shared_up(s) || llmgw__shared_cooldown_read(s, h->id, &remaining_ms, &why) != 1)
        return;
    until = now + remaining_ms * 1000;
    pthread_mutex_lock(&h->mu);
    if (h->state == LLMGW__HEALTH_CLOSED || (h->state == LLMGW__HEALTH_OPEN && h->until_us < until)) {
        h->state = LLMGW__HEALTH_OPEN;
        h->until_us = until;
        h->hold_class = why;
    }
    pthread_mutex_unlock(&h->mu);
}

/* Publish an opening or hold made by this process (outside the lock). */
static void publish_shared(llmgw__health *h, int64_t remaining_us, int why)
{
    struct llmgw__shared *s = atomic_load_explicit(&h->shared, memory_order_acquire);

    if (s != NULL && remaining_us >= 1000)
        llmgw__shared_cooldown_publish(s, h->id, remaining_us / 1000, why);
}

static int decide(llmgw__health *h, int64_t now, int64_t *until, bool take)
{
    if (h->state == LLMGW__HEALTH_CLOSED)
        return LLMGW__ADMIT;
    if (h->state == LLMGW__HEALTH_OPEN && now < h->until_us) {
        *until = h->until_us;
        return LLMGW__DENY;
    }
    if (h->state == LLMGW__HEALTH_OPEN && h->hold_class != 0) {
        /* a hold that expired: back in rotation, no probe needed */
        if (take) {
            h->state = LLMGW__HEALTH_CLOSED;
            h->hold_class = 0;
        }
        return LLMGW__ADMIT;
    }
    /* breaker open time is over, or already half-open: exactly one probe */
    if (h->probe_out) {
        *until = now;
        return LLMGW__DENY;
    }
    if (take) {
        h->state = LLMGW__HEALTH_HALF_OPEN;
        h->probe_out = true;
    }
    return LLMGW__ADMIT_PROBE;
}

int llmgw__health_peek(llmgw__health *h, int64_t now_us, int64_t *until_us)
{
    int r;

    sync_shared(h, now_us);
    /* the hot path: a closed breaker needs no lock (acquire is the authority) */
    if (atomic_load_explicit(&h->state, memory_order_acquire) == LLMGW__HEALTH_CLOSED)
        return LLMGW__ADMIT;
    pthread_mutex_lock(&h->mu);
    r = decide(h, now_us, until_us, false);
    pthread_mutex_unlock(&h->mu);
    return r;
}

int llmgw__health_hold_class(llmgw__health *h)
{
    int cls;

    pthread_mutex_lock(&h->mu);
    cls = h->state == LLMGW__HEALTH_OPEN ? h->hold_class : 0;
    pthread_mutex_unlock(&h->mu);
    return cls;
}

int llmgw__health_acquire(llmgw__health *h, int64_t now_us, int64_t *until_us)
{
    int r;

    sync_shared(h, now_us);
    if (atomic_load_explicit(&h->state, memory_order_acquire) == LLMGW__HEALTH_CLOSED)
        return LLMGW__ADMIT;
    pthread_mutex_lock(&h->mu);
    r = decide(h, now_us, until_us, true);
    pthread_mutex_unlock(&h->mu);
    return r;
}

int llmgw__health_state(llmgw__health *h, int64_t now_us, int64_t *until_us)
{
    int s;

    pthread_mutex_lock(&h->mu);
    s = h->state;
    if (until_us)
        *until_us = h->until_us;
    (void)now_us;
    pthread_mutex_unlock(&h->mu);
    return s;
}

static void push(llmgw__health *h, int64_t now, bool failed)
{
    if (h->window_n == 0 || now - h->window_start_us > WINDOW_US) {
        h->window = 0;
        h->window_n = 0;
        h->window_start_us = now;
    }
    h->window = ((h->window << 1) | (failed ? 1u : 0u)) & ((1u << WINDOW_OUTCOMES) - 1);
    if (h->window_n < WINDOW_OUTCOMES)
        h->window_n++;
}

static void hold(llmgw__health *h, int64_t now, int64_t dur, int cls)
{
    int64_t until = now + dur;

    if (h->state == LLMGW__HEALTH_OPEN && h->until_us >= until)
        return;                 /* a longer opening stands (re-opening never shortens it) */
    h->state = LLMGW__HEALTH_OPEN;
    h->until_us = until;
    h->hold_class = cls;
}

static int64_t hold_for(const llmgw__outcome *o)
{
    switch (o->error_class) {
    case LLMGW_ERRCLASS_RATE_LIMIT:
        return o->retry_after_ms >= 0 ? LLMGW_MIN(o->retry_after_ms, 3600000) * 1000 : HOLD_RATE_LIMIT;
    case LLMGW_ERRCLASS_QUOTA_EXCEEDED:
        return HOLD_QUOTA;
    case LLMGW_ERRCLASS_AUTH:
        return HOLD_AUTH;
    case LLMGW_ERRCLASS_NOT_FOUND:
        return HOLD_NOT_FOUND;
    default:
        return 0;
    }
}

bool llmgw__health_report(llmgw__health *h, const llmgw__health_cfg *cfg, int64_t now, bool probe,
                          const llmgw__outcome *o, uint64_t *rng)
{
    bool opened = false;
    int64_t dur, until_before;
    int state_before, why = 0;
    unsigned int fails;

    pthread_mutex_lock(&h->mu);
    state_before = h->state;
    until_before = h->until_us;
    if (probe)
        h->probe_out = false;
    if (o->status == 0) {
        push(h, now, false);
        h->consecutive = 0;
        if (h->state == LLMGW__HEALTH_HALF_OPEN || probe)
            h->state = LLMGW__HEALTH_CLOSED;
        if (++h->ok_streak >= 3 && h->ejections > 0) {
            h->ejections /= 2;              /* three in a row halve the multiplier */
            h->ok_streak = 0;
        }
        goto out;
    }
    if ((dur = hold_for(o)) > 0) {
        hold(h, now, dur, o->error_class);
        goto out;
    }
    if (!o->breaker) {
        /* the deployment answered (the request was at fault): a probe proves it is up */
        if (h->state == LLMGW__HEALTH_HALF_OPEN)
            h->state = LLMGW__HEALTH_CLOSED;
        goto out;
    }
    push(h, now, true);
    h->consecutive++;
    h->ok_streak = 0;
    if (cfg->disabled) {
        if (h->state == LLMGW__HEALTH_HALF_OPEN)
            h->state = LLMGW__HEALTH_CLOSED;
        goto out;
    }
    fails = (unsigned int)__builtin_popcount(h->window);
    if (probe || h->state == LLMGW__HEALTH_HALF_OPEN || h->consecutive >= cfg->allowed_fails ||
        (h->window_n >= MIN_CALLS && 2 * fails >= h->window_n)) {
        h->ejections++;
        dur = cfg->cooldown_us * (int64_t)h->ejections;
        if (dur > cfg->max_open_us || dur < 0)
            dur = cfg->max_open_us;
        /* +-10 % jitter so a fleet does not probe in lockstep */
        dur = dur - dur / 10 + (int64_t)llmgw__rand_below(rng, (uint64_t)(dur / 5) + 1);
        if (h->state != LLMGW__HEALTH_OPEN || now + dur > h->until_us)
            h->until_us = now + dur;
        h->state = LLMGW__HEALTH_OPEN;
        h->hold_class = 0;
        h->consecutive = 0;
        h->window = 0;
        h->window_n = 0;
        h->openings++;
        opened = true;
    }
out:
    /* an opening or a longer hold: tell the other processes (advisory) */
    if (h->state == LLMGW__HEALTH_OPEN && (state_before != LLMGW__HEALTH_OPEN || h->until_us > until_before)) {
        dur = h->until_us - now;
        why = h->hold_class;
    } else {
        dur = 0;
    }
    pthread_mutex_unlock(&h->mu);
    if (dur > 0)
        publish_shared(h, dur, why);
    return opened;
}
