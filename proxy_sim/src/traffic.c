/*
 * traffic.c - seeded request streams drawn from a profile and an address
 * pool (see traffic.h for the model).
 *
 * Randomness: each stream runs its own xoshiro256** generator, seeded by
 * splitmix64 from (seed, stream index), so streams are independent and
 * reproducible. Visitor k of the population gets its address from a hash
 * of (seed, k) alone, so every stream of a run shares one population.
 *
 * Zipf ranks are drawn by rejection-inversion (W. Hormann and G. Derflinger,
 * "Rejection-inversion to generate variates from monotone discrete
 * distributions", 1996): O(1) per draw for any population size, using the
 * integral H of x^-s and its inverse, written with log1p/expm1 so s = 1
 * needs no special case. Burst sizes are 1 + Poisson(mean - 1), capped.
 * Event times are a Poisson process: exponential gaps at the stream's event
 * rate (requests/s divided by the mean requests per event).
 *
 * A stream is owned by one thread; it has no shared state.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "georace/rng.h"
#include "georace/traffic.h"

struct gr_traffic {
    gr_profile p;
    const gr_addrpool *pool;
    uint64_t seed;
    uint32_t stream;
    uint64_t s[4];
    double event_gap_ns; /* mean gap between events; 0 = flat out */
    double t_ns;
    uint64_t events;
    bool has_v4, has_v6;
    size_t spray_range;
    /* Zipf rejection-inversion constants */
    double z_hx1, z_hn, z_c;
    gr_request buf[GR_PROFILE_BURST_MAX];
    size_t len, pos;
};

/* ---- random numbers ---------------------------------------------------- */

static uint64_t
gr_traffic_hash(uint64_t a, uint64_t b)
{
    uint64_t x = a ^ (b * 0xd6e8feb86659fd93ull);
    gr_rng_splitmix64(&x);
    return gr_rng_splitmix64(&x);
}

/* Uniform in [0, 1). */
static double
gr_traffic_unit(uint64_t r)
{
    return (double)(r >> 11) * 0x1.0p-53;
}

/* ---- Zipf by rejection-inversion --------------------------------------- */

static double
gr_traffic_log1p_ratio(double x) /* log1p(x)/x, 1 at 0 */
{
    return fabs(x) > 1e-8 ? log1p(x) / x : 1 - x / 2;
}

static double
gr_traffic_expm1_ratio(double x) /* expm1(x)/x, 1 at 0 */
{
    return fabs(x) > 1e-8 ? expm1(x) / x : 1 + x / 2;
}

/* H(x) = integral of t^-s: (x^(1-s) - 1)/(1-s), or log x when s = 1. */
static double
gr_traffic_zipf_H(double s, double x)
{
    double lx = log(x);
    return gr_traffic_expm1_ratio((1 - s) * lx) * lx;
}

static double
gr_traffic_zipf_Hinv(double s, double y)
{
    double t = y * (1 - s);
    if (t < -1)
        t = -1;
    return exp(gr_traffic_log1p_ratio(t) * y);
}

static void
gr_traffic_zipf_init(gr_traffic *t)
{
    double s = t->p.zipf_s, n = (double)t->p.population;
    t->z_hx1 = gr_traffic_zipf_H(s, 1.5) - 1;
    t->z_hn = gr_traffic_zipf_H(s, n + 0.5);
    t->z_c = 2 - gr_traffic_zipf_Hinv(s, gr_traffic_zipf_H(s, 2.5) - pow(2, -s));
}

/* A rank in 1..population, P(k) proportional to k^-s. */
static uint64_t
gr_traffic_zipf(gr_traffic *t)
{
    double s = t->p.zipf_s;
    uint64_t n = t->p.population;
    for (;;) {
        double u = t->z_hn + gr_traffic_unit(gr_rng_xoshiro_next(t->s)) * (t->z_hx1 - t->z_hn);
        double x = gr_traffic_zipf_Hinv(s, u);
        double kd = floor(x + 0.5);
        if (kd < 1)
            kd = 1;
        if (kd > (double)n)
            kd = (double)n;
        if (kd - x <= t->z_c || u >= gr_traffic_zipf_H(s, kd + 0.5) - pow(kd, -s))
            return (uint64_t)kd;
    }
}

/* ---- draws ------------------------------------------------------------- */

