/*
 * test_runner.c - the runner fails every run it cannot count on.
 *
 * The binary has two modes. With "--case NAME" it hands the runner one
 * deliberately broken suite (its setup fails, it lists no test, an assertion
 * fails, fewer tests run than were registered, ...) or a healthy one, and
 * exits with the runner's status. Without arguments it is an ordinary test
 * binary: each of its tests runs itself in one of those modes as a child and
 * checks the child's exit status and the reason the runner printed on
 * stderr. ctest also runs some cases directly, expecting them to fail, so
 * the failures are seen to reach ctest itself.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gr_test.h"

/* ---- the suites the runner is handed in --case mode ------------------- */

static void
test_passes(void)
{
    CU_ASSERT_EQUAL(1 + 1, 2);
}

static void
test_passes_too(void)
{
    CU_ASSERT_TRUE(1);
}

static void
test_fails_an_assertion(void)
{
    CU_ASSERT_EQUAL(1 + 1, 3);
}

/* Makes the next test inactive, with CUnit told not to count an inactive
 * test as a failure: only the runner's count of tests run can notice. */
static void
test_deactivates_the_next_test(void)
{
    CU_set_fail_on_inactive(CU_FALSE);
    CU_pTest next = CU_get_test(CU_get_current_suite(), "test_passes");
    CU_ASSERT_PTR_NOT_NULL_FATAL(next);
    CU_ASSERT_EQUAL(CU_set_test_active(next, CU_FALSE), CUE_SUCCESS);
}

static void
test_exits_the_process(void)
{
    exit(0);
}

static int
setup_succeeds(void)
{
    return 0;
}

static int
setup_fails(void)
{
    return 1;
}

static int
cleanup_fails(void)
{
    return 1;
}

static CU_TestInfo two_passing[] = {GR_TEST(test_passes), GR_TEST(test_passes_too), GR_TEST_END};
static CU_TestInfo one_passing[] = {GR_TEST(test_passes), GR_TEST_END};
static CU_TestInfo none[] = {GR_TEST_END};
static CU_TestInfo one_failing[] = {GR_TEST(test_passes), GR_TEST(test_fails_an_assertion),
                                    GR_TEST_END};
static CU_TestInfo one_deactivated[] = {GR_TEST(test_deactivates_the_next_test),
                                        GR_TEST(test_passes), GR_TEST_END};
static CU_TestInfo one_exiting[] = {GR_TEST(test_passes_too), GR_TEST(test_exits_the_process),
                                    GR_TEST(test_passes), GR_TEST_END};
static CU_TestInfo one_twice[] = {GR_TEST(test_passes), GR_TEST(test_passes), GR_TEST_END};

/* Each case: the suite the runner is handed, the exit status it must give,
 * and what its stderr must say (NULL: no "FAILED" at all). */
static const struct runner_case {
    const char *name;
    gr_test_suite suite;
    int status;
    const char *reasons[2];
} cases[] = {
    {"healthy", {"healthy", two_passing, setup_succeeds, NULL}, GR_TEST_PASSED, {NULL, NULL}},
    {"setup_fails",
     {"setup_fails", one_passing, setup_fails, NULL},
     GR_TEST_FAILED,
     {"setup failed, so none of its 1 tests ran", "no test ran"}},
    {"cleanup_fails",
     {"cleanup_fails", one_passing, NULL, cleanup_fails},
     GR_TEST_FAILED,
     {"cleanup failed", NULL}},
    {"no_tests",
     {"no_tests", none, NULL, NULL},
     GR_TEST_FAILED,
     {"no test ran (0 registered)", NULL}},
    {"assertion_fails",
     {"assertion_fails", one_failing, NULL, NULL},
     GR_TEST_FAILED,
     {"1 assertion(s) failed in 1 test(s)", "failed: test_fails_an_assertion"}},
    {"fewer_tests_ran",
     {"fewer_tests_ran", one_deactivated, NULL, NULL},
     GR_TEST_FAILED,
     {"1 of 2 registered tests ran", NULL}},
    {"exit_during_a_test",
     {"exit_during_a_test", one_exiting, NULL, NULL},
     GR_TEST_FAILED,
     {"exited during test test_exits_the_process", NULL}},
    {"duplicate_names",
     {"duplicate_names", one_twice, NULL, NULL},
     GR_TEST_BROKEN,
     {"cannot register the tests", NULL}},
};

