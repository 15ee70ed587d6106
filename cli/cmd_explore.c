/*
 * cmd_explore.c - 'georace explore': controlled exploration of a cache
 * variant's interleavings (explore/include/georace/explore.h), with a
 * progress line, a summary table or JSON, replay and shrinking.
 */
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "georace/explore.h"

static void
explore_usage(FILE *f)
{
    fprintf(f,
            "usage: georace explore --variant V [--strategy random|pct|dfs] [--scenario NAME |\n"
            "                       --random-scenarios N] [--budget D | --schedules N]\n"
            "                       [--depth d] [--preemptions k] [--seed S] [--keep-going]\n"
            "                       [--shrink] [--json]\n"
            "       georace explore [--variant V] --replay SCHEDULE [--shrink] [--json]\n"
            "\n"
            "Runs small concurrent scenarios (2-3 threads, a few get/put/clear each; for\n"
            "syncmap also scenarios over sync.Map's whole API) against\n"
            "a copy of the variant compiled with scheduling points at every atomic, lock,\n"
            "and plain shared access of the buggy variants (gomap's flags and buckets, the\n"
            "naive reset's memset). Threads run one at a time; at each point the strategy\n"
            "picks who runs next. Schedules run in a child process (a new one after any\n"
            "finding; a finding is always confirmed in a fresh child) and are judged by\n"
            "these oracles: go-detector (Go's 'fatal error: concurrent map ...'), crash\n"
            "(signal or sanitizer), hang, deadlock (every live thread waits for a lock),\n"
            "livelock (more than 4096 points), linearizability (the run's history against\n"
            "a map, per key, clear acting on every key; each sync.Map method has its own\n"
            "sequential specification, and Range is judged over its whole call as Go\n"
            "documents it: no key twice, a visited value current at some point of the\n"
            "call, a key present and untouched throughout must be visited), race (a happens-before "
            "detector:\n"
            "vector clocks over locks, atomics by their memory order and thread start,\n"
            "never over the scheduler's own hand-offs; two accesses of the same bytes, one\n"
            "a write, not both atomic, unordered). A run's race counts only when the run\n"
            "passed the other oracles.\n"
            "\n"
            "  --variant V          gomap, syncmap+naive-reset, syncmap, mutex, rwlock, sharded\n"
            "                       (sharded runs with 4 stripes here), none\n"
            "  --strategy S         random; pct (default: random priorities, depth-1 change\n"
            "                       points, PCT's guarantee); dfs (every schedule with at most\n"
            "                       k preemptions, CHESS-style; no partial-order reduction, so\n"
            "                       the counts are of all schedules within the bound)\n"
            "  --scenario NAME      one scenario (default: every hand-written one the variant\n"
            "                       runs). Cache interface, every variant: writers,\n"
            "                       put-clear, overwrite, promote-store, clear-promote,\n"
            "                       reset-resurrect, clear-stripe-walk, r<seed> (random).\n"
            "                       sync.Map API (Load, Store, LoadOrStore, LoadAndDelete,\n"
            "                       Delete, Swap, CompareAndSwap, CompareAndDelete, Range,\n"
            "                       Clear), syncmap only: promote-expunge,\n"
            "                       clear-during-promote, range-nested-store, ebr-advance,\n"
            "                       cas-race, los-race, cad-swap, a<seed> (random)\n"
            "  --random-scenarios N N seeded random scenarios instead (syncmap: over the\n"
            "                       sync.Map API, a<seed>; others: get/put/clear, r<seed>)\n"
            "  --budget D           stop after D (\"60s\", \"2m\"); dfs reports whether every\n"
            "                       scenario was exhausted\n"
            "  --schedules N        stop after N schedules (random/pct default: 1000)\n"
            "  --depth d            pct: bug depth (default 3)\n"
            "  --preemptions k      dfs: preemption bound (default 2)\n"
            "  --seed S             strategy and random-scenario seed (default 1)\n"
            "  --keep-going         count every finding instead of stopping at the first\n"
            "  --replay SCHEDULE    run one schedule string exactly and print its trace\n"
            "  --shrink             shrink the (first) failing schedule to fewer preemptions\n"
            "                       and steps, then print it as a trace: one column per\n"
            "                       thread, each scheduling point with its source line\n"
            "  --json               print the summary as one line of JSON\n"
            "  --help               this text\n"
            "\n"
            "A failing schedule prints as v1:VARIANT:SCENARIO:CHOICES (the thread chosen at\n"
            "each point: a = T0, b = T1, c = T2, run-length counts); --replay reproduces it.\n"
            "\n"
            "What this does not cover: the interleavings are sequentially consistent. The\n"
            "reorderings weaker C11 orderings allow (relaxed, acquire/release) are not\n"
            "explored, and plain accesses inside locks or of published immutable data are\n"
            "not scheduling points. The race detector sees only the accesses the hooks\n"
            "mark (gomap's flags and buckets, the naive reset's memset, every marked\n"
            "atomic): an unmarked plain access is invisible to it. Evidence: systematic up\n"
            "to the bound for dfs, sampled for random and pct.\n"
            "\n"
            "exit status: 0 no finding, 1 a finding (also: a replayed schedule that fails),\n"
            "64 usage, 65 malformed schedule or one that does not fit its scenario,\n"
            "70 internal error.\n");
}

