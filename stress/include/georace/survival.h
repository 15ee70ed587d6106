/*
 * survival.h - Kaplan-Meier estimate of the survival function S(t) from
 * trial times, where a trial that ran to its end without failing is a
 * censored observation ("survived at least t").
 */
#ifndef GEORACE_SURVIVAL_H
#define GEORACE_SURVIVAL_H

#include <stdbool.h>
#include <stddef.h>

typedef struct gr_km_obs {
    double t;   /* time to failure, or time observed without failure */
    bool event; /* true: failed at t; false: censored at t */
} gr_km_obs;

typedef struct gr_km_point {
    double t; /* S drops to s at t */
    double s;
    size_t at_risk, events, censored;
} gr_km_point;

/* Sorts obs in place; writes at most n + 1 points (the first is t=0, s=1).
 * Returns the number of points. */
size_t gr_km_estimate(gr_km_obs *obs, size_t n, gr_km_point *out);
/* Smallest t with S(t) <= 0.5, or -1 when S never falls that far. */
double gr_km_median(const gr_km_point *pts, size_t n);

#endif
