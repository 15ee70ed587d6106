/*
 * test_traffic.c - the traffic model: profile parsing and validation,
 * reproducible streams, the statistics of the mix, and addresses that
 * always lie in a range with the range's country as ground truth.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "georace/traffic.h"
#include "gr_test.h"

/* A small database: three IPv4 ranges of very different sizes, two IPv6. */
static const char test_csv[] = "# test ranges\n"
                               "1.0.0.0,1.0.0.255,AU\n"
                               "\n"
                               "8.8.8.0,8.8.8.255,US\n"
                               "\"41.0.0.0\",\"41.255.255.255\",\"ZA\"\n"
                               "2001:200::,2001:200:ffff:ffff:ffff:ffff:ffff:ffff,JP\n"
                               "2a00:1450::,2a00:1450:ffff:ffff:ffff:ffff:ffff:ffff,DE\r\n";

static gr_addrpool *test_pool;

static int
suite_setup(void)
{
    char err[256];
    int rc = gr_addrpool_from_csv(test_csv, sizeof test_csv - 1, &test_pool, err, sizeof err);
    if (rc)
        fprintf(stderr, "test pool: %s\n", err);
    return rc;
}

static int
suite_teardown(void)
{
    gr_addrpool_free(test_pool);
    return 0;
}

static int
parse(const char *json, gr_profile *p, char *err, size_t cap)
{
    err[0] = '\0';
    return gr_profile_parse(json, strlen(json), "t", p, err, cap);
}

/* Expect a format error whose message contains `needle`. */
static void
expect_bad(const char *json, const char *needle)
{
    gr_profile p;
    char err[256];
    int rc = parse(json, &p, err, sizeof err);
    CU_ASSERT_EQUAL(rc, GR_TRAFFIC_EFORMAT);
    if (!strstr(err, needle)) {
        fprintf(stderr, "\n  message '%s' lacks '%s'\n", err, needle);
        CU_FAIL("error message does not name the key");
    }
}

static void
test_builtin_profiles_parse_and_carry_their_names(void)
{
    const char *const *names = gr_profile_builtin_names();
    const char *want[] = {"zoraxy-home", "flood", "steady", "spray-v6"};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        bool found = false;
        for (const char *const *n = names; *n; n++)
            found |= !strcmp(*n, want[i]);
        CU_ASSERT(found);
    }
    for (const char *const *n = names; *n; n++) {
        gr_profile p;
        char err[256] = "";
        CU_ASSERT_EQUAL_FATAL(gr_profile_load(*n, &p, err, sizeof err), GR_TRAFFIC_OK);
        CU_ASSERT_STRING_EQUAL(p.name, *n);
    }
    gr_profile p;
    char err[256];
    CU_ASSERT_EQUAL(gr_profile_load("flood", &p, err, sizeof err), 0);
    CU_ASSERT_EQUAL(p.rate, 0);
    CU_ASSERT_EQUAL(p.new_visitor_share, 1);
    CU_ASSERT_EQUAL(gr_profile_load("zoraxy-home", &p, err, sizeof err), 0);
    CU_ASSERT(p.burst_parallel);
    CU_ASSERT(p.burst_mean >= 5 && p.burst_mean <= 7);
}

static void
test_profile_keys_override_defaults_and_missing_keys_keep_them(void)
{
    gr_profile p, d;
    char err[256];
    gr_profile_default(&d);
    CU_ASSERT_EQUAL_FATAL(parse("{\"name\":\"x\",\"rate\":7.5,\"seed\":42,"
                                "\"visitors\":{\"population\":9,\"zipf_s\":0.5},"
                                "\"burst\":{\"mean\":2,\"parallel\":false,\"spread_ms\":3}}",
                                &p, err, sizeof err),
                          0);
    CU_ASSERT_STRING_EQUAL(p.name, "x");
    CU_ASSERT_EQUAL(p.rate, 7.5);
    CU_ASSERT_EQUAL(p.seed, 42);
    CU_ASSERT_EQUAL(p.population, 9);
    CU_ASSERT_EQUAL(p.zipf_s, 0.5);
    CU_ASSERT_EQUAL(p.burst_mean, 2);
    CU_ASSERT_FALSE(p.burst_parallel);
    CU_ASSERT_EQUAL(p.burst_spread_ms, 3);
    CU_ASSERT_EQUAL(p.new_visitor_share, d.new_visitor_share);
    CU_ASSERT_EQUAL(p.ipv6_share, d.ipv6_share);
    CU_ASSERT_EQUAL(p.burst_max, d.burst_max);
}

