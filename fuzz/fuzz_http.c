/*
 * fuzz_http.c - raw bytes through the proxy's real request path.
 *
 * One proxy worker is built in process, exactly as gr_proxy_start builds it
 * (proxy_worker.h: gr_worker_init, the worker's libuv loop, its
 * limits and timeouts), and its loop runs on the fuzzing thread. Each input
 * is one client connection, one end of an AF_UNIX socket pair whose other
 * end the worker serves as it serves an accepted TCP connection
 * (gr_client_adopt): the bytes are written, the write side is shut, and the
 * loop runs until the proxy closes the connection. What runs is
 * http-parser plus all of the proxy's own HTTP handling: requester IP
 * (X-Real-Ip, XFF, ... with trusted proxies), resolver + cache, access
 * rule, pipelining, limits, reply construction. No network: the peer of an
 * AF_UNIX client is no IP address, which the proxy treats as "::". Requests
 * the proxy decides to forward go to a capturing upstream served by the
 * same loop: a listener on 127.0.0.1 that records the bytes each of its
 * connections receives, cuts them into requests with a lenient parser and
 * answers each with a fixed 200 that names the request it answers
 * (X-Fz-Upstream: its index).
 *
 * Input: byte 0 picks the trust policy (byte 0 mod 3: 0 trusted list
 * holding "::/128", 1 trust all as Zoraxy, 2 empty list: nobody trusted)
 * and whether request bodies stream ((byte 0 / 3) mod 2: from 32 bytes on
 * instead of the proxy's 64 KiB, with the stream written in two parts cut
 * at (byte 0 / 6) mod 8 eighths, so that a body the first part leaves
 * unfinished is decided on its head and goes upstream as it arrives,
 * re-chunked when the client's was chunked); the rest is the client's byte
 * stream (one or more pipelined requests).
 * Oracles: no crash, leak or hang (the proxy must close the connection
 * within 20 s of the client's last byte); every answer starts with an
 * "HTTP/1.1 <code> " status line and carries X-Geo-Country (the proxy
 * writes every answer itself, errors of the parser included), and a 403
 * names a country of the block list. Differential (upstream_oracle.h):
 * the upstream received exactly one request per answer that carries its
 * 200, in order, and nothing else; each is the client's request (method,
 * origin-form target, decoded body, its end-to-end headers) plus Host,
 * X-Forwarded-For (the peer "::", after the client's chain when trusted)
 * and X-Geo-Country equal to the one the client's answer carries.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <poll.h>
#include <unistd.h>

#include "fuzz_input.h"
#include "proxy_client.h"
#include "proxy_worker.h"
#include "upstream_oracle.h"

#define FZ_HTTP_MAX_INPUT 65536
#define FZ_HTTP_MAX_RESPONSE (1u << 20)
/* Bodies stream from this many bytes on when the input asks (the proxy's
 * own threshold, GR_PROXY_STREAM_HIGH, is beyond most inputs). */
#define FZ_HTTP_STREAM_HIGH 32

static const char fz_http_csv[] = "1.0.0.0,1.0.0.255,AU\n"
                                  "5.0.0.0,5.255.255.255,CN\n"
                                  "8.8.8.0,8.8.8.255,US\n"
                                  "95.0.0.0,95.255.255.255,RU\n"
                                  "2a00::,2a00:ffff:ffff:ffff:ffff:ffff:ffff:ffff,DE\n"
                                  "2400::,2400:ffff:ffff:ffff:ffff:ffff:ffff:ffff,CN\n";

/* A request the upstream received, cut from its connection's bytes. */
struct fz_http_captured {
    char *p;
    size_t len;
};

static struct {
    bool ready;
    gr_geodb *db;
    struct gr_proxy proxy;
    struct gr_worker worker;
    gr_cidr trusted[1];
    int upstream_fd;        /* the capturing upstream's listening socket */
    uv_tcp_t upstream;      /* ... served by the worker's loop */
    char upstream_host[32]; /* "127.0.0.1:port": Host for a request without one */
    /* what the upstream received during the current input, in order */
    struct fz_http_captured *cap;
    size_t n_cap, cap_cap;
    size_t n_cut; /* requests left unfinished on an upstream connection */
} fz_http;

/* ---- the capturing upstream ----------------------------------------------------------- */

/* One connection the proxy's pool opened to the upstream. */
struct fz_http_upconn {
    uv_tcp_t tcp;
    http_parser hp;
    char *buf; /* received bytes not yet cut into a request */
    size_t len, cap;
    size_t fed; /* of them, already given to the parser (a request in pieces) */
    bool head;  /* the request being read is a HEAD */
};

struct fz_http_upwrite {
    uv_write_t req;
    char text[192];
};

static void
fz_http_up_written(uv_write_t *req, int status)
{
    (void)status; /* the proxy may have gone: its side reports that */
    free(req);
}

/* Answer the request just captured: a fixed 200 that says which it was. */
static void
fz_http_up_answer(struct fz_http_upconn *u, size_t index)
{
    struct fz_http_upwrite *w = malloc(sizeof *w);
    FZ_CHECK(w != NULL, "out of memory");
    int n = snprintf(w->text, sizeof w->text,
                     "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\n"
                     "X-Fz-Upstream: %zu\r\nContent-Length: 7\r\n\r\n%s",
                     index, u->head ? "" : "200 OK\n");
    uv_buf_t b = uv_buf_init(w->text, (unsigned)n);
    if (uv_write(&w->req, (uv_stream_t *)&u->tcp, &b, 1, fz_http_up_written))
        free(w);
}

