/*
 * resolver.c - address -> country with Zoraxy's Store semantics, plus the
 * cache-clear ticker.
 *
 * gr_resolve: reserved zone (answered without touching the cache), else
 * cache get, else backend lookup (plus the optional busy-wait that models an
 * expensive backend) and cache put. As in Zoraxy's slowSearchIpv4/Ipv6,
 * only a country found in the database is stored: an address in no range
 * walks the database again on every request, and backend errors are not
 * cached either.
 *
 * Concurrency: the resolver's own state is read-only after create, except
 * the statistics, which are relaxed atomic counters (no other data is
 * published through them), and the ticker's stop flag, which lives under
 * a mutex with a condition variable on CLOCK_MONOTONIC. Destroy sets the flag
 * and signals, so the ticker wakes at once instead of sleeping out its
 * interval, then joins it. The ticker also marks, under the same mutex,
 * when it is inside its timed wait, so a caller (a test) can tell that it
 * is asleep without guessing with a sleep of its own. Whether the cache
 * itself tolerates the ticker's clear running against request threads is
 * the question each cache variant answers; the resolver adds no locking
 * around it on purpose.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "georace/clock.h"
#include "georace/resolver.h"

struct gr_resolver {
    gr_geodb *db;
    gr_cache *cache;
    uint64_t clear_interval_ns;
    uint64_t miss_cost_ns;

    _Atomic uint64_t lookups, hits, misses, zones, errors, clears;

    pthread_mutex_t mu; /* guards stop, ticker_running and ticker_waiting */
    pthread_cond_t cv;
    bool stop;
    bool ticker_running;
    bool ticker_waiting; /* the ticker is inside pthread_cond_timedwait */
    pthread_t ticker;
};

static void
gr_resolver_count(_Atomic uint64_t *c)
{
    atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

static struct timespec
gr_resolver_timespec(uint64_t ns)
{
    struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000u),
                          .tv_nsec = (long)(ns % 1000000000u)};
    return ts;
}

int
gr_resolver_create(const gr_resolver_config *cfg, gr_resolver **out)
{
    if (!cfg || !cfg->db || !out)
        return GR_GEODB_EARG;
    gr_resolver *r = calloc(1, sizeof *r);
    if (!r)
        return GR_GEODB_ENOMEM;
    r->db = cfg->db;
    r->cache = cfg->cache;
    r->clear_interval_ns = cfg->clear_interval_ns;
    r->miss_cost_ns = cfg->miss_cost_ns;
    pthread_condattr_t ca;
    if (pthread_condattr_init(&ca) != 0) {
        free(r);
        return GR_GEODB_ENOMEM;
    }
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    int rc = pthread_cond_init(&r->cv, &ca);
    pthread_condattr_destroy(&ca);
    if (rc != 0) {
        free(r);
        return GR_GEODB_ENOMEM;
    }
    if (pthread_mutex_init(&r->mu, NULL) != 0) {
        pthread_cond_destroy(&r->cv);
        free(r);
        return GR_GEODB_ENOMEM;
    }
    *out = r;
    return 0;
}

static void *
gr_resolver_ticker(void *arg)
{
    gr_resolver *r = arg;
    uint64_t deadline = gr_clock_now_ns() + r->clear_interval_ns;
    pthread_mutex_lock(&r->mu);
    while (!r->stop) {
        struct timespec ts = gr_resolver_timespec(deadline);
        r->ticker_waiting = true;
        int rc = pthread_cond_timedwait(&r->cv, &r->mu, &ts);
        r->ticker_waiting = false;
        if (r->stop)
            break;
        if (rc != ETIMEDOUT && gr_clock_now_ns() < deadline)
            continue; /* spurious wake-up */
        pthread_mutex_unlock(&r->mu);
        gr_resolver_clear_now(r);
        pthread_mutex_lock(&r->mu);
        deadline += r->clear_interval_ns;
        uint64_t now = gr_clock_now_ns();
        if (deadline < now) /* fell behind (a slow clear): do not burst */
            deadline = now + r->clear_interval_ns;
    }
    pthread_mutex_unlock(&r->mu);
    return NULL;
}

