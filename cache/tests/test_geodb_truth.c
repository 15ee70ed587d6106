/*
 * test_geodb_truth.c - every backend agrees with libmaxminddb itself on the
 * embedded default database, and damaged copies of that database give
 * errors, never crashes.
 *
 * Ground truth is libmaxminddb called directly on the embedded MMDB (not
 * through the mmdb backend). Samples come from the embedded CSV: a random
 * row, then its first address, its last, the one after it, or one inside;
 * plus uniformly random addresses for the "not in the database" answers.
 * Addresses in reserved zones are skipped (the resolver never asks a backend
 * about them), and so is 2002::/16: the MMDB aliases 6to4 addresses to their
 * IPv4 address, as MaxMind's databases do, while a CSV walk does not.
 *
 * mmdb and scan-bsearch answer 100k samples; the linear scan costs
 * milliseconds per lookup on half a million rows, so it answers a smaller
 * prefix of the same samples.
 */
#include <maxminddb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "georace/rng.h"
#include "georace/defaultdb.h"
#include "georace/geodb.h"
#include "georace/zone.h"
#include "gr_test.h"

#define N_SAMPLES 100000
#ifndef GR_LINEAR_SAMPLES
#define GR_LINEAR_SAMPLES 60
#endif

static uint64_t rng_state = 20260101;

static uint64_t
rng_next(void)
{
    return gr_rng_splitmix64(&rng_state);
}

struct row {
    gr_ip start, end;
};

static struct row *rows;
static size_t n_rows;
static gr_ip *samples;
static size_t n_samples;
static gr_country *truth;
static MMDB_s truth_db;

/* ---- ground truth: libmaxminddb, directly -------------------------------- */

static gr_country
truth_lookup(const gr_ip *ip)
{
    struct sockaddr_in6 sin6;
    memset(&sin6, 0, sizeof sin6);
    sin6.sin6_family = AF_INET6;
    memcpy(&sin6.sin6_addr, ip->b, 16);
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    memcpy(&sin.sin_addr, ip->b + 12, 4);
    const struct sockaddr *sa =
        gr_ip_is_v4(ip) ? (const struct sockaddr *)&sin : (const struct sockaddr *)&sin6;
    int err = 0;
    MMDB_lookup_result_s res = MMDB_lookup_sockaddr(&truth_db, sa, &err);
    if (err != MMDB_SUCCESS || !res.found_entry)
        return GR_COUNTRY_NONE;
    MMDB_entry_data_s d;
    if (MMDB_get_value(&res.entry, &d, "country_code", NULL) != MMDB_SUCCESS || !d.has_data ||
        d.type != MMDB_DATA_TYPE_UTF8_STRING || d.data_size != 2)
        return GR_COUNTRY_NONE;
    char cc[3] = {d.utf8_string[0], d.utf8_string[1], 0};
    return gr_country_from_str(cc);
}

/* ---- samples ------------------------------------------------------------ */

/* The rows of the embedded CSV; false when memory runs out. */
static bool
load_rows(void)
{
    size_t len;
    const char *csv = gr_defaultdb_csv(&len);
    size_t cap = 1024;
    rows = malloc(cap * sizeof *rows);
    if (!rows)
        return false;
    for (size_t pos = 0; pos < len;) {
        const char *line = csv + pos;
        const char *nl = memchr(line, '\n', len - pos);
        size_t ll = nl ? (size_t)(nl - line) : len - pos;
        pos += ll + 1;
        const char *c1 = memchr(line, ',', ll);
        const char *c2 = c1 ? memchr(c1 + 1, ',', ll - (size_t)(c1 + 1 - line)) : NULL;
        if (!c2)
            continue;
        struct row r;
        if (gr_ip_parse(line, (size_t)(c1 - line), &r.start) != GR_IP_OK ||
            gr_ip_parse(c1 + 1, (size_t)(c2 - c1 - 1), &r.end) != GR_IP_OK)
            continue;
        if (n_rows == cap) {
            struct row *more = realloc(rows, (cap *= 2) * sizeof *rows);
            if (!more)
                return false;
            rows = more;
        }
        rows[n_rows++] = r;
    }
    return true;
}

static void
ip_add(gr_ip *ip, uint64_t delta)
{
    for (int i = 15; i >= 0 && delta; i--) {
        uint64_t s = ip->b[i] + (delta & 0xff);
        ip->b[i] = (uint8_t)s;
        delta = (delta >> 8) + (s >> 8);
    }
}

