/*
 * loadgen.c - the checking HTTP load generator (see loadgen.h).
 *
 * Threads: each load thread owns an event loop, its connections, its traffic
 * stream, its latency histogram and its counters; nothing on the request
 * path is shared between threads except
 *   - the learned access decisions (one atomic byte per country/zone, set
 *     once by compare-exchange; relaxed is enough: a byte is only compared
 *     with itself, it publishes no other data),
 *   - the stop flag and the death time (atomics; the controlling thread
 *     polls them, relaxed, because they carry no data either),
 *   - the mismatch examples (a mutex: rare),
 *   - the progress counters, single writer (relaxed load + store) and read
 *     by the controlling thread with relaxed loads.
 * Histograms and error counts are plain; the controlling thread reads them
 * only after pthread_join, which orders them.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "georace/clock.h"
#include "evloop.h"
#include "georace/access.h"
#include "georace/defaultdb.h"
#include "georace/histogram.h"
#include "georace/loadgen.h"
#include "georace/netaddr.h"
#include "georace/traffic.h"
#include "georace/zone.h"

#define GR_LOAD_KEYS (26 * 26 + GR_ZONE_COUNT + 1)
#define GR_LOAD_BACKLOG_MAX (1u << 20)

enum { GR_LOAD_SEEN_NONE = 0, GR_LOAD_SEEN_ALLOWED = 1, GR_LOAD_SEEN_BLOCKED = 2 };

struct gr_lt;

/* what the target must answer for one client address */
struct gr_load_truth {
    gr_answer answer;
    char geo[24];
    unsigned key;
};

struct gr_lslot {
    struct gr_lt *t;
    struct evhttp_connection *evcon;
    gr_request req;
    uint64_t intended_ns;
    int error;   /* evhttp_request_error, -1 none */
    bool worked; /* answered since the last (re)connect */
    int nodelay_fd;
    unsigned index;
};

struct gr_lpending {
    gr_request req;
    uint64_t intended_ns;
};

struct gr_load;

struct gr_lt {
    struct gr_load *L;
    unsigned index;
    struct event_base *base;
    pthread_t thread;
    bool started;
    struct gr_lslot *slots;
    unsigned n_slots;
    unsigned *idle;
    unsigned n_idle;
    gr_traffic *traffic;
    gr_request next;
    bool have_next;
    struct gr_lpending *q;
    size_t q_head, q_len, q_cap;
    struct event *tick, *house, *grace, *stop_ev;
    bool stopping;
    unsigned in_flight;
    gr_hist hist;
    /* ground truth of the last address checked: a page view's burst repeats
     * one address, so most checks reuse one database lookup */
    gr_ip truth_ip;
    int truth_rc; /* gr_load_expect's result for truth_ip; 1 = none yet */
    struct gr_load_truth truth;
    atomic_uint_fast64_t p_requests, p_errors, p_mismatches; /* progress, single writer */
    uint64_t sent, allowed, blocked, unsent, errors[GR_LOAD_ERR_COUNT];
    uint64_t country_mm, status_mm, mismatches;
};

struct gr_load {
    const gr_load_config *cfg;
    double rate;
    gr_profile profile;
    gr_addrpool *pool;
    gr_geodb *truth;
    gr_access rule;
    bool have_rule;
    atomic_uchar learned[GR_LOAD_KEYS];
    char host[128], path[1024], hosthdr[160];
    uint16_t port;
    gr_net_addr addr;
    uint64_t start_ns;
    atomic_bool stop;
    atomic_uint_fast64_t died_at_ns; /* 0 = alive; else ns since start + 1 */
    atomic_bool ever_answered;
    atomic_uint finished;
    pthread_mutex_t ex_lock;
    gr_load_mismatch examples[GR_LOAD_EXAMPLES];
    unsigned n_examples;
    struct gr_lt *t;
    unsigned n_threads;
};

static const char *const gr_load_error_names[GR_LOAD_ERR_COUNT] = {
    "connect", "timeout", "reset", "status_5xx", "status_other", "no_geo_header"};

