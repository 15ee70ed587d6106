/*
 * rng.h - the project's deterministic pseudo-random generators.
 *
 * splitmix64 (Steele, Lea and Flood's SplittableRandom step): a Weyl counter
 * run through a 64-bit finalizer; good alone for hashing and seeding.
 * xoshiro256** (Blackman and Vigna): the bulk generator, four words of state
 * seeded by four splitmix64 steps. Both are pure integer arithmetic, so one
 * seed gives the same stream on every host; the generated database and the
 * traffic model rely on that. No shared state: each caller owns its state.
 */
#ifndef GEORACE_RNG_H
#define GEORACE_RNG_H

#include <stdint.h>

/* Advance the counter *x and return the mixed value. */
static inline uint64_t
gr_rng_splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* One splitmix64 step from x, as a stateless 64-bit hash. */
static inline uint64_t
gr_rng_mix64(uint64_t x)
{
    return gr_rng_splitmix64(&x);
}

static inline uint64_t
gr_rng_rotl64(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

/* Fill a xoshiro256** state from seed with four splitmix64 steps. */
static inline void
gr_rng_xoshiro_seed(uint64_t s[4], uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        s[i] = gr_rng_splitmix64(&seed);
}

static inline uint64_t
gr_rng_xoshiro_next(uint64_t s[4])
{
    uint64_t result = gr_rng_rotl64(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = gr_rng_rotl64(s[3], 45);
    return result;
}

#endif
