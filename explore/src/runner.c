/*
 * runner.c - one child process runs many schedules, one after another.
 *
 * Forking a child per schedule costs more than the schedule itself (page
 * tables copied, copy-on-write faults, process teardown, waitpid). So the
 * parent forks a child once and asks it over a socket pair for run after
 * run on the shared block (xrun.h): one byte asks for a run of x's current
 * plan, one byte back says it ended normally. A run that ends any other way
 * (a finding: Go's fatal error, deadlock, crash, hang) ends the child, the
 * parent sees the socket close and reaps it, and the next run forks a new
 * child. Every run creates its own cache and threads and joins them; what
 * runs share in one child is the allocator's heap and nothing the variants
 * read (their only globals are seed counters, and explored runs take their
 * seeds from the run's plan). The explorer still re-runs every finding of
 * a reused child in a fresh one before it reports it (explore.c), so a
 * finding never depends on what an earlier schedule left behind; and DFS
 * stops with an error if the same prefix ever gives another run.
 *
 * Memory ordering: the parent writes the plan before sending its byte and
 * reads the steps and history after receiving the child's byte (or after
 * waitpid); the socket's send/receive orders the shared block's accesses.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runner.h"

#define GR_XR_MAX_RUNS 2000 /* a fresh child now and then: bounded heap growth */

static struct {
    pid_t pid;
    int fd;
    unsigned runs;
    struct gr_x_run *x;
} gr_xr = {0, -1, 0, NULL};

void
gr_xr_stop(void)
{
    if (gr_xr.fd >= 0)
        close(gr_xr.fd); /* the child reads end-of-file and exits */
    gr_xr.fd = -1;
    if (gr_xr.pid > 0)
        while (waitpid(gr_xr.pid, NULL, 0) < 0 && errno == EINTR)
            ;
    gr_xr.pid = 0;
    gr_xr.runs = 0;
    gr_xr.x = NULL;
}

static int
gr_xr_start(struct gr_x_run *x)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
        return -errno;
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(sv[0]);
        close(sv[1]);
        return -e;
    }
    if (pid == 0) {
        close(sv[0]);
        gr_x_serve(x, sv[1]);
    }
    close(sv[1]);
    gr_xr.pid = pid;
    gr_xr.fd = sv[0];
    gr_xr.runs = 0;
    gr_xr.x = x;
    return 0;
}

/* The child died (or closed the socket): its wait status. */
static int
gr_xr_reap(int *status)
{
    int st = 0;
    while (waitpid(gr_xr.pid, &st, 0) < 0)
        if (errno != EINTR)
            return -errno;
    close(gr_xr.fd);
    gr_xr.fd = -1;
    gr_xr.pid = 0;
    gr_xr.x = NULL;
    *status = st;
    return 0;
}

int
gr_xr_run(struct gr_x_run *x, bool fresh, int *status, bool *reused)
{
    if (gr_xr.pid > 0 && (fresh || gr_xr.x != x || gr_xr.runs >= GR_XR_MAX_RUNS))
        gr_xr_stop();
    if (gr_xr.pid <= 0) {
        int rc = gr_xr_start(x);
        if (rc)
            return rc;
    }
    *reused = gr_xr.runs > 0;
    gr_xr.runs++;
    char c = 'r';
    ssize_t n;
    while ((n = send(gr_xr.fd, &c, 1, MSG_NOSIGNAL)) < 0 && errno == EINTR)
        ;
    if (n == 1)
        while ((n = recv(gr_xr.fd, &c, 1, 0)) < 0 && errno == EINTR)
            ;
    if (n == 1) {
        *status = 0;
        return 0;
    }
    return gr_xr_reap(status); /* the run ended the child */
}
