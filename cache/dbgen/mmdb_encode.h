/*
 * mmdb_encode.h - the MaxMind DB data-section encoding, into a growable buffer.
 *
 * Every field starts with a control byte: the type in the top three bits
 * (0 = "extended", the real type minus 7 in the next byte) and a size in the
 * low five bits (< 29 literal; 29, 30, 31 = one, two, three more size bytes
 * with offsets 29, 285, 65821). Unsigned integers are big-endian with leading
 * zero bytes dropped. Only the types the writer needs are here.
 */
#ifndef GEORACE_MMDB_ENCODE_H
#define GEORACE_MMDB_ENCODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct gr_mmdbw_buf {
    unsigned char *p;
    size_t len, cap;
    bool oom; /* set once an allocation failed; later appends are dropped */
} gr_mmdbw_buf;

enum gr_mmdbw_type {
    GR_MMDBW_T_UTF8 = 2,
    GR_MMDBW_T_UINT16 = 5,
    GR_MMDBW_T_UINT32 = 6,
    GR_MMDBW_T_MAP = 7,
    GR_MMDBW_T_UINT64 = 9,
    GR_MMDBW_T_ARRAY = 11
};

void gr_mmdbw_buf_free(gr_mmdbw_buf *b);
void gr_mmdbw_buf_put(gr_mmdbw_buf *b, const void *data, size_t n);
void gr_mmdbw_buf_zero(gr_mmdbw_buf *b, size_t n);

void gr_mmdbw_enc_control(gr_mmdbw_buf *b, enum gr_mmdbw_type type, size_t size);
void gr_mmdbw_enc_string(gr_mmdbw_buf *b, const char *s);
void gr_mmdbw_enc_uint(gr_mmdbw_buf *b, enum gr_mmdbw_type type, uint64_t v);
/* A map or array header; the entries follow. */
void gr_mmdbw_enc_map(gr_mmdbw_buf *b, size_t entries);
void gr_mmdbw_enc_array(gr_mmdbw_buf *b, size_t entries);

/* One search-tree node: two records of record_size bits (24, 28 or 32),
 * big-endian; with 28 bits the middle byte holds the top nibble of the left
 * record (high half) and of the right record (low half). */
void gr_mmdbw_enc_records(gr_mmdbw_buf *b, unsigned record_size, uint32_t left, uint32_t right);

#endif
