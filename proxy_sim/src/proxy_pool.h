/*
 * proxy_pool.h - forwarding: a worker's pool of keep-alive connections to
 * the upstream (proxy_pool.c), and the one interface through which a
 * request is handed to it.
 *
 * A request to forward is a struct gr_fwd, embedded in whatever owns the
 * request (a client connection). Its owner fills in the request - message,
 * method, peer - and the completion callback, and calls gr_pool_forward.
 * The pool keeps its own bookkeeping in the same struct (the wait queue,
 * the connection, whether it was retried) and never reads or writes
 * anything else of the owner: it does not answer the client. When the
 * exchange is over it calls `done` exactly once, with an outcome; the owner
 * reaches itself back with GR_CONTAINER_OF and writes the answer. That is
 * nginx's split between ngx_http_upstream_t and finalize_request.
 *
 * Threading: a pool and every gr_fwd handed to it belong to one worker's
 * loop thread; nothing here is shared, nothing is synchronized.
 */
#ifndef GEORACE_PROXY_POOL_H
#define GEORACE_PROXY_POOL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include <http_parser.h>
#include <uv.h>

#include "georace/netaddr.h"
#include "georace/proxy.h"
#include "proxy_metrics.h"
#include "proxy_msg.h"
#include "proxy_request.h"

/* An answer's body is streamed, never stored: the pool stops reading the
 * upstream while the owner has more than this much of it still to write. */
#define GR_PROXY_STREAM_HIGH 65536

enum gr_fwd_outcome {
    GR_FWD_ANSWERED,      /* the upstream's answer is complete */
    GR_FWD_BAD_GATEWAY,   /* refused, reset, closed early or garbage (502) */
    GR_FWD_TIMEOUT,       /* no whole answer within the upstream timeout (504) */
    GR_FWD_INTERNAL,      /* out of memory in the proxy (500) */
    GR_FWD_QUEUE_FULL,    /* every connection busy and the wait queue full (503) */
    GR_FWD_QUEUE_TIMEOUT, /* no connection came free within the queue timeout (504) */
};

struct gr_fwd;
struct gr_pool_conn;

/* The exchange is over. With GR_FWD_ANSWERED, `status` and `resp` are the
 * upstream's answer; the callee may take its body (gr_buf_swap), and may
 * not keep `resp` past the call. Otherwise status is 0 and resp NULL. The
 * pool has let go of `f` before the call: the callee may forward it again. */
typedef void (*gr_fwd_done_fn)(struct gr_fwd *f, enum gr_fwd_outcome outcome, int status,
                               struct gr_msg *resp);
/* The final answer's head is read: `status`, its headers in `resp`, and the
 * body's length (UINT64_MAX: unknown - chunked, or up to the upstream's
 * end of stream; 0 for HEAD or a status without body). */
typedef void (*gr_fwd_head_fn)(struct gr_fwd *f, int status, const struct gr_msg *resp,
                               uint64_t length);
/* A piece of the answer's decoded body. Non-zero: the owner holds more
 * than GR_PROXY_STREAM_HIGH unwritten, and the pool stops reading the
 * upstream until gr_pool_resume. */
typedef int (*gr_fwd_body_fn)(struct gr_fwd *f, const char *data, size_t len);
/* The pool has parsed all it read of the answer for now and waits for more:
 * what head and body gathered goes out in one write (done writes the rest
 * when the answer ends). */
typedef void (*gr_fwd_flush_fn)(struct gr_fwd *f);
/* A streamed request body: the pool can take more (gr_pool_push). */
typedef void (*gr_fwd_drained_fn)(struct gr_fwd *f);

struct gr_fwd {
    /* the request, filled in by its owner before gr_pool_forward */
    const struct gr_msg *req; /* target, end-to-end headers, body */
    enum http_method method;
    const char *peer;  /* the peer's address as the proxy formatted it, for X-Forwarded-For */
    bool peer_trusted; /* the peer's X-Forwarded-For chain is kept (proxy_request.h) */
    const char *geo;   /* X-Geo-Country for the upstream */
    /* 0: req holds the whole body. Else the body streams after the head
     * through gr_pool_push: its declared length, or GR_REQUEST_CHUNKED
     * (re-chunked upstream); such a request is never sent twice */
    uint64_t stream_length;
    gr_fwd_drained_fn drained; /* streamed bodies only */
    gr_fwd_head_fn head;
    gr_fwd_body_fn body;
    gr_fwd_flush_fn flush; /* after each read that did not end the answer */
    gr_fwd_done_fn done;   /* after head and body: the answer ended, or failed */
    /* the pool's own; the owner never touches them */
    struct gr_fwd *wait_next;  /* the wait queue */
    uint64_t queued_ms;        /* when it joined the queue (loop time) */
    struct gr_pool_conn *conn; /* the connection carrying the request */
    bool queued, retried;      /* waiting for a connection; sent a second time */
};

struct gr_pool {
    uv_loop_t *loop;
    struct gr_metrics *metrics; /* upstream errors are counted here */
    struct sockaddr_storage addr;
    char hostport[80];
    uint64_t timeout_ms;
    size_t max_head;            /* of an upstream answer */
    struct gr_pool_conn **idle; /* a stack */
    unsigned n, n_idle, cap;
    struct gr_pool_conn *all;
    struct gr_fwd *wait_head, *wait_tail; /* requests waiting for a connection */
    unsigned n_waiting, queue_cap;
    uint64_t queue_timeout_ms;
    uv_timer_t queue_timer; /* the oldest waiting request's deadline */
};

/* A pool on `loop` for the upstream at `upstream`, sized and timed by the
 * proxy's configuration. 0, or -1 when out of memory. */
int gr_pool_init(struct gr_pool *pool, uv_loop_t *loop, struct gr_metrics *metrics,
                 const gr_net_addr *upstream, const gr_proxy_config *cfg);
/* Send the request of `f` upstream; `f->done` reports how it ended. */
void gr_pool_forward(struct gr_pool *pool, struct gr_fwd *f);
/* A streamed body: hand the upstream every byte of `body` (which is then
 * emptied) and, with `end`, the body's end. 1: taken; 0: not now (no
 * connection yet, or a write in flight), f->drained will say when; -1: the
 * exchange is over (answered, failed or never streaming): nothing more
 * goes. Taking the bytes may end the exchange (f->done, a write failed). */
int gr_pool_push(struct gr_pool *pool, struct gr_fwd *f, struct gr_buf *body, bool end);
/* The owner of `f` has written enough of the answer: read on. */
void gr_pool_resume(struct gr_pool *pool, struct gr_fwd *f);
/* The owner of `f` is gone: forget its request, if it is still in the pool
 * (its answer, if any, is dropped; `done` is not called). */
void gr_pool_cancel(struct gr_pool *pool, struct gr_fwd *f);
/* Close every connection and forget every request (teardown). */
void gr_pool_close_all(struct gr_pool *pool);
void gr_pool_free(struct gr_pool *pool);

#endif
