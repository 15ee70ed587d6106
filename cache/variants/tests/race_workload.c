/*
 * race_workload.c - one concurrent workload for every cache variant.
 *
 * Used by the ThreadSanitizer verdicts (tsan preset), the ASan/LSan runs
 * (asan preset) and the answer check (default preset). Per wave, N worker
 * threads (default 4, on however many cores) read and fill one cache the
 * way the resolver does - get, and on a miss put the right answer - over a
 * hot key set (hits) and an ever-growing cold range (misses, growth), while
 * a ticker thread clears the cache on a short interval. A second wave of
 * fresh threads repeats it, so per-thread state (EBR records) is released
 * and adopted.
 *
 * For "bounded" the capacity is small (256 entries, --capacity, given as
 * the byte budget of its footprint; 4 shards of 64) so that the hot set
 * does not fit: entries are evicted from both
 * queues, the ghost ring wraps, and hot keys dropped unused come back
 * through it.
 *
 * For "syncmap" the wave also runs threads that drive the whole sync.Map
 * API on a second map with a small key set, so entries are deleted,
 * expunged, unexpunged and promoted all the time, and Range runs while
 * others Store.
 *
 * Every value is a function of its key, so any answer can be checked: a
 * wrong answer from a fixed variant is a failure (exit 1). Bounded by
 * --ops per thread and --seconds overall.
 *
 *   race_workload VARIANT [--threads N] [--ops N] [--seconds S] [--waves W]
 *                         [--reset-us U] [--capacity N]
 */
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "georace/clock.h"
#include "georace/cache.h"
#include "syncmap.h"

struct gr_wl {
    gr_cache *cache;
    gr_syncmap *api; /* syncmap only: the full-API map */
    unsigned threads;
    uint64_t ops;
    uint64_t deadline_ns;
    uint64_t reset_us;
    _Atomic bool done;
    _Atomic uint64_t mismatches;
    _Atomic uint64_t hits, misses, clears;
};

struct gr_wl_thread {
    struct gr_wl *wl;
    unsigned id;
    pthread_t tid;
};

