/*
 * proxy_client.c - one client connection: read, parse (http-parser), hand
 * each whole request to the worker's request path, write the answer, keep
 * the connection alive or close it.
 *
 *   IDLE --first byte--> READING --message complete--> BUSY --answer--> WRITING
 *     ^                                                                   |
 *     +------------------- written, keep-alive ---------------------------+
 *                          written, close: CLOSING (lingering close) -> gone
 *
 * One request at a time. When a message is complete the parser pauses and
 * the request is served; reading goes on meanwhile (stopping and restarting
 * it would cost two epoll_ctl calls per request), and what arrives -
 * pipelined requests - waits unparsed in the read buffer, to be parsed once
 * the answer is written. Only a full buffer stops reading until then. A
 * client's end of stream while its request is served closes the connection
 * after the answers to what it sent. A request the parser refuses gets its
 * error answer, and the connection is closed after it.
 *
 * One timer per connection holds whichever deadline applies: idle (waiting
 * for a request), read (from a request's first byte to its last, so a
 * client trickling bytes cannot hold a connection), write (armed only when
 * the socket did not take the whole answer at once), linger. A BUSY
 * connection has no deadline of its own: the upstream timeout bounds it.
 *
 * Forwarding goes through the struct gr_fwd embedded in the connection
 * (proxy_pool.h). The upstream's answer is streamed: what the pool parsed of
 * one upstream read (the head, body pieces - re-chunked when the length is
 * unknown and the client speaks HTTP/1.1, else delimited by closing) is
 * gathered and written at the end of that read, so a small answer leaves in
 * one write; through two buffers - one gathering, one being written - so a
 * connection holds at most GR_PROXY_STREAM_HIGH plus one read of it: past
 * that the pool stops reading the upstream until the client has taken what
 * is pending. An exchange that fails before the head is answered 502, 503,
 * 504 or 500; one that fails after it is cut by closing the connection. A connection is freed when
 * its two handles are closed; a request it had forwarded is cancelled first, so nothing in the pool
 * points at it.
 *
 * Threading: a connection is used by its worker's loop thread alone, from
 * libuv callbacks; there is nothing to synchronize.
 */
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "georace/clock.h"
#include "proxy_client.h"
#include "proxy_worker.h"

#define GR_CLIENT_OF(hp) GR_CONTAINER_OF((hp)->data, struct gr_client, req)

static void gr_client_parse(struct gr_client *c);
static void gr_client_read_start(struct gr_client *c);
static void gr_client_close(struct gr_client *c);

static const char gr_client_continue[] = "HTTP/1.1 100 Continue\r\n\r\n";

static uint64_t
gr_client_ms(uint64_t ns)
{
    uint64_t ms = ns / 1000000u;
    return ms ? ms : 1;
}

static void
gr_client_on_timer(uv_timer_t *t)
{
    gr_client_close(t->data); /* idle, read, write or linger deadline */
}

static void
gr_client_arm(struct gr_client *c, uint64_t ms)
{
    uv_timer_start(&c->timer, gr_client_on_timer, ms, 0);
}

static void
gr_client_on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    struct gr_client *c = h->data;
    (void)suggested;
    *buf = uv_buf_init(c->rbuf + c->rlen, (unsigned)(sizeof c->rbuf - c->rlen));
}

static void
gr_client_on_close(uv_handle_t *h)
{
    struct gr_client *c = h->data;
    if (--c->handles > 0)
        return;
    gr_msg_free(&c->req);
    gr_buf_free(&c->head);
    gr_buf_free(&c->body);
    free(c);
}

static void
gr_client_read_stop(struct gr_client *c)
{
    if (c->reading)
        uv_read_stop((uv_stream_t *)&c->tcp);
    c->reading = false;
}

/* Close at once; a request in flight is cancelled and stops counting. */
static void
gr_client_close(struct gr_client *c)
{
    struct gr_worker *w = c->w;
    if (uv_is_closing((uv_handle_t *)&c->tcp))
        return;
    c->state = GR_CLIENT_CLOSING;
    gr_pool_cancel(&w->pool, &c->fwd);
    if (c->prev)
        c->prev->next = c->next;
    else
        w->clients = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->prev = c->next = NULL;
    w->n_clients--;
    uv_close((uv_handle_t *)&c->timer, gr_client_on_close);
    uv_close((uv_handle_t *)&c->tcp, gr_client_on_close); /* the socket is closed now */
    if (c->counted) {
        c->counted = false;
        gr_worker_request_done(w); /* it may close every connection */
    }
    gr_worker_client_gone(w);
}

