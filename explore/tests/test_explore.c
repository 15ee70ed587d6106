/*
 * test_explore.c - the explorer finds, replays and shrinks the buggy
 * variants' failures; each oracle catches a cache broken on purpose
 * (broken_variants.c); the linearizability checker and the history files
 * on their own.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "broken_variants.h"
#include "georace/explore.h"
#include "georace/history.h"
#include "georace/linear.h"
#include "gr_test.h"

/* Under ThreadSanitizer: a run that ends with a finding leaves its threads
 * unjoined on purpose (the child _exits); that is not a leak to report. */
const char *__tsan_default_options(void);
const char *
__tsan_default_options(void)
{
    return "report_thread_leaks=0";
}

/* The tsan preset runs a smaller suite (GR_EXPLORE_TSAN_SUBSET): forking a
 * TSan process per schedule is two orders of magnitude slower, and every
 * race of the code under test is hidden by the baton anyway; what TSan
 * checks there is the scheduler itself. */
#ifdef GR_EXPLORE_TSAN_SUBSET
#define GR_EXPLORE_REPLAYS 10
#else
#define GR_EXPLORE_REPLAYS 100
#endif

static gr_explore_result res;

static void
explore(const char *variant, gr_explore_factory f, enum gr_explore_strategy s, const char *scenario,
        uint64_t max, bool keep_going)
{
    gr_explore_config cfg;
    char err[512];
    gr_explore_config_default(&cfg);
    cfg.variant = variant;
    cfg.factory = f;
    cfg.strategy = s;
    cfg.scenario = scenario;
    cfg.max_schedules = max;
    cfg.keep_going = keep_going;
    int rc = gr_explore_run(&cfg, &res, err, sizeof err);
    if (rc)
        fprintf(stderr, "explore: %s\n", err);
    CU_ASSERT_EQUAL_FATAL(rc, GR_EXPLORE_OK);
}

static void
test_pct_finds_gomap_detector_within_100_schedules(void)
{
    explore("gomap", NULL, GR_EXPLORE_PCT, NULL, 100, true);
    CU_ASSERT_TRUE_FATAL(res.found);
    CU_ASSERT_TRUE(res.by_oracle[GR_ORACLE_DETECTOR] > 0);
}

/* gomap has no synchronisation at all: the happens-before detector sees
 * its race even in the run without a preemption, where Go's detector is
 * silent; the message names both access sites. */
static void
test_race_oracle_reports_gomap_race_with_both_sites(void)
{
    explore("gomap", NULL, GR_EXPLORE_DFS, "writers", 0, false);
    CU_ASSERT_TRUE_FATAL(res.found);
    CU_ASSERT_EQUAL_FATAL(res.first.oracle, GR_ORACLE_RACE);
    CU_ASSERT_EQUAL(res.first.preemptions, 0);
    const char *m = res.first.message, *a = strstr(m, "gomap.c:");
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CU_ASSERT_PTR_NOT_NULL(strstr(a + 1, "gomap.c:"));
    CU_ASSERT_PTR_NOT_NULL(strstr(m, "T0 "));
    CU_ASSERT_PTR_NOT_NULL(strstr(m, "T1 "));
}

static void
test_race_oracle_catches_relaxed_publication(void)
{
    explore("relaxed-publish", bv_relaxed_publish_create, GR_EXPLORE_DFS, "writers", 0, false);
    CU_ASSERT_TRUE_FATAL(res.found);
    CU_ASSERT_EQUAL_FATAL(res.first.oracle, GR_ORACLE_RACE);
    CU_ASSERT_PTR_NOT_NULL(strstr(res.first.message, "fill new table"));
    CU_ASSERT_PTR_NOT_NULL(strstr(res.first.message, "read table"));
}

/* a mutex cache whose clear skips the lock: right answers, but a race
 * (and mutex, with the same marks under its lock, is silent: dfs_clean) */
