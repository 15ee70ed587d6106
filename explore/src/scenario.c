/*
 * scenario.c - the hand-written scenarios and the seeded random ones.
 *
 * Keys are k0..k3 = 192.0.2.1..4, values country codes. Each hand-written
 * scenario names the spot it aims at. Cache scenarios run against every
 * variant through the cache interface (get/put/clear); API scenarios
 * (.api) only against syncmap, driving gr_syncmap's whole API.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "georace/country.h"
#include "georace/rng.h"
#include "scenario.h"

#define CC(c) ((uint16_t)((c)[0] << 8 | (c)[1]))
#define G(k)                                                                                       \
    {                                                                                              \
        GR_SCN_GET, k, 0, 0                                                                        \
    }
#define P(k, c)                                                                                    \
    {                                                                                              \
        GR_SCN_PUT, k, CC(c), 0                                                                    \
    }
#define C                                                                                          \
    {                                                                                              \
        GR_SCN_CLEAR, 0, 0, 0                                                                      \
    }
#define LOS(k, c)                                                                                  \
    {                                                                                              \
        GR_SCN_LOAD_OR_STORE, k, CC(c), 0                                                          \
    }
#define LAD(k)                                                                                     \
    {                                                                                              \
        GR_SCN_LOAD_AND_DELETE, k, 0, 0                                                            \
    }
#define DEL(k)                                                                                     \
    {                                                                                              \
        GR_SCN_DELETE, k, 0, 0                                                                     \
    }
#define SW(k, c)                                                                                   \
    {                                                                                              \
        GR_SCN_SWAP, k, CC(c), 0                                                                   \
    }
#define CAS(k, o, n)                                                                               \
    {                                                                                              \
        GR_SCN_CAS, k, CC(n), CC(o)                                                                \
    }
#define CAD(k, o)                                                                                  \
    {                                                                                              \
        GR_SCN_CAD, k, 0, CC(o)                                                                    \
    }
#define R                                                                                          \
    {                                                                                              \
        GR_SCN_RANGE, 0, 0, 0                                                                      \
    }
#define RS(k, c)                                                                                   \
    {                                                                                              \
        GR_SCN_RANGE_STORE, k, CC(c), 0                                                            \
    }

static const struct gr_scenario gr_scn_table[] = {
    /* cache interface (every variant) */
    {.name = "writers",
     .about = "two writers at once (Go: concurrent map writes)",
     .nthreads = 2,
     .nops = {2, 2},
     .ops = {{P(0, "US"), G(1)}, {P(1, "DE"), G(0)}}},
    {.name = "put-clear",
     .about = "a clear against a put and the reads after it",
     .nthreads = 2,
     .nops = {2, 2},
     .ops = {{P(0, "US"), G(0)}, {C, G(0)}}},
    {.name = "overwrite",
     .about = "two puts of one key, each read back",
     .nthreads = 2,
     .nops = {2, 2},
     .ops = {{P(0, "US"), G(0)}, {P(0, "DE"), G(0)}}},
    {.name = "promote-store",
     .about = "syncmap: misses promote dirty while a new key is stored",
     .nthreads = 2,
     .nops = {3, 2},
     .ops = {{P(0, "US"), G(1), G(1)}, {P(1, "DE"), G(0)}}},
    {.name = "clear-promote",
     .about = "a clear while a reader's misses promote the dirty map",
     .nthreads = 3,
     .nops = {2, 2, 1},
     .ops = {{P(0, "US"), P(1, "DE")}, {G(0), G(1)}, {C}}},
    {.name = "reset-resurrect",
     .about = "a clear while a store of a new key republishes the snapshot",
     .nthreads = 2,
     .nops = {3, 2},
     .ops = {{P(0, "US"), G(0), P(1, "DE")}, {C, G(0)}}},
    {.name = "clear-stripe-walk",
     .about = "sharded: a clear walks the stripes one by one while a writer and a reader "
              "work on keys behind and ahead of it",
     .ninit = 2,
     .init = {P(0, "US"), P(2, "FR")},
     .nthreads = 3,
     .nops = {1, 2, 2},
     .ops = {{C}, {P(1, "DE"), G(0)}, {G(2), P(3, "US")}}},
    /* the sync.Map API (syncmap only) */
    {.name = "promote-expunge",
     .about = "sync.Map: a Store of a new key rebuilds dirty and expunges a deleted entry "
              "while a Store revives it, and a Load's miss promotes",
     .api = true,
     .ninit = 3,
     .init = {P(0, "US"), G(0), DEL(0)},
     .nthreads = 2,
     .nops = {2, 2},
     .ops = {{P(1, "DE"), G(1)}, {P(0, "FR"), G(0)}}},
    {.name = "clear-during-promote",
     .about = "sync.Map: a Clear while a Range promotes the dirty map",
     .api = true,
     .ninit = 2,
     .init = {P(0, "US"), P(1, "DE")},
     .nthreads = 2,
     .nops = {1, 2},
     .ops = {{R}, {C, G(1)}}},
    {.name = "range-nested-store",
     .about = "sync.Map: a Range whose callback Stores a new key, against a CompareAndSwap "
              "and a Delete",
     .api = true,
     .ninit = 3,
     .init = {P(0, "US"), G(0), P(1, "DE")},
     .nthreads = 2,
     .nops = {2, 2},
     .ops = {{RS(2, "FR"), G(2)}, {CAS(1, "DE", "US"), DEL(0)}}},
    {.name = "ebr-advance",
     .about = "sync.Map: a reader holds the read snapshot while a Clear retires it and the "
              "writer's next operations advance the EBR epoch (and free what expired)",
     .api = true,
     .ninit = 2,
     .init = {P(0, "US"), G(0)},
     .nthreads = 2,
     .nops = {2, 3},
     .ops = {{G(0), G(0)}, {C, P(1, "DE"), P(0, "FR")}}},
    {.name = "cas-race",
     .about = "sync.Map: two CompareAndSwaps from the same old value (one wins)",
     .api = true,
     .ninit = 1,
     .init = {P(0, "US")},
     .nthreads = 2,
     .nops = {2, 2},
     .ops = {{CAS(0, "US", "DE"), G(0)}, {CAS(0, "US", "FR"), G(0)}}},
    {.name = "los-race",
     .about = "sync.Map: two LoadOrStores of an absent key (one stores), a LoadAndDelete "
              "and a Swap",
     .api = true,
     .nthreads = 2,
     .nops = {2, 2},
     .ops = {{LOS(0, "US"), LAD(0)}, {LOS(0, "DE"), SW(0, "FR")}}},
    {.name = "cad-swap",
     .about = "sync.Map: CompareAndDelete against a Swap of the same key, then a "
              "LoadOrStore and a Delete",
     .api = true,
     .ninit = 1,
     .init = {P(0, "US")},
     .nthreads = 2,
     .nops = {2, 2},
     .ops = {{CAD(0, "US"), LOS(0, "FR")}, {SW(0, "DE"), DEL(0)}}},
};

