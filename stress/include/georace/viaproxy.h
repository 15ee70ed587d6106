/*
 * viaproxy.h - a trial workload that runs the real thing instead of the
 * in-process simulator: the upstream (the test server), the HTTP proxy
 * (with the variant under test) and the load generator as processes of
 * their own on loopback, each a fork that calls its library directly with
 * a configuration made from the gr_sim_config (variant, threads, write
 * window, detector, clear interval, profile, seed, rate, duration). The
 * proxy's stderr is the trial's stderr, so its Go-style fatal error is
 * recorded like the simulator's; the trial is judged by how the proxy
 * itself ended.
 */
#ifndef GEORACE_VIAPROXY_H
#define GEORACE_VIAPROXY_H

#include "georace/sim.h"

/* Same contract as gr_sim_run (a gr_trial_workload_fn). */
int gr_viaproxy_run(const gr_sim_config *cfg, gr_sim_result *out, char *err, size_t errcap);

#endif
