/*
 * bench_cache.h - the engine of 'georace bench cache': one cell = one
 * target (a cache variant or a peer) x one operation mix x a thread count,
 * run for a fixed time, reporting ops/s.
 *
 * Targets, in the order a full run shows them: the cache variants gomap,
 * syncmap+naive-reset, syncmap, mutex, rwlock, sharded, then the peers
 * rculfhash (liburcu), ck_ht (Concurrency Kit), go-syncmap, go-rwmutex-map
 * (the Go peer), mmdb (no cache, one libmaxminddb lookup per operation) and
 * floor (an unsynchronised table, read only: the limit). A peer whose library was not found
 * at build time is known but unavailable. bench/README.md says what a cell
 * measures, how each peer is configured and how to read the numbers.
 */
#ifndef GEORACE_BENCH_CACHE_H
#define GEORACE_BENCH_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum gr_bench_mix {
    GR_BENCH_READ_MOSTLY = 0, /* 99% hits */
    GR_BENCH_MIXED,           /* 90% hits, 10% misses */
    GR_BENCH_WRITE_HEAVY,     /* 50% misses */
    GR_BENCH_RESET_STORM,     /* mixed, and a clear every reset interval */
    GR_BENCH_MIX_COUNT
} gr_bench_mix;

typedef struct gr_bench_cell {
    const char *target;
    gr_bench_mix mix;
    unsigned threads;
    uint64_t duration_ns; /* the measured window */
    uint64_t warmup_ns;   /* workers run this long before the window opens */
    size_t keys;          /* hot key population (prefilled) */
    double zipf_s;        /* Zipf exponent over the hot keys, 0 = uniform */
    uint64_t reset_ns;    /* reset-storm: clear interval */
    uint64_t seed;
} gr_bench_cell;

typedef struct gr_bench_result {
    uint64_t ops, hits, misses, clears;
    double seconds, ops_per_s;
    size_t mem_bytes;    /* at the end, 0 = not known (peers) */
    double cpu_share;    /* worker CPU time / (threads x window), 0 = not known */
    const char *skipped; /* non-NULL: not run, and why */
} gr_bench_result;

/* NULL-terminated: every cache variant benchmarked, then the peers. */
const char *const *gr_bench_targets(void);
const char *gr_bench_mix_name(gr_bench_mix m);
/* One of gr_bench_targets(), whether or not it can run here. */
bool gr_bench_known(const char *target);
bool gr_bench_is_peer(const char *target);
/* false for a target that answers every operation itself (mmdb): its hit
 * ratio means nothing. */
bool gr_bench_has_hits(const char *target);
/* NULL if the target can run here, else why not ("unknown target", or the
 * peer's library was not built in). */
const char *gr_bench_unavailable(const char *target);
/* 0 ok (result filled, maybe skipped); -1 with a message in err. */
int gr_bench_run_cell(const gr_bench_cell *cell, gr_bench_result *out, char *err, size_t cap);
/* The configuration a target runs in (one line of text). */
const char *gr_bench_target_config(const char *target);
/* The physical-floor note: ns per hit on an in-cache, unsynchronised table
 * (measured when called, about 0.1 s); "" when it cannot be measured. */
void gr_bench_floor_note(char *buf, size_t cap);
/* Notes printed with the table: which peer modes are used, what is skipped. */
const char *const *gr_bench_notes(void);
/* What the benchmark measures, for a help text (plain text, 79 columns). */
extern const char gr_bench_cache_about[];

#endif
