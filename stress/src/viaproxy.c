/*
 * viaproxy.c - see viaproxy.h. Runs inside a trial's child process:
 *   1. upstream on 127.0.0.1:0, read the bound address from its stdout
 *   2. proxy on 127.0.0.1:0 in front of it, same
 *   3. load against the proxy for the trial's duration; meanwhile one poll()
 *      loop watches the load's stdout (its JSON summary) and a pidfd of the
 *      proxy, so the proxy's death is seen when it happens (waitpid), and
 *      samples the proxy's RSS from /proc/PID/status
 *   4. the proxy's counters from GET /-/metrics, if it is still alive
 *   5. SIGTERM to proxy and upstream, reap them
 *   6. the proxy's end (wait status, time, what is unknown) goes to the
 *      trial runner as a subject record (trial.h), which judges the trial by it
 * Requests, mismatches and request errors come from the load generator's
 * summary (it checks every answer against ground truth); hits, misses,
 * clears and the cache length from the proxy's metrics.
 *
 * The cache gauge of a buggy variant is a plain read racing with its
 * writers: it is scraped mid-trial only for the fixed variants, and at the
 * end (traffic stopped, only the clear ticker left) except in a
 * ThreadSanitizer build, where that read would be reported as a race of its
 * own; the counters are then unknown.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "georace/cache.h"
#include "georace/clock.h"
#include "georace/scrape.h"
#include "georace/trial.h"
#include "georace/viaproxy.h"

#if defined(__SANITIZE_THREAD__)
#define GR_VIAPROXY_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define GR_VIAPROXY_TSAN 1
#endif
#endif
#ifndef GR_VIAPROXY_TSAN
#define GR_VIAPROXY_TSAN 0
#endif

enum {
    GR_VIAPROXY_TICK_MS = 20,         /* RSS sampling and death polling without a pidfd */
    GR_VIAPROXY_LOAD_GRACE_MS = 5000, /* load still running after the proxy died */
    GR_VIAPROXY_SCRAPE_MS = 2000,     /* one metrics request */
    GR_VIAPROXY_STOP_TRIES = 100      /* x 50 ms after SIGTERM, then SIGKILL */
};

/* Start argv with stdout on a pipe; returns pid or -1. */
static pid_t
gr_viaproxy_spawn(char *const *argv, int *out_fd)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC))
        return -1;
    pid_t pid = fork();
    if (pid < 0) {
        close(p[0]), close(p[1]);
        return -1;
    }
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* dies with the trial */
        dup2(p[1], STDOUT_FILENO);
        execv(argv[0], argv);
        fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(p[1]);
    *out_fd = p[0];
    return pid;
}

/* Read stdout until "listening on ADDR" appears (10 s at most). */
static int
gr_viaproxy_address(int fd, char *addr, size_t cap)
{
    char buf[1024];
    size_t len = 0;
    for (int waited = 0; waited < 10000 && len < sizeof buf - 1;) {
        struct pollfd pf = {fd, POLLIN, 0};
        if (poll(&pf, 1, 100) <= 0) {
            waited += 100;
            continue;
        }
        ssize_t n = read(fd, buf + len, sizeof buf - 1 - len);
        if (n <= 0)
            return -1;
        len += (size_t)n;
        buf[len] = '\0';
        const char *p = strstr(buf, "listening on ");
        if (p && strchr(p, '\n')) {
            p += strlen("listening on ");
            size_t n2 = strcspn(p, " \n");
            if (n2 >= cap)
                return -1;
            memcpy(addr, p, n2);
            addr[n2] = '\0';
            return 0;
        }
    }
    return -1;
}

/* SIGTERM, then SIGKILL if it is still there after ~5 s; true if SIGKILL
 * was needed. */
