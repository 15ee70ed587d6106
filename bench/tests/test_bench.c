/*
 * test_bench.c - the benchmark engines on tiny inputs: every target is
 * known and listed in order, a cell of a fixed variant measures the mix it
 * was asked for, the unsafe variants refuse to run concurrently, unknown
 * targets are errors, the measured window counts every worker, the peers
 * announce their configuration (QSBR rculfhash, ck_ht with ck_epoch), and
 * the lookup benchmark's rows all run and agree with the reference on the
 * embedded database (the peers themselves: test_bench_peers.c). Speed is
 * never asserted.
 */
#include <string.h>

#include "georace/bench_cache.h"
#include "georace/bench_lookup.h"
#include "georace/defaultdb.h"
#include "bench_test_cell.h"
#include "gr_test.h"

static void
targets_are_the_variants_then_the_peers(void)
{
    static const char *const want[] = {
        "gomap",   "syncmap+naive-reset", "syncmap", "mutex",      "rwlock",         "sharded",
        "bounded", "rculfhash",           "ck_ht",   "go-syncmap", "go-rwmutex-map", "mmdb",
        "floor"};
    const char *const *t = gr_bench_targets();
    size_t n = 0;
    while (t[n])
        n++;
    CU_ASSERT_EQUAL_FATAL(n, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < n; i++) {
        CU_ASSERT_STRING_EQUAL(t[i], want[i]);
        CU_ASSERT(gr_bench_known(t[i]));
        CU_ASSERT_EQUAL(gr_bench_is_peer(t[i]), i >= 7);
    }
    CU_ASSERT(!gr_bench_known("nope"));
    CU_ASSERT_STRING_EQUAL(gr_bench_unavailable("nope"), "unknown target");
    CU_ASSERT_PTR_NULL(gr_bench_unavailable("mutex"));
    CU_ASSERT(!gr_bench_has_hits("mmdb"));
    CU_ASSERT(gr_bench_has_hits("ck_ht"));
    CU_ASSERT_STRING_EQUAL(gr_bench_mix_name(GR_BENCH_RESET_STORM), "reset-storm");
}

static void
cell_of_a_fixed_variant_measures_its_mix(void)
{
    gr_bench_cell c = tiny_cell("mutex", GR_BENCH_MIXED, 2);
    gr_bench_result r;
    char err[256] = "";
    CU_ASSERT_EQUAL_FATAL(gr_bench_run_cell(&c, &r, err, sizeof err), 0);
    CU_ASSERT_PTR_NULL(r.skipped);
    CU_ASSERT_EQUAL(r.hits + r.misses, r.ops);
    CU_ASSERT(r.seconds > 0);
    CU_ASSERT(r.ops_per_s > 0);
    CU_ASSERT(r.mem_bytes > 0);
    /* 10% fresh keys, the hot ones prefilled: mostly hits, some misses
     * (each worker does at least one batch of 256 operations) */
    CU_ASSERT(r.ops >= 2 * 256);
    CU_ASSERT(r.hits > 4 * r.misses);
    CU_ASSERT(r.misses > 0);
    CU_ASSERT_EQUAL(r.clears, 0); /* no ticker outside reset-storm */
}

static void
unsafe_variants_run_alone(void)
{
    /* reset-storm: the one worker clears inline (how often is a matter of
     * time, so not asserted) */
    gr_bench_cell c = tiny_cell("gomap", GR_BENCH_RESET_STORM, 1);
    gr_bench_result r;
    char err[256] = "";
    CU_ASSERT_EQUAL_FATAL(gr_bench_run_cell(&c, &r, err, sizeof err), 0);
    CU_ASSERT_PTR_NULL(r.skipped);
    CU_ASSERT(r.ops >= 256); /* a worker does its first batch whole */
    c.threads = 2;
    CU_ASSERT_EQUAL_FATAL(gr_bench_run_cell(&c, &r, err, sizeof err), 0);
    CU_ASSERT_PTR_NOT_NULL(r.skipped);
    CU_ASSERT_EQUAL(r.ops, 0);
}

static void
unknown_target_and_bad_cell_are_errors(void)
{
    gr_bench_cell c = tiny_cell("nope", GR_BENCH_MIXED, 1);
    gr_bench_result r;
    char err[256] = "";
    CU_ASSERT_EQUAL(gr_bench_run_cell(&c, &r, err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "nope"));
    c = tiny_cell("mutex", GR_BENCH_MIXED, 0);
    CU_ASSERT_EQUAL(gr_bench_run_cell(&c, &r, err, sizeof err), -1);
}

