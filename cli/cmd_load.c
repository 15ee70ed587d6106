/*
 * cmd_load.c - 'georace load': the checking HTTP load generator
 * (loadgen.h). Options, a live progress line, the summary as text or JSON.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "georace/loadgen.h"

#define CMD "load"

static void
usage(FILE *f)
{
    char prof[512], dbh[1024];
    fprintf(f,
            "usage: georace load --target URL [--profile P] [--connections C] [--rate R]\n"
            "                    [--duration D] [--seed S] [--threads T] [--timeout D]\n"
            "                    [--header xff|real-ip|mixed] [--canonical] [--json]\n"
            "                    [--db FILE | --csv FILE] [--block CC,... | --allow CC,...]\n\n"
            "Drives an HTTP target (georace proxy, nginx, ...) with the traffic model's\n"
            "client addresses in X-Forwarded-For and checks every answer against its own\n"
            "database: X-Geo-Country must be right, and the status 403 exactly when the\n"
            "country is blocked. A mismatch is a geo-block bypass and is always printed.\n\n"
            "  --target URL        http://ADDR:PORT/path of the target (required)\n"
            "%s"
            "  --connections C     keep-alive connections in total (default 16)\n"
            "  --rate R            requests/s in total, open loop (latency measured from\n"
            "                      the intended send time); 'profile' = the profile's\n"
            "                      rate; default: closed loop, flat out\n"
            "  --duration D        how long (default 10s)\n"
            "  --seed S            traffic seed (default: the profile's)\n"
            "  --threads T         load threads (default: one per CPU, at most C)\n"
            "  --timeout D         per-request timeout (default 10s)\n"
            "  --header H          address header: xff (X-Forwarded-For, default),\n"
            "                      real-ip (X-Real-Ip) or mixed (1 in 8 X-Real-Ip)\n"
            "  --canonical         write addresses in plain canonical text only (the\n"
            "                      default also sends ports, brackets, upper case)\n"
            "  --block CC,...      the target's block list, to check statuses exactly\n"
            "  --allow CC,...      the target's allow list (instead of --block); with\n"
            "                      neither, statuses are only checked to be consistent\n"
            "                      per country\n"
            "%s"
            "  --json              print the summary as JSON on stdout\n"
            "  --help              this text\n\n"
            "exit status: 0 every answer right and no errors, 1 mismatches, errors or\n"
            "the target died during the run, 64 usage, 65/66 bad or missing database or\n"
            "profile, 69 the target never answered.\n",
            gr_cli_profile_help(prof, sizeof prof, 22), gr_cli_db_help(dbh, sizeof dbh, 22));
}

struct load_opts {
    gr_load_config cfg; /* with the database the options select */
    gr_cli_db db;
    bool json, have_target;
};

struct progress_ctx {
    bool tty;
};

static void
on_progress(const gr_load_progress *p, void *arg)
{
    struct progress_ctx *pc = arg;
    fprintf(stderr, "%s%6.1fs  %10llu requests  %9.0f req/s  %llu errors  %llu mismatches%s",
            pc->tty ? "\r" : "", p->elapsed_s, (unsigned long long)p->requests, p->req_per_s,
            (unsigned long long)p->errors, (unsigned long long)p->mismatches, pc->tty ? "" : "\n");
    fflush(stderr);
}

static void
print_text(const gr_load_config *cfg, const gr_load_result *r)
{
    printf("target        %s (profile %s, %u connections, %s)\n", cfg->target, cfg->profile,
           cfg->connections,
           cfg->rate > 0   ? "open loop"
           : cfg->rate < 0 ? "profile rate"
                           : "closed loop");
    printf("requests      %llu answered in %.2fs: %.0f req/s (%llu allowed, %llu blocked)\n",
           (unsigned long long)r->requests, r->elapsed_s, r->req_per_s,
           (unsigned long long)r->allowed, (unsigned long long)r->blocked);
    printf("latency       p50 %.3f ms  p90 %.3f ms  p99 %.3f ms  p99.9 %.3f ms  max %.3f ms\n",
           r->p50_ms, r->p90_ms, r->p99_ms, r->p999_ms, r->max_ms);
    printf("errors        %llu", (unsigned long long)r->errors_total);
    for (int k = 0; k < GR_LOAD_ERR_COUNT; k++)
        if (r->errors[k])
            printf("  %s %llu", gr_load_error_name((gr_load_error)k),
                   (unsigned long long)r->errors[k]);
    printf("\n");
    if (r->unsent)
        printf("unsent        %llu (open loop: no free connection before the end)\n",
               (unsigned long long)r->unsent);
    printf("mismatches    %llu (country %llu, status %llu)\n", (unsigned long long)r->mismatches,
           (unsigned long long)r->country_mismatches, (unsigned long long)r->status_mismatches);
    if (r->target_died)
        printf("TARGET DIED   after %.3f s: it stopped accepting connections\n", r->died_after_s);
}

