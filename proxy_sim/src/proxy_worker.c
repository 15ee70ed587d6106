/*
 * proxy_worker.c - one proxy worker: an event loop, an evhttp server on its
 * own SO_REUSEPORT socket, and the request path
 *
 *   peer -> requester IP -> shared resolver (cache) -> access rule
 *        -> 403, or forward over the worker's upstream pool -> reply
 *
 * Everything here runs on the worker's own thread; the only state shared
 * with other workers is the resolver/cache (synchronized by the variant
 * under test, or deliberately not) and the metrics (see proxy_internal.h).
 *
 * Lifetime of a forwarded request: evhttp owns the downstream request until
 * we answer it. If the client goes away first, evhttp detaches the request
 * from its connection instead of freeing it (we have not answered yet), and
 * our later evhttp_send_reply frees it. The upstream request belongs to
 * evhttp and is freed after its completion callback returns.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/http_struct.h>
#include <event2/keyvalq_struct.h>

#include "georace/clock.h"
#include "georace/zone.h"
#include "evloop.h"
#include "proxy_internal.h"

struct gr_fwd {
    struct gr_proxy_worker *w;
    struct evhttp_request *req;
    struct gr_pool_conn *conn;
    struct gr_fwd *prev, *next;
    uint64_t t0;
    int error; /* evhttp_request_error of the upstream request, -1 if none */
    char peer[GR_IP_STRLEN];
    char client[GR_IP_STRLEN];
    char geo[32];
};

static const char *
gr_worker_reason(int code)
{
    switch (code) {
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 413:
        return "Payload Too Large";
    case 500:
        return "Internal Server Error";
    case 502:
        return "Bad Gateway";
    case 504:
        return "Gateway Timeout";
    case 505:
        return "HTTP Version Not Supported";
    default:
        return "Unknown";
    }
}

static const char *
gr_worker_method(enum evhttp_cmd_type cmd)
{
    switch (cmd) {
    case EVHTTP_REQ_GET:
        return "GET";
    case EVHTTP_REQ_POST:
        return "POST";
    case EVHTTP_REQ_HEAD:
        return "HEAD";
    case EVHTTP_REQ_PUT:
        return "PUT";
    case EVHTTP_REQ_DELETE:
        return "DELETE";
    case EVHTTP_REQ_OPTIONS:
        return "OPTIONS";
    case EVHTTP_REQ_TRACE:
        return "TRACE";
    case EVHTTP_REQ_CONNECT:
        return "CONNECT";
    case EVHTTP_REQ_PATCH:
        return "PATCH";
    }
    return "?";
}

/* Hop-by-hop headers (RFC 9110 7.6.1) and the ones evhttp recomputes. Called
 * for every header of every request and response: the length and first
 * letter rule out most names before any strcasecmp. */
static bool
gr_worker_skip_header(const char *name)
{
    size_t len = strlen(name);
    switch (name[0] | 0x20) {
    case 'c':
        return (len == 10 && !strcasecmp(name, "Connection")) ||
               (len == 14 && !strcasecmp(name, "Content-Length"));
    case 'k':
        return len == 10 && !strcasecmp(name, "Keep-Alive");
    case 'p':
        return (len == 16 && !strcasecmp(name, "Proxy-Connection")) ||
               (len == 18 && !strcasecmp(name, "Proxy-Authenticate")) ||
               (len == 19 && !strcasecmp(name, "Proxy-Authorization"));
    case 't':
        return (len == 2 && !strcasecmp(name, "TE")) ||
               (len == 7 && !strcasecmp(name, "Trailer")) ||
               (len == 17 && !strcasecmp(name, "Transfer-Encoding"));
    case 'u':
        return len == 7 && !strcasecmp(name, "Upgrade");
    case 'x':
        return len == 13 && !strcasecmp(name, "X-Geo-Country");
    default:
        return false;
    }
}

/* Move the end-to-end headers of one message to another instead of copying
 * them: evhttp keeps both lists as evkeyval nodes with heap key and value,
 * freed alike when their request is freed, so relinking a node hands it
 * over without a strdup, a malloc and their frees per header. Skipped
 * headers, and `also_skip` if not NULL, stay where they are. */
static void
gr_worker_move_headers(struct evkeyvalq *from, struct evkeyvalq *to, const char *also_skip)
{
    struct evkeyval *kv = from->tqh_first;
    while (kv) {
        struct evkeyval *next = kv->next.tqe_next;
        if (!gr_worker_skip_header(kv->key) && !(also_skip && !strcasecmp(kv->key, also_skip))) {
            if (next)
                next->next.tqe_prev = kv->next.tqe_prev;
            else
                from->tqh_last = kv->next.tqe_prev;
            *kv->next.tqe_prev = next;
            kv->next.tqe_next = NULL;
            kv->next.tqe_prev = to->tqh_last;
            *to->tqh_last = kv;
            to->tqh_last = &kv->next.tqe_next;
        }
        kv = next;
    }
}

