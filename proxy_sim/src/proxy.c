/*
 * proxy.c - start and stop the proxy: one cache and one resolver shared by
 * every worker, N workers on one SO_REUSEPORT address.
 *
 * The configuration, the access rule and the trusted-proxy list are written
 * before the worker threads are created and never again, so pthread_create
 * publishes them to the workers (happens-before). Each libuv loop and
 * everything on it is used by its worker thread alone. Stopping asks each
 * worker, through its uv_async_t (the only cross-thread signal), to stop
 * accepting and to exit once its requests in flight are answered or the
 * deadline passes; then the threads are joined, which publishes the
 * workers' final state, and everything is freed in reverse order.
 *
 * File descriptors: the soft RLIMIT_NOFILE is raised to the hard limit at
 * start, and the client connection limit (--max-connections) defaults to
 * what that leaves room for - each client may hold an upstream connection
 * too, and a few descriptors go to the loops, the listeners and the
 * database - so the proxy stops accepting before the kernel refuses it a
 * descriptor.
 *
 * Memory: a buffer that grew past GR_PROXY_IDLE_KEEP for one large message
 * is freed when its connection goes idle (proxy_msg.h). glibc would keep
 * such a block in the heap of the worker's arena after free (its mmap
 * threshold rises to the largest block freed), so the threshold is pinned
 * at start: large buffers are mapped and unmapped, and what the proxy no
 * longer holds goes back to the kernel.
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "proxy_worker.h"

void
gr_proxy_config_default(gr_proxy_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->listen = "127.0.0.1:8080";
    cfg->upstream = "127.0.0.1:8081";
    cfg->workers = 2;
    cfg->variant = "sharded"; /* bounded tail: see --help */
    gr_cache_config_default(&cfg->cache);
    cfg->cache_clear_ns = 15ull * 60 * 1000000000u;
    cfg->max_header_size = 16384;
    cfg->max_body_size = 10u << 20;
    cfg->read_timeout_ns = 30ull * 1000000000u;
    cfg->write_timeout_ns = 30ull * 1000000000u;
    cfg->idle_timeout_ns = 60ull * 1000000000u;
    cfg->upstream_timeout_ns = 30ull * 1000000000u;
    cfg->shutdown_timeout_ns = 10ull * 1000000000u;
    cfg->upstream_pool = 256;
    cfg->upstream_queue = 1024;
    cfg->upstream_queue_timeout_ns = 5ull * 1000000000u;
}

#define GR_PROXY_RESERVED_FDS 64

/* Raise the soft descriptor limit to the hard one; the connection limit
 * that leaves room for. */
static unsigned
gr_proxy_fd_budget(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl))
        return 1024;
    if (rl.rlim_cur < rl.rlim_max) {
        struct rlimit raised = {rl.rlim_max, rl.rlim_max};
        if (setrlimit(RLIMIT_NOFILE, &raised) == 0)
            rl.rlim_cur = rl.rlim_max;
    }
    rlim_t n = rl.rlim_cur == RLIM_INFINITY ? 1u << 20 : rl.rlim_cur;
    rlim_t budget = n > 2 * GR_PROXY_RESERVED_FDS ? (n - GR_PROXY_RESERVED_FDS) / 2 : 16;
    return budget > (1u << 20) ? 1u << 20 : (unsigned)budget;
}

static void
gr_proxy_free(gr_proxy *p)
{
    for (unsigned i = 0; p->w && i < p->n; i++)
        gr_worker_free(&p->w[i]);
    free(p->w);
    gr_resolver_destroy(p->resolver);
    gr_cache_destroy(p->cache);
    pthread_mutex_destroy(&p->log_lock);
    free(p);
}

