/*
 * geodb_scan.c - the CSV backends: Zoraxy's linear "slow resolve" walk and
 * a binary search over ranges parsed once, for comparison.
 *
 * Rows are "start,end,CC", IPv4 and IPv6 in any mix, one per line (LF or
 * CRLF; empty lines are skipped). Every row is validated once at open so a
 * malformed file is rejected with its line number. After that:
 *
 *   scan          keeps the text and, for every lookup, walks the lines of
 *                 each source in order, skipping rows of the other family by
 *                 a glance at the start field and re-parsing both ends of
 *                 every row of the address's family - the cost shape of
 *                 Zoraxy's isIPv4InRange loop. The first matching row wins.
 *   scan-bsearch  parses the rows into two sorted arrays (IPv4 as 32-bit
 *                 integers, IPv6 as 16 bytes) and binary-searches them.
 *                 Overlapping ranges are rejected at open, since a binary
 *                 search could not honour "first row wins".
 *
 * A row's family is decided by its text (a ':' in the start field means
 * IPv6); an IPv4-mapped IPv6 row would blur the two, so it is rejected.
 * After open the structure is read-only: lookups are thread-safe.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "georace/errbuf.h"
#include "georace/geodb.h"

struct gr_scan_src {
    const char *text;
    size_t len;
    char *owned; /* the file's bytes when read from a file */
    const char *name;
};

struct gr_scan_v4 {
    uint32_t start, end;
    uint32_t line;
    gr_country cc;
};

struct gr_scan_v6 {
    gr_ip start, end;
    uint32_t line;
    gr_country cc;
};

struct gr_geodb_scan {
    struct gr_geodb base;
    struct gr_scan_src *src;
    size_t n_src;
    struct gr_scan_v4 *v4;
    size_t n4;
    struct gr_scan_v6 *v6;
    size_t n6;
};

/* One parsed row. */
struct gr_scan_row {
    gr_ip start, end;
    gr_country cc;
    bool v6;
};

/* Next line of text from *pos, without its LF/CRLF. False at the end. */
static bool
gr_scan_next_line(const char *text, size_t len, size_t *pos, const char **line, size_t *linelen)
{
    if (*pos >= len)
        return false;
    const char *p = text + *pos;
    const char *nl = memchr(p, '\n', len - *pos);
    size_t n = nl ? (size_t)(nl - p) : len - *pos;
    *pos += n + (nl ? 1 : 0);
    if (n > 0 && p[n - 1] == '\r')
        n--;
    *line = p;
    *linelen = n;
    return true;
}

/* Parse and check one row; NULL on success, else the reason. */
static const char *
gr_scan_parse_row(const char *line, size_t len, struct gr_scan_row *row)
{
    const char *c1 = memchr(line, ',', len);
    if (!c1)
        return "expected start,end,CC";
    const char *c2 = memchr(c1 + 1, ',', len - (size_t)(c1 + 1 - line));
    if (!c2)
        return "expected start,end,CC";
    size_t slen = (size_t)(c1 - line), elen = (size_t)(c2 - c1 - 1);
    size_t cclen = len - (size_t)(c2 + 1 - line);
    if (memchr(c2 + 1, ',', cclen))
        return "too many fields (expected start,end,CC)";
    row->v6 = memchr(line, ':', slen) != NULL;
    bool end_v6 = memchr(c1 + 1, ':', elen) != NULL;
    if (gr_ip_parse(line, slen, &row->start) != GR_IP_OK)
        return "start is not an IP address";
    if (gr_ip_parse(c1 + 1, elen, &row->end) != GR_IP_OK)
        return "end is not an IP address";
    if (row->v6 != end_v6)
        return "start and end are of different address families";
    if (row->v6 && (gr_ip_is_v4(&row->start) || gr_ip_is_v4(&row->end)))
        return "IPv4-mapped IPv6 range (write IPv4 ranges as dotted quads)";
    if (gr_ip_compare(&row->start, &row->end) > 0)
        return "start is after end";
    char cc[3] = {0};
    if (cclen != 2)
        return "country code is not two letters";
    memcpy(cc, c2 + 1, 2);
    row->cc = gr_country_from_str(cc);
    if (row->cc == GR_COUNTRY_NONE)
        return "country code is not two letters";
    return NULL;
}

