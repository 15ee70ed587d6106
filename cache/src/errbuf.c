/*
 * errbuf.c - gr_errf: the one formatter behind every "char *err, size_t
 * errcap" out-parameter (see errbuf.h). No state, so any thread may call it.
 */
#include <stdarg.h>
#include <stdio.h>

#include "georace/errbuf.h"

void
gr_errf(char *err, size_t cap, const char *fmt, ...)
{
    if (!err || !cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, cap, fmt, ap);
    va_end(ap);
}
