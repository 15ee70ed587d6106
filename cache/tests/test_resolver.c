/*
 * test_resolver.c - Store semantics (zone, hit, miss, put), the clear
 * ticker, and error handling of the resolver.
 *
 * The cache here is a small test-only recording cache (a locked array that
 * counts every call), so the tests can check exactly which calls the
 * resolver made; the real variants are tested in cache/variants/tests. The
 * last test runs the resolver with request threads against the ticker, which
 * the tsan preset checks for races in the resolver itself.
 *
 * No test sleeps to get an ordering: a test that needs the ticker to have
 * ticked, or to be asleep, polls what the resolver shows (its clear
 * counter, gr_resolver_ticker_waiting) until it holds or a generous bound
 * passes, and fails in the second case. No test asserts that anything was
 * fast; the miss cost is checked as a lower bound only.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "georace/clock.h"
#include "georace/resolver.h"
#include "gr_test.h"

/* ---- a recording cache ------------------------------------------------ */

#define REC_CAP 1024

struct rec_cache {
    gr_cache base;
    pthread_mutex_t mu;
    gr_ip keys[REC_CAP];
    gr_country vals[REC_CAP];
    size_t n;
    unsigned gets, puts, clears;
};

static bool
rec_get(gr_cache *c, const gr_ip *k, gr_country *out)
{
    struct rec_cache *r = (struct rec_cache *)c;
    bool found = false;
    pthread_mutex_lock(&r->mu);
    r->gets++;
    for (size_t i = 0; i < r->n && !found; i++) {
        if (gr_ip_equal(&r->keys[i], k)) {
            *out = r->vals[i];
            found = true;
        }
    }
    pthread_mutex_unlock(&r->mu);
    return found;
}

static void
rec_put(gr_cache *c, const gr_ip *k, gr_country v)
{
    struct rec_cache *r = (struct rec_cache *)c;
    pthread_mutex_lock(&r->mu);
    r->puts++;
    size_t i = 0;
    while (i < r->n && !gr_ip_equal(&r->keys[i], k))
        i++;
    if (i < REC_CAP) {
        r->keys[i] = *k;
        r->vals[i] = v;
        if (i == r->n)
            r->n++;
    }
    pthread_mutex_unlock(&r->mu);
}

static void
rec_clear(gr_cache *c)
{
    struct rec_cache *r = (struct rec_cache *)c;
    pthread_mutex_lock(&r->mu);
    r->clears++;
    r->n = 0;
    pthread_mutex_unlock(&r->mu);
}

static size_t
rec_len(gr_cache *c)
{
    struct rec_cache *r = (struct rec_cache *)c;
    pthread_mutex_lock(&r->mu);
    size_t n = r->n;
    pthread_mutex_unlock(&r->mu);
    return n;
}

static size_t
rec_mem(gr_cache *c)
{
    (void)c;
    return sizeof(struct rec_cache);
}

static void
rec_destroy(gr_cache *c)
{
    struct rec_cache *r = (struct rec_cache *)c;
    pthread_mutex_destroy(&r->mu);
    free(r);
}

static const struct gr_cache_ops rec_ops = {"recording", rec_get, rec_put,    rec_clear,
                                            rec_len,     rec_mem, rec_destroy};

static struct rec_cache *
rec_create(void)
{
    struct rec_cache *r = calloc(1, sizeof *r);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    r->base.ops = &rec_ops;
    pthread_mutex_init(&r->mu, NULL);
    return r;
}

static unsigned
rec_count(struct rec_cache *r, unsigned *field)
{
    pthread_mutex_lock(&r->mu);
    unsigned v = *field;
    pthread_mutex_unlock(&r->mu);
    return v;
}

/* ---- a backend that always fails -------------------------------------- */

static int
broken_lookup(gr_geodb *db, const gr_ip *ip, gr_country *out)
{
    (void)db, (void)ip, (void)out;
    return GR_GEODB_ELOOKUP;
}

static void
broken_close(gr_geodb *db)
{
    (void)db;
}

static const struct gr_geodb_ops broken_ops = {"broken", broken_lookup, broken_close};

/* ---- helpers ------------------------------------------------------------ */

