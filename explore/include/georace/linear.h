/*
 * linear.h - linearizability of cache histories (get/put/clear) against the
 * sequential specification of a map, partitioned per key.
 *
 * Each operation has an invocation and a response time from one clock
 * (explored runs: a logical event counter; recorded runs: CLOCK_MONOTONIC
 * ns). An operation that never returned (the process died) is pending: it
 * may or may not have taken effect, and a pending get's result is unknown.
 *
 * Partitioning (P-compositionality, as Porcupine does): the history is
 * checked key by key; `clear` belongs to every key's sub-history. So the
 * specification is "every key behaves as a linearizable register that
 * clear empties" - clear takes effect on each key at one point inside its
 * interval, not necessarily at the same point for all keys (the sharded
 * variant clears stripe by stripe, by design). Every violation reported is
 * a real one (a sub-history of a linearizable history is linearizable).
 *
 * The search per key is Lowe's just-in-time linearization: events are
 * processed in time order, keeping every reachable (map state, set of
 * pending operations already linearized) configuration; at a response,
 * configurations that have not linearized the responding operation are
 * extended by linearizing pending ones, and those that cannot are dropped.
 * None left: no linearization exists. Linear in the history's length,
 * exponential only in the number of operations pending at once (at most one
 * per thread).
 */
#ifndef GEORACE_LINEAR_H
#define GEORACE_LINEAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "georace/ip.h"

/* get/put/clear are the cache's (and sync.Map's Load/Store/Clear); the
 * rest are the other methods of Go's sync.Map. Each one's sequential
 * specification on a key whose state is "absent" or "value v":
 *
 *   LOAD_OR_STORE(value)  present v: hit (loaded), out = v, unchanged;
 *                         absent: !hit, out = value, stores value
 *   LOAD_AND_DELETE       present v: hit, value = v; absent: !hit; then absent
 *   DELETE                absent afterwards
 *   SWAP(value)           present v: hit, out = v; absent: !hit; stores value
 *   CAS(old, value)       present old: hit (swapped), stores value; else !hit
 *   CAD(old)              present old: hit (deleted), absent; else !hit
 *   RANGE                 one op per key and Range call, not a point but the
 *                         call's interval (Go documents Range as no
 *                         snapshot): visited (hit) with value v: the key
 *                         held v at some point inside the call (v's check is
 *                         a Load's); not visited: allowed only if the key was
 *                         absent at some point inside the call or some
 *                         operation stored or deleted it inside the call - a
 *                         key present with one value throughout, untouched,
 *                         must be visited. (A key visited twice is rejected
 *                         before the history gets here.) */
enum gr_lin_kind {
    GR_LIN_GET = 0,
    GR_LIN_PUT,
    GR_LIN_CLEAR,
    GR_LIN_LOAD_OR_STORE,
    GR_LIN_LOAD_AND_DELETE,
    GR_LIN_DELETE,
    GR_LIN_SWAP,
    GR_LIN_CAS,
    GR_LIN_CAD,
    GR_LIN_RANGE,
    GR_LIN_KINDS
};

enum { GR_LIN_SETUP = 0xffffffffu };

typedef struct gr_lin_op {
    gr_ip key;       /* unused for clear */
    uint32_t thread; /* GR_LIN_SETUP: done before any thread started */
    uint8_t kind;    /* gr_lin_kind */
    bool hit;        /* get, range: found; LOS, LAD, swap: loaded; CAS, CAD: done */
    bool pending;    /* never returned */
    uint16_t value;  /* put, LOS, swap, CAS: stored value; get, LAD, range: value found */
    uint16_t old;    /* CAS, CAD: the value compared with */
    uint16_t out;    /* LOS: actual; swap: previous */
    uint64_t inv, resp;
} gr_lin_op;

typedef struct gr_lin_report {
    bool ok;
    size_t keys, ops; /* partitions checked, operations */
    size_t bad_op;    /* index of the operation whose response cannot be linearized */
    char msg[512];    /* what went wrong, with the key and the operations around it */
} gr_lin_report;

enum gr_lin_error { GR_LIN_OK = 0, GR_LIN_ENOMEM = -1, GR_LIN_ETOOMANY = -2 };

/* Checks ops[0..n) (any order). Returns GR_LIN_OK with rep->ok set, or an
 * error: ENOMEM, ETOOMANY (more than 64 operations pending at once on one
 * key - more threads than the checker handles). */
int gr_lin_check(const gr_lin_op *ops, size_t n, gr_lin_report *rep);

#endif
