/*
 * resolver.h - address -> country, with Zoraxy's Store semantics.
 *
 *   reserved zone?  -> answer the zone, no cache
 *   cache get       -> hit: answer
 *   backend lookup  -> cache put, answer
 *
 * and a ticker thread that clears the cache every `clear_interval_ns`
 * (15 minutes in Zoraxy v3.1.4, 30 minutes today; 0 = never). The resolver
 * owns neither the cache nor the backend. Counters are relaxed atomics: they
 * are statistics, not synchronization.
 */
#ifndef GEORACE_RESOLVER_H
#define GEORACE_RESOLVER_H

#include <stdint.h>

#include "georace/cache.h"
#include "georace/geodb.h"
#include "georace/zone.h"

typedef struct gr_resolver gr_resolver;

typedef struct gr_resolver_config {
    gr_geodb *db;    /* required */
    gr_cache *cache; /* NULL: no cache */
    uint64_t clear_interval_ns;
    uint64_t miss_cost_ns; /* extra busy time added to each backend lookup (model knob) */
} gr_resolver_config;

typedef enum gr_answer_kind {
    GR_ANSWER_COUNTRY = 0, /* public address found in the database */
    GR_ANSWER_ZONE,        /* reserved zone */
    GR_ANSWER_UNKNOWN,     /* public address not in the database */
    GR_ANSWER_ERROR        /* backend error */
} gr_answer_kind;

typedef struct gr_answer {
    gr_answer_kind kind;
    gr_country country;
    gr_zone zone;
    bool cache_hit;
} gr_answer;

typedef struct gr_resolver_stats {
    uint64_t lookups, hits, misses, zones, errors, clears;
} gr_resolver_stats;

/* 0, or a negative gr_geodb_error (EARG without a db, ENOMEM). */
int gr_resolver_create(const gr_resolver_config *cfg, gr_resolver **out);
/* Starts the clear ticker if an interval and a cache were set; a second call is a no-op. */
int gr_resolver_start(gr_resolver *r);
void gr_resolver_destroy(gr_resolver *r); /* stops and joins the ticker */
/* Whether the ticker is asleep waiting for its next tick (read under the
 * ticker's mutex, so a true answer stays true until the tick is due or
 * the resolver is destroyed). For tests that must know the ticker sleeps. */
bool gr_resolver_ticker_waiting(gr_resolver *r);
gr_answer gr_resolve(gr_resolver *r, const gr_ip *ip);
void gr_resolver_clear_now(gr_resolver *r);
void gr_resolver_stats_get(gr_resolver *r, gr_resolver_stats *out);
/* Writes "US", "Private", "" (unknown) or "error" into buf. */
const char *gr_answer_str(const gr_answer *a, char *buf, size_t cap);

#endif