struct explore_opts {
    gr_explore_config cfg;
    const char *replay;
    bool shrink, json, tty;
};

static void
explore_progress(const gr_explore_progress *p, void *ctx)
{
    const struct explore_opts *o = ctx;
    double s = p->elapsed_ns / 1e9;
    fprintf(stderr,
            "%s%7.1fs  %8" PRIu64 " schedules  %7.0f/s  %8" PRIu64 " distinct  findings %" PRIu64
            "  [%s]%s",
            o->tty ? "\r" : "explore: ", s, p->schedules, s > 0 ? p->schedules / s : 0, p->distinct,
            p->findings, p->scenario, o->tty ? "\033[K" : "\n");
    fflush(stderr);
}

static int
parse_explore_options(int argc, char **argv, struct explore_opts *o)
{
    enum {
        O_VARIANT = 1000,
        O_STRATEGY,
        O_SCENARIO,
        O_RANDOM,
        O_BUDGET,
        O_SCHEDULES,
        O_DEPTH,
        O_PREEMPT,
        O_SEED,
        O_KEEP,
        O_REPLAY,
        O_SHRINK,
        O_JSON,
        O_HELP
    };
    static const struct option opts[] = {
        {"variant", required_argument, NULL, O_VARIANT},
        {"strategy", required_argument, NULL, O_STRATEGY},
        {"scenario", required_argument, NULL, O_SCENARIO},
        {"random-scenarios", required_argument, NULL, O_RANDOM},
        {"budget", required_argument, NULL, O_BUDGET},
        {"schedules", required_argument, NULL, O_SCHEDULES},
        {"depth", required_argument, NULL, O_DEPTH},
        {"preemptions", required_argument, NULL, O_PREEMPT},
        {"seed", required_argument, NULL, O_SEED},
        {"keep-going", no_argument, NULL, O_KEEP},
        {"replay", required_argument, NULL, O_REPLAY},
        {"shrink", no_argument, NULL, O_SHRINK},
        {"json", no_argument, NULL, O_JSON},
        {"help", no_argument, NULL, O_HELP},
        {NULL, 0, NULL, 0},
    };
    memset(o, 0, sizeof *o);
    gr_explore_config_default(&o->cfg);
    o->tty = gr_cli_is_tty(stderr);
    uint64_t v;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case O_HELP:
            explore_usage(stdout);
            return GR_EXIT_OK;
        case O_VARIANT:
            if (!gr_cache_variant_exists(optarg)) {
                gr_cli_error("explore", "unknown variant '%s' (see --help)", optarg);
                return GR_EXIT_USAGE;
            }
            o->cfg.variant = optarg;
            break;
        case O_STRATEGY:
            if (!strcmp(optarg, "random"))
                o->cfg.strategy = GR_EXPLORE_RANDOM;
            else if (!strcmp(optarg, "pct"))
                o->cfg.strategy = GR_EXPLORE_PCT;
            else if (!strcmp(optarg, "dfs"))
                o->cfg.strategy = GR_EXPLORE_DFS;
            else {
                gr_cli_error("explore", "--strategy wants random, pct or dfs, not '%s'", optarg);
                return GR_EXIT_USAGE;
            }
            break;
        case O_SCENARIO:
            o->cfg.scenario = optarg;
            break;
        case O_RANDOM:
            if (gr_cli_parse_u64(optarg, &v) || v < 1 || v > 64) {
                gr_cli_error("explore", "--random-scenarios wants 1..64, not '%s'", optarg);
                return GR_EXIT_USAGE;
            }
            o->cfg.random_scenarios = (unsigned)v;
            break;
        case O_BUDGET:
            if (gr_cli_parse_duration(optarg, &o->cfg.budget_ns) || !o->cfg.budget_ns) {
                gr_cli_error("explore", "--budget: bad duration '%s'", optarg);
                return GR_EXIT_USAGE;
            }
            break;
        case O_SCHEDULES:
            if (gr_cli_parse_u64(optarg, &o->cfg.max_schedules) || !o->cfg.max_schedules) {
                gr_cli_error("explore", "--schedules wants a positive count, not '%s'", optarg);
                return GR_EXIT_USAGE;
            }
            break;
        case O_DEPTH:
            if (gr_cli_parse_u64(optarg, &v) || v < 1 || v > 9) {
                gr_cli_error("explore", "--depth wants 1..9, not '%s'", optarg);
                return GR_EXIT_USAGE;
            }
            o->cfg.depth = (unsigned)v;
            break;
        case O_PREEMPT:
            if (gr_cli_parse_u64(optarg, &v) || v > 10) {
                gr_cli_error("explore", "--preemptions wants 0..10, not '%s'", optarg);
                return GR_EXIT_USAGE;
            }
            o->cfg.preemptions = (unsigned)v;
            break;
        case O_SEED:
            if (gr_cli_parse_u64(optarg, &o->cfg.seed)) {
                gr_cli_error("explore", "--seed wants an unsigned integer, not '%s'", optarg);
                return GR_EXIT_USAGE;
            }
            break;
        case O_KEEP:
            o->cfg.keep_going = true;
            break;
        case O_REPLAY:
            o->replay = optarg;
            break;
        case O_SHRINK:
            o->shrink = true;
            break;
        case O_JSON:
            o->json = true;
            break;
        default:
            gr_cli_error("explore", "option '%s' is unknown or needs a value (see --help)",
                         argv[optind - 1]);
            return GR_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        gr_cli_error("explore", "unexpected argument '%s' (see --help)", argv[optind]);
        return GR_EXIT_USAGE;
    }
    if (!o->replay && !o->cfg.variant) {
        gr_cli_error("explore", "--variant is required (see --help)");
        return GR_EXIT_USAGE;
    }
    if (o->cfg.scenario && o->cfg.random_scenarios) {
        gr_cli_error("explore", "--scenario and --random-scenarios exclude each other");
        return GR_EXIT_USAGE;
    }
    return GR_CLI_RUN;
}

