/*
 * fuzz_http.c - raw bytes through the proxy's real request path.
 *
 * One proxy worker is built in process, exactly as gr_proxy_start builds it
 * (proxy_internal.h: gr_proxy_worker_init, the worker's evhttp server with
 * its limits, timeouts and request callback), but its TCP listener (bound
 * once to an ephemeral loopback port and closed at once) is swapped for an
 * abstract AF_UNIX one, and its event loop runs on the fuzzing thread. Each input is one client
 * connection: the bytes are written, the write side is shut, and the loop runs until the proxy
 * closes the connection. What runs is libevent's HTTP parser plus our header logic: requester IP
 * (X-Real-Ip, XFF, ... with trusted proxies), resolver + cache, access rule, reply construction. No
 * network: the peer of an AF_UNIX client is no IP address, which the proxy treats as "::". Requests
 * the proxy decides to forward go to an upstream port on 127.0.0.1 that is bound but never
 * listening, so they end in a refused connect and a 502 without any traffic.
 *
 * Input: byte 0 picks the trust policy (0 trusted list holding "::/128",
 * 1 trust all as Zoraxy, 2 empty list: nobody trusted); the rest is the
 * client's byte stream (one or more pipelined requests).
 * Oracles: no crash, leak or hang (the loop must end: a connection the
 * proxy never closes would trip libFuzzer's timeout); the first response
 * starts with a status line, HTTP/1.0 or HTTP/1.1 whatever version the
 * request claimed when the proxy wrote it (libevent's own error pages echo
 * the claimed version); every answer of the proxy's own
 * decisions (403, 502, 500) carries X-Geo-Country, and a 403 names a country
 * of the block list.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/event.h>

#include "fuzz_input.h"
#include "proxy_internal.h"

#define FZ_HTTP_MAX_INPUT 65536
#define FZ_HTTP_MAX_RESPONSE (1u << 20)

static const char fz_http_csv[] = "1.0.0.0,1.0.0.255,AU\n"
                                  "5.0.0.0,5.255.255.255,CN\n"
                                  "8.8.8.0,8.8.8.255,US\n"
                                  "95.0.0.0,95.255.255.255,RU\n"
                                  "2a00::,2a00:ffff:ffff:ffff:ffff:ffff:ffff:ffff,DE\n"
                                  "2400::,2400:ffff:ffff:ffff:ffff:ffff:ffff:ffff,CN\n";

static struct {
    bool ready;
    gr_geodb *db;
    struct gr_proxy proxy;
    struct gr_proxy_worker worker;
    gr_net_addr listen;
    gr_cidr trusted[1];
    int reserved_fd; /* keeps the never-listening upstream port ours */
} fz_http;

