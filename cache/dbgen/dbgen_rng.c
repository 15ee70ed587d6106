/*
 * dbgen_rng.c - xoshiro256** with a splitmix64 seeder: the generator's only
 * source of randomness, so one seed gives the same database on every host.
 */
#include "dbgen.h"

static uint64_t
gr_dbgen_rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

void
gr_dbgen_rng_seed(gr_dbgen_rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++) {
        uint64_t z = (seed += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        r->s[i] = z ^ (z >> 31);
    }
}

uint64_t
gr_dbgen_rng_next(gr_dbgen_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = gr_dbgen_rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = gr_dbgen_rotl(s[3], 45);
    return result;
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
