/*
 * sim.c - the in-process simulator: worker threads run the proxy's request
 * path (requester IP -> resolver -> access rule, the proxy's own gr_decide)
 * on a seeded traffic stream and check every answer against the stream's
 * ground truth.
 *
 * The burst board. Parallel requests of one page view must hit the cache
 * from different threads at about the same time. A worker that draws such a
 * burst copies it into one of its own slots and posts the slot on its board
 * entry, a single atomic word:
 *
 *     gen (32 bits) | slot (8) | next request (8) | burst length (8)
 *
 * Any worker takes a request by a CAS that increments `next` while
 * next < length; the CAS hands out each request exactly once. Workers serve
 * the others' entries first (a scan from a rotating start) and their own
 * only when nobody took it for a while, so a burst's requests run on
 * several threads. A worker posts only over its own exhausted entry
 * (next == length), which no taker modifies, so the post is a plain store;
 * the generation, bumped by each post, keeps a taker holding an old word
 * from matching a new one (ABA).
 *
 * Memory order. The owner fills its slot with plain stores, then posts with
 * a store-release; a taker's successful CAS is acquire and reads a value in
 * the release sequence of that post (RMWs extend it), so the slot's requests
 * are visible to it. After copying its request the taker increments the
 * slot's `done` with release; the owner reuses a slot only after reading
 * done == length with acquire, so no taker is still reading it. Every other
 * datum is per worker, and the counters the main thread reads for progress
 * are relaxed atomics (statistics; nothing is published through them).
 * The board therefore adds happens-before edges only between a post and its
 * takes; the cache operations after a take stay as concurrent as the cache
 * variant allows, which is what ThreadSanitizer and the gomap detector judge.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "georace/errbuf.h"
#include "georace/clock.h"
#include "georace/access.h"
#include "georace/decide.h"
#include "georace/defaultdb.h"
#include "georace/requester.h"
#include "georace/resolver.h"
#include "georace/sim.h"
#include "georace/traffic.h"

#define GR_SIM_SLOTS 4 /* burst slots per worker */
#define GR_SIM_MAX_THREADS 1024
#define GR_SIM_POLL_NS 100000 /* paced workers look at the board this often */
#define GR_SIM_SAMPLE_NS 50000000ull
#define GR_SIM_OWN_PATIENCE_NS 50000ull /* leave own burst to others this long */

struct gr_sim_slot {
    gr_request req[GR_PROFILE_BURST_MAX];
    unsigned len;          /* written by the owner only, before posting */
    _Atomic unsigned done; /* requests copied out by takers (owner included) */
};

struct gr_sim_counters {
    _Atomic uint64_t requests, hits, misses, zones, unknown, blocked, allowed, mismatches, bypasses,
        requester_mismatches, errors, shared;
};

struct gr_sim;

struct gr_sim_worker {
    struct gr_sim *sim;
    unsigned index;
    pthread_t thread;
    gr_traffic *traffic;
    uint64_t start_ns;
    unsigned next_slot;
    uint64_t posted_ns;     /* when this worker last posted a burst */
    unsigned rot;           /* where the next scan of the others' entries starts */
    _Atomic uint64_t board; /* this worker's posted burst (see above) */
    struct gr_sim_counters c;
    struct gr_sim_slot slots[GR_SIM_SLOTS];
};

struct gr_sim {
    const gr_sim_config *cfg;
    gr_resolver *resolver;
    gr_cache *cache;
    gr_access access;
    gr_cidr trusted;
    gr_req_policy policy;
    gr_decide_rules rules; /* policy, resolver and access: the proxy's judgement */
    gr_ip peer;
    struct gr_sim_worker **workers;
    unsigned nworkers;
    _Atomic bool stop;
    _Atomic uint64_t issued;  /* claimed requests, only with max_requests */
    _Atomic unsigned printed; /* mismatches printed */
};

static void
gr_sim_sleep_ns(uint64_t ns)
{
    struct timespec ts = {(time_t)(ns / 1000000000ull), (long)(ns % 1000000000ull)};
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
        ;
}

static size_t
gr_sim_rss_kb(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f)
        return 0;
    unsigned long size = 0, resident = 0;
    int n = fscanf(f, "%lu %lu", &size, &resident);
    fclose(f);
    if (n != 2)
        return 0;
    return (size_t)(resident * (unsigned long)sysconf(_SC_PAGESIZE) / 1024);
}

