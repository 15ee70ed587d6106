/*
 * xsched.h - the scheduler's entry points seen by the explore library
 * itself (the variants see them through cache/variants/sched_hooks.h).
 */
#ifndef GEORACE_EXPLORE_SCHED_H
#define GEORACE_EXPLORE_SCHED_H

#include "georace/cache.h"

/* gr_cache_create of the variants compiled with scheduling points
 * (sched_entry.c, in the separately linked copy of cache/variants). */
int gr_xcache_create(const char *variant, gr_cache **out);

#endif