/* Validate every row of every source; count rows per family. */
static int
gr_scan_validate(struct gr_geodb_scan *s, size_t *n4, size_t *n6, char *err, size_t errcap)
{
    *n4 = *n6 = 0;
    for (size_t i = 0; i < s->n_src; i++) {
        const struct gr_scan_src *src = &s->src[i];
        if (memchr(src->text, '\0', src->len)) {
            size_t off = (size_t)((const char *)memchr(src->text, '\0', src->len) - src->text);
            size_t lineno = 1;
            for (size_t k = 0; k < off; k++)
                lineno += src->text[k] == '\n';
            gr_errf(err, errcap, "%s:%zu: NUL byte (binary data, not a CSV file)", src->name,
                    lineno);
            return GR_GEODB_EFORMAT;
        }
        size_t pos = 0, lineno = 0;
        const char *line;
        size_t len;
        while (gr_scan_next_line(src->text, src->len, &pos, &line, &len)) {
            lineno++;
            if (len == 0)
                continue;
            struct gr_scan_row row;
            const char *why = gr_scan_parse_row(line, len, &row);
            if (why) {
                int shown = len > 60 ? 60 : (int)len;
                gr_errf(err, errcap, "%s:%zu: %s: \"%.*s%s\"", src->name, lineno, why, shown, line,
                        len > 60 ? "..." : "");
                return GR_GEODB_EFORMAT;
            }
            if (lineno > UINT32_MAX) {
                gr_errf(err, errcap, "%s: too many lines", src->name);
                return GR_GEODB_EFORMAT;
            }
            if (row.v6)
                (*n6)++;
            else
                (*n4)++;
        }
    }
    if (*n4 + *n6 == 0) {
        gr_errf(err, errcap, "%s: no ranges (empty CSV)", s->src[0].name);
        return GR_GEODB_EFORMAT;
    }
    return GR_GEODB_OK;
}

static int
gr_scan_linear_lookup(gr_geodb *db, const gr_ip *ip, gr_country *out)
{
    struct gr_geodb_scan *s = (struct gr_geodb_scan *)db;
    bool want_v6 = !gr_ip_is_v4(ip);
    for (size_t i = 0; i < s->n_src; i++) {
        const struct gr_scan_src *src = &s->src[i];
        size_t pos = 0, len;
        const char *line;
        while (gr_scan_next_line(src->text, src->len, &pos, &line, &len)) {
            const char *c1 = memchr(line, ',', len);
            if (!c1)
                continue; /* an empty line (anything else was rejected at open) */
            if ((memchr(line, ':', (size_t)(c1 - line)) != NULL) != want_v6)
                continue;
            const char *c2 = memchr(c1 + 1, ',', len - (size_t)(c1 + 1 - line));
            gr_ip start, end;
            if (!c2 || gr_ip_parse(line, (size_t)(c1 - line), &start) != GR_IP_OK ||
                gr_ip_parse(c1 + 1, (size_t)(c2 - c1 - 1), &end) != GR_IP_OK)
                return GR_GEODB_ELOOKUP;
            if (gr_ip_compare(&start, ip) <= 0 && gr_ip_compare(ip, &end) <= 0) {
                char cc[3] = {c2[1], c2[2], '\0'};
                *out = gr_country_from_str(cc);
                return *out == GR_COUNTRY_NONE ? GR_GEODB_ELOOKUP : 1;
            }
        }
    }
    return 0;
}

static int
gr_scan_bsearch_lookup(gr_geodb *db, const gr_ip *ip, gr_country *out)
{
    struct gr_geodb_scan *s = (struct gr_geodb_scan *)db;
    if (gr_ip_is_v4(ip)) {
        uint32_t v = gr_ip_v4(ip);
        size_t lo = 0, hi = s->n4; /* find the last start <= v */
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (s->v4[mid].start <= v)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo == 0 || v > s->v4[lo - 1].end)
            return 0;
        *out = s->v4[lo - 1].cc;
        return 1;
    }
    size_t lo = 0, hi = s->n6;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (gr_ip_compare(&s->v6[mid].start, ip) <= 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0 || gr_ip_compare(ip, &s->v6[lo - 1].end) > 0)
        return 0;
    *out = s->v6[lo - 1].cc;
    return 1;
}

