/*
 * cmd_stress_gomodel.c - 'georace stress model --subject go-map': the
 * time-to-failure model calibrated on the real Go runtime (stress/gomodel.h,
 * measured by stress/gomeasure.h), beside the C gomap fit (ttfmodel.h), and
 * both predictions for Zoraxy in the field. This file parses options,
 * gathers points, and prints tables, JSON lines and JSON.
 */
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "georace/bootstrap.h"
#include "georace/gomeasure.h"
#include "georace/gomodel.h"
#include "georace/gosubject.h"
#include "georace/hostload.h"
#include "georace/jsonl.h"
#include "georace/measure.h"
#include "georace/sim.h"
#include "georace/survival.h"
#include "georace/traffic.h"
#include "georace/ttfmodel.h"

#define CMD "stress"
#define GOM_MAX_INPUTS 16
#define GOM_MAX_RATES 16
#define GOM_MAX_FIELDS 8

/* --grid: all, spin (misses that spin), scan (misses that walk the CSV),
 * home (the field's own profile, walking) */
enum { GOM_GRID_ALL, GOM_GRID_SPIN, GOM_GRID_SCAN, GOM_GRID_HOME };

struct gom_opts {
    bool measure, no_c, json, miss_cost_set;
    const char *inputs[GOM_MAX_INPUTS];
    int n_in;
    const char *out_path;
    double budget_s, trial_max_s, c_budget_s;
    uint64_t seed;
    double miss_cost_s, clear_s, go_window_ns, free_cores;
    unsigned gomaxprocs, resamples;
    int cpus;
    double rates[GOM_MAX_RATES];
    int n_rates;
    const char *fields[GOM_MAX_FIELDS]; /* --field: wall-clock runs to check against */
    int n_fields;
    int grid; /* GOM_GRID_* */
};

struct gom_data {
    gr_gom_point *go;
    gr_gom_trial **owned; /* trial arrays of go[i] */
    size_t n_go, cap_go;
    gr_ttf_point *c;
    size_t n_c, cap_c;
};

static void
gom_usage(FILE *f)
{
    fprintf(f, "usage: georace stress model --subject go-map [--measure | --in FILE...] [OPTIONS]\n"
               "\n"
               "The time-to-failure model calibrated on the real Go runtime: measures how often\n"
               "the Go peer's map (Zoraxy v3.1.4's) dies of Go's own fatal error over a grid of\n"
               "accelerated conditions (request rate, burst size, miss cost, GOMAXPROCS, and\n"
               "0 or 1 cores kept busy by background burners), records each trial's free\n"
               "cores, fits\n"
               "  h = q^alpha (a W A + b P / (1 + rho c)) + k W (1 - q)\n"
               "(b_scan for b when the miss is the CSV walk, as in Zoraxy)\n"
               "(q: probability that two Go threads truly run at once, from the free cores)\n"
               "by maximum likelihood, checks it on held-out points, and predicts the median\n"
               "time to failure of zoraxy-home at home-lab rates, with bootstrap intervals\n"
               "(trials resampled), beside the C gomap fit's prediction (ttfmodel).\n"
               "\n"
               "  --subject go-map     the Go-calibrated model (required here)\n"
               "  --measure            measure now (default when no --in gives Go points)\n"
               "  --in FILE            'gomeasure' (Go) and 'measure' (C) records (repeatable)\n"
               "  --budget D           time per Go point, x0.75 to x2.5 by point (default 20s)\n"
               "  --trial-max D        longest Go trial (default 10s)\n"
               "  --c-budget D         time per C point when C points are measured (default 4s)\n"
               "  --grid all|spin|scan|home\n"
               "                       which Go points to measure: misses that spin for\n"
               "                       0.1-45 ms, misses that walk the CSV (Zoraxy's own; with\n"
               "                       the home points), the field's profile zoraxy-home\n"
               "                       walking the CSV at 2 and 4 req/s, or all (default)\n"
               "  --no-c               no C fit unless --in gives C points\n"
               "  --seed S             first trial seed (default 1)\n"
               "  --out FILE           append gomeasure, measure and model records (JSON lines)\n"
               "  --miss-cost D        cost of one slow-scan miss in the field (default 45ms:\n"
               "                       the Go peer's scan of the embedded database, measured)\n"
               "  --cache-clear D      the field's clear interval (default 15m)\n"
               "  --free-cores F       free cores of the field host (default: all CPUs, idle)\n"
               "  --gomaxprocs N       GOMAXPROCS in the field (default: the CPU count)\n"
               "  --cpus N             CPUs of the field host (default: this machine's)\n"
               "  --go-window-ns N     Go write window assumed by the C fit (default 50)\n"
               "  --rates LIST         field request rates, req/s, decimals allowed (default\n"
               "                       1,2,3,5,10,20,50)\n"
               "  --bootstrap N        resamples for the intervals (default 200; 0: none)\n"
               "  --field FILE         results of a wall-clock run of 'stress --subject go-map'\n"
               "                       (one rate; merged shards allowed): its Kaplan-Meier median\n"
               "                       and survivors beside the model's prediction at its rate,\n"
               "                       clear, miss cost (--miss-cost + the run's), GOMAXPROCS\n"
               "                       and measured free cores, both with intervals (repeatable)\n"
               "  --json               print model, points and predictions as JSON\n"
               "\nexit status: 0 ok, 1 measurement or fit failed, 64 usage, 65/66 bad input,\n"
               "69 no Go peer to measure.\n");
}

