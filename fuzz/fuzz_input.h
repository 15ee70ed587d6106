/*
 * fuzz_input.h - decoding structured fuzz inputs, and failing loudly.
 *
 * Targets that need more than one string read their input through a cursor:
 * fixed-size integers from the front, and "fields" that end at a separator
 * byte, so that a mutation of one field leaves the others readable. Reads past
 * the end yield zeros and empty fields, never an error: every byte string is
 * a valid program.
 *
 * FZ_CHECK is the oracle: a violated invariant prints what failed and
 * aborts, which libFuzzer records as a crash and the replay driver turns
 * into a failed test.
 */
#ifndef GEORACE_FUZZ_INPUT_H
#define GEORACE_FUZZ_INPUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FZ_CHECK(cond, ...)                                                                        \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: invariant failed: %s: ", __FILE__, __LINE__, #cond);           \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

typedef struct fz_in {
    const uint8_t *p;
    size_t n;
} fz_in;

static inline fz_in
fz_in_make(const uint8_t *data, size_t size)
{
    fz_in in = {data, size};
    return in;
}

static inline uint8_t
fz_u8(fz_in *in)
{
    if (in->n == 0)
        return 0;
    uint8_t v = in->p[0];
    in->p++;
    in->n--;
    return v;
}

static inline uint16_t
fz_u16(fz_in *in)
{
    uint16_t hi = fz_u8(in);
    return (uint16_t)(hi << 8 | fz_u8(in));
}

/* Copies up to n bytes into out, zero-filling what the input lacks. */
static inline void
fz_bytes(fz_in *in, uint8_t *out, size_t n)
{
    size_t k = in->n < n ? in->n : n;
    memcpy(out, in->p, k);
    memset(out + k, 0, n - k);
    in->p += k;
    in->n -= k;
}

/* The bytes up to the next `sep` (or the end); the separator is consumed. */
static inline const uint8_t *
fz_field(fz_in *in, uint8_t sep, size_t *len)
{
    const uint8_t *start = in->p;
    const uint8_t *end = in->n ? memchr(in->p, sep, in->n) : NULL;
    size_t k = end ? (size_t)(end - start) : in->n;
    *len = k;
    in->p += k;
    in->n -= k;
    if (end) {
        in->p++;
        in->n--;
    }
    return start;
}

/* A NUL-terminated heap copy of a field (NUL bytes inside are kept). */
static inline char *
fz_strndup(const uint8_t *s, size_t len)
{
    char *c = malloc(len + 1);
    if (!c)
        abort();
    if (len)
        memcpy(c, s, len);
    c[len] = '\0';
    return c;
}

#endif