const char *
gr_load_error_name(gr_load_error e)
{
    return (unsigned)e < GR_LOAD_ERR_COUNT ? gr_load_error_names[e] : "?";
}

void
gr_load_config_default(gr_load_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->target = "http://127.0.0.1:8080/";
    cfg->profile = "zoraxy-home";
    cfg->connections = 16;
    cfg->duration_ns = 10ull * 1000000000u;
    cfg->timeout_ns = 10ull * 1000000000u;
}

static void
gr_load_bump(atomic_uint_fast64_t *c)
{
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + 1,
                          memory_order_relaxed);
}

/* ---- ground truth --------------------------------------------------------- */

static int
gr_load_expect(struct gr_load *L, const gr_ip *ip, struct gr_load_truth *t)
{
    memset(t, 0, sizeof *t);
    gr_zone z = gr_zone_of(ip);
    if (z != GR_ZONE_NONE) {
        t->answer.kind = GR_ANSWER_ZONE;
        t->answer.zone = z;
        snprintf(t->geo, sizeof t->geo, "%s", gr_zone_name(z));
        t->key = 26 * 26 + (unsigned)z;
        return 0;
    }
    gr_country cc;
    int rc = gr_geodb_lookup(L->truth, ip, &cc);
    if (rc < 0)
        return -1;
    if (rc == 0) {
        t->answer.kind = GR_ANSWER_UNKNOWN;
        strcpy(t->geo, "-");
        t->key = 26 * 26 + GR_ZONE_COUNT;
        return 0;
    }
    t->answer.kind = GR_ANSWER_COUNTRY;
    t->answer.country = cc;
    gr_country_str(cc, t->geo);
    t->key = (unsigned)((t->geo[0] - 'A') * 26 + (t->geo[1] - 'A')) % (26 * 26);
    return 0;
}

static void
gr_load_example(struct gr_load *L, const gr_request *rq, const char *expected, const char *got,
                int expected_status, int status)
{
    pthread_mutex_lock(&L->ex_lock);
    if (L->n_examples < GR_LOAD_EXAMPLES) {
        gr_load_mismatch *m = &L->examples[L->n_examples++];
        gr_ip_format(&rq->client, m->client, sizeof m->client);
        snprintf(m->expected, sizeof m->expected, "%s", expected);
        snprintf(m->got, sizeof m->got, "%s", got ? got : "(none)");
        m->expected_status = expected_status;
        m->status = status;
    }
    pthread_mutex_unlock(&L->ex_lock);
}

/* Check one answered request against ground truth and count the outcome. */
static void
gr_load_check(struct gr_lt *t, struct gr_lslot *s, struct evhttp_request *ureq, int code)
{
    struct gr_load *L = t->L;
    const char *geo = evhttp_find_header(evhttp_request_get_input_headers(ureq), "X-Geo-Country");
    bool is_allowed = code >= 200 && code < 300, is_blocked = code == 403;

    if (code >= 500) {
        t->errors[GR_LOAD_ERR_5XX]++;
        return;
    }
    if (!is_allowed && !is_blocked) {
        t->errors[GR_LOAD_ERR_STATUS]++;
        return;
    }
    if (!geo) {
        t->errors[GR_LOAD_ERR_NO_GEO]++;
        return;
    }
    is_allowed ? t->allowed++ : t->blocked++;

    if (t->truth_rc == 1 || !gr_ip_equal(&t->truth_ip, &s->req.client)) {
        t->truth_ip = s->req.client;
        t->truth_rc = gr_load_expect(L, &s->req.client, &t->truth);
    }
    if (t->truth_rc)
        return; /* our own database failed: nothing to compare with */
    const struct gr_load_truth truth = t->truth;
    bool country_bad = strcmp(geo, truth.geo) != 0, status_bad = false;
    int expected_status = 0;
    if (L->have_rule) {
        expected_status = gr_access_allows(&L->rule, &truth.answer) ? 200 : 403;
        status_bad = (expected_status == 403) != is_blocked;
    } else {
        unsigned char seen = is_blocked ? GR_LOAD_SEEN_BLOCKED : GR_LOAD_SEEN_ALLOWED;
        unsigned char prev = GR_LOAD_SEEN_NONE;
        if (!atomic_compare_exchange_strong_explicit(&L->learned[truth.key], &prev, seen,
                                                     memory_order_relaxed, memory_order_relaxed))
            status_bad = prev != seen;
        if (status_bad)
            expected_status = prev == GR_LOAD_SEEN_BLOCKED ? 403 : 200;
    }
    if (country_bad || status_bad) {
        t->mismatches++;
        t->country_mm += country_bad;
        t->status_mm += status_bad;
        gr_load_bump(&t->p_mismatches);
        gr_load_example(L, &s->req, truth.geo, geo, expected_status, code);
    }
}

