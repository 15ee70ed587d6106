/*
 * test_hit_ratio.c - the hit-ratio replay (georace/hit_ratio.h) on short
 * streams of the real profiles: the stream is reproducible and in time
 * order; a replay counts every lookup, and without clears misses exactly
 * once per distinct key (plus every lookup the database cannot answer);
 * bounded and LRU with room for every key hit exactly as often as the
 * unbounded cache never cleared; the clear fires on the stream's clock.
 */
#include <string.h>

#include "georace/hit_ratio.h"
#include "georace/lru.h"
#include "gr_test.h"

#define MIN_NS 60000000000ull

static gr_addrpool *pool;

static int
setup(void)
{
    char err[256];
    return gr_addrpool_default(&pool, err, sizeof err) ? -1 : 0;
}

static int
teardown(void)
{
    gr_addrpool_free(pool);
    return 0;
}

static void
build(const char *mix, uint64_t minutes, gr_hr_stream *s)
{
    char err[256] = "";
    gr_hr_stream_config cfg = {"zoraxy-home", mix, 20, minutes * MIN_NS, 3, pool};
    int rc = gr_hr_stream_build(&cfg, s, err, sizeof err);
    if (rc)
        fprintf(stderr, "stream: %s\n", err);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    CU_ASSERT_FATAL(s->n > 1000);
}

static gr_hr_result
replay(const gr_hr_stream *s, const char *variant, size_t capacity, unsigned stripes,
       uint64_t clear_ns)
{
    gr_cache *c = NULL;
    gr_hr_result r;
    if (!strcmp(variant, "lru")) {
        CU_ASSERT_EQUAL_FATAL(gr_lru_create(capacity, &c), GR_CACHE_OK);
    } else {
        gr_cache_config cfg;
        gr_cache_config_default(&cfg);
        cfg.capacity = capacity;
        cfg.stripes = stripes;
        CU_ASSERT_EQUAL_FATAL(gr_cache_create(variant, &cfg, &c), GR_CACHE_OK);
    }
    gr_hr_replay(s, c, clear_ns, &r);
    gr_cache_destroy(c);
    return r;
}

static void
test_stream_is_reproducible_in_time_order_and_mixes_both_profiles(void)
{
    gr_hr_stream a, b;
    build("spray-v6", 20, &a);
    build("spray-v6", 20, &b);
    CU_ASSERT_EQUAL_FATAL(a.n, b.n);
    size_t disorder = 0, late = 0, mixed = 0, differ = 0;
    for (size_t i = 0; i < a.n; i++) { /* field by field: the structs have padding */
        const struct gr_hr_request *x = &a.reqs[i], *y = &b.reqs[i];
        differ += !gr_ip_equal(&x->key, &y->key) || x->at_ns != y->at_ns ||
                  x->cacheable != y->cacheable || x->mixed != y->mixed;
        disorder += i && a.reqs[i].at_ns < a.reqs[i - 1].at_ns;
        late += a.reqs[i].at_ns >= a.duration_ns;
        mixed += a.reqs[i].mixed;
    }
    CU_ASSERT_EQUAL(differ, 0);
    CU_ASSERT_EQUAL(disorder, 0);
    CU_ASSERT_EQUAL(late, 0);
    CU_ASSERT_EQUAL(mixed, a.n_mixed);
    /* 20 req/s of spray for 20 minutes: 24000 expected (Poisson) */
    CU_ASSERT(a.n_mixed > 23000 && a.n_mixed < 25000);
    CU_ASSERT(a.n - a.n_mixed > 20000); /* and zoraxy-home at its own 20 req/s */
    CU_ASSERT(a.reserved > 0);          /* its LAN clients stay out */
    gr_hr_stream_free(&a);
    gr_hr_stream_free(&b);
}

