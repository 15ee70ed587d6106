/*
 * cmd_lookup.c - 'georace lookup': resolve addresses to a country code or
 * a reserved zone, one line per address, through the resolver (no cache).
 *
 * Every address is answered on its own: a bad one gets a message on stderr
 * and the others still print; the exit status then says something was bad.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "georace/resolver.h"

static void
usage(FILE *f)
{
    char dbh[1024];
    fprintf(f,
            "usage: georace lookup [--backend B] [--db FILE | --csv FILE...] [--json] ADDRESS...\n"
            "\n"
            "Resolve each IPv4/IPv6 ADDRESS to its country code, or to its reserved zone\n"
            "(Private, Loopback, LinkLocal, Multicast, CarrierNAT, Documentation,\n"
            "UniqueLocal, Broadcast, Unspecified, Reserved), one line per address:\n"
            "  8.8.8.8 US\n"
            "  10.0.0.1 Private\n"
            "  1.2.3.4 - (not in database)\n"
            "An ADDRESS of '-' reads addresses from standard input, one per line.\n"
            "--csv without --backend selects the scan backend.\n\n"
            "%s"
            "  --json          print one JSON document instead of lines\n"
            "  --help          this text\n\n"
            "exit status: 0 all addresses resolved, 1 some address was not an IP address,\n"
            "64 usage, 65 malformed database (at open or during a lookup), 66 database\n"
            "missing or unreadable.\n",
            gr_cli_db_help(dbh, sizeof dbh, 18));
}

struct lookup_run {
    gr_resolver *resolver;
    json_t *results; /* NULL unless --json */
    int status;
};

static const char *
kind_name(gr_answer_kind k)
{
    switch (k) {
    case GR_ANSWER_COUNTRY:
        return "country";
    case GR_ANSWER_ZONE:
        return "zone";
    case GR_ANSWER_UNKNOWN:
        return "unknown";
    default:
        return "error";
    }
}

static void
note_status(struct lookup_run *run, int status)
{
    /* a database problem outranks a bad address */
    if (status == GR_EXIT_DATAERR || run->status == GR_EXIT_OK)
        run->status = status;
}

static void
lookup_one(struct lookup_run *run, const char *text, size_t len)
{
    gr_ip ip;
    int rc = gr_ip_parse(text, len, &ip);
    if (rc != GR_IP_OK) {
        gr_cli_error("lookup", "%.*s: %s (expected an IPv4 dotted quad or an IPv6 address)",
                     (int)len, text, gr_ip_strerror(rc));
        if (run->results)
            json_array_append_new(run->results,
                                  json_pack("{s:s%,s:s,s:s}", "input", text, len, "kind", "error",
                                            "error", gr_ip_strerror(rc)));
        note_status(run, GR_EXIT_FAIL);
        return;
    }
    gr_answer a = gr_resolve(run->resolver, &ip);
    char canon[GR_IP_STRLEN], ans[32];
    gr_ip_format(&ip, canon, sizeof canon);
    gr_answer_str(&a, ans, sizeof ans);
    if (a.kind == GR_ANSWER_ERROR) {
        gr_cli_error("lookup", "%.*s: %s", (int)len, text, gr_geodb_strerror(GR_GEODB_ELOOKUP));
        note_status(run, GR_EXIT_DATAERR);
    }
    if (run->results) {
        json_t *o =
            json_pack("{s:s%,s:s,s:s}", "input", text, len, "ip", canon, "kind", kind_name(a.kind));
        if (a.kind == GR_ANSWER_COUNTRY)
            json_object_set_new(o, "country", json_string(ans));
        else if (a.kind == GR_ANSWER_ZONE)
            json_object_set_new(o, "zone", json_string(ans));
        else if (a.kind == GR_ANSWER_ERROR)
            json_object_set_new(o, "error", json_string(gr_geodb_strerror(GR_GEODB_ELOOKUP)));
        json_array_append_new(run->results, o);
        return;
    }
    if (a.kind == GR_ANSWER_UNKNOWN)
        printf("%.*s - (not in database)\n", (int)len, text);
    else if (a.kind != GR_ANSWER_ERROR)
        printf("%.*s %s\n", (int)len, text, ans);
}

static void
lookup_stdin(struct lookup_run *run)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, stdin)) >= 0) {
        const char *s = line;
        size_t len = (size_t)n;
        while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == '\r' || s[len - 1] == ' ' ||
                           s[len - 1] == '\t'))
            len--;
        while (len > 0 && (*s == ' ' || *s == '\t'))
            s++, len--;
        if (len > 0)
            lookup_one(run, s, len);
    }
    free(line);
}

int
gr_cmd_lookup(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"backend", required_argument, NULL, 'B'}, {"db", required_argument, NULL, 'D'},
        {"csv", required_argument, NULL, 'C'},     {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0}};
    gr_cli_db dbsel;
    bool json = false, backend_given = false;
    int c, idx = 0;
    gr_cli_db_init(&dbsel);
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", longopts, &idx)) != -1) {
        switch (c) {
        case 'B':
            backend_given = true;
            /* fall through */
        case 'D':
        case 'C':
            if (gr_cli_db_arg("lookup", &dbsel, longopts[idx].name, optarg))
                return GR_EXIT_USAGE;
            break;
        case 'j':
            json = true;
            break;
        case 'h':
            usage(stdout);
            return GR_EXIT_OK;
        default: /* ':' or '?' */
            gr_cli_bad_option("lookup", c, argv);
            return GR_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        gr_cli_error("lookup", "no address given (see --help)");
        return GR_EXIT_USAGE;
    }
    if (!backend_given && dbsel.n_csv > 0 && !dbsel.mmdb_path)
        dbsel.kind = GR_GEODB_SCAN; /* a CSV alone implies Zoraxy's scan */
    if (dbsel.kind == GR_GEODB_MMDB && dbsel.n_csv > 0) {
        gr_cli_error("lookup", "--csv needs --backend scan or scan-bsearch");
        return GR_EXIT_USAGE;
    }
    if (dbsel.kind != GR_GEODB_MMDB && dbsel.mmdb_path) {
        gr_cli_error("lookup", "--db is an MMDB file, for --backend mmdb");
        return GR_EXIT_USAGE;
    }

    gr_geodb *db = NULL;
    int rc = gr_cli_db_open(&dbsel, &db);
    if (rc != GR_EXIT_OK)
        return rc;
    struct lookup_run run = {NULL, json ? json_array() : NULL, GR_EXIT_OK};
    gr_resolver_config rcfg = {.db = db};
    if (gr_resolver_create(&rcfg, &run.resolver) != 0) {
        gr_cli_error("lookup", "out of memory");
        gr_geodb_close(db);
        json_decref(run.results);
        return GR_EXIT_SOFTWARE;
    }
    for (int i = optind; i < argc; i++) {
        if (!strcmp(argv[i], "-"))
            lookup_stdin(&run);
        else
            lookup_one(&run, argv[i], strlen(argv[i]));
    }
    if (json) {
        json_t *doc = json_pack("{s:s,s:O}", "backend", db->ops->name, "results", run.results);
        char *text = json_dumps(doc, JSON_INDENT(2));
        if (text)
            puts(text);
        free(text);
        json_decref(doc);
        json_decref(run.results);
    }
    gr_resolver_destroy(run.resolver);
    gr_geodb_close(db);
    if (fflush(stdout) != 0)
        return GR_EXIT_SOFTWARE;
    return run.status;
}