static void
gr_client_on_shutdown(uv_shutdown_t *req, int status)
{
    struct gr_client *c = req->data;
    if (status < 0 || c->eof)
        gr_client_close(c);
}

/* Send FIN and drain what the client still sends until it closes too or
 * the linger deadline passes: closing with unread bytes would reset the
 * connection and could destroy the answer before the client reads it. */
static void
gr_client_linger(struct gr_client *c)
{
    c->state = GR_CLIENT_CLOSING;
    c->sreq.data = c;
    if (uv_shutdown(&c->sreq, (uv_stream_t *)&c->tcp, gr_client_on_shutdown)) {
        gr_client_close(c);
        return;
    }
    gr_client_arm(c, GR_PROXY_LINGER_MS);
    gr_client_read_start(c); /* if backpressure had stopped it */
}

static void gr_client_on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);

static void
gr_client_read_start(struct gr_client *c)
{
    if (c->reading || c->eof)
        return;
    if (uv_read_start((uv_stream_t *)&c->tcp, gr_client_on_alloc, gr_client_on_read)) {
        gr_client_close(c);
        return;
    }
    c->reading = true;
}

/* The answer is out: next request, or close. */
static void
gr_client_written(struct gr_client *c)
{
    struct gr_worker *w = c->w;
    c->counted = false;
    if (!c->keep_alive || (c->eof && c->rlen == 0) || w->stopping) {
        gr_client_linger(c);
    } else {
        c->state = GR_CLIENT_IDLE;
        gr_msg_trim(&c->req); /* an idle connection keeps small buffers only */
        gr_buf_trim(&c->head, GR_PROXY_IDLE_KEEP);
        gr_buf_trim(&c->body, GR_PROXY_IDLE_KEEP);
        http_parser_pause(&c->parser, 0);
        gr_client_arm(c, gr_client_ms(w->proxy->cfg.idle_timeout_ns));
        gr_client_read_start(c); /* if backpressure had stopped it */
        gr_client_parse(c);      /* requests that came while this one was served */
    }
    gr_worker_request_done(w); /* last: it may close every connection */
}

static void
gr_client_on_written(uv_write_t *req, int status)
{
    struct gr_client *c = req->data;
    if (c->state == GR_CLIENT_CLOSING)
        return; /* closed while writing */
    if (status < 0)
        gr_client_close(c);
    else
        gr_client_written(c);
}

/* Write the answer: at once when the socket takes it whole (the common
 * case, and no write request, callback or epoll change), else the rest
 * through a queued write under the write deadline. */
static void
gr_client_write(struct gr_client *c)
{
    uv_buf_t bufs[2];
    unsigned n = 0;
    bufs[n++] = uv_buf_init(c->head.p, (unsigned)c->head.len);
    if (!c->head_only && c->body.len > 0)
        bufs[n++] = uv_buf_init(c->body.p, (unsigned)c->body.len);
    size_t total = bufs[0].len + (n > 1 ? bufs[1].len : 0);
    c->state = GR_CLIENT_WRITING;
    int done = uv_try_write((uv_stream_t *)&c->tcp, bufs, n);
    if (done >= 0 && (size_t)done == total) {
        gr_client_written(c);
        return;
    }
    if (done < 0 && done != UV_EAGAIN) {
        gr_client_close(c);
        return;
    }
    for (size_t skip = done > 0 ? (size_t)done : 0; skip > 0;) {
        size_t k = skip < bufs[0].len ? skip : bufs[0].len;
        bufs[0].base += k;
        bufs[0].len -= k;
        skip -= k;
        if (bufs[0].len == 0) {
            bufs[0] = bufs[1];
            n--;
        }
    }
    c->wreq.data = c;
    gr_client_arm(c, gr_client_ms(c->w->proxy->cfg.write_timeout_ns));
    if (uv_write(&c->wreq, (uv_stream_t *)&c->tcp, bufs, n, gr_client_on_written))
        gr_client_close(c);
}

static bool
gr_client_no_body(int code)
{
    return (code >= 100 && code < 200) || code == 204 || code == 304;
}

