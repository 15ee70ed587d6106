/*
 * test_requester.c - CIDR parsing/containment and the requester-address
 * rules: the realip walk (right to left, trusted hops skipped, every line,
 * empty or malformed entries refused), Zoraxy's header order, port/bracket
 * stripping, and that headers from untrusted peers are ignored.
 */
#include <strings.h>
#include <string.h>

#include "georace/requester.h"
#include "gr_test.h"

/* a request: a few header name/value pairs */
struct req {
    const char *names[6];
    const char *values[6];
};

static const char *
req_header(void *ctx, const char *name, size_t nth, size_t *len)
{
    struct req *r = ctx;
    for (int i = 0; i < 6 && r->names[i]; i++)
        if (!strcasecmp(r->names[i], name) && nth-- == 0) {
            *len = strlen(r->values[i]);
            return r->values[i];
        }
    return NULL;
}

static gr_ip
ip_of(const char *s)
{
    gr_ip ip;
    CU_ASSERT_EQUAL_FATAL(gr_ip_parse(s, strlen(s), &ip), GR_IP_OK);
    return ip;
}

static int
decide(const gr_req_policy *pol, const char *peer, struct req *r, char *out, gr_req_source *src)
{
    gr_ip p = ip_of(peer), res;
    int rc = gr_requester_ip(pol, &p, req_header, r, &res, src);
    if (rc == GR_IP_OK)
        gr_ip_format(&res, out, GR_IP_STRLEN);
    else
        strcpy(out, "(error)");
    return rc;
}

static void
test_cidr_parse_masks_and_contains(void)
{
    gr_cidr c;
    CU_ASSERT_EQUAL(gr_cidr_parse("10.1.2.3/8", 10, &c), GR_IP_OK);
    CU_ASSERT_EQUAL(c.prefix, 104u);
    gr_ip ten = ip_of("10.0.0.0"), in = ip_of("10.200.1.1"), out = ip_of("11.0.0.0");
    CU_ASSERT_TRUE(gr_ip_equal(&c.net, &ten));
    CU_ASSERT_TRUE(gr_cidr_contains(&c, &in));
    CU_ASSERT_FALSE(gr_cidr_contains(&c, &out));
    CU_ASSERT_EQUAL(gr_cidr_parse("2001:db8::/32", 13, &c), GR_IP_OK);
    CU_ASSERT_EQUAL(c.prefix, 32u);
    gr_ip v6in = ip_of("2001:db8:1::5"), v6out = ip_of("2001:db9::");
    CU_ASSERT_TRUE(gr_cidr_contains(&c, &v6in));
    CU_ASSERT_FALSE(gr_cidr_contains(&c, &v6out));
    CU_ASSERT_FALSE(gr_cidr_contains(&c, &in));
    CU_ASSERT_EQUAL(gr_cidr_parse("1.2.3.4", 7, &c), GR_IP_OK);
    CU_ASSERT_EQUAL(c.prefix, 128u);
    CU_ASSERT_EQUAL(gr_cidr_parse("0.0.0.0/0", 9, &c), GR_IP_OK);
    CU_ASSERT_TRUE(gr_cidr_contains(&c, &in));
    CU_ASSERT_FALSE(gr_cidr_contains(&c, &v6in)); /* IPv4 /0 is ::ffff:0:0/96 */
    CU_ASSERT_EQUAL(gr_cidr_parse("::/0", 4, &c), GR_IP_OK);
    CU_ASSERT_TRUE(gr_cidr_contains(&c, &v6in));
    CU_ASSERT_TRUE(gr_cidr_contains(&c, &in));

    CU_ASSERT_EQUAL(gr_cidr_parse("10.0.0.0/33", 11, &c), GR_IP_ERANGE);
    CU_ASSERT_EQUAL(gr_cidr_parse("::/129", 6, &c), GR_IP_ERANGE);
    CU_ASSERT_TRUE(gr_cidr_parse("10.0.0.0/", 9, &c) < 0);
    CU_ASSERT_TRUE(gr_cidr_parse("10.0.0.0/08", 11, &c) < 0);
    CU_ASSERT_TRUE(gr_cidr_parse("10.0.0.0/-1", 11, &c) < 0);
    CU_ASSERT_TRUE(gr_cidr_parse("/8", 2, &c) < 0);
    CU_ASSERT_TRUE(gr_cidr_parse("", 0, &c) < 0);
}

