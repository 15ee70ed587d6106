/*
 * trial.c - run one trial in a child process and classify how it ended.
 *
 * The parent is single-threaded: it forks, then multiplexes the child's pipes
 * with poll() (progress records, stderr, and stdout in exec mode) until all
 * are closed and the child is reaped, killing it at the hard deadline.
 * Progress records are fixed-size structs smaller than PIPE_BUF, so each
 * write() from any worker thread of the child arrives whole. Time-to-failure
 * is measured on the parent's monotonic clock, minus the child's start-up
 * time as estimated from the first progress record (elapsed_ns is measured
 * by the workload from its own start).
 *
 * A workload that runs the system under test as a process of its own (the
 * real proxy, --via proxy) sends one more record, the subject's end: its
 * wait status and when it ended. The trial is then judged by the subject:
 * its exit status is recorded, and if it died before the workload stopped
 * it (or did not stop cleanly), the trial failed, with the subject's death
 * as time-to-failure rather than the time the workload noticed.
 */
#include <errno.h>
#include <fcntl.h>
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

#include "georace/trial.h"

enum {
    GR_TRIAL_REC_PROGRESS = 1,
    GR_TRIAL_REC_RESULT = 2,
    GR_TRIAL_REC_ERROR = 3,
    GR_TRIAL_REC_SUBJECT = 4
};
enum { GR_TRIAL_WORKLOAD_ERROR_STATUS = 3 };

struct gr_trial_rec {
    uint32_t type;
    uint32_t pad;
    union {
        gr_sim_progress progress;
        gr_sim_result result;
        gr_trial_subject subject;
        char error[240];
    } u;
};

_Static_assert(sizeof(struct gr_trial_rec) < 512, "progress records must stay atomic on a pipe");

/* The progress pipe of the trial this process runs (fork mode, child side
 * only; -1 everywhere else). Set once before the workload starts. */
static int gr_trial_subject_fd = -1;

/* Parent-side state of one running trial. */
struct gr_trial_watch {
    const gr_trial_spec *spec;
    gr_trial_result *out;
    double t0;
    double start_offset; /* child start-up time, from the first progress record */
    bool have_offset;
    char recbuf[sizeof(struct gr_trial_rec)];
    size_t reclen;
    char line[1024];
    size_t linelen;
    char *stdout_buf;
    size_t stdout_len, stdout_cap;
    char error[240];
};

static double
gr_trial_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

const char *
gr_trial_outcome_name(gr_trial_outcome o)
{
    static const char *const names[] = {"survived", "fatal", "race", "crash", "hung", "error"};
    return (unsigned)o < sizeof names / sizeof names[0] ? names[o] : "?";
}

bool
gr_trial_failed(const gr_trial_result *r)
{
    return r->outcome == GR_TRIAL_FATAL || r->outcome == GR_TRIAL_RACE ||
           r->outcome == GR_TRIAL_CRASH || r->outcome == GR_TRIAL_HUNG;
}

/* 1 if the line is a failure report worth recording; the cleaned text in msg. */
static int
gr_trial_line_message(const char *line, char *msg, size_t cap)
{
    static const char *const marks[] = {"fatal error: ",
                                        "panic: ", /* Go's, at the start of a line */
                                        "WARNING: ThreadSanitizer: ",
                                        "WARNING: DATA RACE", /* Go's race detector */
                                        "ERROR: AddressSanitizer: ",
                                        "runtime error: ",
                                        "ERROR: LeakSanitizer: "};
    for (size_t i = 0; i < sizeof marks / sizeof marks[0]; i++) {
        const char *p = strstr(line, marks[i]);
        if (!p || (i == 1 && p != line))
            continue;
        if (i == 5) /* UBSan: keep the whole "file:line: runtime error: ..." */
            p = line;
        size_t n = strcspn(p, "\r\n");
        const char *pid = strstr(p, " (pid=");
        if (pid && (size_t)(pid - p) < n)
            n = (size_t)(pid - p);
        if (n >= cap)
            n = cap - 1;
        memcpy(msg, p, n);
        msg[n] = '\0';
        return 1;
    }
    return 0;
}

/* Go's own end: a fatal error or an unrecovered panic. */
static bool
gr_trial_is_go(const char *msg)
{
    return !strncmp(msg, "fatal error: ", 13) || !strncmp(msg, "panic: ", 7);
}