static int
fz_http_up_on_headers(http_parser *hp)
{
    struct fz_http_upconn *u = hp->data;
    u->head = hp->method == HTTP_HEAD;
    return 0;
}

static int
fz_http_up_on_complete(http_parser *hp)
{
    http_parser_pause(hp, 1);
    return 0;
}

static const http_parser_settings fz_http_up_settings = {
    .on_headers_complete = fz_http_up_on_headers,
    .on_message_complete = fz_http_up_on_complete,
};

static void
fz_http_up_capture(const char *p, size_t len)
{
    if (fz_http.n_cap == fz_http.cap_cap) {
        size_t cap = fz_http.cap_cap ? 2 * fz_http.cap_cap : 16;
        struct fz_http_captured *v = realloc(fz_http.cap, cap * sizeof *v);
        FZ_CHECK(v != NULL, "out of memory");
        fz_http.cap = v;
        fz_http.cap_cap = cap;
    }
    char *copy = malloc(len ? len : 1);
    FZ_CHECK(copy != NULL, "out of memory");
    memcpy(copy, p, len);
    fz_http.cap[fz_http.n_cap++] = (struct fz_http_captured){copy, len};
}

static void
fz_http_up_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    struct fz_http_upconn *u = h->data;
    (void)suggested;
    if (u->cap - u->len < 16384) {
        size_t cap = u->cap ? 2 * u->cap : 65536;
        char *p = realloc(u->buf, cap);
        FZ_CHECK(p != NULL, "out of memory");
        u->buf = p;
        u->cap = cap;
    }
    *buf = uv_buf_init(u->buf + u->len, (unsigned)(u->cap - u->len));
}

static void
fz_http_up_closed(uv_handle_t *h)
{
    struct fz_http_upconn *u = h->data;
    free(u->buf);
    free(u);
}

/* Cut the received bytes into requests (lenient: the oracle is strict),
 * capture and answer each. */
static void
fz_http_up_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    struct fz_http_upconn *u = s->data;
    (void)buf;
    if (nread < 0) {
        /* a streamed request is cut off when its client goes or is refused
         * mid-body (at most one per input: one client connection) */
        bool streamed = fz_http.worker.stream_high < GR_PROXY_STREAM_HIGH;
        FZ_CHECK(u->len == 0 || (streamed && fz_http.n_cut++ == 0),
                 "the proxy left %zu bytes of a request on an upstream connection: "
                 "\"%.*s\"",
                 u->len, (int)(u->len < 200 ? u->len : 200), u->buf);
        uv_close((uv_handle_t *)&u->tcp, fz_http_up_closed);
        return;
    }
    u->len += (size_t)nread;
    size_t off = u->fed;
    while (off < u->len) {
        size_t start = off;
        off += http_parser_execute(&u->hp, &fz_http_up_settings, u->buf + off, u->len - off);
        enum http_errno e = HTTP_PARSER_ERRNO(&u->hp);
        FZ_CHECK(e == HPE_OK || e == HPE_PAUSED,
                 "the upstream received bytes that do not parse "
                 "(%s): \"%.*s\"",
                 http_errno_name(e), (int)(u->len - start < 200 ? u->len - start : 200),
                 u->buf + start);
        if (e != HPE_PAUSED) {
            u->fed = u->len;
            return; /* the rest of this request is still to come */
        }
        fz_http_up_capture(u->buf, off);
        fz_http_up_answer(u, fz_http.n_cap - 1);
        memmove(u->buf, u->buf + off, u->len - off);
        u->len -= off;
        u->fed = 0;
        off = 0;
        http_parser_pause(&u->hp, 0);
    }
}

static void
fz_http_up_accept(uv_stream_t *server, int status)
{
    FZ_CHECK(status == 0, "upstream accept: %s", uv_strerror(status));
    struct fz_http_upconn *u = calloc(1, sizeof *u);
    FZ_CHECK(u != NULL, "out of memory");
    uv_tcp_init(server->loop, &u->tcp);
    u->tcp.data = u;
    http_parser_init(&u->hp, HTTP_REQUEST);
    u->hp.data = u;
    FZ_CHECK(uv_accept(server, (uv_stream_t *)&u->tcp) == 0, "upstream accept");
    uv_tcp_nodelay(&u->tcp, 1); /* one write per answer: nothing to coalesce */
    FZ_CHECK(uv_read_start((uv_stream_t *)&u->tcp, fz_http_up_alloc, fz_http_up_read) == 0,
             "upstream read");
}

/* The listening socket comes first: the pool learns the upstream's
 * address when the worker is made; the loop serves it after. */
static void
fz_http_upstream_bind(gr_net_addr *up)
{
    struct sockaddr_in *sin = (struct sockaddr_in *)&up->ss;
    memset(up, 0, sizeof *up);
    sin->sin_family = AF_INET;
    sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    up->len = sizeof *sin;
    fz_http.upstream_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    FZ_CHECK(fz_http.upstream_fd >= 0, "socket: %s", strerror(errno));
    FZ_CHECK(bind(fz_http.upstream_fd, (struct sockaddr *)sin, sizeof *sin) == 0, "bind: %s",
             strerror(errno));
    socklen_t len = sizeof *sin;
    FZ_CHECK(getsockname(fz_http.upstream_fd, (struct sockaddr *)sin, &len) == 0, "getsockname");
    snprintf(fz_http.upstream_host, sizeof fz_http.upstream_host, "127.0.0.1:%u",
             (unsigned)ntohs(sin->sin_port));
}