static const char csv[] = "8.8.8.0,8.8.8.255,US\n"
                          "81.2.69.0,81.2.69.255,GB\n"
                          "2001:4860::,2001:4860:ffff:ffff:ffff:ffff:ffff:ffff,US\n";

static gr_geodb *
open_db(void)
{
    gr_geodb *db = NULL;
    char err[128];
    CU_ASSERT_EQUAL_FATAL(
        gr_geodb_open_scan_buffer(GR_GEODB_SCAN_BSEARCH, csv, strlen(csv), &db, err, sizeof err),
        GR_GEODB_OK);
    return db;
}

static gr_ip
ip_of(const char *s)
{
    gr_ip ip;
    CU_ASSERT_EQUAL_FATAL(gr_ip_parse(s, strlen(s), &ip), GR_IP_OK);
    return ip;
}

static gr_answer
resolve(gr_resolver *r, const char *s)
{
    gr_ip ip = ip_of(s);
    return gr_resolve(r, &ip);
}

static const char *
answer_str(gr_answer a)
{
    static char buf[32];
    return gr_answer_str(&a, buf, sizeof buf);
}

/* How long a test waits for the ticker before it fails: far longer than
 * any tick needs, even on a loaded machine under a sanitizer. */
#define WAIT_BOUND_NS (60ull * 1000000000ull)

/* Polls (yielding the CPU) until the ticker has cleared at least n times or
 * the bound passes; the last statistics read. */
static gr_resolver_stats
wait_for_clears(gr_resolver *r, uint64_t n)
{
    gr_resolver_stats st;
    uint64_t until = gr_clock_now_ns() + WAIT_BOUND_NS;
    for (;;) {
        gr_resolver_stats_get(r, &st);
        if (st.clears >= n || gr_clock_now_ns() > until)
            return st;
        sched_yield();
    }
}

/* Polls until the ticker is asleep in its wait for the next tick; whether
 * it got there within the bound. */
static bool
wait_for_sleeping_ticker(gr_resolver *r)
{
    uint64_t until = gr_clock_now_ns() + WAIT_BOUND_NS;
    while (!gr_resolver_ticker_waiting(r)) {
        if (gr_clock_now_ns() > until)
            return false;
        sched_yield();
    }
    return true;
}

/* ---- tests -------------------------------------------------------------- */

static void
test_miss_then_hit_with_one_backend_lookup(void)
{
    gr_geodb *db = open_db();
    struct rec_cache *cache = rec_create();
    gr_resolver_config cfg = {.db = db, .cache = &cache->base};
    gr_resolver *r = NULL;
    CU_ASSERT_EQUAL_FATAL(gr_resolver_create(&cfg, &r), 0);

    gr_answer a = resolve(r, "8.8.8.8");
    CU_ASSERT_EQUAL(a.kind, GR_ANSWER_COUNTRY);
    CU_ASSERT_FALSE(a.cache_hit);
    CU_ASSERT_STRING_EQUAL(answer_str(a), "US");
    CU_ASSERT_EQUAL(cache->puts, 1u);
    a = resolve(r, "8.8.8.8");
    CU_ASSERT_TRUE(a.cache_hit);
    CU_ASSERT_STRING_EQUAL(answer_str(a), "US");
    CU_ASSERT_EQUAL(cache->puts, 1u);
    /* another spelling of the same address is the same key */
    a = resolve(r, "::ffff:8.8.8.8");
    CU_ASSERT_TRUE(a.cache_hit);
    a = resolve(r, "2001:4860:0:0::8888");
    CU_ASSERT_FALSE(a.cache_hit);
    a = resolve(r, "2001:4860::8888");
    CU_ASSERT_TRUE(a.cache_hit);
    CU_ASSERT_STRING_EQUAL(answer_str(a), "US");

    gr_resolver_stats st;
    gr_resolver_stats_get(r, &st);
    CU_ASSERT_EQUAL(st.lookups, 5u);
    CU_ASSERT_EQUAL(st.hits, 3u);
    CU_ASSERT_EQUAL(st.misses, 2u);
    CU_ASSERT_EQUAL(st.zones, 0u);
    CU_ASSERT_EQUAL(st.errors, 0u);
    gr_resolver_destroy(r);
    gr_cache_destroy(&cache->base);
    gr_geodb_close(db);
}

