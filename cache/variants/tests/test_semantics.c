/*
 * test_semantics.c - every cache variant against a reference model, and
 * sync.Map's and Go map's documented behaviours.
 *
 *  - random single-thread get/put/clear/len sequences (>= 100k ops, fixed
 *    seeds) against an array model, for every variant;
 *  - sync.Map: the whole API against a model, promotion after enough
 *    misses, expunge on dirty rebuild, LoadOrStore on an expunged entry,
 *    Range while another thread Stores, CompareAndSwap/CompareAndDelete
 *    results, Len counting without promoting, EBR reclaiming what was
 *    retired, also after a thread died inside a critical section;
 *  - gomap: growth with incremental evacuation keeps every key; with the
 *    detector, two writers made to overlap in a child process die with Go's
 *    exact message and status 2, and so does a reader that overlaps a
 *    writer; without it the same overlap does not die. The overlap is made,
 *    not hoped for: gomap's window hook tells the child that the first
 *    writer is inside its write window and holds it there until the second
 *    access has returned (both waits bounded), so the child can say whether
 *    the overlap happened, and the no-detector test fails if it did not.
 *  - syncmap+naive-reset: the reset zeroes the map's mutex under its
 *    holder, and a second thread takes it (child process).
 *
 * The child processes re-execute this binary (argv[1] = "--child-...") so
 * they can run with their own sanitizer options: under TSan the overlap is
 * a data race by design, and the child must get to the detector.
 */
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ebr.h"
#include "georace/cache.h"
#include "georace/clock.h"
#include "gomap.h"
#include "gr_test.h"
#include "test_wait.h"
#include "hashmap.h"
#include "syncmap.h"
#include "syncmap_naive.h"

#define NKEYS 3000

static uint64_t
rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void
key_of(unsigned i, gr_ip *ip)
{
    if (i % 3 == 0) { /* some IPv6 keys too */
        memset(ip, 0, sizeof *ip);
        ip->b[0] = 0x20, ip->b[1] = 0x01, ip->b[14] = (uint8_t)(i >> 8), ip->b[15] = (uint8_t)i;
    } else {
        gr_ip_from_v4(0x01020000u + i * 7919u, ip);
    }
}

/* ---- every variant vs. a model ---- */

static void
run_model(const char *variant, unsigned stripes, uint64_t seed, unsigned ops, unsigned nkeys)
{
    gr_cache_config cfg;
    gr_cache *c = NULL;
    gr_cache_config_default(&cfg);
    cfg.stripes = stripes;
    CU_ASSERT_EQUAL_FATAL(gr_cache_create(variant, &cfg, &c), GR_CACHE_OK);
    gr_country *model = calloc(nkeys, sizeof *model);
    CU_ASSERT_PTR_NOT_NULL_FATAL(model);
    size_t len = 0;
    unsigned wrong = 0;
    bool none = !strcmp(variant, "none");
    for (unsigned i = 0; i < ops; i++) {
        uint64_t r = rnd(&seed);
        unsigned k = (unsigned)(r >> 16) % nkeys;
        gr_ip ip;
        key_of(k, &ip);
        unsigned op = (unsigned)(r % 1000);
        if (op < 550) {
            gr_country got = 0;
            bool hit = gr_cache_get(c, &ip, &got);
            if (hit != (!none && model[k] != 0) || (hit && got != model[k]))
                wrong++;
        } else if (op < 998) {
            gr_country v = (gr_country)(0x4141 + (r >> 40) % 500);
            gr_cache_put(c, &ip, v);
            if (!none) {
                len += model[k] == 0;
                model[k] = v;
            }
        } else if (op < 999) {
            gr_cache_clear(c);
            memset(model, 0, nkeys * sizeof *model);
            len = 0;
        } else {
            if (gr_cache_len(c) != len)
                wrong++;
            CU_ASSERT(gr_cache_mem_bytes(c) > 0);
        }
    }
    CU_ASSERT_EQUAL(wrong, 0);
    CU_ASSERT_EQUAL(gr_cache_len(c), len);
    if (wrong)
        fprintf(stderr, "\n%s: %u wrong answers\n", variant, wrong);
    gr_cache_destroy(c);
    free(model);
}

static void
test_every_variant_matches_model(void)
{
    const char *const *names = gr_cache_variant_names();
    size_t i;
    for (i = 0; names[i]; i++) {
        run_model(names[i], 64, 0x1234567ULL + i, 120000, NKEYS);
        run_model(names[i], 1, 0xfeedbeefULL + i, 100000, 200);
    }
    CU_ASSERT_EQUAL(i, 8); /* every variant, none included */
}

static void
test_sharded_stripes_any_power_of_two(void)
{
    gr_cache_config cfg;
    gr_cache *c = NULL;
    gr_cache_config_default(&cfg);
    cfg.stripes = 48; /* not a power of two */
    CU_ASSERT_EQUAL(gr_cache_create("sharded", &cfg, &c), GR_CACHE_EARG);
    CU_ASSERT_PTR_NULL(c);
    CU_ASSERT_EQUAL(gr_cache_create("no-such-variant", &cfg, &c), GR_CACHE_EUNKNOWN);
    for (unsigned s = 1; s <= 1024; s *= 4)
        run_model("sharded", s, 77 + s, 20000, 500);
}

