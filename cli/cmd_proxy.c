/*
 * cmd_proxy.c - 'georace proxy' (not built yet).
 */
#include "cli.h"

int
gr_cmd_proxy(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    gr_cli_error("proxy", "not implemented yet");
    return GR_EXIT_SOFTWARE;
}