static void
test_embedded_ipv4_is_judged_and_cached_as_that_ipv4(void)
{
    static const char *const v4[] = {"8.8.8.8", "114.114.114.114", "10.1.2.3"};
    static const char *const spellings[][6] = {
        {"::ffff:8.8.8.8", "::8.8.8.8", "64:ff9b::8.8.8.8", "2002:808:808::1",
         "2002:808:808:1234:5678::9", "2001:0:4136:e378:8000:63bf:f7f7:f7f7"},
        {"::FFFF:7272:7272", "::114.114.114.114", "64:ff9b::7272:7272",
         "2002:7272:7272::", "2002:7272:7272:ffff::1", "2001::8d8d:8d8d"},
        {"::ffff:10.1.2.3", "::10.1.2.3", "64:ff9b::a01:203", "2002:a01:203::1", "2002:a01:203::2",
         "2001:0:1:2:3:4:f5fe:fdfc"}};
    gr_geodb *db = open_db();
    for (size_t i = 0; i < 3; i++) {
        struct rec_cache *cache = rec_create();
        gr_resolver_config cfg = {.db = db, .cache = &cache->base};
        gr_resolver *r = NULL;
        CU_ASSERT_EQUAL_FATAL(gr_resolver_create(&cfg, &r), 0);
        char want[32];
        snprintf(want, sizeof want, "%s", answer_str(resolve(r, v4[i])));
        for (size_t j = 0; j < 6; j++) {
            gr_answer a = resolve(r, spellings[i][j]);
            CU_ASSERT_STRING_EQUAL(answer_str(a), want);
        }
        /* one key per address whatever its spelling (zones: none at all) */
        CU_ASSERT_TRUE(rec_len(&cache->base) <= 1);
        CU_ASSERT_TRUE(cache->puts <= 1);
        gr_resolver_destroy(r);
        gr_cache_destroy(&cache->base);
    }
    /* not embedded: ::/104 (::, ::1, ::2) is itself, other IPv6 is IPv6 */
    gr_ip ip, out;
    CU_ASSERT_EQUAL_FATAL(gr_ip_parse("::1", 3, &ip), GR_IP_OK);
    CU_ASSERT_FALSE(gr_ip_embedded_v4(&ip, &out));
    CU_ASSERT_EQUAL_FATAL(gr_ip_parse("::", 2, &ip), GR_IP_OK);
    CU_ASSERT_FALSE(gr_ip_embedded_v4(&ip, &out));
    CU_ASSERT_EQUAL_FATAL(gr_ip_parse("::2", 3, &ip), GR_IP_OK);
    CU_ASSERT_FALSE(gr_ip_embedded_v4(&ip, &out));
    CU_ASSERT_EQUAL_FATAL(gr_ip_parse("2001:db8::1", 11, &ip), GR_IP_OK);
    CU_ASSERT_FALSE(gr_ip_embedded_v4(&ip, &out));
    CU_ASSERT_EQUAL_FATAL(gr_ip_parse("2001:1::8d8d:8d8d", 17, &ip), GR_IP_OK);
    CU_ASSERT_FALSE(gr_ip_embedded_v4(&ip, &out));
    CU_ASSERT_EQUAL_FATAL(gr_ip_parse("2001::8d8d:8d8d", 15, &ip), GR_IP_OK);
    CU_ASSERT_TRUE(gr_ip_embedded_v4(&ip, &out));
    CU_ASSERT_EQUAL(gr_ip_v4(&out), 0x72727272u);
    CU_ASSERT_TRUE(gr_ip_is_v4(&out));
    gr_geodb_close(db);
}