static void
test_cidr_list_parse_counts_trims_and_rejects(void)
{
    gr_cidr l[4];
    CU_ASSERT_EQUAL(gr_cidr_list_parse("10.0.0.0/8, ::1/128 ,192.168.0.0/16", l, 4), 3);
    CU_ASSERT_EQUAL(l[1].prefix, 128u);
    CU_ASSERT_EQUAL(gr_cidr_list_parse("", l, 4), 0);
    CU_ASSERT_EQUAL(gr_cidr_list_parse(NULL, l, 4), 0);
    CU_ASSERT_EQUAL(gr_cidr_list_parse("1.0.0.0/8,2.0.0.0/8,3.0.0.0/8", l, 2), GR_IP_ETOOLONG);
    CU_ASSERT_TRUE(gr_cidr_list_parse("10.0.0.0/8,,::1", l, 4) < 0);
    CU_ASSERT_TRUE(gr_cidr_list_parse("10.0.0.0/8,bogus", l, 4) < 0);
    CU_ASSERT_TRUE(gr_cidr_list_parse("10.0.0.0/8,", l, 4) < 0);
}

static void
test_zoraxy_header_order_with_trust_all(void)
{
    gr_req_policy all = {GR_REQ_TRUST_ALL, NULL, 0, GR_REQ_MODE_ZORAXY, NULL};
    char out[GR_IP_STRLEN];
    gr_req_source src;
    struct req r1 = {{"X-Forwarded-For", "Fastly-Client-IP", "CF-Connecting-IP", "X-Real-Ip"},
                     {"4.4.4.4", "3.3.3.3", "2.2.2.2", "1.1.1.1"}};
    CU_ASSERT_EQUAL(decide(&all, "9.9.9.9", &r1, out, &src), GR_IP_OK);
    CU_ASSERT_STRING_EQUAL(out, "1.1.1.1");
    CU_ASSERT_EQUAL(src, GR_REQ_FROM_X_REAL_IP);
    struct req r2 = {{"X-Forwarded-For", "Fastly-Client-IP", "cf-connecting-ip"},
                     {"4.4.4.4", "3.3.3.3", "2.2.2.2"}};
    decide(&all, "9.9.9.9", &r2, out, &src);
    CU_ASSERT_STRING_EQUAL(out, "2.2.2.2");
    CU_ASSERT_EQUAL(src, GR_REQ_FROM_CF_CONNECTING_IP);
    struct req r3 = {{"X-Forwarded-For", "Fastly-Client-IP"}, {"4.4.4.4", "3.3.3.3"}};
    decide(&all, "9.9.9.9", &r3, out, &src);
    CU_ASSERT_STRING_EQUAL(out, "3.3.3.3");
    CU_ASSERT_EQUAL(src, GR_REQ_FROM_FASTLY_CLIENT_IP);
    struct req r4 = {{"X-Forwarded-For"}, {" 4.4.4.4 , 5.5.5.5, 6.6.6.6"}};
    decide(&all, "9.9.9.9", &r4, out, &src);
    CU_ASSERT_STRING_EQUAL(out, "4.4.4.4");
    CU_ASSERT_EQUAL(src, GR_REQ_FROM_X_FORWARDED_FOR);
    struct req r5 = {{"X-Other"}, {"4.4.4.4"}};
    decide(&all, "9.9.9.9", &r5, out, &src);
    CU_ASSERT_STRING_EQUAL(out, "9.9.9.9");
    CU_ASSERT_EQUAL(src, GR_REQ_FROM_PEER);
    CU_ASSERT_STRING_EQUAL(gr_req_source_name(GR_REQ_FROM_X_FORWARDED_FOR), "X-Forwarded-For");
    CU_ASSERT_STRING_EQUAL(gr_req_source_name(GR_REQ_FROM_PEER), "peer");
}

static void
test_blank_headers_fall_through(void)
{
    gr_req_policy all = {GR_REQ_TRUST_ALL, NULL, 0, GR_REQ_MODE_ZORAXY, NULL};
    char out[GR_IP_STRLEN];
    gr_req_source src;
    struct req r = {{"X-Real-Ip", "CF-Connecting-IP", "X-Forwarded-For"}, {"", "  ", " , 7.7.7.7"}};
    CU_ASSERT_EQUAL(decide(&all, "9.9.9.9", &r, out, &src), GR_IP_OK);
    CU_ASSERT_STRING_EQUAL(out, "9.9.9.9");
    CU_ASSERT_EQUAL(src, GR_REQ_FROM_PEER);
}

