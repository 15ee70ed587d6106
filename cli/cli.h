/*
 * cli.h - the georace command line: one binary, one function per subcommand.
 *
 * No logic lives only here: every subcommand parses its options (the larger
 * ones into a struct, parse_*_options, before run_* does the work), calls
 * the component libraries (cache/, proxy_sim/, stress/, bench/) and prints.
 * Exit statuses are shared by all subcommands (sysexits.h where one fits):
 */
#ifndef GEORACE_CLI_H
#define GEORACE_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "georace/cache.h"
#include "georace/geodb.h"

enum gr_exit {
    GR_EXIT_OK = 0,       /* success; every expectation held */
    GR_EXIT_FAIL = 1,     /* ran, but some input was bad or an expectation failed */
    GR_EXIT_GOFATAL = 2,  /* the gomap detector fired (Go's fatal error status) */
    GR_EXIT_USAGE = 64,   /* bad command line */
    GR_EXIT_DATAERR = 65, /* an input file is malformed */
    GR_EXIT_NOINPUT = 66, /* an input file is missing or unreadable */
    GR_EXIT_UNAVAIL = 69, /* a peer (upstream, target) is unreachable */
    GR_EXIT_SOFTWARE = 70 /* internal error */
};

/* What a command's parse_*_options() returns when the options are good
 * and the command should run; any other value is the exit status (help
 * printed, or bad usage reported). */
#define GR_CLI_RUN (-1)

typedef int (*gr_cmd_fn)(int argc, char **argv);

int gr_cmd_lookup(int argc, char **argv);
int gr_cmd_bench(int argc, char **argv);
int gr_cmd_bench_lookup(int argc, char **argv);
int gr_cmd_bench_cache(int argc, char **argv);
int gr_cmd_bench_hit_ratio(int argc, char **argv);
int gr_cmd_mkdb(int argc, char **argv);
int gr_cmd_proxy(int argc, char **argv);
int gr_cmd_upstream(int argc, char **argv);
int gr_cmd_sim(int argc, char **argv);
int gr_cmd_load(int argc, char **argv);
int gr_cmd_stress(int argc, char **argv);
int gr_cmd_stress_model(int argc, char **argv);
int gr_cmd_stress_gomodel(int argc, char **argv);
int gr_cmd_stress_compare(int argc, char **argv);
int gr_cmd_repro(int argc, char **argv);
int gr_cmd_report(int argc, char **argv);
int gr_cmd_explore(int argc, char **argv);
int gr_cmd_check_history(int argc, char **argv);

/* Shared option helpers (opts.c). */

/* "1500ms", "3s", "40m", "1h", "250us", bare number = seconds. Returns 0 or -1. */
int gr_cli_parse_duration(const char *s, uint64_t *ns_out);
/* Unsigned integer with optional k/M suffix; -1 on garbage or overflow. */
int gr_cli_parse_u64(const char *s, uint64_t *out);
/* Comma-separated unsigned list ("1,2,4"); returns count or -1. */
int gr_cli_parse_u64_list(const char *s, uint64_t *out, int cap);
/* Comma-separated positive numbers ("0.1,0.3,2"); returns count or -1. */
int gr_cli_parse_positive_list(const char *s, double *out, int cap);

/* Database selection shared by every command that resolves addresses:
 *   --backend mmdb|scan|scan-bsearch   (default mmdb)
 *   --db FILE    an MMDB file (default: the embedded database)
 *   --csv FILE   a Zoraxy CSV, may repeat (default: the embedded CSV)       */
typedef struct gr_cli_db {
    gr_geodb_kind kind;
    const char *mmdb_path;
    const char *csv_paths[8];
    int n_csv;
} gr_cli_db;

void gr_cli_db_init(gr_cli_db *d);
/* Handle one of --backend/--db/--csv; returns 1 if consumed, 0 if not ours, -1 bad value. */
int gr_cli_db_option(gr_cli_db *d, const char *name, const char *value);
/* Open the selected database; prints a message and returns a gr_exit code on failure. */
int gr_cli_db_open(const gr_cli_db *d, gr_geodb **out);
/* Help text of the options above, into buf (returned), text at column col
 * like the rest of the command's help (see gr_cli_help_wrap). */
const char *gr_cli_db_help(char *buf, size_t cap, int col);

/* Checks shared by the option loops. Each prints "georace CMD: ..." on
 * failure and returns -1 (the caller exits with GR_EXIT_USAGE), else 0. */
/* --NAME VALUE: an integer in lo..hi ("is not LO..HI" otherwise). */
int gr_cli_opt_range(const char *cmd, const char *name, const char *value, uint64_t lo, uint64_t hi,
                     uint64_t *out);
/* --backend/--db/--csv through gr_cli_db_option. */
int gr_cli_db_arg(const char *cmd, gr_cli_db *d, const char *name, const char *value);
/* No operands may follow the options: argv[optind..argc) must be empty. */
int gr_cli_no_operands(const char *cmd, int argc, char **argv);
/* The ':' (missing value) or '?' (unknown option) that getopt_long returned
 * with opterr = 0 and a leading ':' in its option string; always -1. */
int gr_cli_bad_option(const char *cmd, int c, char **argv);
/* --cache-capacity N: the bounded variant's capacity, entries (1..2^30, k/M
 * suffixes) or a byte budget with a unit ("16MiB"; georace/capacity.h), into
 * cfg->capacity or cfg->capacity_bytes. */
int gr_cli_cache_capacity(const char *cmd, const char *value, gr_cache_config *cfg);
/* --block and --allow are mutually exclusive. */
int gr_cli_block_or_allow(const char *cmd, const char *block, const char *allow);

/* Help text of one option into buf (returned): "  NAME" padded to column
 * col, then text wrapped at 79 columns, continuation lines indented to col;
 * a '\n' in text starts a new line. Lines break at spaces; a word too long
 * for a line breaks after one of its commas. */
const char *gr_cli_help_wrap(char *buf, size_t cap, int col, const char *name, const char *text);

/* Help text of --cache-capacity into buf (returned), text at column col. */
const char *gr_cli_cache_capacity_help(char *buf, size_t cap, int col);

/* Help text of --profile into buf (returned), text at column col: the
 * built-in traffic profiles as embedded from proxy_sim/profiles, so every
 * help text lists exactly those. */
const char *gr_cli_profile_help(char *buf, size_t cap, int col);

/* Print "georace CMD: msg" to stderr. */
void gr_cli_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool gr_cli_is_tty(FILE *f);

#endif
