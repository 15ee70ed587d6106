/*
 * test_wait.h - how the cache tests wait for others: for another thread to
 * reach a point (yielding until a flag is set, with a bound long enough for
 * a late thread on a loaded machine under a sanitizer; nothing is asserted
 * about how long it took, the bound only turns a hang into a failure), and
 * for a child process they started (its stderr and its exit status).
 */
#ifndef GEORACE_TEST_WAIT_H
#define GEORACE_TEST_WAIT_H

#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

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

/* After fork: read the child's stderr (the read end `fd`; the caller closed
 * the write end) into err (NUL-terminated, at most cap - 1 bytes), reap it;
 * its exit status, or 128 + the signal that ended it. */
static inline int
wait_for_child(pid_t pid, int fd, char *err, size_t cap)
{
    size_t n = 0;
    ssize_t r;
    while (n + 1 < cap && (r = read(fd, err + n, cap - 1 - n)) > 0)
        n += (size_t)r;
    err[n] = '\0';
    close(fd);
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

#endif