static void
test_profile_unknown_key_is_named(void)
{
    expect_bad("{\"rat\": 5}", "unknown key 'rat'");
    expect_bad("{\"burst\": {\"size\": 3}}", "unknown key 'burst.size'");
    expect_bad("{\"visitors\": {\"mean\": 3}}", "unknown key 'visitors.mean'");
}

static void
test_profile_wrong_type_is_named(void)
{
    expect_bad("{\"rate\": \"fast\"}", "'rate' must be a number");
    expect_bad("{\"name\": 3}", "'name' must be a string");
    expect_bad("{\"burst\": 6}", "'burst' must be an object");
    expect_bad("{\"burst\": {\"parallel\": 1}}", "'burst.parallel' must be true or false");
    expect_bad("{\"visitors\": {\"population\": 1.5}}", "'visitors.population' must be an integer");
    expect_bad("{\"seed\": \"1\"}", "'seed' must be an integer");
}

static void
test_profile_out_of_range_value_is_named(void)
{
    expect_bad("{\"ipv6_share\": 1.5}", "'ipv6_share' must be between 0 and 1");
    expect_bad("{\"rate\": -1}", "'rate'");
    expect_bad("{\"visitors\": {\"population\": 0}}", "'visitors.population'");
    expect_bad("{\"seed\": -3}", "'seed'");
    expect_bad("{\"burst\": {\"mean\": 0.5}}", "'burst.mean'");
    expect_bad("{\"burst\": {\"max\": 65}}", "'burst.max'");
    expect_bad("{\"scanner_share\": 0.6, \"reserved_share\": 0.5}", "must not exceed 1");
    expect_bad("{\"burst\": {\"mean\": 8, \"max\": 4}}", "'burst.mean' (8) must not exceed");
    char longname[200];
    memset(longname, 'a', sizeof longname);
    char json[300];
    snprintf(json, sizeof json, "{\"name\": \"%.*s\"}", 100, longname);
    expect_bad(json, "'name' is longer");
}

static void
test_profile_malformed_json_is_a_format_error(void)
{
    expect_bad("{", "t:");
    expect_bad("[1,2]", "must be a JSON object");
    expect_bad("{\"rate\": 1, \"rate\": 2}", "t:");
    expect_bad("", "t:");
}

static void
test_profile_load_from_path_and_unknown_name(void)
{
    char path[] = "/tmp/georace-profile-XXXXXX.json";
    int fd = mkstemps(path, 5);
    CU_ASSERT_FATAL(fd >= 0);
    const char *json = "{\"name\": \"mine\", \"rate\": 3}";
    CU_ASSERT_EQUAL_FATAL(write(fd, json, strlen(json)), (ssize_t)strlen(json));
    close(fd);
    gr_profile p;
    char err[256] = "";
    CU_ASSERT_EQUAL(gr_profile_load(path, &p, err, sizeof err), GR_TRAFFIC_OK);
    CU_ASSERT_STRING_EQUAL(p.name, "mine");
    CU_ASSERT_EQUAL(p.rate, 3);
    unlink(path);
    CU_ASSERT_EQUAL(gr_profile_load(path, &p, err, sizeof err), GR_TRAFFIC_ENOENT);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, path));
    CU_ASSERT_EQUAL(gr_profile_load("no-such-profile", &p, err, sizeof err), GR_TRAFFIC_ENOENT);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "unknown profile"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "zoraxy-home"));
}

