/*
 * gomeasure.c - see gomeasure.h. Single-threaded: the trials are child
 * processes (trial.c), each running the Go peer (gosubject.c); the
 * background burners are child processes too (burner.c), started before a
 * point's first trial and stopped and reaped after its last.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "georace/burner.h"
#include "georace/gomeasure.h"
#include "georace/gosubject.h"
#include "georace/hostload.h"
#include "georace/traffic.h"
#include "georace/trial.h"

/* Paced rates keep the peer's own CPU use under about 0.6 cores (rate x
 * miss cost), so that free cores mean what they say; bursts of n new
 * addresses; GOMAXPROCS 2 unless said; background 0 or 1 busy core. */
static const gr_gomeasure_cond gr_gomeasure_grid[] = {
    /* burst, req/s, miss cost ns, GOMAXPROCS, background, held out, budget share,
     * scan, profile */
    {6, 600, 100000, 2, 0, false, 0.75, false, NULL},
    {6, 3000, 100000, 2, 0, false, 0.75, false, NULL},
    {6, 1500, 100000, 2, 0, true, 0.75, false, NULL},
    {6, 300, 1000000, 2, 0, false, 0.75, false, NULL},
    {6, 600, 1000000, 2, 0, false, 0.75, false, NULL},
    {3, 600, 1000000, 2, 0, false, 0.75, false, NULL},
    {12, 600, 1000000, 2, 0, true, 0.75, false, NULL},
    {6, 120, 5000000, 2, 0, false, 1, false, NULL},
    /* slow misses fail rarely: longer budgets */
    {6, 24, 20000000, 2, 0, false, 2.5, false, NULL},
    {6, 12, 45000000, 2, 0, false, 2.5, false, NULL},
    {6, 600, 1000000, 1, 0, false, 0.75, false, NULL},
    {6, 600, 100000, 2, 1, false, 0.75, false, NULL},
    {6, 600, 1000000, 2, 1, true, 0.75, false, NULL},
    {6, 3000, 100000, 2, 1, false, 0.75, false, NULL},
    {6, 120, 5000000, 2, 1, false, 1, false, NULL},
    /* Zoraxy's own miss: the CSV walk (it allocates: the garbage collector
     * stops and restarts a burst's goroutines), its cost measured as CPU
     * time per miss; paced so that the walks use about 0.3-0.6 cores */
    {6, 6, 0, 2, 0, false, 4, true, NULL},
    {6, 12, 0, 2, 0, false, 4, true, NULL},
    {3, 12, 0, 2, 0, false, 4, true, NULL},
    {6, 9, 0, 2, 0, true, 4, true, NULL},
    {12, 6, 0, 2, 0, false, 4, true, NULL},
    {3, 6, 0, 2, 0, true, 4, true, NULL},
    {12, 12, 0, 2, 0, true, 4, true, NULL},
    /* the walk beside a busy core: does free parallelism matter for it? */
    {6, 12, 0, 2, 1, false, 4, true, NULL},
    {6, 6, 0, 2, 1, true, 4, true, NULL},
    /* the field's own traffic (returning visitors, scanners, bursts of up
     * to 16) through the walk, at 7-20 times the field's rate: does a
     * flood of new addresses stand for it? */
    {6, 2, 0, 2, 0, false, 4, true, "zoraxy-home"},
    {6, 4, 0, 2, 0, true, 4, true, "zoraxy-home"},
    {0, 0, 0, 0, 0, false, 0, false, NULL}};

const gr_gomeasure_cond *
gr_gomeasure_default_grid(void)
{
    return gr_gomeasure_grid;
}

/* A flood-burst profile with bursts of n into a temporary file; its path
 * in path. 0 or -1. */
