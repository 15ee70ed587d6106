/*
 * proxy_upstream.c - a worker's keep-alive connections to the upstream.
 *
 * One request at a time per connection. A request takes an idle connection
 * (a stack: the most recently used, whose socket is warmest), else opens a
 * new one while the pool may grow, else waits in a FIFO queue for the next
 * connection to come free. The request (head and body) is built into the
 * connection's own buffer, so a client that goes away mid-exchange leaves
 * nothing dangling: its upstream connection is closed, as the answer still
 * on its way would otherwise arrive for the next request.
 *
 * The upstream may close an idle keep-alive connection at any moment; a
 * request that meets such a connection (closed or reset before a single
 * byte of answer) is sent once more on a fresh one. Any other failure is a
 * 502, and no answer within the upstream timeout a 504. Owned by one worker
 * thread: no synchronization.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "proxy_internal.h"

#define GR_UP_OF(hp) ((struct gr_upconn *)((char *)(hp)->data - offsetof(struct gr_upconn, resp)))

static void gr_up_send(struct gr_upconn *up, struct gr_client *c);

/* ---- the pool ------------------------------------------------------------------- */

int
gr_pool_init(struct gr_pool *pool, struct gr_proxy_worker *w, const gr_net_addr *upstream,
             uint64_t timeout_ns, unsigned cap)
{
    memset(pool, 0, sizeof *pool);
    pool->w = w;
    pool->cap = cap ? cap : 1;
    memcpy(&pool->addr, &upstream->ss, sizeof pool->addr);
    gr_net_format(upstream, pool->hostport, sizeof pool->hostport);
    pool->timeout_ms = timeout_ns / 1000000u ? timeout_ns / 1000000u : 1;
    pool->idle = calloc(pool->cap, sizeof *pool->idle);
    return pool->idle ? 0 : -1;
}

static void
gr_pool_enqueue(struct gr_pool *pool, struct gr_client *c)
{
    c->queued = true;
    c->wait_next = NULL;
    if (pool->wait_tail)
        pool->wait_tail->wait_next = c;
    else
        pool->wait_head = c;
    pool->wait_tail = c;
}

static struct gr_client *
gr_pool_dequeue(struct gr_pool *pool)
{
    struct gr_client *c = pool->wait_head;
    if (!c)
        return NULL;
    pool->wait_head = c->wait_next;
    if (!pool->wait_head)
        pool->wait_tail = NULL;
    c->queued = false;
    c->wait_next = NULL;
    return c;
}

static void
gr_pool_unidle(struct gr_pool *pool, struct gr_upconn *up)
{
    for (unsigned i = 0; i < pool->n_idle; i++) {
        if (pool->idle[i] == up) {
            pool->idle[i] = pool->idle[--pool->n_idle];
            return;
        }
    }
}

/* ---- one connection ------------------------------------------------------------- */

static void
gr_up_on_close(uv_handle_t *h)
{
    struct gr_upconn *up = h->data;
    if (--up->handles > 0)
        return;
    gr_msg_free(&up->resp);
    gr_buf_free(&up->out);
    free(up);
}

/* Take the connection out of the pool and close it; its request, if any,
 * must have been detached first. */
static void
gr_up_close(struct gr_upconn *up)
{
    struct gr_pool *pool = up->pool;
    if (up->closing)
        return;
    up->closing = true;
    gr_pool_unidle(pool, up);
    if (up->prev)
        up->prev->next = up->next;
    else
        pool->all = up->next;
    if (up->next)
        up->next->prev = up->prev;
    pool->n--;
    uv_close((uv_handle_t *)&up->timer, gr_up_on_close);
    uv_close((uv_handle_t *)&up->tcp, gr_up_on_close);
}

/* A connection came free or went away: serve the queue. */
static void
gr_pool_kick(struct gr_pool *pool)
{
    while (pool->wait_head && (pool->n_idle > 0 || pool->n < pool->cap))
        gr_pool_forward(pool, gr_pool_dequeue(pool));
}

