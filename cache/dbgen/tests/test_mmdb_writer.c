/*
 * test_mmdb_writer.c - the MMDB writer and the CSV range reader.
 *
 * Databases are written to temporary files and read back through
 * libmaxminddb, the reader every georace backend uses: an exhaustive
 * comparison over a /16 of random ranges (every address, against a plain
 * array), every record size, overlaps (later wins), whole-space ranges,
 * IPv6 and the IPv4 aliases. The reader is fed malformed CSV and must name
 * the line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dbt.h"
#include "georace/csv_ranges.h"
#include "georace/mmdb_writer.h"
#include "gr_test.h"
#include "mmdb_encode.h"

/* Write w to a temporary file and open it; the file is unlinked at once. */
static int
open_written(gr_mmdbw *w, unsigned record_size, MMDB_s *db, gr_mmdbw_stats *st)
{
    gr_mmdbw_meta meta = {.database_type = "georace-test",
                          .description = "writer test",
                          .build_epoch = 1,
                          .record_size = record_size};
    char path[] = "/tmp/georace-writer-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return -1;
    FILE *f = fdopen(fd, "wb");
    if (!f) {
        close(fd);
        unlink(path);
        return -1;
    }
    int rc = gr_mmdbw_write(w, &meta, f, st);
    fclose(f);
    if (rc == GR_MMDBW_OK)
        rc = MMDB_open(path, MMDB_MODE_MMAP, db) == MMDB_SUCCESS ? 0 : -2;
    unlink(path);
    return rc;
}

static void
v4(const char *s, gr_ip *ip)
{
    CU_ASSERT_FATAL(gr_ip_parse(s, strlen(s), ip) == GR_IP_OK);
}

static const char *
lookup(MMDB_s *db, const char *addr, char cc[3])
{
    gr_ip ip;
    v4(addr, &ip);
    int rc = gr_dbt_mmdb_country(db, &ip, cc);
    if (rc == 0)
        strcpy(cc, "-");
    else if (rc < 0)
        strcpy(cc, "!");
    return cc;
}

static uint64_t rng_state = 42;

static uint32_t
rnd(uint32_t n)
{
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)((rng_state >> 33) % n);
}

static void
exhaustive_slash16(unsigned record_size)
{
    /* Random disjoint ranges with gaps over 10.20.0.0/16, any alignment. */
    static char truth[65536][3];
    static const char *codes[] = {"US", "DE", "JP", "BR", "ZA", "AU"};
    memset(truth, 0, sizeof truth);
    gr_mmdbw *w;
    CU_ASSERT_FATAL(gr_mmdbw_create(&w) == GR_MMDBW_OK);
    uint32_t base = (10u << 24) | (20u << 16), cur = 0;
    size_t ranges = 0;
    while (cur < 65536) {
        cur += rnd(4) == 0 ? rnd(300) : 0;
        uint32_t len = 1 + rnd(rnd(2) ? 40 : 2000);
        if (cur >= 65536)
            break;
        if (cur + len > 65536)
            len = 65536 - cur;
        const char *cc = codes[rnd(6)];
        CU_ASSERT_EQUAL_FATAL(gr_mmdbw_insert_v4(w, base + cur, base + cur + len - 1, cc), 0);
        for (uint32_t a = cur; a < cur + len; a++)
            memcpy(truth[a], cc, 3);
        cur += len;
        ranges++;
    }
    MMDB_s db;
    gr_mmdbw_stats st;
    CU_ASSERT_EQUAL_FATAL(open_written(w, record_size, &db, &st), 0);
    gr_mmdbw_destroy(w);
    CU_ASSERT_EQUAL(db.metadata.record_size, record_size);
    CU_ASSERT_EQUAL(db.metadata.node_count, st.node_count);
    size_t bad = 0;
    for (int32_t a = -1; a <= 65536; a++) { /* one address either side too */
        gr_ip ip;
        gr_ip_from_v4(base + (uint32_t)a, &ip);
        char cc[3] = "";
        int rc = gr_dbt_mmdb_country(&db, &ip, cc);
        bool inside = a >= 0 && a < 65536 && truth[a][0];
        if (inside ? (rc != 1 || strcmp(cc, truth[a])) : rc != 0)
            bad++;
    }
    printf(" [%zu ranges, %zu nodes, %u-bit records, %zu wrong] ", ranges, st.node_count,
           record_size, bad);
    CU_ASSERT_EQUAL(bad, 0);
    MMDB_close(&db);
}

