/*
 * lib/core/clock.h: the monotonic clock, wall clock and sleeping, behind a
 * small vtable so policy tests can run in simulated time.
 */
#ifndef LLMGW_CORE_CLOCK_H
#define LLMGW_CORE_CLOCK_H

#include "common.h"

typedef struct llmgw__clock {
    /* Monotonic microseconds. */
    int64_t (*now_us)(void *self);
    /* Wall-clock microseconds since the Unix epoch. */
    int64_t (*wall_us)(void *self);
    /* Sleep for us microseconds (may return early when woken). */
    void    (*sleep_us)(void *self, int64_t us);
    void    *self;
} llmgw__clock;

extern const llmgw__clock llmgw__clock_real;

int64_t llmgw__mono_us(void);
int64_t llmgw__wall_us(void);

/*
 * The deadline of the request this thread is executing, in llmgw__mono_us() time (0: none).
 * The executor sets it for the length of one llmgw_complete*() call; side services it calls
 * (a cache backend, shared state in Redis) read it to clip their own timeouts.
 */
int64_t llmgw__thread_deadline_us(void);
/* Sets it and returns the previous value (restore it when the call ends). */
int64_t llmgw__thread_deadline_set(int64_t deadline_us);
/*
 * The gateway's drop_params for the call this thread is executing (providers
 * read it through llmgw_request_drop_params()). Returns the previous value.
 */
bool llmgw__thread_drop_params(void);
bool llmgw__thread_drop_params_set(bool drop);

/* A simple seedable PRNG (splitmix64), safe to share with atomics. */
uint64_t llmgw__rand_next(uint64_t *state);
/* Uniform in [0, bound) (bound > 0). */
uint64_t llmgw__rand_below(uint64_t *state, uint64_t bound);

#endif