/* evhttp_find_header, cheaper: libevent compares every name in full with a
 * function call per character; the first letter rules out most names. */
static const char *
gr_worker_find(const struct evkeyvalq *headers, const char *name)
{
    int c = name[0] | 0x20;
    for (const struct evkeyval *kv = headers->tqh_first; kv; kv = kv->next.tqe_next)
        if ((kv->key[0] | 0x20) == c && !strcasecmp(kv->key, name))
            return kv->value;
    return NULL;
}

static const char *
gr_worker_header(void *ctx, const char *name)
{
    return gr_worker_find(evhttp_request_get_input_headers(ctx), name);
}

static void
gr_worker_log(struct gr_proxy_worker *w, struct evhttp_request *req, const char *peer,
              const char *client, int code, const char *geo, size_t bytes, uint64_t t0)
{
    struct gr_proxy *p = w->proxy;
    if (!p->cfg.access_log)
        return;
    const char *uri = evhttp_request_get_uri(req);
    double ms = (double)(gr_clock_now_ns() - t0) / 1e6;
    pthread_mutex_lock(&p->log_lock);
    fprintf(p->cfg.access_log, "%s %s \"%s %s\" %d %s %zu %.3fms\n", peer, client[0] ? client : "-",
            gr_worker_method(evhttp_request_get_command(req)), uri ? uri : "-", code,
            geo[0] ? geo : "-", bytes, ms);
    pthread_mutex_unlock(&p->log_lock);
}

/* A request is fully written (or its client is gone): it no longer holds a
 * graceful stop back. */
static void
gr_worker_release(struct gr_proxy_worker *w)
{
    gr_metrics_dec(&w->metrics.in_flight);
    w->in_flight--;
    if (w->stopping && w->in_flight == 0)
        event_base_loopexit(w->base, NULL);
}

static void
gr_worker_on_complete(struct evhttp_request *req, void *arg)
{
    (void)req;
    gr_worker_release(arg);
}

/* Send the answer and count it. evhttp writes it asynchronously; the
 * request is released when the write completes, so a graceful stop never
 * closes a connection with an answer still in its buffer. A request whose
 * client already left has no connection: evhttp frees it at once. */
static void
gr_worker_send(struct gr_proxy_worker *w, struct evhttp_request *req, int code, const char *reason,
               struct evbuffer *body)
{
    bool connected = evhttp_request_get_connection(req) != NULL;
    gr_metrics_count_status(&w->metrics, code);
    if (connected)
        evhttp_request_set_on_complete_cb(req, gr_worker_on_complete, w);
    evhttp_send_reply(req, code, reason, body);
    if (!connected)
        gr_worker_release(w);
}

/* Answer from the proxy itself (403, 400, 502, metrics, ...). */
static void
gr_worker_reply(struct gr_proxy_worker *w, struct evhttp_request *req, int code, const char *geo,
                struct evbuffer *body, const char *peer, const char *client, uint64_t t0)
{
    struct evkeyvalq *out = evhttp_request_get_output_headers(req);
    evhttp_add_header(out, "X-Geo-Country", geo[0] ? geo : "-");
    if (!evhttp_find_header(out, "Content-Type"))
        evhttp_add_header(out, "Content-Type", "text/plain; charset=utf-8");
    gr_worker_log(w, req, peer, client, code, geo, body ? evbuffer_get_length(body) : 0, t0);
    gr_worker_send(w, req, code, gr_worker_reason(code), body);
}

static void
gr_worker_reply_text(struct gr_proxy_worker *w, struct evhttp_request *req, int code,
                     const char *geo, const char *text, const char *peer, const char *client,
                     uint64_t t0)
{
    struct evbuffer *body = evbuffer_new();
    if (body)
        evbuffer_add(body, text, strlen(text));
    gr_worker_reply(w, req, code, geo, body, peer, client, t0);
    if (body)
        evbuffer_free(body);
}

static void
gr_worker_fwd_unlink(struct gr_fwd *f)
{
    if (f->prev)
        f->prev->next = f->next;
    else
        f->w->fwds = f->next;
    if (f->next)
        f->next->prev = f->prev;
}

static void
gr_worker_on_upstream_error(enum evhttp_request_error err, void *arg)
{
    struct gr_fwd *f = arg;
    f->error = (int)err;
}

