/*
 * ttfmodel.h - why the crash took 20-30 minutes: a time-to-failure model of
 * the Go map's hashWriting detector.
 *
 * A write holds the map's "writing" flag for a window of w seconds. The
 * detector fires when another goroutine touches the map while the flag is
 * up. Two sources of such overlaps:
 *
 *   background  writes at W/s and other-thread accesses at A/s, independent:
 *               P(overlap per write) ~ A*w, so  h_bg = k_bg * W * A * w
 *   preemption  a writer descheduled inside its window (more threads than
 *               cores) holds the flag for a whole time slice, long enough
 *               for any other thread to touch the map: P ~ k_p * w per
 *               write, so h_pre = k_p * W * w (k_p: interruptions per
 *               second of running)
 *   bursts      a page view sends b requests for one new address at once;
 *               if the backend lookup (miss cost c) takes longer than the
 *               spread of their arrivals, m of them miss and all m write the
 *               same key within a spread d = d0 + sigma*c (the slow scans
 *               end together, stretched by scheduling when m > cores):
 *               P(overlap per burst) ~ m(m-1)/2 * 2w/d,  so
 *               h_burst = P * w / d  with P = m(m-1) per missing burst, /s
 *
 *   hazard h = w * (k_bg * W * A + k_p * W + P / (d0 + sigma * c))   per s
 *   median time-to-failure = ln 2 / h (exponential waiting time)
 *
 * k_bg, k_p, d0 and sigma are fitted by maximum likelihood (Poisson: F failures
 * in E seconds of exposure) over measured points; the fit quality is shown
 * as the log10 error of predicted versus measured hazard.
 *
 * Predicting Zoraxy: a traffic profile at a request rate gives the rates of
 * writes, other accesses and burst pairs (gr_ttf_traffic_rates); the fitted
 * model turns them into a hazard with Go's write window instead of the C
 * gomap's, and with the burst spread starting at the network arrival spread
 * of a page view instead of the simulator's d0: in Zoraxy every request is
 * a goroutine of its own, so nothing serializes a burst but the network.
 */
#ifndef GEORACE_TTFMODEL_H
#define GEORACE_TTFMODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct gr_profile; /* traffic.h */

typedef struct gr_ttf_point {
    /* conditions */
    char profile[64];
    unsigned threads;
    double rate;
    uint64_t window_ns;    /* --window-ns */
    uint64_t miss_cost_ns; /* --miss-cost */
    /* covariates, observed */
    double req_s;    /* requests/s */
    double write_s;  /* cache writes (misses)/s */
    double access_s; /* other-thread map accesses/s */
    double pair_s;   /* same-key concurrent writer pairs/s, m(m-1) per burst */
    double window_s; /* write window: window_ns + intrinsic put time */
    /* outcome */
    uint64_t failures;
    double exposure_s;
    bool holdout;
} gr_ttf_point;

typedef struct gr_ttf_model {
    double k_bg;      /* background coefficient (1 = independent arrivals) */
    double k_p;       /* window interruptions per second of running */
    double d0_s;      /* burst write spread at zero miss cost */
    double sigma;     /* spread added per second of miss cost */
    double w0_ns;     /* intrinsic write window of the C gomap (measured) */
    double rms_log10; /* fit error over points with failures */
    size_t n_fit;
} gr_ttf_model;

/* Hazard (failures/s) for given covariates and miss cost. */
double gr_ttf_hazard(const gr_ttf_model *m, double write_s, double access_s, double pair_s,
                     double window_s, double miss_cost_s);
double gr_ttf_point_hazard(const gr_ttf_model *m, const gr_ttf_point *p);
/* Measured hazard: failures / exposure (0 when no failure). */
double gr_ttf_measured(const gr_ttf_point *p);
/* Fit on the points not marked holdout; 0, or -1 with fewer than 2 usable
 * points or a point with failures whose every covariate is 0 (no fit explains it). */
int gr_ttf_fit(const gr_ttf_point *pts, size_t n, gr_ttf_model *m);
/* Median time-to-failure in seconds for a hazard (inf for 0). */
double gr_ttf_median(double hazard);
/* Mean |log10(predicted / measured)| over the held-out points where both
 * are positive; their number in *n_out. 0 when there are none. */
double gr_ttf_heldout_error(const gr_ttf_model *m, const gr_ttf_point *pts, size_t n, int *n_out);

/* A traffic mix described by a profile's numbers, at req_s requests/s. */
typedef struct gr_ttf_traffic {
    double req_s;
    double requests_per_event; /* mean requests per event */
    double pageview_share;     /* events that are page views (bursts) */
    double new_share;          /* page views from never-seen visitors */
    double scanner_share;      /* one-off single-request events */
    double reserved_share;     /* events that never touch the cache */
    double burst;              /* requests per page view */
    uint64_t population;       /* returning visitors (Zipf) */
    double zipf_s;
    double clear_s;     /* cache clear interval (0: never) */
    double miss_cost_s; /* backend lookup time of a miss */
    double arrival_s;   /* spread of a burst's arrivals at the proxy */
} gr_ttf_traffic;

/* Writes/s, other accesses/s and burst pairs/s of that mix: returning
 * visitors miss when unseen since the last clear (cache age uniform over the
 * clear interval); a burst's m writers = 1 + (b-1)*min(1, c/arrival). */
void gr_ttf_traffic_rates(const gr_ttf_traffic *t, double *write_s, double *access_s,
                          double *pair_s);
/* The mix of a traffic profile at req_s requests/s: its shares, burst,
 * population and Zipf exponent. The cache and network fields (clear_s,
 * miss_cost_s, arrival_s) are the caller's: zero here. */
void gr_ttf_traffic_of_profile(const struct gr_profile *p, double req_s, gr_ttf_traffic *t);

typedef struct gr_ttf_prediction {
    double write_s, access_s, pair_s; /* the mix's rates (gr_ttf_traffic_rates) */
    double hazard;                    /* failures/s */
    double median_s;                  /* median time-to-failure, inf when hazard is 0 */
} gr_ttf_prediction;

/* Zoraxy's hazard under traffic t for a fitted model m and Go's write
 * window window_s: m with d0 = t->arrival_s (see the top of this file). */
void gr_ttf_predict(const gr_ttf_model *m, const gr_ttf_traffic *t, double window_s,
                    gr_ttf_prediction *out);

#endif
