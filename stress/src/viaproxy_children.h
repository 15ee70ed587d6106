/*
 * viaproxy_children.h - the three processes of a via-proxy trial (private
 * to stress/): the upstream, the proxy under test and the load generator.
 * Each is a fork of the trial's process that calls its library's entry
 * point (upstream.h, proxy.h, loadgen.h) with a configuration made from
 * the trial's gr_sim_config; no command line is built or parsed.
 *
 * Every child dies with the trial (PR_SET_PDEATHSIG), is named for ps
 * ("gr-upstream", "gr-proxy", "gr-load"), keeps the trial's stderr (so the
 * proxy's Go-style fatal error or sanitizer report is the trial's) and
 * reports to the trial over a pipe: the servers write the address they
 * bound, one line, then serve until SIGTERM and exit 0; the load generator
 * writes its gr_load_result when the run is over.
 */
#ifndef GEORACE_VIAPROXY_CHILDREN_H
#define GEORACE_VIAPROXY_CHILDREN_H

#include <stddef.h>
#include <sys/types.h>

#include "georace/loadgen.h"
#include "georace/sim.h"

/* Each returns the child's pid and the read end of its report pipe in
 * *fd, or -1 when it could not fork. */
pid_t gr_viaproxy_start_upstream(int *fd);
pid_t gr_viaproxy_start_proxy(const gr_sim_config *cfg, const char *upstream, int *fd);
pid_t gr_viaproxy_start_load(const gr_sim_config *cfg, const char *target, int *fd);

/* The address line a server child reports (10 s at most); 0 or -1. */
int gr_viaproxy_read_address(int fd, char *addr, size_t cap);
/* The load generator's report, as collected from its pipe; 0 or -1. */
int gr_viaproxy_load_report(const char *buf, size_t len, gr_load_result *out);

#endif
