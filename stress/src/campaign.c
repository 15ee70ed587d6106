/*
 * campaign.c - the trial loop of a stress job: seeds, shards, time budget,
 * JSON lines and the running summary.
 *
 * Single-threaded: each trial is a child process (trial.c), and the parent
 * only aggregates its progress records between trials.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "georace/campaign.h"
#include "georace/hostload.h"
#include "georace/jsonl.h"
#include "georace/rate.h"

int
gr_campaign_parse_seed_range(const char *s, uint64_t *first, uint64_t *last)
{
    char *end;
    if (!s || *s < '0' || *s > '9')
        return -1;
    errno = 0;
    unsigned long long a = strtoull(s, &end, 10);
    if (errno || *end != '-' || end[1] < '0' || end[1] > '9')
        return -1;
    unsigned long long b = strtoull(end + 1, &end, 10);
    if (errno || *end || b < a)
        return -1;
    *first = a;
    *last = b;
    return 0;
}

int
gr_campaign_parse_shard(const char *s, unsigned *index, unsigned *count)
{
    char *end;
    if (!s || *s < '0' || *s > '9')
        return -1;
    errno = 0;
    unsigned long i = strtoul(s, &end, 10);
    if (errno || *end != '/' || end[1] < '0' || end[1] > '9')
        return -1;
    unsigned long n = strtoul(end + 1, &end, 10);
    if (errno || *end || n == 0 || n > 1000000 || i >= n)
        return -1;
    *index = (unsigned)i;
    *count = (unsigned)n;
    return 0;
}

uint64_t
gr_campaign_shard_size(uint64_t total, unsigned index, unsigned count)
{
    if (count <= 1)
        return total;
    return total / count + (index < total % count ? 1 : 0);
}

void
gr_campaign_init(gr_campaign *c)
{
    memset(c, 0, sizeof *c);
    c->via = "sim";
    c->shard_count = 1;
    c->write_samples = true;
}

double
gr_campaign_hit_ratio(const gr_campaign_summary *s)
{
    return s->hit_requests ? (double)s->hits / (double)s->hit_requests : -1;
}

static double
gr_campaign_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The machine a trial ran on: free parallelism decides how often a race
 * can fire, so every trial carries the 1-minute load average at its start,
 * the CPU count, the cores left to it by other work while it ran (measured,
 * hostload.h), its own CPU time, the controlled background load (busy
 * burner processes), and
 * a C trial its worker threads (a Go trial has GOMAXPROCS instead). */
static void
gr_campaign_record_host(const gr_campaign *c, json_t *o, double load_at_start,
                        const gr_hostload_snap *before, const gr_hostload_snap *after)
{
    double free_cores = gr_hostload_free_cores(before, after, gr_hostload_cpus());
    /* the trial's own CPU time (its process tree, reaped): with the misses,
     * what one miss cost */
    json_object_set_new(o, "cpu_s", json_real(after->children_s - before->children_s));
    if (!json_object_get(o, "loadavg1"))
        json_object_set_new(o, "loadavg1",
                            load_at_start < 0 ? json_null() : json_real(load_at_start));
    if (!json_object_get(o, "numcpu")) {
        int cpus = gr_hostload_cpus();
        json_object_set_new(o, "numcpu", cpus < 0 ? json_null() : json_integer(cpus));
    }
    json_object_set_new(o, "free_cores", free_cores < 0 ? json_null() : json_real(free_cores));
    json_object_set_new(o, "background_load", json_integer((json_int_t)c->background_load));
    if (!c->subject)
        json_object_set_new(o, "threads", json_integer((json_int_t)c->sim.threads));
}

/* The sanitizer this binary was built with: a ThreadSanitizer campaign's
 * times are times to the first report, not to Go's fatal error. */
#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define GR_CAMPAIGN_BUILD "tsan"
#elif __has_feature(address_sanitizer)
#define GR_CAMPAIGN_BUILD "asan"
#endif
#endif
#ifndef GR_CAMPAIGN_BUILD
#if defined(__SANITIZE_THREAD__)
#define GR_CAMPAIGN_BUILD "tsan"
#elif defined(__SANITIZE_ADDRESS__)
#define GR_CAMPAIGN_BUILD "asan"
#else
#define GR_CAMPAIGN_BUILD "default"
#endif
#endif

