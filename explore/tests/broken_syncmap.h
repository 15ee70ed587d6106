/*
 * broken_syncmap.h - sync.Maps broken on purpose, for the self-tests of the
 * API scenarios' oracles (broken_syncmap.c).
 */
#ifndef GEORACE_BROKEN_SYNCMAP_H
#define GEORACE_BROKEN_SYNCMAP_H

#include "georace/explore.h"

/* CompareAndSwap as Load, compare, then Store: two CASes from one old
 * value can both succeed. */
extern const gr_explore_map_ops bsm_cas_check_then_act;
/* LoadOrStore as Load, then Store on a miss: two callers can both store
 * and both report "not loaded". */
extern const gr_explore_map_ops bsm_los_stores_twice;
/* Range walks the map twice: every key is visited twice. */
extern const gr_explore_map_ops bsm_range_twice;

#endif
