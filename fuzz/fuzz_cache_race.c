/*
 * fuzz_cache_race.c - concurrent operation programs against one cache,
 * for ThreadSanitizer (and ASan) to judge.
 *
 * The input decodes to 2..4 per-thread programs of cache operations plus
 * scheduling hints (yield, spin), run concurrently on one cache instance of
 * the selected variant(s). Oracles:
 *   - the sanitizer: under TSan, any unsynchronized pair of accesses is a
 *     report (gomap and syncmap+naive-reset must produce one; the fixed
 *     variants must never); under ASan, use-after-free of retired snapshots,
 *     entries or map arrays is a report;
 *   - values: every key k only ever receives the value f(k), so any hit that
 *     returns another value is a torn or misplaced entry, and after the join
 *     len() cannot exceed the number of distinct keys put.
 *
 * Synchronization argument of the harness itself: threads are created and
 * joined (happens-before edges TSan knows), and they start together through
 * a gate of RELAXED atomics - relaxed operations create no happens-before,
 * so the gate lines the programs up in time without hiding any race between
 * them from TSan. The harness shares nothing else between threads.
 *
 * Variant selection (environment):
 *   GEORACE_FUZZ_VARIANT   a variant name, or "fixed" (default): every
 *                          variant not flagged buggy, one after the other
 *   GEORACE_FUZZ_DETECTOR  1 turns gomap's hashWriting detector on (default
 *                          off, so TSan, not the Go-style exit, reports)
 *
 * Input layout: byte 0 picks the thread count (2 + b % 3); then ops of two
 * bytes [op][key]: thread = (op >> 6) % threads, kind = (op & 63) % 12:
 *   0-3 put   4-5 get   6 clear   7 yield   8 spin (key * 4 iterations)
 *   9 len     10-11 put 8 consecutive keys.
 * Programs are capped at FZ_RACE_MAX_OPS ops per thread.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_input.h"
#include "georace/cache.h"

#if defined(GEORACE_FUZZ_LIBFUZZER_TSAN)
/*
 * Under libFuzzer + TSan (ci/fuzz.sh --tsan), clang 14 instruments the
 * coverage counters (-fsanitize-coverage=inline-8bit-counters) with plain
 * byte increments that TSan sees: every function entered by two threads is
 * a "race" on the counter section, whose nearest symbol is __TMC_END__. The
 * suppression names only that location, so races on the caches' own heap
 * and globals are still reported. (trace-pc-guard, which would avoid the
 * stores, is no longer accepted by libFuzzer.) Not compiled elsewhere.
 */
const char *__tsan_default_suppressions(void);
/* Called while TSan initializes: must not be instrumented itself. */
__attribute__((disable_sanitizer_instrumentation)) const char *
__tsan_default_suppressions(void)
{
    return "race:__TMC_END__\n";
}
#endif

#define FZ_RACE_MAX_THREADS 4
#define FZ_RACE_MAX_OPS 256
#define FZ_RACE_MAX_VARIANTS 16

typedef struct fz_race_op {
    uint8_t kind, key;
} fz_race_op;

typedef struct fz_race_thread {
    pthread_t tid;
    gr_cache *cache;
    const char *variant;
    bool is_none;
    fz_race_op ops[FZ_RACE_MAX_OPS];
    int n_ops;
    atomic_uint *gate;
    unsigned n_threads;
} fz_race_thread;

static gr_ip
fz_race_key(uint8_t k)
{
    gr_ip ip;
    gr_ip_from_v4(0x0a000000u | k, &ip);
    return ip;
}

/* The only value key k is ever given. */
static gr_country
fz_race_value(uint8_t k)
{
    return (gr_country)(('A' + k % 26) << 8 | ('A' + (k / 26) % 26));
}

static void
fz_race_check_hit(const fz_race_thread *t, uint8_t k, bool hit, gr_country got)
{
    if (!hit)
        return;
    FZ_CHECK(!t->is_none, "%s: a hit without a cache", t->variant);
    FZ_CHECK(got == fz_race_value(k), "%s: key %u read %04x, only %04x was ever put", t->variant, k,
             got, fz_race_value(k));
}

