/*
 * bench_cache_engine.c - ops/s of every cache variant and of peers, per
 * operation mix and thread count.
 *
 * An operation is what the resolver does per request: get, and on a miss
 * put. Hits come from a prefilled population of hot keys drawn by a Zipf
 * law (real traffic: a few visitors make most requests); misses use keys
 * never seen before, so the cache grows as it does in production. Each
 * worker replays its own pre-drawn Zipf sequence, so drawing costs the
 * same for every target. Before the clock starts, every hot key is put and
 * then read once, so cells measure the steady state (sync.Map, for one,
 * serves the first reads of fresh keys under its lock until it promotes).
 * The reset-storm mix adds a ticker thread that clears the cache every
 * reset interval.
 *
 * Peers, run in the same process with the same keys and mixes:
 *   rculfhash  liburcu's lock-free resizable hash table, RCU flavour
 *              "memb" (membarrier); clear deletes every node and frees them
 *              with call_rcu.
 *   ck_ht      Concurrency Kit's ck_ht in its SPMC mode (lock-free readers,
 *              one writer at a time): writers take a mutex; tables the map
 *              retires on growth/reset are kept until the cell ends instead
 *              of being reclaimed with ck_epoch (cells are short).
 *   mmdb       no cache: one libmaxminddb lookup per operation on the
 *              embedded database - what every request would cost uncached.
 * gomap and syncmap+naive-reset are only run single-threaded and reset
 * inline by their one worker: they are not safe to use concurrently, which
 * is the point of them.
 *
 * Peer code lives only here, never in the library the race proofs cover.
 */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "georace/rng.h"
#include "georace/clock.h"
#include "bench_cache_engine.h"
#include "georace/cache.h"
#include "georace/defaultdb.h"

#ifdef GEORACE_HAVE_URCU
#include <urcu/urcu-memb.h>
/* rculfhash.h needs the flavour header first */
#include <urcu/rculfhash.h>
#endif
#ifdef GEORACE_HAVE_CK
#include <ck_ht.h>
#endif

#define GR_BENCH_SEQ 65536 /* pre-drawn Zipf ranks per worker */

/* ---- targets ---- */

struct gr_bench_target {
    const char *name;
    void *(*open)(const gr_bench_cell *cell, char *err, size_t cap);
    void (*thread_init)(void);
    void (*thread_fini)(void);
    bool (*get)(void *ctx, const gr_ip *key, gr_country *out);
    void (*put)(void *ctx, const gr_ip *key, gr_country value);
    void (*clear)(void *ctx);
    size_t (*mem)(void *ctx);
    void (*close)(void *ctx);
};

static void
gr_bench_nop(void)
{
}

/* cache variants through gr_cache */
static void *
gr_bench_cache_open(const gr_bench_cell *cell, char *err, size_t cap)
{
    gr_cache_config cfg;
    gr_cache *c = NULL;
    gr_cache_config_default(&cfg);
    int rc = gr_cache_create(cell->target, &cfg, &c);
    if (rc)
        snprintf(err, cap, "%s: %s", cell->target, gr_cache_strerror(rc));
    return c;
}

static bool
gr_bench_cache_get(void *ctx, const gr_ip *key, gr_country *out)
{
    return gr_cache_get(ctx, key, out);
}

static void
gr_bench_cache_put(void *ctx, const gr_ip *key, gr_country value)
{
    gr_cache_put(ctx, key, value);
}

static void
gr_bench_cache_clear(void *ctx)
{
    gr_cache_clear(ctx);
}

static size_t
gr_bench_cache_mem(void *ctx)
{
    return gr_cache_mem_bytes(ctx);
}

static void
gr_bench_cache_close(void *ctx)
{
    gr_cache_destroy(ctx);
}

#define GR_BENCH_VARIANT(n)                                                                        \
    {                                                                                              \
        n, gr_bench_cache_open, gr_bench_nop, gr_bench_nop, gr_bench_cache_get,                    \
            gr_bench_cache_put, gr_bench_cache_clear, gr_bench_cache_mem, gr_bench_cache_close     \
    }

