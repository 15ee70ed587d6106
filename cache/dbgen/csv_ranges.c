/*
 * csv_ranges.c - Zoraxy CSV rows into the MMDB writer (see csv_ranges.h).
 *
 * Each line is split at its two commas, both addresses go through the
 * project's address parser (gr_ip_parse, so the CSV accepts exactly the
 * spellings the rest of georace does), and the range is inserted in its
 * family's space. Errors name the file and line: "ranges.csv:12: ...".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "georace/csv_ranges.h"
#include "georace/ip.h"

#define GR_CSVR_LINE_MAX 256

static int
gr_csvr_fail(char *err, size_t errcap, const char *name, size_t line, const char *what,
             const char *field, size_t flen)
{
    if (err && errcap) {
        if (field)
            snprintf(err, errcap, "%s:%zu: %s '%.*s'", name, line, what,
                     (int)(flen > 60 ? 60 : flen), field);
        else
            snprintf(err, errcap, "%s:%zu: %s", name, line, what);
    }
    return GR_CSVR_EFORMAT;
}

static int
gr_csvr_row(gr_mmdbw *w, const char *name, size_t lineno, const char *s, size_t len,
            gr_csvr_counts *counts, char *err, size_t errcap)
{
    if (len > GR_CSVR_LINE_MAX)
        return gr_csvr_fail(err, errcap, name, lineno, "line too long", NULL, 0);
    if (memchr(s, '\0', len))
        return gr_csvr_fail(err, errcap, name, lineno, "NUL byte in line", NULL, 0);
    const char *c1 = memchr(s, ',', len);
    const char *c2 = c1 ? memchr(c1 + 1, ',', len - (size_t)(c1 + 1 - s)) : NULL;
    if (!c1 || !c2)
        return gr_csvr_fail(err, errcap, name, lineno, "expected start,end,CC, got", s, len);
    const char *f0 = s, *f1 = c1 + 1, *f2 = c2 + 1;
    size_t l0 = (size_t)(c1 - s), l1 = (size_t)(c2 - f1), l2 = len - (size_t)(f2 - s);
    if (memchr(f2, ',', l2))
        return gr_csvr_fail(err, errcap, name, lineno, "too many fields in", s, len);

    gr_ip a, b;
    if (gr_ip_parse(f0, l0, &a) != GR_IP_OK)
        return gr_csvr_fail(err, errcap, name, lineno, "bad start address", f0, l0);
    if (gr_ip_parse(f1, l1, &b) != GR_IP_OK)
        return gr_csvr_fail(err, errcap, name, lineno, "bad end address", f1, l1);
    bool v6a = memchr(f0, ':', l0) != NULL, v6b = memchr(f1, ':', l1) != NULL;
    if (v6a != v6b)
        return gr_csvr_fail(err, errcap, name, lineno, "start and end of different families in", s,
                            len);
    if (v6a && (gr_ip_is_v4(&a) || gr_ip_is_v4(&b)))
        return gr_csvr_fail(err, errcap, name, lineno,
                            "IPv4-mapped IPv6 address (write it as IPv4) in", s, len);
    if (gr_ip_compare(&a, &b) > 0)
        return gr_csvr_fail(err, errcap, name, lineno, "start after end in", s, len);
    if (l2 != 2 || !((f2[0] | 0x20) >= 'a' && (f2[0] | 0x20) <= 'z') ||
        !((f2[1] | 0x20) >= 'a' && (f2[1] | 0x20) <= 'z'))
        return gr_csvr_fail(err, errcap, name, lineno, "country code is not two letters:", f2, l2);
    char cc[3] = {(char)(f2[0] & ~0x20), (char)(f2[1] & ~0x20), '\0'};

    int rc = v6a ? gr_mmdbw_insert_v6(w, a.b, b.b, cc)
                 : gr_mmdbw_insert_v4(w, gr_ip_v4(&a), gr_ip_v4(&b), cc);
    if (rc == GR_MMDBW_ENOMEM || rc == GR_MMDBW_ETOOBIG) {
        if (err && errcap)
            snprintf(err, errcap, "%s:%zu: %s", name, lineno, gr_mmdbw_strerror(rc));
        return GR_CSVR_ENOMEM;
    }
    if (rc)
        return gr_csvr_fail(err, errcap, name, lineno, gr_mmdbw_strerror(rc), NULL, 0);
    if (v6a)
        counts->v6++;
    else
        counts->v4++;
    return GR_CSVR_OK;
}

int
gr_csvr_load(gr_mmdbw *w, const char *name, const char *text, size_t len, gr_csvr_counts *counts,
             char *err, size_t errcap)
{
    size_t lineno = 0;
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *eol = nl ? nl : end;
        size_t l = (size_t)(eol - p);
        lineno++;
        if (l > 0 && p[l - 1] == '\r')
            l--;
        if (l > 0) {
            int rc = gr_csvr_row(w, name, lineno, p, l, counts, err, errcap);
            if (rc)
                return rc;
        }
        p = nl ? nl + 1 : end;
    }
    return GR_CSVR_OK;
}

int
gr_csvr_load_file(gr_mmdbw *w, const char *path, gr_csvr_counts *counts, char *err, size_t errcap)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (err && errcap)
            snprintf(err, errcap, "%s: %s", path, strerror(errno));
        return GR_CSVR_ENOENT;
    }
    char *buf = NULL;
    size_t len = 0, cap = 0;
    int rc = GR_CSVR_OK;
    for (;;) {
        if (cap - len < 65536) {
            size_t ncap = cap ? cap * 2 : 1 << 20;
            char *nb = realloc(buf, ncap);
            if (!nb) {
                rc = GR_CSVR_ENOMEM;
                if (err && errcap)
                    snprintf(err, errcap, "%s: out of memory", path);
                break;
            }
            buf = nb;
            cap = ncap;
        }
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (n == 0) {
            if (ferror(f)) {
                rc = GR_CSVR_ENOENT;
                if (err && errcap)
                    snprintf(err, errcap, "%s: read error: %s", path, strerror(errno));
            }
            break;
        }
    }
    fclose(f);
    if (rc == GR_CSVR_OK)
        rc = gr_csvr_load(w, path, buf, len, counts, err, errcap);
    free(buf);
    return rc;
}
