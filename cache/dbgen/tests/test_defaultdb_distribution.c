/*
 * test_defaultdb_distribution.c - the generated data looks like whois
 * country data: about 330k IPv4 and 210k IPv6 ranges, sorted and disjoint,
 * no two touching ranges of one country, a long tail of ~200+ codes with the
 * usual heavy hitters on top, realistic range sizes, and nothing inside a
 * reserved zone (checked against an independent list of special-purpose
 * blocks and against the project's zone classification).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbt.h"
#include "georace/zone.h"
#include "gr_test.h"

static gr_dbt_csv csv;

static int
suite_init(void)
{
    gr_dbt_csv_load(GEORACE_DEFAULTDB_CSV, &csv);
    if (csv.n == 0)
        fprintf(stderr, "%s has no ranges\n", GEORACE_DEFAULTDB_CSV);
    return csv.n > 0 ? 0 : 1;
}

static int
suite_cleanup(void)
{
    gr_dbt_csv_free(&csv);
    return 0;
}

static void
test_range_counts_are_about_330k_ipv4_and_210k_ipv6(void)
{
    printf("\n  %zu IPv4 ranges, %zu IPv6 ranges\n", csv.n4, csv.n6);
    CU_ASSERT(csv.n4 >= 300000 && csv.n4 <= 370000);
    CU_ASSERT(csv.n6 >= 190000 && csv.n6 <= 230000);
    /* IPv4 rows first, then IPv6 rows. */
    for (size_t i = 0; i < csv.n; i++)
        if (csv.v[i].v6 != (i >= csv.n4)) {
            CU_FAIL("IPv4 and IPv6 rows are interleaved");
            break;
        }
}

static void
test_ranges_are_sorted_disjoint_and_never_touch_with_one_country(void)
{
    size_t bad_order = 0, bad_touch = 0, bad_family = 0;
    for (size_t i = 0; i < csv.n; i++) {
        const gr_dbt_range *r = &csv.v[i];
        if (gr_ip_compare(&r->first, &r->last) > 0)
            bad_order++;
        if (r->v6 == gr_ip_is_v4(&r->first) || r->v6 == gr_ip_is_v4(&r->last))
            bad_family++;
        if (i == 0 || csv.v[i - 1].v6 != r->v6)
            continue;
        if (gr_ip_compare(&csv.v[i - 1].last, &r->first) >= 0)
            bad_order++;
        gr_ip next = csv.v[i - 1].last;
        if (gr_dbt_ip_inc(&next) && gr_ip_equal(&next, &r->first) &&
            !strcmp(csv.v[i - 1].cc, r->cc))
            bad_touch++;
    }
    CU_ASSERT_EQUAL(bad_order, 0);
    CU_ASSERT_EQUAL(bad_touch, 0);
    CU_ASSERT_EQUAL(bad_family, 0);
}

struct cc_count {
    char cc[3];
    size_t n;
};

static int
by_count_desc(const void *a, const void *b)
{
    const struct cc_count *x = a, *y = b;
    return x->n < y->n ? 1 : x->n > y->n ? -1 : strcmp(x->cc, y->cc);
}

static void
test_country_mix_has_a_long_tail_and_the_usual_leaders(void)
{
    struct cc_count counts[26 * 26];
    memset(counts, 0, sizeof counts);
    for (size_t i = 0; i < csv.n; i++) {
        const char *cc = csv.v[i].cc;
        CU_ASSERT_FATAL(cc[0] >= 'A' && cc[0] <= 'Z' && cc[1] >= 'A' && cc[1] <= 'Z');
        struct cc_count *c = &counts[(cc[0] - 'A') * 26 + (cc[1] - 'A')];
        memcpy(c->cc, cc, 3);
        c->n++;
    }
    qsort(counts, 26 * 26, sizeof counts[0], by_count_desc);
    size_t distinct = 0;
    while (distinct < 26 * 26 && counts[distinct].n)
        distinct++;
    printf("\n  %zu countries; top:", distinct);
    for (int i = 0; i < 12; i++)
        printf(" %s %.1f%%", counts[i].cc, 100.0 * (double)counts[i].n / (double)csv.n);
    printf("\n");
    CU_ASSERT(distinct >= 200);
    CU_ASSERT_STRING_EQUAL(counts[0].cc, "US");
    double us = (double)counts[0].n / (double)csv.n;
    CU_ASSERT(us > 0.10 && us < 0.40);
    static const char *leaders[] = {"CN", "DE", "GB", "JP", "BR", "RU", "NL"};
    for (size_t l = 0; l < sizeof leaders / sizeof leaders[0]; l++) {
        bool found = false;
        for (int i = 0; i < 15; i++)
            found |= !strcmp(counts[i].cc, leaders[l]);
        if (!found)
            fprintf(stderr, "%s is not among the top 15\n", leaders[l]);
        CU_ASSERT(found);
    }
    /* The tail: at least 50 countries with fewer than 0.05% of the ranges. */
    size_t tail = 0;
    for (size_t i = 0; i < distinct; i++)
        tail += counts[i].n * 2000 < csv.n;
    CU_ASSERT(tail >= 50);
}

