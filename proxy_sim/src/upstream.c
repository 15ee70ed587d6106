/*
 * upstream.c - 'georace upstream', the tiny test server the proxy forwards
 * to (the proxy's own connections to it are proxy_pool.c): N event loops,
 * each with its own evhttp and its own SO_REUSEPORT listening socket,
 * answering every request 200 with a fixed body - after a delay, when one
 * is configured or the path is /delay/MS (a one-shot timer on the loop,
 * never a sleep), and chunked
 * for a path under /chunked, N bytes streamed for /bytes/N - and echoing what the proxy added
 * (X-Echo-Forwarded-For, X-Echo-Body-Length, X-Echo-Method, and
 * X-Echo-Body-Crc32 of a non-empty body).
 *
 * Threading: the configuration and the body are written before the worker
 * threads are created and only read after, so pthread_create publishes
 * them; each loop and its pending delayed answers belong to its thread.
 * The one shared datum is the request counter, a relaxed atomic (a
 * statistic, not synchronization). Stopping uses event_base_loopexit from
 * the controlling thread, which libevent makes safe through
 * evthread_use_pthreads(); the threads are joined before anything is freed.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/thread.h>

#include "evloop.h"
#include "georace/netaddr.h"
#include "georace/upstream.h"

#define GR_UPSTREAM_MAX_PATH_DELAY_MS 60000u

struct gr_upstream_delayed;

struct gr_upstream_worker {
    struct gr_upstream *up;
    struct gr_upstream_delayed *pending; /* delayed answers, freed at stop */
    struct event_base *base;
    struct evhttp *http;
    pthread_t thread;
    bool started;
};

struct gr_upstream {
    gr_upstream_config cfg;
    char *body;
    char address[80];
    atomic_uint_fast64_t requests;
    unsigned n;
    struct gr_upstream_worker *w;
};

void
gr_upstream_config_default(gr_upstream_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->listen = "127.0.0.1:8081";
    cfg->body_size = 64;
    cfg->workers = 1;
}

static void
gr_upstream_send_chunked(struct evhttp_request *req, struct gr_upstream *u)
{
    evhttp_send_reply_start(req, 200, "OK");
    size_t left = u->cfg.body_size, step = left / 3 + 1;
    while (left > 0) {
        size_t n = left < step ? left : step;
        struct evbuffer *chunk = evbuffer_new();
        if (!chunk)
            break;
        evbuffer_add(chunk, u->body, n);
        evhttp_send_reply_chunk(req, chunk);
        evbuffer_free(chunk);
        left -= n;
    }
    evhttp_send_reply_end(req);
}

/* /bytes/N: N zero bytes with a Content-Length, sent 64 KiB at a time as
 * the connection drains (the next piece goes when evhttp has flushed the
 * last), so an answer of any size costs the upstream no memory. */
#define GR_UPSTREAM_PIECE 65536
static const char gr_upstream_zeros[GR_UPSTREAM_PIECE];

struct gr_upstream_stream {
    struct evhttp_request *req;
    uint64_t left;
};

static void
gr_upstream_stream_next(struct evhttp_connection *conn, void *arg)
{
    struct gr_upstream_stream *st = arg;
    (void)conn;
    if (st->left == 0) {
        evhttp_send_reply_end(st->req);
        free(st);
        return;
    }
    size_t n = st->left < GR_UPSTREAM_PIECE ? (size_t)st->left : GR_UPSTREAM_PIECE;
    struct evbuffer *piece = evbuffer_new();
    if (!piece) {
        evhttp_send_reply_end(st->req);
        free(st);
        return;
    }
    evbuffer_add_reference(piece, gr_upstream_zeros, n, NULL, NULL);
    st->left -= n;
    evhttp_send_reply_chunk_with_cb(st->req, piece, gr_upstream_stream_next, st);
    evbuffer_free(piece);
}

static void
gr_upstream_send_bytes(struct evhttp_request *req, uint64_t n)
{
    struct gr_upstream_stream *st = malloc(sizeof *st);
    char len[32];
    if (!st) {
        evhttp_send_error(req, 500, "out of memory");
        return;
    }
    st->req = req;
    st->left = n;
    snprintf(len, sizeof len, "%llu", (unsigned long long)n);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Length", len);
    evhttp_send_reply_start(req, 200, "OK");
    gr_upstream_stream_next(NULL, st);
}

