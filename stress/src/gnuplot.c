/*
 * gnuplot.c - see gnuplot.h: fork, chdir, exec; status 127 from the child
 * means the program could not be executed (not installed).
 */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "georace/gnuplot.h"

int
gr_gnuplot_run(const char *dir, const char *prog, const char *script, const char *log, char *err,
               size_t errcap)
{
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errcap, "cannot fork gnuplot");
        return -1;
    }
    if (pid == 0) {
        if (chdir(dir))
            _exit(126);
        FILE *l = freopen(log, "w", stderr);
        (void)l;
        execlp(prog, prog, script, (char *)NULL);
        _exit(127);
    }
    int status;
    if (waitpid(pid, &status, 0) != pid) {
        snprintf(err, errcap, "lost the gnuplot process");
        return -1;
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
        return 1;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        snprintf(err, errcap, "gnuplot failed, see %s/%s", dir, log);
        return -1;
    }
    return 0;
}
