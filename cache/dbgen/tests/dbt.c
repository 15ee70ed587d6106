/*
 * dbt.c - shared helpers of the default-database tests (see dbt.h).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "dbt.h"

static _Noreturn void gr_dbt_die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
gr_dbt_die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(2);
}

char *
gr_dbt_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        gr_dbt_die("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)sz + 1);
    if (!buf || fread(buf, 1, (size_t)sz, f) != (size_t)sz)
        gr_dbt_die("cannot read %s", path);
    buf[sz] = '\0';
    fclose(f);
    *len = (size_t)sz;
    return buf;
}

void
gr_dbt_csv_load(const char *path, gr_dbt_csv *out)
{
    size_t len;
    char *text = gr_dbt_read_file(path, &len);
    size_t cap = 1024, n = 0, lineno = 0;
    gr_dbt_range *v = malloc(cap * sizeof *v);
    if (!v)
        gr_dbt_die("%s: out of memory", path);
    memset(out, 0, sizeof *out);
    for (char *p = text, *nl; *p; p = nl + 1) {
        nl = strchr(p, '\n');
        if (!nl)
            gr_dbt_die("%s:%zu: no newline at end", path, lineno + 1);
        lineno++;
        *nl = '\0';
        char *c1 = strchr(p, ','), *c2 = c1 ? strchr(c1 + 1, ',') : NULL;
        if (!c2 || strlen(c2 + 1) != 2)
            gr_dbt_die("%s:%zu: bad line", path, lineno);
        if (n == cap) {
            gr_dbt_range *more = realloc(v, (cap *= 2) * sizeof *v);
            if (!more)
                gr_dbt_die("%s:%zu: out of memory", path, lineno);
            v = more;
        }
        gr_dbt_range *r = &v[n++];
        if (gr_ip_parse(p, (size_t)(c1 - p), &r->first) ||
            gr_ip_parse(c1 + 1, (size_t)(c2 - c1 - 1), &r->last))
            gr_dbt_die("%s:%zu: bad address", path, lineno);
        memcpy(r->cc, c2 + 1, 3);
        r->v6 = memchr(p, ':', (size_t)(c1 - p)) != NULL;
        if (r->v6)
            out->n6++;
        else
            out->n4++;
    }
    free(text);
    out->v = v;
    out->n = n;
}

void
gr_dbt_csv_free(gr_dbt_csv *c)
{
    free(c->v);
    memset(c, 0, sizeof *c);
}

static int
gr_dbt_entry_country(MMDB_lookup_result_s *res, int gai, int err, char cc[3])
{
    if (gai != 0 || err != MMDB_SUCCESS)
        return -1;
    if (!res->found_entry)
        return 0;
    MMDB_entry_data_s d;
    if (MMDB_get_value(&res->entry, &d, "country_code", NULL) != MMDB_SUCCESS || !d.has_data ||
        d.type != MMDB_DATA_TYPE_UTF8_STRING || d.data_size != 2)
        return -1;
    memcpy(cc, d.utf8_string, 2);
    cc[2] = '\0';
    return 1;
}

int
gr_dbt_mmdb_country_v6bytes(MMDB_s *db, const unsigned char b[16], char cc[3])
{
    struct sockaddr_in6 s6;
    memset(&s6, 0, sizeof s6);
    s6.sin6_family = AF_INET6;
    memcpy(&s6.sin6_addr, b, 16);
    int err;
    MMDB_lookup_result_s res = MMDB_lookup_sockaddr(db, (struct sockaddr *)&s6, &err);
    return gr_dbt_entry_country(&res, 0, err, cc);
}

int
gr_dbt_mmdb_country(MMDB_s *db, const gr_ip *ip, char cc[3])
{
    if (!gr_ip_is_v4(ip))
        return gr_dbt_mmdb_country_v6bytes(db, ip->b, cc);
    struct sockaddr_in s4;
    memset(&s4, 0, sizeof s4);
    s4.sin_family = AF_INET;
    s4.sin_addr.s_addr = htonl(gr_ip_v4(ip));
    int err;
    MMDB_lookup_result_s res = MMDB_lookup_sockaddr(db, (struct sockaddr *)&s4, &err);
    return gr_dbt_entry_country(&res, 0, err, cc);
}

bool
gr_dbt_ip_inc(gr_ip *ip)
{
    for (int i = 15; i >= 0; i--)
        if (++ip->b[i] != 0)
            return true;
    return false;
}

bool
gr_dbt_ip_dec(gr_ip *ip)
{
    for (int i = 15; i >= 0; i--)
        if (ip->b[i]-- != 0)
            return true;
    return false;
}

void
gr_dbt_ip_mid(const gr_ip *first, const gr_ip *last, gr_ip *mid)
{
    /* (first + last) / 2 over 17 bits per byte position. */
    unsigned carry = 0;
    unsigned char sum[16];
    for (int i = 15; i >= 0; i--) {
        unsigned s = (unsigned)first->b[i] + last->b[i] + carry;
        sum[i] = (unsigned char)s;
        carry = s >> 8;
    }
    unsigned rem = carry;
    for (int i = 0; i < 16; i++) {
        unsigned cur = rem << 8 | sum[i];
        mid->b[i] = (unsigned char)(cur >> 1);
        rem = cur & 1;
    }
}

int
gr_dbt_csv_country(const gr_dbt_csv *c, const gr_ip *ip, char cc[3])
{
    /* Ranges are sorted within each family; IPv4-mapped sorts below 2000::/3
     * in 16-byte order, so one search over the whole array works as long as
     * IPv4 rows come first, which the generated file guarantees. */
    size_t lo = 0, hi = c->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (gr_ip_compare(&c->v[mid].last, ip) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < c->n && gr_ip_compare(&c->v[lo].first, ip) <= 0) {
        memcpy(cc, c->v[lo].cc, 3);
        return 1;
    }
    return 0;
}
