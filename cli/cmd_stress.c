/*
 * cmd_stress.c - 'georace stress': long-duration jobs of trials in child
 * processes (stress/campaign.h). 'georace stress model|measure' is
 * cmd_stress_model.c. The logic is in the stress library; this file parses
 * options and prints.
 */
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "georace/cache.h"
#include "georace/campaign.h"
#include "georace/burner.h"
#include "georace/gosubject.h"
#include "georace/jsonl.h"
#include "georace/sim.h"
#include "georace/traffic.h"
#include "georace/viaproxy.h"

static void
stress_usage(FILE *f)
{
    char prof[512], dbh[1024], caph[768];
    fprintf(f,
            "usage: georace stress [OPTIONS]\n"
            "       georace stress model [--measure] [OPTIONS]   (see 'stress model --help')\n"
            "       georace stress compare A.jsonl B.jsonl [--out DIR]   (see 'stress compare\n"
            "                      --help': two results side by side, e.g. C gomap vs Go)\n"
            "\n"
            "Runs trials of one cache variant under one traffic profile, each trial in a\n"
            "child process, so that a crash (the gomap detector's 'fatal error: concurrent\n"
            "map writes') is recorded with its seed, status, message and time-to-failure\n"
            "and the job goes on. Every answer is checked against ground truth.\n"
            "\n"
            "  --variant V         cache variant: gomap, syncmap+naive-reset, syncmap,\n"
            "                      mutex, rwlock, sharded, bounded, none (default gomap)\n"
            "  --subject S         instead of a C variant, the Go peer (Zoraxy v3.1.4's\n"
            "                      slow-resolve path on the real Go runtime) with a store:\n"
            "                      go-map (v3.1.4's map), go-syncmap-reset (the shipped\n"
            "                      fix) or go-rwmutex (a correct control). Each trial runs\n"
            "                      the peer fed the trial's stream; Go's 'fatal error:' or\n"
            "                      'panic:' (status 2) is recorded as the trial's message,\n"
            "                      time to failure from its start line. Defaults for go-*\n"
            "                      are the accelerated settings of 'georace repro': --rate\n"
            "                      0 (flat out), --backend bsearch, --miss-cost 100us,\n"
            "                      --cache-clear 250ms (give them to override; --backend\n"
            "                      scan is Zoraxy's own walk). --threads, --window-ns,\n"
            "                      --no-detector and --stripes do not apply. Peer: the\n"
            "                      build's, or $GEORACE_GOPEER; status 69 without one\n"
            "  --go-race           with --subject: the peer's -race build (or\n"
            "                      $GEORACE_GOPEER_RACE), stopped at its first report;\n"
            "                      Go's 'WARNING: DATA RACE' is a race finding\n"
            "  --gomaxprocs N      with --subject: the peer's GOMAXPROCS (default: the\n"
            "                      runtime's, the CPU count)\n"
            "  --background-load N keep N cores busy (N spinning child processes) for\n"
            "                      the whole job: free parallelism as a controlled\n"
            "                      variable; every trial records it with the load\n"
            "                      average and the free cores it measured\n"
            "%s"
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
            "  --stripes N         sharded, bounded: number of stripes\n"
            "%s"
            "  --miss-cost D       extra cost of every backend lookup (e.g. 30ms)\n"
            "  --cache-clear D     cache clear ticker (default 15m, 0 = never)\n"
            "  --out FILE          append JSON lines (job, trial, sample records)\n"
            "  --sample-interval D progress sample period (default 250ms)\n"
            "  --expect survive|fail|any\n"
            "                      exit status policy (default: survive for fixed variants,\n"
            "                      any for gomap, syncmap+naive-reset, go-map and\n"
            "                      go-syncmap-reset)\n"
            "  --json              print the summary as JSON on stdout\n"
            "%s"
            "\n"
            "exit status: 0 expectation met, 1 not met (failures or mismatches with\n"
            "'survive', no failure with 'fail', or trials that could not run), 64 usage,\n"
            "65 malformed profile, 66 missing profile or output file, 69 no Go peer for\n"
            "--subject.\n",
            gr_cli_profile_help(prof, sizeof prof, 22),
            gr_cli_cache_capacity_help(caph, sizeof caph, 22), gr_cli_db_help(dbh, sizeof dbh, 22));
}

enum stress_expect {
    STRESS_EXPECT_DEFAULT,
    STRESS_EXPECT_SURVIVE,
    STRESS_EXPECT_FAIL,
    STRESS_EXPECT_ANY
};

struct stress_opts {
    gr_campaign c; /* the campaign as the options describe it */
    gr_cli_db db;
    const char *out_path;
    const char *subject; /* --subject go-*, or NULL */
    bool json, have_duration, go_race;
    bool variant_set, rate_set, miss_set, clear_set, backend_set, via_set;
    enum stress_expect expect;
};

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

