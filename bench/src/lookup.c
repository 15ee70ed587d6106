/*
 * lookup.c - 'bench lookup': nanoseconds per geo lookup for each backend
 * and for a cache hit, over one fixed, seeded sample (bench_lookup.h).
 *
 * The sample holds public addresses drawn at random (fixed seed) and kept
 * only when the database has a range for them, so every backend does the
 * work of a real hit. The answers of scan-bsearch while drawing are the
 * reference every other row is checked against ("agree").
 *
 * The linear scan walks every CSV row per lookup (Zoraxy's slow mode), so it
 * runs only a prefix of the sample; every row also stops at the time cap.
 * The cache-hit row goes through the resolver with the 'mutex' variant after
 * a warm-up pass, i.e. zone check + hash + lock + probe.
 */
#include <stdlib.h>
#include <string.h>

#include "georace/bench_lookup.h"
#include "georace/cache.h"
#include "georace/clock.h"
#include "georace/resolver.h"
#include "georace/rng.h"
#include "georace/zone.h"

/* One random public address of the family that the reference database
 * knows, or false after many misses. */
static bool
gr_bench_lookup_draw(gr_geodb *ref_db, uint64_t *st, bool v6, gr_ip *ip, gr_country *c)
{
    for (int tries = 0; tries < 4000; tries++) {
        if (v6) {
            uint64_t a = gr_rng_splitmix64(st), b = gr_rng_splitmix64(st);
            memcpy(ip->b, &a, 8);
            memcpy(ip->b + 8, &b, 8);
            ip->b[0] = (uint8_t)(0x20 | (ip->b[0] & 0x0f)); /* 2000::/4: allocated space */
            ip->b[1] &= 0x0f;
        } else {
            gr_ip_from_v4((uint32_t)gr_rng_splitmix64(st), ip);
        }
        if (gr_zone_of(ip) == GR_ZONE_NONE && gr_geodb_lookup(ref_db, ip, c) == 1)
            return true;
    }
    return false;
}

/* Draw n addresses, a quarter IPv6, that the reference database knows
 * (rejection sampling: uniform over the ranges' address space); answers in
 * ref[]. */
static size_t
gr_bench_lookup_sample(gr_geodb *ref_db, uint64_t seed, gr_ip *out, gr_country *ref, size_t n,
                       size_t *n_v6)
{
    uint64_t st = seed;
    size_t got = 0;
    bool v6_ok = true;
    *n_v6 = 0;
    for (size_t i = 0; i < n; i++) {
        bool v6 = v6_ok && gr_rng_splitmix64(&st) % 4 == 0;
        if (gr_bench_lookup_draw(ref_db, &st, v6, &out[got], &ref[got])) {
            *n_v6 += v6;
            got++;
        } else if (v6) {
            v6_ok = false; /* no IPv6 ranges to speak of: IPv4 only */
            i--;
        } else {
            break;
        }
    }
    return got;
}

/* Time lookups over samples[0..n) until done or the cap; fill the row. */
static void
gr_bench_lookup_backend(gr_bench_lookup_row *row, gr_geodb *db, const gr_ip *s,
                        const gr_country *ref, size_t n, uint64_t cap_ns)
{
    uint64_t t0 = gr_clock_now_ns(), elapsed = 0;
    size_t i;
    for (i = 0; i < n; i++) {
        gr_country c = GR_COUNTRY_NONE;
        int rc = gr_geodb_lookup(db, &s[i], &c);
        row->found += rc == 1;
        row->agree += rc == 1 && c == ref[i];
        if ((i & 63) == 63 || n <= GR_BENCH_LOOKUP_LINEAR_MAX) {
            elapsed = gr_clock_now_ns() - t0;
            if (elapsed > cap_ns) {
                i++;
                break;
            }
        }
    }
    elapsed = gr_clock_now_ns() - t0;
    row->lookups = i;
    row->ns_per_lookup = i ? (double)elapsed / (double)i : 0;
    row->ran = true;
}

static void
gr_bench_lookup_cache_hit(gr_bench_lookup_row *row, gr_geodb *db, const gr_ip *s,
                          const gr_country *ref, size_t n, uint64_t cap_ns)
{
    gr_cache_config cc;
    gr_cache_config_default(&cc);
    cc.size_hint = n;
    gr_cache *cache = NULL;
    if (gr_cache_create("mutex", &cc, &cache) != GR_CACHE_OK)
        return;
    gr_resolver *r = NULL;
    gr_resolver_config rc = {.db = db, .cache = cache};
    if (gr_resolver_create(&rc, &r) != 0) {
        gr_cache_destroy(cache);
        return;
    }
    for (size_t i = 0; i < n; i++) /* warm up: every sample cached */
        gr_resolve(r, &s[i]);
    uint64_t t0 = gr_clock_now_ns();
    size_t i;
    for (i = 0; i < n; i++) {
        gr_answer a = gr_resolve(r, &s[i]);
        row->found += a.cache_hit && a.kind == GR_ANSWER_COUNTRY;
        row->agree += a.kind == GR_ANSWER_COUNTRY && a.country == ref[i];
        if ((i & 63) == 63 && gr_clock_now_ns() - t0 > cap_ns) {
            i++;
            break;
        }
    }
    uint64_t elapsed = gr_clock_now_ns() - t0;
    row->lookups = i;
    row->ns_per_lookup = i ? (double)elapsed / (double)i : 0;
    row->ran = true;
    gr_resolver_destroy(r);
    gr_cache_destroy(cache);
}

