/*
 * opts.c - option helpers shared by the subcommands: durations, numbers,
 * lists, range and exclusivity checks, database selection and error printing.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "georace/defaultdb.h"

const char gr_cli_db_help[] =
    "  --backend B     geo backend: mmdb (libmaxminddb), scan (Zoraxy's linear CSV\n"
    "                  walk) or scan-bsearch (binary search over parsed ranges);\n"
    "                  default mmdb\n"
    "  --db FILE       MMDB file for the mmdb backend (default: embedded database)\n"
    "  --csv FILE      Zoraxy CSV (start,end,CC) for the scan backends; may repeat\n"
    "                  (default: embedded database)\n";

void
gr_cli_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "georace %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

bool
gr_cli_is_tty(FILE *f)
{
    return isatty(fileno(f)) == 1;
}

static int
parse_number(const char *s, double *out, const char **rest)
{
    char *end;
    if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
        return -1;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || v < 0)
        return -1;
    *out = v;
    *rest = end;
    return 0;
}

int
gr_cli_parse_duration(const char *s, uint64_t *ns_out)
{
    static const struct {
        const char *suffix;
        double ns;
    } units[] = {{"ns", 1},   {"us", 1e3},   {"ms", 1e6},   {"s", 1e9},
                 {"m", 60e9}, {"min", 60e9}, {"h", 3600e9}, {"", 1e9}};
    double v;
    const char *rest;
    if (parse_number(s, &v, &rest))
        return -1;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (!strcmp(rest, units[i].suffix)) {
            double ns = v * units[i].ns;
            if (ns > 1e18)
                return -1;
            *ns_out = (uint64_t)ns;
            return 0;
        }
    }
    return -1;
}

int
gr_cli_parse_u64(const char *s, uint64_t *out)
{
    char *end;
    if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
        return -1;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s)
        return -1;
    uint64_t mul = 1;
    if (*end == 'k' || *end == 'K')
        mul = 1000, end++;
    else if (*end == 'M')
        mul = 1000000, end++;
    if (*end)
        return -1;
    if (v > UINT64_MAX / mul)
        return -1;
    *out = (uint64_t)v * mul;
    return 0;
}

int
gr_cli_parse_u64_list(const char *s, uint64_t *out, int cap)
{
    int n = 0;
    char buf[32];
    while (s && *s) {
        const char *comma = strchr(s, ',');
        size_t len = comma ? (size_t)(comma - s) : strlen(s);
        if (len == 0 || len >= sizeof buf || n == cap)
            return -1;
        memcpy(buf, s, len);
        buf[len] = '\0';
        if (gr_cli_parse_u64(buf, &out[n++]))
            return -1;
        s = comma ? comma + 1 : NULL;
    }
    return n ? n : -1;
}

int
gr_cli_opt_range(const char *cmd, const char *name, const char *value, uint64_t lo, uint64_t hi,
                 uint64_t *out)
{
    uint64_t v;
    if (gr_cli_parse_u64(value, &v) || v < lo || v > hi) {
        gr_cli_error(cmd, "--%s: '%s' is not %" PRIu64 "..%" PRIu64, name, value, lo, hi);
        return -1;
    }
    *out = v;
    return 0;
}

int
gr_cli_db_arg(const char *cmd, gr_cli_db *d, const char *name, const char *value)
{
    if (gr_cli_db_option(d, name, value) != 1) {
        gr_cli_error(cmd, "--%s: bad value '%s'", name, value);
        return -1;
    }
    return 0;
}

int
gr_cli_no_operands(const char *cmd, int argc, char **argv)
{
    if (optind < argc) {
        gr_cli_error(cmd, "unexpected argument '%s'", argv[optind]);
        return -1;
    }
    return 0;
}

int
gr_cli_bad_option(const char *cmd, int c, char **argv)
{
    if (c == ':')
        gr_cli_error(cmd, "option '%s' needs a value", argv[optind - 1]);
    else
        gr_cli_error(cmd, "unknown option '%s' (see --help)", argv[optind - 1]);
    return -1;
}

int
gr_cli_block_or_allow(const char *cmd, const char *block, const char *allow)
{
    if (block && allow) {
        gr_cli_error(cmd, "--block and --allow exclude each other");
        return -1;
    }
    return 0;
}

void
gr_cli_db_init(gr_cli_db *d)
{
    memset(d, 0, sizeof *d);
    d->kind = GR_GEODB_MMDB;
}

int
gr_cli_db_option(gr_cli_db *d, const char *name, const char *value)
{
    if (!strcmp(name, "backend"))
        return gr_geodb_kind_parse(value, &d->kind) ? -1 : 1;
    if (!strcmp(name, "db")) {
        d->mmdb_path = value;
        return 1;
    }
    if (!strcmp(name, "csv")) {
        if (d->n_csv == (int)(sizeof d->csv_paths / sizeof d->csv_paths[0]))
            return -1;
        d->csv_paths[d->n_csv++] = value;
        return 1;
    }
    return 0;
}

static int
exit_for_geodb_error(int rc)
{
    return rc == GR_GEODB_ENOENT    ? GR_EXIT_NOINPUT
           : rc == GR_GEODB_EFORMAT ? GR_EXIT_DATAERR
                                    : GR_EXIT_SOFTWARE;
}

int
gr_cli_db_open(const gr_cli_db *d, gr_geodb **out)
{
    char err[512] = "";
    int rc;
    if (d->kind == GR_GEODB_MMDB && d->mmdb_path)
        rc = gr_geodb_open_mmdb(d->mmdb_path, out, err, sizeof err);
    else if (d->kind != GR_GEODB_MMDB && d->n_csv > 0)
        rc = gr_geodb_open_scan(d->kind, d->csv_paths, (size_t)d->n_csv, out, err, sizeof err);
    else
        rc = gr_defaultdb_open(d->kind, out, err, sizeof err);
    if (rc == GR_GEODB_OK)
        return GR_EXIT_OK;
    fprintf(stderr, "georace: cannot open database: %s\n", err[0] ? err : gr_geodb_strerror(rc));
    return exit_for_geodb_error(rc);
}
