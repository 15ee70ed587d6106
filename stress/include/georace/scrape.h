/*
 * scrape.h - the proxy's cache counters, read from its Prometheus page
 * (GET /-/metrics on loopback) by a trial that runs the real proxy: one
 * short-lived connection, the response parsed by http-parser, the body
 * scanned line by line for the few samples the stress records need.
 */
#ifndef GEORACE_SCRAPE_H
#define GEORACE_SCRAPE_H

#include <stdbool.h>
#include <stdint.h>

typedef struct gr_scrape_metrics {
    uint64_t hits, misses, resets; /* georace_cache_{hits,misses,resets}_total */
    uint64_t entries;              /* georace_cache_entries, when have_entries */
    uint64_t requests;             /* sum of georace_proxy_requests_total{code=...} */
    bool have_entries;
} gr_scrape_metrics;

/* Scan Prometheus text; 0 when the hit and miss counters were found, else -1. */
int gr_scrape_parse(const char *text, gr_scrape_metrics *m);
/* GET http://ADDR/-/metrics ("127.0.0.1:PORT", "[::1]:PORT") within
 * timeout_ms; 0 on a 200 answer holding the counters, else -1. */
int gr_scrape_get(const char *addr, int timeout_ms, gr_scrape_metrics *m);

#endif