/* The CRC-32 (IEEE 802.3, as zlib computes it) of a request body, in hex:
 * tests compare it with the body they sent, so a body that streamed
 * through the proxy is checked byte for byte, not just counted. */
static void
gr_upstream_body_crc(struct evbuffer *body, char *out, size_t size)
{
    uint32_t crc = 0xffffffffu;
    size_t len = evbuffer_get_length(body);
    const unsigned char *p = evbuffer_pullup(body, -1); /* a test server: one copy is fine */
    for (size_t k = 0; p && k < len; k++) {
        crc ^= p[k];
        for (int bit = 0; bit < 8; bit++)
            crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
    }
    snprintf(out, size, "%08x", (unsigned)(crc ^ 0xffffffffu));
}

static void
gr_upstream_answer(struct evhttp_request *req, struct gr_upstream *u)
{
    struct evkeyvalq *in = evhttp_request_get_input_headers(req);
    struct evkeyvalq *out = evhttp_request_get_output_headers(req);
    const char *xff = evhttp_find_header(in, "X-Forwarded-For");
    char num[32];

    atomic_fetch_add_explicit(&u->requests, 1, memory_order_relaxed);
    evhttp_add_header(out, "X-Echo-Forwarded-For", xff ? xff : "");
    struct evbuffer *body = evhttp_request_get_input_buffer(req);
    snprintf(num, sizeof num, "%zu", evbuffer_get_length(body));
    evhttp_add_header(out, "X-Echo-Body-Length", num);
    if (evbuffer_get_length(body) > 0) {
        gr_upstream_body_crc(body, num, sizeof num);
        evhttp_add_header(out, "X-Echo-Body-Crc32", num);
    }
    snprintf(num, sizeof num, "%d", (int)evhttp_request_get_command(req));
    evhttp_add_header(out, "X-Echo-Method", num);
    evhttp_add_header(out, "Content-Type", "application/octet-stream");

    const char *uri = evhttp_request_get_uri(req);
    if (uri && !strncmp(uri, "/chunked", 8)) {
        gr_upstream_send_chunked(req, u);
        return;
    }
    if (uri && !strncmp(uri, "/bytes/", 7)) {
        gr_upstream_send_bytes(req, strtoull(uri + 7, NULL, 10));
        return;
    }
    struct evbuffer *buf = evbuffer_new();
    if (!buf) {
        evhttp_send_error(req, 500, "out of memory");
        return;
    }
    if (u->cfg.body_size)
        evbuffer_add_reference(buf, u->body, u->cfg.body_size, NULL, NULL);
    evhttp_send_reply(req, 200, "OK", buf);
    evbuffer_free(buf);
}

struct gr_upstream_delayed {
    struct evhttp_request *req;
    struct gr_upstream_worker *w;
    struct gr_upstream_delayed *prev, *next;
};

static void
gr_upstream_delay_unlink(struct gr_upstream_delayed *d)
{
    if (d->prev)
        d->prev->next = d->next;
    else
        d->w->pending = d->next;
    if (d->next)
        d->next->prev = d->prev;
}

static void
gr_upstream_delay_done(evutil_socket_t fd, short what, void *arg)
{
    struct gr_upstream_delayed *d = arg;
    (void)fd;
    (void)what;
    gr_upstream_delay_unlink(d);
    gr_upstream_answer(d->req, d->w->up);
    free(d);
}

static void
gr_upstream_on_request(struct evhttp_request *req, void *arg)
{
    struct gr_upstream_worker *w = arg;
    struct gr_upstream *u = w->up;
    unsigned ms = u->cfg.delay_ms;
    const char *uri = evhttp_request_get_uri(req);
    if (uri && !strncmp(uri, "/delay/", 7)) { /* one slow path: /delay/MS */
        unsigned long v = strtoul(uri + 7, NULL, 10);
        ms = v > GR_UPSTREAM_MAX_PATH_DELAY_MS ? GR_UPSTREAM_MAX_PATH_DELAY_MS : (unsigned)v;
    }
    if (ms == 0) {
        gr_upstream_answer(req, u);
        return;
    }
    struct gr_upstream_delayed *d = malloc(sizeof *d);
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    if (!d) {
        evhttp_send_error(req, 500, "out of memory");
        return;
    }
    d->req = req;
    d->w = w;
    if (event_base_once(w->base, -1, EV_TIMEOUT, gr_upstream_delay_done, d, &tv)) {
        free(d);
        gr_upstream_answer(req, u);
        return;
    }
    d->prev = NULL;
    d->next = w->pending;
    if (w->pending)
        w->pending->prev = d;
    w->pending = d;
}

