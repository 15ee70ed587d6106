/*
 * cmd_sim.c - 'georace sim': the in-process simulator (proxy_sim/sim.h)
 * from the command line, with a live progress line and a text or JSON
 * summary.
 */
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "georace/history.h"
#include "georace/sim.h"
#include "georace/traffic.h"

static void
usage(FILE *f)
{
    char prof[512], dbh[1024], caph[256];
    fprintf(f,
            "usage: georace sim [OPTIONS]\n"
            "\n"
            "Runs the proxy's request path (requester IP from X-Forwarded-For, geo\n"
            "resolver with the chosen cache variant and its clear ticker, country\n"
            "access rule) in worker threads, without sockets, on a seeded traffic\n"
            "profile, and checks every answer against the ground truth of the\n"
            "address drawn.\n"
            "\n"
            "%s"
            "  --variant V       cache variant: gomap, syncmap+naive-reset, syncmap, mutex,\n"
            "                    rwlock, sharded, bounded, none; default syncmap\n"
            "  --threads T       worker threads (1..1024); default 4\n"
            "  --duration D      run time (\"500ms\", \"10s\", \"2m\"); default 5s\n"
            "  --max-requests N  stop after N requests (with --duration: whichever first)\n"
            "  --rate R          requests/s over all threads, open-loop; 0 = flat out\n"
            "                    (default), 'profile' = the profile's rate\n"
            "  --seed S          traffic seed; default: the profile's\n"
            "  --cache-clear D   clear the cache every D (Zoraxy v3.1.4: 15m); default 15m,\n"
            "                    0 = never\n"
            "  --miss-cost D     extra busy time per backend lookup (Zoraxy's slow scan:\n"
            "                    ~30ms); default 0\n"
            "  --window-ns N     gomap: widen the write critical section by N ns\n"
            "  --no-detector     gomap: switch Go's concurrent-write detector off\n"
            "  --stripes N       sharded, bounded: number of stripes (power of two)\n"
            "%s"
            "  --block CC,...    refuse these countries (block-list)\n"
            "  --allow CC,...    refuse all but these countries (allow-list)\n"
            "  --progress D      progress every D (default 1s on a terminal, 5s otherwise;\n"
            "                    0 = none)\n"
            "  --record-history FILE  record every cache operation (thread, key, result,\n"
            "                    invocation and response times) into FILE for\n"
            "                    'georace check-history'; kept up to a crash\n"
            "  --json            print the summary as JSON\n"
            "  --help            this text\n"
            "%s"
            "\n"
            "exit status: 0 no mismatch and no error, 1 mismatches or errors, 2 the gomap\n"
            "detector fired (Go's 'fatal error: concurrent map writes'), 64 usage,\n"
            "65 malformed profile or database, 66 missing file, 70 internal error.\n",
            gr_cli_profile_help(prof, sizeof prof, 20),
            gr_cli_cache_capacity_help(caph, sizeof caph, 20), gr_cli_db_help(dbh, sizeof dbh, 20));
}

enum {
    GR_SIM_OPT_PROFILE = 1000,
    GR_SIM_OPT_VARIANT,
    GR_SIM_OPT_THREADS,
    GR_SIM_OPT_DURATION,
    GR_SIM_OPT_MAXREQ,
    GR_SIM_OPT_RATE,
    GR_SIM_OPT_SEED,
    GR_SIM_OPT_CLEAR,
    GR_SIM_OPT_MISSCOST,
    GR_SIM_OPT_WINDOW,
    GR_SIM_OPT_NODETECTOR,
    GR_SIM_OPT_STRIPES,
    GR_SIM_OPT_BLOCK,
    GR_SIM_OPT_ALLOW,
    GR_SIM_OPT_PROGRESS,
    GR_SIM_OPT_JSON,
    GR_SIM_OPT_HELP,
    GR_SIM_OPT_BACKEND,
    GR_SIM_OPT_DB,
    GR_SIM_OPT_CSV,
    GR_SIM_OPT_HISTORY,
    GR_SIM_OPT_CAPACITY
};