static unsigned
gr_traffic_burst_size(gr_traffic *t)
{
    double lambda = t->p.burst_mean - 1;
    unsigned k = 0;
    if (lambda > 0) {
        double limit = exp(-lambda), prod = gr_traffic_unit(gr_rng_xoshiro_next(t->s));
        while (prod > limit) {
            k++;
            prod *= gr_traffic_unit(gr_rng_xoshiro_next(t->s));
        }
    }
    unsigned n = 1 + k;
    return n > t->p.burst_max ? t->p.burst_max : n;
}

static bool
gr_traffic_pick_v6(const gr_traffic *t, uint64_t r)
{
    if (!t->has_v6)
        return false;
    if (!t->has_v4)
        return true;
    return gr_traffic_unit(r) < t->p.ipv6_share;
}

/* Sets client/truth/zone of req from a public draw. */
static void
gr_traffic_public(const gr_traffic *t, bool v6, uint64_t r1, uint64_t r2, gr_request *req)
{
    gr_addrpool_draw(t->pool, v6, r1, r2, &req->client, &req->truth);
    req->zone = gr_zone_of(&req->client);
    if (req->zone != GR_ZONE_NONE)
        req->truth = GR_COUNTRY_NONE; /* a pool made of reserved space only */
}

struct gr_traffic_reserved {
    uint8_t net[16];
    unsigned prefix; /* in the 16-byte space */
    gr_zone zone;
    unsigned weight;
};

#define GR_TRAFFIC_V4NET(a, b, c, d)                                                               \
    {                                                                                              \
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, a, b, c, d                                       \
    }

/* Where reserved traffic comes from: mostly the home LAN. */
static const struct gr_traffic_reserved gr_traffic_reserved_blocks[] = {
    {GR_TRAFFIC_V4NET(192, 168, 0, 0), 96 + 16, GR_ZONE_PRIVATE, 40},
    {GR_TRAFFIC_V4NET(10, 0, 0, 0), 96 + 8, GR_ZONE_PRIVATE, 20},
    {GR_TRAFFIC_V4NET(172, 16, 0, 0), 96 + 12, GR_ZONE_PRIVATE, 10},
    {GR_TRAFFIC_V4NET(127, 0, 0, 0), 96 + 8, GR_ZONE_LOOPBACK, 8},
    {GR_TRAFFIC_V4NET(100, 64, 0, 0), 96 + 10, GR_ZONE_CARRIER_NAT, 5},
    {GR_TRAFFIC_V4NET(169, 254, 0, 0), 96 + 16, GR_ZONE_LINK_LOCAL, 3},
    {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 128, GR_ZONE_LOOPBACK, 4},
    {{0xfc}, 7, GR_ZONE_UNIQUE_LOCAL, 7},
    {{0xfe, 0x80}, 10, GR_ZONE_LINK_LOCAL, 3},
};

#define GR_TRAFFIC_NRESERVED                                                                       \
    (sizeof gr_traffic_reserved_blocks / sizeof gr_traffic_reserved_blocks[0])

static void
gr_traffic_reserved_draw(uint64_t r1, uint64_t r2, gr_request *req)
{
    unsigned total = 0;
    for (size_t i = 0; i < GR_TRAFFIC_NRESERVED; i++)
        total += gr_traffic_reserved_blocks[i].weight;
    unsigned pick = (unsigned)(r1 % total);
    const struct gr_traffic_reserved *b = gr_traffic_reserved_blocks;
    while (pick >= b->weight) {
        pick -= b->weight;
        b++;
    }
    uint8_t rnd[16];
    memcpy(rnd, &r1, 8);
    memcpy(rnd + 8, &r2, 8);
    for (unsigned i = 0; i < 16; i++) {
        unsigned bits_before = i * 8;
        uint8_t host;
        if (bits_before >= b->prefix)
            host = 0xff;
        else if (bits_before + 8 <= b->prefix)
            host = 0;
        else
            host = (uint8_t)(0xff >> (b->prefix - bits_before));
        req->client.b[i] = (uint8_t)((b->net[i] & ~host) | (rnd[i] & host));
    }
    req->zone = b->zone;
    req->truth = GR_COUNTRY_NONE;
}

/* ---- streams ----------------------------------------------------------- */

