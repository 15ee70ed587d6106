/*
 * proxy_pool.c - a worker's keep-alive connections to the upstream, and the
 * forwarding of requests over them (the interface is in proxy_pool.h).
 *
 * One request at a time per connection. A request takes an idle connection
 * (a stack: the most recently used, whose socket is warmest), else opens a
 * new one while the pool may grow, else waits in a FIFO queue for the next
 * connection to come free. The queue is bounded (a request that finds it
 * full gets a 503 at once) and timed (one that waits longer than the queue
 * timeout gets a 504), so a burst to a slow upstream path holds other
 * clients for at most the queue timeout, not the upstream timeout. The request (head and body) is
 * built into the connection's own buffer, so an owner that goes away mid-exchange leaves nothing
 * dangling: its connection is closed, as the answer still on its way would otherwise arrive for the
 * next request.
 *
 * The upstream may close an idle keep-alive connection at any moment; an
 * idempotent request that meets such a connection (closed or reset before
 * a single byte of answer) is sent once more on a fresh one; any other
 * gets a 502, as the upstream may have acted on it. Any other failure ends
 * the exchange as a bad gateway, no whole answer within the upstream
 * timeout as a timeout.
 *
 * An answer is streamed: its head goes to the owner as soon as it is
 * parsed, its body piece by piece as it is read, nothing of it is stored.
 * When the owner has more than GR_PROXY_STREAM_HIGH left to write, the pool
 * stops reading that upstream connection (the kernel's window then slows
 * the upstream) until the owner calls gr_pool_resume; so a connection
 * holds a bounded amount of answer whatever its size. The upstream timeout
 * is then one of inactivity: it restarts with every read, and does not run
 * while the owner's client is the slow side. However it ends, the owner hears of it once,
 * through its callback, after the pool has let go of the request - so the
 * callback may write the answer and forward the owner's next request at
 * once, and the pool touches nothing of the request after the call.
 *
 * Threading: owned by one worker's loop thread; no synchronization.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "proxy_pool.h"

struct gr_pool_conn {
    uv_tcp_t tcp;
    uv_timer_t timer;
    uv_connect_t connect;
    uv_write_t wreq;
    http_parser parser;
    struct gr_msg resp;
    struct gr_pool *pool;
    struct gr_fwd *fwd; /* the request on this connection, if any */
    struct gr_pool_conn *prev, *next;
    struct gr_buf out; /* the request: head and body */
    unsigned handles;
    bool connected, writing, reused, got_bytes, closing;
    bool streaming; /* the head went to the owner: a failure now cuts the answer */
    bool throttled; /* the owner asked the pool to stop reading (backpressure) */
    bool reading;
    bool body_open; /* a streamed request body is still being sent */
    char rbuf[GR_PROXY_READ_BUF];
};

static void gr_pool_dispatch(struct gr_pool *pool, struct gr_fwd *f);
static void gr_pool_conn_send(struct gr_pool_conn *conn, struct gr_fwd *f);
static void gr_pool_conn_read(struct gr_pool_conn *conn);
static void gr_pool_conn_write(struct gr_pool_conn *conn);

/* ---- the pool ------------------------------------------------------------------- */

int
gr_pool_init(struct gr_pool *pool, uv_loop_t *loop, struct gr_metrics *metrics,
             const gr_net_addr *upstream, const gr_proxy_config *cfg)
{
    memset(pool, 0, sizeof *pool);
    pool->loop = loop;
    pool->metrics = metrics;
    pool->cap = cfg->upstream_pool ? cfg->upstream_pool : 1;
    memcpy(&pool->addr, &upstream->ss, sizeof pool->addr);
    gr_net_format(upstream, pool->hostport, sizeof pool->hostport);
    uint64_t ms = cfg->upstream_timeout_ns / 1000000u;
    pool->timeout_ms = ms ? ms : 1;
    pool->max_head = cfg->max_header_size * 4;
    pool->queue_cap = cfg->upstream_queue;
    ms = cfg->upstream_queue_timeout_ns / 1000000u;
    pool->queue_timeout_ms = ms ? ms : 1;
    uv_timer_init(loop, &pool->queue_timer);
    pool->queue_timer.data = pool;
    pool->idle = calloc(pool->cap, sizeof *pool->idle);
    return pool->idle ? 0 : -1;
}

