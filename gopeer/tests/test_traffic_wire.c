/*
 * test_traffic_wire.c - the wire format of traffic streams: records are the
 * exact bytes the Go peer expects (golden records), every request of every
 * built-in profile survives encode/decode, malformed records are refused,
 * and the stream writer ends with GR_WIRE_EPIPE - not SIGPIPE - when its
 * reader goes away.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "georace/traffic_wire.h"
#include "gr_test.h"

static gr_addrpool *pool;

static int
setup(void)
{
    char err[256];
    return gr_addrpool_default(&pool, err, sizeof err) == GR_TRAFFIC_OK ? 0 : 1;
}

static int
cleanup(void)
{
    gr_addrpool_free(pool);
    return 0;
}

static void
test_header_is_golden(void)
{
    gr_wire_header h;
    gr_wire_header_init(&h, 0x0102030405060708ull, 3, 20.5);
    uint8_t b[GR_WIRE_RECORD_SIZE];
    gr_wire_encode_header(&h, b);
    static const uint8_t want[GR_WIRE_RECORD_SIZE] = {
        'G', 'R', 'T', 'W', 1, 0, 32, 0, 0,    0,    0, 0, 3, 0, 0, 0,
        8,   7,   6,   5,   4, 3, 2,  1, 0x14, 0x50, 0, 0, 0, 0, 0, 0}; /* 20500 */
    CU_ASSERT_EQUAL(memcmp(b, want, sizeof want), 0);
    gr_wire_header back;
    CU_ASSERT_EQUAL(gr_wire_decode_header(b, &back), GR_WIRE_OK);
    CU_ASSERT_EQUAL(back.seed, h.seed);
    CU_ASSERT_EQUAL(back.stream_index, 3);
    CU_ASSERT_DOUBLE_EQUAL(back.rate, 20.5, 1e-9);
    CU_ASSERT_EQUAL(back.flags, 0);

    gr_wire_header_init(&h, 1, 0, 0);
    gr_wire_encode_header(&h, b);
    CU_ASSERT_EQUAL(b[8], GR_WIRE_FLAT_OUT);
    b[0] = 'X';
    CU_ASSERT_EQUAL(gr_wire_decode_header(b, &back), GR_WIRE_EFORMAT);
    b[0] = 'G';
    b[4] = 2;
    CU_ASSERT_EQUAL(gr_wire_decode_header(b, &back), GR_WIRE_EFORMAT);
}

static void
test_requests_are_golden(void)
{
    gr_request r;
    memset(&r, 0, sizeof r);
    gr_ip_from_v4(0x01020304u, &r.client);
    r.truth = gr_country_from_str("US");
    r.kind = GR_TRAFFIC_NEW_VISITOR;
    r.new_address = true;
    r.parallel = true;
    r.burst_len = 6;
    r.burst_index = 2;
    r.burst_id = (uint64_t)5 << 40 | 0x12345;
    r.at_ns = 0x1122334455667788ull;
    uint8_t b[GR_WIRE_RECORD_SIZE];
    gr_wire_encode(&r, b);
    static const uint8_t at[8] = {0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11};
    static const uint8_t addr[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, 4};
    static const uint8_t tail[8] = {'U',  'S', GR_WIRE_PARALLEL | GR_WIRE_NEW_ADDRESS, 1, 6, 2,
                                    0x45, 0x23}; /* answer, flags, kind, length, index, tag */
    CU_ASSERT_EQUAL(memcmp(b, at, 8), 0);
    CU_ASSERT_EQUAL(memcmp(b + 8, addr, 16), 0);
    CU_ASSERT_EQUAL(memcmp(b + 24, tail, 8), 0);

    /* a reserved IPv6 scanner request: zone code, no letters */
    memset(&r, 0, sizeof r);
    r.client.b[0] = 0xfe;
    r.client.b[1] = 0x80;
    r.client.b[15] = 1;
    r.zone = GR_ZONE_LINK_LOCAL;
    r.kind = GR_TRAFFIC_SCANNER;
    r.burst_len = 1;
    gr_wire_encode(&r, b);
    CU_ASSERT_EQUAL(b[24], 5);
    CU_ASSERT_EQUAL(b[25], 0);
    CU_ASSERT_EQUAL(b[26], GR_WIRE_V6 | GR_WIRE_RESERVED | GR_WIRE_SCANNER);
    CU_ASSERT_EQUAL(b[27], 2);
}