/* mmdb: an uncached lookup per operation */
static void *
gr_bench_mmdb_open(const gr_bench_cell *cell, char *err, size_t cap)
{
    gr_geodb *db = NULL;
    (void)cell;
    if (gr_defaultdb_open(GR_GEODB_MMDB, &db, err, cap))
        return NULL;
    return db;
}

static bool
gr_bench_mmdb_get(void *ctx, const gr_ip *key, gr_country *out)
{
    (void)gr_geodb_lookup(ctx, key, out);
    return true; /* every operation is answered by the database */
}

static void
gr_bench_mmdb_put(void *ctx, const gr_ip *key, gr_country value)
{
    (void)ctx, (void)key, (void)value;
}

static void
gr_bench_mmdb_clear(void *ctx)
{
    (void)ctx;
}

static size_t
gr_bench_mmdb_mem(void *ctx)
{
    (void)ctx;
    return 0;
}

static void
gr_bench_mmdb_close(void *ctx)
{
    gr_geodb_close(ctx);
}

#ifdef GEORACE_HAVE_URCU
struct gr_bench_lfht_node {
    struct cds_lfht_node node;
    gr_ip key;
    gr_country value;
    struct rcu_head rcu;
};

struct gr_bench_lfht {
    struct cds_lfht *ht;
    uint64_t seed;
};

static int
gr_bench_lfht_match(struct cds_lfht_node *node, const void *key)
{
    const struct gr_bench_lfht_node *n = caa_container_of(node, struct gr_bench_lfht_node, node);
    return !memcmp(&n->key, key, sizeof n->key);
}

static void
gr_bench_lfht_free(struct rcu_head *head)
{
    free(caa_container_of(head, struct gr_bench_lfht_node, rcu));
}

static void *
gr_bench_lfht_open(const gr_bench_cell *cell, char *err, size_t cap)
{
    struct gr_bench_lfht *l = calloc(1, sizeof *l);
    if (l)
        l->ht = cds_lfht_new_flavor(1024, 1024, 0, CDS_LFHT_AUTO_RESIZE | CDS_LFHT_ACCOUNTING,
                                    &urcu_memb_flavor, NULL);
    if (!l || !l->ht) {
        free(l);
        snprintf(err, cap, "rculfhash: cannot create the table");
        return NULL;
    }
    l->seed = cell->seed;
    return l;
}

static bool
gr_bench_lfht_get(void *ctx, const gr_ip *key, gr_country *out)
{
    struct gr_bench_lfht *l = ctx;
    struct cds_lfht_iter iter;
    bool hit = false;
    urcu_memb_read_lock();
    cds_lfht_lookup(l->ht, (unsigned long)gr_ip_hash(key, l->seed), gr_bench_lfht_match, key,
                    &iter);
    struct cds_lfht_node *n = cds_lfht_iter_get_node(&iter);
    if (n) {
        *out = caa_container_of(n, struct gr_bench_lfht_node, node)->value;
        hit = true;
    }
    urcu_memb_read_unlock();
    return hit;
}

static void
gr_bench_lfht_put(void *ctx, const gr_ip *key, gr_country value)
{
    struct gr_bench_lfht *l = ctx;
    struct gr_bench_lfht_node *n = malloc(sizeof *n);
    if (!n)
        return;
    cds_lfht_node_init(&n->node);
    n->key = *key;
    n->value = value;
    urcu_memb_read_lock();
    struct cds_lfht_node *got = cds_lfht_add_unique(l->ht, (unsigned long)gr_ip_hash(key, l->seed),
                                                    gr_bench_lfht_match, key, &n->node);
    urcu_memb_read_unlock();
    if (got != &n->node)
        free(n); /* someone else added the key first */
}

static void
gr_bench_lfht_clear(void *ctx)
{
    struct gr_bench_lfht *l = ctx;
    struct cds_lfht_iter iter;
    struct gr_bench_lfht_node *n;
    urcu_memb_read_lock();
    cds_lfht_for_each_entry(l->ht, &iter, n, node)
    {
        if (!cds_lfht_del(l->ht, &n->node))
            urcu_memb_call_rcu(&n->rcu, gr_bench_lfht_free);
    }
    urcu_memb_read_unlock();
}