static int
parse_gom_options(int argc, char **argv, struct gom_opts *o)
{
    static const struct option opts[] = {{"subject", required_argument, 0, 'S'},
                                         {"measure", no_argument, 0, 'M'},
                                         {"in", required_argument, 0, 'I'},
                                         {"budget", required_argument, 0, 'b'},
                                         {"trial-max", required_argument, 0, 'T'},
                                         {"c-budget", required_argument, 0, 'B'},
                                         {"no-c", no_argument, 0, 'n'},
                                         {"seed", required_argument, 0, 's'},
                                         {"out", required_argument, 0, 'o'},
                                         {"miss-cost", required_argument, 0, 'm'},
                                         {"cache-clear", required_argument, 0, 'c'},
                                         {"free-cores", required_argument, 0, 'f'},
                                         {"gomaxprocs", required_argument, 0, 'g'},
                                         {"cpus", required_argument, 0, 'C'},
                                         {"go-window-ns", required_argument, 0, 'w'},
                                         {"rates", required_argument, 0, 'r'},
                                         {"bootstrap", required_argument, 0, 'R'},
                                         {"json", no_argument, 0, 'j'},
                                         {"field", required_argument, 0, 'F'},
                                         {"grid", required_argument, 0, 'G'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    static const double default_rates[] = {1, 2, 3, 5, 10, 20, 50};
    memset(o, 0, sizeof *o);
    o->budget_s = 20;
    o->trial_max_s = 10;
    o->c_budget_s = 4;
    o->seed = 1;
    o->miss_cost_s = 0.045;
    o->clear_s = 900;
    o->go_window_ns = 50;
    o->cpus = gr_hostload_cpus();
    o->free_cores = -1;
    o->resamples = 200;
    memcpy(o->rates, default_rates, sizeof default_rates);
    o->n_rates = (int)(sizeof default_rates / sizeof default_rates[0]);
    bool subject = false;
    uint64_t ns, u;
    int ch, idx;
    optind = 1;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, ":h", opts, &idx)) != -1) {
        char *end;
        switch (ch) {
        case 'S':
            if (strcmp(optarg, "go-map"))
                goto bad;
            subject = true;
            break;
        case 'M':
            o->measure = true;
            break;
        case 'I':
            if (o->n_in == GOM_MAX_INPUTS)
                goto bad;
            o->inputs[o->n_in++] = optarg;
            break;
        case 'b':
        case 'T':
        case 'B':
            if (gr_cli_parse_duration(optarg, &ns) || !ns)
                goto bad;
            *(ch == 'b'   ? &o->budget_s
              : ch == 'T' ? &o->trial_max_s
                          : &o->c_budget_s) = (double)ns / 1e9;
            break;
        case 'n':
            o->no_c = true;
            break;
        case 's':
            if (gr_cli_parse_u64(optarg, &o->seed))
                goto bad;
            break;
        case 'o':
            o->out_path = optarg;
            break;
        case 'm':
        case 'c':
            if (gr_cli_parse_duration(optarg, &ns))
                goto bad;
            *(ch == 'm' ? &o->miss_cost_s : &o->clear_s) = (double)ns / 1e9;
            o->miss_cost_set = o->miss_cost_set || ch == 'm';
            break;
        case 'f':
            o->free_cores = strtod(optarg, &end);
            if (*end || !(o->free_cores >= 0) || o->free_cores > 4096)
                goto bad;
            break;
        case 'g':
        case 'C':
            if (gr_cli_parse_u64(optarg, &u) || !u || u > 4096)
                goto bad;
            if (ch == 'g')
                o->gomaxprocs = (unsigned)u;
            else
                o->cpus = (int)u;
            break;
        case 'w':
            if (gr_cli_parse_u64(optarg, &u) || !u)
                goto bad;
            o->go_window_ns = (double)u;
            break;
        case 'r':
            o->n_rates = gr_cli_parse_positive_list(optarg, o->rates, GOM_MAX_RATES);
            if (o->n_rates < 1)
                goto bad;
            break;
        case 'R':
            if (gr_cli_parse_u64(optarg, &u) || u > 100000)
                goto bad;
            o->resamples = (unsigned)u;
            break;
        case 'j':
            o->json = true;
            break;
        case 'G':
            if (!strcmp(optarg, "all"))
                o->grid = GOM_GRID_ALL;
            else if (!strcmp(optarg, "spin"))
                o->grid = GOM_GRID_SPIN;
            else if (!strcmp(optarg, "scan"))
                o->grid = GOM_GRID_SCAN;
            else if (!strcmp(optarg, "home"))
                o->grid = GOM_GRID_HOME;
            else
                goto bad;
            break;
        case 'F':
            if (o->n_fields == GOM_MAX_FIELDS)
                goto bad;
            o->fields[o->n_fields++] = optarg;
            break;
        case 'h':
            gom_usage(stdout);
            return GR_EXIT_OK;
        default:
            gr_cli_bad_option(CMD, ch, argv);
            return GR_EXIT_USAGE;
        }
        continue;
    bad:
        gr_cli_error(CMD, "bad value for --%s: '%s'", opts[idx].name, optarg);
        return GR_EXIT_USAGE;
    }
    if (gr_cli_no_operands(CMD, argc, argv))
        return GR_EXIT_USAGE;
    if (!subject) {
        gr_cli_error(CMD, "this form needs --subject go-map");
        return GR_EXIT_USAGE;
    }
    if (o->cpus < 1)
        o->cpus = 2;
    if (!o->gomaxprocs)
        o->gomaxprocs = (unsigned)o->cpus;
    if (o->free_cores < 0 || o->free_cores > o->cpus)
        o->free_cores = o->cpus;
    return GR_CLI_RUN;
}

/* ---- points --------------------------------------------------------------- */

static int
gom_push_go(struct gom_data *d, const gr_gom_point *p, gr_gom_trial *trials)
{
    if (d->n_go == d->cap_go) {
        size_t cap = d->cap_go ? d->cap_go * 2 : 32;
        gr_gom_point *g = realloc(d->go, cap * sizeof *g);
        if (!g)
            return -1;
        d->go = g;
        gr_gom_trial **t = realloc(d->owned, cap * sizeof *t);
        if (!t)
            return -1;
        d->owned = t;
        d->cap_go = cap;
    }
    d->owned[d->n_go] = trials;
    d->go[d->n_go++] = *p;
    return 0;
}

static int
gom_push_c(struct gom_data *d, const gr_ttf_point *p)
{
    if (d->n_c == d->cap_c) {
        size_t cap = d->cap_c ? d->cap_c * 2 : 32;
        gr_ttf_point *g = realloc(d->c, cap * sizeof *g);
        if (!g)
            return -1;
        d->c = g;
        d->cap_c = cap;
    }
    d->c[d->n_c++] = *p;
    return 0;
}

static void
gom_free(struct gom_data *d)
{
    for (size_t i = 0; i < d->n_go; i++)
        free(d->owned[i]);
    free(d->owned);
    free(d->go);
    free(d->c);
}

