/*
 * cache_engine.c - 'bench cache': ops/s of every cache variant and of
 * peers, per operation mix and thread count (bench_cache.h).
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
 * The targets (target.h) are the cache variants and the peers, each in a
 * file of its own that says how it is run: rculfhash (peer_rculfhash.c),
 * ck_ht (peer_ck_ht.c), mmdb (peer_mmdb.c), and Go's sync.Map and
 * RWMutex map (peer_go.c: the cell's workload is handed to the Go peer,
 * which runs this file's worker loop on the Go runtime). gomap and syncmap+naive-reset
 * are only run single-threaded and reset inline by their one worker: they
 * are not safe to use concurrently, which is the point of them.
 */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "georace/bench_cache.h"
#include "georace/cache.h"
#include "georace/clock.h"
#include "georace/rng.h"
#include "target.h"

/* ---- targets ---- */

void
gr_bench_target_nop(void)
{
}

size_t
gr_bench_target_mem_unknown(void *ctx)
{
    (void)ctx;
    return 0;
}

static const struct gr_bench_entry {
    const char *name;
    const struct gr_bench_target *ops;
} gr_bench_table[] = {
    {"gomap", &gr_bench_variant_ops},
    {"syncmap+naive-reset", &gr_bench_variant_ops},
    {"syncmap", &gr_bench_variant_ops},
    {"mutex", &gr_bench_variant_ops},
    {"rwlock", &gr_bench_variant_ops},
    {"sharded", &gr_bench_variant_ops},
    {"bounded", &gr_bench_variant_ops},
#ifdef GEORACE_HAVE_URCU
    {"rculfhash", &gr_bench_rculfhash_ops},
#endif
#ifdef GEORACE_HAVE_CK
    {"ck_ht", &gr_bench_ck_ht_ops},
#endif
    {"go-syncmap", &gr_bench_go_syncmap_ops},
    {"go-rwmutex-map", &gr_bench_go_rwmutex_ops},
    {"mmdb", &gr_bench_mmdb_ops},
};

#define GR_BENCH_NTARGETS (sizeof gr_bench_table / sizeof gr_bench_table[0])

static const char *const gr_bench_all[] = {
    "gomap",   "syncmap+naive-reset", "syncmap", "mutex",      "rwlock",         "sharded",
    "bounded", "rculfhash",           "ck_ht",   "go-syncmap", "go-rwmutex-map", "mmdb",
    NULL};

const char gr_bench_cache_about[] =
    "Ops/s of every cache variant and of peers (liburcu rculfhash, Concurrency Kit\n"
    "ck_ht, Go's sync.Map and a Go map behind sync.RWMutex run by the Go peer, an\n"
    "uncached libmaxminddb lookup) for four operation mixes:\n"
    "read-mostly (99% hits), mixed (90/10), write-heavy (50% misses) and\n"
    "reset-storm (mixed while a ticker clears the cache). Keys follow a Zipf law.\n";

static const char *const gr_bench_note_list[] = {
    "ops/s: one operation = get, and on a miss put (what the resolver does per request)",
    "gomap and syncmap+naive-reset run with 1 thread only (their resets are inline): they are "
    "not safe concurrently - see the tsan verdicts and 'georace repro'",
    "rculfhash: liburcu lock-free hash table, RCU flavour memb; clear = delete all + call_rcu",
    "ck_ht: Concurrency Kit SPMC mode, writers serialized by a mutex, retired tables kept until "
    "the cell ends (no ck_epoch)",
    "go-syncmap, go-rwmutex-map: Go's sync.Map (cleared by swapping in a new one through an "
    "atomic.Pointer) and a map[[16]byte]uint16 behind sync.RWMutex, in the Go peer with "
    "GOMAXPROCS = threads, same keys, ranks, mix and loop; the key becomes an interface value "
    "per operation, as in a request handler",
    "x Go: ns/op divided by go-syncmap's ns/op in the same mix and thread count (ns/op = wall "
    "time per operation over all threads); below 1 is faster than Go's sync.Map",
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
    return !strcmp(target, "rculfhash") || !strcmp(target, "ck_ht") || !strcmp(target, "mmdb") ||
           !strncmp(target, "go-", 3);
}

bool
gr_bench_has_hits(const char *target)
{
    return strcmp(target, "mmdb") != 0;
}

bool
gr_bench_known(const char *target)
{
    for (const char *const *t = gr_bench_all; *t; t++)
        if (!strcmp(*t, target))
            return true;
    return false;
}

static const struct gr_bench_target *
gr_bench_find(const char *name)
{
    for (size_t i = 0; i < GR_BENCH_NTARGETS; i++)
        if (!strcmp(gr_bench_table[i].name, name))
            return gr_bench_table[i].ops;
    return NULL;
}

const char *
gr_bench_unavailable(const char *target)
{
    const struct gr_bench_target *t = gr_bench_find(target);
    if (t)
        return t->unavailable ? t->unavailable() : NULL;
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
    const struct gr_bench_workload *w;
    unsigned miss_permille;
    bool inline_reset;
    _Atomic bool stop;
    _Atomic uint64_t ops, hits, misses, clears;
};

