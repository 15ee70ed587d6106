/*
 * defaultdb.h - the generated database embedded in the binary.
 *
 * The build generates a deterministic database (fixed seed: ~330k IPv4 and
 * ~210k IPv6 ranges with a realistic country mix) as a Zoraxy-style CSV and
 * as an MMDB file, and links both into the library. libmaxminddb opens files
 * only, so the MMDB is materialized once per process in an anonymous memory
 * file (memfd) and opened through /proc/self/fd.
 */
#ifndef GEORACE_DEFAULTDB_H
#define GEORACE_DEFAULTDB_H

#include <stddef.h>

#include "georace/geodb.h"

/* The embedded CSV text (IPv4 and IPv6 lines). */
const char *gr_defaultdb_csv(size_t *len);
/* The embedded MMDB image. */
const unsigned char *gr_defaultdb_mmdb(size_t *len);
/* A path libmaxminddb can open for the embedded MMDB; NULL with err set on failure. */
const char *gr_defaultdb_mmdb_path(char *err, size_t errcap);
/* Open the default database with the given backend. */
int gr_defaultdb_open(gr_geodb_kind kind, gr_geodb **out, char *err, size_t errcap);

#endif
