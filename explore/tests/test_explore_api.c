/*
 * test_explore_api.c - the sync.Map API scenarios: the sequential
 * specifications of every method in the linearizability checker (Range's
 * interval rule included), the real gr_syncmap clean on hand-written and
 * seeded scenarios, and sync.Maps broken on purpose (broken_syncmap.c)
 * caught by the oracles, with the failure replayed.
 */
#include <stdio.h>
#include <string.h>

#include "broken_syncmap.h"
#include "georace/explore.h"
#include "georace/linear.h"
#include "gr_test.h"

const char *__tsan_default_options(void);
const char *
__tsan_default_options(void)
{
    return "report_thread_leaks=0"; /* a failing run _exits with its threads */
}

static gr_explore_result res;

static int
explore(const char *variant, enum gr_explore_strategy s, const char *scenario, unsigned nrandom,
        uint64_t max)
{
    gr_explore_config cfg;
    char err[512];
    gr_explore_config_default(&cfg);
    cfg.variant = variant;
    cfg.strategy = s;
    cfg.scenario = scenario;
    cfg.random_scenarios = nrandom;
    cfg.max_schedules = max;
    int rc = gr_explore_run(&cfg, &res, err, sizeof err);
    if (rc)
        fprintf(stderr, "explore: %s\n", err);
    return rc;
}

/* ---- the checker alone ---- */

static gr_lin_op
op(unsigned thread, int kind, unsigned key, const char *val, bool hit, uint64_t inv, uint64_t resp)
{
    gr_lin_op o;
    memset(&o, 0, sizeof o);
    gr_ip_from_v4(0x0a000001u + key, &o.key);
    o.thread = thread;
    o.kind = (uint8_t)kind;
    o.hit = hit;
    o.value = val ? (uint16_t)(val[0] << 8 | val[1]) : 0;
    o.inv = inv;
    o.resp = resp;
    o.pending = resp == 0;
    return o;
}

static uint16_t
cc(const char *c)
{
    return (uint16_t)(c[0] << 8 | c[1]);
}

static bool
linearizable(const gr_lin_op *h, size_t n)
{
    gr_lin_report r;
    CU_ASSERT_EQUAL_FATAL(gr_lin_check(h, n, &r), 0);
    return r.ok;
}

static void
test_checker_range_must_visit_a_stable_present_key(void)
{
    /* k0 = US before, during and after the Range, untouched: not visiting it is wrong */
    gr_lin_op h[] = {op(0, GR_LIN_PUT, 0, "US", false, 1, 2),
                     op(1, GR_LIN_RANGE, 0, NULL, false, 3, 6),
                     op(0, GR_LIN_GET, 0, "US", true, 4, 5)};
    CU_ASSERT_FALSE(linearizable(h, 3));
    /* visiting it with its value is right */
    h[1] = op(1, GR_LIN_RANGE, 0, "US", true, 3, 6);
    CU_ASSERT_TRUE(linearizable(h, 3));
    /* a Store inside the call (of any value) lets the Range skip the key */
    h[1] = op(1, GR_LIN_RANGE, 0, NULL, false, 3, 6);
    h[2] = op(0, GR_LIN_PUT, 0, "US", false, 4, 5);
    CU_ASSERT_TRUE(linearizable(h, 3));
    /* so does a Delete inside the call, and the Range may then see the old value */
    h[2] = op(0, GR_LIN_DELETE, 0, NULL, false, 4, 5);
    CU_ASSERT_TRUE(linearizable(h, 3));
    h[1] = op(1, GR_LIN_RANGE, 0, "US", true, 3, 6);
    CU_ASSERT_TRUE(linearizable(h, 3));
    /* a store that completed before the Range began does not excuse a skip */
    h[1] = op(1, GR_LIN_RANGE, 0, NULL, false, 3, 6);
    h[2] = op(0, GR_LIN_GET, 0, "US", true, 7, 8);
    CU_ASSERT_FALSE(linearizable(h, 3));
}

