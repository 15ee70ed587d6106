/*
 * variants.h - private constructors of the cache variants behind gr_cache.
 *
 * gr_cache_create (cache.c) maps a variant name to one of these. Each one
 * returns GR_CACHE_OK and a ready cache, or a negative gr_cache_error.
 */
#ifndef GEORACE_VARIANTS_H
#define GEORACE_VARIANTS_H

#include "georace/cache.h"

int gr_none_create(const gr_cache_config *cfg, gr_cache **out);
int gr_gomap_create(const gr_cache_config *cfg, gr_cache **out);
int gr_syncmap_cache_create(const gr_cache_config *cfg, gr_cache **out);
int gr_syncmap_naive_create(const gr_cache_config *cfg, gr_cache **out);
int gr_mutex_create(const gr_cache_config *cfg, gr_cache **out);
int gr_rwlock_create(const gr_cache_config *cfg, gr_cache **out);
int gr_sharded_create(const gr_cache_config *cfg, gr_cache **out);
int gr_bounded_create(const gr_cache_config *cfg, gr_cache **out);

/* A fresh per-map hash seed (differs between maps, like Go's fastrand). */
uint64_t gr_variant_seed(void);

#endif