static void
test_registry_names_and_errors(void)
{
    const char *const *names = gr_cache_variant_names();
    size_t n = 0;
    while (names[n])
        n++;
    CU_ASSERT_EQUAL(n, 8);
    CU_ASSERT(gr_cache_variant_is_buggy("gomap"));
    CU_ASSERT(gr_cache_variant_is_buggy("syncmap+naive-reset"));
    CU_ASSERT(!gr_cache_variant_is_buggy("syncmap"));
    CU_ASSERT(!gr_cache_variant_is_buggy("sharded"));
    CU_ASSERT(!gr_cache_variant_is_buggy("bogus"));
    CU_ASSERT(gr_cache_variant_exists("none"));
    CU_ASSERT(!gr_cache_variant_exists("mutex "));
    CU_ASSERT(strlen(gr_cache_strerror(GR_CACHE_EUNKNOWN)) > 0);
}

/* ---- hashmap ---- */

static void
test_hashmap_remove_keeps_probe_chains(void)
{
    gr_hashmap m;
    gr_hashmap_init(&m, 0, 42);
    uint64_t s = 99;
    unsigned char present[2000] = {0};
    unsigned wrong = 0;
    for (unsigned i = 0; i < 200000; i++) {
        unsigned k = (unsigned)(rnd(&s) % 2000);
        gr_ip ip;
        key_of(k, &ip);
        uint64_t h = gr_hashmap_hash(&m, &ip);
        uintptr_t v = 0;
        if (rnd(&s) & 1) {
            int rc = gr_hashmap_put(&m, &ip, h, k, NULL);
            wrong += rc != (present[k] ? 0 : 1);
            present[k] = 1;
        } else {
            wrong += gr_hashmap_remove(&m, &ip, h, &v) != present[k];
            wrong += present[k] && v != k;
            present[k] = 0;
        }
    }
    size_t n = 0;
    for (unsigned k = 0; k < 2000; k++) {
        gr_ip ip;
        uintptr_t v;
        key_of(k, &ip);
        wrong += gr_hashmap_get(&m, &ip, gr_hashmap_hash(&m, &ip), &v) != present[k];
        n += present[k];
    }
    CU_ASSERT_EQUAL(wrong, 0);
    CU_ASSERT_EQUAL(gr_hashmap_len(&m), n);
    gr_hashmap_free(&m);
}

/* ---- sync.Map ---- */

static void
test_syncmap_api_matches_model(void)
{
    gr_syncmap m;
    CU_ASSERT_EQUAL_FATAL(gr_syncmap_init(&m), 0);
    enum { K = 300 };
    uintptr_t model[K] = {0}; /* 0 = absent */
    uint64_t s = 2024;
    unsigned wrong = 0;
    for (unsigned i = 0; i < 150000; i++) {
        uint64_t r = rnd(&s);
        unsigned k = (unsigned)(r >> 20) % K;
        uintptr_t v = 1 + (r >> 40) % 7, got = 0;
        gr_ip ip;
        key_of(k, &ip);
        bool ok;
        switch (r % 11) {
        case 0:
        case 1:
            ok = gr_syncmap_load(&m, &ip, &got);
            wrong += ok != (model[k] != 0) || (ok && got != model[k]);
            break;
        case 2:
            gr_syncmap_store(&m, &ip, v);
            model[k] = v;
            break;
        case 3:
            ok = gr_syncmap_load_or_store(&m, &ip, v, &got);
            wrong += ok != (model[k] != 0) || got != (model[k] ? model[k] : v);
            model[k] = got;
            break;
        case 4:
            ok = gr_syncmap_load_and_delete(&m, &ip, &got);
            wrong += ok != (model[k] != 0) || (ok && got != model[k]);
            model[k] = 0;
            break;
        case 5:
            gr_syncmap_delete(&m, &ip);
            model[k] = 0;
            break;
        case 6:
            ok = gr_syncmap_swap(&m, &ip, v, &got);
            wrong += ok != (model[k] != 0) || (ok && got != model[k]);
            model[k] = v;
            break;
        case 7:
            ok = gr_syncmap_compare_and_swap(&m, &ip, v, v + 1);
            wrong += ok != (model[k] == v);
            if (ok)
                model[k] = v + 1;
            break;
        case 8:
            ok = gr_syncmap_compare_and_delete(&m, &ip, v);
            wrong += ok != (model[k] == v);
            if (ok)
                model[k] = 0;
            break;
        case 9:
            if ((r >> 8) % 200 == 0) {
                gr_syncmap_clear(&m);
                memset(model, 0, sizeof model);
            }
            break;
        default: {
            size_t n = 0;
            for (unsigned j = 0; j < K; j++)
                n += model[j] != 0;
            if ((r >> 8) % 50 == 0)
                wrong += gr_syncmap_len(&m) != n;
            break;
        }
        }
    }
    CU_ASSERT_EQUAL(wrong, 0);
    gr_syncmap_destroy(&m);
}

