/*
 * tests/support/fake_clock.c
 */
#include "fake_clock.h"

static int64_t fc_now(void *self)
{
    return atomic_load(&((fake_clock *)self)->now_us);
}

static int64_t fc_wall(void *self)
{
    return 1700000000LL * 1000000 + atomic_load(&((fake_clock *)self)->now_us);
}

static void fc_sleep(void *self, int64_t us)
{
    fake_clock *c = self;

    if (us > 0) {
        atomic_fetch_add(&c->now_us, us);
        atomic_fetch_add(&c->slept_us, us);
    }
}

void fake_clock_init(fake_clock *c, int64_t start_us)
{
    c->vt.now_us = fc_now;
    c->vt.wall_us = fc_wall;
    c->vt.sleep_us = fc_sleep;
    c->vt.self = c;
    atomic_store(&c->now_us, start_us);
    atomic_store(&c->slept_us, 0);
}

void fake_clock_advance(fake_clock *c, int64_t us)
{
    atomic_fetch_add(&c->now_us, us);
}
