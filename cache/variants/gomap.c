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
 * while another thread overlaps it, instead of sleeping and hoping. The
 * point hook (gr_gomap_set_point_hook) does the same at three other named
 * points (a read that matched its key, a grow's allocation, a write's value
 * store), at one predictable branch each when unset.
 *
 * Where the emulation follows Go's order of memory accesses (Go 1.19,
 * runtime/map.go and map_faststr.go; checked against those sources):
 *  - mapassign returns the slot and the compiled caller stores the value
 *    after hashWriting is cleared. put does the same: the key and tophash
 *    (tophash first, as mapassign_faststr) are written inside the window,
 *    the value after the flag is cleared. So a reader that comes between
 *    them passes the detector and sees the key with its old value, or the
 *    zero value ("" in Go) for a new key, as in Go; and a write whose
 *    bucket another writer evacuates in that gap stores into the old
 *    bucket and is lost, as in Go.
 *  - hashGrow allocates the new array first and commits afterwards: the
 *    same-size bit is set in the flags before the allocation, the flags are
 *    read again after it, then B, flags, oldbuckets and buckets are stored
 *    in that order. A reader during the allocation sees the old, complete
 *    map.
 *  - evacuate clears the keys, values and overflow link of each old bucket
 *    it has moved (Go does when the bucket holds pointers, as string keys
 *    and values do; only the tophash bytes, which carry the evacuation
 *    marks, stay). A reader still in that bucket reads zeroes: with the
 *    detector off it can answer "found, zero value" (Go: "").
 *
 * clear emulates Zoraxy's ticker, `cache = make(map[string]string)`: a new
 * map is built and swapped into the shared map variable while requests are
 * reading it. In Go the garbage collector keeps the old map alive for as
 * long as any goroutine still holds it, however long it is descheduled.
 * Here epoch-based reclamation (ebr.c) stands in for the GC: every get,
 * put and len runs inside an EBR critical section, from before it loads
 * the map variable until its last access to that map; clear swaps the
 * variable and retires the old map (with every bucket array it allocated),
 * which is freed only after every thread that could have loaded it has
 * left its critical section, never by age. Memory ordering: the map
 * variable is an atomic pointer, loaded seq_cst by requests and exchanged
 * seq_cst by clear, so the load and the unlink lie in the single total
 * order S that ebr.c's argument needs (announce <S load <S unlink <S the
 * retirer's epoch load); a request that loaded the old map then blocks
 * the epoch until it leaves, and its exit store happens-before the free
 * (release/acquire through the epoch), which is also what ThreadSanitizer
 * follows. A request stalled forever would keep every map retired after
 * it (Go's GC would keep only the one it holds): memory, not safety. clear
 * also runs a collection, so a ticker alone keeps the backlog at about two
 * maps.
 *
 * What that costs in fidelity: the map variable is not a plain racy word
 * as in Go, so ThreadSanitizer no longer reports the read of `cache`
 * against the ticker's store (Go's race detector would); the buckets and
 * flags stay plain and racy, and TSan still reports those. Each operation
 * also pays EBR's enter and exit (two seq_cst stores). Both are measured
 * in README.md.
 */
#include <execinfo.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ebr.h"
#include "georace/clock.h"
#include "gomap.h"
#include "sched_hooks.h"
#include "variants.h"

#define GR_GOMAP_SLOTS 8
#define GR_GOMAP_LOAD_NUM 13 /* load factor 6.5 = 13/2 */
#define GR_GOMAP_LOAD_DEN 2

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

struct gr_gomap_cache;

struct gr_gomap_hmap {
    gr_ebr_node retire; /* first: the EBR node is the map */
    struct gr_gomap_cache *owner;
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
};

struct gr_gomap_cache {
    gr_cache base;
    _Atomic(struct gr_gomap_hmap *) h; /* the shared map variable (seq_cst, see top) */
    gr_ebr *ebr;                       /* the GC stand-in */
    bool detector;
    uint64_t window_ns;
    gr_gomap_window_hook *window_hook; /* tests only; called when window_ns > 0 */
    void *window_hook_arg;
    gr_gomap_point_hook *point_hook; /* tests only */
    void *point_hook_arg;
    size_t size_hint;
    _Atomic size_t n_retired; /* retired and not yet freed */
    _Atomic size_t retired_bytes;
};

#define GR_GOMAP(c) ((struct gr_gomap_cache *)(c))

/* A test may stall the calling thread here (gr_gomap_set_point_hook). */
static inline void
gr_gomap_point(const struct gr_gomap_cache *g, enum gr_gomap_point at)
{
    if (__builtin_expect(g->point_hook != NULL, 0))
        g->point_hook(g->point_hook_arg, at);
}

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
    GR_SCHED_READ("read h->flags", &h->flags, sizeof h->flags);
    atomic_signal_fence(memory_order_seq_cst);
    uint8_t f = h->flags;
    atomic_signal_fence(memory_order_seq_cst);
    return f;
}