static void
test_syncmap_len_counts_without_promoting(void)
{
    gr_syncmap m;
    struct gr_syncmap_shape sh;
    gr_ip ip;
    uintptr_t v;
    CU_ASSERT_EQUAL_FATAL(gr_syncmap_init(&m), 0);
    CU_ASSERT_EQUAL(gr_syncmap_len(&m), 0);
    for (unsigned i = 0; i < 10; i++) {
        key_of(i, &ip);
        gr_syncmap_store(&m, &ip, i + 1);
    }
    key_of(3, &ip);
    CU_ASSERT(gr_syncmap_load(&m, &ip, &v)); /* one miss */
    CU_ASSERT_EQUAL(gr_syncmap_len(&m), 10);
    gr_syncmap_shape(&m, &sh);
    CU_ASSERT(sh.amended); /* still amended: len did not promote */
    CU_ASSERT_EQUAL(sh.read_len, 0);
    CU_ASSERT_EQUAL(sh.misses, 1);
    for (unsigned i = 0; i < 9; i++) /* 10 misses in all: promotes, as in Go */
        CU_ASSERT(gr_syncmap_load(&m, &ip, &v));
    gr_syncmap_shape(&m, &sh);
    CU_ASSERT(!sh.amended);
    CU_ASSERT_EQUAL(gr_syncmap_len(&m), 10);
    gr_syncmap_delete(&m, &ip); /* deleted in the snapshot: not counted */
    CU_ASSERT_EQUAL(gr_syncmap_len(&m), 9);
    key_of(100, &ip);
    gr_syncmap_store(&m, &ip, 7); /* dirty rebuilt (3 expunged), amended */
    CU_ASSERT_EQUAL(gr_syncmap_len(&m), 10);
    gr_syncmap_shape(&m, &sh);
    CU_ASSERT(sh.amended);
    CU_ASSERT_EQUAL(sh.misses, 0);
    gr_syncmap_destroy(&m);
}

static void
test_syncmap_promotes_after_enough_misses(void)
{
    gr_syncmap m;
    struct gr_syncmap_shape sh;
    gr_ip ip;
    uintptr_t v;
    CU_ASSERT_EQUAL_FATAL(gr_syncmap_init(&m), 0);
    for (unsigned i = 0; i < 10; i++) {
        key_of(i, &ip);
        gr_syncmap_store(&m, &ip, i + 1);
    }
    gr_syncmap_shape(&m, &sh);
    CU_ASSERT(sh.amended);
    CU_ASSERT_EQUAL(sh.read_len, 0);
    CU_ASSERT_EQUAL(sh.dirty_len, 10);
    /* 9 misses: still in dirty; the 10th (= len(dirty)) promotes. */
    key_of(3, &ip);
    for (unsigned i = 0; i < 9; i++)
        CU_ASSERT(gr_syncmap_load(&m, &ip, &v) && v == 4);
    gr_syncmap_shape(&m, &sh);
    CU_ASSERT_EQUAL(sh.misses, 9);
    CU_ASSERT(sh.amended);
    CU_ASSERT(gr_syncmap_load(&m, &ip, &v) && v == 4);
    gr_syncmap_shape(&m, &sh);
    CU_ASSERT(!sh.amended);
    CU_ASSERT(!sh.has_dirty);
    CU_ASSERT_EQUAL(sh.read_len, 10);
    CU_ASSERT_EQUAL(sh.misses, 0);
    /* now a hit costs no miss */
    CU_ASSERT(gr_syncmap_load(&m, &ip, &v) && v == 4);
    gr_syncmap_shape(&m, &sh);
    CU_ASSERT_EQUAL(sh.misses, 0);
    gr_syncmap_destroy(&m);
}

static bool
count_fn(const gr_ip *k, uintptr_t v, void *ctx)
{
    (void)k, (void)v;
    ++*(size_t *)ctx;
    return true;
}

static void
test_syncmap_expunges_on_dirty_rebuild_and_load_or_store_revives(void)
{
    gr_syncmap m;
    struct gr_syncmap_shape sh;
    gr_ip a, b, c;
    uintptr_t v = 0;
    size_t n = 0;
    key_of(1, &a), key_of(2, &b), key_of(3, &c);
    CU_ASSERT_EQUAL_FATAL(gr_syncmap_init(&m), 0);
    gr_syncmap_store(&m, &a, 10);
    gr_syncmap_store(&m, &b, 20);
    gr_syncmap_range(&m, count_fn, &n); /* Range promotes dirty */
    CU_ASSERT_EQUAL(n, 2);
    gr_syncmap_shape(&m, &sh);
    CU_ASSERT(!sh.has_dirty && sh.read_len == 2);
    gr_syncmap_delete(&m, &a);    /* a: NULL in the snapshot */
    gr_syncmap_store(&m, &c, 30); /* new key: dirty rebuilt, a expunged */
    gr_syncmap_shape(&m, &sh);
    CU_ASSERT(sh.amended);
    CU_ASSERT_EQUAL(sh.expunged, 1);
    CU_ASSERT_EQUAL(sh.dirty_len, 2); /* b and c, not a */
    CU_ASSERT(!gr_syncmap_load(&m, &a, &v));
    CU_ASSERT(!gr_syncmap_compare_and_swap(&m, &a, 10, 11)); /* expunged: nothing to swap */
    CU_ASSERT(!gr_syncmap_compare_and_delete(&m, &a, 10));
    /* LoadOrStore on the expunged entry: stores, and a is back in dirty */
    CU_ASSERT(!gr_syncmap_load_or_store(&m, &a, 11, &v));
    CU_ASSERT_EQUAL(v, 11);
    gr_syncmap_shape(&m, &sh);
    CU_ASSERT_EQUAL(sh.expunged, 0);
    CU_ASSERT_EQUAL(sh.dirty_len, 3);
    CU_ASSERT(gr_syncmap_load_or_store(&m, &a, 12, &v));
    CU_ASSERT_EQUAL(v, 11);
    /* Store on an expunged entry revives it too */
    gr_syncmap_delete(&m, &b);
    n = 0;
    gr_syncmap_range(&m, count_fn, &n); /* promote: b is NULL in the new snapshot */
    CU_ASSERT_EQUAL(n, 2);
    key_of(4, &c);
    gr_syncmap_store(&m, &c, 40); /* rebuild: b expunged */
    gr_syncmap_shape(&m, &sh);
    CU_ASSERT_EQUAL(sh.expunged, 1);
    CU_ASSERT(!gr_syncmap_swap(&m, &b, 21, &v));
    CU_ASSERT(gr_syncmap_load(&m, &b, &v) && v == 21);
    gr_syncmap_destroy(&m);
}

