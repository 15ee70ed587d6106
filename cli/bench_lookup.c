/*
 * bench_lookup.c - 'georace bench lookup': options and printing around the
 * lookup benchmark of bench/ (georace/bench_lookup.h), as a table or JSON.
 */
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "georace/bench_lookup.h"

#define CMD "bench lookup"

struct bench_lookup_opts {
    gr_cli_db db;
    uint64_t samples, cap_ns, seed;
    bool json;
};

static void
usage(FILE *f)
{
    fprintf(f,
            "usage: georace bench lookup [--samples N] [--seconds S] [--seed N] [--json]\n"
            "                            [--db FILE] [--csv FILE...]\n\n"
            "Nanoseconds per lookup for the mmdb backend (libmaxminddb), scan-bsearch,\n"
            "the linear scan (Zoraxy's slow mode) and a cache hit through the resolver\n"
            "(mutex variant), over one fixed sample of public addresses that the\n"
            "database knows. The linear scan runs samples/%d lookups (at most %d).\n\n"
            "  --samples N     sample size (default 100000)\n"
            "  --seconds S     time cap per row (default 3s)\n"
            "  --seed N        sample seed (default %u)\n"
            "  --json          print one JSON document instead of a table\n"
            "  --db FILE       MMDB file for the mmdb row (default: embedded database)\n"
            "  --csv FILE      CSV for the scan rows and the sample; may repeat\n"
            "                  (default: embedded database)\n"
            "  --help          this text\n\n"
            "exit status: 0 ok, 1 a backend disagreed with the reference, 64 usage,\n"
            "65 malformed database, 66 database missing.\n",
            GR_BENCH_LOOKUP_LINEAR_DIVISOR, GR_BENCH_LOOKUP_LINEAR_MAX, GR_BENCH_LOOKUP_SEED);
}

/* GR_CLI_RUN, or the exit status (help printed, bad usage). */
static int
parse_bench_lookup_options(int argc, char **argv, struct bench_lookup_opts *o)
{
    static const struct option longopts[] = {
        {"samples", required_argument, NULL, 'n'}, {"seconds", required_argument, NULL, 's'},
        {"seed", required_argument, NULL, 'S'},    {"json", no_argument, NULL, 'j'},
        {"db", required_argument, NULL, 'D'},      {"csv", required_argument, NULL, 'C'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0}};
    int c, idx = 0;
    memset(o, 0, sizeof *o);
    gr_cli_db_init(&o->db);
    o->samples = 100000;
    o->cap_ns = 3000000000u;
    o->seed = GR_BENCH_LOOKUP_SEED;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", longopts, &idx)) != -1) {
        switch (c) {
        case 'n':
            if (gr_cli_parse_u64(optarg, &o->samples) || o->samples < 1 || o->samples > 10000000) {
                gr_cli_error(CMD, "--samples: '%s' is not 1..10M", optarg);
                return GR_EXIT_USAGE;
            }
            break;
        case 's':
            if (gr_cli_parse_duration(optarg, &o->cap_ns) || o->cap_ns == 0) {
                gr_cli_error(CMD, "--seconds: '%s' is not a duration", optarg);
                return GR_EXIT_USAGE;
            }
            break;
        case 'S':
            if (gr_cli_parse_u64(optarg, &o->seed)) {
                gr_cli_error(CMD, "--seed: '%s' is not a number", optarg);
                return GR_EXIT_USAGE;
            }
            break;
        case 'j':
            o->json = true;
            break;
        case 'D':
        case 'C':
            if (gr_cli_db_arg(CMD, &o->db, longopts[idx].name, optarg))
                return GR_EXIT_USAGE;
            break;
        case 'h':
            usage(stdout);
            return GR_EXIT_OK;
        default: /* ':' or '?' */
            gr_cli_bad_option(CMD, c, argv);
            return GR_EXIT_USAGE;
        }
    }
    if (gr_cli_no_operands(CMD, argc, argv))
        return GR_EXIT_USAGE;
    return GR_CLI_RUN;
}

static void
print_table(const gr_bench_lookup_report *r)
{
    printf("georace bench lookup: %zu public addresses (%zu IPv6), seed fixed\n\n", r->samples,
           r->samples_v6);
    printf("%-22s %9s %14s %9s %9s %10s\n", "row", "lookups", "ns/lookup", "found", "agree",
           "open ms");
    for (int i = 0; i < GR_BENCH_LOOKUP_ROWS; i++) {
        const gr_bench_lookup_row *row = &r->rows[i];
        if (!row->ran) {
            printf("%-22s %9s\n", row->name, "(not run)");
            continue;
        }
        printf("%-22s %9zu %14.1f %9zu %9zu %10.1f\n", row->name, row->lookups, row->ns_per_lookup,
               row->found, row->agree, row->open_ms);
    }
    printf("\nThe linear scan re-parses every CSV row per lookup, so it runs only the first\n"
           "%zu samples; every row stops at the --seconds cap. 'agree' counts answers equal to\n"
           "the reference (scan-bsearch while drawing the sample).\n",
           r->linear_samples);
}