struct sim_opts {
    gr_sim_config cfg; /* seed, rate and database filled in by run_sim */
    gr_cli_db db;
    bool json, seed_set, duration_set, tty;
    uint64_t progress_ns;
    const char *rate_arg; /* a number, or 'profile' (read once the profile is) */
    const char *history;  /* --record-history FILE */
};

struct gr_sim_cli_progress {
    bool tty;
    bool printed;
};

static void
gr_sim_cli_progress(const gr_sim_progress *p, void *ctx)
{
    struct gr_sim_cli_progress *c = ctx;
    double secs = p->elapsed_ns / 1e9;
    uint64_t looked = p->hits + p->misses;
    fprintf(stderr,
            "%s%7.1fs  %10" PRIu64 " req  %9.0f req/s  hit %5.1f%%  cache %8zu  clears %" PRIu64
            "  rss %6zu kB  mismatches %" PRIu64 "  errors %" PRIu64 "%s",
            c->tty ? "\r" : "sim: ", secs, p->requests, secs > 0 ? p->requests / secs : 0,
            looked ? 100.0 * p->hits / looked : 0, p->cache_len, p->clears, p->rss_kb,
            p->mismatches, p->errors, c->tty ? "\033[K" : "\n");
    fflush(stderr);
    c->printed = true;
}

static int
gr_sim_cli_exit_for(int rc)
{
    switch (rc) {
    case GR_SIM_EARG:
        return GR_EXIT_USAGE;
    case GR_SIM_ENOENT:
        return GR_EXIT_NOINPUT;
    case GR_SIM_EFORMAT:
        return GR_EXIT_DATAERR;
    default:
        return GR_EXIT_SOFTWARE;
    }
}

static void
gr_sim_cli_print(const gr_sim_config *cfg, const char *profile, double rate, const gr_sim_result *r,
                 bool json)
{
    uint64_t looked = r->hits + r->misses;
    double hit_ratio = looked ? (double)r->hits / looked : 0;
    if (json) {
        json_t *o = json_object();
        json_object_set_new(o, "profile", json_string(profile));
        json_object_set_new(o, "variant", json_string(cfg->variant));
        json_object_set_new(o, "threads", json_integer(cfg->threads));
        json_object_set_new(o, "seed", json_integer((json_int_t)cfg->seed));
        json_object_set_new(o, "rate", json_real(rate));
        json_object_set_new(o, "elapsed_s", json_real(r->elapsed_ns / 1e9));
        json_object_set_new(o, "requests", json_integer((json_int_t)r->requests));
        json_object_set_new(o, "req_per_s", json_real(r->req_per_s));
        json_object_set_new(o, "hits", json_integer((json_int_t)r->hits));
        json_object_set_new(o, "misses", json_integer((json_int_t)r->misses));
        json_object_set_new(o, "hit_ratio", json_real(hit_ratio));
        json_object_set_new(o, "zones", json_integer((json_int_t)r->zones));
        json_object_set_new(o, "unknown", json_integer((json_int_t)r->unknown));
        json_object_set_new(o, "blocked", json_integer((json_int_t)r->blocked));
        json_object_set_new(o, "allowed", json_integer((json_int_t)r->allowed));
        json_object_set_new(o, "mismatches", json_integer((json_int_t)r->mismatches));
        json_object_set_new(o, "bypasses", json_integer((json_int_t)r->bypasses));
        json_object_set_new(o, "requester_mismatches",
                            json_integer((json_int_t)r->requester_mismatches));
        json_object_set_new(o, "errors", json_integer((json_int_t)r->errors));
        json_object_set_new(o, "shared", json_integer((json_int_t)r->shared));
        json_object_set_new(o, "clears", json_integer((json_int_t)r->clears));
        json_object_set_new(o, "cache_len_max", json_integer((json_int_t)r->cache_len_max));
        json_object_set_new(o, "rss_max_kb", json_integer((json_int_t)r->rss_max_kb));
        json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        fputc('\n', stdout);
        json_decref(o);
        return;
    }
    printf("profile %s, variant %s, %u threads, seed %" PRIu64 ", %s\n", profile, cfg->variant,
           cfg->threads, cfg->seed, rate > 0 ? "paced" : "flat out");
    printf("  requests       %" PRIu64 " in %.2f s (%.0f req/s)\n", r->requests,
           r->elapsed_ns / 1e9, r->req_per_s);
    printf("  cache hits     %" PRIu64 " of %" PRIu64 " lookups (%.1f%%), %" PRIu64
           " zone answers, %" PRIu64 " unknown\n",
           r->hits, looked, 100 * hit_ratio, r->zones, r->unknown);
    printf("  access         %" PRIu64 " allowed, %" PRIu64 " blocked\n", r->allowed, r->blocked);
    printf("  mismatches     %" PRIu64 " (%" PRIu64 " geo-block bypasses)\n", r->mismatches,
           r->bypasses);
    printf("  errors         %" PRIu64 "\n", r->errors);
    printf("  bursts         %" PRIu64 " requests served by another thread than their burst's\n",
           r->shared);
    printf("  cache clears   %" PRIu64 ", max cache len %zu, max RSS %zu kB\n", r->clears,
           r->cache_len_max, r->rss_max_kb);
}

