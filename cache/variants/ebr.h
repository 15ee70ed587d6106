/*
 * ebr.h - epoch-based reclamation: free memory that lock-free readers may
 * still be looking at, once they certainly are not.
 *
 * A reader brackets its accesses with gr_ebr_enter/gr_ebr_exit (nesting is
 * fine). A writer that has unlinked a node calls gr_ebr_retire; the node's
 * free function runs after every thread that could have seen it has left
 * its critical section. One domain per data structure; threads register on
 * first use and give their record back when they exit, even from inside a
 * critical section (the record is handed on inactive).
 */
#ifndef GEORACE_EBR_H
#define GEORACE_EBR_H

#include <stddef.h>
#include <stdint.h>

typedef struct gr_ebr gr_ebr;
typedef struct gr_ebr_rec gr_ebr_rec;

/* Embed this in every retirable object. */
typedef struct gr_ebr_node {
    struct gr_ebr_node *next;
    void (*free_fn)(struct gr_ebr_node *n);
} gr_ebr_node;

/* 0, or -1 when out of memory / thread-specific keys. */
int gr_ebr_create(gr_ebr **out);
/* Frees everything still pending. No thread may be inside the domain. */
void gr_ebr_destroy(gr_ebr *d);

gr_ebr_rec *gr_ebr_enter(gr_ebr *d);
void gr_ebr_exit(gr_ebr_rec *r);
/* Call between enter and exit, after `n` became unreachable. */
void gr_ebr_retire(gr_ebr_rec *r, gr_ebr_node *n, void (*free_fn)(gr_ebr_node *n));
/* Try to advance the epoch and free what expired (tests, idle threads). */
void gr_ebr_collect(gr_ebr_rec *r);
/* Outside any critical section of d: try to advance the epoch and free
 * what this thread retired, pausing briefly between tries, until nothing
 * of it is pending or max_ns have passed. For a thread that retires much
 * and then idles (a cache's clear ticker): what it retired is freed now,
 * not at its next call. Returns what is still pending. */
size_t gr_ebr_drain(gr_ebr *d, uint64_t max_ns);
/* Collect (try to advance, free what expired) at the exit of every n-th
 * critical section that leaves something pending (default 64; not while
 * threads use the domain). */
void gr_ebr_set_collect_every(gr_ebr *d, unsigned n);
/* Nodes retired by this thread and not yet freed. */
size_t gr_ebr_pending(const gr_ebr_rec *r);
uint64_t gr_ebr_epoch(gr_ebr *d);

#endif