void
gr_sim_config_default(gr_sim_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->profile = "zoraxy-home";
    cfg->variant = "syncmap";
    gr_cache_config_default(&cfg->cache);
    cfg->backend = GR_GEODB_MMDB;
    cfg->threads = 4;
    cfg->duration_ns = 2000000000ull;
    cfg->rate = 0;
    cfg->seed = 1;
    cfg->print_mismatches = 5;
}

/* ---- the request path -------------------------------------------------- */

struct gr_sim_headers {
    const char *xff;
    size_t len;
};

static const char *
gr_sim_header(void *ctx, const char *name, size_t nth, size_t *len)
{
    const struct gr_sim_headers *h = ctx;
    if (nth != 0 || strcasecmp(name, "X-Forwarded-For") != 0)
        return NULL;
    *len = h->len;
    return h->xff;
}

static void
gr_sim_print_mismatch(struct gr_sim *s, const gr_request *req, const char *xff,
                      const gr_ip *requester, const gr_answer *a)
{
    unsigned n = atomic_fetch_add_explicit(&s->printed, 1, memory_order_relaxed);
    if (n >= s->cfg->print_mismatches)
        return;
    char ip[GR_IP_STRLEN], got[32], want[16], rip[GR_IP_STRLEN] = "-";
    gr_ip_format(&req->client, ip, sizeof ip);
    if (requester)
        gr_ip_format(requester, rip, sizeof rip);
    gr_answer_str(a, got, sizeof got);
    if (req->zone != GR_ZONE_NONE)
        snprintf(want, sizeof want, "%s", gr_zone_name(req->zone));
    else
        gr_country_str(req->truth, want);
    fprintf(stderr,
            "sim: mismatch: client %s (X-Forwarded-For: %s, requester %s, %s): answer '%s', "
            "truth '%s'\n",
            ip, xff, rip, gr_traffic_kind_name(req->kind), got, want);
}

static void
gr_sim_serve(struct gr_sim_worker *w, const gr_request *req)
{
    struct gr_sim *s = w->sim;
    struct gr_sim_counters *c = &w->c;
    char xff[80];
    gr_request_format_client(req, xff, sizeof xff);
    struct gr_sim_headers h = {xff, strlen(xff)};
    gr_decide_result d;
    gr_decide(&s->rules, &s->peer, gr_sim_header, &h, &d);
    atomic_fetch_add_explicit(&c->requests, 1, memory_order_relaxed);
    if (d.verdict == GR_DECIDE_BAD_REQUESTER || !gr_ip_equal(&d.requester, &req->client)) {
        gr_answer none = {GR_ANSWER_ERROR, GR_COUNTRY_NONE, GR_ZONE_NONE, false};
        atomic_fetch_add_explicit(&c->mismatches, 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&c->requester_mismatches, 1, memory_order_relaxed);
        gr_sim_print_mismatch(s, req, xff,
                              d.verdict == GR_DECIDE_BAD_REQUESTER ? NULL : &d.requester, &none);
        return;
    }
    if (d.verdict == GR_DECIDE_LOOKUP_FAILED) {
        /* the proxy answers 500: neither let through nor blocked */
        atomic_fetch_add_explicit(&c->errors, 1, memory_order_relaxed);
        return;
    }
    const gr_answer *a = &d.answer;
    bool allowed = d.verdict == GR_DECIDE_ALLOW;
    atomic_fetch_add_explicit(allowed ? &c->allowed : &c->blocked, 1, memory_order_relaxed);
    switch (a->kind) {
    case GR_ANSWER_ERROR: /* GR_DECIDE_LOOKUP_FAILED, above */
        return;
    case GR_ANSWER_ZONE:
        atomic_fetch_add_explicit(&c->zones, 1, memory_order_relaxed);
        break;
    case GR_ANSWER_UNKNOWN:
        atomic_fetch_add_explicit(&c->unknown, 1, memory_order_relaxed);
        /* fall through */
    case GR_ANSWER_COUNTRY:
        atomic_fetch_add_explicit(a->cache_hit ? &c->hits : &c->misses, 1, memory_order_relaxed);
        break;
    }
    /* The answer the request should have had, straight from the truth. */
    gr_answer truth = {req->zone != GR_ZONE_NONE ? GR_ANSWER_ZONE : GR_ANSWER_COUNTRY, req->truth,
                       req->zone, false};
    bool right = a->kind == truth.kind &&
                 (a->kind == GR_ANSWER_ZONE ? a->zone == truth.zone : a->country == truth.country);
    if (!right) {
        atomic_fetch_add_explicit(&c->mismatches, 1, memory_order_relaxed);
        if (allowed && !gr_access_allows(&s->access, &truth))
            atomic_fetch_add_explicit(&c->bypasses, 1, memory_order_relaxed);
        gr_sim_print_mismatch(s, req, xff, &d.requester, a);
    }
}

