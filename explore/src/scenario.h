/*
 * scenario.h - small concurrent programs over the cache interface: 2-3
 * threads, each a short list of get/put/clear on a few keys.
 *
 * Hand-written ones aim at known hard spots (concurrent writers, clear
 * against put and get, syncmap promotion racing a store or a clear);
 * random ones come from a seed (Lincheck-style) and are named "r<seed>".
 */
#ifndef GEORACE_SCENARIO_H
#define GEORACE_SCENARIO_H

#include <stdbool.h>
#include <stdint.h>

#include "georace/ip.h"

#define GR_SCN_MAXT 3
#define GR_SCN_MAXOPS 6
#define GR_SCN_KEYS 4

enum gr_scn_kind { GR_SCN_GET = 0, GR_SCN_PUT, GR_SCN_CLEAR };

struct gr_scn_op {
    uint8_t kind, key;
    uint16_t value; /* put: a country code */
};

struct gr_scenario {
    char name[32];
    const char *about;
    unsigned nthreads;
    unsigned nops[GR_SCN_MAXT];
    struct gr_scn_op ops[GR_SCN_MAXT][GR_SCN_MAXOPS];
};

/* The hand-written scenarios (NULL-name terminated count in *n). */
const struct gr_scenario *gr_scn_builtin(unsigned *n);
/* Find by name: a built-in name or "r<seed>". false if neither. */
bool gr_scn_by_name(const char *name, struct gr_scenario *out);
void gr_scn_random(uint64_t seed, struct gr_scenario *out);
/* The address of key index k (192.0.2.1 + k). */
void gr_scn_key(unsigned k, gr_ip *out);
/* "put(k0,US)", "get(k1)", "clear()" */
const char *gr_scn_op_str(const struct gr_scn_op *op, char *buf, unsigned cap);

#endif
