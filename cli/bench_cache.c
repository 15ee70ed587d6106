/*
 * bench_cache.c - 'georace bench cache': options and printing around the
 * cache benchmark of bench/ (georace/bench_cache.h): ops/s per target, mix
 * and thread count, as a table that fills in cell by cell, or JSON.
 *
 * Every cell also gets its ratio to Go's sync.Map (ns/op of the cell over
 * ns/op of go-syncmap in the same mix and thread count): when go-syncmap is
 * among the targets and can run, its cells are measured first, kept, and
 * printed in their own row later.
 */
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "georace/bench_cache.h"

#define CMD "bench cache"
#define GR_BC_MAX_THREADS 16
#define GR_BC_MAX_TARGETS 16
#define GR_BC_REFERENCE "go-syncmap"

struct bench_cache_opts {
    uint64_t threads[GR_BC_MAX_THREADS];
    int nthreads;
    uint64_t duration_ns, keys, reset_ns, seed;
    double zipf;
    bool json;
    char *variants; /* --variants, split in place into targets[] */
    const char *targets[GR_BC_MAX_TARGETS];
    int ntargets;
    /* go-syncmap's cells, measured before the rest (ran = false: none) */
    gr_bench_result ref[GR_BC_MAX_THREADS][GR_BENCH_MIX_COUNT];
    bool ref_ran[GR_BC_MAX_THREADS][GR_BENCH_MIX_COUNT];
};

