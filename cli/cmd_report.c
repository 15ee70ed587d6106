/*
 * cmd_report.c - 'georace report': Markdown and charts from stress results
 * (stress/report.h), and 'georace report merge' to join campaign parts
 * (stress/merge.h).
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "georace/merge.h"
#include "georace/report.h"

static void
report_usage(FILE *f)
{
    fprintf(f, "usage: georace report RESULTS.jsonl [MORE.jsonl...] -o DIR [--gnuplot PROG]\n"
               "       georace report merge A.jsonl B.jsonl [...] -o ALL.jsonl\n"
               "\n"
               "Writes DIR/report.md (jobs, trials per variant with Kaplan-Meier median\n"
               "time-to-failure, the time-to-failure model) and charts as SVG and PNG drawn\n"
               "by gnuplot: survival per variant, throughput and RSS over time, model\n"
               "prediction versus measurement. Without gnuplot the charts are skipped with\n"
               "a notice. 'merge' joins the JSON lines of campaign parts (shards, seed ranges):\n"
               "job headers kept, trials deduplicated by variant and seed.\n"
               "\n"
               "  -o, --out PATH   output directory (report) or file (merge); required\n"
               "  --gnuplot PROG   gnuplot program (default: gnuplot in PATH)\n"
               "\nexit status: 0 ok, 1 charts failed, 64 usage, 65 malformed input,\n"
               "66 missing input or unwritable output.\n");
}

static int
report_exit(int rc)
{
    return rc == -1 ? GR_EXIT_NOINPUT : rc == -2 ? GR_EXIT_DATAERR : GR_EXIT_NOINPUT;
}

int
gr_cmd_report(int argc, char **argv)
{
    bool merge = argc > 1 && !strcmp(argv[1], "merge");
    if (merge)
        argc--, argv++;
    const char *cmd = merge ? "report merge" : "report";
    static const struct option opts[] = {{"out", required_argument, 0, 'o'},
                                         {"gnuplot", required_argument, 0, 'g'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *out = NULL, *gnuplot = NULL;
    int ch;
    optind = 1;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (ch) {
        case 'o':
            out = optarg;
            break;
        case 'g':
            gnuplot = optarg;
            break;
        case 'h':
            report_usage(stdout);
            return GR_EXIT_OK;
        default:
            gr_cli_error(cmd, "bad or incomplete option '%s' (see --help)", argv[optind - 1]);
            return GR_EXIT_USAGE;
        }
    }
    size_t n = (size_t)(argc - optind);
    const char *const *inputs = (const char *const *)argv + optind;
    if (n == 0 || !out) {
        gr_cli_error(cmd, n == 0 ? "no input file" : "-o is required");
        return GR_EXIT_USAGE;
    }
    char err[512] = "";
    if (merge) {
        FILE *f = fopen(out, "w");
        if (!f) {
            gr_cli_error(cmd, "cannot write %s", out);
            return GR_EXIT_NOINPUT;
        }
        gr_merge_stats st;
        int rc = gr_merge_files(inputs, n, f, &st, err, sizeof err);
        if (fclose(f) && !rc) {
            gr_cli_error(cmd, "cannot write %s", out);
            return GR_EXIT_NOINPUT;
        }
        if (rc) {
            gr_cli_error(cmd, "%s", err);
            return report_exit(rc);
        }
        printf("merged %zu files into %s: %zu job headers, %zu trials (%zu duplicates "
               "dropped), %zu samples, %zu other records\n",
               n, out, st.jobs, st.trials, st.duplicates, st.samples, st.other);
        if (st.torn)
            printf("skipped the torn last line of %zu file(s), e.g. %s\n", st.torn, st.torn_last);
        return GR_EXIT_OK;
    }
    gr_report_stats st;
    int rc = gr_report_build(inputs, n, out, gnuplot, &st, err, sizeof err);
    if (rc) {
        gr_cli_error(cmd, "%s", err);
        return report_exit(rc);
    }
    printf("report: %s/report.md (%zu variants, %zu trials, %zu samples, %zu measurements)\n", out,
           st.variants, st.trials, st.samples, st.measures);
    if (!st.gnuplot_found && st.trials + st.samples + st.measures > 0)
        printf("charts skipped: gnuplot not found (install gnuplot-nox)\n");
    else if (st.charts_failed) {
        gr_cli_error(cmd, "%s", err);
        return GR_EXIT_FAIL;
    } else
        printf("charts: %zu files (SVG and PNG) in %s\n", st.charts, out);
    return GR_EXIT_OK;
}
