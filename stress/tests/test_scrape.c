/*
 * test_scrape.c - reading the proxy's cache counters from Prometheus text:
 * the parser picks exact metric names (with or without labels) and sums the
 * per-code request counters; the client gets them from a one-shot loopback
 * server (chunked body), and fails cleanly on a non-200 answer, a refused
 * connection and a server that never answers.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "georace/scrape.h"
#include "gr_test.h"

static const char *const page = "# HELP georace_cache_hits_total Cache hits.\n"
                                "# TYPE georace_cache_hits_total counter\n"
                                "georace_cache_hits_total_other 999\n"
                                "georace_cache_hits_total 1234\n"
                                "georace_cache_misses_total 56\n"
                                "georace_cache_resets_total 7\n"
                                "georace_cache_entries 42\n"
                                "georace_proxy_requests_total{code=\"200\"} 1000\n"
                                "georace_proxy_requests_total{code=\"403\"} 290\n";

static void
parse_picks_exact_names_and_sums_labelled_samples(void)
{
    gr_scrape_metrics m;
    CU_ASSERT_EQUAL_FATAL(gr_scrape_parse(page, &m), 0);
    CU_ASSERT_EQUAL(m.hits, 1234);
    CU_ASSERT_EQUAL(m.misses, 56);
    CU_ASSERT_EQUAL(m.resets, 7);
    CU_ASSERT_TRUE(m.have_entries);
    CU_ASSERT_EQUAL(m.entries, 42);
    CU_ASSERT_EQUAL(m.requests, 1290);
    CU_ASSERT_EQUAL(gr_scrape_parse("georace_cache_hits_total 1\n", &m), -1); /* no misses */
    CU_ASSERT_EQUAL(gr_scrape_parse("", &m), -1);
}

/* A one-connection server: answers with `reply`, or with nothing (waits for
 * the client to give up) when reply is NULL. */
struct fake_server {
    int fd;
    const char *reply;
    char addr[64];
    pthread_t thread;
};

static void *
fake_server_main(void *arg)
{
    struct fake_server *s = arg;
    int c = accept(s->fd, NULL, NULL);
    if (c < 0)
        return NULL;
    char buf[2048];
    size_t len = 0;
    ssize_t n;
    while (len < sizeof buf - 1 && (n = recv(c, buf + len, sizeof buf - 1 - len, 0)) > 0) {
        len += (size_t)n;
        buf[len] = '\0';
        if (strstr(buf, "\r\n\r\n"))
            break;
    }
    if (s->reply) {
        ssize_t w = send(c, s->reply, strlen(s->reply), MSG_NOSIGNAL);
        (void)w;
    } else {
        while (recv(c, buf, sizeof buf, 0) > 0) {
        }
    }
    close(c);
    return NULL;
}

static int
fake_server_start(struct fake_server *s, const char *reply)
{
    memset(s, 0, sizeof *s);
    s->reply = reply;
    s->fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    if (s->fd < 0 || bind(s->fd, (struct sockaddr *)&a, sizeof a) || listen(s->fd, 4) ||
        getsockname(s->fd, (struct sockaddr *)&a, &al))
        return -1;
    snprintf(s->addr, sizeof s->addr, "127.0.0.1:%u", (unsigned)ntohs(a.sin_port));
    return pthread_create(&s->thread, NULL, fake_server_main, s) ? -1 : 0;
}

static void
fake_server_join(struct fake_server *s)
{
    pthread_join(s->thread, NULL);
    close(s->fd);
}

static void
get_reads_a_chunked_metrics_page(void)
{
    char reply[2048];
    snprintf(reply, sizeof reply,
             "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
             "%zx\r\n%s\r\n0\r\n\r\n",
             strlen(page), page);
    struct fake_server s;
    CU_ASSERT_EQUAL_FATAL(fake_server_start(&s, reply), 0);
    gr_scrape_metrics m;
    CU_ASSERT_EQUAL(gr_scrape_get(s.addr, 5000, &m), 0);
    CU_ASSERT_EQUAL(m.hits, 1234);
    CU_ASSERT_EQUAL(m.requests, 1290);
    fake_server_join(&s);
}

static void
get_fails_on_an_error_status(void)
{
    struct fake_server s;
    CU_ASSERT_EQUAL_FATAL(fake_server_start(&s,
                                            "HTTP/1.1 403 Forbidden\r\nContent-Length: 28\r\n\r\n"
                                            "georace_cache_hits_total 1\n\n"),
                          0);
    gr_scrape_metrics m;
    CU_ASSERT_EQUAL(gr_scrape_get(s.addr, 5000, &m), -1);
    fake_server_join(&s);
}

static void
get_fails_when_refused_or_unanswered(void)
{
    struct fake_server s;
    CU_ASSERT_EQUAL_FATAL(fake_server_start(&s, NULL), 0);
    gr_scrape_metrics m;
    CU_ASSERT_EQUAL(gr_scrape_get(s.addr, 200, &m), -1); /* gives up, then closes */
    fake_server_join(&s);
    /* the listener is closed now: nothing listens on that port */
    CU_ASSERT_EQUAL(gr_scrape_get(s.addr, 2000, &m), -1);
    CU_ASSERT_EQUAL(gr_scrape_get("not an address", 2000, &m), -1);
}

static CU_TestInfo tests[] = {GR_TEST(parse_picks_exact_names_and_sums_labelled_samples),
                              GR_TEST(get_reads_a_chunked_metrics_page),
                              GR_TEST(get_fails_on_an_error_status),
                              GR_TEST(get_fails_when_refused_or_unanswered), GR_TEST_END};

GR_TEST_MAIN("metrics_scrape", tests, NULL, NULL)
