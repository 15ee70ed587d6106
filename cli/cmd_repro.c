/*
 * cmd_repro.c - 'georace repro': reproduce the Zoraxy crash and check its
 * fixes (stress/repro.h), printed as a verdict table.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "georace/repro.h"
#include "georace/sim.h"

static void
repro_usage(FILE *f)
{
    fprintf(f, "usage: georace repro [--trials N] [--seconds S] [--tsan-binary PATH] [--json]\n"
               "\n"
               "Reproduces the Zoraxy v3.1.4 crash ('fatal error: concurrent map writes') on the\n"
               "embedded database in about a minute and checks the fixes, under one accelerated\n"
               "scenario: profile flood-burst (bursts of 6 parallel requests from new\n"
               "addresses), 4 threads, flat out, 100 us miss cost, cache clear every 250 ms.\n"
               "\n"
               "  1. gomap crashes with Go's fatal error in every trial\n"
               "  2. ThreadSanitizer reports the gomap race (detector off)\n"
               "  3. ThreadSanitizer reports syncmap+naive-reset (Zoraxy's shipped fix)\n"
               "  4. syncmap, mutex, rwlock, sharded: no failure, no mismatch (also under TSan)\n"
               "  5. the workaround (FASTLOCATION: mmdb lookup, no cache) never crashes\n"
               "  6. the real Go map (the Go peer, Zoraxy's path on the Go runtime) dies\n"
               "     of Go's own fatal error: most trials (the median is reached), none\n"
               "     any other way (a trial that outlives 5 x --seconds is censored)\n"
               "  7. the Go peer's -race build reports the shipped fix (sync.Map reset)\n"
               "  Rows 6 and 7 are skipped with a notice when this build has no Go peer\n"
               "  (no Go toolchain at configure time); skipped rows never fail.\n"
               "\n"
               "  --trials N          gomap and go-map trials (default 10, at least 10)\n"
               "  --seconds S         length of a trial that should survive (default 4)\n"
               "  --tsan-binary PATH  georace built with the tsan preset (default: the source\n"
               "                      tree's build/tsan/cli/georace, or $GEORACE_TSAN_BINARY);\n"
               "                      without one, the TSan rows are skipped\n"
               "  --json              print the rows as JSON\n"
               "\nexit status: 0 every expectation held (skipped rows do not fail), 1 some\n"
               "expectation failed, 64 usage.\n");
}

static void
repro_progress(const gr_repro_row *r, void *ctx)
{
    (void)ctx;
    fprintf(stderr, "repro: %-4s %-30s %-20s %-7s %s\n", gr_repro_verdict_name(r->verdict),
            r->expectation, r->variant, r->build, r->result);
}

static int
repro_width(const gr_repro_row *rows, size_t n, size_t off, size_t min)
{
    size_t w = min;
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen((const char *)&rows[i] + off);
        w = l > w ? l : w;
    }
    return (int)w;
}

int
gr_cmd_repro(int argc, char **argv)
{
    static const struct option opts[] = {{"trials", required_argument, 0, 'n'},
                                         {"seconds", required_argument, 0, 's'},
                                         {"tsan-binary", required_argument, 0, 't'},
                                         {"json", no_argument, 0, 'j'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    gr_repro_opts o = {10, 4.0, NULL, gr_sim_run, repro_progress, NULL};
    bool json = false;
    uint64_t u;
    int ch, idx;
    optind = 1;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, ":h", opts, &idx)) != -1) {
        switch (ch) {
        case 'n':
            if (gr_cli_parse_u64(optarg, &u) || u < 10 || u > 64) {
                gr_cli_error("repro", "--trials must be 10..64: '%s'", optarg);
                return GR_EXIT_USAGE;
            }
            o.trials = (unsigned)u;
            break;
        case 's': {
            char *end;
            o.seconds = strtod(optarg, &end);
            if (*end || !(o.seconds >= 0.5 && o.seconds <= 600)) {
                gr_cli_error("repro", "--seconds must be 0.5..600: '%s'", optarg);
                return GR_EXIT_USAGE;
            }
            break;
        }
        case 't':
            o.tsan_binary = optarg;
            break;
        case 'j':
            json = true;
            break;
        case 'h':
            repro_usage(stdout);
            return GR_EXIT_OK;
        default:
            gr_cli_bad_option("repro", ch, argv);
            return GR_EXIT_USAGE;
        }
    }
    if (gr_cli_no_operands("repro", argc, argv))
        return GR_EXIT_USAGE;
    if (o.tsan_binary && access(o.tsan_binary, X_OK)) {
        gr_cli_error("repro", "--tsan-binary %s is not an executable", o.tsan_binary);
        return GR_EXIT_NOINPUT;
    }
    gr_repro_row rows[GR_REPRO_MAX_ROWS];
    bool ok;
    size_t n = gr_repro_run(&o, rows, &ok);
    if (json) {
        json_t *arr = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "expectation",
                                                 rows[i].expectation, "variant", rows[i].variant,
                                                 "build", rows[i].build, "result", rows[i].result,
                                                 "figures", rows[i].figures, "verdict",
                                                 gr_repro_verdict_name(rows[i].verdict)));
        json_t *doc = json_pack("{s:o, s:b}", "rows", arr, "ok", ok);
        json_dumpf(doc, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
        json_decref(doc);
        return ok ? GR_EXIT_OK : GR_EXIT_FAIL;
    }
    int we = repro_width(rows, n, offsetof(gr_repro_row, expectation), 11);
    int wv = repro_width(rows, n, offsetof(gr_repro_row, variant), 7);
    int wr = repro_width(rows, n, offsetof(gr_repro_row, result), 6);
    printf("\ngeorace repro: the Zoraxy v3.1.4 geo-cache crash and its fixes\n\n");
    printf("%-*s  %-*s  %-7s  %-*s  %-7s  %s\n", we, "expectation", wv, "variant", "build", wr,
           "result", "verdict", "figures");
    for (size_t i = 0; i < n; i++)
        printf("%-*s  %-*s  %-7s  %-*s  %-7s  %s\n", we, rows[i].expectation, wv, rows[i].variant,
               rows[i].build, wr, rows[i].result, gr_repro_verdict_name(rows[i].verdict),
               rows[i].figures);
    printf("\n%s\n", ok ? "every expectation held" : "SOME EXPECTATION FAILED");
    return ok ? GR_EXIT_OK : GR_EXIT_FAIL;
}
