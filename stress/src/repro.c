/*
 * repro.c - the expectations of 'georace repro' (see repro.h), each run as
 * trials in child processes: fork + workload for the default build, exec of
 * the ThreadSanitizer binary for the TSan rows.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "georace/gosubject.h"
#include "georace/repro.h"
#include "georace/traffic.h"
#include "repro_explore.h"

#ifndef GEORACE_SOURCE_DIR
#define GEORACE_SOURCE_DIR "."
#endif

#define GR_REPRO_PROFILE "flood-burst"
#define GR_REPRO_THREADS 4
#define GR_REPRO_MISS_COST_NS 100000ull
#define GR_REPRO_CLEAR_NS 250000000ull

static const char *const gr_repro_fixed[] = {"syncmap", "mutex", "rwlock", "sharded"};

/* The embedded database's address pool, built once and inherited by every
 * forked trial (saves each child its own ~0.4 s build). */
static gr_addrpool *gr_repro_pool;

const char *
gr_repro_verdict_name(gr_repro_verdict v)
{
    static const char *const n[] = {"PASS", "FAIL", "SKIP", "INFO"};
    return n[v];
}

const char *
gr_repro_default_tsan_binary(void)
{
    static char path[4096];
    const char *env = getenv("GEORACE_TSAN_BINARY");
    if (env && *env)
        snprintf(path, sizeof path, "%s", env);
    else
        snprintf(path, sizeof path, "%s/build/tsan/cli/georace", GEORACE_SOURCE_DIR);
    return access(path, X_OK) == 0 ? path : NULL;
}

struct gr_repro_tally {
    unsigned trials, failed, fatal_go, races, errors;
    unsigned map_writes, map_read_write; /* the two messages of fatal_go */
    uint64_t requests, mismatches, backend_errors;
    double exposure_s;
    double ttf[64];
    unsigned n_ttf;
    double first_report_s;
    char messages[3][256];
    int n_messages;
    char error[256];
};

static void
gr_repro_note(struct gr_repro_tally *t, const char *msg)
{
    if (!msg[0])
        return;
    for (int i = 0; i < t->n_messages; i++)
        if (!strncmp(t->messages[i], msg, sizeof t->messages[i] - 1))
            return;
    if (t->n_messages < 3)
        snprintf(t->messages[t->n_messages++], sizeof t->messages[0], "%s", msg);
}

static void
gr_repro_account(struct gr_repro_tally *t, const gr_trial_result *r)
{
    t->trials++;
    t->requests += r->sim.requests;
    t->mismatches += r->sim.mismatches;
    t->backend_errors += r->sim.errors;
    t->exposure_s += r->elapsed_s;
    if (r->outcome == GR_TRIAL_ERROR) {
        t->errors++;
        snprintf(t->error, sizeof t->error, "%s", r->message);
        return;
    }
    if (!gr_trial_failed(r))
        return;
    t->failed++;
    if (r->outcome == GR_TRIAL_FATAL && strstr(r->message, "fatal error: concurrent map")) {
        t->fatal_go++;
        if (strstr(r->message, "map writes"))
            t->map_writes++;
        else if (strstr(r->message, "map read and map write"))
            t->map_read_write++;
    }
    if (r->outcome == GR_TRIAL_RACE)
        t->races++;
    if (t->n_ttf < 64)
        t->ttf[t->n_ttf++] = r->ttf_s;
    if (r->first_report_s >= 0 && (t->first_report_s < 0 || r->first_report_s < t->first_report_s))
        t->first_report_s = r->first_report_s;
    gr_repro_note(t, r->message);
}

static void
gr_repro_base(gr_sim_config *s, const char *variant, uint64_t seed, double seconds)
{
    gr_sim_config_default(s);
    s->profile = GR_REPRO_PROFILE;
    s->variant = variant;
    s->threads = GR_REPRO_THREADS;
    s->rate = 0;
    s->seed = seed;
    s->miss_cost_ns = GR_REPRO_MISS_COST_NS;
    s->clear_interval_ns = GR_REPRO_CLEAR_NS;
    s->duration_ns = (uint64_t)(seconds * 1e9);
    s->backend = GR_GEODB_MMDB;
    s->pool = gr_repro_pool;
}

