/*
 * peer_rculfhash.c - the 'rculfhash' peer of 'bench cache': liburcu's
 * lock-free resizable hash table (cds_lfht), run the way liburcu means it to
 * be used by a read-mostly cache.
 *
 * Flavour: "memb" (urcu-memb.h), the general-purpose flavour that needs no
 * signal and no cooperation from the threads beyond registering: its read
 * side is a few loads, and its grace periods use the membarrier system
 * call. Every thread that touches the table registers (thread_init).
 * Lookups and inserts run inside a read-side critical section; inserts use
 * cds_lfht_add_unique, so a key put by two threads at once is kept once.
 * The table starts at 1024 buckets and resizes itself (AUTO_RESIZE, with
 * ACCOUNTING so that it can also shrink). Clear deletes every node under a
 * read lock and frees each with call_rcu, after the readers that might
 * still see it are gone: no reader ever blocks a clear or waits for one.
 *
 * Peer code: never linked into the library that the race proofs cover.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <urcu/urcu-memb.h>
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

static void *
gr_bench_lfht_open(const gr_bench_cell *cell, char *err, size_t cap)
{
    struct gr_bench_lfht *l = calloc(1, sizeof *l);
    if (l)
        l->ht = cds_lfht_new_flavor(1024, 1024, 0, CDS_LFHT_AUTO_RESIZE | CDS_LFHT_ACCOUNTING,
                                    &urcu_memb_flavor, NULL);
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
    urcu_memb_read_lock();
    cds_lfht_lookup(l->ht, (unsigned long)gr_ip_hash(key, l->seed), gr_bench_lfht_match, key,
                    &iter);
    struct cds_lfht_node *n = cds_lfht_iter_get_node(&iter);
    if (n) {
        *out = caa_container_of(n, struct gr_bench_lfht_node, node)->value;
        hit = true;
    }
    urcu_memb_read_unlock();
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
    urcu_memb_read_lock();
    struct cds_lfht_node *got = cds_lfht_add_unique(l->ht, (unsigned long)gr_ip_hash(key, l->seed),
                                                    gr_bench_lfht_match, key, &n->node);
    urcu_memb_read_unlock();
    if (got != &n->node)
        free(n); /* someone else added the key first */
}

static void
gr_bench_lfht_clear(void *ctx)
{
    struct gr_bench_lfht *l = ctx;
    struct cds_lfht_iter iter;
    struct gr_bench_lfht_node *n;
    urcu_memb_read_lock();
    cds_lfht_for_each_entry(l->ht, &iter, n, node)
    {
        if (!cds_lfht_del(l->ht, &n->node))
            urcu_memb_call_rcu(&n->rcu, gr_bench_lfht_free);
    }
    urcu_memb_read_unlock();
}

static void
gr_bench_lfht_close(void *ctx)
{
    struct gr_bench_lfht *l = ctx;
    gr_bench_lfht_clear(l);
    urcu_memb_barrier(); /* run every pending call_rcu free */
    cds_lfht_destroy(l->ht, NULL);
    free(l);
}

const struct gr_bench_target gr_bench_rculfhash_ops = {
    NULL,
    NULL, /* in process */
    gr_bench_lfht_open,
    urcu_memb_register_thread,
    urcu_memb_unregister_thread,
    gr_bench_lfht_get,
    gr_bench_lfht_put,
    gr_bench_lfht_clear,
    gr_bench_target_mem_unknown,
    gr_bench_lfht_close,
};