/* How the body of an answer is delimited for the client. */
enum gr_client_framing {
    GR_CLIENT_NO_BODY,  /* 1xx, 204, 304; HEAD carries the upstream's length, if any */
    GR_CLIENT_LENGTH,   /* Content-Length: length */
    GR_CLIENT_CHUNKED,  /* re-chunked (HTTP/1.1 client, length unknown) */
    GR_CLIENT_UNTIL_EOF /* HTTP/1.0 client, length unknown: closed after it */
};

/* The status line and headers of an answer into c->head. */
static int
gr_client_build_head(struct gr_client *c, int code, const char *reason, size_t reason_len,
                     const struct gr_msg *from, const char *extra, enum gr_client_framing framing,
                     uint64_t length)
{
    struct gr_worker *w = c->w;
    struct gr_buf *h = &c->head;
    /* a client that shut its side gets the requests it already sent answered */
    c->keep_alive = c->keep_alive && !(c->eof && c->rlen == 0) && !w->stopping &&
                    framing != GR_CLIENT_UNTIL_EOF;
    h->len = 0;
    int rc = gr_buf_adds(h, "HTTP/1.1 ") | gr_buf_addu(h, (unsigned)code) | gr_buf_add(h, " ", 1) |
             gr_buf_add(h, reason, reason_len) | gr_buf_add(h, "\r\n", 2);
    if (!from || !gr_msg_header(from, "Date"))
        rc |= gr_buf_adds(h, gr_worker_date(w));
    if (from)
        rc |= gr_msg_copy_headers(from, h, NULL, NULL);
    if (extra)
        rc |= gr_buf_adds(h, extra);
    rc |= gr_buf_adds(h, "X-Geo-Country: ") | gr_buf_adds(h, c->geo[0] ? c->geo : "-") |
          gr_buf_add(h, "\r\n", 2);
    size_t len;
    const char *upstream_len;
    switch (framing) {
    case GR_CLIENT_NO_BODY:
        /* A forwarded HEAD answer announces the length of the body it does
         * not carry, if the upstream announced one. */
        upstream_len =
            from && c->head_only ? gr_msg_header_nth(from, "Content-Length", 0, &len) : NULL;
        if (upstream_len && !gr_client_no_body(code))
            rc |= gr_buf_adds(h, "Content-Length: ") | gr_buf_add(h, upstream_len, len) |
                  gr_buf_add(h, "\r\n", 2);
        break;
    case GR_CLIENT_LENGTH:
        rc |=
            gr_buf_adds(h, "Content-Length: ") | gr_buf_addu(h, length) | gr_buf_add(h, "\r\n", 2);
        break;
    case GR_CLIENT_CHUNKED:
        rc |= gr_buf_adds(h, "Transfer-Encoding: chunked\r\n");
        break;
    case GR_CLIENT_UNTIL_EOF:
        break;
    }
    if (!c->keep_alive)
        rc |= gr_buf_adds(h, "Connection: close\r\n");
    else if (c->parser.http_minor == 0)
        rc |= gr_buf_adds(h, "Connection: keep-alive\r\n");
    rc |= gr_buf_add(h, "\r\n", 2);
    if (!rc)
        gr_metrics_count_status(&w->metrics, code);
    return rc;
}

void
gr_client_respond(struct gr_client *c, int code, const char *reason, const struct gr_msg *from,
                  const char *extra, struct gr_buf *body)
{
    if (c->state == GR_CLIENT_CLOSING)
        return;
    if (body != &c->body)
        gr_buf_swap(&c->body, body);
    if (gr_client_no_body(code))
        c->body.len = 0;
    enum gr_client_framing framing =
        gr_client_no_body(code) || (c->head_only && from) ? GR_CLIENT_NO_BODY : GR_CLIENT_LENGTH;
    if (gr_client_build_head(c, code, reason, strlen(reason), from, extra, framing, c->body.len)) {
        gr_client_close(c);
        return;
    }
    gr_worker_log(c, code, c->body.len);
    gr_client_write(c);
}

/* ---- streaming an upstream answer --------------------------------------------------- */

static void gr_client_out_flush(struct gr_client *c);

static void
gr_client_on_out_written(uv_write_t *req, int status)
{
    struct gr_client *c = req->data;
    if (c->state == GR_CLIENT_CLOSING)
        return; /* closed while writing */
    if (status < 0) {
        gr_client_close(c);
        return;
    }
    uv_timer_stop(&c->timer); /* the write deadline is met */
    c->out_busy = false;
    c->body.len = 0;
    gr_client_out_flush(c);
}

