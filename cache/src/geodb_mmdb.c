/*
 * geodb_mmdb.c - the libmaxminddb backend.
 *
 * The file is opened once with MMDB_MODE_MMAP; libmaxminddb lookups only
 * read the mapping, so any number of threads may look up concurrently
 * without locks. IPv4 addresses are handed over as sockaddr_in, which lets
 * libmaxminddb walk from its IPv4 start node in an IPv6 tree (the
 * ::ffff:0:0/96 and ::/96 aliases are its business, not ours).
 *
 * The record's country comes from "country_code" (ip-location-db files) or
 * else "country" -> "iso_code" (GeoLite2/GeoIP2 country files). Any error
 * libmaxminddb reports while walking a corrupt tree or data section becomes
 * GR_GEODB_ELOOKUP; a record without a usable code is "not found".
 */
#include <errno.h>
#include <maxminddb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "georace/errbuf.h"
#include "georace/geodb.h"

struct gr_geodb_mmdb {
    struct gr_geodb base;
    MMDB_s mmdb;
};

/* 1 and *out set when data is a two-letter string; 0 otherwise. */
static int
gr_geodb_mmdb_code(const MMDB_entry_data_s *d, gr_country *out)
{
    if (!d->has_data || d->type != MMDB_DATA_TYPE_UTF8_STRING || d->data_size != 2)
        return 0;
    char code[3] = {d->utf8_string[0], d->utf8_string[1], '\0'};
    gr_country c = gr_country_from_str(code);
    if (c == GR_COUNTRY_NONE)
        return 0;
    *out = c;
    return 1;
}

static int
gr_geodb_mmdb_lookup(gr_geodb *db, const gr_ip *ip, gr_country *out)
{
    struct gr_geodb_mmdb *m = (struct gr_geodb_mmdb *)db;
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    if (gr_ip_is_v4(ip)) {
        struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
        sin->sin_family = AF_INET;
        memcpy(&sin->sin_addr, ip->b + 12, 4);
    } else {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
        sin6->sin6_family = AF_INET6;
        memcpy(&sin6->sin6_addr, ip->b, 16);
    }
    int mmdb_err = MMDB_SUCCESS;
    MMDB_lookup_result_s res = MMDB_lookup_sockaddr(&m->mmdb, (struct sockaddr *)&ss, &mmdb_err);
    if (mmdb_err == MMDB_IPV6_LOOKUP_IN_IPV4_DATABASE_ERROR)
        return 0;
    if (mmdb_err != MMDB_SUCCESS)
        return GR_GEODB_ELOOKUP;
    if (!res.found_entry)
        return 0;
    MMDB_entry_data_s d;
    int rc = MMDB_get_value(&res.entry, &d, "country_code", NULL);
    if (rc == MMDB_SUCCESS && gr_geodb_mmdb_code(&d, out))
        return 1;
    if (rc != MMDB_SUCCESS && rc != MMDB_LOOKUP_PATH_DOES_NOT_MATCH_DATA_ERROR)
        return GR_GEODB_ELOOKUP;
    rc = MMDB_get_value(&res.entry, &d, "country", "iso_code", NULL);
    if (rc == MMDB_SUCCESS && gr_geodb_mmdb_code(&d, out))
        return 1;
    if (rc != MMDB_SUCCESS && rc != MMDB_LOOKUP_PATH_DOES_NOT_MATCH_DATA_ERROR)
        return GR_GEODB_ELOOKUP;
    return 0;
}

static void
gr_geodb_mmdb_close(gr_geodb *db)
{
    struct gr_geodb_mmdb *m = (struct gr_geodb_mmdb *)db;
    MMDB_close(&m->mmdb);
    free(m);
}

static const struct gr_geodb_ops gr_geodb_mmdb_ops = {
    .name = "mmdb",
    .lookup = gr_geodb_mmdb_lookup,
    .close = gr_geodb_mmdb_close,
};

int
gr_geodb_open_mmdb(const char *path, gr_geodb **out, char *err, size_t errcap)
{
    if (!path || !out) {
        gr_errf(err, errcap, "no database path given");
        return GR_GEODB_EARG;
    }
    struct stat st;
    if (stat(path, &st) != 0) {
        gr_errf(err, errcap, "%s: %s", path, strerror(errno));
        return GR_GEODB_ENOENT;
    }
    if (!S_ISREG(st.st_mode)) {
        gr_errf(err, errcap, "%s: %s", path, "not a regular file");
        return GR_GEODB_ENOENT;
    }
    if (st.st_size == 0) {
        gr_errf(err, errcap, "%s: %s", path, "empty file, not a MaxMind DB file");
        return GR_GEODB_EFORMAT;
    }
    struct gr_geodb_mmdb *m = calloc(1, sizeof *m);
    if (!m) {
        gr_errf(err, errcap, "%s: %s", path, "out of memory");
        return GR_GEODB_ENOMEM;
    }
    int rc = MMDB_open(path, MMDB_MODE_MMAP, &m->mmdb);
    if (rc != MMDB_SUCCESS) {
        int saved = errno;
        free(m);
        switch (rc) {
        case MMDB_FILE_OPEN_ERROR:
        case MMDB_IO_ERROR:
            if (err && errcap)
                snprintf(err, errcap, "%s: %s (%s)", path, MMDB_strerror(rc), strerror(saved));
            return GR_GEODB_ENOENT;
        case MMDB_OUT_OF_MEMORY_ERROR:
            gr_errf(err, errcap, "%s: %s", path, MMDB_strerror(rc));
            return GR_GEODB_ENOMEM;
        default:
            gr_errf(err, errcap, "%s: not a MaxMind DB file: %s", path, MMDB_strerror(rc));
            return GR_GEODB_EFORMAT;
        }
    }
    m->base.ops = &gr_geodb_mmdb_ops;
    *out = &m->base;
    return GR_GEODB_OK;
}