static void
gr_bench_lfht_close(void *ctx)
{
    struct gr_bench_lfht *l = ctx;
    gr_bench_lfht_clear(l);
    urcu_memb_barrier(); /* run every pending call_rcu free */
    cds_lfht_destroy(l->ht, NULL);
    free(l);
}
#endif

#ifdef GEORACE_HAVE_CK
/* ck_malloc has no context pointer: one cell runs at a time, and the
 * deferred frees happen under the writer mutex, so one list does. */
struct gr_bench_ck_block {
    struct gr_bench_ck_block *next;
};
static struct gr_bench_ck_block *gr_bench_ck_deferred;

struct gr_bench_ck {
    ck_ht_t ht;
    pthread_mutex_t wmu;
    gr_ip **keys; /* key copies the table points to, freed at close */
    size_t nkeys, capkeys;
};

static void *
gr_bench_ck_malloc(size_t n)
{
    /* room in front for the deferred-free link */
    char *p = malloc(n + 16);
    return p ? p + 16 : NULL;
}

static void *
gr_bench_ck_realloc(void *p, size_t old, size_t n, bool defer)
{
    (void)old, (void)defer;
    char *q = realloc(p ? (char *)p - 16 : NULL, n + 16);
    return q ? q + 16 : NULL;
}

static void
gr_bench_ck_free(void *p, size_t n, bool defer)
{
    (void)n;
    struct gr_bench_ck_block *b = (struct gr_bench_ck_block *)(void *)((char *)p - 16);
    if (!defer) {
        free(b);
        return;
    }
    b->next = gr_bench_ck_deferred;
    gr_bench_ck_deferred = b;
}

static struct ck_malloc gr_bench_ck_alloc = {gr_bench_ck_malloc, gr_bench_ck_realloc,
                                             gr_bench_ck_free};

static void *
gr_bench_ck_open(const gr_bench_cell *cell, char *err, size_t cap)
{
    struct gr_bench_ck *c = calloc(1, sizeof *c);
    if (!c ||
        !ck_ht_init(&c->ht, CK_HT_MODE_BYTESTRING, NULL, &gr_bench_ck_alloc, 1024, cell->seed)) {
        free(c);
        snprintf(err, cap, "ck_ht: cannot create the table");
        return NULL;
    }
    pthread_mutex_init(&c->wmu, NULL);
    return c;
}

static bool
gr_bench_ck_get(void *ctx, const gr_ip *key, gr_country *out)
{
    struct gr_bench_ck *c = ctx;
    ck_ht_hash_t h;
    ck_ht_entry_t e;
    ck_ht_hash(&h, &c->ht, key, sizeof *key);
    ck_ht_entry_key_set(&e, key, sizeof *key);
    if (!ck_ht_get_spmc(&c->ht, h, &e))
        return false;
    *out = (gr_country)(uintptr_t)ck_ht_entry_value(&e);
    return true;
}

static void
gr_bench_ck_put(void *ctx, const gr_ip *key, gr_country value)
{
    struct gr_bench_ck *c = ctx;
    ck_ht_hash_t h;
    ck_ht_entry_t e;
    gr_ip *copy = malloc(sizeof *copy);
    if (!copy)
        return;
    *copy = *key;
    ck_ht_hash(&h, &c->ht, copy, sizeof *copy);
    ck_ht_entry_set(&e, h, copy, sizeof *copy, (void *)(uintptr_t)value);
    pthread_mutex_lock(&c->wmu);
    if (c->nkeys == c->capkeys) {
        size_t ncap = c->capkeys ? c->capkeys * 2 : 4096;
        gr_ip **k = realloc(c->keys, ncap * sizeof *k);
        if (!k) {
            pthread_mutex_unlock(&c->wmu);
            free(copy);
            return;
        }
        c->keys = k;
        c->capkeys = ncap;
    }
    if (ck_ht_put_spmc(&c->ht, h, &e))
        c->keys[c->nkeys++] = copy;
    else
        free(copy); /* already present */
    pthread_mutex_unlock(&c->wmu);
}

static void
gr_bench_ck_clear(void *ctx)
{
    struct gr_bench_ck *c = ctx;
    pthread_mutex_lock(&c->wmu);
    ck_ht_reset_spmc(&c->ht);
    pthread_mutex_unlock(&c->wmu);
}