static const struct runner_case *
find_case(const char *name)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (!strcmp(cases[i].name, name))
            return &cases[i];
    return NULL;
}

static int
run_case(const char *name)
{
    const struct runner_case *c = find_case(name);
    if (c)
        return gr_test_run(&c->suite);
    fprintf(stderr, "test_runner: no case '%s'\n", name);
    return 64;
}
/* ---- the self-test: each case as a child, judged from outside --------- */

/* Runs this binary with --case NAME; its stderr into err, its exit status
 * (or 128 + signal) returned. */
static int
spawn_case(const char *name, char *err, size_t cap)
{
    int fds[2];
    CU_ASSERT_FATAL(pipe(fds) == 0);
    pid_t pid = fork();
    CU_ASSERT_FATAL(pid >= 0);
    if (pid == 0) {
        dup2(fds[1], STDERR_FILENO);
        close(fds[0]);
        close(fds[1]);
        if (!freopen("/dev/null", "w", stdout))
            _exit(126);
        execl("/proc/self/exe", "test_runner", "--case", name, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    size_t n = 0;
    ssize_t r;
    while (n < cap - 1 && (r = read(fds[0], err + n, cap - 1 - n)) > 0)
        n += (size_t)r;
    err[n] = '\0';
    close(fds[0]);
    int status = 0;
    CU_ASSERT_FATAL(waitpid(pid, &status, 0) == pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Runs case NAME as a child; its status and stderr must be the case's. */
static void
expect_case(const char *name)
{
    static char err[8192];
    const struct runner_case *c = find_case(name);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    int status = spawn_case(name, err, sizeof err);
    bool said = c->reasons[0] ? strstr(err, c->reasons[0]) != NULL : !strstr(err, "FAILED");
    if (c->reasons[1])
        said = said && strstr(err, c->reasons[1]);
    if (status != c->status || !said)
        fprintf(stderr, "\ncase %s: status %d (want %d), stderr:\n%s\n", name, status, c->status,
                err);
    CU_ASSERT_EQUAL(status, c->status);
    CU_ASSERT_TRUE(said);
}

static void
test_a_healthy_suite_exits_0_and_prints_no_failure(void)
{
    expect_case("healthy");
}

static void
test_a_failing_suite_setup_fails_the_run(void)
{
    expect_case("setup_fails");
}

static void
test_a_failing_suite_cleanup_fails_the_run(void)
{
    expect_case("cleanup_fails");
}

static void
test_an_empty_test_list_fails_the_run(void)
{
    expect_case("no_tests");
}

static void
test_a_failing_assertion_fails_the_run_and_names_its_test(void)
{
    expect_case("assertion_fails");
}

static void
test_fewer_tests_run_than_registered_fails_the_run(void)
{
    expect_case("fewer_tests_ran");
}

static void
test_an_exit_during_a_test_fails_the_run(void)
{
    expect_case("exit_during_a_test");
}

static void
test_a_test_listed_twice_fails_registration(void)
{
    expect_case("duplicate_names");
}

static CU_TestInfo tests[] = {GR_TEST(test_a_healthy_suite_exits_0_and_prints_no_failure),
                              GR_TEST(test_a_failing_suite_setup_fails_the_run),
                              GR_TEST(test_a_failing_suite_cleanup_fails_the_run),
                              GR_TEST(test_an_empty_test_list_fails_the_run),
                              GR_TEST(test_a_failing_assertion_fails_the_run_and_names_its_test),
                              GR_TEST(test_fewer_tests_run_than_registered_fails_the_run),
                              GR_TEST(test_an_exit_during_a_test_fails_the_run),
                              GR_TEST(test_a_test_listed_twice_fails_registration),
                              GR_TEST_END};

int
main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "--case"))
        return run_case(argv[2]);
    if (argc != 1) {
        fprintf(stderr, "usage: test_runner [--case NAME]\n");
        return 64;
    }
    return gr_test_run(&(gr_test_suite){"test_runner", tests, NULL, NULL});
}