/* The exchange of `f` is over: tell its owner (the last use of `f`). */
static void
gr_pool_done(struct gr_fwd *f, enum gr_fwd_outcome outcome, int status, struct gr_msg *resp)
{
    f->done(f, outcome, status, resp);
}

static void gr_pool_on_queue_timer(uv_timer_t *t);

static void
gr_pool_arm_queue_timer(struct gr_pool *pool)
{
    if (!pool->wait_head) {
        uv_timer_stop(&pool->queue_timer);
        return;
    }
    uint64_t now = uv_now(pool->loop), due = pool->wait_head->queued_ms + pool->queue_timeout_ms;
    uv_timer_start(&pool->queue_timer, gr_pool_on_queue_timer, due > now ? due - now : 0, 0);
}

/* Wait for a connection, if there is room in the queue; else 503. */
static void
gr_pool_enqueue(struct gr_pool *pool, struct gr_fwd *f)
{
    if (pool->n_waiting >= pool->queue_cap) {
        gr_metrics_inc(&pool->metrics->upstream_errors[GR_METRICS_UP_QUEUE_FULL]);
        gr_pool_done(f, GR_FWD_QUEUE_FULL, 0, NULL);
        return;
    }
    f->queued = true;
    f->wait_next = NULL;
    f->queued_ms = uv_now(pool->loop);
    if (pool->wait_tail)
        pool->wait_tail->wait_next = f;
    else
        pool->wait_head = f;
    pool->wait_tail = f;
    if (pool->n_waiting++ == 0)
        gr_pool_arm_queue_timer(pool);
}

static struct gr_fwd *
gr_pool_dequeue(struct gr_pool *pool)
{
    struct gr_fwd *f = pool->wait_head;
    if (!f)
        return NULL;
    pool->wait_head = f->wait_next;
    if (!pool->wait_head)
        pool->wait_tail = NULL;
    f->queued = false;
    f->wait_next = NULL;
    pool->n_waiting--;
    return f;
}

static void
gr_pool_unqueue(struct gr_pool *pool, struct gr_fwd *f)
{
    struct gr_fwd **pp = &pool->wait_head, *prev = NULL;
    while (*pp && *pp != f) {
        prev = *pp;
        pp = &(*pp)->wait_next;
    }
    if (*pp) {
        *pp = f->wait_next;
        pool->n_waiting--;
    }
    if (pool->wait_tail == f)
        pool->wait_tail = prev;
    f->queued = false;
    f->wait_next = NULL;
}

/* The queue is FIFO, so deadlines come in order: answer every request that
 * waited its full time with a 504, then wait for the next deadline. */
static void
gr_pool_on_queue_timer(uv_timer_t *t)
{
    struct gr_pool *pool = t->data;
    uint64_t now = uv_now(pool->loop);
    while (pool->wait_head && now - pool->wait_head->queued_ms >= pool->queue_timeout_ms) {
        struct gr_fwd *f = gr_pool_dequeue(pool);
        gr_metrics_inc(&pool->metrics->upstream_errors[GR_METRICS_UP_QUEUE_TIMEOUT]);
        gr_pool_done(f, GR_FWD_QUEUE_TIMEOUT, 0, NULL);
    }
    gr_pool_arm_queue_timer(pool);
}

static void
gr_pool_unidle(struct gr_pool *pool, struct gr_pool_conn *conn)
{
    for (unsigned i = 0; i < pool->n_idle; i++) {
        if (pool->idle[i] == conn) {
            pool->idle[i] = pool->idle[--pool->n_idle];
            return;
        }
    }
}

/* A connection came free or went away: serve the queue. */
static void
gr_pool_kick(struct gr_pool *pool)
{
    while (pool->wait_head && (pool->n_idle > 0 || pool->n < pool->cap))
        gr_pool_dispatch(pool, gr_pool_dequeue(pool));
}

/* ---- one connection ------------------------------------------------------------- */

static void
gr_pool_conn_on_close(uv_handle_t *h)
{
    struct gr_pool_conn *conn = h->data;
    if (--conn->handles > 0)
        return;
    gr_msg_free(&conn->resp);
    gr_buf_free(&conn->out);
    free(conn);
}

