/*
 * geodb.h - geo databases behind one small interface.
 *
 * Backends:
 *   mmdb         libmaxminddb (MMDB_MODE_MMAP); reads "country_code"
 *                (ip-location-db files) or "country"/"iso_code" (GeoLite2).
 *   scan         Zoraxy's slow mode: a linear walk over the CSV lines
 *                "start,end,CC" that parses each line as it goes.
 *   scan-bsearch binary search over ranges parsed once at open (for
 *                comparison: what the scan could cost); rejects
 *                overlapping ranges, which only a first-row-wins walk can honour.
 * A CSV source may hold IPv4 and IPv6 lines in any mix; several sources are
 * walked in the order given. Rows are validated once at open; a malformed
 * row fails the open with "name:line: reason" (GR_GEODB_EFORMAT).
 */
#ifndef GEORACE_GEODB_H
#define GEORACE_GEODB_H

#include <stddef.h>

#include "georace/country.h"
#include "georace/ip.h"

typedef struct gr_geodb gr_geodb;

typedef enum gr_geodb_kind { GR_GEODB_MMDB, GR_GEODB_SCAN, GR_GEODB_SCAN_BSEARCH } gr_geodb_kind;

enum gr_geodb_error {
    GR_GEODB_OK = 0,
    GR_GEODB_ENOENT = -1,  /* file missing or unreadable */
    GR_GEODB_EFORMAT = -2, /* not a valid database / CSV */
    GR_GEODB_ENOMEM = -3,
    GR_GEODB_ELOOKUP = -4, /* corrupt data found during a lookup */
    GR_GEODB_EARG = -5
};

struct gr_geodb_ops {
    const char *name;
    /* 1 found (*out set), 0 not in the database, <0 gr_geodb_error. Thread-safe. */
    int (*lookup)(gr_geodb *db, const gr_ip *ip, gr_country *out);
    void (*close)(gr_geodb *db);
};

struct gr_geodb {
    const struct gr_geodb_ops *ops;
};

/* Open a database file. err/errcap receive a human-readable message. */
int gr_geodb_open_mmdb(const char *path, gr_geodb **out, char *err, size_t errcap);
/* CSV from files (n_paths >= 1). */
int gr_geodb_open_scan(gr_geodb_kind kind, const char *const *paths, size_t n_paths, gr_geodb **out,
                       char *err, size_t errcap);
/* CSV from memory (not copied; must outlive the db). */
int gr_geodb_open_scan_buffer(gr_geodb_kind kind, const char *csv, size_t len, gr_geodb **out,
                              char *err, size_t errcap);

static inline int
gr_geodb_lookup(gr_geodb *db, const gr_ip *ip, gr_country *out)
{
    return db->ops->lookup(db, ip, out);
}
static inline void
gr_geodb_close(gr_geodb *db)
{
    if (db)
        db->ops->close(db);
}
const char *gr_geodb_strerror(int err);
int gr_geodb_kind_parse(const char *name, gr_geodb_kind *out); /* "mmdb", "scan", "scan-bsearch" */

#endif