static int
print_json(const gr_bench_lookup_report *r, const struct bench_lookup_opts *o)
{
    json_t *results = json_array();
    for (int i = 0; i < GR_BENCH_LOOKUP_ROWS; i++) {
        const gr_bench_lookup_row *row = &r->rows[i];
        json_t *j = json_pack("{s:s,s:b}", "name", row->name, "ran", row->ran);
        if (row->ran) {
            json_object_set_new(j, "lookups", json_integer((json_int_t)row->lookups));
            json_object_set_new(j, "ns_per_lookup", json_real(row->ns_per_lookup));
            json_object_set_new(j, "found", json_integer((json_int_t)row->found));
            json_object_set_new(j, "agree", json_integer((json_int_t)row->agree));
            json_object_set_new(j, "open_ms", json_real(row->open_ms));
        }
        json_array_append_new(results, j);
    }
    const gr_cli_db *d = &o->db;
    json_t *doc = json_pack("{s:s,s:I,s:I,s:I,s:I,s:f,s:s,s:s,s:o}", "benchmark", "lookup", "seed",
                            (json_int_t)o->seed, "samples", (json_int_t)r->samples, "samples_ipv6",
                            (json_int_t)r->samples_v6, "linear_samples",
                            (json_int_t)r->linear_samples, "seconds_cap", (double)o->cap_ns / 1e9,
                            "mmdb", d->mmdb_path ? d->mmdb_path : "embedded", "csv",
                            d->n_csv ? d->csv_paths[0] : "embedded", "results", results);
    if (!doc)
        return -1;
    char *text = json_dumps(doc, JSON_INDENT(2) | JSON_REAL_PRECISION(6));
    json_decref(doc);
    if (!text)
        return -1;
    puts(text);
    free(text);
    return 0;
}

/* The benchmark's databases: the ones the options select. */
static int
open_selected(gr_geodb_kind kind, gr_geodb **out, void *ctx)
{
    gr_cli_db d = *(const gr_cli_db *)ctx;
    d.kind = kind;
    return gr_cli_db_open(&d, out);
}

static int
run_bench_lookup(const struct bench_lookup_opts *o)
{
    gr_bench_lookup_config cfg = {.samples = o->samples,
                                  .seed = o->seed,
                                  .cap_ns = o->cap_ns,
                                  .open = open_selected,
                                  .open_ctx = (void *)&o->db};
    gr_bench_lookup_report r;
    switch (gr_bench_lookup_run(&cfg, &r)) {
    case GR_BENCH_LOOKUP_OK:
        break;
    case GR_BENCH_LOOKUP_EOPEN:
        return r.open_status; /* gr_cli_db_open said why */
    case GR_BENCH_LOOKUP_ENOMEM:
        gr_cli_error(CMD, "out of memory for %" PRIu64 " samples", o->samples);
        return GR_EXIT_SOFTWARE;
    default:
        gr_cli_error(CMD, "the database has no public ranges to sample");
        return GR_EXIT_DATAERR;
    }
    int rc = GR_EXIT_OK;
    if (!r.rows[GR_BENCH_LOOKUP_CACHE_HIT].ran)
        gr_cli_error(CMD, "the 'mutex' cache variant is not available");
    if (o->json) {
        if (print_json(&r, o))
            rc = GR_EXIT_SOFTWARE;
    } else {
        print_table(&r);
    }
    /* the mmdb and CSV rows only must agree when both come from one source */
    bool same_source = (o->db.mmdb_path == NULL) == (o->db.n_csv == 0);
    int bad = gr_bench_lookup_disagreeing_row(&r);
    if (rc == GR_EXIT_OK && same_source && bad >= 0) {
        const gr_bench_lookup_row *row = &r.rows[bad];
        gr_cli_error(CMD, "%s disagreed with the reference on %zu lookups", row->name,
                     row->lookups - row->agree);
        rc = GR_EXIT_FAIL;
    }
    return rc;
}

int
gr_cmd_bench_lookup(int argc, char **argv)
{
    struct bench_lookup_opts o;
    int rc = parse_bench_lookup_options(argc, argv, &o);
    return rc == GR_CLI_RUN ? run_bench_lookup(&o) : rc;
}
