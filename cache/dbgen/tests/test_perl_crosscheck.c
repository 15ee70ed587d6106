/*
 * test_perl_crosscheck.c - georace's writer against MaxMind's.
 *
 * A few thousand random ranges (IPv4 of any size and alignment, IPv6 of
 * typical prefix sizes, touching or with gaps) go through georace's writer
 * and through MaxMind::DB::Writer (perl_writer.pl, Debian's
 * libmaxmind-db-writer-perl). Both files are read with libmaxminddb at every
 * range's edges, middle and neighbours, through the IPv4-mapped and 6to4
 * aliases, and at random addresses: every answer must be the same.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dbt.h"
#include "georace/csv_ranges.h"
#include "georace/mmdb_writer.h"
#include "gr_test.h"

static uint64_t state = 7;

static uint64_t
rnd(uint64_t n)
{
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return (state >> 11) % n;
}

static const char *codes[] = {"US", "DE", "JP", "BR", "ZA", "AU", "CN", "GB", "FR", "NL"};

/* Writes the random CSV; returns the number of ranges. */
static size_t
make_csv(const char *path)
{
    FILE *f = fopen(path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    size_t n = 0;
    uint64_t cur = (uint64_t)20 << 24; /* IPv4: 20.0.0.0 upwards */
    for (int i = 0; i < 3000; i++) {
        cur += rnd(3) ? 0 : rnd(5000);
        uint64_t len = 1 + (rnd(4) ? rnd(700) : rnd(200000));
        if (cur + len > 0xDF000000ull)
            break;
        fprintf(f, "%u.%u.%u.%u,%u.%u.%u.%u,%s\n", (unsigned)(cur >> 24) & 255,
                (unsigned)(cur >> 16) & 255, (unsigned)(cur >> 8) & 255, (unsigned)cur & 255,
                (unsigned)((cur + len - 1) >> 24) & 255, (unsigned)((cur + len - 1) >> 16) & 255,
                (unsigned)((cur + len - 1) >> 8) & 255, (unsigned)(cur + len - 1) & 255,
                codes[rnd(10)]);
        cur += len;
        n++;
    }
    uint64_t hi = 0x24000000ull << 32; /* IPv6: 2400:: upwards, in /64 units of the top half */
    for (int i = 0; i < 2000; i++) {
        unsigned plen = (unsigned[]){32, 48, 29, 44, 40, 56, 64}[rnd(7)];
        uint64_t size = (uint64_t)1 << (64 - plen);
        hi = (hi + size - 1) & ~(size - 1);
        hi += rnd(3) ? 0 : size * (1 + rnd(8));
        uint64_t last = hi + size * (1 + rnd(2)) - 1;
        fprintf(f, "%x:%x:%x:%x::,%x:%x:%x:%x:ffff:ffff:ffff:ffff,%s\n",
                (unsigned)(hi >> 48) & 0xffff, (unsigned)(hi >> 32) & 0xffff,
                (unsigned)(hi >> 16) & 0xffff, (unsigned)hi & 0xffff,
                (unsigned)(last >> 48) & 0xffff, (unsigned)(last >> 32) & 0xffff,
                (unsigned)(last >> 16) & 0xffff, (unsigned)last & 0xffff, codes[rnd(10)]);
        hi = last + 1;
        n++;
    }
    fclose(f);
    return n;
}

static void
compare(MMDB_s *a, MMDB_s *b, const gr_ip *ip, size_t *checked, size_t *bad)
{
    char ca[3] = "", cb[3] = "";
    int ra = gr_dbt_mmdb_country(a, ip, ca), rb = gr_dbt_mmdb_country(b, ip, cb);
    (*checked)++;
    if (ra != rb || strcmp(ca, cb)) {
        if ((*bad)++ < 5) {
            char s[GR_IP_STRLEN];
            gr_ip_format(ip, s, sizeof s);
            fprintf(stderr, "%s: georace %d '%s', MaxMind %d '%s'\n", s, ra, ca, rb, cb);
        }
    }
}

static void
test_georace_and_maxmind_writers_answer_alike(void)
{
    char dir[] = "/tmp/georace-perl-XXXXXX";
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    char csv_path[128], ours[128], theirs[128], cmd[1024];
    snprintf(csv_path, sizeof csv_path, "%s/r.csv", dir);
    snprintf(ours, sizeof ours, "%s/georace.mmdb", dir);
    snprintf(theirs, sizeof theirs, "%s/maxmind.mmdb", dir);
    size_t n = make_csv(csv_path);

    gr_mmdbw *w;
    gr_csvr_counts counts = {0, 0};
    char err[256] = "";
    CU_ASSERT_FATAL(gr_mmdbw_create(&w) == 0);
    CU_ASSERT_EQUAL_FATAL(gr_csvr_load_file(w, csv_path, &counts, err, sizeof err), 0);
    CU_ASSERT_EQUAL(counts.v4 + counts.v6, n);
    FILE *f = fopen(ours, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    gr_mmdbw_meta meta = {.database_type = "georace-test", .build_epoch = 1};
    CU_ASSERT_EQUAL_FATAL(gr_mmdbw_write(w, &meta, f, NULL), 0);
    fclose(f);
    gr_mmdbw_destroy(w);

    snprintf(cmd, sizeof cmd, "perl '%s' '%s' '%s'", GEORACE_PERL_WRITER, csv_path, theirs);
    int st = system(cmd);
    CU_ASSERT_FATAL(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0);

    MMDB_s a, b;
    CU_ASSERT_EQUAL_FATAL(MMDB_open(ours, MMDB_MODE_MMAP, &a), MMDB_SUCCESS);
    CU_ASSERT_EQUAL_FATAL(MMDB_open(theirs, MMDB_MODE_MMAP, &b), MMDB_SUCCESS);
    gr_dbt_csv csv;
    gr_dbt_csv_load(csv_path, &csv);
    size_t checked = 0, bad = 0;
    for (size_t i = 0; i < csv.n; i++) {
        gr_ip p[6];
        p[0] = csv.v[i].first;
        p[1] = csv.v[i].last;
        gr_dbt_ip_mid(&p[0], &p[1], &p[2]);
        p[3] = p[0];
        gr_dbt_ip_dec(&p[3]);
        p[4] = p[1];
        gr_dbt_ip_inc(&p[4]);
        p[5] = p[0];
        if (gr_ip_is_v4(&p[0])) { /* 6to4 of the middle */
            memset(p[5].b, 0, 16);
            p[5].b[0] = 0x20, p[5].b[1] = 0x02;
            memcpy(p[5].b + 2, p[2].b + 12, 4);
        }
        for (int k = 0; k < 6; k++)
            compare(&a, &b, &p[k], &checked, &bad);
        if (gr_ip_is_v4(&p[2])) { /* IPv4-mapped, looked up as IPv6 */
            char ca[3] = "", cb[3] = "";
            int ra = gr_dbt_mmdb_country_v6bytes(&a, p[2].b, ca);
            int rb = gr_dbt_mmdb_country_v6bytes(&b, p[2].b, cb);
            checked++;
            bad += ra != rb || strcmp(ca, cb) != 0;
        }
    }
    for (int i = 0; i < 20000; i++) { /* random addresses over both spaces */
        gr_ip ip;
        if (i % 2)
            gr_ip_from_v4((uint32_t)rnd(1ull << 32), &ip);
        else
            for (int k = 0; k < 16; k++)
                ip.b[k] = (uint8_t)(k == 0 ? 0x24 : k < 3 ? rnd(4) : rnd(256));
        compare(&a, &b, &ip, &checked, &bad);
    }
    printf("\n  %zu ranges, %zu lookups in both files, %zu differ\n", csv.n, checked, bad);
    CU_ASSERT(checked > 50000);
    CU_ASSERT_EQUAL(bad, 0);
    gr_dbt_csv_free(&csv);
    MMDB_close(&a);
    MMDB_close(&b);
    unlink(csv_path);
    unlink(ours);
    unlink(theirs);
    rmdir(dir);
}

static CU_TestInfo tests[] = {GR_TEST(test_georace_and_maxmind_writers_answer_alike), GR_TEST_END};

GR_TEST_MAIN("perl_crosscheck", tests, NULL, NULL)