static uint64_t
gr_wl_rand(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void
gr_wl_key(uint64_t idx, gr_ip *ip)
{
    gr_ip_from_v4((uint32_t)(0x0b000000u + idx), ip);
}

static gr_country
gr_wl_country(uint64_t idx)
{
    return (gr_country)(('A' + idx % 26) << 8 | ('A' + idx / 26 % 26));
}

static void *
gr_wl_cache_worker(void *arg)
{
    struct gr_wl_thread *t = arg;
    struct gr_wl *wl = t->wl;
    uint64_t s = 0x9e3779b97f4a7c15ULL * (t->id + 1), cold = 0, hits = 0, misses = 0;
    for (uint64_t i = 0; i < wl->ops; i++) {
        if ((i & 1023) == 0 && gr_clock_now_ns() > wl->deadline_ns)
            break;
        uint64_t r = gr_wl_rand(&s), idx;
        if (r % 100 < 60)
            idx = (r >> 8) % 512; /* hot: shared by every thread */
        else
            idx = 1000000u * (t->id + 1) + cold++; /* cold: new keys, growth */
        gr_ip key;
        gr_country c = 0;
        gr_wl_key(idx, &key);
        if (gr_cache_get(wl->cache, &key, &c)) {
            hits++;
            if (c != gr_wl_country(idx))
                atomic_fetch_add(&wl->mismatches, 1);
        } else {
            misses++;
            gr_cache_put(wl->cache, &key, gr_wl_country(idx));
        }
        if ((i & 4095) == 4095)
            (void)(gr_cache_len(wl->cache) + gr_cache_mem_bytes(wl->cache));
    }
    atomic_fetch_add(&wl->hits, hits);
    atomic_fetch_add(&wl->misses, misses);
    return NULL;
}

/* Values of the API map are key + 1024 * version: checkable. */
static bool
gr_wl_value_ok(uint64_t idx, uintptr_t v)
{
    return v % 1024 == idx % 1024;
}

struct gr_wl_range {
    struct gr_wl *wl;
    gr_syncmap *m;
    unsigned char seen[64 + 4096];
};

static bool
gr_wl_range_fn(const gr_ip *key, uintptr_t value, void *ctx)
{
    struct gr_wl_range *rc = ctx;
    uint64_t idx = gr_ip_v4(key) - 0x0b000000u;
    if (idx >= 64 + 4096 || !gr_wl_value_ok(idx, value) || rc->seen[idx]++)
        atomic_fetch_add(&rc->wl->mismatches, 1);
    if (idx == 5) { /* Range callbacks may call back into the map */
        uintptr_t v;
        if (gr_syncmap_load(rc->m, key, &v) && !gr_wl_value_ok(idx, v))
            atomic_fetch_add(&rc->wl->mismatches, 1);
    }
    return (value & 2048) == 0 || idx < 32; /* sometimes stop early */
}

static void *
gr_wl_api_worker(void *arg)
{
    struct gr_wl_thread *t = arg;
    struct gr_wl *wl = t->wl;
    gr_syncmap *m = wl->api;
    uint64_t s = 0x2545f4914f6cdd1dULL * (t->id + 7);
    uint64_t bad = 0;
    for (uint64_t i = 0; i < wl->ops; i++) {
        if ((i & 1023) == 0 && gr_clock_now_ns() > wl->deadline_ns)
            break;
        uint64_t r = gr_wl_rand(&s), idx = (r >> 8) % 64;
        uintptr_t v = idx + 1024 * ((r >> 16) % 64), got = 0;
        gr_ip key;
        gr_wl_key(idx, &key);
        switch (r % 23) {
        case 0:
        case 1:
        case 2:
        case 3:
        case 4:
        case 5:
            bad += gr_syncmap_load(m, &key, &got) && !gr_wl_value_ok(idx, got);
            break;
        case 6:
        case 7:
            gr_syncmap_store(m, &key, v);
            break;
        case 8:
        case 9:
            bad += !gr_wl_value_ok(idx, (gr_syncmap_load_or_store(m, &key, v, &got), got));
            break;
        case 10:
        case 11:
            bad += gr_syncmap_load_and_delete(m, &key, &got) && !gr_wl_value_ok(idx, got);
            break;
        case 12:
            gr_syncmap_delete(m, &key);
            break;
        case 13:
        case 14:
            bad += gr_syncmap_swap(m, &key, v, &got) && !gr_wl_value_ok(idx, got);
            break;
        case 15:
        case 16:
            if (gr_syncmap_load(m, &key, &got))
                (void)gr_syncmap_compare_and_swap(m, &key, got, v);
            else
                (void)gr_syncmap_compare_and_swap(m, &key, v, v + 1024);
            break;
        case 17:
        case 18:
            if (gr_syncmap_load(m, &key, &got))
                (void)gr_syncmap_compare_and_delete(m, &key, got);
            else
                (void)gr_syncmap_compare_and_delete(m, &key, v);
            break;
        case 19: {
            struct gr_wl_range rc = {.wl = wl, .m = m};
            gr_syncmap_range(m, gr_wl_range_fn, &rc);
            break;
        }
        case 20:
            /* new keys beyond the small set: amend the dirty map */
            idx = 64 + (r >> 20) % 4096;
            gr_wl_key(idx, &key);
            gr_syncmap_store(m, &key, idx);
            gr_syncmap_delete(m, &key);
            break;
        case 21:
            if ((r >> 32) % 64 == 0)
                gr_syncmap_clear(m);
            break;
        default:
            (void)(gr_syncmap_len(m) + gr_syncmap_mem_bytes(m));
            break;
        }
    }
    atomic_fetch_add(&wl->mismatches, bad);
    return NULL;
}

static void *
gr_wl_ticker(void *arg)
{
    struct gr_wl *wl = arg;
    struct timespec ts = {0, (long)(wl->reset_us * 1000)};
    while (!atomic_load(&wl->done)) {
        nanosleep(&ts, NULL);
        gr_cache_clear(wl->cache);
        atomic_fetch_add(&wl->clears, 1);
    }
    return NULL;
}

static int
gr_wl_usage(FILE *f)
{
    fprintf(f, "usage: race_workload VARIANT [--threads N] [--ops N] [--seconds S] [--waves W] "
               "[--reset-us U] [--capacity N]\n");
    return f == stdout ? 0 : 2;
}

int
main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"threads", required_argument, NULL, 't'},  {"ops", required_argument, NULL, 'o'},
        {"seconds", required_argument, NULL, 's'},  {"waves", required_argument, NULL, 'w'},
        {"reset-us", required_argument, NULL, 'r'}, {"capacity", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0}};
    unsigned threads = 4, waves = 2;
    uint64_t ops = 100000, seconds = 20, reset_us = 500, capacity = 256;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 't':
            threads = (unsigned)strtoul(optarg, NULL, 10);
            break;
        case 'o':
            ops = strtoull(optarg, NULL, 10);
            break;
        case 's':
            seconds = strtoull(optarg, NULL, 10);
            break;
        case 'w':
            waves = (unsigned)strtoul(optarg, NULL, 10);
            break;
        case 'r':
            reset_us = strtoull(optarg, NULL, 10);
            break;
        case 'c':
            capacity = strtoull(optarg, NULL, 10);
            break;
        case 'h':
            return gr_wl_usage(stdout);
        default:
            return gr_wl_usage(stderr);
        }
    }
    if (optind + 1 != argc || threads < 1 || threads > 64 || waves < 1 || reset_us < 1)
        return gr_wl_usage(stderr);
    const char *variant = argv[optind];

    struct gr_wl wl = {.threads = threads, .ops = ops, .reset_us = reset_us};
    gr_cache_config cfg;
    gr_cache_config_default(&cfg);
    cfg.detector = false; /* gomap: let TSan, not the detector, see the race */
    cfg.stripes = 3;      /* bad input first: not a power of two */
    if (!strcmp(variant, "sharded") && gr_cache_create(variant, &cfg, &wl.cache) != GR_CACHE_EARG)
        return 1;
    cfg.stripes = 0;                /* the default */
    cfg.capacity = (size_t)1 << 31; /* bad input first: over the limit */
    if (!strcmp(variant, "bounded") && gr_cache_create(variant, &cfg, &wl.cache) != GR_CACHE_EARG)
        return 1;
    cfg.capacity = 0; /* bounded only: the capacity as a byte budget, its footprint */
    cfg.capacity_bytes = gr_bounded_footprint(&cfg, (size_t)capacity);
    if (!strcmp(variant, "bounded") &&
        gr_bounded_capacity_for_bytes(&cfg, cfg.capacity_bytes) != (size_t)capacity)
        return 1;
    int rc = gr_cache_create(variant, &cfg, &wl.cache);
    if (rc) {
        fprintf(stderr, "race_workload: %s: %s\n", variant, gr_cache_strerror(rc));
        return 2;
    }
    gr_syncmap api;
    bool with_api = !strcmp(variant, "syncmap");
    if (with_api) {
        if (gr_syncmap_init(&api))
            return 2;
        gr_ebr_set_collect_every(api.ebr, 1); /* frees as close behind readers as EBR allows */
        wl.api = &api;
    }
    wl.deadline_ns = gr_clock_now_ns() + seconds * 1000000000u;

    unsigned n = threads + (with_api ? 2 : 0);
    struct gr_wl_thread *ts = calloc(n, sizeof *ts);
    for (unsigned w = 0; w < waves; w++) {
        pthread_t ticker;
        atomic_store(&wl.done, false);
        pthread_create(&ticker, NULL, gr_wl_ticker, &wl);
        for (unsigned i = 0; i < n; i++) {
            ts[i] = (struct gr_wl_thread){.wl = &wl, .id = w * n + i};
            pthread_create(&ts[i].tid, NULL, i < threads ? gr_wl_cache_worker : gr_wl_api_worker,
                           &ts[i]);
        }
        for (unsigned i = 0; i < n; i++)
            pthread_join(ts[i].tid, NULL);
        atomic_store(&wl.done, true);
        pthread_join(ticker, NULL);
    }
    free(ts);

    uint64_t bad = atomic_load(&wl.mismatches);
    printf("race_workload %s: threads=%u waves=%u hits=%" PRIu64 " misses=%" PRIu64
           " clears=%" PRIu64 " len=%zu mem=%zu wrong=%" PRIu64 "\n",
           variant, n, waves, atomic_load(&wl.hits), atomic_load(&wl.misses),
           atomic_load(&wl.clears), gr_cache_len(wl.cache), gr_cache_mem_bytes(wl.cache), bad);
    if (with_api) {
        printf("race_workload syncmap api: len=%zu epoch=%" PRIu64 "\n", gr_syncmap_len(&api),
               gr_ebr_epoch(api.ebr));
        gr_syncmap_destroy(&api);
    }
    gr_cache_destroy(wl.cache);
    if (bad && !gr_cache_variant_is_buggy(variant)) {
        fprintf(stderr, "race_workload %s: %" PRIu64 " wrong answers\n", variant, bad);
        return 1;
    }
    return 0;
}