static void
gr_bench_ck_close(void *ctx)
{
    struct gr_bench_ck *c = ctx;
    ck_ht_destroy(&c->ht);
    while (gr_bench_ck_deferred) {
        struct gr_bench_ck_block *next = gr_bench_ck_deferred->next;
        free(gr_bench_ck_deferred);
        gr_bench_ck_deferred = next;
    }
    for (size_t i = 0; i < c->nkeys; i++)
        free(c->keys[i]);
    free(c->keys);
    pthread_mutex_destroy(&c->wmu);
    free(c);
}
#endif

static const struct gr_bench_target gr_bench_table[] = {
    GR_BENCH_VARIANT("gomap"),
    GR_BENCH_VARIANT("syncmap+naive-reset"),
    GR_BENCH_VARIANT("syncmap"),
    GR_BENCH_VARIANT("mutex"),
    GR_BENCH_VARIANT("rwlock"),
    GR_BENCH_VARIANT("sharded"),
#ifdef GEORACE_HAVE_URCU
    {"rculfhash", gr_bench_lfht_open, urcu_memb_register_thread, urcu_memb_unregister_thread,
     gr_bench_lfht_get, gr_bench_lfht_put, gr_bench_lfht_clear, gr_bench_mmdb_mem,
     gr_bench_lfht_close},
#endif
#ifdef GEORACE_HAVE_CK
    {"ck_ht", gr_bench_ck_open, gr_bench_nop, gr_bench_nop, gr_bench_ck_get, gr_bench_ck_put,
     gr_bench_ck_clear, gr_bench_mmdb_mem, gr_bench_ck_close},
#endif
    {"mmdb", gr_bench_mmdb_open, gr_bench_nop, gr_bench_nop, gr_bench_mmdb_get, gr_bench_mmdb_put,
     gr_bench_mmdb_clear, gr_bench_mmdb_mem, gr_bench_mmdb_close},
};

#define GR_BENCH_NTARGETS (sizeof gr_bench_table / sizeof gr_bench_table[0])

static const char *const gr_bench_all[] = {
    "gomap",   "syncmap+naive-reset", "syncmap", "mutex", "rwlock",
    "sharded", "rculfhash",           "ck_ht",   "mmdb",  NULL};

static const char *const gr_bench_note_list[] = {
    "ops/s: one operation = get, and on a miss put (what the resolver does per request)",
    "gomap and syncmap+naive-reset run with 1 thread only (their resets are inline): they are "
    "not safe concurrently - see the tsan verdicts and 'georace repro'",
    "rculfhash: liburcu lock-free hash table, RCU flavour memb; clear = delete all + call_rcu",
    "ck_ht: Concurrency Kit SPMC mode, writers serialized by a mutex, retired tables kept until "
    "the cell ends (no ck_epoch)",
    "mmdb: no cache, one libmaxminddb lookup per operation on the embedded database",
    NULL};

const char *const *
gr_bench_targets(void)
{
    return gr_bench_all;
}

const char *const *
gr_bench_notes(void)
{
    return gr_bench_note_list;
}

const char *
gr_bench_mix_name(gr_bench_mix m)
{
    static const char *const names[] = {"read-mostly", "mixed", "write-heavy", "reset-storm"};
    return m < GR_BENCH_MIX_COUNT ? names[m] : "?";
}

bool
gr_bench_is_peer(const char *target)
{
    return !strcmp(target, "rculfhash") || !strcmp(target, "ck_ht") || !strcmp(target, "mmdb");
}

static const struct gr_bench_target *
gr_bench_find(const char *name)
{
    for (size_t i = 0; i < GR_BENCH_NTARGETS; i++)
        if (!strcmp(gr_bench_table[i].name, name))
            return &gr_bench_table[i];
    return NULL;
}

const char *
gr_bench_unavailable(const char *target)
{
    if (gr_bench_find(target))
        return NULL;
    if (!strcmp(target, "rculfhash"))
        return "built without liburcu-cds";
    if (!strcmp(target, "ck_ht"))
        return "built without Concurrency Kit";
    return "unknown target";
}

/* ---- workload ---- */

struct gr_bench_run {
    const struct gr_bench_target *t;
    const gr_bench_cell *cell;
    void *ctx;
    const gr_ip *hot;
    unsigned miss_permille;
    bool inline_reset;
    _Atomic bool stop;
    _Atomic uint64_t ops, hits, misses, clears;
};

