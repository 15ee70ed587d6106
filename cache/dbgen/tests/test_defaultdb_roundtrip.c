/*
 * test_defaultdb_roundtrip.c - every range of the generated CSV reads back
 * from the generated MMDB through libmaxminddb.
 *
 * For each range: its first, last and middle address give the range's
 * country; the address just below and just above gives the neighbouring
 * range's country when ranges touch, else nothing. IPv4 ranges are also
 * looked up as IPv4-mapped and 6to4 IPv6 addresses (the writer's aliases).
 * The embedded blobs must equal the files, the materialized path must open,
 * the metadata must say what the writer promises, and well-known anchors
 * resolve to their real countries.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "dbt.h"
#include "georace/defaultdb.h"
#include "georace/geodb.h"
#include "gr_test.h"

static gr_dbt_csv csv;
static MMDB_s db;

static int
suite_init(void)
{
    gr_dbt_csv_load(GEORACE_DEFAULTDB_CSV, &csv);
    if (csv.n4 == 0 || csv.n6 == 0) {
        fprintf(stderr, "%s: %zu IPv4 and %zu IPv6 ranges, expected both\n", GEORACE_DEFAULTDB_CSV,
                csv.n4, csv.n6);
        return 1;
    }
    if (MMDB_open(GEORACE_DEFAULTDB_MMDB, MMDB_MODE_MMAP, &db) != MMDB_SUCCESS) {
        fprintf(stderr, "libmaxminddb cannot open %s\n", GEORACE_DEFAULTDB_MMDB);
        return 1;
    }
    return 0;
}

static int
suite_cleanup(void)
{
    MMDB_close(&db);
    gr_dbt_csv_free(&csv);
    return 0;
}

/* Expected answer for an address next to range i (index of the neighbour). */
static void
check_outside(const gr_ip *ip, size_t neighbour, bool has_neighbour, size_t *bad)
{
    char got[3] = "", want[3] = "";
    int found = gr_dbt_mmdb_country(&db, ip, got);
    bool touches = has_neighbour && gr_ip_compare(&csv.v[neighbour].first, ip) <= 0 &&
                   gr_ip_compare(ip, &csv.v[neighbour].last) <= 0;
    if (touches) {
        memcpy(want, csv.v[neighbour].cc, 3);
        if (found != 1 || strcmp(got, want))
            (*bad)++;
    } else if (found != 0) {
        (*bad)++;
    }
}

static void
test_every_range_reads_back_at_start_middle_end(void)
{
    size_t bad = 0, checked = 0;
    CU_ASSERT_FATAL(csv.n > 0);
    for (size_t i = 0; i < csv.n; i++) {
        const gr_dbt_range *r = &csv.v[i];
        gr_ip mid;
        gr_dbt_ip_mid(&r->first, &r->last, &mid);
        const gr_ip *probe[3] = {&r->first, &mid, &r->last};
        for (int k = 0; k < 3; k++) {
            char cc[3] = "";
            if (gr_dbt_mmdb_country(&db, probe[k], cc) != 1 || strcmp(cc, r->cc)) {
                if (bad < 5) {
                    char a[GR_IP_STRLEN];
                    gr_ip_format(probe[k], a, sizeof a);
                    fprintf(stderr, "range %zu: %s gives '%s', want %s\n", i, a, cc, r->cc);
                }
                bad++;
            }
            checked++;
        }
    }
    printf("\n  %zu lookups over %zu ranges, %zu wrong\n", checked, csv.n, bad);
    CU_ASSERT_EQUAL(bad, 0);
}

