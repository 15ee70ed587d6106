/*
 * syncmap_naive.h - reach into a syncmap+naive-reset cache, so tests and
 * demonstrations can show what its reset does to the map's internals.
 */
#ifndef GEORACE_SYNCMAP_NAIVE_H
#define GEORACE_SYNCMAP_NAIVE_H

#include "georace/cache.h"
#include "syncmap.h"

/* The sync.Map inside a "syncmap+naive-reset" cache (NULL for other variants). */
gr_syncmap *gr_syncmap_naive_map(gr_cache *c);

#endif
