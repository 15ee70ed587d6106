/*
 * bounded.c - the "bounded" variant: a sharded cache with a capacity and
 * S3-FIFO eviction, so that memory stays flat under an address spray.
 *
 * Why S3-FIFO (Yang et al., "FIFO queues are all you need for cache
 * eviction", SOSP 2023). The traffic of a geo cache is a few visitors that
 * come back (page views, bursts) and a long tail of addresses seen once:
 * scanners, and an IPv6 spray that can draw a fresh address per request.
 * An LRU lets every one-hit address walk the whole queue and push the
 * visitors out; S3-FIFO admits new keys into a small FIFO (10% of the
 * capacity) and only keys hit again while there move on to the main FIFO,
 * so a spray churns the small queue and leaves the main one alone. A ghost
 * FIFO remembers the keys recently dropped from the small queue (keys only,
 * as many as the main queue holds): such a key, when it comes back, goes
 * straight to the main queue. On the paper's traces it matches or beats
 * W-TinyLFU and ARC on miss ratio; what matters as much here is that a hit
 * only bumps a 2-bit counter (no list to reorder, unlike LRU), so a hit
 * holds its stripe's lock for a hash probe and one store. CLOCK shares that
 * hit path but has no scan resistance; W-TinyLFU needs a frequency sketch
 * and an admission window, more state for a similar result.
 *
 * The algorithm, per shard (all under the shard's mutex):
 *   hit      freq = min(freq + 1, 3)
 *   insert   a key found in the ghost goes to the main queue, any other to
 *            the small queue; when the shard is full, first evict one:
 *   evict    from the small queue if it holds at least its share (10%) or
 *            the main queue is empty, else from the main queue;
 *     small  pop the oldest: hit since insertion (freq >= 1) -> move it to
 *            the main queue; else drop it and remember its key in the ghost;
 *            repeat until one entry is dropped
 *     main   pop the oldest: freq > 0 -> freq - 1 and back into the queue;
 *            else drop it (ends within 4 rounds: freq <= 3)
 *   ghost    a FIFO of keys with a map for lookups; a key leaves the map
 *            when its ring slot is reused, unless it was re-added since
 *            (a sequence number tells).
 *
 * Layout and bounds. The capacity (entries; --cache-capacity) is split over
 * the shards exactly (the shard sizes sum to it, so len <= capacity always);
 * fewer shards are used for small capacities, so that each holds at least
 * 64 entries. Each shard allocates its entry pool, its two queues and the
 * ghost ring once, at creation (pages the OS commits as they are first
 * used); its two hash maps grow with it, up to the size for its share, and
 * never beyond: after the first fill the memory held is constant. Entries
 * come from the pool in order, then from a stack of dropped ones, so clear
 * is O(1) besides freeing the two maps.
 *
 * Footprint and byte budgets. What mem_bytes reports once every shard is
 * full is a function of the capacity and the stripes alone
 * (gr_bounded_footprint): per entry of capacity the pool entry (32 bytes),
 * its free-list slot and two queue slots (12), and per shard a ghost slot
 * (32) for each of its cap - cap/10 ghost keys, both hash maps at their
 * largest (power-of-two tables of 32-byte slots, at most 3/4 full: 43 to 85
 * bytes per key each), and the shard's own struct; plus the cache's struct.
 * About 200 bytes per entry at the default 64 stripes; the map tables
 * double in steps, so the figure moves between about 160 and 250. A byte
 * budget (capacity_bytes) becomes the largest capacity whose footprint
 * fits it (bisection over the capacity; exact wherever the shard count no
 * longer changes, i.e. from 64 entries per stripe on).
 *
 * Sharding as in sharded.c: one hash per key, its top bits pick the shard,
 * its low bits probe the shard's map; one lock per operation, never two at
 * once (clear, len and mem_bytes visit the shards one by one). Every field
 * of a shard is accessed only under its mutex, whose acquire/release pairs
 * order all accesses (TSan sees them through its interceptors); there are
 * no atomics here. The locks go through sched_hooks.h, so 'georace
 * explore' schedules the shards' critical sections like sharded's.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "hashmap.h"
#include "sched_hooks.h"
#include "variants.h"

enum {
    GR_BOUNDED_DEFAULT_CAPACITY = 65536,
    GR_BOUNDED_MAX_CAPACITY = 1 << 30,
    GR_BOUNDED_MIN_PER_SHARD = 64,
    GR_BOUNDED_FREQ_MAX = 3
};

struct gr_bounded_entry {
    gr_ip key;
    uint64_t hash;
    gr_country value;
    uint8_t freq;
};

/* A FIFO of entry (or ghost slot) indices in a fixed ring. */
struct gr_bounded_fifo {
    uint32_t *idx;
    uint32_t cap, head, len;
};

