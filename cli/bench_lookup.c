/*
 * bench_lookup.c - 'georace bench lookup' (not built yet).
 */
#include "cli.h"

int gr_bench_lookup(int argc, char **argv);

int
gr_bench_lookup(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    gr_cli_error("bench lookup", "not implemented yet");
    return GR_EXIT_SOFTWARE;
}
