/*
 * test_subject.c - a trial whose workload runs its subject as a process of
 * its own (--via proxy) is judged by the subject's end: fake workloads
 * report a subject that died by a signal, died with Go's fatal error, exited
 * cleanly on its own before the end, was stopped cleanly, exited non-zero when stopped, or ignored
 * SIGTERM, and the runner must record its status, outcome and time of death, and carry what is
 * unknown through to the JSON record (null) and the summary (n/a).
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "georace/campaign.h"
#include "georace/jsonl.h"
#include "gr_test.h"

/* wait statuses as waitpid() builds them */
#define FAKE_EXITED(code) (((code)&0xff) << 8)
#define FAKE_SIGNALED(sig) ((sig)&0x7f)

static void
fake_start(const gr_sim_config *cfg)
{
    gr_sim_progress p = {.elapsed_ns = 0, .rss_kb = 1000};
    if (cfg->progress)
        cfg->progress(&p, cfg->progress_ctx);
}

/* A result as the via-proxy workload returns it: the load's counters. */
static int
fake_report(const gr_sim_config *cfg, gr_sim_result *out, const gr_trial_subject *s)
{
    fake_start(cfg);
    memset(out, 0, sizeof *out);
    out->requests = 500;
    out->hits = s->cache_unknown ? 0 : 400;
    out->misses = s->cache_unknown ? 0 : 100;
    out->rss_max_kb = s->rss_unknown ? 0 : 4096;
    out->elapsed_ns = s->died ? s->end_ns : 2000000000ull;
    gr_trial_report_subject(s);
    return 0;
}

static int
fake_subject_killed(const gr_sim_config *cfg, gr_sim_result *out, char *err, size_t errcap)
{
    (void)err, (void)errcap;
    gr_trial_subject s = {.wait_status = FAKE_SIGNALED(SIGKILL),
                          .end_ns = 250000000,
                          .died = true,
                          .cache_unknown = true};
    return fake_report(cfg, out, &s);
}

static int
fake_subject_fatal(const gr_sim_config *cfg, gr_sim_result *out, char *err, size_t errcap)
{
    (void)err, (void)errcap;
    fprintf(stderr, "fatal error: concurrent map writes\n");
    fflush(stderr);
    gr_trial_subject s = {.wait_status = FAKE_EXITED(2),
                          .end_ns = 300000000,
                          .died = true,
                          .cache_unknown = true,
                          .rss_unknown = true};
    return fake_report(cfg, out, &s);
}

static int
fake_subject_silent_exit(const gr_sim_config *cfg, gr_sim_result *out, char *err, size_t errcap)
{
    (void)err, (void)errcap;
    gr_trial_subject s = {
        .wait_status = FAKE_EXITED(1), .end_ns = 100000000, .died = true, .cache_unknown = true};
    return fake_report(cfg, out, &s);
}

static int
fake_subject_stopped_early(const gr_sim_config *cfg, gr_sim_result *out, char *err, size_t errcap)
{
    (void)err, (void)errcap;
    gr_trial_subject s = {.wait_status = FAKE_EXITED(0), .end_ns = 100000000, .died = true};
    return fake_report(cfg, out, &s);
}

static int
fake_subject_stopped(const gr_sim_config *cfg, gr_sim_result *out, char *err, size_t errcap)
{
    (void)err, (void)errcap;
    gr_trial_subject s = {.wait_status = FAKE_SIGNALED(SIGTERM), .end_ns = 2000000000ull};
    return fake_report(cfg, out, &s);
}

static int
fake_subject_bad_stop(const gr_sim_config *cfg, gr_sim_result *out, char *err, size_t errcap)
{
    (void)err, (void)errcap;
    gr_trial_subject s = {.wait_status = FAKE_EXITED(3), .end_ns = 2000000000ull};
    return fake_report(cfg, out, &s);
}

static int
fake_subject_stubborn(const gr_sim_config *cfg, gr_sim_result *out, char *err, size_t errcap)
{
    (void)err, (void)errcap;
    gr_trial_subject s = {
        .wait_status = FAKE_SIGNALED(SIGKILL), .end_ns = 2000000000ull, .stop_timed_out = true};
    return fake_report(cfg, out, &s);
}

static void
run_fake(gr_trial_workload_fn fn, gr_trial_result *r)
{
    gr_trial_spec spec;
    memset(&spec, 0, sizeof spec);
    spec.workload = fn;
    spec.sim.seed = 3;
    spec.deadline_ns = 20000000000ull;
    CU_ASSERT_EQUAL_FATAL(gr_trial_run(&spec, r), 0);
    CU_ASSERT_TRUE(r->have_subject);
}

static void
subject_killed_by_a_signal_is_a_crash_at_its_death(void)
{
    gr_trial_result r;
    run_fake(fake_subject_killed, &r);
    CU_ASSERT_EQUAL(r.outcome, GR_TRIAL_CRASH);
    CU_ASSERT_TRUE(gr_trial_failed(&r));
    CU_ASSERT_EQUAL(r.term_signal, SIGKILL);
    CU_ASSERT_EQUAL(r.exit_status, -1);
    CU_ASSERT_DOUBLE_EQUAL(r.ttf_s, 0.25, 1e-9);
    CU_ASSERT_TRUE(r.cache_unknown);
    CU_ASSERT_FALSE(r.rss_unknown);
    CU_ASSERT_EQUAL(r.sim.rss_max_kb, 4096);
}

