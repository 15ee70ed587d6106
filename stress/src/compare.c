/*
 * compare.c - see compare.h. Each side's trials are loaded into KM
 * observations (a failure at ttf_s, a survivor censored at duration_s);
 * the message table keeps Go's two fatal errors in fixed first rows so
 * that the split between them reads the same for every pair of inputs.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "georace/compare.h"
#include "georace/gnuplot.h"
#include "georace/jsonl.h"

static const char *const gr_compare_fixed[] = {"fatal error: concurrent map writes",
                                               "fatal error: concurrent map read and map write"};

struct gr_compare_loader {
    gr_compare *c;
    int side;
    size_t cap;
    char *err;
    size_t errcap;
    int rc;
};

static void
gr_compare_job(gr_compare_side *s, json_t *o)
{
    if (s->have_job)
        return;
    s->have_job = true;
    snprintf(s->profile, sizeof s->profile, "%s", gr_jsonl_str(o, "profile", "?"));
    s->rate = gr_jsonl_num(o, "rate", -1);
    s->miss_cost_ns = gr_jsonl_num(o, "miss_cost_ns", -1);
    s->clear_s = gr_jsonl_num(o, "cache_clear_s", -1);
    s->threads = gr_jsonl_str(o, "subject", NULL) ? -1 : (int)gr_jsonl_num(o, "threads", -1);
    snprintf(s->build, sizeof s->build, "%s", gr_jsonl_str(o, "build", ""));
}

static size_t
gr_compare_message_row(gr_compare *c, const char *text)
{
    for (size_t i = 0; i < c->n_msg; i++)
        if (!strncmp(c->msg[i].text, text, sizeof c->msg[i].text - 1))
            return i;
    if (c->n_msg == GR_COMPARE_MESSAGES)
        return GR_COMPARE_MESSAGES;
    snprintf(c->msg[c->n_msg].text, sizeof c->msg[0].text, "%s", text);
    return c->n_msg++;
}

static void
gr_compare_count_message(gr_compare *c, int side, const char *text)
{
    size_t row = gr_compare_message_row(c, text[0] ? text : "(no message)");
    if (row < GR_COMPARE_MESSAGES)
        c->msg[row].n[side]++;
    else
        c->other[side]++;
}

static void
gr_compare_runtime(gr_compare_side *s, json_t *o)
{
    double la = gr_jsonl_num(o, "loadavg1", -1);
    if (la >= 0) {
        s->load_mean += la;
        s->load_min = s->load_n ? fmin(s->load_min, la) : la;
        s->load_max = s->load_n ? fmax(s->load_max, la) : la;
        s->load_n++;
    }
    int g = (int)gr_jsonl_num(o, "gomaxprocs", -1);
    if (g > 0) {
        s->gomaxprocs_min =
            s->gomaxprocs_min < 0 ? g : (g < s->gomaxprocs_min ? g : s->gomaxprocs_min);
        s->gomaxprocs_max = g > s->gomaxprocs_max ? g : s->gomaxprocs_max;
    }
    int t = (int)gr_jsonl_num(o, "threads", -1);
    if (t > 0 && s->threads < 0)
        s->threads = t;
}

/* 0, or -1 with ld->rc set. */
static int
gr_compare_trial(struct gr_compare_loader *ld, json_t *o)
{
    gr_compare_side *s = &ld->c->side[ld->side];
    const char *variant = gr_jsonl_str(o, "variant", "?");
    if (!s->trials) {
        snprintf(s->variant, sizeof s->variant, "%s", variant);
        snprintf(s->via, sizeof s->via, "%s", gr_jsonl_str(o, "via", "sim"));
        if (!s->have_job)
            snprintf(s->profile, sizeof s->profile, "%s", gr_jsonl_str(o, "profile", "?"));
    } else if (strcmp(s->variant, variant)) {
        snprintf(ld->err, ld->errcap,
                 "%s holds trials of more than one variant (%s, %s): give one variant per file",
                 s->path, s->variant, variant);
        ld->rc = -3;
        return -1;
    }
    if (s->trials == ld->cap) {
        size_t cap = ld->cap ? ld->cap * 2 : 64;
        gr_km_obs *n = realloc(s->obs, cap * sizeof *n);
        if (!n) {
            snprintf(ld->err, ld->errcap, "out of memory reading %s", s->path);
            ld->rc = -2;
            return -1;
        }
        s->obs = n;
        ld->cap = cap;
    }
    bool failed = gr_jsonl_num(o, "failed", 0) != 0;
    double t = gr_jsonl_num(o, failed ? "ttf_s" : "duration_s", 0);
    s->obs[s->trials++] = (gr_km_obs){t > 0 ? t : 0, failed};
    if (failed) {
        s->failures++;
        gr_compare_count_message(ld->c, ld->side, gr_jsonl_str(o, "message", ""));
    } else {
        s->survived++;
    }
    gr_compare_runtime(s, o);
    json_t *m = json_object_get(o, "startup_measured");
    if (json_is_false(m))
        s->startup_unmeasured++;
    return 0;
}

