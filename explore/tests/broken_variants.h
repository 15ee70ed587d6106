/*
 * broken_variants.h - caches broken on purpose for the oracle self-tests.
 */
#ifndef GEORACE_BROKEN_VARIANTS_H
#define GEORACE_BROKEN_VARIANTS_H

#include "georace/cache.h"

int bv_split_put_create(gr_cache **out);
int bv_inverted_create(gr_cache **out);
int bv_null_clear_create(gr_cache **out);
int bv_unlocked_clear_create(gr_cache **out);
int bv_relaxed_publish_create(gr_cache **out);
int bv_release_publish_create(gr_cache **out);

#endif