static void
test_syncmap_compare_and_swap_and_delete_results(void)
{
    gr_syncmap m;
    gr_ip a, d;
    uintptr_t v = 0;
    key_of(7, &a), key_of(8, &d);
    CU_ASSERT_EQUAL_FATAL(gr_syncmap_init(&m), 0);
    CU_ASSERT(!gr_syncmap_compare_and_swap(&m, &a, 0, 1)); /* absent */
    CU_ASSERT(!gr_syncmap_compare_and_delete(&m, &a, 0));
    gr_syncmap_store(&m, &a, 5);                           /* dirty-only key */
    CU_ASSERT(!gr_syncmap_compare_and_swap(&m, &a, 4, 6)); /* wrong old */
    CU_ASSERT(gr_syncmap_compare_and_swap(&m, &a, 5, 6));
    CU_ASSERT(gr_syncmap_load(&m, &a, &v) && v == 6);
    size_t n = 0;
    gr_syncmap_range(&m, count_fn, &n); /* now in the snapshot */
    CU_ASSERT(gr_syncmap_compare_and_swap(&m, &a, 6, 7));
    CU_ASSERT(!gr_syncmap_compare_and_delete(&m, &a, 6));
    CU_ASSERT(gr_syncmap_compare_and_delete(&m, &a, 7));
    CU_ASSERT(!gr_syncmap_load(&m, &a, &v));
    CU_ASSERT(!gr_syncmap_compare_and_delete(&m, &a, 7));
    gr_syncmap_store(&m, &d, 9);
    CU_ASSERT(gr_syncmap_compare_and_delete(&m, &d, 9)); /* dirty-only delete */
    CU_ASSERT(!gr_syncmap_load(&m, &d, &v));
    CU_ASSERT(gr_syncmap_swap(&m, &a, 1, &v) == false);
    CU_ASSERT(gr_syncmap_swap(&m, &a, 2, &v) && v == 1);
    CU_ASSERT(gr_syncmap_load_and_delete(&m, &a, &v) && v == 2);
    CU_ASSERT(!gr_syncmap_load_and_delete(&m, &a, &v));
    gr_syncmap_destroy(&m);
}

/* Values live in the entry's word (one bit is the entry's state): 0 and the
 * largest allowed value come back unchanged through every operation, and a
 * stored 0 is a value, not a deleted entry. */
static void
test_syncmap_values_round_trip_from_zero_to_the_largest_word(void)
{
    gr_syncmap m;
    gr_ip a;
    uintptr_t v = 1, big = GR_SYNCMAP_VALUE_MAX;
    key_of(3, &a);
    CU_ASSERT_EQUAL_FATAL(gr_syncmap_init(&m), 0);
    gr_syncmap_store(&m, &a, 0);
    CU_ASSERT(gr_syncmap_load(&m, &a, &v) && v == 0);
    CU_ASSERT(gr_syncmap_compare_and_swap(&m, &a, 0, big));
    CU_ASSERT(gr_syncmap_load(&m, &a, &v) && v == big);
    size_t n = 0;
    gr_syncmap_range(&m, count_fn, &n); /* promote: the snapshot's path too */
    CU_ASSERT_EQUAL(n, 1);
    CU_ASSERT(gr_syncmap_swap(&m, &a, big - 1, &v) && v == big);
    CU_ASSERT(gr_syncmap_load_or_store(&m, &a, 5, &v) && v == big - 1);
    CU_ASSERT(!gr_syncmap_compare_and_delete(&m, &a, big));
    CU_ASSERT(gr_syncmap_compare_and_delete(&m, &a, big - 1));
    CU_ASSERT(!gr_syncmap_load_or_store(&m, &a, 0, &v) && v == 0);
    CU_ASSERT(gr_syncmap_load_and_delete(&m, &a, &v) && v == 0);
    CU_ASSERT(!gr_syncmap_load(&m, &a, &v));
    gr_syncmap_destroy(&m);
}

/* Stores keys from..to-1 over and over: at least 20 rounds, and on until
 * told to stop, so that it is still storing during every Range the test
 * makes after it has started. */
struct storer {
    gr_syncmap *m;
    unsigned from, to;
    atomic_bool started, stop;
    unsigned rounds;
};

static void *
storer_main(void *arg)
{
    struct storer *s = arg;
    for (s->rounds = 0; s->rounds < 20 || !atomic_load(&s->stop); s->rounds++) {
        for (unsigned i = s->from; i < s->to; i++) {
            gr_ip ip;
            key_of(i, &ip);
            gr_syncmap_store(s->m, &ip, i);
            if (i == s->from && s->rounds == 0)
                atomic_store_explicit(&s->started, true, memory_order_release);
        }
    }
    return NULL;
}

struct range_check {
    unsigned char seen[4000];
    unsigned bad;
};

static bool
range_check_fn(const gr_ip *k, uintptr_t v, void *ctx)
{
    struct range_check *rc = ctx;
    gr_ip ip;
    if (v >= 4000) {
        rc->bad++;
        return true;
    }
    key_of((unsigned)v, &ip);
    rc->bad += !gr_ip_equal(&ip, k) || rc->seen[v]++;
    return true;
}