static void
test_csv_errors_name_the_line(void)
{
    gr_addrpool *p = NULL;
    char err[256] = "";
    const char *bad = "1.0.0.0,1.0.0.255,AU\n1.0.1.0,nope,AU\n";
    CU_ASSERT_EQUAL(gr_addrpool_from_csv(bad, strlen(bad), &p, err, sizeof err),
                    GR_TRAFFIC_EFORMAT);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, ":2:"));
    bad = "1.0.0.9,1.0.0.1,AU\n";
    CU_ASSERT_EQUAL(gr_addrpool_from_csv(bad, strlen(bad), &p, err, sizeof err),
                    GR_TRAFFIC_EFORMAT);
    bad = "1.0.0.0,1.0.0.255,Australia\n";
    CU_ASSERT_EQUAL(gr_addrpool_from_csv(bad, strlen(bad), &p, err, sizeof err),
                    GR_TRAFFIC_EFORMAT);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "country code"));
    bad = "1.0.0.0,1.0.0.255\n";
    CU_ASSERT_EQUAL(gr_addrpool_from_csv(bad, strlen(bad), &p, err, sizeof err),
                    GR_TRAFFIC_EFORMAT);
    bad = "1.0.0.0,::1,AU\n";
    CU_ASSERT_EQUAL(gr_addrpool_from_csv(bad, strlen(bad), &p, err, sizeof err),
                    GR_TRAFFIC_EFORMAT);
    bad = "# nothing\n\n";
    CU_ASSERT_EQUAL(gr_addrpool_from_csv(bad, strlen(bad), &p, err, sizeof err),
                    GR_TRAFFIC_EFORMAT);
    CU_ASSERT_EQUAL(gr_addrpool_from_csv_file("/nonexistent/x.csv", &p, err, sizeof err),
                    GR_TRAFFIC_ENOENT);
    CU_ASSERT_PTR_NULL(p);
}

static void
test_pool_counts_ranges_and_drops_overlaps(void)
{
    CU_ASSERT_EQUAL(gr_addrpool_count(test_pool, false), 3);
    CU_ASSERT_EQUAL(gr_addrpool_count(test_pool, true), 2);
    gr_addrpool *p;
    char err[256];
    const char *csv = "1.0.0.0,1.0.0.255,AU\n1.0.0.128,1.0.1.255,NZ\n1.0.2.0,1.0.2.0,FR\n";
    CU_ASSERT_EQUAL_FATAL(gr_addrpool_from_csv(csv, strlen(csv), &p, err, sizeof err), 0);
    CU_ASSERT_EQUAL(gr_addrpool_count(p, false), 2);
    gr_ip a, b;
    gr_country cc;
    char buf[3];
    CU_ASSERT(gr_addrpool_range(p, false, 1, &a, &b, &cc));
    CU_ASSERT_STRING_EQUAL(gr_country_str(cc, buf), "FR");
    CU_ASSERT_FALSE(gr_addrpool_range(p, false, 2, &a, &b, &cc));
    gr_addrpool_free(p);
}

static bool
same_request(const gr_request *a, const gr_request *b)
{
    return gr_ip_equal(&a->client, &b->client) && a->truth == b->truth && a->zone == b->zone &&
           a->kind == b->kind && a->burst_len == b->burst_len && a->burst_index == b->burst_index &&
           a->burst_id == b->burst_id && a->at_ns == b->at_ns && a->salt == b->salt &&
           a->new_address == b->new_address;
}

static int
count_equal(const char *profile, uint64_t s1, uint32_t st1, uint64_t s2, uint32_t st2, int n)
{
    gr_profile p;
    char err[256];
    CU_ASSERT_EQUAL_FATAL(gr_profile_load(profile, &p, err, sizeof err), 0);
    gr_traffic *a, *b;
    CU_ASSERT_EQUAL_FATAL(gr_traffic_create(&p, test_pool, s1, st1, 100, &a), 0);
    CU_ASSERT_EQUAL_FATAL(gr_traffic_create(&p, test_pool, s2, st2, 100, &b), 0);
    int same = 0;
    for (int i = 0; i < n; i++) {
        gr_request x, y;
        gr_traffic_next(a, &x);
        gr_traffic_next(b, &y);
        same += same_request(&x, &y);
    }
    gr_traffic_free(a);
    gr_traffic_free(b);
    return same;
}

