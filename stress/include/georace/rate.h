/*
 * rate.h - request rates smoothed over time, for people to read.
 *
 * A campaign samples its trials every 250 ms by default. At home-lab rates
 * (tens of requests/s) one interval holds a handful of requests, so the
 * rate of a single interval swings between 0 and twice the mean: a live
 * line that shows it reads "4 req/s" in a run that averages 24, and a chart
 * of it is a solid block. Two smoothings, both weighted by time so that
 * they do not depend on how often samples come:
 *
 *   gr_rate_ewma          the live progress line: an exponentially weighted
 *                         moving average with time constant tau. An
 *                         interval of dt seconds at rate x moves the average
 *                         by (x - avg) * (1 - exp(-dt / tau)): the last tau
 *                         seconds carry 63% of the weight.
 *   gr_rate_trailing_mean the report's chart: at each sample, the mean over
 *                         a fixed window of the samples that end in it, each
 *                         weighted by its interval (requests in the window
 *                         over the window's length).
 */
#ifndef GEORACE_RATE_H
#define GEORACE_RATE_H

#include <stdbool.h>
#include <stddef.h>

typedef struct gr_rate_ewma {
    double tau_s; /* time constant, > 0 */
    double value; /* the average so far */
    bool primed;  /* value holds an average (the first interval sets it) */
} gr_rate_ewma;

void gr_rate_ewma_init(gr_rate_ewma *e, double tau_s);
/* Feed the rate of an interval of dt_s seconds; returns the new average.
 * An interval of no length leaves the average as it is. */
double gr_rate_ewma_add(gr_rate_ewma *e, double rate, double dt_s);

/* out[i] = the time-weighted mean of rate[j] over the samples j <= i with
 * t[j] > t[i] - window_s, where sample j covers (t[j-1], t[j]] (the first
 * one (0, t[0]]). t is ascending. A sample of no length counts only when
 * nothing else is in its window. */
void gr_rate_trailing_mean(const double *t, const double *rate, size_t n, double window_s,
                           double *out);

#endif