/* GR_CLI_RUN, or the exit status (help printed, bad usage). */
static int
parse_sim_options(int argc, char **argv, struct sim_opts *o)
{
    static const struct option opts[] = {
        {"profile", required_argument, NULL, GR_SIM_OPT_PROFILE},
        {"variant", required_argument, NULL, GR_SIM_OPT_VARIANT},
        {"threads", required_argument, NULL, GR_SIM_OPT_THREADS},
        {"duration", required_argument, NULL, GR_SIM_OPT_DURATION},
        {"max-requests", required_argument, NULL, GR_SIM_OPT_MAXREQ},
        {"rate", required_argument, NULL, GR_SIM_OPT_RATE},
        {"seed", required_argument, NULL, GR_SIM_OPT_SEED},
        {"cache-clear", required_argument, NULL, GR_SIM_OPT_CLEAR},
        {"miss-cost", required_argument, NULL, GR_SIM_OPT_MISSCOST},
        {"window-ns", required_argument, NULL, GR_SIM_OPT_WINDOW},
        {"no-detector", no_argument, NULL, GR_SIM_OPT_NODETECTOR},
        {"stripes", required_argument, NULL, GR_SIM_OPT_STRIPES},
        {"block", required_argument, NULL, GR_SIM_OPT_BLOCK},
        {"allow", required_argument, NULL, GR_SIM_OPT_ALLOW},
        {"progress", required_argument, NULL, GR_SIM_OPT_PROGRESS},
        {"json", no_argument, NULL, GR_SIM_OPT_JSON},
        {"help", no_argument, NULL, GR_SIM_OPT_HELP},
        {"backend", required_argument, NULL, GR_SIM_OPT_BACKEND},
        {"db", required_argument, NULL, GR_SIM_OPT_DB},
        {"csv", required_argument, NULL, GR_SIM_OPT_CSV},
        {"record-history", required_argument, NULL, GR_SIM_OPT_HISTORY},
        {"cache-capacity", required_argument, NULL, GR_SIM_OPT_CAPACITY},
        {NULL, 0, NULL, 0},
    };
    memset(o, 0, sizeof *o);
    gr_sim_config_default(&o->cfg);
    o->cfg.duration_ns = 5000000000ull;
    o->cfg.clear_interval_ns = 15ull * 60 * 1000000000ull;
    gr_cli_db_init(&o->db);
    o->tty = gr_cli_is_tty(stderr);
    o->progress_ns = o->tty ? 1000000000ull : 5000000000ull;
    uint64_t v;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        const char *name = NULL;
        switch (c) {
        case GR_SIM_OPT_HELP:
            usage(stdout);
            return GR_EXIT_OK;
        case GR_SIM_OPT_PROFILE:
            o->cfg.profile = optarg;
            break;
        case GR_SIM_OPT_VARIANT:
            o->cfg.variant = optarg;
            break;
        case GR_SIM_OPT_THREADS:
            if (gr_cli_parse_u64(optarg, &v) || v < 1 || v > 1024) {
                gr_cli_error("sim", "--threads wants 1..1024, not '%s'", optarg);
                return GR_EXIT_USAGE;
            }
            o->cfg.threads = (unsigned)v;
            break;
        case GR_SIM_OPT_DURATION:
            if (gr_cli_parse_duration(optarg, &o->cfg.duration_ns)) {
                gr_cli_error("sim", "--duration: bad duration '%s'", optarg);
                return GR_EXIT_USAGE;
            }
            o->duration_set = true;
            break;
        case GR_SIM_OPT_MAXREQ:
            if (gr_cli_parse_u64(optarg, &o->cfg.max_requests) || o->cfg.max_requests == 0) {
                gr_cli_error("sim", "--max-requests wants a positive count, not '%s'", optarg);
                return GR_EXIT_USAGE;
            }
            break;
        case GR_SIM_OPT_RATE:
            o->rate_arg = optarg;
            break;
        case GR_SIM_OPT_SEED:
            if (gr_cli_parse_u64(optarg, &o->cfg.seed)) {
                gr_cli_error("sim", "--seed wants an unsigned integer, not '%s'", optarg);
                return GR_EXIT_USAGE;
            }
            o->seed_set = true;
            break;
        case GR_SIM_OPT_CLEAR:
            if (gr_cli_parse_duration(optarg, &o->cfg.clear_interval_ns)) {
                gr_cli_error("sim", "--cache-clear: bad duration '%s'", optarg);
                return GR_EXIT_USAGE;
            }
            break;
        case GR_SIM_OPT_MISSCOST:
            if (gr_cli_parse_duration(optarg, &o->cfg.miss_cost_ns) ||
                o->cfg.miss_cost_ns > 10000000000ull) {
                gr_cli_error("sim", "--miss-cost: bad duration '%s' (at most 10s)", optarg);
                return GR_EXIT_USAGE;
            }
            break;
        case GR_SIM_OPT_WINDOW:
            if (gr_cli_parse_u64(optarg, &o->cfg.cache.window_ns) ||
                o->cfg.cache.window_ns > 1000000000ull) {
                gr_cli_error("sim", "--window-ns wants 0..1000000000, not '%s'", optarg);
                return GR_EXIT_USAGE;
            }
            break;
        case GR_SIM_OPT_NODETECTOR:
            o->cfg.cache.detector = false;
            break;
        case GR_SIM_OPT_CAPACITY:
            if (gr_cli_cache_capacity("sim", optarg, &o->cfg.cache))
                return GR_EXIT_USAGE;
            break;
        case GR_SIM_OPT_STRIPES:
            if (gr_cli_parse_u64(optarg, &v) || v < 1 || v > 65536 || (v & (v - 1))) {
                gr_cli_error("sim", "--stripes wants a power of two up to 65536, not '%s'", optarg);
                return GR_EXIT_USAGE;
            }
            o->cfg.cache.stripes = (unsigned)v;
            break;
        case GR_SIM_OPT_BLOCK:
            o->cfg.block = optarg;
            break;
        case GR_SIM_OPT_ALLOW:
            o->cfg.allow = optarg;
            break;
        case GR_SIM_OPT_PROGRESS:
            if (gr_cli_parse_duration(optarg, &o->progress_ns)) {
                gr_cli_error("sim", "--progress: bad duration '%s'", optarg);
                return GR_EXIT_USAGE;
            }
            break;
        case GR_SIM_OPT_JSON:
            o->json = true;
            break;
        case GR_SIM_OPT_BACKEND:
            name = "backend";
            break;
        case GR_SIM_OPT_DB:
            name = "db";
            break;
        case GR_SIM_OPT_CSV:
            name = "csv";
            break;
        case GR_SIM_OPT_HISTORY:
            o->history = optarg;
            break;
        case '?':
        default:
            gr_cli_error("sim", "option '%s' is unknown or needs a value (see --help)",
                         argv[optind - 1]);
            return GR_EXIT_USAGE;
        }
        if (name && gr_cli_db_arg("sim", &o->db, name, optarg))
            return GR_EXIT_USAGE;
    }
    if (optind < argc) {
        gr_cli_error("sim", "unexpected argument '%s' (see --help)", argv[optind]);
        return GR_EXIT_USAGE;
    }
    if (gr_cli_block_or_allow("sim", o->cfg.block, o->cfg.allow))
        return GR_EXIT_USAGE;
    if (o->cfg.max_requests && !o->duration_set)
        o->cfg.duration_ns = 0;

    return GR_CLI_RUN;
}

