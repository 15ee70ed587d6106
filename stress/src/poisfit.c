/*
 * poisfit.c - see poisfit.h. With the hazard linear in theta >= 0, the
 * Poisson likelihood is maximised by the EM (multiplicative) update
 *     theta_j <- theta_j * sum_i (F_i / mu_i) E_i x_ij / sum_i E_i x_ij,
 * mu_i = E_i sum_j theta_j x_ij: each failure is split among the terms in
 * proportion to their share of its expected count. The update keeps theta
 * non-negative and never lowers the likelihood; a term no observation
 * exposes (its denominator 0) stays 0. A coefficient whose optimum is 0
 * only approaches it geometrically, so one that ends below a 1e-12 share
 * of the hazard of every observation with failures is set to 0.
 */
#include <float.h>
#include <math.h>
#include <stdbool.h>

#include "georace/poisfit.h"

static double
gr_poisfit_hazard(const gr_poisfit_data *d, size_t i, const double *theta)
{
    const double *x = &d->x[i * d->k];
    double h = 0;
    for (size_t j = 0; j < d->k; j++)
        h += theta[j] * x[j];
    return h;
}

static double
gr_poisfit_mu(const gr_poisfit_data *d, size_t i, const double *theta)
{
    return gr_poisfit_hazard(d, i, theta) * d->exposure[i];
}

/* Whether term j adds less than GR_POISFIT_NEGLIGIBLE of the hazard of
 * every observation with failures (one without gains from any hazard it
 * loses, so it does not count). */
static bool
gr_poisfit_negligible(const gr_poisfit_data *d, const double *theta, size_t j)
{
    for (size_t i = 0; i < d->n; i++) {
        double h = gr_poisfit_hazard(d, i, theta);
        if (d->failures[i] > 0 && theta[j] * d->x[i * d->k + j] > GR_POISFIT_NEGLIGIBLE * h)
            return false;
    }
    return true;
}

void
gr_poisfit_em(const gr_poisfit_data *d, unsigned max_iter, double tol, double *theta)
{
    double denom[GR_POISFIT_MAX_TERMS] = {0};
    for (size_t i = 0; i < d->n; i++)
        for (size_t j = 0; j < d->k; j++)
            denom[j] += d->exposure[i] * d->x[i * d->k + j];
    /* a start that predicts about one failure per term */
    for (size_t j = 0; j < d->k; j++)
        theta[j] = denom[j] > 0 ? 1.0 / denom[j] : 0;
    for (unsigned it = 0; it < max_iter; it++) {
        double num[GR_POISFIT_MAX_TERMS] = {0};
        for (size_t i = 0; i < d->n; i++) {
            if (d->failures[i] <= 0)
                continue;
            double mu = gr_poisfit_mu(d, i, theta);
            if (mu <= 0)
                continue;
            for (size_t j = 0; j < d->k; j++)
                num[j] += d->failures[i] / mu * d->exposure[i] * d->x[i * d->k + j];
        }
        double change = 0;
        for (size_t j = 0; j < d->k; j++) {
            if (denom[j] <= 0)
                continue;
            double next = theta[j] * num[j] / denom[j];
            if (theta[j] > 0)
                change = fmax(change, fabs(next / theta[j] - 1));
            theta[j] = next;
        }
        if (change < tol)
            break;
    }
    /* a term the data drive towards nothing is reported as 0, not as the
     * 1e-180 the update has shrunk it to by its last round */
    for (size_t j = 0; j < d->k; j++)
        if (theta[j] < DBL_MIN || gr_poisfit_negligible(d, theta, j))
            theta[j] = 0;
}

double
gr_poisfit_loglik(const gr_poisfit_data *d, const double *theta)
{
    double ll = 0;
    for (size_t i = 0; i < d->n; i++) {
        double mu = gr_poisfit_mu(d, i, theta);
        if (d->failures[i] > 0) {
            if (mu <= 0)
                return -INFINITY;
            ll += d->failures[i] * log(mu);
        }
        ll -= mu;
    }
    return ll;
}