static void
test_syncmap_range_while_another_thread_stores(void)
{
    gr_syncmap m;
    CU_ASSERT_EQUAL_FATAL(gr_syncmap_init(&m), 0);
    for (unsigned i = 0; i < 1000; i++) { /* stable keys, present throughout */
        gr_ip ip;
        key_of(i, &ip);
        gr_syncmap_store(&m, &ip, i);
    }
    struct storer st = {.m = &m, .from = 1000, .to = 4000};
    pthread_t t;
    CU_ASSERT_EQUAL_FATAL(pthread_create(&t, NULL, storer_main, &st), 0);
    /* every Range below runs while the storer is storing: it has started
     * and cannot finish before it is told to stop */
    bool started = wait_for_flag(&st.started);
    CU_ASSERT_TRUE(started);
    unsigned bad = 0, missing = 0;
    for (unsigned r = 0; started && r < 50; r++) {
        struct range_check *rc = calloc(1, sizeof *rc);
        if (!rc) {
            CU_FAIL("out of memory");
            break;
        }
        gr_syncmap_range(&m, range_check_fn, rc);
        bad += rc->bad;
        for (unsigned i = 0; i < 1000; i++)
            missing += !rc->seen[i];
        free(rc);
    }
    atomic_store(&st.stop, true);
    pthread_join(t, NULL);
    CU_ASSERT(st.rounds >= 20);
    CU_ASSERT_EQUAL(bad, 0);     /* each key at most once, with its own value */
    CU_ASSERT_EQUAL(missing, 0); /* keys present all along are always visited */
    CU_ASSERT_EQUAL(gr_syncmap_len(&m), 4000);
    gr_syncmap_destroy(&m);
}

static int ebr_freed;

static void
ebr_count_free(gr_ebr_node *n)
{
    ebr_freed++;
    free(n);
}

static void
test_ebr_frees_after_two_epochs(void)
{
    gr_ebr *d;
    CU_ASSERT_EQUAL_FATAL(gr_ebr_create(&d), 0);
    ebr_freed = 0;
    gr_ebr_rec *r = gr_ebr_enter(d);
    for (int i = 0; i < 10; i++)
        gr_ebr_retire(r, malloc(sizeof(gr_ebr_node)), ebr_count_free);
    uint64_t e0 = gr_ebr_epoch(d);
    gr_ebr_collect(r); /* we are inside at e0: may advance once, frees nothing */
    CU_ASSERT_EQUAL(ebr_freed, 0);
    gr_ebr_exit(r);
    CU_ASSERT_EQUAL(gr_ebr_pending(r), 10);
    for (int i = 0; i < 3; i++)
        gr_ebr_collect(r);
    CU_ASSERT(gr_ebr_epoch(d) >= e0 + 2);
    CU_ASSERT_EQUAL(ebr_freed, 10);
    CU_ASSERT_EQUAL(gr_ebr_pending(r), 0);
    r = gr_ebr_enter(d);
    gr_ebr_retire(r, malloc(sizeof(gr_ebr_node)), ebr_count_free);
    gr_ebr_exit(r);
    gr_ebr_destroy(d); /* frees what is still pending */
    CU_ASSERT_EQUAL(ebr_freed, 11);
}

/* Two domains used by one thread have a record each: what one thread
 * retires in one is pending there only, and a domain created after another
 * was destroyed (maybe at the same address) starts with a fresh record. */
static void
test_ebr_domains_keep_separate_records(void)
{
    gr_ebr *a, *b, *c;
    CU_ASSERT_EQUAL_FATAL(gr_ebr_create(&a), 0);
    CU_ASSERT_EQUAL_FATAL(gr_ebr_create(&b), 0);
    ebr_freed = 0;
    gr_ebr_rec *ra = gr_ebr_enter(a), *rb = gr_ebr_enter(b);
    CU_ASSERT_PTR_NOT_EQUAL(ra, rb);
    gr_ebr_retire(ra, malloc(sizeof(gr_ebr_node)), ebr_count_free);
    CU_ASSERT_EQUAL(gr_ebr_pending(ra), 1);
    CU_ASSERT_EQUAL(gr_ebr_pending(rb), 0);
    gr_ebr_exit(rb);
    gr_ebr_exit(ra);
    gr_ebr_destroy(a);
    CU_ASSERT_EQUAL(ebr_freed, 1);
    CU_ASSERT_EQUAL_FATAL(gr_ebr_create(&c), 0);
    gr_ebr_rec *rc = gr_ebr_enter(c), *rb2 = gr_ebr_enter(b);
    CU_ASSERT_PTR_EQUAL(rb2, rb); /* the thread's record in b, found again */
    CU_ASSERT_PTR_NOT_EQUAL(rc, rb);
    CU_ASSERT_EQUAL(gr_ebr_pending(rc), 0);
    gr_ebr_exit(rb2);
    gr_ebr_exit(rc);
    gr_ebr_destroy(c);
    gr_ebr_destroy(b);
}

/* gr_ebr_drain frees what the calling thread retired once no reader can
 * hold it: at once when nobody is inside; not while a reader that entered
 * before the retirement is still inside (it gives up after its bound and
 * says what is pending); at once again after that reader left. */
struct ebr_reader {
    gr_ebr *d;
    pthread_barrier_t inside, leave;
};

static void *
ebr_reader_main(void *arg)
{
    struct ebr_reader *rd = arg;
    gr_ebr_rec *r = gr_ebr_enter(rd->d);
    pthread_barrier_wait(&rd->inside);
    pthread_barrier_wait(&rd->leave);
    gr_ebr_exit(r);
    return NULL;
}