static void
check_same(const gr_request *a, const gr_request *b)
{
    CU_ASSERT_TRUE(gr_ip_equal(&a->client, &b->client));
    CU_ASSERT_EQUAL(a->truth, b->truth);
    CU_ASSERT_EQUAL(a->zone, b->zone);
    CU_ASSERT_EQUAL(a->kind, b->kind);
    CU_ASSERT_EQUAL(a->new_address, b->new_address);
    CU_ASSERT_EQUAL(a->parallel, b->parallel);
    CU_ASSERT_EQUAL(a->burst_len, b->burst_len);
    CU_ASSERT_EQUAL(a->burst_index, b->burst_index);
    CU_ASSERT_EQUAL(a->burst_id & 0xffff, b->burst_id);
    CU_ASSERT_EQUAL(a->at_ns, b->at_ns);
}

static void
test_every_builtin_profile_round_trips(void)
{
    for (const char *const *name = gr_profile_builtin_names(); *name; name++) {
        gr_profile p;
        char err[256];
        CU_ASSERT_EQUAL_FATAL(gr_profile_load(*name, &p, err, sizeof err), GR_TRAFFIC_OK);
        gr_traffic *t;
        CU_ASSERT_EQUAL_FATAL(gr_traffic_create(&p, pool, 7, 0, 1000, &t), GR_TRAFFIC_OK);
        unsigned failures = 0;
        for (int i = 0; i < 20000; i++) {
            gr_request r, back;
            uint8_t b[GR_WIRE_RECORD_SIZE];
            gr_traffic_next(t, &r);
            gr_wire_encode(&r, b);
            if (gr_wire_decode(b, &back) != GR_WIRE_OK) {
                failures++;
                continue;
            }
            check_same(&r, &back);
        }
        CU_ASSERT_EQUAL(failures, 0);
        gr_traffic_free(t);
    }
}

static void
test_malformed_records_are_refused(void)
{
    gr_request r, back;
    memset(&r, 0, sizeof r);
    gr_ip_from_v4(0x08080808u, &r.client);
    r.truth = gr_country_from_str("US");
    r.burst_len = 1;
    uint8_t good[GR_WIRE_RECORD_SIZE], b[GR_WIRE_RECORD_SIZE];
    gr_wire_encode(&r, good);
    CU_ASSERT_EQUAL(gr_wire_decode(good, &back), GR_WIRE_OK);
    struct {
        int off;
        uint8_t value;
    } bad[] = {
        {26, 0x80},       /* unknown flag */
        {26, GR_WIRE_V6}, /* an IPv4 address flagged IPv6 */
        {27, GR_TRAFFIC_KIND_COUNT},
        {28, 0}, /* empty burst */
        {28, GR_PROFILE_BURST_MAX + 1},
        {29, 1},                /* index past the length */
        {24, 'u'},              /* lower-case country */
        {25, 0},                /* one letter */
        {26, GR_WIRE_RESERVED}, /* zone code 'U' */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memcpy(b, good, sizeof b);
        b[bad[i].off] = bad[i].value;
        CU_ASSERT_EQUAL(gr_wire_decode(b, &back), GR_WIRE_EFORMAT);
    }
    memcpy(b, good, sizeof b);
    b[24] = b[25] = 0; /* not in the database */
    CU_ASSERT_EQUAL(gr_wire_decode(b, &back), GR_WIRE_OK);
    CU_ASSERT_EQUAL(back.truth, GR_COUNTRY_NONE);
}

static gr_traffic *
flood_burst_stream(double rate)
{
    gr_profile p;
    char err[256];
    gr_traffic *t = NULL;
    if (gr_profile_load("flood-burst", &p, err, sizeof err) == GR_TRAFFIC_OK)
        gr_traffic_create(&p, pool, 1, 0, rate, &t);
    return t;
}