static void
test_same_seed_same_stream_different_seed_different(void)
{
    const char *const *names = gr_profile_builtin_names();
    size_t profiles = 0;
    for (const char *const *n = names; *n; n++, profiles++) {
        CU_ASSERT_EQUAL(count_equal(*n, 7, 0, 7, 0, 20000), 20000);
        CU_ASSERT(count_equal(*n, 7, 0, 8, 0, 2000) < 100);
        CU_ASSERT(count_equal(*n, 7, 0, 7, 1, 2000) < 100);
    }
    CU_ASSERT(profiles >= 4); /* every built-in profile, not none */
}

static void
test_next_burst_matches_next(void)
{
    gr_profile p;
    char err[256];
    CU_ASSERT_EQUAL_FATAL(gr_profile_load("zoraxy-home", &p, err, sizeof err), 0);
    gr_traffic *a, *b;
    CU_ASSERT_EQUAL_FATAL(gr_traffic_create(&p, test_pool, 3, 2, 0, &a), 0);
    CU_ASSERT_EQUAL_FATAL(gr_traffic_create(&p, test_pool, 3, 2, 0, &b), 0);
    gr_request burst[GR_PROFILE_BURST_MAX];
    for (int e = 0; e < 2000; e++) {
        size_t n = gr_traffic_next_burst(a, burst, GR_PROFILE_BURST_MAX);
        CU_ASSERT_FATAL(n >= 1 && n <= p.burst_max);
        CU_ASSERT_EQUAL(burst[0].burst_len, n);
        for (size_t i = 0; i < n; i++) {
            gr_request r;
            gr_traffic_next(b, &r);
            CU_ASSERT(same_request(&r, &burst[i]));
            CU_ASSERT_EQUAL(r.burst_index, i);
            CU_ASSERT(gr_ip_equal(&r.client, &burst[0].client));
            CU_ASSERT_EQUAL(r.at_ns, 0); /* rate 0: flat out */
        }
    }
    gr_traffic_free(a);
    gr_traffic_free(b);
}

/* Find the range of the test CSV that holds ip; its country. */
static gr_country
test_truth_of(const gr_ip *ip)
{
    for (int v6 = 0; v6 < 2; v6++) {
        gr_ip s, e;
        gr_country cc;
        for (size_t i = 0; gr_addrpool_range(test_pool, v6, i, &s, &e, &cc); i++)
            if (gr_ip_compare(&s, ip) <= 0 && gr_ip_compare(ip, &e) <= 0)
                return cc;
    }
    return GR_COUNTRY_NONE;
}

static void
test_addresses_lie_in_a_range_with_its_country(void)
{
    const char *const *names = gr_profile_builtin_names();
    size_t profiles = 0;
    for (const char *const *n = names; *n; n++) {
        gr_profile p;
        char err[256];
        CU_ASSERT_EQUAL_FATAL(gr_profile_load(*n, &p, err, sizeof err), 0);
        p.reserved_share = 0.1; /* every profile exercises the zones here */
        if (p.scanner_share + p.spray_share + p.reserved_share > 1)
            p.spray_share = 0.9 - p.scanner_share;
        gr_traffic *t;
        CU_ASSERT_EQUAL_FATAL(gr_traffic_create(&p, test_pool, 11, 0, 0, &t), 0);
        int bad = 0, zones = 0;
        for (int i = 0; i < 20000; i++) {
            gr_request r;
            gr_traffic_next(t, &r);
            if (r.kind == GR_TRAFFIC_RESERVED) {
                zones++;
                bad += r.zone == GR_ZONE_NONE || r.truth != GR_COUNTRY_NONE ||
                       gr_zone_of(&r.client) != r.zone;
            } else {
                bad += r.zone != GR_ZONE_NONE || r.truth == GR_COUNTRY_NONE ||
                       test_truth_of(&r.client) != r.truth;
            }
        }
        CU_ASSERT_EQUAL(bad, 0);
        CU_ASSERT(zones > 200);
        gr_traffic_free(t);
        profiles++;
    }
    CU_ASSERT(profiles >= 4); /* every built-in profile, not none */
}

static int
cmp_ip(const void *a, const void *b)
{
    return gr_ip_compare(a, b);
}