static int
gom_load(const char *path, struct gom_data *d)
{
    json_t *arr = json_array();
    char err[512];
    int rc = gr_jsonl_load(path, arr, err, sizeof err);
    if (rc && rc != GR_JSONL_TORN) {
        gr_cli_error(CMD, "%s", err);
        json_decref(arr);
        return rc == -1 ? GR_EXIT_NOINPUT : GR_EXIT_DATAERR;
    }
    if (rc == GR_JSONL_TORN)
        gr_cli_error(CMD, "%s", err);
    size_t i;
    json_t *v;
    int status = GR_EXIT_OK;
    json_array_foreach(arr, i, v)
    {
        gr_gom_point gp;
        gr_gom_trial *tr;
        gr_ttf_point cp;
        if (gr_gomeasure_point_from_json(v, &gp, &tr) == 0) {
            if (gom_push_go(d, &gp, tr)) {
                free(tr);
                status = GR_EXIT_SOFTWARE;
                break;
            }
        } else if (gr_measure_point_from_json(v, &cp) == 0 && gom_push_c(d, &cp)) {
            status = GR_EXIT_SOFTWARE;
            break;
        }
    }
    json_decref(arr);
    return status;
}

static bool
gom_grid_wants(int which, const gr_gomeasure_cond *c)
{
    switch (which) {
    case GOM_GRID_SPIN:
        return !c->scan;
    case GOM_GRID_SCAN:
        return c->scan;
    case GOM_GRID_HOME:
        return c->profile != NULL;
    default:
        return true;
    }
}

static int
gom_measure_go(const struct gom_opts *o, struct gom_data *d, FILE *con, FILE *out)
{
    const char *peer = gr_gosubject_default_peer(false);
    if (!peer) {
        gr_cli_error(CMD,
                     "--subject go-map needs the Go peer (georace-gopeer), which this build does "
                     "not have: no Go toolchain 1.19 or later was found when it was configured "
                     "(Debian: golang-go); or set GEORACE_GOPEER");
        return GR_EXIT_UNAVAIL;
    }
    char err[512];
    gr_addrpool *pool = NULL;
    if (gr_addrpool_default(&pool, err, sizeof err))
        pool = NULL; /* each trial builds its own */
    gr_gomeasure_run run = {peer, pool, o->budget_s, o->trial_max_s, o->seed};
    const gr_gomeasure_cond *all = gr_gomeasure_default_grid();
    const gr_gomeasure_cond *grid[64];
    size_t ng = 0;
    for (size_t i = 0; all[i].burst && ng < sizeof grid / sizeof grid[0]; i++)
        if (gom_grid_wants(o->grid, &all[i]))
            grid[ng++] = &all[i];
    fprintf(con,
            "measuring %zu Go points, %.0f s each, x0.75 to x2.5 by how rarely they fail (the Go "
            "peer's map)\n",
            ng, o->budget_s);
    for (size_t i = 0; i < ng; i++) {
        gr_gom_point p;
        gr_gom_trial *tr;
        run.seed = o->seed + 1000 * i;
        if (gr_gomeasure_point(&run, grid[i], &p, &tr, err, sizeof err)) {
            gr_cli_error(CMD, "Go point %zu failed: %s", i, err);
            continue;
        }
        fprintf(con,
                "  %s%s burst %2.0f %6.0f req/s miss %6.3f ms%s GOMAXPROCS %u background %u: "
                "free %.2f cores, load %.2f: %3" PRIu64 " failures in %zu trials, %6.2f s\n",
                grid[i]->profile ? grid[i]->profile : "", grid[i]->profile ? ":" : "", p.burst,
                p.rate, (double)p.miss_cost_ns / 1e6, p.scan ? " (scan)" : "", p.gomaxprocs,
                p.background, p.free_cores, p.loadavg1, p.failures, p.n_trials, p.exposure_s);
        if (out) {
            json_t *j = gr_gomeasure_point_json(&p, NULL);
            gr_jsonl_write(out, j);
            json_decref(j);
            fflush(out);
        }
        if (gom_push_go(d, &p, tr)) {
            free(tr);
            gr_addrpool_free(pool);
            return GR_EXIT_SOFTWARE;
        }
    }
    gr_addrpool_free(pool);
    return GR_EXIT_OK;
}

static int
gom_measure_c(const struct gom_opts *o, double w0_ns, struct gom_data *d, FILE *con, FILE *out)
{
    const gr_measure_cond *grid = gr_measure_default_grid();
    size_t ng = 0;
    while (grid[ng].profile)
        ng++;
    fprintf(con, "measuring %zu C gomap points, %.1f s each\n", ng, o->c_budget_s);
    for (size_t i = 0; i < ng; i++) {
        gr_ttf_point p;
        char err[256] = "";
        if (gr_measure_point(&grid[i], gr_sim_run, o->c_budget_s, 2.0, o->seed + 1000 * i, w0_ns,
                             &p, err, sizeof err)) {
            gr_cli_error(CMD, "C point %zu failed: %s", i, err);
            continue;
        }
        if (out) {
            json_t *j = gr_measure_point_json(&p, NULL);
            gr_jsonl_write(out, j);
            json_decref(j);
        }
        if (gom_push_c(d, &p))
            return GR_EXIT_SOFTWARE;
    }
    return GR_EXIT_OK;
}

/* ---- printing ------------------------------------------------------------- */

static void
gom_fmt_time(char *buf, size_t cap, double s)
{
    if (!isfinite(s) || s < 0)
        snprintf(buf, cap, "never");
    else if (s < 120)
        snprintf(buf, cap, "%.1f s", s);
    else if (s < 7200)
        snprintf(buf, cap, "%.1f min", s / 60);
    else if (s < 48 * 3600)
        snprintf(buf, cap, "%.1f h", s / 3600);
    else if (s < 365 * 86400.0)
        snprintf(buf, cap, "%.1f d", s / 86400);
    else
        snprintf(buf, cap, "> 1 year");
}

/* "median [lo, hi]", or the median alone when there is no interval */
static void
gom_fmt_median(char *buf, size_t cap, double median_s, bool interval, double lo_s, double hi_s)
{
    char m[32], lo[32], hi[32];
    gom_fmt_time(m, sizeof m, median_s);
    gom_fmt_time(lo, sizeof lo, lo_s);
    gom_fmt_time(hi, sizeof hi, hi_s);
    if (interval)
        snprintf(buf, cap, "%s [%s, %s]", m, lo, hi);
    else
        snprintf(buf, cap, "%s", m);
}

/* The leave-one-out column: the prediction's factor for a point with
 * failures, the expected count for one without. */
