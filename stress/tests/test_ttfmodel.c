/*
 * test_ttfmodel.c - the time-to-failure model: the fit recovers known
 * parameters from synthetic measurements drawn from the model itself; the
 * traffic arithmetic, the prediction for Zoraxy and the held-out error match
 * hand-computed cases.
 */
#include <math.h>
#include <string.h>

#include "georace/gomodel.h"
#include "georace/measure.h"
#include "georace/traffic.h"
#include "georace/ttfmodel.h"
#include "gr_test.h"

static gr_ttf_point
synth(const gr_ttf_model *truth, double write_s, double access_s, double pair_s, double window_s,
      double miss_cost_s, bool holdout)
{
    gr_ttf_point p;
    memset(&p, 0, sizeof p);
    p.write_s = write_s;
    p.access_s = access_s;
    p.pair_s = pair_s;
    p.window_s = window_s;
    p.miss_cost_ns = (uint64_t)(miss_cost_s * 1e9);
    p.exposure_s = 1000;
    /* expected count, rounded: large enough that rounding is noise */
    p.failures = (uint64_t)llround(gr_ttf_point_hazard(truth, &p) * p.exposure_s);
    p.holdout = holdout;
    return p;
}

static void
fit_recovers_parameters_of_synthetic_data(void)
{
    gr_ttf_model truth = {.k_bg = 3.0, .k_p = 500, .d0_s = 20e-6, .sigma = 0.5};
    gr_ttf_point pts[16];
    size_t n = 0;
    /* background-only points (no pairs) pin k_bg */
    pts[n++] = synth(&truth, 1e6, 2e6, 0, 2e-6, 0, false);
    pts[n++] = synth(&truth, 5e5, 1e6, 0, 10e-6, 0, false);
    pts[n++] = synth(&truth, 2e6, 3e6, 0, 1e-6, 0, false);
    /* few other accesses: interruptions (k_p) dominate */
    pts[n++] = synth(&truth, 1e4, 10, 0, 10e-6, 0, false);
    pts[n++] = synth(&truth, 5e4, 1, 0, 5e-6, 0, false);
    /* bursts without miss cost pin d0 */
    pts[n++] = synth(&truth, 1e3, 1e3, 1e5, 2e-6, 0, false);
    pts[n++] = synth(&truth, 1e3, 1e3, 5e4, 5e-6, 0, false);
    /* with miss cost pin sigma */
    pts[n++] = synth(&truth, 1e3, 1e3, 1e6, 2e-6, 1e-3, false);
    pts[n++] = synth(&truth, 1e3, 1e3, 2e6, 5e-6, 3e-4, false);
    pts[n++] = synth(&truth, 1e3, 1e3, 1e6, 10e-6, 1e-4, true);
    gr_ttf_model m;
    memset(&m, 0, sizeof m);
    CU_ASSERT_EQUAL_FATAL(gr_ttf_fit(pts, n, &m), 0);
    CU_ASSERT_EQUAL(m.n_fit, 9);
    CU_ASSERT(fabs(log10(m.k_bg / truth.k_bg)) < 0.05);
    CU_ASSERT(fabs(log10(m.k_p / truth.k_p)) < 0.05);
    CU_ASSERT(fabs(log10(m.d0_s / truth.d0_s)) < 0.05);
    CU_ASSERT(fabs(log10(m.sigma / truth.sigma)) < 0.05);
    CU_ASSERT(m.rms_log10 < 0.05);
    /* and predicts the held-out point */
    double meas = gr_ttf_measured(&pts[n - 1]), pred = gr_ttf_point_hazard(&m, &pts[n - 1]);
    CU_ASSERT(meas > 0);
    CU_ASSERT(fabs(log10(pred / meas)) < 0.05);
}

