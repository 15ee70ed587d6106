/*
 * viaproxy_children.c - see viaproxy_children.h. A child never returns into
 * the trial's code: it ends with exit() (so that a sanitizer's checks at
 * exit run as in any process) or _exit() when it could not start.
 *
 * The trial's process is single-threaded when it forks (its workload is a
 * poll() loop), so the child may start threads of its own. The servers
 * block SIGINT/SIGTERM before their workers start and wait for them
 * synchronously (signals.h): SIGTERM is a graceful stop and exit status 0,
 * like the 'georace proxy' and 'georace upstream' commands.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "georace/access.h"
#include "georace/defaultdb.h"
#include "georace/proxy.h"
#include "georace/requester.h"
#include "georace/signals.h"
#include "georace/upstream.h"
#include "viaproxy_children.h"

enum {
    GR_VIAPROXY_EXIT_USAGE = 64,  /* a configuration the library refused */
    GR_VIAPROXY_EXIT_UNAVAIL = 69 /* could not listen */
};

/* What a child runs: its configuration, and the pipe it reports on. */
typedef void (*gr_viaproxy_child_fn)(const void *arg, int report_fd);

/* Fork a child that runs fn(arg, fd) and never comes back. */
static pid_t
gr_viaproxy_fork(const char *name, gr_viaproxy_child_fn fn, const void *arg, int *fd)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC))
        return -1;
    fflush(NULL); /* nothing buffered is written twice */
    pid_t pid = fork();
    if (pid < 0) {
        close(p[0]), close(p[1]);
        return -1;
    }
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* dies with the trial */
        prctl(PR_SET_NAME, name);
        close(p[0]);
        fn(arg, p[1]);
        _exit(70); /* not reached: every child ends itself */
    }
    close(p[1]);
    *fd = p[0];
    return pid;
}

static void
gr_viaproxy_report(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return; /* the trial is gone */
        p += n;
        len -= (size_t)n;
    }
}

