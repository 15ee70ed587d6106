/*
 * lru.h - an exact least-recently-used cache, single-threaded: the
 * reference peer of 'georace bench hit-ratio' (what a textbook LRU of the
 * same capacity would hit), behind the gr_cache interface so the replay
 * treats every row alike. Not for concurrent use: no locks at all.
 */
#ifndef GEORACE_LRU_H
#define GEORACE_LRU_H

#include <stddef.h>

#include "georace/cache.h"

/* A cache of at most capacity (1..2^30) entries: a get that hits and a put
 * make the key the most recent; a put of a new key into a full cache drops
 * the least recent one. GR_CACHE_OK, GR_CACHE_EARG or GR_CACHE_ENOMEM. */
int gr_lru_create(size_t capacity, gr_cache **out);

#endif
