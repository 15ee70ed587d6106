/*
 * cmd_stress.c - 'georace stress': long-duration jobs of trials in child
 * processes (stress/campaign.h), and 'georace stress model|measure', the
 * time-to-failure model (stress/ttfmodel.h, stress/measure.h). The logic is
 * in the stress library; this file parses options and prints.
 */
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "georace/cache.h"
#include "georace/campaign.h"
#include "georace/jsonl.h"
#include "georace/measure.h"
#include "georace/sim.h"
#include "georace/traffic.h"
#include "georace/ttfmodel.h"
#include "georace/viaproxy.h"

static void
stress_usage(FILE *f)
{
    char dbh[1024];
    fprintf(f,
            "usage: georace stress [OPTIONS]\n"
            "       georace stress model [--measure] [OPTIONS]   (see 'stress model --help')\n"
            "\n"
            "Runs trials of one cache variant under one traffic profile, each trial in a\n"
            "child process, so that a crash (the gomap detector's 'fatal error: concurrent\n"
            "map writes') is recorded with its seed, status, message and time-to-failure\n"
            "and the job goes on. Every answer is checked against ground truth.\n"
            "\n"
            "  --variant V         cache variant: gomap, syncmap+naive-reset, syncmap,\n"
            "                      mutex, rwlock, sharded, none (default gomap)\n"
            "  --profile P         traffic profile name or JSON file (default zoraxy-home)\n"
            "  --duration D        keep running trials until D has passed (e.g. 40m)\n"
            "  --trials N          run N trials (default 10 when --duration is not given)\n"
            "  --trial-duration D  length of one trial (default: 10s with --trials, the\n"
            "                      time left with --duration)\n"
            "  --via sim|proxy     in-process simulator (default) or the real HTTP proxy,\n"
            "                      upstream and load generator as processes on loopback\n"
            "  --threads T         worker threads / proxy workers (default 4)\n"
            "  --rate R            requests/s over all threads; 0 = flat out (default: the\n"
            "                      profile's rate)\n"
            "  --seed S            seed of trial 0; trial k uses S+k (default 1)\n"
            "  --seed-range A-B    trials k = 0..B-A with seeds A..B\n"
            "  --shard I/N         run only trials with k mod N == I\n"
            "  --window-ns N       widen gomap's write critical section by N ns\n"
            "  --no-detector       turn gomap's Go-style detector off\n"
            "  --stripes N         sharded: number of stripes\n"
            "  --miss-cost D       extra cost of every backend lookup (e.g. 30ms)\n"
            "  --cache-clear D     cache clear ticker (default 15m, 0 = never)\n"
            "  --out FILE          append JSON lines (job, trial, sample records)\n"
            "  --sample-interval D progress sample period (default 250ms)\n"
            "  --expect survive|fail|any\n"
            "                      exit status policy (default: survive for fixed variants,\n"
            "                      any for gomap and syncmap+naive-reset)\n"
            "  --json              print the summary as JSON on stdout\n"
            "%s"
            "\n"
            "exit status: 0 expectation met, 1 not met (failures or mismatches with\n"
            "'survive', no failure with 'fail', or trials that could not run), 64 usage,\n"
            "65 malformed profile, 66 missing profile or output file.\n",
            gr_cli_db_help(dbh, sizeof dbh, 22));
}

enum stress_expect {
    STRESS_EXPECT_DEFAULT,
    STRESS_EXPECT_SURVIVE,
    STRESS_EXPECT_FAIL,
    STRESS_EXPECT_ANY
};

static int gr_cmd_stress_model(int argc, char **argv);

static bool
stress_variant_known(const char *v)
{
    for (const char *const *n = gr_cache_variant_names(); *n; n++)
        if (!strcmp(*n, v))
            return true;
    return !strcmp(v, "none");
}

