/*
 * test_lru.c - the LRU reference of 'bench hit-ratio' against a brute-force
 * model (an array kept in recency order, searched linearly) on random
 * streams over small key sets, at every small capacity: every get's
 * answer, every length, and what is left at the end must agree.
 */
#include <stdint.h>
#include <string.h>

#include "georace/lru.h"
#include "georace/rng.h"
#include "gr_test.h"

#define MODEL_MAX 16

struct model {
    gr_ip keys[MODEL_MAX]; /* [0] most recent */
    gr_country vals[MODEL_MAX];
    size_t len, cap;
};

static int
model_find(const struct model *m, const gr_ip *k)
{
    for (size_t i = 0; i < m->len; i++)
        if (gr_ip_equal(&m->keys[i], k))
            return (int)i;
    return -1;
}

/* Move entry i to the front. */
static void
model_touch(struct model *m, size_t i)
{
    gr_ip k = m->keys[i];
    gr_country v = m->vals[i];
    memmove(&m->keys[1], &m->keys[0], i * sizeof k);
    memmove(&m->vals[1], &m->vals[0], i * sizeof v);
    m->keys[0] = k;
    m->vals[0] = v;
}

static bool
model_get(struct model *m, const gr_ip *k, gr_country *out)
{
    int i = model_find(m, k);
    if (i < 0)
        return false;
    model_touch(m, (size_t)i);
    *out = m->vals[0];
    return true;
}

static void
model_put(struct model *m, const gr_ip *k, gr_country v)
{
    int i = model_find(m, k);
    if (i < 0) {
        if (m->len < m->cap)
            m->len++;
        i = (int)m->len - 1; /* a new slot, or the least recent one, dropped */
        m->keys[i] = *k;
    }
    m->vals[i] = v;
    model_touch(m, (size_t)i);
}

static gr_ip
key_of(unsigned i)
{
    gr_ip ip;
    gr_ip_from_v4(0xc0a80000u + i, &ip);
    return ip;
}

static void
test_lru_agrees_with_a_brute_force_model_on_random_streams(void)
{
    uint64_t rng = 42;
    unsigned mismatches = 0, hits = 0, evicting_hits = 0;
    for (size_t cap = 1; cap <= 8; cap++) {
        for (unsigned universe = 2; universe <= 20; universe += 3) {
            gr_cache *c = NULL;
            struct model m = {.cap = cap};
            CU_ASSERT_EQUAL_FATAL(gr_lru_create(cap, &c), GR_CACHE_OK);
            for (unsigned op = 0; op < 4000; op++) {
                uint64_t r = gr_rng_splitmix64(&rng);
                gr_ip k = key_of((unsigned)(r % universe));
                if ((r >> 32) % 3) { /* get, and put on a miss, as the resolver does */
                    gr_country a = 0, b = 0;
                    bool ha = gr_cache_get(c, &k, &a), hb = model_get(&m, &k, &b);
                    mismatches += ha != hb || a != b;
                    hits += ha;
                    evicting_hits += ha && universe > cap;
                    if (!ha)
                        gr_cache_put(c, &k, (gr_country)(op + 1)),
                            model_put(&m, &k, (gr_country)(op + 1));
                } else { /* a put of a key that may be present: new value, most recent */
                    gr_cache_put(c, &k, (gr_country)(op + 1));
                    model_put(&m, &k, (gr_country)(op + 1));
                }
                mismatches += gr_cache_len(c) != m.len;
            }
            for (unsigned i = 0; i < universe; i++) { /* what is left, in any order */
                gr_ip k = key_of(i);
                gr_country a = 0;
                mismatches += gr_cache_get(c, &k, &a) != (model_find(&m, &k) >= 0);
            }
            gr_cache_destroy(c);
        }
    }
    CU_ASSERT_EQUAL(mismatches, 0);
    CU_ASSERT(hits > 0);
    CU_ASSERT(evicting_hits > 0); /* the streams did evict and still hit */
}

static void
test_lru_holds_capacity_and_memory_fixed_and_clear_empties(void)
{
    gr_cache *c = NULL;
    CU_ASSERT_EQUAL_FATAL(gr_lru_create(1000, &c), GR_CACHE_OK);
    size_t mem = gr_cache_mem_bytes(c);
    for (unsigned i = 0; i < 5000; i++) {
        gr_ip k = key_of(i);
        gr_cache_put(c, &k, 1);
    }
    CU_ASSERT_EQUAL(gr_cache_len(c), 1000);
    CU_ASSERT_EQUAL(gr_cache_mem_bytes(c), mem);
    gr_ip newest = key_of(4999), oldest = key_of(4000), dropped = key_of(3999);
    gr_country v;
    CU_ASSERT(gr_cache_get(c, &newest, &v));
    CU_ASSERT(gr_cache_get(c, &oldest, &v));
    CU_ASSERT(!gr_cache_get(c, &dropped, &v));
    gr_cache_clear(c);
    CU_ASSERT_EQUAL(gr_cache_len(c), 0);
    CU_ASSERT(!gr_cache_get(c, &newest, &v));
    gr_cache_put(c, &newest, 7);
    CU_ASSERT(gr_cache_get(c, &newest, &v) && v == 7);
    gr_cache_destroy(c);
}

static void
test_lru_rejects_capacities_out_of_range(void)
{
    gr_cache *c = (gr_cache *)&c;
    CU_ASSERT_EQUAL(gr_lru_create(0, &c), GR_CACHE_EARG);
    CU_ASSERT_PTR_NULL(c);
    CU_ASSERT_EQUAL(gr_lru_create(((size_t)1 << 30) + 1, &c), GR_CACHE_EARG);
}

static CU_TestInfo tests[] = {GR_TEST(test_lru_agrees_with_a_brute_force_model_on_random_streams),
                              GR_TEST(test_lru_holds_capacity_and_memory_fixed_and_clear_empties),
                              GR_TEST(test_lru_rejects_capacities_out_of_range), GR_TEST_END};

GR_TEST_MAIN("lru", tests, NULL, NULL)
