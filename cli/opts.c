/*
 * opts.c - option helpers shared by the subcommands: durations, numbers,
 * lists, range and exclusivity checks, database selection and error printing.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "georace/capacity.h"
#include "georace/defaultdb.h"
#include "georace/traffic.h"

/* Help text wrapping (gr_cli_help_wrap): a line being filled in buf. */
enum { GR_CLI_HELP_WIDTH = 79 };

struct gr_cli_help_line {
    char *buf;
    size_t cap, len;
    int col;   /* where option text starts */
    int width; /* characters on the current line */
    bool text; /* the current line has text after the column */
};

static void
gr_cli_help_put(struct gr_cli_help_line *l, const char *s, size_t n)
{
    if (l->len + n + 1 > l->cap)
        n = l->cap > l->len + 1 ? l->cap - l->len - 1 : 0;
    memcpy(l->buf + l->len, s, n);
    l->len += n;
    l->buf[l->len] = '\0';
    l->width += (int)n;
}

static void
gr_cli_help_newline(struct gr_cli_help_line *l)
{
    gr_cli_help_put(l, "\n", 1);
    l->width = 0;
    while (l->width < l->col)
        gr_cli_help_put(l, " ", 1);
    l->text = false;
}

/* One word, on this line if it fits, else on the next; a word too long for
 * any line is cut after its last comma that fits. */
static void
gr_cli_help_word(struct gr_cli_help_line *l, const char *w, size_t n)
{
    while (n > 0) {
        int room = GR_CLI_HELP_WIDTH - l->width - (l->text ? 1 : 0);
        if ((int)n > room && l->text) {
            gr_cli_help_newline(l);
            continue;
        }
        size_t take = n;
        if ((int)n > room) {
            take = 0;
            for (size_t i = 0; i < n && (int)i < room; i++)
                if (w[i] == ',')
                    take = i + 1;
            if (take == 0)
                take = n; /* no comma to cut at: let it overflow */
        }
        if (l->text)
            gr_cli_help_put(l, " ", 1);
        gr_cli_help_put(l, w, take);
        l->text = true;
        w += take;
        n -= take;
        if (n > 0)
            gr_cli_help_newline(l);
    }
}

const char *
gr_cli_help_wrap(char *buf, size_t cap, int col, const char *name, const char *text)
{
    struct gr_cli_help_line l = {buf, cap, 0, col, 0, false};
    buf[0] = '\0';
    gr_cli_help_put(&l, "  ", 2);
    gr_cli_help_put(&l, name, strlen(name));
    do
        gr_cli_help_put(&l, " ", 1);
    while (l.width < col);
    if (l.width > col + 1)
        gr_cli_help_put(&l, " ", 1); /* a long name: two spaces before its text */
    for (const char *p = text; *p;) {
        if (*p == '\n') {
            gr_cli_help_newline(&l);
            p++;
        } else if (*p == ' ') {
            p++;
        } else {
            size_t n = strcspn(p, " \n");
            gr_cli_help_word(&l, p, n);
            p += n;
        }
    }
    gr_cli_help_put(&l, "\n", 1);
    return buf;
}

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
gr_cli_parse_positive_list(const char *s, double *out, int cap)
{
    int n = 0;
    while (s && *s) {
        if (n == cap)
            return -1;
        char *end;
        errno = 0;
        double v = strtod(s, &end);
        if (end == s || errno || !(v > 0) || !isfinite(v) || (*end && *end != ','))
            return -1;
        out[n++] = v;
        s = *end ? end + 1 : NULL;
        if (s && !*s)
            return -1; /* a trailing comma */
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
gr_cli_cache_capacity(const char *cmd, const char *value, gr_cache_config *cfg)
{
    gr_capacity c;
    char err[256];
    if (gr_capacity_parse(value, &c, err, sizeof err)) {
        gr_cli_error(cmd, "--cache-capacity: %s", err);
        return -1;
    }
    gr_capacity_apply(&c, cfg);
    return 0;
}

const char *
gr_cli_cache_capacity_help(char *buf, size_t cap, int col)
{
    return gr_cli_help_wrap(buf, cap, col, "--cache-capacity N",
                            "bounded: entries (1..2^30, k/M suffixes; default 65536) or "
                            "bytes with a unit (B KiB MiB GiB kB MB GB, e.g. 16MiB): the most "
                            "entries that fit");
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

const char *
gr_cli_db_help(char *buf, size_t cap, int col)
{
    static const char *const opts[][2] = {
        {"--backend B", "geo backend: mmdb (libmaxminddb), scan (Zoraxy's linear CSV walk) or "
                        "scan-bsearch (binary search over parsed ranges); default mmdb"},
        {"--db FILE", "MMDB file for the mmdb backend (default: embedded database)"},
        {"--csv FILE", "Zoraxy CSV (start,end,CC) for the scan backends; may repeat (default: "
                       "embedded database)"}};
    size_t len = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof opts / sizeof opts[0] && len + 1 < cap; i++) {
        gr_cli_help_wrap(buf + len, cap - len, col, opts[i][0], opts[i][1]);
        len += strlen(buf + len);
    }
    return buf;
}

const char *
gr_cli_profile_help(char *buf, size_t cap, int col)
{
    char names[256], text[512];
    size_t len = 0;
    names[0] = '\0';
    for (const char *const *n = gr_profile_builtin_names(); *n; n++) {
        int w = snprintf(names + len, sizeof names - len, "%s%s", len ? ", " : "", *n);
        if (w < 0 || (size_t)w >= sizeof names - len)
            break;
        len += (size_t)w;
    }
    snprintf(text, sizeof text, "built-in traffic profile (%s) or a JSON file; default zoraxy-home",
             names);
    return gr_cli_help_wrap(buf, cap, col, "--profile P", text);
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
