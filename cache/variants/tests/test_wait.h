/*
 * test_wait.h - how the cache tests wait for another thread to reach a
 * point: yielding until a flag is set, with a bound long enough for a late
 * thread on a loaded machine under a sanitizer. Nothing is asserted about
 * how long it really took; the bound only turns a hang into a failure.
 */
#ifndef GEORACE_TEST_WAIT_H
#define GEORACE_TEST_WAIT_H

#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "georace/clock.h"

#define WAIT_BOUND_NS (60ull * 1000000000ull)

/* Whether *flag was set within WAIT_BOUND_NS. The acquire load pairs with
 * the setter's release. */
static inline bool
wait_for_flag(atomic_bool *flag)
{
    uint64_t until = gr_clock_now_ns() + WAIT_BOUND_NS;
    while (!atomic_load_explicit(flag, memory_order_acquire)) {
        if (gr_clock_now_ns() > until)
            return false;
        sched_yield();
    }
    return true;
}

#endif
