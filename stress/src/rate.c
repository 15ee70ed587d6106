/*
 * rate.c - see rate.h: an exponentially weighted moving average fed by
 * intervals, and a trailing time-weighted mean over a fixed window (one
 * pass, two indices: the window's oldest sample leaves as the newest
 * arrives).
 */
#include <math.h>

#include "georace/rate.h"

void
gr_rate_ewma_init(gr_rate_ewma *e, double tau_s)
{
    e->tau_s = tau_s > 0 ? tau_s : 1;
    e->value = 0;
    e->primed = false;
}

double
gr_rate_ewma_add(gr_rate_ewma *e, double rate, double dt_s)
{
    if (!(dt_s > 0))
        return e->value;
    if (!e->primed) {
        e->value = rate;
        e->primed = true;
    } else {
        e->value += (rate - e->value) * (1 - exp(-dt_s / e->tau_s));
    }
    return e->value;
}

void
gr_rate_trailing_mean(const double *t, const double *rate, size_t n, double window_s, double *out)
{
    double sum = 0, weight = 0; /* rate * dt and dt over samples lo..i */
    size_t lo = 0;
    for (size_t i = 0; i < n; i++) {
        double dt = t[i] - (i ? t[i - 1] : 0);
        if (dt < 0)
            dt = 0;
        sum += rate[i] * dt;
        weight += dt;
        while (lo < i && t[lo] <= t[i] - window_s) {
            double dlo = t[lo] - (lo ? t[lo - 1] : 0);
            if (dlo > 0) {
                sum -= rate[lo] * dlo;
                weight -= dlo;
            }
            lo++;
        }
        out[i] = weight > 1e-12 ? sum / weight : rate[i];
    }
}