int
gr_resolver_start(gr_resolver *r)
{
    if (!r)
        return GR_GEODB_EARG;
    if (r->clear_interval_ns == 0 || !r->cache)
        return 0;
    pthread_mutex_lock(&r->mu);
    int rc = 0;
    if (!r->ticker_running) {
        r->stop = false;
        if (pthread_create(&r->ticker, NULL, gr_resolver_ticker, r) == 0)
            r->ticker_running = true;
        else
            rc = GR_GEODB_ENOMEM;
    }
    pthread_mutex_unlock(&r->mu);
    return rc;
}

void
gr_resolver_destroy(gr_resolver *r)
{
    if (!r)
        return;
    pthread_mutex_lock(&r->mu);
    bool running = r->ticker_running;
    r->stop = true;
    r->ticker_running = false;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
    if (running)
        pthread_join(r->ticker, NULL);
    pthread_cond_destroy(&r->cv);
    pthread_mutex_destroy(&r->mu);
    free(r);
}

gr_answer
gr_resolve(gr_resolver *r, const gr_ip *ip)
{
    gr_answer a = {GR_ANSWER_UNKNOWN, GR_COUNTRY_NONE, GR_ZONE_NONE, false};
    gr_resolver_count(&r->lookups);
    gr_ip embedded;
    if (gr_ip_embedded_v4(ip, &embedded))
        ip = &embedded; /* every spelling of an IPv4 address: one zone, one key */
    gr_zone z = gr_zone_of(ip);
    if (z != GR_ZONE_NONE) {
        gr_resolver_count(&r->zones);
        a.kind = GR_ANSWER_ZONE;
        a.zone = z;
        return a;
    }
    gr_country c = GR_COUNTRY_NONE;
    if (r->cache && gr_cache_get(r->cache, ip, &c)) {
        gr_resolver_count(&r->hits);
        a.cache_hit = true;
        a.country = c;
        a.kind = c == GR_COUNTRY_NONE ? GR_ANSWER_UNKNOWN : GR_ANSWER_COUNTRY;
        return a;
    }
    gr_resolver_count(&r->misses);
    if (r->miss_cost_ns) /* model an expensive backend: spin as a CPU-bound scan would */
        gr_clock_spin_ns(r->miss_cost_ns);
    c = GR_COUNTRY_NONE;
    int rc = gr_geodb_lookup(r->db, ip, &c);
    if (rc < 0) {
        gr_resolver_count(&r->errors);
        a.kind = GR_ANSWER_ERROR;
        return a;
    }
    if (rc == 0)
        c = GR_COUNTRY_NONE;
    if (r->cache && c != GR_COUNTRY_NONE)
        gr_cache_put(r->cache, ip, c);
    a.country = c;
    a.kind = c == GR_COUNTRY_NONE ? GR_ANSWER_UNKNOWN : GR_ANSWER_COUNTRY;
    return a;
}

void
gr_resolver_clear_now(gr_resolver *r)
{
    if (!r->cache)
        return;
    gr_cache_clear(r->cache);
    gr_resolver_count(&r->clears);
}

bool
gr_resolver_ticker_waiting(gr_resolver *r)
{
    pthread_mutex_lock(&r->mu);
    bool waiting = r->ticker_waiting;
    pthread_mutex_unlock(&r->mu);
    return waiting;
}

void
gr_resolver_stats_get(gr_resolver *r, gr_resolver_stats *out)
{
    out->lookups = atomic_load_explicit(&r->lookups, memory_order_relaxed);
    out->hits = atomic_load_explicit(&r->hits, memory_order_relaxed);
    out->misses = atomic_load_explicit(&r->misses, memory_order_relaxed);
    out->zones = atomic_load_explicit(&r->zones, memory_order_relaxed);
    out->errors = atomic_load_explicit(&r->errors, memory_order_relaxed);
    out->clears = atomic_load_explicit(&r->clears, memory_order_relaxed);
}

const char *
gr_answer_str(const gr_answer *a, char *buf, size_t cap)
{
    char cc[3];
    const char *s;
    switch (a->kind) {
    case GR_ANSWER_COUNTRY:
        s = gr_country_str(a->country, cc);
        break;
    case GR_ANSWER_ZONE:
        s = gr_zone_name(a->zone);
        break;
    case GR_ANSWER_UNKNOWN:
        s = "";
        break;
    default:
        s = "error";
        break;
    }
    if (cap > 0)
        snprintf(buf, cap, "%s", s);
    return buf;
}
