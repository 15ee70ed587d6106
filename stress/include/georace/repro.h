/*
 * repro.h - 'georace repro': the crash of Zoraxy v3.1.4 reproduced on demand
 * and its fixes checked, as a list of expectations with verdicts.
 *
 * One accelerated scenario for every row: the flood-burst profile (every
 * page view a burst of 6 parallel requests from a new address: all miss and
 * all write the same key), 4 threads, flat out, a slow lookup emulated by a
 * 100 us miss cost, and the cache clear ticker at 250 ms instead of 15 min.
 *   1. gomap crashes with Go's fatal error in every trial
 *   2. a ThreadSanitizer build reports the race in gomap (detector off)
 *   3. ThreadSanitizer reports syncmap+naive-reset (and, as data, what the
 *      C variant does without TSan)
 *   4. syncmap, mutex, rwlock, sharded: no failure, no mismatch (also under
 *      ThreadSanitizer)
 *   5. Zoraxy's workaround (FASTLOCATION: mmdb lookup, no cache) never crashes
 *   6. the real Go map (the Go peer, gosubject.h) dies of the runtime's own
 *      fatal error under the same scenario (ranges binary-searched, so the
 *      miss cost prices a miss): most trials die (median reached), none any
 *      other way; Go's times have a long tail, a survivor is censored
 *   7. the Go peer's -race build reports the shipped fix (sync.Map reset)
 *   8. georace explore (controlled scheduling) finds gomap's and
 *      syncmap+naive-reset's failure and prints the shrunk schedule
 *   9. georace explore exhausts every hand-written scenario of the fixed
 *      variants up to 2 preemptions with no finding (schedule counts)
 * Go rows are skipped, with a notice, when the build has no Go peer.
 * TSan rows run a separately built binary as a child process and are
 * skipped, with the command to build it, when there is none.
 */
#ifndef GEORACE_REPRO_H
#define GEORACE_REPRO_H

#include <stdbool.h>
#include <stddef.h>

#include "georace/trial.h"

typedef enum gr_repro_verdict {
    GR_REPRO_PASS,
    GR_REPRO_FAIL,
    GR_REPRO_SKIP,
    GR_REPRO_INFO /* data shown, no expectation */
} gr_repro_verdict;

typedef struct gr_repro_row {
    char expectation[96];
    char variant[32];
    char build[16]; /* "default", "tsan", "go-race", "explore" ... */
    char result[160];
    char figures[320];
    gr_repro_verdict verdict;
} gr_repro_row;

typedef void (*gr_repro_row_fn)(const gr_repro_row *row, void *ctx);

typedef struct gr_repro_opts {
    unsigned trials;         /* gomap trials (>= 10 for the claim) */
    double seconds;          /* length of a surviving trial */
    const char *tsan_binary; /* NULL: look for build/tsan/cli/georace */
    gr_trial_workload_fn workload;
    gr_repro_row_fn on_row;
    void *ctx;
} gr_repro_opts;

#define GR_REPRO_MAX_ROWS 24

const char *gr_repro_verdict_name(gr_repro_verdict v);
/* The ThreadSanitizer binary the source tree would have, or NULL. */
const char *gr_repro_default_tsan_binary(void);
/* Runs every row; returns the number of rows; *all_ok false on any FAIL. */
size_t gr_repro_run(const gr_repro_opts *o, gr_repro_row *rows, bool *all_ok);

#endif
