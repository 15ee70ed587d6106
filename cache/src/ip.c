/*
 * ip.c - parsing, formatting, comparing and hashing addresses in the
 * canonical 16-byte form.
 *
 * The parser is a single left-to-right pass with no allocation and no locale:
 * IPv4 is four decimal parts without leading zeros; IPv6 is up to eight hex
 * groups with at most one "::" and an optional dotted quad in the last 32
 * bits. A zone id after '%' is checked for sane characters and dropped.
 * Accept/reject decisions match glibc's inet_pton for every input without a
 * zone id (the unit tests check that differentially on random strings).
 *
 * The formatter follows RFC 5952: lower-case hex, no leading zeros in a
 * group, the longest run of two or more zero groups compressed to "::" (the
 * first one on a tie); IPv4-mapped addresses print as dotted quads.
 *
 * The hash reads the address as two 64-bit words and folds them with 128-bit
 * multiplications (the multiply-and-fold mixer of the wyhash family), so
 * every input bit reaches every output bit and a per-table seed spreads
 * adversarial keys.
 */
#include <string.h>

#include "georace/ip.h"

/* Longest zone id accepted after '%' (interface names or numbers). */
#define GR_IP_ZONE_MAX 64

static const uint8_t gr_ip_v4_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

static int
gr_ip_hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* A dotted quad filling exactly s[0..len) into out[4]. */
static int
gr_ip_parse_v4(const char *s, size_t len, uint8_t out[4])
{
    size_t i = 0;
    for (int part = 0; part < 4; part++) {
        if (part > 0) {
            if (i >= len || s[i] != '.')
                return GR_IP_ESYNTAX;
            i++;
        }
        size_t start = i;
        unsigned v = 0;
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            if (i - start >= 3)
                return GR_IP_ERANGE; /* four or more digits: > 255 or padded */
            v = v * 10 + (unsigned)(s[i] - '0');
            i++;
        }
        if (i == start)
            return GR_IP_ESYNTAX;
        if (s[start] == '0' && i - start > 1)
            return GR_IP_ESYNTAX; /* leading zero: ambiguous (octal in inet_aton) */
        if (v > 255)
            return GR_IP_ERANGE;
        out[part] = (uint8_t)v;
    }
    return i == len ? GR_IP_OK : GR_IP_ESYNTAX;
}

/* RFC 4291 text form filling exactly s[0..len) into out[16]. */
static int
gr_ip_parse_v6(const char *s, size_t len, uint8_t out[16])
{
    uint8_t b[16] = {0};
    size_t n = 0; /* bytes written */
    int gap = -1; /* byte index where "::" was seen */
    size_t i = 0;
    if (len >= 2 && s[0] == ':' && s[1] == ':') {
        gap = 0;
        i = 2;
        if (i == len) {
            memset(out, 0, 16);
            return GR_IP_OK;
        }
    } else if (len >= 1 && s[0] == ':') {
        return GR_IP_ESYNTAX;
    }
    for (;;) {
        size_t start = i;
        unsigned v = 0;
        while (i < len && gr_ip_hexval(s[i]) >= 0) {
            v = (v << 4) | (unsigned)gr_ip_hexval(s[i]);
            if (i - start >= 4)
                return GR_IP_ERANGE;
            i++;
        }
        if (i < len && s[i] == '.') {
            /* embedded dotted quad: must be the last 32 bits */
            if (n > 12)
                return GR_IP_ESYNTAX;
            int rc = gr_ip_parse_v4(s + start, len - start, b + n);
            if (rc != GR_IP_OK)
                return rc;
            n += 4;
            i = len;
            break;
        }
        if (i == start)
            return GR_IP_ESYNTAX; /* empty group (":::" or a stray character) */
        if (n == 16)
            return GR_IP_ESYNTAX; /* more than eight groups */
        b[n++] = (uint8_t)(v >> 8);
        b[n++] = (uint8_t)v;
        if (i == len)
            break;
        if (s[i] != ':')
            return GR_IP_ESYNTAX;
        i++;
        if (i < len && s[i] == ':') {
            if (gap >= 0)
                return GR_IP_ESYNTAX; /* a second "::" */
            gap = (int)n;
            i++;
            if (i == len)
                break;
        } else if (i == len) {
            return GR_IP_ESYNTAX; /* trailing single ':' */
        }
    }
    if (gap < 0) {
        if (n != 16)
            return GR_IP_ESYNTAX;
        memcpy(out, b, 16);
        return GR_IP_OK;
    }
    if (n == 16)
        return GR_IP_ESYNTAX; /* "::" must stand for at least one group */
    size_t tail = n - (size_t)gap;
    memset(out, 0, 16);
    memcpy(out, b, (size_t)gap);
    memcpy(out + 16 - tail, b + gap, tail);
    return GR_IP_OK;
}