int
gr_proxy_start(const gr_proxy_config *cfg, gr_proxy **out, char *err, size_t errcap)
{
    gr_net_addr listen;
    if (!cfg->db) {
        snprintf(err, errcap, "no geo database");
        return -1;
    }
    if (cfg->workers < 1 || cfg->workers > 256) {
        snprintf(err, errcap, "workers must be 1..256");
        return -1;
    }
    if (cfg->policy.n_trusted > GR_PROXY_MAX_TRUSTED) {
        snprintf(err, errcap, "at most %d trusted proxies", GR_PROXY_MAX_TRUSTED);
        return -1;
    }
    if (gr_net_parse(cfg->listen, &listen, err, errcap))
        return -1;
    gr_proxy *p = calloc(1, sizeof *p);
    if (!p) {
        snprintf(err, errcap, "out of memory");
        return -1;
    }
    pthread_mutex_init(&p->log_lock, NULL);
    p->cfg = *cfg;
    memcpy(p->trusted, cfg->policy.trusted, cfg->policy.n_trusted * sizeof p->trusted[0]);
    p->policy = cfg->policy;
    p->policy.trusted = p->trusted;
    if (gr_net_parse(cfg->upstream, &p->upstream, err, errcap)) {
        gr_proxy_free(p);
        return -1;
    }
    int rc = gr_cache_create(cfg->variant, &cfg->cache, &p->cache);
    if (rc) {
        snprintf(err, errcap, "cache variant '%s': %s", cfg->variant,
                 rc == GR_CACHE_EUNKNOWN ? "unknown variant" : "cannot create");
        gr_proxy_free(p);
        return -1;
    }
    gr_resolver_config rcfg = {
        .db = cfg->db, .cache = p->cache, .clear_interval_ns = cfg->cache_clear_ns};
    if (gr_resolver_create(&rcfg, &p->resolver) || gr_resolver_start(p->resolver)) {
        snprintf(err, errcap, "cannot start the resolver");
        gr_proxy_free(p);
        return -1;
    }
    p->n = cfg->workers;
    p->w = calloc(p->n, sizeof *p->w);
    if (!p->w) {
        snprintf(err, errcap, "out of memory");
        gr_proxy_free(p);
        return -1;
    }
    mallopt(M_MMAP_THRESHOLD, GR_PROXY_IDLE_KEEP * 4);
    unsigned budget = gr_proxy_fd_budget();
    p->max_connections = cfg->max_connections ? cfg->max_connections : budget;
    for (unsigned i = 0; i < p->n; i++) {
        p->w[i].proxy = p;
        p->w[i].index = i;
        /* SO_REUSEPORT spreads connections evenly enough to split the cap */
        p->w[i].max_clients = (p->max_connections + p->n - 1) / p->n;
    }
    for (unsigned i = 0; i < p->n; i++) {
        if (gr_worker_init(&p->w[i], &listen, err, errcap)) {
            gr_proxy_free(p);
            return -1;
        }
    }
    gr_net_format(&listen, p->address, sizeof p->address);
    if (cfg->metrics_listen) {
        gr_net_addr maddr;
        if (gr_net_parse(cfg->metrics_listen, &maddr, err, errcap) ||
            gr_worker_listen_metrics(&p->w[0], &maddr, err, errcap)) {
            gr_proxy_free(p);
            return -1;
        }
        gr_net_format(&maddr, p->metrics_address, sizeof p->metrics_address);
    }
    for (unsigned i = 0; i < p->n; i++) {
        if (pthread_create(&p->w[i].thread, NULL, gr_worker_run, &p->w[i])) {
            snprintf(err, errcap, "cannot start worker threads");
            gr_proxy_stop(p);
            return -1;
        }
        p->w[i].started = true;
    }
    *out = p;
    return 0;
}

const char *
gr_proxy_address(const gr_proxy *p)
{
    return p->address;
}

const char *
gr_proxy_metrics_address(const gr_proxy *p)
{
    return p->metrics_address[0] ? p->metrics_address : NULL;
}

unsigned
gr_proxy_max_connections(const gr_proxy *p)
{
    return p->max_connections;
}

unsigned
gr_proxy_stop(gr_proxy *p)
{
    unsigned leftover = 0;
    if (!p)
        return 0;
    for (unsigned i = 0; i < p->n; i++)
        if (p->w[i].started)
            gr_worker_request_stop(&p->w[i]);
    for (unsigned i = 0; i < p->n; i++) {
        if (p->w[i].started)
            pthread_join(p->w[i].thread, NULL);
        leftover += p->w[i].leftover;
    }
    if (p->cfg.access_log)
        fflush(p->cfg.access_log);
    gr_proxy_free(p);
    return leftover;
}
