/*
 * cmd_stress_compare.c - 'georace stress compare A.jsonl B.jsonl': two
 * stress results side by side (stress/compare.h): the table on stdout,
 * JSON and the survival chart in --out DIR.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "georace/compare.h"

static void
compare_usage(FILE *f)
{
    fprintf(
        f,
        "usage: georace stress compare A.jsonl B.jsonl [--out DIR] [OPTIONS]\n"
        "\n"
        "Puts two stress results side by side: typically the C emulation against the\n"
        "real Go runtime under the same settings, e.g.\n"
        "  georace stress --variant gomap --profile flood-burst --rate 0 \\\n"
        "      --miss-cost 100us --cache-clear 250ms --backend bsearch --trials 20 --out A.jsonl\n"
        "  georace stress --subject go-map --profile flood-burst --trials 20 --out B.jsonl\n"
        "  georace stress compare A.jsonl B.jsonl --out cmp\n"
        "or a ThreadSanitizer build against 'go -race' (--go-race): the time to the first\n"
        "report is the trial's time to failure then. Times run from the start of the\n"
        "workload (the child's start-up is measured and left out; the table counts the\n"
        "trials where it had to be estimated, e.g. a child that died while starting).\n"
        "\n"
        "Each file holds the trials of one variant (its 'stress --out' file). For each\n"
        "side: the settings of its job line (profile, rate, miss cost, clear interval;\n"
        "a difference is noted), threads or GOMAXPROCS and the 1-minute load average\n"
        "the trials recorded, trials, failures, the Kaplan-Meier median time to failure\n"
        "(survivors censored) and the split between the failure messages, Go's\n"
        "'concurrent map writes' and 'concurrent map read and map write' first. Between\n"
        "them: the ratio of the medians A/B with a percentile-bootstrap confidence\n"
        "interval (trials of each side resampled with replacement).\n"
        "\n"
        "  -o, --out DIR      write DIR/compare.json, DIR/data/survival-{a,b}.dat,\n"
        "                     DIR/compare.gp and the chart DIR/compare.svg and .png\n"
        "                     (both survival curves on one plot, drawn by gnuplot)\n"
        "  --resamples N      bootstrap resamples (default 2000, 100..100000)\n"
        "  --level P          confidence level in percent (default 95, 50..99)\n"
        "  --seed S           bootstrap seed (default 1): the same inputs and seed give\n"
        "                     the same interval\n"
        "  --gnuplot PROG     gnuplot program (default: gnuplot in PATH)\n"
        "  --json             print the comparison as JSON instead of the table\n"
        "\n"
        "exit status: 0 ok (also when gnuplot is missing: the chart is skipped with a\n"
        "notice), 1 gnuplot failed, 64 usage, 65 malformed input or a file without\n"
        "trials or with several variants, 66 missing input or unwritable DIR.\n");
}

struct compare_opts {
    const char *out, *gnuplot;
    uint64_t resamples, level, seed;
    bool json;
};

/* GR_CLI_RUN or an exit status. */
static int
compare_parse(int argc, char **argv, struct compare_opts *o)
{
    static const struct option opts[] = {
        {"out", required_argument, 0, 'o'},     {"resamples", required_argument, 0, 'r'},
        {"level", required_argument, 0, 'l'},   {"seed", required_argument, 0, 's'},
        {"gnuplot", required_argument, 0, 'g'}, {"json", no_argument, 0, 'j'},
        {"help", no_argument, 0, 'h'},          {0, 0, 0, 0}};
    const char *cmd = "stress compare";
    int ch;
    optind = 1;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
        switch (ch) {
        case 'o':
            o->out = optarg;
            break;
        case 'r':
            if (gr_cli_opt_range(cmd, "resamples", optarg, 100, 100000, &o->resamples))
                return GR_EXIT_USAGE;
            break;
        case 'l':
            if (gr_cli_opt_range(cmd, "level", optarg, 50, 99, &o->level))
                return GR_EXIT_USAGE;
            break;
        case 's':
            if (gr_cli_parse_u64(optarg, &o->seed)) {
                gr_cli_error(cmd, "--seed is not a number: '%s'", optarg);
                return GR_EXIT_USAGE;
            }
            break;
        case 'g':
            o->gnuplot = optarg;
            break;
        case 'j':
            o->json = true;
            break;
        case 'h':
            compare_usage(stdout);
            return GR_EXIT_OK;
        default:
            gr_cli_bad_option(cmd, ch, argv);
            return GR_EXIT_USAGE;
        }
    }
    if (argc - optind != 2) {
        gr_cli_error(cmd, "needs exactly two result files, A and B (got %d); see --help",
                     argc - optind);
        return GR_EXIT_USAGE;
    }
    return GR_CLI_RUN;
}

static int
compare_load_status(int rc)
{
    return rc == -1 ? GR_EXIT_NOINPUT : GR_EXIT_DATAERR;
}

int
gr_cmd_stress_compare(int argc, char **argv)
{
    struct compare_opts o = {NULL, NULL, 2000, 95, 1, false};
    int rc = compare_parse(argc, argv, &o);
    if (rc != GR_CLI_RUN)
        return rc;
    const char *cmd = "stress compare";
    gr_compare c;
    memset(&c, 0, sizeof c);
    char err[1024];
    for (int i = 0; i < 2; i++) {
        int lrc = gr_compare_load(&c, i, argv[optind + i], err, sizeof err);
        if (lrc) {
            if (lrc == -1)
                gr_cli_error(cmd, "cannot read %s", argv[optind + i]);
            else
                gr_cli_error(cmd, "%s", err);
            gr_compare_free(&c);
            return compare_load_status(lrc);
        }
    }
    if (gr_compare_run(&c, (unsigned)o.resamples, (double)o.level / 100, o.seed)) {
        gr_cli_error(cmd, "out of memory");
        gr_compare_free(&c);
        return GR_EXIT_SOFTWARE;
    }
    if (o.json) {
        json_t *j = gr_compare_json(&c);
        json_dumpf(j, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
        json_decref(j);
    } else {
        gr_compare_print(stdout, &c);
    }
    int status = GR_EXIT_OK;
    if (o.out) {
        int wrc = gr_compare_write(&c, o.out, o.gnuplot, err, sizeof err);
        if (wrc == -3) {
            gr_cli_error(cmd, "%s", err);
            status = GR_EXIT_NOINPUT;
        } else if (wrc == 1) {
            fprintf(stderr,
                    "stress compare: chart skipped: gnuplot was not found (Debian package "
                    "gnuplot-nox); the data and compare.gp are in %s\n",
                    o.out);
        } else if (wrc < 0) {
            gr_cli_error(cmd, "%s", err);
            status = GR_EXIT_FAIL;
        } else {
            fprintf(stderr, "stress compare: wrote %s/compare.json, compare.svg, compare.png\n",
                    o.out);
        }
    }
    gr_compare_free(&c);
    return status;
}