struct gr_bounded_ghost_slot {
    gr_ip key;
    uint64_t hash;
    uint64_t seq;
};

struct gr_bounded_shard {
    _Alignas(64) pthread_mutex_t mu;
    gr_hashmap map;   /* key -> entry index */
    gr_hashmap ghost; /* key -> sequence number of its ghost slot */
    struct gr_bounded_entry *pool;
    uint32_t *free_idx;                              /* entries dropped since the last clear */
    uint32_t nfree, used, cap, small_cap, ghost_cap; /* used: pool entries ever taken */
    struct gr_bounded_fifo small, main;
    struct gr_bounded_ghost_slot *ring; /* ghost FIFO, ghost_cap slots */
    uint32_t ghost_head, ghost_len;
    uint64_t ghost_seq;
};

struct gr_bounded_cache {
    gr_cache base;
    unsigned n;
    unsigned shift; /* 64 - log2(n) */
    uint64_t seed;
    size_t capacity;
    struct gr_bounded_shard *shards;
};

#define GR_BOUNDED(c) ((struct gr_bounded_cache *)(c))

/* ---- FIFO rings ---- */

static void
gr_bounded_fifo_push(struct gr_bounded_fifo *q, uint32_t i)
{
    q->idx[(q->head + q->len) % q->cap] = i;
    q->len++;
}

static uint32_t
gr_bounded_fifo_pop(struct gr_bounded_fifo *q)
{
    uint32_t i = q->idx[q->head];
    q->head = (q->head + 1) % q->cap;
    q->len--;
    return i;
}

/* ---- ghost ---- */

static void
gr_bounded_ghost_add(struct gr_bounded_shard *s, const gr_ip *key, uint64_t hash)
{
    if (s->ghost_len == s->ghost_cap) { /* forget the oldest, unless re-added since */
        struct gr_bounded_ghost_slot *old = &s->ring[s->ghost_head];
        uintptr_t seq;
        if (gr_hashmap_get(&s->ghost, &old->key, old->hash, &seq) && seq == old->seq)
            (void)gr_hashmap_remove(&s->ghost, &old->key, old->hash, NULL);
        s->ghost_head = (s->ghost_head + 1) % s->ghost_cap;
        s->ghost_len--;
    }
    struct gr_bounded_ghost_slot *g = &s->ring[(s->ghost_head + s->ghost_len) % s->ghost_cap];
    g->key = *key;
    g->hash = hash;
    g->seq = ++s->ghost_seq;
    s->ghost_len++;
    /* out of memory: the key is not remembered, its slot finds nothing later */
    (void)gr_hashmap_put(&s->ghost, key, hash, (uintptr_t)g->seq, NULL);
}

/* ---- eviction ---- */

static void
gr_bounded_drop(struct gr_bounded_shard *s, uint32_t i)
{
    struct gr_bounded_entry *e = &s->pool[i];
    (void)gr_hashmap_remove(&s->map, &e->key, e->hash, NULL);
    s->free_idx[s->nfree++] = i;
}

static void
gr_bounded_evict_small(struct gr_bounded_shard *s)
{
    while (s->small.len > 0) {
        uint32_t i = gr_bounded_fifo_pop(&s->small);
        struct gr_bounded_entry *e = &s->pool[i];
        if (e->freq >= 1) {
            gr_bounded_fifo_push(&s->main, i);
            continue;
        }
        gr_bounded_ghost_add(s, &e->key, e->hash);
        gr_bounded_drop(s, i);
        return;
    }
}