static void
test_reserved_zones_never_touch_the_cache(void)
{
    gr_geodb *db = open_db();
    struct rec_cache *cache = rec_create();
    gr_resolver_config cfg = {.db = db, .cache = &cache->base};
    gr_resolver *r = NULL;
    CU_ASSERT_EQUAL_FATAL(gr_resolver_create(&cfg, &r), 0);
    gr_answer a = resolve(r, "10.0.0.1");
    CU_ASSERT_EQUAL(a.kind, GR_ANSWER_ZONE);
    CU_ASSERT_EQUAL(a.zone, GR_ZONE_PRIVATE);
    CU_ASSERT_STRING_EQUAL(answer_str(a), "Private");
    CU_ASSERT_STRING_EQUAL(answer_str(resolve(r, "::1")), "Loopback");
    CU_ASSERT_STRING_EQUAL(answer_str(resolve(r, "fe80::1")), "LinkLocal");
    CU_ASSERT_EQUAL(cache->gets, 0u);
    CU_ASSERT_EQUAL(cache->puts, 0u);
    gr_resolver_stats st;
    gr_resolver_stats_get(r, &st);
    CU_ASSERT_EQUAL(st.zones, 3u);
    CU_ASSERT_EQUAL(st.lookups, 3u);
    gr_resolver_destroy(r);
    gr_cache_destroy(&cache->base);
    gr_geodb_close(db);
}

static void
test_unknown_addresses_and_errors_are_not_cached(void)
{
    gr_geodb *db = open_db();
    struct rec_cache *cache = rec_create();
    gr_resolver_config cfg = {.db = db, .cache = &cache->base};
    gr_resolver *r = NULL;
    CU_ASSERT_EQUAL_FATAL(gr_resolver_create(&cfg, &r), 0);
    /* Zoraxy stores only a country it found: 1.2.3.4 is in no range of the
     * test database, so it is looked up again and never stored */
    unsigned puts0 = cache->puts;
    gr_answer a = resolve(r, "1.2.3.4");
    CU_ASSERT_EQUAL(a.kind, GR_ANSWER_UNKNOWN);
    CU_ASSERT_STRING_EQUAL(answer_str(a), "");
    a = resolve(r, "1.2.3.4");
    CU_ASSERT_EQUAL(a.kind, GR_ANSWER_UNKNOWN);
    CU_ASSERT_FALSE(a.cache_hit);
    CU_ASSERT_EQUAL(cache->puts, puts0);
    gr_resolver_stats st0;
    gr_resolver_stats_get(r, &st0);
    CU_ASSERT_EQUAL(st0.misses, 2u);
    gr_resolver_destroy(r);

    gr_geodb broken = {&broken_ops};
    cfg.db = &broken;
    CU_ASSERT_EQUAL_FATAL(gr_resolver_create(&cfg, &r), 0);
    unsigned puts = cache->puts;
    a = resolve(r, "5.5.5.5");
    CU_ASSERT_EQUAL(a.kind, GR_ANSWER_ERROR);
    CU_ASSERT_STRING_EQUAL(answer_str(a), "error");
    a = resolve(r, "5.5.5.5");
    CU_ASSERT_EQUAL(a.kind, GR_ANSWER_ERROR);
    CU_ASSERT_FALSE(a.cache_hit);
    CU_ASSERT_EQUAL(cache->puts, puts);
    gr_resolver_stats st;
    gr_resolver_stats_get(r, &st);
    CU_ASSERT_EQUAL(st.errors, 2u);
    gr_resolver_destroy(r);
    gr_cache_destroy(&cache->base);
    gr_geodb_close(db);
}

static void
test_clear_now_empties_the_cache_and_counts(void)
{
    gr_geodb *db = open_db();
    struct rec_cache *cache = rec_create();
    gr_resolver_config cfg = {.db = db, .cache = &cache->base};
    gr_resolver *r = NULL;
    CU_ASSERT_EQUAL_FATAL(gr_resolver_create(&cfg, &r), 0);
    resolve(r, "8.8.8.8");
    resolve(r, "81.2.69.160");
    CU_ASSERT_EQUAL(gr_cache_len(&cache->base), 2u);
    gr_resolver_clear_now(r);
    CU_ASSERT_EQUAL(gr_cache_len(&cache->base), 0u);
    gr_answer a = resolve(r, "81.2.69.160");
    CU_ASSERT_FALSE(a.cache_hit);
    CU_ASSERT_STRING_EQUAL(answer_str(a), "GB");
    gr_resolver_stats st;
    gr_resolver_stats_get(r, &st);
    CU_ASSERT_EQUAL(st.clears, 1u);
    CU_ASSERT_EQUAL(st.misses, 3u);
    gr_resolver_destroy(r);
    gr_cache_destroy(&cache->base);
    gr_geodb_close(db);
}

