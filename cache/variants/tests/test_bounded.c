/*
 * test_bounded.c - what the bounded variant promises beyond a plain cache:
 * it never holds more than its capacity, its memory stops growing once it
 * is full, a key just put is there, a one-hit spray does not push out keys
 * that are used, a key dropped unused and then asked for again is kept
 * (the ghost queue), clear empties it, and a byte budget becomes the
 * largest capacity whose footprint fits, which is what mem_bytes reports
 * once the cache is full. Single-threaded; the concurrent
 * evidence is race_workload under TSan/ASan.
 */
#include <stdio.h>
#include <string.h>

#include "georace/cache.h"
#include "gr_test.h"

static gr_cache *
make_bounded(size_t capacity, unsigned stripes)
{
    gr_cache_config cfg;
    gr_cache *c = NULL;
    gr_cache_config_default(&cfg);
    cfg.capacity = capacity;
    cfg.stripes = stripes;
    CU_ASSERT_EQUAL_FATAL(gr_cache_create("bounded", &cfg, &c), GR_CACHE_OK);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    return c;
}

/* Distinct keys: hot ones in 10.0.0.0/16, spray in 2001:db8::/32. */
static gr_ip
hot_key(unsigned i)
{
    gr_ip ip;
    gr_ip_from_v4(0x0a000000u + i, &ip);
    return ip;
}

static gr_ip
spray_key(unsigned i)
{
    gr_ip ip;
    memset(&ip, 0, sizeof ip);
    ip.b[0] = 0x20, ip.b[1] = 0x01, ip.b[2] = 0x0d, ip.b[3] = 0xb8;
    memcpy(&ip.b[8], &i, sizeof i);
    return ip;
}

static gr_country
value_of(unsigned i)
{
    return (gr_country)(('A' + i % 26) << 8 | ('A' + i / 26 % 26));
}

static void
test_bounded_never_holds_more_than_its_capacity_and_memory_stays_flat(void)
{
    static const size_t caps[] = {1, 7, 100, 1000, 5000};
    for (size_t ci = 0; ci < sizeof caps / sizeof caps[0]; ci++) {
        gr_cache *c = make_bounded(caps[ci], 0);
        unsigned over = 0, missing = 0;
        size_t mem_full = 0;
        for (unsigned i = 0; i < 60000; i++) {
            gr_ip k = spray_key(i);
            gr_country got = 0;
            gr_cache_put(c, &k, value_of(i));
            if (!gr_cache_get(c, &k, &got) || got != value_of(i))
                missing++;
            if ((i < 2000 || i % 97 == 0) && gr_cache_len(c) > caps[ci])
                over++;
            if (i == 20000)
                mem_full = gr_cache_mem_bytes(c);
        }
        CU_ASSERT_EQUAL(over, 0);
        CU_ASSERT_EQUAL(missing, 0);
        /* far more keys than room: every shard is full */
        CU_ASSERT_EQUAL(gr_cache_len(c), caps[ci]);
        /* 40,000 more keys did not grow it */
        CU_ASSERT_EQUAL(gr_cache_mem_bytes(c), mem_full);
        if (over || missing || gr_cache_len(c) != caps[ci])
            fprintf(stderr, "\ncapacity %zu: len %zu, %u over, %u missing\n", caps[ci],
                    gr_cache_len(c), over, missing);
        gr_cache_destroy(c);
    }
}

static void
test_bounded_spray_does_not_evict_keys_in_use(void)
{
    enum { HOT = 200, CAP = 1000 };
    gr_cache *c = make_bounded(CAP, 0);
    gr_country got;
    for (unsigned i = 0; i < HOT; i++) { /* visitors: stored, then read again */
        gr_ip k = hot_key(i);
        gr_cache_put(c, &k, value_of(i));
        for (int r = 0; r < 3; r++)
            CU_ASSERT(gr_cache_get(c, &k, &got));
    }
    unsigned hot_hits = 0, hot_reads = 0;
    for (unsigned i = 0; i < 200000; i++) { /* a spray of one-hit addresses */
        gr_ip k = spray_key(i);
        if (!gr_cache_get(c, &k, &got))
            gr_cache_put(c, &k, value_of(i));
        if (i % 10 == 0) { /* the visitors keep coming, as the resolver asks */
            unsigned h = (i / 10) % HOT;
            gr_ip hk = hot_key(h);
            hot_reads++;
            if (gr_cache_get(c, &hk, &got) && got == value_of(h))
                hot_hits++;
            else
                gr_cache_put(c, &hk, value_of(h));
        }
    }
    CU_ASSERT_EQUAL(hot_hits, hot_reads);
    CU_ASSERT(gr_cache_len(c) <= CAP);
    if (hot_hits != hot_reads)
        fprintf(stderr, "\nvisitors hit %u of %u reads under the spray\n", hot_hits, hot_reads);
    gr_cache_destroy(c);
}

static void
test_bounded_key_dropped_unused_and_asked_again_is_kept(void)
{
    enum { CAP = 100 }; /* one shard: small queue 10, main 90 */
    gr_cache *c = make_bounded(CAP, 1);
    gr_country got;
    gr_ip k = hot_key(1);
    gr_cache_put(c, &k, value_of(1));
    unsigned s = 0;
    for (; s < CAP; s++) { /* fill: k is the oldest, never read */
        gr_ip sk = spray_key(s);
        gr_cache_put(c, &sk, value_of(s));
    }
    CU_ASSERT(!gr_cache_get(c, &k, &got)); /* dropped from the small queue */
    gr_cache_put(c, &k, value_of(1));      /* the resolver puts it back */
    for (unsigned end = s + 10 * CAP; s < end; s++) {
        gr_ip sk = spray_key(s);
        gr_cache_put(c, &sk, value_of(s));
    }
    /* readmitted to the main queue: the spray went through the small one */
    CU_ASSERT(gr_cache_get(c, &k, &got) && got == value_of(1));
    gr_cache_destroy(c);
}

