/*
 * addrpool.c - the ranges of a geo database, as a source of client
 * addresses with a known country.
 *
 * IPv4 ranges are kept sorted with a running total of addresses, so one
 * random word picks a position in the covered IPv4 space (binary search for
 * the range, the remainder is the offset): addresses are uniform over the
 * space the database covers, and the country mix is the database's. IPv6
 * ranges differ in size by dozens of orders of magnitude, so each IPv6
 * range is equally likely and the address is uniform inside it.
 *
 * Ranges come from Zoraxy-style CSV ("start,end,CC") or from a walk over
 * an MMDB search tree (MMDB_read_node). After loading, ranges are sorted;
 * a range overlapping an earlier one is dropped, so every address of the
 * pool has exactly one country. Drawn addresses that fall in a reserved
 * zone (a database covering 10.0.0.0/8, say) are redrawn a few times: a
 * resolver answers those with the zone, never with the database's country.
 *
 * A pool is immutable once built: draws are pure and thread-safe.
 */
#include <errno.h>
#include <maxminddb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "georace/errbuf.h"
#include "georace/rng.h"
#include "georace/traffic.h"

typedef unsigned __int128 gr_u128;

struct gr_addrpool_v4 {
    uint32_t start, end;
    gr_country cc;
};

struct gr_addrpool_v6 {
    gr_u128 start, end;
    gr_country cc;
};

struct gr_addrpool {
    struct gr_addrpool_v4 *v4;
    size_t n4, cap4;
    uint64_t *cum4; /* cum4[i] = addresses in ranges 0..i */
    struct gr_addrpool_v6 *v6;
    size_t n6, cap6;
    size_t dropped; /* overlapping ranges dropped */
    bool sealed;
};

static gr_u128
gr_addrpool_to_u128(const gr_ip *ip)
{
    gr_u128 v = 0;
    for (int i = 0; i < 16; i++)
        v = v << 8 | ip->b[i];
    return v;
}

static void
gr_addrpool_from_u128(gr_u128 v, gr_ip *ip)
{
    for (int i = 15; i >= 0; i--) {
        ip->b[i] = (uint8_t)v;
        v >>= 8;
    }
}

static gr_addrpool *
gr_addrpool_new(void)
{
    return calloc(1, sizeof(gr_addrpool));
}

static int
gr_addrpool_push(gr_addrpool *p, const gr_ip *start, const gr_ip *end, gr_country cc)
{
    if (gr_ip_is_v4(start)) {
        if (p->n4 == p->cap4) {
            size_t cap = p->cap4 ? p->cap4 * 2 : 1024;
            void *n = realloc(p->v4, cap * sizeof *p->v4);
            if (!n)
                return GR_TRAFFIC_ENOMEM;
            p->v4 = n;
            p->cap4 = cap;
        }
        p->v4[p->n4++] = (struct gr_addrpool_v4){gr_ip_v4(start), gr_ip_v4(end), cc};
    } else {
        if (p->n6 == p->cap6) {
            size_t cap = p->cap6 ? p->cap6 * 2 : 1024;
            void *n = realloc(p->v6, cap * sizeof *p->v6);
            if (!n)
                return GR_TRAFFIC_ENOMEM;
            p->v6 = n;
            p->cap6 = cap;
        }
        p->v6[p->n6++] =
            (struct gr_addrpool_v6){gr_addrpool_to_u128(start), gr_addrpool_to_u128(end), cc};
    }
    p->sealed = false;
    return GR_TRAFFIC_OK;
}

static int
gr_addrpool_cmp4(const void *a, const void *b)
{
    const struct gr_addrpool_v4 *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}

static int
gr_addrpool_cmp6(const void *a, const void *b)
{
    const struct gr_addrpool_v6 *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}

