/*
 * cmd_upstream.c - 'georace upstream' (not built yet).
 */
#include "cli.h"

int
gr_cmd_upstream(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    gr_cli_error("upstream", "not implemented yet");
    return GR_EXIT_SOFTWARE;
}
