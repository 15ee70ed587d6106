/*
 * cmd_stress_model.c - 'georace stress model' and 'georace stress measure':
 * the time-to-failure model from the command line. The measurements
 * (stress/measure.h), the fit and the predictions (stress/ttfmodel.h) are
 * the stress library's; this file parses options, gathers the points and
 * prints tables, JSON lines and JSON.
 */
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "georace/jsonl.h"
#include "georace/measure.h"
#include "georace/sim.h"
#include "georace/traffic.h"
#include "georace/ttfmodel.h"

#define CMD "stress"
#define MODEL_MAX_INPUTS 16
#define MODEL_MAX_RATES 16

struct model_opts {
    bool measure_only; /* 'stress measure' */
    bool measure;      /* measure now (--measure, or no --in) */
    const char *inputs[MODEL_MAX_INPUTS];
    int n_in;
    const char *out_path;
    double budget_s, trial_max_s;
    uint64_t seed;
    double go_window_ns, miss_cost_s, arrival_s, clear_s;
    uint64_t rates[MODEL_MAX_RATES];
    int n_rates;
    bool json;
};

/* The measurement points, measured now or read back. */
struct model_points {
    gr_ttf_point *p;
    size_t n, cap;
};

static void
model_usage(FILE *f)
{
    fprintf(f,
            "usage: georace stress model [--measure | --in FILE...] [OPTIONS]\n"
            "       georace stress measure [OPTIONS]\n"
            "\n"
            "Explains the 20-30 minutes: measures how often gomap's Go-style detector fires\n"
            "under varied request rate, burst size, threads, write window and miss cost,\n"
            "fits the hazard h = w * (k_bg*W*A + k_p*W + P/(d0 + sigma*c)) by maximum\n"
            "likelihood, checks it on held-out points and predicts the median time-to-failure of\n"
            "the zoraxy-home profile at home-lab rates with the real 15-minute clear and\n"
            "the real miss cost. 'measure' only measures (and writes --out).\n"
            "'stress model --subject go-map' is the model calibrated on the real Go\n"
            "runtime instead (see 'stress model --subject go-map --help').\n"
            "\n"
            "  --measure          measure now (default when no --in is given)\n"
            "  --in FILE          use 'measure' records of a results file (repeatable)\n"
            "  --budget D         time per measurement point (default 4s)\n"
            "  --trial-max D      longest trial of a point (default 2s)\n"
            "  --seed S           first trial seed (default 1)\n"
            "  --out FILE         append measure and model records as JSON lines\n"
            "  --go-window-ns N   Go's write window assumed for the prediction (default 50)\n"
            "  --miss-cost D      cost of a slow-scan miss in Zoraxy (default 30ms)\n"
            "  --arrival D        spread of a page view's parallel requests (default 2ms)\n"
            "  --cache-clear D    Zoraxy's cache clear interval (default 15m)\n"
            "  --rates LIST       home-lab request rates to predict, req/s (default\n"
            "                     2,5,10,20,50)\n"
            "  --json             print the model and predictions as JSON\n"
            "\nexit status: 0 ok, 1 measurement or fit failed, 64 usage, 65/66 bad input.\n");
}

