/*
 * bench_cache.c - 'georace bench cache': ops/s per cache variant and peer,
 * per operation mix and thread count, as a table or JSON (jansson).
 * The work is done by bench_cache_engine.c; this is option parsing and
 * printing.
 */
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_cache_engine.h"
#include "cli.h"

int gr_bench_cache(int argc, char **argv);

#define GR_BC_MAX_THREADS 16
#define GR_BC_MAX_TARGETS 16

static void
gr_bc_usage(FILE *f)
{
    fprintf(f,
            "usage: georace bench cache [OPTIONS]\n"
            "Ops/s of every cache variant and of peers (liburcu rculfhash, Concurrency Kit\n"
            "ck_ht, an uncached libmaxminddb lookup) for four operation mixes:\n"
            "read-mostly (99%% hits), mixed (90/10), write-heavy (50%% misses) and\n"
            "reset-storm (mixed while a ticker clears the cache). Keys follow a Zipf law.\n"
            "\n"
            "  --threads LIST     thread counts, e.g. 1,2,4 (default 1,2,4; max %d)\n"
            "  --seconds DUR      time per cell, e.g. 0.2, 500ms (default 200ms)\n"
            "  --variants LIST    targets to run, comma separated (default: all of\n"
            "                     gomap,syncmap+naive-reset,syncmap,mutex,rwlock,sharded,\n"
            "                     rculfhash,ck_ht,mmdb)\n"
            "  --keys N           hot key population, prefilled (default 100000)\n"
            "  --zipf S           Zipf exponent over the hot keys, 0 = uniform (default 1.0)\n"
            "  --reset-interval DUR  clear interval of reset-storm (default 1ms)\n"
            "  --seed N           workload seed (default 1)\n"
            "  --json             print JSON instead of the table\n"
            "  -h, --help         this text\n",
            GR_BC_MAX_THREADS);
}

static int
gr_bc_split(char *s, const char **out, int cap)
{
    int n = 0;
    for (char *tok = strtok(s, ","); tok; tok = strtok(NULL, ",")) {
        if (n == cap)
            return -1;
        out[n++] = tok;
    }
    return n;
}

