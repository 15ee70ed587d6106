/*
 * cmd_bench.c - 'georace bench lookup|cache|hit-ratio': dispatch to one
 * benchmark (bench_lookup.c, bench_cache.c, bench_hit_ratio.c; the engines
 * live in bench/).
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

int
gr_cmd_bench(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        FILE *f = argc < 2 ? stderr : stdout;
        fprintf(f, "usage: georace bench lookup [OPTIONS]   ns per geo lookup, per backend\n"
                   "       georace bench cache [OPTIONS]    ops/s per cache variant and peers\n"
                   "       georace bench hit-ratio [OPTIONS]  hit ratio of bounded, LRU and the\n"
                   "                                        unbounded cache on one request stream\n"
                   "'georace bench NAME --help' for the options of each.\n");
        return argc < 2 ? GR_EXIT_USAGE : GR_EXIT_OK;
    }
    if (!strcmp(argv[1], "lookup"))
        return gr_cmd_bench_lookup(argc - 1, argv + 1);
    if (!strcmp(argv[1], "cache"))
        return gr_cmd_bench_cache(argc - 1, argv + 1);
    if (!strcmp(argv[1], "hit-ratio"))
        return gr_cmd_bench_hit_ratio(argc - 1, argv + 1);
    gr_cli_error("bench", "unknown benchmark '%s' (lookup, cache, hit-ratio)", argv[1]);
    return GR_EXIT_USAGE;
}
