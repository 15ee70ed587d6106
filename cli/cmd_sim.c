/*
 * cmd_sim.c - 'georace sim' (not built yet).
 */
#include "cli.h"

int
gr_cmd_sim(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    gr_cli_error("sim", "not implemented yet");
    return GR_EXIT_SOFTWARE;
}
