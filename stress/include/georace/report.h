/*
 * report.h - turn stress results (JSON lines) into DIR/report.md and charts
 * drawn by gnuplot (a child process running a generated script): survival of
 * time-to-failure per variant (Kaplan-Meier, surviving trials censored),
 * throughput and RSS over time, and the model's prediction versus the
 * measurement. Each chart as SVG and PNG. Without gnuplot the Markdown is
 * still written and says the charts were skipped.
 */
#ifndef GEORACE_REPORT_H
#define GEORACE_REPORT_H

#include <stdbool.h>
#include <stddef.h>

typedef struct gr_report_stats {
    size_t records, jobs, trials, samples, measures, variants;
    size_t charts;      /* chart files written (svg + png) */
    bool gnuplot_found; /* false: charts skipped */
    bool charts_failed; /* gnuplot ran and failed (message in err) */
} gr_report_stats;

/* 0 ok; -1 an input is unreadable; -2 malformed input; -3 cannot write dir.
 * gnuplot: program to run ("gnuplot" found in PATH when NULL). */
int gr_report_build(const char *const *inputs, size_t n, const char *dir, const char *gnuplot,
                    gr_report_stats *st, char *err, size_t errcap);

#endif