static void
fz_http_upstream_serve(uv_loop_t *loop)
{
    FZ_CHECK(uv_tcp_init(loop, &fz_http.upstream) == 0, "upstream handle");
    FZ_CHECK(uv_tcp_open(&fz_http.upstream, fz_http.upstream_fd) == 0, "upstream socket");
    FZ_CHECK(uv_listen((uv_stream_t *)&fz_http.upstream, 16, fz_http_up_accept) == 0,
             "upstream listen");
}

static void
fz_http_upstream_forget(void)
{
    for (size_t i = 0; i < fz_http.n_cap; i++)
        free(fz_http.cap[i].p);
    fz_http.n_cap = 0;
    fz_http.n_cut = 0;
}

static void
fz_http_init(void)
{
    char err[256] = "";
    struct gr_proxy *p = &fz_http.proxy;
    int rc = gr_geodb_open_scan_buffer(GR_GEODB_SCAN_BSEARCH, fz_http_csv, strlen(fz_http_csv),
                                       &fz_http.db, err, sizeof err);
    FZ_CHECK(rc == GR_GEODB_OK, "test database: %s", err);

    gr_proxy_config_default(&p->cfg);
    p->cfg.db = fz_http.db;
    p->cfg.workers = 1;
    p->cfg.variant = "mutex";
    p->cfg.cache_clear_ns = 0;
    p->cfg.max_header_size = 8192;
    p->cfg.max_body_size = 32768;
    p->cfg.read_timeout_ns = p->cfg.write_timeout_ns = p->cfg.idle_timeout_ns = 2000000000u;
    p->cfg.upstream_timeout_ns = 2000000000u;
    p->cfg.upstream_pool = 4;
    /* the access log formats what the parser made of each request: run it */
    p->cfg.access_log = fopen("/dev/null", "w");
    FZ_CHECK(p->cfg.access_log != NULL, "/dev/null: %s", strerror(errno));
    FZ_CHECK(gr_access_parse(&p->cfg.access, GR_ACCESS_BLOCK, "CN,RU", err, sizeof err) == 0,
             "access rule: %s", err);
    pthread_mutex_init(&p->log_lock, NULL);
    FZ_CHECK(gr_cache_create("mutex", &p->cfg.cache, &p->cache) == GR_CACHE_OK, "cache");
    gr_resolver_config rcfg = {.db = fz_http.db, .cache = p->cache};
    FZ_CHECK(gr_resolver_create(&rcfg, &p->resolver) == 0, "resolver");
    fz_http_upstream_bind(&p->upstream);
    FZ_CHECK(gr_cidr_parse("::/128", 6, &fz_http.trusted[0]) == GR_IP_OK, "cidr");
    p->n = 1;
    p->w = &fz_http.worker;
    fz_http.worker.proxy = p;

    /* The worker also listens on an ephemeral loopback port, which nothing
     * connects to: inputs arrive through gr_client_adopt. */
    gr_net_addr tcp;
    FZ_CHECK(gr_net_parse("127.0.0.1:0", &tcp, err, sizeof err) == 0, "address: %s", err);
    FZ_CHECK(gr_worker_init(&fz_http.worker, &tcp, err, sizeof err) == 0, "worker: %s", err);
    fz_http_upstream_serve(&fz_http.worker.loop);
    fz_http.ready = true;
}

struct fz_http_client {
    int fd;
    char *buf;
    size_t len;
    bool capped; /* the proxy wrote more than FZ_HTTP_MAX_RESPONSE: len is a prefix */
};

/* Read what the proxy sent so far; true once it closed the connection. */
static bool
fz_http_drain(struct fz_http_client *c)
{
    for (;;) {
        char tmp[4096];
        ssize_t r = read(c->fd, tmp, sizeof tmp);
        if (r > 0) {
            size_t room = FZ_HTTP_MAX_RESPONSE - c->len;
            size_t keep = (size_t)r < room ? (size_t)r : room;
            memcpy(c->buf + c->len, tmp, keep);
            c->len += keep;
            c->capped |= keep < (size_t)r;
            continue;
        }
        if (r < 0 && errno == EINTR)
            continue;
        return !(r < 0 && errno == EAGAIN); /* EOF or reset: the proxy is done with us */
    }
}

static void
fz_http_write_all(int fd, const uint8_t *p, size_t len)
{
    while (len) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        FZ_CHECK(w > 0, "write: %s", strerror(errno));
        p += w;
        len -= (size_t)w;
    }
}

/* Let the worker read and act on what the client wrote so far: loop turns
 * until one brings no event (what the proxy answered stays in the socket
 * for fz_http_exchange). */
static void
fz_http_settle(void)
{
    for (int i = 0; i < 64 && uv_run(&fz_http.worker.loop, UV_RUN_NOWAIT); i++) {
        struct pollfd pf = {.fd = uv_backend_fd(&fz_http.worker.loop), .events = POLLIN};
        if (poll(&pf, 1, 0) == 0)
            break;
    }
}

/* Run the worker's loop and the client side together until the proxy
 * closes the connection or 20 s pass. */
static bool
fz_http_exchange(struct fz_http_client *c)
{
    uv_loop_t *loop = &fz_http.worker.loop;
    for (int waited_ms = 0; waited_ms < 20000;) {
        uv_run(loop, UV_RUN_NOWAIT);
        if (fz_http_drain(c))
            return true;
        int timeout = uv_backend_timeout(loop);
        if (timeout < 0 || timeout > 100)
            timeout = 100;
        struct pollfd pf[2] = {{.fd = c->fd, .events = POLLIN},
                               {.fd = uv_backend_fd(loop), .events = POLLIN}};
        if (poll(pf, 2, timeout) == 0)
            waited_ms += timeout;
    }
    return false;
}

