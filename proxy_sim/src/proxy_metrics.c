/*
 * proxy_metrics.c - the proxy's counters and their Prometheus rendering.
 *
 * Each worker owns its counters and is their only writer, so an increment is
 * a relaxed load plus a relaxed store: no locked instruction on the request
 * path. GET /metrics on the metrics listener (worker 0's loop) sums every
 * worker's counters with relaxed loads; a total may lag by the requests
 * being counted at that instant, which is fine for statistics. Cache and
 * resolver figures come from the resolver's own relaxed counters.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "proxy_metrics.h"
#include "proxy_worker.h"

/* Upper bounds of the lookup latency buckets, in nanoseconds. */
static const uint64_t gr_metrics_bounds_ns[GR_METRICS_LAT_BUCKETS] = {
    250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 1000000, 10000000};

void
gr_metrics_inc(atomic_uint_fast64_t *c)
{
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + 1,
                          memory_order_relaxed);
}

void
gr_metrics_dec(atomic_uint_fast64_t *c)
{
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) - 1,
                          memory_order_relaxed);
}

void
gr_metrics_count_status(struct gr_metrics *m, int code)
{
    if (code < GR_METRICS_CODE_MIN || code > GR_METRICS_CODE_MAX)
        code = 500;
    gr_metrics_inc(&m->by_code[code - GR_METRICS_CODE_MIN]);
}

void
gr_metrics_count_lookup(struct gr_metrics *m, uint64_t ns)
{
    unsigned i = 0;
    while (i < GR_METRICS_LAT_BUCKETS && ns > gr_metrics_bounds_ns[i])
        i++;
    gr_metrics_inc(&m->lookup_bucket[i]);
    atomic_store_explicit(&m->lookup_sum_ns,
                          atomic_load_explicit(&m->lookup_sum_ns, memory_order_relaxed) + ns,
                          memory_order_relaxed);
}

static uint64_t
gr_metrics_sum(const struct gr_proxy *p, size_t offset)
{
    uint64_t total = 0;
    for (unsigned i = 0; i < p->n; i++) {
        const char *base = (const char *)&p->w[i].metrics;
        total +=
            atomic_load_explicit((atomic_uint_fast64_t *)(base + offset), memory_order_relaxed);
    }
    return total;
}

/* The sum over workers of field[i] (a scalar field is field[0]). */
#define GR_METRICS_SUM_AT(p, field, i)                                                             \
    gr_metrics_sum((p), offsetof(struct gr_metrics, field) +                                       \
                            (size_t)(i) * sizeof(atomic_uint_fast64_t))
#define GR_METRICS_SUM(p, field) GR_METRICS_SUM_AT(p, field, 0)

