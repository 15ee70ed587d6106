/*
 * measure.h - measuring the failure rate of gomap for the time-to-failure
 * model: each point runs trials (child processes, detector on) of one
 * condition until its time budget is used, and turns the counters into the
 * model's covariates (ttfmodel.h).
 */
#ifndef GEORACE_MEASURE_H
#define GEORACE_MEASURE_H

#include <jansson.h>

#include "georace/trial.h"
#include "georace/ttfmodel.h"

typedef struct gr_measure_cond {
    const char *profile;
    unsigned threads;
    uint64_t window_ns;
    uint64_t miss_cost_ns;
    double rate; /* 0: flat out */
    bool holdout;
} gr_measure_cond;

/* The built-in measurement grid (NULL-profile terminated). */
const gr_measure_cond *gr_measure_default_grid(void);

/* Intrinsic write time of the C gomap: ns per put, single thread. */
double gr_measure_gomap_put_ns(void);

/* Ordered pairs of writers per second in the same burst, from a profile's
 * burst law, its events/s and the writes/s seen (file comment of measure.c). */
double gr_measure_pairs_per_s(const struct gr_profile *prof, double events_s, double write_s);

/* Run one point; 0, or -1 with a message (bad profile, no trial could run). */
int gr_measure_point(const gr_measure_cond *c, gr_trial_workload_fn workload, double budget_s,
                     double trial_max_s, uint64_t seed, double w0_ns, gr_ttf_point *out, char *err,
                     size_t errcap);

json_t *gr_measure_point_json(const gr_ttf_point *p, const gr_ttf_model *m);
/* Read a "measure" record back; 0 or -1. */
int gr_measure_point_from_json(json_t *o, gr_ttf_point *p);
json_t *gr_measure_model_json(const gr_ttf_model *m);
/* A "prediction" record: Zoraxy's hazard and median time-to-failure under
 * a profile at req_s, with this miss cost and Go write window (median -1:
 * never). */
json_t *gr_measure_prediction_json(const char *profile, double req_s, double miss_cost_s,
                                   double go_window_ns, const gr_ttf_prediction *p);

#endif
