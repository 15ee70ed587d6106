/*
 * zone.h - reserved address zones, resolved before any cache or database.
 *
 * Names follow Zoraxy's reserved-range classification. An address in a zone
 * never reaches the cache: a proxy answers it with the zone name.
 */
#ifndef GEORACE_ZONE_H
#define GEORACE_ZONE_H

#include "georace/ip.h"

typedef enum gr_zone {
    GR_ZONE_NONE = 0, /* a public address */
    GR_ZONE_UNSPECIFIED,
    GR_ZONE_LOOPBACK,
    GR_ZONE_PRIVATE,
    GR_ZONE_CARRIER_NAT,
    GR_ZONE_LINK_LOCAL,
    GR_ZONE_MULTICAST,
    GR_ZONE_DOCUMENTATION,
    GR_ZONE_UNIQUE_LOCAL,
    GR_ZONE_BROADCAST,
    GR_ZONE_RESERVED, /* other IANA special-purpose blocks */
    GR_ZONE_COUNT
} gr_zone;

gr_zone gr_zone_of(const gr_ip *ip);
const char *gr_zone_name(gr_zone z); /* "Private", "Loopback", ... ; "" for NONE */

#endif
