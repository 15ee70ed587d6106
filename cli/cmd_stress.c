/*
 * cmd_stress.c - 'georace stress' (not built yet).
 */
#include "cli.h"

int
gr_cmd_stress(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    gr_cli_error("stress", "not implemented yet");
    return GR_EXIT_SOFTWARE;
}