static void
fz_http_reserve_upstream(gr_net_addr *up)
{
    struct sockaddr_in *sin = (struct sockaddr_in *)&up->ss;
    memset(up, 0, sizeof *up);
    sin->sin_family = AF_INET;
    sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    up->len = sizeof *sin;
    fz_http.reserved_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    FZ_CHECK(fz_http.reserved_fd >= 0, "socket: %s", strerror(errno));
    FZ_CHECK(bind(fz_http.reserved_fd, (struct sockaddr *)sin, sizeof *sin) == 0, "bind: %s",
             strerror(errno));
    socklen_t len = sizeof *sin;
    FZ_CHECK(getsockname(fz_http.reserved_fd, (struct sockaddr *)sin, &len) == 0, "getsockname");
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
    FZ_CHECK(gr_access_parse(&p->cfg.access, GR_ACCESS_BLOCK, "CN,RU", err, sizeof err) == 0,
             "access rule: %s", err);
    pthread_mutex_init(&p->log_lock, NULL);
    FZ_CHECK(gr_cache_create("mutex", &p->cfg.cache, &p->cache) == GR_CACHE_OK, "cache");
    gr_resolver_config rcfg = {.db = fz_http.db, .cache = p->cache};
    FZ_CHECK(gr_resolver_create(&rcfg, &p->resolver) == 0, "resolver");
    fz_http_reserve_upstream(&p->upstream);
    FZ_CHECK(gr_cidr_parse("::/128", 6, &fz_http.trusted[0]) == GR_IP_OK, "cidr");
    p->n = 1;
    p->w = &fz_http.worker;
    fz_http.worker.proxy = p;

    /* gr_proxy_worker_init binds TCP with SO_REUSEPORT, which AF_UNIX does
     * not support: let it bind an ephemeral loopback port, then swap that
     * listener (closed at once, never connected to) for an abstract AF_UNIX
     * one on the same evhttp server. */
    gr_net_addr tcp;
    FZ_CHECK(gr_net_parse("127.0.0.1:0", &tcp, err, sizeof err) == 0, "address: %s", err);
    FZ_CHECK(gr_proxy_worker_init(&fz_http.worker, &tcp, err, sizeof err) == 0, "worker: %s", err);
    evhttp_del_accept_socket(fz_http.worker.http, fz_http.worker.bound);

    struct sockaddr_un *sun = (struct sockaddr_un *)&fz_http.listen.ss;
    memset(&fz_http.listen, 0, sizeof fz_http.listen);
    sun->sun_family = AF_UNIX;
    int n = snprintf(sun->sun_path + 1, sizeof sun->sun_path - 1, "georace-fuzz-http-%d",
                     (int)getpid());
    fz_http.listen.len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
    int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    FZ_CHECK(lfd >= 0 && bind(lfd, (struct sockaddr *)sun, fz_http.listen.len) == 0 &&
                 listen(lfd, 64) == 0,
             "AF_UNIX listener: %s", strerror(errno));
    fz_http.worker.bound = evhttp_accept_socket_with_handle(fz_http.worker.http, lfd);
    FZ_CHECK(fz_http.worker.bound != NULL, "evhttp cannot accept on the AF_UNIX listener");
    fz_http.ready = true;
}

struct fz_http_client {
    int fd;
    struct event_base *base;
    char *buf;
    size_t len;
    bool closed;
};

