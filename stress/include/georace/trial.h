/*
 * trial.h - one stress trial in a child process, so that a crash is data.
 *
 * Two ways to run a trial:
 *   fork   the child calls a workload function (gr_sim_run by default) and
 *          streams progress records to the parent over a pipe; the gomap
 *          detector may _exit(2) the child from inside the workload.
 *   exec   the child runs another program (e.g. a ThreadSanitizer build of
 *          georace); the parent watches its stderr for a sanitizer report and
 *          reads a JSON summary from its stdout if one is printed.
 * In both cases the parent captures the child's stderr, finds the fatal
 * message ("fatal error: concurrent map writes", Go's "panic: ...",
 * "WARNING: ThreadSanitizer: data race", Go's "WARNING: DATA RACE", ...), measures time-to-failure
 * on its own clock and enforces a hard deadline (SIGKILL) so a hung child cannot stall a campaign.
 */
#ifndef GEORACE_TRIAL_H
#define GEORACE_TRIAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "georace/sim.h"

typedef int (*gr_trial_workload_fn)(const gr_sim_config *cfg, gr_sim_result *out, char *err,
                                    size_t errcap);
/* Called in the parent for every progress record the child sends. */
typedef void (*gr_trial_sample_fn)(const gr_sim_progress *p, void *ctx);

typedef enum gr_trial_outcome {
    GR_TRIAL_SURVIVED = 0, /* ran to its end (mismatches are counted separately) */
    GR_TRIAL_FATAL,        /* Go-style fatal error (exit status 2 + "fatal error:" or
                              Go's "panic:") */
    GR_TRIAL_RACE,         /* a sanitizer reported (ThreadSanitizer / AddressSanitizer /
                              Go's race detector) */
    GR_TRIAL_CRASH,        /* killed by a signal (SIGSEGV, SIGABRT, ...) */
    GR_TRIAL_HUNG,         /* missed its hard deadline and was killed */
    GR_TRIAL_ERROR         /* could not run (bad configuration, exec failed, a subject
                              that exited 0 before the end, ...) */
} gr_trial_outcome;

/* A workload that runs the system under test as its own child process
 * (--via proxy) tells the runner how that process ended, so that the trial
 * is classified by the subject's fate rather than by the workload's. */
typedef struct gr_trial_subject {
    int wait_status;     /* as from waitpid() */
    uint64_t end_ns;     /* when it ended or was stopped, since the workload's start */
    bool died;           /* ended on its own, before the runner stopped it */
    bool stop_timed_out; /* ignored SIGTERM and was killed with SIGKILL */
    bool cache_unknown;  /* hits, misses, clears and cache length could not be read */
    bool rss_unknown;    /* its RSS was never sampled */
    /* A Go subject's runtime, from its start line (gosubject.h). */
    bool have_runtime;
    int gomaxprocs, numcpu;
    double loadavg1; /* 1-minute load average at its start; < 0 unknown */
} gr_trial_subject;

/* Called from inside a fork-mode trial (no-op elsewhere): send the record. */
void gr_trial_report_subject(const gr_trial_subject *s);

typedef struct gr_trial_spec {
    /* fork mode (exec_argv == NULL) */
    gr_trial_workload_fn workload;
    gr_sim_config sim; /* progress fields are overwritten by the runner */
    /* exec mode */
    char *const *exec_argv;
    char *const *exec_env_add; /* "K=V" strings added to the environment, NULL-terminated */
    /* common */
    uint64_t sample_interval_ns; /* progress record period in fork mode (0: 100 ms) */
    uint64_t deadline_ns;        /* hard limit after which the child is killed (0: none) */
    gr_trial_sample_fn on_sample;
    void *sample_ctx;
    /* Child start-up time to subtract when no progress record arrived
     * before the end (a failure in the first sample interval). */
    double start_offset_hint_s;
} gr_trial_spec;

typedef struct gr_trial_result {
    gr_trial_outcome outcome;
    int exit_status; /* -1 when killed by a signal */
    int term_signal; /* 0 when it exited */
    char message[256];
    double elapsed_s;      /* trial's wall time (from the workload's start when known) */
    double ttf_s;          /* time to failure, meaningful when failed: == elapsed_s, or, when a
                              subject died, its death (both from the workload's start) */
    double first_report_s; /* exec mode: first sanitizer/fatal line seen (-1: none) */
    bool have_final;       /* the child delivered its final counters */
    gr_sim_result sim;     /* final counters, or the last progress record's */
    uint64_t samples;
    bool have_subject;          /* the workload reported a subject (via proxy) */
    gr_trial_subject subject;   /* its report; exit_status/term_signal are then its own */
    bool cache_unknown;         /* sim.hits, misses, clears, cache_len_max not known */
    bool rss_unknown;           /* sim.rss_max_kb not known */
    double start_offset_s;      /* child start-up time subtracted from the times */
    bool start_offset_measured; /* from a progress record (else the hint) */
    char stderr_tail[1024];
} gr_trial_result;

const char *gr_trial_outcome_name(gr_trial_outcome o);
/* Failed = fatal, race, crash or hung. */
bool gr_trial_failed(const gr_trial_result *r);
/* Run one trial; returns 0, or -1 if the runner itself failed (fork/pipe). */
int gr_trial_run(const gr_trial_spec *spec, gr_trial_result *out);
/* The fatal message among stderr text, or "" (exposed for tests). */
void gr_trial_find_message(const char *text, char *msg, size_t cap);

#endif
