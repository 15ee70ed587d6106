/*
 * lru.c - an exact LRU cache (lru.h): a doubly linked recency list over a
 * fixed array of nodes (head = most recent), and an open-addressing index
 * from key to node (linear probing, backward-shift deletion, at most half
 * full). Everything is allocated at creation; single-threaded.
 */
#include <stdint.h>
#include <stdlib.h>

#include "georace/lru.h"

#define GR_LRU_NIL UINT32_MAX
#define GR_LRU_MAX_CAPACITY ((size_t)1 << 30)

struct gr_lru_node {
    gr_ip key;
    gr_country value;
    uint32_t prev, next; /* toward head (more recent), toward tail */
};

struct gr_lru {
    gr_cache base;
    struct gr_lru_node *nodes;
    uint32_t *index; /* node number, or GR_LRU_NIL for an empty slot */
    size_t mask;     /* index slots - 1 */
    uint32_t cap, len, head, tail;
    uint64_t seed;
};

#define GR_LRU(c) ((struct gr_lru *)(c))

/* ---- recency list ---- */

static void
gr_lru_unlink(struct gr_lru *l, uint32_t i)
{
    struct gr_lru_node *n = &l->nodes[i];
    if (n->prev != GR_LRU_NIL)
        l->nodes[n->prev].next = n->next;
    else
        l->head = n->next;
    if (n->next != GR_LRU_NIL)
        l->nodes[n->next].prev = n->prev;
    else
        l->tail = n->prev;
}

static void
gr_lru_push_front(struct gr_lru *l, uint32_t i)
{
    l->nodes[i].prev = GR_LRU_NIL;
    l->nodes[i].next = l->head;
    if (l->head != GR_LRU_NIL)
        l->nodes[l->head].prev = i;
    l->head = i;
    if (l->tail == GR_LRU_NIL)
        l->tail = i;
}

/* ---- index ---- */

static size_t
gr_lru_home(const struct gr_lru *l, const gr_ip *key)
{
    return (size_t)gr_ip_hash(key, l->seed) & l->mask;
}

/* The slot holding key, or the empty slot where it would go. */
static size_t
gr_lru_slot(const struct gr_lru *l, const gr_ip *key)
{
    size_t s = gr_lru_home(l, key);
    while (l->index[s] != GR_LRU_NIL && !gr_ip_equal(&l->nodes[l->index[s]].key, key))
        s = (s + 1) & l->mask;
    return s;
}

static void
gr_lru_index_remove(struct gr_lru *l, size_t hole)
{
    for (size_t j = (hole + 1) & l->mask; l->index[j] != GR_LRU_NIL; j = (j + 1) & l->mask) {
        size_t home = gr_lru_home(l, &l->nodes[l->index[j]].key);
        if (((j - home) & l->mask) >= ((j - hole) & l->mask)) { /* home not in (hole, j] */
            l->index[hole] = l->index[j];
            hole = j;
        }
    }
    l->index[hole] = GR_LRU_NIL;
}

/* ---- gr_cache operations ---- */

static bool
gr_lru_get(gr_cache *c, const gr_ip *key, gr_country *out)
{
    struct gr_lru *l = GR_LRU(c);
    uint32_t i = l->index[gr_lru_slot(l, key)];
    if (i == GR_LRU_NIL)
        return false;
    gr_lru_unlink(l, i);
    gr_lru_push_front(l, i);
    *out = l->nodes[i].value;
    return true;
}

static void
gr_lru_put(gr_cache *c, const gr_ip *key, gr_country value)
{
    struct gr_lru *l = GR_LRU(c);
    size_t s = gr_lru_slot(l, key);
    uint32_t i = l->index[s];
    if (i != GR_LRU_NIL) { /* present: new value, most recent */
        gr_lru_unlink(l, i);
    } else if (l->len < l->cap) {
        i = l->len++;
    } else { /* full: reuse the least recent node */
        i = l->tail;
        gr_lru_unlink(l, i);
        gr_lru_index_remove(l, gr_lru_slot(l, &l->nodes[i].key));
        s = gr_lru_slot(l, key); /* the removal may have shifted key's run */
    }
    l->index[s] = i;
    l->nodes[i].key = *key;
    l->nodes[i].value = value;
    gr_lru_push_front(l, i);
}

static void
gr_lru_clear(gr_cache *c)
{
    struct gr_lru *l = GR_LRU(c);
    for (size_t s = 0; s <= l->mask; s++)
        l->index[s] = GR_LRU_NIL;
    l->len = 0;
    l->head = l->tail = GR_LRU_NIL;
}

static size_t
gr_lru_len(gr_cache *c)
{
    return GR_LRU(c)->len;
}

static size_t
gr_lru_mem_bytes(gr_cache *c)
{
    struct gr_lru *l = GR_LRU(c);
    return sizeof *l + l->cap * sizeof *l->nodes + (l->mask + 1) * sizeof *l->index;
}

static void
gr_lru_destroy(gr_cache *c)
{
    struct gr_lru *l = GR_LRU(c);
    free(l->nodes);
    free(l->index);
    free(l);
}

static const struct gr_cache_ops gr_lru_ops = {
    "lru", gr_lru_get, gr_lru_put, gr_lru_clear, gr_lru_len, gr_lru_mem_bytes, gr_lru_destroy};

int
gr_lru_create(size_t capacity, gr_cache **out)
{
    *out = NULL;
    if (capacity < 1 || capacity > GR_LRU_MAX_CAPACITY)
        return GR_CACHE_EARG;
    size_t slots = 2;
    while (slots < 2 * capacity)
        slots *= 2;
    struct gr_lru *l = calloc(1, sizeof *l);
    if (l) {
        l->nodes = malloc(capacity * sizeof *l->nodes);
        l->index = malloc(slots * sizeof *l->index);
    }
    if (!l || !l->nodes || !l->index) {
        if (l)
            gr_lru_destroy(&l->base);
        return GR_CACHE_ENOMEM;
    }
    l->base.ops = &gr_lru_ops;
    l->cap = (uint32_t)capacity;
    l->mask = slots - 1;
    l->seed = 0x9e3779b97f4a7c15ULL; /* fixed: replays are reproducible */
    gr_lru_clear(&l->base);
    *out = &l->base;
    return GR_CACHE_OK;
}
