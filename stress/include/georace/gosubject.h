/*
 * gosubject.h - a trial workload that runs the Go peer (gopeer/) instead of
 * a C cache variant: Zoraxy v3.1.4's slow-resolve path on the real Go
 * runtime, fed the trial's own request stream.
 *
 * Inside the trial's child process the workload starts the peer with its
 * standard input on a pipe, its standard output on another and its
 * standard error on the trial's (so the runner drains it and finds Go's
 * "fatal error: ..." / "panic: ..." / "WARNING: DATA RACE" as it does for
 * every trial). A feeder thread writes the stream of the trial's profile,
 * seed and rate in the wire format (traffic_wire.h); the workload reads
 * the peer's JSON lines: "start" is time 0 of the trial, "progress" lines
 * become progress records, "summary" gives a survivor's counters. The
 * peer's end goes to the runner as a subject record (trial.h), with the
 * GOMAXPROCS, CPU count and load average its start line reported.
 */
#ifndef GEORACE_GOSUBJECT_H
#define GEORACE_GOSUBJECT_H

#include <stdbool.h>

#include "georace/sim.h"

typedef struct gr_gosubject_config {
    const char *peer;    /* path of georace-gopeer (or its -race build) */
    bool race;           /* the -race build: stop at its first report */
    unsigned gomaxprocs; /* GOMAXPROCS of the peer; 0: the runtime's default (CPU count) */
} gr_gosubject_config;

/* The store a subject name runs ("go-map" -> "map"), or NULL if the name
 * is not a Go subject. */
const char *gr_gosubject_store(const char *subject);
/* NULL-terminated subject names. */
const char *const *gr_gosubject_names(void);
/* The peer to run: $GEORACE_GOPEER (or $GEORACE_GOPEER_RACE for the race
 * build) when set, else the binary this build made; NULL when neither is
 * there. */
const char *gr_gosubject_default_peer(bool race);
/* Sets the peer for the trials that follow (they are forked and inherit
 * it); call before gr_campaign_run. */
void gr_gosubject_use(const gr_gosubject_config *c);
/* Same contract as gr_sim_run (a gr_trial_workload_fn). cfg->variant is
 * the subject name; profile, seed, rate (< 0: the profile's, 0: flat out),
 * duration, clear interval, miss cost, backend (scan or bsearch) and CSV
 * files are passed on. */
int gr_gosubject_run(const gr_sim_config *cfg, gr_sim_result *out, char *err, size_t errcap);

#endif
