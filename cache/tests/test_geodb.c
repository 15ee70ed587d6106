/*
 * test_geodb.c - the CSV backends on small hand-written data, and the
 * error paths of both backends: missing, empty, truncated and garbage files
 * give a clear message and an error code, never a crash.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "georace/geodb.h"
#include "gr_test.h"

static const char small_csv[] = "1.0.0.0,1.0.0.255,AU\n"
                                "2001:200::,2001:200:ffff:ffff:ffff:ffff:ffff:ffff,JP\n"
                                "8.8.8.0,8.8.8.255,US\r\n"
                                "\n"
                                "9.0.0.0,9.255.255.255,us\n"
                                "2a00:1450::,2a00:1450:ffff::,IE\n"
                                "200.0.0.0,200.0.0.0,BR";

/* Write text to a fresh temporary file; returns its path (static buffer per slot). */
static const char *
temp_file(int slot, const void *data, size_t len)
{
    static char paths[4][64];
    const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : P_tmpdir;
    snprintf(paths[slot], sizeof paths[slot], "%.40s/gr-geodb-XXXXXX", dir);
    int fd = mkstemp(paths[slot]);
    CU_ASSERT_FATAL(fd >= 0);
    CU_ASSERT_FATAL(write(fd, data, len) == (ssize_t)len);
    close(fd);
    return paths[slot];
}

static int
lookup(gr_geodb *db, const char *addr, char cc[3])
{
    gr_ip ip;
    CU_ASSERT_EQUAL_FATAL(gr_ip_parse(addr, strlen(addr), &ip), GR_IP_OK);
    gr_country c = GR_COUNTRY_NONE;
    int rc = gr_geodb_lookup(db, &ip, &c);
    gr_country_str(rc == 1 ? c : GR_COUNTRY_NONE, cc);
    return rc;
}

static void
check_small_db(gr_geodb *db)
{
    char cc[3];
    CU_ASSERT_EQUAL(lookup(db, "1.0.0.0", cc), 1);
    CU_ASSERT_STRING_EQUAL(cc, "AU");
    CU_ASSERT_EQUAL(lookup(db, "1.0.0.255", cc), 1);
    CU_ASSERT_STRING_EQUAL(cc, "AU");
    CU_ASSERT_EQUAL(lookup(db, "1.0.1.0", cc), 0);
    CU_ASSERT_EQUAL(lookup(db, "0.255.255.255", cc), 0);
    CU_ASSERT_EQUAL(lookup(db, "8.8.8.8", cc), 1);
    CU_ASSERT_STRING_EQUAL(cc, "US");
    CU_ASSERT_EQUAL(lookup(db, "9.128.0.1", cc), 1);
    CU_ASSERT_STRING_EQUAL(cc, "US"); /* lower-case code folded */
    CU_ASSERT_EQUAL(lookup(db, "200.0.0.0", cc), 1);
    CU_ASSERT_STRING_EQUAL(cc, "BR");
    CU_ASSERT_EQUAL(lookup(db, "200.0.0.1", cc), 0);
    CU_ASSERT_EQUAL(lookup(db, "2001:200::1", cc), 1);
    CU_ASSERT_STRING_EQUAL(cc, "JP");
    CU_ASSERT_EQUAL(lookup(db, "2001:200:ffff:ffff:ffff:ffff:ffff:ffff", cc), 1);
    CU_ASSERT_EQUAL(lookup(db, "2001:201::", cc), 0);
    CU_ASSERT_EQUAL(lookup(db, "2a00:1450:ffff::", cc), 1);
    CU_ASSERT_STRING_EQUAL(cc, "IE");
    CU_ASSERT_EQUAL(lookup(db, "2a00:1450:ffff::1", cc), 0);
    /* families never mix: the IPv4-mapped form of a v6 row is not inside it */
    CU_ASSERT_EQUAL(lookup(db, "::ffff:8.8.8.8", cc), 1);
    CU_ASSERT_EQUAL(lookup(db, "::1", cc), 0);
}

static void
test_scan_finds_ranges_of_both_families(void)
{
    gr_geodb *db = NULL;
    char err[256] = "";
    CU_ASSERT_EQUAL_FATAL(gr_geodb_open_scan_buffer(GR_GEODB_SCAN, small_csv, strlen(small_csv),
                                                    &db, err, sizeof err),
                          GR_GEODB_OK);
    CU_ASSERT_STRING_EQUAL(db->ops->name, "scan");
    check_small_db(db);
    gr_geodb_close(db);
}

static void
test_scan_bsearch_finds_ranges_of_both_families(void)
{
    gr_geodb *db = NULL;
    char err[256] = "";
    CU_ASSERT_EQUAL_FATAL(gr_geodb_open_scan_buffer(GR_GEODB_SCAN_BSEARCH, small_csv,
                                                    strlen(small_csv), &db, err, sizeof err),
                          GR_GEODB_OK);
    CU_ASSERT_STRING_EQUAL(db->ops->name, "scan-bsearch");
    check_small_db(db);
    gr_geodb_close(db);
}

