/*
 * gr_test.h - the tiny CUnit runner shared by the cache/ unit tests.
 *
 * Each test binary lists its tests in a CU_TestInfo array and calls
 * gr_test_main(); the exit status is non-zero when any assertion failed,
 * so ctest sees failures.
 */
#ifndef GR_TEST_H
#define GR_TEST_H

#include <CUnit/Basic.h>
#include <CUnit/CUnit.h>
#include <stdio.h>

static inline int
gr_test_main(const char *suite_name, CU_TestInfo *tests, CU_InitializeFunc init,
             CU_CleanupFunc cleanup)
{
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 2;
    CU_SuiteInfo suites[] = {{suite_name, init, cleanup, NULL, NULL, tests}, CU_SUITE_INFO_NULL};
    if (CU_register_suites(suites) != CUE_SUCCESS) {
        fprintf(stderr, "%s: cannot register tests: %s\n", suite_name, CU_get_error_msg());
        CU_cleanup_registry();
        return 2;
    }
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed() +
                      CU_get_number_of_suites_failed();
    unsigned ran = CU_get_number_of_tests_run();
    CU_cleanup_registry();
    if (ran == 0) {
        fprintf(stderr, "%s: no test ran\n", suite_name);
        return 1;
    }
    return failed ? 1 : 0;
}

#endif
