/*
 * bench_cache.c - 'georace bench cache': options and printing around the
 * cache benchmark of bench/ (georace/bench_cache.h): ops/s per target, mix
 * and thread count, as a table that fills in cell by cell, or JSON.
 *
 * Every cell is measured --repeat times, in rounds over all the cells
 * (every other round in reverse order, so that a drift of the machine
 * during the run, or a cell's place in the list, lands on every target
 * alike); the table shows the median run and the spread of the runs, and
 * every cell gets its ratio to Go's sync.Map (the median ns/op of the cell
 * over the median ns/op of go-syncmap in the same mix and thread count).
 * The load average before and after the run is printed with the figures.
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
#define GR_BC_MAX_REPEAT 99

struct bench_cache_opts {
    uint64_t threads[GR_BC_MAX_THREADS];
    int nthreads;
    uint64_t duration_ns, warmup_ns, keys, reset_ns, seed, repeat;
    double zipf;
    bool json;
    char *variants; /* --variants, split in place into targets[] */
    const char *targets[GR_BC_MAX_TARGETS];
    int ntargets;
};

/* Every run of one cell, and what the table shows of it. */
struct bench_cache_cell {
    gr_bench_result *runs; /* repeat of them */
    int nruns;
    char err[256]; /* non-empty: a run failed */
    const char *skipped;
    gr_bench_result median;
    double spread_pct; /* (max - min) / median of the runs' ops/s */
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
            "  --seconds DUR      measured time per cell, e.g. 0.2, 500ms (default 200ms)\n"
            "  --warmup DUR       the cell's threads run this long before the measured\n"
            "                     window opens (default 100ms)\n"
            "  --repeat N         runs per cell, in rounds over all cells; the table shows\n"
            "                     the median and the spread (default 3; 1..%d)\n"
            "%s"
            "  --keys N           hot key population, prefilled (default 100000)\n"
            "  --zipf S           Zipf exponent over the hot keys, 0 = uniform (default 1.0)\n"
            "  --reset-interval DUR  clear interval of reset-storm (default 1ms)\n"
            "  --seed N           workload seed (default 1)\n"
            "  --json             print JSON instead of the table\n"
            "  -h, --help         this text\n",
            gr_bench_cache_about, GR_BC_MAX_THREADS, GR_BC_MAX_REPEAT,
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
                                         {"warmup", required_argument, NULL, 'w'},
                                         {"repeat", required_argument, NULL, 'R'},
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
    o->warmup_ns = 100000000u;
    o->repeat = 3;
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
        case 'w':
            if (gr_cli_parse_duration(optarg, &o->warmup_ns) || o->warmup_ns > 60000000000u) {
                gr_cli_error(CMD, "bad --warmup '%s' (0..60s)", optarg);
                return GR_EXIT_USAGE;
            }
            break;
        case 'R':
            if (gr_cli_parse_u64(optarg, &o->repeat) || o->repeat < 1 ||
                o->repeat > GR_BC_MAX_REPEAT) {
                gr_cli_error(CMD, "bad --repeat '%s' (1..%d)", optarg, GR_BC_MAX_REPEAT);
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

/* The load average as text ("1.23 0.98 0.50"), or "unknown". */
static void
load_text(char *buf, size_t cap, double *la)
{
    if (getloadavg(la, 3) == 3)
        snprintf(buf, cap, "%.2f %.2f %.2f", la[0], la[1], la[2]);
    else
        snprintf(buf, cap, "unknown");
}

static json_t *
load_json(const double *la)
{
    return json_pack("[f, f, f]", la[0], la[1], la[2]);
}

static void
print_header(const struct bench_cache_opts *o, const char *load)
{
    printf("georace bench cache: %" PRIu64 " hot keys (Zipf s=%.2f), %.3f s measured per cell "
           "after %.3f s of warm-up, median of %" PRIu64 " runs, reset-storm clears every %.3f "
           "ms\n",
           o->keys, o->zipf, (double)o->duration_ns / 1e9, (double)o->warmup_ns / 1e9, o->repeat,
           (double)o->reset_ns / 1e6);
    printf("load average before the run: %s (2 or more on 2 cores: a loaded machine)\n", load);
    printf("million ops/s (hit %%), x Go = ns/op / Go sync.Map's ns/op, +- = spread of the runs "
           "(max - min) / median\n%-20s %7s",
           "target", "threads");
    for (int m = 0; m < GR_BENCH_MIX_COUNT; m++)
        printf(" %30s", gr_bench_mix_name((gr_bench_mix)m));
    printf("\n");
    fflush(stdout);
}

/* One measured cell: its JSON fields, and its column of the table. ref:
 * go-syncmap's cell of the same mix and thread count, or NULL. */
static void
print_cell(const char *target, const struct bench_cache_cell *bc, const gr_bench_result *ref,
           json_t *row, bool json)
{
    const gr_bench_result *r = &bc->median;
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
    json_t *runs = json_array();
    for (int i = 0; i < bc->nruns; i++)
        json_array_append_new(runs, json_real(bc->runs[i].ops_per_s));
    json_object_set_new(row, "runs_ops_per_s", runs);
    json_object_set_new(row, "spread_pct", json_real(bc->spread_pct));
    if (r->cpu_share > 0 && r->ops > 0) {
        /* CPU time per operation: what a descheduled worker does not inflate */
        json_object_set_new(row, "cpu_share", json_real(r->cpu_share));
        json_object_set_new(row, "cpu_ns_per_op",
                            json_real(r->cpu_share * r->seconds * 1e9 *
                                      (double)json_integer_value(json_object_get(row, "threads")) /
                                      (double)r->ops));
    }
    if (json)
        return;
    char cellbuf[64], ratiobuf[16] = "", spreadbuf[24] = "";
    if (ratio > 0)
        snprintf(ratiobuf, sizeof ratiobuf, " %.2fx", ratio);
    if (bc->nruns > 1)
        snprintf(spreadbuf, sizeof spreadbuf, " +-%.0f%%", bc->spread_pct / 2);
    if (r->cpu_share > 0 && r->cpu_share < 0.9)
        snprintf(spreadbuf + strlen(spreadbuf), sizeof spreadbuf - strlen(spreadbuf), "!");
    double hit = r->ops ? 100.0 * (double)r->hits / (double)r->ops : 0;
    if (gr_bench_has_hits(target))
        snprintf(cellbuf, sizeof cellbuf, "%.2f (%2.0f%%)%s%s", r->ops_per_s / 1e6, hit, ratiobuf,
                 spreadbuf);
    else
        snprintf(cellbuf, sizeof cellbuf, "%.2f%s%s", r->ops_per_s / 1e6, ratiobuf, spreadbuf);
    printf(" %30s", cellbuf);
}

static void
cell_of(const struct bench_cache_opts *o, const char *target, uint64_t threads, gr_bench_mix m,
        gr_bench_cell *cell)
{
    *cell = (gr_bench_cell){.target = target,
                            .mix = m,
                            .threads = (unsigned)threads,
                            .duration_ns = o->duration_ns,
                            .warmup_ns = o->warmup_ns,
                            .keys = (size_t)o->keys,
                            .zipf_s = o->zipf,
                            .reset_ns = o->reset_ns,
                            .seed = o->seed};
}

static int
cmp_ops(const void *a, const void *b)
{
    double x = ((const gr_bench_result *)a)->ops_per_s, y = ((const gr_bench_result *)b)->ops_per_s;
    return x < y ? -1 : x > y;
}

/* The median run (the lower middle one of an even count) and the spread. */
static void
summarize(struct bench_cache_cell *bc)
{
    if (bc->nruns == 0)
        return;
    gr_bench_result sorted[GR_BC_MAX_REPEAT];
    memcpy(sorted, bc->runs, (size_t)bc->nruns * sizeof *sorted);
    qsort(sorted, (size_t)bc->nruns, sizeof *sorted, cmp_ops);
    bc->median = sorted[(bc->nruns - 1) / 2];
    double lo = sorted[0].ops_per_s, hi = sorted[bc->nruns - 1].ops_per_s;
    bc->spread_pct = bc->median.ops_per_s > 0 ? 100.0 * (hi - lo) / bc->median.ops_per_s : 0;
}

/* All the cells of the run: [target][threads][mix]. */
struct bench_cache_grid {
    struct bench_cache_cell *cells;
    int ntargets, nthreads;
};

static struct bench_cache_cell *
grid_at(const struct bench_cache_grid *g, int ti, int k, int m)
{
    return &g->cells[((size_t)ti * (size_t)g->nthreads + (size_t)k) * GR_BENCH_MIX_COUNT +
                     (size_t)m];
}

/* One run of cell number i (in round order) of the grid. */
static void
run_one(const struct bench_cache_opts *o, struct bench_cache_grid *g, size_t i)
{
    int m = (int)(i % GR_BENCH_MIX_COUNT), k = (int)(i / GR_BENCH_MIX_COUNT % (size_t)g->nthreads);
    int ti = (int)(i / GR_BENCH_MIX_COUNT / (size_t)g->nthreads);
    struct bench_cache_cell *bc = grid_at(g, ti, k, m);
    if (bc->err[0] || bc->skipped || gr_bench_unavailable(o->targets[ti]))
        return;
    gr_bench_cell cell;
    cell_of(o, o->targets[ti], o->threads[k], (gr_bench_mix)m, &cell);
    gr_bench_result *r = &bc->runs[bc->nruns];
    if (gr_bench_run_cell(&cell, r, bc->err, sizeof bc->err)) {
        if (!bc->err[0])
            snprintf(bc->err, sizeof bc->err, "%s: failed", o->targets[ti]);
        gr_cli_error(CMD, "%s", bc->err);
    } else if (r->skipped) {
        bc->skipped = r->skipped;
    } else {
        bc->nruns++;
    }
}

/* --repeat rounds over every cell, every other one backwards. */
static void
run_rounds(const struct bench_cache_opts *o, struct bench_cache_grid *g)
{
    size_t n = (size_t)g->ntargets * (size_t)g->nthreads * GR_BENCH_MIX_COUNT;
    for (uint64_t rep = 0; rep < o->repeat; rep++) {
        if (!o->json && o->repeat > 1)
            fprintf(stderr, "georace bench cache: round %" PRIu64 " of %" PRIu64 "\n", rep + 1,
                    o->repeat);
        for (size_t j = 0; j < n; j++)
            run_one(o, g, rep % 2 ? n - 1 - j : j);
    }
    for (size_t j = 0; j < n; j++)
        summarize(&g->cells[j]);
}

/* go-syncmap's median cell of thread column k and mix m, or NULL. */
static const gr_bench_result *
reference(const struct bench_cache_opts *o, const struct bench_cache_grid *g, int k, int m)
{
    for (int ti = 0; ti < o->ntargets; ti++) {
        const struct bench_cache_cell *bc = grid_at(g, ti, k, m);
        if (!strcmp(o->targets[ti], GR_BC_REFERENCE) && bc->nruns && !bc->err[0])
            return &bc->median;
    }
    return NULL;
}

static int
print_row(const struct bench_cache_opts *o, const struct bench_cache_grid *g, int ti, int k,
          json_t *rows)
{
    const char *target = o->targets[ti];
    uint64_t threads = o->threads[k];
    int status = GR_EXIT_OK;
    if (!o->json)
        printf("%-20s %7" PRIu64, target, threads);
    for (int m = 0; m < GR_BENCH_MIX_COUNT; m++) {
        const struct bench_cache_cell *bc = grid_at(g, ti, k, m);
        json_t *row = json_object();
        json_object_set_new(row, "variant", json_string(target));
        json_object_set_new(row, "peer", json_boolean(gr_bench_is_peer(target)));
        json_object_set_new(row, "mix", json_string(gr_bench_mix_name((gr_bench_mix)m)));
        json_object_set_new(row, "threads", json_integer((json_int_t)threads));
        if (bc->err[0]) {
            json_object_set_new(row, "error", json_string(bc->err));
            status = GR_EXIT_FAIL;
            if (!o->json)
                printf(" %30s", "error");
        } else if (bc->skipped) {
            json_object_set_new(row, "skipped", json_string(bc->skipped));
            if (!o->json)
                printf(" %30s", "-");
        } else {
            print_cell(target, bc, reference(o, g, k, m), row, o->json);
        }
        json_array_append_new(rows, row);
    }
    if (!o->json)
        printf("\n");
    return status;
}

static int
grid_make(const struct bench_cache_opts *o, struct bench_cache_grid *g)
{
    g->ntargets = o->ntargets;
    g->nthreads = o->nthreads;
    size_t n = (size_t)g->ntargets * (size_t)g->nthreads * GR_BENCH_MIX_COUNT;
    g->cells = calloc(n, sizeof *g->cells);
    for (size_t j = 0; g->cells && j < n; j++)
        if (!(g->cells[j].runs = calloc(o->repeat, sizeof *g->cells[j].runs)))
            return -1;
    return g->cells ? 0 : -1;
}

static void
grid_free(struct bench_cache_grid *g)
{
    size_t n = (size_t)g->ntargets * (size_t)g->nthreads * GR_BENCH_MIX_COUNT;
    for (size_t j = 0; g->cells && j < n; j++)
        free(g->cells[j].runs);
    free(g->cells);
}

/* Which configuration each target of the run is measured in. */
static json_t *
configs_json(const struct bench_cache_opts *o)
{
    json_t *c = json_object();
    for (int ti = 0; ti < o->ntargets; ti++)
        json_object_set_new(c, o->targets[ti], json_string(gr_bench_target_config(o->targets[ti])));
    return c;
}

static int
run_bench_cache(struct bench_cache_opts *o)
{
    struct bench_cache_grid g = {0};
    if (grid_make(o, &g)) {
        grid_free(&g);
        gr_cli_error(CMD, "out of memory");
        return GR_EXIT_FAIL;
    }
    double la0[3] = {0}, la1[3] = {0};
    char load0[64], load1[64];
    load_text(load0, sizeof load0, la0);
    json_t *root = json_object(), *rows = json_array(), *notes = json_array();
    json_object_set_new(root, "benchmark", json_string("cache"));
    json_object_set_new(root, "seconds_per_cell", json_real((double)o->duration_ns / 1e9));
    json_object_set_new(root, "warmup_seconds", json_real((double)o->warmup_ns / 1e9));
    json_object_set_new(root, "repeat", json_integer((json_int_t)o->repeat));
    json_object_set_new(root, "keys", json_integer((json_int_t)o->keys));
    json_object_set_new(root, "zipf_s", json_real(o->zipf));
    json_object_set_new(root, "reset_interval_ns", json_integer((json_int_t)o->reset_ns));
    json_object_set_new(root, "configurations", configs_json(o));
    for (const char *const *n = gr_bench_notes(); *n; n++)
        json_array_append_new(notes, json_string(*n));
    if (!o->json)
        print_header(o, load0);
    run_rounds(o, &g);
    load_text(load1, sizeof load1, la1);
    json_object_set_new(root, "loadavg_before", load_json(la0));
    json_object_set_new(root, "loadavg_after", load_json(la1));
    char floor_note[256] = "";
    gr_bench_floor_note(floor_note, sizeof floor_note);
    if (floor_note[0])
        json_array_append_new(notes, json_string(floor_note));
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
            if (print_row(o, &g, ti, k, rows) != GR_EXIT_OK)
                status = GR_EXIT_FAIL;
    }
    json_object_set_new(root, "results", rows);
    json_object_set_new(root, "notes", notes);
    if (o->json) {
        json_dumpf(root, stdout, JSON_INDENT(2));
        printf("\n");
    } else {
        printf("\nload average after the run: %s\n", load1);
        for (const char *const *n = gr_bench_notes(); *n; n++)
            printf("note: %s\n", *n);
        if (floor_note[0])
            printf("note: %s\n", floor_note);
    }
    json_decref(root);
    grid_free(&g);
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
