/*
 * lib/redis/breaker.c: the breaker in front of Redis (docs/resilience.md
 * §b.7): 5 consecutive failures open it; while open no call goes to Redis
 * (every caller falls back at once instead of paying a timeout), except one
 * probe at a time, first after 250 ms, then doubling to one every 5 s (with
 * ±20 % jitter so a fleet does not reconnect in step). A probe that succeeds
 * closes it. This is the reconnect backoff: connecting is just a call.
 */
#include "../core/common.h"
#include "../core/clock.h"
#include "rconn.h"

void llmgw__rbreaker_init(llmgw__rbreaker *b, uint64_t seed)
{
    atomic_init(&b->open, 0);
    atomic_init(&b->consecutive, 0);
    atomic_init(&b->next_probe_us, 0);
    atomic_init(&b->step, 0);
    atomic_init(&b->rng, seed);
    b->first_probe_us = LLMGW__RBREAKER_FIRST_PROBE;
    b->max_probe_us = LLMGW__RBREAKER_MAX_PROBE;
}

bool llmgw__rbreaker_allow(llmgw__rbreaker *b, int64_t now_us, bool *probe)
{
    int64_t next;

    *probe = false;
    if (!atomic_load_explicit(&b->open, memory_order_acquire))
        return true;
    next = atomic_load(&b->next_probe_us);
    if (now_us < next)
        return false;
    /* claim the one probe: nobody else passes until its outcome reschedules */
    if (!atomic_compare_exchange_strong(&b->next_probe_us, &next, now_us + b->max_probe_us))
        return false;
    *probe = true;
    return true;
}

bool llmgw__rbreaker_success(llmgw__rbreaker *b)
{
    atomic_store(&b->consecutive, 0);
    if (!atomic_load_explicit(&b->open, memory_order_acquire))
        return false;
    atomic_store(&b->step, 0);
    return atomic_exchange(&b->open, 0) != 0;
}

static int64_t probe_delay(llmgw__rbreaker *b, unsigned int step)
{
    uint64_t s = atomic_fetch_add(&b->rng, 0x9E3779B97F4A7C15ull);
    int64_t d = b->first_probe_us;

    while (step-- > 0 && d < b->max_probe_us)
        d *= 2;
    if (d > b->max_probe_us)
        d = b->max_probe_us;
    /* ±20 % */
    return d - d / 5 + (int64_t)llmgw__rand_below(&s, (uint64_t)(2 * (d / 5)) + 1);
}

bool llmgw__rbreaker_failure(llmgw__rbreaker *b, int64_t now_us, bool probe)
{
    if (probe) {
        unsigned int step = atomic_fetch_add(&b->step, 1) + 1;
        atomic_store(&b->next_probe_us, now_us + probe_delay(b, step));
        return false;
    }
    if (atomic_load_explicit(&b->open, memory_order_acquire))
        return false;       /* a call let through before it opened */
    if (atomic_fetch_add(&b->consecutive, 1) + 1 < LLMGW__RBREAKER_FAILURES)
        return false;
    atomic_store(&b->step, 0);
    atomic_store(&b->next_probe_us, now_us + probe_delay(b, 0));
    return atomic_exchange(&b->open, 1) == 0;
}