static void
test_a_request_limit_ends_after_whole_bursts(void)
{
    gr_traffic *t = flood_burst_stream(0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    int fds[2];
    CU_ASSERT_EQUAL_FATAL(pipe(fds), 0);
    gr_wire_header h;
    gr_wire_header_init(&h, 1, 0, 0);
    uint64_t written = 0;
    /* 100 requests of 6-request bursts: 17 bursts, 102 records + header fit the pipe */
    CU_ASSERT_EQUAL(gr_wire_write_stream(fds[1], t, &h, 100, NULL, &written), GR_WIRE_OK);
    close(fds[1]);
    CU_ASSERT_EQUAL(written, 102);
    uint8_t buf[200 * GR_WIRE_RECORD_SIZE];
    size_t got = 0;
    ssize_t n;
    while ((n = read(fds[0], buf + got, sizeof buf - got)) > 0)
        got += (size_t)n;
    close(fds[0]);
    CU_ASSERT_EQUAL(got, 103 * GR_WIRE_RECORD_SIZE);
    gr_wire_header back;
    CU_ASSERT_EQUAL(gr_wire_decode_header(buf, &back), GR_WIRE_OK);
    CU_ASSERT_TRUE(back.flags & GR_WIRE_FLAT_OUT);
    gr_request r;
    CU_ASSERT_EQUAL(gr_wire_decode(buf + 102 * GR_WIRE_RECORD_SIZE, &r), GR_WIRE_OK);
    CU_ASSERT_EQUAL(r.burst_index, 5);
    CU_ASSERT_EQUAL(r.burst_len, 6);
    gr_traffic_free(t);
}

struct reader {
    int fd;
    size_t limit; /* bytes to read before closing */
};

static void *
reader_main(void *arg)
{
    struct reader *rd = arg;
    uint8_t buf[4096];
    size_t got = 0;
    while (got < rd->limit) {
        size_t want = rd->limit - got < sizeof buf ? rd->limit - got : sizeof buf;
        ssize_t n = read(rd->fd, buf, want);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(rd->fd);
    return NULL;
}

static void
test_a_reader_that_goes_away_ends_the_stream_without_sigpipe(void)
{
    gr_traffic *t = flood_burst_stream(0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    int fds[2];
    CU_ASSERT_EQUAL_FATAL(pipe(fds), 0);
    struct reader rd = {fds[0], 1000 * GR_WIRE_RECORD_SIZE};
    pthread_t th;
    CU_ASSERT_EQUAL_FATAL(pthread_create(&th, NULL, reader_main, &rd), 0);
    sigset_t before, after, pending;
    pthread_sigmask(SIG_SETMASK, NULL, &before);
    gr_wire_header h;
    gr_wire_header_init(&h, 1, 0, 0);
    uint64_t written = 0;
    /* no limit: only the reader's exit ends it; a SIGPIPE would kill the test */
    CU_ASSERT_EQUAL(gr_wire_write_stream(fds[1], t, &h, 0, NULL, &written), GR_WIRE_EPIPE);
    CU_ASSERT_TRUE(written >= 990);
    pthread_sigmask(SIG_SETMASK, NULL, &after);
    CU_ASSERT_EQUAL(sigismember(&after, SIGPIPE), sigismember(&before, SIGPIPE));
    sigpending(&pending);
    CU_ASSERT_FALSE(sigismember(&pending, SIGPIPE));
    pthread_join(th, NULL);
    close(fds[1]);
    gr_traffic_free(t);
}

static void
test_a_stop_flag_ends_the_stream(void)
{
    gr_traffic *t = flood_burst_stream(0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    int fds[2];
    CU_ASSERT_EQUAL_FATAL(pipe(fds), 0);
    _Atomic bool stop = true;
    gr_wire_header h;
    gr_wire_header_init(&h, 1, 0, 0);
    uint64_t written = 1;
    CU_ASSERT_EQUAL(gr_wire_write_stream(fds[1], t, &h, 0, &stop, &written), GR_WIRE_OK);
    CU_ASSERT_EQUAL(written, 0);
    close(fds[1]);
    uint8_t buf[2 * GR_WIRE_RECORD_SIZE];
    CU_ASSERT_EQUAL(read(fds[0], buf, sizeof buf), GR_WIRE_RECORD_SIZE); /* the header only */
    close(fds[0]);
    gr_traffic_free(t);
}

static CU_TestInfo tests[] = {GR_TEST(test_header_is_golden),
                              GR_TEST(test_requests_are_golden),
                              GR_TEST(test_every_builtin_profile_round_trips),
                              GR_TEST(test_malformed_records_are_refused),
                              GR_TEST(test_a_request_limit_ends_after_whole_bursts),
                              GR_TEST(test_a_reader_that_goes_away_ends_the_stream_without_sigpipe),
                              GR_TEST(test_a_stop_flag_ends_the_stream),
                              GR_TEST_END};

GR_TEST_MAIN("traffic_wire", tests, setup, cleanup)
