/*
 * history.h - record the cache operations of a real concurrent run, and
 * read them back for the linearizability checker (linear.h).
 *
 * Recording wraps any gr_cache: every get/put/clear takes a slot in a file
 * mapped MAP_SHARED, written at invocation (thread, operation, key, time,
 * "pending") and completed at response (result, time). Both times come
 * from CLOCK_MONOTONIC. Because the file is a shared mapping, everything
 * written before a crash is in the file even when the process dies (the
 * buggy variants do): operations caught mid-flight read back as pending.
 *
 * File format (text, one fixed-size line per slot, GR_HISTORY_LINE bytes):
 *   line 0   "# georace-history v1 variant=NAME cut=T ..." (cut: see below)
 *   lines    "T<thread> <g|p|c> <key> <h|m|v|-|?><value hex> <inv ns> <resp ns|pending>"
 *   last     "# end ops=N" when the recording closed normally
 * A slot never written (all zero bytes) is skipped. When the file is full,
 * later operations are not recorded and cut= holds the invocation time of
 * the first one dropped; the reader then drops operations invoked after it
 * and treats those still running then as pending, which keeps the check
 * sound.
 */
#ifndef GEORACE_HISTORY_H
#define GEORACE_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "georace/cache.h"
#include "georace/linear.h"

#define GR_HISTORY_LINE 96

typedef struct gr_history gr_history;

enum gr_history_error {
    GR_HISTORY_OK = 0,
    GR_HISTORY_ENOENT = -1,  /* cannot open or create the file */
    GR_HISTORY_EFORMAT = -2, /* not a history file, or a malformed line */
    GR_HISTORY_ENOMEM = -3,
    GR_HISTORY_EIO = -4
};

/* Create FILE for up to max_ops operations (0: 16M). */
int gr_history_create(const char *path, const char *variant, uint64_t max_ops, gr_history **out,
                      char *err, size_t cap);
/* A cache that records every operation into h and forwards it to inner;
 * destroying it destroys inner. */
int gr_history_wrap(gr_history *h, gr_cache *inner, gr_cache **out);
/* Trim the file to what was used and mark it complete; frees h. */
int gr_history_close(gr_history *h);

typedef struct gr_history_info {
    char variant[48];
    bool complete; /* closed normally ("# end") */
    bool cut;      /* the file filled up */
    size_t ops, pending, threads;
    uint64_t first_ns, last_ns;
} gr_history_info;

/* Read FILE: *ops (malloc'ed, free it) and *n. */
int gr_history_load(const char *path, gr_lin_op **ops, size_t *n, gr_history_info *info, char *err,
                    size_t cap);

#endif