static struct gr_client *
gr_up_detach(struct gr_upconn *up)
{
    struct gr_client *c = up->client;
    up->client = NULL;
    if (c)
        c->up = NULL;
    uv_timer_stop(&up->timer);
    return c;
}

static void
gr_up_fail(struct gr_upconn *up, enum gr_metrics_upstream_error kind)
{
    struct gr_pool *pool = up->pool;
    bool stale = up->reused && !up->got_bytes && kind == GR_METRICS_UP_REFUSED;
    struct gr_client *c = gr_up_detach(up);
    gr_up_close(up);
    if (c && stale && !c->retried) {
        c->retried = true; /* an idle connection the upstream had closed */
        gr_pool_forward(pool, c);
    } else if (c) {
        gr_metrics_inc(&pool->w->metrics.upstream_errors[kind]);
        gr_client_reply(c, kind == GR_METRICS_UP_TIMEOUT ? 504 : 502,
                        kind == GR_METRICS_UP_TIMEOUT
                            ? "504 Gateway Timeout: the upstream did not answer in time\n"
                            : "502 Bad Gateway: the upstream is unreachable\n");
    }
    gr_pool_kick(pool);
}

static void
gr_up_on_timeout(uv_timer_t *t)
{
    gr_up_fail(t->data, GR_METRICS_UP_TIMEOUT);
}

/* The answer is complete: hand it to the client, reuse or close. */
static void
gr_up_finish(struct gr_upconn *up, bool reusable)
{
    struct gr_pool *pool = up->pool;
    struct gr_client *c = gr_up_detach(up);
    if (c) {
        int code = up->parser.status_code;
        const char *reason = gr_msg_start(&up->resp);
        gr_client_respond(c, code, reason[0] ? reason : gr_http_reason(code), &up->resp, NULL,
                          &up->resp.body);
    }
    /* an answer that came before the request was all sent (an early error)
     * leaves the rest of the request in the way of the next one */
    if (reusable && !up->writing && http_should_keep_alive(&up->parser)) {
        gr_msg_reset(&up->resp);
        up->reused = true;
        up->got_bytes = false;
        http_parser_pause(&up->parser, 0);
        struct gr_client *next = gr_pool_dequeue(pool);
        if (next)
            gr_up_send(up, next);
        else
            pool->idle[pool->n_idle++] = up;
    } else {
        gr_up_close(up);
        gr_pool_kick(pool);
    }
}

static int
gr_up_on_headers(http_parser *hp)
{
    struct gr_upconn *up = GR_UP_OF(hp);
    if (gr_msg_end_head(&up->resp))
        return -1;
    return up->client && up->client->head_only ? 1 : 0; /* 1: no body follows */
}

static int
gr_up_on_complete(http_parser *hp)
{
    struct gr_upconn *up = GR_UP_OF(hp);
    if (hp->status_code >= 100 && hp->status_code < 200 && hp->status_code != 101) {
        gr_msg_reset(&up->resp); /* an interim answer: the final one follows */
        return 0;
    }
    http_parser_pause(hp, 1); /* the only pause: it marks the answer complete */
    return 0;
}

static const http_parser_settings gr_up_settings = {
    .on_status = gr_msg_on_start,
    .on_header_field = gr_msg_on_field,
    .on_header_value = gr_msg_on_value,
    .on_headers_complete = gr_up_on_headers,
    .on_body = gr_msg_on_body,
    .on_message_complete = gr_up_on_complete,
};

static bool
gr_up_complete(const struct gr_upconn *up)
{
    return HTTP_PARSER_ERRNO(&up->parser) == HPE_PAUSED;
}

static void
gr_up_on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    struct gr_upconn *up = h->data;
    (void)suggested;
    *buf = uv_buf_init(up->rbuf, sizeof up->rbuf);
}

