/*
 * hostload.h - the machine's load when a trial starts: a race needs two
 * threads truly running at once, so the free cores are a variable of every
 * time-to-failure, recorded with each trial.
 */
#ifndef GEORACE_HOSTLOAD_H
#define GEORACE_HOSTLOAD_H

/* The 1-minute load average (first field of /proc/loadavg), or -1 when it
 * cannot be read. */
double gr_hostload_avg1(void);
/* Online CPUs, or -1. */
int gr_hostload_cpus(void);

#endif