/* ---- liveness ---------------------------------------------------------------- */

/* Does the target refuse connections right now? A connect error alone may be
 * transient; a refused probe after the target has answered means it died. */
static bool
gr_load_target_refuses(const gr_net_addr *a)
{
    int fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    bool refused = false;
    if (fd < 0)
        return false;
    if (connect(fd, (const struct sockaddr *)&a->ss, a->len) != 0) {
        if (errno == ECONNREFUSED) {
            refused = true;
        } else if (errno == EINPROGRESS) {
            struct pollfd pfd = {fd, POLLOUT, 0};
            int soerr = 0;
            socklen_t len = sizeof soerr;
            if (poll(&pfd, 1, 200) == 1 && !getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len))
                refused = soerr == ECONNREFUSED;
        }
    }
    close(fd);
    return refused;
}

static void
gr_load_note_connect_error(struct gr_lt *t)
{
    struct gr_load *L = t->L;
    if (!atomic_load_explicit(&L->ever_answered, memory_order_relaxed))
        return;
    if (atomic_load_explicit(&L->died_at_ns, memory_order_relaxed))
        return;
    uint64_t at = gr_clock_now_ns() - L->start_ns + 1;
    if (gr_load_target_refuses(&L->addr)) {
        uint_fast64_t zero = 0;
        atomic_compare_exchange_strong_explicit(&L->died_at_ns, &zero, at, memory_order_relaxed,
                                                memory_order_relaxed);
        atomic_store_explicit(&L->stop, true, memory_order_relaxed);
    }
}

/* ---- sending ------------------------------------------------------------------ */

static void gr_load_pump(struct gr_lt *t);

static void
gr_load_on_error(enum evhttp_request_error err, void *arg)
{
    struct gr_lslot *s = arg;
    s->error = (int)err;
}

static void
gr_load_on_done(struct evhttp_request *ureq, void *arg)
{
    struct gr_lslot *s = arg;
    struct gr_lt *t = s->t;
    int code = ureq ? evhttp_request_get_response_code(ureq) : 0;
    uint64_t now = gr_clock_now_ns();

    t->in_flight--;
    if (code == 0) {
        gr_load_error kind = s->error == EVREQ_HTTP_TIMEOUT ? GR_LOAD_ERR_TIMEOUT
                             : s->worked                    ? GR_LOAD_ERR_RESET
                                                            : GR_LOAD_ERR_CONNECT;
        s->worked = false;
        t->errors[kind]++;
        gr_load_bump(&t->p_errors);
        if (kind != GR_LOAD_ERR_TIMEOUT)
            gr_load_note_connect_error(t);
    } else {
        s->worked = true;
        atomic_store_explicit(&t->L->ever_answered, true, memory_order_relaxed);
        gr_hist_record(&t->hist, now > s->intended_ns ? now - s->intended_ns : 0);
        gr_load_bump(&t->p_requests);
        gr_load_check(t, s, ureq, code);
        uint64_t errs = 0;
        for (int i = 0; i < GR_LOAD_ERR_COUNT; i++)
            errs += t->errors[i];
        if (errs != atomic_load_explicit(&t->p_errors, memory_order_relaxed))
            atomic_store_explicit(&t->p_errors, errs, memory_order_relaxed);
    }
    t->idle[t->n_idle++] = s->index;
    gr_load_pump(t);
}