static bool
sample_ok(const gr_ip *ip)
{
    if (gr_zone_of(ip) != GR_ZONE_NONE)
        return false;
    return !(ip->b[0] == 0x20 && ip->b[1] == 0x02); /* 6to4, see above */
}

/* N_SAMPLES samples and their truth; false when memory runs out. */
static bool
make_samples(void)
{
    samples = malloc(N_SAMPLES * sizeof *samples);
    truth = malloc(N_SAMPLES * sizeof *truth);
    if (!samples || !truth)
        return false;
    while (n_samples < N_SAMPLES) {
        gr_ip ip;
        uint64_t pick = rng_next() % 10;
        if (pick < 8 && n_rows) {
            const struct row *r = &rows[rng_next() % n_rows];
            ip = r->start;
            if (pick == 1)
                ip = r->end;
            else if (pick == 2) {
                ip = r->end;
                ip_add(&ip, 1);
            } else if (pick >= 3)
                ip_add(&ip, rng_next() % 251);
        } else if (rng_next() & 1) {
            gr_ip_from_v4((uint32_t)rng_next(), &ip);
        } else {
            uint64_t a = rng_next(), b = rng_next();
            memcpy(ip.b, &a, 8);
            memcpy(ip.b + 8, &b, 8);
            ip.b[0] = (uint8_t)(0x20 | (ip.b[0] & 0x1f)); /* inside 2000::/3 */
        }
        if (!sample_ok(&ip))
            continue;
        samples[n_samples] = ip;
        truth[n_samples] = truth_lookup(&ip);
        n_samples++;
    }
    return true;
}

static int
suite_init(void)
{
    char err[256];
    const char *path = gr_defaultdb_mmdb_path(err, sizeof err);
    if (!path) {
        fprintf(stderr, "no embedded database: %s\n", err);
        return 1;
    }
    if (MMDB_open(path, MMDB_MODE_MMAP, &truth_db) != MMDB_SUCCESS) {
        fprintf(stderr, "libmaxminddb cannot open the embedded database %s\n", path);
        return 1;
    }
    if (!load_rows() || n_rows < 1000) {
        fprintf(stderr, "the embedded CSV gave %zu rows, expected thousands\n", n_rows);
        return 1;
    }
    if (!make_samples()) {
        fprintf(stderr, "out of memory for the samples\n");
        return 1;
    }
    return 0;
}

static int
suite_cleanup(void)
{
    MMDB_close(&truth_db);
    free(rows);
    free(samples);
    free(truth);
    return 0;
}

/* ---- agreement ---------------------------------------------------------- */

static void
check_backend(gr_geodb_kind kind, size_t n)
{
    gr_geodb *db = NULL;
    char err[256] = "";
    int rc = gr_defaultdb_open(kind, &db, err, sizeof err);
    if (rc != GR_GEODB_OK)
        fprintf(stderr, "open: %s\n", err);
    CU_ASSERT_EQUAL_FATAL(rc, GR_GEODB_OK);
    size_t disagree = 0, found = 0;
    for (size_t i = 0; i < n; i++) {
        gr_country c = GR_COUNTRY_NONE;
        rc = gr_geodb_lookup(db, &samples[i], &c);
        CU_ASSERT_TRUE(rc == 0 || rc == 1);
        if (rc != 1)
            c = GR_COUNTRY_NONE;
        found += c != GR_COUNTRY_NONE;
        if (c != truth[i] && disagree++ < 5) {
            char a[GR_IP_STRLEN], x[3], y[3];
            gr_ip_format(&samples[i], a, sizeof a);
            fprintf(stderr, "%s: %s says '%s', libmaxminddb '%s'\n", db->ops->name, a,
                    gr_country_str(c, x), gr_country_str(truth[i], y));
        }
    }
    CU_ASSERT_EQUAL(disagree, 0u);
    /* the samples exercised both answers */
    CU_ASSERT_TRUE(found > n / 2);
    CU_ASSERT_TRUE(found < n);
    gr_geodb_close(db);
}

static void
test_mmdb_backend_agrees_with_libmaxminddb_on_100k_samples(void)
{
    check_backend(GR_GEODB_MMDB, n_samples);
}

static void
test_scan_bsearch_agrees_with_libmaxminddb_on_100k_samples(void)
{
    check_backend(GR_GEODB_SCAN_BSEARCH, n_samples);
}

static void
test_linear_scan_agrees_with_libmaxminddb_on_a_prefix_of_the_samples(void)
{
    check_backend(GR_GEODB_SCAN, GR_LINEAR_SAMPLES);
}

/* ---- damaged copies of the database ------------------------------------ */