static void
gr_worker_on_upstream(struct evhttp_request *ureq, void *arg)
{
    struct gr_fwd *f = arg;
    struct gr_proxy_worker *w = f->w;
    int code = ureq ? evhttp_request_get_response_code(ureq) : 0;

    gr_pool_release(&w->pool, f->conn);
    gr_worker_fwd_unlink(f);
    if (code == 0) {
        bool timeout = f->error == EVREQ_HTTP_TIMEOUT;
        gr_metrics_inc(
            &w->metrics.upstream_errors[timeout ? GR_METRICS_UP_TIMEOUT : GR_METRICS_UP_REFUSED]);
        gr_worker_reply_text(w, f->req, timeout ? 504 : 502, f->geo,
                             timeout ? "504 Gateway Timeout: the upstream did not answer in time\n"
                                     : "502 Bad Gateway: the upstream is unreachable\n",
                             f->peer, f->client, f->t0);
        free(f);
        return;
    }
    struct evkeyvalq *out = evhttp_request_get_output_headers(f->req);
    gr_worker_move_headers(evhttp_request_get_input_headers(ureq), out, NULL);
    evhttp_add_header(out, "X-Geo-Country", f->geo);
    struct evbuffer *body = evhttp_request_get_input_buffer(ureq);
    const char *reason = evhttp_request_get_response_code_line(ureq);
    gr_worker_log(w, f->req, f->peer, f->client, code, f->geo, evbuffer_get_length(body), f->t0);
    gr_worker_send(w, f->req, code, reason && *reason ? reason : gr_worker_reason(code), body);
    free(f);
}

static void
gr_worker_forward(struct gr_proxy_worker *w, struct evhttp_request *req, struct gr_fwd *f)
{
    struct evkeyvalq *in = evhttp_request_get_input_headers(req);
    const char *xff = gr_worker_find(in, "X-Forwarded-For");
    f->conn = gr_pool_acquire(&w->pool);
    struct evhttp_request *ureq = f->conn ? evhttp_request_new(gr_worker_on_upstream, f) : NULL;
    if (!ureq) {
        if (f->conn)
            gr_pool_release(&w->pool, f->conn);
        gr_metrics_inc(&w->metrics.upstream_errors[GR_METRICS_UP_REFUSED]);
        gr_worker_reply_text(w, req, 502, f->geo, "502 Bad Gateway: no upstream connection\n",
                             f->peer, f->client, f->t0);
        free(f);
        return;
    }
    evhttp_request_set_error_cb(ureq, gr_worker_on_upstream_error);

    /* The downstream request keeps its hop-by-hop headers (evhttp reads
     * Connection there when it answers) and its X-Forwarded-For, which xff
     * points into; the rest moves to the upstream request. */
    struct evkeyvalq *out = evhttp_request_get_output_headers(ureq);
    gr_worker_move_headers(in, out, "X-Forwarded-For");
    if (!gr_worker_find(out, "Host")) {
        char host[80];
        snprintf(host, sizeof host, "%s:%u", w->pool.host, w->pool.port);
        evhttp_add_header(out, "Host", host);
    }
    char xffbuf[4096];
    size_t xlen = xff ? strlen(xff) : 0, plen = strlen(f->peer);
    if (xlen > 0 && xlen + 2 + plen < sizeof xffbuf) {
        memcpy(xffbuf, xff, xlen);
        memcpy(xffbuf + xlen, ", ", 2);
        memcpy(xffbuf + xlen + 2, f->peer, plen + 1);
        evhttp_add_header(out, "X-Forwarded-For", xffbuf);
    } else {
        evhttp_add_header(out, "X-Forwarded-For", f->peer);
    }
    struct evbuffer *body = evhttp_request_get_input_buffer(req);
    size_t len = evbuffer_get_length(body);
    if (len > 0) {
        char num[32];
        snprintf(num, sizeof num, "%zu", len);
        evhttp_add_header(out, "Content-Length", num);
        evbuffer_add_buffer(evhttp_request_get_output_buffer(ureq), body);
    }

    f->next = w->fwds;
    f->prev = NULL;
    if (w->fwds)
        w->fwds->prev = f;
    w->fwds = f;
    const char *uri = evhttp_request_get_uri(req);
    struct gr_pool_conn *conn = f->conn;
    if (evhttp_make_request(conn->evcon, ureq, evhttp_request_get_command(req), uri) != 0)
        return; /* evhttp already ran our callbacks (502) or never queued the request */
    gr_net_nodelay_once(bufferevent_getfd(evhttp_connection_get_bufferevent(conn->evcon)),
                        &conn->nodelay_fd);
}

