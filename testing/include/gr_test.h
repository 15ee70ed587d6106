/*
 * gr_test.h - the one CUnit runner of the tree.
 *
 * A test binary names each test once, by its function, and hands the list
 * to the runner:
 *
 *     static void test_empty_input_is_rejected(void) { ... }
 *
 *     static CU_TestInfo tests[] = {GR_TEST(test_empty_input_is_rejected), GR_TEST_END};
 *     GR_TEST_MAIN("parser", tests, NULL, NULL)
 *
 * A binary with a mode of its own (a child re-executed with extra
 * arguments) writes its main(), handles that mode first and then returns
 * gr_test_run().
 *
 * A run passes only if it could count on every test: the exit status is 0
 * when every registered test ran and passed, and non-zero, with the reason
 * on stderr, when
 *   - the registry cannot be set up or the tests cannot be registered (2),
 *   - the suite's setup or cleanup fails (a failed setup runs no test) (1),
 *   - an assertion fails, or CUnit records any other failure (1),
 *   - no test ran, or fewer (or more) tests ran than were registered (1),
 *   - the process exits while a test is running (1).
 * The last one guards against a test, or code it calls, ending the process
 * with exit(0): the run would otherwise pass having run part of its tests.
 */
#ifndef GR_TEST_H
#define GR_TEST_H

#include <CUnit/Basic.h>
#include <CUnit/CUnit.h>

/* One entry of a CU_TestInfo list: the test's name is its function's name. */
#define GR_TEST(fn)                                                                                \
    {                                                                                              \
#fn, fn                                                                                    \
    }
/* The end of a CU_TestInfo list. */
#define GR_TEST_END CU_TEST_INFO_NULL

/* Exit statuses of gr_test_run. */
enum { GR_TEST_PASSED = 0, GR_TEST_FAILED = 1, GR_TEST_BROKEN = 2 };

typedef struct gr_test_suite {
    const char *name;
    CU_TestInfo *tests;      /* ended by GR_TEST_END */
    CU_InitializeFunc setup; /* once before the tests, or NULL; non-zero fails the run */
    CU_CleanupFunc cleanup;  /* once after the tests, or NULL; non-zero fails the run */
} gr_test_suite;

/* Runs the suite (CUnit's verbose report on stdout, reasons for failing on
 * stderr); returns the process's exit status, one of the GR_TEST_* values. */
int gr_test_run(const gr_test_suite *suite);

/* main() of a binary that is nothing but its suite. */
#define GR_TEST_MAIN(name, tests, setup, cleanup)                                                  \
    int main(void)                                                                                 \
    {                                                                                              \
        return gr_test_run(&(gr_test_suite){(name), (tests), (setup), (cleanup)});                 \
    }

#endif