static void
fz_http_on_readable(evutil_socket_t fd, short what, void *arg)
{
    struct fz_http_client *c = arg;
    (void)what;
    for (;;) {
        char tmp[4096];
        ssize_t r = read(fd, tmp, sizeof tmp);
        if (r > 0) {
            size_t keep = c->len + (size_t)r <= FZ_HTTP_MAX_RESPONSE ? (size_t)r : 0;
            memcpy(c->buf + c->len, tmp, keep);
            c->len += keep;
            continue;
        }
        if (r < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        c->closed = true; /* EOF or reset: the proxy is done with us */
        event_base_loopbreak(c->base);
        return;
    }
}

static void
fz_http_on_stuck(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    event_base_loopbreak(((struct fz_http_client *)arg)->base);
}

/* True if buf starts with "HTTP/<int>.<int> " (ints may carry a sign). */
static bool
fz_http_status_shape(const char *buf, size_t len, size_t *code_at)
{
    size_t i = 5;
    if (len < 6 || memcmp(buf, "HTTP/", 5))
        return false;
    for (int part = 0; part < 2; part++) {
        if (i < len && buf[i] == '-')
            i++;
        size_t digits = i;
        while (i < len && buf[i] >= '0' && buf[i] <= '9')
            i++;
        if (i == digits || i >= len || buf[i] != (part == 0 ? '.' : ' '))
            return false;
        i++;
    }
    *code_at = i;
    return i + 3 <= len;
}

/* The header block of the first response, checked. */
static void
fz_http_check_response(const char *buf, size_t len)
{
    if (len == 0)
        return; /* evhttp may drop a connection without answering garbage */
    size_t at = 0;
    FZ_CHECK(fz_http_status_shape(buf, len, &at),
             "response does not start with a status line: %.20s", buf);
    int code = atoi(buf + at);
    FZ_CHECK(code >= 100 && code <= 599, "status %d", code);
    const char *end = memmem(buf, len, "\r\n\r\n", 4);
    if (!end)
        return; /* truncated by the 1 MiB cap */
    size_t hlen = (size_t)(end - buf);
    const char *geo = memmem(buf, hlen, "\r\nX-Geo-Country: ", 17);
    /* Answers the proxy writes itself are HTTP/1.0 or 1.1 whatever version
     * the request claimed. libevent 2.1's own error pages (405, 501, ...,
     * written before the proxy sees the request, without X-Geo-Country)
     * echo the claimed version ("HTTP/1.-1 501"): a libevent limitation. */
    if (geo || (code != 400 && code != 405 && code != 413 && code != 501))
        FZ_CHECK(!memcmp(buf, "HTTP/1.1 ", 9) || !memcmp(buf, "HTTP/1.0 ", 9),
                 "the proxy answered with a bad status line: %.20s", buf);
    if (code == 403 || code == 502 || code == 500)
        FZ_CHECK(geo != NULL, "a %d from the proxy without X-Geo-Country", code);
    if (code == 403) {
        geo += 17;
        FZ_CHECK(!strncmp(geo, "CN\r", 3) || !strncmp(geo, "RU\r", 3),
                 "403 for a country that is not blocked: %.8s", geo);
    }
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
        p->policy = (gr_req_policy){GR_REQ_TRUST_LIST, fz_http.trusted, 1};
        break;
    case 1:
        p->policy = (gr_req_policy){GR_REQ_TRUST_ALL, NULL, 0};
        break;
    default:
        p->policy = (gr_req_policy){GR_REQ_TRUST_LIST, NULL, 0};
        break;
    }

    struct fz_http_client c = {.base = fz_http.worker.base};
    c.buf = malloc(FZ_HTTP_MAX_RESPONSE);
    FZ_CHECK(c.buf, "out of memory");
    c.fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    FZ_CHECK(c.fd >= 0, "socket: %s", strerror(errno));
    FZ_CHECK(connect(c.fd, (struct sockaddr *)&fz_http.listen.ss, fz_http.listen.len) == 0,
             "connect: %s", strerror(errno));
    /* The request fits the socket buffer (64 KiB max): write it whole, then
     * make the socket non-blocking for the event loop. */
    const uint8_t *req = data + 1;
    size_t left = size - 1;
    while (left) {
        ssize_t w = write(c.fd, req, left);
        FZ_CHECK(w > 0, "write: %s", strerror(errno));
        req += w;
        left -= (size_t)w;
    }
    shutdown(c.fd, SHUT_WR);
    evutil_make_socket_nonblocking(c.fd);

    struct event *rd = event_new(c.base, c.fd, EV_READ | EV_PERSIST, fz_http_on_readable, &c);
    struct event *stuck = evtimer_new(c.base, fz_http_on_stuck, &c);
    FZ_CHECK(rd && stuck, "event_new");
    struct timeval limit = {20, 0};
    event_add(rd, NULL);
    event_add(stuck, &limit);
    event_base_loop(c.base, 0);
    FZ_CHECK(c.closed, "the proxy kept the connection open for 20 s after the client finished");
    event_free(rd);
    event_free(stuck);
    close(c.fd);
    /* Let the server side notice the close and free its connection. */
    for (int i = 0; i < 4; i++)
        event_base_loop(c.base, EVLOOP_NONBLOCK);

    if (getenv("GEORACE_FUZZ_VERBOSE")) /* show what the proxy answered */
        fprintf(stderr, "fuzz_http: %zu response bytes: %.*s\n", c.len,
                (int)(c.len < 300 ? c.len : 300), c.buf);
    fz_http_check_response(c.buf, c.len);
    free(c.buf);
    return 0;
}