/* Default-build trials of one variant. */
static void
gr_repro_fork_trials(const gr_repro_opts *o, const gr_sim_config *base, unsigned n,
                     struct gr_repro_tally *t)
{
    memset(t, 0, sizeof *t);
    t->first_report_s = -1;
    double hint = 0;
    for (unsigned k = 0; k < n; k++) {
        gr_trial_spec spec;
        memset(&spec, 0, sizeof spec);
        spec.workload = o->workload;
        spec.sim = *base;
        spec.sim.seed = base->seed + k;
        spec.sample_interval_ns = 10000000;
        spec.deadline_ns = base->duration_ns + 30000000000ull;
        spec.start_offset_hint_s = hint;
        gr_trial_result r;
        if (gr_trial_run(&spec, &r)) {
            snprintf(t->error, sizeof t->error, "cannot fork a trial");
            t->errors++;
            return;
        }
        if (r.start_offset_measured)
            hint = r.start_offset_s;
        gr_repro_account(t, &r);
    }
}

/* One ThreadSanitizer trial of a variant through the tsan binary. */
static void
gr_repro_tsan_trial(const char *bin, const char *variant, double seconds, uint64_t seed,
                    struct gr_repro_tally *t)
{
    memset(t, 0, sizeof *t);
    t->first_report_s = -1;
    char dur[32], seedbuf[32], miss[32], clear[32], threads[16];
    snprintf(dur, sizeof dur, "%.0fms", seconds * 1000);
    snprintf(seedbuf, sizeof seedbuf, "%llu", (unsigned long long)seed);
    snprintf(miss, sizeof miss, "%lluus", GR_REPRO_MISS_COST_NS / 1000);
    snprintf(clear, sizeof clear, "%llums", GR_REPRO_CLEAR_NS / 1000000);
    snprintf(threads, sizeof threads, "%d", GR_REPRO_THREADS);
    char *argv[32];
    int n = 0;
    argv[n++] = (char *)bin;
    argv[n++] = "sim";
    argv[n++] = "--variant";
    argv[n++] = (char *)variant;
    argv[n++] = "--profile";
    argv[n++] = GR_REPRO_PROFILE;
    argv[n++] = "--threads";
    argv[n++] = threads;
    argv[n++] = "--duration";
    argv[n++] = dur;
    argv[n++] = "--rate";
    argv[n++] = "0";
    argv[n++] = "--seed";
    argv[n++] = seedbuf;
    argv[n++] = "--miss-cost";
    argv[n++] = miss;
    argv[n++] = "--cache-clear";
    argv[n++] = clear;
    argv[n++] = "--progress";
    argv[n++] = "0";
    argv[n++] = "--json";
    if (!strcmp(variant, "gomap"))
        argv[n++] = "--no-detector";
    argv[n] = NULL;
    static char tsan_env[] = "TSAN_OPTIONS=halt_on_error=1:exitcode=66:report_signal_unsafe=0";
    char *env[] = {tsan_env, NULL};
    gr_trial_spec spec;
    memset(&spec, 0, sizeof spec);
    spec.exec_argv = argv;
    spec.exec_env_add = env;
    spec.deadline_ns = (uint64_t)(seconds * 1e9) + 60000000000ull;
    gr_trial_result r;
    if (gr_trial_run(&spec, &r)) {
        snprintf(t->error, sizeof t->error, "cannot start %s", bin);
        t->errors++;
        return;
    }
    gr_repro_account(t, &r);
}

