/*
 * netaddr.c - "ADDR:PORT" parsing and SO_REUSEPORT listening sockets.
 *
 * Every worker of the proxy and of the upstream opens its own listening
 * socket on the same address; the kernel spreads new connections over them
 * (SO_REUSEPORT), so no accept lock is shared between event loops.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "georace/netaddr.h"

static int
gr_net_parse_port(const char *s, uint16_t *out)
{
    char *end;
    if (!*s || *s == '-' || *s == '+')
        return -1;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || *end || v > 65535)
        return -1;
    *out = (uint16_t)v;
    return 0;
}

int
gr_net_parse(const char *s, gr_net_addr *out, char *err, size_t errcap)
{
    char host[128];
    const char *colon, *portstr;
    size_t hlen;
    uint16_t port;

    memset(out, 0, sizeof *out);
    if (!s || !*s) {
        snprintf(err, errcap, "empty address");
        return -1;
    }
    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (!close || close[1] != ':') {
            snprintf(err, errcap, "'%s': expected [IPv6]:PORT", s);
            return -1;
        }
        hlen = (size_t)(close - s - 1);
        if (hlen >= sizeof host) {
            snprintf(err, errcap, "'%s': address too long", s);
            return -1;
        }
        memcpy(host, s + 1, hlen);
        host[hlen] = '\0';
        portstr = close + 2;
    } else {
        colon = strrchr(s, ':');
        if (!colon) {
            snprintf(err, errcap, "'%s': expected ADDR:PORT", s);
            return -1;
        }
        hlen = (size_t)(colon - s);
        if (hlen >= sizeof host || memchr(s, ':', hlen)) {
            snprintf(err, errcap, "'%s': put IPv6 addresses in brackets: [ADDR]:PORT", s);
            return -1;
        }
        memcpy(host, s, hlen);
        host[hlen] = '\0';
        portstr = colon + 1;
    }
    if (gr_net_parse_port(portstr, &port)) {
        snprintf(err, errcap, "'%s': bad port '%s'", s, portstr);
        return -1;
    }
    if (!strcmp(host, "localhost"))
        strcpy(host, "127.0.0.1");
    if (!host[0])
        strcpy(host, "0.0.0.0");

    struct sockaddr_in *v4 = (struct sockaddr_in *)&out->ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&out->ss;
    if (s[0] != '[' && inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(port);
        out->len = sizeof *v4;
        return 0;
    }
    if (s[0] == '[' && inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(port);
        out->len = sizeof *v6;
        return 0;
    }
    snprintf(err, errcap, "'%s': '%s' is not an IP address", s, host);
    return -1;
}

int
gr_net_listen(const gr_net_addr *a, int backlog, char *err, size_t errcap)
{
    int one = 1;
    int fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errcap, "socket: %s", strerror(errno));
        return -1;
    }
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one)) {
        snprintf(err, errcap, "setsockopt: %s", strerror(errno));
        close(fd);
        return -1;
    }
    if (a->ss.ss_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    /* accepted sockets inherit it on Linux: answers leave at once */
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (bind(fd, (const struct sockaddr *)&a->ss, a->len) || listen(fd, backlog)) {
        char buf[80];
        gr_net_format(a, buf, sizeof buf);
        snprintf(err, errcap, "cannot listen on %s: %s", buf, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

uint16_t
gr_net_local_port(int fd)
{
    gr_net_addr a;
    a.len = sizeof a.ss;
    if (getsockname(fd, (struct sockaddr *)&a.ss, &a.len))
        return 0;
    return gr_net_port(&a);
}

void
gr_net_set_port(gr_net_addr *a, uint16_t port)
{
    if (a->ss.ss_family == AF_INET)
        ((struct sockaddr_in *)&a->ss)->sin_port = htons(port);
    else
        ((struct sockaddr_in6 *)&a->ss)->sin6_port = htons(port);
}

uint16_t
gr_net_port(const gr_net_addr *a)
{
    if (a->ss.ss_family == AF_INET)
        return ntohs(((const struct sockaddr_in *)&a->ss)->sin_port);
    if (a->ss.ss_family == AF_INET6)
        return ntohs(((const struct sockaddr_in6 *)&a->ss)->sin6_port);
    return 0;
}

void
gr_net_host(const gr_net_addr *a, char *buf, size_t cap)
{
    const void *src = a->ss.ss_family == AF_INET
                          ? (const void *)&((const struct sockaddr_in *)&a->ss)->sin_addr
                          : (const void *)&((const struct sockaddr_in6 *)&a->ss)->sin6_addr;
    if (!inet_ntop(a->ss.ss_family, src, buf, (socklen_t)cap))
        snprintf(buf, cap, "?");
}

void
gr_net_format(const gr_net_addr *a, char *buf, size_t cap)
{
    char host[INET6_ADDRSTRLEN];
    gr_net_host(a, host, sizeof host);
    if (a->ss.ss_family == AF_INET6)
        snprintf(buf, cap, "[%s]:%u", host, gr_net_port(a));
    else
        snprintf(buf, cap, "%s:%u", host, gr_net_port(a));
}

void
gr_net_nodelay_once(int fd, int *done_fd)
{
    int one = 1;
    if (fd < 0 || fd == *done_fd)
        return;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    *done_fd = fd;
}

int
gr_net_to_ip(const struct sockaddr *sa, gr_ip *out)
{
    if (!sa)
        return -1;
    if (sa->sa_family == AF_INET) {
        gr_ip_from_v4(ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr), out);
        return 0;
    }
    if (sa->sa_family == AF_INET6) {
        memcpy(out->b, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
        return 0;
    }
    return -1;
}
