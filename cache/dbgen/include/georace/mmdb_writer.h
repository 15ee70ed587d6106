/*
 * mmdb_writer.h - write MaxMind DB (format 2.0) country files.
 *
 * Ranges go in as first..last (inclusive) with a short string value; the
 * writer splits each range into CIDR blocks, inserts them into a binary trie
 * over the 128-bit IPv6 space and, on write, numbers the reachable nodes,
 * stores one data map {"country_code": value} per distinct value and appends
 * the metadata map. IPv4 ranges live in the ::/96 subtree, as MaxMind lays
 * them out; ::ffff:0:0/96 and 2002::/16 (6to4) are aliased to that subtree so
 * IPv4-mapped and 6to4 addresses resolve like the IPv4 address inside them.
 *
 * Overlaps: a later insert replaces what an earlier one said for the
 * addresses they share. The output depends only on the inserts and the
 * metadata (no clock, no addresses of memory), so equal input gives equal
 * bytes.
 */
#ifndef GEORACE_MMDB_WRITER_H
#define GEORACE_MMDB_WRITER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct gr_mmdbw gr_mmdbw;

enum gr_mmdbw_error {
    GR_MMDBW_OK = 0,
    GR_MMDBW_ENOMEM = -1,
    GR_MMDBW_EARG = -2,   /* first > last, empty or overlong value */
    GR_MMDBW_EIO = -3,    /* writing the output failed */
    GR_MMDBW_ETOOBIG = -4 /* more nodes than 32-bit records can address */
};

/* Longest value (bytes, without the NUL). */
#define GR_MMDBW_VALUE_MAX 64

typedef struct gr_mmdbw_meta {
    const char *database_type; /* e.g. "georace-country" */
    const char *description;   /* English description, may be NULL */
    uint64_t build_epoch;      /* seconds since 1970; fixed for reproducible files */
    unsigned record_size;      /* 24, 28 or 32; 0 = the smallest that fits */
} gr_mmdbw_meta;

typedef struct gr_mmdbw_stats {
    size_t node_count;    /* nodes in the written search tree */
    unsigned record_size; /* 24, 28 or 32 */
    size_t data_values;   /* distinct values */
    size_t file_bytes;
} gr_mmdbw_stats;

int gr_mmdbw_create(gr_mmdbw **out);
void gr_mmdbw_destroy(gr_mmdbw *w);

/* IPv4 range, host byte order. */
int gr_mmdbw_insert_v4(gr_mmdbw *w, uint32_t first, uint32_t last, const char *value);
/* IPv6 range, 16 bytes network order each. */
int gr_mmdbw_insert_v6(gr_mmdbw *w, const uint8_t first[16], const uint8_t last[16],
                       const char *value);

/* Serialize to f. Call once, after the last insert (it finishes the trie:
 * merges sibling blocks of equal value and adds the IPv4 aliases). */
int gr_mmdbw_write(gr_mmdbw *w, const gr_mmdbw_meta *meta, FILE *f, gr_mmdbw_stats *stats);
/* Same, into a new malloc'ed buffer (*buf, *len); the caller frees it. */
int gr_mmdbw_write_buffer(gr_mmdbw *w, const gr_mmdbw_meta *meta, unsigned char **buf, size_t *len,
                          gr_mmdbw_stats *stats);

const char *gr_mmdbw_strerror(int err);

#endif