/* --subject go-*: the option checks, and the accelerated settings of
 * 'georace repro' where the command line gives none. GR_CLI_RUN or
 * GR_EXIT_USAGE. */
static int
stress_go_options(struct stress_opts *o)
{
    if (!o->subject) {
        gr_cli_error("stress", "--go-race needs --subject go-map|go-syncmap-reset|go-rwmutex");
        return GR_EXIT_USAGE;
    }
    if (o->variant_set) {
        gr_cli_error("stress", "give --variant or --subject, not both");
        return GR_EXIT_USAGE;
    }
    if (o->via_set) {
        gr_cli_error("stress", "--via does not apply to --subject (the trial runs the Go peer)");
        return GR_EXIT_USAGE;
    }
    if (o->db.mmdb_path || (o->backend_set && o->db.kind == GR_GEODB_MMDB)) {
        gr_cli_error("stress", "the Go peer walks CSV ranges: --backend scan or bsearch, "
                               "--csv, not an MMDB");
        return GR_EXIT_USAGE;
    }
    gr_campaign *c = &o->c;
    c->variant = o->subject;
    c->subject = "go";
    c->via = o->go_race ? "go-race" : "go";
    if (!o->rate_set)
        c->sim.rate = 0;
    if (!o->miss_set)
        c->sim.miss_cost_ns = 100000;
    if (!o->clear_set)
        c->sim.clear_interval_ns = 250000000;
    if (!o->backend_set)
        o->db.kind = GR_GEODB_SCAN_BSEARCH;
    return GR_CLI_RUN;
}