int
gr_bench_cache(int argc, char **argv)
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
    const char *cmd = "bench cache";
    uint64_t threads[GR_BC_MAX_THREADS] = {1, 2, 4};
    int nthreads = 3;
    uint64_t duration_ns = 200000000u, keys = 100000, reset_ns = 1000000u, seed = 1;
    double zipf = 1.0;
    bool json = false;
    char *variants_arg = NULL;
    const char *targets[GR_BC_MAX_TARGETS];
    int ntargets = 0;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        char *end;
        switch (c) {
        case 't':
            nthreads = gr_cli_parse_u64_list(optarg, threads, GR_BC_MAX_THREADS);
            for (int i = 0; nthreads > 0 && i < nthreads; i++)
                if (threads[i] < 1 || threads[i] > 256)
                    nthreads = -1;
            if (nthreads < 0) {
                gr_cli_error(cmd, "bad --threads '%s' (a list like 1,2,4; 1..256)", optarg);
                return GR_EXIT_USAGE;
            }
            break;
        case 's':
            if (gr_cli_parse_duration(optarg, &duration_ns) || duration_ns < 1000000u ||
                duration_ns > 600000000000u) {
                gr_cli_error(cmd, "bad --seconds '%s' (1ms..600s)", optarg);
                return GR_EXIT_USAGE;
            }
            break;
        case 'v':
            variants_arg = optarg;
            break;
        case 'k':
            if (gr_cli_parse_u64(optarg, &keys) || keys < 1 || keys > 10000000u) {
                gr_cli_error(cmd, "bad --keys '%s' (1..10M)", optarg);
                return GR_EXIT_USAGE;
            }
            break;
        case 'z':
            zipf = strtod(optarg, &end);
            if (end == optarg || *end || zipf < 0 || zipf > 5) {
                gr_cli_error(cmd, "bad --zipf '%s' (0..5)", optarg);
                return GR_EXIT_USAGE;
            }
            break;
        case 'r':
            if (gr_cli_parse_duration(optarg, &reset_ns) || reset_ns < 10000u) {
                gr_cli_error(cmd, "bad --reset-interval '%s' (at least 10us)", optarg);
                return GR_EXIT_USAGE;
            }
            break;
        case 'S':
            if (gr_cli_parse_u64(optarg, &seed)) {
                gr_cli_error(cmd, "bad --seed '%s'", optarg);
                return GR_EXIT_USAGE;
            }
            break;
        case 'j':
            json = true;
            break;
        case 'h':
            gr_bc_usage(stdout);
            return GR_EXIT_OK;
        default:
            gr_bc_usage(stderr);
            return GR_EXIT_USAGE;
        }
    }
    if (gr_cli_no_operands(cmd, argc, argv))
        return GR_EXIT_USAGE;
    char *vcopy = NULL;
    if (variants_arg) {
        vcopy = strdup(variants_arg);
        ntargets = vcopy ? gr_bc_split(vcopy, targets, GR_BC_MAX_TARGETS) : -1;
        for (int i = 0; ntargets > 0 && i < ntargets; i++) {
            const char *why = gr_bench_unavailable(targets[i]);
            if (why && !strcmp(why, "unknown target")) {
                gr_cli_error(cmd, "unknown target '%s'", targets[i]);
                free(vcopy);
                return GR_EXIT_USAGE;
            }
        }
        if (ntargets <= 0) {
            gr_cli_error(cmd, "bad --variants '%s'", variants_arg);
            free(vcopy);
            return GR_EXIT_USAGE;
        }
    } else {
        for (const char *const *t = gr_bench_targets(); *t; t++)
            targets[ntargets++] = *t;
    }

    json_t *root = json_object(), *rows = json_array(), *notes = json_array();
    json_object_set_new(root, "benchmark", json_string("cache"));
    json_object_set_new(root, "seconds_per_cell", json_real((double)duration_ns / 1e9));
    json_object_set_new(root, "keys", json_integer((json_int_t)keys));
    json_object_set_new(root, "zipf_s", json_real(zipf));
    json_object_set_new(root, "reset_interval_ns", json_integer((json_int_t)reset_ns));
    for (const char *const *n = gr_bench_notes(); *n; n++)
        json_array_append_new(notes, json_string(*n));

    if (!json) {
        printf("georace bench cache: %" PRIu64 " hot keys (Zipf s=%.2f), %.3f s per cell, "
               "reset-storm clears every %.3f ms\n",
               keys, zipf, (double)duration_ns / 1e9, (double)reset_ns / 1e6);
        printf("million ops/s (hit %%)\n%-20s %7s", "target", "threads");
        for (int m = 0; m < GR_BENCH_MIX_COUNT; m++)
            printf(" %18s", gr_bench_mix_name((gr_bench_mix)m));
        printf("\n");
        fflush(stdout);
    }
    int status = GR_EXIT_OK;
    for (int ti = 0; ti < ntargets; ti++) {
        const char *why = gr_bench_unavailable(targets[ti]);
        if (why) {
            char note[160];
            snprintf(note, sizeof note, "%s skipped: %s", targets[ti], why);
            json_array_append_new(notes, json_string(note));
            if (!json)
                printf("%-20s %s\n", targets[ti], note);
            else
                fprintf(stderr, "georace bench cache: %s\n", note);
            continue;
        }
        for (int k = 0; k < nthreads; k++) {
            if (!json)
                printf("%-20s %7" PRIu64, targets[ti], threads[k]);
            for (int m = 0; m < GR_BENCH_MIX_COUNT; m++) {
                gr_bench_cell cell = {.target = targets[ti],
                                      .mix = (gr_bench_mix)m,
                                      .threads = (unsigned)threads[k],
                                      .duration_ns = duration_ns,
                                      .keys = (size_t)keys,
                                      .zipf_s = zipf,
                                      .reset_ns = reset_ns,
                                      .seed = seed};
                gr_bench_result r;
                char err[256] = "";
                json_t *row = json_object();
                json_object_set_new(row, "variant", json_string(targets[ti]));
                json_object_set_new(row, "peer", json_boolean(gr_bench_is_peer(targets[ti])));
                json_object_set_new(row, "mix", json_string(gr_bench_mix_name(cell.mix)));
                json_object_set_new(row, "threads", json_integer((json_int_t)threads[k]));
                if (gr_bench_run_cell(&cell, &r, err, sizeof err)) {
                    gr_cli_error(cmd, "%s", err);
                    json_object_set_new(row, "error", json_string(err));
                    status = GR_EXIT_FAIL;
                    if (!json)
                        printf(" %18s", "error");
                } else if (r.skipped) {
                    json_object_set_new(row, "skipped", json_string(r.skipped));
                    if (!json)
                        printf(" %18s", "-");
                } else {
                    double hit = r.ops ? 100.0 * (double)r.hits / (double)r.ops : 0;
                    json_object_set_new(row, "ops", json_integer((json_int_t)r.ops));
                    json_object_set_new(row, "seconds", json_real(r.seconds));
                    json_object_set_new(row, "ops_per_s", json_real(r.ops_per_s));
                    json_object_set_new(row, "hits", json_integer((json_int_t)r.hits));
                    json_object_set_new(row, "misses", json_integer((json_int_t)r.misses));
                    json_object_set_new(row, "clears", json_integer((json_int_t)r.clears));
                    if (r.mem_bytes)
                        json_object_set_new(row, "mem_bytes",
                                            json_integer((json_int_t)r.mem_bytes));
                    if (!json) {
                        char cellbuf[32];
                        if (gr_bench_is_peer(targets[ti]) && !strcmp(targets[ti], "mmdb"))
                            snprintf(cellbuf, sizeof cellbuf, "%.2f", r.ops_per_s / 1e6);
                        else
                            snprintf(cellbuf, sizeof cellbuf, "%.2f (%2.0f%%)", r.ops_per_s / 1e6,
                                     hit);
                        printf(" %18s", cellbuf);
                    }
                }
                json_array_append_new(rows, row);
                if (!json)
                    fflush(stdout);
            }
            if (!json)
                printf("\n");
        }
    }
    json_object_set_new(root, "results", rows);
    json_object_set_new(root, "notes", notes);
    if (json) {
        json_dumpf(root, stdout, JSON_INDENT(2));
        printf("\n");
    } else {
        printf("\n");
        for (const char *const *n = gr_bench_notes(); *n; n++)
            printf("note: %s\n", *n);
    }
    json_decref(root);
    free(vcopy);
    return status;
}
