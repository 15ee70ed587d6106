/*
 * hit_ratio.c - building the seeded request stream of the hit-ratio
 * benchmark and replaying it through one cache on the stream's own clock
 * (hit_ratio.h).
 *
 * The stream is drawn once: the first profile at its own rate (stream 0 of
 * the seed), the mixed-in profile at mix_rate (stream 1: it shares the
 * visitor population's addresses but never a fresh one), merged by send
 * time until duration_ns. Keys are canonicalised as the resolver does (an
 * IPv4 address in any IPv6 spelling is one key).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "georace/hit_ratio.h"
#include "georace/zone.h"

struct gr_hr_source {
    gr_traffic *t;
    gr_request next;
    bool mixed;
};

struct gr_hr_buf {
    struct gr_hr_request *reqs;
    size_t n, cap;
};

static int
gr_hr_push(struct gr_hr_buf *b, const struct gr_hr_request *r)
{
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 4096;
        struct gr_hr_request *p = realloc(b->reqs, cap * sizeof *p);
        if (!p)
            return -1;
        b->reqs = p, b->cap = cap;
    }
    b->reqs[b->n++] = *r;
    return 0;
}

static int
gr_hr_source_open(struct gr_hr_source *src, const char *profile, double rate, uint64_t seed,
                  uint32_t index, const gr_addrpool *pool, double *rate_out, char *err,
                  size_t errcap)
{
    gr_profile p;
    int rc = gr_profile_load(profile, &p, err, errcap);
    if (rc)
        return rc;
    if (rate < 0)
        rate = p.rate;
    if (!(rate > 0)) {
        snprintf(err, errcap, "profile %s: rate %g; the stream's clock needs a rate > 0 requests/s",
                 p.name, rate);
        return GR_TRAFFIC_EARG;
    }
    if (rate_out)
        *rate_out = rate;
    rc = gr_traffic_create(&p, pool, seed, index, rate, &src->t);
    if (rc) {
        snprintf(err, errcap, "profile %s: %s", p.name, gr_traffic_strerror(rc));
        return rc;
    }
    gr_traffic_next(src->t, &src->next);
    return 0;
}

/* One request into the stream: reserved addresses stay out, as the
 * resolver answers them without the cache. */
static int
gr_hr_take(gr_hr_stream *s, struct gr_hr_buf *b, gr_cache *seen, const struct gr_hr_source *src)
{
    const gr_request *q = &src->next;
    struct gr_hr_request r = {.key = q->client, .at_ns = q->at_ns, .mixed = src->mixed};
    gr_ip v4;
    if (gr_ip_embedded_v4(&q->client, &v4))
        r.key = v4;
    if (gr_zone_of(&r.key) != GR_ZONE_NONE) {
        s->reserved++;
        return 0;
    }
    r.cacheable = q->truth != GR_COUNTRY_NONE;
    if (r.cacheable)
        gr_cache_put(seen, &r.key, q->truth);
    s->n_mixed += r.mixed;
    return gr_hr_push(b, &r);
}

int
gr_hr_stream_build(const gr_hr_stream_config *cfg, gr_hr_stream *out, char *err, size_t errcap)
{
    struct gr_hr_source src[2] = {{.mixed = false}, {.mixed = true}};
    struct gr_hr_buf b = {NULL, 0, 0};
    gr_cache *seen = NULL; /* distinct cacheable keys */
    int nsrc = cfg->mix ? 2 : 1, rc;
    memset(out, 0, sizeof *out);
    out->duration_ns = cfg->duration_ns;
    rc = gr_hr_source_open(&src[0], cfg->profile, -1, cfg->seed, 0, cfg->pool, &out->rate, err,
                           errcap);
    if (!rc && cfg->mix)
        rc = gr_hr_source_open(&src[1], cfg->mix, cfg->mix_rate, cfg->seed, 1, cfg->pool, NULL, err,
                               errcap);
    if (!rc && gr_cache_create("mutex", NULL, &seen) != GR_CACHE_OK)
        rc = GR_TRAFFIC_ENOMEM;
    while (!rc) {
        int k = nsrc == 2 && src[1].next.at_ns < src[0].next.at_ns ? 1 : 0;
        if (src[k].next.at_ns >= cfg->duration_ns)
            break; /* the earlier of the two is past the end: both are */
        if (gr_hr_take(out, &b, seen, &src[k]))
            rc = GR_TRAFFIC_ENOMEM;
        gr_traffic_next(src[k].t, &src[k].next);
    }
    if (rc == GR_TRAFFIC_ENOMEM)
        snprintf(err, errcap, "out of memory building the request stream");
    out->distinct = seen ? gr_cache_len(seen) : 0;
    gr_cache_destroy(seen);
    for (int i = 0; i < 2; i++)
        gr_traffic_free(src[i].t);
    out->reqs = b.reqs;
    out->n = b.n;
    if (rc)
        gr_hr_stream_free(out);
    return rc;
}

void
gr_hr_stream_free(gr_hr_stream *s)
{
    free(s->reqs);
    memset(s, 0, sizeof *s);
}

static void
gr_hr_sample(gr_cache *c, gr_hr_result *r)
{
    size_t len = gr_cache_len(c), mem = gr_cache_mem_bytes(c);
    if (len > r->peak_len)
        r->peak_len = len;
    if (mem > r->mem_bytes)
        r->mem_bytes = mem;
}

void
gr_hr_replay(const gr_hr_stream *s, gr_cache *c, uint64_t clear_ns, gr_hr_result *out)
{
    memset(out, 0, sizeof *out);
    uint64_t next_clear = clear_ns ? clear_ns : UINT64_MAX;
    for (size_t i = 0; i < s->n; i++) {
        const struct gr_hr_request *r = &s->reqs[i];
        while (r->at_ns >= next_clear) { /* the ticker fires before this request */
            gr_hr_sample(c, out);
            gr_cache_clear(c);
            out->clears++;
            next_clear += clear_ns;
        }
        gr_country v;
        out->lookups++;
        out->own_lookups += !r->mixed;
        if (gr_cache_get(c, &r->key, &v)) {
            out->hits++;
            out->own_hits += !r->mixed;
        } else {
            out->misses++;
            if (r->cacheable) /* which country does not matter here, only that one is kept */
                gr_cache_put(c, &r->key, GR_COUNTRY_NONE + 1);
        }
    }
    gr_hr_sample(c, out);
}