/* Write what is gathered: at once if the socket takes it, else through one
 * queued write under the write deadline. With nothing left: the answer is
 * written (its end came), or the pool may read on. */
static void
gr_client_out_flush(struct gr_client *c)
{
    uv_stream_t *s = (uv_stream_t *)&c->tcp;
    while (!c->out_busy && c->head.len > 0) {
        gr_buf_swap(&c->head, &c->body);
        c->head.len = 0;
        uv_buf_t b = uv_buf_init(c->body.p, (unsigned)c->body.len);
        int done = uv_try_write(s, &b, 1);
        if (done >= 0 && (size_t)done == c->body.len) {
            c->body.len = 0;
            continue;
        }
        if (done < 0 && done != UV_EAGAIN) {
            gr_client_close(c);
            return;
        }
        if (done > 0) {
            b.base += done;
            b.len -= (size_t)done;
        }
        c->wreq.data = c;
        gr_client_arm(c, gr_client_ms(c->w->proxy->cfg.write_timeout_ns));
        if (uv_write(&c->wreq, s, &b, 1, gr_client_on_out_written)) {
            gr_client_close(c);
            return;
        }
        c->out_busy = true;
    }
    if (c->out_busy)
        return;
    if (c->stream_done) {
        c->streaming = false;
        gr_client_written(c);
    } else {
        gr_pool_resume(&c->w->pool, &c->fwd);
    }
}

static void
gr_client_stream_head(struct gr_fwd *f, int status, const struct gr_msg *resp, uint64_t length)
{
    struct gr_client *c = GR_CONTAINER_OF(f, struct gr_client, fwd);
    enum gr_client_framing framing = GR_CLIENT_LENGTH;
    if (gr_client_no_body(status) || c->head_only)
        framing = GR_CLIENT_NO_BODY;
    else if (length == UINT64_MAX)
        framing = c->parser.http_minor >= 1 ? GR_CLIENT_CHUNKED : GR_CLIENT_UNTIL_EOF;
    size_t rlen = gr_msg_start_len(resp);
    const char *reason = rlen ? gr_msg_start(resp) : gr_http_reason(status);
    c->streaming = true;
    c->stream_done = false;
    c->chunked_out = framing == GR_CLIENT_CHUNKED;
    c->stream_code = status;
    c->stream_bytes = 0;
    c->state = GR_CLIENT_WRITING;
    if (gr_client_build_head(c, status, reason, rlen ? rlen : strlen(reason), resp, NULL, framing,
                             length)) {
        gr_client_close(c);
        return;
    }
    /* gathered: it goes out with the first body bytes of this read (flush
     * or done), one write for a small answer instead of two or three */
}

static int
gr_client_stream_body(struct gr_fwd *f, const char *data, size_t len)
{
    struct gr_client *c = GR_CONTAINER_OF(f, struct gr_client, fwd);
    if (c->state == GR_CLIENT_CLOSING || len == 0)
        return 0;
    if (gr_buf_add_chunk(&c->head, data, len, c->chunked_out, false)) {
        gr_client_close(c);
        return 0;
    }
    c->stream_bytes += len;
    size_t pending = c->head.len + (c->out_busy ? c->body.len : 0);
    return pending > c->w->stream_high;
}

/* The pool waits for more of the answer: write what this read gathered. */
static void
gr_client_stream_flush(struct gr_fwd *f)
{
    struct gr_client *c = GR_CONTAINER_OF(f, struct gr_client, fwd);
    if (c->state != GR_CLIENT_CLOSING && !c->out_busy)
        gr_client_out_flush(c);
}

/* The upstream's answer ended: the last chunk, then done once written. */
static void
gr_client_stream_end(struct gr_client *c)
{
    if (gr_buf_add_chunk(&c->head, NULL, 0, c->chunked_out, true)) {
        gr_client_close(c);
        return;
    }
    c->stream_done = true;
    gr_worker_log(c, c->stream_code, (size_t)c->stream_bytes);
    if (!c->out_busy)
        gr_client_out_flush(c);
}

void
gr_client_reply(struct gr_client *c, int code, const char *text)
{
    c->body.len = 0;
    if (gr_buf_adds(&c->body, text)) {
        gr_client_close(c);
        return;
    }
    gr_client_respond(c, code, gr_http_reason(code), NULL,
                      "Content-Type: text/plain; charset=utf-8\r\n", &c->body);
}