static void
test_never_cleared_cache_misses_once_per_distinct_key(void)
{
    gr_hr_stream s;
    build(NULL, 30, &s);
    size_t uncacheable = 0;
    for (size_t i = 0; i < s.n; i++)
        uncacheable += !s.reqs[i].cacheable;
    gr_hr_result r = replay(&s, "mutex", 0, 0, 0);
    CU_ASSERT_EQUAL(r.lookups, s.n);
    CU_ASSERT_EQUAL(r.hits + r.misses, r.lookups);
    CU_ASSERT_EQUAL(r.misses, s.distinct + uncacheable);
    CU_ASSERT_EQUAL(r.peak_len, s.distinct);
    CU_ASSERT_EQUAL(r.clears, 0);
    CU_ASSERT(r.hits > 0);
    gr_hr_stream_free(&s);
}

static void
test_bounded_and_lru_with_room_for_every_key_hit_like_unbounded(void)
{
    gr_hr_stream s;
    build("spray-v6", 20, &s);
    gr_hr_result ceiling = replay(&s, "mutex", 0, 0, 0);
    gr_hr_result bounded = replay(&s, "bounded", s.distinct, 1, 0); /* one shard: exactly room */
    gr_hr_result lru = replay(&s, "lru", s.distinct, 0, 0);
    CU_ASSERT_EQUAL(bounded.hits, ceiling.hits);
    CU_ASSERT_EQUAL(lru.hits, ceiling.hits);
    CU_ASSERT_EQUAL(bounded.own_hits, ceiling.own_hits);
    CU_ASSERT_EQUAL(ceiling.own_lookups, s.n - s.n_mixed); /* zoraxy-home's own requests */
    CU_ASSERT(ceiling.own_hits > 0 && ceiling.own_hits < ceiling.hits);
    /* with room for half the keys both must drop some that come back */
    gr_hr_result bounded_less = replay(&s, "bounded", s.distinct / 2, 1, 0);
    gr_hr_result lru_less = replay(&s, "lru", s.distinct / 2, 0, 0);
    CU_ASSERT(bounded_less.hits < ceiling.hits);
    CU_ASSERT(lru_less.hits < ceiling.hits);
    CU_ASSERT(bounded_less.peak_len <= s.distinct / 2);
    CU_ASSERT(lru_less.peak_len <= s.distinct / 2);
    gr_hr_stream_free(&s);
}

static void
test_clear_fires_on_the_stream_clock(void)
{
    gr_hr_stream s;
    build(NULL, 40, &s);
    gr_hr_result ceiling = replay(&s, "mutex", 0, 0, 0);
    gr_hr_result never = replay(&s, "mutex", 0, 0, 41 * MIN_NS); /* after the stream ends */
    CU_ASSERT_EQUAL(never.clears, 0);
    CU_ASSERT_EQUAL(never.hits, ceiling.hits);
    gr_hr_result every10 = replay(&s, "mutex", 0, 0, 10 * MIN_NS);
    /* 0..40 min: at 10, 20 and 30, and at 40 only if a request came after it */
    uint64_t last = s.reqs[s.n - 1].at_ns;
    CU_ASSERT_EQUAL(every10.clears, last / (10 * MIN_NS));
    CU_ASSERT(every10.clears >= 3);
    CU_ASSERT(every10.hits < ceiling.hits);
    CU_ASSERT(every10.peak_len < ceiling.peak_len);
    gr_hr_result every20 = replay(&s, "mutex", 0, 0, 20 * MIN_NS);
    CU_ASSERT(every20.hits > every10.hits); /* fewer clears, fewer misses */
    gr_hr_stream_free(&s);
}

static CU_TestInfo tests[] = {
    GR_TEST(test_stream_is_reproducible_in_time_order_and_mixes_both_profiles),
    GR_TEST(test_never_cleared_cache_misses_once_per_distinct_key),
    GR_TEST(test_bounded_and_lru_with_room_for_every_key_hit_like_unbounded),
    GR_TEST(test_clear_fires_on_the_stream_clock), GR_TEST_END};

GR_TEST_MAIN("hit_ratio", tests, setup, teardown)
