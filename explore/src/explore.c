/*
 * explore.c - the exploration loop: strategies, oracles, the DFS stack,
 * replay and shrinking (explore.h).
 *
 * The parent never runs cache code. For each schedule it fills the plan in
 * a shared block (xrun.h), has the runner's child run it (runner.c), and
 * reads the child's steps and history after the run ends - or the child
 * dies. DFS is stateless (CHESS): a run is fixed by its
 * prefix of choices; after each run the deepest step with an untried
 * enabled thread whose choice keeps the preemption count within the bound
 * becomes the next prefix, the rest of the run follows the non-preemptive
 * default (keep the running thread, else the lowest enabled one). A
 * preemption is choosing another thread while the one that reached the
 * point could go on. No partial-order or sleep-set reduction: the counts
 * are of all schedules within the bound.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "georace/clock.h"
#include "georace/explore.h"
#include "georace/linear.h"
#include "georace/rng.h"
#include "runner.h"
#include "schedule.h"
#include "xrun.h"

const char *
gr_explore_oracle_name(enum gr_explore_oracle o)
{
    static const char *const names[] = {"none",     "go-detector", "crash",           "hang",
                                        "deadlock", "livelock",    "linearizability", "race"};
    return o < GR_ORACLE_COUNT ? names[o] : "?";
}

/* ---- variants of API scenarios only (tests), and syncmap's API ---- */

#define GR_X_MAPS 8

static struct {
    char name[48];
    const gr_explore_map_ops *ops;
} gr_x_maps[GR_X_MAPS];

int
gr_explore_register_map(const char *name, const gr_explore_map_ops *ops)
{
    for (unsigned i = 0; i < GR_X_MAPS; i++)
        if (!gr_x_maps[i].ops || !strcmp(gr_x_maps[i].name, name)) {
            snprintf(gr_x_maps[i].name, sizeof gr_x_maps[i].name, "%s", name);
            gr_x_maps[i].ops = ops;
            return 0;
        }
    return -1;
}

/* The map that `variant`'s API scenarios drive; NULL: it has none. */
static const gr_explore_map_ops *
gr_x_map_ops(const char *variant)
{
    for (unsigned i = 0; i < GR_X_MAPS && gr_x_maps[i].ops; i++)
        if (!strcmp(gr_x_maps[i].name, variant))
            return gr_x_maps[i].ops;
    return strcmp(variant, "syncmap") ? NULL : gr_explore_syncmap_ops();
}

/* Whether variant (with factory) runs cache scenarios / API scenarios. */
static bool
gr_x_runs_cache(const char *variant, gr_explore_factory factory)
{
    return factory || gr_cache_variant_exists(variant);
}

static bool
gr_x_runs(const char *variant, gr_explore_factory factory, const struct gr_scenario *scn)
{
    return scn->api ? gr_x_map_ops(variant) != NULL : gr_x_runs_cache(variant, factory);
}

static bool
gr_x_known(const char *variant, gr_explore_factory factory)
{
    return variant && (gr_x_runs_cache(variant, factory) || gr_x_map_ops(variant));
}

void
gr_explore_config_default(gr_explore_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->strategy = GR_EXPLORE_PCT;
    cfg->seed = 1;
    cfg->depth = 3;
    cfg->preemptions = 2;
}

