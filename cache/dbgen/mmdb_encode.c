/*
 * mmdb_encode.c - MaxMind DB data-section encoding (see mmdb_encode.h).
 *
 * A control byte carries the type (3 bits) and the size (5 bits). Types above
 * 7 are "extended": the control byte says type 0 and the following byte holds
 * type - 7. Sizes of 29 or more spill into one to three extra big-endian
 * bytes after the type bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "mmdb_encode.h"

static bool
gr_mmdbw_buf_reserve(gr_mmdbw_buf *b, size_t n)
{
    if (b->oom)
        return false;
    if (b->cap - b->len >= n)
        return true;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap - b->len < n)
        cap *= 2;
    unsigned char *p = realloc(b->p, cap);
    if (!p) {
        b->oom = true;
        return false;
    }
    b->p = p;
    b->cap = cap;
    return true;
}

void
gr_mmdbw_buf_free(gr_mmdbw_buf *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

void
gr_mmdbw_buf_put(gr_mmdbw_buf *b, const void *data, size_t n)
{
    if (n == 0 || !gr_mmdbw_buf_reserve(b, n))
        return;
    memcpy(b->p + b->len, data, n);
    b->len += n;
}

void
gr_mmdbw_buf_zero(gr_mmdbw_buf *b, size_t n)
{
    if (!gr_mmdbw_buf_reserve(b, n))
        return;
    memset(b->p + b->len, 0, n);
    b->len += n;
}

void
gr_mmdbw_enc_control(gr_mmdbw_buf *b, enum gr_mmdbw_type type, size_t size)
{
    unsigned char out[6];
    size_t n = 0;
    unsigned t = (unsigned)type;
    unsigned char sizebits;
    unsigned char extra[3];
    size_t nextra = 0;
    if (size < 29) {
        sizebits = (unsigned char)size;
    } else if (size < 285) {
        sizebits = 29;
        extra[nextra++] = (unsigned char)(size - 29);
    } else if (size < 65821) {
        size_t s = size - 285;
        sizebits = 30;
        extra[nextra++] = (unsigned char)(s >> 8);
        extra[nextra++] = (unsigned char)s;
    } else {
        size_t s = size - 65821; /* callers stay far below the 16M limit */
        sizebits = 31;
        extra[nextra++] = (unsigned char)(s >> 16);
        extra[nextra++] = (unsigned char)(s >> 8);
        extra[nextra++] = (unsigned char)s;
    }
    if (t <= 7) {
        out[n++] = (unsigned char)(t << 5 | sizebits);
    } else {
        out[n++] = sizebits;
        out[n++] = (unsigned char)(t - 7);
    }
    memcpy(out + n, extra, nextra);
    gr_mmdbw_buf_put(b, out, n + nextra);
}

void
gr_mmdbw_enc_string(gr_mmdbw_buf *b, const char *s)
{
    size_t n = strlen(s);
    gr_mmdbw_enc_control(b, GR_MMDBW_T_UTF8, n);
    gr_mmdbw_buf_put(b, s, n);
}

void
gr_mmdbw_enc_uint(gr_mmdbw_buf *b, enum gr_mmdbw_type type, uint64_t v)
{
    unsigned char be[8];
    size_t n = 0;
    for (int shift = 56; shift >= 0; shift -= 8) {
        unsigned char byte = (unsigned char)(v >> shift);
        if (n == 0 && byte == 0)
            continue;
        be[n++] = byte;
    }
    gr_mmdbw_enc_control(b, type, n);
    gr_mmdbw_buf_put(b, be, n);
}

void
gr_mmdbw_enc_map(gr_mmdbw_buf *b, size_t entries)
{
    gr_mmdbw_enc_control(b, GR_MMDBW_T_MAP, entries);
}

void
gr_mmdbw_enc_array(gr_mmdbw_buf *b, size_t entries)
{
    gr_mmdbw_enc_control(b, GR_MMDBW_T_ARRAY, entries);
}

void
gr_mmdbw_enc_records(gr_mmdbw_buf *b, unsigned record_size, uint32_t l, uint32_t r)
{
    unsigned char o[8];
    size_t n;
    switch (record_size) {
    case 24:
        o[0] = (unsigned char)(l >> 16), o[1] = (unsigned char)(l >> 8), o[2] = (unsigned char)l;
        o[3] = (unsigned char)(r >> 16), o[4] = (unsigned char)(r >> 8), o[5] = (unsigned char)r;
        n = 6;
        break;
    case 28:
        o[0] = (unsigned char)(l >> 16), o[1] = (unsigned char)(l >> 8), o[2] = (unsigned char)l;
        o[3] = (unsigned char)(((l >> 24) & 0x0f) << 4 | ((r >> 24) & 0x0f));
        o[4] = (unsigned char)(r >> 16), o[5] = (unsigned char)(r >> 8), o[6] = (unsigned char)r;
        n = 7;
        break;
    default:
        for (int i = 0; i < 4; i++) {
            o[i] = (unsigned char)(l >> (24 - 8 * i));
            o[4 + i] = (unsigned char)(r >> (24 - 8 * i));
        }
        n = 8;
        break;
    }
    gr_mmdbw_buf_put(b, o, n);
}