#define GR_SCN_N (sizeof gr_scn_table / sizeof gr_scn_table[0])

const struct gr_scenario *
gr_scn_builtin(unsigned *n)
{
    *n = GR_SCN_N;
    return gr_scn_table;
}

static const char *const gr_scn_countries[] = {"US", "DE", "FR"};

static uint16_t
gr_scn_rand_value(uint64_t *s)
{
    return CC(gr_scn_countries[gr_rng_xoshiro_next(s) % 3]);
}

/* One random cache operation: 45% get, 43% put, 12% clear. */
static void
gr_scn_rand_cache_op(uint64_t *s, struct gr_scn_op *op)
{
    unsigned r = (unsigned)(gr_rng_xoshiro_next(s) % 100);
    op->key = (uint8_t)(gr_rng_xoshiro_next(s) % 3);
    if (r < 45) {
        op->kind = GR_SCN_GET;
    } else if (r < 88) {
        op->kind = GR_SCN_PUT;
        op->value = gr_scn_rand_value(s);
    } else {
        op->kind = GR_SCN_CLEAR;
        op->key = 0;
    }
}

/* One random sync.Map operation: every method, Range and Clear rarer. */
static void
gr_scn_rand_api_op(uint64_t *s, struct gr_scn_op *op)
{
    static const uint8_t kinds[] = {GR_SCN_GET,    GR_SCN_GET,           GR_SCN_PUT,
                                    GR_SCN_PUT,    GR_SCN_LOAD_OR_STORE, GR_SCN_LOAD_AND_DELETE,
                                    GR_SCN_DELETE, GR_SCN_SWAP,          GR_SCN_CAS,
                                    GR_SCN_CAS,    GR_SCN_CAD,           GR_SCN_RANGE,
                                    GR_SCN_CLEAR,  GR_SCN_RANGE_STORE};
    op->kind = kinds[gr_rng_xoshiro_next(s) % (sizeof kinds)];
    op->key = (uint8_t)(gr_rng_xoshiro_next(s) % 2); /* two keys: more conflicts */
    op->value = gr_scn_rand_value(s);
    op->old = gr_scn_rand_value(s);
    if (op->kind == GR_SCN_CLEAR || op->kind == GR_SCN_RANGE)
        op->key = 0;
}