/* Sort, drop overlaps, build the running totals. */
static int
gr_addrpool_seal(gr_addrpool *p)
{
    if (p->sealed)
        return GR_TRAFFIC_OK;
    if (p->n4)
        qsort(p->v4, p->n4, sizeof *p->v4, gr_addrpool_cmp4);
    size_t k = 0;
    for (size_t i = 0; i < p->n4; i++) {
        if (k > 0 && p->v4[i].start <= p->v4[k - 1].end) {
            p->dropped++;
            continue;
        }
        p->v4[k++] = p->v4[i];
    }
    p->n4 = k;
    if (p->n6)
        qsort(p->v6, p->n6, sizeof *p->v6, gr_addrpool_cmp6);
    k = 0;
    for (size_t i = 0; i < p->n6; i++) {
        if (k > 0 && p->v6[i].start <= p->v6[k - 1].end) {
            p->dropped++;
            continue;
        }
        p->v6[k++] = p->v6[i];
    }
    p->n6 = k;
    free(p->cum4);
    p->cum4 = NULL;
    if (p->n4) {
        p->cum4 = malloc(p->n4 * sizeof *p->cum4);
        if (!p->cum4)
            return GR_TRAFFIC_ENOMEM;
        uint64_t total = 0;
        for (size_t i = 0; i < p->n4; i++) {
            total += (uint64_t)(p->v4[i].end - p->v4[i].start) + 1;
            p->cum4[i] = total;
        }
    }
    p->sealed = true;
    return GR_TRAFFIC_OK;
}

/* ---- CSV --------------------------------------------------------------- */

static void
gr_addrpool_trim_blanks(const char **s, size_t *len)
{
    while (*len && (**s == ' ' || **s == '\t'))
        (*s)++, (*len)--;
    while (*len && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t' || (*s)[*len - 1] == '\r'))
        (*len)--;
}

/* Trim blanks and one pair of double quotes around a field. */
static void
gr_addrpool_trim(const char **s, size_t *len)
{
    gr_addrpool_trim_blanks(s, len);
    if (*len >= 2 && (*s)[0] == '"' && (*s)[*len - 1] == '"')
        (*s)++, *len -= 2;
}

static int
gr_addrpool_csv_line(gr_addrpool *p, const char *line, size_t len, const char *origin,
                     size_t lineno, char *err, size_t errcap)
{
    const char *f[3];
    size_t fl[3];
    size_t nf = 0;
    const char *s = line, *end = line + len;
    while (nf < 3) {
        const char *comma = memchr(s, ',', (size_t)(end - s));
        const char *stop = comma ? comma : end;
        f[nf] = s;
        fl[nf] = (size_t)(stop - s);
        gr_addrpool_trim(&f[nf], &fl[nf]);
        nf++;
        if (!comma)
            break;
        s = comma + 1;
    }
    if (nf != 3) {
        gr_errf(err, errcap, "%s:%zu: expected 'start,end,CC'", origin, lineno);
        return GR_TRAFFIC_EFORMAT;
    }
    gr_ip a, b;
    if (gr_ip_parse(f[0], fl[0], &a) || gr_ip_parse(f[1], fl[1], &b)) {
        gr_errf(err, errcap, "%s:%zu: not an address range", origin, lineno);
        return GR_TRAFFIC_EFORMAT;
    }
    if (gr_ip_is_v4(&a) != gr_ip_is_v4(&b) || gr_ip_compare(&a, &b) > 0) {
        gr_errf(err, errcap, "%s:%zu: range end before start or mixed families", origin, lineno);
        return GR_TRAFFIC_EFORMAT;
    }
    char cc[3] = "";
    if (fl[2] == 2)
        memcpy(cc, f[2], 2);
    gr_country c = gr_country_from_str(cc);
    if (c == GR_COUNTRY_NONE) {
        /* Some lists carry "-" or "ZZ"-like placeholders; an empty code is skipped. */
        if (fl[2] == 0 || (fl[2] == 1 && f[2][0] == '-'))
            return GR_TRAFFIC_OK;
        gr_errf(err, errcap, "%s:%zu: '%.*s' is not a two-letter country code", origin, lineno,
                (int)(fl[2] > 16 ? 16 : fl[2]), f[2]);
        return GR_TRAFFIC_EFORMAT;
    }
    return gr_addrpool_push(p, &a, &b, c);
}

int
gr_addrpool_add_csv(gr_addrpool *p, const char *text, size_t len, const char *origin, char *err,
                    size_t errcap)
{
    if (!p || (!text && len))
        return GR_TRAFFIC_EARG;
    if (!origin)
        origin = "csv";
    size_t lineno = 0;
    const char *s = text, *end = text + len;
    while (s < end) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        const char *stop = nl ? nl : end;
        lineno++;
        const char *line = s;
        size_t ll = (size_t)(stop - s);
        gr_addrpool_trim_blanks(&line, &ll);
        if (ll && line[0] != '#') {
            int rc = gr_addrpool_csv_line(p, line, ll, origin, lineno, err, errcap);
            if (rc)
                return rc;
        }
        s = nl ? nl + 1 : end;
    }
    return gr_addrpool_seal(p);
}

