/*
 * burner.h - background load as a controlled variable: N child processes
 * that each keep one core busy for as long as a measurement runs, so that
 * time-to-failure can be measured at a known number of busy cores (a race
 * needs two threads truly running at once; a core held by other work takes
 * that away part of the time).
 *
 * The burners are processes, not threads: they share nothing with the
 * measuring process, die with it (PR_SET_PDEATHSIG) and are stopped by
 * their pids (SIGKILL, then reaped) in gr_burner_stop.
 */
#ifndef GEORACE_BURNER_H
#define GEORACE_BURNER_H

#include <sys/types.h>

#define GR_BURNER_MAX 64

typedef struct gr_burner {
    pid_t pid[GR_BURNER_MAX];
    unsigned n;
} gr_burner;

/* Start n burners (n <= GR_BURNER_MAX); 0, or -1 when one could not be
 * forked (those started are stopped again). */
int gr_burner_start(gr_burner *b, unsigned n);
/* Stop and reap every burner of b (none left running); b->n becomes 0. */
void gr_burner_stop(gr_burner *b);

#endif
