/*
 * hostload.c - see hostload.h: /proc/loadavg and sysconf, read once per
 * trial by the campaign runner (no threads involved).
 */
#include <stdio.h>
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
