/*
 * viaproxy.h - a trial workload that runs the real thing instead of the
 * in-process simulator: 'georace upstream', 'georace proxy' (with the
 * variant under test) and 'georace load' as processes on loopback, started
 * from this very binary (/proc/self/exe). The proxy's stderr is the trial's
 * stderr, so its Go-style fatal error is recorded like the simulator's.
 */
#ifndef GEORACE_VIAPROXY_H
#define GEORACE_VIAPROXY_H

#include "georace/sim.h"

/* Same contract as gr_sim_run (a gr_trial_workload_fn). */
int gr_viaproxy_run(const gr_sim_config *cfg, gr_sim_result *out, char *err, size_t errcap);

#endif