/* ---- streaming a request body ------------------------------------------------------ */

/* Hand what the parser gathered of the body to the pool. Bytes the pool
 * cannot take yet stay in req.body; past the worker's stream_high of them the
 * client is not read until the pool drains (backpressure). */
static void
gr_client_push_body(struct gr_client *c)
{
    int rc = gr_pool_push(&c->w->pool, &c->fwd, &c->req.body, c->body_end_pending);
    if (rc < 0 || (rc > 0 && c->body_end_pending)) {
        c->body_streaming = false; /* all sent, or the exchange is over */
        c->req.body.len = 0;
    }
    if (c->state == GR_CLIENT_CLOSING)
        return;
    if (c->req.body.len >= c->w->stream_high)
        gr_client_read_stop(c);
    else
        gr_client_read_start(c);
}

static void
gr_client_body_drained(struct gr_fwd *f)
{
    struct gr_client *c = GR_CONTAINER_OF(f, struct gr_client, fwd);
    if (c->body_streaming)
        gr_client_push_body(c);
}

/* A body that outgrew the worker's stream_high before its end is decided on
 * now, by its head alone (all a decision reads), and, when forwarded,
 * streamed: no connection holds a whole large body. */
static bool
gr_client_body_outgrown(const struct gr_client *c)
{
    return c->state == GR_CLIENT_READING && !c->metrics_only && gr_msg_head_complete(&c->req) &&
           c->req.body.len >= c->w->stream_high;
}

static void gr_client_decide(struct gr_client *c);

static void
gr_client_stream_body_begin(struct gr_client *c)
{
    c->keep_alive = false; /* until the body ends: an early answer closes */
    c->head_only = c->parser.method == HTTP_HEAD;
    c->stream_pending = true;
    gr_client_decide(c); /* forwarded: body_streaming; else answered and closed */
    c->stream_pending = false;
    if (c->body_streaming)
        gr_client_push_body(c);
}

/* ---- forwarding ----------------------------------------------------------------- */

/* The pool's report on a forwarded request: the client side writes the
 * answer. */
static void
gr_client_forwarded(struct gr_fwd *f, enum gr_fwd_outcome outcome, int status, struct gr_msg *resp)
{
    struct gr_client *c = GR_CONTAINER_OF(f, struct gr_client, fwd);
    (void)status;
    (void)resp;
    if (c->body_streaming) {
        /* over before the request body ended (an early answer, or the
         * upstream failed): the rest of the body has nowhere to go, so the
         * connection closes after the answer */
        c->body_streaming = false;
        c->keep_alive = false;
        c->req.body.len = 0;
    }
    if (c->streaming) {
        if (outcome == GR_FWD_ANSWERED)
            gr_client_stream_end(c);
        else
            gr_client_close(c); /* the head is out: cutting the answer is all that is left */
        return;
    }
    switch (outcome) {
    case GR_FWD_ANSWERED: /* a final answer always has its head streamed first */
        gr_client_reply(c, 502, "502 Bad Gateway: the upstream's answer had no head\n");
        return;
    case GR_FWD_BAD_GATEWAY:
        gr_client_reply(c, 502, "502 Bad Gateway: the upstream is unreachable\n");
        return;
    case GR_FWD_TIMEOUT:
        gr_client_reply(c, 504, "504 Gateway Timeout: the upstream did not answer in time\n");
        return;
    case GR_FWD_INTERNAL:
        gr_client_reply(c, 500, "500 Internal Server Error: out of memory\n");
        return;
    case GR_FWD_QUEUE_FULL:
        gr_client_reply(c, 503, "503 Service Unavailable: every upstream connection is busy\n");
        return;
    case GR_FWD_QUEUE_TIMEOUT:
        gr_client_reply(c, 504, "504 Gateway Timeout: no upstream connection came free in time\n");
        return;
    }
}

void
gr_client_forward(struct gr_client *c)
{
    c->fwd.stream_length = 0;
    if (c->stream_pending) {
        c->fwd.stream_length = c->req_length == ULLONG_MAX ? GR_REQUEST_CHUNKED : c->req_length;
        c->body_streaming = true;
    }
    c->fwd.drained = gr_client_body_drained;
    c->fwd.req = &c->req;
    c->fwd.method = (enum http_method)c->parser.method;
    c->fwd.peer = c->peerstr;
    c->fwd.peer_trusted = gr_req_peer_trusted(&c->w->proxy->policy, &c->peer);
    c->fwd.geo = c->geo;
    c->fwd.head = gr_client_stream_head;
    c->fwd.body = gr_client_stream_body;
    c->fwd.flush = gr_client_stream_flush;
    c->fwd.done = gr_client_forwarded;
    gr_pool_forward(&c->w->pool, &c->fwd);
}

