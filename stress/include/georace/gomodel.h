/*
 * gomodel.h - the time-to-failure model calibrated on the real Go runtime:
 * the same hazard structure as ttfmodel.h, with every coefficient fitted on
 * the Go peer's own failure rates (no write window assumed: Go's window is
 * inside the fitted coefficients) and free parallelism as an input.
 *
 * A race needs two request goroutines truly running at once. With
 * GOMAXPROCS g and N CPUs of which f are free (not used by other work,
 * hostload.h), two runnable Go threads share the machine with B = N - f
 * busy cores' worth of other threads; under a fair scheduler both of them
 * run at a given moment with probability
 *
 *     q(f, g, N) = min(1, N (N-1) / ((2+B)(1+B)))   (g >= 2;  0 for g < 2)
 *
 * (all of N and none of B: 1 on an idle machine, 1/3 with one of two cores
 * busy). With W cache writes/s, A map accesses/s, P same-key writer pairs/s
 * (a burst of n missing requests has n(n-1) ordered pairs) and miss cost c:
 *
 *     h = q^alpha * (a * W * A + b * P / (1 + rho * c)) + k * W * (1 - q) [g >= 2]
 *
 *   a     background overlaps: independent writes and accesses
 *   b     a burst's writers collide; the slow lookup spreads their writes
 *         (rho: how fast the spread grows with the miss cost)
 *   k     a writer's thread descheduled by the OS inside its write window
 *         while another Go thread runs on: grows as free cores shrink
 *   alpha how steeply the concurrency probability acts (1: linearly)
 *
 * A miss that walks the CSV (Zoraxy's own slow resolve: it allocates, so
 * the garbage collector stops and restarts the burst's goroutines) is not a
 * spin of the same length: points measured with the walk get their own pair
 * coefficient b_scan, and a prediction for the walk uses it.
 *
 * a, b, k, b_scan >= 0 by Poisson maximum likelihood (EM, as ttfmodel.c);
 * rho and alpha on grids. With GOMAXPROCS 1 the hazard is 0: Go never preempts a
 * goroutine inside the runtime's map code, and the one P stays with the
 * thread the OS deschedules.
 *
 * Confidence: a point keeps its trials (time, failed or censored); the
 * bootstrap resamples each point's trials with replacement, refits, and
 * takes percentiles of whatever the caller predicts from each refit.
 */
#ifndef GEORACE_GOMODEL_H
#define GEORACE_GOMODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "georace/ttfmodel.h"

typedef struct gr_gom_trial {
    double t_s;  /* running time from the workload's start to failure or end */
    bool failed; /* false: censored at t_s */
} gr_gom_trial;

typedef struct gr_gom_point {
    /* conditions */
    char profile[64];
    double burst;          /* mean requests per burst (the profile's) */
    double rate;           /* asked requests/s */
    uint64_t miss_cost_ns; /* --miss-cost */
    unsigned gomaxprocs;
    unsigned background; /* busy burner processes */
    int cpus;
    double free_cores; /* measured, exposure-weighted over the trials; < 0 unknown */
    double loadavg1;   /* mean at the trials' starts */
    /* covariates, observed */
    double req_s, write_s, access_s, pair_s;
    /* outcome */
    uint64_t failures;
    double exposure_s;
    bool holdout;
    bool scan; /* the miss was Zoraxy's CSV walk (miss_cost_ns: its CPU per miss), not a spin */
    const gr_gom_trial *trials; /* for the bootstrap; may be NULL (then fixed) */
    size_t n_trials;
} gr_gom_point;

typedef struct gr_gom_model {
    double a, b, rho, k, alpha;
    double b_scan;    /* the pair coefficient when the miss is the CSV walk itself */
    bool scan_fitted; /* some fitting point walked the CSV and failed (else b_scan is b) */
    double rms_log10; /* log10 error over fitting points with failures */
    size_t n_fit;
} gr_gom_model;

/* q(f, g, N) above; f < 0 (unknown) is taken as N (idle). */
double gr_gom_concurrency(double free_cores, unsigned gomaxprocs, int cpus);
double gr_gom_hazard(const gr_gom_model *m, double write_s, double access_s, double pair_s,
                     double miss_cost_s, double q, unsigned gomaxprocs, bool scan);
double gr_gom_point_hazard(const gr_gom_model *m, const gr_gom_point *p);
/* failures / exposure. */
double gr_gom_measured(const gr_gom_point *p);
/* Fit on the points not held out; 0, or -1 with fewer than 2 usable points
 * or a point with failures whose every covariate is 0 (no fit explains it). */
int gr_gom_fit(const gr_gom_point *pts, size_t n, gr_gom_model *m);
/* Mean |log10(predicted / measured)| over held-out points with failures. */
double gr_gom_heldout_error(const gr_gom_model *m, const gr_gom_point *pts, size_t n, int *n_out);
/* Leave-one-out: pred[i] is the hazard that the fit on every other point
 * (held out or not) predicts for point i; NAN when it has no exposure or
 * the rest cannot be fitted. 0, or -1 out of memory. */
int gr_gom_loo(const gr_gom_point *pts, size_t n, double *pred);
/* Mean |log10(pred[i] / measured)| over the points with failures. */
double gr_gom_loo_error(const gr_gom_point *pts, size_t n, const double *pred, int *n_out);
/* The same mean that a model predicting pred[i] exactly would show from
 * counting noise alone: E|log10(F / mu_i)| for F ~ Poisson(mu_i) given
 * F >= 1, mu_i = pred[i] * exposure, over the same points. */
double gr_gom_noise_floor(const gr_gom_point *pts, size_t n, const double *pred);

/* E[n (n-1)] for a burst of n = min(1 + Poisson(mean - 1), max) requests,
 * the traffic generator's draw (traffic.c). */
double gr_gom_burst_pairs(double mean, unsigned max);
/* E[n] and E[n (n-1)] of that draw. */
void gr_gom_burst_moments(double mean, unsigned max, double *en, double *enn1);

/* A field condition to predict: traffic (ttfmodel.h; arrival spread and
 * burst size used as there), the Go runtime and the machine. */
typedef struct gr_gom_field {
    gr_ttf_traffic traffic;
    unsigned burst_max; /* the profile's cap on a burst */
    unsigned gomaxprocs;
    int cpus;
    double free_cores;
    bool scan; /* the miss is the CSV walk (Zoraxy's slow resolve) */
} gr_gom_field;

typedef struct gr_gom_prediction {
    double write_s, access_s, pair_s, q;
    double hazard, median_s; /* median inf when the hazard is 0 */
} gr_gom_prediction;

void gr_gom_predict(const gr_gom_model *m, const gr_gom_field *f, gr_gom_prediction *out);

/* Bootstrap percentile interval of each of n_out predicted medians: fn
 * turns a refitted model into n_out medians (seconds). resamples >= 1,
 * 0 < level < 1, deterministic for a seed. lo/hi get the interval (INFINITY
 * when a quantile never fails). 0, or -1 (out of memory, fit impossible). */
typedef void (*gr_gom_predict_fn)(const gr_gom_model *m, double *medians, void *ctx);
int gr_gom_bootstrap(const gr_gom_point *pts, size_t n, unsigned resamples, double level,
                     uint64_t seed, gr_gom_predict_fn fn, void *ctx, size_t n_out, double *lo,
                     double *hi);

#endif