json_t *
gr_campaign_job_json(const gr_campaign *c)
{
    char shard[32];
    snprintf(shard, sizeof shard, "%u/%u", c->shard_index, c->shard_count ? c->shard_count : 1);
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:I, s:s, s:I, s:f, s:f, s:i}", "type", "job",
                          "variant", c->variant, "profile", c->profile ? c->profile : "", "via",
                          c->via ? c->via : "sim", "seed_first", (json_int_t)c->seed_first, "shard",
                          shard, "trials", (json_int_t)c->trials, "duration_s",
                          (double)c->duration_ns / 1e9, "trial_duration_s",
                          (double)c->trial_duration_ns / 1e9, "threads", (int)c->sim.threads);
    if (c->has_seed_last)
        json_object_set_new(o, "seed_last", json_integer((json_int_t)c->seed_last));
    json_object_set_new(o, "window_ns", json_integer((json_int_t)c->sim.cache.window_ns));
    json_object_set_new(o, "detector", json_boolean(c->sim.cache.detector));
    json_object_set_new(o, "miss_cost_ns", json_integer((json_int_t)c->sim.miss_cost_ns));
    json_object_set_new(o, "cache_clear_s", json_real((double)c->sim.clear_interval_ns / 1e9));
    json_object_set_new(o, "rate", json_real(c->sim.rate));
    if (c->subject)
        json_object_set_new(o, "subject", json_string(c->subject));
    if (c->subject && c->gomaxprocs)
        json_object_set_new(o, "gomaxprocs", json_integer((json_int_t)c->gomaxprocs));
    json_object_set_new(o, "background_load", json_integer((json_int_t)c->background_load));
    json_object_set_new(o, "build", json_string(GR_CAMPAIGN_BUILD));
    time_t now = time(NULL);
    struct tm tm;
    char when[32];
    gmtime_r(&now, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    json_object_set_new(o, "started", json_string(when));
    return o;
}

json_t *
gr_campaign_summary_json(const gr_campaign *c, const gr_campaign_summary *s)
{
    json_t *msgs = json_array();
    for (int i = 0; i < s->n_messages; i++)
        json_array_append_new(msgs, json_string(s->messages[i]));
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:f, s:f, s:o}", "type",
                          "summary", "variant", c->variant, "profile", c->profile, "via", c->via,
                          "trials", (json_int_t)s->trials, "failures", (json_int_t)s->failures,
                          "mismatches", (json_int_t)s->mismatches, "errors", (json_int_t)s->errors,
                          "requests", (json_int_t)s->requests, "elapsed_s", s->elapsed_s,
                          "exposure_s", s->exposure_s, "messages", msgs);
    json_t *outc = json_object();
    for (int i = 0; i <= GR_TRIAL_ERROR; i++)
        json_object_set_new(outc, gr_trial_outcome_name((gr_trial_outcome)i),
                            json_integer((json_int_t)s->by_outcome[i]));
    json_object_set_new(o, "outcomes", outc);
    if (s->failures) {
        json_object_set_new(o, "ttf_median_s", json_real(s->ttf_median_s));
        json_object_set_new(o, "ttf_min_s", json_real(s->ttf_min_s));
        json_object_set_new(o, "ttf_max_s", json_real(s->ttf_max_s));
    }
    json_object_set_new(o, "cache_len_max", json_integer((json_int_t)s->cache_len_max));
    json_object_set_new(o, "rss_max_kb",
                        s->rss_known ? json_integer((json_int_t)s->rss_max_kb) : json_null());
    double hr = gr_campaign_hit_ratio(s);
    json_object_set_new(o, "hit_ratio", hr < 0 ? json_null() : json_real(hr));
    if (c->subject)
        json_object_set_new(o, "subject", json_string(c->subject));
    return o;
}

/* Sample handler state: one trial's view of the campaign. */
struct gr_campaign_run_state {
    const gr_campaign *c;
    gr_campaign_summary *sum;
    gr_campaign_status st;
    double t0;
    uint64_t k, seed;
    uint64_t prev_requests;
    double prev_t;
    gr_rate_ewma rate; /* the progress line's rate, across trials */
    double *ttfs;
    size_t n_ttfs, cap_ttfs;
    double offset_hint_s; /* child start-up time seen in the last trial */
};