/* ---- parsing -------------------------------------------------------------------- */

/* Bytes are parsed while a request is awaited or being read, and while a
 * streamed body flows (also when its answer has begun). */
static bool
gr_client_wants_bytes(const struct gr_client *c)
{
    return c->state == GR_CLIENT_IDLE || c->state == GR_CLIENT_READING ||
           (c->body_streaming && !c->body_end_pending);
}

static void
gr_client_decide(struct gr_client *c)
{
    gr_worker_request_begin(c);
    gr_worker_handle(c);
}

static int
gr_client_on_begin(http_parser *hp)
{
    struct gr_client *c = GR_CLIENT_OF(hp);
    c->state = GR_CLIENT_READING;
    c->t0 = gr_clock_now_ns();
    c->geo[0] = '\0';
    c->clientstr[0] = '\0';
    c->stream_pending = c->body_streaming = c->body_end_pending = false;
    gr_msg_reset(&c->req);
    gr_client_arm(c, gr_client_ms(c->w->proxy->cfg.read_timeout_ns));
    gr_worker_request_begin(c); /* from its first byte: a graceful stop waits for it */
    return 0;
}

static void
gr_client_on_continued(uv_write_t *req, int status)
{
    (void)status; /* a failed write shows on the answer's write as well */
    free(req);
}

static int
gr_client_on_headers(http_parser *hp)
{
    struct gr_client *c = GR_CLIENT_OF(hp);
    if (gr_msg_end_head(&c->req))
        return -1;
    c->req_length = hp->content_length; /* ULLONG_MAX: chunked, or none */
    if (hp->content_length != ULLONG_MAX && hp->content_length > c->req.max_body) {
        c->req.error = GR_MSG_BODY_TOO_LARGE; /* refused before the body is sent */
        return -1;
    }
    const char *expect = gr_msg_header(&c->req, "Expect");
    if (expect && !strcasecmp(expect, "100-continue") && hp->http_minor >= 1 &&
        (hp->content_length != ULLONG_MAX && hp->content_length > 0)) {
        /* A write request of its own: libuv keeps a finished write queued
         * until its callback runs on the next loop turn, and pipelined
         * requests can ask for a 100 more than once in one turn. */
        uv_write_t *req = malloc(sizeof *req);
        uv_buf_t b = uv_buf_init((char *)gr_client_continue, sizeof gr_client_continue - 1);
        if (req && uv_write(req, (uv_stream_t *)&c->tcp, &b, 1, gr_client_on_continued))
            free(req);
    }
    return 0;
}

static int
gr_client_on_complete(http_parser *hp)
{
    struct gr_client *c = GR_CLIENT_OF(hp);
    c->keep_alive = http_should_keep_alive(hp) != 0;
    c->head_only = hp->method == HTTP_HEAD;
    http_parser_pause(hp, 1);
    return 0;
}

static const http_parser_settings gr_client_settings = {
    .on_message_begin = gr_client_on_begin,
    .on_url = gr_msg_on_start,
    .on_header_field = gr_msg_on_field,
    .on_header_value = gr_msg_on_value,
    .on_headers_complete = gr_client_on_headers,
    .on_body = gr_msg_on_body,
    .on_message_complete = gr_client_on_complete,
};

