/*
 * proxy_pool.c - a worker's keep-alive connections to the upstream.
 *
 * An evhttp_connection carries one request at a time and queues the rest,
 * so a request goes to an idle connection when there is one (a stack of idle
 * indices: O(1)), else to a new connection while the pool may grow, else it
 * queues on the connections in turn. evhttp reconnects a connection the
 * upstream closed on its next request. Owned by one worker thread: no
 * synchronization.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy_internal.h"

int
gr_pool_init(struct gr_pool *pool, struct event_base *base, const gr_net_addr *upstream,
             uint64_t timeout_ns, unsigned cap)
{
    memset(pool, 0, sizeof *pool);
    pool->base = base;
    pool->cap = cap ? cap : 1;
    gr_net_host(upstream, pool->host, sizeof pool->host);
    pool->port = gr_net_port(upstream);
    pool->timeout.tv_sec = (time_t)(timeout_ns / 1000000000u);
    pool->timeout.tv_usec = (suseconds_t)(timeout_ns % 1000000000u / 1000u);
    pool->conns = calloc(pool->cap, sizeof *pool->conns);
    pool->idle = calloc(pool->cap, sizeof *pool->idle);
    return pool->conns && pool->idle ? 0 : -1;
}

static struct gr_pool_conn *
gr_pool_grow(struct gr_pool *pool)
{
    struct gr_pool_conn *c = &pool->conns[pool->n];
    c->evcon = evhttp_connection_base_new(pool->base, NULL, pool->host, pool->port);
    if (!c->evcon)
        return NULL;
    evhttp_connection_set_timeout_tv(c->evcon, &pool->timeout);
    c->index = pool->n++;
    c->busy = 0;
    c->nodelay_fd = -1;
    return c;
}

struct gr_pool_conn *
gr_pool_acquire(struct gr_pool *pool)
{
    struct gr_pool_conn *c = NULL;
    if (pool->n_idle > 0)
        c = &pool->conns[pool->idle[--pool->n_idle]];
    else if (pool->n < pool->cap)
        c = gr_pool_grow(pool);
    if (!c && pool->n > 0)
        c = &pool->conns[pool->next++ % pool->n];
    if (c)
        c->busy++;
    return c;
}

void
gr_pool_release(struct gr_pool *pool, struct gr_pool_conn *c)
{
    if (--c->busy == 0)
        pool->idle[pool->n_idle++] = c->index;
}

void
gr_pool_free(struct gr_pool *pool)
{
    for (unsigned i = 0; i < pool->n; i++)
        if (pool->conns[i].evcon)
            evhttp_connection_free(pool->conns[i].evcon);
    free(pool->conns);
    free(pool->idle);
    memset(pool, 0, sizeof *pool);
}