static void
test_race_oracle_catches_clear_without_the_lock(void)
{
    explore("unlocked-clear", bv_unlocked_clear_create, GR_EXPLORE_DFS, "put-clear", 0, true);
    CU_ASSERT_TRUE(res.exhausted);
    CU_ASSERT_TRUE_FATAL(res.found);
    CU_ASSERT_EQUAL(res.by_oracle[GR_ORACLE_LINEARIZABILITY], 0);
    CU_ASSERT_TRUE(res.by_oracle[GR_ORACLE_RACE] > 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(res.first.message, "clear table (no lock)"));
}

static void
test_mutex_marks_are_silent_on_put_clear(void)
{
    explore("mutex", NULL, GR_EXPLORE_DFS, "put-clear", 0, true);
    CU_ASSERT_TRUE(res.exhausted);
    CU_ASSERT_TRUE(res.schedules > 1);
    CU_ASSERT_FALSE(res.found);
}

/* the same cache publishing with release: the detector joins over the
 * release/acquire pair and must stay silent on every schedule */
static void
test_race_oracle_silent_on_release_publication(void)
{
    explore("release-publish", bv_release_publish_create, GR_EXPLORE_DFS, "writers", 0, true);
    CU_ASSERT_TRUE(res.exhausted);
    CU_ASSERT_TRUE(res.schedules > 1);
    CU_ASSERT_FALSE(res.found);
}

static void
test_gomap_failure_replays_every_time(void)
{
    explore("gomap", NULL, GR_EXPLORE_PCT, NULL, 100, false);
    CU_ASSERT_TRUE_FATAL(res.found);
    gr_explore_finding first = res.first, f;
    char err[512];
    int same = 0;
    for (int i = 0; i < GR_EXPLORE_REPLAYS; i++)
        if (!gr_explore_replay(first.schedule, "gomap", NULL, &f, err, sizeof err) &&
            f.oracle == first.oracle && !strcmp(f.message, first.message) &&
            !strcmp(f.schedule, first.schedule))
            same++;
    CU_ASSERT_EQUAL(same, GR_EXPLORE_REPLAYS);
}

#ifndef GR_EXPLORE_TSAN_SUBSET
static void
test_shrunk_gomap_schedule_still_fails_and_is_no_longer(void)
{
    explore("gomap", NULL, GR_EXPLORE_RANDOM, NULL, 200, false);
    CU_ASSERT_TRUE_FATAL(res.found);
    gr_explore_finding s, again;
    char err[512];
    CU_ASSERT_EQUAL_FATAL(gr_explore_shrink(res.first.schedule, NULL, NULL, &s, err, sizeof err),
                          0);
    CU_ASSERT_EQUAL(s.oracle, res.first.oracle);
    CU_ASSERT_TRUE(s.preemptions <= res.first.preemptions);
    CU_ASSERT_TRUE(s.preemptions < res.first.preemptions || s.steps <= res.first.steps);
    CU_ASSERT_EQUAL_FATAL(gr_explore_replay(s.schedule, NULL, NULL, &again, err, sizeof err), 0);
    CU_ASSERT_EQUAL(again.oracle, s.oracle);
    FILE *f = tmpfile();
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_EQUAL(gr_explore_trace(f, s.schedule, NULL, NULL, err, sizeof err), 0);
    CU_ASSERT_TRUE(ftell(f) > 0);
    fclose(f);
}

static void
test_dfs_finds_resurrected_entry_in_naive_reset(void)
{
    explore("syncmap+naive-reset", NULL, GR_EXPLORE_DFS, "reset-resurrect", 0, true);
    CU_ASSERT_TRUE(res.exhausted);
    CU_ASSERT_TRUE(res.by_oracle[GR_ORACLE_LINEARIZABILITY] > 0);
    CU_ASSERT_TRUE(res.by_oracle[GR_ORACLE_CRASH] > 0);
    /* and the runs that neither crash nor answer wrong still race: the
     * reset's plain memset against the other thread's accesses */
    CU_ASSERT_TRUE(res.by_oracle[GR_ORACLE_RACE] > 0);
}

