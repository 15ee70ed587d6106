/*
 * proxy_metrics.h - a worker's counters and the /metrics page
 * (proxy_metrics.c).
 *
 * Threading: each worker owns its counters and is their only writer (a
 * relaxed load plus a relaxed store, no read-modify-write); the worker that
 * serves /metrics (on --metrics-listen) reads every worker's counters with relaxed loads. They
 * are statistics, never synchronization: nothing is published through them.
 */
#ifndef GEORACE_PROXY_METRICS_H
#define GEORACE_PROXY_METRICS_H

#include <stdatomic.h>
#include <stdint.h>

#include "proxy_msg.h"

#define GR_METRICS_CODE_MIN 100
#define GR_METRICS_CODE_MAX 599
#define GR_METRICS_LAT_BUCKETS 12 /* finite buckets; one more for +Inf */

enum gr_metrics_upstream_error {
    GR_METRICS_UP_REFUSED = 0, /* connect failed, reset, EOF, garbage */
    GR_METRICS_UP_TIMEOUT,
    GR_METRICS_UP_QUEUE_FULL,    /* no room to wait for a connection (503) */
    GR_METRICS_UP_QUEUE_TIMEOUT, /* waited too long for one (504) */
    GR_METRICS_UP_COUNT
};

struct gr_metrics {
    atomic_uint_fast64_t by_code[GR_METRICS_CODE_MAX - GR_METRICS_CODE_MIN + 1];
    atomic_uint_fast64_t lookup_bucket[GR_METRICS_LAT_BUCKETS + 1];
    atomic_uint_fast64_t lookup_sum_ns;
    atomic_uint_fast64_t upstream_errors[GR_METRICS_UP_COUNT];
    atomic_uint_fast64_t bad_requester;
    atomic_uint_fast64_t in_flight; /* gauge */
};

struct gr_proxy;

void gr_metrics_count_status(struct gr_metrics *m, int code);
void gr_metrics_count_lookup(struct gr_metrics *m, uint64_t ns);
void gr_metrics_inc(atomic_uint_fast64_t *c);
void gr_metrics_dec(atomic_uint_fast64_t *c);
/* Render every worker's metrics, summed, in Prometheus text format. */
int gr_metrics_render(const struct gr_proxy *p, struct gr_buf *out);

#endif
