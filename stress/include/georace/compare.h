/*
 * compare.h - two stress results side by side ('georace stress compare'):
 * typically the C emulation (gomap) against the real Go runtime (go-map)
 * under the same profile, rate, miss cost and clear interval, or a
 * ThreadSanitizer build against `go -race` (time to first report).
 *
 * Each input file holds the trials of one variant. Per side: the settings
 * of its job line, trials and failures, the Kaplan-Meier median time to
 * failure (survivors censored), the split between failure messages (Go's
 * two fatal errors first), the machine load and threads/GOMAXPROCS the
 * trials recorded. Between the sides: the ratio of the medians (A/B) with
 * a percentile-bootstrap confidence interval (bootstrap.h). Written to a
 * directory as compare.json, the survival data, compare.gp and the chart
 * (both curves on one plot) as SVG and PNG, drawn by gnuplot.
 */
#ifndef GEORACE_COMPARE_H
#define GEORACE_COMPARE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "georace/bootstrap.h"
#include "georace/survival.h"

#define GR_COMPARE_MESSAGES 8

typedef struct gr_compare_message {
    char text[160];
    size_t n[2]; /* trials of side A and B that ended with it */
} gr_compare_message;

typedef struct gr_compare_side {
    char path[512];
    char variant[64], via[32], profile[64];
    char build[16]; /* "tsan", "asan", "default" from the job line; "" unknown */
    bool have_job;  /* the settings below come from a job line */
    double rate, miss_cost_ns, clear_s;
    int threads;                        /* the job's worker threads (C); -1 unknown */
    int gomaxprocs_min, gomaxprocs_max; /* Go trials; -1 unknown */
    size_t trials, failures, survived;
    size_t startup_unmeasured; /* trials whose child start-up was estimated, not measured */
    size_t load_n;
    double load_mean, load_min, load_max; /* 1-minute load at trial start */
    double median_s;                      /* KM; -1 not reached */
    gr_km_obs *obs;                       /* trials, failures as events */
} gr_compare_side;

typedef struct gr_compare {
    gr_compare_side side[2];
    gr_compare_message msg[GR_COMPARE_MESSAGES];
    size_t n_msg;
    size_t other[2]; /* failures whose message did not fit the table */
    gr_boot_ratio ratio;
    double level;
    bool settings_match;
    char settings_diff[256]; /* what differs, when !settings_match */
} gr_compare;

/* Read one side from a JSON lines file. 0; -1 unreadable; -2 malformed
 * line; -3 no trial records or trials of several variants (err says). */
int gr_compare_load(gr_compare *c, int side, const char *path, char *err, size_t errcap);
/* Medians, messages, settings check and the bootstrap; 0 or -1 (memory). */
int gr_compare_run(gr_compare *c, unsigned resamples, double level, uint64_t seed);
void gr_compare_free(gr_compare *c);

void gr_compare_print(FILE *f, const gr_compare *c);
json_t *gr_compare_json(const gr_compare *c);
/* Writes dir/compare.json, dir/data/survival-{a,b}.dat, dir/compare.gp and runs gnuplot
 * (NULL: "gnuplot") for compare.svg and compare.png. 0 ok; 1 gnuplot not
 * found (the rest written); -1 gnuplot failed; -3 cannot write dir. */
int gr_compare_write(const gr_compare *c, const char *dir, const char *gnuplot, char *err,
                     size_t errcap);

#endif
