/*
 * test_survival.c - Kaplan-Meier against values worked out by hand.
 */
#include <math.h>

#include "georace/survival.h"
#include "gr_test.h"

static void
km_without_censoring_is_the_empirical_survival(void)
{
    gr_km_obs obs[] = {{3, true}, {1, true}, {2, true}, {4, true}};
    gr_km_point pts[5];
    size_t n = gr_km_estimate(obs, 4, pts);
    CU_ASSERT_EQUAL(n, 5);
    CU_ASSERT_DOUBLE_EQUAL(pts[0].s, 1.0, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(pts[1].t, 1.0, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(pts[1].s, 0.75, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(pts[2].s, 0.5, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(pts[4].s, 0.0, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(gr_km_median(pts, n), 2.0, 1e-12);
}

static void
km_censored_trials_leave_the_risk_set(void)
{
    /* failures at 1 and 3, censored at 2 and 4:
     * S(1) = 3/4, S(3) = 3/4 * (1 - 1/2) = 3/8, censoring keeps S flat. */
    gr_km_obs obs[] = {{4, false}, {2, false}, {3, true}, {1, true}};
    gr_km_point pts[5];
    size_t n = gr_km_estimate(obs, 4, pts);
    CU_ASSERT_EQUAL(n, 5);
    CU_ASSERT_DOUBLE_EQUAL(pts[1].s, 0.75, 1e-12);
    CU_ASSERT_EQUAL(pts[2].events, 0);
    CU_ASSERT_EQUAL(pts[2].censored, 1);
    CU_ASSERT_DOUBLE_EQUAL(pts[2].s, 0.75, 1e-12);
    CU_ASSERT_EQUAL(pts[3].at_risk, 2);
    CU_ASSERT_DOUBLE_EQUAL(pts[3].s, 0.375, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(gr_km_median(pts, n), 3.0, 1e-12);
}

static void
km_ties_count_failures_before_censoring(void)
{
    gr_km_obs obs[] = {{2, false}, {2, true}, {5, true}};
    gr_km_point pts[4];
    size_t n = gr_km_estimate(obs, 3, pts);
    CU_ASSERT_EQUAL(n, 3);
    CU_ASSERT_EQUAL(pts[1].at_risk, 3);
    CU_ASSERT_EQUAL(pts[1].censored, 1);
    CU_ASSERT_DOUBLE_EQUAL(pts[1].s, 2.0 / 3.0, 1e-12);
    CU_ASSERT_EQUAL(pts[2].at_risk, 1);
    CU_ASSERT_DOUBLE_EQUAL(pts[2].s, 0.0, 1e-12);
}

static void
km_median_is_unknown_when_most_trials_survive(void)
{
    gr_km_obs obs[] = {{1, true}, {10, false}, {10, false}, {10, false}};
    gr_km_point pts[5];
    size_t n = gr_km_estimate(obs, 4, pts);
    CU_ASSERT_DOUBLE_EQUAL(pts[1].s, 0.75, 1e-12);
    CU_ASSERT_EQUAL(gr_km_median(pts, n), -1);
}

static CU_TestInfo tests[] = {GR_TEST(km_without_censoring_is_the_empirical_survival),
                              GR_TEST(km_censored_trials_leave_the_risk_set),
                              GR_TEST(km_ties_count_failures_before_censoring),
                              GR_TEST(km_median_is_unknown_when_most_trials_survive), GR_TEST_END};

GR_TEST_MAIN("survival", tests, NULL, NULL)