static const char *const strategy_names[] = {"random", "pct", "dfs"};

static int
explore_status(int rc)
{
    return rc == GR_EXPLORE_ESCHEDULE ? GR_EXIT_DATAERR
           : rc == GR_EXPLORE_EARG    ? GR_EXIT_USAGE
                                      : GR_EXIT_SOFTWARE;
}

static json_t *
finding_json(const gr_explore_finding *f)
{
    json_t *o = json_object();
    json_object_set_new(o, "schedule", json_string(f->schedule));
    json_object_set_new(o, "oracle", json_string(gr_explore_oracle_name(f->oracle)));
    json_object_set_new(o, "scenario", json_string(f->scenario));
    json_object_set_new(o, "message", json_string(f->message));
    json_object_set_new(o, "schedule_no", json_integer((json_int_t)f->schedule_no));
    json_object_set_new(o, "elapsed_s", json_real(f->elapsed_ns / 1e9));
    json_object_set_new(o, "steps", json_integer(f->steps));
    json_object_set_new(o, "preemptions", json_integer(f->preemptions));
    return o;
}

/* Shrink f in place (on success) and print the trace of the result. */
static int
shrink_and_trace(const struct explore_opts *o, gr_explore_finding *f, bool *shrunk)
{
    char err[512];
    gr_explore_finding s;
    *shrunk = false;
    if (o->shrink) {
        int rc = gr_explore_shrink(f->schedule, NULL, NULL, &s, err, sizeof err);
        if (rc) {
            gr_cli_error("explore", "shrink: %s", err);
            return explore_status(rc);
        }
        if (!o->json)
            printf("shrunk: %u -> %u steps, %u -> %u preemptions\n  %s\n", f->steps, s.steps,
                   f->preemptions, s.preemptions, s.schedule);
        s.schedule_no = f->schedule_no;
        s.elapsed_ns = f->elapsed_ns;
        *f = s;
        *shrunk = true;
    }
    if (!o->json) {
        int rc = gr_explore_trace(stdout, f->schedule, NULL, NULL, err, sizeof err);
        if (rc) {
            gr_cli_error("explore", "trace: %s", err);
            return explore_status(rc);
        }
    }
    return GR_EXIT_OK;
}

