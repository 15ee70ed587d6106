/*
 * xrun.h - one explored run: what the explorer (parent) asks for and what
 * the run (a forked child, sched.c) leaves behind, in one block of shared
 * memory that survives the child's death.
 *
 * The parent fills `plan`, forks; the child runs the scenario's threads one
 * at a time, asking the plan at every scheduling point which thread goes
 * next, and appends every decision to `steps` and every cache operation to
 * `ops` as it happens - so even a crashing child leaves its schedule and
 * history up to the crash. String pointers (what/file) point into the
 * binary's read-only data, identical in parent and child after fork.
 */
#ifndef GEORACE_XRUN_H
#define GEORACE_XRUN_H

#include <stdbool.h>
#include <stdint.h>

#include "scenario.h"

#define GR_X_MAXSTEPS 4096
/* each operation, a nested Store per Range, the setup */
#define GR_X_MAXOPS (2 * GR_SCN_MAXT * GR_SCN_MAXOPS + GR_SCN_MAXINIT)
#define GR_X_SETUP GR_SCN_MAXT /* thread number of setup operations */

enum gr_x_policy { GR_X_DEFAULT = 0, GR_X_RANDOM, GR_X_PCT };

/* child exit statuses (anything else, or a signal, is a crash) */
enum gr_x_exit {
    GR_X_EXIT_OK = 0,
    GR_X_EXIT_FATAL = 2,    /* Go-style detector fired (gr_sched_fatal) */
    GR_X_EXIT_DEADLOCK = 3, /* every live thread blocked on a lock */
    GR_X_EXIT_STEPS = 4,    /* more than GR_X_MAXSTEPS scheduling points */
    GR_X_EXIT_DIVERGED = 5, /* a prescribed choice named a thread that cannot run */
    GR_X_EXIT_SETUP = 6     /* cache or threads could not be created */
};

struct gr_x_plan {
    enum gr_x_policy policy;
    uint64_t seed;     /* random / pct choices */
    uint64_t run_seed; /* hash seeds of the cache (the same for every schedule of a scenario) */
    bool lenient;      /* a prescribed thread that cannot run: fall back to the policy */
    unsigned prio[GR_SCN_MAXT];
    unsigned nchange, change[8]; /* pct: priority change points (step numbers) */
    uint32_t prefix_len;
    uint8_t prefix[GR_X_MAXSTEPS];
};

struct gr_x_step {
    int8_t cur;      /* thread that reached the point and could go on; -1 none */
    uint8_t enabled; /* mask of threads that could run */
    uint8_t chosen;
    const char *what, *file; /* the chosen thread's next operation */
    int line;
};

struct gr_x_op {
    uint8_t thread, kind, key;    /* thread GR_X_SETUP: the setup, before the threads */
    bool hit;                     /* get: found; LOS/LAD/swap: loaded; CAS/CAD: done */
    bool dup;                     /* range: a key visited twice, or one not in the scenario */
    bool nested;                  /* a Store called by a Range's callback */
    uint8_t visited;              /* range: mask of keys visited */
    uint16_t value;               /* put/LOS/swap/CAS: value; get/LAD: value found */
    uint16_t old, out;            /* CAS/CAD: compared with; LOS: actual; swap: previous */
    uint16_t seen[GR_SCN_KEYS];   /* range: value visited per key */
    uint32_t inv, resp;           /* logical times (event counter); resp 0: never returned */
    uint32_t step_inv, step_resp; /* step counter at invocation / response */
};

struct gr_cache;
typedef int (*gr_x_factory)(struct gr_cache **out); /* tests: a variant of their own */
struct gr_explore_map_ops;

struct gr_x_run {
    struct gr_x_plan plan;
    char variant[48];
    gr_x_factory factory;                     /* NULL: the variant by name (sched build) */
    const struct gr_explore_map_ops *map_ops; /* API scenarios: the map they drive */
    struct gr_scenario scn;
    char msg[256];  /* fatal message, deadlock description */
    char race[400]; /* the happens-before detector's first race ("" none) */
    uint32_t nsteps, nops, events;
    struct gr_x_step steps[GR_X_MAXSTEPS];
    struct gr_x_op ops[GR_X_MAXOPS];
};

/* In the child (runner.c): for every byte read from fd, run x's scenario
 * under x's current plan and answer with a byte when the run ended
 * normally; any other end of a run _exits with a gr_x_exit (or dies by a
 * signal). Exits 0 when fd reaches end-of-file. */
_Noreturn void gr_x_serve(struct gr_x_run *x, int fd);

#endif