/* ---- the request stream: what the client asked ------------------------------------------- */

/* One request of the client's stream, as http-parser reads it. */
struct fz_http_req {
    unsigned char method; /* once its head is read */
    bool head_read;       /* the header block was read whole */
    bool complete;        /* the whole message was read */
    bool keep_alive;      /* http_should_keep_alive once complete */
    bool asks_continue;   /* Expect: 100-continue with a body announced */
    bool more_follows;    /* bytes of the input follow its last byte */
    size_t body_len;      /* decoded body bytes read */
};

struct fz_http_reqs {
    struct fz_http_req *v;
    size_t n, cap;   /* messages begun */
    size_t complete; /* the leading complete ones (all but a partial last) */
    bool error;      /* the parser refused a byte: the proxy answers that and closes */
    /* the header being read */
    char name[8], value[16];
    size_t name_len, value_len, value_end; /* value_end: just past its last non-blank byte */
    bool in_value, expect_continue;
};

static struct fz_http_reqs *
fz_http_reqs_of(http_parser *hp)
{
    return hp->data;
}

/* A header of the request is complete: is it "Expect: 100-continue"? */
static void
fz_http_req_header_done(struct fz_http_reqs *r)
{
    if (r->in_value && r->name_len == 6 && !strncasecmp(r->name, "expect", 6) &&
        r->value_end == 12 && !strncasecmp(r->value, "100-continue", 12))
        r->expect_continue = true;
    r->name_len = r->value_len = r->value_end = 0;
    r->in_value = false;
}

static int
fz_http_req_on_begin(http_parser *hp)
{
    struct fz_http_reqs *r = fz_http_reqs_of(hp);
    if (r->n == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 64;
        struct fz_http_req *v = realloc(r->v, cap * sizeof *v);
        FZ_CHECK(v != NULL, "out of memory");
        r->v = v;
        r->cap = cap;
    }
    memset(&r->v[r->n++], 0, sizeof r->v[0]);
    r->name_len = r->value_len = r->value_end = 0;
    r->in_value = r->expect_continue = false;
    return 0;
}

static int
fz_http_req_on_field(http_parser *hp, const char *at, size_t len)
{
    struct fz_http_reqs *r = fz_http_reqs_of(hp);
    if (r->in_value)
        fz_http_req_header_done(r);
    for (size_t i = 0; i < len; i++, r->name_len++)
        if (r->name_len < sizeof r->name)
            r->name[r->name_len] = at[i];
    return 0;
}

static int
fz_http_req_on_value(http_parser *hp, const char *at, size_t len)
{
    struct fz_http_reqs *r = fz_http_reqs_of(hp);
    r->in_value = true;
    for (size_t i = 0; i < len; i++, r->value_len++) {
        if (r->value_len < sizeof r->value)
            r->value[r->value_len] = at[i];
        if (at[i] != ' ' && at[i] != '\t')
            r->value_end = r->value_len + 1;
    }
    return 0;
}

static int
fz_http_req_on_headers(http_parser *hp)
{
    struct fz_http_reqs *r = fz_http_reqs_of(hp);
    fz_http_req_header_done(r);
    r->v[r->n - 1].head_read = true;
    r->v[r->n - 1].method = (unsigned char)hp->method;
    r->v[r->n - 1].asks_continue =
        r->expect_continue && hp->content_length != ULLONG_MAX && hp->content_length > 0;
    return 0;
}

static int
fz_http_req_on_body(http_parser *hp, const char *at, size_t len)
{
    (void)at;
    struct fz_http_reqs *r = fz_http_reqs_of(hp);
    r->v[r->n - 1].body_len += len;
    return 0;
}

/* May the proxy have decided on this request by its head, before its body
 * ended? Only when bodies stream and this one reached the threshold (where
 * the reads ended is the kernel's business, so any such body may). Such an
 * answer, if it is the proxy's own, closes the connection. */
static bool
fz_http_req_may_stream(const struct fz_http_req *q)
{
    return fz_http.worker.stream_high < GR_PROXY_STREAM_HIGH && q->head_read &&
           q->body_len >= fz_http.worker.stream_high;
}

/* Pause after each message, as the proxy does, to learn where it ends. */
static int
fz_http_req_on_complete(http_parser *hp)
{
    struct fz_http_reqs *r = fz_http_reqs_of(hp);
    struct fz_http_req *q = &r->v[r->n - 1];
    q->complete = true;
    q->keep_alive = http_should_keep_alive(hp) != 0;
    r->complete = r->n;
    http_parser_pause(hp, 1);
    return 0;
}

static const http_parser_settings fz_http_req_settings = {
    .on_message_begin = fz_http_req_on_begin,
    .on_header_field = fz_http_req_on_field,
    .on_header_value = fz_http_req_on_value,
    .on_headers_complete = fz_http_req_on_headers,
    .on_body = fz_http_req_on_body,
    .on_message_complete = fz_http_req_on_complete,
};

/* Read the client's bytes as the proxy does: request after request until
 * the end, the first refused byte, or an upgrade (whose answer closes).
 * The end of the input is not signalled: the proxy does not either. */
static void
fz_http_reqs_parse(struct fz_http_reqs *r, const uint8_t *data, size_t len)
{
    http_parser hp;
    http_parser_init(&hp, HTTP_REQUEST);
    hp.data = r;
    for (size_t off = 0; off < len;) {
        off += http_parser_execute(&hp, &fz_http_req_settings, (const char *)data + off, len - off);
        enum http_errno e = HTTP_PARSER_ERRNO(&hp);
        if (e == HPE_PAUSED) {
            r->v[r->n - 1].more_follows = off < len;
            if (hp.upgrade)
                break;
            http_parser_pause(&hp, 0);
            continue;
        }
        r->error = e != HPE_OK;
        break;
    }
}

