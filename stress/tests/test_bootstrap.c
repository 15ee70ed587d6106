/*
 * test_bootstrap.c - the median ratio and its bootstrap interval on
 * samples whose answer is known.
 */
#include <math.h>

#include "georace/bootstrap.h"
#include "gr_test.h"

static void
median_ratio_of_a_sample_and_its_double_is_two(void)
{
    gr_km_obs a[9], b[9];
    for (int i = 0; i < 9; i++) {
        b[i] = (gr_km_obs){1.0 + i, true};
        a[i] = (gr_km_obs){2.0 * (1.0 + i), true};
    }
    gr_boot_ratio r;
    CU_ASSERT_EQUAL(gr_boot_median_ratio(a, 9, b, 9, 1000, 0.95, 7, &r), 0);
    CU_ASSERT_DOUBLE_EQUAL(r.ratio, 2.0, 1e-12); /* medians 10 and 5 */
    CU_ASSERT(r.lo <= 2.0 && r.hi >= 2.0);
    CU_ASSERT(r.lo > 0.5 && r.hi < 8.0);
    CU_ASSERT_EQUAL(r.resamples, 1000);
    CU_ASSERT_EQUAL(r.undetermined, 0);
}

static void
identical_constant_samples_give_a_degenerate_interval_at_one(void)
{
    gr_km_obs a[5], b[5];
    for (int i = 0; i < 5; i++)
        a[i] = b[i] = (gr_km_obs){3.0, true};
    gr_boot_ratio r;
    CU_ASSERT_EQUAL(gr_boot_median_ratio(a, 5, b, 5, 200, 0.9, 1, &r), 0);
    CU_ASSERT_DOUBLE_EQUAL(r.ratio, 1.0, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(r.lo, 1.0, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(r.hi, 1.0, 1e-12);
}

static void
separated_samples_exclude_one_from_the_interval(void)
{
    gr_km_obs a[20], b[20];
    for (int i = 0; i < 20; i++) {
        a[i] = (gr_km_obs){10.0 + i * 0.1, true};
        b[i] = (gr_km_obs){1.0 + i * 0.01, true};
    }
    gr_boot_ratio r;
    CU_ASSERT_EQUAL(gr_boot_median_ratio(a, 20, b, 20, 500, 0.95, 3, &r), 0);
    CU_ASSERT(r.lo > 5.0);
    CU_ASSERT(r.hi < 15.0);
}

static void
a_side_that_mostly_survives_has_no_ratio_and_an_open_interval(void)
{
    /* A: 1 failure in 4 (S never reaches 0.5): median not reached */
    gr_km_obs a[] = {{1, true}, {10, false}, {10, false}, {10, false}};
    gr_km_obs b[] = {{1, true}, {2, true}, {3, true}};
    gr_boot_ratio r;
    CU_ASSERT_EQUAL(gr_boot_median_ratio(a, 4, b, 3, 300, 0.95, 5, &r), 0);
    CU_ASSERT_EQUAL(r.ratio, -1);
    CU_ASSERT(isinf(r.hi));
    CU_ASSERT_DOUBLE_EQUAL(gr_boot_km_median(a, 4), -1, 0);
}

static void
the_same_seed_gives_the_same_interval(void)
{
    gr_km_obs a[] = {{0.3, true}, {0.1, true}, {0.7, true}, {0.2, true}, {1.5, true}};
    gr_km_obs b[] = {{0.05, true}, {0.02, true}, {0.4, true}, {0.01, true}};
    gr_boot_ratio r1, r2, r3;
    CU_ASSERT_EQUAL(gr_boot_median_ratio(a, 5, b, 4, 400, 0.95, 11, &r1), 0);
    CU_ASSERT_EQUAL(gr_boot_median_ratio(a, 5, b, 4, 400, 0.95, 11, &r2), 0);
    CU_ASSERT_EQUAL(gr_boot_median_ratio(a, 5, b, 4, 400, 0.95, 12, &r3), 0);
    CU_ASSERT_DOUBLE_EQUAL(r1.lo, r2.lo, 0);
    CU_ASSERT_DOUBLE_EQUAL(r1.hi, r2.hi, 0);
    CU_ASSERT(r1.lo <= r1.ratio && r1.ratio <= r1.hi);
    (void)r3;
}

static void
an_empty_side_is_refused(void)
{
    gr_km_obs a[] = {{1, true}};
    gr_boot_ratio r;
    CU_ASSERT_EQUAL(gr_boot_median_ratio(a, 1, a, 0, 10, 0.95, 1, &r), -1);
}

/* 40 exponential times of mean 10 (median 6.93) drawn by inversion on a
 * fixed grid: the interval of the KM median holds it; with most trials
 * censored early the median is not reached and the interval is open. */
static void
km_median_interval_holds_the_median_and_opens_when_not_reached(void)
{
    gr_km_obs obs[40];
    for (int i = 0; i < 40; i++)
        obs[i] = (gr_km_obs){-10 * log(1 - (i + 0.5) / 40), true};
    double med, lo, hi;
    CU_ASSERT_EQUAL_FATAL(gr_boot_km_median_interval(obs, 40, 500, 0.95, 3, &med, &lo, &hi), 0);
    CU_ASSERT(fabs(med - 10 * log(2)) < 0.5);
    CU_ASSERT(lo < med && med < hi);
    CU_ASSERT(lo > 3 && hi < 15);
    /* three failures early, the rest censored at 1: S never reaches 1/2 */
    for (int i = 3; i < 40; i++)
        obs[i] = (gr_km_obs){1, false};
    CU_ASSERT_EQUAL(gr_boot_km_median_interval(obs, 40, 200, 0.95, 3, &med, &lo, &hi), 0);
    CU_ASSERT_DOUBLE_EQUAL(med, -1, 0);
    CU_ASSERT(isinf(hi));
    CU_ASSERT_EQUAL(gr_boot_km_median_interval(obs, 0, 200, 0.95, 3, &med, &lo, &hi), -1);
}

static CU_TestInfo tests[] = {
    GR_TEST(km_median_interval_holds_the_median_and_opens_when_not_reached),
    GR_TEST(median_ratio_of_a_sample_and_its_double_is_two),
    GR_TEST(identical_constant_samples_give_a_degenerate_interval_at_one),
    GR_TEST(separated_samples_exclude_one_from_the_interval),
    GR_TEST(a_side_that_mostly_survives_has_no_ratio_and_an_open_interval),
    GR_TEST(the_same_seed_gives_the_same_interval),
    GR_TEST(an_empty_side_is_refused),
    GR_TEST_END};

GR_TEST_MAIN("bootstrap", tests, NULL, NULL)