static int
gr_compare_take(json_t *o, void *ctx)
{
    struct gr_compare_loader *ld = ctx;
    if (gr_jsonl_is(o, "job"))
        gr_compare_job(&ld->c->side[ld->side], o);
    else if (gr_jsonl_is(o, "trial"))
        return gr_compare_trial(ld, o);
    return 0;
}

int
gr_compare_load(gr_compare *c, int side, const char *path, char *err, size_t errcap)
{
    if (c->n_msg == 0)
        for (size_t i = 0; i < 2; i++)
            gr_compare_message_row(c, gr_compare_fixed[i]);
    gr_compare_side *s = &c->side[side];
    memset(s, 0, sizeof *s);
    snprintf(s->path, sizeof s->path, "%s", path);
    s->threads = s->gomaxprocs_min = s->gomaxprocs_max = -1;
    s->median_s = -1;
    struct gr_compare_loader ld = {c, side, 0, err, errcap, 0};
    int rc = gr_jsonl_read(path, gr_compare_take, &ld, err, errcap);
    if (ld.rc)
        return ld.rc;
    if (rc == GR_JSONL_TORN) {
        fprintf(stderr, "stress compare: %s\n", err);
        rc = 0;
    }
    if (rc)
        return rc;
    if (!s->trials) {
        snprintf(err, errcap, "%s holds no trial records", path);
        return -3;
    }
    if (s->load_n)
        s->load_mean /= (double)s->load_n;
    return 0;
}

static void
gr_compare_settings(gr_compare *c)
{
    const gr_compare_side *a = &c->side[0], *b = &c->side[1];
    size_t len = 0;
    c->settings_diff[0] = 0;
#define GR_COMPARE_DIFF(cond, ...)                                                                 \
    do {                                                                                           \
        if ((cond) && len < sizeof c->settings_diff) {                                             \
            snprintf(c->settings_diff + len, sizeof c->settings_diff - len, __VA_ARGS__);          \
            len = strlen(c->settings_diff);                                                        \
        }                                                                                          \
    } while (0)
    GR_COMPARE_DIFF(strcmp(a->profile, b->profile), "profile %s vs %s; ", a->profile, b->profile);
    GR_COMPARE_DIFF(!a->have_job || !b->have_job, "a file has no job line; ");
    GR_COMPARE_DIFF(a->have_job && b->have_job && a->rate != b->rate, "rate %g vs %g; ", a->rate,
                    b->rate);
    GR_COMPARE_DIFF(a->have_job && b->have_job && a->miss_cost_ns != b->miss_cost_ns,
                    "miss cost %g vs %g ns; ", a->miss_cost_ns, b->miss_cost_ns);
    GR_COMPARE_DIFF(a->have_job && b->have_job && a->clear_s != b->clear_s,
                    "cache clear %g vs %g s; ", a->clear_s, b->clear_s);
#undef GR_COMPARE_DIFF
    if (len >= 2)
        c->settings_diff[len - 2] = 0;
    c->settings_match = len == 0;
}

int
gr_compare_run(gr_compare *c, unsigned resamples, double level, uint64_t seed)
{
    for (int i = 0; i < 2; i++)
        c->side[i].median_s = gr_boot_km_median(c->side[i].obs, c->side[i].trials);
    gr_compare_settings(c);
    c->level = level;
    return gr_boot_median_ratio(c->side[0].obs, c->side[0].trials, c->side[1].obs,
                                c->side[1].trials, resamples, level, seed, &c->ratio);
}

void
gr_compare_free(gr_compare *c)
{
    for (int i = 0; i < 2; i++) {
        free(c->side[i].obs);
        c->side[i].obs = NULL;
    }
}

static void
gr_compare_fmt_s(char *buf, size_t cap, double s)
{
    if (s < 0)
        snprintf(buf, cap, "not reached");
    else if (s < 1)
        snprintf(buf, cap, "%.1f ms", s * 1e3);
    else
        snprintf(buf, cap, "%.3f s", s);
}