static void
gr_campaign_eta(struct gr_campaign_run_state *s)
{
    const gr_campaign *c = s->c;
    s->st.elapsed_s = gr_campaign_now() - s->t0;
    if (c->trials == 0) {
        double left = (double)c->duration_ns / 1e9 - s->st.elapsed_s;
        s->st.eta_s = left > 0 ? left : 0;
    } else if (s->st.trials_done > 0) {
        double per = s->st.elapsed_s / (double)s->st.trials_done;
        s->st.eta_s = per * (double)(s->st.trials_planned - s->st.trials_done);
    } else {
        s->st.eta_s = -1;
    }
}

static void
gr_campaign_on_sample(const gr_sim_progress *p, void *ctx)
{
    struct gr_campaign_run_state *s = ctx;
    double t = (double)p->elapsed_ns / 1e9;
    double rps = 0;
    if (t > s->prev_t && p->requests >= s->prev_requests)
        rps = (double)(p->requests - s->prev_requests) / (t - s->prev_t);
    s->st.req_per_s = gr_rate_ewma_add(&s->rate, rps, t - s->prev_t);
    s->prev_t = t;
    s->prev_requests = p->requests;
    if (s->c->out && s->c->write_samples) {
        gr_jsonl_trial_id id = {s->c->variant, s->c->profile, s->c->via,
                                s->seed,       s->k,          s->c->subject};
        json_t *o = gr_jsonl_sample(&id, p, rps);
        gr_jsonl_write(s->c->out, o);
        json_decref(o);
    }
    if (p->rss_kb > s->sum->rss_max_kb)
        s->sum->rss_max_kb = p->rss_kb;
    if (p->cache_len > s->sum->cache_len_max)
        s->sum->cache_len_max = p->cache_len;
    s->st.hit_ratio = p->requests ? (double)p->hits / (double)p->requests : 0;
    s->st.cache_len = p->cache_len;
    s->st.rss_kb = p->rss_kb;
    gr_campaign_eta(s);
    if (s->c->on_status)
        s->c->on_status(&s->st, false, s->c->ctx);
}

static int
gr_campaign_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void
gr_campaign_note_message(gr_campaign_summary *sum, const char *msg)
{
    if (!msg[0])
        return;
    for (int i = 0; i < sum->n_messages; i++)
        if (!strncmp(sum->messages[i], msg, sizeof sum->messages[i] - 1))
            return;
    if (sum->n_messages < 4)
        snprintf(sum->messages[sum->n_messages++], sizeof sum->messages[0], "%s", msg);
}

static void
gr_campaign_account(struct gr_campaign_run_state *s, const gr_trial_result *r)
{
    gr_campaign_summary *sum = s->sum;
    sum->trials++;
    sum->by_outcome[r->outcome]++;
    sum->mismatches += r->sim.mismatches;
    sum->errors += r->sim.errors;
    sum->requests += r->sim.requests;
    sum->exposure_s += r->elapsed_s;
    if (!r->cache_unknown) {
        sum->hits += r->sim.hits;
        sum->hit_requests += r->sim.requests;
        if (r->sim.cache_len_max > sum->cache_len_max)
            sum->cache_len_max = r->sim.cache_len_max;
    }
    if (!r->rss_unknown) {
        sum->rss_known = true;
        if (r->sim.rss_max_kb > sum->rss_max_kb)
            sum->rss_max_kb = r->sim.rss_max_kb;
    }
    if (r->first_report_s >= 0 &&
        (sum->first_report_min_s < 0 || r->first_report_s < sum->first_report_min_s))
        sum->first_report_min_s = r->first_report_s;
    if (gr_trial_failed(r) || r->outcome == GR_TRIAL_ERROR)
        gr_campaign_note_message(sum, r->message);
    if (!gr_trial_failed(r))
        return;
    sum->failures++;
    if (s->n_ttfs == s->cap_ttfs) {
        size_t cap = s->cap_ttfs ? s->cap_ttfs * 2 : 64;
        double *p = realloc(s->ttfs, cap * sizeof *p);
        if (!p)
            return;
        s->ttfs = p;
        s->cap_ttfs = cap;
    }
    s->ttfs[s->n_ttfs++] = r->ttf_s;
}

