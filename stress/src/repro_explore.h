/*
 * repro_explore.h - the rows of 'georace repro' that come from controlled
 * scheduling (georace explore) rather than from trials (repro_explore.c).
 */
#ifndef GEORACE_REPRO_EXPLORE_H
#define GEORACE_REPRO_EXPLORE_H

#include "georace/repro.h"

/* PCT until the first finding, then shrunk: the oracle and the shortest
 * failing schedule found. PASS when there is a finding. */
void gr_repro_explore_buggy(const char *variant, gr_repro_row *r);
/* DFS over every hand-written scenario of variant with at most k
 * preemptions. PASS when every one is exhausted with no finding. */
void gr_repro_explore_fixed(const char *variant, unsigned k, gr_repro_row *r);

#endif