static inline void
gr_gomap_set_flags(struct gr_gomap_hmap *h, uint8_t f)
{
    GR_SCHED_WRITE("write h->flags", &h->flags, sizeof h->flags);
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
gr_gomap_make(struct gr_gomap_cache *g, size_t hint)
{
    struct gr_gomap_hmap *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    h->owner = g;
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
    if (!h)
        return;
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

/* hashGrow: allocate first, then commit (Go's order, see the top comment). */
static void
gr_gomap_hash_grow(struct gr_gomap_cache *g, struct gr_gomap_hmap *h)
{
    unsigned bigger = 1;
    if (!gr_gomap_over_load(h->count + 1, h->B)) {
        bigger = 0;
        gr_gomap_set_flags(h, gr_gomap_flags(h) | GR_GOMAP_SAME_SIZE_GROW);
    }
    struct gr_gomap_bucket *oldbuckets = h->buckets;
    gr_gomap_point(g, GR_GOMAP_AT_GROW_ALLOC);
    struct gr_gomap_bucket *newbuckets = gr_gomap_alloc(h, (size_t)1 << (h->B + bigger));
    uint8_t flags = gr_gomap_flags(h); /* no iterators here: nothing to mask */
    GR_SCHED_WRITE("write h->B", &h->B, sizeof h->B);
    h->B += bigger;
    gr_gomap_set_flags(h, flags);
    GR_SCHED_WRITE("write h->oldbuckets", &h->oldbuckets, sizeof h->oldbuckets);
    GR_SCHED_ALSO_WRITE("write h->buckets", &h->buckets, sizeof h->buckets);
    h->oldbuckets = oldbuckets;
    h->buckets = newbuckets;
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
        /* Go clears what it moved (keys, values and the overflow link of
         * the first bucket of the chain), keeping the tophash marks. */
        b = &h->oldbuckets[oldbucket];
        GR_SCHED_WRITE("clear evacuated bucket", b->keys, sizeof b->keys);
        GR_SCHED_ALSO_WRITE("clear evacuated bucket", b->elems, sizeof b->elems);
        memset(b->keys, 0, sizeof b->keys);
        memset(b->elems, 0, sizeof b->elems);
        b->overflow = NULL;
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
gr_gomap_access(struct gr_gomap_cache *g, struct gr_gomap_hmap *h, const gr_ip *key,
                gr_country *out)
{
    GR_SCHED_READ("read h->count", &h->count, sizeof h->count);
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
        GR_SCHED_READ("read bucket", b->tophash, offsetof(struct gr_gomap_bucket, elems));
        for (unsigned i = 0; i < GR_GOMAP_SLOTS; i++) {
            if (b->tophash[i] != top) {
                if (b->tophash[i] == GR_GOMAP_EMPTY_REST)
                    return false;
                continue;
            }
            if (!memcmp(&b->keys[i], key, sizeof *key)) {
                gr_gomap_point(g, GR_GOMAP_AT_READ_MATCH);
                GR_SCHED_READ("read bucket elem", &b->elems[i], sizeof b->elems[i]);
                *out = b->elems[i];
                return true;
            }
        }
    }
    return false;
}

/* Loads the map variable inside an EBR critical section: the map cannot be
 * freed before the matching gr_gomap_leave. */
static struct gr_gomap_hmap *
gr_gomap_hold(struct gr_gomap_cache *g, gr_ebr_rec **rec)
{
    *rec = gr_ebr_enter(g->ebr);
    return GR_SCHED_ATOMIC("read g->h", GR_SCHED_LOAD, memory_order_seq_cst, &g->h,
                           atomic_load(&g->h));
}

static bool
gr_gomap_get(gr_cache *c, const gr_ip *key, gr_country *out)
{
    struct gr_gomap_cache *g = GR_GOMAP(c);
    gr_ebr_rec *rec;
    bool found = gr_gomap_access(g, gr_gomap_hold(g, &rec), key, out);
    gr_ebr_exit(rec);
    return found;
}

/* mapassign: returns the value's slot; the caller stores the value after
 * hashWriting is cleared, as Go's compiled code does. */
static gr_country *
gr_gomap_assign(struct gr_gomap_cache *g, struct gr_gomap_hmap *h, const gr_ip *key)
{
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
    gr_country *elem;
again:
    if (h->oldbuckets)
        gr_gomap_grow_work(h, hash & gr_gomap_mask(h->B));
    b = &h->buckets[hash & gr_gomap_mask(h->B)];
    insb = NULL;
    insi = 0;
    for (;;) {
        GR_SCHED_READ("read bucket", b->tophash, offsetof(struct gr_gomap_bucket, elems));
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
            elem = &b->elems[i];
            goto done;
        }
        if (!b->overflow)
            break;
        b = b->overflow;
    }
notfound:
    if (!h->oldbuckets && (gr_gomap_over_load(h->count + 1, h->B) ||
                           gr_gomap_too_many_overflow(h->noverflow, h->B))) {
        gr_gomap_hash_grow(g, h);
        goto again;
    }
    if (!insb) {
        insb = gr_gomap_new_overflow(h, b);
        insi = 0;
    }
    GR_SCHED_WRITE("write bucket slot", insb->tophash, sizeof insb->tophash);
    GR_SCHED_ALSO_WRITE("write bucket slot", insb->keys, sizeof insb->keys);
    GR_SCHED_ALSO_WRITE("write h->count", &h->count, sizeof h->count);
    insb->tophash[insi] = top; /* mapassign_faststr's order: tophash, then key */
    insb->keys[insi] = *key;
    h->count++;
    elem = &insb->elems[insi];
done:
    if (g->detector && !(gr_gomap_flags(h) & GR_GOMAP_WRITING))
        gr_gomap_fatal(GR_GOMAP_MSG_WRITES);
    gr_gomap_set_flags(h, gr_gomap_flags(h) & (uint8_t)~GR_GOMAP_WRITING);
    return elem;
}

static void
gr_gomap_put(gr_cache *c, const gr_ip *key, gr_country value)
{
    struct gr_gomap_cache *g = GR_GOMAP(c);
    gr_ebr_rec *rec;
    gr_country *elem = gr_gomap_assign(g, gr_gomap_hold(g, &rec), key);
    gr_gomap_point(g, GR_GOMAP_AT_VALUE_STORE);
    GR_SCHED_WRITE("write bucket elem", elem, sizeof *elem);
    *elem = value; /* outside the write window, as the caller of mapassign does */
    gr_ebr_exit(rec);
}

static void
gr_gomap_free_retired(gr_ebr_node *n)
{
    struct gr_gomap_hmap *h = (struct gr_gomap_hmap *)n;
    atomic_fetch_sub(&h->owner->n_retired, 1);
    atomic_fetch_sub(&h->owner->retired_bytes, h->bytes);
    gr_gomap_free(h);
}

static void
gr_gomap_clear(gr_cache *c)
{
    struct gr_gomap_cache *g = GR_GOMAP(c);
    struct gr_gomap_hmap *fresh = gr_gomap_make(g, g->size_hint);
    if (!fresh)
        return; /* out of memory: keep the old map */
    gr_ebr_rec *rec = gr_ebr_enter(g->ebr);
    /* `cache = make(map...)`; an exchange so that two clears at once cannot
     * retire one map twice (Zoraxy has a single ticker) */
    struct gr_gomap_hmap *old = GR_SCHED_ATOMIC("write g->h", GR_SCHED_RMW, memory_order_seq_cst,
                                                &g->h, atomic_exchange(&g->h, fresh));
    atomic_fetch_add(&g->n_retired, 1);
    atomic_fetch_add(&g->retired_bytes, old->bytes);
    gr_ebr_retire(rec, &old->retire, gr_gomap_free_retired);
    gr_ebr_exit(rec);
    gr_ebr_collect(rec);
}

static size_t
gr_gomap_len(gr_cache *c)
{
    struct gr_gomap_cache *g = GR_GOMAP(c);
    gr_ebr_rec *rec;
    size_t n = gr_gomap_hold(g, &rec)->count;
    gr_ebr_exit(rec);
    return n;
}

static size_t
gr_gomap_mem_bytes(gr_cache *c)
{
    struct gr_gomap_cache *g = GR_GOMAP(c);
    gr_ebr_rec *rec;
    size_t n = sizeof *g + gr_gomap_hold(g, &rec)->bytes + atomic_load(&g->retired_bytes);
    gr_ebr_exit(rec);
    return n;
}

static void
gr_gomap_destroy(gr_cache *c)
{
    struct gr_gomap_cache *g = GR_GOMAP(c);
    if (g->ebr)
        gr_ebr_destroy(g->ebr); /* frees every retired map still pending */
    gr_gomap_free(atomic_load(&g->h));
    free(g);
}

void
gr_gomap_info(gr_cache *c, struct gr_gomap_info *out)
{
    struct gr_gomap_cache *g = GR_GOMAP(c);
    struct gr_gomap_hmap *h = atomic_load(&g->h);
    out->B = h->B;
    out->overflow_buckets = h->overflow_total;
    out->growing = h->oldbuckets != NULL;
    out->retired_maps = atomic_load(&g->n_retired);
}

void
gr_gomap_set_point_hook(gr_cache *c, gr_gomap_point_hook *hook, void *arg)
{
    struct gr_gomap_cache *g = GR_GOMAP(c);
    g->point_hook = hook;
    g->point_hook_arg = arg;
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
    g->base.ops = &gr_gomap_ops;
    struct gr_gomap_hmap *h = gr_gomap_make(g, cfg->size_hint);
    atomic_init(&g->h, h);
    if (!h || gr_ebr_create(&g->ebr)) {
        gr_gomap_destroy(&g->base);
        return GR_CACHE_ENOMEM;
    }
    g->detector = cfg->detector;
    g->window_ns = cfg->window_ns;
    g->size_hint = cfg->size_hint;
    atomic_init(&g->n_retired, 0);
    atomic_init(&g->retired_bytes, 0);
    *out = &g->base;
    return GR_CACHE_OK;
}