static void
subject_with_go_fatal_error_is_fatal_with_its_status(void)
{
    gr_trial_result r;
    run_fake(fake_subject_fatal, &r);
    CU_ASSERT_EQUAL(r.outcome, GR_TRIAL_FATAL);
    CU_ASSERT_EQUAL(r.exit_status, 2); /* the subject's, not the workload's 0 */
    CU_ASSERT_STRING_EQUAL(r.message, "fatal error: concurrent map writes");
    CU_ASSERT_DOUBLE_EQUAL(r.ttf_s, 0.3, 1e-9);
    CU_ASSERT_TRUE(r.rss_unknown);
}

static void
subject_exiting_without_message_before_the_end_is_a_crash(void)
{
    gr_trial_result r;
    run_fake(fake_subject_silent_exit, &r);
    CU_ASSERT_EQUAL(r.outcome, GR_TRIAL_CRASH);
    CU_ASSERT_EQUAL(r.exit_status, 1);
    CU_ASSERT_EQUAL(r.term_signal, 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.message, "status 1 before the end"));
    CU_ASSERT_DOUBLE_EQUAL(r.ttf_s, 0.1, 1e-9);
}

static void
subject_exiting_cleanly_before_the_end_is_an_error_not_a_survivor(void)
{
    gr_trial_result r;
    run_fake(fake_subject_stopped_early, &r);
    CU_ASSERT_EQUAL(r.outcome, GR_TRIAL_ERROR);
    CU_ASSERT_FALSE(gr_trial_failed(&r));
    CU_ASSERT_PTR_NOT_NULL(strstr(r.message, "status 0 before the end"));
}

static void
subject_stopped_by_sigterm_survives_with_known_counters(void)
{
    gr_trial_result r;
    run_fake(fake_subject_stopped, &r);
    CU_ASSERT_EQUAL(r.outcome, GR_TRIAL_SURVIVED);
    CU_ASSERT_EQUAL(r.exit_status, 0);
    CU_ASSERT_EQUAL(r.term_signal, 0);
    CU_ASSERT_FALSE(r.cache_unknown);
    CU_ASSERT_EQUAL(r.sim.hits, 400);
    CU_ASSERT_DOUBLE_EQUAL(r.elapsed_s, 2.0, 1e-9);
}

static void
subject_failing_its_stop_is_a_crash_or_hung(void)
{
    gr_trial_result r;
    run_fake(fake_subject_bad_stop, &r);
    CU_ASSERT_EQUAL(r.outcome, GR_TRIAL_CRASH);
    CU_ASSERT_EQUAL(r.exit_status, 3);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.message, "when stopped"));
    run_fake(fake_subject_stubborn, &r);
    CU_ASSERT_EQUAL(r.outcome, GR_TRIAL_HUNG);
    CU_ASSERT_EQUAL(r.term_signal, SIGKILL);
}

static void
unknown_counters_are_null_in_json_and_na_in_the_summary(void)
{
    gr_campaign c;
    gr_campaign_init(&c);
    c.variant = "gomap";
    c.profile = "flood";
    c.via = "proxy";
    c.workload = fake_subject_fatal;
    c.trials = 2;
    c.trial_duration_ns = 1000000000;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    c.out = f;
    gr_campaign_summary sum;
    CU_ASSERT_EQUAL_FATAL(gr_campaign_run(&c, &sum), 0);
    fclose(f);
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"hits\":null"));
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"hit_ratio\":null"));
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"rss_max_kb\":null"));
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"exit_status\":2"));
    free(buf);
    CU_ASSERT_EQUAL(sum.failures, 2);
    CU_ASSERT_EQUAL(sum.requests, 1000);
    CU_ASSERT_TRUE(gr_campaign_hit_ratio(&sum) < 0); /* n/a, not 0 % */
    CU_ASSERT_DOUBLE_EQUAL(sum.ttf_median_s, 0.3, 1e-9);

    c.workload = fake_subject_stopped;
    c.out = NULL; /* closed above */
    CU_ASSERT_EQUAL_FATAL(gr_campaign_run(&c, &sum), 0);
    CU_ASSERT_DOUBLE_EQUAL(gr_campaign_hit_ratio(&sum), 0.8, 1e-9);
    CU_ASSERT_TRUE(sum.rss_known);
    CU_ASSERT_EQUAL(sum.rss_max_kb, 4096);
}

static CU_TestInfo tests[] = {
    GR_TEST(subject_killed_by_a_signal_is_a_crash_at_its_death),
    GR_TEST(subject_with_go_fatal_error_is_fatal_with_its_status),
    GR_TEST(subject_exiting_without_message_before_the_end_is_a_crash),
    GR_TEST(subject_exiting_cleanly_before_the_end_is_an_error_not_a_survivor),
    GR_TEST(subject_stopped_by_sigterm_survives_with_known_counters),
    GR_TEST(subject_failing_its_stop_is_a_crash_or_hung),
    GR_TEST(unknown_counters_are_null_in_json_and_na_in_the_summary),
    GR_TEST_END};

GR_TEST_MAIN("trial_subject", tests, NULL, NULL)
