/*
 * proxy_worker.c - one proxy worker: a libuv loop on its own thread, its
 * own SO_REUSEPORT listening socket, and the request path
 *
 *   peer -> requester IP -> shared resolver (cache) -> access rule  (gr_decide)
 *        -> 400, 403 or 500, or forward over the worker's upstream pool
 *        -> the answer, written by the client connection
 *
 * The decision is decide.c's, the one the simulator makes too; what is
 * here turns its verdict into an answer, and serves what never reaches it
 * (unsupported versions, CONNECT, upgrades, bad heads, and /metrics on the
 * metrics listener, which nothing else is served on).
 *
 * Threading: everything here runs on the worker's thread. The state it
 * shares with other workers is the read-only configuration, the
 * resolver/cache (synchronized by the variant under test, or deliberately
 * not), the metrics (proxy_metrics.h) and the access log, written one line
 * at a time under the proxy's log lock.
 *
 * Stopping: the controlling thread's uv_async_send wakes the loop, which
 * closes the listener and the idle connections, and once the requests in
 * flight are answered (or the shutdown deadline passes) closes everything
 * else; uv_run then returns, for want of open handles.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "georace/clock.h"
#include "georace/decide.h"
#include "georace/zone.h"
#include "proxy_client.h"
#include "proxy_request.h"
#include "proxy_worker.h"

/* ---- helpers for the client side ---------------------------------------------------- */

const char *
gr_worker_date(struct gr_worker *w)
{
    time_t now = time(NULL);
    if (now != w->date_at) {
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(w->date, sizeof w->date, "Date: %a, %d %b %Y %H:%M:%S GMT\r\n", &tm);
        w->date_at = now;
    }
    return w->date;
}

/* Append bytes a client chose, escaped as nginx's escape=default does:
 * '"', '\\' and every byte outside printable ASCII as \xHH, so a target
 * cannot forge a log line, a field or a terminal escape. */
static int
gr_worker_log_escaped(struct gr_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    if (gr_buf_reserve(b, 4 * n))
        return -1;
    char *p = b->p + b->len;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch < 0x20 || ch > 0x7e || ch == '"' || ch == '\\') {
            *p++ = '\\';
            *p++ = 'x';
            *p++ = hex[ch >> 4];
            *p++ = hex[ch & 15];
        } else {
            *p++ = (char)ch;
        }
    }
    b->len = (size_t)(p - b->p);
    return 0;
}

void
gr_worker_log(const struct gr_client *c, int code, size_t bytes)
{
    struct gr_worker *w = c->w;
    struct gr_proxy *p = w->proxy;
    if (!p->cfg.access_log)
        return;
    size_t ulen = gr_msg_start_len(&c->req);
    double ms = (double)(gr_clock_now_ns() - c->t0) / 1e6;
    char head[160], tail[128];
    snprintf(head, sizeof head, "%s %s \"%s ", c->peerstr, c->clientstr[0] ? c->clientstr : "-",
             http_method_str((enum http_method)c->parser.method));
    snprintf(tail, sizeof tail, "\" %d %s %zu %.3fms\n", code, c->geo[0] ? c->geo : "-", bytes, ms);
    struct gr_buf *line = &w->logline;
    line->len = 0;
    int rc = gr_buf_adds(line, head);
    rc |=
        ulen ? gr_worker_log_escaped(line, gr_msg_start(&c->req), ulen) : gr_buf_add(line, "-", 1);
    rc |= gr_buf_adds(line, tail);
    if (rc)
        return; /* out of memory: the line is lost, not the request */
    pthread_mutex_lock(&p->log_lock);
    fwrite(line->p, 1, line->len, p->cfg.access_log);
    pthread_mutex_unlock(&p->log_lock);
}

static void
gr_worker_close(uv_handle_t *h)
{
    if (!uv_is_closing(h))
        uv_close(h, NULL); /* the worker's own handles: nothing to free */
}

/* Close every handle of the loop: uv_run returns once they are closed. */
static void
gr_worker_teardown(struct gr_worker *w)
{
    gr_client_stop_all(w, true);
    gr_pool_close_all(&w->pool);
    if (w->listening)
        gr_worker_close((uv_handle_t *)&w->listener);
    if (w->metrics_listening)
        gr_worker_close((uv_handle_t *)&w->metrics_listener);
    gr_worker_close((uv_handle_t *)&w->stop_async);
    gr_worker_close((uv_handle_t *)&w->deadline);
}

void
gr_worker_request_begin(struct gr_client *c)
{
    if (c->counted)
        return;
    c->counted = true;
    c->w->in_flight++;
    gr_metrics_inc(&c->w->metrics.in_flight);
}

void
gr_worker_request_done(struct gr_worker *w)
{
    gr_metrics_dec(&w->metrics.in_flight);
    w->in_flight--;
    if (w->stopping && w->in_flight == 0)
        gr_worker_teardown(w);
}

