/*
 * fuzz_http.c - raw bytes through the proxy's real request path.
 *
 * One proxy worker is built in process, exactly as gr_proxy_start builds it
 * (proxy_internal.h: gr_proxy_worker_init, the worker's libuv loop, its
 * limits and timeouts), and its loop runs on the fuzzing thread. Each input
 * is one client connection, one end of an AF_UNIX socket pair whose other
 * end the worker serves as it serves an accepted TCP connection
 * (gr_client_adopt): the bytes are written, the write side is shut, and the
 * loop runs until the proxy closes the connection. What runs is
 * http-parser plus all of the proxy's own HTTP handling: requester IP
 * (X-Real-Ip, XFF, ... with trusted proxies), resolver + cache, access
 * rule, pipelining, limits, reply construction. No network: the peer of an
 * AF_UNIX client is no IP address, which the proxy treats as "::". Requests
 * the proxy decides to forward go to an upstream port on 127.0.0.1 that is
 * bound but never listening, so they end in a refused connect and a 502
 * without any traffic.
 *
 * Input: byte 0 picks the trust policy (0 trusted list holding "::/128",
 * 1 trust all as Zoraxy, 2 empty list: nobody trusted); the rest is the
 * client's byte stream (one or more pipelined requests).
 * Oracles: no crash, leak or hang (the proxy must close the connection
 * within 20 s of the client's last byte); every answer starts with an
 * "HTTP/1.1 <code> " status line and carries X-Geo-Country (the proxy
 * writes every answer itself, errors of the parser included), and a 403
 * names a country of the block list.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <poll.h>
#include <unistd.h>

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
    /* the access log formats what the parser made of each request: run it */
    p->cfg.access_log = fopen("/dev/null", "w");
    FZ_CHECK(p->cfg.access_log != NULL, "/dev/null: %s", strerror(errno));
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

    /* The worker also listens on an ephemeral loopback port, which nothing
     * connects to: inputs arrive through gr_client_adopt. */
    gr_net_addr tcp;
    FZ_CHECK(gr_net_parse("127.0.0.1:0", &tcp, err, sizeof err) == 0, "address: %s", err);
    FZ_CHECK(gr_proxy_worker_init(&fz_http.worker, &tcp, err, sizeof err) == 0, "worker: %s", err);
    fz_http.ready = true;
}

struct fz_http_client {
    int fd;
    char *buf;
    size_t len;
};

/* Read what the proxy sent so far; true once it closed the connection. */
static bool
fz_http_drain(struct fz_http_client *c)
{
    for (;;) {
        char tmp[4096];
        ssize_t r = read(c->fd, tmp, sizeof tmp);
        if (r > 0) {
            size_t keep = c->len + (size_t)r <= FZ_HTTP_MAX_RESPONSE ? (size_t)r : 0;
            memcpy(c->buf + c->len, tmp, keep);
            c->len += keep;
            continue;
        }
        if (r < 0 && errno == EINTR)
            continue;
        return !(r < 0 && errno == EAGAIN); /* EOF or reset: the proxy is done with us */
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

/* The header block of the first response, checked. */
static void
fz_http_check_response(const char *buf, size_t len)
{
    if (len == 0)
        return; /* a connection closed before a whole request: nothing to answer */
    FZ_CHECK(len >= 12 && !memcmp(buf, "HTTP/1.1 ", 9),
             "response does not start with an HTTP/1.1 status line: %.20s", buf);
    int code = atoi(buf + 9);
    FZ_CHECK(code >= 100 && code <= 599, "status %d", code);
    const char *end = memmem(buf, len, "\r\n\r\n", 4);
    if (!end)
        return; /* truncated by the 1 MiB cap */
    size_t hlen = (size_t)(end - buf) + 2;
    const char *geo = memmem(buf, hlen, "\r\nX-Geo-Country: ", 17);
    FZ_CHECK(geo != NULL, "a %d without X-Geo-Country", code);
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

    struct fz_http_client c = {0};
    int sv[2];
    c.buf = malloc(FZ_HTTP_MAX_RESPONSE);
    FZ_CHECK(c.buf, "out of memory");
    FZ_CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0, "socketpair: %s",
             strerror(errno));
    c.fd = sv[0];
    /* The request fits the socket buffer (64 KiB max): write it whole, then
     * make the socket non-blocking for the exchange. */
    const uint8_t *req = data + 1;
    size_t left = size - 1;
    while (left) {
        ssize_t w = write(c.fd, req, left);
        FZ_CHECK(w > 0, "write: %s", strerror(errno));
        req += w;
        left -= (size_t)w;
    }
    shutdown(c.fd, SHUT_WR);
    FZ_CHECK(fcntl(c.fd, F_SETFL, fcntl(c.fd, F_GETFL) | O_NONBLOCK) == 0, "fcntl");
    FZ_CHECK(gr_client_adopt(&fz_http.worker, sv[1]) == 0, "the worker cannot serve a socket");

    FZ_CHECK(fz_http_exchange(&c),
             "the proxy kept the connection open for 20 s after the client finished");
    close(c.fd);
    /* Let the server side finish closing and free its connection. */
    for (int i = 0; i < 4; i++)
        uv_run(&fz_http.worker.loop, UV_RUN_NOWAIT);

    if (getenv("GEORACE_FUZZ_VERBOSE")) /* show what the proxy answered */
        fprintf(stderr, "fuzz_http: %zu response bytes: %.*s\n", c.len,
                (int)(c.len < 300 ? c.len : 300), c.buf);
    fz_http_check_response(c.buf, c.len);
    free(c.buf);
    return 0;
}
