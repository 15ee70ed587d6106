/*
 * proxy_worker.h - the proxy and its workers (proxy.c, proxy_worker.c).
 *
 * A worker is a thread running its own libuv loop, with its own listening
 * socket, client connections, upstream pool and counters; it serves the
 * request path (gr_worker_handle). The proxy holds what every worker shares:
 * the configuration, the trusted-proxy list and the access rule (written
 * before the threads start, read-only after), the resolver and its cache
 * (synchronized by the variant under test, or deliberately not), and the
 * access-log lock.
 *
 * Threading: everything in a worker belongs to its loop thread, except its
 * metrics (proxy_metrics.h: one writer, relaxed readers) and its stop
 * request, a uv_async_t, the only signal that crosses threads.
 */
#ifndef GEORACE_PROXY_WORKER_H
#define GEORACE_PROXY_WORKER_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <uv.h>

#include "georace/netaddr.h"
#include "georace/proxy.h"
#include "georace/resolver.h"
#include "proxy_metrics.h"
#include "proxy_pool.h"

struct gr_client;

struct gr_worker {
    struct gr_proxy *proxy;
    unsigned index;
    uv_loop_t loop;
    uv_tcp_t listener;
    uv_tcp_t metrics_listener; /* worker 0, with --metrics-listen */
    uv_async_t stop_async;     /* the controlling thread asks to stop */
    uv_timer_t deadline;       /* graceful shutdown deadline */
    bool loop_ready, listening, metrics_listening;
    pthread_t thread;
    bool started;
    bool stopping;
    unsigned in_flight;        /* requests from their first byte until answered */
    unsigned leftover;         /* in flight when the deadline hit */
    struct gr_client *clients; /* open client connections */
    unsigned n_clients, max_clients;
    bool accept_paused;    /* at max_clients, a connection waits in the listener */
    time_t date_at;        /* second of the cached Date header */
    char date[40];         /* "Date: ...\r\n" */
    struct gr_buf logline; /* an access-log line being built */
    struct gr_pool pool;
    struct gr_metrics metrics;
    /* A request body that has not ended within this many bytes streams;
     * also the most of a body or answer held unwritten per connection.
     * GR_PROXY_STREAM_HIGH, set by gr_worker_init; a test may lower it
     * (fuzz_http does, so small inputs reach the streaming path). */
    size_t stream_high;
};

/* Create the loop, the pool and the listening socket on `listen` (its port
 * is filled in when it was 0). -1 with a message in err. */
int gr_worker_init(struct gr_worker *w, gr_net_addr *listen, char *err, size_t errcap);
/* Serve metrics (only) on `addr` too; its port is filled in if it was 0. */
int gr_worker_listen_metrics(struct gr_worker *w, gr_net_addr *addr, char *err, size_t errcap);
/* The thread's body: run the loop until the worker has stopped. */
void *gr_worker_run(void *arg);
/* Thread-safe: ask the worker to stop gracefully. */
void gr_worker_request_stop(struct gr_worker *w);
void gr_worker_free(struct gr_worker *w);
/* A whole request has been read: decide and answer or forward it. */
void gr_worker_handle(struct gr_client *c);
/* A request's first byte was read (or the parser refused its bytes): it
 * counts as in flight until gr_worker_request_done. Once per request. */
void gr_worker_request_begin(struct gr_client *c);
/* A request is answered (or its client gone): the count a graceful stop
 * waits on. */
void gr_worker_request_done(struct gr_worker *w);
/* A client connection was closed: resume accepting if it was paused. */
void gr_worker_client_gone(struct gr_worker *w);
/* "Date: ...\r\n" for the current second. */
const char *gr_worker_date(struct gr_worker *w);
void gr_worker_log(const struct gr_client *c, int code, size_t bytes);

struct gr_proxy {
    gr_proxy_config cfg;
    gr_cidr trusted[GR_PROXY_MAX_TRUSTED];
    gr_req_policy policy;
    gr_cache *cache;
    gr_resolver *resolver;
    gr_net_addr upstream;
    char address[80];
    char metrics_address[80]; /* empty without --metrics-listen */
    unsigned n;
    unsigned max_connections; /* the limit in force (cfg's, or from RLIMIT_NOFILE) */
    struct gr_worker *w;
    pthread_mutex_t log_lock; /* one access-log line at a time */
};

#endif
