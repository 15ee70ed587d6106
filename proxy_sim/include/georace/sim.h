/*
 * sim.h - the in-process traffic simulator: the proxy's request path
 * (requester IP -> resolver -> access decision, through the proxy's own
 * gr_decide, decide.h) run by worker threads directly, without sockets.
 * The fastest way to hammer the cache, and the engine of 'georace sim',
 * 'georace stress --via sim' and 'georace repro'.
 *
 * Every answer is checked against ground truth that does not go through the
 * cache (the country of the range the address was drawn from); a difference
 * is a mismatch, i.e. a geo-block bypass, and is always counted.
 *
 * Work distribution: every worker thread owns a traffic stream (seed +
 * thread index). Single requests it serves itself; a burst whose requests
 * are parallel (a page view) it posts on a shared board, and whichever
 * threads come next take one request each, so the requests of one burst hit
 * the cache from several threads at about the same time, as a browser's
 * parallel connections do. With a rate, each thread paces its own stream
 * open-loop (rate / threads), taking posted requests while it waits.
 *
 * With the gomap variant and its detector on, gr_sim_run may not return: the
 * detector prints Go's fatal message and exits the process with status 2.
 * Callers that want to survive that run the simulation in a child process
 * (stress/ does).
 */
#ifndef GEORACE_SIM_H
#define GEORACE_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "georace/cache.h"
#include "georace/geodb.h"

typedef struct gr_sim_progress {
    uint64_t elapsed_ns;
    uint64_t requests, hits, misses, mismatches, errors, clears;
    size_t cache_len; /* 0 for the buggy variants (reading it would race) */
    size_t rss_kb;
    uint64_t write_pairs; /* Go subject: ordered pairs of same-burst cache writers; else 0 */
} gr_sim_progress;

typedef void (*gr_sim_progress_fn)(const gr_sim_progress *p, void *ctx);

typedef struct gr_sim_config {
    const char *profile;          /* built-in profile name or path to a JSON profile */
    const char *variant;          /* cache variant name (cache.h) */
    gr_cache_config cache;        /* variant knobs */
    gr_geodb_kind backend;        /* backend for the resolver */
    const char *mmdb_path;        /* NULL: embedded database */
    const char *csv_path;         /* NULL: embedded database (or csv_paths) */
    const char *const *csv_paths; /* several CSV files, used when n_csv > 0 */
    size_t n_csv;
    /* Addresses to draw from: NULL builds a pool from the database selection
     * above (~0.4 s for the embedded one); callers running many simulations
     * (stress trials in forked children) may build one with traffic.h and
     * pass it. It must hold the database's ranges, or answers mismatch. */
    const struct gr_addrpool *pool;
    unsigned threads;           /* worker threads, >= 1 */
    uint64_t duration_ns;       /* stop after this long (0: only max_requests) */
    uint64_t max_requests;      /* stop after this many (0: only duration) */
    double rate;                /* target requests/s over all threads, 0 = flat out,
                                   < 0 = the profile's rate */
    uint64_t seed;              /* traffic seed: same seed, same request stream */
    uint64_t clear_interval_ns; /* resolver cache clear ticker, 0 = never */
    uint64_t miss_cost_ns;      /* extra cost of each backend lookup (model knob) */
    const char *block;          /* "CN,RU" or NULL */
    const char *allow;          /* "US,DE" or NULL (allow-list mode) */
    gr_sim_progress_fn progress;
    void *progress_ctx;
    uint64_t progress_interval_ns; /* 0: no callbacks */
    /* With progress: one extra record with elapsed_ns 0 just before the
     * workers start, so a caller in another process can tell its start-up
     * (database, traffic, cache) from the run. */
    bool progress_start;
    unsigned print_mismatches; /* print the first N mismatches to stderr (default 5) */
    /* Optional: replace the cache by a wrapper around it (e.g. a recorder,
     * explore/history.h) before any thread uses it; destroying the wrapper
     * must destroy the cache. 0 or a nonzero error. */
    int (*wrap_cache)(void *ctx, gr_cache *inner, gr_cache **out);
    void *wrap_ctx;
} gr_sim_config;

typedef struct gr_sim_result {
    uint64_t requests, hits, misses, zones, unknown;
    uint64_t blocked, allowed;     /* the proxy's 403 and forward; a backend error (its 500)
                                      counts in errors only */
    uint64_t mismatches;           /* answer differs from ground truth */
    uint64_t bypasses;             /* mismatches that let a request through that the truth blocks */
    uint64_t requester_mismatches; /* requester IP differs from the client (subset of mismatches) */
    uint64_t errors;               /* backend errors */
    uint64_t shared; /* burst requests served by another thread than the one that drew them */
    uint64_t clears;
    uint64_t write_pairs; /* Go subject: ordered pairs of same-burst cache writers; else 0 */
    uint64_t elapsed_ns;
    double req_per_s;
    size_t cache_len_max; /* buggy variants: the length at the end */
    size_t rss_max_kb;
} gr_sim_result;

enum gr_sim_error {
    GR_SIM_OK = 0,
    GR_SIM_EARG = -1,    /* bad configuration (variant, threads, lists, ...) */
    GR_SIM_ENOENT = -2,  /* profile or database file missing or unreadable */
    GR_SIM_EFORMAT = -3, /* profile or database malformed */
    GR_SIM_ESYS = -4     /* out of memory, thread creation failed */
};

void gr_sim_config_default(gr_sim_config *cfg);
/* 0 on success; a negative gr_sim_error with a message in err otherwise. */
int gr_sim_run(const gr_sim_config *cfg, gr_sim_result *out, char *err, size_t errcap);

#endif