int
gr_addrpool_from_csv(const char *text, size_t len, gr_addrpool **out, char *err, size_t errcap)
{
    gr_addrpool *p = gr_addrpool_new();
    if (!p)
        return GR_TRAFFIC_ENOMEM;
    int rc = gr_addrpool_add_csv(p, text, len, "csv", err, errcap);
    if (rc == GR_TRAFFIC_OK && p->n4 + p->n6 == 0) {
        gr_errf(err, errcap, "the CSV holds no address range");
        rc = GR_TRAFFIC_EFORMAT;
    }
    if (rc) {
        gr_addrpool_free(p);
        return rc;
    }
    *out = p;
    return GR_TRAFFIC_OK;
}

int
gr_addrpool_add_csv_file(gr_addrpool *p, const char *path, char *err, size_t errcap)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        gr_errf(err, errcap, "%s: %s", path, strerror(errno));
        return GR_TRAFFIC_ENOENT;
    }
    char *buf = NULL;
    size_t len = 0, cap = 0;
    int rc = GR_TRAFFIC_OK;
    for (;;) {
        if (len == cap) {
            cap = cap ? cap * 2 : 1 << 20;
            char *n = realloc(buf, cap);
            if (!n) {
                rc = GR_TRAFFIC_ENOMEM;
                break;
            }
            buf = n;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0) {
            if (ferror(f)) {
                gr_errf(err, errcap, "%s: read error", path);
                rc = GR_TRAFFIC_ENOENT;
            }
            break;
        }
    }
    fclose(f);
    if (rc == GR_TRAFFIC_OK)
        rc = gr_addrpool_add_csv(p, buf, len, path, err, errcap);
    free(buf);
    return rc;
}

int
gr_addrpool_from_csv_file(const char *path, gr_addrpool **out, char *err, size_t errcap)
{
    gr_addrpool *p = gr_addrpool_new();
    if (!p)
        return GR_TRAFFIC_ENOMEM;
    int rc = gr_addrpool_add_csv_file(p, path, err, errcap);
    if (rc == GR_TRAFFIC_OK && p->n4 + p->n6 == 0) {
        gr_errf(err, errcap, "%s: no address range", path);
        rc = GR_TRAFFIC_EFORMAT;
    }
    if (rc) {
        gr_addrpool_free(p);
        return rc;
    }
    *out = p;
    return GR_TRAFFIC_OK;
}

/* ---- MMDB -------------------------------------------------------------- */

static gr_country
gr_addrpool_mmdb_country(MMDB_entry_s *entry)
{
    MMDB_entry_data_s d;
    if (MMDB_get_value(entry, &d, "country_code", NULL) != MMDB_SUCCESS || !d.has_data ||
        d.type != MMDB_DATA_TYPE_UTF8_STRING) {
        if (MMDB_get_value(entry, &d, "country", "iso_code", NULL) != MMDB_SUCCESS || !d.has_data ||
            d.type != MMDB_DATA_TYPE_UTF8_STRING)
            return GR_COUNTRY_NONE;
    }
    if (d.data_size != 2)
        return GR_COUNTRY_NONE;
    char cc[3] = {d.utf8_string[0], d.utf8_string[1], 0};
    return gr_country_from_str(cc);
}

struct gr_addrpool_walk {
    uint32_t node;
    unsigned depth;
    gr_u128 prefix; /* in the tree's own bit space, left-aligned to 128 bits */
};

/* True for the IPv6 subtrees that alias the IPv4 space in MaxMind trees:
 * ::ffff:0:0/96, 2001::/32 (Teredo) and 2002::/16 (6to4). */