/* With max_requests: claim one request of the budget; false when spent. */
static bool
gr_sim_claim(struct gr_sim *s)
{
    uint64_t max = s->cfg->max_requests;
    if (max == 0)
        return true;
    if (atomic_fetch_add_explicit(&s->issued, 1, memory_order_relaxed) < max)
        return true;
    atomic_store_explicit(&s->stop, true, memory_order_relaxed);
    return false;
}

static bool
gr_sim_stopping(struct gr_sim *s)
{
    return atomic_load_explicit(&s->stop, memory_order_relaxed);
}

/* ---- the burst board --------------------------------------------------- */

#define GR_SIM_B_LEN(w) ((unsigned)((w)&0xff))
#define GR_SIM_B_NEXT(w) ((unsigned)(((w) >> 8) & 0xff))
#define GR_SIM_B_SLOT(w) ((unsigned)(((w) >> 16) & 0xff))
#define GR_SIM_B_GEN(w) ((uint64_t)((w) >> 32))
#define GR_SIM_B_MAKE(gen, slot, next, len)                                                        \
    ((uint64_t)(gen) << 32 | (uint64_t)(slot) << 16 | (uint64_t)(next) << 8 | (uint64_t)(len))

/* Take one request from worker `owner`'s board entry and serve it. */
static bool
gr_sim_take_from(struct gr_sim_worker *w, struct gr_sim_worker *owner)
{
    struct gr_sim *s = w->sim;
    uint64_t b = atomic_load_explicit(&owner->board, memory_order_acquire);
    while (GR_SIM_B_NEXT(b) < GR_SIM_B_LEN(b)) {
        if (atomic_compare_exchange_weak_explicit(&owner->board, &b, b + (1u << 8),
                                                  memory_order_acquire, memory_order_acquire)) {
            struct gr_sim_slot *slot = &owner->slots[GR_SIM_B_SLOT(b)];
            gr_request req = slot->req[GR_SIM_B_NEXT(b)];
            atomic_fetch_add_explicit(&slot->done, 1, memory_order_release);
            if (owner != w)
                atomic_fetch_add_explicit(&w->c.shared, 1, memory_order_relaxed);
            if (gr_sim_claim(s))
                gr_sim_serve(w, &req);
            return true;
        }
    }
    return false;
}

/* Take one request posted by another worker; the scan starts at a rotating
 * place so workers do not all pile onto one entry. */
static bool
gr_sim_take_others(struct gr_sim_worker *w)
{
    struct gr_sim *s = w->sim;
    unsigned n = s->nworkers;
    if (n == 1)
        return false;
    unsigned start = w->index + 1 + (w->rot++ % (n - 1));
    for (unsigned k = 0; k < n - 1; k++) {
        unsigned j = (start + k) % n;
        if (j == w->index)
            j = (j + 1) % n;
        if (gr_sim_take_from(w, s->workers[j]))
            return true;
    }
    return false;
}

static bool
gr_sim_own_pending(struct gr_sim_worker *w)
{
    uint64_t b = atomic_load_explicit(&w->board, memory_order_relaxed);
    return GR_SIM_B_NEXT(b) < GR_SIM_B_LEN(b);
}

/* One step of helping: serve another worker's request, or one of our own
 * that the others left for longer than the patience. False if idle. */
static bool
gr_sim_help(struct gr_sim_worker *w)
{
    if (gr_sim_take_others(w))
        return true;
    if (gr_sim_own_pending(w) &&
        (w->sim->nworkers == 1 || gr_clock_now_ns() - w->posted_ns > GR_SIM_OWN_PATIENCE_NS))
        return gr_sim_take_from(w, w);
    return false;
}

/* The next free slot of this worker: wait (helping) until every taker of
 * its previous burst is done with it. NULL on stop. */
