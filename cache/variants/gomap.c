/*
 * gomap.c - the "gomap" variant: Go's runtime map (Go <= 1.23 hmap), shared
 * by every request thread without any synchronization, as Zoraxy v3.1.4's
 * slow-resolve cache was.
 *
 * The map: 2^B buckets of 8 slots. A slot's tophash byte holds the top 8
 * bits of the key's hash (values below 5 are markers: empty, evacuated to
 * the X or Y half, ...), keys and values sit in arrays after it, and a full
 * bucket chains an overflow bucket. An insert that would push the average
 * above 6.5 entries per bucket (or that finds too many overflow buckets)
 * starts a grow: a new array twice as large (or the same size, to compact
 * overflow chains) and the old array kept aside; each later write evacuates
 * the old bucket it touches plus one more in order, so the move is spread
 * over many writes, and readers look in the old bucket until it has moved.
 * Each map has its own hash seed.
 *
 * The detector: Go's best-effort hashWriting bit in the flags byte, read
 * and written with PLAIN loads and stores, as in the Go runtime. A write
 * toggles the bit on at entry and off at exit; a write that finds it set at
 * entry, or already cleared at exit, dies with "fatal error: concurrent map
 * writes"; a read that finds it set dies with "fatal error: concurrent map
 * read and map write". Both print a backtrace and _exit(2), like Go. The
 * flags accesses are surrounded by atomic_signal_fence, a compiler-only
 * barrier: it keeps the compiler from caching or folding the re-check (Go's
 * compiler does not either) and emits no instruction, so the detector stays
 * exactly as racy and best-effort as Go's, and ThreadSanitizer sees plain
 * accesses. With detector=false the checks are skipped and the race shows
 * its raw effects: lost entries, wrong answers, corrupt chains, crashes.
 *
 * window_ns widens the write critical section (between setting and clearing
 * hashWriting) by busy-waiting on CLOCK_MONOTONIC; 0 costs one predictable
 * branch. It exists to make overlaps, and so time-to-failure, controllable.
 * Inside that same branch, and so only when window_ns > 0, a write calls the
 * test hook set by gr_gomap_set_window_hook, if any, before it spins: a test
 * learns there that a writer is inside its window and may hold it there
 * while another thread overlaps it, instead of sleeping and hoping.
 *
 * clear emulates Zoraxy's ticker, `cache = make(map[string]string)`: a new
 * map is built and the shared map pointer is overwritten with a plain store,
 * racing with every request that is reading it. In Go the garbage collector
 * keeps the old map alive for the requests still using it. Here the old map
 * (with every bucket it ever allocated, including arrays left behind by
 * growth) goes on a retired list: the newest GR_GOMAP_KEEP_RETIRED are kept
 * unconditionally, older ones are freed once they have been retired for at
 * least a second, and destroy frees the rest. A request would have to stall
 * for a second across that many resets to touch freed memory.
 */
#include <execinfo.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "georace/clock.h"
#include "gomap.h"
#include "sched_hooks.h"
#include "variants.h"

#define GR_GOMAP_SLOTS 8
#define GR_GOMAP_LOAD_NUM 13 /* load factor 6.5 = 13/2 */
#define GR_GOMAP_LOAD_DEN 2
#define GR_GOMAP_KEEP_RETIRED 8

/* tophash markers (Go's emptyRest, emptyOne, evacuatedX/Y/Empty, minTopHash) */
enum {
    GR_GOMAP_EMPTY_REST = 0,
    GR_GOMAP_EMPTY_ONE = 1,
    GR_GOMAP_EVAC_X = 2,
    GR_GOMAP_EVAC_Y = 3,
    GR_GOMAP_EVAC_EMPTY = 4,
    GR_GOMAP_MIN_TOPHASH = 5
};

/* flags bits */
enum { GR_GOMAP_WRITING = 4, GR_GOMAP_SAME_SIZE_GROW = 8 };

struct gr_gomap_bucket {
    uint8_t tophash[GR_GOMAP_SLOTS];
    gr_ip keys[GR_GOMAP_SLOTS];
    gr_country elems[GR_GOMAP_SLOTS];
    struct gr_gomap_bucket *overflow;
};

/* Every allocation of a map, freed together with the map (our stand-in for GC). */
struct gr_gomap_chunk {
    struct gr_gomap_chunk *next;
    size_t bytes;
    struct gr_gomap_bucket b[];
};