static void
test_without_a_cache_every_lookup_reaches_the_backend(void)
{
    gr_geodb *db = open_db();
    gr_resolver_config cfg = {.db = db, .cache = NULL, .clear_interval_ns = 1000000};
    gr_resolver *r = NULL;
    CU_ASSERT_EQUAL_FATAL(gr_resolver_create(&cfg, &r), 0);
    CU_ASSERT_EQUAL(gr_resolver_start(r), 0); /* nothing to clear: no ticker */
    for (int i = 0; i < 3; i++) {
        gr_answer a = resolve(r, "8.8.8.8");
        CU_ASSERT_FALSE(a.cache_hit);
        CU_ASSERT_STRING_EQUAL(answer_str(a), "US");
    }
    gr_resolver_clear_now(r);
    gr_resolver_stats st;
    gr_resolver_stats_get(r, &st);
    CU_ASSERT_EQUAL(st.misses, 3u);
    CU_ASSERT_EQUAL(st.hits, 0u);
    CU_ASSERT_EQUAL(st.clears, 0u);
    gr_resolver_destroy(r);
    gr_geodb_close(db);
}

static void
test_ticker_clears_the_cache_periodically(void)
{
    gr_geodb *db = open_db();
    struct rec_cache *cache = rec_create();
    gr_resolver_config cfg = {.db = db, .cache = &cache->base, .clear_interval_ns = 5000000};
    gr_resolver *r = NULL;
    CU_ASSERT_EQUAL_FATAL(gr_resolver_create(&cfg, &r), 0);
    CU_ASSERT_EQUAL_FATAL(gr_resolver_start(r), 0);
    CU_ASSERT_EQUAL(gr_resolver_start(r), 0); /* starting twice is harmless */
    /* wait (bounded) for a few ticks; no timing is asserted, only that they come */
    resolve(r, "8.8.8.8");
    gr_resolver_stats st;
    gr_resolver_stats_get(r, &st);
    uint64_t after_put = st.clears + 1; /* a tick after the put empties the cache */
    st = wait_for_clears(r, after_put > 3 ? after_put : 3);
    CU_ASSERT_TRUE(st.clears >= 3);
    CU_ASSERT_TRUE(st.clears >= after_put);
    CU_ASSERT_EQUAL(gr_cache_len(&cache->base), 0u);
    CU_ASSERT_TRUE(rec_count(cache, &cache->clears) >= 3);
    gr_resolver_destroy(r);
    gr_cache_destroy(&cache->base);
    gr_geodb_close(db);
}

static void
test_destroy_wakes_a_sleeping_ticker(void)
{
    gr_geodb *db = open_db();
    struct rec_cache *cache = rec_create();
    /* one hour: if destroy did not wake the ticker, the join would hang and
     * ctest's timeout would fail the test */
    gr_resolver_config cfg = {
        .db = db, .cache = &cache->base, .clear_interval_ns = 3600ull * 1000000000ull};
    gr_resolver *r = NULL;
    CU_ASSERT_EQUAL_FATAL(gr_resolver_create(&cfg, &r), 0);
    CU_ASSERT_EQUAL_FATAL(gr_resolver_start(r), 0);
    /* asleep, for an hour, until destroy wakes it */
    CU_ASSERT_TRUE(wait_for_sleeping_ticker(r));
    gr_resolver_destroy(r);
    CU_ASSERT_EQUAL(rec_count(cache, &cache->clears), 0u);
    gr_cache_destroy(&cache->base);
    gr_geodb_close(db);
}

