/*
 * cmd_load.c - 'georace load' (not built yet).
 */
#include "cli.h"

int
gr_cmd_load(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    gr_cli_error("load", "not implemented yet");
    return GR_EXIT_SOFTWARE;
}