struct gr_gomap_hmap {
    size_t count;
    uint8_t flags;
    uint8_t B;
    uint16_t noverflow;
    uint32_t rng;
    uint64_t hash0;
    struct gr_gomap_bucket *buckets;
    struct gr_gomap_bucket *oldbuckets;
    size_t nevacuate;
    size_t overflow_total; /* overflow buckets ever allocated (statistics) */
    struct gr_gomap_chunk *chunks;
    size_t bytes;
    struct gr_gomap_hmap *next_retired;
    uint64_t retired_ns;
};

struct gr_gomap_cache {
    gr_cache base;
    struct gr_gomap_hmap *h; /* the shared map variable: plain loads and stores */
    bool detector;
    uint64_t window_ns;
    gr_gomap_window_hook *window_hook; /* tests only; called when window_ns > 0 */
    void *window_hook_arg;
    size_t size_hint;
    pthread_mutex_t retire_mu; /* bookkeeping of the GC stand-in only */
    struct gr_gomap_hmap *retired;
    size_t n_retired;
};

#define GR_GOMAP(c) ((struct gr_gomap_cache *)(c))

/* Go's fatal(): message, a goroutine-like header, a backtrace, exit status 2. */
static _Noreturn void
gr_gomap_fatal(const char *msg)
{
#ifdef GEORACE_SCHED
    gr_sched_fatal(msg); /* the scheduler records the finding and ends the run */
#endif
    char head[160];
    int n = snprintf(head, sizeof head, "fatal error: %s\n\ngoroutine %ld [running]:\n", msg,
                     (long)gettid());
    if (write(STDERR_FILENO, head, (size_t)n) < 0)
        _exit(2);
    void *frames[64];
    backtrace_symbols_fd(frames, backtrace(frames, 64), STDERR_FILENO);
    _exit(2);
}

/* Plain (racy) accesses of the flags byte; the signal fences only stop the
 * compiler from folding them, they order nothing between threads. */
static inline uint8_t
gr_gomap_flags(const struct gr_gomap_hmap *h)
{
    GR_SCHED_POINT("read h->flags");
    atomic_signal_fence(memory_order_seq_cst);
    uint8_t f = h->flags;
    atomic_signal_fence(memory_order_seq_cst);
    return f;
}

static inline void
gr_gomap_set_flags(struct gr_gomap_hmap *h, uint8_t f)
{
    GR_SCHED_POINT("write h->flags");
    atomic_signal_fence(memory_order_seq_cst);
    h->flags = f;
    atomic_signal_fence(memory_order_seq_cst);
}

static inline uint8_t
gr_gomap_tophash(uint64_t hash)
{
    uint8_t top = (uint8_t)(hash >> 56);
    return top < GR_GOMAP_MIN_TOPHASH ? top + GR_GOMAP_MIN_TOPHASH : top;
}

static inline bool
gr_gomap_is_empty(uint8_t top)
{
    return top <= GR_GOMAP_EMPTY_ONE;
}

static inline bool
gr_gomap_evacuated(const struct gr_gomap_bucket *b)
{
    return b->tophash[0] > GR_GOMAP_EMPTY_ONE && b->tophash[0] < GR_GOMAP_MIN_TOPHASH;
}

static inline size_t
gr_gomap_mask(unsigned B)
{
    return ((size_t)1 << B) - 1;
}

static bool
gr_gomap_over_load(size_t count, unsigned B)
{
    return count > GR_GOMAP_SLOTS &&
           count > GR_GOMAP_LOAD_NUM * (((size_t)1 << B) / GR_GOMAP_LOAD_DEN);
}

static bool
gr_gomap_too_many_overflow(uint16_t noverflow, unsigned B)
{
    if (B > 15)
        B = 15;
    return noverflow >= (uint16_t)(1u << (B & 15));
}

static struct gr_gomap_bucket *
gr_gomap_alloc(struct gr_gomap_hmap *h, size_t nbuckets)
{
    size_t bytes = sizeof(struct gr_gomap_chunk) + nbuckets * sizeof(struct gr_gomap_bucket);
    struct gr_gomap_chunk *ch = calloc(1, bytes);
    if (!ch)
        gr_gomap_fatal("runtime: out of memory");
    ch->bytes = bytes;
    ch->next = h->chunks;
    h->chunks = ch;
    h->bytes += bytes;
    return ch->b;
}