static void
gr_load_send(struct gr_lt *t, const gr_request *rq, uint64_t intended)
{
    struct gr_load *L = t->L;
    struct gr_lslot *s = &t->slots[t->idle[--t->n_idle]];
    char addr[96];

    s->req = *rq;
    s->intended_ns = intended;
    s->error = -1;
    t->in_flight++;
    t->sent++;
    struct evhttp_request *ureq = evhttp_request_new(gr_load_on_done, s);
    if (!ureq) {
        t->in_flight--;
        t->errors[GR_LOAD_ERR_CONNECT]++;
        t->idle[t->n_idle++] = s->index;
        return;
    }
    evhttp_request_set_error_cb(ureq, gr_load_on_error);
    struct evkeyvalq *h = evhttp_request_get_output_headers(ureq);
    if (L->cfg->canonical)
        gr_ip_format(&rq->client, addr, sizeof addr);
    else
        gr_request_format_client(rq, addr, sizeof addr);
    bool real_ip = L->cfg->header == GR_LOAD_REAL_IP ||
                   (L->cfg->header == GR_LOAD_MIXED && (rq->salt >> 61) == 0);
    evhttp_add_header(h, "Host", L->hosthdr);
    evhttp_add_header(h, real_ip ? "X-Real-Ip" : "X-Forwarded-For", addr);
    int rc = evhttp_make_request(s->evcon, ureq, EVHTTP_REQ_GET, L->path);
    if (rc == 0)
        gr_net_nodelay_once(bufferevent_getfd(evhttp_connection_get_bufferevent(s->evcon)),
                            &s->nodelay_fd);
    if (rc != 0 && s->error < 0 && t->in_flight > 0) {
        /* not queued and no callback ran */
        t->in_flight--;
        t->errors[GR_LOAD_ERR_CONNECT]++;
        t->idle[t->n_idle++] = s->index;
    }
}

static bool
gr_load_backlog_push(struct gr_lt *t, const gr_request *rq, uint64_t intended)
{
    if (t->q_len == t->q_cap) {
        if (t->q_cap >= GR_LOAD_BACKLOG_MAX)
            return false;
        size_t cap = t->q_cap ? t->q_cap * 2 : 1024;
        struct gr_lpending *q = malloc(cap * sizeof *q);
        if (!q)
            return false;
        for (size_t i = 0; i < t->q_len; i++)
            q[i] = t->q[(t->q_head + i) % t->q_cap];
        free(t->q);
        t->q = q;
        t->q_cap = cap;
        t->q_head = 0;
    }
    struct gr_lpending *p = &t->q[(t->q_head + t->q_len++) % t->q_cap];
    p->req = *rq;
    p->intended_ns = intended;
    return true;
}

static void
gr_load_pump(struct gr_lt *t)
{
    struct gr_load *L = t->L;
    if (t->stopping) {
        if (t->in_flight == 0)
            event_base_loopexit(t->base, NULL);
        return;
    }
    if (L->rate <= 0) {
        while (t->n_idle > 0 && !t->stopping) {
            gr_request rq;
            gr_traffic_next(t->traffic, &rq);
            gr_load_send(t, &rq, gr_clock_now_ns());
        }
        return;
    }
    uint64_t now = gr_clock_now_ns();
    for (;;) {
        if (!t->have_next) {
            gr_traffic_next(t->traffic, &t->next);
            t->have_next = true;
        }
        uint64_t due = L->start_ns + t->next.at_ns;
        if (due > now)
            break;
        if (!gr_load_backlog_push(t, &t->next, due))
            t->unsent++;
        t->have_next = false;
    }
    while (t->n_idle > 0 && t->q_len > 0) {
        struct gr_lpending p = t->q[t->q_head];
        t->q_head = (t->q_head + 1) % t->q_cap;
        t->q_len--;
        gr_load_send(t, &p.req, p.intended_ns);
    }
    if (!evtimer_pending(t->tick, NULL)) {
        uint64_t due = L->start_ns + t->next.at_ns;
        struct timeval tv = gr_clock_timeval(due > now ? due - now : 0);
        evtimer_add(t->tick, &tv);
    }
}

