/*
 * gomodel.c - the Go-calibrated time-to-failure model of gomodel.h: the
 * concurrency probability, the hazard, the Poisson maximum-likelihood fit
 * (poisfit's EM for the four linear coefficients, grids for rho and alpha),
 * leave-one-out cross-validation, the prediction for a field condition and
 * the bootstrap over trials.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "georace/gomodel.h"
#include "georace/poisfit.h"

double
gr_gom_concurrency(double free_cores, unsigned gomaxprocs, int cpus)
{
    if (gomaxprocs < 2 || cpus < 2)
        return 0;
    double n = (double)cpus;
    double f = free_cores < 0 ? n : free_cores > n ? n : free_cores;
    double busy = n - f;
    double q = n * (n - 1) / ((2 + busy) * (1 + busy));
    return q > 1 ? 1 : q;
}

enum { GR_GOM_TERMS = 4 };

/* The terms' covariates (per unit of coefficient) at (rho, alpha): a, b
 * (a spinning miss), k, b_scan (a miss that walks the CSV). */
static void
gr_gom_terms(double write_s, double access_s, double pair_s, double miss_cost_s, double q,
             unsigned gomaxprocs, bool scan, double rho, double alpha, double x[GR_GOM_TERMS])
{
    double qa = q > 0 ? pow(q, alpha) : 0;
    double pairs = qa * pair_s / (1 + rho * miss_cost_s);
    x[0] = qa * write_s * access_s;
    x[1] = scan ? 0 : pairs;
    x[2] = gomaxprocs >= 2 ? write_s * (1 - q) : 0;
    x[3] = scan ? pairs : 0;
}

static double
gr_gom_point_q(const gr_gom_point *p)
{
    return gr_gom_concurrency(p->free_cores, p->gomaxprocs, p->cpus);
}

static void
gr_gom_point_terms(const gr_gom_point *p, double rho, double alpha, double x[GR_GOM_TERMS])
{
    gr_gom_terms(p->write_s, p->access_s, p->pair_s, (double)p->miss_cost_ns / 1e9,
                 gr_gom_point_q(p), p->gomaxprocs, p->scan, rho, alpha, x);
}

double
gr_gom_hazard(const gr_gom_model *m, double write_s, double access_s, double pair_s,
              double miss_cost_s, double q, unsigned gomaxprocs, bool scan)
{
    double x[GR_GOM_TERMS];
    gr_gom_terms(write_s, access_s, pair_s, miss_cost_s, q, gomaxprocs, scan, m->rho, m->alpha, x);
    /* no scan point fitted: a scan is priced as a spin of its length */
    double b_scan = m->scan_fitted ? m->b_scan : m->b;
    return m->a * x[0] + m->b * x[1] + m->k * x[2] + b_scan * x[3];
}

double
gr_gom_point_hazard(const gr_gom_model *m, const gr_gom_point *p)
{
    return gr_gom_hazard(m, p->write_s, p->access_s, p->pair_s, (double)p->miss_cost_ns / 1e9,
                         gr_gom_point_q(p), p->gomaxprocs, p->scan);
}

double
gr_gom_measured(const gr_gom_point *p)
{
    return p->exposure_s > 0 ? (double)p->failures / p->exposure_s : 0;
}

static bool
gr_gom_fits(const gr_gom_point *p)
{
    return !p->holdout && p->exposure_s > 0;
}

/* The fitting points' Poisson data at (rho, alpha): rows of x, exposure
 * and failures in buf (n * (GR_GOM_TERMS + 2) doubles). Without
 * scan_own, a walk's pairs are priced as a spin's (term b). */
static void
gr_gom_design(const gr_gom_point *pts, size_t n, double rho, double alpha, bool scan_own,
              double *buf, gr_poisfit_data *d)
{
    double *x = buf, *e = buf + n * GR_GOM_TERMS, *f = e + n;
    size_t rows = 0;
    for (size_t i = 0; i < n; i++) {
        if (!gr_gom_fits(&pts[i]))
            continue;
        double *xi = &x[rows * GR_GOM_TERMS];
        gr_gom_point_terms(&pts[i], rho, alpha, xi);
        if (!scan_own) {
            xi[1] += xi[3];
            xi[3] = 0;
        }
        e[rows] = pts[i].exposure_s;
        f[rows] = (double)pts[i].failures;
        rows++;
    }
    *d = (gr_poisfit_data){rows, GR_GOM_TERMS, x, e, f};
}

static const double gr_gom_alphas[] = {0, 0.25, 0.5, 1, 1.5, 2, 3, 4};

