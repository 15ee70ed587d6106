/*
 * survival.c - the Kaplan-Meier product-limit estimator.
 *
 * Sort by time; at every distinct time with d failures among n trials still
 * at risk, S *= (1 - d/n). Censored trials leave the risk set after the
 * failures of their own time (the usual tie convention).
 */
#include <stdlib.h>

#include "georace/survival.h"

static int
gr_km_cmp(const void *a, const void *b)
{
    const gr_km_obs *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return (int)y->event - (int)x->event; /* failures first */
}

size_t
gr_km_estimate(gr_km_obs *obs, size_t n, gr_km_point *out)
{
    qsort(obs, n, sizeof *obs, gr_km_cmp);
    size_t np = 0;
    out[np++] = (gr_km_point){0, 1.0, n, 0, 0};
    double s = 1.0;
    size_t at_risk = n;
    size_t i = 0;
    while (i < n) {
        double t = obs[i].t;
        size_t d = 0, c = 0;
        while (i < n && obs[i].t == t) {
            if (obs[i].event)
                d++;
            else
                c++;
            i++;
        }
        if (d > 0) {
            s *= 1.0 - (double)d / (double)at_risk;
            out[np++] = (gr_km_point){t, s, at_risk, d, c};
        } else if (np > 0 && out[np - 1].t == t) {
            out[np - 1].censored += c;
        } else {
            out[np++] = (gr_km_point){t, s, at_risk, 0, c};
        }
        at_risk -= d + c;
    }
    return np;
}

double
gr_km_median(const gr_km_point *pts, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (pts[i].events > 0 && pts[i].s <= 0.5)
            return pts[i].t;
    return -1;
}