static void
gom_fmt_loo(char *buf, size_t cap, const gr_gom_point *p, double loo)
{
    double meas = gr_gom_measured(p);
    if (!isfinite(loo))
        snprintf(buf, cap, "-");
    else if (meas > 0 && loo > 0)
        snprintf(buf, cap, "x%.2f", loo / meas);
    else if (meas > 0)
        snprintf(buf, cap, "x0");
    else
        snprintf(buf, cap, "exp %.2g", loo * p->exposure_s);
}

static json_t *
gom_print_points(const struct gom_data *d, const gr_gom_model *m, const double *loo, FILE *con)
{
    json_t *arr = json_array();
    fprintf(con, "\nGo points, measured vs predicted hazard (failures/s):\n");
    fprintf(con, "  %5s %6s %7s %2s %2s %5s %5s %5s %9s %9s %9s %9s %7s %8s %s\n", "burst", "req/s",
            "miss_ms", "G", "bg", "free", "load", "q", "fail/n", "exposure", "measured",
            "predicted", "factor", "left-out", "set");
    for (size_t i = 0; i < d->n_go; i++) {
        const gr_gom_point *p = &d->go[i];
        double meas = gr_gom_measured(p), pred = gr_gom_point_hazard(m, p);
        char factor[32] = "-", fn[32], left[32];
        if (meas > 0 && pred > 0)
            snprintf(factor, sizeof factor, "x%.2f", pred / meas);
        snprintf(fn, sizeof fn, "%" PRIu64 "/%zu", p->failures, p->n_trials);
        gom_fmt_loo(left, sizeof left, p, loo[i]);
        fprintf(
            con,
            "  %5.0f %6.0f %7.3f %2u %2u %5.2f %5.2f %5.2f %9s %8.1fs %9.4g %9.4g %7s %8s %s %s\n",
            p->burst, p->rate, (double)p->miss_cost_ns / 1e6, p->gomaxprocs, p->background,
            p->free_cores, p->loadavg1, gr_gom_concurrency(p->free_cores, p->gomaxprocs, p->cpus),
            fn, p->exposure_s, meas, pred, factor, left, p->holdout ? "held-out" : "fit",
            strncmp(p->profile, "flood-burst", 11) ? p->profile : "");
        json_t *jp = gr_gomeasure_point_json(p, m);
        if (isfinite(loo[i]))
            json_object_set_new(jp, "loo_predicted_per_s", json_real(loo[i]));
        json_array_append_new(arr, jp);
    }
    return arr;
}

/* The field conditions of the prediction table: per rate, the idle host
 * as asked (--free-cores), and the same host with one core busy. */
struct gom_fields {
    gr_gom_field *f;
    size_t n;
};

static void
gom_field_of(const struct gom_opts *o, const gr_profile *prof, double req_s, double free_cores,
             gr_gom_field *f)
{
    memset(f, 0, sizeof *f);
    gr_ttf_traffic_of_profile(prof, req_s, &f->traffic);
    f->traffic.clear_s = o->clear_s;
    f->traffic.miss_cost_s = o->miss_cost_s;
    f->traffic.arrival_s = 0; /* the peer releases a burst together; a real scan >> network */
    f->burst_max = prof->burst_max;
    f->gomaxprocs = o->gomaxprocs;
    f->cpus = o->cpus;
    f->free_cores = free_cores;
    f->scan = true; /* Zoraxy's slow resolve walks the CSV */
}

static void
gom_boot_fn(const gr_gom_model *m, double *medians, void *ctx)
{
    const struct gom_fields *fs = ctx;
    for (size_t i = 0; i < fs->n; i++) {
        gr_gom_prediction pr;
        gr_gom_predict(m, &fs->f[i], &pr);
        medians[i] = pr.median_s;
    }
}

static json_t *
gom_print_predictions(const struct gom_opts *o, const struct gom_data *d, const gr_gom_model *gm,
                      const gr_ttf_model *cm, bool have_c, const gr_profile *prof, FILE *con)
{
    struct gom_fields fs = {calloc(2 * (size_t)o->n_rates, sizeof(gr_gom_field)),
                            2 * (size_t)o->n_rates};
    double *lo = calloc(fs.n, sizeof *lo), *hi = calloc(fs.n, sizeof *hi);
    json_t *arr = json_array();
    if (!fs.f || !lo || !hi) {
        free(fs.f), free(lo), free(hi);
        return arr;
    }
    double busy_free = o->free_cores - 1 < 0 ? 0 : o->free_cores - 1;
    for (int i = 0; i < o->n_rates; i++) {
        gom_field_of(o, prof, o->rates[i], o->free_cores, &fs.f[2 * i]);
        gom_field_of(o, prof, o->rates[i], busy_free, &fs.f[2 * i + 1]);
    }
    bool boot = o->resamples > 0 && gr_gom_bootstrap(d->go, d->n_go, o->resamples, 0.95, o->seed,
                                                     gom_boot_fn, &fs, fs.n, lo, hi) == 0;
    fprintf(con,
            "\nprediction for zoraxy-home (miss cost %.0f ms, clear %.0f min, GOMAXPROCS %u on %d "
            "CPUs);\nthe original report: crash after 20-30 min. Go: the Go-calibrated model "
            "(95%% bootstrap\ninterval, %u resamples of the trials); C: the C gomap fit with an "
            "assumed Go write window of %.0f ns.\n",
            o->miss_cost_s * 1e3, o->clear_s / 60, o->gomaxprocs, o->cpus, boot ? o->resamples : 0,
            o->go_window_ns);
    fprintf(con, "  %6s %8s %8s | %-34s | %-34s | %10s\n", "req/s", "writes/s", "pairs/s",
            "Go median, idle host [95% CI]", "Go median, one core busy [95% CI]", "C median");
    for (int i = 0; i < o->n_rates; i++) {
        gr_gom_prediction p0, p1;
        gr_gom_predict(gm, &fs.f[2 * i], &p0);
        gr_gom_predict(gm, &fs.f[2 * i + 1], &p1);
        char c[32] = "-", s0[100], s1[100];
        gom_fmt_median(s0, sizeof s0, p0.median_s, boot, lo[2 * i], hi[2 * i]);
        gom_fmt_median(s1, sizeof s1, p1.median_s, boot, lo[2 * i + 1], hi[2 * i + 1]);
        gr_ttf_prediction cp;
        memset(&cp, 0, sizeof cp);
        if (have_c) {
            gr_ttf_traffic t = fs.f[2 * i].traffic;
            t.arrival_s = 0.002;
            gr_ttf_predict(cm, &t, o->go_window_ns / 1e9, &cp);
            gom_fmt_time(c, sizeof c, cp.median_s);
        }
        fprintf(con, "  %6g %8.3f %8.3f | %-34s | %-34s | %10s\n", o->rates[i], p0.write_s,
                p0.pair_s, s0, s1, c);
        json_t *j = json_pack("{s:s, s:s, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:i, s:i}", "type",
                              "goprediction", "profile", "zoraxy-home", "req_per_s", o->rates[i],
                              "miss_cost_s", o->miss_cost_s, "clear_s", o->clear_s, "free_cores",
                              o->free_cores, "writes_per_s", p0.write_s, "pairs_per_s", p0.pair_s,
                              "q", p0.q, "gomaxprocs", (int)o->gomaxprocs, "cpus", o->cpus);
        json_object_set_new(j, "go_median_s",
                            isfinite(p0.median_s) ? json_real(p0.median_s) : json_null());
        if (boot) {
            json_object_set_new(j, "go_median_lo_s",
                                isfinite(lo[2 * i]) ? json_real(lo[2 * i]) : json_null());
            json_object_set_new(j, "go_median_hi_s",
                                isfinite(hi[2 * i]) ? json_real(hi[2 * i]) : json_null());
        }
        json_object_set_new(j, "go_median_one_busy_s",
                            isfinite(p1.median_s) ? json_real(p1.median_s) : json_null());
        if (have_c)
            json_object_set_new(j, "c_median_s",
                                isfinite(cp.median_s) ? json_real(cp.median_s) : json_null());
        json_array_append_new(arr, j);
    }
    free(fs.f), free(lo), free(hi);
    return arr;
}

