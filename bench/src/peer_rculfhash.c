/*
 * peer_rculfhash.c - the 'rculfhash' peer of 'bench cache': liburcu's
 * lock-free resizable hash table (cds_lfht), run the way liburcu means it to
 * be used by a read-mostly table whose threads it controls.
 *
 * Flavour: QSBR (urcu-qsbr.h), the one with the cheapest read side: a
 * read-side critical section costs nothing at all (rcu_read_lock and
 * rcu_read_unlock are empty); instead every registered thread that is
 * online must announce a quiescent state now and then, and go offline
 * while it idles. The bench's threads fit that exactly: every worker calls
 * urcu_qsbr_quiescent_state() every 256 operations (the engine's batch),
 * and a thread that waits (workers before the start, the reset-storm
 * ticker between two clears, the main thread for the whole run) is
 * offline. Built with _LGPL_SOURCE, as liburcu recommends for speed, so
 * the quiescent-state and read-lock calls are inlined.
 *
 * The table starts with as many buckets as the next power of two at or
 * above the hot keys (at least 1024), so the prefill does not have to grow
 * it step by step and the hot keys' chains are short from the start; it
 * resizes itself afterwards (AUTO_RESIZE, with ACCOUNTING so that it also
 * shrinks after a clear). Puts use cds_lfht_add_unique, so a key put by two
 * threads at once is kept once. Clear deletes every node and frees each
 * with call_rcu once no reader can still see it: no reader ever blocks a
 * clear or waits for one.
 *
 * Peer code: never linked into the library that the race proofs cover.
 */
#define _LGPL_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <urcu/urcu-qsbr.h>
/* rculfhash.h needs the flavour header first */
#include <urcu/rculfhash.h>

#include "target.h"

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

/* The initial bucket count: the hot keys' power of two, at least 1024. */
static unsigned long
gr_bench_lfht_size(size_t keys)
{
    unsigned long n = 1024;
    while (n < keys && n < (1UL << 30))
        n <<= 1;
    return n;
}

static void *
gr_bench_lfht_open(const gr_bench_cell *cell, char *err, size_t cap)
{
    struct gr_bench_lfht *l = calloc(1, sizeof *l);
    if (l)
        l->ht = cds_lfht_new_flavor(gr_bench_lfht_size(cell->keys), 1024, 0,
                                    CDS_LFHT_AUTO_RESIZE | CDS_LFHT_ACCOUNTING, &urcu_qsbr_flavor,
                                    NULL);
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
    urcu_qsbr_read_lock(); /* empty in QSBR: documents the section */
    cds_lfht_lookup(l->ht, (unsigned long)gr_ip_hash(key, l->seed), gr_bench_lfht_match, key,
                    &iter);
    struct cds_lfht_node *n = cds_lfht_iter_get_node(&iter);
    if (n) {
        *out = caa_container_of(n, struct gr_bench_lfht_node, node)->value;
        hit = true;
    }
    urcu_qsbr_read_unlock();
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
    urcu_qsbr_read_lock();
    struct cds_lfht_node *got = cds_lfht_add_unique(l->ht, (unsigned long)gr_ip_hash(key, l->seed),
                                                    gr_bench_lfht_match, key, &n->node);
    urcu_qsbr_read_unlock();
    if (got != &n->node)
        free(n); /* someone else added the key first */
}

static void
gr_bench_lfht_clear(void *ctx)
{
    struct gr_bench_lfht *l = ctx;
    struct cds_lfht_iter iter;
    urcu_qsbr_read_lock();
    /* cds_lfht_first/next rather than cds_lfht_for_each_entry, whose last
     * step takes container_of of a NULL node (undefined behaviour) */
    cds_lfht_first(l->ht, &iter);
    for (struct cds_lfht_node *node; (node = cds_lfht_iter_get_node(&iter));) {
        cds_lfht_next(l->ht, &iter);
        if (!cds_lfht_del(l->ht, node))
            urcu_qsbr_call_rcu(&caa_container_of(node, struct gr_bench_lfht_node, node)->rcu,
                               gr_bench_lfht_free);
    }
    urcu_qsbr_read_unlock();
}

static void
gr_bench_lfht_close(void *ctx)
{
    struct gr_bench_lfht *l = ctx;
    gr_bench_lfht_clear(l);
    /* rcu_barrier waits for grace periods: this thread must not hold one
     * back, and cds_lfht_destroy wants to be called offline as well */
    urcu_qsbr_thread_offline();
    urcu_qsbr_barrier(); /* run every pending call_rcu free */
    cds_lfht_destroy(l->ht, NULL);
    urcu_qsbr_thread_online();
    free(l);
}

static void
gr_bench_lfht_quiescent(void)
{
    urcu_qsbr_quiescent_state();
}

static void
gr_bench_lfht_offline(void)
{
    urcu_qsbr_thread_offline();
}

static void
gr_bench_lfht_online(void)
{
    urcu_qsbr_thread_online();
}

const struct gr_bench_target gr_bench_rculfhash_ops = {
    .open = gr_bench_lfht_open,
    .thread_init = urcu_qsbr_register_thread,
    .thread_fini = urcu_qsbr_unregister_thread,
    .get = gr_bench_lfht_get,
    .put = gr_bench_lfht_put,
    .clear = gr_bench_lfht_clear,
    .mem = gr_bench_target_mem_unknown,
    .close = gr_bench_lfht_close,
    .quiescent = gr_bench_lfht_quiescent,
    .offline = gr_bench_lfht_offline,
    .online = gr_bench_lfht_online,
};