static struct gr_gomap_hmap *
gr_gomap_make(size_t hint)
{
    struct gr_gomap_hmap *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    h->hash0 = gr_variant_seed();
    h->rng = (uint32_t)h->hash0 | 1;
    h->bytes = sizeof *h;
    while (gr_gomap_over_load(hint, h->B))
        h->B++;
    if (h->B)
        h->buckets = gr_gomap_alloc(h, (size_t)1 << h->B);
    return h;
}

static void
gr_gomap_free(struct gr_gomap_hmap *h)
{
    for (struct gr_gomap_chunk *ch = h->chunks, *next; ch; ch = next) {
        next = ch->next;
        free(ch);
    }
    free(h);
}

static struct gr_gomap_bucket *
gr_gomap_new_overflow(struct gr_gomap_hmap *h, struct gr_gomap_bucket *b)
{
    struct gr_gomap_bucket *ovf = gr_gomap_alloc(h, 1);
    h->overflow_total++;
    if (h->B < 16) {
        h->noverflow++;
    } else {
        h->rng ^= h->rng << 13, h->rng ^= h->rng >> 17, h->rng ^= h->rng << 5;
        if ((h->rng & ((1u << (h->B - 15)) - 1)) == 0)
            h->noverflow++;
    }
    b->overflow = ovf;
    return ovf;
}

static void
gr_gomap_hash_grow(struct gr_gomap_hmap *h)
{
    unsigned bigger = 1;
    uint8_t flags = gr_gomap_flags(h);
    if (!gr_gomap_over_load(h->count + 1, h->B)) {
        bigger = 0;
        flags |= GR_GOMAP_SAME_SIZE_GROW;
    }
    h->oldbuckets = h->buckets;
    h->buckets = gr_gomap_alloc(h, (size_t)1 << (h->B + bigger));
    h->B += bigger;
    gr_gomap_set_flags(h, flags);
    h->nevacuate = 0;
    h->noverflow = 0;
}

static inline size_t
gr_gomap_noldbuckets(const struct gr_gomap_hmap *h)
{
    unsigned oldB = h->B;
    if (!(gr_gomap_flags(h) & GR_GOMAP_SAME_SIZE_GROW))
        oldB--;
    return (size_t)1 << oldB;
}

struct gr_gomap_dst {
    struct gr_gomap_bucket *b;
    unsigned i;
};

static void
gr_gomap_advance_mark(struct gr_gomap_hmap *h, size_t newbit)
{
    h->nevacuate++;
    size_t stop = h->nevacuate + 1024;
    if (stop > newbit)
        stop = newbit;
    while (h->nevacuate != stop && gr_gomap_evacuated(&h->oldbuckets[h->nevacuate]))
        h->nevacuate++;
    if (h->nevacuate == newbit) {
        h->oldbuckets = NULL;
        gr_gomap_set_flags(h, gr_gomap_flags(h) & (uint8_t)~GR_GOMAP_SAME_SIZE_GROW);
    }
}

/* Move old bucket `oldbucket` (with its chain) into the X (same index) or Y
 * (index + newbit) bucket of the new array. */
static void
gr_gomap_evacuate(struct gr_gomap_hmap *h, size_t oldbucket)
{
    size_t newbit = gr_gomap_noldbuckets(h);
    struct gr_gomap_bucket *b = &h->oldbuckets[oldbucket];
    bool same = gr_gomap_flags(h) & GR_GOMAP_SAME_SIZE_GROW;
    if (!gr_gomap_evacuated(b)) {
        struct gr_gomap_dst xy[2] = {{&h->buckets[oldbucket], 0}, {NULL, 0}};
        if (!same)
            xy[1].b = &h->buckets[oldbucket + newbit];
        for (; b; b = b->overflow) {
            for (unsigned i = 0; i < GR_GOMAP_SLOTS; i++) {
                uint8_t top = b->tophash[i];
                if (gr_gomap_is_empty(top)) {
                    b->tophash[i] = GR_GOMAP_EVAC_EMPTY;
                    continue;
                }
                unsigned y = 0;
                if (!same && (gr_ip_hash(&b->keys[i], h->hash0) & newbit))
                    y = 1;
                b->tophash[i] = (uint8_t)(GR_GOMAP_EVAC_X + y);
                struct gr_gomap_dst *d = &xy[y];
                if (d->i == GR_GOMAP_SLOTS) {
                    d->b = gr_gomap_new_overflow(h, d->b);
                    d->i = 0;
                }
                d->b->tophash[d->i] = top;
                d->b->keys[d->i] = b->keys[i];
                d->b->elems[d->i] = b->elems[i];
                d->i++;
            }
        }
    }
    if (oldbucket == h->nevacuate)
        gr_gomap_advance_mark(h, newbit);
}

