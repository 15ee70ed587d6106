/*
 * report.c - see report.h. Records are grouped per variant; the Markdown
 * is written with stdio, the charts by one gnuplot script (charts.gp) over
 * plain data files kept in DIR/data so users can re-plot them.
 *
 * Time axis of the throughput and RSS charts: campaign time per variant,
 * i.e. the trials laid end to end in seed order (a 40-minute single-trial
 * job is its own time; a campaign of short trials is their sum). The
 * throughput chart draws each sample as a dot and, as a line, the moving
 * average over a window of about a sixtieth of the campaign (rate.h): the
 * rate of one 250 ms sample says little at tens of requests/s.
 */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "georace/gnuplot.h"
#include "georace/jsonl.h"
#include "georace/rate.h"
#include "georace/report.h"
#include "georace/survival.h"

struct gr_report_variant {
    char name[64];
    char file[64];   /* name made safe for file names */
    json_t *trials;  /* array of trial records */
    json_t *samples; /* array of sample records */
    double km_median;
};

struct gr_report {
    struct gr_report_variant v[32];
    size_t nv;
    json_t *jobs, *measures, *models, *predictions;
};

static struct gr_report_variant *
gr_report_variant(struct gr_report *r, const char *name)
{
    for (size_t i = 0; i < r->nv; i++)
        if (!strcmp(r->v[i].name, name))
            return &r->v[i];
    if (r->nv == sizeof r->v / sizeof r->v[0])
        return NULL;
    struct gr_report_variant *v = &r->v[r->nv++];
    snprintf(v->name, sizeof v->name, "%s", name);
    snprintf(v->file, sizeof v->file, "%s", name);
    for (char *p = v->file; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
            *p = '_';
    v->trials = json_array();
    v->samples = json_array();
    v->km_median = -1;
    return v;
}

static int
gr_report_take(json_t *o, void *ctx)
{
    struct gr_report *r = ctx;
    if (gr_jsonl_is(o, "job")) {
        json_array_append(r->jobs, o);
    } else if (gr_jsonl_is(o, "measure")) {
        json_array_append(r->measures, o);
    } else if (gr_jsonl_is(o, "model")) {
        json_array_append(r->models, o);
    } else if (gr_jsonl_is(o, "prediction")) {
        json_array_append(r->predictions, o);
    } else if (gr_jsonl_is(o, "trial") || gr_jsonl_is(o, "sample")) {
        struct gr_report_variant *v = gr_report_variant(r, gr_jsonl_str(o, "variant", "?"));
        if (v)
            json_array_append(gr_jsonl_is(o, "trial") ? v->trials : v->samples, o);
    }
    return 0;
}

static int
gr_report_cmp_sample(const void *a, const void *b)
{
    json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    double sx = gr_jsonl_num(x, "seed", 0), sy = gr_jsonl_num(y, "seed", 0);
    if (sx != sy)
        return sx < sy ? -1 : 1;
    double tx = gr_jsonl_num(x, "t_s", 0), ty = gr_jsonl_num(y, "t_s", 0);
    return tx < ty ? -1 : tx > ty;
}

static FILE *
gr_report_open(const char *dir, const char *name, const char *mode)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return fopen(path, mode);
}

