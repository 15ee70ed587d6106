/*
 * viaproxy.c - see viaproxy.h. Runs inside a trial's child process:
 *   1. upstream on 127.0.0.1:0, read the bound address from its stdout
 *   2. proxy on 127.0.0.1:0 in front of it, same
 *   3. load against the proxy for the trial's duration, JSON summary parsed
 *   4. SIGTERM to proxy and upstream, reap them
 * Counters come from the load generator's summary (it checks every answer
 * against ground truth); the proxy's own death is seen on stderr.
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
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "georace/viaproxy.h"

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

static void
gr_viaproxy_stop(pid_t pid, int *status)
{
    if (pid <= 0)
        return;
    kill(pid, SIGTERM);
    for (int i = 0; i < 100; i++) {
        if (waitpid(pid, status, WNOHANG) == pid)
            return;
        usleep(50000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, status, 0);
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
    int ld_fd = -1;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid_t ld = gr_viaproxy_spawn((char *const *)ld_argv, &ld_fd);
    char *text = NULL;
    size_t len = 0;
    if (ld > 0) {
        FILE *f = fdopen(ld_fd, "r");
        char chunk[4096];
        size_t got;
        while (f && (got = fread(chunk, 1, sizeof chunk, f)) > 0) {
            char *p = realloc(text, len + got + 1);
            if (!p)
                break;
            text = p;
            memcpy(text + len, chunk, got);
            len += got;
            text[len] = '\0';
        }
        if (f)
            fclose(f);
        waitpid(ld, &st, 0);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    gr_viaproxy_stop(px, &st);
    gr_viaproxy_stop(up, &st);
    close(px_fd), close(up_fd);
    out->elapsed_ns =
        (uint64_t)(t1.tv_sec - t0.tv_sec) * 1000000000ull + (uint64_t)(t1.tv_nsec - t0.tv_nsec);
    json_error_t jerr;
    json_t *o = text && strchr(text, '{') ? json_loads(strchr(text, '{'), 0, &jerr) : NULL;
    free(text);
    if (!json_is_object(o)) {
        json_decref(o);
        snprintf(err, errcap, "the load generator printed no JSON summary");
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
