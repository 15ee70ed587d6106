/*
 * test_seeds.c - hash seeds: every table the process creates gets a
 * different one (from getrandom), and a run that fixes the seeds gets the
 * same sequence each time it does so.
 */
#include <stdint.h>

#include "georace/cache.h"
#include "gr_test.h"
#include "variants.h"

#define N_SEEDS 64

static void
seeds_differ_for_every_table(void)
{
    uint64_t s[N_SEEDS];
    for (int i = 0; i < N_SEEDS; i++) {
        s[i] = gr_variant_seed();
        for (int j = 0; j < i; j++)
            CU_ASSERT_NOT_EQUAL(s[i], s[j]);
    }
}

static void
fixed_seeds_repeat_and_zero_returns_to_random(void)
{
    uint64_t a[N_SEEDS], b[N_SEEDS];
    gr_cache_fix_seeds(42);
    for (int i = 0; i < N_SEEDS; i++)
        a[i] = gr_variant_seed();
    gr_cache_fix_seeds(42);
    for (int i = 0; i < N_SEEDS; i++)
        b[i] = gr_variant_seed();
    for (int i = 0; i < N_SEEDS; i++)
        CU_ASSERT_EQUAL(a[i], b[i]);
    CU_ASSERT_NOT_EQUAL(a[0], a[1]);
    gr_cache_fix_seeds(0);
    int same = 0;
    for (int i = 0; i < N_SEEDS; i++)
        same += gr_variant_seed() == a[i];
    CU_ASSERT_EQUAL(same, 0);
}

static CU_TestInfo tests[] = {
    GR_TEST(seeds_differ_for_every_table),
    GR_TEST(fixed_seeds_repeat_and_zero_returns_to_random),
    GR_TEST_END,
};

GR_TEST_MAIN("seeds", tests, NULL, NULL)