/* Kaplan-Meier data file of a variant; returns points written. */
static size_t
gr_report_survival(const char *dir, struct gr_report_variant *v)
{
    size_t n = json_array_size(v->trials);
    if (n == 0)
        return 0;
    gr_km_obs *obs = calloc(n, sizeof *obs);
    gr_km_point *pts = calloc(n + 1, sizeof *pts);
    size_t i;
    json_t *t;
    json_array_foreach(v->trials, i, t)
    {
        obs[i].event = gr_jsonl_num(t, "failed", 0) != 0;
        obs[i].t = gr_jsonl_num(t, obs[i].event ? "ttf_s" : "duration_s", 0);
    }
    size_t np = gr_km_estimate(obs, n, pts);
    v->km_median = gr_km_median(pts, np);
    char name[128];
    snprintf(name, sizeof name, "data/survival-%s.dat", v->file);
    FILE *f = gr_report_open(dir, name, "w");
    if (f) {
        fprintf(f, "# t_s survival at_risk events censored (%s)\n", v->name);
        for (size_t k = 0; k < np; k++)
            fprintf(f, "%.6f %.6f %zu %zu %zu\n", pts[k].t, pts[k].s, pts[k].at_risk, pts[k].events,
                    pts[k].censored);
        /* extend the last step to the longest observation */
        if (n && obs[n - 1].t > pts[np - 1].t)
            fprintf(f, "%.6f %.6f 0 0 0\n", obs[n - 1].t, pts[np - 1].s);
        fclose(f);
    }
    free(obs);
    free(pts);
    return np;
}

/* A variant's samples in campaign time: sorted by seed, then time, the
 * trials laid end to end. */
struct gr_report_timeline {
    size_t n;
    json_t **s;   /* the sample records, in that order */
    double *t;    /* campaign time of each */
    double *rate; /* its request rate (over its own interval) */
    double *avg;  /* the moving average of the rate (rate.h) */
};

static void
gr_report_timeline_free(struct gr_report_timeline *tl)
{
    free(tl->s), free(tl->t), free(tl->rate), free(tl->avg);
    memset(tl, 0, sizeof *tl);
}