static void
gr_load_on_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    gr_load_pump(arg);
}

static void
gr_load_on_grace(evutil_socket_t fd, short what, void *arg)
{
    struct gr_lt *t = arg;
    (void)fd;
    (void)what;
    t->errors[GR_LOAD_ERR_TIMEOUT] += t->in_flight;
    event_base_loopbreak(t->base);
}

static void
gr_load_begin_stop(struct gr_lt *t)
{
    if (t->stopping)
        return;
    t->stopping = true;
    t->unsent += t->q_len;
    t->q_len = 0;
    evtimer_del(t->tick);
    if (t->in_flight == 0) {
        event_base_loopexit(t->base, NULL);
        return;
    }
    struct timeval tv = gr_clock_timeval(t->L->cfg->timeout_ns + 100000000u);
    evtimer_add(t->grace, &tv);
}

static void
gr_load_on_stop(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    gr_load_begin_stop(arg);
}

/* Every 20 ms: has another thread found the target dead? */
static void
gr_load_on_house(evutil_socket_t fd, short what, void *arg)
{
    struct gr_lt *t = arg;
    (void)fd;
    (void)what;
    if (atomic_load_explicit(&t->L->stop, memory_order_relaxed))
        event_base_loopbreak(t->base);
}

static void *
gr_load_thread(void *arg)
{
    struct gr_lt *t = arg;
    struct gr_load *L = t->L;
    struct timeval dur = gr_clock_timeval(L->cfg->duration_ns), house = gr_clock_timeval(20000000u);
    evtimer_add(t->stop_ev, &dur);
    event_add(t->house, &house);
    gr_load_pump(t);
    event_base_dispatch(t->base);
    atomic_fetch_add_explicit(&L->finished, 1, memory_order_release);
    return NULL;
}

/* ---- setup --------------------------------------------------------------------- */

static int
gr_load_parse_target(struct gr_load *L, const char *target, char *err, size_t errcap)
{
    struct evhttp_uri *u = evhttp_uri_parse(target);
    if (!u) {
        snprintf(err, errcap, "--target '%s' is not a URL", target);
        return -1;
    }
    const char *scheme = evhttp_uri_get_scheme(u), *host = evhttp_uri_get_host(u);
    const char *path = evhttp_uri_get_path(u), *query = evhttp_uri_get_query(u);
    int port = evhttp_uri_get_port(u);
    int rc = -1;
    if (!scheme || strcmp(scheme, "http")) {
        snprintf(err, errcap, "--target '%s': only http:// URLs", target);
    } else if (!host || !*host || strlen(host) >= sizeof L->host) {
        snprintf(err, errcap, "--target '%s': no host", target);
    } else {
        size_t hl = strlen(host);
        if (host[0] == '[' && host[hl - 1] == ']')
            snprintf(L->host, sizeof L->host, "%.*s", (int)(hl - 2), host + 1);
        else
            snprintf(L->host, sizeof L->host, "%s", host);
        L->port = (uint16_t)(port > 0 ? port : 80);
        snprintf(L->path, sizeof L->path, "%s%s%s", path && *path ? path : "/", query ? "?" : "",
                 query ? query : "");
        bool v6 = strchr(L->host, ':') != NULL;
        snprintf(L->hosthdr, sizeof L->hosthdr, v6 ? "[%s]:%u" : "%s:%u", L->host, L->port);
        rc = gr_net_parse(L->hosthdr, &L->addr, err, errcap);
        if (rc)
            snprintf(err, errcap, "--target '%s': the host must be an IP address or localhost",
                     target);
    }
    evhttp_uri_free(u);
    return rc;
}

