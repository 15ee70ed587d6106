/*
 * gomeasure.h - measuring the real Go map's failure rate for the
 * Go-calibrated model (gomodel.h): each point runs trials of the Go peer
 * (gosubject.h, store "map") at one accelerated condition - request rate,
 * burst size, miss cost, GOMAXPROCS and background load (burner.h) - until
 * its time budget is used, and keeps every trial (time, failed or
 * censored) for the bootstrap. The free cores of each trial are measured
 * (hostload.h); the point carries their exposure-weighted mean.
 *
 * Burst sizes other than the profile's are run from a flood-burst profile
 * written for the point (every page view a new address, bursts of n
 * parallel requests released together): all of a burst misses and writes.
 */
#ifndef GEORACE_GOMEASURE_H
#define GEORACE_GOMEASURE_H

#include <jansson.h>

#include "georace/gomodel.h"

struct gr_addrpool;

typedef struct gr_gomeasure_cond {
    unsigned burst; /* requests per page view (mean and cap of a flood-burst profile) */
    double rate;    /* requests/s (paced) */
    uint64_t miss_cost_ns;
    unsigned gomaxprocs;
    unsigned background; /* burner processes */
    bool holdout;
    double budget_share; /* of the run's budget per point (rare failures get more) */
    bool scan;           /* the miss is the peer's CSV walk (--backend scan), not a spin */
    const char *profile; /* a traffic profile (its burst law); NULL: bursts of `burst` new
                          * addresses (a flood-burst profile) */
} gr_gomeasure_cond;

/* The built-in grid (burst 0 terminates): spinning misses of 0.1-45 ms,
 * misses that walk the CSV (scan), and the field's own profile through the
 * walk at accelerated rates. */
const gr_gomeasure_cond *gr_gomeasure_default_grid(void);

typedef struct gr_gomeasure_run {
    const char *peer;               /* the Go peer binary */
    const struct gr_addrpool *pool; /* the embedded database's pool, or NULL */
    double budget_s, trial_max_s;   /* per point; longest trial */
    uint64_t seed;
} gr_gomeasure_run;

/* Run one point. *trials (malloc'd, the caller frees) keeps every trial;
 * out->trials points at it. 0, or -1 with a message. */
int gr_gomeasure_point(const gr_gomeasure_run *run, const gr_gomeasure_cond *c, gr_gom_point *out,
                       gr_gom_trial **trials, char *err, size_t errcap);

/* A "gomeasure" record (with its trials); predicted hazard when m. */
json_t *gr_gomeasure_point_json(const gr_gom_point *p, const gr_gom_model *m);
/* Read one back; *trials malloc'd (NULL when it has none). 0, or -1 when o
 * is not a gomeasure record. */
int gr_gomeasure_point_from_json(json_t *o, gr_gom_point *p, gr_gom_trial **trials);
json_t *gr_gomeasure_model_json(const gr_gom_model *m);

#endif