static void
test_every_miss_costs_at_least_the_configured_time(void)
{
    enum { COST_NS = 2000000 };
    gr_geodb *db = open_db();
    struct rec_cache *cache = rec_create();
    gr_resolver_config cfg = {.db = db, .cache = &cache->base, .miss_cost_ns = COST_NS};
    gr_resolver *r = NULL;
    CU_ASSERT_EQUAL_FATAL(gr_resolver_create(&cfg, &r), 0);
    static const char *addrs[] = {"8.8.8.8", "81.2.69.160", "2001:4860::1", "1.2.3.4"};
    static const char *want[] = {"US", "GB", "US", ""};
    for (size_t i = 0; i < sizeof addrs / sizeof addrs[0]; i++) {
        gr_ip ip = ip_of(addrs[i]);
        uint64_t t0 = gr_clock_now_ns();
        gr_answer a = gr_resolve(r, &ip);
        uint64_t took = gr_clock_now_ns() - t0;
        CU_ASSERT_FALSE(a.cache_hit);
        CU_ASSERT_STRING_EQUAL(answer_str(a), want[i]);
        /* a lower bound only: a slow machine can only make it longer */
        CU_ASSERT_TRUE(took >= COST_NS);
    }
    gr_resolver_stats st;
    gr_resolver_stats_get(r, &st);
    CU_ASSERT_EQUAL(st.misses, 4u);
    /* a hit or a reserved zone never reaches the backend, so never pays it */
    CU_ASSERT_TRUE(resolve(r, "8.8.8.8").cache_hit);
    CU_ASSERT_EQUAL(resolve(r, "10.0.0.1").kind, GR_ANSWER_ZONE);
    gr_resolver_stats_get(r, &st);
    CU_ASSERT_EQUAL(st.misses, 4u);
    gr_resolver_destroy(r);
    gr_cache_destroy(&cache->base);
    gr_geodb_close(db);
}

static void
test_bad_configurations_are_refused(void)
{
    gr_geodb *db = open_db();
    gr_resolver *r = NULL;
    gr_resolver_destroy(NULL); /* a no-op */
    gr_resolver_config none = {0};
    CU_ASSERT_TRUE(gr_resolver_create(&none, &r) < 0);
    CU_ASSERT_PTR_NULL(r);
    CU_ASSERT_TRUE(gr_resolver_create(NULL, &r) < 0);
    gr_resolver_config ok = {.db = db};
    CU_ASSERT_TRUE(gr_resolver_create(&ok, NULL) < 0);
    CU_ASSERT_TRUE(gr_resolver_start(NULL) < 0);
    gr_geodb_close(db);
}

/* A request thread: at least 20000 lookups, and on until the ticker has
 * cleared the cache until_clears times (or the wait's bound passes), so the
 * clears surely happen while it runs. Lookups come in rounds of five
 * addresses, one of them in a reserved zone. */
struct worker {
    gr_resolver *r;
    uint64_t until_clears;
    unsigned wrong;
    uint64_t lookups;
};

static bool
worker_may_stop(struct worker *w, uint64_t i, uint64_t give_up_at)
{
    if (i < 20000)
        return false;
    gr_resolver_stats st;
    gr_resolver_stats_get(w->r, &st);
    return st.clears >= w->until_clears || gr_clock_now_ns() > give_up_at;
}

static void *
worker_run(void *arg)
{
    struct worker *w = arg;
    static const char *addrs[] = {"8.8.8.8", "81.2.69.160", "2001:4860::1", "1.2.3.4", "10.1.1.1"};
    static const char *want[] = {"US", "GB", "US", "", "Private"};
    uint64_t give_up_at = gr_clock_now_ns() + WAIT_BOUND_NS, i;
    for (i = 0; i % 5 != 0 || !worker_may_stop(w, i, give_up_at); i++) {
        int k = (int)(i % 5);
        gr_ip ip;
        if (gr_ip_parse(addrs[k], strlen(addrs[k]), &ip) != GR_IP_OK) {
            w->wrong++;
            continue;
        }
        gr_answer a = gr_resolve(w->r, &ip);
        char buf[16];
        if (strcmp(gr_answer_str(&a, buf, sizeof buf), want[k]) != 0)
            w->wrong++;
    }
    w->lookups = i;
    return NULL;
}

/* Runs n request threads against a resolver whose ticker is running, until
 * it has cleared twice more; the lookups they made, wrong answers asserted. */