static bool
gr_viaproxy_stop(pid_t pid, int *status)
{
    *status = 0;
    if (pid <= 0)
        return false;
    kill(pid, SIGTERM);
    for (int i = 0; i < GR_VIAPROXY_STOP_TRIES; i++) {
        if (waitpid(pid, status, WNOHANG) == pid)
            return false;
        usleep(10000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, status, 0);
    return true;
}

/* Resident set of a process in KiB (VmRSS), 0 if unknown (gone, zombie). */
static size_t
gr_viaproxy_rss_kb(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t kb = 0;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, "VmRSS:", 6)) {
            kb = (size_t)strtoull(line + 6, NULL, 10);
            break;
        }
    fclose(f);
    return kb;
}

/* The proxy as the trial watches it, times from the load's start. */
struct gr_viaproxy_watch {
    const gr_sim_config *cfg;
    const char *addr;
    pid_t px;
    int pidfd; /* readable when the proxy exits; -1: waitpid every tick only */
    uint64_t t0;
    gr_trial_subject subject;
    bool reaped;
    bool live_metrics; /* fixed variant: its metrics may be read mid-trial */
    size_t rss_max_kb;
    size_t cache_len_max;
    uint64_t next_progress_ns;
};

static uint64_t
gr_viaproxy_since(const struct gr_viaproxy_watch *w)
{
    return gr_clock_now_ns() - w->t0;
}

/* Reap the proxy if it has ended: its death, seen when it happens. */
static void
gr_viaproxy_check(struct gr_viaproxy_watch *w)
{
    int st;
    if (w->reaped || waitpid(w->px, &st, WNOHANG) != w->px)
        return;
    w->reaped = true;
    w->subject.died = true;
    w->subject.wait_status = st;
    w->subject.end_ns = gr_viaproxy_since(w);
}

/* RSS every tick; a progress record (with the live counters of a fixed
 * variant) every progress interval, or now when forced. */
static void
gr_viaproxy_sample(struct gr_viaproxy_watch *w, bool force)
{
    if (w->reaped)
        return;
    size_t rss = gr_viaproxy_rss_kb(w->px);
    if (rss > w->rss_max_kb)
        w->rss_max_kb = rss;
    const gr_sim_config *c = w->cfg;
    uint64_t now = gr_viaproxy_since(w);
    if (!c->progress || !c->progress_interval_ns || (!force && now < w->next_progress_ns))
        return;
    w->next_progress_ns += c->progress_interval_ns;
    if (w->next_progress_ns <= now)
        w->next_progress_ns = now + c->progress_interval_ns;
    gr_sim_progress p;
    memset(&p, 0, sizeof p);
    gr_scrape_metrics m;
    if (w->live_metrics && gr_scrape_get(w->addr, GR_VIAPROXY_SCRAPE_MS, &m) == 0) {
        p.requests = m.requests;
        p.hits = m.hits;
        p.misses = m.misses;
        p.clears = m.resets;
        p.cache_len = (size_t)m.entries;
        if (p.cache_len > w->cache_len_max)
            w->cache_len_max = p.cache_len;
    }
    p.elapsed_ns = now;
    p.rss_kb = rss;
    c->progress(&p, c->progress_ctx);
}

/* Collect the load generator's stdout until it closes, watching the proxy
 * meanwhile; a load still running long after the proxy died is killed. */
static char *
gr_viaproxy_follow(struct gr_viaproxy_watch *w, pid_t ld, int fd)
{
    char *text = NULL;
    size_t len = 0;
    bool load_killed = false;
    for (;;) {
        struct pollfd pf[2] = {{fd, POLLIN, 0}, {w->pidfd, POLLIN, 0}};
        nfds_t n = w->pidfd >= 0 && !w->reaped ? 2 : 1;
        int r = poll(pf, n, GR_VIAPROXY_TICK_MS);
        if (r < 0 && errno != EINTR)
            break;
        if (r > 0 && (pf[0].revents & (POLLIN | POLLHUP | POLLERR))) {
            char chunk[4096];
            ssize_t got = read(fd, chunk, sizeof chunk);
            if (got < 0 && errno != EINTR)
                break;
            if (got == 0)
                break;
            char *p = got > 0 ? realloc(text, len + (size_t)got + 1) : text;
            if (got > 0 && p) {
                text = p;
                memcpy(text + len, chunk, (size_t)got);
                len += (size_t)got;
                text[len] = '\0';
            }
        }
        gr_viaproxy_check(w);
        gr_viaproxy_sample(w, false);
        if (w->reaped && !load_killed &&
            gr_viaproxy_since(w) - w->subject.end_ns > GR_VIAPROXY_LOAD_GRACE_MS * 1000000ull) {
            kill(ld, SIGKILL);
            load_killed = true;
        }
    }
    return text;
}

