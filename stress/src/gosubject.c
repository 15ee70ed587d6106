/*
 * gosubject.c - see gosubject.h. Runs inside a trial's child process:
 *   1. the profile and address pool, and the trial's traffic stream
 *   2. the Go peer, stdin and stdout on pipes, stderr the trial's
 *   3. a feeder thread writes the stream until the peer stops reading
 *      (GR_WIRE_EPIPE: it ended or died)
 *   4. this thread reads the peer's JSON lines until end of file: the start
 *      line is time 0, progress lines become progress records, the summary
 *      line holds a survivor's counters; end of file is the peer's death
 *   5. the peer is reaped, the feeder joined, and the peer's end goes to
 *      the runner as a subject record, so that trial.c judges the trial by
 *      it (status 2 and Go's message: fatal; exit 66 and the race
 *      detector's report: race; a signal: crash)
 * A peer that ended as asked (a summary line, status 0, or 1 for
 * mismatches) is reported as a clean end: mismatches are counted, as for
 * every variant, not judged.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "georace/clock.h"
#include "georace/gosubject.h"
#include "georace/traffic.h"
#include "georace/traffic_wire.h"
#include "georace/trial.h"

#ifndef GEORACE_GOPEER
#define GEORACE_GOPEER ""
#endif
#ifndef GEORACE_GOPEER_RACE
#define GEORACE_GOPEER_RACE ""
#endif

enum { GR_GOSUBJECT_MAX_ARGS = 48, GR_GOSUBJECT_LINE_MAX = 8192 };

static const char *const gr_gosubject_subjects[] = {"go-map", "go-syncmap-reset", "go-rwmutex",
                                                    NULL};
static const char *const gr_gosubject_stores[] = {"map", "syncmap-reset", "rwmutex"};

/* The peer of the trials to come (forked trials inherit it). */
static gr_gosubject_config gr_gosubject_cfg;

const char *const *
gr_gosubject_names(void)
{
    return gr_gosubject_subjects;
}

const char *
gr_gosubject_store(const char *subject)
{
    for (size_t i = 0; subject && gr_gosubject_subjects[i]; i++)
        if (!strcmp(subject, gr_gosubject_subjects[i]))
            return gr_gosubject_stores[i];
    return NULL;
}

const char *
gr_gosubject_default_peer(bool race)
{
    const char *env = getenv(race ? "GEORACE_GOPEER_RACE" : "GEORACE_GOPEER");
    const char *path = env && *env ? env : race ? GEORACE_GOPEER_RACE : GEORACE_GOPEER;
    return path[0] && access(path, X_OK) == 0 ? path : NULL;
}

void
gr_gosubject_use(const gr_gosubject_config *c)
{
    gr_gosubject_cfg = *c;
}

/* A duration as the peer's flags take it (Go's time.ParseDuration). */
static const char *
gr_gosubject_dur(char *buf, size_t cap, uint64_t ns)
{
    snprintf(buf, cap, "%lluns", (unsigned long long)ns);
    return buf;
}

/* Owns the strings an argv points into. */
struct gr_gosubject_argv {
    char *v[GR_GOSUBJECT_MAX_ARGS];
    char clear[32], miss[32], duration[32], progress[32];
    int n;
};

static void
gr_gosubject_arg(struct gr_gosubject_argv *a, const char *s)
{
    if (a->n < GR_GOSUBJECT_MAX_ARGS - 1)
        a->v[a->n++] = (char *)s;
    a->v[a->n] = NULL;
}