static struct gr_sim_slot *
gr_sim_free_slot(struct gr_sim_worker *w)
{
    struct gr_sim_slot *slot = &w->slots[w->next_slot];
    while (atomic_load_explicit(&slot->done, memory_order_acquire) != slot->len) {
        if (gr_sim_stopping(w->sim))
            return NULL;
        if (!gr_sim_take_others(w) && !gr_sim_take_from(w, w))
            sched_yield();
    }
    return slot;
}

/* Post a filled slot on this worker's entry (exhausted, so no taker can
 * change it: a store-release is enough) and serve its request 0. */
static void
gr_sim_post(struct gr_sim_worker *w, unsigned slot_index)
{
    uint64_t b = atomic_load_explicit(&w->board, memory_order_relaxed);
    unsigned len = w->slots[slot_index].len;
    atomic_store_explicit(&w->board, GR_SIM_B_MAKE(GR_SIM_B_GEN(b) + 1, slot_index, 0, len),
                          memory_order_release);
    w->posted_ns = gr_clock_now_ns();
    gr_sim_take_from(w, w);
}

/* Help until the stream's next event is due (paced runs). */
static void
gr_sim_wait_until(struct gr_sim_worker *w, uint64_t at_ns)
{
    for (;;) {
        uint64_t now = gr_clock_now_ns() - w->start_ns;
        if (now >= at_ns || gr_sim_stopping(w->sim))
            return;
        if (gr_sim_help(w))
            continue;
        uint64_t left = at_ns - now;
        gr_sim_sleep_ns(left < GR_SIM_POLL_NS ? left : GR_SIM_POLL_NS);
    }
}

static void *
gr_sim_worker_main(void *arg)
{
    struct gr_sim_worker *w = arg;
    struct gr_sim *s = w->sim;
    gr_request burst[GR_PROFILE_BURST_MAX];
    while (!gr_sim_stopping(s)) {
        if (gr_sim_help(w))
            continue;
        if (gr_sim_own_pending(w)) {
            sched_yield(); /* give the others a chance at our burst */
            continue;
        }
        size_t n = gr_traffic_next_burst(w->traffic, burst, GR_PROFILE_BURST_MAX);
        if (n == 1 || !burst[0].parallel) {
            for (size_t i = 0; i < n && !gr_sim_stopping(s); i++) {
                if (burst[i].at_ns)
                    gr_sim_wait_until(w, burst[i].at_ns);
                if (gr_sim_claim(s))
                    gr_sim_serve(w, &burst[i]);
            }
            continue;
        }
        if (burst[0].at_ns)
            gr_sim_wait_until(w, burst[0].at_ns);
        unsigned k = w->next_slot;
        struct gr_sim_slot *slot = gr_sim_free_slot(w);
        if (!slot)
            break;
        memcpy(slot->req, burst, n * sizeof burst[0]);
        slot->len = (unsigned)n;
        atomic_store_explicit(&slot->done, 0, memory_order_relaxed);
        w->next_slot = (w->next_slot + 1) % GR_SIM_SLOTS;
        gr_sim_post(w, k);
    }
    return NULL;
}

/* ---- setup and the main loop ------------------------------------------- */

static int
gr_sim_from_traffic_error(int rc)
{
    return rc == GR_TRAFFIC_ENOENT    ? GR_SIM_ENOENT
           : rc == GR_TRAFFIC_EFORMAT ? GR_SIM_EFORMAT
           : rc == GR_TRAFFIC_ENOMEM  ? GR_SIM_ESYS
                                      : GR_SIM_EARG;
}

static int
gr_sim_from_geodb_error(int rc)
{
    return rc == GR_GEODB_ENOENT    ? GR_SIM_ENOENT
           : rc == GR_GEODB_EFORMAT ? GR_SIM_EFORMAT
           : rc == GR_GEODB_ENOMEM  ? GR_SIM_ESYS
                                    : GR_SIM_EARG;
}