static void
test_every_address_of_a_random_slash16_reads_back_with_24_bit_records(void)
{
    exhaustive_slash16(24);
}

static void
test_every_address_of_a_random_slash16_reads_back_with_28_bit_records(void)
{
    exhaustive_slash16(28);
}

static void
test_every_address_of_a_random_slash16_reads_back_with_32_bit_records(void)
{
    exhaustive_slash16(32);
}

static void
test_later_ranges_win_where_they_overlap(void)
{
    gr_mmdbw *w;
    CU_ASSERT_FATAL(gr_mmdbw_create(&w) == 0);
    gr_ip a, b;
    v4("20.0.0.0", &a);
    v4("20.0.255.255", &b);
    CU_ASSERT_EQUAL(gr_mmdbw_insert_v4(w, gr_ip_v4(&a), gr_ip_v4(&b), "US"), 0);
    v4("20.0.16.7", &a);
    v4("20.0.16.9", &b);
    CU_ASSERT_EQUAL(gr_mmdbw_insert_v4(w, gr_ip_v4(&a), gr_ip_v4(&b), "CA"), 0);
    MMDB_s db;
    CU_ASSERT_EQUAL_FATAL(open_written(w, 0, &db, NULL), 0);
    gr_mmdbw_destroy(w);
    char cc[3];
    CU_ASSERT_STRING_EQUAL(lookup(&db, "20.0.16.6", cc), "US");
    CU_ASSERT_STRING_EQUAL(lookup(&db, "20.0.16.7", cc), "CA");
    CU_ASSERT_STRING_EQUAL(lookup(&db, "20.0.16.9", cc), "CA");
    CU_ASSERT_STRING_EQUAL(lookup(&db, "20.0.16.10", cc), "US");
    CU_ASSERT_STRING_EQUAL(lookup(&db, "20.1.0.0", cc), "-");
    MMDB_close(&db);
}