static void
test_dfs_clean_on_syncmap_reset_resurrect(void)
{
    explore("syncmap", NULL, GR_EXPLORE_DFS, "reset-resurrect", 0, true);
    CU_ASSERT_TRUE(res.exhausted);
    CU_ASSERT_FALSE(res.found);
    CU_ASSERT_TRUE(res.schedules > 1);
}

#endif

static void
test_linearizability_oracle_catches_split_put(void)
{
    explore("split-put", bv_split_put_create, GR_EXPLORE_DFS, "overwrite", 0, false);
    CU_ASSERT_TRUE_FATAL(res.found);
    CU_ASSERT_EQUAL(res.first.oracle, GR_ORACLE_LINEARIZABILITY);
    gr_explore_finding f;
    char err[512];
    CU_ASSERT_EQUAL(gr_explore_replay(res.first.schedule, "split-put", bv_split_put_create, &f, err,
                                      sizeof err),
                    0);
    CU_ASSERT_EQUAL(f.oracle, GR_ORACLE_LINEARIZABILITY);
}

static void
test_deadlock_oracle_catches_inverted_lock_order(void)
{
    explore("inverted", bv_inverted_create, GR_EXPLORE_DFS, "writers", 0, false);
    CU_ASSERT_TRUE_FATAL(res.found);
    CU_ASSERT_EQUAL(res.first.oracle, GR_ORACLE_DEADLOCK);
    CU_ASSERT_PTR_NOT_NULL(strstr(res.first.message, "deadlock"));
}

static void
test_crash_oracle_catches_null_clear(void)
{
    explore("null-clear", bv_null_clear_create, GR_EXPLORE_DFS, "put-clear", 0, false);
    CU_ASSERT_TRUE_FATAL(res.found);
    CU_ASSERT_EQUAL(res.first.oracle, GR_ORACLE_CRASH);
}

static void
test_bad_schedule_strings_are_rejected(void)
{
    gr_explore_finding f;
    char err[512];
    CU_ASSERT_EQUAL(gr_explore_replay("garbage", NULL, NULL, &f, err, sizeof err),
                    GR_EXPLORE_ESCHEDULE);
    CU_ASSERT_EQUAL(gr_explore_replay("v1:gomap:writers:a3z", NULL, NULL, &f, err, sizeof err),
                    GR_EXPLORE_ESCHEDULE);
    CU_ASSERT_EQUAL(gr_explore_replay("v1:gomap:nosuch:a", NULL, NULL, &f, err, sizeof err),
                    GR_EXPLORE_ESCHEDULE);
    CU_ASSERT_EQUAL(gr_explore_replay("v1:gomap:writers:c", NULL, NULL, &f, err, sizeof err),
                    GR_EXPLORE_ESCHEDULE); /* writers has two threads */
    CU_ASSERT_EQUAL(gr_explore_replay("v1:gomap:writers:a", "mutex", NULL, &f, err, sizeof err),
                    GR_EXPLORE_ESCHEDULE);
}

/* ---- the checker alone ---- */

static gr_lin_op
op(unsigned thread, int kind, unsigned key, const char *val, bool hit, uint64_t inv, uint64_t resp)
{
    gr_lin_op o;
    memset(&o, 0, sizeof o);
    gr_ip_from_v4(0x0a000001u + key, &o.key);
    o.thread = thread;
    o.kind = (uint8_t)kind;
    o.hit = hit;
    o.value = val ? (uint16_t)(val[0] << 8 | val[1]) : 0;
    o.inv = inv;
    o.resp = resp;
    o.pending = resp == 0;
    return o;
}

