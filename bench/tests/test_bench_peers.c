/*
 * test_bench_peers.c - the peers of 'bench cache' driven through their
 * target tables: rculfhash in its QSBR flavour and ck_ht with ck_epoch
 * reclamation answer what was put (through table growth, so retired arrays
 * go through the epoch), forget it on clear and run a concurrent cell; the
 * floor table is read only once sealed. Not built under ThreadSanitizer:
 * liburcu and Concurrency Kit are not instrumented and synchronise through
 * futexes, membarrier and their own fences, which TSan cannot see, so it
 * reports their internals (call_rcu's worker freeing what the main thread
 * allocated). Speed is never asserted.
 */
#include <string.h>

#include "../src/target.h"
#include "georace/bench_cache.h"
#include "bench_test_cell.h"
#include "gr_test.h"

static void
key_of(unsigned i, gr_ip *ip)
{
    gr_ip_from_v4(0x0a000000u + i, ip);
}

/* Put n keys, read them all back, miss an absent one, clear, miss them. */
static void
peer_answers_what_was_put_until_clear(const struct gr_bench_target *t, unsigned n)
{
    gr_bench_cell c = tiny_cell("peer", GR_BENCH_MIXED, 1);
    char err[256] = "";
    t->thread_init();
    void *ctx = t->open(&c, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    gr_ip k;
    gr_country v = 0;
    for (unsigned i = 0; i < n; i++) {
        key_of(i, &k);
        t->put(ctx, &k, (gr_country)(i & 0x7fff));
        if (t->quiescent && i % 256 == 0)
            t->quiescent();
    }
    unsigned found = 0;
    for (unsigned i = 0; i < n; i++) {
        key_of(i, &k);
        found += t->get(ctx, &k, &v) && v == (gr_country)(i & 0x7fff);
    }
    CU_ASSERT_EQUAL(found, n);
    key_of(n + 1, &k);
    CU_ASSERT(!t->get(ctx, &k, &v));
    t->clear(ctx);
    if (t->quiescent)
        t->quiescent();
    found = 0;
    for (unsigned i = 0; i < n; i++) {
        key_of(i, &k);
        found += t->get(ctx, &k, &v);
    }
    CU_ASSERT_EQUAL(found, 0);
    t->close(ctx);
    t->thread_fini();
}

static void
qsbr_rculfhash_answers_what_was_put_and_runs_concurrently(void)
{
#ifdef GEORACE_HAVE_URCU
    const struct gr_bench_target *t = &gr_bench_rculfhash_ops;
    CU_ASSERT_PTR_NOT_NULL(t->quiescent); /* QSBR: the engine must announce quiescent states */
    CU_ASSERT_PTR_NOT_NULL(t->offline);
    peer_answers_what_was_put_until_clear(t, 5000);
    gr_bench_cell c = tiny_cell("rculfhash", GR_BENCH_RESET_STORM, 2);
    gr_bench_result r;
    char err[256] = "";
    CU_ASSERT_EQUAL_FATAL(gr_bench_run_cell(&c, &r, err, sizeof err), 0);
    CU_ASSERT(r.ops >= 2 * 256);
    CU_ASSERT_EQUAL(r.hits + r.misses, r.ops);
#else
    CU_ASSERT_PTR_NOT_NULL(gr_bench_unavailable("rculfhash"));
#endif
}

static void
ck_ht_with_epoch_reclamation_answers_what_was_put_through_growth(void)
{
#ifdef GEORACE_HAVE_CK
    /* 5000 keys from 1024 slots: the table grows and retires its old
     * arrays through ck_epoch several times */
    peer_answers_what_was_put_until_clear(&gr_bench_ck_ht_ops, 5000);
    gr_bench_cell c = tiny_cell("ck_ht", GR_BENCH_RESET_STORM, 2);
    gr_bench_result r;
    char err[256] = "";
    CU_ASSERT_EQUAL_FATAL(gr_bench_run_cell(&c, &r, err, sizeof err), 0);
    CU_ASSERT(r.ops >= 2 * 256);
#else
    CU_ASSERT_PTR_NOT_NULL(gr_bench_unavailable("ck_ht"));
#endif
}

static void
floor_table_is_read_only_once_sealed(void)
{
    gr_bench_cell c = tiny_cell("floor", GR_BENCH_MIXED, 1);
    char err[256] = "";
    const struct gr_bench_target *t = &gr_bench_floor_ops;
    void *ctx = t->open(&c, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    gr_ip a, b;
    gr_country v = 0;
    key_of(1, &a);
    key_of(2, &b);
    t->put(ctx, &a, 7);
    t->seal(ctx);
    t->put(ctx, &b, 8);
    CU_ASSERT(t->get(ctx, &a, &v) && v == 7);
    CU_ASSERT(!t->get(ctx, &b, &v));
    t->close(ctx);
}

static CU_TestInfo tests[] = {
    GR_TEST(qsbr_rculfhash_answers_what_was_put_and_runs_concurrently),
    GR_TEST(ck_ht_with_epoch_reclamation_answers_what_was_put_through_growth),
    GR_TEST(floor_table_is_read_only_once_sealed), GR_TEST_END};

GR_TEST_MAIN("bench peers", tests, NULL, NULL)