static void
test_range_sizes_mix_small_blocks_and_large_ones(void)
{
    size_t n24 = 0, small = 0, big = 0, non_cidr = 0;
    for (size_t i = 0; i < csv.n4; i++) {
        uint32_t a = gr_ip_v4(&csv.v[i].first), b = gr_ip_v4(&csv.v[i].last);
        uint64_t size = (uint64_t)b - a + 1;
        n24 += size == 256;
        small += size < 256;
        big += size >= 65536;
        non_cidr += (size & (size - 1)) != 0 || (a & (uint32_t)(size - 1)) != 0;
    }
    printf("\n  IPv4: %zu exactly /24, %zu smaller, %zu /16 or larger, %zu not one CIDR block\n",
           n24, small, big, non_cidr);
    CU_ASSERT(n24 * 5 > csv.n4);                           /* /24s are common */
    CU_ASSERT(small * 100 > csv.n4 && small * 5 < csv.n4); /* some split /24s */
    CU_ASSERT(big > 1000);
    CU_ASSERT(non_cidr * 20 > csv.n4);
}

static bool
overlaps(const gr_dbt_range *r, const gr_ip *lo, const gr_ip *hi)
{
    return gr_ip_compare(&r->first, hi) <= 0 && gr_ip_compare(lo, &r->last) <= 0;
}

static void
cidr_bounds(const char *s, gr_ip *lo, gr_ip *hi)
{
    const char *slash = strchr(s, '/');
    CU_ASSERT_FATAL(slash != NULL);
    CU_ASSERT_FATAL(gr_ip_parse(s, (size_t)(slash - s), lo) == 0);
    unsigned len = (unsigned)atoi(slash + 1) + (gr_ip_is_v4(lo) ? 96 : 0);
    *hi = *lo;
    for (unsigned bit = len; bit < 128; bit++)
        hi->b[bit / 8] |= (unsigned char)(0x80 >> (bit % 8));
}

static void
test_no_range_touches_a_reserved_zone(void)
{
    /* Special-purpose blocks (IANA registries), stated here independently. */
    static const char *special[] = {
        "0.0.0.0/8",     "10.0.0.0/8",      "100.64.0.0/10",  "127.0.0.0/8",    "169.254.0.0/16",
        "172.16.0.0/12", "192.0.0.0/24",    "192.0.2.0/24",   "192.88.99.0/24", "192.168.0.0/16",
        "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4",    "240.0.0.0/4",
        "::/3",          "2001::/23",       "2001:db8::/32",  "2002::/16",      "3fff::/20",
        "4000::/2",      "8000::/1"};
    size_t bad = 0;
    for (size_t s = 0; s < sizeof special / sizeof special[0]; s++) {
        gr_ip lo, hi;
        cidr_bounds(special[s], &lo, &hi);
        bool v4 = gr_ip_is_v4(&lo);
        for (size_t i = 0; i < csv.n; i++) {
            if (csv.v[i].v6 == v4)
                continue;
            /* ::/3 also covers the IPv4-mapped block; only IPv6 rows count there. */
            if (overlaps(&csv.v[i], &lo, &hi)) {
                if (bad++ < 5)
                    fprintf(stderr, "range %zu (%s) overlaps %s\n", i, csv.v[i].cc, special[s]);
            }
        }
    }
    CU_ASSERT_EQUAL(bad, 0);
    /* The project's classification agrees at every range boundary. */
    size_t zoned = 0;
    for (size_t i = 0; i < csv.n; i++) {
        gr_ip mid;
        gr_dbt_ip_mid(&csv.v[i].first, &csv.v[i].last, &mid);
        if (gr_zone_of(&csv.v[i].first) != GR_ZONE_NONE ||
            gr_zone_of(&csv.v[i].last) != GR_ZONE_NONE || gr_zone_of(&mid) != GR_ZONE_NONE) {
            if (zoned++ < 5)
                fprintf(stderr, "range %zu (%s) has an address in a reserved zone\n", i,
                        csv.v[i].cc);
        }
    }
    CU_ASSERT_EQUAL(zoned, 0);
}

static CU_TestInfo tests[] = {
    GR_TEST(test_range_counts_are_about_330k_ipv4_and_210k_ipv6),
    GR_TEST(test_ranges_are_sorted_disjoint_and_never_touch_with_one_country),
    GR_TEST(test_country_mix_has_a_long_tail_and_the_usual_leaders),
    GR_TEST(test_range_sizes_mix_small_blocks_and_large_ones),
    GR_TEST(test_no_range_touches_a_reserved_zone),
    GR_TEST_END};

GR_TEST_MAIN("defaultdb_distribution", tests, suite_init, suite_cleanup)