static void
test_several_sources_are_walked_in_order(void)
{
    const char *v4 = temp_file(0, "5.0.0.0,5.0.0.255,DE\n", 21);
    const char *v6 = temp_file(1, "2001:db8::,2001:db8::ff,NL\n5.0.0.0,5.255.255.255,FR\n", 52);
    const char *paths[] = {v4, v6};
    for (int k = 0; k < 2; k++) {
        gr_geodb_kind kind = k ? GR_GEODB_SCAN_BSEARCH : GR_GEODB_SCAN;
        gr_geodb *db = NULL;
        char err[256] = "", cc[3];
        int rc = gr_geodb_open_scan(kind, paths, 2, &db, err, sizeof err);
        if (kind == GR_GEODB_SCAN) {
            CU_ASSERT_EQUAL_FATAL(rc, GR_GEODB_OK);
            CU_ASSERT_EQUAL(lookup(db, "5.0.0.1", cc), 1);
            CU_ASSERT_STRING_EQUAL(cc, "DE"); /* the first source wins */
            CU_ASSERT_EQUAL(lookup(db, "5.1.0.1", cc), 1);
            CU_ASSERT_STRING_EQUAL(cc, "FR");
            CU_ASSERT_EQUAL(lookup(db, "2001:db8::10", cc), 1);
            CU_ASSERT_STRING_EQUAL(cc, "NL");
            gr_geodb_close(db);
        } else {
            /* binary search cannot honour first-row-wins: overlaps rejected */
            CU_ASSERT_EQUAL(rc, GR_GEODB_EFORMAT);
            CU_ASSERT_PTR_NOT_NULL(strstr(err, "overlap"));
        }
    }
    unlink(v4);
    unlink(v6);
}

static void
expect_csv_error(const char *text, int want_rc, const char *want_in_msg)
{
    for (int k = 0; k < 2; k++) {
        gr_geodb_kind kind = k ? GR_GEODB_SCAN_BSEARCH : GR_GEODB_SCAN;
        gr_geodb *db = NULL;
        char err[256] = "";
        int rc = gr_geodb_open_scan_buffer(kind, text, strlen(text), &db, err, sizeof err);
        CU_ASSERT_EQUAL(rc, want_rc);
        CU_ASSERT_PTR_NULL(db);
        if (!strstr(err, want_in_msg)) {
            fprintf(stderr, "message '%s' lacks '%s'\n", err, want_in_msg);
            CU_FAIL("message lacks the expected text");
        }
    }
}

static void
test_malformed_csv_lines_are_rejected_with_line_numbers(void)
{
    expect_csv_error("1.0.0.0,1.0.0.255,AU\nbogus\n", GR_GEODB_EFORMAT, "csv:2:");
    expect_csv_error("1.0.0.0,1.0.0.255,AU\n\n1.0.1.0,1.0.1.255\n", GR_GEODB_EFORMAT,
                     "csv:3: expected start,end,CC");
    expect_csv_error("1.0.0.0,1.0.0.255,AUS\n", GR_GEODB_EFORMAT, "csv:1: country code");
    expect_csv_error("1.0.0.0,1.0.0.255,A1\n", GR_GEODB_EFORMAT, "country code");
    expect_csv_error("1.0.0.0,1.0.0.255,AU,extra\n", GR_GEODB_EFORMAT, "too many fields");
    expect_csv_error("1.0.0.9,1.0.0.1,AU\n", GR_GEODB_EFORMAT, "start is after end");
    expect_csv_error("1.0.0.0,::1,AU\n", GR_GEODB_EFORMAT, "different address families");
    expect_csv_error("1.0.0.256,1.0.1.0,AU\n", GR_GEODB_EFORMAT, "start is not an IP");
    expect_csv_error("1.0.0.0,1.0.0.x,AU\n", GR_GEODB_EFORMAT, "end is not an IP");
    expect_csv_error("::ffff:1.0.0.0,::ffff:1.0.0.255,AU\n", GR_GEODB_EFORMAT, "IPv4-mapped");
    expect_csv_error("", GR_GEODB_EFORMAT, "no ranges");
    expect_csv_error("\n\n\r\n", GR_GEODB_EFORMAT, "no ranges");
    /* a file cut in the middle of its last line */
    expect_csv_error("1.0.0.0,1.0.0.255,AU\n1.0.1.0,1.0", GR_GEODB_EFORMAT, "csv:2:");
}