static void
test_ebr_drain_waits_for_readers_inside_and_only_for_them(void)
{
    struct ebr_reader rd;
    pthread_t t;
    CU_ASSERT_EQUAL_FATAL(gr_ebr_create(&rd.d), 0);
    ebr_freed = 0;
    gr_ebr_rec *r = gr_ebr_enter(rd.d);
    for (int i = 0; i < 3; i++)
        gr_ebr_retire(r, malloc(sizeof(gr_ebr_node)), ebr_count_free);
    gr_ebr_exit(r);
    CU_ASSERT_EQUAL(gr_ebr_drain(rd.d, 1000000000u), 0);
    CU_ASSERT_EQUAL(ebr_freed, 3);

    pthread_barrier_init(&rd.inside, NULL, 2);
    pthread_barrier_init(&rd.leave, NULL, 2);
    CU_ASSERT_EQUAL_FATAL(pthread_create(&t, NULL, ebr_reader_main, &rd), 0);
    pthread_barrier_wait(&rd.inside);
    r = gr_ebr_enter(rd.d);
    gr_ebr_retire(r, malloc(sizeof(gr_ebr_node)), ebr_count_free);
    CU_ASSERT_EQUAL(gr_ebr_drain(rd.d, 1000000000u), 1); /* inside: returns at once */
    gr_ebr_exit(r);
    CU_ASSERT_EQUAL(gr_ebr_drain(rd.d, 2000000u), 1); /* the reader holds it */
    CU_ASSERT_EQUAL(ebr_freed, 3);
    pthread_barrier_wait(&rd.leave);
    pthread_join(t, NULL);
    CU_ASSERT_EQUAL(gr_ebr_drain(rd.d, 1000000000u), 0);
    CU_ASSERT_EQUAL(ebr_freed, 4);
    pthread_barrier_destroy(&rd.inside);
    pthread_barrier_destroy(&rd.leave);
    gr_ebr_destroy(rd.d);
}

/* A thread dies inside a critical section (pthread_exit): the record it
 * leaves must not stay active. The next thread takes that record (the only
 * one); nodes it retires must be freed after a few collections, which an
 * active record stuck at the old epoch would prevent forever. */
static void *
ebr_die_inside(void *arg)
{
    (void)gr_ebr_enter(arg);
    pthread_exit(NULL);
}

static void *
ebr_retire_and_collect(void *arg)
{
    gr_ebr_rec *r = gr_ebr_enter(arg);
    for (int i = 0; i < 5; i++)
        gr_ebr_retire(r, malloc(sizeof(gr_ebr_node)), ebr_count_free);
    gr_ebr_exit(r);
    for (int i = 0; i < 4; i++)
        gr_ebr_collect(r);
    return NULL;
}

static void
test_ebr_thread_dying_inside_a_critical_section_leaves_no_active_record(void)
{
    gr_ebr *d;
    pthread_t t;
    CU_ASSERT_EQUAL_FATAL(gr_ebr_create(&d), 0);
    ebr_freed = 0;
    uint64_t e0 = gr_ebr_epoch(d);
    CU_ASSERT_EQUAL_FATAL(pthread_create(&t, NULL, ebr_die_inside, d), 0);
    pthread_join(t, NULL);
    CU_ASSERT_EQUAL_FATAL(pthread_create(&t, NULL, ebr_retire_and_collect, d), 0);
    pthread_join(t, NULL);
    CU_ASSERT(gr_ebr_epoch(d) >= e0 + 2);
    CU_ASSERT_EQUAL(ebr_freed, 5);
    gr_ebr_destroy(d);
    CU_ASSERT_EQUAL(ebr_freed, 5);
}

/* The same through sync.Map: a longjmp out of a Range callback, then the
 * thread ends. Later operations from another thread must still reclaim. */
struct longjmp_ctx {
    jmp_buf env;
    gr_syncmap *m;
};

static bool
range_jumps_out(const gr_ip *key, uintptr_t value, void *ctx)
{
    (void)key, (void)value;
    longjmp(((struct longjmp_ctx *)ctx)->env, 1);
}

static void *
syncmap_range_longjmp(void *arg)
{
    struct longjmp_ctx *c = arg;
    if (!setjmp(c->env))
        gr_syncmap_range(c->m, range_jumps_out, c);
    return NULL; /* the thread ends outside its critical section's exit */
}

static void *
syncmap_churn(void *arg)
{
    gr_syncmap *m = arg;
    gr_ip ip;
    for (unsigned i = 0; i < 2000; i++) { /* stores and clears retire memory */
        key_of(i % 50, &ip);
        gr_syncmap_store(m, &ip, i);
        if (i % 100 == 99)
            gr_syncmap_clear(m);
    }
    return NULL;
}

static void
test_ebr_longjmp_out_of_range_then_thread_end_does_not_freeze_the_epoch(void)
{
    gr_syncmap m;
    gr_ip ip;
    pthread_t t;
    CU_ASSERT_EQUAL_FATAL(gr_syncmap_init(&m), 0);
    key_of(1, &ip);
    gr_syncmap_store(&m, &ip, 1);
    struct longjmp_ctx c = {.m = &m};
    CU_ASSERT_EQUAL_FATAL(pthread_create(&t, NULL, syncmap_range_longjmp, &c), 0);
    pthread_join(t, NULL);
    uint64_t e0 = gr_ebr_epoch(m.ebr);
    CU_ASSERT_EQUAL_FATAL(pthread_create(&t, NULL, syncmap_churn, &m), 0);
    pthread_join(t, NULL);
    CU_ASSERT(gr_ebr_epoch(m.ebr) >= e0 + 2);
    gr_syncmap_destroy(&m);
}