static void
gr_up_on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    struct gr_upconn *up = s->data;
    if (nread == 0)
        return;
    if (nread > 0 && up->client && !gr_up_complete(up)) {
        up->got_bytes = true;
        size_t n = http_parser_execute(&up->parser, &gr_up_settings, buf->base, (size_t)nread);
        if (gr_up_complete(up))
            gr_up_finish(up, n == (size_t)nread); /* bytes beyond the answer: do not reuse */
        else if (HTTP_PARSER_ERRNO(&up->parser) != HPE_OK)
            gr_up_fail(up, GR_METRICS_UP_REFUSED);
        return;
    }
    if (nread == UV_EOF && up->client && up->got_bytes) {
        /* an answer delimited by the end of the connection */
        http_parser_execute(&up->parser, &gr_up_settings, NULL, 0);
        if (gr_up_complete(up)) {
            gr_up_finish(up, false);
            return;
        }
    }
    if (up->client) {
        gr_up_fail(up, GR_METRICS_UP_REFUSED);
        return;
    }
    gr_up_close(up); /* idle and closed, reset, or talking out of turn */
    gr_pool_kick(up->pool);
}

static void
gr_up_on_written(uv_write_t *req, int status)
{
    struct gr_upconn *up = req->data;
    up->writing = false;
    if (status < 0 && !up->closing && up->client)
        gr_up_fail(up, GR_METRICS_UP_REFUSED);
}

/* At once when the socket takes the whole request (no write request and no
 * epoll change), else the rest through a queued write. */
static void
gr_up_write(struct gr_upconn *up)
{
    uv_buf_t b = uv_buf_init(up->out.p, (unsigned)up->out.len);
    int done = uv_try_write((uv_stream_t *)&up->tcp, &b, 1);
    if (done >= 0 && (size_t)done == up->out.len)
        return;
    if (done < 0 && done != UV_EAGAIN) {
        gr_up_fail(up, GR_METRICS_UP_REFUSED);
        return;
    }
    if (done > 0) {
        b.base += done;
        b.len -= (size_t)done;
    }
    up->wreq.data = up;
    if (uv_write(&up->wreq, (uv_stream_t *)&up->tcp, &b, 1, gr_up_on_written))
        gr_up_fail(up, GR_METRICS_UP_REFUSED);
    else
        up->writing = true;
}

static void
gr_up_on_connect(uv_connect_t *req, int status)
{
    struct gr_upconn *up = req->data;
    if (up->closing)
        return;
    if (status < 0 || uv_read_start((uv_stream_t *)&up->tcp, gr_up_on_alloc, gr_up_on_read)) {
        struct gr_client *c = gr_up_detach(up);
        gr_up_close(up);
        if (c) { /* refused: no retry, a fresh connection would fare no better */
            gr_metrics_inc(&up->pool->w->metrics.upstream_errors[GR_METRICS_UP_REFUSED]);
            gr_client_reply(c, 502, "502 Bad Gateway: the upstream is unreachable\n");
        }
        gr_pool_kick(up->pool);
        return;
    }
    up->connected = true;
    uv_tcp_nodelay(&up->tcp, 1);
    if (up->client)
        gr_up_write(up);
}

static struct gr_upconn *
gr_up_new(struct gr_pool *pool)
{
    struct gr_upconn *up = malloc(sizeof *up);
    if (!up)
        return NULL;
    memset(up, 0, offsetof(struct gr_upconn, rbuf));
    up->pool = pool;
    uv_tcp_init(&pool->w->loop, &up->tcp);
    uv_timer_init(&pool->w->loop, &up->timer);
    up->tcp.data = up->timer.data = up->connect.data = up;
    up->handles = 2;
    http_parser_init(&up->parser, HTTP_RESPONSE);
    gr_msg_init(&up->resp, pool->w->proxy->cfg.max_header_size * 4, GR_PROXY_MAX_RESPONSE_BODY);
    up->parser.data = &up->resp;
    up->next = pool->all;
    if (pool->all)
        pool->all->prev = up;
    pool->all = up;
    pool->n++;
    return up;
}

/* The request as the upstream sees it: HTTP/1.1, end-to-end headers, Host
 * if the client sent none, X-Forwarded-For with the peer appended, the
 * body with its length. */
