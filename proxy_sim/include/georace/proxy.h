/*
 * proxy.h - the HTTP reverse proxy with country blocking, in its real shape:
 * N worker threads, each with its own libuv loop and SO_REUSEPORT listening
 * socket, HTTP parsed by http-parser on both sides, all resolving through ONE
 * shared resolver and cache. The shared cache is the point: it is what races.
 *
 * Per request: requester IP (requester.h, trusted proxies) -> resolver ->
 * access rule, decided by gr_decide (decide.h, the simulator's judge too)
 * -> 403, or forward to the upstream over a per-worker pool of keep-alive
 * connections. Every response carries X-Geo-Country (a country
 * code, a reserved zone name, or "-" when unknown), including the proxy's
 * answers to requests it cannot parse.
 *
 * Status codes of the proxy itself:
 *   400  malformed request (RFC 9112 framing, header names, Host rules), or
 *        garbage in the requester IP header; it closes the connection
 *   403  country blocked (short text body)
 *   404  on the metrics listener, any path but /metrics
 *   405  CONNECT (the proxy does not tunnel)
 *   413  a body larger than max_body_size (refused on its Content-Length,
 *        before the body is sent, when there is one)
 *   431  request line and headers larger than max_header_size
 *   500  the geo backend failed
 *   501  an unknown method, or a protocol upgrade
 *   502  the upstream refused, reset or sent garbage
 *   503  every upstream connection busy and the wait queue full
 *   504  the upstream did not answer within upstream_timeout, or no
 *        upstream connection came free within upstream_queue_timeout
 *   505  an HTTP version other than 1.0 and 1.1
 * Deadlines per connection: idle_timeout between requests, read_timeout from
 * a request's first byte to its last, write_timeout for the answer;
 * upstream_timeout from sending a request upstream to the end of its answer.
 * A request body is read whole (up to max_body_size) and forwarded with a
 * Content-Length. The upstream's answer is streamed, of any size, with at
 * most GR_PROXY_STREAM_HIGH (64 KiB) plus one read of it held per
 * connection: a client that reads slowly stops the proxy reading the
 * upstream (backpressure). Buffers that grew for one message are freed
 * when the connection goes idle.
 */
#ifndef GEORACE_PROXY_H
#define GEORACE_PROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "georace/access.h"
#include "georace/cache.h"
#include "georace/geodb.h"
#include "georace/requester.h"

#define GR_PROXY_MAX_TRUSTED 64

typedef struct gr_proxy gr_proxy;

typedef struct gr_proxy_config {
    const char *listen;      /* "ADDR:PORT", port 0 = ephemeral */
    const char *upstream;    /* "ADDR:PORT" */
    unsigned workers;        /* event loops, >= 1 */
    const char *variant;     /* cache variant (cache.h) */
    gr_cache_config cache;   /* variant knobs */
    gr_geodb *db;            /* required; not owned */
    gr_access access;        /* block/allow rule */
    gr_req_policy policy;    /* requester IP trust (pointers must outlive the proxy) */
    uint64_t cache_clear_ns; /* resolver clear ticker, 0 = never */
    FILE *access_log;        /* NULL = none */
    size_t max_header_size;  /* bytes, request line + headers */
    size_t max_body_size;    /* bytes */
    uint64_t read_timeout_ns, write_timeout_ns, idle_timeout_ns;
    uint64_t upstream_timeout_ns;
    uint64_t shutdown_timeout_ns; /* graceful shutdown deadline */
    unsigned upstream_pool;       /* max upstream connections per worker */
    unsigned max_connections;     /* client connections, all workers; 0 = from RLIMIT_NOFILE */
    const char *metrics_listen;   /* "ADDR:PORT" serving /metrics only; NULL = none */
    unsigned upstream_queue;      /* requests waiting for one, per worker (503 beyond) */
    uint64_t upstream_queue_timeout_ns; /* longest wait for one (504 after) */
} gr_proxy_config;

void gr_proxy_config_default(gr_proxy_config *cfg);
/* Create the cache and resolver, bind, start the workers. -1 with err. */
int gr_proxy_start(const gr_proxy_config *cfg, gr_proxy **out, char *err, size_t errcap);
const char *gr_proxy_address(const gr_proxy *p);
/* The bound metrics address, or NULL without metrics_listen. */
const char *gr_proxy_metrics_address(const gr_proxy *p);
/* The client connection limit in force. */
unsigned gr_proxy_max_connections(const gr_proxy *p);
/* Graceful stop: stop accepting, let requests in flight finish (up to the
 * shutdown deadline), join the workers, free. Returns the number of requests
 * that were still in flight at the deadline (0 = clean). */
unsigned gr_proxy_stop(gr_proxy *p);

#endif