/* ---- the response stream: what the proxy answered ----------------------------------------- */

/* A final answer, as the differential check needs it. */
struct fz_http_answer {
    int status;
    long upstream; /* X-Fz-Upstream: the captured request it answers, -1 none */
    char geo[20];  /* X-Geo-Country, NUL-terminated */
};

struct fz_http_answers {
    struct fz_http_answer *v;
    size_t n, cap;
};

struct fz_http_resp {
    const struct fz_http_reqs *reqs;
    struct fz_http_answers *answers;
    size_t final;     /* final answers read so far: the next answers request `final` */
    size_t continued; /* 1 + the request that got the last 100 Continue, 0 = none */
    bool closed;      /* a complete answer said Connection: close */
    bool in_message;
    /* the answer being read */
    int status;
    bool interim, head_only, conn_close, conn_keep_alive;
    bool head_maybe; /* a 400 to a HEAD: the proxy may have refused it inside its head */
    unsigned n_geo, n_date, n_type, n_upstream;
    long upstream;
    unsigned long long announced; /* Content-Length */
    char reason[48], geo[16], type[48], name[16], value[48], body[96];
    size_t reason_len, geo_len, type_len, name_len, value_len, body_len;
    bool in_value;
};

static struct fz_http_resp *
fz_http_resp_of(http_parser *hp)
{
    return hp->data;
}

/* Append to a fixed buffer; *len counts every byte, stored or not. */
static void
fz_http_keep(char *dst, size_t cap, size_t *len, const char *at, size_t n)
{
    if (*len < cap)
        memcpy(dst + *len, at, n < cap - *len ? n : cap - *len);
    *len += n;
}

static bool
fz_http_is(const char *s, size_t len, size_t cap, const char *want)
{
    return len <= cap && len == strlen(want) && !strncasecmp(s, want, len);
}

/* The reason phrase of every status the proxy may send on its own (the
 * upstream is never reached, so every final answer is the proxy's). Kept
 * apart from the proxy's own table on purpose: an oracle that read the
 * implementation's table would check nothing. */
static const char *
fz_http_reason(int status)
{
    switch (status) {
    case 100:
        return "Continue";
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 413:
        return "Payload Too Large";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    case 505:
        return "HTTP Version Not Supported";
    default:
        return NULL;
    }
}

/* Answers that refuse a request's framing (the proxy's limits), or its
 * protocol: each closes the connection. */
static bool
fz_http_closing_status(int status)
{
    /* a 400 may close too: the proxy holds heads to RFC 9112 framing and
     * Host rules the lenient parser of this oracle does not */
    return status == 400 || status == 405 || status == 413 || status == 431 || status == 501 ||
           status == 505;
}

static void
fz_http_resp_header_done(struct fz_http_resp *s)
{
    if (!s->in_value)
        return;
    const char *v = s->value;
    size_t vl = s->value_len, cap = sizeof s->value;
    if (fz_http_is(s->name, s->name_len, sizeof s->name, "X-Geo-Country")) {
        s->n_geo++;
        s->geo_len = 0;
        fz_http_keep(s->geo, sizeof s->geo, &s->geo_len, v, vl < cap ? vl : cap);
    } else if (fz_http_is(s->name, s->name_len, sizeof s->name, "Date")) {
        s->n_date++;
    } else if (fz_http_is(s->name, s->name_len, sizeof s->name, "Content-Type")) {
        s->n_type++;
        s->type_len = 0;
        fz_http_keep(s->type, sizeof s->type, &s->type_len, v, vl < cap ? vl : cap);
    } else if (fz_http_is(s->name, s->name_len, sizeof s->name, "X-Fz-Upstream")) {
        s->n_upstream++;
        s->upstream = 0;
        for (size_t i = 0; i < vl && i < cap && i < 9; i++)
            s->upstream = v[i] >= '0' && v[i] <= '9' ? s->upstream * 10 + (v[i] - '0') : -2;
    } else if (fz_http_is(s->name, s->name_len, sizeof s->name, "Connection")) {
        s->conn_close |= fz_http_is(v, vl, cap, "close");
        s->conn_keep_alive |= fz_http_is(v, vl, cap, "keep-alive");
    }
    s->name_len = s->value_len = 0;
    s->in_value = false;
}

static int
fz_http_resp_on_begin(http_parser *hp)
{
    struct fz_http_resp *s = fz_http_resp_of(hp);
    FZ_CHECK(!s->closed, "an answer follows one that said Connection: close");
    const struct fz_http_reqs *r = s->reqs;
    struct fz_http_answers *answers = s->answers;
    size_t continued = s->continued, final = s->final;
    memset(s, 0, sizeof *s);
    s->reqs = r;
    s->answers = answers;
    s->continued = continued;
    s->final = final;
    s->upstream = -1;
    s->in_message = true;
    return 0;
}

static int
fz_http_resp_on_status(http_parser *hp, const char *at, size_t len)
{
    struct fz_http_resp *s = fz_http_resp_of(hp);
    fz_http_keep(s->reason, sizeof s->reason, &s->reason_len, at, len);
    return 0;
}

static int
fz_http_resp_on_field(http_parser *hp, const char *at, size_t len)
{
    struct fz_http_resp *s = fz_http_resp_of(hp);
    fz_http_resp_header_done(s);
    fz_http_keep(s->name, sizeof s->name, &s->name_len, at, len);
    return 0;
}

