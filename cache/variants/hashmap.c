/*
 * hashmap.c - open addressing with linear probing and backward-shift
 * deletion (no tombstones), power-of-two tables kept at most 3/4 full.
 *
 * Each slot keeps the full 64-bit hash (0 marks an empty slot; a real hash
 * of 0 is stored as 1), so probes compare hashes before keys and growth
 * never rehashes a key. The probe start is the low bits of the hash; the
 * sharded variant picks its stripe from the high bits of the same hash.
 */
#include <stdlib.h>
#include <string.h>

#include "hashmap.h"

#define GR_HASHMAP_MIN_CAP 16

static inline uint64_t
gr_hashmap_fix(uint64_t h)
{
    return h ? h : 1;
}

void
gr_hashmap_init(gr_hashmap *m, size_t size_hint, uint64_t seed)
{
    size_t cap = GR_HASHMAP_MIN_CAP;
    while (cap / 4 * 3 < size_hint && cap < ((size_t)1 << 40))
        cap <<= 1;
    memset(m, 0, sizeof *m);
    m->min_cap = cap;
    m->seed = seed;
}

void
gr_hashmap_free(gr_hashmap *m)
{
    free(m->slots);
    m->slots = NULL;
    m->cap = 0;
    m->len = 0;
}

uint64_t
gr_hashmap_hash(const gr_hashmap *m, const gr_ip *key)
{
    return gr_hashmap_fix(gr_ip_hash(key, m->seed));
}

static struct gr_hashmap_slot *
gr_hashmap_find(const gr_hashmap *m, const gr_ip *key, uint64_t hash)
{
    if (!m->cap)
        return NULL;
    size_t mask = m->cap - 1;
    hash = gr_hashmap_fix(hash);
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
        struct gr_hashmap_slot *s = &m->slots[i];
        if (s->hash == 0)
            return NULL;
        if (s->hash == hash && !memcmp(&s->key, key, sizeof *key))
            return s;
    }
}

bool
gr_hashmap_get(const gr_hashmap *m, const gr_ip *key, uint64_t hash, uintptr_t *out)
{
    const struct gr_hashmap_slot *s = gr_hashmap_find(m, key, hash);
    if (s)
        *out = s->value;
    return s != NULL;
}

/* Place a slot known to be absent into a table with room. */
static void
gr_hashmap_place(struct gr_hashmap_slot *slots, size_t cap, const struct gr_hashmap_slot *src)
{
    size_t mask = cap - 1;
    size_t i = src->hash & mask;
    while (slots[i].hash != 0)
        i = (i + 1) & mask;
    slots[i] = *src;
}

static int
gr_hashmap_grow(gr_hashmap *m)
{
    size_t cap = m->cap ? m->cap * 2 : m->min_cap;
    struct gr_hashmap_slot *slots = calloc(cap, sizeof *slots);
    if (!slots)
        return -1;
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].hash)
            gr_hashmap_place(slots, cap, &m->slots[i]);
    free(m->slots);
    m->slots = slots;
    m->cap = cap;
    return 0;
}

int
gr_hashmap_put(gr_hashmap *m, const gr_ip *key, uint64_t hash, uintptr_t value, uintptr_t *old)
{
    struct gr_hashmap_slot *s = gr_hashmap_find(m, key, hash);
    if (s) {
        if (old)
            *old = s->value;
        s->value = value;
        return 0;
    }
    if ((m->len + 1) * 4 > m->cap * 3 && gr_hashmap_grow(m))
        return -1;
    struct gr_hashmap_slot n = {.key = *key, .value = value, .hash = gr_hashmap_fix(hash)};
    gr_hashmap_place(m->slots, m->cap, &n);
    m->len++;
    return 1;
}

bool
gr_hashmap_remove(gr_hashmap *m, const gr_ip *key, uint64_t hash, uintptr_t *old)
{
    struct gr_hashmap_slot *s = gr_hashmap_find(m, key, hash);
    if (!s)
        return false;
    if (old)
        *old = s->value;
    /* Backward shift: pull later members of the probe run into the hole
     * unless their home slot lies cyclically in (hole, j]. */
    size_t mask = m->cap - 1;
    size_t hole = (size_t)(s - m->slots);
    for (size_t j = (hole + 1) & mask; m->slots[j].hash; j = (j + 1) & mask) {
        size_t home = m->slots[j].hash & mask;
        if (((j - home) & mask) >= ((j - hole) & mask)) {
            m->slots[hole] = m->slots[j];
            hole = j;
        }
    }
    m->slots[hole].hash = 0;
    m->len--;
    return true;
}

size_t
gr_hashmap_mem_bytes(const gr_hashmap *m)
{
    return sizeof *m + m->cap * sizeof(struct gr_hashmap_slot);
}

size_t
gr_hashmap_mem_bytes_for(size_t n)
{
    size_t cap = 0; /* as gr_hashmap_put grows it: the first insert allocates min_cap */
    while (n > 0 && n * 4 > cap * 3)
        cap = cap ? cap * 2 : GR_HASHMAP_MIN_CAP;
    return sizeof(gr_hashmap) + cap * sizeof(struct gr_hashmap_slot);
}

bool
gr_hashmap_next(const gr_hashmap *m, size_t *pos, const struct gr_hashmap_slot **slot)
{
    for (size_t i = *pos; i < m->cap; i++) {
        if (m->slots[i].hash) {
            *slot = &m->slots[i];
            *pos = i + 1;
            return true;
        }
    }
    *pos = m->cap;
    return false;
}