static void
test_whole_spaces_and_ipv6_edges_read_back(void)
{
    gr_mmdbw *w;
    CU_ASSERT_FATAL(gr_mmdbw_create(&w) == 0);
    CU_ASSERT_EQUAL(gr_mmdbw_insert_v4(w, 0, UINT32_MAX, "ZZ"), 0);
    gr_ip a, b;
    v4("2001:db8::", &a);
    v4("2001:db8::ffff", &b);
    CU_ASSERT_EQUAL(gr_mmdbw_insert_v6(w, a.b, b.b, "DE"), 0);
    v4("ff00::", &a);
    v4("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", &b);
    CU_ASSERT_EQUAL(gr_mmdbw_insert_v6(w, a.b, b.b, "MC"), 0);
    MMDB_s db;
    CU_ASSERT_EQUAL_FATAL(open_written(w, 0, &db, NULL), 0);
    gr_mmdbw_destroy(w);
    char cc[3];
    CU_ASSERT_STRING_EQUAL(lookup(&db, "0.0.0.0", cc), "ZZ");
    CU_ASSERT_STRING_EQUAL(lookup(&db, "255.255.255.255", cc), "ZZ");
    CU_ASSERT_STRING_EQUAL(lookup(&db, "2001:db8::1234", cc), "DE");
    CU_ASSERT_STRING_EQUAL(lookup(&db, "2001:db8::1:0", cc), "-");
    CU_ASSERT_STRING_EQUAL(lookup(&db, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", cc), "MC");
    CU_ASSERT_STRING_EQUAL(lookup(&db, "feff::1", cc), "-");
    /* Aliases: 6to4 embeds the IPv4 address in bits 16..47. */
    CU_ASSERT_STRING_EQUAL(lookup(&db, "2002:102:304::1", cc), "ZZ");
    unsigned char mapped[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, 4};
    CU_ASSERT_EQUAL(gr_dbt_mmdb_country_v6bytes(&db, mapped, cc), 1);
    MMDB_close(&db);

    /* The whole IPv6 space in one range. */
    CU_ASSERT_FATAL(gr_mmdbw_create(&w) == 0);
    memset(a.b, 0, 16);
    memset(b.b, 0xff, 16);
    CU_ASSERT_EQUAL(gr_mmdbw_insert_v6(w, a.b, b.b, "AQ"), 0);
    CU_ASSERT_EQUAL_FATAL(open_written(w, 0, &db, NULL), 0);
    gr_mmdbw_destroy(w);
    CU_ASSERT_STRING_EQUAL(lookup(&db, "::", cc), "AQ");
    CU_ASSERT_STRING_EQUAL(lookup(&db, "8000::1", cc), "AQ");
    MMDB_close(&db);
}

static void
test_bad_ranges_and_values_are_rejected(void)
{
    gr_mmdbw *w;
    CU_ASSERT_FATAL(gr_mmdbw_create(&w) == 0);
    CU_ASSERT_EQUAL(gr_mmdbw_insert_v4(w, 10, 9, "US"), GR_MMDBW_EARG);
    CU_ASSERT_EQUAL(gr_mmdbw_insert_v4(w, 1, 9, ""), GR_MMDBW_EARG);
    char big[GR_MMDBW_VALUE_MAX + 2];
    memset(big, 'A', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    CU_ASSERT_EQUAL(gr_mmdbw_insert_v4(w, 1, 9, big), GR_MMDBW_EARG);
    CU_ASSERT_EQUAL(gr_mmdbw_insert_v4(w, 1, 9, "US"), GR_MMDBW_OK);
    unsigned char *buf = NULL;
    size_t len = 0;
    gr_mmdbw_meta meta = {.record_size = 20};
    CU_ASSERT_EQUAL(gr_mmdbw_write_buffer(w, &meta, &buf, &len, NULL), GR_MMDBW_EARG);
    CU_ASSERT_PTR_NULL(buf);
    gr_mmdbw_destroy(w);
}

struct bad_csv {
    const char *text;
    size_t line;
    const char *needle;
};

static void
test_malformed_csv_is_rejected_with_its_line_number(void)
{
    static const struct bad_csv cases[] = {
        {"1.0.0.0,1.0.0.255,AU\n1.0.1.0,1.0.1.255\n", 2, "expected start,end,CC"},
        {"1.0.0.0,1.0.0.255,AU\r\n\r\n1.0.1.9,1.0.1.0,CN\r\n", 3, "start after end"},
        {"1.0.0.0,::1,AU\n", 1, "different families"},
        {"x,1.0.0.255,AU\n", 1, "bad start address"},
        {"1.0.0.0,1.0.0.256,AU\n", 1, "bad end address"},
        {"1.0.0.0,1.0.0.255,AUS\n", 1, "two letters"},
        {"1.0.0.0,1.0.0.255,A1\n", 1, "two letters"},
        {"1.0.0.0,1.0.0.255,\n", 1, "two letters"},
        {"1.0.0.0,1.0.0.255,AU,extra\n", 1, "too many fields"},
        {"::ffff:1.0.0.0,::ffff:1.0.0.255,AU\n", 1, "IPv4-mapped"},
        {"01.0.0.0,1.0.0.255,AU\n", 1, "bad start address"},
        {" 1.0.0.0,1.0.0.255,AU\n", 1, "bad start address"},
        {"2001:db8::,2001:db8::ffff:ffff,DE\n2001:db8:1::,garbage,DE", 2, "bad end address"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        gr_mmdbw *w;
        CU_ASSERT_FATAL(gr_mmdbw_create(&w) == 0);
        gr_csvr_counts n = {0, 0};
        char err[256] = "", want[32];
        int rc =
            gr_csvr_load(w, "t.csv", cases[i].text, strlen(cases[i].text), &n, err, sizeof err);
        snprintf(want, sizeof want, "t.csv:%zu: ", cases[i].line);
        if (rc != GR_CSVR_EFORMAT || strncmp(err, want, strlen(want)) ||
            !strstr(err, cases[i].needle))
            fprintf(stderr, "case %zu: rc %d, message '%s'\n", i, rc, err);
        CU_ASSERT_EQUAL(rc, GR_CSVR_EFORMAT);
        CU_ASSERT_NSTRING_EQUAL(err, want, strlen(want));
        CU_ASSERT_PTR_NOT_NULL(strstr(err, cases[i].needle));
        gr_mmdbw_destroy(w);
    }
    /* A line far too long, and a NUL byte. */
    char longline[600];
    memset(longline, '1', sizeof longline);
    gr_mmdbw *w;
    CU_ASSERT_FATAL(gr_mmdbw_create(&w) == 0);
    gr_csvr_counts n = {0, 0};
    char err[256];
    CU_ASSERT_EQUAL(gr_csvr_load(w, "t.csv", longline, sizeof longline, &n, err, sizeof err),
                    GR_CSVR_EFORMAT);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "too long"));
    static const char nul[] = "1.0.0.0,1.0.0.255,AU\n1.0.1.0\0,1.0.1.255,AU\n";
    CU_ASSERT_EQUAL(gr_csvr_load(w, "t.csv", nul, sizeof nul - 1, &n, err, sizeof err),
                    GR_CSVR_EFORMAT);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "t.csv:2:"));
    gr_mmdbw_destroy(w);
}