static int
fz_http_resp_on_value(http_parser *hp, const char *at, size_t len)
{
    struct fz_http_resp *s = fz_http_resp_of(hp);
    s->in_value = true;
    fz_http_keep(s->value, sizeof s->value, &s->value_len, at, len);
    return 0;
}

/* A 100 Continue: only to a request that asked for one, once, before its
 * final answer. */
static void
fz_http_resp_interim(struct fz_http_resp *s)
{
    const struct fz_http_reqs *r = s->reqs;
    FZ_CHECK(s->status == 100, "interim answer %d (the proxy only sends 100 Continue)", s->status);
    FZ_CHECK(s->final < r->n && r->v[s->final].asks_continue,
             "100 Continue to request %zu, which did not ask for it", s->final);
    FZ_CHECK(s->continued != s->final + 1, "two 100 Continue for request %zu", s->final);
    s->continued = s->final + 1;
    s->interim = true;
}

/* The head of a final answer, checked against the request it answers. */
static int
fz_http_resp_on_headers(http_parser *hp)
{
    struct fz_http_resp *s = fz_http_resp_of(hp);
    const struct fz_http_reqs *r = s->reqs;
    fz_http_resp_header_done(s);
    s->status = hp->status_code;
    FZ_CHECK(hp->http_major == 1 && hp->http_minor == 1, "an answer in HTTP/%u.%u", hp->http_major,
             hp->http_minor);
    const char *reason = fz_http_reason(s->status);
    FZ_CHECK(reason != NULL, "status %d, which the proxy never sends on its own", s->status);
    FZ_CHECK(fz_http_is(s->reason, s->reason_len, sizeof s->reason, reason),
             "status %d with reason \"%.*s\"", s->status, (int)sizeof s->reason, s->reason);
    if (s->status < 200) {
        fz_http_resp_interim(s);
        return 0;
    }

    size_t i = s->final;
    bool answers_partial = i >= r->complete; /* a request the parser refused or cut short */
    /* a 400 may also refuse bytes the lenient parser skips between
     * requests: a bare LF is a line not ended by CRLF to the proxy */
    FZ_CHECK(i < r->complete ||
                 (i == r->complete && (r->error || r->n > r->complete || s->status == 400)),
             "answer %zu, but the client sent %zu whole requests%s", i + 1, r->complete,
             r->error ? " and a malformed one" : "");
    FZ_CHECK(s->n_geo == 1, "a %d with %u X-Geo-Country headers", s->status, s->n_geo);
    if (s->status == 403)
        FZ_CHECK(fz_http_is(s->geo, s->geo_len, sizeof s->geo, "CN") ||
                     fz_http_is(s->geo, s->geo_len, sizeof s->geo, "RU"),
                 "403 for %.*s, a country that is not blocked", (int)sizeof s->geo, s->geo);
    FZ_CHECK(s->n_date == 1, "a %d with %u Date headers", s->status, s->n_date);
    FZ_CHECK(s->n_type == 1 && s->type_len <= sizeof s->type &&
                 !strncmp(s->type, "text/plain;", 11) &&
                 memmem(s->type, s->type_len, "charset=utf-8", 13),
             "the proxy's own %d is not text/plain in UTF-8: %u Content-Type, \"%.*s\"", s->status,
             s->n_type, (int)sizeof s->type, s->type);
    FZ_CHECK(hp->content_length != ULLONG_MAX && !(hp->flags & F_CHUNKED),
             "a %d without Content-Length", s->status);
    s->announced = hp->content_length;
    FZ_CHECK(!(s->conn_close && s->conn_keep_alive), "Connection: close and keep-alive");

    if (answers_partial) {
        /* Only a limit, or the framing and field-name rules the proxy
         * adds to the lenient parser (400), stop a request the parser
         * accepted so far - or a decision on the head of a streamed one
         * (a blocked country, a requester address or backend it refuses,
         * a method or version it does not forward). */
        bool decided = i < r->n && fz_http_req_may_stream(&r->v[i]) &&
                       (s->status == 403 || s->status == 400 || s->status == 405 ||
                        s->status == 500 || s->status == 501 || s->status == 505);
        FZ_CHECK(r->error || decided || s->status == 400 || s->status == 413 || s->status == 431,
                 "a %d to an unfinished, well-formed request", s->status);
        FZ_CHECK(decided || s->status == 400 || s->status == 413 || s->status == 431 ||
                     s->status == 500 || s->status == 501 || s->status == 505,
                 "a %d answers a malformed request", s->status);
        FZ_CHECK(s->conn_close, "the answer to a malformed request keeps the connection");
        /* A request refused inside its head has no reliable method: its
         * answer carries its body. One refused after its head (a body over
         * the limit) was a HEAD for the client all the same. */
        s->head_only = i < r->n && r->v[i].head_read && r->v[i].method == HTTP_HEAD;
        /* a head the lenient parser read whole may still break the proxy's
         * own head rules (names, values, framing): that 400 has a body */
        if (s->head_only && s->status == 400) {
            s->head_only = false;
            s->head_maybe = true;
        }
        return s->head_only ? 1 : 0;
    }
    const struct fz_http_req *q = &r->v[i];
    if (!q->keep_alive || fz_http_closing_status(s->status))
        FZ_CHECK(s->conn_close, "a %d to request %zu (keep-alive %d) without Connection: close",
                 s->status, i + 1, q->keep_alive);
    else if (s->conn_close)
        FZ_CHECK(!q->more_follows || fz_http_req_may_stream(q),
                 "a %d closes the connection before pipelined request %zu", s->status, i + 2);
    s->head_only = q->method == HTTP_HEAD;
    if (s->head_only && s->status == 400) { /* maybe refused inside its head: see above */
        s->head_only = false;
        s->head_maybe = true;
    }
    return s->head_only ? 1 : 0; /* an answer to HEAD has no body, whatever it announces */
}

