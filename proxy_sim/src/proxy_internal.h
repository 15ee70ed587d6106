/*
 * proxy_internal.h - the proxy's private structures, shared by proxy.c
 * (start/stop), proxy_worker.c (the event loop and the request path),
 * proxy_client.c (client connections), proxy_upstream.c (the upstream pool),
 * proxy_msg.c (parsed HTTP messages and response heads) and
 * proxy_metrics.c (counters and /-/metrics).
 *
 * The HTTP layer is libuv (one loop per worker) with http-parser on both
 * sides. Messages are parsed into a per-connection store that keeps its
 * capacity between requests, so a keep-alive exchange in the steady state
 * allocates nothing: no per-header allocation, no printf per header.
 *
 * Threading: everything in a worker belongs to that worker's loop thread,
 * except its metrics, which other workers read when they render
 * /-/metrics. Metrics therefore have one writer (the owning worker, plain
 * relaxed load + store, no read-modify-write) and any number of readers
 * (relaxed loads): statistics, never synchronization. The shared resolver
 * and cache synchronize themselves (or, for the buggy variants, do not:
 * that is what is under test). The only cross-thread signal is the stop
 * request, a uv_async_t.
 */
#ifndef GEORACE_PROXY_INTERNAL_H
#define GEORACE_PROXY_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <http_parser.h>
#include <uv.h>

#include "georace/netaddr.h"
#include "georace/proxy.h"
#include "georace/resolver.h"

#define GR_PROXY_READ_BUF 16384
/* The largest upstream response body the proxy stores and forwards. */
#define GR_PROXY_MAX_RESPONSE_BODY (64u << 20)
/* How long a closing connection drains what its client still sends, so the
 * close does not reset the answer away (lingering close). */
#define GR_PROXY_LINGER_MS 2000

/* ---- buffers and messages (proxy_msg.c) ---------------------------------- */

struct gr_buf {
    char *p;
    size_t len, cap;
};

int gr_buf_reserve(struct gr_buf *b, size_t extra);
int gr_buf_add(struct gr_buf *b, const void *data, size_t n);
int gr_buf_adds(struct gr_buf *b, const char *s);
int gr_buf_addu(struct gr_buf *b, unsigned long long v);
void gr_buf_swap(struct gr_buf *a, struct gr_buf *b);
void gr_buf_free(struct gr_buf *b);

enum gr_msg_error {
    GR_MSG_OK = 0,
    GR_MSG_HEAD_TOO_LARGE,
    GR_MSG_BODY_TOO_LARGE,
    GR_MSG_NOMEM,
};

struct gr_hdr {
    uint32_t name, value; /* offsets into text, each NUL-terminated */
    uint32_t name_len, value_len;
};

/* One parsed message: the start line's variable part (the request target,
 * or the response's reason phrase) at text[0], NUL-terminated, then every
 * header's name and value, each NUL-terminated; and the decoded body. */
struct gr_msg {
    struct gr_buf text;
    struct gr_hdr *hdrs;
    unsigned n_hdrs, cap_hdrs;
    struct gr_buf body;
    size_t max_head, max_body;
    enum gr_msg_error error;
    unsigned char part; /* what the last callback appended (proxy_msg.c) */
};

void gr_msg_init(struct gr_msg *m, size_t max_head, size_t max_body);
void gr_msg_reset(struct gr_msg *m);
void gr_msg_free(struct gr_msg *m);
/* http-parser data callbacks; parser->data must point at the gr_msg. */
int gr_msg_on_start(http_parser *hp, const char *at, size_t len); /* on_url, on_status */
int gr_msg_on_field(http_parser *hp, const char *at, size_t len);
int gr_msg_on_value(http_parser *hp, const char *at, size_t len);
int gr_msg_on_body(http_parser *hp, const char *at, size_t len);
/* Close the header block (from on_headers_complete). 0, or -1 with error. */
int gr_msg_end_head(struct gr_msg *m);
/* The header block was read whole (gr_msg_end_head ran). */
bool gr_msg_head_complete(const struct gr_msg *m);
/* Make a message the parser gave up on safe to read: the start line's part
 * terminated, no headers. */
void gr_msg_seal(struct gr_msg *m);
const char *gr_msg_start(const struct gr_msg *m);
const char *gr_msg_name(const struct gr_msg *m, unsigned i);
const char *gr_msg_value(const struct gr_msg *m, unsigned i);
/* The first header of that name (case-insensitive), or NULL. */
const char *gr_msg_header(const struct gr_msg *m, const char *name);
/* Hop-by-hop headers (RFC 9110 7.6.1), the framing headers the proxy
 * recomputes, and X-Geo-Country, which only the proxy writes. */
bool gr_msg_is_hop_header(const char *name, size_t len);
/* Append "name: value\r\n" for every end-to-end header of m except `skip`
 * (may be NULL). */
int gr_msg_copy_headers(const struct gr_msg *m, struct gr_buf *out, const char *skip);
const char *gr_http_reason(int code);

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
/* Render every worker's metrics, summed, in Prometheus text format. */
int gr_metrics_render(const struct gr_proxy *p, struct gr_buf *out);

/* ---- client connections (proxy_client.c) --------------------------------- */

enum gr_client_state {
    GR_CLIENT_IDLE,    /* waiting for a request (keep-alive) */
    GR_CLIENT_READING, /* a request has begun */
    GR_CLIENT_BUSY,    /* a whole request is being decided or forwarded */
    GR_CLIENT_WRITING, /* the answer is being written */
    GR_CLIENT_CLOSING, /* lingering close, then gone */
};