/* ---- the field check: a wall-clock run against the prediction ------------- */

struct gom_run {
    char profile[64];
    double rate, clear_s, miss_s, free_sum, load_sum, t_max;
    double cpu_s, misses; /* trials that recorded their CPU time */
    /* trials that counted their same-burst writer pairs: requests, writes
     * and pairs over the time the counters cover */
    double c_requests, c_writes, c_pairs, c_s;
    size_t n_free, n_load, failed;
    int gomaxprocs, cpus;
    gr_km_obs *obs;
    size_t n;
};

static double
gom_num(json_t *o, const char *k, double dflt)
{
    json_t *v = json_object_get(o, k);
    return json_is_number(v) ? json_number_value(v) : dflt;
}

/* The job's conditions (all jobs must agree on the rate); 0 or -1. */
static int
gom_run_job(json_t *v, struct gom_run *r, const char *path)
{
    const char *prof = gr_jsonl_str(v, "profile", "");
    double rate = gom_num(v, "rate", -1);
    if (r->rate >= 0 && (rate != r->rate || strcmp(prof, r->profile))) {
        gr_cli_error(CMD, "%s: jobs of different rates or profiles (one field run per file)", path);
        return -1;
    }
    snprintf(r->profile, sizeof r->profile, "%s", prof);
    r->rate = rate;
    r->clear_s = gom_num(v, "cache_clear_s", 0);
    r->miss_s = gom_num(v, "miss_cost_ns", 0) / 1e9;
    return 0;
}

static int
gom_run_trial(json_t *v, struct gom_run *r)
{
    gr_km_obs *g = realloc(r->obs, (r->n + 1) * sizeof *g);
    if (!g)
        return -1;
    r->obs = g;
    bool failed = json_is_true(json_object_get(v, "failed"));
    double t = gom_num(v, failed ? "ttf_s" : "duration_s", 0);
    r->obs[r->n++] = (gr_km_obs){t, failed};
    r->failed += failed;
    if (t > r->t_max)
        r->t_max = t;
    double f = gom_num(v, "free_cores", -1), la = gom_num(v, "loadavg1", -1);
    if (f >= 0)
        r->free_sum += f, r->n_free++;
    if (la >= 0)
        r->load_sum += la, r->n_load++;
    double cpu = gom_num(v, "cpu_s", -1), misses = gom_num(v, "misses", -1);
    if (cpu > 0 && misses > 0)
        r->cpu_s += cpu, r->misses += misses;
    double pairs = gom_num(v, "write_pairs", -1), counted = gom_num(v, "counted_s", -1);
    if (pairs >= 0 && counted > 0 && misses >= 0) {
        r->c_requests += gom_num(v, "requests", 0);
        r->c_writes += misses;
        r->c_pairs += pairs;
        r->c_s += counted;
    }
    r->gomaxprocs = (int)gom_num(v, "gomaxprocs", r->gomaxprocs);
    r->cpus = (int)gom_num(v, "numcpu", r->cpus);
    return 0;
}

/* The go-map trials and job conditions of a field run; 0 or an exit status. */
static int
gom_load_run(const char *path, struct gom_run *r)
{
    memset(r, 0, sizeof *r);
    r->rate = -1;
    json_t *arr = json_array();
    char err[512];
    int rc = gr_jsonl_load(path, arr, err, sizeof err);
    if (rc && rc != GR_JSONL_TORN) {
        gr_cli_error(CMD, "%s", err);
        json_decref(arr);
        return rc == -1 ? GR_EXIT_NOINPUT : GR_EXIT_DATAERR;
    }
    size_t i;
    json_t *v;
    int status = GR_EXIT_OK;
    json_array_foreach(arr, i, v)
    {
        if (strcmp(gr_jsonl_str(v, "variant", ""), "go-map"))
            continue;
        if (gr_jsonl_is(v, "job") && gom_run_job(v, r, path))
            status = GR_EXIT_DATAERR;
        else if (gr_jsonl_is(v, "trial") && gom_run_trial(v, r))
            status = GR_EXIT_SOFTWARE;
        if (status != GR_EXIT_OK)
            break;
    }
    json_decref(arr);
    if (status == GR_EXIT_OK && (r->rate < 0 || r->n == 0)) {
        gr_cli_error(CMD, "%s: no go-map job with trials in it", path);
        status = GR_EXIT_DATAERR;
    }
    return status;
}

/* Wilson 95% interval of a proportion k/n. */
static void
gom_wilson(size_t k, size_t n, double *lo, double *hi)
{
    double z = 1.96, p = (double)k / (double)n, d = 1 + z * z / (double)n;
    double c = (p + z * z / (2.0 * (double)n)) / d;
    double h = z * sqrt(p * (1 - p) / (double)n + z * z / (4.0 * (double)n * (double)n)) / d;
    *lo = c - h < 0 ? 0 : c - h;
    *hi = c + h > 1 ? 1 : c + h;
}