static void
stress_print_summary(FILE *f, const gr_campaign *c, const gr_campaign_summary *s)
{
    fprintf(f, "\nstress summary: variant %s, profile %s, via %s\n", c->variant, c->profile,
            c->via);
    fprintf(f, "  trials      %" PRIu64 " in %.1f s (exposure %.1f s)\n", s->trials, s->elapsed_s,
            s->exposure_s);
    fprintf(f,
            "  outcomes    survived %" PRIu64 ", fatal %" PRIu64 ", race %" PRIu64
            ", crash %" PRIu64 ", hung %" PRIu64 ", error %" PRIu64 "\n",
            s->by_outcome[GR_TRIAL_SURVIVED], s->by_outcome[GR_TRIAL_FATAL],
            s->by_outcome[GR_TRIAL_RACE], s->by_outcome[GR_TRIAL_CRASH],
            s->by_outcome[GR_TRIAL_HUNG], s->by_outcome[GR_TRIAL_ERROR]);
    fprintf(f, "  failures    %" PRIu64 "\n", s->failures);
    if (s->failures)
        fprintf(f, "  ttf         min %.3f s, median %.3f s, max %.3f s\n", s->ttf_min_s,
                s->ttf_median_s, s->ttf_max_s);
    for (int i = 0; i < s->n_messages; i++)
        fprintf(f, "  message     %s\n", s->messages[i]);
    double hr = gr_campaign_hit_ratio(s); /* < 0: no trial's hits are known */
    if (hr < 0)
        fprintf(f, "  requests    %" PRIu64 " (hit ratio n/a)\n", s->requests);
    else
        fprintf(f, "  requests    %" PRIu64 " (hit ratio %.1f%%)\n", s->requests, 100.0 * hr);
    fprintf(f, "  mismatches  %" PRIu64 "\n  errors      %" PRIu64 "\n", s->mismatches, s->errors);
    if (s->rss_known)
        fprintf(f, "  max cache   %zu entries, max RSS %.1f MiB\n", s->cache_len_max,
                (double)s->rss_max_kb / 1024);
    else
        fprintf(f, "  max cache   %zu entries, max RSS n/a\n", s->cache_len_max);
}

static json_t *
stress_summary_json(const gr_campaign *c, const gr_campaign_summary *s)
{
    json_t *msgs = json_array();
    for (int i = 0; i < s->n_messages; i++)
        json_array_append_new(msgs, json_string(s->messages[i]));
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:f, s:f, s:o}", "type",
                          "summary", "variant", c->variant, "profile", c->profile, "via", c->via,
                          "trials", (json_int_t)s->trials, "failures", (json_int_t)s->failures,
                          "mismatches", (json_int_t)s->mismatches, "errors", (json_int_t)s->errors,
                          "requests", (json_int_t)s->requests, "elapsed_s", s->elapsed_s,
                          "exposure_s", s->exposure_s, "messages", msgs);
    json_t *outc = json_object();
    for (int i = 0; i <= GR_TRIAL_ERROR; i++)
        json_object_set_new(outc, gr_trial_outcome_name((gr_trial_outcome)i),
                            json_integer((json_int_t)s->by_outcome[i]));
    json_object_set_new(o, "outcomes", outc);
    if (s->failures) {
        json_object_set_new(o, "ttf_median_s", json_real(s->ttf_median_s));
        json_object_set_new(o, "ttf_min_s", json_real(s->ttf_min_s));
        json_object_set_new(o, "ttf_max_s", json_real(s->ttf_max_s));
    }
    json_object_set_new(o, "cache_len_max", json_integer((json_int_t)s->cache_len_max));
    json_object_set_new(o, "rss_max_kb",
                        s->rss_known ? json_integer((json_int_t)s->rss_max_kb) : json_null());
    double hr = gr_campaign_hit_ratio(s);
    json_object_set_new(o, "hit_ratio", hr < 0 ? json_null() : json_real(hr));
    return o;
}

