/*
 * bootstrap.h - a confidence interval for the ratio of two Kaplan-Meier
 * medians (A over B) by the percentile bootstrap: each resample draws the
 * trials of A and of B with replacement, recomputes both medians and their
 * ratio; the interval is the (1-level)/2 and (1+level)/2 quantiles of the
 * ratios. A resample whose A median is not reached (most of its trials
 * survived) has ratio +inf, one whose B median is not reached ratio 0;
 * when neither is reached the resample says nothing and is counted apart.
 */
#ifndef GEORACE_BOOTSTRAP_H
#define GEORACE_BOOTSTRAP_H

#include <stddef.h>
#include <stdint.h>

#include "georace/survival.h"

typedef struct gr_boot_ratio {
    double ratio;          /* on the data themselves; -1 when a median is not reached */
    double lo, hi;         /* the interval; hi may be INFINITY; -1 when no resample counted */
    unsigned resamples;    /* drawn */
    unsigned undetermined; /* resamples where neither median was reached */
} gr_boot_ratio;

/* Medians of KM estimates of a[0..na) and b[0..nb) (arrays not changed),
 * resamples >= 1, 0 < level < 1, deterministic for a seed. 0, or -1 when
 * a group is empty or memory ran out. */
int gr_boot_median_ratio(const gr_km_obs *a, size_t na, const gr_km_obs *b, size_t nb,
                         unsigned resamples, double level, uint64_t seed, gr_boot_ratio *out);
/* The KM median of obs (-1 when not reached) and its percentile-bootstrap
 * interval at level (trials resampled; a resample whose median is not
 * reached counts as +inf, so hi may be INFINITY). 0, or -1 when n or
 * resamples is 0 or memory ran out. Deterministic for a seed. */
int gr_boot_km_median_interval(const gr_km_obs *obs, size_t n, unsigned resamples, double level,
                               uint64_t seed, double *median, double *lo, double *hi);
/* The KM median of obs (copied, not changed); -1 when not reached or n == 0. */
double gr_boot_km_median(const gr_km_obs *obs, size_t n);

#endif
