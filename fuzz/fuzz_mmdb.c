/*
 * fuzz_mmdb.c - MaxMind DB files, mutated, through our libmaxminddb backend.
 *
 * The input is a whole database file. It is written to an anonymous memory
 * file (memfd), opened through /proc/self/fd with gr_geodb_open_mmdb (which
 * maps it with libmaxminddb) and queried for a fixed set of IPv4 and IPv6
 * addresses that the seed databases cover, plus one address taken from the
 * input. Oracles: open returns OK or a gr_geodb_error with a message; a
 * lookup returns found (with a valid two-letter country), not found, or
 * GR_GEODB_ELOOKUP - corrupt trees and data sections are errors, never
 * crashes, hangs or reads outside the file (ASan watches the mapping's
 * neighbours only partly, so libmaxminddb's own bounds checks matter too).
 * Seed corpus: small databases written by 'georace mkdb' from small CSVs
 * (IPv4-only and IPv6 trees, several record sizes) and truncated copies.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz_input.h"
#include "georace/geodb.h"

/*
 * libmaxminddb 1.7.1 (Debian 12) leaks the metadata data pool when MMDB_open
 * fails while decoding the "description" map of a corrupt file (fixed
 * upstream in maxmind/libmaxminddb PR #356). Nothing our backend can free:
 * the pool is internal and already unreachable when MMDB_open returns. The
 * leak is suppressed here, narrowly, so that every other leak still fails
 * the run: by function where libmaxminddb is linked statically (OSS-Fuzz
 * builds; the unwinder sees only data_pool_new, and our backend never uses
 * the data-pool API itself), by module for Debian's shared library, whose
 * frames are unsymbolized. regressions/fuzz_mmdb/ keeps an input that takes
 * this path.
 */
const char *__lsan_default_suppressions(void);
const char *
__lsan_default_suppressions(void)
{
    return "leak:populate_description_metadata\n"
           "leak:data_pool_new\n"
           "leak:libmaxminddb.so\n";
}

static const char *const fz_mmdb_probes[] = {
    "1.0.0.1",     "1.0.1.7", "8.8.8.8",     "10.0.0.1", "0.0.0.0", "255.255.255.255",
    "2001:db8::1", "2a00::1", "2c0f:f000::", "::1",      "::",      "ffff:ffff:ffff:ffff::1",
    "64:ff9b::1",  "2002::1"};

static int
fz_mmdb_write_all(int fd, const uint8_t *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static void
fz_mmdb_query(gr_geodb *db, const gr_ip *ip)
{
    gr_country cc = GR_COUNTRY_NONE;
    int rc = gr_geodb_lookup(db, ip, &cc);
    FZ_CHECK(rc == 1 || rc == 0 || rc == GR_GEODB_ELOOKUP, "lookup returned %d", rc);
    if (rc == 1)
        FZ_CHECK(gr_country_valid(cc), "found an invalid country %04x", cc);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1u << 20))
        return 0;
    int fd = memfd_create("fuzz_mmdb", MFD_CLOEXEC);
    FZ_CHECK(fd >= 0, "memfd_create failed");
    FZ_CHECK(fz_mmdb_write_all(fd, data, size) == 0, "writing the memfd failed");
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);

    char err[256] = "";
    gr_geodb *db = NULL;
    int rc = gr_geodb_open_mmdb(path, &db, err, sizeof err);
    FZ_CHECK(rc == GR_GEODB_OK || rc == GR_GEODB_EFORMAT || rc == GR_GEODB_ENOMEM,
             "open returned %d (%s)", rc, err);
    if (rc != GR_GEODB_OK) {
        FZ_CHECK(err[0] != '\0', "open failed without a message");
        FZ_CHECK(db == NULL, "failed open returned a database");
    } else {
        for (size_t i = 0; i < sizeof fz_mmdb_probes / sizeof fz_mmdb_probes[0]; i++) {
            gr_ip ip;
            FZ_CHECK(gr_ip_parse(fz_mmdb_probes[i], strlen(fz_mmdb_probes[i]), &ip) == GR_IP_OK,
                     "probe %s", fz_mmdb_probes[i]);
            fz_mmdb_query(db, &ip);
        }
        if (size >= 16) {
            gr_ip ip;
            memcpy(ip.b, data, 16); /* an arbitrary address from the input */
            fz_mmdb_query(db, &ip);
        }
        gr_geodb_close(db);
    }
    close(fd);
    return 0;
}