static int
gr_client_error_status(const struct gr_client *c, const char **text)
{
    switch (c->req.error) {
    case GR_MSG_HEAD_TOO_LARGE:
        *text = "431 Request Header Fields Too Large\n";
        return 431;
    case GR_MSG_BODY_TOO_LARGE:
        *text = "413 Payload Too Large\n";
        return 413;
    case GR_MSG_NOMEM:
        *text = "500 Internal Server Error: out of memory\n";
        return 500;
    case GR_MSG_BAD_FIELD_NAME:
        *text = "400 Bad Request: a header name that is not a token\n";
        return 400;
    case GR_MSG_BAD_FRAMING:
        *text = "400 Bad Request: a line not ended by CRLF, or folded\n";
        return 400;
    case GR_MSG_BAD_FIELD_VALUE:
        *text = "400 Bad Request: a control byte in a header value\n";
        return 400;
    case GR_MSG_BAD_TARGET:
        *text = "400 Bad Request: whitespace or a control byte in the target\n";
        return 400;
    case GR_MSG_OK:
        break;
    }
    switch (HTTP_PARSER_ERRNO(&c->parser)) {
    case HPE_INVALID_VERSION:
        *text = "505 HTTP Version Not Supported\n";
        return 505;
    case HPE_INVALID_METHOD:
        *text = "501 Not Implemented: unknown method\n";
        return 501;
    case HPE_HEADER_OVERFLOW:
        *text = "431 Request Header Fields Too Large\n";
        return 431;
    default:
        *text = "400 Bad Request: malformed HTTP\n";
        return 400;
    }
}

/* The parser refused the bytes: answer and close. */
static void
gr_client_fail(struct gr_client *c)
{
    const char *text;
    int code = gr_client_error_status(c, &text);
    if (c->body_streaming) { /* refused mid-body: the upstream exchange goes */
        c->body_streaming = false;
        gr_pool_cancel(&c->w->pool, &c->fwd);
        if (c->streaming || c->state == GR_CLIENT_WRITING) {
            gr_client_close(c); /* the answer has begun: cutting it is all there is */
            return;
        }
    }
    if (c->state == GR_CLIENT_IDLE) /* refused at its first byte */
        c->t0 = gr_clock_now_ns();
    /* a HEAD whose header block was read (refused for its body) gets no
     * body; a request refused earlier has no method to go by */
    c->head_only = gr_msg_head_complete(&c->req) && c->parser.method == HTTP_HEAD;
    gr_msg_seal(&c->req); /* the access log shows what there is of the target */
    c->rlen = 0;
    c->keep_alive = false;
    c->state = GR_CLIENT_BUSY;
    uv_timer_stop(&c->timer);
    gr_worker_request_begin(c);
    gr_client_reply(c, code, text);
}

/* Parse what is buffered, one request at a time. An answer may be written
 * (and the next request begun) before gr_worker_handle returns; the loop,
 * not recursion, takes the next pipelined request then. */
static void
gr_client_parse(struct gr_client *c)
{
    if (c->parsing)
        return; /* the call further up the stack continues */
    c->parsing = true;
    while (c->rlen > 0 && gr_client_wants_bytes(c)) {
        size_t n;
        enum gr_msg_feed fed =
            gr_msg_feed(&c->req, &c->parser, &gr_client_settings, c->rbuf, c->rlen, &n);
        if (fed == GR_MSG_FEED_REFUSED) {
            c->rlen = 0;
            gr_client_fail(c);
            break;
        }
        if (fed == GR_MSG_FEED_MORE) { /* every byte taken, the message goes on */
            c->rlen = 0;
            if (c->body_streaming)
                gr_client_push_body(c);
            else if (gr_client_body_outgrown(c))
                gr_client_stream_body_begin(c);
            break;
        }
        /* only a complete message pauses the parser (gr_client_on_complete) */
        size_t left = c->parser.upgrade ? 0 : c->rlen - n;
        memmove(c->rbuf, c->rbuf + n, left);
        c->rlen = left;
        if (c->body_streaming) { /* its last bytes and its end go upstream */
            c->body_end_pending = true;
            if (c->state == GR_CLIENT_READING)
                c->state = GR_CLIENT_BUSY;
            if (!c->out_busy)
                uv_timer_stop(&c->timer); /* the read deadline is met (not a write's) */
            gr_client_push_body(c);
            break; /* the answer comes; pipelined bytes wait for it */
        }
        c->state = GR_CLIENT_BUSY;
        uv_timer_stop(&c->timer);
        gr_client_decide(c);
    }
    c->parsing = false;
    if (c->eof && (c->state == GR_CLIENT_IDLE || c->state == GR_CLIENT_READING))
        gr_client_close(c); /* shut by the client, nothing left to answer */
}

/* Reading goes on while a request is served (a keep-alive client sends
 * nothing meanwhile, and stopping and restarting would cost two epoll_ctl
 * calls per request); bytes that do come wait in the buffer, and reading
 * stops only when it is full. */
