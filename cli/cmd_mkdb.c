/*
 * cmd_mkdb.c - 'georace mkdb' (not built yet).
 */
#include "cli.h"

int
gr_cmd_mkdb(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    gr_cli_error("mkdb", "not implemented yet");
    return GR_EXIT_SOFTWARE;
}
