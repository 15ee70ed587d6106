/*
 * test_defaultdb_mmdblookup.c - MaxMind's own command-line reader agrees.
 *
 * A few hundred addresses, spread over the whole generated CSV (a pseudo-
 * random address inside evenly spaced ranges, plus the address after
 * ranges that have a gap behind them), are looked up with the mmdblookup
 * program from mmdb-bin in the generated MMDB and compared with the CSV.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dbt.h"
#include "gr_test.h"

static gr_dbt_csv csv;

static int
suite_init(void)
{
    gr_dbt_csv_load(GEORACE_DEFAULTDB_CSV, &csv);
    if (csv.n == 0)
        fprintf(stderr, "%s has no ranges\n", GEORACE_DEFAULTDB_CSV);
    return csv.n > 0 ? 0 : 1;
}

static int
suite_cleanup(void)
{
    gr_dbt_csv_free(&csv);
    return 0;
}

/* Runs mmdblookup once per address (one shell for all of them); res[i] is
 * 1 with cc[i] set, 0 for "not found", -1 for anything else. */
static void
mmdblookup_all(char (*ips)[GR_IP_STRLEN], size_t n, int *res, char (*cc)[3])
{
    char list[] = "/tmp/georace-mmdblookup-XXXXXX";
    int fd = mkstemp(list);
    CU_ASSERT_FATAL(fd >= 0);
    FILE *f = fdopen(fd, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%s\n", ips[i]);
    fclose(f);
    char cmd[1024], line[256];
    snprintf(cmd, sizeof cmd,
             "while read ip; do '%s' --file '%s' --ip \"$ip\" country_code 2>&1; "
             "echo @@end; done < '%s'",
             GEORACE_MMDBLOOKUP, GEORACE_DEFAULTDB_MMDB, list);
    FILE *p = popen(cmd, "r");
    CU_ASSERT_FATAL(p != NULL);
    size_t i = 0;
    for (size_t k = 0; k < n; k++)
        res[k] = -1;
    while (i < n && fgets(line, sizeof line, p)) {
        char *q = strchr(line, '"');
        if (!strncmp(line, "@@end", 5)) {
            i++;
        } else if (q && strstr(line, "<utf8_string>") && q[1] && q[2] && q[3] == '"') {
            memcpy(cc[i], q + 1, 2);
            cc[i][2] = '\0';
            res[i] = 1;
        } else if (strstr(line, "Could not find an entry")) {
            res[i] = 0;
        }
    }
    pclose(p);
    unlink(list);
}

/* A deterministic address inside first..last: first + (x mod size). */
static void
address_inside(const gr_dbt_range *r, uint64_t x, gr_ip *out)
{
    gr_ip ip = r->first, mid;
    /* Walk halfway steps: pick among first, mid(first,last), last, mid(mid,last). */
    gr_dbt_ip_mid(&r->first, &r->last, &mid);
    switch (x % 4) {
    case 0:
        break;
    case 1:
        ip = mid;
        break;
    case 2:
        ip = r->last;
        break;
    default:
        gr_dbt_ip_mid(&mid, &r->last, &ip);
        break;
    }
    *out = ip;
}

static void
test_mmdblookup_agrees_with_the_csv_on_sampled_addresses(void)
{
    enum { SAMPLES = 240 };
    static char ips[SAMPLES][GR_IP_STRLEN], want[SAMPLES][3], got[SAMPLES][3];
    static int expect[SAMPLES], res[SAMPLES];
    size_t n = 0, bad = 0, not_found = 0;
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (size_t s = 0; s < SAMPLES; s++) {
        size_t i = s * csv.n / SAMPLES;
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        gr_ip ip;
        if (s % 6 == 5) { /* the address behind the range: a gap or the next range */
            ip = csv.v[i].last;
            if (!gr_dbt_ip_inc(&ip))
                continue;
        } else {
            address_inside(&csv.v[i], x >> 33, &ip);
        }
        gr_ip_format(&ip, ips[n], sizeof ips[n]);
        expect[n] = gr_dbt_csv_country(&csv, &ip, want[n]);
        n++;
    }
    mmdblookup_all(ips, n, res, got);
    for (size_t k = 0; k < n; k++) {
        not_found += res[k] == 0;
        if (res[k] != expect[k] || (res[k] == 1 && strcmp(got[k], want[k]))) {
            if (bad++ < 5)
                fprintf(stderr, "%s: mmdblookup %d '%s', csv %d '%s'\n", ips[k], res[k], got[k],
                        expect[k], want[k]);
        }
    }
    printf("\n  %zu addresses through mmdblookup (%zu not found), %zu disagree\n", n, not_found,
           bad);
    CU_ASSERT(n >= 230);
    CU_ASSERT(not_found > 0);
    CU_ASSERT_EQUAL(bad, 0);
}

static CU_TestInfo tests[] = {GR_TEST(test_mmdblookup_agrees_with_the_csv_on_sampled_addresses),
                              GR_TEST_END};

GR_TEST_MAIN("defaultdb_mmdblookup", tests, suite_init, suite_cleanup)
