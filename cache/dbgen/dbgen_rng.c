/*
 * dbgen_rng.c - the generator's only source of randomness: xoshiro256** with
 * a splitmix64 seeder (georace/rng.h), so one seed gives the same database on
 * every host.
 */
#include "dbgen.h"
#include "georace/rng.h"

void
gr_dbgen_rng_seed(gr_dbgen_rng *r, uint64_t seed)
{
    gr_rng_xoshiro_seed(r->s, seed);
}

uint64_t
gr_dbgen_rng_next(gr_dbgen_rng *r)
{
    return gr_rng_xoshiro_next(r->s);
}

uint64_t
gr_dbgen_rng_below(gr_dbgen_rng *r, uint64_t n)
{
    /* Rejection keeps it unbiased; n is small, rejections are rare. */
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do
        x = gr_dbgen_rng_next(r);
    while (x >= limit);
    return x % n;
}