/* GR_CLI_RUN, or the exit status (help printed, bad usage). */
static int
parse_stress_options(int argc, char **argv, struct stress_opts *o)
{
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
                                         {"subject", required_argument, 0, 'G'},
                                         {"go-race", no_argument, 0, 'R'},
                                         {"gomaxprocs", required_argument, 0, 'P'},
                                         {"background-load", required_argument, 0, 'L'},
                                         {"cache-capacity", required_argument, 0, 'K'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    memset(o, 0, sizeof *o);
    gr_campaign_init(&o->c);
    gr_sim_config_default(&o->c.sim);
    o->c.variant = "gomap";
    o->c.profile = "zoraxy-home";
    o->c.sim.threads = 4;
    o->c.sim.rate = -1; /* the profile's */
    o->c.sim.clear_interval_ns = 15ull * 60 * 1000000000ull;
    o->c.seed_first = 1;
    gr_cli_db_init(&o->db);
    o->expect = STRESS_EXPECT_DEFAULT;
    uint64_t u;
    int ch, idx;
    optind = 1;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, ":h", opts, &idx)) != -1) {
        switch (ch) {
        case 'v':
            o->c.variant = optarg;
            o->variant_set = true;
            break;
        case 'G':
            if (!gr_gosubject_store(optarg))
                goto bad;
            o->subject = optarg;
            break;
        case 'R':
            o->go_race = true;
            break;
        case 'P':
            if (gr_cli_parse_u64(optarg, &u) || !u || u > 1024)
                goto bad;
            o->c.gomaxprocs = (unsigned)u;
            break;
        case 'L':
            if (gr_cli_parse_u64(optarg, &u) || u > GR_BURNER_MAX)
                goto bad;
            o->c.background_load = (unsigned)u;
            break;
        case 'p':
            o->c.profile = optarg;
            break;
        case 'd':
            if (gr_cli_parse_duration(optarg, &o->c.duration_ns) || !o->c.duration_ns)
                goto bad;
            o->have_duration = true;
            break;
        case 'n':
            if (gr_cli_parse_u64(optarg, &o->c.trials) || !o->c.trials)
                goto bad;
            break;
        case 'D':
            if (gr_cli_parse_duration(optarg, &o->c.trial_duration_ns) || !o->c.trial_duration_ns)
                goto bad;
            break;
        case 'V':
            if (strcmp(optarg, "sim") && strcmp(optarg, "proxy"))
                goto bad;
            o->c.via = optarg;
            o->via_set = true;
            break;
        case 't':
            if (gr_cli_parse_u64(optarg, &u) || !u || u > 1024)
                goto bad;
            o->c.sim.threads = (unsigned)u;
            break;
        case 'r': {
            char *end;
            o->c.sim.rate = strtod(optarg, &end);
            if (*end || o->c.sim.rate < 0)
                goto bad;
            o->rate_set = true;
            break;
        }
        case 's':
            if (gr_cli_parse_u64(optarg, &o->c.seed_first))
                goto bad;
            break;
        case 'S':
            if (gr_campaign_parse_seed_range(optarg, &o->c.seed_first, &o->c.seed_last))
                goto bad;
            o->c.has_seed_last = true;
            break;
        case 'H':
            if (gr_campaign_parse_shard(optarg, &o->c.shard_index, &o->c.shard_count))
                goto bad;
            break;
        case 'w':
            if (gr_cli_parse_u64(optarg, &o->c.sim.cache.window_ns))
                goto bad;
            break;
        case 'K':
            if (gr_cli_cache_capacity("stress", optarg, &o->c.sim.cache))
                return GR_EXIT_USAGE;
            break;
        case 'N':
            o->c.sim.cache.detector = false;
            break;
        case 'x':
            if (gr_cli_parse_u64(optarg, &u) || u > 65536)
                goto bad;
            o->c.sim.cache.stripes = (unsigned)u;
            break;
        case 'm':
            if (gr_cli_parse_duration(optarg, &o->c.sim.miss_cost_ns))
                goto bad;
            o->miss_set = true;
            break;
        case 'c':
            if (gr_cli_parse_duration(optarg, &o->c.sim.clear_interval_ns))
                goto bad;
            o->clear_set = true;
            break;
        case 'o':
            o->out_path = optarg;
            break;
        case 'i':
            if (gr_cli_parse_duration(optarg, &o->c.sample_interval_ns) || !o->c.sample_interval_ns)
                goto bad;
            break;
        case 'e':
            if (!strcmp(optarg, "survive"))
                o->expect = STRESS_EXPECT_SURVIVE;
            else if (!strcmp(optarg, "fail"))
                o->expect = STRESS_EXPECT_FAIL;
            else if (!strcmp(optarg, "any"))
                o->expect = STRESS_EXPECT_ANY;
            else
                goto bad;
            break;
        case 'j':
            o->json = true;
            break;
        case 'B':
            o->backend_set = true;
            if (!strcmp(optarg, "bsearch")) { /* the Go peer's name for it */
                o->db.kind = GR_GEODB_SCAN_BSEARCH;
                break;
            }
            /* fall through */
        case 'b':
        case 'C':
            if (gr_cli_db_arg("stress", &o->db, opts[idx].name, optarg))
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
    if (o->have_duration && o->c.trials) {
        gr_cli_error("stress", "give --duration or --trials, not both");
        return GR_EXIT_USAGE;
    }
    if (o->subject || o->go_race)
        return stress_go_options(o);
    if (o->c.gomaxprocs) {
        gr_cli_error("stress", "--gomaxprocs applies to --subject go-* only");
        return GR_EXIT_USAGE;
    }
    if (!stress_variant_known(o->c.variant)) {
        gr_cli_error("stress", "unknown variant '%s'", o->c.variant);
        return GR_EXIT_USAGE;
    }
    return GR_CLI_RUN;
}

/* The campaign the options describe, ready to run: the profile checked,
 * the trial counts and the simulator template filled in, and (simulator,
 * embedded database) the address pool built once for every trial to
 * inherit. GR_CLI_RUN, or the exit status. */
static int
stress_prepare(const struct stress_opts *o, gr_campaign *c, gr_addrpool **pool)
{
    gr_profile prof;
    char err[512];
    *c = o->c;
    *pool = NULL;
    int prc = gr_profile_load(c->profile, &prof, err, sizeof err);
    if (prc) {
        gr_cli_error("stress", "%s", err);
        return prc == GR_TRAFFIC_ENOENT ? GR_EXIT_NOINPUT : GR_EXIT_DATAERR;
    }
    if (!o->have_duration && !c->trials)
        c->trials = c->has_seed_last ? c->seed_last - c->seed_first + 1 : 10;
    if (c->trials && !c->trial_duration_ns)
        c->trial_duration_ns = 10ull * 1000000000ull;
    c->sim.profile = c->profile;
    c->sim.variant = c->variant;
    c->sim.backend = o->db.kind;
    c->sim.mmdb_path = o->db.mmdb_path;
    c->sim.csv_path = o->db.n_csv ? o->db.csv_paths[0] : NULL;
    c->workload = strcmp(c->via, "proxy") ? gr_sim_run : gr_viaproxy_run;
    if (o->subject) {
        const char *peer = gr_gosubject_default_peer(o->go_race);
        const char *env = getenv(o->go_race ? "GEORACE_GOPEER_RACE" : "GEORACE_GOPEER");
        if (!peer && env && *env) {
            gr_cli_error("stress", "--subject %s needs the Go peer: %s=%s is not an executable",
                         o->subject, o->go_race ? "GEORACE_GOPEER_RACE" : "GEORACE_GOPEER", env);
            return GR_EXIT_UNAVAIL;
        }
        if (!peer) {
            gr_cli_error("stress",
                         "--subject %s needs the Go peer (georace-gopeer%s), which this build "
                         "does not have: no Go toolchain 1.19 or later was found when it was "
                         "configured (Debian: golang-go)%s; or set %s",
                         o->subject, o->go_race ? "-race" : "",
                         o->go_race ? " or it cannot build with -race" : "",
                         o->go_race ? "GEORACE_GOPEER_RACE" : "GEORACE_GOPEER");
            return GR_EXIT_UNAVAIL;
        }
        gr_gosubject_config gc = {peer, o->go_race, c->gomaxprocs};
        gr_gosubject_use(&gc);
        c->workload = gr_gosubject_run;
        c->sim.csv_paths = o->db.csv_paths;
        c->sim.n_csv = (size_t)o->db.n_csv;
    }
    if (c->workload != gr_viaproxy_run && !o->db.mmdb_path && !o->db.n_csv &&
        gr_addrpool_default(pool, err, sizeof err) == 0)
        c->sim.pool = *pool;
    return GR_CLI_RUN;
}

/* The exit status of a finished campaign under its expectation. */
static int
stress_verdict(const struct stress_opts *o, const gr_campaign_summary *sum)
{
    enum stress_expect expect = o->expect;
    if (expect == STRESS_EXPECT_DEFAULT)
        expect = (o->subject ? strcmp(o->subject, "go-rwmutex") != 0
                             : gr_cache_variant_is_buggy(o->c.variant))
                     ? STRESS_EXPECT_ANY
                     : STRESS_EXPECT_SURVIVE;
    uint64_t errors = sum->by_outcome[GR_TRIAL_ERROR];
    if (errors && errors == sum->trials) {
        gr_cli_error("stress", "no trial could run: %s", sum->n_messages ? sum->messages[0] : "?");
        return GR_EXIT_FAIL;
    }
    switch (expect) {
    case STRESS_EXPECT_SURVIVE:
        return sum->failures || sum->mismatches || errors ? GR_EXIT_FAIL : GR_EXIT_OK;
    case STRESS_EXPECT_FAIL:
        return sum->failures ? GR_EXIT_OK : GR_EXIT_FAIL;
    default:
        return errors ? GR_EXIT_FAIL : GR_EXIT_OK;
    }
}

static int
run_stress(const struct stress_opts *o)
{
    gr_campaign c;
    gr_addrpool *pool;
    int rc = stress_prepare(o, &c, &pool);
    if (rc != GR_CLI_RUN)
        return rc;
    FILE *out = NULL;
    if (o->out_path && !(out = fopen(o->out_path, "a"))) {
        gr_cli_error("stress", "cannot open %s for writing", o->out_path);
        gr_addrpool_free(pool);
        return GR_EXIT_NOINPUT;
    }
    c.out = out;
    gr_campaign_display disp = {stderr, gr_cli_is_tty(stderr), 10.0, 0, 0};
    c.on_status = gr_campaign_display_status;
    c.ctx = &disp;
    gr_campaign_summary sum;
    gr_burner burn;
    if (gr_burner_start(&burn, c.background_load)) {
        if (out)
            fclose(out);
        gr_addrpool_free(pool);
        gr_cli_error("stress", "cannot start %u background burners", c.background_load);
        return GR_EXIT_SOFTWARE;
    }
    rc = gr_campaign_run(&c, &sum);
    gr_burner_stop(&burn);
    gr_campaign_display_end(&disp);
    gr_addrpool_free(pool);
    if (rc) {
        if (out)
            fclose(out);
        gr_cli_error("stress", "cannot start trials (fork/pipe failed)");
        return GR_EXIT_SOFTWARE;
    }
    json_t *sj = gr_campaign_summary_json(&c, &sum);
    if (out) {
        gr_jsonl_write(out, sj);
        fclose(out);
    }
    if (o->json) {
        json_dumpf(sj, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
    } else {
        stress_print_summary(stdout, &c, &sum);
    }
    json_decref(sj);
    return stress_verdict(o, &sum);
}

int
gr_cmd_stress(int argc, char **argv)
{
    if (argc > 1 && (!strcmp(argv[1], "model") || !strcmp(argv[1], "measure")))
        return gr_cmd_stress_model(argc - 1, argv + 1);
    if (argc > 1 && !strcmp(argv[1], "compare"))
        return gr_cmd_stress_compare(argc - 1, argv + 1);
    struct stress_opts o;
    int rc = parse_stress_options(argc, argv, &o);
    return rc == GR_CLI_RUN ? run_stress(&o) : rc;
}