/* ---- the request path ----------------------------------------------------------------- */

static const char *
gr_worker_header(void *ctx, const char *name, size_t nth, size_t *len)
{
    return gr_msg_header_nth(ctx, name, nth, len);
}

static void
gr_worker_metrics(struct gr_client *c)
{
    struct gr_buf body = {0};
    const char *t = gr_msg_start(&c->req);
    if (strcmp(t, "/-/metrics") && strcmp(t, "/metrics") && strncmp(t, "/-/metrics?", 11) &&
        strncmp(t, "/metrics?", 9)) {
        gr_client_reply(c, 404, "404 Not Found: this listener serves /metrics only\n");
        return;
    }
    if (gr_metrics_render(c->w->proxy, &body)) {
        gr_buf_free(&body);
        gr_client_reply(c, 500, "500 Internal Server Error: out of memory\n");
        return;
    }
    gr_client_respond(c, 200, "OK", NULL,
                      "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n", &body);
    gr_buf_free(&body); /* the client's previous body buffer, swapped out */
}

/* The requester address as the access log shows it, and the country or
 * zone every answer carries in X-Geo-Country. */
static void
gr_worker_note(struct gr_client *c, const gr_decide_result *d)
{
    if (c->w->proxy->cfg.access_log) /* only the access log shows the client */
        gr_ip_format(&d->requester, c->clientstr, sizeof c->clientstr);
    if (d->answer.kind == GR_ANSWER_COUNTRY)
        gr_country_str(d->answer.country, c->geo);
    else if (d->answer.kind == GR_ANSWER_ZONE)
        snprintf(c->geo, sizeof c->geo, "%s", gr_zone_name(d->answer.zone));
}

static void
gr_worker_bad_requester(struct gr_client *c, const gr_decide_result *d)
{
    char msg[160];
    gr_metrics_inc(&c->w->metrics.bad_requester);
    c->keep_alive = false; /* every 400 ends the connection */
    snprintf(msg, sizeof msg, "400 Bad Request: invalid address in %s: %s\n",
             gr_req_source_name(d->source), gr_ip_strerror(d->requester_rc));
    gr_client_reply(c, 400, msg);
}

static void
gr_worker_blocked(struct gr_client *c)
{
    char msg[96];
    snprintf(msg, sizeof msg, "403 Forbidden: requests from %s are blocked\n",
             c->geo[0] ? c->geo : "-");
    gr_client_reply(c, 403, msg);
}

void
gr_worker_handle(struct gr_client *c)
{
    struct gr_worker *w = c->w;
    struct gr_proxy *p = w->proxy;

    if (c->metrics_only) { /* the --metrics-listen socket: never forwarded */
        gr_worker_metrics(c);
        return;
    }
    if (c->parser.http_major != 1 || c->parser.http_minor > 1) {
        c->keep_alive = false;
        gr_client_reply(c, 505, "505 HTTP Version Not Supported\n");
        return;
    }
    if (c->parser.method == HTTP_CONNECT) {
        c->keep_alive = false;
        gr_client_reply(c, 405, "405 Method Not Allowed: this proxy does not tunnel\n");
        return;
    }
    if (c->parser.upgrade) {
        c->keep_alive = false;
        gr_client_reply(c, 501, "501 Not Implemented: protocol upgrades are not supported\n");
        return;
    }
    const char *why;
    int bad = gr_request_check(&c->req, &c->parser, &why);
    if (bad) {
        c->keep_alive = false;
        gr_client_reply(c, bad, why);
        return;
    }

    const gr_decide_rules rules = {&p->policy, p->resolver, &p->cfg.access, true};
    gr_decide_result d;
    gr_decide(&rules, &c->peer, gr_worker_header, &c->req, &d);
    if (d.verdict != GR_DECIDE_BAD_REQUESTER) {
        gr_metrics_count_lookup(&w->metrics, d.lookup_ns);
        gr_worker_note(c, &d);
    }
    switch (d.verdict) {
    case GR_DECIDE_ALLOW:
        gr_client_forward(c);
        return;
    case GR_DECIDE_BLOCK:
        gr_worker_blocked(c);
        return;
    case GR_DECIDE_BAD_REQUESTER:
        gr_worker_bad_requester(c, &d);
        return;
    case GR_DECIDE_LOOKUP_FAILED:
        gr_client_reply(c, 500, "500 Internal Server Error: geo lookup failed\n");
        return;
    }
}

/* ---- the loop --------------------------------------------------------------------------- */

/* At the connection limit the connection is left in the listener, which
 * libuv then stops polling until it is accepted: the kernel's backlog holds
 * new clients (no accept-and-close). An idle keep-alive connection is shed
 * to make room, and the first connection to go resumes accepting. */
