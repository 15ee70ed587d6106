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

#endif