static void
print_examples(const gr_load_result *r)
{
    if (r->mismatches == 0)
        return;
    fprintf(stderr, "georace load: %llu MISMATCHES (geo-block bypass); first %u:\n",
            (unsigned long long)r->mismatches, r->n_examples);
    for (unsigned i = 0; i < r->n_examples; i++) {
        const gr_load_mismatch *m = &r->examples[i];
        fprintf(stderr, "  %-40s expected %-12s status %-3d  got %-12s status %d\n", m->client,
                m->expected, m->expected_status, m->got, m->status);
    }
}

static int
print_json(const gr_load_config *cfg, const gr_load_result *r)
{
    json_t *errors = json_object(), *examples = json_array();
    for (int k = 0; k < GR_LOAD_ERR_COUNT; k++)
        json_object_set_new(errors, gr_load_error_name((gr_load_error)k),
                            json_integer((json_int_t)r->errors[k]));
    for (unsigned i = 0; i < r->n_examples; i++) {
        const gr_load_mismatch *m = &r->examples[i];
        json_array_append_new(examples,
                              json_pack("{s:s,s:s,s:s,s:i,s:i}", "client", m->client, "expected",
                                        m->expected, "got", m->got, "expected_status",
                                        m->expected_status, "status", m->status));
    }
    json_t *root = json_pack(
        "{s:s,s:s,s:i,s:f,s:I,s:I,s:I,s:I,s:I,s:f,s:f,s:{s:f,s:f,s:f,s:f,s:f,s:f},s:o,s:I,s:I,"
        "s:I,s:I,s:I,s:o,s:b,s:f}",
        "target", cfg->target, "profile", cfg->profile, "connections", (int)cfg->connections,
        "rate", cfg->rate, "sent", (json_int_t)r->sent, "requests", (json_int_t)r->requests,
        "allowed", (json_int_t)r->allowed, "blocked", (json_int_t)r->blocked, "unsent",
        (json_int_t)r->unsent, "elapsed_s", r->elapsed_s, "req_per_s", r->req_per_s, "latency_ms",
        "p50", r->p50_ms, "p90", r->p90_ms, "p99", r->p99_ms, "p999", r->p999_ms, "max", r->max_ms,
        "mean", r->mean_ms, "errors", errors, "errors_total", (json_int_t)r->errors_total,
        "mismatches", (json_int_t)r->mismatches, "country_mismatches",
        (json_int_t)r->country_mismatches, "status_mismatches", (json_int_t)r->status_mismatches,
        "unsent_requests", (json_int_t)r->unsent, "mismatch_examples", examples, "target_died",
        r->target_died, "died_after_s", r->died_after_s);
    if (!root)
        return -1;
    int rc = json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    fputc('\n', stdout);
    json_decref(root);
    return rc;
}