int
gr_cmd_stress(int argc, char **argv)
{
    if (argc > 1 && (!strcmp(argv[1], "model") || !strcmp(argv[1], "measure")))
        return gr_cmd_stress_model(argc - 1, argv + 1);
    static const struct option opts[] = {{"variant", required_argument, 0, 'v'},
                                         {"profile", required_argument, 0, 'p'},
                                         {"duration", required_argument, 0, 'd'},
                                         {"trials", required_argument, 0, 'n'},
                                         {"trial-duration", required_argument, 0, 'D'},
                                         {"via", required_argument, 0, 'V'},
                                         {"threads", required_argument, 0, 't'},
                                         {"rate", required_argument, 0, 'r'},
                                         {"seed", required_argument, 0, 's'},
                                         {"seed-range", required_argument, 0, 'S'},
                                         {"shard", required_argument, 0, 'H'},
                                         {"window-ns", required_argument, 0, 'w'},
                                         {"no-detector", no_argument, 0, 'N'},
                                         {"stripes", required_argument, 0, 'x'},
                                         {"miss-cost", required_argument, 0, 'm'},
                                         {"cache-clear", required_argument, 0, 'c'},
                                         {"out", required_argument, 0, 'o'},
                                         {"sample-interval", required_argument, 0, 'i'},
                                         {"expect", required_argument, 0, 'e'},
                                         {"json", no_argument, 0, 'j'},
                                         {"backend", required_argument, 0, 'B'},
                                         {"db", required_argument, 0, 'b'},
                                         {"csv", required_argument, 0, 'C'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    gr_campaign c;
    gr_campaign_init(&c);
    gr_sim_config_default(&c.sim);
    c.variant = "gomap";
    c.profile = "zoraxy-home";
    c.sim.threads = 4;
    c.sim.rate = -1; /* the profile's */
    c.sim.clear_interval_ns = 15ull * 60 * 1000000000ull;
    c.seed_first = 1;
    gr_cli_db db;
    gr_cli_db_init(&db);
    const char *out_path = NULL;
    bool json = false, have_duration = false;
    enum stress_expect expect = STRESS_EXPECT_DEFAULT;
    uint64_t u;
    int ch, idx;
    optind = 1;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, ":h", opts, &idx)) != -1) {
        switch (ch) {
        case 'v':
            c.variant = optarg;
            break;
        case 'p':
            c.profile = optarg;
            break;
        case 'd':
            if (gr_cli_parse_duration(optarg, &c.duration_ns) || !c.duration_ns)
                goto bad;
            have_duration = true;
            break;
        case 'n':
            if (gr_cli_parse_u64(optarg, &c.trials) || !c.trials)
                goto bad;
            break;
        case 'D':
            if (gr_cli_parse_duration(optarg, &c.trial_duration_ns) || !c.trial_duration_ns)
                goto bad;
            break;
        case 'V':
            if (strcmp(optarg, "sim") && strcmp(optarg, "proxy"))
                goto bad;
            c.via = optarg;
            break;
        case 't':
            if (gr_cli_parse_u64(optarg, &u) || !u || u > 1024)
                goto bad;
            c.sim.threads = (unsigned)u;
            break;
        case 'r': {
            char *end;
            c.sim.rate = strtod(optarg, &end);
            if (*end || c.sim.rate < 0)
                goto bad;
            break;
        }
        case 's':
            if (gr_cli_parse_u64(optarg, &c.seed_first))
                goto bad;
            break;
        case 'S':
            if (gr_campaign_parse_seed_range(optarg, &c.seed_first, &c.seed_last))
                goto bad;
            c.has_seed_last = true;
            break;
        case 'H':
            if (gr_campaign_parse_shard(optarg, &c.shard_index, &c.shard_count))
                goto bad;
            break;
        case 'w':
            if (gr_cli_parse_u64(optarg, &c.sim.cache.window_ns))
                goto bad;
            break;
        case 'N':
            c.sim.cache.detector = false;
            break;
        case 'x':
            if (gr_cli_parse_u64(optarg, &u) || u > 65536)
                goto bad;
            c.sim.cache.stripes = (unsigned)u;
            break;
        case 'm':
            if (gr_cli_parse_duration(optarg, &c.sim.miss_cost_ns))
                goto bad;
            break;
        case 'c':
            if (gr_cli_parse_duration(optarg, &c.sim.clear_interval_ns))
                goto bad;
            break;
        case 'o':
            out_path = optarg;
            break;
        case 'i':
            if (gr_cli_parse_duration(optarg, &c.sample_interval_ns) || !c.sample_interval_ns)
                goto bad;
            break;
        case 'e':
            if (!strcmp(optarg, "survive"))
                expect = STRESS_EXPECT_SURVIVE;
            else if (!strcmp(optarg, "fail"))
                expect = STRESS_EXPECT_FAIL;
            else if (!strcmp(optarg, "any"))
                expect = STRESS_EXPECT_ANY;
            else
                goto bad;
            break;
        case 'j':
            json = true;
            break;
        case 'B':
        case 'b':
        case 'C':
            if (gr_cli_db_arg("stress", &db, opts[idx].name, optarg))
                return GR_EXIT_USAGE;
            break;
        case 'h':
            stress_usage(stdout);
            return GR_EXIT_OK;
        default:
            gr_cli_bad_option("stress", ch, argv);
            return GR_EXIT_USAGE;
        }
        continue;
    bad:
        gr_cli_error("stress", "bad value for --%s: '%s'", opts[idx].name, optarg);
        return GR_EXIT_USAGE;
    }
    if (gr_cli_no_operands("stress", argc, argv))
        return GR_EXIT_USAGE;
    if (have_duration && c.trials) {
        gr_cli_error("stress", "give --duration or --trials, not both");
        return GR_EXIT_USAGE;
    }
    if (!stress_variant_known(c.variant)) {
        gr_cli_error("stress", "unknown variant '%s'", c.variant);
        return GR_EXIT_USAGE;
    }
    gr_profile prof;
    char err[512];
    int prc = gr_profile_load(c.profile, &prof, err, sizeof err);
    if (prc) {
        gr_cli_error("stress", "%s", err);
        return prc == GR_TRAFFIC_ENOENT ? GR_EXIT_NOINPUT : GR_EXIT_DATAERR;
    }
    if (!have_duration && !c.trials)
        c.trials = c.has_seed_last ? c.seed_last - c.seed_first + 1 : 10;
    if (c.trials && !c.trial_duration_ns)
        c.trial_duration_ns = 10ull * 1000000000ull;
    c.sim.profile = c.profile;
    c.sim.variant = c.variant;
    c.sim.backend = db.kind;
    c.sim.mmdb_path = db.mmdb_path;
    c.sim.csv_path = db.n_csv ? db.csv_paths[0] : NULL;
    c.workload = strcmp(c.via, "proxy") ? gr_sim_run : gr_viaproxy_run;
    /* the embedded database's address pool: built once, inherited by trials */
    gr_addrpool *pool = NULL;
    if (c.workload == gr_sim_run && !db.mmdb_path && !db.n_csv &&
        gr_addrpool_default(&pool, err, sizeof err) == 0)
        c.sim.pool = pool;
    if (expect == STRESS_EXPECT_DEFAULT)
        expect = gr_cache_variant_is_buggy(c.variant) ? STRESS_EXPECT_ANY : STRESS_EXPECT_SURVIVE;

    FILE *out = NULL;
    if (out_path) {
        out = fopen(out_path, "a");
        if (!out) {
            gr_cli_error("stress", "cannot open %s for writing", out_path);
            return GR_EXIT_NOINPUT;
        }
    }
    c.out = out;
    gr_campaign_display disp = {stderr, gr_cli_is_tty(stderr), 10.0, 0, 0};
    c.on_status = gr_campaign_display_status;
    c.ctx = &disp;
    gr_campaign_summary sum;
    int rc = gr_campaign_run(&c, &sum);
    gr_campaign_display_end(&disp);
    gr_addrpool_free(pool);
    if (rc) {
        if (out)
            fclose(out);
        gr_cli_error("stress", "cannot start trials (fork/pipe failed)");
        return GR_EXIT_SOFTWARE;
    }
    json_t *sj = stress_summary_json(&c, &sum);
    if (out) {
        gr_jsonl_write(out, sj);
        fclose(out);
    }
    if (json) {
        json_dumpf(sj, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
    } else {
        stress_print_summary(stdout, &c, &sum);
    }
    json_decref(sj);
    uint64_t errors = sum.by_outcome[GR_TRIAL_ERROR];
    if (errors && errors == sum.trials) {
        gr_cli_error("stress", "no trial could run: %s", sum.n_messages ? sum.messages[0] : "?");
        return GR_EXIT_FAIL;
    }
    switch (expect) {
    case STRESS_EXPECT_SURVIVE:
        return sum.failures || sum.mismatches || errors ? GR_EXIT_FAIL : GR_EXIT_OK;
    case STRESS_EXPECT_FAIL:
        return sum.failures ? GR_EXIT_OK : GR_EXIT_FAIL;
    default:
        return errors ? GR_EXIT_FAIL : GR_EXIT_OK;
    }
}

