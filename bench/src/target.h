/*
 * target.h - what 'bench cache' runs a cell against: a cache variant or a
 * peer, seen through one small table of operations (private to bench/).
 *
 * Each target lives in a file of its own (variants.c, peer_mmdb.c,
 * peer_rculfhash.c, peer_ck_ht.c); cache_engine.c drives them all through
 * this table, by name, with the same keys, mixes and threads. A peer that needs its
 * threads registered (RCU readers, epoch records) does it in
 * thread_init/thread_fini, which every thread that touches the target calls
 * around its work.
 */
#ifndef GEORACE_BENCH_TARGET_H
#define GEORACE_BENCH_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "georace/bench_cache.h"
#include "georace/country.h"
#include "georace/ip.h"

/* What every target of a cell is fed: the hot keys (prefilled) and each
 * worker's pre-drawn Zipf ranks over them (GR_BENCH_SEQ per worker). */
#define GR_BENCH_SEQ 65536
struct gr_bench_workload {
    gr_ip *hot;
    uint32_t **seq; /* one per worker */
    unsigned miss_permille;
};

struct gr_bench_target {
    /* Targets that run in another process (the Go peers) set only these:
     * why the target cannot run here (NULL: it can), and the whole cell. */
    const char *(*unavailable)(void);
    int (*run_cell)(const gr_bench_cell *cell, const struct gr_bench_workload *w,
                    gr_bench_result *out, char *err, size_t cap);
    /* a fresh, empty table for one cell, or NULL with a message in err */
    void *(*open)(const gr_bench_cell *cell, char *err, size_t cap);
    void (*thread_init)(void);
    void (*thread_fini)(void);
    bool (*get)(void *ctx, const gr_ip *key, gr_country *out);
    void (*put)(void *ctx, const gr_ip *key, gr_country value);
    void (*clear)(void *ctx);
    size_t (*mem)(void *ctx); /* bytes held at the end, 0 = not known */
    void (*close)(void *ctx);
    /* Optional (NULL: nothing to do). A QSBR reader announces a quiescent
     * state (every worker calls it every 256 operations) and goes offline
     * while a thread of the cell idles (waiting to start, sleeping between
     * clears, the main thread during the run). seal: the prefill is done,
     * the table will only be read (the floor target). */
    void (*quiescent)(void);
    void (*offline)(void);
    void (*online)(void);
    void (*seal)(void *ctx);
};

/* Shared do-nothing hooks for targets that need none. */
void gr_bench_target_nop(void);
size_t gr_bench_target_mem_unknown(void *ctx);

/* The targets, one per file. Every cache variant goes through gr_cache,
 * created by the cell's target name. */
extern const struct gr_bench_target gr_bench_variant_ops;
extern const struct gr_bench_target gr_bench_mmdb_ops;
/* The floor (floor.c): a sealed, unsynchronised table; and ns per hit on
 * such a table small enough to stay in cache (0: out of memory). */
extern const struct gr_bench_target gr_bench_floor_ops;
double gr_bench_floor_in_cache_ns(size_t *table_bytes);
#ifdef GEORACE_HAVE_URCU
extern const struct gr_bench_target gr_bench_rculfhash_ops;
#endif
#ifdef GEORACE_HAVE_CK
extern const struct gr_bench_target gr_bench_ck_ht_ops;
#endif
/* Go's sync.Map and a map behind sync.RWMutex, run by the Go peer. */
extern const struct gr_bench_target gr_bench_go_syncmap_ops;
extern const struct gr_bench_target gr_bench_go_rwmutex_ops;

#endif
