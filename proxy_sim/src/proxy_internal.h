/*
 * proxy_internal.h - the proxy's private structures, shared by proxy.c
 * (start/stop), proxy_worker.c (the request path), proxy_pool.c (upstream
 * connections) and proxy_metrics.c (counters and /-/metrics).
 *
 * Threading: everything in a worker belongs to that worker's event loop
 * thread, except its metrics, which other workers read when they render
 * /-/metrics. Metrics therefore have one writer (the owning worker, plain
 * relaxed load + store, no read-modify-write) and any number of readers
 * (relaxed loads): statistics, never synchronization. The shared resolver
 * and cache synchronize themselves (or, for the buggy variants, do not:
 * that is what is under test).
 */
#ifndef GEORACE_PROXY_INTERNAL_H
#define GEORACE_PROXY_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/time.h>

#include <event2/event.h>
#include <event2/http.h>

#include "georace/netaddr.h"
#include "georace/proxy.h"
#include "georace/resolver.h"

/* ---- metrics (proxy_metrics.c) ------------------------------------------ */

#define GR_METRICS_CODE_MIN 100
#define GR_METRICS_CODE_MAX 599
#define GR_METRICS_LAT_BUCKETS 12 /* finite buckets; one more for +Inf */

enum gr_metrics_upstream_error {
    GR_METRICS_UP_REFUSED = 0, /* connect failed, reset, EOF, garbage */
    GR_METRICS_UP_TIMEOUT,
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

void gr_metrics_count_status(struct gr_metrics *m, int code);
void gr_metrics_count_lookup(struct gr_metrics *m, uint64_t ns);
void gr_metrics_inc(atomic_uint_fast64_t *c);
void gr_metrics_dec(atomic_uint_fast64_t *c);
struct evbuffer;
/* Render every worker's metrics, summed, in Prometheus text format. */
void gr_metrics_render(const struct gr_proxy *p, struct evbuffer *out);

/* ---- upstream connection pool (proxy_pool.c) ---------------------------- */

struct gr_pool_conn {
    struct evhttp_connection *evcon;
    unsigned busy;  /* requests queued on this connection */
    int nodelay_fd; /* the socket TCP_NODELAY was set on */
    unsigned index;
};

struct gr_pool {
    struct event_base *base;
    char host[64];
    uint16_t port;
    struct timeval timeout;
    struct gr_pool_conn *conns;
    unsigned *idle; /* stack of indices with busy == 0 */
    unsigned n, n_idle, cap, next;
};

int gr_pool_init(struct gr_pool *pool, struct event_base *base, const gr_net_addr *upstream,
                 uint64_t timeout_ns, unsigned cap);
/* A connection for one request (busy incremented); NULL if none could be made. */
struct gr_pool_conn *gr_pool_acquire(struct gr_pool *pool);
void gr_pool_release(struct gr_pool *pool, struct gr_pool_conn *c);
void gr_pool_free(struct gr_pool *pool);

/* ---- workers (proxy_worker.c) -------------------------------------------- */

struct gr_fwd; /* one request being forwarded */

struct gr_proxy_worker {
    struct gr_proxy *proxy;
    unsigned index;
    struct event_base *base;
    struct evhttp *http;
    struct evhttp_bound_socket *bound;
    int stop_fd;               /* eventfd the controlling thread writes to */
    struct event *stop_ev;     /* reads stop_fd */
    struct event *deadline_ev; /* graceful shutdown deadline */
    pthread_t thread;
    bool started;
    bool stopping;
    unsigned in_flight;  /* requests accepted and not yet answered */
    struct gr_fwd *fwds; /* forwards in flight (freed at a forced stop) */
    unsigned leftover;   /* in flight when the deadline hit */
    struct gr_pool pool;
    struct gr_metrics metrics;
};

int gr_proxy_worker_init(struct gr_proxy_worker *w, gr_net_addr *listen, char *err, size_t errcap);
void *gr_proxy_worker_run(void *arg);
/* Thread-safe: ask the worker to stop gracefully. */
void gr_proxy_worker_request_stop(struct gr_proxy_worker *w);
void gr_proxy_worker_free(struct gr_proxy_worker *w);

/* ---- the proxy ------------------------------------------------------------ */

struct gr_proxy {
    gr_proxy_config cfg;
    gr_cidr trusted[GR_PROXY_MAX_TRUSTED];
    gr_req_policy policy;
    gr_cache *cache;
    gr_resolver *resolver;
    gr_net_addr upstream;
    char address[80];
    unsigned n;
    struct gr_proxy_worker *w;
    pthread_mutex_t log_lock; /* one access-log line at a time */
};

#endif
