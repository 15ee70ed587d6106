/*
 * test_trial.c - the trial runner and the campaign loop with fake workloads:
 * a clean run, a Go-style fatal error, a crash by signal, a hang past the
 * deadline, a configuration error; JSON lines written and read back; shards
 * merged back into the unsharded trial set.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "georace/campaign.h"
#include "georace/jsonl.h"
#include "georace/merge.h"
#include "gr_test.h"

static void
fake_progress(const gr_sim_config *cfg, uint64_t i)
{
    if (!cfg->progress)
        return;
    gr_sim_progress p = {.elapsed_ns = (i + 1) * 1000000,
                         .requests = 100 * (i + 1),
                         .hits = 50 * (i + 1),
                         .misses = 50 * (i + 1),
                         .cache_len = 10 + i,
                         .rss_kb = 2048 + i};
    cfg->progress(&p, cfg->progress_ctx);
}

/* Survives; mismatches = seed % 2 so records carry the seed's mark. */
static int
fake_clean(const gr_sim_config *cfg, gr_sim_result *out, char *err, size_t errcap)
{
    (void)err, (void)errcap;
    for (uint64_t i = 0; i < 3; i++)
        fake_progress(cfg, i);
    memset(out, 0, sizeof *out);
    out->requests = 300;
    out->hits = 150;
    out->misses = 150;
    out->mismatches = cfg->seed % 2;
    out->elapsed_ns = 3000000;
    out->cache_len_max = 12;
    out->rss_max_kb = 2050;
    return 0;
}

static int
fake_fatal(const gr_sim_config *cfg, gr_sim_result *out, char *err, size_t errcap)
{
    (void)out, (void)err, (void)errcap;
    fake_progress(cfg, 0);
    fprintf(stderr, "some noise\nfatal error: concurrent map writes\n\ngoroutine 7 [running]:\n");
    fflush(stderr);
    _exit(2);
}

static int
fake_abort(const gr_sim_config *cfg, gr_sim_result *out, char *err, size_t errcap)
{
    (void)cfg, (void)out, (void)err, (void)errcap;
    raise(SIGABRT); /* sanitizers leave SIGABRT alone (handle_abort=0) */
    return 0;
}

static int
fake_hang(const gr_sim_config *cfg, gr_sim_result *out, char *err, size_t errcap)
{
    (void)cfg, (void)out, (void)err, (void)errcap;
    for (;;)
        pause();
    return 0;
}

static int
fake_bad_config(const gr_sim_config *cfg, gr_sim_result *out, char *err, size_t errcap)
{
    (void)cfg, (void)out;
    snprintf(err, errcap, "unknown profile 'nope'");
    return -1;
}

static void
run_fake(gr_trial_workload_fn fn, gr_trial_result *r, uint64_t deadline_ns)
{
    gr_trial_spec spec;
    memset(&spec, 0, sizeof spec);
    spec.workload = fn;
    spec.sim.seed = 7;
    spec.deadline_ns = deadline_ns;
    CU_ASSERT_EQUAL_FATAL(gr_trial_run(&spec, r), 0);
}

static void
trial_that_finishes_is_survived_with_final_counters(void)
{
    gr_trial_result r;
    run_fake(fake_clean, &r, 0);
    CU_ASSERT_EQUAL(r.outcome, GR_TRIAL_SURVIVED);
    CU_ASSERT_FALSE(gr_trial_failed(&r));
    CU_ASSERT_TRUE(r.have_final);
    CU_ASSERT_EQUAL(r.sim.requests, 300);
    CU_ASSERT_EQUAL(r.sim.mismatches, 1);
    CU_ASSERT_EQUAL(r.samples, 3);
    CU_ASSERT_EQUAL(r.exit_status, 0);
}

static void
trial_with_go_fatal_error_records_message_and_status(void)
{
    gr_trial_result r;
    run_fake(fake_fatal, &r, 0);
    CU_ASSERT_EQUAL(r.outcome, GR_TRIAL_FATAL);
    CU_ASSERT_TRUE(gr_trial_failed(&r));
    CU_ASSERT_EQUAL(r.exit_status, 2);
    CU_ASSERT_STRING_EQUAL(r.message, "fatal error: concurrent map writes");
    CU_ASSERT_EQUAL(r.sim.requests, 100); /* from the last progress record */
    CU_ASSERT_TRUE(r.ttf_s >= 0);
}

