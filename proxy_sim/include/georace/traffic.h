/*
 * traffic.h - the traffic model shared by the simulators: profiles,
 * address pools and seeded request streams.
 *
 * A profile (a small JSON file) describes who visits a proxy. Traffic is a
 * sequence of events, each drawn independently:
 *
 *   reserved  one request from a reserved address (Private, Loopback, ...)
 *   spray     one request from a fresh random address of one attacker
 *             (one IPv6 range of the database, cycled through)
 *   scanner   one request from a one-off address
 *   page view a burst of requests from one visitor: a new visitor (an
 *             address nobody used before) or a returning one, picked by a
 *             Zipf law over a population of visitors (rank 1 the most
 *             frequent), so popular visitors keep hitting the cache
 *
 * Public addresses are drawn from the ranges of the database in use (an
 * address pool), so the country mix is the database's; each request carries
 * its ground truth (the country of the range it was drawn from, or the
 * reserved zone it was drawn from), which never goes through any cache.
 *
 * Streams are reproducible: the same profile, pool, seed and stream index
 * give the same requests. Streams of one seed share the visitor population
 * (visitor k has the same address in every stream) and never share a fresh
 * address. Event times (at_ns) follow a Poisson process at the stream's rate.
 */
#ifndef GEORACE_TRAFFIC_H
#define GEORACE_TRAFFIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "georace/country.h"
#include "georace/ip.h"
#include "georace/zone.h"

enum gr_traffic_error {
    GR_TRAFFIC_OK = 0,
    GR_TRAFFIC_ENOENT = -1,  /* profile or file not found / unreadable */
    GR_TRAFFIC_EFORMAT = -2, /* malformed profile, CSV or database */
    GR_TRAFFIC_ENOMEM = -3,
    GR_TRAFFIC_EARG = -4 /* bad argument (empty pool, ...) */
};
const char *gr_traffic_strerror(int err);

/* ---- profiles ---------------------------------------------------------- */

#define GR_PROFILE_BURST_MAX 64 /* largest burst a profile may ask for */

typedef struct gr_profile {
    char name[64];
    char description[512];
    double rate;              /* default requests/s over all threads, 0 = flat out */
    uint64_t seed;            /* default seed */
    uint64_t population;      /* returning visitors, >= 1 */
    double zipf_s;            /* Zipf exponent over the population, 0 = uniform */
    double new_visitor_share; /* page views from a visitor never seen before */
    double burst_mean;        /* requests per page view, mean (>= 1) */
    unsigned burst_max;       /* requests per page view, cap (<= GR_PROFILE_BURST_MAX) */
    bool burst_parallel;      /* a page view's requests are sent at once */
    double burst_spread_ms;   /* else: spread over this many ms */
    double scanner_share;     /* events that are one-off scanner requests */
    double spray_share;       /* events from the IPv6 spraying attacker */
    double reserved_share;    /* events from reserved addresses */
    double ipv6_share;        /* visitors and scanners on IPv6 */
} gr_profile;

/* Defaults of every field (a zoraxy-home-like mix), name "custom". */
void gr_profile_default(gr_profile *p);
/* Load a built-in profile by name, or a JSON file by path (a name with '/'
 * or ending in ".json" is a path). On error returns <0 and writes a message
 * naming the offending key into err. */
int gr_profile_load(const char *name_or_path, gr_profile *p, char *err, size_t errcap);
/* Parse JSON text; `origin` names it in messages. */
int gr_profile_parse(const char *json, size_t len, const char *origin, gr_profile *p, char *err,
                     size_t errcap);
/* NULL-terminated names of the built-in profiles, and their JSON text. */
const char *const *gr_profile_builtin_names(void);
const char *gr_profile_builtin_json(const char *name);
/* Mean requests per event (for rate pacing). */
double gr_profile_mean_requests_per_event(const gr_profile *p);

/* ---- address pools ----------------------------------------------------- */

typedef struct gr_addrpool gr_addrpool;