static void
test_csv_rows_of_both_families_read_back_with_folded_codes(void)
{
    static const char text[] = "1.0.0.0,1.0.0.255,au\r\n"
                               "\n"
                               "1.0.1.0,1.0.3.127,CN\n"
                               "2001:200::,2001:200:ffff:ffff:ffff:ffff:ffff:ffff,jp\n"
                               "2c0f:f000::,2c0f:f000::ff,Za";
    gr_mmdbw *w;
    CU_ASSERT_FATAL(gr_mmdbw_create(&w) == 0);
    gr_csvr_counts n = {0, 0};
    char err[256] = "";
    CU_ASSERT_EQUAL_FATAL(gr_csvr_load(w, "t.csv", text, sizeof text - 1, &n, err, sizeof err),
                          GR_CSVR_OK);
    CU_ASSERT_EQUAL(n.v4, 2);
    CU_ASSERT_EQUAL(n.v6, 2);
    MMDB_s db;
    CU_ASSERT_EQUAL_FATAL(open_written(w, 0, &db, NULL), 0);
    gr_mmdbw_destroy(w);
    char cc[3];
    CU_ASSERT_STRING_EQUAL(lookup(&db, "1.0.0.77", cc), "AU");
    CU_ASSERT_STRING_EQUAL(lookup(&db, "1.0.3.127", cc), "CN");
    CU_ASSERT_STRING_EQUAL(lookup(&db, "1.0.3.128", cc), "-");
    CU_ASSERT_STRING_EQUAL(lookup(&db, "2001:200:1234::1", cc), "JP");
    CU_ASSERT_STRING_EQUAL(lookup(&db, "2001:201::", cc), "-");
    CU_ASSERT_STRING_EQUAL(lookup(&db, "2c0f:f000::80", cc), "ZA");
    CU_ASSERT_STRING_EQUAL(lookup(&db, "2c0f:f000::100", cc), "-");
    MMDB_close(&db);
    CU_ASSERT_FATAL(gr_mmdbw_create(&w) == 0);
    CU_ASSERT_EQUAL(gr_csvr_load_file(w, "/nonexistent/georace.csv", &n, err, sizeof err),
                    GR_CSVR_ENOENT);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "/nonexistent/georace.csv"));
    gr_mmdbw_destroy(w);
}