static bool
gr_ip_zone_char_ok(char c)
{
    return c > ' ' && c < 0x7f && c != '%' && c != '[' && c != ']' && c != '/';
}

int
gr_ip_parse(const char *s, size_t len, gr_ip *out)
{
    if (!s || len == 0)
        return GR_IP_EEMPTY;
    const char *pct = memchr(s, '%', len);
    size_t alen = pct ? (size_t)(pct - s) : len;
    if (alen > GR_IP_STRLEN - 1)
        return GR_IP_ETOOLONG;
    if (pct) {
        size_t zlen = len - alen - 1;
        if (zlen == 0)
            return GR_IP_ESYNTAX;
        if (zlen > GR_IP_ZONE_MAX)
            return GR_IP_ETOOLONG;
        for (size_t i = 0; i < zlen; i++)
            if (!gr_ip_zone_char_ok(pct[1 + i]))
                return GR_IP_ESYNTAX;
    }
    if (alen == 0)
        return GR_IP_ESYNTAX;
    gr_ip ip;
    int rc;
    if (memchr(s, ':', alen)) {
        rc = gr_ip_parse_v6(s, alen, ip.b);
    } else {
        if (pct)
            return GR_IP_ESYNTAX; /* zones belong to IPv6 only */
        memcpy(ip.b, gr_ip_v4_prefix, 12);
        rc = gr_ip_parse_v4(s, alen, ip.b + 12);
    }
    if (rc == GR_IP_OK && out)
        *out = ip;
    return rc;
}

/* A port after "host:" - 1..5 digits, at most 65535. */
static bool
gr_ip_port_ok(const char *s, size_t len)
{
    if (len == 0 || len > 5)
        return false;
    unsigned v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    return v <= 65535;
}

int
gr_ip_parse_host(const char *s, size_t len, gr_ip *out)
{
    if (!s || len == 0)
        return GR_IP_EEMPTY;
    if (s[0] == '[') {
        const char *close = memchr(s, ']', len);
        if (!close)
            return GR_IP_ESYNTAX;
        size_t inner = (size_t)(close - s) - 1;
        size_t rest = len - (size_t)(close - s) - 1;
        if (rest > 0 && (close[1] != ':' || !gr_ip_port_ok(close + 2, rest - 1)))
            return GR_IP_ESYNTAX;
        if (inner == 0)
            return GR_IP_ESYNTAX;
        if (!memchr(s + 1, ':', inner))
            return GR_IP_ESYNTAX; /* brackets are for IPv6 only */
        return gr_ip_parse(s + 1, inner, out);
    }
    int rc = gr_ip_parse(s, len, out);
    if (rc == GR_IP_OK)
        return rc;
    /* "a.b.c.d:port": exactly one colon; a bare IPv6 address has several. */
    const char *colon = memchr(s, ':', len);
    if (!colon || memchr(colon + 1, ':', len - (size_t)(colon - s) - 1))
        return rc;
    size_t hlen = (size_t)(colon - s);
    if (!gr_ip_port_ok(colon + 1, len - hlen - 1))
        return GR_IP_ESYNTAX;
    if (hlen == 0)
        return GR_IP_ESYNTAX;
    return gr_ip_parse(s, hlen, out);
}

static size_t
gr_ip_put_dec(char *p, unsigned v)
{
    char tmp[3];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t i = 0; i < n; i++)
        p[i] = tmp[n - 1 - i];
    return n;
}

static size_t
gr_ip_put_hex(char *p, unsigned v)
{
    static const char digits[] = "0123456789abcdef";
    size_t n = 0;
    bool started = false;
    for (int shift = 12; shift >= 0; shift -= 4) {
        unsigned d = (v >> shift) & 0xf;
        if (d || started || shift == 0) {
            p[n++] = digits[d];
            started = true;
        }
    }
    return n;
}

static size_t
gr_ip_put_v4(char *p, const uint8_t b[4])
{
    size_t n = 0;
    for (int i = 0; i < 4; i++) {
        if (i)
            p[n++] = '.';
        n += gr_ip_put_dec(p + n, b[i]);
    }
    return n;
}

/* Longest run (>= 2) of zero groups, first on a tie; *len 0 when none. */
static void
gr_ip_zero_run(const uint16_t g[8], int *start, int *len)
{
    *start = -1;
    *len = 0;
    for (int i = 0; i < 8;) {
        if (g[i]) {
            i++;
            continue;
        }
        int j = i;
        while (j < 8 && !g[j])
            j++;
        if (j - i > *len && j - i >= 2) {
            *start = i;
            *len = j - i;
        }
        i = j;
    }
}

