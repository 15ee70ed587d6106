/*
 * syncmap.h - Go's sync.Map (Go <= 1.23 design) in C11 atomics.
 *
 * Keys are gr_ip, values pointer-sized integers (uintptr_t). Every function
 * is safe to call from any number of threads at once, Clear included. The
 * API follows Go's method for method:
 *
 *   Load, Store, LoadOrStore, LoadAndDelete, Delete, Swap, CompareAndSwap,
 *   CompareAndDelete, Range, Clear
 *
 * The struct is public so that the syncmap+naive-reset variant can do to it
 * what `m = sync.Map{}` does in Go: overwrite `go` (the Go value: mutex,
 * read pointer, dirty map, misses) with a zero object in place. Nobody else
 * should touch the fields.
 */
#ifndef GEORACE_SYNCMAP_H
#define GEORACE_SYNCMAP_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ebr.h"
#include "georace/ip.h"
#include "hashmap.h"

struct gr_syncmap_read; /* read-only snapshot: immutable map + amended flag */

typedef struct gr_syncmap {
    /* Read on every operation, written only by a promotion or a Clear. */
    gr_ebr *ebr;
    uint64_t seed;
    struct {
        _Atomic(struct gr_syncmap_read *) read; /* NULL reads as an empty snapshot */
        /* Keeps the lock's line, which every new key writes, off the line
         * of `read`, which every operation reads (whatever the alignment of
         * the enclosing allocation). */
        char gap[64];
        pthread_mutex_t mu; /* guards dirty and misses */
        gr_hashmap *dirty;  /* gr_ip -> entry*, NULL when not amended */
        size_t misses;
    } go;
} gr_syncmap;

/* Values are words up to this (the entry keeps its state in one more bit). */
#define GR_SYNCMAP_VALUE_MAX (UINTPTR_MAX >> 1)

typedef bool (*gr_syncmap_range_fn)(const gr_ip *key, uintptr_t value, void *ctx);

/* 0, or -1 out of memory. */
int gr_syncmap_init(gr_syncmap *m);
/* Frees everything. No other thread may use the map. */
void gr_syncmap_destroy(gr_syncmap *m);

bool gr_syncmap_load(gr_syncmap *m, const gr_ip *key, uintptr_t *value);
void gr_syncmap_store(gr_syncmap *m, const gr_ip *key, uintptr_t value);
/* Returns true (loaded) with the existing value in *actual, or stores value. */
bool gr_syncmap_load_or_store(gr_syncmap *m, const gr_ip *key, uintptr_t value, uintptr_t *actual);
bool gr_syncmap_load_and_delete(gr_syncmap *m, const gr_ip *key, uintptr_t *value);
void gr_syncmap_delete(gr_syncmap *m, const gr_ip *key);
/* Stores value; returns whether there was a previous value (in *previous). */
bool gr_syncmap_swap(gr_syncmap *m, const gr_ip *key, uintptr_t value, uintptr_t *previous);
bool gr_syncmap_compare_and_swap(gr_syncmap *m, const gr_ip *key, uintptr_t old, uintptr_t new_);
bool gr_syncmap_compare_and_delete(gr_syncmap *m, const gr_ip *key, uintptr_t old);
/* Calls fn for each key until it returns false. Not a consistent snapshot:
 * as in Go, a key is visited at most once, and stores during the call may
 * or may not be seen. fn may call back into the map. */
void gr_syncmap_range(gr_syncmap *m, gr_syncmap_range_fn fn, void *ctx);
void gr_syncmap_clear(gr_syncmap *m);

/* Not in Go's API: live entries (counted without promoting the dirty map,
 * unlike a Range: length sampling leaves promotions where Go has them) and
 * bytes held. */
size_t gr_syncmap_len(gr_syncmap *m);
size_t gr_syncmap_mem_bytes(gr_syncmap *m);

/* Introspection for tests: entries in the read snapshot, whether the dirty
 * map holds keys the snapshot lacks, the current misses count. */
struct gr_syncmap_shape {
    size_t read_len, dirty_len, misses, expunged;
    size_t table_bytes; /* hash tables of snapshot and dirty map */
    bool amended, has_dirty;
};
void gr_syncmap_shape(gr_syncmap *m, struct gr_syncmap_shape *out);

/* Free everything reachable from a Go value (snapshot + dirty map) that was
 * overwritten in place (syncmap_naive.c); each entry is freed once even if
 * both maps hold it. Nobody may use those objects any more. */
void gr_syncmap_free_value(struct gr_syncmap_read *read, gr_hashmap *dirty);

#endif
