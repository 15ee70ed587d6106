/*
 * cmd_bench.c - 'georace bench' (not built yet).
 */
#include "cli.h"

int
gr_cmd_bench(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    gr_cli_error("bench", "not implemented yet");
    return GR_EXIT_SOFTWARE;
}
