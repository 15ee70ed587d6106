/*
 * dbt.h - helpers shared by the default-database tests: load a Zoraxy CSV
 * into an array (independently of the writer's reader), look addresses up
 * through libmaxminddb, step addresses by one.
 */
#ifndef GEORACE_DBT_H
#define GEORACE_DBT_H

#include <maxminddb.h>
#include <stdbool.h>
#include <stddef.h>

#include "georace/ip.h"

typedef struct gr_dbt_range {
    gr_ip first, last;
    char cc[3];
    bool v6;
} gr_dbt_range;

typedef struct gr_dbt_csv {
    gr_dbt_range *v;
    size_t n, n4, n6;
} gr_dbt_csv;

/* Load a CSV file; aborts the test binary with a message on any bad line. */
void gr_dbt_csv_load(const char *path, gr_dbt_csv *out);
void gr_dbt_csv_free(gr_dbt_csv *c);

/* Country code of ip in an open MMDB into cc[3]; returns 1 found, 0 not
 * found, -1 lookup error. */
int gr_dbt_mmdb_country(MMDB_s *db, const gr_ip *ip, char cc[3]);
/* Same for the 16 raw bytes, looked up as IPv6 (::ffff:a.b.c.d stays IPv6). */
int gr_dbt_mmdb_country_v6bytes(MMDB_s *db, const unsigned char b[16], char cc[3]);

/* ip + 1 / ip - 1 in its 16-byte form; false on wrap-around. */
bool gr_dbt_ip_inc(gr_ip *ip);
bool gr_dbt_ip_dec(gr_ip *ip);
/* The middle of first..last. */
void gr_dbt_ip_mid(const gr_ip *first, const gr_ip *last, gr_ip *mid);

/* The expected country of ip per the CSV (binary search over the family's
 * sorted ranges): 1 found (cc set), 0 not covered. */
int gr_dbt_csv_country(const gr_dbt_csv *c, const gr_ip *ip, char cc[3]);

/* Whole file into memory (NUL-terminated); aborts on failure. */
char *gr_dbt_read_file(const char *path, size_t *len);

#endif