/* 0, or -1 when out of memory (tl empty). */
static int
gr_report_timeline_load(const struct gr_report_variant *v, struct gr_report_timeline *tl)
{
    size_t n = json_array_size(v->samples);
    memset(tl, 0, sizeof *tl);
    if (n == 0)
        return 0;
    tl->s = malloc(n * sizeof *tl->s);
    tl->t = malloc(n * sizeof *tl->t);
    tl->rate = malloc(n * sizeof *tl->rate);
    tl->avg = malloc(n * sizeof *tl->avg);
    if (!tl->s || !tl->t || !tl->rate || !tl->avg) {
        gr_report_timeline_free(tl);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        tl->s[i] = json_array_get(v->samples, i);
    qsort(tl->s, n, sizeof *tl->s, gr_report_cmp_sample);
    double offset = 0, last_t = 0, seed = -1;
    for (size_t i = 0; i < n; i++) {
        double sd = gr_jsonl_num(tl->s[i], "seed", 0), t = gr_jsonl_num(tl->s[i], "t_s", 0);
        if (sd != seed) {
            offset += last_t;
            last_t = 0;
            seed = sd;
        }
        last_t = t;
        tl->t[i] = offset + t;
        tl->rate[i] = gr_jsonl_num(tl->s[i], "req_per_s", 0);
    }
    tl->n = n;
    return 0;
}

/* The throughput chart's averaging window: about a sixtieth of the longest
 * campaign, on a round number of seconds from 5 to 60 (an hour-long run is
 * averaged over a minute). */
static double
gr_report_avg_window(const struct gr_report_timeline *tl, size_t nv)
{
    static const double steps[] = {5, 10, 15, 30, 60};
    double span = 0;
    for (size_t i = 0; i < nv; i++)
        if (tl[i].n)
            span = fmax(span, tl[i].t[tl[i].n - 1]);
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
        if (steps[i] >= span / 60)
            return steps[i];
    return steps[sizeof steps / sizeof steps[0] - 1];
}

/* Throughput and RSS over campaign time into data/timeline-VARIANT.dat;
 * returns samples written. */
static size_t
gr_report_timeline(const char *dir, const struct gr_report_variant *v,
                   struct gr_report_timeline *tl, double window_s)
{
    if (tl->n == 0)
        return 0;
    gr_rate_trailing_mean(tl->t, tl->rate, tl->n, window_s, tl->avg);
    char name[128];
    snprintf(name, sizeof name, "data/timeline-%s.dat", v->file);
    FILE *f = gr_report_open(dir, name, "w");
    if (!f)
        return 0;
    fprintf(f, "# campaign_s req_per_s rss_mib cache_len seed req_per_s_avg_%.0fs (%s)\n", window_s,
            v->name);
    for (size_t i = 0; i < tl->n; i++)
        fprintf(f, "%.3f %.1f %.2f %.0f %.0f %.1f\n", tl->t[i], tl->rate[i],
                gr_jsonl_num(tl->s[i], "rss_kb", 0) / 1024, gr_jsonl_num(tl->s[i], "cache_len", 0),
                gr_jsonl_num(tl->s[i], "seed", 0), tl->avg[i]);
    fclose(f);
    return tl->n;
}

static size_t
gr_report_measures(const char *dir, json_t *measures)
{
    size_t n = 0, i;
    json_t *m;
    FILE *f = gr_report_open(dir, "data/model.dat", "w");
    if (!f)
        return 0;
    fprintf(f, "# measured_per_s predicted_per_s failures holdout profile\n");
    json_array_foreach(measures, i, m)
    {
        double meas = gr_jsonl_num(m, "hazard_per_s", 0);
        double pred = gr_jsonl_num(m, "predicted_per_s", -1);
        if (meas <= 0 || pred <= 0)
            continue;
        fprintf(f, "%.6g %.6g %.0f %d %s\n", meas, pred, gr_jsonl_num(m, "failures", 0),
                gr_jsonl_num(m, "holdout", 0) != 0, gr_jsonl_str(m, "profile", "?"));
        n++;
    }
    fclose(f);
    return n;
}

static void
gr_report_plot_list(FILE *g, struct gr_report *r, const char *prefix, const char *using,
                    const char *style, size_t *counts)
{
    bool first = true;
    for (size_t i = 0; i < r->nv; i++) {
        if (!counts[i])
            continue;
        fprintf(g, "%s'data/%s-%s.dat' using %s %s title '%s'", first ? "plot " : ", \\\n     ",
                prefix, r->v[i].file, using, style, r->v[i].name);
        first = false;
    }
    fprintf(g, "\n");
}

/* Each variant's samples as dots and their moving average (column 6) as a
 * line of the same colour, titled with the window. */
static void
gr_report_plot_smoothed(FILE *g, struct gr_report *r, size_t *counts, double window_s)
{
    int k = 0;
    for (size_t i = 0; i < r->nv; i++) {
        if (!counts[i])
            continue;
        k++;
        fprintf(g,
                "%s'data/timeline-%s.dat' using 1:2 with points pt 7 ps 0.25 lc %d notitle, \\\n"
                "     'data/timeline-%s.dat' using 1:6 with lines lw 2 lc %d "
                "title '%s (%.0f s average)'",
                k == 1 ? "plot " : ", \\\n     ", r->v[i].file, k, r->v[i].file, k, r->v[i].name,
                window_s);
    }
    fprintf(g, "\n");
}

/* A chart goes straight into the script: SVG output, then the chart's own
 * commands (ending in a plot), then the same plot again as PNG. */
static void
gr_report_chart_begin(FILE *g, const char *name)
{
    fprintf(g, "set terminal svg size 900,540 dynamic enhanced font 'sans,12'\n");
    fprintf(g, "set output '%s.svg'\n", name);
}

static void
gr_report_chart_end(FILE *g, const char *name, char names[4][32], int *nc)
{
    fprintf(g, "set terminal pngcairo size 900,540 enhanced font 'sans,11'\n");
    fprintf(g, "set output '%s.png'\nreplot\nunset output\nreset\n", name);
    snprintf(names[(*nc)++], 32, "%s", name);
}

/* Write charts.gp; returns the number of charts in it. */
static int
gr_report_script(const char *dir, struct gr_report *r, size_t *km, size_t *tl, double window_s,
                 size_t nmeas, char names[4][32])
{
    FILE *g = gr_report_open(dir, "charts.gp", "w");
    if (!g)
        return -1;
    fprintf(g, "# generated by georace report; run with: gnuplot charts.gp\n");
    int nc = 0;
    size_t any_km = 0, any_tl = 0;
    for (size_t i = 0; i < r->nv; i++)
        any_km += km[i], any_tl += tl[i];
    if (any_km) {
        gr_report_chart_begin(g, "survival");
        fprintf(g, "set title 'Survival of trials (Kaplan-Meier; surviving trials censored)'\n"
                   "set xlabel 'time to failure (s, log scale)'\n"
                   "set ylabel 'fraction of trials alive'\n"
                   "set logscale x\nset yrange [0:1.05]\nset grid\nset key outside right\n");
        /* t = 0 has no place on a log axis: the curves start at 10 ms */
        gr_report_plot_list(g, r, "survival", "($1 > 0.01 ? $1 : 0.01):2", "with steps lw 2", km);
        gr_report_chart_end(g, "survival", names, &nc);
    }
    if (any_tl) {
        gr_report_chart_begin(g, "throughput");
        fprintf(g,
                "set title 'Throughput over time: moving average over %.0f s (lines), each "
                "sample (dots)'\nset xlabel 'campaign time (s)'\n"
                "set ylabel 'requests/s'\nset grid\nset key outside right\n",
                window_s);
        gr_report_plot_smoothed(g, r, tl, window_s);
        gr_report_chart_end(g, "throughput", names, &nc);
        gr_report_chart_begin(g, "rss");
        fprintf(g, "set title 'Resident memory over time'\nset xlabel 'campaign time (s)'\n"
                   "set ylabel 'RSS (MiB)'\nset grid\nset key outside right\n");
        gr_report_plot_list(g, r, "timeline", "1:3", "with lines", tl);
        gr_report_chart_end(g, "rss", names, &nc);
    }
    if (nmeas) {
        gr_report_chart_begin(g, "model");
        fprintf(g, "set title 'Time-to-failure model: predicted vs measured failure rate'\n"
                   "set xlabel 'measured failures/s'\nset ylabel 'predicted failures/s'\n"
                   "set logscale xy\nset grid\nset key top left\n"
                   "plot 'data/model.dat' using 1:($4==0?$2:1/0) with points pt 7 ps 1.2 "
                   "title 'fit points', \\\n"
                   "     'data/model.dat' using 1:($4==1?$2:1/0) with points pt 5 ps 1.2 "
                   "title 'held out', \\\n"
                   "     x with lines dt 2 title 'prediction = measurement'\n");
        gr_report_chart_end(g, "model", names, &nc);
    }
    fclose(g);
    return nc;
}

static void
gr_report_fmt_s(char *buf, size_t cap, double s)
{
    if (s < 0)
        snprintf(buf, cap, "not reached");
    else if (s < 120)
        snprintf(buf, cap, "%.3f s", s);
    else
        snprintf(buf, cap, "%.1f min", s / 60);
}

static void
gr_report_markdown(FILE *f, struct gr_report *r, const char *const *inputs, size_t n,
                   char charts[4][32], int nc, int plot_rc)
{
    fprintf(f, "# georace stress report\n\nInputs:");
    for (size_t i = 0; i < n; i++)
        fprintf(f, " `%s`", inputs[i]);
    fprintf(
        f, "\n\n## Jobs\n\n| variant | profile | via | threads | window ns | miss cost ns | "
           "cache clear s | shard | seed | started |\n|---|---|---|---|---|---|---|---|---|---|\n");
    size_t i;
    json_t *j;
    json_array_foreach(r->jobs, i, j)
        fprintf(f, "| %s | %s | %s | %.0f | %.0f | %.0f | %.1f | %s | %.0f | %s |\n",
                gr_jsonl_str(j, "variant", "?"), gr_jsonl_str(j, "profile", "?"),
                gr_jsonl_str(j, "via", "?"), gr_jsonl_num(j, "threads", 0),
                gr_jsonl_num(j, "window_ns", 0), gr_jsonl_num(j, "miss_cost_ns", 0),
                gr_jsonl_num(j, "cache_clear_s", 0), gr_jsonl_str(j, "shard", "?"),
                gr_jsonl_num(j, "seed_first", 0), gr_jsonl_str(j, "started", "?"));
    fprintf(f, "\n## Trials per variant\n\n| variant | trials | failed | survived | "
               "exposure | median TTF (KM) | max TTF | requests | mismatches | max RSS MiB | "
               "messages |\n|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (size_t v = 0; v < r->nv; v++) {
        struct gr_report_variant *rv = &r->v[v];
        size_t failed = 0, nt = json_array_size(rv->trials);
        double exposure = 0, maxttf = -1, req = 0, mism = 0, rss = 0;
        char msgs[512] = "";
        json_t *t;
        json_array_foreach(rv->trials, i, t)
        {
            bool fl = gr_jsonl_num(t, "failed", 0) != 0;
            exposure += gr_jsonl_num(t, "duration_s", 0);
            req += gr_jsonl_num(t, "requests", 0);
            mism += gr_jsonl_num(t, "mismatches", 0);
            rss = fmax(rss, gr_jsonl_num(t, "rss_max_kb", 0) / 1024);
            if (!fl)
                continue;
            failed++;
            maxttf = fmax(maxttf, gr_jsonl_num(t, "ttf_s", 0));
            const char *m = gr_jsonl_str(t, "message", "");
            if (m[0] && !strstr(msgs, m) && strlen(msgs) + strlen(m) + 8 < sizeof msgs)
                snprintf(msgs + strlen(msgs), sizeof msgs - strlen(msgs), "%s`%s`",
                         msgs[0] ? ", " : "", m);
        }
        char med[32], mx[32], ex[32];
        gr_report_fmt_s(med, sizeof med, rv->km_median);
        gr_report_fmt_s(mx, sizeof mx, maxttf);
        gr_report_fmt_s(ex, sizeof ex, exposure);
        fprintf(f, "| %s | %zu | %zu | %zu | %s | %s | %s | %.0f | %.0f | %.1f | %s |\n", rv->name,
                nt, failed, nt - failed, ex, med, failed ? mx : "-", req, mism, rss,
                msgs[0] ? msgs : "-");
    }
    if (json_array_size(r->models) || json_array_size(r->predictions)) {
        fprintf(f, "\n## Time-to-failure model\n\n");
        json_array_foreach(r->models, i, j)
            fprintf(f,
                    "Fitted: k_bg = %.3g, k_p = %.3g /s, d0 = %.3g us, sigma = %.3g; C gomap put "
                    "%.0f ns; log10 rms "
                    "error %.2f over %.0f points; held-out mean |log10 error| %.2f.\n\n",
                    gr_jsonl_num(j, "k_bg", 0), gr_jsonl_num(j, "k_p", 0),
                    gr_jsonl_num(j, "d0_s", 0) * 1e6, gr_jsonl_num(j, "sigma", 0),
                    gr_jsonl_num(j, "w0_ns", 0), gr_jsonl_num(j, "rms_log10", 0),
                    gr_jsonl_num(j, "n_fit", 0), gr_jsonl_num(j, "heldout_mean_abs_log10", 0));
        if (json_array_size(r->predictions)) {
            fprintf(f, "| profile | req/s | miss cost | Go window ns | writes/s | median TTF |\n"
                       "|---|---|---|---|---|---|\n");
            json_array_foreach(r->predictions, i, j)
            {
                char ttf[32];
                gr_report_fmt_s(ttf, sizeof ttf, gr_jsonl_num(j, "median_ttf_s", -1));
                fprintf(f, "| %s | %.0f | %.0f ms | %.0f | %.2f | %s |\n",
                        gr_jsonl_str(j, "profile", "?"), gr_jsonl_num(j, "req_per_s", 0),
                        gr_jsonl_num(j, "miss_cost_s", 0) * 1e3, gr_jsonl_num(j, "go_window_ns", 0),
                        gr_jsonl_num(j, "writes_per_s", 0), ttf);
            }
            fprintf(f, "\nThe original report: Zoraxy crashed 20-30 minutes after start.\n");
        }
    }
    fprintf(f, "\n## Charts\n\n");
    if (plot_rc == 1)
        fprintf(f, "Charts skipped: gnuplot was not found (Debian package gnuplot-nox). The "
                   "data files and `charts.gp` are in this directory.\n");
    else if (plot_rc < 0)
        fprintf(f, "Charts failed: see `charts.log`.\n");
    for (int c = 0; plot_rc == 0 && c < nc; c++)
        fprintf(f, "![%s](%s.svg) ([PNG](%s.png))\n\n", charts[c], charts[c], charts[c]);
    if (plot_rc == 0 && nc == 0)
        fprintf(f, "No chart: the inputs hold no trials, samples or measurements.\n");
}

int
gr_report_build(const char *const *inputs, size_t n, const char *dir, const char *gnuplot,
                gr_report_stats *st, char *err, size_t errcap)
{
    memset(st, 0, sizeof *st);
    struct gr_report r;
    memset(&r, 0, sizeof r);
    r.jobs = json_array();
    r.measures = json_array();
    r.models = json_array();
    r.predictions = json_array();
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        rc = gr_jsonl_read(inputs[i], gr_report_take, &r, err, errcap);
        if (rc == GR_JSONL_TORN) {
            fprintf(stderr, "report: %s\n", err);
            rc = 0;
        }
    }
    char data[4096];
    snprintf(data, sizeof data, "%s/data", dir);
    if (!rc && ((mkdir(dir, 0777) && errno != EEXIST) || (mkdir(data, 0777) && errno != EEXIST))) {
        snprintf(err, errcap, "cannot create %s: %s", data, strerror(errno));
        rc = -3;
    }
    if (!rc) {
        size_t km[32] = {0}, tl[32] = {0};
        struct gr_report_timeline lines[32];
        for (size_t v = 0; v < r.nv; v++)
            if (gr_report_timeline_load(&r.v[v], &lines[v]))
                fprintf(stderr, "report: no memory for the timeline of %s\n", r.v[v].name);
        double window_s = gr_report_avg_window(lines, r.nv);
        for (size_t v = 0; v < r.nv; v++) {
            km[v] = gr_report_survival(dir, &r.v[v]);
            tl[v] = gr_report_timeline(dir, &r.v[v], &lines[v], window_s);
            gr_report_timeline_free(&lines[v]);
            st->trials += json_array_size(r.v[v].trials);
            st->samples += json_array_size(r.v[v].samples);
        }
        size_t nmeas = gr_report_measures(dir, r.measures);
        char charts[4][32];
        int nc = gr_report_script(dir, &r, km, tl, window_s, nmeas, charts);
        int plot_rc = 0;
        if (nc > 0) {
            plot_rc = gr_gnuplot_run(dir, gnuplot ? gnuplot : "gnuplot", "charts.gp", "charts.log",
                                     err, errcap);
            st->gnuplot_found = plot_rc != 1;
            if (plot_rc == 0)
                st->charts = (size_t)nc * 2;
        }
        FILE *md = gr_report_open(dir, "report.md", "w");
        if (!md) {
            snprintf(err, errcap, "cannot write %s/report.md", dir);
            rc = -3;
        } else {
            gr_report_markdown(md, &r, inputs, n, charts, nc < 0 ? 0 : nc, plot_rc);
            fclose(md);
        }
        st->jobs = json_array_size(r.jobs);
        st->measures = json_array_size(r.measures);
        st->variants = r.nv;
        st->charts_failed = plot_rc < 0;
    }
    for (size_t v = 0; v < r.nv; v++) {
        json_decref(r.v[v].trials);
        json_decref(r.v[v].samples);
    }
    json_decref(r.jobs);
    json_decref(r.measures);
    json_decref(r.models);
    json_decref(r.predictions);
    return rc;
}