/* Take the connection out of the pool and close it; its request, if any,
 * must have been detached first. */
static void
gr_pool_conn_close(struct gr_pool_conn *conn)
{
    struct gr_pool *pool = conn->pool;
    if (conn->closing)
        return;
    conn->closing = true;
    gr_pool_unidle(pool, conn);
    if (conn->prev)
        conn->prev->next = conn->next;
    else
        pool->all = conn->next;
    if (conn->next)
        conn->next->prev = conn->prev;
    pool->n--;
    uv_close((uv_handle_t *)&conn->timer, gr_pool_conn_on_close);
    uv_close((uv_handle_t *)&conn->tcp, gr_pool_conn_on_close);
}

static struct gr_fwd *
gr_pool_conn_detach(struct gr_pool_conn *conn)
{
    struct gr_fwd *f = conn->fwd;
    conn->fwd = NULL;
    if (f)
        f->conn = NULL;
    uv_timer_stop(&conn->timer);
    return f;
}

static bool
gr_pool_idempotent(enum http_method m)
{
    return m == HTTP_GET || m == HTTP_HEAD || m == HTTP_OPTIONS || m == HTTP_TRACE ||
           m == HTTP_PUT || m == HTTP_DELETE;
}

/* The exchange failed: close the connection, and send the request once
 * more if it met an idle connection the upstream had closed, else report. */
static void
gr_pool_conn_fail(struct gr_pool_conn *conn, enum gr_metrics_upstream_error kind)
{
    struct gr_pool *pool = conn->pool;
    /* only an idempotent request may go again (RFC 9110 9.2.2): the upstream
     * may have acted on a POST before the connection went */
    bool stale = conn->reused && !conn->got_bytes && kind == GR_METRICS_UP_REFUSED && conn->fwd &&
                 gr_pool_idempotent(conn->fwd->method) && !conn->fwd->stream_length;
    struct gr_fwd *f = gr_pool_conn_detach(conn);
    gr_pool_conn_close(conn);
    if (f && stale && !f->retried) {
        f->retried = true;
        gr_pool_dispatch(pool, f);
    } else if (f) {
        gr_metrics_inc(&pool->metrics->upstream_errors[kind]);
        gr_pool_done(f, kind == GR_METRICS_UP_TIMEOUT ? GR_FWD_TIMEOUT : GR_FWD_BAD_GATEWAY, 0,
                     NULL);
    }
    gr_pool_kick(pool);
}

static void
gr_pool_conn_on_timeout(uv_timer_t *t)
{
    gr_pool_conn_fail(t->data, GR_METRICS_UP_TIMEOUT);
}

/* The answer is complete: hand it over, then reuse the connection or close it. */
static void
gr_pool_conn_finish(struct gr_pool_conn *conn, bool reusable)
{
    struct gr_pool *pool = conn->pool;
    struct gr_fwd *f = gr_pool_conn_detach(conn);
    conn->streaming = conn->throttled = false;
    if (f)
        gr_pool_done(f, GR_FWD_ANSWERED, conn->parser.status_code, &conn->resp);
    if (conn->closing)
        return; /* the owner's answer ended the worker, which closed the pool */
    if (!conn->reading)
        gr_pool_conn_read(conn); /* backpressure had stopped it */
    /* an answer that came before the request was all sent (an early error)
     * leaves the rest of the request in the way of the next one */
    if (reusable && !conn->writing && !conn->body_open && http_should_keep_alive(&conn->parser)) {
        gr_msg_trim(&conn->resp); /* an idle connection keeps small buffers only */
        gr_buf_trim(&conn->out, GR_PROXY_IDLE_KEEP);
        conn->reused = true;
        conn->got_bytes = false;
        http_parser_pause(&conn->parser, 0);
        struct gr_fwd *next = gr_pool_dequeue(pool);
        if (next)
            gr_pool_conn_send(conn, next);
        else
            pool->idle[pool->n_idle++] = conn;
    } else {
        gr_pool_conn_close(conn);
        gr_pool_kick(pool);
    }
}

static bool
gr_pool_interim(int status)
{
    return status >= 100 && status < 200 && status != 101;
}