static void
window_counts_every_worker_and_their_cpu_time(void)
{
    gr_bench_cell c = tiny_cell("sharded", GR_BENCH_READ_MOSTLY, 2);
    c.warmup_ns = 1000000;
    gr_bench_result r;
    char err[256] = "";
    CU_ASSERT_EQUAL_FATAL(gr_bench_run_cell(&c, &r, err, sizeof err), 0);
    /* each worker publishes at least one batch inside the window */
    CU_ASSERT(r.ops >= 2 * 256);
    CU_ASSERT_EQUAL(r.hits + r.misses, r.ops);
    CU_ASSERT(r.cpu_share > 0);
}

static void
peer_configurations_are_announced(void)
{
#ifdef GEORACE_HAVE_URCU
    CU_ASSERT_PTR_NOT_NULL(strstr(gr_bench_target_config("rculfhash"), "QSBR"));
#endif
#ifdef GEORACE_HAVE_CK
    CU_ASSERT_PTR_NOT_NULL(strstr(gr_bench_target_config("ck_ht"), "ck_epoch"));
#endif
    CU_ASSERT_PTR_NOT_NULL(strstr(gr_bench_target_config("floor"), "no synchronisation"));
    CU_ASSERT_STRING_EQUAL(gr_bench_target_config("nope"), "not built in");
    char note[512];
    gr_bench_floor_note(note, sizeof note);
    CU_ASSERT_PTR_NOT_NULL(strstr(note, "physical floor"));
}

static int
open_embedded(gr_geodb_kind kind, gr_geodb **out, void *ctx)
{
    char err[256];
    (void)ctx;
    return gr_defaultdb_open(kind, out, err, sizeof err) ? 66 : 0;
}

static void
lookup_rows_all_run_and_agree_with_the_reference(void)
{
    gr_bench_lookup_config cfg = {.samples = 2000,
                                  .seed = GR_BENCH_LOOKUP_SEED,
                                  .cap_ns = 5000000000ull,
                                  .open = open_embedded};
    gr_bench_lookup_report r;
    CU_ASSERT_EQUAL_FATAL(gr_bench_lookup_run(&cfg, &r), GR_BENCH_LOOKUP_OK);
    CU_ASSERT_EQUAL(r.samples, 2000);
    CU_ASSERT(r.samples_v6 > 0 && r.samples_v6 < 2000);
    CU_ASSERT_EQUAL(r.linear_samples, 2); /* samples / 1000 */
    for (int i = 0; i < GR_BENCH_LOOKUP_ROWS; i++) {
        CU_ASSERT(r.rows[i].ran);
        CU_ASSERT(r.rows[i].lookups > 0);
        CU_ASSERT_EQUAL(r.rows[i].agree, r.rows[i].lookups);
        CU_ASSERT_EQUAL(r.rows[i].found, r.rows[i].lookups);
    }
    CU_ASSERT_EQUAL(r.rows[GR_BENCH_LOOKUP_LINEAR].lookups, 2);
    CU_ASSERT_EQUAL(gr_bench_lookup_disagreeing_row(&r), -1);
    /* a disagreement is found */
    r.rows[GR_BENCH_LOOKUP_CACHE_HIT].agree--;
    CU_ASSERT_EQUAL(gr_bench_lookup_disagreeing_row(&r), GR_BENCH_LOOKUP_CACHE_HIT);
}

static int
open_fails(gr_geodb_kind kind, gr_geodb **out, void *ctx)
{
    (void)kind, (void)out, (void)ctx;
    return 65;
}

static void
lookup_hands_back_the_status_of_a_failed_open(void)
{
    gr_bench_lookup_config cfg = {.samples = 10, .seed = 1, .cap_ns = 1000000, .open = open_fails};
    gr_bench_lookup_report r;
    CU_ASSERT_EQUAL(gr_bench_lookup_run(&cfg, &r), GR_BENCH_LOOKUP_EOPEN);
    CU_ASSERT_EQUAL(r.open_status, 65);
    for (int i = 0; i < GR_BENCH_LOOKUP_ROWS; i++)
        CU_ASSERT(!r.rows[i].ran);
}

static CU_TestInfo tests[] = {GR_TEST(targets_are_the_variants_then_the_peers),
                              GR_TEST(cell_of_a_fixed_variant_measures_its_mix),
                              GR_TEST(unsafe_variants_run_alone),
                              GR_TEST(unknown_target_and_bad_cell_are_errors),
                              GR_TEST(window_counts_every_worker_and_their_cpu_time),
                              GR_TEST(peer_configurations_are_announced),
                              GR_TEST(lookup_rows_all_run_and_agree_with_the_reference),
                              GR_TEST(lookup_hands_back_the_status_of_a_failed_open),
                              GR_TEST_END};

GR_TEST_MAIN("bench", tests, NULL, NULL)
