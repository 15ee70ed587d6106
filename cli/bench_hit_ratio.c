/*
 * bench_hit_ratio.c - 'georace bench hit-ratio': the hit-ratio table of the
 * bounded cache against its peers, on one seeded request stream replayed
 * for every row (georace/hit_ratio.h): bounded (S3-FIFO) and an exact LRU
 * at each capacity, and the unbounded cache with Zoraxy's periodic clear
 * and without any clear (the ceiling: only first-time misses). Once for
 * the profile alone, once with a second profile (an address spray) mixed
 * in. A table, or JSON.
 */
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "georace/capacity.h"
#include "georace/hit_ratio.h"
#include "georace/lru.h"

#define CMD "bench hit-ratio"
#define GR_HR_MAX_CAPS 16

struct hr_opts {
    const char *profile, *mix;
    double mix_rate;
    uint64_t duration_ns, clear_ns, seed;
    bool seed_set, json;
    unsigned stripes;
    gr_capacity caps[GR_HR_MAX_CAPS];
    const char *cap_specs[GR_HR_MAX_CAPS];
    int ncaps;
    char *caps_arg; /* --capacities, split in place into cap_specs[] */
};

static void
usage(FILE *f)
{
    char prof[512];
    fprintf(f,
            "usage: georace bench hit-ratio [OPTIONS]\n"
            "\n"
            "Replays one seeded request stream through every cache below and prints the\n"
            "hit ratio of each, side by side: bounded (S3-FIFO, sharded) and an exact LRU\n"
            "(single-threaded reference) at each capacity, the unbounded cache cleared\n"
            "every --cache-clear (Zoraxy's ticker) and never cleared (the ceiling: only\n"
            "first-time misses). Time is the stream's own: requests carry send times\n"
            "drawn at the profile's rate, the clear fires when they cross a multiple of\n"
            "the interval, and hours of traffic replay in seconds. Two streams: the\n"
            "profile alone, and the profile with --mix mixed in at --mix-rate. Reserved\n"
            "addresses never reach the cache (as in the resolver); a page view's\n"
            "parallel requests come one after another, so only its first misses.\n"
            "Addresses come from the embedded database. 'own hits' is the hit ratio of\n"
            "the profile's own requests (in the mixed stream: what the mix leaves them).\n"
            "\n"
            "%s"
            "  --mix P           profile mixed into the second stream (default spray-v6;\n"
            "                    'none': the first stream only)\n"
            "  --mix-rate R      requests/s of the mixed-in profile (default 100)\n"
            "  --capacities L    comma-separated capacities of bounded and LRU, each\n"
            "                    entries (k/M suffixes) or bytes with a unit (B KiB MiB\n"
            "                    GiB kB MB GB: bounded's footprint; LRU gets as many\n"
            "                    entries); default 4096,16384,65536,262144\n"
            "  --stripes N       bounded: stripes, a power of two (default 64)\n"
            "  --duration D      simulated time of the stream, e.g. 30m, 2h (default 2h)\n"
            "  --cache-clear D   clear interval of the unbounded row (default 15m)\n"
            "  --seed S          traffic seed (default: the profile's)\n"
            "  --json            print JSON instead of the table\n"
            "  -h, --help        this text\n"
            "\n"
            "exit status: 0 ok, 64 usage, 65 malformed profile, 66 missing profile,\n"
            "70 internal error (out of memory).\n",
            gr_cli_profile_help(prof, sizeof prof, 20));
}

static int
parse_capacities(struct hr_opts *o, char *list)
{
    char err[256];
    o->ncaps = 0;
    for (char *t = list; t;) {
        char *comma = strchr(t, ',');
        if (comma)
            *comma = '\0';
        if (o->ncaps == GR_HR_MAX_CAPS) {
            gr_cli_error(CMD, "--capacities: at most %d", GR_HR_MAX_CAPS);
            return -1;
        }
        if (gr_capacity_parse(t, &o->caps[o->ncaps], err, sizeof err)) {
            gr_cli_error(CMD, "--capacities: %s", err);
            return -1;
        }
        o->cap_specs[o->ncaps++] = t;
        t = comma ? comma + 1 : NULL;
    }
    return 0;
}