/* The run's own counts as a measurement point (no failures: only its
 * covariates are used), for a prediction that does not go through the
 * traffic law; false when its trials did not count pairs. */
static bool
gom_run_point(const struct gom_run *r, const gr_gom_field *f, double free_cores, gr_gom_point *p)
{
    if (r->c_s <= 0)
        return false;
    memset(p, 0, sizeof *p);
    p->req_s = r->c_requests / r->c_s;
    p->write_s = r->c_writes / r->c_s;
    p->access_s = p->req_s + p->write_s;
    p->pair_s = r->c_pairs / r->c_s;
    p->miss_cost_ns = (uint64_t)(f->traffic.miss_cost_s * 1e9);
    p->gomaxprocs = f->gomaxprocs;
    p->cpus = f->cpus;
    p->free_cores = free_cores;
    p->scan = f->scan;
    return true;
}

static void
gom_boot_point_fn(const gr_gom_model *m, double *medians, void *ctx)
{
    double h = gr_gom_point_hazard(m, ctx);
    medians[0] = h > 0 ? log(2.0) / h : INFINITY;
}

static json_t *
gom_check_run(const struct gom_opts *o, const struct gom_data *d, const gr_gom_model *gm,
              const char *path, FILE *con, int *status)
{
    struct gom_run r;
    *status = gom_load_run(path, &r);
    if (*status != GR_EXIT_OK) {
        free(r.obs);
        return NULL;
    }
    gr_profile prof;
    char err[256];
    if (gr_profile_load(r.profile, &prof, err, sizeof err)) {
        gr_cli_error(CMD, "%s: %s", path, err);
        free(r.obs);
        *status = GR_EXIT_DATAERR;
        return NULL;
    }
    struct gom_opts fo = *o;
    fo.clear_s = r.clear_s;
    /* the miss cost: what a miss cost the run's own peers (CPU time over
     * misses: the scan, and the little else a request does), unless given */
    double measured_miss = r.misses > 0 ? r.cpu_s / r.misses : -1;
    fo.miss_cost_s =
        o->miss_cost_set || measured_miss <= 0 ? o->miss_cost_s + r.miss_s : measured_miss;
    fo.gomaxprocs = r.gomaxprocs > 0 ? (unsigned)r.gomaxprocs : o->gomaxprocs;
    fo.cpus = r.cpus > 0 ? r.cpus : o->cpus;
    double free_mean = r.n_free ? r.free_sum / (double)r.n_free : fo.cpus;
    gr_gom_field f;
    gom_field_of(&fo, &prof, r.rate, free_mean, &f);
    struct gom_fields fs = {&f, 1};
    gr_gom_prediction pr;
    gr_gom_predict(gm, &f, &pr);
    double plo = pr.median_s, phi = pr.median_s;
    bool boot = o->resamples > 0 && gr_gom_bootstrap(d->go, d->n_go, o->resamples, 0.95, o->seed,
                                                     gom_boot_fn, &fs, 1, &plo, &phi) == 0;
    double omed, olo, ohi;
    gr_boot_km_median_interval(r.obs, r.n, o->resamples ? o->resamples : 200, 0.95, o->seed, &omed,
                               &olo, &ohi);
    /* survival to the longest trial: predicted 2^(-T/median), observed k/n */
    double T = r.t_max, s_pred = isfinite(pr.median_s) ? pow(2, -T / pr.median_s) : 1;
    double s_lo = isfinite(plo) ? pow(2, -T / plo) : 1, s_hi = isfinite(phi) ? pow(2, -T / phi) : 1;
    size_t surv = r.n - r.failed;
    double w_lo, w_hi;
    gom_wilson(surv, r.n, &w_lo, &w_hi);
    bool agree = !(s_hi < w_lo || s_lo > w_hi);
    char pred[100], b[32], bl[32], bh[32];
    gom_fmt_median(pred, sizeof pred, pr.median_s, boot, plo, phi);
    gom_fmt_time(b, sizeof b, omed);
    gom_fmt_time(bl, sizeof bl, olo);
    gom_fmt_time(bh, sizeof bh, ohi);
    fprintf(con,
            "\nfield run %s: %s at %.1f req/s, clear %.0f min, miss cost %.1f ms (%s), "
            "GOMAXPROCS %u on %d CPUs,\n  free cores %.2f (mean over trials), load %.2f\n",
            path, r.profile, r.rate, r.clear_s / 60, fo.miss_cost_s * 1e3,
            o->miss_cost_set || measured_miss <= 0 ? "given" : "measured: CPU per miss",
            fo.gomaxprocs, fo.cpus, free_mean, r.n_load ? r.load_sum / (double)r.n_load : -1);
    fprintf(con,
            "  observed:  %zu trials, %zu died, %zu censored (longest %.1f min); died at:", r.n,
            r.failed, surv, T / 60);
    for (size_t i = 0; i < r.n; i++)
        if (r.obs[i].event)
            fprintf(con, " %.1f", r.obs[i].t / 60);
    char obs[160];
    if (omed < 0)
        snprintf(obs, sizeof obs, "not reached (> %.1f min)", T / 60);
    else
        snprintf(obs, sizeof obs, "%s [95%% bootstrap %s, %s]", b, bl, isfinite(ohi) ? bh : "open");
    fprintf(con,
            " min\n  observed:  Kaplan-Meier median %s; survived %.1f min: %zu/%zu [Wilson "
            "%.2f, %.2f]\n",
            obs, T / 60, surv, r.n, w_lo, w_hi);
    fprintf(con, "  predicted: Go model median %s; survive %.1f min: %.2f [%.2f, %.2f]\n", pred,
            T / 60, s_pred, s_lo, s_hi);
    fprintf(con, "  %s: the predicted survival interval %s the observed one\n",
            agree ? "consistent" : "DISAGREE", agree ? "overlaps" : "misses");
    /* the same model fed the run's own writes and pairs instead of the
     * traffic law's (which counts every request of a missing burst) */
    gr_gom_point own;
    double own_med = NAN, own_lo = NAN, own_hi = NAN;
    if (gom_run_point(&r, &f, free_mean, &own)) {
        double h = gr_gom_point_hazard(gm, &own);
        own_med = h > 0 ? log(2.0) / h : INFINITY;
        own_lo = own_hi = own_med;
        bool ob =
            o->resamples > 0 && gr_gom_bootstrap(d->go, d->n_go, o->resamples, 0.95, o->seed,
                                                 gom_boot_point_fn, &own, 1, &own_lo, &own_hi) == 0;
        char om[100];
        gom_fmt_median(om, sizeof om, own_med, ob, own_lo, own_hi);
        fprintf(con,
                "  predicted from the run's own counts (%.3f writes/s, %.3f pairs/s; the traffic "
                "law: %.3f, %.3f): median %s; survive %.1f min: %.2f\n",
                own.write_s, own.pair_s, pr.write_s, pr.pair_s, om, T / 60,
                isfinite(own_med) ? pow(2, -T / own_med) : 1);
    }
    json_t *j = json_pack("{s:s, s:s, s:s, s:f, s:f, s:f, s:i, s:f, s:I, s:I, s:f}", "type",
                          "fieldcheck", "file", path, "profile", r.profile, "req_per_s", r.rate,
                          "clear_s", r.clear_s, "miss_cost_s", fo.miss_cost_s, "gomaxprocs",
                          (int)fo.gomaxprocs, "free_cores", free_mean, "trials", (json_int_t)r.n,
                          "died", (json_int_t)r.failed, "longest_s", T);
    json_object_set_new(j, "observed_median_s", omed < 0 ? json_null() : json_real(omed));
    json_object_set_new(j, "observed_median_lo_s", olo < 0 ? json_null() : json_real(olo));
    json_object_set_new(j, "observed_median_hi_s",
                        ohi < 0 || !isfinite(ohi) ? json_null() : json_real(ohi));
    json_object_set_new(j, "predicted_median_s",
                        isfinite(pr.median_s) ? json_real(pr.median_s) : json_null());
    json_object_set_new(j, "predicted_median_lo_s", isfinite(plo) ? json_real(plo) : json_null());
    json_object_set_new(j, "predicted_median_hi_s", isfinite(phi) ? json_real(phi) : json_null());
    json_object_set_new(j, "predicted_survival", json_real(s_pred));
    json_object_set_new(j, "observed_survival", json_real((double)surv / (double)r.n));
    json_object_set_new(j, "consistent", json_boolean(agree));
    if (isfinite(own_med) || own_med == INFINITY) {
        json_object_set_new(j, "own_counts_writes_per_s", json_real(own.write_s));
        json_object_set_new(j, "own_counts_pairs_per_s", json_real(own.pair_s));
        json_object_set_new(j, "own_counts_median_s",
                            isfinite(own_med) ? json_real(own_med) : json_null());
        json_object_set_new(j, "own_counts_median_lo_s",
                            isfinite(own_lo) ? json_real(own_lo) : json_null());
        json_object_set_new(j, "own_counts_median_hi_s",
                            isfinite(own_hi) ? json_real(own_hi) : json_null());
    }
    free(r.obs);
    return j;
}