static bool
gr_addrpool_mmdb_alias(gr_u128 prefix, unsigned depth)
{
    gr_u128 one = 1;
    if (depth == 96 && prefix == (gr_u128)0xffff << 32)
        return true;
    if (depth == 32 && prefix == (gr_u128)0x20010000u << 96)
        return true;
    if (depth == 16 && prefix == (one * 0x2002u) << 112)
        return true;
    return false;
}

static int
gr_addrpool_mmdb_network(gr_addrpool *p, unsigned ip_version, gr_u128 prefix, unsigned depth,
                         MMDB_entry_s *entry)
{
    gr_country cc = gr_addrpool_mmdb_country(entry);
    if (cc == GR_COUNTRY_NONE)
        return GR_TRAFFIC_OK;
    gr_u128 host = depth >= 128 ? 0 : (~(gr_u128)0) >> depth;
    gr_ip a, b;
    if (ip_version == 4) {
        uint32_t s = (uint32_t)(prefix >> 96), e = (uint32_t)((prefix | host) >> 96);
        gr_ip_from_v4(s, &a);
        gr_ip_from_v4(e, &b);
    } else if (depth >= 96 && (prefix >> 32) == 0) {
        /* ::a.b.c.d - the IPv4 subtree of an IPv6 tree */
        gr_ip_from_v4((uint32_t)prefix, &a);
        gr_ip_from_v4((uint32_t)(prefix | host), &b);
    } else {
        if ((prefix >> 32) == 0 && depth < 96)
            return GR_TRAFFIC_OK; /* a network spanning ::/96 and more: skip */
        gr_addrpool_from_u128(prefix, &a);
        gr_addrpool_from_u128(prefix | host, &b);
    }
    return gr_addrpool_push(p, &a, &b, cc);
}

int
gr_addrpool_from_mmdb(const char *path, gr_addrpool **out, char *err, size_t errcap)
{
    MMDB_s mmdb;
    int st = MMDB_open(path, MMDB_MODE_MMAP, &mmdb);
    if (st != MMDB_SUCCESS) {
        gr_errf(err, errcap, "%s: %s", path, MMDB_strerror(st));
        return st == MMDB_FILE_OPEN_ERROR ? GR_TRAFFIC_ENOENT : GR_TRAFFIC_EFORMAT;
    }
    gr_addrpool *p = gr_addrpool_new();
    if (!p) {
        MMDB_close(&mmdb);
        return GR_TRAFFIC_ENOMEM;
    }
    unsigned ipv = mmdb.metadata.ip_version == 4 ? 4 : 6;
    unsigned maxdepth = ipv == 4 ? 32 : 128;
    struct gr_addrpool_walk stack[130];
    size_t sp = 0;
    int rc = GR_TRAFFIC_OK;
    stack[sp++] = (struct gr_addrpool_walk){0, 0, 0};
    while (sp && rc == GR_TRAFFIC_OK) {
        struct gr_addrpool_walk w = stack[--sp];
        MMDB_search_node_s node;
        if (w.depth >= maxdepth || MMDB_read_node(&mmdb, w.node, &node) != MMDB_SUCCESS) {
            gr_errf(err, errcap, "%s: corrupt search tree", path);
            rc = GR_TRAFFIC_EFORMAT;
            break;
        }
        for (int side = 1; side >= 0 && rc == GR_TRAFFIC_OK; side--) {
            unsigned depth = w.depth + 1;
            gr_u128 prefix = w.prefix;
            if (side)
                prefix |= (gr_u128)1 << (127 - w.depth);
            uint8_t type = side ? node.right_record_type : node.left_record_type;
            uint64_t rec = side ? node.right_record : node.left_record;
            MMDB_entry_s entry = side ? node.right_record_entry : node.left_record_entry;
            if (ipv == 6 && gr_addrpool_mmdb_alias(prefix, depth))
                continue;
            if (type == MMDB_RECORD_TYPE_SEARCH_NODE) {
                if (depth >= maxdepth || sp == sizeof stack / sizeof stack[0]) {
                    gr_errf(err, errcap, "%s: corrupt search tree", path);
                    rc = GR_TRAFFIC_EFORMAT;
                    break;
                }
                stack[sp++] = (struct gr_addrpool_walk){(uint32_t)rec, depth, prefix};
            } else if (type == MMDB_RECORD_TYPE_DATA) {
                rc = gr_addrpool_mmdb_network(p, ipv, prefix, depth, &entry);
            } else if (type == MMDB_RECORD_TYPE_INVALID) {
                gr_errf(err, errcap, "%s: invalid record in the search tree", path);
                rc = GR_TRAFFIC_EFORMAT;
            }
        }
    }
    MMDB_close(&mmdb);
    if (rc == GR_TRAFFIC_OK)
        rc = gr_addrpool_seal(p);
    if (rc == GR_TRAFFIC_OK && p->n4 + p->n6 == 0) {
        gr_errf(err, errcap, "%s: no network with a country code", path);
        rc = GR_TRAFFIC_EFORMAT;
    }
    if (rc) {
        gr_addrpool_free(p);
        return rc;
    }
    *out = p;
    return GR_TRAFFIC_OK;
}