static int
gr_up_build(struct gr_upconn *up, const struct gr_client *c)
{
    struct gr_buf *o = &up->out;
    const struct gr_msg *req = &c->req;
    const char *xff = gr_msg_header(req, "X-Forwarded-For");
    o->len = 0;
    int rc = gr_buf_adds(o, http_method_str((enum http_method)c->parser.method)) |
             gr_buf_adds(o, " ") | gr_buf_adds(o, gr_msg_start(req)) |
             gr_buf_adds(o, " HTTP/1.1\r\n");
    rc |= gr_msg_copy_headers(req, o, "X-Forwarded-For");
    if (!gr_msg_header(req, "Host"))
        rc |=
            gr_buf_adds(o, "Host: ") | gr_buf_adds(o, up->pool->hostport) | gr_buf_adds(o, "\r\n");
    rc |= gr_buf_adds(o, "X-Forwarded-For: ");
    if (xff && xff[0])
        rc |= gr_buf_adds(o, xff) | gr_buf_adds(o, ", ");
    rc |= gr_buf_adds(o, c->peerstr) | gr_buf_adds(o, "\r\n");
    if (req->body.len > 0 || c->parser.method == HTTP_POST || c->parser.method == HTTP_PUT ||
        c->parser.method == HTTP_PATCH)
        rc |= gr_buf_adds(o, "Content-Length: ") | gr_buf_addu(o, req->body.len) |
              gr_buf_adds(o, "\r\n");
    rc |= gr_buf_adds(o, "\r\n") | gr_buf_add(o, req->body.p, req->body.len);
    return rc ? -1 : 0;
}

static void
gr_up_send(struct gr_upconn *up, struct gr_client *c)
{
    if (gr_up_build(up, c)) {
        gr_pool_unidle(up->pool, up);
        up->pool->idle[up->pool->n_idle++] = up;
        gr_client_reply(c, 500, "500 Internal Server Error: out of memory\n");
        return;
    }
    up->client = c;
    c->up = up;
    uv_timer_start(&up->timer, gr_up_on_timeout, up->pool->timeout_ms, 0);
    if (up->connected) {
        gr_up_write(up);
        return;
    }
    int rc = uv_tcp_connect(&up->connect, &up->tcp, (const struct sockaddr *)&up->pool->addr,
                            gr_up_on_connect);
    if (rc)
        gr_up_fail(up, GR_METRICS_UP_REFUSED);
}

void
gr_pool_forward(struct gr_pool *pool, struct gr_client *c)
{
    struct gr_upconn *up = NULL;
    if (pool->n_idle > 0)
        up = pool->idle[--pool->n_idle];
    else if (pool->n < pool->cap)
        up = gr_up_new(pool);
    else {
        gr_pool_enqueue(pool, c);
        return;
    }
    if (!up) {
        gr_client_reply(c, 500, "500 Internal Server Error: out of memory\n");
        return;
    }
    gr_up_send(up, c);
}

void
gr_pool_cancel(struct gr_pool *pool, struct gr_client *c)
{
    if (c->queued) {
        struct gr_client **pp = &pool->wait_head, *prev = NULL;
        while (*pp && *pp != c) {
            prev = *pp;
            pp = &(*pp)->wait_next;
        }
        if (*pp)
            *pp = c->wait_next;
        if (pool->wait_tail == c)
            pool->wait_tail = prev;
        c->queued = false;
    }
    if (c->up) {
        /* the exchange is abandoned: a connection with an answer still on
         * its way cannot serve another request */
        struct gr_upconn *up = c->up;
        gr_up_detach(up);
        gr_up_close(up);
        gr_pool_kick(pool);
    }
}

void
gr_pool_close_all(struct gr_pool *pool)
{
    while (pool->wait_head)
        gr_pool_dequeue(pool);
    while (pool->all) {
        struct gr_upconn *up = pool->all;
        gr_up_detach(up);
        gr_up_close(up);
    }
}

void
gr_pool_free(struct gr_pool *pool)
{
    free(pool->idle);
    pool->idle = NULL;
}