int
gr_gom_fit(const gr_gom_point *pts, size_t n, gr_gom_model *m)
{
    size_t usable = 0;
    bool scan = false;
    for (size_t i = 0; i < n; i++) {
        usable += gr_gom_fits(&pts[i]);
        /* b_scan is fitted only when a walk point failed: from points
         * without a failure its estimate is 0 whatever the truth (their
         * exposure bounds it from above only), a prediction of "never"
         * that the field contradicts; then the walk is priced as a spin */
        scan = scan || (gr_gom_fits(&pts[i]) && pts[i].scan && pts[i].failures > 0);
    }
    if (usable < 2)
        return -1;
    double *buf = malloc(n * (GR_GOM_TERMS + 2) * sizeof *buf);
    if (!buf)
        return -1;
    double best_ll = -INFINITY;
    gr_gom_model best;
    memset(&best, 0, sizeof best);
    best.alpha = 1;
    for (size_t ai = 0; ai < sizeof gr_gom_alphas / sizeof gr_gom_alphas[0]; ai++) {
        for (int r = -1; r <= 20; r++) {
            double rho = r < 0 ? 0 : pow(10, r * 0.25); /* 1 .. 1e5 per second of miss cost */
            double theta[GR_GOM_TERMS];
            gr_poisfit_data d;
            gr_gom_design(pts, n, rho, gr_gom_alphas[ai], scan, buf, &d);
            gr_poisfit_em(&d, 3000, 1e-9, theta);
            double ll = gr_poisfit_loglik(&d, theta);
            if (ll > best_ll + 1e-9) {
                best_ll = ll;
                /* a walk point failed: b_scan is theirs, even when 0 */
                best = (gr_gom_model){theta[0], theta[1], rho, theta[2], gr_gom_alphas[ai],
                                      theta[3], scan,     0,   0};
            }
        }
    }
    free(buf);
    if (best_ll == -INFINITY) /* a point with failures that no term reaches */
        return -1;
    double se = 0;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        double meas = gr_gom_measured(&pts[i]), pred = gr_gom_point_hazard(&best, &pts[i]);
        if (!gr_gom_fits(&pts[i]) || meas <= 0 || pred <= 0)
            continue;
        double e = log10(pred / meas);
        se += e * e;
        k++;
    }
    best.rms_log10 = k ? sqrt(se / (double)k) : 0;
    best.n_fit = usable;
    *m = best;
    return 0;
}

/* |log10(pred / measured)| summed into *sum over points with failures and
 * a positive prediction; counted in *k. */
static void
gr_gom_add_error(const gr_gom_point *p, double pred, double *sum, int *k)
{
    double meas = gr_gom_measured(p);
    if (meas <= 0 || !(pred > 0) || !isfinite(pred))
        return;
    *sum += fabs(log10(pred / meas));
    (*k)++;
}

double
gr_gom_heldout_error(const gr_gom_model *m, const gr_gom_point *pts, size_t n, int *n_out)
{
    double sum = 0;
    int k = 0;
    for (size_t i = 0; i < n; i++)
        if (pts[i].holdout)
            gr_gom_add_error(&pts[i], gr_gom_point_hazard(m, &pts[i]), &sum, &k);
    *n_out = k;
    return k ? sum / k : 0;
}

int
gr_gom_loo(const gr_gom_point *pts, size_t n, double *pred)
{
    gr_gom_point *rest = malloc(n * sizeof *rest);
    if (!rest)
        return -1;
    memcpy(rest, pts, n * sizeof *rest);
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < n; j++)
            rest[j].holdout = j == i;
        gr_gom_model m;
        pred[i] = pts[i].exposure_s > 0 && gr_gom_fit(rest, n, &m) == 0
                      ? gr_gom_point_hazard(&m, &pts[i])
                      : NAN;
    }
    free(rest);
    return 0;
}

double
gr_gom_loo_error(const gr_gom_point *pts, size_t n, const double *pred, int *n_out)
{
    double sum = 0;
    int k = 0;
    for (size_t i = 0; i < n; i++)
        gr_gom_add_error(&pts[i], pred[i], &sum, &k);
    *n_out = k;
    return k ? sum / k : 0;
}

/* E|log10(F / mu)| for a count F ~ Poisson(mu) given F >= 1: the error a
 * point with failures shows under a model that is exactly right. */
static double
gr_gom_count_noise(double mu)
{
    if (!(mu > 0) || !isfinite(mu))
        return 0;
    double sum = 0, mass = 0, top = mu + 12 * sqrt(mu) + 20;
    for (double f = 1; f <= top; f++) {
        double p = exp(f * log(mu) - mu - lgamma(f + 1));
        sum += p * fabs(log10(f / mu));
        mass += p;
    }
    return mass > 0 ? sum / mass : 0;
}

double
gr_gom_noise_floor(const gr_gom_point *pts, size_t n, const double *pred)
{
    double sum = 0;
    int k = 0;
    for (size_t i = 0; i < n; i++) {
        if (gr_gom_measured(&pts[i]) <= 0 || !(pred[i] > 0) || !isfinite(pred[i]))
            continue;
        sum += gr_gom_count_noise(pred[i] * pts[i].exposure_s);
        k++;
    }
    return k ? sum / k : 0;
}