static void
gr_scan_close(gr_geodb *db)
{
    struct gr_geodb_scan *s = (struct gr_geodb_scan *)db;
    for (size_t i = 0; i < s->n_src; i++)
        free(s->src[i].owned);
    free(s->src);
    free(s->v4);
    free(s->v6);
    free(s);
}

static const struct gr_geodb_ops gr_scan_linear_ops = {
    .name = "scan",
    .lookup = gr_scan_linear_lookup,
    .close = gr_scan_close,
};

static const struct gr_geodb_ops gr_scan_bsearch_ops = {
    .name = "scan-bsearch",
    .lookup = gr_scan_bsearch_lookup,
    .close = gr_scan_close,
};

static int
gr_scan_cmp_v4(const void *a, const void *b)
{
    const struct gr_scan_v4 *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    return x->line < y->line ? -1 : x->line > y->line;
}

static int
gr_scan_cmp_v6(const void *a, const void *b)
{
    const struct gr_scan_v6 *x = a, *y = b;
    int c = gr_ip_compare(&x->start, &y->start);
    if (c)
        return c;
    return x->line < y->line ? -1 : x->line > y->line;
}

/* Parse every row into the sorted arrays; reject overlaps. */
static int
gr_scan_build_arrays(struct gr_geodb_scan *s, size_t n4, size_t n6, char *err, size_t errcap)
{
    s->v4 = malloc((n4 ? n4 : 1) * sizeof *s->v4);
    s->v6 = malloc((n6 ? n6 : 1) * sizeof *s->v6);
    if (!s->v4 || !s->v6) {
        gr_errf(err, errcap, "out of memory for %zu ranges", n4 + n6);
        return GR_GEODB_ENOMEM;
    }
    for (size_t i = 0; i < s->n_src; i++) {
        const struct gr_scan_src *src = &s->src[i];
        size_t pos = 0, len, lineno = 0;
        const char *line;
        while (gr_scan_next_line(src->text, src->len, &pos, &line, &len)) {
            lineno++;
            struct gr_scan_row row;
            if (len == 0 || gr_scan_parse_row(line, len, &row))
                continue; /* validated before: only empty lines get here */
            if (row.v6)
                s->v6[s->n6++] = (struct gr_scan_v6){row.start, row.end, (uint32_t)lineno, row.cc};
            else
                s->v4[s->n4++] = (struct gr_scan_v4){gr_ip_v4(&row.start), gr_ip_v4(&row.end),
                                                     (uint32_t)lineno, row.cc};
        }
    }
    qsort(s->v4, s->n4, sizeof *s->v4, gr_scan_cmp_v4);
    qsort(s->v6, s->n6, sizeof *s->v6, gr_scan_cmp_v6);
    for (size_t i = 1; i < s->n4; i++) {
        if (s->v4[i].start <= s->v4[i - 1].end) {
            gr_errf(err, errcap,
                    "IPv4 ranges at lines %u and %u overlap (scan-bsearch needs "
                    "disjoint ranges)",
                    s->v4[i - 1].line, s->v4[i].line);
            return GR_GEODB_EFORMAT;
        }
    }
    for (size_t i = 1; i < s->n6; i++) {
        if (gr_ip_compare(&s->v6[i].start, &s->v6[i - 1].end) <= 0) {
            gr_errf(err, errcap,
                    "IPv6 ranges at lines %u and %u overlap (scan-bsearch needs "
                    "disjoint ranges)",
                    s->v6[i - 1].line, s->v6[i].line);
            return GR_GEODB_EFORMAT;
        }
    }
    return GR_GEODB_OK;
}