static int
gr_load_open_data(struct gr_load *L, char *err, size_t errcap)
{
    const gr_load_config *cfg = L->cfg;
    int rc;
    if (cfg->mmdb_path) {
        rc = gr_addrpool_from_mmdb(cfg->mmdb_path, &L->pool, err, errcap);
        if (rc == 0)
            rc = gr_geodb_open_mmdb(cfg->mmdb_path, &L->truth, err, errcap);
    } else if (cfg->n_csv > 0) {
        rc = gr_addrpool_from_csv_file(cfg->csv_paths[0], &L->pool, err, errcap);
        for (size_t i = 1; rc == 0 && i < cfg->n_csv; i++) {
            FILE *f = fopen(cfg->csv_paths[i], "rb");
            char *text = NULL;
            size_t len = 0;
            if (f) {
                fseek(f, 0, SEEK_END);
                long n = ftell(f);
                fseek(f, 0, SEEK_SET);
                text = n >= 0 ? malloc((size_t)n + 1) : NULL;
                len = text ? fread(text, 1, (size_t)n, f) : 0;
                fclose(f);
            }
            rc =
                text ? gr_addrpool_add_csv(L->pool, text, len, cfg->csv_paths[i], err, errcap) : -1;
            if (!text)
                snprintf(err, errcap, "cannot read '%s'", cfg->csv_paths[i]);
            free(text);
        }
        if (rc == 0)
            rc = gr_geodb_open_scan(GR_GEODB_SCAN_BSEARCH, cfg->csv_paths, cfg->n_csv, &L->truth,
                                    err, errcap);
    } else {
        rc = gr_addrpool_default(&L->pool, err, errcap);
        const char *path = rc == 0 ? gr_defaultdb_mmdb_path(err, errcap) : NULL;
        if (rc == 0)
            rc = path ? gr_geodb_open_mmdb(path, &L->truth, err, errcap) : -1;
    }
    return rc ? -1 : 0;
}

static int
gr_load_thread_init(struct gr_lt *t, unsigned n_slots, uint64_t seed, char *err, size_t errcap)
{
    struct gr_load *L = t->L;
    t->base = gr_evloop_new(true);
    t->n_slots = n_slots;
    t->slots = calloc(n_slots, sizeof *t->slots);
    t->idle = calloc(n_slots, sizeof *t->idle);
    if (!t->base || !t->slots || !t->idle) {
        snprintf(err, errcap, "out of memory");
        return -1;
    }
    t->tick = evtimer_new(t->base, gr_load_on_tick, t);
    t->house = event_new(t->base, -1, EV_PERSIST, gr_load_on_house, t);
    t->grace = evtimer_new(t->base, gr_load_on_grace, t);
    t->stop_ev = evtimer_new(t->base, gr_load_on_stop, t);
    if (!t->tick || !t->house || !t->grace || !t->stop_ev) {
        snprintf(err, errcap, "out of memory");
        return -1;
    }
    struct timeval to = gr_clock_timeval(L->cfg->timeout_ns);
    for (unsigned i = 0; i < n_slots; i++) {
        struct gr_lslot *s = &t->slots[i];
        s->t = t;
        s->index = i;
        s->nodelay_fd = -1;
        s->evcon = evhttp_connection_base_new(t->base, NULL, L->host, L->port);
        if (!s->evcon) {
            snprintf(err, errcap, "cannot create a connection to %s", L->hosthdr);
            return -1;
        }
        evhttp_connection_set_timeout_tv(s->evcon, &to);
        t->idle[t->n_idle++] = n_slots - 1 - i;
    }
    gr_hist_init(&t->hist);
    t->truth_rc = 1;
    double rate = L->rate > 0 ? L->rate / L->n_threads : 0;
    if (gr_traffic_create(&L->profile, L->pool, seed, t->index, rate, &t->traffic)) {
        snprintf(err, errcap, "cannot create the traffic stream");
        return -1;
    }
    return 0;
}

