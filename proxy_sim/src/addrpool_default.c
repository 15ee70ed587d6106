/*
 * addrpool_default.c - the address pool of the embedded default database,
 * built from its CSV text (the same ranges the MMDB image holds).
 */
#include <stdio.h>

#include "georace/defaultdb.h"
#include "georace/traffic.h"

int
gr_addrpool_default(gr_addrpool **out, char *err, size_t errcap)
{
    size_t len = 0;
    const char *csv = gr_defaultdb_csv(&len);
    int rc = gr_addrpool_from_csv(csv, len, out, err, errcap);
    if (rc && err && errcap) {
        char inner[256];
        snprintf(inner, sizeof inner, "%s", err);
        snprintf(err, errcap, "embedded database: %s", inner);
    }
    return rc;
}