struct gr_bench_worker {
    struct gr_bench_run *run;
    unsigned id;
    uint32_t *seq;
    pthread_t tid;
};

/* Addresses spread over the IPv4 space, one per index. */
static void
gr_bench_key(uint64_t idx, gr_ip *ip)
{
    uint64_t s = idx;
    gr_ip_from_v4((uint32_t)gr_rng_splitmix64(&s), ip);
}

static gr_country
gr_bench_value(uint64_t idx)
{
    return (gr_country)(('A' + idx % 26) << 8 | ('A' + idx / 26 % 26));
}

/* Draw GR_BENCH_SEQ Zipf ranks over n keys by inverting the CDF. */
static void
gr_bench_zipf(uint32_t *seq, const double *cdf, size_t n, uint64_t seed)
{
    for (size_t i = 0; i < GR_BENCH_SEQ; i++) {
        double u = (double)(gr_rng_splitmix64(&seed) >> 11) / 9007199254740992.0;
        size_t lo = 0, hi = n - 1;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (cdf[mid] < u)
                lo = mid + 1;
            else
                hi = mid;
        }
        seq[i] = (uint32_t)lo;
    }
}

static void *
gr_bench_worker_main(void *arg)
{
    struct gr_bench_worker *w = arg;
    struct gr_bench_run *run = w->run;
    const struct gr_bench_target *t = run->t;
    uint64_t s = run->cell->seed ^ (0x51ed27a3ULL * (w->id + 1));
    uint64_t ops = 0, hits = 0, misses = 0, clears = 0, fresh = 0;
    uint64_t next_reset = gr_clock_now_ns() + run->cell->reset_ns;
    t->thread_init();
    for (size_t pos = 0;; pos++) {
        if ((pos & 255) == 0) {
            if (atomic_load_explicit(&run->stop, memory_order_relaxed))
                break;
            if (run->inline_reset && gr_clock_now_ns() >= next_reset) {
                t->clear(run->ctx);
                clears++;
                next_reset += run->cell->reset_ns;
            }
        }
        uint64_t r = gr_rng_splitmix64(&s), idx;
        gr_ip fkey;
        const gr_ip *key;
        if (r % 1000 < run->miss_permille) {
            idx = ((uint64_t)(w->id + 1) << 40) + fresh++;
            gr_bench_key(idx, &fkey);
            key = &fkey;
        } else {
            idx = w->seq[pos & (GR_BENCH_SEQ - 1)];
            key = &run->hot[idx];
        }
        gr_country c;
        if (t->get(run->ctx, key, &c)) {
            hits++;
        } else {
            misses++;
            t->put(run->ctx, key, gr_bench_value(idx));
        }
        ops++;
    }
    t->thread_fini();
    atomic_fetch_add(&run->ops, ops);
    atomic_fetch_add(&run->hits, hits);
    atomic_fetch_add(&run->misses, misses);
    atomic_fetch_add(&run->clears, clears);
    return NULL;
}

struct gr_bench_ticker {
    struct gr_bench_run *run;
    _Atomic bool stop;
};

static void *
gr_bench_ticker_main(void *arg)
{
    struct gr_bench_ticker *tk = arg;
    struct gr_bench_run *run = tk->run;
    struct timespec ts = {(time_t)(run->cell->reset_ns / 1000000000u),
                          (long)(run->cell->reset_ns % 1000000000u)};
    run->t->thread_init();
    while (!atomic_load(&tk->stop)) {
        nanosleep(&ts, NULL);
        run->t->clear(run->ctx);
        atomic_fetch_add(&run->clears, 1);
    }
    run->t->thread_fini();
    return NULL;
}

