/*
 * gomap.h - knobs and facts of the gomap variant beyond the gr_cache ops.
 */
#ifndef GEORACE_GOMAP_H
#define GEORACE_GOMAP_H

#include <stddef.h>
#include <stdint.h>

#include "georace/cache.h"

/* Go's fatal messages, exactly as the runtime prints them after "fatal error: ". */
#define GR_GOMAP_MSG_WRITES "concurrent map writes"
#define GR_GOMAP_MSG_READ_WRITE "concurrent map read and map write"

struct gr_gomap_info {
    unsigned B;              /* log2 of the bucket count of the live map */
    size_t overflow_buckets; /* overflow buckets allocated by the live map */
    int growing;             /* an incremental evacuation is in progress */
    size_t retired_maps;     /* maps dropped by clear and not freed yet (a thread may hold them) */
};

/* Shape of a gomap cache (single-threaded callers only). */
void gr_gomap_info(gr_cache *c, struct gr_gomap_info *out);

/* Test hook: with window_ns > 0, every write calls hook(arg) inside its
 * write window, after setting hashWriting and before the window's spin, so a
 * test can learn that a writer is inside the window, and keep it there,
 * without guessing with sleeps. Set it before any thread uses the cache;
 * NULL removes it. It costs nothing when window_ns is 0 (see gomap.c). */
typedef void gr_gomap_window_hook(void *arg);
void gr_gomap_set_window_hook(gr_cache *c, gr_gomap_window_hook *hook, void *arg);

/* Test hook: points where a test may stall a thread (its hook returns when
 * the thread may go on) to make an interleaving happen instead of hoping
 * for it. Set it before any thread uses the cache; NULL removes it. Each
 * point costs one predictable branch when no hook is set. */
enum gr_gomap_point {
    GR_GOMAP_AT_READ_MATCH,  /* a read found its key, before it loads the value */
    GR_GOMAP_AT_GROW_ALLOC,  /* a grow allocates its new buckets; nothing is committed yet */
    GR_GOMAP_AT_VALUE_STORE, /* a write left its window (hashWriting clear), before the value */
};
typedef void gr_gomap_point_hook(void *arg, enum gr_gomap_point at);
void gr_gomap_set_point_hook(gr_cache *c, gr_gomap_point_hook *hook, void *arg);

#endif