/* GR_CLI_RUN, or the exit status (help printed, bad usage). */
static int
parse_stress_model_options(int argc, char **argv, struct model_opts *o)
{
    static const struct option opts[] = {{"measure", no_argument, 0, 'M'},
                                         {"in", required_argument, 0, 'I'},
                                         {"budget", required_argument, 0, 'b'},
                                         {"trial-max", required_argument, 0, 'T'},
                                         {"seed", required_argument, 0, 's'},
                                         {"out", required_argument, 0, 'o'},
                                         {"go-window-ns", required_argument, 0, 'g'},
                                         {"miss-cost", required_argument, 0, 'm'},
                                         {"arrival", required_argument, 0, 'a'},
                                         {"cache-clear", required_argument, 0, 'c'},
                                         {"rates", required_argument, 0, 'r'},
                                         {"json", no_argument, 0, 'j'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    static const uint64_t default_rates[] = {2, 5, 10, 20, 50};
    memset(o, 0, sizeof *o);
    o->measure_only = !strcmp(argv[0], "measure");
    o->budget_s = 4;
    o->trial_max_s = 2;
    o->seed = 1;
    o->go_window_ns = 50;
    o->miss_cost_s = 0.030;
    o->arrival_s = 0.002;
    o->clear_s = 900;
    memcpy(o->rates, default_rates, sizeof default_rates);
    o->n_rates = (int)(sizeof default_rates / sizeof default_rates[0]);
    uint64_t ns;
    int ch, idx;
    optind = 1;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, ":h", opts, &idx)) != -1) {
        switch (ch) {
        case 'M':
            o->measure = true;
            break;
        case 'I':
            if (o->n_in == MODEL_MAX_INPUTS)
                goto bad;
            o->inputs[o->n_in++] = optarg;
            break;
        case 'b':
            if (gr_cli_parse_duration(optarg, &ns) || !ns)
                goto bad;
            o->budget_s = (double)ns / 1e9;
            break;
        case 'T':
            if (gr_cli_parse_duration(optarg, &ns) || !ns)
                goto bad;
            o->trial_max_s = (double)ns / 1e9;
            break;
        case 's':
            if (gr_cli_parse_u64(optarg, &o->seed))
                goto bad;
            break;
        case 'o':
            o->out_path = optarg;
            break;
        case 'g':
            if (gr_cli_parse_u64(optarg, &ns) || !ns)
                goto bad;
            o->go_window_ns = (double)ns;
            break;
        case 'm':
            if (gr_cli_parse_duration(optarg, &ns))
                goto bad;
            o->miss_cost_s = (double)ns / 1e9;
            break;
        case 'a':
            if (gr_cli_parse_duration(optarg, &ns) || !ns)
                goto bad;
            o->arrival_s = (double)ns / 1e9;
            break;
        case 'c':
            if (gr_cli_parse_duration(optarg, &ns))
                goto bad;
            o->clear_s = (double)ns / 1e9;
            break;
        case 'r':
            o->n_rates = gr_cli_parse_u64_list(optarg, o->rates, MODEL_MAX_RATES);
            if (o->n_rates < 1)
                goto bad;
            break;
        case 'j':
            o->json = true;
            break;
        case 'h':
            model_usage(stdout);
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
    if (o->n_in == 0 || o->measure_only)
        o->measure = true;
    return GR_CLI_RUN;
}

/* Append one point; -1 when out of memory (the points are kept). */
static int
model_push(struct model_points *pts, const gr_ttf_point *p)
{
    if (pts->n == pts->cap) {
        size_t cap = pts->cap ? pts->cap * 2 : 32;
        gr_ttf_point *grown = realloc(pts->p, cap * sizeof *grown);
        if (!grown) {
            gr_cli_error(CMD, "out of memory for %zu measurement points", cap);
            return -1;
        }
        pts->p = grown;
        pts->cap = cap;
    }
    pts->p[pts->n++] = *p;
    return 0;
}

static void
model_fmt_time(char *buf, size_t cap, double s)
{
    if (!isfinite(s))
        snprintf(buf, cap, "never");
    else if (s < 120)
        snprintf(buf, cap, "%.1f s", s);
    else if (s < 7200)
        snprintf(buf, cap, "%.1f min", s / 60);
    else if (s < 48 * 3600)
        snprintf(buf, cap, "%.1f h", s / 3600);
    else
        snprintf(buf, cap, "%.1f days", s / 86400);
}

/* The 'measure' records of a results file; 0 or an exit status. */
static int
model_load_points(const char *path, struct model_points *pts)
{
    json_t *arr = json_array();
    char err[512];
    int rc = gr_jsonl_load(path, arr, err, sizeof err);
    if (rc == GR_JSONL_TORN)
        gr_cli_error(CMD, "%s", err);
    else if (rc) {
        gr_cli_error(CMD, "%s", err);
        json_decref(arr);
        return rc == -1 ? GR_EXIT_NOINPUT : GR_EXIT_DATAERR;
    }
    size_t i;
    json_t *v;
    int status = GR_EXIT_OK;
    json_array_foreach(arr, i, v)
    {
        gr_ttf_point p;
        if (gr_measure_point_from_json(v, &p))
            continue;
        if (model_push(pts, &p)) {
            status = GR_EXIT_SOFTWARE;
            break;
        }
    }
    json_decref(arr);
    return status;
}

/* Measure every point of the built-in grid now; 0 or an exit status. */
static int
model_measure(const struct model_opts *o, double w0_ns, FILE *con, struct model_points *pts)
{
    const gr_measure_cond *grid = gr_measure_default_grid();
    size_t ng = 0;
    while (grid[ng].profile)
        ng++;
    fprintf(con, "measuring %zu points, %.1f s each (gomap, detector on; C put time %.0f ns)\n", ng,
            o->budget_s, w0_ns);
    for (size_t i = 0; i < ng; i++) {
        gr_ttf_point p;
        char err[256] = "";
        if (gr_measure_point(&grid[i], gr_sim_run, o->budget_s, o->trial_max_s, o->seed + 1000 * i,
                             w0_ns, &p, err, sizeof err)) {
            gr_cli_error(CMD, "measurement %zu failed: %s", i, err);
            continue;
        }
        fprintf(con,
                "  %-12s T=%-2u window %6" PRIu64 " ns miss %7.3f ms: %3" PRIu64
                " failures in %6.2f s\n",
                p.profile, p.threads, p.window_ns, (double)p.miss_cost_ns / 1e6, p.failures,
                p.exposure_s);
        if (model_push(pts, &p))
            return GR_EXIT_SOFTWARE;
    }
    return GR_EXIT_OK;
}

/* Every point measured and predicted by the fitted model; the points as
 * JSON into jpts (and --out). */
static void
model_print_points(const struct model_points *pts, const gr_ttf_model *model, FILE *con, FILE *out,
                   json_t *jpts)
{
    fprintf(con, "\nmeasured vs predicted hazard (failures/s):\n");
    fprintf(con, "  %-12s %3s %7s %8s %10s %10s %10s %4s %10s %10s %7s %s\n", "profile", "T",
            "win_ns", "miss_ms", "req/s", "writes/s", "pairs/s", "fail", "measured", "predicted",
            "factor", "set");
    for (size_t i = 0; i < pts->n; i++) {
        const gr_ttf_point *p = &pts->p[i];
        double meas = gr_ttf_measured(p), pred = gr_ttf_point_hazard(model, p);
        char factor[32] = "-";
        if (meas > 0 && pred > 0)
            snprintf(factor, sizeof factor, "x%.2f", pred / meas);
        fprintf(con,
                "  %-12s %3u %7" PRIu64 " %8.3f %10.0f %10.0f %10.0f %4" PRIu64
                " %10.4g %10.4g %7s %s\n",
                p->profile, p->threads, p->window_ns, (double)p->miss_cost_ns / 1e6, p->req_s,
                p->write_s, p->pair_s, p->failures, meas, pred, factor,
                p->holdout ? "held-out" : "fit");
        json_t *j = gr_measure_point_json(p, model);
        if (out)
            gr_jsonl_write(out, j);
        json_array_append_new(jpts, j);
    }
}

/* The fitted coefficients and their errors; the model's JSON record. */
static json_t *
model_print_fit(const struct model_opts *o, const struct model_points *pts,
                const gr_ttf_model *model, FILE *con)
{
    int held_n;
    double held = gr_ttf_heldout_error(model, pts->p, pts->n, &held_n);
    fprintf(con,
            "\nfit: k_bg = %.3g, k_p = %.3g /s, d0 = %.3g us, sigma = %.3g (spread per unit of "
            "miss cost);\n"
            "     log10 rms error on %zu fitting points = %.2f; held-out mean |log10 error| = "
            "%.2f over %d points\n",
            model->k_bg, model->k_p, model->d0_s * 1e6, model->sigma, model->n_fit,
            model->rms_log10, held, held_n);
    json_t *jm = gr_measure_model_json(model);
    json_object_set_new(jm, "heldout_mean_abs_log10", json_real(held));
    json_object_set_new(jm, "go_window_ns", json_real(o->go_window_ns));
    json_object_set_new(jm, "miss_cost_s", json_real(o->miss_cost_s));
    json_object_set_new(jm, "arrival_s", json_real(o->arrival_s));
    json_object_set_new(jm, "clear_s", json_real(o->clear_s));
    return jm;
}

/* Zoraxy's hazard at req_s under zoraxy-home with this miss cost and Go
 * write window. */
static void
model_predict(const struct model_opts *o, const gr_ttf_model *m, const gr_profile *prof,
              double req_s, double miss_cost_s, double window_ns, gr_ttf_prediction *out)
{
    gr_ttf_traffic t;
    gr_ttf_traffic_of_profile(prof, req_s, &t);
    t.clear_s = o->clear_s;
    t.miss_cost_s = miss_cost_s;
    t.arrival_s = o->arrival_s;
    gr_ttf_predict(m, &t, window_ns / 1e9, out);
}

/* The prediction table at --rates, as JSON into jpred (and --out), then how
 * the miss cost and Go's window move it. */
static void
model_print_predictions(const struct model_opts *o, const gr_ttf_model *model,
                        const gr_profile *prof, FILE *con, FILE *out, json_t *jpred)
{
    gr_ttf_prediction pr;
    char ttf[32];
    fprintf(con,
            "\nprediction for zoraxy-home (Go write window %.0f ns, miss cost %.0f ms, clear %.0f "
            "min,\nburst arrival spread %.1f ms); the original report: crash after 20-30 min\n",
            o->go_window_ns, o->miss_cost_s * 1e3, o->clear_s / 60, o->arrival_s * 1e3);
    fprintf(con, "  %8s %10s %10s %12s %16s\n", "req/s", "writes/s", "pairs/s", "hazard/s",
            "median TTF");
    for (int i = 0; i < o->n_rates; i++) {
        model_predict(o, model, prof, (double)o->rates[i], o->miss_cost_s, o->go_window_ns, &pr);
        model_fmt_time(ttf, sizeof ttf, pr.median_s);
        fprintf(con, "  %8" PRIu64 " %10.3f %10.3f %12.3g %16s\n", o->rates[i], pr.write_s,
                pr.pair_s, pr.hazard, ttf);
        json_t *j = gr_measure_prediction_json("zoraxy-home", (double)o->rates[i], o->miss_cost_s,
                                               o->go_window_ns, &pr);
        if (out)
            gr_jsonl_write(out, j);
        json_array_append_new(jpred, j);
    }
    static const double costs[] = {0.00005, 0.001, 0.005, 0.030, 0.100};
    static const double windows[] = {20, 50, 200};
    fprintf(con, "\nhow the miss cost moves it (20 req/s, Go window %.0f ns):\n", o->go_window_ns);
    for (size_t i = 0; i < sizeof costs / sizeof costs[0]; i++) {
        model_predict(o, model, prof, 20, costs[i], o->go_window_ns, &pr);
        model_fmt_time(ttf, sizeof ttf, pr.median_s);
        fprintf(con, "  miss cost %8.2f ms: writes %6.2f/s, pairs %6.2f/s, median TTF %s\n",
                costs[i] * 1e3, pr.write_s, pr.pair_s, ttf);
    }
    fprintf(con, "how the assumed Go write window moves it (20 req/s, miss cost %.0f ms):\n",
            o->miss_cost_s * 1e3);
    for (size_t i = 0; i < sizeof windows / sizeof windows[0]; i++) {
        model_predict(o, model, prof, 20, o->miss_cost_s, windows[i], &pr);
        model_fmt_time(ttf, sizeof ttf, pr.median_s);
        fprintf(con, "  window %4.0f ns: median TTF %s\n", windows[i], ttf);
    }
}

static void
model_print_assumptions(const gr_ttf_model *model, FILE *con)
{
    fprintf(con,
            "\nassumptions: Poisson arrivals; Go's write window is a parameter (mapassign of a\n"
            "short string key, tens of ns; the C gomap's put measured %.0f ns here); a slow\n"
            "scan longer than the burst's arrival spread makes every request of a new\n"
            "visitor's page view miss and write; the spread of those writes grows with the\n"
            "miss cost by the fitted sigma (scheduling of parallel scans); returning visitors\n"
            "miss once per clear interval. The simulator's k_bg, k_p and sigma (measured on\n"
            "this machine, threads > cores) are transferred to Go unchanged.\n",
            model->w0_ns);
}

/* 'stress measure': the points as JSON lines into --out. */
static int
model_write_points(const struct model_points *pts, FILE *out)
{
    for (size_t i = 0; out && i < pts->n; i++) {
        json_t *j = gr_measure_point_json(&pts->p[i], NULL);
        gr_jsonl_write(out, j);
        json_decref(j);
    }
    return pts->n ? GR_EXIT_OK : GR_EXIT_FAIL;
}

/* Fit, then print the fit, the points and the predictions. */
static int
model_fit_and_predict(const struct model_opts *o, const struct model_points *pts,
                      gr_ttf_model *model, FILE *con, FILE *out)
{
    if (gr_ttf_fit(pts->p, pts->n, model)) {
        gr_cli_error(CMD,
                     "cannot fit the model to %zu measurement points: fewer than 2 usable, or a "
                     "point with failures and no measured rates",
                     pts->n);
        return GR_EXIT_FAIL;
    }
    gr_profile prof;
    char err[256];
    json_t *doc = json_object(), *jpts = json_array();
    model_print_points(pts, model, con, out, jpts);
    json_t *jm = model_print_fit(o, pts, model, con);
    if (gr_profile_load("zoraxy-home", &prof, err, sizeof err)) {
        gr_cli_error(CMD, "%s", err);
        json_decref(doc), json_decref(jpts), json_decref(jm);
        return GR_EXIT_SOFTWARE;
    }
    json_t *jpred = json_array();
    model_print_predictions(o, model, &prof, con, out, jpred);
    model_print_assumptions(model, con);
    if (out)
        gr_jsonl_write(out, jm);
    json_object_set_new(doc, "model", jm);
    json_object_set_new(doc, "points", jpts);
    json_object_set_new(doc, "predictions", jpred);
    if (o->json) {
        json_dumpf(doc, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
    }
    json_decref(doc);
    return GR_EXIT_OK;
}

static int
run_stress_model(const struct model_opts *o)
{
    FILE *out = NULL;
    if (o->out_path && !(out = fopen(o->out_path, "a"))) {
        gr_cli_error(CMD, "cannot open %s for writing", o->out_path);
        return GR_EXIT_NOINPUT;
    }
    gr_ttf_model model;
    memset(&model, 0, sizeof model);
    model.w0_ns = gr_measure_gomap_put_ns();
    struct model_points pts = {NULL, 0, 0};
    FILE *con = o->json ? stderr : stdout;
    int rc = GR_EXIT_OK;
    for (int i = 0; i < o->n_in && rc == GR_EXIT_OK; i++)
        rc = model_load_points(o->inputs[i], &pts);
    if (rc == GR_EXIT_OK && o->measure)
        rc = model_measure(o, model.w0_ns, con, &pts);
    if (rc == GR_EXIT_OK)
        rc = o->measure_only ? model_write_points(&pts, out)
                             : model_fit_and_predict(o, &pts, &model, con, out);
    if (out)
        fclose(out);
    free(pts.p);
    return rc;
}

int
gr_cmd_stress_model(int argc, char **argv)
{
    for (int i = 1; i < argc && strcmp(argv[0], "measure"); i++)
        if (!strcmp(argv[i], "--subject") || !strncmp(argv[i], "--subject=", 10))
            return gr_cmd_stress_gomodel(argc, argv);
    struct model_opts o;
    int rc = parse_stress_model_options(argc, argv, &o);
    return rc == GR_CLI_RUN ? run_stress_model(&o) : rc;
}