void
gr_gom_burst_moments(double mean, unsigned max, double *en, double *enn1)
{
    *en = 1;
    *enn1 = 0;
    if (max < 2 || mean <= 1)
        return;
    double lambda = mean - 1, pk = exp(-lambda), below = 0, e1 = 0, e2 = 0;
    for (unsigned k = 0; k + 1 < max; k++) { /* n = k + 1 < max */
        e1 += pk * (double)(k + 1);
        e2 += pk * (double)(k + 1) * (double)k;
        below += pk;
        pk *= lambda / (double)(k + 1);
    }
    double rest = 1 - below > 0 ? 1 - below : 0;
    *en = e1 + rest * (double)max;
    *enn1 = e2 + rest * (double)max * (double)(max - 1);
}

double
gr_gom_burst_pairs(double mean, unsigned max)
{
    double en, enn1;
    gr_gom_burst_moments(mean, max, &en, &enn1);
    return enn1;
}

void
gr_gom_predict(const gr_gom_model *m, const gr_gom_field *f, gr_gom_prediction *out)
{
    double pair_mean_s;
    gr_ttf_traffic_rates(&f->traffic, &out->write_s, &out->access_s, &pair_mean_s);
    /* ttfmodel's pairs are missing bursts * m(m-1) with m the mean burst
     * (times the share that misses); use the generator's E[n(n-1)] */
    const gr_ttf_traffic *t = &f->traffic;
    double b = t->burst < 1 ? 1 : t->burst;
    double frac = t->arrival_s > 0 ? t->miss_cost_s / t->arrival_s : 1;
    frac = frac > 1 ? 1 : frac;
    double m_mean = 1 + (b - 1) * frac;
    double per = m_mean * (m_mean - 1);
    double bursts_s = per > 0 ? pair_mean_s / per : 0;
    out->pair_s = bursts_s * gr_gom_burst_pairs(m_mean, f->burst_max ? f->burst_max : 1);
    out->q = gr_gom_concurrency(f->free_cores, f->gomaxprocs, f->cpus);
    out->hazard = gr_gom_hazard(m, out->write_s, out->access_s, out->pair_s, t->miss_cost_s, out->q,
                                f->gomaxprocs, f->scan);
    out->median_s = out->hazard > 0 ? log(2.0) / out->hazard : INFINITY;
}

/* ---- bootstrap over trials ------------------------------------------------ */

static uint64_t
gr_gom_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static void
gr_gom_resample(const gr_gom_point *p, gr_gom_point *out, uint64_t *rng)
{
    *out = *p;
    if (!p->trials || p->n_trials == 0)
        return;
    out->failures = 0;
    out->exposure_s = 0;
    for (size_t i = 0; i < p->n_trials; i++) {
        size_t j = (size_t)(((gr_gom_next(rng) >> 32) * (uint64_t)p->n_trials) >> 32);
        out->failures += p->trials[j].failed;
        out->exposure_s += p->trials[j].t_s;
    }
}

static int
gr_gom_cmp(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return a < b ? -1 : a > b;
}

int
gr_gom_bootstrap(const gr_gom_point *pts, size_t n, unsigned resamples, double level, uint64_t seed,
                 gr_gom_predict_fn fn, void *ctx, size_t n_out, double *lo, double *hi)
{
    if (resamples == 0 || n_out == 0 || !(level > 0 && level < 1))
        return -1;
    gr_gom_point *rs = malloc(n * sizeof *rs);
    double *med = malloc((size_t)resamples * n_out * sizeof *med);
    double *col = malloc((size_t)resamples * sizeof *col);
    double *one = malloc(n_out * sizeof *one);
    if (!rs || !med || !col || !one) {
        free(rs), free(med), free(col), free(one);
        return -1;
    }
    uint64_t rng = seed;
    unsigned done = 0;
    for (unsigned r = 0; r < resamples; r++) {
        for (size_t i = 0; i < n; i++)
            gr_gom_resample(&pts[i], &rs[i], &rng);
        gr_gom_model m;
        if (gr_gom_fit(rs, n, &m))
            continue;
        fn(&m, one, ctx);
        memcpy(&med[(size_t)done * n_out], one, n_out * sizeof *one);
        done++;
    }
    int rc = done ? 0 : -1;
    for (size_t j = 0; j < n_out && done; j++) {
        for (unsigned r = 0; r < done; r++)
            col[r] = med[(size_t)r * n_out + j];
        qsort(col, done, sizeof *col, gr_gom_cmp);
        double qlo = (1 - level) / 2, qhi = (1 + level) / 2;
        lo[j] = col[(size_t)floor(qlo * (done - 1) + 0.5)];
        hi[j] = col[(size_t)floor(qhi * (done - 1) + 0.5)];
    }
    free(rs), free(med), free(col), free(one);
    return rc;
}
