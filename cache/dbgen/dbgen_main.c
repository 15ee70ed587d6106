/*
 * dbgen_main.c - georace-dbgen: write the default database files.
 *
 *   georace-dbgen --out-dir DIR [--seed N] [--quiet]
 *
 * writes DIR/georace-default.csv (IPv4 lines, then IPv6 lines),
 * DIR/georace-default-ipv4.csv, DIR/georace-default-ipv6.csv and
 * DIR/georace-default.mmdb. Each file is written beside its target and
 * renamed into place, so an interrupted build never leaves a torn file.
 * The same seed gives the same bytes (the MMDB's build_epoch is fixed).
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dbgen.h"
#include "georace/mmdb_writer.h"

#define GR_DBGEN_SEED 0x5a07a4e3141ull
#define GR_DBGEN_EPOCH 1704067200ull /* 2024-01-01T00:00:00Z */

static void
gr_dbgen_die(const char *what, const char *path)
{
    fprintf(stderr, "georace-dbgen: %s %s\n", what, path);
    exit(1);
}

static void
gr_dbgen_to_bytes(gr_dbgen_u128 x, unsigned char b[16])
{
    for (int i = 15; i >= 0; i--, x >>= 8)
        b[i] = (unsigned char)x;
}

static void
gr_dbgen_format(const gr_dbgen_range *r, bool v6, char *line, size_t cap)
{
    char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
    if (v6) {
        unsigned char fa[16], fb[16];
        gr_dbgen_to_bytes(r->first, fa);
        gr_dbgen_to_bytes(r->last, fb);
        inet_ntop(AF_INET6, fa, a, sizeof a);
        inet_ntop(AF_INET6, fb, b, sizeof b);
    } else {
        uint32_t fa = htonl((uint32_t)r->first), fb = htonl((uint32_t)r->last);
        inet_ntop(AF_INET, &fa, a, sizeof a);
        inet_ntop(AF_INET, &fb, b, sizeof b);
    }
    snprintf(line, cap, "%s,%s,%s\n", a, b, r->cc);
}

static FILE *
gr_dbgen_open(const char *dir, const char *name, char *tmp, size_t cap)
{
    snprintf(tmp, cap, "%s/%s.tmp", dir, name);
    FILE *f = fopen(tmp, "wb");
    if (!f)
        gr_dbgen_die("cannot create", tmp);
    return f;
}

static void
gr_dbgen_commit(FILE *f, const char *dir, const char *name, const char *tmp)
{
    char path[4096];
    if (fclose(f) != 0)
        gr_dbgen_die("cannot write", tmp);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (rename(tmp, path) != 0)
        gr_dbgen_die("cannot rename into", path);
}

static void
gr_dbgen_write_csv(const char *dir, const gr_dbgen_list *v4, const gr_dbgen_list *v6)
{
    char tmp_all[4096], tmp4[4096], tmp6[4096], line[128];
    FILE *all = gr_dbgen_open(dir, "georace-default.csv", tmp_all, sizeof tmp_all);
    FILE *f4 = gr_dbgen_open(dir, "georace-default-ipv4.csv", tmp4, sizeof tmp4);
    FILE *f6 = gr_dbgen_open(dir, "georace-default-ipv6.csv", tmp6, sizeof tmp6);
    for (size_t i = 0; i < v4->n; i++) {
        gr_dbgen_format(&v4->v[i], false, line, sizeof line);
        fputs(line, all);
        fputs(line, f4);
    }
    for (size_t i = 0; i < v6->n; i++) {
        gr_dbgen_format(&v6->v[i], true, line, sizeof line);
        fputs(line, all);
        fputs(line, f6);
    }
    gr_dbgen_commit(all, dir, "georace-default.csv", tmp_all);
    gr_dbgen_commit(f4, dir, "georace-default-ipv4.csv", tmp4);
    gr_dbgen_commit(f6, dir, "georace-default-ipv6.csv", tmp6);
}

static void
gr_dbgen_write_mmdb(const char *dir, uint64_t seed, const gr_dbgen_list *v4,
                    const gr_dbgen_list *v6, gr_mmdbw_stats *st)
{
    gr_mmdbw *w;
    int rc = gr_mmdbw_create(&w);
    for (size_t i = 0; rc == 0 && i < v4->n; i++)
        rc = gr_mmdbw_insert_v4(w, (uint32_t)v4->v[i].first, (uint32_t)v4->v[i].last, v4->v[i].cc);
    for (size_t i = 0; rc == 0 && i < v6->n; i++) {
        unsigned char a[16], b[16];
        gr_dbgen_to_bytes(v6->v[i].first, a);
        gr_dbgen_to_bytes(v6->v[i].last, b);
        rc = gr_mmdbw_insert_v6(w, a, b, v6->v[i].cc);
    }
    char desc[160], tmp[4096];
    snprintf(desc, sizeof desc,
             "georace default database: synthetic country ranges (seed %llu), not real "
             "geolocation data",
             (unsigned long long)seed);
    gr_mmdbw_meta meta = {
        .database_type = "georace-country", .description = desc, .build_epoch = GR_DBGEN_EPOCH};
    FILE *f = gr_dbgen_open(dir, "georace-default.mmdb", tmp, sizeof tmp);
    if (rc == 0)
        rc = gr_mmdbw_write(w, &meta, f, st);
    gr_mmdbw_destroy(w);
    if (rc) {
        fprintf(stderr, "georace-dbgen: mmdb: %s\n", gr_mmdbw_strerror(rc));
        exit(1);
    }
    gr_dbgen_commit(f, dir, "georace-default.mmdb", tmp);
}

int
main(int argc, char **argv)
{
    static const struct option opts[] = {{"out-dir", required_argument, NULL, 'o'},
                                         {"seed", required_argument, NULL, 's'},
                                         {"quiet", no_argument, NULL, 'q'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *dir = NULL;
    uint64_t seed = GR_DBGEN_SEED;
    bool quiet = false;
    int c;
    while ((c = getopt_long(argc, argv, "o:s:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'o':
            dir = optarg;
            break;
        case 's': {
            char *end;
            seed = strtoull(optarg, &end, 0);
            if (*end || !*optarg) {
                fprintf(stderr, "georace-dbgen: bad seed '%s'\n", optarg);
                return 64;
            }
            break;
        }
        case 'q':
            quiet = true;
            break;
        case 'h':
            printf("usage: georace-dbgen --out-dir DIR [--seed N] [--quiet]\n");
            return 0;
        default:
            return 64;
        }
    }
    if (!dir || optind != argc) {
        fprintf(stderr, "usage: georace-dbgen --out-dir DIR [--seed N] [--quiet]\n");
        return 64;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    gr_dbgen_country_init();
    gr_dbgen_rng rng;
    gr_dbgen_rng_seed(&rng, seed);
    gr_dbgen_list v4 = {0}, v6 = {0};
    gr_dbgen_v4(&rng, &v4);
    gr_dbgen_v6(&rng, &v6);
    gr_dbgen_write_csv(dir, &v4, &v6);
    gr_mmdbw_stats st;
    gr_dbgen_write_mmdb(dir, seed, &v4, &v6, &st);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (!quiet)
        printf("georace-dbgen: %zu IPv4 + %zu IPv6 ranges, %zu countries; mmdb %zu nodes, "
               "record size %u, %zu bytes; %.2f s\n",
               v4.n, v6.n, gr_dbgen_country_count(), st.node_count, st.record_size, st.file_bytes,
               (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    gr_dbgen_list_free(&v4);
    gr_dbgen_list_free(&v6);
    return 0;
}
