/*
 * bench_lookup.c - 'georace bench lookup': nanoseconds per geo lookup for
 * each backend and for a cache hit, over one fixed, seeded sample.
 *
 * The sample holds public addresses drawn at random (fixed seed) and kept
 * only when the database has a range for them, so every backend does the
 * work of a real hit. The answers of scan-bsearch while drawing are the
 * reference every other row is checked against ("agree").
 *
 * The linear scan walks every CSV row per lookup (Zoraxy's slow mode), so it
 * runs only a prefix of the sample; every row also stops at --seconds. The
 * cache-hit row goes through the resolver with the 'mutex' variant after a
 * warm-up pass, i.e. zone check + hash + lock + probe.
 */
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "georace/rng.h"
#include "georace/clock.h"
#include "cli.h"
#include "georace/cache.h"
#include "georace/resolver.h"

int gr_bench_lookup(int argc, char **argv);

#define BENCH_SEED 0x5eed1234u
#define BENCH_LINEAR_DIVISOR 1000 /* the linear scan runs samples/1000 ... */
#define BENCH_LINEAR_MAX 100      /* ... and at most this many lookups */

static void
usage(FILE *f)
{
    fprintf(f,
            "usage: georace bench lookup [--samples N] [--seconds S] [--seed N] [--json]\n"
            "                            [--db FILE] [--csv FILE...]\n\n"
            "Nanoseconds per lookup for the mmdb backend (libmaxminddb), scan-bsearch,\n"
            "the linear scan (Zoraxy's slow mode) and a cache hit through the resolver\n"
            "(mutex variant), over one fixed sample of public addresses that the\n"
            "database knows. The linear scan runs samples/%d lookups (at most %d).\n\n"
            "  --samples N     sample size (default 100000)\n"
            "  --seconds S     time cap per row (default 3s)\n"
            "  --seed N        sample seed (default %u)\n"
            "  --json          print one JSON document instead of a table\n"
            "  --db FILE       MMDB file for the mmdb row (default: embedded database)\n"
            "  --csv FILE      CSV for the scan rows and the sample; may repeat\n"
            "                  (default: embedded database)\n"
            "  --help          this text\n\n"
            "exit status: 0 ok, 1 a backend disagreed with the reference, 64 usage,\n"
            "65 malformed database, 66 database missing.\n",
            BENCH_LINEAR_DIVISOR, BENCH_LINEAR_MAX, BENCH_SEED);
}

struct bench_row {
    const char *name;
    size_t lookups;
    double ns_per_lookup;
    size_t found;
    size_t agree;
    double open_ms;
    bool ran;
};

/* One random public address of the family that the reference database
 * knows, or false after many misses. */
static bool
bench_draw(gr_geodb *ref_db, uint64_t *st, bool v6, gr_ip *ip, gr_country *c)
{
    for (int tries = 0; tries < 4000; tries++) {
        if (v6) {
            uint64_t a = gr_rng_splitmix64(st), b = gr_rng_splitmix64(st);
            memcpy(ip->b, &a, 8);
            memcpy(ip->b + 8, &b, 8);
            ip->b[0] = (uint8_t)(0x20 | (ip->b[0] & 0x0f)); /* 2000::/4: allocated space */
            ip->b[1] &= 0x0f;
        } else {
            gr_ip_from_v4((uint32_t)gr_rng_splitmix64(st), ip);
        }
        if (gr_zone_of(ip) == GR_ZONE_NONE && gr_geodb_lookup(ref_db, ip, c) == 1)
            return true;
    }
    return false;
}

/* Draw n addresses, a quarter IPv6, that the reference database knows
 * (rejection sampling: uniform over the ranges' address space); answers in
 * ref[]. */
static size_t
bench_sample(gr_geodb *ref_db, uint64_t seed, gr_ip *out, gr_country *ref, size_t n, size_t *n_v6)
{
    uint64_t st = seed;
    size_t got = 0;
    bool v6_ok = true;
    *n_v6 = 0;
    for (size_t i = 0; i < n; i++) {
        bool v6 = v6_ok && gr_rng_splitmix64(&st) % 4 == 0;
        if (bench_draw(ref_db, &st, v6, &out[got], &ref[got])) {
            *n_v6 += v6;
            got++;
        } else if (v6) {
            v6_ok = false; /* no IPv6 ranges to speak of: IPv4 only */
            i--;
        } else {
            break;
        }
    }
    return got;
}

/* Time lookups over samples[0..n) until done or the cap; fill the row. */
static void
bench_backend(struct bench_row *row, gr_geodb *db, const gr_ip *s, const gr_country *ref, size_t n,
              uint64_t cap_ns)
{
    uint64_t t0 = gr_clock_now_ns(), elapsed = 0;
    size_t i;
    for (i = 0; i < n; i++) {
        gr_country c = GR_COUNTRY_NONE;
        int rc = gr_geodb_lookup(db, &s[i], &c);
        row->found += rc == 1;
        row->agree += rc == 1 && c == ref[i];
        if ((i & 63) == 63 || n <= BENCH_LINEAR_MAX) {
            elapsed = gr_clock_now_ns() - t0;
            if (elapsed > cap_ns) {
                i++;
                break;
            }
        }
    }
    elapsed = gr_clock_now_ns() - t0;
    row->lookups = i;
    row->ns_per_lookup = i ? (double)elapsed / (double)i : 0;
    row->ran = true;
}