static int
run_replay(const struct explore_opts *o)
{
    char err[512];
    gr_explore_finding f;
    int rc = gr_explore_replay(o->replay, o->cfg.variant, NULL, &f, err, sizeof err);
    if (rc) {
        gr_cli_error("explore", "--replay: %s", err);
        return explore_status(rc);
    }
    gr_explore_finding orig = f;
    bool shrunk = false;
    if (f.oracle != GR_ORACLE_NONE || !o->shrink) {
        struct explore_opts oo = *o;
        oo.shrink = o->shrink && f.oracle != GR_ORACLE_NONE;
        if ((rc = shrink_and_trace(&oo, &f, &shrunk)))
            return rc;
    }
    if (o->json) {
        json_t *j = json_object();
        json_object_set_new(j, "replayed", json_string(orig.schedule));
        json_object_set_new(j, "oracle", json_string(gr_explore_oracle_name(orig.oracle)));
        json_object_set_new(j, "message", json_string(orig.message));
        if (shrunk)
            json_object_set_new(j, "shrunk", finding_json(&f));
        json_dumpf(j, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER); /* one line */
        fputc('\n', stdout);
        json_decref(j);
    } else {
        printf("replay: %s%s%s\n", gr_explore_oracle_name(orig.oracle),
               orig.oracle ? ": " : " (every oracle passed)", orig.message);
    }
    return orig.oracle == GR_ORACLE_NONE ? GR_EXIT_OK : GR_EXIT_FAIL;
}

static void
print_summary(const struct explore_opts *o, const gr_explore_result *r)
{
    const gr_explore_config *c = &o->cfg;
    printf("%-20s %-8s %10s %10s %9s %-9s %s\n", "variant", "strategy", "schedules", "distinct",
           "sched/s", "exhausted", "findings by oracle");
    char fb[256] = "";
    int len = 0;
    for (int i = 1; i < GR_ORACLE_COUNT; i++)
        if (r->by_oracle[i])
            len += snprintf(fb + len, sizeof fb - (size_t)len, "%s%s %" PRIu64, len ? ", " : "",
                            gr_explore_oracle_name((enum gr_explore_oracle)i), r->by_oracle[i]);
    double s = r->elapsed_ns / 1e9;
    printf("%-20s %-8s %10" PRIu64 " %10" PRIu64 " %9.0f %-9s %s\n", c->variant,
           strategy_names[c->strategy], r->schedules, r->distinct, s > 0 ? r->schedules / s : 0,
           c->strategy != GR_EXPLORE_DFS ? "n/a"
           : r->exhausted                ? "yes"
                                         : "no",
           len ? fb : "0");
    if (c->strategy == GR_EXPLORE_DFS) {
        printf("  dfs, at most %u preemptions, no reduction:\n", c->preemptions);
        for (size_t i = 0; i < r->nscn; i++)
            printf("  %-20s %8" PRIu64 " schedules  %-13s  longest %u points\n", r->scn[i].name,
                   r->scn[i].schedules,
                   r->scn[i].exhausted   ? "exhausted"
                   : r->scn[i].schedules ? "NOT exhausted"
                                         : "not reached",
                   r->scn[i].max_steps);
    }
    if (r->found)
        printf("first finding: %s after %" PRIu64 " schedules (%.3f s), scenario %s:\n  %s\n"
               "  schedule: %s\n",
               gr_explore_oracle_name(r->first.oracle), r->first.schedule_no,
               r->first.elapsed_ns / 1e9, r->first.scenario, r->first.message, r->first.schedule);
    else
        printf("no finding (%.1f s%s)\n", s, r->budget_hit ? ", budget reached" : "");
}