int
gr_bench_run_cell(const gr_bench_cell *cell, gr_bench_result *out, char *err, size_t cap)
{
    static const unsigned miss_permille[GR_BENCH_MIX_COUNT] = {10, 100, 500, 100};
    memset(out, 0, sizeof *out);
    const struct gr_bench_target *t = gr_bench_find(cell->target);
    if (!t) {
        snprintf(err, cap, "%s: %s", cell->target, gr_bench_unavailable(cell->target));
        return -1;
    }
    if (cell->threads < 1 || cell->keys < 1 || cell->mix >= GR_BENCH_MIX_COUNT) {
        snprintf(err, cap, "bad cell configuration");
        return -1;
    }
    bool buggy = gr_cache_variant_is_buggy(cell->target);
    if (buggy && cell->threads > 1) {
        out->skipped = "unsafe with more than one thread";
        return 0;
    }

    struct gr_bench_run run = {.t = t, .cell = cell, .miss_permille = miss_permille[cell->mix]};
    run.inline_reset = cell->mix == GR_BENCH_RESET_STORM && buggy;
    gr_ip *hot = malloc(cell->keys * sizeof *hot);
    double *cdf = malloc(cell->keys * sizeof *cdf);
    struct gr_bench_worker *ws = calloc(cell->threads, sizeof *ws);
    int rc = -1;
    if (!hot || !cdf || !ws) {
        snprintf(err, cap, "out of memory");
        goto out;
    }
    double sum = 0;
    for (size_t i = 0; i < cell->keys; i++) {
        gr_bench_key(i, &hot[i]);
        sum += cell->zipf_s > 0 ? 1.0 / pow((double)(i + 1), cell->zipf_s) : 1.0;
        cdf[i] = sum;
    }
    for (size_t i = 0; i < cell->keys; i++)
        cdf[i] /= sum;
    for (unsigned i = 0; i < cell->threads; i++) {
        ws[i].run = &run;
        ws[i].id = i;
        ws[i].seq = malloc(GR_BENCH_SEQ * sizeof *ws[i].seq);
        if (!ws[i].seq) {
            snprintf(err, cap, "out of memory");
            goto out;
        }
        gr_bench_zipf(ws[i].seq, cdf, cell->keys, cell->seed + 1000003u * (i + 1));
    }
    run.hot = hot;

    t->thread_init();
    run.ctx = t->open(cell, err, cap);
    if (!run.ctx) {
        t->thread_fini();
        goto out;
    }
    for (size_t i = 0; i < cell->keys; i++) /* prefill */
        t->put(run.ctx, &hot[i], gr_bench_value(i));
    gr_country warm;
    for (size_t i = 0; i < cell->keys; i++)    /* warm-up: measure the steady state (syncmap */
        (void)t->get(run.ctx, &hot[i], &warm); /* promotes its dirty map here) */

    struct gr_bench_ticker tk = {.run = &run};
    pthread_t ticker;
    bool with_ticker = cell->mix == GR_BENCH_RESET_STORM && !buggy;
    uint64_t t0 = gr_clock_now_ns();
    unsigned started = 0;
    for (; started < cell->threads; started++)
        if (pthread_create(&ws[started].tid, NULL, gr_bench_worker_main, &ws[started]))
            break;
    if (with_ticker && pthread_create(&ticker, NULL, gr_bench_ticker_main, &tk))
        with_ticker = false;
    struct timespec d = {(time_t)(cell->duration_ns / 1000000000u),
                         (long)(cell->duration_ns % 1000000000u)};
    nanosleep(&d, NULL);
    atomic_store(&run.stop, true);
    for (unsigned i = 0; i < started; i++)
        pthread_join(ws[i].tid, NULL);
    uint64_t t1 = gr_clock_now_ns();
    if (with_ticker) {
        atomic_store(&tk.stop, true);
        pthread_join(ticker, NULL);
    }
    out->mem_bytes = t->mem(run.ctx);
    t->close(run.ctx);
    t->thread_fini();
    if (started < cell->threads) {
        snprintf(err, cap, "cannot start %u threads", cell->threads);
        goto out;
    }
    out->ops = atomic_load(&run.ops);
    out->hits = atomic_load(&run.hits);
    out->misses = atomic_load(&run.misses);
    out->clears = atomic_load(&run.clears);
    out->seconds = (double)(t1 - t0) / 1e9;
    out->ops_per_s = out->seconds > 0 ? (double)out->ops / out->seconds : 0;
    rc = 0;
out:
    for (unsigned i = 0; ws && i < cell->threads; i++)
        free(ws[i].seq);
    free(ws);
    free(cdf);
    free(hot);
    return rc;
}
