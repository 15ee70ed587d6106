/*
 * floor.c - the physical floor of 'bench cache': what one hit costs on a
 * plain open-addressing table with no synchronisation at all.
 *
 * The table is the simplest that does the work of a cache hit: slots of
 * {16-byte key, hash, value}, linear probing, at most half full, hashed
 * with the hash every variant uses (gr_ip_hash). As a target ('floor') it
 * is filled by the prefill and then sealed: from then on it is only read,
 * which any number of threads may do without synchronising, and a put is
 * dropped (so its hit ratio under the mixes with misses stays at the
 * prefill's, and its read-mostly cells are the limit for this workload).
 * gr_bench_floor_note measures the same table holding few enough keys to
 * stay in the first-level caches: the cost of a hit once memory is out of
 * the picture.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "georace/rng.h"
#include "target.h"

struct gr_bench_floor_slot {
    gr_ip key;
    uint64_t hash; /* 0: empty */
    uint64_t value;
};

struct gr_bench_floor {
    struct gr_bench_floor_slot *slots;
    size_t mask, len;
    uint64_t seed;
    bool sealed;
};

static uint64_t
gr_bench_floor_hash(const struct gr_bench_floor *f, const gr_ip *key)
{
    uint64_t h = gr_ip_hash(key, f->seed);
    return h ? h : 1;
}

static bool
gr_bench_floor_init(struct gr_bench_floor *f, size_t keys, uint64_t seed)
{
    size_t cap = 16;
    while (cap < 2 * keys)
        cap <<= 1;
    f->slots = calloc(cap, sizeof *f->slots);
    f->mask = cap - 1;
    f->len = 0;
    f->seed = seed;
    f->sealed = false;
    return f->slots != NULL;
}

static bool
gr_bench_floor_get(void *ctx, const gr_ip *key, gr_country *out)
{
    const struct gr_bench_floor *f = ctx;
    uint64_t h = gr_bench_floor_hash(f, key);
    for (size_t i = h & f->mask;; i = (i + 1) & f->mask) {
        const struct gr_bench_floor_slot *s = &f->slots[i];
        if (s->hash == 0)
            return false;
        if (s->hash == h && !memcmp(&s->key, key, sizeof *key)) {
            *out = (gr_country)s->value;
            return true;
        }
    }
}

static void
gr_bench_floor_put(void *ctx, const gr_ip *key, gr_country value)
{
    struct gr_bench_floor *f = ctx;
    if (f->sealed || 2 * (f->len + 1) > f->mask + 1)
        return; /* read only from now on, or full */
    uint64_t h = gr_bench_floor_hash(f, key);
    size_t i = h & f->mask;
    for (; f->slots[i].hash; i = (i + 1) & f->mask)
        if (f->slots[i].hash == h && !memcmp(&f->slots[i].key, key, sizeof *key))
            break;
    if (!f->slots[i].hash)
        f->len++;
    f->slots[i] = (struct gr_bench_floor_slot){.key = *key, .hash = h, .value = value};
}

static void *
gr_bench_floor_open(const gr_bench_cell *cell, char *err, size_t cap)
{
    struct gr_bench_floor *f = calloc(1, sizeof *f);
    if (!f || !gr_bench_floor_init(f, cell->keys, cell->seed)) {
        free(f);
        snprintf(err, cap, "floor: out of memory");
        return NULL;
    }
    return f;
}

static void
gr_bench_floor_seal(void *ctx)
{
    ((struct gr_bench_floor *)ctx)->sealed = true;
}

static void
gr_bench_floor_clear(void *ctx)
{
    (void)ctx; /* read only: nothing to clear */
}

static size_t
gr_bench_floor_mem(void *ctx)
{
    const struct gr_bench_floor *f = ctx;
    return sizeof *f + (f->mask + 1) * sizeof *f->slots;
}

static void
gr_bench_floor_close(void *ctx)
{
    struct gr_bench_floor *f = ctx;
    free(f->slots);
    free(f);
}

const struct gr_bench_target gr_bench_floor_ops = {
    .open = gr_bench_floor_open,
    .thread_init = gr_bench_target_nop,
    .thread_fini = gr_bench_target_nop,
    .get = gr_bench_floor_get,
    .put = gr_bench_floor_put,
    .clear = gr_bench_floor_clear,
    .mem = gr_bench_floor_mem,
    .close = gr_bench_floor_close,
    .seal = gr_bench_floor_seal,
};

static uint64_t
gr_bench_floor_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#define GR_BENCH_FLOOR_KEYS 512
#define GR_BENCH_FLOOR_LOOKUPS (1u << 22)

/* CPU ns per hit on an in-cache table, one thread: the best of 5 passes
 * of 4M lookups over 512 keys (32 KiB of slots, index sequence
 * precomputed), timed with this thread's CPU clock so that time spent
 * descheduled on a loaded machine does not count. */
double
gr_bench_floor_in_cache_ns(size_t *table_bytes)
{
    struct gr_bench_floor f;
    gr_ip keys[GR_BENCH_FLOOR_KEYS];
    uint16_t *seq = malloc(GR_BENCH_FLOOR_LOOKUPS * sizeof *seq);
    if (!seq || !gr_bench_floor_init(&f, GR_BENCH_FLOOR_KEYS, 1)) {
        free(seq);
        return 0;
    }
    uint64_t s = 42;
    for (size_t i = 0; i < GR_BENCH_FLOOR_KEYS; i++) {
        gr_ip_from_v4((uint32_t)gr_rng_splitmix64(&s), &keys[i]);
        gr_bench_floor_put(&f, &keys[i], (gr_country)i);
    }
    for (size_t i = 0; i < GR_BENCH_FLOOR_LOOKUPS; i++)
        seq[i] = (uint16_t)(gr_rng_splitmix64(&s) % GR_BENCH_FLOOR_KEYS);
    double best = 0;
    unsigned long sum = 0;
    for (int pass = 0; pass < 5; pass++) {
        uint64_t t0 = gr_bench_floor_cpu_ns();
        for (size_t i = 0; i < GR_BENCH_FLOOR_LOOKUPS; i++) {
            gr_country c = 0;
            sum += gr_bench_floor_get(&f, &keys[seq[i]], &c) ? c : 1u;
        }
        double ns = (double)(gr_bench_floor_cpu_ns() - t0) / GR_BENCH_FLOOR_LOOKUPS;
        if (pass == 0 || ns < best)
            best = ns;
    }
    *table_bytes = (f.mask + 1) * sizeof *f.slots;
    free(f.slots);
    free(seq);
    return sum ? best : 0; /* sum is never 0: keeps the loop alive */
}