static void
gr_gosubject_build_argv(const gr_sim_config *cfg, const char *store, struct gr_gosubject_argv *a)
{
    memset(a, 0, sizeof *a);
    gr_gosubject_arg(a, gr_gosubject_cfg.peer);
    gr_gosubject_arg(a, "--store");
    gr_gosubject_arg(a, store);
    gr_gosubject_arg(a, "--backend");
    gr_gosubject_arg(a, cfg->backend == GR_GEODB_SCAN ? "scan" : "bsearch");
    gr_gosubject_arg(a, "--clear");
    gr_gosubject_arg(a, gr_gosubject_dur(a->clear, sizeof a->clear, cfg->clear_interval_ns));
    gr_gosubject_arg(a, "--miss-cost");
    gr_gosubject_arg(a, gr_gosubject_dur(a->miss, sizeof a->miss, cfg->miss_cost_ns));
    if (cfg->duration_ns) {
        gr_gosubject_arg(a, "--duration");
        gr_gosubject_arg(a, gr_gosubject_dur(a->duration, sizeof a->duration, cfg->duration_ns));
    }
    uint64_t period = cfg->progress && cfg->progress_interval_ns ? cfg->progress_interval_ns : 0;
    gr_gosubject_arg(a, "--progress");
    gr_gosubject_arg(a, gr_gosubject_dur(a->progress, sizeof a->progress, period));
    for (size_t i = 0; i < cfg->n_csv; i++) {
        gr_gosubject_arg(a, "--csv");
        gr_gosubject_arg(a, cfg->csv_paths[i]);
    }
    if (!cfg->n_csv && cfg->csv_path) {
        gr_gosubject_arg(a, "--csv");
        gr_gosubject_arg(a, cfg->csv_path);
    }
}

/* Fork and exec the peer: its stdin and stdout on new pipes (our ends in
 * *in_fd and *out_fd), its stderr ours. The pid, or -1. */
