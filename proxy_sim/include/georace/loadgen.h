/*
 * loadgen.h - the HTTP load generator that checks every answer.
 *
 * A few threads, each with its own libevent loop and many keep-alive
 * connections to the target, send requests whose client addresses come from
 * the traffic model (traffic.h): X-Forwarded-For (or X-Real-Ip) carries the
 * address. Every response is checked against ground truth the generator
 * computes itself, from its own copy of the database (never through the
 * proxy): X-Geo-Country must name the right country or zone, and the status
 * must be 403 exactly when the access rule blocks it. A difference is a
 * mismatch, i.e. a geo-block bypass, and is always reported.
 *
 * Rate: with rate > 0 the run is open-loop; each request has an intended
 * send time from the traffic model's Poisson schedule and its latency is
 * measured from that time, not from when a connection became free, so a
 * stalled target shows up in the latency instead of hiding (no coordinated
 * omission). With rate 0 each connection sends its next request as soon as
 * the previous one is answered (closed loop).
 *
 * When the target stops accepting connections after having answered (the
 * gomap detector killed the proxy), the run ends and reports it.
 */
#ifndef GEORACE_LOADGEN_H
#define GEORACE_LOADGEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "georace/geodb.h"
#include "georace/ip.h"

typedef enum gr_load_error {
    GR_LOAD_ERR_CONNECT = 0, /* could not connect */
    GR_LOAD_ERR_TIMEOUT,     /* no answer within the request timeout */
    GR_LOAD_ERR_RESET,       /* connection closed or reset mid-request */
    GR_LOAD_ERR_5XX,         /* the target answered 5xx */
    GR_LOAD_ERR_STATUS,      /* any other unexpected status (not 2xx/403) */
    GR_LOAD_ERR_NO_GEO,      /* response without X-Geo-Country */
    GR_LOAD_ERR_COUNT
} gr_load_error;
const char *gr_load_error_name(gr_load_error e); /* "connect", "timeout", ... */

typedef enum gr_load_header {
    GR_LOAD_XFF = 0, /* X-Forwarded-For */
    GR_LOAD_REAL_IP, /* X-Real-Ip */
    GR_LOAD_MIXED    /* one in eight requests uses X-Real-Ip */
} gr_load_header;

typedef struct gr_load_progress {
    double elapsed_s;
    uint64_t requests, errors, mismatches;
    double req_per_s; /* over the last interval */
} gr_load_progress;
typedef void (*gr_load_progress_fn)(const gr_load_progress *p, void *ctx);

typedef struct gr_load_config {
    const char *target;   /* "http://127.0.0.1:8080/path" */
    const char *profile;  /* traffic profile name or JSON path */
    unsigned connections; /* total, >= 1 */
    unsigned threads;     /* 0: one per online CPU, at most C */
    double rate;          /* requests/s over all threads; 0 = closed loop,
                             < 0 = the profile's rate */
    uint64_t duration_ns; /* > 0 */
    uint64_t seed;        /* traffic seed, used when seed_set */
    bool seed_set;        /* else the profile's seed */
    uint64_t timeout_ns;  /* per request */
    gr_load_header header;
    bool canonical; /* plain address text only (no ports, brackets or
                       upper-case IPv6), for targets like nginx's
                       realip that accept nothing else */
    /* database for addresses and ground truth: an MMDB path, CSV paths, or
     * neither for the embedded default database */
    const char *mmdb_path;
    const char *const *csv_paths;
    size_t n_csv;
    /* access rule of the target; neither set: the status is only checked to
     * be consistent per country over the run */
    const char *block, *allow;
    gr_load_progress_fn progress;
    void *progress_ctx;
    uint64_t progress_interval_ns;
} gr_load_config;

#define GR_LOAD_EXAMPLES 8

typedef struct gr_load_mismatch {
    char client[GR_IP_STRLEN]; /* the address sent */
    char expected[24];         /* country/zone, '-' unknown */
    char got[24];
    int expected_status; /* 200 allowed, 403 blocked, 0 not known */
    int status;
} gr_load_mismatch;

typedef struct gr_load_result {
    uint64_t sent, requests; /* requests = answered with a status */
    uint64_t allowed, blocked;
    uint64_t unsent; /* open loop: still waiting for a connection at the end */
    uint64_t errors[GR_LOAD_ERR_COUNT];
    uint64_t errors_total;
    uint64_t mismatches, country_mismatches, status_mismatches;
    gr_load_mismatch examples[GR_LOAD_EXAMPLES];
    unsigned n_examples;
    double elapsed_s, req_per_s;
    double p50_ms, p90_ms, p99_ms, p999_ms, max_ms, mean_ms;
    bool target_died;
    double died_after_s;
    bool never_answered; /* the target never answered at all */
} gr_load_result;

void gr_load_config_default(gr_load_config *cfg);
/* 0 after a run (whatever its findings); <0 with a message in err when the
 * configuration, profile or database is unusable. */
int gr_load_run(const gr_load_config *cfg, gr_load_result *out, char *err, size_t errcap);

#endif