/* ---- 'georace stress model' / 'georace stress measure' ------------------ */

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

struct model_opts {
    double budget_s, trial_max_s;
    uint64_t seed;
    double go_window_ns, miss_cost_s, arrival_s, clear_s;
    uint64_t rates[16];
    int n_rates;
    bool json;
};

static double
model_predict(const struct model_opts *o, const gr_ttf_model *m, const gr_profile *prof,
              double req_s, double miss_cost_s, double window_ns, double *write_s, double *pair_s)
{
    gr_ttf_traffic t = {
        .req_s = req_s,
        .requests_per_event = gr_profile_mean_requests_per_event(prof),
        .pageview_share = 1 - prof->scanner_share - prof->spray_share - prof->reserved_share,
        .new_share = prof->new_visitor_share,
        .scanner_share = prof->scanner_share,
        .reserved_share = prof->reserved_share,
        .burst = prof->burst_mean,
        .population = prof->population,
        .zipf_s = prof->zipf_s,
        .clear_s = o->clear_s,
        .miss_cost_s = miss_cost_s,
        .arrival_s = o->arrival_s,
    };
    double access_s;
    gr_ttf_traffic_rates(&t, write_s, &access_s, pair_s);
    /* in Zoraxy every goroutine is "another thread"; the real burst spread
     * starts at the network arrival spread, not the simulator's d0 */
    gr_ttf_model real = *m;
    real.d0_s = o->arrival_s;
    return gr_ttf_hazard(&real, *write_s, access_s, *pair_s, window_ns / 1e9, miss_cost_s);
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

static int
model_load_points(const char *path, gr_ttf_point **pts, size_t *n, size_t *cap)
{
    json_t *arr = json_array();
    char err[512];
    int rc = gr_jsonl_load(path, arr, err, sizeof err);
    if (rc == GR_JSONL_TORN)
        gr_cli_error("stress", "%s", err);
    else if (rc) {
        gr_cli_error("stress", "%s", err);
        json_decref(arr);
        return rc == -1 ? GR_EXIT_NOINPUT : GR_EXIT_DATAERR;
    }
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        gr_ttf_point p;
        if (gr_measure_point_from_json(v, &p))
            continue;
        if (*n == *cap) {
            *cap = *cap ? *cap * 2 : 32;
            *pts = realloc(*pts, *cap * sizeof **pts);
        }
        (*pts)[(*n)++] = p;
    }
    json_decref(arr);
    return 0;
}