/* The backend of the database selection. */
static int
gr_sim_open_backend(const gr_sim_config *cfg, const char *const *csvs, size_t ncsv, gr_geodb **db,
                    char *err, size_t errcap)
{
    char msg[512] = "";
    int rc;
    if (cfg->backend == GR_GEODB_MMDB && cfg->mmdb_path) {
        rc = gr_geodb_open_mmdb(cfg->mmdb_path, db, msg, sizeof msg);
    } else if (cfg->backend != GR_GEODB_MMDB && ncsv) {
        rc = gr_geodb_open_scan(cfg->backend, csvs, ncsv, db, msg, sizeof msg);
    } else {
        if ((cfg->mmdb_path && cfg->backend != GR_GEODB_MMDB) ||
            (ncsv && cfg->backend == GR_GEODB_MMDB))
            fprintf(stderr,
                    "sim: note: the %s backend uses the embedded database; the %s given "
                    "is not used\n",
                    cfg->backend == GR_GEODB_MMDB ? "mmdb" : "scan",
                    cfg->mmdb_path ? "MMDB file" : "CSV file");
        rc = gr_defaultdb_open(cfg->backend, db, msg, sizeof msg);
    }
    if (rc) {
        gr_errf(err, errcap, "cannot open database: %s", msg[0] ? msg : gr_geodb_strerror(rc));
        return gr_sim_from_geodb_error(rc);
    }
    return GR_SIM_OK;
}

/* The address pool of the same selection: the MMDB's networks, the CSV's
 * ranges, or the embedded database's. */
static int
gr_sim_build_pool(const gr_sim_config *cfg, const char *const *csvs, size_t ncsv,
                  gr_addrpool **pool, char *err, size_t errcap)
{
    char msg[512] = "";
    int rc;
    if (cfg->backend == GR_GEODB_MMDB && cfg->mmdb_path) {
        rc = gr_addrpool_from_mmdb(cfg->mmdb_path, pool, msg, sizeof msg);
        if (rc == GR_TRAFFIC_OK)
            return GR_SIM_OK;
        fprintf(stderr,
                "sim: note: cannot draw addresses from %s (%s); drawing from the embedded "
                "database instead, so answers for addresses it does not share will mismatch\n",
                cfg->mmdb_path, msg);
        rc = gr_addrpool_default(pool, msg, sizeof msg);
    } else if (cfg->backend != GR_GEODB_MMDB && ncsv) {
        rc = gr_addrpool_from_csv_file(csvs[0], pool, msg, sizeof msg);
        for (size_t i = 1; rc == GR_TRAFFIC_OK && i < ncsv; i++)
            rc = gr_addrpool_add_csv_file(*pool, csvs[i], msg, sizeof msg);
    } else {
        rc = gr_addrpool_default(pool, msg, sizeof msg);
    }
    if (rc) {
        gr_addrpool_free(*pool);
        *pool = NULL;
        gr_errf(err, errcap, "%s", msg);
        return gr_sim_from_traffic_error(rc);
    }
    return GR_SIM_OK;
}

static void
gr_sim_sum(struct gr_sim *s, gr_sim_result *r)
{
    uint64_t *dst[] = {
        &r->requests, &r->hits,    &r->misses,     &r->zones,    &r->unknown,
        &r->blocked,  &r->allowed, &r->mismatches, &r->bypasses, &r->requester_mismatches,
        &r->errors,   &r->shared};
    for (size_t k = 0; k < sizeof dst / sizeof dst[0]; k++)
        *dst[k] = 0;
    for (unsigned i = 0; i < s->nworkers; i++) {
        struct gr_sim_counters *c = &s->workers[i]->c;
        _Atomic uint64_t *src[] = {
            &c->requests, &c->hits,    &c->misses,     &c->zones,    &c->unknown,
            &c->blocked,  &c->allowed, &c->mismatches, &c->bypasses, &c->requester_mismatches,
            &c->errors,   &c->shared};
        for (size_t k = 0; k < sizeof dst / sizeof dst[0]; k++)
            *dst[k] += atomic_load_explicit(src[k], memory_order_relaxed);
    }
}

static int
gr_sim_check_config(const gr_sim_config *cfg, char *err, size_t errcap)
{
    if (!cfg->variant || !gr_cache_variant_exists(cfg->variant)) {
        gr_errf(err, errcap, "unknown cache variant '%s'", cfg->variant ? cfg->variant : "");
        return GR_SIM_EARG;
    }
    if (cfg->threads < 1 || cfg->threads > GR_SIM_MAX_THREADS) {
        gr_errf(err, errcap, "threads must be between 1 and %d", GR_SIM_MAX_THREADS);
        return GR_SIM_EARG;
    }
    if (cfg->duration_ns == 0 && cfg->max_requests == 0) {
        gr_errf(err, errcap, "give a duration or a request count");
        return GR_SIM_EARG;
    }
    if (cfg->block && cfg->allow) {
        gr_errf(err, errcap, "a block-list and an allow-list exclude each other");
        return GR_SIM_EARG;
    }
    return GR_SIM_OK;
}

