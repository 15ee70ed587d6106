/*
 * test_addrpool_db.c - address pools built from the embedded database, by
 * its CSV and by walking its MMDB search tree: every drawn address must be
 * answered by the database itself with the pool's ground truth.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "georace/rng.h"
#include "georace/defaultdb.h"
#include "georace/geodb.h"
#include "georace/traffic.h"
#include "georace/zone.h"
#include "gr_test.h"

/* Draw n addresses of each family and look each up in db. */
static void
check_pool_against_db(const gr_addrpool *pool, gr_geodb *db, int n)
{
    uint64_t seed = 12345;
    int wrong = 0, reserved = 0;
    for (int v6 = 0; v6 < 2; v6++) {
        CU_ASSERT_FATAL(gr_addrpool_count(pool, v6) > 0);
        for (int i = 0; i < n; i++) {
            gr_ip ip;
            gr_country truth, got = GR_COUNTRY_NONE;
            CU_ASSERT_FATAL(gr_addrpool_draw(pool, v6, gr_rng_splitmix64(&seed),
                                             gr_rng_splitmix64(&seed), &ip, &truth));
            CU_ASSERT_EQUAL(gr_ip_is_v4(&ip), !v6);
            if (gr_zone_of(&ip) != GR_ZONE_NONE) {
                reserved++;
                continue;
            }
            int rc = gr_geodb_lookup(db, &ip, &got);
            if (rc != 1 || got != truth) {
                if (wrong++ < 5) {
                    char a[GR_IP_STRLEN], t[3], g[3];
                    gr_ip_format(&ip, a, sizeof a);
                    fprintf(stderr, "\n  %s: pool says %s, database %s (rc %d)", a,
                            gr_country_str(truth, t), gr_country_str(got, g), rc);
                }
            }
        }
    }
    CU_ASSERT_EQUAL(wrong, 0);
    CU_ASSERT(reserved < n / 100);
}

static void
test_csv_pool_agrees_with_the_database(void)
{
    gr_addrpool *pool = NULL;
    gr_geodb *db = NULL;
    char err[512] = "";
    CU_ASSERT_EQUAL_FATAL(gr_addrpool_default(&pool, err, sizeof err), GR_TRAFFIC_OK);
    CU_ASSERT_EQUAL_FATAL(gr_defaultdb_open(GR_GEODB_SCAN_BSEARCH, &db, err, sizeof err), 0);
    check_pool_against_db(pool, db, 20000);
    gr_geodb_close(db);
    CU_ASSERT_EQUAL_FATAL(gr_defaultdb_open(GR_GEODB_MMDB, &db, err, sizeof err), 0);
    check_pool_against_db(pool, db, 20000);
    gr_geodb_close(db);
    gr_addrpool_free(pool);
}

static void
test_mmdb_walk_pool_agrees_with_the_database(void)
{
    char err[512] = "";
    const char *path = gr_defaultdb_mmdb_path(err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(path);
    gr_addrpool *pool = NULL;
    CU_ASSERT_EQUAL_FATAL(gr_addrpool_from_mmdb(path, &pool, err, sizeof err), GR_TRAFFIC_OK);
    gr_geodb *db = NULL;
    CU_ASSERT_EQUAL_FATAL(gr_geodb_open_mmdb(path, &db, err, sizeof err), 0);
    check_pool_against_db(pool, db, 20000);
    gr_geodb_close(db);
    /* The walk finds the database's networks: at least one per CSV range
     * is not guaranteed (ranges merge), but thousands of each family are. */
    CU_ASSERT(gr_addrpool_count(pool, false) > 1000);
    CU_ASSERT(gr_addrpool_count(pool, true) > 1000);
    gr_addrpool_free(pool);
}

static void
test_mmdb_walk_rejects_a_non_database(void)
{
    gr_addrpool *pool = NULL;
    char err[512] = "";
    CU_ASSERT_EQUAL(gr_addrpool_from_mmdb("/nonexistent/x.mmdb", &pool, err, sizeof err),
                    GR_TRAFFIC_ENOENT);
    CU_ASSERT(strlen(err) > 0);
    char path[] = "/tmp/georace-notmmdb-XXXXXX";
    int fd = mkstemp(path);
    CU_ASSERT_FATAL(fd >= 0);
    FILE *f = fdopen(fd, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs("this is not an MMDB file\n", f);
    fclose(f);
    CU_ASSERT_EQUAL(gr_addrpool_from_mmdb(path, &pool, err, sizeof err), GR_TRAFFIC_EFORMAT);
    CU_ASSERT_PTR_NULL(pool);
    remove(path);
}

static CU_TestInfo tests[] = {GR_TEST(test_csv_pool_agrees_with_the_database),
                              GR_TEST(test_mmdb_walk_pool_agrees_with_the_database),
                              GR_TEST(test_mmdb_walk_rejects_a_non_database), GR_TEST_END};

GR_TEST_MAIN("addrpool_db", tests, NULL, NULL)