static void
bench_cache_hit(struct bench_row *row, gr_geodb *db, const gr_ip *s, const gr_country *ref,
                size_t n, uint64_t cap_ns)
{
    gr_cache_config cc;
    gr_cache_config_default(&cc);
    cc.size_hint = n;
    gr_cache *cache = NULL;
    if (gr_cache_create("mutex", &cc, &cache) != GR_CACHE_OK)
        return;
    gr_resolver *r = NULL;
    gr_resolver_config rc = {.db = db, .cache = cache};
    if (gr_resolver_create(&rc, &r) != 0) {
        gr_cache_destroy(cache);
        return;
    }
    for (size_t i = 0; i < n; i++) /* warm up: every sample cached */
        gr_resolve(r, &s[i]);
    uint64_t t0 = gr_clock_now_ns();
    size_t i;
    for (i = 0; i < n; i++) {
        gr_answer a = gr_resolve(r, &s[i]);
        row->found += a.cache_hit && a.kind == GR_ANSWER_COUNTRY;
        row->agree += a.kind == GR_ANSWER_COUNTRY && a.country == ref[i];
        if ((i & 63) == 63 && gr_clock_now_ns() - t0 > cap_ns) {
            i++;
            break;
        }
    }
    uint64_t elapsed = gr_clock_now_ns() - t0;
    row->lookups = i;
    row->ns_per_lookup = i ? (double)elapsed / (double)i : 0;
    row->ran = true;
    gr_resolver_destroy(r);
    gr_cache_destroy(cache);
}

static int
bench_open(const gr_cli_db *base, gr_geodb_kind kind, gr_geodb **out, double *open_ms)
{
    gr_cli_db d = *base;
    d.kind = kind;
    uint64_t t0 = gr_clock_now_ns();
    int rc = gr_cli_db_open(&d, out);
    *open_ms = (double)(gr_clock_now_ns() - t0) / 1e6;
    return rc;
}

static void
bench_print_table(const struct bench_row *rows, size_t n_rows, size_t n_samples, size_t n_v6,
                  size_t n_linear)
{
    printf("georace bench lookup: %zu public addresses (%zu IPv6), seed fixed\n\n", n_samples,
           n_v6);
    printf("%-22s %9s %14s %9s %9s %10s\n", "row", "lookups", "ns/lookup", "found", "agree",
           "open ms");
    for (size_t i = 0; i < n_rows; i++) {
        const struct bench_row *r = &rows[i];
        if (!r->ran) {
            printf("%-22s %9s\n", r->name, "(not run)");
            continue;
        }
        printf("%-22s %9zu %14.1f %9zu %9zu %10.1f\n", r->name, r->lookups, r->ns_per_lookup,
               r->found, r->agree, r->open_ms);
    }
    printf("\nThe linear scan re-parses every CSV row per lookup, so it runs only the first\n"
           "%zu samples; every row stops at the --seconds cap. 'agree' counts answers equal to\n"
           "the reference (scan-bsearch while drawing the sample).\n",
           n_linear);
}

static int
bench_print_json(const struct bench_row *rows, size_t n_rows, size_t n_samples, size_t n_v6,
                 size_t n_linear, uint64_t seed, uint64_t cap_ns, const gr_cli_db *d)
{
    json_t *results = json_array();
    for (size_t i = 0; i < n_rows; i++) {
        const struct bench_row *r = &rows[i];
        json_t *o = json_pack("{s:s,s:b}", "name", r->name, "ran", r->ran);
        if (r->ran) {
            json_object_set_new(o, "lookups", json_integer((json_int_t)r->lookups));
            json_object_set_new(o, "ns_per_lookup", json_real(r->ns_per_lookup));
            json_object_set_new(o, "found", json_integer((json_int_t)r->found));
            json_object_set_new(o, "agree", json_integer((json_int_t)r->agree));
            json_object_set_new(o, "open_ms", json_real(r->open_ms));
        }
        json_array_append_new(results, o);
    }
    json_t *doc = json_pack("{s:s,s:I,s:I,s:I,s:I,s:f,s:s,s:s,s:o}", "benchmark", "lookup", "seed",
                            (json_int_t)seed, "samples", (json_int_t)n_samples, "samples_ipv6",
                            (json_int_t)n_v6, "linear_samples", (json_int_t)n_linear, "seconds_cap",
                            (double)cap_ns / 1e9, "mmdb", d->mmdb_path ? d->mmdb_path : "embedded",
                            "csv", d->n_csv ? d->csv_paths[0] : "embedded", "results", results);
    if (!doc)
        return -1;
    char *text = json_dumps(doc, JSON_INDENT(2) | JSON_REAL_PRECISION(6));
    json_decref(doc);
    if (!text)
        return -1;
    puts(text);
    free(text);
    return 0;
}