static void
fit_needs_two_points(void)
{
    gr_ttf_point p;
    memset(&p, 0, sizeof p);
    p.exposure_s = 1;
    gr_ttf_model m;
    memset(&m, 0, sizeof m);
    CU_ASSERT_EQUAL(gr_ttf_fit(&p, 1, &m), -1);
}

/* A point whose trials all died before any rate was counted has failures
 * and zero covariates: no parameters explain it, and the fit says so
 * rather than returning a model of zeros. */
static void
fit_refuses_a_point_with_failures_and_no_rates(void)
{
    gr_ttf_model truth = {.k_bg = 1e-3, .k_p = 0, .d0_s = 1e-3, .sigma = 0};
    gr_ttf_point pts[3] = {synth(&truth, 100, 50, 0, 1e-6, 0, false),
                           synth(&truth, 400, 200, 0, 1e-6, 0, false)};
    gr_ttf_model m;
    memset(&m, 0, sizeof m);
    CU_ASSERT_EQUAL(gr_ttf_fit(pts, 2, &m), 0);
    memset(&pts[2], 0, sizeof pts[2]);
    pts[2].window_s = 1e-6;
    pts[2].failures = 15;
    pts[2].exposure_s = 0.5;
    CU_ASSERT_EQUAL(gr_ttf_fit(pts, 3, &m), -1);
    pts[2].holdout = true; /* not fitted: no harm */
    CU_ASSERT_EQUAL(gr_ttf_fit(pts, 3, &m), 0);
}