/* ---- the command ---------------------------------------------------------- */

/* Leave-one-out over every Go point: the error on the points with failures;
 * for those without, the failures each would have shown by the fit on the
 * others, and how many had a chance below 5% of showing none. */
/* Points that failed although the prediction says they never can: an error
 * without bound, which the mean |log10 error| leaves out and which is
 * therefore counted and printed on its own. pred[i] NaN: not predicted. */
static int
gom_never_failing(const struct gom_data *d, const double *pred)
{
    int n = 0;
    for (size_t i = 0; i < d->n_go; i++)
        n += d->go[i].failures > 0 && d->go[i].exposure_s > 0 && !isnan(pred[i]) && !(pred[i] > 0);
    return n;
}

struct gom_loo_summary {
    double error, floor; /* floor: what an exact model would show from counting alone */
    int n;
    int n_never; /* points with failures predicted never to fail */
    int n_zero;
    double expected_zero;
    int surprising_zero;
};

static struct gom_loo_summary
gom_loo_summary(const struct gom_data *d, const double *loo)
{
    struct gom_loo_summary ls = {0};
    ls.error = gr_gom_loo_error(d->go, d->n_go, loo, &ls.n);
    ls.floor = gr_gom_noise_floor(d->go, d->n_go, loo);
    ls.n_never = gom_never_failing(d, loo);
    for (size_t i = 0; i < d->n_go; i++) {
        const gr_gom_point *p = &d->go[i];
        if (p->failures > 0 || p->exposure_s <= 0 || !isfinite(loo[i]))
            continue;
        double mu = loo[i] * p->exposure_s;
        ls.n_zero++;
        ls.expected_zero += mu;
        ls.surprising_zero += exp(-mu) < 0.05;
    }
    return ls;
}

/* The held-out points' noise floor (gr_gom_noise_floor) under the fit, and
 * how many of them failed although predicted never to. */
static double
gom_heldout_floor(const struct gom_data *d, const gr_gom_model *m, int *never)
{
    double *pred = malloc((d->n_go ? d->n_go : 1) * sizeof *pred);
    *never = 0;
    if (!pred)
        return NAN;
    for (size_t i = 0; i < d->n_go; i++)
        pred[i] = d->go[i].holdout ? gr_gom_point_hazard(m, &d->go[i]) : NAN;
    double f = gr_gom_noise_floor(d->go, d->n_go, pred);
    *never = gom_never_failing(d, pred);
    free(pred);
    return f;
}