/* Open one database through the caller and time it. */
static int
gr_bench_lookup_open(const gr_bench_lookup_config *cfg, gr_geodb_kind kind, gr_geodb **db,
                     gr_bench_lookup_row *row, gr_bench_lookup_report *out)
{
    uint64_t t0 = gr_clock_now_ns();
    int rc = cfg->open(kind, db, cfg->open_ctx);
    row->open_ms = (double)(gr_clock_now_ns() - t0) / 1e6;
    if (rc) {
        out->open_status = rc;
        return GR_BENCH_LOOKUP_EOPEN;
    }
    return GR_BENCH_LOOKUP_OK;
}

/* samples/1000, at least 1, at most GR_BENCH_LOOKUP_LINEAR_MAX and got. */
static size_t
gr_bench_lookup_linear_count(size_t got)
{
    size_t n = got / GR_BENCH_LOOKUP_LINEAR_DIVISOR;
    n = n < 1 ? 1 : n > GR_BENCH_LOOKUP_LINEAR_MAX ? GR_BENCH_LOOKUP_LINEAR_MAX : n;
    return n > got ? got : n;
}

int
gr_bench_lookup_run(const gr_bench_lookup_config *cfg, gr_bench_lookup_report *out)
{
    static const char *const names[GR_BENCH_LOOKUP_ROWS] = {"mmdb", "scan-bsearch", "scan (linear)",
                                                            "cache hit (mutex)"};
    memset(out, 0, sizeof *out);
    for (int i = 0; i < GR_BENCH_LOOKUP_ROWS; i++)
        out->rows[i].name = names[i];
    gr_bench_lookup_row *rows = out->rows;
    gr_geodb *mmdb = NULL, *bs = NULL, *lin = NULL;
    /* scan-bsearch first: it draws the sample and is the reference */
    int rc =
        gr_bench_lookup_open(cfg, GR_GEODB_SCAN_BSEARCH, &bs, &rows[GR_BENCH_LOOKUP_BSEARCH], out);
    if (rc == GR_BENCH_LOOKUP_OK)
        rc = gr_bench_lookup_open(cfg, GR_GEODB_MMDB, &mmdb, &rows[GR_BENCH_LOOKUP_MMDB], out);
    if (rc == GR_BENCH_LOOKUP_OK)
        rc = gr_bench_lookup_open(cfg, GR_GEODB_SCAN, &lin, &rows[GR_BENCH_LOOKUP_LINEAR], out);
    size_t n = (size_t)cfg->samples;
    gr_ip *s = malloc(n * sizeof *s);
    gr_country *ref = malloc(n * sizeof *ref);
    if (rc == GR_BENCH_LOOKUP_OK && (!s || !ref))
        rc = GR_BENCH_LOOKUP_ENOMEM;
    if (rc == GR_BENCH_LOOKUP_OK) {
        out->samples = gr_bench_lookup_sample(bs, cfg->seed, s, ref, n, &out->samples_v6);
        if (out->samples == 0)
            rc = GR_BENCH_LOOKUP_ENOSAMPLE;
    }
    size_t got = out->samples;
    out->linear_samples = gr_bench_lookup_linear_count(got);
    if (rc == GR_BENCH_LOOKUP_OK) {
        gr_bench_lookup_backend(&rows[GR_BENCH_LOOKUP_MMDB], mmdb, s, ref, got, cfg->cap_ns);
        gr_bench_lookup_backend(&rows[GR_BENCH_LOOKUP_BSEARCH], bs, s, ref, got, cfg->cap_ns);
        gr_bench_lookup_backend(&rows[GR_BENCH_LOOKUP_LINEAR], lin, s, ref, out->linear_samples,
                                cfg->cap_ns);
        gr_bench_lookup_cache_hit(&rows[GR_BENCH_LOOKUP_CACHE_HIT], mmdb, s, ref, got, cfg->cap_ns);
    }
    free(s);
    free(ref);
    gr_geodb_close(mmdb);
    gr_geodb_close(bs);
    gr_geodb_close(lin);
    return rc;
}

int
gr_bench_lookup_disagreeing_row(const gr_bench_lookup_report *r)
{
    for (int i = 0; i < GR_BENCH_LOOKUP_ROWS; i++)
        if (r->rows[i].ran && r->rows[i].agree != r->rows[i].lookups)
            return i;
    return -1;
}