/* ---- queries ----------------------------------------------------------- */

void
gr_addrpool_free(gr_addrpool *p)
{
    if (!p)
        return;
    free(p->v4);
    free(p->cum4);
    free(p->v6);
    free(p);
}

size_t
gr_addrpool_count(const gr_addrpool *p, bool v6)
{
    return v6 ? p->n6 : p->n4;
}

bool
gr_addrpool_range(const gr_addrpool *p, bool v6, size_t i, gr_ip *start, gr_ip *end, gr_country *cc)
{
    if (v6) {
        if (i >= p->n6)
            return false;
        gr_addrpool_from_u128(p->v6[i].start, start);
        gr_addrpool_from_u128(p->v6[i].end, end);
        *cc = p->v6[i].cc;
    } else {
        if (i >= p->n4)
            return false;
        gr_ip_from_v4(p->v4[i].start, start);
        gr_ip_from_v4(p->v4[i].end, end);
        *cc = p->v4[i].cc;
    }
    return true;
}

/* floor(r * n / 2^64): an unbiased-enough index in [0, n). */
static uint64_t
gr_addrpool_scale(uint64_t r, uint64_t n)
{
    return (uint64_t)(((gr_u128)r * n) >> 64);
}

static void
gr_addrpool_draw_once(const gr_addrpool *p, bool v6, uint64_t r1, uint64_t r2, gr_ip *ip,
                      gr_country *truth)
{
    if (!v6) {
        uint64_t pos = gr_addrpool_scale(r1, p->cum4[p->n4 - 1]);
        size_t lo = 0, hi = p->n4 - 1; /* first i with cum4[i] > pos */
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (p->cum4[mid] > pos)
                hi = mid;
            else
                lo = mid + 1;
        }
        uint64_t before = lo ? p->cum4[lo - 1] : 0;
        gr_ip_from_v4(p->v4[lo].start + (uint32_t)(pos - before), ip);
        *truth = p->v4[lo].cc;
        return;
    }
    const struct gr_addrpool_v6 *r = &p->v6[gr_addrpool_scale(r1, p->n6)];
    gr_u128 size = r->end - r->start + 1; /* 0 means all of the space */
    gr_u128 rnd = (gr_u128)r2 << 64 | gr_rng_mix64(r2 ^ r1);
    gr_u128 off = size ? rnd % size : rnd;
    gr_addrpool_from_u128(r->start + off, ip);
    *truth = r->cc;
}

bool
gr_addrpool_draw(const gr_addrpool *p, bool v6, uint64_t r1, uint64_t r2, gr_ip *ip,
                 gr_country *truth)
{
    if (v6 ? p->n6 == 0 : p->n4 == 0)
        return false;
    for (int attempt = 0; attempt < 16; attempt++) {
        gr_addrpool_draw_once(p, v6, r1, r2, ip, truth);
        if (gr_zone_of(ip) == GR_ZONE_NONE)
            return true;
        r1 = gr_rng_mix64(r1 ^ 0x5bd1e995u);
        r2 = gr_rng_mix64(r2 + (uint64_t)attempt);
    }
    return true; /* a pool made of reserved space only: the caller checks the zone */
}
