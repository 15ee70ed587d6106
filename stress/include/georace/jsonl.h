/*
 * jsonl.h - the stress results file: one JSON object per line (jansson).
 *
 * Every line has a "type":
 *   job      one per campaign part: variant, profile, knobs, seeds, shard
 *   trial    one per trial: seed, outcome, exit status/signal, fatal message,
 *            time-to-failure, requests, hits, misses, mismatches, RSS, ...
 *   sample   periodic progress inside a trial: t_s, requests, req/s, cache
 *            length, RSS (for the throughput and RSS charts)
 *   measure  one model measurement point (see ttfmodel.h)
 *   model    a fitted time-to-failure model and its predictions
 * Lines that do not parse are reported with their line number; a torn last
 * line (see GR_JSONL_TORN) is skipped and reported.
 */
#ifndef GEORACE_JSONL_H
#define GEORACE_JSONL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "georace/trial.h"

/* Write one object as a line and flush; 0 or -1. */
int gr_jsonl_write(FILE *f, json_t *obj);

/* Called per parsed line; return non-zero to stop. */
typedef int (*gr_jsonl_line_fn)(json_t *obj, void *ctx);
/* The file's last line was cut short (no newline, not JSON), as a writer
 * killed mid-line leaves it: skipped, every line before it was read, err
 * names it. Not an error for readers that merge or report. */
#define GR_JSONL_TORN 1
/* 0 ok; GR_JSONL_TORN; -1 file unreadable; -2 a malformed line (message in
 * err). */
int gr_jsonl_read(const char *path, gr_jsonl_line_fn fn, void *ctx, char *err, size_t errcap);
/* Read every object of a file into an array (appended to arr). Same codes. */
int gr_jsonl_load(const char *path, json_t *arr, char *err, size_t errcap);

/* Describes the trial being recorded. */
typedef struct gr_jsonl_trial_id {
    const char *variant;
    const char *profile;
    const char *via;
    uint64_t seed;
    uint64_t index;
    const char *subject; /* "go" for the Go peer's stores; NULL: not written */
} gr_jsonl_trial_id;

json_t *gr_jsonl_trial(const gr_jsonl_trial_id *id, const gr_trial_result *r);
json_t *gr_jsonl_sample(const gr_jsonl_trial_id *id, const gr_sim_progress *p, double req_per_s);

/* Field helpers tolerant of missing keys. */
const char *gr_jsonl_str(json_t *o, const char *key, const char *dflt);
double gr_jsonl_num(json_t *o, const char *key, double dflt);
bool gr_jsonl_is(json_t *o, const char *type);

#endif