void
gr_trial_find_message(const char *text, char *msg, size_t cap)
{
    msg[0] = '\0';
    /* A Go fatal error or panic wins over anything else; otherwise the first report. */
    for (int pass = 0; pass < 2; pass++) {
        const char *line = text;
        while (line && *line) {
            char tmp[512];
            if (gr_trial_line_message(line, tmp, sizeof tmp) &&
                (pass == 1 || gr_trial_is_go(tmp))) {
                snprintf(msg, cap, "%s", tmp);
                return;
            }
            line = strchr(line, '\n');
            if (line)
                line++;
        }
    }
}

static void
gr_trial_tail_append(gr_trial_result *r, const char *data, size_t n)
{
    size_t cap = sizeof r->stderr_tail - 1;
    size_t have = strlen(r->stderr_tail);
    if (n >= cap) {
        memcpy(r->stderr_tail, data + n - cap, cap);
        r->stderr_tail[cap] = '\0';
        return;
    }
    if (have + n > cap) {
        size_t drop = have + n - cap;
        memmove(r->stderr_tail, r->stderr_tail + drop, have - drop);
        have -= drop;
    }
    memcpy(r->stderr_tail + have, data, n);
    r->stderr_tail[have + n] = '\0';
}

static void
gr_trial_stderr_line(struct gr_trial_watch *w)
{
    w->line[w->linelen] = '\0';
    char msg[256];
    if (gr_trial_line_message(w->line, msg, sizeof msg)) {
        bool is_go = gr_trial_is_go(msg);
        bool had_go = gr_trial_is_go(w->out->message);
        if (!w->out->message[0] || (is_go && !had_go))
            snprintf(w->out->message, sizeof w->out->message, "%s", msg);
        if (w->out->first_report_s < 0)
            w->out->first_report_s = gr_trial_now() - w->t0;
    }
    w->linelen = 0;
}

static void
gr_trial_on_stderr(struct gr_trial_watch *w, const char *data, size_t n)
{
    gr_trial_tail_append(w->out, data, n);
    for (size_t i = 0; i < n; i++) {
        if (data[i] == '\n') {
            gr_trial_stderr_line(w);
        } else if (w->linelen < sizeof w->line - 1) {
            w->line[w->linelen++] = data[i];
        }
    }
}

static void
gr_trial_on_record(struct gr_trial_watch *w, const struct gr_trial_rec *rec)
{
    gr_trial_result *r = w->out;
    switch (rec->type) {
    case GR_TRIAL_REC_PROGRESS: {
        const gr_sim_progress *p = &rec->u.progress;
        double off = gr_trial_now() - w->t0 - (double)p->elapsed_ns / 1e9;
        if (!w->have_offset || off < w->start_offset)
            w->start_offset = off < 0 ? 0 : off;
        w->have_offset = true;
        if (p->elapsed_ns == 0 && r->samples == 0)
            break; /* the workload's start mark: start-up measured, not a sample */
        r->samples++;
        if (!r->have_final) {
            r->sim.requests = p->requests;
            r->sim.hits = p->hits;
            r->sim.misses = p->misses;
            r->sim.mismatches = p->mismatches;
            r->sim.errors = p->errors;
            r->sim.clears = p->clears;
            r->sim.write_pairs = p->write_pairs;
            r->sim.elapsed_ns = p->elapsed_ns;
            if (p->cache_len > r->sim.cache_len_max)
                r->sim.cache_len_max = p->cache_len;
            if (p->rss_kb > r->sim.rss_max_kb)
                r->sim.rss_max_kb = p->rss_kb;
        }
        if (w->spec->on_sample)
            w->spec->on_sample(p, w->spec->sample_ctx);
        break;
    }
    case GR_TRIAL_REC_RESULT:
        r->sim = rec->u.result;
        r->have_final = true;
        break;
    case GR_TRIAL_REC_SUBJECT:
        r->have_subject = true;
        r->subject = rec->u.subject;
        r->cache_unknown = r->subject.cache_unknown;
        r->rss_unknown = r->subject.rss_unknown;
        break;
    case GR_TRIAL_REC_ERROR:
        memcpy(w->error, rec->u.error, sizeof w->error);
        w->error[sizeof w->error - 1] = '\0';
        break;
    default:
        break;
    }
}