static void
gr_compare_fmt_ratio(char *buf, size_t cap, double r)
{
    if (r < 0)
        snprintf(buf, cap, "n/a");
    else if (isinf(r))
        snprintf(buf, cap, "inf");
    else
        snprintf(buf, cap, "%.3g", r);
}

static void
gr_compare_fmt_runtime(char *buf, size_t cap, const gr_compare_side *s)
{
    if (s->gomaxprocs_min > 0 && s->gomaxprocs_min == s->gomaxprocs_max)
        snprintf(buf, cap, "GOMAXPROCS %d", s->gomaxprocs_min);
    else if (s->gomaxprocs_min > 0)
        snprintf(buf, cap, "GOMAXPROCS %d-%d", s->gomaxprocs_min, s->gomaxprocs_max);
    else if (s->threads > 0)
        snprintf(buf, cap, "%d threads", s->threads);
    else
        snprintf(buf, cap, "unknown");
}

static void
gr_compare_fmt_load(char *buf, size_t cap, const gr_compare_side *s)
{
    if (s->load_n)
        snprintf(buf, cap, "%.2f (%.2f-%.2f)", s->load_mean, s->load_min, s->load_max);
    else
        snprintf(buf, cap, "not recorded");
}

static void
gr_compare_fmt_pct(char *buf, size_t cap, size_t n, size_t of)
{
    if (of)
        snprintf(buf, cap, "%zu (%.0f%%)", n, 100.0 * (double)n / (double)of);
    else
        snprintf(buf, cap, "%zu", n);
}

/* "gomap (sim)", "gomap (sim, tsan build)", "go-map (go-race)" */
static void
gr_compare_label(char *buf, size_t cap, const gr_compare_side *s)
{
    if (s->build[0] && strcmp(s->build, "default"))
        snprintf(buf, cap, "%s (%s, %s build)", s->variant, s->via, s->build);
    else
        snprintf(buf, cap, "%s (%s)", s->variant, s->via);
}

void
gr_compare_print(FILE *f, const gr_compare *c)
{
    const gr_compare_side *a = &c->side[0], *b = &c->side[1];
    char x[160], y[160];
    gr_compare_label(x, sizeof x, a), gr_compare_label(y, sizeof y, b);
    fprintf(f, "\nstress compare: A = %s, B = %s\n\n", x, y);
    fprintf(f, "  %-48s %-22s %s\n", "", "A", "B");
    fprintf(f, "  %-48s %-22s %s\n", "variant", a->variant, b->variant);
    fprintf(f, "  %-48s %-22s %s\n", "profile", a->profile, b->profile);
    if (a->have_job && b->have_job) {
        fprintf(f, "  %-48s %-22g %g\n", "rate (req/s, 0 = flat out)", a->rate, b->rate);
        fprintf(f, "  %-48s %-22g %g\n", "miss cost (us)", a->miss_cost_ns / 1e3,
                b->miss_cost_ns / 1e3);
        fprintf(f, "  %-48s %-22g %g\n", "cache clear (s)", a->clear_s, b->clear_s);
    }
    gr_compare_fmt_runtime(x, sizeof x, a), gr_compare_fmt_runtime(y, sizeof y, b);
    fprintf(f, "  %-48s %-22s %s\n", "threads / GOMAXPROCS", x, y);
    gr_compare_fmt_load(x, sizeof x, a), gr_compare_fmt_load(y, sizeof y, b);
    fprintf(f, "  %-48s %-22s %s\n", "load average, 1 min (mean, min-max)", x, y);
    fprintf(f, "  %-48s %-22zu %zu\n", "trials", a->trials, b->trials);
    fprintf(f, "  %-48s %-22zu %zu\n", "failed", a->failures, b->failures);
    fprintf(f, "  %-48s %-22zu %zu\n", "survived (censored)", a->survived, b->survived);
    fprintf(f, "  %-48s %-22zu %zu\n", "start-up estimated, not measured", a->startup_unmeasured,
            b->startup_unmeasured);
    gr_compare_fmt_s(x, sizeof x, a->median_s), gr_compare_fmt_s(y, sizeof y, b->median_s);
    fprintf(f, "  %-48s %-22s %s\n", "median time to failure (Kaplan-Meier)", x, y);
    for (size_t i = 0; i < c->n_msg; i++) {
        gr_compare_fmt_pct(x, sizeof x, c->msg[i].n[0], a->failures);
        gr_compare_fmt_pct(y, sizeof y, c->msg[i].n[1], b->failures);
        fprintf(f, "  %-48.48s %-22s %s\n", c->msg[i].text, x, y);
    }
    if (c->other[0] || c->other[1])
        fprintf(f, "  %-48s %-22zu %zu\n", "(other messages)", c->other[0], c->other[1]);
    char r[32], lo[32], hi[32];
    gr_compare_fmt_ratio(r, sizeof r, c->ratio.ratio);
    gr_compare_fmt_ratio(lo, sizeof lo, c->ratio.lo);
    gr_compare_fmt_ratio(hi, sizeof hi, c->ratio.hi);
    fprintf(f, "\n  median ratio A/B  %s  (%.0f%% bootstrap CI %s .. %s, %u resamples", r,
            c->level * 100, lo, hi, c->ratio.resamples);
    if (c->ratio.undetermined)
        fprintf(f, ", %u without either median", c->ratio.undetermined);
    fprintf(f, ")\n");
    if (!c->settings_match)
        fprintf(f, "  note: the settings differ: %s\n", c->settings_diff);
    for (int i = 0; i < 2; i++)
        if (c->side[i].startup_unmeasured * 2 > c->side[i].trials)
            fprintf(f,
                    "  note: %c: most trials ended before their first progress sample, so the\n"
                    "  child's start-up was estimated from an earlier trial or not subtracted at\n"
                    "  all: its times may include start-up\n",
                    'A' + i);
}

