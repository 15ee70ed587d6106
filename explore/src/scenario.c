/*
 * scenario.c - the hand-written scenarios and the seeded random ones.
 *
 * Keys are k0..k3 = 192.0.2.1..4, values country codes. Each hand-written
 * scenario names the spot it aims at; all of them run against every
 * variant through the plain cache interface (get/put/clear).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "georace/country.h"
#include "georace/rng.h"
#include "scenario.h"

#define G(k)                                                                                       \
    {                                                                                              \
        GR_SCN_GET, k, 0                                                                           \
    }
#define P(k, c)                                                                                    \
    {                                                                                              \
        GR_SCN_PUT, k, (uint16_t)((c)[0] << 8 | (c)[1])                                            \
    }
#define C                                                                                          \
    {                                                                                              \
        GR_SCN_CLEAR, 0, 0                                                                         \
    }

static const struct gr_scenario gr_scn_table[] = {
    {"writers",
     "two writers at once (Go: concurrent map writes)",
     2,
     {2, 2},
     {{P(0, "US"), G(1)}, {P(1, "DE"), G(0)}}},
    {"put-clear",
     "a clear against a put and the reads after it",
     2,
     {2, 2},
     {{P(0, "US"), G(0)}, {C, G(0)}}},
    {"overwrite",
     "two puts of one key, each read back",
     2,
     {2, 2},
     {{P(0, "US"), G(0)}, {P(0, "DE"), G(0)}}},
    {"promote-store",
     "syncmap: misses promote dirty while a new key is stored",
     2,
     {3, 2},
     {{P(0, "US"), G(1), G(1)}, {P(1, "DE"), G(0)}}},
    {"clear-promote",
     "a clear while a reader's misses promote the dirty map",
     3,
     {2, 2, 1},
     {{P(0, "US"), P(1, "DE")}, {G(0), G(1)}, {C}}},
    {"reset-resurrect",
     "a clear while a store of a new key republishes the snapshot",
     2,
     {3, 2},
     {{P(0, "US"), G(0), P(1, "DE")}, {C, G(0)}}},
};

#define GR_SCN_N (sizeof gr_scn_table / sizeof gr_scn_table[0])

const struct gr_scenario *
gr_scn_builtin(unsigned *n)
{
    *n = GR_SCN_N;
    return gr_scn_table;
}

void
gr_scn_random(uint64_t seed, struct gr_scenario *out)
{
    static const char *const countries[] = {"US", "DE", "FR"};
    uint64_t s[4];
    gr_rng_xoshiro_seed(s, seed);
    memset(out, 0, sizeof *out);
    snprintf(out->name, sizeof out->name, "r%llu", (unsigned long long)seed);
    out->about = "random (seeded)";
    out->nthreads = 2 + (unsigned)(gr_rng_xoshiro_next(s) % 2);
    for (unsigned t = 0; t < out->nthreads; t++) {
        out->nops[t] = 2 + (unsigned)(gr_rng_xoshiro_next(s) % 2);
        for (unsigned i = 0; i < out->nops[t]; i++) {
            struct gr_scn_op *op = &out->ops[t][i];
            unsigned r = (unsigned)(gr_rng_xoshiro_next(s) % 100);
            op->key = (uint8_t)(gr_rng_xoshiro_next(s) % 3);
            if (r < 45) {
                op->kind = GR_SCN_GET;
            } else if (r < 88) {
                const char *c = countries[gr_rng_xoshiro_next(s) % 3];
                op->kind = GR_SCN_PUT;
                op->value = (uint16_t)(c[0] << 8 | c[1]);
            } else {
                op->kind = GR_SCN_CLEAR;
                op->key = 0;
            }
        }
    }
}

bool
gr_scn_by_name(const char *name, struct gr_scenario *out)
{
    for (unsigned i = 0; i < GR_SCN_N; i++)
        if (!strcmp(gr_scn_table[i].name, name)) {
            *out = gr_scn_table[i];
            return true;
        }
    if (name[0] == 'r' && name[1] >= '0' && name[1] <= '9') {
        char *end;
        unsigned long long seed = strtoull(name + 1, &end, 10);
        if (*end == '\0') {
            gr_scn_random(seed, out);
            return true;
        }
    }
    return false;
}

void
gr_scn_key(unsigned k, gr_ip *out)
{
    gr_ip_from_v4(0xc0000201u + k, out);
}

const char *
gr_scn_op_str(const struct gr_scn_op *op, char *buf, unsigned cap)
{
    if (op->kind == GR_SCN_GET)
        snprintf(buf, cap, "get(k%u)", op->key);
    else if (op->kind == GR_SCN_PUT)
        snprintf(buf, cap, "put(k%u,%c%c)", op->key, op->value >> 8, op->value & 0xff);
    else
        snprintf(buf, cap, "clear()");
    return buf;
}