static void
trial_killed_by_signal_is_a_crash(void)
{
    gr_trial_result r;
    run_fake(fake_abort, &r, 0);
    CU_ASSERT_EQUAL(r.outcome, GR_TRIAL_CRASH);
    CU_ASSERT_EQUAL(r.term_signal, SIGABRT);
    CU_ASSERT_EQUAL(r.exit_status, -1);
}

static void
trial_past_its_deadline_is_killed_as_hung(void)
{
    gr_trial_result r;
    run_fake(fake_hang, &r, 200000000);
    CU_ASSERT_EQUAL(r.outcome, GR_TRIAL_HUNG);
    CU_ASSERT_EQUAL(r.term_signal, SIGKILL);
}

static void
trial_with_bad_configuration_is_an_error_with_its_message(void)
{
    gr_trial_result r;
    run_fake(fake_bad_config, &r, 0);
    CU_ASSERT_EQUAL(r.outcome, GR_TRIAL_ERROR);
    CU_ASSERT_FALSE(gr_trial_failed(&r));
    CU_ASSERT_STRING_EQUAL(r.message, "unknown profile 'nope'");
}

static void
exec_trial_sees_sanitizer_report_on_stderr(void)
{
    char *argv[] = {"/bin/sh", "-c",
                    "echo '{\"requests\": 42, \"mismatches\": 0}'; "
                    "echo 'WARNING: ThreadSanitizer: data race (pid=123)' >&2; exit 66",
                    NULL};
    gr_trial_spec spec;
    memset(&spec, 0, sizeof spec);
    spec.exec_argv = argv;
    gr_trial_result r;
    CU_ASSERT_EQUAL_FATAL(gr_trial_run(&spec, &r), 0);
    CU_ASSERT_EQUAL(r.outcome, GR_TRIAL_RACE);
    CU_ASSERT_EQUAL(r.exit_status, 66);
    CU_ASSERT_STRING_EQUAL(r.message, "WARNING: ThreadSanitizer: data race");
    CU_ASSERT_TRUE(r.first_report_s >= 0.0);
    CU_ASSERT_EQUAL(r.sim.requests, 42);
}

static void
find_message_prefers_the_go_fatal_error(void)
{
    char msg[128];
    gr_trial_find_message("WARNING: ThreadSanitizer: data race (pid=9)\n"
                          "fatal error: concurrent map read and map write\n",
                          msg, sizeof msg);
    CU_ASSERT_STRING_EQUAL(msg, "fatal error: concurrent map read and map write");
    gr_trial_find_message("nothing here\n", msg, sizeof msg);
    CU_ASSERT_STRING_EQUAL(msg, "");
    /* the Go peer: an unrecovered panic is Go's own end too; the race
     * detector's report is a finding; "panic: " inside a line is not Go's */
    gr_trial_find_message("WARNING: DATA RACE\nWrite at 0x00c by goroutine 7:\n"
                          "panic: assignment to entry in nil map\n\ngoroutine 9 [running]:\n",
                          msg, sizeof msg);
    CU_ASSERT_STRING_EQUAL(msg, "panic: assignment to entry in nil map");
    gr_trial_find_message("==1==WARNING: DATA RACE\n", msg, sizeof msg);
    CU_ASSERT_STRING_EQUAL(msg, "WARNING: DATA RACE");
    gr_trial_find_message("mismatch: client said panic: no\n", msg, sizeof msg);
    CU_ASSERT_STRING_EQUAL(msg, "");
}

