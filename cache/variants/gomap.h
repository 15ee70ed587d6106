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
    size_t retired_maps;     /* maps dropped by clear, kept alive like Go's GC would */
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

#endif
