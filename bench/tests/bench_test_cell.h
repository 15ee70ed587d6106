/*
 * bench_test_cell.h - the small cell the bench tests run: a few
 * milliseconds over 2,000 hot keys, so a test exercises every target's
 * code path without measuring anything.
 */
#ifndef GEORACE_BENCH_TEST_CELL_H
#define GEORACE_BENCH_TEST_CELL_H

#include "georace/bench_cache.h"

static inline gr_bench_cell
tiny_cell(const char *target, gr_bench_mix mix, unsigned threads)
{
    gr_bench_cell c = {.target = target,
                       .mix = mix,
                       .threads = threads,
                       .duration_ns = 5000000,
                       .keys = 2000,
                       .zipf_s = 1.0,
                       .reset_ns = 500000,
                       .seed = 1};
    return c;
}

#endif
