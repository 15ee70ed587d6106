/*
 * access.h - the country access rule: block-list or allow-list.
 *
 * Block-list mode (Zoraxy's blacklist): a request is refused when its country
 * is listed. Allow-list mode (whitelist): refused unless listed. Reserved
 * zones (Private, Loopback, ...) are always allowed, as in Zoraxy, and an
 * address the database does not know is allowed in block-list mode and
 * refused in allow-list mode. The rule is immutable once parsed, so worker
 * threads share it without synchronization.
 */
#ifndef GEORACE_ACCESS_H
#define GEORACE_ACCESS_H

#include <stdbool.h>
#include <stddef.h>

#include "georace/resolver.h"

typedef enum gr_access_mode { GR_ACCESS_BLOCK = 0, GR_ACCESS_ALLOW = 1 } gr_access_mode;

typedef struct gr_access {
    gr_access_mode mode;
    unsigned char listed[26 * 26]; /* one flag per two-letter code */
    size_t count;
} gr_access;

/* Parse "CN,RU" (case insensitive, spaces allowed) into a rule. NULL or ""
 * gives an empty list. Returns 0, or -1 with a message in err. */
int gr_access_parse(gr_access *a, gr_access_mode mode, const char *list, char *err, size_t errcap);
bool gr_access_allows(const gr_access *a, const gr_answer *answer);

#endif