static void
gr_bounded_evict_main(struct gr_bounded_shard *s)
{
    while (s->main.len > 0) {
        uint32_t i = gr_bounded_fifo_pop(&s->main);
        struct gr_bounded_entry *e = &s->pool[i];
        if (e->freq > 0) {
            e->freq--;
            gr_bounded_fifo_push(&s->main, i);
            continue;
        }
        gr_bounded_drop(s, i);
        return;
    }
}

static void
gr_bounded_evict(struct gr_bounded_shard *s)
{
    if (s->small.len >= s->small_cap || s->main.len == 0)
        gr_bounded_evict_small(s);
    else
        gr_bounded_evict_main(s);
}

/* ---- operations ---- */

static struct gr_bounded_shard *
gr_bounded_shard_of(struct gr_bounded_cache *b, const gr_ip *key, uint64_t *hash)
{
    *hash = gr_ip_hash(key, b->seed);
    return &b->shards[b->shift == 64 ? 0 : *hash >> b->shift];
}

static bool
gr_bounded_get(gr_cache *c, const gr_ip *key, gr_country *out)
{
    uint64_t h;
    uintptr_t i = 0;
    struct gr_bounded_shard *s = gr_bounded_shard_of(GR_BOUNDED(c), key, &h);
    GR_MUTEX_LOCK(&s->mu);
    bool hit = gr_hashmap_get(&s->map, key, h, &i);
    if (hit) {
        struct gr_bounded_entry *e = &s->pool[i];
        if (e->freq < GR_BOUNDED_FREQ_MAX)
            e->freq++;
        *out = e->value;
    }
    GR_MUTEX_UNLOCK(&s->mu);
    return hit;
}

static void
gr_bounded_insert_locked(struct gr_bounded_shard *s, const gr_ip *key, uint64_t h, gr_country value)
{
    uintptr_t i;
    if (gr_hashmap_get(&s->map, key, h, &i)) { /* present: a new value counts as a use */
        struct gr_bounded_entry *e = &s->pool[i];
        e->value = value;
        if (e->freq < GR_BOUNDED_FREQ_MAX)
            e->freq++;
        return;
    }
    bool ghost = gr_hashmap_remove(&s->ghost, key, h, NULL);
    while (s->nfree == 0 && s->used == s->cap)
        gr_bounded_evict(s);
    uint32_t n = s->nfree ? s->free_idx[s->nfree - 1] : s->used;
    if (gr_hashmap_put(&s->map, key, h, n, NULL) < 0)
        return; /* out of memory: not cached */
    if (s->nfree)
        s->nfree--;
    else
        s->used++;
    s->pool[n] = (struct gr_bounded_entry){.key = *key, .hash = h, .value = value, .freq = 0};
    gr_bounded_fifo_push(ghost ? &s->main : &s->small, n);
}

static void
gr_bounded_put(gr_cache *c, const gr_ip *key, gr_country value)
{
    uint64_t h;
    struct gr_bounded_shard *s = gr_bounded_shard_of(GR_BOUNDED(c), key, &h);
    GR_MUTEX_LOCK(&s->mu);
    gr_bounded_insert_locked(s, key, h, value);
    GR_MUTEX_UNLOCK(&s->mu);
}

static void
gr_bounded_reset_locked(struct gr_bounded_shard *s)
{
    gr_hashmap_free(&s->map);
    gr_hashmap_free(&s->ghost);
    s->nfree = s->used = 0;
    s->small.head = s->small.len = 0;
    s->main.head = s->main.len = 0;
    s->ghost_head = s->ghost_len = 0;
}

static void
gr_bounded_clear(gr_cache *c)
{
    struct gr_bounded_cache *b = GR_BOUNDED(c);
    for (unsigned i = 0; i < b->n; i++) {
        GR_MUTEX_LOCK(&b->shards[i].mu);
        gr_bounded_reset_locked(&b->shards[i]);
        GR_MUTEX_UNLOCK(&b->shards[i].mu);
    }
}