static int
gr_cmd_stress_model(int argc, char **argv)
{
    bool measure_only = !strcmp(argv[0], "measure");
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
    struct model_opts o = {4, 2, 1, 50, 0.030, 0.002, 900, {2, 5, 10, 20, 50}, 5, false};
    const char *inputs[16];
    int n_in = 0;
    bool measure = false;
    const char *out_path = NULL;
    uint64_t ns;
    int ch, idx;
    optind = 1;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, ":h", opts, &idx)) != -1) {
        switch (ch) {
        case 'M':
            measure = true;
            break;
        case 'I':
            if (n_in == 16)
                goto bad;
            inputs[n_in++] = optarg;
            break;
        case 'b':
            if (gr_cli_parse_duration(optarg, &ns) || !ns)
                goto bad;
            o.budget_s = (double)ns / 1e9;
            break;
        case 'T':
            if (gr_cli_parse_duration(optarg, &ns) || !ns)
                goto bad;
            o.trial_max_s = (double)ns / 1e9;
            break;
        case 's':
            if (gr_cli_parse_u64(optarg, &o.seed))
                goto bad;
            break;
        case 'o':
            out_path = optarg;
            break;
        case 'g':
            if (gr_cli_parse_u64(optarg, &ns) || !ns)
                goto bad;
            o.go_window_ns = (double)ns;
            break;
        case 'm':
            if (gr_cli_parse_duration(optarg, &ns))
                goto bad;
            o.miss_cost_s = (double)ns / 1e9;
            break;
        case 'a':
            if (gr_cli_parse_duration(optarg, &ns) || !ns)
                goto bad;
            o.arrival_s = (double)ns / 1e9;
            break;
        case 'c':
            if (gr_cli_parse_duration(optarg, &ns))
                goto bad;
            o.clear_s = (double)ns / 1e9;
            break;
        case 'r':
            o.n_rates = gr_cli_parse_u64_list(optarg, o.rates, 16);
            if (o.n_rates < 1)
                goto bad;
            break;
        case 'j':
            o.json = true;
            break;
        case 'h':
            model_usage(stdout);
            return GR_EXIT_OK;
        default:
            gr_cli_bad_option("stress", ch, argv);
            return GR_EXIT_USAGE;
        }
        continue;
    bad:
        gr_cli_error("stress", "bad value for --%s: '%s'", opts[idx].name, optarg);
        return GR_EXIT_USAGE;
    }
    if (gr_cli_no_operands("stress", argc, argv))
        return GR_EXIT_USAGE;
    if (n_in == 0 || measure_only)
        measure = true;
    FILE *out = NULL;
    if (out_path && !(out = fopen(out_path, "a"))) {
        gr_cli_error("stress", "cannot open %s for writing", out_path);
        return GR_EXIT_NOINPUT;
    }
    gr_ttf_model model;
    memset(&model, 0, sizeof model);
    model.w0_ns = gr_measure_gomap_put_ns();
    gr_ttf_point *pts = NULL;
    size_t n = 0, cap = 0;
    for (int i = 0; i < n_in; i++) {
        int rc = model_load_points(inputs[i], &pts, &n, &cap);
        if (rc) {
            free(pts);
            if (out)
                fclose(out);
            return rc;
        }
    }
    FILE *con = o.json ? stderr : stdout;
    if (measure) {
        const gr_measure_cond *grid = gr_measure_default_grid();
        size_t ng = 0;
        while (grid[ng].profile)
            ng++;
        fprintf(con, "measuring %zu points, %.1f s each (gomap, detector on; C put time %.0f ns)\n",
                ng, o.budget_s, model.w0_ns);
        for (size_t i = 0; i < ng; i++) {
            gr_ttf_point p;
            char err[256] = "";
            if (gr_measure_point(&grid[i], gr_sim_run, o.budget_s, o.trial_max_s, o.seed + 1000 * i,
                                 model.w0_ns, &p, err, sizeof err)) {
                gr_cli_error("stress", "measurement %zu failed: %s", i, err);
                continue;
            }
            fprintf(con,
                    "  %-12s T=%-2u window %6" PRIu64 " ns miss %7.3f ms: %3" PRIu64
                    " failures in %6.2f s\n",
                    p.profile, p.threads, p.window_ns, (double)p.miss_cost_ns / 1e6, p.failures,
                    p.exposure_s);
            if (n == cap) {
                cap = cap ? cap * 2 : 32;
                pts = realloc(pts, cap * sizeof *pts);
            }
            pts[n++] = p;
        }
    }
    if (measure_only) {
        for (size_t i = 0; out && i < n; i++) {
            json_t *j = gr_measure_point_json(&pts[i], NULL);
            gr_jsonl_write(out, j);
            json_decref(j);
        }
        if (out)
            fclose(out);
        free(pts);
        return n ? GR_EXIT_OK : GR_EXIT_FAIL;
    }
    if (gr_ttf_fit(pts, n, &model)) {
        gr_cli_error("stress", "not enough measurement points to fit the model (%zu)", n);
        free(pts);
        if (out)
            fclose(out);
        return GR_EXIT_FAIL;
    }
    json_t *doc = json_object();
    json_t *jpts = json_array();
    fprintf(con, "\nmeasured vs predicted hazard (failures/s):\n");
    fprintf(con, "  %-12s %3s %7s %8s %10s %10s %10s %4s %10s %10s %7s %s\n", "profile", "T",
            "win_ns", "miss_ms", "req/s", "writes/s", "pairs/s", "fail", "measured", "predicted",
            "factor", "set");
    double held_err = 0;
    int held_n = 0;
    for (size_t i = 0; i < n; i++) {
        gr_ttf_point *p = &pts[i];
        double meas = gr_ttf_measured(p), pred = gr_ttf_point_hazard(&model, p);
        char factor[32] = "-";
        if (meas > 0 && pred > 0) {
            snprintf(factor, sizeof factor, "x%.2f", pred / meas);
            if (p->holdout) {
                held_err += fabs(log10(pred / meas));
                held_n++;
            }
        }
        fprintf(con,
                "  %-12s %3u %7" PRIu64 " %8.3f %10.0f %10.0f %10.0f %4" PRIu64
                " %10.4g %10.4g %7s %s\n",
                p->profile, p->threads, p->window_ns, (double)p->miss_cost_ns / 1e6, p->req_s,
                p->write_s, p->pair_s, p->failures, meas, pred, factor,
                p->holdout ? "held-out" : "fit");
        json_t *j = gr_measure_point_json(p, &model);
        if (out)
            gr_jsonl_write(out, j);
        json_array_append_new(jpts, j);
    }
    fprintf(con,
            "\nfit: k_bg = %.3g, k_p = %.3g /s, d0 = %.3g us, sigma = %.3g (spread per unit of "
            "miss cost);\n"
            "     log10 rms error on %zu fitting points = %.2f; held-out mean |log10 error| = "
            "%.2f over %d points\n",
            model.k_bg, model.k_p, model.d0_s * 1e6, model.sigma, model.n_fit, model.rms_log10,
            held_n ? held_err / held_n : 0.0, held_n);
    json_t *jm = gr_measure_model_json(&model);
    json_object_set_new(jm, "heldout_mean_abs_log10", json_real(held_n ? held_err / held_n : 0));
    json_object_set_new(jm, "go_window_ns", json_real(o.go_window_ns));
    json_object_set_new(jm, "miss_cost_s", json_real(o.miss_cost_s));
    json_object_set_new(jm, "arrival_s", json_real(o.arrival_s));
    json_object_set_new(jm, "clear_s", json_real(o.clear_s));

    gr_profile prof;
    char err[256];
    if (gr_profile_load("zoraxy-home", &prof, err, sizeof err)) {
        gr_cli_error("stress", "%s", err);
        free(pts);
        json_decref(doc), json_decref(jpts), json_decref(jm);
        if (out)
            fclose(out);
        return GR_EXIT_SOFTWARE;
    }
    json_t *jpred = json_array();
    fprintf(con,
            "\nprediction for zoraxy-home (Go write window %.0f ns, miss cost %.0f ms, clear %.0f "
            "min,\nburst arrival spread %.1f ms); the original report: crash after 20-30 min\n",
            o.go_window_ns, o.miss_cost_s * 1e3, o.clear_s / 60, o.arrival_s * 1e3);
    fprintf(con, "  %8s %10s %10s %12s %16s\n", "req/s", "writes/s", "pairs/s", "hazard/s",
            "median TTF");
    for (int i = 0; i < o.n_rates; i++) {
        double w, pr;
        double h = model_predict(&o, &model, &prof, (double)o.rates[i], o.miss_cost_s,
                                 o.go_window_ns, &w, &pr);
        char ttf[32];
        model_fmt_time(ttf, sizeof ttf, gr_ttf_median(h));
        fprintf(con, "  %8" PRIu64 " %10.3f %10.3f %12.3g %16s\n", o.rates[i], w, pr, h, ttf);
        json_t *j =
            json_pack("{s:s, s:s, s:f, s:f, s:f, s:f, s:f, s:f}", "type", "prediction", "profile",
                      "zoraxy-home", "req_per_s", (double)o.rates[i], "miss_cost_s", o.miss_cost_s,
                      "go_window_ns", o.go_window_ns, "writes_per_s", w, "hazard_per_s", h,
                      "median_ttf_s", isfinite(gr_ttf_median(h)) ? gr_ttf_median(h) : -1);
        if (out)
            gr_jsonl_write(out, j);
        json_array_append_new(jpred, j);
    }
    static const double costs[] = {0.00005, 0.001, 0.005, 0.030, 0.100};
    static const double windows[] = {20, 50, 200};
    fprintf(con, "\nhow the miss cost moves it (20 req/s, Go window %.0f ns):\n", o.go_window_ns);
    for (size_t i = 0; i < sizeof costs / sizeof costs[0]; i++) {
        double w, pr;
        double h = model_predict(&o, &model, &prof, 20, costs[i], o.go_window_ns, &w, &pr);
        char ttf[32];
        model_fmt_time(ttf, sizeof ttf, gr_ttf_median(h));
        fprintf(con, "  miss cost %8.2f ms: writes %6.2f/s, pairs %6.2f/s, median TTF %s\n",
                costs[i] * 1e3, w, pr, ttf);
    }
    fprintf(con, "how the assumed Go write window moves it (20 req/s, miss cost %.0f ms):\n",
            o.miss_cost_s * 1e3);
    for (size_t i = 0; i < sizeof windows / sizeof windows[0]; i++) {
        double w, pr;
        double h = model_predict(&o, &model, &prof, 20, o.miss_cost_s, windows[i], &w, &pr);
        char ttf[32];
        model_fmt_time(ttf, sizeof ttf, gr_ttf_median(h));
        fprintf(con, "  window %4.0f ns: median TTF %s\n", windows[i], ttf);
    }
    fprintf(con,
            "\nassumptions: Poisson arrivals; Go's write window is a parameter (mapassign of a\n"
            "short string key, tens of ns; the C gomap's put measured %.0f ns here); a slow\n"
            "scan longer than the burst's arrival spread makes every request of a new\n"
            "visitor's page view miss and write; the spread of those writes grows with the\n"
            "miss cost by the fitted sigma (scheduling of parallel scans); returning visitors\n"
            "miss once per clear interval. The simulator's k_bg, k_p and sigma (measured on\n"
            "this machine, threads > cores) are transferred to Go unchanged.\n",
            model.w0_ns);
    if (out) {
        gr_jsonl_write(out, jm);
        fclose(out);
    }
    json_object_set_new(doc, "model", jm);
    json_object_set_new(doc, "points", jpts);
    json_object_set_new(doc, "predictions", jpred);
    if (o.json) {
        json_dumpf(doc, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
    }
    json_decref(doc);
    free(pts);
    return GR_EXIT_OK;
}
