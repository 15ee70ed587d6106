/*
 * gr_test.c - the CUnit runner every test binary of the tree uses (see
 * gr_test.h for what makes a run pass).
 *
 * CUnit's own counters cover failed assertions and failed tests, but a suite
 * whose setup fails runs nothing and fails no assertion, and a test that is
 * skipped (inactive) or a process that exits in the middle of a test leaves
 * every counter at zero. So the runner counts the tests it registered, reads
 * every failure record CUnit keeps (not only failed assertions), compares
 * the number of tests that ran with the number registered, and, while the
 * tests run, keeps an exit handler armed that turns an exit of the runner's
 * own process into a failure. Children a test forks are left alone: the
 * handler only acts in the process that started the run.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "gr_test.h"

static struct {
    bool armed;   /* an exit handler is registered (once per process) */
    bool running; /* the tests are running: an exit now cuts the run short */
    pid_t pid;    /* the process that runs them */
    const char *suite;
} gr_test_state;

static void
gr_test_exit_guard(void)
{
    if (!gr_test_state.running || getpid() != gr_test_state.pid)
        return;
    CU_pTest t = CU_get_current_test();
    fflush(stdout);
    if (t && t->pName)
        fprintf(stderr, "%s: FAILED: the process exited during test %s, before the run finished\n",
                gr_test_state.suite, t->pName);
    else
        fprintf(stderr,
                "%s: FAILED: the process exited during the suite's setup or cleanup, before the "
                "run finished\n",
                gr_test_state.suite);
    _exit(GR_TEST_FAILED);
}

static unsigned
gr_test_count(const CU_TestInfo *tests)
{
    unsigned n = 0;
    while (tests[n].pName)
        n++;
    return n;
}

/* The failure records by kind, and the names of the tests that failed an
 * assertion (written to stderr as they are found). */
struct gr_test_failures {
    unsigned setup, cleanup, inactive, asserts, tests;
};

static void
gr_test_read_failures(const char *suite, struct gr_test_failures *f)
{
    const CU_Test *last = NULL;
    for (CU_pFailureRecord r = CU_get_failure_list(); r; r = r->pNext) {
        switch (r->type) {
        case CUF_SuiteInitFailed:
            f->setup++;
            break;
        case CUF_SuiteCleanupFailed:
            f->cleanup++;
            break;
        case CUF_TestInactive:
        case CUF_SuiteInactive:
            f->inactive++;
            break;
        case CUF_AssertFailed:
            f->asserts++;
            if (r->pTest && r->pTest != last) {
                f->tests++;
                fprintf(stderr, "%s: failed: %s (%s:%u: %s)\n", suite,
                        r->pTest->pName ? r->pTest->pName : "?",
                        r->strFileName ? r->strFileName : "?", r->uiLineNumber,
                        r->strCondition ? r->strCondition : "?");
                last = r->pTest;
            }
            break;
        default: /* counted from the record total */
            break;
        }
    }
}

int
gr_test_run(const gr_test_suite *suite)
{
    static CU_TestInfo no_tests[] = {GR_TEST_END};
    const char *name = suite && suite->name ? suite->name : "tests";
    CU_TestInfo *tests = suite && suite->tests ? suite->tests : no_tests;
    unsigned registered = gr_test_count(tests);

    if (CU_initialize_registry() != CUE_SUCCESS) {
        fprintf(stderr, "%s: FAILED: cannot set up the CUnit registry: %s\n", name,
                CU_get_error_msg());
        return GR_TEST_BROKEN;
    }
    CU_SuiteInfo suites[] = {
        {name, suite ? suite->setup : NULL, suite ? suite->cleanup : NULL, NULL, NULL, tests},
        CU_SUITE_INFO_NULL};
    if (CU_register_suites(suites) != CUE_SUCCESS) {
        fprintf(stderr, "%s: FAILED: cannot register the tests: %s\n", name, CU_get_error_msg());
        CU_cleanup_registry();
        return GR_TEST_BROKEN;
    }

    if (!gr_test_state.armed && atexit(gr_test_exit_guard) == 0)
        gr_test_state.armed = true;
    gr_test_state.pid = getpid();
    gr_test_state.suite = name;
    gr_test_state.running = true;
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_ErrorCode rc = CU_basic_run_tests();
    gr_test_state.running = false;
    fflush(stdout);

    struct gr_test_failures f = {0};
    gr_test_read_failures(name, &f);
    unsigned ran = CU_get_number_of_tests_run();
    unsigned tests_failed = CU_get_number_of_tests_failed();
    unsigned records = CU_get_number_of_failure_records();
    bool failed = false;
    if (f.setup) {
        fprintf(stderr, "%s: FAILED: the suite's setup failed, so none of its %u tests ran\n", name,
                registered);
        failed = true;
    }
    if (f.cleanup) {
        fprintf(stderr, "%s: FAILED: the suite's cleanup failed\n", name);
        failed = true;
    }
    if (f.asserts || tests_failed) {
        fprintf(stderr, "%s: FAILED: %u assertion(s) failed in %u test(s)\n", name, f.asserts,
                tests_failed > f.tests ? tests_failed : f.tests);
        failed = true;
    }
    if (f.inactive) {
        fprintf(stderr, "%s: FAILED: %u inactive test(s) or suite(s) did not run\n", name,
                f.inactive);
        failed = true;
    }
    unsigned known = f.setup + f.cleanup + f.inactive + f.asserts;
    if (records > known) {
        fprintf(stderr, "%s: FAILED: CUnit recorded %u failure(s) of another kind\n", name,
                records - known);
        failed = true;
    }
    if (ran == 0) {
        fprintf(stderr, "%s: FAILED: no test ran (%u registered)\n", name, registered);
        failed = true;
    } else if (ran != registered) {
        fprintf(stderr, "%s: FAILED: %u of %u registered tests ran\n", name, ran, registered);
        failed = true;
    }
    if (rc != CUE_SUCCESS && !failed) {
        fprintf(stderr, "%s: FAILED: CUnit ended the run with an error: %s\n", name,
                CU_get_error_msg());
        failed = true;
    }
    CU_cleanup_registry();
    return failed ? GR_TEST_FAILED : GR_TEST_PASSED;
}
