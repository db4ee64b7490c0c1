/*
 * tests/support/fake_clock.h: simulated time for policy tests. Sleeping
 * advances the clock instantly; now() returns the simulated time.
 */
#ifndef LLMGW_TESTS_FAKE_CLOCK_H
#define LLMGW_TESTS_FAKE_CLOCK_H

#include <stdatomic.h>

#include "core/clock.h"

typedef struct fake_clock {
    llmgw__clock     vt;
    _Atomic int64_t  now_us;
    _Atomic int64_t  slept_us;      /* total slept */
} fake_clock;

void fake_clock_init(fake_clock *c, int64_t start_us);
void fake_clock_advance(fake_clock *c, int64_t us);

#endif
