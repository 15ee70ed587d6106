/*
 * capacity.h - a cache capacity as a user writes it: a count of entries
 * ("65536", "64k") or a byte budget ("16MiB", "64MB"), for the bounded
 * variant's --cache-capacity in every command and the capacities of
 * 'georace bench hit-ratio'.
 *
 * A bare integer, or one with the count suffixes k (x1000) and M
 * (x1000000) that every count option takes, is entries. An integer with a
 * byte unit is a budget: B; KiB, MiB, GiB (powers of 1024); kB or KB, MB,
 * GB (powers of 1000). Units are case-sensitive and follow the number
 * directly: "64M" is 64 million entries, "64MB" is 64,000,000 bytes. A
 * budget becomes entries when the cache is created, by the bounded
 * variant's footprint (gr_bounded_capacity_for_bytes, cache.h), so it
 * depends on the stripes too.
 */
#ifndef GEORACE_CAPACITY_H
#define GEORACE_CAPACITY_H

#include <stddef.h>
#include <stdint.h>

#include "georace/cache.h"

typedef struct gr_capacity {
    uint64_t entries; /* exactly one of the two is nonzero */
    uint64_t bytes;
} gr_capacity;

/* Parse and check a capacity: entries 1..2^30, or a budget from what one
 * entry needs up to what 2^30 entries need (at the default stripes).
 * 0, or -1 with a message (naming neither option nor command) in err. */
int gr_capacity_parse(const char *s, gr_capacity *out, char *err, size_t errcap);
/* Into a cache configuration: capacity or capacity_bytes, the other 0. */
void gr_capacity_apply(const gr_capacity *c, gr_cache_config *cfg);
/* The capacity in entries a bounded cache with cfg's stripes gets (a budget
 * converted); 0 if the budget holds no entry. */
size_t gr_capacity_entries(const gr_capacity *c, const gr_cache_config *cfg);

#endif
