/*
 * bench_lookup.h - the engine of 'georace bench lookup': nanoseconds per
 * geo lookup for each backend and for a cache hit, over one fixed, seeded
 * sample of public addresses that the database knows.
 *
 * Rows, in order: mmdb (libmaxminddb), scan-bsearch (binary search over
 * parsed ranges), scan (Zoraxy's linear CSV walk, on a prefix of the sample
 * only) and a cache hit through the resolver with the mutex variant. The
 * answers of scan-bsearch while drawing the sample are the reference every
 * row is checked against ("agree").
 */
#ifndef GEORACE_BENCH_LOOKUP_H
#define GEORACE_BENCH_LOOKUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "georace/geodb.h"

#define GR_BENCH_LOOKUP_SEED 0x5eed1234u
#define GR_BENCH_LOOKUP_LINEAR_DIVISOR 1000 /* the linear scan runs samples/1000 ... */
#define GR_BENCH_LOOKUP_LINEAR_MAX 100      /* ... and at most this many lookups */

enum gr_bench_lookup_row_id {
    GR_BENCH_LOOKUP_MMDB = 0,
    GR_BENCH_LOOKUP_BSEARCH,
    GR_BENCH_LOOKUP_LINEAR,
    GR_BENCH_LOOKUP_CACHE_HIT,
    GR_BENCH_LOOKUP_ROWS
};

enum gr_bench_lookup_error {
    GR_BENCH_LOOKUP_OK = 0,
    GR_BENCH_LOOKUP_EOPEN = -1,    /* the open callback failed (its status in open_status) */
    GR_BENCH_LOOKUP_ENOMEM = -2,   /* no memory for the sample */
    GR_BENCH_LOOKUP_ENOSAMPLE = -3 /* the database has no public ranges to sample */
};

/* Open a database of this kind (the caller chooses the files); 0, or a
 * non-zero status of the caller's that the run hands back. */
typedef int (*gr_bench_lookup_open_fn)(gr_geodb_kind kind, gr_geodb **out, void *ctx);

typedef struct gr_bench_lookup_config {
    uint64_t samples; /* sample size, >= 1 */
    uint64_t seed;
    uint64_t cap_ns; /* time cap per row */
    gr_bench_lookup_open_fn open;
    void *open_ctx;
} gr_bench_lookup_config;

typedef struct gr_bench_lookup_row {
    const char *name;
    size_t lookups;
    double ns_per_lookup;
    size_t found;
    size_t agree;
    double open_ms; /* time to open the database of this row */
    bool ran;
} gr_bench_lookup_row;

typedef struct gr_bench_lookup_report {
    gr_bench_lookup_row rows[GR_BENCH_LOOKUP_ROWS];
    size_t samples, samples_v6; /* drawn */
    size_t linear_samples;      /* the prefix the linear scan runs */
    int open_status;            /* GR_BENCH_LOOKUP_EOPEN: what the callback returned */
} gr_bench_lookup_report;

/* Open the three databases, draw the sample, time every row. 0, or a
 * gr_bench_lookup_error; rows that could not run have ran == false. */
int gr_bench_lookup_run(const gr_bench_lookup_config *cfg, gr_bench_lookup_report *out);
/* The first row that ran and disagreed with the reference on some lookup,
 * or -1. */
int gr_bench_lookup_disagreeing_row(const gr_bench_lookup_report *r);

#endif