static void
test_mix_matches_the_profile(void)
{
    gr_profile p;
    gr_profile_default(&p);
    p.population = 1000;
    p.zipf_s = 1.0;
    p.new_visitor_share = 0.3;
    p.burst_mean = 6;
    p.burst_max = 64;
    p.scanner_share = 0.1;
    p.spray_share = 0.05;
    p.reserved_share = 0.05;
    p.ipv6_share = 0.25;
    gr_traffic *t;
    CU_ASSERT_EQUAL_FATAL(gr_traffic_create(&p, test_pool, 99, 0, 0, &t), 0);
    enum { EVENTS = 200000 };
    uint64_t kinds[GR_TRAFFIC_KIND_COUNT] = {0}, views = 0, view_reqs = 0, fam = 0, fam6 = 0;
    uint64_t visitors = 0;
    gr_ip *vis = malloc(EVENTS * sizeof *vis);
    CU_ASSERT_FATAL(vis != NULL);
    gr_request burst[GR_PROFILE_BURST_MAX];
    gr_ip spray_first;
    bool spray_seen = false, spray_same_range = true;
    for (int e = 0; e < EVENTS; e++) {
        size_t n = gr_traffic_next_burst(t, burst, GR_PROFILE_BURST_MAX);
        const gr_request *r = &burst[0];
        kinds[r->kind]++;
        if (r->kind == GR_TRAFFIC_VISITOR || r->kind == GR_TRAFFIC_NEW_VISITOR) {
            views++;
            view_reqs += n;
        } else {
            CU_ASSERT_EQUAL(n, 1);
        }
        if (r->kind == GR_TRAFFIC_VISITOR || r->kind == GR_TRAFFIC_NEW_VISITOR ||
            r->kind == GR_TRAFFIC_SCANNER) {
            fam++;
            fam6 += !gr_ip_is_v4(&r->client);
        }
        if (r->kind == GR_TRAFFIC_VISITOR) {
            vis[visitors++] = r->client;
        }
        if (r->kind == GR_TRAFFIC_SPRAY) {
            CU_ASSERT(!gr_ip_is_v4(&r->client));
            if (!spray_seen)
                spray_first = r->client, spray_seen = true;
            else
                spray_same_range &= test_truth_of(&r->client) == test_truth_of(&spray_first);
        }
    }
    gr_traffic_free(t);
    /* rank 1 is the most frequent visitor: the longest run of one address */
    qsort(vis, visitors, sizeof *vis, cmp_ip);
    uint64_t top = 0, run = 0;
    for (uint64_t i = 0; i < visitors; i++) {
        run = (i && gr_ip_equal(&vis[i], &vis[i - 1])) ? run + 1 : 1;
        top = run > top ? run : top;
    }
    free(vis);
    double ev = EVENTS;
    double single =
        kinds[GR_TRAFFIC_SCANNER] + kinds[GR_TRAFFIC_SPRAY] + kinds[GR_TRAFFIC_RESERVED];
    CU_ASSERT(fabs(kinds[GR_TRAFFIC_SCANNER] / ev - 0.10) < 0.005);
    CU_ASSERT(fabs(kinds[GR_TRAFFIC_SPRAY] / ev - 0.05) < 0.005);
    CU_ASSERT(fabs(kinds[GR_TRAFFIC_RESERVED] / ev - 0.05) < 0.005);
    CU_ASSERT(fabs(single / ev - 0.20) < 0.006);
    CU_ASSERT(fabs((double)kinds[GR_TRAFFIC_NEW_VISITOR] / views - 0.30) < 0.01);
    CU_ASSERT(fabs((double)view_reqs / views - 6.0) < 0.05);
    CU_ASSERT(fabs((double)fam6 / fam - 0.25) < 0.01);
    CU_ASSERT(spray_seen && spray_same_range);
    /* Zipf s=1 over 1000: P(rank 1) = 1/H(1000) = 0.1336 */
    double share = (double)top / visitors;
    if (fabs(share - 0.1336) >= 0.01)
        fprintf(stderr, "\n  top visitor share %.4f\n", share);
    CU_ASSERT(fabs(share - 0.1336) < 0.01);
}