int
gr_traffic_create(const gr_profile *p, const gr_addrpool *pool, uint64_t seed,
                  uint32_t stream_index, double rate, gr_traffic **out)
{
    if (!p || !pool || !out || rate < 0 || stream_index >= (1u << 23))
        return GR_TRAFFIC_EARG;
    bool v4 = gr_addrpool_count(pool, false) > 0, v6 = gr_addrpool_count(pool, true) > 0;
    if (!v4 && !v6)
        return GR_TRAFFIC_EARG;
    gr_traffic *t = calloc(1, sizeof *t);
    if (!t)
        return GR_TRAFFIC_ENOMEM;
    t->p = *p;
    if (t->p.population == 0)
        t->p.population = 1;
    if (t->p.burst_max == 0 || t->p.burst_max > GR_PROFILE_BURST_MAX)
        t->p.burst_max = GR_PROFILE_BURST_MAX;
    t->pool = pool;
    t->seed = seed;
    t->stream = stream_index;
    t->has_v4 = v4;
    t->has_v6 = v6;
    uint64_t sm = seed ^ gr_traffic_hash(0x7472616666696320ull, stream_index);
    gr_rng_xoshiro_seed(t->s, sm);
    if (rate > 0)
        t->event_gap_ns = 1e9 * gr_profile_mean_requests_per_event(&t->p) / rate;
    /* The attacker's network: one IPv6 range picked by the seed (not the stream). */
    size_t n6 = gr_addrpool_count(pool, true);
    t->spray_range = n6 ? (size_t)(gr_traffic_hash(seed, 0x7370726179ull) % n6) : 0;
    gr_traffic_zipf_init(t);
    *out = t;
    return GR_TRAFFIC_OK;
}

void
gr_traffic_free(gr_traffic *t)
{
    free(t);
}

static gr_traffic_kind
gr_traffic_pick_kind(gr_traffic *t)
{
    double u = gr_traffic_unit(gr_rng_xoshiro_next(t->s));
    const gr_profile *p = &t->p;
    if (u < p->reserved_share)
        return GR_TRAFFIC_RESERVED;
    u -= p->reserved_share;
    if (u < p->spray_share)
        return GR_TRAFFIC_SPRAY;
    u -= p->spray_share;
    if (u < p->scanner_share)
        return GR_TRAFFIC_SCANNER;
    return gr_traffic_unit(gr_rng_xoshiro_next(t->s)) < p->new_visitor_share
               ? GR_TRAFFIC_NEW_VISITOR
               : GR_TRAFFIC_VISITOR;
}

/* The spray attacker: a fresh random address inside its network (or any
 * IPv6 range when the pool has one only by accident of the seed). */
static void
gr_traffic_spray(gr_traffic *t, gr_request *req)
{
    if (!t->has_v6) {
        gr_traffic_public(t, false, gr_rng_xoshiro_next(t->s), gr_rng_xoshiro_next(t->s), req);
        return;
    }
    gr_ip start, end;
    gr_country cc;
    gr_addrpool_range(t->pool, true, t->spray_range, &start, &end, &cc);
    /* Draw inside the one range: pass r1 that selects it. The draw maps r1
     * to floor(r1 * n / 2^64), so the middle of the slot of the range is
     * a word that selects exactly it. */
    size_t n6 = gr_addrpool_count(t->pool, true);
    unsigned __int128 slot =
        ((unsigned __int128)t->spray_range << 64) + ((unsigned __int128)1 << 63);
    uint64_t r1 = (uint64_t)(slot / n6);
    gr_traffic_public(t, true, r1, gr_rng_xoshiro_next(t->s), req);
}