/* Finish an open whose sources are filled in: validate, build, publish. */
static int
gr_scan_finish(struct gr_geodb_scan *s, gr_geodb_kind kind, gr_geodb **out, char *err,
               size_t errcap)
{
    size_t n4, n6;
    int rc = gr_scan_validate(s, &n4, &n6, err, errcap);
    if (rc == GR_GEODB_OK && kind == GR_GEODB_SCAN_BSEARCH)
        rc = gr_scan_build_arrays(s, n4, n6, err, errcap);
    if (rc != GR_GEODB_OK) {
        gr_scan_close(&s->base);
        return rc;
    }
    s->base.ops = kind == GR_GEODB_SCAN ? &gr_scan_linear_ops : &gr_scan_bsearch_ops;
    *out = &s->base;
    return GR_GEODB_OK;
}

static struct gr_geodb_scan *
gr_scan_alloc(size_t n_src)
{
    struct gr_geodb_scan *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->src = calloc(n_src, sizeof *s->src);
    if (!s->src) {
        free(s);
        return NULL;
    }
    s->base.ops = &gr_scan_linear_ops; /* close works before publication */
    return s;
}

/* Read a whole file into src->owned. */
static int
gr_scan_read_file(struct gr_scan_src *src, const char *path, char *err, size_t errcap)
{
    src->name = path;
    FILE *f = fopen(path, "rb");
    if (!f) {
        gr_errf(err, errcap, "%s: %s", path, strerror(errno));
        return GR_GEODB_ENOENT;
    }
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        gr_errf(err, errcap, "%s: not a regular file", path);
        fclose(f);
        return GR_GEODB_ENOENT;
    }
    size_t cap = st.st_size > 0 ? (size_t)st.st_size : 0;
    char *buf = malloc(cap + 1);
    if (!buf) {
        gr_errf(err, errcap, "%s: out of memory", path);
        fclose(f);
        return GR_GEODB_ENOMEM;
    }
    size_t n = fread(buf, 1, cap, f);
    bool failed = ferror(f);
    fclose(f);
    if (failed) {
        gr_errf(err, errcap, "%s: read error", path);
        free(buf);
        return GR_GEODB_ENOENT;
    }
    src->owned = buf;
    src->text = buf;
    src->len = n;
    return GR_GEODB_OK;
}

static bool
gr_scan_kind_ok(gr_geodb_kind kind)
{
    return kind == GR_GEODB_SCAN || kind == GR_GEODB_SCAN_BSEARCH;
}

int
gr_geodb_open_scan(gr_geodb_kind kind, const char *const *paths, size_t n_paths, gr_geodb **out,
                   char *err, size_t errcap)
{
    if (!gr_scan_kind_ok(kind) || !paths || n_paths == 0 || !out) {
        gr_errf(err, errcap, "scan backend needs a CSV path and kind scan or scan-bsearch");
        return GR_GEODB_EARG;
    }
    struct gr_geodb_scan *s = gr_scan_alloc(n_paths);
    if (!s) {
        gr_errf(err, errcap, "out of memory");
        return GR_GEODB_ENOMEM;
    }
    for (size_t i = 0; i < n_paths; i++) {
        int rc = gr_scan_read_file(&s->src[i], paths[i], err, errcap);
        s->n_src = i + 1;
        if (rc != GR_GEODB_OK) {
            gr_scan_close(&s->base);
            return rc;
        }
    }
    return gr_scan_finish(s, kind, out, err, errcap);
}

int
gr_geodb_open_scan_buffer(gr_geodb_kind kind, const char *csv, size_t len, gr_geodb **out,
                          char *err, size_t errcap)
{
    if (!gr_scan_kind_ok(kind) || (!csv && len) || !out) {
        gr_errf(err, errcap, "scan backend needs CSV text and kind scan or scan-bsearch");
        return GR_GEODB_EARG;
    }
    struct gr_geodb_scan *s = gr_scan_alloc(1);
    if (!s) {
        gr_errf(err, errcap, "out of memory");
        return GR_GEODB_ENOMEM;
    }
    s->src[0] = (struct gr_scan_src){csv ? csv : "", len, NULL, "csv"};
    s->n_src = 1;
    return gr_scan_finish(s, kind, out, err, errcap);
}