static void
test_checker_range_value_must_be_current_inside_the_call(void)
{
    /* DE replaced US before the Range began: visiting US is a stale value */
    gr_lin_op h[] = {op(0, GR_LIN_PUT, 0, "US", false, 1, 2),
                     op(0, GR_LIN_PUT, 0, "DE", false, 3, 4),
                     op(1, GR_LIN_RANGE, 0, "US", true, 5, 6)};
    CU_ASSERT_FALSE(linearizable(h, 3));
    h[1] = op(0, GR_LIN_PUT, 0, "DE", false, 3, 7); /* overlapping: US may still be current */
    CU_ASSERT_TRUE(linearizable(h, 3));
}

static void
test_checker_rejects_two_winning_compare_and_swaps(void)
{
    gr_lin_op h[] = {op(0, GR_LIN_PUT, 0, "US", false, 1, 2),
                     op(0, GR_LIN_CAS, 0, "DE", true, 3, 6),
                     op(1, GR_LIN_CAS, 0, "FR", true, 4, 5)};
    h[1].old = h[2].old = cc("US");
    CU_ASSERT_FALSE(linearizable(h, 3));
    h[2].hit = false; /* one wins, the other sees DE */
    CU_ASSERT_TRUE(linearizable(h, 3));
    h[2].old = cc("DE"); /* DE -> FR after the first: both may win */
    h[2].hit = true;
    CU_ASSERT_TRUE(linearizable(h, 3));
    h[2].inv = 7, h[2].resp = 8; /* ... and then FR is what a later CAD finds */
    gr_lin_op g[4];
    memcpy(g, h, sizeof h);
    g[3] = op(1, GR_LIN_CAD, 0, NULL, true, 9, 10);
    g[3].old = cc("FR");
    CU_ASSERT_TRUE(linearizable(g, 4));
    g[3].old = cc("DE");
    CU_ASSERT_FALSE(linearizable(g, 4));
}

static void
test_checker_rejects_two_storing_load_or_stores(void)
{
    gr_lin_op h[] = {op(0, GR_LIN_LOAD_OR_STORE, 0, "US", false, 1, 4),
                     op(1, GR_LIN_LOAD_OR_STORE, 0, "DE", false, 2, 3)};
    h[0].out = cc("US");
    h[1].out = cc("DE");
    CU_ASSERT_FALSE(linearizable(h, 2));
    h[0].hit = true; /* the first loaded what the second stored */
    h[0].out = cc("DE");
    CU_ASSERT_TRUE(linearizable(h, 2));
}

static void
test_checker_swap_and_load_and_delete_report_the_previous_value(void)
{
    gr_lin_op h[] = {op(0, GR_LIN_PUT, 0, "US", false, 1, 2),
                     op(0, GR_LIN_SWAP, 0, "DE", true, 3, 4),
                     op(1, GR_LIN_LOAD_AND_DELETE, 0, "DE", true, 5, 6),
                     op(1, GR_LIN_LOAD_AND_DELETE, 0, NULL, false, 7, 8)};
    h[1].out = cc("US");
    CU_ASSERT_TRUE(linearizable(h, 4));
    h[1].out = cc("FR");
    CU_ASSERT_FALSE(linearizable(h, 4));
    h[1].out = cc("US");
    h[3].hit = true; /* loaded after it was deleted */
    h[3].value = cc("DE");
    CU_ASSERT_FALSE(linearizable(h, 4));
}

/* ---- explored runs ---- */

static void
test_syncmap_api_scenarios_exhausted_at_k1_clean(void)
{
    gr_explore_config cfg;
    char err[512];
    gr_explore_config_default(&cfg);
    cfg.variant = "syncmap";
    cfg.strategy = GR_EXPLORE_DFS;
    cfg.preemptions = 1;
    CU_ASSERT_EQUAL_FATAL(gr_explore_run(&cfg, &res, err, sizeof err), 0);
    CU_ASSERT_TRUE(res.exhausted);
    CU_ASSERT_FALSE(res.found);
    unsigned api = 0;
    for (size_t i = 0; i < res.nscn; i++)
        api += !strcmp(res.scn[i].name, "cas-race") || !strcmp(res.scn[i].name, "ebr-advance") ||
               !strcmp(res.scn[i].name, "range-nested-store");
    CU_ASSERT_EQUAL(api, 3); /* the API scenarios were among them */
}

