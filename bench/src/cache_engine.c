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
#include <sched.h>
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

/* Every target, with the configuration it runs in (--help, the notes under
 * the table, the JSON's "configurations" and bench/README.md say the same). */
static const struct gr_bench_entry {
    const char *name;
    const struct gr_bench_target *ops;
    const char *config;
} gr_bench_table[] = {
    {"gomap", &gr_bench_variant_ops, "gr_cache variant, 1 thread only, reset inline"},
    {"syncmap+naive-reset", &gr_bench_variant_ops, "gr_cache variant, 1 thread only, reset inline"},
    {"syncmap", &gr_bench_variant_ops, "gr_cache variant, default configuration"},
    {"mutex", &gr_bench_variant_ops, "gr_cache variant, default configuration"},
    {"rwlock", &gr_bench_variant_ops, "gr_cache variant, default configuration"},
    {"sharded", &gr_bench_variant_ops, "gr_cache variant, default configuration"},
    {"bounded", &gr_bench_variant_ops,
     "gr_cache variant, capacity 2 x hot keys (at least 65536): same hit ratio as the others"},
#ifdef GEORACE_HAVE_URCU
    {"rculfhash", &gr_bench_rculfhash_ops,
     "liburcu cds_lfht, flavour QSBR (empty read side; a quiescent state every 256 operations, "
     "threads offline while idle), initial buckets = hot keys rounded up to a power of two, "
     "auto-resize with accounting, add_unique puts, clear = delete all + call_rcu"},
#endif
#ifdef GEORACE_HAVE_CK
    {"ck_ht", &gr_bench_ck_ht_ops,
     "Concurrency Kit ck_ht SPMC, bytestring keys; readers in ck_epoch sections on their own "
     "records, writers serialized by a mutex; retired tables freed by ck_epoch_call + poll"},
#endif
    {"go-syncmap", &gr_bench_go_syncmap_ops,
     "Go sync.Map in the Go peer, GOMAXPROCS = threads, same keys, ranks, mix and loop; clear "
     "swaps in a new sync.Map through an atomic.Pointer"},
    {"go-rwmutex-map", &gr_bench_go_rwmutex_ops,
     "Go map[[16]byte]uint16 behind sync.RWMutex in the Go peer, same driver"},
    {"mmdb", &gr_bench_mmdb_ops, "no cache: one libmaxminddb lookup per operation"},
    {"floor", &gr_bench_floor_ops,
     "no synchronisation: open addressing, filled by the prefill then only read (puts dropped, "
     "clear does nothing): the limit for this workload, not a cache"},
};

#define GR_BENCH_NTARGETS (sizeof gr_bench_table / sizeof gr_bench_table[0])

static const char *const gr_bench_all[] = {"gomap",          "syncmap+naive-reset",
                                           "syncmap",        "mutex",
                                           "rwlock",         "sharded",
                                           "bounded",        "rculfhash",
                                           "ck_ht",          "go-syncmap",
                                           "go-rwmutex-map", "mmdb",
                                           "floor",          NULL};

const char gr_bench_cache_about[] =
    "Ops/s of every cache variant and of peers (liburcu rculfhash in its QSBR\n"
    "flavour, Concurrency Kit ck_ht with ck_epoch reclamation, Go's sync.Map and a\n"
    "Go map behind sync.RWMutex run by the Go peer, an uncached libmaxminddb\n"
    "lookup) and of the floor (a table read with no synchronisation at all) for\n"
    "four operation mixes: read-mostly (99% hits), mixed (90/10), write-heavy (50%\n"
    "misses) and reset-storm (mixed while a ticker clears the cache). Keys follow\n"
    "a Zipf law. Each cell's threads start together and run a warm-up before the\n"
    "measured window; every cell runs --repeat times (rounds over all cells) and\n"
    "the table shows the median and the spread. Peers as configured:\n"
    "  rculfhash  QSBR flavour: empty read side, a quiescent state every 256\n"
    "             operations, threads offline while idle; initial size = hot keys\n"
    "  ck_ht      SPMC, readers in ck_epoch sections, writers under a mutex,\n"
    "             retired tables freed through ck_epoch_call\n"
    "  floor      no synchronisation, read only after the prefill: the limit\n";