static uint64_t
gr_viaproxy_u64(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_number(v) ? (uint64_t)json_number_value(v) : 0;
}

static void
gr_viaproxy_fmt(char *buf, size_t cap, const char *fmt, uint64_t v)
{
    snprintf(buf, cap, fmt, v);
}

/* The load generator's JSON summary into out; 0 or -1. */
static int
gr_viaproxy_load_summary(char *text, gr_sim_result *out)
{
    json_error_t jerr;
    json_t *o = text && strchr(text, '{') ? json_loads(strchr(text, '{'), 0, &jerr) : NULL;
    if (!json_is_object(o)) {
        json_decref(o);
        return -1;
    }
    out->requests = gr_viaproxy_u64(o, "requests");
    out->mismatches = gr_viaproxy_u64(o, "mismatches");
    json_t *errs = json_object_get(o, "errors");
    if (json_is_object(errs)) {
        const char *k;
        json_t *v;
        json_object_foreach(errs, k, v) out->errors +=
            json_is_number(v) ? (uint64_t)json_number_value(v) : 0;
    }
    json_t *rps = json_object_get(o, "req_per_s");
    out->req_per_s = json_is_number(rps) ? json_number_value(rps) : 0;
    json_decref(o);
    return 0;
}

/* After the load: the proxy's counters if it lives, then stop it. The
 * subject's end is the stop's start when it lived that long. */
static void
gr_viaproxy_finish(struct gr_viaproxy_watch *w, gr_sim_result *out)
{
    gr_scrape_metrics m;
    bool have_m = false;
    gr_viaproxy_check(w);
    if (!w->reaped && (w->live_metrics || !GR_VIAPROXY_TSAN))
        have_m = gr_scrape_get(w->addr, GR_VIAPROXY_SCRAPE_MS, &m) == 0;
    gr_viaproxy_check(w); /* it may have died while answering */
    if (!w->reaped) {
        gr_viaproxy_sample(w, false);
        w->subject.end_ns = gr_viaproxy_since(w);
        w->subject.stop_timed_out = gr_viaproxy_stop(w->px, &w->subject.wait_status);
        w->reaped = true;
    }
    if (have_m && !w->subject.died) {
        out->hits = m.hits;
        out->misses = m.misses;
        out->clears = m.resets;
        if (m.entries > w->cache_len_max)
            w->cache_len_max = (size_t)m.entries;
    } else {
        have_m = false;
    }
    out->cache_len_max = w->cache_len_max;
    out->rss_max_kb = w->rss_max_kb;
    w->subject.cache_unknown = !have_m;
    w->subject.rss_unknown = w->rss_max_kb == 0;
}

