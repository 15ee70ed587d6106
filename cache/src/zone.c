/*
 * zone.c - reserved address zones, by a first-match walk over two small
 * prefix tables (one for IPv4, one for IPv6).
 *
 * Entries are ordered most specific first where blocks nest
 * (255.255.255.255 before 240.0.0.0/4, ::1 before ::/8), so the first match
 * is the answer. IPv4 addresses are matched in their 32-bit form, IPv6 in
 * 16 bytes; the IPv4-mapped block never reaches the IPv6 table. The tables
 * are constant data: lookups are pure and thread-safe.
 */
#include <string.h>

#include "georace/zone.h"

struct gr_zone_v4 {
    uint32_t net;
    unsigned prefix;
    gr_zone zone;
};

struct gr_zone_v6 {
    uint8_t net[16];
    unsigned prefix;
    gr_zone zone;
};

#define GR_ZONE_V4(a, b, c, d)                                                                     \
    ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

static const struct gr_zone_v4 gr_zone_v4_table[] = {
    {GR_ZONE_V4(0, 0, 0, 0), 8, GR_ZONE_UNSPECIFIED}, /* "this network" */
    {GR_ZONE_V4(10, 0, 0, 0), 8, GR_ZONE_PRIVATE},
    {GR_ZONE_V4(100, 64, 0, 0), 10, GR_ZONE_CARRIER_NAT},
    {GR_ZONE_V4(127, 0, 0, 0), 8, GR_ZONE_LOOPBACK},
    {GR_ZONE_V4(169, 254, 0, 0), 16, GR_ZONE_LINK_LOCAL},
    {GR_ZONE_V4(172, 16, 0, 0), 12, GR_ZONE_PRIVATE},
    {GR_ZONE_V4(192, 0, 0, 0), 24, GR_ZONE_RESERVED}, /* IETF protocol assignments */
    {GR_ZONE_V4(192, 0, 2, 0), 24, GR_ZONE_DOCUMENTATION},
    {GR_ZONE_V4(192, 88, 99, 0), 24, GR_ZONE_RESERVED}, /* deprecated 6to4 relay anycast */
    {GR_ZONE_V4(192, 168, 0, 0), 16, GR_ZONE_PRIVATE},
    {GR_ZONE_V4(198, 18, 0, 0), 15, GR_ZONE_RESERVED}, /* benchmarking */
    {GR_ZONE_V4(198, 51, 100, 0), 24, GR_ZONE_DOCUMENTATION},
    {GR_ZONE_V4(203, 0, 113, 0), 24, GR_ZONE_DOCUMENTATION},
    {GR_ZONE_V4(224, 0, 0, 0), 4, GR_ZONE_MULTICAST},
    {GR_ZONE_V4(255, 255, 255, 255), 32, GR_ZONE_BROADCAST},
    {GR_ZONE_V4(240, 0, 0, 0), 4, GR_ZONE_RESERVED}, /* future use */
};

static const struct gr_zone_v6 gr_zone_v6_table[] = {
    {{0}, 128, GR_ZONE_UNSPECIFIED},
    {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 128, GR_ZONE_LOOPBACK},
    /* the rest of ::/8: IPv4-compatible, NAT64 64:ff9b::/96, ... */
    {{0}, 8, GR_ZONE_RESERVED},
    {{0x01, 0x00}, 64, GR_ZONE_RESERVED},                  /* 100::/64 discard-only */
    {{0x20, 0x01, 0x0d, 0xb8}, 32, GR_ZONE_DOCUMENTATION}, /* 2001:db8::/32 */
    {{0x20, 0x01, 0x00, 0x00}, 23, GR_ZONE_RESERVED},      /* 2001::/23 IETF protocol assignments */
    {{0x3f, 0xff}, 20, GR_ZONE_DOCUMENTATION},             /* 3fff::/20 */
    {{0xfc}, 7, GR_ZONE_UNIQUE_LOCAL},
    {{0xfe, 0x80}, 10, GR_ZONE_LINK_LOCAL},
    {{0xfe, 0xc0}, 10, GR_ZONE_RESERVED}, /* deprecated site-local */
    {{0xff}, 8, GR_ZONE_MULTICAST},
};

static bool
gr_zone_v6_match(const uint8_t *net, unsigned prefix, const uint8_t *addr)
{
    unsigned full = prefix / 8, rest = prefix % 8;
    if (memcmp(net, addr, full) != 0)
        return false;
    if (rest == 0)
        return true;
    uint8_t mask = (uint8_t)(0xff << (8 - rest));
    return (net[full] & mask) == (addr[full] & mask);
}

gr_zone
gr_zone_of(const gr_ip *ip)
{
    if (gr_ip_is_v4(ip)) {
        uint32_t v = gr_ip_v4(ip);
        for (size_t i = 0; i < sizeof gr_zone_v4_table / sizeof gr_zone_v4_table[0]; i++) {
            const struct gr_zone_v4 *e = &gr_zone_v4_table[i];
            uint32_t mask = e->prefix ? ~(uint32_t)0 << (32 - e->prefix) : 0;
            if ((v & mask) == e->net)
                return e->zone;
        }
        return GR_ZONE_NONE;
    }
    for (size_t i = 0; i < sizeof gr_zone_v6_table / sizeof gr_zone_v6_table[0]; i++) {
        const struct gr_zone_v6 *e = &gr_zone_v6_table[i];
        if (gr_zone_v6_match(e->net, e->prefix, ip->b))
            return e->zone;
    }
    return GR_ZONE_NONE;
}

const char *
gr_zone_name(gr_zone z)
{
    static const char *const names[GR_ZONE_COUNT] = {
        [GR_ZONE_NONE] = "",
        [GR_ZONE_UNSPECIFIED] = "Unspecified",
        [GR_ZONE_LOOPBACK] = "Loopback",
        [GR_ZONE_PRIVATE] = "Private",
        [GR_ZONE_CARRIER_NAT] = "CarrierNAT",
        [GR_ZONE_LINK_LOCAL] = "LinkLocal",
        [GR_ZONE_MULTICAST] = "Multicast",
        [GR_ZONE_DOCUMENTATION] = "Documentation",
        [GR_ZONE_UNIQUE_LOCAL] = "UniqueLocal",
        [GR_ZONE_BROADCAST] = "Broadcast",
        [GR_ZONE_RESERVED] = "Reserved",
    };
    if ((unsigned)z >= GR_ZONE_COUNT)
        return "";
    return names[z];
}