static void
gr_trial_on_progress_bytes(struct gr_trial_watch *w, const char *data, size_t n)
{
    while (n > 0) {
        size_t take = sizeof w->recbuf - w->reclen;
        if (take > n)
            take = n;
        memcpy(w->recbuf + w->reclen, data, take);
        w->reclen += take;
        data += take;
        n -= take;
        if (w->reclen == sizeof w->recbuf) {
            struct gr_trial_rec rec;
            memcpy(&rec, w->recbuf, sizeof rec);
            gr_trial_on_record(w, &rec);
            w->reclen = 0;
        }
    }
}

static void
gr_trial_on_stdout(struct gr_trial_watch *w, const char *data, size_t n)
{
    if (w->stdout_len + n + 1 > w->stdout_cap) {
        size_t cap = (w->stdout_len + n + 1) * 2;
        if (cap > (1u << 20))
            return; /* a summary is small; ignore runaway output */
        char *p = realloc(w->stdout_buf, cap);
        if (!p)
            return;
        w->stdout_buf = p;
        w->stdout_cap = cap;
    }
    memcpy(w->stdout_buf + w->stdout_len, data, n);
    w->stdout_len += n;
    w->stdout_buf[w->stdout_len] = '\0';
}

static uint64_t
gr_trial_json_u64(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    if (json_is_integer(v))
        return (uint64_t)json_integer_value(v);
    if (json_is_real(v))
        return (uint64_t)json_real_value(v);
    return 0;
}

/* Exec mode: take the counters from a JSON summary on stdout, if any. */
static void
gr_trial_parse_stdout(struct gr_trial_watch *w)
{
    if (!w->stdout_buf)
        return;
    const char *p = strchr(w->stdout_buf, '{');
    if (!p)
        return;
    json_error_t jerr;
    json_t *o = json_loads(p, JSON_DISABLE_EOF_CHECK, &jerr);
    if (!json_is_object(o)) {
        json_decref(o);
        return;
    }
    gr_sim_result *s = &w->out->sim;
    s->requests = gr_trial_json_u64(o, "requests");
    s->hits = gr_trial_json_u64(o, "hits");
    s->misses = gr_trial_json_u64(o, "misses");
    s->mismatches = gr_trial_json_u64(o, "mismatches");
    s->errors = gr_trial_json_u64(o, "errors");
    s->clears = gr_trial_json_u64(o, "clears");
    json_t *rps = json_object_get(o, "req_per_s");
    s->req_per_s = json_is_number(rps) ? json_number_value(rps) : 0;
    w->out->have_final = true;
    json_decref(o);
}

struct gr_trial_child_ctx {
    int fd;
};

static void
gr_trial_child_progress(const gr_sim_progress *p, void *ctx)
{
    const struct gr_trial_child_ctx *c = ctx;
    struct gr_trial_rec rec;
    memset(&rec, 0, sizeof rec);
    rec.type = GR_TRIAL_REC_PROGRESS;
    rec.u.progress = *p;
    ssize_t n = write(c->fd, &rec, sizeof rec);
    (void)n; /* the parent may be gone; nothing useful to do then */
}

void
gr_trial_report_subject(const gr_trial_subject *s)
{
    if (gr_trial_subject_fd < 0)
        return;
    struct gr_trial_rec rec;
    memset(&rec, 0, sizeof rec);
    rec.type = GR_TRIAL_REC_SUBJECT;
    rec.u.subject = *s;
    ssize_t n = write(gr_trial_subject_fd, &rec, sizeof rec);
    (void)n; /* the parent may be gone */
}

static void
gr_trial_child_fork(const gr_trial_spec *spec, int progress_fd)
{
    struct gr_trial_child_ctx ctx = {progress_fd};
    gr_trial_subject_fd = progress_fd;
    gr_sim_config cfg = spec->sim;
    cfg.progress = gr_trial_child_progress;
    cfg.progress_ctx = &ctx;
    cfg.progress_interval_ns = spec->sample_interval_ns ? spec->sample_interval_ns : 100000000;
    cfg.progress_start = true;
    struct gr_trial_rec rec;
    memset(&rec, 0, sizeof rec);
    char err[sizeof rec.u.error] = "";
    gr_sim_result res;
    memset(&res, 0, sizeof res);
    int rc = spec->workload(&cfg, &res, err, sizeof err);
    if (rc == 0) {
        rec.type = GR_TRIAL_REC_RESULT;
        rec.u.result = res;
    } else {
        rec.type = GR_TRIAL_REC_ERROR;
        if (err[0])
            memcpy(rec.u.error, err, sizeof err);
        else
            snprintf(rec.u.error, sizeof rec.u.error, "workload failed (%d)", rc);
    }
    ssize_t n = write(progress_fd, &rec, sizeof rec);
    (void)n;
    _exit(rc == 0 ? 0 : GR_TRIAL_WORKLOAD_ERROR_STATUS);
}