static int
gr_pool_conn_on_headers(http_parser *hp)
{
    struct gr_pool_conn *conn = GR_CONTAINER_OF(hp->data, struct gr_pool_conn, resp);
    if (gr_msg_end_head(&conn->resp) || !conn->fwd)
        return -1;
    bool head = conn->fwd->method == HTTP_HEAD;
    if (!gr_pool_interim(hp->status_code)) {
        uint64_t length = hp->content_length;
        if (head || hp->status_code == 204 || hp->status_code == 304)
            length = 0;
        else if ((hp->flags & F_CHUNKED) || length == ULLONG_MAX)
            length = UINT64_MAX;
        conn->streaming = true;
        conn->fwd->head(conn->fwd, hp->status_code, &conn->resp, length);
        if (!conn->fwd)
            return -1; /* the owner went away */
    }
    return head ? 1 : 0; /* 1: no body follows */
}

static int
gr_pool_conn_on_body(http_parser *hp, const char *at, size_t len)
{
    struct gr_pool_conn *conn = GR_CONTAINER_OF(hp->data, struct gr_pool_conn, resp);
    if (!conn->fwd || !conn->streaming)
        return conn->fwd ? 0 : -1; /* an interim answer's body: none is allowed */
    if (conn->fwd->body(conn->fwd, at, len))
        conn->throttled = true;
    return conn->fwd ? 0 : -1;
}

static int
gr_pool_conn_on_complete(http_parser *hp)
{
    struct gr_pool_conn *conn = GR_CONTAINER_OF(hp->data, struct gr_pool_conn, resp);
    if (gr_pool_interim(hp->status_code)) {
        gr_msg_reset(&conn->resp); /* an interim answer: the final one follows */
        return 0;
    }
    http_parser_pause(hp, 1); /* the only pause: it marks the answer complete */
    return 0;
}

static const http_parser_settings gr_pool_conn_settings = {
    .on_status = gr_msg_on_start,
    .on_header_field = gr_msg_on_field,
    .on_header_value = gr_msg_on_value,
    .on_headers_complete = gr_pool_conn_on_headers,
    .on_body = gr_pool_conn_on_body,
    .on_message_complete = gr_pool_conn_on_complete,
};

static bool
gr_pool_conn_complete(const struct gr_pool_conn *conn)
{
    return HTTP_PARSER_ERRNO(&conn->parser) == HPE_PAUSED;
}

static void
gr_pool_conn_on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    struct gr_pool_conn *conn = h->data;
    (void)suggested;
    *buf = uv_buf_init(conn->rbuf, sizeof conn->rbuf);
}

static void
gr_pool_conn_on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    struct gr_pool_conn *conn = s->data;
    if (nread == 0)
        return;
    if (nread > 0 && conn->fwd && !gr_pool_conn_complete(conn)) {
        conn->got_bytes = true;
        uv_timer_again(&conn->timer); /* the upstream timeout: of inactivity */
        size_t n =
            http_parser_execute(&conn->parser, &gr_pool_conn_settings, buf->base, (size_t)nread);
        if (gr_pool_conn_complete(conn)) {
            gr_pool_conn_finish(conn, n == (size_t)nread); /* bytes beyond it: do not reuse */
            return;
        }
        if (HTTP_PARSER_ERRNO(&conn->parser) != HPE_OK) {
            gr_pool_conn_fail(conn, GR_METRICS_UP_REFUSED);
            return;
        }
        if (conn->streaming && conn->fwd)
            conn->fwd->flush(conn->fwd); /* one write per read; it may resume or cancel */
        if (conn->throttled && conn->fwd) {
            uv_read_stop((uv_stream_t *)&conn->tcp); /* the client is the slow side */
            conn->reading = false;
            uv_timer_stop(&conn->timer);
        }
        return;
    }
    if (nread == UV_EOF && conn->fwd && conn->got_bytes) {
        /* an answer delimited by the end of the connection */
        http_parser_execute(&conn->parser, &gr_pool_conn_settings, NULL, 0);
        if (gr_pool_conn_complete(conn)) {
            gr_pool_conn_finish(conn, false);
            return;
        }
    }
    if (conn->fwd) {
        gr_pool_conn_fail(conn, GR_METRICS_UP_REFUSED);
        return;
    }
    gr_pool_conn_close(conn); /* idle and closed, reset, or talking out of turn */
    gr_pool_kick(conn->pool);
}