int
gr_sim_run(const gr_sim_config *cfg, gr_sim_result *out, char *err, size_t errcap)
{
    if (!cfg || !out)
        return GR_SIM_EARG;
    memset(out, 0, sizeof *out);
    int rc = gr_sim_check_config(cfg, err, errcap);
    if (rc)
        return rc;
    gr_profile profile;
    char msg[512] = "";
    rc = gr_profile_load(cfg->profile ? cfg->profile : "zoraxy-home", &profile, msg, sizeof msg);
    if (rc) {
        gr_errf(err, errcap, "%s", msg);
        return gr_sim_from_traffic_error(rc);
    }
    struct gr_sim s;
    memset(&s, 0, sizeof s);
    s.cfg = cfg;
    atomic_init(&s.stop, false);
    atomic_init(&s.issued, 0);
    atomic_init(&s.printed, 0);
    if (gr_access_parse(&s.access, cfg->allow ? GR_ACCESS_ALLOW : GR_ACCESS_BLOCK,
                        cfg->allow ? cfg->allow : cfg->block, msg, sizeof msg)) {
        gr_errf(err, errcap, "%s", msg);
        return GR_SIM_EARG;
    }
    /* Requests come from a trusted front proxy on loopback, which sets
     * X-Forwarded-For: the requester address is the header's. */
    gr_cidr_parse("127.0.0.0/8", strlen("127.0.0.0/8"), &s.trusted);
    s.policy = (gr_req_policy){GR_REQ_TRUST_LIST, &s.trusted, 1, GR_REQ_MODE_REALIP, NULL};
    gr_ip_from_v4(0x7f000001u, &s.peer);
    s.rules = (gr_decide_rules){&s.policy, NULL, &s.access, false}; /* resolver set below */

    gr_geodb *db = NULL;
    gr_addrpool *pool = NULL; /* owned: built here */
    const char *const *csvs = cfg->n_csv ? cfg->csv_paths : &cfg->csv_path;
    size_t ncsv = cfg->n_csv ? cfg->n_csv : (cfg->csv_path ? 1 : 0);
    rc = gr_sim_open_backend(cfg, csvs, ncsv, &db, err, errcap);
    if (rc)
        return rc;
    if (!cfg->pool) {
        rc = gr_sim_build_pool(cfg, csvs, ncsv, &pool, err, errcap);
        if (rc) {
            gr_geodb_close(db);
            return rc;
        }
    }
    const gr_addrpool *draw_pool = cfg->pool ? cfg->pool : pool;
    rc = gr_cache_create(cfg->variant, &cfg->cache, &s.cache);
    if (rc) {
        gr_errf(err, errcap, "cannot create cache '%s': %s", cfg->variant, gr_cache_strerror(rc));
        rc = rc == GR_CACHE_ENOMEM ? GR_SIM_ESYS : GR_SIM_EARG;
        goto out_db;
    }
    gr_cache *wrapped;
    if (cfg->wrap_cache && cfg->wrap_cache(cfg->wrap_ctx, s.cache, &wrapped)) {
        gr_errf(err, errcap, "cannot wrap the cache");
        rc = GR_SIM_ESYS;
        goto out_cache;
    }
    if (cfg->wrap_cache)
        s.cache = wrapped;
    gr_resolver_config rcfg = {db, s.cache, cfg->clear_interval_ns, cfg->miss_cost_ns};
    if (gr_resolver_create(&rcfg, &s.resolver) != 0) {
        gr_errf(err, errcap, "cannot create the resolver");
        rc = GR_SIM_ESYS;
        goto out_cache;
    }
    s.rules.resolver = s.resolver;
    double rate = cfg->rate < 0 ? profile.rate : cfg->rate;
    s.nworkers = cfg->threads;
    s.workers = calloc(s.nworkers, sizeof *s.workers);
    rc = s.workers ? GR_SIM_OK : GR_SIM_ESYS;
    for (unsigned i = 0; rc == GR_SIM_OK && i < s.nworkers; i++) {
        struct gr_sim_worker *w = calloc(1, sizeof *w);
        if (!w) {
            rc = GR_SIM_ESYS;
            break;
        }
        s.workers[i] = w;
        w->sim = &s;
        w->index = i;
        atomic_init(&w->board, 0);
        for (int k = 0; k < GR_SIM_SLOTS; k++)
            atomic_init(&w->slots[k].done, 0);
        if (gr_traffic_create(&profile, draw_pool, cfg->seed, i, rate / s.nworkers, &w->traffic))
            rc = GR_SIM_ESYS;
    }
    if (rc) {
        gr_errf(err, errcap, "out of memory");
        goto out_workers;
    }
    if (gr_resolver_start(s.resolver) != 0) {
        gr_errf(err, errcap, "cannot start the cache clear ticker");
        rc = GR_SIM_ESYS;
        goto out_workers;
    }

    uint64_t start = gr_clock_now_ns();
    if (cfg->progress && cfg->progress_interval_ns && cfg->progress_start) {
        gr_sim_progress p0;
        memset(&p0, 0, sizeof p0);
        p0.rss_kb = gr_sim_rss_kb();
        cfg->progress(&p0, cfg->progress_ctx);
    }
    unsigned started = 0;
    for (; started < s.nworkers; started++) {
        s.workers[started]->start_ns = start;
        if (pthread_create(&s.workers[started]->thread, NULL, gr_sim_worker_main,
                           s.workers[started]) != 0)
            break;
    }
    if (started < s.nworkers) {
        atomic_store_explicit(&s.stop, true, memory_order_relaxed);
        gr_errf(err, errcap, "cannot start worker thread %u", started);
        rc = GR_SIM_ESYS;
    }
    uint64_t next_progress = cfg->progress_interval_ns;
    size_t len_max = 0, rss_max = gr_sim_rss_kb();
    /* A buggy variant's length is a plain read that races with its writers;
     * sampling it would add a race of our own to the one under test, so it
     * is read only after the workers are joined. */
    bool sample_len = !gr_cache_variant_is_buggy(cfg->variant);
    while (!gr_sim_stopping(&s)) {
        uint64_t now = gr_clock_now_ns() - start;
        if (cfg->duration_ns && now >= cfg->duration_ns)
            break;
        size_t len = sample_len ? gr_cache_len(s.cache) : 0, rss = gr_sim_rss_kb();
        len_max = len > len_max ? len : len_max;
        rss_max = rss > rss_max ? rss : rss_max;
        if (cfg->progress && cfg->progress_interval_ns && now >= next_progress) {
            gr_sim_result sum;
            gr_sim_sum(&s, &sum);
            gr_resolver_stats st;
            gr_resolver_stats_get(s.resolver, &st);
            gr_sim_progress p = {now,        sum.requests, sum.hits, sum.misses, sum.mismatches,
                                 sum.errors, st.clears,    len,      rss,        0};
            cfg->progress(&p, cfg->progress_ctx);
            next_progress += cfg->progress_interval_ns;
            if (next_progress <= now)
                next_progress = now + cfg->progress_interval_ns;
        }
        uint64_t nap = GR_SIM_SAMPLE_NS;
        if (cfg->duration_ns && cfg->duration_ns - now < nap)
            nap = cfg->duration_ns - now;
        gr_sim_sleep_ns(nap);
    }
    atomic_store_explicit(&s.stop, true, memory_order_relaxed);
    for (unsigned i = 0; i < started; i++)
        pthread_join(s.workers[i]->thread, NULL);
    out->elapsed_ns = gr_clock_now_ns() - start;
    gr_sim_sum(&s, out);
    gr_resolver_stats st;
    gr_resolver_stats_get(s.resolver, &st);
    out->clears = st.clears;
    size_t len = gr_cache_len(s.cache), rss = gr_sim_rss_kb();
    out->cache_len_max = len > len_max ? len : len_max;
    out->rss_max_kb = rss > rss_max ? rss : rss_max;
    out->req_per_s = out->elapsed_ns ? out->requests * 1e9 / (double)out->elapsed_ns : 0;

out_workers:
    gr_resolver_destroy(s.resolver);
    for (unsigned i = 0; s.workers && i < s.nworkers; i++) {
        if (s.workers[i])
            gr_traffic_free(s.workers[i]->traffic);
        free(s.workers[i]);
    }
    free(s.workers);
out_cache:
    gr_cache_destroy(s.cache);
out_db:
    gr_geodb_close(db);
    gr_addrpool_free(pool);
    return rc;
}