int
gr_viaproxy_run(const gr_sim_config *cfg, gr_sim_result *out, char *err, size_t errcap)
{
    memset(out, 0, sizeof *out);
    char self[4096];
    ssize_t sl = readlink("/proc/self/exe", self, sizeof self - 1);
    if (sl <= 0) {
        snprintf(err, errcap, "cannot locate the georace binary");
        return -1;
    }
    self[sl] = '\0';
    char up_addr[128], px_addr[128], upstream_opt[160], target[200];
    char workers[32], window[32], clear[48], dur[48], seed[32], conns[32], rate[48];
    int up_fd = -1, px_fd = -1, st = 0;
    char *up_argv[] = {self, "upstream", "--listen", "127.0.0.1:0", NULL};
    pid_t up = gr_viaproxy_spawn(up_argv, &up_fd);
    if (up < 0 || gr_viaproxy_address(up_fd, up_addr, sizeof up_addr)) {
        snprintf(err, errcap, "the upstream did not start");
        gr_viaproxy_stop(up, &st);
        return -1;
    }
    snprintf(upstream_opt, sizeof upstream_opt, "%s", up_addr);
    gr_viaproxy_fmt(workers, sizeof workers, "%" PRIu64, cfg->threads ? cfg->threads : 2);
    gr_viaproxy_fmt(window, sizeof window, "%" PRIu64, cfg->cache.window_ns);
    gr_viaproxy_fmt(clear, sizeof clear, "%" PRIu64 "ms", cfg->clear_interval_ns / 1000000);
    const char *px_argv[24] = {
        self,          "proxy",     "--listen",      "127.0.0.1:0", "--upstream",
        upstream_opt,  "--workers", workers,         "--variant",   cfg->variant,
        "--window-ns", window,      "--cache-clear", clear,         "--trusted-proxies",
        "127.0.0.0/8"};
    int n = 16;
    if (!cfg->cache.detector)
        px_argv[n++] = "--no-detector";
    if (cfg->block)
        px_argv[n++] = "--block", px_argv[n++] = cfg->block;
    px_argv[n] = NULL;
    pid_t px = gr_viaproxy_spawn((char *const *)px_argv, &px_fd);
    if (px < 0 || gr_viaproxy_address(px_fd, px_addr, sizeof px_addr)) {
        snprintf(err, errcap, "the proxy did not start");
        gr_viaproxy_stop(px, &st);
        gr_viaproxy_stop(up, &st);
        return -1;
    }
    snprintf(target, sizeof target, "http://%s/", px_addr);
    gr_viaproxy_fmt(dur, sizeof dur, "%" PRIu64 "ms",
                    cfg->duration_ns ? cfg->duration_ns / 1000000 : 10000);
    gr_viaproxy_fmt(seed, sizeof seed, "%" PRIu64, cfg->seed);
    gr_viaproxy_fmt(conns, sizeof conns, "%" PRIu64, cfg->threads ? 4ull * cfg->threads : 8);
    const char *ld_argv[20] = {
        self, "load",   "--target", target,          "--profile", cfg->profile, "--duration",
        dur,  "--seed", seed,       "--connections", conns,       "--json"};
    n = 13;
    if (cfg->rate > 0) {
        snprintf(rate, sizeof rate, "%.3f", cfg->rate);
        ld_argv[n++] = "--rate", ld_argv[n++] = rate;
    } else if (cfg->rate < 0) {
        ld_argv[n++] = "--rate", ld_argv[n++] = "profile";
    }
    ld_argv[n] = NULL;

    struct gr_viaproxy_watch w;
    memset(&w, 0, sizeof w);
    w.cfg = cfg;
    w.addr = px_addr;
    w.px = px;
    w.pidfd = pidfd_open(px, 0);
    w.live_metrics = !gr_cache_variant_is_buggy(cfg->variant);
    w.t0 = gr_clock_now_ns();
    int ld_fd = -1;
    pid_t ld = gr_viaproxy_spawn((char *const *)ld_argv, &ld_fd);
    gr_viaproxy_sample(&w, true); /* t = 0: the runner's origin of time */
    char *text = NULL;
    if (ld > 0) {
        text = gr_viaproxy_follow(&w, ld, ld_fd);
        close(ld_fd);
        waitpid(ld, &st, 0);
    }
    uint64_t load_ns = gr_viaproxy_since(&w);
    gr_viaproxy_finish(&w, out);
    gr_viaproxy_stop(up, &st);
    close(px_fd), close(up_fd);
    if (w.pidfd >= 0)
        close(w.pidfd);
    out->elapsed_ns = w.subject.died && w.subject.end_ns < load_ns ? w.subject.end_ns : load_ns;
    gr_trial_report_subject(&w.subject);
    int rc = gr_viaproxy_load_summary(text, out);
    free(text);
    if (rc)
        snprintf(err, errcap, "the load generator printed no JSON summary");
    return rc;
}