static int
gr_gomeasure_profile(unsigned n, char *path, size_t cap)
{
    const char *dir = getenv("TMPDIR");
    snprintf(path, cap, "%s/georace-gomeasure-XXXXXX.json", dir && *dir ? dir : "/tmp");
    int fd = mkstemps(path, 5);
    if (fd < 0)
        return -1;
    char json[512];
    int len = snprintf(json, sizeof json,
                       "{\"name\": \"flood-burst-%u\", \"rate\": 0, \"seed\": 1,"
                       " \"visitors\": {\"population\": 1, \"zipf_s\": 0, \"new_share\": 1},"
                       " \"burst\": {\"mean\": %u, \"max\": %u, \"parallel\": true,"
                       " \"spread_ms\": 0}, \"scanner_share\": 0, \"spray_share\": 0,"
                       " \"reserved_share\": 0, \"ipv6_share\": 0.2}\n",
                       n, n, n);
    ssize_t w = write(fd, json, (size_t)len);
    close(fd);
    if (w != len) {
        unlink(path);
        return -1;
    }
    return 0;
}

/* Room for one more trial; -1 when out of memory. */
static int
gr_gomeasure_keep(gr_gom_trial **v, size_t *n, size_t *cap, double t, bool failed)
{
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 32;
        gr_gom_trial *g = realloc(*v, c * sizeof *g);
        if (!g)
            return -1;
        *v = g;
        *cap = c;
    }
    (*v)[(*n)++] = (gr_gom_trial){t, failed};
    return 0;
}

static void
gr_gomeasure_spec(const gr_gomeasure_run *run, const gr_gomeasure_cond *c, const char *profile,
                  uint64_t seed, double td, gr_trial_spec *spec)
{
    memset(spec, 0, sizeof *spec);
    spec->workload = gr_gosubject_run;
    gr_sim_config_default(&spec->sim);
    spec->sim.profile = profile;
    spec->sim.variant = "go-map";
    spec->sim.rate = c->rate;
    spec->sim.miss_cost_ns = c->miss_cost_ns;
    spec->sim.clear_interval_ns = 0;
    spec->sim.backend = c->scan ? GR_GEODB_SCAN : GR_GEODB_SCAN_BSEARCH;
    spec->sim.pool = run->pool;
    spec->sim.seed = seed;
    spec->sim.duration_ns = (uint64_t)(td * 1e9);
    spec->sample_interval_ns = 50000000;
    spec->deadline_ns = spec->sim.duration_ns + 30000000000ull;
}

/* The trials of one point; the totals into out. */
static void
gr_gomeasure_trials(const gr_gomeasure_run *run, const gr_gomeasure_cond *c, const char *profile,
                    gr_gom_point *out, gr_gom_trial **trials, size_t *cap, uint64_t *counts,
                    double *covered, double *free_wsum, double *free_w, char *err, size_t errcap)
{
    double load_sum = 0;
    size_t load_n = 0, errors = 0;
    gr_hostload_snap t0;
    gr_hostload_snapshot(&t0);
    for (uint64_t k = 0;; k++) {
        gr_hostload_snap before, after;
        gr_hostload_snapshot(&before);
        double budget = run->budget_s * (c->budget_share > 0 ? c->budget_share : 1);
        double left = budget - (before.wall_s - t0.wall_s);
        /* slow points run longer trials: less start-up per miss */
        double tmax = run->trial_max_s * (c->budget_share > 1 ? c->budget_share : 1);
        double td = left < tmax ? left : tmax;
        if (td < 0.2 || errors > 3)
            break;
        double la = gr_hostload_avg1();
        gr_trial_spec spec;
        gr_gomeasure_spec(run, c, profile, run->seed + k, td, &spec);
        gr_trial_result r;
        if (gr_trial_run(&spec, &r))
            break;
        gr_hostload_snapshot(&after);
        if (r.outcome == GR_TRIAL_ERROR) {
            errors++;
            snprintf(err, errcap, "%s", r.message);
            continue;
        }
        bool failed = gr_trial_failed(&r);
        double t = failed ? r.ttf_s : r.elapsed_s;
        if (gr_gomeasure_keep(trials, &out->n_trials, cap, t, failed))
            break;
        out->failures += failed;
        out->exposure_s += t;
        counts[0] += r.sim.requests;
        counts[1] += r.sim.misses;
        counts[2] += r.sim.write_pairs;
        counts[3] += (uint64_t)((after.children_s - before.children_s) * 1e9); /* CPU, ns */
        *covered += (double)r.sim.elapsed_ns / 1e9; /* the time those counters cover */
        if (la >= 0)
            load_sum += la, load_n++;
        double f = gr_hostload_free_cores(&before, &after, out->cpus);
        if (f >= 0) {
            *free_wsum += f * (after.wall_s - before.wall_s);
            *free_w += after.wall_s - before.wall_s;
        }
    }
    out->loadavg1 = load_n ? load_sum / (double)load_n : -1;
}

