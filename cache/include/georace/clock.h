/*
 * clock.h - the monotonic clock in nanoseconds, shared by every module that
 * times, paces or spins.
 *
 * CLOCK_MONOTONIC never jumps with the wall clock, so differences are safe.
 * gr_clock_spin_ns busy-waits instead of sleeping: it models CPU-bound work
 * (a linear scan) and keeps a racy window open without a context switch.
 */
#ifndef GEORACE_CLOCK_H
#define GEORACE_CLOCK_H

#include <stdint.h>
#include <sys/time.h>
#include <time.h>

static inline uint64_t
gr_clock_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Spin (not sleep) for ns nanoseconds. */
static inline void
gr_clock_spin_ns(uint64_t ns)
{
    uint64_t until = gr_clock_now_ns() + ns;
    while (gr_clock_now_ns() < until)
        ;
}

/* A duration in nanoseconds as a timeval (microseconds, truncated). */
static inline struct timeval
gr_clock_timeval(uint64_t ns)
{
    struct timeval tv = {(time_t)(ns / 1000000000u), (suseconds_t)(ns % 1000000000u / 1000u)};
    return tv;
}

#endif
