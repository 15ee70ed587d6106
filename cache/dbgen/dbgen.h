/*
 * dbgen.h - the build-time generator of the default database (private).
 *
 * The generator walks the public IPv4 space and the RIR blocks of 2000::/3
 * with a fixed-seed PRNG, allocating ranges of realistic sizes to countries
 * drawn from a realistic mix, and writes them as Zoraxy CSV and as MMDB.
 * Modules: rng (xoshiro256**), country (weights per registry), list (the
 * range list: clipping around reserved zones and fixed anchors, merging),
 * v4/v6 (the two address walks), main (files).
 */
#ifndef GEORACE_DBGEN_H
#define GEORACE_DBGEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

__extension__ typedef unsigned __int128 gr_dbgen_u128;

/* xoshiro256** seeded through splitmix64: fast, and identical everywhere. */
typedef struct gr_dbgen_rng {
    uint64_t s[4];
} gr_dbgen_rng;

void gr_dbgen_rng_seed(gr_dbgen_rng *r, uint64_t seed);
uint64_t gr_dbgen_rng_next(gr_dbgen_rng *r);
/* Uniform in [0, n), n > 0. */
uint64_t gr_dbgen_rng_below(gr_dbgen_rng *r, uint64_t n);

/* Regional internet registries; X = legacy space handed out everywhere. */
typedef enum gr_dbgen_rir {
    GR_DBGEN_ARIN,
    GR_DBGEN_RIPE,
    GR_DBGEN_APNIC,
    GR_DBGEN_LACNIC,
    GR_DBGEN_AFRINIC,
    GR_DBGEN_ANY,
    GR_DBGEN_RIR_COUNT
} gr_dbgen_rir;

void gr_dbgen_country_init(void);
/* A country for a range in the registry's space ("US"); mostly from that
 * registry's region, sometimes from anywhere, as in whois data. */
const char *gr_dbgen_country_pick(gr_dbgen_rng *r, gr_dbgen_rir rir);
size_t gr_dbgen_country_count(void);

typedef struct gr_dbgen_range {
    gr_dbgen_u128 first, last; /* IPv4 ranges hold the 32-bit value */
    char cc[3];
} gr_dbgen_range;

typedef struct gr_dbgen_list {
    gr_dbgen_range *v;
    size_t n, cap;
} gr_dbgen_list;

/* A fixed interval: cc == NULL is a reserved zone (never emitted), else an
 * anchor (always emitted with that country). Sorted, disjoint. */
typedef struct gr_dbgen_special {
    gr_dbgen_u128 first, last;
    const char *cc;
} gr_dbgen_special;

/* Append first..last (ascending order); merges into the previous range
 * when adjacent with the same country. */
void gr_dbgen_list_emit(gr_dbgen_list *l, gr_dbgen_u128 first, gr_dbgen_u128 last, const char *cc);
/* Emit first..last minus reserved zones, with anchors taking their part.
 * cc == NULL: space left unallocated, only the anchors in it are emitted. */
void gr_dbgen_list_emit_clipped(gr_dbgen_list *l, const gr_dbgen_special *sp, size_t n_sp,
                                gr_dbgen_u128 first, gr_dbgen_u128 last, const char *cc);
/* The country of the last range if it ends right before `next`, else NULL. */
const char *gr_dbgen_list_neighbour(const gr_dbgen_list *l, gr_dbgen_u128 next);
void gr_dbgen_list_free(gr_dbgen_list *l);

void gr_dbgen_v4(gr_dbgen_rng *r, gr_dbgen_list *out);
void gr_dbgen_v6(gr_dbgen_rng *r, gr_dbgen_list *out);

#endif