static void
test_flood_gives_every_request_a_new_address(void)
{
    gr_profile p;
    char err[256];
    CU_ASSERT_EQUAL_FATAL(gr_profile_load("flood", &p, err, sizeof err), 0);
    gr_traffic *t;
    CU_ASSERT_EQUAL_FATAL(gr_traffic_create(&p, test_pool, 5, 0, 0, &t), 0);
    enum { N = 4096 };
    gr_ip *seen = malloc(N * sizeof *seen);
    CU_ASSERT_FATAL(seen != NULL);
    for (int i = 0; i < N; i++) {
        gr_request r;
        gr_traffic_next(t, &r);
        CU_ASSERT(r.new_address);
        CU_ASSERT_EQUAL(r.burst_len, 1);
        seen[i] = r.client;
    }
    int dups = 0;
    for (int i = 0; i < N; i++)
        for (int j = i + 1; j < N; j++)
            dups += gr_ip_equal(&seen[i], &seen[j]);
    /* addresses are random draws: a handful of collisions inside the
     * small /24 ranges is chance, not a repeat */
    CU_ASSERT(dups < 40);
    free(seen);
    gr_traffic_free(t);
}

static void
test_rate_spaces_events_as_a_poisson_process(void)
{
    gr_profile p;
    gr_profile_default(&p);
    p.burst_mean = 1;
    p.burst_max = 1;
    gr_traffic *t;
    CU_ASSERT_EQUAL_FATAL(gr_traffic_create(&p, test_pool, 1, 0, 1000.0, &t), 0);
    gr_request r;
    uint64_t last = 0;
    int monotone = 1;
    for (int i = 0; i < 100000; i++) {
        gr_traffic_next(t, &r);
        monotone &= r.at_ns >= last;
        last = r.at_ns;
    }
    CU_ASSERT(monotone);
    /* 100000 requests at 1000/s: about 100 s of intended time */
    CU_ASSERT(fabs(last / 1e9 - 100.0) < 2.0);
    gr_traffic_free(t);
}

static void
test_header_spellings_parse_back_to_the_address(void)
{
    gr_profile p;
    char err[256];
    CU_ASSERT_EQUAL_FATAL(gr_profile_load("zoraxy-home", &p, err, sizeof err), 0);
    p.ipv6_share = 0.5;
    gr_traffic *t;
    CU_ASSERT_EQUAL_FATAL(gr_traffic_create(&p, test_pool, 2, 0, 0, &t), 0);
    int forms[3] = {0};
    for (int i = 0; i < 5000; i++) {
        gr_request r;
        gr_traffic_next(t, &r);
        char buf[80];
        size_t n = gr_request_format_client(&r, buf, sizeof buf);
        CU_ASSERT_EQUAL(n, strlen(buf));
        gr_ip back;
        CU_ASSERT_EQUAL(gr_ip_parse_host(buf, n, &back), GR_IP_OK);
        CU_ASSERT(gr_ip_equal(&back, &r.client));
        forms[buf[0] == '[' ? 1 : strchr(buf, ':') && gr_ip_is_v4(&r.client) ? 2 : 0]++;
    }
    CU_ASSERT(forms[0] > 0 && forms[1] > 0 && forms[2] > 0);
    gr_traffic_free(t);
}

static CU_TestInfo tests[] = {
    GR_TEST(test_builtin_profiles_parse_and_carry_their_names),
    GR_TEST(test_profile_keys_override_defaults_and_missing_keys_keep_them),
    GR_TEST(test_profile_unknown_key_is_named),
    GR_TEST(test_profile_wrong_type_is_named),
    GR_TEST(test_profile_out_of_range_value_is_named),
    GR_TEST(test_profile_malformed_json_is_a_format_error),
    GR_TEST(test_profile_load_from_path_and_unknown_name),
    GR_TEST(test_csv_errors_name_the_line),
    GR_TEST(test_pool_counts_ranges_and_drops_overlaps),
    GR_TEST(test_same_seed_same_stream_different_seed_different),
    GR_TEST(test_next_burst_matches_next),
    GR_TEST(test_addresses_lie_in_a_range_with_its_country),
    GR_TEST(test_mix_matches_the_profile),
    GR_TEST(test_flood_gives_every_request_a_new_address),
    GR_TEST(test_rate_spaces_events_as_a_poisson_process),
    GR_TEST(test_header_spellings_parse_back_to_the_address),
    GR_TEST_END};

GR_TEST_MAIN("traffic", tests, suite_setup, suite_teardown)