static void *
gr_upstream_thread(void *arg)
{
    struct gr_upstream_worker *w = arg;
    event_base_dispatch(w->base);
    return NULL;
}

static int
gr_upstream_worker_init(struct gr_upstream_worker *w, gr_net_addr *addr, char *err, size_t errcap)
{
    w->base = gr_evloop_new(false);
    w->http = w->base ? evhttp_new(w->base) : NULL;
    if (!w->http) {
        snprintf(err, errcap, "cannot create event loop");
        return -1;
    }
    int fd = gr_net_listen(addr, 1024, err, errcap);
    if (fd < 0)
        return -1;
    if (!evhttp_accept_socket_with_handle(w->http, fd)) {
        close(fd);
        snprintf(err, errcap, "evhttp cannot accept on the socket");
        return -1;
    }
    if (gr_net_port(addr) == 0)
        gr_net_set_port(addr, gr_net_local_port(fd));
    evhttp_set_allowed_methods(w->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
                                            EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
                                            EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
    evhttp_set_timeout(w->http, 120);
    evhttp_set_gencb(w->http, gr_upstream_on_request, w);
    return 0;
}

int
gr_upstream_start(const gr_upstream_config *cfg, gr_upstream **out, char *err, size_t errcap)
{
    gr_net_addr addr;
    if (gr_net_parse(cfg->listen, &addr, err, errcap))
        return -1;
    if (cfg->workers < 1 || cfg->workers > 256) {
        snprintf(err, errcap, "workers must be 1..256");
        return -1;
    }
    evthread_use_pthreads();
    struct gr_upstream *u = calloc(1, sizeof *u);
    if (!u) {
        snprintf(err, errcap, "out of memory");
        return -1;
    }
    u->cfg = *cfg;
    u->n = cfg->workers;
    u->body = malloc(cfg->body_size + 1);
    u->w = calloc(u->n, sizeof *u->w);
    if (!u->body || !u->w) {
        snprintf(err, errcap, "out of memory");
        gr_upstream_stop(u);
        return -1;
    }
    for (size_t i = 0; i < cfg->body_size; i++)
        u->body[i] = (char)('a' + i % 26);
    for (unsigned i = 0; i < u->n; i++) {
        u->w[i].up = u;
        if (gr_upstream_worker_init(&u->w[i], &addr, err, errcap)) {
            gr_upstream_stop(u);
            return -1;
        }
    }
    gr_net_format(&addr, u->address, sizeof u->address);
    for (unsigned i = 0; i < u->n; i++) {
        if (pthread_create(&u->w[i].thread, NULL, gr_upstream_thread, &u->w[i])) {
            snprintf(err, errcap, "cannot start a worker thread");
            gr_upstream_stop(u);
            return -1;
        }
        u->w[i].started = true;
    }
    *out = u;
    return 0;
}

const char *
gr_upstream_address(const gr_upstream *u)
{
    return u->address;
}

uint64_t
gr_upstream_requests(const gr_upstream *u)
{
    return atomic_load_explicit(&((gr_upstream *)u)->requests, memory_order_relaxed);
}

void
gr_upstream_stop(gr_upstream *u)
{
    if (!u)
        return;
    for (unsigned i = 0; u->w && i < u->n; i++)
        if (u->w[i].started)
            event_base_loopexit(u->w[i].base, NULL);
    for (unsigned i = 0; u->w && i < u->n; i++) {
        if (u->w[i].started)
            pthread_join(u->w[i].thread, NULL);
        if (u->w[i].http)
            evhttp_free(u->w[i].http);
        if (u->w[i].base)
            event_base_free(u->w[i].base);
        while (u->w[i].pending) {
            struct gr_upstream_delayed *d = u->w[i].pending;
            u->w[i].pending = d->next;
            free(d);
        }
    }
    free(u->w);
    free(u->body);
    free(u);
}
