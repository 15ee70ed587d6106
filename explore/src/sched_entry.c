/*
 * sched_entry.c - the one visible door into the copy of cache/variants that
 * is compiled with scheduling points (GEORACE_SCHED). That copy is built
 * with hidden visibility and its symbols localized after a partial link
 * (explore/CMakeLists.txt), so its gr_cache_create and friends never clash
 * with the normal library's; explore reaches it only through this function.
 */
#include "georace/cache.h"
#include "xsched.h"

#define GR_SCN_STRIPES 4 /* sharded: 4 stripes keep a clear's walk short */

__attribute__((visibility("default"))) int
gr_xcache_create(const char *variant, gr_cache **out)
{
    gr_cache_config cfg;
    gr_cache_config_default(&cfg);
    cfg.stripes = GR_SCN_STRIPES;
    return gr_cache_create(variant, &cfg, out);
}