static void
usage(FILE *f)
{
    char list[256] = "", targets[512];
    for (const char *const *t = gr_bench_targets(); *t; t++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", list[0] ? "," : "", *t);
    char text[400];
    snprintf(text, sizeof text, "targets to run, comma separated (default: all of\n%s)", list);
    fprintf(f,
            "usage: georace bench cache [OPTIONS]\n"
            "%s"
            "\n"
            "  --threads LIST     thread counts, e.g. 1,2,4 (default 1,2,4; max %d)\n"
            "  --seconds DUR      time per cell, e.g. 0.2, 500ms (default 200ms)\n"
            "%s"
            "  --keys N           hot key population, prefilled (default 100000)\n"
            "  --zipf S           Zipf exponent over the hot keys, 0 = uniform (default 1.0)\n"
            "  --reset-interval DUR  clear interval of reset-storm (default 1ms)\n"
            "  --seed N           workload seed (default 1)\n"
            "  --json             print JSON instead of the table\n"
            "  -h, --help         this text\n",
            gr_bench_cache_about, GR_BC_MAX_THREADS,
            gr_cli_help_wrap(targets, sizeof targets, 21, "--variants LIST", text));
}

/* Split --variants in place; every name must be a known target. */
static int
split_targets(struct bench_cache_opts *o, const char *arg)
{
    int n = 0;
    for (char *tok = strtok(o->variants, ","); tok; tok = strtok(NULL, ",")) {
        if (n == GR_BC_MAX_TARGETS) {
            n = 0;
            break;
        }
        o->targets[n++] = tok;
    }
    for (int i = 0; i < n; i++)
        if (!gr_bench_known(o->targets[i])) {
            gr_cli_error(CMD, "unknown target '%s'", o->targets[i]);
            return -1;
        }
    if (n == 0) {
        gr_cli_error(CMD, "bad --variants '%s'", arg);
        return -1;
    }
    o->ntargets = n;
    return 0;
}

/* GR_CLI_RUN, or the exit status (help printed, bad usage). */
static int
parse_bench_cache_options(int argc, char **argv, struct bench_cache_opts *o)
{
    static const struct option opts[] = {{"threads", required_argument, NULL, 't'},
                                         {"seconds", required_argument, NULL, 's'},
                                         {"variants", required_argument, NULL, 'v'},
                                         {"keys", required_argument, NULL, 'k'},
                                         {"zipf", required_argument, NULL, 'z'},
                                         {"reset-interval", required_argument, NULL, 'r'},
                                         {"seed", required_argument, NULL, 'S'},
                                         {"json", no_argument, NULL, 'j'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    memset(o, 0, sizeof *o);
    o->threads[0] = 1, o->threads[1] = 2, o->threads[2] = 4;
    o->nthreads = 3;
    o->duration_ns = 200000000u;
    o->keys = 100000;
    o->reset_ns = 1000000u;
    o->seed = 1;
    o->zipf = 1.0;
    const char *variants_arg = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        char *end;
        switch (c) {
        case 't':
            o->nthreads = gr_cli_parse_u64_list(optarg, o->threads, GR_BC_MAX_THREADS);
            for (int i = 0; o->nthreads > 0 && i < o->nthreads; i++)
                if (o->threads[i] < 1 || o->threads[i] > 256)
                    o->nthreads = -1;
            if (o->nthreads < 0) {
                gr_cli_error(CMD, "bad --threads '%s' (a list like 1,2,4; 1..256)", optarg);
                return GR_EXIT_USAGE;
            }
            break;
        case 's':
            if (gr_cli_parse_duration(optarg, &o->duration_ns) || o->duration_ns < 1000000u ||
                o->duration_ns > 600000000000u) {
                gr_cli_error(CMD, "bad --seconds '%s' (1ms..600s)", optarg);
                return GR_EXIT_USAGE;
            }
            break;
        case 'v':
            variants_arg = optarg;
            break;
        case 'k':
            if (gr_cli_parse_u64(optarg, &o->keys) || o->keys < 1 || o->keys > 10000000u) {
                gr_cli_error(CMD, "bad --keys '%s' (1..10M)", optarg);
                return GR_EXIT_USAGE;
            }
            break;
        case 'z':
            o->zipf = strtod(optarg, &end);
            if (end == optarg || *end || o->zipf < 0 || o->zipf > 5) {
                gr_cli_error(CMD, "bad --zipf '%s' (0..5)", optarg);
                return GR_EXIT_USAGE;
            }
            break;
        case 'r':
            if (gr_cli_parse_duration(optarg, &o->reset_ns) || o->reset_ns < 10000u) {
                gr_cli_error(CMD, "bad --reset-interval '%s' (at least 10us)", optarg);
                return GR_EXIT_USAGE;
            }
            break;
        case 'S':
            if (gr_cli_parse_u64(optarg, &o->seed)) {
                gr_cli_error(CMD, "bad --seed '%s'", optarg);
                return GR_EXIT_USAGE;
            }
            break;
        case 'j':
            o->json = true;
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
    if (!variants_arg) {
        for (const char *const *t = gr_bench_targets(); *t; t++)
            o->targets[o->ntargets++] = *t;
        return GR_CLI_RUN;
    }
    o->variants = strdup(variants_arg);
    if (!o->variants) {
        gr_cli_error(CMD, "bad --variants '%s'", variants_arg);
        return GR_EXIT_USAGE;
    }
    if (split_targets(o, variants_arg)) {
        free(o->variants);
        return GR_EXIT_USAGE;
    }
    return GR_CLI_RUN;
}

static void
print_header(const struct bench_cache_opts *o)
{
    printf("georace bench cache: %" PRIu64 " hot keys (Zipf s=%.2f), %.3f s per cell, "
           "reset-storm clears every %.3f ms\n",
           o->keys, o->zipf, (double)o->duration_ns / 1e9, (double)o->reset_ns / 1e6);
    printf("million ops/s (hit %%) and x Go = ns/op / Go sync.Map's ns/op\n%-20s %7s", "target",
           "threads");
    for (int m = 0; m < GR_BENCH_MIX_COUNT; m++)
        printf(" %24s", gr_bench_mix_name((gr_bench_mix)m));
    printf("\n");
    fflush(stdout);
}

/* One measured cell: its JSON fields, and its column of the table. ref:
 * go-syncmap's cell of the same mix and thread count, or NULL. */
static void
print_cell(const char *target, const gr_bench_result *r, const gr_bench_result *ref, json_t *row,
           bool json)
{
    double ratio =
        ref && ref->ops_per_s > 0 && r->ops_per_s > 0 ? ref->ops_per_s / r->ops_per_s : 0;
    if (r->ops_per_s > 0)
        json_object_set_new(row, "ns_per_op", json_real(1e9 / r->ops_per_s));
    if (ratio > 0)
        json_object_set_new(row, "ns_per_op_vs_go_syncmap", json_real(ratio));
    json_object_set_new(row, "ops", json_integer((json_int_t)r->ops));
    json_object_set_new(row, "seconds", json_real(r->seconds));
    json_object_set_new(row, "ops_per_s", json_real(r->ops_per_s));
    json_object_set_new(row, "hits", json_integer((json_int_t)r->hits));
    json_object_set_new(row, "misses", json_integer((json_int_t)r->misses));
    json_object_set_new(row, "clears", json_integer((json_int_t)r->clears));
    if (r->mem_bytes)
        json_object_set_new(row, "mem_bytes", json_integer((json_int_t)r->mem_bytes));
    if (json)
        return;
    char cellbuf[48], ratiobuf[16] = "";
    if (ratio > 0)
        snprintf(ratiobuf, sizeof ratiobuf, " %.2fx", ratio);
    double hit = r->ops ? 100.0 * (double)r->hits / (double)r->ops : 0;
    if (gr_bench_has_hits(target))
        snprintf(cellbuf, sizeof cellbuf, "%.2f (%2.0f%%)%s", r->ops_per_s / 1e6, hit, ratiobuf);
    else
        snprintf(cellbuf, sizeof cellbuf, "%.2f%s", r->ops_per_s / 1e6, ratiobuf);
    printf(" %24s", cellbuf);
}

/* Every mix of one target at one thread count: a row of the table. */
static void
cell_of(const struct bench_cache_opts *o, const char *target, uint64_t threads, gr_bench_mix m,
        gr_bench_cell *cell)
{
    *cell = (gr_bench_cell){.target = target,
                            .mix = m,
                            .threads = (unsigned)threads,
                            .duration_ns = o->duration_ns,
                            .keys = (size_t)o->keys,
                            .zipf_s = o->zipf,
                            .reset_ns = o->reset_ns,
                            .seed = o->seed};
}

/* Measure go-syncmap's cells first, if it is to run: every row's ratio. */
static void
run_reference(struct bench_cache_opts *o)
{
    bool wanted = false;
    for (int ti = 0; ti < o->ntargets; ti++)
        wanted |= !strcmp(o->targets[ti], GR_BC_REFERENCE);
    if (!wanted || gr_bench_unavailable(GR_BC_REFERENCE))
        return;
    for (int k = 0; k < o->nthreads; k++)
        for (int m = 0; m < GR_BENCH_MIX_COUNT; m++) {
            gr_bench_cell cell;
            char err[256];
            cell_of(o, GR_BC_REFERENCE, o->threads[k], (gr_bench_mix)m, &cell);
            o->ref_ran[k][m] = gr_bench_run_cell(&cell, &o->ref[k][m], err, sizeof err) == 0 &&
                               !o->ref[k][m].skipped;
        }
}

static int
run_row(const struct bench_cache_opts *o, const char *target, int k, json_t *rows)
{
    uint64_t threads = o->threads[k];
    bool is_ref = !strcmp(target, GR_BC_REFERENCE);
    int status = GR_EXIT_OK;
    if (!o->json)
        printf("%-20s %7" PRIu64, target, threads);
    for (int m = 0; m < GR_BENCH_MIX_COUNT; m++) {
        gr_bench_cell cell;
        cell_of(o, target, threads, (gr_bench_mix)m, &cell);
        gr_bench_result r;
        const gr_bench_result *ref = o->ref_ran[k][m] ? &o->ref[k][m] : NULL;
        char err[256] = "";
        json_t *row = json_object();
        json_object_set_new(row, "variant", json_string(target));
        json_object_set_new(row, "peer", json_boolean(gr_bench_is_peer(target)));
        json_object_set_new(row, "mix", json_string(gr_bench_mix_name(cell.mix)));
        json_object_set_new(row, "threads", json_integer((json_int_t)threads));
        if (is_ref && ref) {
            print_cell(target, ref, ref, row, o->json);
        } else if (gr_bench_run_cell(&cell, &r, err, sizeof err)) {
            gr_cli_error(CMD, "%s", err);
            json_object_set_new(row, "error", json_string(err));
            status = GR_EXIT_FAIL;
            if (!o->json)
                printf(" %24s", "error");
        } else if (r.skipped) {
            json_object_set_new(row, "skipped", json_string(r.skipped));
            if (!o->json)
                printf(" %24s", "-");
        } else {
            print_cell(target, &r, ref, row, o->json);
        }
        json_array_append_new(rows, row);
        if (!o->json)
            fflush(stdout);
    }
    if (!o->json)
        printf("\n");
    return status;
}

static int
run_bench_cache(struct bench_cache_opts *o)
{
    json_t *root = json_object(), *rows = json_array(), *notes = json_array();
    json_object_set_new(root, "benchmark", json_string("cache"));
    json_object_set_new(root, "seconds_per_cell", json_real((double)o->duration_ns / 1e9));
    json_object_set_new(root, "keys", json_integer((json_int_t)o->keys));
    json_object_set_new(root, "zipf_s", json_real(o->zipf));
    json_object_set_new(root, "reset_interval_ns", json_integer((json_int_t)o->reset_ns));
    for (const char *const *n = gr_bench_notes(); *n; n++)
        json_array_append_new(notes, json_string(*n));
    if (!o->json)
        print_header(o);
    run_reference(o);
    int status = GR_EXIT_OK;
    for (int ti = 0; ti < o->ntargets; ti++) {
        const char *why = gr_bench_unavailable(o->targets[ti]);
        if (why) {
            char note[160];
            snprintf(note, sizeof note, "%s skipped: %s", o->targets[ti], why);
            json_array_append_new(notes, json_string(note));
            if (!o->json)
                printf("%-20s %s\n", o->targets[ti], note);
            else
                fprintf(stderr, "georace bench cache: %s\n", note);
            continue;
        }
        for (int k = 0; k < o->nthreads; k++)
            if (run_row(o, o->targets[ti], k, rows) != GR_EXIT_OK)
                status = GR_EXIT_FAIL;
    }
    json_object_set_new(root, "results", rows);
    json_object_set_new(root, "notes", notes);
    if (o->json) {
        json_dumpf(root, stdout, JSON_INDENT(2));
        printf("\n");
    } else {
        printf("\n");
        for (const char *const *n = gr_bench_notes(); *n; n++)
            printf("note: %s\n", *n);
    }
    json_decref(root);
    return status;
}

int
gr_cmd_bench_cache(int argc, char **argv)
{
    struct bench_cache_opts o;
    int rc = parse_bench_cache_options(argc, argv, &o);
    if (rc != GR_CLI_RUN)
        return rc;
    rc = run_bench_cache(&o);
    free(o.variants);
    return rc;
}
