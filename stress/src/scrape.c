/*
 * scrape.c - see scrape.h. Blocking I/O on one socket with a deadline: the
 * request is written in one go ("Connection: close"), the response read
 * until the server closes and fed to http-parser, which hands over the body
 * (chunked or not) and the status. Sample lines are matched by metric name
 * followed by a space or a '{'; anything else on the page is ignored.
 */
#include <errno.h>
#include <http_parser.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "georace/netaddr.h"
#include "georace/scrape.h"

enum { GR_SCRAPE_MAX_BODY = 1 << 20 };

struct gr_scrape_body {
    char *text;
    size_t len;
    bool complete, too_big;
};

/* The value of a sample "NAME VALUE" or "NAME{labels} VALUE" on this line. */
static bool
gr_scrape_sample(const char *line, const char *name, uint64_t *value)
{
    size_t n = strlen(name);
    if (strncmp(line, name, n) || (line[n] != ' ' && line[n] != '{'))
        return false;
    const char *p = line + n;
    if (*p == '{') {
        p = strchr(p, '}');
        if (!p)
            return false;
        p++;
    }
    char *end;
    double v = strtod(p, &end);
    if (end == p || v < 0)
        return false;
    *value = (uint64_t)v;
    return true;
}

int
gr_scrape_parse(const char *text, gr_scrape_metrics *m)
{
    memset(m, 0, sizeof *m);
    bool hits = false, misses = false;
    for (const char *line = text; line && *line;) {
        uint64_t v;
        if (gr_scrape_sample(line, "georace_cache_hits_total", &v))
            m->hits = v, hits = true;
        else if (gr_scrape_sample(line, "georace_cache_misses_total", &v))
            m->misses = v, misses = true;
        else if (gr_scrape_sample(line, "georace_cache_resets_total", &v))
            m->resets = v;
        else if (gr_scrape_sample(line, "georace_cache_entries", &v))
            m->entries = v, m->have_entries = true;
        else if (gr_scrape_sample(line, "georace_proxy_requests_total", &v))
            m->requests += v;
        line = strchr(line, '\n');
        if (line)
            line++;
    }
    return hits && misses ? 0 : -1;
}

static int
gr_scrape_on_body(http_parser *p, const char *at, size_t n)
{
    struct gr_scrape_body *b = p->data;
    if (b->len + n > GR_SCRAPE_MAX_BODY) {
        b->too_big = true;
        return -1;
    }
    char *t = realloc(b->text, b->len + n + 1);
    if (!t)
        return -1;
    memcpy(t + b->len, at, n);
    b->text = t;
    b->len += n;
    t[b->len] = '\0';
    return 0;
}

static int
gr_scrape_on_complete(http_parser *p)
{
    ((struct gr_scrape_body *)p->data)->complete = true;
    return 0;
}

static long
gr_scrape_ms_left(const struct timespec *deadline)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (deadline->tv_sec - now.tv_sec) * 1000 + (deadline->tv_nsec - now.tv_nsec) / 1000000;
}

/* Write all of buf, or -1. */
static int
gr_scrape_send(int fd, const char *buf, size_t n, const struct timespec *deadline)
{
    while (n > 0) {
        long left = gr_scrape_ms_left(deadline);
        struct pollfd pf = {fd, POLLOUT, 0};
        if (left <= 0 || poll(&pf, 1, (int)left) <= 0)
            return -1;
        ssize_t w = send(fd, buf, n, MSG_NOSIGNAL);
        if (w < 0 && errno != EINTR && errno != EAGAIN)
            return -1;
        if (w > 0)
            buf += w, n -= (size_t)w;
    }
    return 0;
}

/* Read and parse the response until it is complete or the server closes. */
static int
gr_scrape_receive(int fd, struct gr_scrape_body *body, int *status, const struct timespec *deadline)
{
    http_parser_settings s;
    http_parser_settings_init(&s);
    s.on_body = gr_scrape_on_body;
    s.on_message_complete = gr_scrape_on_complete;
    http_parser p;
    http_parser_init(&p, HTTP_RESPONSE);
    p.data = body;
    char buf[4096];
    while (!body->complete) {
        long left = gr_scrape_ms_left(deadline);
        struct pollfd pf = {fd, POLLIN, 0};
        if (left <= 0 || poll(&pf, 1, (int)left) <= 0)
            return -1;
        ssize_t r = recv(fd, buf, sizeof buf, 0);
        if (r < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (r < 0)
            return -1;
        size_t used = http_parser_execute(&p, &s, buf, (size_t)r);
        if (HTTP_PARSER_ERRNO(&p) != HPE_OK || used != (size_t)r)
            return -1;
        if (r == 0)
            break; /* EOF fed to the parser: ends a body without length */
    }
    *status = (int)p.status_code;
    return body->complete ? 0 : -1;
}

int
gr_scrape_get(const char *addr, int timeout_ms, gr_scrape_metrics *m)
{
    memset(m, 0, sizeof *m);
    gr_net_addr a;
    char err[128], host[64];
    if (gr_net_parse(addr, &a, err, sizeof err))
        return -1;
    gr_net_host(&a, host, sizeof host);
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += timeout_ms / 1000;
    deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
    if (deadline.tv_nsec >= 1000000000)
        deadline.tv_sec++, deadline.tv_nsec -= 1000000000;
    int fd = socket(a.ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -1;
    int rc = -1, status = 0;
    struct gr_scrape_body body = {NULL, 0, false, false};
    char req[160];
    int n = snprintf(req, sizeof req,
                     strchr(host, ':') ? "GET /metrics HTTP/1.1\r\nHost: [%s]\r\n"
                                         "Connection: close\r\n\r\n"
                                       : "GET /metrics HTTP/1.1\r\nHost: %s\r\n"
                                         "Connection: close\r\n\r\n",
                     host);
    if (n <= 0 || (size_t)n >= sizeof req)
        goto out;
    if (connect(fd, (const struct sockaddr *)&a.ss, a.len) && errno != EINPROGRESS)
        goto out;
    if (gr_scrape_send(fd, req, (size_t)n, &deadline) ||
        gr_scrape_receive(fd, &body, &status, &deadline) || status != 200 || !body.text)
        goto out;
    rc = gr_scrape_parse(body.text, m);
out:
    free(body.text);
    close(fd);
    return rc;
}