static void
test_addresses_just_outside_ranges_are_not_found_or_the_neighbour(void)
{
    size_t bad = 0, checked = 0;
    for (size_t i = 0; i < csv.n; i++) {
        gr_ip below = csv.v[i].first, above = csv.v[i].last;
        bool same_family_prev = i > 0 && csv.v[i - 1].v6 == csv.v[i].v6;
        bool same_family_next = i + 1 < csv.n && csv.v[i + 1].v6 == csv.v[i].v6;
        if (gr_dbt_ip_dec(&below) && (csv.v[i].v6 || gr_ip_is_v4(&below))) {
            check_outside(&below, i - 1, same_family_prev, &bad);
            checked++;
        }
        if (gr_dbt_ip_inc(&above) && (csv.v[i].v6 || gr_ip_is_v4(&above))) {
            check_outside(&above, i + 1, same_family_next, &bad);
            checked++;
        }
    }
    /* nearly every range has both neighbours checked */
    CU_ASSERT(checked + 4 >= 2 * csv.n);
    CU_ASSERT_EQUAL(bad, 0);
}

static void
test_ipv4_ranges_resolve_through_mapped_and_6to4_aliases(void)
{
    size_t bad = 0, checked = 0;
    for (size_t i = 0; i < csv.n4; i += 7) {
        const gr_dbt_range *r = &csv.v[i];
        unsigned char mapped[16], sixtofour[16] = {0x20, 0x02};
        memcpy(mapped, r->first.b, 16); /* ::ffff:a.b.c.d */
        memcpy(sixtofour + 2, r->last.b + 12, 4);
        char a[3] = "", b[3] = "";
        if (gr_dbt_mmdb_country_v6bytes(&db, mapped, a) != 1 || strcmp(a, r->cc))
            bad++;
        if (gr_dbt_mmdb_country_v6bytes(&db, sixtofour, b) != 1 || strcmp(b, r->cc))
            bad++;
        checked += 2;
    }
    CU_ASSERT(checked > 90000);
    CU_ASSERT_EQUAL(bad, 0);
}

static void
test_embedded_blobs_equal_the_generated_files(void)
{
    size_t flen, blen;
    char *file = gr_dbt_read_file(GEORACE_DEFAULTDB_MMDB, &flen);
    const unsigned char *blob = gr_defaultdb_mmdb(&blen);
    CU_ASSERT_EQUAL_FATAL(flen, blen);
    CU_ASSERT(memcmp(file, blob, flen) == 0);
    free(file);
    file = gr_dbt_read_file(GEORACE_DEFAULTDB_CSV, &flen);
    const char *text = gr_defaultdb_csv(&blen);
    CU_ASSERT_EQUAL_FATAL(flen, blen);
    CU_ASSERT(memcmp(file, text, flen) == 0);
    CU_ASSERT_EQUAL(text[blen], '\0');
    free(file);
}

static void
test_metadata_describes_an_ipv6_country_database(void)
{
    const MMDB_metadata_s *m = &db.metadata;
    CU_ASSERT_EQUAL(m->ip_version, 6);
    CU_ASSERT_EQUAL(m->binary_format_major_version, 2);
    CU_ASSERT_EQUAL(m->binary_format_minor_version, 0);
    CU_ASSERT_STRING_EQUAL(m->database_type, "georace-country");
    CU_ASSERT_EQUAL(m->build_epoch, 1704067200u);
    CU_ASSERT(m->record_size == 24 || m->record_size == 28 || m->record_size == 32);
    CU_ASSERT(m->node_count > 100000);
    CU_ASSERT_EQUAL_FATAL(m->languages.count, 1);
    CU_ASSERT_STRING_EQUAL(m->languages.names[0], "en");
    CU_ASSERT_EQUAL_FATAL(m->description.count, 1);
    CU_ASSERT_STRING_EQUAL(m->description.descriptions[0]->language, "en");
    CU_ASSERT_PTR_NOT_NULL(strstr(m->description.descriptions[0]->description, "synthetic"));
}

static void *
path_thread(void *arg)
{
    char err[256];
    *(const char **)arg = gr_defaultdb_mmdb_path(err, sizeof err);
    return NULL;
}