void
gr_scn_random(uint64_t seed, bool api, struct gr_scenario *out)
{
    uint64_t s[4];
    gr_rng_xoshiro_seed(s, seed);
    memset(out, 0, sizeof *out);
    snprintf(out->name, sizeof out->name, "%c%llu", api ? 'a' : 'r', (unsigned long long)seed);
    out->about = api ? "random sync.Map API (seeded)" : "random (seeded)";
    out->api = api;
    if (api) { /* a few stores first, so that CAS, CAD and the loads find something */
        out->ninit = (unsigned)(gr_rng_xoshiro_next(s) % 3);
        for (unsigned i = 0; i < out->ninit; i++)
            out->init[i] = (struct gr_scn_op){GR_SCN_PUT, (uint8_t)i, gr_scn_rand_value(s), 0};
    }
    out->nthreads = 2 + (unsigned)(gr_rng_xoshiro_next(s) % 2);
    for (unsigned t = 0; t < out->nthreads; t++) {
        out->nops[t] = 2 + (unsigned)(gr_rng_xoshiro_next(s) % 2);
        for (unsigned i = 0; i < out->nops[t]; i++)
            if (api)
                gr_scn_rand_api_op(s, &out->ops[t][i]);
            else
                gr_scn_rand_cache_op(s, &out->ops[t][i]);
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
    if ((name[0] == 'r' || name[0] == 'a') && name[1] >= '0' && name[1] <= '9') {
        char *end;
        unsigned long long seed = strtoull(name + 1, &end, 10);
        if (*end == '\0') {
            gr_scn_random(seed, name[0] == 'a', out);
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
    char v[3] = {(char)(op->value >> 8), (char)(op->value & 0xff), 0};
    char o[3] = {(char)(op->old >> 8), (char)(op->old & 0xff), 0};
    switch (op->kind) {
    case GR_SCN_GET:
        snprintf(buf, cap, "get(k%u)", op->key);
        break;
    case GR_SCN_PUT:
        snprintf(buf, cap, "put(k%u,%s)", op->key, v);
        break;
    case GR_SCN_CLEAR:
        snprintf(buf, cap, "clear()");
        break;
    case GR_SCN_LOAD_OR_STORE:
        snprintf(buf, cap, "load-or-store(k%u,%s)", op->key, v);
        break;
    case GR_SCN_LOAD_AND_DELETE:
        snprintf(buf, cap, "load-and-delete(k%u)", op->key);
        break;
    case GR_SCN_DELETE:
        snprintf(buf, cap, "delete(k%u)", op->key);
        break;
    case GR_SCN_SWAP:
        snprintf(buf, cap, "swap(k%u,%s)", op->key, v);
        break;
    case GR_SCN_CAS:
        snprintf(buf, cap, "cas(k%u,%s,%s)", op->key, o, v);
        break;
    case GR_SCN_CAD:
        snprintf(buf, cap, "cad(k%u,%s)", op->key, o);
        break;
    case GR_SCN_RANGE:
        snprintf(buf, cap, "range()");
        break;
    default:
        snprintf(buf, cap, "range(store k%u,%s)", op->key, v);
        break;
    }
    return buf;
}