static void
gr_client_on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    struct gr_client *c = s->data;
    (void)buf;
    if (nread == 0)
        return;
    if (nread > 0) {
        if (c->state == GR_CLIENT_CLOSING)
            return; /* a closing connection discards what it reads */
        c->rlen += (size_t)nread;
        if (gr_client_wants_bytes(c))
            gr_client_parse(c);
        else if (c->rlen == sizeof c->rbuf)
            gr_client_read_stop(c);
        return;
    }
    gr_client_read_stop(c);
    if (nread != UV_EOF) {
        gr_client_close(c); /* reset: the client is gone */
        return;
    }
    c->eof = true;
    if (c->state != GR_CLIENT_BUSY && c->state != GR_CLIENT_WRITING)
        gr_client_close(c); /* idle, half a request, or lingering */
    /* else: answer, then close */
}

/* ---- accepting -------------------------------------------------------------------- */

static void
gr_client_start(struct gr_worker *w, struct gr_client *c)
{
    const gr_proxy_config *cfg = &w->proxy->cfg;
    struct sockaddr_storage ss;
    int sslen = sizeof ss;

    c->handles = 2;
    uv_timer_init(&w->loop, &c->timer);
    c->timer.data = c;
    if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &sslen) ||
        gr_net_to_ip((struct sockaddr *)&ss, &c->peer))
        memset(&c->peer, 0, sizeof c->peer);
    gr_ip_format(&c->peer, c->peerstr, sizeof c->peerstr);
    http_parser_init(&c->parser, HTTP_REQUEST);
    gr_msg_init(&c->req, cfg->max_header_size, cfg->max_body_size);
    gr_msg_set_strict(&c->req, true);
    c->parser.data = &c->req;
    c->next = w->clients;
    if (w->clients)
        w->clients->prev = c;
    w->clients = c;
    w->n_clients++;
    c->state = GR_CLIENT_IDLE;
    gr_client_arm(c, gr_client_ms(cfg->idle_timeout_ns));
    gr_client_read_start(c);
}

static struct gr_client *
gr_client_new(struct gr_worker *w)
{
    struct gr_client *c = malloc(sizeof *c);
    if (!c)
        return NULL;
    memset(c, 0, offsetof(struct gr_client, rbuf));
    c->w = w;
    c->handles = 1;
    uv_tcp_init(&w->loop, &c->tcp);
    c->tcp.data = c;
    return c;
}

static void
gr_client_on_refused(uv_handle_t *h)
{
    free(h->data);
}

/* Out of memory for a connection: take it off the queue and drop it. */
static void
gr_client_drop(struct gr_worker *w, uv_stream_t *server)
{
    uv_tcp_t *tmp = malloc(sizeof *tmp);
    if (!tmp)
        return;
    uv_tcp_init(&w->loop, tmp);
    tmp->data = tmp;
    uv_accept(server, (uv_stream_t *)tmp);
    uv_close((uv_handle_t *)tmp, gr_client_on_refused);
}

void
gr_client_accept(struct gr_worker *w, uv_stream_t *server, bool metrics_only)
{
    struct gr_client *c = gr_client_new(w);
    if (!c) {
        gr_client_drop(w, server);
        return;
    }
    c->metrics_only = metrics_only;
    if (uv_accept(server, (uv_stream_t *)&c->tcp)) {
        uv_close((uv_handle_t *)&c->tcp, gr_client_on_refused);
        return;
    }
    gr_client_start(w, c);
}

int
gr_client_adopt(struct gr_worker *w, int fd)
{
    struct gr_client *c = gr_client_new(w);
    if (!c)
        return -1;
    if (uv_tcp_open(&c->tcp, fd)) {
        uv_close((uv_handle_t *)&c->tcp, gr_client_on_refused);
        return -1;
    }
    gr_client_start(w, c);
    return 0;
}

void
gr_client_shed_idle(struct gr_worker *w)
{
    /* the list is newest first: the last idle one has waited longest */
    struct gr_client *victim = NULL;
    for (struct gr_client *c = w->clients; c; c = c->next)
        if (c->state == GR_CLIENT_IDLE && c->rlen == 0)
            victim = c;
    if (victim)
        gr_client_close(victim);
}

void
gr_client_stop_all(struct gr_worker *w, bool force)
{
    struct gr_client *c = w->clients, *next;
    for (; c; c = next) {
        next = c->next;
        if (force || (c->state == GR_CLIENT_IDLE && c->rlen == 0))
            gr_client_close(c);
    }
}
