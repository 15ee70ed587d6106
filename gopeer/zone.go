// zone.go - reserved address zones, checked before any cache or database,
// as Zoraxy does before its slow search.
//
// The table is georace's (cache/src/zone.c), entry for entry and in the
// same order: the first match is the answer, so nested blocks list the most
// specific first (255.255.255.255 before 240.0.0.0/4, ::1 before ::/8).
// IPv4 addresses (IPv4-mapped in 16 bytes) are matched against the IPv4
// table only, everything else against the IPv6 table. The codes are the
// wire format's zone codes (traffic_wire.h).

package main

import "net"

// Zone codes, as on the wire (gr_zone).
const (
	zoneNone = iota
	zoneUnspecified
	zoneLoopback
	zonePrivate
	zoneCarrierNAT
	zoneLinkLocal
	zoneMulticast
	zoneDocumentation
	zoneUniqueLocal
	zoneBroadcast
	zoneReserved
	zoneCount
)

var zoneNames = [zoneCount]string{
	zoneNone:          "",
	zoneUnspecified:   "Unspecified",
	zoneLoopback:      "Loopback",
	zonePrivate:       "Private",
	zoneCarrierNAT:    "CarrierNAT",
	zoneLinkLocal:     "LinkLocal",
	zoneMulticast:     "Multicast",
	zoneDocumentation: "Documentation",
	zoneUniqueLocal:   "UniqueLocal",
	zoneBroadcast:     "Broadcast",
	zoneReserved:      "Reserved",
}

type zoneBlock struct {
	net    net.IP // 4 bytes in the IPv4 table, 16 in the IPv6 table
	prefix int
	zone   int
	mask   net.IPMask
}

func block(ip net.IP, prefix, zone int) zoneBlock {
	return zoneBlock{ip, prefix, zone, net.CIDRMask(prefix, 8*len(ip))}
}

func v4(a, b, c, d byte) net.IP { return net.IP{a, b, c, d} }

func v6(prefix ...byte) net.IP {
	ip := make(net.IP, 16)
	copy(ip, prefix)
	return ip
}

var zoneV4 = []zoneBlock{
	block(v4(0, 0, 0, 0), 8, zoneUnspecified), // "this network"
	block(v4(10, 0, 0, 0), 8, zonePrivate),
	block(v4(100, 64, 0, 0), 10, zoneCarrierNAT),
	block(v4(127, 0, 0, 0), 8, zoneLoopback),
	block(v4(169, 254, 0, 0), 16, zoneLinkLocal),
	block(v4(172, 16, 0, 0), 12, zonePrivate),
	block(v4(192, 0, 0, 0), 24, zoneReserved), // IETF protocol assignments
	block(v4(192, 0, 2, 0), 24, zoneDocumentation),
	block(v4(192, 88, 99, 0), 24, zoneReserved), // deprecated 6to4 relay anycast
	block(v4(192, 168, 0, 0), 16, zonePrivate),
	block(v4(198, 18, 0, 0), 15, zoneReserved), // benchmarking
	block(v4(198, 51, 100, 0), 24, zoneDocumentation),
	block(v4(203, 0, 113, 0), 24, zoneDocumentation),
	block(v4(224, 0, 0, 0), 4, zoneMulticast),
	block(v4(255, 255, 255, 255), 32, zoneBroadcast),
	block(v4(240, 0, 0, 0), 4, zoneReserved), // future use
}

var zoneV6 = []zoneBlock{
	block(v6(), 128, zoneUnspecified),
	block(v6(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1), 128, zoneLoopback),
	block(v6(), 8, zoneReserved),                             // the rest of ::/8
	block(v6(0x01, 0x00), 64, zoneReserved),                  // 100::/64 discard-only
	block(v6(0x20, 0x01, 0x0d, 0xb8), 32, zoneDocumentation), // 2001:db8::/32
	block(v6(0x20, 0x01, 0x00, 0x00), 23, zoneReserved),      // 2001::/23
	block(v6(0x3f, 0xff), 20, zoneDocumentation),             // 3fff::/20
	block(v6(0xfc), 7, zoneUniqueLocal),
	block(v6(0xfe, 0x80), 10, zoneLinkLocal),
	block(v6(0xfe, 0xc0), 10, zoneReserved), // deprecated site-local
	block(v6(0xff), 8, zoneMulticast),
}

// zoneOf returns the zone code of a parsed address, zoneNone if public.
func zoneOf(ip net.IP) int {
	table, addr := zoneV6, ip.To16()
	if ip4 := ip.To4(); ip4 != nil {
		table, addr = zoneV4, ip4
	}
	for _, b := range table {
		if addr.Mask(b.mask).Equal(b.net) {
			return b.zone
		}
	}
	return zoneNone
}
