/*
 * histogram.h - a small HDR-style log-linear latency histogram.
 *
 * Values (nanoseconds) below 2^GR_HIST_SUB_BITS are counted exactly; above,
 * each power of two is split into 2^GR_HIST_SUB_BITS equal sub-buckets, so
 * any recorded value is reported within 1/32 (about 3%) of itself, from
 * 1 ns up to about 39 hours, in a fixed array of counters. Not thread-safe:
 * one histogram per thread, merged at the end.
 */
#ifndef GEORACE_HISTOGRAM_H
#define GEORACE_HISTOGRAM_H

#include <stdint.h>

#define GR_HIST_SUB_BITS 5
#define GR_HIST_MAX_EXP 47 /* values >= 2^47 ns are clamped */
#define GR_HIST_BUCKETS ((GR_HIST_MAX_EXP - GR_HIST_SUB_BITS + 2) << GR_HIST_SUB_BITS)

typedef struct gr_hist {
    uint64_t count;
    uint64_t min, max;
    double sum;
    uint64_t buckets[GR_HIST_BUCKETS];
} gr_hist;

void gr_hist_init(gr_hist *h);
void gr_hist_record(gr_hist *h, uint64_t value);
void gr_hist_merge(gr_hist *into, const gr_hist *from);
/* The value at quantile q (0..1), e.g. 0.999; 0 for an empty histogram. */
uint64_t gr_hist_quantile(const gr_hist *h, double q);
double gr_hist_mean(const gr_hist *h);
/* Bucket index of a value and the representative value of a bucket (for tests). */
unsigned gr_hist_index(uint64_t value);
uint64_t gr_hist_bucket_value(unsigned index);

#endif
