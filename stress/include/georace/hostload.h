/*
 * hostload.h - the machine's load around a trial: a race needs two threads
 * truly running at once, so the free cores are a variable of every
 * time-to-failure, recorded with each trial.
 *
 * Free cores over an interval are measured, not guessed from the load
 * average: the machine's busy CPU time (/proc/stat) minus the CPU time of
 * this process's reaped children (the trials themselves, getrusage) over
 * the wall time is what other work used; the CPU count minus that is what
 * was left for the subject. Work started by us but not yet reaped (the
 * background burners of burner.h, other campaigns running beside this one)
 * counts as other work, as it should. Work at a positive nice value is
 * not counted as taking a core (it yields it to a normal-priority race).
 */
#ifndef GEORACE_HOSTLOAD_H
#define GEORACE_HOSTLOAD_H

#include <stdbool.h>

/* The 1-minute load average (first field of /proc/loadavg), or -1 when it
 * cannot be read. */
double gr_hostload_avg1(void);
/* Online CPUs, or -1. */
int gr_hostload_cpus(void);

/* A point in time for gr_hostload_free_cores. */
typedef struct gr_hostload_snap {
    bool ok;           /* /proc/stat was read */
    double busy_s;     /* machine CPU time not idle or iowait, summed over CPUs */
    double children_s; /* user + system time of reaped children */
    double wall_s;     /* monotonic clock */
} gr_hostload_snap;

void gr_hostload_snapshot(gr_hostload_snap *s);
/* Cores left for our children between a and b: cpus minus the busy time
 * of everything else over the wall time, clamped to [0, cpus]; -1 when a
 * snapshot could not read /proc/stat or no time passed. */
double gr_hostload_free_cores(const gr_hostload_snap *a, const gr_hostload_snap *b, int cpus);
/* The same from raw figures (exposed for tests). */
double gr_hostload_free_of(double busy_s, double children_s, double wall_s, int cpus);

#endif
