/*
 * test_mkdb_cli.c - 'georace mkdb' from the outside: exit statuses, messages
 * and the databases it writes.
 *
 * The strongest check: mkdb on the generated CSV, with the generator's
 * metadata, writes exactly the bytes of the generated MMDB (one writer, one
 * result, whether the ranges come from memory or from a CSV file).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dbt.h"
#include "gr_test.h"

static char dir[] = "/tmp/georace-mkdb-XXXXXX";

static int
suite_init(void)
{
    return mkdtemp(dir) ? 0 : 1;
}

static int
suite_cleanup(void)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : 1;
}

static void
write_file(const char *name, const char *text)
{
    char p[256];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs(text, f);
    fclose(f);
}

/* Run "georace mkdb ARGS" in the scratch directory; returns the exit status
 * and leaves stdout/stderr in out/err (NUL-terminated, caller frees). */
static int
mkdb(const char *args, char **out, char **err)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "cd '%s' && '%s' mkdb %s >stdout.txt 2>stderr.txt", dir, GEORACE_BIN,
             args);
    int st = system(cmd);
    CU_ASSERT_FATAL(st != -1 && WIFEXITED(st));
    char p[256];
    size_t len;
    snprintf(p, sizeof p, "%s/stdout.txt", dir);
    *out = gr_dbt_read_file(p, &len);
    snprintf(p, sizeof p, "%s/stderr.txt", dir);
    *err = gr_dbt_read_file(p, &len);
    return WEXITSTATUS(st);
}

static void
expect(const char *args, int status, const char *in_out, const char *in_err)
{
    char *out, *err;
    int rc = mkdb(args, &out, &err);
    if (rc != status || (in_out && !strstr(out, in_out)) || (in_err && !strstr(err, in_err)))
        fprintf(stderr, "mkdb %s: status %d, stdout '%s', stderr '%s'\n", args, rc, out, err);
    CU_ASSERT_EQUAL(rc, status);
    if (in_out)
        CU_ASSERT_PTR_NOT_NULL(strstr(out, in_out));
    if (in_err)
        CU_ASSERT_PTR_NOT_NULL(strstr(err, in_err));
    free(out);
    free(err);
}

static void
test_help_and_usage_errors_have_their_statuses(void)
{
    expect("--help", 0, "usage: georace mkdb", NULL);
    expect("", 64, NULL, "georace mkdb: ");
    expect("--csv a.csv", 64, NULL, "georace mkdb: ");
    expect("-o out.mmdb", 64, NULL, "georace mkdb: ");
    expect("--bogus", 64, NULL, NULL);
    expect("--csv a.csv -o out.mmdb stray", 64, NULL, "stray");
    expect("--csv a.csv -o out.mmdb --build-epoch soon", 64, NULL, "--build-epoch");
}

static void
test_missing_and_malformed_inputs_have_their_statuses(void)
{
    write_file("good.csv", "1.0.0.0,1.0.0.255,AU\n");
    write_file("bad.csv", "1.0.0.0,1.0.0.255,AU\n1.0.1.0,1.0.1.255,CN\n1.0.2.0,1.0.1.0,CN\n");
    expect("--csv missing.csv -o out.mmdb", 66, NULL, "georace mkdb: missing.csv");
    expect("--csv good.csv --csv missing.csv -o out.mmdb", 66, NULL, "missing.csv");
    expect("--csv bad.csv -o out.mmdb", 65, NULL, "georace mkdb: bad.csv:3: start after end");
    expect("--csv good.csv -o no/such/dir/out.mmdb", 1, NULL, "georace mkdb: cannot create");
    /* Nothing is left behind by the failures. */
    char p[256];
    snprintf(p, sizeof p, "%s/out.mmdb", dir);
    CU_ASSERT_NOT_EQUAL(access(p, F_OK), 0);
}

static void
test_small_csvs_round_trip_and_later_files_win(void)
{
    write_file("base.csv", "1.0.0.0,1.0.0.255,AU\n"
                           "8.8.8.0,8.8.8.255,US\n"
                           "2001:200::,2001:200:ffff:ffff:ffff:ffff:ffff:ffff,JP\n");
    write_file("over.csv", "8.8.8.128,8.8.8.130,CA\n");
    expect("--csv base.csv --csv over.csv -o small.mmdb --description 'a test db' "
           "--build-epoch 99",
           0, "wrote small.mmdb: 3 IPv4 + 1 IPv6 ranges", NULL);
    char p[256];
    snprintf(p, sizeof p, "%s/small.mmdb", dir);
    MMDB_s db;
    CU_ASSERT_EQUAL_FATAL(MMDB_open(p, MMDB_MODE_MMAP, &db), MMDB_SUCCESS);
    CU_ASSERT_EQUAL(db.metadata.build_epoch, 99);
    CU_ASSERT_STRING_EQUAL(db.metadata.description.descriptions[0]->description, "a test db");
    static const struct {
        const char *ip, *cc;
    } probes[] = {{"1.0.0.1", "AU"},   {"8.8.8.127", "US"}, {"8.8.8.128", "CA"},
                  {"8.8.8.130", "CA"}, {"8.8.8.131", "US"}, {"2001:200::1", "JP"},
                  {"1.0.1.0", ""},     {"2001:201::", ""},  {"::ffff:8.8.8.8", "US"}};
    for (size_t i = 0; i < sizeof probes / sizeof probes[0]; i++) {
        gr_ip ip;
        char cc[3] = "";
        CU_ASSERT_FATAL(gr_ip_parse(probes[i].ip, strlen(probes[i].ip), &ip) == 0);
        int rc = gr_dbt_mmdb_country(&db, &ip, cc);
        CU_ASSERT_EQUAL(rc, probes[i].cc[0] ? 1 : 0);
        CU_ASSERT_STRING_EQUAL(cc, probes[i].cc);
    }
    MMDB_close(&db);
}

static void
test_the_generated_csv_becomes_the_generated_mmdb_byte_for_byte(void)
{
    MMDB_s ref;
    CU_ASSERT_EQUAL_FATAL(MMDB_open(GEORACE_DEFAULTDB_MMDB, MMDB_MODE_MMAP, &ref), MMDB_SUCCESS);
    char args[2048];
    snprintf(args, sizeof args,
             "-q --csv '%s' -o full.mmdb --build-epoch %llu --database-type '%s' "
             "--description '%s'",
             GEORACE_DEFAULTDB_CSV, (unsigned long long)ref.metadata.build_epoch,
             ref.metadata.database_type, ref.metadata.description.descriptions[0]->description);
    MMDB_close(&ref);
    expect(args, 0, NULL, NULL);
    char p[256];
    size_t la, lb;
    snprintf(p, sizeof p, "%s/full.mmdb", dir);
    char *a = gr_dbt_read_file(p, &la), *b = gr_dbt_read_file(GEORACE_DEFAULTDB_MMDB, &lb);
    CU_ASSERT_EQUAL(la, lb);
    CU_ASSERT(la == lb && memcmp(a, b, la) == 0);
    free(a);
    free(b);
}

static CU_TestInfo tests[] = {
    GR_TEST(test_help_and_usage_errors_have_their_statuses),
    GR_TEST(test_missing_and_malformed_inputs_have_their_statuses),
    GR_TEST(test_small_csvs_round_trip_and_later_files_win),
    GR_TEST(test_the_generated_csv_becomes_the_generated_mmdb_byte_for_byte), GR_TEST_END};

GR_TEST_MAIN("mkdb_cli", tests, suite_init, suite_cleanup)
