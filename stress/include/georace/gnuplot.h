/*
 * gnuplot.h - run a generated gnuplot script in a directory, as a child
 * process, its messages kept in a log file beside the script.
 */
#ifndef GEORACE_GNUPLOT_H
#define GEORACE_GNUPLOT_H

#include <stddef.h>

/* Runs `prog script` with dir as working directory and stderr in dir/log.
 * 0 ok; 1 prog was not found; -1 it failed (message in err). */
int gr_gnuplot_run(const char *dir, const char *prog, const char *script, const char *log,
                   char *err, size_t errcap);

#endif