static pid_t
gr_gosubject_spawn(char *const *argv, const gr_gosubject_config *gc, int *in_fd, int *out_fd)
{
    int in[2], out[2];
    if (pipe2(in, O_CLOEXEC))
        return -1;
    if (pipe2(out, O_CLOEXEC)) {
        close(in[0]), close(in[1]);
        return -1;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        dup2(in[0], STDIN_FILENO);
        dup2(out[1], STDOUT_FILENO);
        /* the race detector's first report ends the run: time to first report */
        if (gc->race && !getenv("GORACE"))
            setenv("GORACE", "halt_on_error=1", 1);
        if (gc->gomaxprocs) {
            char procs[16];
            snprintf(procs, sizeof procs, "%u", gc->gomaxprocs);
            setenv("GOMAXPROCS", procs, 1);
        }
        execv(argv[0], argv);
        fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(in[0]), close(out[1]);
    if (pid < 0) {
        close(in[1]), close(out[0]);
        return -1;
    }
    *in_fd = in[1];
    *out_fd = out[0];
    return pid;
}

/* The feeder thread: the stream into the peer's stdin. */
struct gr_gosubject_feed {
    int fd;
    gr_traffic *t;
    gr_wire_header h;
    _Atomic bool stop;
    int rc;
};

static void *
gr_gosubject_feed_main(void *arg)
{
    struct gr_gosubject_feed *f = arg;
    f->rc = gr_wire_write_stream(f->fd, f->t, &f->h, 0, &f->stop, NULL);
    close(f->fd); /* end of stream, if the peer still reads */
    return NULL;
}

/* The peer's JSON lines as this thread follows them. */
struct gr_gosubject_read {
    const gr_sim_config *cfg;
    gr_sim_result *out;
    uint64_t t0; /* the start line's arrival; 0 before it */
    bool have_summary;
    gr_trial_subject subject;
    char line[GR_GOSUBJECT_LINE_MAX];
    size_t len;
};

static uint64_t
gr_gosubject_u64(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    if (json_is_integer(v))
        return (uint64_t)json_integer_value(v);
    return json_is_real(v) && json_real_value(v) > 0 ? (uint64_t)json_real_value(v) : 0;
}

static void
gr_gosubject_on_start(struct gr_gosubject_read *r, json_t *o)
{
    r->t0 = gr_clock_now_ns();
    r->subject.have_runtime = true;
    r->subject.gomaxprocs = (int)gr_gosubject_u64(o, "gomaxprocs");
    r->subject.numcpu = (int)gr_gosubject_u64(o, "numcpu");
    json_t *la = json_object_get(o, "loadavg1");
    r->subject.loadavg1 = json_is_number(la) ? json_number_value(la) : -1;
    gr_sim_progress p;
    memset(&p, 0, sizeof p); /* t = 0: the runner's origin of time */
    if (r->cfg->progress)
        r->cfg->progress(&p, r->cfg->progress_ctx);
}

/* Counters of a progress or summary line. */
static void
gr_gosubject_counts(json_t *o, gr_sim_progress *p)
{
    memset(p, 0, sizeof *p);
    json_t *el = json_object_get(o, "elapsed_s");
    p->elapsed_ns = json_is_number(el) ? (uint64_t)(json_number_value(el) * 1e9) : 0;
    p->requests = gr_gosubject_u64(o, "requests");
    p->hits = gr_gosubject_u64(o, "hits");
    p->misses = gr_gosubject_u64(o, "misses");
    p->mismatches = gr_gosubject_u64(o, "mismatches");
    p->clears = gr_gosubject_u64(o, "clears");
    p->write_pairs = gr_gosubject_u64(o, "write_pairs");
}

static void
gr_gosubject_on_line(struct gr_gosubject_read *r, const char *text)
{
    json_error_t jerr;
    json_t *o = json_loads(text, 0, &jerr);
    const char *ev = json_string_value(json_object_get(o, "event"));
    gr_sim_progress p;
    if (!ev) {
        json_decref(o);
        return;
    }
    if (!strcmp(ev, "start")) {
        gr_gosubject_on_start(r, o);
    } else if (!strcmp(ev, "progress") || !strcmp(ev, "summary")) {
        gr_gosubject_counts(o, &p);
        gr_sim_result *s = r->out;
        s->requests = p.requests, s->hits = p.hits, s->misses = p.misses;
        s->mismatches = p.mismatches, s->clears = p.clears;
        s->write_pairs = p.write_pairs;
        if (!strcmp(ev, "summary")) {
            r->have_summary = true;
            json_t *rps = json_object_get(o, "req_per_s");
            s->req_per_s = json_is_number(rps) ? json_number_value(rps) : 0;
        } else if (r->cfg->progress) {
            r->cfg->progress(&p, r->cfg->progress_ctx);
        }
    }
    json_decref(o);
}

static void
gr_gosubject_on_bytes(struct gr_gosubject_read *r, const char *data, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (data[i] != '\n') {
            if (r->len < sizeof r->line - 1)
                r->line[r->len++] = data[i];
            continue;
        }
        r->line[r->len] = '\0';
        gr_gosubject_on_line(r, r->line);
        r->len = 0;
    }
}

/* Follow stdout to its end (the peer's exit or death); its time in
 * subject.end_ns, from the start line. */
static void
gr_gosubject_follow(struct gr_gosubject_read *r, int fd)
{
    char buf[4096];
    for (;;) {
        ssize_t got = read(fd, buf, sizeof buf);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        gr_gosubject_on_bytes(r, buf, (size_t)got);
    }
    uint64_t now = gr_clock_now_ns();
    r->subject.end_ns = r->t0 && now > r->t0 ? now - r->t0 : 0;
}