static void
gr_load_thread_free(struct gr_lt *t)
{
    for (unsigned i = 0; t->slots && i < t->n_slots; i++)
        if (t->slots[i].evcon)
            evhttp_connection_free(t->slots[i].evcon);
    free(t->slots);
    free(t->idle);
    free(t->q);
    if (t->tick)
        event_free(t->tick);
    if (t->house)
        event_free(t->house);
    if (t->grace)
        event_free(t->grace);
    if (t->stop_ev)
        event_free(t->stop_ev);
    if (t->base)
        event_base_free(t->base);
    gr_traffic_free(t->traffic);
}

static void
gr_load_progress_tick(struct gr_load *L, uint64_t *last_req, uint64_t *last_ns)
{
    const gr_load_config *cfg = L->cfg;
    gr_load_progress p = {0};
    uint64_t now = gr_clock_now_ns();
    for (unsigned i = 0; i < L->n_threads; i++) {
        p.requests += atomic_load_explicit(&L->t[i].p_requests, memory_order_relaxed);
        p.errors += atomic_load_explicit(&L->t[i].p_errors, memory_order_relaxed);
        p.mismatches += atomic_load_explicit(&L->t[i].p_mismatches, memory_order_relaxed);
    }
    p.elapsed_s = (double)(now - L->start_ns) / 1e9;
    double dt = (double)(now - *last_ns) / 1e9;
    p.req_per_s = dt > 0 ? (double)(p.requests - *last_req) / dt : 0;
    *last_req = p.requests;
    *last_ns = now;
    cfg->progress(&p, cfg->progress_ctx);
}

static void
gr_load_collect(struct gr_load *L, gr_load_result *out)
{
    gr_hist *h = malloc(sizeof *h);
    memset(out, 0, sizeof *out);
    if (h)
        gr_hist_init(h);
    for (unsigned i = 0; i < L->n_threads; i++) {
        struct gr_lt *t = &L->t[i];
        out->sent += t->sent;
        out->allowed += t->allowed;
        out->blocked += t->blocked;
        out->unsent += t->unsent;
        out->mismatches += t->mismatches;
        out->country_mismatches += t->country_mm;
        out->status_mismatches += t->status_mm;
        for (int k = 0; k < GR_LOAD_ERR_COUNT; k++)
            out->errors[k] += t->errors[k];
        if (h)
            gr_hist_merge(h, &t->hist);
    }
    for (int k = 0; k < GR_LOAD_ERR_COUNT; k++)
        out->errors_total += out->errors[k];
    if (h) {
        out->requests = h->count;
        out->p50_ms = (double)gr_hist_quantile(h, 0.50) / 1e6;
        out->p90_ms = (double)gr_hist_quantile(h, 0.90) / 1e6;
        out->p99_ms = (double)gr_hist_quantile(h, 0.99) / 1e6;
        out->p999_ms = (double)gr_hist_quantile(h, 0.999) / 1e6;
        out->max_ms = (double)(h->count ? h->max : 0) / 1e6;
        out->mean_ms = gr_hist_mean(h) / 1e6;
        free(h);
    }
    out->n_examples = L->n_examples;
    memcpy(out->examples, L->examples, sizeof out->examples);
    uint64_t died = atomic_load_explicit(&L->died_at_ns, memory_order_relaxed);
    out->target_died = died != 0;
    out->died_after_s = died ? (double)(died - 1) / 1e9 : 0;
    out->never_answered = !atomic_load_explicit(&L->ever_answered, memory_order_relaxed);
}

/* One load thread per online CPU (at most 16): the generator's ceiling then
 * grows with the machine instead of staying at two threads. */
static unsigned
gr_load_default_threads(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 16 ? 16 : (unsigned)n;
}

