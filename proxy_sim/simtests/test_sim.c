/*
 * test_sim.c - gr_sim_run as a library: configuration errors, the request
 * budget, progress callbacks, reproducibility with a shared pool, and the
 * database selections (CSV with the scan backend, an MMDB file).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "georace/defaultdb.h"
#include "georace/sim.h"
#include "georace/traffic.h"
#include "gr_test.h"

static gr_addrpool *shared_pool;

static int
suite_setup(void)
{
    char err[256] = "";
    int rc = gr_addrpool_default(&shared_pool, err, sizeof err);
    if (rc)
        fprintf(stderr, "the default address pool: %s\n", err);
    return rc;
}

static int
suite_teardown(void)
{
    gr_addrpool_free(shared_pool);
    return 0;
}

static void
base_config(gr_sim_config *cfg)
{
    gr_sim_config_default(cfg);
    cfg->pool = shared_pool;
    cfg->variant = "mutex";
    cfg->threads = 2;
    cfg->duration_ns = 0;
    cfg->max_requests = 3000;
}

static int
run_expect(gr_sim_config *cfg, int want, const char *needle)
{
    gr_sim_result r;
    char err[512] = "";
    int rc = gr_sim_run(cfg, &r, err, sizeof err);
    CU_ASSERT_EQUAL(rc, want);
    if (needle && !strstr(err, needle)) {
        fprintf(stderr, "\n  message '%s' lacks '%s'", err, needle);
        CU_FAIL("message does not say what is wrong");
    }
    return rc;
}

static void
test_bad_configurations_are_refused_with_a_message(void)
{
    gr_sim_config cfg;
    base_config(&cfg);
    cfg.variant = "btree";
    run_expect(&cfg, GR_SIM_EARG, "btree");
    base_config(&cfg);
    cfg.threads = 0;
    run_expect(&cfg, GR_SIM_EARG, "threads");
    base_config(&cfg);
    cfg.block = "CN";
    cfg.allow = "US";
    run_expect(&cfg, GR_SIM_EARG, "exclude");
    base_config(&cfg);
    cfg.max_requests = 0;
    run_expect(&cfg, GR_SIM_EARG, "duration");
    base_config(&cfg);
    cfg.block = "CN,R";
    run_expect(&cfg, GR_SIM_EARG, NULL);
    base_config(&cfg);
    cfg.profile = "no-such-profile";
    run_expect(&cfg, GR_SIM_ENOENT, "unknown profile");
    base_config(&cfg);
    cfg.mmdb_path = "/nonexistent/geo.mmdb";
    run_expect(&cfg, GR_SIM_ENOENT, "/nonexistent/geo.mmdb");
}

static void
test_request_budget_is_served_exactly_and_every_answer_counted(void)
{
    gr_sim_config cfg;
    base_config(&cfg);
    cfg.threads = 3;
    cfg.max_requests = 5000;
    cfg.block = "CN,RU,US";
    gr_sim_result r;
    char err[256];
    CU_ASSERT_EQUAL_FATAL(gr_sim_run(&cfg, &r, err, sizeof err), GR_SIM_OK);
    CU_ASSERT_EQUAL(r.requests, 5000);
    CU_ASSERT_EQUAL(r.mismatches, 0);
    CU_ASSERT_EQUAL(r.errors, 0);
    CU_ASSERT_EQUAL(r.hits + r.misses + r.zones, r.requests);
    CU_ASSERT_EQUAL(r.allowed + r.blocked, r.requests);
    CU_ASSERT(r.blocked > 0);
    CU_ASSERT(r.hits > 0);
    CU_ASSERT(r.zones > 0);
    CU_ASSERT(r.cache_len_max > 0);
    CU_ASSERT(r.rss_max_kb > 0);
}

struct progress_log {
    int calls;
    uint64_t last_requests, last_elapsed;
    int monotone;
};

static void
on_progress(const gr_sim_progress *p, void *ctx)
{
    struct progress_log *l = ctx;
    l->monotone &= p->requests >= l->last_requests && p->elapsed_ns >= l->last_elapsed;
    l->last_requests = p->requests;
    l->last_elapsed = p->elapsed_ns;
    l->calls++;
}

static void
test_progress_is_reported_while_running(void)
{
    gr_sim_config cfg;
    base_config(&cfg);
    cfg.max_requests = 0;
    cfg.duration_ns = 400000000ull;
    cfg.clear_interval_ns = 50000000ull;
    struct progress_log log = {0, 0, 0, 1};
    cfg.progress = on_progress;
    cfg.progress_ctx = &log;
    cfg.progress_interval_ns = 50000000ull;
    gr_sim_result r;
    char err[256];
    CU_ASSERT_EQUAL_FATAL(gr_sim_run(&cfg, &r, err, sizeof err), GR_SIM_OK);
    CU_ASSERT(log.calls >= 2);
    CU_ASSERT(log.monotone);
    CU_ASSERT(log.last_requests <= r.requests);
    CU_ASSERT(r.clears >= 1);
    CU_ASSERT_EQUAL(r.mismatches, 0);
}

static void
test_one_thread_same_seed_same_result(void)
{
    gr_sim_config cfg;
    base_config(&cfg);
    cfg.threads = 1;
    cfg.max_requests = 20000;
    cfg.seed = 77;
    cfg.block = "DE";
    gr_sim_result a, b, c;
    char err[256];
    CU_ASSERT_EQUAL_FATAL(gr_sim_run(&cfg, &a, err, sizeof err), GR_SIM_OK);
    CU_ASSERT_EQUAL_FATAL(gr_sim_run(&cfg, &b, err, sizeof err), GR_SIM_OK);
    cfg.seed = 78;
    CU_ASSERT_EQUAL_FATAL(gr_sim_run(&cfg, &c, err, sizeof err), GR_SIM_OK);
    CU_ASSERT_EQUAL(a.hits, b.hits);
    CU_ASSERT_EQUAL(a.zones, b.zones);
    CU_ASSERT_EQUAL(a.blocked, b.blocked);
    CU_ASSERT_EQUAL(a.cache_len_max, b.cache_len_max);
    CU_ASSERT(a.hits != c.hits || a.blocked != c.blocked || a.zones != c.zones);
}

static void
test_scan_backend_over_a_user_csv_matches_its_truth(void)
{
    char path[] = "/tmp/georace-sim-XXXXXX";
    int fd = mkstemp(path);
    CU_ASSERT_FATAL(fd >= 0);
    const char *csv = "1.0.0.0,1.0.0.255,AU\n"
                      "41.0.0.0,41.255.255.255,ZA\n"
                      "2a00:1450::,2a00:1450:ffff:ffff:ffff:ffff:ffff:ffff,DE\n";
    CU_ASSERT_EQUAL_FATAL(write(fd, csv, strlen(csv)), (ssize_t)strlen(csv));
    close(fd);
    gr_sim_config cfg;
    base_config(&cfg);
    cfg.pool = NULL;
    cfg.backend = GR_GEODB_SCAN;
    cfg.csv_path = path;
    cfg.allow = "ZA";
    gr_sim_result r;
    char err[256] = "";
    CU_ASSERT_EQUAL(gr_sim_run(&cfg, &r, err, sizeof err), GR_SIM_OK);
    CU_ASSERT_EQUAL(r.requests, 3000);
    CU_ASSERT_EQUAL(r.mismatches, 0);
    CU_ASSERT(r.blocked > 0 && r.allowed > 0);
    remove(path);
}

static void
test_mmdb_file_backend_draws_from_its_networks(void)
{
    char err[256] = "";
    const char *path = gr_defaultdb_mmdb_path(err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(path);
    gr_sim_config cfg;
    base_config(&cfg);
    cfg.pool = NULL;
    cfg.mmdb_path = path;
    cfg.profile = "flood";
    gr_sim_result r;
    CU_ASSERT_EQUAL(gr_sim_run(&cfg, &r, err, sizeof err), GR_SIM_OK);
    CU_ASSERT_EQUAL(r.requests, 3000);
    CU_ASSERT_EQUAL(r.mismatches, 0);
    CU_ASSERT_EQUAL(r.unknown, 0);
}

static CU_TestInfo tests[] = {
    GR_TEST(test_bad_configurations_are_refused_with_a_message),
    GR_TEST(test_request_budget_is_served_exactly_and_every_answer_counted),
    GR_TEST(test_progress_is_reported_while_running),
    GR_TEST(test_one_thread_same_seed_same_result),
    GR_TEST(test_scan_backend_over_a_user_csv_matches_its_truth),
    GR_TEST(test_mmdb_file_backend_draws_from_its_networks),
    GR_TEST_END};

GR_TEST_MAIN("sim", tests, suite_setup, suite_teardown)