/* ---- gomap ---- */

static void
test_gomap_grows_and_keeps_every_key(void)
{
    gr_cache_config cfg;
    gr_cache *c;
    struct gr_gomap_info info;
    gr_cache_config_default(&cfg);
    CU_ASSERT_EQUAL_FATAL(gr_cache_create("gomap", &cfg, &c), GR_CACHE_OK);
    unsigned wrong = 0, saw_growing = 0;
    for (unsigned i = 0; i < 20000; i++) {
        gr_ip ip;
        gr_country v;
        key_of(i, &ip);
        gr_cache_put(c, &ip, (gr_country)(i | 0x100));
        gr_gomap_info(c, &info);
        saw_growing += info.growing;
        if (i % 97 == 0)
            for (unsigned j = 0; j <= i; j += 13) {
                key_of(j, &ip);
                wrong += !gr_cache_get(c, &ip, &v) || v != (gr_country)(j | 0x100);
            }
    }
    CU_ASSERT_EQUAL(wrong, 0);
    CU_ASSERT(saw_growing > 0);
    gr_gomap_info(c, &info);
    /* 20000 keys at <= 6.5 per bucket: at least 2^12 buckets */
    CU_ASSERT(info.B >= 12);
    CU_ASSERT(info.overflow_buckets > 0); /* 20000 keys in 8-slot buckets overflow somewhere */
    CU_ASSERT_EQUAL(gr_cache_len(c), 20000);
    gr_cache_clear(c);
    gr_cache_clear(c);
    gr_gomap_info(c, &info);
    /* the first retired map is freed by the second clear (two epochs on, no
     * thread held it), the second waits for the next */
    CU_ASSERT_EQUAL(info.retired_maps, 1);
    CU_ASSERT_EQUAL(gr_cache_len(c), 0);
    gr_cache_destroy(c);
}

/* The first writer's stay in gomap's write window, run by the window hook:
 * it says it is inside, then stays until the main thread's overlapping
 * access has returned (or the wait's bound passes). Later writes, the main
 * thread's own among them, pass straight through. */
struct window_gate {
    atomic_bool writer_inside;  /* the first writer is in its window */
    atomic_bool overlap_done;   /* the main thread's access has returned */
    atomic_bool writer_gave_up; /* the first writer left without it */
    atomic_uint entries;
};

static void
window_gate_hook(void *arg)
{
    struct window_gate *g = arg;
    if (atomic_fetch_add(&g->entries, 1) != 0)
        return;
    atomic_store_explicit(&g->writer_inside, true, memory_order_release);
    if (!wait_for_flag(&g->overlap_done))
        atomic_store(&g->writer_gave_up, true);
}

struct gomap_writer {
    gr_cache *c;
    gr_ip key;
};

static void *
gomap_writer_main(void *arg)
{
    struct gomap_writer *w = arg;
    gr_cache_put(w->c, &w->key, 0x5553);
    return NULL;
}

/* Child: writer A enters gomap's write section and is held there by the
 * window hook; once it is inside, the main thread writes ("writes") or
 * reads ("read") another key. With the detector on, that access dies with
 * Go's message and status 2. Without it the child survives, says on stderr
 * whether the access ran inside A's window, and exits 0 only if it did
 * (4: A never entered its window, 5: A left before the access returned). */
static int
gomap_child(const char *mode, bool detector)
{
    gr_cache_config cfg;
    gr_cache *c;
    gr_cache_config_default(&cfg);
    cfg.detector = detector;
    cfg.window_ns = 1; /* turns the window (and its hook) on; the hook holds it open */
    if (gr_cache_create("gomap", &cfg, &c))
        return 3;
    gr_ip b;
    gr_country v;
    key_of(2, &b);
    if (!strcmp(mode, "read"))
        gr_cache_put(c, &b, 7); /* count > 0, or the reader returns before the check */
    static struct window_gate gate;
    gr_gomap_set_window_hook(c, window_gate_hook, &gate);
    struct gomap_writer w = {.c = c};
    key_of(1, &w.key);
    pthread_t t;
    if (pthread_create(&t, NULL, gomap_writer_main, &w))
        return 3;
    if (!wait_for_flag(&gate.writer_inside)) {
        fprintf(stderr, "no overlap: the first writer never entered its write window\n");
        return 4;
    }
    if (!strcmp(mode, "read"))
        (void)gr_cache_get(c, &b, &v);
    else
        gr_cache_put(c, &b, 0x4445);
    atomic_store_explicit(&gate.overlap_done, true, memory_order_release);
    pthread_join(t, NULL);
    if (atomic_load(&gate.writer_gave_up)) {
        fprintf(stderr, "no overlap: the first writer left its window before the %s returned\n",
                mode);
        return 5;
    }
    fprintf(stderr,
            "overlap: the %s ran inside the first writer's write window; survived, len=%zu\n", mode,
            gr_cache_len(c));
    gr_cache_destroy(c);
    return 0;
}

struct naive_trylock {
    pthread_mutex_t *mu;
    int rc;
};

static void *
naive_trylock_main(void *arg)
{
    struct naive_trylock *t = arg;
    t->rc = pthread_mutex_trylock(t->mu);
    return NULL;
}

/* Child: hold the sync.Map's mutex (as a writer inside the dirty-map
 * critical section does), let the naive reset run, and see a second thread
 * take the same mutex while we still hold it. Exits 0 if it could. */