/* The rate of --rate: a number, or 'profile' for the profile's; -1 with a
 * message when it is neither. */
static int
sim_rate(const char *arg, const gr_profile *profile, double *rate)
{
    *rate = 0;
    if (arg && !strcmp(arg, "profile")) {
        *rate = profile->rate;
    } else if (arg) {
        char *end;
        *rate = strtod(arg, &end);
        if (*arg == '\0' || *end || !(*rate >= 0 && *rate <= 1e9)) {
            gr_cli_error("sim", "--rate wants requests/s (0..1e9) or 'profile', not '%s'", arg);
            return -1;
        }
    }
    return 0;
}

static int
sim_wrap_history(void *ctx, gr_cache *inner, gr_cache **out)
{
    return gr_history_wrap(ctx, inner, out);
}

static int
run_sim(const struct sim_opts *o)
{
    gr_sim_config cfg = o->cfg;
    /* Load the profile here too: its seed and rate are the defaults, and a
     * bad profile is reported with the right exit status before any work. */
    gr_profile profile;
    char err[512] = "";
    int rc = gr_profile_load(cfg.profile, &profile, err, sizeof err);
    if (rc) {
        gr_cli_error("sim", "%s", err);
        return rc == GR_TRAFFIC_ENOENT ? GR_EXIT_NOINPUT : GR_EXIT_DATAERR;
    }
    if (!o->seed_set)
        cfg.seed = profile.seed;
    if (sim_rate(o->rate_arg, &profile, &cfg.rate))
        return GR_EXIT_USAGE;
    cfg.backend = o->db.kind;
    cfg.mmdb_path = o->db.mmdb_path;
    cfg.csv_paths = o->db.csv_paths;
    cfg.n_csv = (size_t)o->db.n_csv;

    struct gr_sim_cli_progress pc = {o->tty, false};
    if (o->progress_ns) {
        cfg.progress = gr_sim_cli_progress;
        cfg.progress_ctx = &pc;
        cfg.progress_interval_ns = o->progress_ns;
    }
    gr_history *hist = NULL;
    if (o->history) {
        if (gr_history_create(o->history, cfg.variant, 0, &hist, err, sizeof err)) {
            gr_cli_error("sim", "%s", err);
            return GR_EXIT_NOINPUT;
        }
        cfg.wrap_cache = sim_wrap_history;
        cfg.wrap_ctx = hist;
    }
    gr_sim_result res;
    rc = gr_sim_run(&cfg, &res, err, sizeof err);
    if (hist && gr_history_close(hist)) {
        gr_cli_error("sim", "cannot finish the history file %s", o->history);
        return GR_EXIT_SOFTWARE;
    }
    if (pc.printed && o->tty)
        fputc('\n', stderr);
    if (rc) {
        gr_cli_error("sim", "%s", err);
        return gr_sim_cli_exit_for(rc);
    }
    gr_sim_cli_print(&cfg, profile.name, cfg.rate, &res, o->json);
    return res.mismatches == 0 && res.errors == 0 ? GR_EXIT_OK : GR_EXIT_FAIL;
}

int
gr_cmd_sim(int argc, char **argv)
{
    struct sim_opts o;
    int rc = parse_sim_options(argc, argv, &o);
    return rc == GR_CLI_RUN ? run_sim(&o) : rc;
}