static void
gr_pool_conn_read(struct gr_pool_conn *conn)
{
    if (uv_read_start((uv_stream_t *)&conn->tcp, gr_pool_conn_on_alloc, gr_pool_conn_on_read) == 0)
        conn->reading = true;
}

int
gr_pool_push(struct gr_pool *pool, struct gr_fwd *f, struct gr_buf *body, bool end)
{
    struct gr_pool_conn *conn = f->conn;
    (void)pool;
    if (!conn)
        return f->queued ? 0 : -1;
    if (!conn->body_open || conn->closing)
        return -1;
    if (body->len == 0 && !end)
        return 1;
    if (!conn->connected || conn->writing)
        return 0;
    if (gr_buf_add_chunk(&conn->out, body->p, body->len, f->stream_length == GR_REQUEST_CHUNKED,
                         end)) {
        gr_pool_conn_fail(conn, GR_METRICS_UP_REFUSED);
        return -1;
    }
    body->len = 0;
    conn->body_open = !end;
    uv_timer_again(&conn->timer); /* the upstream timeout: of inactivity, both ways */
    gr_pool_conn_write(conn);
    return 1;
}

void
gr_pool_resume(struct gr_pool *pool, struct gr_fwd *f)
{
    struct gr_pool_conn *conn = f->conn;
    (void)pool;
    if (!conn || !conn->throttled || conn->closing)
        return;
    conn->throttled = false;
    if (!conn->reading) {
        gr_pool_conn_read(conn);
        uv_timer_start(&conn->timer, gr_pool_conn_on_timeout, conn->pool->timeout_ms,
                       conn->pool->timeout_ms);
    }
}

/* All of conn->out is written: a streamed body may go on. */
static void
gr_pool_conn_wrote(struct gr_pool_conn *conn)
{
    conn->out.len = 0;
    if (conn->fwd && conn->body_open && !conn->closing)
        conn->fwd->drained(conn->fwd);
}

static void
gr_pool_conn_on_written(uv_write_t *req, int status)
{
    struct gr_pool_conn *conn = req->data;
    conn->writing = false;
    if (status < 0 && !conn->closing && conn->fwd)
        gr_pool_conn_fail(conn, GR_METRICS_UP_REFUSED);
    else if (status == 0)
        gr_pool_conn_wrote(conn);
}

/* At once when the socket takes the whole request (no write request and no
 * epoll change), else the rest through a queued write. */
static void
gr_pool_conn_write(struct gr_pool_conn *conn)
{
    uv_buf_t b = uv_buf_init(conn->out.p, (unsigned)conn->out.len);
    int done = uv_try_write((uv_stream_t *)&conn->tcp, &b, 1);
    if (done >= 0 && (size_t)done == conn->out.len) {
        gr_pool_conn_wrote(conn);
        return;
    }
    if (done < 0 && done != UV_EAGAIN) {
        gr_pool_conn_fail(conn, GR_METRICS_UP_REFUSED);
        return;
    }
    if (done > 0) {
        b.base += done;
        b.len -= (size_t)done;
    }
    conn->wreq.data = conn;
    if (uv_write(&conn->wreq, (uv_stream_t *)&conn->tcp, &b, 1, gr_pool_conn_on_written))
        gr_pool_conn_fail(conn, GR_METRICS_UP_REFUSED);
    else
        conn->writing = true;
}

static void
gr_pool_conn_on_connect(uv_connect_t *req, int status)
{
    struct gr_pool_conn *conn = req->data;
    struct gr_pool *pool = conn->pool;
    if (conn->closing)
        return;
    if (status == 0)
        gr_pool_conn_read(conn);
    if (status < 0 || !conn->reading) {
        struct gr_fwd *f = gr_pool_conn_detach(conn);
        gr_pool_conn_close(conn);
        if (f) { /* refused: no retry, a fresh connection would fare no better */
            gr_metrics_inc(&pool->metrics->upstream_errors[GR_METRICS_UP_REFUSED]);
            gr_pool_done(f, GR_FWD_BAD_GATEWAY, 0, NULL);
        }
        gr_pool_kick(pool);
        return;
    }
    conn->connected = true;
    uv_tcp_nodelay(&conn->tcp, 1);
    if (conn->fwd)
        gr_pool_conn_write(conn);
}