/* GR_CLI_RUN, or the exit status (help printed, bad usage). */
static int
parse_load_options(int argc, char **argv, struct load_opts *o)
{
    enum {
        O_TARGET = 256,
        O_PROFILE,
        O_CONN,
        O_RATE,
        O_DUR,
        O_SEED,
        O_THREADS,
        O_TIMEOUT,
        O_HEADER,
        O_JSON,
        O_BACKEND,
        O_DB,
        O_CSV,
        O_BLOCK,
        O_ALLOW,
        O_CANON
    };
    static const struct option longopts[] = {{"target", required_argument, NULL, O_TARGET},
                                             {"profile", required_argument, NULL, O_PROFILE},
                                             {"connections", required_argument, NULL, O_CONN},
                                             {"rate", required_argument, NULL, O_RATE},
                                             {"duration", required_argument, NULL, O_DUR},
                                             {"seed", required_argument, NULL, O_SEED},
                                             {"threads", required_argument, NULL, O_THREADS},
                                             {"timeout", required_argument, NULL, O_TIMEOUT},
                                             {"header", required_argument, NULL, O_HEADER},
                                             {"json", no_argument, NULL, O_JSON},
                                             {"backend", required_argument, NULL, O_BACKEND},
                                             {"db", required_argument, NULL, O_DB},
                                             {"csv", required_argument, NULL, O_CSV},
                                             {"block", required_argument, NULL, O_BLOCK},
                                             {"allow", required_argument, NULL, O_ALLOW},
                                             {"canonical", no_argument, NULL, O_CANON},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    uint64_t v;
    int c;

    memset(o, 0, sizeof *o);
    gr_load_config_default(&o->cfg);
    gr_cli_db_init(&o->db);
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case O_TARGET:
            o->cfg.target = optarg;
            o->have_target = true;
            break;
        case O_PROFILE:
            o->cfg.profile = optarg;
            break;
        case O_CONN:
            if (gr_cli_opt_range(CMD, "connections", optarg, 1, 100000, &v))
                return GR_EXIT_USAGE;
            o->cfg.connections = (unsigned)v;
            break;
        case O_RATE:
            if (!strcmp(optarg, "profile")) {
                o->cfg.rate = -1;
            } else if (gr_cli_parse_u64(optarg, &v) || v > 10000000) {
                gr_cli_error(CMD, "--rate: '%s' is not a rate in requests/s or 'profile'", optarg);
                return GR_EXIT_USAGE;
            } else {
                o->cfg.rate = (double)v;
            }
            break;
        case O_DUR:
            if (gr_cli_parse_duration(optarg, &o->cfg.duration_ns) ||
                o->cfg.duration_ns < 1000000) {
                gr_cli_error(CMD, "--duration: '%s' is not a duration of at least 1ms", optarg);
                return GR_EXIT_USAGE;
            }
            break;
        case O_SEED:
            if (gr_cli_parse_u64(optarg, &o->cfg.seed)) {
                gr_cli_error(CMD, "--seed: '%s' is not a number", optarg);
                return GR_EXIT_USAGE;
            }
            o->cfg.seed_set = true;
            break;
        case O_THREADS:
            if (gr_cli_opt_range(CMD, "threads", optarg, 1, 64, &v))
                return GR_EXIT_USAGE;
            o->cfg.threads = (unsigned)v;
            break;
        case O_TIMEOUT:
            if (gr_cli_parse_duration(optarg, &o->cfg.timeout_ns) || o->cfg.timeout_ns < 1000000) {
                gr_cli_error(CMD, "--timeout: '%s' is not a duration of at least 1ms", optarg);
                return GR_EXIT_USAGE;
            }
            break;
        case O_HEADER:
            if (!strcmp(optarg, "xff"))
                o->cfg.header = GR_LOAD_XFF;
            else if (!strcmp(optarg, "real-ip"))
                o->cfg.header = GR_LOAD_REAL_IP;
            else if (!strcmp(optarg, "mixed"))
                o->cfg.header = GR_LOAD_MIXED;
            else {
                gr_cli_error(CMD, "--header: '%s' is not xff, real-ip or mixed", optarg);
                return GR_EXIT_USAGE;
            }
            break;
        case O_JSON:
            o->json = true;
            break;
        case O_BACKEND:
        case O_DB:
        case O_CSV:
            if (gr_cli_db_arg(CMD, &o->db, longopts[c - O_TARGET].name, optarg))
                return GR_EXIT_USAGE;
            break;
        case O_BLOCK:
            o->cfg.block = optarg;
            break;
        case O_ALLOW:
            o->cfg.allow = optarg;
            break;
        case O_CANON:
            o->cfg.canonical = true;
            break;
        case 'h':
            usage(stdout);
            return GR_EXIT_OK;
        default:
            usage(stderr);
            return GR_EXIT_USAGE;
        }
    }
    if (gr_cli_no_operands(CMD, argc, argv))
        return GR_EXIT_USAGE;
    if (!o->have_target) {
        gr_cli_error(CMD, "--target URL is required");
        return GR_EXIT_USAGE;
    }
    if (gr_cli_block_or_allow(CMD, o->cfg.block, o->cfg.allow))
        return GR_EXIT_USAGE;
    if (o->db.kind == GR_GEODB_MMDB && o->db.mmdb_path)
        o->cfg.mmdb_path = o->db.mmdb_path;
    else if (o->db.n_csv > 0) {
        o->cfg.csv_paths = o->db.csv_paths;
        o->cfg.n_csv = (size_t)o->db.n_csv;
    }
    return GR_CLI_RUN;
}

static int
run_load(const struct load_opts *o)
{
    gr_load_config cfg = o->cfg;
    struct progress_ctx pc = {gr_cli_is_tty(stderr)};
    cfg.progress = on_progress;
    cfg.progress_ctx = &pc;
    cfg.progress_interval_ns = pc.tty ? 500000000ull : 5000000000ull;

    gr_load_result r;
    char err[512] = "";
    if (gr_load_run(&cfg, &r, err, sizeof err)) {
        gr_cli_error(CMD, "%s", err);
        if (strstr(err, "--") || strstr(err, "connections"))
            return GR_EXIT_USAGE;
        return strstr(err, "cannot open") || strstr(err, "not found") || strstr(err, "No such")
                   ? GR_EXIT_NOINPUT
                   : GR_EXIT_DATAERR;
    }
    if (pc.tty)
        fputc('\n', stderr);
    if (o->json)
        print_json(&cfg, &r);
    else
        print_text(&cfg, &r);
    print_examples(&r);
    if (r.never_answered) {
        gr_cli_error(CMD, "the target %s never answered", cfg.target);
        return GR_EXIT_UNAVAIL;
    }
    if (r.target_died)
        gr_cli_error(CMD, "the target died %.3f s after the start", r.died_after_s);
    else if (r.errors_total)
        gr_cli_error(CMD, "%llu requests failed", (unsigned long long)r.errors_total);
    return r.mismatches || r.target_died || r.errors_total ? GR_EXIT_FAIL : GR_EXIT_OK;
}

int
gr_cmd_load(int argc, char **argv)
{
    struct load_opts o;
    int rc = parse_load_options(argc, argv, &o);
    return rc == GR_CLI_RUN ? run_load(&o) : rc;
}
