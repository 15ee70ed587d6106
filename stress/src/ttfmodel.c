/*
 * ttfmodel.c - the time-to-failure model of ttfmodel.h: hazard, Poisson
 * maximum-likelihood fit by a coarse-to-fine grid over log-parameters (three
 * parameters, a few dozen points: a grid is simple, robust and fast), and
 * the traffic arithmetic for predictions.
 */
#include <math.h>
#include <string.h>

#include "georace/ttfmodel.h"

double
gr_ttf_hazard(const gr_ttf_model *m, double write_s, double access_s, double pair_s,
              double window_s, double miss_cost_s)
{
    double spread = m->d0_s + m->sigma * miss_cost_s;
    double burst = spread > 0 ? pair_s / spread : 0;
    return window_s * (m->k_bg * write_s * access_s + burst);
}

double
gr_ttf_point_hazard(const gr_ttf_model *m, const gr_ttf_point *p)
{
    return gr_ttf_hazard(m, p->write_s, p->access_s, p->pair_s, p->window_s,
                         (double)p->miss_cost_ns / 1e9);
}

double
gr_ttf_measured(const gr_ttf_point *p)
{
    return p->exposure_s > 0 ? (double)p->failures / p->exposure_s : 0;
}

double
gr_ttf_median(double hazard)
{
    return hazard > 0 ? log(2.0) / hazard : INFINITY;
}

/* Poisson log-likelihood of the fitting points (constant terms dropped). */
static double
gr_ttf_loglik(const gr_ttf_model *m, const gr_ttf_point *pts, size_t n)
{
    double ll = 0;
    for (size_t i = 0; i < n; i++) {
        if (pts[i].holdout || pts[i].exposure_s <= 0)
            continue;
        double mu = gr_ttf_point_hazard(m, &pts[i]) * pts[i].exposure_s;
        if (pts[i].failures > 0) {
            if (mu <= 0)
                return -INFINITY;
            ll += (double)pts[i].failures * log(mu);
        }
        ll -= mu;
    }
    return ll;
}

struct gr_ttf_axis {
    double lo, hi; /* log10 range */
    bool zero_ok;  /* also try the parameter at 0 */
};

/* One grid pass: steps points per axis in [lo, hi] (log10), plus 0. */
static double
gr_ttf_grid(gr_ttf_model *best, const gr_ttf_point *pts, size_t n, const struct gr_ttf_axis ax[3],
            int steps)
{
    double best_ll = -INFINITY;
    gr_ttf_model m = *best;
    for (int i = -1; i <= steps; i++) {
        if (i < 0 && !ax[0].zero_ok)
            continue;
        m.k_bg = i < 0 ? 0 : pow(10, ax[0].lo + (ax[0].hi - ax[0].lo) * i / steps);
        for (int j = 0; j <= steps; j++) {
            m.d0_s = pow(10, ax[1].lo + (ax[1].hi - ax[1].lo) * j / steps);
            for (int k = -1; k <= steps; k++) {
                if (k < 0 && !ax[2].zero_ok)
                    continue;
                m.sigma = k < 0 ? 0 : pow(10, ax[2].lo + (ax[2].hi - ax[2].lo) * k / steps);
                double ll = gr_ttf_loglik(&m, pts, n);
                if (ll > best_ll) {
                    best_ll = ll;
                    best->k_bg = m.k_bg;
                    best->d0_s = m.d0_s;
                    best->sigma = m.sigma;
                }
            }
        }
    }
    return best_ll;
}

static struct gr_ttf_axis
gr_ttf_around(double v, double lo, double hi, double half, bool zero_ok)
{
    if (v <= 0)
        return (struct gr_ttf_axis){lo, hi, zero_ok};
    double c = log10(v);
    struct gr_ttf_axis a = {c - half, c + half, zero_ok};
    return a;
}

int
gr_ttf_fit(const gr_ttf_point *pts, size_t n, gr_ttf_model *m)
{
    size_t usable = 0;
    for (size_t i = 0; i < n; i++)
        if (!pts[i].holdout && pts[i].exposure_s > 0)
            usable++;
    if (usable < 2)
        return -1;
    struct gr_ttf_axis ax[3] = {{-4, 8, true}, {-9, 0, false}, {-4, 2, true}};
    gr_ttf_grid(m, pts, n, ax, 36);
    double half = 12.0 / 36 * 2;
    for (int pass = 0; pass < 3; pass++) {
        struct gr_ttf_axis fine[3] = {gr_ttf_around(m->k_bg, -4, 8, half, true),
                                      gr_ttf_around(m->d0_s, -9, 0, half, false),
                                      gr_ttf_around(m->sigma, -4, 2, half, true)};
        gr_ttf_grid(m, pts, n, fine, 16);
        half /= 4;
    }
    double se = 0;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        double meas = gr_ttf_measured(&pts[i]);
        double pred = gr_ttf_point_hazard(m, &pts[i]);
        if (pts[i].holdout || meas <= 0 || pred <= 0)
            continue;
        double e = log10(pred / meas);
        se += e * e;
        k++;
    }
    m->rms_log10 = k ? sqrt(se / (double)k) : 0;
    m->n_fit = usable;
    return 0;
}

void
gr_ttf_traffic_rates(const gr_ttf_traffic *t, double *write_s, double *access_s, double *pair_s)
{
    double events_s = t->requests_per_event > 0 ? t->req_s / t->requests_per_event : t->req_s;
    double pv_s = events_s * t->pageview_share;
    double returning_s = pv_s * (1 - t->new_share);
    /* share of returning page views whose visitor is not cached: distinct
     * visitors seen in a clear interval over page views in it, averaged
     * over the cache's age (uniform in [0, clear)) */
    double miss_ret = 0;
    if (t->clear_s <= 0 || returning_s <= 0) {
        miss_ret = 0;
    } else {
        double h = 0;
        for (uint64_t i = 1; i <= t->population; i++)
            h += pow((double)i, -t->zipf_s);
        double seen = 0, x = returning_s * t->clear_s;
        for (uint64_t i = 1; i <= t->population; i++) {
            double p = pow((double)i, -t->zipf_s) / h;
            seen += (1 - exp(-p * x)) / x; /* average over age of P(unseen) * p */
        }
        miss_ret = seen;
    }
    double missing_pv_s = pv_s * t->new_share + returning_s * miss_ret;
    double b = t->burst < 1 ? 1 : t->burst;
    double frac = t->arrival_s > 0 ? t->miss_cost_s / t->arrival_s : 1;
    if (frac > 1)
        frac = 1;
    double m = 1 + (b - 1) * frac;
    double scanners_s = events_s * t->scanner_share;
    *write_s = missing_pv_s * m + scanners_s;
    double gets_s = t->req_s * (1 - t->reserved_share);
    *access_s = gets_s + *write_s;
    *pair_s = missing_pv_s * m * (m - 1);
}
