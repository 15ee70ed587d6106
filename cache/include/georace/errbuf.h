/*
 * errbuf.h - error messages into a caller's buffer.
 *
 * Functions that can fail on bad input take (char *err, size_t errcap) and
 * describe the failure there; the caller may pass NULL/0 to get no text.
 */
#ifndef GEORACE_ERRBUF_H
#define GEORACE_ERRBUF_H

#include <stddef.h>

/* snprintf into err[cap]; does nothing when err is NULL or cap is 0. */
void gr_errf(char *err, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
