/*
 * bench_cache.c - 'georace bench cache' (not built yet).
 */
#include "cli.h"

int gr_bench_cache(int argc, char **argv);

int
gr_bench_cache(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    gr_cli_error("bench cache", "not implemented yet");
    return GR_EXIT_SOFTWARE;
}