static bool
gr_worker_may_see_metrics(const struct gr_proxy *p, const gr_ip *peer)
{
    if (gr_zone_of(peer) == GR_ZONE_LOOPBACK)
        return true;
    for (size_t i = 0; i < p->policy.n_trusted; i++)
        if (gr_cidr_contains(&p->policy.trusted[i], peer))
            return true;
    return false;
}

static void
gr_worker_metrics(struct gr_proxy_worker *w, struct evhttp_request *req, const gr_ip *peer,
                  const char *peerstr, uint64_t t0)
{
    if (!gr_worker_may_see_metrics(w->proxy, peer)) {
        gr_worker_reply_text(w, req, 404, "-", "404 Not Found\n", peerstr, "", t0);
        return;
    }
    struct evbuffer *body = evbuffer_new();
    if (body)
        gr_metrics_render(w->proxy, body);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
                      "text/plain; version=0.0.4; charset=utf-8");
    gr_worker_reply(w, req, body ? 200 : 500, "-", body, peerstr, "", t0);
    if (body)
        evbuffer_free(body);
}

static void
gr_worker_on_request(struct evhttp_request *req, void *arg)
{
    struct gr_proxy_worker *w = arg;
    struct gr_proxy *p = w->proxy;
    uint64_t t0 = gr_clock_now_ns();
    gr_ip peer, client;
    gr_req_source src;
    char peerstr[GR_IP_STRLEN], clientstr[GR_IP_STRLEN] = "";

    w->in_flight++;
    gr_metrics_inc(&w->metrics.in_flight);
    struct evhttp_connection *evcon = evhttp_request_get_connection(req);
    if (!evcon || gr_net_to_ip(evhttp_connection_get_addr(evcon), &peer))
        memset(&peer, 0, sizeof peer);
    gr_ip_format(&peer, peerstr, sizeof peerstr);

    /* libevent 2.1 accepts any "HTTP/%d.%d" with a major <= 1 ("HTTP/1.-1",
     * "HTTP/0.7") and echoes it in the status line, which would make our
     * answer malformed: only 1.0 and 1.1 are served, the rest get a 505. */
    if (req->major != 1 || (req->minor != 0 && req->minor != 1)) {
        req->major = 1;
        req->minor = 1;
        gr_worker_reply_text(w, req, 505, "-", "505 HTTP Version Not Supported\n", peerstr, "", t0);
        return;
    }
    const char *uri = evhttp_request_get_uri(req);
    if (uri && (!strcmp(uri, "/-/metrics") || !strncmp(uri, "/-/metrics?", 11))) {
        gr_worker_metrics(w, req, &peer, peerstr, t0);
        return;
    }
    int rc = gr_requester_ip(&p->policy, &peer, gr_worker_header, req, &client, &src);
    if (rc != GR_IP_OK) {
        char msg[160];
        gr_metrics_inc(&w->metrics.bad_requester);
        snprintf(msg, sizeof msg, "400 Bad Request: invalid address in %s: %s\n",
                 gr_req_source_name(src), gr_ip_strerror(rc));
        gr_worker_reply_text(w, req, 400, "-", msg, peerstr, "", t0);
        return;
    }
    if (p->cfg.access_log) /* only the access log shows the client */
        gr_ip_format(&client, clientstr, sizeof clientstr);

    uint64_t t1 = gr_clock_now_ns();
    gr_answer ans = gr_resolve(p->resolver, &client);
    gr_metrics_count_lookup(&w->metrics, gr_clock_now_ns() - t1);

    char geo[32] = "-";
    if (ans.kind == GR_ANSWER_COUNTRY)
        gr_country_str(ans.country, geo);
    else if (ans.kind == GR_ANSWER_ZONE)
        snprintf(geo, sizeof geo, "%s", gr_zone_name(ans.zone));
    if (ans.kind == GR_ANSWER_ERROR) {
        gr_worker_reply_text(w, req, 500, "-", "500 Internal Server Error: geo lookup failed\n",
                             peerstr, clientstr, t0);
        return;
    }
    if (!gr_access_allows(&p->cfg.access, &ans)) {
        char msg[96];
        snprintf(msg, sizeof msg, "403 Forbidden: requests from %s are blocked\n", geo);
        gr_worker_reply_text(w, req, 403, geo, msg, peerstr, clientstr, t0);
        return;
    }
    struct gr_fwd *f = calloc(1, sizeof *f);
    if (!f) {
        gr_worker_reply_text(w, req, 500, geo, "500 Internal Server Error: out of memory\n",
                             peerstr, clientstr, t0);
        return;
    }
    f->w = w;
    f->req = req;
    f->t0 = t0;
    f->error = -1;
    memcpy(f->peer, peerstr, sizeof f->peer);
    memcpy(f->client, clientstr, sizeof f->client);
    snprintf(f->geo, sizeof f->geo, "%s", geo);
    gr_worker_forward(w, req, f);
}

