/*
 * bootstrap.c - see bootstrap.h. The generator is splitmix64 (a fixed,
 * seedable sequence, so a report is reproducible); an index is drawn by
 * multiply-shift of the top 32 bits, whose bias is below 2^-32 * n.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "georace/bootstrap.h"

static uint64_t
gr_boot_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static size_t
gr_boot_index(uint64_t *s, size_t n)
{
    return (size_t)(((gr_boot_next(s) >> 32) * (uint64_t)n) >> 32);
}

/* KM median of obs, sorted in place, using pts (n + 1 points) as scratch. */
static double
gr_boot_median_inplace(gr_km_obs *obs, size_t n, gr_km_point *pts)
{
    size_t np = gr_km_estimate(obs, n, pts);
    return gr_km_median(pts, np);
}

double
gr_boot_km_median(const gr_km_obs *obs, size_t n)
{
    if (n == 0)
        return -1;
    gr_km_obs *c = malloc(n * sizeof *c);
    gr_km_point *pts = malloc((n + 1) * sizeof *pts);
    double m = -1;
    if (c && pts) {
        memcpy(c, obs, n * sizeof *c);
        m = gr_boot_median_inplace(c, n, pts);
    }
    free(c);
    free(pts);
    return m;
}

/* +inf, 0, the ratio, or NAN when neither median was reached. */
static double
gr_boot_ratio_of(double ma, double mb)
{
    if (ma < 0 && mb < 0)
        return NAN;
    if (ma < 0)
        return INFINITY; /* A outlived its resample's half: longer than any ratio */
    if (mb < 0)
        return 0;
    if (mb == 0)
        return ma == 0 ? 1.0 : INFINITY;
    return ma / mb;
}

static void
gr_boot_draw(const gr_km_obs *src, size_t n, gr_km_obs *dst, uint64_t *state)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = src[gr_boot_index(state, n)];
}

static int
gr_boot_cmp(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return a < b ? -1 : a > b;
}

/* The q-quantile of sorted v[0..n) (nearest rank). */
static double
gr_boot_quantile(const double *v, size_t n, double q)
{
    size_t k = (size_t)ceil(q * (double)n);
    return v[k ? k - 1 : 0];
}

int
gr_boot_median_ratio(const gr_km_obs *a, size_t na, const gr_km_obs *b, size_t nb,
                     unsigned resamples, double level, uint64_t seed, gr_boot_ratio *out)
{
    memset(out, 0, sizeof *out);
    out->ratio = out->lo = out->hi = -1;
    if (!na || !nb || !resamples)
        return -1;
    size_t nmax = na > nb ? na : nb;
    gr_km_obs *ra = malloc(na * sizeof *ra), *rb = malloc(nb * sizeof *rb);
    gr_km_point *pts = malloc((nmax + 1) * sizeof *pts);
    double *ratios = malloc(resamples * sizeof *ratios);
    int rc = -1;
    if (ra && rb && pts && ratios) {
        double ma = gr_boot_km_median(a, na), mb = gr_boot_km_median(b, nb);
        out->ratio = ma > 0 && mb > 0 ? ma / mb : -1;
        uint64_t state = seed;
        size_t n = 0;
        for (unsigned i = 0; i < resamples; i++) {
            gr_boot_draw(a, na, ra, &state);
            gr_boot_draw(b, nb, rb, &state);
            double r = gr_boot_ratio_of(gr_boot_median_inplace(ra, na, pts),
                                        gr_boot_median_inplace(rb, nb, pts));
            if (isnan(r))
                out->undetermined++;
            else
                ratios[n++] = r;
        }
        out->resamples = resamples;
        if (n) {
            qsort(ratios, n, sizeof *ratios, gr_boot_cmp);
            out->lo = gr_boot_quantile(ratios, n, (1 - level) / 2);
            out->hi = gr_boot_quantile(ratios, n, (1 + level) / 2);
        }
        rc = 0;
    }
    free(ra);
    free(rb);
    free(pts);
    free(ratios);
    return rc;
}

int
gr_boot_km_median_interval(const gr_km_obs *obs, size_t n, unsigned resamples, double level,
                           uint64_t seed, double *median, double *lo, double *hi)
{
    *median = *lo = *hi = -1;
    if (!n || !resamples)
        return -1;
    gr_km_obs *r = malloc(n * sizeof *r);
    gr_km_point *pts = malloc((n + 1) * sizeof *pts);
    double *meds = malloc(resamples * sizeof *meds);
    int rc = -1;
    if (r && pts && meds) {
        *median = gr_boot_km_median(obs, n);
        uint64_t state = seed;
        for (unsigned i = 0; i < resamples; i++) {
            gr_boot_draw(obs, n, r, &state);
            double m = gr_boot_median_inplace(r, n, pts);
            meds[i] = m < 0 ? INFINITY : m; /* not reached: longer than any */
        }
        qsort(meds, resamples, sizeof *meds, gr_boot_cmp);
        *lo = gr_boot_quantile(meds, resamples, (1 - level) / 2);
        *hi = gr_boot_quantile(meds, resamples, (1 + level) / 2);
        rc = 0;
    }
    free(r);
    free(pts);
    free(meds);
    return rc;
}
