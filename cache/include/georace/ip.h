/*
 * ip.h - IPv4 and IPv6 addresses in one canonical 16-byte form.
 *
 * Every address is stored as 16 bytes in network order. IPv4 addresses are
 * IPv4-mapped (::ffff:a.b.c.d), so "1.2.3.4" and "::ffff:1.2.3.4" are the same
 * key, and two spellings of one IPv6 address ("2001:db8::1" and
 * "2001:0db8:0:0::1") compare equal byte for byte.
 *
 * Parsing rules (gr_ip_parse, a bare address):
 *   - IPv4 dotted quad, exactly four decimal parts 0..255. A part with a
 *     leading zero ("010") is rejected, as Go's net.ParseIP does since 1.17:
 *     it is ambiguous (octal in inet_aton).
 *   - IPv6 per RFC 4291 text forms: hex groups of 1..4 digits, one "::",
 *     an embedded dotted quad in the last 32 bits ("::ffff:1.2.3.4").
 *   - A zone id ("fe80::1%eth0") is accepted and dropped: the zone does not
 *     change the country of an address.
 *   - Anything else (empty, spaces, brackets, ports) is GR_IP_ESYNTAX.
 * gr_ip_parse_host additionally accepts the host part of a host:port pair as
 * sent in HTTP headers: "1.2.3.4:80", "[2001:db8::1]:443", "[::1]".
 *
 * Formatting (gr_ip_format): IPv4-mapped addresses print as dotted quads,
 * everything else per RFC 5952 (lower case, longest zero run compressed).
 */
#ifndef GEORACE_IP_H
#define GEORACE_IP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct gr_ip {
    uint8_t b[16];
} gr_ip;

/* Longest text form including the terminating NUL ("ffff:...:255.255.255.255"). */
#define GR_IP_STRLEN 46

enum gr_ip_error {
    GR_IP_OK = 0,
    GR_IP_EEMPTY = -1,  /* empty input */
    GR_IP_ESYNTAX = -2, /* not an address */
    GR_IP_ERANGE = -3,  /* a part out of range (IPv4 part > 255, group > 0xffff) */
    GR_IP_ETOOLONG = -4 /* longer than any address could be */
};

int gr_ip_parse(const char *s, size_t len, gr_ip *out);
int gr_ip_parse_host(const char *s, size_t len, gr_ip *out);
/* Like snprintf: writes at most cap-1 characters and a NUL, returns the full length. */
size_t gr_ip_format(const gr_ip *ip, char *buf, size_t cap);
const char *gr_ip_strerror(int err);

bool gr_ip_is_v4(const gr_ip *ip);
void gr_ip_from_v4(uint32_t v4_host_order, gr_ip *out);
uint32_t gr_ip_v4(const gr_ip *ip); /* host order; only meaningful if gr_ip_is_v4 */
/* The IPv4 address an IPv6 address embeds, as ::ffff:a.b.c.d in *out:
 * IPv4-compatible ::a.b.c.d (not ::/104: ::, ::1, ::2...), NAT64 64:ff9b::/96, 6to4
 * 2002::/16 (bits 16-48), Teredo 2001::/32 (the client, last 32 bits
 * inverted). An IPv4(-mapped) address is copied. False otherwise. The
 * resolver judges and caches every spelling by this one key. */
bool gr_ip_embedded_v4(const gr_ip *ip, gr_ip *out);
int gr_ip_compare(const gr_ip *a, const gr_ip *b);
bool gr_ip_equal(const gr_ip *a, const gr_ip *b);
uint64_t gr_ip_hash(const gr_ip *ip, uint64_t seed);

#endif