static void
test_ports_and_brackets_are_stripped(void)
{
    gr_req_policy all = {GR_REQ_TRUST_ALL, NULL, 0, GR_REQ_MODE_ZORAXY, NULL};
    char out[GR_IP_STRLEN];
    gr_req_source src;
    struct req r1 = {{"X-Real-Ip"}, {"1.2.3.4:5678"}};
    decide(&all, "9.9.9.9", &r1, out, &src);
    CU_ASSERT_STRING_EQUAL(out, "1.2.3.4");
    struct req r2 = {{"X-Forwarded-For"}, {"[2001:db8::7]:443, 10.0.0.1"}};
    decide(&all, "9.9.9.9", &r2, out, &src);
    CU_ASSERT_STRING_EQUAL(out, "2001:db8::7");
    struct req r3 = {{"CF-Connecting-IP"}, {"2a00:1450::1"}};
    decide(&all, "9.9.9.9", &r3, out, &src);
    CU_ASSERT_STRING_EQUAL(out, "2a00:1450::1");
}

static void
test_garbage_in_the_chosen_header_is_an_error(void)
{
    gr_req_policy all = {GR_REQ_TRUST_ALL, NULL, 0, GR_REQ_MODE_ZORAXY, NULL};
    char out[GR_IP_STRLEN];
    gr_req_source src;
    struct req r1 = {{"X-Real-Ip", "X-Forwarded-For"}, {"evil.example", "1.2.3.4"}};
    CU_ASSERT_TRUE(decide(&all, "9.9.9.9", &r1, out, &src) < 0);
    CU_ASSERT_EQUAL(src, GR_REQ_FROM_X_REAL_IP);
    struct req r2 = {{"X-Forwarded-For"}, {"999.1.1.1, 1.2.3.4"}};
    CU_ASSERT_EQUAL(decide(&all, "9.9.9.9", &r2, out, &src), GR_IP_ERANGE);
    CU_ASSERT_EQUAL(src, GR_REQ_FROM_X_FORWARDED_FOR);
}

static void
test_untrusted_peers_cannot_spoof_their_address(void)
{
    gr_cidr trusted[2];
    CU_ASSERT_EQUAL_FATAL(gr_cidr_list_parse("127.0.0.0/8,10.0.0.0/8", trusted, 2), 2);
    gr_req_policy pol = {GR_REQ_TRUST_LIST, trusted, 2, GR_REQ_MODE_ZORAXY, NULL};
    char out[GR_IP_STRLEN];
    gr_req_source src;
    struct req spoof = {{"X-Real-Ip", "X-Forwarded-For"}, {"1.0.0.1", "1.0.0.2"}};
    /* a direct client on the internet: headers ignored */
    CU_ASSERT_EQUAL(decide(&pol, "203.0.114.9", &spoof, out, &src), GR_IP_OK);
    CU_ASSERT_STRING_EQUAL(out, "203.0.114.9");
    CU_ASSERT_EQUAL(src, GR_REQ_FROM_PEER);
    /* even garbage headers are ignored from untrusted peers */
    struct req garbage = {{"X-Real-Ip"}, {"not-an-ip"}};
    CU_ASSERT_EQUAL(decide(&pol, "203.0.114.9", &garbage, out, &src), GR_IP_OK);
    CU_ASSERT_STRING_EQUAL(out, "203.0.114.9");
    /* the trusted load balancer: headers honoured */
    CU_ASSERT_EQUAL(decide(&pol, "10.1.1.1", &spoof, out, &src), GR_IP_OK);
    CU_ASSERT_STRING_EQUAL(out, "1.0.0.1");
    CU_ASSERT_EQUAL(decide(&pol, "127.0.0.1", &spoof, out, &src), GR_IP_OK);
    CU_ASSERT_STRING_EQUAL(out, "1.0.0.1");
    /* an empty trusted list trusts no one */
    gr_req_policy none = {GR_REQ_TRUST_LIST, NULL, 0, GR_REQ_MODE_ZORAXY, NULL};
    CU_ASSERT_EQUAL(decide(&none, "127.0.0.1", &spoof, out, &src), GR_IP_OK);
    CU_ASSERT_STRING_EQUAL(out, "127.0.0.1");
    /* a NULL policy is Zoraxy's behaviour */
    CU_ASSERT_EQUAL(decide(NULL, "203.0.114.9", &spoof, out, &src), GR_IP_OK);
    CU_ASSERT_STRING_EQUAL(out, "1.0.0.1");
}

