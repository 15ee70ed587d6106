/*
 * peer_ck_ht.c - the 'ck_ht' peer of 'bench cache': Concurrency Kit's hash
 * table in the mode its authors built it for, SPMC (single producer, many
 * consumers).
 *
 * Readers call ck_ht_get_spmc with no lock at all. ck_ht allows one writer
 * at a time, so puts and clears take a mutex: the usual way to use an SPMC
 * structure with several writers. Keys are 16-byte addresses (bytestring
 * mode); the table points at its keys, so each inserted key is a copy the
 * table owns until the cell ends.
 *
 * Reclamation: when ck_ht grows or resets it retires its old slot array,
 * which a reader may still be walking. Concurrency Kit leaves the when to
 * the user (typically ck_epoch). Cells are short, so the retired arrays are
 * simply kept on a list and freed when the cell closes: the readers pay
 * nothing for reclamation, which flatters ck_ht a little on reset-storm.
 *
 * Peer code: never linked into the library that the race proofs cover.
 */
#include <ck_ht.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "target.h"

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

/* Room for one more key copy; false when out of memory. */
static bool
gr_bench_ck_reserve(struct gr_bench_ck *c)
{
    if (c->nkeys < c->capkeys)
        return true;
    size_t ncap = c->capkeys ? c->capkeys * 2 : 4096;
    gr_ip **k = realloc(c->keys, ncap * sizeof *k);
    if (!k)
        return false;
    c->keys = k;
    c->capkeys = ncap;
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
    if (gr_bench_ck_reserve(c) && ck_ht_put_spmc(&c->ht, h, &e))
        c->keys[c->nkeys++] = copy;
    else
        free(copy); /* already present, or no room to remember it */
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

const struct gr_bench_target gr_bench_ck_ht_ops = {
    NULL,
    NULL, /* in process */
    gr_bench_ck_open,
    gr_bench_target_nop,
    gr_bench_target_nop,
    gr_bench_ck_get,
    gr_bench_ck_put,
    gr_bench_ck_clear,
    gr_bench_target_mem_unknown,
    gr_bench_ck_close,
};
