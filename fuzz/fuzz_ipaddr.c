/*
 * fuzz_ipaddr.c - address parsing and formatting against themselves and
 * against the C library.
 *
 * The whole input is one candidate address text. Oracles:
 *   - round trip: an accepted address formats to text that parses back to
 *     the same 16 bytes, and formatting is canonical (format o parse o
 *     format is the identity on its output);
 *   - differential: without a zone id ('%') and without NUL bytes, accept /
 *     reject and the parsed bytes equal glibc's inet_pton (AF_INET6 when the
 *     text has a ':', else AF_INET mapped to ::ffff:a.b.c.d). Leading zeros
 *     in IPv4 parts are rejected by both. With a zone id the address before
 *     '%' must parse to the same bytes (the zone is dropped);
 *   - formatting against inet_ntop: dotted quads for IPv4-mapped addresses;
 *     for other addresses the same RFC 5952 text, except where glibc prints
 *     the deprecated IPv4-compatible form ("::1.2.3.4") - then both texts
 *     must denote the same address;
 *   - gr_ip_parse_host accepts everything gr_ip_parse accepts, with the same
 *     result; truncated formatting always terminates and reports the full
 *     length; equal addresses hash equally.
 * The first 16 bytes are also formatted as a raw address, so every address
 * the library could hold is exercised, not only those that parse.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_input.h"
#include "georace/ip.h"

static void
fz_ip_check_format(const gr_ip *ip)
{
    char text[GR_IP_STRLEN], again[GR_IP_STRLEN];
    size_t n = gr_ip_format(ip, text, sizeof text);
    FZ_CHECK(n < GR_IP_STRLEN && strlen(text) == n, "format length %zu", n);

    gr_ip back;
    int rc = gr_ip_parse(text, n, &back);
    FZ_CHECK(rc == GR_IP_OK, "formatted text '%s' does not parse (%d)", text, rc);
    FZ_CHECK(gr_ip_equal(&back, ip), "'%s' parses to another address", text);
    FZ_CHECK(gr_ip_format(&back, again, sizeof again) == n && !strcmp(text, again),
             "format not canonical: '%s' then '%s'", text, again);
    FZ_CHECK(gr_ip_hash(&back, 42) == gr_ip_hash(ip, 42), "equal addresses hash differently");
    FZ_CHECK(gr_ip_compare(&back, ip) == 0, "compare of equal addresses");

    char ref[INET6_ADDRSTRLEN];
    if (gr_ip_is_v4(ip)) {
        FZ_CHECK(inet_ntop(AF_INET, ip->b + 12, ref, sizeof ref) != NULL, "inet_ntop v4");
        FZ_CHECK(!strcmp(ref, text), "v4 text '%s', inet_ntop '%s'", text, ref);
    } else {
        FZ_CHECK(inet_ntop(AF_INET6, ip->b, ref, sizeof ref) != NULL, "inet_ntop v6");
        static const uint8_t zero12[12];
        if (memcmp(ip->b, zero12, 12) != 0) {
            FZ_CHECK(!strcmp(ref, text), "v6 text '%s', inet_ntop '%s'", text, ref);
        } else {
            gr_ip other;
            FZ_CHECK(gr_ip_parse(ref, strlen(ref), &other) == GR_IP_OK && gr_ip_equal(&other, ip),
                     "inet_ntop's '%s' and our '%s' differ", ref, text);
        }
    }

    /* Truncated output: always terminated, a prefix of the full text. */
    for (size_t cap = 0; cap <= n + 1; cap += 1 + cap / 2) {
        char small[GR_IP_STRLEN + 1];
        memset(small, 'X', sizeof small);
        size_t m = gr_ip_format(ip, small, cap);
        FZ_CHECK(m == n, "truncated format returned %zu, want %zu", m, n);
        if (cap > 0) {
            size_t keep = n < cap - 1 ? n : cap - 1;
            FZ_CHECK(small[keep] == '\0' && !memcmp(small, text, keep), "bad truncation cap %zu",
                     cap);
        } else {
            FZ_CHECK(small[0] == 'X', "cap 0 wrote into the buffer");
        }
    }
}

/* glibc's verdict on the text: 1 and *out set if inet_pton accepts it. */
static int
fz_ip_pton(const char *s, gr_ip *out)
{
    if (strchr(s, ':'))
        return inet_pton(AF_INET6, s, out->b) == 1;
    uint8_t v4[4];
    if (inet_pton(AF_INET, s, v4) != 1)
        return 0;
    memset(out->b, 0, 10);
    out->b[10] = out->b[11] = 0xff;
    memcpy(out->b + 12, v4, 4);
    return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 256)
        return 0; /* nothing longer than an address plus a zone can parse */
    char *s = fz_strndup(data, size);
    gr_ip ip;
    int rc = gr_ip_parse(s, size, &ip);
    FZ_CHECK(rc <= 0 && rc >= GR_IP_ETOOLONG, "error code %d out of range", rc);
    FZ_CHECK(gr_ip_strerror(rc) != NULL && *gr_ip_strerror(rc), "no message for %d", rc);
    if (size == 0)
        FZ_CHECK(rc == GR_IP_EEMPTY, "empty input gave %d", rc);

    int has_nul = memchr(data, '\0', size) != NULL;
    const char *pct = memchr(s, '%', size);
    if (!has_nul && !pct) {
        gr_ip ref;
        int ok = fz_ip_pton(s, &ref);
        FZ_CHECK(ok == (rc == GR_IP_OK), "'%s': inet_pton %s, gr_ip_parse %d", s,
                 ok ? "accepts" : "rejects", rc);
        if (ok)
            FZ_CHECK(gr_ip_equal(&ref, &ip), "'%s': bytes differ from inet_pton", s);
    } else if (pct && rc == GR_IP_OK) {
        gr_ip head;
        size_t hlen = (size_t)(pct - s);
        FZ_CHECK(gr_ip_parse(s, hlen, &head) == GR_IP_OK && gr_ip_equal(&head, &ip),
                 "zone id changed the address of '%s'", s);
        FZ_CHECK(!gr_ip_is_v4(&ip) || memchr(s, ':', hlen), "zone on a dotted quad '%s'", s);
    }

    gr_ip host;
    int hrc = gr_ip_parse_host(s, size, &host);
    if (rc == GR_IP_OK) {
        FZ_CHECK(hrc == GR_IP_OK && gr_ip_equal(&host, &ip), "parse_host disagrees on '%s'", s);
        fz_ip_check_format(&ip);
    } else if (hrc == GR_IP_OK) {
        fz_ip_check_format(&host);
    }

    if (size >= 16) {
        gr_ip raw;
        memcpy(raw.b, data, 16);
        fz_ip_check_format(&raw);
    }
    free(s);
    return 0;
}
