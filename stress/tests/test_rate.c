/*
 * test_rate.c - the smoothed request rates of rate.h: the moving average
 * of the progress line follows time, not the number of samples, and the
 * chart's trailing mean is the rate over its window.
 */
#include <math.h>

#include "georace/rate.h"
#include "gr_test.h"

static void
ewma_starts_at_the_first_interval_and_weighs_by_time(void)
{
    gr_rate_ewma e;
    gr_rate_ewma_init(&e, 5);
    CU_ASSERT_DOUBLE_EQUAL(gr_rate_ewma_add(&e, 24, 0.25), 24, 0);
    /* one 5 s interval at 0 moves it by 1 - 1/e of the way ... */
    double one = gr_rate_ewma_add(&e, 0, 5);
    CU_ASSERT_DOUBLE_EQUAL(one, 24 * exp(-1), 1e-12);
    /* ... exactly as twenty 250 ms intervals at 0 do */
    gr_rate_ewma f;
    gr_rate_ewma_init(&f, 5);
    gr_rate_ewma_add(&f, 24, 0.25);
    for (int i = 0; i < 20; i++)
        gr_rate_ewma_add(&f, 0, 0.25);
    CU_ASSERT_DOUBLE_EQUAL(f.value, one, 1e-9);
    /* an interval of no length changes nothing */
    CU_ASSERT_DOUBLE_EQUAL(gr_rate_ewma_add(&e, 1000, 0), one, 0);
}

static void
ewma_of_a_bursty_steady_rate_stays_near_its_mean(void)
{
    /* 24 req/s arriving as one burst of 24 every second, sampled every
     * 250 ms: the samples read 96, 0, 0, 0; after a minute the average is
     * within a fifth of 24 at every sample, where a sample alone is 0 or 96 */
    gr_rate_ewma e;
    gr_rate_ewma_init(&e, 5);
    double lo = 1e9, hi = 0;
    for (int i = 0; i < 480; i++) {
        double v = gr_rate_ewma_add(&e, i % 4 == 0 ? 96 : 0, 0.25);
        if (i >= 240)
            lo = fmin(lo, v), hi = fmax(hi, v);
    }
    CU_ASSERT(lo > 24 * 0.8);
    CU_ASSERT(hi < 24 * 1.2);
}

static void
trailing_mean_is_the_rate_over_the_window(void)
{
    /* samples every 0.5 s at 10, 20, 30, 40, 50, 60 req/s */
    double t[] = {0.5, 1, 1.5, 2, 2.5, 3}, rate[] = {10, 20, 30, 40, 50, 60}, out[6];
    gr_rate_trailing_mean(t, rate, 6, 1, out);
    CU_ASSERT_DOUBLE_EQUAL(out[0], 10, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(out[1], 15, 1e-12); /* (0, 1]: 10 and 20 */
    CU_ASSERT_DOUBLE_EQUAL(out[2], 25, 1e-12); /* (0.5, 1.5]: 20 and 30 */
    CU_ASSERT_DOUBLE_EQUAL(out[5], 55, 1e-12);
    /* a window longer than the run: the mean so far */
    gr_rate_trailing_mean(t, rate, 6, 100, out);
    CU_ASSERT_DOUBLE_EQUAL(out[5], 35, 1e-12);
}

static void
trailing_mean_weighs_each_sample_by_its_interval(void)
{
    /* 1 s at 100 req/s, then four 250 ms samples at 0: over 2 s, 50 req/s */
    double t[] = {1, 1.25, 1.5, 1.75, 2}, rate[] = {100, 0, 0, 0, 0}, out[5];
    gr_rate_trailing_mean(t, rate, 5, 2, out);
    CU_ASSERT_DOUBLE_EQUAL(out[4], 50, 1e-12);
    /* samples of no length alone in their window: their own rate */
    double t0[] = {0, 0}, r0[] = {7, 9}, o0[2];
    gr_rate_trailing_mean(t0, r0, 2, 1, o0);
    CU_ASSERT_DOUBLE_EQUAL(o0[0], 7, 0);
    CU_ASSERT_DOUBLE_EQUAL(o0[1], 9, 0);
}

static CU_TestInfo tests[] = {GR_TEST(ewma_starts_at_the_first_interval_and_weighs_by_time),
                              GR_TEST(ewma_of_a_bursty_steady_rate_stays_near_its_mean),
                              GR_TEST(trailing_mean_is_the_rate_over_the_window),
                              GR_TEST(trailing_mean_weighs_each_sample_by_its_interval),
                              GR_TEST_END};

GR_TEST_MAIN("rate", tests, NULL, NULL)