static void
gr_gomap_grow_work(struct gr_gomap_hmap *h, size_t bucket)
{
    gr_gomap_evacuate(h, bucket & (gr_gomap_noldbuckets(h) - 1));
    if (h->oldbuckets)
        gr_gomap_evacuate(h, h->nevacuate);
}

/* mapaccess: plain reads of a map other threads may be writing. */
static bool
gr_gomap_get(gr_cache *c, const gr_ip *key, gr_country *out)
{
    struct gr_gomap_cache *g = GR_GOMAP(c);
    GR_SCHED_POINT("read g->h");
    struct gr_gomap_hmap *h = g->h;
    GR_SCHED_POINT("read h->count");
    if (h->count == 0)
        return false;
    if (g->detector && (gr_gomap_flags(h) & GR_GOMAP_WRITING))
        gr_gomap_fatal(GR_GOMAP_MSG_READ_WRITE);
    uint64_t hash = gr_ip_hash(key, h->hash0);
    size_t m = gr_gomap_mask(h->B);
    struct gr_gomap_bucket *b = &h->buckets[hash & m];
    struct gr_gomap_bucket *old = h->oldbuckets;
    if (old) {
        if (!(gr_gomap_flags(h) & GR_GOMAP_SAME_SIZE_GROW))
            m >>= 1;
        struct gr_gomap_bucket *ob = &old[hash & m];
        if (!gr_gomap_evacuated(ob))
            b = ob;
    }
    uint8_t top = gr_gomap_tophash(hash);
    for (; b; b = b->overflow) {
        GR_SCHED_POINT("read bucket");
        for (unsigned i = 0; i < GR_GOMAP_SLOTS; i++) {
            if (b->tophash[i] != top) {
                if (b->tophash[i] == GR_GOMAP_EMPTY_REST)
                    return false;
                continue;
            }
            if (!memcmp(&b->keys[i], key, sizeof *key)) {
                *out = b->elems[i];
                return true;
            }
        }
    }
    return false;
}

/* mapassign */
static void
gr_gomap_put(gr_cache *c, const gr_ip *key, gr_country value)
{
    struct gr_gomap_cache *g = GR_GOMAP(c);
    GR_SCHED_POINT("read g->h");
    struct gr_gomap_hmap *h = g->h;
    if (g->detector && (gr_gomap_flags(h) & GR_GOMAP_WRITING))
        gr_gomap_fatal(GR_GOMAP_MSG_WRITES);
    uint64_t hash = gr_ip_hash(key, h->hash0);
    gr_gomap_set_flags(h, gr_gomap_flags(h) ^ GR_GOMAP_WRITING);
    if (__builtin_expect(g->window_ns != 0, 0)) {
        if (g->window_hook)
            g->window_hook(g->window_hook_arg);
        gr_clock_spin_ns(g->window_ns);
    }
    if (!h->buckets)
        h->buckets = gr_gomap_alloc(h, 1);
    uint8_t top = gr_gomap_tophash(hash);
    struct gr_gomap_bucket *b, *insb;
    unsigned insi;
again:
    if (h->oldbuckets)
        gr_gomap_grow_work(h, hash & gr_gomap_mask(h->B));
    b = &h->buckets[hash & gr_gomap_mask(h->B)];
    insb = NULL;
    insi = 0;
    for (;;) {
        GR_SCHED_POINT("read bucket");
        for (unsigned i = 0; i < GR_GOMAP_SLOTS; i++) {
            if (b->tophash[i] != top) {
                if (gr_gomap_is_empty(b->tophash[i]) && !insb)
                    insb = b, insi = i;
                if (b->tophash[i] == GR_GOMAP_EMPTY_REST)
                    goto notfound;
                continue;
            }
            if (memcmp(&b->keys[i], key, sizeof *key))
                continue;
            GR_SCHED_POINT("write bucket elem");
            b->elems[i] = value;
            goto done;
        }
        if (!b->overflow)
            break;
        b = b->overflow;
    }
notfound:
    if (!h->oldbuckets && (gr_gomap_over_load(h->count + 1, h->B) ||
                           gr_gomap_too_many_overflow(h->noverflow, h->B))) {
        gr_gomap_hash_grow(h);
        goto again;
    }
    if (!insb) {
        insb = gr_gomap_new_overflow(h, b);
        insi = 0;
    }
    GR_SCHED_POINT("write bucket slot");
    insb->keys[insi] = *key;
    insb->elems[insi] = value;
    insb->tophash[insi] = top;
    h->count++;
done:
    if (g->detector && !(gr_gomap_flags(h) & GR_GOMAP_WRITING))
        gr_gomap_fatal(GR_GOMAP_MSG_WRITES);
    gr_gomap_set_flags(h, gr_gomap_flags(h) & (uint8_t)~GR_GOMAP_WRITING);
}