static int
run_explore(struct explore_opts *o)
{
    char err[512];
    gr_explore_result *r = calloc(1, sizeof *r);
    if (!r)
        return GR_EXIT_SOFTWARE;
    o->cfg.progress = explore_progress;
    o->cfg.progress_ctx = o;
    int rc = gr_explore_run(&o->cfg, r, err, sizeof err);
    if (o->tty)
        fputc('\n', stderr);
    if (rc) {
        gr_cli_error("explore", "%s", err);
        free(r);
        return explore_status(rc);
    }
    if (!o->json)
        print_summary(o, r);
    bool shrunk = false;
    gr_explore_finding orig = r->first;
    if (r->found && (rc = shrink_and_trace(o, &r->first, &shrunk))) {
        free(r);
        return rc;
    }
    if (o->json) {
        json_t *j = json_object();
        json_object_set_new(j, "variant", json_string(o->cfg.variant));
        json_object_set_new(j, "strategy", json_string(strategy_names[o->cfg.strategy]));
        if (r->found)
            json_object_set_new(j, "failing_schedule", json_string(orig.schedule));
        json_object_set_new(j, "schedules", json_integer((json_int_t)r->schedules));
        json_object_set_new(j, "distinct", json_integer((json_int_t)r->distinct));
        json_object_set_new(j, "elapsed_s", json_real(r->elapsed_ns / 1e9));
        if (o->cfg.strategy == GR_EXPLORE_DFS) {
            json_object_set_new(j, "preemption_bound", json_integer(o->cfg.preemptions));
            json_object_set_new(j, "exhausted", json_boolean(r->exhausted));
        }
        json_t *by = json_object();
        for (int i = 1; i < GR_ORACLE_COUNT; i++)
            json_object_set_new(by, gr_explore_oracle_name((enum gr_explore_oracle)i),
                                json_integer((json_int_t)r->by_oracle[i]));
        json_object_set_new(j, "findings", by);
        json_t *sc = json_array();
        for (size_t i = 0; i < r->nscn; i++) {
            json_t *e = json_object();
            json_object_set_new(e, "name", json_string(r->scn[i].name));
            json_object_set_new(e, "runs", json_integer((json_int_t)r->scn[i].schedules));
            if (o->cfg.strategy == GR_EXPLORE_DFS)
                json_object_set_new(e, "exhausted", json_boolean(r->scn[i].exhausted));
            json_object_set_new(e, "longest", json_integer(r->scn[i].max_steps));
            json_array_append_new(sc, e);
        }
        json_object_set_new(j, "scenarios", sc);
        if (r->found) {
            json_object_set_new(j, "first_finding", finding_json(&orig));
            if (shrunk)
                json_object_set_new(j, "shrunk", finding_json(&r->first));
        }
        json_dumpf(j, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER); /* one line */
        fputc('\n', stdout);
        json_decref(j);
    }
    rc = r->found ? GR_EXIT_FAIL : GR_EXIT_OK;
    free(r);
    return rc;
}

int
gr_cmd_explore(int argc, char **argv)
{
    struct explore_opts o;
    int rc = parse_explore_options(argc, argv, &o);
    if (rc != GR_CLI_RUN)
        return rc;
    return o.replay ? run_replay(&o) : run_explore(&o);
}