static json_t *
gr_compare_num_or_null(double v)
{
    if (v < 0)
        return json_null();
    return isinf(v) ? json_string("inf") : json_real(v);
}

static json_t *
gr_compare_side_json(const gr_compare *c, int i)
{
    const gr_compare_side *s = &c->side[i];
    json_t *msgs = json_object();
    for (size_t k = 0; k < c->n_msg; k++)
        json_object_set_new(msgs, c->msg[k].text, json_integer((json_int_t)c->msg[k].n[i]));
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:o, s:o, s:I}", "file", s->path,
                          "variant", s->variant, "via", s->via, "profile", s->profile, "trials",
                          (json_int_t)s->trials, "failed", (json_int_t)s->failures, "survived",
                          (json_int_t)s->survived, "median_s", gr_compare_num_or_null(s->median_s),
                          "messages", msgs, "other_messages", (json_int_t)c->other[i]);
    if (s->have_job) {
        json_object_set_new(o, "rate", json_real(s->rate));
        json_object_set_new(o, "miss_cost_ns", json_real(s->miss_cost_ns));
        json_object_set_new(o, "cache_clear_s", json_real(s->clear_s));
    }
    json_object_set_new(o, "startup_unmeasured", json_integer((json_int_t)s->startup_unmeasured));
    json_object_set_new(o, "build", s->build[0] ? json_string(s->build) : json_null());
    json_object_set_new(o, "threads", s->threads > 0 ? json_integer(s->threads) : json_null());
    json_object_set_new(o, "gomaxprocs",
                        s->gomaxprocs_min > 0 ? json_integer(s->gomaxprocs_min) : json_null());
    json_object_set_new(o, "loadavg1_mean", s->load_n ? json_real(s->load_mean) : json_null());
    json_object_set_new(o, "loadavg1_min", s->load_n ? json_real(s->load_min) : json_null());
    json_object_set_new(o, "loadavg1_max", s->load_n ? json_real(s->load_max) : json_null());
    return o;
}

json_t *
gr_compare_json(const gr_compare *c)
{
    json_t *ratio = json_pack(
        "{s:o, s:o, s:o, s:f, s:I, s:I}", "median_ratio", gr_compare_num_or_null(c->ratio.ratio),
        "ci_low", gr_compare_num_or_null(c->ratio.lo), "ci_high",
        gr_compare_num_or_null(c->ratio.hi), "level", c->level, "resamples",
        (json_int_t)c->ratio.resamples, "undetermined", (json_int_t)c->ratio.undetermined);
    json_t *o = json_pack("{s:s, s:o, s:o, s:o, s:b}", "type", "compare", "a",
                          gr_compare_side_json(c, 0), "b", gr_compare_side_json(c, 1), "ratio",
                          ratio, "settings_match", c->settings_match);
    if (!c->settings_match)
        json_object_set_new(o, "settings_differ", json_string(c->settings_diff));
    return o;
}

static FILE *
gr_compare_open(const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return fopen(path, "w");
}

