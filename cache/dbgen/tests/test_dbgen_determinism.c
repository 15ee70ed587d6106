/*
 * test_dbgen_determinism.c - the generator makes the same bytes every time.
 *
 * Runs georace-dbgen into a fresh directory and compares each of the four
 * files byte for byte with the files the build generated (and embedded):
 * two runs, in different directories, at different times. A different seed must give a different
 * database, so the comparison could fail.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dbt.h"
#include "gr_test.h"

static const char *files[] = {"georace-default.csv", "georace-default-ipv4.csv",
                              "georace-default-ipv6.csv", "georace-default.mmdb"};

static void
run_generator(char *dir, const char *seed)
{
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "'%s' --quiet --out-dir '%s'%s%s", GEORACE_DBGEN, dir,
             seed ? " --seed " : "", seed ? seed : "");
    int st = system(cmd);
    CU_ASSERT_FATAL(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static bool
same_file(const char *a, const char *b)
{
    size_t la, lb;
    char *x = gr_dbt_read_file(a, &la), *y = gr_dbt_read_file(b, &lb);
    bool same = la == lb && memcmp(x, y, la) == 0;
    free(x);
    free(y);
    return same;
}

static void
remove_dir(const char *dir)
{
    char p[512];
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, files[i]);
        unlink(p);
    }
    rmdir(dir);
}

static void
test_a_second_run_gives_the_bytes_of_the_build(void)
{
    char d1[] = "/tmp/georace-dbgen-XXXXXX";
    run_generator(d1, NULL);
    char built_dir[512];
    snprintf(built_dir, sizeof built_dir, "%s", GEORACE_DEFAULTDB_MMDB);
    *strrchr(built_dir, '/') = '\0';
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char a[512], c[1100];
        snprintf(a, sizeof a, "%s/%s", d1, files[i]);
        snprintf(c, sizeof c, "%s/%s", built_dir, files[i]);
        bool same = same_file(a, c);
        if (!same)
            fprintf(stderr, "%s differs from the build's\n", files[i]);
        CU_ASSERT(same);
    }
    remove_dir(d1);
}

static void
test_another_seed_gives_another_database(void)
{
    char d[] = "/tmp/georace-dbgen-XXXXXX";
    run_generator(d, "12345");
    char a[512];
    snprintf(a, sizeof a, "%s/georace-default.mmdb", d);
    CU_ASSERT_FALSE(same_file(a, GEORACE_DEFAULTDB_MMDB));
    snprintf(a, sizeof a, "%s/georace-default.csv", d);
    CU_ASSERT_FALSE(same_file(a, GEORACE_DEFAULTDB_CSV));
    remove_dir(d);
}

static CU_TestInfo tests[] = {GR_TEST(test_a_second_run_gives_the_bytes_of_the_build),
                              GR_TEST(test_another_seed_gives_another_database), GR_TEST_END};

GR_TEST_MAIN("dbgen_determinism", tests, NULL, NULL)