static int
gom_fit_and_print(const struct gom_opts *o, struct gom_data *d, FILE *con, FILE *out)
{
    gr_gom_model gm;
    if (gr_gom_fit(d->go, d->n_go, &gm)) {
        gr_cli_error(CMD,
                     "cannot fit the model to %zu Go points: fewer than 2 usable, or a point "
                     "with failures and no measured rates",
                     d->n_go);
        return GR_EXIT_FAIL;
    }
    gr_ttf_model cm;
    memset(&cm, 0, sizeof cm);
    cm.w0_ns = gr_measure_gomap_put_ns();
    bool have_c = d->n_c >= 2 && gr_ttf_fit(d->c, d->n_c, &cm) == 0;
    double *loo = malloc((d->n_go ? d->n_go : 1) * sizeof *loo);
    if (!loo || gr_gom_loo(d->go, d->n_go, loo)) {
        free(loo);
        gr_cli_error(CMD, "out of memory");
        return GR_EXIT_SOFTWARE;
    }
    json_t *doc = json_object();
    json_object_set_new(doc, "points", gom_print_points(d, &gm, loo, con));
    struct gom_loo_summary ls = gom_loo_summary(d, loo);
    free(loo);
    int held_n, held_never, cheld_n = 0;
    double held = gr_gom_heldout_error(&gm, d->go, d->n_go, &held_n);
    double held_floor = gom_heldout_floor(d, &gm, &held_never);
    double cheld = have_c ? gr_ttf_heldout_error(&cm, d->c, d->n_c, &cheld_n) : 0;
    fprintf(
        con,
        "\nGo fit: a = %.3g, b = %.3g, b_scan = %.3g%s, rho = %.3g /s, k = %.3g, alpha = %.2g;\n"
        "        log10 rms error on %zu fitting points = %.2f; held-out mean |log10 error| "
        "= %.2f over %d points (target <= 0.30; counting noise alone: %.2f)\n",
        gm.a, gm.b, gm.scan_fitted ? gm.b_scan : gm.b,
        gm.scan_fitted ? "" : " (no walk point failed: as b)", gm.rho, gm.k, gm.alpha, gm.n_fit,
        gm.rms_log10, held, held_n, held_floor);
    if (held_never || ls.n_never)
        fprintf(con,
                "        NOT in those means: %d held-out and %d left-out points that failed "
                "although the fit\n        without them predicts they never can (an error "
                "without bound)\n",
                held_never, ls.n_never);
    fprintf(con,
            "        leave-one-out (each point predicted by the fit on all the others): mean "
            "|log10 error| = %.2f over %d points with failures (target <= 0.30; counting noise "
            "alone: %.2f);\n"
            "        %d points without failures, expected %.2g failures in all when each is "
            "left out; %d of them with P(none) < 0.05\n",
            ls.error, ls.n, ls.floor, ls.n_zero, ls.expected_zero, ls.surprising_zero);
    if (have_c)
        fprintf(con,
                "C fit:  k_bg = %.3g, k_p = %.3g /s, d0 = %.3g us, sigma = %.3g; rms %.2f on %zu "
                "points, held-out %.2f over %d\n",
                cm.k_bg, cm.k_p, cm.d0_s * 1e6, cm.sigma, cm.rms_log10, cm.n_fit, cheld, cheld_n);
    else
        fprintf(con, "C fit:  none (%s)\n",
                d->n_c >= 2 ? "its points cannot be fitted" : "no C points");
    json_t *jm = gr_gomeasure_model_json(&gm);
    json_object_set_new(jm, "heldout_mean_abs_log10", json_real(held));
    json_object_set_new(jm, "heldout_points", json_integer(held_n));
    json_object_set_new(jm, "loo_mean_abs_log10", json_real(ls.error));
    json_object_set_new(jm, "loo_points", json_integer(ls.n));
    json_object_set_new(jm, "loo_noise_floor", json_real(ls.floor));
    json_object_set_new(jm, "heldout_noise_floor", json_real(held_floor));
    json_object_set_new(jm, "heldout_failed_predicted_never", json_integer(held_never));
    json_object_set_new(jm, "loo_failed_predicted_never", json_integer(ls.n_never));
    json_object_set_new(jm, "loo_zero_failure_points", json_integer(ls.n_zero));
    json_object_set_new(jm, "loo_zero_failure_expected", json_real(ls.expected_zero));
    json_object_set_new(jm, "loo_zero_failure_surprising", json_integer(ls.surprising_zero));
    if (out)
        gr_jsonl_write(out, jm);
    json_object_set_new(doc, "model", jm);
    if (have_c) {
        json_t *cj = gr_measure_model_json(&cm);
        json_object_set_new(cj, "heldout_mean_abs_log10", json_real(cheld));
        json_object_set_new(doc, "c_model", cj);
    }
    gr_profile prof;
    char err[256];
    if (gr_profile_load("zoraxy-home", &prof, err, sizeof err)) {
        gr_cli_error(CMD, "%s", err);
        json_decref(doc);
        return GR_EXIT_SOFTWARE;
    }
    json_t *pred = gom_print_predictions(o, d, &gm, &cm, have_c, &prof, con);
    if (out) {
        size_t i;
        json_t *v;
        json_array_foreach(pred, i, v) gr_jsonl_write(out, v);
    }
    json_object_set_new(doc, "predictions", pred);
    json_t *checks = json_array();
    int status = GR_EXIT_OK;
    for (int i = 0; i < o->n_fields && status == GR_EXIT_OK; i++) {
        json_t *j = gom_check_run(o, d, &gm, o->fields[i], con, &status);
        if (j && out)
            gr_jsonl_write(out, j);
        if (j)
            json_array_append_new(checks, j);
    }
    json_object_set_new(doc, "field_checks", checks);
    fprintf(
        con,
        "\nassumptions: Poisson failures; every page view of a new visitor (and of a returning\n"
        "one not seen since the last clear) is a burst whose requests all miss and write;\n"
        "free cores enter through q only; the field host runs nothing else but Zoraxy.\n");
    if (o->json) {
        json_dumpf(doc, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
    }
    json_decref(doc);
    return status;
}

int
gr_cmd_stress_gomodel(int argc, char **argv)
{
    struct gom_opts o;
    int rc = parse_gom_options(argc, argv, &o);
    if (rc != GR_CLI_RUN)
        return rc;
    FILE *out = NULL;
    if (o.out_path && !(out = fopen(o.out_path, "a"))) {
        gr_cli_error(CMD, "cannot open %s for writing", o.out_path);
        return GR_EXIT_NOINPUT;
    }
    FILE *con = o.json ? stderr : stdout;
    struct gom_data d;
    memset(&d, 0, sizeof d);
    for (int i = 0; i < o.n_in && rc == GR_CLI_RUN; i++) {
        int lr = gom_load(o.inputs[i], &d);
        if (lr != GR_EXIT_OK)
            rc = lr;
    }
    if (rc == GR_CLI_RUN && (o.measure || d.n_go == 0)) {
        int mr = gom_measure_go(&o, &d, con, out);
        if (mr != GR_EXIT_OK)
            rc = mr;
    }
    if (rc == GR_CLI_RUN && d.n_c == 0 && !o.no_c) {
        int mr = gom_measure_c(&o, gr_measure_gomap_put_ns(), &d, con, out);
        if (mr != GR_EXIT_OK)
            rc = mr;
    }
    if (rc == GR_CLI_RUN)
        rc = gom_fit_and_print(&o, &d, con, out);
    if (out)
        fclose(out);
    gom_free(&d);
    return rc;
}
