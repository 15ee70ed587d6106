/*
 * geodb.c - what every geo backend shares: error texts and backend names.
 * The backends themselves live in geodb_mmdb.c and geodb_scan.c.
 */
#include <string.h>

#include "georace/geodb.h"

const char *
gr_geodb_strerror(int err)
{
    switch (err) {
    case GR_GEODB_OK:
        return "ok";
    case GR_GEODB_ENOENT:
        return "database file missing or unreadable";
    case GR_GEODB_EFORMAT:
        return "not a valid database";
    case GR_GEODB_ENOMEM:
        return "out of memory";
    case GR_GEODB_ELOOKUP:
        return "corrupt data found during lookup";
    case GR_GEODB_EARG:
        return "invalid argument";
    default:
        return "unknown database error";
    }
}

int
gr_geodb_kind_parse(const char *name, gr_geodb_kind *out)
{
    static const struct {
        const char *name;
        gr_geodb_kind kind;
    } kinds[] = {
        {"mmdb", GR_GEODB_MMDB}, {"scan", GR_GEODB_SCAN}, {"scan-bsearch", GR_GEODB_SCAN_BSEARCH}};
    for (size_t i = 0; name && i < sizeof kinds / sizeof kinds[0]; i++) {
        if (!strcmp(name, kinds[i].name)) {
            *out = kinds[i].kind;
            return GR_GEODB_OK;
        }
    }
    return GR_GEODB_EARG;
}