int
gr_load_run(const gr_load_config *cfg, gr_load_result *out, char *err, size_t errcap)
{
    if (cfg->connections < 1 || cfg->connections > 100000 || cfg->duration_ns == 0) {
        snprintf(err, errcap, "need connections 1..100000 and a duration > 0");
        return -1;
    }
    struct gr_load *L = calloc(1, sizeof *L);
    if (!L) {
        snprintf(err, errcap, "out of memory");
        return -1;
    }
    int rc = -1;
    L->cfg = cfg;
    pthread_mutex_init(&L->ex_lock, NULL);
    /* no evthread_use_pthreads(): every event loop, connection and buffer
     * is used by its own thread only, so libevent's locks would be pure cost
     * on every event_add and buffer operation */
    if (gr_load_parse_target(L, cfg->target, err, errcap))
        goto out;
    if (gr_profile_load(cfg->profile, &L->profile, err, errcap) < 0)
        goto out;
    if (cfg->block || cfg->allow) {
        L->have_rule = true;
        if (gr_access_parse(&L->rule, cfg->allow ? GR_ACCESS_ALLOW : GR_ACCESS_BLOCK,
                            cfg->allow ? cfg->allow : cfg->block, err, errcap))
            goto out;
    }
    if (gr_load_open_data(L, err, errcap))
        goto out;
    L->rate = cfg->rate < 0 ? L->profile.rate : cfg->rate;
    L->n_threads = cfg->threads ? cfg->threads : gr_load_default_threads();
    if (L->n_threads > cfg->connections)
        L->n_threads = cfg->connections;
    L->t = calloc(L->n_threads, sizeof *L->t);
    if (!L->t) {
        snprintf(err, errcap, "out of memory");
        goto out;
    }
    uint64_t seed = cfg->seed_set ? cfg->seed : L->profile.seed;
    for (unsigned i = 0; i < L->n_threads; i++) {
        unsigned n = cfg->connections / L->n_threads + (i < cfg->connections % L->n_threads);
        L->t[i].L = L;
        L->t[i].index = i;
        if (gr_load_thread_init(&L->t[i], n, seed, err, errcap))
            goto out;
    }

    L->start_ns = gr_clock_now_ns();
    for (unsigned i = 0; i < L->n_threads; i++) {
        if (pthread_create(&L->t[i].thread, NULL, gr_load_thread, &L->t[i])) {
            snprintf(err, errcap, "cannot start load threads");
            atomic_store(&L->stop, true);
            break;
        }
        L->t[i].started = true;
    }
    uint64_t last_req = 0, last_ns = L->start_ns;
    uint64_t next_progress = L->start_ns + cfg->progress_interval_ns;
    while (atomic_load_explicit(&L->finished, memory_order_acquire) < L->n_threads) {
        struct timespec ts = {0, 20000000};
        nanosleep(&ts, NULL);
        /* a target that never answers and refuses: stop early */
        if (!atomic_load_explicit(&L->ever_answered, memory_order_relaxed) &&
            gr_clock_now_ns() - L->start_ns > 2000000000u && gr_load_target_refuses(&L->addr))
            atomic_store_explicit(&L->stop, true, memory_order_relaxed);
        if (cfg->progress && cfg->progress_interval_ns && gr_clock_now_ns() >= next_progress) {
            gr_load_progress_tick(L, &last_req, &last_ns);
            next_progress += cfg->progress_interval_ns;
        }
        bool all_started = true;
        for (unsigned i = 0; i < L->n_threads; i++)
            all_started &= L->t[i].started;
        if (!all_started)
            break;
    }
    uint64_t end = gr_clock_now_ns();
    for (unsigned i = 0; i < L->n_threads; i++)
        if (L->t[i].started)
            pthread_join(L->t[i].thread, NULL);
    gr_load_collect(L, out);
    out->elapsed_s = (double)(end - L->start_ns) / 1e9;
    if (out->target_died && out->died_after_s > 0)
        out->elapsed_s = out->died_after_s;
    out->req_per_s = out->elapsed_s > 0 ? (double)out->requests / out->elapsed_s : 0;
    rc = 0;
out:
    for (unsigned i = 0; L->t && i < L->n_threads; i++)
        gr_load_thread_free(&L->t[i]);
    free(L->t);
    gr_geodb_close(L->truth);
    gr_addrpool_free(L->pool);
    pthread_mutex_destroy(&L->ex_lock);
    free(L);
    return rc;
}
