/*
 * cmd_report.c - 'georace report' (not built yet).
 */
#include "cli.h"

int
gr_cmd_report(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    gr_cli_error("report", "not implemented yet");
    return GR_EXIT_SOFTWARE;
}