static void
test_no_peer_and_no_header_is_an_error(void)
{
    gr_ip out;
    gr_req_source src;
    CU_ASSERT_EQUAL(gr_requester_ip(NULL, NULL, NULL, NULL, &out, &src), GR_IP_EEMPTY);
    gr_ip peer = ip_of("::1");
    CU_ASSERT_EQUAL(gr_requester_ip(NULL, &peer, NULL, NULL, &out, NULL), GR_IP_OK);
    CU_ASSERT_TRUE(gr_ip_equal(&out, &peer));
}

static void
test_realip_walks_right_to_left(void)
{
    gr_cidr trusted[2];
    CU_ASSERT_EQUAL_FATAL(gr_cidr_list_parse("127.0.0.0/8,10.0.0.0/8", trusted, 2), 2);
    gr_req_policy pol = {GR_REQ_TRUST_LIST, trusted, 2, GR_REQ_MODE_REALIP, NULL};
    char out[GR_IP_STRLEN];
    gr_req_source src;
    /* the front proxy appended the real peer: the rightmost untrusted wins */
    struct req r1 = {{"X-Forwarded-For"}, {"8.8.8.8, 114.114.114.114"}};
    CU_ASSERT_EQUAL(decide(&pol, "127.0.0.1", &r1, out, &src), GR_IP_OK);
    CU_ASSERT_STRING_EQUAL(out, "114.114.114.114");
    CU_ASSERT_EQUAL(src, GR_REQ_FROM_X_FORWARDED_FOR);
    /* trusted hops are skipped */
    struct req r2 = {{"X-Forwarded-For"}, {"1.1.1.1, 2.2.2.2:80, 10.0.0.5, 127.0.0.1"}};
    CU_ASSERT_EQUAL(decide(&pol, "127.0.0.1", &r2, out, &src), GR_IP_OK);
    CU_ASSERT_STRING_EQUAL(out, "2.2.2.2");
    /* several lines are one list, in order */
    struct req r3 = {{"X-Forwarded-For", "X-Other", "x-forwarded-for"},
                     {"3.3.3.3, 4.4.4.4", "5.5.5.5", "6.6.6.6, 10.1.1.1"}};
    CU_ASSERT_EQUAL(decide(&pol, "10.0.0.1", &r3, out, &src), GR_IP_OK);
    CU_ASSERT_STRING_EQUAL(out, "6.6.6.6");
    struct req r4 = {{"X-Forwarded-For", "X-Forwarded-For"}, {"3.3.3.3, 4.4.4.4", "10.1.1.1"}};
    CU_ASSERT_EQUAL(decide(&pol, "10.0.0.1", &r4, out, &src), GR_IP_OK);
    CU_ASSERT_STRING_EQUAL(out, "4.4.4.4");
    /* all trusted: the leftmost */
    struct req r5 = {{"X-Forwarded-For", "X-Forwarded-For"}, {"10.9.9.9, 127.0.0.2", "10.1.1.1"}};
    CU_ASSERT_EQUAL(decide(&pol, "10.0.0.1", &r5, out, &src), GR_IP_OK);
    CU_ASSERT_STRING_EQUAL(out, "10.9.9.9");
    /* one entry works as it always did */
    struct req r6 = {{"X-Forwarded-For"}, {" 8.8.8.8 "}};
    CU_ASSERT_EQUAL(decide(&pol, "127.0.0.1", &r6, out, &src), GR_IP_OK);
    CU_ASSERT_STRING_EQUAL(out, "8.8.8.8");
    /* no header: the peer */
    struct req r7 = {{"X-Other"}, {"8.8.8.8"}};
    CU_ASSERT_EQUAL(decide(&pol, "127.0.0.1", &r7, out, &src), GR_IP_OK);
    CU_ASSERT_STRING_EQUAL(out, "127.0.0.1");
    CU_ASSERT_EQUAL(src, GR_REQ_FROM_PEER);
}