static void
gr_trial_child_exec(const gr_trial_spec *spec)
{
    for (char *const *e = spec->exec_env_add; e && *e; e++)
        putenv(*e);
    execv(spec->exec_argv[0], spec->exec_argv);
    fprintf(stderr, "cannot run %s: %s\n", spec->exec_argv[0], strerror(errno));
    _exit(127);
}

/* Did the subject fail: die on its own, or end badly when it was stopped
 * (anything but exit 0 or the SIGTERM it was sent)? */
static bool
gr_trial_subject_failed(const gr_trial_result *r)
{
    if (!r->have_subject)
        return false;
    const gr_trial_subject *s = &r->subject;
    int st = s->wait_status;
    bool clean =
        (WIFEXITED(st) && WEXITSTATUS(st) == 0) || (WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
    return s->died || s->stop_timed_out || !clean;
}

static void
gr_trial_classify(struct gr_trial_watch *w, int status, bool killed)
{
    gr_trial_result *r = w->out;
    bool subject_failed = gr_trial_subject_failed(r);
    if (subject_failed)
        status = r->subject.wait_status; /* the process under test is what failed */
    if (WIFSIGNALED(status)) {
        r->exit_status = -1;
        r->term_signal = WTERMSIG(status);
    } else {
        r->exit_status = WEXITSTATUS(status);
    }
    bool go = gr_trial_is_go(r->message);
    bool sanitizer = r->message[0] && !go;
    if (killed) {
        r->outcome = GR_TRIAL_HUNG;
        if (!r->message[0])
            snprintf(r->message, sizeof r->message, "killed at the deadline");
    } else if (go) {
        r->outcome = GR_TRIAL_FATAL;
    } else if (sanitizer) {
        r->outcome = GR_TRIAL_RACE;
    } else if (subject_failed && r->subject.stop_timed_out) {
        r->outcome = GR_TRIAL_HUNG;
        snprintf(r->message, sizeof r->message,
                 "the process under test ignored SIGTERM and was killed");
    } else if (subject_failed && r->subject.died && !r->term_signal && !r->exit_status) {
        /* a graceful exit it was not asked for: stopped from outside, the
         * trial cut short, neither a survivor nor a failure of the variant */
        r->outcome = GR_TRIAL_ERROR;
        snprintf(r->message, sizeof r->message,
                 "the process under test exited with status 0 before the end (stopped from "
                 "outside?)");
    } else if (subject_failed && !r->term_signal) {
        r->outcome = GR_TRIAL_CRASH;
        snprintf(r->message, sizeof r->message,
                 "the process under test exited with status %d %s, without a failure message",
                 r->exit_status, r->subject.died ? "before the end" : "when stopped");
    } else if (r->term_signal) {
        r->outcome = GR_TRIAL_CRASH;
        snprintf(r->message, sizeof r->message, "signal %d (%s)", r->term_signal,
                 strsignal(r->term_signal));
    } else if (r->exit_status == 0 ||
               (w->spec->exec_argv && r->exit_status == 1 && r->have_final)) {
        r->outcome = GR_TRIAL_SURVIVED;
    } else {
        r->outcome = GR_TRIAL_ERROR;
        if (w->error[0])
            snprintf(r->message, sizeof r->message, "%s", w->error);
        else
            snprintf(r->message, sizeof r->message, "exit status %d", r->exit_status);
    }
}

static void
gr_trial_close(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

int
gr_trial_run(const gr_trial_spec *spec, gr_trial_result *out)
{
    memset(out, 0, sizeof *out);
    out->first_report_s = -1;
    if (!spec->exec_argv && !spec->workload)
        return -1;
    int prog[2] = {-1, -1}, err[2] = {-1, -1}, sout[2] = {-1, -1};
    if (pipe2(prog, O_CLOEXEC) || pipe2(err, O_CLOEXEC) || pipe2(sout, O_CLOEXEC)) {
        gr_trial_close(&prog[0]), gr_trial_close(&prog[1]);
        gr_trial_close(&err[0]), gr_trial_close(&err[1]);
        gr_trial_close(&sout[0]), gr_trial_close(&sout[1]);
        return -1;
    }
    fflush(NULL);
    struct gr_trial_watch w;
    memset(&w, 0, sizeof w);
    w.spec = spec;
    w.out = out;
    w.t0 = gr_trial_now();
    pid_t pid = fork();
    if (pid < 0) {
        for (int i = 0; i < 2; i++)
            gr_trial_close(&prog[i]), gr_trial_close(&err[i]), gr_trial_close(&sout[i]);
        return -1;
    }
    if (pid == 0) {
        /* a trial never outlives its campaign (killed parent, Ctrl-C) */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() == 1)
            _exit(GR_TRIAL_WORKLOAD_ERROR_STATUS);
        dup2(err[1], STDERR_FILENO);
        if (spec->exec_argv) {
            dup2(sout[1], STDOUT_FILENO);
            gr_trial_child_exec(spec);
        }
        int devnull = open("/dev/null", O_WRONLY);
        if (devnull >= 0)
            dup2(devnull, STDOUT_FILENO);
        gr_trial_child_fork(spec, prog[1]);
    }
    gr_trial_close(&prog[1]);
    gr_trial_close(&err[1]);
    gr_trial_close(&sout[1]);
    if (spec->exec_argv)
        gr_trial_close(&prog[0]);

    int fds[3] = {prog[0], err[0], sout[0]};
    int status = 0;
    bool reaped = false, killed = false;
    double reaped_at = 0;
    for (;;) {
        struct pollfd pf[3];
        int map[3], n = 0;
        for (int i = 0; i < 3; i++)
            if (fds[i] >= 0) {
                pf[n].fd = fds[i];
                pf[n].events = POLLIN;
                map[n++] = i;
            }
        if (n == 0 && reaped)
            break;
        if (n > 0 && poll(pf, (nfds_t)n, 50) < 0 && errno != EINTR)
            break;
        if (n == 0)
            usleep(10000);
        for (int j = 0; j < n; j++) {
            if (!(pf[j].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            char buf[4096];
            ssize_t got = read(pf[j].fd, buf, sizeof buf);
            if (got < 0 && errno == EINTR)
                continue;
            if (got <= 0) {
                gr_trial_close(&fds[map[j]]);
                continue;
            }
            if (map[j] == 0)
                gr_trial_on_progress_bytes(&w, buf, (size_t)got);
            else if (map[j] == 1)
                gr_trial_on_stderr(&w, buf, (size_t)got);
            else
                gr_trial_on_stdout(&w, buf, (size_t)got);
        }
        double now = gr_trial_now();
        if (!reaped) {
            pid_t p = waitpid(pid, &status, WNOHANG);
            if (p == pid) {
                reaped = true;
                reaped_at = now;
            } else if (!killed && spec->deadline_ns &&
                       now - w.t0 > (double)spec->deadline_ns / 1e9) {
                kill(pid, SIGKILL);
                killed = true;
            }
        } else if (now - reaped_at > 2.0) {
            break; /* a grandchild holds a pipe open; stop waiting for it */
        }
    }
    for (int i = 0; i < 3; i++)
        gr_trial_close(&fds[i]);
    double end = reaped_at ? reaped_at : gr_trial_now();
    if (w.linelen)
        gr_trial_stderr_line(&w);
    if (spec->exec_argv)
        gr_trial_parse_stdout(&w);
    free(w.stdout_buf);

    double offset = w.have_offset ? w.start_offset : spec->start_offset_hint_s;
    out->start_offset_s = offset;
    out->start_offset_measured = w.have_offset;
    out->elapsed_s = end - w.t0 - offset;
    if (out->elapsed_s < 0)
        out->elapsed_s = 0;
    if (out->have_final && out->sim.elapsed_ns && !spec->exec_argv)
        out->elapsed_s = (double)out->sim.elapsed_ns / 1e9;
    if (out->first_report_s >= 0) {
        out->first_report_s -= offset;
        if (out->first_report_s < 0)
            out->first_report_s = 0;
    }
    out->ttf_s = out->elapsed_s;
    if (out->have_subject && out->subject.died)
        out->ttf_s = (double)out->subject.end_ns / 1e9;
    if (out->elapsed_s > 0 && !out->sim.req_per_s)
        out->sim.req_per_s = (double)out->sim.requests / out->elapsed_s;
    gr_trial_classify(&w, status, killed);
    return 0;
}