static int
parse_option(struct hr_opts *o, int c, const char *arg)
{
    uint64_t u;
    char *end;
    switch (c) {
    case 'p':
        o->profile = arg;
        return 0;
    case 'm':
        o->mix = strcmp(arg, "none") ? arg : NULL;
        return 0;
    case 'r':
        o->mix_rate = strtod(arg, &end);
        if (*arg == '\0' || *end || !(o->mix_rate > 0 && o->mix_rate <= 1e7)) {
            gr_cli_error(CMD, "--mix-rate wants requests/s in (0, 1e7], not '%s'", arg);
            return -1;
        }
        return 0;
    case 'c':
        free(o->caps_arg);
        o->caps_arg = strdup(arg);
        return o->caps_arg ? parse_capacities(o, o->caps_arg) : -1;
    case 'x':
        if (gr_cli_opt_range(CMD, "stripes", arg, 1, 65536, &u))
            return -1;
        if (u & (u - 1)) {
            gr_cli_error(CMD, "--stripes: '%s' is not a power of two", arg);
            return -1;
        }
        o->stripes = (unsigned)u;
        return 0;
    case 'd':
        if (gr_cli_parse_duration(arg, &o->duration_ns) || o->duration_ns < 1000000000u ||
            o->duration_ns > 30ull * 24 * 3600 * 1000000000u) {
            gr_cli_error(CMD, "--duration: '%s' is not a duration from 1s to 30 days", arg);
            return -1;
        }
        return 0;
    case 'C':
        if (gr_cli_parse_duration(arg, &o->clear_ns) || o->clear_ns < 1000000u) {
            gr_cli_error(CMD, "--cache-clear: '%s' is not a duration of at least 1ms", arg);
            return -1;
        }
        return 0;
    case 's':
        if (gr_cli_parse_u64(arg, &o->seed)) {
            gr_cli_error(CMD, "--seed: '%s' is not an unsigned integer", arg);
            return -1;
        }
        o->seed_set = true;
        return 0;
    default:
        return -1;
    }
}