static void
gr_worker_on_deadline(evutil_socket_t fd, short what, void *arg)
{
    struct gr_proxy_worker *w = arg;
    (void)fd;
    (void)what;
    w->leftover = w->in_flight;
    event_base_loopbreak(w->base);
}

static void
gr_worker_on_stop(evutil_socket_t fd, short what, void *arg)
{
    struct gr_proxy_worker *w = arg;
    uint64_t n;
    (void)what;
    if (read(fd, &n, sizeof n) < 0) {
        /* nothing to drain: the event fires once and is not re-added */
    }
    if (w->stopping)
        return;
    w->stopping = true;
    if (w->bound) {
        evhttp_del_accept_socket(w->http, w->bound);
        w->bound = NULL;
    }
    if (w->in_flight == 0) {
        event_base_loopexit(w->base, NULL);
        return;
    }
    struct timeval tv = gr_clock_timeval(w->proxy->cfg.shutdown_timeout_ns);
    event_add(w->deadline_ev, &tv);
}

int
gr_proxy_worker_init(struct gr_proxy_worker *w, gr_net_addr *listen, char *err, size_t errcap)
{
    const gr_proxy_config *cfg = &w->proxy->cfg;
    w->base = gr_evloop_new(false);
    w->http = w->base ? evhttp_new(w->base) : NULL;
    w->stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    w->stop_ev = w->base && w->stop_fd >= 0
                     ? event_new(w->base, w->stop_fd, EV_READ, gr_worker_on_stop, w)
                     : NULL;
    w->deadline_ev = w->base ? evtimer_new(w->base, gr_worker_on_deadline, w) : NULL;
    if (!w->http || !w->stop_ev || !w->deadline_ev || event_add(w->stop_ev, NULL)) {
        snprintf(err, errcap, "cannot create an event loop");
        return -1;
    }
    if (gr_pool_init(&w->pool, w->base, &w->proxy->upstream, cfg->upstream_timeout_ns,
                     cfg->upstream_pool)) {
        snprintf(err, errcap, "out of memory");
        return -1;
    }
    int fd = gr_net_listen(listen, 1024, err, errcap);
    if (fd < 0)
        return -1;
    w->bound = evhttp_accept_socket_with_handle(w->http, fd);
    if (!w->bound) {
        close(fd);
        snprintf(err, errcap, "evhttp cannot accept on the listening socket");
        return -1;
    }
    if (gr_net_port(listen) == 0)
        gr_net_set_port(listen, gr_net_local_port(fd));

    uint64_t t = cfg->read_timeout_ns;
    if (cfg->write_timeout_ns < t)
        t = cfg->write_timeout_ns;
    if (cfg->idle_timeout_ns < t)
        t = cfg->idle_timeout_ns;
    struct timeval tv = gr_clock_timeval(t);
    evhttp_set_timeout_tv(w->http, &tv);
    evhttp_set_max_headers_size(w->http, (ev_ssize_t)cfg->max_header_size);
    evhttp_set_max_body_size(w->http, (ev_ssize_t)cfg->max_body_size);
    evhttp_set_flags(w->http, EVHTTP_SERVER_LINGERING_CLOSE);
    evhttp_set_allowed_methods(w->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
                                            EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
                                            EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
    evhttp_set_gencb(w->http, gr_worker_on_request, w);
    return 0;
}

void *
gr_proxy_worker_run(void *arg)
{
    struct gr_proxy_worker *w = arg;
    event_base_dispatch(w->base);
    return NULL;
}

void
gr_proxy_worker_request_stop(struct gr_proxy_worker *w)
{
    uint64_t one = 1;
    while (write(w->stop_fd, &one, sizeof one) < 0 && errno == EINTR) {
    }
}

void
gr_proxy_worker_free(struct gr_proxy_worker *w)
{
    /* Upstream requests still queued die with their connections, without
     * callbacks; then the forwards that waited for them. */
    gr_pool_free(&w->pool);
    while (w->fwds) {
        struct gr_fwd *f = w->fwds;
        w->fwds = f->next;
        free(f);
    }
    if (w->http)
        evhttp_free(w->http);
    if (w->stop_ev)
        event_free(w->stop_ev);
    if (w->deadline_ev)
        event_free(w->deadline_ev);
    if (w->base)
        event_base_free(w->base);
    if (w->stop_fd >= 0)
        close(w->stop_fd);
}