static void *
fz_race_run(void *arg)
{
    fz_race_thread *t = arg;
    /* Start gate, relaxed on purpose: see the header comment. */
    atomic_fetch_add_explicit(t->gate, 1, memory_order_relaxed);
    while (atomic_load_explicit(t->gate, memory_order_relaxed) < t->n_threads)
        sched_yield();

    for (int i = 0; i < t->n_ops; i++) {
        uint8_t k = t->ops[i].key;
        gr_ip key = fz_race_key(k);
        gr_country got = 0;
        switch (t->ops[i].kind) {
        case 0:
        case 1:
        case 2:
        case 3:
            gr_cache_put(t->cache, &key, fz_race_value(k));
            break;
        case 4:
        case 5: {
            bool hit = gr_cache_get(t->cache, &key, &got);
            fz_race_check_hit(t, k, hit, got);
            break;
        }
        case 6:
            gr_cache_clear(t->cache);
            break;
        case 7:
            sched_yield();
            break;
        case 8:
            for (unsigned spin = 0; spin < k * 4u; spin++)
                atomic_signal_fence(memory_order_seq_cst); /* compiler-only: keeps the delay */
            break;
        case 9:
            (void)gr_cache_len(t->cache);
            break;
        default:
            for (uint8_t j = 0; j < 8; j++) {
                gr_ip kk = fz_race_key((uint8_t)(k + j));
                gr_cache_put(t->cache, &kk, fz_race_value((uint8_t)(k + j)));
            }
            break;
        }
    }
    return NULL;
}

static fz_race_thread fz_race_threads[FZ_RACE_MAX_THREADS];

static void
fz_race_one_variant(const char *variant, const uint8_t *data, size_t size)
{
    gr_cache_config cfg;
    gr_cache_config_default(&cfg);
    const char *det = getenv("GEORACE_FUZZ_DETECTOR");
    cfg.detector = det && det[0] == '1';
    gr_cache *cache = NULL;
    int rc = gr_cache_create(variant, &cfg, &cache);
    FZ_CHECK(rc == GR_CACHE_OK && cache, "cannot create variant '%s' (%d)", variant, rc);

    fz_in in = fz_in_make(data, size);
    unsigned nt = 2 + fz_u8(&in) % 3;
    bool put_keys[256] = {false};
    for (unsigned i = 0; i < nt; i++)
        fz_race_threads[i].n_ops = 0;
    while (in.n >= 2) {
        uint8_t op = fz_u8(&in), key = fz_u8(&in);
        fz_race_thread *t = &fz_race_threads[(op >> 6) % nt];
        if (t->n_ops == FZ_RACE_MAX_OPS)
            continue;
        uint8_t kind = (uint8_t)((op & 63) % 12);
        t->ops[t->n_ops++] = (fz_race_op){kind, key};
        if (kind <= 3)
            put_keys[key] = true;
        else if (kind >= 10)
            for (uint8_t j = 0; j < 8; j++)
                put_keys[(uint8_t)(key + j)] = true;
    }

    atomic_uint gate;
    atomic_init(&gate, 0);
    for (unsigned i = 0; i < nt; i++) {
        fz_race_thread *t = &fz_race_threads[i];
        t->cache = cache;
        t->variant = variant;
        t->is_none = !strcmp(variant, "none");
        t->gate = &gate;
        t->n_threads = nt;
        FZ_CHECK(pthread_create(&t->tid, NULL, fz_race_run, t) == 0, "pthread_create");
    }
    for (unsigned i = 0; i < nt; i++)
        FZ_CHECK(pthread_join(fz_race_threads[i].tid, NULL) == 0, "pthread_join");

    /* After the join: a quiescent cache holds only values that were put. */
    size_t distinct = 0;
    for (unsigned k = 0; k < 256; k++) {
        distinct += put_keys[k];
        gr_ip key = fz_race_key((uint8_t)k);
        gr_country got = 0;
        bool hit = gr_cache_get(cache, &key, &got);
        FZ_CHECK(!hit || put_keys[k], "%s: key %u present but never put", variant, k);
        fz_race_check_hit(&fz_race_threads[0], (uint8_t)k, hit, got);
    }
    size_t len = gr_cache_len(cache);
    FZ_CHECK(len <= distinct, "%s: len %zu after the join, only %zu keys were put", variant, len,
             distinct);
    gr_cache_destroy(cache);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 2 * FZ_RACE_MAX_THREADS * FZ_RACE_MAX_OPS + 1)
        return 0;
    const char *which = getenv("GEORACE_FUZZ_VARIANT");
    if (which && *which && strcmp(which, "fixed") != 0) {
        fz_race_one_variant(which, data, size);
        return 0;
    }
    int ran = 0;
    for (const char *const *n = gr_cache_variant_names(); *n; n++) {
        if (gr_cache_variant_is_buggy(*n))
            continue;
        fz_race_one_variant(*n, data, size);
        ran++;
    }
    FZ_CHECK(ran > 0, "no fixed variant registered");
    return 0;
}