static int
parse_hit_ratio_options(int argc, char **argv, struct hr_opts *o)
{
    static const struct option longopts[] = {{"profile", required_argument, NULL, 'p'},
                                             {"mix", required_argument, NULL, 'm'},
                                             {"mix-rate", required_argument, NULL, 'r'},
                                             {"capacities", required_argument, NULL, 'c'},
                                             {"stripes", required_argument, NULL, 'x'},
                                             {"duration", required_argument, NULL, 'd'},
                                             {"cache-clear", required_argument, NULL, 'C'},
                                             {"seed", required_argument, NULL, 's'},
                                             {"json", no_argument, NULL, 'j'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    memset(o, 0, sizeof *o);
    o->profile = "zoraxy-home";
    o->mix = "spray-v6";
    o->mix_rate = 100;
    o->duration_ns = 2ull * 3600 * 1000000000u;
    o->clear_ns = 15ull * 60 * 1000000000u;
    o->stripes = 64;
    o->caps_arg = strdup("4096,16384,65536,262144");
    if (!o->caps_arg || parse_capacities(o, o->caps_arg))
        return GR_EXIT_SOFTWARE;
    opterr = 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        if (c == 'h') {
            usage(stdout);
            return GR_EXIT_OK;
        }
        if (c == 'j') {
            o->json = true;
            continue;
        }
        if (c == ':' || c == '?')
            return gr_cli_bad_option(CMD, c, argv), GR_EXIT_USAGE;
        if (parse_option(o, c, optarg))
            return GR_EXIT_USAGE;
    }
    if (gr_cli_no_operands(CMD, argc, argv))
        return GR_EXIT_USAGE;
    return GR_CLI_RUN;
}

/* One row of the table: a cache, its capacity (0: unbounded), its result. */
struct hr_row {
    const char *cache;
    char label[48];
    size_t capacity;
    const char *spec;
    uint64_t clear_ns;
    gr_hr_result r;
};

static int
make_row_cache(const struct hr_opts *o, const struct hr_row *row, int k, gr_cache **c)
{
    if (!strcmp(row->cache, "lru"))
        return gr_lru_create(row->capacity, c);
    gr_cache_config cfg;
    gr_cache_config_default(&cfg);
    cfg.stripes = o->stripes;
    if (!strcmp(row->cache, "bounded")) {
        gr_capacity_apply(&o->caps[k], &cfg);
        return gr_cache_create("bounded", &cfg, c);
    }
    return gr_cache_create("mutex", &cfg, c); /* unbounded: any fixed variant hits alike */
}

/* The rows for one stream: ceiling, Zoraxy, then bounded and LRU per
 * capacity, into rows[*nrows]. GR_EXIT_OK or the exit status. */
static int
run_rows(const struct hr_opts *o, const gr_hr_stream *s, struct hr_row *rows, int *nrows)
{
    int n = 0;
    rows[n++] = (struct hr_row){.cache = "unbounded", .label = "unbounded, never cleared"};
    rows[n] = (struct hr_row){.cache = "unbounded", .clear_ns = o->clear_ns};
    char dur[16];
    snprintf(dur, sizeof dur, "%.6gs", (double)o->clear_ns / 1e9);
    if (o->clear_ns % 60000000000ull == 0)
        snprintf(dur, sizeof dur, "%" PRIu64 "m", (uint64_t)(o->clear_ns / 60000000000ull));
    snprintf(rows[n++].label, sizeof rows[0].label, "unbounded, clear every %s", dur);
    for (int k = 0; k < o->ncaps; k++) {
        gr_cache_config cfg;
        gr_cache_config_default(&cfg);
        cfg.stripes = o->stripes;
        size_t cap = gr_capacity_entries(&o->caps[k], &cfg);
        const char *names[2] = {"bounded", "lru"};
        for (int j = 0; j < 2; j++) {
            rows[n] = (struct hr_row){.cache = names[j], .capacity = cap, .spec = o->cap_specs[k]};
            snprintf(rows[n].label, sizeof rows[n].label, "%s",
                     j ? "lru (exact)" : "bounded (S3-FIFO)");
            n++;
        }
    }
    for (int i = 0; i < n; i++) {
        gr_cache *c = NULL;
        int k = i < 2 ? 0 : (i - 2) / 2;
        int rc = make_row_cache(o, &rows[i], k, &c);
        if (rc != GR_CACHE_OK) {
            gr_cli_error(CMD, "%s: %s", rows[i].label, gr_cache_strerror(rc));
            return rc == GR_CACHE_ENOMEM ? GR_EXIT_SOFTWARE : GR_EXIT_USAGE;
        }
        gr_hr_replay(s, c, rows[i].clear_ns, &rows[i].r);
        gr_cache_destroy(c);
    }
    *nrows = n;
    return GR_EXIT_OK;
}

static void
print_table(const gr_hr_stream *s, const char *name, const struct hr_opts *o,
            const struct hr_row *rows, int n)
{
    const char *name_own = "own hits"; /* the first profile's requests only */
    printf("\nstream %s: %.3g h simulated, %zu lookups (%zu from %s), %zu distinct keys, "
           "seed %" PRIu64 "\n",
           name, (double)s->duration_ns / 3.6e12, s->n, s->n_mixed, o->mix ? o->mix : "-",
           s->distinct, o->seed);
    printf("  %-26s %9s %10s %10s %10s %7s %12s %9s\n", "cache", "capacity", "hit ratio", name_own,
           "misses", "clears", "peak entries", "peak MiB");
    for (int i = 0; i < n; i++) {
        const struct hr_row *r = &rows[i];
        char cap[24] = "-";
        if (r->capacity)
            snprintf(cap, sizeof cap, "%zu", r->capacity);
        printf("  %-26s %9s %9.2f%% %9.2f%% %10" PRIu64 " %7" PRIu64 " %12zu %9.2f\n", r->label,
               cap, 100 * gr_hr_ratio(&r->r), 100 * gr_hr_own_ratio(&r->r), r->r.misses,
               r->r.clears, r->r.peak_len, (double)r->r.mem_bytes / (1 << 20));
    }
}

static json_t *
json_stream(const gr_hr_stream *s, const char *name, const char *mix, const struct hr_row *rows,
            int n)
{
    json_t *o = json_object(), *arr = json_array();
    json_object_set_new(o, "stream", json_string(name));
    json_object_set_new(o, "mix", mix ? json_string(mix) : json_null());
    json_object_set_new(o, "lookups", json_integer((json_int_t)s->n));
    json_object_set_new(o, "mixed_lookups", json_integer((json_int_t)s->n_mixed));
    json_object_set_new(o, "reserved_skipped", json_integer((json_int_t)s->reserved));
    json_object_set_new(o, "distinct_keys", json_integer((json_int_t)s->distinct));
    for (int i = 0; i < n; i++) {
        const struct hr_row *r = &rows[i];
        json_t *row = json_object();
        json_object_set_new(row, "cache", json_string(r->cache));
        json_object_set_new(row, "label", json_string(r->label));
        json_object_set_new(row, "capacity",
                            r->capacity ? json_integer((json_int_t)r->capacity) : json_null());
        json_object_set_new(row, "capacity_spec", r->spec ? json_string(r->spec) : json_null());
        json_object_set_new(row, "clear_interval_s",
                            r->clear_ns ? json_real((double)r->clear_ns / 1e9) : json_null());
        json_object_set_new(row, "lookups", json_integer((json_int_t)r->r.lookups));
        json_object_set_new(row, "hits", json_integer((json_int_t)r->r.hits));
        json_object_set_new(row, "misses", json_integer((json_int_t)r->r.misses));
        json_object_set_new(row, "hit_ratio", json_real(gr_hr_ratio(&r->r)));
        json_object_set_new(row, "own_lookups", json_integer((json_int_t)r->r.own_lookups));
        json_object_set_new(row, "own_hits", json_integer((json_int_t)r->r.own_hits));
        json_object_set_new(row, "own_hit_ratio", json_real(gr_hr_own_ratio(&r->r)));
        json_object_set_new(row, "clears", json_integer((json_int_t)r->r.clears));
        json_object_set_new(row, "peak_entries", json_integer((json_int_t)r->r.peak_len));
        json_object_set_new(row, "peak_mem_bytes", json_integer((json_int_t)r->r.mem_bytes));
        json_array_append_new(arr, row);
    }
    json_object_set_new(o, "rows", arr);
    return o;
}

static int
traffic_status(int rc)
{
    switch (rc) {
    case GR_TRAFFIC_ENOENT:
        return GR_EXIT_NOINPUT;
    case GR_TRAFFIC_EFORMAT:
        return GR_EXIT_DATAERR;
    case GR_TRAFFIC_EARG:
        return GR_EXIT_USAGE;
    default:
        return GR_EXIT_SOFTWARE;
    }
}

static int
run_hit_ratio(struct hr_opts *o)
{
    char err[512] = "";
    gr_profile prof;
    int rc = gr_profile_load(o->profile, &prof, err, sizeof err);
    if (rc) {
        gr_cli_error(CMD, "%s", err);
        return traffic_status(rc);
    }
    if (!o->seed_set)
        o->seed = prof.seed;
    gr_addrpool *pool = NULL;
    if ((rc = gr_addrpool_default(&pool, err, sizeof err))) {
        gr_cli_error(CMD, "%s", err);
        return GR_EXIT_SOFTWARE;
    }
    json_t *streams = json_array();
    int status = GR_EXIT_OK;
    struct hr_row rows[2 + 2 * GR_HR_MAX_CAPS];
    for (int m = 0; m < (o->mix ? 2 : 1) && status == GR_EXIT_OK; m++) {
        gr_hr_stream_config sc = {o->profile,     m ? o->mix : NULL, o->mix_rate,
                                  o->duration_ns, o->seed,           pool};
        gr_hr_stream s;
        char name[160];
        snprintf(name, sizeof name, "%s%s%s", prof.name, m ? " + " : "", m ? o->mix : "");
        if ((rc = gr_hr_stream_build(&sc, &s, err, sizeof err))) {
            gr_cli_error(CMD, "%s", err);
            status = traffic_status(rc);
            break;
        }
        int n = 0;
        status = run_rows(o, &s, rows, &n);
        if (status != GR_EXIT_OK) {
            /* reported */
        } else if (o->json) {
            json_array_append_new(streams, json_stream(&s, name, m ? o->mix : NULL, rows, n));
        } else {
            print_table(&s, name, o, rows, n);
        }
        gr_hr_stream_free(&s);
    }
    gr_addrpool_free(pool);
    if (status == GR_EXIT_OK && o->json) {
        json_t *root = json_object();
        json_object_set_new(root, "benchmark", json_string("hit-ratio"));
        json_object_set_new(root, "profile", json_string(prof.name));
        json_object_set_new(root, "rate", json_real(prof.rate));
        json_object_set_new(root, "mix_rate", o->mix ? json_real(o->mix_rate) : json_null());
        json_object_set_new(root, "simulated_s", json_real((double)o->duration_ns / 1e9));
        json_object_set_new(root, "seed", json_integer((json_int_t)o->seed));
        json_object_set_new(root, "stripes", json_integer((json_int_t)o->stripes));
        json_object_set_new(root, "streams", streams);
        json_dumpf(root, stdout, JSON_INDENT(2));
        putchar('\n');
        json_decref(root);
    } else {
        json_decref(streams);
    }
    return status;
}

int
gr_cmd_bench_hit_ratio(int argc, char **argv)
{
    struct hr_opts o;
    int rc = parse_hit_ratio_options(argc, argv, &o);
    if (rc == GR_CLI_RUN)
        rc = run_hit_ratio(&o);
    free(o.caps_arg);
    return rc;
}