static const char *const gr_bench_note_list[] = {
    "ops/s: one operation = get, and on a miss put (what the resolver does per request)",
    "method: a cell's threads start together, run the warm-up, then the measured window (counts "
    "snapshotted at both ends while every thread runs); the median of the runs is shown, and +- "
    "is half the spread (max - min) / median",
    "cpu: the share of the window the workers were actually on a CPU (their thread CPU clocks / "
    "threads x window); a cell marked ! got less than 90%: other processes took the cores and "
    "its figure says more about the machine than about the target",
    "gomap and syncmap+naive-reset run with 1 thread only (their resets are inline): they are "
    "not safe concurrently - see the tsan verdicts and 'georace repro'",
    "rculfhash: liburcu lock-free hash table, flavour QSBR (the cheapest read side: nothing; each "
    "worker announces a quiescent state every 256 operations and is offline while idle), initial "
    "buckets = the hot keys rounded up to a power of two, auto-resize; clear = delete all + "
    "call_rcu",
    "ck_ht: Concurrency Kit SPMC mode, readers in ck_epoch sections, writers serialized by a "
    "mutex, retired tables freed through ck_epoch_call and ck_epoch_poll",
    "go-syncmap, go-rwmutex-map: Go's sync.Map (cleared by swapping in a new one through an "
    "atomic.Pointer) and a map[[16]byte]uint16 behind sync.RWMutex, in the Go peer with "
    "GOMAXPROCS = threads, same keys, ranks, mix, loop and measuring window; the key becomes an "
    "interface value per operation, as in a request handler",
    "x Go: median ns/op divided by go-syncmap's median ns/op in the same mix and thread count "
    "(ns/op = wall time per operation over all threads); below 1 is faster than Go's sync.Map",
    "mmdb: no cache, one libmaxminddb lookup per operation on the embedded database",
    "floor: the same workload on an unsynchronised table that is only read after the prefill "
    "(puts dropped, so its hit ratio under misses is the prefill's): no variant can beat it",
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

const char *
gr_bench_target_config(const char *target)
{
    for (size_t i = 0; i < GR_BENCH_NTARGETS; i++)
        if (!strcmp(gr_bench_table[i].name, target))
            return gr_bench_table[i].config;
    return "not built in";
}

void
gr_bench_floor_note(char *buf, size_t cap)
{
    size_t bytes = 0;
    double ns = gr_bench_floor_in_cache_ns(&bytes);
    if (ns <= 0) {
        snprintf(buf, cap, "%s", "");
        return;
    }
    snprintf(buf, cap,
             "physical floor: one hit on an unsynchronised open-addressing table that stays in "
             "cache (512 keys, %zu KiB) costs %.1f ns on one thread (%.0f million hits/s per "
             "thread); the floor row is the same kind of table holding this run's hot keys",
             bytes / 1024, ns, 1e3 / ns);
}

bool
gr_bench_is_peer(const char *target)
{
    return !strcmp(target, "rculfhash") || !strcmp(target, "ck_ht") || !strcmp(target, "mmdb") ||
           !strcmp(target, "floor") || !strncmp(target, "go-", 3);
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

/* One worker's running counts, published every batch for the main thread's
 * window snapshots; a cache line of its own so that publishing never
 * touches another worker's line. */
struct gr_bench_counts {
    _Alignas(64) _Atomic uint64_t ops;
    _Atomic uint64_t hits, misses, clears;
};

struct gr_bench_run {
    const struct gr_bench_target *t;
    const gr_bench_cell *cell;
    void *ctx;
    const struct gr_bench_workload *w;
    unsigned miss_permille;
    bool inline_reset;
    _Atomic unsigned ready; /* workers registered and waiting for go */
    _Atomic bool go, stop;
    struct gr_bench_counts *counts; /* one per worker */
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

/* Idle until the main thread says go; a QSBR reader is offline meanwhile. */
static void
gr_bench_wait_go(struct gr_bench_run *run)
{
    const struct gr_bench_target *t = run->t;
    if (t->offline)
        t->offline();
    atomic_fetch_add(&run->ready, 1);
    while (!atomic_load(&run->go))
        sched_yield();
    if (t->online)
        t->online();
}

static void
gr_bench_publish(struct gr_bench_counts *c, uint64_t ops, uint64_t hits, uint64_t misses,
                 uint64_t clears)
{
    atomic_store_explicit(&c->ops, ops, memory_order_relaxed);
    atomic_store_explicit(&c->hits, hits, memory_order_relaxed);
    atomic_store_explicit(&c->misses, misses, memory_order_relaxed);
    atomic_store_explicit(&c->clears, clears, memory_order_relaxed);
}

static void *
gr_bench_worker_main(void *arg)
{
    struct gr_bench_worker *w = arg;
    struct gr_bench_run *run = w->run;
    const struct gr_bench_target *t = run->t;
    const uint32_t *seq = run->w->seq[w->id];
    struct gr_bench_counts *counts = &run->counts[w->id];
    uint64_t s = run->cell->seed ^ (0x51ed27a3ULL * (w->id + 1));
    uint64_t ops = 0, hits = 0, misses = 0, clears = 0, fresh = 0;
    t->thread_init();
    gr_bench_wait_go(run);
    uint64_t next_reset = gr_clock_now_ns() + run->cell->reset_ns;
    for (size_t pos = 0;; pos++) {
        /* every 256 operations: publish the counts for the window
         * snapshots, pass a quiescent state (QSBR peers), look at stop */
        if ((pos & 255) == 0 && pos > 0) {
            gr_bench_publish(counts, ops, hits, misses, clears);
            if (t->quiescent)
                t->quiescent();
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
    return NULL;
}

struct gr_bench_ticker {
    struct gr_bench_run *run;
    _Atomic bool stop;
    _Atomic uint64_t clears;
};

/* reset-storm's clear ticker: offline while it sleeps (QSBR), a clear
 * every reset interval once the workers go. */
static void *
gr_bench_ticker_main(void *arg)
{
    struct gr_bench_ticker *tk = arg;
    struct gr_bench_run *run = tk->run;
    const struct gr_bench_target *t = run->t;
    struct timespec ts = {(time_t)(run->cell->reset_ns / 1000000000u),
                          (long)(run->cell->reset_ns % 1000000000u)};
    t->thread_init();
    if (t->offline)
        t->offline();
    while (!atomic_load(&run->go))
        sched_yield();
    while (!atomic_load(&tk->stop)) {
        nanosleep(&ts, NULL);
        if (t->online)
            t->online();
        t->clear(run->ctx);
        if (t->offline)
            t->offline();
        atomic_fetch_add(&tk->clears, 1);
    }
    if (t->online)
        t->online();
    t->thread_fini();
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

/* The counts of every worker and of the ticker, summed, now. */
static void
gr_bench_snapshot(const struct gr_bench_run *run, const struct gr_bench_ticker *tk,
                  gr_bench_result *out)
{
    memset(out, 0, sizeof *out);
    for (unsigned i = 0; i < run->cell->threads; i++) {
        out->ops += atomic_load_explicit(&run->counts[i].ops, memory_order_relaxed);
        out->hits += atomic_load_explicit(&run->counts[i].hits, memory_order_relaxed);
        out->misses += atomic_load_explicit(&run->counts[i].misses, memory_order_relaxed);
        out->clears += atomic_load_explicit(&run->counts[i].clears, memory_order_relaxed);
    }
    out->clears += atomic_load(&tk->clears);
}

/* CPU seconds the workers have run so far (their thread CPU clocks). */
static double
gr_bench_cpu_seconds(const struct gr_bench_worker *ws, unsigned n)
{
    double sum = 0;
    for (unsigned i = 0; i < n; i++) {
        clockid_t id;
        struct timespec ts;
        if (!pthread_getcpuclockid(ws[i].tid, &id) && !clock_gettime(id, &ts))
            sum += (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
    }
    return sum;
}

/* Wait until every worker has published a batch past the snapshot `at`
 * (each worker measures something, however short the window). */
static void
gr_bench_wait_batches(const struct gr_bench_run *run, const uint64_t *at)
{
    for (unsigned i = 0; i < run->cell->threads; i++)
        while (atomic_load_explicit(&run->counts[i].ops, memory_order_relaxed) <= at[i])
            sched_yield();
}

static void
gr_bench_sleep_ns(uint64_t ns)
{
    struct timespec d = {(time_t)(ns / 1000000000u), (long)(ns % 1000000000u)};
    while (ns && nanosleep(&d, &d))
        ;
}

/* Start the workers (and the ticker), let them run the warm-up, then
 * measure the window: counts and clock snapshotted at its start and end
 * while every worker is running. 0, or -1 when threads cannot start. */
static int
gr_bench_measure(struct gr_bench_run *run, bool with_ticker, gr_bench_result *out)
{
    const gr_bench_cell *cell = run->cell;
    struct gr_bench_worker *ws = calloc(cell->threads, sizeof *ws);
    uint64_t *at = calloc(cell->threads, sizeof *at);
    struct gr_bench_ticker tk = {.run = run};
    pthread_t ticker;
    unsigned started = 0;
    for (; ws && at && started < cell->threads; started++) {
        ws[started] = (struct gr_bench_worker){.run = run, .id = started};
        if (pthread_create(&ws[started].tid, NULL, gr_bench_worker_main, &ws[started]))
            break;
    }
    if (with_ticker && started == cell->threads &&
        pthread_create(&ticker, NULL, gr_bench_ticker_main, &tk))
        with_ticker = false;
    int rc = started == cell->threads ? 0 : -1;
    while (!rc && atomic_load(&run->ready) < started)
        sched_yield();
    atomic_store(&run->go, true); /* on failure: let the started ones finish */
    if (!rc) {
        gr_bench_result r0, r1;
        gr_bench_sleep_ns(cell->warmup_ns);
        for (unsigned i = 0; i < cell->threads; i++)
            at[i] = atomic_load_explicit(&run->counts[i].ops, memory_order_relaxed);
        double cpu0 = gr_bench_cpu_seconds(ws, cell->threads);
        uint64_t t0 = gr_clock_now_ns();
        gr_bench_snapshot(run, &tk, &r0);
        gr_bench_sleep_ns(cell->duration_ns);
        gr_bench_wait_batches(run, at);
        gr_bench_snapshot(run, &tk, &r1);
        uint64_t t1 = gr_clock_now_ns();
        double cpu = gr_bench_cpu_seconds(ws, cell->threads) - cpu0;
        out->ops = r1.ops - r0.ops;
        out->hits = r1.hits - r0.hits;
        out->misses = r1.misses - r0.misses;
        out->clears = r1.clears - r0.clears;
        out->seconds = (double)(t1 - t0) / 1e9;
        out->ops_per_s = out->seconds > 0 ? (double)out->ops / out->seconds : 0;
        out->cpu_share = out->seconds > 0 ? cpu / (out->seconds * cell->threads) : 0;
    }
    atomic_store(&run->stop, true);
    for (unsigned i = 0; i < started; i++)
        pthread_join(ws[i].tid, NULL);
    if (with_ticker) {
        atomic_store(&tk.stop, true);
        pthread_join(ticker, NULL);
    }
    free(ws);
    free(at);
    return rc;
}

/* One cell of an in-process target: prefill, warm up, run the workers
 * (and the ticker) and measure a window of the cell's duration. */
static int
gr_bench_run_local(const gr_bench_cell *cell, const struct gr_bench_target *t,
                   const struct gr_bench_workload *w, bool buggy, gr_bench_result *out, char *err,
                   size_t cap)
{
    struct gr_bench_run run = {.t = t, .cell = cell, .w = w, .miss_permille = w->miss_permille};
    run.inline_reset = cell->mix == GR_BENCH_RESET_STORM && buggy;
    run.counts = aligned_alloc(64, cell->threads * sizeof *run.counts);
    if (!run.counts) {
        snprintf(err, cap, "out of memory");
        return -1;
    }
    memset(run.counts, 0, cell->threads * sizeof *run.counts);
    t->thread_init();
    run.ctx = t->open(cell, err, cap);
    if (!run.ctx) {
        t->thread_fini();
        free(run.counts);
        return -1;
    }
    for (size_t i = 0; i < cell->keys; i++) /* prefill */
        t->put(run.ctx, &w->hot[i], gr_bench_value(i));
    gr_country warm;
    for (size_t i = 0; i < cell->keys; i++)       /* read once: the steady state (syncmap */
        (void)t->get(run.ctx, &w->hot[i], &warm); /* promotes its dirty map here) */
    if (t->seal)
        t->seal(run.ctx);
    if (t->offline) /* this thread only sleeps until the cell ends */
        t->offline();
    int rc = gr_bench_measure(&run, cell->mix == GR_BENCH_RESET_STORM && !buggy, out);
    if (t->online)
        t->online();
    out->mem_bytes = t->mem(run.ctx);
    t->close(run.ctx);
    t->thread_fini();
    free(run.counts);
    if (rc)
        snprintf(err, cap, "cannot start %u threads", cell->threads);
    return rc;
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