static void
gr_gomap_clear(gr_cache *c)
{
    struct gr_gomap_cache *g = GR_GOMAP(c);
    struct gr_gomap_hmap *fresh = gr_gomap_make(g->size_hint);
    if (!fresh)
        return; /* out of memory: keep the old map */
    GR_SCHED_POINT("write g->h");
    struct gr_gomap_hmap *old = g->h;
    g->h = fresh; /* the racy `cache = make(map...)` */

    uint64_t now = gr_clock_now_ns();
    struct gr_gomap_hmap *drop = NULL;
    pthread_mutex_lock(&g->retire_mu);
    old->retired_ns = now;
    old->next_retired = g->retired;
    g->retired = old;
    g->n_retired++;
    size_t kept = 0;
    for (struct gr_gomap_hmap **p = &g->retired; *p;) {
        if (++kept > GR_GOMAP_KEEP_RETIRED && now - (*p)->retired_ns >= 1000000000u) {
            drop = *p; /* the tail from here on is older still */
            *p = NULL;
            break;
        }
        p = &(*p)->next_retired;
    }
    for (struct gr_gomap_hmap *r = drop; r; r = r->next_retired)
        g->n_retired--;
    pthread_mutex_unlock(&g->retire_mu);
    while (drop) {
        struct gr_gomap_hmap *next = drop->next_retired;
        gr_gomap_free(drop);
        drop = next;
    }
}

static size_t
gr_gomap_len(gr_cache *c)
{
    return GR_GOMAP(c)->h->count;
}

static size_t
gr_gomap_mem_bytes(gr_cache *c)
{
    struct gr_gomap_cache *g = GR_GOMAP(c);
    size_t n = sizeof *g + g->h->bytes;
    pthread_mutex_lock(&g->retire_mu);
    for (struct gr_gomap_hmap *r = g->retired; r; r = r->next_retired)
        n += r->bytes;
    pthread_mutex_unlock(&g->retire_mu);
    return n;
}

static void
gr_gomap_destroy(gr_cache *c)
{
    struct gr_gomap_cache *g = GR_GOMAP(c);
    while (g->retired) {
        struct gr_gomap_hmap *next = g->retired->next_retired;
        gr_gomap_free(g->retired);
        g->retired = next;
    }
    gr_gomap_free(g->h);
    pthread_mutex_destroy(&g->retire_mu);
    free(g);
}

void
gr_gomap_info(gr_cache *c, struct gr_gomap_info *out)
{
    struct gr_gomap_cache *g = GR_GOMAP(c);
    out->B = g->h->B;
    out->overflow_buckets = g->h->overflow_total;
    out->growing = g->h->oldbuckets != NULL;
    pthread_mutex_lock(&g->retire_mu);
    out->retired_maps = g->n_retired;
    pthread_mutex_unlock(&g->retire_mu);
}

void
gr_gomap_set_window_hook(gr_cache *c, gr_gomap_window_hook *hook, void *arg)
{
    struct gr_gomap_cache *g = GR_GOMAP(c);
    g->window_hook = hook;
    g->window_hook_arg = arg;
}

static const struct gr_cache_ops gr_gomap_ops = {"gomap",         gr_gomap_get, gr_gomap_put,
                                                 gr_gomap_clear,  gr_gomap_len, gr_gomap_mem_bytes,
                                                 gr_gomap_destroy};

int
gr_gomap_create(const gr_cache_config *cfg, gr_cache **out)
{
    struct gr_gomap_cache *g = calloc(1, sizeof *g);
    if (!g)
        return GR_CACHE_ENOMEM;
    g->h = gr_gomap_make(cfg->size_hint);
    if (!g->h) {
        free(g);
        return GR_CACHE_ENOMEM;
    }
    g->base.ops = &gr_gomap_ops;
    g->detector = cfg->detector;
    g->window_ns = cfg->window_ns;
    g->size_hint = cfg->size_hint;
    pthread_mutex_init(&g->retire_mu, NULL);
    *out = &g->base;
    return GR_CACHE_OK;
}