static void
test_bounded_clear_empties_and_it_fills_again(void)
{
    gr_cache *c = make_bounded(300, 0);
    gr_country got;
    for (unsigned i = 0; i < 1000; i++) {
        gr_ip k = spray_key(i);
        gr_cache_put(c, &k, value_of(i));
    }
    CU_ASSERT_EQUAL(gr_cache_len(c), 300);
    gr_cache_clear(c);
    CU_ASSERT_EQUAL(gr_cache_len(c), 0);
    unsigned hits = 0;
    for (unsigned i = 0; i < 1000; i++) {
        gr_ip k = spray_key(i);
        hits += gr_cache_get(c, &k, &got);
    }
    CU_ASSERT_EQUAL(hits, 0);
    for (unsigned i = 0; i < 1000; i++) {
        gr_ip k = hot_key(i);
        gr_cache_put(c, &k, value_of(i));
        CU_ASSERT(gr_cache_get(c, &k, &got) && got == value_of(i));
    }
    CU_ASSERT_EQUAL(gr_cache_len(c), 300);
    gr_cache_destroy(c);
}

static void
test_bounded_rejects_bad_configuration(void)
{
    gr_cache_config cfg;
    gr_cache *c = NULL;
    gr_cache_config_default(&cfg);
    cfg.capacity = ((size_t)1 << 30) + 1;
    CU_ASSERT_EQUAL(gr_cache_create("bounded", &cfg, &c), GR_CACHE_EARG);
    cfg.capacity = 0;
    cfg.stripes = 48;
    CU_ASSERT_EQUAL(gr_cache_create("bounded", &cfg, &c), GR_CACHE_EARG);
    CU_ASSERT_PTR_NULL(c);
    CU_ASSERT(gr_cache_variant_exists("bounded"));
    CU_ASSERT(!gr_cache_variant_is_buggy("bounded"));
}

static void
test_bounded_byte_budget_is_what_mem_bytes_reports_once_full(void)
{
    static const struct {
        uint64_t budget;
        unsigned stripes;
    } cases[] = {{64u << 10, 0}, {1u << 20, 0}, {4000000, 0}, {1u << 20, 1}, {3u << 20, 16}};
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        gr_cache_config cfg;
        gr_cache *c = NULL;
        gr_cache_config_default(&cfg);
        cfg.stripes = cases[ci].stripes;
        cfg.capacity_bytes = cases[ci].budget;
        size_t cap = gr_bounded_capacity_for_bytes(&cfg, cases[ci].budget);
        size_t foot = gr_bounded_footprint(&cfg, cap);
        CU_ASSERT_FATAL(cap > 0);
        CU_ASSERT(foot <= cases[ci].budget);
        CU_ASSERT(gr_bounded_footprint(&cfg, cap + 1) > cases[ci].budget); /* the largest */
        CU_ASSERT_EQUAL_FATAL(gr_cache_create("bounded", &cfg, &c), GR_CACHE_OK);
        /* a one-hit spray of 4x the capacity fills every shard, its map and its ghost */
        for (unsigned i = 0; i < 4 * cap; i++) {
            gr_ip k = spray_key(i);
            gr_cache_put(c, &k, value_of(i));
        }
        size_t mem = gr_cache_mem_bytes(c), len = gr_cache_len(c);
        if (mem != foot || len != cap)
            fprintf(stderr,
                    "budget %llu stripes %u: capacity %zu len %zu, footprint %zu, "
                    "mem_bytes %zu\n",
                    (unsigned long long)cases[ci].budget, cases[ci].stripes, cap, len, foot, mem);
        CU_ASSERT_EQUAL(len, cap);
        CU_ASSERT_EQUAL(mem, foot);
        gr_cache_destroy(c);
    }
    /* too small for one entry, or a budget and a capacity at once: refused */
    gr_cache_config cfg;
    gr_cache *c = NULL;
    gr_cache_config_default(&cfg);
    CU_ASSERT_EQUAL(gr_bounded_capacity_for_bytes(&cfg, gr_bounded_footprint(&cfg, 1) - 1), 0);
    cfg.capacity_bytes = gr_bounded_footprint(&cfg, 1) - 1;
    CU_ASSERT_EQUAL(gr_cache_create("bounded", &cfg, &c), GR_CACHE_EARG);
    cfg.capacity_bytes = 1u << 20;
    cfg.capacity = 1000;
    CU_ASSERT_EQUAL(gr_cache_create("bounded", &cfg, &c), GR_CACHE_EARG);
    CU_ASSERT_PTR_NULL(c);
}

static CU_TestInfo tests[] = {
    GR_TEST(test_bounded_never_holds_more_than_its_capacity_and_memory_stays_flat),
    GR_TEST(test_bounded_spray_does_not_evict_keys_in_use),
    GR_TEST(test_bounded_key_dropped_unused_and_asked_again_is_kept),
    GR_TEST(test_bounded_clear_empties_and_it_fills_again),
    GR_TEST(test_bounded_rejects_bad_configuration),
    GR_TEST(test_bounded_byte_budget_is_what_mem_bytes_reports_once_full),
    GR_TEST_END};

GR_TEST_MAIN("cache_bounded", tests, NULL, NULL)
