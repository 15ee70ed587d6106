/*
 * test_gomodel.c - the Go-calibrated time-to-failure model: the concurrency
 * probability and burst moments match hand-computed values; the fit
 * recovers known parameters (free cores and GOMAXPROCS among the inputs)
 * from synthetic points drawn from the model itself; the bootstrap interval
 * of a predicted median, from synthetic exponential trials, contains the
 * true median and is reproducible for a seed.
 */
#include <math.h>
#include <string.h>

#include "georace/gomodel.h"
#include "georace/poisfit.h"
#include "gr_test.h"

static void
concurrency_is_one_idle_a_third_with_one_core_busy_zero_with_one_proc(void)
{
    CU_ASSERT_DOUBLE_EQUAL(gr_gom_concurrency(2, 2, 2), 1, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(gr_gom_concurrency(1, 2, 2), 1.0 / 3, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(gr_gom_concurrency(0, 2, 2), 1.0 / 6, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(gr_gom_concurrency(2, 1, 2), 0, 0);
    CU_ASSERT_DOUBLE_EQUAL(gr_gom_concurrency(1, 2, 1), 0, 0);
    CU_ASSERT_DOUBLE_EQUAL(gr_gom_concurrency(-1, 2, 2), 1, 1e-12); /* unknown: idle */
    /* 4 CPUs, 3 free: B = 1, 4*3/(3*2) > 1: both run */
    CU_ASSERT_DOUBLE_EQUAL(gr_gom_concurrency(3, 4, 4), 1, 1e-12);
    /* monotone in the free cores */
    CU_ASSERT(gr_gom_concurrency(1.5, 2, 2) > gr_gom_concurrency(1.2, 2, 2));
}

static void
burst_moments_follow_the_capped_poisson_draw(void)
{
    double en, enn1;
    gr_gom_burst_moments(1, 16, &en, &enn1);
    CU_ASSERT_DOUBLE_EQUAL(en, 1, 0);
    CU_ASSERT_DOUBLE_EQUAL(enn1, 0, 0);
    /* n = min(1 + Poisson(1), 2): 1 with e^-1, else 2 */
    gr_gom_burst_moments(2, 2, &en, &enn1);
    CU_ASSERT_DOUBLE_EQUAL(en, exp(-1) + 2 * (1 - exp(-1)), 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(enn1, 2 * (1 - exp(-1)), 1e-12);
    /* no cap in reach: E[(K+1)K] = lambda^2 + 2 lambda */
    gr_gom_burst_moments(6, 60, &en, &enn1);
    CU_ASSERT_DOUBLE_EQUAL(en, 6, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(enn1, 35, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(gr_gom_burst_pairs(6, 60), 35, 1e-9);
}

static gr_gom_point
synth(const gr_gom_model *truth, double w, double a, double p, double c, unsigned g, double f,
      bool holdout)
{
    gr_gom_point pt;
    memset(&pt, 0, sizeof pt);
    pt.write_s = w;
    pt.access_s = a;
    pt.pair_s = p;
    pt.miss_cost_ns = (uint64_t)(c * 1e9);
    pt.gomaxprocs = g;
    pt.cpus = 2;
    pt.free_cores = f;
    pt.exposure_s = 1e4;
    pt.failures = (uint64_t)llround(gr_gom_point_hazard(truth, &pt) * pt.exposure_s);
    pt.holdout = holdout;
    return pt;
}

/* rho and alpha on the fit's grids (10^(8/8) = 10 per second, alpha 2) */
static const gr_gom_model truth = {.a = 2e-5, .b = 3e-3, .rho = 10, .k = 4e-3, .alpha = 2};

static size_t
synth_points(gr_gom_point *pts)
{
    size_t n = 0;
    /* idle: background and burst terms, over rate and miss cost */
    pts[n++] = synth(&truth, 100, 600, 0, 1e-4, 2, 2, false);
    pts[n++] = synth(&truth, 500, 3000, 0, 1e-4, 2, 2, false);
    pts[n++] = synth(&truth, 100, 600, 2000, 1e-4, 2, 2, false);
    pts[n++] = synth(&truth, 100, 600, 2000, 1e-2, 2, 2, false);
    pts[n++] = synth(&truth, 20, 120, 400, 5e-2, 2, 2, false);
    pts[n++] = synth(&truth, 100, 600, 2000, 1e-3, 2, 2, true);
    /* busy cores: the concurrency exponent and the preemption term */
    pts[n++] = synth(&truth, 100, 600, 2000, 1e-4, 2, 1, false);
    pts[n++] = synth(&truth, 500, 3000, 0, 1e-4, 2, 0.5, false);
    pts[n++] = synth(&truth, 100, 600, 2000, 1e-3, 2, 0.2, false);
    pts[n++] = synth(&truth, 300, 1800, 6000, 1e-3, 2, 1, true);
    /* one P: no failure at all, whatever the load */
    pts[n++] = synth(&truth, 100, 600, 2000, 1e-4, 1, 2, false);
    return n;
}

static void
fit_recovers_parameters_of_synthetic_go_data(void)
{
    gr_gom_point pts[16];
    size_t n = synth_points(pts);
    CU_ASSERT_EQUAL(pts[n - 1].failures, 0);
    gr_gom_model m;
    CU_ASSERT_EQUAL_FATAL(gr_gom_fit(pts, n, &m), 0);
    CU_ASSERT_EQUAL(m.n_fit, 9);
    CU_ASSERT(fabs(log10(m.a / truth.a)) < 0.05);
    CU_ASSERT(fabs(log10(m.b / truth.b)) < 0.05);
    CU_ASSERT(fabs(log10(m.k / truth.k)) < 0.05);
    CU_ASSERT(fabs(log10(m.rho / truth.rho)) < 0.01);
    CU_ASSERT_DOUBLE_EQUAL(m.alpha, truth.alpha, 0);
    CU_ASSERT(m.rms_log10 < 0.02);
    int held_n;
    double held = gr_gom_heldout_error(&m, pts, n, &held_n);
    CU_ASSERT_EQUAL(held_n, 2);
    CU_ASSERT(held < 0.02);
}

/* Points whose miss walks the CSV get their own pair coefficient; without
 * any, a walk is priced as a spin of the same length. */
static void
fit_recovers_the_scan_pair_coefficient_and_falls_back_to_the_spin_one(void)
{
    gr_gom_model t2 = truth;
    t2.b_scan = 4 * truth.b;
    t2.scan_fitted = true;
    gr_gom_point pts[20];
    size_t n = synth_points(pts);
    gr_gom_model m;
    CU_ASSERT_EQUAL_FATAL(gr_gom_fit(pts, n, &m), 0);
    CU_ASSERT(!m.scan_fitted);
    CU_ASSERT_DOUBLE_EQUAL(gr_gom_hazard(&m, 2, 8, 20, 0.03, 1, 2, true),
                           gr_gom_hazard(&m, 2, 8, 20, 0.03, 1, 2, false), 1e-15);
    size_t base = n;
    double w[] = {2, 4, 1.5};
    for (int i = 0; i < 3; i++) {
        pts[n] = synth(&truth, w[i], 6 * w[i], 5 * w[i], 0.045, 2, 2, false);
        pts[n].scan = true;
        pts[n].exposure_s = 1e6;
        pts[n].failures = (uint64_t)llround(gr_gom_point_hazard(&t2, &pts[n]) * 1e6);
        n++;
    }
    CU_ASSERT(pts[base].failures > 100);
    CU_ASSERT_EQUAL_FATAL(gr_gom_fit(pts, n, &m), 0);
    CU_ASSERT(m.scan_fitted);
    CU_ASSERT(fabs(log10(m.b_scan / t2.b_scan)) < 0.05);
    CU_ASSERT(fabs(log10(m.b / truth.b)) < 0.05);
    /* walk points that never failed bound b_scan from above only: the
     * walk is priced as a spin, not as a coefficient of 0 ("never") */
    for (size_t i = base; i < n; i++) {
        pts[i].failures = 0;
        pts[i].exposure_s = 100;
    }
    CU_ASSERT_EQUAL_FATAL(gr_gom_fit(pts, n, &m), 0);
    CU_ASSERT(!m.scan_fitted);
    CU_ASSERT(gr_gom_point_hazard(&m, &pts[base]) > 0);
    CU_ASSERT(fabs(log10(m.b / truth.b)) < 0.05);
}

/* Each point is predicted by the fit on the others: a point whose count
 * is ten times what the truth gives is predicted near the truth (it was
 * left out), while an in-sample fit is pulled toward it. */
static void
leave_one_out_predicts_each_point_without_it(void)
{
    gr_gom_point pts[16];
    size_t n = synth_points(pts);
    double loo[16];
    /* exact data: every point, held out or not, is predicted by the others */
    CU_ASSERT_EQUAL_FATAL(gr_gom_loo(pts, n, loo), 0);
    int k;
    double err = gr_gom_loo_error(pts, n, loo, &k);
    CU_ASSERT_EQUAL(k, (int)n - 1); /* all but the one-P point, which has no failures */
    CU_ASSERT(err < 0.05);
    CU_ASSERT_DOUBLE_EQUAL(loo[n - 1], 0, 0);
    /* one point with ten times its count: left out, it is predicted near
     * the truth, an order of magnitude off its measurement */
    size_t odd = 2;
    double truth_h = gr_gom_point_hazard(&truth, &pts[odd]);
    pts[odd].failures *= 10;
    CU_ASSERT_EQUAL_FATAL(gr_gom_loo(pts, n, loo), 0);
    CU_ASSERT(fabs(log10(loo[odd] / truth_h)) < 0.1);
    CU_ASSERT(gr_gom_loo_error(pts, n, loo, &k) > 0.9 / k);
    /* while the fit that includes it is pulled toward it */
    gr_gom_model m;
    CU_ASSERT_EQUAL_FATAL(gr_gom_fit(pts, n, &m), 0);
    CU_ASSERT(gr_gom_point_hazard(&m, &pts[odd]) / truth_h > 1.5);
}

/* The error an exact model shows from Poisson counting alone: with one
 * expected failure (and one seen), E|log10(F)| given F >= 1 = 0.1526; with
 * a hundred, about 0.4343 sqrt(2/pi) / 10 (the normal limit). */
static void
noise_floor_is_the_counting_error_of_an_exact_model(void)
{
    gr_gom_point pts[3];
    memset(pts, 0, sizeof pts);
    for (int i = 0; i < 3; i++) {
        pts[i].exposure_s = 10;
        pts[i].failures = 1;
    }
    pts[2].failures = 0; /* no failures: not counted */
    double pred[3] = {0.1, NAN, 0.1};
    CU_ASSERT_DOUBLE_EQUAL(gr_gom_noise_floor(pts, 3, pred), 0.1526, 1e-4);
    pred[0] = 10; /* mu = 100 */
    CU_ASSERT_DOUBLE_EQUAL(gr_gom_noise_floor(pts, 1, pred), 0.0348, 5e-4);
    pred[1] = 0.1;
    CU_ASSERT_DOUBLE_EQUAL(gr_gom_noise_floor(pts, 2, pred), (0.0348 + 0.1526) / 2, 5e-4);
}

static void
fit_needs_two_points_and_one_proc_never_fails(void)
{
    gr_gom_point p;
    memset(&p, 0, sizeof p);
    p.exposure_s = 1;
    gr_gom_model m;
    CU_ASSERT_EQUAL(gr_gom_fit(&p, 1, &m), -1);
    CU_ASSERT_DOUBLE_EQUAL(gr_gom_hazard(&truth, 100, 600, 2000, 1e-3, 0, 1, false), 0, 0);
    gr_gom_field f;
    memset(&f, 0, sizeof f);
    f.traffic.req_s = 20;
    f.traffic.requests_per_event = 5;
    f.traffic.pageview_share = 1;
    f.traffic.new_share = 1;
    f.traffic.burst = 6;
    f.burst_max = 6;
    f.traffic.miss_cost_s = 0.03;
    f.cpus = 2;
    f.free_cores = 2;
    f.gomaxprocs = 1;
    f.scan = true;
    gr_gom_prediction pr;
    gr_gom_predict(&truth, &f, &pr);
    CU_ASSERT(pr.write_s > 0);
    CU_ASSERT(isinf(pr.median_s));
    f.gomaxprocs = 2;
    gr_gom_predict(&truth, &f, &pr);
    /* 4 new-visitor page views/s of min(1+Poisson(5), 6) requests */
    CU_ASSERT_DOUBLE_EQUAL(pr.pair_s, 4 * gr_gom_burst_pairs(6, 6), 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(pr.median_s, log(2) / pr.hazard, 1e-9);
    CU_ASSERT(isfinite(pr.median_s));
}

/* splitmix64 for the synthetic trials */
static uint64_t
next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Exponential trials at the point's true hazard, censored at cap_s. */
static void
draw_trials(gr_gom_point *p, gr_gom_trial *tr, size_t n, double cap_s, uint64_t *rng)
{
    double h = gr_gom_point_hazard(&truth, p);
    p->failures = 0;
    p->exposure_s = 0;
    for (size_t i = 0; i < n; i++) {
        double u = ((double)(next(rng) >> 11) + 0.5) / 9007199254740992.0;
        double t = -log(u) / h;
        tr[i].failed = t < cap_s;
        tr[i].t_s = t < cap_s ? t : cap_s;
        p->failures += tr[i].failed;
        p->exposure_s += tr[i].t_s;
    }
    p->trials = tr;
    p->n_trials = n;
}

static void
median_at(const gr_gom_model *m, double *medians, void *ctx)
{
    const gr_gom_point *field = ctx;
    medians[0] = log(2) / gr_gom_point_hazard(m, field);
}

static void
bootstrap_interval_contains_the_true_median_and_is_reproducible(void)
{
    enum { TRIALS = 60 };
    static gr_gom_trial tr[16][TRIALS];
    gr_gom_point pts[16];
    size_t n = synth_points(pts);
    uint64_t rng = 42;
    for (size_t i = 0; i < n; i++)
        if (pts[i].gomaxprocs >= 2)
            draw_trials(&pts[i], tr[i], TRIALS, 5.0, &rng);
    /* a field condition off the grid: low rate, long miss cost, idle */
    gr_gom_point field = synth(&truth, 2, 8, 20, 0.03, 2, 2, false);
    double true_median = log(2) / gr_gom_point_hazard(&truth, &field);
    gr_gom_model m;
    CU_ASSERT_EQUAL_FATAL(gr_gom_fit(pts, n, &m), 0);
    double est = log(2) / gr_gom_point_hazard(&m, &field);
    double lo, hi, lo2, hi2;
    CU_ASSERT_EQUAL_FATAL(gr_gom_bootstrap(pts, n, 25, 0.95, 7, median_at, &field, 1, &lo, &hi), 0);
    CU_ASSERT(lo < hi);
    CU_ASSERT(lo <= est && est <= hi);
    CU_ASSERT(lo <= true_median && true_median <= hi);
    /* not a trivially wide interval: within a factor of 3 of the truth */
    CU_ASSERT(hi / lo < 3);
    CU_ASSERT_EQUAL(gr_gom_bootstrap(pts, n, 25, 0.95, 7, median_at, &field, 1, &lo2, &hi2), 0);
    CU_ASSERT_DOUBLE_EQUAL(lo2, lo, 0);
    CU_ASSERT_DOUBLE_EQUAL(hi2, hi, 0);
    CU_ASSERT_EQUAL(gr_gom_bootstrap(pts, n, 0, 0.95, 7, median_at, &field, 1, &lo, &hi), -1);
}

/* Two observations, the second exposed to a second term as well but with
 * fewer failures than the first alone predicts: the likelihood is highest
 * with that term at 0, which the update only approaches; it comes back as
 * exactly 0 and the first term as the pooled rate (10 + 8) / 2. */
static void
poisson_fit_reports_a_term_the_data_do_not_need_as_exactly_zero(void)
{
    const double x[] = {1, 0, 1, 1};
    const double exposure[] = {1, 1}, failures[] = {10, 8};
    gr_poisfit_data d = {2, 2, x, exposure, failures};
    double theta[2];
    gr_poisfit_em(&d, 5000, 1e-12, theta);
    CU_ASSERT_DOUBLE_EQUAL(theta[0], 9, 1e-6);
    CU_ASSERT_EQUAL(theta[1], 0);
    /* a term that does carry part of the hazard is kept */
    const double failures_up[] = {10, 14};
    d.failures = failures_up;
    gr_poisfit_em(&d, 5000, 1e-12, theta);
    CU_ASSERT_DOUBLE_EQUAL(theta[0], 10, 1e-4);
    CU_ASSERT_DOUBLE_EQUAL(theta[1], 4, 1e-4);
}

static CU_TestInfo tests[] = {
    GR_TEST(concurrency_is_one_idle_a_third_with_one_core_busy_zero_with_one_proc),
    GR_TEST(burst_moments_follow_the_capped_poisson_draw),
    GR_TEST(fit_recovers_parameters_of_synthetic_go_data),
    GR_TEST(fit_recovers_the_scan_pair_coefficient_and_falls_back_to_the_spin_one),
    GR_TEST(leave_one_out_predicts_each_point_without_it),
    GR_TEST(noise_floor_is_the_counting_error_of_an_exact_model),
    GR_TEST(poisson_fit_reports_a_term_the_data_do_not_need_as_exactly_zero),
    GR_TEST(fit_needs_two_points_and_one_proc_never_fails),
    GR_TEST(bootstrap_interval_contains_the_true_median_and_is_reproducible),
    GR_TEST_END};

GR_TEST_MAIN("gomodel", tests, NULL, NULL)