struct gr_upconn;

struct gr_client {
    uv_tcp_t tcp;
    uv_timer_t timer;
    uv_write_t wreq;
    uv_shutdown_t sreq;
    http_parser parser;
    struct gr_msg req;
    struct gr_proxy_worker *w;
    struct gr_client *prev, *next; /* the worker's connections */
    struct gr_client *wait_next;   /* the upstream pool's queue */
    struct gr_upconn *up;          /* forwarding this client's request */
    struct gr_buf head, body;      /* the answer being written */
    enum gr_client_state state;
    unsigned handles; /* uv handles not yet closed */
    bool reading, parsing, eof, keep_alive, counted, queued, retried, head_only;
    uint64_t t0;
    gr_ip peer;
    char peerstr[GR_IP_STRLEN];
    char clientstr[GR_IP_STRLEN];
    char geo[32];
    size_t rlen; /* unparsed bytes at rbuf[0] (pipelined requests) */
    char rbuf[GR_PROXY_READ_BUF];
};

/* Accept one connection from the worker's listener. */
void gr_client_accept(struct gr_proxy_worker *w);
/* Serve an already connected stream socket (used by the fuzz target). */
int gr_client_adopt(struct gr_proxy_worker *w, int fd);
/* The proxy's own answer: a short text body. */
void gr_client_reply(struct gr_client *c, int code, const char *text);
/* Answer with a status, the end-to-end headers of `from` (may be NULL), an
 * extra header block (may be NULL) and a body, which is taken over (its
 * buffer swapped with the client's). */
void gr_client_respond(struct gr_client *c, int code, const char *reason, const struct gr_msg *from,
                       const char *extra, struct gr_buf *body);
/* Stop accepting work: idle connections close now, busy ones after their
 * answer. Force closes every connection. */
void gr_client_stop_all(struct gr_proxy_worker *w, bool force);

/* ---- upstream connections (proxy_upstream.c) ----------------------------- */

struct gr_upconn {
    uv_tcp_t tcp;
    uv_timer_t timer;
    uv_connect_t connect;
    uv_write_t wreq;
    http_parser parser;
    struct gr_msg resp;
    struct gr_pool *pool;
    struct gr_client *client; /* the request on this connection, if any */
    struct gr_upconn *prev, *next;
    struct gr_buf out; /* the request: head and body */
    unsigned handles;
    bool connected, writing, reused, got_bytes, closing;
    char rbuf[GR_PROXY_READ_BUF];
};

struct gr_pool {
    struct gr_proxy_worker *w;
    struct sockaddr_storage addr;
    char hostport[80];
    uint64_t timeout_ms;
    struct gr_upconn **idle; /* a stack */
    unsigned n, n_idle, cap;
    struct gr_upconn *all;
    struct gr_client *wait_head, *wait_tail; /* requests waiting for a connection */
};

int gr_pool_init(struct gr_pool *pool, struct gr_proxy_worker *w, const gr_net_addr *upstream,
                 uint64_t timeout_ns, unsigned cap);
/* Forward the client's request; the client is answered later, by
 * gr_client_respond (the upstream's answer) or gr_client_reply (502, 504). */
void gr_pool_forward(struct gr_pool *pool, struct gr_client *c);
/* The client is gone: forget its request (its answer, if any, is dropped). */
void gr_pool_cancel(struct gr_pool *pool, struct gr_client *c);
void gr_pool_close_all(struct gr_pool *pool);
void gr_pool_free(struct gr_pool *pool);

/* ---- workers (proxy_worker.c) -------------------------------------------- */

struct gr_proxy_worker {
    struct gr_proxy *proxy;
    unsigned index;
    uv_loop_t loop;
    uv_tcp_t listener;
    uv_async_t stop_async; /* the controlling thread asks to stop */
    uv_timer_t deadline;   /* graceful shutdown deadline */
    bool loop_ready, listening;
    pthread_t thread;
    bool started;
    bool stopping;
    unsigned in_flight;        /* requests read and not yet answered */
    unsigned leftover;         /* in flight when the deadline hit */
    struct gr_client *clients; /* open client connections */
    time_t date_at;            /* second of the cached Date header */
    char date[40];             /* "Date: ...\r\n" */
    struct gr_pool pool;
    struct gr_metrics metrics;
};

int gr_proxy_worker_init(struct gr_proxy_worker *w, gr_net_addr *listen, char *err, size_t errcap);
void *gr_proxy_worker_run(void *arg);
/* Thread-safe: ask the worker to stop gracefully. */
void gr_proxy_worker_request_stop(struct gr_proxy_worker *w);
void gr_proxy_worker_free(struct gr_proxy_worker *w);
/* A whole request has been read: decide and answer or forward it. */
void gr_worker_handle(struct gr_client *c);
/* A whole request was read (or refused by the parser): it counts as in
 * flight until gr_worker_request_done. */
void gr_worker_request_begin(struct gr_client *c);
/* A request is answered (or its client gone): the count a graceful stop
 * waits on. */
void gr_worker_request_done(struct gr_proxy_worker *w);
/* "Date: ...\r\n" for the current second. */
const char *gr_worker_date(struct gr_proxy_worker *w);
void gr_worker_log(struct gr_client *c, int code, size_t bytes);

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
