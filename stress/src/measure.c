/*
 * measure.c - measurement points for the time-to-failure model (see
 * measure.h). A point's hazard is failures / exposure, exposure being the
 * summed running time of its trials (a failed trial ends at its failure).
 * Covariates are computed from the trials' own counters and the profile:
 * for new-visitor floods (every event a new address) the mean m of writers
 * per burst follows from writes per event; for mixed profiles m is taken as
 * the burst size (all of a burst misses), a stated approximation. Either
 * way a burst's size is the traffic generator's draw around that mean, and
 * the pairs per burst are its E[n (n-1)] (gomodel.h), not m (m-1).
 */
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "georace/cache.h"
#include "georace/gomodel.h"
#include "georace/measure.h"
#include "georace/traffic.h"

static const gr_measure_cond gr_measure_grid[] = {
    /* rate-limited so that rates are measured well and trials last */
    /* background and interruptions: every request a new address */
    {"flood", 2, 1000, 0, 1000, false},
    {"flood", 2, 1000, 0, 3000, false},
    {"flood", 2, 5000, 0, 2000, true},
    {"flood", 4, 5000, 0, 1000, false},
    {"flood", 4, 1000, 0, 3000, true},
    {"flood", 2, 10000, 0, 500, false},
    /* bursts: 6 parallel requests per new address, with and without a slow miss */
    {"flood-burst", 4, 1000, 0, 1000, false},
    {"flood-burst", 4, 1000, 0, 3000, true},
    {"flood-burst", 4, 1000, 300000, 1000, false},
    {"flood-burst", 6, 2000, 1000000, 1000, true},
    {"flood-burst", 8, 500, 1000000, 2000, false},
    {"flood-burst", 4, 5000, 100000, 500, false},
    {NULL, 0, 0, 0, 0, false}};

const gr_measure_cond *
gr_measure_default_grid(void)
{
    return gr_measure_grid;
}

static double
gr_measure_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double
gr_measure_gomap_put_ns(void)
{
    gr_cache_config cfg;
    gr_cache_config_default(&cfg);
    gr_cache *c;
    if (gr_cache_create("gomap", &cfg, &c))
        return 0;
    enum { ROUNDS = 4, KEYS = 50000 };
    double best = INFINITY;
    for (int r = 0; r < ROUNDS; r++) {
        double t0 = gr_measure_now();
        for (uint32_t i = 0; i < KEYS; i++) {
            gr_ip ip;
            memset(&ip, 0, sizeof ip);
            ip.b[10] = 0xff, ip.b[11] = 0xff;
            ip.b[12] = (uint8_t)(i >> 24), ip.b[13] = (uint8_t)(i >> 16);
            ip.b[14] = (uint8_t)(i >> 8), ip.b[15] = (uint8_t)i;
            gr_cache_put(c, &ip, (gr_country)(i & 0x3ff));
        }
        double per = (gr_measure_now() - t0) / KEYS * 1e9;
        if (per < best)
            best = per;
        gr_cache_clear(c);
    }
    gr_cache_destroy(c);
    return best;
}

double
gr_measure_pairs_per_s(const gr_profile *prof, double events_s, double write_s)
{
    double pv_share = 1 - prof->scanner_share - prof->spray_share - prof->reserved_share;
    double b = prof->burst_mean < 1 ? 1 : prof->burst_mean;
    unsigned cap = prof->burst_max ? prof->burst_max : (unsigned)ceil(b);
    bool flood = prof->new_visitor_share >= 1 && pv_share >= 1;
    double m = !flood ? b : events_s > 0 ? write_s / events_s : 1;
    m = m > b ? b : m < 1 ? 1 : m;
    /* a burst's writers are the generator's draw, n = min(1 + Poisson(m - 1),
     * cap), not m every time: pairs per burst are E[n (n-1)] */
    double en, enn1;
    gr_gom_burst_moments(m, cap, &en, &enn1);
    double bursts_s = events_s;
    if (!flood) {
        double scanners_s = events_s * prof->scanner_share;
        bursts_s = write_s > scanners_s ? (write_s - scanners_s) / en : 0;
    }
    return bursts_s * enn1;
}

