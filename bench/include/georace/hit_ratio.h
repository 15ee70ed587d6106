/*
 * hit_ratio.h - the hit-ratio benchmark: one seeded request stream, built
 * once from traffic profiles, replayed through several caches (bounded at
 * a few capacities, an exact LRU of the same capacities, the unbounded
 * cache with Zoraxy's periodic clear and without), so every row sees the
 * very same requests.
 *
 * Time is the stream's own: each request carries its intended send time
 * (a Poisson process at the profile's rate, traffic.h), and a clear every
 * clear_ns happens when the replay's clock, that time, crosses a multiple
 * of it. Nothing waits: hours of traffic replay in seconds.
 *
 * A replay does what the resolver does for each request (resolver.c):
 * a reserved address never reaches the cache (left out of the stream); any
 * other is looked up, and a miss is followed by a put unless the database
 * has no country for it. Single-threaded: a burst's parallel requests come
 * one after another, so only the first of them misses.
 */
#ifndef GEORACE_HIT_RATIO_H
#define GEORACE_HIT_RATIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "georace/cache.h"
#include "georace/traffic.h"

typedef struct gr_hr_stream_config {
    const char *profile;  /* built-in name or JSON path; paced at its own rate */
    const char *mix;      /* NULL, or a second profile mixed in (e.g. spray-v6) */
    double mix_rate;      /* requests/s of the mixed-in profile (> 0) */
    uint64_t duration_ns; /* simulated time the stream covers */
    uint64_t seed;        /* traffic seed (both profiles) */
    const gr_addrpool *pool;
} gr_hr_stream_config;

struct gr_hr_request {
    gr_ip key;      /* canonical address, the cache key */
    uint64_t at_ns; /* simulated send time */
    bool cacheable; /* a miss is followed by a put (the database knows a country) */
    bool mixed;     /* from the mixed-in profile */
};

typedef struct gr_hr_stream {
    struct gr_hr_request *reqs; /* in time order */
    size_t n, n_mixed;
    size_t reserved; /* requests left out: reserved addresses, answered without the cache */
    size_t distinct; /* distinct cacheable keys */
    uint64_t duration_ns;
    double rate; /* the first profile's rate */
} gr_hr_stream;

/* 0, or a negative gr_traffic_error with a message in err. */
int gr_hr_stream_build(const gr_hr_stream_config *cfg, gr_hr_stream *out, char *err, size_t errcap);
void gr_hr_stream_free(gr_hr_stream *s);

typedef struct gr_hr_result {
    uint64_t lookups, hits, misses, clears;
    uint64_t own_lookups, own_hits; /* of the first profile's requests only (mixed = false) */
    /* sampled before each clear and at the end (an unbounded cache only
     * grows between clears; a bounded one only until it is full) */
    size_t peak_len;  /* most entries at once */
    size_t mem_bytes; /* most mem_bytes at once */
} gr_hr_result;

/* Replay the stream through c (fresh, empty), clearing it whenever the
 * stream's time crosses a multiple of clear_ns (0: never). */
void gr_hr_replay(const gr_hr_stream *s, gr_cache *c, uint64_t clear_ns, gr_hr_result *out);

static inline double
gr_hr_ratio(const gr_hr_result *r)
{
    return r->lookups ? (double)r->hits / (double)r->lookups : 0.0;
}

/* The hit ratio the first profile's visitors see (in a mixed stream: what
 * the mixed-in traffic leaves them). */
static inline double
gr_hr_own_ratio(const gr_hr_result *r)
{
    return r->own_lookups ? (double)r->own_hits / (double)r->own_lookups : 0.0;
}

#endif