static void
test_materialized_path_is_one_per_process_and_opens(void)
{
    pthread_t t[4];
    const char *paths[4] = {NULL, NULL, NULL, NULL};
    for (int i = 0; i < 4; i++)
        CU_ASSERT_EQUAL_FATAL(pthread_create(&t[i], NULL, path_thread, &paths[i]), 0);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(paths[0]);
    for (int i = 1; i < 4; i++)
        CU_ASSERT_PTR_EQUAL(paths[i], paths[0]);
    CU_ASSERT_PTR_NOT_NULL(strstr(paths[0], "/proc/self/fd/"));
    MMDB_s m;
    CU_ASSERT_EQUAL_FATAL(MMDB_open(paths[0], MMDB_MODE_MMAP, &m), MMDB_SUCCESS);
    CU_ASSERT_EQUAL(m.metadata.node_count, db.metadata.node_count);
    MMDB_close(&m);
}

static void
test_well_known_anchors_have_their_real_country(void)
{
    static const struct {
        const char *ip, *cc;
    } anchors[] = {{"8.8.8.8", "US"},
                   {"8.8.4.4", "US"},
                   {"1.1.1.1", "AU"},
                   {"9.9.9.9", "US"},
                   {"17.253.144.10", "US"},
                   {"114.114.114.114", "CN"},
                   {"77.88.8.8", "RU"},
                   {"2001:4860:4860::8888", "US"},
                   {"2606:4700:4700::1111", "US"},
                   {"2620:fe::fe", "US"},
                   {"::ffff:8.8.8.8", "US"}};
    static const char *reserved[] = {"10.0.0.1",    "192.168.1.1", "127.0.0.1", "::1",
                                     "2001:db8::1", "100.64.0.1",  "fd00::1"};
    static const gr_geodb_kind kinds[] = {GR_GEODB_MMDB, GR_GEODB_SCAN_BSEARCH, GR_GEODB_SCAN};
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        gr_geodb *g = NULL;
        char err[256] = "";
        int rc = gr_defaultdb_open(kinds[k], &g, err, sizeof err);
        if (rc != GR_GEODB_OK)
            fprintf(stderr, "open kind %d: %s\n", (int)kinds[k], err);
        CU_ASSERT_EQUAL_FATAL(rc, GR_GEODB_OK);
        /* The linear scan walks the whole CSV per lookup: a few probes suffice. */
        size_t n_anchors = kinds[k] == GR_GEODB_SCAN ? 3 : sizeof anchors / sizeof anchors[0];
        size_t n_reserved = kinds[k] == GR_GEODB_SCAN ? 2 : sizeof reserved / sizeof reserved[0];
        for (size_t i = 0; i < n_anchors; i++) {
            gr_ip ip;
            gr_country c = GR_COUNTRY_NONE;
            char buf[3];
            CU_ASSERT_EQUAL_FATAL(gr_ip_parse(anchors[i].ip, strlen(anchors[i].ip), &ip), 0);
            CU_ASSERT_EQUAL(gr_geodb_lookup(g, &ip, &c), 1);
            CU_ASSERT_STRING_EQUAL(gr_country_str(c, buf), anchors[i].cc);
        }
        for (size_t i = 0; i < n_reserved; i++) {
            gr_ip ip;
            gr_country c = GR_COUNTRY_NONE;
            CU_ASSERT_EQUAL_FATAL(gr_ip_parse(reserved[i], strlen(reserved[i]), &ip), 0);
            CU_ASSERT_EQUAL(gr_geodb_lookup(g, &ip, &c), 0);
        }
        gr_geodb_close(g);
    }
}

static CU_TestInfo tests[] = {
    GR_TEST(test_every_range_reads_back_at_start_middle_end),
    GR_TEST(test_addresses_just_outside_ranges_are_not_found_or_the_neighbour),
    GR_TEST(test_ipv4_ranges_resolve_through_mapped_and_6to4_aliases),
    GR_TEST(test_embedded_blobs_equal_the_generated_files),
    GR_TEST(test_metadata_describes_an_ipv6_country_database),
    GR_TEST(test_materialized_path_is_one_per_process_and_opens),
    GR_TEST(test_well_known_anchors_have_their_real_country),
    GR_TEST_END};

GR_TEST_MAIN("defaultdb_roundtrip", tests, suite_init, suite_cleanup)
