/*
 * viaproxy.c - see viaproxy.h. Runs inside a trial's child process, which
 * starts three children of its own (viaproxy_children.h):
 *   1. the upstream on 127.0.0.1:0, read the bound address it reports
 *   2. the proxy on 127.0.0.1:0 in front of it, same
 *   3. load against the proxy for the trial's duration; meanwhile one poll()
 *      loop collects the load's report (its result) and watches a pidfd of
 *      the proxy, so the proxy's death is seen when it happens (waitpid), and
 *      samples the proxy's RSS from /proc/PID/status
 *   4. the proxy's counters from GET /metrics on its metrics listener, if
 *      it is still alive
 *   5. SIGTERM to proxy and upstream, reap them
 *   6. the proxy's end (wait status, time, what is unknown) goes to the
 *      trial runner as a subject record (trial.h), which judges the trial by it
 * Requests, mismatches and request errors come from the load generator's
 * result (it checks every answer against ground truth); hits, misses,
 * clears and the cache length from the proxy's metrics.
 *
 * The cache gauge of a buggy variant is a plain read racing with its
 * writers: it is scraped mid-trial only for the fixed variants, and at the
 * end (traffic stopped, only the clear ticker left) except in a
 * ThreadSanitizer build, where that read would be reported as a race of its
 * own; the counters are then unknown.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "georace/cache.h"
#include "georace/clock.h"
#include "georace/scrape.h"
#include "georace/trial.h"
#include "georace/viaproxy.h"
#include "viaproxy_children.h"

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

/* Collect the load generator's report until its pipe closes, watching the
 * proxy meanwhile; a load still running long after the proxy died is
 * killed. The bytes read, NUL-terminated, their count in *len. */
static char *
gr_viaproxy_follow(struct gr_viaproxy_watch *w, pid_t ld, int fd, size_t *len_out)
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
    *len_out = len;
    return text;
}

/* The load generator's counters into the trial's result. */
static void
gr_viaproxy_take_load(const gr_load_result *r, gr_sim_result *out)
{
    out->requests = r->requests;
    out->mismatches = r->mismatches;
    for (int k = 0; k < GR_LOAD_ERR_COUNT; k++)
        out->errors += r->errors[k];
    out->req_per_s = r->req_per_s;
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

/* SIGTERM to the servers that started, and reap them. */
static void
gr_viaproxy_stop_servers(pid_t px, pid_t up)
{
    int st;
    gr_viaproxy_stop(px, &st);
    gr_viaproxy_stop(up, &st);
}

int
gr_viaproxy_run(const gr_sim_config *cfg, gr_sim_result *out, char *err, size_t errcap)
{
    memset(out, 0, sizeof *out);
    char up_addr[128], px_addr[128], target[160];
    int up_fd = -1, px_fd = -1, st = 0;
    pid_t up = gr_viaproxy_start_upstream(&up_fd);
    if (up < 0 || gr_viaproxy_read_address(up_fd, up_addr, sizeof up_addr)) {
        snprintf(err, errcap, "the upstream did not start");
        gr_viaproxy_stop_servers(-1, up);
        return -1;
    }
    pid_t px = gr_viaproxy_start_proxy(cfg, up_addr, &px_fd);
    if (px < 0 || gr_viaproxy_read_address(px_fd, px_addr, sizeof px_addr)) {
        snprintf(err, errcap, "the proxy did not start");
        gr_viaproxy_stop_servers(px, up);
        return -1;
    }
    char *metrics_addr = strchr(px_addr, ' '); /* the proxy reports "PROXY METRICS" */
    if (!metrics_addr) {
        snprintf(err, errcap, "the proxy reported no metrics address");
        gr_viaproxy_stop_servers(px, up);
        return -1;
    }
    *metrics_addr++ = '\0';
    snprintf(target, sizeof target, "http://%s/", px_addr);

    struct gr_viaproxy_watch w;
    memset(&w, 0, sizeof w);
    w.cfg = cfg;
    w.addr = metrics_addr;
    w.px = px;
    w.pidfd = pidfd_open(px, 0);
    w.live_metrics = !gr_cache_variant_is_buggy(cfg->variant);
    w.t0 = gr_clock_now_ns();
    int ld_fd = -1;
    pid_t ld = gr_viaproxy_start_load(cfg, target, &ld_fd);
    gr_viaproxy_sample(&w, true); /* t = 0: the runner's origin of time */
    char *report = NULL;
    size_t report_len = 0;
    if (ld > 0) {
        report = gr_viaproxy_follow(&w, ld, ld_fd, &report_len);
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
    gr_load_result r;
    int rc = gr_viaproxy_load_report(report, report_len, &r);
    free(report);
    if (rc)
        snprintf(err, errcap, "the load generator reported no result");
    else
        gr_viaproxy_take_load(&r, out);
    return rc;
}
