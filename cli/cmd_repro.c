/*
 * cmd_repro.c - 'georace repro' (not built yet).
 */
#include "cli.h"

int
gr_cmd_repro(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    gr_cli_error("repro", "not implemented yet");
    return GR_EXIT_SOFTWARE;
}
