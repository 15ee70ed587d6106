/*
 * test_histogram_netaddr.c - the load generator's latency histogram against
 * an exact sorted reference, and "ADDR:PORT" parsing of the servers.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "georace/histogram.h"
#include "georace/netaddr.h"
#include "gr_test.h"

static int
cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static uint64_t
rng(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void
hist_values_below_32_are_exact(void)
{
    for (uint64_t v = 0; v < 32; v++) {
        CU_ASSERT_EQUAL(gr_hist_index(v), v);
        CU_ASSERT_EQUAL(gr_hist_bucket_value(gr_hist_index(v)), v);
    }
}

static void
hist_buckets_are_monotonic_and_within_3_percent(void)
{
    unsigned last = 0;
    for (uint64_t v = 1; v < (1ull << 46); v = v * 3 / 2 + 1) {
        unsigned i = gr_hist_index(v);
        CU_ASSERT(i >= last);
        CU_ASSERT(i < GR_HIST_BUCKETS);
        last = i;
        double rep = (double)gr_hist_bucket_value(i);
        CU_ASSERT(rep >= (double)v * (1 - 1.0 / 32) && rep <= (double)v * (1 + 1.0 / 32));
    }
    CU_ASSERT(gr_hist_index(UINT64_MAX) < GR_HIST_BUCKETS);
}

static void
hist_quantiles_match_sorted_reference(void)
{
    enum { N = 20000 };
    uint64_t *ref = malloc(N * sizeof *ref), seed = 88172645463325252ull;
    gr_hist *a = malloc(sizeof *a), *b = malloc(sizeof *b);
    CU_ASSERT_FATAL(ref && a && b);
    gr_hist_init(a);
    gr_hist_init(b);
    for (int i = 0; i < N; i++) {
        /* long-tailed: mostly ~100 us, some up to ~100 ms */
        uint64_t v = 50000 + rng(&seed) % 100000;
        if (i % 100 == 0)
            v = rng(&seed) % 100000000;
        ref[i] = v;
        gr_hist_record(i % 2 ? a : b, v);
    }
    gr_hist_merge(a, b);
    qsort(ref, N, sizeof *ref, cmp_u64);
    CU_ASSERT_EQUAL(a->count, N);
    CU_ASSERT_EQUAL(a->min, ref[0]);
    CU_ASSERT_EQUAL(a->max, ref[N - 1]);
    const double qs[] = {0.5, 0.9, 0.99, 0.999};
    for (size_t k = 0; k < sizeof qs / sizeof qs[0]; k++) {
        double want = (double)ref[(size_t)(qs[k] * N) - 1];
        double got = (double)gr_hist_quantile(a, qs[k]);
        CU_ASSERT(got >= want * 0.96 && got <= want * 1.04);
    }
    CU_ASSERT_EQUAL(gr_hist_quantile(a, 1.0), ref[N - 1]);
    free(ref);
    free(a);
    free(b);
}

static void
hist_empty_is_zero(void)
{
    gr_hist h;
    gr_hist_init(&h);
    CU_ASSERT_EQUAL(gr_hist_quantile(&h, 0.99), 0);
    CU_ASSERT_EQUAL(gr_hist_mean(&h), 0.0);
}

static void
netaddr_parses_v4_v6_and_rejects_garbage(void)
{
    gr_net_addr a;
    char err[128], buf[80];
    CU_ASSERT_EQUAL(gr_net_parse("127.0.0.1:8080", &a, err, sizeof err), 0);
    gr_net_format(&a, buf, sizeof buf);
    CU_ASSERT_STRING_EQUAL(buf, "127.0.0.1:8080");
    CU_ASSERT_EQUAL(gr_net_parse("[::1]:0", &a, err, sizeof err), 0);
    gr_net_format(&a, buf, sizeof buf);
    CU_ASSERT_STRING_EQUAL(buf, "[::1]:0");
    CU_ASSERT_EQUAL(gr_net_parse("localhost:1", &a, err, sizeof err), 0);
    gr_net_host(&a, buf, sizeof buf);
    CU_ASSERT_STRING_EQUAL(buf, "127.0.0.1");
    const char *bad[] = {"",           "127.0.0.1",  "127.0.0.1:",  "127.0.0.1:65536",
                         "::1:80",     "[::1]80",    "[::1",        "example.org:80",
                         "1.2.3.4:-1", "1.2.3.4:8x", "[1.2.3.4]:80"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        CU_ASSERT_EQUAL(gr_net_parse(bad[i], &a, err, sizeof err), -1);
        CU_ASSERT(err[0] != '\0');
    }
}

static void
netaddr_listen_port_zero_gets_a_port(void)
{
    gr_net_addr a;
    char err[128];
    CU_ASSERT_EQUAL_FATAL(gr_net_parse("127.0.0.1:0", &a, err, sizeof err), 0);
    int fd = gr_net_listen(&a, 16, err, sizeof err);
    CU_ASSERT_FATAL(fd >= 0);
    uint16_t port = gr_net_local_port(fd);
    CU_ASSERT(port != 0);
    /* SO_REUSEPORT: a second socket may bind the same port */
    gr_net_set_port(&a, port);
    int fd2 = gr_net_listen(&a, 16, err, sizeof err);
    CU_ASSERT(fd2 >= 0);
    if (fd2 >= 0)
        close(fd2);
    close(fd);
}

static CU_TestInfo tests[] = {GR_TEST(hist_values_below_32_are_exact),
                              GR_TEST(hist_buckets_are_monotonic_and_within_3_percent),
                              GR_TEST(hist_quantiles_match_sorted_reference),
                              GR_TEST(hist_empty_is_zero),
                              GR_TEST(netaddr_parses_v4_v6_and_rejects_garbage),
                              GR_TEST(netaddr_listen_port_zero_gets_a_port),
                              GR_TEST_END};

GR_TEST_MAIN("histogram_netaddr", tests, NULL, NULL)
