/*
 * campaign.h - a stress job: many trials of one variant and profile, each in
 * its own child process, recorded as JSON lines.
 *
 * Seeds and shards: trial k of a campaign gets seed `seed_first + k`; shard
 * I of N runs exactly the trials with k mod N == I, so N shards on N machines
 * cover the same trial set as one unsharded run, without overlap.
 * `--trials N` runs trials k = 0..N-1; `--duration D` keeps starting trials
 * (each up to trial_duration, default: the time left) until D has passed.
 */
#ifndef GEORACE_CAMPAIGN_H
#define GEORACE_CAMPAIGN_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "georace/trial.h"

/* "A-B" with A <= B; 0 or -1. */
int gr_campaign_parse_seed_range(const char *s, uint64_t *first, uint64_t *last);
/* "I/N" with I < N, N >= 1; 0 or -1. */
int gr_campaign_parse_shard(const char *s, unsigned *index, unsigned *count);
static inline bool
gr_campaign_shard_owns(uint64_t k, unsigned index, unsigned count)
{
    return count <= 1 || k % count == index;
}
static inline uint64_t
gr_campaign_seed(uint64_t seed_first, uint64_t k)
{
    return seed_first + k;
}
/* Trials of [0, total) that shard index/count runs. */
uint64_t gr_campaign_shard_size(uint64_t total, unsigned index, unsigned count);

typedef struct gr_campaign_summary {
    uint64_t trials, failures, mismatches, errors, requests, hits;
    uint64_t by_outcome[6];
    double elapsed_s, exposure_s;              /* wall time; sum of trial durations */
    double ttf_median_s, ttf_max_s, ttf_min_s; /* over failed trials; -1 if none */
    double first_report_min_s;                 /* exec trials: earliest sanitizer report; -1 */
    size_t rss_max_kb, cache_len_max;
    uint64_t hit_requests; /* requests of the trials whose hit count is known */
    bool rss_known;        /* some trial's RSS was known (else rss_max_kb means nothing) */
    char messages[4][256]; /* distinct failure messages, first seen first */
    int n_messages;
} gr_campaign_summary;

/* Time constant of the live request rate (rate.h): a moving average over
 * the last few seconds, not the last sample interval. */
#define GR_CAMPAIGN_RATE_TAU_S 5.0

/* Live state passed to the display after every sample and trial. */
typedef struct gr_campaign_status {
    double elapsed_s, eta_s;                           /* eta -1: unknown */
    uint64_t trial_index, trials_done, trials_planned; /* planned 0: duration mode */
    double req_per_s;                                  /* moving average, GR_CAMPAIGN_RATE_TAU_S */
    double hit_ratio;
    size_t cache_len, rss_kb;
    uint64_t failures, mismatches;
} gr_campaign_status;

typedef void (*gr_campaign_status_fn)(const gr_campaign_status *st, bool trial_ended, void *ctx);
typedef void (*gr_campaign_trial_fn)(uint64_t k, uint64_t seed, const gr_trial_result *r,
                                     void *ctx);

typedef struct gr_campaign {
    const char *variant, *profile, *via;
    const char *subject; /* "go" when the variant is a Go subject (gosubject.h); else NULL */
    gr_sim_config sim;   /* template: seed and duration are set per trial */
    gr_trial_workload_fn workload;
    uint64_t seed_first;
    uint64_t seed_last; /* with has_seed_last: at most last-first+1 trials */
    bool has_seed_last;
    uint64_t trials;            /* 0: duration mode */
    uint64_t duration_ns;       /* campaign length in duration mode */
    uint64_t trial_duration_ns; /* 0: remaining time (duration mode) */
    unsigned shard_index, shard_count;
    uint64_t sample_interval_ns; /* progress records (0: 250 ms) */
    bool write_samples;
    unsigned background_load; /* busy burner processes the caller runs beside it (burner.h) */
    unsigned gomaxprocs;      /* Go subject: GOMAXPROCS asked for (0: the runtime's default) */
    FILE *out;                /* JSONL or NULL */
    gr_campaign_status_fn on_status;
    gr_campaign_trial_fn on_trial;
    void *ctx;
} gr_campaign;

void gr_campaign_init(gr_campaign *c);
/* hits / requests over the trials whose hits are known; -1 when none is
 * (print "n/a": e.g. every proxy died before its counters could be read). */
double gr_campaign_hit_ratio(const gr_campaign_summary *s);
/* Runs the campaign; 0, or -1 if trials could not be started at all. */
int gr_campaign_run(const gr_campaign *c, gr_campaign_summary *sum);
/* The "job" header line of a campaign. */
json_t *gr_campaign_job_json(const gr_campaign *c);
/* The "summary" line of a finished campaign (also what 'stress --json'
 * prints): counts per outcome, time-to-failure, messages, hit ratio and
 * RSS (null when no trial knew them). */
json_t *gr_campaign_summary_json(const gr_campaign *c, const gr_campaign_summary *s);

/* Displays: a \r-refreshed line on a terminal, a plain line every
 * `period_s` otherwise. ctx is a gr_campaign_display. */
typedef struct gr_campaign_display {
    FILE *f;
    bool tty;
    double period_s;
    double last_print_s;
    int last_len;
} gr_campaign_display;
void gr_campaign_display_status(const gr_campaign_status *st, bool trial_ended, void *ctx);
void gr_campaign_display_end(gr_campaign_display *d);

#endif