static void
gr_worker_on_connection(uv_stream_t *listener, int status)
{
    struct gr_worker *w = listener->data;
    if (status != 0 || w->stopping)
        return;
    if (w->n_clients >= w->max_clients) {
        w->accept_paused = true;
        gr_client_shed_idle(w);
        return;
    }
    gr_client_accept(w, (uv_stream_t *)&w->listener, false);
}

/* The metrics listener (worker 0 only): admin traffic, outside the limit. */
static void
gr_worker_on_metrics_connection(uv_stream_t *listener, int status)
{
    struct gr_worker *w = listener->data;
    if (status == 0 && !w->stopping)
        gr_client_accept(w, listener, true);
}

void
gr_worker_client_gone(struct gr_worker *w)
{
    if (w->accept_paused && !w->stopping && w->n_clients < w->max_clients) {
        w->accept_paused = false;
        gr_client_accept(w, (uv_stream_t *)&w->listener, false);
    }
}

static void
gr_worker_on_deadline(uv_timer_t *t)
{
    struct gr_worker *w = t->data;
    w->leftover = w->in_flight;
    gr_worker_teardown(w);
}

static void
gr_worker_on_stop(uv_async_t *a)
{
    struct gr_worker *w = a->data;
    if (w->stopping)
        return;
    w->stopping = true;
    if (w->listening)
        gr_worker_close((uv_handle_t *)&w->listener);
    if (w->metrics_listening)
        gr_worker_close((uv_handle_t *)&w->metrics_listener);
    gr_client_stop_all(w, false);
    if (w->in_flight == 0) {
        gr_worker_teardown(w);
        return;
    }
    uint64_t ms = w->proxy->cfg.shutdown_timeout_ns / 1000000u;
    uv_timer_start(&w->deadline, gr_worker_on_deadline, ms ? ms : 1, 0);
}

/* A listening socket on `addr` served by `on_connection`; its port is
 * filled in if it was 0. *open says whether the handle needs closing. */
static int
gr_worker_listen(struct gr_worker *w, uv_tcp_t *h, bool *open, gr_net_addr *addr, int backlog,
                 uv_connection_cb on_connection, char *err, size_t errcap)
{
    int fd = gr_net_listen(addr, backlog, err, errcap);
    if (fd < 0)
        return -1;
    uv_tcp_init(&w->loop, h);
    h->data = w;
    *open = true;
    int rc = uv_tcp_open(h, fd);
    if (rc)
        close(fd);
    else
        rc = uv_listen((uv_stream_t *)h, backlog, on_connection);
    if (rc) {
        snprintf(err, errcap, "cannot accept on the listening socket: %s", uv_strerror(rc));
        return -1;
    }
    if (gr_net_port(addr) == 0)
        gr_net_set_port(addr, gr_net_local_port(fd));
    return 0;
}

int
gr_worker_init(struct gr_worker *w, gr_net_addr *listen, char *err, size_t errcap)
{
    const gr_proxy_config *cfg = &w->proxy->cfg;
    if (uv_loop_init(&w->loop)) {
        snprintf(err, errcap, "cannot create an event loop");
        return -1;
    }
    w->loop_ready = true;
    w->loop.data = w;
    w->stream_high = GR_PROXY_STREAM_HIGH;
    if (uv_async_init(&w->loop, &w->stop_async, gr_worker_on_stop) ||
        uv_timer_init(&w->loop, &w->deadline)) {
        snprintf(err, errcap, "cannot create an event loop");
        return -1;
    }
    w->stop_async.data = w->deadline.data = w;
    if (gr_pool_init(&w->pool, &w->loop, &w->metrics, &w->proxy->upstream, cfg)) {
        snprintf(err, errcap, "out of memory");
        return -1;
    }
    return gr_worker_listen(w, &w->listener, &w->listening, listen, 1024, gr_worker_on_connection,
                            err, errcap);
}

int
gr_worker_listen_metrics(struct gr_worker *w, gr_net_addr *addr, char *err, size_t errcap)
{
    return gr_worker_listen(w, &w->metrics_listener, &w->metrics_listening, addr, 64,
                            gr_worker_on_metrics_connection, err, errcap);
}

void *
gr_worker_run(void *arg)
{
    struct gr_worker *w = arg;
    uv_run(&w->loop, UV_RUN_DEFAULT);
    return NULL;
}

void
gr_worker_request_stop(struct gr_worker *w)
{
    uv_async_send(&w->stop_async);
}

static void
gr_worker_close_any(uv_handle_t *h, void *arg)
{
    (void)arg;
    gr_worker_close(h);
}

void
gr_worker_free(struct gr_worker *w)
{
    if (w->loop_ready) {
        /* After a run every handle is closed; after a failed start the
         * loop's own handles still are open. */
        uv_walk(&w->loop, gr_worker_close_any, NULL);
        uv_run(&w->loop, UV_RUN_DEFAULT);
        uv_loop_close(&w->loop);
    }
    gr_pool_free(&w->pool);
    gr_buf_free(&w->logline);
}