static void
test_missing_empty_and_garbage_csv_files_give_clear_errors(void)
{
    gr_geodb *db = NULL;
    char err[256] = "";
    const char *missing[] = {"/nonexistent/georace/none.csv"};
    CU_ASSERT_EQUAL(gr_geodb_open_scan(GR_GEODB_SCAN, missing, 1, &db, err, sizeof err),
                    GR_GEODB_ENOENT);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "none.csv"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "No such file"));
    const char *dir[] = {"."};
    CU_ASSERT_EQUAL(gr_geodb_open_scan(GR_GEODB_SCAN, dir, 1, &db, err, sizeof err),
                    GR_GEODB_ENOENT);

    unsigned char garbage[4096];
    uint32_t x = 12345;
    for (size_t i = 0; i < sizeof garbage; i++) {
        x = x * 1103515245u + 12345u;
        garbage[i] = (unsigned char)(x >> 16);
    }
    const char *g = temp_file(0, garbage, sizeof garbage);
    const char *gp[] = {g};
    CU_ASSERT_EQUAL(gr_geodb_open_scan(GR_GEODB_SCAN_BSEARCH, gp, 1, &db, err, sizeof err),
                    GR_GEODB_EFORMAT);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, g));
    unlink(g);
    const char *e = temp_file(1, "", 0);
    const char *ep[] = {e};
    CU_ASSERT_EQUAL(gr_geodb_open_scan(GR_GEODB_SCAN, ep, 1, &db, err, sizeof err),
                    GR_GEODB_EFORMAT);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "no ranges"));
    unlink(e);
    /* bad arguments */
    CU_ASSERT_EQUAL(gr_geodb_open_scan(GR_GEODB_MMDB, ep, 1, &db, err, sizeof err), GR_GEODB_EARG);
    CU_ASSERT_EQUAL(gr_geodb_open_scan(GR_GEODB_SCAN, ep, 0, &db, NULL, 0), GR_GEODB_EARG);
}

static void
test_missing_empty_and_garbage_mmdb_files_give_clear_errors(void)
{
    gr_geodb *db = NULL;
    char err[256] = "";
    CU_ASSERT_EQUAL(gr_geodb_open_mmdb("/nonexistent/georace/none.mmdb", &db, err, sizeof err),
                    GR_GEODB_ENOENT);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "none.mmdb"));
    CU_ASSERT_EQUAL(gr_geodb_open_mmdb(".", &db, err, sizeof err), GR_GEODB_ENOENT);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "not a regular file"));
    const char *e = temp_file(0, "", 0);
    CU_ASSERT_EQUAL(gr_geodb_open_mmdb(e, &db, err, sizeof err), GR_GEODB_EFORMAT);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "not a MaxMind DB file"));
    unlink(e);
    const char *g = temp_file(1, small_csv, strlen(small_csv));
    CU_ASSERT_EQUAL(gr_geodb_open_mmdb(g, &db, err, sizeof err), GR_GEODB_EFORMAT);
    unlink(g);
    /* metadata marker present but nothing valid after it */
    static const char fake[] = "\xab\xcd\xefMaxMind.com\x00\x01\x02";
    const char *f = temp_file(2, fake, sizeof fake - 1);
    CU_ASSERT_EQUAL(gr_geodb_open_mmdb(f, &db, err, sizeof err), GR_GEODB_EFORMAT);
    unlink(f);
    CU_ASSERT_EQUAL(gr_geodb_open_mmdb(NULL, &db, err, sizeof err), GR_GEODB_EARG);
}

static void
test_kind_names_and_error_texts(void)
{
    gr_geodb_kind k;
    CU_ASSERT_EQUAL(gr_geodb_kind_parse("mmdb", &k), GR_GEODB_OK);
    CU_ASSERT_EQUAL(k, GR_GEODB_MMDB);
    CU_ASSERT_EQUAL(gr_geodb_kind_parse("scan", &k), GR_GEODB_OK);
    CU_ASSERT_EQUAL(k, GR_GEODB_SCAN);
    CU_ASSERT_EQUAL(gr_geodb_kind_parse("scan-bsearch", &k), GR_GEODB_OK);
    CU_ASSERT_EQUAL(k, GR_GEODB_SCAN_BSEARCH);
    CU_ASSERT_EQUAL(gr_geodb_kind_parse("trie", &k), GR_GEODB_EARG);
    CU_ASSERT_EQUAL(gr_geodb_kind_parse(NULL, &k), GR_GEODB_EARG);
    CU_ASSERT_STRING_EQUAL(gr_geodb_strerror(GR_GEODB_ELOOKUP), "corrupt data found during lookup");
    CU_ASSERT_PTR_NOT_NULL(gr_geodb_strerror(-99));
    gr_geodb_close(NULL); /* a no-op */
}

static CU_TestInfo tests[] = {GR_TEST(test_scan_finds_ranges_of_both_families),
                              GR_TEST(test_scan_bsearch_finds_ranges_of_both_families),
                              GR_TEST(test_several_sources_are_walked_in_order),
                              GR_TEST(test_malformed_csv_lines_are_rejected_with_line_numbers),
                              GR_TEST(test_missing_empty_and_garbage_csv_files_give_clear_errors),
                              GR_TEST(test_missing_empty_and_garbage_mmdb_files_give_clear_errors),
                              GR_TEST(test_kind_names_and_error_texts),
                              GR_TEST_END};

GR_TEST_MAIN("geodb", tests, NULL, NULL)