static void
test_realip_refuses_empty_and_malformed_entries(void)
{
    gr_cidr trusted[1];
    CU_ASSERT_EQUAL_FATAL(gr_cidr_list_parse("127.0.0.0/8", trusted, 1), 1);
    gr_req_policy pol = {GR_REQ_TRUST_LIST, trusted, 1, GR_REQ_MODE_REALIP, NULL};
    char out[GR_IP_STRLEN];
    gr_req_source src;
    static const char *const bad[] = {"",
                                      "  ",
                                      ", 8.8.8.8",
                                      "8.8.8.8,",
                                      "8.8.8.8,,1.1.1.1",
                                      "garbage",
                                      "garbage, 8.8.8.8",
                                      "999.1.1.1",
                                      "8.8.8.8, x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct req r = {{"X-Forwarded-For"}, {bad[i]}};
        CU_ASSERT_TRUE(decide(&pol, "127.0.0.1", &r, out, &src) < 0);
    }
    /* a malformed line among good ones */
    struct req r2 = {{"X-Forwarded-For", "X-Forwarded-For"}, {"8.8.8.8", ""}};
    CU_ASSERT_TRUE(decide(&pol, "127.0.0.1", &r2, out, &src) < 0);
    /* other identity headers are not consulted in realip mode */
    struct req r3 = {{"X-Real-Ip", "CF-Connecting-IP", "X-Forwarded-For"},
                     {"not-an-ip", "1.1.1.1", "8.8.8.8"}};
    CU_ASSERT_EQUAL(decide(&pol, "127.0.0.1", &r3, out, &src), GR_IP_OK);
    CU_ASSERT_STRING_EQUAL(out, "8.8.8.8");
    /* untrusted peer: its own address, garbage or not */
    struct req r4 = {{"X-Forwarded-For"}, {", garbage"}};
    CU_ASSERT_EQUAL(decide(&pol, "203.0.114.9", &r4, out, &src), GR_IP_OK);
    CU_ASSERT_STRING_EQUAL(out, "203.0.114.9");
    CU_ASSERT_EQUAL(src, GR_REQ_FROM_PEER);
}

static void
test_realip_configured_header(void)
{
    gr_cidr trusted[1];
    CU_ASSERT_EQUAL_FATAL(gr_cidr_list_parse("127.0.0.0/8", trusted, 1), 1);
    gr_req_policy pol = {GR_REQ_TRUST_LIST, trusted, 1, GR_REQ_MODE_REALIP, "X-Real-Ip"};
    char out[GR_IP_STRLEN];
    gr_req_source src;
    struct req r = {{"X-Forwarded-For", "x-real-ip"}, {"8.8.8.8", "1.1.1.1"}};
    CU_ASSERT_EQUAL(decide(&pol, "127.0.0.1", &r, out, &src), GR_IP_OK);
    CU_ASSERT_STRING_EQUAL(out, "1.1.1.1");
    CU_ASSERT_EQUAL(src, GR_REQ_FROM_REAL_IP_HEADER);
    gr_req_mode m;
    CU_ASSERT_EQUAL(gr_req_mode_parse("zoraxy", &m), 0);
    CU_ASSERT_EQUAL(m, GR_REQ_MODE_ZORAXY);
    CU_ASSERT_EQUAL(gr_req_mode_parse("realip", &m), 0);
    CU_ASSERT_EQUAL(m, GR_REQ_MODE_REALIP);
    CU_ASSERT_EQUAL(gr_req_mode_parse("nginx", &m), -1);
}

static CU_TestInfo tests[] = {GR_TEST(test_realip_walks_right_to_left),
                              GR_TEST(test_realip_refuses_empty_and_malformed_entries),
                              GR_TEST(test_realip_configured_header),
                              GR_TEST(test_cidr_parse_masks_and_contains),
                              GR_TEST(test_cidr_list_parse_counts_trims_and_rejects),
                              GR_TEST(test_zoraxy_header_order_with_trust_all),
                              GR_TEST(test_blank_headers_fall_through),
                              GR_TEST(test_ports_and_brackets_are_stripped),
                              GR_TEST(test_garbage_in_the_chosen_header_is_an_error),
                              GR_TEST(test_untrusted_peers_cannot_spoof_their_address),
                              GR_TEST(test_no_peer_and_no_header_is_an_error),
                              GR_TEST_END};

GR_TEST_MAIN("requester", tests, NULL, NULL)
