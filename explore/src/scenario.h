/*
 * scenario.h - small concurrent programs: 2-3 threads, each a short list of
 * operations on a few keys, after an optional setup run by one thread
 * before the others start (not explored: it only puts the map into the
 * state the scenario needs).
 *
 * Cache scenarios use the cache interface (get/put/clear) and run against
 * every variant; API scenarios (`api`) use the whole of Go's sync.Map API
 * (Load, Store, LoadOrStore, LoadAndDelete, Delete, Swap, CompareAndSwap,
 * CompareAndDelete, Range, Clear) and drive gr_syncmap directly, so they
 * run against the syncmap variant only. Hand-written ones aim at known
 * hard spots; random ones come from a seed (Lincheck-style): "r<seed>" for
 * the cache interface, "a<seed>" for the sync.Map API.
 */
#ifndef GEORACE_SCENARIO_H
#define GEORACE_SCENARIO_H

#include <stdbool.h>
#include <stdint.h>

#include "georace/ip.h"

#define GR_SCN_MAXT 3
#define GR_SCN_MAXOPS 6
#define GR_SCN_MAXINIT 4
#define GR_SCN_KEYS 4

/* get/put/clear = Load/Store/Clear; the rest exist only in API scenarios.
 * RANGE_STORE: a Range whose callback, at its first visit, calls
 * Store(key, value) back into the map (a nested Store). */
enum gr_scn_kind {
    GR_SCN_GET = 0,
    GR_SCN_PUT,
    GR_SCN_CLEAR,
    GR_SCN_LOAD_OR_STORE,
    GR_SCN_LOAD_AND_DELETE,
    GR_SCN_DELETE,
    GR_SCN_SWAP,
    GR_SCN_CAS,
    GR_SCN_CAD,
    GR_SCN_RANGE,
    GR_SCN_RANGE_STORE,
    GR_SCN_KINDS
};

struct gr_scn_op {
    uint8_t kind, key;
    uint16_t value; /* put, load-or-store, swap, cas (new), range-store: a country code */
    uint16_t old;   /* cas, cad: the value compared with */
};

struct gr_scenario {
    char name[32];
    const char *about;
    bool api; /* uses the sync.Map API: syncmap only */
    unsigned ninit;
    struct gr_scn_op init[GR_SCN_MAXINIT];
    unsigned nthreads;
    unsigned nops[GR_SCN_MAXT];
    struct gr_scn_op ops[GR_SCN_MAXT][GR_SCN_MAXOPS];
};

/* The hand-written scenarios (NULL-name terminated count in *n). */
const struct gr_scenario *gr_scn_builtin(unsigned *n);
/* Find by name: a built-in name or "r<seed>". false if neither. */
bool gr_scn_by_name(const char *name, struct gr_scenario *out);
/* A random cache scenario "r<seed>"; with api, a sync.Map one "a<seed>". */
void gr_scn_random(uint64_t seed, bool api, struct gr_scenario *out);
/* The address of key index k (192.0.2.1 + k). */
void gr_scn_key(unsigned k, gr_ip *out);
/* "put(k0,US)", "get(k1)", "clear()", "cas(k0,US,DE)", "range()" ... */
const char *gr_scn_op_str(const struct gr_scn_op *op, char *buf, unsigned cap);

#endif
