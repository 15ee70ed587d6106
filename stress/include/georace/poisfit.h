/*
 * poisfit.h - Poisson maximum likelihood for a hazard that is linear in
 * non-negative coefficients: observation i saw failures F_i over exposure
 * E_i, and its hazard is h_i = sum_j theta_j x_ij. Both time-to-failure
 * models (ttfmodel, gomodel) fit their linear coefficients this way, with
 * their non-linear parameters searched on grids around it.
 */
#ifndef GEORACE_POISFIT_H
#define GEORACE_POISFIT_H

#include <stddef.h>

enum { GR_POISFIT_MAX_TERMS = 8 };
#define GR_POISFIT_NEGLIGIBLE 1e-12 /* share of every hazard below which a term is 0 */

typedef struct gr_poisfit_data {
    size_t n, k;            /* observations; terms (<= GR_POISFIT_MAX_TERMS) */
    const double *x;        /* n rows of k covariates (per unit of coefficient) */
    const double *exposure; /* n */
    const double *failures; /* n */
} gr_poisfit_data;

/* theta[0..k) by the multiplicative EM update, at most max_iter rounds or
 * until no coefficient moves by more than tol (relative); a coefficient
 * adding less than GR_POISFIT_NEGLIGIBLE of the hazard of every observation
 * with failures is returned as exactly 0. */
void gr_poisfit_em(const gr_poisfit_data *d, unsigned max_iter, double tol, double *theta);
/* The log-likelihood of theta (terms constant in theta dropped); -inf when
 * an observation with failures has zero hazard. */
double gr_poisfit_loglik(const gr_poisfit_data *d, const double *theta);

#endif