/* data/survival-a.dat or -b.dat: the KM steps, extended to the longest trial. */
static int
gr_compare_survival(const char *dir, const gr_compare_side *s, char which)
{
    char name[64];
    snprintf(name, sizeof name, "data/survival-%c.dat", which);
    gr_km_obs *obs = malloc(s->trials * sizeof *obs);
    gr_km_point *pts = malloc((s->trials + 1) * sizeof *pts);
    FILE *f = obs && pts ? gr_compare_open(dir, name) : NULL;
    if (!f) {
        free(obs), free(pts);
        return -1;
    }
    memcpy(obs, s->obs, s->trials * sizeof *obs);
    size_t np = gr_km_estimate(obs, s->trials, pts);
    fprintf(f, "# t_s survival at_risk events censored (%s, %s)\n", s->variant, s->path);
    for (size_t k = 0; k < np; k++)
        fprintf(f, "%.6f %.6f %zu %zu %zu\n", pts[k].t, pts[k].s, pts[k].at_risk, pts[k].events,
                pts[k].censored);
    if (obs[s->trials - 1].t > pts[np - 1].t)
        fprintf(f, "%.6f %.6f 0 0 0\n", obs[s->trials - 1].t, pts[np - 1].s);
    int rc = fclose(f) ? -1 : 0;
    free(obs), free(pts);
    return rc;
}

static double
gr_compare_min_positive(const gr_compare *c)
{
    double m = INFINITY;
    for (int i = 0; i < 2; i++)
        for (size_t k = 0; k < c->side[i].trials; k++)
            if (c->side[i].obs[k].t > 0)
                m = fmin(m, c->side[i].obs[k].t);
    return isinf(m) ? 0.001 : m / 2;
}

static int
gr_compare_script(const gr_compare *c, const char *dir)
{
    FILE *g = gr_compare_open(dir, "compare.gp");
    if (!g)
        return -1;
    char ma[32], mb[32], r[32], la[160], lb[160];
    gr_compare_label(la, sizeof la, &c->side[0]);
    gr_compare_label(lb, sizeof lb, &c->side[1]);
    gr_compare_fmt_s(ma, sizeof ma, c->side[0].median_s);
    gr_compare_fmt_s(mb, sizeof mb, c->side[1].median_s);
    gr_compare_fmt_ratio(r, sizeof r, c->ratio.ratio);
    double floor_s = gr_compare_min_positive(c);
    fprintf(g, "# generated by georace stress compare; run with: gnuplot compare.gp\n");
    for (int png = 0; png < 2; png++) {
        if (png)
            fprintf(g, "set terminal pngcairo size 900,540 noenhanced font 'sans,11'\n"
                       "set output 'compare.png'\nreplot\nunset output\n");
        else
            fprintf(g,
                    "set terminal svg size 900,540 dynamic noenhanced font 'sans,12'\n"
                    "set output 'compare.svg'\n"
                    "set title 'Survival (Kaplan-Meier): %s vs %s, %s; median ratio A/B %s'\n"
                    "set xlabel 'time to failure or first report (s, log scale)'\n"
                    "set ylabel 'fraction of trials alive'\nset logscale x\n"
                    "set yrange [0:1.05]\nset grid\nset key top right\n"
                    "set arrow from graph 0, first 0.5 to graph 1, first 0.5 nohead dt 3\n"
                    "plot 'data/survival-a.dat' using ($1 > %g ? $1 : %g):2 with steps lw 2 "
                    "title 'A: %s, median %s', \\\n"
                    "     'data/survival-b.dat' using ($1 > %g ? $1 : %g):2 with steps lw 2 "
                    "title 'B: %s, median %s'\n",
                    c->side[0].variant, c->side[1].variant, c->side[0].profile, r, floor_s, floor_s,
                    la, ma, floor_s, floor_s, lb, mb);
    }
    return fclose(g) ? -1 : 0;
}

int
gr_compare_write(const gr_compare *c, const char *dir, const char *gnuplot, char *err,
                 size_t errcap)
{
    char data[4096];
    snprintf(data, sizeof data, "%s/data", dir);
    if ((mkdir(dir, 0777) && errno != EEXIST) || (mkdir(data, 0777) && errno != EEXIST)) {
        snprintf(err, errcap, "cannot create %s: %s", data, strerror(errno));
        return -3;
    }
    json_t *j = gr_compare_json(c);
    char path[4096];
    snprintf(path, sizeof path, "%s/compare.json", dir);
    int jrc = json_dump_file(j, path, JSON_INDENT(2));
    json_decref(j);
    if (jrc || gr_compare_survival(dir, &c->side[0], 'a') ||
        gr_compare_survival(dir, &c->side[1], 'b') || gr_compare_script(c, dir)) {
        snprintf(err, errcap, "cannot write the comparison into %s", dir);
        return -3;
    }
    return gr_gnuplot_run(dir, gnuplot ? gnuplot : "gnuplot", "compare.gp", "compare.log", err,
                          errcap);
}