static void
gr_viaproxy_report_address(int fd, const char *addr)
{
    char line[256];
    int n = snprintf(line, sizeof line, "%s\n", addr);
    gr_viaproxy_report(fd, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
    close(fd);
}

/* ---- the upstream ---- */

static void
gr_viaproxy_upstream_main(const void *arg, int fd)
{
    gr_upstream_config cfg;
    gr_upstream *u;
    char err[256];
    (void)arg;
    gr_upstream_config_default(&cfg);
    cfg.listen = "127.0.0.1:0";
    gr_signals_block();
    if (gr_upstream_start(&cfg, &u, err, sizeof err)) {
        fprintf(stderr, "georace upstream: %s\n", err);
        _exit(GR_VIAPROXY_EXIT_UNAVAIL);
    }
    gr_viaproxy_report_address(fd, gr_upstream_address(u));
    gr_signals_wait();
    gr_upstream_stop(u);
    exit(0);
}

pid_t
gr_viaproxy_start_upstream(int *fd)
{
    return gr_viaproxy_fork("gr-upstream", gr_viaproxy_upstream_main, NULL, fd);
}

/* ---- the proxy under test ---- */

struct gr_viaproxy_proxy_arg {
    const gr_sim_config *cfg;
    const char *upstream;
};

/* The proxy of a trial: the variant and its knobs, the clear ticker and
 * the block list of the trial, on the embedded database, trusting the
 * load generator's X-Forwarded-For from loopback. */
static int
gr_viaproxy_proxy_config(const struct gr_viaproxy_proxy_arg *a, gr_proxy_config *pc,
                         gr_cidr *loopback, char *err, size_t cap)
{
    const gr_sim_config *cfg = a->cfg;
    gr_proxy_config_default(pc);
    pc->listen = "127.0.0.1:0";
    pc->metrics_listen = "127.0.0.1:0"; /* read by the watcher mid-trial */
    pc->upstream = a->upstream;
    pc->workers = cfg->threads ? cfg->threads : 2;
    pc->variant = cfg->variant;
    pc->cache.window_ns = cfg->cache.window_ns;
    pc->cache.detector = cfg->cache.detector;
    pc->cache.stripes = cfg->cache.stripes; /* sharded, bounded */
    pc->cache.capacity = cfg->cache.capacity;
    pc->cache.capacity_bytes = cfg->cache.capacity_bytes;
    pc->cache_clear_ns = cfg->clear_interval_ns;
    if (gr_cidr_list_parse("127.0.0.0/8", loopback, 1) != 1) {
        snprintf(err, cap, "cannot parse the loopback range");
        return -1;
    }
    pc->policy.trust = GR_REQ_TRUST_LIST;
    pc->policy.trusted = loopback;
    pc->policy.n_trusted = 1;
    if (gr_access_parse(&pc->access, GR_ACCESS_BLOCK, cfg->block, err, cap))
        return -1;
    return gr_defaultdb_open(GR_GEODB_MMDB, &pc->db, err, cap) ? -1 : 0;
}

static void
gr_viaproxy_proxy_main(const void *arg, int fd)
{
    gr_proxy_config pc;
    gr_cidr loopback;
    gr_proxy *p;
    char err[512];
    if (gr_viaproxy_proxy_config(arg, &pc, &loopback, err, sizeof err)) {
        fprintf(stderr, "georace proxy: %s\n", err);
        _exit(GR_VIAPROXY_EXIT_USAGE);
    }
    gr_signals_block();
    if (gr_proxy_start(&pc, &p, err, sizeof err)) {
        fprintf(stderr, "georace proxy: %s\n", err);
        _exit(strstr(err, "listen") ? GR_VIAPROXY_EXIT_UNAVAIL : GR_VIAPROXY_EXIT_USAGE);
    }
    char both[192]; /* "PROXY METRICS" */
    snprintf(both, sizeof both, "%s %s", gr_proxy_address(p), gr_proxy_metrics_address(p));
    gr_viaproxy_report_address(fd, both);
    gr_signals_wait();
    gr_proxy_stop(p);
    gr_geodb_close(pc.db);
    exit(0);
}

pid_t
gr_viaproxy_start_proxy(const gr_sim_config *cfg, const char *upstream, int *fd)
{
    struct gr_viaproxy_proxy_arg a = {cfg, upstream};
    return gr_viaproxy_fork("gr-proxy", gr_viaproxy_proxy_main, &a, fd);
}

/* ---- the load generator ---- */

struct gr_viaproxy_load_arg {
    const gr_sim_config *cfg;
    const char *target;
};

/* The trial's traffic against the proxy: its profile, seed, duration and
 * rate (< 0: the profile's), four connections per proxy worker. */
static void
gr_viaproxy_load_config(const struct gr_viaproxy_load_arg *a, gr_load_config *lc)
{
    const gr_sim_config *cfg = a->cfg;
    gr_load_config_default(lc);
    lc->target = a->target;
    lc->profile = cfg->profile;
    lc->duration_ns = cfg->duration_ns ? cfg->duration_ns : 10000000000ull;
    lc->seed = cfg->seed;
    lc->seed_set = true;
    lc->connections = cfg->threads ? 4 * cfg->threads : 8;
    lc->rate = cfg->rate > 0 ? cfg->rate : cfg->rate < 0 ? -1 : 0;
    lc->block = cfg->block;
}

static void
gr_viaproxy_load_main(const void *arg, int fd)
{
    gr_load_config lc;
    gr_load_result r;
    char err[512] = "";
    gr_viaproxy_load_config(arg, &lc);
    if (gr_load_run(&lc, &r, err, sizeof err)) {
        fprintf(stderr, "georace load: %s\n", err);
        exit(GR_VIAPROXY_EXIT_USAGE);
    }
    gr_viaproxy_report(fd, &r, sizeof r);
    close(fd);
    exit(0);
}

pid_t
gr_viaproxy_start_load(const gr_sim_config *cfg, const char *target, int *fd)
{
    struct gr_viaproxy_load_arg a = {cfg, target};
    return gr_viaproxy_fork("gr-load", gr_viaproxy_load_main, &a, fd);
}

int
gr_viaproxy_load_report(const char *buf, size_t len, gr_load_result *out)
{
    if (!buf || len != sizeof *out)
        return -1;
    memcpy(out, buf, sizeof *out);
    return 0;
}

int
gr_viaproxy_read_address(int fd, char *addr, size_t cap)
{
    size_t len = 0;
    for (int waited = 0; waited < 10000;) {
        struct pollfd pf = {fd, POLLIN, 0};
        if (poll(&pf, 1, 100) <= 0) {
            waited += 100;
            continue;
        }
        ssize_t n = read(fd, addr + len, cap - 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1; /* the child died before it listened */
        len += (size_t)n;
        addr[len] = '\0';
        char *nl = strchr(addr, '\n');
        if (nl) {
            *nl = '\0';
            return 0;
        }
        if (len == cap - 1)
            return -1;
    }
    return -1;
}
