/*
 * main.c - georace's entry point: dispatch to a subcommand.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

struct command {
    const char *name;
    gr_cmd_fn fn;
    const char *summary;
};

static const struct command commands[] = {
    {"lookup", gr_cmd_lookup, "resolve addresses to a country or reserved zone"},
    {"bench", gr_cmd_bench, "benchmarks: 'bench lookup', 'bench cache'"},
    {"mkdb", gr_cmd_mkdb, "turn a Zoraxy CSV into an MMDB file"},
    {"proxy", gr_cmd_proxy, "run the HTTP reverse proxy with country blocking"},
    {"upstream", gr_cmd_upstream, "run a tiny HTTP upstream for the proxy"},
    {"sim", gr_cmd_sim, "in-process traffic simulator (no sockets)"},
    {"load", gr_cmd_load, "HTTP load generator that checks every answer"},
    {"stress", gr_cmd_stress, "long-duration trials, time-to-failure, model"},
    {"repro", gr_cmd_repro, "reproduce the Zoraxy crash and prove the fixes"},
    {"report", gr_cmd_report, "summarize stress results with charts"},
    {"explore", gr_cmd_explore, "controlled scheduling: every interleaving up to a bound"},
    {"check-history", gr_cmd_check_history, "linearizability of a recorded history"},
};

static void
usage(FILE *f)
{
    fprintf(f, "usage: georace COMMAND [OPTIONS]\n\n"
               "Reproduces the Zoraxy geo-cache crash ('fatal error: concurrent map writes')\n"
               "and measures its fixes.\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-13s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\n'georace COMMAND --help' describes each command.\n"
               "\nexit status: 0 ok, 1 failed expectation or bad input, 2 Go-style fatal error,\n"
               "64 usage, 65 malformed input file, 66 missing input file, 69 peer\n"
               "unreachable, 70 internal error.\n");
}

int
main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return GR_EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return GR_EXIT_OK;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("georace 0.1.0\n");
        return GR_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "georace: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return GR_EXIT_USAGE;
}
