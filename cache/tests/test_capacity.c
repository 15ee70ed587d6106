/*
 * test_capacity.c - parsing --cache-capacity (georace/capacity.h): counts
 * of entries with or without k/M, byte sizes with each unit, and the
 * malformed, zero, out-of-range and overflowing values it must refuse.
 */
#include <string.h>

#include "georace/capacity.h"
#include "gr_test.h"

static void
test_counts_are_entries_and_units_are_bytes(void)
{
    static const struct {
        const char *s;
        uint64_t entries, bytes;
    } ok[] = {
        {"65536", 65536, 0},     {"1", 1, 0},
        {"64k", 64000, 0},       {"4K", 4000, 0},
        {"1M", 1000000, 0},      {"1073741824", 1073741824, 0},
        {"16MiB", 0, 16u << 20}, {"512KiB", 0, 512u << 10},
        {"2GiB", 0, 2ull << 30}, {"64MB", 0, 64000000},
        {"300kB", 0, 300000},    {"300KB", 0, 300000},
        {"1GB", 0, 1000000000},  {"100000B", 0, 100000},
    };
    char err[256];
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        gr_capacity c = {7, 7};
        int rc = gr_capacity_parse(ok[i].s, &c, err, sizeof err);
        if (rc || c.entries != ok[i].entries || c.bytes != ok[i].bytes)
            fprintf(stderr, "'%s': rc %d, %llu entries, %llu bytes (%s)\n", ok[i].s, rc,
                    (unsigned long long)c.entries, (unsigned long long)c.bytes, err);
        CU_ASSERT_EQUAL(rc, 0);
        CU_ASSERT_EQUAL(c.entries, ok[i].entries);
        CU_ASSERT_EQUAL(c.bytes, ok[i].bytes);
    }
}

static void
test_malformed_zero_and_out_of_range_capacities_are_refused(void)
{
    static const char *const bad[] = {
        "",
        "0",
        "-5",
        "+5",
        " 5",
        "5 ",
        "16 MiB",
        "16mib",
        "16Mi",
        "16XB",
        "k",
        "MiB",
        "1.5MiB",
        "0MiB",
        "1B",
        "0x10",
        "1073741825",
        "2000M",
        "99999999999999999999",
        "18446744073709551615GiB",
        "4096GiB",
        "1k,2k",
    };
    char err[256];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        gr_capacity c = {0, 0};
        err[0] = '\0';
        int rc = gr_capacity_parse(bad[i], &c, err, sizeof err);
        if (rc == 0)
            fprintf(stderr, "'%s' accepted\n", bad[i]);
        CU_ASSERT_EQUAL(rc, -1);
        CU_ASSERT(strlen(err) > 0);
    }
    CU_ASSERT_EQUAL(gr_capacity_parse(NULL, &(gr_capacity){0, 0}, err, sizeof err), -1);
}

static void
test_budget_limits_follow_the_bounded_footprint(void)
{
    char s[64], err[256];
    gr_capacity c;
    size_t one = gr_bounded_footprint(NULL, 1);
    CU_ASSERT_FATAL(one > 0);
    snprintf(s, sizeof s, "%zuB", one);
    CU_ASSERT_EQUAL(gr_capacity_parse(s, &c, err, sizeof err), 0);
    snprintf(s, sizeof s, "%zuB", one - 1);
    CU_ASSERT_EQUAL(gr_capacity_parse(s, &c, err, sizeof err), -1);
}

static void
test_apply_sets_one_of_capacity_and_budget(void)
{
    gr_cache_config cfg;
    gr_cache_config_default(&cfg);
    gr_capacity bytes = {0, 16u << 20}, entries = {4096, 0};
    gr_capacity_apply(&bytes, &cfg);
    CU_ASSERT_EQUAL(cfg.capacity, 0);
    CU_ASSERT_EQUAL(cfg.capacity_bytes, 16u << 20);
    size_t n = gr_capacity_entries(&bytes, &cfg);
    CU_ASSERT(n > 0 && gr_bounded_footprint(&cfg, n) <= (16u << 20));
    gr_capacity_apply(&entries, &cfg); /* a later option replaces an earlier one */
    CU_ASSERT_EQUAL(cfg.capacity, 4096);
    CU_ASSERT_EQUAL(cfg.capacity_bytes, 0);
    CU_ASSERT_EQUAL(gr_capacity_entries(&entries, &cfg), 4096);
}

static CU_TestInfo tests[] = {GR_TEST(test_counts_are_entries_and_units_are_bytes),
                              GR_TEST(test_malformed_zero_and_out_of_range_capacities_are_refused),
                              GR_TEST(test_budget_limits_follow_the_bounded_footprint),
                              GR_TEST(test_apply_sets_one_of_capacity_and_budget), GR_TEST_END};

GR_TEST_MAIN("capacity", tests, NULL, NULL)