static void
test_records_and_control_bytes_encode_per_the_spec(void)
{
    gr_mmdbw_buf b = {0};
    gr_mmdbw_enc_records(&b, 24, 0xABCDEF, 0x123456);
    gr_mmdbw_enc_records(&b, 28, 0x0ABCDEF1, 0x0123456F);
    gr_mmdbw_enc_records(&b, 32, 0xDEADBEEF, 0x01020304);
    static const unsigned char want_rec[] = {0xAB, 0xCD, 0xEF, 0x12, 0x34, 0x56,       /* 24 */
                                             0xBC, 0xDE, 0xF1, 0xA1, 0x23, 0x45, 0x6F, /* 28 */
                                             0xDE, 0xAD, 0xBE, 0xEF, 0x01, 0x02, 0x03,
                                             0x04}; /* 32 */
    CU_ASSERT_EQUAL_FATAL(b.len, sizeof want_rec);
    CU_ASSERT(memcmp(b.p, want_rec, sizeof want_rec) == 0);
    gr_mmdbw_buf_free(&b);

    /* Control bytes: literal size, the three size extensions, extended types. */
    gr_mmdbw_enc_control(&b, GR_MMDBW_T_UTF8, 28);
    gr_mmdbw_enc_control(&b, GR_MMDBW_T_UTF8, 29);
    gr_mmdbw_enc_control(&b, GR_MMDBW_T_UTF8, 284);
    gr_mmdbw_enc_control(&b, GR_MMDBW_T_UTF8, 285);
    gr_mmdbw_enc_control(&b, GR_MMDBW_T_UTF8, 65821);
    gr_mmdbw_enc_array(&b, 1);
    gr_mmdbw_enc_uint(&b, GR_MMDBW_T_UINT64, 0);
    gr_mmdbw_enc_uint(&b, GR_MMDBW_T_UINT32, 0x1234);
    static const unsigned char want_ctl[] = {
        0x5C, 0x5D, 0x00, 0x5D, 0xFF, 0x5E, 0x00,
        0x00, 0x5F, 0x00, 0x00, 0x00, 0x01, 0x04, /* array of 1: extended type 11 */
        0x00, 0x02,                               /* uint64 0: extended type 9, no payload */
        0xC2, 0x12, 0x34};
    CU_ASSERT_EQUAL_FATAL(b.len, sizeof want_ctl);
    CU_ASSERT(memcmp(b.p, want_ctl, sizeof want_ctl) == 0);
    gr_mmdbw_buf_free(&b);
}

static void
test_long_metadata_strings_read_back(void)
{
    char desc[400];
    memset(desc, 'd', sizeof desc - 1);
    desc[sizeof desc - 1] = '\0';
    gr_mmdbw *w;
    CU_ASSERT_FATAL(gr_mmdbw_create(&w) == 0);
    CU_ASSERT_EQUAL(gr_mmdbw_insert_v4(w, 1, 2, "US"), 0);
    gr_mmdbw_meta meta = {.database_type = "t", .description = desc, .build_epoch = 1ull << 40};
    char path[] = "/tmp/georace-writer-XXXXXX";
    int fd = mkstemp(path);
    CU_ASSERT_FATAL(fd >= 0);
    FILE *f = fdopen(fd, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_EQUAL(gr_mmdbw_write(w, &meta, f, NULL), 0);
    fclose(f);
    gr_mmdbw_destroy(w);
    MMDB_s db;
    CU_ASSERT_EQUAL_FATAL(MMDB_open(path, MMDB_MODE_MMAP, &db), MMDB_SUCCESS);
    unlink(path);
    CU_ASSERT_EQUAL(db.metadata.build_epoch, 1ull << 40);
    CU_ASSERT_EQUAL_FATAL(db.metadata.description.count, 1);
    CU_ASSERT_STRING_EQUAL(db.metadata.description.descriptions[0]->description, desc);
    MMDB_close(&db);
}

static CU_TestInfo tests[] = {
    GR_TEST(test_every_address_of_a_random_slash16_reads_back_with_24_bit_records),
    GR_TEST(test_every_address_of_a_random_slash16_reads_back_with_28_bit_records),
    GR_TEST(test_every_address_of_a_random_slash16_reads_back_with_32_bit_records),
    GR_TEST(test_later_ranges_win_where_they_overlap),
    GR_TEST(test_whole_spaces_and_ipv6_edges_read_back),
    GR_TEST(test_bad_ranges_and_values_are_rejected),
    GR_TEST(test_malformed_csv_is_rejected_with_its_line_number),
    GR_TEST(test_csv_rows_of_both_families_read_back_with_folded_codes),
    GR_TEST(test_records_and_control_bytes_encode_per_the_spec),
    GR_TEST(test_long_metadata_strings_read_back),
    GR_TEST_END};

GR_TEST_MAIN("mmdb_writer", tests, NULL, NULL)