struct gr_bench_worker {
    struct gr_bench_run *run;
    unsigned id;
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
    const uint32_t *seq = run->w->seq[w->id];
    uint64_t s = run->cell->seed ^ (0x51ed27a3ULL * (w->id + 1));
    uint64_t ops = 0, hits = 0, misses = 0, clears = 0, fresh = 0;
    uint64_t next_reset = gr_clock_now_ns() + run->cell->reset_ns;
    t->thread_init();
    for (size_t pos = 0;; pos++) {
        /* every 256 operations, the first batch whole: a worker that starts
         * late still measures something */
        if ((pos & 255) == 0 && pos > 0) {
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
            idx = seq[pos & (GR_BENCH_SEQ - 1)];
            key = &run->w->hot[idx];
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

/* Hot keys and every worker's Zipf ranks for a cell; 0, or -1 (no memory). */
static int
gr_bench_workload_make(const gr_bench_cell *cell, struct gr_bench_workload *w)
{
    memset(w, 0, sizeof *w);
    double *cdf = malloc(cell->keys * sizeof *cdf);
    w->hot = malloc(cell->keys * sizeof *w->hot);
    w->seq = calloc(cell->threads, sizeof *w->seq);
    if (!cdf || !w->hot || !w->seq) {
        free(cdf);
        return -1;
    }
    double sum = 0;
    for (size_t i = 0; i < cell->keys; i++) {
        gr_bench_key(i, &w->hot[i]);
        sum += cell->zipf_s > 0 ? 1.0 / pow((double)(i + 1), cell->zipf_s) : 1.0;
        cdf[i] = sum;
    }
    for (size_t i = 0; i < cell->keys; i++)
        cdf[i] /= sum;
    int rc = 0;
    for (unsigned i = 0; i < cell->threads && !rc; i++) {
        if (!(w->seq[i] = malloc(GR_BENCH_SEQ * sizeof *w->seq[i])))
            rc = -1;
        else
            gr_bench_zipf(w->seq[i], cdf, cell->keys, cell->seed + 1000003u * (i + 1));
    }
    free(cdf);
    return rc;
}

static void
gr_bench_workload_free(struct gr_bench_workload *w, unsigned threads)
{
    for (unsigned i = 0; w->seq && i < threads; i++)
        free(w->seq[i]);
    free(w->seq);
    free(w->hot);
}

/* One cell of an in-process target: prefill, warm up, run the workers
 * (and the ticker) for the cell's duration. */
static int
gr_bench_run_local(const gr_bench_cell *cell, const struct gr_bench_target *t,
                   const struct gr_bench_workload *w, bool buggy, gr_bench_result *out, char *err,
                   size_t cap)
{
    struct gr_bench_run run = {.t = t, .cell = cell, .w = w, .miss_permille = w->miss_permille};
    run.inline_reset = cell->mix == GR_BENCH_RESET_STORM && buggy;
    struct gr_bench_worker *ws = calloc(cell->threads, sizeof *ws);
    if (!ws) {
        snprintf(err, cap, "out of memory");
        return -1;
    }
    for (unsigned i = 0; i < cell->threads; i++) {
        ws[i].run = &run;
        ws[i].id = i;
    }
    t->thread_init();
    run.ctx = t->open(cell, err, cap);
    if (!run.ctx) {
        t->thread_fini();
        free(ws);
        return -1;
    }
    for (size_t i = 0; i < cell->keys; i++) /* prefill */
        t->put(run.ctx, &w->hot[i], gr_bench_value(i));
    gr_country warm;
    for (size_t i = 0; i < cell->keys; i++)       /* warm-up: measure the steady state (syncmap */
        (void)t->get(run.ctx, &w->hot[i], &warm); /* promotes its dirty map here) */

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
    free(ws);
    if (started < cell->threads) {
        snprintf(err, cap, "cannot start %u threads", cell->threads);
        return -1;
    }
    out->ops = atomic_load(&run.ops);
    out->hits = atomic_load(&run.hits);
    out->misses = atomic_load(&run.misses);
    out->clears = atomic_load(&run.clears);
    out->seconds = (double)(t1 - t0) / 1e9;
    out->ops_per_s = out->seconds > 0 ? (double)out->ops / out->seconds : 0;
    return 0;
}

int
gr_bench_run_cell(const gr_bench_cell *cell, gr_bench_result *out, char *err, size_t cap)
{
    static const unsigned miss_permille[GR_BENCH_MIX_COUNT] = {10, 100, 500, 100};
    memset(out, 0, sizeof *out);
    const struct gr_bench_target *t = gr_bench_find(cell->target);
    const char *why = t && t->unavailable ? t->unavailable() : NULL;
    if (!t || why) {
        snprintf(err, cap, "%s: %s", cell->target, why ? why : gr_bench_unavailable(cell->target));
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
    struct gr_bench_workload w;
    int rc = -1;
    if (gr_bench_workload_make(cell, &w)) {
        snprintf(err, cap, "out of memory");
    } else {
        w.miss_permille = miss_permille[cell->mix];
        rc = t->run_cell ? t->run_cell(cell, &w, out, err, cap)
                         : gr_bench_run_local(cell, t, &w, buggy, out, err, cap);
    }
    gr_bench_workload_free(&w, cell->threads);
    return rc;
}