static void
test_checker_accepts_overlapping_put_and_get(void)
{
    gr_lin_op h[] = {op(0, GR_LIN_PUT, 0, "US", false, 1, 5),
                     op(1, GR_LIN_GET, 0, "US", true, 2, 3),
                     op(1, GR_LIN_GET, 0, NULL, false, 0, 1)};
    h[2].inv = 0;
    gr_lin_report r;
    CU_ASSERT_EQUAL_FATAL(gr_lin_check(h, 3, &r), 0);
    CU_ASSERT_TRUE(r.ok);
}

static void
test_checker_rejects_hit_after_completed_clear(void)
{
    gr_lin_op h[] = {
        op(0, GR_LIN_PUT, 0, "US", false, 1, 2), op(1, GR_LIN_CLEAR, 0, NULL, false, 3, 4),
        op(0, GR_LIN_GET, 0, "US", true, 5, 6), op(0, GR_LIN_PUT, 1, "DE", false, 7, 8)};
    gr_lin_report r;
    CU_ASSERT_EQUAL_FATAL(gr_lin_check(h, 4, &r), 0);
    CU_ASSERT_FALSE(r.ok);
    CU_ASSERT_EQUAL(r.bad_op, 2);
    /* the same get overlapping a put of that value is fine */
    h[3] = op(1, GR_LIN_PUT, 0, "US", false, 4, 0);
    CU_ASSERT_EQUAL_FATAL(gr_lin_check(h, 4, &r), 0);
    CU_ASSERT_TRUE(r.ok);
}

static void
test_checker_rejects_lost_put(void)
{
    gr_lin_op h[] = {op(0, GR_LIN_PUT, 0, "US", false, 1, 2),
                     op(1, GR_LIN_GET, 0, NULL, false, 3, 4)};
    gr_lin_report r;
    CU_ASSERT_EQUAL_FATAL(gr_lin_check(h, 2, &r), 0);
    CU_ASSERT_FALSE(r.ok);
}

/* A put done before the threads started is named "setup" in the report,
 * not by a thread number no thread has. */
static void
test_checker_names_setup_operations_setup(void)
{
    gr_lin_op h[] = {op(GR_LIN_SETUP, GR_LIN_PUT, 0, "US", false, 1, 2),
                     op(0, GR_LIN_GET, 0, NULL, false, 3, 4)};
    gr_lin_report r;
    CU_ASSERT_EQUAL_FATAL(gr_lin_check(h, 2, &r), 0);
    CU_ASSERT_FALSE_FATAL(r.ok);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.msg, "by thread 0"));
    CU_ASSERT_PTR_NOT_NULL(strstr(r.msg, "| setup put"));
    CU_ASSERT_PTR_NULL(strstr(r.msg, "T4294967295"));
}

/* ---- history files ---- */

