/*
 * test_zone.c - reserved zones: names, boundaries of each block, and that
 * public addresses just outside the blocks are public.
 */
#include <string.h>

#include "georace/zone.h"
#include "gr_test.h"

static gr_zone
zone_of(const char *s)
{
    gr_ip ip;
    CU_ASSERT_EQUAL_FATAL(gr_ip_parse(s, strlen(s), &ip), GR_IP_OK);
    return gr_zone_of(&ip);
}

static const char *
name_of(const char *s)
{
    return gr_zone_name(zone_of(s));
}

static void
test_rfc1918_blocks_are_private(void)
{
    CU_ASSERT_STRING_EQUAL(name_of("10.0.0.1"), "Private");
    CU_ASSERT_STRING_EQUAL(name_of("10.255.255.255"), "Private");
    CU_ASSERT_STRING_EQUAL(name_of("172.16.0.0"), "Private");
    CU_ASSERT_STRING_EQUAL(name_of("172.31.255.255"), "Private");
    CU_ASSERT_STRING_EQUAL(name_of("192.168.1.1"), "Private");
    CU_ASSERT_STRING_EQUAL(name_of("::ffff:192.168.1.1"), "Private");
    /* just outside */
    CU_ASSERT_EQUAL(zone_of("9.255.255.255"), GR_ZONE_NONE);
    CU_ASSERT_EQUAL(zone_of("11.0.0.0"), GR_ZONE_NONE);
    CU_ASSERT_EQUAL(zone_of("172.15.255.255"), GR_ZONE_NONE);
    CU_ASSERT_EQUAL(zone_of("172.32.0.0"), GR_ZONE_NONE);
    CU_ASSERT_EQUAL(zone_of("192.167.255.255"), GR_ZONE_NONE);
    CU_ASSERT_EQUAL(zone_of("192.169.0.0"), GR_ZONE_NONE);
}

static void
test_loopback_link_local_and_multicast_in_both_families(void)
{
    CU_ASSERT_STRING_EQUAL(name_of("127.0.0.1"), "Loopback");
    CU_ASSERT_STRING_EQUAL(name_of("127.255.255.254"), "Loopback");
    CU_ASSERT_STRING_EQUAL(name_of("::1"), "Loopback");
    CU_ASSERT_STRING_EQUAL(name_of("169.254.1.1"), "LinkLocal");
    CU_ASSERT_STRING_EQUAL(name_of("fe80::1%eth0"), "LinkLocal");
    CU_ASSERT_STRING_EQUAL(name_of("febf:ffff::1"), "LinkLocal");
    CU_ASSERT_STRING_EQUAL(name_of("224.0.0.1"), "Multicast");
    CU_ASSERT_STRING_EQUAL(name_of("239.255.255.255"), "Multicast");
    CU_ASSERT_STRING_EQUAL(name_of("ff02::1"), "Multicast");
    CU_ASSERT_EQUAL(zone_of("128.0.0.1"), GR_ZONE_NONE);
    CU_ASSERT_EQUAL(zone_of("169.253.255.255"), GR_ZONE_NONE);
    CU_ASSERT_EQUAL(zone_of("223.255.255.255"), GR_ZONE_NONE);
    CU_ASSERT_EQUAL(zone_of("::2"), GR_ZONE_RESERVED); /* deprecated IPv4-compatible */
}

static void
test_carrier_nat_documentation_and_unique_local(void)
{
    CU_ASSERT_STRING_EQUAL(name_of("100.64.0.0"), "CarrierNAT");
    CU_ASSERT_STRING_EQUAL(name_of("100.127.255.255"), "CarrierNAT");
    CU_ASSERT_EQUAL(zone_of("100.63.255.255"), GR_ZONE_NONE);
    CU_ASSERT_EQUAL(zone_of("100.128.0.0"), GR_ZONE_NONE);
    CU_ASSERT_STRING_EQUAL(name_of("192.0.2.7"), "Documentation");
    CU_ASSERT_STRING_EQUAL(name_of("198.51.100.7"), "Documentation");
    CU_ASSERT_STRING_EQUAL(name_of("203.0.113.7"), "Documentation");
    CU_ASSERT_STRING_EQUAL(name_of("2001:db8::1"), "Documentation");
    CU_ASSERT_STRING_EQUAL(name_of("2001:db8:ffff:ffff::"), "Documentation");
    CU_ASSERT_EQUAL(zone_of("2001:db9::1"), GR_ZONE_NONE);
    CU_ASSERT_EQUAL(zone_of("203.0.114.1"), GR_ZONE_NONE);
    CU_ASSERT_STRING_EQUAL(name_of("fc00::1"), "UniqueLocal");
    CU_ASSERT_STRING_EQUAL(name_of("fd12:3456::1"), "UniqueLocal");
    CU_ASSERT_EQUAL(zone_of("fbff::1"), GR_ZONE_NONE);
}

static void
test_broadcast_unspecified_and_other_reserved_blocks(void)
{
    CU_ASSERT_STRING_EQUAL(name_of("255.255.255.255"), "Broadcast");
    CU_ASSERT_STRING_EQUAL(name_of("255.255.255.254"), "Reserved");
    CU_ASSERT_STRING_EQUAL(name_of("240.0.0.1"), "Reserved");
    CU_ASSERT_STRING_EQUAL(name_of("0.0.0.0"), "Unspecified");
    CU_ASSERT_STRING_EQUAL(name_of("0.1.2.3"), "Unspecified");
    CU_ASSERT_STRING_EQUAL(name_of("::"), "Unspecified");
    CU_ASSERT_STRING_EQUAL(name_of("192.0.0.8"), "Reserved");
    CU_ASSERT_STRING_EQUAL(name_of("198.18.0.1"), "Reserved");
    CU_ASSERT_STRING_EQUAL(name_of("198.19.255.255"), "Reserved");
    CU_ASSERT_STRING_EQUAL(name_of("64:ff9b::808:808"), "Reserved");
    CU_ASSERT_EQUAL(zone_of("198.20.0.0"), GR_ZONE_NONE);
}

static void
test_public_addresses_have_no_zone(void)
{
    static const char *pub[] = {"8.8.8.8",         "1.1.1.1",     "2001:4860:4860::8888",
                                "2606:4700::1111", "81.2.69.160", "2a00:1450::1"};
    for (size_t i = 0; i < sizeof pub / sizeof pub[0]; i++) {
        CU_ASSERT_EQUAL(zone_of(pub[i]), GR_ZONE_NONE);
    }
    CU_ASSERT_STRING_EQUAL(gr_zone_name(GR_ZONE_NONE), "");
    CU_ASSERT_STRING_EQUAL(gr_zone_name((gr_zone)99), "");
    for (int z = 1; z < GR_ZONE_COUNT; z++)
        CU_ASSERT_TRUE(strlen(gr_zone_name((gr_zone)z)) > 0);
}

static CU_TestInfo tests[] = {GR_TEST(test_rfc1918_blocks_are_private),
                              GR_TEST(test_loopback_link_local_and_multicast_in_both_families),
                              GR_TEST(test_carrier_nat_documentation_and_unique_local),
                              GR_TEST(test_broadcast_unspecified_and_other_reserved_blocks),
                              GR_TEST(test_public_addresses_have_no_zone),
                              GR_TEST_END};

GR_TEST_MAIN("zone", tests, NULL, NULL)
