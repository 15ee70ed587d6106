/*
 * csv_ranges.h - read Zoraxy / ip-location-db country CSV into the writer.
 *
 * One range per line: "start,end,CC" (IPv4 or IPv6 addresses, inclusive;
 * a two-letter code, folded to upper case). LF or CRLF line ends; empty
 * lines are skipped. A row whose start has a ':' is IPv6 and its end must be
 * too; IPv4-mapped IPv6 rows are rejected (write them as IPv4). The first
 * malformed line stops the load with its line number in the message.
 */
#ifndef GEORACE_CSV_RANGES_H
#define GEORACE_CSV_RANGES_H

#include <stddef.h>

#include "georace/mmdb_writer.h"

enum gr_csvr_error {
    GR_CSVR_OK = 0,
    GR_CSVR_ENOENT = -1,  /* missing or unreadable file */
    GR_CSVR_EFORMAT = -2, /* malformed line */
    GR_CSVR_ENOMEM = -3
};

typedef struct gr_csvr_counts {
    size_t v4, v6; /* ranges read */
} gr_csvr_counts;

/* Insert every range of `text` (name is used in messages). Adds to *counts. */
int gr_csvr_load(gr_mmdbw *w, const char *name, const char *text, size_t len,
                 gr_csvr_counts *counts, char *err, size_t errcap);
int gr_csvr_load_file(gr_mmdbw *w, const char *path, gr_csvr_counts *counts, char *err,
                      size_t errcap);

#endif
