/*
 * cmd_lookup.c - 'georace lookup' (not built yet).
 */
#include "cli.h"

int
gr_cmd_lookup(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    gr_cli_error("lookup", "not implemented yet");
    return GR_EXIT_SOFTWARE;
}
