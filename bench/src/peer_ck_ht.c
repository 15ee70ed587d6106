/*
 * peer_ck_ht.c - the 'ck_ht' peer of 'bench cache': Concurrency Kit's hash
 * table in the mode its authors built it for, SPMC (single producer, many
 * consumers), with ck_epoch reclaiming what it retires.
 *
 * Readers call ck_ht_get_spmc inside an epoch section (ck_epoch_begin/end
 * on their own record: a store and a store-load fence to begin, a store to
 * end) and take no lock. ck_ht allows one writer at a time, so puts and
 * clears take a mutex: the usual way to use an SPMC structure with several
 * writers. Keys are 16-byte addresses (bytestring mode); the table points
 * at its keys, so each inserted key is a copy the table owns until the
 * cell ends.
 *
 * Reclamation: when ck_ht grows or resets it frees its old slot array with
 * the "defer" flag, since a reader may still be walking it. The free hook
 * hands the block to ck_epoch_call on the writers' record (used only under
 * the writer mutex, as ck_epoch_call wants one thread per record at a
 * time), and the writer then polls the epoch, which frees what no reader
 * can see any more. Every thread of a cell registers a record (recycled
 * across cells; the epoch domain is one per process, as Concurrency Kit
 * expects). Closing a cell waits for a full barrier and frees the rest.
 *
 * Peer code: never linked into the library that the race proofs cover.
 */
#include <ck_epoch.h>
#include <ck_ht.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "target.h"

/* Room in front of every block ck_ht allocates, for its epoch entry. */
#define GR_BENCH_CK_HEAD 16
_Static_assert(sizeof(ck_epoch_entry_t) <= GR_BENCH_CK_HEAD, "epoch entry fits the head room");

static ck_epoch_t gr_bench_ck_epoch;
static pthread_once_t gr_bench_ck_once = PTHREAD_ONCE_INIT;
static _Thread_local ck_epoch_record_t *gr_bench_ck_rec;
/* ck_malloc has no context pointer: one cell runs at a time, and deferred
 * frees happen under the writer mutex, so one writers' record does. */
static ck_epoch_record_t *gr_bench_ck_wrec;

struct gr_bench_ck {
    ck_ht_t ht;
    pthread_mutex_t wmu;
    gr_ip **keys; /* key copies the table points to, freed at close */
    size_t nkeys, capkeys;
};

static void
gr_bench_ck_epoch_init(void)
{
    ck_epoch_init(&gr_bench_ck_epoch);
}

/* A registered record: a recycled one, or a new one (kept for reuse). */
static ck_epoch_record_t *
gr_bench_ck_record(void)
{
    pthread_once(&gr_bench_ck_once, gr_bench_ck_epoch_init);
    ck_epoch_record_t *r = ck_epoch_recycle(&gr_bench_ck_epoch, NULL);
    if (r)
        return r;
    r = aligned_alloc(CK_MD_CACHELINE, sizeof *r);
    if (!r)
        abort();
    ck_epoch_register(&gr_bench_ck_epoch, r, NULL);
    return r;
}

static void
gr_bench_ck_thread_init(void)
{
    gr_bench_ck_rec = gr_bench_ck_record();
}

static void
gr_bench_ck_thread_fini(void)
{
    ck_epoch_unregister(gr_bench_ck_rec);
    gr_bench_ck_rec = NULL;
}

static void *
gr_bench_ck_malloc(size_t n)
{
    char *p = malloc(n + GR_BENCH_CK_HEAD);
    return p ? p + GR_BENCH_CK_HEAD : NULL;
}

static void *
gr_bench_ck_realloc(void *p, size_t old, size_t n, bool defer)
{
    (void)old, (void)defer;
    char *q = realloc(p ? (char *)p - GR_BENCH_CK_HEAD : NULL, n + GR_BENCH_CK_HEAD);
    return q ? q + GR_BENCH_CK_HEAD : NULL;
}

static void
gr_bench_ck_dispatch(ck_epoch_entry_t *e)
{
    free(e);
}

static void
gr_bench_ck_free(void *p, size_t n, bool defer)
{
    (void)n;
    void *block = (char *)p - GR_BENCH_CK_HEAD;
    if (!defer || !gr_bench_ck_wrec) {
        free(block);
        return;
    }
    ck_epoch_call(gr_bench_ck_wrec, block, gr_bench_ck_dispatch);
    (void)ck_epoch_poll(gr_bench_ck_wrec);
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
    gr_bench_ck_wrec = gr_bench_ck_record();
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
    ck_epoch_begin(gr_bench_ck_rec, NULL);
    bool hit = ck_ht_get_spmc(&c->ht, h, &e);
    ck_epoch_end(gr_bench_ck_rec, NULL);
    if (hit)
        *out = (gr_country)(uintptr_t)ck_ht_entry_value(&e);
    return hit;
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
    ck_epoch_barrier(gr_bench_ck_wrec); /* no reader left: frees every deferred array */
    ck_epoch_unregister(gr_bench_ck_wrec);
    gr_bench_ck_wrec = NULL;
    ck_ht_destroy(&c->ht);
    for (size_t i = 0; i < c->nkeys; i++)
        free(c->keys[i]);
    free(c->keys);
    pthread_mutex_destroy(&c->wmu);
    free(c);
}

const struct gr_bench_target gr_bench_ck_ht_ops = {
    .open = gr_bench_ck_open,
    .thread_init = gr_bench_ck_thread_init,
    .thread_fini = gr_bench_ck_thread_fini,
    .get = gr_bench_ck_get,
    .put = gr_bench_ck_put,
    .clear = gr_bench_ck_clear,
    .mem = gr_bench_target_mem_unknown,
    .close = gr_bench_ck_close,
};