int
gr_gomeasure_point(const gr_gomeasure_run *run, const gr_gomeasure_cond *c, gr_gom_point *out,
                   gr_gom_trial **trials, char *err, size_t errcap)
{
    memset(out, 0, sizeof *out);
    *trials = NULL;
    err[0] = '\0';
    char profile[4096];
    bool own = !c->profile; /* a flood-burst profile written for this point */
    if (own && gr_gomeasure_profile(c->burst, profile, sizeof profile)) {
        snprintf(err, errcap, "cannot write a burst profile: %s", strerror(errno));
        return -1;
    }
    if (own) {
        snprintf(out->profile, sizeof out->profile, "flood-burst-%u", c->burst);
    } else {
        snprintf(profile, sizeof profile, "%s", c->profile);
        snprintf(out->profile, sizeof out->profile, "%s", c->profile);
    }
    out->burst = c->burst;
    out->rate = c->rate;
    out->miss_cost_ns = c->miss_cost_ns;
    out->gomaxprocs = c->gomaxprocs;
    out->background = c->background;
    out->cpus = gr_hostload_cpus();
    out->holdout = c->holdout;
    gr_gosubject_config gc = {run->peer, false, c->gomaxprocs};
    gr_gosubject_use(&gc);
    gr_burner burn;
    if (gr_burner_start(&burn, c->background)) {
        if (own)
            unlink(profile);
        snprintf(err, errcap, "cannot start %u background burners", c->background);
        return -1;
    }
    size_t cap = 0;
    uint64_t counts[4] = {0, 0, 0, 0}; /* requests, misses, same-burst writer pairs, CPU ns */
    double free_wsum = 0, free_w = 0, covered = 0;
    gr_gomeasure_trials(run, c, profile, out, trials, &cap, counts, &covered, &free_wsum, &free_w,
                        err, errcap);
    gr_burner_stop(&burn);
    if (own)
        unlink(profile);
    out->trials = *trials;
    if (out->n_trials == 0 || out->exposure_s <= 0) {
        if (!err[0])
            snprintf(err, errcap, "no trial of the Go peer ran");
        free(*trials);
        *trials = NULL;
        return -1;
    }
    /* rates over the time the counters cover: a trial that died after its
     * last progress line has counted less than its exposure */
    double e = covered > 0 ? covered : out->exposure_s;
    out->free_cores = free_w > 0 ? free_wsum / free_w : -1;
    out->req_s = (double)counts[0] / e;
    out->write_s = (double)counts[1] / e;
    out->access_s = out->req_s + out->write_s;
    out->pair_s = (double)counts[2] / e; /* counted by the peer, burst by burst */
    out->scan = c->scan;
    if (c->scan && counts[1]) /* the walk's cost: the trials' CPU time per miss */
        out->miss_cost_ns = counts[3] / counts[1];
    return 0;
}