int
gr_measure_point(const gr_measure_cond *c, gr_trial_workload_fn workload, double budget_s,
                 double trial_max_s, uint64_t seed, double w0_ns, gr_ttf_point *out, char *err,
                 size_t errcap)
{
    gr_profile prof;
    if (gr_profile_load(c->profile, &prof, err, errcap))
        return -1;
    memset(out, 0, sizeof *out);
    snprintf(out->profile, sizeof out->profile, "%s", c->profile);
    out->threads = c->threads;
    out->rate = c->rate;
    out->window_ns = c->window_ns;
    out->miss_cost_ns = c->miss_cost_ns;
    out->holdout = c->holdout;
    double t0 = gr_measure_now();
    uint64_t requests = 0, misses = 0, errors_seen = 0, ran = 0;
    double covered = 0; /* the running time the trials' counters cover */
    for (uint64_t k = 0; gr_measure_now() - t0 < budget_s; k++) {
        double left = budget_s - (gr_measure_now() - t0);
        double td = left < trial_max_s ? left : trial_max_s;
        if (td < 0.05)
            break;
        gr_trial_spec spec;
        memset(&spec, 0, sizeof spec);
        spec.workload = workload;
        gr_sim_config_default(&spec.sim);
        spec.sim.profile = c->profile;
        spec.sim.variant = "gomap";
        spec.sim.cache.detector = true;
        spec.sim.cache.window_ns = c->window_ns;
        spec.sim.miss_cost_ns = c->miss_cost_ns;
        spec.sim.threads = c->threads;
        spec.sim.rate = c->rate;
        spec.sim.seed = seed + k;
        spec.sim.clear_interval_ns = 0;
        spec.sim.duration_ns = (uint64_t)(td * 1e9);
        spec.sample_interval_ns = 5000000; /* fast points die within tens of ms */
        spec.deadline_ns = spec.sim.duration_ns + 20000000000ull;
        gr_trial_result r;
        if (gr_trial_run(&spec, &r))
            break;
        if (r.outcome == GR_TRIAL_ERROR) {
            errors_seen++;
            snprintf(err, errcap, "%s", r.message);
            if (errors_seen >= 2 && ran == 0)
                return -1;
            continue;
        }
        ran++;
        if (gr_trial_failed(&r))
            out->failures++;
        out->exposure_s += r.elapsed_s;
        requests += r.sim.requests;
        misses += r.sim.misses;
        covered += (double)r.sim.elapsed_ns / 1e9;
    }
    if (ran == 0 || out->exposure_s <= 0) {
        if (!err[0])
            snprintf(err, errcap, "no trial ran for profile %s", c->profile);
        return -1;
    }
    /* rates over the time the counters cover: a trial that died before its
     * first progress line counted nothing, and its requests are unknown */
    if (covered <= 0 || requests == 0) {
        snprintf(err, errcap,
                 "every trial of profile %s died before its first progress sample (%" PRIu64
                 " failures in %.3f s): its request rates are unknown",
                 c->profile, out->failures, out->exposure_s);
        return -1;
    }
    double e = covered;
    out->req_s = (double)requests / e;
    out->write_s = (double)misses / e;
    double rpe = gr_profile_mean_requests_per_event(&prof);
    double events_s = rpe > 0 ? out->req_s / rpe : out->req_s;
    out->pair_s = gr_measure_pairs_per_s(&prof, events_s, out->write_s);
    double t = c->threads > 1 ? (double)(c->threads - 1) / c->threads : 0;
    out->access_s = (out->req_s * (1 - prof.reserved_share) + out->write_s) * t;
    out->window_s = ((double)c->window_ns + w0_ns) / 1e9;
    return 0;
}

json_t *
gr_measure_point_json(const gr_ttf_point *p, const gr_ttf_model *m)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:i, s:f, s:I, s:I, s:f, s:f, s:f, s:f, s:f, s:I, "
                          "s:f, s:f, s:b}",
                          "type", "measure", "variant", "gomap", "profile", p->profile, "threads",
                          (int)p->threads, "rate", p->rate, "window_ns", (json_int_t)p->window_ns,
                          "miss_cost_ns", (json_int_t)p->miss_cost_ns, "req_per_s", p->req_s,
                          "writes_per_s", p->write_s, "accesses_per_s", p->access_s, "pairs_per_s",
                          p->pair_s, "window_s", p->window_s, "failures", (json_int_t)p->failures,
                          "exposure_s", p->exposure_s, "hazard_per_s", gr_ttf_measured(p),
                          "holdout", p->holdout);
    if (m)
        json_object_set_new(o, "predicted_per_s", json_real(gr_ttf_point_hazard(m, p)));
    return o;
}

static double
gr_measure_num(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_number(v) ? json_number_value(v) : 0;
}

int
gr_measure_point_from_json(json_t *o, gr_ttf_point *p)
{
    json_t *type = json_object_get(o, "type");
    if (!json_is_string(type) || strcmp(json_string_value(type), "measure"))
        return -1;
    memset(p, 0, sizeof *p);
    json_t *prof = json_object_get(o, "profile");
    snprintf(p->profile, sizeof p->profile, "%s",
             json_is_string(prof) ? json_string_value(prof) : "");
    p->threads = (unsigned)gr_measure_num(o, "threads");
    p->rate = gr_measure_num(o, "rate");
    p->window_ns = (uint64_t)gr_measure_num(o, "window_ns");
    p->miss_cost_ns = (uint64_t)gr_measure_num(o, "miss_cost_ns");
    p->req_s = gr_measure_num(o, "req_per_s");
    p->write_s = gr_measure_num(o, "writes_per_s");
    p->access_s = gr_measure_num(o, "accesses_per_s");
    p->pair_s = gr_measure_num(o, "pairs_per_s");
    p->window_s = gr_measure_num(o, "window_s");
    p->failures = (uint64_t)gr_measure_num(o, "failures");
    p->exposure_s = gr_measure_num(o, "exposure_s");
    p->holdout = json_is_true(json_object_get(o, "holdout"));
    return 0;
}

json_t *
gr_measure_model_json(const gr_ttf_model *m)
{
    return json_pack("{s:s, s:f, s:f, s:f, s:f, s:f, s:f, s:I}", "type", "model", "k_bg", m->k_bg,
                     "k_p", m->k_p, "d0_s", m->d0_s, "sigma", m->sigma, "w0_ns", m->w0_ns,
                     "rms_log10", m->rms_log10, "n_fit", (json_int_t)m->n_fit);
}

json_t *
gr_measure_prediction_json(const char *profile, double req_s, double miss_cost_s,
                           double go_window_ns, const gr_ttf_prediction *p)
{
    return json_pack("{s:s, s:s, s:f, s:f, s:f, s:f, s:f, s:f}", "type", "prediction", "profile",
                     profile, "req_per_s", req_s, "miss_cost_s", miss_cost_s, "go_window_ns",
                     go_window_ns, "writes_per_s", p->write_s, "hazard_per_s", p->hazard,
                     "median_ttf_s", isfinite(p->median_s) ? p->median_s : -1);
}