static void
hazard_is_linear_in_the_window_and_median_is_ln2_over_hazard(void)
{
    gr_ttf_model m = {.k_bg = 1, .k_p = 0, .d0_s = 1e-3, .sigma = 0};
    double h1 = gr_ttf_hazard(&m, 10, 100, 30, 1e-6, 0);
    double h2 = gr_ttf_hazard(&m, 10, 100, 30, 2e-6, 0);
    CU_ASSERT_DOUBLE_EQUAL(h2, 2 * h1, 1e-15);
    /* 1e-6 * (10*100 + 30/1e-3) = 1e-6 * 31000 */
    CU_ASSERT_DOUBLE_EQUAL(h1, 0.031, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(gr_ttf_median(h1), log(2) / 0.031, 1e-9);
    CU_ASSERT(isinf(gr_ttf_median(0)));
}

/* 60 req/s in page views of 6 requests from new visitors only, a 30 ms
 * miss and a 2 ms arrival spread: the traffic two tests below reason on. */
static gr_ttf_traffic
new_visitor_bursts(void)
{
    return (gr_ttf_traffic){.req_s = 60,
                            .requests_per_event = 6,
                            .pageview_share = 1,
                            .new_share = 1,
                            .burst = 6,
                            .population = 10,
                            .zipf_s = 1,
                            .clear_s = 900,
                            .miss_cost_s = 0.03,
                            .arrival_s = 0.002};
}

static void
traffic_of_new_visitor_bursts_counts_pairs(void)
{
    /* 60 req/s, bursts of 6, all new visitors: 10 page views/s; the miss
     * cost exceeds the arrival spread, so all 6 miss: 60 writes/s and
     * 10 * 6 * 5 = 300 pairs/s */
    gr_ttf_traffic t = new_visitor_bursts();
    double w, a, p;
    gr_ttf_traffic_rates(&t, &w, &a, &p);
    CU_ASSERT_DOUBLE_EQUAL(w, 60, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(p, 300, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(a, 120, 1e-9);
    /* a fast miss: only the first request misses, no pairs */
    t.miss_cost_s = 0;
    gr_ttf_traffic_rates(&t, &w, &a, &p);
    CU_ASSERT_DOUBLE_EQUAL(w, 10, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(p, 0, 1e-12);
}

static void
traffic_of_returning_visitors_misses_once_per_clear(void)
{
    /* one returning visitor, 1 page view/s of 1 request, clear every 100 s:
     * it misses once per clear interval, i.e. 1/100 of its page views */
    gr_ttf_traffic t = {.req_s = 1,
                        .requests_per_event = 1,
                        .pageview_share = 1,
                        .new_share = 0,
                        .burst = 1,
                        .population = 1,
                        .zipf_s = 0,
                        .clear_s = 100,
                        .miss_cost_s = 0.03,
                        .arrival_s = 0.002};
    double w, a, p;
    gr_ttf_traffic_rates(&t, &w, &a, &p);
    CU_ASSERT_DOUBLE_EQUAL(w, (1 - exp(-100.0)) / 100, 1e-9);
    t.clear_s = 0; /* never cleared: never misses again */
    gr_ttf_traffic_rates(&t, &w, &a, &p);
    CU_ASSERT_DOUBLE_EQUAL(w, 0, 1e-12);
}

static void
prediction_spreads_a_burst_over_the_network_arrival_not_the_fitted_d0(void)
{
    /* the new-visitor bursts above: 60 writes/s, 300 pairs/s, 120 accesses/s;
     * only the burst term (k_bg = k_p = 0) with sigma 0.5 and a fitted d0 of
     * a whole second that the prediction must replace by the 2 ms arrival */
    gr_ttf_model m = {.k_bg = 0, .k_p = 0, .d0_s = 1.0, .sigma = 0.5};
    gr_ttf_traffic t = new_visitor_bursts();
    gr_ttf_prediction pr;
    gr_ttf_predict(&m, &t, 50e-9, &pr);
    CU_ASSERT_DOUBLE_EQUAL(pr.write_s, 60, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(pr.access_s, 120, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(pr.pair_s, 300, 1e-9);
    double want = 50e-9 * 300 / (0.002 + 0.5 * 0.03);
    CU_ASSERT_DOUBLE_EQUAL(pr.hazard, want, want * 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(pr.median_s, log(2) / want, 1e-6);
    CU_ASSERT_DOUBLE_EQUAL(m.d0_s, 1.0, 0); /* the model itself is left alone */
    /* no traffic: no hazard, never fails */
    t.req_s = 0;
    gr_ttf_predict(&m, &t, 50e-9, &pr);
    CU_ASSERT_DOUBLE_EQUAL(pr.hazard, 0, 0);
    CU_ASSERT(isinf(pr.median_s));
}

static void
traffic_of_a_profile_takes_its_shares_burst_and_population(void)
{
    gr_profile p;
    gr_profile_default(&p);
    p.scanner_share = 0.1;
    p.spray_share = 0.05;
    p.reserved_share = 0.05;
    p.new_visitor_share = 0.3;
    p.burst_mean = 6;
    p.population = 500;
    p.zipf_s = 1.2;
    gr_ttf_traffic t;
    gr_ttf_traffic_of_profile(&p, 24, &t);
    CU_ASSERT_DOUBLE_EQUAL(t.req_s, 24, 0);
    /* 20% single-request events, 80% page views of 6 */
    CU_ASSERT_DOUBLE_EQUAL(t.requests_per_event, 0.2 + 0.8 * 6, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(t.pageview_share, 0.8, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(t.new_share, 0.3, 0);
    CU_ASSERT_DOUBLE_EQUAL(t.scanner_share, 0.1, 0);
    CU_ASSERT_DOUBLE_EQUAL(t.reserved_share, 0.05, 0);
    CU_ASSERT_DOUBLE_EQUAL(t.burst, 6, 0);
    CU_ASSERT_EQUAL(t.population, 500);
    CU_ASSERT_DOUBLE_EQUAL(t.zipf_s, 1.2, 0);
    /* the cache and the network are the caller's */
    CU_ASSERT_DOUBLE_EQUAL(t.clear_s, 0, 0);
    CU_ASSERT_DOUBLE_EQUAL(t.miss_cost_s, 0, 0);
    CU_ASSERT_DOUBLE_EQUAL(t.arrival_s, 0, 0);
}

static void
heldout_error_averages_only_held_out_points_with_failures(void)
{
    /* hazard = window * k_p * writes = 1e-3 * 100 * 10 = 1 failure/s */
    gr_ttf_model m = {.k_bg = 0, .k_p = 100, .d0_s = 1, .sigma = 0};
    gr_ttf_point pts[4];
    memset(pts, 0, sizeof pts);
    for (int i = 0; i < 4; i++) {
        pts[i].write_s = 10;
        pts[i].window_s = 1e-3;
        pts[i].exposure_s = 100;
    }
    pts[0].failures = 1000;                         /* fit point, off by x10: not counted */
    pts[1].failures = 10, pts[1].holdout = true;    /* measured 0.1/s: |log10| = 1 */
    pts[2].failures = 10000, pts[2].holdout = true; /* measured 100/s: |log10| = 2 */
    pts[3].failures = 0, pts[3].holdout = true;     /* no failure: not counted */
    int n = -1;
    CU_ASSERT_DOUBLE_EQUAL(gr_ttf_heldout_error(&m, pts, 4, &n), 1.5, 1e-12);
    CU_ASSERT_EQUAL(n, 2);
    CU_ASSERT_DOUBLE_EQUAL(gr_ttf_heldout_error(&m, pts, 1, &n), 0, 0);
    CU_ASSERT_EQUAL(n, 0);
}

/* A measured point's pairs use the generator's burst law: a flood of
 * bursts with mean 6 and cap 6 has E[n (n-1)] < 30 pairs per burst (sizes
 * vary), and a mixed profile divides its page-view writes by E[n]. */
static void
measured_pairs_follow_the_generators_burst_draw(void)
{
    gr_profile p;
    memset(&p, 0, sizeof p);
    p.burst_mean = 6;
    p.burst_max = 6;
    p.new_visitor_share = 1;
    double per = gr_gom_burst_pairs(6, 6);
    CU_ASSERT(per < 29 && per > 15);
    CU_ASSERT_DOUBLE_EQUAL(gr_measure_pairs_per_s(&p, 100, 600), 100 * per, 1e-9);
    /* half the writers per burst: the law at mean 3 */
    CU_ASSERT_DOUBLE_EQUAL(gr_measure_pairs_per_s(&p, 100, 300), 100 * gr_gom_burst_pairs(3, 6),
                           1e-9);
    p.new_visitor_share = 0.5;
    p.scanner_share = 0.2;
    p.burst_mean = 4;
    p.burst_max = 8;
    double en, enn1;
    gr_gom_burst_moments(4, 8, &en, &enn1);
    /* 20 scanner writes of 220; the other 200 in bursts of E[n] */
    CU_ASSERT_DOUBLE_EQUAL(gr_measure_pairs_per_s(&p, 100, 220), 200 / en * enn1, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(gr_measure_pairs_per_s(&p, 100, 10), 0, 0);
}

static CU_TestInfo tests[] = {
    GR_TEST(fit_recovers_parameters_of_synthetic_data),
    GR_TEST(fit_needs_two_points),
    GR_TEST(fit_refuses_a_point_with_failures_and_no_rates),
    GR_TEST(hazard_is_linear_in_the_window_and_median_is_ln2_over_hazard),
    GR_TEST(traffic_of_new_visitor_bursts_counts_pairs),
    GR_TEST(traffic_of_returning_visitors_misses_once_per_clear),
    GR_TEST(prediction_spreads_a_burst_over_the_network_arrival_not_the_fitted_d0),
    GR_TEST(traffic_of_a_profile_takes_its_shares_burst_and_population),
    GR_TEST(heldout_error_averages_only_held_out_points_with_failures),
    GR_TEST(measured_pairs_follow_the_generators_burst_draw),
    GR_TEST_END};

GR_TEST_MAIN("ttfmodel", tests, NULL, NULL)