static int
fz_http_resp_on_body(http_parser *hp, const char *at, size_t len)
{
    struct fz_http_resp *s = fz_http_resp_of(hp);
    fz_http_keep(s->body, sizeof s->body, &s->body_len, at, len);
    return 0;
}

/* The answer is complete: its body is the proxy's one-line text. */
static int
fz_http_resp_on_complete(http_parser *hp)
{
    struct fz_http_resp *s = fz_http_resp_of(hp);
    s->in_message = false;
    http_parser_pause(hp, 1); /* the caller checks where the next answer starts */
    if (s->interim)
        return 0;
    if (!s->head_only) {
        FZ_CHECK(s->body_len == s->announced, "a %d announces %llu bytes and carries %zu",
                 s->status, s->announced, s->body_len);
        char code[8];
        snprintf(code, sizeof code, "%d ", s->status);
        /* /-/metrics has a text body of its own */
        if (fz_http_is(s->type, s->type_len, sizeof s->type, "text/plain; charset=utf-8"))
            FZ_CHECK(s->body_len >= 5 && s->body_len <= sizeof s->body &&
                         !memcmp(s->body, code, 4) && s->body[s->body_len - 1] == '\n',
                     "the body of a %d is not its one-line explanation: \"%.*s\"", s->status,
                     (int)(s->body_len < sizeof s->body ? s->body_len : sizeof s->body), s->body);
        if (s->status == 403)
            FZ_CHECK(s->geo_len <= sizeof s->geo && s->body_len <= sizeof s->body &&
                         memmem(s->body, s->body_len, s->geo, s->geo_len),
                     "a 403 for %.2s whose body names another country", s->geo);
    }
    FZ_CHECK(s->n_upstream <= 1 && s->upstream >= -1, "a %d with %u X-Fz-Upstream headers",
             s->status, s->n_upstream);
    struct fz_http_answers *a = s->answers;
    if (a->n == a->cap) {
        size_t cap = a->cap ? 2 * a->cap : 16;
        struct fz_http_answer *v = realloc(a->v, cap * sizeof *v);
        FZ_CHECK(v != NULL, "out of memory");
        a->v = v;
        a->cap = cap;
    }
    struct fz_http_answer *ans = &a->v[a->n++];
    ans->status = s->status;
    ans->upstream = s->upstream;
    FZ_CHECK(s->geo_len <= sizeof s->geo, "X-Geo-Country of %zu bytes", s->geo_len);
    size_t g = s->geo_len;
    memcpy(ans->geo, s->geo, g);
    ans->geo[g] = '\0';
    s->closed = s->conn_close;
    s->final++;
    return 0;
}

static const http_parser_settings fz_http_resp_settings = {
    .on_message_begin = fz_http_resp_on_begin,
    .on_status = fz_http_resp_on_status,
    .on_header_field = fz_http_resp_on_field,
    .on_header_value = fz_http_resp_on_value,
    .on_headers_complete = fz_http_resp_on_headers,
    .on_body = fz_http_resp_on_body,
    .on_message_complete = fz_http_resp_on_complete,
};

/* Everything the proxy wrote is a sequence of whole answers, one per
 * request until one says Connection: close. `capped`: the capture stopped
 * at 1 MiB, so only the captured prefix is checked. */
static void
fz_http_check_exchange(const struct fz_http_reqs *r, struct fz_http_answers *answers,
                       const char *buf, size_t len, bool capped)
{
    static const char line[] = "HTTP/1.1 ";
    struct fz_http_resp s = {.reqs = r, .answers = answers};
    http_parser hp;
    http_parser_init(&hp, HTTP_RESPONSE);
    hp.data = &s;
    for (size_t off = 0; off < len;) {
        FZ_CHECK(!s.closed,
                 "%zu more bytes after answer %zu, which said Connection: close: \"%.*s\"",
                 len - off, s.final, (int)(len - off < 24 ? len - off : 24), buf + off);
        size_t k = len - off < 9 ? len - off : 9;
        FZ_CHECK(!memcmp(buf + off, line, k) && (k == 9 || capped),
                 "answer %zu does not start with \"HTTP/1.1 \": \"%.*s\"", s.final + 1,
                 (int)(len - off < 24 ? len - off : 24), buf + off);
        off += http_parser_execute(&hp, &fz_http_resp_settings, buf + off, len - off);
        enum http_errno e = HTTP_PARSER_ERRNO(&hp);
        FZ_CHECK(e == HPE_OK || e == HPE_PAUSED, "answer %zu does not parse: %s (at byte %zu)",
                 s.final + 1, http_errno_description(e), off);
        http_parser_pause(&hp, 0);
    }
    if (capped)
        return;
    if (s.in_message && s.head_maybe && s.body_len == 0) { /* a 400 to a HEAD, without body */
        s.in_message = false;
        s.closed = true;
        s.final++;
    }
    FZ_CHECK(!s.in_message, "the proxy closed the connection in the middle of answer %zu",
             s.final + 1);
    /* Every request is answered until an answer says close. */
    if (!s.closed)
        FZ_CHECK(s.final == r->complete && !r->error,
                 "the proxy closed without Connection: close after %zu answers to %zu whole "
                 "requests%s",
                 s.final, r->complete, r->error ? " and a malformed one" : "");
}