static void
test_history_round_trip_and_crash_leaves_records(void)
{
    char path[] = "/tmp/georace-history-XXXXXX";
    int fd = mkstemp(path);
    CU_ASSERT_TRUE_FATAL(fd >= 0);
    close(fd);
    gr_history *h;
    gr_cache *inner, *c;
    char err[512];
    CU_ASSERT_EQUAL_FATAL(gr_history_create(path, "mutex", 1000, &h, err, sizeof err), 0);
    CU_ASSERT_EQUAL_FATAL(gr_cache_create("mutex", NULL, &inner), 0);
    CU_ASSERT_EQUAL_FATAL(gr_history_wrap(h, inner, &c), 0);
    gr_ip k;
    gr_country v;
    gr_ip_from_v4(0x08080808, &k);
    gr_cache_put(c, &k, (gr_country)('U' << 8 | 'S'));
    CU_ASSERT_TRUE(gr_cache_get(c, &k, &v));
    gr_cache_clear(c);
    CU_ASSERT_FALSE(gr_cache_get(c, &k, &v));
    gr_cache_destroy(c);
    CU_ASSERT_EQUAL(gr_history_close(h), 0);
    gr_lin_op *ops;
    size_t n;
    gr_history_info info;
    CU_ASSERT_EQUAL_FATAL(gr_history_load(path, &ops, &n, &info, err, sizeof err), 0);
    CU_ASSERT_EQUAL(n, 4);
    CU_ASSERT_TRUE(info.complete);
    gr_lin_report r;
    CU_ASSERT_EQUAL(gr_lin_check(ops, n, &r), 0);
    CU_ASSERT_TRUE(r.ok);
    free(ops);

    /* a recording process that dies: what it wrote is there, marked incomplete */
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        if (gr_history_create(path, "mutex", 1000, &h, err, sizeof err) ||
            gr_cache_create("mutex", NULL, &inner) || gr_history_wrap(h, inner, &c))
            _exit(3);
        gr_cache_put(c, &k, (gr_country)('U' << 8 | 'S'));
        gr_cache_clear(c);
        gr_cache_get(c, &k, &v);
        _exit(0); /* no close: as if it crashed */
    }
    int st;
    CU_ASSERT_EQUAL_FATAL(waitpid(pid, &st, 0), pid);
    CU_ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    CU_ASSERT_EQUAL_FATAL(gr_history_load(path, &ops, &n, &info, err, sizeof err), 0);
    CU_ASSERT_EQUAL(n, 3);
    CU_ASSERT_FALSE(info.complete);
    free(ops);
    unlink(path);
}

static void
test_history_reader_rejects_other_files(void)
{
    char path[] = "/tmp/georace-history-XXXXXX";
    int fd = mkstemp(path);
    CU_ASSERT_TRUE_FATAL(fd >= 0);
    CU_ASSERT_TRUE(write(fd, "hello\n", 6) == 6);
    close(fd);
    gr_lin_op *ops;
    size_t n;
    gr_history_info info;
    char err[512];
    CU_ASSERT_EQUAL(gr_history_load(path, &ops, &n, &info, err, sizeof err), GR_HISTORY_EFORMAT);
    unlink(path);
    CU_ASSERT_EQUAL(gr_history_load(path, &ops, &n, &info, err, sizeof err), GR_HISTORY_ENOENT);
}

static CU_TestInfo tests[] = {GR_TEST(test_pct_finds_gomap_detector_within_100_schedules),
                              GR_TEST(test_gomap_failure_replays_every_time),
                              GR_TEST(test_race_oracle_reports_gomap_race_with_both_sites),
                              GR_TEST(test_race_oracle_catches_relaxed_publication),
                              GR_TEST(test_race_oracle_silent_on_release_publication),
                              GR_TEST(test_race_oracle_catches_clear_without_the_lock),
                              GR_TEST(test_mutex_marks_are_silent_on_put_clear),
#ifndef GR_EXPLORE_TSAN_SUBSET
                              GR_TEST(test_shrunk_gomap_schedule_still_fails_and_is_no_longer),
                              GR_TEST(test_dfs_finds_resurrected_entry_in_naive_reset),
                              GR_TEST(test_dfs_clean_on_syncmap_reset_resurrect),
#endif
                              GR_TEST(test_linearizability_oracle_catches_split_put),
                              GR_TEST(test_deadlock_oracle_catches_inverted_lock_order),
                              GR_TEST(test_crash_oracle_catches_null_clear),
                              GR_TEST(test_bad_schedule_strings_are_rejected),
                              GR_TEST(test_checker_accepts_overlapping_put_and_get),
                              GR_TEST(test_checker_rejects_hit_after_completed_clear),
                              GR_TEST(test_checker_rejects_lost_put),
                              GR_TEST(test_checker_names_setup_operations_setup),
                              GR_TEST(test_history_round_trip_and_crash_leaves_records),
                              GR_TEST(test_history_reader_rejects_other_files),
                              GR_TEST_END};

GR_TEST_MAIN("explore", tests, NULL, NULL)