size_t
gr_ip_format(const gr_ip *ip, char *buf, size_t cap)
{
    char text[GR_IP_STRLEN];
    size_t n = 0;
    if (gr_ip_is_v4(ip)) {
        n = gr_ip_put_v4(text, ip->b + 12);
    } else {
        uint16_t g[8];
        for (int i = 0; i < 8; i++)
            g[i] = (uint16_t)(ip->b[2 * i] << 8 | ip->b[2 * i + 1]);
        int zs, zl;
        gr_ip_zero_run(g, &zs, &zl);
        for (int i = 0; i < 8; i++) {
            if (i == zs) {
                text[n++] = ':';
                text[n++] = ':';
                i += zl - 1;
                continue;
            }
            if (i > 0 && i != zs + zl)
                text[n++] = ':';
            n += gr_ip_put_hex(text + n, g[i]);
        }
    }
    text[n] = '\0';
    if (cap > 0) {
        size_t c = n < cap - 1 ? n : cap - 1;
        memcpy(buf, text, c);
        buf[c] = '\0';
    }
    return n;
}

const char *
gr_ip_strerror(int err)
{
    switch (err) {
    case GR_IP_OK:
        return "ok";
    case GR_IP_EEMPTY:
        return "empty address";
    case GR_IP_ESYNTAX:
        return "not an IP address";
    case GR_IP_ERANGE:
        return "address part out of range";
    case GR_IP_ETOOLONG:
        return "address too long";
    default:
        return "unknown address error";
    }
}

bool
gr_ip_is_v4(const gr_ip *ip)
{
    return memcmp(ip->b, gr_ip_v4_prefix, 12) == 0;
}

void
gr_ip_from_v4(uint32_t v4, gr_ip *out)
{
    memcpy(out->b, gr_ip_v4_prefix, 12);
    out->b[12] = (uint8_t)(v4 >> 24);
    out->b[13] = (uint8_t)(v4 >> 16);
    out->b[14] = (uint8_t)(v4 >> 8);
    out->b[15] = (uint8_t)v4;
}

uint32_t
gr_ip_v4(const gr_ip *ip)
{
    return (uint32_t)ip->b[12] << 24 | (uint32_t)ip->b[13] << 16 | (uint32_t)ip->b[14] << 8 |
           (uint32_t)ip->b[15];
}

bool
gr_ip_embedded_v4(const gr_ip *ip, gr_ip *out)
{
    static const uint8_t zero12[12] = {0};
    static const uint8_t nat64[12] = {0x00, 0x64, 0xff, 0x9b};
    const uint8_t *b = ip->b;
    uint32_t v4;
    if (gr_ip_is_v4(ip)) {
        *out = *ip;
        return true;
    }
    if (memcmp(b, zero12, 12) == 0 || memcmp(b, nat64, 12) == 0) {
        v4 = gr_ip_v4(ip);
        if (b[0] == 0 && v4 >> 24 == 0)
            return false; /* ::, ::1 and the rest of ::/104 are themselves */
    } else if (b[0] == 0x20 && b[1] == 0x02) {
        v4 = (uint32_t)b[2] << 24 | (uint32_t)b[3] << 16 | (uint32_t)b[4] << 8 | (uint32_t)b[5];
    } else if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0 && b[3] == 0) {
        v4 = ~gr_ip_v4(ip);
    } else {
        return false;
    }
    gr_ip_from_v4(v4, out);
    return true;
}

int
gr_ip_compare(const gr_ip *a, const gr_ip *b)
{
    int c = memcmp(a->b, b->b, 16);
    return (c > 0) - (c < 0);
}

bool
gr_ip_equal(const gr_ip *a, const gr_ip *b)
{
    return memcmp(a->b, b->b, 16) == 0;
}

static uint64_t
gr_ip_load64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

/* 64x64 -> 128 multiply, folded to 64 bits by xoring the halves. */
static uint64_t
gr_ip_fold(uint64_t a, uint64_t b)
{
    __uint128_t r = (__uint128_t)a * b;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
}

uint64_t
gr_ip_hash(const gr_ip *ip, uint64_t seed)
{
    /* Odd constants with balanced bits (digits of pi and e). */
    const uint64_t k0 = 0x243f6a8885a308d3ULL, k1 = 0x13198a2e03707345ULL;
    const uint64_t k2 = 0xb7e151628aed2a6bULL, k3 = 0xa4093822299f31d1ULL;
    uint64_t lo = gr_ip_load64(ip->b), hi = gr_ip_load64(ip->b + 8);
    uint64_t h = gr_ip_fold(lo ^ seed ^ k0, hi ^ k1);
    return gr_ip_fold(h ^ k2, seed ^ k3 ^ 16);
}
