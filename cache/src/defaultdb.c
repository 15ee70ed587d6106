/*
 * defaultdb.c - the generated database embedded in the library.
 *
 * The build links the generated CSV and MMDB files in (see
 * cache/dbgen/defaultdb_blob.S.in). The CSV is served from memory as is.
 * libmaxminddb opens files only, so the MMDB image is copied once per
 * process into an anonymous memory file (memfd_create; an unlinked O_TMPFILE
 * file where memfd is unavailable) and handed out as /proc/self/fd/N.
 * pthread_once makes the copy happen once and publishes the path and any
 * error to every caller: everything written inside the once routine
 * happens-before the return of every pthread_once call.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "georace/defaultdb.h"

extern const unsigned char gr_defaultdb_csv_data[];
extern const unsigned char gr_defaultdb_mmdb_data[];
extern const uint64_t gr_defaultdb_csv_size;
extern const uint64_t gr_defaultdb_mmdb_size;

static pthread_once_t gr_defaultdb_once = PTHREAD_ONCE_INIT;
static char gr_defaultdb_path[64];
static char gr_defaultdb_err[256];

const char *
gr_defaultdb_csv(size_t *len)
{
    if (len)
        *len = (size_t)gr_defaultdb_csv_size;
    return (const char *)gr_defaultdb_csv_data;
}

const unsigned char *
gr_defaultdb_mmdb(size_t *len)
{
    if (len)
        *len = (size_t)gr_defaultdb_mmdb_size;
    return gr_defaultdb_mmdb_data;
}

static int
gr_defaultdb_anon_file(void)
{
    int fd = memfd_create("georace-default.mmdb", MFD_CLOEXEC);
    if (fd >= 0)
        return fd;
    const char *dir = getenv("TMPDIR");
    fd = open(dir && *dir ? dir : "/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    return fd;
}

static void
gr_defaultdb_materialize(void)
{
    int fd = gr_defaultdb_anon_file();
    if (fd < 0) {
        snprintf(gr_defaultdb_err, sizeof gr_defaultdb_err,
                 "cannot create a memory file for the default database: %s", strerror(errno));
        return;
    }
    const unsigned char *p = gr_defaultdb_mmdb_data;
    size_t left = (size_t)gr_defaultdb_mmdb_size;
    while (left > 0) {
        ssize_t n = write(fd, p, left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            snprintf(gr_defaultdb_err, sizeof gr_defaultdb_err,
                     "cannot write the default database to a memory file: %s",
                     n < 0 ? strerror(errno) : "short write");
            close(fd);
            return;
        }
        p += n;
        left -= (size_t)n;
    }
    /* The descriptor stays open for the life of the process. */
    snprintf(gr_defaultdb_path, sizeof gr_defaultdb_path, "/proc/self/fd/%d", fd);
}

const char *
gr_defaultdb_mmdb_path(char *err, size_t errcap)
{
    pthread_once(&gr_defaultdb_once, gr_defaultdb_materialize);
    if (gr_defaultdb_path[0])
        return gr_defaultdb_path;
    if (err && errcap)
        snprintf(err, errcap, "%s", gr_defaultdb_err);
    return NULL;
}

int
gr_defaultdb_open(gr_geodb_kind kind, gr_geodb **out, char *err, size_t errcap)
{
    if (kind == GR_GEODB_MMDB) {
        const char *path = gr_defaultdb_mmdb_path(err, errcap);
        if (!path)
            return GR_GEODB_ENOENT;
        return gr_geodb_open_mmdb(path, out, err, errcap);
    }
    size_t len;
    const char *csv = gr_defaultdb_csv(&len);
    return gr_geodb_open_scan_buffer(kind, csv, len, out, err, errcap);
}