static void
gr_metrics_header(FILE *out, const char *name, const char *type, const char *help)
{
    fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
gr_metrics_write(const struct gr_proxy *p, FILE *out)
{
    gr_resolver_stats st;
    gr_resolver_stats_get(p->resolver, &st);

    gr_metrics_header(out, "georace_proxy_info", "gauge", "Configuration of this proxy.");
    fprintf(out, "georace_proxy_info{variant=\"%s\",workers=\"%u\",backend=\"%s\"} 1\n",
            p->cfg.variant, p->n, p->cfg.db->ops->name);

    gr_metrics_header(out, "georace_proxy_requests_total", "counter",
                      "Requests answered, by HTTP status code.");
    for (int code = GR_METRICS_CODE_MIN; code <= GR_METRICS_CODE_MAX; code++) {
        uint64_t n = GR_METRICS_SUM_AT(p, by_code, code - GR_METRICS_CODE_MIN);
        if (n)
            fprintf(out, "georace_proxy_requests_total{code=\"%d\"} %llu\n", code,
                    (unsigned long long)n);
    }
    gr_metrics_header(out, "georace_proxy_in_flight", "gauge",
                      "Requests being read or served (from their first byte to their answer).");
    fprintf(out, "georace_proxy_in_flight %llu\n",
            (unsigned long long)GR_METRICS_SUM(p, in_flight));
    gr_metrics_header(out, "georace_proxy_bad_requester_total", "counter",
                      "Requests refused with 400: garbage in the requester IP header.");
    fprintf(out, "georace_proxy_bad_requester_total %llu\n",
            (unsigned long long)GR_METRICS_SUM(p, bad_requester));
    gr_metrics_header(out, "georace_upstream_errors_total", "counter",
                      "Forwarded requests that failed, by kind (502 refused, 504 timeout, "
                      "503 queue_full, 504 queue_timeout).");
    fprintf(out, "georace_upstream_errors_total{kind=\"refused\"} %llu\n",
            (unsigned long long)GR_METRICS_SUM_AT(p, upstream_errors, GR_METRICS_UP_REFUSED));
    fprintf(out, "georace_upstream_errors_total{kind=\"timeout\"} %llu\n",
            (unsigned long long)GR_METRICS_SUM_AT(p, upstream_errors, GR_METRICS_UP_TIMEOUT));
    fprintf(out, "georace_upstream_errors_total{kind=\"queue_full\"} %llu\n",
            (unsigned long long)GR_METRICS_SUM_AT(p, upstream_errors, GR_METRICS_UP_QUEUE_FULL));
    fprintf(out, "georace_upstream_errors_total{kind=\"queue_timeout\"} %llu\n",
            (unsigned long long)GR_METRICS_SUM_AT(p, upstream_errors, GR_METRICS_UP_QUEUE_TIMEOUT));

    gr_metrics_header(out, "georace_geo_lookups_total", "counter", "Resolver lookups.");
    fprintf(out, "georace_geo_lookups_total %llu\n", (unsigned long long)st.lookups);
    gr_metrics_header(out, "georace_geo_zone_answers_total", "counter",
                      "Lookups answered by a reserved zone, without the cache.");
    fprintf(out, "georace_geo_zone_answers_total %llu\n", (unsigned long long)st.zones);
    gr_metrics_header(out, "georace_geo_errors_total", "counter", "Backend lookup errors.");
    fprintf(out, "georace_geo_errors_total %llu\n", (unsigned long long)st.errors);
    gr_metrics_header(out, "georace_cache_hits_total", "counter", "Cache hits.");
    fprintf(out, "georace_cache_hits_total %llu\n", (unsigned long long)st.hits);
    gr_metrics_header(out, "georace_cache_misses_total", "counter", "Cache misses.");
    fprintf(out, "georace_cache_misses_total %llu\n", (unsigned long long)st.misses);
    gr_metrics_header(out, "georace_cache_resets_total", "counter",
                      "Cache clears by the ticker (--cache-clear).");
    fprintf(out, "georace_cache_resets_total %llu\n", (unsigned long long)st.clears);
    if (p->cache) {
        gr_metrics_header(out, "georace_cache_entries", "gauge", "Entries in the cache.");
        fprintf(out, "georace_cache_entries %zu\n", gr_cache_len(p->cache));
    }
    fprintf(out, "# georace_mismatches: n/a in the proxy (it has no ground truth);"
                 " 'georace load' counts them\n");

    gr_metrics_header(out, "georace_geo_lookup_seconds", "histogram",
                      "Time to resolve a requester address (zone, cache, backend).");
    uint64_t cumulative = 0;
    for (unsigned i = 0; i <= GR_METRICS_LAT_BUCKETS; i++) {
        cumulative += GR_METRICS_SUM_AT(p, lookup_bucket, i);
        if (i < GR_METRICS_LAT_BUCKETS)
            fprintf(out, "georace_geo_lookup_seconds_bucket{le=\"%g\"} %llu\n",
                    (double)gr_metrics_bounds_ns[i] / 1e9, (unsigned long long)cumulative);
        else
            fprintf(out, "georace_geo_lookup_seconds_bucket{le=\"+Inf\"} %llu\n",
                    (unsigned long long)cumulative);
    }
    fprintf(out, "georace_geo_lookup_seconds_sum %.9f\n",
            (double)GR_METRICS_SUM(p, lookup_sum_ns) / 1e9);
    fprintf(out, "georace_geo_lookup_seconds_count %llu\n", (unsigned long long)cumulative);
}

int
gr_metrics_render(const struct gr_proxy *p, struct gr_buf *out)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return -1;
    gr_metrics_write(p, f);
    int failed = ferror(f);
    if (fclose(f) || failed) {
        free(text);
        return -1;
    }
    gr_buf_free(out);
    out->p = text;
    out->len = out->cap = len;
    return 0;
}
