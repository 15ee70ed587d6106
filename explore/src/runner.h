/*
 * runner.h - the child process that runs explored schedules (runner.c).
 */
#ifndef GEORACE_XRUNNER_H
#define GEORACE_XRUNNER_H

#include <stdbool.h>

#include "xrun.h"

/* Run x's plan in a child and store its wait status in *status (0 when the
 * run ended normally and the child lives on for the next one). fresh: in a
 * child that has run nothing before. *reused: whether the child had run
 * other schedules before this one. 0, or -errno when fork or the channel
 * fails. */
int gr_xr_run(struct gr_x_run *x, bool fresh, int *status, bool *reused);
/* Stop the child (if any) and reap it. */
void gr_xr_stop(void);

#endif