static void
seed_range_and_shard_parse_and_partition(void)
{
    uint64_t a, b;
    unsigned i, n;
    CU_ASSERT_EQUAL(gr_campaign_parse_seed_range("100-199", &a, &b), 0);
    CU_ASSERT_EQUAL(a, 100);
    CU_ASSERT_EQUAL(b, 199);
    CU_ASSERT_EQUAL(gr_campaign_parse_seed_range("5-4", &a, &b), -1);
    CU_ASSERT_EQUAL(gr_campaign_parse_seed_range("-4", &a, &b), -1);
    CU_ASSERT_EQUAL(gr_campaign_parse_seed_range("4", &a, &b), -1);
    CU_ASSERT_EQUAL(gr_campaign_parse_shard("2/3", &i, &n), 0);
    CU_ASSERT_EQUAL(i, 2);
    CU_ASSERT_EQUAL(n, 3);
    CU_ASSERT_EQUAL(gr_campaign_parse_shard("3/3", &i, &n), -1);
    CU_ASSERT_EQUAL(gr_campaign_parse_shard("0/0", &i, &n), -1);
    CU_ASSERT_EQUAL(gr_campaign_parse_shard("1/2x", &i, &n), -1);
    /* every trial of 0..99 belongs to exactly one of 7 shards */
    for (uint64_t k = 0; k < 100; k++) {
        int owners = 0;
        for (unsigned s = 0; s < 7; s++)
            owners += gr_campaign_shard_owns(k, s, 7);
        CU_ASSERT_EQUAL(owners, 1);
    }
    uint64_t total = 0;
    for (unsigned s = 0; s < 7; s++)
        total += gr_campaign_shard_size(100, s, 7);
    CU_ASSERT_EQUAL(total, 100);
    CU_ASSERT_EQUAL(gr_campaign_seed(100, 5), 105);
}