static void
gr_traffic_fill_event(gr_traffic *t)
{
    gr_request base;
    memset(&base, 0, sizeof base);
    base.kind = gr_traffic_pick_kind(t);
    base.burst_id = (uint64_t)t->stream << 40 | (t->events & ((1ull << 40) - 1));
    t->events++;
    if (t->event_gap_ns > 0) {
        double u = gr_traffic_unit(gr_rng_xoshiro_next(t->s));
        t->t_ns += -log1p(-u) * t->event_gap_ns;
    }
    base.at_ns = (uint64_t)t->t_ns;
    unsigned n = 1;
    switch (base.kind) {
    case GR_TRAFFIC_RESERVED:
        gr_traffic_reserved_draw(gr_rng_xoshiro_next(t->s), gr_rng_xoshiro_next(t->s), &base);
        base.new_address = false;
        break;
    case GR_TRAFFIC_SPRAY:
        gr_traffic_spray(t, &base);
        base.new_address = true;
        break;
    case GR_TRAFFIC_SCANNER:
    case GR_TRAFFIC_NEW_VISITOR: {
        bool v6 = gr_traffic_pick_v6(t, gr_rng_xoshiro_next(t->s));
        gr_traffic_public(t, v6, gr_rng_xoshiro_next(t->s), gr_rng_xoshiro_next(t->s), &base);
        base.new_address = true;
        if (base.kind == GR_TRAFFIC_NEW_VISITOR)
            n = gr_traffic_burst_size(t);
        break;
    }
    case GR_TRAFFIC_VISITOR:
    default: {
        uint64_t k = gr_traffic_zipf(t);
        uint64_t h = gr_traffic_hash(t->seed ^ 0x76697369746f72ull, k);
        uint64_t h2 = gr_traffic_hash(h, 1), h3 = gr_traffic_hash(h, 2);
        gr_traffic_public(t, gr_traffic_pick_v6(t, h), h2, h3, &base);
        base.new_address = false;
        n = gr_traffic_burst_size(t);
        break;
    }
    }
    base.burst_len = (uint16_t)n;
    base.parallel = n > 1 && t->p.burst_parallel;
    double spread = (!t->p.burst_parallel && n > 1) ? t->p.burst_spread_ms * 1e6 / n : 0;
    for (unsigned i = 0; i < n; i++) {
        t->buf[i] = base;
        t->buf[i].burst_index = (uint16_t)i;
        t->buf[i].at_ns = base.at_ns + (uint64_t)(spread * i);
        t->buf[i].salt = gr_rng_xoshiro_next(t->s);
    }
    t->len = n;
    t->pos = 0;
}

void
gr_traffic_next(gr_traffic *t, gr_request *req)
{
    if (t->pos == t->len)
        gr_traffic_fill_event(t);
    *req = t->buf[t->pos++];
}

size_t
gr_traffic_next_burst(gr_traffic *t, gr_request *reqs, size_t cap)
{
    if (t->pos == t->len)
        gr_traffic_fill_event(t);
    size_t n = t->len - t->pos;
    if (n > cap)
        n = cap;
    memcpy(reqs, &t->buf[t->pos], n * sizeof *reqs);
    t->pos += n;
    return n;
}

const char *
gr_traffic_kind_name(gr_traffic_kind k)
{
    static const char *const names[GR_TRAFFIC_KIND_COUNT] = {
        [GR_TRAFFIC_VISITOR] = "visitor",   [GR_TRAFFIC_NEW_VISITOR] = "new-visitor",
        [GR_TRAFFIC_SCANNER] = "scanner",   [GR_TRAFFIC_SPRAY] = "spray",
        [GR_TRAFFIC_RESERVED] = "reserved",
    };
    return (unsigned)k < GR_TRAFFIC_KIND_COUNT ? names[k] : "?";
}

/* ---- header spelling ---------------------------------------------------- */

size_t
gr_request_format_client(const gr_request *req, char *buf, size_t cap)
{
    char canon[GR_IP_STRLEN];
    gr_ip_format(&req->client, canon, sizeof canon);
    unsigned pick = (unsigned)(req->salt >> 56) & 7;
    unsigned port = 1024 + (unsigned)((req->salt >> 8) % 60000);
    int n;
    if (gr_ip_is_v4(&req->client)) {
        n = pick == 0 ? snprintf(buf, cap, "%s:%u", canon, port) : snprintf(buf, cap, "%s", canon);
    } else if (pick <= 1) {
        /* every group, four upper-case digits: "2001:0DB8:0000:..." */
        const uint8_t *b = req->client.b;
        n = snprintf(buf, cap,
                     "%02X%02X:%02X%02X:%02X%02X:%02X%02X:%02X%02X:%02X%02X:%02X%02X:%02X%02X",
                     b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11],
                     b[12], b[13], b[14], b[15]);
    } else if (pick == 2) {
        n = snprintf(buf, cap, "[%s]:%u", canon, port);
    } else {
        n = snprintf(buf, cap, "%s", canon);
    }
    if (n < 0)
        return 0;
    return (size_t)n < cap ? (size_t)n : (cap ? cap - 1 : 0);
}