/* From Zoraxy-style CSV text ("start,end,CC" lines, IPv4 and IPv6 in any
 * mix; '#' comments and blank lines skipped). Text is not kept. */
int gr_addrpool_from_csv(const char *text, size_t len, gr_addrpool **out, char *err, size_t errcap);
/* Append the ranges of more CSV text to a pool (for several --csv files). */
int gr_addrpool_add_csv(gr_addrpool *p, const char *text, size_t len, const char *origin, char *err,
                        size_t errcap);
int gr_addrpool_add_csv_file(gr_addrpool *p, const char *path, char *err, size_t errcap);
int gr_addrpool_from_csv_file(const char *path, gr_addrpool **out, char *err, size_t errcap);
/* By walking the networks of an MMDB file (country_code or country/iso_code). */
int gr_addrpool_from_mmdb(const char *path, gr_addrpool **out, char *err, size_t errcap);
/* The embedded default database's ranges. */
int gr_addrpool_default(gr_addrpool **out, char *err, size_t errcap);
void gr_addrpool_free(gr_addrpool *p);

size_t gr_addrpool_count(const gr_addrpool *p, bool v6);
/* Draw an address of one family from two random words: a range (IPv4 by
 * address count, IPv6 one range each), then an address in it. Returns false
 * if the pool holds no range of that family. Pure: thread-safe. */
bool gr_addrpool_draw(const gr_addrpool *p, bool v6, uint64_t r1, uint64_t r2, gr_ip *ip,
                      gr_country *truth);
/* Range i of a family (for tests and the spray attacker). */
bool gr_addrpool_range(const gr_addrpool *p, bool v6, size_t i, gr_ip *start, gr_ip *end,
                       gr_country *cc);

/* ---- request streams --------------------------------------------------- */

typedef enum gr_traffic_kind {
    GR_TRAFFIC_VISITOR = 0, /* returning visitor (population) */
    GR_TRAFFIC_NEW_VISITOR,
    GR_TRAFFIC_SCANNER,
    GR_TRAFFIC_SPRAY,
    GR_TRAFFIC_RESERVED,
    GR_TRAFFIC_KIND_COUNT
} gr_traffic_kind;
const char *gr_traffic_kind_name(gr_traffic_kind k);

typedef struct gr_request {
    gr_ip client;
    gr_country truth; /* country of the range drawn from; NONE for a zone */
    gr_zone zone;     /* reserved zone drawn from; GR_ZONE_NONE for public */
    gr_traffic_kind kind;
    bool new_address;     /* first use of this address in the run (fresh draw) */
    bool parallel;        /* the burst's requests are meant to run concurrently */
    uint16_t burst_len;   /* requests in this burst (1 for single events) */
    uint16_t burst_index; /* 0 .. burst_len-1 */
    uint64_t burst_id;    /* unique in the run: stream index << 40 | event number */
    uint64_t at_ns;       /* intended send time from stream start (0 if rate 0) */
    uint64_t salt;        /* per-request random word (header spelling etc.) */
} gr_request;

typedef struct gr_traffic gr_traffic;

/* A stream of requests. `rate` is this stream's requests/s (0 = flat out:
 * at_ns stays 0). The pool must outlive the stream. */
int gr_traffic_create(const gr_profile *p, const gr_addrpool *pool, uint64_t seed,
                      uint32_t stream_index, double rate, gr_traffic **out);
void gr_traffic_free(gr_traffic *t);
/* The next request; never fails. Bursts come in order, burst_index 0 first. */
void gr_traffic_next(gr_traffic *t, gr_request *req);
/* The next whole event (cap >= GR_PROFILE_BURST_MAX is always enough).
 * Returns the number of requests written. */
size_t gr_traffic_next_burst(gr_traffic *t, gr_request *reqs, size_t cap);

/* The header spelling of a request's client address as a proxy in front
 * would write it into X-Forwarded-For: mostly canonical, sometimes with a
 * port, brackets or an uncompressed upper-case IPv6 form (chosen by salt).
 * Returns the length written. */
size_t gr_request_format_client(const gr_request *req, char *buf, size_t cap);

#endif
