/*
 * histogram.c - log-linear bucketing (see histogram.h).
 *
 * A value v >= 2^S (S = GR_HIST_SUB_BITS) has its highest set bit at e >= S;
 * the S bits just below it pick the sub-bucket. Index = (e - S + 1) * 2^S +
 * sub, which continues seamlessly after the 2^S exact buckets of small
 * values. A bucket reports its midpoint, so the error is at most half a
 * sub-bucket width: 2^(e-S-1) <= v / 2^(S+1).
 */
#include <string.h>

#include "georace/histogram.h"

#define GR_HIST_SUB (1u << GR_HIST_SUB_BITS)

void
gr_hist_init(gr_hist *h)
{
    memset(h, 0, sizeof *h);
    h->min = UINT64_MAX;
}

unsigned
gr_hist_index(uint64_t v)
{
    if (v < GR_HIST_SUB)
        return (unsigned)v;
    unsigned e = 63u - (unsigned)__builtin_clzll(v);
    if (e > GR_HIST_MAX_EXP) {
        e = GR_HIST_MAX_EXP;
        v = (2ull << GR_HIST_MAX_EXP) - 1;
    }
    unsigned sub = (unsigned)(v >> (e - GR_HIST_SUB_BITS)) & (GR_HIST_SUB - 1);
    return (e - GR_HIST_SUB_BITS + 1) * GR_HIST_SUB + sub;
}

uint64_t
gr_hist_bucket_value(unsigned i)
{
    if (i < GR_HIST_SUB)
        return i;
    unsigned e = i / GR_HIST_SUB + GR_HIST_SUB_BITS - 1;
    uint64_t sub = i % GR_HIST_SUB;
    uint64_t width = 1ull << (e - GR_HIST_SUB_BITS);
    uint64_t low = (1ull << e) + sub * width;
    return low + width / 2;
}

void
gr_hist_record(gr_hist *h, uint64_t v)
{
    h->buckets[gr_hist_index(v)]++;
    h->count++;
    h->sum += (double)v;
    if (v < h->min)
        h->min = v;
    if (v > h->max)
        h->max = v;
}

void
gr_hist_merge(gr_hist *into, const gr_hist *from)
{
    for (unsigned i = 0; i < GR_HIST_BUCKETS; i++)
        into->buckets[i] += from->buckets[i];
    into->count += from->count;
    into->sum += from->sum;
    if (from->min < into->min)
        into->min = from->min;
    if (from->max > into->max)
        into->max = from->max;
}

uint64_t
gr_hist_quantile(const gr_hist *h, double q)
{
    if (h->count == 0)
        return 0;
    if (q <= 0)
        return h->min;
    if (q >= 1)
        return h->max;
    /* The smallest value with at least ceil(q * count) values at or below it. */
    uint64_t rank = (uint64_t)(q * (double)h->count);
    if ((double)rank < q * (double)h->count)
        rank++;
    if (rank == 0)
        rank = 1;
    uint64_t seen = 0;
    for (unsigned i = 0; i < GR_HIST_BUCKETS; i++) {
        seen += h->buckets[i];
        if (seen >= rank) {
            uint64_t v = gr_hist_bucket_value(i);
            return v < h->min ? h->min : v > h->max ? h->max : v;
        }
    }
    return h->max;
}

double
gr_hist_mean(const gr_hist *h)
{
    return h->count ? h->sum / (double)h->count : 0.0;
}