static const char *
write_temp(const unsigned char *data, size_t len)
{
    static char path[80];
    const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : P_tmpdir;
    snprintf(path, sizeof path, "%.40s/gr-truth-XXXXXX", dir);
    int fd = mkstemp(path);
    CU_ASSERT_FATAL(fd >= 0);
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, data + off, len - off);
        CU_ASSERT_FATAL(w > 0);
        off += (size_t)w;
    }
    close(fd);
    return path;
}

static void
test_truncated_mmdb_copies_are_rejected_at_open(void)
{
    size_t len;
    const unsigned char *img = gr_defaultdb_mmdb(&len);
    CU_ASSERT_FATAL(img && len > 4096);
    size_t cuts[] = {1, 100, len / 2, len - 64, len - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        const char *p = write_temp(img, cuts[i]);
        gr_geodb *db = NULL;
        char err[256] = "";
        int rc = gr_geodb_open_mmdb(p, &db, err, sizeof err);
        if (rc == GR_GEODB_OK) {
            /* a cut that leaves valid metadata must still never crash a lookup */
            for (size_t k = 0; k < 2000; k++) {
                gr_country c;
                int r = gr_geodb_lookup(db, &samples[k], &c);
                CU_ASSERT_TRUE(r == 0 || r == 1 || r == GR_GEODB_ELOOKUP);
            }
            gr_geodb_close(db);
        } else {
            CU_ASSERT_EQUAL(rc, GR_GEODB_EFORMAT);
            CU_ASSERT_PTR_NOT_NULL(strstr(err, p));
        }
        unlink(p);
    }
    /* the real database opens from a file copy too */
    const char *p = write_temp(img, len);
    gr_geodb *db = NULL;
    CU_ASSERT_EQUAL(gr_geodb_open_mmdb(p, &db, NULL, 0), GR_GEODB_OK);
    gr_geodb_close(db);
    unlink(p);
}

static void
test_corrupt_search_tree_gives_lookup_errors_not_crashes(void)
{
    size_t len;
    const unsigned char *img = gr_defaultdb_mmdb(&len);
    unsigned char *copy = malloc(len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(copy);
    memcpy(copy, img, len);
    /* the search tree comes first: point its records far past the end */
    memset(copy, 0xff, len / 8);
    const char *p = write_temp(copy, len);
    gr_geodb *db = NULL;
    char err[256] = "";
    CU_ASSERT_EQUAL_FATAL(gr_geodb_open_mmdb(p, &db, err, sizeof err), GR_GEODB_OK);
    size_t errors = 0;
    for (size_t k = 0; k < 5000; k++) {
        gr_country c;
        int r = gr_geodb_lookup(db, &samples[k], &c);
        CU_ASSERT_TRUE(r == 0 || r == 1 || r == GR_GEODB_ELOOKUP);
        errors += r == GR_GEODB_ELOOKUP;
    }
    CU_ASSERT_TRUE(errors > 0);
    gr_geodb_close(db);
    unlink(p);

    /* random byte damage anywhere: any answer is fine, a crash is not */
    memcpy(copy, img, len);
    uint64_t x = 7;
    for (size_t i = 0; i < len / 64; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        copy[(x >> 17) % (len - 4096)] ^= (unsigned char)(x >> 56) | 1;
    }
    p = write_temp(copy, len);
    int rc = gr_geodb_open_mmdb(p, &db, err, sizeof err);
    if (rc == GR_GEODB_OK) {
        for (size_t k = 0; k < 5000; k++) {
            gr_country c;
            int r = gr_geodb_lookup(db, &samples[k], &c);
            CU_ASSERT_TRUE(r == 0 || r == 1 || r == GR_GEODB_ELOOKUP);
        }
        gr_geodb_close(db);
    } else {
        /* refused at open: then as a malformed file, with its name */
        CU_ASSERT_EQUAL(rc, GR_GEODB_EFORMAT);
        CU_ASSERT_PTR_NOT_NULL(strstr(err, p));
    }
    unlink(p);
    free(copy);
}

static CU_TestInfo tests[] = {
    GR_TEST(test_mmdb_backend_agrees_with_libmaxminddb_on_100k_samples),
    GR_TEST(test_scan_bsearch_agrees_with_libmaxminddb_on_100k_samples),
    GR_TEST(test_linear_scan_agrees_with_libmaxminddb_on_a_prefix_of_the_samples),
    GR_TEST(test_truncated_mmdb_copies_are_rejected_at_open),
    GR_TEST(test_corrupt_search_tree_gives_lookup_errors_not_crashes),
    GR_TEST_END};

GR_TEST_MAIN("geodb truth", tests, suite_init, suite_cleanup)
