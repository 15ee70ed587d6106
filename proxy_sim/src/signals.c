/*
 * signals.c - block the shutdown signals in every thread and wait for them
 * synchronously in one (see signals.h). SIGPIPE stays blocked for good: a
 * peer that closes early must cost a write error, not the process.
 */
#include <signal.h>
#include <stddef.h>
#include <pthread.h>

#include "georace/signals.h"

static void
gr_signals_set(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGTERM);
}

void
gr_signals_block(void)
{
    sigset_t set;
    gr_signals_set(&set);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
}

int
gr_signals_wait(void)
{
    sigset_t set;
    int sig = 0;
    gr_signals_set(&set);
    while (sigwait(&set, &sig) != 0)
        ;
    return sig;
}