static void
test_random_api_scenarios_clean_on_syncmap(void)
{
    CU_ASSERT_EQUAL_FATAL(explore("syncmap", GR_EXPLORE_PCT, NULL, 20, 600), 0);
    CU_ASSERT_EQUAL(res.schedules, 600);
    CU_ASSERT_EQUAL(res.nscn, 20);
    CU_ASSERT_EQUAL(res.scn[0].name[0], 'a'); /* sync.Map API scenarios */
    CU_ASSERT_FALSE(res.found);
}

static void
check_caught(const char *name, const char *scenario, enum gr_explore_oracle want)
{
    CU_ASSERT_EQUAL_FATAL(explore(name, GR_EXPLORE_DFS, scenario, 0, 0), 0);
    CU_ASSERT_TRUE_FATAL(res.found);
    CU_ASSERT_EQUAL(res.first.oracle, want);
    gr_explore_finding f;
    char err[512];
    CU_ASSERT_EQUAL_FATAL(gr_explore_replay(res.first.schedule, name, NULL, &f, err, sizeof err),
                          0);
    CU_ASSERT_EQUAL(f.oracle, want);
    CU_ASSERT_STRING_EQUAL(f.message, res.first.message);
}

static void
test_cas_that_checks_then_acts_is_not_linearizable(void)
{
    check_caught("cas-check-then-act", "cas-race", GR_ORACLE_LINEARIZABILITY);
    CU_ASSERT_TRUE(res.first.preemptions > 0); /* only an interleaving exposes it */
    CU_ASSERT_PTR_NOT_NULL(strstr(res.first.message, "cas("));
}

static void
test_load_or_store_that_stores_twice_is_not_linearizable(void)
{
    check_caught("los-stores-twice", "los-race", GR_ORACLE_LINEARIZABILITY);
    CU_ASSERT_TRUE(res.first.preemptions > 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(res.first.message, "load-or-store("));
}

static void
test_range_that_visits_a_key_twice_is_caught(void)
{
    check_caught("range-twice", "range-nested-store", GR_ORACLE_LINEARIZABILITY);
    CU_ASSERT_PTR_NOT_NULL(strstr(res.first.message, "twice"));
}

static void
test_random_api_scenarios_catch_cas_that_checks_then_acts(void)
{
    CU_ASSERT_EQUAL_FATAL(explore("cas-check-then-act", GR_EXPLORE_PCT, NULL, 20, 2000), 0);
    CU_ASSERT_TRUE_FATAL(res.found);
    CU_ASSERT_EQUAL(res.first.oracle, GR_ORACLE_LINEARIZABILITY);
}

static void
test_api_scenario_refused_on_a_cache_variant(void)
{
    CU_ASSERT_EQUAL(explore("mutex", GR_EXPLORE_DFS, "cas-race", 0, 0), GR_EXPLORE_EARG);
    CU_ASSERT_EQUAL(explore("cas-check-then-act", GR_EXPLORE_DFS, "writers", 0, 0),
                    GR_EXPLORE_EARG);
}

static int
setup(void)
{
    return gr_explore_register_map("cas-check-then-act", &bsm_cas_check_then_act) ||
           gr_explore_register_map("los-stores-twice", &bsm_los_stores_twice) ||
           gr_explore_register_map("range-twice", &bsm_range_twice);
}

static CU_TestInfo tests[] = {
    GR_TEST(test_checker_range_must_visit_a_stable_present_key),
    GR_TEST(test_checker_range_value_must_be_current_inside_the_call),
    GR_TEST(test_checker_rejects_two_winning_compare_and_swaps),
    GR_TEST(test_checker_rejects_two_storing_load_or_stores),
    GR_TEST(test_checker_swap_and_load_and_delete_report_the_previous_value),
    GR_TEST(test_syncmap_api_scenarios_exhausted_at_k1_clean),
    GR_TEST(test_random_api_scenarios_clean_on_syncmap),
    GR_TEST(test_cas_that_checks_then_acts_is_not_linearizable),
    GR_TEST(test_load_or_store_that_stores_twice_is_not_linearizable),
    GR_TEST(test_range_that_visits_a_key_twice_is_caught),
    GR_TEST(test_random_api_scenarios_catch_cas_that_checks_then_acts),
    GR_TEST(test_api_scenario_refused_on_a_cache_variant),
    CU_TEST_INFO_NULL};

GR_TEST_MAIN("explore-syncmap-api", tests, setup, NULL)
