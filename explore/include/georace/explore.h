/*
 * explore.h - controlled exploration of a cache variant's interleavings.
 *
 * A scenario (2-3 threads, a few get/put/clear each) runs against a copy of
 * the variant compiled with scheduling points (cache/variants/sched_hooks.h)
 * under a controlled scheduler: one thread at a time, the strategy choosing
 * who runs at every point. Each schedule runs in a forked child, so a crash
 * or Go's fatal error ends one run, not the exploration. Oracles, checked on
 * every run: the Go-style detector fired, the run crashed or hung, a
 * deadlock, and linearizability of the run's history (linear.h).
 *
 * Strategies: random; PCT (random priorities with depth-1 change points);
 * DFS with a preemption bound (CHESS), exhaustive within the bound, no
 * partial-order reduction. Interleavings are sequentially consistent:
 * reorderings allowed by weaker C11 orderings are not explored.
 *
 * A schedule is a string "v1:VARIANT:SCENARIO:CHOICES" (CHOICES: the thread
 * chosen at each point, run-length coded: a..c = T0..T2, a count after a
 * letter repeats it); replaying it reproduces the run exactly.
 */
#ifndef GEORACE_EXPLORE_H
#define GEORACE_EXPLORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "georace/cache.h"
#include "georace/ip.h"

enum gr_explore_strategy { GR_EXPLORE_RANDOM = 0, GR_EXPLORE_PCT, GR_EXPLORE_DFS };

enum gr_explore_oracle {
    GR_ORACLE_NONE = 0,
    GR_ORACLE_DETECTOR, /* Go-style fatal error */
    GR_ORACLE_CRASH,    /* signal, sanitizer or abnormal exit */
    GR_ORACLE_HANG,     /* no progress outside scheduling points */
    GR_ORACLE_DEADLOCK,
    GR_ORACLE_LIVELOCK, /* step bound exceeded */
    GR_ORACLE_LINEARIZABILITY,
    GR_ORACLE_RACE, /* the scheduler's happens-before detector */
    GR_ORACLE_COUNT
};

const char *gr_explore_oracle_name(enum gr_explore_oracle o);

typedef int (*gr_explore_factory)(gr_cache **out);

/* A map with Go's sync.Map API, for the API scenarios (scenario.h). Values
 * are country codes in uintptr_t. */
typedef struct gr_explore_map_ops {
    void *(*create)(void); /* NULL: out of memory */
    void (*destroy)(void *m);
    bool (*load)(void *m, const gr_ip *k, uintptr_t *v);
    void (*store)(void *m, const gr_ip *k, uintptr_t v);
    bool (*load_or_store)(void *m, const gr_ip *k, uintptr_t v, uintptr_t *actual);
    bool (*load_and_delete)(void *m, const gr_ip *k, uintptr_t *v);
    void (*delete_)(void *m, const gr_ip *k);
    bool (*swap)(void *m, const gr_ip *k, uintptr_t v, uintptr_t *previous);
    bool (*compare_and_swap)(void *m, const gr_ip *k, uintptr_t old, uintptr_t new_);
    bool (*compare_and_delete)(void *m, const gr_ip *k, uintptr_t old);
    void (*range)(void *m, bool (*fn)(const gr_ip *k, uintptr_t v, void *ctx), void *ctx);
    void (*clear)(void *m);
} gr_explore_map_ops;

/* gr_syncmap compiled with scheduling points (the "syncmap" variant's API
 * scenarios drive it), its EBR domain collecting at every critical
 * section's exit. */
const gr_explore_map_ops *gr_explore_syncmap_ops(void);
/* Tests: make `name` a variant of API scenarios only, driving ops (which
 * must outlive every exploration). 0, or -1 when the table is full. */
int gr_explore_register_map(const char *name, const gr_explore_map_ops *ops);

typedef struct gr_explore_progress {
    uint64_t schedules, findings, elapsed_ns;
    uint64_t distinct; /* distinct interleavings (hash of the choice sequence) */
    const char *scenario;
} gr_explore_progress;

typedef struct gr_explore_config {
    const char *variant;        /* a variant name (cache.h) */
    gr_explore_factory factory; /* tests: create this cache instead (variant is its label) */
    enum gr_explore_strategy strategy;
    const char *scenario;      /* one scenario by name; NULL: every hand-written one */
    unsigned random_scenarios; /* > 0: this many seeded random scenarios instead */
    uint64_t seed;
    uint64_t budget_ns;     /* 0: none */
    uint64_t max_schedules; /* 0: none (dfs: until exhausted) */
    unsigned depth;         /* pct: bug depth d (d - 1 change points), default 3 */
    unsigned preemptions;   /* dfs: preemption bound, default 2 */
    bool keep_going;        /* do not stop at the first finding */
    void (*progress)(const gr_explore_progress *p, void *ctx);
    void *progress_ctx;
} gr_explore_config;

typedef struct gr_explore_finding {
    enum gr_explore_oracle oracle;
    char scenario[32];
    char message[512];
    char schedule[8192];
    uint64_t schedule_no; /* 1-based, over the whole exploration */
    uint64_t elapsed_ns;  /* time to this finding */
    unsigned steps, preemptions;
} gr_explore_finding;

typedef struct gr_explore_scn_result {
    char name[32];
    uint64_t schedules;
    bool exhausted; /* dfs: every schedule within the bound ran */
    unsigned max_steps;
} gr_explore_scn_result;

typedef struct gr_explore_result {
    uint64_t schedules, distinct, elapsed_ns;
    uint64_t by_oracle[GR_ORACLE_COUNT];
    bool exhausted; /* dfs: every scenario exhausted */
    bool budget_hit;
    size_t nscn;
    gr_explore_scn_result scn[64];
    bool found;
    gr_explore_finding first;
} gr_explore_result;

enum gr_explore_error {
    GR_EXPLORE_OK = 0,
    GR_EXPLORE_EARG = -1,      /* bad configuration */
    GR_EXPLORE_ESCHEDULE = -2, /* malformed schedule, or it does not fit its scenario */
    GR_EXPLORE_ESYS = -3       /* fork, memory */
};

void gr_explore_config_default(gr_explore_config *cfg);
int gr_explore_run(const gr_explore_config *cfg, gr_explore_result *res, char *err, size_t cap);

/* Replay a schedule string; variant/factory as in the config (variant NULL:
 * the one in the string). out->oracle NONE: the run passed every oracle. */
int gr_explore_replay(const char *schedule, const char *variant, gr_explore_factory factory,
                      gr_explore_finding *out, char *err, size_t cap);
/* Shrink a failing schedule: fewer preemptions, then fewer steps, same
 * oracle. out gets the shrunk finding. */
int gr_explore_shrink(const char *schedule, const char *variant, gr_explore_factory factory,
                      gr_explore_finding *out, char *err, size_t cap);
/* Print a schedule's run as a column-per-thread trace (operation, source line). */
int gr_explore_trace(FILE *f, const char *schedule, const char *variant, gr_explore_factory factory,
                     char *err, size_t cap);

#endif