/* Bytes a shard of cap entries and ghost_cap ghost slots holds besides its
 * hash maps (allocated at creation). */
static size_t
gr_bounded_shard_fixed_bytes(size_t cap, size_t ghost_cap)
{
    return sizeof(struct gr_bounded_shard) - 2 * sizeof(gr_hashmap) +
           cap * (sizeof(struct gr_bounded_entry) + 3 * sizeof(uint32_t)) +
           ghost_cap * sizeof(struct gr_bounded_ghost_slot);
}

static size_t
gr_bounded_sum(gr_cache *c, bool bytes)
{
    struct gr_bounded_cache *b = GR_BOUNDED(c);
    size_t n = bytes ? sizeof *b : 0;
    for (unsigned i = 0; i < b->n; i++) {
        struct gr_bounded_shard *s = &b->shards[i];
        GR_MUTEX_LOCK(&s->mu);
        if (bytes)
            n += gr_bounded_shard_fixed_bytes(s->cap, s->ghost_cap) +
                 gr_hashmap_mem_bytes(&s->map) + gr_hashmap_mem_bytes(&s->ghost);
        else
            n += gr_hashmap_len(&s->map);
        GR_MUTEX_UNLOCK(&s->mu);
    }
    return n;
}

static size_t
gr_bounded_len(gr_cache *c)
{
    return gr_bounded_sum(c, false);
}

static size_t
gr_bounded_mem_bytes(gr_cache *c)
{
    return gr_bounded_sum(c, true);
}

static void
gr_bounded_shard_free(struct gr_bounded_shard *s)
{
    gr_hashmap_free(&s->map);
    gr_hashmap_free(&s->ghost);
    free(s->pool); /* one block for every array of the shard */
}

static void
gr_bounded_destroy(gr_cache *c)
{
    struct gr_bounded_cache *b = GR_BOUNDED(c);
    for (unsigned i = 0; i < b->n; i++) {
        gr_bounded_shard_free(&b->shards[i]);
        pthread_mutex_destroy(&b->shards[i].mu);
    }
    free(b->shards);
    free(b);
}

static const struct gr_cache_ops gr_bounded_ops = {
    "bounded",      gr_bounded_get,       gr_bounded_put,    gr_bounded_clear,
    gr_bounded_len, gr_bounded_mem_bytes, gr_bounded_destroy};

/* ---- sizes ---- */

/* The small queue's share of a shard (10%), and the ghost's (the rest). */
static uint32_t
gr_bounded_small_cap(uint32_t cap)
{
    return cap / 10 ? cap / 10 : 1;
}

static uint32_t
gr_bounded_ghost_cap(uint32_t cap)
{
    uint32_t small = gr_bounded_small_cap(cap);
    return cap - small ? cap - small : 1;
}

/* Shards for a capacity: the stripes asked for (0 = 64), halved until each
 * holds at least GR_BOUNDED_MIN_PER_SHARD entries; 0 if the configuration
 * is out of range. */
static unsigned
gr_bounded_nshards(size_t cap, unsigned stripes)
{
    unsigned n = stripes ? stripes : 64;
    if (cap == 0 || cap > GR_BOUNDED_MAX_CAPACITY || n > 65536 || (n & (n - 1)))
        return 0;
    while (n > 1 && cap / n < GR_BOUNDED_MIN_PER_SHARD)
        n /= 2;
    return n;
}

/* Bytes a shard of cap entries holds once full: both maps at their largest. */
static size_t
gr_bounded_shard_full_bytes(uint32_t cap)
{
    uint32_t ghost = gr_bounded_ghost_cap(cap);
    return gr_bounded_shard_fixed_bytes(cap, ghost) + gr_hashmap_mem_bytes_for(cap) +
           gr_hashmap_mem_bytes_for(ghost);
}