static struct gr_pool_conn *
gr_pool_conn_new(struct gr_pool *pool)
{
    struct gr_pool_conn *conn = malloc(sizeof *conn);
    if (!conn)
        return NULL;
    memset(conn, 0, offsetof(struct gr_pool_conn, rbuf));
    conn->pool = pool;
    uv_tcp_init(pool->loop, &conn->tcp);
    uv_timer_init(pool->loop, &conn->timer);
    conn->tcp.data = conn->timer.data = conn->connect.data = conn;
    conn->handles = 2;
    http_parser_init(&conn->parser, HTTP_RESPONSE);
    gr_msg_init(&conn->resp, pool->max_head, 0); /* the body is streamed, never stored */
    conn->parser.data = &conn->resp;
    conn->next = pool->all;
    if (pool->all)
        pool->all->prev = conn;
    pool->all = conn;
    pool->n++;
    return conn;
}

static void
gr_pool_conn_send(struct gr_pool_conn *conn, struct gr_fwd *f)
{
    struct gr_pool *pool = conn->pool;
    const struct gr_request_out r = {f->req, f->method,      f->peer,         f->peer_trusted,
                                     f->geo, pool->hostport, f->stream_length};
    if (gr_request_build(&r, &conn->out)) {
        gr_pool_unidle(pool, conn);
        pool->idle[pool->n_idle++] = conn;
        gr_pool_done(f, GR_FWD_INTERNAL, 0, NULL);
        return;
    }
    conn->fwd = f;
    f->conn = conn;
    conn->body_open = f->stream_length != 0;
    /* repeat = timeout: uv_timer_again restarts it on every read */
    uv_timer_start(&conn->timer, gr_pool_conn_on_timeout, pool->timeout_ms, pool->timeout_ms);
    if (conn->connected) {
        gr_pool_conn_write(conn);
        return;
    }
    int rc = uv_tcp_connect(&conn->connect, &conn->tcp, (const struct sockaddr *)&pool->addr,
                            gr_pool_conn_on_connect);
    if (rc)
        gr_pool_conn_fail(conn, GR_METRICS_UP_REFUSED);
}

/* ---- forwarding ----------------------------------------------------------------- */

/* Put `f` on a connection: an idle one, a new one, or the wait queue. */
static void
gr_pool_dispatch(struct gr_pool *pool, struct gr_fwd *f)
{
    struct gr_pool_conn *conn = NULL;
    if (pool->n_idle > 0)
        conn = pool->idle[--pool->n_idle];
    else if (pool->n < pool->cap)
        conn = gr_pool_conn_new(pool);
    else {
        gr_pool_enqueue(pool, f);
        return;
    }
    if (!conn) {
        gr_pool_done(f, GR_FWD_INTERNAL, 0, NULL);
        return;
    }
    gr_pool_conn_send(conn, f);
}

void
gr_pool_forward(struct gr_pool *pool, struct gr_fwd *f)
{
    f->wait_next = NULL;
    f->conn = NULL;
    f->queued = false;
    f->retried = false;
    gr_pool_dispatch(pool, f);
}

void
gr_pool_cancel(struct gr_pool *pool, struct gr_fwd *f)
{
    if (f->queued)
        gr_pool_unqueue(pool, f);
    if (f->conn) {
        /* the exchange is abandoned: a connection with an answer still on
         * its way cannot serve another request */
        struct gr_pool_conn *conn = f->conn;
        gr_pool_conn_detach(conn);
        gr_pool_conn_close(conn);
        gr_pool_kick(pool);
    }
}

void
gr_pool_close_all(struct gr_pool *pool)
{
    while (pool->wait_head)
        gr_pool_dequeue(pool);
    if (!uv_is_closing((uv_handle_t *)&pool->queue_timer))
        uv_close((uv_handle_t *)&pool->queue_timer, NULL);
    while (pool->all) {
        struct gr_pool_conn *conn = pool->all;
        gr_pool_conn_detach(conn);
        gr_pool_conn_close(conn);
    }
}

void
gr_pool_free(struct gr_pool *pool)
{
    free(pool->idle);
    pool->idle = NULL;
}