/* The stream of the trial: profile, pool, seed, rate. 0 or -1 (err set). */
static int
gr_gosubject_traffic(const gr_sim_config *cfg, gr_addrpool **own_pool, gr_traffic **t,
                     gr_wire_header *h, char *err, size_t errcap)
{
    gr_profile prof;
    *own_pool = NULL;
    if (gr_profile_load(cfg->profile, &prof, err, errcap))
        return -1;
    const gr_addrpool *pool = cfg->pool;
    int rc = GR_TRAFFIC_OK;
    if (!pool) {
        const char *csv = cfg->n_csv ? cfg->csv_paths[0] : cfg->csv_path;
        rc = csv ? gr_addrpool_from_csv_file(csv, own_pool, err, errcap)
                 : gr_addrpool_default(own_pool, err, errcap);
        for (size_t i = 1; rc == GR_TRAFFIC_OK && i < cfg->n_csv; i++)
            rc = gr_addrpool_add_csv_file(*own_pool, cfg->csv_paths[i], err, errcap);
        pool = *own_pool;
    }
    double rate = cfg->rate < 0 ? prof.rate : cfg->rate;
    if (rc == GR_TRAFFIC_OK)
        rc = gr_traffic_create(&prof, pool, cfg->seed, 0, rate, t);
    if (rc != GR_TRAFFIC_OK) {
        if (!err[0])
            snprintf(err, errcap, "traffic: %s", gr_traffic_strerror(rc));
        gr_addrpool_free(*own_pool);
        *own_pool = NULL;
        return -1;
    }
    gr_wire_header_init(h, cfg->seed, 0, rate);
    return 0;
}

/* How the peer ended, as the runner judges it. */
static void
gr_gosubject_judge(struct gr_gosubject_read *r, int status)
{
    bool asked = r->have_summary && WIFEXITED(status) &&
                 (WEXITSTATUS(status) == 0 || WEXITSTATUS(status) == 1);
    r->subject.wait_status = asked ? 0 : status;
    r->subject.died = !asked;
    r->subject.rss_unknown = true;
    r->subject.cache_unknown = false; /* the last progress or summary line's */
}

int
gr_gosubject_run(const gr_sim_config *cfg, gr_sim_result *out, char *err, size_t errcap)
{
    memset(out, 0, sizeof *out);
    err[0] = '\0';
    const char *store = gr_gosubject_store(cfg->variant);
    if (!store || !gr_gosubject_cfg.peer) {
        snprintf(err, errcap, "%s: not a Go subject, or no Go peer to run", cfg->variant);
        return -1;
    }
    struct gr_gosubject_feed feed;
    memset(&feed, 0, sizeof feed);
    gr_addrpool *pool;
    if (gr_gosubject_traffic(cfg, &pool, &feed.t, &feed.h, err, errcap))
        return -1;
    struct gr_gosubject_argv argv;
    gr_gosubject_build_argv(cfg, store, &argv);
    int out_fd = -1;
    pid_t pid = gr_gosubject_spawn(argv.v, &gr_gosubject_cfg, &feed.fd, &out_fd);
    pthread_t feeder;
    bool fed = pid > 0 && pthread_create(&feeder, NULL, gr_gosubject_feed_main, &feed) == 0;
    if (!fed) {
        snprintf(err, errcap, "cannot start the Go peer %s", gr_gosubject_cfg.peer);
        if (pid > 0) {
            close(feed.fd), close(out_fd);
            waitpid(pid, NULL, 0);
        }
        gr_traffic_free(feed.t);
        gr_addrpool_free(pool);
        return -1;
    }
    struct gr_gosubject_read *r = calloc(1, sizeof *r);
    int status = 0;
    if (r) {
        r->cfg = cfg;
        r->out = out;
        gr_gosubject_follow(r, out_fd);
    }
    close(out_fd);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    atomic_store(&feed.stop, true);
    pthread_join(feeder, NULL); /* the peer is gone: its write ends in EPIPE */
    gr_traffic_free(feed.t);
    gr_addrpool_free(pool);
    if (!r) {
        snprintf(err, errcap, "out of memory");
        return -1;
    }
    int rc = 0;
    if (!r->t0 && WIFEXITED(status) && WEXITSTATUS(status) != 2) {
        /* it never served: usage, database or start-up trouble (its stderr says) */
        snprintf(err, errcap, "the Go peer exited with status %d before its start line",
                 WEXITSTATUS(status));
        rc = -1;
    } else {
        gr_gosubject_judge(r, status);
        out->elapsed_ns = r->subject.end_ns;
        gr_trial_report_subject(&r->subject);
    }
    free(r);
    return rc;
}
