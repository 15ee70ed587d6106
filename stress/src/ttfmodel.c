/*
 * ttfmodel.c - the time-to-failure model of ttfmodel.h: hazard, Poisson
 * maximum-likelihood fit (poisfit's EM for the three linear coefficients, a
 * log grid for the one non-linear ratio sigma/d0), the traffic arithmetic, and the
 * prediction for Zoraxy.
 */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "georace/poisfit.h"
#include "georace/traffic.h"
#include "georace/ttfmodel.h"

double
gr_ttf_hazard(const gr_ttf_model *m, double write_s, double access_s, double pair_s,
              double window_s, double miss_cost_s)
{
    double spread = m->d0_s + m->sigma * miss_cost_s;
    double burst = spread > 0 ? pair_s / spread : 0;
    return window_s * (m->k_bg * write_s * access_s + m->k_p * write_s + burst);
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

double
gr_ttf_heldout_error(const gr_ttf_model *m, const gr_ttf_point *pts, size_t n, int *n_out)
{
    double sum = 0;
    int k = 0;
    for (size_t i = 0; i < n; i++) {
        double meas = gr_ttf_measured(&pts[i]), pred = gr_ttf_point_hazard(m, &pts[i]);
        if (!pts[i].holdout || meas <= 0 || pred <= 0)
            continue;
        sum += fabs(log10(pred / meas));
        k++;
    }
    *n_out = k;
    return k ? sum / k : 0;
}

/*
 * With rho = sigma/d0 fixed, the hazard is linear in theta = (k_bg, k_p,
 * 1/d0) >= 0:  h_i = sum_j theta_j x_ij  with x = w*(W*A, W, P/(1+rho*c)),
 * fitted by poisfit's EM; rho is searched on a log grid (and 0).
 */
enum { GR_TTF_TERMS = 3 };

static bool
gr_ttf_fits(const gr_ttf_point *p)
{
    return !p->holdout && p->exposure_s > 0;
}

static void
gr_ttf_terms(const gr_ttf_point *p, double rho, double x[GR_TTF_TERMS])
{
    double c = (double)p->miss_cost_ns / 1e9;
    x[0] = p->window_s * p->write_s * p->access_s;
    x[1] = p->window_s * p->write_s;
    x[2] = p->window_s * p->pair_s / (1 + rho * c);
}

/* The fitting points' Poisson data at rho, in buf (n * (GR_TTF_TERMS + 2)). */
static void
gr_ttf_design(const gr_ttf_point *pts, size_t n, double rho, double *buf, gr_poisfit_data *d)
{
    double *x = buf, *e = buf + n * GR_TTF_TERMS, *f = e + n;
    size_t rows = 0;
    for (size_t i = 0; i < n; i++) {
        if (!gr_ttf_fits(&pts[i]))
            continue;
        gr_ttf_terms(&pts[i], rho, &x[rows * GR_TTF_TERMS]);
        e[rows] = pts[i].exposure_s;
        f[rows] = (double)pts[i].failures;
        rows++;
    }
    *d = (gr_poisfit_data){rows, GR_TTF_TERMS, x, e, f};
}

static void
gr_ttf_from_theta(gr_ttf_model *m, const double theta[GR_TTF_TERMS], double rho)
{
    m->k_bg = theta[0];
    m->k_p = theta[1];
    /* burst term absent: any d0 gives 0 through a zero pair rate only, so
     * keep it finite and tiny-effect by a huge spread */
    m->d0_s = theta[2] > 0 ? 1.0 / theta[2] : 1e9;
    m->sigma = rho * m->d0_s;
}

int
gr_ttf_fit(const gr_ttf_point *pts, size_t n, gr_ttf_model *m)
{
    size_t usable = 0;
    for (size_t i = 0; i < n; i++)
        usable += gr_ttf_fits(&pts[i]);
    if (usable < 2)
        return -1;
    double *buf = malloc(n * (GR_TTF_TERMS + 2) * sizeof *buf);
    if (!buf)
        return -1;
    double best_ll = -INFINITY;
    gr_ttf_model best = *m;
    for (int k = -1; k <= 48; k++) {
        double rho = k < 0 ? 0 : pow(10, -1 + k * 0.125); /* 0.1 .. 1e5 per second */
        double theta[GR_TTF_TERMS];
        gr_poisfit_data d;
        gr_ttf_design(pts, n, rho, buf, &d);
        gr_poisfit_em(&d, 5000, 1e-10, theta);
        double ll = gr_poisfit_loglik(&d, theta);
        if (ll > best_ll) {
            best_ll = ll;
            best = *m;
            gr_ttf_from_theta(&best, theta, rho);
        }
    }
    free(buf);
    if (best_ll == -INFINITY) /* a point with failures that no term reaches */
        return -1;
    *m = best;
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

void
gr_ttf_traffic_of_profile(const struct gr_profile *p, double req_s, gr_ttf_traffic *t)
{
    memset(t, 0, sizeof *t);
    t->req_s = req_s;
    t->requests_per_event = gr_profile_mean_requests_per_event(p);
    t->pageview_share = 1 - p->scanner_share - p->spray_share - p->reserved_share;
    t->new_share = p->new_visitor_share;
    t->scanner_share = p->scanner_share;
    t->reserved_share = p->reserved_share;
    t->burst = p->burst_mean;
    t->population = p->population;
    t->zipf_s = p->zipf_s;
}

void
gr_ttf_predict(const gr_ttf_model *m, const gr_ttf_traffic *t, double window_s,
               gr_ttf_prediction *out)
{
    gr_ttf_traffic_rates(t, &out->write_s, &out->access_s, &out->pair_s);
    gr_ttf_model go = *m;
    go.d0_s = t->arrival_s;
    out->hazard =
        gr_ttf_hazard(&go, out->write_s, out->access_s, out->pair_s, window_s, t->miss_cost_s);
    out->median_s = gr_ttf_median(out->hazard);
}