size_t
gr_bounded_footprint(const gr_cache_config *cfg, size_t capacity)
{
    unsigned n = gr_bounded_nshards(capacity, cfg ? cfg->stripes : 0);
    if (n == 0)
        return 0;
    size_t q = capacity / n, r = capacity % n; /* r shards of q + 1, the others of q */
    return sizeof(struct gr_bounded_cache) + r * gr_bounded_shard_full_bytes((uint32_t)q + 1) +
           (n - r) * gr_bounded_shard_full_bytes((uint32_t)q);
}

size_t
gr_bounded_capacity_for_bytes(const gr_cache_config *cfg, uint64_t bytes)
{
    size_t lo = 0, hi = GR_BOUNDED_MAX_CAPACITY; /* footprint(lo) fits, or lo = 0 */
    while (lo < hi) {
        size_t mid = lo + (hi - lo + 1) / 2;
        size_t f = gr_bounded_footprint(cfg, mid);
        if (f != 0 && f <= bytes)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

/* 0, or 1 out of memory (the shard can still be freed). */
static int
gr_bounded_shard_init(struct gr_bounded_shard *s, uint32_t cap, uint64_t seed)
{
    s->cap = cap;
    s->small_cap = gr_bounded_small_cap(cap);
    s->ghost_cap = gr_bounded_ghost_cap(cap);
    s->small.cap = s->main.cap = cap;
    /* One block: entries, ghost slots, then the three index arrays. Not
     * zeroed: every slot is written before it is read. */
    size_t pool = cap * sizeof *s->pool, ring = s->ghost_cap * sizeof *s->ring;
    char *blk = malloc(pool + ring + 3 * (size_t)cap * sizeof(uint32_t));
    s->pool = (struct gr_bounded_entry *)(void *)blk;
    s->ring = blk ? (struct gr_bounded_ghost_slot *)(void *)(blk + pool) : NULL;
    s->free_idx = blk ? (uint32_t *)(void *)(blk + pool + ring) : NULL;
    s->small.idx = blk ? s->free_idx + cap : NULL;
    s->main.idx = blk ? s->small.idx + cap : NULL;
    gr_hashmap_init(&s->map, 0, seed); /* they grow, up to the size for cap keys */
    gr_hashmap_init(&s->ghost, 0, seed);
    pthread_mutex_init(&s->mu, NULL);
    gr_bounded_reset_locked(s);
    return blk ? 0 : 1;
}

int
gr_bounded_create(const gr_cache_config *cfg, gr_cache **out)
{
    size_t cap = cfg->capacity ? cfg->capacity : GR_BOUNDED_DEFAULT_CAPACITY;
    if (cfg->capacity_bytes) { /* a budget instead: not both, and room for one entry */
        cap = cfg->capacity ? 0 : gr_bounded_capacity_for_bytes(cfg, cfg->capacity_bytes);
        if (cap == 0)
            return GR_CACHE_EARG;
    }
    unsigned n = gr_bounded_nshards(cap, cfg->stripes);
    if (n == 0)
        return GR_CACHE_EARG;
    struct gr_bounded_cache *b = calloc(1, sizeof *b);
    struct gr_bounded_shard *shards = aligned_alloc(64, n * sizeof *shards);
    if (!b || !shards) {
        free(b);
        free(shards);
        return GR_CACHE_ENOMEM;
    }
    memset(shards, 0, n * sizeof *shards);
    b->base.ops = &gr_bounded_ops;
    b->n = n;
    b->shift = 64 - (unsigned)__builtin_ctz(n);
    b->seed = gr_variant_seed();
    b->capacity = cap;
    b->shards = shards;
    int rc = GR_CACHE_OK;
    for (unsigned i = 0; i < n; i++) /* the shard sizes sum to cap */
        rc |= gr_bounded_shard_init(&shards[i], (uint32_t)(cap / n + (i < cap % n)), b->seed);
    if (rc)
        gr_bounded_destroy(&b->base);
    *out = rc ? NULL : &b->base;
    return rc ? GR_CACHE_ENOMEM : GR_CACHE_OK;
}
