/*
 * hostload.c - see hostload.h: /proc/loadavg, /proc/stat, getrusage and
 * sysconf, read by the single-threaded campaign and measurement loops (no
 * threads involved).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "georace/hostload.h"

double
gr_hostload_avg1(void)
{
    FILE *f = fopen("/proc/loadavg", "r");
    if (!f)
        return -1;
    double v;
    int n = fscanf(f, "%lf", &v);
    fclose(f);
    return n == 1 && v >= 0 ? v : -1;
}

int
gr_hostload_cpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 && n < 1 << 20 ? (int)n : -1;
}

/* Whether the scheduler groups tasks by session (autogroup): then each
 * session gets an equal share of the CPU whatever its tasks' nice values,
 * and niced work in another session takes a core like any other. */
static bool
gr_hostload_autogroup(void)
{
    FILE *f = fopen("/proc/sys/kernel/sched_autogroup_enabled", "r");
    if (!f)
        return false;
    int on = 0;
    bool read = fscanf(f, "%d", &on) == 1;
    fclose(f);
    return read && on != 0;
}

/* Busy CPU seconds of the whole machine that compete with normal-priority
 * work: the "cpu" line of /proc/stat without idle and iowait (guest time
 * is already inside user), and without nice time - work at a positive nice
 * value gets a few percent of a core against a runnable normal-priority
 * thread, so it leaves the core free for a race. That holds only without
 * autogroup: with it, nice acts within a session only, and nice time is
 * counted as busy. When this process itself runs niced, its children's
 * time is in the nice column and is counted (and subtracted again as
 * ours). -1 when it cannot be read. */
static double
gr_hostload_busy(void)
{
    FILE *f = fopen("/proc/stat", "r");
    if (!f)
        return -1;
    unsigned long long v[8] = {0};
    int n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
                   &v[4], &v[5], &v[6], &v[7]);
    fclose(f);
    long hz = sysconf(_SC_CLK_TCK);
    if (n < 5 || hz <= 0)
        return -1;
    unsigned long long busy = v[0] + v[2] + v[5] + v[6] + v[7]; /* not nice, idle, iowait */
    errno = 0;
    int prio = getpriority(PRIO_PROCESS, 0);
    if ((errno == 0 && prio > 0) || gr_hostload_autogroup())
        busy += v[1];
    return (double)busy / (double)hz;
}

void
gr_hostload_snapshot(gr_hostload_snap *s)
{
    struct rusage ru;
    struct timespec ts;
    double busy = gr_hostload_busy();
    s->ok = busy >= 0;
    s->busy_s = busy;
    s->children_s = 0;
    if (getrusage(RUSAGE_CHILDREN, &ru) == 0)
        s->children_s = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
                        (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    s->wall_s = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double
gr_hostload_free_of(double busy_s, double children_s, double wall_s, int cpus)
{
    if (cpus <= 0 || wall_s <= 0 || busy_s < 0)
        return -1;
    double other = busy_s - children_s;
    if (other < 0)
        other = 0; /* tick granularity: our children's time is exact, /proc/stat's is not */
    double free_cores = (double)cpus - other / wall_s;
    return free_cores < 0 ? 0 : free_cores > cpus ? (double)cpus : free_cores;
}

double
gr_hostload_free_cores(const gr_hostload_snap *a, const gr_hostload_snap *b, int cpus)
{
    if (!a->ok || !b->ok)
        return -1;
    return gr_hostload_free_of(b->busy_s - a->busy_s, b->children_s - a->children_s,
                               b->wall_s - a->wall_s, cpus);
}