int
gr_bench_lookup(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"samples", required_argument, NULL, 'n'}, {"seconds", required_argument, NULL, 's'},
        {"seed", required_argument, NULL, 'S'},    {"json", no_argument, NULL, 'j'},
        {"db", required_argument, NULL, 'D'},      {"csv", required_argument, NULL, 'C'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0}};
    gr_cli_db dbsel;
    uint64_t n_samples = 100000, cap_ns = 3000000000u, seed = BENCH_SEED;
    bool json = false;
    int c, idx = 0;
    gr_cli_db_init(&dbsel);
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", longopts, &idx)) != -1) {
        switch (c) {
        case 'n':
            if (gr_cli_parse_u64(optarg, &n_samples) || n_samples < 1 || n_samples > 10000000) {
                gr_cli_error("bench lookup", "--samples: '%s' is not 1..10M", optarg);
                return GR_EXIT_USAGE;
            }
            break;
        case 's':
            if (gr_cli_parse_duration(optarg, &cap_ns) || cap_ns == 0) {
                gr_cli_error("bench lookup", "--seconds: '%s' is not a duration", optarg);
                return GR_EXIT_USAGE;
            }
            break;
        case 'S':
            if (gr_cli_parse_u64(optarg, &seed)) {
                gr_cli_error("bench lookup", "--seed: '%s' is not a number", optarg);
                return GR_EXIT_USAGE;
            }
            break;
        case 'j':
            json = true;
            break;
        case 'D':
        case 'C':
            if (gr_cli_db_arg("bench lookup", &dbsel, longopts[idx].name, optarg))
                return GR_EXIT_USAGE;
            break;
        case 'h':
            usage(stdout);
            return GR_EXIT_OK;
        default: /* ':' or '?' */
            gr_cli_bad_option("bench lookup", c, argv);
            return GR_EXIT_USAGE;
        }
    }
    if (gr_cli_no_operands("bench lookup", argc, argv))
        return GR_EXIT_USAGE;

    struct bench_row rows[4] = {{.name = "mmdb"},
                                {.name = "scan-bsearch"},
                                {.name = "scan (linear)"},
                                {.name = "cache hit (mutex)"}};
    gr_geodb *mmdb = NULL, *bs = NULL, *lin = NULL;
    int rc = bench_open(&dbsel, GR_GEODB_SCAN_BSEARCH, &bs, &rows[1].open_ms);
    if (rc == GR_EXIT_OK)
        rc = bench_open(&dbsel, GR_GEODB_MMDB, &mmdb, &rows[0].open_ms);
    if (rc == GR_EXIT_OK)
        rc = bench_open(&dbsel, GR_GEODB_SCAN, &lin, &rows[2].open_ms);
    gr_ip *s = malloc(n_samples * sizeof *s);
    gr_country *ref = malloc(n_samples * sizeof *ref);
    if (rc == GR_EXIT_OK && (!s || !ref)) {
        gr_cli_error("bench lookup", "out of memory for %" PRIu64 " samples", n_samples);
        rc = GR_EXIT_SOFTWARE;
    }
    size_t got = 0, n_v6 = 0;
    if (rc == GR_EXIT_OK) {
        got = bench_sample(bs, seed, s, ref, (size_t)n_samples, &n_v6);
        if (got == 0) {
            gr_cli_error("bench lookup", "the database has no public ranges to sample");
            rc = GR_EXIT_DATAERR;
        }
    }
    size_t n_linear = got / BENCH_LINEAR_DIVISOR;
    n_linear = n_linear < 1 ? 1 : n_linear > BENCH_LINEAR_MAX ? BENCH_LINEAR_MAX : n_linear;
    if (n_linear > got)
        n_linear = got;
    if (rc == GR_EXIT_OK) {
        bench_backend(&rows[0], mmdb, s, ref, got, cap_ns);
        bench_backend(&rows[1], bs, s, ref, got, cap_ns);
        bench_backend(&rows[2], lin, s, ref, n_linear, cap_ns);
        bench_cache_hit(&rows[3], mmdb, s, ref, got, cap_ns);
        if (!rows[3].ran)
            gr_cli_error("bench lookup", "the 'mutex' cache variant is not available");
        if (json) {
            if (bench_print_json(rows, 4, got, n_v6, n_linear, seed, cap_ns, &dbsel))
                rc = GR_EXIT_SOFTWARE;
        } else {
            bench_print_table(rows, 4, got, n_v6, n_linear);
        }
        /* the mmdb and CSV rows only must agree when both come from one source */
        bool same_source = (dbsel.mmdb_path == NULL) == (dbsel.n_csv == 0);
        for (int i = 0; i < 4 && rc == GR_EXIT_OK && same_source; i++)
            if (rows[i].ran && rows[i].agree != rows[i].lookups) {
                gr_cli_error("bench lookup", "%s disagreed with the reference on %zu lookups",
                             rows[i].name, rows[i].lookups - rows[i].agree);
                rc = GR_EXIT_FAIL;
            }
    }
    free(s);
    free(ref);
    gr_geodb_close(mmdb);
    gr_geodb_close(bs);
    gr_geodb_close(lin);
    return rc;
}
