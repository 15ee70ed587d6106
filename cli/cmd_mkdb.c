/*
 * cmd_mkdb.c - 'georace mkdb': Zoraxy CSV files -> one MMDB file.
 *
 * Reads every --csv file in order (a later range wins where two overlap),
 * builds the database with the project's MMDB writer and writes it to a
 * temporary file beside the output, renamed into place when complete.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "georace/csv_ranges.h"
#include "georace/mmdb_writer.h"

#define MKDB_MAX_CSV 64

static void
mkdb_usage(FILE *f)
{
    fprintf(f,
            "usage: georace mkdb --csv FILE [--csv FILE ...] -o OUT.mmdb [options]\n"
            "\n"
            "Turn Zoraxy / ip-location-db country CSV files (lines 'start,end,CC', IPv4\n"
            "or IPv6) into a MaxMind DB file with a 'country_code' per network, readable\n"
            "by libmaxminddb, mmdblookup and 'georace lookup --db'.\n"
            "\n"
            "options:\n"
            "  --csv FILE          input CSV; may repeat (up to %d); later files win\n"
            "                      where ranges overlap\n"
            "  -o, --output FILE   the MMDB file to write\n"
            "  --description TEXT  metadata description (English)\n"
            "  --database-type T   metadata database_type (default georace-country)\n"
            "  --build-epoch N     metadata build_epoch in seconds since 1970 (default:\n"
            "                      SOURCE_DATE_EPOCH if set, else now)\n"
            "  -q, --quiet         print nothing on success\n"
            "  -h, --help          this text\n"
            "\n"
            "exit status: 0 written, 1 cannot write the output, 64 usage,\n"
            "65 malformed CSV (the message names file and line), 66 missing CSV file,\n"
            "70 out of memory.\n",
            MKDB_MAX_CSV);
}

static int
mkdb_epoch(const char *s, uint64_t *out)
{
    uint64_t v;
    if (gr_cli_parse_u64(s, &v))
        return -1;
    *out = v;
    return 0;
}

static int
mkdb_write(gr_mmdbw *w, const gr_mmdbw_meta *meta, const char *out, gr_mmdbw_stats *st)
{
    size_t n = strlen(out);
    char *tmp = malloc(n + 16);
    if (!tmp) {
        gr_cli_error("mkdb", "out of memory");
        return GR_EXIT_SOFTWARE;
    }
    snprintf(tmp, n + 16, "%s.tmp.XXXXXX", out);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        gr_cli_error("mkdb", "cannot create %s: %s", out, strerror(errno));
        free(tmp);
        return GR_EXIT_FAIL;
    }
    mode_t mask = umask(0); /* mkstemp makes 0600; give the file the usual mode */
    umask(mask);
    if (fchmod(fd, 0666 & ~mask) != 0) {
        gr_cli_error("mkdb", "cannot set the mode of %s: %s", tmp, strerror(errno));
        close(fd);
        unlink(tmp);
        free(tmp);
        return GR_EXIT_FAIL;
    }
    FILE *f = fdopen(fd, "wb");
    int rc = f ? gr_mmdbw_write(w, meta, f, st) : GR_MMDBW_EIO;
    if (f && fclose(f) != 0 && rc == GR_MMDBW_OK)
        rc = GR_MMDBW_EIO;
    else if (!f)
        close(fd);
    if (rc == GR_MMDBW_OK && rename(tmp, out) != 0) {
        gr_cli_error("mkdb", "cannot write %s: %s", out, strerror(errno));
        unlink(tmp);
        free(tmp);
        return GR_EXIT_FAIL;
    }
    if (rc != GR_MMDBW_OK) {
        unlink(tmp);
        gr_cli_error("mkdb", "cannot write %s: %s", out, gr_mmdbw_strerror(rc));
        free(tmp);
        return rc == GR_MMDBW_EIO ? GR_EXIT_FAIL : GR_EXIT_SOFTWARE;
    }
    free(tmp);
    return GR_EXIT_OK;
}

int
gr_cmd_mkdb(int argc, char **argv)
{
    static const struct option opts[] = {{"csv", required_argument, NULL, 'c'},
                                         {"output", required_argument, NULL, 'o'},
                                         {"description", required_argument, NULL, 'd'},
                                         {"database-type", required_argument, NULL, 't'},
                                         {"build-epoch", required_argument, NULL, 'e'},
                                         {"quiet", no_argument, NULL, 'q'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *csv[MKDB_MAX_CSV];
    int n_csv = 0;
    const char *out = NULL;
    gr_mmdbw_meta meta = {.database_type = "georace-country",
                          .description = "country codes built by georace mkdb"};
    bool have_epoch = false, quiet = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:o:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            if (n_csv == MKDB_MAX_CSV) {
                gr_cli_error("mkdb", "at most %d --csv files", MKDB_MAX_CSV);
                return GR_EXIT_USAGE;
            }
            csv[n_csv++] = optarg;
            break;
        case 'o':
            out = optarg;
            break;
        case 'd':
            meta.description = optarg;
            break;
        case 't':
            if (!*optarg) {
                gr_cli_error("mkdb", "--database-type must not be empty");
                return GR_EXIT_USAGE;
            }
            meta.database_type = optarg;
            break;
        case 'e':
            if (mkdb_epoch(optarg, &meta.build_epoch)) {
                gr_cli_error("mkdb", "bad --build-epoch '%s'", optarg);
                return GR_EXIT_USAGE;
            }
            have_epoch = true;
            break;
        case 'q':
            quiet = true;
            break;
        case 'h':
            mkdb_usage(stdout);
            return GR_EXIT_OK;
        default:
            mkdb_usage(stderr);
            return GR_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        gr_cli_error("mkdb", "unexpected argument '%s' (inputs go with --csv)", argv[optind]);
        return GR_EXIT_USAGE;
    }
    if (n_csv == 0 || !out || !*out) {
        gr_cli_error("mkdb", "need at least one --csv FILE and -o OUT.mmdb (see --help)");
        return GR_EXIT_USAGE;
    }
    if (!have_epoch) {
        const char *sde = getenv("SOURCE_DATE_EPOCH");
        if (!sde || mkdb_epoch(sde, &meta.build_epoch))
            meta.build_epoch = (uint64_t)time(NULL);
    }

    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    gr_mmdbw *w;
    if (gr_mmdbw_create(&w) != GR_MMDBW_OK) {
        gr_cli_error("mkdb", "out of memory");
        return GR_EXIT_SOFTWARE;
    }
    gr_csvr_counts counts = {0, 0};
    char err[512];
    for (int i = 0; i < n_csv; i++) {
        int rc = gr_csvr_load_file(w, csv[i], &counts, err, sizeof err);
        if (rc != GR_CSVR_OK) {
            gr_cli_error("mkdb", "%s", err);
            gr_mmdbw_destroy(w);
            return rc == GR_CSVR_ENOENT    ? GR_EXIT_NOINPUT
                   : rc == GR_CSVR_EFORMAT ? GR_EXIT_DATAERR
                                           : GR_EXIT_SOFTWARE;
        }
    }
    gr_mmdbw_stats st;
    int rc = mkdb_write(w, &meta, out, &st);
    gr_mmdbw_destroy(w);
    if (rc != GR_EXIT_OK)
        return rc;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (!quiet)
        printf("wrote %s: %zu IPv4 + %zu IPv6 ranges, %zu countries, %zu nodes, "
               "record size %u, %zu bytes, %.2f s\n",
               out, counts.v4, counts.v6, st.data_values, st.node_count, st.record_size,
               st.file_bytes,
               (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    return GR_EXIT_OK;
}