static int
naive_child(void)
{
    gr_cache *c;
    gr_ip a;
    gr_country v;
    key_of(1, &a);
    if (gr_cache_create("syncmap+naive-reset", NULL, &c))
        return 3;
    gr_syncmap *m = gr_syncmap_naive_map(c);
    gr_cache_put(c, &a, 0x5553);
    pthread_mutex_lock(&m->go.mu);
    gr_cache_clear(c); /* the ticker's `cache = sync.Map{}` */
    struct naive_trylock t = {&m->go.mu, -1};
    pthread_t th;
    if (pthread_create(&th, NULL, naive_trylock_main, &t))
        return 3;
    pthread_join(th, NULL);
    bool gone = !gr_cache_get(c, &a, &v);
    fprintf(stderr, "second thread took the held mutex: %s; entry lost: %s\n",
            t.rc == 0 ? "yes" : "no", gone ? "yes" : "no");
    if (t.rc == 0)
        pthread_mutex_unlock(&m->go.mu);
    gr_cache_destroy(c);
    return t.rc == 0 && gone ? 0 : 1;
}

/* Run this binary as a child in `mode`; collect stderr and exit status. */
static int
run_child(const char *mode, const char *detector, char *err, size_t cap)
{
    int fds[2];
    if (pipe(fds))
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        char arg[64];
        snprintf(arg, sizeof arg, "--child-%s", mode);
        dup2(fds[1], STDERR_FILENO);
        close(fds[0]);
        close(fds[1]);
        /* under TSan the overlap is a data race by design: let it through */
        setenv("TSAN_OPTIONS", "report_bugs=0", 1);
        execl("/proc/self/exe", "test_semantics", arg, detector, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    return wait_for_child(pid, fds[0], err, cap);
}

static void
test_gomap_detector_overlapping_writers_die_with_go_message(void)
{
    static char err[65536];
    int st = run_child("writes", "on", err, sizeof err);
    CU_ASSERT_EQUAL(st, 2);
    CU_ASSERT(!strncmp(err, "fatal error: concurrent map writes\n", 35));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "goroutine "));
    if (st != 2)
        fprintf(stderr, "\nchild status %d, stderr:\n%s\n", st, err);
}

static void
test_gomap_detector_read_during_write_dies_with_go_message(void)
{
    static char err[65536];
    int st = run_child("read", "on", err, sizeof err);
    CU_ASSERT_EQUAL(st, 2);
    CU_ASSERT(!strncmp(err, "fatal error: concurrent map read and map write\n", 47));
    if (st != 2)
        fprintf(stderr, "\nchild status %d, stderr:\n%s\n", st, err);
}

static void
test_naive_reset_zeroes_a_held_mutex(void)
{
    static char err[4096];
    int st = run_child("naive", "on", err, sizeof err);
    CU_ASSERT_EQUAL(st, 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "second thread took the held mutex: yes"));
    CU_ASSERT_PTR_NULL(gr_syncmap_naive_map(NULL));
    if (st != 0)
        fprintf(stderr, "\nchild status %d, stderr:\n%s\n", st, err);
}

static void
test_gomap_without_detector_overlap_does_not_die(void)
{
    static char err[65536];
    int st = run_child("writes", "off", err, sizeof err);
    CU_ASSERT_EQUAL(st, 0);
    CU_ASSERT_PTR_NULL(strstr(err, "fatal error"));
    /* and the overlap did happen: surviving without one proves nothing */
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "overlap: the writes ran inside the first writer's"));
    if (st != 0)
        fprintf(stderr, "\nchild status %d, stderr:\n%s\n", st, err);
}

static CU_TestInfo tests[] = {
    GR_TEST(test_registry_names_and_errors),
    GR_TEST(test_every_variant_matches_model),
    GR_TEST(test_sharded_stripes_any_power_of_two),
    GR_TEST(test_hashmap_remove_keeps_probe_chains),
    GR_TEST(test_syncmap_api_matches_model),
    GR_TEST(test_syncmap_len_counts_without_promoting),
    GR_TEST(test_syncmap_promotes_after_enough_misses),
    GR_TEST(test_syncmap_expunges_on_dirty_rebuild_and_load_or_store_revives),
    GR_TEST(test_syncmap_compare_and_swap_and_delete_results),
    GR_TEST(test_syncmap_range_while_another_thread_stores),
    GR_TEST(test_syncmap_values_round_trip_from_zero_to_the_largest_word),
    GR_TEST(test_ebr_domains_keep_separate_records),
    GR_TEST(test_ebr_drain_waits_for_readers_inside_and_only_for_them),
    GR_TEST(test_ebr_frees_after_two_epochs),
    GR_TEST(test_ebr_thread_dying_inside_a_critical_section_leaves_no_active_record),
    GR_TEST(test_ebr_longjmp_out_of_range_then_thread_end_does_not_freeze_the_epoch),
    GR_TEST(test_gomap_grows_and_keeps_every_key),
    GR_TEST(test_gomap_detector_overlapping_writers_die_with_go_message),
    GR_TEST(test_gomap_detector_read_during_write_dies_with_go_message),
    GR_TEST(test_gomap_without_detector_overlap_does_not_die),
    GR_TEST(test_naive_reset_zeroes_a_held_mutex),
    GR_TEST_END};

int
main(int argc, char **argv)
{
    if (argc == 3 && !strncmp(argv[1], "--child-", 8))
        return !strcmp(argv[1], "--child-naive") ? naive_child()
                                                 : gomap_child(argv[1] + 8, !strcmp(argv[2], "on"));
    return gr_test_run(&(gr_test_suite){"cache_variants", tests, NULL, NULL});
}