json_t *
gr_gomeasure_point_json(const gr_gom_point *p, const gr_gom_model *m)
{
    json_t *o = json_pack(
        "{s:s, s:s, s:s, s:f, s:f, s:I, s:i, s:i, s:i, s:f, s:f, s:f, s:f, s:f, s:f, s:I, s:f, "
        "s:f, s:b}",
        "type", "gomeasure", "variant", "go-map", "profile", p->profile, "burst", p->burst, "rate",
        p->rate, "miss_cost_ns", (json_int_t)p->miss_cost_ns, "gomaxprocs", (int)p->gomaxprocs,
        "background_load", (int)p->background, "numcpu", p->cpus, "free_cores", p->free_cores,
        "loadavg1", p->loadavg1, "req_per_s", p->req_s, "writes_per_s", p->write_s,
        "accesses_per_s", p->access_s, "pairs_per_s", p->pair_s, "failures",
        (json_int_t)p->failures, "exposure_s", p->exposure_s, "hazard_per_s", gr_gom_measured(p),
        "holdout", p->holdout);
    json_object_set_new(o, "backend", json_string(p->scan ? "scan" : "bsearch+spin"));
    json_object_set_new(o, "concurrency_q",
                        json_real(gr_gom_concurrency(p->free_cores, p->gomaxprocs, p->cpus)));
    json_t *tr = json_array();
    for (size_t i = 0; i < p->n_trials && p->trials; i++)
        json_array_append_new(tr, json_pack("[f, b]", p->trials[i].t_s, p->trials[i].failed));
    json_object_set_new(o, "trials", tr);
    if (m)
        json_object_set_new(o, "predicted_per_s", json_real(gr_gom_point_hazard(m, p)));
    return o;
}

static double
gr_gomeasure_num(json_t *o, const char *k, double dflt)
{
    json_t *v = json_object_get(o, k);
    return json_is_number(v) ? json_number_value(v) : dflt;
}

int
gr_gomeasure_point_from_json(json_t *o, gr_gom_point *p, gr_gom_trial **trials)
{
    *trials = NULL;
    json_t *type = json_object_get(o, "type");
    if (!json_is_string(type) || strcmp(json_string_value(type), "gomeasure"))
        return -1;
    memset(p, 0, sizeof *p);
    json_t *prof = json_object_get(o, "profile");
    snprintf(p->profile, sizeof p->profile, "%s",
             json_is_string(prof) ? json_string_value(prof) : "");
    p->burst = gr_gomeasure_num(o, "burst", 0);
    p->rate = gr_gomeasure_num(o, "rate", 0);
    p->miss_cost_ns = (uint64_t)gr_gomeasure_num(o, "miss_cost_ns", 0);
    p->gomaxprocs = (unsigned)gr_gomeasure_num(o, "gomaxprocs", 0);
    p->background = (unsigned)gr_gomeasure_num(o, "background_load", 0);
    p->cpus = (int)gr_gomeasure_num(o, "numcpu", -1);
    p->free_cores = gr_gomeasure_num(o, "free_cores", -1);
    p->loadavg1 = gr_gomeasure_num(o, "loadavg1", -1);
    p->req_s = gr_gomeasure_num(o, "req_per_s", 0);
    p->write_s = gr_gomeasure_num(o, "writes_per_s", 0);
    p->access_s = gr_gomeasure_num(o, "accesses_per_s", 0);
    p->pair_s = gr_gomeasure_num(o, "pairs_per_s", 0);
    p->failures = (uint64_t)gr_gomeasure_num(o, "failures", 0);
    p->exposure_s = gr_gomeasure_num(o, "exposure_s", 0);
    p->holdout = json_is_true(json_object_get(o, "holdout"));
    json_t *be = json_object_get(o, "backend");
    p->scan = json_is_string(be) && !strcmp(json_string_value(be), "scan");
    json_t *tr = json_object_get(o, "trials");
    size_t n = json_is_array(tr) ? json_array_size(tr) : 0;
    if (n) {
        gr_gom_trial *v = malloc(n * sizeof *v);
        if (v) {
            for (size_t i = 0; i < n; i++) {
                json_t *e = json_array_get(tr, i);
                v[i].t_s = json_number_value(json_array_get(e, 0));
                v[i].failed = json_is_true(json_array_get(e, 1));
            }
            *trials = v;
            p->trials = v;
            p->n_trials = n;
        }
    }
    return 0;
}

json_t *
gr_gomeasure_model_json(const gr_gom_model *m)
{
    return json_pack("{s:s, s:s, s:f, s:f, s:f, s:f, s:f, s:f, s:I}", "type", "gomodel", "variant",
                     "go-map", "a", m->a, "b", m->b, "rho", m->rho, "k", m->k, "alpha", m->alpha,
                     "rms_log10", m->rms_log10, "n_fit", (json_int_t)m->n_fit);
}