static void
gr_campaign_finish(struct gr_campaign_run_state *s)
{
    gr_campaign_summary *sum = s->sum;
    sum->elapsed_s = gr_campaign_now() - s->t0;
    sum->ttf_median_s = sum->ttf_max_s = sum->ttf_min_s = -1;
    if (s->n_ttfs) {
        qsort(s->ttfs, s->n_ttfs, sizeof *s->ttfs, gr_campaign_cmp_double);
        size_t n = s->n_ttfs;
        sum->ttf_median_s = n % 2 ? s->ttfs[n / 2] : (s->ttfs[n / 2 - 1] + s->ttfs[n / 2]) / 2;
        sum->ttf_min_s = s->ttfs[0];
        sum->ttf_max_s = s->ttfs[n - 1];
    }
    free(s->ttfs);
}

int
gr_campaign_run(const gr_campaign *c, gr_campaign_summary *sum)
{
    memset(sum, 0, sizeof *sum);
    sum->first_report_min_s = -1;
    struct gr_campaign_run_state s;
    memset(&s, 0, sizeof s);
    s.c = c;
    s.sum = sum;
    s.t0 = gr_campaign_now();
    gr_rate_ewma_init(&s.rate, GR_CAMPAIGN_RATE_TAU_S);
    unsigned count = c->shard_count ? c->shard_count : 1;
    uint64_t limit = c->trials;
    if (c->has_seed_last) {
        uint64_t span = c->seed_last - c->seed_first + 1;
        if (limit == 0 || span < limit)
            limit = span;
    }
    s.st.trials_planned = c->trials ? gr_campaign_shard_size(limit, c->shard_index, count) : 0;
    if (c->out) {
        json_t *job = gr_campaign_job_json(c);
        gr_jsonl_write(c->out, job);
        json_decref(job);
    }
    int started = 0;
    for (uint64_t k = 0; limit == 0 || k < limit; k++) {
        if (!gr_campaign_shard_owns(k, c->shard_index, count))
            continue;
        double elapsed = gr_campaign_now() - s.t0;
        uint64_t td = c->trial_duration_ns;
        if (c->trials == 0) {
            double left = (double)c->duration_ns / 1e9 - elapsed;
            if (left < 0.05)
                break;
            uint64_t left_ns = (uint64_t)(left * 1e9);
            if (td == 0 || td > left_ns)
                td = left_ns;
        }
        gr_trial_spec spec;
        memset(&spec, 0, sizeof spec);
        spec.workload = c->workload;
        spec.sim = c->sim;
        s.k = k;
        s.seed = gr_campaign_seed(c->seed_first, k);
        spec.sim.seed = s.seed;
        spec.sim.duration_ns = td;
        spec.sample_interval_ns = c->sample_interval_ns ? c->sample_interval_ns : 250000000;
        spec.deadline_ns = td ? td + 30000000000ull : 0;
        spec.start_offset_hint_s = s.offset_hint_s;
        spec.on_sample = gr_campaign_on_sample;
        spec.sample_ctx = &s;
        s.prev_requests = 0;
        s.prev_t = 0;
        s.st.trial_index = k;
        double load_at_start = gr_hostload_avg1();
        gr_hostload_snap before, after;
        gr_hostload_snapshot(&before);
        gr_trial_result r;
        int trc = gr_trial_run(&spec, &r);
        gr_hostload_snapshot(&after);
        if (trc) {
            if (!started)
                return -1;
            break;
        }
        started = 1;
        if (r.start_offset_measured)
            s.offset_hint_s = r.start_offset_s;
        gr_campaign_account(&s, &r);
        if (c->out) {
            gr_jsonl_trial_id id = {c->variant, c->profile, c->via, s.seed, k, c->subject};
            json_t *o = gr_jsonl_trial(&id, &r);
            gr_campaign_record_host(c, o, load_at_start, &before, &after);
            gr_jsonl_write(c->out, o);
            json_decref(o);
        }
        s.st.trials_done++;
        s.st.failures = sum->failures;
        s.st.mismatches = sum->mismatches;
        gr_campaign_eta(&s);
        if (c->on_trial)
            c->on_trial(k, s.seed, &r, c->ctx);
        if (c->on_status)
            c->on_status(&s.st, true, c->ctx);
    }
    gr_campaign_finish(&s);
    return 0;
}