static uint64_t
run_workers_through_two_clears(gr_resolver *r, int n)
{
    gr_resolver_stats st;
    gr_resolver_stats_get(r, &st);
    pthread_t t[4];
    struct worker w[4];
    CU_ASSERT_FATAL(n <= 4);
    for (int i = 0; i < n; i++) {
        w[i] = (struct worker){.r = r, .until_clears = st.clears + 2};
        CU_ASSERT_EQUAL_FATAL(pthread_create(&t[i], NULL, worker_run, &w[i]), 0);
    }
    uint64_t lookups = 0;
    for (int i = 0; i < n; i++) {
        pthread_join(t[i], NULL);
        CU_ASSERT_EQUAL(w[i].wrong, 0u);
        CU_ASSERT_TRUE(w[i].lookups >= 20000);
        lookups += w[i].lookups;
    }
    uint64_t before = st.clears;
    gr_resolver_stats_get(r, &st);
    CU_ASSERT_TRUE(st.clears >= before + 2); /* the ticker cleared while they ran */
    return lookups;
}

static void
test_request_threads_and_ticker_agree_on_answers(void)
{
    gr_geodb *db = open_db();
    struct rec_cache *cache = rec_create();
    gr_resolver_config cfg = {.db = db, .cache = &cache->base, .clear_interval_ns = 1000000};
    gr_resolver *r = NULL;
    CU_ASSERT_EQUAL_FATAL(gr_resolver_create(&cfg, &r), 0);
    CU_ASSERT_EQUAL_FATAL(gr_resolver_start(r), 0);
    uint64_t lookups = run_workers_through_two_clears(r, 3);
    gr_resolver_stats st;
    gr_resolver_stats_get(r, &st);
    CU_ASSERT_EQUAL(st.lookups, lookups);
    CU_ASSERT_EQUAL(st.hits + st.misses + st.zones, lookups);
    CU_ASSERT_EQUAL(st.zones, lookups / 5);
    gr_resolver_destroy(r);
    gr_cache_destroy(&cache->base);
    gr_geodb_close(db);
}

static void
test_mutex_variant_hits_misses_and_clears_through_the_resolver(void)
{
    gr_geodb *db = open_db();
    gr_cache_config cc;
    gr_cache_config_default(&cc);
    gr_cache *cache = NULL;
    CU_ASSERT_EQUAL_FATAL(gr_cache_create("mutex", &cc, &cache), GR_CACHE_OK);
    gr_resolver_config cfg = {.db = db, .cache = cache, .clear_interval_ns = 2000000};
    gr_resolver *r = NULL;
    CU_ASSERT_EQUAL_FATAL(gr_resolver_create(&cfg, &r), 0);
    CU_ASSERT_FALSE(resolve(r, "81.2.69.160").cache_hit);
    CU_ASSERT_TRUE(resolve(r, "81.2.69.160").cache_hit);
    CU_ASSERT_EQUAL(gr_cache_len(cache), 1u);
    gr_resolver_clear_now(r);
    CU_ASSERT_EQUAL(gr_cache_len(cache), 0u);
    CU_ASSERT_FALSE(resolve(r, "81.2.69.160").cache_hit);
    /* now with the ticker clearing under request threads */
    CU_ASSERT_EQUAL_FATAL(gr_resolver_start(r), 0);
    uint64_t lookups = run_workers_through_two_clears(r, 2);
    gr_resolver_stats st;
    gr_resolver_stats_get(r, &st);
    CU_ASSERT_EQUAL(st.lookups, lookups + 3); /* and the three above */
    gr_resolver_destroy(r);
    gr_cache_destroy(cache);
    gr_geodb_close(db);
}

static CU_TestInfo tests[] = {
    GR_TEST(test_miss_then_hit_with_one_backend_lookup),
    GR_TEST(test_embedded_ipv4_is_judged_and_cached_as_that_ipv4),
    GR_TEST(test_reserved_zones_never_touch_the_cache),
    GR_TEST(test_unknown_addresses_and_errors_are_not_cached),
    GR_TEST(test_clear_now_empties_the_cache_and_counts),
    GR_TEST(test_without_a_cache_every_lookup_reaches_the_backend),
    GR_TEST(test_ticker_clears_the_cache_periodically),
    GR_TEST(test_destroy_wakes_a_sleeping_ticker),
    GR_TEST(test_every_miss_costs_at_least_the_configured_time),
    GR_TEST(test_bad_configurations_are_refused),
    GR_TEST(test_request_threads_and_ticker_agree_on_answers),
    GR_TEST(test_mutex_variant_hits_misses_and_clears_through_the_resolver),
    GR_TEST_END};

GR_TEST_MAIN("resolver", tests, NULL, NULL)