static int
gr_repro_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double
gr_repro_median(double *v, unsigned n)
{
    qsort(v, n, sizeof *v, gr_repro_cmp);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

struct gr_repro_ctx {
    const gr_repro_opts *o;
    gr_repro_row *rows;
    size_t n;
    bool ok;
};

static gr_repro_row *
gr_repro_row_new(struct gr_repro_ctx *c, const char *expectation, const char *variant,
                 const char *build)
{
    gr_repro_row *r = &c->rows[c->n];
    memset(r, 0, sizeof *r);
    snprintf(r->expectation, sizeof r->expectation, "%s", expectation);
    snprintf(r->variant, sizeof r->variant, "%s", variant);
    snprintf(r->build, sizeof r->build, "%s", build);
    return r;
}

static void
gr_repro_row_done(struct gr_repro_ctx *c, gr_repro_row *r)
{
    if (r->verdict == GR_REPRO_FAIL)
        c->ok = false;
    c->n++;
    if (c->o->on_row)
        c->o->on_row(r, c->o->ctx);
}

static void
gr_repro_messages(char *buf, size_t cap, const struct gr_repro_tally *t)
{
    size_t len = strlen(buf);
    for (int i = 0; i < t->n_messages && len < cap; i++) {
        snprintf(buf + len, cap - len, "%s\"%s\"", len ? "; " : "", t->messages[i]);
        len = strlen(buf);
    }
}

static void
gr_repro_row_gomap(struct gr_repro_ctx *c)
{
    const gr_repro_opts *o = c->o;
    gr_repro_row *r = gr_repro_row_new(c, "1. crashes in every trial", "gomap", "default");
    gr_sim_config s;
    gr_repro_base(&s, "gomap", 1, o->seconds);
    struct gr_repro_tally t;
    gr_repro_fork_trials(o, &s, o->trials, &t);
    snprintf(r->result, sizeof r->result, "%u/%u trials died with Go's fatal error", t.fatal_go,
             t.trials);
    if (t.n_ttf) {
        double max = 0;
        for (unsigned i = 0; i < t.n_ttf; i++)
            max = t.ttf[i] > max ? t.ttf[i] : max;
        snprintf(r->figures, sizeof r->figures, "ttf median %.3f s, max %.3f s",
                 gr_repro_median(t.ttf, t.n_ttf), max);
    }
    gr_repro_messages(r->figures, sizeof r->figures, &t);
    if (t.errors)
        snprintf(r->figures, sizeof r->figures, "error: %s", t.error);
    r->verdict = t.trials >= 10 && t.fatal_go == t.trials ? GR_REPRO_PASS : GR_REPRO_FAIL;
    gr_repro_row_done(c, r);
}

static void
gr_repro_row_tsan_race(struct gr_repro_ctx *c, const char *bin, const char *expectation,
                       const char *variant)
{
    gr_repro_row *r = gr_repro_row_new(c, expectation, variant, "tsan");
    if (!bin) {
        snprintf(r->result, sizeof r->result, "skipped: no ThreadSanitizer build");
        snprintf(r->figures, sizeof r->figures,
                 "build it with 'cmake --workflow --preset tsan' or pass --tsan-binary");
        r->verdict = GR_REPRO_SKIP;
        gr_repro_row_done(c, r);
        return;
    }
    struct gr_repro_tally t;
    gr_repro_tsan_trial(bin, variant, c->o->seconds * 3, 1, &t);
    if (t.races) {
        snprintf(r->result, sizeof r->result, "ThreadSanitizer reported");
        snprintf(r->figures, sizeof r->figures,
                 "first report %.2f s after exec (incl. TSan start-up)", t.first_report_s);
        gr_repro_messages(r->figures, sizeof r->figures, &t);
        r->verdict = GR_REPRO_PASS;
    } else {
        snprintf(r->result, sizeof r->result, "no ThreadSanitizer report");
        if (t.errors)
            snprintf(r->figures, sizeof r->figures, "error: %s", t.error);
        else
            gr_repro_messages(r->figures, sizeof r->figures, &t);
        r->verdict = GR_REPRO_FAIL;
    }
    gr_repro_row_done(c, r);
}

static void
gr_repro_row_naive_data(struct gr_repro_ctx *c)
{
    gr_repro_row *r =
        gr_repro_row_new(c, "3. without TSan (data)", "syncmap+naive-reset", "default");
    gr_sim_config s;
    gr_repro_base(&s, "syncmap+naive-reset", 1, c->o->seconds / 2);
    struct gr_repro_tally t;
    gr_repro_fork_trials(c->o, &s, 1, &t);
    snprintf(r->result, sizeof r->result, "%u/%u trials failed, %llu mismatches", t.failed,
             t.trials, (unsigned long long)t.mismatches);
    snprintf(r->figures, sizeof r->figures, "%llu requests in %.1f s",
             (unsigned long long)t.requests, t.exposure_s);
    gr_repro_messages(r->figures, sizeof r->figures, &t);
    r->verdict = GR_REPRO_INFO;
    gr_repro_row_done(c, r);
}

static void
gr_repro_fixed_row(struct gr_repro_ctx *c, const char *expectation, const char *variant,
                   const char *backend_note, unsigned trials, bool no_miss_cost)
{
    gr_repro_row *r = gr_repro_row_new(c, expectation, variant, "default");
    gr_sim_config s;
    /* the workaround row: trials of half length, several times gomap's usual TTF */
    gr_repro_base(&s, variant, 101, no_miss_cost ? c->o->seconds / 2 : c->o->seconds);
    if (no_miss_cost)
        s.miss_cost_ns = 0;
    struct gr_repro_tally t;
    gr_repro_fork_trials(c->o, &s, trials, &t);
    snprintf(r->result, sizeof r->result, "%u failures, %llu mismatches in %u trials", t.failed,
             (unsigned long long)t.mismatches, t.trials);
    snprintf(r->figures, sizeof r->figures, "%s%llu requests in %.1f s (%.0f req/s)", backend_note,
             (unsigned long long)t.requests, t.exposure_s,
             t.exposure_s > 0 ? (double)t.requests / t.exposure_s : 0.0);
    if (t.failed)
        gr_repro_messages(r->figures, sizeof r->figures, &t);
    if (t.errors)
        snprintf(r->figures, sizeof r->figures, "error: %s", t.error);
    r->verdict = t.trials && !t.failed && !t.mismatches && !t.errors && !t.backend_errors
                     ? GR_REPRO_PASS
                     : GR_REPRO_FAIL;
    gr_repro_row_done(c, r);
}

static void
gr_repro_fixed_tsan_row(struct gr_repro_ctx *c, const char *bin, const char *variant)
{
    gr_repro_row *r = gr_repro_row_new(c, "4. race-free under TSan", variant, "tsan");
    if (!bin) {
        snprintf(r->result, sizeof r->result, "skipped: no ThreadSanitizer build");
        snprintf(r->figures, sizeof r->figures, "'cmake --workflow --preset tsan'");
        r->verdict = GR_REPRO_SKIP;
        gr_repro_row_done(c, r);
        return;
    }
    struct gr_repro_tally t;
    gr_repro_tsan_trial(bin, variant, c->o->seconds / 2, 101, &t);
    snprintf(r->result, sizeof r->result, "%s, %llu mismatches",
             t.races    ? "ThreadSanitizer reported"
             : t.failed ? "failed"
                        : "no report",
             (unsigned long long)t.mismatches);
    snprintf(r->figures, sizeof r->figures, "%llu requests in %.1f s",
             (unsigned long long)t.requests, t.exposure_s);
    gr_repro_messages(r->figures, sizeof r->figures, &t);
    if (t.errors)
        snprintf(r->figures, sizeof r->figures, "error: %s", t.error);
    r->verdict =
        t.trials && !t.failed && !t.mismatches && !t.errors ? GR_REPRO_PASS : GR_REPRO_FAIL;
    gr_repro_row_done(c, r);
}

/* The Go peer under the accelerated scenario: same profile, flat out, the
 * same miss cost and clear ticker, ranges binary-searched so the miss cost
 * alone prices a miss (threads do not apply: a goroutine per request). */
static void
gr_repro_go_base(gr_sim_config *s, const char *subject, uint64_t seed, double seconds)
{
    gr_repro_base(s, subject, seed, seconds);
    s->backend = GR_GEODB_SCAN_BSEARCH;
}

/* Sets the peer (or its -race build) up for the row's trials in *go; true.
 * Without one, the row is a SKIP with a notice; false. */
static bool
gr_repro_go_prepare(struct gr_repro_ctx *c, gr_repro_row *r, bool race, gr_repro_opts *go)
{
    const char *peer = gr_gosubject_default_peer(race);
    if (peer) {
        gr_gosubject_config gc = {peer, race, 0};
        gr_gosubject_use(&gc);
        *go = *c->o;
        go->workload = gr_gosubject_run;
        return true;
    }
    snprintf(r->result, sizeof r->result, "skipped: no Go peer%s in this build",
             race ? " -race build" : "");
    snprintf(r->figures, sizeof r->figures,
             "georace-gopeer%s is built when a Go toolchain (1.19+, Debian golang-go) is "
             "found at configure time; or set %s",
             race ? "-race" : "", race ? "GEORACE_GOPEER_RACE" : "GEORACE_GOPEER");
    r->verdict = GR_REPRO_SKIP;
    gr_repro_row_done(c, r);
    return false;
}

static void
gr_repro_row_go_map(struct gr_repro_ctx *c)
{
    gr_repro_row *r = gr_repro_row_new(c, "6. the real Go map dies", "go-map", "go");
    gr_repro_opts go;
    if (!gr_repro_go_prepare(c, r, false, &go))
        return;
    gr_sim_config s;
    /* A dying trial ends at its death, so a long limit costs little; Go's
     * times have a long tail (most die in well under a second, a few take
     * seconds), so a survivor of the limit is censored, not a failure of
     * the row: it holds when most trials died of Go's fatal error (the
     * median is reached) and none ended any other way. */
    double limit = c->o->seconds * 5;
    gr_repro_go_base(&s, "go-map", 1, limit);
    struct gr_repro_tally t;
    gr_repro_fork_trials(&go, &s, c->o->trials, &t);
    unsigned survived = t.trials - t.failed - t.errors;
    snprintf(r->result, sizeof r->result, "%u/%u trials died with Go's own fatal error", t.fatal_go,
             t.trials);
    double median = -1;
    if (2 * t.fatal_go > t.trials && t.n_ttf == t.fatal_go) {
        /* survivors outlast every death: the median over all trials is the
         * (trials/2)-th smallest death time, as Kaplan-Meier gives it */
        qsort(t.ttf, t.n_ttf, sizeof *t.ttf, gr_repro_cmp);
        median = t.ttf[(t.trials + 1) / 2 - 1];
    }
    snprintf(r->figures, sizeof r->figures,
             "ttf median %.3f s; map writes %u, map read and map write %u; %u survived %.0f s",
             median, t.map_writes, t.map_read_write, survived, limit);
    if (t.errors)
        snprintf(r->figures, sizeof r->figures, "error: %s", t.error);
    r->verdict = t.trials >= 10 && median >= 0 && t.failed == t.fatal_go && !t.errors
                     ? GR_REPRO_PASS
                     : GR_REPRO_FAIL;
    gr_repro_row_done(c, r);
}

/* Up to three runs: the runtime's own crash of the fix (e.g. "sync: unlock
 * of unlocked mutex") can come before the detector's first report. */
static void
gr_repro_row_go_race(struct gr_repro_ctx *c)
{
    gr_repro_row *r =
        gr_repro_row_new(c, "7. go -race reports the shipped fix", "go-syncmap-reset", "go-race");
    gr_repro_opts go;
    if (!gr_repro_go_prepare(c, r, true, &go))
        return;
    struct gr_repro_tally t;
    unsigned runs = 0;
    char earlier[256] = "";
    do {
        gr_sim_config s;
        gr_repro_go_base(&s, "go-syncmap-reset", 1 + runs, c->o->seconds * 3);
        gr_repro_fork_trials(&go, &s, 1, &t);
        if (!t.races && t.n_messages && !earlier[0])
            snprintf(earlier, sizeof earlier, "%s", t.messages[0]);
    } while (++runs < 3 && !t.races && !t.errors);
    if (t.races) {
        snprintf(r->result, sizeof r->result, "Go's race detector reported (run %u of %u)", runs,
                 runs);
        snprintf(r->figures, sizeof r->figures, "first report %.3f s after start", t.ttf[0]);
        if (earlier[0]) {
            size_t len = strlen(r->figures);
            snprintf(r->figures + len, sizeof r->figures - len, "; an earlier run ended \"%.120s\"",
                     earlier);
        }
        r->verdict = GR_REPRO_PASS;
    } else {
        snprintf(r->result, sizeof r->result, "no race report in %u runs", runs);
        if (t.errors)
            snprintf(r->figures, sizeof r->figures, "error: %s", t.error);
        else
            gr_repro_messages(r->figures, sizeof r->figures, &t);
        r->verdict = GR_REPRO_FAIL;
    }
    gr_repro_row_done(c, r);
}

/* 8./9.: controlled scheduling (explore): the buggy variants' shortest
 * failing interleaving, the fixed ones exhausted at k = 2. */
static void
gr_repro_row_explore(struct gr_repro_ctx *c)
{
    static const char *const buggy[] = {"gomap", "syncmap+naive-reset"};
    for (size_t i = 0; i < sizeof buggy / sizeof buggy[0]; i++) {
        gr_repro_row *r =
            gr_repro_row_new(c, "8. explore: shortest failing interleaving", buggy[i], "explore");
        gr_repro_explore_buggy(buggy[i], r);
        gr_repro_row_done(c, r);
    }
    for (size_t i = 0; i < sizeof gr_repro_fixed / sizeof gr_repro_fixed[0]; i++) {
        gr_repro_row *r = gr_repro_row_new(c, "9. explore: exhausted at k=2, no finding",
                                           gr_repro_fixed[i], "explore");
        gr_repro_explore_fixed(gr_repro_fixed[i], 2, r);
        gr_repro_row_done(c, r);
    }
}

size_t
gr_repro_run(const gr_repro_opts *o, gr_repro_row *rows, bool *all_ok)
{
    struct gr_repro_ctx c = {o, rows, 0, true};
    const char *bin = o->tsan_binary ? o->tsan_binary : gr_repro_default_tsan_binary();
    char err[256];
    if (gr_addrpool_default(&gr_repro_pool, err, sizeof err))
        gr_repro_pool = NULL; /* each trial builds its own then */
    gr_repro_row_gomap(&c);
    gr_repro_row_tsan_race(&c, bin, "2. TSan reports the race", "gomap");
    gr_repro_row_tsan_race(&c, bin, "3. TSan reports the race", "syncmap+naive-reset");
    gr_repro_row_naive_data(&c);
    for (size_t i = 0; i < sizeof gr_repro_fixed / sizeof gr_repro_fixed[0]; i++)
        gr_repro_fixed_row(&c, "4. no failure, no mismatch", gr_repro_fixed[i], "", 1, false);
    for (size_t i = 0; i < sizeof gr_repro_fixed / sizeof gr_repro_fixed[0]; i++)
        gr_repro_fixed_tsan_row(&c, bin, gr_repro_fixed[i]);
    gr_repro_fixed_row(&c, "5. FASTLOCATION never crashes", "none",
                       "mmdb lookup, no cache (the workaround); ", 2, true);
    gr_repro_row_go_map(&c);
    gr_repro_row_go_race(&c);
    gr_repro_row_explore(&c);
    gr_addrpool_free(gr_repro_pool);
    gr_repro_pool = NULL;
    *all_ok = c.ok;
    return c.n;
}