static void
run_campaign_to(const char *path, unsigned shard, unsigned count, gr_campaign_summary *sum)
{
    gr_campaign c;
    gr_campaign_init(&c);
    c.variant = "mutex";
    c.profile = "fake";
    c.workload = fake_clean;
    c.seed_first = 1000;
    c.trials = 9;
    c.trial_duration_ns = 1000000000;
    c.shard_index = shard;
    c.shard_count = count;
    c.out = fopen(path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(c.out);
    CU_ASSERT_EQUAL(gr_campaign_run(&c, sum), 0);
    fclose(c.out);
}

struct seeds {
    int trials, samples, jobs;
    uint64_t seed_sum;
};

static int
collect(json_t *o, void *ctx)
{
    struct seeds *s = ctx;
    if (gr_jsonl_is(o, "trial")) {
        s->trials++;
        s->seed_sum += (uint64_t)gr_jsonl_num(o, "seed", 0);
        CU_ASSERT_EQUAL((uint64_t)gr_jsonl_num(o, "mismatches", -1),
                        (uint64_t)gr_jsonl_num(o, "seed", 0) % 2);
        CU_ASSERT_STRING_EQUAL(gr_jsonl_str(o, "outcome", ""), "survived");
    } else if (gr_jsonl_is(o, "sample")) {
        s->samples++;
    } else if (gr_jsonl_is(o, "job")) {
        s->jobs++;
    }
    return 0;
}

static void
merged_shards_equal_the_unsharded_trial_set(void)
{
    char dir[] = "/tmp/georace-stress-test-XXXXXX";
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    char all[256], s0[256], s1[256], merged[256];
    snprintf(all, sizeof all, "%s/all.jsonl", dir);
    snprintf(s0, sizeof s0, "%s/s0.jsonl", dir);
    snprintf(s1, sizeof s1, "%s/s1.jsonl", dir);
    snprintf(merged, sizeof merged, "%s/merged.jsonl", dir);
    gr_campaign_summary sum_all, sum0, sum1;
    run_campaign_to(all, 0, 1, &sum_all);
    run_campaign_to(s0, 0, 2, &sum0);
    run_campaign_to(s1, 1, 2, &sum1);
    CU_ASSERT_EQUAL(sum_all.trials, 9);
    CU_ASSERT_EQUAL(sum0.trials, 5);
    CU_ASSERT_EQUAL(sum1.trials, 4);
    CU_ASSERT_EQUAL(sum_all.mismatches, 4); /* seeds 1001, 1003, 1005, 1007 */
    CU_ASSERT_EQUAL(sum_all.failures, 0);

    /* merge the shards plus a duplicate of shard 0 */
    const char *paths[] = {s0, s1, s0};
    FILE *out = fopen(merged, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(out);
    gr_merge_stats st;
    char err[256];
    CU_ASSERT_EQUAL(gr_merge_files(paths, 3, out, &st, err, sizeof err), 0);
    fclose(out);
    CU_ASSERT_EQUAL(st.trials, 9);
    CU_ASSERT_EQUAL(st.duplicates, 5);
    CU_ASSERT_EQUAL(st.jobs, 2);

    struct seeds a = {0}, m = {0};
    CU_ASSERT_EQUAL(gr_jsonl_read(all, collect, &a, err, sizeof err), 0);
    CU_ASSERT_EQUAL(gr_jsonl_read(merged, collect, &m, err, sizeof err), 0);
    CU_ASSERT_EQUAL(a.trials, 9);
    CU_ASSERT_EQUAL(m.trials, a.trials);
    CU_ASSERT_EQUAL(m.seed_sum, a.seed_sum);
    CU_ASSERT_EQUAL(m.samples, a.samples);
    CU_ASSERT_EQUAL(a.samples, 27);
    CU_ASSERT_EQUAL(m.jobs, 2);
    unlink(all), unlink(s0), unlink(s1), unlink(merged);
    rmdir(dir);
}

static int
count_lines(json_t *o, void *ctx)
{
    (void)o;
    (*(int *)ctx)++;
    return 0;
}

static void
jsonl_reader_names_the_malformed_line(void)
{
    char path[] = "/tmp/georace-jsonl-XXXXXX";
    int fd = mkstemp(path);
    CU_ASSERT_FATAL(fd >= 0);
    FILE *f = fdopen(fd, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    json_t *o = json_pack("{s:s, s:i}", "type", "trial", "seed", 3);
    CU_ASSERT_EQUAL(gr_jsonl_write(f, o), 0);
    json_decref(o);
    fputs("\n{\"type\": \"job\"}\n{broken\n", f);
    fclose(f);
    int n = 0;
    char err[256] = "";
    CU_ASSERT_EQUAL(gr_jsonl_read(path, count_lines, &n, err, sizeof err), -2);
    CU_ASSERT_EQUAL(n, 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, ":4:"));
    CU_ASSERT_EQUAL(gr_jsonl_read("/nonexistent/x.jsonl", count_lines, &n, err, sizeof err), -1);
    unlink(path);
}

/* What a writer killed mid-line leaves: a last line with no newline. It is
 * skipped and named, every line before it counts; a line that does not
 * parse and does end in a newline is still malformed. */
static void
jsonl_reader_skips_a_torn_last_line_and_keeps_the_rest(void)
{
    char path[] = "/tmp/georace-jsonl-XXXXXX";
    int fd = mkstemp(path);
    CU_ASSERT_FATAL(fd >= 0);
    FILE *f = fdopen(fd, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs("{\"type\": \"job\"}\n{\"type\": \"trial\", \"seed\": 1}\n{\"type\": \"tri", f);
    fclose(f);
    int n = 0;
    char err[256] = "";
    CU_ASSERT_EQUAL(gr_jsonl_read(path, count_lines, &n, err, sizeof err), GR_JSONL_TORN);
    CU_ASSERT_EQUAL(n, 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, ":3: last line cut short"));
    f = fopen(path, "a");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs("\n", f);
    fclose(f);
    n = 0;
    CU_ASSERT_EQUAL(gr_jsonl_read(path, count_lines, &n, err, sizeof err), -2);
    CU_ASSERT_EQUAL(n, 2);
    unlink(path);
}

static CU_TestInfo tests[] = {GR_TEST(trial_that_finishes_is_survived_with_final_counters),
                              GR_TEST(trial_with_go_fatal_error_records_message_and_status),
                              GR_TEST(trial_killed_by_signal_is_a_crash),
                              GR_TEST(trial_past_its_deadline_is_killed_as_hung),
                              GR_TEST(trial_with_bad_configuration_is_an_error_with_its_message),
                              GR_TEST(exec_trial_sees_sanitizer_report_on_stderr),
                              GR_TEST(find_message_prefers_the_go_fatal_error),
                              GR_TEST(seed_range_and_shard_parse_and_partition),
                              GR_TEST(merged_shards_equal_the_unsharded_trial_set),
                              GR_TEST(jsonl_reader_names_the_malformed_line),
                              GR_TEST(jsonl_reader_skips_a_torn_last_line_and_keeps_the_rest),
                              GR_TEST_END};

GR_TEST_MAIN("trial", tests, NULL, NULL)
