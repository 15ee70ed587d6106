/*
 * test_hostload.c - free cores and background load: the free-core
 * arithmetic matches hand-computed cases; burners are running processes
 * while started and are gone (reaped) after gr_burner_stop; a snapshot
 * reads the machine's counters.
 */
#include <errno.h>
#include <signal.h>
#include <sys/wait.h>

#include "georace/burner.h"
#include "georace/hostload.h"
#include "gr_test.h"

static void
free_cores_are_cpus_minus_what_other_work_used(void)
{
    /* 10 s, 2 CPUs: 12 busy CPU-seconds of which 7 were our children */
    CU_ASSERT_DOUBLE_EQUAL(gr_hostload_free_of(12, 7, 10, 2), 1.5, 1e-12);
    /* all busy time ours: every core free */
    CU_ASSERT_DOUBLE_EQUAL(gr_hostload_free_of(7, 7, 10, 2), 2, 1e-12);
    /* tick granularity can make ours exceed the machine's: still all free */
    CU_ASSERT_DOUBLE_EQUAL(gr_hostload_free_of(6.9, 7, 10, 2), 2, 1e-12);
    /* other work on every core: none free, never negative */
    CU_ASSERT_DOUBLE_EQUAL(gr_hostload_free_of(30, 0, 10, 2), 0, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(gr_hostload_free_of(1, 0, 0, 2), -1, 0);
    CU_ASSERT_DOUBLE_EQUAL(gr_hostload_free_of(1, 0, 1, 0), -1, 0);
    gr_hostload_snap a = {.ok = false}, b = {.ok = true};
    CU_ASSERT_DOUBLE_EQUAL(gr_hostload_free_cores(&a, &b, 2), -1, 0);
}

static void
snapshot_reads_the_machine_counters(void)
{
    gr_hostload_snap a;
    gr_hostload_snapshot(&a);
    CU_ASSERT(a.ok);
    CU_ASSERT(a.busy_s >= 0);
    CU_ASSERT(a.wall_s > 0);
    CU_ASSERT(gr_hostload_cpus() >= 1);
}

static void
burners_run_until_stopped_and_are_reaped(void)
{
    gr_burner b;
    CU_ASSERT_EQUAL_FATAL(gr_burner_start(&b, 2), 0);
    CU_ASSERT_EQUAL(b.n, 2);
    pid_t pids[2] = {b.pid[0], b.pid[1]};
    for (int i = 0; i < 2; i++) {
        CU_ASSERT(pids[i] > 0);
        /* alive: not exited (WNOHANG sees nothing to reap) */
        CU_ASSERT_EQUAL(waitpid(pids[i], NULL, WNOHANG), 0);
    }
    gr_burner_stop(&b);
    CU_ASSERT_EQUAL(b.n, 0);
    for (int i = 0; i < 2; i++) {
        errno = 0;
        CU_ASSERT_EQUAL(waitpid(pids[i], NULL, WNOHANG), -1); /* already reaped */
        CU_ASSERT_EQUAL(errno, ECHILD);
    }
    CU_ASSERT_EQUAL(gr_burner_start(&b, 0), 0);
    CU_ASSERT_EQUAL(b.n, 0);
    CU_ASSERT_EQUAL(gr_burner_start(&b, GR_BURNER_MAX + 1), -1);
}

static CU_TestInfo tests[] = {GR_TEST(free_cores_are_cpus_minus_what_other_work_used),
                              GR_TEST(snapshot_reads_the_machine_counters),
                              GR_TEST(burners_run_until_stopped_and_are_reaped), GR_TEST_END};

GR_TEST_MAIN("hostload", tests, NULL, NULL)