/* ---- what reached the upstream ------------------------------------------------------------ */

/* The upstream received exactly the requests whose answers carry its 200,
 * in order, each the client's request as an independent parse reads it. */
static void
fz_http_check_upstream(const uint8_t *data, size_t size, const struct fz_http_answers *answers,
                       bool peer_trusted)
{
    struct fz_up_reqs model;
    fz_up_reqs_parse(&model, data, size);
    size_t k = 0;
    for (size_t i = 0; i < answers->n; i++) {
        const struct fz_http_answer *a = &answers->v[i];
        if (a->upstream < 0)
            continue; /* the proxy's own answer */
        FZ_CHECK((size_t)a->upstream == k && k < fz_http.n_cap,
                 "answer %zu carries the upstream's answer to request %ld, expected %zu "
                 "(%zu reached the upstream)",
                 i + 1, a->upstream, k, fz_http.n_cap);
        FZ_CHECK(a->status == 200, "the upstream's 200 came back as %d", a->status);
        FZ_CHECK(i < model.n && model.v[i].complete,
                 "request %zu was forwarded, but an independent parse did not complete it", i + 1);
        const struct fz_up_expect exp = {"::", peer_trusted, a->geo, fz_http.upstream_host,
                                         fz_http.worker.stream_high < GR_PROXY_STREAM_HIGH};
        fz_up_check(&model.v[i], &exp, fz_http.cap[k].p, fz_http.cap[k].len);
        k++;
    }
    FZ_CHECK(k == fz_http.n_cap, "the upstream received %zu requests, %zu answers carry its 200",
             fz_http.n_cap, k);
    fz_up_reqs_free(&model);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0 || size > FZ_HTTP_MAX_INPUT)
        return 0;
    if (!fz_http.ready)
        fz_http_init();
    struct gr_proxy *p = &fz_http.proxy;
    switch (data[0] % 3) {
    case 0:
        p->policy =
            (gr_req_policy){GR_REQ_TRUST_LIST, fz_http.trusted, 1, GR_REQ_MODE_REALIP, NULL};
        break;
    case 1:
        p->policy = (gr_req_policy){GR_REQ_TRUST_ALL, NULL, 0, GR_REQ_MODE_ZORAXY, NULL};
        break;
    default:
        p->policy = (gr_req_policy){GR_REQ_TRUST_LIST, NULL, 0, GR_REQ_MODE_REALIP, NULL};
        break;
    }

    /* The rest of byte 0: whether bodies stream from FZ_HTTP_STREAM_HIGH
     * bytes on, and where the stream is cut in two writes. */
    bool streaming = (data[0] / 3) % 2;
    fz_http.worker.stream_high = streaming ? FZ_HTTP_STREAM_HIGH : GR_PROXY_STREAM_HIGH;
    size_t cut = streaming ? (size - 1) * ((size_t)(data[0] / 6) % 8) / 8 : 0;

    fz_http_upstream_forget();
    struct fz_http_client c = {0};
    int sv[2];
    c.buf = malloc(FZ_HTTP_MAX_RESPONSE);
    FZ_CHECK(c.buf, "out of memory");
    FZ_CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0, "socketpair: %s",
             strerror(errno));
    c.fd = sv[0];
    /* The request fits the socket buffer (64 KiB max): its first `cut`
     * bytes go before the worker adopts the socket, the rest once the
     * worker has read them, then the socket turns non-blocking for the
     * exchange. */
    fz_http_write_all(c.fd, data + 1, cut);
    FZ_CHECK(gr_client_adopt(&fz_http.worker, sv[1]) == 0, "the worker cannot serve a socket");
    if (cut > 0)
        fz_http_settle();
    fz_http_write_all(c.fd, data + 1 + cut, size - 1 - cut);
    shutdown(c.fd, SHUT_WR);
    FZ_CHECK(fcntl(c.fd, F_SETFL, fcntl(c.fd, F_GETFL) | O_NONBLOCK) == 0, "fcntl");

    FZ_CHECK(fz_http_exchange(&c),
             "the proxy kept the connection open for 20 s after the client finished");
    close(c.fd);
    /* Let the server side finish closing and free its connection. */
    for (int i = 0; i < 4; i++)
        uv_run(&fz_http.worker.loop, UV_RUN_NOWAIT);

    if (getenv("GEORACE_FUZZ_VERBOSE")) { /* show what the proxy answered and forwarded */
        fprintf(stderr, "fuzz_http: %zu response bytes: %.*s\n", c.len,
                (int)(c.len < 300 ? c.len : 300), c.buf);
        for (size_t i = 0; i < fz_http.n_cap; i++)
            fprintf(stderr, "fuzz_http: upstream request %zu, %zu bytes: %.*s\n", i,
                    fz_http.cap[i].len, (int)(fz_http.cap[i].len < 300 ? fz_http.cap[i].len : 300),
                    fz_http.cap[i].p);
        fprintf(stderr, "fuzz_http: %zu upstream request(s) cut off\n", fz_http.n_cut);
    }
    struct fz_http_reqs reqs = {0};
    struct fz_http_answers answers = {0};
    fz_http_reqs_parse(&reqs, data + 1, size - 1);
    fz_http_check_exchange(&reqs, &answers, c.buf, c.len, c.capped);
    if (!c.capped) /* the answers to compare with were all captured */
        fz_http_check_upstream(data + 1, size - 1, &answers, data[0] % 3 != 2);
    fz_http_upstream_forget();
    free(answers.v);
    free(reqs.v);
    free(c.buf);
    return 0;
}