static struct gr_x_run *
gr_x_alloc(void)
{
    void *p = mmap(NULL, sizeof(struct gr_x_run), PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

static void
gr_x_free(struct gr_x_run *x)
{
    gr_xr_stop();
    if (x)
        munmap(x, sizeof *x);
}

static uint64_t
gr_x_name_seed(const char *name)
{
    uint64_t h = 1469598103934665603ull;
    while (*name)
        h = (h ^ (uint8_t)*name++) * 1099511628211ull;
    return h;
}

static unsigned
gr_x_preemptions(const struct gr_x_run *x)
{
    unsigned n = 0;
    for (uint32_t i = 0; i < x->nsteps; i++)
        n += x->steps[i].cur >= 0 && x->steps[i].chosen != (uint8_t)x->steps[i].cur;
    return n;
}

static const uint8_t gr_x_lin_kind[GR_SCN_KINDS] = {[GR_SCN_GET] = GR_LIN_GET,
                                                    [GR_SCN_PUT] = GR_LIN_PUT,
                                                    [GR_SCN_CLEAR] = GR_LIN_CLEAR,
                                                    [GR_SCN_LOAD_OR_STORE] = GR_LIN_LOAD_OR_STORE,
                                                    [GR_SCN_LOAD_AND_DELETE] =
                                                        GR_LIN_LOAD_AND_DELETE,
                                                    [GR_SCN_DELETE] = GR_LIN_DELETE,
                                                    [GR_SCN_SWAP] = GR_LIN_SWAP,
                                                    [GR_SCN_CAS] = GR_LIN_CAS,
                                                    [GR_SCN_CAD] = GR_LIN_CAD,
                                                    [GR_SCN_RANGE] = GR_LIN_RANGE,
                                                    [GR_SCN_RANGE_STORE] = GR_LIN_RANGE};

/* The run's history for the checker: a Range becomes one operation per key
 * (visited with its value, or not visited). A Range that visited a key
 * twice is wrong by itself (Go: no key is visited more than once). 1: not
 * linearizable (msg), 0: it is, -1: out of memory. */
static int
gr_x_linear(const struct gr_x_run *x, char *msg, size_t cap)
{
    static gr_lin_op ops[GR_X_MAXOPS * GR_SCN_KEYS];
    size_t n = 0;
    for (uint32_t i = 0; i < x->nops; i++) {
        const struct gr_x_op *o = &x->ops[i];
        bool range = o->kind == GR_SCN_RANGE || o->kind == GR_SCN_RANGE_STORE;
        if (range && o->dup && o->resp) {
            snprintf(msg, cap,
                     "not linearizable: a range by thread %u visited a key twice (or a key the "
                     "scenario never stored)",
                     o->thread);
            return 1;
        }
        for (unsigned k = 0; k < (range ? GR_SCN_KEYS : 1u); k++) {
            gr_lin_op *l = &ops[n++];
            memset(l, 0, sizeof *l);
            gr_scn_key(range ? k : o->key, &l->key);
            l->thread = o->thread == GR_X_SETUP ? GR_LIN_SETUP : o->thread;
            l->kind = gr_x_lin_kind[o->kind < GR_SCN_KINDS ? o->kind : 0];
            l->hit = range ? (o->visited >> k & 1) : o->hit;
            l->value = range ? o->seen[k] : o->value;
            l->old = o->old;
            l->out = o->out;
            l->inv = o->inv;
            l->resp = o->resp;
            l->pending = o->resp == 0;
        }
    }
    gr_lin_report rep;
    if (gr_lin_check(ops, n, &rep))
        return -1;
    if (!rep.ok)
        snprintf(msg, cap, "not linearizable: %.480s", rep.msg);
    return rep.ok ? 0 : 1;
}

static int gr_x_exec_raw(struct gr_x_run *x, enum gr_explore_oracle *oracle, char *msg, size_t cap);

/* Whether every operation of the scenario returned (the history is whole). */
static bool
gr_x_history_whole(const struct gr_x_run *x)
{
    unsigned total = x->scn.ninit, top = 0;
    for (unsigned t = 0; t < x->scn.nthreads; t++)
        total += x->scn.nops[t];
    for (uint32_t i = 0; i < x->nops; i++)
        top += !x->ops[i].nested;
    if (top != total)
        return false;
    for (uint32_t i = 0; i < x->nops; i++)
        if (!x->ops[i].resp)
            return false;
    return true;
}

/* Run x's plan in a child. Returns 0 with *oracle set, or a gr_explore_error.
 * A run that fails after every operation returned (a crash in teardown, a
 * double free of what the race left behind) is judged by its history first:
 * a wrong answer is the more telling finding. */
static int
gr_x_exec(struct gr_x_run *x, enum gr_explore_oracle *oracle, char *msg, size_t cap)
{
    int rc = gr_x_exec_raw(x, oracle, msg, cap);
    if (rc || *oracle == GR_ORACLE_NONE || *oracle == GR_ORACLE_LINEARIZABILITY ||
        !gr_x_history_whole(x))
        return rc;
    char lin[512];
    if (gr_x_linear(x, lin, sizeof lin) == 1) {
        char first[100];
        snprintf(first, sizeof first, "%s", msg);
        size_t n = strlen(lin) > 380 ? 380 : strlen(lin);
        memcpy(msg, lin, n < cap ? n : cap - 1);
        snprintf(msg + (n < cap ? n : cap - 1), cap - (n < cap ? n : cap - 1),
                 "; then, after every operation returned: %s", first);
        *oracle = GR_ORACLE_LINEARIZABILITY;
    }
    return 0;
}

/* Judge a run by the child's wait status (0: ended normally). */
static int
gr_x_classify(struct gr_x_run *x, int st, enum gr_explore_oracle *oracle, char *msg, size_t cap)
{
    *oracle = GR_ORACLE_NONE;
    msg[0] = '\0';
    if (WIFSIGNALED(st)) {
        int sig = WTERMSIG(st);
        *oracle = sig == SIGALRM ? GR_ORACLE_HANG : GR_ORACLE_CRASH;
        snprintf(msg, cap, "%s (%s) after %u scheduling points",
                 sig == SIGALRM ? "run hung outside any scheduling point" : "run crashed",
                 strsignal(sig), (unsigned)x->nsteps);
        return 0;
    }
    int code = WEXITSTATUS(st);
    switch (code) {
    case GR_X_EXIT_OK: {
        int r = gr_x_linear(x, msg, cap);
        if (r < 0) {
            snprintf(msg, cap, "linearizability check: out of memory");
            return GR_EXPLORE_ESYS;
        }
        *oracle = r ? GR_ORACLE_LINEARIZABILITY : GR_ORACLE_NONE;
        if (!r && x->race[0]) { /* the run ended well and answered right, but raced */
            *oracle = GR_ORACLE_RACE;
            snprintf(msg, cap, "%s", x->race);
        }
        return 0;
    }
    case GR_X_EXIT_FATAL:
        *oracle = GR_ORACLE_DETECTOR;
        break;
    case GR_X_EXIT_DEADLOCK:
        *oracle = GR_ORACLE_DEADLOCK;
        break;
    case GR_X_EXIT_STEPS:
        *oracle = GR_ORACLE_LIVELOCK;
        break;
    case GR_X_EXIT_DIVERGED:
        snprintf(msg, cap, "%s", x->msg);
        return GR_EXPLORE_ESCHEDULE;
    case GR_X_EXIT_SETUP:
        snprintf(msg, cap, "%s", x->msg);
        return GR_EXPLORE_ESYS;
    default:
        *oracle = GR_ORACLE_CRASH;
        snprintf(msg, cap, "run ended with exit status %d (a sanitizer or abort report above)",
                 code);
        return 0;
    }
    snprintf(msg, cap, "%s", x->msg);
    return 0;
}

/* One run of x's plan in the runner's child (runner.c). A finding in a
 * child that ran other schedules before is re-run in a fresh child, and
 * that run is the one judged: nothing an earlier run left behind can make
 * or hide a finding that gets reported. */
static int
gr_x_exec_raw(struct gr_x_run *x, enum gr_explore_oracle *oracle, char *msg, size_t cap)
{
    for (bool fresh = false;; fresh = true) {
        x->nsteps = x->nops = x->events = 0;
        x->msg[0] = x->race[0] = '\0';
        msg[0] = '\0';
        *oracle = GR_ORACLE_NONE;
        int st;
        bool reused;
        int e = gr_xr_run(x, fresh, &st, &reused);
        if (e) {
            snprintf(msg, cap, "cannot run a schedule: %s", strerror(-e));
            return GR_EXPLORE_ESYS;
        }
        int rc = gr_x_classify(x, st, oracle, msg, cap);
        if (!reused || (rc == 0 && *oracle == GR_ORACLE_NONE))
            return rc;
    }
}

static void
gr_x_setup(struct gr_x_run *x, const char *variant, gr_explore_factory factory,
           const struct gr_scenario *scn)
{
    memset(&x->plan, 0, sizeof x->plan);
    snprintf(x->variant, sizeof x->variant, "%s", variant);
    x->factory = factory;
    x->map_ops = gr_x_map_ops(variant);
    x->scn = *scn;
    x->plan.run_seed = gr_x_name_seed(scn->name);
}

static void
gr_x_finding(const struct gr_x_run *x, enum gr_explore_oracle o, const char *msg,
             gr_explore_finding *f)
{
    memset(f, 0, sizeof *f);
    f->oracle = o;
    snprintf(f->scenario, sizeof f->scenario, "%s", x->scn.name);
    snprintf(f->message, sizeof f->message, "%s", msg);
    uint8_t ch[GR_X_MAXSTEPS];
    for (uint32_t i = 0; i < x->nsteps; i++)
        ch[i] = x->steps[i].chosen;
    if (gr_schedule_format(x->variant, x->scn.name, ch, x->nsteps, f->schedule, sizeof f->schedule))
        snprintf(f->schedule, sizeof f->schedule, "(schedule too long to print)");
    f->steps = x->nsteps;
    f->preemptions = gr_x_preemptions(x);
}

/* ---- distinct interleavings: a set of 64-bit hashes ---- */

struct gr_x_hset {
    uint64_t *h;
    size_t n, cap;
};

static void
gr_x_hset_add(struct gr_x_hset *s, const struct gr_x_run *x)
{
    uint64_t h = gr_x_name_seed(x->scn.name);
    for (uint32_t i = 0; i < x->nsteps; i++)
        h = (h ^ x->steps[i].chosen) * 1099511628211ull;
    h |= 1;
    if (2 * (s->n + 1) > s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 1024;
        uint64_t *n = calloc(cap, sizeof *n);
        if (!n)
            return;
        for (size_t i = 0; i < s->cap; i++)
            if (s->h[i])
                for (size_t j = s->h[i] & (cap - 1);; j = (j + 1) & (cap - 1))
                    if (!n[j]) {
                        n[j] = s->h[i];
                        break;
                    }
        free(s->h);
        s->h = n;
        s->cap = cap;
    }
    for (size_t j = h & (s->cap - 1);; j = (j + 1) & (s->cap - 1)) {
        if (s->h[j] == h)
            return;
        if (!s->h[j]) {
            s->h[j] = h;
            s->n++;
            return;
        }
    }
}

/* ---- plans ---- */

static void
gr_x_plan_random(struct gr_x_run *x, const gr_explore_config *cfg, uint64_t seed, unsigned est)
{
    uint64_t s[4];
    gr_rng_xoshiro_seed(s, seed);
    x->plan.seed = gr_rng_xoshiro_next(s);
    if (cfg->strategy == GR_EXPLORE_RANDOM) {
        x->plan.policy = GR_X_RANDOM;
        return;
    }
    x->plan.policy = GR_X_PCT;
    unsigned n = x->scn.nthreads, d = cfg->depth ? cfg->depth : 3;
    if (d > 9)
        d = 9;
    unsigned perm[GR_SCN_MAXT];
    for (unsigned i = 0; i < n; i++)
        perm[i] = i;
    for (unsigned i = n; i > 1; i--) {
        unsigned j = (unsigned)(gr_rng_xoshiro_next(s) % i), t = perm[i - 1];
        perm[i - 1] = perm[j];
        perm[j] = t;
    }
    for (unsigned i = 0; i < n; i++)
        x->plan.prio[i] = d + perm[i];
    x->plan.nchange = d - 1;
    for (unsigned j = 0; j + 1 < d; j++)
        x->plan.change[j] = 1 + (unsigned)(gr_rng_xoshiro_next(s) % (est ? est : 1));
}

/* ---- DFS ---- */

struct gr_x_dfs {
    uint32_t n;
    uint8_t chosen[GR_X_MAXSTEPS], enabled[GR_X_MAXSTEPS], done[GR_X_MAXSTEPS];
    int8_t cur[GR_X_MAXSTEPS];
    uint16_t pre[GR_X_MAXSTEPS + 1];
};

static int
gr_x_dfs_update(struct gr_x_dfs *d, const struct gr_x_run *x, uint32_t p)
{
    for (uint32_t i = 0; i < p && i < x->nsteps; i++)
        if (d->enabled[i] != x->steps[i].enabled)
            return -1; /* the same prefix gave another run: nondeterminism */
    for (uint32_t i = p; i < x->nsteps; i++) {
        d->chosen[i] = x->steps[i].chosen;
        d->enabled[i] = x->steps[i].enabled;
        d->cur[i] = x->steps[i].cur;
        d->done[i] = (uint8_t)(1u << x->steps[i].chosen);
    }
    d->pre[0] = 0;
    for (uint32_t i = p ? p - 1 : 0; i < x->nsteps; i++)
        d->pre[i + 1] = (uint16_t)(d->pre[i] + (d->cur[i] >= 0 && d->chosen[i] != d->cur[i]));
    d->n = x->nsteps;
    return 0;
}

/* Next prefix length, or 0 when the bound is exhausted. */
static uint32_t
gr_x_dfs_next(struct gr_x_dfs *d, unsigned bound)
{
    for (uint32_t i = d->n; i-- > 0;) {
        unsigned untried = d->enabled[i] & ~d->done[i];
        for (unsigned t = 0; untried; t++, untried >>= 1) {
            if (!(untried & 1))
                continue;
            unsigned cost = d->pre[i] + (d->cur[i] >= 0 && (int)t != d->cur[i]);
            d->done[i] |= (uint8_t)(1u << t);
            if (cost <= bound) {
                d->chosen[i] = (uint8_t)t;
                return i + 1;
            }
        }
    }
    return 0;
}

/* ---- the loop ---- */

struct gr_x_state {
    const gr_explore_config *cfg;
    gr_explore_result *res;
    struct gr_x_run *x;
    struct gr_x_hset seen;
    uint64_t t0, last_progress;
    char *err;
    size_t errcap;
};

/* 1: stop (finding, budget), 0: go on, <0: error */
static int
gr_x_one(struct gr_x_state *st, gr_explore_scn_result *sr)
{
    enum gr_explore_oracle o;
    char msg[512];
    int rc = gr_x_exec(st->x, &o, msg, sizeof msg);
    if (rc) {
        snprintf(st->err, st->errcap, "%s", msg);
        return rc == GR_EXPLORE_ESCHEDULE ? GR_EXPLORE_ESYS : rc;
    }
    gr_explore_result *r = st->res;
    uint64_t now = gr_clock_now_ns();
    r->schedules++;
    sr->schedules++;
    if (st->x->nsteps > sr->max_steps)
        sr->max_steps = st->x->nsteps;
    gr_x_hset_add(&st->seen, st->x);
    r->distinct = st->seen.n;
    r->elapsed_ns = now - st->t0;
    if (o != GR_ORACLE_NONE) {
        r->by_oracle[o]++;
        if (!r->found) {
            r->found = true;
            gr_x_finding(st->x, o, msg, &r->first);
            r->first.schedule_no = r->schedules;
            r->first.elapsed_ns = r->elapsed_ns;
        }
    }
    if (st->cfg->progress && (now - st->last_progress > 500000000ull || r->schedules == 1)) {
        uint64_t nf = 0;
        for (int i = 0; i < GR_ORACLE_COUNT; i++)
            nf += r->by_oracle[i];
        gr_explore_progress p = {r->schedules, nf, r->elapsed_ns, r->distinct, sr->name};
        st->cfg->progress(&p, st->cfg->progress_ctx);
        st->last_progress = now;
    }
    if (o != GR_ORACLE_NONE && !st->cfg->keep_going)
        return 1;
    if (st->cfg->budget_ns && r->elapsed_ns >= st->cfg->budget_ns) {
        r->budget_hit = true;
        return 1;
    }
    if (st->cfg->max_schedules && r->schedules >= st->cfg->max_schedules) {
        r->budget_hit = true;
        return 1;
    }
    return 0;
}

static int
gr_x_dfs_scenario(struct gr_x_state *st, gr_explore_scn_result *sr)
{
    static struct gr_x_dfs d;
    memset(&d, 0, sizeof d);
    uint32_t p = 0;
    for (;;) {
        memcpy(st->x->plan.prefix, d.chosen, p);
        st->x->plan.prefix_len = p;
        int rc = gr_x_one(st, sr);
        if (rc)
            return rc;
        if (gr_x_dfs_update(&d, st->x, p)) {
            snprintf(st->err, st->errcap,
                     "scenario %s: the same prefix gave a different run "
                     "(nondeterminism outside the scheduler)",
                     sr->name);
            return GR_EXPLORE_ESYS;
        }
        p = gr_x_dfs_next(&d, st->cfg->preemptions);
        if (!p) {
            sr->exhausted = true;
            return 0;
        }
    }
}

static int
gr_x_scenarios(const gr_explore_config *cfg, struct gr_scenario *out, size_t cap, char *err,
               size_t errcap)
{
    unsigned nb;
    const struct gr_scenario *b = gr_scn_builtin(&nb);
    if (cfg->scenario) {
        if (!gr_scn_by_name(cfg->scenario, &out[0])) {
            int len = snprintf(err, errcap, "unknown scenario '%s' (", cfg->scenario);
            for (unsigned i = 0; i < nb && len < (int)errcap; i++)
                len += snprintf(err + len, errcap - (size_t)len, "%s, ", b[i].name);
            if (len < (int)errcap)
                snprintf(err + len, errcap - (size_t)len, "r<seed> or a<seed>)");
            return -1;
        }
        if (!gr_x_runs(cfg->variant, cfg->factory, &out[0])) {
            snprintf(err, errcap,
                     out[0].api
                         ? "scenario '%s' uses the sync.Map API: only variant syncmap has it"
                         : "scenario '%s' uses the cache interface, which '%s' does not have",
                     cfg->scenario, cfg->variant);
            return -1;
        }
        return 1;
    }
    if (cfg->random_scenarios) {
        /* the sync.Map API where the variant has it, else the cache interface */
        bool api = gr_x_map_ops(cfg->variant) != NULL;
        size_t n = cfg->random_scenarios < cap ? cfg->random_scenarios : cap;
        for (size_t i = 0; i < n; i++)
            gr_scn_random(cfg->seed * 1000003u + i, api, &out[i]);
        return (int)n;
    }
    unsigned n = 0;
    for (unsigned i = 0; i < nb && n < cap; i++)
        if (gr_x_runs(cfg->variant, cfg->factory, &b[i]))
            out[n++] = b[i];
    return (int)n;
}

int
gr_explore_run(const gr_explore_config *cfg, gr_explore_result *res, char *err, size_t cap)
{
    memset(res, 0, sizeof *res);
    if (!gr_x_known(cfg->variant, cfg->factory)) {
        snprintf(err, cap, "unknown variant '%s'", cfg->variant ? cfg->variant : "");
        return GR_EXPLORE_EARG;
    }
    static struct gr_scenario scns[64];
    int nscn = gr_x_scenarios(cfg, scns, 64, err, cap);
    if (nscn <= 0)
        return GR_EXPLORE_EARG;
    struct gr_x_state st = {cfg, res, gr_x_alloc(), {0}, gr_clock_now_ns(), 0, err, cap};
    if (!st.x) {
        snprintf(err, cap, "cannot map the run's shared memory");
        return GR_EXPLORE_ESYS;
    }
    res->nscn = (size_t)nscn;
    for (int i = 0; i < nscn; i++)
        memcpy(res->scn[i].name, scns[i].name, sizeof res->scn[i].name);
    int rc = 0;
    if (cfg->strategy == GR_EXPLORE_DFS) {
        res->exhausted = true;
        for (int i = 0; i < nscn && rc == 0; i++) {
            gr_x_setup(st.x, cfg->variant, cfg->factory, &scns[i]);
            rc = gr_x_dfs_scenario(&st, &res->scn[i]);
            res->exhausted = res->exhausted && res->scn[i].exhausted;
        }
        if (rc == 1 || !res->scn[nscn - 1].exhausted)
            res->exhausted = false;
    } else {
        uint64_t max = cfg->max_schedules || cfg->budget_ns ? 0 : 1000;
        for (uint64_t k = 0; rc == 0 && (!max || k < max); k++) {
            int i = (int)(k % (uint64_t)nscn);
            gr_x_setup(st.x, cfg->variant, cfg->factory, &scns[i]);
            unsigned est = res->scn[i].max_steps ? res->scn[i].max_steps : 40;
            gr_x_plan_random(st.x, cfg, gr_rng_mix64(cfg->seed * 0x100000001b3ull + k), est);
            rc = gr_x_one(&st, &res->scn[i]);
        }
    }
    free(st.seen.h);
    gr_x_free(st.x);
    return rc < 0 ? rc : GR_EXPLORE_OK;
}

/* ---- replay, shrink, trace ---- */

static int
gr_x_load(struct gr_x_run *x, const char *schedule, const char *variant, gr_explore_factory factory,
          char *err, size_t cap)
{
    static uint8_t choices[GR_X_MAXSTEPS];
    struct gr_sched_str s = {.choices = choices};
    struct gr_scenario scn;
    if (gr_schedule_parse(schedule, &s, GR_X_MAXSTEPS, err, cap))
        return GR_EXPLORE_ESCHEDULE;
    if (variant && strcmp(variant, s.variant)) {
        snprintf(err, cap, "the schedule is for variant '%s', not '%s'", s.variant, variant);
        return GR_EXPLORE_ESCHEDULE;
    }
    if (!gr_x_known(s.variant, factory)) {
        snprintf(err, cap, "the schedule names an unknown variant '%s'", s.variant);
        return GR_EXPLORE_ESCHEDULE;
    }
    if (!gr_scn_by_name(s.scenario, &scn)) {
        snprintf(err, cap, "the schedule names an unknown scenario '%s'", s.scenario);
        return GR_EXPLORE_ESCHEDULE;
    }
    if (!gr_x_runs(s.variant, factory, &scn)) {
        snprintf(err, cap, "scenario '%s' does not run on variant '%s'", s.scenario, s.variant);
        return GR_EXPLORE_ESCHEDULE;
    }
    gr_x_setup(x, s.variant, factory, &scn);
    memcpy(x->plan.prefix, choices, s.n);
    x->plan.prefix_len = s.n;
    return 0;
}

static int
gr_x_replay_in(struct gr_x_run *x, gr_explore_finding *out, char *err, size_t cap)
{
    enum gr_explore_oracle o;
    char msg[512];
    uint32_t want = x->plan.prefix_len;
    int rc = gr_x_exec(x, &o, msg, sizeof msg);
    if (rc) {
        snprintf(err, cap, "%s", msg);
        return rc;
    }
    if (o == GR_ORACLE_NONE && x->nsteps < want) {
        snprintf(err, cap,
                 "the run ended after %u of the schedule's %u steps: it does not fit "
                 "this scenario and variant",
                 (unsigned)x->nsteps, (unsigned)want);
        return GR_EXPLORE_ESCHEDULE;
    }
    gr_x_finding(x, o, msg, out);
    return 0;
}

int
gr_explore_replay(const char *schedule, const char *variant, gr_explore_factory factory,
                  gr_explore_finding *out, char *err, size_t cap)
{
    struct gr_x_run *x = gr_x_alloc();
    if (!x) {
        snprintf(err, cap, "cannot map the run's shared memory");
        return GR_EXPLORE_ESYS;
    }
    int rc = gr_x_load(x, schedule, variant, factory, err, cap);
    if (!rc)
        rc = gr_x_replay_in(x, out, err, cap);
    gr_x_free(x);
    return rc;
}

/* Run prefix p[0..n) (lenient or exact) and report whether it fails with oracle o. */
static bool
gr_x_try(struct gr_x_run *x, const uint8_t *p, uint32_t n, bool lenient, enum gr_explore_oracle o,
         gr_explore_finding *f)
{
    memcpy(x->plan.prefix, p, n);
    x->plan.prefix_len = n;
    x->plan.lenient = lenient;
    enum gr_explore_oracle got;
    char msg[512];
    if (gr_x_exec(x, &got, msg, sizeof msg) || got != o)
        return false;
    gr_x_finding(x, got, msg, f);
    return true;
}

/* The first schedule within `bound` preemptions (dfs order) that fails with
 * oracle o, trying at most max_runs; true and *f if found. x holds the
 * scenario. */
static bool
gr_x_dfs_find(struct gr_x_run *x, unsigned bound, enum gr_explore_oracle o, unsigned max_runs,
              gr_explore_finding *f)
{
    static struct gr_x_dfs d;
    memset(&d, 0, sizeof d);
    uint32_t p = 0;
    x->plan.lenient = false;
    for (unsigned runs = 0; runs < max_runs; runs++) {
        if (gr_x_try(x, d.chosen, p, false, o, f))
            return true;
        if (gr_x_dfs_update(&d, x, p))
            return false;
        p = gr_x_dfs_next(&d, bound);
        if (!p)
            return false;
    }
    return false;
}

int
gr_explore_shrink(const char *schedule, const char *variant, gr_explore_factory factory,
                  gr_explore_finding *out, char *err, size_t cap)
{
    struct gr_x_run *x = gr_x_alloc();
    static uint8_t best[GR_X_MAXSTEPS], cand[GR_X_MAXSTEPS];
    static int8_t cur[GR_X_MAXSTEPS];
    if (!x) {
        snprintf(err, cap, "cannot map the run's shared memory");
        return GR_EXPLORE_ESYS;
    }
    int rc = gr_x_load(x, schedule, variant, factory, err, cap);
    if (!rc)
        rc = gr_x_replay_in(x, out, err, cap);
    if (!rc && out->oracle == GR_ORACLE_NONE) {
        snprintf(err, cap, "the schedule does not fail: nothing to shrink");
        rc = GR_EXPLORE_ESCHEDULE;
    }
    if (rc) {
        gr_x_free(x);
        return rc;
    }
    enum gr_explore_oracle o = out->oracle;
    gr_explore_finding f;
    /* fewest preemptions first: the same scenario by dfs at bounds 0, 1, ...
     * below the original's, each bound capped at a few thousand runs */
    for (unsigned k = 0; k < out->preemptions; k++)
        if (gr_x_dfs_find(x, k, o, 3000, &f)) {
            *out = f;
            break;
        }
    uint32_t n = 0;
    {
        struct gr_sched_str ss = {.choices = best};
        char e2[64];
        if (gr_schedule_parse(out->schedule, &ss, GR_X_MAXSTEPS, e2, sizeof e2) == 0)
            n = ss.n;
    }
    /* re-run the current best to know each step's running thread */
    if (!gr_x_try(x, best, n, false, o, &f)) {
        gr_x_free(x);
        return 0; /* out stays the best known */
    }
    n = x->nsteps;
    for (uint32_t i = 0; i < n; i++)
        best[i] = x->steps[i].chosen, cur[i] = x->steps[i].cur;
    for (bool better = true; better;) {
        better = false;
        /* the shortest exact prefix that, continued without preemptions, still fails */
        for (uint32_t p = 0; p < n; p++)
            if (gr_x_try(x, best, p, false, o, &f)) {
                if (f.preemptions < out->preemptions ||
                    (f.preemptions == out->preemptions && f.steps < out->steps)) {
                    *out = f;
                    better = true;
                    n = x->nsteps;
                    for (uint32_t i = 0; i < n; i++)
                        best[i] = x->steps[i].chosen, cur[i] = x->steps[i].cur;
                }
                break;
            }
        /* drop one preemption: run the preempted thread on, the rest as close as it goes */
        for (uint32_t i = 0; i < n && !better; i++) {
            if (cur[i] < 0 || best[i] == (uint8_t)cur[i])
                continue;
            memcpy(cand, best, n);
            cand[i] = (uint8_t)cur[i];
            if (gr_x_try(x, cand, n, true, o, &f) &&
                (f.preemptions < out->preemptions ||
                 (f.preemptions == out->preemptions && f.steps < out->steps))) {
                *out = f;
                better = true;
                n = x->nsteps;
                for (uint32_t j = 0; j < n; j++)
                    best[j] = x->steps[j].chosen, cur[j] = x->steps[j].cur;
            }
        }
    }
    gr_x_free(x);
    return 0;
}

static const char *
gr_x_base(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

#define GR_X_COL 36

/* An operation's result as the trace shows it: " = US", " = miss", " done",
 * " = loaded US", " = true", " = {k0:US k2:FR}". */
static const char *
gr_x_result_str(const struct gr_x_op *o, char *buf, size_t cap)
{
    char v[3] = {(char)(o->value >> 8), (char)(o->value & 0xff), 0};
    char w[3] = {(char)(o->out >> 8), (char)(o->out & 0xff), 0};
    switch (o->kind) {
    case GR_SCN_GET:
    case GR_SCN_LOAD_AND_DELETE:
        snprintf(buf, cap, " = %s", o->hit ? v : "miss");
        break;
    case GR_SCN_LOAD_OR_STORE:
    case GR_SCN_SWAP:
        snprintf(buf, cap, " = %s%s", o->hit ? "loaded " : "absent", o->hit ? w : "");
        break;
    case GR_SCN_CAS:
    case GR_SCN_CAD:
        snprintf(buf, cap, " = %s", o->hit ? "true" : "false");
        break;
    case GR_SCN_RANGE:
    case GR_SCN_RANGE_STORE: {
        int len = snprintf(buf, cap, " = {");
        for (unsigned k = 0; k < GR_SCN_KEYS && len < (int)cap - 8; k++)
            if (o->visited >> k & 1)
                len += snprintf(buf + len, cap - (size_t)len, "%sk%u:%c%c", len > 4 ? " " : "", k,
                                o->seen[k] >> 8, o->seen[k] & 0xff);
        snprintf(buf + len, cap - (size_t)len, "}%s", o->dup ? " (a key twice!)" : "");
        break;
    }
    default:
        snprintf(buf, cap, " done");
        break;
    }
    return buf;
}

static void
gr_x_row(FILE *f, unsigned nthreads, unsigned t, const char *mark, const char *text)
{
    fprintf(f, "%-2s", mark);
    for (unsigned c = 0; c < nthreads; c++)
        fprintf(f, "%-*.*s%s", GR_X_COL, GR_X_COL, c == t ? text : "",
                c + 1 < nthreads ? " | " : "\n");
}

int
gr_explore_trace(FILE *f, const char *schedule, const char *variant, gr_explore_factory factory,
                 char *err, size_t cap)
{
    struct gr_x_run *x = gr_x_alloc();
    gr_explore_finding fi;
    if (!x) {
        snprintf(err, cap, "cannot map the run's shared memory");
        return GR_EXPLORE_ESYS;
    }
    int rc = gr_x_load(x, schedule, variant, factory, err, cap);
    if (!rc)
        rc = gr_x_replay_in(x, &fi, err, cap);
    if (rc) {
        gr_x_free(x);
        return rc;
    }
    unsigned n = x->scn.nthreads;
    char text[128];
    for (unsigned i = 0; i < x->scn.ninit; i++) {
        char os[48];
        fprintf(f, "%s%s", i ? ", " : "setup (before the threads start): ",
                gr_scn_op_str(&x->scn.init[i], os, sizeof os));
        if (i + 1 == x->scn.ninit)
            fputc('\n', f);
    }
    fprintf(f, "%-2s", "");
    for (unsigned c = 0; c < n; c++) {
        snprintf(text, sizeof text, "T%u", c);
        fprintf(f, "%-*s%s", GR_X_COL, text, c + 1 < n ? " | " : "\n");
    }
    for (uint32_t i = 0; i <= x->nsteps; i++) {
        if (i < x->nsteps) {
            const struct gr_x_step *s = &x->steps[i];
            bool pre = s->cur >= 0 && s->chosen != (uint8_t)s->cur;
            if (s->line)
                snprintf(text, sizeof text, "%s %s:%d", s->what, gr_x_base(s->file), s->line);
            else
                snprintf(text, sizeof text, "%s", s->what);
            gr_x_row(f, n, s->chosen, pre ? "*" : "", text);
        }
        /* operations that returned / began in the segment that followed step i */
        for (uint32_t k = 0; k < x->nops; k++) {
            const struct gr_x_op *o = &x->ops[k];
            if (o->resp && o->step_resp == i + 1 && o->thread < n) {
                char os[48], rs[64];
                struct gr_scn_op so = {o->kind, o->key, o->value, o->old};
                snprintf(text, sizeof text, "<- %s%s", gr_scn_op_str(&so, os, sizeof os),
                         gr_x_result_str(o, rs, sizeof rs));
                gr_x_row(f, n, o->thread, "", text);
            }
        }
        for (uint32_t k = 0; k < x->nops; k++) {
            const struct gr_x_op *o = &x->ops[k];
            char os[48];
            struct gr_scn_op so = {o->kind, o->key, o->value, o->old};
            if (o->step_inv == i + 1 && o->thread < n) {
                snprintf(text, sizeof text, "-> %s", gr_scn_op_str(&so, os, sizeof os));
                gr_x_row(f, n, o->thread, "", text);
            }
        }
    }
    fprintf(f, "(* = preemption; %u steps, %u preemptions) %s: %s\n", fi.steps, fi.preemptions,
            gr_explore_oracle_name(fi.oracle), fi.oracle ? fi.message : "every oracle passed");
    gr_x_free(x);
    return 0;
}
