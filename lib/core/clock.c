/*
 * lib/core/clock.c: clocks and the PRNG.
 */
#include "common.h"
#include "clock.h"

#include <errno.h>
#include <time.h>

int64_t llmgw__mono_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t llmgw__wall_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t real_now(void *self)
{
    LLMGW_UNUSED(self);
    return llmgw__mono_us();
}

static int64_t real_wall(void *self)
{
    LLMGW_UNUSED(self);
    return llmgw__wall_us();
}

static void real_sleep(void *self, int64_t us)
{
    struct timespec ts;

    LLMGW_UNUSED(self);
    if (us <= 0)
        return;
    ts.tv_sec = (time_t)(us / 1000000);
    ts.tv_nsec = (long)(us % 1000000) * 1000;
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

const llmgw__clock llmgw__clock_real = { real_now, real_wall, real_sleep, NULL };

uint64_t llmgw__rand_next(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);

    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

uint64_t llmgw__rand_below(uint64_t *state, uint64_t bound)
{
    if (bound <= 1)
        return 0;
    return llmgw__rand_next(state) % bound;
}

static _Thread_local int64_t thread_deadline_us;
static _Thread_local bool thread_drop_params;

bool llmgw__thread_drop_params(void)
{
    return thread_drop_params;
}

bool llmgw__thread_drop_params_set(bool drop)
{
    bool prev = thread_drop_params;
    thread_drop_params = drop;
    return prev;
}

int64_t llmgw__thread_deadline_us(void)
{
    return thread_deadline_us;
}

int64_t llmgw__thread_deadline_set(int64_t deadline_us)
{
    int64_t prev = thread_deadline_us;
    thread_deadline_us = deadline_us;
    return prev;
}
