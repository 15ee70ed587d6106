/*
 * burner.c - see burner.h. Each burner is a forked child spinning on the
 * monotonic clock (a call the compiler cannot remove) until it is killed.
 * The parent only forks, kills and reaps: no shared memory, no threads.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "georace/burner.h"
#include "georace/clock.h"

static _Noreturn void
gr_burner_spin(void)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    for (;;)
        (void)gr_clock_now_ns();
}

int
gr_burner_start(gr_burner *b, unsigned n)
{
    memset(b, 0, sizeof *b);
    if (n > GR_BURNER_MAX)
        return -1;
    for (unsigned i = 0; i < n; i++) {
        pid_t pid = fork();
        if (pid == 0)
            gr_burner_spin();
        if (pid < 0) {
            gr_burner_stop(b);
            return -1;
        }
        b->pid[b->n++] = pid;
    }
    return 0;
}

void
gr_burner_stop(gr_burner *b)
{
    for (unsigned i = 0; i < b->n; i++)
        kill(b->pid[i], SIGKILL);
    for (unsigned i = 0; i < b->n; i++)
        while (waitpid(b->pid[i], NULL, 0) < 0 && errno == EINTR)
            ;
    b->n = 0;
}
