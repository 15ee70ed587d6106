/*
 * repro_explore.c - repro's explore rows: a buggy variant's shortest
 * failing interleaving (PCT, then shrunk), and a fixed variant exhausted
 * by DFS up to a preemption bound with no finding. Both are systematic
 * over sequentially consistent interleavings of small scenarios, unlike
 * the trial rows, which sample the OS's schedules of a real workload.
 */
#include <stdio.h>
#include <string.h>

#include "georace/explore.h"
#include "repro_explore.h"

void
gr_repro_explore_buggy(const char *variant, gr_repro_row *r)
{
    gr_explore_config cfg;
    gr_explore_result res;
    gr_explore_finding f;
    char err[256];
    gr_explore_config_default(&cfg); /* pct, depth 3, seed 1 */
    cfg.variant = variant;
    cfg.max_schedules = 1000;
    if (gr_explore_run(&cfg, &res, err, sizeof err)) {
        snprintf(r->result, sizeof r->result, "explore failed");
        snprintf(r->figures, sizeof r->figures, "error: %s", err);
        r->verdict = GR_REPRO_FAIL;
        return;
    }
    if (!res.found) {
        snprintf(r->result, sizeof r->result, "no finding in %llu pct schedules",
                 (unsigned long long)res.schedules);
        r->verdict = GR_REPRO_FAIL;
        return;
    }
    if (gr_explore_shrink(res.first.schedule, NULL, NULL, &f, err, sizeof err))
        f = res.first; /* keep the unshrunk one */
    snprintf(r->result, sizeof r->result,
             "%s after %llu pct schedules; shrunk: %u steps, %u "
             "preemptions",
             gr_explore_oracle_name(f.oracle), (unsigned long long)res.first.schedule_no, f.steps,
             f.preemptions);
    snprintf(r->figures, sizeof r->figures, "%.200s (replay: georace explore --replay ...)",
             f.schedule);
    r->verdict = GR_REPRO_PASS;
}

void
gr_repro_explore_fixed(const char *variant, unsigned k, gr_repro_row *r)
{
    gr_explore_config cfg;
    static gr_explore_result res;
    char err[256];
    gr_explore_config_default(&cfg);
    cfg.variant = variant;
    cfg.strategy = GR_EXPLORE_DFS;
    cfg.preemptions = k;
    if (gr_explore_run(&cfg, &res, err, sizeof err)) {
        snprintf(r->result, sizeof r->result, "explore failed");
        snprintf(r->figures, sizeof r->figures, "error: %s", err);
        r->verdict = GR_REPRO_FAIL;
        return;
    }
    unsigned longest = 0;
    for (size_t i = 0; i < res.nscn; i++)
        longest = res.scn[i].max_steps > longest ? res.scn[i].max_steps : longest;
    if (res.found)
        snprintf(r->result, sizeof r->result, "%s finding in %s: %.100s",
                 gr_explore_oracle_name(res.first.oracle), res.first.scenario, res.first.message);
    else
        snprintf(r->result, sizeof r->result, "exhaustive up to k=%u preemptions: 0 findings%s", k,
                 res.exhausted ? "" : " (NOT exhausted)");
    snprintf(r->figures, sizeof r->figures,
             "%llu schedules over %zu scenarios in %.1f s, longest %u points",
             (unsigned long long)res.schedules, res.nscn, res.elapsed_ns / 1e9, longest);
    r->verdict = !res.found && res.exhausted ? GR_REPRO_PASS : GR_REPRO_FAIL;
}
